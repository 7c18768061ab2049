"""Reassurance patrols in a whole week: Westminster's example, which has no crime data.

Without hot spots its units used to stand idle most of their paid time (utilisation 21%).
Patrols at its tension sites fill that time, and the plan stays valid by the independent
checks (run by ``make_plan``) and says what it did.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.config import MP_KINDS, load_config
from planner.demand.dosage import PATROL_WINDOW
from planner.outputs.summary import run_facts, summary_figures, summary_markdown
from planner.planning.plan import write_plan_json
from planner.planning.quality import measure
from planner.planning.replan import replan
from planner.planning.rule_check import rule_errors
from planner.planning.week import PlanResult, make_plan
from planner.routing.solver import MaxIterations

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def westminster(tmp_path_factory: pytest.TempPathFactory) -> PlanResult:
    """Westminster's example week, stopped on iterations (the same plan on any machine)."""
    config = load_config(REPO / "data" / "westminster" / "force.toml")
    return make_plan(config, cache_dir=tmp_path_factory.mktemp("cache"), stop=MaxIterations(300))


def test_patrols_fill_the_paid_time(westminster: PlanResult) -> None:
    """Every bought unit-shift is deployed and at least 85% of its working time is used."""
    plan, model = westminster.plan, westminster.model
    selected = model.inputs.resources.selected
    quality = measure(
        plan,
        bought=len(selected),
        bought_paid_s=sum(s.hours for s in selected) * 3600,
        hotspot_harm={},
        requirements=model.requirements,
    )
    assert quality.deployed == quality.bought == len(selected) > 0
    assert quality.utilisation >= 0.85
    assert quality.repeats == 0


def test_patrols_are_labelled_and_keep_their_sites_protection(westminster: PlanResult) -> None:
    """A patrol stop carries the patrol window and its site's kind (an MP's office stays one).

    No site's own visits were asked for in the patrol window, and the independent rule check
    passes again on the finished plan.
    """
    plan, model = westminster.plan, westminster.model
    patrols = [s for s in plan.stops if s.window == PATROL_WINDOW]
    assert patrols
    assert any(s.kind in MP_KINDS and s.police_contact for s in patrols)
    assert not [r for r in model.inputs.demand.visits if r.window == PATROL_WINDOW]
    demanded = {r.visit_id for r in model.inputs.demand.visits}
    offered = [r for r in model.requirements if r.visit_id not in demanded]
    overtime = model.inputs.config.demand.post_overtime_min
    assert rule_errors(plan, model.inputs.demand.visits, offered, overtime_max_min=overtime) == []


def test_summary_says_what_the_patrols_did(westminster: PlanResult) -> None:
    """The headline counts the patrols; the by-kind table gives them their own row."""
    plan = westminster.plan
    n = sum(s.window == PATROL_WINDOW for s in plan.stops)
    text = summary_markdown(plan, run_facts(westminster))
    assert f"**Reassurance patrols**: {n:,} at " in text
    rows = {r["kind"]: r for r in summary_figures(plan, run_facts(westminster)).by_kind}
    assert rows["reassurance_patrol"]["made"] == n
    office_made = sum(s.kind == "mp_office" and s.window != PATROL_WINDOW for s in plan.stops)
    assert rows["mp_office"]["made"] == office_made


def test_a_locked_patrol_is_kept_in_a_replan(westminster: PlanResult, tmp_path: Path) -> None:
    """Locking a site on a route keeps its reassurance patrols there, at their times.

    A locked patrol stays in its site's patrol group: with the site's own gap (12 hours at a
    place of worship) it clashed with the route's other patrols there, and was missed.
    The summary counts the kept routes among the bought unit-shifts (it said "6 of 5"). The
    route's first patrol, 07:04:54.844 after a drive from the station, is kept too: a lock's
    window of no width refused it by a fraction of a microsecond.
    """
    plan = westminster.plan
    route, stop = next(
        (r, s) for r in plan.routes for s in r.stops if s.window == PATROL_WINDOW and r.day.day > 5
    )
    locks = tmp_path / "locks.csv"
    locks.write_text(
        f"unit,date,shift,site_id\n{route.unit_id},{route.day},{route.shift},{stop.site_id}\n"
    )
    config = load_config(REPO / "data" / "westminster" / "force.toml")
    got = replan(
        config,
        previous_plan=write_plan_json(plan, tmp_path / "plan.json"),
        cutoff=f"{route.day}T00:00",
        cache_dir=tmp_path / "cache",
        locks=locks,
        stop=MaxIterations(100),
    )
    kept = [
        s
        for r in plan.routes
        if r.route_id == route.route_id
        for s in r.stops
        if s.site_id == stop.site_id
    ]
    new = next(r for r in got.plan.routes if r.route_id == route.route_id)
    assert {(s.start, s.window) for s in kept} <= {(s.start, s.window) for s in new.stops}
    assert not [u for u in got.plan.unserved if u.visit_id.startswith(f"{stop.site_id}@")]
    text = summary_markdown(got.plan, run_facts(got.result))
    n = len(got.plan.routes) + len(got.plan.idle_shifts)
    assert f"{len(got.plan.routes)} of {n} bought unit-shifts deployed" in text
