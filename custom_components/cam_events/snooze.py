"""Pause a camera's notifications for a while: every handler service of that camera holds back.

`cam_events.pause_notifications` (camera, duration) and `cam_events.resume_notifications`
(camera) are admin services. The pause is stored (it survives a restart), shown per camera by
`sensor.<camera>_notifications_paused_until`, and honoured by the delivery gate, which records
a held-back call as `suppressed` (reason `snoozed`), like the profile pause.
"""

from __future__ import annotations

from datetime import datetime, timedelta
import time
from typing import Any

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.service import async_register_admin_service
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
import probatio as vol

from .const import DOMAIN
from .lookups import camera_events
from .signal import Signal

MAX_PAUSE = timedelta(days=30)
STORAGE_VERSION = 1


def _time_period(value: Any) -> timedelta:
    """Read a duration as cv.time_period does; one past timedelta's range is invalid input."""
    try:
        period: timedelta = cv.time_period(value)
    except OverflowError as err:
        raise vol.Invalid("duration is too long") from err
    return period


SCHEMA_PAUSE = vol.Schema(
    {
        vol.Required("camera"): cv.entity_id,
        vol.Required("duration"): vol.All(
            _time_period, cv.positive_timedelta, vol.Range(max=MAX_PAUSE)
        ),
    }
)
SCHEMA_RESUME = vol.Schema({vol.Required("camera"): cv.entity_id})


class NotificationPauses:
    """Until when each camera's (entry id's) notifications are paused, epoch seconds."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start empty; `async_load` reads the stored pauses."""
        self.hass = hass
        self._store: Store[dict[str, float]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.notification_pauses"
        )
        self._until: dict[str, float] = {}
        self._expiry: dict[str, CALLBACK_TYPE] = {}
        self.changed: Signal[str] = Signal()
        """Fired with the camera's entry id when its pause starts, ends or is lifted."""

    async def async_load(self) -> None:
        """Read the stored pauses; forget the ones already over."""
        stored = await self._store.async_load() or {}
        now = time.time()
        for entry_id, until in stored.items():
            if isinstance(until, int | float) and until > now:
                self._until[entry_id] = float(until)
                self._watch(entry_id)

    def remaining(self, entry_id: str, now: float) -> float | None:
        """Return the seconds of pause left for the camera, None when not paused."""
        until = self._until.get(entry_id)
        return None if until is None or until <= now else until - now

    def until(self, entry_id: str) -> datetime | None:
        """Return when the camera's pause ends, None when not paused."""
        if self.remaining(entry_id, time.time()) is None:
            return None
        return dt_util.utc_from_timestamp(self._until[entry_id])

    async def async_pause(self, entry_id: str, duration: timedelta) -> datetime:
        """Pause the camera's notifications for `duration` from now (replacing any pause)."""
        self._until[entry_id] = time.time() + duration.total_seconds()
        self._watch(entry_id)
        await self._async_save(entry_id)
        return dt_util.utc_from_timestamp(self._until[entry_id])

    async def async_resume(self, entry_id: str) -> None:
        """Lift the camera's pause."""
        self._until.pop(entry_id, None)
        if cancel := self._expiry.pop(entry_id, None):
            cancel()
        await self._async_save(entry_id)

    def _watch(self, entry_id: str) -> None:
        """Tell the listeners when the pause is over."""
        if cancel := self._expiry.pop(entry_id, None):
            cancel()

        @callback
        def over(_now: datetime) -> None:
            self._expiry.pop(entry_id, None)
            self.changed.fire(entry_id)

        self._expiry[entry_id] = async_track_point_in_utc_time(
            self.hass,
            over,
            dt_util.utc_from_timestamp(self._until[entry_id]),
        )

    @callback
    def async_shutdown(self, _event: Event | None = None) -> None:
        """Stop the expiry timers (the stored pauses stay)."""
        for cancel in self._expiry.values():
            cancel()
        self._expiry.clear()

    async def _async_save(self, entry_id: str) -> None:
        now = time.time()
        await self._store.async_save({k: v for k, v in self._until.items() if v > now})
        self.changed.fire(entry_id)


DATA_PAUSES: HassKey[NotificationPauses] = HassKey(f"{DOMAIN}_notification_pauses")


async def _pause(call: ServiceCall) -> ServiceResponse:
    camera = camera_events(call.hass, call.data["camera"])
    until = await call.hass.data[DATA_PAUSES].async_pause(
        camera.entry.entry_id, call.data["duration"]
    )
    return {"camera": call.data["camera"], "paused_until": until.isoformat()}


async def _resume(call: ServiceCall) -> None:
    camera = camera_events(call.hass, call.data["camera"])
    await call.hass.data[DATA_PAUSES].async_resume(camera.entry.entry_id)


async def async_setup_pauses(hass: HomeAssistant) -> None:
    """Load the stored pauses and register the pause and resume services."""
    pauses = hass.data[DATA_PAUSES] = NotificationPauses(hass)
    await pauses.async_load()
    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, pauses.async_shutdown)
    async_register_admin_service(
        hass,
        DOMAIN,
        "pause_notifications",
        _pause,
        schema=SCHEMA_PAUSE,
        supports_response=SupportsResponse.OPTIONAL,
    )
    async_register_admin_service(
        hass, DOMAIN, "resume_notifications", _resume, schema=SCHEMA_RESUME
    )
