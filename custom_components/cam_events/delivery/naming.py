"""File names from date/time patterns, for FTP uploads and local storage.

A pattern is a relative POSIX path whose text may hold tokens in braces:

=========  ===========================================================
Token      Renders
=========  ===========================================================
{camera}   the camera name
{event}    the event type
{id}       the event id
{Y} {y}    the year, 4 digits / 2 digits
{m} {d}    the month / the day, 2 digits
{H} {M}    the hour (24-hour) / the minute, 2 digits
{S}        the second, 2 digits
{ms}       the milliseconds, 3 digits
{n}        the frame's index within a burst, 1-based, 2 digits ("01" outside a burst)
=========  ===========================================================

The fixed orders a camera offers (`PRESETS`), rendered for camera "Front", a "motion" event
at 2026-03-07 09:05:03:

================  ==========================================  ==============================
Preset            Pattern                                     Example
================  ==========================================  ==============================
camera_date_time  {camera}/{Y}{m}{d}/{H}{M}{S}_{event}        Front/20260307/090503_motion
date_time         {Y}-{m}-{d}/{H}-{M}-{S}_{camera}_{event}    2026-03-07/09-05-03_Front_motion
date_time_flat    {Y}{m}{d}{H}{M}{S}_{camera}_{event}         20260307090503_Front_motion
time_date         {H}{M}{S}_{d}{m}{Y}_{camera}_{event}        090503_07032026_Front_motion
event_date_time   {event}/{Y}{m}{d}_{H}{M}{S}_{camera}        motion/20260307_090503_Front
================  ==========================================  ==============================

`camera_date_time` is the default. A pattern must hold {S}, {ms} or {id} so names change at
least every second, and at most 200 characters (60 between slashes). The caller appends the
extension (".jpg", ".mp4", ".json"). Every rendered path component is sanitised whatever the
camera name or event type: only ``A-Z a-z 0-9 . _ -`` remain (accents are dropped from their
letters, anything else becomes "_"), runs of "_" collapse, leading dots and underscores go
(no hidden files, no ".."), and a component is at most 100 characters. The values never add
path components: a "/" in a camera name becomes "_". `safe_join` then places the result under
a base folder and refuses anything that would leave it, symbolic links included.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path, PurePosixPath
import re
from typing import Any
import unicodedata

PRESETS: dict[str, str] = {
    "camera_date_time": "{camera}/{Y}{m}{d}/{H}{M}{S}_{event}",
    "date_time": "{Y}-{m}-{d}/{H}-{M}-{S}_{camera}_{event}",
    "date_time_flat": "{Y}{m}{d}{H}{M}{S}_{camera}_{event}",
    "time_date": "{H}{M}{S}_{d}{m}{Y}_{camera}_{event}",
    "event_date_time": "{event}/{Y}{m}{d}_{H}{M}{S}_{camera}",
}
DEFAULT_PRESET = "camera_date_time"
# Forms offer the presets by name (a name doubles as a translation key, so it cannot hold
# braces); the form maps a name to its pattern on save, so entries always store patterns.
_PRESET_NAMES = {pattern: name for name, pattern in PRESETS.items()}

TOKENS = frozenset({"camera", "event", "id", "Y", "y", "m", "d", "H", "M", "S", "ms", "n"})
TEXT_TOKENS = ("camera", "event", "id")
# A name must change at least every second (or with every event) so files don't collide.
UNIQUE_TOKENS = frozenset({"S", "ms", "id"})
# Messages that name tokens get them as placeholders: a literal "{id}" in a translation would
# be read as a placeholder (Home Assistant's frontend formats strings as ICU messages, and
# hassfest refuses the ICU quoting '{id}'), so the braces come from here.
PLACEHOLDERS: dict[str, str] = {
    "pattern_tokens": ", ".join(
        f"{{{token}}}"
        for token in ("camera", "event", "id", "Y", "y", "m", "d", "H", "M", "S", "ms", "n")
    ),
    "unique_tokens": ", ".join(f"{{{token}}}" for token in ("S", "ms", "id")),
}
MAX_PATTERN_LENGTH = 200
MAX_COMPONENT_LENGTH = 100
# Short enough that a segment's literal text and time tokens (plus a burst index and the
# longest extension) always fit in one component: only the free-text values get cut.
MAX_SEGMENT_LENGTH = 60

_TOKEN = re.compile(r"\{([^{}]*)\}")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]", re.ASCII)
_UNDERSCORES = re.compile(r"_{2,}")
_DRIVE = re.compile(r"^[A-Za-z]:")
_EXTENSION = re.compile(r"^(\.[A-Za-z0-9]{1,10})?$", re.ASCII)


class NamingError(ValueError):
    """A file-name pattern the integration refuses; `key` names the reason (translation key)."""

    def __init__(self, key: str, **placeholders: str) -> None:
        """Keep the reason and the placeholders its message shows."""
        super().__init__(key)
        self.key = key
        self.placeholders = placeholders


def _tokens(pattern: str) -> list[str]:
    """Return the tokens of a pattern; raise `invalid_pattern` on stray or unknown braces."""
    names = _TOKEN.findall(pattern)
    rest = _TOKEN.sub("", pattern)
    if "{" in rest or "}" in rest:
        raise NamingError("invalid_pattern")
    if any(name not in TOKENS for name in names):
        raise NamingError("invalid_pattern")
    return names


def from_choice(choice: str) -> str:
    """Return the pattern a form's choice stands for: a preset's name, or the pattern itself."""
    return PRESETS.get(choice.strip(), choice)


def as_choice(pattern: str) -> str:
    """Return how a form shows a stored pattern: its preset's name, or the pattern itself."""
    return _PRESET_NAMES.get(pattern, pattern)


