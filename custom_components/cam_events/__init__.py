"""Cam Events: IP cameras as an event system inside Home Assistant."""

from __future__ import annotations

from datetime import timedelta
import logging
from pathlib import Path
import shutil
import time

from homeassistant.const import EVENT_HOMEASSISTANT_CLOSE
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.typing import ConfigType

from .const import (
    CONF_RETENTION_DAYS,
    DEFAULT_RETENTION_DAYS,
    DOMAIN,
    PLATFORMS,
    STORAGE_DIR,
    STREAM_TIMEOUT,
)
from .data import DATA_DOMAIN, CamEventsConfigEntry, DomainData
from .events.snapshots import delete_snapshots
from .events.store import EventStore
from .http_api import async_setup_http
from .hub import CameraEvents
from .runtime import CameraRuntime
from .services import async_setup_services
from .video.stream_worker import StreamState
from .websocket_api import async_setup_websocket

_LOGGER = logging.getLogger(__name__)

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
RETENTION_INTERVAL = timedelta(hours=6)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Open the event history and register services and APIs, once for all cameras."""
    base_dir = Path(hass.config.path(STORAGE_DIR))
    store = EventStore(str(base_dir / "events.db"))

    def open_store() -> None:
        base_dir.mkdir(parents=True, exist_ok=True)
        store.open()

    await hass.async_add_executor_job(open_store)
    hass.data[DATA_DOMAIN] = DomainData(store=store, base_dir=base_dir)

    async def close_store(_event: Event) -> None:
        await hass.async_add_executor_job(store.close)

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_CLOSE, close_store)
    # Exception messages (HTTP API errors) are read from the translation cache.
    await async_get_translations(hass, "en", "exceptions", {DOMAIN})
    async_setup_services(hass)
    async_setup_http(hass)
    async_setup_websocket(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: CamEventsConfigEntry) -> bool:
    """Start a camera's stream worker, its events and its entities."""
    runtime = CameraRuntime(hass, entry)
    runtime.async_start()
    state = await runtime.async_first_state(STREAM_TIMEOUT * 2 + 1)
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
    entry.runtime_data = runtime
    events = CameraEvents(hass, entry, runtime, hass.data[DATA_DOMAIN])
    await events.async_load()
    runtime.events = events
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
    )
    events.device_id = device.id
    entry.async_on_unload(events.async_shutdown)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))

    async def purge(_now: object = None) -> None:
        await _async_purge(hass, entry)

    entry.async_create_background_task(hass, purge(), f"{DOMAIN} retention")
    entry.async_on_unload(
        async_track_time_interval(hass, purge, RETENTION_INTERVAL, name=f"{DOMAIN} retention")
    )
    return True


async def async_unload_entry(hass: HomeAssistant, entry: CamEventsConfigEntry) -> bool:
    """Stop the worker thread (joined) and remove the entities."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    await entry.runtime_data.async_stop()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: CamEventsConfigEntry) -> None:
    """Forget a deleted camera's catalogue, history and snapshots."""
    domain = hass.data[DATA_DOMAIN]
    await CameraEvents(hass, entry, None, domain).async_remove_storage()  # type: ignore[arg-type]
    await hass.async_add_executor_job(domain.store.delete_camera, entry.entry_id)
    await hass.async_add_executor_job(
        shutil.rmtree, domain.base_dir / "snapshots" / entry.entry_id, True
    )


async def _async_purge(hass: HomeAssistant, entry: CamEventsConfigEntry) -> None:
    """Delete events (and their snapshots) older than the retention."""
    domain = hass.data[DATA_DOMAIN]
    days = float(entry.options.get(CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS))
    before = time.time() - days * 86_400
    removed = await hass.async_add_executor_job(domain.store.purge, before, entry.entry_id)
    if removed:
        await hass.async_add_executor_job(
            delete_snapshots,
            domain.base_dir / "snapshots",
            [(event.camera, event.id) for event in removed],
        )
        _LOGGER.debug("Removed %d events of %s older than %s days", len(removed), entry.title, days)


async def _async_options_updated(hass: HomeAssistant, entry: CamEventsConfigEntry) -> None:
    """Apply detection options live: the stream keeps running."""
    entry.runtime_data.async_apply_options()
