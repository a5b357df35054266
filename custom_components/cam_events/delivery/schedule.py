"""When a handler profile may deliver: time filters and the notification pause.

A `TimeFilter` is the "time filter" of a camera's event handler: a set of weekdays and up to
a few 24-hour windows. A window whose end is not after its start crosses midnight, and the part
after midnight belongs to the day the window *started*: with only Monday selected, a
22:00-06:00 window covers Monday 22:00 to Tuesday 06:00, so Tuesday 05:00 is allowed and
Tuesday 23:00 is not. A window whose start equals its end lasts 24 hours from its start;
"00:00-24:00" (stored as 00:00-00:00) is exactly the calendar day. Starts are inclusive, ends
exclusive.

Daylight saving time: `TimeFilter.allows` reads the wall-clock time of the local datetime it
is given and never converts it. On a spring-forward day the skipped hour simply never occurs
(in Europe/Warsaw on 2026-03-29 a 01:00-04:00 window is open for two real hours); on a
fall-back day the repeated hour occurs twice and a window containing it is open both times
(on 2026-10-25 a 02:00-02:30 window is open for an hour of real time).

`PauseGate` is the notification pause: at most one delivery per key (camera and profile) per
pause, whatever the number of events in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
import datetime as dt
import re

ALL_DAYS: frozenset[int] = frozenset(range(7))
DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_LOOKUP = {name: i for i, name in enumerate(DAY_NAMES)} | {
    abbr.lower(): i for i, abbr in enumerate(DAY_ABBR)
}
_WINDOW = re.compile(
    r"^\s*([0-9]{1,2}):([0-9]{2})\s*[-\u2013]\s*([0-9]{1,2}):([0-9]{2})\s*$", re.ASCII
)
MIDNIGHT = dt.time(0, 0)
PAUSE_PRUNE_THRESHOLD = 1_000


class ScheduleError(ValueError):
    """A time filter the integration refuses; `key` names the reason (a translation key)."""

    def __init__(self, key: str) -> None:
        """Keep the reason."""
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class Window:
    """A daily time window; `end <= start` crosses midnight, `end == start` lasts 24 hours."""

    start: dt.time
    end: dt.time

    @property
    def crosses_midnight(self) -> bool:
        """Return whether the window runs past midnight into the next day."""
        return self.end <= self.start

    def covers(self, day_selected: bool, previous_day_selected: bool, at: dt.time) -> bool:
        """Return whether wall-clock time `at` is inside the window on a day.

        `day_selected` says whether the window opens on that day, `previous_day_selected`
        whether it opened the day before (which matters only after midnight).
        """
        if not self.crosses_midnight:
            return day_selected and self.start <= at < self.end
        return (day_selected and at >= self.start) or (previous_day_selected and at < self.end)

    def __str__(self) -> str:
        """Format as "HH:MM-HH:MM", writing a midnight end as 24:00 when it ends the day."""
        end = "24:00" if self.end == MIDNIGHT else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}-{end}"


def parse_window(text: str) -> Window:
    """Parse "HH:MM-HH:MM" ("H:MM" too, spaces allowed, "24:00" only as the end)."""
    match = _WINDOW.match(text) if isinstance(text, str) else None
    if match is None:
        raise ScheduleError("invalid_window")
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
        raise ScheduleError("invalid_window")
    return Window(dt.time(start_h, start_m), dt.time(end_h % 24, end_m))


def parse_day(value: str | int) -> int:
    """Return the weekday number (0 = Monday) of a day name, abbreviation or number 0-6."""
    if isinstance(value, bool):
        raise ScheduleError("invalid_day")
    if isinstance(value, int):
        if value in ALL_DAYS:
            return value
        raise ScheduleError("invalid_day")
    if isinstance(value, str):
        day = _DAY_LOOKUP.get(value.strip().lower())
        if day is not None:
            return day
    raise ScheduleError("invalid_day")


def _describe_days(days: frozenset[int]) -> str:
    """Return "every day", or runs of consecutive weekdays such as "Mon-Wed, Fri"."""
    if days == ALL_DAYS:
        return "every day"
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_ABBR[run[0]]}-{DAY_ABBR[run[-1]]}")
        else:
            parts.extend(DAY_ABBR[day] for day in run)
    return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class TimeFilter:
    """Weekdays (0 = Monday) and daily windows in which a handler may deliver."""

    days: frozenset[int] = ALL_DAYS
    windows: tuple[Window, ...] = field(default=())

    def __post_init__(self) -> None:
        """Refuse day numbers outside 0-6 and an empty day set."""
        if not self.days or not self.days <= ALL_DAYS:
            raise ScheduleError("invalid_day")

    @classmethod
    def from_config(
        cls, days: Sequence[str | int] | None, windows: Sequence[str] | None
    ) -> TimeFilter:
        """Build a filter from stored options: day names or numbers, and "HH:MM-HH:MM" texts.

        `None` days means every day; an empty list is refused (`invalid_day`) rather than
        read as "never", which would silently disable the handler. `None` or no windows
        means all day. Repeated windows are kept once.
        """
        if isinstance(days, str):
            raise ScheduleError("invalid_day")
        if isinstance(windows, str):
            raise ScheduleError("invalid_window")
        day_set = ALL_DAYS if days is None else frozenset(parse_day(day) for day in days)
        parsed = tuple(dict.fromkeys(parse_window(text) for text in windows or ()))
        return cls(days=day_set, windows=parsed)

    @property
    def is_always(self) -> bool:
        """Return whether the filter lets everything through."""
        return self.days == ALL_DAYS and not self.windows

    def allows(self, when: dt.datetime) -> bool:
        """Return whether a delivery at local datetime `when` may happen (wall-clock time)."""
        day = when.weekday()
        day_selected = day in self.days
        if not self.windows:
            return day_selected
        previous_selected = (day - 1) % 7 in self.days
        at = when.time()
        return any(window.covers(day_selected, previous_selected, at) for window in self.windows)

    def describe(self) -> str:
        """Return a short human text such as "Mon-Fri 08:00-17:00, 22:00-06:00"."""
        days = _describe_days(self.days)
        if not self.windows:
            return days
        return f"{days} {', '.join(str(window) for window in self.windows)}"


class PauseGate:
    """At most one delivery per key per pause; `seconds <= 0` lets everything through.

    Use a monotonic clock for `now` (should it go backwards, the key may deliver). Memory
    stays bounded: once more than `PAUSE_PRUNE_THRESHOLD` keys are held, keys whose pause has
    run out are forgotten.
    """

    def __init__(self, seconds: float) -> None:
        """Set the pause length in seconds."""
        self.seconds = seconds
        self._last: dict[str, float] = {}

    def __len__(self) -> int:
        """Return how many keys are remembered."""
        return len(self._last)

    def check(self, key: str, now: float) -> float | None:
        """Return None and record `now` if `key` may deliver, else the pause remaining."""
        if self.seconds <= 0:
            return None
        last = self._last.get(key)
        if last is not None and 0 <= now - last < self.seconds:
            return self.seconds - (now - last)
        # A first delivery, a pause run out, or a clock that went backwards: deliver.
        self._last[key] = now
        if len(self._last) > PAUSE_PRUNE_THRESHOLD:
            self._prune(now)
        return None

    def reset(self, key: str | None = None) -> None:
        """Forget one key's pause, or every pause."""
        if key is None:
            self._last.clear()
        else:
            self._last.pop(key, None)

    def _prune(self, now: float) -> None:
        """Forget the keys whose pause has run out."""
        self._last = {key: last for key, last in self._last.items() if now - last < self.seconds}
