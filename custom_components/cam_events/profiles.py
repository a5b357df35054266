"""Handler profiles: what an entry is, its transport and host, its time filters and pause."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import CONF_DAYS, CONF_KIND, CONF_PAUSE, CONF_WINDOWS, KIND_CAMERA
from .delivery.base import Transport
from .delivery.registry import transport_for
from .delivery.schedule import PauseGate, TimeFilter

if TYPE_CHECKING:
    import aiohttp

CONF_VERIFY_SSL = "verify_ssl"


def kind_of(data: Mapping[str, Any]) -> str:
    """Return what an entry is: a camera (entries made before profiles existed) or a profile."""
    return str(data.get(CONF_KIND, KIND_CAMERA))


def transport_of(data: Mapping[str, Any]) -> Transport[Any]:
    """Return the transport of a profile entry's data (ValueError for a camera)."""
    transport = transport_for(kind_of(data))
    if transport is None:
        raise ValueError(kind_of(data))
    return transport


class HassHost:
    """What Home Assistant lends the transports: media folder, HTTP session, executor."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Lend `hass`."""
        self._hass = hass

    @property
    def media_dir(self) -> Path:
        """Return the local media folder."""
        config = self._hass.config
        return Path(config.media_dirs.get("local", config.path("media")))

    def is_allowed_path(self, path: str) -> bool:
        """Return whether Home Assistant's allow-list lets us write there."""
        return self._hass.config.is_allowed_path(path)

    def http_session(self, verify_tls: bool) -> aiohttp.ClientSession:
        """Return Home Assistant's shared session."""
        return async_get_clientsession(self._hass, verify_ssl=verify_tls)

    def run_blocking[T](self, func: Callable[[], T], /) -> Awaitable[T]:
        """Run in Home Assistant's executor."""
        return self._hass.async_add_executor_job(func)


def time_filter(options: Mapping[str, Any]) -> TimeFilter:
    """Return the profile's days and time windows (ScheduleError if stored wrongly)."""
    windows = options.get(CONF_WINDOWS) or []
    if isinstance(windows, str):
        windows = [w for w in windows.replace(";", ",").split(",") if w.strip()]
    return TimeFilter.from_config(options.get(CONF_DAYS) or None, windows or None)


def pause_gate(options: Mapping[str, Any]) -> PauseGate:
    """Return the notification pause (at most one delivery per camera per N seconds)."""
    return PauseGate(float(options.get(CONF_PAUSE, 0)))


async def async_test_profile(hass: HomeAssistant, kind: str, data: Mapping[str, Any]) -> None:
    """Connect to the destination with these settings; raise ValueError or DeliveryError."""
    transport = transport_of({**data, CONF_KIND: kind})
    await transport.test_connection(HassHost(hass), transport.profile(data))
