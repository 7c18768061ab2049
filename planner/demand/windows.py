"""Time windows in which a visit counts, written compactly in site files.

Grammar of a site's ``windows`` cell (clauses separated by ``;``)::

    Mon-Fri 09:00-17:00          weekly pattern: a day, a day range or "Daily"
    Fri 12:15-14:00, 19:00-20:00 several windows on the same days
    Daily 05:30-06:30            every day
    2026-12-02 18:00-20:00       one dated window (a surgery, a protest)
    Sat 22:00-02:00              ends after midnight: runs into Sunday

Named windows, each with its own visits, are items ``Name: <window> [xN] [required]
[priority=P]`` separated by ``;`` (see :func:`parse_window_cell`)::

    Jumu'ah: Fri 12:30-14:00 x1 required; Evening: Daily 17:30-19:30 x3

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

from planner.common import DAY_NAMES, LONDON, PLAIN_NUMBER_RE
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


FAITH_WINDOWS = {
    "muslim": "Jumu'ah: Fri 12:30-14:00 x1 required",
    "christian": "Sunday service: Sun 09:30-12:30",
    "jewish": "Shabbat: Sat 09:00-12:30",
    "sikh": "Sunday diwan: Sun 10:00-13:30",
    "hindu": "Sunday puja: Sun 10:00-13:00",
}
"""The main weekly service of a place of worship by its ``faith`` cell, used when its
``windows`` cell is empty. Friday prayers are the one service a mosque's community expects to be
protected, so Jumu'ah is required; the others are visited if the plan can. Local times vary:
a site's own ``windows`` cell always wins."""
NAMED_EXAMPLE = "Jumu'ah: Fri 12:30-14:00 x1 required; Evening: Daily 17:30-19:30 x3"
"""The named-window form, quoted in error messages."""
MAX_NAME_CHARS = 60
# "Name:" is text before a colon that is not followed by a digit: the colons of times always
# are ("12:30"), so "Mass 2: Sun 11:00-12:00" is named and "Fri 12:30-14:00" is not.
_NAMED = re.compile(r"^(?P<name>[^:]*?)\s*:(?!\d)\s*(?P<spec>.*)$", re.DOTALL)
_VISITS = re.compile(r"^[xX](\d+)$")
_PRIORITY = re.compile(r"^priority=(.*)$", re.IGNORECASE)


class WindowGrammarError(ValueError):
    """A mistake in the named form of a ``windows`` cell.

    Names, ``xN``, ``required``, ``priority=P``; the plain day-and-time form keeps the plain
    ``ValueError`` of :func:`parse_windows`.
    """


@dataclass(frozen=True)
class NamedWindow:
    """A named window of a site: its own visits, required flag and priority.

    Attributes
    ----------
    name
        As written, e.g. ``"Jumu'ah"``.
    slug
        The name in visit ids (``<site>#<slug>#<k>``): lower case, apostrophes dropped, other
        runs of non-word characters made ``-``.
    windows
        Its windows in the planning week (sorted, merged; empty if none falls in the week).
    visits
        ``xN``: visits in this window over the week; ``None`` if not given (one visit).
    required, priority
        ``required`` and ``priority=P`` if given, else ``None`` (the row's or kind's value).
    """

    name: str
    slug: str
    windows: tuple[TimeWindow, ...]
    visits: int | None = None
    required: bool | None = None
    priority: float | None = None


def slugify(name: str) -> str:
    """``"Jumu'ah"`` -> ``"jumuah"``, ``"Sunday service"`` -> ``"sunday-service"``."""
    text = re.sub(r"['\u2019`]", "", name.strip().lower())
    return re.sub(r"[\W_]+", "-", text).strip("-")


