"""The adaptive decode mode in the stream worker: idle, waking, catching up, back to idle."""

from __future__ import annotations

from pathlib import Path
import threading
import time
from typing import Any

import av
import pytest

from custom_components.cam_events.video import stream_worker
from custom_components.cam_events.video.detector import MotionResult
from custom_components.cam_events.video.errors import StreamError
from custom_components.cam_events.video.source import StreamSource
from custom_components.cam_events.video.stream_worker import (
    AdaptiveStats,
    DecodeMode,
    StreamState,
    StreamWorker,
    WorkerSettings,
    WorkerStats,
)
from custom_components.cam_events.video.wake import WakeReason, WakeSettings
from devtools.clips import make_clip
from tests.peers.rtsp import RtspServer

GOP = 15
QUICK_WAKE = WakeSettings(min_samples=2)


class Listener:
    """Keeps what the worker reports."""

    def __init__(self) -> None:
        self.motion: list[tuple[float, bool]] = []
        self.states: list[StreamState] = []
        self.changed = threading.Condition()

    def on_state(self, state: StreamState, error: StreamError | None) -> None:
        with self.changed:
            self.states.append(state)
            self.changed.notify_all()

    def on_motion(self, active: bool, result: MotionResult, at: float) -> None:
        with self.changed:
            self.motion.append((time.monotonic(), active))
            self.changed.notify_all()

    def on_stats(self, stats: WorkerStats) -> None:
        pass

    def on_tamper(self, result: Any) -> None:
        pass

    def wait(self, predicate: Any, timeout: float) -> None:
        with self.changed:
            assert self.changed.wait_for(predicate, timeout), "condition not met"


class TracedWorker(StreamWorker):
    """The worker, keeping every detected frame: (pts, motion reported after it, time)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.frames: list[tuple[int, bool, float]] = []
        self.awake_log: list[tuple[float, bool]] = []
        self.last: AdaptiveStats | None = None  # adaptive mode's state at the last frame

    def _detect(self, frame: Any, now: float, wall: float) -> None:
        super()._detect(frame, now, wall)
        self.frames.append((frame.pts, self._motion, time.monotonic()))
        stats = self.adaptive
        if stats is not None:
            self.awake_log.append((time.monotonic(), stats.awake))
            self.last = stats


def run(clip: Path, mode: DecodeMode, seconds: float, **settings: Any) -> TracedWorker:
    listener = Listener()
    worker = TracedWorker(
        "t",
        StreamSource(str(clip)),
        listener,
        WorkerSettings(decode_mode=mode, wake=QUICK_WAKE, **settings),
    )
    worker.start()
    try:
        time.sleep(seconds)
    finally:
        worker.stop()
    return worker


def one_pass(worker: TracedWorker) -> list[tuple[int, bool]]:
    """(pts, motion) of the frames detected in the file's first pass (a file loops)."""
    frames = [(pts, motion) for pts, motion, _ in worker.frames]
    again = next((i for i, (pts, _) in enumerate(frames[1:], 1) if pts == frames[0][0]), None)
    return frames[:again]


