"""The event history and the outbox survive a killed process and a full disk.

`test_stores_survive_sigkill_in_a_loop` starts a real process writing through both stores
(`sqlite_writer`), SIGKILLs it at a random moment, checks both databases, and starts it
again on the same files, many times. The full-disk tests run the stores on a real tmpfs.
"""

from __future__ import annotations

from collections.abc import Iterator
import os
from pathlib import Path
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from custom_components.cam_events.delivery.outbox import PENDING, SENT, Job, OutboxStore
from custom_components.cam_events.events.model import Event
from custom_components.cam_events.events.store import EventStore
from tests.faults.disk import fill, free, integrity, tmpfs

ROOT = Path(__file__).parents[2]
KILLS = 15


def _progress(folder: Path, run: int) -> list[tuple[str, str, str]]:
    """The writes the killed process reported committed (a torn last line is dropped)."""
    text = (folder / f"progress-{run}.log").read_text()
    lines = text.split("\n")[:-1]  # what follows the last newline was cut by the kill
    assert lines[0] == "ready"
    return [tuple(line.split(" ")) for line in lines[1:]]  # type: ignore[misc]


def _start(folder: Path, run: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.sqlite_writer", str(folder), str(run)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    log = folder / f"progress-{run}.log"
    deadline = time.monotonic() + 30
    while not (log.exists() and log.read_text().startswith("ready\n")):
        assert process.poll() is None, "the writer died before it was ready"
        assert time.monotonic() < deadline, "the writer did not start"
        time.sleep(0.02)
    return process


def _rows(database: Path, table: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        return conn.execute(f"SELECT * FROM {table}").fetchall()
    finally:
        conn.close()


def test_stores_survive_sigkill_in_a_loop(tmp_path: Path) -> None:
    """Killed mid-write 15 times: both databases pass the integrity check each time, every
    write reported committed is there as written, nothing is duplicated, and the stores open
    and go on writing on the same files."""
    rng = random.Random(18)
    reported_events: dict[str, str] = {}
    reported_jobs: dict[str, str] = {}
    total_written = 0
    for run in range(KILLS):
        process = _start(tmp_path, run)
        time.sleep(rng.uniform(0.05, 0.5))
        process.send_signal(signal.SIGKILL)
        assert process.wait(10) == -signal.SIGKILL

        for kind, item, stage in _progress(tmp_path, run):
            (reported_events if kind == "event" else reported_jobs)[item] = stage
        for name in ("events.db", "outbox.db"):
            assert integrity(tmp_path / name) == "ok", (run, name)
        event_rows = _rows(tmp_path / "events.db", "events")
        job_rows = _rows(tmp_path / "outbox.db", "jobs")
        # Nothing duplicated (ids are the primary key, and each was written once).
        assert len({row[0] for row in event_rows}) == len(event_rows)
        assert len({row[0] for row in job_rows}) == len(job_rows)

        # Every row is readable through the stores, and every reported write is there.
        events, jobs = EventStore(tmp_path / "events.db"), OutboxStore(tmp_path / "outbox.db")
        events.open()
        jobs.open()
        try:
            stored_events = {row[0]: Event.from_row(row) for row in event_rows}
            stored_jobs = {str(row[0]): jobs.get(str(row[0])) for row in job_rows}
            for event_id, stage in reported_events.items():
                event = stored_events[event_id]
                assert event.metadata["zones"] == ["door", "drive"]
                if stage == "ended":
                    assert event.end is not None
                    assert event.handlers == [{"handler": "push_http", "status": "sent"}]
            for job_id, stage in reported_jobs.items():
                job = stored_jobs[job_id]
                assert job is not None
                assert job.payload["event"]["id"] == "E" + job_id[1:]
                assert job.state == (SENT if stage == "sent" else job.state)
                if job.state == PENDING:
                    assert job.attempts == 0
            # At most the one write in flight per thread is stored but not reported.
            run_events = [e for e in stored_events if e.startswith(f"E{run}-")]
            run_jobs = [j for j in stored_jobs if j.startswith(f"J{run}-")]
            assert len(run_events) - sum(e.startswith(f"E{run}-") for e in reported_events) <= 1
            assert len(run_jobs) - sum(j.startswith(f"J{run}-") for j in reported_jobs) <= 1
            total_written += len(run_events) + len(run_jobs)
            # The stores go on writing on the files the kill left.
            probe = Event(id=f"P{run}", camera="cam", type="manual", start=time.time())
            events.add(probe)
            assert events.get(probe.id) == probe
        finally:
            events.close()
            jobs.close()
    assert total_written > KILLS * 10, "the writer was killed before it wrote anything"
    assert len(reported_events) + len(reported_jobs) > 0


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MB tmpfs."""
    with tmpfs(tmp_path / "disk", "2m") as mount:
        yield mount


def _event(index: int) -> Event:
    return Event(id=f"E{index:04d}", camera="cam", type="motion", start=1_700_000_000 + index)


def test_event_store_keeps_what_a_full_disk_refuses(disk: Path) -> None:
    """Disk full: adds and updates are kept in order and readable; the health listener hears
    the failure once and the recovery once; with space back, everything is written, once."""
    store = EventStore(disk / "events.db")
    heard: list[str | None] = []
    store.on_health = lambda error: heard.append(None if error is None else str(error))
    store.open()
    try:
        before = [_event(i) for i in range(5)]
        for event in before:
            store.add(event)
        fill(disk)
        during = [_event(i) for i in range(5, 25)]
        for event in during:
            store.add(event)
        ended = before[0]
        ended.end = ended.start + 3
        store.update(ended)  # a row already on disk, changed while full
        during[0].end = during[0].start + 2
        store.update(during[0])  # a row kept in memory, changed again
        assert heard == ["database or disk is full"]
        assert store.unsaved == 21
        assert not store.flush()
        assert store.get(during[3].id) == during[3]
        assert store.get(ended.id) == ended
        assert store.count() == 5  # nothing of it reached the file

        free(disk)
        assert store.flush()
        assert heard == ["database or disk is full", None]
        assert store.unsaved == 0
        assert store.count() == 25
        for event in [*before, *during]:
            assert store.get(event.id) == event
        page = store.query(camera="cam", limit=100, newest_first=False)
        assert [e.id for e in page.events] == [e.id for e in [*before, *during]]
    finally:
        store.close()
    assert integrity(disk / "events.db") == "ok"


def test_outbox_store_keeps_a_sent_state_a_full_disk_refuses(disk: Path) -> None:
    """A job marked sent while the disk is full is written sent when it has room: after a
    restart it is not delivered again."""
    store = OutboxStore(disk / "outbox.db")
    store.open()
    job = Job(id="J1", profile="hook", handler="push_http", payload={"n": 1}, files=[])
    store.add(job)
    fill(disk)
    job.state, job.attempts, job.finished, job.result = SENT, 1, 1.0, "200 OK"
    store.update(job)
    queued = Job(id="J2", profile="hook", handler="push_http", payload={"n": 2}, files=[])
    store.add(queued)
    assert store.unsaved == 2
    free(disk)
    store.close()  # written on close, the disk having room again

    again = OutboxStore(disk / "outbox.db")
    again.open()
    try:
        assert [j.id for j in again.pending()] == ["J2"]
        sent = again.get("J1")
        assert sent is not None
        assert (sent.state, sent.result) == (SENT, "200 OK")
    finally:
        again.close()


def test_kept_rows_are_bounded(disk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_UNSAVED kept rows the oldest is given up, and counted."""
    monkeypatch.setattr(EventStore, "MAX_UNSAVED", 3)
    store = EventStore(disk / "events.db")
    store.open()
    try:
        store.add(_event(0))
        fill(disk)
        for index in range(1, 6):
            store.add(_event(index))
        assert (store.unsaved, store.dropped) == (3, 2)
        free(disk)
        assert store.flush()
        assert [e.id for e in store.query(limit=10, newest_first=False).events] == [
            "E0000",
            "E0003",
            "E0004",
            "E0005",
        ]
    finally:
        store.close()
