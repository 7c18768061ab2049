"""Matching tracks to a hand-built plan: the edge cases a fund's evaluation meets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from planner.evaluate.matching import Evaluation, Settings, evaluate, plan_window
from planner.evaluate.tracks import read_tracks
from tests.evaluate import helpers as h
from tests.evaluate.helpers import CHURCH, EAST, NORTH, Leg, at, follow, route, stop


def _evaluate(
    plan: h.Plan, *paths: Path, settings: Settings | None = None, tz: dt.tzinfo | None = None
) -> Evaluation:
    start, end = plan_window(plan)
    tracks = read_tracks(
        list(paths), units={r.unit_id for r in plan.routes}, start=start, end=end, tz=tz
    )
    return evaluate(plan, tracks, h.stations(), settings or Settings())


@pytest.fixture()
def early() -> h.PlanRoute:
    """NB-CAR-1, Tue 1 Dec 07:00-15:00: HS-N at 09:00, HS-E at 11:00, a church at 13:00."""
    return route(
        "NB-CAR-1",
        "2026-12-01 07:00",
        "2026-12-01 15:00",
        [
            stop(1, NORTH, "2026-12-01 09:00"),
            stop(2, EAST, "2026-12-01 11:00"),
            stop(3, CHURCH, "2026-12-01 13:00"),
        ],
    )


def test_faithful_track_makes_every_stop(tmp_path: Path, early: h.PlanRoute) -> None:
    """A unit that drives the plan exactly makes every stop and is never away from it."""
    path = h.write_csv(tmp_path / "t.csv", "NB-CAR-1", h.sample(follow(early)))
    ev = _evaluate(h.plan([early]), path)
    assert [s.made for s in ev.stops] == [True, True, True]
    (shift,) = ev.shifts
    assert shift.compliance == 1.0 and shift.note == ""
    assert shift.away_from_plan_s == 0.0
    # The plan has a unit wait at a site for its next leg: on site longer than planned,
    # credited the planned 15 minutes.
    assert all(s.on_site_s >= 15 * 60 and s.credited_s == 15 * 60 for s in ev.stops)
    # The first and last points stand for half a step less than the shift.
    assert abs(shift.tracked_s - 8 * 3600) <= 10


def test_unit_that_never_left_the_station(tmp_path: Path, early: h.PlanRoute) -> None:
    """At the station all shift: nothing made, compliance 0, and said so."""
    home = h.station_xy()
    legs = [Leg(early.shift_start, early.shift_end, home, home)]
    path = h.write_csv(tmp_path / "t.csv", "NB-CAR-1", h.sample(legs, step_s=30))
    ev = _evaluate(h.plan([early]), path)
    (shift,) = ev.shifts
    assert shift.stops_made == 0 and shift.compliance == 0.0
    assert shift.note == "never left the station" and not shift.left_station
    assert shift.away_from_plan_s == 0.0 and shift.far_s == 0.0
    assert {s.reason for s in ev.stops} == {"never within 50 m"}
    # Even with no dwell asked for, a stop needs the unit within the radius.
    ev = _evaluate(h.plan([early]), path, settings=Settings(dwell_min=0))
    assert not any(s.made for s in ev.stops)


def test_no_track_at_all(early: h.PlanRoute, tmp_path: Path) -> None:
    """A unit-shift without a single point is reported as untracked, not as non-compliant."""
    other = route("NB-CAR-2", "2026-12-01 07:00", "2026-12-01 15:00", [])
    home = h.station_xy()
    path = h.write_csv(
        tmp_path / "t.csv",
        "NB-CAR-2",
        h.sample([Leg(other.shift_start, other.shift_end, home, home)], step_s=60),
    )
    ev = _evaluate(h.plan([early, other]), path)
    assert ev.shifts[0].note == "no track in the shift" and ev.shifts[0].track_points == 0
    assert {s.reason for s in ev.stops} == {"no track for the unit in the shift"}
    assert ev.shifts[1].compliance is None  # no stops planned


@pytest.mark.parametrize(("stay_min", "made"), [(8.0, False), (10.5, True)])
def test_visit_two_minutes_short_of_the_dwell(
    tmp_path: Path, early: h.PlanRoute, stay_min: float, made: bool
) -> None:
    """With a 10-minute dwell, 8 minutes on site is not a visit; 10.5 minutes is."""
    first = early.stops[0].visit_id
    legs = follow(early, stay_min={first: stay_min})
    path = h.write_csv(tmp_path / "t.csv", "NB-CAR-1", h.sample(legs))
    ev = _evaluate(h.plan([early]), path, settings=Settings(dwell_min=10))
    result = ev.stops[0]
    assert result.made is made
    assert stay_min * 60 <= result.longest_s <= (stay_min + 1) * 60
    if not made:
        assert "under the 10 min needed" in result.reason
    assert [s.made for s in ev.stops[1:]] == [True, True]


def test_track_crossing_midnight(tmp_path: Path) -> None:
    """A night shift's track, exported in two files split at midnight, makes every stop."""
    night = route(
        "NB-CAR-2",
        "2026-12-01 23:00",
        "2026-12-02 07:00",
        [
            stop(1, NORTH, "2026-12-01 23:30"),
            stop(2, EAST, "2026-12-02 00:40"),
            stop(3, NORTH, "2026-12-02 02:00"),
        ],
        shift="night",
    )
    pts = h.sample(follow(night))
    midnight = at("2026-12-02 00:00").timestamp()
    a = h.write_csv(tmp_path / "tue.csv", "NB-CAR-2", [p for p in pts if p[0] < midnight])
    b = h.write_gpx(tmp_path / "wed.gpx", "NB-CAR-2", [p for p in pts if p[0] >= midnight])
    ev = _evaluate(h.plan([night]), a, b)
    assert [s.made for s in ev.stops] == [True, True, True]
    (shift,) = ev.shifts
    a_s, b_s = night.shift_start.timestamp(), night.shift_end.timestamp()
    assert shift.track_points == sum(a_s <= p[0] < b_s for p in pts)
    assert abs(shift.tracked_s - 8 * 3600) <= 10


