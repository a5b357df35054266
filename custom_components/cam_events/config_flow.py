"""Config flow: add a camera by stream URL, tested by decoding a frame; reauth, reconfigure."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
import logging
import os
import stat
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_NAME, CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import callback
import probatio as vol

from .area_flow import AreaOptionsSteps
from .const import (
    CONF_DECODE_MODE,
    CONF_DETECT_FPS,
    CONF_DETECT_URL,
    CONF_KIND,
    CONF_LAYOUT,
    CONF_LINK_HOURS,
    CONF_MAX_CLIP,
    CONF_MIN_AREA,
    CONF_MOTION_DETECTION,
    CONF_OFF_DELAY,
    CONF_POSTROLL,
    CONF_PREROLL,
    CONF_RECORD,
    CONF_RETENTION_DAYS,
    CONF_RTSP_TRANSPORT,
    CONF_STORAGE_MB,
    CONF_THRESHOLD,
    DEFAULT_DECODE_MODE,
    DEFAULT_DETECT_FPS,
    DEFAULT_LINK_HOURS,
    DEFAULT_MAX_CLIP,
    DEFAULT_MOTION_DETECTION,
    DEFAULT_NAME,
    DEFAULT_OFF_DELAY,
    DEFAULT_POSTROLL,
    DEFAULT_PREROLL,
    DEFAULT_RECORD,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_RTSP_TRANSPORT,
    DEFAULT_STORAGE_MB,
    DOMAIN,
    PROBE_TIMEOUT,
    PROFILE_KINDS,
)
from .data import CamEventsConfigEntry, is_camera
from .delivery.registry import transport_for
from .flow_selectors import BOOL, PASSWORD, TEXT, URL, number, select
from .profile_flow import (
    PROFILE_SCHEMAS,
    RECONFIGURE_SCHEMAS,
    SCHEDULE_SCHEMA,
    async_validate_profile,
    check_schedule,
    form_placeholders,
    form_values,
    insecure_login,
    not_finite,
    with_stored,
)
from .profiles import kind_of
from .settings import DEFAULT_DETECTOR, detect_source, main_source
from .video.errors import StreamError, StreamErrorCode
from .video.probe import probe
from .video.source import (
    InvalidSourceError,
    RtspTransport,
    SourceKind,
    StreamSource,
    redact_url,
    source_kind,
    split_credentials,
)
from .video.stream_worker import DecodeMode

_LOGGER = logging.getLogger(__name__)

DECODE_MODES = [mode.value for mode in DecodeMode]
RTSP_TRANSPORTS = [transport.value for transport in RtspTransport]

# Form errors a user can see; anything else from a probe is reported as cannot_connect.
_FORM_ERRORS = {
    StreamErrorCode.INVALID_AUTH: "invalid_auth",
    StreamErrorCode.TIMEOUT: "timeout",
    StreamErrorCode.INVALID_URL: "invalid_url",
    StreamErrorCode.NO_VIDEO: "no_video",
    StreamErrorCode.TRANSPORT_REFUSED: "transport_refused",
    StreamErrorCode.FRAME_TOO_LARGE: "frame_too_large",
}


_STREAM_FIELDS: dict[Any, Any] = {
    vol.Required(CONF_URL): URL,
    vol.Optional(CONF_USERNAME): TEXT,
    vol.Optional(CONF_PASSWORD): PASSWORD,  # never sent back; empty keeps the stored one
    vol.Optional(CONF_DETECT_URL): URL,
    vol.Required(CONF_RTSP_TRANSPORT, default=DEFAULT_RTSP_TRANSPORT): select(
        RTSP_TRANSPORTS, "rtsp_transport"
    ),
}
CAMERA_SCHEMA = vol.Schema({vol.Required(CONF_NAME, default=DEFAULT_NAME): TEXT, **_STREAM_FIELDS})
"""The form that adds a camera."""
STREAM_SCHEMA = vol.Schema(_STREAM_FIELDS)
"""The form that changes a camera's stream (reconfigure)."""
REAUTH_SCHEMA = vol.Schema(
    {vol.Optional(CONF_USERNAME): TEXT, vol.Optional(CONF_PASSWORD): PASSWORD}
)
"""New credentials for a camera that refused its old ones."""
DETECTION_SCHEMA = vol.Schema(
    {
        vol.Required(key, default=default): field
        for key, default, field in (
            (CONF_MOTION_DETECTION, DEFAULT_MOTION_DETECTION, BOOL),
            (CONF_THRESHOLD, DEFAULT_DETECTOR.threshold, number(1, 255, slider=True)),
            (CONF_MIN_AREA, DEFAULT_DETECTOR.min_area, number(0.01, 50, "%", 0.01)),
            (CONF_DETECT_FPS, DEFAULT_DETECT_FPS, number(0, 30, "fps", 0.5)),
            (
                CONF_DECODE_MODE,
                DEFAULT_DECODE_MODE,
                select(DECODE_MODES, "decode_mode", as_list=True),
            ),
            (CONF_RECORD, DEFAULT_RECORD, BOOL),
            (CONF_PREROLL, DEFAULT_PREROLL, number(0, 30, "s", 0.5)),
            (CONF_POSTROLL, DEFAULT_POSTROLL, number(0, 60, "s", 0.5)),
            (CONF_MAX_CLIP, DEFAULT_MAX_CLIP, number(10, 3600, "s", 0.5)),
            (CONF_STORAGE_MB, DEFAULT_STORAGE_MB, number(10, 1_000_000, "MB", 10)),
            (CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS, number(1, 3650, "d")),
            (CONF_OFF_DELAY, DEFAULT_OFF_DELAY, number(0, 3600, "s")),
            (CONF_LINK_HOURS, DEFAULT_LINK_HOURS, number(1, 8760, "h")),
        )
    }
)
"""A camera's detection, recording and retention options."""


