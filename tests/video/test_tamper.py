"""Tamper detection on synthetic frames: covered, blinded, dark-but-textured, recovery."""

from __future__ import annotations

import numpy as np

from custom_components.cam_events.video.tamper import TamperDetector, TamperSettings
from devtools.clips import background


def _scene() -> np.ndarray:
    return background(640, 360).mean(axis=2).astype(np.uint8)


def _run(detector: TamperDetector, frame: np.ndarray, start: float, seconds: float) -> list:
    changes = []
    t = start
    while t < start + seconds:
        result = detector.process(frame, t)
        if result is not None:
            changes.append((round(t, 2), result))
        t += 1 / 15
    return changes


def test_covered_lens_is_reported_after_hold_and_ends_after_release() -> None:
    detector = TamperDetector(TamperSettings(hold=3.0, release=1.0))
    rng = np.random.default_rng(3)
    scene = _scene()
    assert _run(detector, scene, 0, 10) == []
    covered = np.clip(rng.normal(12, 2, scene.shape), 0, 255).astype(np.uint8)  # a hand, dark
    changes = _run(detector, covered, 10, 6)
    assert len(changes) == 1
    at, result = changes[0]
    assert result.active
    assert 12.9 <= at <= 14.1  # hold of 3 s (checked once a second)
    assert result.contrast < 10
    changes = _run(detector, scene, 16, 3)
    assert [r.active for _, r in changes] == [False]
    assert changes[0][0] - 16 <= 2.1  # release of 1 s, checked once a second


def test_blinded_and_short_covers() -> None:
    detector = TamperDetector()
    scene = _scene()
    _run(detector, scene, 0, 5)
    # Covered for two seconds only (a passing bird, a hand adjusting): not tampering.
    assert _run(detector, np.full(scene.shape, 5, np.uint8), 5, 2) == []
    assert _run(detector, scene, 7, 2) == []
    # Blinded by a light: uniform white.
    changes = _run(detector, np.full(scene.shape, 250, np.uint8), 9, 5)
    assert [r.active for _, r in changes] == [True]
    assert changes[0][1].mean > 240


def test_featureless_scene_is_not_tampering() -> None:
    """A camera that always looks at a plain wall or the night sky never reports tampering."""
    detector = TamperDetector()
    rng = np.random.default_rng(5)
    plain = np.clip(rng.normal(40, 3, (360, 640)), 0, 255).astype(np.uint8)
    assert _run(detector, plain, 0, 30) == []


def test_reset_forgets_the_scene() -> None:
    detector = TamperDetector()
    _run(detector, _scene(), 0, 5)
    detector.reset()
    assert _run(detector, np.zeros((360, 640), np.uint8), 5, 10) == []
    assert not detector.active


def _run_masked(
    detector: TamperDetector, frame: np.ndarray, masked: np.ndarray, start: float, seconds: float
) -> list:
    changes = []
    t = start
    while t < start + seconds:
        result = detector.process(frame, t, masked)
        if result is not None:
            changes.append((round(t, 2), result))
        t += 1 / 15
    return changes


def test_a_mask_is_left_out_of_tamper_detection() -> None:
    """A covered lens with the camera's own clock overlay still in view: masked, it is seen."""
    rng = np.random.default_rng(4)
    scene = _scene()
    covered = np.clip(rng.normal(12, 2, scene.shape), 0, 255).astype(np.uint8)
    covered[:60, :] = scene[:60, :]  # the overlay band keeps its texture over the cover
    masked = np.zeros(scene.shape, np.bool_)
    masked[:60, :] = True
    plain = TamperDetector()
    _run(plain, scene, 0, 10)
    assert _run(plain, covered, 10, 6) == []  # the control: the band's texture hides the cover
    detector = TamperDetector()
    assert _run_masked(detector, scene, masked, 0, 10) == []
    changes = _run_masked(detector, covered, masked, 10, 6)
    assert [r.active for _, r in changes] == [True]
    assert changes[0][1].contrast < 10
    # Everything masked: nothing to judge, nothing reported (and no error).
    assert _run_masked(TamperDetector(), covered, np.ones(scene.shape, np.bool_), 0, 6) == []
    # The mask removed again: the same detector goes back to the whole picture.
    assert [r.active for _, r in _run(detector, scene, 16, 3)] == [False]
