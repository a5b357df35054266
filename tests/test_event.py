"""The event platform as Home Assistant shows it: one event entity offering the catalogue."""

from __future__ import annotations

from pathlib import Path

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform
from syrupy.assertion import SnapshotAssertion

from tests.common import SNAPSHOT_ENTRY_ID, only_platform, setup_camera


@pytest.mark.usefixtures("steady_entities", "socket_enabled")
async def test_event_entity(
    hass: HomeAssistant,
    still_clip_path: Path,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Before any event: state unknown, the built-in types offered."""
    with only_platform(Platform.EVENT):
        entry = await setup_camera(hass, str(still_clip_path), entry_id=SNAPSHOT_ENTRY_ID)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
    await hass.config_entries.async_unload(entry.entry_id)
