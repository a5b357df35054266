"""Diagnostic sensors: stream state, frame rates, last error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import CamEventsAnyConfigEntry, is_camera
from .entity import CamEventsEntity, ProfileEntity
from .profile_runtime import ProfileRuntime
from .runtime import CameraRuntime
from .video.stream_worker import StreamState

PARALLEL_UPDATES = 0

FPS = "fps"


@dataclass(frozen=True, kw_only=True)
class CamEventsSensorDescription(SensorEntityDescription):
    """A sensor that reads one value off the runtime."""

    value: Callable[[CameraRuntime], str | float | None]
    always_available: bool = False
    stats: bool = False  # follows the worker's counters (written every few seconds)


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
        stats=True,
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
        stats=True,
    ),
    CamEventsSensorDescription(
        key="last_error",
        translation_key="last_error",
        entity_category=EntityCategory.DIAGNOSTIC,
        value=lambda rt: rt.last_error.detail[:255] if rt.last_error else None,
        always_available=True,
    ),
)


@dataclass(frozen=True, kw_only=True)
class ProfileSensorDescription(SensorEntityDescription):
    """A health value of a handler profile."""

    value: Callable[[ProfileRuntime], str | int | datetime | None]


PROFILE_SENSORS: tuple[ProfileSensorDescription, ...] = (
    ProfileSensorDescription(
        key="last_success",
        translation_key="last_success",
        device_class=SensorDeviceClass.TIMESTAMP,
        value=lambda profile: profile.last_success,
    ),
    ProfileSensorDescription(
        key="last_delivery_error",
        translation_key="last_delivery_error",
        entity_category=EntityCategory.DIAGNOSTIC,
        value=lambda profile: profile.last_error,
    ),
    ProfileSensorDescription(
        key="consecutive_failures",
        translation_key="consecutive_failures",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value=lambda profile: profile.failures,
    ),
    ProfileSensorDescription(
        key="queue_length",
        translation_key="queue_length",
        state_class=SensorStateClass.MEASUREMENT,
        value=lambda profile: profile.queue_length,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CamEventsAnyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a camera's diagnostic sensors, or a profile's health sensors."""
    if is_camera(entry):
        async_add_entities(CamEventsSensor(entry, description) for description in SENSORS)
    else:
        async_add_entities(ProfileSensor(entry, description) for description in PROFILE_SENSORS)


class CamEventsSensor(CamEventsEntity, SensorEntity):
    """A diagnostic value of the camera's stream."""

    entity_description: CamEventsSensorDescription

    async def async_added_to_hass(self) -> None:
        """Frame rates follow the counters (and detection on/off); the rest the stream state."""
        await super().async_added_to_hass()
        if self.entity_description.stats:
            self.async_on_remove(self.runtime.async_on_stats(self._async_write_if_changed))
            self.async_on_remove(self.runtime.async_on_options(self._async_write_if_changed))

    @property
    def available(self) -> bool:
        """Stream state and last error stay readable while the stream is down."""
        return self.entity_description.always_available or super().available

    @property
    def native_value(self) -> str | float | None:
        """Read the value off the runtime."""
        return self.entity_description.value(self.runtime)


class ProfileSensor(ProfileEntity, SensorEntity):
    """How a handler profile's deliveries are going."""

    entity_description: ProfileSensorDescription

    @property
    def native_value(self) -> str | int | datetime | None:
        """Read the value off the profile."""
        return self.entity_description.value(self.profile)
