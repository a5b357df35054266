"""A camera's events on the event loop side: catalogue, creation, dispatch, periodic types."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
import logging
import time
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, EVENT_CAM_EVENTS, SNAPSHOT_URL
from .delivery.naming import DEFAULT_PRESET, PRESETS, render
from .events.catalog import MOTION, NET, TAMPER, Catalog, CatalogError, EventType
from .events.model import Event, new_event_id
from .events.rate import TokenBucket
from .events.snapshots import read_snapshot, write_snapshot
from .layout import layout_of
from .links import event_links, link_lifetime
from .signal import Signal
from .storage_health import StorageArea, describe
from .video.clip import ClipError

if TYPE_CHECKING:
    from .data import CamEventsConfigEntry, DomainData
    from .runtime import CameraRuntime
    from .video.clip import ClipInfo
    from .video.detector import MotionResult
    from .video.errors import StreamErrorCode
    from .video.recorder import ClipRecorder, ClipRequest
    from .video.tamper import TamperResult

_LOGGER = logging.getLogger(__name__)

CATALOG_VERSION = 1
FRAMES_KEPT = 32
# The camera entity's key (camera.py): its unique id is the entry id and this key.
CAMERA_KEY = "camera"


def catalog_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return where a camera's catalogue is kept."""
    return Store(hass, CATALOG_VERSION, f"{DOMAIN}.{entry_id}.catalog")


async def async_remove_catalog(hass: HomeAssistant, entry_id: str) -> None:
    """Forget a deleted camera's catalogue."""
    await catalog_store(hass, entry_id).async_remove()


@dataclass(frozen=True, slots=True)
class EventChange:
    """What subscribers receive: an event and whether it is new or was updated."""

    action: str  # "created" | "updated"
    event: Event
    camera_entity: str | None
    links: dict[str, str | None] = field(default_factory=dict)
    """The event's media links (`snapshot_path`, signed `snapshot_url` and `clip_url`)."""


