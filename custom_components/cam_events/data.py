"""Runtime data: per config entry (typed entry alias) and for the whole integration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.util.hass_dict import HassKey

from .handler_results import HandlerResults

if TYPE_CHECKING:
    from pathlib import Path

    from .delivery.outbox import Outbox, OutboxStore
    from .events.store import EventStore
    from .handlers import ProfileRuntime
    from .hub import EventChange
    from .runtime import CameraRuntime

type CamEventsConfigEntry = ConfigEntry[CameraRuntime]
type ProfileConfigEntry = ConfigEntry[ProfileRuntime]
# What Home Assistant hands the entry-level hooks: a camera or a handler profile, told apart by
# `kind_of(entry.data)`; each branch then works on its own alias above.
type CamEventsAnyConfigEntry = ConfigEntry[CameraRuntime | ProfileRuntime]


@dataclass(slots=True)
class DomainData:
    """What all cameras share: the event history and the event subscribers."""

    store: EventStore
    base_dir: Path
    outbox: Outbox
    outbox_store: OutboxStore
    recordings_dir: Path
    spool_dir: Path
    subscribers: list[Callable[[EventChange], None]] = field(default_factory=list)
    results: HandlerResults = field(default_factory=HandlerResults)


DATA_DOMAIN: HassKey[DomainData] = HassKey("cam_events")
