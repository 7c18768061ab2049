"""Elastic hot-spot dosage on hand-built hot spots and shifts (planner.demand.dosage)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.common import LONDON
from planner.demand.dosage import (
    DosageParams,
    HotspotDemand,
    HotspotSlots,
    hotspot_candidates,
    within_walk,
)
from planner.demand.profiles import DEFAULT_PROFILES, FLAT
from planner.demand.resources import UnitShift
from planner.demand.weekly import VisitRequirement
from planner.demand.windows import local

MONDAY = dt.date(2026, 11, 30)


def shift(
    day: dt.date, start_h: int, hours: int, unit: str = "CAR-1", mode: str = "car"
) -> UnitShift:
    """A unit-shift of two officers starting at ``start_h`` local time on ``day``."""
    start = local(day, dt.time(start_h))
    return UnitShift(
        shift_id=f"{unit}/{day}/{start_h}",
        unit_id=unit,
        mode=mode,
        officers=2,
        station_id="ST",
        day=day,
        shift=f"s{start_h}",
        start=start,
        end=start + dt.timedelta(hours=hours),
    )


@pytest.fixture()
def three_spots() -> list[HotspotDemand]:
    """Three hot spots with flat profiles and harm 3 : 2 : 1."""
    return [HotspotDemand(f"HS-{i}", base_prize=p, profile=FLAT) for i, p in enumerate((3, 2, 1))]


def test_candidates_only_while_units_on_duty(three_spots: list[HotspotDemand]) -> None:
    """Every candidate's band overlaps a deployed shift; none is offered outside them."""
    shifts = [shift(MONDAY, 7, 8)]
    got = hotspot_candidates(three_spots, shifts, lambda i, s: True, params=DosageParams())
    assert got
    for v in got:
        (w,) = v.windows
        assert w.overlaps(shifts[0].start, shifts[0].end) >= 900 + 600
        assert not v.required and v.kind == "hotspot"


def test_more_harm_more_candidates() -> None:
    """Dosage follows harm: with scarce capacity the worst hot spots are offered most visits."""
    spots = [
        HotspotDemand(f"HS-{i}", base_prize=p, profile=FLAT)
        for i, p in enumerate((8, 4, 2, 1, 0.5))
    ]
    shifts = [shift(d, 7, 8) for d in (MONDAY, MONDAY + dt.timedelta(days=1))]
    params = DosageParams(oversupply=1.0)  # one car: 3 candidates an hour for 5 hot spots
    got = Counter(
        v.site_id for v in hotspot_candidates(spots, shifts, lambda i, s: True, params=params)
    )
    counts = [got[f"HS-{i}"] for i in range(5)]
    assert counts[0] > counts[2] > counts[4]
    assert counts == sorted(counts, reverse=True)


def test_diminishing_returns_within_a_day(three_spots: list[HotspotDemand]) -> None:
    """A hot spot's later candidates in a day are worth less (decay), its first the most."""
    got = hotspot_candidates(
        three_spots[:1], [shift(MONDAY, 7, 8)], lambda i, s: True, params=DosageParams(decay=0.5)
    )
    prizes = sorted((v.prize for v in got), reverse=True)
    assert prizes[0] == pytest.approx(3, rel=0.03)
    assert prizes[1] == pytest.approx(1.5, rel=0.03)
    assert prizes[-1] < prizes[0] * 0.5 ** (len(prizes) - 2)


def test_unreachable_hot_spot_gets_nothing(three_spots: list[HotspotDemand]) -> None:
    """A hot spot no deployed unit can serve is offered no candidate."""
    got = hotspot_candidates(
        three_spots, [shift(MONDAY, 7, 8)], lambda i, s: i != 0, params=DosageParams()
    )
    assert "HS-0" not in {v.site_id for v in got}


def test_violence_profile_values_friday_night_over_tuesday_morning() -> None:
    """A violence hot spot's candidate on Friday 23:00 is worth more than on Tuesday 09:00."""
    spot = [HotspotDemand("HS-V", 1.0, DEFAULT_PROFILES["Violence and sexual offences"])]
    fri = MONDAY + dt.timedelta(days=4)
    tue = MONDAY + dt.timedelta(days=1)
    got = hotspot_candidates(
        spot,
        [shift(fri, 22, 8), shift(tue, 7, 8, unit="CAR-2")],
        lambda i, s: True,
        params=DosageParams(),
    )
    first = {
        d: max(v.prize for v in got if v.windows[0].start.date() in d) for d in ((fri,), (tue,))
    }
    assert first[(fri,)] > first[(tue,)]


