"""Masks and zones: polygons relative to the picture, prepared once for the detector's grid.

A :class:`Layout` is the data the user draws: named :class:`Area` polygons, each a *mask*
(ignored by detection: no motion, no lighting change, no tamper) or a *zone* (an area of
interest with its own motion state). Coordinates are relative to the picture (0..1, x to the
right, y down), so one layout fits every resolution and both a camera's streams.

:func:`prepare` rasterises a layout for one grid (the detector's sampled luma) into what the
detector needs per frame, done once per layout change or grid change, never per frame:

* the cells kept (not masked), used to pin the masked cells' bounds so they never count;
* every zone's cells as bits packed into 64-bit words, in the order ``np.packbits`` packs the
  detector's changed cells, so that all zones are counted at once (zones may overlap): a
  word-wise AND, a population count and one sum per zone, over 1/8 of the grid's bytes;
* per zone its cell count, minimum changed cells and membership (for its bounding box).

Nothing here imports Home Assistant or PyAV.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
import math
import re
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "MAX_AREAS",
    "MAX_POINTS",
    "Area",
    "AreaKind",
    "Layout",
    "LayoutError",
    "Point",
    "PolygonError",
    "PreparedLayout",
    "PreparedZone",
    "bit_words",
    "format_polygon",
    "parse_polygon",
    "prepare",
    "validate_polygon",
]

MAX_POINTS: Final = 64
"""Most points a polygon may have."""
MAX_AREAS: Final = 32
"""Most masks and zones, together, a layout may have."""
MAX_NAME: Final = 64
"""Longest name of a mask or zone, in characters."""
_ID: Final = re.compile(r"^[a-z0-9_]{1,32}$")

type Point = tuple[float, float]


class LayoutError(ValueError):
    """A layout (or one of its polygons) that cannot be used.

    ``reason`` is a translation key the glue maps to a message (``polygon_too_few_points``,
    ``polygon_out_of_range``, ``polygon_self_crossing``, ``polygon_invalid``,
    ``layout_invalid``); ``placeholders`` fill it in; ``str()`` is an English sentence for logs.
    """

    def __init__(self, reason: str, detail: str, **placeholders: str) -> None:
        """Keep the key, its placeholders and the English detail."""
        super().__init__(detail)
        self.reason = reason
        self.placeholders = placeholders


class PolygonError(LayoutError):
    """A polygon that is not one (see :func:`validate_polygon` for the reasons)."""


class AreaKind(StrEnum):
    """What an area does."""

    MASK = "mask"  # ignored entirely by detection
    ZONE = "zone"  # an area of interest with its own motion state


def parse_polygon(text: str) -> tuple[Point, ...]:
    """Parse ``"0.1,0.2 0.5,0.2 0.5,0.8"`` (x,y pairs between spaces) into a valid polygon.

    A last point equal to the first (a closed ring) is dropped. Raises :class:`PolygonError`.
    """
    pairs = text.replace(";", " ").split()
    if len(pairs) > MAX_POINTS + 1:
        raise PolygonError(
            "polygon_invalid",
            f"a polygon has at most {MAX_POINTS} points, got {len(pairs)}",
            max=str(MAX_POINTS),
        )
    points: list[Point] = []
    for number, pair in enumerate(pairs, 1):
        parts = pair.split(",")
        try:
            if len(parts) != 2:
                raise ValueError(pair)
            point = (float(parts[0]), float(parts[1]))
        except ValueError:
            raise PolygonError(
                "polygon_invalid", f"point {number} ({pair!r}) is not x,y", point=str(number)
            ) from None
        points.append(point)
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    return validate_polygon(points)


def format_polygon(points: Iterable[Point]) -> str:
    """Return the text form of a polygon, as :func:`parse_polygon` reads it (4 decimals)."""
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in points)


def _num(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text or "0"


def validate_polygon(points: Sequence[Sequence[float]]) -> tuple[Point, ...]:
    """Return ``points`` as a tuple of (x, y) if they form a simple polygon inside 0..1.

    Reasons (:class:`PolygonError`): ``polygon_invalid`` (not numbers, not pairs, more than
    ``MAX_POINTS``, repeated points or no area), ``polygon_too_few_points`` (under 3),
    ``polygon_out_of_range`` (a coordinate outside 0..1), ``polygon_self_crossing`` (two
    edges cross or touch).
    """
    if len(points) > MAX_POINTS:
        raise PolygonError(
            "polygon_invalid",
            f"a polygon has at most {MAX_POINTS} points, got {len(points)}",
            max=str(MAX_POINTS),
        )
    ring: list[Point] = []
    for number, point in enumerate(points, 1):
        if (
            isinstance(point, (str, bytes))
            or len(point) != 2
            or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in point
            )
        ):
            raise PolygonError(
                "polygon_invalid", f"point {number} is not two numbers", point=str(number)
            )
        x, y = float(point[0]), float(point[1])
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise PolygonError(
                "polygon_out_of_range",
                f"point {number} ({x:g},{y:g}) is outside 0..1",
                point=str(number),
            )
        ring.append((x, y))
    if len(ring) < 3:
        raise PolygonError(
            "polygon_too_few_points", f"a polygon needs 3 points, got {len(ring)}", count="3"
        )
    if len(set(ring)) != len(ring):
        raise PolygonError("polygon_invalid", "a point is repeated")
    count = len(ring)
    edges = [(ring[i], ring[(i + 1) % count]) for i in range(count)]
    for i in range(count):
        # Neighbouring edges share a point; any other pair must not meet at all.
        for j in range(i + 2, count):
            if i == 0 and j == count - 1:
                continue
            if _segments_meet(*edges[i], *edges[j]):
                raise PolygonError(
                    "polygon_self_crossing",
                    f"edges {i + 1} and {j + 1} cross",
                    edge=str(i + 1),
                    other=str(j + 1),
                )
    if abs(_area(ring)) < 1e-9:
        raise PolygonError("polygon_invalid", "the points enclose no area")
    return tuple(ring)


def _area(ring: Sequence[Point]) -> float:
    """Signed area (shoelace)."""
    return 0.5 * sum(
        x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, [*ring[1:], ring[0]], strict=True)
    )


def _orient(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: Point, b: Point, p: Point) -> bool:
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def _segments_meet(a: Point, b: Point, c: Point, d: Point) -> bool:
    """Whether segments ab and cd have a point in common (crossing, touching or overlapping)."""
    o1, o2, o3, o4 = _orient(a, b, c), _orient(a, b, d), _orient(c, d, a), _orient(c, d, b)
    if ((o1 > 0 and o2 < 0) or (o1 < 0 and o2 > 0)) and (
        (o3 > 0 and o4 < 0) or (o3 < 0 and o4 > 0)
    ):
        return True
    return (
        (o1 == 0 and _on_segment(a, b, c))
        or (o2 == 0 and _on_segment(a, b, d))
        or (o3 == 0 and _on_segment(c, d, a))
        or (o4 == 0 and _on_segment(c, d, b))
    )


@dataclass(frozen=True, slots=True)
class Area:
    """One mask or zone."""

    id: str
    """Stable identifier (``[a-z0-9_]``, at most 32): unique ids and entity ids hang on it."""
    name: str
    kind: AreaKind
    polygon: tuple[Point, ...]
    enabled: bool = True
    """A disabled area is not applied (its switch is off)."""
    min_area: float | None = None
    """Zones only: percent (0..100) of the zone that must change for motion in it; None:
    as many cells as the camera's ``min_area`` asks of the whole picture (the same object
    size counts wherever it is)."""

    def __post_init__(self) -> None:
        """Reject what the detector cannot use."""
        if not _ID.match(self.id):
            raise LayoutError("layout_invalid", f"bad area id {self.id!r}", id=self.id[:40])
        if not self.name.strip() or len(self.name) > MAX_NAME:
            raise LayoutError("layout_invalid", f"bad name for area {self.id}", id=self.id)
        object.__setattr__(self, "kind", AreaKind(self.kind))
        object.__setattr__(self, "polygon", validate_polygon(self.polygon))
        if self.min_area is not None and not 0.0 <= self.min_area <= 100.0:
            raise LayoutError(
                "layout_invalid", f"min_area of {self.id} must be 0..100 percent", id=self.id
            )

    def to_data(self) -> dict[str, Any]:
        """Return a JSON-ready dict (what the glue stores), read back by :meth:`from_data`."""
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "kind": self.kind.value,
            "polygon": [list(p) for p in self.polygon],
            "enabled": self.enabled,
        }
        if self.min_area is not None:
            data["min_area"] = self.min_area
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Area:
        """Build from :meth:`to_data`'s form; raises :class:`LayoutError`."""
        try:
            kind = AreaKind(data["kind"])
            min_area = data.get("min_area")
            return cls(
                id=str(data["id"]),
                name=str(data["name"]),
                kind=kind,
                polygon=validate_polygon(data["polygon"]),
                enabled=bool(data.get("enabled", True)),
                min_area=None if min_area is None else float(min_area),
            )
        except (KeyError, TypeError, ValueError) as err:
            if isinstance(err, LayoutError):
                raise
            raise LayoutError("layout_invalid", f"bad area: {err!r}") from None


