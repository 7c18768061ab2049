"""The force planner's main job end to end (planner.planning.week)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from planner.config import ForceConfig, load_config
from planner.errors import InfeasibleError
from planner.planning.model import same_time_next_week
from planner.planning.plan import read_plan_json, write_plan_json
from planner.planning.week import PlanResult, make_plan, stop_from
from planner.routing.solver import MaxIterations, MaxRuntime
from planner.routing.validate import validate

REPO = Path(__file__).resolve().parents[2]
ITERATIONS = 100  # an iteration stop: the same plan on any machine, however busy


def with_week(config: ForceConfig, iso_week: str) -> ForceConfig:
    """The config for another week."""
    return config.model_copy(update={"week": config.week.model_copy(update={"iso_week": iso_week})})


@pytest.fixture(scope="module")
def demo_config() -> ForceConfig:
    """The demo town's configuration."""
    return load_config(REPO / "data" / "demo" / "force.toml")


@pytest.fixture(scope="module")
def demo_plan(demo_config: ForceConfig, tmp_path_factory: pytest.TempPathFactory) -> PlanResult:
    """The demo's plan for 2026-W49."""
    return make_plan(
        demo_config, cache_dir=tmp_path_factory.mktemp("c"), stop=MaxIterations(ITERATIONS)
    )


def test_demo_plan_is_valid_and_complete(demo_plan: PlanResult) -> None:
    """The plan validates, serves every required visit, and every requirement is accounted for."""
    assert validate(demo_plan.model.problem, demo_plan.solution).ok
    plan = demo_plan.plan
    assert not [u for u in plan.unserved if u.required]
    asked = {v.visit_id for v in demo_plan.inputs.demand.visits}
    offered = {v.visit_id for v in demo_plan.model.requirements}
    made = {s.visit_id for s in plan.stops}
    # Every requirement is made or reported; the rest of the stops are hot-spot candidates.
    assert asked <= made | {u.visit_id for u in plan.unserved}
    assert made - asked <= offered - asked
    assert {u.visit_id for u in plan.unserved} <= asked
    assert all(u.reason for u in plan.unserved)
    assert plan.budget["used_officer_hours"] <= plan.budget["funded_officer_hours"]
    for route in plan.routes:
        assert route.shift_start <= route.leave and route.return_ <= route.shift_end
        assert all(s.arrival <= s.start < s.departure for s in route.stops)


def test_plan_json_round_trip(demo_plan: PlanResult, tmp_path: Path) -> None:
    """plan.json reads back into an identical plan object."""
    path = write_plan_json(demo_plan.plan, tmp_path / "plan.json")
    assert read_plan_json(path) == demo_plan.plan


def test_same_seed_same_plan(
    demo_config: ForceConfig, demo_plan: PlanResult, tmp_path: Path
) -> None:
    """Planning the same week again with the same seed gives the same routes and times."""
    again = make_plan(demo_config, cache_dir=tmp_path, stop=MaxIterations(ITERATIONS))
    assert again.plan.routes == demo_plan.plan.routes
    assert again.plan.seed == demo_plan.plan.seed


def test_different_weeks_differ(
    demo_config: ForceConfig, demo_plan: PlanResult, tmp_path: Path
) -> None:
    """Another week uses another seed and gives different visit timings."""
    other = make_plan(
        with_week(demo_config, "2026-W50"), cache_dir=tmp_path, stop=MaxIterations(ITERATIONS)
    )
    assert other.plan.seed != demo_plan.plan.seed
    this = {(s.site_id, s.start.astimezone(dt.UTC).time()) for s in demo_plan.plan.stops}
    that = {(s.site_id, s.start.astimezone(dt.UTC).time()) for s in other.plan.stops}
    assert this != that


def test_keeps_away_from_last_week(
    demo_config: ForceConfig, demo_plan: PlanResult, tmp_path: Path
) -> None:
    """With last week's plan, no visit starts within 60 minutes of last week's time there; the cost is reported.

    Fixed-time requirements (required visits such as Jumu'ah, post slots) are exempt: their
    window is the point.
    """
    last = write_plan_json(demo_plan.plan, tmp_path / "last.json")
    result = make_plan(
        with_week(demo_config, "2026-W50"),
        cache_dir=tmp_path,
        stop=MaxIterations(ITERATIONS),
        previous_plan=last,
        avoid_min=60,
    )
    previous = demo_plan.plan.previous_visits()
    fixed = {r.visit_id for r in result.model.requirements if r.required or r.presence == "post"}
    for stop in result.plan.stops:
        if stop.visit_id in fixed:
            continue
        for t in previous.get(stop.site_id, []):
            gap = abs((stop.start - same_time_next_week(t)).total_seconds())
            assert gap >= 60 * 60 - 1e-6, (stop.visit_id, stop.start, t)
    unp = result.plan.unpredictability
    assert unp is not None and unp.sites_constrained > 0
    assert unp.prize_without is not None and unp.prize_with is not None
    assert "unpredictability" in result.plan.summary()


