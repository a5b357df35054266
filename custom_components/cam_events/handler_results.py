"""Handler results: the one owner of what an event keeps about its handler runs.

Service calls (queued, skipped, suppressed) and the outbox (sent, retry, dead) report here;
results are written one read-modify-write at a time and the event's camera tells its
subscribers (the event entity, the card).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .delivery.outbox import Job, JobOutcome

if TYPE_CHECKING:
    from .events.model import Event
    from .events.store import EventStore


def _now() -> str:
    return dt_util.utcnow().isoformat(timespec="milliseconds")


def handler_result(job: Job, outcome: str, profile: str, **extra: Any) -> dict[str, Any]:
    """Return what an event keeps about one handler run."""
    return {
        "job": job.id,
        "handler": job.handler,
        "profile": profile,
        "status": outcome,
        "attempts": job.attempts,
        "detail": job.result if outcome == JobOutcome.SENT else job.last_error,
        "at": _now(),
        **extra,
    }


class HandlerResults:
    """The handler results of every event (`DomainData.results`)."""

    def __init__(
        self, hass: HomeAssistant, store: EventStore, updated: Callable[[Event], None]
    ) -> None:
        """Keep results in ``store``; ``updated`` tells an event's camera it changed."""
        self._hass = hass
        self._store = store
        self._updated = updated
        self._lock = asyncio.Lock()

    async def async_queued(self, job: Job, profile: str) -> None:
        """Record a job just queued (unless its delivery already reported back)."""
        result = {
            "job": job.id,
            "handler": job.handler,
            "profile": profile,
            "status": "queued",
            "at": _now(),
        }
        await self.async_add(job.event_id, result)

    async def async_outcome(self, job: Job, outcome: str, profile: str) -> None:
        """Record how a delivery attempt ended (replacing the same job's earlier result)."""
        await self.async_add(job.event_id, handler_result(job, outcome, profile))

    async def async_gated(self, event_id: str, result: dict[str, Any], detail: str) -> None:
        """Record a call's own outcome, not an outbox job's.

        A call the zones, a schedule or a pause kept back, or a delivery the call made itself
        (a phone notification).
        """
        await self.async_add(event_id, {**result, "detail": detail, "at": _now()})

    async def async_add(self, event_id: str | None, result: dict[str, Any]) -> None:
        """Store a handler result with its event and tell the camera's subscribers."""
        if event_id is None:
            return
        hass, store = self._hass, self._store
        async with self._lock:  # one read-modify-write of an event's results at a time
            event = await hass.async_add_executor_job(store.get, event_id)
            if event is None:
                return
            key = result.get("job")
            earlier = next((h for h in event.handlers if key and h.get("job") == key), None)
            if earlier is not None and result.get("status") == "queued":
                return  # the delivery already reported back; "queued" is older news
            event.handlers = [h for h in event.handlers if key is None or h.get("job") != key]
            event.handlers.append(result)
            await hass.async_add_executor_job(store.set_handlers, event.id, event.handlers)
        self._updated(event)
