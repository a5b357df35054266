"""Diagnostics with every credential and every URL's user and password redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .const import CONF_DETECT_URL, CONF_RECIPIENTS, CONF_SENDER
from .data import CamEventsAnyConfigEntry, is_camera
from .video.source import RtspTransport, redact_url

TO_REDACT = {CONF_PASSWORD, CONF_USERNAME, CONF_SENDER, CONF_RECIPIENTS}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: CamEventsAnyConfigEntry
) -> dict[str, Any]:
    """Return what support needs: settings, stream state, counters; never a credential."""
    data = async_redact_data(dict(entry.data), TO_REDACT)
    for key in (CONF_URL, CONF_DETECT_URL):
        if data.get(key):
            data[key] = redact_url(data[key])
    if getattr(entry, "runtime_data", None) is None:  # it failed to start, or is unloaded
        return {
            "entry": {"title": entry.title, "data": data, "options": dict(entry.options)},
            "setup": {"state": entry.state.value, "reason": entry.reason},
        }
    if not is_camera(entry):
        profile = entry.runtime_data
        return {
            "entry": {"title": entry.title, "data": data, "options": dict(entry.options)},
            "profile": {
                "kind": profile.kind,
                "time_filter": profile.time_filter.describe(),
                "queue_length": profile.queue_length,
                "consecutive_failures": profile.failures,
                "sent": profile.sent,
                "last_success": profile.last_success.isoformat() if profile.last_success else None,
                "last_error": profile.last_error,
            },
        }
    runtime = entry.runtime_data.stream
    recorder = runtime.recorder
    return {
        "recording": {
            "enabled": recorder is not None,
            "ring_bytes": recorder.ring.nbytes if recorder else 0,
            "ring_seconds": round(recorder.ring.duration, 2) if recorder else 0,
            "active_clip": recorder.active is not None if recorder else False,
            "separate_main_stream": runtime.record_worker is not None,
        },
        "entry": {"title": entry.title, "data": data, "options": dict(entry.options)},
        "stream": {
            "kind": runtime.source.kind.value,
            "state": runtime.state.value,
            # The RTSP transport the stream opened with (None: not RTSP, or never opened).
            "transport": _value(runtime.worker.transport),
            "record_transport": _value(runtime.record_worker.transport)
            if runtime.record_worker is not None
            else None,
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


def _value(transport: RtspTransport | None) -> str | None:
    return transport.value if transport is not None else None
