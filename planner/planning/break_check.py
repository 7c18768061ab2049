"""Independent check of a plan's refreshment breaks, on the plan itself.

Shares no code with the solver, nor with :mod:`planner.planning.breaks` which places the
breaks: it reads only the finished :class:`~planner.planning.plan.Plan`, the ``[breaks]``
config, the station and site indices and the travel-time matrices, and checks the rules:

* a unit-shift of at least :data:`~planner.config.MIN_BREAK_SHIFT_H` hours has a break when
  breaks are on (``duration_min > 0``), and a shorter one, or any with breaks off, has none;
* the break lasts ``duration_min``, starts no earlier than ``earliest_h`` and ends no later
  than ``latest_h`` hours into the shift;
* no service overlaps the break;
* the unit is at its station for the whole break: the last service before it ends early
  enough to travel back by the break's start, the first after it starts late enough to have
  travelled out from the break's end, and the recorded return and leave agree;
* a site's visits on one unit-shift (both legs together) keep the site's ``max_per_route``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from planner.config import MIN_BREAK_SHIFT_H, BreakConfig
from planner.errors import InvalidPlanError
from planner.planning.plan import Plan, PlanRoute, PlanStop

if TYPE_CHECKING:
    from planner.planning.model import PlanningModel

TOL_S = 0.01
"""Slack on every time compared, seconds: plan times are whole microseconds."""


def _s(a: dt.datetime, b: dt.datetime) -> float:
    """Seconds from ``a`` to ``b`` in UTC (right across a clock change)."""
    return (b.astimezone(dt.UTC) - a.astimezone(dt.UTC)).total_seconds()


class _BreakCheck:
    """The break rules' checks, collecting broken rules in ``errs`` in the order found."""

    def __init__(self, model: PlanningModel) -> None:
        self.config: BreakConfig = model.inputs.config.breaks
        self.index = {loc: i for i, loc in enumerate(model.location_ids)}
        self.matrices = model.problem.travel_time_s
        self.max_per_route = {g.group_id: g.max_per_route for g in model.problem.groups}
        # A site's reassurance patrols are a group of their own, with their own limit.
        self.group_of = {v.visit_id: v.group for v in model.problem.visits}
        self.errs: list[str] = []

    def route(self, r: PlanRoute) -> None:
        """One route: whether it should have a break, then the break's rules."""
        hours = _s(r.shift_start, r.shift_end) / 3600
        due = self.config.duration_min > 0 and hours >= MIN_BREAK_SHIFT_H - TOL_S / 3600
        if r.break_start is None or r.break_end is None:
            if due:
                self.errs.append(f"route {r.route_id!r}: a {hours:g} h shift has no break")
            if r.break_start is not None or r.break_end is not None:
                self.errs.append(f"route {r.route_id!r}: break has a start or an end only")
            return
        if not due:
            self.errs.append(
                f"route {r.route_id!r}: has a break but a {hours:g} h shift gets none "
                f"(breaks {'off' if self.config.duration_min <= 0 else 'from 6 h'})"
            )
            return
        self.timing(r, r.break_start, r.break_end)
        self.at_station(r, r.break_start, r.break_end)

    def timing(self, r: PlanRoute, b0: dt.datetime, b1: dt.datetime) -> None:
        """Duration and place in the shift."""
        rid = r.route_id
        length = _s(b0, b1)
        want = self.config.duration_min * 60
        if abs(length - want) > TOL_S:
            self.errs.append(f"route {rid!r}: break lasts {length:g} s, not {want:g} s")
        start_h = _s(r.shift_start, b0)
        end_h = _s(r.shift_start, b1)
        if start_h < self.config.earliest_h * 3600 - TOL_S:
            self.errs.append(
                f"route {rid!r}: break starts {start_h / 3600:.3f} h into the shift, before "
                f"earliest_h {self.config.earliest_h:g}"
            )
        if end_h > self.config.latest_h * 3600 + TOL_S:
            self.errs.append(
                f"route {rid!r}: break ends {end_h / 3600:.3f} h into the shift, after "
                f"latest_h {self.config.latest_h:g}"
            )

    def at_station(self, r: PlanRoute, b0: dt.datetime, b1: dt.datetime) -> None:
        """No service in the break, and time to get back before it and out after it."""
        rid = r.route_id
        mat = np.asarray(self.matrices[r.mode])
        home = self.index[r.station_id]
        before: list[tuple[PlanStop, dt.datetime]] = []
        after: list[tuple[PlanStop, dt.datetime]] = []
        for s in r.stops:
            end = s.start + dt.timedelta(seconds=s.dwell_s)
            if _s(s.start, b1) > TOL_S and _s(b0, end) > TOL_S:
                self.errs.append(f"route {rid!r}: service at {s.visit_id!r} overlaps the break")
            (before if _s(s.start, b0) > 0 else after).append((s, end))
        if before:
            s, end = before[-1]
            back = float(mat[self.index[s.site_id], home])
            if not math.isfinite(back) or _s(end, b0) < back - TOL_S:
                self.errs.append(
                    f"route {rid!r}: cannot get from {s.visit_id!r} back to the station by "
                    f"the break's start ({back:g} s of travel)"
                )
            if r.break_return is None or abs(_s(end, r.break_return) - back) > TOL_S:
                self.errs.append(
                    f"route {rid!r}: break_return is not the end of {s.visit_id!r} plus the "
                    "travel back"
                )
        elif r.break_return is not None:
            self.errs.append(f"route {rid!r}: break_return set but no stop before the break")
        if after:
            s, _ = after[0]
            out = float(mat[home, self.index[s.site_id]])
            if not math.isfinite(out) or _s(b1, s.start) < out - TOL_S:
                self.errs.append(
                    f"route {rid!r}: cannot get from the station to {s.visit_id!r} after the "
                    f"break's end ({out:g} s of travel)"
                )
            if r.break_leave is None or _s(b1, r.break_leave) < -TOL_S:
                self.errs.append(f"route {rid!r}: break_leave missing or before the break's end")
        elif r.break_leave is not None:
            self.errs.append(f"route {rid!r}: break_leave set but no stop after the break")

    def repeats(self, r: PlanRoute) -> None:
        """A site's visits (a group's) on the whole unit-shift, both legs together."""
        for site, n in Counter(self.group_of.get(s.visit_id) or s.site_id for s in r.stops).items():
            limit = self.max_per_route.get(site)
            if limit is not None and n > limit:
                self.errs.append(
                    f"route {r.route_id!r}: {n} visits to {site!r}, over its {limit} per shift"
                )


def validate_breaks(model: PlanningModel, plan: Plan) -> list[str]:
    """Every broken break rule of ``plan`` (see the module docstring); empty if none."""
    check = _BreakCheck(model)
    for r in plan.routes:
        check.route(r)
        check.repeats(r)
    return check.errs


def assert_breaks_valid(model: PlanningModel, plan: Plan) -> None:
    """Raise :class:`~planner.errors.InvalidPlanError` listing the first broken break rules."""
    errs = validate_breaks(model, plan)
    if errs:
        more = f" (+{len(errs) - 5} more)" if len(errs) > 5 else ""
        raise InvalidPlanError(
            f"INVALID breaks ({len(errs)} errors): " + "; ".join(errs[:5]) + more
        )
