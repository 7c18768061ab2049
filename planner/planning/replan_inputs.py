"""The inputs of ``planner replan``: the cut-off, ``locks.csv``, ``unavailable.csv``, more sites.

See :mod:`planner.planning.replan` for what each means.  Both tables are small CSV files
(UTF-8, or Windows-1252 as Excel writes it), their header names in any case:

* ``locks.csv``: ``unit, date, shift, site_id``; each row must name a visit of the plan
  being re-made (the unit's route that day and shift visits the site);
* ``unavailable.csv``: ``unit, date, shift``; an empty ``date`` means every day of the week,
  an empty ``shift`` every shift of that day.

Every mistake is an :class:`~planner.errors.InputError` naming the file, the row and the field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from planner.common import LONDON, read_text
from planner.config import ForceConfig
from planner.demand.resources import UnitShift
from planner.errors import InputError
from planner.planning.plan import IdleShift, Plan, PlanRoute, PlanStop

#: Largest locks or unavailability file read.
MAX_TABLE_BYTES = 5_000_000


@dataclass(frozen=True)
class Lock:
    """A ``locks.csv`` row: the unit on that day's shift keeps its visits to the site."""

    unit_id: str
    day: dt.date
    shift: str
    site_id: str
    row: int


@dataclass(frozen=True)
class Unavailable:
    """An ``unavailable.csv`` row: the unit works no re-planned shift then (``None``: any)."""

    unit_id: str
    day: dt.date | None
    shift: str | None

    def covers(self, s: UnitShift) -> bool:
        """Whether the unit-shift ``s`` is one this row takes away."""
        return (
            s.unit_id == self.unit_id
            and (self.day is None or s.day == self.day)
            and (self.shift is None or s.shift == self.shift)
        )


def parse_cutoff(text: str, plan: Plan) -> dt.datetime:
    """The ``--from`` time, UTC-aware, checked to fall inside the plan's week.

    A time without an offset is Europe/London local time (in the repeated autumn hour, the
    first of the two).

    Raises
    ------
    InputError
        Naming ``--from``: not an ISO 8601 time, or outside the week.
    """
    try:
        t = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"{text!r} is not a time; write e.g. 2026-12-02T12:00 (Europe/London) or "
            "2026-12-02T12:00+00:00",
            field="--from",
        ) from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=LONDON)
    t = t.astimezone(dt.UTC)
    start = plan.week_start.astimezone(LONDON)
    end = (start.replace(tzinfo=None) + dt.timedelta(days=7)).replace(tzinfo=LONDON)
    if not start <= t < end:
        raise InputError(
            f"{t.astimezone(LONDON):%a %d %b %Y %H:%M} is outside the plan's week {plan.week} "
            f"({start:%a %d %b} 00:00 to {end - dt.timedelta(minutes=1):%a %d %b %H:%M}); "
            "give a time inside it",
            field="--from",
        )
    return t


def _table(path: Path, what: str, columns: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """The rows of a small CSV (1-based row numbers, header excluded), lower-case keys."""
    text = read_text(path, what=what, allow_cp1252=True, max_bytes=MAX_TABLE_BYTES)
    reader = csv.DictReader(io.StringIO(text))
    header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    for col in columns:
        if col not in header:
            raise InputError(
                f"no {col!r} column; a {what} has the columns {', '.join(columns)}",
                path=path,
                field=col,
            )
    rows = []
    for i, raw in enumerate(reader, start=1):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        if any(row.values()):
            rows.append((i, row))
    return rows


def _date(value: str, path: Path, row: int, plan: Plan, *, blank_ok: bool) -> dt.date | None:
    if not value and blank_ok:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"{value!r} is not a date; write e.g. 2026-12-02", path=path, row=row, field="date"
        ) from None
    monday = plan.week_start.astimezone(LONDON).date()
    if not monday <= day < monday + dt.timedelta(days=7):
        raise InputError(
            f"{day} is not in the plan's week {plan.week}", path=path, row=row, field="date"
        )
    return day


def read_unavailable(path: str | Path, config: ForceConfig, plan: Plan) -> list[Unavailable]:
    """``unavailable.csv``: columns ``unit, date, shift`` (empty date or shift: all of them).

    Raises
    ------
    InputError
        Naming the file, row and field: a unit the config does not have, a date that is not
        one of the week's, a shift the config does not define.
    """
    path = Path(path)
    units = {u.id for u in config.units}
    shifts = {s.name for s in config.shifts}
    out = []
    for row, r in _table(path, "unavailability file", ("unit", "date", "shift")):
        if r["unit"] not in units:
            raise InputError(
                f"unit {r['unit']!r} is not one of the config's units ({', '.join(sorted(units))})",
                path=path,
                row=row,
                field="unit",
            )
        day = _date(r["date"], path, row, plan, blank_ok=True)
        if r["shift"] and r["shift"] not in shifts:
            raise InputError(
                f"shift {r['shift']!r} is not one of the config's shifts "
                f"({', '.join(sorted(shifts))}); leave it empty for every shift",
                path=path,
                row=row,
                field="shift",
            )
        out.append(Unavailable(r["unit"], day, r["shift"] or None))
    return out


