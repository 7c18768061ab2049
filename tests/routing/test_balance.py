"""The solver's last pass: doses of weighted groups follow their weights (``Group.dose_weight``)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from planner.errors import InputError
from planner.routing.problem import Group, RoutingProblem, Vehicle, Visit
from planner.routing.solver import MaxIterations, SolveParams, solve
from planner.routing.validate import validate

H = 3600.0
SLOTS = 6


def two_spots(weight_a: float, weight_b: float) -> RoutingProblem:
    """Two hot spots side by side; one car; ``SLOTS`` hour-long slots, one visit of each a slot.

    B's visits are worth twice A's, so the search alone fills every slot at B; the weights say
    which hot spot's dose matters more.
    """
    mat = np.array([[0.0, 300.0, 300.0], [300.0, 0.0, 60.0], [300.0, 60.0, 0.0]])
    visits = []
    for k in range(SLOTS):
        win = ((k * H + 600.0, k * H + 660.0),)  # one start a slot: A or B
        visits.append(Visit(f"A#{k}", 1, 900.0, win, 1.0, group="A"))
        visits.append(Visit(f"B#{k}", 2, 900.0, win, 2.0, group="B"))
    groups = (
        Group("A", 0.0, SLOTS, dose_weight=weight_a),
        Group("B", 0.0, SLOTS, dose_weight=weight_b),
    )
    vehicles = (Vehicle("car", "car", 0, 0, 0.0, (SLOTS + 1) * H, (SLOTS + 1) * H),)
    return RoutingProblem("two spots", tuple(visits), vehicles, groups, {"car": mat})


def doses(sol: object) -> Counter[str]:
    return Counter(s.visit_id[0] for r in sol.routes for s in r.stops)  # type: ignore[attr-defined]


def test_heavier_group_is_given_its_dose() -> None:
    """A weighs more than B: the pass trades B's visits for A's until A is within one of B."""
    problem = two_spots(2.0, 1.0)
    sol = solve(problem, stop=MaxIterations(30), seed=1)
    got = doses(sol)
    assert got["A"] + got["B"] == SLOTS
    assert got["A"] >= got["B"] - 1
    assert validate(problem, sol).ok


def test_off_or_lighter_leaves_the_search_alone() -> None:
    """Without the pass, or with A the lighter, the search's plan stands: every slot at B."""
    off = solve(two_spots(2.0, 1.0), stop=MaxIterations(30), seed=1,
                params=SolveParams(balance_doses=False))  # fmt: skip
    assert doses(off)["B"] == SLOTS
    lighter = solve(two_spots(1.0, 2.0), stop=MaxIterations(30), seed=1)
    assert doses(lighter)["B"] == SLOTS
    unweighted = solve(two_spots(0.0, 0.0), stop=MaxIterations(30), seed=1)
    assert doses(unweighted)["B"] == SLOTS


def test_same_seed_same_balanced_plan() -> None:
    """The pass reads no clock and draws nothing: the same seed gives the same plan."""
    a = solve(two_spots(2.0, 1.0), stop=MaxIterations(20), seed=7)
    b = solve(two_spots(2.0, 1.0), stop=MaxIterations(20), seed=7)
    assert [r.stops for r in a.routes] == [r.stops for r in b.routes]


def test_dose_weight_round_trips_and_is_checked(tmp_path: Path) -> None:
    """``dose_weight`` survives the problem's JSON; a negative one is an input error."""
    problem = two_spots(2.0, 1.0)
    problem.to_json(tmp_path / "p.json")
    back = RoutingProblem.from_json(tmp_path / "p.json")
    assert [g.dose_weight for g in back.groups] == [2.0, 1.0]
    with pytest.raises(InputError, match="dose_weight"):
        RoutingProblem(
            "bad", problem.visits, problem.vehicles,
            (Group("A", 0.0, SLOTS, dose_weight=-1.0), problem.groups[1]),
            problem.travel_time_s,
        )  # fmt: skip


def test_no_vehicle_over_the_budget() -> None:
    """A's visits fit only a second car the paid-hours budget cannot pay for: none is moved."""
    base = two_spots(2.0, 1.0)
    late = tuple(
        dataclasses.replace(v, windows=((w0 + 8 * H, w1 + 8 * H),)) if v.group == "A" else v
        for v in base.visits
        for (w0, w1) in [v.windows[0]]
    )
    cars = (
        Vehicle("early", "car", 0, 0, 0.0, 7 * H, 7 * H, paid_hours=14.0),
        Vehicle("late", "car", 0, 0, 8 * H, 15 * H, 7 * H, paid_hours=14.0),
    )
    problem = dataclasses.replace(base, visits=late, vehicles=cars, budget_paid_hours=14.0)
    sol = solve(problem, stop=MaxIterations(30), seed=1)
    assert doses(sol) == Counter({"B": SLOTS})
    assert validate(problem, sol).ok
