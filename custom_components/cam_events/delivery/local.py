"""Local folder delivery: write snapshots, burst frames, clips and JSON under one folder.

In production the folder is Home Assistant's media folder. Every name is a relative path
below it; a name that is absolute, contains "..", or resolves outside the folder (also
through a symbolic link) is refused before anything is written. Each file is written under a
temporary name in its own folder and then moved into place, so a reader never sees half a
file. An existing file is never replaced: ``snap.jpg`` becomes ``snap_1.jpg``, ``snap_2.jpg``...

Everything here blocks: call it from an executor. Nothing here imports Home Assistant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import contextlib
from dataclasses import dataclass
import errno
import os
from pathlib import Path, PurePosixPath
import tempfile
from typing import Any, Final

from .base import Capabilities, Host, Outgoing, Transport
from .naming import check_pattern_field

__all__ = ["TRANSPORT", "LocalProfile", "write_files"]

_MAX_SUFFIX: Final = 10_000
# link() is not available on every file system (some network shares, FAT): fall back then.
_NO_LINK_ERRNOS: Final = frozenset(
    {errno.EPERM, errno.EACCES, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK}
)


def _check(base: Path, name: str) -> PurePosixPath:
    """Return ``name`` as a relative path below ``base``; raise ValueError("unsafe_path")."""
    if "\x00" in name or "\\" in name:
        raise ValueError("unsafe_path")
    segments = name.split("/")
    if ".." in segments or segments[-1] in {"", "."}:  # "", "dir/", "dir/.", "a/../b"
        raise ValueError("unsafe_path")
    relative = PurePosixPath(name)
    if relative.is_absolute():
        raise ValueError("unsafe_path")
    target = (base / relative).resolve()
    if target == base or not target.is_relative_to(base):
        raise ValueError("unsafe_path")
    return relative


def _candidates(name: str) -> list[str]:
    path = PurePosixPath(name)
    stem, suffix = path.stem, path.suffix
    return [name] + [f"{stem}_{index}{suffix}" for index in range(1, _MAX_SUFFIX)]


def _place(temp: Path, folder: Path, name: str) -> Path:
    """Move ``temp`` to a free name in ``folder`` (``name``, ``name_1``...); never replace."""
    use_link = True
    for candidate in _candidates(name):
        final = folder / candidate
        if use_link:
            try:
                os.link(temp, final)  # Atomic, and fails if the name is taken.
            except FileExistsError:
                continue
            except OSError as err:
                if err.errno not in _NO_LINK_ERRNOS:
                    raise
                use_link = False
            else:
                temp.unlink()
                return final
        if os.path.lexists(final):
            continue
        os.replace(temp, final)
        return final
    raise FileExistsError(errno.EEXIST, "no free file name", str(folder / name))


def _write_one(base: Path, relative: PurePosixPath, data: bytes) -> Path:
    folder = base.joinpath(*relative.parts[:-1])
    folder.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=".", suffix=".part", dir=folder)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, 0o644)
        return _place(temp, folder, relative.name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def write_files(base: Path, files: Sequence[tuple[str, bytes]]) -> list[Path]:
    """Write ``(relative name, bytes)`` pairs below ``base``; return the paths written.

    Folders are created as needed. Raise ValueError("unsafe_path") before writing anything if
    any name is unsafe. The returned paths start with ``base`` as given; a name that was taken
    gets a ``_1``, ``_2``... suffix before its extension.
    """
    root = Path(base).resolve()
    checked = [(_check(root, name), data) for name, data in files]
    root.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for relative, data in checked:
        final = _write_one(root, relative, data)
        written.append(Path(base) / final.relative_to(root))
    return written


@dataclass(frozen=True, slots=True)
class LocalProfile:
    """Where below the media folder files go."""

    folder: str = "cam_events"


class LocalTransport(Transport[LocalProfile]):
    """A folder under the media folder: the snapshot, burst, raw event and clip as files."""

    kind = "local"
    service = "save_snapshot"
    capabilities = Capabilities(image=True, files=True, max_burst=10, files_only=True)

    def profile(self, data: Mapping[str, Any]) -> LocalProfile:
        """Return the folder under the media folder that the profile writes to."""
        return LocalProfile(str(data.get("folder") or "cam_events").strip("/"))

    def check(self, host: Host, data: dict[str, Any]) -> dict[str, str]:
        """Check the pattern and a folder below the media folder that the host allows."""
        errors = check_pattern_field(data)
        folder = str(data.get("folder", "")).strip().strip("/")
        media = host.media_dir
        if (
            not folder
            or not folder.isprintable()  # a NUL or a line break: resolve() would raise
            or ".." in Path(folder).parts
            or not (media / folder).resolve().is_relative_to(media.resolve())
            or not host.is_allowed_path(str((media / folder).resolve()))
        ):
            errors["folder"] = "unsafe_folder"
        data["folder"] = folder
        return errors

    async def test_connection(self, host: Host, profile: LocalProfile) -> None:
        """Nothing to reach: the form's checks are the test."""
        return

    async def deliver(self, host: Host, profile: LocalProfile, outgoing: Outgoing) -> str:
        """Write every file below the profile's folder (in an executor)."""
        base = host.media_dir
        files = [(item.filename, item.data) for item in outgoing.files]
        paths = await host.run_blocking(lambda: write_files(base / profile.folder, files))
        return f"saved {', '.join(str(p.relative_to(base)) for p in paths)}"


TRANSPORT = LocalTransport()