def test_slots_value_hours_reach_and_saturation(three_spots: list[HotspotDemand]) -> None:
    """A shift's worth grows with its hours and reach, and falls once slots are taken.

    A second unit in the same hours adds less when the hot spots' hourly slots are full.
    """
    params = DosageParams()
    everything = HotspotSlots(three_spots, lambda s: [0, 1, 2], params)
    one_spot = HotspotSlots(three_spots, lambda s: [0], params)
    s8, s4 = shift(MONDAY, 7, 8), shift(MONDAY, 7, 4)
    assert everything.value(s8) == pytest.approx(2 * everything.value(s4))
    assert one_spot.value(s8) < everything.value(s8)
    first = one_spot.value(s8)
    one_spot.take(s8)
    assert one_spot.value(shift(MONDAY, 7, 8, unit="CAR-2")) < first
    assert HotspotSlots(three_spots, lambda s: [], params).value(s8) == 0


def test_within_walk() -> None:
    """1 km is within a 30-minute walk; 3 km is not (5 km/h with a 1.3 street detour)."""
    assert within_walk(1000, 0, 1800)
    assert not within_walk(3000, 0, 1800)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    harms=st.lists(st.floats(0.1, 50), min_size=1, max_size=6),
    start_h=st.integers(0, 23),
)
def test_same_seed_same_candidates_and_gap_bands(
    seed: int, harms: list[float], start_h: int
) -> None:
    """Candidates are reproducible for a seed, and one hot spot's bands never overlap in a day."""
    spots = [HotspotDemand(f"HS-{i}", h, FLAT) for i, h in enumerate(harms)]
    shifts = [shift(MONDAY, start_h, 8)]
    params = DosageParams(seed=seed)
    a = hotspot_candidates(spots, shifts, lambda i, s: True, params=params)
    b = hotspot_candidates(spots, shifts, lambda i, s: True, params=params)
    assert a == b
    assert len({v.visit_id for v in a}) == len(a)
    for v in a:
        assert v.windows[0].duration_s == params.min_gap_s
        assert v.prize > 0


def test_visits_spread_over_the_hours_not_the_count() -> None:
    """Steering away from other days' times spreads a hot spot's hours; its count is unchanged.

    One hot spot, one 8-hour shift a day for a week, few enough candidates a day (decay, a
    small cap and no filling of the hours the cap leaves short) that each day's choice of band
    matters. With ``repeat_decay`` 1 every day takes the same most valuable hours; below 1 the
    days use more distinct hours of the day.
    """
    spots = [
        HotspotDemand(
            "HS-0", base_prize=1.0, profile=DEFAULT_PROFILES["Violence and sexual offences"]
        )
    ]
    shifts = [shift(MONDAY + dt.timedelta(days=d), 14, 8) for d in range(7)]

    def hours(repeat_decay: float) -> tuple[int, set[int]]:
        params = DosageParams(repeat_decay=repeat_decay, share_cap=0.3, seed=3, fill_hours=False)
        got = hotspot_candidates(spots, shifts, lambda i, s: True, params=params)
        return len(got), {w.start.astimezone(LONDON).hour for v in got for w in v.windows}

    same_n, same_hours = hours(1.0)
    spread_n, spread_hours = hours(0.5)
    assert same_n == spread_n
    assert len(spread_hours) > len(same_hours)


def test_repeat_candidates_are_marked_and_worth_less() -> None:
    """A hot spot's candidates at a time of day it already has on another day are repeats.

    One hot spot, the same 8-hour shift every day of a week: more candidates than the 8 or
    so distinct hours the shift holds. The first at each time of day are bound by the
    time-of-day rule and keep their full worth; the rest carry ``repeat_rule`` false and
    ``repeat_worth`` times the worth, and no two bound candidates on different days share
    an hour band.
    """
    spots = [HotspotDemand("HS-0", base_prize=1.0, profile=FLAT)]
    shifts = [shift(MONDAY + dt.timedelta(days=d), 14, 8) for d in range(7)]
    params = DosageParams(seed=5, repeat_worth=0.5)
    got = hotspot_candidates(spots, shifts, lambda i, s: True, params=params)
    bound = [v for v in got if v.repeat_rule]
    repeats = [v for v in got if not v.repeat_rule]
    assert bound and repeats
    assert all(v.repeat_gap_s == params.repeat_gap_s for v in got)

    def minute(v: VisitRequirement) -> int:
        t = v.windows[0].start.astimezone(LONDON)
        return t.hour * 60 + t.minute

    for a, b in [(a, b) for a in bound for b in bound if a.visit_id < b.visit_id]:
        if a.windows[0].start.date() != b.windows[0].start.date():
            assert abs(minute(a) - minute(b)) >= params.min_gap_s / 60
    # Same profile and day-decay position: a repeat is worth repeat_worth of a bound one.
    assert max(v.prize for v in repeats) <= 0.5 * max(v.prize for v in bound) + 1e-9


