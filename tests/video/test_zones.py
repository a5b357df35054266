"""Masks and zones: the polygon text form, the layout model and its rasterisation."""

from __future__ import annotations

import numpy as np
import pytest

from custom_components.cam_events.video.detector import grid_step
from custom_components.cam_events.video.zones import (
    MAX_POINTS,
    Area,
    AreaKind,
    Layout,
    LayoutError,
    PolygonError,
    PreparedLayout,
    format_polygon,
    parse_polygon,
    prepare,
    validate_polygon,
)


def _zone(area_id: str, text: str, **kwargs: object) -> Area:
    return Area(area_id, area_id.title(), AreaKind.ZONE, parse_polygon(text), **kwargs)  # type: ignore[arg-type]


def _mask(area_id: str, text: str, **kwargs: object) -> Area:
    return Area(area_id, area_id.title(), AreaKind.MASK, parse_polygon(text), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "points"),
    [
        ("0.1,0.2 0.5,0.2 0.5,0.8", ((0.1, 0.2), (0.5, 0.2), (0.5, 0.8))),
        # Any whitespace or semicolons between points; a closing repeat of the first is dropped.
        ("  0,0\t1,0\n1,1;0,1 0,0 ", ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))),
        ("1e-1,.2 0.5,0.2 0.5,0.8", ((0.1, 0.2), (0.5, 0.2), (0.5, 0.8))),
    ],
)
def test_good_polygons_parse(text: str, points: tuple[tuple[float, float], ...]) -> None:
    assert parse_polygon(text) == points
    assert parse_polygon(format_polygon(points)) == points


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "polygon_too_few_points"),
        ("0.1,0.2 0.5,0.2", "polygon_too_few_points"),
        ("0.1,0.2 0.5,0.2 0.1,0.2", "polygon_too_few_points"),  # a closed ring of two points
        ("0.1,0.2 1.5,0.2 0.5,0.8", "polygon_out_of_range"),
        ("0.1,-0.2 0.5,0.2 0.5,0.8", "polygon_out_of_range"),
        # A bow tie: the edges (0,0)-(1,1) and (1,0)-(0,1) cross in the middle.
        ("0,0 1,1 1,0 0,1", "polygon_self_crossing"),
        # A point lying on a non-neighbouring edge touches it.
        ("0,0 1,0 1,1 0.5,0 0,1", "polygon_self_crossing"),
        ("0.1,0.2 0.5,x 0.5,0.8", "polygon_invalid"),
        ("0.1,0.2 0.5 0.5,0.8", "polygon_invalid"),
        ("0.1,0.2,0.3 0.5,0.2 0.5,0.8", "polygon_invalid"),
        ("nan,0.2 0.5,0.2 0.5,0.8", "polygon_invalid"),
        ("0.1,0.1 0.2,0.2 0.3,0.3", "polygon_invalid"),  # on one line: no area
        ("0.1,0.1 0.5,0.1 0.1,0.1 0.5,0.5", "polygon_invalid"),  # a repeated point
        (" ".join(f"{i / 100},{(i % 2) / 10}" for i in range(MAX_POINTS + 2)), "polygon_invalid"),
    ],
)
def test_bad_polygons_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(PolygonError) as caught:
        parse_polygon(text)
    assert caught.value.reason == reason
    assert str(caught.value)  # an English sentence for the log


def test_the_error_names_the_point_at_fault() -> None:
    with pytest.raises(PolygonError) as caught:
        parse_polygon("0.1,0.2 0.5,0.2 2,0.8")
    assert caught.value.placeholders == {"point": "3"}


def test_validate_refuses_what_is_not_a_list_of_pairs() -> None:
    assert validate_polygon([[0, 0], [1, 0], [0, 1]]) == ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0))
    for bad in (["01", [1, 0], [0, 1]], [[0, 0], [1, True], [0, 1]], [[0, 0, 0], [1, 0], [0, 1]]):
        with pytest.raises(PolygonError) as caught:
            validate_polygon(bad)  # type: ignore[arg-type]
        assert caught.value.reason == "polygon_invalid"


def test_layout_round_trips_and_switches_one_area() -> None:
    layout = Layout(
        (
            _zone("drive", "0,0 0.5,0 0.5,1 0,1", min_area=5.0),
            _mask("street", "0.5,0 1,0 1,0.2", enabled=False),
        )
    )
    assert Layout.from_data(layout.to_data()) == layout
    assert [a.id for a in layout.zones] == ["drive"]
    assert [a.id for a in layout.masks] == ["street"]
    off = layout.with_enabled("drive", False)
    assert not off.active  # nothing enabled: detection runs as without a layout
    assert layout.active
    assert off.with_enabled("street", True).get("street") == Area(
        "street", "Street", AreaKind.MASK, parse_polygon("0.5,0 1,0 1,0.2")
    )
    with pytest.raises(KeyError):
        layout.with_enabled("nope", True)


