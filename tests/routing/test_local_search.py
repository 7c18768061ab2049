"""Tests for planner.routing.solver.local_search: every move keeps plans exact and valid."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from planner.errors import InputError
from planner.routing.problem import Group, RoutingProblem, Vehicle, Visit
from planner.routing.solver import MaxIterations, SolveParams, solve
from planner.routing.solver.finish import to_solution
from planner.routing.solver.instance import integerise
from planner.routing.solver.local_search import insert_unserved, local_search
from planner.routing.solver.operators import recreate, ruin
from planner.routing.solver.state import State
from planner.routing.validate import validate

MOVES = {
    "routes": {"routes": True, "insert": False, "swap": False},
    "insert": {"routes": False, "insert": True, "swap": False},
    "swap": {"routes": False, "insert": False, "swap": True},
    "all": {},
}


def problem(
    seed: int,
    n: int = 14,
    m: int = 3,
    *,
    groups: bool = False,
    budget: float | None = None,
    max_duration_s: float | None = None,
) -> RoutingProblem:
    """Random sites on a 10 km square with 1-3 windows each; optional groups, budget, limit."""
    rng = np.random.default_rng(seed)
    shift = 4 * 3600.0
    xy = rng.uniform(0, 10_000, size=(2 + n, 2))
    car = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) / 10.0
    visits = []
    for i in range(n):
        wins, last = [], -1.0
        for s in np.sort(rng.uniform(0, shift, int(rng.integers(1, 4)))):
            lo = max(float(s), last + 1.0)
            last = lo + float(rng.uniform(600, 3600))
            wins.append((lo, last))
        g = f"g{i % 2}" if groups and i < 6 else None
        visits.append(
            Visit(f"v{i}", 2 + i, float(rng.uniform(300, 900)), tuple(wins), float(rng.integers(1, 10)), group=g)
        )  # fmt: skip
    vehicles = tuple(
        Vehicle(f"u{k}", "car", k % 2, k % 2, 0.0, shift,
                shift if max_duration_s is None else max_duration_s, 4.0 * (k + 1))
        for k in range(m)
    )  # fmt: skip
    grp = (Group("g0", 1800.0, 2), Group("g1", 900.0, 1)) if groups else ()
    return RoutingProblem(
        name=f"ls{seed}",
        visits=tuple(visits),
        vehicles=vehicles,
        groups=grp,
        travel_time_s={"car": car},
        budget_paid_hours=budget,
    )


def line_problem(
    xs: list[float], prizes: list[float], shift_s: float, m: int = 1
) -> RoutingProblem:
    """Sites on a line (metres, 10 m/s); vehicle ``k`` starts and ends at depot ``k`` at x = 0 or 10 km."""
    depots = [0.0, 10_000.0][:m]
    pts = np.array(depots + xs)
    car = np.abs(pts[:, None] - pts[None]) / 10.0
    visits = tuple(
        Visit(f"v{i}", len(depots) + i, 60.0, ((0.0, shift_s),), p) for i, p in enumerate(prizes)
    )
    vehicles = tuple(Vehicle(f"u{k}", "car", k, k, 0.0, shift_s, shift_s) for k in range(m))
    return RoutingProblem("line", visits, vehicles, (), {"car": car})


def check(p: RoutingProblem, st: State) -> None:
    """The state is exactly timed and the plan passes the independent validator."""
    sol = to_solution(p, st, seed=0, elapsed=0.0, status="ok", strategy="best", iterations=0,
                      stop="", stopped_by="")  # fmt: skip
    rep = validate(p, sol)
    assert rep.ok, rep.errors
    assert st.groups_ok() and st.budget_ok()
    fresh = st.copy()
    for r in range(st.inst.nv):
        k = int(st.rlen[r])
        assert st.check_route(r, st.route(r))[0]
        assert set(np.flatnonzero(st.route_of == r).tolist()) == set(st.route(r))
        fresh._arrays(r)
        assert np.array_equal(fresh.E[r, : k + 2], st.E[r, : k + 2])
        assert np.array_equal(fresh.Lt[r, : k + 2], st.Lt[r, : k + 2])


@pytest.mark.parametrize("move", sorted(MOVES))
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"groups": True},
        {"max_duration_s": 5400.0},
        {"budget": 9.0, "m": 4},
        {"groups": True, "max_duration_s": 7200.0, "budget": 13.0, "m": 4},
    ],
)
def test_each_move_keeps_plans_valid(move, kw):
    """Random plans with windows, several windows a visit, groups, duration limit, budget."""
    for seed in range(6):
        p = problem(seed, **kw)
        st = State(integerise(p))
        rng = np.random.default_rng(seed)
        recreate(st, rng, 2.0, 2.0)  # noisy: leaves room to improve
        for _ in range(3):
            before = st.key()
            local_search(st, rng, **MOVES[move])
            assert st.key() >= before
            check(p, st)
            ruin(st, rng, SolveParams())
            recreate(st, rng, 1.0, 2.0)


def test_two_opt_untangles_a_route():
    """A route visiting a line out of order is put in order (same prize, less travel)."""
    p = line_problem([1000.0, 2000.0, 3000.0, 4000.0], [1, 1, 1, 1], 3600.0)
    st = State(integerise(p), [[0, 2, 1, 3]])
    before = st.key()
    assert local_search(st, None, insert=False, swap=False) > 0
    assert st.route(0) == [0, 1, 2, 3]
    assert st.key()[1] == before[1] and st.key()[2] > before[2]
    check(p, st)


def test_relocate_moves_a_visit_to_the_nearer_route():
    """A visit next to the second depot, served from the first, moves to the second route."""
    p = line_problem([1000.0, 9000.0], [1, 1], 3600.0, m=2)
    st = State(integerise(p), [[0, 1], []])
    local_search(st, None, insert=False, swap=False)
    assert st.routes() == [[0], [1]]
    check(p, st)


def test_shortening_frees_time_for_an_insertion():
    """Out of order there is no time for a third visit; in order there is, and it is inserted."""
    # 2 km, 1 km, 4 km: 1000 s travel + 180 s service in a 1200 s shift; in order with the
    # 3 km site too, 800 s + 240 s.
    p = line_problem([1000.0, 2000.0, 3000.0, 4000.0], [1, 1, 1, 1], 1200.0)
    st = State(integerise(p), [[1, 0, 3]])
    for q in range(4):
        assert not st.check_route(0, [*[1, 0, 3][:q], 2, *[1, 0, 3][q:]])[0]
    local_search(st, None)
    assert st.route(0) == [0, 1, 2, 3]
    check(p, st)


def test_swap_in_takes_the_better_unserved_visit():
    """Time for one visit only: the served low prize one gives way to the high prize one."""
    p = line_problem([1000.0, 1200.0], [1, 5], 300.0)
    st = State(integerise(p), [[0]])
    assert not st.check_route(0, [0, 1])[0]
    local_search(st, None, swap=False)
    assert st.route(0) == [0]  # no swap-in, no better plan
    local_search(st, None)
    assert st.route(0) == [1]
    check(p, st)


def test_swap_in_never_swaps_out_a_required_visit():
    """A served required visit stays even when an unserved required one is worth more.

    Swapping required visits for prize strands those that fit only together (a post's
    hours); both required, time for one: the served one is kept.
    """
    base = line_problem([1000.0, 1200.0], [1, 5], 300.0)
    p = RoutingProblem(
        "line-req",
        tuple(dataclasses.replace(v, required=True) for v in base.visits),
        base.vehicles,
        (),
        base.travel_time_s,
    )
    st = State(integerise(p), [[0]])
    local_search(st, None)
    assert st.route(0) == [0]


@pytest.mark.parametrize("seed", [0, 3])
def test_same_seed_same_plan_with_compiled_search(seed):
    """Same seed and iteration stop: the same plan, with the compiled descent and sparse OR-Tools."""
    p = problem(seed, n=12, m=2, groups=True)
    params = SolveParams(descent_every=5)
    a = solve(p, stop=MaxIterations(40), seed=seed, params=params).to_dict()
    b = solve(p, stop=MaxIterations(40), seed=seed, params=params).to_dict()
    for d in (a, b):
        d.pop("solve_time_s")
    assert a == b


@pytest.mark.parametrize(
    "params",
    [
        SolveParams(local_search=False),
        SolveParams(ortools_descent=False),
        SolveParams(ls_swap=False, descent_every=3),
    ],
)
def test_ablation_switches_give_valid_plans(params):
    """Each part switched off still gives a valid plan."""
    p = problem(5, n=12, m=2, groups=True, max_duration_s=7200.0)
    sol = solve(p, stop=MaxIterations(30), seed=1, params=params)
    assert validate(p, sol).ok


def test_switch_params_are_checked():
    with pytest.raises(InputError, match="True or False"):
        SolveParams(local_search=1)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="descent_every"):
        SolveParams(descent_every=0)


@pytest.mark.parametrize(
    "kw", [{"groups": True, "budget": 13.0, "m": 4}, {"max_duration_s": 5400.0}]
)
def test_compiled_insertion_keeps_plans_valid(kw):
    """insert_unserved, with noise and excluded visits, inserts only valid visits, not excluded ones."""
    for seed in range(6):
        p = problem(seed, **kw)
        st = State(integerise(p))
        rng = np.random.default_rng(seed)
        insert_unserved(st, rng, 0.5, 2.0, exclude=[0, 1])
        assert st.route_of[0] < 0 and st.route_of[1] < 0
        check(p, st)
        ruin(st, rng, SolveParams())
        n_before = int(np.count_nonzero(st.route_of >= 0))
        assert insert_unserved(st, rng, 0.5, 2.0) == np.count_nonzero(st.route_of >= 0) - n_before
        check(p, st)
