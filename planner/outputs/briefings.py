"""Briefings: one print-friendly HTML page per unit and shift (``briefings/<route>.html``).

The file is named by :func:`planner.outputs.run.route_file_stem`, unique per route id.

Each page lists the stops in order with when to set off, time on site and dwell, the
refreshment break at the station in its place, what to look for
(the site's notes, and a hot spot's crimes), a small route map drawn as inline SVG from the
geometry alone (no tiles, no network), and the protective marking at top and bottom (repeated
on every printed page). The page is rendered from ``templates/briefing.html.j2`` (which
includes ``briefing.css`` and ``route_map.svg.j2``) with autoescaping, so every input text is
HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from planner.outputs.geometry import clip_out, line_parts, redaction_area, redaction_discs
from planner.outputs.templating import render
from planner.outputs.text import day_label, hm, stop_label
from planner.planning.plan import PlanRoute, PlanStop

if TYPE_CHECKING:
    from planner.planning.week import PlanResult


@dataclass(frozen=True)
class SketchStop:
    """A stop on the route map, in SVG pixels; ``area_px``, if set, is its approximate area's radius."""

    order: int
    x_px: float
    y_px: float
    area_px: float | None


@dataclass(frozen=True)
class RouteSketch:
    """What ``route_map.svg.j2`` draws: the road line, the station, numbered stops, a scale bar."""

    size_px: int
    colour: str
    lines: list[str]
    station_px: tuple[float, float]
    stops: list[SketchStop]
    bar_end_px: float
    bar_label: str


def route_sketch(
    route: PlanRoute,
    geometry: shapely.Geometry,
    station_xy: tuple[float, float],
    *,
    areas: shapely.Geometry | None = None,
    size_px: int = 320,
    colour: str = "#1f77b4",
) -> RouteSketch:
    """A route's map in SVG pixels: north up, the whole route and station in view.

    With ``areas`` (redaction discs) the line inside them is cut and restricted stops are drawn
    as their approximate area; the frame and scale bar then come from what is drawn only (the
    cut line, the station, the stops and the areas whole), so they tell nothing of the cut part.
    """
    areas = areas if areas is not None else shapely.GeometryCollection()
    geom = clip_out(geometry, areas)
    pts = [station_xy]
    stops_xy = []
    for s in route.stops:
        if s.restricted and not areas.is_empty:
            cx, cy, r = redaction_area(s.x_m, s.y_m)
            stops_xy.append((cx, cy, r))
        else:
            stops_xy.append((s.x_m, s.y_m, 0.0))
        pts.append(stops_xy[-1][:2])
    # Framed on what is drawn, never on the whole route: redacted, the frame's edges and the
    # scale bar would otherwise give away how far the cut-out part of the line reaches.
    frame = [geom.envelope, shapely.multipoints(np.asarray(pts))]
    frame += [shapely.box(x - r, y - r, x + r, y + r) for x, y, r in stops_xy if r]
    minx, miny, maxx, maxy = shapely.bounds(shapely.union_all(frame))
    span = max(maxx - minx, maxy - miny, 200.0) * 1.1
    cx0, cy0 = (minx + maxx) / 2, (miny + maxy) / 2
    scale = size_px / span

    def px(x: float, y: float) -> tuple[float, float]:
        # SVG y grows downwards; grid northings grow upwards.
        return (
            round((x - cx0) * scale + size_px / 2, 1),
            round((cy0 - y) * scale + size_px / 2, 1),
        )

    lines = [
        " ".join(f"{a},{b}" for a, b in (px(x, y) for x, y in line))
        for line in line_parts(shapely.simplify(geom, 0.5 / scale))
    ]
    stops = [
        SketchStop(s.order, *px(x, y), round(r * scale, 1) if r else None)
        for s, (x, y, r) in zip(route.stops, stops_xy, strict=True)
    ]
    # Scale bar: a round number of metres about a quarter of the width.
    target = span / 4
    bar = 10 ** math.floor(math.log10(target))
    bar = next(b for b in (bar * 5, bar * 2, bar) if b <= target) if target >= 1 else target
    return RouteSketch(
        size_px=size_px,
        colour=colour,
        lines=lines,
        station_px=px(*station_xy),
        stops=stops,
        bar_end_px=round(10 + bar * scale, 1),
        bar_label=f"{bar / 1000:g} km" if bar >= 1000 else f"{bar:g} m",
    )


