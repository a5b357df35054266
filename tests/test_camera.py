"""The camera platform as Home Assistant shows it: registry entry, state and device."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.cam_events.const import DOMAIN
from tests.common import SNAPSHOT_ENTRY_ID, only_platform, setup_camera, state_of, wait_for
from tests.peers.mjpeg import MjpegServer
from tests.peers.rtsp import RtspServer

CAMERA = "camera.porch"


@pytest.mark.usefixtures("steady_entities")
@pytest.mark.enable_socket
async def test_rtsp_camera(
    hass: HomeAssistant,
    rtsp_server: RtspServer,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """An RTSP camera streams live through Home Assistant and has its own device."""
    with only_platform(Platform.CAMERA):
        entry = await setup_camera(hass, rtsp_server.url, entry_id=SNAPSHOT_ENTRY_ID)
    await wait_for(lambda: state_of(hass, CAMERA) == "streaming", 10)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, SNAPSHOT_ENTRY_ID), SNAPSHOT_ENTRY_ID
    )
    assert device == snapshot(name="device")
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("steady_entities")
@pytest.mark.enable_socket
async def test_mjpeg_camera(
    hass: HomeAssistant,
    mjpeg_server: MjpegServer,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """An MJPEG camera offers stills only: no stream feature."""
    with only_platform(Platform.CAMERA):
        entry = await setup_camera(hass, mjpeg_server.url, entry_id=SNAPSHOT_ENTRY_ID)
    await wait_for(lambda: state_of(hass, CAMERA) == "streaming", 10)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
    await hass.config_entries.async_unload(entry.entry_id)
