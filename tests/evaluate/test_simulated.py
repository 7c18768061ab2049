"""Tracks simulated from a hand-built plan's routes (noise, gaps, detours).

Each is checked against the compliance expected from what the simulation drew, computed here
without the matcher.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest

from planner.evaluate.matching import Settings, evaluate, plan_window
from planner.evaluate.tracks import read_tracks
from tests.evaluate import helpers as h
from tests.evaluate.helpers import Site, route, stop

#: Eight hot spots on a ring around the station, 500 m to 1.2 km out, at least 400 m apart.
RING = [
    Site(f"HS-{i}", r * math.cos(i * math.pi / 4), r * math.sin(i * math.pi / 4))
    for i, r in enumerate([600, 900, 1200, 700, 1000, 500, 800, 1100])
]


def _week_plan() -> h.Plan:
    """Two units, two days, early and late: six stops each, one a drive-past, one a revisit."""
    routes = []
    for day in ("2026-12-01", "2026-12-03"):
        for unit, start, end, shift, hours in (
            ("NB-CAR-1", "07:00", "15:00", "early", range(8, 14)),
            ("NB-CAR-2", "15:00", "23:00", "late", range(16, 22)),
        ):
            stops = []
            for k, hour in enumerate(hours):
                # The fourth stop revisits the third's site; the fifth is a drive-past.
                site = RING[((k if k != 3 else 2) * 3 + len(routes)) % len(RING)]
                presence = "drive_past" if k == 4 else "visit"
                dwell = 2 if presence == "drive_past" else 15
                stops.append(stop(k + 1, site, f"{day} {hour:02d}:00", dwell, presence))
            routes.append(route(unit, f"{day} {start}", f"{day} {end}", stops, shift=shift))
    return h.plan(routes)


def _expected(truth: list[dict[str, object]]) -> dict[str, float]:
    """Each route's compliance from the simulation's own record: visited stops / stops."""
    made: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for row in truth:
        total[str(row["route_id"])] += 1
        made[str(row["route_id"])] += bool(row["visited"])
    return {r: made[r] / total[r] for r in total}


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_compliance_matches_the_simulation(tmp_path: Path, seed: int) -> None:
    """Skips, short visits, detours, gaps and 8 m noise: per-route compliance as drawn."""
    sim_mod = h.simulator()
    plan = _week_plan()
    sim = sim_mod.simulate(
        plan,
        h.stations(),
        seed=seed,
        skip_share=0.2,
        short_share=0.2,
        detour_share=0.5,
        gap_share=0.5,
    )
    path = tmp_path / "tracks.csv"
    sim_mod.write_tracks_csv(sim, path)
    start, end = plan_window(plan)
    tracks = read_tracks([path], units={"NB-CAR-1", "NB-CAR-2"}, start=start, end=end)
    ev = evaluate(plan, tracks, h.stations(), Settings())
    expected = _expected(sim.truth)
    assert {s.route.route_id: s.compliance for s in ev.shifts} == pytest.approx(expected)
    # The draws did something: some stops missed, some routes not fully compliant.
    assert 0 < sum(not r["visited"] for r in sim.truth) < len(sim.truth)


def test_gpx_and_csv_exports_agree(tmp_path: Path) -> None:
    """The same simulated tracks as GPX files and as one CSV give the same evaluation."""
    sim_mod = h.simulator()
    plan = _week_plan()
    sim = sim_mod.simulate(plan, h.stations(), seed=5)
    sim_mod.write_tracks_csv(sim, tmp_path / "tracks.csv")
    gpx = sim_mod.write_tracks_gpx(sim, tmp_path)
    start, end = plan_window(plan)
    units = {"NB-CAR-1", "NB-CAR-2"}
    by_csv = evaluate(
        plan,
        read_tracks([tmp_path / "tracks.csv"], units=units, start=start, end=end),
        h.stations(),
    )
    by_gpx = evaluate(plan, read_tracks(gpx, units=units, start=start, end=end), h.stations())
    assert [s.made for s in by_csv.stops] == [s.made for s in by_gpx.stops]
    assert [round(s.on_site_s) for s in by_csv.stops] == [round(s.on_site_s) for s in by_gpx.stops]


def test_no_deviation_means_full_compliance_and_no_time_away(tmp_path: Path) -> None:
    """Without skips, short visits and detours, every stop is made and no time is away."""
    sim_mod = h.simulator()
    plan = _week_plan()
    sim = sim_mod.simulate(plan, h.stations(), seed=8, skip_share=0, short_share=0, detour_share=0)
    sim_mod.write_tracks_csv(sim, tmp_path / "t.csv")
    start, end = plan_window(plan)
    tracks = read_tracks([tmp_path / "t.csv"], units={"NB-CAR-1", "NB-CAR-2"}, start=start, end=end)
    ev = evaluate(plan, tracks, h.stations())
    assert all(s.made for s in ev.stops)
    assert all(s.away_from_plan_s < 60 for s in ev.shifts)


def test_every_detour_is_time_away(tmp_path: Path) -> None:
    """A 15-30 minute detour in every shift shows as time away from the plan.

    At least 5 minutes: the measure errs low, taking off all the planned travel though these
    routes need 5 minutes less (the revisit's planned leg) and less again inside the radius.
    """
    sim_mod = h.simulator()
    plan = _week_plan()
    sim = sim_mod.simulate(plan, h.stations(), seed=8, skip_share=0, short_share=0, detour_share=1)
    sim_mod.write_tracks_csv(sim, tmp_path / "t.csv")
    start, end = plan_window(plan)
    tracks = read_tracks([tmp_path / "t.csv"], units={"NB-CAR-1", "NB-CAR-2"}, start=start, end=end)
    ev = evaluate(plan, tracks, h.stations())
    assert all(s.away_from_plan_s >= 5 * 60 for s in ev.shifts)
