"""The force planner's main job: from a force config to a validated weekly plan.

network -> demand -> resources -> routing problem -> solve -> validate -> :class:`Plan`.

The seed used is the config's seed mixed with the ISO week, so different weeks give different
plans from the same config while any week is reproducible; the plan records it. With last
week's plan, visit times at each site are kept away from last week's (see
:mod:`planner.planning.model`), and the harm-weighted demand this costs is measured by solving the
week a second time without that rule.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from planner.config import MP_KINDS, ForceConfig
from planner.demand.control import control_choice
from planner.demand.resources import UnitShift
from planner.demand.weekly import Reject
from planner.errors import InfeasibleError, InputError
from planner.planning.break_check import assert_breaks_valid
from planner.planning.breaks import drop_repeats, merge_legs, retime
from planner.planning.miss_reasons import idle_reasons, missed_visits, unserved_reasons
from planner.planning.model import (
    DEFAULT_AVOID_MIN,
    PlanningModel,
    build_model,
    check_avoid_min,
)
from planner.planning.overtime import drop_overtime_work
from planner.planning.pipeline import WeekInputs, prepare_week, rebuy
from planner.planning.plan import (
    IdleShift,
    Plan,
    PlanRoute,
    PlanStop,
    RejectedSite,
    Unpredictability,
    UnservedVisit,
    read_plan_json,
    week_label,
    week_monday,
)
from planner.planning.rule_check import assert_rules_valid
from planner.planning.steer import dose_rank, on_site_s, steered_inputs
from planner.planning.time_use import overtime_s
from planner.routing.problem import RoutingProblem
from planner.routing.solver import (
    MaxIterations,
    MaxRuntime,
    Solution,
    StoppingCriterion,
    solve,
)
from planner.routing.validate import assert_valid

log = logging.getLogger(__name__)


def stop_from(
    config: ForceConfig, time_limit_s: float | None = None, iterations: int | None = None
) -> StoppingCriterion:
    """The search's stopping criterion, from the command line's options or else the config.

    ``--time-limit T`` gives ``MaxRuntime(T)``, ``--iterations N`` ``MaxIterations(N)``, both
    whichever comes first.  Neither: the config's ``iterations`` if set (with its
    ``time_limit_s`` as well, if the file sets that explicitly), else its ``time_limit_s``.
    """
    if time_limit_s is not None and iterations is not None:
        return MaxIterations(iterations) | MaxRuntime(time_limit_s)
    if iterations is not None:
        return MaxIterations(iterations)
    if time_limit_s is not None:
        return MaxRuntime(time_limit_s)
    solver = config.solver
    if solver.iterations is None:
        return MaxRuntime(solver.time_limit_s)
    if "time_limit_s" in solver.model_fields_set:
        return MaxIterations(solver.iterations) | MaxRuntime(solver.time_limit_s)
    return MaxIterations(solver.iterations)


def week_seed(seed: int, week_label: str) -> int:
    """The seed for one week: stable for the week, different between weeks."""
    digest = hashlib.sha256(f"{seed}:{week_label}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


@dataclass(frozen=True, eq=False)
class PlanResult:
    """A plan with what it was made from (for writers and maps)."""

    plan: Plan
    model: PlanningModel
    solution: Solution

    @property
    def inputs(self) -> WeekInputs:
        """The week's inputs."""
        return self.model.inputs

    def summary(self) -> str:
        """The plan's headline figures."""
        return self.plan.summary()


