"""Tamper detection: a covered, blacked-out or blinded lens, told from the picture alone.

A scene normally has texture: its luma spread (standard deviation) stays well above sensor
noise. When a lens is covered, sprayed, blacked out or blinded by a light, the picture turns
nearly uniform. The detector samples the Y plane coarsely twice a second, learns the scene's
usual spread, and reports tampering when the spread stays under `min_contrast` for `hold`
seconds in a scene that usually has at least twice that. Cost: once a second, a strided sample
of ~2 300 cells copied into a preallocated buffer, and two sums (four numpy calls). Cells under
a mask are left out (one more call, a gather of the unmasked ones).
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class TamperSettings:
    """When a picture counts as tampered with."""

    min_contrast: float = 10.0  # luma standard deviation under which the view is "uniform"
    hold: float = 3.0  # seconds the view must stay uniform before it is reported
    release: float = 1.0  # seconds of normal view before the report ends
    interval: float = 1.0  # seconds between checks
    rows: int = 36  # rows of the coarse sample


@dataclass(frozen=True, slots=True)
class TamperResult:
    """A change of the tamper state."""

    active: bool
    contrast: float
    mean: float


class TamperDetector:
    """Follows a stream's frames and reports when tampering starts and ends."""

    def __init__(self, settings: TamperSettings | None = None) -> None:
        """Start with no knowledge of the scene."""
        self._settings = settings or TamperSettings()
        self._sample = np.empty((0, 0), np.float64)
        self._squares = np.empty(0, np.float64)
        self._kept = np.empty(0, np.float64)
        self._masked: npt.NDArray[np.bool_] | None = None
        self._keep = np.empty(0, np.intp)
        self.reset()

    def reset(self) -> None:
        """Forget the scene (after a reconnect)."""
        self.active = False
        self._baseline: float | None = None
        self._since: float | None = None
        self._next_check = 0.0

    def process(
        self,
        luma: npt.NDArray[np.uint8],
        now: float,
        masked: npt.NDArray[np.bool_] | None = None,
    ) -> TamperResult | None:
        """Check a frame if a check is due; return a result only when the state changes.

        ``masked`` (the shape of ``luma``) marks cells to leave out: masks the user drew.
        """
        settings = self._settings
        if now < self._next_check:
            return None
        self._next_check = now + settings.interval
        step = max(1, luma.shape[0] // settings.rows)
        view = luma[::step, ::step]
        if self._sample.shape != view.shape:
            self._sample = np.empty(view.shape, np.float64)
            self._squares = np.empty(view.size, np.float64)
        np.copyto(self._sample, view)
        values = self._sample.reshape(-1)
        if masked is not None:
            values = self._unmasked(values, masked, step)
            if not values.size:  # all masked: nothing to judge
                return None
        if self._squares.size != values.size:
            self._squares = np.empty(values.size, np.float64)
        mean = float(np.add.reduce(values)) / values.size
        np.multiply(values, values, self._squares)
        spread = float(np.add.reduce(self._squares)) / values.size - mean * mean
        contrast = math.sqrt(max(0.0, spread))
        uniform = contrast < settings.min_contrast
        if not uniform and not self.active:
            # Learn what the scene normally looks like (slowly, so tampering is not learnt).
            base = self._baseline
            self._baseline = contrast if base is None else base + (contrast - base) * 0.05
        textured_scene = (self._baseline or 0.0) >= 2 * settings.min_contrast
        suspicious = uniform and textured_scene
        if suspicious == self.active:
            self._since = None
            return None
        if self._since is None:
            self._since = now
        wait = settings.hold if suspicious else settings.release
        if now - self._since < wait:
            return None
        self.active = suspicious
        self._since = None
        return TamperResult(self.active, round(contrast, 1), round(mean, 1))

    def _unmasked(
        self, values: npt.NDArray[np.float64], masked: npt.NDArray[np.bool_], step: int
    ) -> npt.NDArray[np.float64]:
        """Return the sample's values outside the masks (indices worked out once per mask)."""
        if masked is not self._masked:
            self._masked = masked
            self._keep = np.flatnonzero(~masked[::step, ::step])
            self._kept = np.empty(self._keep.size, np.float64)
        np.take(values, self._keep, out=self._kept)
        return self._kept
