"""Small real file systems for storage faults: a tmpfs of a few MB, filled and freed at will.

The tests run as root (CI too). Where mounting is not allowed (a container without
CAP_SYS_ADMIN), the tests that need it are skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import errno
import os
from pathlib import Path
import sqlite3
import subprocess

import pytest

FILLER = ".filler"


@contextmanager
def tmpfs(path: Path, size: str = "16m") -> Iterator[Path]:
    """Mount a tmpfs of `size` at `path` (made if needed); unmount it afterwards (lazily)."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): {done.stderr}")
    try:
        yield path
    finally:
        # Lazily: files Home Assistant still holds open (the databases) close later.
        subprocess.run(["umount", "-l", str(path)], check=True)


def remount(path: Path, *, read_only: bool) -> None:
    """Make a mounted tmpfs read-only, or writable again."""
    subprocess.run(["mount", "-o", f"remount,{'ro' if read_only else 'rw'}", str(path)], check=True)


def fill(path: Path) -> int:
    """Write zeros into `path`/.filler until the file system is full; return the bytes written.

    Blocking (call it in an executor). Every block is taken: the next write of any size fails.
    """
    written = 0
    chunk = b"\0" * 65536
    fd = os.open(path / FILLER, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for size in (65536, 4096, 1):
            while True:
                try:
                    written += os.write(fd, chunk[:size])
                except OSError as err:
                    if err.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)
    return written


def free(path: Path) -> None:
    """Give the space back."""
    (path / FILLER).unlink()


def integrity(database: Path) -> str:
    """Return SQLite's integrity check of a database file ("ok" when sound); blocking."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()
