"""Tests for the numpy motion detector, on synthetic frames and real PyAV frames."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import pytest

from custom_components.cam_events.video.detector import (
    DetectorSettings,
    MotionDetector,
    MotionResult,
)
from custom_components.cam_events.video.luma import LumaReader, luma_plane
from custom_components.cam_events.video.zones import Area, AreaKind, Layout, parse_polygon

Frame = npt.NDArray[np.uint8]

H, W = 360, 640
STEP = H // DetectorSettings().grid_height  # grid step at 360p with the default grid: 3 px
OBJ = 40


class Scene:
    """A textured static background with sensor noise and optional bright squares."""

    def __init__(self, height: int = H, width: int = W, sigma: float = 4.0, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        # 8x8 px blocks of luma 20..180: texture with edges, far from clipping either way.
        blocks = self.rng.integers(20, 181, (height // 8 + 1, width // 8 + 1))
        self.background = blocks.repeat(8, 0).repeat(8, 1)[:height, :width].astype(np.float32)
        self.sigma = sigma
        self.offset = 0.0

    def frame(self, *objects: tuple[int, int, int]) -> Frame:
        """One frame; each object is (x, y, size), a square of luma 250."""
        img = self.background + self.offset
        img = img + self.rng.normal(0.0, self.sigma, img.shape).astype(np.float32)
        for x, y, size in objects:
            img[y : y + size, x : x + size] = 250.0
        return np.clip(img, 0, 255).astype(np.uint8)


def settle(detector: MotionDetector, scene: Scene, frames: int = 10) -> None:
    """Feed static frames until the detector is calibrated."""
    for _ in range(frames):
        result = detector.process(scene.frame())
    assert not result.calibrating
    assert not result.motion


def walk(x0: int, y: int, dx: int, frames: int) -> Iterator[tuple[int, int, int]]:
    """Positions of a 40 px square moving right by dx px per frame."""
    for i in range(frames):
        yield (x0 + i * dx, y, OBJ)


def test_first_frame_calibrates_and_reset_forgets() -> None:
    """The first frame only seeds the background; reset() starts over."""
    scene = Scene()
    detector = MotionDetector()
    first = detector.process(scene.frame())
    assert first == MotionResult(False, 0.0, None, False, True)
    settle(detector, scene)
    detector.reset()
    # Even a frame with an object is only a background after reset.
    assert detector.process(scene.frame((100, 100, OBJ))).calibrating


def test_static_noise_gives_no_motion() -> None:
    """Sigma 5 noise on a textured scene never counts as motion (threshold 30 = 6 sigma)."""
    scene = Scene(sigma=5.0)
    detector = MotionDetector()
    results = [detector.process(scene.frame()) for _ in range(300)]
    assert results[0].calibrating
    assert not any(r.motion or r.lighting_change for r in results)
    assert max(r.changed_ratio for r in results) < 0.001


def test_moving_object_is_detected_with_bbox() -> None:
    """A 40x40 square moving across 640x360 is motion, and the box is where the square is."""
    scene = Scene()
    detector = MotionDetector()
    settle(detector, scene)
    results = []
    for pos in walk(100, 150, 8, 30):
        result = detector.process(scene.frame(pos))
        assert result.bbox is None  # left to bbox(), for the frames that are reported
        results.append((pos, result, detector.bbox()))
    # Debounced by min_frames (2): the first frame is not yet reported, the rest are.
    assert not results[0][1].motion
    assert all(r.motion for _, r, _ in results[1:])
    tol = STEP / W + 1e-9, STEP / H + 1e-9
    for (x, y, size), r, bbox in results:
        assert bbox is not None
        x0, y0, x1, y1 = bbox
        # The box covers the square, to within one grid cell, and not much more:
        # the old positions were not learnt into the background.
        assert x / W - tol[0] <= x0 <= x / W + tol[0]
        assert y / H - tol[1] <= y0 <= y / H + tol[1]
        assert (x + size) / W - tol[0] <= x1 <= (x + size) / W + tol[0]
        assert (y + size) / H - tol[1] <= y1 <= (y + size) / H + tol[1]
        assert 0.004 < r.changed_ratio < 0.01  # ~13x13 of 120x214 cells


def test_slow_object_is_not_absorbed_but_a_parked_one_is() -> None:
    """An object creeping 1 px/frame stays motion; once it stops, it fades into the background."""
    scene = Scene()
    detector = MotionDetector(DetectorSettings(alpha=0.05))
    settle(detector, scene)
    creeping = [detector.process(scene.frame(pos)) for pos in walk(200, 100, 1, 60)]
    assert all(r.motion for r in creeping[1:])
    parked = [detector.process(scene.frame((259, 100, OBJ))) for _ in range(300)]
    assert parked[0].motion
    assert not parked[-1].motion
    assert parked[-1].changed_ratio == 0.0
    assert detector.bbox() is None


def test_lighting_step_is_not_motion_and_detection_recovers() -> None:
    """+60 luma over the whole frame is a lighting change; then a moving object is motion again."""
    scene = Scene()
    detector = MotionDetector()
    settle(detector, scene)
    scene.offset = 60.0
    step = detector.process(scene.frame())
    assert step.lighting_change
    assert not step.motion
    assert step.changed_ratio > 0.95
    after = [detector.process(scene.frame()) for _ in range(20)]
    assert not any(r.motion or r.lighting_change for r in after)
    assert not after[-1].calibrating
    moving = [detector.process(scene.frame(pos)) for pos in walk(300, 200, 8, 10)]
    assert all(r.motion for r in moving[1:])


def test_settling_exposure_after_lighting_change_is_not_motion() -> None:
    """After a lighting change, a frame still changing by 5%+ keeps calibrating, not motion."""
    scene = Scene()
    detector = MotionDetector()
    settle(detector, scene)
    scene.offset = 60.0
    assert detector.process(scene.frame()).lighting_change
    scene.background[:, : W // 2] += 40.0  # half the picture settles later (ratio ~0.5 < 0.6)
    settling = detector.process(scene.frame())
    assert settling.calibrating
    assert not settling.lighting_change
    assert not settling.motion
    assert 0.3 < settling.changed_ratio < 0.6
    after = [detector.process(scene.frame()) for _ in range(5)]
    assert not after[0].calibrating
    assert not any(r.motion for r in after)


def test_busy_scene_ends_calibration_after_a_bounded_number_of_frames() -> None:
    """A scene that keeps changing does not keep the detector calibrating forever."""
    scene = Scene()
    detector = MotionDetector(DetectorSettings(min_frames=1))
    # A 200x200 square moving 30 px per frame changes ~5-6% of the grid each frame.
    results = [detector.process(scene.frame((10 + 30 * i, 100, 200))) for i in range(14)]
    assert all(r.calibrating and not r.motion for r in results[:10])
    assert not any(r.lighting_change for r in results)
    assert all(r.motion and not r.calibrating for r in results[10:])


def test_min_area_is_respected() -> None:
    """A 6x6 px object (4 cells, 0.016%) is seen but is below the default 0.2% area."""
    scene = Scene()
    small = [(100 + 12 * i, 100, 6) for i in range(10)]
    detector = MotionDetector()
    settle(detector, scene)
    ignored = []
    for pos in small:
        ignored.append(detector.process(scene.frame(pos)))
        assert detector.bbox() is not None
    assert all(r.changed_ratio > 0 for r in ignored)
    assert not any(r.motion for r in ignored)
    sensitive = MotionDetector(DetectorSettings(min_area=0.01))
    settle(sensitive, scene)
    seen = [sensitive.process(scene.frame(pos)) for pos in small]
    assert all(r.motion for r in seen[1:])


def test_min_frames_debounces() -> None:
    """With min_frames=3 the first two motion frames are not reported."""
    scene = Scene()
    detector = MotionDetector(DetectorSettings(min_frames=3))
    settle(detector, scene)
    results = [detector.process(scene.frame(pos)).motion for pos in walk(100, 100, 8, 5)]
    assert results == [False, False, True, True, True]


def test_frame_size_change_recalibrates() -> None:
    """A new resolution reallocates, recalibrates and then detects at the new size."""
    detector = MotionDetector()
    settle(detector, Scene())
    big = Scene(720, 1280, seed=1)
    assert detector.process(big.frame()).calibrating
    settle(detector, big)
    results = [detector.process(big.frame(pos)) for pos in walk(100, 300, 16, 5)]
    # 40 px at 720p is 0.17% of the frame: below the default area, so use a larger square.
    assert not any(r.motion for r in results)
    results = [detector.process(big.frame((100 + 16 * i, 300, 80))) for i in range(5)]
    assert all(r.motion for r in results[1:])
    assert detector.process(Scene(seed=2).frame()).calibrating


def test_padded_views_give_the_same_results() -> None:
    """A non-contiguous view (row padding, as PyAV's line size) behaves like a dense array."""
    scene = Scene()
    frames = [scene.frame() for _ in range(5)] + [scene.frame(p) for p in walk(50, 50, 8, 10)]
    dense, padded = MotionDetector(), MotionDetector()
    buffer = np.zeros((H, W + 64), np.uint8)
    for frame in frames:
        buffer[:, :W] = frame
        view = buffer[:, :W]
        assert not view.flags.c_contiguous
        assert dense.process(frame) == padded.process(view)
        assert dense.bbox() == padded.bbox()
    assert dense.bbox() is not None


def test_update_settings_keeps_background_and_applies() -> None:
    """New thresholds apply at once; the background survives unless the grid changes."""
    scene = Scene()
    detector = MotionDetector()
    settle(detector, scene)
    detector.update_settings(DetectorSettings(threshold=250, min_frames=1))
    assert detector.settings.threshold == 250
    blind = detector.process(scene.frame((100, 100, OBJ)))
    assert not blind.calibrating
    assert not blind.motion
    detector.update_settings(DetectorSettings(min_frames=1))
    assert detector.process(scene.frame((110, 100, OBJ))).motion
    detector.update_settings(DetectorSettings(grid_height=50))  # 360 // 50 = 7 px: new grid
    assert detector.process(scene.frame()).calibrating


def test_bad_input_and_settings_are_rejected() -> None:
    """Wrong arrays and out-of-range settings raise ValueError."""
    detector = MotionDetector()
    with pytest.raises(ValueError, match="2-D uint8"):
        detector.process(np.zeros((H, W), np.uint16))
    with pytest.raises(ValueError, match="2-D uint8"):
        detector.process(np.zeros((H, W, 3), np.uint8))
    for name, value in (
        ("threshold", 0),
        ("threshold", 256),
        ("min_area", 101.0),
        ("grid_height", 0),
        ("alpha", 0.0),
        ("lighting_ratio", 1.5),
        ("min_frames", 0),
    ):
        with pytest.raises(ValueError, match=name):
            DetectorSettings(**{name: value})  # type: ignore[arg-type]


def _texture(height: int, width: int) -> Frame:
    rng = np.random.default_rng(7)
    return rng.integers(16, 236, (height, width), dtype=np.uint8)


@pytest.mark.parametrize("fmt", ["yuv420p", "yuvj420p"])
def test_luma_plane_yuv420p_is_a_zero_copy_view(fmt: str) -> None:
    """Plane 0 of a padded yuv420p frame is returned as a view without the padding."""
    height, width = 90, 150  # a width whose line size is padded
    y = _texture(height, width)
    chroma = np.full((height // 2, width), 128, np.uint8)
    frame = av.VideoFrame.from_ndarray(np.vstack([y, chroma]), format="yuv420p")
    if fmt != "yuv420p":
        frame = frame.reformat(format=fmt)
    assert frame.planes[0].line_size > width
    luma = luma_plane(frame)
    assert luma.shape == (height, width)
    assert not luma.flags.owndata
    assert not luma.flags.c_contiguous
    if fmt == "yuv420p":
        np.testing.assert_array_equal(luma, y)
    else:  # limited -> full range: a monotonic stretch of the same picture
        assert np.corrcoef(luma.ravel(), y.ravel())[0, 1] > 0.999


def test_luma_plane_gray_and_nv12() -> None:
    """gray and nv12 frames are read from plane 0 directly."""
    y = _texture(64, 96)
    gray = av.VideoFrame.from_ndarray(y, format="gray")
    np.testing.assert_array_equal(luma_plane(gray), y)
    assert not luma_plane(gray).flags.owndata
    yuv = av.VideoFrame.from_ndarray(
        np.vstack([y, np.full((32, 96), 128, np.uint8)]), format="yuv420p"
    )
    nv12 = yuv.reformat(format="nv12")
    np.testing.assert_array_equal(luma_plane(nv12), y)


def test_luma_plane_rgb_falls_back_to_gray_conversion() -> None:
    """Non-YUV frames are converted; a grey RGB picture keeps its levels."""
    levels = _texture(48, 80)
    rgb = av.VideoFrame.from_ndarray(np.repeat(levels[:, :, None], 3, axis=2), format="rgb24")
    luma = luma_plane(rgb)
    assert luma.shape == (48, 80)
    assert luma.dtype == np.uint8
    assert np.abs(luma.astype(np.int16) - levels).max() <= 2


def test_detector_runs_on_real_frames() -> None:
    """luma_plane output of padded PyAV frames feeds the detector: static, then motion."""
    scene = Scene(height=180, width=330)
    detector = MotionDetector()
    chroma = np.full((90, 330), 128, np.uint8)
    results = []
    for i in range(15):
        img = scene.frame() if i < 8 else scene.frame((20 + 10 * i, 50, 30))
        frame = av.VideoFrame.from_ndarray(np.vstack([img, chroma]), format="yuv420p")
        results.append(detector.process(luma_plane(frame)))
    assert not any(r.motion for r in results[:8])
    assert all(r.motion for r in results[9:])


def test_luma_reader_samples_the_grid_in_place() -> None:
    """LumaReader gives luma[::step, ::step] as a view of the frame, then follows a new format."""
    height, width = 360, 642  # a padded line size
    y = _texture(height, width)
    chroma = np.full((height // 2, width), 128, np.uint8)
    frame = av.VideoFrame.from_ndarray(np.vstack([y, chroma]), format="yuv420p")
    reader = LumaReader()
    grid = reader.read(frame, 100)
    assert (reader.step, reader.height, reader.width) == (3, height, width)
    np.testing.assert_array_equal(grid, y[::3, ::3])
    assert not grid.flags.owndata
    # The detector fed from the reader sees what it sees from the whole plane.
    direct, sampled = MotionDetector(), MotionDetector()
    assert direct.process(y) == sampled.process_grid(grid, reader.step, height, width)
    # Same size, another layout (packed RGB): read through FFmpeg's gray conversion instead.
    rgb = av.VideoFrame.from_ndarray(np.repeat(y[:, :, None], 3, axis=2), format="rgb24")
    gray = reader.read(rgb, 100)
    assert gray.shape == grid.shape
    assert np.abs(gray.astype(np.int16) - y[::3, ::3]).max() <= 2


def test_background_follows_changes_below_the_threshold() -> None:
    """Three +15 level changes are each learnt (every 30th frame, at that many frames' rate),
    so none is motion; the same +45 at once is a lighting change."""
    scene = Scene()
    detector = MotionDetector()
    settle(detector, scene, frames=300)  # the background averages the noise of many frames
    for offset in (15.0, 30.0, 45.0):
        scene.offset = offset
        first = detector.process(scene.frame())
        assert first.changed_ratio < 0.01  # 15 levels is under 30 even with 3.75 sigma noise
        drifting = [detector.process(scene.frame()) for _ in range(300)]  # 20 s at 15 fps
        assert not any(r.motion or r.lighting_change for r in drifting)

    fresh = MotionDetector()
    settle(fresh, Scene())
    jump = Scene()
    jump.offset = 45.0
    assert fresh.process(jump.frame()).lighting_change


# ---- masks and zones ------------------------------------------------------------------------


def _area(area_id: str, kind: AreaKind, text: str, **kwargs: Any) -> Area:
    return Area(area_id, area_id.title(), kind, parse_polygon(text), **kwargs)


def _box(x0: float, y0: float, x1: float, y1: float) -> str:
    """A rectangle's polygon text, in relative coordinates."""
    return f"{x0},{y0} {x1},{y0} {x1},{y1} {x0},{y1}"


# Relative rectangles of the 640x360 scene: the walk below runs along y 150..190 px.
LEFT = _box(0.0, 0.3, 0.45, 0.7)  # x 0..288 px
RIGHT = _box(0.55, 0.3, 1.0, 0.7)  # x 352..640 px
ELSEWHERE = _box(0.0, 0.8, 1.0, 1.0)  # the bottom fifth, away from every walk


def zoned(*areas: Area, settings: DetectorSettings | None = None) -> MotionDetector:
    """A calibrated detector with these masks and zones."""
    detector = MotionDetector(settings)
    detector.set_layout(Layout(areas))
    return detector


def test_motion_inside_a_mask_gives_nothing() -> None:
    scene = Scene()
    path = list(walk(100, 150, 8, 20))  # x 100..332, y 150..190: inside the mask below
    unmasked = MotionDetector()
    settle(unmasked, scene)
    control = [unmasked.process(scene.frame(p)) for p in path]
    assert all(r.motion for r in control[1:])
    detector = zoned(_area("tree", AreaKind.MASK, _box(0.1, 0.3, 0.55, 0.6)))
    settle(detector, scene)
    results = [detector.process(scene.frame(p)) for p in path]
    assert not any(r.motion for r in results)
    assert all(r.changed_ratio == 0.0 for r in results)
    assert detector.bbox() is None
    # Outside the mask the same object is motion at once (the background was kept learning).
    outside = [detector.process(scene.frame(p)) for p in walk(400, 150, 8, 5)]
    assert all(r.motion for r in outside[1:])


def test_motion_in_a_zone_turns_on_that_zone_only() -> None:
    scene = Scene()
    detector = zoned(
        _area("drive", AreaKind.ZONE, LEFT),
        _area("door", AreaKind.ZONE, RIGHT),
        _area("lawn", AreaKind.ZONE, ELSEWHERE),
    )
    settle(detector, scene)
    still = detector.process(scene.frame())
    assert [(z.id, z.motion) for z in still.zones] == [
        ("drive", False),
        ("door", False),
        ("lawn", False),
    ]
    results = [detector.process(scene.frame(p)) for p in walk(60, 150, 8, 20)]  # x 60..252
    assert all(r.motion for r in results[1:])  # the camera's own motion is unchanged
    for result in results[1:]:
        drive, door, lawn = result.zones
        assert drive.motion
        assert not door.motion
        assert not lawn.motion
        # 40x40 px of the zone's 288x144 px, to within the grid's cells.
        assert 0.03 < drive.changed_ratio < 0.06
        assert door.changed_ratio == 0.0 == lawn.changed_ratio
        assert result.touched == ("drive",)
    bbox = detector.zone_bbox("drive")
    assert bbox is not None
    x, y, size = 60 + 19 * 8, 150, OBJ
    tol_x, tol_y = STEP / W + 1e-9, STEP / H + 1e-9
    assert abs(bbox[0] - x / W) <= tol_x
    assert abs(bbox[2] - (x + size) / W) <= tol_x
    assert abs(bbox[1] - y / H) <= tol_y
    assert abs(bbox[3] - (y + size) / H) <= tol_y
    assert detector.zone_bbox("door") is None
    assert detector.zone_bbox("nope") is None
    # The object leaves: the zone and the camera go off; the last frame still says which zone.
    ending = [detector.process(scene.frame()) for _ in range(2)]
    assert not ending[0].motion
    assert ending[0].touched == ("drive",)
    assert not any(z.motion for z in ending[0].zones)
    assert ending[1].touched == ()


def test_motion_crossing_two_zones_lists_both_in_order() -> None:
    scene = Scene()
    detector = zoned(
        _area("door", AreaKind.ZONE, RIGHT),  # listed first, touched second
        _area("drive", AreaKind.ZONE, LEFT),
    )
    settle(detector, scene)
    results = [detector.process(scene.frame(p)) for p in walk(120, 150, 12, 30)]  # x 120..468
    on = [tuple(z.id for z in r.zones if z.motion) for r in results]
    assert ("drive",) in on
    assert ("door",) in on
    assert on.index(("drive",)) < on.index(("door",))
    assert all(r.motion for r in results[1:])
    assert results[-1].touched == ("drive", "door")
    # The list keeps the order of first touch for as long as the motion lasts.
    assert next(r.touched for r in results if r.touched) == ("drive",)


def test_a_zone_switched_off_ignores_its_motion() -> None:
    scene = Scene()
    layout = Layout((_area("drive", AreaKind.ZONE, LEFT), _area("door", AreaKind.ZONE, RIGHT)))
    detector = MotionDetector()
    detector.set_layout(layout.with_enabled("drive", False))
    settle(detector, scene)
    results = [detector.process(scene.frame(p)) for p in walk(60, 150, 8, 10)]
    assert all(r.motion for r in results[1:])  # a zone is not a mask: the camera still sees it
    assert all([z.id for z in r.zones] == ["door"] for r in results)
    assert not any(z.motion for r in results for z in r.zones)
    assert all(r.touched == () for r in results)
    # Switched on again, live: the background is kept and the zone sees the motion.
    detector.set_layout(layout)
    again = [detector.process(scene.frame(p)) for p in walk(60, 150, 8, 5)]
    assert not any(r.calibrating for r in again)
    assert all(r.zones[0].motion for r in again[1:])
    assert again[-1].touched == ("drive",)


def test_a_zone_with_its_own_minimum_area() -> None:
    scene = Scene()
    detector = zoned(
        _area("door", AreaKind.ZONE, LEFT, min_area=10.0),  # 10 % of the zone: > 40x40 px
        _area("drive", AreaKind.ZONE, LEFT),
    )
    settle(detector, scene)
    small = [detector.process(scene.frame(p)) for p in walk(60, 150, 8, 5)]
    assert all(r.zones[1].motion and not r.zones[0].motion for r in small[1:])
    big = [detector.process(scene.frame((60 + 8 * i, 130, 90))) for i in range(5)]
    assert all(r.zones[0].motion and r.zones[1].motion for r in big[1:])
    assert big[-1].touched == ("drive", "door")


def test_lighting_change_under_a_mask_is_neither_lighting_nor_motion() -> None:
    """A lit window (70 % of the picture) under a mask changes nothing; outside, motion is seen."""
    scene = Scene()
    lit = (slice(0, H), slice(0, int(W * 0.7)))
    plain = MotionDetector()
    settle(plain, scene)
    detector = zoned(_area("window", AreaKind.MASK, _box(0.0, 0.0, 0.72, 1.0)))
    settle(detector, scene)
    scene.background[lit] += 60.0
    assert plain.process(scene.frame()).lighting_change  # the control
    results = [detector.process(scene.frame()) for _ in range(5)]
    assert not any(r.lighting_change or r.calibrating or r.motion for r in results)
    assert all(r.changed_ratio == 0.0 for r in results)
    moving = [detector.process(scene.frame(p)) for p in walk(500, 150, 8, 5)]
    assert all(r.motion and not r.calibrating for r in moving[1:])
    # The unmasked part alone: a lighting change there is measured against the unmasked cells.
    scene.background[:, int(W * 0.75) :] += 60.0
    step = detector.process(scene.frame())
    assert step.lighting_change
    assert not step.motion
    assert step.changed_ratio > 0.6


def test_layout_follows_a_resolution_change() -> None:
    detector = zoned(
        _area("door", AreaKind.ZONE, RIGHT), _area("top", AreaKind.MASK, _box(0, 0, 1, 0.25))
    )
    settle(detector, Scene())
    small = detector.prepared
    assert small is not None
    big = Scene(720, 1280, seed=1)
    assert detector.process(big.frame()).calibrating
    settle(detector, big)
    prepared = detector.prepared
    assert prepared is not None
    assert prepared.shape != small.shape
    share = prepared.zones[0].cells / prepared.kept
    assert abs(share - small.zones[0].cells / small.kept) < 0.01
    results = [detector.process(big.frame((800 + 16 * i, 300, 80))) for i in range(5)]
    assert all(r.zones[0].motion for r in results[1:])
    masked = [detector.process(big.frame((800 + 16 * i, 20, 80))) for i in range(5)]
    assert not any(r.motion for r in masked[2:])


def test_no_layout_gives_the_plain_results() -> None:
    """An empty layout, or one with nothing on, is the same as none: no zones reported."""
    scene = Scene()
    for layout in (None, Layout(), Layout((_area("z", AreaKind.ZONE, LEFT, enabled=False),))):
        detector = MotionDetector()
        detector.set_layout(layout)
        settle(detector, scene)
        results = [detector.process(scene.frame(p)) for p in walk(60, 150, 8, 4)]
        assert all(r.motion and r.zones == () and r.touched == () for r in results[1:])
        assert detector.prepared is None


def test_zone_counts_match_the_picture_on_an_odd_sized_grid() -> None:
    """A zone over the whole picture counts what the camera counts, padding or not."""
    scene = Scene(101, 157, seed=2)  # 101 x 157 cells at step 1: not whole 64-bit words
    whole = _area("all", AreaKind.ZONE, _box(0, 0, 1, 1))
    half = _area("half", AreaKind.ZONE, _box(0, 0, 0.5, 1))
    detector = zoned(whole, half, settings=DetectorSettings(grid_height=101))
    settle(detector, scene)
    result = detector.process(scene.frame((60, 30, 30)))  # straddles x 0.5
    everything, left = result.zones
    assert everything.changed_ratio == pytest.approx(result.changed_ratio)
    assert 0.0 < left.changed_ratio * 0.5 < result.changed_ratio


@pytest.mark.parametrize(("still", "moved"), [(0, 255), (255, 0), (3, 0), (252, 255), (128, 90)])
def test_changes_at_the_ends_of_the_luma_range(still: int, moved: int) -> None:
    """A change is seen however close the background is to black or white, and a change
    within the threshold is not (the detector compares in wrapping uint8 arithmetic)."""
    settings = DetectorSettings(min_area=1.0, min_frames=1)
    detector = MotionDetector(settings)
    scene = np.full((H, W), still, np.uint8)
    for _ in range(5):
        assert not detector.process(scene).motion
    frame = scene.copy()
    frame[: H // 4, : W // 4] = moved
    result = detector.process(frame)
    expected = abs(moved - still) > settings.threshold
    assert result.motion is expected
    assert result.changed_ratio == pytest.approx(1 / 16 if expected else 0.0, abs=0.01)