def _modifiers(
    item: str, spec: str, named: bool
) -> tuple[str, int | None, bool | None, float | None]:
    """Split trailing ``xN``, ``required`` and ``priority=P`` off a window spec."""
    tokens = re.sub(r"\s*=\s*", "=", spec).split()
    visits: int | None = None
    required: bool | None = None
    priority: float | None = None
    while tokens:
        token = tokens[-1]
        m_visits, m_priority = _VISITS.match(token), _PRIORITY.match(token)
        if m_visits:
            visits = int(m_visits.group(1))
            if not 1 <= visits <= 100:
                raise WindowGrammarError(
                    f"{token!r} in {item!r}: visits in a window are x1 to x100; e.g. "
                    f"{NAMED_EXAMPLE!r}"
                )
        elif token.lower() == "required":
            required = True
        elif m_priority:
            text = m_priority.group(1)
            if not PLAIN_NUMBER_RE.fullmatch(text):
                raise WindowGrammarError(
                    f"{token!r} in {item!r}: the priority is a number, e.g. 'priority=3'"
                )
            priority = float(text)
        else:
            break
        tokens.pop()
    rest = " ".join(tokens)
    if tokens and not tokens[-1][-1:].isdigit() and any(c.isdigit() for c in rest):
        # Every window ends with a time, so a word after the times is a misspelt modifier.
        raise WindowGrammarError(
            f"{tokens[-1]!r} in {item!r} is not a window modifier; after the times write xN "
            f"(visits), required or priority=P, e.g. {NAMED_EXAMPLE!r}"
        )
    given = visits is not None or required is not None or priority is not None
    if given and not named:
        raise WindowGrammarError(
            f"{item!r}: xN, required and priority=P belong to a named window; give it a name, "
            f"e.g. 'Prayers: {item}'"
        )
    return rest, visits, required, priority


def _same(old: NamedWindow, name: str, key: str, value: object, item: str) -> None:
    previous = getattr(old, key)
    if value is not None and previous is not None and value != previous:
        raise WindowGrammarError(
            f"{item!r}: window {name!r} is named twice with different {key}; give "
            f"{'xN' if key == 'visits' else key} once"
        )


def is_named_cell(text: str) -> bool:
    """Whether a ``windows`` cell uses the named form (a ``Name:`` or a modifier)."""
    for item in (c.strip() for c in text.split(";")):
        tokens = re.sub(r"\s*=\s*", "=", item).split()
        if not tokens:
            continue
        last = tokens[-1]
        if _NAMED.match(item) or _VISITS.match(last) or _PRIORITY.match(last):
            return True
        if last.lower() == "required":
            return True
    return False


def parse_window_cell(
    text: str, week_days: Sequence[dt.date]
) -> tuple[list[TimeWindow], list[NamedWindow]]:
    """A ``windows`` cell: its unnamed windows and its named windows.

    Each ``;``-separated item is either a plain clause of :func:`parse_windows` (the unnamed
    windows, whose visits are the row's ``visits_per_week``) or ``Name: <clause>`` followed by
    any of ``xN`` (visits this week in that window, default 1), ``required`` and ``priority=P``.
    A name given twice (``Evening: Mon 17:00-19:00; Evening: Thu 18:00-20:00``) is one window
    over both clauses. Names are told apart by their :func:`slugify` form.

    Returns
    -------
    tuple
        The unnamed windows (exactly :func:`parse_windows` of the unnamed items) and the named
        windows in the order first given; a named window none of whose times fall in the
        week has no windows.

    Raises
    ------
    WindowGrammarError
        A mistake in the named form (empty or overlong name, bad ``xN`` or ``priority=P``, an
        unknown word after the times, modifiers on an unnamed clause, a named window's clause
        that :func:`parse_windows` refuses), quoting the item and the right form.
    ValueError
        From :func:`parse_windows`, for a cell in the plain (unnamed) form.
    """
    if not is_named_cell(text):
        return parse_windows(text, week_days), []
    unnamed: list[str] = []
    named: dict[str, NamedWindow] = {}
    for item in (c.strip() for c in text.split(";")):
        if not item:
            continue
        m = _NAMED.match(item)
        if m is None:
            unnamed.append(_modifiers(item, item, named=False)[0])
            continue
        name, spec = m.group("name").strip(), m.group("spec").strip()
        if not name or len(name) > MAX_NAME_CHARS:
            raise WindowGrammarError(
                f"{item!r}: a window's name is 1 to {MAX_NAME_CHARS} characters before the "
                f"colon, e.g. {NAMED_EXAMPLE!r}"
            )
        clause, visits, required, priority = _modifiers(item, spec, named=True)
        if not clause:
            raise WindowGrammarError(
                f"{item!r}: window {name!r} has no times; write e.g. {NAMED_EXAMPLE!r}"
            )
        try:
            wins = parse_windows(clause, week_days)
        except ValueError as exc:
            raise WindowGrammarError(
                f"window {name!r}: {exc}; the named form is e.g. {NAMED_EXAMPLE!r}"
            ) from None
        slug = slugify(name) or f"w{len(named) + 1}"
        old = named.get(slug)
        if old is not None:
            for key, value in (("visits", visits), ("required", required), ("priority", priority)):
                _same(old, name, key, value, item)
            visits = visits if visits is not None else old.visits
            required = required if required is not None else old.required
            priority = priority if priority is not None else old.priority
            wins = merge([*old.windows, *wins])
            name = old.name
        named[slug] = NamedWindow(name, slug, tuple(wins), visits, required, priority)
    return parse_windows("; ".join(unnamed), week_days), list(named.values())


