"""Masks and zones in Home Assistant: stored per camera, applied live, a sensor and switch each."""

from __future__ import annotations

from pathlib import Path
import time
from typing import Any

from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import Event, HomeAssistant, ServiceCall
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockUser,
    async_get_device_automations,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.cam_events.const import CONF_LAYOUT, DOMAIN, EVENT_CAM_EVENTS
from custom_components.cam_events.logbook import describe
from custom_components.cam_events.video.zones import Layout
from tests.common import add_profile, call, form_values, setup_camera, state_of, wait_for
from tests.peers.rtsp import RtspServer

CAMERA = "camera.porch"
MOTION = "binary_sensor.porch_motion"
# The RTSP peer's box (a quarter of the height) sweeps the whole width in the middle band
# (y 0.375..0.625 of the picture); the colour bars above and below never change.
PATH = [[0.0, 0.3], [1.0, 0.3], [1.0, 0.7], [0.0, 0.7]]
SKY = [[0.0, 0.0], [1.0, 0.0], [1.0, 0.2], [0.0, 0.2]]
ROAD = [[0.0, 0.25], [1.0, 0.25], [1.0, 0.75], [0.0, 0.75]]
WHOLE = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]


def zone(area_id: str, name: str, polygon: list[list[float]], **extra: Any) -> dict[str, Any]:
    return {"id": area_id, "name": name, "kind": "zone", "polygon": polygon, **extra}


def mask(area_id: str, name: str, polygon: list[list[float]]) -> dict[str, Any]:
    return {"id": area_id, "name": name, "kind": "mask", "polygon": polygon}


