"""The adaptive mode's wake rule on its own: baselines per GOP position, spikes, CUSUM, checks."""

from __future__ import annotations

import random

import pytest

from custom_components.cam_events.video.wake import (
    WakeReason,
    WakeRule,
    WakeSettings,
    median_mad,
)

GOP = 15
FPS = 15.0


def camera_gop(rng: random.Random, first: int = 4000, rest: int = 600) -> list[int]:
    """Sizes of one still GOP's predicted frames: large first ones while the encoder refines."""
    sizes = []
    for position in range(1, GOP):
        base = first // position if position <= 3 else rest
        sizes.append(max(20, int(rng.gauss(base, base * 0.06))))
    return sizes


class Feed:
    """Feeds a rule a stream of GOPs, keeping the stream's clock."""

    def __init__(self, rule: WakeRule) -> None:
        self.rule = rule
        self.t = 0.0
        self.reasons: list[tuple[int, int, WakeReason]] = []  # (gop, position, reason)
        self.gops = 0

    def gop(self, sizes: list[int], *, learn: bool = True) -> list[WakeReason | None]:
        self.gops += 1
        self.rule.observe(30000, True, self.t)
        self.t += 1 / FPS
        out = []
        for position, size in enumerate(sizes, 1):
            reason = self.rule.observe(size, False, self.t, learn=learn)
            self.t += 1 / FPS
            out.append(reason)
            if reason is not None:
                self.reasons.append((self.gops, position, reason))
        return out


def warmed_feed(seed: int = 1, gops: int = 12, **settings: float) -> tuple[Feed, random.Random]:
    rng = random.Random(seed)
    settings.setdefault("check_interval", 0.0)
    feed = Feed(WakeRule(WakeSettings(**settings)))  # type: ignore[arg-type]
    for _ in range(gops):
        feed.gop(camera_gop(rng))
    return feed, rng


def test_median_mad() -> None:
    assert median_mad([5]) == (5.0, 0.0)
    assert median_mad([1, 2, 3, 4, 100]) == (3.0, 1.0)
    assert median_mad([4, 1, 3, 2]) == (2.5, 1.0)
    with pytest.raises(ValueError, match="no values"):
        median_mad([])


def test_not_warmed_until_enough_gops() -> None:
    rng = random.Random(0)
    feed = Feed(WakeRule(WakeSettings(min_samples=4)))
    for _ in range(4):
        assert not feed.rule.warmed
        # Before a baseline, even a huge packet wakes nobody (the worker decodes everything).
        assert feed.gop([*camera_gop(rng)[:-1], 10**6]) == [None] * (GOP - 1)
    feed.gop(camera_gop(rng))  # its key frame computes the baselines
    assert feed.rule.warmed
    baseline = feed.rule.baseline(1)
    assert baseline is not None
    assert baseline.samples == 4  # the sizes of the GOPs before that key frame


def test_a_still_stream_never_wakes() -> None:
    feed, rng = warmed_feed(seed=2)
    for _ in range(200):
        feed.gop(camera_gop(rng))
    assert feed.reasons == []


def test_a_larger_frame_wakes_at_its_position() -> None:
    feed, rng = warmed_feed(seed=3)
    sizes = camera_gop(rng)
    # The first predicted frame is ~4000 bytes in a still scene: 2500 bytes there is nothing,
    # but at position 8 (still frames of ~600 bytes) the same size is motion.
    sizes[0] = 2500
    sizes[7] = 2500
    result = feed.gop(sizes)
    assert result[0] is None
    assert result[7] is WakeReason.SIZE
    assert feed.reasons == [(13, 8, WakeReason.SIZE)]


def test_a_small_sustained_rise_wakes_and_a_single_one_does_not() -> None:
    feed, rng = warmed_feed(seed=4)
    sizes = camera_gop(rng)
    sizes[5] = int(600 * 1.25)  # one frame a quarter larger: noise
    assert feed.gop(sizes) == [None] * (GOP - 1)
    sizes = camera_gop(rng)
    for position in range(4, GOP - 1):
        sizes[position] = int(600 * 1.25)  # a small object: every frame a quarter larger
    result = feed.gop(sizes)
    woke = [i + 1 for i, reason in enumerate(result) if reason is not None]
    assert woke, "a sustained rise must wake the stream"
    assert result[woke[0] - 1] is WakeReason.SUSTAINED
    assert woke[0] <= 8  # within three frames of the rise (position 5 on)


