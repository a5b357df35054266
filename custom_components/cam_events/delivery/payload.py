"""The event payload that HTTP push and UDP push send (format version 1).

Every event is sent as one JSON object (UTF-8, keys in this order)::

    {
      "version": 1,
      "source": "cam_events",
      "camera": {"entity_id": "camera.front_door", "name": "Front door"},
      "event": {
        "id": "01JDQ3Z5N8M6V2W4X7Y9A0B1C2",
        "type": "motion",
        "start": "2026-11-28T21:35:56.123Z",
        "end": "2026-11-28T21:36:04.500Z",
        "duration": 8.377,
        "metadata": {"score": 0.42}
      },
      "sent_at": "2026-11-28T21:36:04.611Z"
    }

- ``version``: the format version; a receiver should refuse a version it does not know.
- ``source``: who sent it (``cam_events`` unless configured otherwise).
- ``camera.entity_id`` / ``camera.name``: the camera entity and its friendly name.
- ``event.id``: a 26-character, time-sortable id, unique per event.
- ``event.type``: ``motion``, ``tamper``, a custom type...
- ``event.start`` / ``event.end``: ISO 8601 UTC with milliseconds; ``end`` and ``duration``
  (seconds) are ``null`` while the event is still going on.
- ``event.metadata``: free-form details of the event (a JSON object).
- ``sent_at``: when this message was made (ISO 8601 UTC); a retried message has a later one.

A keep-alive (heartbeat) message carries no ``event``, but ``"heartbeat": true``::

    {"version": 1, "source": "cam_events", "heartbeat": true, "sent_at": "..."}

HTTP POST sends the object as the multipart/form-data part ``event`` (``application/json``),
next to the JPEG snapshot in the part ``image`` when there is one. Only POST carries the
image. HTTP GET sends it as query parameters: ``version``, ``source``, ``event_id``,
``event_type``, ``camera``, ``camera_name``, ``start``, ``end``, ``duration``, ``metadata``
(compact JSON text) and ``sent_at`` (``heartbeat=true`` instead of the event ones for a
heartbeat); a parameter whose value is ``null`` is left out.

UDP push sends the object as one datagram of compact UTF-8 JSON, at most ``max_bytes``
(default 1400) long. If it is longer, ``event.metadata`` is replaced by
``{"trimmed": true, "size": <bytes of the original metadata>}``; if that is still too long,
``"trimmed": true`` is set at the top level and these are dropped, in order, until it fits:
``camera.name``, ``event.metadata``, ``sent_at``, ``event.duration``, ``event.end``, ``source``;
as a last resort the remaining strings are shortened.

Nothing here imports Home Assistant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import json
import time
from typing import Any, Final

from ..events.model import format_time

__all__ = [
    "DEFAULT_SOURCE",
    "MAX_DATAGRAM",
    "MIN_DATAGRAM",
    "VERSION",
    "datagram",
    "event_payload",
    "heartbeat_payload",
    "query_params",
]

VERSION: Final = 1
DEFAULT_SOURCE: Final = "cam_events"
MAX_DATAGRAM: Final = 65507
"""The largest UDP payload over IPv4."""
MIN_DATAGRAM: Final = 128
"""The smallest datagram limit accepted: room for the required fields, shortened."""

# Optional fields a datagram drops, in this order, when trimming the metadata is not enough.
_DROP_ORDER: Final[tuple[tuple[str, ...], ...]] = (
    ("camera", "name"),
    ("event", "metadata"),
    ("sent_at",),
    ("event", "duration"),
    ("event", "end"),
    ("source",),
)


def _now() -> str:
    return format_time(time.time())


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def event_payload(
    event: Mapping[str, Any],
    *,
    camera_name: str,
    source: str = DEFAULT_SOURCE,
    sent_at: str | None = None,
) -> dict[str, Any]:
    """Return the documented payload of an event dict (its handlers and file paths left out).

    ``event`` is the integration's event dict (``id``, ``camera`` as an entity id, ``type``,
    ``start``, ``end``, ``duration``, ``metadata``...). ``sent_at`` defaults to now.
    """
    return {
        "version": VERSION,
        "source": source,
        "camera": {"entity_id": event["camera"], "name": camera_name},
        "event": {
            "id": event["id"],
            "type": event["type"],
            "start": event["start"],
            "end": event.get("end"),
            "duration": event.get("duration"),
            "metadata": dict(event.get("metadata") or {}),
        },
        "sent_at": sent_at if sent_at is not None else _now(),
    }


def heartbeat_payload(
    *, source: str = DEFAULT_SOURCE, sent_at: str | None = None
) -> dict[str, Any]:
    """Return a keep-alive message: ``{"version", "source", "heartbeat": true, "sent_at"}``."""
    return {
        "version": VERSION,
        "source": source,
        "heartbeat": True,
        "sent_at": sent_at if sent_at is not None else _now(),
    }


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return _compact(value)


def query_params(payload: Mapping[str, Any]) -> dict[str, str]:
    """Flatten a payload (event or heartbeat) into GET query parameters; nulls are left out."""
    camera: Mapping[str, Any] = payload.get("camera") or {}
    event: Mapping[str, Any] = payload.get("event") or {}
    values: dict[str, Any] = {
        "version": payload.get("version", VERSION),
        "source": payload.get("source"),
    }
    if payload.get("heartbeat"):
        values["heartbeat"] = True
    values |= {
        "event_id": event.get("id"),
        "event_type": event.get("type"),
        "camera": camera.get("entity_id"),
        "camera_name": camera.get("name"),
        "start": event.get("start"),
        "end": event.get("end"),
        "duration": event.get("duration"),
        "metadata": event.get("metadata") if "metadata" in event else None,
        "sent_at": payload.get("sent_at"),
    }
    return {key: _text(value) for key, value in values.items() if value is not None}


def _drop(payload: dict[str, Any], path: tuple[str, ...]) -> None:
    container: Any = payload
    for key in path[:-1]:
        container = container.get(key)
        if not isinstance(container, dict):
            return
    container.pop(path[-1], None)


def _shorten(value: Any, limit: int) -> Any:
    if isinstance(value, str):
        return value[:limit]
    if isinstance(value, dict):
        return {key: _shorten(item, limit) for key, item in value.items()}
    if isinstance(value, list):
        return [_shorten(item, limit) for item in value]
    return value


def _largest_fit(fits: Callable[[int], bool], high: int) -> int:
    """Return the largest n in [0, high] with fits(n), given that fits(0) holds."""
    low = 0
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def datagram(payload: Mapping[str, Any], max_bytes: int = 1400) -> bytes:
    """Encode a payload as compact UTF-8 JSON of at most ``max_bytes``, trimming it if needed.

    Raise ValueError if ``max_bytes`` is outside [MIN_DATAGRAM, MAX_DATAGRAM].
    """
    if not MIN_DATAGRAM <= max_bytes <= MAX_DATAGRAM:
        raise ValueError(f"max_bytes must be {MIN_DATAGRAM}..{MAX_DATAGRAM}, not {max_bytes}")
    try:
        data = _compact(payload).encode()
    except (TypeError, ValueError, RecursionError):  # metadata nested too deep to encode
        data = b""
    else:
        if len(data) <= max_bytes:
            return data

    # Copy only the levels trimming changes: metadata is replaced, never walked or copied.
    trimmed: dict[str, Any] = dict(payload)
    for key in ("camera", "event"):
        if isinstance(trimmed.get(key), dict):
            trimmed[key] = dict(trimmed[key])
    event = trimmed.get("event")
    if isinstance(event, dict) and "metadata" in event:
        try:
            size: int | None = len(_compact(event["metadata"]).encode())
        except (TypeError, ValueError, RecursionError):
            size = None
        event["metadata"] = {"trimmed": True, "size": size}
        data = _compact(trimmed).encode()
        if len(data) <= max_bytes:
            return data

    trimmed["trimmed"] = True
    for path in _DROP_ORDER:
        _drop(trimmed, path)
        data = _compact(trimmed).encode()
        if len(data) <= max_bytes:
            return data

    # Only long required strings (ids, type, entity id) are left: shorten them all alike.
    bare = {"version": trimmed.get("version", VERSION), "trimmed": True}
    rest = {key: value for key, value in trimmed.items() if key not in bare}

    def encode(limit: int) -> bytes:
        return _compact(bare | _shorten(rest, limit)).encode()

    if len(encode(0)) > max_bytes:  # Unknown extra structure: keep only the marker.
        return _compact(bare).encode()
    return encode(_largest_fit(lambda limit: len(encode(limit)) <= max_bytes, len(data)))
