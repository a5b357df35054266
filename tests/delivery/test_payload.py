"""The documented event payload, its GET flattening and its datagram form."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from custom_components.cam_events.delivery.payload import (
    MAX_DATAGRAM,
    MIN_DATAGRAM,
    datagram,
    event_payload,
    heartbeat_payload,
    query_params,
)

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def make_event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": "01JDQ3Z5N8M6V2W4X7Y9A0B1C2",
        "camera": "camera.front_door",
        "type": "motion",
        "start": "2026-11-28T21:35:56.123Z",
        "end": "2026-11-28T21:36:04.500Z",
        "duration": 8.377,
        "metadata": {"score": 0.42, "zone": "porch"},
        "snapshot": "/api/cam_events/snapshot/x.jpg",
        "clip": "/media/clip.mp4",
        "handlers": [{"handler": "http", "ok": True}],
    }
    event.update(changes)
    return event


def test_event_payload_format() -> None:
    payload = event_payload(make_event(), camera_name="Front door")
    assert ISO_Z.match(payload.pop("sent_at"))
    assert payload == {
        "version": 1,
        "source": "cam_events",
        "camera": {"entity_id": "camera.front_door", "name": "Front door"},
        "event": {
            "id": "01JDQ3Z5N8M6V2W4X7Y9A0B1C2",
            "type": "motion",
            "start": "2026-11-28T21:35:56.123Z",
            "end": "2026-11-28T21:36:04.500Z",
            "duration": 8.377,
            "metadata": {"score": 0.42, "zone": "porch"},
        },
    }
    assert list(event_payload(make_event(), camera_name="x")) == [
        "version",
        "source",
        "camera",
        "event",
        "sent_at",
    ]


def test_event_payload_open_event_source_and_copy() -> None:
    event = make_event(end=None, duration=None, metadata=None)
    payload = event_payload(
        event, camera_name="Yard", source="house", sent_at="2026-01-01T00:00:00.000Z"
    )
    assert payload["source"] == "house"
    assert payload["sent_at"] == "2026-01-01T00:00:00.000Z"
    assert payload["event"]["end"] is None
    assert payload["event"]["duration"] is None
    assert payload["event"]["metadata"] == {}
    # Internal paths and handler results never leave.
    text = json.dumps(payload)
    assert "snapshot" not in text
    assert "handlers" not in text
    assert "/media/clip.mp4" not in text
    # The payload's metadata is a copy: changing it does not touch the event.
    source_event = make_event()
    copy = event_payload(source_event, camera_name="x")
    copy["event"]["metadata"]["zone"] = "changed"
    assert source_event["metadata"]["zone"] == "porch"


def test_query_params_flatten() -> None:
    payload = event_payload(
        make_event(metadata={"score": 0.5, "label": "chat"}),
        camera_name="Front door",
        sent_at="2026-11-28T21:36:04.611Z",
    )
    assert query_params(payload) == {
        "version": "1",
        "source": "cam_events",
        "event_id": "01JDQ3Z5N8M6V2W4X7Y9A0B1C2",
        "event_type": "motion",
        "camera": "camera.front_door",
        "camera_name": "Front door",
        "start": "2026-11-28T21:35:56.123Z",
        "end": "2026-11-28T21:36:04.500Z",
        "duration": "8.377",
        "metadata": '{"score":0.5,"label":"chat"}',
        "sent_at": "2026-11-28T21:36:04.611Z",
    }


def test_query_params_open_event_and_heartbeat() -> None:
    params = query_params(event_payload(make_event(end=None, duration=None), camera_name="c"))
    assert "end" not in params
    assert "duration" not in params
    assert params["metadata"] == '{"score":0.42,"zone":"porch"}'
    beat = query_params(heartbeat_payload(sent_at="2026-01-01T00:00:00.000Z"))
    assert beat == {
        "version": "1",
        "source": "cam_events",
        "heartbeat": "true",
        "sent_at": "2026-01-01T00:00:00.000Z",
    }


def test_query_params_non_ascii_metadata_kept_readable() -> None:
    payload = event_payload(make_event(metadata={"étiquette": "chat noir ☾"}), camera_name="Entrée")
    params = query_params(payload)
    assert params["camera_name"] == "Entrée"
    assert params["metadata"] == '{"étiquette":"chat noir ☾"}'
    assert json.loads(params["metadata"]) == {"étiquette": "chat noir ☾"}


def test_datagram_compact_utf8() -> None:
    payload = event_payload(make_event(metadata={"note": "été ☀"}), camera_name="Façade")
    data = datagram(payload)
    assert data == json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    assert b'", "' not in data
    assert b'": ' not in data
    assert "été ☀".encode() in data  # UTF-8, not \\u escapes
    assert json.loads(data) == payload


def test_datagram_trims_metadata_first() -> None:
    metadata = {f"key{index}": "x" * 50 for index in range(100)}
    payload = event_payload(make_event(metadata=metadata), camera_name="Front door")
    original_size = len(json.dumps(metadata, separators=(",", ":")).encode())
    data = datagram(payload, 1400)
    assert len(data) <= 1400
    decoded = json.loads(data)
    assert decoded["event"]["metadata"] == {"trimmed": True, "size": original_size}
    # Everything else is intact.
    assert decoded["camera"] == payload["camera"]
    assert decoded["event"]["id"] == payload["event"]["id"]
    assert decoded["sent_at"] == payload["sent_at"]
    assert "trimmed" not in decoded


def test_datagram_non_ascii_metadata_size_in_bytes() -> None:
    metadata = {"texte": "é" * 1000}  # 1000 characters, 2000 bytes
    payload = event_payload(make_event(metadata=metadata), camera_name="c")
    data = datagram(payload, 1400)
    assert len(data) <= 1400
    size = json.loads(data)["event"]["metadata"]["size"]
    assert size == len(json.dumps(metadata, ensure_ascii=False, separators=(",", ":")).encode())
    assert size > 2000


def test_datagram_drops_optional_fields_in_order() -> None:
    payload = event_payload(make_event(), camera_name="N" * 500)
    data = datagram(payload, 400)
    assert len(data) <= 400
    decoded = json.loads(data)
    assert decoded["trimmed"] is True
    assert "name" not in decoded["camera"]
    assert decoded["camera"]["entity_id"] == "camera.front_door"
    # Dropping the name was enough: the rest survives.
    assert decoded["sent_at"] == payload["sent_at"]
    assert decoded["event"]["end"] == payload["event"]["end"]


@pytest.mark.parametrize("max_bytes", [MIN_DATAGRAM, 200, 333, 512, 1400, 9000])
def test_datagram_never_exceeds_limit(max_bytes: int) -> None:
    huge = {"blob": "☃" * 50_000, "list": list(range(5000))}
    cases = [
        event_payload(make_event(metadata=huge), camera_name="Ç" * 20_000),
        event_payload(
            make_event(
                id="I" * 30_000, type="t" * 30_000, camera="camera." + "z" * 30_000, metadata=huge
            ),
            camera_name="n" * 30_000,
            source="s" * 30_000,
        ),
        event_payload(make_event(type="ü" * 40_000, metadata={}), camera_name="x"),
    ]
    for payload in cases:
        data = datagram(payload, max_bytes)
        assert len(data) <= max_bytes
        decoded = json.loads(data)  # still valid JSON after any shortening
        assert decoded["version"] == 1
        assert decoded["trimmed"] is True or decoded["event"]["metadata"].get("trimmed") is True


def test_datagram_shortens_required_strings_last() -> None:
    payload = event_payload(make_event(type="T" * 3000), camera_name="c")
    data = datagram(payload, 1400)
    decoded = json.loads(data)
    assert len(data) <= 1400
    assert decoded["trimmed"] is True
    # Every optional field went before the type was shortened.
    assert set(decoded) == {"version", "trimmed", "camera", "event"}
    assert set(decoded["event"]) == {"id", "type", "start"}
    assert decoded["event"]["type"].startswith("TTTT")
    assert 100 < len(decoded["event"]["type"]) < 3000
    # Shortening uses the room it has: a byte more would not fit.
    assert len(data) > 1400 - 20


def test_datagram_limits() -> None:
    payload = event_payload(make_event(metadata={"blob": "x" * 70_000}), camera_name="c")
    assert len(datagram(payload, MAX_DATAGRAM)) <= MAX_DATAGRAM
    assert json.loads(datagram(payload, MAX_DATAGRAM))["event"]["metadata"]["trimmed"] is True
    with pytest.raises(ValueError, match="max_bytes"):
        datagram(payload, MAX_DATAGRAM + 1)
    with pytest.raises(ValueError, match="max_bytes"):
        datagram(payload, MIN_DATAGRAM - 1)
    # Small enough: unchanged.
    small = event_payload(make_event(), camera_name="c")
    assert json.loads(datagram(small, MAX_DATAGRAM)) == small


def test_datagram_heartbeat_and_unknown_structure() -> None:
    # A heartbeat has no camera or event to drop from; its long source gets shortened.
    beat = heartbeat_payload(source="s" * 5000)
    data = datagram(beat, 300)
    assert len(data) <= 300
    decoded = json.loads(data)
    assert decoded["trimmed"] is True
    assert decoded["heartbeat"] is True
    assert "source" not in decoded  # dropped as an optional field
    # Extra fields made of lists of strings are shortened alike.
    extra = {"version": 1, "tags": ["t" * 3000, "u" * 3000]}
    decoded = json.loads(datagram(extra, 500))
    assert [tag[0] for tag in decoded["tags"]] == ["t", "u"]
    assert len(json.dumps(decoded, separators=(",", ":"))) <= 500
    # Structure too big even with every string emptied: only the marker is left.
    numbers = {"version": 1, "numbers": list(range(10_000))}
    assert json.loads(datagram(numbers, 200)) == {"version": 1, "trimmed": True}


@pytest.mark.parametrize("depth", [300, 5000])
def test_datagram_of_very_deep_metadata_is_trimmed_not_a_crash(depth: int) -> None:
    """300 levels crashed the builder with RecursionError at delivery (it copied them all)."""
    metadata: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        metadata = {"a": metadata}
    payload = event_payload(make_event(metadata=metadata), camera_name="Front door")
    data = datagram(payload, 1400)
    assert len(data) <= 1400
    decoded = json.loads(data)
    assert decoded["event"]["metadata"]["trimmed"] is True
    assert decoded["event"]["id"] == payload["event"]["id"]
    assert "trimmed" not in payload["event"]["metadata"]  # the caller's payload is left alone
