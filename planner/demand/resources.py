"""From the communities fund's money to the unit-shifts the week can afford.

Funded officer-hours = pounds per week / cost per officer-hour. A unit-shift costs
``officers x shift hours`` officer-hours, where the hours are real elapsed time: the 23:00-07:00
shift is 9 hours on the night the clocks go back and 7 hours on the night they go forward.

Every possible unit-shift of the week (each unit, each day it may work, each shift it may work)
is a candidate. First, for each required visit not yet covered, the cheapest unit-shift working
through one of its windows is chosen. Then candidates are chosen greedily until the next would
overspend, never past the funded hours: each pick is the candidate with the most demand (prize of
the visits whose windows overlap it, plus the hot-spot patrol it could do, weighted by when the
hot spots' harm happens, see :mod:`planner.demand.dosage`) per officer-hour, discounted by how
many units already cover the same day and shift. A unit-shift with no demand it could meet (a
foot unit with no hot spot or site within walking reach, say) is never bought: that money is
reported as not spent. A unit works at most one shift a calendar day and gets at least
:data:`MIN_REST_H` hours between shifts (the Working Time Regulations' daily rest).
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from planner.common import DAY_NAMES, LONDON, write_csv
from planner.config import ForceConfig
from planner.demand.weekly import VisitRequirement
from planner.demand.windows import TimeWindow, span

log = logging.getLogger(__name__)

#: Least rest between two shifts of one unit, hours (Working Time Regulations 1998, reg. 10).
MIN_REST_H = 11.0


@dataclass(frozen=True)
class UnitShift:
    """One unit working one shift on one day: a route the optimiser may plan."""

    shift_id: str
    unit_id: str
    mode: str
    officers: int
    station_id: str
    day: dt.date
    shift: str
    start: dt.datetime
    end: dt.datetime

    @property
    def hours(self) -> float:
        """Elapsed hours (clock changes included)."""
        return (self.end - self.start).total_seconds() / 3600

    @property
    def officer_hours(self) -> float:
        """Paid officer-hours: officers x hours."""
        return self.officers * self.hours


@dataclass(frozen=True)
class Resources:
    """What the budget buys this week."""

    pounds_per_week: float
    cost_per_officer_hour: float
    candidates: tuple[UnitShift, ...]
    selected: tuple[UnitShift, ...]
    relief: tuple[str, ...] = ()
    """Required visits bought a second unit-shift (:func:`select_shifts`): each unit-shift
    that can make one keeps it possible when its refreshment break is placed."""

    @property
    def funded_officer_hours(self) -> float:
        """Officer-hours the money pays for."""
        return self.pounds_per_week / self.cost_per_officer_hour

    @property
    def used_officer_hours(self) -> float:
        """Officer-hours of the selected unit-shifts."""
        return sum(s.officer_hours for s in self.selected)

    @property
    def leftover_officer_hours(self) -> float:
        """Funded hours that buy no further whole unit-shift."""
        return self.funded_officer_hours - self.used_officer_hours

    @property
    def leftover_pounds(self) -> float:
        """Money not spent on unit-shifts."""
        return self.leftover_officer_hours * self.cost_per_officer_hour

    def unspent_reason(self) -> str:
        """Why the money left over bought no further unit-shift (``""`` if none is left).

        In the order the buying tests them: the rota has no unit-shift left; what is left
        costs less than any that is; each it could buy breaks a unit's rest; or none of them
        has work that those bought do not already cover.
        """
        left = self.leftover_officer_hours
        if left * self.cost_per_officer_hour < 1.0:
            return ""
        chosen = {s.shift_id for s in self.selected}
        rest = [c for c in self.candidates if c.shift_id not in chosen]
        if not rest:
            return "every unit-shift of the rota is bought; add units or shifts to the config"
        affordable = [c for c in rest if c.officer_hours <= left + 1e-9]
        if not affordable:
            cheapest = min(c.officer_hours for c in rest) * self.cost_per_officer_hour
            return f"it buys no further unit-shift (the cheapest costs £{cheapest:,.0f})"
        by_unit: dict[str, list[UnitShift]] = {}
        for s in self.selected:
            by_unit.setdefault(s.unit_id, []).append(s)
        if not any(rest_ok(c, by_unit.get(c.unit_id, [])) for c in affordable):
            return (
                f"each unit-shift it could buy would give a unit two shifts in a day or less "
                f"than {MIN_REST_H:g} hours' rest; add units or shifts to the config"
            )
        return (
            "no further unit-shift has work: the visits, hot-spot and patrol hours it could "
            "cover are covered by those bought"
        )

    def summary(self) -> str:
        """What the budget buys, per day and mode, and what is left over."""
        lines = [
            f"budget £{self.pounds_per_week:,.2f} at £{self.cost_per_officer_hour:,.2f}/officer-hour buys "
            f"{self.funded_officer_hours:,.2f} officer-hours",
            f"selected {len(self.selected)} of {len(self.candidates)} possible unit-shifts: "
            f"{self.used_officer_hours:,.2f} officer-hours (£{self.used_officer_hours * self.cost_per_officer_hour:,.2f})",
        ]
        smallest = min(
            (c.officer_hours for c in self.candidates if c not in self.selected), default=None
        )
        left = f"left over: {self.leftover_officer_hours:,.2f} officer-hours (£{self.leftover_pounds:,.2f})"
        if smallest is not None and self.leftover_officer_hours < smallest:
            left += f", less than the cheapest remaining unit-shift ({smallest:g} officer-hours)"
        lines.append(left)
        for day in sorted({s.day for s in self.candidates}):
            todays = [s for s in self.selected if s.day == day]
            shifts = ", ".join(f"{s.unit_id}/{s.shift}" for s in todays) or "none"
            lines.append(f"  {DAY_NAMES[day.weekday()]} {day:%d %b}: {shifts}")
        return "\n".join(lines)

    def write(self, path: str | Path) -> Path:
        """``unit_shifts.csv``: every candidate, whether selected, with times and cost."""
        chosen = {s.shift_id for s in self.selected}
        return write_csv(
            path,
            (
                {
                    "shift_id": s.shift_id,
                    "unit_id": s.unit_id,
                    "mode": s.mode,
                    "officers": s.officers,
                    "station_id": s.station_id,
                    "day": f"{DAY_NAMES[s.day.weekday()]} {s.day.isoformat()}",
                    "shift": s.shift,
                    "start": s.start.astimezone(LONDON).isoformat(),
                    "end": s.end.astimezone(LONDON).isoformat(),
                    "hours": f"{s.hours:g}",
                    "officer_hours": f"{s.officer_hours:g}",
                    "selected": s.shift_id in chosen,
                }
                for s in self.candidates
            ),
            [
                "shift_id",
                "unit_id",
                "mode",
                "officers",
                "station_id",
                "day",
                "shift",
                "start",
                "end",
                "hours",
                "officer_hours",
                "selected",
            ],
        )


def candidate_shifts(config: ForceConfig) -> list[UnitShift]:
    """Every unit-shift the week allows, in day, shift-start, unit order."""
    shifts = {s.name: s for s in config.shifts}
    out = []
    for day in config.week.days:
        dname = DAY_NAMES[day.weekday()]
        for unit in config.units:
            if dname not in unit.days:
                continue
            for name in unit.shifts:
                sh = shifts[name]
                window = span(day, sh.start_time, sh.end_time)
                out.append(
                    UnitShift(
                        shift_id=f"{unit.id}/{day.isoformat()}/{name}",
                        unit_id=unit.id,
                        mode=unit.mode,
                        officers=unit.officers,
                        station_id=unit.station,
                        day=day,
                        shift=name,
                        start=window.start,
                        end=window.end,
                    )
                )
    out.sort(key=lambda s: (s.day, s.start, s.unit_id))
    return out


@runtime_checkable
class ShiftValue(Protocol):
    """Marginal worth of one more unit-shift, given those already bought."""

    def value(self, shift: UnitShift) -> float:
        """Worth of buying ``shift`` now (prize scale)."""
        ...

    def take(self, shift: UnitShift) -> None:
        """Record that ``shift`` was bought."""
        ...


#: Typical hop between two visits, seconds, for judging how much work a unit-shift holds.
HOP_S = 600.0
#: Share of a shift a unit can spend on visits and the hops between them (breaks, the way
#: out and back take the rest).
WORKING_SHARE = 0.85


class PremisesWork:
    """Fixed visits as work: a unit-shift is worth the visits it can still take on.

    Each bought unit-shift takes on the most valuable visits not yet taken whose windows it
    covers, until its working time (``WORKING_SHARE`` of the shift, ``dwell + HOP_S`` per
    visit) is full, so a second unit on the same day is worth only what the first cannot do.
    """

    def __init__(self, visits: Sequence[VisitRequirement]) -> None:
        self._visits = sorted(visits, key=lambda v: (-v.prize, v.visit_id))
        self._taken: set[str] = set()
        # Visits given to bought unit-shifts, per site and day; a visit's open seconds a day.
        self._site_day: dict[tuple[str, dt.date], int] = {}
        self._open_s: dict[tuple[str, dt.date], float] = {}

    def _fill(self, shift: UnitShift, mark: bool) -> float:
        room = shift.hours * 3600 * WORKING_SHARE
        worth = 0.0
        per_site: dict[str, int] = {}
        day = span(shift.day, dt.time(0), dt.time(0))
        for v in self._visits:
            work = v.dwell_s + HOP_S
            if v.visit_id in self._taken or work > room:
                continue
            # One unit-shift makes few visits to one site: the site's gap and per-route cap.
            most = v.max_per_route
            if v.min_gap_s > 0:
                most = min(most, 1 + int(shift.hours * 3600 // v.min_gap_s))
            if per_site.get(v.site_id, 0) >= most:
                continue
            if not any(w.overlaps(shift.start, shift.end) >= v.dwell_s for w in v.windows):
                continue
            if v.min_gap_s == 0 or self._day_has_room(v, shift.day, day, per_site):
                worth += v.prize
                room -= work
                per_site[v.site_id] = per_site.get(v.site_id, 0) + 1
                if mark:
                    self._taken.add(v.visit_id)
                    key = (v.site_id, shift.day)
                    self._site_day[key] = self._site_day.get(key, 0) + 1
        return worth

    def _day_has_room(
        self, v: VisitRequirement, date: dt.date, day: TimeWindow, per_site: dict[str, int]
    ) -> bool:
        """Whether the site's gap leaves room on ``date`` for one more of its visits.

        All the unit-shifts of a day share a site's gap: an office asked for daily visits 20
        hours apart in office hours gets one a day, however many units are on duty, so a second
        unit-shift that day is not worth that visit again (the money goes to another day).
        """
        # Worth is asked of every candidate many times over while shifts are bought.
        key = (v.visit_id, date)
        if key not in self._open_s:
            self._open_s[key] = sum(w.overlaps(day.start, day.end) for w in v.windows)
        most = 1 + int(self._open_s[key] // v.min_gap_s)
        return self._site_day.get((v.site_id, date), 0) + per_site.get(v.site_id, 0) < most

    def value(self, shift: UnitShift) -> float:
        """Worth of the visits ``shift`` would take on."""
        return self._fill(shift, mark=False)

    def take(self, shift: UnitShift) -> None:
        """Give ``shift`` its visits."""
        self._fill(shift, mark=True)


def select_shifts(
    candidates: Sequence[UnitShift],
    funded_officer_hours: float,
    visits: Sequence[VisitRequirement] = (),
    hotspot_value: ShiftValue | Callable[[UnitShift], float] | None = None,
    already: Sequence[UnitShift] = (),
    relief: Collection[str] = (),
) -> list[UnitShift]:
    """Choose unit-shifts within the funded hours (see the module docstring).

    Each pick is the unit-shift worth most per officer-hour *given those already bought*:
    the fixed visits it could still take on (:class:`PremisesWork`) plus the hot-spot patrol
    it adds (``hotspot_value``, e.g. :class:`planner.demand.dosage.HotspotSlots`; a plain
    function is taken as a fixed worth per shift). A unit-shift worth nothing more is never
    bought, so every one bought has work to do.  ``already`` (members of ``candidates``, e.g.
    the unit-shifts a re-planned week keeps) are taken, in order while they fit, right after
    a unit-shift is bought for each required visit none of them or those bought covers.
    ``relief`` names required visits that need a second unit-shift working through their
    windows: an earlier plan found the first could not make them together with its other
    required visits (a post held through a refreshment break, or beside a surgery).
    """
    work = PremisesWork(visits)
    hot = hotspot_value

    def worth(s: UnitShift) -> float:
        if isinstance(hot, ShiftValue):
            return work.value(s) + hot.value(s)
        return work.value(s) + (hot(s) if hot is not None else 0.0)

    chosen: list[UnitShift] = []
    used = 0.0
    by_unit: dict[str, list[UnitShift]] = {}
    remaining = list(candidates)

    def take(s: UnitShift) -> None:
        nonlocal used
        chosen.append(s)
        used += s.officer_hours
        by_unit.setdefault(s.unit_id, []).append(s)
        remaining.remove(s)
        work.take(s)
        if isinstance(hot, ShiftValue):
            hot.take(s)

    def fits(s: UnitShift) -> bool:
        return used + s.officer_hours <= funded_officer_hours + 1e-9 and rest_ok(
            s, by_unit.get(s.unit_id, [])
        )

    # First make sure some unit works during every required visit's windows (the cheapest such
    # unit-shift), so money is not spent elsewhere before the musts are covered.
    for v in sorted(
        (v for v in visits if v.required),
        key=lambda v: min(
            (w.start for w in v.windows), default=dt.datetime.max.replace(tzinfo=dt.UTC)
        ),
    ):

        def serves(s: UnitShift, v: VisitRequirement = v) -> bool:
            return any(w.overlaps(s.start, s.end) >= v.dwell_s for w in v.windows)

        need = 2 if v.visit_id in relief else 1
        while sum(serves(s) for s in (*chosen, *already)) < need:
            options = [s for s in remaining if serves(s) and fits(s)]
            if not options:
                break
            take(min(options, key=lambda s: (s.officer_hours, -worth(s), s.shift_id)))
    for s in already:
        if s in remaining and fits(s):
            take(s)
    # Lazy greedy: a unit-shift's worth falls as others are bought (fewer visits and hot-spot
    # slots left), so its last worth serves as a bound. Pop the best bound, refresh it, and
    # take it if it still beats the next bound: a big force then refreshes a few candidates
    # per pick instead of all of them. (Packing premises visits greedily can make a worth
    # rise a little when a large visit goes elsewhere; the pick is then near-best, not best.)
    bought = {s.shift_id for s in chosen}
    heap = [(-math.inf, i, s) for i, s in enumerate(remaining)]
    heapq.heapify(heap)
    while heap:
        _, i, s = heapq.heappop(heap)
        if s.shift_id in bought or not fits(s):
            continue  # bought, or never affordable or restful again: budgets and rotas only fill
        score = worth(s) / s.officer_hours
        if score <= 1e-9:
            continue
        if heap and -score > heap[0][0] + 1e-12:
            heapq.heappush(heap, (-score, i, s))
            continue
        take(s)
        bought.add(s.shift_id)
    chosen.sort(key=lambda s: (s.start, s.unit_id))
    return chosen


def rest_ok(s: UnitShift, taken: Sequence[UnitShift]) -> bool:
    """Whether ``s`` can join ``taken`` (the same unit's shifts): one a day, 11 hours' rest."""
    rest = dt.timedelta(hours=MIN_REST_H)
    for t in taken:
        if t.day == s.day:
            return False
        if s.start < t.end + rest and t.start < s.end + rest:
            return False
    return True


def resources_for_week(
    config: ForceConfig,
    visits: Sequence[VisitRequirement] = (),
    hotspot_value: ShiftValue | Callable[[UnitShift], float] | None = None,
    exclude: frozenset[str] = frozenset(),
    relief: Collection[str] = (),
) -> Resources:
    """The unit-shifts the week's budget buys, chosen to meet ``visits`` and hot-spot harm.

    ``exclude`` names unit-shifts not to buy (ones an earlier plan left without a route);
    ``relief`` required visits that need a second unit-shift through their windows
    (:func:`select_shifts`).
    """
    candidates = candidate_shifts(config)
    funded = config.budget.pounds_per_week / config.budget.cost_per_officer_hour
    selected = select_shifts(
        [c for c in candidates if c.shift_id not in exclude],
        funded,
        visits,
        hotspot_value,
        relief=relief,
    )
    res = Resources(
        pounds_per_week=config.budget.pounds_per_week,
        cost_per_officer_hour=config.budget.cost_per_officer_hour,
        candidates=tuple(candidates),
        selected=tuple(selected),
        relief=tuple(relief),
    )
    assert res.used_officer_hours <= funded + 1e-9, (
        "never plan more paid hours than the budget buys"
    )
    log.info("%s", res.summary().splitlines()[1])
    return res
