"""File names from date/time patterns: presets, sanitising, refused patterns, safe joins."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path, PurePosixPath
import re
from zoneinfo import ZoneInfo

import pytest

from custom_components.cam_events.delivery.naming import (
    DEFAULT_PRESET,
    MAX_COMPONENT_LENGTH,
    MAX_PATTERN_LENGTH,
    MAX_SEGMENT_LENGTH,
    PRESETS,
    NamingError,
    render,
    safe_join,
    sanitize_component,
    validate_pattern,
)

WHEN = dt.datetime(2026, 3, 7, 9, 5, 3, 42_000, tzinfo=ZoneInfo("Europe/Warsaw"))
EVENT_ID = "01KMBX3Z6WJ7Q2V8R4T5N9H0CD"
LONGEST_PATTERN = "/".join(["x" * 46 + "{S}"] * 3 + ["x" * 46 + "{ms}"])
SAFE_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$|^_$")


def name(pattern: str, **kwargs: object) -> str:
    """Render with the usual camera, event and time unless overridden."""
    args: dict[str, object] = {
        "camera": "Front",
        "event_type": "motion",
        "event_id": EVENT_ID,
        "when": WHEN,
    }
    args.update(kwargs)
    return render(pattern, **args)  # type: ignore[arg-type]


def assert_safe(path: str) -> None:
    """A relative POSIX path of safe, non-hidden components."""
    assert not path.startswith("/")
    assert "\\" not in path
    pure = PurePosixPath(path)
    assert not pure.is_absolute()
    for part in path.split("/"):
        assert part not in {"", ".", ".."}
        assert not part.startswith(".")
        assert len(part) <= MAX_COMPONENT_LENGTH
        assert SAFE_COMPONENT.match(part), part


# --- presets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("camera_date_time", "Front/20260307/090503_motion.jpg"),
        ("date_time", "2026-03-07/09-05-03_Front_motion.jpg"),
        ("date_time_flat", "20260307090503_Front_motion.jpg"),
        ("time_date", "090503_07032026_Front_motion.jpg"),
        ("event_date_time", "motion/20260307_090503_Front.jpg"),
    ],
)
def test_presets_render(preset: str, expected: str) -> None:
    assert validate_pattern(PRESETS[preset]) == PRESETS[preset]
    assert name(PRESETS[preset], ext=".jpg") == expected


def test_preset_set_and_default() -> None:
    assert set(PRESETS) == {
        "camera_date_time",
        "date_time",
        "date_time_flat",
        "time_date",
        "event_date_time",
    }
    assert DEFAULT_PRESET == "camera_date_time"
    assert len(set(PRESETS.values())) == len(PRESETS)


def test_every_token_renders() -> None:
    pattern = "{camera}-{event}-{id}/{Y}.{y}.{m}.{d}_{H}.{M}.{S}.{ms}_{n}"
    assert name(pattern, ext=".json") == (
        f"Front-motion-{EVENT_ID}/2026.26.03.07_09.05.03.042_01.json"
    )


def test_time_fields_are_zero_padded_and_wall_clock() -> None:
    when = dt.datetime(2009, 1, 2, 3, 4, 5, 6_000, tzinfo=dt.UTC)
    assert name("{y}{m}{d}{H}{M}{S}{ms}", when=when) == "090102030405006"
    assert name("{Y}_{id}", when=dt.datetime(999, 12, 31), event_id="x") == "0999_x"
    # Milliseconds truncate, never round up into the next second.
    assert name("{S}.{ms}", when=WHEN.replace(microsecond=999_999)) == "03.999"


def test_no_extension_and_other_extensions() -> None:
    assert name(PRESETS["date_time_flat"]) == "20260307090503_Front_motion"
    assert name(PRESETS["date_time_flat"], ext=".mp4").endswith("_motion.mp4")


@pytest.mark.parametrize("ext", ["jpg", ".", "./x", "/.jpg", ".j/g", ".a" * 10])
def test_malformed_extension_is_refused(ext: str) -> None:
    with pytest.raises(ValueError, match="invalid extension"):
        name(PRESETS[DEFAULT_PRESET], ext=ext)


# --- burst index -----------------------------------------------------------------------------


def test_burst_index_token() -> None:
    pattern = "{camera}/{H}{M}{S}_{n}"
    assert name(pattern) == "Front/090503_01"
    assert name(pattern, index=1) == "Front/090503_01"
    assert name(pattern, index=7, ext=".jpg") == "Front/090503_07.jpg"
    assert name(pattern, index=123) == "Front/090503_123"


def test_burst_index_appended_when_pattern_has_no_token() -> None:
    pattern = PRESETS[DEFAULT_PRESET]
    frames = [name(pattern, index=i, ext=".jpg") for i in range(1, 4)]
    assert frames == [
        "Front/20260307/090503_motion_01.jpg",
        "Front/20260307/090503_motion_02.jpg",
        "Front/20260307/090503_motion_03.jpg",
    ]
    assert name(pattern, ext=".jpg") == "Front/20260307/090503_motion.jpg"


@pytest.mark.parametrize("index", [0, -1])
def test_burst_index_below_one_is_refused(index: int) -> None:
    with pytest.raises(ValueError, match="index"):
        name(PRESETS[DEFAULT_PRESET], index=index)


# --- sanitising hostile values ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("camera", "component"),
    [
        ("../../etc", "etc"),
        ("..", "_"),
        (".", "_"),
        ("", "_"),
        ("   ", "_"),
        ("/", "_"),
        ("/etc/passwd", "etc_passwd"),
        ("Front Door/é", "Front_Door_e"),
        ("Garage\\..\\..\\win.ini", "Garage_.._.._win.ini"),
        ("C:\\Windows", "C_Windows"),
        (".hidden", "hidden"),
        ("~root", "root"),
        ("a\x00b\nc", "a_b_c"),
        ("\uff23\uff41\uff4d\uff11", "Cam1"),  # full-width
        ("Łódź Brama", "odz_Brama"),
        ("東京カメラ", "_"),
        ("Café  --  Ünïcødé", "Cafe_--_Unic_de"),
        ("cam.", "cam"),
        ("__x__", "x"),
        ("._.x", "x"),
    ],
)
def test_hostile_camera_names_stay_one_safe_component(camera: str, component: str) -> None:
    path = name(PRESETS[DEFAULT_PRESET], camera=camera, ext=".jpg")
    assert_safe(path)
    assert path == f"{component}/20260307/090503_motion.jpg"


@pytest.mark.parametrize(
    "event_type",
    ["../../../x", "a/b/c", "", "..", "spaces in type", "motion\\..\\..", "ü" * 300],
)
def test_hostile_event_types_never_add_components(event_type: str) -> None:
    for pattern in PRESETS.values():
        path = name(pattern, camera="../..", event_type=event_type, event_id="../x", ext=".jpg")
        assert_safe(path)
        assert path.count("/") == pattern.count("/")
        assert path.endswith(".jpg")


def test_values_are_sanitised_inside_a_component() -> None:
    path = name(PRESETS["date_time_flat"], camera="", event_type="")
    assert path == "20260307090503"
    path = name(PRESETS["date_time_flat"], camera="Back yard", event_type="line/cross")
    assert path == "20260307090503_Back_yard_line_cross"
    # A leading-dot value in the middle of a component is harmless and kept.
    assert name("{S}{camera}", camera="..x") == "03..x"


def test_long_values_are_cut_but_the_time_survives() -> None:
    long_camera = "c" * 500
    path = name("{camera}_{event}_{H}{M}{S}", camera=long_camera, ext=".jpg")
    assert_safe(path)
    assert len(path) == MAX_COMPONENT_LENGTH
    assert path.endswith("_motion_090503.jpg")
    assert path.startswith("c" * 50)
    path = name("{camera}/{S}_{event}_{id}", camera=long_camera, event_type="e" * 500)
    first, last = path.split("/")
    assert first == "c" * MAX_COMPONENT_LENGTH
    assert len(last) == MAX_COMPONENT_LENGTH
    assert last.startswith("03_e")
    assert last.endswith(f"_{EVENT_ID}")


def test_longest_segment_keeps_its_time_with_burst_index_and_long_extension() -> None:
    # {Y} grows most when rendered (3 characters to 4).
    pattern = "x" * 3 + "{Y}" * 18 + "{S}"
    assert len(pattern) == MAX_SEGMENT_LENGTH
    path = name(pattern, index=100, ext=".abcdefghij")
    assert path == "x" * 3 + "2026" * 18 + "03_100.abcdefghij"
    assert len(path) <= MAX_COMPONENT_LENGTH


def test_id_is_cut_only_after_camera_and_event() -> None:
    pattern = "{camera}{event}{S}{id}"
    path = name(pattern, camera="c" * 40, event_type="e" * 40, event_id="i" * 90)
    # The longer of camera and event goes first (camera, all of it), then event, never the id.
    assert path == "e" * 8 + "03" + "i" * 90
    only_id = name("{S}_{id}", event_id="i" * 500)
    assert only_id == "03_" + "i" * (MAX_COMPONENT_LENGTH - 3)


def test_sanitize_component_directly() -> None:
    assert sanitize_component("a b") == "a_b"
    assert sanitize_component("...") == "_"
    assert sanitize_component("x" * 300) == "x" * MAX_COMPONENT_LENGTH
    assert sanitize_component("abc.def", limit=4) == "abc"


# --- refused patterns ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "",
        "   ",
        "{camera}/{foo}_{S}",
        "{S}{}",
        "{S}_{Camera}",
        "{S}_{camera",
        "{S}_camera}",
        "{{S}}",
        "{S}{",
        "}{S}",
        "{S}" + "x" * MAX_PATTERN_LENGTH,
        "{S}/" + "x" * (MAX_SEGMENT_LENGTH - 2) + "{n}",
    ],
)
def test_invalid_patterns(pattern: str) -> None:
    with pytest.raises(NamingError) as err:
        validate_pattern(pattern)
    assert err.value.key == "invalid_pattern"
    assert isinstance(err.value, ValueError)
    with pytest.raises(NamingError, match="invalid_pattern"):
        name(pattern)


def test_invalid_pattern_type() -> None:
    with pytest.raises(NamingError, match="invalid_pattern"):
        validate_pattern(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "pattern",
    [
        "/{camera}/{S}",
        "/tmp/{S}",
        "\\{camera}\\{S}",
        "{camera}\\{S}",
        "C:{S}",
        "c:/{camera}/{S}",
        "../{camera}/{S}",
        "{camera}/../{S}",
        "{camera}/..",
        "./{S}",
        "{camera}/./{S}",
        "{camera}//{S}",
        "{camera}/{S}/",
    ],
)
def test_unsafe_patterns(pattern: str) -> None:
    with pytest.raises(NamingError) as err:
        validate_pattern(pattern)
    assert err.value.key == "unsafe_pattern"
    with pytest.raises(NamingError, match="unsafe_pattern"):
        name(pattern)


@pytest.mark.parametrize(
    "pattern",
    ["{camera}", "{camera}/{Y}{m}{d}", "{camera}_{event}_{H}{M}", "{y}{n}", "static"],
)
def test_patterns_that_would_collide(pattern: str) -> None:
    with pytest.raises(NamingError) as err:
        validate_pattern(pattern)
    assert err.value.key == "pattern_not_unique"


@pytest.mark.parametrize(
    "pattern",
    ["{id}", "{ms}", "{S}", "  {camera}/{S}  ", "a..b/{S}", "...{S}", LONGEST_PATTERN],
)
def test_valid_patterns(pattern: str) -> None:
    assert validate_pattern(pattern) == pattern.strip()
    assert_safe(name(pattern))


def test_leading_dots_in_pattern_literals_are_dropped() -> None:
    assert name("...{S}") == "03"
    assert name(".cache_{S}") == "cache_03"


# --- safe_join -------------------------------------------------------------------------------


def test_safe_join_places_rendered_names_under_base(tmp_path: Path) -> None:
    relative = name(PRESETS[DEFAULT_PRESET], camera="../../etc", ext=".jpg")
    target = safe_join(tmp_path, relative)
    assert target == tmp_path.resolve() / "etc" / "20260307" / "090503_motion.jpg"
    assert target.is_relative_to(tmp_path.resolve())


@pytest.mark.parametrize(
    "relative",
    [
        "../outside.jpg",
        "a/../../outside.jpg",
        "/etc/passwd",
        "//etc/passwd",
        "\\etc\\passwd",
        "a\\..\\..\\x",
        "C:/x",
        "",
        ".",
        "a/..",
        "bad\x00name",
    ],
)
def test_safe_join_refuses_escapes(tmp_path: Path, relative: str) -> None:
    base = tmp_path / "base"
    base.mkdir()
    with pytest.raises(NamingError) as err:
        safe_join(base, relative)
    assert err.value.key == "unsafe_pattern"


def test_safe_join_allows_dot_dot_that_stays_inside(tmp_path: Path) -> None:
    assert safe_join(tmp_path, "a/../b.jpg") == tmp_path.resolve() / "b.jpg"


def test_safe_join_refuses_symlink_pointing_outside(tmp_path: Path) -> None:
    base = tmp_path / "base"
    outside = tmp_path / "outside"
    base.mkdir()
    outside.mkdir()
    (base / "Front").symlink_to(outside, target_is_directory=True)
    (base / "inside_link").symlink_to(base / "real", target_is_directory=True)
    with pytest.raises(NamingError, match="unsafe_pattern"):
        safe_join(base, "Front/20260307/090503_motion.jpg")
    # A link whose target stays inside the base is fine.
    inside = safe_join(base, "inside_link/x.jpg")
    assert inside == base.resolve() / "real" / "x.jpg"


def test_safe_join_resolves_a_symlinked_base(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    assert safe_join(link, "a/b.jpg") == real.resolve() / "a" / "b.jpg"


def test_safe_join_tolerates_symlink_loop(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    os.symlink(loop, loop)
    # Non-strict resolve leaves the loop in place: the result is still under the base.
    result = safe_join(tmp_path, "loop/x.jpg")
    assert result.is_relative_to(tmp_path.resolve())
