"""From the geodata of one force and week to the plain routing problem the solver sees.

Locations are the stations followed by the demand sites. Each mode's travel-time matrix is
computed door to door on that mode's network (:mod:`planner.roads.matrix`); a location that mode
cannot reach is ``inf`` in its matrix, which the solver must treat as forbidden. Times are
seconds from the week's start (Monday 00:00 Europe/London); a visit window becomes the
interval in which its *service may start* so that the whole dwell fits inside the window.

Unpredictability: given last week's plan, this week's visit times at each site are kept at
least ``avoid_min`` minutes away from the same local time-of-week as last week's visits there,
by cutting those intervals out of the windows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from planner.common import LONDON
from planner.demand.control import control_days, drop_control
from planner.demand.dosage import dosage_params, hotspot_candidates
from planner.demand.patrol import patrol_points
from planner.demand.resources import UnitShift
from planner.demand.weekly import VisitRequirement
from planner.demand.windows import TimeWindow
from planner.errors import InputError
from planner.planning.breaks import ShiftBreak, ShiftLeg, serves_alone, shift_vehicles
from planner.planning.overtime import post_overtime_s
from planner.planning.pipeline import WeekInputs
from planner.roads.matrix import SiteGraph, travel_time_matrix
from planner.roads.snapping import snap_sites
from planner.routing.problem import Group, RoutingProblem, Vehicle, Visit

log = logging.getLogger(__name__)

#: Default distance in time from last week's visit times at a site, minutes.
DEFAULT_AVOID_MIN = 60.0
#: Largest ``avoid_min``: a week, which already cuts every window out.
MAX_AVOID_MIN = 7 * 24 * 60.0


def check_avoid_min(avoid_min: float) -> float:
    """``avoid_min`` as a float, checked to be a finite number of minutes in ``[0, a week]``.

    Raises
    ------
    InputError
        Naming ``avoid_min`` (the ``--avoid-min`` option) and what to give instead.
    """
    # Callers other than the CLI may pass anything; bool is an int but no number of minutes.
    number = isinstance(avoid_min, int | float) and not isinstance(avoid_min, bool)
    if number and 0.0 <= avoid_min <= MAX_AVOID_MIN:
        return float(avoid_min)
    nan = isinstance(avoid_min, float) and math.isnan(avoid_min)
    raise InputError(
        f"must be a number of minutes from 0 to {MAX_AVOID_MIN:g} (a week), e.g. "
        f"{DEFAULT_AVOID_MIN:g}; got {'NaN, which is not a number' if nan else repr(avoid_min)}",
        field="avoid_min",
    )


@dataclass(frozen=True, eq=False)
class PlanningModel:
    """The routing problem and the keys that tie it back to the geodata.

    Attributes
    ----------
    inputs
        The week's inputs the problem was built from.
    problem
        The plain problem (no geodata).
    location_ids
        Station ids, then site ids: ``problem`` location ``i`` is ``location_ids[i]``.
    graphs
        Per mode, the network with every location spliced in, for road-following paths.
    week_start
        Time zero of the problem (UTC-aware).
    avoided
        Per site, the intervals cut out of its windows to stay away from last week's times.
    requirements
        Every visit offered to the solver: the demand's, then the hot-spot candidates made for
        the deployed unit-shifts (:mod:`planner.demand.dosage`); only the demand's are ever
        reported as missed.
    unservable
        Required visits no deployed unit-shift can make, with the reason: they are offered
        to the solver as optional (so the rest of the week is still planned) and reported as
        required visits missed.
    legs
        Routing vehicle id -> its unit-shift and leg (:mod:`planner.planning.breaks`).
    breaks
        Shift id -> its refreshment break at the station (shifts with a break only).
    overtime_s
        Shift id -> the overtime it may work to hold a post over its end, seconds
        (:mod:`planner.planning.overtime`; shifts with some only).
    """

    inputs: WeekInputs
    problem: RoutingProblem
    location_ids: tuple[str, ...]
    graphs: dict[str, SiteGraph]
    week_start: dt.datetime
    avoided: dict[str, tuple[TimeWindow, ...]]
    requirements: tuple[VisitRequirement, ...] = ()
    unservable: dict[str, str] = field(default_factory=dict)
    legs: dict[str, ShiftLeg] = field(default_factory=dict)
    breaks: dict[str, ShiftBreak] = field(default_factory=dict)
    overtime_s: dict[str, float] = field(default_factory=dict)

    def rota_end_s(self) -> dict[str, float]:
        """The shift's own end of each routing vehicle given overtime (a last leg), by id."""
        out = {}
        for v in self.problem.vehicles:
            leg = self.legs.get(v.vehicle_id)
            if leg is None or leg.shift_id not in self.overtime_s:
                continue
            if leg.leg == 2 or leg.shift_id not in self.breaks:  # the leg ending the shift
                out[v.vehicle_id] = v.latest_end_s - self.overtime_s[leg.shift_id]
        return out

    def to_time(self, seconds: float) -> dt.datetime:
        """A problem time as an aware UTC datetime (writers show it in Europe/London)."""
        return (self.week_start + dt.timedelta(seconds=seconds)).astimezone(dt.UTC)


