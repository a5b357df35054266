"""Cheap motion detection on the luma (Y) plane of decoded frames, in numpy only.

The frame is sampled to a small grid by integer striding of a view (no resize, no RGB, no copy
of the full frame), compared with a running-average background kept in fixed point, and the
changed cells are counted: eight numpy calls on a ~20k-cell grid for a still frame, a few more
when something changed. See ``bench/detector.py`` for the cost against H.264 decoding.

Nothing here imports Home Assistant or PyAV.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
import sys
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt

__all__ = ["DetectorSettings", "MotionDetector", "MotionResult", "luma_plane"]

_FP_SHIFT: Final = 8
"""Fractional bits of the background (luma << 8)."""
_ALPHA_SHIFT: Final = 12
"""Fractional bits of the learning rate: alpha is applied as ``(delta * a) >> 12``."""
_LANE: Final = 1 if sys.byteorder == "little" else 2
"""Byte of an int32 holding bits 8..15: a uint8 written there is the value << 8."""
MIN_ALPHA: Final = 0.001
"""The background has 8 fraction bits, so it stops short of the frame by up to
``1 / (256 * alpha)`` levels: 0.4 at alpha 0.01, 3.9 at this lowest rate."""
CALIBRATED_RATIO: Final = 0.05
"""While calibrating, a frame changing less than this fraction of the grid ends calibration."""
MAX_CALIBRATION_FRAMES: Final = 10
"""Calibration ends after this many frames even if the scene keeps changing (a busy scene)."""

_LUMA_FORMATS: Final = frozenset(
    {
        "gray",
        "nv12",
        "nv16",
        "nv21",
        "nv24",
        "yuv410p",
        "yuv411p",
        "yuv420p",
        "yuv422p",
        "yuv440p",
        "yuv444p",
        "yuva420p",
        "yuvj411p",
        "yuvj420p",
        "yuvj422p",
        "yuvj440p",
        "yuvj444p",
    }
)
"""8-bit pixel formats whose plane 0 is the luma plane."""


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    """Tuning of :class:`MotionDetector`; see ``docs/detector.md`` for the defaults."""

    threshold: int = 30
    """Per-pixel luma difference (1..255) from the background that counts as changed."""
    min_area: float = 0.2
    """Percent (0..100) of the grid that must change for the frame to count as motion."""
    grid_height: int = 100
    """Detection grid height in pixels; the width follows the frame's aspect ratio."""
    alpha: float = 0.01
    """Background learning rate per processed frame (0.001..1)."""
    lighting_ratio: float = 0.6
    """Fraction of the grid changing at once taken as a lighting change, not motion."""
    min_frames: int = 2
    """Consecutive motion frames needed before motion is reported."""

    def __post_init__(self) -> None:
        """Reject values the detector cannot use."""
        if not 1 <= self.threshold <= 255:
            raise ValueError(f"threshold must be 1..255, got {self.threshold}")
        if not 0.0 <= self.min_area <= 100.0:
            raise ValueError(f"min_area must be 0..100 percent, got {self.min_area}")
        if self.grid_height < 1:
            raise ValueError(f"grid_height must be >= 1, got {self.grid_height}")
        if not MIN_ALPHA <= self.alpha <= 1.0:
            raise ValueError(f"alpha must be {MIN_ALPHA}..1, got {self.alpha}")
        if not 0.0 < self.lighting_ratio <= 1.0:
            raise ValueError(f"lighting_ratio must be in (0, 1], got {self.lighting_ratio}")
        if self.min_frames < 1:
            raise ValueError(f"min_frames must be >= 1, got {self.min_frames}")


@dataclass(frozen=True, slots=True)
class MotionResult:
    """What one frame showed."""

    motion: bool
    """Motion reported (after the ``min_frames`` debounce)."""
    changed_ratio: float
    """Fraction (0..1) of grid cells that differ from the background."""
    bbox: tuple[float, float, float, float] | None
    """Normalised ``(x0, y0, x1, y1)`` of the changed cells, None if none changed."""
    lighting_change: bool
    """The frame was taken as a global lighting change and the background was reset."""
    calibrating: bool
    """The background is still being learnt; no motion is reported."""


