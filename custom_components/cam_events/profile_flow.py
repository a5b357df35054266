"""Forms of the handler profiles: schemas, validation and the connection test."""

from __future__ import annotations

from collections.abc import Mapping
import logging
import math
import re
from typing import Any

from homeassistant.const import (
    CONF_HOST,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_PATH,
    CONF_PORT,
    CONF_USERNAME,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import selector
import probatio as vol

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
    CONF_MAX_ATTACHMENT_MB,
    CONF_METHOD,
    CONF_MODE,
    CONF_PASSIVE,
    CONF_PATTERN,
    CONF_PAUSE,
    CONF_RECIPIENTS,
    CONF_SECURITY,
    CONF_SENDER,
    CONF_TIMEOUT,
    CONF_TTL,
    CONF_WINDOWS,
    KIND_FTP,
    KIND_HTTP,
    KIND_LOCAL,
    KIND_SMTP,
    KIND_UDP,
)
from .delivery import ftp
from .delivery.base import AuthenticationError, DeliveryError, PermanentDeliveryError
from .delivery.naming import DEFAULT_PRESET, PLACEHOLDERS, PRESETS, as_choice
from .delivery.registry import TRANSPORTS
from .delivery.schedule import ScheduleError
from .flow_selectors import BOOL, PASSWORD, TEXT, number, select
from .profiles import CONF_VERIFY_SSL, HassHost, async_test_profile, time_filter

_LOGGER = logging.getLogger(__name__)

