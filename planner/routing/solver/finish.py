"""After the search: check required visits, turn the state into a :class:`Solution`, validate."""

from __future__ import annotations

from planner.errors import InfeasibleError, PlannerError
from planner.routing.problem import RoutingProblem
from planner.routing.solver.scaling import TIME_SCALE
from planner.routing.solver.solution import Route, Solution, Stop
from planner.routing.solver.state import State
from planner.routing.validate import validate


def check_required_served(problem: RoutingProblem, st: State) -> None:
    """Raise InfeasibleError naming the required visits the plan leaves out."""
    miss = [
        problem.visits[u].visit_id
        for u in range(st.inst.n)
        if st.inst.required[u] and st.route_of[u] < 0
    ]
    if miss:
        error = InfeasibleError(
            f"no plan found that serves all required visits; unserved: {miss[:10]} (each can be "
            f"reached on its own, but not together with the other required visits within the "
            f"shifts, groups and budget)"
        )
        error.visit_ids = tuple(miss)
        raise error


def to_solution(
    problem: RoutingProblem,
    st: State,
    *,
    seed: int,
    elapsed: float,
    status: str,
    strategy: str,
    iterations: int,
    stop: str,
    stopped_by: str,
) -> Solution:
    """The plan of ``st`` in float seconds (travel re-summed from the float matrices)."""
    routes = []
    travel = 0.0
    served_ids = set()
    for r, k in enumerate(problem.vehicles):
        mat = problem.travel_time_s[k.mode]
        nodes = st.route(r)
        leave = float(st.dep[r]) / TIME_SCALE
        if not nodes:
            routes.append(Route(k.vehicle_id, (), leave, leave))
            continue
        stops = []
        prev_loc = k.start_location
        prev_dep = leave
        for u in nodes:
            v = problem.visits[u]
            tr = float(mat[prev_loc, v.location])
            travel += tr
            arrival = prev_dep + tr
            start = float(st.start[u]) / TIME_SCALE
            dep = start + v.service_s
            stops.append(Stop(v.visit_id, arrival, start, dep))
            served_ids.add(v.visit_id)
            prev_loc, prev_dep = v.location, dep
        tr = float(mat[prev_loc, k.end_location])
        travel += tr
        routes.append(Route(k.vehicle_id, tuple(stops), leave, prev_dep + tr))
    unserved = tuple(v.visit_id for v in problem.visits if v.visit_id not in served_ids)
    prize = float(sum(v.prize for v in problem.visits if v.visit_id in served_ids))
    return Solution(
        problem_name=problem.name,
        seed=seed,
        routes=tuple(routes),
        unserved=unserved,
        total_prize=prize,
        travel_s=travel,
        solve_time_s=elapsed,
        status=status,
        strategy=strategy,
        iterations=iterations,
        stop=stop,
        stopped_by=stopped_by,
    )


def finish(problem: RoutingProblem, sol: Solution) -> Solution:
    """Validate: never return an invalid plan (that would be a solver bug)."""
    report = validate(problem, sol)
    if not report.ok:
        raise PlannerError(
            "internal error: the solver produced an invalid plan (please report): "
            + "; ".join(report.errors[:5])
        )
    return sol