@pytest.mark.enable_socket
async def test_zones_and_a_mask_on_the_moving_box(
    hass: HomeAssistant, rtsp_server: RtspServer, hass_ws_client: WebSocketGenerator
) -> None:
    """A zone over the box's path goes on with the camera, a zone elsewhere stays off, the
    motion event names the zone; a mask over the path, set live, keeps the camera off."""
    layout = [zone("path", "Path", PATH), zone("sky", "Sky", SKY)]
    entry = await setup_camera(hass, rtsp_server.url, options={CONF_LAYOUT: layout})
    worker = entry.runtime_data.stream.worker
    assert worker.layout == Layout.from_data(layout)
    await wait_for(lambda: state_of(hass, "binary_sensor.porch_path_motion") == STATE_OFF, 10)
    assert state_of(hass, "binary_sensor.porch_sky_motion") == STATE_OFF
    events: list[Event] = []
    hass.bus.async_listen(EVENT_CAM_EVENTS, events.append)

    started = rtsp_server.set_motion(True)
    seen = await wait_for(lambda: state_of(hass, "binary_sensor.porch_path_motion") == STATE_ON, 5)
    camera_seen = await wait_for(lambda: state_of(hass, MOTION) == STATE_ON, 5)
    assert seen - started < 1.0, f"zone on {seen - started:.2f} s after the first moving frame"
    assert seen - camera_seen < 0.3  # the zone is as quick as the camera
    attributes = hass.states.get("binary_sensor.porch_path_motion").attributes
    assert 0 < attributes["changed_area"] <= 100
    x0, y0, x1, y1 = attributes["bounding_box"]
    assert 0.3 <= y0 < y1 <= 0.7
    assert 0 <= x0 < x1 <= 1
    await wait_for(lambda: time.time() - seen > 2.5, 5)  # a full sweep through the picture
    assert state_of(hass, "binary_sensor.porch_sky_motion") == STATE_OFF
    motion = next(e for e in events if e.data["type"] == "motion")
    assert motion.data["metadata"]["zones"] == ["Path"]
    assert describe(dict(motion.data)).startswith("detected motion in Path over ")

    rtsp_server.set_motion(False)
    await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 6)
    await wait_for(lambda: state_of(hass, "binary_sensor.porch_path_motion") == STATE_OFF, 6)
    await hass.async_block_till_done()
    stored = await hass.services.async_call(
        DOMAIN,
        "list_events",
        {"camera": CAMERA, "type": "motion"},
        blocking=True,
        return_response=True,
    )
    assert stored["objects"][0]["metadata"]["zones"] == ["Path"]

    # The admin's card saves a mask over the path: applied without a reload or a reconnect.
    ws = await hass_ws_client(hass)
    await ws.send_json(
        {
            "id": 1,
            "type": "cam_events/layout/set",
            "camera": CAMERA,
            "layout": [*layout, mask("road", "Road", ROAD)],
        }
    )
    answer = await ws.receive_json()
    assert answer["success"], answer
    assert answer["result"]["width"] == rtsp_server.width
    assert worker.layout is not None
    assert worker.layout.get("road") is not None
    assert entry.runtime_data.stream.worker is worker
    assert worker.running
    assert state_of(hass, "switch.porch_road_mask") == STATE_ON
    rtsp_server.set_motion(True)
    moving = time.time()
    await wait_for(lambda: time.time() - moving > 3 or state_of(hass, MOTION) == STATE_ON, 5)
    assert state_of(hass, MOTION) == STATE_OFF
    assert state_of(hass, "binary_sensor.porch_path_motion") == STATE_OFF

    # An automation switches the mask off: motion counts again, still without a restart.
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.porch_road_mask"}, blocking=True
    )
    assert state_of(hass, "switch.porch_road_mask") == STATE_OFF
    await wait_for(lambda: state_of(hass, MOTION) == STATE_ON, 5)
    assert entry.state is ConfigEntryState.LOADED
    assert worker.running
    rtsp_server.set_motion(False)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_switches_survive_a_restart_and_zones_come_and_go(
    hass: HomeAssistant, still_clip_path: Path, socket_enabled: None
) -> None:
    """Turning a zone off is stored; after a restart it is still off; deleted zones leave no
    entities behind."""
    layout = [zone("door", "Door", PATH), mask("tree", "Tree", SKY)]
    entry = await setup_camera(hass, str(still_clip_path), options={CONF_LAYOUT: layout})
    assert state_of(hass, "switch.porch_door_zone") == STATE_ON
    assert state_of(hass, "switch.porch_tree_mask") == STATE_ON
    assert state_of(hass, "binary_sensor.porch_door_motion") == STATE_OFF
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.porch_door_zone"}, blocking=True
    )
    worker = entry.runtime_data.stream.worker
    assert worker.layout is not None
    assert not worker.layout.areas[0].enabled
    assert entry.options[CONF_LAYOUT][0]["enabled"] is False

    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, "switch.porch_door_zone") == STATE_OFF
    assert state_of(hass, "switch.porch_tree_mask") == STATE_ON
    assert entry.runtime_data.stream.worker.layout == Layout.from_data(entry.options[CONF_LAYOUT])

    # The mask goes while the camera is unloaded; the zone goes live.
    await hass.config_entries.async_unload(entry.entry_id)
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_LAYOUT: [layout[0]]}
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    assert registry.async_get("switch.porch_tree_mask") is None
    assert state_of(hass, "switch.porch_door_zone") == STATE_ON  # the stored layout said so
    hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_LAYOUT: []})
    await hass.async_block_till_done()
    assert registry.async_get("binary_sensor.porch_door_motion") is None
    assert registry.async_get("switch.porch_door_zone") is None
    assert hass.states.get("binary_sensor.porch_door_motion") is None
    await hass.config_entries.async_unload(entry.entry_id)