_CALIBRATING: Final = MotionResult(False, 0.0, None, False, True)
_STILL: Final = MotionResult(False, 0.0, None, False, False)


class _Plane(Protocol):
    """The parts of ``av.video.plane.VideoPlane`` that :func:`luma_plane` uses."""

    line_size: int
    width: int
    height: int
    buffer_size: int

    def __buffer__(self, flags: int, /) -> memoryview: ...


def luma_plane(frame: Any) -> npt.NDArray[np.uint8]:
    """Return the luma of a PyAV ``VideoFrame`` as a 2-D uint8 array (H x W).

    For 8-bit planar and semi-planar YUV formats and ``gray`` this is a zero-copy view of plane
    0 that skips the row padding (``line_size``); it keeps the frame alive and must not be
    written to. Any other format is converted with ``frame.to_ndarray(format="gray")``.
    """
    if frame.format.name in _LUMA_FORMATS:
        plane: _Plane = frame.planes[0]
        width, height, line_size = plane.width, plane.height, plane.line_size
        if line_size >= width and plane.buffer_size >= line_size * height:
            rows = np.frombuffer(plane, np.uint8, count=line_size * height)
            return rows.reshape(height, line_size)[:, :width]
    gray: npt.NDArray[np.uint8] = frame.to_ndarray(format="gray")
    return gray


