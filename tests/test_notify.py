"""The notify entity of an e-mail profile: `notify.send_message` mails through the outbox."""

from __future__ import annotations

import asyncio

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.cam_events.data import DATA_DOMAIN
from tests.common import add_profile, smtp_data, wait_real
from tests.peers.smtp import SmtpServer

NOTIFY = "notify.mail"


async def test_send_message_reaches_the_mail_server(hass: HomeAssistant, smtp: SmtpServer) -> None:
    """Title → subject (one line), message → body, to the profile's recipients; no event."""
    await add_profile(hass, "smtp", smtp_data(smtp))
    assert hass.states.get(NOTIFY) is not None
    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": NOTIFY, "title": "Front door\r\nBcc: evil@example.com", "message": "Hello"},
        blocking=True,
    )
    await wait_real(hass, lambda: len(smtp.messages) == 1, 10)
    received = smtp.messages[0]
    assert received.message["Subject"] == "Front door Bcc: evil@example.com"
    assert received.message["Bcc"] is None
    assert received.message.get_content().strip() == "Hello"
    assert sorted(received.rcpt_tos) == ["owner@example.com", "second@example.com"]
    # It went through the outbox: the job is stored as sent.
    entry = hass.config_entries.async_entries("cam_events")[0]
    outbox = hass.data[DATA_DOMAIN].outbox
    # The peer has the mail a moment before the outbox stores the job as sent.
    for _ in range(250):
        if (counts := await outbox.counts(entry.entry_id))["sent"] == 1:
            break
        await asyncio.sleep(0.02)
    assert counts == {"pending": 0, "dead": 0, "sent": 1}

    # Without a title, the subject is the profile's name.
    await hass.services.async_call(
        "notify", "send_message", {"entity_id": NOTIFY, "message": "Second"}, blocking=True
    )
    await wait_real(hass, lambda: len(smtp.messages) == 2, 10)
    assert smtp.messages[1].message["Subject"] == "Mail"


async def test_send_message_too_long_is_refused(hass: HomeAssistant, smtp: SmtpServer) -> None:
    await add_profile(hass, "smtp", smtp_data(smtp))
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "notify", "send_message", {"entity_id": NOTIFY, "message": "x" * 70_000}, blocking=True
        )
    assert err.value.translation_key == "message_too_long"
    assert not smtp.messages
