"""The outbox: persisted delivery jobs, one worker per profile, retries and dead letters.

A service call (send an e-mail, upload to FTP, push over HTTP or UDP...) builds a :class:`Job`
and calls :meth:`Outbox.enqueue`, which stores the job in SQLite and wakes the worker of the
job's profile (one destination: an SMTP server, an FTP server...). Each profile has its own
worker task, so a slow peer only delays its own jobs; within a profile jobs go one at a time,
the oldest due job first.

The database is the persistence; the schedule lives in memory. :meth:`Outbox.start` loads
every pending job once; after that the in-memory queue of a profile mirrors its pending rows
(every change is written to the database before or right after it is made in memory), so a
worker never reads the database to find its next job. Per job there are two executor round
trips: the insert (before :meth:`Outbox.enqueue` returns) and the final update (right after
the deliver call returns, before the next job of the profile starts).

Failures: :class:`DeliveryError` (and any unexpected exception) is retried with a growing
back-off until ``max_attempts``; :class:`PermanentDeliveryError` (and so
:class:`AuthenticationError`) makes the job a dead letter at once. Dead letters stay until
:meth:`Outbox.retry_dead` requeues them or :meth:`Outbox.purge` deletes them.

A job marked sent is never delivered again. An attempt cancelled while in flight (the
profile is unregistered, the outbox stops) leaves the job pending, untouched: delivery is at
least once, and exactly once unless Home Assistant stops in the middle of an attempt.

Files a job keeps on disk (attachments) are deleted when it is sent, purged or its profile is
deleted, but only those under the outbox's ``spool_dir``.

The store uses its own database file (it owns ``PRAGMA user_version``). Nothing here imports
Home Assistant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import partial
import heapq
import json
import logging
from pathlib import Path
import time
from typing import Any, Final, Protocol

from ..events.model import new_event_id
from ..events.sqlite import SqliteStore, transaction
from .base import DeliveryError, PermanentDeliveryError

__all__ = [
    "SCHEMA_VERSION",
    "Deliver",
    "Job",
    "JobOutcome",
    "Listener",
    "Outbox",
    "OutboxStore",
    "RunBlocking",
    "new_job_id",
]

_LOGGER = logging.getLogger(__name__)

SCHEMA_VERSION: Final = 1
"""Stored in ``PRAGMA user_version``."""
MAX_TEXT: Final = 1000
"""Longest ``last_error`` or ``result`` kept, in characters."""

PENDING: Final = "pending"
SENT: Final = "sent"
DEAD: Final = "dead"

_FIELDS: Final = (
    "id",
    "profile",
    "handler",
    "payload",
    "files",
    "event_id",
    "camera",
    "state",
    "attempts",
    "next_attempt",
    "last_error",
    "created",
    "finished",
    "result",
)
_COLUMNS: Final = ", ".join(_FIELDS)
_PLACEHOLDERS: Final = ", ".join("?" for _ in _FIELDS)

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    profile TEXT NOT NULL,
    handler TEXT NOT NULL,
    payload TEXT NOT NULL,
    files TEXT NOT NULL,
    event_id TEXT,
    camera TEXT,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt REAL NOT NULL,
    last_error TEXT,
    created REAL NOT NULL,
    finished REAL,
    result TEXT
);
CREATE INDEX IF NOT EXISTS jobs_state_profile ON jobs (state, profile, next_attempt, created);
CREATE INDEX IF NOT EXISTS jobs_state_finished ON jobs (state, finished);
"""


def new_job_id() -> str:
    """Return a new unique, time-sortable job id."""
    return new_event_id()


