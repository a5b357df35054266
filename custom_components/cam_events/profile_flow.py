"""Forms of the handler profiles: schemas, validation and the connection test."""

from __future__ import annotations

from collections.abc import Mapping
import logging
import math
from pathlib import Path
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
from .delivery import email, ftp
from .delivery.base import AuthenticationError, DeliveryError, PermanentDeliveryError
from .delivery.naming import (
    DEFAULT_PRESET,
    PLACEHOLDERS,
    PRESETS,
    NamingError,
    as_choice,
    from_choice,
    validate_pattern,
)
from .delivery.schedule import ScheduleError
from .flow_selectors import BOOL, PASSWORD, TEXT, number, select
from .profiles import CONF_VERIFY_SSL, async_test_profile, recipients, time_filter

_LOGGER = logging.getLogger(__name__)

NAME_PATTERN = re.compile(r"^.{2,23}$")
MAX_FTP_USERNAME = 255
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def form_placeholders(error: str = "") -> dict[str, str]:
    """Return what a profile form's texts fill in: the test's error and the pattern tokens."""
    return {"error": error, **PLACEHOLDERS}


def _field(
    defaults: Mapping[str, Any], key: str, default: Any = vol.UNDEFINED, *, required: bool = True
) -> Any:
    value = defaults.get(key, default)
    if required:
        return vol.Required(key, default=value) if value is not vol.UNDEFINED else vol.Required(key)
    return vol.Optional(key, description={"suggested_value": defaults.get(key)})


