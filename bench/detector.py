"""Benchmark the motion detector against H.264 decoding, on clips made at run time.

Encodes a 720p and a 1080p clip (15 fps, 10 s, libx264 veryfast, ~2 and ~4 Mbit/s) of a
textured scene with sensor noise and a moving object into a temporary directory, then, for
each clip, measures in one run:

* decode only, single-threaded (``codec_context.thread_type = "NONE"``, as the stream worker
  decodes), CPU time of this thread (``time.thread_time``) and wall time;
* decode + ``LumaReader.read`` + ``MotionDetector.process_grid`` on every frame, as the
  stream worker runs them;
* the detector alone on already decoded frames (best of several passes);
* ``frame.to_ndarray(format="gray")`` and ``format="rgb24"`` per frame, the conversions the
  detector avoids.

Run: ``.venv/bin/python bench/detector.py [--seconds 10] [--repeat 3]``. Nothing is kept.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
import os
from pathlib import Path
import sys
import tempfile
import time

import av
import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_components.cam_events.video.detector import MotionDetector
from custom_components.cam_events.video.luma import LumaReader, luma_plane

FPS = 15
CLIPS = ((1280, 720, 2_000_000), (1920, 1080, 4_000_000))
NOISE_FRAMES = 16


def _scene(width: int, height: int, seconds: float, seed: int = 0) -> Iterator[av.VideoFrame]:
    """Yield yuv420p frames: textured background, sensor noise, a moving textured object."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    blocks = rng.integers(0, 90, (height // 16 + 1, width // 16 + 1)).repeat(16, 0).repeat(16, 1)
    gradient = 40 + 80 * xs / width + 30 * np.sin(ys / 37.0)
    base = (gradient + blocks[:height, :width]).astype(np.int16)
    chroma = (128 + rng.integers(-12, 13, (height // 2 + 1, width // 2 + 1)))[
        : height // 2, : width // 2
    ].astype(np.uint8)
    noise = rng.integers(-4, 5, (NOISE_FRAMES, height, width), dtype=np.int16)
    obj_h, obj_w = height // 4, width // 10
    obj = rng.integers(150, 250, (obj_h, obj_w)).astype(np.int16)
    frames = round(seconds * FPS)
    for i in range(frames):
        y = base + noise[i % NOISE_FRAMES]
        x0 = int((width - obj_w) * i / max(1, frames - 1))
        y0 = height // 2 - obj_h // 2 + int(height / 10 * np.sin(i / 9.0))
        y[y0 : y0 + obj_h, x0 : x0 + obj_w] = obj
        luma = np.clip(y, 0, 255).astype(np.uint8)
        yuv = np.vstack([luma, chroma.reshape(height // 4, width), chroma.reshape(-1, width)])
        yield av.VideoFrame.from_ndarray(yuv, format="yuv420p")


def encode(path: Path, width: int, height: int, bitrate: int, seconds: float) -> None:
    """Encode one H.264 clip like an IP camera would: no B-frames, a key frame every 2 s."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream(
            "libx264",
            rate=FPS,
            options={
                "preset": "veryfast",
                "x264-params": f"keyint={2 * FPS}:min-keyint={2 * FPS}:bframes=0:scenecut=0",
                "maxrate": str(bitrate),
                "bufsize": str(2 * bitrate),
            },
        )
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.bit_rate = bitrate
        stream.codec_context.time_base = Fraction(1, FPS)
        for i, frame in enumerate(_scene(width, height, seconds)):
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


@dataclass
class Timing:
    """CPU (this thread) and wall seconds, and frames."""

    cpu: float = float("inf")
    wall: float = float("inf")
    frames: int = 0

    def keep_best(self, cpu: float, wall: float, frames: int) -> None:
        if cpu < self.cpu:
            self.cpu, self.wall, self.frames = cpu, wall, frames

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / self.frames

    @property
    def fps(self) -> float:
        return self.frames / self.cpu


def _decode(path: Path) -> Iterator[av.VideoFrame]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_type = "NONE"
        yield from container.decode(stream)


def _timed_pass(path: Path, per_frame: Callable[[av.VideoFrame], object]) -> tuple[float, ...]:
    """One decode pass calling per_frame on each frame; (cpu, wall, frames, cpu in per_frame)."""
    frames, inner = 0, 0
    cpu0, wall0 = time.thread_time_ns(), time.perf_counter_ns()
    for frame in _decode(path):
        t0 = time.thread_time_ns()
        per_frame(frame)
        inner += time.thread_time_ns() - t0
        frames += 1
    cpu, wall = time.thread_time_ns() - cpu0, time.perf_counter_ns() - wall0
    return cpu / 1e9, wall / 1e9, frames, inner / 1e9


def _nothing(_frame: av.VideoFrame) -> None:
    return None


def _detect_with(detector: MotionDetector) -> Callable[[av.VideoFrame], object]:
    reader, rows = LumaReader(), detector.settings.grid_height

    def run(frame: av.VideoFrame) -> object:
        grid = reader.read(frame, rows)
        return detector.process_grid(grid, reader.step, reader.height, reader.width)

    return run


def measure(path: Path, repeat: int) -> dict[str, float]:
    """All numbers for one clip."""
    decode, detect = Timing(), Timing()
    detect_inner = gray_inner = rgb_inner = float("inf")
    for _ in range(repeat):  # interleaved, best of each, to share the machine's noise
        cpu, wall, n, _inner = _timed_pass(path, _nothing)
        decode.keep_best(cpu, wall, int(n))
        cpu, wall, n, inner = _timed_pass(path, _detect_with(MotionDetector()))
        detect.keep_best(cpu, wall, int(n))
        detect_inner = min(detect_inner, inner / n)
    for _ in range(max(1, repeat // 2)):
        *_, n, inner = _timed_pass(path, lambda f: f.to_ndarray(format="gray"))
        gray_inner = min(gray_inner, inner / n)
        *_, n, inner = _timed_pass(path, lambda f: f.to_ndarray(format="rgb24"))
        rgb_inner = min(rgb_inner, inner / n)

    # The detector alone, back to back, on decoded frames kept in memory.
    lumas: list[npt.NDArray[np.uint8]] = []
    for frame in _decode(path):
        lumas.append(luma_plane(frame))
        if len(lumas) == 60:
            break
    alone = float("inf")
    for _ in range(5):
        detector = MotionDetector()
        detector.process(lumas[0])
        t0 = time.perf_counter_ns()
        for luma in lumas:
            detector.process(luma)
        alone = min(alone, (time.perf_counter_ns() - t0) / 1e3 / len(lumas))
    return {
        "frames": decode.frames,
        "mbps": path.stat().st_size * 8 / (decode.frames / FPS) / 1e6,
        "dec_ms": decode.cpu_ms,
        "dec_fps": decode.fps,
        "dec_wall_fps": decode.frames / decode.wall,
        "both_fps": detect.fps,
        "both_wall_fps": detect.frames / detect.wall,
        "ratio": detect.cpu / decode.cpu,
        "det_us": detect_inner * 1e6,
        "alone_us": alone,
        "gray_us": gray_inner * 1e6,
        "rgb_us": rgb_inner * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="clip length (10)")
    parser.add_argument("--repeat", type=int, default=3, help="decode passes, best kept (3)")
    args = parser.parse_args()
    print(f"numpy {np.__version__}, PyAV {av.__version__}, {os.cpu_count()} CPUs")
    print("decode: single thread (thread_type NONE); CPU = time.thread_time of this thread\n")
    rows = []
    with tempfile.TemporaryDirectory(prefix="cam_events_bench_") as tmp:
        for width, height, bitrate in CLIPS:
            path = Path(tmp) / f"{height}p.mp4"
            t0 = time.perf_counter()
            encode(path, width, height, bitrate, args.seconds)
            print(f"encoded {height}p in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            rows.append((f"{height}p", measure(path, args.repeat)))
    head = (
        f"{'clip':>5} {'frames':>6} {'Mbit/s':>6} | {'decode':>9} {'dec fps':>11} "
        f"{'dec+det fps':>11} {'ratio':>6} | {'detect':>8} {'alone':>8} "
        f"{'% decode':>8} | {'gray':>8} {'rgb24':>8}"
    )
    units = (
        f"{'':>5} {'':>6} {'':>6} | {'ms/f cpu':>9} {'cpu (wall)':>11} {'cpu (wall)':>11} "
        f"{'cpu':>6} | {'us/f':>8} {'us/f':>8} {'':>8} | {'us/f':>8} {'us/f':>8}"
    )
    print(head)
    print(units)
    for name, r in rows:
        print(
            f"{name:>5} {r['frames']:>6.0f} {r['mbps']:>6.2f} | {r['dec_ms']:>9.2f} "
            f"{r['dec_fps']:>4.0f} ({r['dec_wall_fps']:>4.0f}) "
            f"{r['both_fps']:>4.0f} ({r['both_wall_fps']:>4.0f}) {r['ratio']:>6.3f} | "
            f"{r['det_us']:>8.1f} {r['alone_us']:>8.1f} "
            f"{100 * r['det_us'] / (1000 * r['dec_ms']):>7.2f}% | "
            f"{r['gray_us']:>8.1f} {r['rgb_us']:>8.1f}"
        )
    print(
        "\ndetect = LumaReader.read + MotionDetector.process_grid in the decode loop: what a worker"
        "\n  pays, with the decoder evicting the detector's code and data between frames;"
        "\nalone = the detector back to back on 60 decoded frames kept in memory, best of 5;"
        "\n% decode = detect / decode CPU per frame; ratio = (decode+detect) / decode CPU, whole"
        "\n  passes (noisier). The clip has a moving object in every frame (the costlier path)."
    )


if __name__ == "__main__":
    main()