@dataclass(frozen=True, slots=True)
class Layout:
    """A camera's masks and zones, in the order the user made them."""

    areas: tuple[Area, ...] = ()

    def __post_init__(self) -> None:
        """Reject duplicate ids and too many areas."""
        object.__setattr__(self, "areas", tuple(self.areas))
        if len(self.areas) > MAX_AREAS:
            raise LayoutError(
                "layout_invalid", f"at most {MAX_AREAS} masks and zones", max=str(MAX_AREAS)
            )
        ids = [a.id for a in self.areas]
        if len(set(ids)) != len(ids):
            raise LayoutError("layout_invalid", "two areas share an id")

    @property
    def masks(self) -> tuple[Area, ...]:
        """The masks, enabled or not."""
        return tuple(a for a in self.areas if a.kind is AreaKind.MASK)

    @property
    def zones(self) -> tuple[Area, ...]:
        """The zones, enabled or not."""
        return tuple(a for a in self.areas if a.kind is AreaKind.ZONE)

    @property
    def active(self) -> bool:
        """Whether any area is enabled (otherwise detection is as without a layout)."""
        return any(a.enabled for a in self.areas)

    def get(self, area_id: str) -> Area | None:
        """Return the area with this id."""
        return next((a for a in self.areas if a.id == area_id), None)

    def with_enabled(self, area_id: str, enabled: bool) -> Layout:
        """Return a copy with one area switched on or off; raises KeyError for an unknown id."""
        if self.get(area_id) is None:
            raise KeyError(area_id)
        return Layout(
            tuple(replace(a, enabled=enabled) if a.id == area_id else a for a in self.areas)
        )

    def to_data(self) -> list[dict[str, Any]]:
        """JSON-ready form."""
        return [a.to_data() for a in self.areas]

    @classmethod
    def from_data(cls, data: Iterable[Mapping[str, Any]]) -> Layout:
        """Build from :meth:`to_data`'s form; raises :class:`LayoutError`."""
        try:
            items = list(data)
        except TypeError:
            raise LayoutError("layout_invalid", "a layout is a list of areas") from None
        if len(items) > MAX_AREAS:
            raise LayoutError(
                "layout_invalid", f"at most {MAX_AREAS} masks and zones", max=str(MAX_AREAS)
            )
        return cls(tuple(Area.from_data(item) for item in items))