def make_plan(
    config: ForceConfig,
    *,
    cache_dir: str | Path,
    previous_plan: str | Path | None = None,
    avoid_min: float = DEFAULT_AVOID_MIN,
    stop: StoppingCriterion | None = None,
    seed: int | None = None,
    progress: Callable[[float, float], None] | None = None,
    inputs: WeekInputs | None = None,
) -> PlanResult:
    """Plan the week for one force.

    Parameters
    ----------
    config
        The force configuration.
    cache_dir
        Network cache folder.
    previous_plan
        Last week's ``plan.json``: keep this week's visit times away from its times.  A plan
        of an earlier week than last week's is used with a logged warning, recorded in the
        plan's ``unpredictability``.
    avoid_min
        How far, in minutes.
    stop
        When the search ends [default: the config's, :func:`stop_from`].  Each solve gets
        this criterion: with a previous plan the week is solved twice, and it may be solved
        again to buy a relief (:func:`_relieve`), spend the money of idle unit-shifts
        (:func:`_redeploy`) or steer hot-spot doses towards harm (:func:`_steer`).
    seed
        Override the config's seed.
    progress
        Called as ``progress(elapsed_s, best_prize)`` during the solve.
    inputs
        Already prepared inputs (saves re-reading them).

    Raises
    ------
    InputError
        ``avoid_min`` not a finite number of minutes in ``[0, one week]``; a previous plan
        that cannot be read (:func:`~planner.planning.plan.read_plan_json`), is another
        force's, or is for this week or a later one.
    InfeasibleError
        A required visit no unit-shift can make, named with why.
    InvalidPlanError
        Never expected: the independent validator rejected the solver's plan.
    """
    avoid_min = check_avoid_min(avoid_min)
    # Read and check last week's plan before the slow part, so a wrong file fails at once.
    previous = read_plan_json(previous_plan) if previous_plan is not None else None
    warning = None
    if previous is not None and previous_plan is not None:
        warning = check_previous_plan(previous, config, previous_plan)
    inputs = inputs or prepare_week(config, cache_dir=cache_dir)
    required = [v.visit_id for v in inputs.demand.visits if v.required]
    res = inputs.resources
    if required and not res.selected:
        cheapest = min((c.officer_hours for c in res.candidates), default=0.0)
        raise InfeasibleError(
            f"required visits {', '.join(required[:10])} cannot be made: the budget buys "
            f"{res.funded_officer_hours:.1f} officer-hours and the cheapest unit-shift costs "
            f"{cheapest:g}; raise pounds_per_week or make these visits optional"
        )
    stop = stop if stop is not None else stop_from(config)
    used_seed = week_seed(seed if seed is not None else config.solver.seed, config.week.label)

    unpredictability = None
    if previous is not None:
        _, free_solution = solve_model(build_model(inputs), stop, used_seed, progress)
        visits_before = previous.previous_visits()

        def build(week: WeekInputs) -> PlanningModel:
            return build_model(week, previous_visits=visits_before, avoid_min=avoid_min)

        model, solution = solve_model(build(inputs), stop, used_seed, progress)
        # The cost of keeping away compares two solves of the same unit-shifts: taken before
        # relief or redeployment buy others.
        prize_with = solution.total_prize
        resolve = Resolver(stop, used_seed, progress, build)
        model, solution = _relieve(model, solution, resolve)
        model, solution = _redeploy(model, solution, resolve)
        model, solution = _steer(model, solution, resolve)
        unpredictability = Unpredictability(
            avoid_min=avoid_min,
            previous_plan=str(previous_plan),
            sites_constrained=len(model.avoided),
            prize_without=free_solution.total_prize,
            prize_with=prize_with,
            previous_week=previous.week,
            warning=warning,
        )
    else:
        model, solution = solve_model(build_model(inputs), stop, used_seed, progress)
        resolve = Resolver(stop, used_seed, progress)
        model, solution = _relieve(model, solution, resolve)
        model, solution = _redeploy(model, solution, resolve)
        model, solution = _steer(model, solution, resolve)
    plan = plan_from_solution(model, solution, stop=stop, unpredictability=unpredictability)
    # The break rules, checked on the plan itself by code that shares nothing with the solver.
    assert_breaks_valid(model, plan)
    # And the demand's rules (windows, posts, drive-pasts, gaps, nothing lost), the same way.
    demanded = model.inputs.demand.visits
    asked = {r.visit_id for r in demanded}
    assert_rules_valid(
        plan,
        demanded,
        [r for r in model.requirements if r.visit_id not in asked],
        overtime_max_min=inputs.config.demand.post_overtime_min,
    )
    return PlanResult(plan=plan, model=model, solution=solution)


