"""What services, the HTTP API and the websocket API share: finding a camera, paging, errors."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
import json
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from .const import DOMAIN, KIND_CAMERA
from .data import DATA_DOMAIN
from .errors import validation_error
from .profiles import kind_of

if TYPE_CHECKING:
    from .data import CamEventsConfigEntry
    from .hub import CameraEvents

MAX_LIMIT = 1000
MAX_METADATA_BYTES = 16_384


def _entry_for(hass: HomeAssistant, camera: str) -> CamEventsConfigEntry | None:
    entry_id = camera
    if "." in camera:
        entity = er.async_get(hass).async_get(camera)
        if entity is None or entity.platform != DOMAIN or entity.config_entry_id is None:
            return None
        entry_id = entity.config_entry_id
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN or kind_of(entry.data) != KIND_CAMERA:
        return None
    return entry


def camera_events(hass: HomeAssistant, camera: str) -> CameraEvents:
    """Find a camera by entity id (any of its entities) or entry id."""
    entry = _entry_for(hass, camera)
    if entry is None:
        raise validation_error("unknown_camera", camera=camera)
    if entry.state is not ConfigEntryState.LOADED or entry.runtime_data.events is None:
        raise validation_error("camera_not_loaded", camera=camera)
    return entry.runtime_data.events


def camera_entity_ids(hass: HomeAssistant) -> dict[str, str | None]:
    """Map each loaded camera's entry id to its camera entity id."""
    result: dict[str, str | None] = {}
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        if kind_of(entry.data) != KIND_CAMERA:
            continue
        events = entry.runtime_data.events
        result[entry.entry_id] = events.camera_entity if events else None
    return result


def to_timestamp(value: datetime | str | float | None, field: str) -> float | None:
    """Accept a datetime, an ISO 8601 string or epoch seconds; naive times are local."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise validation_error("invalid_time", field=field)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        parsed = dt_util.parse_datetime(value)
        if parsed is None:
            raise validation_error("invalid_time", field=field)
        value = parsed
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt_util.get_default_time_zone())
    return value.timestamp()


def check_metadata(metadata: Any) -> dict[str, Any]:
    """Metadata must be a JSON object of bounded size."""
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise validation_error("metadata_not_object")
    try:
        size = len(json.dumps(metadata, default=str))
    except (TypeError, ValueError) as err:
        raise validation_error("metadata_not_object") from err
    if size > MAX_METADATA_BYTES:
        raise validation_error("metadata_too_large", limit=str(MAX_METADATA_BYTES))
    return json.loads(json.dumps(metadata, default=str))  # type: ignore[no-any-return]


def check_paging(limit: Any, offset: Any) -> tuple[int, int]:
    """Limit >= 1, lowered to MAX_LIMIT (the answer's meta says so); offset >= 0."""
    try:
        limit, offset = int(limit), int(offset)
    except (TypeError, ValueError, OverflowError) as err:
        raise validation_error("invalid_paging") from err
    if limit < 1 or offset < 0:
        raise validation_error("invalid_paging")
    return min(limit, MAX_LIMIT), offset


def event_times(
    start: float | None, end: float | None, duration: float | None
) -> tuple[float | None, float | None]:
    """Resolve end from a duration; end never before start."""
    if duration is not None:
        if duration < 0:
            raise validation_error("invalid_time_range")
        if end is not None:
            raise validation_error("end_and_duration")
        end = (start if start is not None else dt_util.utcnow().timestamp()) + duration
    if end is not None and start is not None and end < start:
        raise validation_error("invalid_time_range")
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
    return {
        "meta": {
            "limit": limit,
            "max_limit": MAX_LIMIT,
            "offset": offset,
            "total_count": page.total,
            "next": offset + limit if offset + limit < page.total else None,
            "previous": max(0, offset - limit) if offset > 0 else None,
        },
        "objects": [event.as_dict(entities.get(event.camera)) for event in page.events],
    }
