"""Who may do what, per surface, with Home Assistant's own users.

Reading (catalogue, events, snapshots, clips, media browser, websocket) is for every logged-in
user who may read the camera entity; changing the catalogue, making events and sending data out
are for administrators, and for automations and scripts (no user in the context).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
import shutil
import time
from typing import Any

from homeassistant.auth.const import GROUP_ID_USER
from homeassistant.auth.models import User
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import CLIENT_ID, MockUser
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.cam_events.const import DOMAIN, EVENT_CAM_EVENTS
from custom_components.cam_events.data import DATA_DOMAIN
from custom_components.cam_events.events.model import Event, new_event_id
from tests.common import setup_camera

PORCH = "camera.porch"
GARDEN = "camera.garden"
TYPES = f"/api/cam_events/cameras/{PORCH}/event_processing/events/"
EVENTS = f"/api/cam_events/cameras/{PORCH}/events/"

# Every service that changes configuration, makes events or sends data out, with data that
# passes its schema (so a refusal can only come from the user check).
ADMIN_SERVICES: dict[str, dict[str, Any]] = {
    "add_event_type": {"camera": PORCH, "name": "doorbell"},
    "update_event_type": {"camera": PORCH, "name": "motion", "receive": False},
    "remove_event_type": {"camera": PORCH, "name": "doorbell"},
    "create_event": {"camera": PORCH, "type": "manual"},
    "trigger_event": {"camera": PORCH, "type": "manual"},
    "record": {"camera": PORCH, "duration": 1},
    "send_email": {"camera": PORCH, "profile": "Mail", "to": "thief@example.com"},
    "upload_ftp": {"camera": PORCH, "profile": "FTP"},
    "push_http": {"camera": PORCH, "profile": "Web"},
    "push_udp": {"camera": PORCH, "profile": "UDP"},
    "save_snapshot": {"camera": PORCH, "profile": "Disk"},
    "retry_failed": {},
    "notify_phones": {"camera": PORCH, "devices": ["not-a-phone"], "message": "hi"},
}


@dataclass
class Login:
    """A Home Assistant user and an access token of theirs."""

    user: User
    token: str


async def _token(hass: HomeAssistant, user: User) -> str:
    refresh = await hass.auth.async_create_refresh_token(user, CLIENT_ID)
    return hass.auth.async_create_access_token(refresh)


@pytest.fixture
async def logins(
    hass: HomeAssistant,
    hass_admin_user: MockUser,
    hass_access_token: str,
    hass_read_only_user: MockUser,
    hass_read_only_access_token: str,
) -> dict[str, Login]:
    """Admin, read-only, an ordinary user, and a user whose policy allows only the garden."""
    user = await hass.auth.async_create_user("Tablet", group_ids=[GROUP_ID_USER])
    users_group = await hass.auth.async_get_group(GROUP_ID_USER)
    assert users_group is not None
    restricted = MockUser(name="Garden only", groups=[users_group]).add_to_hass(hass)
    restricted.mock_policy({"entities": {"entity_ids": {GARDEN: True}}})
    return {
        "admin": Login(hass_admin_user, hass_access_token),
        "read_only": Login(hass_read_only_user, hass_read_only_access_token),
        "user": Login(user, await _token(hass, user)),
        "restricted": Login(restricted, await _token(hass, restricted)),
    }


@pytest.fixture
async def cameras(
    hass: HomeAssistant, still_clip_path: Path, socket_enabled: None, tmp_path: Path
) -> AsyncIterator[dict[str, Any]]:
    """Two cameras, Porch and Garden, each with one triggered event (with a snapshot)."""
    garden_clip = tmp_path / "garden.mp4"
    shutil.copy(still_clip_path, garden_clip)
    porch = await setup_camera(hass, str(still_clip_path))
    garden = await setup_camera(hass, str(garden_clip), title="Garden")
    events = {}
    for entity_id in (PORCH, GARDEN):
        events[entity_id] = await hass.services.async_call(
            DOMAIN,
            "trigger_event",
            {"camera": entity_id, "type": "manual"},
            blocking=True,
            return_response=True,
        )
        assert events[entity_id]["snapshot"]
    yield {"porch": porch, "garden": garden, "events": events}
    for entry in (porch, garden):
        await hass.config_entries.async_unload(entry.entry_id)


async def _catalogue(hass: HomeAssistant) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "list_event_types", {"camera": PORCH}, blocking=True, return_response=True
    )
    return {t["name"]: t for t in response["event_types"]}


async def _porch_total(hass: HomeAssistant) -> int:
    page = await hass.services.async_call(
        DOMAIN, "list_events", {"camera": PORCH}, blocking=True, return_response=True
    )
    return int(page["meta"]["total_count"])


@pytest.mark.parametrize("kind", ["admin", "read_only", "user"])
async def test_http_reads_for_every_user(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    logins: dict[str, Login],
    cameras: dict[str, Any],
    kind: str,
) -> None:
    """Any logged-in user who may read the camera reads its catalogue, events and snapshot."""
    client = await hass_client(logins[kind].token)
    types = await client.get(TYPES)
    assert types.status == 200
    assert (await types.json())["objects"][0]["name"] == "motion"
    assert (await client.get(TYPES + "motion/")).status == 200
    page = await client.get(EVENTS)
    assert page.status == 200
    assert [e["id"] for e in (await page.json())["objects"]] == [cameras["events"][PORCH]["id"]]
    snapshot = await client.get(cameras["events"][PORCH]["snapshot"])
    assert snapshot.status == 200
    assert (await snapshot.read())[:2] == b"\xff\xd8"


@pytest.mark.parametrize("kind", ["read_only", "user", "restricted"])
async def test_http_changes_are_for_admins(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    logins: dict[str, Login],
    cameras: dict[str, Any],
    kind: str,
) -> None:
    """A wall tablet's token cannot switch motion off, edit types, or create/trigger events."""
    fired: list[Any] = []
    hass.bus.async_listen(EVENT_CAM_EVENTS, fired.append)
    client = await hass_client(logins[kind].token)
    for method, url, body in (
        ("post", TYPES, {"name": "doorbell"}),
        ("put", TYPES + "motion/", {"receive": False}),
        ("delete", TYPES + "snapshot/", None),
        ("post", EVENTS, {"type": "manual"}),
        ("post", EVENTS + "trigger/", {"type": "manual"}),
    ):
        response = await getattr(client, method)(url, json=body)
        assert response.status == 403, (kind, method, url)
        answer = await response.json()
        assert answer["code"] == "admin_only"
        assert answer["message"].startswith("Only Home Assistant administrators may do this")
    await hass.async_block_till_done()
    assert fired == []
    catalogue = await _catalogue(hass)
    assert catalogue["motion"]["receive"] is True
    assert "doorbell" not in catalogue
    assert await _porch_total(hass) == 1


