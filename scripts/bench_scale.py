"""Scale benchmark: synthetic weekly patrol plans at 100, 300 and 1,000 visits.

Random plain problems with a realistic structure: a week of unit-shifts (early 07-15, late
15-23, night 23-07) from a few stations, car and foot units, visits with 1-3 windows spread over
the week and 15-45 min dwells, same-site groups with a minimum gap, Euclidean-ish car travel
times (road detour factor, ~40 km/h) in seconds, and a paid-hours budget of 60% of the shifts
(so not everything can be served and the prize says something about quality).

Three solvers run on each problem with the same time limit: ours (``solve``), the textbook
OR-Tools model (``solve_textbook``) and PyVRP (``scripts/_pyvrp_peer.py``, the ``bench``
extra).  For each: harm covered (prize), served visits, solve time and validity.

PyVRP cannot express everything, so it solves a *relaxed* problem: the same visits, windows
(several windows per visit become alternative clients, at most one served: exact), dwells,
shifts and travel times, but without the same-site group rules (minimum gap, one per route)
and without the paid-hours budget.  Its plan is validated only against that relaxed problem;
the table also shows how many rules of the full problem it breaks and the paid hours it
uses against the budget, so its harm is not mistaken for a like-for-like result.  Ours and the
textbook model are validated against the full problem.  The 1,000-visit week must solve and
validate within 5 minutes.

Elastic hot-spot dosage makes the real problem bigger than its fixed visits: every deployed
unit-shift is offered candidate hot-spot visits for all its free time. A second table shows by
how much on each example area (``--elastic``, on by default): the fixed visits, the hot-spot
candidates offered, the unit-shifts, and the time to build the model and to solve it at a fixed
iteration count, against the same week with no hot spots (the baseline in the same run).

    python scripts/bench_scale.py                      # 100/20, 300/80, 1000/150
    python scripts/bench_scale.py --sizes 100:20 --time-limit 20
    python scripts/bench_scale.py --sizes 300:80 --iterations 2000   # ours: same plan anywhere
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _pyvrp_peer import require_pyvrp, solve_pyvrp

from planner.routing.problem import Group, RoutingProblem, Vehicle, Visit
from planner.routing.solver import MaxIterations, MaxRuntime, Solution, solve, solve_textbook
from planner.routing.validate import validate

DAY = 86400.0
SOLVERS = ("ours", "textbook", "pyvrp")
PYVRP_SCALE = 1.0  # PyVRP time units per second: travel rounded up to whole seconds
SHIFTS = ((7 * 3600.0, 8 * 3600.0), (15 * 3600.0, 8 * 3600.0), (23 * 3600.0, 8 * 3600.0))


def weekly_problem(n_visits: int, n_shifts: int, seed: int = 0) -> RoutingProblem:
    """A random week: ``n_visits`` visits and ``n_shifts`` unit-shifts."""
    rng = np.random.default_rng(seed)
    n_stations = 4
    n_sites = max(1, int(n_visits * 0.6))
    xy = rng.uniform(0, 25_000, size=(n_stations + n_sites, 2))  # metres
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) * 1.3  # road detour factor
    car = d / 11.0 + np.where(d > 0, 60.0, 0.0)  # ~40 km/h plus a minute to park
    foot = d / 1.4
    foot[foot > 3600.0] = np.inf  # foot units do not walk more than an hour
    np.fill_diagonal(foot, 0.0)
    visits, groups = [], []
    site_of = rng.integers(0, n_sites, size=n_visits)
    for i in range(n_visits):
        nw = int(rng.integers(1, 4))
        days = np.sort(rng.choice(7, size=nw, replace=False))
        wins = []
        for dday in days:
            lo = dday * DAY + float(rng.uniform(6, 22)) * 3600.0
            wins.append((lo, lo + float(rng.uniform(1, 3)) * 3600.0))
        site = int(site_of[i])
        visits.append(
            Visit(
                visit_id=f"v{i}",
                location=n_stations + site,
                service_s=float(rng.choice([900.0, 1200.0, 1800.0, 2700.0])),
                windows=tuple(wins),
                prize=float(np.round(rng.gamma(2.0, 2.0), 2)),
                group=f"site{site}",
            )
        )
    used_sites = sorted(set(int(s) for s in site_of))
    groups = [Group(f"site{s}", 4 * 3600.0, 1) for s in used_sites]
    vehicles = []
    for k in range(n_shifts):
        day = k % 7
        start, length = SHIFTS[(k // 7) % 3]
        st = n_stations and int(rng.integers(0, n_stations))
        mode = "foot" if rng.random() < 0.2 else "car"
        vehicles.append(
            Vehicle(
                vehicle_id=f"unit{k}-d{day}",
                mode=mode,
                start_location=st,
                end_location=st,
                earliest_start_s=day * DAY + start,
                latest_end_s=day * DAY + start + length,
                max_duration_s=length,
                paid_hours=2 * length / 3600.0,
            )
        )
    total_paid = sum(v.paid_hours for v in vehicles)
    return RoutingProblem(
        name=f"week-{n_visits}v-{n_shifts}s",
        visits=tuple(visits),
        vehicles=tuple(vehicles),
        groups=tuple(groups),
        travel_time_s={"car": car, "foot": foot},
        budget_paid_hours=0.6 * total_paid,
    )


def relaxed(problem: RoutingProblem) -> RoutingProblem:
    """The problem PyVRP is given: no group rules, no paid-hours budget."""
    return dataclasses.replace(
        problem,
        visits=tuple(dataclasses.replace(v, group=None) for v in problem.visits),
        groups=(),
        budget_paid_hours=None,
    )


def paid_hours(problem: RoutingProblem, sol: Solution) -> float:
    """Paid hours of the vehicles a plan uses."""
    index = problem.vehicle_index()
    return sum(problem.vehicles[index[r.vehicle_id]].paid_hours for r in sol.routes if r.stops)


def run(label: str, p: RoutingProblem, tl: float, iterations: int | None, seed: int) -> str:
    """Solve ``p`` with one solver and return its table row."""
    t = time.perf_counter()
    note = ""
    if label == "ours":
        stop = MaxRuntime(tl) if iterations is None else MaxIterations(iterations)
        sol = solve(p, stop=stop, seed=seed)
        rep = validate(p, sol)
    elif label == "textbook":
        sol = solve_textbook(p, time_limit_s=tl, seed=seed)
        rep = validate(p, sol)
    else:
        sol, _ = solve_pyvrp(p, time_scale=PYVRP_SCALE, time_limit_s=tl, seed=seed)
        rep = validate(relaxed(p), sol)  # what PyVRP was given
        full = validate(p, sol)
        note = (
            f"relaxed; breaks {len(full.errors)} full-problem rules, "
            f"{paid_hours(p, sol):.0f} paid h of budget {p.budget_paid_hours:.0f}"
        )
    wall = time.perf_counter() - t
    total = sum(v.prize for v in p.visits)
    served = sum(len(r.stops) for r in sol.routes)
    return (
        f"{p.name:>20} {label:>8} {tl:>5.0f}s {wall:>6.1f}s {sol.total_prize:>9.1f} "
        f"{100 * sol.total_prize / total:>5.1f}% {served:>6} {rep.ok!s:>5}  {note}"
    )


def elastic_growth(iterations: int) -> None:
    """How elastic dosage grows each example area's routing problem (see the docstring)."""
    import tempfile

    from planner.config import load_config
    from planner.planning.model import build_model
    from planner.planning.pipeline import prepare_week
    from planner.planning.week import solve_model

    root = Path(__file__).resolve().parents[1] / "data"
    print(
        f"\n{'area':>15} {'hot spots':>9} {'fixed':>6} {'offered':>8} {'growth':>7} "
        f"{'shifts':>6} {'build s':>8} {'solve s':>8} {'base s':>7} {'ratio':>6}"
    )
    with tempfile.TemporaryDirectory() as cache:
        for area in ("demo", "rutland", "city-of-london", "westminster"):
            cfg = load_config(root / area / "force.toml")
            inputs = prepare_week(cfg, cache_dir=cache)
            t = time.perf_counter()
            model = build_model(inputs)
            build_s = time.perf_counter() - t
            fixed = len(inputs.demand.visits)
            offered = len(model.problem.visits) - fixed
            # As planner plan solves: required visits that cannot all be made are reported.
            t = time.perf_counter()
            solve_model(model, MaxIterations(iterations), 0, None)
            solve_s = time.perf_counter() - t
            # Baseline: the same week's problem with the hot-spot candidates left out.
            demanded = {r.visit_id for r in inputs.demand.visits}
            keep = tuple(v for v in model.problem.visits if v.visit_id in demanded)
            groups = {v.group for v in keep}
            base = dataclasses.replace(
                model.problem,
                visits=keep,
                groups=tuple(g for g in model.problem.groups if g.group_id in groups),
            )
            t = time.perf_counter()
            solve_model(
                dataclasses.replace(model, problem=base), MaxIterations(iterations), 0, None
            )
            base_s = time.perf_counter() - t
            n_hot = len(inputs.hotspots.hotspots) if inputs.hotspots else 0
            print(
                f"{area:>15} {n_hot:>9} {fixed:>6} {offered:>8} "
                f"{(fixed + offered) / max(fixed, 1):>6.1f}x {len(inputs.resources.selected):>6} "
                f"{build_s:>8.1f} {solve_s:>8.1f} {base_s:>7.1f} {solve_s / max(base_s, 1e-9):>5.1f}x",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="100:20,300:80,1000:150", help="visits:shifts,...")
    ap.add_argument("--time-limit", type=float, default=None, help="default: 20/40/90 s by size")
    ap.add_argument("--iterations", type=int, help="stop ours after this many iterations instead")
    ap.add_argument(
        "--solvers", default=",".join(SOLVERS), help="comma list of ours,textbook,pyvrp"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--elastic",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also show how hot-spot dosage grows each example area's problem",
    )
    ap.add_argument("--elastic-iterations", type=int, default=300)
    a = ap.parse_args()
    solvers = [s.strip() for s in a.solvers.split(",") if s.strip()]
    if any(s not in SOLVERS for s in solvers):
        sys.exit(f"unknown solvers in {solvers}; choose from {SOLVERS}")
    if "pyvrp" in solvers:
        require_pyvrp()
    print(f"{os.cpu_count()} cores; single-threaded solves; the same time limit for each solver")
    print(
        f"{'problem':>20} {'solver':>8} {'limit':>6} {'time':>7} {'harm':>9} {'of all':>6} "
        f"{'served':>6} {'valid':>5}"
    )
    for spec in filter(None, a.sizes.split(",")):  # --sizes "": the elastic table only
        n, m = (int(x) for x in spec.split(":"))
        tl = a.time_limit or (20.0 if n <= 100 else 40.0 if n <= 300 else 90.0)
        t = time.perf_counter()
        p = weekly_problem(n, m, a.seed)
        build = time.perf_counter() - t
        total = sum(v.prize for v in p.visits)
        print(f"{p.name}: built in {build:.1f} s, harm of all visits {total:.1f}", flush=True)
        for label in solvers:
            t = time.perf_counter()
            print(run(label, p, tl, a.iterations, a.seed), flush=True)
            if label == "ours" and n >= 1000 and time.perf_counter() - t > 300:
                print("  FAIL: the 1,000-visit week took over 5 minutes")
    if a.elastic:
        elastic_growth(a.elastic_iterations)


if __name__ == "__main__":
    main()
