"""Entities that come and go with a camera's masks and zones (zone sensors, area switches).

Each platform says which areas get an entity and how to build one; this adds the entities of
new areas when the layout changes and removes the ones of deleted areas from the entity
registry (also those deleted while the camera was not loaded). An area's entities are named
after it and follow a rename at once (their ids, and so their history, stay).
"""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import CamEventsConfigEntry
from .entity import CamEventsEntity
from .video.zones import Area, Layout


class AreaEntity(CamEventsEntity):
    """An entity of one mask or zone, named after it (placeholder `zone`), renamed with it."""

    def __init__(
        self, entry: CamEventsConfigEntry, description: EntityDescription, area: Area
    ) -> None:
        """Bind to the area (its id is stable; its name may change)."""
        super().__init__(entry, description)
        self.area_id = area.id
        self._attr_translation_placeholders = {"zone": area.name}

    async def async_added_to_hass(self) -> None:
        """Follow the area's name."""
        await super().async_added_to_hass()
        self.async_on_remove(self.runtime.async_on_layout(self._async_follow_name))

    @callback
    def _async_follow_name(self, layout: Layout) -> None:
        """Take a new name of the area into the entity's name, state and registry entry."""
        area = layout.get(self.area_id)
        if area is None or area.name == self.translation_placeholders.get("zone"):
            return
        self._attr_translation_placeholders = {"zone": area.name}
        # Entity.name is worked out from the placeholders once and cached; the next state
        # write works it out again and stores it as the registry entry's original name.
        self.__dict__.pop("name", None)
        self._async_write()


@callback
def async_follow_areas(
    hass: HomeAssistant,
    entry: CamEventsConfigEntry,
    domain: str,
    prefix: str,
    select: Callable[[Layout], tuple[Area, ...]],
    build: Callable[[Area], Entity],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Keep one entity per selected area, unique id `<entry_id>_<prefix>_<area id>`."""
    runtime = entry.runtime_data.stream
    start = f"{entry.entry_id}_{prefix}_"
    added: set[str] = set()

    @callback
    def sync(layout: Layout) -> None:
        areas = select(layout)
        wanted = {area.id for area in areas}
        registry = er.async_get(hass)
        for reg in er.async_entries_for_config_entry(registry, entry.entry_id):
            if reg.domain != domain or not reg.unique_id.startswith(start):
                continue
            if reg.unique_id.removeprefix(start) not in wanted:
                registry.async_remove(reg.entity_id)
        added.intersection_update(wanted)
        new = [area for area in areas if area.id not in added]
        added.update(area.id for area in new)
        if new:
            async_add_entities([build(area) for area in new])

    sync(runtime.layout)
    entry.async_on_unload(runtime.async_on_layout(sync))
