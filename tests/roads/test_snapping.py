"""Placing sites on the road network (planner.roads.snapping)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pytest
import shapely

from planner.common import to_bng
from planner.errors import InputError
from planner.roads.matrix import SiteGraph, travel_time_matrix
from planner.roads.network import RoadNetwork
from planner.roads.snapping import snap_sites


def bng(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 to British National Grid metres."""
    x, y = to_bng().transform(lon, lat)
    return float(x), float(y)


def test_snaps_town_sites_close(rutland: RoadNetwork) -> None:
    """Oakham Castle and Uppingham market snap within a few tens of metres."""
    pts = [bng(-0.7296, 52.6705), bng(-0.7231, 52.5866)]
    snaps = snap_sites(rutland.car, ["castle", "market"], [p[0] for p in pts], [p[1] for p in pts])
    assert snaps.snapped.all()
    assert (snaps.snap_distance_m < 50).all()
    # The snapped point is on the segment it names.
    lines = rutland.car.segment_lines()[snaps.segment]
    on_line = shapely.distance(lines, shapely.points(snaps.snap_x_m, snaps.snap_y_m))
    assert np.allclose(on_line, 0, atol=1e-6)


def test_site_in_the_sea_and_in_rutland_water(rutland: RoadNetwork) -> None:
    """A site in the North Sea or in the middle of Rutland Water is rejected with the distance."""
    sea, lake = bng(0.60, 53.20), bng(-0.625, 52.655)
    snaps = snap_sites(rutland.car, ["sea", "lake"], [sea[0], lake[0]], [sea[1], lake[1]])
    assert not snaps.snapped.any()
    reasons = {r.site_id: r for r in snaps.rejections}
    assert reasons["sea"].nearest_road_m is not None and reasons["sea"].nearest_road_m > 30_000
    assert "no car road within 300 m" in reasons["lake"].reason
    assert 300 < (reasons["lake"].nearest_road_m or 0) < 3_000


def test_beside_oneway_dual_carriageway(rutland: RoadNetwork) -> None:
    """A site 15 m off the A1 (a one-way carriageway) snaps to it and is still reachable both ways.

    The A1 through Rutland is a dual carriageway: each side is one-way. A site there can be
    left only northbound or southbound, so going there and back costs more than the way there.
    """
    car = rutland.car
    hw = np.asarray(car.highway_labels)[car.edge_highway]
    oneway_trunk = car.edge_segment[(hw == "trunk") & car.edge_oneway]
    lines = car.segment_lines()
    seg = max(np.unique(oneway_trunk).tolist(), key=lambda s: shapely.length(lines[s]))
    mid = shapely.line_interpolate_point(lines[seg], 0.5, normalized=True)
    oakham = bng(-0.7296, 52.6705)
    # Offset 15 m perpendicular to the carriageway.
    a = shapely.line_interpolate_point(lines[seg], 0.49, normalized=True)
    dx, dy = mid.x - a.x, mid.y - a.y
    norm = np.hypot(dx, dy)
    site = (mid.x - dy / norm * 15, mid.y + dx / norm * 15)
    snaps = snap_sites(car, ["a1", "oakham"], [site[0], oakham[0]], [site[1], oakham[1]])
    assert snaps.snapped.all()
    assert (
        car.edge_oneway[car.seg_fwd_edge[snaps.segment[0]]]
        or car.seg_fwd_edge[snaps.segment[0]] < 0
    )
    assert snaps.snap_distance_m[0] < 40
    m = travel_time_matrix(SiteGraph.build(car, snaps))
    assert m.reachable.all()
    there, back = m.travel_time_s[1, 0], m.travel_time_s[0, 1]
    assert np.isfinite(there) and np.isfinite(back) and there > 60 and back > 60


def test_two_sites_on_one_spot(rutland: RoadNetwork) -> None:
    """Two sites at the same point snap identically, 0 s apart, with identical rows."""
    p, q = bng(-0.7296, 52.6705), bng(-0.7231, 52.5866)
    snaps = snap_sites(rutland.car, ["a", "b", "c"], [p[0], p[0], q[0]], [p[1], p[1], q[1]])
    assert snaps.segment[0] == snaps.segment[1] and snaps.fraction[0] == snaps.fraction[1]
    m = travel_time_matrix(SiteGraph.build(rutland.car, snaps))
    assert m.travel_time_s[0, 1] == pytest.approx(0, abs=1e-3)
    assert m.travel_time_s[1, 0] == pytest.approx(0, abs=1e-3)
    assert m.travel_time_s[0, 2] == pytest.approx(m.travel_time_s[1, 2], abs=1e-3)