def _normalise(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Move credentials out of the URLs into their own fields; raise InvalidSourceError."""
    url, url_user, url_password = split_credentials(user_input[CONF_URL])
    source_kind(url)
    data: dict[str, Any] = {
        CONF_URL: url,
        CONF_USERNAME: user_input.get(CONF_USERNAME) or url_user or None,
        CONF_PASSWORD: user_input.get(CONF_PASSWORD) or url_password or None,
        CONF_RTSP_TRANSPORT: str(
            RtspTransport(user_input.get(CONF_RTSP_TRANSPORT, DEFAULT_RTSP_TRANSPORT))
        ),
    }
    if detect := (user_input.get(CONF_DETECT_URL) or "").strip():
        detect_url, _, _ = split_credentials(detect)
        source_kind(detect_url)
        if detect_url != url:
            data[CONF_DETECT_URL] = detect_url
    return data


def _file_error(path: str, allowed: bool) -> str | None:
    """Check a file source (blocking): allowed by Home Assistant, and a regular file.

    A FIFO would hang the probe for ever; a missing file is left to the probe's own error.
    """
    if not allowed:
        return "file_not_allowed"
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return "not_a_file"
    return None if stat.S_ISREG(mode) else "not_a_file"


class CamEventsConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a camera."""

    VERSION = 1

    _insecure: tuple[str, str, dict[str, Any], ConfigEntry | None] | None = None
    """A tested profile that sends its password in clear: (kind, title, data, entry)."""

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: CamEventsConfigEntry) -> OptionsFlow:
        """Return the detection settings flow."""
        return CamEventsOptionsFlow()

    async def _async_test(self, data: Mapping[str, Any]) -> str | None:
        """Decode a frame from the main stream (and the detect stream); return a form error."""
        sources = [main_source(data)]
        if data.get(CONF_DETECT_URL):
            sources.append(detect_source(data))
        for stream in sources:
            source = replace(stream, open_timeout=PROBE_TIMEOUT, read_timeout=PROBE_TIMEOUT)
            try:
                await self.hass.async_add_executor_job(probe, source)
            except StreamError as err:
                _LOGGER.debug("Testing %s failed: %s", redact_url(source.url), err)
                return _FORM_ERRORS.get(err.code, "cannot_connect")
        return None

    async def _async_file_error(self, data: Mapping[str, Any]) -> str | None:
        for url in (data[CONF_URL], data.get(CONF_DETECT_URL)):
            if url and source_kind(url) is SourceKind.FILE:
                path = StreamSource(url).path
                allowed = await self.hass.async_add_executor_job(
                    self.hass.config.is_allowed_path, path
                )
                if error := await self.hass.async_add_executor_job(_file_error, path, allowed):
                    return error
        return None

    async def _async_validate(
        self,
        user_input: dict[str, Any],
        errors: dict[str, str],
        stored: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Check and test the stream; `stored` (reconfigure) supplies a password left empty."""
        try:
            data = _normalise(user_input)
        except InvalidSourceError:
            errors[CONF_URL] = "invalid_url"
            return None
        if stored is not None and not data[CONF_PASSWORD]:
            data[CONF_PASSWORD] = stored.get(CONF_PASSWORD)
        if error := await self._async_file_error(data):
            errors[CONF_URL] = error
            return None
        if error := await self._async_test(data):
            errors["base"] = error
            return None
        return data

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose what to add: a camera or a destination for event handlers."""
        return self.async_show_menu(step_id="user", menu_options=["camera", *PROFILE_KINDS])

    async def async_step_camera(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Name, stream URL, credentials, optional detect stream."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                url = _normalise(user_input)[CONF_URL]
            except InvalidSourceError:
                errors[CONF_URL] = "invalid_url"
            else:
                await self.async_set_unique_id(url)
                self._abort_if_unique_id_configured()
                if data := await self._async_validate(user_input, errors):
                    return self.async_create_entry(title=user_input[CONF_NAME], data=data)
        return self.async_show_form(
            step_id="camera",
            data_schema=self.add_suggested_values_to_schema(
                CAMERA_SCHEMA, form_values(user_input or {})
            ),
            errors=errors,
        )

    # ---- handler profiles --------------------------------------------------------------

    async def _async_profile(
        self, kind: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        placeholders = form_placeholders()
        if user_input is not None:
            name = str(user_input.get(CONF_NAME, "")).strip()
            await self.async_set_unique_id(f"profile:{name.lower()}")
            self._abort_if_unique_id_configured()
            data, errors, placeholders = await async_validate_profile(
                hass=self.hass, kind=kind, user_input=user_input
            )
            if not errors:
                data.pop(CONF_NAME, None)
                if insecure_login(kind, data):
                    self._insecure = (kind, name, data, None)
                    return await self.async_step_insecure_login()
                return self.async_create_entry(title=name, data={CONF_KIND: kind, **data})
        return self.async_show_form(
            step_id=kind,
            data_schema=self.add_suggested_values_to_schema(
                PROFILE_SCHEMAS[kind], form_values(user_input or {})
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start when the camera refuses its credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for new credentials and test them."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                **entry.data,
                CONF_USERNAME: user_input.get(CONF_USERNAME) or None,
                CONF_PASSWORD: user_input.get(CONF_PASSWORD) or entry.data.get(CONF_PASSWORD),
            }
            if error := await self._async_test(data):
                errors["base"] = error
            else:
                return self.async_update_reload_and_abort(entry, data=data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                REAUTH_SCHEMA, {CONF_USERNAME: entry.data.get(CONF_USERNAME)}
            ),
            description_placeholders={"name": entry.title},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the stream URL, credentials or detect stream (or a profile's settings)."""
        entry = self._get_reconfigure_entry()
        kind = kind_of(entry.data)
        if transport_for(kind) is not None:
            return await self._async_reconfigure_profile(entry, kind, user_input)
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                url = _normalise(user_input)[CONF_URL]
            except InvalidSourceError:
                errors[CONF_URL] = "invalid_url"
            else:
                if url != entry.unique_id:
                    await self.async_set_unique_id(url)
                    self._abort_if_unique_id_configured()
                if data := await self._async_validate(user_input, errors, entry.data):
                    return self.async_update_reload_and_abort(entry, unique_id=url, data=data)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                STREAM_SCHEMA, form_values(user_input or entry.data)
            ),
            errors=errors,
        )

    async def _async_reconfigure_profile(
        self, entry: ConfigEntry, kind: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        placeholders = form_placeholders()
        if user_input is not None:
            user_input = with_stored(kind, entry.data, user_input)
            data, errors, placeholders = await async_validate_profile(
                hass=self.hass, kind=kind, user_input=user_input
            )
            if not errors:
                if insecure_login(kind, data):
                    self._insecure = (kind, entry.title, data, entry)
                    return await self.async_step_insecure_login()
                return self.async_update_reload_and_abort(entry, data={CONF_KIND: kind, **data})
        return self.async_show_form(
            step_id="reconfigure_profile",
            data_schema=self.add_suggested_values_to_schema(
                RECONFIGURE_SCHEMAS[kind], form_values(user_input or entry.data)
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_insecure_login(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask before saving a profile that would send its password unencrypted."""
        assert self._insecure is not None
        kind, title, data, entry = self._insecure
        if user_input is None:
            return self.async_show_form(
                step_id="insecure_login",
                data_schema=vol.Schema({}),
                description_placeholders={"name": title, "kind": kind},
            )
        self._insecure = None
        if entry is not None:
            return self.async_update_reload_and_abort(entry, data={CONF_KIND: kind, **data})
        return self.async_create_entry(title=title, data={CONF_KIND: kind, **data})

    async def async_step_reconfigure_profile(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change a profile's settings (tested before saving)."""
        entry = self._get_reconfigure_entry()
        return await self._async_reconfigure_profile(entry, kind_of(entry.data), user_input)


type _Step = Callable[[CamEventsConfigFlow, dict[str, Any] | None], Awaitable[ConfigFlowResult]]


def _profile_step(kind: str) -> _Step:
    """Return the step that adds a profile of `kind` (its form is `profile_flow.FORMS[kind]`)."""

    async def step(
        flow: CamEventsConfigFlow, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        return await flow._async_profile(kind, user_input)

    step.__name__ = step.__qualname__ = f"async_step_{kind}"
    step.__doc__ = f"Add a handler profile of kind {kind}."
    return step


# One step per destination kind, named as the menu option that opens it.
for _kind in PROFILE_KINDS:
    setattr(CamEventsConfigFlow, f"async_step_{_kind}", _profile_step(_kind))


class CamEventsOptionsFlow(AreaOptionsSteps):
    """Detection settings and masks and zones, or a profile's schedule; applied live."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Offer a camera's detection settings, or its masks and zones (see area_flow)."""
        if not is_camera(self.config_entry):
            return await self.async_step_schedule()
        return self.async_show_menu(step_id="init", menu_options=["detection", "areas"])

    async def async_step_detection(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Sensitivity, area, rate, off-delay, on/off."""
        errors: dict[str, str] = {}
        if user_input is not None and not (errors := not_finite(user_input)):
            kept = {
                k: self.config_entry.options[k]
                for k in (CONF_LAYOUT,)
                if k in self.config_entry.options
            }
            return self.async_create_entry(data={**user_input, **kept})
        typed = {k: v for k, v in (user_input or {}).items() if k not in errors}
        options = {**self.config_entry.options, **typed}
        schema = self.add_suggested_values_to_schema(DETECTION_SCHEMA, options)
        return self.async_show_form(step_id="detection", data_schema=schema, errors=errors)

    async def async_step_schedule(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Days, time windows and the notification pause of a profile."""
        errors: dict[str, str] = {}
        if user_input is not None:
            options, errors = check_schedule(user_input)
            errors = not_finite(user_input) or errors
            if not errors:
                return self.async_create_entry(data=options)
        return self.async_show_form(
            step_id="schedule",
            data_schema=self.add_suggested_values_to_schema(
                SCHEDULE_SCHEMA, user_input or self.config_entry.options
            ),
            errors=errors,
        )