def seconds_from(t0: dt.datetime, t: dt.datetime) -> float:
    """Elapsed seconds from ``t0`` to ``t`` (aware datetimes, compared in UTC)."""
    return (t.astimezone(dt.UTC) - t0.astimezone(dt.UTC)).total_seconds()


def _clock_offset_s(t0: dt.datetime, t: dt.datetime) -> float:
    """Local clock minus the week's clock at ``t`` (-3600 s after the clocks go back).

    +3600 after they go forward, else 0. A hot-spot candidate's band lies within an hour or
    so, so its start tells the offset for the whole of it (a band across the change itself
    goes without the time-of-day rule, :mod:`planner.demand.dosage`).
    """
    before = t0.astimezone(LONDON).utcoffset() or dt.timedelta(0)
    after = t.astimezone(LONDON).utcoffset() or dt.timedelta(0)
    return (after - before).total_seconds()


def same_time_next_week(t: dt.datetime) -> dt.datetime:
    """The same Europe/London wall-clock time seven days later (clock changes respected)."""
    local = t.astimezone(LONDON).replace(tzinfo=None) + dt.timedelta(days=7)
    return local.replace(tzinfo=LONDON).astimezone(dt.UTC)


def subtract(windows: Sequence[TimeWindow], cuts: Sequence[TimeWindow]) -> list[TimeWindow]:
    """``windows`` minus every interval in ``cuts``."""
    out = list(windows)
    for cut in cuts:
        nxt: list[TimeWindow] = []
        for w in out:
            if cut.end <= w.start or cut.start >= w.end:
                nxt.append(w)
                continue
            if w.start < cut.start:
                nxt.append(TimeWindow(w.start, cut.start))
            if cut.end < w.end:
                nxt.append(TimeWindow(cut.end, w.end))
        out = nxt
    return out


def _hotspot_candidates(
    inputs: WeekInputs,
    matrices: Mapping[str, np.ndarray],
    station_loc: Mapping[str, int],
    loc_of: Mapping[str, int],
) -> list[VisitRequirement]:
    """Hot-spot visits offered for every period a unit that can reach the hot spot is on duty.

    A car unit serves a hot spot it can reach and leave in time; a foot unit one within
    ``foot_reach_min`` of its station on foot, as walked on the network. None is offered on
    a control hot-spot-day (``[evaluation] control_share``). Reassurance patrols at tension
    sites fill the room the hot spots leave (:mod:`planner.demand.patrol`).
    """
    hot = [
        *inputs.hotspot_demand,
        *patrol_points(inputs.demand.sites, inputs.demand.visits, inputs.config),
    ]
    if not hot:
        return []
    config = inputs.config
    params = dosage_params(config)
    reach_s = config.demand.foot_reach_min * 60

    def can_serve(i: int, shift: UnitShift) -> bool:
        m = matrices[shift.mode]
        a, b = station_loc[shift.station_id], loc_of[hot[i].site_id]
        there, back = float(m[a, b]), float(m[b, a])
        if not (math.isfinite(there) and math.isfinite(back)):
            return False
        if shift.mode == "foot" and there > reach_s:
            return False
        return there + params.dwell_s + back <= shift.hours * 3600

    candidates = hotspot_candidates(hot, inputs.resources.selected, can_serve, params=params)
    # Randomised control hot-spot-days get no extra patrol (planner.demand.control).
    return drop_control(
        candidates, control_days(config, [h.site_id for h in inputs.hotspot_demand])
    )


