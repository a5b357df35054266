"""Who may do what: reading for every logged-in user, changing and sending out for admins.

Home Assistant's own rules are the bar. Reading (catalogue, events, snapshots, clips, media
browser, live events) is for every logged-in user whose permissions let them read the camera
entity (`POLICY_READ`, as `/api/states/<entity_id>` checks). Changing the catalogue, creating,
triggering and recording events and every delivery are for administrators; automations and
scripts (a call with no user) keep working.
"""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.auth.models import User
from homeassistant.auth.permissions.const import POLICY_READ
from homeassistant.components import websocket_api
from homeassistant.components.http import KEY_HASS_USER
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import Unauthorized, UnknownUser
from homeassistant.helpers.http import current_request


def may_read(user: User | None, entity_id: str | None) -> bool:
    """Whether `user` may read the camera entity (no user: the system, which may)."""
    if user is None or entity_id is None or user.is_admin:
        return True
    return user.permissions.check_entity(entity_id, POLICY_READ)


def check_read(user: User | None, entity_id: str | None) -> None:
    """Raise Unauthorized when `user` may not read the camera entity."""
    if not may_read(user, entity_id):
        raise Unauthorized(
            user_id=user.id if user else None, entity_id=entity_id, permission=POLICY_READ
        )


def readable(user: User | None, cameras: Iterable[tuple[str, str | None]]) -> list[str] | None:
    """Return the entry ids among (entry id, camera entity) the user may read; None: all."""
    pairs = list(cameras)
    allowed = [entry_id for entry_id, entity_id in pairs if may_read(user, entity_id)]
    return None if len(allowed) == len(pairs) else allowed


async def async_context_user(hass: HomeAssistant, context: Context) -> User | None:
    """Return the user of a service call's context; None for automations and scripts."""
    if not context.user_id:
        return None
    user = await hass.auth.async_get_user(context.user_id)
    if user is None:
        raise UnknownUser(context=context)
    return user


def current_user() -> User | None:
    """Return the user of the websocket message or HTTP request being handled, if any."""
    if (connection := websocket_api.current_connection.get()) is not None:
        return connection.user
    if (request := current_request.get()) is not None:
        user: User | None = request.get(KEY_HASS_USER)
        return user
    return None