@pytest.mark.parametrize(
    "data",
    [
        [{"id": "a", "name": "A", "kind": "zone", "polygon": [[0, 0], [1, 0]]}],
        [{"id": "a", "name": "A", "kind": "lasso", "polygon": [[0, 0], [1, 0], [0, 1]]}],
        [{"id": "A b", "name": "A", "kind": "zone", "polygon": [[0, 0], [1, 0], [0, 1]]}],
        [{"id": "a", "name": " ", "kind": "zone", "polygon": [[0, 0], [1, 0], [0, 1]]}],
        [{"id": "a", "name": "A", "kind": "zone", "polygon": [[0, 0], [1, 0], [0, 1]]}] * 2,
        [{"id": "a", "kind": "zone", "polygon": [[0, 0], [1, 0], [0, 1]]}],
        [
            {
                "id": "a",
                "name": "A",
                "kind": "zone",
                "polygon": [[0, 0], [1, 0], [0, 1]],
                "min_area": 101,
            }
        ],
        [
            {"id": f"z{i}", "name": "Z", "kind": "zone", "polygon": [[0, 0], [1, 0], [0, 1]]}
            for i in range(40)
        ],
        "not a list",
        5,
    ],
)
def test_bad_layout_data_is_refused(data: object) -> None:
    with pytest.raises(LayoutError) as caught:
        Layout.from_data(data)  # type: ignore[arg-type]
    assert caught.value.reason in {"layout_invalid", "polygon_too_few_points"}


def _prepared(layout: Layout, height: int, width: int, grid_height: int = 100) -> PreparedLayout:
    step = grid_step(height, grid_height)
    prepared = prepare(layout, step, height, width, min_cells=42)
    assert prepared is not None
    return prepared


@pytest.mark.parametrize("text", ["0.1,0.2 0.5,0.2 0.5,0.8", "0.2,0.1 0.9,0.3 0.6,0.9 0.15,0.7"])
def test_rasterisation_gives_the_same_share_at_two_grid_sizes(text: str) -> None:
    layout = Layout((_zone("z", text), _mask("m", "0,0 1,0 1,0.1 0,0.1")))
    polygon = parse_polygon(text)
    xs, ys = zip(*polygon, strict=True)
    exact = 0.5 * abs(
        sum(
            x0 * y1 - x1 * y0
            for x0, y0, x1, y1 in zip(xs, ys, xs[1:] + xs[:1], ys[1:] + ys[:1], strict=True)
        )
    )
    shares = []
    for height, width, grid in ((360, 640, 100), (1080, 1920, 100), (1080, 1920, 200)):
        prepared = _prepared(layout, height, width, grid)
        rows, cols = prepared.shape
        zone = prepared.zones[0]
        shares.append(zone.cells / (rows * cols))
        assert prepared.kept == rows * cols - int(prepared.masked.sum())
        assert abs(prepared.masked.sum() / (rows * cols) - 0.1) < 0.02
    # The masked top tenth overlaps the zone above y = 0.1 (the second polygon only).
    for share in shares:
        assert abs(share - shares[0]) < 0.01
        assert share <= exact + 0.01


def test_overlapping_zones_and_masks_are_laid_out_like_the_changed_cells() -> None:
    layout = Layout(
        (
            _zone("left", "0,0 0.6,0 0.6,1 0,1"),
            _zone("right", "0.4,0 1,0 1,1 0.4,1"),
            _zone("off", "0,0 1,0 1,1", enabled=False),
            _mask("top", "0,0 1,0 1,0.5 0,0.5"),
        )
    )
    prepared = _prepared(layout, 360, 640)
    rows, cols = prepared.shape
    ids = [z.id for z in prepared.zones]
    assert ids == ["left", "right"]  # the disabled zone is not applied
    members = prepared.members
    assert members is not None
    # Each row is one zone's cells, one bit per cell, row by row, nothing in the padding.
    assert members.shape == (2, -(-rows * cols // 64))
    bits = np.unpackbits(members.view(np.uint8), axis=1)
    assert not bits[:, rows * cols :].any()
    planes = bits[:, : rows * cols].reshape(2, rows, cols).astype(bool)
    for plane, zone in zip(planes, prepared.zones, strict=True):
        assert (plane == zone.members).all()
        assert int(plane.sum()) == zone.cells
    # Masked cells belong to no zone.
    assert not planes[:, prepared.masked].any()
    left, right = prepared.zones
    assert left.cells == right.cells
    assert abs(left.cells / prepared.kept - 0.6) < 0.02


def test_zone_minimum_area_defaults_to_the_cameras_and_a_masked_zone_never_moves() -> None:
    layout = Layout(
        (
            _zone("big", "0,0 1,0 1,1 0,1"),
            _zone("half", "0,0 1,0 1,1 0,1", min_area=50.0),
            _zone("hidden", "0.8,0.8 0.9,0.8 0.9,0.9"),
            _mask("corner", "0.7,0.7 1,0.7 1,1 0.7,1"),
        )
    )
    prepared = _prepared(layout, 360, 640)
    big, half, hidden = prepared.zones
    assert big.min_cells == 42
    assert half.min_cells == -(-big.cells // 2)
    assert hidden.cells == 0
    assert hidden.min_cells > prepared.kept
    assert prepared.zone_floor == 42


def test_nothing_enabled_prepares_nothing() -> None:
    layout = Layout((_zone("z", "0,0 1,0 1,1", enabled=False),))
    assert prepare(layout, 3, 360, 640, 42) is None
    assert prepare(Layout(), 3, 360, 640, 42) is None
