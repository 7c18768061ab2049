"""The commander's map's layers, one function each, in the order :func:`.map.plan_map` adds them.

Base layers (the road network, the force boundary, optional street tiles), then hot spots by
harm, one layer per route with its numbered stops, MPs' premises (an approximate area instead
of a restricted site when redacted), police stations, and last the empty day and unit layers
whose check boxes filter the routes. Geometry is simplified in metres before reprojection
(routes 3 m, the road base 8 m) and coordinates are rounded to 6 decimal places (0.1 m).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import folium
import numpy as np
import shapely

from planner.outputs.geometry import clip_out, line_parts, lonlat, lonlat_geometry, redaction_area
from planner.outputs.map_assets import PROTECTED_COLOUR, kind_group
from planner.outputs.map_elements import (
    BindPopup,
    BindTooltip,
    kind_icon_html,
    mp_icon_html,
    popup_html,
    stop_icon_html,
    stop_popup_html,
    unit_label_html,
)
from planner.outputs.text import day_label, hm
from planner.planning.plan import Plan

if TYPE_CHECKING:
    from planner.planning.week import PlanResult

log = logging.getLogger(__name__)

ROUTE_TOLERANCE_M = 3.0
ROAD_TOLERANCE_M = 8.0
_MAJOR_ROADS = frozenset(
    {"motorway", "trunk", "primary", "secondary"}
    | {f"{k}_link" for k in ("motorway", "trunk", "primary", "secondary")}
)


def latlngs(geom: shapely.Geometry) -> list[list[list[float]]]:
    """Leaflet ``[[lat, lon], ...]`` arrays of a BNG (multi)line, reprojected and rounded."""
    return [
        [[float(lat), float(lon)] for lon, lat in part]
        for part in line_parts(lonlat_geometry(geom))
    ]


def latlon(x_m: float, y_m: float) -> list[float]:
    """One BNG point as Leaflet's rounded ``[lat, lon]``."""
    lon, lat = lonlat(x_m, y_m)
    return [lat, lon]


def add_street_tiles(m: folium.Map) -> None:
    """OpenStreetMap's tiles (online mode only), off until ticked.

    OpenStreetMap's tile servers refuse requests without a Referer, and a page opened from
    file:// sends none (folium issue #2215), so shown by default the tiles would read "Access
    blocked". Served over http(s), the policy below sends the page's origin as the Referer, as
    the tile usage policy asks.
    """
    folium.TileLayer(
        "OpenStreetMap",
        name="Street map tiles (online)",
        overlay=True,
        control=True,
        show=False,
        referrerPolicy="strict-origin-when-cross-origin",
    ).add_to(m)


def _cut(geom: shapely.Geometry, areas: shapely.Geometry) -> shapely.Geometry:
    """``geom`` without its parts inside ``areas`` (redaction discs), for the base layers.

    Every line drawn on a redacted map stops at the edge of a restricted site's area, so no
    vertex in it is left to point at the site. Direction does not matter here, so GEOS's
    difference does (fast on a whole network); routes use :func:`.geometry.clip_out`.
    """
    return geom if areas.is_empty else shapely.difference(geom, areas)


def add_roads(
    result: PlanResult,
    m: folium.Map,
    areas: shapely.Geometry | None = None,
    name: str = "Roads (OpenStreetMap)",
) -> None:
    """The car network, simplified, as the offline base layer: major roads heavier.

    With ``areas`` (a redacted map's discs) the roads inside them are left out; ``name`` is
    the layer's name in the layer list (it says where the roads came from).
    """
    areas = areas if areas is not None else shapely.GeometryCollection()
    roads = folium.FeatureGroup(name=name, overlay=True, control=True)
    net = result.inputs.network.car
    lines = net.segment_lines()
    edge = np.where(net.seg_fwd_edge >= 0, net.seg_fwd_edge, net.seg_bwd_edge)
    labels = np.asarray(net.highway_labels, dtype=object)[net.edge_highway[np.maximum(edge, 0)]]
    major = np.isin(labels, list(_MAJOR_ROADS))
    n = 0
    for mask, weight, colour in ((~major, 1.2, "#b8b8b8"), (major, 2.5, "#8d8d8d")):
        if not mask.any():
            continue
        merged = shapely.line_merge(shapely.multilinestrings(lines[mask]))
        merged = _cut(shapely.simplify(merged, ROAD_TOLERANCE_M), areas)
        locs = latlngs(merged)
        n += sum(len(p) for p in locs)
        folium.PolyLine(
            locs, color=colour, weight=weight, opacity=1.0, interactive=False, smooth_factor=1.5
        ).add_to(roads)
    roads.add_to(m)
    log.debug("road base layer: %d points", n)


