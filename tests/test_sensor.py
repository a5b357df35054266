"""The sensor platform as Home Assistant shows it: a camera's diagnostics, a profile's health."""

from __future__ import annotations

from pathlib import Path

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.cam_events.const import DOMAIN
from tests.common import (
    PEER_PASSWORD,
    PEER_USER,
    SNAPSHOT_ENTRY_ID,
    only_platform,
    setup_camera,
    state_of,
    wait_for,
)
from tests.peers.smtp import SmtpServer

PROFILE_ENTRY_ID = "01JCAMEVENTSMAIL0000000000"


@pytest.mark.usefixtures("steady_entities", "entity_registry_enabled_by_default", "socket_enabled")
async def test_camera_sensors(
    hass: HomeAssistant,
    still_clip_path: Path,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """A streaming camera: state streaming, no error, frame rates not measured yet."""
    with only_platform(Platform.SENSOR):
        entry = await setup_camera(hass, str(still_clip_path), entry_id=SNAPSHOT_ENTRY_ID)
    await wait_for(lambda: state_of(hass, "sensor.porch_stream_state") == "streaming", 10)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("socket_enabled")
async def test_frame_rates_are_disabled_by_default(
    hass: HomeAssistant, still_clip_path: Path, entity_registry: er.EntityRegistry
) -> None:
    """Frame rates change every few seconds: a user switches them on, the rest are on."""
    entry = await setup_camera(hass, str(still_clip_path))
    disabled = {
        e.entity_id: e.disabled_by
        for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if e.domain == "sensor"
    }
    assert disabled == {
        "sensor.porch_stream_state": None,
        "sensor.porch_decoded_frame_rate": er.RegistryEntryDisabler.INTEGRATION,
        "sensor.porch_detection_frame_rate": er.RegistryEntryDisabler.INTEGRATION,
        "sensor.porch_last_error": None,
        "sensor.porch_notifications_paused_until": None,
    }
    assert hass.states.get("sensor.porch_decoded_frame_rate") is None
    await hass.config_entries.async_unload(entry.entry_id)


async def test_profile_sensors(
    hass: HomeAssistant,
    smtp: SmtpServer,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """An e-mail profile as the config flow stores it: its health sensors and service device."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id=PROFILE_ENTRY_ID,
        title="Mail",
        unique_id="profile:mail",
        data={
            "kind": "smtp",
            "host": "127.0.0.1",
            "port": smtp.port,
            "security": "starttls",
            "auth": True,
            "username": PEER_USER,
            "password": PEER_PASSWORD,
            "sender": "camera@example.com",
            "recipients": "owner@example.com, second@example.com",
            "timeout": 5.0,
            "verify_ssl": False,
            "max_attachment_mb": 10.0,
        },
    )
    entry.add_to_hass(hass)
    with only_platform(Platform.SENSOR):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, PROFILE_ENTRY_ID), PROFILE_ENTRY_ID
    )
    assert device == snapshot(name="device")
    await hass.config_entries.async_unload(entry.entry_id)