def test_required_visit_nobody_can_make(demo_config: ForceConfig, tmp_path: Path) -> None:
    """With money for no unit-shift at all, the required surgeries are named in a clear error."""
    cfg = demo_config.model_copy(
        update={"budget": demo_config.budget.model_copy(update={"pounds_per_week": 100.0})}
    )
    with pytest.raises(InfeasibleError, match="NB-SUR-1"):
        make_plan(cfg, cache_dir=tmp_path, stop=MaxIterations(ITERATIONS))


def test_rutland_plan_with_real_hotspots(tmp_path: Path) -> None:
    """Rutland, Leicestershire's real crimes: a valid plan that visits real hot spots."""
    result = make_plan(
        load_config(REPO / "data" / "rutland" / "force.toml"),
        cache_dir=tmp_path,
        stop=MaxIterations(ITERATIONS),
    )
    assert validate(result.model.problem, result.solution).ok
    kinds = {s.kind for s in result.plan.stops}
    assert "hotspot" in kinds and "mp_office" in kinds
    assert (
        result.plan.protective_marking == "OFFICIAL-SENSITIVE" and result.plan.contains_mp_premises
    )


def test_round_trip_across_clock_change(tmp_path: Path) -> None:
    """Rutland's week spans the clocks going back; its plan still reads back equal."""
    result = make_plan(
        load_config(REPO / "data" / "rutland" / "force.toml"),
        cache_dir=tmp_path,
        stop=MaxIterations(ITERATIONS),
    )
    assert read_plan_json(write_plan_json(result.plan, tmp_path / "plan.json")) == result.plan


def test_stop_from_options_and_config(demo_config: ForceConfig) -> None:
    """Options win over the config; the config's iterations stop it, with its limit if set."""
    assert stop_from(demo_config, 5.0) == MaxRuntime(5)
    assert stop_from(demo_config, None, 300) == MaxIterations(300)
    assert stop_from(demo_config, 5.0, 300) == MaxIterations(300) | MaxRuntime(5)
    limit = demo_config.solver.time_limit_s
    assert stop_from(demo_config) == MaxRuntime(limit)  # the demo sets no iterations
    solver = demo_config.solver.model_copy(update={"iterations": 50})
    with_iterations = demo_config.model_copy(update={"solver": solver})
    # The demo's file sets time_limit_s, so it stays as the safety net.
    assert stop_from(with_iterations) == MaxIterations(50) | MaxRuntime(limit)
    bare = type(solver).model_validate({"seed": 1, "iterations": 50})
    assert stop_from(demo_config.model_copy(update={"solver": bare})) == MaxIterations(50)


def test_plan_records_the_stop(demo_plan: PlanResult) -> None:
    """plan.json's solver section says how the search was stopped and how it ended."""
    solver = demo_plan.plan.solver
    assert solver["stop"] == solver["stopped_by"] == f"MaxIterations({ITERATIONS})"
    assert solver["iterations"] == ITERATIONS and solver["status"] == "ok"
    assert solver["time_limit_s"] is None


def test_relief_also_with_last_weeks_plan(rutland_plan: PlanResult, tmp_path: Path) -> None:
    """Planning with last week's plan still buys relief for a post the first unit cannot hold.

    Rutland's Saturday protest: the early car is busy with a surgery at 11:00, so the first
    hour needs a second unit-shift (the foot unit), as without a previous plan; the post is
    held to its end at the shift change, the unit on it driving back on overtime.
    """
    last = dataclasses.replace(rutland_plan.plan, week="2022-W42")
    path = write_plan_json(last, tmp_path / "last.json")
    result = make_plan(
        load_config(REPO / "data" / "rutland" / "force.toml"),
        cache_dir=tmp_path,
        stop=MaxIterations(30),
        previous_plan=path,
    )
    missed = {u.visit_id for u in result.plan.unserved if u.site_id == "R-PRO-1"}
    assert missed == set(), missed