@pytest.mark.parametrize("time_format", ["utc", "offset", "naive"])
def test_track_crossing_the_october_clock_change(tmp_path: Path, time_format: str) -> None:
    """Sat 24 to Sun 25 Oct 2026: 01:20 comes twice, and both visits at 01:20 are made.

    The night shift runs nine hours. With naive local times and --tz, the second 01:xx hour
    is read as GMT because the times go back.
    """
    night = route(
        "NB-CAR-1",
        "2026-10-24 23:00",
        "2026-10-25 07:00",
        [
            stop(1, NORTH, "2026-10-25 01:20"),
            stop(2, NORTH, "2026-10-25 01:20+fold"),
            stop(3, EAST, "2026-10-25 04:00"),
        ],
        shift="night",
    )
    assert night.stops[1].start - night.stops[0].start == dt.timedelta(hours=1)
    pts = h.sample(follow(night, home_between=True))
    path = h.write_csv(tmp_path / "t.csv", "NB-CAR-1", pts, time_format=time_format)
    ev = _evaluate(
        h.plan([night], week="2026-W43"),
        path,
        tz=h.LONDON if time_format == "naive" else None,
    )
    assert ev.tracks.rejects == ()
    assert [s.made for s in ev.stops] == [True, True, True]
    (shift,) = ev.shifts
    assert abs(shift.tracked_s - 9 * 3600) <= 10
    # Each visit at HS-N is credited once: the two windows split half-way between them.
    assert all(s.on_site_s < 20 * 60 for s in ev.stops)


def test_clock_change_visit_skipped_in_the_repeated_hour(tmp_path: Path) -> None:
    """Skipping the second 01:20 visit is seen, though its wall time equals the first's."""
    night = route(
        "NB-CAR-1",
        "2026-10-24 23:00",
        "2026-10-25 07:00",
        [stop(1, NORTH, "2026-10-25 01:20"), stop(2, NORTH, "2026-10-25 01:20+fold")],
        shift="night",
    )
    legs = follow(night, skip=[night.stops[1].visit_id], home_between=True)
    path = h.write_csv(tmp_path / "t.csv", "NB-CAR-1", h.sample(legs), time_format="naive")
    ev = _evaluate(h.plan([night], week="2026-W43"), path, tz=h.LONDON)
    assert [s.made for s in ev.stops] == [True, False]


