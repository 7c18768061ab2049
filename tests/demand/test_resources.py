"""Budget arithmetic and unit-shift selection (planner.demand.resources)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.config import ForceConfig
from planner.demand.resources import (
    MIN_REST_H,
    UnitShift,
    candidate_shifts,
    resources_for_week,
    select_shifts,
)


def everywhere(shift: UnitShift) -> float:
    """Hot-spot demand every unit-shift could meet, so the budget alone limits what is bought."""
    return 1.0


def with_budget(config: ForceConfig, pounds: float, cost: float = 42.5) -> ForceConfig:
    """The config with another budget."""
    budget = config.budget.model_copy(
        update={"pounds_per_week": pounds, "cost_per_officer_hour": cost}
    )
    return config.model_copy(update={"budget": budget})


def test_two_officers_eight_hours_cost_sixteen(config: ForceConfig) -> None:
    """A unit of two officers on an eight-hour shift costs sixteen officer-hours."""
    early = next(s for s in candidate_shifts(config) if s.shift == "early")
    assert early.hours == 8 and early.officer_hours == 16


def test_night_shift_on_clock_change(config: ForceConfig) -> None:
    """The night shift when the clocks go back is paid for 9 hours."""
    night = next(s for s in candidate_shifts(config) if s.shift_id == "RUT-CAR-2/2022-10-29/night")
    assert night.hours == 9 and night.officer_hours == 18


def test_budget_report(config: ForceConfig) -> None:
    """£9,000 at £42.50 buys 211.76 officer-hours; 13 eight-hour pairs use 208, 3.76 left."""
    res = resources_for_week(config, hotspot_value=everywhere)
    assert res.funded_officer_hours == pytest.approx(211.7647, abs=1e-3)
    assert res.used_officer_hours == 208
    assert res.leftover_officer_hours == pytest.approx(3.7647, abs=1e-3)
    assert "less than the cheapest remaining unit-shift" in res.summary()


def test_rest_rules(config: ForceConfig) -> None:
    """With money for everything, no unit works twice a day or without 11 hours' rest."""
    res = resources_for_week(with_budget(config, 1e6), hotspot_value=everywhere)
    by_unit: dict[str, list] = {}
    for s in res.selected:
        by_unit.setdefault(s.unit_id, []).append(s)
    for shifts in by_unit.values():
        shifts.sort(key=lambda s: s.start)
        assert len({s.day for s in shifts}) == len(shifts)
        for a, b in itertools.pairwise(shifts):
            assert (b.start - a.end) >= dt.timedelta(hours=MIN_REST_H)


@given(pounds=st.floats(0, 50_000), cost=st.floats(5, 200))
@settings(max_examples=60, deadline=None)
def test_never_over_budget(config: ForceConfig, pounds: float, cost: float) -> None:
    """Whatever the money and the rate, paid officer-hours never exceed what the budget buys."""
    res = resources_for_week(with_budget(config, pounds, cost), hotspot_value=everywhere)
    assert res.used_officer_hours <= res.funded_officer_hours + 1e-9
    assert res.leftover_pounds >= -1e-6


@given(pounds=st.floats(0, 20_000), extra=st.floats(0, 5_000))
@settings(max_examples=60, deadline=None)
def test_more_money_never_fewer_hours(config: ForceConfig, pounds: float, extra: float) -> None:
    """More money never buys fewer paid hours (same rate, same demand)."""
    cands = candidate_shifts(config)
    less = select_shifts(cands, pounds / 42.5, hotspot_value=everywhere)
    more = select_shifts(cands, (pounds + extra) / 42.5, hotspot_value=everywhere)
    assert sum(s.officer_hours for s in more) >= sum(s.officer_hours for s in less) - 1e-9


def test_writes_unit_shifts(tmp_path: Path, config: ForceConfig) -> None:
    """unit_shifts.csv lists every candidate with whether it was selected."""
    res = resources_for_week(config, hotspot_value=everywhere)
    text = res.write(tmp_path / "unit_shifts.csv").read_text().splitlines()
    assert len(text) == 1 + len(res.candidates)
    assert sum(line.endswith(",True") for line in text) == len(res.selected)


