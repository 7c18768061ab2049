"""``evaluation_map.html``: the units' GPS tracks beside the planned routes, one HTML file.

Built from the commander's map's small blocks (:mod:`planner.outputs.map_layers`,
:mod:`planner.outputs.map_elements`): Leaflet inlined, the marking banners top and bottom, and
per unit two layers in the layer list: "Planned", its routes (solid) with numbered stops, and
"Track", its GPS tracks (dashed, in the same colour, broken where the signal was lost) with a
circle of the matching radius around every planned stop, green if the stop was made and red if
not. Tooltips name the day and shift. A panel gives the legend and the stops made.

The planned routes follow the roads when ``routes.geojson`` lies beside the ``plan.json`` (a
run folder's), and are straight lines from stop to stop otherwise. Secure (offline) mode
follows the plan's marking, as the commander's map does
(:func:`planner.outputs.map.default_secure`); online mode only adds street tiles the reader
can tick on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

import folium
import numpy as np
import shapely
from branca.element import Element, Figure

from planner.common import to_bng
from planner.evaluate.matching import Evaluation, ShiftResult
from planner.outputs.map import default_secure, new_map, render_map
from planner.outputs.map_assets import unit_colours
from planner.outputs.map_elements import BindTooltip, stop_icon_html
from planner.outputs.map_layers import add_street_tiles, latlngs, latlon
from planner.outputs.text import day_label, esc, hm
from planner.planning.plan import Plan

log = logging.getLogger(__name__)

#: Track lines are simplified by this much before drawing, metres (below the GPS noise).
TRACK_TOLERANCE_M = 3.0
MADE_COLOUR = "#15803d"
NOT_MADE_COLOUR = "#b91c1c"


def planned_geometries(
    plan: Plan, plan_path: Path, stations: Mapping[str, tuple[float, float]]
) -> dict[str, shapely.Geometry]:
    """Each route's line, BNG: from ``routes.geojson`` beside the plan, else straight lines."""
    straight = {
        r.route_id: shapely.LineString(
            [stations[r.station_id], *((s.x_m, s.y_m) for s in r.stops), stations[r.station_id]]
        )
        for r in plan.routes
    }
    path = plan_path.parent / "routes.geojson"
    if not path.is_file():
        return straight
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        found = {}
        for feature in doc["features"]:
            geom = shapely.from_geojson(json.dumps(feature["geometry"]))

            def bng(xy: np.ndarray) -> np.ndarray:
                x, y = to_bng().transform(xy[:, 0], xy[:, 1])
                return np.column_stack([x, y])

            found[str(feature["properties"]["route_id"])] = shapely.transform(geom, bng)
    except (OSError, ValueError, KeyError, TypeError, shapely.errors.GEOSException) as exc:
        log.warning("%s: cannot read the routes (%s); the map draws straight lines", path, exc)
        return straight
    return {rid: found.get(rid, line) for rid, line in straight.items()}


def _track_line(ev: Evaluation, shift: ShiftResult) -> shapely.Geometry:
    """The unit's track in the shift, BNG, broken at gaps over the longest bridged."""
    track = ev.tracks.units.get(shift.route.unit_id)
    if track is None:
        return shapely.MultiLineString([])
    a, b = shift.route.shift_start.timestamp(), shift.route.shift_end.timestamp()
    keep = (track.t_s >= a) & (track.t_s < b)
    t, x, y = track.t_s[keep], track.x_m[keep], track.y_m[keep]
    breaks = np.flatnonzero(np.diff(t) > ev.settings.max_gap_s) + 1
    parts = [
        np.column_stack([xs, ys])
        for xs, ys in zip(np.split(x, breaks), np.split(y, breaks), strict=True)
        if len(xs) >= 2
    ]
    return shapely.simplify(shapely.MultiLineString(parts), TRACK_TOLERANCE_M)


def _add_planned(
    plan: Plan,
    m: folium.Map,
    geoms: Mapping[str, shapely.Geometry],
    colours: Mapping[str, str],
) -> None:
    """One layer per unit: its planned routes (solid) and numbered stops, every day."""
    for unit, colour in colours.items():
        fg = folium.FeatureGroup(name=f"Planned: {unit}", overlay=True, control=True, show=True)
        for r in (r for r in plan.routes if r.unit_id == unit):
            line = folium.PolyLine(
                latlngs(shapely.simplify(geoms[r.route_id], TRACK_TOLERANCE_M)),
                color=colour,
                weight=4,
                opacity=0.6,
            )
            BindTooltip(
                f"Planned: {unit} · {day_label(r.day)} · {r.shift} "
                f"{hm(r.shift_start)}–{hm(r.shift_end)} · {len(r.stops)} stops"
            ).add_to(line)
            line.add_to(fg)
            for stop in r.stops:
                marker = folium.Marker(
                    latlon(stop.x_m, stop.y_m),
                    icon=folium.DivIcon(
                        html=stop_icon_html(colour, stop.order),
                        icon_size=(24, 24),
                        icon_anchor=(12, 12),
                        class_name="planner-stop-icon",
                    ),
                )
                BindTooltip(
                    f"{stop.order}. {stop.name or stop.site_id} · {day_label(r.day)} "
                    f"{hm(stop.start)}–{hm(stop.departure)}"
                ).add_to(marker)
                marker.add_to(fg)
        fg.add_to(m)


