"""Synthetic test scenes and H.264 clips generated with PyAV at run time (no media committed)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray


def background(width: int, height: int, seed: int = 1) -> NDArray[np.uint8]:
    """Return a static textured RGB scene: gradients, bars and blocks, like a room."""
    rng = np.random.default_rng(seed)
    y = np.linspace(40, 200, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 60, width, dtype=np.float32)[None, :]
    base = np.clip(y + x, 0, 255).astype(np.uint8)
    frame = np.stack([base, base, base], axis=-1)
    for _ in range(12):
        w, h = rng.integers(width // 16, width // 4), rng.integers(height // 16, height // 4)
        x0, y0 = rng.integers(0, width - w), rng.integers(0, height - h)
        frame[y0 : y0 + h, x0 : x0 + w] = rng.integers(30, 220, 3, dtype=np.uint8)
    return frame


def draw_object(frame: NDArray[np.uint8], t: float, size: int | None = None) -> NDArray[np.uint8]:
    """Return a copy of `frame` with a bright square at its position for time `t` (seconds)."""
    height, width = frame.shape[:2]
    size = size or max(8, height // 6)
    span = width - size
    x0 = int((t * width / 3) % (2 * span))
    x0 = x0 if x0 < span else 2 * span - x0
    y0 = (height - size) // 2 + int(height / 6 * np.sin(t * 2))
    out = frame.copy()
    out[y0 : y0 + size, x0 : x0 + size] = (250, 40, 40)
    out[y0 + size // 4 : y0 + 3 * size // 4, x0 + size // 4 : x0 + 3 * size // 4] = (20, 20, 20)
    return out


def make_clip(
    path: Path,
    *,
    width: int = 640,
    height: int = 360,
    fps: int = 15,
    seconds: float = 6.0,
    motion: Sequence[tuple[float, float]] = ((2.0, 4.0),),
    covered: Sequence[tuple[float, float]] = (),
    bitrate: int = 1_000_000,
) -> Path:
    """Write an H.264 MP4 of a still scene, with events in it.

    A moving object appears during each `motion` range, and a dark, almost uniform picture
    (a covered lens) during each `covered` range.
    """
    scene = background(width, height)
    dark = np.full_like(scene, 14)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.bit_rate = bitrate
        stream.codec_context.time_base = Fraction(1, fps)
        stream.options = {"preset": "veryfast", "g": str(fps), "tune": "zerolatency"}
        for index in range(int(seconds * fps)):
            t = index / fps
            moving = any(start <= t < end for start, end in motion)
            rgb = draw_object(scene, t) if moving else scene
            if any(start <= t < end for start, end in covered):
                rgb = dark
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def main() -> None:
    """Write a demo clip: still, then an object moving across, looping well."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=40.0)
    args = parser.parse_args()
    third = args.seconds / 2
    make_clip(
        args.path,
        width=args.width,
        height=args.height,
        fps=args.fps,
        seconds=args.seconds,
        motion=((third, args.seconds - 4.0),),
        bitrate=2_000_000,
    )


if __name__ == "__main__":
    main()
