"""Tests for the SQLite event store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
import sqlite3
import threading
from typing import Any

import pytest

from custom_components.cam_events.events.model import Event, new_event_id
from custom_components.cam_events.events.store import SCHEMA_VERSION, EventStore, Page

T0 = 1_795_901_756.0


def make(camera: str = "cam1", type_: str = "motion", start: float = T0, **kwargs: Any) -> Event:
    return Event(id=new_event_id(start), camera=camera, type=type_, start=start, **kwargs)


@pytest.fixture
def store() -> Iterator[EventStore]:
    store = EventStore(":memory:")
    store.open()
    yield store
    store.close()


def ids(page: Page) -> list[str]:
    return [event.id for event in page.events]


def test_add_get_round_trip(store: EventStore) -> None:
    event = make(
        end=T0 + 4.5,
        metadata={"score": 0.25, "zones": ["drive"], "nested": {"n": None}},
        snapshot="/api/cam_events/snapshot/a.jpg",
        clip="/clip.mp4",
        handlers=[{"handler": "notify", "ok": True}],
    )
    store.add(event)
    assert store.get(event.id) == event
    assert store.get(new_event_id()) is None


def test_add_existing_id_raises(store: EventStore) -> None:
    event = make()
    store.add(event)
    with pytest.raises(sqlite3.IntegrityError):
        store.add(event)
    assert store.count() == 1


def test_add_many_is_one_transaction(store: EventStore) -> None:
    first = make()
    store.add_many([make(start=T0 + 1), make(start=T0 + 2)])
    assert store.count() == 2
    store.add(first)
    with pytest.raises(sqlite3.IntegrityError):
        store.add_many([make(start=T0 + 3), first])
    assert store.count() == 3


def test_update(store: EventStore) -> None:
    event = make(metadata={"score": 0.1})
    store.add(event)
    event.end = T0 + 9
    event.metadata["score"] = 0.9
    event.snapshot = "/s.jpg"
    event.clip = "/c.mp4"
    event.camera = "ignored"
    store.update(event)
    stored = store.get(event.id)
    assert stored is not None
    assert stored.end == T0 + 9
    assert stored.metadata == {"score": 0.9}
    assert stored.snapshot == "/s.jpg"
    assert stored.clip == "/c.mp4"
    assert stored.camera == "cam1"


def test_update_keeps_the_handler_results_recorded_meanwhile(store: EventStore) -> None:
    """An open event kept in memory is closed without wiping what its handlers recorded."""
    event = make()
    store.add(event)
    recorded = [{"handler": "notify_phones", "status": "sent"}]
    store.set_handlers(event.id, recorded)
    event.end = T0 + 9
    store.update(event)  # the in-memory copy still has no handler results
    stored = store.get(event.id)
    assert stored is not None
    assert stored.end == T0 + 9
    assert stored.handlers == recorded
    assert event.handlers == recorded  # refreshed from the store
    with pytest.raises(KeyError, match="missing"):
        store.set_handlers("missing", recorded)


def test_update_missing_raises_key_error(store: EventStore) -> None:
    event = make()
    with pytest.raises(KeyError, match=event.id):
        store.update(event)
    assert store.count() == 0


def test_query_filters(store: EventStore) -> None:
    a = make("cam1", "motion", T0)
    b = make("cam1", "person", T0 + 10)
    c = make("cam2", "motion", T0 + 20)
    d = make("cam1", "motion", T0 + 30)
    store.add_many([a, b, c, d])
    assert ids(store.query()) == [d.id, c.id, b.id, a.id]
    assert ids(store.query(camera="cam1")) == [d.id, b.id, a.id]
    assert ids(store.query(type="motion")) == [d.id, c.id, a.id]
    assert ids(store.query(camera="cam1", type="motion")) == [d.id, a.id]
    assert store.query(camera="cam3") == Page(0, [])
    # start_from <= start <= start_to: both ends inclusive
    assert ids(store.query(start_from=T0 + 10, start_to=T0 + 20)) == [c.id, b.id]
    assert ids(store.query(start_from=T0 + 10.001, start_to=T0 + 19.999)) == []
    assert ids(store.query(start_from=T0 + 20)) == [d.id, c.id]
    assert ids(store.query(start_to=T0 + 10)) == [b.id, a.id]
    page = store.query(camera="cam1", type="motion", start_from=T0 + 1)
    assert page.total == 1
    assert ids(page) == [d.id]


def test_paging_matches_the_full_order_at_every_offset(store: EventStore) -> None:
    # Starts repeat, so (start, id) decides; pages past the middle are read from the other end.
    events = [make(start=T0 + i // 3) for i in range(23)]
    store.add_many(events[::-1])
    oldest_first = sorted(events, key=lambda e: (e.start, e.id))
    for newest_first, expected in ((True, oldest_first[::-1]), (False, oldest_first)):
        full = store.query(limit=1000, newest_first=newest_first)
        assert full.events == expected
        for limit in (1, 5, 7, 23, 50):
            for offset in range(26):
                page = store.query(limit=limit, offset=offset, newest_first=newest_first)
                assert page.total == 23
                assert page.events == expected[offset : offset + limit], (newest_first, limit)


def test_paging_total_counts_the_filter(store: EventStore) -> None:
    store.add_many([make("cam1", start=T0 + i) for i in range(12)])
    store.add_many([make("cam2", start=T0 + i) for i in range(5)])
    page = store.query(camera="cam1", limit=5, offset=10)
    assert page.total == 12
    assert [e.start for e in page.events] == [T0 + 1, T0]
    assert store.query(camera="cam1", offset=12) == Page(12, [])


@pytest.mark.parametrize(
    ("limit", "offset", "message"),
    [(0, 0, "limit"), (1001, 0, "limit"), (-1, 0, "limit"), (50, -1, "offset")],
)
def test_query_validates_limit_and_offset(
    store: EventStore, limit: int, offset: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        store.query(limit=limit, offset=offset)


def test_query_accepts_limit_bounds(store: EventStore) -> None:
    store.add_many([make(start=T0 + i) for i in range(3)])
    assert len(store.query(limit=1).events) == 1
    assert len(store.query(limit=1000).events) == 3


def test_latest(store: EventStore) -> None:
    assert store.latest("cam1") is None
    older = make("cam1", "person", T0)
    newest = make("cam1", "motion", T0 + 5)
    tie = make("cam1", "motion", T0 + 5)  # same start, later id
    store.add_many([tie, newest, older, make("cam2", "motion", T0 + 9)])
    assert store.latest("cam1") == tie
    assert store.latest("cam1", "person") == older
    assert store.latest("cam1", "vehicle") is None


def test_purge_returns_deleted_and_keeps_newer(store: EventStore) -> None:
    old1 = make("cam1", start=T0, snapshot="/1.jpg")
    old2 = make("cam2", start=T0 + 1)
    edge = make("cam1", start=T0 + 2)
    new = make("cam2", start=T0 + 3)
    store.add_many([new, edge, old2, old1])
    assert store.purge(T0 + 2, camera="cam2") == [old2]
    assert store.purge(T0 + 2) == [old1]
    assert store.get(old1.id) is None
    assert ids(store.query(newest_first=False)) == [edge.id, new.id]
    assert store.purge(T0) == []


def test_delete_camera(store: EventStore) -> None:
    gone = [make("cam1", start=T0 + i) for i in range(3)]
    kept = make("cam2")
    store.add_many([*gone, kept])
    assert store.delete_camera("cam1") == gone
    assert store.count("cam1") == 0
    assert store.count() == 1
    assert store.get(kept.id) == kept
    assert store.delete_camera("cam1") == []


def test_count(store: EventStore) -> None:
    store.add_many([make("cam1", start=T0 + i) for i in range(4)] + [make("cam2")])
    assert store.count() == 5
    assert store.count("cam1") == 4
    assert store.count("nope") == 0


def test_file_persists_across_reopen(tmp_path: Path) -> None:
    path = str(tmp_path / "events.db")
    event = make(metadata={"k": [1, 2]}, handlers=[{"ok": True}])
    first = EventStore(path)
    first.open()
    first.add(event)
    first.close()
    first.open()  # reopen the same instance
    assert first.count() == 1
    first.close()
    second = EventStore(path)
    second.open()
    assert second.get(event.id) == event
    second.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "events.db")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    store = EventStore(path)
    with pytest.raises(RuntimeError, match="newer"):
        store.open()
    with pytest.raises(RuntimeError, match="not open"):
        store.count()


CALLS: list[Callable[[EventStore], object]] = [
    lambda s: s.add(make()),
    lambda s: s.add_many([make()]),
    lambda s: s.update(make()),
    lambda s: s.get("x"),
    lambda s: s.latest("cam1"),
    lambda s: s.query(),
    lambda s: s.purge(T0),
    lambda s: s.delete_camera("cam1"),
    lambda s: s.count(),
]


@pytest.mark.parametrize("call", CALLS)
def test_use_before_open_or_after_close_raises(call: Callable[[EventStore], object]) -> None:
    store = EventStore(":memory:")
    with pytest.raises(RuntimeError, match="not open"):
        call(store)
    store.open()
    store.close()
    store.close()  # closing twice is harmless
    with pytest.raises(RuntimeError, match="not open"):
        call(store)


def test_open_twice_raises(store: EventStore) -> None:
    with pytest.raises(RuntimeError, match="already open"):
        store.open()


def test_concurrent_adds_from_threads(tmp_path: Path) -> None:
    store = EventStore(str(tmp_path / "events.db"))
    store.open()
    made: list[list[Event]] = [[] for _ in range(4)]
    barrier = threading.Barrier(4)

    def work(n: int) -> None:
        barrier.wait()
        for i in range(0, 250, 5):
            for j in range(3):
                event = make(f"cam{n}", start=T0 + i + j)
                store.add(event)
                made[n].append(event)
            batch = [make(f"cam{n}", start=T0 + i + 3), make(f"cam{n}", start=T0 + i + 4)]
            store.add_many(batch)  # transactions from several threads must not interleave
            made[n].extend(batch)
            store.query(camera=f"cam{n}", limit=5)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.count() == 1000
    for n, events in enumerate(made):
        assert len(events) == 250
        assert store.query(camera=f"cam{n}", limit=1000, newest_first=False).events == events
    store.close()
