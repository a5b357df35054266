"""Benchmark the SQLite event store at 100 000 events.

Fills a store in a temporary file with events over 10 cameras and 5 types spread over 30
days (the first 5 000 by single ``add`` calls, the rest by ``add_many`` batches), then
measures the median time of page queries (limit 50) for one camera and for the whole store:
at offset 0, in the middle (the deepest OFFSET the store ever walks), at the last page, by
type, by a 1-day range, and ``latest``. A plain ``LIMIT/OFFSET`` query on a separate
connection shows what the last page costs without the store's rowid subquery and reversal.

Run: ``.venv/bin/python bench/events.py [--events 100000] [--runs 50]``. Nothing is kept.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_components.cam_events.events.model import Event, new_event_id
from custom_components.cam_events.events.store import EventStore

BUDGET_MS = 20.0
LIMIT = 50
DAY = 86_400.0
CAMERAS = [f"01JCAMERA{n:02d}ENTRY" for n in range(10)]
TYPES = ["motion", "person", "vehicle", "doorbell", "sound"]
SINGLE_ADDS = 5_000
BATCH = 1_000


def make_events(count: int, days: float, seed: int = 0) -> list[Event]:
    """Return ``count`` events in start order, spread over the last ``days`` days."""
    rng = random.Random(seed)
    now = time.time()
    starts = sorted(now - rng.random() * days * DAY for _ in range(count))
    events = []
    for start in starts:
        event_id = new_event_id(start)
        events.append(
            Event(
                id=event_id,
                camera=rng.choice(CAMERAS),
                type=rng.choice(TYPES),
                start=start,
                end=start + rng.uniform(2, 120),
                metadata={"score": round(rng.random(), 3), "zone": "drive", "cells": 412},
                snapshot=f"/api/cam_events/snapshot/{event_id}.jpg",
                handlers=[{"handler": "notify", "ok": True, "ms": 84}],
            )
        )
    return events


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    """Return the median wall time of ``fn`` in milliseconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        fn()
        times.append((time.perf_counter() - begin) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    runs = max(args.runs, 50)

    events = make_events(args.events, args.days)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "events.db")
        store = EventStore(path)
        store.open()

        single = events[:SINGLE_ADDS]
        begin = time.perf_counter()
        for event in single:
            store.add(event)
        single_rate = len(single) / (time.perf_counter() - begin)
        rest = events[SINGLE_ADDS:]
        begin = time.perf_counter()
        for i in range(0, len(rest), BATCH):
            store.add_many(rest[i : i + BATCH])
        batch_rate = len(rest) / max(time.perf_counter() - begin, 1e-9)
        print(f"{store.count()} events, {Path(path).stat().st_size / 1e6:.1f} MB (+WAL)")
        print(f"add:      {single_rate:10,.0f} events/s (single calls, first {len(single)})")
        print(f"add_many: {batch_rate:10,.0f} events/s (batches of {BATCH}, {len(rest)})")

        day_from = events[len(events) // 2].start
        scopes: dict[str, str | None] = {"camera": CAMERAS[0], "store": None}
        header = f"{'median ms (runs=' + str(runs) + ')':30}"
        for name, camera in scopes.items():
            header += f"{name + ' n=' + str(store.count(camera)):>18}"
        print(f"\n{header}")

        results: list[tuple[str, bool, list[float | None]]] = []

        def case(label: str, page: bool, make: Callable[[str | None], Callable[[], Any]]) -> None:
            results.append((label, page, [median_ms(make(c), runs) for c in scopes.values()]))

        def page_at(camera: str | None, type_: str | None, where: str) -> Callable[[], Any]:
            total = store.query(camera=camera, type=type_, limit=1).total
            offset = {"first": 0, "middle": total // 2 - LIMIT // 2, "last": total - LIMIT}[where]
            return lambda: store.query(camera=camera, type=type_, offset=offset)

        case("page, offset 0", True, lambda c: page_at(c, None, "first"))
        case("page, middle offset", True, lambda c: page_at(c, None, "middle"))
        case("page, last (total - 50)", True, lambda c: page_at(c, None, "last"))
        case("type, offset 0", True, lambda c: page_at(c, "person", "first"))
        case("type, last", True, lambda c: page_at(c, "person", "last"))
        case(
            "1-day range, offset 0",
            True,
            lambda c: lambda: store.query(camera=c, start_from=day_from, start_to=day_from + DAY),
        )
        case("count", False, lambda c: lambda: store.count(c))
        latest = median_ms(lambda: store.latest(CAMERAS[0]), runs)
        latest_type = median_ms(lambda: store.latest(CAMERAS[0], "person"), runs)
        results.append(("latest", False, [latest, None]))
        results.append(("latest, type", False, [latest_type, None]))

        conn = sqlite3.connect(path)

        def plain_last_page(camera: str | None) -> Callable[[], Any]:
            where = "WHERE camera = ?" if camera else ""
            params: list[Any] = [camera] if camera else []
            params.append(store.count(camera) - LIMIT)
            sql = f"SELECT * FROM events {where} ORDER BY start DESC, id DESC LIMIT 50 OFFSET ?"
            return lambda: conn.execute(sql, params).fetchall()

        naive: list[float | None] = [median_ms(plain_last_page(c), runs) for c in scopes.values()]
        conn.close()
        results.append(("ref: plain OFFSET, last page", False, naive))
        store.close()

    for label, _, values in results:
        cells = "".join(
            f"{'-':>18}" if v is None else f"{v:>9.2f} {'ok' if v < BUDGET_MS else 'OVER':>8}"
            for v in values
        )
        print(f"{label:30}{cells}")
    slowest = max(v for _, page, values in results if page for v in values if v is not None)
    ratio = slowest / BUDGET_MS
    print(f"\nslowest page query {slowest:.2f} ms = {ratio:.3f} of the {BUDGET_MS:.0f} ms budget")


if __name__ == "__main__":
    main()
