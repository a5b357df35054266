"""Motion binary sensor: is there motion now."""

from __future__ import annotations

from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import CamEventsConfigEntry
from .entity import CamEventsEntity

PARALLEL_UPDATES = 0

MOTION = BinarySensorEntityDescription(
    key="motion",
    translation_key="motion",
    device_class=BinarySensorDeviceClass.MOTION,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CamEventsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the motion sensor."""
    async_add_entities([MotionBinarySensor(entry, MOTION)])


class MotionBinarySensor(CamEventsEntity, BinarySensorEntity):
    """On from the first moving frame until the off-delay passes without motion."""

    @property
    def is_on(self) -> bool:
        """Whether there is motion."""
        return self.runtime.motion

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Where the last motion was and how much of the frame it covered."""
        result = self.runtime.last_motion
        if result is None:
            return None
        return {
            "changed_area": round(result.changed_ratio * 100, 2),
            "bounding_box": list(result.bbox) if result.bbox else None,
        }