@dataclass(slots=True)
class Job:
    """One delivery to do: everything needed to deliver it, and how it went so far."""

    id: str
    """Unique and time-sortable: see :func:`new_job_id`."""
    profile: str
    """The profile (destination) id: a config entry id."""
    handler: str
    """``send_email``, ``upload_ftp``, ``push_http``, ``push_udp``, ``save_snapshot``..."""
    payload: dict[str, Any]
    """JSON-serialisable: everything needed to deliver, built at service-call time."""
    files: list[str]
    """Files kept on disk for the job; deleted when it is sent or purged (under the spool)."""
    event_id: str | None = None
    camera: str | None = None
    state: str = PENDING
    """``pending``, ``sent`` or ``dead``."""
    attempts: int = 0
    next_attempt: float = 0.0
    """Epoch seconds."""
    last_error: str | None = None
    created: float = 0.0
    finished: float | None = None
    """When it was sent or became a dead letter."""
    result: str | None = None
    """What the peer answered on success."""


class JobOutcome(StrEnum):
    """How an attempt ended."""

    SENT = "sent"
    RETRY = "retry"
    DEAD = "dead"


type Deliver = Callable[[Job], Awaitable[str]]
"""Deliver a job; return a short result text, raise :class:`DeliveryError` (or a subclass)."""
type Listener = Callable[[Job, JobOutcome], None]
"""Called on the event loop after each attempt with a copy of the job."""


class RunBlocking(Protocol):
    """Run blocking work off the event loop (``hass.async_add_executor_job``, ``to_thread``)."""

    def __call__[T](self, func: Callable[[], T], /) -> Awaitable[T]:
        """Run ``func`` in a worker thread; return its result."""


def _to_row(job: Job) -> tuple[Any, ...]:
    """Return the database row of a job, in :data:`_FIELDS` order."""
    return (
        job.id,
        job.profile,
        job.handler,
        json.dumps(job.payload, separators=(",", ":"), allow_nan=False),
        json.dumps(list(job.files), separators=(",", ":")),
        job.event_id,
        job.camera,
        job.state,
        job.attempts,
        job.next_attempt,
        job.last_error,
        job.created,
        job.finished,
        job.result,
    )


def _from_row(row: Sequence[Any]) -> Job:
    """Build a job from a database row in :data:`_FIELDS` order."""
    (
        job_id,
        profile,
        handler,
        payload,
        files,
        event_id,
        camera,
        state,
        attempts,
        next_attempt,
        last_error,
        created,
        finished,
        result,
    ) = row
    return Job(
        id=job_id,
        profile=profile,
        handler=handler,
        payload=json.loads(payload),
        files=json.loads(files),
        event_id=event_id,
        camera=camera,
        state=state,
        attempts=attempts,
        next_attempt=next_attempt,
        last_error=last_error,
        created=created,
        finished=finished,
        result=result,
    )


