"""Repeated visits spread over the time of day (planner.demand.spread)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from planner.common import LONDON
from planner.demand.spread import spread_times
from planner.demand.windows import TimeWindow, local

MONDAY = dt.date(2026, 11, 30)


def daily(start_h: int, end_h: int, days: int = 7) -> tuple[TimeWindow, ...]:
    """The same local window on each of ``days`` days from Monday 30 November 2026."""
    return tuple(
        TimeWindow(
            local(MONDAY + dt.timedelta(days=d), dt.time(start_h)),
            local(MONDAY + dt.timedelta(days=d), dt.time(end_h)),
        )
        for d in range(days)
    )


def tod_range(windows: tuple[TimeWindow, ...], dwell_s: float) -> set[int]:
    """Minutes of the local day at which a visit may start in ``windows``."""
    out = set()
    for w in windows:
        t = w.start
        while t <= w.end - dt.timedelta(seconds=dwell_s):
            loc = t.astimezone(LONDON)
            out.add(loc.hour * 60 + loc.minute)
            t += dt.timedelta(minutes=1)
    return out


def apart(a: set[int], b: set[int], minutes: int) -> bool:
    """No minute of ``a`` within ``minutes`` of one in ``b`` (around the clock)."""
    return all(min(abs(x - y), 1440 - abs(x - y)) > minutes for x in a for y in b)


def test_office_visits_get_their_own_times() -> None:
    """Five visits in 09:00-17:00 on weekdays can never start within 30 minutes of each other."""
    wins = daily(9, 17, days=5)
    got = spread_times(wins, 5, 900, key="1:OFFICE")
    ranges = [tod_range(w, 900) for w in got]
    assert all(ranges)
    for i in range(5):
        for j in range(i + 1, 5):
            assert apart(ranges[i], ranges[j], 30)


def test_too_short_windows_share() -> None:
    """Four 15-minute visits in a 20-minute window cannot be spread: every visit keeps it."""
    wins = (TimeWindow(local(MONDAY, dt.time(18)), local(MONDAY, dt.time(18, 20))),)
    assert spread_times(wins, 4, 900, key="k") == [wins] * 4


def test_same_key_same_spread_other_key_other() -> None:
    """The spread is reproducible from its key and differs between keys (weeks, sites)."""
    week = (
        TimeWindow(local(MONDAY, dt.time(0)), local(MONDAY + dt.timedelta(days=7), dt.time(0))),
    )
    assert spread_times(week, 4, 900, key="a") == spread_times(week, 4, 900, key="a")
    assert spread_times(week, 4, 900, key="a") != spread_times(week, 4, 900, key="b")


@settings(max_examples=40, deadline=None)
@given(
    start_h=st.integers(0, 22),
    length_h=st.integers(1, 24),
    n=st.integers(2, 8),
    key=st.text(max_size=5),
)
def test_spread_is_within_windows_and_apart(start_h: int, length_h: int, n: int, key: str) -> None:
    """Each visit's windows lie inside the shared ones; visits in different pieces keep apart."""
    wins = tuple(
        TimeWindow(
            local(MONDAY + dt.timedelta(days=d), dt.time(start_h)),
            local(MONDAY + dt.timedelta(days=d), dt.time(start_h)) + dt.timedelta(hours=length_h),
        )
        for d in range(0, 7, 2)
    )
    got = spread_times(wins, n, 900, key=key)
    assert len(got) == n
    for visit in got:
        for w in visit:
            assert any(o.start <= w.start and w.end <= o.end for o in wins)
    distinct = {g for g in got}
    if len(distinct) > 1:
        ranges = [tod_range(g, 900) for g in distinct]
        for i in range(len(ranges)):
            for j in range(i + 1, len(ranges)):
                assert apart(ranges[i], ranges[j], 30)
