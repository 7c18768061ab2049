"""Overtime to hold a post over a shift change (planner.planning.overtime)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable

import numpy as np
import pytest

from planner.demand.resources import UnitShift
from planner.demand.weekly import VisitRequirement
from planner.demand.windows import TimeWindow
from planner.outputs.summary import run_facts, summary_markdown
from planner.planning.overtime import drop_overtime_work, post_overtime_s, post_spans
from planner.planning.plan import Plan
from planner.planning.rule_check import rule_errors
from planner.planning.week import PlanResult
from planner.routing.problem import Group, RoutingProblem, Vehicle, Visit
from planner.routing.solver import Route, Solution, Stop

from .sample import at, sample_plan, shift

HOUR = 3600.0


def early(shift_id: str = "CAR-1 early", officers: int = 2, end_h: int = 15) -> UnitShift:
    """An early shift 07:00 to ``end_h``:00 on the sample Monday."""
    return shift(shift_id, end_h - 7, officers=officers)


def post(site: str, start: dt.datetime, end: dt.datetime) -> VisitRequirement:
    """One post slot at ``site``."""
    return VisitRequirement(
        visit_id=f"{site}#post#{start:%H%M}",
        site_id=site,
        kind="protest",
        windows=(TimeWindow(start, end),),
        dwell_s=(end - start).total_seconds(),
        min_gap_s=0.0,
        required=True,
        prize=1.0,
        presence="post",
    )


def protest(end_h: int = 15, end_m: int = 0) -> list[VisitRequirement]:
    """A protest post 11:00 to ``end_h:end_m`` in hour slots, the last one shorter."""
    out, t = [], at(0, 11)
    stop = at(0, end_h, end_m)
    while t < stop:
        nxt = min(t + dt.timedelta(hours=1), stop)
        out.append(post("PRO", t, nxt))
        t = nxt
    return out


def trip(
    there: float = 300.0, back: float = 240.0
) -> Callable[[UnitShift, str], tuple[float, float]]:
    """A ``trip_s`` giving the same way there and back for every shift and site."""
    return lambda shift, site: (there, back)


def grant(
    shifts: list[UnitShift],
    posts: list[VisitRequirement],
    trip_s: Callable[[UnitShift, str], tuple[float, float]] | None = None,
    **kw: float,
) -> dict[str, float]:
    """:func:`post_overtime_s` with 30 minutes at most and money to spare, unless given."""
    args = {"max_min": 30.0, "money_left": 1000.0, "cost_per_officer_hour": 40.0} | kw
    return post_overtime_s(shifts, posts, trip_s or trip(), **args)


def test_post_spans_join_slots() -> None:
    """Slots end to end make one span; a gap between them makes two."""
    slots = [*protest(13), post("PRO", at(0, 14), at(0, 15))]
    assert post_spans(slots) == {"PRO": [(at(0, 11), at(0, 13)), (at(0, 14), at(0, 15))]}


def test_post_ending_at_the_shift_end_gets_the_way_back() -> None:
    """A post ending as the shift ends: overtime is the way back, whole seconds and a second more.

    Rutland's protest 11:00-15:00 and an early shift to 15:00.
    """
    assert grant([early()], protest(15)) == {"CAR-1 early": 241.0}


def test_post_running_on_is_held_until_it_ends_or_the_cap() -> None:
    """A post running past the shift's end is held until it ends, then the unit drives back.

    Ten minutes more of the post and four minutes back is 14 minutes; a post running an hour
    on is held as long as the cap allows (30 minutes in all).
    """
    assert grant([early()], protest(15, 10)) == {"CAR-1 early": 10 * 60 + 241.0}
    assert grant([early()], protest(16)) == {"CAR-1 early": 30 * 60 + 1.0}


def test_no_overtime_without_a_post_at_the_shift_end() -> None:
    """A shift ending before the post, or after it ended, or a cap of 0, gets none."""
    assert grant([early(end_h=10)], protest(15)) == {}
    assert grant([early(end_h=16)], protest(15)) == {}
    assert grant([early()], protest(15), max_min=0.0) == {}


def test_no_overtime_for_a_post_out_of_reach() -> None:
    """A unit whose mode has no way to the post's site gets no overtime for it."""
    assert grant([early()], protest(15), trip(back=math.inf)) == {}


