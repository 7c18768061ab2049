"""Paid overtime to hold a post over a shift change, and nothing else.

A post (presence ``post``) is held in relief slots; a slot is held whole or not at all.  A unit
whose shift ends while a post runs, or just as it ends, had to leave in time to be back at its
station by the shift's end, so the post's last minutes before the change went uncovered: a
protest from 11:00 to 15:00 held by an early shift ending at 15:00 was covered only to 14:45.
Police practice is that an officer on a post stays until relieved or the post is over, and is
paid overtime for it (Police Regulations 2003, Annex G; the Police Remuneration Review Body's
determinations set the rate).

So a unit-shift ending inside a post's span, or at its end, may run over its end by
:func:`post_overtime_s`: until the post ends or the next shift can take over (at most
``[demand] post_overtime_min`` minutes after the shift's end), plus the way back to its
station.  The money is set aside from what the unit-shifts left unspent, so the week never
costs more than its budget; a shift whose overtime it cannot cover gets none.

The solver sees only a longer last leg, so it could spend those minutes on any work.
:func:`drop_overtime_work` then removes optional stops that keep a unit out after its shift
for anything but a post: overtime is paid only for required work.  A required visit the
solver put in those minutes is kept (dropping it would miss it), and the plan shows and pays
that overtime too.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from planner.demand.resources import UnitShift
from planner.demand.weekly import VisitRequirement
from planner.demand.windows import TimeWindow, merge
from planner.planning.breaks import without_stops
from planner.routing.problem import RoutingProblem, Vehicle
from planner.routing.solver import Solution
from planner.routing.solver.solution import Route

log = logging.getLogger(__name__)

TOL_S = 1.0
"""Slack on a return compared with a shift's end, seconds."""


def post_spans(
    posts: Iterable[VisitRequirement],
) -> dict[str, list[tuple[dt.datetime, dt.datetime]]]:
    """Each post site's slots joined into spans of continuous presence, by site id."""
    slots: dict[str, list[TimeWindow]] = {}
    for req in posts:
        if req.presence == "post":
            slots.setdefault(req.site_id, []).extend(req.windows)
    return {site: [(w.start, w.end) for w in merge(wins)] for site, wins in slots.items()}


def post_overtime_s(
    shifts: Sequence[UnitShift],
    posts: Iterable[VisitRequirement],
    trip_s: Callable[[UnitShift, str], tuple[float, float]],
    *,
    max_min: float,
    money_left: float,
    cost_per_officer_hour: float,
) -> dict[str, float]:
    """Seconds each unit-shift may run over its end to hold a post, by shift id.

    A shift ending at ``c`` inside a post's span ``(start, end]`` may stay until
    ``min(end, c + max_min)`` and then go back: the overtime is that hold plus the way back
    from the post's site (``trip_s(shift, site_id)`` gives the way there and back, seconds;
    ``inf`` where the unit's mode cannot reach it), at most ``max_min`` minutes in all.  Shifts
    are taken by end and id; each is granted its overtime only if ``money_left`` still covers
    all of it at ``cost_per_officer_hour``.  Shifts with none are left out.
    """
    max_s = max_min * 60.0
    if max_s <= 0:
        return {}
    spans = post_spans(posts)
    out: dict[str, float] = {}
    left = money_left
    for s in sorted(shifts, key=lambda s: (s.end, s.shift_id)):
        need = 0.0
        for site, site_spans in spans.items():
            for a, b in site_spans:
                if not a < s.end <= b:
                    continue
                there, back = trip_s(s, site)
                if not (math.isfinite(there) and math.isfinite(back)):
                    continue
                hold = (min(b, s.end + dt.timedelta(seconds=max_s)) - s.end).total_seconds()
                need = max(need, min(max_s, hold + back))
        if need <= 0:
            continue
        need = float(math.ceil(need + TOL_S))
        cost = s.officers * need / 3600 * cost_per_officer_hour
        if cost > left:
            log.info("%s: no money left for its post overtime (£%.2f)", s.shift_id, cost)
            continue
        left -= cost
        out[s.shift_id] = need
    return out


def _trimmed(
    route: Route, end_s: float, veh: Vehicle, problem: RoutingProblem, keep: set[str]
) -> Route:
    """``route`` without the last stops after which it returns late, up to one in ``keep``."""
    while route.stops and route.return_s > end_s + TOL_S:
        last = route.stops[-1].visit_id
        if last in keep:
            break
        route = without_stops(route, {last}, veh, problem)
    return route


def drop_overtime_work(
    problem: RoutingProblem,
    solution: Solution,
    rota_end_s: Mapping[str, float],
    posts: set[str],
) -> Solution:
    """Remove optional visits that keep a unit out after its shift for anything but a post.

    ``rota_end_s`` is the shift's own end for each routing vehicle given overtime (its last
    leg), ``posts`` the post slots' visit ids.  A route returning after its rota end whose last
    stop is not a post slot loses its last stop until it returns in time or ends on a post (a
    required visit is kept: it then shows as overtime in the plan, which is the truth).
    """
    vehicles = {v.vehicle_id: v for v in problem.vehicles}
    keep = set(posts) | {v.visit_id for v in problem.visits if v.required}
    routes = []
    dropped: set[str] = set()
    for r in solution.routes:
        end_s = rota_end_s.get(r.vehicle_id)
        if end_s is None or r.return_s <= end_s + TOL_S:
            routes.append(r)
            continue
        kept = _trimmed(r, end_s, vehicles[r.vehicle_id], problem, keep)
        dropped |= {s.visit_id for s in r.stops} - {s.visit_id for s in kept.stops}
        routes.append(kept)
    if not dropped:
        return solution
    log.info("dropped %d visits that would have been made on overtime", len(dropped))
    prize = {v.visit_id: v.prize for v in problem.visits}
    return replace(
        solution,
        routes=tuple(routes),
        unserved=tuple(solution.unserved) + tuple(sorted(dropped)),
        total_prize=solution.total_prize - sum(prize[d] for d in dropped),
    )
