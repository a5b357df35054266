"""A notify entity per e-mail profile: `notify.send_message` mails through the outbox.

Anything in Home Assistant that notifies (automations, scripts, alerts) can use the profile;
the message is queued like every delivery (persisted, retried, dead letters) and the
profile's health sensors follow it.
"""

from __future__ import annotations

import time

from homeassistant.components.notify import NotifyEntity, NotifyEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import KIND_SMTP
from .data import DATA_DOMAIN, CamEventsAnyConfigEntry, ProfileConfigEntry, is_profile
from .delivery.outbox import Job, new_job_id
from .delivery.request import Message, message_payload
from .entity import ProfileEntity
from .errors import unicode_text, validation_error

PARALLEL_UPDATES = 0

MAX_TITLE = 998
"""A subject fits one mail header line (RFC 5322)."""
MAX_MESSAGE = 65_536

MAIL = NotifyEntityDescription(key="notify", name=None)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CamEventsAnyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the notify entity of an e-mail profile."""
    if is_profile(entry) and entry.runtime_data.kind == KIND_SMTP:
        async_add_entities([ProfileMailNotify(entry, MAIL)])


class ProfileMailNotify(ProfileEntity, NotifyEntity):
    """Mails a message to the profile's recipients, through the outbox."""

    def __init__(self, entry: ProfileConfigEntry, description: NotifyEntityDescription) -> None:
        """Bind to the profile."""
        super().__init__(entry, description)
        self._entry = entry

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Queue the message; the subject is the title (one line) or the profile's name."""
        if len(message) > MAX_MESSAGE:
            raise validation_error("message_too_long", limit=str(MAX_MESSAGE))
        unicode_text(message, "message")
        subject = unicode_text(" ".join((title or self.profile.name).split())[:MAX_TITLE], "title")
        created = time.time()
        job = Job(
            id=new_job_id(),
            profile=self._entry.entry_id,
            handler="send_email",
            payload=message_payload(Message(subject=subject, body=message)),
            files=[],
            created=created,
        )
        await self.hass.data[DATA_DOMAIN].outbox.enqueue(job)