def test_overtime_only_as_far_as_the_money_left_goes() -> None:
    """Shifts are granted in order of end and id while the money left covers each in full.

    Two officers, 241 s at £40 an hour: £5.36 each. £6 covers the first shift only.
    """
    shifts = [early("CAR-2 early"), early("CAR-1 early")]
    assert grant(shifts, protest(15), money_left=6.0) == {"CAR-1 early": 241.0}
    assert grant(shifts, protest(15), money_left=5.0) == {}
    assert len(grant(shifts, protest(15), money_left=11.0)) == 2


# ------------------------------------------------------------------------ after the solve


def _problem() -> RoutingProblem:
    """Station 0, a post site 1 and a hot spot 2, four minutes apart; one car to 10:00 (+10 min).

    The post's last slot is 09:45-10:00; the hot spot's visit may run to 10:05.
    """
    mat = np.full((3, 3), 240.0)
    np.fill_diagonal(mat, 0.0)
    return RoutingProblem(
        name="overtime",
        visits=(
            Visit("PRO#post#0945", 1, 900.0, ((9.75 * HOUR, 9.75 * HOUR),), 5.0, group="PRO"),
            Visit("HOT#1", 2, 900.0, ((9.0 * HOUR, 9.85 * HOUR),), 1.0, group="HOT"),
            Visit("HOT#2", 2, 900.0, ((9.0 * HOUR, 9.85 * HOUR),), 1.0, group="HOT"),
            Visit("REQ#1", 2, 900.0, ((9.0 * HOUR, 9.85 * HOUR),), 1.0, required=True),
        ),
        vehicles=(Vehicle("early", "car", 0, 0, 7 * HOUR, 10 * HOUR + 600, 3 * HOUR + 600),),
        groups=(Group("PRO", 0.0, max_per_route=4), Group("HOT", 0.0, max_per_route=2)),
        travel_time_s={"car": mat},
    )


def _solution(*stops: tuple[str, float]) -> Solution:
    """One route of ``(visit id, service start)`` stops, 15 minutes each, 4 minutes apart."""
    out, prev = [], 7 * HOUR
    for vid, start in stops:
        out.append(Stop(vid, prev + 240.0, start, start + 900.0))
        prev = start + 900.0
    route = Route("early", tuple(out), 7 * HOUR, prev + 240.0)
    return Solution(
        problem_name="overtime",
        seed=1,
        routes=(route,),
        unserved=(),
        total_prize=float(len(out)),
        travel_s=0.0,
        solve_time_s=0.0,
        status="ok",
    )


def test_overtime_spent_on_a_hot_spot_is_dropped() -> None:
    """A hot-spot visit ending after the shift's end comes out; the unit goes back in time."""
    sol = _solution(("HOT#1", 9.0 * HOUR), ("HOT#2", 9.8 * HOUR))
    got = drop_overtime_work(_problem(), sol, {"early": 10 * HOUR}, {"PRO#post#0945"})
    assert [s.visit_id for s in got.routes[0].stops] == ["HOT#1"]
    assert got.routes[0].return_s <= 10 * HOUR
    assert got.unserved == ("HOT#2",) and got.total_prize == sol.total_prize - 1.0


def test_overtime_after_a_post_stays() -> None:
    """A route ending on the post's last slot keeps its overtime: that is what it is for."""
    sol = _solution(("HOT#1", 9.0 * HOUR), ("PRO#post#0945", 9.75 * HOUR))
    got = drop_overtime_work(_problem(), sol, {"early": 10 * HOUR}, {"PRO#post#0945"})
    assert got == sol


