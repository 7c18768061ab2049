"""The groups' time-of-day rule (``Group.repeat_gap_s``): solver, state checks, validator, JSON."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.routing.problem import DAY_S, Group, RoutingProblem, Vehicle, Visit
from planner.routing.solver import MaxIterations, Route, Solution, Stop, solve
from planner.routing.validate import validate

H = 3600.0
GAP = 31 * 60.0


def tod_gap(a: float, b: float) -> float:
    """Distance in time of day between two starts (seconds)."""
    d = abs(a - b) % DAY_S
    return min(d, DAY_S - d)


def daily_problem(days: int, rule: bool = True, window_h: float = 2.0) -> RoutingProblem:
    """One hot spot 5 minutes from the station, one visit a day in 18:00-(18+window_h):00.

    One evening vehicle a day (17:00-23:00); each visit is worth the same, so the solver has
    no reason of its own to vary the time.
    """
    mat = np.array([[0.0, 300.0], [300.0, 0.0]])
    visits = tuple(
        Visit(
            f"h#{d}",
            1,
            900.0,
            ((d * DAY_S + 18 * H, d * DAY_S + (18 + window_h) * H - 900.0),),
            1.0,
            group="h",
            repeat_rule=rule,
        )
        for d in range(days)
    )
    vehicles = tuple(
        Vehicle(f"u{d}", "car", 0, 0, d * DAY_S + 17 * H, d * DAY_S + 23 * H, 6 * H)
        for d in range(days)
    )
    return RoutingProblem(
        "daily", visits, vehicles, (Group("h", H, 1, repeat_gap_s=GAP),), {"car": mat}
    )


def starts_of(sol: Solution) -> list[float]:
    return sorted(s.start_s for r in sol.routes for s in r.stops)


def test_visits_on_different_days_come_at_different_times() -> None:
    """Three daily visits in a 2-hour evening window start >= 31 min apart in time of day."""
    p = daily_problem(3)
    sol = solve(p, stop=MaxIterations(100), seed=0)
    rep = validate(p, sol)
    assert rep.ok, rep.errors
    starts = starts_of(sol)
    assert len(starts) == 3
    assert all(tod_gap(a, b) >= GAP - 1e-6 for a, b in itertools.combinations(starts, 2))


def test_the_rule_limits_visits_to_the_distinct_times_the_window_allows() -> None:
    """A 45-minute window leaves room for two distinct times (31 min apart), not three."""
    p = daily_problem(3, window_h=0.75 + 0.25)  # start range 18:00-18:45
    sol = solve(p, stop=MaxIterations(100), seed=0)
    assert validate(p, sol).ok
    assert len(starts_of(sol)) == 2


def test_visits_without_the_rule_may_repeat() -> None:
    """With ``repeat_rule`` off every visit is made, whatever their times of day."""
    p = daily_problem(3, rule=False, window_h=1.0)
    sol = solve(p, stop=MaxIterations(100), seed=0)
    assert validate(p, sol).ok
    assert len(starts_of(sol)) == 3


def test_validator_catches_a_same_time_repeat() -> None:
    """A hand-written plan with visits at 18:00 on two days breaks the rule; 18:31 does not."""
    p = daily_problem(2)

    def plan(second_start_s: float) -> Solution:
        routes = tuple(
            Route(f"u{d}", (Stop(f"h#{d}", start, start, start + 900.0),), start - 300.0,
                  start + 1200.0)
            for d, start in enumerate((18 * H, second_start_s))
        )  # fmt: skip
        return Solution(
            problem_name=p.name,
            seed=0,
            routes=routes,
            unserved=(),
            total_prize=2.0,
            travel_s=1200.0,
            solve_time_s=0.0,
            status="ok",
            strategy="hand",
        )

    bad = validate(p, plan(DAY_S + 18 * H + 600.0))
    assert not bad.ok and any("time of day" in e for e in bad.errors)
    assert validate(p, plan(DAY_S + 18 * H + GAP)).ok


def test_repeat_gap_is_checked_and_survives_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A negative or over-half-a-day gap is refused; the gap and the flag round-trip."""
    p = daily_problem(2, rule=False)
    back = RoutingProblem.from_dict(p.to_dict())
    assert back.groups[0].repeat_gap_s == GAP
    assert [v.repeat_rule for v in back.visits] == [False, False]
    for bad in (-1.0, DAY_S):
        with pytest.raises(InputError, match="repeat_gap_s"):
            RoutingProblem("x", p.visits, p.vehicles, (Group("h", H, 1, bad),), p.travel_time_s)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), days=st.integers(2, 5), window_h=st.sampled_from([1.0, 3.0]))
def test_plans_with_the_rule_always_validate(seed: int, days: int, window_h: float) -> None:
    """Random prizes, two units a day: every plan keeps the rule and passes the validator."""
    rng = np.random.default_rng(seed)
    base = daily_problem(days, window_h=window_h)
    visits = tuple(
        Visit(v.visit_id, v.location, v.service_s, v.windows, float(rng.integers(1, 9)),
              group="h", repeat_rule=bool(rng.integers(0, 2)))
        for v in base.visits
    )  # fmt: skip
    vehicles = base.vehicles + tuple(
        Vehicle(f"w{d}", "car", 0, 0, d * DAY_S + 16 * H, d * DAY_S + 22 * H, 6 * H)
        for d in range(days)
    )
    p = RoutingProblem("r", visits, vehicles, base.groups, base.travel_time_s)
    sol = solve(p, stop=MaxIterations(40), seed=seed)
    rep = validate(p, sol)
    assert rep.ok, rep.errors


def test_rule_compares_local_clocks_across_a_clock_change() -> None:
    """After the clocks go back, 19:00 on the week's clock is 18:00 local: a repeat of 18:00.

    Day 0's visit is fixed at 18:00; day 1's may start 19:00-19:45 on the week's clock, with a
    clock offset of -1 hour. Without the offset 19:00 would do (an hour after 18:00); with it
    the visit must wait until 19:31 (18:31 local).
    """
    mat = np.array([[0.0, 300.0], [300.0, 0.0]])
    day1 = DAY_S + 19 * H

    def problem(offset_s: float) -> RoutingProblem:
        visits = (
            Visit("h#0", 1, 900.0, ((18 * H, 18 * H),), 1.0, group="h"),
            Visit("h#1", 1, 900.0, ((day1, day1 + 0.75 * H),), 1.0, group="h",
                  clock_offset_s=offset_s),
        )  # fmt: skip
        vehicles = tuple(
            Vehicle(f"u{d}", "car", 0, 0, d * DAY_S + 17 * H, d * DAY_S + 23 * H, 6 * H)
            for d in range(2)
        )
        groups = (Group("h", H, 1, repeat_gap_s=GAP),)
        return RoutingProblem("dst", visits, vehicles, groups, {"car": mat})

    starts = {}
    for offset_s in (0.0, -H):
        p = problem(offset_s)
        sol = solve(p, stop=MaxIterations(50), seed=0)
        assert validate(p, sol).ok
        start = {s.visit_id: s.start_s for r in sol.routes for s in r.stops}
        assert set(start) == {"h#0", "h#1"}
        starts[offset_s] = start["h#1"]
    assert starts[0.0] == pytest.approx(day1)  # no reason to wait
    assert starts[-H] >= DAY_S + 18 * H + GAP - 1e-6  # 19:31 on the week's clock, 18:31 local
