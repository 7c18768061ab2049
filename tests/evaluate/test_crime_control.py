"""Crime at control against treated hot-spot-days, on a small hand-built crime file."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import shapely
from click.testing import CliRunner

from planner.cli import cli
from planner.common import to_wgs84
from planner.config import load_config
from planner.demand.control import ControlChoice
from planner.demand.crimes import PUBLISHED_COLUMNS
from planner.demand.harm import resolve_harm_weights
from planner.demand.hotspots import _banned_segments
from planner.errors import InputError
from planner.evaluate.crime_control import compare_crime
from planner.planning.plan import Plan, read_plan_json, write_plan_json
from planner.roads.area import area_network
from planner.roads.snapping import DEFAULT_NO_SNAP_HIGHWAYS
from tests.evaluate import helpers as h
from tests.evaluate.helpers import NORTH, follow, route, stop

DAYS = [dt.date(2026, 11, 30) + dt.timedelta(days=i) for i in range(7)]
CELL_M = 150.0
#: Hot spots at these offsets from the station (metres), each in its own 150 m cell.
SPOTS = {"HS-A": (0.0, 800.0), "HS-B": (900.0, 0.0), "HS-C": (-700.0, 300.0)}
#: Control days per hot spot (the first ones of the week), and crimes in December.
CONTROL_DAYS = {"HS-A": 2, "HS-B": 0, "HS-C": 1}
CRIMES = {"HS-A": 4, "HS-B": 1, "HS-C": 2}


def _cell(site: str) -> tuple[float, float, str]:
    """The cell's centre and its unit id, as planner.demand.hotspots names it."""
    sx, sy = h.station_xy()
    dx, dy = SPOTS[site]
    ix, iy = (sx + dx) // CELL_M, (sy + dy) // CELL_M
    return (ix + 0.5) * CELL_M, (iy + 0.5) * CELL_M, f"E{ix * CELL_M:.0f}N{iy * CELL_M:.0f}"


def _choice() -> ControlChoice:
    control = [(s, d) for s, n in CONTROL_DAYS.items() for d in DAYS[:n]]
    treated = [(s, d) for s in SPOTS for d in DAYS if (s, d) not in control]
    return ControlChoice(0.2, 5, tuple(sorted(control)), tuple(sorted(treated)))


