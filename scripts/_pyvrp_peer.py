"""PyVRP as a peer solver for the benchmark scripts: a RoutingProblem as a prize-collecting VRPTW.

PyVRP (``pip install -e ".[bench]"``) solves vehicle routing problems with optional clients
that carry prizes.  :func:`solve_pyvrp` gives it a :class:`RoutingProblem` as:

- one PyVRP location per matrix location, one depot per station a vehicle starts or ends at
  (TOP's distinct start and end points are two depots);
- one vehicle type per distinct (mode, start, end, shift) with ``num_available`` vehicles,
  shift window ``[earliest_start_s, latest_end_s]`` and ``shift_duration = max_duration_s``;
  one routing profile per travel mode (distance = duration = travel time);
- one optional client (``required=False`` unless the visit is required) per visit, with the
  visit's prize, service time and start-of-service window; a visit with several windows
  becomes one client per window in a mutually exclusive :class:`pyvrp.ClientGroup` (at most
  one of them is served, or exactly one if the visit is required), which is exact.

What PyVRP cannot express is dropped and returned in ``PyvrpModel.dropped``: same-site group
rules (minimum gap, at most so many per route) and the paid-hours budget.

Times become integers by ``time_scale`` units per second, conservatively: travel, service,
window opens and shift starts round up, window closes, shift ends and durations round down
(values within 1e-6 units of an integer snap to it, so exact decimals stay exact).  A plan
feasible in PyVRP's integers is therefore feasible in the problem's floats.  For the
benchmarks the scale is exact where the convention allows: x10 for Solomon TOPTW (distances
truncated to 1 decimal), x100 for Cordeau pr (2 decimals); TOP's unrounded Euclidean lengths
use x1e4 with rounding up, which can cost PyVRP a plan whose true length is within
``(legs x 1e-4)`` of ``tmax``.

Objective: PyVRP minimises travel cost plus uncollected prizes.  Each client's prize is its
visit's prize in hundredths (exact for the benchmarks' integer scores and the scale
benchmark's two-decimal harm) times ``prize_weight``, more than the largest total travel cost
any feasible plan can have (the sum of the shift lengths in cost units), so a hundredth of
prize outweighs all travel: PyVRP maximises the prize and breaks ties on travel.  Its
time-warp penalty bounds (``PenaltyParams.min_penalty``/``max_penalty``) are scaled by the
same weight, so its search trades time warp against prize as it would on the unweighted
prize objective.  (Without the travel tie-breaker PyVRP did worse in a 3 s trial: 974 against
1202 on pr04 with m = 3.)  The travel cost uses the time scale unless int64 needs a coarser
unit (:func:`_distance_scale`); time windows and durations always use the time scale.

The plan comes back as visit sequences, re-timed in the problem's float seconds (leave when
PyVRP leaves, wait when early) and returned as our :class:`Solution` for the validators.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.routing.problem import RoutingProblem
from planner.routing.solver import Route, Solution, Stop

PRIZE_UNITS = 100
"""PyVRP prize units per prize unit (hundredths)."""
MAX_PENALTY = 100_000.0
"""PyVRP's default ``PenaltyParams.max_penalty``, per prize-weight unit here."""


def require_pyvrp() -> None:
    """Exit with a clear message if PyVRP (the ``bench`` extra) is not installed."""
    try:
        import pyvrp  # noqa: F401
    except ImportError as exc:
        raise SystemExit(
            f"PyVRP is needed for the peer comparison but cannot be imported ({exc}). "
            'Install the bench extra: pip install -e ".[bench]"'
        ) from exc


def _ints(values: Any, scale: float, direction: str) -> np.ndarray:
    """Float seconds to PyVRP integers, rounding ``"up"`` or ``"down"`` (snapping near-ints)."""
    y = np.asarray(values, dtype=np.float64) * scale
    r = np.round(y)
    near = np.abs(y - r) <= 1e-6 + 8.0 * np.finfo(np.float64).eps * np.abs(y)
    out = np.where(near, r, np.ceil(y) if direction == "up" else np.floor(y))
    return out.astype(np.int64)


@dataclass
class PyvrpModel:
    """The PyVRP data of a problem and the maps back to it."""

    data: Any
    time_scale: float
    client_of: list[tuple[int, int]]  # PyVRP client -> (visit index, window index)
    vehicles_of_type: list[list[str]]  # vehicle type -> our vehicle ids
    prize_weight: int  # PyVRP prize units per hundredth of prize
    dropped: list[str] = field(default_factory=list)


