"""Mid-week re-planning on the demo (planner.planning.replan, ``planner replan``)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.common import LONDON
from planner.config import ForceConfig, load_config
from planner.demand.resources import UnitShift, candidate_shifts
from planner.errors import InputError
from planner.planning.plan import IdleShift, Plan, read_plan_json, write_plan_json
from planner.planning.replan import ReplanResult, replan
from planner.planning.week import make_plan, unrouted_shifts
from planner.routing.solver import MaxIterations

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo" / "force.toml"
ITERATIONS = 30  # an iteration stop: the same plans on any machine, however busy
#: Wednesday 12:00 of the demo's week 2026-W49, Europe/London.
CUTOFF = "2026-12-02T12:00"
CUT = dt.datetime(2026, 12, 2, 12, 0, tzinfo=LONDON)
PROTEST = (
    "site_id,name,kind,risk,lon,lat,windows,presence,notes\n"
    'NB-PRO-9,"Protest announced on Tuesday, Market Square (fictional)",protest,high,'
    '-1.048546,52.799209,2026-12-03 16:15-18:15,post,"Announced at a day\'s notice"\n'
)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One network cache for every plan of this module."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def demo_config() -> ForceConfig:
    """The demo town's configuration (week 2026-W49)."""
    return load_config(DEMO)


