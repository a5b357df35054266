"""The pre-roll ring: kept span, key-frame start, byte bound, `since`, clear."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from custom_components.cam_events.video.ring import PacketRing, RingPacket, StreamTemplate
from devtools.clips import make_clip

T0 = 1_700_000_000.0


def _packets(
    seconds: float, *, fps: int = 10, gop: int = 10, size: int = 100, audio: bool = False
) -> list[RingPacket]:
    """Video at `fps` with a key frame every `gop` frames, optionally audio between frames."""
    out = []
    for index in range(int(seconds * fps)):
        wall = T0 + index / fps
        out.append(RingPacket(bytes(size), index, index, index % gop == 0, "video", wall))
        if audio:
            out.append(RingPacket(bytes(10), index, index, True, "audio", wall + 0.01))
    return out


def _feed(ring: PacketRing, packets: list[RingPacket]) -> None:
    for packet in packets:
        ring.append(packet)


def test_preroll_is_kept_from_a_key_frame() -> None:
    ring = PacketRing(preroll=5.0)
    packets = _packets(30, audio=True)
    for packet in packets:
        ring.append(packet)
        held = ring.since(0)
        assert held[0].is_keyframe
        assert held[0].kind == "video"
    newest = packets[-1].wall
    first = ring.first_wall
    assert first is not None
    # At least the pre-roll, and no more than one GOP (1 s) beyond it.
    assert newest - 6.0 < first <= newest - 5.0
    assert 5.0 <= ring.duration < 6.0
    assert len(ring) == len(ring.since(0)) == sum(1 for p in packets if p.wall >= first)
    assert ring.nbytes == sum(len(p.data) for p in ring.since(0))


def test_short_history_is_kept_whole() -> None:
    ring = PacketRing(preroll=5.0)
    _feed(ring, _packets(3))
    assert len(ring) == 30
    assert ring.first_wall == T0


def test_packets_before_the_first_key_frame_are_dropped() -> None:
    ring = PacketRing(preroll=5.0)
    packets = _packets(3, audio=True)[4:]  # starts with audio and non-key video
    _feed(ring, packets)
    held = ring.since(0)
    assert held[0].is_keyframe
    assert held[0].kind == "video"
    assert held[0].wall == T0 + 1.0
    assert ring.dropped == sum(1 for p in packets if p.wall < T0 + 1.0)


def test_byte_bound_drops_whole_gops() -> None:
    # 10 packets of 500 bytes per GOP = 5 000 bytes: at most two GOPs fit into 12 000.
    ring = PacketRing(preroll=5.0, max_bytes=12_000)
    for packet in _packets(20, size=500):
        ring.append(packet)
        assert ring.nbytes <= 12_000
        assert ring.since(0)[0].is_keyframe
    # Two whole GOPs (10 000 bytes): the next packet would start a third and drop the first.
    assert ring.nbytes == 10_000
    assert ring.first_wall == T0 + 18.0
    assert ring.duration < 5.0  # the bound wins over the pre-roll


def test_one_gop_larger_than_the_bound_empties_the_ring() -> None:
    ring = PacketRing(preroll=5.0, max_bytes=3_000)
    packets = _packets(2.5, size=500)  # GOPs of 5 000 bytes
    for packet in packets:
        ring.append(packet)
        assert ring.nbytes <= 3_000
    # Within the third GOP (5 packets = 2 500 bytes so far): only it is held.
    assert len(ring) == 5
    assert ring.first_wall == T0 + 2.0
    ring.append(RingPacket(bytes(600), 99, 99, False, "video", T0 + 2.6))
    assert len(ring) == 0  # over the bound with one GOP: wait for the next key frame
    ring.append(RingPacket(bytes(10), 100, 100, False, "video", T0 + 2.7))
    assert len(ring) == 0
    ring.append(RingPacket(bytes(10), 101, 101, True, "video", T0 + 3.0))
    assert len(ring) == 1


def test_since_picks_the_closest_key_frame() -> None:
    ring = PacketRing(preroll=10.0)
    _feed(ring, _packets(20))
    assert ring.since(T0 + 12.4)[0].wall == T0 + 12.0
    assert ring.since(T0 + 12.6)[0].wall == T0 + 13.0
    assert ring.since(T0 + 100)[0].wall == T0 + 19.0  # never after the newest key frame
    assert len(ring.since(T0 + 100)) == 10
    oldest = ring.first_wall
    assert ring.since(0)[0].wall == oldest
    assert ring.since(T0 + 12.4)[-1].wall == T0 + 19.9


def test_clear() -> None:
    ring = PacketRing()
    _feed(ring, _packets(3, audio=True))
    assert len(ring) > 0
    ring.clear()
    assert len(ring) == 0
    assert ring.nbytes == 0
    assert ring.duration == 0.0
    assert ring.since(T0) == []
    assert ring.first_wall is None
    ring.append(RingPacket(b"x", 0, 0, False, "video", T0 + 5))
    assert len(ring) == 0  # starts again at a key frame


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="preroll"):
        PacketRing(preroll=-1)
    with pytest.raises(ValueError, match="max_bytes"):
        PacketRing(max_bytes=0)


def test_template_from_streams(tmp_path: Path) -> None:
    path = make_clip(tmp_path / "v.mp4", width=320, height=180, seconds=1, motion=())
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        template = StreamTemplate.from_streams(video, None)
        extradata = video.codec_context.extradata
    assert template.video_codec == "h264"
    assert (template.width, template.height) == (320, 180)
    assert template.video_time_base == Fraction(1, 15360)
    assert template.video_extradata == extradata
    assert template.video_extradata is not None
    assert template.video_extradata[0] == 1  # avcC
    assert not template.has_audio
    assert template.audio_codec is None
