"""The blueprints load in Home Assistant and call the right service with the event's id."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

BLUEPRINTS = Path(__file__).parent.parent / "blueprints" / "automation" / "cam_events"
CAMERA = "camera.porch"


@pytest.fixture
def recorded(hass: HomeAssistant) -> list[ServiceCall]:
    """Stand-ins for the handler services: the blueprints' wiring is under test here."""
    calls: list[ServiceCall] = []
    for service in ("send_email", "upload_ftp", "push_http"):
        hass.services.async_register("cam_events", service, calls.append)
    target = Path(hass.config.path("blueprints", "automation", "cam_events"))
    shutil.copytree(BLUEPRINTS, target, dirs_exist_ok=True)
    return calls


async def _automation(hass: HomeAssistant, path: str, inputs: dict[str, Any]) -> None:
    assert await async_setup_component(
        hass,
        "automation",
        {"automation": [{"use_blueprint": {"path": f"cam_events/{path}", "input": inputs}}]},
    )
    await hass.async_block_till_done()
    state = hass.states.get("automation.cam_events_" + path.removesuffix(".yaml"))
    assert state is None or state.state == "on"


def _fire(hass: HomeAssistant, event_type: str, event_id: str) -> None:
    hass.bus.async_fire(
        "cam_events_event", {"id": event_id, "type": event_type, "entity_id": CAMERA}
    )


def test_every_blueprint_is_tested() -> None:
    assert sorted(p.name for p in BLUEPRINTS.glob("*.yaml")) == [
        "event_http_push.yaml",
        "motion_email_snapshot.yaml",
        "motion_ftp_upload.yaml",
        "motion_to_phone.yaml",
    ]


async def test_motion_email_with_schedule(hass: HomeAssistant, recorded: list[ServiceCall]) -> None:
    hass.states.async_set("schedule.evenings", "off")
    await _automation(
        hass,
        "motion_email_snapshot.yaml",
        {"camera": CAMERA, "profile": "entry-1", "schedule": "schedule.evenings", "burst_count": 3},
    )
    _fire(hass, "motion", "A1")
    await hass.async_block_till_done()
    assert recorded == []  # the schedule is off
    hass.states.async_set("schedule.evenings", "on")
    _fire(hass, "tamper", "A2")  # not motion
    _fire(hass, "motion", "A3")
    await hass.async_block_till_done()
    assert len(recorded) == 1
    assert recorded[0].service == "send_email"
    assert recorded[0].data["event_id"] == "A3"
    assert recorded[0].data["profile"] == "entry-1"
    assert recorded[0].data["burst_count"] == 3
    assert recorded[0].data["snapshot"] is True


async def test_motion_ftp_upload(hass: HomeAssistant, recorded: list[ServiceCall]) -> None:
    await _automation(hass, "motion_ftp_upload.yaml", {"camera": CAMERA, "profile": "ftp-1"})
    _fire(hass, "motion", "B1")
    hass.bus.async_fire(
        "cam_events_event", {"id": "B2", "type": "motion", "entity_id": "camera.other"}
    )
    await hass.async_block_till_done()
    assert [(c.service, c.data["event_id"], c.data["raw_data"]) for c in recorded] == [
        ("upload_ftp", "B1", True)
    ]


async def test_event_http_push(hass: HomeAssistant, recorded: list[ServiceCall]) -> None:
    await _automation(
        hass,
        "event_http_push.yaml",
        {"camera": CAMERA, "profile": "http-1", "event_type": "doorbell"},
    )
    _fire(hass, "motion", "C1")
    _fire(hass, "doorbell", "C2")
    await hass.async_block_till_done()
    assert [(c.service, c.data["event_id"]) for c in recorded] == [("push_http", "C2")]