async def test_http_changes_by_an_admin(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    logins: dict[str, Login],
    cameras: dict[str, Any],
) -> None:
    client = await hass_client(logins["admin"].token)
    assert (await client.post(TYPES, json={"name": "doorbell"})).status == 201
    assert (await client.put(TYPES + "doorbell/", json={"notify": True})).status == 200
    assert (await client.delete(TYPES + "doorbell/")).status == 204
    assert (await client.post(EVENTS, json={"type": "manual"})).status == 201
    assert (await client.post(EVENTS + "trigger/", json={"type": "manual"})).status == 201
    assert await _porch_total(hass) == 3


async def test_http_entity_permissions(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    logins: dict[str, Login],
    cameras: dict[str, Any],
) -> None:
    """A user whose policy does not let them read camera.porch sees nothing of it."""
    domain = hass.data[DATA_DOMAIN]
    folder = domain.recordings_dir / "Porch"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    (folder / "a.jpg").write_bytes(b"\xff\xd8thumb\xff\xd9")
    clip_event = Event(
        new_event_id(), cameras["porch"].entry_id, "motion", time.time(), clip="Porch/a.mp4"
    )
    await hass.async_add_executor_job(domain.store.add, clip_event)

    admin = await hass_client(logins["admin"].token)
    client = await hass_client(logins["restricted"].token)
    denied = (
        TYPES,
        TYPES + "motion/",
        EVENTS,
        cameras["events"][PORCH]["snapshot"],
        f"/api/cam_events/clips/{clip_event.id}.mp4",
        f"/api/cam_events/clips/{clip_event.id}.jpg",
    )
    for url in denied:
        assert (await admin.get(url)).status == 200, url
        response = await client.get(url)
        assert response.status == 403, url
        answer = await response.json()
        assert answer["code"] == "not_allowed"
        assert answer["message"].startswith("Your user may not read this camera")
    # The camera it may read answers as usual.
    garden = f"/api/cam_events/cameras/{GARDEN}/events/"
    assert (await client.get(garden)).status == 200
    assert (await client.get(cameras["events"][GARDEN]["snapshot"])).status == 200


