"""Cam Events: IP cameras as an event system inside Home Assistant."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
import logging
from pathlib import Path
import shutil
import time

from homeassistant.const import EVENT_HOMEASSISTANT_CLOSE, EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.typing import ConfigType

from .camera_events import CameraEvents, async_remove_catalog
from .card import async_register_card
from .const import (
    DOMAIN,
    OUTBOX_BACKOFF_INITIAL,
    OUTBOX_BACKOFF_MAX,
    OUTBOX_MAX_ATTEMPTS,
    PLATFORMS,
    PROFILE_PLATFORMS,
    SETUP_TIMEOUT,
    STORAGE_DIR,
)
from .data import (
    DATA_DOMAIN,
    CameraData,
    CamEventsAnyConfigEntry,
    CamEventsConfigEntry,
    DomainData,
    ProfileConfigEntry,
    is_camera,
)
from .delivery.outbox import Outbox, OutboxStore
from .events.model import Event as EventRecord
from .events.retention import delete_clips, over_cap
from .events.snapshots import delete_snapshots
from .events.store import EventStore
from .handler_results import HandlerResults
from .handler_services import async_setup_handler_services
from .http_api import async_setup_http
from .lookups import loaded_camera_events
from .phone import async_setup_phone_service
from .profile_runtime import ProfileRuntime
from .runtime import CameraRuntime
from .services import async_setup_services
from .settings import retention_settings
from .snooze import async_setup_pauses
from .storage_health import StorageArea, StorageHealth
from .video.stream_worker import StreamState
from .websocket_api import async_setup_websocket

_LOGGER = logging.getLogger(__name__)

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
RETENTION_INTERVAL = timedelta(hours=6)
FLUSH_INTERVAL = timedelta(seconds=30)
"""How often changes the disk refused are tried again when nothing else is written."""


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Open the event history and the outbox; register services and APIs, once for all."""
    base_dir = Path(hass.config.path(STORAGE_DIR))
    store = EventStore(str(base_dir / "events.db"))
    outbox_store = OutboxStore(str(base_dir / "outbox.db"))

    def open_stores() -> None:
        base_dir.mkdir(parents=True, exist_ok=True)
        store.open()
        outbox_store.open()

    await hass.async_add_executor_job(open_stores)
    outbox = Outbox(
        outbox_store,
        hass.async_add_executor_job,
        spool_dir=base_dir / "spool",
        backoff_initial=OUTBOX_BACKOFF_INITIAL,
        backoff_max=OUTBOX_BACKOFF_MAX,
        max_attempts=OUTBOX_MAX_ATTEMPTS,
    )
    await outbox.start()
    recordings_dir = Path(
        hass.config.media_dirs.get("local", hass.config.path("media")), "cam_events", "recordings"
    )
    storage = StorageHealth(
        hass,
        {
            StorageArea.HISTORY: base_dir,
            StorageArea.OUTBOX: base_dir,
            StorageArea.SNAPSHOTS: base_dir / "snapshots",
            StorageArea.CLIPS: recordings_dir,
            StorageArea.SPOOL: base_dir / "spool",
        },
    )
    store.on_health = partial(storage.report_threadsafe, StorageArea.HISTORY)
    outbox_store.on_health = partial(storage.report_threadsafe, StorageArea.OUTBOX)

    @callback
    def result_recorded(event: EventRecord) -> None:
        if (camera := loaded_camera_events(hass, event.camera)) is not None:
            camera.async_dispatch_updated(event)

    hass.data[DATA_DOMAIN] = DomainData(
        store=store,
        results=HandlerResults(hass, store, result_recorded),
        base_dir=base_dir,
        outbox=outbox,
        outbox_store=outbox_store,
        spool_dir=base_dir / "spool",
        recordings_dir=recordings_dir,
        storage=storage,
    )

    async def flush_stores(_now: object = None) -> None:
        # Changes the disk refused are written before the next write; this writes them when
        # nothing else is written (space came back on a quiet day).
        for kept in (store, outbox_store):
            if kept.unsaved:
                await hass.async_add_executor_job(kept.flush)

    async_track_time_interval(
        hass, flush_stores, FLUSH_INTERVAL, name=f"{DOMAIN} flush", cancel_on_shutdown=True
    )

    async def stop_outbox(_event: Event) -> None:
        await outbox.stop()

    async def close_stores(_event: Event) -> None:
        await outbox.stop()
        await hass.async_add_executor_job(store.close)
        await hass.async_add_executor_job(outbox_store.close)

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, stop_outbox)
    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_CLOSE, close_stores)
    # Exception messages (HTTP API errors) are read from the translation cache.
    await async_get_translations(hass, "en", "exceptions", {DOMAIN})
    async_setup_services(hass)
    async_setup_handler_services(hass)
    await async_setup_pauses(hass)
    async_setup_phone_service(hass)
    async_setup_http(hass)
    async_setup_websocket(hass)
    await async_register_card(hass)
    return True