def test_repeat_worth_zero_offers_no_repeats() -> None:
    """``repeat_worth`` 0 leaves only rule-bound candidates (the force asks for no repeats)."""
    spots = [HotspotDemand("HS-0", base_prize=1.0, profile=FLAT)]
    shifts = [shift(MONDAY + dt.timedelta(days=d), 14, 8) for d in range(7)]
    got = hotspot_candidates(
        spots, shifts, lambda i, s: True, params=DosageParams(seed=5, repeat_worth=0.0)
    )
    assert got and all(v.repeat_rule for v in got)


def test_steer_changes_the_offer_not_the_worth() -> None:
    """Of five equal hot spots, one steered up is offered more and dearer candidates.

    Compared with one steered down, with scarce capacity (as ``test_more_harm_more_candidates``).
    """
    steer = (1.4, 1.0, 1.0, 1.0, 0.7)
    spots = [
        HotspotDemand(f"HS-{i}", base_prize=1.0, profile=FLAT, steer=k) for i, k in enumerate(steer)
    ]
    assert spots[0].offer_prize == pytest.approx(1.4)
    shifts = [shift(d, 7, 8) for d in (MONDAY, MONDAY + dt.timedelta(days=1))]
    got = hotspot_candidates(spots, shifts, lambda i, s: True, params=DosageParams(oversupply=1.0))
    count = Counter(v.site_id for v in got)
    assert count["HS-0"] > count["HS-4"]
    best = {s: max(v.prize for v in got if v.site_id == s) for s in ("HS-0", "HS-4")}
    assert best["HS-0"] > best["HS-4"]


def test_every_paid_hour_gets_candidates_beyond_the_caps() -> None:
    """The share caps spent, every band of a shift still holds what its unit could visit.

    Three hot spots of harm 1, 2 and 3 with caps of 1, 2 and 2 candidates (``share_cap`` 0.2
    of their harm share of one car's 19 visits in 8 hours) leave most of the shift with
    nothing to do. The fill pass lifts the caps and
    gives every hour of the shift as many candidates as the car could visit (3), and takes
    none of the capped ones away.
    """
    spots = [HotspotDemand(f"HS-{i}", 1.0 + i, FLAT) for i in range(3)]
    shifts = [shift(MONDAY, 8, 8)]

    def offer(fill: bool) -> list[VisitRequirement]:
        params = DosageParams(share_cap=0.2, seed=1, fill_hours=fill)
        return hotspot_candidates(spots, shifts, lambda i, s: True, params=params)

    capped, filled = offer(False), offer(True)
    assert len(capped) == 5
    per_hour = Counter(v.windows[0].start.astimezone(LONDON).hour for v in filled)
    assert [per_hour[h] for h in range(8, 15)] == [3] * 7
    assert {v.visit_id for v in capped} <= {v.visit_id for v in filled}


def test_the_weeks_last_night_shift_has_work_after_midnight() -> None:
    """A night shift from Sunday 23:00 gets candidates in its hours on the next Monday too.

    They were missing, and a bought Sunday night shift stood idle 7 hours of 8.
    """
    sunday = MONDAY + dt.timedelta(days=6)
    spots = [HotspotDemand("HS-0", 1.0, FLAT), HotspotDemand("HS-1", 1.0, FLAT)]
    got = hotspot_candidates(
        spots, [shift(sunday, 23, 8)], lambda i, s: True, params=DosageParams(seed=2)
    )
    after = {
        v.windows[0].start.astimezone(LONDON).hour
        for v in got
        if v.windows[0].start.astimezone(LONDON).date() > sunday
    }
    assert set(range(6)) <= after
