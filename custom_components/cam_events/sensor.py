"""Diagnostic sensors: stream state, frame rates, last error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN, KIND_CAMERA
from .data import CamEventsAnyConfigEntry, CamEventsConfigEntry, ProfileConfigEntry
from .entity import CamEventsEntity
from .handlers import ProfileRuntime
from .profiles import kind_of
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
    if kind_of(entry.data) != KIND_CAMERA:
        profile = cast("ProfileConfigEntry", entry)
        async_add_entities(ProfileSensor(profile, description) for description in PROFILE_SENSORS)
        return
    camera = cast("CamEventsConfigEntry", entry)
    async_add_entities(CamEventsSensor(camera, description) for description in SENSORS)


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


class ProfileSensor(SensorEntity):
    """How a handler profile's deliveries are going."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: ProfileSensorDescription

    def __init__(self, entry: ProfileConfigEntry, description: ProfileSensorDescription) -> None:
        """Bind to the profile."""
        self.entity_description = description
        self.profile = entry.runtime_data
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer="Cam Events",
            model=f"{self.profile.kind.upper()} handler profile",
            entry_type=DeviceEntryType.SERVICE,
        )

    async def async_added_to_hass(self) -> None:
        """Follow the profile's health."""
        await super().async_added_to_hass()
        self.async_on_remove(self.profile.async_add_listener(self.async_write_ha_state))

    @property
    def native_value(self) -> str | int | datetime | None:
        """Read the value off the profile."""
        return self.entity_description.value(self.profile)