async def test_websocket_layout_read_and_admin_set(
    hass: HomeAssistant,
    camera: Any,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_user: MockUser,
    hass_read_only_access_token: str,
) -> None:
    """Anyone who may read the camera reads the layout; only an admin sets it; a bad polygon
    answers with the translated reason."""
    reader = await hass_ws_client(hass, hass_read_only_access_token)
    await reader.send_json({"id": 1, "type": "cam_events/layout", "camera": CAMERA})
    answer = await reader.receive_json()
    assert answer["success"], answer
    assert answer["result"] == {"layout": [], "width": 640, "height": 360}
    await reader.send_json(
        {
            "id": 2,
            "type": "cam_events/layout/set",
            "camera": CAMERA,
            "layout": [zone("door", "Door", PATH)],
        }
    )
    answer = await reader.receive_json()
    assert not answer["success"]
    assert answer["error"]["code"] == "unauthorized"
    assert camera.runtime_data.stream.layout == Layout()

    admin = await hass_ws_client(hass)
    bowtie = [[0.1, 0.1], [0.9, 0.9], [0.9, 0.1], [0.1, 0.9]]
    for msg_id, polygon, code, text in (
        (3, bowtie, "polygon_self_crossing", "The polygon's edges 1 and 3 cross"),
        (4, [[0.1, 0.1], [0.5, 0.1]], "polygon_too_few_points", "at least 3 points"),
        (5, [[0.1, 0.1], [1.5, 0.1], [0.5, 0.5]], "polygon_out_of_range", "Point 2 is outside"),
        (6, [[0.1, "x"], [0.5, 0.1], [0.5, 0.5]], "polygon_invalid", "This is not a polygon"),
    ):
        await admin.send_json(
            {
                "id": msg_id,
                "type": "cam_events/layout/set",
                "camera": CAMERA,
                "layout": [zone("door", "Door", polygon)],
            }
        )
        answer = await admin.receive_json()
        assert not answer["success"]
        assert answer["error"]["code"] == code
        assert text in answer["error"]["message"]
    await admin.send_json(
        {
            "id": 7,
            "type": "cam_events/layout/set",
            "camera": CAMERA,
            "layout": [zone("door", "Door", PATH), zone("door", "Door 2", SKY)],
        }
    )
    assert (await admin.receive_json())["error"]["code"] == "layout_invalid"

    worker = camera.runtime_data.stream.worker
    await admin.send_json(
        {
            "id": 8,
            "type": "cam_events/layout/set",
            "camera": CAMERA,
            "layout": [zone("door", "Door", PATH)],
        }
    )
    answer = await admin.receive_json()
    assert answer["success"], answer
    assert answer["result"]["layout"][0]["id"] == "door"
    await hass.async_block_till_done()
    assert worker.layout == Layout.from_data([zone("door", "Door", PATH)])
    assert camera.runtime_data.stream.worker is worker
    assert worker.running
    assert state_of(hass, "binary_sensor.porch_door_motion") == STATE_OFF
    await reader.send_json({"id": 9, "type": "cam_events/layout", "camera": CAMERA})
    assert (await reader.receive_json())["result"]["layout"] == answer["result"]["layout"]


