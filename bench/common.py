"""Shared helpers of the stream benchmarks: camera-like clips, frame metering, CPU and memory.

* :func:`encode_camera_clip` writes an H.264 clip that makes the decoder work like a real
  camera's stream: the textured scene of ``devtools.clips.background`` with fine texture
  added, sensor noise that changes every frame, and textured objects moving across it.
* :func:`install_meter` replaces the stream worker's file pacer (``stream_worker._Pacer``)
  with a subclass that, on the worker's own thread and for every frame handed to detection,
  records how late the frame is against real time and the thread's CPU time. The pacing
  itself is unchanged (the subclass calls the original ``wait``). It also times
  ``StreamWorker._handle`` (what the worker does with a decoded frame) on that thread.
* :class:`DecodeOnly` is the baseline: a thread that opens the same source with the same
  PyAV settings as the worker (options, single-threaded decoding, decode mode) and paces
  the frames the same way, but does nothing with them.

The integration is imported from this checkout; the patches above apply to this process
only and never touch its files.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
import math
import os
from pathlib import Path
import platform
import resource
import statistics
import sys
import threading
import time
from typing import Any

import av
import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from custom_components.cam_events.video import stream_worker  # noqa: E402
from custom_components.cam_events.video.source import StreamSource  # noqa: E402
from custom_components.cam_events.video.stream_worker import (  # noqa: E402
    DecodeMode,
    StreamState,
    WorkerStats,
)
from devtools.clips import background  # noqa: E402

NOISE_BANK = 8  # distinct noise fields, cycled: x264 (one reference) cannot exploit the cycle


# ---- the machine ------------------------------------------------------------------------


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_header(title: str) -> str:
    """A header naming the benchmark, the machine and the versions that matter."""
    load = os.getloadavg()
    versions = av.library_versions.get("libavcodec", (0, 0, 0))
    return (
        f"== {title} ==\n"
        f"machine: {os.cpu_count()} x {cpu_model()} ({platform.machine()}), "
        f"{platform.system()} {platform.release()}, load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f}\n"
        f"Python {platform.python_version()}, PyAV {av.__version__} "
        f"(libavcodec {'.'.join(map(str, versions))}), numpy {np.__version__}"
    )


# ---- clips ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClipSpec:
    """What :func:`encode_camera_clip` wrote."""

    path: Path
    width: int
    height: int
    fps: int
    gop: int
    seconds: float
    bitrate: int  # asked for
    frames: int
    size: int  # bytes
    encode_seconds: float

    @property
    def mbps(self) -> float:
        """Achieved bitrate, Mbit/s."""
        return self.size * 8 / (self.frames / self.fps) / 1e6

    def describe(self) -> str:
        """One line about the clip."""
        return (
            f"{self.width}x{self.height} {self.fps} fps H.264 (libx264 veryfast, no B-frames, "
            f"key frame every {self.gop} frames), {self.seconds:.0f} s, {self.mbps:.2f} Mbit/s "
            f"achieved (asked {self.bitrate / 1e6:.1f}), encoded in {self.encode_seconds:.1f} s"
        )


def _yuv_planes(rgb: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.int16], ...]:
    """BT.601 limited-range Y, U, V (4:2:0) of an RGB picture, via FFmpeg's own conversion."""
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    yuv = frame.to_ndarray()
    height, width = rgb.shape[:2]
    y = yuv[:height].astype(np.int16)
    u = yuv[height : height + height // 4].reshape(height // 2, width // 2).astype(np.int16)
    v = yuv[height + height // 4 :].reshape(height // 2, width // 2).astype(np.int16)
    return y, u, v


def _camera_frames(
    width: int,
    height: int,
    fps: int,
    count: int,
    motion: Sequence[tuple[float, float]],
    noise: int,
    seed: int,
) -> Iterable[av.VideoFrame]:
    """Yield yuv420p frames: textured room, per-frame sensor noise, moving textured objects."""
    rng = np.random.default_rng(seed)
    y, u, v = _yuv_planes(background(width, height, seed))
    # Fine texture (carpet, foliage, brickwork): 4x4 cells and single-pixel grain.
    cells = rng.integers(-8, 9, (height // 4 + 1, width // 4 + 1), dtype=np.int16)
    y = y + cells.repeat(4, 0).repeat(4, 1)[:height, :width]
    y = y + rng.integers(-2, 3, (height, width), dtype=np.int16)
    bank = rng.integers(-noise, noise + 1, (NOISE_BANK, height, width), dtype=np.int8)
    # Two objects: a person-sized one walking across, a smaller one on a loop.
    big_h, big_w = height // 3, width // 12
    big = rng.integers(40, 220, (big_h // 4, big_w // 4), dtype=np.int16).repeat(4, 0).repeat(4, 1)
    small_s = height // 8
    small = rng.integers(60, 250, (small_s, small_s), dtype=np.int16)
    for index in range(count):
        t = index / fps
        luma = y + bank[index % NOISE_BANK]
        cu, cv = u, v
        if any(start <= t < end for start, end in motion):
            cu, cv = u.copy(), v.copy()
            x0 = int((t * width / 6) % (width - big.shape[1]))
            y0 = height // 2 - big.shape[0] // 4
            luma[y0 : y0 + big.shape[0], x0 : x0 + big.shape[1]] = big
            cu[y0 // 2 : (y0 + big.shape[0]) // 2, x0 // 2 : (x0 + big.shape[1]) // 2] = 150
            angle = t * 1.3
            sx = int(width / 2 + width / 4 * math.cos(angle)) - small_s // 2
            sy = int(height / 3 + height / 6 * math.sin(angle)) - small_s // 2
            luma[sy : sy + small_s, sx : sx + small_s] = small
            cv[sy // 2 : (sy + small_s) // 2, sx // 2 : (sx + small_s) // 2] = 90
        planes = np.vstack(
            [
                np.clip(luma, 16, 235).astype(np.uint8),
                cu.astype(np.uint8).reshape(height // 4, width),
                cv.astype(np.uint8).reshape(height // 4, width),
            ]
        )
        frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        frame.pts = index
        yield frame


def encode_camera_clip(
    path: Path,
    *,
    width: int = 1920,
    height: int = 1080,
    fps: int = 15,
    seconds: float = 30.0,
    bitrate: int = 4_000_000,
    gop: int | None = None,
    motion: Sequence[tuple[float, float]] | None = None,
    noise: int = 5,
    seed: int = 1,
) -> ClipSpec:
    """Encode a clip like an IP camera's main stream (constrained bitrate, no B-frames).

    `noise` is the sensor noise amplitude in luma levels (uniform, new every frame). By default
    objects move through the whole clip (the detector's costlier path, and a decoder busy with
    motion vectors everywhere they go).
    """
    gop = gop or fps
    motion = ((0.0, seconds),) if motion is None else motion
    count = round(seconds * fps)
    started = time.perf_counter()
    with av.open(str(path), "w") as container:
        stream = container.add_stream(
            "libx264",
            rate=fps,
            options={
                "preset": "veryfast",
                "x264-params": f"keyint={gop}:min-keyint={gop}:bframes=0:scenecut=0",
                "maxrate": str(bitrate),
                "bufsize": str(2 * bitrate),
            },
        )
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.bit_rate = bitrate
        stream.codec_context.time_base = Fraction(1, fps)
        for frame in _camera_frames(width, height, fps, count, motion, noise, seed):
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return ClipSpec(
        path=path,
        width=width,
        height=height,
        fps=fps,
        gop=gop,
        seconds=count / fps,
        bitrate=bitrate,
        frames=count,
        size=path.stat().st_size,
        encode_seconds=time.perf_counter() - started,
    )


# ---- frame metering ---------------------------------------------------------------------


@dataclass(slots=True)
class Track:
    """What one thread's frames looked like: one sample per frame handed to detection."""

    name: str
    # (monotonic time after decoding, lag behind real time in s, thread CPU ns, frame time)
    samples: list[tuple[float, float, int, float]] = field(default_factory=list)
    connections: int = 0
    handle_ns: int = 0  # thread CPU inside StreamWorker._handle (detection, tamper, stats)
    handle_calls: int = 0

    def window(self, start: float, end: float) -> list[tuple[float, float, int, float]]:
        """The samples taken between two monotonic times."""
        return [s for s in self.samples if start <= s[0] <= end]


class Meter:
    """Per-thread frame samples, written by the metered pacer on each worker thread."""

    def __init__(self) -> None:
        """Start with no tracks."""
        self.tracks: dict[str, Track] = {}
        self._lock = threading.Lock()

    def track(self) -> Track:
        """The current thread's track (made on first use)."""
        name = threading.current_thread().name
        track = self.tracks.get(name)
        if track is None:
            with self._lock:
                track = self.tracks.setdefault(name, Track(name))
        return track

    def reset(self) -> None:
        """Forget every track (between runs)."""
        with self._lock:
            self.tracks = {}


METER = Meter()


class MeteredPacer(stream_worker._Pacer):
    """The worker's pacer, plus one sample per frame: lateness and the thread's CPU time."""

    def __init__(self, active: bool, stop: threading.Event) -> None:
        """Pace like the worker; meter against our own real-time base (also when inactive)."""
        super().__init__(active, stop)
        self._track = METER.track()
        self._track.connections += 1
        self._origin: tuple[float, float] | None = None

    def wait(self, frame_time: float | None) -> bool:
        """Sample, then pace exactly as the worker would."""
        now = time.monotonic()
        if frame_time is not None:
            if self._origin is None:
                self._origin = (frame_time, now)
            lag = now - (self._origin[1] + frame_time - self._origin[0])
            self._track.samples.append((now, lag, time.thread_time_ns(), frame_time))
        return super().wait(frame_time)


def install_meter() -> None:
    """Make every stream worker created from now on use the metered pacer.

    Also times ``StreamWorker._handle`` (what the worker does with a decoded frame: luma
    plane, motion and tamper detection, stats) on the worker's thread, in each track.
    """
    stream_worker._Pacer = MeteredPacer  # type: ignore[misc]
    handle = stream_worker.StreamWorker._handle

    def timed_handle(self: stream_worker.StreamWorker, frame: Any, codec: str) -> None:
        started = time.thread_time_ns()
        handle(self, frame, codec)
        track = METER.track()
        track.handle_ns += time.thread_time_ns() - started
        track.handle_calls += 1

    stream_worker.StreamWorker._handle = timed_handle  # type: ignore[method-assign]


@dataclass(slots=True)
class WindowStats:
    """One thread's frames inside a measurement window."""

    frames: int
    late: int
    max_lag: float
    cpu_per_frame: float | None  # seconds, over whole GOPs
    cpu: float  # seconds of this thread's CPU inside the window (sample to sample)


def window_stats(
    track: Track, start: float, end: float, late_after: float, gop_seconds: float | None
) -> WindowStats:
    """Frames, late frames and CPU per frame of one track between two monotonic times.

    CPU per frame is measured from one key frame to the last key frame of the window (frame
    times on a multiple of `gop_seconds`), so every GOP counted is whole: a key frame costs
    several times a predicted one.
    """
    samples = track.window(start, end)
    if not samples:
        return WindowStats(0, 0, 0.0, None, 0.0)
    lags = [s[1] for s in samples]
    late = sum(1 for lag in lags if lag > late_after)
    cpu = (samples[-1][2] - samples[0][2]) / 1e9
    per_frame: float | None = None
    if gop_seconds:
        keys = [
            i
            for i, s in enumerate(samples)
            if abs(s[3] / gop_seconds - round(s[3] / gop_seconds)) < 1e-3
        ]
        if len(keys) >= 2 and keys[-1] > keys[0]:
            first, last = keys[0], keys[-1]
            per_frame = (samples[last][2] - samples[first][2]) / 1e9 / (last - first)
    elif len(samples) >= 2:
        per_frame = cpu / (len(samples) - 1)
    return WindowStats(len(samples), late, max(lags), per_frame, cpu)


# ---- listeners and the decode-only baseline ----------------------------------------------


class CountingListener:
    """A stream worker listener that keeps what the worker reported."""

    def __init__(self) -> None:
        """Nothing reported yet."""
        self.state = StreamState.STOPPED
        self.errors: list[Any] = []
        self.motion_changes = 0
        self.stats: list[WorkerStats] = []
        self.streaming = threading.Event()

    def on_state(self, state: StreamState, error: Any) -> None:
        self.state = state
        if error is not None:
            self.errors.append(error)
        if state is StreamState.STREAMING:
            self.streaming.set()

    def on_motion(self, active: bool, result: Any, at: float) -> None:
        self.motion_changes += 1

    def on_stats(self, stats: WorkerStats) -> None:
        self.stats.append(stats)

    def on_tamper(self, result: Any) -> None:
        pass


class DecodeOnly:
    """Decoding alone, with the worker's PyAV settings and pacing: the CPU baseline."""

    def __init__(self, name: str, source: StreamSource, mode: DecodeMode) -> None:
        """Prepare; start() runs the thread."""
        self.name = name
        self.source = source
        self.mode = mode
        self.streaming = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._once()

    def _once(self) -> None:
        source = self.source
        with av.open(
            source.open_url(),
            mode="r",
            options=source.av_options(),
            timeout=(source.open_timeout, source.read_timeout),
        ) as container:
            video = container.streams.video[0]
            codec = video.codec_context
            codec.thread_type = "NONE"
            if self.mode is DecodeMode.FAST:
                codec.options = {"skip_loop_filter": "all"}
            elif self.mode is DecodeMode.KEYFRAMES:
                codec.skip_frame = "NONKEY"
            pacer = stream_worker._Pacer(True, self._stop)  # metered once installed
            for packet in container.demux([video]):
                if self._stop.is_set():
                    return
                if self.mode is DecodeMode.KEYFRAMES and packet.size and not packet.is_keyframe:
                    continue
                for frame in codec.decode(packet):
                    if pacer.wait(frame.time):
                        return
                    self.streaming.set()


# ---- process measurements ---------------------------------------------------------------


def process_cpu() -> float:
    """CPU seconds (user + system) used by this process so far, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    """Resident memory of this process (VmRSS), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_times() -> tuple[int, ...]:
    """The machine's aggregate CPU counters from /proc/stat (user, nice, system, idle...)."""
    with open("/proc/stat", encoding="ascii") as file:
        return tuple(int(x) for x in file.readline().split()[1:])


def busy_fraction(before: tuple[int, ...], after: tuple[int, ...]) -> float:
    """Share of the machine's CPU time not idle between two /proc/stat reads (all processes)."""
    total = sum(after) - sum(before)
    idle = (after[3] + after[4]) - (before[3] + before[4])
    return 1 - idle / total if total > 0 else 0.0


# ---- statistics -------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(values: Sequence[float]) -> float:
    """The median; nan for no values."""
    return statistics.median(values) if values else float("nan")


def slope_per_minute(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute."""
    if len(points) < 2:
        return float("nan")
    xs = np.array([p[0] for p in points])
    ys = np.array([p[1] for p in points])
    return float(np.polyfit(xs, ys, 1)[0] * 60)


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"
