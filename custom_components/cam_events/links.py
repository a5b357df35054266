"""Links to an event's media: the login path and links signed for a bounded time.

`snapshot_path` is the API's address behind Home Assistant's login (the companion apps fetch
it with the user's token). `snapshot_url` and `clip_url` are the same files signed with
Home Assistant's `async_sign_path`, for services that fetch without a login (Telegram,
Pushover, ntfy...); they stop working after the camera's link lifetime. A signature covers
one path only, so it opens no other file. The clip link appears once the clip is complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from homeassistant.components.http.auth import async_sign_path
from homeassistant.core import HomeAssistant

from .const import CONF_LINK_HOURS, DEFAULT_LINK_HOURS
from .events.model import Event


def link_lifetime(options: Mapping[str, Any]) -> timedelta:
    """Return how long a signed link works, from the camera's options."""
    return timedelta(hours=float(options.get(CONF_LINK_HOURS, DEFAULT_LINK_HOURS)))


def event_links(hass: HomeAssistant, event: Event, lifetime: timedelta) -> dict[str, str | None]:
    """Return `snapshot_path`, `snapshot_url` and `clip_url` (signed) of an event."""

    def sign(path: str | None) -> str | None:
        # The content user (read-only, made by Home Assistant for signed media) signs,
        # whoever's request or automation created the event.
        if not path:
            return None
        return async_sign_path(hass, path, lifetime, use_content_user=True)

    return {
        "snapshot_path": event.snapshot,
        "snapshot_url": sign(event.snapshot),
        "clip_url": sign(event.clip_url),
    }