def check_previous_plan(previous: Plan, config: ForceConfig, path: str | Path) -> str | None:
    """Check that ``previous`` can be the plan this week keeps away from.

    Returns
    -------
    str or None
        A warning (also logged) when it is an earlier week's plan but not last week's: its
        times are kept away from all the same, as the user asked.

    Raises
    ------
    InputError
        Naming the file and field: another force's plan, or a plan for this week or a later one.
    """
    week = config.week.label
    if previous.force != config.name:
        raise InputError(
            f"is a plan for force {previous.force!r}, not {config.name!r}; give "
            f"{config.name}'s plan for the week before {week}",
            path=path,
            field="force",
        )
    last = week_label(week_monday(week) - dt.timedelta(days=7))
    if week_monday(previous.week) >= week_monday(week):
        later = "the week being planned" if previous.week == week else "a later week"
        raise InputError(
            f"is the plan for {previous.week}, {later}; give the plan of the week before "
            f"{week} ({last})",
            path=path,
            field="week",
        )
    if previous.week == last:
        return None
    warning = (
        f"the previous plan {path} is for {previous.week}, not last week ({last}); "
        f"{week}'s visit times are kept away from {previous.week}'s"
    )
    log.warning("%s", warning)
    return warning


def _solve(
    problem: RoutingProblem,
    stop: StoppingCriterion,
    seed: int,
    progress: Callable[[float, float], None] | None,
    previous: Solution | None = None,
) -> Solution:
    solution = solve(problem, stop=stop, seed=seed, progress=progress, previous=previous)
    # The solver validates too; this second check is the pipeline's own guarantee.
    assert_valid(problem, solution)
    log.info("%s", solution.summary())
    return solution


def solve_exactly(
    model: PlanningModel,
    stop: StoppingCriterion,
    seed: int,
    progress: Callable[[float, float], None] | None,
    previous: Solution | None = None,
) -> Solution:
    """Solve with every required visit made, or raise :class:`InfeasibleError` (no demotion)."""
    return _finish(model, _solve(model.problem, stop, seed, progress, previous))


#: Times the week is re-solved after required visits that cannot all be made together are
#: reported as missed; each round only demotes visits the search could not fit.
MAX_DEMOTIONS = 3


def solve_model(
    model: PlanningModel,
    stop: StoppingCriterion,
    seed: int,
    progress: Callable[[float, float], None] | None,
    previous: Solution | None = None,
) -> tuple[PlanningModel, Solution]:
    """Solve, and if some required visits cannot all be made together, report them and go on.

    Each required visit was checked on its own when the model was built; here the deployed
    unit-shifts cannot make several of them together (a post held through every unit's
    refreshment break, say). A plan for the rest of the week is worth more to a force than
    none, so those visits become missed required visits, with the reason, and the week is
    solved again.  ``previous`` warm-starts every solve (``planner replan``).
    """
    for _ in range(MAX_DEMOTIONS):
        try:
            return model, _finish(model, _solve(model.problem, stop, seed, progress, previous))
        except InfeasibleError as exc:
            if not exc.visit_ids:
                raise
            model = _demote(model, exc.visit_ids)
    return model, _finish(model, _solve(model.problem, stop, seed, progress, previous))


@dataclass(frozen=True)
class Resolver:
    """Solves a week bought again or steered the way the first solve went.

    ``build`` makes its model (keeping away from last week's times when the week was planned
    with a previous plan).
    """

    stop: StoppingCriterion
    seed: int
    progress: Callable[[float, float], None] | None
    build: Callable[[WeekInputs], PlanningModel] = build_model

    def __call__(self, inputs: WeekInputs) -> tuple[PlanningModel, Solution]:
        """The model of ``inputs`` and its solution."""
        return solve_model(self.build(inputs), self.stop, self.seed, self.progress)


def _idle_shifts(model: PlanningModel, solution: Solution) -> frozenset[str]:
    """Bought unit-shifts the solution gives no visit (over both legs)."""
    used = {
        model.legs[r.vehicle_id].shift_id if r.vehicle_id in model.legs else r.vehicle_id
        for r in solution.routes
        if r.stops
    }
    return frozenset(s.shift_id for s in model.inputs.resources.selected) - used


