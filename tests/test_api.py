"""HTTP API (with and without a token), websocket commands, logbook and device triggers."""

from __future__ import annotations

from typing import Any

from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_get_device_automations
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.cam_events.const import DOMAIN
from custom_components.cam_events.logbook import describe

CAMERA = "camera.porch"
TYPES = f"/api/cam_events/cameras/{CAMERA}/event_processing/events/"
EVENTS = f"/api/cam_events/cameras/{CAMERA}/events/"


async def test_no_token_is_401(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, camera: Any
) -> None:
    client = await hass_client_no_auth()
    for url in (TYPES, EVENTS):
        assert (await client.get(url)).status == 401
    assert (await client.post(EVENTS, json={"type": "motion"})).status == 401


async def test_event_types_api(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, camera: Any
) -> None:
    client = await hass_client()
    response = await client.get(TYPES)
    assert response.status == 200
    body = await response.json()
    assert body["meta"]["total_count"] == 5
    assert body["objects"][0]["name"] == "motion"

    response = await client.post(TYPES, json={"name": "doorbell", "notify": True})
    assert response.status == 201
    assert (await response.json())["notify"] is True
    response = await client.put(TYPES + "doorbell/", json={"receive": False})
    assert response.status == 200
    assert (await response.json())["receive"] is False
    response = await client.get(TYPES + "doorbell")
    assert (await response.json())["name"] == "doorbell"

    for method, url, kwargs, status, code in (
        ("post", TYPES, {"json": {"name": "x"}}, 400, "invalid_type_name"),
        ("post", TYPES, {"json": {"name": "doorbell"}}, 400, "type_exists"),
        ("post", TYPES, {"json": {"name": "bell", "colour": 1}}, 400, "unknown_setting"),
        ("post", TYPES, {"json": {"name": "bell", "caps": [1]}}, 400, "invalid_capability"),
        ("post", TYPES, {"data": "{not json"}, 400, "invalid_json"),
        ("post", TYPES, {"json": ["name"]}, 400, "body_not_object"),
        ("put", TYPES + "motion/", {"json": {"period": 5}}, 400, "not_periodic"),
        ("put", TYPES + "motion/", {"json": {"can_record": False}}, 400, "read_only_capability"),
        ("put", TYPES + "nothing/", {"json": {"notify": True}}, 404, "unknown_type"),
        ("delete", TYPES + "motion/", {}, 400, "builtin_type"),
        ("get", "/api/cam_events/cameras/camera.none/events/", {}, 404, "unknown_camera"),
    ):
        response = await getattr(client, method)(url, **kwargs)
        assert response.status == status, (method, url)
        body = await response.json()
        assert body["code"] == code
        assert body["message"]
        assert body["message"] != code  # a translated sentence

    assert (await client.delete(TYPES + "doorbell/")).status == 204
    names = [t["name"] for t in (await (await client.get(TYPES)).json())["objects"]]
    assert "doorbell" not in names


async def test_events_api(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, camera: Any
) -> None:
    client = await hass_client()
    response = await client.post(
        EVENTS,
        json={
            "type": "motion",
            "time": "2026-11-28T10:00:00Z",
            "duration": 4,
            "metadata": {"a": 1},
        },
    )
    assert response.status == 201
    created = await response.json()
    assert created["start"] == "2026-11-28T10:00:00.000Z"
    assert created["end"] == "2026-11-28T10:00:04.000Z"
    assert created["camera"] == CAMERA

    response = await client.post(EVENTS + "trigger/", json={"type": "manual"})
    assert response.status == 201
    triggered = await response.json()
    assert triggered["metadata"]["triggered"] is True
    snapshot = await client.get(triggered["snapshot"])
    assert snapshot.status == 200
    assert snapshot.content_type == "image/jpeg"
    assert (await snapshot.read())[:2] == b"\xff\xd8"
    assert (
        await client.get("/api/cam_events/snapshots/01ABCDEFGHJKMNPQRSTVWXYZ00.jpg")
    ).status == 404

    for _ in range(3):
        await client.post(EVENTS, json={"type": "net"})
    page = await (await client.get(EVENTS, params={"limit": 2})).json()
    assert page["meta"]["total_count"] == 5
    assert "offset=2" in page["meta"]["next"]
    assert page["meta"]["previous"] is None
    page = await (await client.get(EVENTS, params={"type": "motion"})).json()
    assert [e["id"] for e in page["objects"]] == [created["id"]]
    page = await (
        await client.get(EVENTS, params={"from": "2026-11-28T09:59:59Z", "to": "1795860001"})
    ).json()
    assert [e["id"] for e in page["objects"]] == [created["id"]]

    for url, body, status, code in (
        (EVENTS, {"type": "nope"}, 404, "unknown_type"),
        (EVENTS, {"type": "motion", "metadata": [1, 2]}, 400, "metadata_not_object"),
        (EVENTS, {"type": "motion", "metadata": "x"}, 400, "metadata_not_object"),
        (EVENTS, {"type": "motion", "time": "yesterday"}, 400, "invalid_time"),
        (EVENTS, {"type": "motion", "duration": -1}, 400, "invalid_duration"),
        (EVENTS, {"type": "motion", "duration": "long"}, 400, "invalid_duration"),
        (EVENTS, {"metadata": {}}, 404, "unknown_type"),
        (EVENTS + "trigger/", {"type": "motion"}, 400, "not_triggerable"),
        (EVENTS + "trigger/", {"type": "ghost"}, 404, "unknown_type"),
    ):
        response = await client.post(url, json=body)
        assert response.status == status, body
        assert (await response.json())["code"] == code
    for params in ({"limit": 0}, {"offset": -1}, {"limit": "ten"}):
        response = await client.get(EVENTS, params=params)
        assert response.status == 400
        assert (await response.json())["code"] == "invalid_paging"
    # A limit over the cap is lowered to it, and the answer says so.
    page = await (await client.get(EVENTS, params={"limit": 5000})).json()
    assert page["meta"]["limit"] == page["meta"]["max_limit"] == 1000
    assert len(page["objects"]) == 5
    response = await client.get(
        EVENTS, params={"from": "2026-11-29T00:00:00Z", "to": "2026-11-28T00:00:00Z"}
    )
    assert (await response.json())["code"] == "invalid_time_range"
    # Nothing from the bad requests was stored.
    assert (await (await client.get(EVENTS)).json())["meta"]["total_count"] == 5


