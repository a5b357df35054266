"""Events and their ids: ULID-style, time-sortable, monotonic within a millisecond.

An id is 26 Crockford base32 characters: a 48-bit millisecond timestamp, then 80 random bits.
Ids compare as strings in time order; ids made in the same millisecond by this process are
made by incrementing the previous id's random part, so they sort in creation order too.

Nothing here imports Home Assistant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
import json
import secrets
import threading
import time
from typing import Any, Final

__all__ = ["ROW_FIELDS", "Event", "event_id_time", "format_time", "new_event_id"]

_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE: Final = {char: value for value, char in enumerate(_ALPHABET)}
_VALID_CHARS: Final = frozenset(_ALPHABET)
_ID_LENGTH: Final = 26
_TIME_CHARS: Final = 10
_RANDOM_BITS: Final = 80
_MAX_MS: Final = (1 << 48) - 1

ROW_FIELDS: Final = (
    "id",
    "camera",
    "type",
    "start",
    "end",
    "metadata",
    "snapshot",
    "clip",
    "handlers",
)
"""Column order of :meth:`Event.to_row` and :meth:`Event.from_row`."""


class _Monotonic:
    """The last id made, to increment within one millisecond (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._last = 0

    def next(self, ms: int) -> int:
        """Return the 128-bit value of the next id for millisecond ``ms``."""
        with self._lock:
            if ms == self._last_ms:
                self._last += 1
            else:
                self._last_ms = ms
                self._last = (ms << _RANDOM_BITS) | secrets.randbits(_RANDOM_BITS)
            return self._last


_MONOTONIC: Final = _Monotonic()


def new_event_id(timestamp: float | None = None) -> str:
    """Return a new id for an event at ``timestamp`` (epoch seconds; now if None)."""
    ms = time.time_ns() // 1_000_000 if timestamp is None else round(timestamp * 1000)
    if not 0 <= ms <= _MAX_MS:
        raise ValueError(f"timestamp out of range: {timestamp}")
    value = _MONOTONIC.next(ms)
    chars = []
    for _ in range(_ID_LENGTH):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def event_id_time(event_id: str) -> float:
    """Return the time (epoch seconds, millisecond resolution) encoded in an event id."""
    if len(event_id) != _ID_LENGTH or not _VALID_CHARS.issuperset(event_id):
        raise ValueError(f"not an event id: {event_id!r}")
    ms = 0
    for char in event_id[:_TIME_CHARS]:
        ms = (ms << 5) | _DECODE[char]
    if ms > _MAX_MS:
        raise ValueError(f"not an event id: {event_id!r}")
    return ms / 1000


def format_time(timestamp: float) -> str:
    """Format epoch seconds as ISO 8601 UTC with milliseconds: ``2026-11-28T21:35:56.123Z``."""
    seconds, millis = divmod(round(timestamp * 1000), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


@dataclass(slots=True)
class Event:
    """One event of one camera; ``end`` is None while it is still going on."""

    id: str
    camera: str
    """The camera's config entry id (a stable key)."""
    type: str
    start: float
    """Epoch seconds (UTC)."""
    end: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    snapshot: str | None = None
    """Reference (a URL path) to the event's JPEG."""
    clip: str | None = None
    """Reference to the event's clip."""
    handlers: list[dict[str, Any]] = field(default_factory=list)
    """Results of the handlers that ran."""

    @property
    def clip_url(self) -> str | None:
        """Return where the clip is served (the API behind Home Assistant's auth)."""
        if not self.clip:
            return None
        extension = self.clip.rsplit(".", 1)[-1] if "." in self.clip else "mp4"
        return f"/api/cam_events/clips/{self.id}.{extension}"

    @property
    def duration(self) -> float | None:
        """Return the length in seconds, or None while the event is open."""
        return None if self.end is None else self.end - self.start

    def as_dict(self, camera_entity: str | None = None) -> dict[str, Any]:
        """Return a JSON-ready dict; ``camera`` is ``camera_entity`` if given, else the entry id."""
        duration = self.duration
        return {
            "id": self.id,
            "camera": self.camera if camera_entity is None else camera_entity,
            "type": self.type,
            "start": format_time(self.start),
            "end": None if self.end is None else format_time(self.end),
            "duration": None if duration is None else round(duration, 3),
            "metadata": dict(self.metadata),
            "snapshot": self.snapshot,
            "clip": self.clip,
            "clip_url": self.clip_url,
            "handlers": [dict(result) for result in self.handlers],
        }

    def to_row(self) -> tuple[Any, ...]:
        """Return the database row, in :data:`ROW_FIELDS` order, with JSON text fields."""
        return (
            self.id,
            self.camera,
            self.type,
            self.start,
            self.end,
            json.dumps(self.metadata, separators=(",", ":")),
            self.snapshot,
            self.clip,
            json.dumps(self.handlers, separators=(",", ":")),
        )

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Event:
        """Build an event from a database row in :data:`ROW_FIELDS` order."""
        event_id, camera, type_, start, end, metadata, snapshot, clip, handlers = row
        return cls(
            id=event_id,
            camera=camera,
            type=type_,
            start=start,
            end=end,
            metadata=_loads(metadata, {}),
            snapshot=snapshot,
            clip=clip,
            handlers=_loads(handlers, []),
        )


def _loads[T](text: str | None, empty: T) -> T:
    """Parse a stored JSON field; a field that cannot be read back is reported as empty."""
    if not text:
        return empty
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return empty
    return value if isinstance(value, type(empty)) else empty
