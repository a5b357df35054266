"""Media browser: Cam Events → camera → day → clips, with thumbnails, paged."""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.components.http.auth import async_sign_path
from homeassistant.components.media_player import BrowseError, MediaClass
from homeassistant.components.media_source import (
    BrowseMediaSource,
    MediaSource,
    MediaSourceItem,
    PlayMedia,
    Unresolvable,
)
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .authz import current_user, may_read
from .const import DOMAIN
from .data import DATA_DOMAIN, camera_entries, is_camera
from .events.model import Event
from .lookups import camera_entity_ids

PAGE_SIZE = 100
SIGNED_FOR = timedelta(hours=2)


MAX_PAGE = 100_000
"""Pages of one day (an offset beyond would overflow SQLite's integers)."""


async def async_get_media_source(hass: HomeAssistant) -> MediaSource:
    """Return the media source of the recorded clips."""
    return ClipMediaSource(hass)


def clip_url(event_id: str, thumbnail: bool = False) -> str:
    """Return the (unsigned) URL of an event's clip or its thumbnail."""
    return f"/api/cam_events/clips/{event_id}.{'jpg' if thumbnail else 'mp4'}"


class ClipMediaSource(MediaSource):
    """Browse the clips of every camera by day; play them from the integration's HTTP view."""

    name = "Cam Events"

    def __init__(self, hass: HomeAssistant) -> None:
        """Keep Home Assistant."""
        super().__init__(DOMAIN)
        self.hass = hass

    async def async_resolve_media(self, item: MediaSourceItem) -> PlayMedia:
        """Return a signed URL of the clip."""
        event_id = (item.identifier or "").rsplit("/", 1)[-1]
        store = self.hass.data[DATA_DOMAIN].store
        event = await self.hass.async_add_executor_job(store.get, event_id)
        if event is None or not event.clip or not self._may_read(event.camera):
            raise Unresolvable(f"No clip for {item.identifier}")
        return PlayMedia(self._sign(clip_url(event.id)), "video/mp4")

    async def async_browse_media(self, item: MediaSourceItem) -> BrowseMediaSource:
        """Browse cameras, days, then a day's clips (PAGE_SIZE at a time)."""
        parts = [p for p in (item.identifier or "").split("/") if p]
        if not parts:
            return self._root()
        entry = self.hass.config_entries.async_get_entry(parts[0])
        if (
            entry is None
            or entry.domain != DOMAIN
            or not is_camera(entry)
            or not self._may_read(entry.entry_id)
        ):
            raise BrowseError(f"Unknown camera {parts[0]}")
        if len(parts) == 1:
            return await self._days(entry.entry_id, entry.title)
        page = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0
        if page > MAX_PAGE:
            raise BrowseError(f"No page {page}")
        return await self._clips(entry.entry_id, entry.title, parts[1], page)

    def _may_read(self, entry_id: str) -> bool:
        """Whether the user browsing may read the camera's entity (HA's read permission)."""
        return may_read(current_user(), camera_entity_ids(self.hass).get(entry_id))

    def _sign(self, url: str) -> str:
        return async_sign_path(self.hass, url, SIGNED_FOR)

    def _root(self) -> BrowseMediaSource:
        cameras = [entry for entry in camera_entries(self.hass) if self._may_read(entry.entry_id)]
        return BrowseMediaSource(
            domain=DOMAIN,
            identifier=None,
            media_class=MediaClass.DIRECTORY,
            media_content_type="",
            title="Cam Events",
            can_play=False,
            can_expand=True,
            children_media_class=MediaClass.DIRECTORY,
            children=[
                BrowseMediaSource(
                    domain=DOMAIN,
                    identifier=entry.entry_id,
                    media_class=MediaClass.DIRECTORY,
                    media_content_type="",
                    title=entry.title,
                    can_play=False,
                    can_expand=True,
                )
                for entry in sorted(cameras, key=lambda e: e.title.lower())
            ],
        )

    async def _days(self, entry_id: str, title: str) -> BrowseMediaSource:
        store = self.hass.data[DATA_DOMAIN].store
        offset = dt_util.now().utcoffset() or timedelta(0)
        days = await self.hass.async_add_executor_job(
            store.clip_days, entry_id, offset.total_seconds()
        )
        return BrowseMediaSource(
            domain=DOMAIN,
            identifier=entry_id,
            media_class=MediaClass.DIRECTORY,
            media_content_type="",
            title=title,
            can_play=False,
            can_expand=True,
            children_media_class=MediaClass.DIRECTORY,
            children=[
                BrowseMediaSource(
                    domain=DOMAIN,
                    identifier=f"{entry_id}/{day}",
                    media_class=MediaClass.DIRECTORY,
                    media_content_type="",
                    title=f"{day} ({count})",
                    can_play=False,
                    can_expand=True,
                )
                for day, count in days
            ],
        )

    async def _clips(self, entry_id: str, title: str, day: str, page: int) -> BrowseMediaSource:
        try:
            start = datetime.fromisoformat(day).replace(tzinfo=dt_util.get_default_time_zone())
            start_from = start.timestamp()
            start_to = (start + timedelta(days=1)).timestamp() - 0.001
        except (ValueError, OverflowError, OSError) as err:  # 9999-12-31 has no next day
            raise BrowseError(f"Not a day: {day}") from err
        store = self.hass.data[DATA_DOMAIN].store
        result = await self.hass.async_add_executor_job(
            lambda: store.query(
                camera=entry_id,
                start_from=start_from,
                start_to=start_to,
                limit=PAGE_SIZE,
                offset=page * PAGE_SIZE,
                has_clip=True,
            )
        )
        children = [self._clip(entry_id, day, event) for event in result.events]
        if (page + 1) * PAGE_SIZE < result.total:
            children.append(
                BrowseMediaSource(
                    domain=DOMAIN,
                    identifier=f"{entry_id}/{day}/{page + 1}",
                    media_class=MediaClass.DIRECTORY,
                    media_content_type="",
                    title=f"Older ({result.total - (page + 1) * PAGE_SIZE} more)",
                    can_play=False,
                    can_expand=True,
                )
            )
        return BrowseMediaSource(
            domain=DOMAIN,
            identifier=f"{entry_id}/{day}" + (f"/{page}" if page else ""),
            media_class=MediaClass.DIRECTORY,
            media_content_type="",
            title=f"{title} {day}",
            can_play=False,
            can_expand=True,
            children_media_class=MediaClass.VIDEO,
            children=children,
        )

    def _clip(self, entry_id: str, day: str, event: Event) -> BrowseMediaSource:
        when = dt_util.as_local(dt_util.utc_from_timestamp(event.start)).strftime("%H:%M:%S")
        duration = f" {event.duration:.0f} s" if event.duration is not None else ""
        return BrowseMediaSource(
            domain=DOMAIN,
            identifier=f"{entry_id}/{day}/clip/{event.id}",
            media_class=MediaClass.VIDEO,
            media_content_type="video/mp4",
            title=f"{when} {event.type}{duration}",
            can_play=True,
            can_expand=False,
            thumbnail=self._sign(clip_url(event.id, thumbnail=True)),
        )
