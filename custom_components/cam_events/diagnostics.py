"""Diagnostics with every credential and every URL's user and password redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .const import CONF_DETECT_URL
from .data import CamEventsConfigEntry
from .video.source import redact_url

TO_REDACT = {CONF_PASSWORD, CONF_USERNAME}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: CamEventsConfigEntry
) -> dict[str, Any]:
    """Return what support needs: settings, stream state, counters; never a credential."""
    runtime = entry.runtime_data
    data = async_redact_data(dict(entry.data), TO_REDACT)
    for key in (CONF_URL, CONF_DETECT_URL):
        if data.get(key):
            data[key] = redact_url(data[key])
    return {
        "entry": {"title": entry.title, "data": data, "options": dict(entry.options)},
        "stream": {
            "kind": runtime.source.kind.value,
            "state": runtime.state.value,
            "last_error": runtime.last_error.code.value if runtime.last_error else None,
            "last_error_detail": runtime.last_error.detail if runtime.last_error else None,
            "stats": asdict(runtime.stats) if runtime.stats else None,
            "worker_running": runtime.worker.running,
        },
        "motion": {
            "detection_enabled": runtime.detection_enabled,
            "active": runtime.motion,
            "settings": asdict(runtime.settings.detector),
            "detect_fps_limit": runtime.settings.detect_fps,
            "off_delay": runtime.off_delay,
        },
    }