@dataclass(frozen=True, slots=True, eq=False)
class PreparedZone:
    """One enabled zone on one grid."""

    id: str
    name: str
    cells: int
    """Grid cells inside the zone and not masked."""
    min_cells: int
    """Changed cells needed for motion in the zone (at least 1; more than ``cells`` when the
    zone has no cells, so it never moves)."""
    members: npt.NDArray[np.bool_] = field(repr=False)
    """The zone's cells (not masked) on the grid."""


@dataclass(frozen=True, slots=True, eq=False)
class PreparedLayout:
    """A layout rasterised for one grid: what :class:`~.detector.MotionDetector` uses."""

    layout: Layout
    shape: tuple[int, int]
    """Grid rows and columns."""
    step: int
    height: int
    width: int
    masked: npt.NDArray[np.bool_] | None = field(repr=False)
    """Cells under an enabled mask, or None when no mask is enabled."""
    kept: int
    """Cells not masked (the camera's motion and lighting ratios are shares of these)."""
    zones: tuple[PreparedZone, ...]
    members: npt.NDArray[np.uint64] | None = field(repr=False)
    """(zones, words): each zone's cells, row by row, one bit per cell as ``np.packbits``
    packs them, padded with zeros to whole 64-bit words (see :func:`bit_words`); None
    without zones."""
    zone_floor: int
    """Fewest changed cells with which any zone can see motion."""


