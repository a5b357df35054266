"""Base entity: one device per camera, state pushed by the runtime."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import DOMAIN
from .data import CamEventsConfigEntry


class CamEventsEntity(Entity):
    """An entity of one camera; it updates whenever the camera's runtime reports."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: CamEventsConfigEntry, description: EntityDescription) -> None:
        """Bind to the entry's runtime."""
        self.entity_description = description
        self.runtime = entry.runtime_data
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer="Cam Events",
            model=self.runtime.source.kind.upper() + " stream",
        )

    async def async_added_to_hass(self) -> None:
        """Follow the runtime."""
        await super().async_added_to_hass()
        self.async_on_remove(self.runtime.async_add_listener(self.async_write_ha_state))

    @property
    def available(self) -> bool:
        """Available while the stream delivers frames."""
        return self.runtime.available
