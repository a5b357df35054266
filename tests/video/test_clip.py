"""Clip files: remux of demuxed packets, audio, temporary names, thumbnails, bad timestamps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
import threading
import time

import av
import numpy as np
import pytest

from custom_components.cam_events.video import clip as clip_module
from custom_components.cam_events.video.clip import (
    ClipError,
    ClipInfo,
    ClipWriter,
    clip_path,
    container_for,
)
from custom_components.cam_events.video.ring import RingPacket, StreamTemplate
from devtools.clips import make_clip

T0 = 1_700_000_000.0
JPEG = b"\xff\xd8\xff\xe0 a thumbnail \xff\xd9"


def make_av_clip(
    path: Path,
    *,
    seconds: float = 4.0,
    fps: int = 15,
    width: int = 320,
    height: int = 180,
    audio_codec: str = "aac",
    rate: int = 16000,
    fmt: str | None = None,
) -> Path:
    """Write H.264 video (a key frame a second) with a 440 Hz tone in `audio_codec`."""
    with av.open(str(path), "w", format=fmt) as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.time_base = Fraction(1, fps)
        video.options = {"preset": "veryfast", "g": str(fps), "tune": "zerolatency"}
        audio = container.add_stream(audio_codec, rate=rate)
        audio.layout = "mono"
        samples = 0
        chunk = 1024
        for index in range(int(seconds * fps)):
            rgb = np.full((height, width, 3), 90, np.uint8)
            x = index * 4 % (width - 20)
            rgb[height // 3 : 2 * height // 3, x : x + 20] = (230, 60, 30)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
            while samples < (index + 1) * rate / fps:
                t = np.arange(samples, samples + chunk) / rate
                tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
                aframe = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
                aframe.sample_rate, aframe.pts = rate, samples
                container.mux(audio.encode(aframe))
                samples += chunk
        container.mux(video.encode(None))
        container.mux(audio.encode(None))
    return path


def demux(
    path: Path, t0: float = T0, *, durations: bool = False
) -> tuple[StreamTemplate, list[RingPacket]]:
    """Return a file's template and packets, their arrival times from their timestamps."""
    packets = []
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        template = StreamTemplate.from_streams(video, audio)
        for packet in container.demux():
            stamp = packet.dts if packet.dts is not None else packet.pts
            if not packet.size or stamp is None or packet.time_base is None:
                continue
            packets.append(
                RingPacket(
                    data=bytes(packet),
                    pts=packet.pts,
                    dts=packet.dts,
                    is_keyframe=packet.is_keyframe,
                    kind=packet.stream.type,
                    wall=t0 + float(stamp * packet.time_base),
                    duration=packet.duration if durations else None,
                )
            )
    packets.sort(key=lambda p: p.wall)
    return template, packets


@dataclass
class Probe:
    """What a written clip holds, read back and decoded."""

    codecs: dict[str, str]
    packets: dict[str, int]
    frames: int  # decoded video frames
    first_key: bool  # first decoded frame is a key frame
    audio_samples: int
    duration: float  # video, from the timestamps
    sample_rate: int | None


def probe(path: Path) -> Probe:
    """Demux and decode every packet of a clip."""
    with av.open(str(path)) as container:
        codecs = {s.type: s.codec_context.name for s in container.streams}
        counts = dict.fromkeys(codecs, 0)
        frames, samples, first_key = 0, 0, False
        start: float | None = None
        end = 0.0
        rate = container.streams.audio[0].sample_rate if container.streams.audio else None
        for packet in container.demux():
            if not packet.size:
                continue
            counts[packet.stream.type] += 1
            if packet.stream.type == "video" and packet.pts is not None:
                assert packet.time_base is not None
                at = float(packet.pts * packet.time_base)
                start = at if start is None else min(start, at)
                end = max(end, at + float((packet.duration or 0) * packet.time_base))
            for frame in packet.decode():
                if isinstance(frame, av.VideoFrame):
                    first_key = first_key or (frames == 0 and frame.key_frame)
                    frames += 1
                elif isinstance(frame, av.AudioFrame):
                    samples += frame.samples
        frames += len(container.streams.video[0].decode(None))  # frames still in the decoder
    return Probe(codecs, counts, frames, first_key, samples, end - (start or 0.0), rate)


