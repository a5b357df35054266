"""The stream worker on its own: states, reconnects, stopping, pacing."""

from __future__ import annotations

from collections.abc import Callable
import itertools
from pathlib import Path
import shutil
import socket
import threading
import time

import pytest

from custom_components.cam_events.video import stream_worker
from custom_components.cam_events.video.detector import MotionResult
from custom_components.cam_events.video.errors import StreamError, StreamErrorCode
from custom_components.cam_events.video.source import StreamSource
from custom_components.cam_events.video.stream_worker import (
    StreamState,
    StreamWorker,
    WorkerSettings,
    WorkerStats,
)
from custom_components.cam_events.video.zones import Area, AreaKind, Layout, parse_polygon
from devtools.clips import make_clip


class Recorder:
    """Collects what the worker reports, with the time of each report."""

    def __init__(self) -> None:
        self.states: list[tuple[float, StreamState, StreamError | None]] = []
        self.motion: list[tuple[float, bool]] = []
        self.stats: list[WorkerStats] = []
        self.changed = threading.Condition()

    def on_state(self, state: StreamState, error: StreamError | None) -> None:
        with self.changed:
            self.states.append((time.monotonic(), state, error))
            self.changed.notify_all()

    def on_motion(self, active: bool, result: MotionResult, at: float) -> None:
        with self.changed:
            self.motion.append((time.monotonic(), active))
            self.changed.notify_all()

    def on_stats(self, stats: WorkerStats) -> None:
        with self.changed:
            self.stats.append(stats)
            self.changed.notify_all()

    def wait(self, predicate: Callable[[], bool], timeout: float) -> None:
        with self.changed:
            assert self.changed.wait_for(predicate, timeout), "condition not met"


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_worker, "BACKOFF_INITIAL", 0.2)
    monkeypatch.setattr(stream_worker, "BACKOFF_MAX", 0.8)
    monkeypatch.setattr(stream_worker, "STATS_INTERVAL", 0.5)