def _redeploy(
    model: PlanningModel, solution: Solution, resolve: Resolver
) -> tuple[PlanningModel, Solution]:
    """Spend the money of bought unit-shifts the plan left idle on ones it can use, once.

    The new week is kept only if it covers at least as much harm-weighted demand with fewer
    idle unit-shifts; otherwise the idle ones stay and are reported as money not spent.
    """
    idle = _idle_shifts(model, solution)
    if not idle:
        return model, solution
    inputs = rebuy(model.inputs, idle)
    if {s.shift_id for s in inputs.resources.selected} <= (
        {s.shift_id for s in model.inputs.resources.selected} - idle
    ):
        return model, solution  # nothing else worth buying
    log.info("re-planning: %d bought unit-shifts had no route; buying others", len(idle))
    again, again_solution = resolve(inputs)
    better = again_solution.total_prize >= solution.total_prize - 1e-9
    if better and len(_idle_shifts(again, again_solution)) < len(idle):
        return again, again_solution
    return model, solution


def _steer(
    model: PlanningModel, solution: Solution, resolve: Resolver
) -> tuple[PlanningModel, Solution]:
    """Plan the week once more with hot-spot offers steered towards harm (:mod:`.steer`).

    Kept only if the rank correlation of harm and dose rose by :data:`MIN_RANK_GAIN` and the
    steered week misses no more required visits, leaves no more bought unit-shifts idle and
    keeps at least :data:`KEEP_ON_SITE` of the time on site.
    """
    inputs = steered_inputs(model, solution)
    if inputs is None:
        return model, solution
    before = dose_rank(model, solution)
    log.info("re-planning: hot-spot doses out of line with harm (rank correlation %.2f)", before)
    again, again_solution = resolve(inputs)
    after = dose_rank(again, again_solution)
    if (
        after is not None
        and before is not None
        and after >= before + MIN_RANK_GAIN
        and _required_missed(again, again_solution) <= _required_missed(model, solution)
        and len(_idle_shifts(again, again_solution)) <= len(_idle_shifts(model, solution))
        and on_site_s(again, again_solution) >= KEEP_ON_SITE * on_site_s(model, solution)
    ):
        log.info("kept the steered week: rank correlation %.2f -> %.2f", before, after)
        return again, again_solution
    return model, solution


#: Share of the time on site a steered week must keep, and the least rise in the rank
#: correlation of harm and dose worth the time lost (:func:`_steer`).  On the examples a
#: steered week kept 96-98% of the time on site and lifted the City's correlation from
#: 0.70-0.76 to 0.84-0.91.
KEEP_ON_SITE = 0.95
MIN_RANK_GAIN = 0.02


def _required_missed(model: PlanningModel, solution: Solution) -> int:
    """Required visits of the week's demand the solution does not make."""
    required = {v.visit_id for v in model.inputs.demand.visits if v.required}
    return sum(1 for vid in missed_visits(model, solution) if vid in required)


def _relieve(
    model: PlanningModel, solution: Solution, resolve: Resolver
) -> tuple[PlanningModel, Solution]:
    """Buy a second unit-shift for the required visits the plan misses, once.

    A post held through a unit's refreshment break, or beside a surgery at the same hour,
    needs a relief: the week is bought again with a second unit-shift through each missed
    required visit's windows (before any optional work is bought, so the money goes there
    first), and kept if it misses fewer required visits. A visit no unit-shift can make
    buys nothing, and the week stays as it was.
    """
    required = {v.visit_id for v in model.inputs.demand.visits if v.required}
    missed = [vid for vid in missed_visits(model, solution) if vid in required]
    if not missed:
        return model, solution
    inputs = rebuy(model.inputs, relief=missed)
    if {s.shift_id for s in inputs.resources.selected} == {
        s.shift_id for s in model.inputs.resources.selected
    }:
        return model, solution  # no unit-shift to relieve them with, or no money for one
    log.info("re-planning: buying relief for %d required visits", len(missed))
    again, again_solution = resolve(inputs)
    if _required_missed(again, again_solution) < _required_missed(model, solution):
        return again, again_solution
    return model, solution


#: The start of the reason given to required visits the deployed units cannot make together.
TOGETHER = "not made together with the other required visits"


