"""Time filters and the notification pause of event handler profiles."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from custom_components.cam_events.delivery.schedule import (
    ALL_DAYS,
    PAUSE_PRUNE_THRESHOLD,
    PauseGate,
    ScheduleError,
    TimeFilter,
    Window,
    parse_window,
)

WARSAW = ZoneInfo("Europe/Warsaw")
UTC = dt.UTC
# 2026-03-02 is a Monday.
MONDAY = dt.date(2026, 3, 2)


def at(day_offset: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """Return an aware Warsaw datetime `day_offset` days after Monday 2026-03-02."""
    day = MONDAY + dt.timedelta(days=day_offset)
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=WARSAW)


def window(start: tuple[int, int], end: tuple[int, int]) -> Window:
    return Window(dt.time(*start), dt.time(*end))


# --- parse_window ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00-17:30", window((8, 0), (17, 30))),
        ("8:00-9:05", window((8, 0), (9, 5))),
        (" 22:00 - 06:00 ", window((22, 0), (6, 0))),
        ("22:00\u201306:00", window((22, 0), (6, 0))),
        ("00:00-24:00", window((0, 0), (0, 0))),
        ("18:15-24:00", window((18, 15), (0, 0))),
        ("23:59-00:00", window((23, 59), (0, 0))),
        ("07:00-07:00", window((7, 0), (7, 0))),
    ],
)
def test_parse_window_accepts(text: str, expected: Window) -> None:
    assert parse_window(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "08:00",
        "08:00-",
        "8-17",
        "08.00-17.00",
        "24:00-06:00",
        "25:00-06:00",
        "08:60-09:00",
        "08:00-24:01",
        "08:00-25:00",
        "08:00-09:0",
        "008:00-09:00",
        "08:00--09:00",
        "08:00-09:00-10:00",
        "\u0668:00-09:00",  # an Arabic-Indic eight
        "0800-0900",
    ],
)
def test_parse_window_refuses(text: str) -> None:
    with pytest.raises(ScheduleError) as err:
        parse_window(text)
    assert err.value.key == "invalid_window"
    assert isinstance(err.value, ValueError)


def test_parse_window_refuses_non_text() -> None:
    with pytest.raises(ScheduleError, match="invalid_window"):
        parse_window(None)  # type: ignore[arg-type]


def test_window_text_round_trips() -> None:
    for text in ("08:00-17:30", "22:00-06:00", "00:00-24:00", "18:15-24:00", "07:00-07:00"):
        assert str(parse_window(text)) == text
    assert window((0, 0), (0, 0)).crosses_midnight
    assert window((22, 0), (6, 0)).crosses_midnight
    assert not window((8, 0), (17, 0)).crosses_midnight


# --- TimeFilter.allows -----------------------------------------------------------------------


def test_default_filter_allows_everything() -> None:
    time_filter = TimeFilter()
    assert time_filter.days == ALL_DAYS
    assert time_filter.is_always
    assert all(time_filter.allows(at(day, hour)) for day in range(7) for hour in range(24))


def test_days_without_windows_cover_whole_days() -> None:
    time_filter = TimeFilter(days=frozenset({0, 2}))
    assert time_filter.allows(at(0, 0))
    assert time_filter.allows(at(0, 23, 59, 59))
    assert not time_filter.allows(at(1, 0))
    assert not time_filter.allows(at(1, 12))
    assert time_filter.allows(at(2, 12))
    assert not time_filter.allows(at(6, 12))
    assert not time_filter.is_always


def test_window_start_inclusive_end_exclusive() -> None:
    time_filter = TimeFilter(windows=(window((8, 0), (17, 0)),))
    assert not time_filter.allows(at(0, 7, 59, 59))
    assert time_filter.allows(at(0, 8))
    assert time_filter.allows(at(0, 16, 59, 59))
    assert not time_filter.allows(at(0, 17))
    end_minus = at(0, 17) - dt.timedelta(microseconds=1)
    assert time_filter.allows(end_minus)


def test_window_crossing_midnight_belongs_to_the_start_day() -> None:
    time_filter = TimeFilter(days=frozenset({0}), windows=(window((22, 0), (6, 0)),))
    # Monday before the window, inside it, then Tuesday after midnight.
    assert not time_filter.allows(at(0, 21, 59))
    assert time_filter.allows(at(0, 22))
    assert time_filter.allows(at(0, 23, 59, 59))
    assert time_filter.allows(at(1, 0))
    assert time_filter.allows(at(1, 5))
    assert not time_filter.allows(at(1, 6))
    # Tuesday's own window is not selected.
    assert not time_filter.allows(at(1, 23))
    # Monday morning belongs to Sunday's window, and Sunday is not selected.
    assert not time_filter.allows(at(0, 5))
    assert not time_filter.allows(at(2, 1))


def test_window_crossing_midnight_wraps_from_sunday_to_monday() -> None:
    time_filter = TimeFilter(days=frozenset({6}), windows=(window((22, 0), (6, 0)),))
    assert time_filter.allows(at(6, 23))  # Sunday 2026-03-08
    assert time_filter.allows(at(7, 2))  # the next Monday, after Sunday's window opened
    assert time_filter.allows(at(0, 5, 59))  # Monday 2026-03-02, after Sunday 2026-03-01
    assert not time_filter.allows(at(0, 6))
    assert not time_filter.allows(at(1, 2))  # Tuesday: Monday is not selected
    assert not time_filter.allows(at(6, 2))  # Sunday morning belongs to Saturday
    assert not time_filter.allows(at(7, 22))


def test_window_ending_at_midnight_does_not_spill_over() -> None:
    time_filter = TimeFilter(days=frozenset({0}), windows=(parse_window("18:00-24:00"),))
    assert time_filter.allows(at(0, 23, 59, 59))
    assert not time_filter.allows(at(1, 0))
    assert not time_filter.allows(at(0, 17, 59))


def test_full_day_window_is_exactly_the_calendar_day() -> None:
    time_filter = TimeFilter(days=frozenset({0}), windows=(parse_window("00:00-24:00"),))
    assert time_filter.allows(at(0, 0))
    assert time_filter.allows(at(0, 23, 59, 59))
    assert not time_filter.allows(at(1, 0))
    assert not time_filter.allows(at(6, 23, 59, 59))


def test_equal_start_and_end_lasts_24_hours_from_the_start() -> None:
    time_filter = TimeFilter(days=frozenset({0}), windows=(parse_window("07:00-07:00"),))
    assert not time_filter.allows(at(0, 6, 59))
    assert time_filter.allows(at(0, 7))
    assert time_filter.allows(at(1, 6, 59))
    assert not time_filter.allows(at(1, 7))
    every_day = TimeFilter(windows=(parse_window("07:00-07:00"),))
    assert all(every_day.allows(at(day, hour)) for day in range(7) for hour in range(24))


def test_any_window_may_allow() -> None:
    time_filter = TimeFilter(
        days=frozenset(range(5)),
        windows=(window((8, 0), (9, 0)), window((17, 0), (18, 0))),
    )
    assert time_filter.allows(at(0, 8, 30))
    assert time_filter.allows(at(4, 17, 30))
    assert not time_filter.allows(at(0, 12))
    assert not time_filter.allows(at(5, 8, 30))


def test_allows_reads_wall_clock_time_not_utc() -> None:
    time_filter = TimeFilter(days=frozenset({0}), windows=(window((8, 0), (9, 0)),))
    # 08:30 in Warsaw (UTC+1 in March) is 07:30 UTC; the same instant in UTC is refused.
    local = at(0, 8, 30)
    assert time_filter.allows(local)
    assert not time_filter.allows(local.astimezone(UTC))


def _allowed_minutes(time_filter: TimeFilter, day: dt.date) -> int:
    """Count the real minutes of a Warsaw calendar day that the filter allows."""
    start = dt.datetime(day.year, day.month, day.day, tzinfo=WARSAW).astimezone(UTC)
    following = day + dt.timedelta(days=1)
    end = dt.datetime(following.year, following.month, following.day, tzinfo=WARSAW)
    count = 0
    instant = start
    while instant < end.astimezone(UTC):
        count += time_filter.allows(instant.astimezone(WARSAW))
        instant += dt.timedelta(minutes=1)
    return count


def test_dst_spring_forward_skips_the_missing_hour() -> None:
    day = dt.date(2026, 3, 29)  # 02:00 CET jumps to 03:00 CEST
    assert _allowed_minutes(TimeFilter(windows=(parse_window("01:00-04:00"),)), day) == 120
    assert _allowed_minutes(TimeFilter(windows=(parse_window("02:00-03:00"),)), day) == 0
    assert _allowed_minutes(TimeFilter(), day) == 23 * 60
    # The last CET minute and the first CEST minute are adjacent real minutes.
    before = dt.datetime(2026, 3, 29, 0, 59, tzinfo=UTC).astimezone(WARSAW)
    after = dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC).astimezone(WARSAW)
    window_1_to_3 = TimeFilter(windows=(parse_window("01:30-03:00"),))
    assert (before.hour, before.minute) == (1, 59)
    assert (after.hour, after.minute) == (3, 0)
    assert window_1_to_3.allows(before)
    assert not window_1_to_3.allows(after)


def test_dst_fall_back_opens_the_repeated_hour_twice() -> None:
    day = dt.date(2026, 10, 25)  # 03:00 CEST falls back to 02:00 CET
    half_hour = TimeFilter(windows=(parse_window("02:00-02:30"),))
    assert _allowed_minutes(half_hour, day) == 60
    assert _allowed_minutes(TimeFilter(windows=(parse_window("01:00-04:00"),)), day) == 240
    assert _allowed_minutes(TimeFilter(), day) == 25 * 60
    first = dt.datetime(2026, 10, 25, 0, 15, tzinfo=UTC).astimezone(WARSAW)
    second = dt.datetime(2026, 10, 25, 1, 15, tzinfo=UTC).astimezone(WARSAW)
    assert (first.hour, first.minute, first.fold) == (2, 15, 0)
    assert (second.hour, second.minute, second.fold) == (2, 15, 1)
    assert half_hour.allows(first)
    assert half_hour.allows(second)


def test_dst_day_selection_follows_the_local_date() -> None:
    # Sunday 2026-03-29 only, 22:00-06:00: Monday 03:00 local is allowed, Sunday 03:00 is not
    # (it belongs to Saturday's window).
    time_filter = TimeFilter(days=frozenset({6}), windows=(parse_window("22:00-06:00"),))
    assert not time_filter.allows(dt.datetime(2026, 3, 29, 3, 30, tzinfo=WARSAW))
    assert time_filter.allows(dt.datetime(2026, 3, 30, 3, 30, tzinfo=WARSAW))
    assert time_filter.allows(dt.datetime(2026, 3, 29, 22, 0, tzinfo=WARSAW))


# --- from_config -----------------------------------------------------------------------------


def test_from_config_defaults_to_always() -> None:
    assert TimeFilter.from_config(None, None) == TimeFilter()
    assert TimeFilter.from_config(None, []) == TimeFilter()


def test_from_config_parses_names_numbers_and_windows() -> None:
    time_filter = TimeFilter.from_config(
        ["mon", "TUESDAY", " Wed ", 3, "fri"], ["08:00-12:00", "22:00-06:00", "8:00-12:00"]
    )
    assert time_filter.days == frozenset({0, 1, 2, 3, 4})
    assert time_filter.windows == (window((8, 0), (12, 0)), window((22, 0), (6, 0)))
    assert time_filter.allows(at(4, 9))
    assert not time_filter.allows(at(5, 9))
    assert time_filter.allows(at(5, 1))  # Friday's night window


@pytest.mark.parametrize(
    "days",
    [["mo"], ["funday"], [7], [-1], [True], ["0"], [""], [1.0], [], "mon"],
)
def test_from_config_refuses_bad_days(days: object) -> None:
    with pytest.raises(ScheduleError) as err:
        TimeFilter.from_config(days, None)  # type: ignore[arg-type]
    assert err.value.key == "invalid_day"


def test_from_config_refuses_bad_windows() -> None:
    with pytest.raises(ScheduleError) as err:
        TimeFilter.from_config(["mon"], ["08:00-17:00", "nope"])
    assert err.value.key == "invalid_window"
    with pytest.raises(ScheduleError) as err:
        TimeFilter.from_config(None, "08:00-17:00")
    assert err.value.key == "invalid_window"


def test_constructor_refuses_bad_day_numbers() -> None:
    with pytest.raises(ScheduleError, match="invalid_day"):
        TimeFilter(days=frozenset({7}))
    with pytest.raises(ScheduleError, match="invalid_day"):
        TimeFilter(days=frozenset())


@pytest.mark.parametrize(
    ("days", "windows", "text"),
    [
        (None, None, "every day"),
        (["mon", "tue", "wed", "thu", "fri"], None, "Mon-Fri"),
        (["sat", "sun"], None, "Sat, Sun"),
        (["mon", "tue", "wed", "fri"], ["08:00-17:00"], "Mon-Wed, Fri 08:00-17:00"),
        (None, ["22:00-06:00", "12:00-13:00"], "every day 22:00-06:00, 12:00-13:00"),
        (["sun"], ["18:00-24:00"], "Sun 18:00-24:00"),
        (["mon", "wed", "fri"], ["00:00-24:00"], "Mon, Wed, Fri 00:00-24:00"),
    ],
)
def test_describe(days: list[str] | None, windows: list[str] | None, text: str) -> None:
    assert TimeFilter.from_config(days, windows).describe() == text


# --- PauseGate -------------------------------------------------------------------------------


def test_pause_gate_allows_one_delivery_per_pause() -> None:
    gate = PauseGate(60)
    assert gate.check("cam1/mail", 1000.0) is None
    assert gate.check("cam1/mail", 1010.0) == pytest.approx(50.0)
    assert gate.check("cam1/mail", 1059.5) == pytest.approx(0.5)
    # Suppressed calls record nothing: the pause still counts from 1000.
    assert gate.check("cam1/mail", 1060.0) is None
    assert gate.check("cam1/mail", 1061.0) == pytest.approx(59.0)


def test_pause_gate_keys_are_independent() -> None:
    gate = PauseGate(30)
    assert gate.check("cam1/mail", 0.0) is None
    assert gate.check("cam2/mail", 1.0) is None
    assert gate.check("cam1/ftp", 2.0) is None
    assert gate.check("cam1/mail", 3.0) == pytest.approx(27.0)
    assert len(gate) == 3


@pytest.mark.parametrize("seconds", [0, -5, 0.0])
def test_pause_gate_disabled(seconds: float) -> None:
    gate = PauseGate(seconds)
    assert all(gate.check("k", float(now)) is None for now in range(10))
    assert len(gate) == 0


def test_pause_gate_clock_going_backwards_delivers() -> None:
    gate = PauseGate(60)
    assert gate.check("k", 1000.0) is None
    assert gate.check("k", 500.0) is None
    assert gate.check("k", 510.0) == pytest.approx(50.0)


def test_pause_gate_reset() -> None:
    gate = PauseGate(60)
    gate.check("a", 0.0)
    gate.check("b", 0.0)
    gate.reset("a")
    assert gate.check("a", 1.0) is None
    assert gate.check("b", 1.0) == pytest.approx(59.0)
    gate.reset("missing")
    gate.reset()
    assert len(gate) == 0
    assert gate.check("b", 2.0) is None


def test_pause_gate_forgets_expired_keys_when_large() -> None:
    gate = PauseGate(10)
    for i in range(PAUSE_PRUNE_THRESHOLD):
        assert gate.check(f"old{i}", 0.0) is None
    assert len(gate) == PAUSE_PRUNE_THRESHOLD
    assert gate.check("active", 5.0) is None
    # 1 001 keys, but every old one is still paused at 5 s: nothing to forget.
    assert len(gate) == PAUSE_PRUNE_THRESHOLD + 1
    assert gate.check("new", 12.0) is None
    # At 12 s the old keys have expired and go; the still-paused keys stay.
    assert len(gate) == 2
    assert gate.check("active", 13.0) == pytest.approx(2.0)
    assert gate.check("new", 13.0) == pytest.approx(9.0)
    assert gate.check("old0", 13.0) is None
