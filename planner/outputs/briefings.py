"""Briefings: one print-friendly HTML page per unit and shift, and one pack per day.

``briefings/<route>.html`` is named by :func:`planner.outputs.run.route_file_stem`, unique per
route id; ``briefings/<YYYY-MM-DD>.html`` (:func:`daily_pack_html`) holds every crew of that day
in shift then unit order, each on its own printed A4 page.

Each crew's part lists the stops in order with when to set off, time on site and dwell, the
refreshment break at the station in its place, what to look for (the site's notes, an MP
premises' police contact, and a hot spot's crimes), a small route map drawn as inline SVG from
the geometry and the car network's nearby streets alone (no tiles, no network access), and the
protective marking at top and bottom (repeated on every printed page). Pages are rendered from
``templates/briefing.html.j2`` (which includes ``briefing.css`` and, per crew,
``briefing_crew.html.j2`` with ``route_map.svg.j2``) with autoescaping, so every input text is
HTML-escaped. The print CSS fits a crew of 25 stops on one A4 page.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import shapely

from planner.config import MP_KINDS
from planner.outputs.geometry import clip_out, line_parts, redaction_area, redaction_discs
from planner.outputs.templating import render
from planner.outputs.text import day_label, hm, leave_time, presence_line, stop_label
from planner.planning.plan import PlanRoute

if TYPE_CHECKING:
    from planner.planning.week import PlanResult
    from planner.roads.network import ModeNetwork

#: Most streets drawn under a route map (the longest in its frame), so a page stays small.
MAX_SKETCH_STREETS = 400
#: Most street names written on a route map.
MAX_STREET_NAMES = 6


@dataclass(frozen=True)
class SketchStop:
    """A stop on the route map, in SVG pixels; ``area_px``, if set, is its approximate area's radius."""

    order: int
    x_px: float
    y_px: float
    area_px: float | None


@dataclass(frozen=True)
class StreetName:
    """A street's name on the route map, centred on ``(x_px, y_px)``."""

    text: str
    x_px: float
    y_px: float


@dataclass(frozen=True)
class RouteSketch:
    """What ``route_map.svg.j2`` draws: the road line, the station, numbered stops, a scale bar.

    ``streets`` (SVG polyline points) and ``street_names`` are the nearby streets, drawn faintly
    under the route.
    """

    size_px: int
    colour: str
    lines: list[str]
    station_px: tuple[float, float]
    stops: list[SketchStop]
    bar_end_px: float
    bar_label: str
    streets: list[str] = field(default_factory=list)
    street_names: list[StreetName] = field(default_factory=list)