@pytest.mark.parametrize(
    ("path", "inputs", "service"),
    [
        ("motion_email_snapshot.yaml", {"profile": "entry-1"}, "send_email"),
        ("motion_ftp_upload.yaml", {"profile": "ftp-1"}, "upload_ftp"),
        ("event_http_push.yaml", {"profile": "http-1", "event_type": "motion"}, "push_http"),
    ],
)
async def test_zones_filter(
    hass: HomeAssistant,
    recorded: list[ServiceCall],
    path: str,
    inputs: dict[str, Any],
    service: str,
) -> None:
    """With zones chosen, an event that touched one of them goes (names match in any case);
    one elsewhere, or with no zones at all, does not."""
    await _automation(hass, path, {"camera": CAMERA, "zones": ["Door", "gate"], **inputs})
    for event_id, metadata in (
        ("Z1", {"zones": ["Garden"]}),  # elsewhere
        ("Z2", {"zones": ["Garden", "door"]}),  # touched Door second
        ("Z3", {}),  # no zone seen
        ("Z4", None),  # no metadata
        ("Z5", {"zones": ["Gate"]}),
        ("Z6", {"zones": []}),
    ):
        data: dict[str, Any] = {"id": event_id, "type": "motion", "entity_id": CAMERA}
        if metadata is not None:
            data["metadata"] = metadata
        hass.bus.async_fire("cam_events_event", data)
        await hass.async_block_till_done()
    assert [(c.service, c.data["event_id"]) for c in recorded] == [
        (service, "Z2"),
        (service, "Z5"),
    ]


async def test_motion_to_phone(
    hass: HomeAssistant, recorded: list[ServiceCall], freezer: FrozenDateTimeFactory
) -> None:
    """The phones get the event's own snapshot path and the snooze action; zones, cooldown."""
    pushes: list[ServiceCall] = []
    pauses: list[ServiceCall] = []
    hass.services.async_register("cam_events", "notify_phones", pushes.append)
    hass.services.async_register("cam_events", "pause_notifications", pauses.append)
    phones = []
    for name in ("Pixel 9", "Tablet"):
        entry = MockConfigEntry(domain="mobile_app", title=name)
        entry.add_to_hass(hass)
        device = dr.async_get(hass).async_get_or_create(
            config_entry_id=entry.entry_id, identifiers={("mobile_app", name)}, name=name
        )
        phones.append(device.id)
    await _automation(
        hass,
        "motion_to_phone.yaml",
        {"camera": CAMERA, "phones": phones, "zones": ["Door"], "cooldown": 60},
    )

    def motion(event_id: str, zones: list[str]) -> None:
        hass.bus.async_fire(
            "cam_events_event",
            {
                "id": event_id,
                "type": "motion",
                "entity_id": CAMERA,
                "start": "2026-12-01T12:00:00.000Z",
                "metadata": {"zones": zones},
                "snapshot_path": f"/api/cam_events/snapshots/{event_id}.jpg",
            },
        )

    motion("D1", ["garden"])  # not a chosen zone
    await hass.async_block_till_done()
    assert pushes == []
    motion("D2", ["door"])
    await hass.async_block_till_done()
    assert len(pushes) == 1
    assert pushes[0].data["camera"] == CAMERA
    assert pushes[0].data["devices"] == phones
    assert pushes[0].data["event_id"] == "D2"
    data = pushes[0].data["data"]
    assert data["image"] == "/api/cam_events/snapshots/D2.jpg"
    assert data["clickAction"] == "/lovelace"
    assert [a["action"] for a in data["actions"]] == [f"CAM_EVENTS_SNOOZE_{CAMERA}", "URI"]
    assert data["actions"][0]["title"] == "Snooze 30 min"

    motion("D3", ["door"])  # within the cooldown
    await hass.async_block_till_done()
    assert len(pushes) == 1

    hass.bus.async_fire("mobile_app_notification_action", {"action": "OTHER"})
    hass.bus.async_fire("mobile_app_notification_action", {"action": f"CAM_EVENTS_SNOOZE_{CAMERA}"})
    await hass.async_block_till_done()
    assert len(pauses) == 1
    assert pauses[0].data["camera"] == CAMERA
    assert pauses[0].data["duration"] == {"minutes": 30}

    freezer.tick(timedelta(seconds=61))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    motion("D4", ["door"])  # the cooldown is over
    await hass.async_block_till_done()
    assert len(pushes) == 2
    assert pushes[-1].data["event_id"] == "D4"
    assert pushes[-1].data["data"]["image"] == "/api/cam_events/snapshots/D4.jpg"
