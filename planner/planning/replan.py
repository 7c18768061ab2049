"""Mid-week re-planning: the rest of a week planned again, what is done kept as it is.

``planner replan CONFIG --plan RUN/plan.json --from 2026-12-02T12:00`` re-makes a plan from a
cut-off time (Europe/London local time, or with an explicit UTC offset; it must fall inside the
plan's week).

What is kept
------------
* **Every route whose shift started before the cut-off, whole**, its visits after the cut-off
  included: its crew is out and briefed, and a plan that re-routes a crew mid-shift is not
  one a sergeant can hand out.  Its visits count as made, towards each site's visits of the
  week (a site asking for five visits, two of them made, is asked for three more) and
  towards the budget (its paid officer-hours are spent and not available again).  So are
  the unit-shifts the earlier plan bought but gave no route (``plan.json``'s
  ``idle_shifts``) that started before the cut-off: they were paid for.  Those starting
  after it are not counted: they can still be cancelled or re-used.  A plan written before
  ``idle_shifts`` existed has none, so none is counted.
* **Every visit named in ``locks.csv``** (columns ``unit, date, shift, site_id``: the unit
  on that day's shift keeps its visit(s) to that site at the same time).  A lock on a
  re-planned unit-shift keeps that unit-shift bought and its visit pinned to its start time,
  on that unit alone; the unit's other visits are planned around it.  A row that names no
  visit of the earlier plan is an error naming the file, row and field.

What is re-planned
------------------
Every unit-shift starting at or after the cut-off, by the normal pipeline
(:func:`~planner.planning.pipeline.prepare_week`, :func:`~planner.planning.model.build_model`,
the solver), with the config's sites plus any ``--sites`` files:

* the unit-shifts the earlier plan bought after the cut-off are bought again first (less
  any of an unavailable unit), then what the budget has left buys others, chosen as for any
  week (:func:`~planner.demand.resources.select_shifts`); the 11-hour rest is kept against the
  kept shifts too;
* units listed in ``unavailable.csv`` (columns ``unit, date, shift``; an empty ``date``
  means every day, an empty ``shift`` every shift) get no re-planned unit-shift;
* visits that can no longer start after the cut-off and were not made are reported as
  missed, with the earlier plan's reason;
* a site's visits keep its minimum gap from the visits already made there;
* a visit that can stay, stays: the solver starts from the earlier plan's routes
  (``solve(previous=...)``) with every earlier visit on a unit-shift bought again made
  required, on its unit and within :data:`UNCHANGED_MIN` minutes of its time; only if they
  cannot all stay (a new required visit, an unavailable unit) are they re-planned freely,
  each kept near its time or dropped for something worth more.

The earlier plan's visits on re-planned unit-shifts are compared with the new plan's
(:func:`changes`): *kept* (same unit, same site, starting within :data:`UNCHANGED_MIN`
minutes), *moved* (the same visit, or a visit to the same site that day, on another unit or
at another time), *removed* or *added*, each with the reason.  The share kept is recorded in
``plan.json`` (:class:`~planner.planning.plan.Replan`).  Refreshment breaks of re-planned
unit-shifts are drawn as for any plan, so they usually, not always, stay where they were.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planner.config import ForceConfig
from planner.demand.dosage import PATROL_GROUP_SUFFIX, PATROL_WINDOW, dosage_params
from planner.demand.resources import (
    Resources,
    UnitShift,
    candidate_shifts,
    rest_ok,
    select_shifts,
)
from planner.demand.sites import read_site_points
from planner.demand.weekly import VisitRequirement
from planner.demand.windows import TimeWindow
from planner.errors import InfeasibleError, InputError
from planner.planning.break_check import assert_breaks_valid
from planner.planning.breaks import ShiftLeg
from planner.planning.model import PlanningModel, build_model, seconds_from
from planner.planning.pipeline import WeekInputs, hotspot_value, prepare_week
from planner.planning.plan import (
    IdleShift,
    Plan,
    PlanRoute,
    PlanStop,
    Replan,
    UnservedVisit,
    read_plan_json,
)
from planner.planning.replan_changes import CHANGE_KINDS, UNCHANGED_MIN, Change, changes
from planner.planning.replan_inputs import (
    Split,
    Unavailable,
    as_shift,
    parse_cutoff,
    read_locks,
    read_unavailable,
    split_plan,
    with_extra_sites,
)
from planner.planning.rule_check import assert_rules_valid
from planner.planning.week import (
    PlanResult,
    plan_from_solution,
    solve_exactly,
    solve_model,
    stop_from,
    week_seed,
)
from planner.routing.problem import Visit
from planner.routing.solver import Solution, StoppingCriterion
from planner.routing.solver.solution import Route, Stop

log = logging.getLogger(__name__)

#: Suffix of the id of a locked hot-spot visit (the solver's own candidate keeps the plain id).
LOCKED_SUFFIX = "#locked"
#: Suffix of the id of an earlier hot-spot visit offered again near its time, while the model
#: is built; it gets its plain id back after (:func:`_unhold`).
HELD_SUFFIX = "#held"


@dataclass(frozen=True, eq=False)
class ReplanResult:
    """The re-made week: the merged plan (kept + new routes), and what changed.

    ``result`` holds the merged plan with the model and solution of the re-planned part
    (the run writers need only its roads, sites and requirements).
    """

    result: PlanResult
    previous: Plan
    changes: tuple[Change, ...]

    @property
    def plan(self) -> Plan:
        """The merged plan."""
        return self.result.plan

    def summary(self) -> str:
        """The plan's figures and the changes, counted."""
        counts = {k: sum(c.change == k for c in self.changes) for k in CHANGE_KINDS}
        line = ", ".join(f"{n} {k}" for k, n in counts.items())
        return f"{self.plan.summary()}\nchanges: {line} (see changes.csv)"


