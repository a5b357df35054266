"""Runtime data: per config entry (typed entry alias) and for the whole integration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeIs

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, KIND_CAMERA
from .handler_results import HandlerResults
from .profiles import kind_of

if TYPE_CHECKING:
    from pathlib import Path

    from .camera_events import CameraEvents, EventChange
    from .delivery.outbox import Outbox, OutboxStore
    from .events.store import EventStore
    from .profile_runtime import ProfileRuntime
    from .runtime import CameraRuntime
    from .storage_health import StorageHealth


@dataclass(frozen=True, slots=True)
class CameraData:
    """A camera's runtime, assigned complete once its stream runs: the stream and its events."""

    stream: CameraRuntime
    events: CameraEvents

    async def async_stop(self) -> None:
        """Close the open events and stop listening, then stop (and join) the stream."""
        await self.events.async_stop()
        await self.stream.async_stop()

    @callback
    def async_apply_options(self) -> None:
        """Apply changed options to the stream (it restarts only if it must)."""
        self.stream.async_apply_options()


type CamEventsConfigEntry = ConfigEntry[CameraData]
type ProfileConfigEntry = ConfigEntry[ProfileRuntime]
# What an entry hook receives: a camera or a handler profile, told apart by is_camera().
type CamEventsAnyConfigEntry = CamEventsConfigEntry | ProfileConfigEntry


def is_camera(entry: ConfigEntry[Any]) -> TypeIs[CamEventsConfigEntry]:
    """Whether an entry is a camera (entries made before profiles existed are cameras)."""
    return kind_of(entry.data) == KIND_CAMERA


def is_profile(entry: ConfigEntry[Any]) -> TypeIs[ProfileConfigEntry]:
    """Whether an entry is a handler profile (SMTP, FTP, HTTP, UDP, local folder)."""
    return kind_of(entry.data) != KIND_CAMERA


def camera_entries(hass: HomeAssistant, *, loaded: bool = True) -> list[CamEventsConfigEntry]:
    """Return the cameras (only the loaded ones, whose runtime data is set, by default)."""
    entries = (
        hass.config_entries.async_loaded_entries(DOMAIN)
        if loaded
        else hass.config_entries.async_entries(DOMAIN)
    )
    return [entry for entry in entries if is_camera(entry)]


def profile_entries(hass: HomeAssistant, *, loaded: bool = True) -> list[ProfileConfigEntry]:
    """Return the handler profiles (only the loaded ones by default)."""
    entries = (
        hass.config_entries.async_loaded_entries(DOMAIN)
        if loaded
        else hass.config_entries.async_entries(DOMAIN)
    )
    return [entry for entry in entries if is_profile(entry)]


@dataclass(slots=True)
class DomainData:
    """What all cameras share: the event history and the event subscribers."""

    store: EventStore
    base_dir: Path
    outbox: Outbox
    outbox_store: OutboxStore
    recordings_dir: Path
    spool_dir: Path
    results: HandlerResults
    storage: StorageHealth
    subscribers: list[Callable[[EventChange], None]] = field(default_factory=list)


DATA_DOMAIN: HassKey[DomainData] = HassKey("cam_events")