def profile_schema(kind: str, defaults: Mapping[str, Any], *, with_name: bool) -> vol.Schema:
    """Return the form of a profile kind, filled with `defaults`."""
    d = dict(defaults)
    # Option values are translation keys (lower case, no braces): show stored values that way.
    if CONF_PATTERN in d:
        d[CONF_PATTERN] = as_choice(str(d[CONF_PATTERN]))
    if CONF_METHOD in d:
        d[CONF_METHOD] = str(d[CONF_METHOD]).lower()
    fields: dict[Any, Any] = {}
    if with_name:
        fields[_field(d, CONF_NAME)] = TEXT
    if kind == KIND_SMTP:
        fields |= {
            _field(d, CONF_HOST): TEXT,
            _field(d, CONF_PORT, 587): number(1, 65535),
            _field(d, CONF_SECURITY, "starttls"): select(["none", "starttls", "tls"], "security"),
            _field(d, CONF_AUTH, True): BOOL,
            _field(d, CONF_USERNAME, required=False): TEXT,
            _field(d, CONF_PASSWORD, required=False): PASSWORD,
            _field(d, CONF_SENDER): TEXT,
            _field(d, CONF_RECIPIENTS): TEXT,
            _field(d, CONF_TIMEOUT, 15): number(1, 120, "s"),
            _field(d, CONF_VERIFY_SSL, True): BOOL,
            _field(d, CONF_MAX_ATTACHMENT_MB, 10): number(0.001, 100, "MB", step=0.001),
        }
    elif kind == KIND_FTP:
        fields |= {
            _field(d, CONF_HOST): TEXT,
            _field(d, CONF_PORT, 21): number(1, 65535),
            _field(d, CONF_USERNAME): TEXT,
            _field(d, CONF_PASSWORD): PASSWORD,
            _field(d, CONF_BASE_PATH, "/"): TEXT,
            _field(d, CONF_PASSIVE, True): BOOL,
            _field(d, CONF_FTPS, False): BOOL,
            _field(d, CONF_VERIFY_SSL, True): BOOL,
            _field(d, CONF_PATTERN, DEFAULT_PRESET): select(list(PRESETS), "pattern", custom=True),
            _field(d, CONF_TIMEOUT, 15): number(1, 120, "s"),
        }
    elif kind == KIND_HTTP:
        fields |= {
            _field(d, CONF_HOST): TEXT,
            _field(d, CONF_PORT, 80): number(1, 65535),
            _field(d, CONF_PATH, "/"): TEXT,
            _field(d, CONF_METHOD, "post"): select(["post", "get"], "method"),
            _field(d, CONF_USERNAME, required=False): TEXT,
            _field(d, CONF_PASSWORD, required=False): PASSWORD,
            _field(d, CONF_HTTPS, False): BOOL,
            _field(d, CONF_VERIFY_SSL, True): BOOL,
            _field(d, CONF_KEEPALIVE, 0): number(0, 86400, "s"),
            _field(d, CONF_TIMEOUT, 10): number(1, 120, "s"),
        }
    elif kind == KIND_UDP:
        fields |= {
            _field(d, CONF_MODE, "unicast"): select(
                ["unicast", "multicast", "broadcast"], "udp_mode"
            ),
            _field(d, CONF_ADDRESS): TEXT,
            _field(d, CONF_PORT): number(1, 65535),
            _field(d, CONF_TTL, 1): number(1, 255),
            _field(d, CONF_INTERFACE, required=False): TEXT,
        }
    elif kind == KIND_LOCAL:
        fields |= {
            _field(d, CONF_FOLDER, "cam_events"): TEXT,
            _field(d, CONF_PATTERN, DEFAULT_PRESET): select(list(PRESETS), "pattern", custom=True),
        }
    return vol.Schema(fields)


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
    if kind in (KIND_SMTP, KIND_FTP, KIND_HTTP) and not str(data.get(CONF_HOST, "")).strip():
        errors[CONF_HOST] = "invalid_host"
    if kind == KIND_UDP and not str(data.get(CONF_ADDRESS, "")).strip():
        errors[CONF_ADDRESS] = "invalid_address"
    if kind == KIND_SMTP:
        if data.get(CONF_AUTH) and not (data.get(CONF_USERNAME) and data.get(CONF_PASSWORD)):
            errors[CONF_USERNAME] = "auth_incomplete"
        for key, addresses in (
            (CONF_SENDER, [str(data.get(CONF_SENDER, ""))]),
            (CONF_RECIPIENTS, list(recipients(data.get(CONF_RECIPIENTS))) or [""]),
        ):
            try:
                for address in addresses:
                    email.check_address(address)
            except ValueError:
                errors[key] = "invalid_address"
    elif kind == KIND_FTP:
        # Any length the server takes; never a line break (it would end the FTP command).
        username = str(data.get(CONF_USERNAME, ""))
        if not 1 <= len(username) <= MAX_FTP_USERNAME or not username.isprintable():
            errors[CONF_USERNAME] = "invalid_username"
        if not str(data.get(CONF_PASSWORD, "")).isprintable():
            errors[CONF_PASSWORD] = "invalid_password"
    if kind in (KIND_FTP, KIND_LOCAL):
        try:
            data[CONF_PATTERN] = validate_pattern(from_choice(str(data.get(CONF_PATTERN, ""))))
        except NamingError as err:
            errors[CONF_PATTERN] = err.key
    if kind == KIND_LOCAL:
        folder = str(data.get(CONF_FOLDER, "")).strip().strip("/")
        media = Path(hass.config.media_dirs.get("local", hass.config.path("media")))
        if (
            not folder
            or not folder.isprintable()  # a NUL or a line break in a folder name
            or ".." in Path(folder).parts
            or not (media / folder).resolve().is_relative_to(media.resolve())
            or not hass.config.is_allowed_path(str((media / folder).resolve()))
        ):
            errors[CONF_FOLDER] = "unsafe_folder"
        data[CONF_FOLDER] = folder
    return errors


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
    if kind == KIND_HTTP:
        return bool(data.get(CONF_PASSWORD) or data.get(CONF_USERNAME)) and not data.get(CONF_HTTPS)
    if kind == KIND_SMTP:
        return bool(data.get(CONF_AUTH)) and data.get(CONF_SECURITY) == email.Security.NONE
    return False


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


def schedule_schema(options: Mapping[str, Any]) -> vol.Schema:
    """Return the form of a profile's time filters and notification pause."""
    return vol.Schema(
        {
            vol.Optional(CONF_DAYS, default=list(options.get(CONF_DAYS, WEEKDAYS))): (
                selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=list(WEEKDAYS),
                        multiple=True,
                        translation_key="weekday",
                        mode=selector.SelectSelectorMode.LIST,
                    )
                )
            ),
            vol.Optional(
                CONF_WINDOWS, description={"suggested_value": options.get(CONF_WINDOWS)}
            ): TEXT,
            vol.Optional(CONF_PAUSE, default=options.get(CONF_PAUSE, 0)): number(0, 86400, "s"),
        }
    )


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