def cell_centres(
    shape: tuple[int, int], step: int, height: int, width: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return the relative x of each column's and y of each row's block centre.

    A cell stands for the ``step`` x ``step`` block of pixels it samples.
    """
    rows, cols = shape
    xs = np.minimum((np.arange(cols) + 0.5) * step, width) / width
    ys = np.minimum((np.arange(rows) + 0.5) * step, height) / height
    return xs, ys


def rasterise(
    polygon: Sequence[Point], xs: npt.NDArray[np.float64], ys: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    """Cells whose centre lies inside the polygon (even-odd rule), as a (rows, cols) array."""
    px = xs[None, :]
    py = ys[:, None]
    inside = np.zeros((ys.shape[0], xs.shape[0]), np.bool_)
    count = len(polygon)
    for i in range(count):
        (x0, y0), (x1, y1) = polygon[i], polygon[(i - 1) % count]
        if y0 == y1:
            continue
        spans = (y0 > py) != (y1 > py)
        cross = (x1 - x0) * (py - y0) / (y1 - y0) + x0
        inside ^= spans & (px < cross)
    return inside


def bit_words(shape: tuple[int, int]) -> int:
    """64-bit words holding one bit per cell of a (rows, cols) grid."""
    return math.ceil(shape[0] * shape[1] / 64)


def prepare(
    layout: Layout, step: int, height: int, width: int, min_cells: int
) -> PreparedLayout | None:
    """Rasterise ``layout`` for the grid ``luma[::step, ::step]`` of a frame.

    ``height`` x ``width`` is the frame's size; ``min_cells`` is the camera's minimum changed
    cells (the zones' default).

    Returns None when nothing in the layout is enabled: detection then runs as without one.
    """
    if not layout.active:
        return None
    shape = (-(-height // step), -(-width // step))
    xs, ys = cell_centres(shape, step, height, width)
    masked: npt.NDArray[np.bool_] | None = None
    for area in layout.masks:
        if area.enabled:
            inside = rasterise(area.polygon, xs, ys)
            masked = inside if masked is None else masked | inside
    kept = shape[0] * shape[1] - (int(masked.sum()) if masked is not None else 0)
    zones: list[PreparedZone] = []
    for area in layout.zones:
        if not area.enabled:
            continue
        members = rasterise(area.polygon, xs, ys)
        if masked is not None:
            members &= ~masked
        cells = int(members.sum())
        if area.min_area is None:
            need = min(min_cells, cells)
        else:
            need = math.ceil(area.min_area / 100.0 * cells - 1e-9)
        # A zone without cells (smaller than a cell, or masked over) never sees motion.
        need = max(1, need) if cells else 1 << 30
        zones.append(PreparedZone(area.id, area.name, cells, need, members))
    packed_members: npt.NDArray[np.uint64] | None = None
    if zones:
        rows = np.zeros((len(zones), bit_words(shape) * 8), np.uint8)
        for index, zone in enumerate(zones):
            bits = np.packbits(zone.members.reshape(-1))
            rows[index, : bits.size] = bits
        packed_members = rows.view(np.uint64)
    floor = min((z.min_cells for z in zones), default=0)
    return PreparedLayout(
        layout=layout,
        shape=shape,
        step=step,
        height=height,
        width=width,
        masked=masked,
        kept=kept,
        zones=tuple(zones),
        members=packed_members,
        zone_floor=floor,
    )
