"""The SQLite plumbing the event history and the outbox share (no Home Assistant imports).

One connection per store, usable from any thread under a lock (Home Assistant calls the
stores through its executor), WAL mode with ``synchronous=NORMAL``, and a schema version in
``PRAGMA user_version`` that a newer database refuses to be opened by older code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import os
import sqlite3
import threading
from typing import ClassVar


class SqliteStore:
    """Base of a store: open/close, the connection, transactions."""

    NAME: ClassVar[str] = "store"
    SCHEMA: ClassVar[str] = ""
    SCHEMA_VERSION: ClassVar[int] = 1

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Remember where the database lives (a file, or ``":memory:"``)."""
        self._path = os.fspath(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

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
        """Close the connection; closing a closed store does nothing."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _db(self) -> sqlite3.Connection:
        """Return the connection; RuntimeError if the store is not open."""
        if self._conn is None:
            raise RuntimeError(f"{self.NAME} is not open")
        return self._conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """Run the block in one transaction: commit if it ends normally, else roll back."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
