"""Which clips to delete: the oldest first, until a camera's clips fit its size cap."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .model import Event


def clip_paths(base: Path, event: Event) -> list[Path]:
    """Return the files of an event's clip: the video and its thumbnail."""
    if not event.clip:
        return []
    video = base / event.clip
    return [video, video.with_suffix(".jpg")]


def over_cap(
    base: Path, clips: Sequence[Event], cap_bytes: int, in_use: Path | None = None
) -> list[Event]:
    """Return the clips to forget: files gone missing, then the oldest over `cap_bytes`.

    Blocking (stats files). `clips` come oldest first. The clip being written (`in_use`) is
    never chosen.
    """
    sizes = []
    chosen: list[Event] = []
    present: list[Event] = []
    for event in clips:
        paths = clip_paths(base, event)
        if not paths[0].exists() and paths[0] != in_use:
            chosen.append(event)
            continue
        size = 0
        for path in paths:
            try:
                size += path.stat().st_size
            except FileNotFoundError:
                continue
        sizes.append(size)
        present.append(event)
    clips = present
    total = sum(sizes)
    for event, size in zip(clips, sizes, strict=True):
        if total <= cap_bytes:
            break
        if in_use is not None and clip_paths(base, event)[0] == in_use:
            continue
        chosen.append(event)
        total -= size
    return chosen


def delete_clips(base: Path, events: Sequence[Event]) -> int:
    """Delete the clip files of these events; return how many files went (blocking)."""
    deleted = 0
    for event in events:
        for path in clip_paths(base, event):
            try:
                path.unlink()
                deleted += 1
            except FileNotFoundError:
                continue
    return deleted