def _add_tracks(ev: Evaluation, m: folium.Map, colours: Mapping[str, str]) -> None:
    """One layer per unit: its tracks (dashed) and its stops' matching circles."""
    made = {id(s.stop): s for s in ev.stops}
    for unit, colour in colours.items():
        fg = folium.FeatureGroup(name=f"Track: {unit}", overlay=True, control=True, show=True)
        for shift in (s for s in ev.shifts if s.route.unit_id == unit):
            r = shift.route
            line = _track_line(ev, shift)
            if not line.is_empty:
                pl = folium.PolyLine(
                    latlngs(line), color=colour, weight=2, opacity=0.9, dash_array="4 4"
                )
                comp = (
                    "no stops"
                    if shift.compliance is None
                    else f"{shift.compliance:.0%} of stops made"
                )
                BindTooltip(f"Track: {unit} · {day_label(r.day)} · {r.shift} · {comp}").add_to(pl)
                pl.add_to(fg)
            for stop in r.stops:
                res = made[id(stop)]
                circle = folium.Circle(
                    latlon(stop.x_m, stop.y_m),
                    radius=ev.settings.radius_m,
                    color=MADE_COLOUR if res.made else NOT_MADE_COLOUR,
                    weight=2,
                    fill=True,
                    fill_opacity=0.15,
                )
                state = "made" if res.made else f"not made: {res.reason}"
                BindTooltip(
                    f"{stop.order}. {stop.name or stop.site_id} · {day_label(r.day)} "
                    f"{hm(stop.start)}–{hm(stop.departure)}: {state} "
                    f"({res.on_site_s / 60:.0f} min on site)"
                ).add_to(circle)
                circle.add_to(fg)
        fg.add_to(m)


def _panel_html(ev: Evaluation, colours: Mapping[str, str]) -> str:
    """The legend and headline panel, bottom left (every text escaped)."""
    made = sum(s.made for s in ev.stops)
    units = "".join(
        f'<div><span style="display:inline-block;width:18px;height:4px;vertical-align:middle;'
        f'background:{esc(c)}"></span> {esc(u)}</div>'
        for u, c in colours.items()
    )
    return (
        '<div class="planner-panel" style="position:fixed;left:10px;bottom:40px;z-index:1000;'
        'background:#fff;padding:6px 10px;border:1px solid #999;font:12px sans-serif">'
        f"<b>{esc(ev.plan.force)}: {esc(ev.plan.week)}</b>"
        f"<div>stops made: {made} of {len(ev.stops)}</div>"
        f"<div>within {ev.settings.radius_m:g} m for {ev.settings.dwell_min:g} min</div>"
        f"{units}<div>solid: planned route; dashed: GPS track</div>"
        f'<div>circles: <span style="color:{MADE_COLOUR}">made</span> / '
        f'<span style="color:{NOT_MADE_COLOUR}">not made</span></div></div>'
    )


def _add_stations(m: folium.Map, stations: Mapping[str, tuple[float, float]]) -> None:
    layer = folium.FeatureGroup(name="Police stations", overlay=True, control=True)
    for sid, (x, y) in sorted(stations.items()):
        marker = folium.Marker(
            latlon(x, y),
            icon=folium.DivIcon(
                html='<div class="planner-station">P</div>',
                icon_size=(20, 20),
                icon_anchor=(10, 10),
                class_name="planner-station-icon",
            ),
        )
        BindTooltip(sid).add_to(marker)
        marker.add_to(layer)
    layer.add_to(m)


def _bounds(
    geoms: Mapping[str, shapely.Geometry],
    ev: Evaluation,
    stations: Mapping[str, tuple[float, float]],
) -> list[list[float]]:
    """``[[south, west], [north, east]]`` of the routes, the tracks and the stations."""
    parts = [g for g in geoms.values() if not g.is_empty]
    parts += [shapely.Point(xy) for xy in stations.values()]
    for t in ev.tracks.units.values():
        if len(t):
            parts.append(shapely.MultiPoint(np.column_stack([t.x_m, t.y_m])).envelope)
    minx, miny, maxx, maxy = shapely.GeometryCollection(parts).bounds
    return [latlon(minx, miny), latlon(maxx, maxy)]


def evaluation_map(
    ev: Evaluation,
    *,
    plan_path: Path,
    stations: Mapping[str, tuple[float, float]],
    secure: bool | None = None,
) -> str:
    """The map's whole HTML page (see the module docstring)."""
    plan = ev.plan
    secure = default_secure(plan) if secure is None else secure
    geoms = planned_geometries(plan, plan_path, stations)
    colours = unit_colours(plan)
    (south, west), (north, east) = _bounds(geoms, ev, stations)
    title = f"[{plan.protective_marking}] {plan.force}: tracks against the plan {plan.week}"
    m = new_map(plan, [[south, west], [north, east]], title=title)
    if not secure:
        add_street_tiles(m)
    _add_planned(plan, m, geoms, colours)
    _add_tracks(ev, m, colours)
    _add_stations(m, stations)
    root = m.get_root()
    assert isinstance(root, Figure)
    root.html.add_child(Element(_panel_html(ev, colours)), name="planner_panel")
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    return render_map(m)