def _extent(result: PlanResult) -> tuple[shapely.Geometry, str]:
    """The force boundary in BNG, or the network's extent if the config has none."""
    from planner.planning.pipeline import network_coverage
    from planner.roads.area import area_boundary

    boundary = area_boundary(result.inputs.config)
    if boundary is not None:
        return boundary, "Force boundary"
    return network_coverage(result.inputs.network), "Network extent"


def add_extent(result: PlanResult, m: folium.Map, areas: shapely.Geometry | None = None) -> None:
    """The force boundary (or the network's extent) as a dashed line, cut out of ``areas``."""
    areas = areas if areas is not None else shapely.GeometryCollection()
    extent, extent_name = _extent(result)
    ext = folium.FeatureGroup(name=extent_name, overlay=True, control=True)
    for ring in line_parts(_cut(shapely.simplify(extent.boundary, 20.0), areas)):
        folium.PolyLine(
            [
                [float(lat), float(lon)]
                for lon, lat in lonlat_geometry(shapely.LineString(ring)).coords
            ],
            color="#333",
            weight=2,
            dash_array="6 6",
            opacity=0.7,
            interactive=False,
        ).add_to(ext)
    ext.add_to(m)


def _ramp(share: float) -> str:
    """Yellow to dark red by harm share (0..1)."""
    lo = np.array([0xFE, 0xD9, 0x76])
    hi = np.array([0xBD, 0x00, 0x26])
    rgb = (lo + (hi - lo) * min(max(share, 0.0), 1.0)).round().astype(int)
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def add_hotspots(result: PlanResult, m: folium.Map) -> bool:
    """Hot spots as circles sized and coloured by harm; whether there were any."""
    hotspots = result.inputs.hotspots
    if hotspots is None or not hotspots.hotspots:
        return False
    hs_layer = folium.FeatureGroup(name="Hot spots (by harm)", overlay=True, control=True)
    spots = hotspots.hotspots
    top = max(h.harm for h in spots) or 1.0
    for h in spots:
        share = h.harm / top
        colour = _ramp(share)
        circle = folium.Circle(
            latlon(h.x_m, h.y_m),
            radius=round(float(60 + 140 * np.sqrt(share)), 1),
            color=colour,
            weight=1,
            fill=True,
            fill_color=colour,
            fill_opacity=0.45,
            class_name="planner-hotspot",
        )
        crimes = sorted(h.counts_by_type.items(), key=lambda kv: -kv[1])[:4]
        BindPopup(
            popup_html(
                f"Hot spot {h.rank}: {h.label}",
                [
                    ("Harm", f"{h.harm:,.0f} days ({h.share_of_harm:.0%} of the area's)"),
                    ("Crimes", f"{h.n_records}"),
                    ("Mostly", ", ".join(f"{k} ({v})" for k, v in crimes)),
                    ("Where", h.location_hint),
                ],
            )
        ).add_to(circle)
        circle.add_to(hs_layer)
    hs_layer.add_to(m)
    return True


