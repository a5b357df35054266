"""The clip recorder: pre-roll + event + post-roll, one clip for overlapping requests, holds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
import threading

import av
import numpy as np
import pytest

from custom_components.cam_events.video.clip import ClipError, ClipInfo
from custom_components.cam_events.video.recorder import ClipRecorder, ClipRequest
from custom_components.cam_events.video.ring import RingPacket, StreamTemplate
from devtools.clips import background, make_clip
from tests.video.test_clip import JPEG, T0, demux, make_av_clip, probe

WIDTH, HEIGHT, FPS = 320, 180, 15
MOTION_START = 8.0


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> tuple[StreamTemplate, list[RingPacket]]:
    """20 s of a still scene with an object moving from 8 s to 12 s, as arriving packets."""
    path = tmp_path_factory.mktemp("recorder") / "scene.mp4"
    make_clip(path, width=WIDTH, height=HEIGHT, fps=FPS, seconds=20, motion=((MOTION_START, 12.0),))
    return demux(path)


class Camera:
    """Feeds packets to a recorder at their arrival times, on a fake clock."""

    def __init__(
        self, tmp_path: Path, stream: tuple[StreamTemplate, list[RingPacket]], **kwargs: float
    ) -> None:
        self.template, self.packets = stream
        self.now = T0
        self.index = 0
        self.clips: list[tuple[ClipRequest, ClipInfo | None, BaseException | None]] = []
        self.done = threading.Event()
        self.folder = tmp_path / "clips"
        self.recorder = ClipRecorder(
            self.folder, clock=lambda: self.now, on_clip=self._on_clip, **kwargs
        )
        self.recorder.set_template(self.template)

    def _on_clip(
        self, request: ClipRequest, info: ClipInfo | None, error: BaseException | None
    ) -> None:
        self.clips.append((request, info, error))
        self.done.set()

    def run_until(self, seconds: float) -> None:
        """Deliver every packet that arrives up to T0 + seconds; the clock is then there."""
        while self.index < len(self.packets) and self.packets[self.index].wall <= T0 + seconds:
            packet = self.packets[self.index]
            self.now = packet.wall
            self.recorder.on_packet(packet)
            self.index += 1
        self.now = T0 + seconds

    def close(self) -> list[tuple[ClipRequest, ClipInfo | None, BaseException | None]]:
        self.recorder.close()
        return self.clips


@pytest.fixture
def camera(tmp_path: Path, stream: tuple[StreamTemplate, list[RingPacket]]) -> Iterator[Camera]:
    """A camera with the default pre-roll and post-roll (5 s each)."""
    cam = Camera(tmp_path, stream)
    yield cam
    cam.recorder.close()


def _only_clip(camera: Camera) -> tuple[ClipRequest, ClipInfo]:
    clips = camera.close()
    assert len(clips) == 1
    request, info, error = clips[0]
    assert error is None
    assert info is not None
    return request, info


def test_preroll_event_postroll(camera: Camera) -> None:
    camera.run_until(9.3)
    request = camera.recorder.request("motion", "front/clip", duration=2.0, thumbnail=JPEG)
    assert request.keys == {"motion"}
    assert request.path == camera.folder / "front" / "clip.mp4"
    assert request.start_wall == T0 + 4.0  # the key frame closest to 9.3 - 5
    assert request.end_wall == pytest.approx(T0 + 16.3)
    assert camera.recorder.active is request
    camera.run_until(20)
    assert camera.recorder.active is None
    request, info = _only_clip(camera)
    # 5 s pre-roll + 2 s event + 5 s post-roll = 12 s, to within half a GOP.
    assert info.duration == pytest.approx(12.0, abs=0.5)
    assert info.start_wall == T0 + 4.0
    assert info.end_wall < T0 + 16.3
    assert info.path == request.path
    assert info.thumbnail == request.path.with_suffix(".jpg")
    result = probe(info.path)
    assert result.frames == info.frames == round(info.duration * FPS)
    assert result.first_key
    assert result.duration == pytest.approx(info.duration, abs=1e-3)


def test_overlapping_requests_make_one_clip(camera: Camera) -> None:
    camera.run_until(9.0)
    first = camera.recorder.request("motion", "clip-a")  # ends at 14
    camera.run_until(11.0)
    second = camera.recorder.request("person", "clip-b", duration=1.0)  # ends at 17
    assert second is first
    assert first.keys == {"motion", "person"}
    assert first.end_wall == pytest.approx(T0 + 17.0)
    camera.run_until(20)
    request, info = _only_clip(camera)
    assert request.keys == {"motion", "person"}
    assert info.path == camera.folder / "clip-a.mp4"
    assert not (camera.folder / "clip-b.mp4").exists()
    assert info.duration == pytest.approx(17.0 - 4.0, abs=0.5)


def test_hold_until_release(camera: Camera) -> None:
    camera.run_until(6.0)
    request = camera.recorder.request("motion", "held", hold=True, postroll=2.0)
    assert request.end_wall is None
    camera.run_until(12.0)
    assert camera.recorder.active is request  # still held, well past 6 + 2
    camera.recorder.release("unknown")  # no effect
    camera.recorder.release("motion")
    assert request.end_wall == pytest.approx(T0 + 14.0)
    camera.run_until(20)
    _, info = _only_clip(camera)
    assert info.start_wall == T0 + 1.0
    assert info.duration == pytest.approx(13.0, abs=0.5)


def test_release_waits_for_every_hold(camera: Camera) -> None:
    camera.run_until(6.0)
    camera.recorder.request("a", "two", hold=True)
    camera.run_until(7.0)
    request = camera.recorder.request("b", "other", hold=True, postroll=1.0)
    camera.run_until(8.0)
    camera.recorder.release("a")  # a's post-roll would end at 13, but b still holds
    assert request.end_wall is None
    camera.run_until(15.0)
    assert camera.recorder.active is request
    camera.recorder.release("b")
    assert request.end_wall == pytest.approx(T0 + 16.0)
    camera.run_until(20)
    request, info = _only_clip(camera)
    assert request.keys == {"a", "b"}
    assert info.duration == pytest.approx(15.0, abs=0.5)


def test_max_length_caps_the_clip(
    tmp_path: Path, stream: tuple[StreamTemplate, list[RingPacket]]
) -> None:
    camera = Camera(tmp_path, stream, max_length=6.0)
    camera.run_until(9.0)
    request = camera.recorder.request("motion", "long", hold=True)
    camera.run_until(12.0)
    assert camera.recorder.active is None  # ended at 4 + 6 = 10
    request2 = camera.recorder.request("other", "fixed", duration=60.0)
    assert request2 is not request
    assert request2.end_wall == pytest.approx(T0 + 18.0)  # 7 + 6 < 12 + 60 + 5
    camera.run_until(20)
    clips = camera.close()
    assert sorted(str(r.keys) for r, _, _ in clips) == ["{'motion'}", "{'other'}"]
    for _, info, error in clips:
        assert error is None
        assert info is not None
        assert info.duration == pytest.approx(6.0, abs=0.5)
        assert info.duration <= 6.0
        assert probe(info.path).frames == info.frames


def test_stream_lost_closes_a_playable_clip(camera: Camera) -> None:
    camera.run_until(9.0)
    request = camera.recorder.request("motion", "lost", hold=True)
    camera.run_until(11.0)
    camera.recorder.stream_lost()
    assert camera.recorder.active is None
    assert len(camera.recorder.ring) == 0
    assert camera.done.wait(30)
    clip_request, info, error = camera.clips[0]
    assert clip_request is request
    assert error is None
    assert info is not None
    assert info.duration == pytest.approx(7.0, abs=0.5)
    result = probe(info.path)
    assert result.frames == info.frames
    assert result.first_key
    camera.recorder.release("motion")  # motion ends after the loss: nothing to do
    assert camera.recorder.active is None


def _object_pixels(frame: av.VideoFrame, scene: np.ndarray) -> int:
    """Count the pixels far from the still scene (the moving object, 30 x 30 = 900)."""
    rgb = frame.to_ndarray(format="rgb24").astype(np.int16)
    diff = np.abs(rgb - scene)
    return int(np.count_nonzero((diff[..., 0] > 80) | (diff[..., 1] > 80) | (diff[..., 2] > 80)))


def test_preroll_shows_the_scene_before_motion(camera: Camera) -> None:
    camera.run_until(MOTION_START + 0.1)  # the detector saw the object
    request = camera.recorder.request("motion", "scene", start=T0 + MOTION_START)
    camera.run_until(20)
    _, info = _only_clip(camera)
    assert info.start_wall == T0 + 3.0
    assert info.duration == pytest.approx(10.0, abs=0.5)
    scene = background(WIDTH, HEIGHT).astype(np.int16)
    with av.open(str(request.path)) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == info.frames
    moving_from = round((MOTION_START - 3.0) * FPS)  # frame index where the object appears
    still = [_object_pixels(frame, scene) for frame in frames[:moving_from]]
    moving = [_object_pixels(frame, scene) for frame in frames[moving_from : moving_from + 15]]
    assert max(still) < 200  # coding noise on the sharp edges of the scene
    assert min(moving) > 700


def test_audio_clip(tmp_path: Path) -> None:
    stream = demux(make_av_clip(tmp_path / "av.mp4", seconds=8))
    camera = Camera(tmp_path, stream, preroll=2.0, postroll=1.0)
    camera.run_until(4.0)
    camera.recorder.request("motion", "av")
    camera.run_until(8.0)
    _, info = _only_clip(camera)
    assert info.duration == pytest.approx(3.0, abs=0.5)
    assert info.audio_packets > 0
    result = probe(info.path)
    assert result.codecs == {"video": "h264", "audio": "aac"}
    assert result.audio_samples / 16000 == pytest.approx(info.duration, abs=0.2)


def test_request_errors_and_names(
    tmp_path: Path, stream: tuple[StreamTemplate, list[RingPacket]]
) -> None:
    recorder = ClipRecorder(tmp_path / "clips")
    with pytest.raises(ClipError, match="not connected"):
        recorder.request("motion", "x")
    recorder.close()
    camera = Camera(tmp_path, stream)
    camera.run_until(3.0)
    for bad in ("../escape", "/abs/path", "", ".", "a/../../b"):
        with pytest.raises(ValueError, match="inside the clip folder"):
            camera.recorder.request("motion", bad)
    assert camera.recorder.active is None
    (camera.folder / "same").mkdir(parents=True)
    (camera.folder / "same" / "name.mp4").write_bytes(b"an older clip")
    first = camera.recorder.request("a", "same/name", duration=0.5, postroll=0.0)
    assert first.path == camera.folder / "same" / "name-1.mp4"
    camera.run_until(4.0)
    assert camera.recorder.active is None
    second = camera.recorder.request("b", "same/name", duration=0.5, postroll=0.0)
    # The first clip may still be being written: its name is taken either way.
    assert second.path == camera.folder / "same" / "name-2.mp4"
    camera.run_until(5.0)
    clips = camera.close()
    assert sorted(info.path.name for _, info, _ in clips if info) == ["name-1.mp4", "name-2.mp4"]
    assert (camera.folder / "same" / "name.mp4").read_bytes() == b"an older clip"
    with pytest.raises(ClipError, match="closed"):
        camera.recorder.request("c", "later")
    camera.recorder.on_packet(camera.packets[0])  # ignored once closed


def test_new_connection_ends_the_clip_and_clears_the_ring(
    camera: Camera, stream: tuple[StreamTemplate, list[RingPacket]]
) -> None:
    camera.run_until(9.0)
    camera.recorder.request("motion", "reconnect", hold=True)
    camera.run_until(10.0)
    assert len(camera.recorder.ring) > 0
    template = replace(stream[0], width=640)
    camera.recorder.set_template(template)
    assert camera.recorder.active is None
    assert len(camera.recorder.ring) == 0
    assert camera.recorder.ring.template is template
    _, info = _only_clip(camera)
    assert info.duration == pytest.approx(6.0, abs=0.5)


def test_failed_clip_is_reported_and_not_extended(
    tmp_path: Path, stream: tuple[StreamTemplate, list[RingPacket]]
) -> None:
    camera = Camera(tmp_path, stream)
    camera.folder.parent.mkdir(parents=True, exist_ok=True)
    camera.folder.write_bytes(b"a file where the folder should be")
    camera.run_until(6.0)
    request = camera.recorder.request("motion", "cam/clip", hold=True)
    assert camera.done.wait(30)
    failed, info, error = camera.clips[0]
    assert failed is request
    assert info is None
    assert isinstance(error, OSError)
    assert camera.recorder.active is None
    camera.folder.unlink()
    again = camera.recorder.request("motion", "cam/clip", duration=1.0)
    assert again is not request
    camera.run_until(20)
    clips = camera.close()
    assert len(clips) == 2
    assert clips[1][0] is again
    assert clips[1][1] is not None


def test_lost_stream_takes_no_request_until_a_key_frame_of_the_next(camera: Camera) -> None:
    """After a loss the old codec parameters are gone; a new connection needs a key frame."""
    camera.run_until(6.0)
    camera.recorder.stream_lost()
    assert camera.recorder.ring.template is None
    with pytest.raises(ClipError, match="not connected"):
        camera.recorder.request("manual", "while-down", duration=5.0)
    camera.recorder.set_template(camera.template)  # reconnected, no packet yet
    with pytest.raises(ClipError, match="no key frame"):
        camera.recorder.request("manual", "no-packets", duration=5.0)
    assert camera.recorder.active is None
    camera.run_until(7.0)  # the stream's packets: the next key frame arrives
    request = camera.recorder.request("manual", "back", duration=0.5, postroll=0.0)
    camera.run_until(9.0)
    assert request.path.name == "back.mp4"
    clips = camera.close()
    assert [(req.path.name, info is not None, error) for req, info, error in clips] == [
        ("back.mp4", True, None)
    ]
    assert not (camera.folder / "while-down.mp4").exists()
    assert not (camera.folder / "no-packets.mp4").exists()
