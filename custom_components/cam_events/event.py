"""Event entity: "a detection happened"; its event types are the camera's catalogue."""

from __future__ import annotations

import math
from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .camera_events import EventChange
from .data import CamEventsConfigEntry
from .entity import CamEventsEntity

PARALLEL_UPDATES = 0

EVENTS = EventEntityDescription(key="events", translation_key="events")

ATTRIBUTE_KEYS = 16
"""At most this many metadata values reach the entity's attributes..."""
ATTRIBUTE_TEXT = 255
"""...each a number, true/false or text of at most this many characters."""


def metadata_attributes(metadata: dict[str, Any]) -> dict[str, Any]:
    """Return the small, flat part of an event's metadata that the state machine may carry.

    The whole metadata travels on the bus event and in the history; state attributes are
    sent to every client on every state change, so they stay small and always serialisable.
    """
    kept: dict[str, Any] = {}
    for key, value in metadata.items():
        if len(kept) == ATTRIBUTE_KEYS:
            break
        if not isinstance(key, str) or len(key) > ATTRIBUTE_TEXT:
            continue
        if _small(value):
            kept[key] = value
    return kept


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CamEventsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entity."""
    async_add_entities([CamEventsEventEntity(entry, EVENTS)])


def _small(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -(1 << 53) <= value <= 1 << 53
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str) and len(value) <= ATTRIBUTE_TEXT


class CamEventsEventEntity(CamEventsEntity, EventEntity):
    """Fires once per event the camera creates or receives."""

    @property
    def event_types(self) -> list[str]:
        """Return the catalogue's type names."""
        return self.events.catalog.names

    @property
    def available(self) -> bool:
        """Events arrive even while the stream is down (stream loss is one)."""
        return True

    async def async_added_to_hass(self) -> None:
        """Follow the camera's events and its catalogue."""
        await super().async_added_to_hass()
        self.async_on_remove(self.events.async_add_listener(self._on_change))
        self.async_on_remove(self.events.async_on_catalog(self._async_write_if_changed))

    def _state_key(self) -> object:
        """Return the last event (written when it fires) and the catalogue's type names."""
        return (self.state, tuple(self.event_types))

    @callback
    def _on_change(self, change: EventChange) -> None:
        if change.action != "created":
            return
        event = change.event
        self._trigger_event(
            event.type,
            {
                "id": event.id,
                "metadata": metadata_attributes(event.metadata),
                "snapshot": event.snapshot,
            },
        )
        self._async_write()