def _demote(model: PlanningModel, visit_ids: Sequence[str]) -> PlanningModel:
    """``model`` with ``visit_ids`` made optional and recorded as unservable together."""
    ids = set(visit_ids)
    why = (
        f"{TOGETHER}: the search found no plan in "
        "which the deployed unit-shifts make all of them (each is reachable on its own, but "
        "shifts, refreshment breaks and the sites' gaps clash); deploy another unit-shift over "
        "its window"
    )
    for vid in sorted(ids):
        log.warning("required visit %s cannot be made: %s", vid, why)
    visits = tuple(
        dataclasses.replace(v, required=False) if v.visit_id in ids else v
        for v in model.problem.visits
    )
    return dataclasses.replace(
        model,
        problem=dataclasses.replace(model.problem, visits=visits),
        unservable={**model.unservable, **dict.fromkeys(sorted(ids), why)},
    )


def _finish(model: PlanningModel, solution: Solution) -> Solution:
    """The solved legs made into what the plan shows, and validated again.

    Visits beyond a site's per-route limit over a unit-shift's two legs together are dropped
    (:func:`~planner.planning.breaks.drop_repeats`), and every route leaves as late as its
    service starts allow (:func:`~planner.planning.breaks.retime`), so a unit waits at the
    station or the site it has just served, not outside the next one.  Overtime goes only to
    holding a post (:func:`~planner.planning.overtime.drop_overtime_work`).
    """
    posts = {r.visit_id for r in model.requirements if r.presence == "post"}
    solution = drop_overtime_work(model.problem, solution, model.rota_end_s(), posts)
    finished = retime(model.problem, drop_repeats(model.problem, solution, model.legs))
    assert_valid(model.problem, finished)
    return finished


def plan_from_solution(
    model: PlanningModel,
    solution: Solution,
    *,
    stop: StoppingCriterion,
    unpredictability: Unpredictability | None = None,
) -> Plan:
    """Turn a validated solution into the plan people read."""
    inputs = model.inputs
    cfg = inputs.config
    problem = model.problem
    visits = {v.visit_id: v for v in problem.visits}
    reqs = {r.visit_id: r for r in model.requirements or inputs.demand.visits}
    sites = {s.site_id: s for s in inputs.demand.sites}
    shifts = {s.shift_id: s for s in inputs.resources.selected}
    routes = []
    # One route per unit-shift: its legs either side of the refreshment break joined.
    for route in merge_legs(solution, model.legs, model.breaks):
        if not route.stops:
            continue
        shift = shifts[route.vehicle_id]
        stops = []
        prev_departure = route.leave_s
        for order, visit_stop in enumerate(route.stops, start=1):
            # A leg's first stop is travelled to from the station, leaving at the leg's leave.
            prev_departure = route.leaves.get(visit_stop.visit_id, prev_departure)
            req = reqs[visit_stop.visit_id]
            site = sites[req.site_id]
            stops.append(
                PlanStop(
                    order=order,
                    visit_id=visit_stop.visit_id,
                    site_id=site.site_id,
                    name=site.name,
                    kind=site.kind,
                    risk=site.risk,
                    restricted=site.restricted,
                    arrival=model.to_time(visit_stop.arrival_s),
                    start=model.to_time(visit_stop.start_s),
                    # The end of service: a wait for the next window is spent here after it.
                    departure=model.to_time(
                        visit_stop.start_s + visits[visit_stop.visit_id].service_s
                    ),
                    travel_s=visit_stop.arrival_s - prev_departure,
                    dwell_s=visits[visit_stop.visit_id].service_s,
                    prize=visits[visit_stop.visit_id].prize,
                    notes=site.notes,
                    x_m=site.x_m,
                    y_m=site.y_m,
                    window=req.window,
                    presence=req.presence,
                    police_contact=site.police_contact,
                )
            )
            prev_departure = visit_stop.departure_s
        routes.append(
            PlanRoute(
                route_id=shift.shift_id,
                unit_id=shift.unit_id,
                mode=shift.mode,
                officers=shift.officers,
                station_id=shift.station_id,
                day=shift.day,
                shift=shift.shift,
                shift_start=shift.start,
                shift_end=shift.end,
                leave=model.to_time(route.leave_s),
                return_=model.to_time(route.return_s),
                # Overtime holding a post over the shift's end is paid on top.
                paid_officer_hours=shift.officer_hours
                + shift.officers * overtime_s(shift.end, model.to_time(route.return_s)) / 3600,
                stops=tuple(stops),
                break_start=_time_or_none(model, route.brk.start_s if route.brk else None),
                break_end=_time_or_none(model, route.brk.end_s if route.brk else None),
                break_return=_time_or_none(model, route.break_return_s),
                break_leave=_time_or_none(model, route.break_leave_s),
            )
        )
    reasons = unserved_reasons(model, solution)
    unserved = tuple(
        UnservedVisit(
            visit_id=vid,
            site_id=reqs[vid].site_id,
            kind=reqs[vid].kind,
            required=reqs[vid].required,
            prize=reqs[vid].prize,
            reason=reasons[vid],
        )
        for vid in missed_visits(model, solution)
    )
    res = inputs.resources
    overtime_h = sum(r.overtime_officer_hours for r in routes)
    return Plan(
        force=cfg.name,
        week=cfg.week.label,
        week_start=model.week_start,
        protective_marking=cfg.protective_marking,
        contains_mp_premises=any(s.is_mp_premises for s in inputs.demand.sites),
        seed=solution.seed,
        solver=_solver_record(solution, stop),
        budget={
            "pounds_per_week": res.pounds_per_week,
            "cost_per_officer_hour": res.cost_per_officer_hour,
            "funded_officer_hours": round(res.funded_officer_hours, 4),
            "used_officer_hours": round(sum(r.paid_officer_hours for r in routes), 4),
            # Bought but given no route: paid for nothing, so counted as not spent.
            "bought_officer_hours": round(res.used_officer_hours + overtime_h, 4),
        },
        routes=tuple(sorted(routes, key=lambda r: (r.shift_start, r.unit_id))),
        unserved=unserved,
        unpredictability=unpredictability,
        rejected=tuple(_rejected_site(r) for r in inputs.demand.rejects),
        evaluation=control_choice(cfg, [h.site_id for h in inputs.hotspot_demand]),
        idle_shifts=unrouted_shifts(res.selected, routes, idle_reasons(model, solution)),
    )


