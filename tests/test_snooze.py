"""Pausing a camera's notifications: every handler of the camera holds back, then delivers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import Unauthorized
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockUser, async_fire_time_changed

from custom_components.cam_events.const import DOMAIN
from custom_components.cam_events.snooze import NotificationPauses
from tests.common import add_profile, smtp_data, wait_real
from tests.peers.smtp import SmtpServer

CAMERA = "camera.porch"
PAUSED_UNTIL = "sensor.porch_notifications_paused_until"


async def call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


async def test_pause_suppresses_every_handler_until_it_ends(
    hass: HomeAssistant, camera: Any, smtp: SmtpServer, freezer: FrozenDateTimeFactory
) -> None:
    """Paused: the call is suppressed (snoozed) and recorded; the sensor says until when."""
    freezer.move_to("2026-12-01 12:00:00+00:00")
    await add_profile(hass, "smtp", smtp_data(smtp))
    assert hass.states.get(PAUSED_UNTIL).state == "unknown"  # type: ignore[union-attr]
    event = await call(hass, "trigger_event", camera=CAMERA, type="manual")

    answer = await call(hass, "pause_notifications", camera=CAMERA, duration={"minutes": 30})
    assert answer["paused_until"] == "2026-12-01T12:30:00+00:00"
    await hass.async_block_till_done()
    state = hass.states.get(PAUSED_UNTIL)
    assert state is not None
    assert state.state == "2026-12-01T12:30:00+00:00"
    assert state.attributes["device_class"] == "timestamp"

    held = await call(hass, "send_email", camera=CAMERA, profile="Mail")
    assert held["status"] == "suppressed"
    assert held["reason"] == "snoozed"
    assert held["retry_in"] == 1800
    page = await call(hass, "list_events", camera=CAMERA)
    stored = next(e for e in page["objects"] if e["id"] == event["id"])
    assert stored["handlers"][-1]["status"] == "suppressed"
    assert stored["handlers"][-1]["reason"] == "snoozed"

    # The pause is stored: a fresh start reads it back.
    reloaded = NotificationPauses(hass)
    await reloaded.async_load()
    assert reloaded.until(camera.entry_id) == dt_util.parse_datetime("2026-12-01T12:30:00+00:00")

    freezer.tick(timedelta(minutes=30, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(PAUSED_UNTIL).state == "unknown"  # type: ignore[union-attr]
    delivered = await call(hass, "send_email", camera=CAMERA, profile="Mail")
    assert delivered["status"] == "queued"
    await wait_real(hass, lambda: len(smtp.messages) == 1, 10)
    assert smtp.messages


async def test_resume_lifts_the_pause(hass: HomeAssistant, camera: Any, smtp: SmtpServer) -> None:
    await add_profile(hass, "smtp", smtp_data(smtp))
    await call(hass, "trigger_event", camera=CAMERA, type="manual")
    await call(hass, "pause_notifications", camera=CAMERA, duration={"hours": 2})
    assert (await call(hass, "send_email", camera=CAMERA, profile="Mail"))["reason"] == "snoozed"
    await hass.services.async_call(
        DOMAIN, "resume_notifications", {"camera": CAMERA}, blocking=True
    )
    await hass.async_block_till_done()
    assert hass.states.get(PAUSED_UNTIL).state == "unknown"  # type: ignore[union-attr]
    assert (await call(hass, "send_email", camera=CAMERA, profile="Mail"))["status"] == "queued"
    await wait_real(hass, lambda: len(smtp.messages) == 1, 10)


async def test_pause_is_for_admins(
    hass: HomeAssistant, camera: Any, hass_read_only_user: MockUser
) -> None:
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "pause_notifications",
            {"camera": CAMERA, "duration": {"minutes": 5}},
            blocking=True,
            return_response=True,
            context=Context(user_id=hass_read_only_user.id),
        )
