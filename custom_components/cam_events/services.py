"""Services of the event catalogue and event history, registered once in async_setup."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import time
from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import async_register_admin_service
import probatio as vol

from .authz import async_context_user, check_read, readable
from .const import DOMAIN
from .errors import failure, raise_translated_error, validation_error
from .events.catalog import CAPABILITY_NAMES, MANUAL, SETTING_NAMES
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

CAMERA = "camera"
NAME = "name"
TYPE = "type"

_SETTINGS = {
    vol.Optional("notify"): cv.boolean,
    vol.Optional("receive"): cv.boolean,
    vol.Optional("record"): cv.boolean,
    vol.Optional("snapshot"): cv.boolean,
    vol.Optional("generate_images"): cv.boolean,
    vol.Optional("period"): vol.All(vol.Coerce(int), vol.Range(min=0, max=86_400)),
}
_CAPS = {vol.Optional(name): cv.boolean for name in sorted(CAPABILITY_NAMES)}

SCHEMA_CAMERA = vol.Schema({vol.Required(CAMERA): cv.entity_id})
SCHEMA_ADD_TYPE = SCHEMA_CAMERA.extend(
    {vol.Required(NAME): cv.string, vol.Optional("caps"): vol.Schema(_CAPS), **_SETTINGS}
)
SCHEMA_UPDATE_TYPE = SCHEMA_CAMERA.extend({vol.Required(NAME): cv.string, **_SETTINGS})
SCHEMA_REMOVE_TYPE = SCHEMA_CAMERA.extend({vol.Required(NAME): cv.string})
SCHEMA_CREATE = SCHEMA_CAMERA.extend(
    {
        vol.Required(TYPE): cv.string,
        vol.Optional("time"): cv.datetime,
        vol.Optional("end"): cv.datetime,
        vol.Optional("duration"): vol.All(vol.Coerce(float), vol.Range(min=0, max=MAX_DURATION)),
        vol.Optional("metadata"): dict,
    }
)
SCHEMA_TRIGGER = SCHEMA_CAMERA.extend(
    {vol.Required(TYPE): cv.string, vol.Optional("metadata"): dict}
)
SCHEMA_RECORD = SCHEMA_CAMERA.extend(
    {
        vol.Optional("duration", default=10): vol.All(
            vol.Coerce(float), vol.Range(min=0, max=3600)
        ),
        vol.Optional("preroll"): vol.All(vol.Coerce(float), vol.Range(min=0, max=30)),
        vol.Optional("postroll"): vol.All(vol.Coerce(float), vol.Range(min=0, max=60)),
    }
)
SCHEMA_LIST = vol.Schema(
    {
        vol.Optional(CAMERA): cv.entity_id,
        vol.Optional(TYPE): cv.string,
        vol.Optional("from"): cv.datetime,
        vol.Optional("to"): cv.datetime,
        # Over 1000 is lowered to 1000; the answer's meta says so (max_limit).
        vol.Optional("limit", default=50): vol.All(vol.Coerce(int), vol.Range(min=1)),
        vol.Optional("offset", default=0): vol.All(vol.Coerce(int), vol.Range(min=0)),
    }
)


def _settings(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key in SETTING_NAMES}


async def _list_types(call: ServiceCall) -> ServiceResponse:
    events = camera_events(call.hass, call.data[CAMERA])
    check_read(await async_context_user(call.hass, call.context), events.camera_entity)
    return {"event_types": [t.as_dict() for t in events.catalog]}


async def _add_type(call: ServiceCall) -> ServiceResponse:
    events = camera_events(call.hass, call.data[CAMERA])
    event_type = await events.async_add_type(
        call.data[NAME], call.data.get("caps"), _settings(call.data)
    )
    return {"event_type": event_type.as_dict()}


async def _update_type(call: ServiceCall) -> ServiceResponse:
    events = camera_events(call.hass, call.data[CAMERA])
    event_type = await events.async_update_type(call.data[NAME], _settings(call.data))
    return {"event_type": event_type.as_dict()}


async def _remove_type(call: ServiceCall) -> ServiceResponse:
    events = camera_events(call.hass, call.data[CAMERA])
    await events.async_remove_type(call.data[NAME])
    return {"removed": call.data[NAME]}


async def _create(call: ServiceCall) -> ServiceResponse:
    events = camera_events(call.hass, call.data[CAMERA])
    start, end = event_times(
        to_timestamp(call.data.get("time"), "time"),
        to_timestamp(call.data.get("end"), "end"),
        call.data.get("duration"),
    )
    event = await events.async_create(
        call.data[TYPE],
        start=start,
        end=end,
        metadata=check_metadata(call.data.get("metadata")),
        requested=True,
    )
    return event.as_dict(events.camera_entity)


async def _trigger(call: ServiceCall) -> ServiceResponse:
    events = camera_events(call.hass, call.data[CAMERA])
    event = await events.async_trigger(
        call.data[TYPE], check_metadata(call.data.get("metadata")), requested=True
    )
    return event.as_dict(events.camera_entity)


def _not_streaming(camera: str) -> HomeAssistantError:
    """Refuse a clip while the camera's (main) stream is down: it would never come."""
    return failure("not_streaming", camera=camera)


