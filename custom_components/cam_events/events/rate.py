"""A token bucket: how many events a caller may create or trigger on one camera.

The bucket holds up to `burst` tokens and refills at `rate` tokens a second. Each accepted
request takes one token; a request that finds the bucket empty is refused with the time until
the next token, and takes nothing. A refusal is an answer (HTTP 429, a translated error), never
a silent drop: what was accepted is always created.

Nothing here imports Home Assistant; the clock is passed in, so tests need not wait.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math

# Defaults: a burst of 20 events, then 10 a second sustained, per camera.
RATE_BURST = 20
RATE_PER_SECOND = 10.0


@dataclass(slots=True)
class TokenBucket:
    """Tokens refilling continuously at `rate` a second, at most `burst` held."""

    burst: int = RATE_BURST
    rate: float = RATE_PER_SECOND
    _tokens: float = field(init=False)
    _updated: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        """Start full; refuse limits that could never admit anything."""
        if self.burst < 1 or not (math.isfinite(self.rate) and self.rate > 0):
            raise ValueError("burst must be >= 1 and rate a positive number")
        self._tokens = float(self.burst)

    def _refill(self, now: float) -> None:
        if self._updated is not None and now > self._updated:
            self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        if self._updated is None or now > self._updated:
            self._updated = now  # a clock going back never adds tokens

    def take(self, now: float) -> float | None:
        """Take a token at `now` (seconds); None when taken, else seconds until one is free."""
        self._refill(now)
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        return (1 - self._tokens) / self.rate

    def available(self, now: float) -> int:
        """Return the whole tokens free at `now`."""
        self._refill(now)
        return int(self._tokens)
