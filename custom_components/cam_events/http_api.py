"""HTTP API behind Home Assistant's auth, shaped like the VXG events API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from http import HTTPStatus
import logging
import math
from pathlib import Path
from typing import Any, Concatenate

from aiohttp import web
from homeassistant.components.http import KEY_HASS, KEY_HASS_USER, HomeAssistantView
from homeassistant.components.http.decorators import require_admin
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers import entity_registry as er
from multidict import MultiDict

from .authz import check_read
from .camera_events import CameraEvents
from .data import DATA_DOMAIN
from .errors import translate_errors, validation_error
from .events.catalog import CAPABILITY_NAMES, SETTING_NAMES, CatalogError
from .events.snapshots import read_snapshot
from .lookups import (
    MAX_DURATION,
    async_list_events,
    camera_entity_ids,
    camera_events,
    check_metadata,
    check_paging,
    event_times,
    to_timestamp,
)

_LOGGER = logging.getLogger(__name__)

BASE = "/api/cam_events/cameras/{camera}"
NOT_FOUND = {"unknown_camera", "unknown_type", "camera_not_loaded", "unknown_event"}

type Handler[V] = Callable[Concatenate[V, web.Request, ...], Awaitable[web.StreamResponse]]


def _error(err: ServiceValidationError) -> web.Response:
    key = err.translation_key or "invalid"
    status = HTTPStatus.NOT_FOUND if key in NOT_FOUND else HTTPStatus.BAD_REQUEST
    headers = None
    if key == "rate_limited":
        status = HTTPStatus.TOO_MANY_REQUESTS
        wait = float((err.translation_placeholders or {}).get("retry_after", 1))
        headers = {"Retry-After": str(max(1, math.ceil(wait)))}
    return web.json_response({"code": key, "message": str(err)}, status=status, headers=headers)


def _failed(request: web.Request, err: HomeAssistantError) -> web.Response:
    """Answer a failure on Home Assistant's side (a disk, a database) with 500 and its text."""
    _LOGGER.error("%s %s failed: %s", request.method, request.path, err)
    return web.json_response(
        {"code": err.translation_key or "failed", "message": str(err)},
        status=HTTPStatus.INTERNAL_SERVER_ERROR,
    )


def _forbidden(err: Unauthorized) -> web.Response:
    """Answer a logged-in user without the right with 403 (401 stays for a bad token)."""
    refusal = validation_error("not_allowed") if err.entity_id else validation_error("admin_only")
    return web.json_response(
        {"code": refusal.translation_key, "message": str(refusal)}, status=HTTPStatus.FORBIDDEN
    )


def _api[V: HomeAssistantView](handler: Handler[V]) -> Handler[V]:
    """Answer translated errors as JSON: refusals 400/404/429, failures 500, no right 403."""

    @wraps(handler)
    async def run(view: V, request: web.Request, *args: Any, **kwargs: Any) -> web.StreamResponse:
        try:
            with translate_errors():
                return await handler(view, request, *args, **kwargs)
        except Unauthorized as err:
            return _forbidden(err)
        except ServiceValidationError as err:
            return _error(err)
        except HomeAssistantError as err:
            return _failed(request, err)

    return run


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError) as err:
        raise validation_error("invalid_json") from err
    if not isinstance(body, dict):
        raise validation_error("body_not_object")
    return body


def _type_name(body: dict[str, Any]) -> str:
    """Return the body's event type; a missing or non-text type is an unknown type (404)."""
    type_name = body.get("type")
    if not isinstance(type_name, str):
        raise CatalogError("unknown_type", type=str(type_name))
    return type_name


def _camera(request: web.Request, camera: str) -> CameraEvents:
    """Find the camera; the user must be allowed to read its camera entity."""
    events = camera_events(request.app[KEY_HASS], camera)
    check_read(request[KEY_HASS_USER], events.camera_entity)
    return events


def _check_event_camera(request: web.Request, camera: str) -> None:
    """Check that the user may read the camera (entry id) an event belongs to."""
    hass = request.app[KEY_HASS]
    entity_id = camera_entity_ids(hass).get(camera)
    if entity_id is None:  # the camera is not running: its entity may still be registered
        entity_id = next(
            (
                e.entity_id
                for e in er.async_entries_for_config_entry(er.async_get(hass), camera)
                if e.domain == "camera"
            ),
            None,
        )
    check_read(request[KEY_HASS_USER], entity_id)


