"""Event handler services: e-mail, FTP, HTTP push, UDP push, local storage, retry.

A call checks its input, applies the profile's time filters and pause, gathers what to send
(the event's own frame, a burst, the raw event), writes it to the spool and enqueues a job;
the outbox delivers it. The answer says what happened: queued, skipped or suppressed.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from pathlib import Path
import time
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import async_register_admin_service
from homeassistant.helpers.template import TemplateEnvironment
from homeassistant.util import dt as dt_util
from homeassistant.util.thread import ThreadWithException
import probatio as vol

from .camera_events import CameraEvents
from .const import CONF_PATTERN, DOMAIN
from .data import DATA_DOMAIN, is_profile, profile_entries
from .delivery import email
from .delivery.base import Transport
from .delivery.naming import DEFAULT_PRESET, PRESETS
from .delivery.outbox import Job
from .delivery.registry import BY_SERVICE
from .delivery.request import CLIP_WAIT, Ask, Message, Plan, build_job, clip_waits, plan
from .errors import failure, raise_translated_error, unicode_text, validation_error
from .events.model import Event, new_event_id
from .lookups import camera_events
from .profile_runtime import ProfileRuntime
from .profiles import kind_of
from .snooze import DATA_PAUSES
from .storage_health import StorageArea, describe

DEFAULT_SUBJECT = "{{ camera }}: {{ event.type }} event"
DEFAULT_MESSAGE = (
    "{{ camera }} reported a {{ event.type }} event at {{ event.start }}.\nEvent id: {{ event.id }}"
)
MAX_BURST = 10
MAX_TEMPLATE_SECONDS = 1.0
"""A subject or message template renders in a worker thread, stopped after this long."""
MAX_TEMPLATE_VALUE = 65_536
"""No text or list a template builds with `*`, `+` or `**` may be longer (items or characters)."""
MAX_OUTPUT = {"subject": 998, "message": 65_536}
"""Rendered characters: a subject fits one mail header line (RFC 5322), a message 64 KB."""

_BASE = vol.Schema(
    {
        vol.Required("camera"): cv.entity_id,
        vol.Required("profile"): cv.string,
        vol.Optional("event_id"): cv.string,
        vol.Optional("snapshot", default=True): cv.boolean,
        vol.Optional("burst_count", default=1): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=MAX_BURST)
        ),
        vol.Optional("burst_interval", default=1.0): vol.All(
            vol.Coerce(float), vol.Range(min=0.1, max=10)
        ),
        vol.Optional("raw_data", default=False): cv.boolean,
        vol.Optional("clip", default=False): cv.boolean,
        # Deliver only when the event touched one of these zones (names, as in metadata.zones).
        vol.Optional("zones"): vol.All(
            cv.ensure_list, [vol.All(cv.string, vol.Length(max=64))], vol.Length(max=32)
        ),
    }
)
MAX_RECIPIENTS = 50


def _recipients(value: Any) -> list[str]:
    """Return the plain addresses of `to` (a list, or one comma-separated text).

    Anything that is not one plain address (a display name, a line break smuggling a header)
    is refused here, translated, before anything is queued.
    """
    addresses: list[str] = []
    for item in cv.ensure_list(value):
        text = item if isinstance(item, str) else cv.string(item)
        parts = (
            [text] if "\r" in text or "\n" in text else list(email.split_recipients(text)) or [text]
        )
        for part in parts:
            try:
                addresses.append(email.check_address(part))
            except ValueError:
                raise validation_error(
                    "invalid_recipient", address=part.encode("unicode_escape").decode()[:100]
                ) from None
    if len(addresses) > MAX_RECIPIENTS:
        raise validation_error("too_many_recipients", limit=str(MAX_RECIPIENTS))
    return addresses


SCHEMA_EMAIL = _BASE.extend(
    {
        vol.Optional("to"): _recipients,
        # Text, compiled and rendered by _render off the loop: cv.template would compile here,
        # and Jinja's constant folding runs `{{ 9 ** 999999999 }}` while compiling.
        vol.Optional("subject"): cv.string,
        vol.Optional("message"): cv.string,
    }
)
SCHEMA_RETRY = vol.Schema({vol.Optional("profile"): cv.string})


def _profile(hass: HomeAssistant, profile: str, kind: str) -> ProfileRuntime:
    entry = hass.config_entries.async_get_entry(profile)
    if entry is None or entry.domain != DOMAIN:
        entry = next(
            (e for e in profile_entries(hass, loaded=False) if e.title.lower() == profile.lower()),
            None,
        )
    if entry is None or not is_profile(entry):
        raise validation_error("unknown_profile", profile=profile)
    if kind_of(entry.data) != kind:
        raise validation_error("wrong_profile_kind", profile=entry.title, kind=kind)
    if entry.state is not ConfigEntryState.LOADED:
        raise validation_error("profile_not_loaded", profile=entry.title)
    return entry.runtime_data


async def call_event(camera: CameraEvents, event_id: str | None) -> Event:
    """Return the call's event: the one named, else the camera's latest."""
    store = camera.domain.store
    hass = camera.hass
    if event_id:
        event = await hass.async_add_executor_job(store.get, event_id)
        if event is None or event.camera != camera.entry.entry_id:
            raise validation_error("unknown_event", event=event_id)
        return event
    event = await hass.async_add_executor_job(store.latest, camera.entry.entry_id)
    if event is None:
        raise validation_error("no_event", camera=camera.entry.title)
    return event


async def _frames(camera: CameraEvents, event: Event, count: int, interval: float) -> list[bytes]:
    """Return the event's own frame, then the rest of a burst taken from now on (count > 1)."""
    if not count:
        return []
    first = await camera.async_event_jpeg(event)
    if first is None:
        raise validation_error("no_snapshot", event=event.id)
    frames = [first]
    for _ in range(count - 1):
        await asyncio.sleep(interval)
        if (jpeg := await camera.async_snapshot()) is not None:
            frames.append(jpeg)
    return frames