@pytest.mark.parametrize("kind", ["read_only", "user"])
async def test_websocket_reads_for_every_user(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    logins: dict[str, Login],
    cameras: dict[str, Any],
    kind: str,
) -> None:
    ws = await hass_ws_client(hass, logins[kind].token)
    await ws.send_json({"id": 1, "type": "cam_events/event_types", "camera": PORCH})
    assert (await ws.receive_json())["success"]
    await ws.send_json({"id": 2, "type": "cam_events/events"})
    result = await ws.receive_json()
    assert result["result"]["meta"]["total_count"] == 2
    await ws.send_json({"id": 3, "type": "cam_events/subscribe", "camera": PORCH})
    assert (await ws.receive_json())["success"]
    await hass.services.async_call(
        DOMAIN, "trigger_event", {"camera": PORCH, "type": "manual"}, blocking=True
    )
    message = await ws.receive_json()
    assert message["id"] == 3
    assert message["event"]["event"]["camera"] == PORCH


async def test_websocket_entity_permissions(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    logins: dict[str, Login],
    cameras: dict[str, Any],
) -> None:
    """The Garden-only user is refused Porch and never sees its events in lists or live."""
    ws = await hass_ws_client(hass, logins["restricted"].token)
    for msg_id, command in enumerate(
        ("cam_events/event_types", "cam_events/events", "cam_events/subscribe"), start=1
    ):
        await ws.send_json({"id": msg_id, "type": command, "camera": PORCH})
        answer = await ws.receive_json()
        assert not answer["success"]
        assert answer["error"]["code"] == "unauthorized"
    await ws.send_json({"id": 10, "type": "cam_events/events"})
    page = (await ws.receive_json())["result"]
    assert page["meta"]["total_count"] == 1
    assert [e["camera"] for e in page["objects"]] == [GARDEN]

    await ws.send_json({"id": 11, "type": "cam_events/subscribe"})
    assert (await ws.receive_json())["success"]
    for camera in (PORCH, GARDEN):
        await hass.services.async_call(
            DOMAIN, "trigger_event", {"camera": camera, "type": "manual"}, blocking=True
        )
    message = await ws.receive_json()  # the Porch event was never sent
    assert message["id"] == 11
    assert message["event"]["event"]["camera"] == GARDEN


@pytest.mark.parametrize("kind", ["read_only", "user"])
async def test_admin_services_refuse_other_users(
    hass: HomeAssistant, logins: dict[str, Login], cameras: dict[str, Any], kind: str
) -> None:
    """Every configuration, event and delivery service refuses a non-admin user's call."""
    context = Context(user_id=logins[kind].user.id)
    fired: list[Any] = []
    hass.bus.async_listen(EVENT_CAM_EVENTS, fired.append)
    for service, data in ADMIN_SERVICES.items():
        with pytest.raises(Unauthorized):
            await hass.services.async_call(
                DOMAIN, service, data, blocking=True, context=context, return_response=True
            )
    await hass.async_block_till_done()
    assert fired == []
    catalogue = await _catalogue(hass)
    assert catalogue["motion"]["receive"] is True
    assert "doorbell" not in catalogue
    assert await _porch_total(hass) == 1


async def test_admin_services_for_an_admin(
    hass: HomeAssistant, logins: dict[str, Login], cameras: dict[str, Any]
) -> None:
    """An admin's call passes the user check (a delivery then needs a real profile)."""
    context = Context(user_id=logins["admin"].user.id)
    for service, data in ADMIN_SERVICES.items():
        if "profile" in data or "devices" in data:
            with pytest.raises(ServiceValidationError) as err:
                await hass.services.async_call(
                    DOMAIN, service, data, blocking=True, context=context, return_response=True
                )
            expected = "unknown_profile" if "profile" in data else "unknown_phone"
            assert err.value.translation_key == expected, service
        else:
            await hass.services.async_call(
                DOMAIN, service, data, blocking=True, context=context, return_response=True
            )
    assert (await _catalogue(hass))["motion"]["receive"] is False
    assert await _porch_total(hass) == 4  # the first, create_event, trigger_event, record


