"""A switch per mask and per zone: an automation turns a street mask off at night.

The state is the area's `enabled` flag in the stored layout (entry options), so it survives
restarts and applies live (the stream keeps running).
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .area_entities import AreaEntity, async_follow_areas
from .data import CamEventsConfigEntry
from .layout import async_store_layout
from .video.zones import Area, AreaKind, Layout

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CamEventsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one switch per mask and per zone, following the layout."""

    def areas(layout: Layout) -> tuple[Area, ...]:
        return layout.areas

    async_follow_areas(
        hass,
        entry,
        "switch",
        "area",
        areas,
        lambda area: AreaSwitch(entry, area),
        async_add_entities,
    )


class AreaSwitch(AreaEntity, SwitchEntity):
    """On while the mask or zone is applied."""

    _attr_entity_category = EntityCategory.CONFIG

    def __init__(self, entry: CamEventsConfigEntry, area: Area) -> None:
        """Bind to the area."""
        super().__init__(
            entry,
            SwitchEntityDescription(
                key=f"area_{area.id}",
                translation_key="zone_enabled" if area.kind is AreaKind.ZONE else "mask_enabled",
            ),
            area,
        )
        self.entry = entry

    async def async_added_to_hass(self) -> None:
        """Follow the layout (switched here, by the card or in the options)."""
        await super().async_added_to_hass()
        self.async_on_remove(self.runtime.async_on_layout(self._async_write_if_changed))

    @property
    def available(self) -> bool:
        """Switchable whether or not the stream runs."""
        return self.runtime.layout.get(self.area_id) is not None

    @property
    def is_on(self) -> bool:
        """Whether the area is applied."""
        area = self.runtime.layout.get(self.area_id)
        return area is not None and area.enabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Apply the area again."""
        self._set(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop applying the area."""
        self._set(False)

    def _set(self, enabled: bool) -> None:
        layout = self.runtime.layout
        if layout.get(self.area_id) is None:
            return
        async_store_layout(self.hass, self.entry, layout.with_enabled(self.area_id, enabled))
