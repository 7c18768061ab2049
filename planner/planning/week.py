"""The force planner's main job: from a force config to a validated weekly plan.

network -> demand -> resources -> routing problem -> solve -> validate -> :class:`Plan`.

The seed used is the config's seed mixed with the ISO week, so different weeks give different
plans from the same config while any week is reproducible; the plan records it. With last
week's plan, visit times at each site are kept away from last week's (see
:mod:`planner.planning.model`), and the harm-weighted demand this costs is measured by solving the
week a second time without that rule.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planner.config import ForceConfig
from planner.errors import InfeasibleError, InputError
from planner.planning.model import (
    DEFAULT_AVOID_MIN,
    PlanningModel,
    build_model,
    check_avoid_min,
    seconds_from,
)
from planner.planning.pipeline import WeekInputs, prepare_week
from planner.planning.plan import (
    Plan,
    PlanRoute,
    PlanStop,
    Unpredictability,
    UnservedVisit,
    read_plan_json,
    week_label,
    week_monday,
)
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
        When the search ends [default: the config's, :func:`stop_from`].  With a previous
        plan the week is solved twice, each solve with this criterion.
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
        free = build_model(inputs)
        free_solution = _solve(free.problem, stop, used_seed, progress)
        model = build_model(inputs, previous_visits=previous.previous_visits(), avoid_min=avoid_min)
        solution = _solve(model.problem, stop, used_seed, progress)
        unpredictability = Unpredictability(
            avoid_min=avoid_min,
            previous_plan=str(previous_plan),
            sites_constrained=len(model.avoided),
            prize_without=free_solution.total_prize,
            prize_with=solution.total_prize,
            previous_week=previous.week,
            warning=warning,
        )
    else:
        model = build_model(inputs)
        solution = _solve(model.problem, stop, used_seed, progress)
    plan = plan_from_solution(model, solution, stop=stop, unpredictability=unpredictability)
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
) -> Solution:
    solution = solve(problem, stop=stop, seed=seed, progress=progress)
    # The solver validates too; this second check is the pipeline's own guarantee.
    assert_valid(problem, solution)
    log.info("%s", solution.summary())
    return solution


def _reachable(
    problem: RoutingProblem,
    visit_index: int,
    vehicles: list[tuple[str, int, float, float]],
) -> bool:
    """Whether any (mode, depot, earliest_s, latest_s) can serve the visit alone."""
    v = problem.visits[visit_index]
    for mode, depot, early, late in vehicles:
        tt = problem.travel_time_s.get(mode)
        if tt is None:
            continue
        out, back = tt[depot, v.location], tt[v.location, depot]
        if not (np.isfinite(out) and np.isfinite(back)):
            continue
        for open_s, close_s in v.windows:
            start = max(open_s, early + out)
            if start <= close_s and start + v.service_s + back <= late:
                return True
    return False


def _unserved_reasons(model: PlanningModel, solution: Solution) -> dict[str, str]:
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
    reasons = {}
    for vid in solution.unserved:
        i = index[vid]
        visit = problem.visits[i]
        if not visit.windows:
            reasons[vid] = (
                "window unreachable: no time is left in its windows after keeping away from last week's visit times"
            )
        elif _reachable(problem, i, funded):
            reasons[vid] = (
                "lower priority than what was chosen: the funded unit-shifts were used for higher-value visits"
            )
        elif _reachable(problem, i, unfunded):
            reasons[vid] = (
                "no budget left: only unit-shifts the budget does not fund could reach it in its windows"
            )
        else:
            reasons[vid] = (
                "window unreachable: no unit-shift can get there and back within its windows"
            )
    return reasons


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
    reqs = {r.visit_id: r for r in inputs.demand.visits}
    sites = {s.site_id: s for s in inputs.demand.sites}
    shifts = {s.shift_id: s for s in inputs.resources.selected}
    routes = []
    for route in solution.routes:
        if not route.stops:
            continue
        shift = shifts[route.vehicle_id]
        stops = []
        prev_departure = route.leave_s
        for order, visit_stop in enumerate(route.stops, start=1):
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
                    departure=model.to_time(visit_stop.departure_s),
                    travel_s=visit_stop.arrival_s - prev_departure,
                    dwell_s=visits[visit_stop.visit_id].service_s,
                    prize=visits[visit_stop.visit_id].prize,
                    notes=site.notes,
                    x_m=site.x_m,
                    y_m=site.y_m,
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
                paid_officer_hours=shift.officer_hours,
                stops=tuple(stops),
            )
        )
    reasons = _unserved_reasons(model, solution)
    unserved = tuple(
        UnservedVisit(
            visit_id=vid,
            site_id=reqs[vid].site_id,
            kind=reqs[vid].kind,
            required=reqs[vid].required,
            prize=reqs[vid].prize,
            reason=reasons[vid],
        )
        for vid in solution.unserved
    )
    res = inputs.resources
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
        },
        routes=tuple(sorted(routes, key=lambda r: (r.shift_start, r.unit_id))),
        unserved=unserved,
        unpredictability=unpredictability,
    )


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