class MotionDetector:
    """Running-average background subtraction on a strided luma grid.

    Per frame: sample ``luma[::s, ::s]`` into an int32 buffer, subtract the fixed-point
    background, threshold the absolute difference, count the changed cells and, if any,
    find their bounding box. The background then moves towards the frame by ``alpha``; the
    difference used for that is clipped to the threshold, so a changed cell (an object) is
    learnt at a bounded rate instead of being absorbed in proportion to its contrast.

    A frame where at least ``lighting_ratio`` of the grid changed is a lighting change (lights,
    IR switch, exposure jump): the background is reset to it and the detector calibrates.
    While calibrating, each frame becomes the background until one changes by less than
    ``CALIBRATED_RATIO`` of the grid (or ``MAX_CALIBRATION_FRAMES`` have passed).

    Not thread-safe; one instance per stream.
    """

    __slots__ = (
        "_a",
        "_bg",
        "_calibration_frames",
        "_cells",
        "_cur",
        "_delta",
        "_diff",
        "_lane",
        "_mask",
        "_min_cells",
        "_motion_frames",
        "_settings",
        "_shape",
        "_step",
        "_thr",
    )

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        """Create a detector; buffers are allocated on the first frame."""
        self._settings = settings or DetectorSettings()
        self._shape = (0, 0)
        self._step = 1
        self._cells = 0
        empty = np.empty((0, 0), np.int32)
        self._cur = empty
        self._lane = np.empty((0, 0), np.uint8)
        self._bg = empty
        self._delta = empty
        self._diff = empty
        self._mask = np.empty((0, 0), np.bool_)
        self._calibration_frames = 0
        self._motion_frames = 0
        self._min_cells = 1
        self._a = np.int32(0)
        self._thr = np.int32(0)
        self._apply_settings()

    @property
    def settings(self) -> DetectorSettings:
        """The settings in use."""
        return self._settings

    def update_settings(self, settings: DetectorSettings) -> None:
        """Use new settings; the background is kept unless the grid changes."""
        old_step = self._step
        self._settings = settings
        if self._cells and self._grid_step(self._shape[0]) != old_step:
            self.reset()
        self._apply_settings()

    def reset(self) -> None:
        """Forget the background (after a reconnect, say); the next frame recalibrates."""
        self._shape = (0, 0)
        self._cells = 0
        self._motion_frames = 0
        self._calibration_frames = 0

    def process(self, luma: npt.NDArray[np.uint8]) -> MotionResult:
        """Compare one frame's luma (2-D uint8, any strides) with the background."""
        if luma.ndim != 2 or luma.dtype != np.uint8 or luma.size == 0:
            raise ValueError(f"expected a 2-D uint8 luma array, got {luma.dtype} {luma.shape}")
        shape = (int(luma.shape[0]), int(luma.shape[1]))
        if shape != self._shape:
            return self._start(shape, luma)
        cur, bg, delta, diff, mask = self._cur, self._bg, self._delta, self._diff, self._mask

        np.copyto(self._lane, luma[:: self._step, :: self._step])  # cur = luma << 8
        np.subtract(cur, bg, out=delta)
        np.absolute(delta, out=diff)
        np.greater(diff, self._thr, out=mask)
        changed = int(np.count_nonzero(mask))
        if not changed and not self._calibration_frames:
            self._motion_frames = 0
            self._learn(delta)
            return _STILL
        ratio = changed / self._cells
        bbox = self._bbox(mask) if changed else None

        if ratio >= self._settings.lighting_ratio:
            self._recalibrate()
            return MotionResult(False, ratio, bbox, True, True)
        if self._calibration_frames:
            if ratio >= CALIBRATED_RATIO and self._calibration_frames < MAX_CALIBRATION_FRAMES:
                self._recalibrate()
                return MotionResult(False, ratio, bbox, False, True)
            self._calibration_frames = 0

        # Changed cells are learnt as if they differed by the threshold only.
        np.clip(delta, -self._thr, self._thr, out=delta)
        self._learn(delta)
        if changed >= self._min_cells:
            self._motion_frames += 1
        else:
            self._motion_frames = 0
        motion = self._motion_frames >= self._settings.min_frames
        return MotionResult(motion, ratio, bbox, False, False)

    def _learn(self, delta: npt.NDArray[np.int32]) -> None:
        """Move the background towards the frame: ``bg += (delta * a) >> 12`` (floored)."""
        np.multiply(delta, self._a, out=delta)
        np.right_shift(delta, _ALPHA_SHIFT, out=delta)
        np.add(self._bg, delta, out=self._bg)

    def _grid_step(self, height: int) -> int:
        return max(1, height // self._settings.grid_height)

    def _apply_settings(self) -> None:
        s = self._settings
        self._thr = np.int32(s.threshold << _FP_SHIFT)
        self._a = np.int32(round(s.alpha * (1 << _ALPHA_SHIFT)))
        if self._cells:
            self._min_cells = max(1, math.ceil(s.min_area / 100.0 * self._cells - 1e-9))

    def _start(self, shape: tuple[int, int], luma: npt.NDArray[np.uint8]) -> MotionResult:
        """Allocate the buffers for a new frame size and take this frame as the background."""
        step = self._grid_step(shape[0])
        grid = luma[::step, ::step].shape
        if self._cur.shape != grid:
            # Bytes other than the lane stay zero, so writing the lane writes luma << 8.
            self._cur = np.zeros(grid, np.int32)
            self._lane = self._cur.view(np.uint8).reshape(*grid, 4)[:, :, _LANE]
            self._bg = np.empty(grid, np.int32)
            self._delta = np.empty(grid, np.int32)
            self._diff = np.empty(grid, np.int32)
            self._mask = np.empty(grid, np.bool_)
        self._shape = shape
        self._step = step
        self._cells = grid[0] * grid[1]
        self._apply_settings()
        np.copyto(self._lane, luma[::step, ::step])
        self._calibration_frames = 0
        self._recalibrate()
        return _CALIBRATING

    def _recalibrate(self) -> None:
        """Take the current grid (already in ``_cur``, fixed point) as the background."""
        np.copyto(self._bg, self._cur)
        self._calibration_frames += 1
        self._motion_frames = 0

    def _bbox(self, mask: npt.NDArray[np.bool_]) -> tuple[float, float, float, float]:
        """Normalised bounding box of the changed cells (at least one is set)."""
        rows = np.logical_or.reduce(mask, axis=1)
        cols = np.logical_or.reduce(mask, axis=0)
        y0 = int(rows.argmax())
        y1 = rows.shape[0] - int(rows[::-1].argmax())
        x0 = int(cols.argmax())
        x1 = cols.shape[0] - int(cols[::-1].argmax())
        step = self._step
        height, width = self._shape
        return (
            x0 * step / width,
            y0 * step / height,
            min(x1 * step, width) / width,
            min(y1 * step, height) / height,
        )
