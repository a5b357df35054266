"""The event catalogue and history through services, end to end in Home Assistant."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.cam_events.const import DOMAIN, EVENT_CAM_EVENTS
from devtools.clips import make_clip
from tests.common import setup_camera, wait_for

CAMERA = "camera.porch"


async def _call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


async def test_catalogue_services(hass: HomeAssistant, camera: Any) -> None:
    """List, add, update and remove event types; errors are translated and change nothing."""
    types = await _call(hass, "list_event_types", camera=CAMERA)
    names = [t["name"] for t in types["event_types"]]
    assert names == ["motion", "net", "snapshot", "manual", "tamper"]

    added = await _call(
        hass,
        "add_event_type",
        camera=CAMERA,
        name="doorbell",
        caps={"can_record": False},
        notify=True,
    )
    assert added["event_type"]["caps"]["can_record"] is False
    assert added["event_type"]["notify"] is True
    # The event entity offers the new type at once.
    assert "doorbell" in hass.states.get("event.porch_events").attributes["event_types"]

    updated = await _call(hass, "update_event_type", camera=CAMERA, name="snapshot", period=30)
    assert updated["event_type"]["period"] == 30

    for service, data, message in (
        ("add_event_type", {"name": "x"}, "2 to 23"),
        ("add_event_type", {"name": "doorbell"}, "already has"),
        ("update_event_type", {"name": "motion", "period": 5}, "periodic"),
        ("update_event_type", {"name": "doorbell", "record": True}, "cannot record"),
        ("update_event_type", {"name": "nope", "notify": True}, "no event type called nope"),
        ("remove_event_type", {"name": "motion"}, "cannot be removed"),
    ):
        with pytest.raises(ServiceValidationError, match=message):
            await _call(hass, service, camera=CAMERA, **data)

    removed = await _call(hass, "remove_event_type", camera=CAMERA, name="doorbell")
    assert removed == {"removed": "doorbell"}
    types = await _call(hass, "list_event_types", camera=CAMERA)
    assert "doorbell" not in [t["name"] for t in types["event_types"]]
    with pytest.raises(ServiceValidationError, match="No Cam Events camera"):
        await _call(hass, "list_event_types", camera="camera.nowhere")


async def test_create_trigger_and_list(hass: HomeAssistant, camera: Any) -> None:
    """Created and triggered events are stored, fired on the bus and listed in pages."""
    bus: list[Event] = []
    hass.bus.async_listen(EVENT_CAM_EVENTS, bus.append)

    start = dt_util.utcnow() - timedelta(minutes=5)
    created = await _call(
        hass,
        "create_event",
        camera=CAMERA,
        type="motion",
        time=start.isoformat(),
        duration=12.5,
        metadata={"zone": "door"},
    )
    assert created["type"] == "motion"
    assert created["camera"] == CAMERA
    assert created["duration"] == 12.5
    assert created["metadata"] == {"zone": "door"}

    triggered = await _call(hass, "trigger_event", camera=CAMERA, type="manual")
    assert triggered["metadata"] == {"triggered": True}
    assert triggered["snapshot"].startswith("/api/cam_events/snapshots/")
    await hass.async_block_till_done()
    assert [e.data["type"] for e in bus] == ["motion", "manual"]
    assert bus[1].data["entity_id"] == CAMERA
    assert bus[1].data["device_id"]
    state = hass.states.get("event.porch_events")
    assert state.attributes["event_type"] == "manual"
    assert state.attributes["id"] == triggered["id"]

    for _ in range(3):
        await _call(hass, "create_event", camera=CAMERA, type="net")
    page = await _call(hass, "list_events", camera=CAMERA, limit=2)
    assert page["meta"]["total_count"] == 5
    assert page["meta"]["next"] == 2
    assert page["meta"]["previous"] is None
    assert len(page["objects"]) == 2
    assert page["objects"][0]["type"] == "net"  # newest first
    last = await _call(hass, "list_events", camera=CAMERA, limit=2, offset=4)
    assert [e["id"] for e in last["objects"]] == [created["id"]]
    assert last["meta"]["next"] is None
    assert last["meta"]["previous"] == 2
    only_motion = await _call(hass, "list_events", type="motion")
    assert [e["id"] for e in only_motion["objects"]] == [created["id"]]
    window = await _call(
        hass,
        "list_events",
        camera=CAMERA,
        **{
            "from": (start - timedelta(seconds=1)).isoformat(),
            "to": (start + timedelta(seconds=1)).isoformat(),
        },
    )
    assert [e["id"] for e in window["objects"]] == [created["id"]]


@pytest.mark.parametrize(
    ("service", "data", "message"),
    [
        ("create_event", {"type": "nope"}, "no event type called nope"),
        ("trigger_event", {"type": "motion"}, "cannot be triggered"),
        ("trigger_event", {"type": "net"}, "cannot be triggered"),
        ("create_event", {"type": "motion", "duration": 5, "end": "2026-01-01T00:00:00"}, "either"),
        (
            "create_event",
            {"type": "motion", "time": "2026-01-02T00:00:00", "end": "2026-01-01T00:00:00"},
            "before the start",
        ),
        ("create_event", {"type": "motion", "metadata": {"x": "y" * 20000}}, "larger than"),
    ],
)
async def test_bad_input_stores_nothing(
    hass: HomeAssistant, camera: Any, service: str, data: dict[str, Any], message: str
) -> None:
    with pytest.raises(ServiceValidationError, match=message):
        await _call(hass, service, camera=CAMERA, **data)
    page = await _call(hass, "list_events")
    assert page["meta"]["total_count"] == 0, page


async def test_receive_off_drops_events(hass: HomeAssistant, camera: Any) -> None:
    await _call(hass, "update_event_type", camera=CAMERA, name="manual", receive=False)
    with pytest.raises(ServiceValidationError, match="does not receive"):
        await _call(hass, "trigger_event", camera=CAMERA, type="manual")
    assert (await _call(hass, "list_events"))["meta"]["total_count"] == 0


async def test_catalogue_and_history_survive_restart(hass: HomeAssistant, camera: Any) -> None:
    """Unload and set up again: custom types, settings and events are all still there."""
    await _call(hass, "add_event_type", camera=CAMERA, name="bell-2", notify=True)
    await _call(hass, "update_event_type", camera=CAMERA, name="motion", notify=False)
    created = await _call(hass, "create_event", camera=CAMERA, type="bell-2")
    await hass.config_entries.async_reload(camera.entry_id)
    await hass.async_block_till_done()
    assert camera.state is ConfigEntryState.LOADED
    types = {
        t["name"]: t for t in (await _call(hass, "list_event_types", camera=CAMERA))["event_types"]
    }
    assert types["bell-2"]["notify"] is True
    assert types["motion"]["notify"] is False
    page = await _call(hass, "list_events", camera=CAMERA)
    assert [e["id"] for e in page["objects"]] == [created["id"]]


async def test_periodic_snapshots(
    hass: HomeAssistant, camera: Any, freezer: FrozenDateTimeFactory
) -> None:
    """A periodic type fires every period while enabled, and stops when set to 0."""
    await _call(hass, "update_event_type", camera=CAMERA, name="snapshot", period=60)
    for _ in range(3):
        freezer.tick(timedelta(seconds=60))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    page = await _call(hass, "list_events", type="snapshot")
    assert page["meta"]["total_count"] == 3
    assert all(e["metadata"] == {"periodic": True} for e in page["objects"])
    await _call(hass, "update_event_type", camera=CAMERA, name="snapshot", period=0)
    freezer.tick(timedelta(seconds=180))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert (await _call(hass, "list_events", type="snapshot"))["meta"]["total_count"] == 3


async def test_motion_and_stream_loss_make_events(
    hass: HomeAssistant, clip_path: Path, tmp_path: Path, socket_enabled: None
) -> None:
    """The detector's motion opens an event that gets its end when the sensor turns off."""
    entry = await setup_camera(hass, str(clip_path))
    await wait_for(lambda: hass.states.get("binary_sensor.porch_motion").state == "on", 8)
    await wait_for(lambda: hass.states.get("binary_sensor.porch_motion").state == "off", 8)
    await hass.async_block_till_done(wait_background_tasks=True)
    page = await _call(hass, "list_events", type="motion")
    event = page["objects"][-1]
    assert event["end"] is not None
    assert 1.0 < event["duration"] < 5
    assert event["metadata"]["changed_area"] > 0
    assert event["snapshot"] is not None
    await hass.config_entries.async_unload(entry.entry_id)


