"""When an idle adaptive stream wakes up: packet sizes against the stream's own baseline.

In the ``adaptive`` decode mode the worker decodes key frames only while the scene is still and
watches the size of every other video packet, which costs nothing (no decoding). The encoder
already tells: a predicted frame of a still scene is small (most macroblocks are skipped) and
motion makes it larger. How small depends on the camera, its bitrate control and the scene's
noise, so the rule learns each stream's own baseline:

* per position in the GOP (the first predicted frames after a key frame are often much larger
  than the rest while the encoder refines the picture), the last ``samples`` sizes seen at that
  position (positions past ``positions`` share one pool);
* from them, once per GOP (at each key frame, so a packet costs one comparison), the median and
  the median absolute deviation (MAD), a robust spread that a few large packets do not move;
* a packet wakes the stream when its excess over the median, in units of the spread, is above
  ``spike`` (one clearly larger frame), or when those excesses, less ``drift`` per packet, add
  up to more than ``sustained`` (a CUSUM: a small object making several frames a little larger).

The spread is never taken below ``rel_floor`` of the median nor below ``abs_floor`` bytes, so a
perfectly regular stream (a clean still scene gives P-frames of a few dozen bytes each) does
not wake on every byte. Sizes are learnt only while nothing is happening (the worker says so):
a wake's own packets and those of a motion never become the baseline. A bucket with fewer than
``min_samples`` sizes wakes nobody; the worker decodes everything while the rule warms up.

Nothing here imports Home Assistant or PyAV.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Baseline", "WakeReason", "WakeRule", "WakeSettings", "median_mad"]

MAD_SCALE = 1.4826
"""MAD times this estimates the standard deviation of normally distributed sizes."""


class WakeReason(StrEnum):
    """Why an idle stream woke up."""

    SIZE = "size"  # a predicted frame larger than the baseline (one spike)
    SUSTAINED = "sustained"  # several predicted frames a little larger (CUSUM)
    KEY_FRAME = "key_frame"  # the key frame's detection saw changed cells
    CHECK = "check"  # the periodic check
    WARMUP = "warmup"  # no baseline yet


@dataclass(frozen=True, slots=True)
class WakeSettings:
    """Tuning of :class:`WakeRule`."""

    samples: int = 12
    """Sizes kept per GOP position (12 GOPs: 12 s at a key frame a second)."""
    positions: int = 30
    """GOP positions with a baseline of their own; later positions share one pool."""
    min_samples: int = 4
    """Sizes a position needs before it can wake the stream."""
    spike: float = 4.0
    """A packet this many spreads above its position's median wakes the stream."""
    drift: float = 1.0
    """Spreads subtracted per packet from the running excess (CUSUM allowance)."""
    sustained: float = 4.0
    """The running excess that wakes the stream."""
    rel_floor: float = 0.1
    """The spread is at least this fraction of the median."""
    abs_floor: float = 40.0
    """The spread is at least this many bytes."""
    check_interval: float = 30.0
    """Seconds after which an idle stream is checked anyway (0: never)."""

    def __post_init__(self) -> None:
        """Reject values the rule cannot use."""
        if self.samples < 1 or self.positions < 1:
            raise ValueError("samples and positions must be >= 1")
        if not 1 <= self.min_samples <= self.samples:
            raise ValueError("min_samples must be 1..samples")
        if self.spike <= 0 or self.sustained <= 0 or self.drift < 0:
            raise ValueError("spike and sustained must be > 0, drift >= 0")
        if self.rel_floor < 0 or self.abs_floor <= 0:
            raise ValueError("rel_floor must be >= 0 and abs_floor > 0")
        if self.check_interval < 0:
            raise ValueError("check_interval must be >= 0")