def spool_files(folder: Path, job_id: str, items: list[tuple[str, bytes]]) -> list[str]:
    """Write a job's files to the spool, each under a temporary name first (blocking)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[str] = []
    tmp: Path | None = None
    try:
        for index, (suffix, data) in enumerate(items):
            path = folder / f"{job_id}_{index:02d}{suffix}"
            tmp = path.with_name(path.name + ".part")
            tmp.write_bytes(data)
            tmp.replace(path)
            paths.append(str(path))
    except OSError:
        # All the job's files or none (the disk is full): nothing half written stays.
        for leftover in [*(Path(p) for p in paths), *([tmp] if tmp is not None else [])]:
            with suppress(OSError):
                leftover.unlink(missing_ok=True)
        raise
    return paths


async def _handle(call: ServiceCall, transport: Transport[Any]) -> ServiceResponse:
    hass = call.hass
    handler = transport.service
    ask = Ask(
        snapshot=bool(call.data["snapshot"]),
        burst_count=call.data["burst_count"],
        raw_data=bool(call.data["raw_data"]),
        clip=bool(call.data["clip"]),
    )
    if ask.nothing_for(transport.capabilities):
        raise validation_error("nothing_to_send", handler=handler)
    camera = camera_events(hass, call.data["camera"])
    profile = _profile(hass, call.data["profile"], transport.kind)
    event = await call_event(camera, call.data.get("event_id"))
    base: dict[str, Any] = {"event_id": event.id, "profile": profile.name, "handler": handler}
    if (
        gated := await _gate(hass, profile, camera, event, base, call.data.get("zones"))
    ) is not None:
        return gated

    planned = plan(transport, profile.profile, ask)
    frames = await _frames(camera, event, planned.frames, call.data["burst_interval"])
    job = await _enqueue(call, transport, profile, camera, event, planned, frames)
    result = {**base, "status": "queued", "job_id": job.id, "files": len(job.files)}
    if planned.note:
        result["note"] = planned.note
    await hass.data[DATA_DOMAIN].results.async_queued(job, profile.name)
    return result


async def _gate(
    hass: HomeAssistant,
    profile: ProfileRuntime,
    camera: CameraEvents,
    event: Event,
    base: dict[str, Any],
    zones: list[str] | None = None,
) -> ServiceResponse | None:
    """Apply the zones filter, time filters and pause; return the answer if they hold it back."""
    if (held := held_back(hass, profile, camera, event, base, zones)) is None:
        return None
    result, detail = held
    domain = hass.data[DATA_DOMAIN]
    await domain.results.async_gated(event.id, result, detail)
    return result


def held_back(
    hass: HomeAssistant,
    profile: ProfileRuntime | None,
    camera: CameraEvents,
    event: Event,
    base: dict[str, Any],
    zones: list[str] | None = None,
) -> tuple[dict[str, Any], str] | None:
    """Return the answer and its detail when the call is held back, None when it may go.

    The zones filter and the camera's notification pause hold back every call; a profile's
    time filters and pause hold back the calls through that profile.
    """
    touched = {str(z).casefold() for z in event.metadata.get("zones") or ()}
    if zones and not touched & {z.casefold() for z in zones}:
        result = {**base, "status": "skipped", "reason": "zones"}
        detail = f"zones {', '.join(zones)} not touched"
    elif profile is not None and not profile.time_filter.allows(dt_util.now()):
        result = {**base, "status": "skipped", "reason": "schedule"}
        detail = profile.time_filter.describe()
    elif (
        snoozed := hass.data[DATA_PAUSES].remaining(camera.entry.entry_id, time.time())
    ) is not None:
        # Before the profile's pause: a held-back call must not start the profile's pause.
        result = {**base, "status": "suppressed", "reason": "snoozed", "retry_in": round(snoozed)}
        detail = f"notifications paused, {snoozed:.0f} s left"
    elif (
        profile is not None
        and (remaining := profile.pause.check(camera.entry.entry_id, time.time())) is not None
    ):
        result = {
            **base,
            "status": "suppressed",
            "reason": "pause",
            "retry_in": round(remaining, 1),
        }
        detail = f"pause, {remaining:.0f} s left"
    else:
        return None
    return result, detail


async def _enqueue(
    call: ServiceCall,
    transport: Transport[Any],
    profile: ProfileRuntime,
    camera: CameraEvents,
    event: Event,
    planned: Plan,
    frames: list[bytes],
) -> Job:
    """Spool the call's files and enqueue its job; one asking for a clip waits for it."""
    hass = call.hass
    domain = hass.data[DATA_DOMAIN]
    event_dict = event.as_dict(camera.camera_entity)
    message = None
    if transport.capabilities.message:
        variables = {"event": event_dict, "camera": camera.entry.title}
        message = Message(
            subject=await _render(
                hass, call.data.get("subject"), DEFAULT_SUBJECT, variables, "subject"
            ),
            body=await _render(
                hass, call.data.get("message"), DEFAULT_MESSAGE, variables, "message"
            ),
            to=call.data.get("to") or [],
        )
    items, payload = build_job(
        transport.capabilities,
        planned,
        event=event_dict,
        camera=camera.entry.title,
        when=dt_util.as_local(dt_util.utc_from_timestamp(event.start)),
        pattern=profile.entry.data.get(CONF_PATTERN) or PRESETS[DEFAULT_PRESET],
        frames=frames,
        message=message,
    )
    job_id = new_event_id()
    try:
        files = await hass.async_add_executor_job(spool_files, domain.spool_dir, job_id, items)
    except OSError as err:
        domain.storage.async_report(StorageArea.SPOOL, err)
        # A write's error names no file: name the folder, so the caller is told where.
        raise failure("file_error", path=str(domain.spool_dir), error=describe(err)) from err
    if items:
        domain.storage.async_report(StorageArea.SPOOL, None)
    created = time.time()
    waits = clip_waits(payload, event.clip)
    job = Job(
        id=job_id,
        profile=profile.entry.entry_id,
        handler=transport.service,
        payload=payload,
        files=files,
        event_id=event.id,
        camera=camera.entry.entry_id,
        created=created,
        next_attempt=created + CLIP_WAIT if waits else 0.0,
    )
    await domain.outbox.enqueue(job)
    if waits:
        # The clip may have come while the job was being stored: then it goes now.
        stored = await hass.async_add_executor_job(domain.store.get, event.id)
        if stored is not None and stored.clip:
            await domain.outbox.release(job.profile, lambda j: j.id == job_id)
    return job


