"""Handler profiles at run time: deliver the outbox's jobs, keep health, raise repairs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .data import DATA_DOMAIN
from .delivery.base import AuthenticationError, Outgoing, PermanentDeliveryError
from .delivery.outbox import Job, JobOutcome
from .delivery.request import clip_note, outgoing, waits_for_clip
from .profiles import HassHost, kind_of, pause_gate, time_filter, transport_of

if TYPE_CHECKING:
    from .camera_events import EventChange
    from .data import ProfileConfigEntry

_LOGGER = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 255


def _read_files(paths: list[str]) -> list[bytes]:
    return [Path(path).read_bytes() for path in paths]


class ProfileRuntime:
    """One destination (SMTP, FTP, HTTP, UDP, a local folder): its worker and its health."""

    def __init__(self, hass: HomeAssistant, entry: ProfileConfigEntry) -> None:
        """Read the profile's settings."""
        self.hass = hass
        self.entry = entry
        self.kind = kind_of(entry.data)
        self.transport = transport_of(entry.data)
        self.profile = self.transport.profile(entry.data)
        self._host = HassHost(hass)
        self.time_filter = time_filter(entry.options)
        self.pause = pause_gate(entry.options)
        self.last_success: datetime | None = None
        self.last_error: str | None = None
        self.failures = 0
        self.sent = 0
        self._auth_failed = False
        self._listeners: list[CALLBACK_TYPE] = []
        self._keepalive: CALLBACK_TYPE | None = None
        self._unsubscribe: CALLBACK_TYPE | None = None

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
        domain = self.hass.data[DATA_DOMAIN]
        domain.subscribers.append(self._on_event_change)
        self._unsubscribe = lambda: domain.subscribers.remove(self._on_event_change)
        if (interval := self.transport.keepalive(self.profile)) > 0:
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
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
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

    @callback
    def _on_event_change(self, change: EventChange) -> None:
        """Release this profile's jobs that wait for the clip just attached to their event."""
        event = change.event
        if change.action == "updated" and event.clip:
            self.hass.async_create_task(
                self.outbox.release(
                    self.entry.entry_id, lambda job: waits_for_clip(job.payload, event.id)
                ),
                f"{DOMAIN} clip of {event.id} for {self.name}",
            )

    async def _clip(self, job: Job) -> tuple[tuple[str, bytes] | None, str | None]:
        """Return the event's clip (its stored path and bytes) or why it stays home."""
        domain = self.hass.data[DATA_DOMAIN]
        event = await self.hass.async_add_executor_job(domain.store.get, job.payload["clip_event"])
        if event is None:
            raise PermanentDeliveryError("the event of this clip is gone")
        if not event.clip:
            return None, clip_note(None, 0, None)
        path = domain.recordings_dir / event.clip
        size = await self.hass.async_add_executor_job(lambda: path.stat().st_size)
        if note := clip_note(event.clip, size, self.transport.attachment_limit(self.profile)):
            return None, note
        return (event.clip, await self.hass.async_add_executor_job(path.read_bytes)), None

    async def _send(self, job: Job) -> str:
        contents = await self.hass.async_add_executor_job(_read_files, job.files)
        clip, note = await self._clip(job) if job.payload.get("clip_event") else (None, None)
        request: Outgoing = outgoing(job.payload, contents, clip=clip, note=note, key=job.id)
        return await self.transport.deliver(self._host, self.profile, request)

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
        if job.event_id is None or job.handler == "heartbeat":
            self._notify()
            return
        domain = self.hass.data[DATA_DOMAIN]

        async def record_then_notify() -> None:
            # The health sensors change once the event carries the result, never before:
            # whoever reads the event on "last delivery" changing sees how it ended.
            try:
                await domain.results.async_outcome(job, outcome, self.name)
            finally:
                self._notify()

        self.hass.async_create_task(record_then_notify(), f"{DOMAIN} handler result")

    @property
    def _issue_id(self) -> str:
        return f"profile_auth_{self.entry.entry_id}"

    async def _async_heartbeat(self, _now: Any = None) -> None:
        try:
            await self.transport.heartbeat(self._host, self.profile)
        except Exception as err:  # noqa: BLE001 - any failure is reported the same way
            self.last_error = f"keep-alive: {err}"[:MAX_ERROR_LENGTH]
            self._notify()
