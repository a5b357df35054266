"""Tests for event ids and the event model."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
import json
import re
import time

import pytest

from custom_components.cam_events.events.model import (
    ROW_FIELDS,
    Event,
    event_id_time,
    format_time,
    new_event_id,
)

CROCKFORD_ID = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")
T0 = 1_795_901_756.123  # 2026-11-28T21:35:56.123Z


def test_ids_are_26_crockford_characters() -> None:
    ids = [new_event_id() for _ in range(200)] + [new_event_id(0), new_event_id(2**48 / 1000 - 1)]
    for event_id in ids:
        assert CROCKFORD_ID.fullmatch(event_id), event_id
    assert len(set(ids)) == len(ids)


def test_ids_sort_by_time() -> None:
    times = [T0 + offset for offset in (0.0, 0.001, 0.5, 1.0, 3600.0, 86_400 * 365.0)]
    ids = [new_event_id(t) for t in reversed(times)]
    assert sorted(ids) == list(reversed(ids))


def test_ids_in_the_same_millisecond_sort_in_creation_order() -> None:
    ids = [new_event_id(T0) for _ in range(5000)]
    assert sorted(ids) == ids
    assert len(set(ids)) == len(ids)
    assert {event_id[:10] for event_id in ids} == {ids[0][:10]}


def test_ids_made_now_sort_in_creation_order() -> None:
    ids = [new_event_id() for _ in range(20_000)]
    assert sorted(ids) == ids
    assert len(set(ids)) == len(ids)


def test_ids_from_threads_are_unique_and_ordered_per_thread() -> None:
    def make() -> list[str]:
        return [new_event_id(T0) for _ in range(2000)]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: make(), range(4)))
    for ids in results:
        assert sorted(ids) == ids
    assert len({event_id for ids in results for event_id in ids}) == 8000


def test_event_id_time_round_trips_to_the_ms() -> None:
    assert event_id_time(new_event_id(T0)) == pytest.approx(T0, abs=1e-6)
    assert event_id_time(new_event_id(0)) == 0.0
    before = time.time()
    now = event_id_time(new_event_id())
    assert before - 0.001 <= now <= time.time()


@pytest.mark.parametrize(
    "bad", ["", "0" * 25, "0" * 27, "U" * 26, "8" + "0" * 25, "01ARZ3NDEKTSV4RRFFQ69G5FA!"]
)
def test_event_id_time_rejects_non_ids(bad: str) -> None:
    with pytest.raises(ValueError, match="not an event id"):
        event_id_time(bad)


@pytest.mark.parametrize("timestamp", [-1.0, 2**48 / 1000])
def test_new_event_id_rejects_out_of_range_times(timestamp: float) -> None:
    with pytest.raises(ValueError, match="out of range"):
        new_event_id(timestamp)


def test_format_time_is_iso_utc_with_milliseconds() -> None:
    assert format_time(T0) == "2026-11-28T21:35:56.123Z"
    assert format_time(0) == "1970-01-01T00:00:00.000Z"
    assert format_time(59.9996) == "1970-01-01T00:01:00.000Z"


def test_as_dict_of_an_ended_event() -> None:
    event = Event(
        id="01KB5Z3YTV0000000000000000",
        camera="entry1",
        type="motion",
        start=T0,
        end=T0 + 12.3456,
        metadata={"score": 0.5},
        snapshot="/api/cam_events/snapshot/x.jpg",
        handlers=[{"handler": "notify", "ok": True}],
    )
    assert event.duration == pytest.approx(12.3456)
    result = event.as_dict("camera.front")
    assert result == {
        "id": "01KB5Z3YTV0000000000000000",
        "camera": "camera.front",
        "type": "motion",
        "start": "2026-11-28T21:35:56.123Z",
        "end": "2026-11-28T21:36:08.469Z",
        "duration": 12.346,
        "metadata": {"score": 0.5},
        "snapshot": "/api/cam_events/snapshot/x.jpg",
        "clip": None,
        "clip_url": None,
        "handlers": [{"handler": "notify", "ok": True}],
    }
    assert json.loads(json.dumps(result)) == result
    result["metadata"]["score"] = 1.0
    result["handlers"][0]["ok"] = False
    assert event.metadata == {"score": 0.5}
    assert event.handlers == [{"handler": "notify", "ok": True}]


def test_as_dict_of_an_open_event() -> None:
    event = Event(id="x", camera="entry1", type="motion", start=T0)
    assert event.duration is None
    result = event.as_dict()
    assert result["camera"] == "entry1"
    assert result["end"] is None
    assert result["duration"] is None
    assert result["metadata"] == {}
    assert result["handlers"] == []


def test_row_round_trip() -> None:
    event = Event(
        id=new_event_id(T0),
        camera="entry1",
        type="person",
        start=T0,
        end=T0 + 3,
        metadata={"zones": ["drive", "door"], "nested": {"a": 1}},
        snapshot="/s.jpg",
        clip="/c.mp4",
        handlers=[{"handler": "notify", "ok": False, "error": "timeout"}],
    )
    row = event.to_row()
    assert len(row) == len(ROW_FIELDS)
    assert isinstance(row[ROW_FIELDS.index("metadata")], str)
    assert isinstance(row[ROW_FIELDS.index("handlers")], str)
    assert Event.from_row(row) == event
    empty = Event.from_row((event.id, "entry1", "motion", T0, None, None, None, None, None))
    assert empty.metadata == {}
    assert empty.handlers == []


def test_clip_url_follows_the_clip_container() -> None:
    event = Event(id="01ABCDEFGHJKMNPQRSTVWXYZ00", camera="e", type="motion", start=0.0)
    assert event.clip_url is None
    event.clip = "Porch/20260307/090503_motion.mkv"
    assert event.clip_url == "/api/cam_events/clips/01ABCDEFGHJKMNPQRSTVWXYZ00.mkv"
    assert event.as_dict()["clip_url"] == event.clip_url
