"""End to end: the phone blueprint with Home Assistant's real mobile_app and a push receiver.

A device registers as the companion app does, with a push URL on 127.0.0.1; real motion on
the RTSP peer makes the receiver get the push with the path of the event's own snapshot,
which the device's login fetches; the Snooze action pauses the camera.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import io
import json
from pathlib import Path
import shutil
import time
from typing import Any

from aiohttp import web
import av
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import numpy as np
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from tests.common import setup_camera, state_of, wait_for
from tests.peers.rtsp import RtspServer

BLUEPRINTS = Path(__file__).parent.parent / "blueprints" / "automation" / "cam_events"
CAMERA = "camera.porch"
MOTION = "binary_sensor.porch_motion"


@pytest.fixture
async def push_receiver(socket_enabled: None) -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A push server on 127.0.0.1 that keeps what it receives."""
    received: list[dict[str, Any]] = []

    async def push(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({}, status=201)

    app = web.Application()
    app.router.add_post("/push", push)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/push", received
    await runner.cleanup()


def _gray(jpeg: bytes) -> np.ndarray[Any, np.dtype[np.int16]]:
    with av.open(io.BytesIO(jpeg)) as container:
        frame = next(container.decode(video=0))
    return frame.to_ndarray(format="gray").astype(np.int16)


def _changed_share(first: bytes, second: bytes) -> float:
    """Return the share of pixels whose brightness differs by more than 25 levels."""
    return float((np.abs(_gray(first) - _gray(second)) > 25).mean())


async def _motion(hass: HomeAssistant, rtsp: RtspServer) -> None:
    rtsp.set_motion(True)
    await wait_for(lambda: state_of(hass, MOTION) == "on", 10)
    rtsp.set_motion(False)
    await wait_for(lambda: state_of(hass, MOTION) == "off", 10)


@pytest.mark.enable_socket
async def test_motion_pushes_the_event_snapshot_and_snooze_stops_it(
    hass: HomeAssistant,
    rtsp_server: RtspServer,
    push_receiver: tuple[str, list[dict[str, Any]]],
    hass_client: ClientSessionGenerator,
) -> None:
    push_url, pushes = push_receiver
    await setup_camera(hass, rtsp_server.url)
    await wait_for(lambda: state_of(hass, MOTION) == "off", 10)
    target = Path(hass.config.path("blueprints", "automation", "cam_events"))
    await hass.async_add_executor_job(
        lambda: shutil.copytree(BLUEPRINTS, target, dirs_exist_ok=True)
    )
    # Every view exists before the HTTP test server starts (its router is frozen then).
    for component in ("notify", "mobile_app", "automation"):
        assert await async_setup_component(hass, component, {})
    await hass.async_block_till_done()
    client = await hass_client()
    response = await client.post(
        "/api/mobile_app/registrations",
        json={
            "app_id": "io.homeassistant.companion.android",
            "app_name": "Home Assistant",
            "app_version": "2026.10",
            "device_name": "Pixel 9",
            "manufacturer": "Google",
            "model": "Pixel 9",
            "os_name": "Android",
            "os_version": "16",
            "supports_encryption": False,
            "device_id": "pixel-9",
            "app_data": {"push_url": push_url, "push_token": "token-1"},
        },
    )
    assert response.status == 201
    await hass.async_block_till_done()
    assert hass.services.has_service("notify", "mobile_app_pixel_9")
    phone = next(d for d in dr.async_get(hass).devices if d.name == "Pixel 9")
    assert phone is not None

    # The automation, as a user adds it: in configuration.yaml, then reloaded.
    config = {
        "automation": [
            {
                "use_blueprint": {
                    "path": "cam_events/motion_to_phone.yaml",
                    "input": {"camera": CAMERA, "phones": [phone.id], "cooldown": 0},
                }
            }
        ]
    }
    await hass.async_add_executor_job(
        Path(hass.config.path("configuration.yaml")).write_text, json.dumps(config)
    )
    await hass.services.async_call("automation", "reload", blocking=True)
    await hass.async_block_till_done()

    still = await (await client.get(f"/api/camera_proxy/{CAMERA}")).read()
    started = time.monotonic()
    await _motion(hass, rtsp_server)
    await wait_for(lambda: len(pushes) >= 1, 10)
    push = pushes[0]
    assert push["push_token"] == "token-1"
    image = push["data"]["image"]
    assert image.startswith("/api/cam_events/snapshots/")
    assert time.monotonic() - started < 30
    # The image path is the event's own snapshot, fetched with a login.
    jpeg = await client.get(image)
    assert jpeg.status == 200
    moving = await jpeg.read()
    assert moving[:2] == b"\xff\xd8"
    changed = await hass.async_add_executor_job(_changed_share, still, moving)
    assert changed > 0.005, changed  # the moving frame, not the still scene
    snooze = push["data"]["actions"][0]["action"]
    assert snooze == f"CAM_EVENTS_SNOOZE_{CAMERA}"

    hass.bus.async_fire("mobile_app_notification_action", {"action": snooze})
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.porch_notifications_paused_until") not in (None, "unknown")
    count = len(pushes)
    await _motion(hass, rtsp_server)
    await hass.async_block_till_done()
    await hass.async_add_executor_job(time.sleep, 0.5)
    assert len(pushes) == count  # paused: no push
