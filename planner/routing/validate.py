"""Independent plan validator: re-checks a solution against its problem in float seconds.

Shares no code with :mod:`planner.routing.solver` on purpose (it must not inherit its bugs):
it reads only the plain :mod:`planner.routing.problem` data and the solution's route records
(duck-typed: any object with ``routes`` of ``vehicle_id``/``stops``/``leave_s``/``return_s``,
``stops`` of ``visit_id``/``arrival_s``/``start_s``/``departure_s``, ``unserved`` and
``total_prize``).

Every comparison allows ``TOL_S`` seconds (1e-6 s; the solver's grid is 1e-7 s and it rounds
conservatively) scaled by the magnitude of the times compared, to absorb float summation
error only.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.errors import InvalidPlanError
from planner.routing.problem import DAY_S, RoutingProblem, Vehicle, Visit

log = logging.getLogger(__name__)

TOL_S = 1e-6
"""Absolute time tolerance, seconds (grows with the magnitude of the times compared)."""


@dataclass(frozen=True)
class ValidationReport:
    """Result of :func:`validate`: ``ok`` and the list of broken rules."""

    ok: bool
    errors: tuple[str, ...]
    total_prize: float = 0.0
    n_served: int = 0

    def summary(self) -> str:
        """One line, or the first errors."""
        if self.ok:
            return f"valid: {self.n_served} visits served, prize {self.total_prize:g}"
        more = f" (+{len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        return f"INVALID ({len(self.errors)} errors): " + "; ".join(self.errors[:5]) + more


def _tol(*values: float) -> float:
    return TOL_S * (1.0 + 1e-6 * max([abs(v) for v in values if math.isfinite(v)], default=0.0))


def validate(problem: RoutingProblem, solution: Any) -> ValidationReport:
    """Check every rule of ``problem`` on ``solution``.

    Rules: known vehicles (each at most one route), known visits each served at most once,
    arrival = previous departure + matrix travel time (unreachable legs are errors), service
    start inside one window and not before arrival, full dwell, leave >= earliest start,
    return = last departure + travel to the end station and <= latest end, duration <= max,
    required visits served, group min gaps and max per route, paid-hours budget over used
    vehicles, the reported unserved list and total prize.
    """
    check = _Check(problem)
    paid = 0.0
    seen_vehicles: set[str] = set()
    for route in solution.routes:
        vid = route.vehicle_id
        veh = check.vehicles.get(vid)
        if veh is None:
            check.errs.append(f"route for unknown vehicle {vid!r}")
            continue
        if vid in seen_vehicles:
            check.errs.append(f"vehicle {vid!r} has more than one route")
            continue
        seen_vehicles.add(vid)
        if tuple(route.stops):
            paid += veh.paid_hours
            check.route(route, veh)
    check.required_served()
    check.group_gaps()
    budget = problem.budget_paid_hours
    if budget is not None and paid > budget + 1e-9:
        check.errs.append(f"used vehicles cost {paid} paid hours, over the budget {budget}")
    prize = check.totals(solution)
    return ValidationReport(
        ok=not check.errs, errors=tuple(check.errs), total_prize=prize, n_served=len(check.served)
    )


class _Check:
    """The rules' checks, collecting broken rules in ``errs`` in the order they are found."""

    def __init__(self, problem: RoutingProblem) -> None:
        self.problem = problem
        self.visits = {v.visit_id: v for v in problem.visits}
        self.vehicles = {k.vehicle_id: k for k in problem.vehicles}
        self.groups = {g.group_id: g for g in problem.groups}
        self.served: dict[str, tuple[str, float]] = {}  # visit id -> (vehicle id, start)
        self.errs: list[str] = []

    def route(self, route: Any, veh: Vehicle) -> None:
        """One used route: its legs, windows, dwells, return, duration and groups per route."""
        vid = veh.vehicle_id
        mat = np.asarray(self.problem.travel_time_s[veh.mode])
        leave = float(route.leave_s)
        if leave < veh.earliest_start_s - _tol(leave):
            self.errs.append(
                f"vehicle {vid!r} leaves at {leave} before its earliest start "
                f"{veh.earliest_start_s}"
            )
        prev_loc = veh.start_location
        prev_dep = leave
        per_group: dict[str, int] = {}
        for s in route.stops:
            v = self.visits.get(s.visit_id)
            if v is None:
                self.errs.append(f"vehicle {vid!r} serves unknown visit {s.visit_id!r}")
                continue
            self.stop(vid, veh.mode, s, v, float(mat[prev_loc, v.location]), prev_dep)
            if v.group is not None:
                per_group[v.group] = per_group.get(v.group, 0) + 1
            prev_loc = v.location
            prev_dep = max(float(s.departure_s), float(s.start_s) + v.service_s)
        self.route_end(route, veh, float(mat[prev_loc, veh.end_location]), prev_dep, leave)
        for gid, cnt in per_group.items():
            g = self.groups.get(gid)
            if g is not None and cnt > g.max_per_route:
                self.errs.append(
                    f"vehicle {vid!r} makes {cnt} visits of group {gid!r} "
                    f"(max {g.max_per_route} per route)"
                )

    def stop(self, vid: str, mode: str, s: Any, v: Visit, tr: float, prev_dep: float) -> None:
        """One served visit: not served before, arrival, start in a window, full dwell."""
        errs = self.errs
        if s.visit_id in self.served:
            errs.append(
                f"visit {s.visit_id!r} is served twice ({self.served[s.visit_id][0]!r} and {vid!r})"
            )
        if not math.isfinite(tr):
            errs.append(f"vehicle {vid!r}: leg to visit {s.visit_id!r} is unreachable by {mode}")
            tr = 0.0
        expect_arr = prev_dep + tr
        if abs(s.arrival_s - expect_arr) > _tol(expect_arr):
            errs.append(
                f"vehicle {vid!r}: arrival at {s.visit_id!r} reported {s.arrival_s} but "
                f"departure {prev_dep} + travel {tr} = {expect_arr}"
            )
        arrival = max(float(s.arrival_s), expect_arr)
        if s.start_s < arrival - _tol(arrival):
            errs.append(
                f"vehicle {vid!r}: service at {s.visit_id!r} starts {s.start_s} before "
                f"arrival {arrival}"
            )
        if not any(lo - _tol(lo) <= s.start_s <= hi + _tol(hi) for lo, hi in v.windows):
            errs.append(
                f"vehicle {vid!r}: service at {s.visit_id!r} starts {s.start_s}, outside "
                f"its windows {list(v.windows)}"
            )
        if s.departure_s < s.start_s + v.service_s - _tol(s.departure_s):
            errs.append(
                f"vehicle {vid!r}: leaves {s.visit_id!r} at {s.departure_s} before the "
                f"dwell of {v.service_s} s from {s.start_s} is over"
            )
        self.served[s.visit_id] = (vid, float(s.start_s))

    def route_end(self, route: Any, veh: Vehicle, tr: float, prev_dep: float, leave: float) -> None:
        """The return leg, the latest end and the max duration."""
        vid = veh.vehicle_id
        if not math.isfinite(tr):
            self.errs.append(f"vehicle {vid!r}: return leg to its end station is unreachable")
            tr = 0.0
        expect_ret = prev_dep + tr
        if abs(route.return_s - expect_ret) > _tol(expect_ret):
            self.errs.append(
                f"vehicle {vid!r}: return reported {route.return_s} but last departure + travel "
                f"= {expect_ret}"
            )
        ret = max(float(route.return_s), expect_ret)
        if ret > veh.latest_end_s + _tol(ret):
            self.errs.append(
                f"vehicle {vid!r} returns at {ret} after its latest end {veh.latest_end_s}"
            )
        if ret - leave > veh.max_duration_s + _tol(ret):
            self.errs.append(
                f"vehicle {vid!r}: route lasts {ret - leave} s, over its max duration "
                f"{veh.max_duration_s} s"
            )

    def required_served(self) -> None:
        """Every required visit is served."""
        for v in self.problem.visits:
            if v.required and v.visit_id not in self.served:
                self.errs.append(f"required visit {v.visit_id!r} is not served")

    def group_gaps(self) -> None:
        """Same-group service starts (over all routes) are at least the group's gap apart."""
        by_group: dict[str, list[tuple[float, str]]] = {}
        for vid_, (_, start) in self.served.items():
            v = self.visits[vid_]
            if v.group is not None:
                by_group.setdefault(v.group, []).append((start, vid_))
        for gid, lst in by_group.items():
            g = self.groups.get(gid)
            if g is None:
                continue
            lst.sort()
            for (s1, a), (s2, b) in itertools.pairwise(lst):
                if s2 - s1 < g.min_gap_s - _tol(s2):
                    self.errs.append(
                        f"group {gid!r}: visits {a!r} and {b!r} start {s2 - s1:.3f} s apart, "
                        f"less than the minimum gap {g.min_gap_s} s"
                    )
            if g.repeat_gap_s > 0:
                # On the local clock: the week's clock plus each visit's clock offset.
                bound = [
                    (s + self.visits[v].clock_offset_s, v)
                    for s, v in lst
                    if self.visits[v].repeat_rule
                ]
                self._time_of_day(gid, g.repeat_gap_s, bound)

    def _time_of_day(self, gid: str, repeat_gap_s: float, lst: list[tuple[float, str]]) -> None:
        """Starts (of visits bound by the rule) days apart are the repeat gap apart in time of day."""
        for (s1, a), (s2, b) in itertools.combinations(sorted(lst), 2):
            days = round((s2 - s1) / DAY_S)
            off = abs(s2 - s1 - days * DAY_S)
            if days >= 1 and off < repeat_gap_s - _tol(s2):
                self.errs.append(
                    f"group {gid!r}: visits {a!r} and {b!r} start {off:.3f} s apart in time of "
                    f"day on different days, less than the repeat gap {repeat_gap_s} s"
                )

    def totals(self, solution: Any) -> float:
        """The reported unserved list and total prize; returns the served visits' prize."""
        expect_unserved = set(self.visits) - set(self.served)
        reported_unserved = set(getattr(solution, "unserved", expect_unserved))
        if reported_unserved != expect_unserved:
            self.errs.append(
                f"unserved list is wrong: {len(reported_unserved ^ expect_unserved)} ids differ "
                f"(e.g. {sorted(reported_unserved ^ expect_unserved)[:3]})"
            )
        prize = float(sum(self.visits[u].prize for u in self.served))
        reported = float(solution.total_prize)
        if abs(reported - prize) > 1e-9 * max(1.0, abs(prize)):
            self.errs.append(f"reported total prize {reported} but served visits sum to {prize}")
        return prize


def assert_valid(problem: RoutingProblem, solution: Any) -> ValidationReport:
    """Validate and raise :class:`~planner.errors.InvalidPlanError` listing every broken rule."""
    report = validate(problem, solution)
    if not report.ok:
        raise InvalidPlanError(report.summary())
    return report
