"""What services, the HTTP API and the websocket API share: finding a camera, paging, errors."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
import json
import logging
import math
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.json import json_bytes
from homeassistant.util import dt as dt_util

from .const import DOMAIN, MAX_FUTURE_SECONDS
from .data import DATA_DOMAIN, camera_entries, is_camera
from .errors import validation_error
from .events.model import Event
from .links import event_links, link_lifetime

if TYPE_CHECKING:
    from .camera_events import CameraEvents
    from .data import CamEventsConfigEntry

_LOGGER = logging.getLogger(__name__)

MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000
"""Past any history a camera keeps; a larger offset would not even fit a JSON answer's meta."""
MAX_METADATA_BYTES = 16_384
MAX_METADATA_DEPTH = 8
"""Levels of objects and lists below metadata itself (metadata's own keys are level 1)."""
MAX_METADATA_ITEMS = 512
"""Keys and list items in all, at every level."""
MIN_TIME = 946_684_800.0
"""2000-01-01T00:00:00Z: no camera event is older."""
"""An event may be dated at most a day ahead (clocks that are a little off)."""
MAX_DURATION = 86_400.0
"""An event lasts at most 24 hours (recordings are at most an hour)."""
_INT64 = 1 << 63
_UNREADABLE: set[str] = set()


def _entry_for(hass: HomeAssistant, camera: str) -> CamEventsConfigEntry | None:
    entry_id = camera
    if "." in camera:
        entity = er.async_get(hass).async_get(camera)
        if entity is None or entity.platform != DOMAIN or entity.config_entry_id is None:
            return None
        entry_id = entity.config_entry_id
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN or not is_camera(entry):
        return None
    return entry


def camera_events(hass: HomeAssistant, camera: str) -> CameraEvents:
    """Find a camera by entity id (any of its entities) or entry id."""
    entry = _entry_for(hass, camera)
    if entry is None:
        raise validation_error("unknown_camera", camera=camera)
    if entry.state is not ConfigEntryState.LOADED:
        raise validation_error("camera_not_loaded", camera=camera)
    return entry.runtime_data.events


def loaded_camera_events(hass: HomeAssistant, camera: str) -> CameraEvents | None:
    """Return a loaded camera's events by entity id or entry id, or None."""
    entry = _entry_for(hass, camera)
    if entry is None or entry.state is not ConfigEntryState.LOADED:
        return None
    return entry.runtime_data.events


def camera_entity_ids(hass: HomeAssistant) -> dict[str, str | None]:
    """Map each loaded camera's entry id to its camera entity id."""
    return {
        entry.entry_id: entry.runtime_data.events.camera_entity for entry in camera_entries(hass)
    }


def to_timestamp(
    value: datetime | str | float | None, field: str, *, window: bool = True
) -> float | None:
    """Accept a datetime, an ISO 8601 string or epoch seconds; naive times are local.

    With ``window`` (an event's own times) the time must lie between 2000 and a day from now;
    without it (a query's bounds) any finite time is accepted.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise validation_error("invalid_time", field=field)
    if isinstance(value, int | float):
        try:
            timestamp = float(value)
        except OverflowError as err:  # an integer of 400 digits
            raise validation_error("invalid_time", field=field) from err
    elif isinstance(value, str | datetime):
        timestamp = _parse_time(value, field)
    else:
        raise validation_error("invalid_time", field=field)
    if not math.isfinite(timestamp):
        raise validation_error("invalid_time", field=field)
    if window and not MIN_TIME <= timestamp <= dt_util.utcnow().timestamp() + MAX_FUTURE_SECONDS:
        raise validation_error("time_out_of_range", field=field)
    return timestamp


def _parse_time(value: str | datetime, field: str) -> float:
    try:
        parsed = dt_util.parse_datetime(value) if isinstance(value, str) else value
        if parsed is None:
            raise validation_error("invalid_time", field=field)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt_util.get_default_time_zone())
        return parsed.timestamp()
    except (ValueError, OverflowError, OSError) as err:  # month 13, year 1 in UTC-5...
        raise validation_error("invalid_time", field=field) from err


def check_metadata(metadata: Any) -> dict[str, Any]:
    """Metadata must be a JSON object that any reader can serialise again.

    Bounded in depth (:data:`MAX_METADATA_DEPTH`), items (:data:`MAX_METADATA_ITEMS`) and
    size (:data:`MAX_METADATA_BYTES`); values are text, finite numbers (integers within 64
    bits), booleans and null; text is valid Unicode (no lone surrogates).
    """
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise validation_error("metadata_not_object")
    budget = [MAX_METADATA_ITEMS]
    clean = _clean(metadata, 1, budget)
    size = len(json.dumps(clean, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_METADATA_BYTES:
        raise validation_error("metadata_too_large", limit=str(MAX_METADATA_BYTES))
    return clean  # type: ignore[no-any-return]


def _clean(value: Any, depth: int, budget: list[int]) -> Any:
    """Copy a metadata value, refusing what could not be stored and read back."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not -_INT64 <= value < _INT64:
            raise validation_error("metadata_invalid_value")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise validation_error("metadata_invalid_value")
        return value
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, Mapping | list | tuple):
        if depth > MAX_METADATA_DEPTH:
            raise validation_error("metadata_too_deep", limit=str(MAX_METADATA_DEPTH))
        budget[0] -= len(value)
        if budget[0] < 0:
            raise validation_error("metadata_too_many_items", limit=str(MAX_METADATA_ITEMS))
        if isinstance(value, Mapping):
            result = {}
            for key, item in value.items():
                if not isinstance(key, str | int) or isinstance(key, bool):
                    raise validation_error("metadata_invalid_value")
                result[_text(str(key))] = _clean(item, depth + 1, budget)
            return result
        return [_clean(item, depth + 1, budget) for item in value]
    if isinstance(value, datetime):  # a template or YAML date in a service call
        return value.isoformat()
    raise validation_error("metadata_invalid_value")