def validate_pattern(pattern: str) -> str:
    """Return the pattern without surrounding spaces, or raise `NamingError`.

    `invalid_pattern`: empty, longer than 200 characters or 60 between slashes, unknown tokens
    or unbalanced braces.
    `unsafe_pattern`: an absolute path (a leading slash or a drive letter), a backslash, a
    "." or ".." segment, or an empty segment ("a//b", a trailing "/").
    `pattern_not_unique`: none of {S}, {ms} or {id}, so names would repeat.
    """
    if not isinstance(pattern, str):
        raise NamingError("invalid_pattern")
    pattern = pattern.strip()
    if not pattern or len(pattern) > MAX_PATTERN_LENGTH:
        raise NamingError("invalid_pattern")
    names = _tokens(pattern)
    if pattern.startswith("/") or "\\" in pattern or _DRIVE.match(pattern):
        raise NamingError("unsafe_pattern")
    segments = pattern.split("/")
    if any(segment in {"", ".", ".."} for segment in segments):
        raise NamingError("unsafe_pattern")
    if any(len(segment) > MAX_SEGMENT_LENGTH for segment in segments):
        raise NamingError("invalid_pattern")
    if not UNIQUE_TOKENS.intersection(names):
        raise NamingError("pattern_not_unique", **PLACEHOLDERS)
    return pattern