def write(
    path: Path,
    template: StreamTemplate,
    preroll: Sequence[RingPacket],
    later: Sequence[RingPacket] = (),
    **kwargs: object,
) -> tuple[ClipWriter, ClipInfo | None]:
    """Write a clip from a pre-roll and packets added afterwards; wait for it."""
    writer = ClipWriter(path, template, **kwargs)  # type: ignore[arg-type]
    writer.start(preroll)
    for packet in later:
        writer.add(packet)
    writer.finish()
    info = writer.join(30)
    assert not writer.running
    return writer, info


@pytest.fixture(scope="module")
def video_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4 s H.264 clip in MP4 (avcC extradata, length-prefixed packets), no audio."""
    path = tmp_path_factory.mktemp("clip") / "video.mp4"
    return make_clip(path, width=320, height=180, seconds=4, motion=((1.0, 3.0),))


@pytest.fixture(scope="module")
def av_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4 s clip with H.264 video and AAC audio."""
    return make_av_clip(tmp_path_factory.mktemp("clip") / "av.mp4")


def test_remux_h264_from_extradata(video_clip: Path, tmp_path: Path) -> None:
    template, packets = demux(video_clip)
    assert template.video_extradata is not None
    writer, info = write(tmp_path / "out.mp4", template, packets[:20], packets[20:])
    assert info is not None
    assert writer.error is None
    assert info.path == tmp_path / "out.mp4"
    assert info.frames == len(packets) == 60
    assert info.size == info.path.stat().st_size
    assert info.start_wall == packets[0].wall
    assert info.end_wall == packets[-1].wall
    assert info.duration == pytest.approx(4.0, abs=1e-3)
    assert info.thumbnail is None
    result = probe(info.path)
    assert result.codecs == {"video": "h264"}
    assert result.packets["video"] == 60
    assert result.frames == 60  # every frame decodes
    assert result.first_key
    assert result.duration == pytest.approx(4.0, abs=1e-3)
    data = info.path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # faststart
    assert not writer.tmp_path.exists()


def test_remux_annexb_stream(tmp_path: Path) -> None:
    """RTSP-like packets: Annex B with the parameter sets as extradata (here from MPEG-TS)."""
    source = tmp_path / "source.ts"
    make_clip(source, width=320, height=180, seconds=3, motion=())
    template, packets = demux(source)
    assert template.video_extradata is not None
    assert template.video_extradata.startswith(b"\x00\x00\x00\x01")
    assert template.video_time_base == Fraction(1, 90000)
    _, info = write(tmp_path / "out", template, packets)
    assert info is not None
    assert info.path == tmp_path / "out.mp4"
    result = probe(info.path)
    assert result.frames == len(packets) == 45
    assert result.first_key
    assert result.duration == pytest.approx(3.0, abs=0.01)


def test_audio_is_kept(av_clip: Path, tmp_path: Path) -> None:
    template, packets = demux(av_clip)
    assert template.audio_codec == "aac"
    assert template.audio_rate == 16000
    assert template.audio_layout == "mono"
    video_in = sum(1 for p in packets if p.kind == "video")
    # The encoder's priming packet has a negative timestamp: it came before the first key frame.
    assert packets[0].kind == "audio"
    assert packets[0].wall < T0
    audio_in = sum(1 for p in packets if p.kind == "audio" and p.wall >= T0)
    _, info = write(tmp_path / "av.mp4", template, packets)
    assert info is not None
    assert info.frames == video_in == 60
    assert info.audio_packets == audio_in
    result = probe(info.path)
    assert result.codecs == {"video": "h264", "audio": "aac"}
    assert result.packets == {"video": video_in, "audio": audio_in}
    assert result.sample_rate == 16000
    assert result.frames == 60
    # About the 4 s of the clip decode (AAC priming takes a frame or two).
    assert result.audio_samples / 16000 == pytest.approx(4.0, abs=0.2)