def _run(tmp_path: Path) -> tuple[Path, Path]:
    """A run folder (plan.json with the control days, demand/hotspots.csv) and a crime file."""
    r = route(
        "NB-CAR-1", "2026-12-01 07:00", "2026-12-01 15:00", [stop(1, NORTH, "2026-12-01 09:00")]
    )
    plan: Plan = dataclasses.replace(h.plan([r]), evaluation=_choice())
    run = tmp_path / "run"
    (run / "demand").mkdir(parents=True)
    write_plan_json(plan, run / "plan.json")
    with (run / "demand" / "hotspots.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["site_id", "rank", "method", "unit_id", "easting", "northing"])
        for i, s in enumerate(SPOTS, start=1):
            x, y, unit = _cell(s)
            w.writerow([s, i, "grid", unit, x, y])
    rows = []
    for s, n in CRIMES.items():
        x, y, _ = _cell(s)
        rows += [("2026-12", x + 10 * k, y - 10 * k) for k in range(n)]
        rows.append(("2026-10", x, y))  # before the week: not an outcome of the plan
    sx, sy = h.station_xy()
    rows.append(("2026-12", sx + 3000, sy + 3000))  # in no hot spot
    crimes = tmp_path / "2026-12-northshire-street.csv"
    with crimes.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(PUBLISHED_COLUMNS)
        for i, (month, x, y) in enumerate(rows):
            lon, lat = to_wgs84().transform(x, y)
            w.writerow(
                [f"c{i}", month, "Northshire Police", "Northshire Police", f"{lon:.6f}",
                 f"{lat:.6f}", "On or near High Street", "E01", "Northby 001A", "Burglary", "", ""]
            )  # fmt: skip
    return run, crimes


def test_crimes_counted_per_hot_spot_and_compared(tmp_path: Path) -> None:
    run, crimes = _run(tmp_path)
    comp = compare_crime(
        load_config(h.DEMO_CONFIG),
        read_plan_json(run / "plan.json"),
        [crimes],
        run / "demand" / "hotspots.csv",
    )
    assert comp.months == ("2026-12",) and comp.dropped_before == 3
    assert {s.site_id: s.crimes for s in comp.spots} == CRIMES
    assert {s.site_id: s.control_days for s in comp.spots} == CONTROL_DAYS
    c, t = comp.side(True), comp.side(False)
    assert c["hotspot_days"] == 3 and t["hotspot_days"] == 18
    assert c["hotspots"] == 2 and t["hotspots"] == 3
    # Each hot spot's crimes count once per control day and once per treated day.
    assert c["crimes"] == pytest.approx((2 * 4 + 1 * 2) / 3)
    assert t["crimes"] == pytest.approx((5 * 4 + 7 * 1 + 6 * 2) / 18)
    burglary = resolve_harm_weights()["Burglary"]
    assert c["harm"] == pytest.approx(burglary * (2 * 4 + 1 * 2) / 3)
    assert comp.redraw_p is not None and 0 < comp.redraw_p <= 1
    note, _, rows = comp.table()
    assert "month, not day" in note and "7 crimes at 3 hot spots" in note
    assert rows[2][0] == "crimes per hot-spot-month" and rows[2][1] == "3.33"


def test_a_plan_without_control_days_is_refused(tmp_path: Path) -> None:
    run, crimes = _run(tmp_path)
    plan = dataclasses.replace(h.plan([]), evaluation=None)
    with pytest.raises(InputError, match="no control hot-spot-days"):
        compare_crime(load_config(h.DEMO_CONFIG), plan, [crimes], run / "demand" / "hotspots.csv")


def test_evaluate_with_crimes_writes_the_comparison(tmp_path: Path) -> None:
    run, crimes = _run(tmp_path)
    r = route(
        "NB-CAR-1", "2026-12-01 07:00", "2026-12-01 15:00", [stop(1, NORTH, "2026-12-01 09:00")]
    )
    gpx = h.write_gpx(tmp_path / "car1.gpx", "NB-CAR-1", h.sample(follow(r)))
    out = tmp_path / "eval"
    result = CliRunner().invoke(
        cli,
        [str(a) for a in ("evaluate", h.DEMO_CONFIG, "--plan", run / "plan.json", "--tracks",
                          gpx, "--crimes", crimes, "--out", out)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "Crimes per hot-spot-month: 3.33 control (3 hot-spot-days)" in result.stdout
    with (out / "crime_control.csv").open(encoding="utf-8") as f:
        rows = {r["site_id"]: r for r in csv.DictReader(f)}
    assert rows["HS-A"]["crimes"] == "4" and rows["HS-A"]["control_days"] == "2"
    md = (out / "evaluation.md").read_text(encoding="utf-8")
    assert "## Crime at hot spots: control against treated days" in md
    assert "too small a dose" in md
    assert "Crime at hot spots" in (out / "evaluation.html").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- street segments

#: Crimes in December on each segment hot spot, and its control days (first ones of the week).
SEG_CRIMES = {"HS-S1": 3, "HS-S2": 1, "HS-S3": 2}
SEG_CONTROL_DAYS = {"HS-S1": 0, "HS-S2": 2, "HS-S3": 1}


def _clear_points(lines: np.ndarray, usable: np.ndarray, n: int) -> list[tuple[int, float, float]]:
    """``n`` usable segments near the station, each with a point on it no other segment nears.

    A point on a segment is 0 m from it; one more than 5 m from every other usable segment can
    only be that segment's, so the test checks the matching, not a tie between two roads.
    """
    sx, sy = h.station_xy()
    near = usable[np.argsort(shapely.distance(lines[usable], shapely.Point(sx, sy)))]
    out: list[tuple[int, float, float]] = []
    for seg in near[:200]:
        p = shapely.line_interpolate_point(lines[seg], 0.4, normalized=True)
        d = shapely.distance(lines[usable], p)
        if np.sort(d)[1] > 5.0 and shapely.length(lines[seg]) > 20.0:
            out.append((int(seg), float(shapely.get_x(p)), float(shapely.get_y(p))))
        if len(out) == n:
            return out
    raise AssertionError("the demo town has too few clear segments near the station")


def test_segment_hot_spots_count_crimes_on_their_own_street(tmp_path: Path) -> None:
    """[incidents] method = "segment": each crime goes to its nearest street segment.

    Three hot spots are street segments of the demo town; crimes lie on them (and one on a
    segment that is no hot spot, one 1 km from any road). Each hot spot counts exactly its own
    crimes, and the control side weighs them by its control days.
    """
    config = load_config(h.DEMO_CONFIG)
    config = config.model_copy(
        update={"incidents": config.incidents.model_copy(update={"method": "segment"})}
    )
    cache = tmp_path / "cache"
    net = area_network(config, cache).car
    usable = np.flatnonzero(net.seg_main & ~_banned_segments(net, DEFAULT_NO_SNAP_HIGHWAYS))
    lines = net.segment_lines()
    (s1, s2, s3, other) = _clear_points(lines, usable, 4)
    spots = dict(zip(SEG_CRIMES, (s1, s2, s3), strict=True))
    control = [(s, d) for s, n in SEG_CONTROL_DAYS.items() for d in DAYS[:n]]
    treated = [(s, d) for s in SEG_CRIMES for d in DAYS if (s, d) not in control]
    choice = ControlChoice(0.2, 5, tuple(sorted(control)), tuple(sorted(treated)))
    plan: Plan = dataclasses.replace(h.plan([]), evaluation=choice)
    hotspots = tmp_path / "hotspots.csv"
    with hotspots.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["site_id", "rank", "method", "unit_id", "easting", "northing"])
        for i, (site, (seg, x, y)) in enumerate(spots.items(), start=1):
            w.writerow([site, i, "segment", f"seg-{seg}", x, y])
    points = [(x, y) for site, (_, x, y) in spots.items() for _ in range(SEG_CRIMES[site])]
    points.append((other[1], other[2]))  # on a street that is no hot spot
    sx, sy = h.station_xy()
    points.append((sx + 50_000, sy))  # 50 km off: no segment within 100 m (and out of the area)
    crimes = tmp_path / "2026-12-northshire-street.csv"
    with crimes.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(PUBLISHED_COLUMNS)
        for i, (x, y) in enumerate(points):
            lon, lat = to_wgs84().transform(x, y)
            w.writerow(
                [f"c{i}", "2026-12", "Northshire Police", "Northshire Police", f"{lon:.6f}",
                 f"{lat:.6f}", "On or near High Street", "E01", "Northby 001A", "Burglary", "", ""]
            )  # fmt: skip
    comp = compare_crime(config, plan, [crimes], hotspots, cache_dir=cache)
    got = {s.site_id: (s.unit_id, s.crimes, s.control_days, s.treated_days) for s in comp.spots}
    assert got == {
        site: (f"seg-{spots[site][0]}", SEG_CRIMES[site], SEG_CONTROL_DAYS[site],
               7 - SEG_CONTROL_DAYS[site])
        for site in SEG_CRIMES
    }  # fmt: skip
    c, t = comp.side(True), comp.side(False)
    assert c["hotspot_days"] == 3 and t["hotspot_days"] == 18
    # Control: S2's 1 crime twice, S3's 2 once; treated: 7 x 3 + 5 x 1 + 6 x 2.
    assert c["crimes"] == pytest.approx((2 * 1 + 1 * 2) / 3)
    assert t["crimes"] == pytest.approx((7 * 3 + 5 * 1 + 6 * 2) / 18)


def test_segment_hot_spots_need_the_road_network(tmp_path: Path) -> None:
    """Segment hot spots without --cache-dir: a clear error saying what to give."""
    run, crimes = _run(tmp_path)
    seg = tmp_path / "hotspots.csv"
    seg.write_text(
        "site_id,unit_id\n" + "".join(f"{s},seg-{i}\n" for i, s in enumerate(SPOTS)),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="--cache-dir"):
        compare_crime(load_config(h.DEMO_CONFIG), read_plan_json(run / "plan.json"), [crimes], seg)
