"""A process that writes to the event history and the outbox until it is killed.

Run as ``python -m tests.faults.sqlite_writer FOLDER RUN``. Two threads (as Home Assistant's
executor would) write through the real stores in FOLDER: one adds events and then ends each,
the other adds jobs and then marks each sent. After each write returns (committed), a line
``<kind> <id> <stage>`` is appended to FOLDER/progress-RUN.log with one unbuffered write, so
what the log names was committed; it may lag the database by the write in flight.
"""

from __future__ import annotations

import os
from pathlib import Path
import sys
import threading
import time

from custom_components.cam_events.delivery.outbox import SENT, Job, OutboxStore
from custom_components.cam_events.events.model import Event
from custom_components.cam_events.events.store import EventStore


def _log(fd: int, line: str) -> None:
    os.write(fd, (line + "\n").encode())


def _events(store: EventStore, run: str, fd: int) -> None:
    index = 0
    while True:
        now = time.time()
        event = Event(
            id=f"E{run}-{index:07d}",
            camera="cam",
            type="motion",
            start=now,
            metadata={"changed_area": index % 100, "zones": ["door", "drive"]},
        )
        store.add(event)
        _log(fd, f"event {event.id} added")
        event.end = now + 1
        store.update(event)
        store.set_handlers(event.id, [{"handler": "push_http", "status": "sent"}])
        _log(fd, f"event {event.id} ended")
        index += 1


def _jobs(store: OutboxStore, run: str, fd: int) -> None:
    index = 0
    while True:
        now = time.time()
        job = Job(
            id=f"J{run}-{index:07d}",
            profile="hook",
            handler="push_http",
            payload={"event": {"id": f"E{run}-{index:07d}"}, "text": "x" * (index % 300)},
            files=[],
            created=now,
            next_attempt=now,
        )
        store.add(job)
        _log(fd, f"job {job.id} added")
        job.state = SENT
        job.attempts = 1
        job.finished = now
        job.result = "200 OK"
        store.update(job)
        _log(fd, f"job {job.id} sent")
        index += 1


def main() -> None:
    folder, run = Path(sys.argv[1]), sys.argv[2]
    events = EventStore(folder / "events.db")
    jobs = OutboxStore(folder / "outbox.db")
    events.open()
    jobs.open()
    fd = os.open(folder / f"progress-{run}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    _log(fd, "ready")
    threads = [
        threading.Thread(target=_events, args=(events, run, fd), daemon=True),
        threading.Thread(target=_jobs, args=(jobs, run, fd), daemon=True),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
