"""Independent check of a plan against what the week's demand asked for.

Like :mod:`.break_check` it shares no code with the solver, nor with the model that turned the
demand into the solver's visits: it reads only the finished
:class:`~planner.planning.plan.Plan` and the demand-side
:class:`~planner.demand.weekly.VisitRequirement` objects (premises, posts, hot-spot
candidates), and checks the rules each stop must keep:

* **nothing lost**: every visit the demand asked for is made once or listed as unserved, never
  both, and every stop is a visit that was asked for;
* **presence**: a stop's presence is its requirement's; a drive-past stays at most
  :data:`~planner.config.DRIVE_PAST_MAX_DWELL_MIN` minutes; a visit stays its full dwell;
* **windows**: the whole service (start to departure) lies inside one of the requirement's
  windows, and a stop in a named window carries that window's name;
* **posts**: a post slot is held from the slot's start to its end exactly, so a post's slots
  made, plus the ones reported uncovered, account for the whole post;
* **gaps**: two visits to one site start at least the smaller of their minimum gaps apart;
* **overtime**: a unit back at its station after its shift's end was doing required work:
  its last stop is a post slot (held until relieved) or a required visit, and it is back at
  most ``overtime_max_min`` after the end;
* **time of day**: two visits to one site on different days that are both bound by its
  time-of-day rule (``repeat_rule``, ``repeat_gap_s``: hot-spot candidates) start at least
  ``repeat_gap_s`` apart in local time of day (a day or more apart on the wall clock).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from planner.common import LONDON
from planner.config import DRIVE_PAST_MAX_DWELL_MIN
from planner.demand.weekly import VisitRequirement
from planner.errors import InvalidPlanError
from planner.planning.plan import Plan, PlanStop

TOL_S = 1.0
"""Slack on every time compared, seconds (retimed plans keep whole seconds or better)."""


def _utc(t: dt.datetime) -> dt.datetime:
    return t.astimezone(dt.UTC)


def _stop_errors(stop: PlanStop, req: VisitRequirement, where: str) -> list[str]:
    """The presence, dwell, window and post rules for one stop."""
    errs = []
    dwell_s = (_utc(stop.departure) - _utc(stop.start)).total_seconds()
    if stop.presence != req.presence:
        errs.append(f"{where}: presence {stop.presence!r}, but {req.presence!r} was asked for")
    if req.presence == "drive_past" and dwell_s > DRIVE_PAST_MAX_DWELL_MIN * 60 + TOL_S:
        errs.append(
            f"{where}: a drive-past stays {dwell_s / 60:.1f} min, more than "
            f"{DRIVE_PAST_MAX_DWELL_MIN:g}"
        )
    if req.presence != "drive_past" and dwell_s < req.dwell_s - TOL_S:
        errs.append(f"{where}: on site {dwell_s / 60:.1f} min of the {req.dwell_s / 60:g} asked")
    if stop.window != req.window:
        errs.append(f"{where}: labelled window {stop.window!r}, but it is in {req.window!r}")
    start, end = _utc(stop.start), _utc(stop.departure)
    tol = dt.timedelta(seconds=TOL_S)
    if not any(_utc(w.start) - tol <= start and end <= _utc(w.end) + tol for w in req.windows):
        errs.append(
            f"{where}: service {stop.start:%a %H:%M}-{stop.departure:%H:%M} is in no window"
        )
    if req.presence == "post":
        (slot,) = req.windows
        if (
            abs((start - _utc(slot.start)).total_seconds()) > TOL_S
            or abs((end - _utc(slot.end)).total_seconds()) > TOL_S
        ):
            errs.append(f"{where}: a post slot must be held from its start to its end")
    return errs


def rule_errors(
    plan: Plan,
    asked: Sequence[VisitRequirement],
    offered: Sequence[VisitRequirement] = (),
    *,
    overtime_max_min: float = 0.0,
) -> list[str]:
    """Every broken rule of the module docstring, in the order found (empty: the plan keeps them).

    Parameters
    ----------
    plan
        The finished plan.
    asked
        The visits the week's demand asked for (premises, sites, posts): each must be made or
        reported unserved.
    offered
        Visits the plan may make but need not report when it does not (hot-spot candidates).
    overtime_max_min
        The config's ``[demand] post_overtime_min``: the most a unit may be back after its
        shift's end, having held a post (or made a required visit in that time).
    """
    reqs = {r.visit_id: r for r in (*asked, *offered)}
    errs: list[str] = []
    made: dict[str, int] = {}
    starts: dict[str, list[tuple[dt.datetime, float, str]]] = {}
    for route in plan.routes:
        for stop in route.stops:
            where = f"route {route.route_id!r} stop {stop.order} ({stop.visit_id})"
            req = reqs.get(stop.visit_id)
            if req is None:
                errs.append(f"{where}: a visit nobody asked for")
                continue
            made[stop.visit_id] = made.get(stop.visit_id, 0) + 1
            errs.extend(_stop_errors(stop, req, where))
            starts.setdefault(req.site_id, []).append(
                (_utc(stop.start), req.min_gap_s, stop.visit_id)
            )
    unserved = {u.visit_id for u in plan.unserved}
    errs.extend(f"visit {vid!r} is made {n} times" for vid, n in made.items() if n > 1)
    errs.extend(f"visit {vid!r} is both made and unserved" for vid in sorted(unserved & set(made)))
    errs.extend(
        f"visit {r.visit_id!r} is neither made nor reported unserved"
        for r in asked
        if r.visit_id not in made and r.visit_id not in unserved
    )
    errs.extend(_time_of_day_errors(plan, reqs))
    errs.extend(_overtime_errors(plan, reqs, overtime_max_min))
    for site, got in starts.items():
        got.sort()
        for (t0, gap0, v0), (t1, gap1, v1) in itertools.pairwise(got):
            need = min(gap0, gap1)
            if (t1 - t0).total_seconds() < need - TOL_S:
                errs.append(
                    f"site {site!r}: {v0} and {v1} start {(t1 - t0).total_seconds() / 60:.0f} "
                    f"min apart, less than the {need / 60:g} min gap"
                )
    return errs


def _overtime_errors(plan: Plan, reqs: dict[str, VisitRequirement], max_min: float) -> list[str]:
    """Routes back after their shift's end other than from required work, or too late."""
    errs = []
    for route in plan.routes:
        over_s = (_utc(route.return_) - _utc(route.shift_end)).total_seconds()
        if over_s <= TOL_S:
            continue
        last = reqs.get(route.stops[-1].visit_id) if route.stops else None
        if last is None or not (last.presence == "post" or last.required):
            errs.append(
                f"route {route.route_id!r}: back {over_s / 60:.1f} min after its shift's end, "
                "but not from a post or a required visit"
            )
        if over_s > max_min * 60 + TOL_S:
            errs.append(
                f"route {route.route_id!r}: back {over_s / 60:.1f} min after its shift's end, "
                f"more than the {max_min:g} min of overtime allowed"
            )
    return errs


