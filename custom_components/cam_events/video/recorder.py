"""The clip logic of one camera: a pre-roll ring, and one clip at a time that requests extend.

Thread-safe: packets arrive on the stream thread, requests on the event loop thread, and clips
are written by their own writer threads (see `ClipWriter`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import logging
from pathlib import Path
import threading
import time

from .clip import ClipError, ClipInfo, ClipWriter, clip_path
from .ring import DEFAULT_MAX_BYTES, DEFAULT_PREROLL, PacketRing, RingPacket, StreamTemplate

_LOGGER = logging.getLogger(__name__)

DEFAULT_POSTROLL = 5.0
DEFAULT_MAX_LENGTH = 300.0
JOIN_TIMEOUT = 30.0


@dataclass(slots=True)
class ClipRequest:
    """One clip, and every request that went into it.

    `start_wall` is the arrival time of its first packet (the pre-roll's key frame), or the
    request time while the ring is empty. `end_wall` is when it is planned to end: None while
    a held request (motion going on) keeps it open; the clip never runs past its start plus
    the recorder's `max_length` whatever `end_wall` says.
    """

    keys: set[str]
    path: Path  # final, with extension
    start_wall: float
    end_wall: float | None


@dataclass(slots=True)
class _Clip:
    request: ClipRequest
    writer: ClipWriter
    limit: float  # the latest arrival time a packet of the clip may have
    held: dict[str, float] = field(default_factory=dict)  # key -> its postroll
    end: float = float("-inf")  # from fixed-length requests and releases

    def update_end(self) -> None:
        self.request.end_wall = None if self.held else min(self.end, self.limit)


class ClipRecorder:
    """The clips of one camera: pre-roll from the ring, the event, post-roll, one at a time.

    A request while a clip is being recorded joins it (one clip, all the keys). The clip ends
    at the first packet that arrives at or after its end time, when the stream is lost, or
    `max_length` seconds after its first packet.
    """

    def __init__(
        self,
        folder: Path,
        *,
        preroll: float = DEFAULT_PREROLL,
        postroll: float = DEFAULT_POSTROLL,
        max_length: float = DEFAULT_MAX_LENGTH,
        max_ring_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.time,
        on_clip: Callable[[ClipRequest, ClipInfo | None, BaseException | None], None] | None = None,
    ) -> None:
        """Prepare; packets start arriving with set_template() and on_packet()."""
        self.folder = folder
        self.preroll = preroll
        self.postroll = postroll
        self.max_length = max_length
        self.ring = PacketRing(preroll, max_ring_bytes)
        self._clock = clock
        self._on_clip = on_clip
        self._lock = threading.Lock()
        self._active: _Clip | None = None
        self._writers: set[ClipWriter] = set()
        self._closed = False

    @property
    def active(self) -> ClipRequest | None:
        """The clip being recorded, if any."""
        clip = self._active
        return clip.request if clip is not None else None

    @property
    def ready(self) -> bool:
        """Whether a clip can start now: a stream is connected and has sent a key frame."""
        return self.ring.template is not None and len(self.ring) > 0

    # ---- stream thread -------------------------------------------------------------------

    def set_template(self, template: StreamTemplate) -> None:
        """Take the codec parameters of a new connection; the old packets are dropped."""
        with self._lock:
            self._end_active()
            self.ring.clear()
            self.ring.template = template

    def on_packet(self, packet: RingPacket) -> None:
        """Keep a packet in the ring and give it to the clip being recorded."""
        with self._lock:
            if self._closed:
                return
            self.ring.append(packet)
            clip = self._active
            if clip is None:
                return
            end = clip.limit if clip.held else min(clip.end, clip.limit)
            if packet.wall >= end:
                self._end_active()
                return
            clip.writer.add(packet)

    def stream_lost(self) -> None:
        """Close the clip being recorded (it stays playable), drop the ring and the codec.

        Until the next connection's set_template(), a request raises ClipError: a clip of the
        lost stream's parameters would never get a packet.
        """
        with self._lock:
            self._end_active()
            self.ring.clear()
            self.ring.template = None

    # ---- requests (any thread) -----------------------------------------------------------

    def request(
        self,
        key: str,
        name: str,
        *,
        start: float | None = None,
        duration: float | None = None,
        preroll: float | None = None,
        postroll: float | None = None,
        hold: bool = False,
        thumbnail: bytes | None = None,
    ) -> ClipRequest:
        """Start a clip, or extend the one being recorded; return the clip it went into.

        `start` is when the event happened (default: now). A fixed-length request ends
        `duration` (default 0) plus `postroll` seconds after `start`; `hold=True` keeps the
        clip open until release(key), then `postroll` more seconds. `name` is the clip's
        path under the folder without extension. `preroll` is at most the ring's pre-roll.
        Raises ClipError when the stream is not connected (no codec parameters) or has not
        sent a key frame since it connected (a clip would start with no packet).
        """
        now = self._clock() if start is None else start
        after = self.postroll if postroll is None else postroll
        before = self.ring.preroll if preroll is None else min(preroll, self.ring.preroll)
        with self._lock:
            if self._closed:
                raise ClipError("the recorder is closed")
            clip = self._active
            if clip is None:
                clip = self._start_clip(name, now, before, thumbnail)
            elif thumbnail is not None:
                clip.writer.set_thumbnail(thumbnail)
            clip.request.keys.add(key)
            if hold:
                clip.held[key] = after
            else:
                clip.end = max(clip.end, now + (duration or 0.0) + after)
            clip.update_end()
            return clip.request

    def release(self, key: str) -> None:
        """End a held request (motion over): the clip ends its post-roll from now."""
        now = self._clock()
        with self._lock:
            clip = self._active
            if clip is None or key not in clip.held:
                return
            clip.end = max(clip.end, now + clip.held.pop(key))
            clip.update_end()

    def close(self) -> None:
        """Close the clip being recorded and wait for every writer thread."""
        with self._lock:
            self._closed = True
            self._end_active()
            writers = list(self._writers)
        for writer in writers:
            writer.join(JOIN_TIMEOUT)
            if writer.running:
                _LOGGER.warning("Clip writer for %s did not stop", writer.path_final)

    # ---- helpers (with the lock held) ----------------------------------------------------

    def _start_clip(self, name: str, now: float, before: float, thumbnail: bytes | None) -> _Clip:
        template = self.ring.template
        if template is None:
            raise ClipError("the stream is not connected")
        path = self._unique(clip_path(self._resolve(name), template))
        packets = self.ring.since(now - before)
        if not packets:
            raise ClipError("no key frame from the stream yet")
        first = packets[0].wall
        request = ClipRequest(keys=set(), path=path, start_wall=first, end_wall=None)
        box: list[ClipWriter] = []
        writer = ClipWriter(
            path, template, thumbnail=thumbnail, on_done=self._done_callback(request, box)
        )
        box.append(writer)
        clip = _Clip(request, writer, limit=first + self.max_length)
        self._writers.add(writer)
        self._active = clip
        writer.start(packets)
        return clip

    def _done_callback(
        self, request: ClipRequest, box: list[ClipWriter]
    ) -> Callable[[ClipInfo | None, BaseException | None], None]:
        """Return the writer's on_done: forget the writer (in `box`), report the clip."""

        def done(info: ClipInfo | None, error: BaseException | None) -> None:
            with self._lock:
                self._writers.difference_update(box)
                if self._active is not None and self._active.writer in box:
                    self._active = None  # failed while recording: the next request starts anew
            if self._on_clip is not None:
                self._on_clip(request, info, error)

        return done

    def _resolve(self, name: str) -> Path:
        relative = Path(name)
        if not relative.parts or relative.is_absolute() or ".." in relative.parts:
            raise ValueError(f"clip name {name!r} is not a path inside the clip folder")
        return self.folder / relative

    def _unique(self, path: Path) -> Path:
        busy = {writer.path_final for writer in self._writers}
        candidate, index = path, 1
        while candidate in busy or candidate.exists():
            candidate = path.with_name(f"{path.stem}-{index}{path.suffix}")
            index += 1
        return candidate

    def _end_active(self) -> None:
        clip, self._active = self._active, None
        if clip is not None:
            clip.writer.finish()
