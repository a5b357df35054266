"""Adaptive decoding against full mode, in one run: idle CPU, motion latency, recall.

Three parts, each on clips encoded here with PyAV at run time (nothing is kept):

* **Idle CPU** and **latency**, on one 1080p15 clip of ``bench/common.py``'s camera scene
  (textured room, sensor noise new every frame, ``--noise`` levels, ``--bitrate``): ``--still``
  seconds without motion, then ``--events`` motion events of 1.5 s, 5 s apart, each starting at
  another position in the GOP. Full, key-frame and adaptive workers (``--per-mode`` of each)
  run on it at once, paced to real time by the worker itself. CPU per video-second is each
  worker thread's own CPU time (read on that thread at every packet) over the still window
  after the warm-up, divided by the video time it covered. Latency is the time from a motion
  event's first moving frame being due (real time) to the worker reporting motion.
* **Recall**, on 640x360 clips of seven scenes (a small object at the far end, a slow walker, a
  fast car, night sensor grain, rain-like streaks, a light switched on, an IR cut-over), each
  still for 8 s, then two events: one full-mode and one adaptive worker per clip, all at once.
  An event is a run of frames the worker reported motion on, gaps shorter than the hold merged;
  the start delay is counted in frames of the clip (adaptive's first motion frame less full
  mode's), and its wall-clock lag beside it.

Targets (issue 17): idle CPU per video-second at most 0.35x full mode; latency p50 within
+100 ms of full mode's p50 and p95 under one GOP; every full-mode event found by adaptive, at
most 2 frames later. The machine may be shared: "other load" shows what else ran.

Run: ``.venv/bin/python bench/adaptive.py [--still 24] [--events 8] [--per-mode 2]
[--noise 5] [--bitrate 4] [--skip-recall] [--skip-1080p]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
import logging
import math
from pathlib import Path
import sys
import tempfile
import threading
import time
from typing import Any

import av
import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    METER,
    busy_fraction,
    cpu_times,
    encode_camera_clip,
    install_meter,
    machine_header,
    percentile,
    process_cpu,
    verdict,
)

from custom_components.cam_events.video.source import StreamSource
from custom_components.cam_events.video.stream_worker import (
    DecodeMode,
    StreamState,
    StreamWorker,
    WorkerSettings,
)
from devtools.clips import background

FPS = 15
GOP = 15
HOLD = 2.0  # the workers' off-delay (adaptive mode keeps decoding this long after motion)
CPU_TARGET = 0.35
P50_MARGIN = 0.100
DELAY_TARGET = 2  # frames
WARMUP = 12.0  # seconds of video before the idle CPU window (adaptive learns the baseline)


class Listener:
    """Keeps the worker's motion reports (monotonic time, on/off) and errors."""

    def __init__(self) -> None:
        self.motion: list[tuple[float, bool]] = []
        self.errors: list[Any] = []
        self.streaming = threading.Event()

    def on_state(self, state: StreamState, error: Any) -> None:
        if error is not None:
            self.errors.append(error)
        if state is StreamState.STREAMING:
            self.streaming.set()

    def on_motion(self, active: bool, result: Any, at: float) -> None:
        self.motion.append((time.monotonic(), active))

    def on_stats(self, stats: Any) -> None:
        pass

    def on_tamper(self, result: Any) -> None:
        pass