async def _record(call: ServiceCall) -> ServiceResponse:
    events = camera_events(call.hass, call.data[CAMERA])
    recorder = events.recorder
    if recorder is None:
        raise validation_error("recording_off", camera=events.entry.title)
    if not events.streaming or not recorder.ready:
        raise _not_streaming(events.entry.title)
    duration = float(call.data["duration"])
    event = await events.async_create(
        MANUAL, metadata={"recorded_on_request": True}, end=time.time() + duration
    )
    jpeg = await events.async_event_jpeg(event)
    if not events.async_request_clip(
        event,
        jpeg,
        duration=duration,
        preroll=call.data.get("preroll"),
        postroll=call.data.get("postroll"),
    ):
        raise _not_streaming(events.entry.title)  # lost between the check and the request
    return event.as_dict(events.camera_entity)


async def _list_events(call: ServiceCall) -> ServiceResponse:
    limit, offset = check_paging(call.data["limit"], call.data["offset"])
    user = await async_context_user(call.hass, call.context)
    cameras = None
    if camera := call.data.get(CAMERA):
        check_read(user, camera_events(call.hass, camera).camera_entity)
    else:
        cameras = readable(user, camera_entity_ids(call.hass).items())
    return await async_list_events(
        call.hass,
        camera=call.data.get(CAMERA),
        type_name=call.data.get(TYPE),
        start_from=to_timestamp(call.data.get("from"), "from", window=False),
        start_to=to_timestamp(call.data.get("to"), "to", window=False),
        limit=limit,
        offset=offset,
        cameras=cameras,
    )


SERVICES: tuple[
    tuple[str, vol.Schema, Callable[[ServiceCall], Awaitable[ServiceResponse]], SupportsResponse],
    ...,
] = (
    ("list_event_types", SCHEMA_CAMERA, _list_types, SupportsResponse.ONLY),
    ("add_event_type", SCHEMA_ADD_TYPE, _add_type, SupportsResponse.OPTIONAL),
    ("update_event_type", SCHEMA_UPDATE_TYPE, _update_type, SupportsResponse.OPTIONAL),
    ("remove_event_type", SCHEMA_REMOVE_TYPE, _remove_type, SupportsResponse.OPTIONAL),
    ("create_event", SCHEMA_CREATE, _create, SupportsResponse.OPTIONAL),
    ("trigger_event", SCHEMA_TRIGGER, _trigger, SupportsResponse.OPTIONAL),
    ("list_events", SCHEMA_LIST, _list_events, SupportsResponse.ONLY),
    ("record", SCHEMA_RECORD, _record, SupportsResponse.OPTIONAL),
)


# What changes the catalogue or makes events is for administrators (automations and scripts,
# which call with no user, too); reading is for every user who may read the camera entity.
ADMIN_SERVICES = frozenset(
    {
        "add_event_type",
        "update_event_type",
        "remove_event_type",
        "create_event",
        "trigger_event",
        "record",
    }
)


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the services (once, for all cameras)."""
    for name, schema, handler, supports_response in SERVICES:
        if name in ADMIN_SERVICES:
            async_register_admin_service(
                hass, DOMAIN, name, raise_translated_error(handler), schema, supports_response
            )
        else:
            hass.services.async_register(
                DOMAIN,
                name,
                raise_translated_error(handler),
                schema=schema,
                supports_response=supports_response,
            )