# ----------------------------------------------------------------------------- the week


def _pin(req: VisitRequirement | None, stop: PlanStop, hot_gap_s: float) -> VisitRequirement:
    """A locked visit's requirement: required, its window its earlier service (to the ms).

    A hot-spot visit or reassurance patrol (``req`` is ``None``: not in the demand) gets the
    hot spots' gap; a patrol stays in its site's patrol group (:mod:`planner.demand.patrol`),
    apart from the site's own visits, as when it was offered.
    """
    # A millisecond's slack: plan times are kept to the microsecond, so a first stop's start
    # (the drive from the station, to the microsecond) can fall a fraction after its own
    # record, and a window of no width would then refuse the very visit it locks.
    window = (TimeWindow(stop.start, stop.departure + dt.timedelta(milliseconds=1)),)
    if req is not None:
        return dataclasses.replace(req, windows=window, required=True)
    patrol = stop.window == PATROL_WINDOW
    return VisitRequirement(
        visit_id=stop.visit_id + LOCKED_SUFFIX,
        site_id=stop.site_id,
        kind=stop.kind,
        windows=window,
        dwell_s=stop.dwell_s,
        min_gap_s=hot_gap_s,
        required=True,
        prize=stop.prize,
        max_per_route=1000,
        window=stop.window,
        presence=stop.presence,
        repeat_rule=False,  # a lock keeps its time, whatever the time-of-day rule says
        group=f"{stop.site_id}{PATROL_GROUP_SUFFIX}" if patrol else "",
    )


def _after(req: VisitRequirement, cutoff: dt.datetime) -> VisitRequirement | None:
    """``req`` with its windows cut to start at the cut-off, or ``None`` if none is left."""
    wins = []
    for w in req.windows:
        if req.presence == "post":  # a slot is held whole or not at all
            if w.start >= cutoff:
                wins.append(w)
        elif w.end > cutoff:
            clipped = TimeWindow(max(w.start, cutoff), w.end)
            if clipped.duration_s >= req.dwell_s:
                wins.append(clipped)
    return dataclasses.replace(req, windows=tuple(wins)) if wins else None