def test_audio_starts_with_the_video(av_clip: Path, tmp_path: Path) -> None:
    """A clip that starts at the 2 s key frame: audio from then on, on the same time base."""
    template, packets = demux(av_clip)
    start = next(i for i, p in enumerate(packets) if p.is_keyframe and p.wall >= T0 + 2.0)
    # Audio that arrived just before the key frame is dropped with the rest.
    _, info = write(tmp_path / "late.mp4", template, packets[start - 3 :])
    assert info is not None
    assert info.frames == 30
    with av.open(str(info.path)) as container:
        audio = container.streams.audio[0]
        first = next(p for p in container.demux(audio) if p.size)
        assert first.pts is not None
        assert first.time_base is not None
        assert float(first.pts * first.time_base) == pytest.approx(0.0, abs=0.07)
    assert probe(info.path).audio_samples / 16000 == pytest.approx(2.0, abs=0.2)


def test_g711_audio_goes_into_mov(tmp_path: Path) -> None:
    source = make_av_clip(tmp_path / "g711.mov", seconds=2, audio_codec="pcm_mulaw", rate=8000)
    template, packets = demux(source)
    assert template.audio_codec == "pcm_mulaw"
    assert container_for(template) == ("mov", ".mov", True)
    _, info = write(tmp_path / "clip.mp4", template, packets)
    assert info is not None
    assert info.path == tmp_path / "clip.mov"
    result = probe(info.path)
    assert result.codecs == {"video": "h264", "audio": "pcm_mulaw"}
    assert result.frames == 30
    assert result.audio_samples / 8000 == pytest.approx(2.0, abs=0.2)


def test_container_choice_and_paths() -> None:
    h264 = StreamTemplate("h264", 320, 180, Fraction(1, 90000), None)
    assert container_for(h264) == ("mp4", ".mp4", False)
    aac = replace(h264, audio_codec="aac", audio_rate=8000, audio_time_base=Fraction(1, 8000))
    assert container_for(aac) == ("mp4", ".mp4", True)
    g726 = replace(aac, audio_codec="adpcm_g726")
    assert container_for(g726) == ("mp4", ".mp4", False)  # audio no container takes: dropped
    assert clip_path(Path("a/2024.05.01 12.00"), h264) == Path("a/2024.05.01 12.00.mp4")
    assert clip_path(Path("a/b.mkv"), h264) == Path("a/b.mp4")
    mulaw = replace(aac, audio_codec="pcm_mulaw")
    assert clip_path(Path("a/b.mp4"), mulaw) == Path("a/b.mov")
    with pytest.raises(ClipError):
        container_for(replace(h264, video_codec="no_such_codec"))


def test_temp_name_until_complete(video_clip: Path, tmp_path: Path) -> None:
    template, packets = demux(video_clip)
    final = tmp_path / "sub" / "clip.mp4"
    done = threading.Event()
    results: list[tuple[ClipInfo | None, BaseException | None]] = []

    def on_done(info: ClipInfo | None, error: BaseException | None) -> None:
        results.append((info, error))
        done.set()

    writer = ClipWriter(final, template, thumbnail=JPEG, on_done=on_done)
    assert writer.path_final == final
    assert writer.tmp_path.parent == final.parent
    assert writer.tmp_path.name.startswith(".")
    writer.start(packets[:30])
    deadline = time.monotonic() + 10
    while not writer.tmp_path.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    # Being written: only the temporary file exists.
    assert writer.tmp_path.exists()
    assert writer.running
    assert not final.exists()
    assert not final.with_suffix(".jpg").exists()
    for packet in packets[30:]:
        writer.add(packet)
    assert not final.exists()
    writer.finish()
    info = writer.join(30)
    assert done.is_set()
    assert results == [(info, None)]
    assert info is not None
    assert final.exists()
    assert not writer.tmp_path.exists()
    assert info.thumbnail == final.with_suffix(".jpg")
    assert info.thumbnail.read_bytes() == JPEG
    assert sorted(p.name for p in final.parent.iterdir()) == ["clip.jpg", "clip.mp4"]
    assert probe(final).frames == 60