def _page_url(request: web.Request, offset: int | None) -> str | None:
    if offset is None:
        return None
    query = MultiDict(request.query)
    query["offset"] = str(offset)
    return str(request.rel_url.with_query(query))


class EventTypesView(HomeAssistantView):
    """List (GET) and add (POST) a camera's event types."""

    url = BASE + "/event_processing/events/"
    extra_urls = [BASE + "/event_processing/events"]
    name = "api:cam_events:event_types"

    @_api
    async def get(self, request: web.Request, camera: str) -> web.Response:
        """Return the catalogue."""
        events = _camera(request, camera)
        objects = [t.as_dict() for t in events.catalog]
        meta = {"total_count": len(objects), "limit": len(objects), "offset": 0}
        return self.json({"meta": {**meta, "next": None, "previous": None}, "objects": objects})

    @_api
    @require_admin
    async def post(self, request: web.Request, camera: str) -> web.Response:
        """Add a custom type."""
        events = _camera(request, camera)
        body = await _json_object(request)
        if not isinstance(body.get("name"), str):
            raise CatalogError("invalid_type_name", type=str(body.get("name")))
        caps = body.get("caps")
        if caps is not None and not isinstance(caps, dict):
            raise CatalogError("invalid_capability")
        unknown = set(body) - SETTING_NAMES - {"name", "caps"}
        if unknown:
            raise CatalogError("unknown_setting", setting=", ".join(sorted(unknown)))
        settings = {k: v for k, v in body.items() if k in SETTING_NAMES}
        event_type = await events.async_add_type(body["name"], caps, settings)
        return self.json(event_type.as_dict(), HTTPStatus.CREATED)


class EventTypeView(HomeAssistantView):
    """Read (GET), change (PUT) or remove (DELETE) one event type."""

    url = BASE + "/event_processing/events/{name}/"
    extra_urls = [BASE + "/event_processing/events/{name}"]
    name = "api:cam_events:event_type"

    @_api
    async def get(self, request: web.Request, camera: str, name: str) -> web.Response:
        """Return one type."""
        return self.json(_camera(request, camera).catalog.get(name).as_dict())

    @_api
    @require_admin
    async def put(self, request: web.Request, camera: str, name: str) -> web.Response:
        """Change settings."""
        events = _camera(request, camera)
        events.catalog.get(name)  # 404 before 400 for an unknown type
        body = await _json_object(request)
        body.pop("name", None)
        if caps := set(body) & (CAPABILITY_NAMES | {"caps", "builtin"}):
            raise CatalogError("read_only_capability", capability=", ".join(sorted(caps)))
        event_type = await events.async_update_type(name, body)
        return self.json(event_type.as_dict())

    @_api
    @require_admin
    async def delete(self, request: web.Request, camera: str, name: str) -> web.Response:
        """Remove a custom type."""
        await _camera(request, camera).async_remove_type(name)
        return web.Response(status=HTTPStatus.NO_CONTENT)


class EventsView(HomeAssistantView):
    """List a camera's events, paged (GET), or create one (POST)."""

    url = BASE + "/events/"
    extra_urls = [BASE + "/events"]
    name = "api:cam_events:events"

    @_api
    async def get(self, request: web.Request, camera: str) -> web.Response:
        """Return a page: ?limit=&offset=&type=&from=&to= (ISO 8601 or epoch seconds)."""
        hass = request.app[KEY_HASS]
        _camera(request, camera)
        query = request.query
        limit, offset = check_paging(query.get("limit", 50), query.get("offset", 0))
        page = await async_list_events(
            hass,
            camera=camera,
            type_name=query.get("type"),
            start_from=to_timestamp(_number_or_text(query.get("from")), "from", window=False),
            start_to=to_timestamp(_number_or_text(query.get("to")), "to", window=False),
            limit=limit,
            offset=offset,
        )
        page["meta"]["next"] = _page_url(request, page["meta"]["next"])
        page["meta"]["previous"] = _page_url(request, page["meta"]["previous"])
        return self.json(page)

    @_api
    @require_admin
    async def post(self, request: web.Request, camera: str) -> web.Response:
        """Create an event: {type, time?, end? | duration?, metadata?}."""
        events = _camera(request, camera)
        body = await _json_object(request)
        type_name = _type_name(body)
        events.catalog.get(type_name)
        duration = body.get("duration")
        if duration is not None and (
            isinstance(duration, bool) or not isinstance(duration, int | float)
        ):
            raise validation_error("invalid_duration", limit=str(int(MAX_DURATION)))
        start, end = event_times(
            to_timestamp(body.get("time"), "time"), to_timestamp(body.get("end"), "end"), duration
        )
        event = await events.async_create(
            type_name,
            start=start,
            end=end,
            metadata=check_metadata(body.get("metadata", body.get("meta"))),
            requested=True,
        )
        return self.json(event.as_dict(events.camera_entity), HTTPStatus.CREATED)