async def test_options_flow_adds_and_deletes_areas(hass: HomeAssistant, camera: Any) -> None:
    """Polygons typed as text: bad ones are refused with their reason, good ones stored; the
    detection form keeps them."""
    options = hass.config_entries.options
    result = await options.async_init(camera.entry_id)
    assert result["type"] is FlowResultType.MENU
    result = await options.async_configure(result["flow_id"], {"next_step_id": "areas"})
    assert result["menu_options"] == ["add_area", "done"]
    result = await options.async_configure(result["flow_id"], {"next_step_id": "add_area"})
    for text, reason in (
        ("0.1,0.2 0.5,0.2", "polygon_too_few_points"),
        ("0.1,0.2 1.5,0.2 0.5,0.8", "polygon_out_of_range"),
        ("0.1,0.1 0.9,0.9 0.9,0.1 0.1,0.9", "polygon_self_crossing"),
        ("0.1;0.2 a,b 0.5,0.8", "polygon_invalid"),
    ):
        result = await options.async_configure(
            result["flow_id"], {"name": "Drive way", "kind": "zone", "polygon": text}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"polygon": reason}
    result = await options.async_configure(
        result["flow_id"],
        {"name": "Drive way", "kind": "zone", "polygon": "0.1,0.2 0.5,0.2 0.5,0.8"},
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "areas"
    listed = result["description_placeholders"]["areas"]
    assert "Drive way (zone): `0.1,0.2 0.5,0.2 0.5,0.8`" in listed
    result = await options.async_configure(result["flow_id"], {"next_step_id": "add_area"})
    result = await options.async_configure(
        result["flow_id"], {"name": "drive-way", "kind": "mask", "polygon": "0,0 1,0 1,0.1"}
    )
    assert result["errors"] == {"name": "area_exists"}
    result = await options.async_configure(
        result["flow_id"], {"name": "Street", "kind": "mask", "polygon": "0,0 1,0 1,0.1"}
    )
    result = await options.async_configure(result["flow_id"], {"next_step_id": "done"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert [a["id"] for a in camera.options[CONF_LAYOUT]] == ["drive_way", "street"]
    assert state_of(hass, "binary_sensor.porch_drive_way_motion") == STATE_OFF
    assert state_of(hass, "switch.porch_street_mask") == STATE_ON
    assert camera.runtime_data.stream.worker.layout.get("street") is not None

    # The detection form does not drop the layout.
    result = await options.async_init(camera.entry_id)
    result = await options.async_configure(result["flow_id"], {"next_step_id": "detection"})
    defaults = form_values(result)
    result = await options.async_configure(result["flow_id"], {**defaults, "threshold": 40})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert len(camera.options[CONF_LAYOUT]) == 2

    result = await options.async_init(camera.entry_id)
    result = await options.async_configure(result["flow_id"], {"next_step_id": "areas"})
    result = await options.async_configure(result["flow_id"], {"next_step_id": "delete_area"})
    result = await options.async_configure(result["flow_id"], {"area": "street"})
    result = await options.async_configure(result["flow_id"], {"next_step_id": "done"})
    await hass.async_block_till_done()
    assert [a["id"] for a in camera.options[CONF_LAYOUT]] == ["drive_way"]
    assert hass.states.get("switch.porch_street_mask") is None


async def test_handler_zones_filter(hass: HomeAssistant, camera: Any, tmp_path: Path) -> None:
    """A handler call with `zones` delivers only events that touched one of them."""
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    hass.config.media_dirs = {"local": str(media)}
    hass.config.allowlist_external_dirs = {str(media)}
    await add_profile(hass, "local", {"name": "Disk", "folder": "cams", "pattern": "{id}"})

    event = await call(
        hass, "trigger_event", camera=CAMERA, type="manual", metadata={"zones": ["Driveway"]}
    )
    skipped = await call(
        hass, "save_snapshot", camera=CAMERA, profile="Disk", event_id=event["id"], zones=["Door"]
    )
    assert skipped["status"] == "skipped"
    assert skipped["reason"] == "zones"
    queued = await call(
        hass,
        "save_snapshot",
        camera=CAMERA,
        profile="Disk",
        event_id=event["id"],
        zones=["door", "driveway"],
    )
    assert queued["status"] == "queued"
    await wait_for(lambda: (media / "cams" / f"{event['id']}.jpg").exists(), 10)
    assert len(list((media / "cams").glob("*.jpg"))) == 1


async def test_motion_in_zone_device_trigger(
    hass: HomeAssistant, clip_path: Path, socket_enabled: None
) -> None:
    """The camera's device offers "motion in zone" per zone; it fires when the zone sees motion."""
    entry = await setup_camera(
        hass, str(clip_path), options={CONF_LAYOUT: [zone("yard", "Yard", WHOLE)]}
    )
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.entry_id), entry.entry_id
    )
    assert device is not None
    triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, device.id)
    ours = {(t["type"], t["subtype"]) for t in triggers if t["domain"] == DOMAIN}
    assert ("zone_motion", "yard") in ours
    assert ("event", "motion") in ours

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
                    "type": "zone_motion",
                    "subtype": "yard",
                },
                "action": {
                    "service": "test.record",
                    "data": {"to": "{{ trigger.to_state.state }}"},
                },
            }
        },
    )
    await wait_for(lambda: bool(calls), 15)
    assert calls[0].data["to"] == STATE_ON
    assert state_of(hass, "binary_sensor.porch_yard_motion") == STATE_ON
    await hass.config_entries.async_unload(entry.entry_id)


