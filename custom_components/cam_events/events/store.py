"""SQLite store of events: blocking, thread-safe, for use from an executor.

One connection (``check_same_thread=False``) serves every thread; each method holds a lock
for its whole run. The file is in WAL mode with ``synchronous=NORMAL``: a commit is durable
against an application crash, and the last commits may be lost on power loss.

Pages are ordered by ``(start, id)``, which is total and so stable across pages. A page first
selects the rowids of its rows from a covering index, then reads only those rows; a page
past the middle of the result is read from the other end, so SQLite never steps over more
than half of the matching index entries for an OFFSET.

Nothing here imports Home Assistant.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
import json
from typing import Any, Final

from .model import ROW_FIELDS, Event
from .sqlite import SqliteStore, transaction

__all__ = ["MAX_LIMIT", "SCHEMA_VERSION", "EventStore", "Page"]

SCHEMA_VERSION: Final = 1
"""Stored in ``PRAGMA user_version``."""
MAX_LIMIT: Final = 1000

_COLUMNS: Final = ", ".join(f'"{name}"' for name in ROW_FIELDS)
_E_COLUMNS: Final = ", ".join(f'e."{name}"' for name in ROW_FIELDS)
_PLACEHOLDERS: Final = ", ".join("?" for _ in ROW_FIELDS)

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    camera TEXT NOT NULL,
    type TEXT NOT NULL,
    start REAL NOT NULL,
    "end" REAL,
    metadata TEXT,
    snapshot TEXT,
    clip TEXT,
    handlers TEXT
);
CREATE INDEX IF NOT EXISTS events_camera_start ON events (camera, start, id);
CREATE INDEX IF NOT EXISTS events_camera_type_start ON events (camera, type, start, id);
CREATE INDEX IF NOT EXISTS events_type_start ON events (type, start, id);
CREATE INDEX IF NOT EXISTS events_start ON events (start, id);
CREATE INDEX IF NOT EXISTS events_camera_clip ON events (camera, start, id)
    WHERE clip IS NOT NULL;
"""
"""Each index ends in ``start, id`` (and holds the rowid): it both filters and orders a page,
and covers the COUNT and the rowid subquery of a page."""


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a query; ``total`` counts every event matching the filter."""

    total: int
    events: list[Event]


class EventStore(SqliteStore):
    """Events in one SQLite database: a file path, or ``":memory:"``."""

    NAME = "event store"
    SCHEMA = _SCHEMA
    SCHEMA_VERSION = SCHEMA_VERSION
    TABLE = "events"
    COLUMNS = ROW_FIELDS

    def add(self, event: Event) -> None:
        """Store a new event; an existing id raises :class:`sqlite3.IntegrityError`.

        If the disk refuses it, the event is kept in memory until it takes it (see
        :mod:`.sqlite`); :meth:`get` finds it meanwhile.
        """
        row = event.to_row()
        sql = f"INSERT INTO events ({_COLUMNS}) VALUES ({_PLACEHOLDERS})"
        with self._lock:
            self._write(event.id, row, lambda conn: conn.execute(sql, row))

    def add_many(self, events: Sequence[Event]) -> None:
        """Store new events in one transaction (all or none)."""
        with self._lock:
            conn = self._db()
            with transaction(conn):
                conn.executemany(
                    f"INSERT INTO events ({_COLUMNS}) VALUES ({_PLACEHOLDERS})",
                    [event.to_row() for event in events],
                )

    def update(self, event: Event) -> None:
        """Save ``end``, metadata, snapshot and clip by id; KeyError if missing.

        The handler results are not written (:meth:`set_handlers` owns them): an event kept in
        memory while it lasts would otherwise write back the results it was created with over
        the ones recorded meanwhile. ``event.handlers`` is refreshed with the stored ones.
        """
        with self._lock:
            stored = self._current(event.id)
            if stored is None:
                raise KeyError(event.id)
            row = (*event.to_row()[:8], stored[8])  # this event's fields, the stored results
            self._write(
                event.id,
                row,
                lambda conn: conn.execute(
                    'UPDATE events SET "end" = ?, metadata = ?, snapshot = ?, clip = ?'
                    " WHERE id = ?",
                    (*row[4:8], event.id),
                ),
            )
        event.handlers = Event.from_row(row).handlers

    def set_handlers(self, event_id: str, handlers: list[dict[str, Any]]) -> None:
        """Save an event's handler results, nothing else; KeyError if missing."""
        text = json.dumps(handlers, separators=(",", ":"))
        with self._lock:
            stored = self._current(event_id)
            if stored is None:
                raise KeyError(event_id)
            row = (*stored[:8], text)
            self._write(
                event_id,
                row,
                lambda conn: conn.execute(
                    "UPDATE events SET handlers = ? WHERE id = ?", (text, event_id)
                ),
            )

    def _current(self, event_id: str) -> tuple[Any, ...] | None:
        """Return the event's row as it stands: kept (newer, unwritten) or stored (locked)."""
        if (kept := self._kept(event_id)) is not None:
            return kept
        row: tuple[Any, ...] | None = (
            self._db()
            .execute(f"SELECT {_COLUMNS} FROM events WHERE id = ?", (event_id,))
            .fetchone()
        )
        return row

    def get(self, event_id: str) -> Event | None:
        """Return the event with this id, or None."""
        with self._lock:
            if (kept := self._kept(event_id)) is not None:
                return Event.from_row(kept)
            row = (
                self._db()
                .execute(f"SELECT {_COLUMNS} FROM events WHERE id = ?", (event_id,))
                .fetchone()
            )
        return None if row is None else Event.from_row(row)

    def latest(self, camera: str, type: str | None = None) -> Event | None:
        """Return the camera's event (of this type, if given) that started last, or None."""
        where, params = _where(camera, type, None, None)
        with self._lock:
            conn = self._db()
            sql = f"SELECT {_COLUMNS} FROM events{where} ORDER BY start DESC, id DESC LIMIT 1"
            row = conn.execute(sql, params).fetchone()
        return None if row is None else Event.from_row(row)

    def query(
        self,
        *,
        camera: str | None = None,
        type: str | None = None,
        start_from: float | None = None,
        start_to: float | None = None,
        limit: int = 50,
        offset: int = 0,
        newest_first: bool = True,
        has_clip: bool = False,
        cameras: Collection[str] | None = None,
    ) -> Page:
        """Return a page of the events matching every given filter, and their total.

        The time range is inclusive at both ends: ``start_from <= start <= start_to``. Events
        are ordered by ``(start, id)``, newest first unless ``newest_first`` is False.
        ``cameras``, if given, keeps only the events of those cameras (a user's readable ones).
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be 1..{MAX_LIMIT}, not {limit}")
        if offset < 0:
            raise ValueError(f"offset must be >= 0, not {offset}")
        where, params = _where(camera, type, start_from, start_to, has_clip, cameras)
        with self._lock:
            conn = self._db()
            total: int = conn.execute(f"SELECT COUNT(*) FROM events{where}", params).fetchone()[0]
            if offset >= total:
                return Page(total, [])
            stop = min(offset + limit, total)
            descending = newest_first
            skip = offset
            if total - stop < offset:  # nearer the other end: read the page from there
                descending = not descending
                skip = total - stop
            order = "DESC" if descending else "ASC"
            rows = conn.execute(
                f"SELECT {_E_COLUMNS} FROM (SELECT rowid AS r FROM events{where}"
                f" ORDER BY start {order}, id {order} LIMIT ? OFFSET ?) AS page"
                f" JOIN events AS e ON e.rowid = page.r ORDER BY e.start {order}, e.id {order}",
                [*params, stop - offset, skip],
            ).fetchall()
        events = [Event.from_row(row) for row in rows]
        if descending != newest_first:
            events.reverse()
        return Page(total, events)

    def purge(self, before: float, camera: str | None = None) -> list[Event]:
        """Delete the events (of this camera, if given) with ``start < before``; return them.

        The caller deletes the files the returned events refer to.
        """
        where = "start < ?" if camera is None else "camera = ? AND start < ?"
        params = (before,) if camera is None else (camera, before)
        return self._delete(
            where,
            params,
            lambda event: event.start < before and camera in (None, event.camera),
        )

    def delete_camera(self, camera: str) -> list[Event]:
        """Delete every event of a camera; return them."""
        return self._delete("camera = ?", (camera,), lambda event: event.camera == camera)

    def clip_days(self, camera: str, utc_offset: float = 0.0) -> list[tuple[str, int]]:
        """Return the days (YYYY-MM-DD at `utc_offset` seconds) with clips, newest first."""
        with self._lock:
            rows = (
                self._db()
                .execute(
                    "SELECT date(start + ?, 'unixepoch') AS day, COUNT(*) FROM events"
                    " WHERE camera = ? AND clip IS NOT NULL GROUP BY day ORDER BY day DESC",
                    (utc_offset, camera),
                )
                .fetchall()
            )
        return [(str(day), int(count)) for day, count in rows]

    def clips(self, camera: str) -> list[Event]:
        """Return the camera's events that have a clip, oldest first (for retention)."""
        with self._lock:
            rows = (
                self._db()
                .execute(
                    f"SELECT {_COLUMNS} FROM events WHERE camera = ? AND clip IS NOT NULL"
                    " ORDER BY start, id",
                    (camera,),
                )
                .fetchall()
            )
        return [Event.from_row(row) for row in rows]

    def count(self, camera: str | None = None) -> int:
        """Return the number of events (of this camera, if given)."""
        where, params = _where(camera, None, None, None)
        with self._lock:
            total: int = (
                self._db().execute(f"SELECT COUNT(*) FROM events{where}", params).fetchone()[0]
            )
        return total

    def _delete(
        self, where: str, params: tuple[Any, ...], matches: Callable[[Event], bool]
    ) -> list[Event]:
        """Delete the events matching ``where`` (kept ones: ``matches``); return them."""
        with self._lock:
            kept = self._delete_kept(matches)
            conn = self._db()
            with transaction(conn):
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM events WHERE {where} ORDER BY start, id", params
                ).fetchall()
                conn.execute(f"DELETE FROM events WHERE {where}", params)
        ids = {event.id for event in kept}
        return [*kept, *(event for row in rows if (event := Event.from_row(row)).id not in ids)]

    def _delete_kept(self, matches: Callable[[Event], bool]) -> list[Event]:
        """Drop the events kept in memory that match (with the lock held); return them."""
        return [
            Event.from_row(row)
            for row in self._forget_kept(lambda row: matches(Event.from_row(row)))
        ]


def _where(
    camera: str | None,
    type_: str | None,
    start_from: float | None,
    start_to: float | None,
    has_clip: bool = False,
    cameras: Collection[str] | None = None,
) -> tuple[str, list[Any]]:
    """Return a WHERE clause (empty, or starting with a space) and its parameters."""
    clauses: list[str] = ["clip IS NOT NULL"] if has_clip else []
    params: list[Any] = []
    if cameras is not None:
        clauses.append(f"camera IN ({', '.join('?' * len(cameras))})" if cameras else "0")
        params.extend(cameras)
    for clause, value in (
        ("camera = ?", camera),
        ("type = ?", type_),
        ("start >= ?", start_from),
        ("start <= ?", start_to),
    ):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params