def test_no_demand_buys_nothing(config: ForceConfig) -> None:
    """A unit-shift with no demand it could meet is never bought: the money is not spent."""
    res = resources_for_week(config)
    assert res.selected == () and res.leftover_officer_hours == res.funded_officer_hours


def test_relief_buys_a_second_unit_shift_through_the_window(config: ForceConfig) -> None:
    """A required visit named in ``relief`` gets a second unit-shift working through it.

    Rutland's Saturday: one required hour at 11:00. Without relief one early unit-shift is
    bought for it; with relief, a second one that works through 11:00-12:00 too.
    """
    from planner.demand.weekly import VisitRequirement
    from planner.demand.windows import TimeWindow, local

    saturday = config.week.days[5]
    slot = TimeWindow(local(saturday, dt.time(11)), local(saturday, dt.time(12)))
    post = VisitRequirement(
        visit_id="P#post#1100",
        site_id="P",
        kind="protest",
        windows=(slot,),
        dwell_s=3600.0,
        min_gap_s=0.0,
        required=True,
        prize=1.0,
        presence="post",
    )
    candidates = candidate_shifts(config)

    def through(shifts: list[UnitShift]) -> list[str]:
        return [s.shift_id for s in shifts if slot.overlaps(s.start, s.end) >= 3600]

    alone = through(select_shifts(candidates, 1000.0, [post]))
    relieved = through(select_shifts(candidates, 1000.0, [post], relief=["P#post#1100"]))
    assert len(alone) == 1 and len(relieved) == 2 and alone[0] in relieved


def test_a_sites_gap_spreads_the_money_over_days(config: ForceConfig) -> None:
    """Units on one day share a site's gap, so the money buys other days for its visits.

    An office asked for three visits in office hours, Monday to Wednesday, 20 hours apart,
    gets one a day whatever the units on duty. With money for three unit-shifts, a unit-shift
    a day is bought, not two on Monday (which could make only one of the visits there).
    """
    from planner.demand.weekly import VisitRequirement
    from planner.demand.windows import TimeWindow, local

    days = config.week.days[:3]
    hours = tuple(TimeWindow(local(d, dt.time(9)), local(d, dt.time(17))) for d in days)
    visits = [
        VisitRequirement(
            visit_id=f"OFF#{k}",
            site_id="OFF",
            kind="mp_office",
            windows=hours,
            dwell_s=900.0,
            min_gap_s=20 * 3600.0,
            required=False,
            prize=10.0,
        )
        for k in range(3)
    ]
    early = [s for s in candidate_shifts(config) if s.shift == "early"]
    bought = select_shifts(early, 3 * early[0].officer_hours, visits)
    assert sorted(s.day for s in bought) == list(days)


def test_unspent_money_says_why(config: ForceConfig) -> None:
    """Money the bought unit-shifts leave says why it bought no more, in the buying's order.

    Rutland (£42.50 an officer-hour; a unit-shift is 16 officer-hours, £680):
    * £9,000 with work everywhere: 13 bought, £160 left, less than any unit-shift;
    * £100,000 with work everywhere: the rota's units cannot work more without breaking rest;
    * £100,000 with no work: nothing is bought, and the reason says no unit-shift has work;
    * nothing left over: no reason.
    """
    res = resources_for_week(config, hotspot_value=everywhere)
    assert res.unspent_reason() == "it buys no further unit-shift (the cheapest costs £680)"
    rich = with_budget(config, 100_000)
    res = resources_for_week(rich, hotspot_value=everywhere)
    assert "two shifts in a day or less than 11 hours' rest" in res.unspent_reason()
    idle = resources_for_week(rich)
    assert not idle.selected and idle.unspent_reason().startswith("no further unit-shift has work")
    exact = with_budget(config, 13 * 16 * 42.5)
    assert resources_for_week(exact, hotspot_value=everywhere).unspent_reason() == ""
