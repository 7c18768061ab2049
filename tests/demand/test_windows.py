"""Visit windows and local time (planner.demand.windows)."""

from __future__ import annotations

import datetime as dt

import pytest

from planner.common import LONDON
from planner.demand.windows import TimeWindow, local, merge, parse_windows, span

WEEK = [dt.date(2022, 10, 24) + dt.timedelta(days=i) for i in range(7)]  # clocks go back Sun 30th
SPRING = [dt.date(2023, 3, 20) + dt.timedelta(days=i) for i in range(7)]  # forward Sun 26th


def hours(w: TimeWindow) -> float:
    """Elapsed hours of a window."""
    return w.duration_s / 3600


def test_weekly_pattern() -> None:
    """'Mon-Fri 09:00-17:00' gives five 8-hour windows at 09:00 local time."""
    ws = parse_windows("Mon-Fri 09:00-17:00", WEEK)
    assert len(ws) == 5 and all(hours(w) == 8 for w in ws)
    assert {w.start.astimezone(LONDON).hour for w in ws} == {9}


def test_several_clauses_and_daily() -> None:
    """Clauses and comma-separated ranges combine; Daily means seven days."""
    ws = parse_windows("Fri 12:30-14:00; Daily 05:30-06:30, 17:30-19:00", WEEK)
    assert len(ws) == 15


def test_night_window_across_clock_change() -> None:
    """22:00-02:00 on the night the clocks go back lasts 5 hours, not 4."""
    (w,) = parse_windows("Sat 22:00-02:00", WEEK)
    assert hours(w) == 5
    assert w.end.astimezone(LONDON).hour == 2


def test_spring_forward_window() -> None:
    """00:30-03:00 on the night the clocks go forward lasts 1.5 hours."""
    (w,) = parse_windows("Sun 00:30-03:00", SPRING)
    assert hours(w) == 1.5


def test_missing_hour_moves_later() -> None:
    """01:30 does not exist on the spring change: it becomes 02:30 BST, as clocks do."""
    t = local(dt.date(2023, 3, 26), dt.time(1, 30)).astimezone(LONDON)
    assert (t.hour, t.minute) == (2, 30)


def test_dated_window_and_out_of_week() -> None:
    """A dated window in the week is kept; one outside it is dropped."""
    assert len(parse_windows("2022-10-28 18:00-20:00", WEEK)) == 1
    assert parse_windows("2022-11-05 18:00-21:00", WEEK) == []


def test_sunday_night_before_week_reaches_monday() -> None:
    """A Sunday 23:00-01:00 window contributes Monday 00:00-01:00 at the week's start."""
    ws = parse_windows("Sun 23:00-01:00", WEEK)
    assert ws[0].start == local(WEEK[0], dt.time(0)) and hours(ws[0]) == 1


@pytest.mark.parametrize(
    "text", ["Funday 09:00-10:00", "Mon 9-10", "Mon", "Mon 10:00-10:00", "Mon 25:00-26:00"]
)
def test_bad_windows(text: str) -> None:
    """Malformed window text raises ValueError naming the problem."""
    with pytest.raises(ValueError):
        parse_windows(text, WEEK)


def test_merge_and_span() -> None:
    """Overlapping windows merge; a span ending before its start runs to the next day."""
    a = span(WEEK[0], dt.time(9), dt.time(12))
    b = span(WEEK[0], dt.time(11), dt.time(14))
    assert merge([b, a]) == [TimeWindow(a.start, b.end)]
    assert hours(span(WEEK[0], dt.time(23), dt.time(7))) == 8
