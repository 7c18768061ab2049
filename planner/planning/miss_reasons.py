"""Why each visit asked for is not in the plan: one plain reason per missed visit.

Each reason is tested from a situation built to produce it (``tests/planning/test_miss_reasons.py``):
no window this week, no unit-shift covers the window, no unit can reach it in time, the gap rule
allows only k, the funded hours are used up, lower value (only when a deployed unit could have
made it and did only work worth more around its time), or not fitted by the search (a deployed
unit that could have made it did work worth less then: the search's shortfall, said as such).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from planner.demand.resources import Resources, UnitShift, rest_ok
from planner.planning.breaks import serves_alone
from planner.planning.model import PlanningModel, seconds_from
from planner.routing.problem import RoutingProblem, Visit
from planner.routing.solver import Solution

__all__ = ["NOT_FITTED", "idle_reasons", "max_spaced_starts", "missed_visits", "unserved_reasons"]


def _reachable(
    problem: RoutingProblem,
    visit_index: int,
    vehicles: list[tuple[str, int, float, float]],
    windows: Sequence[tuple[float, float]] | None = None,
) -> bool:
    """Whether any (mode, depot, earliest_s, latest_s) can serve the visit alone.

    ``windows`` replaces the visit's own start windows (e.g. less its site's other visits).
    """
    v = problem.visits[visit_index]
    if windows is not None:
        v = dataclasses.replace(v, windows=tuple(windows))
    return any(
        mode in problem.travel_time_s
        and serves_alone(problem.travel_time_s[mode], depot, early, late, v)
        for mode, depot, early, late in vehicles
    )


#: A missed visit that a deployed unit could have made instead of cheaper work at the time.
NOT_FITTED = (
    "not fitted by the search: a deployed unit that could have made it made visits worth less "
    "around its time instead; the search stopped before finding a plan with it (more "
    "iterations or a longer time limit may)"
)


def _cheaper_around(
    problem: RoutingProblem,
    solution: Solution,
    visit_index: int,
    windows: Sequence[tuple[float, float]],
    index: dict[str, int],
) -> bool:
    """Whether a route that could serve the visit alone in ``windows`` served cheaper work then.

    "Then" is from its first start to its last start plus its service. If so the search, not
    the value of the rest, left it out: "lower value than what was chosen" would be untrue.
    """
    v = problem.visits[visit_index]
    if not windows:
        return False
    lo = min(a for a, _ in windows)
    hi = max(b for _, b in windows) + v.service_s
    vehicles = {k.vehicle_id: k for k in problem.vehicles}
    for route in solution.routes:
        k = vehicles[route.vehicle_id]
        row = [(k.mode, k.start_location, k.earliest_start_s, k.latest_end_s)]
        if not _reachable(problem, visit_index, row, windows):
            continue
        if any(
            lo <= stop.start_s <= hi and problem.visits[index[stop.visit_id]].prize < v.prize
            for stop in route.stops
        ):
            return True
    return False


def missed_visits(model: PlanningModel, solution: Solution) -> list[str]:
    """Unserved visits that were asked for: hot-spot candidates not taken are not misses."""
    demanded = {r.visit_id for r in model.inputs.demand.visits}
    offered = {v.visit_id for v in model.problem.visits}
    # A requirement with no window at all never reached the solver, so it is added here.
    never = [vid for vid in model.unservable if vid not in offered and vid in demanded]
    return [vid for vid in solution.unserved if vid in demanded] + never


def unserved_reasons(model: PlanningModel, solution: Solution) -> dict[str, str]:
    """Why each visit asked for is missing from ``solution``, by visit id."""
    problem = model.problem
    res = model.inputs.resources
    t0 = model.week_start
    station = {sid: i for i, sid in enumerate(model.inputs.stations.site_id)}
    funded = [
        (v.mode, v.start_location, v.earliest_start_s, v.latest_end_s) for v in problem.vehicles
    ]
    chosen = {s.shift_id for s in res.selected}
    unfunded = [
        (s.mode, station[s.station_id], seconds_from(t0, s.start), seconds_from(t0, s.end))
        for s in res.candidates
        if s.shift_id not in chosen
    ]
    index = {v.visit_id: i for i, v in enumerate(problem.visits)}
    gap_limited = _gap_limited(model, solution)
    reasons = {}
    unbought = [s for s in res.candidates if s.shift_id not in chosen]
    groups = {g.group_id: g for g in problem.groups}
    made: dict[str, list[float]] = {}
    for route in solution.routes:
        for stop in route.stops:
            group = problem.visits[index[stop.visit_id]].group
            if group is not None:
                made.setdefault(group, []).append(stop.start_s)

    def clear_of_site(i: int) -> list[tuple[float, float]]:
        """Visit ``i``'s windows less the site's gap around its visits that were made."""
        v = problem.visits[i]
        gap = groups[v.group].min_gap_s if v.group in groups else 0.0
        wins = list(v.windows)
        for t in made.get(v.group or "", []) if gap > 0 else []:
            cut = []
            for lo, hi in wins:
                # Starts strictly within ``gap`` of ``t`` are out: keep [lo, t-gap], [t+gap, hi].
                if t - gap >= lo:
                    cut.append((lo, min(hi, t - gap)))
                if t + gap <= hi:
                    cut.append((max(lo, t + gap), hi))
            wins = cut
        return wins

    for vid in missed_visits(model, solution):
        i = index.get(vid)
        clear = clear_of_site(i) if i is not None else []
        could = (
            [s for s, row in zip(unbought, unfunded, strict=True) if _reachable(problem, i, [row])]
            if i is not None and not _reachable(problem, i, funded)
            else []
        )
        if vid in gap_limited:
            reasons[vid] = gap_limited[vid]
        elif could:
            reasons[vid] = _unbought_reason(could, res)
        elif vid in model.unservable:
            reasons[vid] = model.unservable[vid]
        elif i is not None and _reachable(problem, i, funded, clear):
            if _cheaper_around(problem, solution, i, clear, index):
                reasons[vid] = NOT_FITTED
            else:
                reasons[vid] = (
                    "lower value than what was chosen: a deployed unit could have made it, but "
                    "its time went to visits worth more"
                )
        elif i is not None and (
            later := [
                s
                for s, row in zip(unbought, unfunded, strict=True)
                if _reachable(problem, i, [row], clear)
            ]
        ):
            # The site's visits made leave it no time on the units bought, but a unit-shift
            # the budget did not buy could make it clear of them: the money is the limit.
            reasons[vid] = _unbought_reason(later, res)
        elif i is not None and _reachable(problem, i, funded):
            site_group = groups.get(problem.visits[i].group or "")
            gap_h = site_group.min_gap_s / 3600 if site_group is not None else 0.0
            reasons[vid] = (
                f"the gap rule: the site's visits that were made leave no time in its windows "
                f"at least {gap_h:g} h from them that a deployed unit could reach"
            )
        else:
            reasons[vid] = (
                "no unit can reach the site within the window: no unit-shift can get there and "
                "back within its windows"
            )
    return reasons


def _unbought_reason(could: Sequence[UnitShift], res: Resources) -> str:
    """Why no unit-shift that could make a visit was bought, from the budget and the rota."""
    cheapest = min(s.officer_hours for s in could)
    if res.leftover_officer_hours + 1e-9 < cheapest:
        return (
            f"the funded hours are used up: only unit-shifts the budget does not buy could make "
            f"it (the cheapest costs {cheapest:g} officer-hours; {res.leftover_officer_hours:.1f} "
            f"are left)"
        )
    bought = list(res.selected)
    if all(not rest_ok(s, [b for b in bought if b.unit_id == s.unit_id]) for s in could):
        return (
            "no unit free then: every unit that could make it is already working that day or "
            "resting (11 hours between shifts, Working Time Regulations)"
        )
    return (
        "no bought unit-shift is on duty in its window: one that could be was not bought, "
        "because the planner expected the bought unit-shifts to make it"
    )


def max_spaced_starts(windows: Sequence[tuple[float, float]], gap_s: float) -> int:
    """Most service starts that fit in ``windows`` (start intervals) at least ``gap_s`` apart.

    Earliest-first is optimal for points on a line with a minimum spacing.
    """
    count, last = 0, -math.inf
    for lo, hi in sorted(windows):
        t = max(lo, last + gap_s) if count else lo
        while t <= hi:
            count += 1
            last = t
            if gap_s <= 0:
                return 10**9
            t = last + gap_s
    return count


def _gap_limited(model: PlanningModel, solution: Solution) -> dict[str, str]:
    """Missed visits that the site's minimum gap makes impossible, whatever units are out."""
    problem = model.problem
    groups = {g.group_id: g for g in problem.groups}
    by_site: dict[str, list[Visit]] = {}
    for v in problem.visits:
        if v.group is not None:
            by_site.setdefault(v.group, []).append(v)
    missed = set(solution.unserved)
    out: dict[str, str] = {}
    for site, visits in by_site.items():
        gap = groups[site].min_gap_s if site in groups else 0.0
        if gap <= 0:
            continue
        union = sorted({w for v in visits for w in v.windows})
        k = max_spaced_starts(union, gap)
        if k >= len(visits):
            continue
        # Only the visits beyond the k the gap allows are the gap's doing; the rest of the
        # missed ones get their own reason.
        beyond = len(visits) - k
        for v in [v for v in visits if v.visit_id in missed][:beyond]:
            out[v.visit_id] = (
                f"the gap rule allows only {k} visit{'s' * (k != 1)}: {len(visits)} are "
                f"asked for, at least {gap / 3600:g} h apart, in windows that hold {k}"
            )
    return out