async def test_websocket_commands(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, camera: Any
) -> None:
    ws = await hass_ws_client(hass)
    await ws.send_json({"id": 1, "type": "cam_events/event_types", "camera": CAMERA})
    result = await ws.receive_json()
    assert result["success"]
    assert result["result"]["event_types"][0]["name"] == "motion"

    await ws.send_json({"id": 2, "type": "cam_events/subscribe", "camera": CAMERA})
    assert (await ws.receive_json())["success"]
    await hass.services.async_call(
        DOMAIN, "trigger_event", {"camera": CAMERA, "type": "manual"}, blocking=True
    )
    message = await ws.receive_json()
    assert message["id"] == 2
    assert message["event"]["action"] == "created"
    assert message["event"]["event"]["type"] == "manual"

    await ws.send_json({"id": 3, "type": "cam_events/events", "camera": CAMERA, "limit": 10})
    result = await ws.receive_json()
    assert result["result"]["meta"]["total_count"] == 1
    await ws.send_json({"id": 4, "type": "cam_events/events", "limit": 0})
    assert (await ws.receive_json())["error"]["code"] == "invalid_paging"
    await ws.send_json({"id": 5, "type": "cam_events/event_types", "camera": "camera.x"})
    assert (await ws.receive_json())["error"]["code"] == "unknown_camera"
    await ws.send_json({"id": 6, "type": "cam_events/subscribe", "camera": "camera.x"})
    assert (await ws.receive_json())["error"]["code"] == "unknown_camera"


async def test_device_trigger(hass: HomeAssistant, camera: Any) -> None:
    """The device offers one trigger per event type, and the trigger fires on that type."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, camera.entry_id), camera.entry_id
    )
    assert device is not None
    triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, device.id)
    subtypes = {t["subtype"] for t in triggers if t["domain"] == DOMAIN}
    assert subtypes == {"motion", "net", "snapshot", "manual", "tamper"}

    calls: list[ServiceCall] = []
    hass.services.async_register("test", "record", calls.append)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "trigger": {
                    "platform": "device",
                    "domain": DOMAIN,
                    "device_id": device.id,
                    "type": "event",
                    "subtype": "manual",
                },
                "action": {"service": "test.record", "data": {"id": "{{ trigger.event.data.id }}"}},
            }
        },
    )
    await hass.services.async_call(
        DOMAIN, "create_event", {"camera": CAMERA, "type": "net"}, blocking=True
    )
    response = await hass.services.async_call(
        DOMAIN,
        "trigger_event",
        {"camera": CAMERA, "type": "manual"},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done()
    assert [call.data["id"] for call in calls] == [response["id"]]


def test_logbook_lines() -> None:
    assert describe({"type": "motion", "metadata": {"changed_area": 3.2}}) == (
        "detected motion over 3.2% of the picture"
    )
    assert describe({"type": "manual", "metadata": {"triggered": True}}) == (
        "recorded a manual event (triggered)"
    )
    assert describe({"type": "doorbell"}) == "reported a doorbell event"