def _text(value: str) -> str:
    try:
        value.encode()
    except UnicodeEncodeError as err:
        raise validation_error("metadata_invalid_value") from err
    return value


def check_paging(limit: Any, offset: Any) -> tuple[int, int]:
    """Limit >= 1, lowered to MAX_LIMIT (the answer's meta says so); 0 <= offset <= MAX_OFFSET."""
    try:
        limit, offset = int(limit), int(offset)
    except (TypeError, ValueError, OverflowError) as err:
        raise validation_error("invalid_paging") from err
    if limit < 1 or not 0 <= offset <= MAX_OFFSET:
        raise validation_error("invalid_paging")
    return min(limit, MAX_LIMIT), offset


def event_times(
    start: float | None, end: float | None, duration: float | None
) -> tuple[float | None, float | None]:
    """Resolve end from a duration; end never before start, at most a day after it."""
    if duration is not None:
        if isinstance(duration, bool) or not 0 <= duration <= MAX_DURATION:  # NaN fails too
            raise validation_error("invalid_duration", limit=str(int(MAX_DURATION)))
        if end is not None:
            raise validation_error("end_and_duration")
        end = (start if start is not None else dt_util.utcnow().timestamp()) + duration
    if end is not None:
        begin = start if start is not None else dt_util.utcnow().timestamp()
        if end < begin:
            raise validation_error("invalid_time_range")
        if end - begin > MAX_DURATION:
            raise validation_error("invalid_duration", limit=str(int(MAX_DURATION)))
    return start, end


async def async_list_events(
    hass: HomeAssistant,
    *,
    camera: str | None,
    type_name: str | None,
    start_from: float | None,
    start_to: float | None,
    limit: int,
    offset: int,
    cameras: Collection[str] | None = None,
) -> dict[str, Any]:
    """Return a VXG-shaped page: meta (limit, offset, total_count, next, previous), objects.

    `limit` is lowered to MAX_LIMIT, and meta's `max_limit` says the cap; `cameras`, if
    given, keeps only those cameras' events (the ones the caller may read).
    """
    limit = min(limit, MAX_LIMIT)
    entry_id = camera_events(hass, camera).entry.entry_id if camera else None
    if start_from is not None and start_to is not None and start_to < start_from:
        raise validation_error("invalid_time_range")
    store = hass.data[DATA_DOMAIN].store
    page = await hass.async_add_executor_job(
        lambda: store.query(
            camera=entry_id,
            type=type_name,
            start_from=start_from,
            start_to=start_to,
            limit=limit,
            offset=offset,
            cameras=cameras,
        )
    )
    entities = camera_entity_ids(hass)
    objects = readable(page.events, entities)
    by_id = {event.id: event for event in page.events}
    for obj in objects:
        event = by_id[obj["id"]]
        entry = hass.config_entries.async_get_entry(event.camera)
        lifetime = link_lifetime(entry.options if entry is not None else {})
        obj["links"] = event_links(hass, event, lifetime)
    return {
        "meta": {
            "limit": limit,
            "max_limit": MAX_LIMIT,
            "offset": offset,
            "total_count": page.total,
            "next": offset + limit if offset + limit < page.total else None,
            "previous": max(0, offset - limit) if offset > 0 else None,
        },
        "objects": objects,
    }


def readable(events: Sequence[Event], entities: Mapping[str, str | None]) -> list[dict[str, Any]]:
    """Return the events as JSON-ready dicts, leaving out any that cannot be serialised.

    Each left out is logged once, so that a page always answers. Input is bounded at the
    door; this guards against rows stored before the bounds existed.
    """
    objects = []
    for event in events:
        try:
            obj = event.as_dict(entities.get(event.camera))
        except (TypeError, ValueError, OverflowError, OSError):  # a time of 1e20
            _unreadable(event.id)
            continue
        objects.append(obj)
    try:
        json_bytes(objects)
    except (TypeError, ValueError, RecursionError):
        pass
    else:
        return objects
    kept = []
    for obj in objects:
        try:
            json_bytes(obj)
        except (TypeError, ValueError, RecursionError):
            _unreadable(obj["id"])
            continue
        kept.append(obj)
    return kept


def _unreadable(event_id: str) -> None:
    if event_id not in _UNREADABLE:
        _UNREADABLE.add(event_id)
        _LOGGER.warning("Event %s cannot be serialised; it is left out of the history", event_id)
