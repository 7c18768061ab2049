"""Time windows in which a visit counts, written compactly in site files.

Grammar of a site's ``windows`` cell (clauses separated by ``;``)::

    Mon-Fri 09:00-17:00          weekly pattern: a day, a day range or "Daily"
    Fri 12:15-14:00, 19:00-20:00 several windows on the same days
    Daily 05:30-06:30            every day
    2026-12-02 18:00-20:00       one dated window (a surgery, a protest)
    Sat 22:00-02:00              ends after midnight: runs into Sunday

Times are Europe/London wall-clock times, so a window keeps its local time across the clock
changes; a window over the missing hour of the spring change is shortened by it, and one over
the repeated hour of the autumn change is an hour longer. An empty cell means any time in the
week.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from planner.common import DAY_NAMES, LONDON
from planner.config import parse_hhmm

_RANGE = re.compile(r"^(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$")
_DAY_INDEX = {name.lower(): i for i, name in enumerate(DAY_NAMES)}
_DAY_INDEX.update(
    {
        "monday": 0,
        "tuesday": 1,
        "wednesday": 2,
        "thursday": 3,
        "friday": 4,
        "saturday": 5,
        "sunday": 6,
    }
)


@dataclass(frozen=True, order=True)
class TimeWindow:
    """A span of time, ``start < end``, as aware datetimes in UTC (shown in Europe/London)."""

    start: dt.datetime
    end: dt.datetime

    @property
    def duration_s(self) -> float:
        """Elapsed seconds (real time, so clock changes count)."""
        return (self.end - self.start).total_seconds()

    def clip(self, start: dt.datetime, end: dt.datetime) -> TimeWindow | None:
        """The part inside ``[start, end)``, or ``None``."""
        s, e = max(self.start, start), min(self.end, end)
        return TimeWindow(s, e) if s < e else None

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> float:
        """Seconds of overlap with ``[start, end)``."""
        clipped = self.clip(start, end)
        return clipped.duration_s if clipped else 0.0


def local(day: dt.date, time: dt.time) -> dt.datetime:
    """A Europe/London wall-clock time, returned as an aware datetime in UTC.

    UTC because Python subtracts two datetimes that share a tzinfo as wall-clock times, which
    would get every duration across a clock change wrong by an hour.

    A time in the missing spring hour (01:00-01:59 on the last Sunday of March) is moved an
    hour later, as clocks do; an ambiguous autumn time takes its first (BST) occurrence.
    """
    naive = dt.datetime.combine(day, time)
    aware = naive.replace(tzinfo=LONDON, fold=0)
    return aware.astimezone(dt.UTC)


def span(day: dt.date, start: dt.time, end: dt.time) -> TimeWindow:
    """From ``start`` on ``day`` to ``end`` (the next day if not after ``start``), local time."""
    begin = local(day, start)
    finish = local(day + dt.timedelta(days=1) if end <= start else day, end)
    return TimeWindow(begin, finish)


def _days(token: str) -> list[int]:
    token = token.strip().lower()
    if token in {"daily", "every day", "everyday"}:
        return list(range(7))
    if "-" in token:
        a, b = (t.strip() for t in token.split("-", 1))
        if a not in _DAY_INDEX or b not in _DAY_INDEX:
            raise ValueError(f"{token!r} is not a day range; write e.g. 'Mon-Fri'")
        i, j = _DAY_INDEX[a], _DAY_INDEX[b]
        return list(range(i, j + 1)) if i <= j else list(range(i, 7)) + list(range(j + 1))
    if token not in _DAY_INDEX:
        raise ValueError(
            f"{token!r} is not a day; use Mon..Sun, a range like Mon-Fri, Daily, or a date YYYY-MM-DD"
        )
    return [_DAY_INDEX[token]]


def parse_windows(text: str, week_days: Sequence[dt.date]) -> list[TimeWindow]:
    """Windows of a site in the planning week, from the cell grammar above.

    Parameters
    ----------
    text
        The cell, e.g. ``"Fri 12:15-14:00; Daily 05:30-06:30"``.
    week_days
        Monday..Sunday of the planning week.

    Returns
    -------
    list of TimeWindow
        Sorted, merged where they overlap, clipped to the week. Empty if the text is empty
        (meaning any time) - callers decide what "any time" is.

    Raises
    ------
    ValueError
        With the clause at fault and the expected form.
    """
    windows: list[TimeWindow] = []
    week_start = local(week_days[0], dt.time(0))
    week_end = local(week_days[0] + dt.timedelta(days=7), dt.time(0))
    for clause in (c.strip() for c in text.split(";")):
        if not clause:
            continue
        parts = clause.split(None, 1)
        if len(parts) != 2:
            raise ValueError(f"{clause!r}: expected days then times, e.g. 'Mon-Fri 09:00-17:00'")
        when, times = parts
        ranges = []
        for piece in times.split(","):
            m = _RANGE.match(piece.strip())
            if not m:
                raise ValueError(
                    f"{piece.strip()!r} in {clause!r} is not a time range; write HH:MM-HH:MM"
                )
            ranges.append((parse_hhmm(m.group(1)), parse_hhmm(m.group(2))))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", when):
            dates = [dt.date.fromisoformat(when)]
        else:
            dates = [week_days[i] for i in _days(when)]
            # A weekly window starting late on the Sunday before the week reaches into Monday.
            if 6 in _days(when):
                dates.append(week_days[0] - dt.timedelta(days=1))
        for day in dates:
            for start, end in ranges:
                if start == end:
                    raise ValueError(f"{clause!r}: a window cannot start and end at {start:%H:%M}")
                clipped = span(day, start, end).clip(week_start, week_end)
                if clipped is not None:
                    windows.append(clipped)
    return merge(windows)


def merge(windows: Sequence[TimeWindow]) -> list[TimeWindow]:
    """Sort windows and merge those that overlap or touch."""
    out: list[TimeWindow] = []
    for w in sorted(windows):
        if out and w.start <= out[-1].end:
            if w.end > out[-1].end:
                out[-1] = TimeWindow(out[-1].start, w.end)
        else:
            out.append(w)
    return out


def format_window(window: TimeWindow) -> str:
    """``Fri 28 Oct 18:00-20:00 BST`` in Europe/London time (end day shown if it differs)."""
    a, b = window.start.astimezone(LONDON), window.end.astimezone(LONDON)
    end = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%a %H:%M}"
    return f"{a:%a %d %b %H:%M}-{end} {b:%Z}"