@dataclass(frozen=True, slots=True)
class EntryKind[E: CamEventsAnyConfigEntry, R]:
    """What one kind of entry does: build its runtime data, set up, delete its storage."""

    platforms: tuple[Platform, ...]
    start: Callable[[HomeAssistant, E], Awaitable[R]]  # the complete runtime data
    setup: Callable[[HomeAssistant, E], Awaitable[None]]  # once runtime_data is set
    remove: Callable[[HomeAssistant, E], Awaitable[None]]


async def async_setup_entry(hass: HomeAssistant, entry: CamEventsAnyConfigEntry) -> bool:
    """Start a camera (stream worker, events, entities) or a handler profile."""
    if is_camera(entry):
        # The stream must deliver a first frame before the entry is set up (NotReady otherwise).
        entry.runtime_data = await CAMERA.start(hass, entry)
        await CAMERA.setup(hass, entry)
    else:
        entry.runtime_data = await PROFILE.start(hass, entry)
        await PROFILE.setup(hass, entry)
    return True


async def _async_new_profile(hass: HomeAssistant, entry: ProfileConfigEntry) -> ProfileRuntime:
    """Read a profile's settings (its worker starts in setup)."""
    return ProfileRuntime(hass, entry)


async def _async_setup_profile(hass: HomeAssistant, entry: ProfileConfigEntry) -> None:
    """Start the profile's outbox worker and add its health sensors."""
    await entry.runtime_data.async_start()
    await hass.config_entries.async_forward_entry_setups(entry, PROFILE_PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))


async def _async_start_camera(hass: HomeAssistant, entry: CamEventsConfigEntry) -> CameraData:
    """Start a camera's stream worker, wait for its first frame, and build its events."""
    runtime = CameraRuntime(hass, entry, hass.data[DATA_DOMAIN].recordings_dir)
    runtime.async_start()
    state = await runtime.async_first_state(SETUP_TIMEOUT)
    if state is not StreamState.STREAMING:
        error = runtime.last_error
        await runtime.async_stop()
        placeholders = {"name": entry.title, "error": error.detail if error else state.value}
        if state is StreamState.AUTH_FAILED:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="invalid_auth",
                translation_placeholders=placeholders,
            )
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders=placeholders,
        )
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
    )
    events = CameraEvents(
        hass,
        entry,
        hass.data[DATA_DOMAIN],
        device_id=device.id,
        snapshot=runtime.async_snapshot,
        recorder=runtime.recorder,
    )
    try:
        await events.async_load()
    except BaseException:
        await runtime.async_stop()
        raise
    events.async_follow(runtime)
    return CameraData(stream=runtime, events=events)


async def _async_setup_camera(hass: HomeAssistant, entry: CamEventsConfigEntry) -> None:
    """Set up a streaming camera's entities, options listener and retention."""
    data = entry.runtime_data

    async def stop_camera(_event: Event) -> None:
        await data.async_stop()

    # Home Assistant stops without unloading entries: join the thread all the same.
    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, stop_camera))
    entry.async_on_unload(data.events.async_shutdown)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))

    async def purge(_now: object = None) -> None:
        await _async_purge(hass, entry)

    entry.async_create_background_task(hass, purge(), f"{DOMAIN} retention")
    entry.async_on_unload(
        async_track_time_interval(
            hass, purge, RETENTION_INTERVAL, name=f"{DOMAIN} retention", cancel_on_shutdown=True
        )
    )


