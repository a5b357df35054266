"""Diagnostic sensors: stream state, frame rates, last error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import CamEventsConfigEntry
from .entity import CamEventsEntity
from .runtime import CameraRuntime
from .video.stream_worker import StreamState

PARALLEL_UPDATES = 0

FPS = "fps"


@dataclass(frozen=True, kw_only=True)
class CamEventsSensorDescription(SensorEntityDescription):
    """A sensor that reads one value off the runtime."""

    value: Callable[[CameraRuntime], str | float | None]
    always_available: bool = False


SENSORS: tuple[CamEventsSensorDescription, ...] = (
    CamEventsSensorDescription(
        key="stream_state",
        translation_key="stream_state",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in StreamState],
        entity_category=EntityCategory.DIAGNOSTIC,
        value=lambda rt: rt.state.value,
        always_available=True,
    ),
    CamEventsSensorDescription(
        key="decode_fps",
        translation_key="decode_fps",
        native_unit_of_measurement=FPS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value=lambda rt: rt.stats.decode_fps if rt.stats else None,
    ),
    CamEventsSensorDescription(
        key="detect_fps",
        translation_key="detect_fps",
        native_unit_of_measurement=FPS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value=lambda rt: rt.stats.detect_fps if rt.stats and rt.detection_enabled else 0.0,
    ),
    CamEventsSensorDescription(
        key="last_error",
        translation_key="last_error",
        entity_category=EntityCategory.DIAGNOSTIC,
        value=lambda rt: rt.last_error.detail[:255] if rt.last_error else None,
        always_available=True,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CamEventsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the diagnostic sensors."""
    async_add_entities(CamEventsSensor(entry, description) for description in SENSORS)


class CamEventsSensor(CamEventsEntity, SensorEntity):
    """A diagnostic value of the camera's stream."""

    entity_description: CamEventsSensorDescription

    @property
    def available(self) -> bool:
        """Stream state and last error stay readable while the stream is down."""
        return self.entity_description.always_available or super().available

    @property
    def native_value(self) -> str | float | None:
        """Read the value off the runtime."""
        return self.entity_description.value(self.runtime)