class OutboxStore(SqliteStore):
    """Jobs in one SQLite database: a file path, or ``":memory:"``; blocking, thread-safe.

    One connection (``check_same_thread=False``) serves every thread; each method holds a lock
    for its whole run. WAL mode with ``synchronous=NORMAL``: a commit survives an application
    crash; the last commits may be lost on power loss.
    """

    NAME = "outbox store"
    SCHEMA = _SCHEMA
    SCHEMA_VERSION = SCHEMA_VERSION
    TABLE = "jobs"
    COLUMNS = _FIELDS

    def add(self, job: Job) -> None:
        """Store a new job; an existing id raises :class:`sqlite3.IntegrityError`.

        If the disk refuses it, the job is kept in memory until it takes it (see
        :mod:`..events.sqlite`): the job is delivered all the same.
        """
        row = _to_row(job)
        sql = f"INSERT INTO jobs ({_COLUMNS}) VALUES ({_PLACEHOLDERS})"
        with self._lock:
            self._write(job.id, row, lambda conn: conn.execute(sql, row))

    def update(self, job: Job) -> None:
        """Save state, attempts, schedule, error, finish time and result; KeyError if missing.

        If the disk refuses it, the change is kept in memory until it takes it: a job sent
        is not sent again because its new state could not be written at once.
        """
        row = _to_row(job)
        sql = (
            "UPDATE jobs SET state = ?, attempts = ?, next_attempt = ?, last_error = ?,"
            " finished = ?, result = ? WHERE id = ?"
        )
        params = (
            job.state,
            job.attempts,
            job.next_attempt,
            job.last_error,
            job.finished,
            job.result,
            job.id,
        )
        with self._lock:
            cursor = self._write(job.id, row, lambda conn: conn.execute(sql, params))
        if cursor is not None and cursor.rowcount == 0:
            raise KeyError(job.id)

    def get(self, job_id: str) -> Job | None:
        """Return the job with this id, or None."""
        with self._lock:
            if (kept := self._kept(job_id)) is not None:
                return _from_row(kept)
            row = (
                self._db()
                .execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
                .fetchone()
            )
        return None if row is None else _from_row(row)

    def pending(self, profile: str | None = None) -> list[Job]:
        """Return the pending jobs (of this profile, if given), by next attempt, then age."""
        return self._select(PENDING, profile)

    def dead(self, profile: str | None = None) -> list[Job]:
        """Return the dead letters (of this profile, if given), by next attempt, then age."""
        return self._select(DEAD, profile)

    def counts(self, profile: str) -> dict[str, int]:
        """Return how many jobs of the profile are pending, dead and sent."""
        with self._lock:
            rows = (
                self._db()
                .execute(
                    "SELECT state, COUNT(*) FROM jobs WHERE profile = ? GROUP BY state", (profile,)
                )
                .fetchall()
            )
        counts = {PENDING: 0, DEAD: 0, SENT: 0}
        counts.update(dict(rows))
        return counts

    def requeue_dead(
        self, now: float, profile: str | None = None, job_ids: Sequence[str] | None = None
    ) -> list[Job]:
        """Make the matching dead letters pending again, due at ``now``; return them.

        Their attempts restart at 0; ``last_error`` is kept. With both filters, a job must
        match both.
        """
        clauses = ["state = ?"]
        params: list[Any] = [DEAD]
        if profile is not None:
            clauses.append("profile = ?")
            params.append(profile)
        if job_ids is not None:
            clauses.append("id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(job_ids)))
        where = " AND ".join(clauses)
        with self._lock:
            self._flush_locked()
            conn = self._db()
            with transaction(conn):
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM jobs WHERE {where} ORDER BY created, id", params
                ).fetchall()
                conn.execute(
                    "UPDATE jobs SET state = ?, attempts = 0, next_attempt = ?, finished = NULL,"
                    f" result = NULL WHERE {where}",
                    [PENDING, now, *params],
                )
        jobs = [_from_row(row) for row in rows]
        for job in jobs:
            job.state = PENDING
            job.attempts = 0
            job.next_attempt = now
            job.finished = None
            job.result = None
        return jobs

    def purge(self, before: float) -> list[Job]:
        """Delete the sent and dead jobs finished before ``before``; return them.

        The caller deletes the files the returned jobs refer to.
        """
        return self._delete("state IN (?, ?) AND finished < ?", (SENT, DEAD, before))

    def delete_profile(self, profile: str) -> list[Job]:
        """Delete every job of a profile, in any state; return them."""
        return self._delete("profile = ?", (profile,))

    def _select(self, state: str, profile: str | None) -> list[Job]:
        """Return the jobs in this state (of this profile, if given), by next attempt, age."""
        where = "state = ?" if profile is None else "state = ? AND profile = ?"
        params = (state,) if profile is None else (state, profile)
        with self._lock:
            rows = (
                self._db()
                .execute(
                    f"SELECT {_COLUMNS} FROM jobs WHERE {where} ORDER BY next_attempt, created, id",
                    params,
                )
                .fetchall()
            )
        return [_from_row(row) for row in rows]

    def _delete(self, where: str, params: tuple[Any, ...]) -> list[Job]:
        """Delete the jobs matching ``where`` in one transaction; return them."""
        with self._lock:
            self._flush_locked()  # kept changes first: what is deleted is what was meant
            conn = self._db()
            with transaction(conn):
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM jobs WHERE {where} ORDER BY created, id", params
                ).fetchall()
                conn.execute(f"DELETE FROM jobs WHERE {where}", params)
        return [_from_row(row) for row in rows]