def _matrix(problem: RoutingProblem, mode: str, scale: float) -> np.ndarray:
    """A mode's travel times in PyVRP integers, rounded up; unreachable outlasts any shift."""
    mat = np.asarray(problem.travel_time_s[mode])
    longest = max([k.max_duration_s for k in problem.vehicles], default=0.0)
    unreachable = int(_ints(longest, scale, "up")) + 1
    ints = _ints(np.where(np.isfinite(mat), mat, 0.0), scale, "up")
    return np.where(np.isfinite(mat), ints, unreachable)


def _distance_scale(problem: RoutingProblem, time_scale: float, shifts_s: float) -> float:
    """Units per second of the travel cost, coarser than time only where int64 demands it.

    Prizes and PyVRP's penalty bounds are multiplied by the prize weight (about the total
    shift length in cost units).  A penalised cost is at most ``max_penalty x time warp``,
    and time warp at most ``clients x horizon``; keeping their product under 2**62 bounds the
    weight, so a week of many shifts (the scale benchmark) gets a cost unit of about a minute.
    The benchmark sets keep the time scale.
    """
    horizon = max([k.latest_end_s for k in problem.vehicles], default=0.0) * time_scale
    worst_warp = max(1.0, len(problem.visits) * horizon)
    max_weight = 2.0**62 / (MAX_PENALTY * worst_warp)
    return time_scale * min(1.0, max_weight / (1.0 + shifts_s * time_scale))


def to_pyvrp(problem: RoutingProblem, time_scale: float) -> PyvrpModel:
    """Build PyVRP's ``ProblemData`` for ``problem`` (see the module docstring)."""
    import pyvrp

    modes = sorted({k.mode for k in problem.vehicles})
    shifts_s = sum(
        min(k.max_duration_s, k.latest_end_s - k.earliest_start_s) for k in problem.vehicles
    )
    dist_scale = _distance_scale(problem, time_scale, shifts_s)
    # A hundredth of prize outweighs all routes' travel together: a route's travel is at most
    # its shift, plus a unit per leg from rounding up.
    weight = 1 + math.ceil(shifts_s * dist_scale) + len(problem.visits) + len(problem.vehicles)
    durations = [_matrix(problem, mode, time_scale) for mode in modes]
    distances = [_matrix(problem, mode, dist_scale) for mode in modes]
    locations = [pyvrp.Location(0.0, 0.0, name=str(i)) for i in range(problem.n_locations)]
    depot_locs = sorted(
        {k.start_location for k in problem.vehicles} | {k.end_location for k in problem.vehicles}
    )
    depot_of = {loc: d for d, loc in enumerate(depot_locs)}
    depots = [pyvrp.Depot(location=loc) for loc in depot_locs]

    types: dict[tuple, list[str]] = {}
    for k in problem.vehicles:
        key = (
            modes.index(k.mode),
            depot_of[k.start_location],
            depot_of[k.end_location],
            int(_ints(k.earliest_start_s, time_scale, "up")),
            int(_ints(k.latest_end_s, time_scale, "down")),
            int(_ints(k.max_duration_s, time_scale, "down")),
        )
        types.setdefault(key, []).append(k.vehicle_id)
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=len(ids),
            start_depot=start,
            end_depot=end,
            tw_early=early,
            tw_late=late,
            shift_duration=duration,
            profile=profile,
            unit_distance_cost=1,
            unit_duration_cost=0,
            name=ids[0],
        )
        for (profile, start, end, early, late, duration), ids in types.items()
    ]

    clients, client_of, groups = [], [], []
    for vi, v in enumerate(problem.visits):
        prize = round(v.prize * PRIZE_UNITS) * weight
        several = len(v.windows) > 1
        if several:
            groups.append(pyvrp.ClientGroup(required=v.required, name=v.visit_id))
        for wi, (lo, hi) in enumerate(v.windows):
            clients.append(
                pyvrp.Client(
                    location=v.location,
                    service_duration=int(_ints(v.service_s, time_scale, "up")),
                    tw_early=int(_ints(lo, time_scale, "up")),
                    tw_late=int(_ints(hi, time_scale, "down")),
                    prize=prize,
                    required=v.required and not several,
                    group=len(groups) - 1 if several else None,
                    name=v.visit_id,
                )
            )
            client_of.append((vi, wi))
            if several:
                groups[-1].add_client(len(clients) - 1)
    dropped = []
    if problem.groups:
        dropped.append("same-site group rules (minimum gap, max per route)")
    if problem.budget_paid_hours is not None:
        dropped.append("paid-hours budget")
    data = pyvrp.ProblemData(
        locations=locations,
        clients=clients,
        depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=distances,
        duration_matrices=durations,
        groups=groups,
    )
    return PyvrpModel(data, time_scale, client_of, list(types.values()), weight, dropped)


