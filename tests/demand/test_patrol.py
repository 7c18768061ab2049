"""Reassurance patrols at tension sites on small site files and hand-built shifts.

Checks :mod:`planner.demand.patrol` and the patrol pass of
:func:`planner.demand.dosage.hotspot_candidates`: which sites take patrols, that patrols only
fill the room hot spots leave, are worth less than any hot-spot visit, and keep the patrol gap
from their site's own visits by construction.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from planner.config import ForceConfig
from planner.demand.dosage import (
    PATROL_GROUP_SUFFIX,
    PATROL_WINDOW,
    DosageParams,
    HotspotDemand,
    hotspot_candidates,
)
from planner.demand.patrol import PATROL_BUY_SCALE, patrol_points, patrols_for_buying
from planner.demand.profiles import FLAT
from planner.demand.resources import UnitShift
from planner.demand.weekly import Demand, Site, VisitRequirement
from planner.demand.windows import TimeWindow, local
from tests.demand.conftest import demand_from_csv

HEADER = "site_id,name,kind,risk,lon,lat,windows\n"
MONDAY = dt.date(2022, 10, 24)  # Rutland's example week


def _shift(day: dt.date, start_h: int, hours: int = 8) -> UnitShift:
    start = local(day, dt.time(start_h))
    return UnitShift(
        shift_id=f"CAR/{day}/{start_h}",
        unit_id="CAR",
        mode="car",
        officers=2,
        station_id="ST",
        day=day,
        shift="s",
        start=start,
        end=start + dt.timedelta(hours=hours),
    )


def _demand(config: ForceConfig, tmp_path: Path) -> Demand:
    """One site of each kind near Oakham, each with weekday daytime windows."""
    rows = [
        f"{sid},{sid},{kind},high,-0.72,52.67,Mon-Fri 10:00-12:00"
        for sid, kind in (
            ("OFF", "mp_office"),
            ("POW", "place_of_worship"),
            ("CC", "community_centre"),
            ("HOME", "mp_home"),
            ("EV", "event"),
        )
    ]
    return demand_from_csv(config, tmp_path, HEADER, *rows)


def test_standing_tension_sites_take_patrols(config: ForceConfig, tmp_path: Path) -> None:
    """Offices, places of worship and community centres do; an MP's home and an event do not.

    Each point keeps its site's kind and is worth ``reassurance_worth`` of a visit there.
    """
    demand = _demand(config, tmp_path)
    points = patrol_points(demand.sites, demand.visits, config)
    assert [(p.site_id, p.kind) for p in points] == [
        ("OFF", "mp_office"),
        ("POW", "place_of_worship"),
        ("CC", "community_centre"),
    ]
    dem = config.demand
    office = points[0]
    assert office.patrol
    assert (
        office.base_prize
        == dem.reassurance_worth * dem.kinds["mp_office"].priority * (dem.risk_weights["high"])
    )


def test_reassurance_worth_zero_offers_none(config: ForceConfig, tmp_path: Path) -> None:
    """``[demand] reassurance_worth = 0`` turns patrols off."""
    off = config.model_copy(
        update={"demand": config.demand.model_copy(update={"reassurance_worth": 0.0})}
    )
    demand = _demand(off, tmp_path)
    assert patrol_points(demand.sites, demand.visits, off) == []


def test_patrols_fill_only_the_room_hot_spots_leave(config: ForceConfig, tmp_path: Path) -> None:
    """A patrol is offered only in an hour the hot spots leave short; with none, patrols fill.

    One car visits ceil(60 / (15 + 10)) = 3 hot spots an hour. Six hot spots give most hours
    3 candidates, and no patrol goes there; a patrol goes only to an hour with fewer (the
    shift's last, where a hot spot's band no longer holds a visit and the trip back).
    Where both are offered, every patrol is worth at most half the least hot-spot candidate,
    is labelled as a reassurance patrol, keeps its site's kind and has a group of its own.
    """
    demand = _demand(config, tmp_path)
    points = patrol_points(demand.sites, demand.visits, config)
    shifts = [_shift(MONDAY, 13)]
    params = DosageParams(seed=3)
    many = [HotspotDemand(f"HS-{i}", 1.0 + i, FLAT) for i in range(6)]
    crowded = hotspot_candidates([*many, *points], shifts, lambda i, s: True, params=params)
    hot_per_hour = Counter(v.windows[0].start.hour for v in crowded if not v.group)
    patrol_hours = {v.windows[0].start.hour for v in crowded if v.group}
    assert sum(n >= 3 for n in hot_per_hour.values()) >= 6
    assert all(hot_per_hour[h] < 3 for h in patrol_hours)

    alone = hotspot_candidates(points, shifts, lambda i, s: True, params=params)
    assert alone
    assert {v.window for v in alone} == {PATROL_WINDOW}
    assert {v.group for v in alone} == {p.site_id + PATROL_GROUP_SUFFIX for p in points}
    assert {v.kind for v in alone} == {"mp_office", "place_of_worship", "community_centre"}

    one = hotspot_candidates([many[0], *points], shifts, lambda i, s: True, params=params)
    hot = [v.prize for v in one if not v.group]
    patrols = [v.prize for v in one if v.group]
    assert hot and patrols and max(patrols) <= 0.5 * min(hot) + 1e-9


def test_no_patrol_band_near_the_sites_own_windows(config: ForceConfig, tmp_path: Path) -> None:
    """On a weekday, no patrol band at a site overlaps 09:15-12:45 (its 10-12 window +- gap).

    A patrol starting in a band outside that span is at least 60 minutes from any start of
    the site's own visits (15-minute dwell each side); on Saturday those hours are free.
    """
    demand = _demand(config, tmp_path)
    points = patrol_points(demand.sites, demand.visits, config)
    saturday = MONDAY + dt.timedelta(days=5)
    shifts = [_shift(MONDAY, 7, 10), _shift(saturday, 7, 10)]
    got = hotspot_candidates(points, shifts, lambda i, s: True, params=DosageParams(seed=1))

    def near(v: VisitRequirement, day: dt.date) -> bool:
        return v.windows[0].overlaps(local(day, dt.time(9, 15)), local(day, dt.time(12, 45))) > 0

    assert got
    assert not [v for v in got if near(v, MONDAY)]
    assert [v for v in got if near(v, saturday)]


def _site(kind: str = "place_of_worship") -> Site:
    return Site("POW", "POW", kind, "high", 0.0, 0.0, (), "test")


@settings(max_examples=60, deadline=None)
@given(
    open_min=st.integers(min_value=6 * 60, max_value=14 * 60),
    length_min=st.integers(min_value=20, max_value=6 * 60),
    dwell_min=st.sampled_from([2, 15, 30]),
    seed=st.integers(min_value=0, max_value=50),
)
def test_patrols_keep_the_gap_from_any_own_visit(
    config: ForceConfig, open_min: int, length_min: int, dwell_min: int, seed: int
) -> None:
    """No start a patrol band allows is within the gap of any start the site's visit allows.

    So the validator's gap rule between the two holds by construction, for any window.
    """
    tuesday = MONDAY + dt.timedelta(days=1)
    opens = local(tuesday, dt.time(0)) + dt.timedelta(minutes=open_min)
    own = VisitRequirement(
        visit_id="POW#1",
        site_id="POW",
        kind="place_of_worship",
        windows=(TimeWindow(opens, opens + dt.timedelta(minutes=length_min)),),
        dwell_s=dwell_min * 60.0,
        min_gap_s=12 * 3600.0,
        required=False,
        prize=8.0,
    )
    points = patrol_points([_site()], [own], config)
    got = hotspot_candidates(
        points, [_shift(tuesday, 4, 14)], lambda i, s: True, params=DosageParams(seed=seed)
    )
    gap_s = config.demand.hotspot_min_gap_min * 60
    (w,) = own.windows
    o_first, o_last = w.start, w.end - dt.timedelta(seconds=own.dwell_s)
    assert got
    for v in got:
        (band,) = v.windows
        first, last = band.start, band.end - dt.timedelta(seconds=v.dwell_s)
        # The closest starts the two allow are at least the gap apart.
        if last < o_first:
            assert (o_first - last).total_seconds() >= gap_s
        else:
            assert first > o_last and (first - o_last).total_seconds() >= gap_s


def test_buying_counts_patrols_as_a_tie_break(config: ForceConfig, tmp_path: Path) -> None:
    """When shifts are bought a patrol is worth PATROL_BUY_SCALE of itself, under every hot spot.

    So a whole shift of patrols (at most about 3 an hour for 8 hours) is worth less than one
    premises visit, and no patrol hour outranks the least hot spot in its least valued hour.
    """
    demand = _demand(config, tmp_path)
    points = patrol_points(demand.sites, demand.visits, config)
    alone = patrols_for_buying([], points)
    assert [p.base_prize for p in alone] == [p.base_prize * PATROL_BUY_SCALE for p in points]
    least_visit = min(v.prize for v in demand.visits)
    assert all(24 * p.base_prize < least_visit for p in alone)
    faint = HotspotDemand("HS-0", 0.01, FLAT)
    under = patrols_for_buying([faint], points)
    assert all(p.base_prize <= 0.5 * 0.01 * PATROL_BUY_SCALE for p in under)