def _time_of_day_errors(plan: Plan, reqs: dict[str, VisitRequirement]) -> list[str]:
    """Pairs of rule-bound visits to one site on different days at the same local time."""
    bound: dict[str, list[tuple[dt.datetime, float, str]]] = {}
    for stop in plan.stops:
        req = reqs.get(stop.visit_id)
        if req is not None and req.repeat_rule and req.repeat_gap_s > 0:
            local = stop.start.astimezone(LONDON)
            bound.setdefault(req.site_id, []).append((local, req.repeat_gap_s, stop.visit_id))
    errs = []
    for site, got in bound.items():
        for (a, gap, va), (b, _, vb) in itertools.combinations(sorted(got), 2):
            # On the wall clock: a day or more apart (rounded), and how far off a whole day.
            delta = (b.replace(tzinfo=None) - a.replace(tzinfo=None)).total_seconds()
            days = round(delta / 86_400)
            off = abs(delta - days * 86_400)
            if days >= 1 and off < gap - TOL_S:
                errs.append(
                    f"site {site!r}: {va} and {vb} start {off / 60:.0f} min apart in time of day "
                    f"on different days, less than {gap / 60:g}"
                )
    return errs


def assert_rules_valid(
    plan: Plan,
    asked: Sequence[VisitRequirement],
    offered: Sequence[VisitRequirement] = (),
    *,
    overtime_max_min: float = 0.0,
) -> None:
    """Raise :class:`InvalidPlanError` listing every broken rule (see :func:`rule_errors`)."""
    errs = rule_errors(plan, asked, offered, overtime_max_min=overtime_max_min)
    if errs:
        raise InvalidPlanError(
            f"plan breaks {len(errs)} demand rule(s): "
            + "; ".join(errs[:10])
            + (" ..." if len(errs) > 10 else "")
        )