# long function: the remaining week's demand, resources and its record, built in one place
def _remaining_inputs(
    inputs: WeekInputs,
    split: Split,
    cutoff: dt.datetime,
    unavailable: Sequence[Unavailable],
    previous: Plan,
) -> tuple[WeekInputs, list[VisitRequirement], list[UnservedVisit], dict[str, str]]:
    """The week from the cut-off: demand not yet made, unit-shifts still to buy.

    Returns the inputs, the requirements of visits already made (kept routes), the visits
    missed because they could only start before the cut-off, and the locked visit ids
    (possibly renamed) -> their unit-shift.
    """
    config = inputs.config
    made = {s.visit_id for r in split.kept for s in r.stops}
    locked_ids = {vid: rid for rid, vid in split.locked}
    old_unserved = {u.visit_id: u for u in previous.unserved}
    demand = inputs.demand
    reqs = {v.visit_id: v for v in demand.visits}
    done: list[VisitRequirement] = []
    past: list[UnservedVisit] = []
    visits: list[VisitRequirement] = []
    pins: dict[str, str] = {}
    for v in demand.visits:
        if v.visit_id in made:
            done.append(v)
        elif v.visit_id in locked_ids:
            continue  # pinned below
        elif (rest := _after(v, cutoff)) is not None:
            visits.append(rest)
        else:
            past.append(
                old_unserved.get(v.visit_id)
                or UnservedVisit(
                    visit_id=v.visit_id,
                    site_id=v.site_id,
                    kind=v.kind,
                    required=v.required,
                    prize=v.prize,
                    reason="before the re-planning cut-off: its windows close before it",
                )
            )
    for (rid, vid), stop in sorted(split.locked.items()):
        pinned = _pin(reqs.get(vid), stop, dosage_params(config).min_gap_s)
        visits.append(pinned)
        pins[pinned.visit_id] = rid
    held = _held_hotspots(split, unavailable, dosage_params(config).min_gap_s)

    kept_shift: dict[str, list[UnitShift]] = {}
    # Idle shifts started before the cut-off were worked (on duty, paid): rest counts too.
    worked: list[PlanRoute | IdleShift] = [*split.kept, *split.idle_spent]
    for r in worked:
        kept_shift.setdefault(r.unit_id, []).append(as_shift(r))
    candidates = [
        c
        for c in candidate_shifts(config)
        if c.start >= cutoff
        and not any(u.covers(c) for u in unavailable)
        and rest_ok(c, kept_shift.get(c.unit_id, []))
    ]
    by_id = {c.shift_id: c for c in candidates}
    must = [by_id[rid] for rid in dict.fromkeys(pins.values()) if rid in by_id]
    again = [by_id[r.route_id] for r in split.redo if r.route_id in by_id]
    funded = config.budget.pounds_per_week / config.budget.cost_per_officer_hour
    # Spent: kept routes and bought unit-shifts with no route that started before the cut-off.
    # Idle ones starting after it are not subtracted: they can still be cancelled or re-used,
    # so their money is the re-plan's to spend again.
    left_h = max(0.0, funded - split.spent_officer_hours)
    hot = inputs.hotspot_demand
    selected = select_shifts(
        candidates,
        left_h,
        visits,
        hotspot_value(config, hot, demand.sites, inputs.stations, visits),
        already=[*must, *(s for s in again if s not in must)],
    )
    resources = Resources(
        pounds_per_week=left_h * config.budget.cost_per_officer_hour,
        cost_per_officer_hour=config.budget.cost_per_officer_hour,
        candidates=tuple(candidates),
        selected=tuple(selected),
    )
    remaining = dataclasses.replace(
        inputs,
        demand=dataclasses.replace(demand, visits=(*visits, *held)),
        resources=resources,
    )
    return remaining, done, past, pins


def _held_hotspots(
    split: Split, unavailable: Sequence[Unavailable], gap_s: float
) -> list[VisitRequirement]:
    """The earlier plan's hot-spot visits on re-planned unit-shifts, offered again near their times.

    The hot-spot candidates are made afresh for the unit-shifts left, so an earlier visit's
    band may not be among them; offered again, it can stay where it was.
    """
    slack = dt.timedelta(minutes=UNCHANGED_MIN)
    locked = {vid for _, vid in split.locked}
    out = []
    for r in split.redo:
        if any(u.covers(as_shift(r)) for u in unavailable):
            continue
        for s in r.stops:
            if s.kind != "hotspot" or s.visit_id in locked:
                continue
            out.append(
                VisitRequirement(
                    visit_id=s.visit_id + HELD_SUFFIX,
                    site_id=s.site_id,
                    kind=s.kind,
                    windows=(TimeWindow(s.start - slack, s.departure + slack),),
                    dwell_s=s.dwell_s,
                    min_gap_s=gap_s,
                    required=False,
                    prize=s.prize,
                    max_per_route=1000,
                    # Free of the time-of-day rule: it stands for an earlier visit that may
                    # itself have been a repeat candidate, and is offered to stay where it was.
                    repeat_rule=False,
                )
            )
    return out