@pytest.fixture(scope="module")
def monday_plan(
    demo_config: ForceConfig, cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The demo's plan for the week, as made on Monday: its plan.json."""
    result = make_plan(demo_config, cache_dir=cache, stop=MaxIterations(ITERATIONS))
    return write_plan_json(result.plan, tmp_path_factory.mktemp("monday") / "plan.json")


@pytest.fixture(scope="module")
def unchanged(demo_config: ForceConfig, monday_plan: Path, cache: Path) -> ReplanResult:
    """Monday's plan re-made from Wednesday 12:00 with nothing changed."""
    return replan(
        demo_config,
        previous_plan=monday_plan,
        cutoff=CUTOFF,
        cache_dir=cache,
        stop=MaxIterations(ITERATIONS),
    )


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_no_change_keeps_what_is_done_and_most_of_the_rest(
    unchanged: ReplanResult, monday_plan: Path
) -> None:
    """Routes started before the cut-off stay exactly; most later visits stay unchanged."""
    old = read_plan_json(monday_plan)
    before = [r for r in old.routes if r.shift_start < CUT]
    assert before and [r for r in unchanged.plan.routes if r.shift_start < CUT] == before
    record = unchanged.plan.replan
    assert record is not None and record.previous_plan == str(monday_plan)
    assert record.cutoff == CUT and record.kept_routes == len(before)
    # A visit that can stay, stays: with nothing changed, next to every visit stays.
    assert record.unchanged_share is not None and record.unchanged_share >= 0.9
    plan = unchanged.plan
    assert plan.budget["used_officer_hours"] <= plan.budget["funded_officer_hours"] + 1e-6
    # No visit is made twice, and every visit of either plan is accounted for in changes.
    made = [s.visit_id for s in plan.stops]
    assert len(made) == len(set(made))
    kinds = {c.change for c in unchanged.changes}
    assert kinds <= {"kept", "moved", "removed", "added"}
    assert sum(c.change != "added" for c in unchanged.changes) == len(old.stops)
    assert sum(c.change != "removed" for c in unchanged.changes) == len(plan.stops)


def test_plan_json_records_the_replan(unchanged: ReplanResult, tmp_path: Path) -> None:
    """The replan record survives plan.json; a plan without one still reads (as None)."""
    path = write_plan_json(unchanged.plan, tmp_path / "plan.json")
    assert read_plan_json(path) == unchanged.plan
    doc = json.loads(path.read_text())
    del doc["replan"]
    assert Plan.from_dict(doc).replan is None


def test_a_new_protest_is_planned(
    demo_config: ForceConfig, monday_plan: Path, cache: Path, tmp_path: Path
) -> None:
    """A protest announced mid-week, given with --sites, gets its post held."""
    extra = _csv(tmp_path / "extra.csv", PROTEST)
    got = replan(
        demo_config,
        previous_plan=monday_plan,
        cutoff=CUTOFF,
        cache_dir=cache,
        extra_sites=[extra],
        stop=MaxIterations(ITERATIONS),
    )
    held = [s for s in got.plan.stops if s.site_id == "NB-PRO-9"]
    assert held and all(s.presence == "post" for s in held)
    assert not [u for u in got.plan.unserved if u.site_id == "NB-PRO-9"]
    added = [c for c in got.changes if c.site_id == "NB-PRO-9"]
    assert added and all(c.change == "added" and "new site" in c.reason for c in added)


def test_an_unavailable_unit_gets_no_route_after_the_cut_off(
    demo_config: ForceConfig, monday_plan: Path, cache: Path, tmp_path: Path
) -> None:
    """A unit listed with no date or shift works no re-planned unit-shift."""
    off = _csv(tmp_path / "unavailable.csv", "unit,date,shift\nNB-CAR-2,,\n")
    got = replan(
        demo_config,
        previous_plan=monday_plan,
        cutoff=CUTOFF,
        cache_dir=cache,
        unavailable=off,
        stop=MaxIterations(ITERATIONS),
    )
    assert not [r for r in got.plan.routes if r.unit_id == "NB-CAR-2" and r.shift_start >= CUT]
    assert [r for r in got.plan.routes if r.unit_id == "NB-CAR-2"]  # its earlier ones stay
    gone = [c for c in got.changes if c.old_unit == "NB-CAR-2" and c.change in {"moved", "removed"}]
    assert gone and all("unavailable" in c.reason for c in gone)


def test_a_lock_keeps_its_visit(
    demo_config: ForceConfig, monday_plan: Path, cache: Path, tmp_path: Path
) -> None:
    """A visit named in locks.csv stays on its unit at its time."""
    old = read_plan_json(monday_plan)
    route = next(r for r in old.routes if r.shift_start >= CUT and r.stops)
    stop = route.stops[len(route.stops) // 2]
    locks = _csv(
        tmp_path / "locks.csv",
        f"unit,date,shift,site_id\n{route.unit_id},{route.day},{route.shift},{stop.site_id}\n",
    )
    got = replan(
        demo_config,
        previous_plan=monday_plan,
        cutoff=CUTOFF,
        cache_dir=cache,
        locks=locks,
        stop=MaxIterations(ITERATIONS),
    )
    new = next(r for r in got.plan.routes if r.route_id == route.route_id)
    assert any(s.site_id == stop.site_id and s.start == stop.start for s in new.stops)
    assert got.plan.replan is not None and got.plan.replan.locked_visits >= 1


@pytest.mark.parametrize("cutoff", ["2026-12-09T12:00", "2026-11-29T23:59", "Wednesday noon"])
def test_a_cut_off_outside_the_week_is_refused(
    demo_config: ForceConfig, monday_plan: Path, tmp_path: Path, cutoff: str
) -> None:
    """A --from time outside the plan's week (or not a time) is an error naming --from."""
    with pytest.raises(InputError) as err:
        replan(demo_config, previous_plan=monday_plan, cutoff=cutoff, cache_dir=tmp_path)
    assert err.value.field == "--from"


def test_a_lock_naming_no_visit_is_refused(
    demo_config: ForceConfig, monday_plan: Path, tmp_path: Path
) -> None:
    """A locks.csv row naming a site the route does not visit names its file, row and field."""
    old = read_plan_json(monday_plan)
    route = next(r for r in old.routes if r.shift_start >= CUT)
    locks = _csv(
        tmp_path / "locks.csv",
        f"unit,date,shift,site_id\n{route.unit_id},{route.day},{route.shift},NO-SUCH-SITE\n",
    )
    with pytest.raises(InputError) as err:
        replan(
            demo_config, previous_plan=monday_plan, cutoff=CUTOFF, cache_dir=tmp_path, locks=locks
        )
    assert (err.value.path, err.value.row, err.value.field) == (locks, 1, "site_id")


def test_replan_command_writes_a_linked_run(monday_plan: Path, cache: Path, tmp_path: Path) -> None:
    """`planner replan` writes a run folder with changes.csv and a Changes section."""
    out = tmp_path / "replan"
    result = CliRunner().invoke(
        cli,
        [
            "replan",
            str(DEMO),
            "--plan",
            str(monday_plan),
            "--from",
            CUTOFF,
            "--iterations",
            str(ITERATIONS),
            "--cache-dir",
            str(cache),
            "--out",
            str(out),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "changes:" in result.stdout and "unchanged" in result.stdout
    plan = read_plan_json(out / "plan.json")
    assert plan.replan is not None and plan.replan.previous_plan == str(monday_plan)
    with (out / "changes.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and {r["change"] for r in rows} <= {"kept", "moved", "removed", "added"}
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "## Changes" in summary
    assert summary.rstrip().splitlines()[-1] == summary.splitlines()[0]  # marking stays last
    bad = CliRunner().invoke(
        cli,
        ["replan", str(DEMO), "--plan", str(monday_plan), "--from", "2026-12-09T12:00"],
    )
    assert bad.exit_code == 2 and "--from" in bad.stderr


def test_map_shows_what_changed(unchanged: ReplanResult) -> None:
    """The re-planned run's map has a Changes layer: one marker per changed site, its counts.

    Checked on the rendered HTML: the layer's name, one ``planner-change`` marker per site
    with an added, removed or moved visit, and a redacted map never naming a restricted site.
    """
    from planner.outputs.map import plan_map, render_map

    changed = {c.site_id for c in unchanged.changes if c.change != "kept"}
    sites = {s.site_id: s for s in unchanged.result.inputs.demand.sites}
    drawn = {sid for sid in changed if sid in sites}
    assert drawn, "the re-plan changed nothing: the test needs a change"
    page = render_map(plan_map(unchanged.result, changes=unchanged.changes))
    assert "Changes since the earlier plan" in page
    assert page.count('class=\\"planner-change\\"') + page.count('class="planner-change"') == len(
        drawn
    )
    plain = render_map(plan_map(unchanged.result))
    assert "Changes since the earlier plan" not in plain
    restricted = [sites[sid] for sid in drawn if sites[sid].restricted]
    redacted = render_map(plan_map(unchanged.result, changes=unchanged.changes, redact=True))
    for site in restricted:
        assert site.name not in redacted


def _idle(shift: UnitShift) -> IdleShift:
    """``shift`` as a plan records a bought unit-shift it gave no route."""
    (idle,) = unrouted_shifts([shift], ())
    return idle


def test_monday_plan_records_its_idle_unit_shifts(monday_plan: Path) -> None:
    """plan.json's idle_shifts are exactly the bought hours no route used; absent reads as none."""
    plan = read_plan_json(monday_plan)
    idle_h = sum(i.paid_officer_hours for i in plan.idle_shifts)
    bought = plan.budget["bought_officer_hours"] - plan.budget["used_officer_hours"]
    assert idle_h == pytest.approx(bought, abs=1e-3)
    routed = {r.route_id for r in plan.routes}
    assert not {i.shift_id for i in plan.idle_shifts} & routed
    doc = json.loads(monday_plan.read_text())
    del doc["idle_shifts"]
    assert Plan.from_dict(doc).idle_shifts == ()


def test_idle_unit_shifts_before_the_cut_off_are_spent(
    demo_config: ForceConfig,
    monday_plan: Path,
    unchanged: ReplanResult,
    cache: Path,
    tmp_path: Path,
) -> None:
    """A bought unit-shift given no route that started before the cut-off is spent.

    It was paid for. One starting after the cut-off can still be cancelled, so its money stays
    in the budget the re-plan spends.
    """
    old = read_plan_json(monday_plan)
    used = {r.route_id for r in old.routes} | {i.shift_id for i in old.idle_shifts}
    free = [c for c in candidate_shifts(demo_config) if c.shift_id not in used]
    before = next(c for c in free if c.end <= CUT)
    after = next(c for c in free if c.start >= CUT)
    with_idle = dataclasses.replace(
        old, idle_shifts=(*old.idle_shifts, _idle(before), _idle(after))
    )
    path = write_plan_json(with_idle, tmp_path / "plan.json")
    got = replan(
        demo_config,
        previous_plan=path,
        cutoff=CUTOFF,
        cache_dir=cache,
        stop=MaxIterations(ITERATIONS),
    )
    cost = demo_config.budget.cost_per_officer_hour
    # The money left for the re-plan is less by the idle shift before the cut-off only.
    left = got.result.inputs.resources.pounds_per_week
    assert left == pytest.approx(
        unchanged.result.inputs.resources.pounds_per_week - before.officer_hours * cost
    )
    plan = got.plan
    # Spent and carried on: the next re-plan of this plan counts it again.
    assert _idle(before) in plan.idle_shifts and _idle(after) not in plan.idle_shifts
    routes_h = sum(r.paid_officer_hours for r in plan.routes)
    assert plan.budget["used_officer_hours"] == pytest.approx(
        routes_h + sum(i.paid_officer_hours for i in plan.idle_shifts if i.shift_start < CUT),
        abs=1e-3,
    )
    assert plan.budget["used_officer_hours"] <= plan.budget["funded_officer_hours"] + 1e-6
    assert read_plan_json(write_plan_json(plan, tmp_path / "again.json")) == plan
