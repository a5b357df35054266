"""A ring buffer of encoded packets: the pre-roll of a clip, kept from a video key frame on.

Packets are kept as they came off the wire (no decoding): a clip is a remux of them. The ring is
made of GOPs (a video key frame and everything that arrived until the next one), so whatever it
holds starts at a key frame and can be dropped a whole GOP at a time.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from av.audio.stream import AudioStream
    from av.rational import AVRational
    from av.video.stream import VideoStream

DEFAULT_PREROLL = 5.0
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RingPacket:
    """One encoded packet, as demuxed, with the wall-clock time it arrived."""

    data: bytes
    pts: int | None
    dts: int | None
    is_keyframe: bool
    kind: str  # "video" | "audio"
    wall: float  # time.time() when the packet arrived (the stream thread's clock)
    duration: int | None = None

    @property
    def is_video_key(self) -> bool:
        """Whether this is a video key frame (where a clip or a GOP can start)."""
        return self.kind == "video" and self.is_keyframe


@dataclass(frozen=True, slots=True)
class StreamTemplate:
    """What a clip writer needs to create its output streams, captured once per connection.

    Self-contained: the input container may be closed (stream lost, reconnect) by the time a
    clip is written.
    """

    video_codec: str
    width: int
    height: int
    video_time_base: Fraction
    video_extradata: bytes | None
    audio_codec: str | None = None
    audio_rate: int | None = None
    audio_layout: str | None = None
    audio_time_base: Fraction | None = None
    audio_extradata: bytes | None = None

    @property
    def has_audio(self) -> bool:
        """Whether the template describes an audio stream."""
        return (
            self.audio_codec is not None
            and self.audio_rate is not None
            and self.audio_time_base is not None
        )

    @classmethod
    def from_streams(cls, video: VideoStream, audio: AudioStream | None) -> StreamTemplate:
        """Capture the codec parameters of an open input's streams."""
        vctx = video.codec_context
        video_tb = _fraction(video.time_base, 90000)
        if audio is None:
            return cls(
                video_codec=vctx.name,
                width=vctx.width,
                height=vctx.height,
                video_time_base=video_tb,
                video_extradata=vctx.extradata,
            )
        actx = audio.codec_context
        rate = actx.sample_rate or audio.sample_rate
        audio_tb = _fraction(audio.time_base, rate or 8000)
        return cls(
            video_codec=vctx.name,
            width=vctx.width,
            height=vctx.height,
            video_time_base=video_tb,
            video_extradata=vctx.extradata,
            audio_codec=actx.name,
            audio_rate=rate,
            audio_layout=actx.layout.name,
            audio_time_base=audio_tb,
            audio_extradata=actx.extradata,
        )


def _fraction(value: AVRational | Fraction | None, default_rate: int) -> Fraction:
    if not value:
        return Fraction(1, default_rate)
    return Fraction(value.numerator, value.denominator)


@dataclass(slots=True)
class _Gop:
    """A video key frame and the packets (video and audio) that arrived after it."""

    packets: list[RingPacket] = field(default_factory=list)
    nbytes: int = 0

    @property
    def wall(self) -> float:
        return self.packets[0].wall


class PacketRing:
    """Keeps the last `preroll` seconds of encoded packets, from a video key frame on.

    - At least `preroll` seconds before the newest packet are kept: the oldest GOP is dropped
      only once the next one starts `preroll` seconds or more before the newest packet.
    - The oldest packet kept is always a video key frame: packets that arrive while the ring
      is empty and are not a video key frame (the start of a stream, audio before the first
      key frame) are dropped.
    - The ring never holds more than `max_bytes`: whole GOPs are dropped from the front, even
      inside the pre-roll. If the current GOP alone exceeds `max_bytes` (a camera with a very
      long key frame interval), the ring empties and waits for the next key frame: a clip
      requested then has no pre-roll rather than an unbounded one.

    Thread-safe: the stream thread appends, the recorder reads.
    """

    def __init__(
        self, preroll: float = DEFAULT_PREROLL, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        """Start empty."""
        if preroll < 0:
            raise ValueError("preroll must be >= 0")
        if max_bytes <= 0:
            raise ValueError("max_bytes must be > 0")
        self.preroll = preroll
        self.max_bytes = max_bytes
        self.template: StreamTemplate | None = None
        self._gops: deque[_Gop] = deque()
        self._lock = threading.Lock()
        self._nbytes = 0
        self._count = 0
        self.dropped = 0  # packets dropped because they could not start the ring

    def append(self, packet: RingPacket) -> None:
        """Add the newest packet, then drop what is no longer needed from the front."""
        size = len(packet.data)
        with self._lock:
            if packet.is_video_key:
                self._gops.append(_Gop())
            elif not self._gops:
                self.dropped += 1
                return
            gop = self._gops[-1]
            gop.packets.append(packet)
            gop.nbytes += size
            self._nbytes += size
            self._count += 1
            self._trim(packet.wall)

    def _trim(self, newest: float) -> None:
        gops = self._gops
        while len(gops) >= 2 and gops[1].wall <= newest - self.preroll:
            self._drop_first()
        while len(gops) >= 2 and self._nbytes > self.max_bytes:
            self._drop_first()
        if self._nbytes > self.max_bytes:
            # One GOP larger than the whole budget: give it up, wait for the next key frame.
            self.dropped += self._count
            self._drop_first()

    def _drop_first(self) -> None:
        gop = self._gops.popleft()
        self._nbytes -= gop.nbytes
        self._count -= len(gop.packets)

    def since(self, wall: float) -> list[RingPacket]:
        """Return the packets from the video key frame closest to `wall` to the newest one.

        The key frame may be before or after `wall` (never after the newest key frame), so a
        clip's pre-roll starts within half a GOP of the time asked for.
        """
        with self._lock:
            if not self._gops:
                return []
            best = min(range(len(self._gops)), key=lambda index: abs(self._gops[index].wall - wall))
            return [packet for gop in list(self._gops)[best:] for packet in gop.packets]

    def clear(self) -> None:
        """Drop every packet (a new connection: old packets are useless)."""
        with self._lock:
            self._gops.clear()
            self._nbytes = 0
            self._count = 0

    @property
    def nbytes(self) -> int:
        """The payload bytes held."""
        return self._nbytes

    @property
    def duration(self) -> float:
        """The wall-clock span from the oldest to the newest packet held."""
        with self._lock:
            if not self._gops:
                return 0.0
            return self._gops[-1].packets[-1].wall - self._gops[0].wall

    @property
    def first_wall(self) -> float | None:
        """The arrival time of the oldest packet (a video key frame), if any."""
        with self._lock:
            return self._gops[0].wall if self._gops else None

    def __len__(self) -> int:
        """Return the number of packets held."""
        return self._count