def _unhold(model: PlanningModel) -> PlanningModel:
    """Give the held hot-spot visits their plain ids back, and make them candidates again.

    A fresh candidate with the same id is dropped: the held one stands for it.
    """
    held = {
        v.visit_id.removesuffix(HELD_SUFFIX)
        for v in model.problem.visits
        if v.visit_id.endswith(HELD_SUFFIX)
    }

    def plain(vid: str) -> str:
        return vid.removesuffix(HELD_SUFFIX)

    visits = tuple(
        dataclasses.replace(v, visit_id=plain(v.visit_id))
        for v in model.problem.visits
        if v.visit_id not in held
    )
    reqs = tuple(
        dataclasses.replace(r, visit_id=plain(r.visit_id))
        for r in model.requirements
        if r.visit_id not in held
    )
    demand = model.inputs.demand
    asked = tuple(v for v in demand.visits if not v.visit_id.endswith(HELD_SUFFIX))
    return dataclasses.replace(
        model,
        inputs=dataclasses.replace(model.inputs, demand=dataclasses.replace(demand, visits=asked)),
        problem=dataclasses.replace(model.problem, visits=visits),
        requirements=reqs,
        unservable={k: v for k, v in model.unservable.items() if not k.endswith(HELD_SUFFIX)},
    )


def _shift_of(model: PlanningModel, vehicle_id: str) -> str:
    return model.legs.get(vehicle_id, ShiftLeg(vehicle_id, vehicle_id, 1)).shift_id


def _keep_gaps(model: PlanningModel, kept: Sequence[PlanRoute]) -> PlanningModel:
    """Cut from each site's visits the starts within its minimum gap of a visit already made.

    A visit left no start is dropped from the problem and reported with the reason.
    """
    t0 = model.week_start
    gaps = {g.group_id: g.min_gap_s for g in model.problem.groups}
    starts: dict[str, list[float]] = {}
    for r in kept:
        for s in r.stops:
            starts.setdefault(s.site_id, []).append(seconds_from(t0, s.start))
    visits: list[Visit] = []
    dropped: dict[str, str] = {}
    for v in model.problem.visits:
        gap = gaps.get(v.group or "", 0.0)
        if gap <= 0 or v.group not in starts:
            visits.append(v)
            continue
        kept_wins = _cut_starts(v.windows, [(t - gap, t + gap) for t in starts[v.group]])
        if kept_wins:
            visits.append(dataclasses.replace(v, windows=kept_wins))
        else:
            dropped[v.visit_id] = (
                f"the gap rule: a visit already made there before the cut-off leaves no start "
                f"at least {gap / 3600:g} h from it"
            )
    if not dropped and len(visits) == len(model.problem.visits):
        return dataclasses.replace(
            model, problem=dataclasses.replace(model.problem, visits=tuple(visits))
        )
    return dataclasses.replace(
        model,
        problem=dataclasses.replace(model.problem, visits=tuple(visits)),
        unservable={**model.unservable, **dropped},
    )


#: Rounds of letting go of earlier visits that cannot all stay before re-planning them freely.
MAX_RELEASES = 4


def _solve_keeping(
    model: PlanningModel,
    redo: Sequence[PlanRoute],
    stop: StoppingCriterion,
    seed: int,
    progress: Callable[[float, float], None] | None,
    warm: Solution,
) -> tuple[PlanningModel, Solution]:
    """Solve keeping every earlier visit that can stay; if they cannot all stay, as before.

    First every earlier visit on a unit-shift bought again (already held to its unit and to
    within :data:`UNCHANGED_MIN` minutes of its time) is made required, so none is dropped
    or moved for a small gain: with nothing changed, the rest of the week stays as it was.
    Earlier visits the search cannot fit together are let go (up to :data:`MAX_RELEASES`
    rounds) and the others kept; if the week's own required visits cannot be fitted that way
    (a new required visit, a moved break needs the time), it is solved with every earlier
    visit optional, as :func:`_hold_times` describes.
    """
    bought = {s.shift_id for s in model.inputs.resources.selected}
    held = {s.visit_id for r in redo if r.route_id in bought for s in r.stops}
    for _ in range(MAX_RELEASES):
        visits = tuple(
            dataclasses.replace(v, required=True) if v.visit_id in held else v
            for v in model.problem.visits
        )
        strict = dataclasses.replace(
            model, problem=dataclasses.replace(model.problem, visits=visits)
        )
        try:
            solution = solve_exactly(strict, stop, seed, progress, warm)
        except InfeasibleError as exc:
            stuck = set(exc.visit_ids or ()) & held
            if not stuck:
                break  # a required visit of the week itself: re-plan freely
            # Those earlier visits cannot all stay: let them go, keep the others.
            log.info("re-plan: %d earlier visits cannot stay: %s", len(stuck), sorted(stuck))
            held -= stuck
            continue
        # The model as it was (optional visits optional), so reasons and reports read as usual.
        return model, solution
    log.info("re-plan: the earlier visits cannot all stay; re-planning them freely")
    return solve_model(model, stop, seed, progress, warm)


