"""Tests for planner.routing.validate: a correct plan passes and each hand-broken rule is caught."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from planner.errors import InvalidPlanError, PlannerError
from planner.routing.problem import Group, RoutingProblem, Vehicle, Visit
from planner.routing.solver import Route, Solution, Stop
from planner.routing.validate import ValidationReport, assert_valid, validate


def problem(budget: float | None = 20.0) -> RoutingProblem:
    # station 0; sites 1, 2, 3; car 100 s between any two points; 2->3 unreachable.
    mat = np.full((4, 4), 100.0)
    np.fill_diagonal(mat, 0.0)
    mat[2, 3] = np.inf
    return RoutingProblem(
        name="v",
        visits=(
            Visit("a", 1, 50.0, ((0.0, 500.0), (1000.0, 1500.0)), 3.0, group="g"),
            Visit("b", 2, 50.0, ((100.0, 400.0),), 2.0, required=True),
            Visit("c", 1, 50.0, ((0.0, 5000.0),), 1.0, group="g"),
            Visit("d", 3, 10.0, ((0.0, 5000.0),), 1.0),
        ),
        vehicles=(
            Vehicle("k1", "car", 0, 0, 0.0, 2000.0, 1000.0, 10.0),
            Vehicle("k2", "car", 0, 0, 0.0, 2000.0, 2000.0, 10.0),
        ),
        groups=(Group("g", 600.0, 1),),
        travel_time_s={"car": mat},
        budget_paid_hours=budget,
    )


def good() -> Solution:
    # k1: 0 -> a(1) -> b(2) -> 0 ; k2: 0 -> c(1) at 1000 -> 0
    r1 = Route("k1", (Stop("a", 100.0, 100.0, 150.0), Stop("b", 250.0, 250.0, 300.0)), 0.0, 400.0)
    r2 = Route("k2", (Stop("c", 1000.0, 1000.0, 1050.0),), 900.0, 1150.0)
    return Solution("v", 0, (r1, r2), ("d",), 6.0, 500.0, 0.0, "ok")


def with_route(sol: Solution, i: int, route: Route, **kw) -> Solution:
    routes = list(sol.routes)
    routes[i] = route
    return dataclasses.replace(sol, routes=tuple(routes), **kw)


def test_good_plan_is_valid():
    """A hand-checked plan passes, and the report summary says so."""
    rep = validate(problem(), good())
    assert rep.ok, rep.errors
    assert isinstance(rep, ValidationReport) and rep.summary().startswith("valid: 3 visits")
    assert assert_valid(problem(), good()).ok


def broken_cases():
    s = good()
    r1, r2 = s.routes
    a, b = r1.stops
    yield (
        "arrival",
        with_route(
            s,
            0,
            dataclasses.replace(r1, stops=(dataclasses.replace(a, arrival_s=90.0), b)),
        ),
    )
    yield (
        "before arrival",
        with_route(s, 0, dataclasses.replace(r1, stops=(dataclasses.replace(a, start_s=99.0), b))),
    )
    yield (
        "outside its windows",
        with_route(
            s,
            0,
            dataclasses.replace(
                r1,
                leave_s=500.0,
                stops=(
                    Stop("a", 600.0, 600.0, 650.0),
                    Stop("b", 750.0, 750.0, 800.0),
                ),
                return_s=900.0,
            ),
        ),
    )
    yield (
        "dwell",
        with_route(
            s, 0, dataclasses.replace(r1, stops=(dataclasses.replace(a, departure_s=140.0), b))
        ),
    )
    yield "earliest start", with_route(s, 1, dataclasses.replace(r2, leave_s=-10.0))
    yield (
        "latest end",
        with_route(
            s,
            1,
            Route("k2", (Stop("c", 2000.0, 2000.0, 2050.0),), 1900.0, 2150.0),
            unserved=("d",),
        ),
    )
    yield (
        "max duration",
        with_route(
            s,
            0,
            dataclasses.replace(
                r1, return_s=1100.0, stops=(a, dataclasses.replace(b, departure_s=1000.0))
            ),
        ),
    )
    yield "return reported", with_route(s, 0, dataclasses.replace(r1, return_s=390.0))
    yield (
        "served twice",
        with_route(
            s,
            1,
            Route("k2", (Stop("a", 1000.0, 1000.0, 1050.0),), 900.0, 1150.0),
            unserved=("c", "d"),
        ),
    )
    yield (
        "required visit 'b'",
        dataclasses.replace(
            with_route(s, 0, Route("k1", (a,), 0.0, 250.0)), unserved=("b", "d"), total_prize=4.0
        ),
    )
    yield (
        "minimum gap",
        with_route(s, 1, Route("k2", (Stop("c", 100.0, 400.0, 450.0),), 0.0, 550.0)),
    )
    yield (
        "per route",
        with_route(
            s,
            0,
            Route(
                "k1",
                (a, Stop("c", 150.0, 800.0, 850.0), Stop("b", 950.0, 950.0, 1000.0)),
                0.0,
                1100.0,
            ),
        ),
    )
    yield (
        "unreachable",
        with_route(
            s,
            0,
            Route("k1", (a, b, Stop("d", 300.0, 300.0, 310.0)), 0.0, 410.0),
            unserved=(),
            total_prize=7.0,
        ),
    )
    yield "budget", dataclasses.replace(s)  # checked with a smaller budget below
    yield "total prize", dataclasses.replace(s, total_prize=7.0)
    yield "unserved list", dataclasses.replace(s, unserved=())
    yield "unknown vehicle", with_route(s, 1, dataclasses.replace(r2, vehicle_id="zz"))
    yield (
        "unknown visit",
        with_route(s, 1, Route("k2", (Stop("zz", 1000.0, 1000.0, 1050.0),), 900.0, 1150.0)),
    )


@pytest.mark.parametrize(
    ("needle", "sol"), list(broken_cases()), ids=[c[0] for c in broken_cases()]
)
def test_each_broken_rule_is_caught(needle, sol):
    """Each hand-broken plan fails validation with a message naming the broken rule."""
    prob = problem(budget=15.0 if needle == "budget" else 20.0)
    rep = validate(prob, sol)
    assert not rep.ok and rep.summary().startswith("INVALID")
    assert any(needle in e for e in rep.errors), rep.errors
    with pytest.raises(InvalidPlanError) as ei:
        assert_valid(prob, sol)
    assert isinstance(ei.value, PlannerError)


def test_tolerance_is_small_but_absorbs_float_noise():
    """Float noise (1e-9 s) passes; a 1e-3 s window violation does not."""
    s = good()
    r1 = s.routes[0]
    a, b = r1.stops
    noisy = with_route(
        s, 0, dataclasses.replace(r1, stops=(dataclasses.replace(a, arrival_s=100.0 + 1e-9), b))
    )
    assert validate(problem(), noisy).ok
    late = Stop("b", 250.0, 400.001, 450.001)
    bad = with_route(s, 0, Route("k1", (a, late), 0.0, 550.001))
    assert not validate(problem(), bad).ok
