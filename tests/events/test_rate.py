"""The per-camera token bucket: a burst, then a sustained rate; a refusal takes nothing."""

from __future__ import annotations

import pytest

from custom_components.cam_events.events.rate import RATE_BURST, RATE_PER_SECOND, TokenBucket


def test_burst_then_refused_with_the_wait() -> None:
    bucket = TokenBucket(burst=20, rate=10)
    assert [bucket.take(100.0) for _ in range(20)] == [None] * 20
    wait = bucket.take(100.0)
    assert wait == pytest.approx(0.1)
    # Refusals take nothing: asking again at once gives the same wait, not a longer one.
    assert bucket.take(100.0) == pytest.approx(0.1)
    assert bucket.available(100.0) == 0


def test_sustained_rate() -> None:
    bucket = TokenBucket(burst=20, rate=10)
    for _ in range(20):
        bucket.take(0.0)
    accepted = 0
    now = 0.0
    for _ in range(1000):  # asking every 10 ms for 10 s
        now += 0.01
        accepted += bucket.take(now) is None
    assert accepted == pytest.approx(100, abs=1)  # 10 a second


def test_refills_to_the_burst_only() -> None:
    bucket = TokenBucket(burst=5, rate=1)
    for _ in range(5):
        assert bucket.take(0.0) is None
    assert bucket.available(3600.0) == 5
    assert [bucket.take(3600.0) for _ in range(6)][-1] is not None


def test_clock_going_back_adds_nothing() -> None:
    bucket = TokenBucket(burst=1, rate=1)
    assert bucket.take(10.0) is None
    assert bucket.take(5.0) is not None
    assert bucket.take(10.5) is not None  # half a token since 10.0
    assert bucket.take(11.0) is None


def test_defaults_and_bad_limits() -> None:
    bucket = TokenBucket()
    assert (bucket.burst, bucket.rate) == (RATE_BURST, RATE_PER_SECOND) == (20, 10.0)
    for burst, rate in ((0, 1.0), (1, 0.0), (1, float("nan")), (1, float("inf"))):
        with pytest.raises(ValueError, match="burst must be"):
            TokenBucket(burst=burst, rate=rate)
