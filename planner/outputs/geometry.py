"""Route geometry in the British National Grid, its WGS84 form, and redaction of restricted sites.

Every output draws the same lines: :func:`route_geometry` stitches a route's legs along the
model's road graph, :func:`lonlat_geometry` and :func:`lonlat` reproject to WGS84 rounded to
6 decimal places (about 0.1 m), and :func:`redaction_area` / :func:`clip_out` replace a
restricted site by an approximate area and cut the lines inside it, so no file or map leads to
an MP's front door.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

import numpy as np
import shapely

from planner.common import to_wgs84
from planner.planning.plan import Plan, PlanRoute

if TYPE_CHECKING:
    from planner.planning.week import PlanResult

#: Radius of the approximate area shown instead of a restricted site, metres.
REDACT_RADIUS_M = 500.0
#: Grid the approximate area's centre is snapped to, metres (BNG squares).
REDACT_GRID_M = 500.0


def lonlat_geometry(geom: shapely.Geometry) -> shapely.Geometry:
    """EPSG:27700 geometry to WGS84 lon/lat, rounded to 6 decimal places (about 0.1 m)."""

    def fn(xy: np.ndarray) -> np.ndarray:
        lon, lat = to_wgs84().transform(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([lon, lat]), 6)

    return shapely.transform(geom, fn)


def lonlat(x_m: float, y_m: float) -> tuple[float, float]:
    """One EPSG:27700 point as rounded ``(lon, lat)``."""
    lon, lat = to_wgs84().transform(x_m, y_m)
    return round(float(lon), 6), round(float(lat), 6)


def redaction_area(x_m: float, y_m: float) -> tuple[float, float, float]:
    """The approximate area shown instead of a restricted site: ``(centre_x, centre_y, radius)``.

    The centre is the middle of the 500 m British National Grid square holding the site, and the
    radius 500 m, so the site is always inside (at most 354 m from the centre) but anywhere in
    a 0.8 km² disc. A grid centre rather than a random offset: a fresh random offset on every
    map would let anyone holding a few maps average them back to the front door.
    """
    cx = (math.floor(x_m / REDACT_GRID_M) + 0.5) * REDACT_GRID_M
    cy = (math.floor(y_m / REDACT_GRID_M) + 0.5) * REDACT_GRID_M
    return cx, cy, REDACT_RADIUS_M


def redaction_discs(plan: Plan) -> shapely.Geometry:
    """Union of the approximate areas of every restricted stop, BNG."""
    pts = [(s.x_m, s.y_m) for s in plan.stops if s.restricted]
    discs = []
    for x, y in pts:
        cx, cy, r = redaction_area(x, y)
        discs.append(shapely.Point(cx, cy).buffer(r, quad_segs=16))
    return shapely.union_all(discs) if discs else shapely.GeometryCollection()


def clip_out(geom: shapely.Geometry, areas: shapely.Geometry) -> shapely.Geometry:
    """``geom`` with the parts inside ``areas`` removed, each line's direction and order kept.

    A route cut around a restricted site must still read from the station onwards (a GPX track
    is followed in order), which shapely's overlay does not promise; so each line is walked
    segment by segment and only segments that touch ``areas`` are cut.
    """
    if areas.is_empty:
        return geom
    out: list[np.ndarray] = []

    def flush(run: list[np.ndarray]) -> None:
        if len(run) >= 2:
            out.append(np.asarray(run))

    for xy in line_parts(geom):
        if len(xy) < 2:
            continue
        segs = shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1))
        hit = shapely.intersects(segs, areas)
        inside = shapely.contains_xy(areas, xy[:, 0], xy[:, 1])
        run: list[np.ndarray] = [] if inside[0] else [xy[0]]
        for i in np.arange(len(segs)):
            if not hit[i]:
                run.append(xy[i + 1])
                continue
            seg = segs[i]
            pieces = []
            for piece in line_parts(shapely.difference(seg, areas)):
                a, b = seg.project(shapely.Point(piece[0])), seg.project(shapely.Point(piece[-1]))
                pieces.append((min(a, b), piece if a <= b else piece[::-1]))
            for _, piece in sorted(pieces, key=lambda p: p[0]):
                if run and np.allclose(run[-1], piece[0], atol=1e-6):
                    run.extend(piece[1:])
                else:
                    flush(run)
                    run = list(piece)
                if not np.allclose(piece[-1], xy[i + 1], atol=1e-6):
                    flush(run)  # the segment goes on into an area
                    run = []
            if not pieces:
                flush(run)
                run = []
        flush(run)
    if not out:
        return shapely.LineString()
    return shapely.LineString(out[0]) if len(out) == 1 else shapely.MultiLineString(out)


def line_parts(geom: shapely.Geometry) -> list[np.ndarray]:
    """Coordinate arrays of every line in a (multi)line geometry."""
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, shapely.LineString):
        return [np.asarray(geom.coords)]
    parts: list[np.ndarray] = []
    for g in getattr(geom, "geoms", []):
        parts.extend(line_parts(g))
    return parts


def route_geometry(result: PlanResult, route: PlanRoute) -> shapely.LineString:
    """Road-following geometry of one route, EPSG:27700: station -> stops -> station.

    Each leg is the network path between two locations of the model's graph for the route's
    mode (stations and sites are both spliced into it by id), stitched end to start.
    """
    graph = result.model.graphs[route.mode]
    ids = [route.station_id, *(s.site_id for s in route.stops), route.station_id]
    coords: list[np.ndarray] = []
    for a, b in itertools.pairwise(ids):
        line, _ = graph.path(a, b)
        xy = np.asarray(line.coords)
        if coords and len(xy) and np.allclose(coords[-1][-1], xy[0]):
            xy = xy[1:]
        coords.append(xy)
    xy = np.concatenate([c for c in coords if len(c)])
    if len(xy) < 2:
        xy = np.vstack([xy, xy])
    return shapely.LineString(xy)


def route_geometries(result: PlanResult) -> dict[str, shapely.LineString]:
    """:func:`route_geometry` for every route of the plan, by route id."""
    return {r.route_id: route_geometry(result, r) for r in result.plan.routes}