class _Queue:
    """The pending jobs of one profile, in memory: the schedule.

    ``ids`` holds every pending job known, including one in flight. Jobs wait in
    ``waiting`` (by next attempt) until due, then in ``ready`` (oldest first).
    """

    __slots__ = ("ids", "ready", "waiting")

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.ready: list[tuple[float, str, Job]] = []
        self.waiting: list[tuple[float, float, str, Job]] = []

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, job: Job) -> bool:
        """Add a job not known yet; return False (and do nothing) if it is known."""
        if job.id in self.ids:
            return False
        self.ids.add(job.id)
        self.schedule(job)
        return True

    def schedule(self, job: Job) -> None:
        """Put back a known job (in flight until now), to run at its next attempt."""
        heapq.heappush(self.waiting, (job.next_attempt, job.created, job.id, job))

    def pop_due(self, now: float) -> Job | None:
        """Take the oldest job due at ``now`` out of the schedule (it stays known), or None."""
        waiting = self.waiting
        while waiting and waiting[0][0] <= now:
            _, created, job_id, job = heapq.heappop(waiting)
            heapq.heappush(self.ready, (created, job_id, job))
        if not self.ready:
            return None
        return heapq.heappop(self.ready)[2]

    def later(self, matches: Callable[[Job], bool], now: float) -> list[Job]:
        """Return the waiting jobs that match and are not due at ``now``."""
        return [job for due, _, _, job in self.waiting if due > now and matches(job)]

    def release(self, ids: set[str], now: float) -> None:
        """Make the waiting jobs with these ids due at ``now``."""
        found = [entry for entry in self.waiting if entry[2] in ids]
        self.waiting = [entry for entry in self.waiting if entry[2] not in ids]
        heapq.heapify(self.waiting)
        for *_, job in found:
            job.next_attempt = now
            self.schedule(job)

    def next_due(self) -> float | None:
        """Return when the next job not due yet is due, or None if there is none."""
        return self.waiting[0][0] if self.waiting else None

    def done(self, job_id: str) -> None:
        """Forget a job that left the pending state (sent or dead)."""
        self.ids.discard(job_id)


@dataclass(slots=True, eq=False)
class _Worker:
    """One profile's worker: its deliver function, listener and task."""

    profile: str
    deliver: Deliver
    listener: Listener | None
    on_queued: Callable[[], None] | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    stopping: bool = False
    delivering: bool = False
    """True only while the worker awaits the deliver call: the one place it may be cancelled."""


