"""The luma (Y) plane of decoded PyAV frames, read in place as numpy views.

The motion detector only looks at every ``step``-th row and column of the luma plane. For
8-bit planar and semi-planar YUV formats and ``gray`` that sample is one strided view of the
frame's own plane 0 (no copy, no conversion); other formats go through FFmpeg's gray
conversion. A :class:`LumaReader` belongs to one stream and remembers what it learnt about
the stream's frames, so a frame costs two object creations: its plane and the view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from av.video.plane import VideoPlane
import numpy as np
import numpy.typing as npt

from .detector import grid_step

if TYPE_CHECKING:
    from av.video.frame import VideoFrame

__all__ = ["LumaReader", "luma_plane"]

_U8: Final = np.dtype(np.uint8)

LUMA_FORMATS: Final = frozenset(
    {
        "gray",
        "nv12",
        "nv16",
        "nv21",
        "nv24",
        "yuv410p",
        "yuv411p",
        "yuv420p",
        "yuv422p",
        "yuv440p",
        "yuv444p",
        "yuva420p",
        "yuvj411p",
        "yuvj420p",
        "yuvj422p",
        "yuvj440p",
        "yuvj444p",
    }
)
"""8-bit pixel formats whose plane 0 is the luma plane."""


class LumaReader:
    """Samples the luma plane of one stream's frames; not thread-safe.

    ``read(frame, grid_height)`` returns ``luma[::step, ::step]`` with ``step`` from
    :func:`~.detector.grid_step`; ``step``, ``height`` and ``width`` then describe the frame it
    came from. A view keeps its frame alive and must not be written to.
    """

    __slots__ = ("_known", "_layout", "height", "step", "width")

    def __init__(self) -> None:
        """Know nothing about the stream yet."""
        # (width, height, line size, grid height) of frames read in place, and their view's
        # (shape, strides): a stream's frames all share one layout, worked out once.
        self._known: tuple[int, int, int, int] | None = None
        self._layout: tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0))
        self.step = 1
        self.height = 0
        self.width = 0

    def reset(self) -> None:
        """Forget the stream's format (a new connection may bring another)."""
        self._known = None

    def read(self, frame: VideoFrame, grid_height: int) -> npt.NDArray[np.uint8]:
        """Return the frame's luma, every ``step``-th row and column."""
        plane = VideoPlane(frame, 0)
        key = (plane.width, plane.height, plane.line_size, grid_height)
        if key != self._known and not self._learn(frame, plane, key):
            gray: npt.NDArray[np.uint8] = frame.to_ndarray(format="gray")  # type: ignore[assignment]
            return gray[:: self.step, :: self.step]
        shape, strides = self._layout
        return np.ndarray(shape, _U8, plane, 0, strides)

    def _learn(self, frame: VideoFrame, plane: VideoPlane, key: tuple[int, int, int, int]) -> bool:
        """Work out a new layout; return whether plane 0 can be read in place as luma."""
        width, height, line_size, grid_height = key
        self.step = step = grid_step(height, grid_height)
        self.height, self.width = height, width
        in_place = (
            frame.format.name in LUMA_FORMATS
            and line_size >= width
            and plane.buffer_size >= line_size * height
        )
        self._known = key if in_place else None
        self._layout = (-(-height // step), -(-width // step)), (line_size * step, step)
        return in_place


def luma_plane(frame: VideoFrame) -> npt.NDArray[np.uint8]:
    """Return the whole luma plane of a frame as a 2-D uint8 array (a view where possible)."""
    return LumaReader().read(frame, 1 << 30)
