"""A camera set to the adaptive decode mode, end to end against the real RTSP server."""

from __future__ import annotations

import time

from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
import pytest

from custom_components.cam_events.const import CONF_DECODE_MODE
from custom_components.cam_events.video.stream_worker import DecodeMode
from custom_components.cam_events.video.wake import WakeReason
from tests.common import setup_camera, state_of, wait_for
from tests.peers.rtsp import RtspServer

MOTION = "binary_sensor.porch_motion"


@pytest.mark.enable_socket
async def test_adaptive_camera_reports_motion(hass: HomeAssistant, rtsp_server: RtspServer) -> None:
    """Idle on a still scene (key frames only), awake and on within 1 s of motion, then off."""
    entry = await setup_camera(hass, rtsp_server.url, options={CONF_DECODE_MODE: "adaptive"})
    worker = entry.runtime_data.stream.worker
    assert worker.settings.decode_mode is DecodeMode.ADAPTIVE
    assert worker.settings.hold == 1.0  # the camera's off-delay
    await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 10)

    def idle() -> bool:
        stats = worker.adaptive
        return stats is not None and not stats.awake

    await wait_for(idle, 15)  # the wake rule has learnt the still scene
    assert state_of(hass, MOTION) == STATE_OFF

    started = rtsp_server.set_motion(True)
    seen = await wait_for(lambda: state_of(hass, MOTION) == STATE_ON, 5)
    assert seen - started < 1.0, f"motion seen {seen - started:.2f} s after the first moving frame"
    stats = worker.adaptive
    assert stats is not None
    assert stats.awake
    woke = {reason for reason, count in stats.wakes.items() if count}
    assert woke & {WakeReason.SIZE, WakeReason.SUSTAINED, WakeReason.KEY_FRAME}

    stopped = rtsp_server.set_motion(False)
    off = await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 6)
    assert 1.0 <= off - stopped < 3.0
    await wait_for(idle, 6)  # back to key frames only once the off-delay has passed
    assert time.time() - stopped < 8

    await hass.config_entries.async_unload(entry.entry_id)
    assert not worker.running
