"""Every reason a visit is missed, each from a situation built to produce it (planner.planning.week).

Each test plans the demo town's week with a small site file and a rota or budget cut down so
that exactly one reason applies, then checks the reason the plan gives for the missed visit:
computed from the rota, the budget, the windows and the travel times, never guessed. Hot spots
are off, so the only visits are the ones the test asks for. Solves stop on iterations.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from planner.config import ForceConfig, load_config
from planner.planning.miss_reasons import _cheaper_around
from planner.planning.plan import Plan
from planner.planning.week import make_plan
from planner.routing.problem import RoutingProblem, Vehicle, Visit
from planner.routing.solver import MaxIterations, Solution
from planner.routing.solver.solution import Route, Stop

REPO = Path(__file__).resolve().parents[2]
HEADER = "site_id,name,kind,risk,lon,lat,windows,visits_per_week,min_gap_h,required,priority\n"
# Two places in the demo town: beside Northby Central station, and 2 km away to the north-west.
NEAR = "-1.048733,52.799359"
FAR = "-1.065985,52.808621"


@pytest.fixture(scope="module")
def demo() -> ForceConfig:
    """The demo town's configuration, without crime data (no hot spots)."""
    cfg = load_config(REPO / "data" / "demo" / "force.toml")
    return cfg.model_copy(update={"incidents": cfg.incidents.model_copy(update={"files": []})})


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One road cache for the module: the demo town is built once."""
    return tmp_path_factory.getbasetemp() / "planner-cache"


def plan_with(
    cfg: ForceConfig,
    cache: Path,
    tmp_path: Path,
    rows: list[str],
    *,
    units: list[str] | None = None,
    shifts: dict[str, list[str]] | None = None,
    pounds: float | None = None,
) -> Plan:
    """The week's plan for ``rows`` (site rows after HEADER) with the rota and budget cut down.

    ``units`` keeps only these units; ``shifts`` gives a unit its shifts; ``pounds`` the budget.
    """
    path = tmp_path / "sites.csv"
    path.write_text(HEADER + "".join(r + "\n" for r in rows))
    kept = [u for u in cfg.units if units is None or u.id in units]
    kept = [
        u.model_copy(update={"shifts": shifts[u.id]}) if shifts and u.id in shifts else u
        for u in kept
    ]
    update: dict[str, object] = {"sites": [str(path)], "units": kept}
    if pounds is not None:
        update["budget"] = cfg.budget.model_copy(update={"pounds_per_week": pounds})
    return make_plan(cfg.model_copy(update=update), cache_dir=cache, stop=MaxIterations(30)).plan


def reasons(plan: Plan, site_id: str) -> list[str]:
    """The reasons given for the missed visits to ``site_id``."""
    return [u.reason for u in plan.unserved if u.site_id == site_id]


def test_no_window_this_week(demo: ForceConfig, cache: Path, tmp_path: Path) -> None:
    """A site whose only window falls in another week is reported, not planned, with why.

    Even a required one: it asks for no visit this week, so no required visit is missed.
    """
    plan = plan_with(
        demo,
        cache,
        tmp_path,
        [
            f"A,Hall,community_centre,low,{NEAR},2026-12-20 10:00-12:00,1,,true,",
            f"B,Office,community_centre,low,{NEAR},Tue 09:00-12:00,1,,true,",
        ],
    )
    (rej,) = plan.rejected
    assert rej.site_id == "A" and rej.reason.startswith("no window this week"), rej
    assert rej.required_visits == 0 and plan.required_missed == 0


def test_no_unit_shift_covers_the_window(demo: ForceConfig, cache: Path, tmp_path: Path) -> None:
    """A required visit at 03:00 when only the early shift is worked: no unit is on duty then."""
    plan = plan_with(
        demo,
        cache,
        tmp_path,
        [
            f"A,Hall,community_centre,low,{NEAR},Tue 03:00-04:00,1,,true,",
            f"B,Office,community_centre,low,{NEAR},Tue 09:00-12:00,1,,true,",
        ],
        units=["NB-CAR-1"],
        shifts={"NB-CAR-1": ["early"]},
    )
    (why,) = reasons(plan, "A")
    assert why.startswith("no unit-shift covers the window"), why
    assert plan.required_missed == 1


def test_no_unit_can_reach_the_site_in_time(demo: ForceConfig, cache: Path, tmp_path: Path) -> None:
    """A window that closes two minutes after the shift starts, 2 km from the station."""
    plan = plan_with(
        demo,
        cache,
        tmp_path,
        [
            f"A,Far,community_centre,low,{FAR},Tue 07:00-07:17,1,,true,",
            f"B,Office,community_centre,low,{NEAR},Tue 09:00-12:00,1,,true,",
        ],
        units=["NB-CAR-1"],
        shifts={"NB-CAR-1": ["early"]},
    )
    (why,) = reasons(plan, "A")
    assert why.startswith("no unit can reach the site within the window"), why


def test_gap_rule_allows_only_k(demo: ForceConfig, cache: Path, tmp_path: Path) -> None:
    """Four visits asked for, two 1-hour windows a day apart and a 30-hour gap: one fits."""
    plan = plan_with(
        demo,
        cache,
        tmp_path,
        [
            f"A,Church,community_centre,low,{NEAR},"
            '"2026-12-01 10:00-11:00; 2026-12-02 10:00-11:00",4,30,,'
        ],
    )
    why = reasons(plan, "A")
    assert len(why) == 3 and all(w.startswith("the gap rule allows only 1 visit") for w in why), why


def test_funded_hours_used_up(demo: ForceConfig, cache: Path, tmp_path: Path) -> None:
    """Money for one unit-shift: a visit on another day could only be made by one not bought."""
    plan = plan_with(
        demo,
        cache,
        tmp_path,
        [
            f"A,Office,community_centre,low,{NEAR},Tue 09:00-12:00,1,,true,",
            f"B,Hall,community_centre,low,{NEAR},Thu 09:00-12:00,1,,,",
        ],
        units=["NB-CAR-1"],
        shifts={"NB-CAR-1": ["early"]},
        pounds=800.0,
    )
    assert len(plan.routes) == 1
    (why,) = reasons(plan, "B")
    assert why.startswith("the funded hours are used up"), why


def test_lower_value_only_when_a_deployed_unit_could(
    demo: ForceConfig, cache: Path, tmp_path: Path
) -> None:
    """Two short windows at once, 2 km apart, one unit out: the lesser site is 'lower value'."""
    plan = plan_with(
        demo,
        cache,
        tmp_path,
        [
            f"A,Office,community_centre,low,{NEAR},Tue 10:00-10:20,1,,,5",
            f"B,Hall,community_centre,low,{FAR},Tue 10:00-10:20,1,,,1",
        ],
        units=["NB-CAR-1"],
        shifts={"NB-CAR-1": ["early"]},
        pounds=800.0,
    )
    assert not reasons(plan, "A")
    (why,) = reasons(plan, "B")
    assert why.startswith("lower value than what was chosen"), why


def test_not_fitted_when_the_unit_did_cheaper_work_then() -> None:
    """A unit that could make the missed visit did cheaper work in its window: the search's fault.

    One car, depot 0, sites 1 and 2 a minute away. The plan served the patrol P (worth 1) at
    10:00 and missed V (worth 8, window 09:30-10:30): "lower value than what was chosen" would
    be untrue, so the reason must say the search did not fit it. Had the car served a visit
    worth more (W, 20) instead, nothing cheaper was done then.
    """
    mat = np.full((3, 3), 60.0)
    np.fill_diagonal(mat, 0.0)
    h = 3600.0
    visits = (
        Visit("V", 1, 900.0, ((9.5 * h, 10.5 * h - 900),), 8.0),
        Visit("P", 2, 900.0, ((9.5 * h, 10.5 * h - 900),), 1.0),
        Visit("W", 2, 900.0, ((9.5 * h, 10.5 * h - 900),), 20.0),
    )
    problem = RoutingProblem(
        name="t",
        visits=visits,
        vehicles=(Vehicle("CAR", "car", 0, 0, 9 * h, 11 * h, 2 * h),),
        groups=(),
        travel_time_s={"car": mat},
    )
    index = {v.visit_id: i for i, v in enumerate(visits)}

    def served(vid: str) -> Solution:
        stop = Stop(vid, 10 * h - 60, 10 * h, 10 * h + 900)
        return Solution(
            "t",
            0,
            (Route("CAR", (stop,), 10 * h - 120, 10 * h + 960),),
            ("V",),
            1.0,
            120.0,
            0.0,
            "ok",
        )

    windows = visits[0].windows
    assert _cheaper_around(problem, served("P"), 0, windows, index)
    assert not _cheaper_around(problem, served("W"), 0, windows, index)


def test_money_not_the_gap_when_an_unbought_shift_could(
    demo: ForceConfig, cache: Path, tmp_path: Path
) -> None:
    """Two visits to a hall open Tuesday and Thursday mornings, money for one unit-shift.

    The unit bought makes one; the other fits only the other morning, clear of the first by
    the site's gap, where no unit is bought. The money is the limit, not the gap rule (the
    reason named the gap rule, true of the units bought but not the limit).
    """
    plan = plan_with(
        demo,
        cache,
        tmp_path,
        [f"A,Hall,community_centre,low,{NEAR},Tue 09:00-12:00; Thu 09:00-12:00,2,24,,"],
        units=["NB-CAR-1"],
        shifts={"NB-CAR-1": ["early"]},
        pounds=800.0,
    )
    assert len(plan.routes) == 1
    (why,) = reasons(plan, "A")
    assert why.startswith("the funded hours are used up"), why