def _visits_and_groups(
    requirements: Sequence[VisitRequirement],
    demanded: set[str],
    avoided: Mapping[str, tuple[TimeWindow, ...]],
    t0: dt.datetime,
    loc_of: Mapping[str, int],
) -> tuple[list[Visit], dict[str, Group], dict[str, str]]:
    """The solver's visits (start windows in seconds) and one group per site.

    Keeping away from last week's times never applies to a fixed-time requirement (a required
    visit or a post slot, whose window is the point: unpredictability gives way to being
    there). An optional visit it leaves no time at all is not offered, and is reported with
    that reason; a hot-spot candidate so left is simply dropped.
    """

    def starts_of(wins: Sequence[TimeWindow], dwell_s: float) -> list[tuple[float, float]]:
        out = []
        for w in wins:
            open_s = seconds_from(t0, w.start)
            close_s = seconds_from(t0, w.end) - dwell_s
            if close_s >= open_s:
                out.append((open_s, close_s))
        return out

    visits: list[Visit] = []
    groups: dict[str, Group] = {}
    no_window: dict[str, str] = {}
    for req in requirements:
        fixed = req.required or req.presence == "post"
        cuts = () if fixed else avoided.get(req.site_id, ())
        starts = starts_of(subtract(req.windows, cuts), req.dwell_s) if cuts else []
        if cuts and not starts:
            if req.visit_id in demanded:
                no_window[req.visit_id] = (
                    "no window left: keeping away from last week's visit times (--avoid-min) "
                    "leaves no time in its windows"
                )
            continue  # a hot-spot candidate is only an offer: drop it rather than repeat
        if not starts:
            starts = starts_of(req.windows, req.dwell_s)
        if not starts:  # the solver needs a window; say why there is none instead
            no_window[req.visit_id] = (
                "no window this week: none of its windows is long enough for the visit"
            )
            continue
        visits.append(
            Visit(
                visit_id=req.visit_id,
                location=loc_of[req.site_id],
                service_s=req.dwell_s,
                windows=tuple(starts),
                prize=req.prize,
                required=req.required,
                group=req.group or req.site_id,
                repeat_rule=req.repeat_rule,
                clock_offset_s=_clock_offset_s(t0, req.windows[0].start),
            )
        )
        gid = req.group or req.site_id
        group = groups.setdefault(
            gid,
            Group(
                group_id=gid,
                min_gap_s=req.min_gap_s,
                max_per_route=req.max_per_route,
                repeat_gap_s=req.repeat_gap_s,
            ),
        )
        # A site's requirements may differ (a re-plan's held visits carry no time-of-day
        # rule): the group keeps the widest, which binds only the visits with the rule.
        if req.repeat_gap_s > group.repeat_gap_s:
            groups[gid] = dataclasses.replace(group, repeat_gap_s=req.repeat_gap_s)
    return visits, groups, no_window


def unservable_reason(
    visit: Visit, vehicles: Sequence[Vehicle], matrices: Mapping[str, np.ndarray]
) -> str | None:
    """Why no vehicle can make ``visit`` on its own, or ``None`` if one can.

    Computed, not guessed: a vehicle can make it when it can leave its station, arrive within
    a window, stay the whole dwell and get back before its shift (or leg) ends.
    """
    if not visit.windows:
        return "no window this week: none of its windows is long enough for the visit"
    on_duty = False
    reachable = False
    for k in vehicles:
        end = min(k.latest_end_s, k.earliest_start_s + k.max_duration_s)
        if not any(
            a <= end - visit.service_s and b >= k.earliest_start_s for a, b in visit.windows
        ):
            continue
        on_duty = True
        mat = matrices[k.mode]
        out = float(mat[k.start_location, visit.location])
        back = float(mat[visit.location, k.end_location])
        if not (math.isfinite(out) and math.isfinite(back)):
            continue
        if serves_alone(mat, k.start_location, k.earliest_start_s, end, visit):
            return None
        reachable = True
    if not on_duty:
        return "no unit-shift covers the window: no deployed unit is on duty then"
    if not reachable:
        return "no unit can reach the site: no deployed unit's mode has a route to and from it"
    return (
        "no unit can reach the site within the window: every unit on duty would arrive too late "
        "or could not get back to its station before its shift (or its refreshment break)"
    )


def _demote_unservable(
    visits: Sequence[Visit], vehicles: Sequence[Vehicle], matrices: Mapping[str, np.ndarray]
) -> tuple[list[Visit], dict[str, str]]:
    """Required visits no vehicle can make become optional, with the reason kept to report."""
    out = []
    reasons: dict[str, str] = {}
    for v in visits:
        why = unservable_reason(v, vehicles, matrices) if v.required else None
        if why is not None:
            reasons[v.visit_id] = why
            v = dataclasses.replace(v, required=False)
            log.warning("required visit %s cannot be made: %s", v.visit_id, why)
        out.append(v)
    return out, reasons


def _avoided_windows(
    previous_visits: Mapping[str, Sequence[dt.datetime]],
    known_sites: Mapping[str, object],
    avoid_min: float,
) -> dict[str, tuple[TimeWindow, ...]]:
    """Windows of ``avoid_min`` either side of last week's visit times, one week on."""
    half = dt.timedelta(minutes=avoid_min)
    return {
        sid: tuple(
            TimeWindow(same_time_next_week(t) - half, same_time_next_week(t) + half) for t in times
        )
        for sid, times in previous_visits.items()
        if sid in known_sites
    }


