"""Handler profiles at run time: deliver the outbox's jobs, keep health, raise repairs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
import logging
from pathlib import Path
import time
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .const import (
    CONF_MAX_ATTACHMENT_MB,
    DEFAULT_MAX_ATTACHMENT_MB,
    DOMAIN,
    KIND_FTP,
    KIND_HTTP,
    KIND_LOCAL,
    KIND_SMTP,
    KIND_UDP,
)
from .data import DATA_DOMAIN, camera_entries
from .delivery import email, ftp, http_push, udp_push
from .delivery.base import (
    Attachment,
    AuthenticationError,
    DeliveryError,
    PermanentDeliveryError,
)
from .delivery.local import write_files
from .delivery.outbox import Job, JobOutcome
from .delivery.payload import heartbeat_payload
from .profiles import (
    ftp_profile,
    http_profile,
    kind_of,
    local_folder,
    pause_gate,
    smtp_profile,
    time_filter,
    udp_profile,
)

if TYPE_CHECKING:
    from .data import ProfileConfigEntry

_LOGGER = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 255
# How long a job waits for its event's clip to be finished before it goes without it.
CLIP_WAIT = 900.0
_CLIP_TYPES = {".mp4": "video/mp4", ".mkv": "video/x-matroska", ".mov": "video/quicktime"}


def _read_files(paths: list[str]) -> list[bytes]:
    return [Path(path).read_bytes() for path in paths]


class ProfileRuntime:
    """One destination (SMTP, FTP, HTTP, UDP, a local folder): its worker and its health."""

    def __init__(self, hass: HomeAssistant, entry: ProfileConfigEntry) -> None:
        """Read the profile's settings."""
        self.hass = hass
        self.entry = entry
        self.kind = kind_of(entry.data)
        self.time_filter = time_filter(entry.options)
        self.pause = pause_gate(entry.options)
        self.last_success: datetime | None = None
        self.last_error: str | None = None
        self.failures = 0
        self.sent = 0
        self._auth_failed = False
        self._listeners: list[CALLBACK_TYPE] = []
        self._keepalive: CALLBACK_TYPE | None = None

    @property
    def name(self) -> str:
        """Return the profile's name."""
        return self.entry.title

    @property
    def outbox(self) -> Any:
        """Return the shared outbox."""
        return self.hass.data[DATA_DOMAIN].outbox

    @property
    def queue_length(self) -> int:
        """Return the number of jobs waiting for this profile."""
        return int(self.outbox.queue_length(self.entry.entry_id))

    # ---- lifecycle -------------------------------------------------------------------

    async def async_start(self) -> None:
        """Start this profile's outbox worker (and the HTTP keep-alive)."""
        self.outbox.register(
            self.entry.entry_id, self._deliver, self._on_outcome, on_queued=self._notify
        )
        if self.kind == KIND_HTTP and (interval := http_profile(self.entry.data).keepalive) > 0:
            self._keepalive = async_track_time_interval(
                self.hass,
                self._async_heartbeat,
                timedelta(seconds=interval),
                name=f"{DOMAIN} keep-alive {self.name}",
                cancel_on_shutdown=True,
            )

    async def async_stop(self) -> None:
        """Stop the worker; queued jobs stay in the outbox for the next start."""
        if self._keepalive is not None:
            self._keepalive()
            self._keepalive = None
        await self.outbox.unregister(self.entry.entry_id)

    @callback
    def async_apply_options(self) -> None:
        """Apply changed time filters and pause."""
        self.time_filter = time_filter(self.entry.options)
        self.pause = pause_gate(self.entry.options)
        self._notify()

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> Callable[[], None]:
        """Call `update` when the health changes."""
        self._listeners.append(update)
        return lambda: self._listeners.remove(update)

    @callback
    def _notify(self) -> None:
        for update in list(self._listeners):
            update()

    # ---- delivery --------------------------------------------------------------------

    async def _deliver(self, job: Job) -> str:
        try:
            return await self._send(job)
        except AuthenticationError:
            self._auth_failed = True
            raise

    async def _clip(self, job: Job) -> tuple[str, bytes | None, str | None]:
        """Return the event's clip: (its stored path, its bytes or None if too large, note)."""
        domain = self.hass.data[DATA_DOMAIN]
        event = await self.hass.async_add_executor_job(domain.store.get, job.payload["clip_event"])
        if event is None:
            raise PermanentDeliveryError("the event of this clip is gone")
        if not event.clip:
            if time.time() - job.created < CLIP_WAIT:
                raise DeliveryError("the clip is still being recorded")
            return "", None, "The event has no clip (recording is off or it failed)."
        path = domain.recordings_dir / event.clip
        size = await self.hass.async_add_executor_job(lambda: path.stat().st_size)
        limit = float(self.entry.data.get(CONF_MAX_ATTACHMENT_MB, DEFAULT_MAX_ATTACHMENT_MB))
        if self.kind == KIND_SMTP and size > limit * 1_000_000:
            note = (
                f"The clip ({size / 1_000_000:.1f} MB) is larger than the {limit:g} MB this "
                f"mail server takes; it is stored at media/cam_events/recordings/{event.clip}."
            )
            return event.clip, None, note
        return event.clip, await self.hass.async_add_executor_job(path.read_bytes), None

    async def _send(self, job: Job) -> str:
        data = self.entry.data
        payload = job.payload
        contents = await self.hass.async_add_executor_job(_read_files, job.files)
        names: list[str] = list(payload.get("names", []))
        content_types: list[str] = list(payload.get("content_types", []))
        note = None
        if payload.get("clip_event"):
            stored, clip, note = await self._clip(job)
            if clip is not None:
                suffix = Path(stored).suffix
                contents.append(clip)
                names.append(payload["clip_name"] + suffix)
                content_types.append(_CLIP_TYPES.get(suffix, "application/octet-stream"))
        if self.kind == KIND_SMTP:
            profile = smtp_profile(data)
            attachments = [
                Attachment(name.rsplit("/", 1)[-1], content_type, content)
                for name, content_type, content in zip(names, content_types, contents, strict=True)
            ]
            _check_addresses(profile, payload.get("to") or None)
            message = email.build_message(
                profile,
                subject=payload["subject"],
                body=payload["body"] + (f"\n\n{note}" if note else ""),
                to=payload.get("to") or None,
                attachments=attachments,
            )
            return await email.send_message(profile, message)
        if self.kind == KIND_FTP:
            written = await ftp.upload(ftp_profile(data), list(zip(names, contents, strict=True)))
            return f"uploaded {', '.join(written)}"
        if self.kind == KIND_HTTP:
            profile_http = http_profile(data)
            session = async_get_clientsession(self.hass, verify_ssl=profile_http.verify_tls)
            image = contents[0] if contents else None
            return await http_push.push(session, profile_http, payload["event"], image)
        if self.kind == KIND_UDP:
            return await udp_push.push(udp_profile(data), payload["event"])
        if self.kind == KIND_LOCAL:
            base = Path(self.hass.config.media_dirs.get("local", self.hass.config.path("media")))
            paths = await self.hass.async_add_executor_job(
                write_files, base / local_folder(data), list(zip(names, contents, strict=True))
            )
            return f"saved {', '.join(str(p.relative_to(base)) for p in paths)}"
        raise ValueError(self.kind)  # pragma: no cover - kinds are checked at setup

    @callback
    def _on_outcome(self, job: Job, outcome: JobOutcome) -> None:
        if outcome is JobOutcome.SENT:
            self.last_success = dt_util.utcnow()
            self.failures = 0
            self.sent += 1
            if self._auth_failed:
                self._auth_failed = False
                ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)
        else:
            self.failures += 1
            self.last_error = (job.last_error or "failed")[:MAX_ERROR_LENGTH]
            if outcome is JobOutcome.DEAD and self._auth_failed:
                ir.async_create_issue(
                    self.hass,
                    DOMAIN,
                    self._issue_id,
                    is_fixable=False,
                    severity=ir.IssueSeverity.ERROR,
                    translation_key="profile_auth_failed",
                    translation_placeholders={"name": self.name},
                )
        if job.event_id is not None and job.handler != "heartbeat":
            self.hass.async_create_task(
                async_record_handler(self.hass, job, outcome, self.name),
                f"{DOMAIN} handler result",
            )
        self._notify()

    @property
    def _issue_id(self) -> str:
        return f"profile_auth_{self.entry.entry_id}"

    async def _async_heartbeat(self, _now: Any = None) -> None:
        profile = http_profile(self.entry.data)
        session = async_get_clientsession(self.hass, verify_ssl=profile.verify_tls)
        try:
            await http_push.heartbeat(session, profile, heartbeat_payload())
        except Exception as err:  # noqa: BLE001 - any failure is reported the same way
            self.last_error = f"keep-alive: {err}"[:MAX_ERROR_LENGTH]
            self._notify()