def add_routes(
    plan: Plan,
    m: folium.Map,
    geoms: Mapping[str, shapely.Geometry],
    areas: shapely.Geometry,
    colours: Mapping[str, str],
    redact: bool,
) -> list[dict[str, Any]]:
    """Two layers per route (not in the layer list): its road line, and its numbered stops.

    The stops are in their own pane above the sites' symbols, so a stop at an MP's premises is
    drawn and clicked above the premises' diamond. Returns the routes' entries for
    :class:`.map_elements.Controls` (layer names, id, unit, day, number of stops); the day and
    unit boxes decide which show, and the All view shows one marker per site instead of stops.
    """
    route_entries: list[dict[str, Any]] = []
    for r in plan.routes:
        colour = colours[r.unit_id]
        fg = folium.FeatureGroup(name=r.route_id, control=False, show=True)
        geom = shapely.simplify(clip_out(geoms[r.route_id], areas), ROUTE_TOLERANCE_M)
        line = folium.PolyLine(
            latlngs(geom), color=colour, weight=4, opacity=0.85, class_name="planner-route"
        )
        # The refreshment break (at the station) is part of the route's timeline.
        brk = (
            f" · break {hm(r.break_start)}–{hm(r.break_end)} at station"
            if r.break_start is not None and r.break_end is not None
            else ""
        )
        BindTooltip(
            f"{r.unit_id} · {day_label(r.day)} · {r.shift} {hm(r.shift_start)}–{hm(r.shift_end)}"
            f" · {len(r.stops)} stops{brk}"
            + (
                f" · back {hm(r.return_)}, {r.overtime_s / 60:.0f} min overtime"
                if r.overtime_s
                else ""
            )
        ).add_to(line)
        line.add_to(fg)
        stops = folium.FeatureGroup(name=f"{r.route_id} stops", control=False, show=True)
        for s in r.stops:
            redacted = s.restricted and redact
            x, y = redaction_area(s.x_m, s.y_m)[:2] if redacted else (s.x_m, s.y_m)
            marker = folium.Marker(
                latlon(x, y),
                icon=folium.DivIcon(
                    html=stop_icon_html(colour, s.order),
                    icon_size=(24, 24),
                    icon_anchor=(12, 12),
                    class_name="planner-stop-icon",
                ),
                pane="plannerStops",
            )
            BindPopup(stop_popup_html(r, s, redacted)).add_to(marker)
            marker.add_to(stops)
        fg.add_to(m)
        stops.add_to(m)
        route_entries.append(
            {
                "layer": fg.get_name(),
                "stopsLayer": stops.get_name(),
                "id": r.route_id,
                "unit": r.unit_id,
                "day": r.day.isoformat(),
                "stops": len(r.stops),
            }
        )
    return route_entries


def _restricted_area(x_m: float, y_m: float) -> folium.Circle:
    """A restricted site drawn only as its approximate area (redacted maps)."""
    cx, cy, radius = redaction_area(x_m, y_m)
    area = folium.Circle(
        latlon(cx, cy),
        radius=radius,
        color=PROTECTED_COLOUR,
        weight=2,
        dash_array="6 4",
        fill=True,
        fill_opacity=0.08,
        class_name="planner-restricted-area",
    )
    BindPopup(
        popup_html(
            "Restricted site",
            [("Shown", f"approximate area only ({radius:.0f} m radius)")],
            "Details from the duty supervisor",
        )
    ).add_to(area)
    return area


def add_mp_premises(result: PlanResult, m: folium.Map, redact: bool) -> None:
    """MPs' premises in the protected style; redacted, a restricted one only as its area."""
    mp_layer = folium.FeatureGroup(name="MPs' premises (protected)", overlay=True, control=True)
    for site in result.inputs.demand.sites:
        if not site.is_mp_premises:
            continue
        if site.restricted and redact:
            _restricted_area(site.x_m, site.y_m).add_to(mp_layer)
            continue
        marker = folium.Marker(
            latlon(site.x_m, site.y_m),
            icon=folium.DivIcon(
                html=mp_icon_html(site.restricted),
                icon_size=(18, 18),
                icon_anchor=(9, 9),
                class_name="planner-mp-icon",
            ),
            pane="plannerSites",
        )
        BindPopup(
            popup_html(
                site.name or site.site_id,
                [
                    ("Kind", site.kind.replace("_", " ")),
                    ("Risk", site.risk),
                    ("Site", site.site_id),
                ],
                "Restricted site: do not share" if site.restricted else "Protected: MP's premises",
            )
        ).add_to(marker)
        marker.add_to(mp_layer)
    mp_layer.add_to(m)


