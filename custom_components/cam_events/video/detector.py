"""Cheap motion detection on a sampled luma (Y) grid, in numpy only.

The frame's luma is sampled to a grid of about 100 rows by integer striding of a view (no
resize, no RGB, no copy of the full frame; ``luma.py`` reads it from PyAV frames) and compared
with a running-average background. A frame costs four numpy calls on the ~20k-cell grid: copy
the sample in, compare it with the background's upper and lower bound, count. The rest is done
only when it is needed: the background learns every few frames (at a rate scaled to match),
and the bounding box is computed for the frames that are reported. In a decoding worker the
decoder evicts numpy's code and data between two frames, so each call costs far more than its
arithmetic and the number of calls, not the grid's size, sets the price (``bench/streams.py``
measures it in the worker).

Masks and zones (``zones.py``) are prepared once per layout and grid: a masked cell's bounds
are pinned to 0 and 255, so it never counts and a mask costs nothing per frame. With zones the
changed cells are merged into one plane and counted; only when enough of them changed for a
zone to see motion are they packed to bits and counted in every zone at once (a word-wise
AND with the zones' packed cells, a population count, one sum per zone), over an eighth of
the grid's bytes, which is what a frame pays for in a worker whose caches the decoder has
just filled (``bench/streams.py`` measures it there).

Nothing here imports Home Assistant or PyAV.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
import math
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

from .zones import Layout, PreparedLayout, bit_words, prepare

__all__ = ["DetectorSettings", "MotionDetector", "MotionResult", "ZoneResult", "grid_step"]

_FP_SHIFT: Final = 8
"""Fractional bits of the background (luma << 8)."""
_ALPHA_SHIFT: Final = 12
"""Fractional bits of the learning rate: alpha is applied as ``(delta * a) >> 12``."""
MIN_ALPHA: Final = 0.001
"""The background has 8 fraction bits, so learning at a rate ``r`` per step stops short of the
frame by up to ``1 / (256 * r)`` levels: 0.02 at alpha 0.01 (r = 0.26 every 30 frames), 0.13 at
this lowest rate (r = 0.03)."""
LEARN_SPAN: Final = 0.3
"""The background learns every ``LEARN_SPAN / alpha`` frames (1 to ``MAX_LEARN_INTERVAL``), at
the rate of that many frames: every 30th frame (every 2 s at 15 fps) at the default alpha
0.01, every 6th at 0.05, every frame from 0.3."""
MAX_LEARN_INTERVAL: Final = 30
CALIBRATED_RATIO: Final = 0.05
"""While calibrating, a frame changing less than this fraction of the grid ends calibration."""
MAX_CALIBRATION_FRAMES: Final = 10
"""Calibration ends after this many frames even if the scene keeps changing (a busy scene)."""


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


type BBox = tuple[float, float, float, float]


class ZoneResult(NamedTuple):
    """What one frame showed in one enabled zone (a named tuple: made for every frame)."""

    id: str
    motion: bool
    """Motion in the zone (its own minimum area, after the ``min_frames`` debounce)."""
    changed_ratio: float
    """Fraction (0..1) of the zone's (unmasked) cells that differ from the background; 0 on
    frames where fewer cells changed in the whole picture than any zone needs."""
    bbox: BBox | None = None
    """Normalised ``(x0, y0, x1, y1)``, relative to the picture, of the changed cells inside
    the zone. Left None by :meth:`MotionDetector.process`; the worker fills it from
    :meth:`MotionDetector.zone_bbox` for the zones it reports turning on."""


@dataclass(frozen=True, slots=True)
class MotionResult:
    """What one frame showed."""

    motion: bool
    """Motion reported (after the ``min_frames`` debounce)."""
    changed_ratio: float
    """Fraction (0..1) of grid cells that differ from the background."""
    bbox: tuple[float, float, float, float] | None
    """Normalised ``(x0, y0, x1, y1)`` of the changed cells. :meth:`MotionDetector.process`
    leaves it None: the worker fills it from :meth:`MotionDetector.bbox` for the frames it
    reports, so the other frames do not pay for it."""
    lighting_change: bool
    """The frame was taken as a global lighting change and the background was reset."""
    calibrating: bool
    """The background is still being learnt; no motion is reported."""
    zones: tuple[ZoneResult, ...] = ()
    """Each enabled zone, in the layout's order (empty without a layout)."""
    touched: tuple[str, ...] = ()
    """Ids of the zones that had motion, in order of first touch, since the camera and every
    zone were last all still (so the frame that ends a motion still lists them)."""