def key_pts(clip: Path) -> set[int]:
    with av.open(str(clip)) as container:
        video = container.streams.video[0]
        return {int(p.pts) for p in container.demux(video) if p.size and p.is_keyframe}


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A still scene for 4.4 s (warm-up, then idle), an object from the middle of a GOP."""
    path = tmp_path_factory.mktemp("adaptive") / "clip.mp4"
    return make_clip(path, seconds=7.0, motion=((4.4, 5.4),))


def test_catch_up_detects_the_frames_full_mode_detects(clip: Path) -> None:
    full = run(clip, DecodeMode.FULL, 6.6)
    adaptive = run(clip, DecodeMode.ADAPTIVE, 6.6, hold=0.5)
    first_pass = dict(one_pass(full))
    detected = one_pass(adaptive)
    full_motion = [pts for pts, motion in first_pass.items() if motion]
    assert full_motion, "full mode must see the object"
    # Every frame adaptive mode detected, it judged as full mode did ...
    assert [(p, m) for p, m in detected if first_pass.get(p) != m] == []
    # ... and it detected every frame full mode saw motion in, from the first one on.
    seen = {p for p, _ in detected}
    assert set(full_motion) <= seen
    # It was idle in between: some frames before the motion were never decoded.
    start = min(full_motion)
    keys = key_pts(clip)
    skipped = [p for p in first_pass if p < start and p not in seen]
    assert len(skipped) >= GOP - 2
    assert all(p not in keys for p in skipped)
    # And it woke on a packet's size, caught up from the key frame before the motion.
    assert adaptive.adaptive is None  # stopped: no connection
    stats = adaptive.last
    assert stats is not None
    assert stats.wakes.get(WakeReason.SIZE, 0) + stats.wakes.get(WakeReason.SUSTAINED, 0) >= 1
    assert stats.caught_up >= 1


def test_a_key_frame_with_changes_rewinds_to_the_gop_before(clip: Path) -> None:
    """Sizes that never wake (as in a stream whose noise fills the bitrate): the key frame
    after the motion started shows changed cells, and the worker detects the GOP before it
    again, so motion is found at the same frame as in full mode, a GOP late in time."""
    full = run(clip, DecodeMode.FULL, 6.6)
    blind = WakeSettings(min_samples=2, spike=1e9, sustained=1e9, check_interval=0.0)
    listener = Listener()
    worker = TracedWorker(
        "t",
        StreamSource(str(clip)),
        listener,
        WorkerSettings(decode_mode=DecodeMode.ADAPTIVE, wake=blind, hold=0.5),
    )
    worker.start()
    try:
        time.sleep(6.6)
    finally:
        worker.stop()
    first_pass = dict(one_pass(full))
    detected = one_pass(worker)
    assert [(p, m) for p, m in detected if first_pass.get(p) != m] == []
    full_motion = [pts for pts, motion in first_pass.items() if motion]
    assert full_motion
    assert set(full_motion) <= {p for p, _ in detected}
    assert next(p for p, m in detected if m) == full_motion[0]
    keys = sorted(key_pts(clip))
    assert full_motion[0] not in keys  # the motion starts inside a GOP
    stats = worker.last
    assert stats is not None
    assert set(stats.wakes) == {WakeReason.WARMUP, WakeReason.KEY_FRAME}
    assert stats.caught_up >= GOP - 1


def test_falls_back_to_idle_after_motion_and_hold(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "long.mp4", seconds=9.5, motion=((4.4, 5.4),))
    worker = run(clip, DecodeMode.ADAPTIVE, 9.0, hold=0.5)
    frames = [(pts, t) for pts, _, t in worker.frames]
    pts_motion = [pts for pts, motion, _ in worker.frames if motion]
    assert pts_motion
    last_motion_t = max(t for pts, motion, t in worker.frames if motion)
    keys = key_pts(clip)
    # Half a second of hold, a second of grace at most for changed cells after it: from then on
    # key frames only.
    late = [pts for pts, t in frames if t > last_motion_t + 0.5 + 1.0 + 0.2]
    assert late, "the clip goes on after the hold"
    assert all(pts in keys for pts in late), late
    # Awake while the object moved, asleep at the end.
    assert worker.awake_log[-1][1] is False
    assert any(awake for t, awake in worker.awake_log if abs(t - last_motion_t) < 0.1)


def test_no_motion_without_a_moving_object(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "still.mp4", seconds=6.0, motion=())
    worker = run(clip, DecodeMode.ADAPTIVE, 5.8)
    assert not any(motion for _, motion, _ in worker.frames)
    # After the warm-up, key frames only.
    keys = key_pts(clip)
    warmed = worker.frames[0][2] + 4.0
    assert all(pts in keys for pts, _, t in worker.frames if t > warmed)
    assert worker.last is not None
    assert set(worker.last.wakes) == {WakeReason.WARMUP}


@pytest.mark.enable_socket
def test_reconnect_while_catching_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """The camera goes away in the middle of a catch-up: the worker reconnects and starts over.

    The catch-up ends with the packets it holds (they are decoded, not re-read); the next read
    fails, the backlog is dropped with the connection, and the new connection warms up from its
    own first key frame and sees motion again.
    """
    monkeypatch.setattr(stream_worker, "BACKOFF_INITIAL", 0.2)
    monkeypatch.setattr(stream_worker, "BACKOFF_MAX", 0.5)
    with RtspServer(gop=GOP) as server:
        listener = Listener()
        killed = threading.Event()

        class Killing(TracedWorker):
            def _wake(self, reason: WakeReason, now: float) -> None:
                state = self._adaptive
                if not killed.is_set() and state is not None and len(state.gop) > state.decoded:
                    killed.set()
                    server.kill()  # the camera is gone while the backlog is decoded
                super()._wake(reason, now)

        worker = Killing(
            "t",
            StreamSource(server.url, open_timeout=5.0, read_timeout=2.0),
            listener,
            WorkerSettings(decode_mode=DecodeMode.ADAPTIVE, wake=QUICK_WAKE, hold=0.5),
        )
        worker.start()
        try:
            listener.wait(lambda: StreamState.STREAMING in listener.states, 10)
            deadline = time.monotonic() + 15
            while worker.adaptive is None or worker.adaptive.awake:
                assert time.monotonic() < deadline, "never went idle"
                time.sleep(0.1)
            server.set_motion(True)
            assert killed.wait(5), "motion did not wake the idle stream with a backlog"
            listener.wait(lambda: StreamState.RECONNECTING in listener.states, 10)
            server.start()
            server.set_motion(False)
            listener.wait(lambda: listener.states[-1] is StreamState.STREAMING, 15)
            stats = worker.adaptive
            assert stats is not None
            assert stats.wakes.get(WakeReason.SIZE, 0) == 0  # a new connection, a new rule
            assert stats.caught_up == 0
            motion_before = sum(active for _, active in listener.motion)
            deadline = time.monotonic() + 15
            while worker.adaptive is None or worker.adaptive.awake:
                assert time.monotonic() < deadline, "never went idle again"
                time.sleep(0.1)
            server.set_motion(True)
            listener.wait(lambda: sum(active for _, active in listener.motion) > motion_before, 5)
        finally:
            worker.stop()
