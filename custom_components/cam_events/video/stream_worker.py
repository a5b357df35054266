"""One thread per stream: open with PyAV, decode, detect motion, reconnect, report.

Nothing here touches Home Assistant. The worker reports through a listener whose methods are
called from the worker thread; the Home Assistant side hands them to its event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
import gc
import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import av

from .connect import open_source
from .detector import DetectorSettings, MotionDetector, MotionResult, ZoneResult
from .errors import StreamError, StreamErrorCode, check_frame_size, classify
from .luma import LumaReader
from .ring import RingPacket, StreamTemplate
from .source import RtspTransport, SourceKind, StreamSource, redact_url
from .tamper import TamperDetector, TamperResult
from .wake import WakeReason, WakeRule, WakeSettings
from .zones import Layout

if TYPE_CHECKING:
    from av.container import InputContainer
    from av.packet import Packet
    from av.video.frame import VideoFrame

    from .recorder import ClipRecorder

_LOGGER = logging.getLogger(__name__)

BACKOFF_INITIAL = 1.0
BACKOFF_MAX = 30.0
GOOD_RUN = 10.0
STATS_INTERVAL = 5.0
JOIN_TIMEOUT = 5.0
COLLECT_INTERVAL = 30.0
PAIR_INTERVAL = 0.1
"""Frames that follow each other this closely are detected two at a time (see _handle)."""
WAKE_GRACE = 1.0
"""Adaptive mode: seconds a wake (or changed cells short of motion) keeps every frame decoded."""
MAX_BACKLOG = 900
"""Adaptive mode: packets kept undecoded since the last decoded one (a minute at 15 fps); past
that the backlog is dropped and decoding waits for the next key frame."""


class StreamState(StrEnum):
    """Where a stream stands."""

    CONNECTING = "connecting"
    STREAMING = "streaming"
    RECONNECTING = "reconnecting"
    AUTH_FAILED = "auth_failed"
    STOPPED = "stopped"


class DecodeMode(StrEnum):
    """How much of the stream is decoded for detection."""

    FULL = "full"  # every frame, as the camera sent it
    FAST = "fast"  # every frame, without the loop filter: 12-26 % less CPU, slight blocking
    KEYFRAMES = "keyframes"  # key frames only: a fraction of the CPU, one look per GOP
    ADAPTIVE = "adaptive"  # key frames while still, every frame (caught up) once sizes rise


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """What the worker does with the frames it decodes."""

    detect: bool = True
    detector: DetectorSettings = field(default_factory=DetectorSettings)
    detect_fps: float = 0.0  # 0 = every decoded frame
    decode_mode: DecodeMode = DecodeMode.FULL
    decode: bool = True  # False: demux only (a main stream kept for recording)
    hold: float = 10.0
    """Adaptive mode: seconds every frame is still decoded after the last motion frame (the
    camera's motion off-delay), before the stream goes back to key frames only."""
    wake: WakeSettings = field(default_factory=WakeSettings)
    """Adaptive mode: when packet sizes wake an idle stream."""


@dataclass(frozen=True, slots=True)
class WorkerStats:
    """Counters over the last stats interval."""

    decode_fps: float
    detect_fps: float
    width: int
    height: int
    codec: str


class WorkerListener(Protocol):
    """Receives reports from the worker thread (called on that thread)."""

    def on_state(self, state: StreamState, error: StreamError | None) -> None:
        """Report a changed stream state."""

    def on_motion(self, active: bool, result: MotionResult, at: float) -> None:
        """Report that motion started (active) or that frames show no motion any more."""

    def on_stats(self, stats: WorkerStats) -> None:
        """Report periodic counters."""

    def on_tamper(self, result: TamperResult) -> None:
        """Report that tampering (a covered or blinded lens) started or ended."""


@runtime_checkable
class ZoneListener(Protocol):
    """A listener that also follows zones (optional: the worker checks for ``on_zones``)."""

    def on_zones(self, result: MotionResult, at: float) -> None:
        """Report that a zone's motion started or ended (called on the worker thread).

        ``result.zones`` holds every enabled zone (a zone not listed is off, e.g. removed or
        switched off by a new layout); zones turning on carry their bounding box;
        ``result.touched`` lists the zones touched so far in this motion, in order.
        """


class StreamWorker:
    """Decodes one stream in its own thread and runs the motion detector on it."""

    def __init__(
        self,
        name: str,
        source: StreamSource,
        listener: WorkerListener,
        settings: WorkerSettings | None = None,
        recorder: ClipRecorder | None = None,
    ) -> None:
        """Prepare; nothing runs before start()."""
        self.name = name
        self._recorder = recorder
        self.source = source
        self._listener = listener
        self._settings = settings or WorkerSettings()
        self._detector = MotionDetector(self._settings.detector)
        self._tamper = TamperDetector()
        self._luma = LumaReader()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state = StreamState.STOPPED
        self._motion = False
        self._latest: tuple[int, VideoFrame] | None = None
        self._pending: tuple[VideoFrame, float, float] | None = None  # frame, monotonic, wall
        self._seq = 0
        self._settings_changed = False
        self._transport: RtspTransport | None = None
        self._layout: Layout | None = None
        self._on_zones = listener.on_zones if isinstance(listener, ZoneListener) else None
        self._zone_states: tuple[tuple[str, bool], ...] = ()
        self._last_zones: MotionResult | None = None

    # ---- control (any thread) ------------------------------------------------------------

    def start(self) -> None:
        """Start the thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"cam_events_{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = JOIN_TIMEOUT) -> None:
        """Ask the thread to stop and wait for it (blocking: call it in an executor)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                _LOGGER.warning("Stream worker %s did not stop within %.0f s", self.name, timeout)

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def state(self) -> StreamState:
        """The current stream state."""
        return self._state

    @property
    def settings(self) -> WorkerSettings:
        """The current settings."""
        return self._settings

    def update_settings(self, settings: WorkerSettings) -> None:
        """Apply new settings; the worker picks them up at the next frame."""
        self._settings = settings
        self._settings_changed = True

    @property
    def transport(self) -> RtspTransport | None:
        """The RTSP transport of the last connection that opened (kept for reconnects)."""
        return self._transport

    @property
    def layout(self) -> Layout | None:
        """The masks and zones asked for (applied from the next detected frame on)."""
        return self._layout

    def set_layout(self, layout: Layout | None) -> None:
        """Use these masks and zones (any thread); the worker picks them up at the next frame.

        The detector keeps its background and rasterises the layout for the stream's grid,
        again after a resolution change. Zones' states restart; zones that were on and are no
        longer listed are reported off through ``on_zones``.
        """
        self._layout = layout
        self._settings_changed = True

    def latest_frame(self) -> tuple[int, VideoFrame] | None:
        """Return the newest decoded frame and its sequence number."""
        return self._latest

    # ---- the thread ----------------------------------------------------------------------

    def _set_state(self, state: StreamState, error: StreamError | None = None) -> None:
        if state is self._state and error is None:
            return
        self._state = state
        self._listener.on_state(state, error)

    def _run(self) -> None:
        backoff = BACKOFF_INITIAL
        self._set_state(StreamState.CONNECTING)
        while not self._stop.is_set():
            started = time.monotonic()
            error: StreamError | None = None
            try:
                self._stream_once()
            except Exception as err:  # noqa: BLE001 - every failure means: reconnect later
                error = classify(err)
            self._collect()
            if self._stop.is_set():
                break
            if error is None:
                error = StreamError(StreamErrorCode.ENDED, "the stream ended")
            self._stream_gone()
            if time.monotonic() - started >= GOOD_RUN:
                backoff = BACKOFF_INITIAL
            if error.code is StreamErrorCode.INVALID_AUTH:
                self._set_state(StreamState.AUTH_FAILED, error)
                delay = BACKOFF_MAX
            else:
                self._set_state(StreamState.RECONNECTING, error)
                delay = backoff
            _LOGGER.debug(
                "Stream %s (%s) lost: %s; retrying in %.1f s",
                self.name,
                redact_url(self.source.url),
                error,
                delay,
            )
            self._stop.wait(delay)
            backoff = min(backoff * 2, BACKOFF_MAX)
        self._stream_gone()
        self._set_state(StreamState.STOPPED)

    def _stream_gone(self) -> None:
        """Drop a finished connection's frames and end its motion and tamper states."""
        self._pending = None
        self._adaptive = None  # its backlog belongs to the old decoder
        self._end_motion()
        self._end_tamper()
        self._latest = None
        if self._recorder is not None:
            self._recorder.stream_lost()

    def _collect(self) -> None:
        """Free closed containers: PyAV keeps each in a reference cycle (at most twice a minute)."""
        now = time.monotonic()
        if now - self._last_collect >= COLLECT_INTERVAL:
            self._last_collect = now
            gc.collect()

    _last_collect = 0.0

    def _open(self) -> InputContainer:
        container, transport = open_source(self.source, self._transport)
        if transport is not self._transport:
            _LOGGER.debug("Stream %s opened over RTSP/%s", self.name, transport)
        self._transport = transport
        return container

    def _stream_once(self) -> None:
        with self._open() as container:
            if not container.streams.video:
                raise StreamError(StreamErrorCode.NO_VIDEO, "the source has no video")
            video = container.streams.video[0]
            check_frame_size(video.codec_context.width, video.codec_context.height)
            audio = container.streams.audio[0] if container.streams.audio else None
            recorder = self._recorder
            if recorder is not None:
                recorder.set_template(StreamTemplate.from_streams(video, audio))
            streams: list[av.VideoStream | av.AudioStream] = [video]
            if audio is not None and recorder is not None:
                streams.append(audio)
            codec = video.codec_context
            codec.thread_type = "NONE"
            mode = self._settings.decode_mode
            if mode is DecodeMode.FAST:
                codec.options = {"skip_loop_filter": "all"}
            elif mode is DecodeMode.KEYFRAMES:
                codec.skip_frame = "NONKEY"
            self._detector.reset()
            self._tamper.reset()
            self._luma.reset()
            if mode is DecodeMode.ADAPTIVE:
                self._adaptive = _Adaptive(codec, self._settings.wake, time.monotonic())
            looping = self.source.kind is SourceKind.FILE
            while True:
                if not self._demux(container, streams, video, codec, mode, looping):
                    return
                # A local file loops by seeking back (reopening would pile up containers that
                # only a full garbage collection frees); for the recorder it is a new stream.
                container.seek(0)
                codec.flush_buffers()
                if self._adaptive is not None:
                    self._adaptive.restart()
                if recorder is not None:
                    recorder.set_template(StreamTemplate.from_streams(video, audio))

    def _demux(
        self,
        container: InputContainer,
        streams: list[av.VideoStream | av.AudioStream],
        video: av.VideoStream,
        codec: av.VideoCodecContext,
        mode: DecodeMode,
        paced: bool,
    ) -> bool:
        """Read to the end of the stream; return True to go on (a file's end), False to stop."""
        recorder = self._recorder
        pacer = _Pacer(paced, self._stop)
        for packet in container.demux(streams):
            if self._stop.is_set():
                return False
            is_video = packet.stream is video
            if recorder is not None and packet.size:
                recorder.on_packet(_ring_packet(packet, is_video))
            if not is_video or not self._settings.decode:
                if not self._settings.decode and self._state is not StreamState.STREAMING:
                    self._set_state(StreamState.STREAMING)
                continue
            # A file is held back to real time before decoding, so the frame is still in the
            # cache when the detector reads it.
            if (
                paced
                and packet.pts is not None
                and packet.time_base is not None
                and pacer.wait(float(packet.pts * packet.time_base))
            ):
                return False
            if mode is DecodeMode.ADAPTIVE and packet.size:
                self._adaptive_packet(packet, codec)
                continue
            if mode is DecodeMode.KEYFRAMES and packet.size and not packet.is_keyframe:
                continue
            self._decode(packet, codec)
        return paced and self._seq > 0

    def _decode(
        self, packet: Packet[Any], codec: av.VideoCodecContext, after: int | None = None
    ) -> None:
        """Decode a packet and handle its frames; frames up to pts ``after`` were handled."""
        for frame in codec.decode(packet):
            if after is not None and frame.pts is not None and frame.pts <= after:
                continue  # decoded again as a reference (adaptive mode's rewind)
            self._frame(frame, codec)

    def _frame(self, frame: VideoFrame, codec: av.VideoCodecContext) -> None:
        check_frame_size(frame.width, frame.height)  # the size may change mid-stream
        self._seq += 1
        self._latest = (self._seq, frame)
        if self._state is not StreamState.STREAMING:
            self._set_state(StreamState.STREAMING)
        if self._adaptive is not None and frame.pts is not None:
            self._adaptive.handled = frame.pts
        self._handle(frame, codec.name)

    # ---- adaptive mode -------------------------------------------------------------------

    _adaptive: _Adaptive | None = None

    @property
    def adaptive(self) -> AdaptiveStats | None:
        """Adaptive mode's state on the current connection (None in other modes)."""
        state = self._adaptive
        if state is None:
            return None
        return AdaptiveStats(
            state.awake, dict(state.wakes), len(state.gop) - state.decoded, state.caught_up
        )

    def _adaptive_packet(self, packet: Packet[Any], codec: av.VideoCodecContext) -> None:
        """Adaptive mode: decode a key frame, or every packet while awake; else judge its size.

        The packets of the current GOP and of the one before are kept (``_Adaptive``); while
        idle, those after the last decoded one wait undecoded. The decoder's last reference is
        then the last packet decoded, so waking up on a packet's size means decoding the rest
        of the GOP in order (catching up, at decode speed) and every packet after it. A key
        frame that shows changed cells rewinds to the GOP before it (see ``_rewind``).
        """
        state = self._adaptive
        assert state is not None
        now = time.monotonic()
        key = packet.is_keyframe
        rule = state.rule
        if key:
            state.new_gop(packet)
        elif state.need_key:
            return
        else:
            state.gop.append(packet)
        if state.awake:
            rule.observe(packet.size, key, now, learn=now - state.last_candidate > WAKE_GRACE)
            state.decoded = len(state.gop)
            self._decode(packet, codec)
            if state.awake and now >= state.awake_until and rule.warmed:
                self._sleep(now)
            return
        reason = rule.observe(packet.size, key, now)
        if key:
            self._idle_key(packet, codec, now)
        elif reason is not None:
            self._wake(reason, now)
        elif len(state.gop) > MAX_BACKLOG:
            state.drop()

    def _idle_key(self, packet: Packet[Any], codec: av.VideoCodecContext, now: float) -> None:
        """Decode an idle stream's key frame; rewind if it shows changed cells, else detect."""
        state = self._adaptive
        assert state is not None
        state.decoded = 1
        frames = list(codec.decode(packet))
        if frames and self._settings.detect and self._changed(frames[-1]):
            self._rewind(codec, now)
            return
        if state.previous:
            # Not shown to the detector: counted towards its learning pace.
            self._detector.skip(len(state.previous) - state.previous_decoded)
        for frame in frames:
            self._frame(frame, codec)

    def _changed(self, frame: VideoFrame) -> bool:
        """Whether the frame shows changed cells, looked at without touching the detector."""
        reader = self._luma
        grid = reader.read(frame, self._settings.detector.grid_height)
        return self._detector.peek(grid, reader.step, reader.height, reader.width)

    def _rewind(self, codec: av.VideoCodecContext, now: float) -> None:
        """Something changed since the last GOP: detect its frames and this key frame's.

        The decoder restarts from the previous GOP's key frame (the frames handled already are
        decoded as references only), so motion that started within that GOP without making
        its packets larger is found at the frame where it started, a GOP late.
        """
        state = self._adaptive
        assert state is not None
        previous, key = state.previous, state.gop[0]
        self._mark_awake(WakeReason.KEY_FRAME, now)
        after = state.handled
        if previous:
            codec.flush_buffers()
            state.caught_up += len(previous) - state.previous_decoded
            for packet in previous:
                if self._stop.is_set():
                    return
                self._decode(packet, codec, after)
        self._decode(key, codec, after)
        state.previous_decoded = len(previous)

    def _wake(self, reason: WakeReason, now: float) -> None:
        """Decode every frame from now on, starting with the backlog (no pacing: catch up)."""
        state = self._adaptive
        assert state is not None
        self._mark_awake(reason, now)
        backlog = state.gop[state.decoded :]
        state.decoded = len(state.gop)
        state.caught_up += len(backlog)
        for packet in backlog:
            if self._stop.is_set():
                return
            self._decode(packet, state.codec)

    def _mark_awake(self, reason: WakeReason, now: float) -> None:
        state = self._adaptive
        assert state is not None
        state.awake = True
        state.awake_until = max(state.awake_until, now + WAKE_GRACE)
        state.wakes[reason] = state.wakes.get(reason, 0) + 1
        state.rule.awake(now)

    def _sleep(self, now: float) -> None:
        """Back to key frames only: nothing moved for the hold (or the grace of a wake)."""
        state = self._adaptive
        assert state is not None
        state.awake = False
        state.rule.awake(now)
        if self._pending is not None:
            held, self._pending = self._pending, None
            self._detect(*held)

    def _note_motion(self, result: MotionResult, now: float) -> None:
        """Adaptive mode: changed cells keep the stream awake (or wake it, on a key frame)."""
        state = self._adaptive
        if state is None:
            return
        candidate = (
            result.motion
            or (
                not result.calibrating
                and result.changed_ratio * 100.0 >= self._settings.detector.min_area
            )
            or any(zone.motion for zone in result.zones)
        )
        if not candidate:
            return
        state.last_candidate = now
        until = now + max(WAKE_GRACE, self._settings.hold if result.motion else 0.0)
        state.awake_until = max(state.awake_until, until)
        if not state.awake:
            self._mark_awake(WakeReason.KEY_FRAME, now)

    _stats_start = 0.0
    _decoded = 0
    _detected = 0
    _last_detect = 0.0

    _last_frame = 0.0

    def _handle(self, frame: VideoFrame, codec: str) -> None:
        now = time.monotonic()
        self._decoded += 1
        settings = self._settings
        if self._settings_changed:
            self._settings_changed = False
            detector = self._detector
            if settings.detector is not detector.settings:
                detector.update_settings(settings.detector)
            if self._layout is not detector.layout:
                detector.set_layout(self._layout)
        previous, self._last_frame = self._last_frame, now
        if settings.detect:
            interval = 1.0 / settings.detect_fps if settings.detect_fps > 0 else 0.0
            if now - self._last_detect >= interval:
                self._last_detect = now
                self._detected += 1
                # Two frames detected back to back cost far less than two detected apart (the
                # second finds numpy's code and data warm, where each frame alone finds them
                # evicted by the decoder). So at full rate a frame waits for the next one, one
                # frame interval at most: within the two frames that min_frames asks anyway.
                if self._pending is not None:
                    held, self._pending = self._pending, None
                    self._detect(*held)
                    self._detect(frame, now, time.time())
                elif not interval and now - previous <= PAIR_INTERVAL:
                    self._pending = (frame, now, time.time())
                else:
                    self._detect(frame, now, time.time())
        else:
            self._pending = None
            self._end_motion()
            self._end_tamper()
        if now - self._stats_start >= STATS_INTERVAL:
            elapsed = now - self._stats_start if self._stats_start else 0.0
            if elapsed:
                self._listener.on_stats(
                    WorkerStats(
                        decode_fps=round(self._decoded / elapsed, 2),
                        detect_fps=round(self._detected / elapsed, 2),
                        width=frame.width,
                        height=frame.height,
                        codec=codec,
                    )
                )
            self._stats_start, self._decoded, self._detected = now, 0, 0

    def _detect(self, frame: VideoFrame, now: float, wall: float) -> None:
        """Run motion and tamper detection on a frame decoded at ``now`` (``wall``)."""
        reader, detector = self._luma, self._detector
        grid = reader.read(frame, self._settings.detector.grid_height)
        result = detector.process_grid(grid, reader.step, reader.height, reader.width)
        prepared = detector.prepared
        if prepared is not None or self._zone_states:
            result = self._report_zones(result, wall)
        if result.motion != self._motion:
            self._motion = result.motion
            if result.motion:
                result = replace(result, bbox=detector.bbox())
            self._listener.on_motion(result.motion, result, wall)
        masked = prepared.masked if prepared is not None else None
        if (tamper := self._tamper.process(grid, now, masked)) is not None:
            self._listener.on_tamper(tamper)
        if self._adaptive is not None:
            self._note_motion(result, now)

    def _report_zones(self, result: MotionResult, wall: float) -> MotionResult:
        """Report zones turning on or off (with their bounding boxes); return the result."""
        states = tuple((zone.id, zone.motion) for zone in result.zones)
        if states == self._zone_states:
            return result
        before = dict(self._zone_states)
        self._zone_states = states
        detector = self._detector
        zones = tuple(
            zone._replace(bbox=detector.zone_bbox(zone.id))
            if zone.motion and not before.get(zone.id, False)
            else zone
            for zone in result.zones
        )
        result = replace(result, zones=zones)
        self._last_zones = result
        if self._on_zones is not None:
            self._on_zones(result, wall)
        return result

    def _end_zones(self) -> None:
        """Report every zone off (the stream was lost or detection switched off)."""
        last, self._last_zones = self._last_zones, None
        states, self._zone_states = self._zone_states, ()
        if last is None or not any(on for _, on in states):
            return
        if self._on_zones is not None:
            zones = tuple(ZoneResult(zone.id, False, 0.0) for zone in last.zones)
            self._on_zones(
                MotionResult(False, 0.0, None, False, False, zones, last.touched), time.time()
            )

    def _end_tamper(self) -> None:
        if self._tamper.active:
            self._tamper.reset()
            self._listener.on_tamper(TamperResult(False, 0.0, 0.0))

    def _end_motion(self) -> None:
        last = self._last_zones
        self._end_zones()
        if self._motion:
            self._motion = False
            touched = last.touched if last is not None else ()
            self._listener.on_motion(
                False, MotionResult(False, 0.0, None, False, False, (), touched), time.time()
            )


@dataclass(frozen=True, slots=True)
class AdaptiveStats:
    """Adaptive mode on the current connection: awake or not, why it woke, what it caught up."""

    awake: bool
    wakes: dict[WakeReason, int]
    backlog: int  # packets of the current GOP waiting undecoded
    caught_up: int  # packets decoded from a backlog on waking, since the connection opened


class _Adaptive:
    """Adaptive mode's state for one connection."""

    __slots__ = (
        "awake",
        "awake_until",
        "caught_up",
        "codec",
        "decoded",
        "gop",
        "handled",
        "last_candidate",
        "need_key",
        "previous",
        "previous_decoded",
        "rule",
        "wakes",
    )

    def __init__(self, codec: av.VideoCodecContext, wake: WakeSettings, now: float) -> None:
        self.codec = codec
        self.rule = WakeRule(wake, now)
        self.gop: list[Packet[Any]] = []  # the current GOP's video packets, key frame first
        self.decoded = 0  # how many of them were decoded
        self.previous: list[Packet[Any]] = []  # the GOP before
        self.previous_decoded = 0
        self.handled: int | None = None  # pts of the last frame handed to detection
        # Awake (every frame decoded) until the rule has learnt the stream's baseline.
        self.awake = True
        self.awake_until = now + WAKE_GRACE
        self.last_candidate = -WAKE_GRACE
        self.need_key = True
        self.wakes: dict[WakeReason, int] = {WakeReason.WARMUP: 1}
        self.caught_up = 0

    def new_gop(self, key: Packet[Any]) -> None:
        """Start a GOP at this key frame; the current one becomes the previous one."""
        self.previous, self.previous_decoded = self.gop, self.decoded
        self.gop, self.decoded = [key], 0
        self.need_key = False

    def drop(self) -> None:
        """Give up the packets held (too many, or the source restarts): wait for a key frame."""
        self.gop, self.decoded = [], 0
        self.previous, self.previous_decoded = [], 0
        self.need_key = True

    def restart(self) -> None:
        """Start over with the source (a file looping): nothing to decode before its key frame."""
        self.drop()
        self.handled = None


def _ring_packet(packet: Packet[Any], is_video: bool) -> RingPacket:
    """Copy a demuxed packet for the pre-roll ring."""
    return RingPacket(
        data=bytes(packet),
        pts=packet.pts,
        dts=packet.dts,
        is_keyframe=packet.is_keyframe,
        kind="video" if is_video else "audio",
        wall=time.time(),
        duration=packet.duration,
    )


class _Pacer:
    """Holds a file's frames back to real time so it behaves like a camera."""

    def __init__(self, active: bool, stop: threading.Event) -> None:
        self._active = active
        self._stop = stop
        self._base_pts: float | None = None
        self._base_wall = 0.0

    def wait(self, frame_time: float | None) -> bool:
        """Sleep until the frame is due; return True when the worker was told to stop."""
        if not self._active or frame_time is None:
            return False
        if self._base_pts is None:
            self._base_pts, self._base_wall = frame_time, time.monotonic()
        delay = self._base_wall + (frame_time - self._base_pts) - time.monotonic()
        return delay > 0 and self._stop.wait(delay)
