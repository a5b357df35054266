"""Readable logbook lines for camera events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback

from .const import DOMAIN, EVENT_CAM_EVENTS

_MESSAGES = {
    "motion": "detected motion",
    "net": "lost its stream",
    "snapshot": "took a snapshot",
    "manual": "recorded a manual event",
    "tamper": "reported tampering (view covered or blacked out)",
}


def describe(data: dict[str, Any]) -> str:
    """Return the logbook message of an event."""
    type_name = str(data.get("type"))
    message = _MESSAGES.get(type_name, f"reported a {type_name} event")
    metadata = data.get("metadata") or {}
    if metadata.get("triggered"):
        message += " (triggered)"
    if type_name == "motion" and isinstance(zones := metadata.get("zones"), list) and zones:
        message += " in " + ", ".join(str(zone) for zone in zones)
    if type_name == "motion" and metadata.get("changed_area") is not None:
        message += f" over {metadata['changed_area']}% of the picture"
    return message


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, Any]]], None],
) -> None:
    """Describe `cam_events_event`."""

    @callback
    def describe_event(event: Event) -> dict[str, Any]:
        return {
            LOGBOOK_ENTRY_NAME: event.data.get("camera") or "Camera",
            LOGBOOK_ENTRY_MESSAGE: describe(dict(event.data)),
            LOGBOOK_ENTRY_ENTITY_ID: event.data.get("entity_id"),
        }

    async_describe_event(DOMAIN, EVENT_CAM_EVENTS, describe_event)
