"""Entities that come and go with a camera's masks and zones (zone sensors, area switches).

Each platform says which areas get an entity and how to build one; this adds the entities of
new areas when the layout changes and removes the ones of deleted areas from the entity
registry (also those deleted while the camera was not loaded).
"""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import CamEventsConfigEntry
from .video.zones import Area, Layout


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
