"""Before the search: check the problem, turn it into solver integers, name what cannot work."""

from __future__ import annotations

import math

from planner.errors import InfeasibleError, InputError
from planner.routing.problem import RoutingProblem
from planner.routing.solver.instance import Instance, integerise
from planner.routing.solver.solution import Route, Solution


def prepare(
    problem: RoutingProblem, strategy: str, seed: int, stop: str = ""
) -> Instance | Solution:
    """The problem in solver integers, or the empty solution when there is nothing to plan.

    Raises
    ------
    InputError
        Not a :class:`RoutingProblem`, or a malformed one.
    InfeasibleError
        A required visit no vehicle can serve on its own (or there are no vehicles).
    """
    if not isinstance(problem, RoutingProblem):
        raise InputError("solve() needs a RoutingProblem")
    problem.validate_structure()
    if not problem.vehicles or not problem.visits:
        if any(v.required for v in problem.visits):
            req = [v.visit_id for v in problem.visits if v.required]
            raise InfeasibleError(
                f"required visits {req[:5]} cannot be served: the problem has no vehicles"
            )
        return empty_solution(problem, seed, strategy, stop)
    inst = integerise(problem)
    check_required_reachable(problem, inst)
    return inst


def empty_solution(problem: RoutingProblem, seed: int, strategy: str, stop: str = "") -> Solution:
    """Every visit unserved, every vehicle idle (status ``"empty"``)."""
    routes = tuple(
        Route(k.vehicle_id, (), k.earliest_start_s, k.earliest_start_s) for k in problem.vehicles
    )
    return Solution(
        problem_name=problem.name,
        seed=seed,
        routes=routes,
        unserved=tuple(v.visit_id for v in problem.visits),
        total_prize=0.0,
        travel_s=0.0,
        solve_time_s=0.0,
        status="empty",
        strategy=strategy,
        stop=stop,
    )


def check_required_reachable(problem: RoutingProblem, inst: Instance) -> None:
    """Raise InfeasibleError naming each required visit no vehicle can serve on its own."""
    bad = [u for u in range(inst.n) if inst.required[u] and not inst.allowed[u].any()]
    if not bad:
        return
    lines = []
    for u in bad:
        v = problem.visits[u]
        wins = ", ".join(f"{_hm(a)}-{_hm(b)}" for a, b in v.windows)
        parts = []
        for k in problem.vehicles:
            mat = problem.travel_time_s[k.mode]
            out = mat[k.start_location, v.location]
            back = mat[v.location, k.end_location]
            if not (math.isfinite(out) and math.isfinite(back)):
                parts.append(f"{k.vehicle_id} ({k.mode}): no {k.mode} route to or from it")
                continue
            arrive = k.earliest_start_s + out
            start = None
            for a, b in v.windows:
                if arrive <= b:
                    start = max(arrive, a)
                    break
            if start is None:
                parts.append(
                    f"{k.vehicle_id} ({k.mode}): earliest arrival {_hm(arrive)} "
                    f"({out / 60:.0f} min from its station) is after the last window closes"
                )
            else:
                parts.append(
                    f"{k.vehicle_id} ({k.mode}): earliest start {_hm(start)}, back at its "
                    f"station {_hm(start + v.service_s + back)} but the shift ends "
                    f"{_hm(k.latest_end_s)} (max duration {k.max_duration_s / 3600:.2f} h)"
                )
        shown = "; ".join(parts[:6]) + ("; ..." if len(parts) > 6 else "")
        lines.append(
            f"required visit {v.visit_id!r} (windows {wins}) cannot be served by any unit-shift: "
            f"{shown or 'there are no vehicles'}"
        )
    raise InfeasibleError(". ".join(lines))


def _hm(t: float) -> str:
    sign = "-" if t < 0 else ""
    t = abs(t)
    d, rem = divmod(round(t), 86400)
    h, rem = divmod(rem, 3600)
    return f"{sign}{f'd{d} ' if d else ''}{h:02d}:{rem // 60:02d}"