def median_mad(values: list[int]) -> tuple[float, float]:
    """Return the median of ``values`` and their median absolute deviation from it."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    count = len(ordered)
    half = count // 2
    middle = ordered[half] if count % 2 else (ordered[half - 1] + ordered[half]) / 2
    deviations = sorted(abs(value - middle) for value in ordered)
    mad = deviations[half] if count % 2 else (deviations[half - 1] + deviations[half]) / 2
    return float(middle), float(mad)


@dataclass(frozen=True, slots=True)
class Baseline:
    """One GOP position's statistics: the median size and the spread used to judge a packet."""

    median: float
    spread: float
    samples: int


class WakeRule:
    """Decides from packet sizes (and the worker's hints) when an idle stream must decode.

    Feed it every video packet in order with :meth:`observe`; it returns the reason to wake,
    or None. Not thread-safe; one per connection (a new connection starts a new baseline:
    another camera setting may come with it).
    """

    __slots__ = (
        "_baselines",
        "_excess",
        "_history",
        "_last_awake",
        "_pending",
        "_position",
        "settings",
    )

    def __init__(self, settings: WakeSettings | None = None, now: float = 0.0) -> None:
        """Start with no baseline; ``now`` (seconds, any clock) starts the periodic check."""
        self.settings = settings or WakeSettings()
        count = self.settings.positions + 1  # index 0 is unused (key frames are not judged)
        self._history: list[deque[int]] = [
            deque(maxlen=self.settings.samples * (1 if i < self.settings.positions else 4))
            for i in range(count)
        ]
        self._baselines: list[Baseline | None] = [None] * count
        self._pending = False  # sizes learnt since the baselines were computed
        self._position = -1  # packets since the last key frame; -1 before the first
        self._excess = 0.0
        self._last_awake = now

    @property
    def position(self) -> int:
        """The last packet's position in its GOP (0: a key frame; -1: none yet)."""
        return self._position

    def baseline(self, position: int) -> Baseline | None:
        """Return the baseline a packet at ``position`` (>= 1) is judged against, if learnt."""
        return self._baselines[self._bucket(position)]

    def _bucket(self, position: int) -> int:
        return min(position, self.settings.positions)

    def awake(self, now: float) -> None:
        """Tell the rule the stream is decoding everything at ``now`` (restarts the check)."""
        self._last_awake = now
        self._excess = 0.0

    def observe(self, size: int, key: bool, now: float, *, learn: bool = True) -> WakeReason | None:
        """Judge one video packet of ``size`` bytes that arrived at ``now``.

        ``learn``: the packet belongs to the baseline (nothing is happening); a packet that
        wakes the stream is never learnt. Key frames are not judged (the worker decodes and
        detects them) but start a new GOP and refresh the baselines.
        """
        if key:
            self._position = 0
            self._excess = 0.0
            if self._pending:
                self._refresh()
            return None
        if self._position < 0:
            return None  # before the first key frame: nothing to decode from anyway
        self._position += 1
        bucket = self._bucket(self._position)
        reason: WakeReason | None = None
        baseline = self._baselines[bucket]
        settings = self.settings
        if baseline is not None:
            score = (size - baseline.median) / baseline.spread
            if score > settings.spike:
                reason = WakeReason.SIZE
            else:
                self._excess = max(0.0, self._excess + score - settings.drift)
                if self._excess > settings.sustained:
                    reason = WakeReason.SUSTAINED
        if (
            reason is None
            and settings.check_interval
            and (now - self._last_awake >= settings.check_interval)
        ):
            reason = WakeReason.CHECK
        if reason is None and learn:
            self._history[bucket].append(size)
            self._pending = True
        return reason

    def _refresh(self) -> None:
        """Recompute every position's median and spread from its sizes (once per GOP)."""
        self._pending = False
        settings = self.settings
        for bucket, sizes in enumerate(self._history):
            if len(sizes) < settings.min_samples:
                self._baselines[bucket] = None
                continue
            middle, mad = median_mad(list(sizes))
            spread = max(MAD_SCALE * mad, settings.rel_floor * middle, settings.abs_floor)
            self._baselines[bucket] = Baseline(middle, spread, len(sizes))

    @property
    def warmed(self) -> bool:
        """Whether the first predicted position has a baseline (the rule can wake the stream)."""
        return self._baselines[1] is not None
