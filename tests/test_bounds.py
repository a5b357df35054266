"""Nothing stored that cannot be read back: metadata, times and durations bounded at the door."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from homeassistant.components.media_player import BrowseError
from homeassistant.components.media_source import async_browse_media
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.json import json_bytes
from homeassistant.setup import async_setup_component
import probatio as vol
import pytest
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.cam_events.const import DOMAIN
from custom_components.cam_events.data import DATA_DOMAIN
from custom_components.cam_events.events.model import Event, new_event_id
from tests.common import setup_camera

CAMERA = "camera.porch"
EVENTS = f"/api/cam_events/cameras/{CAMERA}/events/"
TRIGGER = EVENTS + "trigger/"


def nested(depth: int) -> dict[str, Any]:
    """Metadata nested `depth` objects deep (metadata itself is level 1)."""
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


async def _call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


@pytest.fixture
async def camera(hass: HomeAssistant, still_clip_path: Path, socket_enabled: None) -> Any:
    entry = await setup_camera(hass, str(still_clip_path))
    yield entry
    if entry.state is ConfigEntryState.LOADED:
        await hass.config_entries.async_unload(entry.entry_id)


async def _history_readable(
    hass: HomeAssistant, client: Any, ws_client: Any | None = None
) -> dict[str, Any]:
    """The events list answers 200 and every state serialises (what get_states sends)."""
    response = await client.get(EVENTS)
    assert response.status == 200, await response.text()
    json_bytes([state.as_dict() for state in hass.states.async_all()])
    if ws_client is not None:
        await ws_client.send_json_auto_id({"type": "get_states"})
        assert (await ws_client.receive_json())["success"]
    return await response.json()  # type: ignore[no-any-return]


async def test_metadata_nested_too_deep_is_refused_everywhere(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
    camera: Any,
) -> None:
    """Metadata 300 deep used to be stored, then broke the list and get_states for everyone."""
    ws_client = await hass_ws_client(hass)
    client = await hass_client()
    deep = nested(300)
    for url, body in (
        (EVENTS, {"type": "motion", "metadata": deep}),
        (TRIGGER, {"type": "manual", "metadata": deep}),
        (EVENTS, {"type": "motion", "metadata": nested(9)}),
    ):
        response = await client.post(url, json=body)
        assert response.status == 400, url
        answer = await response.json()
        assert answer["code"] == "metadata_too_deep"
        assert "deeper than 8 levels" in answer["message"]
    for service, type_name in (("create_event", "motion"), ("trigger_event", "manual")):
        with pytest.raises(ServiceValidationError, match="deeper than 8 levels"):
            await _call(hass, service, camera=CAMERA, type=type_name, metadata=deep)
    # Eight levels is the bound, and it is accepted.
    response = await client.post(EVENTS, json={"type": "motion", "metadata": nested(8)})
    assert response.status == 201
    page = await _history_readable(hass, client, ws_client)
    assert page["meta"]["total_count"] == 1


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        ({"list": list(range(600))}, "metadata_too_many_items"),
        ({f"k{i}": i for i in range(513)}, "metadata_too_many_items"),
        ({"x": "y" * 20_000}, "metadata_too_large"),
    ],
)
async def test_metadata_that_a_reader_cannot_serialise_is_refused(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    camera: Any,
    metadata: dict[str, Any],
    code: str,
) -> None:
    client = await hass_client()
    response = await client.post(EVENTS, json={"type": "motion", "metadata": metadata})
    assert response.status == 400
    assert (await response.json())["code"] == code
    assert (await _history_readable(hass, client))["meta"]["total_count"] == 0


@pytest.mark.parametrize(
    "metadata",
    [
        {"x": float("nan")},
        {"x": float("inf")},
        {"x": "\ud800"},  # a lone surrogate
        {"\udfff": 1},
        {"big": 10**30},  # Home Assistant's JSON writer takes 64-bit integers only
        {"when": object()},
        {(1, 2): "tuple key"},
    ],
)
async def test_metadata_home_assistant_cannot_serialise_is_refused(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    camera: Any,
    metadata: dict[Any, Any],
) -> None:
    """A service call (a script, a template) can pass what JSON over HTTP cannot."""
    for service, type_name in (("create_event", "motion"), ("trigger_event", "manual")):
        with pytest.raises(ServiceValidationError, match="metadata may hold only"):
            await _call(hass, service, camera=CAMERA, type=type_name, metadata=metadata)
    client = await hass_client()
    assert (await _history_readable(hass, client))["meta"]["total_count"] == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"type": "motion", "time": 1e20}, "time_out_of_range"),
        ({"type": "motion", "time": -1}, "time_out_of_range"),
        ({"type": "motion", "time": "2026-13-45T00:00:00"}, "invalid_time"),
        ({"type": "motion", "time": "3000-01-01T00:00:00Z"}, "time_out_of_range"),
        ({"type": "motion", "time": "0001-01-01T00:00:00-05:00"}, "time_out_of_range"),
        ({"type": "motion", "end": "9999-12-31T23:59:59Z"}, "time_out_of_range"),
        ({"type": "motion", "time": {"at": 1}}, "invalid_time"),
        ({"type": "motion", "duration": 1e300}, "invalid_duration"),
        ({"type": "motion", "duration": 86_401}, "invalid_duration"),
        ({"type": "motion", "duration": -1}, "invalid_duration"),
        (
            {"type": "motion", "time": "2026-01-01T00:00:00Z", "end": "2026-01-03T00:00:00Z"},
            "invalid_duration",
        ),
    ],
)
async def test_event_times_outside_the_window_are_refused(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    camera: Any,
    body: dict[str, Any],
    code: str,
) -> None:
    """These answered 500, some after being stored (an unlistable history)."""
    client = await hass_client()
    response = await client.post(EVENTS, json=body)
    assert response.status == 400, await response.text()
    assert (await response.json())["code"] == code
    assert (await _history_readable(hass, client))["meta"]["total_count"] == 0


@pytest.mark.parametrize(
    "query",
    ["from=2026-13-45T00:00:00", "to=2026-02-30T00:00:00", "from=inf", "to=nan", "from=1e400"],
)
async def test_list_query_with_a_bad_time_is_400(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, camera: Any, query: str
) -> None:
    client = await hass_client()
    response = await client.get(f"{EVENTS}?{query}")
    assert response.status == 400, await response.text()
    assert (await response.json())["code"] == "invalid_time"


async def test_list_query_far_bounds_still_filter(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, camera: Any
) -> None:
    """Query bounds are not event times: any finite time filters (no window)."""
    client = await hass_client()
    assert (await client.post(EVENTS, json={"type": "motion"})).status == 201
    response = await client.get(f"{EVENTS}?from=0&to=1e20")
    assert (await response.json())["meta"]["total_count"] == 1


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"time": "2026-13-45T00:00:00"}, vol.Invalid),
        ({"duration": "inf"}, vol.Invalid),
        ({"duration": 1e300}, vol.Invalid),
        ({"duration": "nan"}, (vol.Invalid, ServiceValidationError)),
        ({"time": "1970-01-01T00:00:00Z"}, ServiceValidationError),
        ({"time": "9999-12-31T00:00:00Z"}, ServiceValidationError),
        ({"metadata": {"x": float("nan")}}, ServiceValidationError),
    ],
)
async def test_create_service_refuses_bad_times(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    camera: Any,
    data: dict[str, Any],
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        await _call(hass, "create_event", camera=CAMERA, type="motion", **data)
    client = await hass_client()
    assert (await _history_readable(hass, client))["meta"]["total_count"] == 0


async def test_a_stored_row_that_cannot_be_serialised_never_breaks_a_page(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
    camera: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Rows stored before the bounds (300 deep, a time of 1e20, bad JSON): skipped, logged once."""
    ws_client = await hass_ws_client(hass)
    client = await hass_client()
    good = await (await client.post(EVENTS, json={"type": "motion"})).json()
    store = hass.data[DATA_DOMAIN].store
    entry_id = camera.entry_id
    bad = [
        Event(id=new_event_id(), camera=entry_id, type="motion", start=1.0, metadata=nested(300)),
        Event(id=new_event_id(), camera=entry_id, type="motion", start=1e20, end=1e300),
        Event(id=new_event_id(), camera=entry_id, type="motion", start=2.0, metadata={"x": 10**30}),
    ]
    await hass.async_add_executor_job(store.add_many, bad)

    def corrupt() -> None:
        with store._lock:  # a row written by an older, buggy version
            store._db().execute(
                "UPDATE events SET metadata = ? WHERE id = ?", ("{not json", good["id"])
            )

    await hass.async_add_executor_job(corrupt)
    caplog.set_level(logging.WARNING)
    for _ in range(2):
        response = await client.get(EVENTS)
        assert response.status == 200
        page = await response.json()
        assert [obj["id"] for obj in page["objects"]] == [good["id"]]
        assert page["objects"][0]["metadata"] == {}
    await ws_client.send_json_auto_id({"type": "cam_events/events", "camera": CAMERA})
    answer = await ws_client.receive_json()
    assert answer["success"]
    assert [obj["id"] for obj in answer["result"]["objects"]] == [good["id"]]
    warnings = [r for r in caplog.records if "cannot be serialised" in r.getMessage()]
    assert sorted(r.args[0] for r in warnings) == sorted(event.id for event in bad)  # type: ignore[index]