NAME_PATTERN = re.compile(r"^.{2,23}$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def form_placeholders(error: str = "") -> dict[str, str]:
    """Return what a profile form's texts fill in: the test's error and the pattern tokens."""
    return {"error": error, **PLACEHOLDERS}


REQUIRED: Any = vol.UNDEFINED
"""A required field with no default."""
OPTIONAL: Any = object()
"""An optional field: shown empty, or with the stored value suggested."""
PATTERN_SELECT = select(list(PRESETS), "pattern", custom=True)

# The one table of profile forms: (field, default, selector) per kind, in form order.
FORMS: Mapping[str, tuple[tuple[str, Any, Any], ...]] = {
    KIND_SMTP: (
        (CONF_HOST, REQUIRED, TEXT),
        (CONF_PORT, 587, number(1, 65535)),
        (CONF_SECURITY, "starttls", select(["none", "starttls", "tls"], "security")),
        (CONF_AUTH, True, BOOL),
        (CONF_USERNAME, OPTIONAL, TEXT),
        (CONF_PASSWORD, OPTIONAL, PASSWORD),
        (CONF_SENDER, REQUIRED, TEXT),
        (CONF_RECIPIENTS, REQUIRED, TEXT),
        (CONF_TIMEOUT, 15, number(1, 120, "s")),
        (CONF_VERIFY_SSL, True, BOOL),
        (CONF_MAX_ATTACHMENT_MB, 10, number(0.001, 100, "MB", step=0.001)),
    ),
    KIND_FTP: (
        (CONF_HOST, REQUIRED, TEXT),
        (CONF_PORT, 21, number(1, 65535)),
        (CONF_USERNAME, REQUIRED, TEXT),
        (CONF_PASSWORD, REQUIRED, PASSWORD),
        (CONF_BASE_PATH, "/", TEXT),
        (CONF_PASSIVE, True, BOOL),
        (CONF_FTPS, False, BOOL),
        (CONF_VERIFY_SSL, True, BOOL),
        (CONF_PATTERN, DEFAULT_PRESET, PATTERN_SELECT),
        (CONF_TIMEOUT, 15, number(1, 120, "s")),
    ),
    KIND_HTTP: (
        (CONF_HOST, REQUIRED, TEXT),
        (CONF_PORT, 80, number(1, 65535)),
        (CONF_PATH, "/", TEXT),
        (CONF_METHOD, "post", select(["post", "get"], "method")),
        (CONF_USERNAME, OPTIONAL, TEXT),
        (CONF_PASSWORD, OPTIONAL, PASSWORD),
        (CONF_HTTPS, False, BOOL),
        (CONF_VERIFY_SSL, True, BOOL),
        (CONF_KEEPALIVE, 0, number(0, 86400, "s")),
        (CONF_TIMEOUT, 10, number(1, 120, "s")),
    ),
    KIND_UDP: (
        (CONF_MODE, "unicast", select(["unicast", "multicast", "broadcast"], "udp_mode")),
        (CONF_ADDRESS, REQUIRED, TEXT),
        (CONF_PORT, REQUIRED, number(1, 65535)),
        (CONF_TTL, 1, number(1, 255)),
        (CONF_INTERFACE, OPTIONAL, TEXT),
    ),
    KIND_LOCAL: (
        (CONF_FOLDER, "cam_events", TEXT),
        (CONF_PATTERN, DEFAULT_PRESET, PATTERN_SELECT),
    ),
}


def _form(kind: str, *, reconfigure: bool) -> vol.Schema:
    """Build a profile kind's form from ``FORMS``: defaults as given, nothing filled in.

    The reconfigure form has no name, and every field is optional: one left out keeps its
    stored value (``with_stored``), an optional one left empty is cleared, and an empty
    password keeps the stored one.
    """
    fields: dict[Any, Any] = {} if reconfigure else {vol.Required(CONF_NAME): TEXT}
    for key, default, field in FORMS[kind]:
        if default is OPTIONAL or reconfigure:
            fields[vol.Optional(key)] = field  # shown empty, or suggested
        elif default is REQUIRED:
            fields[vol.Required(key)] = field
        else:
            fields[vol.Required(key, default=default)] = field
    return vol.Schema(fields)


PROFILE_SCHEMAS: Mapping[str, vol.Schema] = {kind: _form(kind, reconfigure=False) for kind in FORMS}
"""The form that adds a profile of each kind (name first)."""
RECONFIGURE_SCHEMAS: Mapping[str, vol.Schema] = {
    kind: _form(kind, reconfigure=True) for kind in FORMS
}
"""The form that changes a profile of each kind (no name; the password may stay empty)."""


def with_stored(
    kind: str, stored: Mapping[str, Any], user_input: Mapping[str, Any]
) -> dict[str, Any]:
    """Return a reconfigure form's input with what it left out taken from the stored profile.

    Fields the profile always has (required, or with a default) keep their stored value when
    left out; optional ones left out are cleared; an empty password keeps the stored one.
    """
    kept = {
        key: stored[key]
        for key, default, _field in FORMS[kind]
        if key in stored and default is not OPTIONAL and key not in user_input
    }
    merged = {**kept, **user_input}
    if not merged.get(CONF_PASSWORD) and stored.get(CONF_PASSWORD):
        merged[CONF_PASSWORD] = stored[CONF_PASSWORD]
    return merged


def form_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return what a form shows filled in: ``values`` less the password.

    For profiles, option values are translation keys (lower case, no braces): stored values
    are shown that way.
    """
    shown = {k: v for k, v in values.items() if k != CONF_PASSWORD}
    if CONF_PATTERN in shown:
        shown[CONF_PATTERN] = as_choice(str(shown[CONF_PATTERN]))
    if CONF_METHOD in shown:
        shown[CONF_METHOD] = str(shown[CONF_METHOD]).lower()
    return shown


def _as_ints(data: dict[str, Any]) -> dict[str, Any]:
    for key in (CONF_PORT, CONF_TTL, CONF_KEEPALIVE):
        if key in data:
            data[key] = int(data[key])
    return data


def not_finite(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Return a form error for each number that is NaN or infinite."""
    return {
        key: "invalid_number"
        for key, value in user_input.items()
        if isinstance(value, float) and not math.isfinite(value)
    }


def check_fields(hass: HomeAssistant, kind: str, data: dict[str, Any]) -> dict[str, str]:
    """Validate what a form can check without connecting; return form errors."""
    errors: dict[str, str] = {}
    if CONF_NAME in data and not NAME_PATTERN.fullmatch(str(data[CONF_NAME]).strip()):
        errors[CONF_NAME] = "invalid_name"
    return errors | TRANSPORTS[kind].check(HassHost(hass), data)


async def async_validate_profile(
    hass: HomeAssistant, kind: str, user_input: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Check fields, then connect; return (data, errors, description placeholders)."""
    if errors := not_finite(user_input):
        return dict(user_input), errors, {"error": ""}
    data = _as_ints({k: v for k, v in user_input.items() if v not in (None, "")})
    errors = check_fields(hass, kind, data)
    placeholders = form_placeholders()
    if errors:
        return data, errors, placeholders
    try:
        await async_test_profile(hass, kind, data)
    except AuthenticationError as err:
        errors["base"] = "invalid_auth"
        placeholders["error"] = str(err)
    except ftp.ProbeError as err:
        errors["base"] = "upload_test_failed"
        placeholders["error"] = str(err)
    except PermanentDeliveryError as err:
        errors["base"] = "refused"
        placeholders["error"] = str(err)
    except DeliveryError as err:
        errors["base"] = "cannot_connect_server"
        placeholders["error"] = str(err)
    except ValueError as err:
        key = str(err.args[0]) if err.args else "invalid_value"
        errors[_field_of(key)] = key
    _LOGGER.debug("Testing a %s profile: %s", kind, errors or "ok")
    return data, errors, placeholders


def insecure_login(kind: str, data: Mapping[str, Any]) -> bool:
    """Whether the profile would send its password unencrypted (HTTP Basic, SMTP without TLS)."""
    transport = TRANSPORTS[kind]
    return transport.insecure_login(transport.profile(data))


def _field_of(key: str) -> str:
    return {
        "invalid_port": CONF_PORT,
        "invalid_path": CONF_PATH,
        "invalid_host": CONF_HOST,
        "invalid_address": CONF_ADDRESS,
        "not_multicast": CONF_ADDRESS,
        "not_broadcast": CONF_ADDRESS,
        "multicast_not_unicast": CONF_ADDRESS,
        "invalid_ttl": CONF_TTL,
        "invalid_username": CONF_USERNAME,
        "invalid_timeout": CONF_TIMEOUT,
        "invalid_method": CONF_METHOD,
        "invalid_mode": CONF_MODE,
        "invalid_interface": CONF_INTERFACE,
    }.get(key, "base")


SCHEDULE_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_DAYS, default=list(WEEKDAYS)): selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=list(WEEKDAYS),
                multiple=True,
                translation_key="weekday",
                mode=selector.SelectSelectorMode.LIST,
            )
        ),
        vol.Optional(CONF_WINDOWS): TEXT,
        vol.Optional(CONF_PAUSE, default=0): number(0, 86400, "s"),
    }
)
"""A profile's time filters and notification pause."""


def check_schedule(user_input: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate time filters; return (options, errors)."""
    options = {
        CONF_DAYS: list(user_input.get(CONF_DAYS) or WEEKDAYS),
        CONF_WINDOWS: str(user_input.get(CONF_WINDOWS) or "").strip(),
        CONF_PAUSE: float(user_input.get(CONF_PAUSE, 0)),
    }
    try:
        time_filter(options)
    except ScheduleError as err:
        return options, {CONF_WINDOWS if "window" in err.key else CONF_DAYS: err.key}
    return options, {}