def route_sketch(
    route: PlanRoute,
    geometry: shapely.Geometry,
    station_xy: tuple[float, float],
    *,
    areas: shapely.Geometry | None = None,
    size_px: int = 320,
    colour: str = "#1f77b4",
    network: ModeNetwork | None = None,
) -> RouteSketch:
    """A route's map in SVG pixels: north up, the whole route and station in view.

    With ``areas`` (redaction discs) the line inside them is cut and restricted stops are drawn
    as their approximate area; the frame and scale bar then come from what is drawn only (the
    cut line, the station, the stops and the areas whole), so they tell nothing of the cut part.
    With ``network`` its streets in the frame are drawn faintly under the route, a few named
    (see :func:`_streets`), cut out of ``areas`` as the route is.
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
    bar_end_px = round(10 + bar * scale, 1)
    streets: list[str] = []
    names: list[StreetName] = []
    if network is not None:

        def to_px(g: shapely.Geometry) -> shapely.Geometry:
            return shapely.transform(
                g,
                lambda xy: np.column_stack(
                    [(xy[:, 0] - cx0) * scale + size_px / 2, (cy0 - xy[:, 1]) * scale + size_px / 2]
                ),
            )

        half = span / 2
        frame_m = shapely.box(cx0 - half, cy0 - half, cx0 + half, cy0 + half)
        streets, candidates = _streets(network, frame_m, areas, to_px, 0.5 / scale)
        # What a name may not come near: the route, the stops and station, the scale bar,
        # "N", the redaction areas (pixels, and how near).
        taken = [
            (to_px(geom), 3.0),
            (shapely.multipoints([(s.x_px, s.y_px) for s in stops] + [px(*station_xy)]), 10.0),
            (shapely.box(0, size_px - 30, bar_end_px + 30, size_px), 0.0),
            (shapely.box(size_px - 40, 0, size_px, 25), 0.0),
            (to_px(areas), 0.0),
        ]
        names = _place_names(candidates, px, taken, size_px)
    return RouteSketch(
        size_px=size_px,
        colour=colour,
        lines=lines,
        station_px=px(*station_xy),
        stops=stops,
        bar_end_px=bar_end_px,
        bar_label=f"{bar / 1000:g} km" if bar >= 1000 else f"{bar:g} m",
        streets=streets,
        street_names=names,
    )


def _streets(
    net: ModeNetwork,
    frame: shapely.Geometry,
    areas: shapely.Geometry,
    to_px: Callable[[shapely.Geometry], shapely.Geometry],
    tolerance_m: float,
) -> tuple[list[str], list[tuple[str, shapely.LineString]]]:
    """The streets in ``frame`` as SVG polyline points, and the named ones to label.

    The network's road segments cut to the frame and out of ``areas`` (as the route is, by
    :func:`.geometry.clip_out`), joined where they meet, simplified to ``tolerance_m`` (half a
    pixel): the longest :data:`MAX_SKETCH_STREETS` lines, through ``to_px`` into SVG pixels.
    With them, each street name in the frame once with its longest segment (metres, as cut),
    longest first.
    """
    lines = net.segment_lines()  # the geometry the map's road layer draws (map_layers.add_roads)
    shapely.prepare(frame)
    idx = np.flatnonzero(shapely.intersects(lines, frame))
    cut = lines[idx].copy()
    crossing = ~shapely.contains_properly(frame, cut)
    cut[crossing] = shapely.intersection(cut[crossing], frame)
    if not areas.is_empty:
        hit = np.flatnonzero(shapely.intersects(cut, areas))
        cut[hit] = [clip_out(g, areas) for g in cut[hit]]
    seg_names = np.asarray(net.name_labels, dtype=object)[net.seg_name[idx]]
    parts, part_of = shapely.get_parts(cut, return_index=True)
    # Cutting to the frame may leave points, and out of an area empty lines.
    is_line = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 0)
    parts, part_names = parts[is_line], seg_names[part_of[is_line]]
    joined = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(parts)))
    longest = np.argsort(-shapely.length(joined), kind="stable")[:MAX_SKETCH_STREETS]
    simple = to_px(shapely.simplify(shapely.multilinestrings(joined[longest]), tolerance_m))
    drawn = [" ".join(f"{a:.1f},{b:.1f}" for a, b in xy.tolist()) for xy in line_parts(simple)]
    order = np.argsort(-shapely.length(parts), kind="stable")
    named = order[part_names[order] != ""]
    _, first = np.unique(part_names[named].astype(str), return_index=True)
    pick = named[np.sort(first)]  # each name's longest segment, longest first
    return drawn, [(str(part_names[i]), parts[i]) for i in pick]


def _place_names(
    candidates: list[tuple[str, shapely.LineString]],
    px: Callable[[float, float], tuple[float, float]],
    taken: list[tuple[shapely.Geometry, float]],
    size_px: int,
) -> list[StreetName]:
    """Up to :data:`MAX_STREET_NAMES` street names, each at the middle of its segment.

    A name is left out where its text would come nearer than the distance given to a geometry
    in ``taken`` (SVG pixels: the route, the stops, the redaction areas...), cover another
    name, or run off the map.
    """
    names: list[StreetName] = []
    for name, line in candidates:
        text = name if len(name) <= 40 else name[:39] + "…"
        mid = shapely.line_interpolate_point(line, 0.5, normalized=True)
        x_px, y_px = px(mid.x, mid.y)
        # About Arial's average width at the template's 8.5 px; the text sits around its y.
        half_w = 2.4 * len(text) + 2
        box = shapely.box(x_px - half_w, y_px - 6, x_px + half_w, y_px + 6)
        if not shapely.box(2, 2, size_px - 2, size_px - 2).contains(box) or any(
            shapely.dwithin(g, box, d) for g, d in taken
        ):
            continue
        names.append(StreetName(text, x_px, y_px))
        taken.append((box, 0.0))
        if len(names) == MAX_STREET_NAMES:
            break
    return names


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
        look = [p for p in (presence_line(s), notes) if p]
        # The contact is the police officer, not the MP: shown even when redacting.
        if s.kind in MP_KINDS and s.police_contact:
            look.append(f"Police contact: {s.police_contact}")
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
                leave=hm(leave_time(s)),
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


@dataclass(frozen=True)
class CrewBriefing:
    """One crew's part of a briefing page (``briefing_crew.html.j2``); text is plain."""

    route: PlanRoute
    title: str
    station: str
    shift: str
    leave: str
    back: str
    travel: str
    break_: str
    stops: list[BriefingStop]
    sketch: RouteSketch


