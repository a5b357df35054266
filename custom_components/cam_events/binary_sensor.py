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

from .area_entities import AreaEntity, async_follow_areas
from .data import CamEventsConfigEntry
from .entity import CamEventsEntity
from .video.zones import Area, Layout

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
    """Add the motion and tamper sensors, and one motion sensor per zone."""
    async_add_entities([MotionBinarySensor(entry, MOTION), TamperBinarySensor(entry, TAMPER)])

    def zones(layout: Layout) -> tuple[Area, ...]:
        return layout.zones

    async_follow_areas(
        hass,
        entry,
        "binary_sensor",
        "zone",
        zones,
        lambda area: ZoneMotionBinarySensor(entry, area),
        async_add_entities,
    )


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


class ZoneMotionBinarySensor(AreaEntity, BinarySensorEntity):
    """Motion inside one zone, with the camera's off-delay."""

    def __init__(self, entry: CamEventsConfigEntry, area: Area) -> None:
        """Bind to the zone."""
        super().__init__(
            entry,
            BinarySensorEntityDescription(
                key=f"zone_{area.id}",
                translation_key="zone_motion",
                device_class=BinarySensorDeviceClass.MOTION,
            ),
            area,
        )

    async def async_added_to_hass(self) -> None:
        """Follow the zone's motion."""
        await super().async_added_to_hass()
        self.async_on_remove(self.runtime.async_on_zones(self._async_write_if_changed))

    @property
    def is_on(self) -> bool:
        """Whether there is motion in the zone."""
        return self.runtime.zone_motion.get(self.area_id, False)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Share of the zone that changed and where, when its latest motion started."""
        result = self.runtime.zone_last.get(self.area_id)
        if result is None:
            return None
        return {
            "changed_area": round(result.changed_ratio * 100, 2),
            "bounding_box": list(result.bbox) if result.bbox else None,
        }