HANDOVER_SLOT_MIN = 15.0
"""Relief slots next to a shift change are this long (minutes): a quarter-hour, the Koper dwell."""


def post_slots(
    window: TimeWindow,
    slot_min: float,
    *,
    shift_starts: Sequence[dt.time] = (),
    shift_ends: Sequence[dt.time] = (),
) -> list[TimeWindow]:
    """Consecutive relief slots tiling ``window`` exactly, finer next to shift changes.

    Slots are ``slot_min`` long; the last one, and one ending where the finer slots begin, may
    be shorter. Slots step in real time, so a post over a clock change still has every slot
    ``slot_min`` long.

    In the ``slot_min`` before each local shift end (``shift_ends``) and after each shift
    start (``shift_starts``) that falls inside the window, slots are
    :data:`HANDOVER_SLOT_MIN` long. A slot is held whole or not at all, so a unit going off
    duty could otherwise leave a whole slot uncovered for a few minutes' drive back to its
    station; in quarter-hours it holds the post until it must leave, and a unit coming on duty
    takes over as soon as it arrives.
    """
    step = dt.timedelta(minutes=slot_min)
    fine = dt.timedelta(minutes=min(HANDOVER_SLOT_MIN, slot_min))
    zones = _handover_zones(window, step, shift_starts, shift_ends) if fine < step else []
    out = []
    start = window.start
    while start < window.end:
        zone = next((z for z in zones if z.end > start), None)
        if zone is not None and zone.start <= start:
            end = min(start + fine, zone.end)
        else:
            end = min(start + step, zone.start if zone is not None else window.end, window.end)
        out.append(TimeWindow(start, end))
        start = end
    return out


def _handover_zones(
    window: TimeWindow,
    step: dt.timedelta,
    shift_starts: Sequence[dt.time],
    shift_ends: Sequence[dt.time],
) -> list[TimeWindow]:
    """The parts of ``window`` within ``step`` before a shift end or after a shift start in it."""
    first = window.start.astimezone(LONDON).date() - dt.timedelta(days=1)
    last = window.end.astimezone(LONDON).date()
    zones = []
    for k in range((last - first).days + 1):
        day = first + dt.timedelta(days=k)
        # Only changes inside the window: a unit coming on duty before the post starts can
        # be there at its start, and one going off after it ends need not leave early.
        for t in shift_ends:
            c = local(day, t)
            if window.start < c <= window.end:
                zones.append(window.clip(c - step, c))
        for t in shift_starts:
            c = local(day, t)
            if window.start <= c < window.end:
                zones.append(window.clip(c, c + step))
    merged: list[TimeWindow] = []
    for z in sorted((z for z in zones if z is not None), key=lambda z: z.start):
        if merged and z.start <= merged[-1].end:
            merged[-1] = TimeWindow(merged[-1].start, max(merged[-1].end, z.end))
        else:
            merged.append(z)
    return merged


def slot_ids(slots: Sequence[TimeWindow]) -> list[str]:
    """Ids of a site's post slots: ``HHMM`` of each start, ``YYYY-MM-DDTHHMM`` over several days.

    A time met twice (the repeated hour of the autumn clock change, overlapping windows) gets
    ``-2``, ``-3``... so every id is unique.
    """
    starts = [s.start.astimezone(LONDON) for s in slots]
    one_day = len({s.date() for s in starts}) == 1
    seen: dict[str, int] = {}
    out = []
    for s in starts:
        key = f"{s:%H%M}" if one_day else f"{s:%Y-%m-%dT%H%M}"
        seen[key] = seen.get(key, 0) + 1
        out.append(key if seen[key] == 1 else f"{key}-{seen[key]}")
    return out