def _hold_times(model: PlanningModel, redo: Sequence[PlanRoute]) -> PlanningModel:
    """Keep the earlier plan's optional visits near their times, if they are made at all.

    Each optional visit of a re-planned route whose unit-shift is bought again may start only
    within :data:`UNCHANGED_MIN` minutes of its earlier start: the search can keep it there or
    drop it for something worth more (a new site), not shuffle it around the week for a
    small gain.  Required visits stay free to move, so new required visits can always be fitted.
    """
    bought = {s.shift_id for s in model.inputs.resources.selected}
    was = {
        s.visit_id: seconds_from(model.week_start, s.start)
        for r in redo
        if r.route_id in bought
        for s in r.stops
    }
    slack = UNCHANGED_MIN * 60
    visits = []
    for v in model.problem.visits:
        t = was.get(v.visit_id)
        if t is not None and not v.required:
            near = tuple(
                (max(a, t - slack), min(b, t + slack))
                for a, b in v.windows
                if max(a, t - slack) <= min(b, t + slack)
            )
            v = dataclasses.replace(v, windows=near) if near else v
        visits.append(v)
    return dataclasses.replace(
        model, problem=dataclasses.replace(model.problem, visits=tuple(visits))
    )


#: Most matrix cells (modes x locations squared) spent on keeping held visits on their own
#: units; past it (a big force's week) they keep their times but may change unit.
MAX_HELD_CELLS = 40_000_000


def _held_units(model: PlanningModel, redo: Sequence[PlanRoute]) -> dict[str, str]:
    """Optional earlier visits of re-bought unit-shifts -> their unit-shift, to keep them there.

    Empty when the copies :func:`_lock_to_units` makes would cost more than
    :data:`MAX_HELD_CELLS` matrix cells.
    """
    bought = {s.shift_id for s in model.inputs.resources.selected}
    optional = {v.visit_id for v in model.problem.visits if not v.required}
    out = {
        s.visit_id: r.route_id
        for r in redo
        if r.route_id in bought
        for s in r.stops
        if s.visit_id in optional
    }
    n_loc = len(model.location_ids) + len(out)
    n_modes = len(model.problem.travel_time_s) + len(set(out.values()))
    if n_modes * n_loc * n_loc > MAX_HELD_CELLS:
        log.info("re-plan: too many earlier visits to keep each on its own unit; times only")
        return {}
    return out


def _cut_starts(
    windows: Sequence[tuple[float, float]], cuts: Sequence[tuple[float, float]]
) -> tuple[tuple[float, float], ...]:
    """Start windows less the open intervals ``cuts`` (a start exactly a gap away is fine)."""
    out = list(windows)
    for lo, hi in cuts:
        nxt = []
        for a, b in out:
            if hi <= a or lo >= b:
                nxt.append((a, b))
                continue
            if a <= lo:
                nxt.append((a, lo))
            if hi <= b:
                nxt.append((hi, b))
        out = nxt
    return tuple(out)