async def async_unload_entry(hass: HomeAssistant, entry: CamEventsAnyConfigEntry) -> bool:
    """Stop the worker thread (joined) or the profile's worker, and remove the entities."""
    platforms = CAMERA.platforms if is_camera(entry) else PROFILE.platforms
    unloaded = await hass.config_entries.async_unload_platforms(entry, platforms)
    await entry.runtime_data.async_stop()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: CamEventsAnyConfigEntry) -> None:
    """Forget a deleted camera's catalogue, history and snapshots, or a profile's jobs."""
    if is_camera(entry):
        await CAMERA.remove(hass, entry)
    else:
        await PROFILE.remove(hass, entry)


async def _async_remove_profile(hass: HomeAssistant, entry: ProfileConfigEntry) -> None:
    """Drop a deleted profile's queued and dead jobs."""
    domain = hass.data[DATA_DOMAIN]
    await hass.async_add_executor_job(domain.outbox_store.delete_profile, entry.entry_id)


async def _async_remove_camera(hass: HomeAssistant, entry: CamEventsConfigEntry) -> None:
    """Forget a deleted camera's catalogue, events, clips and snapshots (nothing runs)."""
    domain = hass.data[DATA_DOMAIN]
    await async_remove_catalog(hass, entry.entry_id)
    removed = await hass.async_add_executor_job(domain.store.delete_camera, entry.entry_id)
    await hass.async_add_executor_job(delete_clips, domain.recordings_dir, removed)
    await hass.async_add_executor_job(
        shutil.rmtree, domain.base_dir / "snapshots" / entry.entry_id, True
    )


async def _async_purge(hass: HomeAssistant, entry: CamEventsConfigEntry) -> None:
    """Delete events (and their snapshots) older than the retention."""
    domain = hass.data[DATA_DOMAIN]
    retention = retention_settings(entry.options)
    days = retention.days
    before = time.time() - days * 86_400
    removed = await hass.async_add_executor_job(domain.store.purge, before, entry.entry_id)
    if removed:
        await hass.async_add_executor_job(
            delete_snapshots,
            domain.base_dir / "snapshots",
            [(event.camera, event.id) for event in removed],
        )
        await hass.async_add_executor_job(delete_clips, domain.recordings_dir, removed)
        _LOGGER.debug("Removed %d events of %s older than %s days", len(removed), entry.title, days)
    # Then the size cap: the oldest clips go first, never the one being written.
    cap = retention.storage_bytes
    recorder = entry.runtime_data.stream.recorder
    in_use = recorder.active.path if recorder is not None and recorder.active else None
    clips = await hass.async_add_executor_job(domain.store.clips, entry.entry_id)
    trimmed = await hass.async_add_executor_job(over_cap, domain.recordings_dir, clips, cap, in_use)
    if trimmed:
        await hass.async_add_executor_job(delete_clips, domain.recordings_dir, trimmed)
        for event in trimmed:
            event.clip = None
            await hass.async_add_executor_job(domain.store.update, event)
        _LOGGER.debug("Removed %d clips of %s over its size cap", len(trimmed), entry.title)


async def _async_options_updated(hass: HomeAssistant, entry: CamEventsAnyConfigEntry) -> None:
    """Apply options live: the stream (or the profile's worker) keeps running."""
    entry.runtime_data.async_apply_options()


CAMERA = EntryKind[CamEventsConfigEntry, CameraData](
    PLATFORMS, _async_start_camera, _async_setup_camera, _async_remove_camera
)
PROFILE = EntryKind[ProfileConfigEntry, ProfileRuntime](
    PROFILE_PLATFORMS, _async_new_profile, _async_setup_profile, _async_remove_profile
)