async def test_event_entity_attributes_stay_small_and_serialisable(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, camera: Any
) -> None:
    """The event entity carries a flat, bounded part of the metadata, never caller data whole."""
    client = await hass_client()
    metadata = {
        "zone": "door",
        "area": 3.5,
        "long": "x" * 5000,
        "nested": nested(7),
        "list": list(range(400)),
        **{f"k{i:02d}": i for i in range(40)},
    }
    response = await client.post(TRIGGER, json={"type": "manual", "metadata": metadata})
    assert response.status == 201, await response.text()
    state = hass.states.get("event.porch_events")
    shown = state.attributes["metadata"]
    assert shown["zone"] == "door"
    assert shown["area"] == 3.5
    assert "long" not in shown
    assert "nested" not in shown
    assert "list" not in shown
    assert len(shown) <= 16
    assert len(json.dumps(state.as_dict())) < 4096
    await _history_readable(hass, client)


@pytest.mark.parametrize("day", ["9999-12-31", "2026-13-45", "nope"])
async def test_media_browser_day_out_of_range_is_a_clear_error(
    hass: HomeAssistant, camera: Any, day: str
) -> None:
    """9999-12-31 raised OverflowError (the frontend showed "Unknown error")."""
    assert await async_setup_component(hass, "media_source", {})
    with pytest.raises(BrowseError, match="Not a day"):
        await async_browse_media(hass, f"media-source://{DOMAIN}/{camera.entry_id}/{day}")
    with pytest.raises(BrowseError, match="No page"):
        await async_browse_media(
            hass, f"media-source://{DOMAIN}/{camera.entry_id}/2026-01-01/{10**20}"
        )


async def test_snapshots_are_cached_privately(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, camera: Any
) -> None:
    """A shared cache (a proxy) must never keep a camera's picture."""
    client = await hass_client()
    event = await (await client.post(TRIGGER, json={"type": "manual"})).json()
    response = await client.get(event["snapshot"])
    assert response.status == 200
    assert response.headers["Cache-Control"] == "private, max-age=86400"


async def test_websocket_list_with_a_bad_time_is_a_clear_error(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, camera: Any
) -> None:
    ws_client = await hass_ws_client(hass)
    for value in ("2026-13-45T00:00:00", "2026-02-30", "nan", "yesterday"):
        await ws_client.send_json_auto_id(
            {"type": "cam_events/events", "camera": CAMERA, "from": value}
        )
        answer = await ws_client.receive_json()
        assert answer["success"] is False
        assert answer["error"]["code"] == "invalid_time"
