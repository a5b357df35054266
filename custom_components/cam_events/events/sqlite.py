"""The SQLite plumbing the event history and the outbox share (no Home Assistant imports).

One connection per store, usable from any thread under a lock (Home Assistant calls the
stores through its executor), WAL mode with ``synchronous=NORMAL``, and a schema version in
``PRAGMA user_version`` that a newer database refuses to be opened by older code.

A write the disk refuses (full, read-only, an I/O error) is not lost: its row is kept in
memory, in order, and written before the next write (or at :meth:`SqliteStore.flush`), once
the disk takes it again; reads by id see it meanwhile. ``on_health`` hears the change from
writing to failing and back (from the writing thread). At most ``MAX_UNSAVED`` rows are kept;
past that the oldest kept row is dropped and counted in ``dropped``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
import logging
import os
import sqlite3
import threading
from typing import Any, ClassVar

_LOGGER = logging.getLogger(__name__)

_STORAGE_CODES = frozenset(
    {sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN}
)

type HealthListener = Callable[[BaseException | None], None]
"""Hears a storage error when writes start failing, ``None`` when they succeed again."""


def is_storage_error(err: BaseException) -> bool:
    """Return True if the disk refused a write (full, read-only, I/O), not the statement."""
    if not isinstance(err, sqlite3.OperationalError):
        return False
    code = getattr(err, "sqlite_errorcode", None)
    if code is None:
        return False
    return code & 0xFF in _STORAGE_CODES


class SqliteStore:
    """Base of a store: open/close, the connection, transactions, writes kept when refused."""

    NAME: ClassVar[str] = "store"
    SCHEMA: ClassVar[str] = ""
    SCHEMA_VERSION: ClassVar[int] = 1
    TABLE: ClassVar[str] = ""
    """The table whose rows (keyed by ``id``, first column) are kept when a write is refused."""
    COLUMNS: ClassVar[Sequence[str]] = ()
    MAX_UNSAVED: ClassVar[int] = 10_000

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Remember where the database lives (a file, or ``":memory:"``)."""
        self._path = os.fspath(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._unsaved: dict[str, tuple[Any, ...]] = {}
        self._failing: BaseException | None = None
        self.dropped = 0
        """Rows given up because more than ``MAX_UNSAVED`` were waiting for the disk."""
        self.on_health: HealthListener | None = None

    def open(self) -> None:
        """Connect, and create or check the schema."""
        with self._lock:
            if self._conn is not None:
                raise RuntimeError(f"{self.NAME} already open")
            conn = sqlite3.connect(self._path, check_same_thread=False, autocommit=True)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > self.SCHEMA_VERSION:
                    raise RuntimeError(f"{self.NAME} schema {version} is newer than this code")
                with transaction(conn):
                    conn.executescript(self.SCHEMA)
                    conn.execute(f"PRAGMA user_version={self.SCHEMA_VERSION}")
            except BaseException:
                conn.close()
                raise
            self._conn = conn

    def close(self) -> None:
        """Write what was kept if the disk takes it, then close; closing twice does nothing."""
        with self._lock:
            if self._conn is not None:
                if self._unsaved and not self._flush_locked():
                    _LOGGER.error(
                        "%s closed with %d change(s) the disk refused: %s",
                        self.NAME,
                        len(self._unsaved),
                        self._failing,
                    )
                self._conn.close()
                self._conn = None

    @property
    def unsaved(self) -> int:
        """Return how many rows wait for the disk to take them."""
        return len(self._unsaved)

    def flush(self) -> bool:
        """Write the kept rows; return True if none is left waiting."""
        with self._lock:
            return self._flush_locked()

    def _db(self) -> sqlite3.Connection:
        """Return the connection; RuntimeError if the store is not open."""
        if self._conn is None:
            raise RuntimeError(f"{self.NAME} is not open")
        return self._conn

    # ---- writes the disk may refuse (call with the lock held) -----------------------------

    def _write(
        self,
        row_id: str,
        row: tuple[Any, ...],
        statement: Callable[[sqlite3.Connection], sqlite3.Cursor],
    ) -> sqlite3.Cursor | None:
        """Run a write of one row; keep the row if the disk refuses. Return the cursor, or None.

        Rows kept earlier go first; while they cannot, this one joins them (order is kept).
        """
        conn = self._db()
        if self._unsaved and not self._flush_locked():
            self._keep(row_id, row)
            return None
        try:
            cursor = statement(conn)
        except sqlite3.OperationalError as err:
            if not is_storage_error(err):
                raise
            self._keep(row_id, row)
            self._set_health(err)
            return None
        self._set_health(None)
        return cursor

    def _kept(self, row_id: str) -> tuple[Any, ...] | None:
        """Return the row kept for this id (newer than the database's), or None."""
        return self._unsaved.get(row_id)

    def _forget_kept(self, matches: Callable[[tuple[Any, ...]], bool]) -> list[tuple[Any, ...]]:
        """Drop the kept rows that match (they are being deleted); return them."""
        gone = [row for row in self._unsaved.values() if matches(row)]
        for row in gone:
            del self._unsaved[row[0]]
        return gone

    def _keep(self, row_id: str, row: tuple[Any, ...]) -> None:
        self._unsaved.pop(row_id, None)  # re-inserted last: the newest change goes last
        self._unsaved[row_id] = row
        while len(self._unsaved) > self.MAX_UNSAVED:
            oldest = next(iter(self._unsaved))
            del self._unsaved[oldest]
            self.dropped += 1
            _LOGGER.error(
                "%s: gave up a change of %s, the disk refused it too long", self.NAME, oldest
            )

    def _flush_locked(self) -> bool:
        if not self._unsaved:
            return True
        conn = self._db()
        columns = ", ".join(f'"{name}"' for name in self.COLUMNS)
        updates = ", ".join(f'"{name}" = excluded."{name}"' for name in self.COLUMNS[1:])
        sql = (
            f"INSERT INTO {self.TABLE} ({columns}) VALUES ({', '.join('?' * len(self.COLUMNS))})"
            f" ON CONFLICT (id) DO UPDATE SET {updates}"
        )
        try:
            with transaction(conn):
                conn.executemany(sql, list(self._unsaved.values()))
        except sqlite3.OperationalError as err:
            if not is_storage_error(err):
                raise
            self._set_health(err)
            return False
        _LOGGER.info("%s: wrote %d change(s) the disk had refused", self.NAME, len(self._unsaved))
        self._unsaved.clear()
        self._set_health(None)
        return True

    def _set_health(self, error: BaseException | None) -> None:
        was_failing = self._failing is not None
        self._failing = error
        if (error is None) == (not was_failing):
            return  # no change
        if error is not None:
            _LOGGER.error(
                "%s: the disk refuses writes, changes kept in memory: %s", self.NAME, error
            )
        if (listener := self.on_health) is not None:
            try:
                listener(error)
            except Exception:
                _LOGGER.exception("Error in the health listener of %s", self.NAME)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """Run the block in one transaction: commit if it ends normally, else roll back.

    A failed COMMIT (the disk full) is rolled back too; SQLite may have rolled back already.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
