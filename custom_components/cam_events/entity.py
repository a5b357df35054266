"""Base entities: a camera's (one device per camera) and a handler profile's (a service device).

State is pushed: each entity connects to the signals that can change what it shows and writes
its state only when that changed, so a still camera's entities stay quiet between events.
"""

from __future__ import annotations

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import DOMAIN
from .data import CamEventsConfigEntry, ProfileConfigEntry


class _WriteOnChange(Entity):
    """Writes its state when what it shows (its state key) differs from the last write."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _written: object = None

    def _state_key(self) -> object:
        """Return what this entity shows; a write happens only when it changes."""
        return (self.available, self.state, self.extra_state_attributes)

    async def async_added_to_hass(self) -> None:
        """Remember what Home Assistant writes when the entity is added."""
        await super().async_added_to_hass()
        self._written = self._state_key()

    @callback
    def _async_write(self) -> None:
        """Write the state (and remember what was written)."""
        self._written = self._state_key()
        self.async_write_ha_state()

    @callback
    def _async_write_if_changed(self, *_signal: object) -> None:
        """Signal listener: write the state if what the entity shows changed."""
        if self._state_key() != self._written:
            self._async_write()


class CamEventsEntity(_WriteOnChange):
    """An entity of one camera; it follows the stream's state (its availability)."""

    def __init__(self, entry: CamEventsConfigEntry, description: EntityDescription) -> None:
        """Bind to the entry's runtime."""
        self.entity_description = description
        self.runtime = entry.runtime_data.stream
        self.events = entry.runtime_data.events
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer="Cam Events",
            model=self.runtime.source.kind.upper() + " stream",
        )

    async def async_added_to_hass(self) -> None:
        """Follow the stream's state."""
        await super().async_added_to_hass()
        self.async_on_remove(self.runtime.async_on_state(self._async_write_if_changed))

    @property
    def available(self) -> bool:
        """Available while the stream delivers frames."""
        return self.runtime.available


class ProfileEntity(_WriteOnChange):
    """An entity of one handler profile; it follows the profile's delivery health."""

    def __init__(self, entry: ProfileConfigEntry, description: EntityDescription) -> None:
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
        self.async_on_remove(self.profile.async_add_listener(self._async_write_if_changed))
