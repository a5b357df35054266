"""Handler profiles: config entry data to transport settings, connection tests, time filters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PATH, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import (
    CONF_ADDRESS,
    CONF_AUTH,
    CONF_BASE_PATH,
    CONF_DAYS,
    CONF_FOLDER,
    CONF_FTPS,
    CONF_HTTPS,
    CONF_INTERFACE,
    CONF_KEEPALIVE,
    CONF_KIND,
    CONF_METHOD,
    CONF_MODE,
    CONF_PASSIVE,
    CONF_PAUSE,
    CONF_RECIPIENTS,
    CONF_SECURITY,
    CONF_SENDER,
    CONF_TIMEOUT,
    CONF_TTL,
    CONF_WINDOWS,
    KIND_CAMERA,
    KIND_FTP,
    KIND_HTTP,
    KIND_LOCAL,
    KIND_SMTP,
    KIND_UDP,
)
from .delivery import email, ftp, http_push, udp_push
from .delivery.schedule import PauseGate, TimeFilter

CONF_VERIFY_SSL = "verify_ssl"


def kind_of(data: Mapping[str, Any]) -> str:
    """Return what an entry is: a camera (entries made before profiles existed) or a profile."""
    return str(data.get(CONF_KIND, KIND_CAMERA))


def recipients(text: str | None) -> tuple[str, ...]:
    """Split a comma or semicolon separated list of addresses."""
    return tuple(part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip())


def smtp_profile(data: Mapping[str, Any]) -> email.SmtpProfile:
    """Build the SMTP settings."""
    auth = bool(data.get(CONF_AUTH))
    return email.SmtpProfile(
        host=data[CONF_HOST],
        port=int(data[CONF_PORT]),
        security=email.Security(data[CONF_SECURITY]),
        auth=auth,
        username=data.get(CONF_USERNAME) if auth else None,
        password=data.get(CONF_PASSWORD) if auth else None,
        sender=data[CONF_SENDER],
        recipients=recipients(data.get(CONF_RECIPIENTS)),
        timeout=float(data.get(CONF_TIMEOUT, 15)),
        verify_tls=bool(data.get(CONF_VERIFY_SSL, True)),
    )


def ftp_profile(data: Mapping[str, Any]) -> ftp.FtpProfile:
    """Build the FTP settings."""
    return ftp.FtpProfile(
        host=data[CONF_HOST],
        port=int(data[CONF_PORT]),
        username=data[CONF_USERNAME],
        password=data.get(CONF_PASSWORD) or "",
        base_path=data.get(CONF_BASE_PATH) or "/",
        passive=bool(data.get(CONF_PASSIVE, True)),
        ftps=bool(data.get(CONF_FTPS, False)),
        timeout=float(data.get(CONF_TIMEOUT, 15)),
        verify_tls=bool(data.get(CONF_VERIFY_SSL, True)),
    )


def http_profile(data: Mapping[str, Any]) -> http_push.HttpProfile:
    """Build the HTTP push settings."""
    return http_push.HttpProfile(
        host=data[CONF_HOST],
        port=int(data[CONF_PORT]),
        path=data.get(CONF_PATH) or "/",
        # Forms store "post"/"get" (option values are translation keys); older entries "POST".
        method=http_push.Method(str(data.get(CONF_METHOD, "post")).upper()),
        username=data.get(CONF_USERNAME) or None,
        password=data.get(CONF_PASSWORD) or None,
        https=bool(data.get(CONF_HTTPS, False)),
        verify_tls=bool(data.get(CONF_VERIFY_SSL, True)),
        keepalive=int(data.get(CONF_KEEPALIVE, 0)),
        timeout=float(data.get(CONF_TIMEOUT, 10)),
    )


def udp_profile(data: Mapping[str, Any]) -> udp_push.UdpProfile:
    """Build the UDP push settings."""
    mode = udp_push.Mode(data[CONF_MODE])
    return udp_push.UdpProfile(
        mode=mode,
        address=data[CONF_ADDRESS],
        port=int(data[CONF_PORT]),
        ttl=int(data.get(CONF_TTL, 1)),
        interface=data.get(CONF_INTERFACE) or None,
    )


def local_folder(data: Mapping[str, Any]) -> str:
    """Return the folder under the media folder that a local-storage profile writes to."""
    return str(data.get(CONF_FOLDER) or "cam_events").strip("/")


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
    if kind == KIND_SMTP:
        await email.test_connection(smtp_profile(data))
    elif kind == KIND_FTP:
        await ftp.test_connection(ftp_profile(data))
    elif kind == KIND_HTTP:
        profile = http_profile(data)
        http_push.validate(profile)
        await http_push.test_connection(
            async_get_clientsession(hass, verify_ssl=profile.verify_tls), profile
        )
    elif kind == KIND_UDP:
        udp_push.validate(udp_profile(data))
    elif kind == KIND_LOCAL:
        return