def _names(hass: HomeAssistant, *entity_ids: str) -> list[tuple[str, str | None]]:
    """Each entity's friendly name in its state and its name in the entity registry."""
    registry = er.async_get(hass)
    names = []
    for entity_id in entity_ids:
        entry = registry.async_get(entity_id)
        assert entry is not None, entity_id
        names.append((hass.states.get(entity_id).name, entry.original_name))
    return names


async def test_a_rename_in_the_card_renames_the_entities_at_once(
    hass: HomeAssistant, camera: Any, hass_ws_client: WebSocketGenerator
) -> None:
    """The card saves a zone and a mask under new names: their sensor and switches take them
    without a reload; the entity ids (and so the history) stay."""
    layout = [zone("door", "Door", PATH), mask("tree", "Tree", SKY)]
    entities = (
        "binary_sensor.porch_door_motion",
        "switch.porch_door_zone",
        "switch.porch_tree_mask",
    )
    ws = await hass_ws_client(hass)
    await ws.send_json(
        {"id": 1, "type": "cam_events/layout/set", "camera": CAMERA, "layout": layout}
    )
    assert (await ws.receive_json())["success"]
    await hass.async_block_till_done()
    assert _names(hass, *entities) == [
        ("Porch Door motion", "Door motion"),
        ("Porch Door zone", "Door zone"),
        ("Porch Tree mask", "Tree mask"),
    ]
    worker = camera.runtime_data.stream.worker

    renamed = [zone("door", "Front door", PATH), mask("tree", "Old oak", SKY)]
    await ws.send_json(
        {"id": 2, "type": "cam_events/layout/set", "camera": CAMERA, "layout": renamed}
    )
    assert (await ws.receive_json())["success"]
    await hass.async_block_till_done()
    assert _names(hass, *entities) == [
        ("Porch Front door motion", "Front door motion"),
        ("Porch Front door zone", "Front door zone"),
        ("Porch Old oak mask", "Old oak mask"),
    ]
    assert camera.runtime_data.stream.worker is worker
    assert camera.state is ConfigEntryState.LOADED
    # A name the user gave an entity stays theirs; the area's name still reaches the registry.
    er.async_get(hass).async_update_entity("switch.porch_door_zone", name="Gate switch")
    await ws.send_json(
        {
            "id": 3,
            "type": "cam_events/layout/set",
            "camera": CAMERA,
            "layout": [zone("door", "Back door", PATH), renamed[1]],
        }
    )
    assert (await ws.receive_json())["success"]
    await hass.async_block_till_done()
    assert _names(hass, "binary_sensor.porch_door_motion", "switch.porch_door_zone") == [
        ("Porch Back door motion", "Back door motion"),
        ("Gate switch", "Back door zone"),
    ]