def test_site_on_isolated_piece(rutland: RoadNetwork) -> None:
    """A site by a road cut off from the main network is rejected as such, not snapped."""
    car = rutland.car
    lines = car.segment_lines()
    main_tree = shapely.STRtree(lines[car.seg_main])
    for seg in np.flatnonzero(~car.seg_main):
        mid = shapely.line_interpolate_point(lines[seg], 0.5, normalized=True)
        _, dist = main_tree.query_nearest(mid, return_distance=True)
        if dist[0] > 60:
            break
    else:  # pragma: no cover - data changed
        pytest.fail("no isolated road 60 m from the main network in Rutland")
    snaps = snap_sites(car, ["cut-off"], [mid.x], [mid.y], max_snap_m=50)
    assert not snaps.snapped[0]
    assert "cut off" in snaps.rejections[0].reason


def test_no_coordinates_and_duplicates(rutland: RoadNetwork) -> None:
    """Sites without coordinates are reported; duplicate ids are refused."""
    snaps = snap_sites(rutland.car, ["postcode-only"], [np.nan], [np.nan])
    assert "no coordinates" in snaps.rejections[0].reason
    with pytest.raises(InputError, match="unique"):
        snap_sites(rutland.car, ["a", "a"], [0.0, 0.0], [0.0, 0.0])


def test_motorway_is_not_a_snap_target(square_net: Callable[..., RoadNetwork]) -> None:
    """A site beside the motorway spur snaps to the street beyond it, or is refused."""
    net = square_net()
    car = net.car
    motorway = np.flatnonzero(np.asarray(car.highway_labels)[car.edge_highway] == "motorway")
    line = car.segment_lines()[car.edge_segment[motorway[0]]]
    mid = shapely.line_interpolate_point(line, 0.5, normalized=True)
    snaps = snap_sites(car, ["m"], [mid.x], [mid.y + 5], max_snap_m=100)
    assert not snaps.snapped[0]
    assert "cannot stop" in snaps.rejections[0].reason
    allowed = snap_sites(car, ["m"], [mid.x], [mid.y + 5], max_snap_m=100, no_snap_highways=())
    assert allowed.snapped[0]


def test_report_rows_cover_every_site(rutland: RoadNetwork) -> None:
    """The snap report has a row for each input site, with a reason for each rejection."""
    p = bng(-0.7296, 52.6705)
    snaps = snap_sites(rutland.car, ["ok", "nan"], [p[0], np.nan], [p[1], np.nan])
    rows = snaps.report_rows()
    assert [r["site_id"] for r in rows] == ["ok", "nan"]
    assert rows[0]["status"] == "snapped" and rows[1]["status"] == "rejected" and rows[1]["reason"]


def test_far_snaps_are_warned(rutland: RoadNetwork, caplog: pytest.LogCaptureFixture) -> None:
    """A raised limit places sites on Rutland Water's shore roads, 575 and 719 m away: warned.

    Both the limit over 500 m and each site over 300 m from its road are named, farthest first.
    """
    pts = {"castle": bng(-0.7296, 52.6705), "lake2": bng(-0.64, 52.66), "lake4": bng(-0.63, 52.65)}
    xs, ys = [p[0] for p in pts.values()], [p[1] for p in pts.values()]
    with caplog.at_level(logging.WARNING, logger="planner.roads.snapping"):
        snaps = snap_sites(rutland.car, list(pts), xs, ys, max_snap_m=1000)
    assert snaps.snapped.all()
    assert [(s, round(d)) for s, d in snaps.far_snaps()] == [("lake4", 719), ("lake2", 575)]
    assert "max_snap_m is 1000 m: a site may be placed on a car road up to that far" in caplog.text
    assert "2 sites are over 300 m from the car road they were placed on: lake4 719 m, " in (
        caplog.text
    )
    assert "castle" not in caplog.text


def test_near_snaps_are_not_warned(rutland: RoadNetwork, caplog: pytest.LogCaptureFixture) -> None:
    """Sites near their roads with a limit under 500 m give no warning."""
    pts = [bng(-0.7296, 52.6705), bng(-0.7231, 52.5866)]
    with caplog.at_level(logging.WARNING, logger="planner.roads.snapping"):
        snaps = snap_sites(
            rutland.car, ["a", "b"], [p[0] for p in pts], [p[1] for p in pts], max_snap_m=450
        )
    assert snaps.far_snaps() == [] and caplog.text == ""
