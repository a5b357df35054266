"""Event snapshots on disk: one JPEG per event, under a base folder, never outside it."""

from __future__ import annotations

from pathlib import Path
import re

_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def snapshot_path(base: Path, camera: str, event_id: str) -> Path:
    """Return where an event's JPEG lives; ids that could escape the folder are refused."""
    if not _SAFE.fullmatch(camera) or not _SAFE.fullmatch(event_id):
        raise ValueError("unsafe name")
    return base / camera / f"{event_id}.jpg"


def write_snapshot(base: Path, camera: str, event_id: str, jpeg: bytes) -> Path:
    """Write the JPEG atomically (temporary name, then rename); blocking."""
    path = snapshot_path(base, camera, event_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    try:
        tmp.write_bytes(jpeg)
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)  # no half picture left behind (the disk was full)
        raise
    return path


def read_snapshot(base: Path, camera: str, event_id: str) -> bytes | None:
    """Return the JPEG or None; blocking."""
    try:
        return snapshot_path(base, camera, event_id).read_bytes()
    except (FileNotFoundError, ValueError):
        return None


def delete_snapshots(base: Path, items: list[tuple[str, str]]) -> int:
    """Delete the JPEGs of (camera, event id) pairs; return how many existed; blocking."""
    deleted = 0
    for camera, event_id in items:
        try:
            snapshot_path(base, camera, event_id).unlink()
            deleted += 1
        except (FileNotFoundError, ValueError):
            continue
    return deleted
