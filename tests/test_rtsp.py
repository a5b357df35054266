"""End to end against a real RTSP server: entities, motion, stream loss and return, auth."""

from __future__ import annotations

import os
import signal
import time

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest

from custom_components.cam_events.const import DOMAIN
from tests.common import setup_camera, state_of, wait_for
from tests.peers.rtsp import RtspServer

MOTION = "binary_sensor.porch_motion"
CAMERA = "camera.porch"
STREAM_STATE = "sensor.porch_stream_state"


@pytest.mark.enable_socket
async def test_motion_follows_the_scene(hass: HomeAssistant, rtsp_server: RtspServer) -> None:
    """Still scene: off; motion: on within 1 s of the first moving frame; then off after delay."""
    entry = await setup_camera(hass, rtsp_server.url)
    assert entry.state is ConfigEntryState.LOADED
    await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 10)
    assert state_of(hass, CAMERA) == "streaming"
    assert state_of(hass, STREAM_STATE) == "streaming"

    # The scene stays still: no motion for a while.
    time_still = time.monotonic()
    await wait_for(
        lambda: time.monotonic() - time_still > 2 or state_of(hass, MOTION) == STATE_ON, 5
    )
    assert state_of(hass, MOTION) == STATE_OFF

    started = rtsp_server.set_motion(True)
    seen = await wait_for(lambda: state_of(hass, MOTION) == STATE_ON, 5)
    assert seen - started < 1.0, f"motion seen {seen - started:.2f} s after the first moving frame"
    attributes = hass.states.get(MOTION).attributes
    assert attributes["changed_area"] > 0
    assert attributes["bounding_box"] is not None

    stopped = rtsp_server.set_motion(False)
    off = await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 6)
    # Off-delay is 1 s in these tests: never before it, and not much after.
    assert 1.0 <= off - stopped < 3.0

    worker = entry.runtime_data.stream.worker
    await hass.config_entries.async_unload(entry.entry_id)
    assert not worker.running


@pytest.mark.enable_socket
async def test_stream_lost_and_back(
    hass: HomeAssistant, rtsp_server: RtspServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Server killed during motion: unavailable within 10 s; back: available and detecting."""
    entry = await setup_camera(hass, rtsp_server.url)
    await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 10)
    rtsp_server.set_motion(True)
    await wait_for(lambda: state_of(hass, MOTION) == STATE_ON, 5)

    killed = time.time()
    rtsp_server.kill()
    gone = await wait_for(lambda: state_of(hass, MOTION) == STATE_UNAVAILABLE, 10)
    assert gone - killed < 10
    assert state_of(hass, CAMERA) == STATE_UNAVAILABLE
    assert state_of(hass, STREAM_STATE) == "reconnecting"
    assert entry.runtime_data.stream.motion is False  # never stuck on

    rtsp_server.start()
    await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 15)
    assert state_of(hass, STREAM_STATE) == "streaming"
    rtsp_server.set_motion(True)
    await wait_for(lambda: state_of(hass, MOTION) == STATE_ON, 5)
    # Logged once when lost and once when back, not on every retry.
    assert caplog.text.count("Camera Porch stream lost") == 1
    assert caplog.text.count("Camera Porch stream is back") == 1
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.enable_socket
async def test_frozen_server(hass: HomeAssistant, rtsp_server: RtspServer) -> None:
    """A camera that stops sending but keeps the socket open is noticed; unload stays prompt."""
    entry = await setup_camera(hass, rtsp_server.url)
    await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 10)
    assert rtsp_server.pid is not None
    os.kill(rtsp_server.pid, signal.SIGSTOP)
    try:
        frozen = time.time()
        gone = await wait_for(lambda: state_of(hass, MOTION) == STATE_UNAVAILABLE, 10)
        assert gone - frozen < 10
        assert hass.states.get("sensor.porch_last_error").state.startswith("no answer")
        worker = entry.runtime_data.stream.worker
        started = time.monotonic()
        await hass.config_entries.async_unload(entry.entry_id)
        assert time.monotonic() - started < 5
        assert not worker.running
    finally:
        os.kill(rtsp_server.pid, signal.SIGCONT)


@pytest.mark.enable_socket
async def test_wrong_password_starts_reauth(
    hass: HomeAssistant, rtsp_auth_server: RtspServer
) -> None:
    """A camera that refuses the stored password: setup fails with reauth, then recovers."""
    entry = await setup_camera(
        hass,
        rtsp_auth_server.url,
        data={CONF_USERNAME: "admin", CONF_PASSWORD: "wrong"},
    )
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]

    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "secret1"}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_PASSWORD] == "secret1"
    await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 10)
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.enable_socket
async def test_password_changed_while_running(
    hass: HomeAssistant, rtsp_auth_server: RtspServer
) -> None:
    """The camera starts answering 401 while the entry runs: a reauth flow appears."""
    entry = await setup_camera(
        hass,
        rtsp_auth_server.url,
        data={CONF_USERNAME: "admin", CONF_PASSWORD: "secret1"},
    )
    assert entry.state is ConfigEntryState.LOADED
    rtsp_auth_server.stop()
    rtsp_auth_server.password = "changed"
    rtsp_auth_server.start()
    await wait_for(lambda: state_of(hass, STREAM_STATE) == "auth_failed", 15)
    assert state_of(hass, MOTION) == STATE_UNAVAILABLE
    await wait_for(lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)), 5)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    await hass.config_entries.async_unload(entry.entry_id)
