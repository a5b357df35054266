"""Device triggers: "an event of type X on camera Y" and "motion in zone Z", for the UI.

"Motion in zone" follows the zone's motion sensor turning on (subtype: the zone's id), so it
fires whenever motion enters the zone, also in the middle of a camera's motion event.
"""

from __future__ import annotations

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.device_automation.exceptions import (
    InvalidDeviceAutomationConfig,
)
from homeassistant.components.homeassistant.triggers import (
    event as event_trigger,
    state as state_trigger,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_PLATFORM,
    CONF_TYPE,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType
import probatio as vol

from .const import DOMAIN, EVENT_CAM_EVENTS
from .data import CamEventsConfigEntry, is_camera

CONF_SUBTYPE = "subtype"
TRIGGER_TYPE = "event"
ZONE_TRIGGER_TYPE = "zone_motion"

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {
        vol.Required(CONF_TYPE): vol.In([TRIGGER_TYPE, ZONE_TRIGGER_TYPE]),
        vol.Required(CONF_SUBTYPE): str,
    }
)


def _camera(hass: HomeAssistant, device_id: str) -> CamEventsConfigEntry | None:
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        return None
    for entry_id in device.config_entries:
        entry = hass.config_entries.async_get_entry(entry_id)
        if (
            entry is not None
            and entry.domain == DOMAIN
            and entry.state is ConfigEntryState.LOADED
            and is_camera(entry)
        ):
            return entry
    return None


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, str]]:
    """One trigger per event type in the camera's catalogue, and one per zone."""
    if (entry := _camera(hass, device_id)) is None:
        return []
    subtypes = [(TRIGGER_TYPE, name) for name in entry.runtime_data.events.catalog.names]
    subtypes += [(ZONE_TRIGGER_TYPE, a.id) for a in entry.runtime_data.stream.layout.zones]
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DOMAIN: DOMAIN,
            CONF_DEVICE_ID: device_id,
            CONF_TYPE: kind,
            CONF_SUBTYPE: subtype,
        }
        for kind, subtype in subtypes
    ]


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Listen for `cam_events_event` of this device and type, or a zone's sensor turning on."""
    if config[CONF_TYPE] == ZONE_TRIGGER_TYPE:
        device = dr.async_get(hass).async_get(config[CONF_DEVICE_ID])
        entry_ids = device.config_entries if device is not None else set()
        registry = er.async_get(hass)
        entity_id = next(
            (
                found
                for entry_id in entry_ids
                if (
                    found := registry.async_get_entity_id(
                        "binary_sensor", DOMAIN, f"{entry_id}_zone_{config[CONF_SUBTYPE]}"
                    )
                )
            ),
            None,
        )
        if entity_id is None:
            raise InvalidDeviceAutomationConfig(f"no zone {config[CONF_SUBTYPE]}")
        state_config = state_trigger.TRIGGER_STATE_SCHEMA(
            {
                CONF_PLATFORM: "state",
                state_trigger.CONF_ENTITY_ID: entity_id,
                state_trigger.CONF_FROM: STATE_OFF,
                state_trigger.CONF_TO: STATE_ON,
            }
        )
        return await state_trigger.async_attach_trigger(
            hass, state_config, action, trigger_info, platform_type="device"
        )
    event_config = event_trigger.TRIGGER_SCHEMA(
        {
            event_trigger.CONF_PLATFORM: "event",
            event_trigger.CONF_EVENT_TYPE: EVENT_CAM_EVENTS,
            event_trigger.CONF_EVENT_DATA: {
                "device_id": config[CONF_DEVICE_ID],
                "type": config[CONF_SUBTYPE],
            },
        }
    )
    return await event_trigger.async_attach_trigger(
        hass, event_config, action, trigger_info, platform_type="device"
    )
