"""The independent demand-rule check (planner.planning.rule_check) catches each broken rule.

Each test takes the demo's valid plan, breaks one rule by editing the plan itself (never the
solver), and checks that the error names it; the untouched plan passes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from planner.demand.weekly import VisitRequirement
from planner.planning.plan import Plan, PlanStop
from planner.planning.rule_check import rule_errors
from planner.planning.week import PlanResult


def asked_offered(result: PlanResult) -> tuple[list[VisitRequirement], list[VisitRequirement]]:
    """The demand's visits, and the hot-spot candidates the plan may make."""
    asked = list(result.inputs.demand.visits)
    ids = {r.visit_id for r in asked}
    return asked, [r for r in result.model.requirements if r.visit_id not in ids]


def with_stop(plan: Plan, pick: str, change: dict[str, object]) -> tuple[Plan, PlanStop]:
    """``plan`` with the first stop of presence ``pick`` changed; the original stop."""
    for i, route in enumerate(plan.routes):
        for j, stop in enumerate(route.stops):
            if stop.presence == pick:
                stops = list(route.stops)
                stops[j] = dataclasses.replace(stop, **change)
                routes = list(plan.routes)
                routes[i] = dataclasses.replace(route, stops=tuple(stops))
                return dataclasses.replace(plan, routes=tuple(routes)), stop
    pytest.fail(f"the demo plan has no {pick} stop")


def moved(plan: Plan, stop: PlanStop, by: dt.timedelta) -> Plan:
    """``plan`` with ``stop``'s service moved by ``by`` (start and departure)."""
    routes = tuple(
        dataclasses.replace(
            r,
            stops=tuple(
                dataclasses.replace(s, start=s.start + by, departure=s.departure + by)
                if s is stop
                else s
                for s in r.stops
            ),
        )
        for r in plan.routes
    )
    return dataclasses.replace(plan, routes=routes)


def check(result: PlanResult, plan: Plan) -> list[str]:
    """The broken rules of ``plan`` against the demo's demand, with its overtime allowance."""
    overtime = result.model.inputs.config.demand.post_overtime_min
    return rule_errors(plan, *asked_offered(result), overtime_max_min=overtime)


def test_demo_plan_keeps_every_rule(demo_plan: PlanResult) -> None:
    """The demo's plan, as made, breaks no demand rule."""
    assert check(demo_plan, demo_plan.plan) == []


def test_drive_past_that_stops(demo_plan: PlanResult) -> None:
    """A drive-past held 10 minutes outside an MP's home is caught."""
    first = next(s for r in demo_plan.plan.routes for s in r.stops if s.presence == "drive_past")
    plan, _ = with_stop(
        demo_plan.plan, "drive_past", {"departure": first.start + dt.timedelta(minutes=10)}
    )
    errs = check(demo_plan, plan)
    assert any("a drive-past stays 10.0 min" in e for e in errs), errs


def test_visit_outside_its_window(demo_plan: PlanResult) -> None:
    """A visit moved to the week before is in no window of its requirement."""
    day = dt.timedelta(days=-8)
    plan = demo_plan.plan
    route = next(r for r in plan.routes if any(s.kind != "hotspot" for s in r.stops))
    j, stop = next((j, s) for j, s in enumerate(route.stops) if s.kind != "hotspot")
    moved = dataclasses.replace(stop, start=stop.start + day, departure=stop.departure + day)
    stops = list(route.stops)
    stops[j] = moved
    routes = [dataclasses.replace(r, stops=tuple(stops)) if r is route else r for r in plan.routes]
    errs = check(demo_plan, dataclasses.replace(plan, routes=tuple(routes)))
    assert any(stop.visit_id in e and "is in no window" in e for e in errs), errs


def test_post_slot_left_early(demo_plan: PlanResult) -> None:
    """A post slot left 20 minutes before its end is caught."""
    first = next(s for r in demo_plan.plan.routes for s in r.stops if s.presence == "post")
    plan, _ = with_stop(
        demo_plan.plan, "post", {"departure": first.departure - dt.timedelta(minutes=20)}
    )
    errs = check(demo_plan, plan)
    assert any("a post slot must be held from its start to its end" in e for e in errs), errs


def test_lost_visit_and_wrong_window_name(demo_plan: PlanResult) -> None:
    """A made visit dropped without being reported, and a mislabelled window, are caught."""
    plan = demo_plan.plan
    route = next(r for r in plan.routes if any(s.kind != "hotspot" for s in r.stops))
    lost = next(s for s in route.stops if s.kind != "hotspot")
    routes = [
        dataclasses.replace(r, stops=tuple(s for s in r.stops if s is not lost))
        if r is route
        else r
        for r in plan.routes
    ]
    errs = check(demo_plan, dataclasses.replace(plan, routes=tuple(routes)))
    assert f"visit {lost.visit_id!r} is neither made nor reported unserved" in errs
    renamed, _ = with_stop(plan, "visit", {"window": "Not a window"})
    assert any("labelled window 'Not a window'" in e for e in check(demo_plan, renamed))


def test_gap_between_visits_to_one_site(demo_plan: PlanResult) -> None:
    """Two visits to a site with a minimum gap, moved 5 minutes apart, are caught."""
    asked, _ = asked_offered(demo_plan)
    gaps = {r.site_id: r.min_gap_s for r in asked if r.min_gap_s >= 3600}
    plan = demo_plan.plan
    by_site: dict[str, list[PlanStop]] = {}
    for s in plan.stops:
        if s.site_id in gaps:
            by_site.setdefault(s.site_id, []).append(s)
    site, (a, b, *_) = next((k, v) for k, v in by_site.items() if len(v) >= 2)
    shift = (a.start + dt.timedelta(minutes=5)) - b.start
    errs = check(demo_plan, moved(plan, b, shift))
    assert any(f"site {site!r}" in e and "min gap" in e for e in errs), errs


def test_same_time_of_day_on_another_day(demo_plan: PlanResult) -> None:
    """Two rule-bound hot-spot visits moved to the same local time a day apart are caught.

    The rule is checked on the plan alone: the later visit is moved to exactly one day (and
    ten minutes) after the earlier one, keeping its dwell; the check names the hot spot.
    """
    _, offered = asked_offered(demo_plan)
    bound = {r.visit_id for r in offered if r.repeat_rule and r.repeat_gap_s > 0}
    plan = demo_plan.plan
    by_site: dict[str, list[PlanStop]] = {}
    for s in sorted(plan.stops, key=lambda s: s.start):
        if s.visit_id in bound:
            by_site.setdefault(s.site_id, []).append(s)
    site, stops = next(
        (k, v) for k, v in by_site.items() if any(b.start.date() != v[0].start.date() for b in v)
    )
    a = stops[0]
    b = next(s for s in stops if s.start.date() != a.start.date())
    days = round((b.start - a.start).total_seconds() / 86_400) or 1
    shift = a.start + dt.timedelta(days=days, minutes=10) - b.start
    errs = check(demo_plan, moved(plan, b, shift))
    assert any(f"site {site!r}" in e and "time of day" in e for e in errs), errs
