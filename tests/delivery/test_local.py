"""Writing event files below a local folder: nesting, no overwrite, refusal of unsafe names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from custom_components.cam_events.delivery import local
from custom_components.cam_events.delivery.local import write_files


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """An empty folder of its own (the test's tmp_path also holds Home Assistant's files)."""
    folder = tmp_path / "base"
    folder.mkdir()
    return folder


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` (links not followed), by relative name."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def test_nested_write(tmp_path: Path) -> None:
    base = tmp_path / "media" / "cam_events"  # does not exist yet
    written = write_files(
        base,
        [
            ("front/2026-11-28/event.jpg", b"\xff\xd8jpeg\xff\xd9"),
            ("front/2026-11-28/burst/frame_01.jpg", b"frame1"),
            ("front/2026-11-28/event.json", b'{"id":"x"}'),
            ("top.mp4", b"clip"),
        ],
    )
    assert written == [
        base / "front/2026-11-28/event.jpg",
        base / "front/2026-11-28/burst/frame_01.jpg",
        base / "front/2026-11-28/event.json",
        base / "top.mp4",
    ]
    assert tree(base) == {
        "front/2026-11-28/event.jpg": b"\xff\xd8jpeg\xff\xd9",
        "front/2026-11-28/burst/frame_01.jpg": b"frame1",
        "front/2026-11-28/event.json": b'{"id":"x"}',
        "top.mp4": b"clip",
    }
    # No temporary file is left behind, and the files are readable by others.
    assert not [p for p in base.rglob("*") if p.name.startswith(".")]
    assert (base / "top.mp4").stat().st_mode & 0o444 == 0o444


def test_no_overwrite(base: Path) -> None:
    (base / "cam").mkdir()
    (base / "cam" / "snap.jpg").write_bytes(b"old")
    first = write_files(base, [("cam/snap.jpg", b"new1")])
    second = write_files(base, [("cam/snap.jpg", b"new2"), ("cam/snap.jpg", b"new3")])
    assert first == [base / "cam/snap_1.jpg"]
    assert second == [base / "cam/snap_2.jpg", base / "cam/snap_3.jpg"]
    assert tree(base) == {
        "cam/snap.jpg": b"old",
        "cam/snap_1.jpg": b"new1",
        "cam/snap_2.jpg": b"new2",
        "cam/snap_3.jpg": b"new3",
    }
    # No extension, and a dangling symlink counts as taken too.
    (base / "notes").write_bytes(b"a")
    (base / "notes_1").symlink_to(base / "missing")
    assert write_files(base, [("notes", b"b")]) == [base / "notes_2"]
    assert (base / "notes").read_bytes() == b"a"
    assert not (base / "missing").exists()


def test_no_overwrite_without_hard_links(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file system without link() (a network share) still never loses a file."""

    def no_link(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(local.os, "link", no_link)
    (base / "a.jpg").write_bytes(b"old")
    assert write_files(base, [("a.jpg", b"new"), ("b.jpg", b"b")]) == [
        base / "a_1.jpg",
        base / "b.jpg",
    ]
    assert tree(base) == {"a.jpg": b"old", "a_1.jpg": b"new", "b.jpg": b"b"}


def test_returns_paths_below_base_as_given(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    alias = tmp_path / "alias"
    alias.symlink_to(real)  # the base itself may be a link (a mounted media folder)
    assert write_files(alias, [("x/y.jpg", b"1")]) == [alias / "x/y.jpg"]
    assert (real / "x/y.jpg").read_bytes() == b"1"


UNSAFE = [
    "/etc/passwd",
    "../escape.jpg",
    "cam/../../escape.jpg",
    "cam/../escape.jpg",  # stays inside, but ".." is refused outright
    "..",
    "",
    ".",
    "cam/",
    "cam/.",
    "//server/share/x.jpg",
    "cam\\..\\escape.jpg",
    "nul\x00.jpg",
    "link_out/evil.jpg",  # a symlinked folder pointing outside
    "file_link.jpg",  # a symlinked file pointing outside
]


@pytest.mark.parametrize("name", UNSAFE)
def test_refuses_unsafe_names_before_writing(tmp_path: Path, name: str) -> None:
    base = tmp_path / "base"
    outside = tmp_path / "outside"
    outside.mkdir()
    base.mkdir()
    (base / "link_out").symlink_to(outside, target_is_directory=True)
    (base / "file_link.jpg").symlink_to(outside / "target.jpg")
    before = sorted(os.listdir(base))
    with pytest.raises(ValueError, match="unsafe_path"):
        # The safe file comes first: still nothing may be written.
        write_files(base, [("safe/first.jpg", b"ok"), (name, b"bad")])
    assert sorted(os.listdir(base)) == before
    assert not (base / "safe").exists()
    assert list(outside.iterdir()) == []
    assert not (tmp_path / "escape.jpg").exists()


def test_refusal_leaves_missing_base_uncreated(tmp_path: Path) -> None:
    base = tmp_path / "new"
    with pytest.raises(ValueError, match="unsafe_path"):
        write_files(base, [("a.jpg", b"1"), ("../b.jpg", b"2")])
    assert not base.exists()
    assert not (tmp_path / "b.jpg").exists()


def test_symlink_inside_base_is_fine(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "inner").symlink_to(tmp_path / "real", target_is_directory=True)
    assert write_files(tmp_path, [("inner/a.jpg", b"a")]) == [tmp_path / "inner/a.jpg"]
    assert (tmp_path / "real/a.jpg").read_bytes() == b"a"