@pytest.mark.parametrize(("offset_m", "made"), [(20.0, True), (200.0, False)])
def test_drive_past_seen_between_sparse_points(tmp_path: Path, offset_m: float, made: bool) -> None:
    """A car passing 20 m from a drive-past site at 15 m/s, sampled every 30 s, passed it."""
    r = route(
        "NB-CAR-1",
        "2026-12-01 07:00",
        "2026-12-01 15:00",
        [stop(1, EAST, "2026-12-01 09:00", dwell_min=1, presence="drive_past")],
    )
    ex, ey = EAST.xy
    legs = [
        Leg(
            at("2026-12-01 08:59"),
            at("2026-12-01 09:01:13"),
            (ex - 1000, ey + offset_m),
            (ex + 1000, ey + offset_m),
        )
    ]
    pts = h.sample(legs, step_s=30)
    assert min(abs(x - ex) for _, x, _ in pts) > 50  # no point lands within the radius
    ev = _evaluate(h.plan([r]), h.write_csv(tmp_path / "t.csv", "NB-CAR-1", pts))
    assert ev.stops[0].made is made
    assert ev.stops[0].required_s == 0.0


def test_gap_longer_than_bridged_breaks_a_stay(tmp_path: Path, early: h.PlanRoute) -> None:
    """Points 3 min before and after a 20-minute signal loss do not make a 20-minute stay."""
    x, y = NORTH.xy
    legs = [
        Leg(at("2026-12-01 09:00"), at("2026-12-01 09:03"), (x, y), (x, y)),
        Leg(at("2026-12-01 09:23"), at("2026-12-01 09:26"), (x, y), (x, y)),
    ]
    path = h.write_csv(tmp_path / "t.csv", "NB-CAR-1", h.sample(legs))
    ev = _evaluate(h.plan([early]), path)
    assert not ev.stops[0].made
    assert ev.stops[0].longest_s < 4 * 60


def test_sites_sum_planned_and_delivered(tmp_path: Path, early: h.PlanRoute) -> None:
    """Per site: visits and minutes planned, made and credited (at most the planned dwell)."""
    legs = follow(early, skip=[early.stops[1].visit_id])
    ev = _evaluate(h.plan([early]), h.write_csv(tmp_path / "t.csv", "NB-CAR-1", h.sample(legs)))
    by_id = {s.site_id: s for s in ev.sites}
    assert (by_id["HS-N"].visits_made, by_id["HS-E"].visits_made) == (1, 0)
    assert by_id["HS-N"].in_visits_s == by_id["HS-N"].planned_s == 15 * 60
    assert by_id["HS-E"].in_visits_s == 0.0
    assert by_id["HS-N"].hotspot and not by_id["POW-1"].hotspot


def test_time_away_from_the_plan(tmp_path: Path, early: h.PlanRoute) -> None:
    """Half an hour 1.5 km from every planned site and the station counts as away."""
    home = h.station_xy()
    far = (home[0] - 1500, home[1] - 1000)
    legs = follow(early)
    detour = [
        Leg(at("2026-12-01 07:00"), at("2026-12-01 07:20"), home, home),
        Leg(at("2026-12-01 07:20"), at("2026-12-01 07:25"), home, far),
        Leg(at("2026-12-01 07:25"), at("2026-12-01 07:55"), far, far),
        Leg(at("2026-12-01 07:55"), at("2026-12-01 08:00"), far, home),
    ]
    pts = h.sample(detour + legs[1:])
    ev = _evaluate(h.plan([early]), h.write_csv(tmp_path / "t.csv", "NB-CAR-1", pts))
    (shift,) = ev.shifts
    # The plan's own travel (20 min) is taken off; the detour is 30 min plus its driving.
    assert 30 * 60 <= shift.away_from_plan_s <= 40 * 60
    assert shift.compliance == 1.0
