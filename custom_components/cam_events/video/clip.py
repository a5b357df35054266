"""Clip files: encoded packets remuxed (never decoded or encoded) into MP4, in their own thread.

PyAV has no way to give a mux-only stream (``add_mux_stream``) its codec extradata, and a
stream made with ``add_stream(codec)`` opens an encoder that replaces the extradata with its
own. So each output stream is made from a template stream of an in-memory container that is
never written (``add_stream_from_template``: the codec context is not opened), and the
camera's extradata, size and sample rate are set on it before the header is written. The
output is thus made from a `StreamTemplate` alone: the input container may be long closed.

Borrowing a context needs an encoder of the codec in the FFmpeg build (never opened). Without
one, the stream is mux-only and its extradata comes from the parameter sets in the first
packet (see `ClipWriter._video_mux_stream`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
import contextlib
from dataclasses import dataclass
from fractions import Fraction
import functools
import io
import logging
import os
from pathlib import Path
import threading
from typing import TYPE_CHECKING

import av
from av.audio.codeccontext import AudioCodecContext
from av.video.codeccontext import VideoCodecContext

from .ring import RingPacket, StreamTemplate

if TYPE_CHECKING:
    from av.container import OutputContainer
    from av.stream import Stream

_LOGGER = logging.getLogger(__name__)

DEFAULT_MAX_QUEUE = 2000
# Timestamps further than this from the packets' arrival times are a discontinuity (a camera
# that restarted its clock, a wrap): the stream is re-anchored on the arrival time.
MAX_DRIFT = 10.0
THUMBNAIL_SUFFIX = ".jpg"

# Tried in order: the first that takes the video and the audio codec; MP4 plays in browsers.
# G.711 audio (pcm_mulaw, pcm_alaw) goes into MOV only; Matroska takes what MP4 does not
# among the rest (e.g. some ADPCM).
_FORMATS: tuple[tuple[str, str], ...] = (("mp4", ".mp4"), ("matroska", ".mkv"), ("mov", ".mov"))
_SUFFIXES = frozenset(suffix for _, suffix in _FORMATS)
_FASTSTART = frozenset({"mp4", "mov"})


class ClipError(RuntimeError):
    """A clip could not be written."""


@dataclass(frozen=True, slots=True)
class ClipInfo:
    """A clip written to its final name."""

    path: Path
    thumbnail: Path | None
    start_wall: float  # arrival time of its first packet (a video key frame)
    end_wall: float  # arrival time of its last packet
    duration: float  # seconds of video, from the timestamps
    frames: int  # video packets written
    size: int  # bytes
    audio_packets: int = 0
    dropped: int = 0  # packets lost: queue full, bad timestamps, refused by the muxer


@functools.cache
def _supported(fmt: str) -> frozenset[str]:
    output = av.open(io.BytesIO(), "w", format=fmt)
    try:
        return frozenset(output.supported_codecs)
    finally:
        output.close()


def container_for(template: StreamTemplate) -> tuple[str, str, bool]:
    """Return the container format, its file suffix and whether the audio can go into it."""
    for fmt, suffix in _FORMATS:
        codecs = _supported(fmt)
        if template.video_codec in codecs and (
            not template.has_audio or template.audio_codec in codecs
        ):
            return fmt, suffix, template.has_audio
    for fmt, suffix in _FORMATS:
        if template.video_codec in _supported(fmt):
            return fmt, suffix, False
    raise ClipError(f"no container takes the {template.video_codec} codec")


def clip_path(path: Path, template: StreamTemplate) -> Path:
    """Return `path` with the suffix of the container the template's codecs go into.

    A known clip suffix is replaced; anything else (no suffix, or dots in a rendered name)
    gets the suffix appended.
    """
    _, suffix, _ = container_for(template)
    if path.suffix.lower() in _SUFFIXES:
        return path.with_suffix(suffix)
    return path.with_name(path.name + suffix)


_START_CODE = b"\x00\x00\x00\x01"
_ANNEXB_STARTS = (b"\x00\x00\x01", _START_CODE)


def _avcc_parameter_sets(extradata: bytes) -> tuple[int, bytes]:
    """Return the NAL length size and the SPS and PPS (Annex B) of an avcC record."""
    if len(extradata) < 7 or extradata[0] != 1:
        raise ClipError("malformed avcC extradata")
    nal_size = (extradata[4] & 3) + 1
    out = bytearray()
    pos = 5
    for count_mask in (0x1F, 0xFF):  # SPS count (5 bits), then PPS count
        count = extradata[pos] & count_mask if pos < len(extradata) else 0
        pos += 1
        for _ in range(count):
            length = int.from_bytes(extradata[pos : pos + 2])
            out += _START_CODE + extradata[pos + 2 : pos + 2 + length]
            pos += 2 + length
    return nal_size, bytes(out)


def _length_prefixed_to_annexb(data: bytes, nal_size: int) -> bytes:
    """Rewrite length-prefixed NAL units with start codes."""
    out = bytearray()
    pos = 0
    while pos + nal_size <= len(data):
        length = int.from_bytes(data[pos : pos + nal_size])
        pos += nal_size
        out += _START_CODE + data[pos : pos + length]
        pos += length
    return bytes(out)


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.part")


def _template_stream(output: OutputContainer, codec: str, rate: int | None) -> Stream:
    """Add an output stream for `codec` whose codec context is never opened (see module)."""
    scratch = av.open(io.BytesIO(), "w", format=output.format.name)
    try:
        template = scratch.add_stream(codec, rate=rate) if rate else scratch.add_stream(codec)
        return output.add_stream_from_template(template, opaque=True)
    finally:
        scratch.close()


@dataclass(slots=True)
class _Track:
    """One output stream and the state of its timestamps."""

    stream: Stream
    kind: str
    time_base: Fraction
    origin: int | None = None
    last_dts: int | None = None
    pending: av.Packet[Stream] | None = None
    pending_wall: float = 0.0
    last_duration: int | None = None
    written: int = 0
    first_pts: int | None = None
    end_pts: int = 0


class ClipWriter:
    """Writes one clip in its own thread: remux only (no decode/encode).

    MP4 with +faststart (Matroska or MOV when a codec cannot go into MP4); written under a
    hidden temporary name (`.name.mp4.part`) and renamed when complete, so a crash never
    leaves a half file under the final name. The thumbnail (JPEG bytes from the caller) goes
    next to it as `name.jpg`, also through a temporary name.

    Timestamps are rebased so the clip starts at 0: video and audio keep their own timestamp
    steps, and are placed against each other by the packets' arrival times. Packets before
    the first video key frame are dropped; a DTS that does not increase is fixed for video
    (previous + 1) and dropped for audio; a jump of more than `MAX_DRIFT` seconds away from
    the arrival times re-anchors the stream.

    `add` never blocks for long: packets wait in a queue of at most `max_queue` packets. When
    it is full (the disk cannot keep up) the packet is dropped and counted, and so is every
    video packet until the next key frame, so the clip does not show broken pictures.
    """

    def __init__(
        self,
        path: Path,
        template: StreamTemplate,
        *,
        thumbnail: bytes | None = None,
        on_done: Callable[[ClipInfo | None, BaseException | None], None] | None = None,
        max_queue: int = DEFAULT_MAX_QUEUE,
    ) -> None:
        """Prepare; nothing is written before start()."""
        self._format, _, self._audio = container_for(template)
        self._path = clip_path(path, template)
        self._tmp = _tmp_name(self._path)
        self._template = template
        self._thumbnail = thumbnail
        self._on_done = on_done
        self._max_queue = max_queue
        self._queue: deque[RingPacket] = deque()
        self._cond = threading.Condition()
        self._finishing = False
        self._skip_to_key = False
        self._thread: threading.Thread | None = None
        self._preroll: list[RingPacket] = []
        self._info: ClipInfo | None = None
        self._error: BaseException | None = None
        self.dropped = 0
        # Writer-thread state.
        self._start_wall: float | None = None
        self._end_wall = 0.0
        self._tracks: dict[str, _Track] = {}
        self._bad = 0
        self._annexb: tuple[int, bytes] | None = None  # NAL length size, parameter sets

    # ---- control (any thread) ------------------------------------------------------------

    @property
    def path_final(self) -> Path:
        """The clip's final path (its suffix follows the container format)."""
        return self._path

    @property
    def tmp_path(self) -> Path:
        """Where the clip is written until it is complete."""
        return self._tmp

    @property
    def thumbnail_path(self) -> Path:
        """Where the thumbnail goes."""
        return self._path.with_suffix(THUMBNAIL_SUFFIX)

    @property
    def running(self) -> bool:
        """Whether the writer thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def error(self) -> BaseException | None:
        """Why the clip failed, once the thread is done."""
        return self._error

    def start(self, packets: Sequence[RingPacket]) -> None:
        """Start the thread with the pre-roll (from a video key frame on, ideally)."""
        if self._thread is not None:
            raise RuntimeError("clip writer already started")
        self._preroll = list(packets)
        self._thread = threading.Thread(
            target=self._run, name=f"cam_events_clip_{self._path.stem}", daemon=True
        )
        self._thread.start()

    def add(self, packet: RingPacket) -> None:
        """Queue a packet for the clip (thread-safe; drops it if the queue is full)."""
        with self._cond:
            if self._finishing:
                return
            if self._skip_to_key:
                if packet.kind == "video" and not packet.is_keyframe:
                    self.dropped += 1
                    return
                if packet.is_keyframe and packet.kind == "video":
                    self._skip_to_key = False
            if len(self._queue) >= self._max_queue:
                self.dropped += 1
                self._skip_to_key = True
                return
            self._queue.append(packet)
            self._cond.notify()

    def set_thumbnail(self, thumbnail: bytes) -> None:
        """Give the clip a thumbnail if it has none yet."""
        with self._cond:
            if self._thumbnail is None:
                self._thumbnail = thumbnail

    def finish(self) -> None:
        """Ask the thread to write what is queued and close the clip; returns at once."""
        with self._cond:
            self._finishing = True
            self._cond.notify()

    def join(self, timeout: float | None = None) -> ClipInfo | None:
        """Wait for the thread; return the clip, or None if it failed or is not done."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        return self._info

    # ---- the thread ----------------------------------------------------------------------

    def _run(self) -> None:
        info: ClipInfo | None = None
        error: BaseException | None = None
        try:
            info = self._write()
        except Exception as err:  # noqa: BLE001 - reported to on_done, the file removed
            error = err
            _LOGGER.warning("Clip %s failed: %s", self._path, err)
            for leftover in (self._tmp, _tmp_name(self.thumbnail_path)):
                # The folder may be what failed (not a directory): nothing to remove then.
                with contextlib.suppress(OSError):
                    leftover.unlink(missing_ok=True)
        self._info, self._error = info, error
        if self._on_done is not None:
            try:
                self._on_done(info, error)
            except Exception:
                _LOGGER.exception("Error in the clip callback for %s", self._path)

    def _next_batch(self) -> tuple[list[RingPacket], bool]:
        with self._cond:
            while not self._queue and not self._finishing:
                self._cond.wait()
            batch = list(self._queue)
            self._queue.clear()
            return batch, self._finishing

    def _write(self) -> ClipInfo:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        options = {"movflags": "+faststart"} if self._format in _FASTSTART else {}
        output = av.open(str(self._tmp), "w", format=self._format, container_options=options)
        try:
            self._add_streams(output)
            for packet in self._preroll:
                self._write_packet(output, packet)
            self._preroll = []
            done = False
            while not done:
                batch, done = self._next_batch()
                for packet in batch:
                    self._write_packet(output, packet)
            for track in self._tracks.values():
                self._flush(output, track)
        finally:
            output.close()
        video = self._tracks["video"]
        if video.written == 0 or video.first_pts is None or self._start_wall is None:
            raise ClipError("no video key frame arrived for the clip")
        thumbnail = self._write_thumbnail()
        os.replace(self._tmp, self._path)
        audio = self._tracks.get("audio")
        return ClipInfo(
            path=self._path,
            thumbnail=thumbnail,
            start_wall=self._start_wall,
            end_wall=self._end_wall,
            duration=float((video.end_pts - video.first_pts) * video.time_base),
            frames=video.written,
            size=self._path.stat().st_size,
            audio_packets=audio.written if audio is not None else 0,
            dropped=self.dropped + self._bad,
        )

    def _write_thumbnail(self) -> Path | None:
        with self._cond:
            data = self._thumbnail
        if not data:
            return None
        path = self.thumbnail_path
        tmp = _tmp_name(path)
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return path

    def _add_streams(self, output: OutputContainer) -> None:
        template = self._template
        try:
            video = _template_stream(output, template.video_codec, None)
        except ValueError:
            video = self._video_mux_stream(output)
        else:
            vctx = video.codec_context
            vctx.extradata = template.video_extradata
            if isinstance(vctx, VideoCodecContext):
                vctx.width, vctx.height = template.width, template.height
        video.time_base = template.video_time_base
        self._tracks["video"] = _Track(video, "video", template.video_time_base)
        if not self._audio or template.audio_codec is None or template.audio_time_base is None:
            return
        try:
            audio = _template_stream(output, template.audio_codec, template.audio_rate)
        except ValueError:
            if template.audio_extradata:
                _LOGGER.debug("Clip %s: no way to carry the audio's extradata", self._path)
                return
            audio = output.add_mux_stream(template.audio_codec, rate=template.audio_rate)
        else:
            actx = audio.codec_context
            actx.extradata = template.audio_extradata
            if isinstance(actx, AudioCodecContext):
                if template.audio_rate:
                    actx.sample_rate = template.audio_rate
                if template.audio_layout:
                    actx.layout = template.audio_layout
        audio.time_base = template.audio_time_base
        self._tracks["audio"] = _Track(audio, "audio", template.audio_time_base)

    def _video_mux_stream(self, output: OutputContainer) -> Stream:
        """Return a mux-only video stream, for a codec this FFmpeg build has no encoder of.

        PyAV takes its extradata from the parameter sets in the first packet (cameras send
        them before each key frame in Annex B streams such as RTSP). H.264 from a
        length-prefixed source (avcC extradata: MP4, FLV) is rewritten to Annex B with the
        parameter sets before each key frame; other such codecs cannot be written.
        """
        template = self._template
        extradata = template.video_extradata
        if extradata and not extradata.startswith(_ANNEXB_STARTS):
            if template.video_codec != "h264":
                raise ClipError(f"cannot remux {template.video_codec} without its encoder")
            self._annexb = _avcc_parameter_sets(extradata)
        return output.add_mux_stream(
            template.video_codec, width=template.width, height=template.height
        )

    def _write_packet(self, output: OutputContainer, packet: RingPacket) -> None:
        track = self._tracks.get(packet.kind)
        if track is None:
            return
        if self._start_wall is None:
            if not packet.is_video_key:
                return
            self._start_wall = packet.wall
        stamps = self._rebase(track, packet, self._start_wall)
        if stamps is None:
            self._bad += 1
            return
        pts, dts = stamps
        data = packet.data
        if self._annexb is not None and packet.kind == "video":
            nal_size, parameter_sets = self._annexb
            data = _length_prefixed_to_annexb(data, nal_size)
            if packet.is_keyframe:
                data = parameter_sets + data
        out = av.Packet(data)
        out.pts, out.dts = pts, dts
        out.is_keyframe = packet.is_keyframe
        out.stream = track.stream
        out.time_base = track.time_base
        if packet.duration:
            out.duration = packet.duration
        previous = track.pending
        if previous is not None and previous.dts is not None:
            if not previous.duration:
                previous.duration = dts - previous.dts
            track.last_duration = previous.duration
            self._mux(output, track, previous)
        track.pending = out
        track.pending_wall = packet.wall
        track.last_dts = dts

    def _rebase(
        self, track: _Track, packet: RingPacket, start_wall: float
    ) -> tuple[int, int] | None:
        """Return (pts, dts) from the clip's start, or None to drop the packet."""
        by_wall = round((packet.wall - start_wall) / track.time_base)
        raw = packet.dts if packet.dts is not None else packet.pts
        if raw is None:
            dts = pts = by_wall
        else:
            if track.origin is None:
                track.origin = raw - by_wall
            elif abs(raw - track.origin - by_wall) * track.time_base > MAX_DRIFT:
                _LOGGER.debug("Clip %s: %s timestamps jumped", self._path, track.kind)
                track.origin = raw - by_wall
            dts = raw - track.origin
            pts = packet.pts - track.origin if packet.pts is not None else dts
        if dts < 0:
            return None  # audio from before the first video key frame
        if track.last_dts is not None and dts <= track.last_dts:
            if track.kind != "video":
                return None
            dts = track.last_dts + 1
        return max(pts, dts), dts

    def _flush(self, output: OutputContainer, track: _Track) -> None:
        packet, track.pending = track.pending, None
        if packet is None:
            return
        if not packet.duration and track.last_duration:
            packet.duration = track.last_duration
        self._mux(output, track, packet)

    def _mux(self, output: OutputContainer, track: _Track, packet: av.Packet[Stream]) -> None:
        try:
            output.mux(packet)
        except av.FFmpegError as err:
            if isinstance(err, OSError):
                raise  # the disk, not the packet
            self._bad += 1
            _LOGGER.debug("Clip %s: packet refused: %s", self._path, err)
            return
        track.written += 1
        pts = packet.pts if packet.pts is not None else 0
        if track.first_pts is None:
            track.first_pts = pts
        track.end_pts = max(track.end_pts, pts + (packet.duration or 0))
        self._end_wall = max(self._end_wall, track.pending_wall)