def _check_addresses(profile: email.SmtpProfile, to: list[str] | None) -> None:
    """Refuse for good a job whose sender or recipients are not plain addresses.

    Service calls are checked at the door; this catches what only shows at delivery (a job
    queued before that check, a stored recipient list): retrying would never help.
    """
    addresses = profile.recipients if to is None else to
    for address in [profile.sender, *addresses]:
        try:
            email.check_address(address)
        except ValueError:
            raise PermanentDeliveryError(
                f"{address!r} is not an e-mail address; the message cannot be sent"
            ) from None
    if not addresses:
        raise PermanentDeliveryError("no recipients: the message cannot be sent")


def handler_result(job: Job, outcome: str, profile: str, **extra: Any) -> dict[str, Any]:
    """Return what an event keeps about one handler run."""
    return {
        "job": job.id,
        "handler": job.handler,
        "profile": profile,
        "status": outcome,
        "attempts": job.attempts,
        "detail": job.result if outcome == JobOutcome.SENT else job.last_error,
        "at": dt_util.utcnow().isoformat(timespec="milliseconds"),
        **extra,
    }


async def async_record_handler(hass: HomeAssistant, job: Job, outcome: str, profile: str) -> None:
    """Put a handler's result into its event (replacing the same job's earlier result)."""
    await async_add_result(hass, job.event_id, handler_result(job, outcome, profile))


async def async_add_result(
    hass: HomeAssistant, event_id: str | None, result: dict[str, Any]
) -> None:
    """Store a handler result with its event and tell subscribers."""
    if event_id is None:
        return
    domain = hass.data[DATA_DOMAIN]
    async with domain.handler_lock:  # one read-modify-write of an event's results at a time
        event = await hass.async_add_executor_job(domain.store.get, event_id)
        if event is None:
            return
        key = result.get("job")
        earlier = next((h for h in event.handlers if key and h.get("job") == key), None)
        if earlier is not None and result.get("status") == "queued":
            return  # the delivery already reported back; "queued" is older news
        event.handlers = [h for h in event.handlers if key is None or h.get("job") != key]
        event.handlers.append(result)
        await hass.async_add_executor_job(domain.store.update, event)
    for camera in camera_entries(hass):
        if camera.entry_id == event.camera:
            camera.runtime_data.events.async_dispatch_updated(event)