def read_locks(path: str | Path, plan: Plan) -> list[Lock]:
    """``locks.csv``: columns ``unit, date, shift, site_id``, each naming a visit of ``plan``.

    Raises
    ------
    InputError
        Naming the file, row and the first field that names nothing in the plan: a unit
        with no route, a day or shift it has no route on, a site its route does not visit.
    """
    path = Path(path)
    out = []
    for row, r in _table(path, "locks file", ("unit", "date", "shift", "site_id")):
        routes = [x for x in plan.routes if x.unit_id == r["unit"]]
        if not routes:
            raise InputError(
                f"unit {r['unit']!r} has no route in the plan", path=path, row=row, field="unit"
            )
        day = _date(r["date"], path, row, plan, blank_ok=False)
        routes = [x for x in routes if x.day == day]
        if not routes:
            raise InputError(
                f"unit {r['unit']!r} has no route on {day}", path=path, row=row, field="date"
            )
        routes = [x for x in routes if x.shift == r["shift"]]
        if not routes:
            raise InputError(
                f"unit {r['unit']!r} works no {r['shift']!r} shift on {day} in the plan",
                path=path,
                row=row,
                field="shift",
            )
        if not any(s.site_id == r["site_id"] for s in routes[0].stops):
            raise InputError(
                f"route {routes[0].route_id!r} does not visit site {r['site_id']!r}",
                path=path,
                row=row,
                field="site_id",
            )
        assert day is not None  # blank_ok=False
        out.append(Lock(r["unit"], day, r["shift"], r["site_id"], row))
    return out


def with_extra_sites(config: ForceConfig, extra: Sequence[str | Path]) -> ForceConfig:
    """``config`` with ``extra`` site files after its own (checked to exist)."""
    if not extra:
        return config
    more = [str(Path(p).resolve()) for p in extra]
    out = config.model_copy(update={"sites": [*config.sites, *more]})
    out.site_files()  # a missing file fails here, named
    return out


@dataclass(frozen=True)
class Split:
    """The earlier plan cut at the cut-off (:func:`split_plan`)."""

    kept: tuple[PlanRoute, ...]  # shift started before the cut-off: kept whole
    redo: tuple[PlanRoute, ...]  # shift starts at or after it: re-planned
    locked: dict[tuple[str, str], PlanStop]  # (route id, visit id) -> locked stop
    # Bought, given no route, started before the cut-off: paid for, so spent.
    idle_spent: tuple[IdleShift, ...] = ()

    @property
    def spent_officer_hours(self) -> float:
        """Officer-hours already paid at the cut-off: kept routes and idle shifts started."""
        return sum(r.paid_officer_hours for r in self.kept) + sum(
            i.paid_officer_hours for i in self.idle_spent
        )


def split_plan(plan: Plan, cutoff: dt.datetime, locks: Sequence[Lock]) -> Split:
    """``plan`` cut at ``cutoff``: routes kept whole, routes re-planned, the locked stops.

    Also the unit-shifts ``plan`` bought but gave no route that started before the cut-off:
    their officers were on duty and paid, so their money is spent. Those starting at or after
    the cut-off are left out on purpose: they can still be cancelled or re-used, so their
    money stays in the budget the re-plan spends (as before they were recorded).
    """
    kept = tuple(r for r in plan.routes if r.shift_start < cutoff)
    redo = tuple(r for r in plan.routes if r.shift_start >= cutoff)
    idle_spent = tuple(i for i in plan.idle_shifts if i.shift_start < cutoff)
    locked = {}
    for lock in locks:
        for r in redo:
            if (r.unit_id, r.day, r.shift) == (lock.unit_id, lock.day, lock.shift):
                for s in r.stops:
                    if s.site_id == lock.site_id:
                        locked[(r.route_id, s.visit_id)] = s
    return Split(kept, redo, locked, idle_spent)


def as_shift(r: PlanRoute | IdleShift) -> UnitShift:
    """The unit-shift a route (or a bought unit-shift given no route) was planned for."""
    return UnitShift(
        shift_id=r.route_id if isinstance(r, PlanRoute) else r.shift_id,
        unit_id=r.unit_id,
        mode=r.mode,
        officers=r.officers,
        station_id=r.station_id,
        day=r.day,
        shift=r.shift,
        start=r.shift_start,
        end=r.shift_end,
    )
