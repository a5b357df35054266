"""Websocket commands: the card's data channel (catalogue, paged history, live events).

Every command but `cam_events/layout/set` (admins only) reads, so every logged-in user may send
it; a camera whose entity the user may not read answers `unauthorized`, and lists and live
events leave such cameras out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from homeassistant.components import websocket_api
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, Unauthorized
import probatio as vol

from .authz import check_read, may_read, readable
from .camera_events import CameraEvents, EventChange
from .data import DATA_DOMAIN
from .errors import translate_errors
from .layout import async_store_layout
from .lookups import (
    async_list_events,
    camera_entity_ids,
    camera_events,
    check_paging,
    to_timestamp,
)
from .video.zones import Layout

type Command = Callable[[HomeAssistant, websocket_api.ActiveConnection, dict[str, Any]], None]
type AsyncCommand = Callable[
    [HomeAssistant, websocket_api.ActiveConnection, dict[str, Any]], Awaitable[None]
]


def _send_error(
    connection: websocket_api.ActiveConnection, msg_id: int, err: HomeAssistantError
) -> None:
    """Answer a translated error: its key as the code, its message in the user's language."""
    connection.send_error(
        msg_id,
        err.translation_key or websocket_api.ERR_HOME_ASSISTANT_ERROR,
        str(err),
        translation_key=err.translation_key,
        translation_domain=err.translation_domain,
        translation_placeholders=err.translation_placeholders,
    )


def _answered(command: AsyncCommand) -> AsyncCommand:
    """Answer the core's errors translated; `unauthorized` stays Home Assistant's answer."""

    @wraps(command)
    async def run(
        hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
    ) -> None:
        try:
            with translate_errors():
                await command(hass, connection, msg)
        except Unauthorized:
            raise
        except HomeAssistantError as err:
            _send_error(connection, msg["id"], err)

    return run


def _answered_now(command: Command) -> Command:
    """:func:`_answered` for a command that runs in the event loop without awaiting."""

    @callback
    @wraps(command)
    def run(
        hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
    ) -> None:
        try:
            with translate_errors():
                command(hass, connection, msg)
        except Unauthorized:
            raise
        except HomeAssistantError as err:
            _send_error(connection, msg["id"], err)

    return run


@websocket_api.websocket_command(
    {vol.Required("type"): "cam_events/event_types", vol.Required("camera"): str}
)
@websocket_api.async_response
@_answered
async def ws_event_types(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Return a camera's catalogue."""
    events = camera_events(hass, msg["camera"])
    check_read(connection.user, events.camera_entity)
    connection.send_result(msg["id"], {"event_types": [t.as_dict() for t in events.catalog]})


@websocket_api.websocket_command(
    {
        vol.Required("type"): "cam_events/events",
        vol.Optional("camera"): str,
        vol.Optional("event_type"): str,
        vol.Optional("from"): vol.Any(str, int, float),
        vol.Optional("to"): vol.Any(str, int, float),
        vol.Optional("limit", default=50): int,
        vol.Optional("offset", default=0): int,
    }
)
@websocket_api.async_response
@_answered
async def ws_events(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Return a page of events."""
    cameras = None
    if camera := msg.get("camera"):
        check_read(connection.user, camera_events(hass, camera).camera_entity)
    else:
        cameras = readable(connection.user, camera_entity_ids(hass).items())
    limit, offset = check_paging(msg["limit"], msg["offset"])
    page = await async_list_events(
        hass,
        camera=msg.get("camera"),
        type_name=msg.get("event_type"),
        start_from=to_timestamp(msg.get("from"), "from", window=False),
        start_to=to_timestamp(msg.get("to"), "to", window=False),
        limit=limit,
        offset=offset,
        cameras=cameras,
    )
    connection.send_result(msg["id"], page)


@websocket_api.websocket_command(
    {vol.Required("type"): "cam_events/subscribe", vol.Optional("camera"): str}
)
@callback
@_answered_now
def ws_subscribe(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Send every created or updated event (of one camera, or all) as it happens."""
    entry_id: str | None = None
    user = connection.user
    if camera := msg.get("camera"):
        events = camera_events(hass, camera)
        check_read(user, events.camera_entity)
        entry_id = events.entry.entry_id
    subscribers = hass.data[DATA_DOMAIN].subscribers

    @callback
    def forward(change: EventChange) -> None:
        if entry_id is not None and change.event.camera != entry_id:
            return
        if not may_read(user, change.camera_entity):
            return  # permissions are checked per event: a policy change applies at once
        connection.send_message(
            websocket_api.event_message(
                msg["id"],
                {"action": change.action, "event": change.event.as_dict(change.camera_entity)},
            )
        )

    subscribers.append(forward)

    @callback
    def unsubscribe() -> None:
        subscribers.remove(forward)

    connection.subscriptions[msg["id"]] = unsubscribe
    connection.send_result(msg["id"])


def _layout_reply(events: CameraEvents) -> dict[str, Any]:
    """Return a camera's masks and zones and its picture's size (None before a frame)."""
    stream = events.entry.runtime_data.stream
    latest = stream.worker.latest_frame()
    frame = latest[1] if latest is not None else None
    return {
        "layout": stream.layout.to_data(),
        "width": frame.width if frame is not None else None,
        "height": frame.height if frame is not None else None,
    }


@websocket_api.websocket_command(
    {vol.Required("type"): "cam_events/layout", vol.Required("camera"): str}
)
@callback
@_answered_now
def ws_layout(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Return a camera's masks and zones (coordinates relative to the picture, 0..1)."""
    events = camera_events(hass, msg["camera"])
    check_read(connection.user, events.camera_entity)
    connection.send_result(msg["id"], _layout_reply(events))


@websocket_api.websocket_command(
    {
        vol.Required("type"): "cam_events/layout/set",
        vol.Required("camera"): str,
        vol.Required("layout"): list,
    }
)
@websocket_api.require_admin
@callback
@_answered_now
def ws_layout_set(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Replace a camera's masks and zones (admins); applied live, the stream keeps running."""
    events = camera_events(hass, msg["camera"])
    layout = Layout.from_data(msg["layout"])  # a LayoutError answers its translated reason
    async_store_layout(hass, events.entry, layout)
    connection.send_result(msg["id"], _layout_reply(events))


@callback
def async_setup_websocket(hass: HomeAssistant) -> None:
    """Register the commands."""
    websocket_api.async_register_command(hass, ws_layout)
    websocket_api.async_register_command(hass, ws_layout_set)
    websocket_api.async_register_command(hass, ws_event_types)
    websocket_api.async_register_command(hass, ws_events)
    websocket_api.async_register_command(hass, ws_subscribe)
