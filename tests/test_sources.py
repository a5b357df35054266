"""MJPEG over HTTP and local files, end to end in Home Assistant."""

from __future__ import annotations

import io
from pathlib import Path
import time

import av
from homeassistant.components.camera import async_get_image, async_get_stream_source
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.cam_events.const import CONF_MOTION_DETECTION, DOMAIN
from tests.common import setup_camera, state_of, wait_for
from tests.peers.mjpeg import MjpegServer

MOTION = "binary_sensor.porch_motion"
CAMERA = "camera.porch"


@pytest.mark.enable_socket
async def test_mjpeg_motion_loss_and_return(hass: HomeAssistant, mjpeg_server: MjpegServer) -> None:
    """An HTTP MJPEG camera: motion on and off, server gone and back."""
    entry = await setup_camera(hass, mjpeg_server.url)
    assert entry.state is ConfigEntryState.LOADED
    await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 10)
    # MJPEG has no live stream for HA's stream component: stills only.
    assert await async_get_stream_source(hass, CAMERA) is None

    mjpeg_server.motion = True
    started = time.time()
    seen = await wait_for(lambda: state_of(hass, MOTION) == STATE_ON, 5)
    assert seen - started < 1.0
    mjpeg_server.motion = False
    await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 5)

    await mjpeg_server.stop()
    await wait_for(lambda: state_of(hass, MOTION) == STATE_UNAVAILABLE, 10)
    await mjpeg_server.start()
    await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 15)
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.enable_socket
async def test_mjpeg_flow_auth(hass: HomeAssistant, socket_enabled: None) -> None:
    """An MJPEG camera behind Basic auth: 401 is invalid_auth, the right password works."""
    server = MjpegServer(user="viewer", password="pass1234")
    await server.start()
    try:
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "camera"}
        )
        user_input = {CONF_NAME: "Gate", CONF_URL: server.url, CONF_USERNAME: "viewer"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**user_input, CONF_PASSWORD: "bad"}
        )
        assert result["errors"] == {"base": "invalid_auth"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**user_input, CONF_PASSWORD: "pass1234"}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        await wait_for(lambda: state_of(hass, "binary_sensor.gate_motion") == STATE_OFF, 10)
        await hass.config_entries.async_unload(result["result"].entry_id)
    finally:
        await server.stop()


@pytest.mark.enable_socket
async def test_file_source_loops_and_detects(hass: HomeAssistant, clip_path: Path) -> None:
    """A local clip plays in real time and loops: its moving part turns the sensor on each time."""
    entry = await setup_camera(hass, str(clip_path))
    for _ in range(2):  # two passes through a 6 s clip prove that it loops
        await wait_for(lambda: state_of(hass, MOTION) == STATE_ON, 8)
        await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 8)
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.enable_socket
async def test_camera_image_and_motion_switch(hass: HomeAssistant, clip_path: Path) -> None:
    """Stills are JPEGs of the decoded frame; the motion detection switch drives the detector."""
    entry = await setup_camera(hass, str(clip_path))
    runtime = entry.runtime_data.stream
    await wait_for(lambda: state_of(hass, CAMERA) == "streaming", 5)

    image = await async_get_image(hass, CAMERA)
    assert image.content_type == "image/jpeg"
    with av.open(io.BytesIO(image.content)) as container:
        frame = next(container.decode(video=0))
    assert (frame.width, frame.height) == (640, 360)
    # The same frame is encoded once: a second call returns the cached bytes.
    seq, _ = runtime.worker.latest_frame()  # type: ignore[misc]
    first = await runtime.async_snapshot()
    if runtime.worker.latest_frame()[0] == seq:  # type: ignore[index]
        assert await runtime.async_snapshot() is first

    assert hass.states.get(CAMERA).attributes["motion_detection"] is True
    await wait_for(lambda: state_of(hass, MOTION) == STATE_ON, 8)
    await hass.services.async_call(
        "camera", "disable_motion_detection", {ATTR_ENTITY_ID: CAMERA}, blocking=True
    )
    await hass.async_block_till_done()
    # Switching detection off ends motion at once: the sensor is never left on.
    assert state_of(hass, MOTION) == STATE_OFF
    assert entry.options[CONF_MOTION_DETECTION] is False
    # Home Assistant shows the attribute only while detection is on.
    assert "motion_detection" not in hass.states.get(CAMERA).attributes
    # With detection off, a full pass through the moving part of the clip stays off.
    deadline = time.monotonic() + 7
    await wait_for(lambda: state_of(hass, MOTION) == STATE_ON or time.monotonic() > deadline, 9)
    assert state_of(hass, MOTION) == STATE_OFF

    await hass.services.async_call(
        "camera", "enable_motion_detection", {ATTR_ENTITY_ID: CAMERA}, blocking=True
    )
    await wait_for(lambda: state_of(hass, MOTION) == STATE_ON, 8)
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.enable_socket
async def test_missing_file_is_not_ready(hass: HomeAssistant, tmp_path: Path) -> None:
    """A source that cannot be opened at start: setup retries later instead of failing for good."""
    entry = await setup_camera(hass, str(tmp_path / "gone.mp4"))
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "gone.mp4" not in (entry.reason or "")
