"""A redacted run leaks nothing of a restricted site's position (planner.outputs, ``redact=True``).

The demo has an MP's home, restricted. Its redacted run folder is read the way an adversary
would: every number pair in every file except ``plan.json`` (the master record, kept whole)
that could be a coordinate - GPX attributes, GeoJSON arrays, CSV columns, any ``a, b`` pair of
numbers in any text (the map's script, the briefings), and each briefing's SVG route map turned
back into grid metres with its station and scale bar - must be outside the home's approximate
area, but for the area's own centre; no edge of a route map's frame may sit on the home's
easting or northing. The home's coordinates must not appear as text either.

The area is a disc (:func:`planner.outputs.geometry.redaction_area`): radius ``REDACT_RADIUS_M``
around the centre of the ``REDACT_GRID_M`` grid square holding the home, drawn as a 64-gon
inscribed in the circle, so a line cut at its edge ends up to 0.6 m inside the circle: a point
counts as inside when it is more than :data:`EDGE_M` inside.

Last, the redacted outputs must depend on the redacted geometry only: moving the home within its
grid square and rerouting the line inside its area must not change a byte of them.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import shapely

from planner.common import to_bng, to_wgs84
from planner.outputs.briefings import briefing_html
from planner.outputs.geojson import routes_geojson
from planner.outputs.geometry import REDACT_GRID_M, redaction_area, route_geometries
from planner.outputs.gpx import route_gpx
from planner.outputs.map import plan_map, render_map
from planner.outputs.run import RunFolder, write_run
from planner.planning.week import PlanResult

#: How far inside the circle a point must be to count as inside: the 64-gon's edge (0.6 m in)
#: plus rounding of the coordinates (0.1 m at 6 decimal places).
EDGE_M = 2.0
#: A point this close to the disc's centre is the centre (a waypoint, the area's marker).
CENTRE_M = 1.0

_NUM = r"-?\d+(?:\.\d+)?"
#: Two numbers with only a comma, semicolon or white space between them: ``[lat, lon]``,
#: ``lon,lat`` CSV cells, ``x,y`` SVG points. Non-overlapping, so a list of pairs stays aligned.
PAIR_RE = re.compile(rf"({_NUM})\s*[,;]?\s*({_NUM})")
TOKEN_RE = re.compile(rf"(?<![\d.]){_NUM}(?![\d.])")


@dataclasses.dataclass(frozen=True)
class Area:
    """A restricted site and the disc shown instead of it (BNG metres)."""

    site_id: str
    x_m: float
    y_m: float
    cx_m: float
    cy_m: float
    r_m: float

    def leaks(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Which points are inside the disc, other than its centre."""
        d = np.hypot(xs - self.cx_m, ys - self.cy_m)
        return (d < self.r_m - EDGE_M) & (d > CENTRE_M)


def areas_of(result: PlanResult) -> list[Area]:
    """Every restricted site of the inputs, with its disc."""
    out = []
    for s in result.inputs.demand.sites:
        if s.restricted:
            cx, cy, r = redaction_area(s.x_m, s.y_m)
            out.append(Area(s.site_id, s.x_m, s.y_m, cx, cy, r))
    return out


@pytest.fixture(scope="module")
def redacted_run(demo_plan: PlanResult, tmp_path_factory: pytest.TempPathFactory) -> RunFolder:
    """The demo's whole run folder (map and demand tables too), redacted."""
    return write_run(demo_plan, tmp_path_factory.mktemp("leaks") / "demo", redact=True)


@pytest.fixture(scope="module")
def areas(demo_plan: PlanResult) -> list[Area]:
    """The demo's restricted sites; the demo's plan must visit one for these tests to mean much."""
    found = areas_of(demo_plan)
    assert found, "the demo should have a restricted MP's home"
    assert any(s.restricted for s in demo_plan.plan.stops), "the demo plan should visit it"
    return found