def test_finished_early_is_playable(video_clip: Path, tmp_path: Path) -> None:
    template, packets = demux(video_clip)
    # Stream lost 1.3 s in: the writer is told to finish with what it has.
    _, info = write(tmp_path / "short.mp4", template, packets[:15], packets[15:20])
    assert info is not None
    assert info.frames == 20
    result = probe(info.path)
    assert result.frames == 20
    assert result.first_key
    assert result.duration == pytest.approx(20 / 15, abs=1e-3)


def test_packets_before_the_first_key_frame_are_dropped(video_clip: Path, tmp_path: Path) -> None:
    template, packets = demux(video_clip)
    _, info = write(tmp_path / "mid.mp4", template, packets[5:])
    assert info is not None
    assert info.frames == 45  # from the key frame at 1 s
    assert info.start_wall == T0 + 1.0
    result = probe(info.path)
    assert result.frames == 45
    assert result.first_key


def test_bad_timestamps_do_not_break_the_clip(video_clip: Path, tmp_path: Path) -> None:
    template, packets = demux(video_clip)
    bad = list(packets)
    # A packet whose DTS repeats its predecessor's, then a camera clock jumping ahead by
    # an hour halfway through, then packets with no timestamps at all.
    bad[10] = replace(bad[10], pts=bad[9].pts, dts=bad[9].dts)
    hour = int(3600 / template.video_time_base)
    for index in range(30, 50):
        p = bad[index]
        assert p.pts is not None
        assert p.dts is not None
        bad[index] = replace(p, pts=p.pts + hour, dts=p.dts + hour)
    for index in range(50, 60):
        bad[index] = replace(bad[index], pts=None, dts=None)
    _, info = write(tmp_path / "bad.mp4", template, bad)
    assert info is not None
    assert info.frames == 60
    assert info.duration == pytest.approx(4.0, abs=0.1)
    result = probe(info.path)
    assert result.frames == 60
    assert result.duration == pytest.approx(4.0, abs=0.1)


def test_audio_going_backwards_is_dropped(av_clip: Path, tmp_path: Path) -> None:
    template, packets = demux(av_clip)
    audio = [i for i, p in enumerate(packets) if p.kind == "audio"]
    dup = packets[audio[10]]
    packets.insert(audio[10] + 1, replace(dup, wall=dup.wall + 0.001))
    expected = sum(1 for i in audio if packets[i].wall >= T0)  # not the priming packet
    _, info = write(tmp_path / "dup.mp4", template, packets)
    assert info is not None
    assert info.audio_packets == expected
    assert info.dropped == 1
    assert probe(info.path).packets["audio"] == expected


def test_full_queue_drops_until_a_key_frame(video_clip: Path, tmp_path: Path) -> None:
    template, packets = demux(video_clip)
    writer = ClipWriter(tmp_path / "full.mp4", template, max_queue=20)
    for packet in packets:  # nothing drains the queue before start()
        writer.add(packet)
    assert writer.dropped == 40
    writer.start([])
    writer.finish()
    info = writer.join(30)
    assert info is not None
    assert info.frames == 20
    assert info.dropped == 40
    assert probe(info.path).frames == 20


def test_no_key_frame_fails_cleanly(video_clip: Path, tmp_path: Path) -> None:
    template, packets = demux(video_clip)
    errors: list[BaseException | None] = []
    folder = tmp_path / "clips"
    writer = ClipWriter(
        folder / "none.mp4",
        template,
        thumbnail=JPEG,
        on_done=lambda info, error: errors.append(error),
    )
    writer.start(packets[1:14])  # no key frame among them
    writer.finish()
    assert writer.join(30) is None
    assert isinstance(writer.error, ClipError)
    assert errors == [writer.error]
    assert list(folder.iterdir()) == []  # neither the temporary file nor a thumbnail