class TriggerView(HomeAssistantView):
    """Have the camera generate an event (POST {type, metadata?})."""

    url = BASE + "/events/trigger/"
    extra_urls = [BASE + "/events/trigger"]
    name = "api:cam_events:trigger"

    @_api
    @require_admin
    async def post(self, request: web.Request, camera: str) -> web.Response:
        """Trigger."""
        events = _camera(request, camera)
        body = await _json_object(request)
        type_name = _type_name(body)
        event = await events.async_trigger(
            type_name, check_metadata(body.get("metadata", body.get("meta"))), requested=True
        )
        return self.json(event.as_dict(events.camera_entity), HTTPStatus.CREATED)


class SnapshotView(HomeAssistantView):
    """An event's JPEG."""

    url = "/api/cam_events/snapshots/{event_id}.jpg"
    name = "api:cam_events:snapshot"

    @_api
    async def get(self, request: web.Request, event_id: str) -> web.Response:
        """Return the JPEG, 404 if the event or its snapshot is gone."""
        hass = request.app[KEY_HASS]
        domain = hass.data[DATA_DOMAIN]
        event = await hass.async_add_executor_job(domain.store.get, event_id)
        jpeg = None
        if event is not None:
            _check_event_camera(request, event.camera)
            jpeg = await hass.async_add_executor_job(
                read_snapshot, domain.base_dir / "snapshots", event.camera, event.id
            )
        if jpeg is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        return web.Response(
            body=jpeg,
            content_type="image/jpeg",
            headers={"Cache-Control": "private, max-age=86400"},
        )


class ClipView(HomeAssistantView):
    """An event's clip (MP4, with range requests) or its thumbnail (JPEG)."""

    url = "/api/cam_events/clips/{event_id}.{ext}"
    name = "api:cam_events:clip"

    @_api
    async def get(self, request: web.Request, event_id: str, ext: str) -> web.StreamResponse:
        """Return the file; 404 when the event has no clip (yet)."""
        hass = request.app[KEY_HASS]
        domain = hass.data[DATA_DOMAIN]
        event = await hass.async_add_executor_job(domain.store.get, event_id)
        if event is None or not event.clip or ext not in ("mp4", "mkv", "mov", "jpg"):
            return web.Response(status=HTTPStatus.NOT_FOUND)
        _check_event_camera(request, event.camera)
        path = clip_file(domain.recordings_dir, event.clip)
        if ext == "jpg":
            path = path.with_suffix(".jpg")
        if not await hass.async_add_executor_job(path.is_file):
            return web.Response(status=HTTPStatus.NOT_FOUND)
        return web.FileResponse(path, headers={"Cache-Control": "private, max-age=86400"})


def clip_file(base: Path, relative: str) -> Path:
    """Return where a clip lives; a stored path that would leave the folder is refused."""
    path = (base / relative).resolve()
    if not path.is_relative_to(base.resolve()):
        raise web.HTTPNotFound
    return path


def _number_or_text(value: str | None) -> str | float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return value


def async_setup_http(hass: HomeAssistant) -> None:
    """Register the views."""
    for view in (EventTypesView, EventTypeView, EventsView, TriggerView, SnapshotView, ClipView):
        hass.http.register_view(view())
