"""Refreshment breaks, per-shift time accounting and late departures (planner.planning.breaks)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from pydantic import ValidationError

from planner.config import BreakConfig
from planner.planning.break_check import validate_breaks
from planner.planning.breaks import (
    BREAK_GRID_S,
    ShiftLeg,
    break_offset_s,
    drop_repeats,
    merge_legs,
    retime,
    shift_vehicles,
)
from planner.planning.plan import Plan, read_plan_json, write_plan_json
from planner.planning.week import PlanResult
from planner.routing.problem import Group, RoutingProblem, Visit
from planner.routing.solver import MaxIterations, Route, Solution, Stop, solve
from planner.routing.validate import validate

from .sample import at, sample_plan, shift

T0 = at(0, 0)  # Monday 00:00 of the sample week


# ------------------------------------------------------------------------ placement


def test_relief_shift_keeps_its_break_clear_of_the_relieved_visit() -> None:
    """The second of two early shifts keeps a relief visit possible when placing its break.

    A required hour 11:00-12:00 (a post slot) 10 minutes from the station: the first shift
    could make it alone, so without ``relief`` the second's break is drawn freely; with it,
    the second shift's break leaves the hour reachable on one leg or the other.
    """
    h = 3600.0
    mat = np.array([[0.0, 600.0], [600.0, 0.0]])
    post = Visit("P#post#1100", 1, h, ((11 * h, 11 * h),), 1.0, required=True)
    shifts = [shift("CAR-1 Mon early", 8), shift("CAR-2 Mon early", 8)]
    cfg = BreakConfig(seed=0)

    def second_break(relief: tuple[str, ...]) -> tuple[float, float]:
        _, _, breaks = shift_vehicles(
            shifts,
            {"ST-1": 0},
            T0,
            cfg,
            required=[post],
            travel_time_s={"car": mat},
            relief=relief,
        )
        b = breaks["CAR-2 Mon early"]
        return b.start_s, b.end_s

    start, end = second_break(("P#post#1100",))
    # Free of the hour with the travel either side: done by 10:50 or started after 12:10.
    assert end <= 11 * h - 600 or start >= 12 * h + 600
    # Some seed draws the break across the hour when the visit is not at stake.
    drawn = [
        shift_vehicles(
            shifts,
            {"ST-1": 0},
            T0,
            BreakConfig(seed=k),
            required=[post],
            travel_time_s={"car": mat},
        )[2]["CAR-2 Mon early"]
        for k in range(20)
    ]
    assert any(b.start_s < 12 * h + 600 and b.end_s > 11 * h - 600 for b in drawn)


def test_break_keeps_most_of_a_post_no_slot_keeps_whole() -> None:
    """When no break slot keeps every hour of a post, the one keeping the most hours wins.

    A 07:00-15:00 shift, 20 minutes from a post held 10:20-14:20 in four required hours: a
    break (starting 10:00-12:15) cuts into the post wherever it goes. A 10:00 or 10:15 break
    keeps three hours (11:20, 12:20, 13:20 on leg 2); every later slot keeps at most two.
    The break must be one of those two whatever the seed draws first.
    """
    h = 3600.0
    mat = np.array([[0.0, 1200.0], [1200.0, 0.0]])
    slots = [
        Visit(f"P#post#{k}", 1, h, (((10 + k) * h + 1200, (10 + k) * h + 1200),), 1.0, True)
        for k in range(4)
    ]
    for seed in range(8):
        _, _, breaks = shift_vehicles(
            [shift("CAR-1 Mon early", 8)],
            {"ST-1": 0},
            T0,
            BreakConfig(seed=seed),
            required=slots,
            travel_time_s={"car": mat},
        )
        assert breaks["CAR-1 Mon early"].start_s in (10 * h, 10.25 * h), seed


def test_break_placement_is_deterministic_inside_bounds_and_on_grid() -> None:
    cfg = BreakConfig()
    offsets = {break_offset_s(f"CAR-{i} Mon early", cfg) for i in range(40)}
    for off in offsets:
        assert 3 * 3600 <= off <= 6 * 3600 - 45 * 60
        assert off % BREAK_GRID_S == 0
    assert len(offsets) > 3, "breaks vary between shifts"
    assert break_offset_s("CAR-1 Mon early", cfg) == break_offset_s("CAR-1 Mon early", cfg)
    other = BreakConfig(seed=7)
    assert [break_offset_s(f"S{i}", cfg) for i in range(20)] != [
        break_offset_s(f"S{i}", other) for i in range(20)
    ]


def test_break_config_rules() -> None:
    with pytest.raises(ValidationError, match="latest_h"):
        BreakConfig(earliest_h=5.5, latest_h=6.0)
    with pytest.raises(ValidationError):
        BreakConfig(where="in_car")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        BreakConfig(latest_h=7.0)
    assert BreakConfig(duration_min=0, earliest_h=5.5).duration_min == 0


def test_legs_split_shift_and_pay() -> None:
    shifts = [shift("CAR-1 Mon early", 8), shift("CAR-2 Mon short", 5)]
    vehicles, legs, breaks = shift_vehicles(shifts, {"ST-1": 0}, T0, BreakConfig())
    ids = [v.vehicle_id for v in vehicles]
    assert ids == ["CAR-1 Mon early~1", "CAR-1 Mon early~2", "CAR-2 Mon short"]
    brk = breaks["CAR-1 Mon early"]
    leg1, leg2 = vehicles[:2]
    assert leg1.earliest_start_s == 7 * 3600 and leg1.latest_end_s == brk.start_s
    assert leg2.earliest_start_s == brk.end_s == brk.start_s + 45 * 60
    assert leg2.latest_end_s == 15 * 3600
    assert leg1.paid_hours + leg2.paid_hours == pytest.approx(16.0)
    assert vehicles[2].paid_hours == 10.0 and "CAR-2 Mon short" not in breaks
    assert legs["CAR-1 Mon early~2"] == ShiftLeg("CAR-1 Mon early~2", "CAR-1 Mon early", 2)
    off, _, _ = shift_vehicles(shifts, {"ST-1": 0}, T0, BreakConfig(duration_min=0))
    assert [v.vehicle_id for v in off] == ["CAR-1 Mon early", "CAR-2 Mon short"]


# ------------------------------------------------------------------------ hand-built problems


def small_problem(cfg: BreakConfig) -> tuple[RoutingProblem, dict[str, ShiftLeg]]:
    """One 8-hour car shift from a station (0) and four sites 10 minutes apart."""
    n = 5
    mat = np.full((n, n), 600.0)
    np.fill_diagonal(mat, 0.0)
    vehicles, legs, _ = shift_vehicles([shift("CAR-1 Mon early", 8)], {"ST-1": 0}, T0, cfg)
    h = 3600.0
    visits = (
        Visit("a#1", 1, 900.0, ((8 * h, 9 * h),), 1.0, group="a"),
        Visit("b#1", 2, 900.0, ((9 * h, 14 * h),), 1.0, group="b"),
        Visit("c#1", 3, 900.0, ((7 * h, 15 * h),), 1.0, group="c"),
        Visit("d#1", 4, 900.0, ((14 * h, 14.5 * h),), 1.0, group="d"),
    )
    groups = tuple(Group(g, 0.0) for g in "abcd")
    problem = RoutingProblem(
        "small", visits, tuple(vehicles), groups, {"car": mat}, budget_paid_hours=16.0
    )
    return problem, legs


def test_solved_legs_merge_and_keep_clear_of_the_break() -> None:
    cfg = BreakConfig()
    problem, legs = small_problem(cfg)
    _, _, breaks = shift_vehicles([shift("CAR-1 Mon early", 8)], {"ST-1": 0}, T0, cfg)
    solution = retime(problem, solve(problem, stop=MaxIterations(50), seed=1))
    assert validate(problem, solution).ok
    assert not solution.unserved
    [route] = merge_legs(solution, legs, breaks)
    brk = breaks["CAR-1 Mon early"]
    assert route.vehicle_id == "CAR-1 Mon early" and len(route.stops) == 4
    starts = [s.start_s for s in route.stops]
    assert starts == sorted(starts)
    services = {v.visit_id: v.service_s for v in problem.visits}
    for s in route.stops:
        assert s.start_s + services[s.visit_id] <= brk.start_s or s.start_s >= brk.end_s
    if route.break_return_s is not None:
        assert route.break_return_s <= brk.start_s
    if route.break_leave_s is not None:
        assert route.break_leave_s >= brk.end_s


def test_late_departure_keeps_service_starts() -> None:
    problem, _ = small_problem(BreakConfig(duration_min=0))
    h = 3600.0
    # As a solver may leave it: out at the shift's start, waiting outside each site.
    stops = (
        Stop("a#1", 7 * h + 600, 8 * h, 8.25 * h),
        Stop("d#1", 8.25 * h + 600, 14 * h, 14.25 * h),
    )
    early = Solution(
        "small",
        1,
        (Route("CAR-1 Mon early", stops, 7 * h, 14.25 * h + 600),),
        ("b#1", "c#1"),
        2.0,
        0.0,
        0.0,
        "ok",
    )
    assert validate(problem, early).ok
    late = retime(problem, early)
    assert validate(problem, late).ok
    [route] = late.routes
    assert [s.start_s for s in route.stops] == [8 * h, 14 * h]
    assert route.leave_s == 8 * h - 600  # leaves the station 10 minutes before the start
    assert [s.arrival_s for s in route.stops] == [8 * h, 14 * h]  # no wait outside a site
    assert route.stops[0].departure_s == 14 * h - 600  # waits at a's site instead
    assert route.return_s == early.routes[0].return_s


def test_repeats_over_both_legs_are_dropped() -> None:
    cfg = BreakConfig()
    problem, legs = small_problem(cfg)
    h = 3600.0
    twice = dataclasses.replace(
        problem,
        visits=(*problem.visits, Visit("a#2", 1, 900.0, ((13.5 * h, 14 * h),), 1.0, group="a")),
    )
    leg1, leg2 = (v.vehicle_id for v in twice.vehicles)
    brk_end = twice.vehicles[1].earliest_start_s
    solution = Solution(
        "small",
        1,
        (
            Route(leg1, (Stop("a#1", 7 * h + 600, 8 * h, 8.25 * h),), 7 * h, 8.25 * h + 600),
            Route(
                leg2,
                (
                    Stop("a#2", brk_end + 600, 13.5 * h, 13.75 * h),
                    Stop("d#1", 13.75 * h + 600, 14 * h, 14.25 * h),
                ),
                brk_end,
                14.25 * h + 600,
            ),
        ),
        ("b#1", "c#1"),
        3.0,
        0.0,
        0.0,
        "ok",
    )
    assert validate(twice, solution).ok
    kept = drop_repeats(twice, solution, legs)
    assert validate(twice, kept).ok
    assert [s.visit_id for r in kept.routes for s in r.stops] == ["a#1", "d#1"]
    assert "a#2" in kept.unserved and kept.total_prize == 2.0


# ------------------------------------------------------------------------ time budget


def test_time_budget_reasons_on_hand_built_routes() -> None:
    route = sample_plan().routes[0]  # 07-15, out 07:30-14:00, stops 08:05 and 11:05
    t = route.time_budget()
    assert t.paid_s == 8 * 3600 and t.break_s == 0
    assert t.on_site_s + t.travel_s + t.break_s + t.idle_s == pytest.approx(t.paid_s)
    assert t.idle_reason == "waiting for windows"
    ran_out = dataclasses.replace(
        route,
        stops=route.stops[:1],
        leave=at(0, 7, 55),
        return_=at(0, 8, 30),
    )
    assert ran_out.time_budget().idle_reason == "demand ran out"
    assert dataclasses.replace(route, stops=()).time_budget().idle_reason == (
        "no demand reachable in the shift"
    )


# ------------------------------------------------------------------------ the demo


def test_demo_breaks_are_valid_and_merged(demo_plan: PlanResult) -> None:
    plan, model = demo_plan.plan, demo_plan.model
    assert validate_breaks(model, plan) == []
    assert len({r.route_id for r in plan.routes}) == len(plan.routes)
    with_break = [r for r in plan.routes if r.break_start is not None]
    assert with_break, "the demo's 8-hour shifts have breaks"
    cfg = model.inputs.config.breaks
    for r in with_break:
        assert r.break_end is not None
        assert [s.order for s in r.stops] == list(range(1, len(r.stops) + 1))
        off = (r.break_start - r.shift_start).total_seconds()
        assert cfg.earliest_h * 3600 <= off
        assert off + cfg.duration_min * 60 <= cfg.latest_h * 3600
        assert (r.break_end - r.break_start).total_seconds() == cfg.duration_min * 60
        for s in r.stops:
            end = s.start + dt.timedelta(seconds=s.dwell_s)
            assert end <= r.break_start or s.start >= r.break_end
    assert len({(r.break_start - r.shift_start) for r in with_break}) > 1


def test_demo_time_budget_sums_to_paid(demo_plan: PlanResult) -> None:
    for r in demo_plan.plan.routes:
        t = r.time_budget()
        assert t.idle_s >= 0 and 0 <= t.utilisation <= 1 + 1e-9
        assert t.on_site_s + t.travel_s + t.break_s + t.idle_s == pytest.approx(t.paid_s)
        assert t.waiting_s + t.ran_out_s == pytest.approx(t.idle_s)
    total = demo_plan.plan.time_use()
    assert total.paid_s == pytest.approx(sum(r.time_budget().paid_s for r in demo_plan.plan.routes))
    assert "time use:" in demo_plan.plan.summary()


def test_demo_units_leave_when_needed(demo_plan: PlanResult) -> None:
    """No unit waits outside a site: it arrives as its service starts."""
    for s in demo_plan.plan.stops:
        assert abs((s.start - s.arrival).total_seconds()) < 1e-3


def test_validator_catches_moved_break(demo_plan: PlanResult) -> None:
    plan, model = demo_plan.plan, demo_plan.model
    i, r = next((i, r) for i, r in enumerate(plan.routes) if r.break_start and r.stops)
    assert r.break_start is not None and r.break_end is not None

    def moved(**kw: object) -> Plan:
        routes = list(plan.routes)
        routes[i] = dataclasses.replace(r, **kw)  # type: ignore[arg-type]
        return dataclasses.replace(plan, routes=tuple(routes))

    early = dt.timedelta(hours=3)
    errs = validate_breaks(
        model, moved(break_start=r.break_start - early, break_end=r.break_end - early)
    )
    assert any("before earliest_h" in e for e in errs)
    errs = validate_breaks(model, moved(break_end=r.break_end + dt.timedelta(minutes=5)))
    assert any("break lasts" in e for e in errs)
    errs = validate_breaks(model, moved(break_start=None, break_end=None))
    assert any("has no break" in e for e in errs)
    # Over a stop: the break moved onto the first stop's service.
    s = r.stops[0]
    errs = validate_breaks(
        model, moved(break_start=s.start, break_end=s.start + dt.timedelta(minutes=45))
    )
    assert any("overlaps the break" in e for e in errs)


def test_plan_json_keeps_breaks(demo_plan: PlanResult, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_plan_json(demo_plan.plan, tmp_path / "plan.json")
    back = read_plan_json(path)
    assert back.to_dict() == demo_plan.plan.to_dict()
    r = next(r for r in back.routes if r.break_start is not None)
    orig = next(o for o in demo_plan.plan.routes if o.route_id == r.route_id)
    assert r.break_start == orig.break_start and r.break_leave == orig.break_leave


def test_old_plan_without_break_fields_reads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    doc = sample_plan().to_dict()
    for route in doc["routes"]:
        for key in ("break_start", "break_end", "break_return", "break_leave"):
            del route[key]
    plan = Plan.from_dict(doc)
    assert plan.routes[0].break_start is None and plan.routes[0].break_leave is None
