"""Motion binary sensor: is there motion now."""

from __future__ import annotations

from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
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
TAMPER = BinarySensorEntityDescription(
    key="tamper",
    translation_key="tamper",
    device_class=BinarySensorDeviceClass.TAMPER,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CamEventsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the motion sensor."""
    async_add_entities([MotionBinarySensor(entry, MOTION), TamperBinarySensor(entry, TAMPER)])


class MotionBinarySensor(CamEventsEntity, BinarySensorEntity):
    """On from the first moving frame until the off-delay passes without motion."""

    async def async_added_to_hass(self) -> None:
        """Follow motion starts and ends."""
        await super().async_added_to_hass()
        self.async_on_remove(self.runtime.async_on_motion(self._async_write_if_changed))
        self.async_on_remove(self.runtime.async_on_motion_result(self._async_write_if_changed))

    @property
    def is_on(self) -> bool:
        """Whether there is motion."""
        return self.runtime.motion

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return where the latest motion started and how much of the frame it covered."""
        result = self.runtime.last_motion
        if result is None:
            return None
        return {
            "changed_area": round(result.changed_ratio * 100, 2),
            "bounding_box": list(result.bbox) if result.bbox else None,
        }


class TamperBinarySensor(CamEventsEntity, BinarySensorEntity):
    """On while the lens is covered, blacked out or blinded (the picture turned uniform)."""

    async def async_added_to_hass(self) -> None:
        """Follow the tamper check."""
        await super().async_added_to_hass()
        self.async_on_remove(self.runtime.async_on_tamper(self._async_write_if_changed))

    @property
    def is_on(self) -> bool:
        """Whether the view is tampered with."""
        return self.runtime.tampered

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """How uniform and how bright the picture was when the state last changed."""
        result = self.runtime.tamper
        if result is None:
            return None
        return {"contrast": result.contrast, "brightness": result.mean}