class Outbox:
    """Deliver jobs per profile, in order, with retries, dead letters and persistence.

    Use from the event loop. The caller opens the store before :meth:`start` and closes it
    after :meth:`stop`.
    """

    def __init__(
        self,
        store: OutboxStore,
        run_blocking: RunBlocking,
        *,
        spool_dir: Path,
        backoff_initial: float = 5.0,
        backoff_max: float = 600.0,
        max_attempts: int = 8,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if backoff_initial < 0 or backoff_max < backoff_initial:
            raise ValueError("need 0 <= backoff_initial <= backoff_max")
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self._store = store
        self._run_blocking = run_blocking
        self._spool_dir = Path(spool_dir)
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._max_attempts = max_attempts
        # Looked up at each call (not bound once), so a patched clock in tests is seen too.
        self._clock = clock or (lambda: time.time())
        self._queues: dict[str, _Queue] = {}
        self._workers: dict[str, _Worker] = {}
        self._retiring: dict[str, asyncio.Task[None]] = {}
        """Tasks of unregistered workers still finishing: a new worker waits for them."""
        self._saving: set[asyncio.Future[None]] = set()
        self._started = False

    @property
    def spool_dir(self) -> Path:
        """Return the folder whose files the outbox deletes with their jobs."""
        return self._spool_dir

    @property
    def started(self) -> bool:
        """Return True between :meth:`start` and :meth:`stop`."""
        return self._started

    async def start(self) -> None:
        """Load the pending jobs of every profile; nothing is delivered before :meth:`register`."""
        if self._started:
            raise RuntimeError("outbox already started")
        jobs = await self._run_blocking(self._store.pending)
        for job in jobs:
            self._queue(job.profile).add(job)
        self._started = True

    def register(
        self,
        profile: str,
        deliver: Deliver,
        listener: Listener | None = None,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        """Start the worker of a profile: it delivers the profile's pending jobs, then waits.

        ``listener`` hears how each attempt ended; ``on_queued`` is called (on the loop) the
        moment a job joins the profile's queue (enqueued or requeued), so a queue length
        shown to the user counts jobs waiting behind a slow delivery at once.
        """
        if not self._started:
            raise RuntimeError("outbox is not started")
        if profile in self._workers:
            raise ValueError(f"profile {profile!r} is already registered")
        worker = _Worker(profile, deliver, listener, on_queued)
        self._workers[profile] = worker
        worker.task = asyncio.get_running_loop().create_task(
            self._run(worker, self._queue(profile), self._retiring.get(profile)),
            name=f"cam_events outbox {profile}",
        )

    def is_registered(self, profile: str) -> bool:
        """Return True if the profile has a worker."""
        return profile in self._workers

    async def unregister(self, profile: str, *, grace: float = 0.0) -> None:
        """Stop the worker of a profile; its jobs stay queued (for a later :meth:`register`).

        An attempt in flight may finish within ``grace`` seconds; after that it is cancelled,
        and the job stays pending as it was (not counted as an attempt, never marked sent).
        """
        worker = self._workers.pop(profile, None)
        if worker is None or worker.task is None:
            return
        task = worker.task
        worker.stopping = True
        worker.wake.set()
        self._retiring[profile] = task
        try:
            if grace > 0 and worker.delivering:
                await asyncio.wait({task}, timeout=grace)
            if not task.done() and worker.delivering:
                task.cancel()
            await asyncio.wait({task})
        finally:
            if self._retiring.get(profile) is task:
                del self._retiring[profile]
        if not task.cancelled() and (error := task.exception()) is not None:
            _LOGGER.error("Outbox worker of %s failed", profile, exc_info=error)

    async def stop(self, *, grace: float = 0.0) -> None:
        """Stop every worker (see :meth:`unregister`) and wait for the database writes."""
        self._started = False
        await asyncio.gather(
            *(self.unregister(profile, grace=grace) for profile in list(self._workers))
        )
        if self._saving:
            await asyncio.wait(set(self._saving))

    async def enqueue(self, job: Job) -> Job:
        """Store a new job, then wake its profile's worker; return the job as stored.

        The job is pending, due at ``next_attempt`` (now if 0); ``created`` is now if 0. Its
        profile need not be registered yet: the job waits. The outbox keeps its own copy.
        """
        now = self._clock()
        job.state = PENDING
        job.attempts = 0
        job.finished = None
        job.result = None
        if not job.created:
            job.created = now
        if not job.next_attempt:
            job.next_attempt = job.created
        stored = replace(job)
        future = asyncio.ensure_future(self._run_blocking(partial(self._store.add, stored)))
        # Schedule the job once stored, even if this call is cancelled meanwhile.
        pushed = False

        def added(done: asyncio.Future[None]) -> None:
            nonlocal pushed
            if not pushed and not done.cancelled() and done.exception() is None:
                pushed = True
                self._push(stored)

        future.add_done_callback(added)
        await asyncio.shield(future)
        # Counted (and its worker woken) before this returns, whatever order the loop runs
        # the callback in: a queue length read right after an enqueue includes the job.
        added(future)
        return job

    async def retry_dead(
        self, profile: str | None = None, job_ids: Sequence[str] | None = None
    ) -> int:
        """Requeue the dead letters (of this profile, with these ids, if given): due now.

        Return how many were requeued. Attempts restart at 0.
        """
        now = self._clock()
        jobs = await self._run_blocking(
            partial(self._store.requeue_dead, now, profile=profile, job_ids=job_ids)
        )
        for job in jobs:
            self._push(job)
        return len(jobs)

    async def release(self, profile: str, matches: Callable[[Job], bool]) -> int:
        """Make the profile's pending jobs that match and wait for later due now; return how many.

        For a job stored due later because it waits for something (a clip being recorded):
        released when that has come, it goes at once, its attempts untouched.
        """
        queue = self._queues.get(profile)
        if queue is None:
            return 0
        now = self._clock()
        jobs = queue.later(matches, now)
        # Stored first: a worker that delivers one at once saves its outcome after this.
        for job in jobs:
            await self._save(replace(job, next_attempt=now), delete_files=False)
        queue.release({job.id for job in jobs}, now)
        if jobs and (worker := self._workers.get(profile)) is not None:
            worker.wake.set()
        return len(jobs)

    def queue_length(self, profile: str) -> int:
        """Return how many pending jobs of the profile are known (including one in flight)."""
        queue = self._queues.get(profile)
        return 0 if queue is None else len(queue)

    async def counts(self, profile: str) -> dict[str, int]:
        """Return how many jobs of the profile are pending, dead and sent (from the database)."""
        return await self._run_blocking(partial(self._store.counts, profile))

    async def dead(self, profile: str | None = None) -> list[Job]:
        """Return the dead letters (of this profile, if given)."""
        return await self._run_blocking(partial(self._store.dead, profile))

    async def purge(self, before: float) -> int:
        """Delete the sent and dead jobs finished before ``before``, and their files."""
        return await self._run_blocking(partial(self._delete_blocking, self._store.purge, before))

    async def delete_profile(self, profile: str) -> int:
        """Unregister a profile, delete all its jobs (any state) and their files; return count."""
        await self.unregister(profile)
        self._queues.pop(profile, None)
        return await self._run_blocking(
            partial(self._delete_blocking, self._store.delete_profile, profile)
        )

    # Internals.

    def _queue(self, profile: str) -> _Queue:
        """Return the queue of a profile, made if needed."""
        queue = self._queues.get(profile)
        if queue is None:
            queue = self._queues[profile] = _Queue()
        return queue

    def _push(self, job: Job) -> None:
        """Add a stored pending job to the schedule and wake its worker."""
        if self._queue(job.profile).add(job) and (worker := self._workers.get(job.profile)):
            worker.wake.set()
            if worker.on_queued is not None:
                try:
                    worker.on_queued()
                except Exception:
                    _LOGGER.exception("Error in the outbox queue listener of %s", job.profile)

    def _backoff(self, attempts: int) -> float:
        """Return the delay after the ``attempts``-th failed attempt."""
        return float(min(self._backoff_initial * 2.0 ** min(attempts - 1, 64), self._backoff_max))

    async def _run(
        self, worker: _Worker, queue: _Queue, previous: asyncio.Task[None] | None
    ) -> None:
        """Deliver the profile's due jobs one at a time; sleep until the next is due or a wake.

        A worker registered while the previous one of its profile is still stopping waits
        for it first: never two attempts of one profile at once.
        """
        if previous is not None:
            await asyncio.wait({previous})
        while not worker.stopping:
            now = self._clock()
            job = queue.pop_due(now)
            if job is None:
                worker.wake.clear()
                due = queue.next_due()
                timeout = None if due is None else max(due - now, 0.0)
                with suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await worker.wake.wait()
                continue
            await self._attempt(worker, queue, job)

    async def _attempt(self, worker: _Worker, queue: _Queue, job: Job) -> None:
        """Deliver one job, then save and report how it went."""
        worker.delivering = True
        try:
            result: str | BaseException = await worker.deliver(job)
        except asyncio.CancelledError as err:
            if _cancelling():
                queue.schedule(job)  # untouched: still pending, due as it was
                raise
            result = err  # the task itself was not cancelled: a deliver function's bug; retry
        except DeliveryError as err:
            result = err
        except Exception as err:
            _LOGGER.exception("Unexpected error delivering job %s (%s)", job.id, job.handler)
            result = err
        finally:
            worker.delivering = False
        if isinstance(result, BaseException) and worker.stopping and _cancelling():
            queue.schedule(job)  # the deliver function turned our cancellation into an error
            return
        outcome = self._record(job, result)
        if outcome is JobOutcome.RETRY:
            queue.schedule(job)
        else:
            queue.done(job.id)
        await self._save(job, delete_files=outcome is JobOutcome.SENT)
        if worker.listener is not None:
            try:
                worker.listener(replace(job), outcome)
            except Exception:
                _LOGGER.exception("Error in the outbox listener of %s", job.profile)

    def _record(self, job: Job, result: str | BaseException) -> JobOutcome:
        """Count an attempt that ended with ``result`` (a text, or an error); return the outcome."""
        now = self._clock()
        job.attempts += 1
        if not isinstance(result, BaseException):
            job.state = SENT
            job.finished = now
            job.result = _short(str(result))
            return JobOutcome.SENT
        job.last_error = _short(_describe(result))
        if isinstance(result, PermanentDeliveryError) or job.attempts >= self._max_attempts:
            job.state = DEAD
            job.finished = now
            _LOGGER.warning(
                "Job %s (%s) of %s is a dead letter after %d attempt(s): %s",
                job.id,
                job.handler,
                job.profile,
                job.attempts,
                job.last_error,
            )
            return JobOutcome.DEAD
        delay = self._backoff(job.attempts)
        job.next_attempt = now + delay
        _LOGGER.debug(
            "Job %s (%s) of %s failed (attempt %d), retry in %.1f s: %s",
            job.id,
            job.handler,
            job.profile,
            job.attempts,
            delay,
            job.last_error,
        )
        return JobOutcome.RETRY

    async def _save(self, job: Job, *, delete_files: bool) -> None:
        """Write a job's new state (and delete its files if asked); survive a cancellation.

        The write runs to its end even if the worker is cancelled meanwhile; :meth:`stop`
        waits for it. A failed write is logged: the worker goes on.
        """
        future = asyncio.ensure_future(
            self._run_blocking(partial(self._save_blocking, replace(job), delete_files))
        )
        self._saving.add(future)
        future.add_done_callback(self._saved)
        with suppress(Exception):
            await asyncio.shield(future)

    def _saved(self, future: asyncio.Future[None]) -> None:
        """Forget a finished write; log its error."""
        self._saving.discard(future)
        if not future.cancelled() and (error := future.exception()) is not None:
            _LOGGER.error("Could not save an outbox job", exc_info=error)

    def _save_blocking(self, job: Job, delete_files: bool) -> None:
        """Update the job in the store; then delete its files if asked."""
        self._store.update(job)
        if delete_files and job.files:
            self._delete_files(job.files)

    def _delete_blocking[A](self, delete: Callable[[A], list[Job]], arg: A) -> int:
        """Delete jobs from the store with ``delete(arg)``, then their files; return count."""
        jobs = delete(arg)
        for job in jobs:
            if job.files:
                self._delete_files(job.files)
        return len(jobs)

    def _delete_files(self, files: Sequence[str]) -> None:
        """Delete these files if under the spool folder, then their emptied folders."""
        root = self._spool_dir.resolve()
        for name in files:
            path = Path(name)
            parent = path.parent.resolve()
            target = parent / path.name  # not resolved: a symlink is removed, not its target
            if not parent.is_relative_to(root) or target == root:
                _LOGGER.debug("Not deleting %s: outside the outbox spool folder", name)
                continue
            try:
                target.unlink(missing_ok=True)
            except OSError as err:
                _LOGGER.warning("Could not delete %s: %s", target, err)
                continue
            while parent != root:
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent


def _cancelling() -> bool:
    """Return True if the current task is being cancelled."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _describe(error: BaseException) -> str:
    """Return ``Type: message`` (or just the type) for an error."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _short(text: str) -> str:
    """Cut a text to :data:`MAX_TEXT` characters."""
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