def test_a_required_visit_in_overtime_is_kept() -> None:
    """A required visit is never dropped: the unit finishes it and is back on overtime.

    The solver may put a required visit on a post's overtime to fit the week; it is made, and
    the plan shows (and pays) the overtime.
    """
    sol = _solution(("REQ#1", 9.8 * HOUR))
    assert drop_overtime_work(_problem(), sol, {"early": 10 * HOUR}, set()) == sol


# ------------------------------------------------------------------------ the plan's rule


def _late(
    route_stop_presence: str, minutes: float, required: bool = True
) -> tuple[Plan, VisitRequirement]:
    """The sample plan with its first route back ``minutes`` after its shift's end."""
    plan = sample_plan()
    r = plan.routes[0]
    last = r.stops[-1]
    req = dataclasses.replace(
        post(last.site_id, last.start, last.departure),
        visit_id=last.visit_id,
        presence=route_stop_presence,
        dwell_s=last.dwell_s,
        required=required,
    )
    stops = (*r.stops[:-1], dataclasses.replace(last, presence=route_stop_presence))
    late = dataclasses.replace(r, stops=stops, return_=r.shift_end + dt.timedelta(minutes=minutes))
    return dataclasses.replace(plan, routes=(late, *plan.routes[1:])), req


@pytest.mark.parametrize(
    ("presence", "required", "minutes", "max_min", "found"),
    [
        ("post", True, 10, 30, []),
        ("post", True, 40, 30, ["more than the 30 min of overtime allowed"]),
        ("visit", True, 10, 30, []),
        ("visit", False, 10, 30, ["but not from a post or a required visit"]),
        ("post", True, 10, 0, ["more than the 0 min of overtime allowed"]),
    ],
)
def test_rule_check_allows_overtime_only_for_required_work(
    presence: str, required: bool, minutes: float, max_min: float, found: list[str]
) -> None:
    """The plan's independent check: late back only from a post or a required visit, in time."""
    plan, req = _late(presence, minutes, required)
    errs = [
        e for e in rule_errors(plan, [], [req], overtime_max_min=max_min) if "after its shift" in e
    ]
    assert [e.split(", ")[-1] for e in errs] == found


# ------------------------------------------------------------------------ on real roads


def test_rutland_protest_held_to_its_end_on_overtime(rutland_plan: PlanResult) -> None:
    """Rutland's protest (Sat 11:00-15:00) is held to 15:00, as the early shift ends.

    The unit on its last slot drives back after 15:00 and is paid for it: its route is back
    within the 30 minutes allowed, its paid officer-hours are its shift's plus the overtime,
    and the budget's money spent includes it. No other route works overtime.
    """
    plan = rutland_plan.plan
    assert not [u.visit_id for u in plan.unserved if u.site_id == "R-PRO-1"]
    late = [r for r in plan.routes if r.overtime_s]
    assert len(late) == 1
    (r,) = late
    assert r.stops[-1].visit_id == "R-PRO-1#post#1445"
    assert r.stops[-1].departure == r.shift_end
    assert 0 < r.overtime_s <= 30 * 60
    shift_h = r.officers * (r.shift_end - r.shift_start).total_seconds() / 3600
    assert r.paid_officer_hours == pytest.approx(shift_h + r.overtime_officer_hours)
    assert plan.budget["used_officer_hours"] == pytest.approx(
        sum(x.paid_officer_hours for x in plan.routes)
    )
    assert r.time_budget().paid_s == pytest.approx((r.return_ - r.shift_start).total_seconds())
    text = summary_markdown(plan, run_facts(rutland_plan))
    over_h = r.overtime_officer_hours
    assert f"{over_h:,.1f} officer-hours (£{over_h * 42.5:,.0f}) of it overtime" in text
    assert f"£{plan.budget['used_officer_hours'] * 42.5:,.0f} of £9,000 spent" in text