@pytest.mark.enable_socket
async def test_options_flow_zone_minimum_area_and_rename(
    hass: HomeAssistant, rtsp_server: RtspServer
) -> None:
    """A zone's own minimum changed area, typed in the options: bad values are refused in
    words; a zone asking for half of itself ignores the box a zone with the camera's minimum
    sees; changed (and renamed) in the options, it sees the box, under its new name at once."""
    entry = await setup_camera(hass, rtsp_server.url)
    options = hass.config_entries.options

    async def areas_menu() -> Any:
        result = await options.async_init(entry.entry_id)
        return await options.async_configure(result["flow_id"], {"next_step_id": "areas"})

    result = await areas_menu()
    result = await options.async_configure(result["flow_id"], {"next_step_id": "add_area"})
    polygon = "0,0.3 1,0.3 1,0.7 0,0.7"
    result = await options.async_configure(
        result["flow_id"], {"name": "Low", "kind": "zone", "polygon": polygon}
    )
    assert result["type"] is FlowResultType.MENU
    result = await options.async_configure(result["flow_id"], {"next_step_id": "add_area"})
    for bad in (0.0, 0.001, 100.5, -3.0, float("nan"), float("inf")):
        result = await options.async_configure(
            result["flow_id"],
            {"name": "High", "kind": "zone", "polygon": polygon, "min_area": bad},
        )
        assert result["type"] is FlowResultType.FORM, bad
        assert result["errors"] == {"min_area": "zone_min_area_invalid"}, bad
    # Both wrong at once: both said.
    result = await options.async_configure(
        result["flow_id"], {"name": "High", "kind": "zone", "polygon": "0,0 1,0", "min_area": 200}
    )
    assert result["errors"] == {
        "polygon": "polygon_too_few_points",
        "min_area": "zone_min_area_invalid",
    }
    assert result["description_placeholders"] == {"count": "3"}  # the polygon message's
    result = await options.async_configure(
        result["flow_id"], {"name": "High", "kind": "zone", "polygon": polygon, "min_area": 50}
    )
    assert result["type"] is FlowResultType.MENU
    assert "High (zone, min 50 %)" in result["description_placeholders"]["areas"]
    # A mask has no minimum area: a value typed for it is not kept.
    result = await options.async_configure(result["flow_id"], {"next_step_id": "add_area"})
    result = await options.async_configure(
        result["flow_id"],
        {"name": "Top", "kind": "mask", "polygon": "0,0 1,0 1,0.1", "min_area": 5},
    )
    result = await options.async_configure(result["flow_id"], {"next_step_id": "done"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    stored = {a["id"]: a for a in entry.options[CONF_LAYOUT]}
    assert "min_area" not in stored["low"]
    assert stored["high"]["min_area"] == 50.0
    assert "min_area" not in stored["top"]
    assert entry.runtime_data.stream.worker.layout.get("high").min_area == 50.0

    started = rtsp_server.set_motion(True)
    seen = await wait_for(lambda: state_of(hass, "binary_sensor.porch_low_motion") == STATE_ON, 5)
    assert seen - started < 1.0
    await wait_for(lambda: time.time() - seen > 2.5, 5)  # a full sweep
    assert state_of(hass, "binary_sensor.porch_high_motion") == STATE_OFF

    # Changed in the options: a lower minimum and a new name, applied while the box moves.
    result = await areas_menu()
    assert result["menu_options"] == ["add_area", "edit_area", "delete_area", "done"]
    result = await options.async_configure(result["flow_id"], {"next_step_id": "edit_area"})
    result = await options.async_configure(result["flow_id"], {"area": "high"})
    assert result["step_id"] == "change_area"
    assert result["description_placeholders"] == {"name": "High"}
    shown = {
        key.schema: key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert shown == {"name": "High", "polygon": polygon, "min_area": 50.0}
    result = await options.async_configure(
        result["flow_id"], {"name": "low", "polygon": polygon, "min_area": 1}
    )
    assert result["errors"] == {"name": "area_exists"}
    result = await options.async_configure(
        result["flow_id"], {"name": "Gate", "polygon": polygon, "min_area": 101}
    )
    assert result["errors"] == {"min_area": "zone_min_area_invalid"}
    result = await options.async_configure(
        result["flow_id"], {"name": "Gate", "polygon": polygon, "min_area": 1}
    )
    assert "Gate (zone, min 1 %)" in result["description_placeholders"]["areas"]
    result = await options.async_configure(result["flow_id"], {"next_step_id": "done"})
    await hass.async_block_till_done()
    assert _names(hass, "binary_sensor.porch_high_motion", "switch.porch_high_zone") == [
        ("Porch Gate motion", "Gate motion"),
        ("Porch Gate zone", "Gate zone"),
    ]
    await wait_for(lambda: state_of(hass, "binary_sensor.porch_high_motion") == STATE_ON, 5)
    assert entry.state is ConfigEntryState.LOADED
    # Left empty, the zone goes back to the camera's minimum.
    result = await areas_menu()
    result = await options.async_configure(result["flow_id"], {"next_step_id": "edit_area"})
    result = await options.async_configure(result["flow_id"], {"area": "high"})
    result = await options.async_configure(result["flow_id"], {"name": "Gate", "polygon": polygon})
    result = await options.async_configure(result["flow_id"], {"next_step_id": "done"})
    await hass.async_block_till_done()
    assert "min_area" not in entry.options[CONF_LAYOUT][1]
    rtsp_server.set_motion(False)
    await hass.config_entries.async_unload(entry.entry_id)