def test_callback_errors_are_logged(
    video_clip: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    template, packets = demux(video_clip)

    def broken(info: ClipInfo | None, error: BaseException | None) -> None:
        raise RuntimeError("boom")

    _, info = write(tmp_path / "cb.mp4", template, packets[:15], on_done=broken)
    assert info is not None
    assert info.path.exists()
    assert "Error in the clip callback" in caplog.text


def test_thumbnail_set_later_and_durations_given(video_clip: Path, tmp_path: Path) -> None:
    template, packets = demux(video_clip, durations=True)
    assert all(p.duration for p in packets)
    writer = ClipWriter(tmp_path / "t.mp4", template)
    writer.set_thumbnail(JPEG)
    writer.set_thumbnail(b"second")  # the first thumbnail stays
    writer.start(packets)
    writer.add(packets[0])  # after finish() nothing more is taken
    writer.finish()
    writer.add(packets[1])
    info = writer.join(30)
    assert info is not None
    assert info.thumbnail is not None
    assert info.thumbnail.read_bytes() == JPEG
    assert info.duration == pytest.approx(4.0, abs=1e-3)


def test_start_twice_is_an_error(video_clip: Path, tmp_path: Path) -> None:
    template, packets = demux(video_clip)
    writer = ClipWriter(tmp_path / "twice.mp4", template)
    writer.start(packets[:15])
    with pytest.raises(RuntimeError, match="already started"):
        writer.start(packets[:15])
    writer.finish()
    assert writer.join(30) is not None


@pytest.mark.parametrize(
    ("fmt", "audio_kept"),
    [
        ("mpegts", True),  # Annex B video, ADTS audio: everything in-band
        ("mp4", False),  # avcC: rewritten to Annex B; the audio's extradata cannot be carried
    ],
)
def test_no_encoder_falls_back_to_a_mux_stream(
    fmt: str, audio_kept: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an encoder to borrow a codec context from, the clip is still playable."""
    template, packets = demux(make_av_clip(tmp_path / f"source.{fmt}", seconds=2, fmt=fmt))
    assert template.has_audio

    def no_encoder(*args: object) -> None:
        raise ValueError("no encoder")

    monkeypatch.setattr(clip_module, "_template_stream", no_encoder)
    _, info = write(tmp_path / "mux.mp4", template, packets)
    assert info is not None
    result = probe(info.path)
    assert result.frames == info.frames == 30
    assert result.first_key
    assert ("audio" in result.codecs) is audio_kept
    if audio_kept:
        assert result.audio_samples / 16000 == pytest.approx(2.0, abs=0.2)


def test_no_encoder_and_no_in_band_parameters_fails(
    video_clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template, packets = demux(video_clip)
    hevc = replace(template, video_codec="hevc", video_extradata=b"\x01" + bytes(30))

    def no_encoder(*args: object) -> None:
        raise ValueError("no encoder")

    monkeypatch.setattr(clip_module, "_template_stream", no_encoder)
    writer, info = write(tmp_path / "hevc.mp4", hevc, packets)
    assert info is None
    assert isinstance(writer.error, ClipError)
    assert not writer.tmp_path.exists()
    assert not writer.path_final.exists()


def test_mux_errors_skip_the_packet_but_disk_errors_fail(video_clip: Path, tmp_path: Path) -> None:
    template, packets = demux(video_clip)

    class Refusing:
        def __init__(self, error: Exception) -> None:
            self.error = error

        def mux(self, packet: av.Packet) -> None:
            raise self.error

    writer = ClipWriter(tmp_path / "x.mp4", template)
    output = av.open(str(tmp_path / "scratch.mp4"), "w", format="mp4")
    try:
        writer._add_streams(output)
        track = writer._tracks["video"]
        packet = av.Packet(packets[0].data)
        refused = av.error.InvalidDataError(1094995529, "Invalid data")
        writer._mux(Refusing(refused), track, packet)  # type: ignore[arg-type]
        assert writer._bad == 1
        assert track.written == 0
        disk = av.error.OSError(28, "No space left on device")
        with pytest.raises(OSError, match="No space"):
            writer._mux(Refusing(disk), track, packet)  # type: ignore[arg-type]
    finally:
        output.close()
