"""Frames over 8K are refused with a clear error before they cost gigabytes."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from custom_components.cam_events.video.errors import (
    MAX_FRAME_PIXELS,
    StreamError,
    StreamErrorCode,
    check_frame_size,
)
from custom_components.cam_events.video.probe import probe
from custom_components.cam_events.video.source import StreamSource


def write_jpeg(path: Path, width: int, height: int) -> Path:
    """One MJPEG frame of `width` x `height` as a .jpg file (FFmpeg's image2 reads it)."""
    with av.open(str(path), "w", format="image2") as container:
        stream = container.add_stream("mjpeg", rate=1)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuvj420p"
        frame = av.VideoFrame.from_ndarray(
            np.full((height, width, 3), 128, dtype=np.uint8), format="rgb24"
        )
        for packet in stream.encode(frame.reformat(format="yuvj420p")):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_check_frame_size_bound() -> None:
    check_frame_size(7680, 4320)
    check_frame_size(4320, 7680)
    with pytest.raises(StreamError) as caught:
        check_frame_size(12000, 12000)
    assert caught.value.code is StreamErrorCode.FRAME_TOO_LARGE
    assert "12000x12000" in caught.value.detail
    assert MAX_FRAME_PIXELS == 7680 * 4320


@pytest.fixture(scope="module")
def huge_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jpeg(tmp_path_factory.mktemp("huge") / "huge.jpg", 8000, 4400)


def test_probe_refuses_a_frame_over_8k(huge_jpeg: Path) -> None:
    with pytest.raises(StreamError) as caught:
        probe(StreamSource(str(huge_jpeg)))
    assert caught.value.code is StreamErrorCode.FRAME_TOO_LARGE
    assert "8000x4400" in caught.value.detail


def test_probe_takes_8k(tmp_path: Path) -> None:
    result = probe(StreamSource(str(write_jpeg(tmp_path / "8k.jpg", 7680, 4320))))
    assert (result.width, result.height) == (7680, 4320)