def _fold(text: str) -> str:
    """Return `text` with accents dropped, other unsafe characters as "_" and "_" runs collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _UNDERSCORES.sub("_", _UNSAFE_CHARS.sub("_", folded))


def sanitize_component(text: str, limit: int = MAX_COMPONENT_LENGTH) -> str:
    """Return one safe path component: ASCII letters, digits, ".", "_" and "-" only.

    Accents are dropped from their letters, any other character becomes "_", runs of "_"
    collapse, leading and trailing dots and underscores go, and the result is at most `limit`
    characters; nothing left gives "_".
    """
    return _fold(text).lstrip("._")[:limit].rstrip("._") or "_"


def _render_component(segment: str, values: dict[str, str], limit: int) -> str:
    """Render one pattern segment, shortening the longest free-text value until it fits.

    The time tokens and the literal text survive: {camera} and {event} are cut first, and
    {id} only once they are empty.
    """
    texts = {name: _fold(values[name]) for name in TEXT_TOKENS}
    present = [name for name in TEXT_TOKENS if f"{{{name}}}" in segment]
    while True:
        rendered = _TOKEN.sub(lambda match: texts.get(match[1], values[match[1]]), segment)
        component = sanitize_component(rendered, limit=len(rendered))
        overflow = len(component) - limit
        cuttable = [name for name in present if texts[name] and name != "id"]
        if not cuttable and "id" in present and texts["id"]:
            cuttable = ["id"]
        if overflow <= 0 or not cuttable:
            return sanitize_component(component, limit)
        longest = max(cuttable, key=lambda name: len(texts[name]))
        texts[longest] = texts[longest][: max(0, len(texts[longest]) - overflow)]


def render(
    pattern: str,
    *,
    camera: str,
    event_type: str,
    event_id: str,
    when: dt.datetime,
    index: int | None = None,
    ext: str = "",
) -> str:
    """Render a pattern into a relative POSIX path for an event at local datetime `when`.

    `index` is the frame's 1-based index within a burst; a pattern without {n} then gets
    "_NN" appended to its last component so burst frames don't overwrite each other. `ext`
    (".jpg", ".mp4", ".json" or "") is appended as given and counts towards the last
    component's 100 characters; a component too long loses the end of its camera name,
    event type or event id first. Raise `NamingError` like `validate_pattern`, and
    `ValueError` for an index below 1 or a malformed extension.
    """
    pattern = validate_pattern(pattern)
    if index is not None and index < 1:
        raise ValueError("index must be 1 or more")
    if not _EXTENSION.match(ext):
        raise ValueError(f"invalid extension: {ext!r}")
    values = {
        "camera": camera,
        "event": event_type,
        "id": event_id,
        "Y": f"{when.year:04d}",
        "y": f"{when.year % 100:02d}",
        "m": f"{when.month:02d}",
        "d": f"{when.day:02d}",
        "H": f"{when.hour:02d}",
        "M": f"{when.minute:02d}",
        "S": f"{when.second:02d}",
        "ms": f"{when.microsecond // 1000:03d}",
        "n": f"{index or 1:02d}",
    }
    segments = pattern.split("/")
    if index is not None and "{n}" not in pattern:
        segments[-1] += "_{n}"
    last = len(segments) - 1
    components = [
        _render_component(segment, values, MAX_COMPONENT_LENGTH - (len(ext) if i == last else 0))
        for i, segment in enumerate(segments)
    ]
    return "/".join(components) + ext


def safe_join(base: Path, relative: str) -> Path:
    """Return `base / relative` resolved, or raise `NamingError("unsafe_pattern")`.

    Refused: an absolute or backslashed `relative`, and any result outside `base` or equal to
    it once symbolic links are resolved. The check cannot stop a link created after it.
    """
    if (
        not relative
        or "\\" in relative
        or PurePosixPath(relative).is_absolute()
        or _DRIVE.match(relative)
    ):
        raise NamingError("unsafe_pattern")
    try:
        root = base.resolve()
        target = (root / relative).resolve()
    except (OSError, ValueError) as err:
        raise NamingError("unsafe_pattern") from err
    if target == root or not target.is_relative_to(root):
        raise NamingError("unsafe_pattern")
    return target


def check_pattern_field(data: dict[str, Any]) -> dict[str, str]:
    """Check a form's file-name pattern (stored as its translated choice); store it checked.

    Return the form error ({"pattern": key}) or nothing.
    """
    try:
        data["pattern"] = validate_pattern(from_choice(str(data.get("pattern", ""))))
    except NamingError as err:
        return {"pattern": err.key}
    return {}
