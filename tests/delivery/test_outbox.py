"""Tests for the outbox: persistence, per-profile workers, retries, dead letters, restarts."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
import logging
from pathlib import Path
import sqlite3
import time
from typing import Any

import pytest

from custom_components.cam_events.delivery.base import (
    AuthenticationError,
    DeliveryError,
    PermanentDeliveryError,
)
from custom_components.cam_events.delivery.outbox import (
    SCHEMA_VERSION,
    Job,
    JobOutcome,
    Outbox,
    OutboxStore,
    new_job_id,
)

type MakeOutbox = Callable[..., tuple[OutboxStore, Outbox]]


def make_job(profile: str = "p1", handler: str = "send_email", **kwargs: Any) -> Job:
    kwargs.setdefault("payload", {"to": "a@example.com", "n": 1})
    kwargs.setdefault("files", [])
    return Job(id=new_job_id(), profile=profile, handler=handler, **kwargs)


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until the predicate holds (fail the test after ``timeout`` seconds)."""
    async with asyncio.timeout(timeout):
        while True:
            if predicate():
                return
            await asyncio.sleep(0.001)


class Sink:
    """A deliver function and a listener that record every call."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.times: list[float] = []
        self.outcomes: list[tuple[Job, JobOutcome]] = []
        self.failures: dict[str, list[BaseException]] = {}
        self.fail_always: BaseException | None = None
        self.gate: asyncio.Event | None = None
        self.cancelled: list[str] = []

    async def deliver(self, job: Job) -> str:
        self.calls.append(job.id)
        self.times.append(time.time())
        if self.fail_always is not None:
            raise self.fail_always
        if errors := self.failures.get(job.id):
            raise errors.pop(0)
        if self.gate is not None:
            try:
                await self.gate.wait()
            except asyncio.CancelledError:
                self.cancelled.append(job.id)
                raise
        return f"250 ok {job.id}"

    def listener(self, job: Job, outcome: JobOutcome) -> None:
        self.outcomes.append((job, outcome))

    def with_outcome(self, outcome: JobOutcome) -> list[str]:
        return [job.id for job, seen in self.outcomes if seen is outcome]

    def in_flight(self) -> bool:
        return len(self.calls) > len(self.outcomes) + len(self.cancelled)


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    path = tmp_path / "spool"
    path.mkdir()
    return path


@pytest.fixture
async def make_outbox(tmp_path: Path, spool: Path) -> AsyncIterator[MakeOutbox]:
    """Make (store, outbox) pairs on one database file; stop and close them all at the end."""
    made: list[tuple[OutboxStore, Outbox]] = []

    def make(**kwargs: Any) -> tuple[OutboxStore, Outbox]:
        kwargs.setdefault("backoff_initial", 0.01)
        kwargs.setdefault("backoff_max", 0.05)
        store = OutboxStore(tmp_path / "outbox.db")
        store.open()
        outbox = Outbox(store, asyncio.to_thread, spool_dir=spool, **kwargs)
        made.append((store, outbox))
        return store, outbox

    yield make
    for store, outbox in made:
        await outbox.stop()
        store.close()


async def started(make_outbox: MakeOutbox, **kwargs: Any) -> tuple[OutboxStore, Outbox]:
    store, outbox = make_outbox(**kwargs)
    await outbox.start()
    return store, outbox


def spool_file(spool: Path, relative: str, data: bytes = b"jpeg") -> Path:
    path = spool / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# Delivery.


async def test_job_delivered_once_and_files_deleted(
    make_outbox: MakeOutbox, spool: Path, tmp_path: Path
) -> None:
    store, outbox = await started(make_outbox)
    attachment = spool_file(spool, "job1/snapshot.jpg")
    outside = tmp_path / "keep.jpg"
    outside.write_bytes(b"not ours")
    sink = Sink()
    outbox.register("p1", sink.deliver, sink.listener)

    job = await outbox.enqueue(
        make_job(files=[str(attachment), str(outside)], event_id="E1", camera="cam1")
    )
    await until(lambda: bool(sink.outcomes))
    await asyncio.sleep(0.05)  # room for a second (wrong) delivery

    assert sink.calls == [job.id]
    [(seen, outcome)] = sink.outcomes
    assert outcome is JobOutcome.SENT
    assert seen.state == "sent"
    assert seen.result == f"250 ok {job.id}"
    stored = store.get(job.id)
    assert stored is not None
    assert stored.state == "sent"
    assert stored.attempts == 1
    assert stored.finished is not None
    assert stored.result == f"250 ok {job.id}"
    assert (stored.event_id, stored.camera, stored.payload) == ("E1", "cam1", job.payload)
    assert not attachment.exists()
    assert not attachment.parent.exists()  # its emptied folder too
    assert spool.is_dir()
    assert outside.read_bytes() == b"not ours"  # outside the spool: never deleted
    assert outbox.queue_length("p1") == 0
    assert await outbox.counts("p1") == {"pending": 0, "dead": 0, "sent": 1}


async def test_enqueue_persists_before_returning(make_outbox: MakeOutbox) -> None:
    store, outbox = await started(make_outbox)
    job = await outbox.enqueue(make_job(profile="nobody"))
    stored = store.get(job.id)
    assert stored is not None
    assert stored.state == "pending"
    assert stored.created > 0
    assert stored.next_attempt == stored.created
    assert outbox.queue_length("nobody") == 1


async def test_enqueue_rejects_bad_jobs(make_outbox: MakeOutbox) -> None:
    store, outbox = await started(make_outbox)
    with pytest.raises(TypeError):
        await outbox.enqueue(make_job(payload={"not json": {1, 2}}))
    job = await outbox.enqueue(make_job())
    with pytest.raises(sqlite3.IntegrityError):
        await outbox.enqueue(Job(job.id, "p1", "send_email", {}, []))
    assert outbox.queue_length("p1") == 1
    assert store.counts("p1")["pending"] == 1


async def test_transient_failures_back_off_then_deliver_once(make_outbox: MakeOutbox) -> None:
    store, outbox = await started(make_outbox, backoff_initial=0.02, backoff_max=0.05)
    sink = Sink()
    job = make_job()
    sink.failures[job.id] = [DeliveryError(f"timeout {n}") for n in range(4)]
    outbox.register("p1", sink.deliver, sink.listener)
    await outbox.enqueue(job)
    await until(lambda: JobOutcome.SENT in {outcome for _, outcome in sink.outcomes})

    assert sink.calls == [job.id] * 5
    outcomes = [outcome for _, outcome in sink.outcomes]
    assert outcomes == [JobOutcome.RETRY] * 4 + [JobOutcome.SENT]
    retries = [seen for seen, outcome in sink.outcomes if outcome is JobOutcome.RETRY]
    assert [seen.attempts for seen in retries] == [1, 2, 3, 4]
    assert [seen.last_error for seen in retries] == [
        f"DeliveryError: timeout {n}" for n in range(4)
    ]
    # The next attempt is scheduled x2 each time, capped: 0.02, 0.04, 0.05, 0.05.
    delays = [seen.next_attempt - at for seen, at in zip(retries, sink.times, strict=False)]
    for delay, expected in zip(delays, [0.02, 0.04, 0.05, 0.05], strict=True):
        assert delay == pytest.approx(expected, abs=0.01)
    # ...and no attempt starts before it is due.
    for seen, at in zip(retries, sink.times[1:], strict=True):
        assert at >= seen.next_attempt
    stored = store.get(job.id)
    assert stored is not None
    assert (stored.state, stored.attempts) == ("sent", 5)
    await asyncio.sleep(0.1)
    assert len(sink.calls) == 5


async def test_unexpected_error_is_retried(
    make_outbox: MakeOutbox, caplog: pytest.LogCaptureFixture
) -> None:
    store, outbox = await started(make_outbox)
    sink = Sink()
    job = make_job()
    sink.failures[job.id] = [ValueError("bug"), asyncio.CancelledError()]
    outbox.register("p1", sink.deliver, sink.listener)
    with caplog.at_level(logging.ERROR):
        await outbox.enqueue(job)
        await until(lambda: len(sink.outcomes) == 3)
    assert [outcome for _, outcome in sink.outcomes] == [
        JobOutcome.RETRY,
        JobOutcome.RETRY,
        JobOutcome.SENT,
    ]
    assert sink.outcomes[0][0].last_error == "ValueError: bug"
    assert sink.outcomes[1][0].last_error == "CancelledError"
    assert "Unexpected error delivering job" in caplog.text
    stored = store.get(job.id)
    assert stored is not None
    assert stored.state == "sent"


async def test_max_attempts_then_dead_then_retry_dead(make_outbox: MakeOutbox) -> None:
    store, outbox = await started(make_outbox, max_attempts=3)
    sink = Sink()
    sink.fail_always = DeliveryError("connection refused")
    outbox.register("p1", sink.deliver, sink.listener)
    job = await outbox.enqueue(make_job())
    await until(lambda: JobOutcome.DEAD in {outcome for _, outcome in sink.outcomes})
    await asyncio.sleep(0.1)  # longer than the back-off: a dead letter is not tried again

    assert sink.calls == [job.id] * 3
    assert [outcome for _, outcome in sink.outcomes] == [
        JobOutcome.RETRY,
        JobOutcome.RETRY,
        JobOutcome.DEAD,
    ]
    stored = store.get(job.id)
    assert stored is not None
    assert (stored.state, stored.attempts) == ("dead", 3)
    assert stored.last_error == "DeliveryError: connection refused"
    assert stored.finished is not None
    assert outbox.queue_length("p1") == 0
    assert [dead.id for dead in await outbox.dead("p1")] == [job.id]

    sink.fail_always = None
    assert await outbox.retry_dead("p1") == 1
    await until(lambda: bool(sink.with_outcome(JobOutcome.SENT)))
    assert sink.calls == [job.id] * 4
    stored = store.get(job.id)
    assert stored is not None
    assert (stored.state, stored.attempts) == ("sent", 1)  # attempts restarted
    assert await outbox.dead() == []
    assert await outbox.retry_dead() == 0


@pytest.mark.parametrize("error", [AuthenticationError("535 bad login"), PermanentDeliveryError()])
async def test_permanent_error_is_dead_at_once(
    make_outbox: MakeOutbox, error: DeliveryError
) -> None:
    store, outbox = await started(make_outbox, max_attempts=5)
    sink = Sink()
    sink.fail_always = error
    outbox.register("p1", sink.deliver, sink.listener)
    job = await outbox.enqueue(make_job())
    other = await outbox.enqueue(make_job())
    await until(lambda: len(sink.outcomes) == 2)
    await asyncio.sleep(0.05)

    assert sink.calls == [job.id, other.id]
    assert [outcome for _, outcome in sink.outcomes] == [JobOutcome.DEAD, JobOutcome.DEAD]
    stored = store.get(job.id)
    assert stored is not None
    assert (stored.state, stored.attempts) == ("dead", 1)
    assert stored.last_error is not None
    assert stored.last_error.startswith(type(error).__name__)
    assert store.counts("p1") == {"pending": 0, "dead": 2, "sent": 0}

    # Requeue by id only (and a profile filter that matches nothing).
    sink.fail_always = None
    assert await outbox.retry_dead("other profile") == 0
    assert await outbox.retry_dead(job_ids=[]) == 0
    assert await outbox.retry_dead("p1", job_ids=[job.id, "unknown"]) == 1
    await until(lambda: bool(sink.with_outcome(JobOutcome.SENT)))
    await asyncio.sleep(0.05)
    assert sink.with_outcome(JobOutcome.SENT) == [job.id]
    assert store.counts("p1") == {"pending": 0, "dead": 1, "sent": 1}


# Scheduling.


async def test_blocked_profile_does_not_delay_another(make_outbox: MakeOutbox) -> None:
    _, outbox = await started(make_outbox)
    slow, fast = Sink(), Sink()
    slow.gate = asyncio.Event()
    outbox.register("smtp", slow.deliver, slow.listener)
    outbox.register("ftp", fast.deliver, fast.listener)

    a1 = await outbox.enqueue(make_job("smtp"))
    a2 = await outbox.enqueue(make_job("smtp"))
    await until(slow.in_flight)
    b_jobs = [await outbox.enqueue(make_job("ftp", "upload_ftp")) for _ in range(3)]
    await until(lambda: len(fast.outcomes) == 3)

    assert fast.with_outcome(JobOutcome.SENT) == [job.id for job in b_jobs]
    assert slow.calls == [a1.id]  # stuck on the first; one at a time within a profile
    assert slow.outcomes == []
    assert outbox.queue_length("smtp") == 2

    slow.gate.set()
    await until(lambda: len(slow.outcomes) == 2)
    assert slow.with_outcome(JobOutcome.SENT) == [a1.id, a2.id]


async def test_fifo_within_a_profile(make_outbox: MakeOutbox) -> None:
    _, outbox = await started(make_outbox)
    sink = Sink()
    before = [await outbox.enqueue(make_job()) for _ in range(10)]
    outbox.register("p1", sink.deliver, sink.listener)
    after = [await outbox.enqueue(make_job()) for _ in range(10)]
    await until(lambda: len(sink.outcomes) == 20)
    assert sink.calls == [job.id for job in before + after]


async def test_new_job_is_not_held_up_by_one_in_back_off(make_outbox: MakeOutbox) -> None:
    store, outbox = await started(make_outbox, backoff_initial=60.0, backoff_max=60.0)
    sink = Sink()
    outbox.register("p1", sink.deliver, sink.listener)
    first = make_job()
    sink.failures[first.id] = [DeliveryError("busy")]
    await outbox.enqueue(first)
    await until(lambda: bool(sink.outcomes))
    second = await outbox.enqueue(make_job())  # wakes the worker sleeping for 60 s
    await until(lambda: len(sink.outcomes) == 2)

    assert sink.calls == [first.id, second.id]
    assert sink.with_outcome(JobOutcome.SENT) == [second.id]
    assert outbox.queue_length("p1") == 1
    stored = store.get(first.id)
    assert stored is not None
    assert stored.state == "pending"
    assert stored.next_attempt >= sink.times[0] + 60.0


async def test_a_job_due_later_goes_at_once_when_released(make_outbox: MakeOutbox) -> None:
    """A job stored due later (waiting for its clip) goes as soon as it is released, once.

    Only the jobs that match are released; the release is stored, so a restart keeps it due.
    """
    store, outbox = await started(make_outbox)
    sink = Sink()
    outbox.register("p1", sink.deliver, sink.listener)
    later = time.time() + 3600
    clip_job = await outbox.enqueue(make_job(payload={"clip_event": "e1"}, next_attempt=later))
    other = await outbox.enqueue(make_job(payload={"clip_event": "e2"}, next_attempt=later))
    await asyncio.sleep(0.05)
    assert sink.calls == []

    assert await outbox.release("p1", lambda job: job.payload["clip_event"] == "e1") == 1
    stored = store.get(clip_job.id)
    assert stored is not None
    assert stored.next_attempt <= time.time()
    await until(lambda: len(sink.outcomes) == 1)
    assert sink.calls == [clip_job.id]
    assert [(job.id, job.attempts) for job, _ in sink.outcomes] == [(clip_job.id, 1)]
    # Released once: nothing left to release for e1; e2 still waits; no profile, nothing.
    assert await outbox.release("p1", lambda job: job.payload["clip_event"] == "e1") == 0
    assert await outbox.release("nobody", lambda job: True) == 0
    await asyncio.sleep(0.05)
    assert sink.calls == [clip_job.id]
    assert outbox.queue_length("p1") == 1
    assert store.get(other.id).state == "pending"  # type: ignore[union-attr]


async def test_listener_error_does_not_stop_the_worker(
    make_outbox: MakeOutbox, caplog: pytest.LogCaptureFixture
) -> None:
    _, outbox = await started(make_outbox)
    sink = Sink()

    def listener(job: Job, outcome: JobOutcome) -> None:
        sink.listener(job, outcome)
        raise RuntimeError("listener bug")

    outbox.register("p1", sink.deliver, listener)
    jobs = [await outbox.enqueue(make_job()) for _ in range(2)]
    await until(lambda: len(sink.outcomes) == 2)
    assert sink.with_outcome(JobOutcome.SENT) == [job.id for job in jobs]
    assert "Error in the outbox listener" in caplog.text


async def test_register_rules(make_outbox: MakeOutbox) -> None:
    _, outbox = make_outbox()
    sink = Sink()
    with pytest.raises(RuntimeError):
        outbox.register("p1", sink.deliver)
    assert not outbox.started
    await outbox.start()
    assert outbox.started
    assert outbox.spool_dir.is_dir()
    with pytest.raises(RuntimeError):
        await outbox.start()
    outbox.register("p1", sink.deliver)
    assert outbox.is_registered("p1")
    with pytest.raises(ValueError, match="already registered"):
        outbox.register("p1", sink.deliver)
    await outbox.unregister("p1")
    assert not outbox.is_registered("p1")
    await outbox.unregister("p1")  # unknown: nothing to do


def test_constructor_checks(tmp_path: Path) -> None:
    store = OutboxStore(":memory:")
    with pytest.raises(ValueError, match="backoff"):
        Outbox(store, asyncio.to_thread, spool_dir=tmp_path, backoff_initial=5, backoff_max=1)
    with pytest.raises(ValueError, match="max_attempts"):
        Outbox(store, asyncio.to_thread, spool_dir=tmp_path, max_attempts=0)


# Restarts and cancellation.


async def test_restart_delivers_pending_and_never_resends(make_outbox: MakeOutbox) -> None:
    store, outbox = await started(make_outbox)
    before = Sink()
    outbox.register("sent", before.deliver, before.listener)
    sent = await outbox.enqueue(make_job("sent"))
    await until(lambda: bool(before.outcomes))
    waiting = await outbox.enqueue(make_job("later"))  # no worker for "later"
    stuck_sink = Sink()
    stuck_sink.gate = asyncio.Event()
    outbox.register("stuck", stuck_sink.deliver, stuck_sink.listener)
    stuck = await outbox.enqueue(make_job("stuck"))
    await until(stuck_sink.in_flight)
    await outbox.stop()  # cancels the attempt in flight
    store.close()

    assert stuck_sink.cancelled == [stuck.id]
    assert stuck_sink.outcomes == []

    store, outbox = await started(make_outbox)
    assert outbox.queue_length("sent") == 0
    assert outbox.queue_length("later") == 1
    assert outbox.queue_length("stuck") == 1
    stored = store.get(stuck.id)
    assert stored is not None
    assert (stored.state, stored.attempts) == ("pending", 0)
    after = Sink()
    for profile in ("sent", "later", "stuck"):
        outbox.register(profile, after.deliver, after.listener)
    await until(lambda: len(after.outcomes) == 2)
    await asyncio.sleep(0.05)

    assert sorted(after.calls) == sorted([waiting.id, stuck.id])
    assert sent.id not in after.calls
    assert before.calls == [sent.id]
    assert store.counts("sent") == {"pending": 0, "dead": 0, "sent": 1}
    assert store.counts("later") == {"pending": 0, "dead": 0, "sent": 1}


async def test_unregister_cancels_in_flight_attempt_safely(make_outbox: MakeOutbox) -> None:
    store, outbox = await started(make_outbox)
    sink = Sink()
    sink.gate = asyncio.Event()
    outbox.register("p1", sink.deliver, sink.listener)
    job = await outbox.enqueue(make_job())
    await until(sink.in_flight)
    await outbox.unregister("p1")

    assert sink.cancelled == [job.id]
    assert sink.outcomes == []
    stored = store.get(job.id)
    assert stored is not None
    assert (stored.state, stored.attempts, stored.last_error) == ("pending", 0, None)
    assert outbox.queue_length("p1") == 1

    sink.gate = None
    outbox.register("p1", sink.deliver, sink.listener)
    await until(lambda: bool(sink.outcomes))
    await asyncio.sleep(0.05)
    assert sink.with_outcome(JobOutcome.SENT) == [job.id]
    assert sink.calls == [job.id, job.id]  # the cancelled attempt, then the delivery
    stored = store.get(job.id)
    assert stored is not None
    assert (stored.state, stored.attempts) == ("sent", 1)


async def test_unregister_grace_lets_the_attempt_finish(make_outbox: MakeOutbox) -> None:
    store, outbox = await started(make_outbox)
    sink = Sink()
    gate = sink.gate = asyncio.Event()
    outbox.register("p1", sink.deliver, sink.listener)
    job = await outbox.enqueue(make_job())
    second = await outbox.enqueue(make_job())
    await until(sink.in_flight)
    stopping = asyncio.create_task(outbox.unregister("p1", grace=10.0))
    await asyncio.sleep(0.01)
    assert not stopping.done()
    gate.set()
    await stopping

    assert sink.cancelled == []
    assert sink.calls == [job.id]  # the second job waits for the next registration
    stored = store.get(job.id)
    assert stored is not None
    assert stored.state == "sent"
    assert outbox.queue_length("p1") == 1
    assert (await outbox.counts("p1"))["pending"] == 1
    assert second.id in {pending.id for pending in store.pending("p1")}


async def test_cancellation_turned_into_an_error_still_leaves_the_job_pending(
    make_outbox: MakeOutbox,
) -> None:
    store, outbox = await started(make_outbox)
    calls: list[str] = []
    release = asyncio.Event()

    async def deliver(job: Job) -> str:
        calls.append(job.id)
        try:
            await release.wait()
        except asyncio.CancelledError:
            raise DeliveryError("connection aborted") from None  # a library that wraps it
        return "ok"

    outcomes: list[JobOutcome] = []
    outbox.register("p1", deliver, lambda job, outcome: outcomes.append(outcome))
    job = await outbox.enqueue(make_job())
    await until(lambda: bool(calls))
    await outbox.unregister("p1")

    assert outcomes == []
    stored = store.get(job.id)
    assert stored is not None
    assert (stored.state, stored.attempts, stored.last_error) == ("pending", 0, None)
    assert outbox.queue_length("p1") == 1


async def test_failed_save_is_logged_and_the_worker_goes_on(
    make_outbox: MakeOutbox, caplog: pytest.LogCaptureFixture
) -> None:
    store, outbox = await started(make_outbox)
    sink = Sink()
    gate = sink.gate = asyncio.Event()
    outbox.register("p1", sink.deliver, sink.listener)
    job = await outbox.enqueue(make_job())
    await until(sink.in_flight)
    store.close()  # the database goes away during the attempt
    gate.set()
    await until(lambda: bool(sink.outcomes))

    assert sink.with_outcome(JobOutcome.SENT) == [job.id]
    assert "Could not save an outbox job" in caplog.text
    assert outbox.queue_length("p1") == 0  # this process will not send it again
    store.open()
    stored = store.get(job.id)
    assert stored is not None
    assert stored.state == "pending"  # not marked: a restart would deliver it again
    second = await outbox.enqueue(make_job())
    await until(lambda: len(sink.outcomes) == 2)
    assert sink.with_outcome(JobOutcome.SENT) == [job.id, second.id]


async def test_register_while_the_previous_worker_stops_waits_for_it(
    make_outbox: MakeOutbox,
) -> None:
    store, outbox = await started(make_outbox)
    old, new = Sink(), Sink()
    gate = old.gate = asyncio.Event()
    outbox.register("p1", old.deliver, old.listener)
    first = await outbox.enqueue(make_job())
    second = await outbox.enqueue(make_job())
    await until(old.in_flight)
    stopping = asyncio.create_task(outbox.unregister("p1", grace=10.0))
    await asyncio.sleep(0)
    outbox.register("p1", new.deliver, new.listener)  # a reload, say
    await asyncio.sleep(0.05)
    assert new.calls == []  # the old worker still has the first job in flight

    gate.set()
    await stopping
    await until(lambda: bool(new.outcomes))
    assert old.with_outcome(JobOutcome.SENT) == [first.id]
    assert new.calls == [second.id]
    assert store.counts("p1") == {"pending": 0, "dead": 0, "sent": 2}


# Purge and profile deletion.


async def test_purge_removes_old_sent_and_dead_keeps_pending(
    make_outbox: MakeOutbox, spool: Path
) -> None:
    store, outbox = await started(make_outbox)
    sink = Sink()
    files = {name: spool_file(spool, f"{name}/a.jpg") for name in ("sent", "dead", "pending")}
    sent = make_job(files=[str(files["sent"])])
    dead = make_job(files=[str(files["dead"])])
    sink.failures[dead.id] = [AuthenticationError("no")]
    outbox.register("p1", sink.deliver, sink.listener)
    start = time.time()
    await outbox.enqueue(sent)
    await outbox.enqueue(dead)
    pending = await outbox.enqueue(make_job("unregistered", files=[str(files["pending"])]))
    await until(lambda: len(sink.outcomes) == 2)

    assert not files["sent"].exists()
    assert files["dead"].exists()  # kept for a retry
    assert await outbox.purge(start - 1) == 0  # nothing finished that long ago
    assert store.get(dead.id) is not None

    assert await outbox.purge(time.time() + 1) == 2
    assert store.get(sent.id) is None
    assert store.get(dead.id) is None
    assert not files["dead"].exists()
    assert store.get(pending.id) is not None
    assert files["pending"].exists()
    assert outbox.queue_length("unregistered") == 1


async def test_delete_profile(make_outbox: MakeOutbox, spool: Path) -> None:
    store, outbox = await started(make_outbox)
    sink = Sink()
    sink.gate = asyncio.Event()
    outbox.register("p1", sink.deliver, sink.listener)
    attachment = spool_file(spool, "x/clip.mp4")
    job = await outbox.enqueue(make_job(files=[str(attachment)]))
    other = await outbox.enqueue(make_job("p2"))
    await until(sink.in_flight)

    assert await outbox.delete_profile("p1") == 1
    assert not outbox.is_registered("p1")
    assert outbox.queue_length("p1") == 0
    assert store.get(job.id) is None
    assert not attachment.exists()
    assert store.get(other.id) is not None


# Throughput.


async def test_throughput_1000_jobs(make_outbox: MakeOutbox) -> None:
    store, outbox = await started(make_outbox)
    delivered: list[str] = []
    latencies: list[float] = []
    enqueued_at: dict[str, float] = {}

    async def deliver(job: Job) -> str:
        latencies.append(time.perf_counter() - enqueued_at[job.id])
        delivered.append(job.id)
        return "ok"

    outbox.register("p1", deliver)
    begin = time.perf_counter()
    ids = []
    for _ in range(1000):
        job = make_job()
        enqueued_at[job.id] = time.perf_counter()
        ids.append((await outbox.enqueue(job)).id)
    enqueued = time.perf_counter() - begin
    await until(lambda: store.counts("p1")["sent"] == 1000, timeout=60)
    total = time.perf_counter() - begin
    print(
        f"\n1000 jobs: enqueued in {enqueued:.3f} s, all sent in {total:.3f} s;"
        f" enqueue to delivery start, backlogged: median {sorted(latencies)[500] * 1000:.2f} ms"
    )

    assert Counter(delivered) == Counter(ids)
    assert max(Counter(delivered).values()) == 1
    assert delivered == ids
    assert outbox.queue_length("p1") == 0
    assert store.counts("p1") == {"pending": 0, "dead": 0, "sent": 1000}


async def test_latency_to_an_idle_worker(make_outbox: MakeOutbox) -> None:
    store, outbox = await started(make_outbox)
    started_at: dict[str, float] = {}
    delivered = asyncio.Event()

    async def deliver(job: Job) -> str:
        started_at[job.id] = time.perf_counter()
        delivered.set()
        return "ok"

    outbox.register("p1", deliver)
    latencies = []
    for _ in range(50):
        delivered.clear()
        begin = time.perf_counter()
        job = await outbox.enqueue(make_job())
        await delivered.wait()
        latencies.append(started_at[job.id] - begin)
    latencies.sort()
    print(
        f"\nenqueue call to delivery start, idle worker: median {latencies[25] * 1000:.2f} ms,"
        f" max {latencies[-1] * 1000:.2f} ms"
    )
    assert len(started_at) == 50
    await until(lambda: store.counts("p1")["sent"] == 50)


# The store alone.


@pytest.fixture
def memory_store() -> Iterator[OutboxStore]:
    store = OutboxStore(":memory:")
    store.open()
    yield store
    store.close()


def test_store_round_trip_and_update(memory_store: OutboxStore) -> None:
    job = make_job(
        payload={"subject": "Motion", "nested": {"list": [1, "é"]}},
        files=["/a/b.jpg"],
        event_id="E",
        camera="cam",
        created=10.0,
        next_attempt=10.0,
    )
    memory_store.add(job)
    assert memory_store.get(job.id) == job
    job.state, job.attempts, job.last_error, job.finished, job.result = (
        "sent",
        2,
        "x",
        11.0,
        "250",
    )
    memory_store.update(job)
    assert memory_store.get(job.id) == job
    assert memory_store.get("missing") is None
    with pytest.raises(KeyError):
        memory_store.update(make_job())


def test_store_pending_order_and_counts(memory_store: OutboxStore) -> None:
    late = make_job(created=1.0, next_attempt=50.0)
    early = make_job(created=5.0, next_attempt=5.0)
    tie_old = make_job(created=2.0, next_attempt=7.0)
    tie_new = make_job(created=3.0, next_attempt=7.0)
    other = make_job("p2", created=1.0, next_attempt=1.0)
    dead = make_job(created=1.0, state="dead", finished=1.0)
    for job in (late, early, tie_new, tie_old, other, dead):
        memory_store.add(job)
    assert [job.id for job in memory_store.pending("p1")] == [
        early.id,
        tie_old.id,
        tie_new.id,
        late.id,
    ]
    assert memory_store.pending()[0].id == other.id
    assert [job.id for job in memory_store.dead()] == [dead.id]
    assert memory_store.counts("p1") == {"pending": 4, "dead": 1, "sent": 0}
    assert memory_store.counts("none") == {"pending": 0, "dead": 0, "sent": 0}
    assert [job.id for job in memory_store.delete_profile("p2")] == [other.id]
    assert memory_store.pending("p2") == []


def test_store_requeue_dead(memory_store: OutboxStore) -> None:
    a = make_job(state="dead", attempts=8, finished=3.0, last_error="E", created=1.0)
    b = make_job("p2", state="dead", attempts=1, finished=3.0, created=2.0)
    memory_store.add(a)
    memory_store.add(b)
    [requeued] = memory_store.requeue_dead(100.0, profile="p1")
    assert requeued.id == a.id
    assert memory_store.get(a.id) == requeued
    assert (requeued.state, requeued.attempts, requeued.next_attempt) == ("pending", 0, 100.0)
    assert (requeued.finished, requeued.last_error) == (None, "E")
    assert memory_store.requeue_dead(100.0, job_ids=[a.id]) == []  # not dead any more
    assert [job.id for job in memory_store.requeue_dead(100.0)] == [b.id]


def test_store_schema_and_lifecycle(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    store = OutboxStore(path)
    store.open()
    with pytest.raises(RuntimeError, match="already open"):
        store.open()
    store.close()
    store.close()
    with pytest.raises(RuntimeError, match="not open"):
        store.get("x")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer"):
        OutboxStore(path).open()