class TracedWorker(StreamWorker):
    """The worker, keeping (frame time, motion after it, monotonic time) of every detection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.frames: list[tuple[float, bool, float]] = []

    def _detect(self, frame: Any, now: float, wall: float) -> None:
        super()._detect(frame, now, wall)
        self.frames.append((float(frame.time or 0.0), self._motion, time.monotonic()))


@dataclass
class Run:
    """One worker of a part."""

    mode: DecodeMode
    name: str
    worker: TracedWorker
    listener: Listener
    clip: str = ""
    wakes: dict[str, int] = field(default_factory=dict)


def start_workers(specs: list[tuple[str, DecodeMode, str]]) -> list[Run]:
    runs = []
    for name, mode, path in specs:
        listener = Listener()
        settings = WorkerSettings(decode_mode=mode, hold=HOLD)
        worker = TracedWorker(name, StreamSource(path), listener, settings)
        runs.append(Run(mode, name, worker, listener, path))
    for run in runs:
        run.worker.start()
    return runs


def stop_workers(runs: list[Run]) -> None:
    for run in runs:
        stats = run.worker.adaptive
        if stats is not None:
            run.wakes = {str(k): v for k, v in stats.wakes.items()}
    stoppers = [threading.Thread(target=r.worker.stop, daemon=True) for r in runs]
    for stopper in stoppers:
        stopper.start()
    for stopper in stoppers:
        stopper.join(15)


def track_of(run: Run) -> Any:
    return METER.tracks.get(f"cam_events_{run.name}")


def due(track: Any, frame_time: float) -> float:
    """The monotonic time a frame of this time was due (the metered pacer's real-time base)."""
    now, lag, _, first = track.samples[0]
    return now - lag + frame_time - first


def cpu_per_video_second(track: Any, start: float, end: float) -> float:
    """The thread's CPU seconds per second of video between two frame times (one pass)."""
    samples = []
    for sample in track.samples:
        if samples and sample[3] < samples[-1][3]:
            break  # the file looped
        if start <= sample[3] <= end:
            samples.append(sample)
    if len(samples) < 2:
        return float("nan")
    return (samples[-1][2] - samples[0][2]) / 1e9 / (samples[-1][3] - samples[0][3])


# ---- part 1: idle CPU and latency at 1080p ------------------------------------------------


def event_starts(still: float, count: int) -> list[tuple[float, float]]:
    """Events 5 s apart after the still part, each starting at another GOP position."""
    gop_seconds = GOP / FPS
    out = []
    for index in range(count):
        offset = (index * 7 % GOP) / FPS * gop_seconds  # 0, 7, 14, 6, ... frames into a GOP
        start = math.ceil(still) + 1 + 5 * index + offset
        out.append((start, start + 1.5))
    return out


def part_1080p(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    events = event_starts(args.still, args.events)
    seconds = events[-1][1] + 3.0
    clip = encode_camera_clip(
        folder / "camera.mp4",
        seconds=seconds,
        motion=events,
        noise=args.noise,
        bitrate=int(args.bitrate * 1e6),
        gop=GOP,
    )
    print(f"clip: {clip.describe()}; still 0..{args.still:.0f} s, {len(events)} events")
    specs = [
        (f"{mode.value}-{i}", mode, str(clip.path))
        for mode in (DecodeMode.FULL, DecodeMode.KEYFRAMES, DecodeMode.ADAPTIVE)
        for i in range(args.per_mode)
    ]
    METER.reset()
    t0, cpu0, stat0 = time.monotonic(), process_cpu(), cpu_times()
    runs = start_workers(specs)
    time.sleep(seconds - 0.5)
    t1, cpu1, stat1 = time.monotonic(), process_cpu(), cpu_times()
    stop_workers(runs)
    cores = (cpu1 - cpu0) / (t1 - t0)
    other = max(0.0, busy_fraction(stat0, stat1) * 2 - cores)
    cpu: dict[DecodeMode, list[float]] = {}
    latency: dict[DecodeMode, list[float]] = {}
    missed: dict[DecodeMode, int] = {}
    for run in runs:
        track = track_of(run)
        if track is None or not track.samples:
            continue
        cpu.setdefault(run.mode, []).append(cpu_per_video_second(track, WARMUP, args.still - 0.5))
        ons = [t for t, active in run.listener.motion if active]
        for start, end in events:
            first = math.ceil(start * FPS - 1e-9) / FPS
            due_at = due(track, first)
            seen = [t for t in ons if due_at - 0.05 <= t <= due(track, end) + HOLD]
            if seen:
                latency.setdefault(run.mode, []).append(seen[0] - due_at)
            else:
                missed[run.mode] = missed.get(run.mode, 0) + 1
    return {
        "cpu": cpu,
        "latency": latency,
        "missed": missed,
        "cores": cores,
        "other": other,
        "runs": runs,
    }


def print_1080p(result: dict[str, Any]) -> list[str]:
    cpu, latency, missed = result["cpu"], result["latency"], result["missed"]
    print(f"  process {result['cores']:.2f} cores, other load {result['other']:.2f} cores")
    full = float(np.mean(cpu[DecodeMode.FULL]))
    print("  idle still scene, CPU-s per video-s per stream (each worker):")
    for mode, values in cpu.items():
        mean = float(np.mean(values))
        shown = ", ".join(f"{v:.4f}" for v in values)
        print(f"    {mode.value:>9}: {mean:.4f} ({mean / full:.2f}x full)   [{shown}]")
    print("  moving frame -> motion reported, ms:")
    for mode, values in latency.items():
        print(
            f"    {mode.value:>9}: p50 {percentile(values, 50) * 1e3:6.0f}  p95"
            f" {percentile(values, 95) * 1e3:6.0f}  max {max(values) * 1e3:6.0f}"
            f"  ({len(values)} events, {missed.get(mode, 0)} missed)"
        )
    for run in result["runs"]:
        if run.wakes:
            print(f"    {run.name} wakes: {run.wakes}")
    adaptive_cpu = float(np.mean(cpu[DecodeMode.ADAPTIVE])) / full
    verdicts = [
        f"{verdict(adaptive_cpu <= CPU_TARGET)}  idle CPU: adaptive {adaptive_cpu:.2f}x full"
        f" (target <= {CPU_TARGET}x)"
    ]
    full_lat, ad_lat = latency.get(DecodeMode.FULL, []), latency.get(DecodeMode.ADAPTIVE, [])
    if full_lat and ad_lat:
        p50_full, p50_ad = percentile(full_lat, 50), percentile(ad_lat, 50)
        p95_ad = percentile(ad_lat, 95)
        ok = p50_ad <= p50_full + P50_MARGIN and p95_ad < GOP / FPS
        ok = ok and not missed.get(DecodeMode.ADAPTIVE)
        verdicts.append(
            f"{verdict(ok)}  latency: adaptive p50 {p50_ad * 1e3:.0f} ms vs full"
            f" {p50_full * 1e3:.0f} ms (target <= +{P50_MARGIN * 1e3:.0f} ms), p95"
            f" {p95_ad * 1e3:.0f} ms (target < one GOP, {GOP / FPS * 1e3:.0f} ms)"
        )
    return verdicts


# ---- part 2: recall on generated scenes ----------------------------------------------------


W, H = 640, 360
RECALL_SECONDS = 21.0
TWO_EVENTS = ((8.3, 10.8), (15.6, 18.0))
LATE_EVENTS = ((12.3, 14.5), (17.6, 19.5))


def _gray(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.int16]:
    return (rgb.astype(np.int16) @ np.array([77, 150, 29], np.int16) >> 8).astype(np.int16)


@dataclass(frozen=True)
class Scene:
    """A generated clip: luma and chroma of frame ``t``, and when something moves."""

    name: str
    events: tuple[tuple[float, float], ...]
    frame: Callable[[float, np.random.Generator], tuple[Any, int, int]]


def _object(
    y: npt.NDArray[np.int16],
    t: float,
    start: float,
    size: tuple[int, int],
    speed: float,
    row: float,
    value: int,
) -> None:
    h, w = size
    x0 = int((t - start) * speed) % max(1, W - w)
    y0 = int(row * H)
    texture = (np.indices((h, w)).sum(0) // 4 % 2) * 30
    y[y0 : y0 + h, x0 : x0 + w] = value + texture


def make_scenes() -> list[Scene]:
    room = _gray(background(W, H, 3))

    def moving(
        events: Any,
        size: tuple[int, int],
        speed: float,
        row: float,
        value: int,
        base: Callable[[float, np.random.Generator], tuple[Any, int, int]],
    ) -> Any:
        def frame(t: float, rng: np.random.Generator) -> tuple[Any, int, int]:
            y, u, v = base(t, rng)
            for start, end in events:
                if start <= t < end:
                    _object(y, t, start, size, speed, row, value)
            return y, u, v

        return frame

    def plain(noise: int, gain: float = 1.0, lift: int = 0) -> Any:
        def frame(t: float, rng: np.random.Generator) -> tuple[Any, int, int]:
            y = (room * gain).astype(np.int16) + lift
            y += rng.integers(-noise, noise + 1, y.shape, dtype=np.int16)
            return y, 120, 136

        return frame

    def rain(t: float, rng: np.random.Generator) -> tuple[Any, int, int]:
        y, u, v = plain(2)(t, rng)
        xs = rng.integers(0, W, 250)
        ys = rng.integers(0, H - 12, 250)
        for x0, y0 in zip(xs, ys, strict=True):
            y[y0 : y0 + 12, x0] += 35
        return y, u, v

    def light(t: float, rng: np.random.Generator) -> tuple[Any, int, int]:
        return plain(2, 0.45 if t < 8.0 else 1.0)(t, rng)

    def infrared(t: float, rng: np.random.Generator) -> tuple[Any, int, int]:
        if t < 8.0:
            return plain(2)(t, rng)
        y, _, _ = plain(4, 0.7, 45)(t, rng)
        return y, 128, 128  # the IR cut filter out: grey picture, flatter and brighter

    walker = ((110, 40), 25.0, 0.5, 40)
    return [
        Scene(
            "small far object", TWO_EVENTS, moving(TWO_EVENTS, (24, 24), 40.0, 0.12, 30, plain(2))
        ),
        Scene("slow walker", TWO_EVENTS, moving(TWO_EVENTS, *walker, plain(2))),
        Scene(
            "fast car",
            ((8.3, 9.9), (15.6, 17.2)),
            moving(((8.3, 9.9), (15.6, 17.2)), (50, 120), 380.0, 0.6, 20, plain(2)),
        ),
        Scene(
            "night sensor grain",
            TWO_EVENTS,
            moving(TWO_EVENTS, (110, 40), 25.0, 0.5, 90, plain(12, 0.25)),
        ),
        Scene("rain-like noise", TWO_EVENTS, moving(TWO_EVENTS, *walker, rain)),
        Scene("light switched on", LATE_EVENTS, moving(LATE_EVENTS, *walker, light)),
        Scene("IR cut-over", LATE_EVENTS, moving(LATE_EVENTS, *walker, infrared)),
    ]


def encode_scene(scene: Scene, path: Path, seed: int) -> Path:
    """libx264 veryfast, no B-frames, key frame every GOP, capped VBR (CRF 23, 1.5 Mbit/s)."""
    rng = np.random.default_rng(seed)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(
            "libx264",
            rate=FPS,
            options={
                "preset": "veryfast",
                "crf": "23",
                "x264-params": f"keyint={GOP}:min-keyint={GOP}:bframes=0:scenecut=0",
                "maxrate": "1500000",
                "bufsize": "3000000",
            },
        )
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.codec_context.time_base = Fraction(1, FPS)
        for index in range(round(RECALL_SECONDS * FPS)):
            y, u, v = scene.frame(index / FPS, rng)
            planes = np.vstack(
                [
                    np.clip(y, 16, 235).astype(np.uint8),
                    np.full((H // 4, W), u, np.uint8),
                    np.full((H // 4, W), v, np.uint8),
                ]
            )
            frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def events_of(run: Run) -> list[tuple[int, float]]:
    """(first frame index, monotonic time it was reported) of each event, first pass only."""
    out: list[tuple[int, float]] = []
    last_motion = -math.inf
    previous_time = -1.0
    for frame_time, motion, at in run.worker.frames:
        if frame_time < previous_time:
            break  # looped
        previous_time = frame_time
        if not motion:
            continue
        if frame_time - last_motion > HOLD:
            out.append((round(frame_time * FPS), at))
        last_motion = frame_time
    return out


def part_recall(folder: Path) -> tuple[list[tuple[Any, ...]], bool]:
    scenes = make_scenes()
    specs = []
    started = time.monotonic()
    for index, scene in enumerate(scenes):
        path = encode_scene(scene, folder / f"scene{index}.mp4", index)
        for mode in (DecodeMode.FULL, DecodeMode.ADAPTIVE):
            specs.append((f"recall-{index}-{mode.value}", mode, str(path)))
    print(f"  {len(scenes)} clips encoded in {time.monotonic() - started:.0f} s; running them")
    METER.reset()
    runs = start_workers(specs)
    time.sleep(RECALL_SECONDS - 0.6)
    stop_workers(runs)
    rows = []
    ok = True
    for index, scene in enumerate(scenes):
        full, adaptive = runs[2 * index], runs[2 * index + 1]
        full_events, adaptive_events = events_of(full), events_of(adaptive)
        delays = []
        for start, at in full_events:
            match = [(s, a) for s, a in adaptive_events if abs(s - start) <= 2 * GOP]
            if not match:
                delays.append(None)
                continue
            delays.append((match[0][0] - start, match[0][1] - at))
        found = sum(d is not None for d in delays)
        good = found == len(full_events) and all(
            d is not None and d[0] <= DELAY_TARGET for d in delays
        )
        ok = ok and good
        rows.append((scene.name, full_events, adaptive_events, delays, good, adaptive.wakes))
    return rows, ok


def print_recall(rows: list[tuple[Any, ...]]) -> None:
    print(
        f"  {'clip':<20} {'full':>4} {'adapt':>5}  start delay per event: frames (wall ms)"
        "   adaptive wakes"
    )
    for name, full_events, adaptive_events, delays, good, wakes in rows:
        shown = "  ".join(
            "missed" if d is None else f"{d[0]:+d} ({d[1] * 1e3:+.0f})" for d in delays
        )
        mark = "" if good else "  <-"
        print(
            f"  {name:<20} {len(full_events):>4} {len(adaptive_events):>5}  {shown or '-':<34}"
            f" {wakes}{mark}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--still", type=float, default=24.0, help="still seconds (24)")
    parser.add_argument("--events", type=int, default=8, help="latency events (8)")
    parser.add_argument("--per-mode", type=int, default=2, help="1080p workers per mode (2)")
    parser.add_argument("--noise", type=int, default=5, help="sensor noise, levels (5)")
    parser.add_argument("--bitrate", type=float, default=4.0, help="1080p Mbit/s (4)")
    parser.add_argument("--skip-recall", action="store_true")
    parser.add_argument("--skip-1080p", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    print(machine_header("bench/adaptive.py: adaptive decoding against full mode"))
    install_meter()
    started = time.monotonic()
    verdicts: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cam_events_adaptive_") as tmp:
        folder = Path(tmp)
        if not args.skip_1080p:
            print("\n-- 1080p15: idle CPU and latency (full, key frames, adaptive at once) --")
            verdicts += print_1080p(part_1080p(args, folder))
        if not args.skip_recall:
            print(f"\n-- recall, {W}x{H} scenes (full and adaptive at once) --")
            rows, ok = part_recall(folder)
            print_recall(rows)
            verdicts.append(
                f"{verdict(ok)}  recall: adaptive reports every full-mode event, at most"
                f" {DELAY_TARGET} frames later"
            )
    print("\n-- verdicts (from this run) --")
    for line in verdicts:
        print(f"  {line}")
    print(f"total {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
