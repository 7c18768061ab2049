"""A demo plan made with randomised control hot-spot-days: no hot-spot visit on a control day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from planner.config import EvaluationConfig, load_config
from planner.planning.plan import read_plan_json, write_plan_json
from planner.planning.week import PlanResult, make_plan
from planner.routing.solver import MaxIterations

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def control_plan(tmp_path_factory: pytest.TempPathFactory) -> PlanResult:
    cfg = load_config(REPO / "data" / "demo" / "force.toml")
    cfg = cfg.model_copy(update={"evaluation": EvaluationConfig(control_share=0.3, seed=7)})
    # The same cache as the session's demo plan (tests/conftest.py).
    cache = tmp_path_factory.getbasetemp() / "planner-cache"
    return make_plan(cfg, cache_dir=cache, stop=MaxIterations(30))


def test_control_days_get_no_hot_spot_visit(control_plan: PlanResult) -> None:
    plan = control_plan.plan
    ev = plan.evaluation
    assert ev is not None and ev.control_share == 0.3 and ev.seed == 7
    hot = {s for s, _ in (*ev.control, *ev.treated)}
    assert len(ev.control) == round(0.3 * len(hot) * 7)
    control = set(ev.control)
    # A candidate's id is <site>@<local start of its band>: the band's day is the visit's day.
    visits = [
        (s.site_id, dt.date.fromisoformat(s.visit_id.split("@")[1][:10]))
        for s in plan.stops
        if s.kind == "hotspot"
    ]
    assert visits and not [v for v in visits if v in control]
    assert {v for v in visits} & set(ev.treated)


def test_the_choice_reads_back_from_plan_json(control_plan: PlanResult, tmp_path: Path) -> None:
    path = write_plan_json(control_plan.plan, tmp_path / "plan.json")
    again = read_plan_json(path)
    assert again == control_plan.plan and again.evaluation == control_plan.plan.evaluation


def test_the_demo_has_no_control_days(demo_plan: PlanResult) -> None:
    assert demo_plan.plan.evaluation is None