def grid_step(height: int, grid_height: int) -> int:
    """Rows (and columns) between two samples so that ``height`` gives about ``grid_height``."""
    return max(1, height // grid_height)


_CALIBRATING: Final = MotionResult(False, 0.0, None, False, True)
_STILL: Final = MotionResult(False, 0.0, None, False, False)


class MotionDetector:
    """Running-average background subtraction on a strided luma grid.

    Per frame: subtract the lower bound (the background minus the threshold) from
    ``luma[::s, ::s]``, read in place, compare that with the bounds' span and count the
    cells where it is larger: three numpy calls over one byte plane, which finds both the
    cells above the upper bound and those below the lower one (uint8 arithmetic wraps).

    The background itself is kept in fixed point (int32, 8 fraction bits). Every
    ``LEARN_SPAN / alpha`` frames it moves towards the frame by the rate of that many frames,
    and the bounds are derived from it again; the difference used for that is clipped to the
    threshold, so a changed cell (an object) is learnt at a bounded rate instead of being
    absorbed in proportion to its contrast.

    A frame where at least ``lighting_ratio`` of the grid changed is a lighting change (lights,
    IR switch, exposure jump): the background is reset to it and the detector calibrates.
    While calibrating, each frame becomes the background until one changes by less than
    ``CALIBRATED_RATIO`` of the grid (or ``MAX_CALIBRATION_FRAMES`` have passed).

    Buffers are allocated when the grid size changes, never per frame. Not thread-safe; one
    instance per stream.
    """

    __slots__ = (
        "_a",
        "_active",
        "_bg",
        "_bounds",
        "_busy",
        "_calibration_frames",
        "_cell_bits",
        "_cells",
        "_changed",
        "_changed_cells",
        "_delta",
        "_diff",
        "_fill",
        "_hi",
        "_kept",
        "_layout",
        "_learn_every",
        "_lo",
        "_members",
        "_min_cells",
        "_motion_frames",
        "_offsets",
        "_prepared",
        "_scratch",
        "_settings",
        "_shape",
        "_since_learn",
        "_span",
        "_step",
        "_still",
        "_thr32",
        "_touched",
        "_zone_floor",
        "_zone_frames",
        "_zone_none",
        "_zone_words",
    )

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        """Create a detector; buffers are allocated on the first frame."""
        self._settings = settings or DetectorSettings()
        self._shape = (0, 0)
        self._step = 0
        self._cells = 0
        self._changed = 0
        u8, i32 = np.empty((0, 0), np.uint8), np.empty((0, 0), np.int32)
        self._diff, self._hi, self._lo, self._span = u8, u8, u8, u8
        self._bg, self._delta = i32, i32
        self._bounds = np.empty((2, 0, 0), np.uint8)
        self._scratch = np.empty((2, 0, 0), np.int32)
        self._offsets = np.zeros((2, 1, 1), np.int32)
        self._cell_bits = np.zeros(0, np.bool_)  # the changed cells, padded to 64-bit words
        self._changed_cells = np.empty((0, 0), np.bool_)  # the grid's part of it
        self._zone_words = np.empty((0, 0), np.uint64)
        self._members: npt.NDArray[np.uint64] | None = None  # the prepared zones' words
        self._zone_none: list[int] = []
        self._zone_floor = 0  # fewest changed cells with which a zone sees motion
        self._calibration_frames = 0
        self._motion_frames = 0
        self._since_learn = 0
        self._learn_every = 1
        self._min_cells = 1
        self._a = np.int32(0)
        self._thr32 = np.int32(0)
        self._kept = 1
        self._layout: Layout | None = None
        self._prepared: PreparedLayout | None = None
        self._fill = np.array([255, 0], np.uint8)[:, None, None]  # masked cells' hi and lo
        self._still = _STILL
        self._zone_frames: list[int] = []
        self._touched: tuple[str, ...] = ()
        self._active = False  # camera or any zone in motion at the last frame
        self._busy = False  # ... or a zone counting frames towards motion
        self._apply_settings()

    @property
    def settings(self) -> DetectorSettings:
        """The settings in use."""
        return self._settings

    @property
    def layout(self) -> Layout | None:
        """The masks and zones in use (None: the whole picture counts)."""
        return self._layout

    @property
    def prepared(self) -> PreparedLayout | None:
        """The layout as rasterised for the current grid (None before a frame, or none on)."""
        return self._prepared

    def update_settings(self, settings: DetectorSettings) -> None:
        """Use new settings; the background is kept unless the grid changes."""
        self._settings = settings
        self._apply_settings()
        if self._cells:
            self._prepare()
            self._derive_bounds()

    def set_layout(self, layout: Layout | None) -> None:
        """Use these masks and zones from the next frame on; the background is kept.

        Rasterised here for the current grid, and again whenever the grid changes (a new
        resolution). A layout with nothing enabled is the same as None. Zones' states restart.
        """
        self._layout = layout if layout is not None and layout.active else None
        if self._cells:
            self._prepare()
            self._derive_bounds()

    def reset(self) -> None:
        """Forget the background (after a reconnect, say); the next frame recalibrates."""
        self._shape = (0, 0)
        self._cells = 0
        self._changed = 0
        self._motion_frames = 0
        self._calibration_frames = 0

    def skip(self, frames: int) -> None:
        """Count ``frames`` the detector was not shown (adaptive mode's idle stream).

        They count towards the next learning step, so the background keeps the pace of the
        stream's time rather than of the frames seen; motion needs consecutive frames again.
        """
        if frames > 0:
            self._since_learn += frames
            self._motion_frames = 0

    def peek(self, grid: npt.NDArray[np.uint8], step: int, height: int, width: int) -> bool:
        """Whether a grid (as for :meth:`process_grid`) has enough changed cells for motion.

        Nothing is learnt or counted: the detector is as it was. False while there is no
        background for this grid (the first frame, calibrating).
        """
        if (
            step != self._step
            or height != self._shape[0]
            or width != self._shape[1]
            or self._calibration_frames
        ):
            return False
        changed = int(np.count_nonzero(np.greater(grid, self._hi)))
        changed += int(np.count_nonzero(np.greater(self._lo, grid)))
        floor = self._min_cells
        if self._prepared is not None:
            floor = min(floor, max(1, self._zone_floor))
        return changed >= floor

    def process(self, luma: npt.NDArray[np.uint8]) -> MotionResult:
        """Compare one frame's whole luma plane (2-D uint8, any strides) with the background."""
        if luma.ndim != 2 or luma.dtype != np.uint8 or luma.size == 0:
            raise ValueError(f"expected a 2-D uint8 luma array, got {luma.dtype} {luma.shape}")
        height, width = int(luma.shape[0]), int(luma.shape[1])
        step = grid_step(height, self._settings.grid_height)
        return self.process_grid(luma[::step, ::step], step, height, width)

    def process_grid(
        self, grid: npt.NDArray[np.uint8], step: int, height: int, width: int
    ) -> MotionResult:
        """Compare ``luma[::step, ::step]`` of a ``height`` x ``width`` frame with the background.

        ``step`` must be ``grid_step(height, settings.grid_height)``, as
        ``luma.LumaReader`` reads it; the grid is not checked (the worker's fast path).
        """
        if step != self._step or height != self._shape[0] or width != self._shape[1]:
            return self._start(grid, step, (height, width))
        # A cell changed when its luma is outside [lo, hi]: in uint8 arithmetic, which wraps,
        # exactly when luma - lo > hi - lo (a luma below lo wraps above 255 - lo >= hi - lo).
        # Two passes over the grid, read in place from the frame, in one plane: the
        # differences, then in their place (bytes both) whether each cell changed.
        diff, cells = self._diff, self._changed_cells
        np.subtract(grid, self._lo, diff)
        np.greater(diff, self._span, cells)
        changed = self._changed = int(np.count_nonzero(cells))
        members = self._members
        counts = self._zone_none
        if members is not None and changed >= self._zone_floor:
            # Enough changed for a zone to see motion: the cells packed to bits (their buffer
            # is padded to whole 64-bit words), ANDed with each zone's and counted per zone.
            both = self._zone_words
            np.bitwise_and(np.packbits(self._cell_bits).view(np.uint64), members, both)
            np.bitwise_count(both, both)
            counts = np.add.reduce(both, 1).tolist()
        calibrating = self._calibration_frames
        self._since_learn += 1
        if self._since_learn >= self._learn_every and not calibrating:
            self._learn(grid)
        if not changed and not calibrating:
            self._motion_frames = 0
            if self._busy:
                return self._zoned(False, 0.0, None)
            return self._still
        ratio = changed / self._kept

        if ratio >= self._settings.lighting_ratio:
            self._recalibrate(grid)
            return self._halted(ratio, lighting=True)
        if calibrating:
            if ratio >= CALIBRATED_RATIO and calibrating < MAX_CALIBRATION_FRAMES:
                self._recalibrate(grid)
                return self._halted(ratio, lighting=False)
            self._calibration_frames = 0

        if changed >= self._min_cells:
            self._motion_frames += 1
        else:
            self._motion_frames = 0
        motion = self._motion_frames >= self._settings.min_frames
        if self._prepared is None:
            return MotionResult(motion, ratio, None, False, False)
        return self._zoned(motion, ratio, counts)

    def _halted(self, ratio: float, *, lighting: bool) -> MotionResult:
        """Report a lighting change or calibration frame: no motion anywhere, zones included."""
        if self._prepared is None:
            return MotionResult(False, ratio, None, lighting, True)
        result = self._zoned(False, 0.0, None)
        return replace(result, changed_ratio=ratio, lighting_change=lighting, calibrating=True)

    def _zoned(self, motion: bool, ratio: float, counts: list[int] | None) -> MotionResult:
        """Add each zone's result to the frame's: one index and one bincount over the grid."""
        prepared = self._prepared
        if prepared is None:  # only the still path comes here without a layout
            self._active = self._busy = False
            return MotionResult(motion, ratio, None, False, False)
        zones = prepared.zones
        values = counts if counts is not None else self._zone_none
        frames = self._zone_frames
        debounce = self._settings.min_frames
        touched = self._touched if self._active else ()
        active = motion
        results = []
        for index, zone in enumerate(zones):
            cells = values[index]
            frames[index] = frames[index] + 1 if cells >= zone.min_cells else 0
            on = frames[index] >= debounce
            if on:
                active = True
                if zone.id not in touched:
                    touched = (*touched, zone.id)
            results.append(ZoneResult(zone.id, on, cells / zone.cells if zone.cells else 0.0))
        self._active = active
        self._busy = active or any(frames)
        self._touched = touched
        return MotionResult(motion, ratio, None, False, False, tuple(results), touched)

    def bbox(self) -> BBox | None:
        """Normalised bounding box of the last frame's changed cells, None if none changed."""
        if not self._changed:
            return None
        return self._bbox_of(self._changed_cells)

    def zone_bbox(self, zone_id: str) -> BBox | None:
        """Return the bounding box of the last frame's changed cells inside an enabled zone.

        Normalised, relative to the picture; None if none changed there or the zone is not in
        use.
        """
        prepared = self._prepared
        if not self._changed or prepared is None:
            return None
        zone = next((z for z in prepared.zones if z.id == zone_id), None)
        if zone is None:
            return None
        mask = np.logical_and(self._changed_cells, zone.members)
        return self._bbox_of(mask) if mask.any() else None

    def _bbox_of(self, mask: npt.NDArray[np.bool_]) -> BBox:
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

    def _learn(self, grid: npt.NDArray[np.uint8]) -> None:
        """Move the background towards this frame: ``bg += (clip(cur - bg) * a) >> 12``."""
        self._since_learn = 0
        delta = self._delta
        np.left_shift(grid, _FP_SHIFT, delta, dtype=np.int32)  # cur << 8
        np.subtract(delta, self._bg, delta)
        np.minimum(delta, self._thr32, delta)
        np.maximum(delta, -self._thr32, delta)
        np.multiply(delta, self._a, delta)
        np.right_shift(delta, _ALPHA_SHIFT, delta)
        np.add(self._bg, delta, self._bg)
        self._derive_bounds()

    def _derive_bounds(self) -> None:
        """``hi = min(round(bg) + thr, 255)``, ``lo = max(round(bg) - thr, 0)``, in levels.

        Both at once: ``bg + offsets`` broadcasts to a (2, H, W) scratch, shifted to whole
        levels and clamped into the (2, H, W) uint8 array whose halves are ``hi`` and ``lo``.
        """
        scratch = self._scratch
        np.add(self._bg, self._offsets, scratch)
        np.right_shift(scratch, _FP_SHIFT, scratch)
        np.minimum(scratch, 255, scratch)
        np.maximum(scratch, 0, self._bounds, casting="unsafe")
        prepared = self._prepared
        if prepared is not None and prepared.masked is not None:
            # A masked cell's bounds are 255 and 0: no luma is above or below them.
            np.copyto(self._bounds, self._fill, where=prepared.masked)
        np.subtract(self._hi, self._lo, self._span)

    def _apply_settings(self) -> None:
        s = self._settings
        self._thr32 = np.int32(s.threshold << _FP_SHIFT)
        # Rounding to whole levels, plus and minus the threshold: bounds = (bg + these) >> 8.
        half = 1 << (_FP_SHIFT - 1)
        self._offsets = np.array([half + self._thr32, half - self._thr32], np.int32)[:, None, None]
        self._learn_every = min(MAX_LEARN_INTERVAL, max(1, int(LEARN_SPAN / s.alpha + 1e-9)))
        rate = 1.0 - (1.0 - s.alpha) ** self._learn_every
        self._a = np.int32(max(1, round(rate * (1 << _ALPHA_SHIFT))))
        if self._cells:
            self._min_cells = max(1, math.ceil(s.min_area / 100.0 * self._cells - 1e-9))

    def _prepare(self) -> None:
        """Rasterise the layout for the current grid; reset the zones' states."""
        layout = self._layout
        prepared = None
        if layout is not None:
            height, width = self._shape
            prepared = prepare(layout, self._step, height, width, self._min_cells)
        self._prepared = prepared
        self._kept = max(1, prepared.kept) if prepared is not None else self._cells
        self._zone_frames = [0] * len(prepared.zones) if prepared is not None else []
        self._members = prepared.members if prepared is not None else None
        self._zone_none = [0] * len(prepared.zones) if prepared is not None else []
        self._zone_floor = prepared.zone_floor if prepared is not None else 0
        if prepared is not None and prepared.members is not None:
            self._zone_words = np.empty_like(prepared.members)
        self._touched = ()
        self._active = self._busy = False
        self._still = (
            _STILL
            if prepared is None
            else MotionResult(
                False,
                0.0,
                None,
                False,
                False,
                tuple(ZoneResult(z.id, False, 0.0) for z in prepared.zones),
            )
        )

    def _start(
        self, grid: npt.NDArray[np.uint8], step: int, shape: tuple[int, int]
    ) -> MotionResult:
        """Allocate the buffers for a new grid size and take this frame as the background."""
        size = (int(grid.shape[0]), int(grid.shape[1]))
        if self._diff.shape != size:
            self._bounds = np.empty((2, *size), np.uint8)
            self._hi, self._lo = self._bounds[0], self._bounds[1]
            self._span = np.empty(size, np.uint8)
            self._scratch = np.empty((2, *size), np.int32)
            # One byte per cell, padded with cells that never change to whole 64-bit words
            # (zones count in words, see zones.py); the grid's cells are a view of the front,
            # as differences (uint8) and then as whether they changed (bool).
            self._cell_bits = np.zeros(bit_words(size) * 64, np.bool_)
            self._changed_cells = self._cell_bits[: size[0] * size[1]].reshape(size)
            self._diff = self._changed_cells.view(np.uint8)
            self._bg = np.empty(size, np.int32)
            self._delta = np.empty(size, np.int32)
        self._shape = shape
        self._step = step
        self._cells = size[0] * size[1]
        self._changed = 0
        self._apply_settings()
        self._prepare()
        self._calibration_frames = 0
        self._recalibrate(grid)
        return _CALIBRATING if self._prepared is None else self._halted(0.0, lighting=False)

    def _recalibrate(self, grid: npt.NDArray[np.uint8]) -> None:
        """Take the frame's grid as the background."""
        np.left_shift(grid, _FP_SHIFT, self._bg, dtype=np.int32)
        self._derive_bounds()
        self._calibration_frames += 1
        self._motion_frames = 0
        self._since_learn = 0