def idle_reasons(model: PlanningModel, solution: Solution) -> dict[str, str]:
    """Why each bought unit-shift the plan gives no route has none, by shift id.

    A unit-shift is bought for the work it could do (:mod:`planner.demand.resources`); once
    the week is routed, that work may have gone to other units, or clash with the rules of
    the visits made at the same sites.
    """
    problem = model.problem
    shift_of = {
        v.vehicle_id: model.legs[v.vehicle_id].shift_id
        if v.vehicle_id in model.legs
        else v.vehicle_id
        for v in problem.vehicles
    }
    used = {shift_of.get(r.vehicle_id, r.vehicle_id) for r in solution.routes if r.stops}
    made = {s.visit_id for r in solution.routes for s in r.stops}
    out = {}
    for shift in model.inputs.resources.selected:
        if shift.shift_id in used:
            continue
        units = [
            (k.mode, k.start_location, k.earliest_start_s, k.latest_end_s)
            for k in problem.vehicles
            if shift_of[k.vehicle_id] == shift.shift_id
        ]
        could = [v.visit_id for i, v in enumerate(problem.visits) if _reachable(problem, i, units)]
        done = sum(1 for vid in could if vid in made)
        if not could:
            out[shift.shift_id] = "no visit offered fits its hours and reach"
        elif done == len(could):
            out[shift.shift_id] = (
                f"every visit it could make ({len(could)}) was made by other units"
            )
        else:
            left, one = len(could) - done, len(could) - done == 1
            out[shift.shift_id] = (
                f"of the {len(could)} visits it could make, {done} "
                f"{'was' if done == 1 else 'were'} made by other units and {left} "
                f"{'clashes' if one else 'clash'} with the gaps or times of day of visits made "
                f"at {'its site' if one else 'their sites'}, or the search found no place for "
                f"{'it' if one else 'them'}"
            )
    return out