def solve_pyvrp(
    problem: RoutingProblem, *, time_scale: float, time_limit_s: float, seed: int
) -> tuple[Solution, PyvrpModel]:
    """Solve with PyVRP for ``time_limit_s`` (``pyvrp.stop.MaxRuntime``); our Solution back."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    model = to_pyvrp(problem, time_scale)
    # PyVRP's default penalties, scaled with the prizes: its search then weighs time warp
    # against prize exactly as on the unweighted prize objective.
    w = model.prize_weight
    params = pyvrp.SolveParams(
        penalty=pyvrp.PenaltyParams(min_penalty=0.1 * w, max_penalty=MAX_PENALTY * w)
    )
    t0 = time.perf_counter()
    res = pyvrp.solve(
        model.data,
        stop=MaxRuntime(time_limit_s),
        seed=seed,
        collect_stats=False,
        display=False,
        params=params,
    )
    elapsed = time.perf_counter() - t0
    sequences = []
    used: dict[int, int] = {}
    for r in res.best.routes():
        vt = r.vehicle_type()
        vid = model.vehicles_of_type[vt][used.get(vt, 0)]
        used[vt] = used.get(vt, 0) + 1
        stops = [model.client_of[a.idx] for a in r.schedule() if a.is_client()]
        sequences.append((vid, r.start_time() / time_scale, stops))
    sol = plan_from_sequences(problem, sequences, seed=seed, elapsed_s=elapsed)
    status = "ok" if res.is_feasible() else "infeasible"
    sol = dataclasses.replace(
        sol,
        status=status,
        iterations=int(res.num_iterations),
        stop=f"pyvrp.stop.MaxRuntime({time_limit_s:g})",
        stopped_by="MaxRuntime",
    )
    return sol, model


def plan_from_sequences(
    problem: RoutingProblem,
    sequences: list[tuple[str, float, list[tuple[int, int]]]],
    *,
    seed: int,
    elapsed_s: float,
) -> Solution:
    """Time visit sequences in float seconds: leave at the given time, wait when early.

    ``sequences`` holds ``(vehicle id, leave_s, [(visit index, window index), ...])``.  The
    timing is not checked here: the validators do that.
    """
    vehicles = problem.vehicle_index()
    routes: dict[str, Route] = {}
    served: set[int] = set()
    travel = 0.0
    for vid, leave, stops in sequences:
        veh = problem.vehicles[vehicles[vid]]
        mat = problem.travel_time_s[veh.mode]
        leave = max(leave, veh.earliest_start_s)
        prev, t, out = veh.start_location, leave, []
        for vi, wi in stops:
            v = problem.visits[vi]
            leg = float(mat[prev, v.location])
            arrival = t + leg
            start = max(arrival, v.windows[wi][0])
            t = start + v.service_s
            out.append(Stop(v.visit_id, arrival, start, t))
            travel += leg
            prev = v.location
            served.add(vi)
        back = float(mat[prev, veh.end_location])
        travel += back
        routes[vid] = Route(vid, tuple(out), leave, t + back)
    all_routes = tuple(
        routes.get(k.vehicle_id, Route(k.vehicle_id, (), k.earliest_start_s, k.earliest_start_s))
        for k in problem.vehicles
    )
    return Solution(
        problem_name=problem.name,
        seed=seed,
        routes=all_routes,
        unserved=tuple(v.visit_id for i, v in enumerate(problem.visits) if i not in served),
        total_prize=float(sum(problem.visits[i].prize for i in served)),
        travel_s=travel if math.isfinite(travel) else math.inf,
        solve_time_s=elapsed_s,
        status="ok",
        strategy="pyvrp",
    )