@dataclass(frozen=True)
class BriefingStop:
    """One row of the briefing's table; text is plain (the template escapes it)."""

    order: int
    leave: str
    on_site: str
    dwell: str
    name: str
    what: str
    look: list[str]
    restricted: bool
    is_break: bool = False


def _break_row(route: PlanRoute, station: str) -> BriefingStop | None:
    """The refreshment break's row: "Refreshment break at <station> hh:mm–hh:mm"."""
    if route.break_start is None or route.break_end is None:
        return None
    minutes = (route.break_end - route.break_start).total_seconds() / 60
    return BriefingStop(
        order=0,
        leave="",
        on_site=f"{hm(route.break_start)}–{hm(route.break_end)}",
        dwell=f"{minutes:.0f} min",
        name=f"Refreshment break at {station} {hm(route.break_start)}–{hm(route.break_end)}",
        what="",
        look=[],
        restricted=False,
        is_break=True,
    )


def _briefing_stops(
    result: PlanResult, route: PlanRoute, redact: bool, station: str = ""
) -> list[BriefingStop]:
    """The table's rows: each stop's times, name and what to look for (notes, recent crime).

    "Leave" is when to set off for the stop (from the station or the previous site: a unit
    waits where it is, not outside the next site); the refreshment break, if any, is a row of
    its own in time order.
    """
    sites = {s.site_id: s for s in result.inputs.demand.sites}
    rows = []
    brk = _break_row(route, station)
    for s in route.stops:
        if brk is not None and route.break_start is not None and s.start >= route.break_start:
            rows.append(brk)
            brk = None
        name, notes = stop_label(s, redact)
        look = [p for p in (_presence_line(s), notes) if p]
        site = sites.get(s.site_id)
        if site is not None and site.kind == "hotspot" and site.evidence:
            top = sorted(site.evidence.items(), key=lambda kv: -kv[1])[:3]
            look.append(
                "Recent crime: "
                + ", ".join(f"{k} ({v})" for k, v in top)
                + (f"; harm {site.harm:,.0f}" if site.harm is not None else "")
            )
        window = f" ({s.window})" if s.window else ""
        rows.append(
            BriefingStop(
                order=s.order,
                leave=hm(s.arrival - dt.timedelta(seconds=s.travel_s)),
                on_site=f"{hm(s.start)}–{hm(s.departure)}",
                dwell=f"{s.dwell_s / 60:.0f} min",
                name=name,
                what=f"{s.kind.replace('_', ' ')}, risk {s.risk}{window}",
                look=look,
                restricted=s.restricted,
            )
        )
    if brk is not None:
        rows.append(brk)
    return rows


def _presence_line(stop: PlanStop) -> str:
    """What the crew does there, when it is not an ordinary visit."""
    if stop.presence == "drive_past":
        return "Drive past only: do not stop outside."
    if stop.presence == "post":
        return f"Post: stay on site, visible, until {hm(stop.departure)}."
    return ""


def briefing_html(
    result: PlanResult,
    route: PlanRoute,
    geometry: shapely.Geometry,
    *,
    redact: bool = False,
    colour: str = "#1f77b4",
) -> str:
    """A print-friendly briefing page for one unit and shift (see the module docstring).

    With ``redact`` a restricted stop is named only "Restricted site", its notes are withheld
    and the route map shows its approximate area instead of the point.
    """
    plan = result.plan
    inputs = result.inputs
    stations = {s.id: s.name or s.id for s in inputs.config.stations}
    idx = list(inputs.stations.site_id).index(route.station_id)
    station_xy = (float(inputs.stations.x_m[idx]), float(inputs.stations.y_m[idx]))
    areas = redaction_discs(plan) if redact else None
    return render(
        "briefing.html.j2",
        plan=plan,
        route=route,
        title=f"{route.unit_id} · {day_label(route.day)} · {route.shift} shift",
        station=stations.get(route.station_id, route.station_id),
        shift=f"{hm(route.shift_start)}–{hm(route.shift_end)}",
        leave=hm(route.leave),
        back=hm(route.return_),
        travel=f"{route.travel_s / 60:.0f} min",
        break_=(
            f"{hm(route.break_start)}–{hm(route.break_end)} at the station"
            if route.break_start is not None and route.break_end is not None
            else ""
        ),
        stops=_briefing_stops(
            result, route, redact, stations.get(route.station_id, route.station_id)
        ),
        sketch=route_sketch(route, geometry, station_xy, areas=areas, colour=colour),
    )
