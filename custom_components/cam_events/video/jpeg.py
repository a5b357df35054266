"""JPEG snapshots from decoded frames, encoded on demand and once per frame."""

from __future__ import annotations

from fractions import Fraction
import threading
from typing import TYPE_CHECKING

import av

if TYPE_CHECKING:
    from av.video.frame import VideoFrame

DEFAULT_QUALITY = 85
_FULL_RANGE = "yuvj420p"


def encode_jpeg(frame: VideoFrame, quality: int = DEFAULT_QUALITY) -> bytes:
    """Encode one decoded frame as a baseline JPEG (blocking: run it off the event loop)."""
    codec = av.CodecContext.create("mjpeg", "w")
    width = frame.width - frame.width % 2
    height = frame.height - frame.height % 2
    codec.width = width
    codec.height = height
    codec.pix_fmt = _FULL_RANGE
    codec.time_base = Fraction(1, 25)
    # The MJPEG encoder's scale runs 2 (best) .. 31 (worst); map a 1..100 quality onto it.
    qscale = max(2, min(31, round(2 + (100 - quality) * 29 / 99)))
    codec.qscale = True
    codec.options = {"qmin": str(qscale), "qmax": str(qscale)}
    src = frame.reformat(width=width, height=height, format=_FULL_RANGE)
    packets = codec.encode(src)
    packets += codec.encode(None)
    return b"".join(bytes(p) for p in packets)


class SnapshotCache:
    """Keeps the JPEG of the newest frame; a frame is encoded at most once."""

    def __init__(self, quality: int = DEFAULT_QUALITY) -> None:
        """Start empty."""
        self._quality = quality
        self._lock = threading.Lock()
        self._seq = -1
        self._jpeg: bytes | None = None

    def get(self, seq: int, frame: VideoFrame) -> bytes:
        """Return the JPEG for frame number `seq`, encoding it only if not cached (blocking)."""
        with self._lock:
            if seq == self._seq and self._jpeg is not None:
                return self._jpeg
            jpeg = encode_jpeg(frame, self._quality)
            self._seq, self._jpeg = seq, jpeg
            return jpeg
