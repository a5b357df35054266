"""Entities are written when what they show changed, not at every stats tick."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from homeassistant.const import (
    CONF_URL,
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    STATE_OFF,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cam_events.const import CONF_OFF_DELAY, DOMAIN
from tests.common import state_of, wait_for

FRAME_RATES = ("decode_fps", "detect_fps")


async def test_still_stream_writes_only_frame_rates(
    hass: HomeAssistant, still_clip_path: Path
) -> None:
    """Over 15 s of a still stream only the frame-rate sensors are written.

    Stats arrive every second here (every 5 s in production). A write with nothing changed
    is a `state_reported` event, one that changed something `state_changed`: both count.
    """
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Porch",
        unique_id=str(still_clip_path),
        data={CONF_URL: str(still_clip_path)},
        options={CONF_OFF_DELAY: 1},
    )
    entry.add_to_hass(hass)
    registry = er.async_get(hass)
    # The frame-rate sensors are disabled by default: enable them, they are the ones that move.
    for key in FRAME_RATES:
        registry.async_get_or_create(
            "sensor", DOMAIN, f"{entry.entry_id}_{key}", config_entry=entry
        )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    entities = {
        e.unique_id.removeprefix(f"{entry.entry_id}_"): e.entity_id
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
    }
    assert {"camera", "motion", "tamper", "events", "stream_state", "last_error"} <= set(entities)
    await wait_for(lambda: state_of(hass, entities["camera"]) == "streaming", 10)
    await wait_for(lambda: state_of(hass, entities["decode_fps"]) not in (None, "unknown"), 10)
    assert state_of(hass, entities["motion"]) == STATE_OFF
    assert state_of(hass, entities["tamper"]) == STATE_OFF

    writes: dict[str, int] = {}

    @callback
    def count(event: Event) -> None:
        entity_id = event.data["entity_id"]
        writes[entity_id] = writes.get(entity_id, 0) + 1

    @callback
    def ours(data: Mapping[str, Any]) -> bool:
        return data["entity_id"] in entities.values()

    unsubscribe = [
        hass.bus.async_listen(kind, count, event_filter=ours)
        for kind in (EVENT_STATE_CHANGED, EVENT_STATE_REPORTED)
    ]
    await asyncio.sleep(15)
    for remove in unsubscribe:
        remove()

    frame_rates = {entities[key] for key in FRAME_RATES}
    assert set(writes) <= frame_rates, writes
    assert state_of(hass, entities["motion"]) == STATE_OFF
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
