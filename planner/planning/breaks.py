"""Refreshment breaks as two routing legs per unit-shift, and routes that leave when needed.

The solver has no break inside a route, so a unit-shift of :data:`~planner.config.MIN_BREAK_SHIFT_H`
hours or more becomes two routing vehicles from and back to its station: leg 1
(``<shift_id>~1``) from the shift's start to the break's start, leg 2 (``<shift_id>~2``) from
the break's end to the shift's end.  The unit is at the station for the whole break.  A shorter
shift, or ``[breaks] duration_min = 0``, stays one vehicle named by the shift id.

After the solve, :func:`retime` moves each leg's waiting from outside the next site to where
the unit already is (the station, or the site it has just finished at): the unit leaves as late
as it can and still starts every service exactly when the solver said.  Stop order and service
starts are untouched, so a valid solution stays valid (the routing validator is run again on
the re-timed solution).

Two legs are two routes to the routing problem, so a site's ``max_per_route`` would hold per
leg; :func:`drop_repeats` removes, after the solve, an optional visit that makes a unit-shift
exceed it over both legs together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from planner.config import MIN_BREAK_SHIFT_H, BreakConfig
from planner.demand.resources import UnitShift
from planner.routing.problem import RoutingProblem, Vehicle, Visit
from planner.routing.solver import Solution
from planner.routing.solver.solution import Route, Stop

log = logging.getLogger(__name__)

#: Break starts are drawn on this grid of seconds from the shift's start.
BREAK_GRID_S = 15 * 60
#: Separator between a shift id and its leg number in a routing vehicle id.
LEG_SEP = "~"


@dataclass(frozen=True)
class ShiftLeg:
    """One routing vehicle of a unit-shift: which shift, which leg (1 or 2; 1 if no break)."""

    vehicle_id: str
    shift_id: str
    leg: int


@dataclass(frozen=True)
class ShiftBreak:
    """A unit-shift's break at its station, seconds from the week's start."""

    start_s: float
    end_s: float


def needs_break(shift_hours: float, config: BreakConfig) -> bool:
    """Whether a shift of this length gets a break (breaks on, and at least 6 hours long)."""
    return config.duration_min > 0 and shift_hours >= MIN_BREAK_SHIFT_H


def break_offset_s(shift_id: str, config: BreakConfig) -> float:
    """Seconds from the shift's start to its break's start: drawn, never random at run time.

    Uniform over the 15-minute grid in ``[earliest_h, latest_h - duration]`` hours, picked by
    the first 8 bytes of SHA-256 of ``"<seed>:<shift_id>"``: the same config gives the same
    breaks, and different shifts get different ones.
    """
    lo = config.earliest_h * 3600
    hi = config.latest_h * 3600 - config.duration_min * 60
    first = int(np.ceil(lo / BREAK_GRID_S - 1e-9))
    last = int(np.floor(hi / BREAK_GRID_S + 1e-9))
    if last < first:  # the window holds the break but no grid point: start it at the earliest
        return lo
    digest = hashlib.sha256(f"{config.seed}:{shift_id}".encode()).digest()
    k = first + int.from_bytes(digest[:8], "big") % (last - first + 1)
    return float(k * BREAK_GRID_S)


def break_offsets_s(shift_id: str, config: BreakConfig) -> list[float]:
    """Every grid offset the break may start at, the drawn one first.

    :func:`break_offset_s` first, then the rest in an order drawn from the same seed and shift
    id: the fallbacks of :func:`shift_vehicles`.
    """
    lo = config.earliest_h * 3600
    hi = config.latest_h * 3600 - config.duration_min * 60
    grid = range(
        int(np.ceil(lo / BREAK_GRID_S - 1e-9)), int(np.floor(hi / BREAK_GRID_S + 1e-9)) + 1
    )
    first = break_offset_s(shift_id, config)
    rest = sorted(
        (float(k * BREAK_GRID_S) for k in grid if k * BREAK_GRID_S != first),
        key=lambda off: hashlib.sha256(f"{config.seed}:{shift_id}:{off:g}".encode()).digest(),
    )
    return [first, *rest]


def serves_alone(mat: np.ndarray, depot: int, early_s: float, late_s: float, v: Visit) -> bool:
    """Whether a unit free from its station ``depot`` in ``[early_s, late_s]`` can make ``v``."""
    out, back = float(mat[depot, v.location]), float(mat[v.location, depot])
    if not (np.isfinite(out) and np.isfinite(back)):
        return False
    for open_s, close_s in v.windows:
        start = max(open_s, early_s + out)
        if start <= close_s and start + v.service_s + back <= late_s:
            return True
    return False


def _choose_break(
    s: UnitShift,
    span: tuple[int, float, float],
    config: BreakConfig,
    required: Sequence[Visit],
    travel_time_s: Mapping[str, np.ndarray],
    placed: Sequence[Vehicle],
    relief: Collection[str] = (),
) -> ShiftBreak:
    """The shift's break: the drawn slot, unless it leaves a required visit nobody can make.

    Required visits this shift could make whole and no vehicle placed so far can make are
    at stake, and so are ``relief`` visits it could make (a second unit-shift was bought for
    them because the first could not make them with its other work); the first slot (in :func:`break_offsets_s` order) that keeps each of them
    possible on one leg or the other wins.  If none does, the slot keeping the most prize of
    them possible (the first such in that order) stands, and the solver names the visits it
    cannot make.
    """
    loc, start_s, end_s = span
    mat = travel_time_s.get(s.mode)
    offsets = break_offsets_s(s.shift_id, config)
    at_stake = (
        [
            v
            for v in required
            if serves_alone(mat, loc, start_s, end_s, v)
            and (
                v.visit_id in relief
                or not any(
                    serves_alone(
                        travel_time_s[k.mode],
                        k.start_location,
                        k.earliest_start_s,
                        k.latest_end_s,
                        v,
                    )
                    for k in placed
                    if k.mode in travel_time_s
                )
            )
        ]
        if mat is not None
        else []
    )
    duration_s = config.duration_min * 60
    if mat is None or not at_stake:
        return ShiftBreak(start_s + offsets[0], start_s + offsets[0] + duration_s)
    # The first slot that keeps every visit at stake possible wins; if none does, the slot
    # that keeps the most of them (by prize) possible: a 4-hour post that no break slot
    # leaves whole is then held for as long as the shift can hold it.
    best_off, best_kept = offsets[0], -1.0
    for off in offsets:
        b0 = start_s + off
        kept = [
            serves_alone(mat, loc, start_s, b0, v)
            or serves_alone(mat, loc, b0 + duration_s, end_s, v)
            for v in at_stake
        ]
        if all(kept):
            return ShiftBreak(b0, b0 + duration_s)
        worth = sum(v.prize for v, k in zip(at_stake, kept, strict=True) if k)
        if worth > best_kept:
            best_off, best_kept = off, worth
    log.warning("%s: every break slot leaves a required visit unmade", s.shift_id)
    return ShiftBreak(start_s + best_off, start_s + best_off + duration_s)


def shift_vehicles(
    shifts: Sequence[UnitShift],
    station_loc: Mapping[str, int],
    week_start: dt.datetime,
    config: BreakConfig,
    *,
    required: Sequence[Visit] = (),
    travel_time_s: Mapping[str, np.ndarray] | None = None,
    relief: Collection[str] = (),
    overtime_s: Mapping[str, float] | None = None,
) -> tuple[list[Vehicle], dict[str, ShiftLeg], dict[str, ShiftBreak]]:
    """The routing vehicles of the selected unit-shifts, with their legs and breaks.

    A break starts at its drawn slot (:func:`break_offset_s`) unless that would leave a
    ``required`` visit (a fixed-time post at a protest, say) that this shift could make and
    no earlier shift's leg can make out of reach: then the next slot in the drawn order that
    keeps it reachable is taken (:func:`_choose_break`).  Shifts are taken in the order
    given, so the result is deterministic.  A shift in ``overtime_s`` (shift id -> seconds,
    :func:`~planner.planning.overtime.post_overtime_s`) may return that much after its end: its
    last leg is that much longer, its ``paid_hours`` unchanged (the money is set aside).

    Returns
    -------
    vehicles
        One per shift without a break, two (legs) per shift with one; each leg's
        ``paid_hours`` is the shift's pro rata to the leg's length, so the legs add up to the
        shift and the budget is unchanged.
    legs
        Vehicle id -> its shift and leg number.
    breaks
        Shift id -> its break (shifts with a break only).
    """
    vehicles: list[Vehicle] = []
    legs: dict[str, ShiftLeg] = {}
    breaks: dict[str, ShiftBreak] = {}
    for s in shifts:
        # In UTC: two Europe/London times of one zone subtract as wall clocks, wrong across
        # a clock change.
        t0 = week_start.astimezone(dt.UTC)
        start_s = (s.start.astimezone(dt.UTC) - t0).total_seconds()
        end_s = (s.end.astimezone(dt.UTC) - t0).total_seconds()
        over_s = (overtime_s or {}).get(s.shift_id, 0.0)
        loc = station_loc[s.station_id]
        spans = [(s.shift_id, 1, start_s, end_s)]
        if needs_break(s.hours, config):
            brk = _choose_break(
                s,
                (loc, start_s, end_s + over_s),
                config,
                required,
                travel_time_s or {},
                vehicles,
                relief,
            )
            breaks[s.shift_id] = brk
            spans = [
                (f"{s.shift_id}{LEG_SEP}1", 1, start_s, brk.start_s),
                (f"{s.shift_id}{LEG_SEP}2", 2, brk.end_s, end_s),
            ]
        working_s = sum(hi - lo for _, _, lo, hi in spans)
        for vid, leg, lo, hi in spans:
            extra = over_s if hi == end_s else 0.0
            legs[vid] = ShiftLeg(vid, s.shift_id, leg)
            vehicles.append(
                Vehicle(
                    vehicle_id=vid,
                    mode=s.mode,
                    start_location=loc,
                    end_location=loc,
                    earliest_start_s=lo,
                    latest_end_s=hi + extra,
                    max_duration_s=hi + extra - lo,
                    paid_hours=s.officer_hours * (hi - lo) / working_s if working_s else 0.0,
                )
            )
    return vehicles, legs, breaks


def _retime_route(route: Route, veh: Vehicle, problem: RoutingProblem) -> Route:
    """One leg with its waits moved back to the station or the previous site."""
    if not route.stops:
        return route
    mat = problem.travel_time_s[veh.mode]
    service = {v.visit_id: v.service_s for v in problem.visits}
    loc = {v.visit_id: v.location for v in problem.visits}
    stops = list(route.stops)
    first = stops[0]
    out_s = float(mat[veh.start_location, loc[first.visit_id]])
    # The solver's arrival is never after the service start, so this is never earlier than
    # its leave: the wait outside the first site moves to the station.
    leave = max(route.leave_s, first.start_s - out_s, veh.earliest_start_s)
    new: list[Stop] = []
    arrival = leave + out_s
    for i, s in enumerate(stops):
        if i + 1 < len(stops):
            nxt = stops[i + 1]
            tr = float(mat[loc[s.visit_id], loc[nxt.visit_id]])
            # Leave this site as late as still starts the next service on time; never before
            # the solver's own departure or the end of this service.
            departure = max(s.departure_s, s.start_s + service[s.visit_id], nxt.start_s - tr)
        else:
            departure = s.departure_s
        new.append(Stop(s.visit_id, arrival, s.start_s, departure))
        if i + 1 < len(stops):
            arrival = departure + tr
    return replace(route, stops=tuple(new), leave_s=leave)


def retime(problem: RoutingProblem, solution: Solution) -> Solution:
    """``solution`` with every route leaving as late as its service starts allow.

    Arrival at a stop becomes its service start wherever the unit used to wait outside;
    the unit waits at the station (leaving later) or at the site it has just served
    (departing later) instead.  Service starts, stop order, returns and prize are unchanged.
    """
    vehicles = {v.vehicle_id: v for v in problem.vehicles}
    routes = tuple(_retime_route(r, vehicles[r.vehicle_id], problem) for r in solution.routes)
    return replace(solution, routes=routes)


def drop_repeats(
    problem: RoutingProblem, solution: Solution, legs: Mapping[str, ShiftLeg]
) -> Solution:
    """Remove optional visits that push a unit-shift over a site's ``max_per_route``.

    The routing problem sees each leg as a route of its own; the rule is per unit-shift.  The
    later visits of a site beyond its limit are dropped (a required visit is kept and logged:
    the plan validator then reports it).  Dropping a stop only shortens the trip between its
    neighbours, whose service starts stay as they were; the routing validator checks that.
    """
    visits = {v.visit_id: v for v in problem.visits}
    limit = {g.group_id: g.max_per_route for g in problem.groups}
    vehicles = {v.vehicle_id: v for v in problem.vehicles}
    by_shift: dict[str, list[Route]] = {}
    for r in solution.routes:
        by_shift.setdefault(_leg(legs, r.vehicle_id).shift_id, []).append(r)
    dropped: set[str] = set()
    for routes in by_shift.values():
        if len(routes) < 2:
            continue
        count: dict[str, int] = {}
        for r in sorted(routes, key=lambda r: _leg(legs, r.vehicle_id).leg):
            for s in r.stops:
                v = visits[s.visit_id]
                if v.group is None:
                    continue
                count[v.group] = count.get(v.group, 0) + 1
                if count[v.group] > limit.get(v.group, count[v.group]):
                    if v.required:
                        log.warning("required visit %s repeats its site in one shift", v.visit_id)
                    else:
                        dropped.add(s.visit_id)
                        count[v.group] -= 1
    if not dropped:
        return solution
    log.info("dropped %d visits repeating a site within one unit-shift", len(dropped))
    return replace(
        solution,
        routes=tuple(
            without_stops(r, dropped, vehicles[r.vehicle_id], problem) for r in solution.routes
        ),
        unserved=tuple(solution.unserved) + tuple(sorted(dropped)),
        total_prize=solution.total_prize - sum(visits[d].prize for d in dropped),
    )


def without_stops(route: Route, dropped: set[str], veh: Vehicle, problem: RoutingProblem) -> Route:
    """A route without the ``dropped`` stops: arrivals recomputed, service starts kept."""
    if not any(s.visit_id in dropped for s in route.stops):
        return route
    mat = problem.travel_time_s[veh.mode]
    loc = {v.visit_id: v.location for v in problem.visits}
    kept = [s for s in route.stops if s.visit_id not in dropped]
    if not kept:
        return replace(route, stops=(), leave_s=veh.earliest_start_s, return_s=veh.earliest_start_s)
    prev_loc, prev_dep = veh.start_location, route.leave_s
    new = []
    for s in kept:
        arrival = prev_dep + float(mat[prev_loc, loc[s.visit_id]])
        new.append(Stop(s.visit_id, arrival, s.start_s, s.departure_s))
        prev_loc, prev_dep = loc[s.visit_id], s.departure_s
    back = prev_dep + float(mat[prev_loc, veh.end_location])
    return replace(route, stops=tuple(new), return_s=back)


@dataclass(frozen=True)
class MergedRoute:
    """A unit-shift's legs as one route, for the plan (float seconds from the week's start).

    ``vehicle_id`` is the shift id; ``stops`` all legs' stops in order; ``leave_s`` the first
    used leg's leave and ``return_s`` the last used leg's return; ``leaves`` maps the first
    stop of each used leg to that leg's leave (the previous place it travels from is the
    station).  ``break_return_s`` is leg 1's return and ``break_leave_s`` leg 2's leave, when
    that leg has stops.
    """

    vehicle_id: str
    stops: tuple[Stop, ...]
    leave_s: float
    return_s: float
    leaves: dict[str, float]
    brk: ShiftBreak | None = None
    break_return_s: float | None = None
    break_leave_s: float | None = None


def merge_legs(
    solution: Solution, legs: Mapping[str, ShiftLeg], breaks: Mapping[str, ShiftBreak]
) -> list[MergedRoute]:
    """One :class:`MergedRoute` per unit-shift with stops, legs joined in order.

    A vehicle missing from ``legs`` (a problem built without breaks) is a shift of its own.
    """
    by_shift: dict[str, list[tuple[int, Route]]] = {}
    for r in solution.routes:
        leg = _leg(legs, r.vehicle_id)
        by_shift.setdefault(leg.shift_id, []).append((leg.leg, r))
    merged = []
    for shift_id, parts in by_shift.items():
        used = [(n, r) for n, r in sorted(parts, key=lambda p: p[0]) if r.stops]
        if not used:
            continue
        brk = breaks.get(shift_id)
        merged.append(
            MergedRoute(
                vehicle_id=shift_id,
                stops=tuple(s for _, r in used for s in r.stops),
                leave_s=used[0][1].leave_s,
                return_s=used[-1][1].return_s,
                leaves={r.stops[0].visit_id: r.leave_s for _, r in used},
                brk=brk,
                break_return_s=next((r.return_s for n, r in used if n == 1), None) if brk else None,
                break_leave_s=next((r.leave_s for n, r in used if n == 2), None) if brk else None,
            )
        )
    return merged


def _leg(legs: Mapping[str, ShiftLeg], vehicle_id: str) -> ShiftLeg:
    """The vehicle's leg; one not in ``legs`` (a problem made without breaks) is a whole shift."""
    return legs.get(vehicle_id) or ShiftLeg(vehicle_id, vehicle_id, 1)