def _lock_to_units(model: PlanningModel, pins: dict[str, str]) -> PlanningModel:
    """Make each locked visit servable by its own unit-shift alone.

    The solver has no per-visit vehicle list, so each locked visit gets a location of its own
    (a copy of its site's) that only a travel mode of its unit-shift's own reaches: a copy of
    the unit's mode's matrix in which the locked copies of other unit-shifts are unreachable.
    """
    problem = model.problem
    index = {v.visit_id: i for i, v in enumerate(problem.visits)}
    pins = {vid: rid for vid, rid in pins.items() if vid in index}
    if not pins:
        return model
    n = len(model.location_ids)
    order = sorted(pins)
    new_loc = {vid: n + k for k, vid in enumerate(order)}
    src = np.array([*range(n), *(problem.visits[index[vid]].location for vid in order)])
    mats: dict[str, np.ndarray] = {}

    def copy(mode: str, own: set[str]) -> np.ndarray:
        m = np.array(problem.travel_time_s[mode])[np.ix_(src, src)]
        for vid in order:
            if vid not in own:
                m[new_loc[vid], :] = np.inf
                m[:, new_loc[vid]] = np.inf
                m[new_loc[vid], new_loc[vid]] = 0.0
        return m

    for mode in problem.travel_time_s:
        mats[mode] = copy(mode, set())
    vehicles = []
    for k in problem.vehicles:
        shift = _shift_of(model, k.vehicle_id)
        own = {vid for vid, rid in pins.items() if rid == shift}
        if own:
            mode = f"{k.mode}+locks:{shift}"
            if mode not in mats:
                mats[mode] = copy(k.mode, own)
            k = dataclasses.replace(k, mode=mode)
        vehicles.append(k)
    visits = tuple(
        dataclasses.replace(v, location=new_loc[v.visit_id]) if v.visit_id in pins else v
        for v in problem.visits
    )
    labels = (*model.location_ids, *(f"{vid} (locked)" for vid in order))
    problem = dataclasses.replace(
        problem,
        visits=visits,
        vehicles=tuple(vehicles),
        travel_time_s=mats,
        location_labels=labels if problem.location_labels else (),
    )
    return dataclasses.replace(model, problem=problem, location_ids=labels)


def _warm_start(model: PlanningModel, redo: Sequence[PlanRoute], pins: dict[str, str]) -> Solution:
    """The earlier plan's re-planned routes as a start for the solver (ids matched)."""
    renamed = {vid.removesuffix(LOCKED_SUFFIX): vid for vid in pins if vid.endswith(LOCKED_SUFFIX)}
    by_shift: dict[str, list[str]] = {}
    for vehicle_id in (k.vehicle_id for k in model.problem.vehicles):
        by_shift.setdefault(_shift_of(model, vehicle_id), []).append(vehicle_id)
    routes: list[Route] = []
    for r in redo:
        legs = sorted(by_shift.get(r.route_id, []))
        if not legs:
            continue  # not bought again (an unavailable unit)
        brk = model.breaks.get(r.route_id)
        stops: dict[str, list[Stop]] = {vid: [] for vid in legs}
        for s in r.stops:
            at = seconds_from(model.week_start, s.start)
            leg = legs[-1] if brk is not None and at >= brk.start_s else legs[0]
            vid = renamed.get(s.visit_id, s.visit_id)
            stops[leg].append(Stop(vid, at, at, at + s.dwell_s))
        routes.extend(Route(leg, tuple(stops[leg]), 0.0, 0.0) for leg in legs)
    return Solution(
        problem_name=model.problem.name,
        seed=0,
        routes=tuple(routes),
        unserved=(),
        total_prize=0.0,
        travel_s=0.0,
        solve_time_s=0.0,
        status="ok",
    )