def test_file_streams_in_real_time_and_reports_motion(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", seconds=3, motion=((1.0, 2.0),))
    rec = Recorder()
    worker = StreamWorker("t", StreamSource(str(clip)), rec)
    started = time.monotonic()
    worker.start()
    try:
        rec.wait(lambda: any(active for _, active in rec.motion), 5)
        rec.wait(lambda: any(not active for _, active in rec.motion), 5)
        first_motion = next(t for t, active in rec.motion if active)
        # Paced like a camera: the object appears 1 s into the clip, not at decode speed.
        assert 0.8 < first_motion - started < 2.0
        rec.wait(lambda: len(rec.stats) >= 2, 5)
        assert 10 < rec.stats[-1].decode_fps < 20
        assert rec.stats[-1].codec == "h264"
        assert worker.latest_frame() is not None
    finally:
        worker.stop()
    assert [s for _, s, _ in rec.states][-1] is StreamState.STOPPED
    assert not worker.running


def test_detect_fps_limits_detection(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", seconds=3, motion=())
    rec = Recorder()
    worker = StreamWorker("t", StreamSource(str(clip)), rec, WorkerSettings(detect_fps=3))
    worker.start()
    try:
        rec.wait(lambda: len(rec.stats) >= 3, 5)
        assert rec.stats[-1].detect_fps <= 4.5
        assert rec.stats[-1].decode_fps >= 10
        worker.update_settings(WorkerSettings(detect=False))
        count = len(rec.stats)
        rec.wait(lambda: len(rec.stats) >= count + 2, 5)
        assert rec.stats[-1].detect_fps == 0
    finally:
        worker.stop()


def test_missing_source_backs_off_then_recovers(tmp_path: Path) -> None:
    target = tmp_path / "later.mp4"
    rec = Recorder()
    worker = StreamWorker("t", StreamSource(str(target)), rec)
    worker.start()
    try:
        rec.wait(lambda: sum(s is StreamState.RECONNECTING for _, s, _ in rec.states) >= 3, 5)
        failures = [(t, e) for t, s, e in rec.states if s is StreamState.RECONNECTING]
        assert failures[0][1] is not None
        assert failures[0][1].code is StreamErrorCode.INVALID_URL
        gaps = [b[0] - a[0] for a, b in itertools.pairwise(failures)]
        assert gaps[1] > gaps[0] * 1.5  # the back-off grows
        shutil.copy(make_clip(tmp_path / "src.mp4", seconds=2, motion=()), target)
        rec.wait(lambda: rec.states[-1][1] is StreamState.STREAMING, 5)
    finally:
        worker.stop()


def test_stop_is_prompt_even_while_opening(socket_enabled: None) -> None:
    """A server that never answers: stopping still ends the thread within 5 s."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"rtsp://127.0.0.1:{listener.getsockname()[1]}/x"
        rec = Recorder()
        worker = StreamWorker("t", StreamSource(url, open_timeout=4, read_timeout=4), rec)
        worker.start()
        time.sleep(0.3)  # inside av.open now
        started = time.monotonic()
        worker.stop()
        assert time.monotonic() - started < 5
        assert not worker.running


class _TimedDetector:
    """Wraps the worker's detector and notes when each frame is detected."""

    def __init__(self, detector: object) -> None:
        self._detector = detector
        self.calls: list[float] = []

    def process_grid(self, *args: object) -> MotionResult:
        self.calls.append(time.monotonic())
        return self._detector.process_grid(*args)  # type: ignore[attr-defined, no-any-return]

    def __getattr__(self, name: str) -> object:
        return getattr(self._detector, name)


def test_frames_are_detected_two_at_a_time_without_waiting_longer(tmp_path: Path) -> None:
    """At full rate a frame waits for the next one and both are detected back to back; the
    motion report still carries the moving frame's own time, at most a frame interval old."""
    clip = make_clip(tmp_path / "c.mp4", seconds=3, motion=((1.0, 2.0),))
    reports: list[tuple[float, float]] = []  # (wall time of the report, `at` reported)

    class Timed(Recorder):
        def on_motion(self, active: bool, result: MotionResult, at: float) -> None:
            if active:
                reports.append((time.time(), at))
            super().on_motion(active, result, at)

    rec = Timed()
    worker = StreamWorker("t", StreamSource(str(clip)), rec)
    timed = _TimedDetector(worker._detector)
    worker._detector = timed  # type: ignore[assignment]
    worker.start()
    try:
        rec.wait(lambda: any(not active for _, active in rec.motion), 6)
    finally:
        worker.stop()
    gaps = [b - a for a, b in itertools.pairwise(timed.calls[5:])]
    back_to_back = sum(gap < 0.02 for gap in gaps)
    two_frames = sum(0.1 < gap < 0.2 for gap in gaps)  # 2 frame intervals at 15 fps
    assert back_to_back >= 0.4 * len(gaps)
    assert back_to_back + two_frames >= 0.9 * len(gaps)
    assert reports
    for reported, at in reports:
        assert 0 <= reported - at < 0.1  # held one frame interval (67 ms) at most


def test_below_full_rate_frames_are_detected_at_once(tmp_path: Path) -> None:
    """With a detection rate set, no frame waits for another."""
    clip = make_clip(tmp_path / "c.mp4", seconds=2, motion=())
    rec = Recorder()
    worker = StreamWorker("t", StreamSource(str(clip)), rec, WorkerSettings(detect_fps=5))
    timed = _TimedDetector(worker._detector)
    worker._detector = timed  # type: ignore[assignment]
    worker.start()
    try:
        rec.wait(lambda: len(rec.stats) >= 3, 5)
    finally:
        worker.stop()
    gaps = [b - a for a, b in itertools.pairwise(timed.calls[2:])]
    assert gaps
    assert min(gaps) > 0.15  # 5 per second, one at a time


class ZoneRecorder(Recorder):
    """Also follows zones (the worker sees ``on_zones`` and reports them)."""

    def __init__(self) -> None:
        super().__init__()
        self.zones: list[MotionResult] = []
        self.motion_results: list[tuple[bool, MotionResult]] = []

    def on_zones(self, result: MotionResult, at: float) -> None:
        with self.changed:
            self.zones.append(result)
            self.changed.notify_all()

    def on_motion(self, active: bool, result: MotionResult, at: float) -> None:
        with self.changed:
            self.motion_results.append((active, result))
        super().on_motion(active, result, at)

    def on(self, zone_id: str) -> bool:
        """Whether the zone was ever reported on."""
        return any(z.id == zone_id and z.motion for r in self.zones for z in r.zones)


def _layout(*areas: tuple[str, AreaKind, str]) -> Layout:
    return Layout(tuple(Area(i, i.title(), kind, parse_polygon(text)) for i, kind, text in areas))


def test_layout_set_on_a_running_worker_reports_the_zone_the_object_crosses(
    tmp_path: Path,
) -> None:
    # The object runs from x 0.33 (at 1 s) rightwards across the middle of the picture.
    clip = make_clip(tmp_path / "c.mp4", seconds=3, motion=((1.0, 2.2),))
    rec = ZoneRecorder()
    worker = StreamWorker("t", StreamSource(str(clip)), rec)
    worker.start()
    try:
        rec.wait(lambda: any(s is StreamState.STREAMING for _, s, _ in rec.states), 5)
        worker.set_layout(
            _layout(
                ("path", AreaKind.ZONE, "0.3,0 1,0 1,1 0.3,1"),
                ("away", AreaKind.ZONE, "0,0 0.15,0 0.15,1 0,1"),
            )
        )
        assert worker.layout is not None
        rec.wait(lambda: any(not active for active, _ in rec.motion_results), 6)
        rec.wait(lambda: rec.on("path") and not rec.zones[-1].zones[0].motion, 3)
    finally:
        worker.stop()
    assert not rec.on("away")
    started = next(r for active, r in rec.motion_results if active)
    assert started.touched == ("path",)
    first_on = next(r for r in rec.zones if r.zones[0].motion)
    bbox = first_on.zones[0].bbox
    assert bbox is not None
    assert bbox[0] >= 0.3  # inside the zone
    assert bbox[2] - bbox[0] < 0.2  # the object, not the zone
    ended = next(r for active, r in rec.motion_results if not active)
    assert ended.touched == ("path",)


def test_a_mask_over_the_path_keeps_the_camera_still(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", seconds=3, motion=((1.0, 2.2),))
    rec = ZoneRecorder()
    worker = StreamWorker("t", StreamSource(str(clip)), rec)
    worker.set_layout(_layout(("street", AreaKind.MASK, "0.3,0 1,0 1,1 0.3,1")))
    worker.start()
    try:
        rec.wait(lambda: len(rec.stats) >= 7, 8)  # past the motion (stats every 0.5 s)
    finally:
        worker.stop()
    assert rec.motion == []
    assert rec.zones == []  # masks only: no zone reports