class _BoundedEnvironment(TemplateEnvironment):
    """Home Assistant's limited template environment whose arithmetic cannot build huge values.

    Limited: no function that reads Home Assistant's state. `"x" * 10**9`, a list doubled by
    `+` or `9 ** 9 ** 9` stop with an error before allocating; loops are bounded by the sandbox's
    range limit and by the render's time limit.
    """

    intercepted_binops = frozenset({"*", "+", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Refuse an operation whose result would be too large, then do it."""
        if _too_large(operator, left, right):
            raise TemplateTooLarge
        return super().call_binop(context, operator, left, right)


def _too_large(operator: str, left: Any, right: Any) -> bool:
    sequence = (str, list, tuple)
    if operator == "**":
        return (
            isinstance(left, int)
            and isinstance(right, int)
            and right > 0
            and abs(left) > 1
            and abs(left).bit_length() * right > 4096
        )
    if operator == "*":
        return any(
            isinstance(seq, sequence)
            and _is_number(count)
            and len(seq) * max(int(count), 0) > MAX_TEMPLATE_VALUE
            for seq, count in ((left, right), (right, left))
        )
    return (
        isinstance(left, sequence)
        and isinstance(right, sequence)
        and len(left) + len(right) > MAX_TEMPLATE_VALUE
    )


class TemplateTooLarge(Exception):
    """A template tried to build a value over MAX_TEMPLATE_VALUE."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


async def _render(
    hass: HomeAssistant,
    template: str | None,
    default: str,
    variables: dict[str, Any],
    field: str,
) -> str:
    """Render a caller's template off the loop, bounded in time, value size and output size."""
    source = default if template is None else template
    limit = MAX_OUTPUT[field]
    outcome: list[Any] = []
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    def work() -> None:
        try:
            environment = _BoundedEnvironment(hass, limited=True)
            outcome.append(environment.from_string(source).render(variables))
        except BaseException as err:  # noqa: BLE001 - handed to the loop; TimeoutError too
            outcome.append(err)
        finally:
            loop.call_soon_threadsafe(done.set)

    thread = ThreadWithException(target=work, name="cam_events template", daemon=True)
    thread.start()
    try:
        async with asyncio.timeout(MAX_TEMPLATE_SECONDS):
            await done.wait()
    except TimeoutError:
        thread.raise_exc(TimeoutError)
        await hass.async_add_executor_job(thread.join, 1.0)
        raise validation_error(
            "template_timeout", field=field, seconds=f"{MAX_TEMPLATE_SECONDS:g}"
        ) from None
    result = outcome[0]
    if isinstance(result, TemplateTooLarge):
        raise validation_error("template_too_large", field=field, limit=str(MAX_TEMPLATE_VALUE))
    if isinstance(result, BaseException):
        raise validation_error("template_error", field=field, error=str(result)[:200]) from result
    text = unicode_text(str(result).strip(), field)
    if len(text) > limit:
        raise validation_error("template_too_large", field=field, limit=str(limit))
    return text


async def _retry(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    profile_id: str | None = None
    if profile := call.data.get("profile"):
        entry = hass.config_entries.async_get_entry(profile)
        if entry is None or entry.domain != DOMAIN or not is_profile(entry):
            raise validation_error("unknown_profile", profile=profile)
        profile_id = entry.entry_id
    requeued = await hass.data[DATA_DOMAIN].outbox.retry_dead(profile_id)
    return {"requeued": requeued}


def async_setup_handler_services(hass: HomeAssistant) -> None:
    """Register the handler services: all send data out of the house, so admin services."""
    for handler, transport in BY_SERVICE.items():

        @raise_translated_error
        async def run(call: ServiceCall, transport: Transport[Any] = transport) -> ServiceResponse:
            return await _handle(call, transport)

        async_register_admin_service(
            hass,
            DOMAIN,
            handler,
            run,
            schema=SCHEMA_EMAIL if transport.capabilities.message else _BASE,
            supports_response=SupportsResponse.OPTIONAL,
        )
    async_register_admin_service(
        hass,
        DOMAIN,
        "retry_failed",
        raise_translated_error(_retry),
        schema=SCHEMA_RETRY,
        supports_response=SupportsResponse.OPTIONAL,
    )