# long function: the whole re-plan, step by step as the module docstring tells it
def replan(
    config: ForceConfig,
    *,
    previous_plan: str | Path,
    cutoff: str | dt.datetime,
    cache_dir: str | Path,
    extra_sites: Sequence[str | Path] = (),
    unavailable: str | Path | None = None,
    locks: str | Path | None = None,
    stop: StoppingCriterion | None = None,
    seed: int | None = None,
    progress: Callable[[float, float], None] | None = None,
) -> ReplanResult:
    """Re-plan the week of ``previous_plan`` from ``cutoff`` (see the module docstring).

    Parameters
    ----------
    config
        The force configuration the plan was made with.
    previous_plan
        The earlier ``plan.json``.
    cutoff
        ``--from``: an ISO 8601 time (Europe/London if it has no offset) or an aware datetime.
    cache_dir
        Network cache folder.
    extra_sites
        More site files, added to the config's (a protest announced mid-week, say).
    unavailable, locks
        ``unavailable.csv`` and ``locks.csv`` (see :func:`read_unavailable`, :func:`read_locks`).
    stop, seed, progress
        As for :func:`~planner.planning.week.make_plan`.

    Raises
    ------
    InputError
        The plan cannot be read or is another force's or week's; ``cutoff`` is outside its
        week; a bad locks or unavailability row; a lock on an unavailable unit-shift.
    """
    previous = read_plan_json(previous_plan)
    if previous.force != config.name or previous.week != config.week.label:
        field = "force" if previous.force != config.name else "week"
        raise InputError(
            f"is {previous.force}'s plan for {previous.week}; the config plans "
            f"{config.name}'s {config.week.label}: give that plan",
            path=previous_plan,
            field=field,
        )
    if isinstance(cutoff, dt.datetime):
        cut = parse_cutoff(cutoff.isoformat(), previous)
    else:
        cut = parse_cutoff(cutoff, previous)
    off = read_unavailable(unavailable, config, previous) if unavailable is not None else []
    lock_rows = read_locks(locks, previous) if locks is not None else []
    split = split_plan(previous, cut, lock_rows)
    for lock in lock_rows:
        key = (lock.unit_id, lock.day, lock.shift)
        shift = next((r for r in split.redo if (r.unit_id, r.day, r.shift) == key), None)
        if shift is not None and any(u.covers(as_shift(shift)) for u in off):
            rid = shift.route_id
            raise InputError(
                f"locks a visit of {rid}, but {unavailable} lists that unit-shift as "
                "unavailable; remove the lock or the unavailability",
                path=locks,
                row=lock.row,
                field="unit",
            )
    full_config = with_extra_sites(config, extra_sites)
    inputs = prepare_week(full_config, cache_dir=cache_dir)
    remaining, done, past, pins = _remaining_inputs(inputs, split, cut, off, previous)
    stop = stop if stop is not None else stop_from(config)
    used_seed = week_seed(seed if seed is not None else config.solver.seed, config.week.label)
    model = _unhold(build_model(remaining))
    model = _keep_gaps(_hold_times(model, split.redo), split.kept)
    model = _lock_to_units(model, {**_held_units(model, split.redo), **pins})
    warm = _warm_start(model, split.redo, pins)
    model, solution = _solve_keeping(model, split.redo, stop, used_seed, progress, warm)
    part = plan_from_solution(model, solution, stop=stop)
    assert_breaks_valid(model, part)
    asked = model.inputs.demand.visits
    ids = {r.visit_id for r in asked}
    assert_rules_valid(
        part,
        asked,
        [r for r in model.requirements if r.visit_id not in ids],
        overtime_max_min=model.inputs.config.demand.post_overtime_min,
    )

    routes = tuple(sorted((*split.kept, *part.routes), key=lambda r: (r.shift_start, r.unit_id)))
    missed = {u.visit_id for u in part.unserved}
    unserved = (*part.unserved, *(u for u in past if u.visit_id not in missed))
    res = remaining.resources
    # Idle shifts started before the cut-off are spent (paid); the re-planned part's own idle
    # ones are bought but not spent, as in any plan (bought less used).
    idle_spent_h = sum(i.paid_officer_hours for i in split.idle_spent)
    budget = {
        "pounds_per_week": config.budget.pounds_per_week,
        "cost_per_officer_hour": config.budget.cost_per_officer_hour,
        "funded_officer_hours": round(
            config.budget.pounds_per_week / config.budget.cost_per_officer_hour, 4
        ),
        "used_officer_hours": round(sum(r.paid_officer_hours for r in routes) + idle_spent_h, 4),
        "bought_officer_hours": round(split.spent_officer_hours + res.used_officer_hours, 4),
    }
    merged = dataclasses.replace(
        part,
        routes=routes,
        unserved=unserved,
        budget=budget,
        idle_shifts=(*split.idle_spent, *part.idle_shifts),
    )
    extra_ids = {sid for p in extra_sites for sid in read_site_points(p).site_id}
    found = changes(previous, merged, split, cut, off, extra_ids)
    redo_n = sum(len(r.stops) for r in split.redo)
    same = sum(
        c.change == "kept" and c.old_route in {r.route_id for r in split.redo} for c in found
    )
    merged = dataclasses.replace(
        merged,
        replan=Replan(
            previous_plan=str(previous_plan),
            cutoff=cut,
            kept_routes=len(split.kept),
            locked_visits=len(split.locked),
            unchanged_share=round(same / redo_n, 4) if redo_n else None,
        ),
    )
    # The kept visits' requirements too, so the run's posts table shows the whole week.
    model = dataclasses.replace(model, requirements=(*model.requirements, *done))
    return ReplanResult(
        result=PlanResult(plan=merged, model=model, solution=solution),
        previous=previous,
        changes=tuple(found),
    )