def test_a_clean_stream_does_not_wake_on_a_few_bytes() -> None:
    """A still, noiseless scene: P-frames of a few dozen bytes; the floor keeps it asleep."""
    rule = WakeRule(WakeSettings(min_samples=2, check_interval=0.0))
    feed = Feed(rule)
    for _ in range(4):
        feed.gop([38] * (GOP - 1))
    assert feed.gop([38, 45, 60, 38, 90, 38, 38, 38, 38, 38, 70, 38, 38, 38]) == [None] * 14
    assert feed.gop([38] * 7 + [1500] + [38] * 6)[7] is WakeReason.SIZE


def test_what_wakes_is_not_learnt() -> None:
    feed, rng = warmed_feed(seed=5)
    before = feed.rule.baseline(10)
    assert before is not None
    for _ in range(20):
        sizes = camera_gop(rng)
        sizes[9] = 6000
        assert feed.gop(sizes)[9] is WakeReason.SIZE
    after = feed.rule.baseline(10)
    assert after is not None
    assert after.median == pytest.approx(before.median, rel=0.1)


def test_motion_is_not_learnt_when_the_worker_says_so() -> None:
    feed, rng = warmed_feed(seed=6, spike=1000.0, sustained=1000.0)  # nothing wakes
    feed.gop([3 * size for size in camera_gop(rng)], learn=False)  # its key frame refreshes
    before = feed.rule.baseline(10)
    assert before is not None
    for _ in range(20):
        feed.gop([3 * size for size in camera_gop(rng)], learn=False)
    after = feed.rule.baseline(10)
    assert after is not None
    assert after.median == before.median
    for _ in range(20):
        feed.gop([3 * size for size in camera_gop(rng)])
    learnt = feed.rule.baseline(10)
    assert learnt is not None
    assert learnt.median > 2 * before.median  # a new normal (rain, a busier scene) is learnt


def test_periodic_check() -> None:
    rule = WakeRule(WakeSettings(check_interval=5.0), now=100.0)
    rule.observe(30000, True, 100.0)
    assert rule.observe(500, False, 104.9) is None
    assert rule.observe(500, False, 105.0) is WakeReason.CHECK
    rule.awake(105.0)
    assert rule.observe(500, False, 109.0) is None
    assert rule.observe(500, False, 110.1) is WakeReason.CHECK
    never = WakeRule(WakeSettings(check_interval=0.0))
    never.observe(30000, True, 0.0)
    assert never.observe(500, False, 10**6) is None


def test_packets_before_the_first_key_frame_are_not_judged() -> None:
    rule = WakeRule(WakeSettings(check_interval=1.0))
    assert rule.position == -1
    assert rule.observe(500, False, 50.0) is None
    rule.observe(30000, True, 50.0)
    assert rule.position == 0
    assert rule.observe(500, False, 50.1) is WakeReason.CHECK
    assert rule.position == 1


def test_positions_past_the_limit_share_a_pool() -> None:
    rule = WakeRule(WakeSettings(positions=4, min_samples=2, check_interval=0))
    for _ in range(3):
        rule.observe(30000, True, 0.0)
        for _ in range(40):
            rule.observe(300, False, 0.0)
    rule.observe(30000, True, 0.0)
    assert rule.baseline(4) is rule.baseline(39)
    pool = rule.baseline(100)
    assert pool is not None
    assert pool.samples == 4 * 12  # a larger pool: it holds many positions


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"samples": 0}, "samples and positions"),
        ({"positions": 0}, "samples and positions"),
        ({"min_samples": 13}, "min_samples"),
        ({"spike": 0.0}, "spike and sustained"),
        ({"drift": -1.0}, "drift"),
        ({"abs_floor": 0.0}, "abs_floor"),
        ({"check_interval": -1.0}, "check_interval"),
    ],
)
def test_invalid_settings(settings: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WakeSettings(**settings)  # type: ignore[arg-type]
