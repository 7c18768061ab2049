"""A small hand-made weekly plan, for tests of plan.json that need no solve."""

from __future__ import annotations

import datetime as dt

from planner.common import LONDON
from planner.demand.resources import UnitShift
from planner.planning.plan import (
    Plan,
    PlanRoute,
    PlanStop,
    RejectedSite,
    Unpredictability,
    UnservedVisit,
)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A local time in the demo's week 2026-W49 (Monday 30 November), in UTC."""
    local = dt.datetime(2026, 11, 30, hour, minute, tzinfo=LONDON) + dt.timedelta(days=day)
    return local.astimezone(dt.UTC)


def sample_stop(order: int, hour: int, site: str = "NB-HOME-1") -> PlanStop:
    """A stop of the sample route on Monday."""
    return PlanStop(
        order=order,
        visit_id=f"{site}#{order}",
        site_id=site,
        name="Home of a councillor",
        kind="mp_home",
        risk="high",
        restricted=True,
        arrival=at(0, hour),
        start=at(0, hour, 5),
        departure=at(0, hour, 20),
        travel_s=600.0,
        dwell_s=900.0,
        prize=2.5,
        notes="ring first",
        x_m=486000.0,
        y_m=308000.5,
    )


def sample_plan(
    *, force: str = "Demo Town", week: str = "2026-W49", unpredictability: bool = True
) -> Plan:
    """A one-route plan for ``week`` (its times are those of 2026-W49 whatever the label)."""
    route = PlanRoute(
        route_id="CAR-1 Mon early",
        unit_id="CAR-1",
        mode="car",
        officers=2,
        station_id="ST-1",
        day=dt.date(2026, 11, 30),
        shift="early",
        shift_start=at(0, 7),
        shift_end=at(0, 15),
        leave=at(0, 7, 30),
        return_=at(0, 14),
        paid_officer_hours=16.0,
        stops=(sample_stop(1, 8), sample_stop(2, 11, "NB-SUR-1")),
    )
    return Plan(
        force=force,
        week=week,
        week_start=at(0, 0),
        protective_marking="OFFICIAL",
        contains_mp_premises=False,
        seed=12345,
        solver={
            "time_limit_s": None,
            "stop": "MaxIterations(100)",
            "stopped_by": "MaxIterations(100)",
            "iterations": 100,
            "solve_time_s": 1.25,
            "status": "ok",
        },
        budget={
            "pounds_per_week": 5000.0,
            "cost_per_officer_hour": 40.0,
            "funded_officer_hours": 125.0,
            "used_officer_hours": 16.0,
        },
        routes=(route,),
        unserved=(UnservedVisit("HS-3#1", "HS-3", "hotspot", False, 1.5, "no budget left: ..."),),
        rejected=(
            RejectedSite(
                "sites.csv:9", "S-9", "mp_surgery", "site", "unlocated: no coordinates", 1, True
            ),
        ),
        unpredictability=Unpredictability(60.0, "last/plan.json", 3, 10.0, 9.5)
        if unpredictability
        else None,
    )


def shift(shift_id: str, hours: float, start_h: float = 7.0, officers: int = 2) -> UnitShift:
    """A unit-shift at station ST-1 on the sample Monday."""
    start = at(0, 0) + dt.timedelta(hours=start_h)
    return UnitShift(
        shift_id=shift_id,
        unit_id=shift_id.split()[0],
        mode="car",
        officers=officers,
        station_id="ST-1",
        day=dt.date(2026, 11, 30),
        shift="early",
        start=start,
        end=start + dt.timedelta(hours=hours),
    )