class CameraEvents:
    """Creates, stores and dispatches the events of one camera.

    It is given what it uses (the camera's device, how to take a frame, its recorder)
    and follows the stream through the runtime's signals; it never reaches back into it.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: CamEventsConfigEntry,
        domain: DomainData,
        *,
        device_id: str | None,
        snapshot: Callable[[], Awaitable[bytes | None]],
        recorder: ClipRecorder | None,
    ) -> None:
        """Bind to the camera; async_load() reads the stored catalogue."""
        self.hass = hass
        self.entry = entry
        self.domain = domain
        self.device_id = device_id
        self.recorder = recorder
        self._snapshot = snapshot
        self.catalog = Catalog()
        self._store = catalog_store(hass, entry.entry_id)
        self._listeners: Signal[[EventChange]] = Signal()
        self._catalog_changed: Signal[[]] = Signal()
        self._following: list[CALLBACK_TYPE] = []
        self.streaming = False  # whether the stream delivers frames (followed from the runtime)
        self._periodic: dict[str, CALLBACK_TYPE] = {}
        self._open: dict[str, Event] = {}
        self._lock = asyncio.Lock()
        # The frame of each recent event, kept from the moment it happened so a handler
        # never sends a later picture (bounded: the newest FRAMES_KEPT events).
        self._frames: OrderedDict[str, bytes] = OrderedDict()
        # Events created or triggered on request (HTTP, services) pass this gate first.
        self.rate = TokenBucket()

    # ---- catalogue -------------------------------------------------------------------

    async def async_load(self) -> None:
        """Read the stored catalogue and start periodic types."""
        self.catalog = Catalog.from_data(await self._store.async_load())
        self._schedule_periodic()

    async def _async_catalog_changed(self) -> None:
        await self._store.async_save(self.catalog.as_data())
        self._schedule_periodic()
        self._notify_catalog()

    async def async_add_type(
        self, name: str, caps: Mapping[str, bool] | None, settings: Mapping[str, Any]
    ) -> EventType:
        """Add a custom type (raises CatalogError)."""
        event_type = self.catalog.add(name, caps, settings)
        await self._async_catalog_changed()
        return event_type

    async def async_update_type(self, name: str, changes: Mapping[str, Any]) -> EventType:
        """Change a type's settings (raises CatalogError)."""
        event_type = self.catalog.update(name, changes)
        await self._async_catalog_changed()
        return event_type

    async def async_remove_type(self, name: str) -> None:
        """Remove a custom type (raises CatalogError)."""
        self.catalog.remove(name)
        await self._async_catalog_changed()

    @property
    def camera_entity(self) -> str | None:
        """Return the camera entity's id (None before it is registered)."""
        return er.async_get(self.hass).async_get_entity_id(
            "camera", DOMAIN, f"{self.entry.entry_id}_{CAMERA_KEY}"
        )

    async def async_snapshot(self) -> bytes | None:
        """JPEG of the camera's newest frame (None before the first one)."""
        return await self._snapshot()

    # ---- events ----------------------------------------------------------------------

    async def async_create(
        self,
        type_name: str,
        *,
        start: float | None = None,
        end: float | None = None,
        metadata: Mapping[str, Any] | None = None,
        hold: bool = False,
        requested: bool = False,
    ) -> Event:
        """Create an event of a received type, take its snapshot, store and dispatch it.

        `hold` keeps its clip open until the event ends (motion going on). A `requested`
        event (from the HTTP API or a service, whose times the door has checked) passes the
        camera's rate limit; a refusal raises CatalogError before anything is stored.
        """
        event_type = self.catalog.get(type_name)
        if not event_type.settings.receive:
            raise CatalogError("not_received", type=type_name)
        now = time.time()
        if requested:
            self._admit()
        start = now if start is None else start
        if end is None and not hold:
            end = start  # an instant event; only held events (motion...) stay open
        event = Event(
            id=new_event_id(start),
            camera=self.entry.entry_id,
            type=type_name,
            start=start,
            end=end,
            metadata=dict(metadata or {}),
        )
        jpeg = await self._snapshot()
        if jpeg is not None:
            self._frames[event.id] = jpeg
            while len(self._frames) > FRAMES_KEPT:
                self._frames.popitem(last=False)
        if event_type.caps.can_snapshot and event_type.settings.snapshot:
            await self._async_snapshot(event, jpeg)
        if event_type.caps.can_record and event_type.settings.record:
            self.async_request_clip(event, jpeg, hold=hold)
        await self.hass.async_add_executor_job(self.domain.store.add, event)
        self._dispatch("created", event)
        return event

    async def async_trigger(
        self, type_name: str, metadata: Mapping[str, Any] | None = None, *, requested: bool = False
    ) -> Event:
        """Have the camera generate an event of a type that can be triggered."""
        event_type = self.catalog.get(type_name)
        if not event_type.caps.can_be_triggered:
            raise CatalogError("not_triggerable", type=type_name)
        return await self.async_create(
            type_name, metadata={**(metadata or {}), "triggered": True}, requested=requested
        )

    def _admit(self) -> None:
        """Refuse a requested event over the camera's rate (times are checked at the door)."""
        if (wait := self.rate.take(time.monotonic())) is not None:
            raise CatalogError(
                "rate_limited",
                camera=self.entry.title,
                burst=str(self.rate.burst),
                rate=f"{self.rate.rate:g}",
                retry_after=f"{wait:.1f}",
            )

    async def async_finish(self, event: Event, end: float | None = None) -> Event:
        """Close an open event (motion ended, stream restored)."""
        event.end = time.time() if end is None else end
        await self.hass.async_add_executor_job(self.domain.store.update, event)
        self._dispatch("updated", event)
        return event

    async def _async_snapshot(self, event: Event, jpeg: bytes | None) -> None:
        if jpeg is None:
            event.metadata.setdefault("snapshot_error", "no frame")
            return
        try:
            await self.hass.async_add_executor_job(
                write_snapshot, self.domain.base_dir / "snapshots", event.camera, event.id, jpeg
            )
        except OSError as err:
            # The event goes on without its stored picture (the disk is full, read-only...):
            # the user is told once, and the frame stays in memory for the handlers.
            event.metadata["snapshot_error"] = describe(err)
            self.domain.storage.async_report(StorageArea.SNAPSHOTS, err)
            return
        self.domain.storage.async_report(StorageArea.SNAPSHOTS, None)
        event.snapshot = SNAPSHOT_URL.format(event_id=event.id)

    @callback
    def async_request_clip(
        self,
        event: Event,
        thumbnail: bytes | None,
        *,
        hold: bool = False,
        duration: float | None = None,
        preroll: float | None = None,
        postroll: float | None = None,
    ) -> bool:
        """Record the event: pre-roll, the event (held open while it lasts), post-roll."""
        recorder = self.recorder
        if recorder is None or event.start < time.time() - recorder.preroll - 2:
            return False  # no recorder, or an event reported too late for the pre-roll ring
        if duration is None and event.end is not None:
            duration = max(0.0, event.end - event.start)
        when = dt_util.as_local(dt_util.utc_from_timestamp(event.start))
        name = render(
            PRESETS[DEFAULT_PRESET],
            camera=self.entry.title,
            event_type=event.type,
            event_id=event.id,
            when=when,
        )
        try:
            recorder.request(
                event.id,
                name,
                start=event.start,
                duration=duration,
                preroll=preroll,
                postroll=postroll,
                hold=hold,
                thumbnail=thumbnail,
            )
        except ClipError as err:  # no stream yet, or the camera is stopping
            _LOGGER.debug("No clip for event %s of %s: %s", event.id, self.entry.title, err)
            return False
        return True

    @callback
    def async_clip_done(self, request: ClipRequest, info: ClipInfo) -> None:
        """Attach a finished clip to every event that went into it."""
        base = self.domain.recordings_dir
        relative = str(info.path.relative_to(base))
        self._task(self._async_attach_clip(sorted(request.keys), relative))

    async def _async_attach_clip(self, event_ids: list[str], relative: str) -> None:
        store = self.domain.store
        for event_id in event_ids:
            event = await self.hass.async_add_executor_job(store.get, event_id)
            if event is None:
                continue
            event.clip = relative
            await self.hass.async_add_executor_job(store.update, event)
            self._dispatch("updated", event)

    async def async_event_jpeg(self, event: Event) -> bytes | None:
        """Return the frame of the event: kept in memory, else its stored snapshot."""
        if (jpeg := self._frames.get(event.id)) is not None:
            return jpeg
        return await self.hass.async_add_executor_job(
            read_snapshot, self.domain.base_dir / "snapshots", event.camera, event.id
        )

    @callback
    def async_dispatch_updated(self, event: Event) -> None:
        """Tell subscribers that an event changed (a handler result came in)."""
        self._dispatch("updated", event)

    # ---- events the camera makes itself ------------------------------------------------

    async def async_begin(self, key: str, type_name: str, metadata: Mapping[str, Any]) -> None:
        """Open an event that lasts (motion, stream loss) unless one is already open."""
        async with self._lock:  # an end arriving while the event is created waits for it
            await self._async_begin(key, type_name, metadata)

    async def _async_begin(self, key: str, type_name: str, metadata: Mapping[str, Any]) -> None:
        if key in self._open:
            return
        try:
            self._open[key] = await self.async_create(type_name, metadata=metadata, hold=True)
        except CatalogError as err:  # not received: dropped at the door
            _LOGGER.debug("%s event of %s dropped: %s", type_name, self.entry.title, err)

    async def async_end(self, key: str, *, zones: list[str] | None = None) -> None:
        """Close the open event of `key`, if any (a motion's `zones`: all it touched)."""
        async with self._lock:
            event = self._open.get(key)
            if event is not None and zones:
                event.metadata["zones"] = zones
            await self._async_end(key)

    async def async_end_all(self) -> None:
        """Close every open event (the camera is stopping)."""
        for key in list(self._open):
            await self.async_end(key)

    async def _async_end(self, key: str) -> None:
        if (event := self._open.pop(key, None)) is not None:
            if self.recorder is not None:
                self.recorder.release(event.id)
            await self.async_finish(event)

    @callback
    def async_follow(self, runtime: CameraRuntime) -> None:
        """Turn the stream's signals into events, until async_stop."""
        self.streaming = runtime.available
        self._following = [
            runtime.async_on_motion(self.async_motion_changed),
            runtime.async_on_tamper(self.async_tamper_changed),
            runtime.async_on_stream(self.async_stream_changed),
            runtime.async_on_clip(self.async_clip_done),
        ]

    async def async_stop(self) -> None:
        """Stop listening and close every open event: nothing stays "ongoing" across a restart.

        Stopping is not a lost stream: no events come from the camera after this.
        """
        for disconnect in self._following:
            disconnect()
        self._following = []
        self.async_shutdown()
        await self.async_end_all()

    @callback
    def async_motion_changed(self, on: bool, result: MotionResult | None) -> None:
        """Open a motion event when motion starts; end it when the sensor turns off."""
        if on:
            metadata: dict[str, Any] = {}
            if result is not None:
                metadata["changed_area"] = round(result.changed_ratio * 100, 2)
                metadata["bounding_box"] = list(result.bbox) if result.bbox else None
                metadata["zones"] = self._zone_names(result.touched)
            self._task(self.async_begin(MOTION, MOTION, metadata))
        else:
            zones = self._zone_names(result.touched) if result is not None else None
            self._task(self.async_end(MOTION, zones=zones))

    def _zone_names(self, touched: tuple[str, ...]) -> list[str]:
        """Names of the zones a motion touched, in order of first touch."""
        layout = layout_of(self.entry.options)
        return [area.name for zone_id in touched if (area := layout.get(zone_id)) is not None]

    @callback
    def async_tamper_changed(self, result: TamperResult) -> None:
        """Open a tamper event while the view is covered or blinded; end it when it is back."""
        if result.active:
            metadata = {"contrast": result.contrast, "brightness": result.mean}
            self._task(self.async_begin(TAMPER, TAMPER, metadata))
        else:
            self._task(self.async_end(TAMPER))

    @callback
    def async_stream_changed(self, available: bool, error: StreamErrorCode | None) -> None:
        """Open a `net` event when the stream is lost; end it when the stream is back."""
        self.streaming = available
        if available:
            self._task(self.async_end(NET))
        else:
            self._task(self.async_begin(NET, NET, {"state": "lost", "error": error}))

    def _task(self, coro: Any) -> None:
        self.entry.async_create_background_task(
            self.hass, coro, f"{DOMAIN} {self.entry.title} event", eager_start=True
        )

    # ---- periodic types --------------------------------------------------------------

    def _schedule_periodic(self) -> None:
        for cancel in self._periodic.values():
            cancel()
        self._periodic.clear()
        for event_type in self.catalog:
            period = event_type.settings.period
            if event_type.caps.is_periodic and period > 0 and event_type.settings.receive:
                self._periodic[event_type.name] = async_track_time_interval(
                    self.hass,
                    self._periodic_callback(event_type.name),
                    timedelta(seconds=period),
                    name=f"{DOMAIN} {event_type.name}",
                    cancel_on_shutdown=True,
                )

    def _periodic_callback(self, name: str) -> Callable[[Any], None]:
        @callback
        def fire(_now: Any) -> None:
            self._task(self.async_create(name, metadata={"periodic": True}))

        return fire

    @callback
    def async_shutdown(self) -> None:
        """Stop periodic timers."""
        for cancel in self._periodic.values():
            cancel()
        self._periodic.clear()

    # ---- dispatch --------------------------------------------------------------------

    @callback
    def async_add_listener(self, listener: Callable[[EventChange], None]) -> CALLBACK_TYPE:
        """Call `listener` for every created or updated event of this camera."""
        return self._listeners.connect(listener)

    @callback
    def async_on_catalog(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call `listener` when a type is added, changed or removed."""
        return self._catalog_changed.connect(listener)

    @callback
    def links(self, event: Event) -> dict[str, str | None]:
        """Return the event's media links, signed for this camera's link lifetime."""
        return event_links(self.hass, event, link_lifetime(self.entry.options))

    @callback
    def _dispatch(self, action: str, event: Event) -> None:
        camera_entity = self.camera_entity
        links = self.links(event)
        change = EventChange(action, event, camera_entity, links)
        if action == "created":
            self.hass.bus.async_fire(
                EVENT_CAM_EVENTS,
                {
                    "id": event.id,
                    "entity_id": camera_entity,
                    "device_id": self.device_id,
                    "camera": self.entry.title,
                    **{
                        k: v
                        for k, v in event.as_dict(camera_entity).items()
                        if k in ("type", "start", "end", "duration", "metadata", "snapshot")
                    },
                    **links,
                },
            )
        self._listeners.fire(change)
        for subscriber in list(self.domain.subscribers):
            subscriber(change)

    @callback
    def _notify_catalog(self) -> None:
        self._catalog_changed.fire()
