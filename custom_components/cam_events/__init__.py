"""Cam Events: IP cameras as an event system inside Home Assistant."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady

from .const import DOMAIN, PLATFORMS, STREAM_TIMEOUT
from .data import CamEventsConfigEntry
from .runtime import CameraRuntime
from .video.stream_worker import StreamState


async def async_setup_entry(hass: HomeAssistant, entry: CamEventsConfigEntry) -> bool:
    """Start a camera's stream worker and its entities."""
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
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: CamEventsConfigEntry) -> bool:
    """Stop the worker thread (joined) and remove the entities."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    await entry.runtime_data.async_stop()
    return unloaded


async def _async_options_updated(hass: HomeAssistant, entry: CamEventsConfigEntry) -> None:
    """Apply detection options live: the stream keeps running."""
    entry.runtime_data.async_apply_options()
