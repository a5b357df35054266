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
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import numpy as np
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cam_events.const import DOMAIN
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


async def _phone(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, push_url: str
) -> tuple[Any, dr.DeviceEntry]:
    """Register a phone as the companion app does; return the logged-in client and its device."""
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
    return client, phone


async def _phone_automation(hass: HomeAssistant, phone: dr.DeviceEntry) -> None:
    """Add the blueprint's automation as a user does: in configuration.yaml, then reload."""
    target = Path(hass.config.path("blueprints", "automation", "cam_events"))
    await hass.async_add_executor_job(
        lambda: shutil.copytree(BLUEPRINTS, target, dirs_exist_ok=True)
    )
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


async def _events(hass: HomeAssistant) -> list[dict[str, Any]]:
    page = await hass.services.async_call(
        DOMAIN, "list_events", {"camera": CAMERA}, blocking=True, return_response=True
    )
    assert page is not None
    return [e for e in page["objects"] if e["type"] == "motion"]  # type: ignore[union-attr]


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
    client, phone = await _phone(hass, hass_client, push_url)
    await _phone_automation(hass, phone)

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


@pytest.mark.enable_socket
async def test_a_snoozed_push_is_recorded_as_suppressed(
    hass: HomeAssistant,
    rtsp_server: RtspServer,
    push_receiver: tuple[str, list[dict[str, Any]]],
    hass_client: ClientSessionGenerator,
) -> None:
    """The push held back by the snooze is in the event's handler results, like a profile's."""
    push_url, pushes = push_receiver
    await setup_camera(hass, rtsp_server.url)
    await wait_for(lambda: state_of(hass, MOTION) == "off", 10)
    _client, phone = await _phone(hass, hass_client, push_url)
    await _phone_automation(hass, phone)

    await _motion(hass, rtsp_server)
    await wait_for(lambda: len(pushes) == 1, 10)
    await hass.async_block_till_done()
    sent = (await _events(hass))[0]
    assert [(h["handler"], h["profile"], h["status"]) for h in sent["handlers"]] == [
        ("notify_phones", "Pixel 9", "sent")
    ]
    assert pushes[0]["data"]["image"] == f"/api/cam_events/snapshots/{sent['id']}.jpg"

    snooze = pushes[0]["data"]["actions"][0]["action"]
    hass.bus.async_fire("mobile_app_notification_action", {"action": snooze})
    await hass.async_block_till_done()
    await _motion(hass, rtsp_server)
    await hass.async_block_till_done()
    events = await _events(hass)
    assert len(events) == 2
    held = next(e for e in events if e["id"] != sent["id"])
    assert len(pushes) == 1  # snoozed: no push
    assert [(h["handler"], h["profile"], h["status"], h["reason"]) for h in held["handlers"]] == [
        ("notify_phones", "Pixel 9", "suppressed", "snoozed")
    ]
    assert 1700 < held["handlers"][0]["retry_in"] <= 1800


async def test_only_companion_app_devices_are_phones(hass: HomeAssistant, camera: Any) -> None:
    """A device that is not a mobile_app device is refused, translated, before anything goes."""
    other = MockConfigEntry(domain="zha", title="Hub")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("zha", "hub")}, name="Hub"
    )
    await hass.services.async_call(
        DOMAIN, "trigger_event", {"camera": CAMERA, "type": "manual"}, blocking=True
    )
    for device_id in (device.id, "no-such-device"):
        with pytest.raises(ServiceValidationError) as caught:
            await hass.services.async_call(
                DOMAIN,
                "notify_phones",
                {"camera": CAMERA, "devices": [device_id], "message": "hi"},
                blocking=True,
                return_response=True,
            )
        assert caught.value.translation_key == "unknown_phone"
        assert caught.value.translation_placeholders == {"device": device_id}