async def test_reading_services_per_user(
    hass: HomeAssistant, logins: dict[str, Login], cameras: dict[str, Any]
) -> None:
    for kind in ("read_only", "user"):
        context = Context(user_id=logins[kind].user.id)
        types = await hass.services.async_call(
            DOMAIN,
            "list_event_types",
            {"camera": PORCH},
            blocking=True,
            context=context,
            return_response=True,
        )
        assert types["event_types"][0]["name"] == "motion"
        page = await hass.services.async_call(
            DOMAIN, "list_events", {}, blocking=True, context=context, return_response=True
        )
        assert page["meta"]["total_count"] == 2

    context = Context(user_id=logins["restricted"].user.id)
    for service in ("list_event_types", "list_events"):
        with pytest.raises(Unauthorized):
            await hass.services.async_call(
                DOMAIN,
                service,
                {"camera": PORCH},
                blocking=True,
                context=context,
                return_response=True,
            )
    page = await hass.services.async_call(
        DOMAIN, "list_events", {}, blocking=True, context=context, return_response=True
    )
    assert [e["camera"] for e in page["objects"]] == [GARDEN]


async def test_scripts_and_automations_keep_working(
    hass: HomeAssistant, cameras: dict[str, Any]
) -> None:
    """A script and an automation (no user in their context) call the admin services."""
    assert await async_setup_component(
        hass,
        "script",
        {
            "script": {
                "doorbell": {
                    "sequence": [
                        {
                            "action": "cam_events.add_event_type",
                            "data": {"camera": PORCH, "name": "doorbell"},
                        },
                        {
                            "action": "cam_events.trigger_event",
                            "data": {"camera": PORCH, "type": "doorbell"},
                        },
                    ]
                }
            }
        },
    )
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "trigger": {"trigger": "event", "event_type": "test_go"},
                "action": {
                    "action": "cam_events.update_event_type",
                    "data": {"camera": PORCH, "name": "doorbell", "notify": True},
                },
            }
        },
    )
    await hass.services.async_call("script", "doorbell", blocking=True)
    hass.bus.async_fire("test_go")
    await hass.async_block_till_done()
    catalogue = await _catalogue(hass)
    assert catalogue["doorbell"]["notify"] is True
    assert await _porch_total(hass) == 2


async def test_media_browser_honours_entity_permissions(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    logins: dict[str, Login],
    cameras: dict[str, Any],
) -> None:
    assert await async_setup_component(hass, "media_source", {})
    domain = hass.data[DATA_DOMAIN]
    clip_event = Event(
        new_event_id(), cameras["porch"].entry_id, "motion", time.time(), clip="Porch/a.mp4"
    )
    await hass.async_add_executor_job(domain.store.add, clip_event)
    root = f"media-source://{DOMAIN}"
    clip_id = f"{root}/{cameras['porch'].entry_id}/day/clip/{clip_event.id}"
    for kind, titles in (("read_only", ["Garden", "Porch"]), ("restricted", ["Garden"])):
        ws = await hass_ws_client(hass, logins[kind].token)
        await ws.send_json({"id": 1, "type": "media_source/browse_media", "media_content_id": root})
        answer = await ws.receive_json()
        assert [c["title"] for c in answer["result"]["children"]] == titles, kind
        await ws.send_json(
            {
                "id": 2,
                "type": "media_source/browse_media",
                "media_content_id": f"{root}/{cameras['porch'].entry_id}",
            }
        )
        answer = await ws.receive_json()
        assert answer["success"] is (kind == "read_only"), kind
        await ws.send_json(
            {"id": 3, "type": "media_source/resolve_media", "media_content_id": clip_id}
        )
        answer = await ws.receive_json()
        assert answer["success"] is (kind == "read_only"), kind
        if kind == "read_only":
            assert "authSig=" in answer["result"]["url"]


async def test_a_call_from_an_unknown_user_is_refused(
    hass: HomeAssistant, cameras: dict[str, Any]
) -> None:
    """A context naming a user that does not exist (deleted) reads nothing."""
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "list_events",
            {},
            blocking=True,
            context=Context(user_id="no-such-user"),
            return_response=True,
        )


async def test_camera_entity_services_follow_home_assistant(
    hass: HomeAssistant, logins: dict[str, Login], cameras: dict[str, Any]
) -> None:
    """camera.disable_motion_detection is HA's entity service: read-only may not, admin may."""
    read_only = Context(user_id=logins["read_only"].user.id)
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            "camera", "disable_motion_detection", {"entity_id": PORCH}, True, read_only
        )
    assert hass.states.get(PORCH).attributes.get("motion_detection") is True
    admin = Context(user_id=logins["admin"].user.id)
    await hass.services.async_call(
        "camera", "disable_motion_detection", {"entity_id": PORCH}, True, admin
    )
    await hass.async_block_till_done()
    assert not hass.states.get(PORCH).attributes.get("motion_detection")