def add_sites(result: PlanResult, m: folium.Map, redact: bool) -> list[str]:
    """Every other demand site by its kind's symbol, visited this week or not (it is demand).

    MPs' premises are in their own layer (:func:`add_mp_premises`). A restricted site,
    redacted, shows only as its approximate area. Returns the symbol groups drawn.
    """
    layer = folium.FeatureGroup(name="Sites (by kind)", overlay=True, control=True)
    visits: dict[str, int] = {}
    for s in result.plan.stops:
        visits[s.site_id] = visits.get(s.site_id, 0) + 1
    groups: list[str] = []
    for site in result.inputs.demand.sites:
        if site.is_mp_premises:
            continue
        if site.restricted and redact:
            _restricted_area(site.x_m, site.y_m).add_to(layer)
            continue
        group = kind_group(site.kind)
        if group not in groups:
            groups.append(group)
        marker = folium.Marker(
            latlon(site.x_m, site.y_m),
            icon=folium.DivIcon(
                html=kind_icon_html(group),
                icon_size=(18, 18) if group != "hotspot" else (14, 14),
                icon_anchor=(9, 9) if group != "hotspot" else (7, 7),
                class_name="planner-site-icon",
            ),
            pane="plannerSites",
        )
        BindPopup(
            popup_html(
                site.name or site.site_id,
                [
                    ("Kind", site.kind.replace("_", " ")),
                    ("Risk", site.risk),
                    ("Site", site.site_id),
                    ("Visits planned", f"{visits.get(site.site_id, 0)} this week"),
                ],
                "Restricted site: do not share" if site.restricted else "",
            )
        ).add_to(marker)
        marker.add_to(layer)
    layer.add_to(m)
    return groups


def add_stations(result: PlanResult, m: folium.Map) -> None:
    """Police stations, with their names as tooltips."""
    inputs = result.inputs
    st_layer = folium.FeatureGroup(name="Police stations", overlay=True, control=True)
    names = {s.id: s.name or s.id for s in inputs.config.stations}
    for sid, x, y in zip(
        inputs.stations.site_id, inputs.stations.x_m, inputs.stations.y_m, strict=True
    ):
        marker = folium.Marker(
            latlon(float(x), float(y)),
            icon=folium.DivIcon(
                html='<div class="planner-station">P</div>',
                icon_size=(20, 20),
                icon_anchor=(10, 10),
                class_name="planner-station-icon",
            ),
            pane="plannerSites",
        )
        BindTooltip(f"{names.get(sid, sid)} ({sid})").add_to(marker)
        marker.add_to(st_layer)
    st_layer.add_to(m)


def add_filters(
    plan: Plan, m: folium.Map, colours: Mapping[str, str]
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Empty day and unit layers whose check boxes decide which routes show.

    Returns their entries for :class:`.map_elements.Controls`: ``(days, units)``.
    """
    days = []
    for d in sorted({r.day for r in plan.routes}):
        fg = folium.FeatureGroup(name=f"Day: {day_label(d)}", overlay=True, control=True)
        fg.add_to(m)
        days.append({"key": d.isoformat(), "short": day_label(d), "layer": fg.get_name()})
    units = []
    for u in colours:
        fg = folium.FeatureGroup(name=unit_label_html(colours[u], u), overlay=True, control=True)
        fg.add_to(m)
        units.append({"key": u, "layer": fg.get_name()})
    return days, units