def build_model(
    inputs: WeekInputs,
    *,
    previous_visits: Mapping[str, Sequence[dt.datetime]] | None = None,
    avoid_min: float = DEFAULT_AVOID_MIN,
) -> PlanningModel:
    """Build the routing problem for the week.

    Parameters
    ----------
    inputs
        Network, stations, demand and resources from :func:`planner.planning.pipeline.prepare_week`.
    previous_visits
        Last week's service start times per site id (from its plan), to stay away from.
    avoid_min
        How far from last week's times this week's visits must start, minutes.

    Raises
    ------
    InputError
        ``avoid_min`` is not a finite number of minutes in ``[0, a week]``.
    """
    avoid_min = check_avoid_min(avoid_min)
    config = inputs.config
    t0 = config.week.start
    demand = inputs.demand
    station_ids = list(inputs.stations.site_id)
    site_index = {s.site_id: s for s in demand.sites}
    location_ids = station_ids + [s.site_id for s in demand.sites]
    xs = np.concatenate([inputs.stations.x_m, [s.x_m for s in demand.sites]])
    ys = np.concatenate([inputs.stations.y_m, [s.y_m for s in demand.sites]])
    n = len(location_ids)

    graphs: dict[str, SiteGraph] = {}
    matrices: dict[str, np.ndarray] = {}
    for mode in sorted({u.mode for u in config.units}):
        snaps = snap_sites(
            inputs.network.mode(mode), location_ids, xs, ys, max_snap_m=config.area.max_snap_m
        )
        graph = SiteGraph.build(inputs.network.mode(mode), snaps)
        m = travel_time_matrix(graph)
        full = np.full((n, n), np.inf)
        idx = np.flatnonzero(snaps.snapped)
        full[np.ix_(idx, idx)] = m.travel_time_s
        matrices[mode] = full
        graphs[mode] = graph

    avoided = _avoided_windows(previous_visits or {}, site_index, avoid_min)

    offset = len(station_ids)
    loc_of = {sid: offset + i for i, sid in enumerate(s.site_id for s in demand.sites)}
    station_loc = {sid: i for i, sid in enumerate(station_ids)}
    candidates = _hotspot_candidates(inputs, matrices, station_loc, loc_of)
    requirements = (*demand.visits, *candidates)
    demanded = {r.visit_id for r in demand.visits}
    visits, groups, no_window = _visits_and_groups(requirements, demanded, avoided, t0, loc_of)
    # A hot spot's dose follows its harm: the solver's last pass trades visits between hot
    # spots whose doses are out of harm order (planner.routing.solver.balance).
    for h in inputs.hotspot_demand:
        if h.site_id in groups:
            groups[h.site_id] = dataclasses.replace(groups[h.site_id], dose_weight=h.base_prize)

    overtime = _post_overtime(inputs, requirements, matrices, station_loc, loc_of)
    # A shift with a refreshment break is two vehicles (legs) either side of it at the station.
    vehicles, legs, breaks = shift_vehicles(
        inputs.resources.selected,
        station_loc,
        t0,
        config.breaks,
        required=[v for v in visits if v.required],
        travel_time_s=matrices,
        relief=inputs.resources.relief,
        overtime_s=overtime,
    )
    visits, unservable = _demote_unservable(visits, vehicles, matrices)
    problem = RoutingProblem(
        name=f"{config.name} {config.week.label}",
        visits=tuple(visits),
        vehicles=tuple(vehicles),
        groups=tuple(groups.values()),
        travel_time_s=matrices,
        budget_paid_hours=inputs.resources.funded_officer_hours,
        location_labels=tuple(location_ids),
    )
    log.info(
        "routing problem: %d visits, %d unit-shifts, %d locations",
        len(visits),
        len(vehicles),
        n,
    )
    return PlanningModel(
        inputs=inputs,
        problem=problem,
        location_ids=tuple(location_ids),
        graphs=graphs,
        week_start=t0,
        avoided=avoided,
        legs=legs,
        breaks=breaks,
        requirements=requirements,
        unservable={**no_window, **unservable},
        overtime_s=overtime,
    )


def _post_overtime(
    inputs: WeekInputs,
    requirements: Sequence[VisitRequirement],
    matrices: Mapping[str, np.ndarray],
    station_loc: Mapping[str, int],
    loc_of: Mapping[str, int],
) -> dict[str, float]:
    """Overtime each bought unit-shift may work to hold a post over its end, seconds."""
    res = inputs.resources

    def trip_s(s: UnitShift, site_id: str) -> tuple[float, float]:
        mat, a, b = matrices[s.mode], station_loc[s.station_id], loc_of[site_id]
        return float(mat[a, b]), float(mat[b, a])

    return post_overtime_s(
        res.selected,
        requirements,
        trip_s,
        max_min=inputs.config.demand.post_overtime_min,
        money_left=res.leftover_pounds,
        cost_per_officer_hour=res.cost_per_officer_hour,
    )