async def test_covered_lens_makes_a_tamper_event(
    hass: HomeAssistant, tmp_path: Path, socket_enabled: None
) -> None:
    """A lens covered for 5 s: the tamper sensor turns on after ~3 s and an event is kept."""
    clip = make_clip(tmp_path / "covered.mp4", seconds=9, motion=(), covered=((1.5, 6.5),))
    entry = await setup_camera(hass, str(clip))
    sensor = "binary_sensor.porch_tampering"
    assert hass.states.get(sensor).state == "off"
    await wait_for(lambda: hass.states.get(sensor).state == "on", 8)
    assert hass.states.get(sensor).attributes["contrast"] < 10
    await wait_for(lambda: hass.states.get(sensor).state == "off", 5)
    await hass.async_block_till_done(wait_background_tasks=True)
    page = await _call(hass, "list_events", type="tamper")
    event = page["objects"][-1]
    assert 1.0 < event["duration"] < 5.5
    assert event["metadata"]["contrast"] < 10
    await hass.config_entries.async_unload(entry.entry_id)


async def test_retention_purges_old_events(
    hass: HomeAssistant, camera: Any, freezer: FrozenDateTimeFactory
) -> None:
    """Events older than the retention go, with their snapshots; newer ones stay."""
    old = await _call(
        hass,
        "create_event",
        camera=CAMERA,
        type="manual",
        time=(dt_util.utcnow() - timedelta(days=40)).isoformat(),
    )
    kept = await _call(hass, "trigger_event", camera=CAMERA, type="manual")
    await hass.config_entries.async_reload(camera.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    page = await _call(hass, "list_events", camera=CAMERA)
    assert [e["id"] for e in page["objects"]] == [kept["id"]]
    snapshots = Path(hass.config.path("cam_events", "snapshots", camera.entry_id))
    assert old["snapshot"]
    assert not (snapshots / f"{old['id']}.jpg").exists()
    assert (snapshots / f"{kept['id']}.jpg").exists()
