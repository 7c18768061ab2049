"""Spread a site's repeated visits over the day, so they don't fall at the same time each day.

Protective patrols must be hard to predict within the week as well as from week to week: a
site visited at 15:51 on Monday and again at 15:51 on Tuesday teaches anyone watching when to
expect the police. So a site's ``n`` visits that share the same windows are each given their
own slice of the time of day those windows cover: the covered minutes of the day are cut into
``n`` pieces, separated by gaps wide enough that two starts in different pieces are more than
``repeat_min`` apart in local time, and visit ``k`` may only start in its piece, on any day.

Where the windows are too short for ``n`` pieces that each hold a visit, fewer pieces are cut
and visits share them: those repeats are forced by the windows. Only windows that repeat the
same times of day (or one long window) are spread: with mixed windows a piece could fall on
one day only, where the site's gap could not hold two visits. Where the pieces fall, and
which visit gets which, is drawn from a seed, so weeks differ and any week can be reproduced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from planner.common import LONDON, stable_fraction
from planner.demand.windows import TimeWindow

__all__ = ["REPEAT_MIN", "spread_times"]

#: Two visits to one site on different days starting this close in local time are a repeat.
REPEAT_MIN = 30.0
_DAY_MIN = 1440


def _minute_of_day(t: dt.datetime) -> int:
    loc = t.astimezone(LONDON)
    return loc.hour * 60 + loc.minute


def _covered(windows: Sequence[TimeWindow]) -> list[bool]:
    """Which minutes of the local day any window covers."""
    covered = [False] * _DAY_MIN
    for w in windows:
        if w.duration_s >= 86400:
            return [True] * _DAY_MIN
        a, b = _minute_of_day(w.start), _minute_of_day(w.end)
        m = a
        while m != b:
            covered[m] = True
            m = (m + 1) % _DAY_MIN
    return covered


def _pieces(
    covered: list[bool], n: int, dwell_min: float, gap_min: int, cut: int
) -> list[list[int]]:
    """Up to ``n`` pieces of the covered minutes (lists of minute-of-day), ``gap_min`` apart.

    The walk round the clock starts at an uncovered minute at or after ``cut`` (anywhere
    at ``cut`` when the whole day is covered), so the pieces follow one another in time and
    the first and last are kept ``gap_min`` apart across the wrap as well.
    """
    if all(covered):
        start, wrap_free = cut, 0
    else:
        start = next(m % _DAY_MIN for m in range(cut, cut + _DAY_MIN) if not covered[m % _DAY_MIN])
        # Uncovered minutes just before the walk's start already keep the ends apart.
        wrap_free = 0
        while not covered[(start - 1 - wrap_free) % _DAY_MIN] and wrap_free < _DAY_MIN:
            wrap_free += 1
        while not covered[start % _DAY_MIN]:
            start += 1
            wrap_free += 1
    minutes = [(start + i) % _DAY_MIN for i in range(_DAY_MIN) if covered[(start + i) % _DAY_MIN]]
    if not minutes:
        return []
    wrap_gap = max(0, gap_min - wrap_free)
    for parts in range(n, 0, -1):
        size = (len(minutes) - (parts - 1) * gap_min - wrap_gap) / parts
        if size < dwell_min + 1:
            continue
        out, pos = [], 0.0
        for _ in range(parts):
            out.append(minutes[round(pos) : round(pos + size)])
            pos += size + gap_min
        return out
    return [minutes]


def _runs(piece: list[int]) -> list[tuple[int, int]]:
    """Consecutive minutes of ``piece`` as (start, length) runs."""
    runs: list[tuple[int, int]] = []
    for m in piece:
        if runs and (runs[-1][0] + runs[-1][1]) % _DAY_MIN == m:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((m, 1))
    return runs


def _restrict(
    windows: Sequence[TimeWindow], piece: list[int], dwell_s: float
) -> tuple[TimeWindow, ...]:
    """The parts of ``windows`` whose local time of day falls in ``piece``."""
    out = []
    for w in windows:
        first = w.start.astimezone(LONDON).date() - dt.timedelta(days=1)
        last = w.end.astimezone(LONDON).date()
        day = first
        while day <= last:
            for start_min, length in _runs(piece):
                lo = dt.datetime.combine(day, dt.time(0), tzinfo=LONDON) + dt.timedelta(
                    minutes=start_min
                )
                # Wall-clock arithmetic, then to UTC: the piece is a local time of day.
                lo_utc = lo.astimezone(dt.UTC)
                hi_utc = (lo + dt.timedelta(minutes=length)).astimezone(dt.UTC)
                part = w.clip(lo_utc, hi_utc)
                if part is not None and part.duration_s >= dwell_s:
                    out.append(part)
            day += dt.timedelta(days=1)
    out.sort(key=lambda w: w.start)
    return tuple(out)


def _one_pattern(windows: Sequence[TimeWindow]) -> bool:
    """Whether every window covers the same local times of day (or there is one long window).

    Only then does a piece of the day stand for the same choice on every day. Mixed windows
    ("Fri 12:30-14:30; Daily 18:00-19:30") would leave some pieces on one day only, where the
    site's gap between visits could not hold two.
    """
    if len(windows) == 1:
        return windows[0].duration_s >= 86400
    patterns = {(_minute_of_day(w.start), _minute_of_day(w.end)) for w in windows}
    return len(patterns) == 1


def spread_times(
    windows: Sequence[TimeWindow],
    n: int,
    dwell_s: float,
    *,
    key: str,
    repeat_min: float = REPEAT_MIN,
) -> list[tuple[TimeWindow, ...]]:
    """Windows for each of ``n`` visits to one site, keeping their times of day apart.

    Parameters
    ----------
    windows
        The windows the visits share.
    n
        How many visits.
    dwell_s
        Time on site per visit: a piece must hold one.
    key
        Seeds where the pieces fall and which visit gets which (e.g. seed and site id).
    repeat_min
        Two starts in different pieces are more than this apart in local time of day.

    Returns
    -------
    list of tuple of TimeWindow
        One entry per visit; each a subset of ``windows``.
    """
    if n < 2 or not windows or not _one_pattern(windows):
        return [tuple(windows)] * n
    dwell_min = dwell_s / 60
    # A start is at most ``piece end - dwell``; the next piece begins ``gap`` later.
    gap_min = max(0, int(repeat_min - dwell_min) + 1)
    cut = int(stable_fraction(key, "cut") * _DAY_MIN)
    pieces = _pieces(_covered(windows), n, dwell_min, gap_min, cut)
    restricted = [_restrict(windows, p, dwell_s) for p in pieces]
    restricted = [r for r in restricted if r]
    if len(restricted) < 2:
        return [tuple(windows)] * n
    order = sorted(range(n), key=lambda k: stable_fraction(key, "visit", k))
    return [restricted[order[k] % len(restricted)] for k in range(n)]
