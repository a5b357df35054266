"""The binary sensor platform as Home Assistant shows it: motion and tampering."""

from __future__ import annotations

from pathlib import Path

from homeassistant.const import STATE_OFF, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform
from syrupy.assertion import SnapshotAssertion

from tests.common import SNAPSHOT_ENTRY_ID, only_platform, setup_camera, state_of, wait_for


@pytest.mark.usefixtures("steady_entities", "socket_enabled")
async def test_binary_sensors(
    hass: HomeAssistant,
    still_clip_path: Path,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """A still scene: motion and tampering are off, with no attributes yet."""
    with only_platform(Platform.BINARY_SENSOR):
        entry = await setup_camera(hass, str(still_clip_path), entry_id=SNAPSHOT_ENTRY_ID)
    await wait_for(lambda: state_of(hass, "binary_sensor.porch_motion") == STATE_OFF, 10)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
    await hass.config_entries.async_unload(entry.entry_id)