def _overtime_note(route: PlanRoute) -> str:
    """What the crew does on overtime after its shift's end (empty if none)."""
    if not route.overtime_s:
        return ""
    why = (
        "hold the post until relieved or it ends"
        if route.stops and route.stops[-1].presence == "post"
        else "finish the required visit"
    )
    return f" ({route.overtime_s / 60:.0f} min overtime: {why}, then come straight back)"


def _crew(
    result: PlanResult,
    route: PlanRoute,
    geometry: shapely.Geometry,
    areas: shapely.Geometry | None,
    colour: str,
) -> CrewBriefing:
    """What the briefing shows of one route; ``areas`` are the redaction discs, if redacting."""
    inputs = result.inputs
    stations = {s.id: s.name or s.id for s in inputs.config.stations}
    station = stations.get(route.station_id, route.station_id)
    idx = list(inputs.stations.site_id).index(route.station_id)
    station_xy = (float(inputs.stations.x_m[idx]), float(inputs.stations.y_m[idx]))
    return CrewBriefing(
        route=route,
        title=f"{route.unit_id} · {day_label(route.day)} · {route.shift} shift",
        station=station,
        shift=f"{hm(route.shift_start)}–{hm(route.shift_end)}",
        leave=hm(route.leave),
        back=hm(route.return_) + _overtime_note(route),
        travel=f"{route.travel_s / 60:.0f} min",
        break_=(
            f"{hm(route.break_start)}–{hm(route.break_end)} at the station"
            if route.break_start is not None and route.break_end is not None
            else ""
        ),
        stops=_briefing_stops(result, route, areas is not None, station),
        sketch=route_sketch(
            route,
            geometry,
            station_xy,
            areas=areas,
            colour=colour,
            network=inputs.network.car,
        ),
    )


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
    areas = redaction_discs(result.plan) if redact else None
    crew = _crew(result, route, geometry, areas, colour)
    return render("briefing.html.j2", plan=result.plan, title=crew.title, crews=[crew])


def pack_routes(result: PlanResult, day: dt.date) -> list[PlanRoute]:
    """The routes of ``day`` in a daily pack's order: by shift (its start), then unit."""
    return sorted(
        (r for r in result.plan.routes if r.day == day),
        key=lambda r: (r.shift_start, r.shift, r.unit_id, r.route_id),
    )


def daily_pack_html(
    result: PlanResult,
    day: dt.date,
    routes: Sequence[PlanRoute],
    geometries: Mapping[str, shapely.Geometry],
    *,
    redact: bool = False,
    colours: Mapping[str, str] | None = None,
) -> str:
    """Every crew's briefing of one day in one file, each crew on its own printed A4 page.

    ``routes`` are printed in the order given (:func:`pack_routes` gives shift then unit
    order); ``geometries`` are the routes' lines by route id, ``colours`` the units' colours.
    Each crew's part is the one page of :func:`briefing_html`, from the same template.
    """
    areas = redaction_discs(result.plan) if redact else None
    colours = colours or {}
    crews = [
        _crew(result, r, geometries[r.route_id], areas, colours.get(r.unit_id, "#1f77b4"))
        for r in routes
    ]
    return render(
        "briefing.html.j2",
        plan=result.plan,
        title=f"Daily pack · {day_label(day)}",
        crews=crews,
    )