def _output_files(run: RunFolder) -> list[Path]:
    return [run.path / f for f in run.files if f.name not in {"plan.json", ".planner-run"}]


# ----------------------------------------------------------------------------- candidate points


def as_grid(pairs: np.ndarray) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """Every reading of number pairs as a position: (lon, lat), (lat, lon), (easting, northing)."""
    if not len(pairs):
        return
    a, b = pairs[:, 0], pairs[:, 1]
    yield "easting, northing", a, b
    for name, lon, lat in (("lon, lat", a, b), ("lat, lon", b, a)):
        ok = (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
        x, y = to_bng().transform(lon[ok], lat[ok])
        yield name, np.asarray(x), np.asarray(y)


def text_pairs(text: str) -> np.ndarray:
    """Every two numbers side by side in ``text`` (see :data:`PAIR_RE`)."""
    pairs = [(float(m[1]), float(m[2])) for m in PAIR_RE.finditer(text)]
    return np.asarray(pairs, dtype=float).reshape(-1, 2)


def csv_pairs(path: Path) -> np.ndarray:
    """(x, y) of every row's coordinate columns: lon/lat as (lon, lat), easting/northing, x/y."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    pairs = []
    for row in rows:
        for kx, ky in (("lon", "lat"), ("easting", "northing"), ("x_m", "y_m"), ("x", "y")):
            if row.get(kx) and row.get(ky):
                try:
                    pairs.append((float(row[kx]), float(row[ky])))
                except ValueError:
                    pytest.fail(f"{path.name}: {kx}/{ky} not numbers: {row[kx]!r}, {row[ky]!r}")
    return np.asarray(pairs, dtype=float).reshape(-1, 2)


def gpx_pairs(path: Path) -> np.ndarray:
    """(lon, lat) of every waypoint and track point."""
    root = ET.parse(path).getroot()
    pts = [
        (float(el.attrib["lon"]), float(el.attrib["lat"]))
        for el in root.iter()
        if "lat" in el.attrib and "lon" in el.attrib
    ]
    return np.asarray(pts, dtype=float).reshape(-1, 2)


def geojson_pairs(path: Path) -> np.ndarray:
    """Every ``[a, b]`` array of numbers anywhere in a JSON document (coordinates, a bbox...)."""
    out: list[tuple[float, float]] = []

    def walk(v: object) -> None:
        if isinstance(v, list):
            if len(v) >= 2 and all(isinstance(n, int | float) for n in v):
                out.extend(zip(v[0::2], v[1::2], strict=False))
            for item in v:
                walk(item)
        elif isinstance(v, dict):
            for item in v.values():
                walk(item)

    walk(json.loads(path.read_text(encoding="utf-8")))
    return np.asarray(out, dtype=float).reshape(-1, 2)


@dataclasses.dataclass(frozen=True)
class RouteMap:
    """A briefing's route map turned back into grid metres.

    Attributes
    ----------
    points
        Every point drawn (line vertices, stops, areas), ``(n, 2)`` metres.
    frame
        ``(minx, miny, maxx, maxy)`` of the whole picture, metres.
    slack_m
        How far off a point may be: pixels are rounded to 0.1 px, and so is the scale bar's end.
    """

    points: np.ndarray
    frame: tuple[float, float, float, float]
    slack_m: float

    def edges(self) -> tuple[list[float], list[float]]:
        """Every easting and every northing the frame tells (edges, centre, what it frames).

        The frame is what is drawn, spread 10 % on its longer side and centred: either axis may
        be the longer, so both readings are given.
        """
        minx, miny, maxx, maxy = self.frame
        cx, cy, half = (minx + maxx) / 2, (miny + maxy) / 2, (maxx - minx) / 2 / 1.1
        return [minx, maxx, cx, cx - half, cx + half], [miny, maxy, cy, cy - half, cy + half]


def route_map(page: str, result: PlanResult) -> RouteMap:
    """Read a briefing's SVG route map back into grid metres (see :class:`RouteMap`).

    The map is north up at one scale; the scale bar gives metres per pixel and the station's
    square (whose real position is known from the config) anchors it.
    """
    svg = ET.fromstring(page[page.index("<svg") : page.index("</svg>") + len("</svg>")])
    ns = "{http://www.w3.org/2000/svg}"
    station = next(r for r in svg.iter(f"{ns}rect") if r.find(f"{ns}title") is not None)
    spx = float(station.attrib["x"]) + 6
    spy = float(station.attrib["y"]) + 6
    bar = svg.find(f"{ns}line")
    assert bar is not None
    label = next(
        t.text for t in svg.iter(f"{ns}text") if t.text and re.fullmatch(r"[\d.]+ k?m", t.text)
    )
    value, unit = label.split()
    bar_m = float(value) * (1000 if unit == "km" else 1)
    px_per_m = (float(bar.attrib["x2"]) - float(bar.attrib["x1"])) / bar_m
    name = re.search(r"<strong>Station</strong> ([^<]*)</span>", page)
    assert name is not None
    inputs = result.inputs
    names = {s.id: s.name or s.id for s in inputs.config.stations}
    idx = [names.get(sid, sid) for sid in inputs.stations.site_id].index(name[1])
    sx, sy = float(inputs.stations.x_m[idx]), float(inputs.stations.y_m[idx])

    def grid(px: np.ndarray) -> np.ndarray:
        return np.column_stack([sx + (px[:, 0] - spx) / px_per_m, sy - (px[:, 1] - spy) / px_per_m])

    drawn: list[tuple[float, ...]] = []
    for line in svg.iter(f"{ns}polyline"):
        drawn += [tuple(map(float, p.split(","))) for p in line.attrib["points"].split()]
    for c in svg.iter(f"{ns}circle"):
        drawn.append((float(c.attrib["cx"]), float(c.attrib["cy"])))
    size = float(svg.attrib["width"])
    points = grid(np.asarray(drawn, dtype=float))
    (minx, maxy), (maxx, miny) = grid(np.array([[0.0, 0.0], [size, size]]))
    slack = 2 * 0.1 / px_per_m + 0.002 * (maxx - minx)
    return RouteMap(points, (minx, miny, maxx, maxy), slack)


def _check(where: str, xs: np.ndarray, ys: np.ndarray, areas: list[Area], slack_m: float) -> None:
    for area in areas:
        d = np.hypot(xs - area.cx_m, ys - area.cy_m)
        bad = (d < area.r_m - EDGE_M - slack_m) & (d > CENTRE_M + slack_m)
        assert not bad.any(), (
            f"{where}: {int(bad.sum())} points inside {area.site_id}'s area, e.g. "
            f"({xs[bad][0]:.1f}, {ys[bad][0]:.1f}), {d[bad][0]:.1f} m from its centre"
        )


# ----------------------------------------------------------------------------- tests


def test_every_file_is_checked(redacted_run: RunFolder) -> None:
    """The run under test has every kind of output, so the scans below see them all."""
    names = {f.name for f in redacted_run.files}
    parts = {f.parts[0] for f in redacted_run.files}
    assert {"map.html", "routes.geojson", "schedule.csv", "unserved.csv", "summary.md"} <= names
    assert {"gpx", "briefings", "demand"} <= parts
    assert redacted_run.redact


def test_no_coordinate_inside_a_restricted_area(
    redacted_run: RunFolder, demo_plan: PlanResult, areas: list[Area]
) -> None:
    """No pair of numbers in any output, read as any kind of coordinate, is inside the area."""
    scanned = 0
    for path in _output_files(redacted_run):
        text = path.read_text(encoding="utf-8")
        sources = {"text": text_pairs(text)}
        if path.suffix == ".csv":
            sources["columns"] = csv_pairs(path)
        elif path.suffix == ".gpx":
            sources["points"] = gpx_pairs(path)
        elif path.suffix == ".geojson":
            sources["arrays"] = geojson_pairs(path)
        for how, pairs in sources.items():
            for reading, xs, ys in as_grid(pairs):
                scanned += len(xs)
                _check(f"{path.name} ({how} as {reading})", xs, ys, areas, 0.0)
        if path.suffix == ".html" and path.parent.name == "briefings":
            sketch = route_map(text, demo_plan)
            pts = sketch.points
            _check(f"{path.name} (route map)", pts[:, 0], pts[:, 1], areas, sketch.slack_m)
            # The frame's corners may fall in an area (they are drawn from what is shown), but
            # no edge of it may sit on the home's easting or northing.
            eastings, northings = sketch.edges()
            for area in areas:
                near = min(
                    *(abs(e - area.x_m) for e in eastings), *(abs(n - area.y_m) for n in northings)
                )
                assert near > sketch.slack_m + EDGE_M, (
                    f"{path.name}: the route map's frame gives {area.site_id} to {near:.1f} m"
                )
    assert scanned > 10_000  # the map's roads and routes, the GPX tracks...


def test_redacted_routes_reach_the_area_only(redacted_run: RunFolder, areas: list[Area]) -> None:
    """The check is not vacuous: GPX tracks reach the area's edge; a waypoint marks its centre."""
    on_edge = at_centre = 0
    for path in (redacted_run.path / "gpx").iterdir():
        lon_lat = gpx_pairs(path)
        x, y = to_bng().transform(lon_lat[:, 0], lon_lat[:, 1])
        for area in areas:
            d = np.hypot(np.asarray(x) - area.cx_m, np.asarray(y) - area.cy_m)
            on_edge += int((np.abs(d - area.r_m) < EDGE_M).sum())
            at_centre += int((d < CENTRE_M).sum())
    assert on_edge > 0 and at_centre > 0


def test_home_coordinates_never_written(redacted_run: RunFolder, areas: list[Area]) -> None:
    """The home's lon/lat (5 or 6 decimal places) and easting/northing (to the metre) are nowhere.

    4 decimal places (11 m) are left to the area check: a lone latitude to 11 m is shared by
    every point along a line across the country.
    """
    for area in areas:
        lon, lat = (float(v) for v in to_wgs84().transform(area.x_m, area.y_m))
        forms = {f"{v:.{k}f}".rstrip("0") for v in (lon, lat) for k in (5, 6)}
        forms |= {f"{math.trunc(v * 10**k) / 10**k:.{k}f}" for v in (lon, lat) for k in (5, 6)}
        forms |= {f"{v:.0f}" for v in (area.x_m, area.y_m)}
        forms |= {str(math.trunc(v)) for v in (area.x_m, area.y_m)}
        forms |= {f"{v:.1f}" for v in (area.x_m, area.y_m)}
        for path in _output_files(redacted_run):
            tokens = set(TOKEN_RE.findall(path.read_text(encoding="utf-8")))
            found = forms & tokens
            assert not found, f"{path.name} holds {sorted(found)} ({area.site_id})"


# ----------------------------------------------------------------------------- invariance


def _moved_home(result: PlanResult, area: Area) -> tuple[PlanResult, float, float]:
    """The result with the home moved within its grid square (same area), in inputs and plan."""
    for dx, dy in ((60.0, -45.0), (-60.0, 45.0), (60.0, 45.0), (-60.0, -45.0)):
        x, y = area.x_m + dx, area.y_m + dy
        if redaction_area(x, y) == (area.cx_m, area.cy_m, area.r_m):
            break
    else:  # pragma: no cover - a 500 m square always has room for one of them
        pytest.fail("no move keeps the home in its grid square")
    assert REDACT_GRID_M > 2 * 60

    plan = result.plan
    routes = tuple(
        dataclasses.replace(
            r,
            stops=tuple(
                dataclasses.replace(s, x_m=x, y_m=y) if s.site_id == area.site_id else s
                for s in r.stops
            ),
        )
        for r in plan.routes
    )
    inputs = result.inputs
    sites = tuple(
        dataclasses.replace(s, x_m=x, y_m=y) if s.site_id == area.site_id else s
        for s in inputs.demand.sites
    )
    inputs = dataclasses.replace(inputs, demand=dataclasses.replace(inputs.demand, sites=sites))
    moved = PlanResult(
        plan=dataclasses.replace(plan, routes=routes),
        model=dataclasses.replace(result.model, inputs=inputs),
        solution=result.solution,
    )
    return moved, x, y


def _rerouted(
    geom: shapely.LineString, area: Area, moved: tuple[float, float], station: tuple[float, float]
) -> shapely.LineString:
    """``geom`` rerouted inside the area: to the moved home, then a detour to the far side.

    The line's vertex nearest the home becomes the moved home, followed by a detour to the side
    of the disc away from the station and back: a frame drawn on the whole line would grow.
    """
    xy = np.asarray(geom.coords)
    i = int(np.argmin(np.hypot(xy[:, 0] - area.x_m, xy[:, 1] - area.y_m)))
    ux, uy = area.cx_m - station[0], area.cy_m - station[1]
    n = math.hypot(ux, uy) or 1.0
    far = (area.cx_m + 0.97 * area.r_m * ux / n, area.cy_m + 0.97 * area.r_m * uy / n)
    return shapely.LineString(np.vstack([xy[:i], [moved, far, moved], xy[i + 1 :]]))


_FOLIUM_ID_RE = re.compile(r"_[0-9a-f]{32}")


def test_redacted_outputs_depend_on_the_redacted_geometry_only(
    demo_plan: PlanResult, areas: list[Area]
) -> None:
    """Moving the home in its square and rerouting inside its area changes no redacted output.

    Catches any figure taken from the whole route or the exact site - a briefing's frame or
    scale bar, a map's view, a GPX waypoint - however it is written.
    """
    area = areas[0]
    moved, hx, hy = _moved_home(demo_plan, area)
    geoms = route_geometries(demo_plan)
    inputs = demo_plan.inputs
    station_xy = {
        sid: (float(x), float(y))
        for sid, x, y in zip(
            inputs.stations.site_id, inputs.stations.x_m, inputs.stations.y_m, strict=True
        )
    }
    visiting = [r for r in demo_plan.plan.routes if any(s.site_id == area.site_id for s in r.stops)]
    assert visiting
    moved_geoms = dict(geoms)
    grew = 0
    for r in visiting:
        moved_geoms[r.route_id] = _rerouted(
            geoms[r.route_id], area, (hx, hy), station_xy[r.station_id]
        )
        grew += not np.allclose(moved_geoms[r.route_id].bounds, geoms[r.route_id].bounds)
    assert grew, "the detour should reach beyond some route's own extent"
    moved_routes = {r.route_id: r for r in moved.plan.routes}
    for r in visiting:
        m = moved_routes[r.route_id]
        assert briefing_html(moved, m, moved_geoms[r.route_id], redact=True) == briefing_html(
            demo_plan, r, geoms[r.route_id], redact=True
        ), f"briefing of {r.route_id}"
        assert route_gpx(moved.plan, m, moved_geoms[r.route_id], redact=True) == route_gpx(
            demo_plan.plan, r, geoms[r.route_id], redact=True
        ), f"GPX of {r.route_id}"
    assert routes_geojson(moved, moved_geoms, redact=True) == routes_geojson(
        demo_plan, geoms, redact=True
    )

    def page(result: PlanResult, g: dict[str, shapely.Geometry]) -> str:
        html = render_map(plan_map(result, secure=True, redact=True, geometries=g))
        return _FOLIUM_ID_RE.sub("_ID", html)

    assert page(moved, moved_geoms) == page(demo_plan, geoms)