def unrouted_shifts(
    selected: Sequence[UnitShift],
    routes: Sequence[PlanRoute],
    reasons: Mapping[str, str] | None = None,
) -> tuple[IdleShift, ...]:
    """The bought unit-shifts given no route, in time order (``plan.json``'s ``idle_shifts``).

    ``reasons`` says why, by shift id (:func:`~planner.planning.miss_reasons.idle_reasons`).
    """
    reasons = reasons or {}
    routed = {r.route_id for r in routes}
    return tuple(
        IdleShift(
            shift_id=s.shift_id,
            unit_id=s.unit_id,
            mode=s.mode,
            officers=s.officers,
            station_id=s.station_id,
            day=s.day,
            shift=s.shift,
            shift_start=s.start,
            shift_end=s.end,
            paid_officer_hours=s.officer_hours,
            reason=reasons.get(s.shift_id, ""),
        )
        for s in sorted(selected, key=lambda s: (s.start, s.unit_id))
        if s.shift_id not in routed
    )


def _rejected_site(r: Reject) -> RejectedSite:
    """A demand reject as the plan records it."""
    return RejectedSite(
        source=r.source,
        site_id=r.record_id,
        kind=r.kind,
        stage=r.stage,
        reason=r.reason,
        required_visits=r.required_visits,
        mp_premises=r.kind in MP_KINDS,
    )


def _time_or_none(model: PlanningModel, seconds: float | None) -> dt.datetime | None:
    return None if seconds is None else model.to_time(seconds)


def _solver_record(solution: Solution, stop: StoppingCriterion) -> dict[str, object]:
    """plan.json's ``solver`` section: how the search was stopped and how it ended."""
    return {
        "time_limit_s": stop.runtime_limit_s(),
        "stop": repr(stop),
        "stopped_by": solution.stopped_by,
        "iterations": solution.iterations,
        "solve_time_s": round(solution.solve_time_s, 3),
        "status": solution.status,
    }
