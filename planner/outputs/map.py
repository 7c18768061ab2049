"""The commander's map: one self-contained Folium/Leaflet HTML file per plan.

What it shows: every route following the roads, one colour per unit; numbered stops with their
times; hot spots drawn by harm; every demand site, visited or not, by its kind's symbol
(:data:`.map_assets.KIND_SYMBOLS`); MPs' premises in a protected style; stations; the force
boundary (or the network's extent); a legend, a summary panel with the figures of
``summary.md`` and the protective marking, top and bottom.

Layers: one check box per day and per unit. A route shows when both its day and its unit are
ticked, so the boxes work as filters (ticking off "NB-CAR-1" hides that unit on every day); the
"Day" buttons at the top left show one day at a time, or all. Hot spots, sites, MPs' premises,
stations, roads and the boundary are layers of their own.

Reading aids: stops sit in a Leaflet pane above the sites' symbols (:data:`.map_assets.PANES`),
so a stop at an MP's premises is drawn and clicked above the diamond, and its one popup shows
the visit and the site. With one day shown the stops are numbered in route order; in the All
view each visited site gets one marker with its number of visits and a popup listing them
(:mod:`.map_data`), and labels that would overlap are pushed apart in pixels at every zoom. The
summary panel's figures follow the Day buttons, and a popup closes when the day changes. The
"Where is everyone?" panel (:mod:`.map_time`) places each unit at a chosen day and time. Sites
not in the plan (``Plan.rejected``) are listed in a folding panel, never drawn. The road base
layer is credited to OpenStreetMap, or as synthetic roads for a generated (demo) network.

Secure mode
-----------
Secure, offline mode makes no request to any third party: Leaflet's JavaScript and CSS are
inlined from the ``xstatic-leaflet`` package (1.9.3, the version folium 0.20 targets), with the
CSS's images as ``data:`` URIs, and there is no tile server: the car network itself, simplified,
is drawn as a light base layer (in both modes). The only difference online mode makes is an
OpenStreetMap tile layer the reader can tick on; it is off at first, because OpenStreetMap's
tile servers now refuse requests without a Referer and a page opened from ``file://`` sends
none (folium issue #2215): ticked from a file the tiles read "Access blocked", served from an
intranet web server they work. The map uses only plain Leaflet (``CircleMarker``, ``Circle``,
``DivIcon``, ``Polyline``, layer groups and a few small controls of its own), so none of
folium's other default assets (jQuery, Bootstrap, Font Awesome, awesome-markers) is needed; they
are dropped in both modes. Popups and tooltips are bound by this module's own script elements
with their text JSON-encoded, not through folium's ``Popup`` (which builds the HTML in a
JavaScript template literal with jQuery, where a site name holding ``${...}`` would run).

**The rule for the default**: the map is secure unless the plan's protective marking is plain
``OFFICIAL``. A force marks a plan holding real MPs' premises ``OFFICIAL-SENSITIVE`` (the
config's rule), so every such plan is secure; a plan marked ``OFFICIAL`` (the demo, whose MPs'
premises are fictional) offers background tiles from OpenStreetMap's tile server, which would
tell the tile server which area is being looked at. ``secure=True``/``False`` overrides the
rule. Leaflet is inlined in both modes, so the map opens offline either way (tiles aside).

Redaction
---------
With ``redact=True`` a restricted site (an MP's home) appears only as a 500 m circle around the
centre of the 500 m grid square holding it (:func:`planner.outputs.geometry.redaction_area`): no name, no
exact point, and every line inside the circle (routes, the road base layer, the boundary) is cut
out, so no line leads to the door and no vertex near it is left. The time control never places
a unit inside a circle: it hides the unit there and says its position is withheld.

Size: geometry is simplified in metres before reprojection (routes 3 m, the road base 8 m) and
coordinates are rounded to 6 decimal places (0.1 m); the map uses a canvas renderer.

This module builds the map step by step; the layers are in :mod:`.map_layers`, the HTML pieces
and script elements in :mod:`.map_elements`, the script's JSON data in :mod:`.map_data` and
:mod:`.map_time`, Leaflet, CSS, colours, panes and symbols in :mod:`.map_assets`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import folium
import shapely
from branca.element import Element, Figure

from planner.common import atomic_write_bytes
from planner.outputs.geometry import clip_out, redaction_area, redaction_discs, route_geometries
from planner.outputs.map_assets import PANES, leaflet_assets, map_css, unit_colours
from planner.outputs.map_changes import add_changes
from planner.outputs.map_data import day_figures, site_visits
from planner.outputs.map_elements import (
    Controls,
    FitFirst,
    legend_html,
    markings_html,
    rejects_html,
    summary_html,
    title_html,
)
from planner.outputs.map_layers import (
    add_extent,
    add_filters,
    add_hotspots,
    add_mp_premises,
    add_roads,
    add_routes,
    add_sites,
    add_stations,
    add_street_tiles,
    latlon,
)
from planner.outputs.map_time import TimeControl, unit_timelines
from planner.outputs.summary import run_facts
from planner.outputs.text import esc, is_sensitive
from planner.planning.plan import Plan

if TYPE_CHECKING:
    from planner.planning.replan_changes import Change
    from planner.planning.week import PlanResult

log = logging.getLogger(__name__)

#: Credit for the road base layer, shown in the map's attribution.
ROADS_ATTRIBUTION = "Roads © OpenStreetMap contributors (ODbL)"
#: The same for the built-in generator's roads (the demo town): not OpenStreetMap's.
SYNTHETIC_ATTRIBUTION = "Roads: synthetic roads (demo town)"


def roads_source(result: PlanResult) -> tuple[str, str]:
    """``(layer name, attribution)`` of the road base layer, by where the network came from.

    A config's ``[area.synthetic]`` network is generated (the demo town): crediting
    OpenStreetMap for it would be wrong, and would suggest the town is real.
    """
    if result.inputs.config.area.synthetic is not None:
        return "Roads (synthetic demo town)", SYNTHETIC_ATTRIBUTION
    return "Roads (OpenStreetMap)", ROADS_ATTRIBUTION


def default_secure(plan: Plan) -> bool:
    """Secure (offline) unless the plan's marking is plain ``OFFICIAL`` (see the module doc)."""
    secure = is_sensitive(plan.protective_marking)
    if not secure and plan.contains_mp_premises:
        log.warning(
            "%s is marked %s but holds MPs' premises: the map will load tiles from a third "
            "party; if the premises are real, mark the plan OFFICIAL-SENSITIVE or pass --secure",
            plan.force,
            plan.protective_marking,
        )
    return secure


def _view_bounds(
    result: PlanResult,
    geoms: Mapping[str, shapely.Geometry],
    areas: shapely.Geometry,
    redact: bool,
) -> list[list[float]]:
    """``[[south, west], [north, east]]`` of what is planned: routes, sites and stations.

    Redacted, a restricted site counts by its area's centre and routes without their cut parts:
    an extreme point of the view must not be the front door.
    """
    inputs = result.inputs
    xs = list(inputs.stations.x_m)
    ys = list(inputs.stations.y_m)
    for site in inputs.demand.sites:
        x, y = (
            redaction_area(site.x_m, site.y_m)[:2]
            if site.restricted and redact
            else (site.x_m, site.y_m)
        )
        xs.append(x)
        ys.append(y)
    for g in geoms.values():
        clipped = clip_out(g, areas)
        if clipped.is_empty:
            continue
        minx, miny, maxx, maxy = clipped.bounds
        xs += [minx, maxx]
        ys += [miny, maxy]
    return [latlon(min(xs), min(ys)), latlon(max(xs), max(ys))]


def new_map(plan: Plan, bounds: list[list[float]], title: str | None = None) -> folium.Map:
    """An empty map fitted to ``bounds``, with Leaflet inlined, its CSS, title and marking.

    ``title`` (plain text, escaped here) replaces the plan map's page title.
    """
    (south, west), (north, east) = bounds
    m = folium.Map(
        location=[round((south + north) / 2, 6), round((west + east) / 2, 6)],
        zoom_start=13,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
    )
    FitFirst([[south, west], [north, east]]).add_to(m)
    # Drop folium's CDN assets (jQuery, Bootstrap, Font Awesome, awesome-markers): nothing here
    # uses them, and Leaflet itself is inlined below in both modes.
    m.default_js = []
    m.default_css = []
    js, css = leaflet_assets()
    root = m.get_root()
    assert isinstance(root, Figure)
    page_title = title_html(plan) if title is None else f"<title>{esc(title)}</title>"
    root.header.add_child(Element(page_title), name="planner_title")
    # Library code and the map's own CSS, not input text: inlined as they are.
    root.header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css")
    root.header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js")
    root.header.add_child(Element(f"<style>\n{map_css()}</style>"), name="planner_css")
    root.html.add_child(Element(markings_html(plan)), name="planner_marking")
    # The map's own panes, before any marker is added to them.
    for name, z_index in PANES:
        folium.map.CustomPane(name, z_index=z_index, pointer_events=True).add_to(m)
    return m


def plan_map(
    result: PlanResult,
    *,
    secure: bool | None = None,
    redact: bool = False,
    geometries: Mapping[str, shapely.Geometry] | None = None,
    changes: Sequence[Change] = (),
) -> folium.Map:
    """Build the commander's map of a plan.

    Parameters
    ----------
    result
        The plan with its model and inputs.
    secure
        Offline mode with no third-party request; ``None`` applies :func:`default_secure`.
    redact
        Show restricted sites only as an approximate area.
    geometries
        Route geometries from :func:`planner.outputs.geometry.route_geometries` (computed if absent).
    changes
        What ``planner replan`` changed: drawn as a layer of their own (:mod:`.map_changes`).
    """
    plan = result.plan
    secure = default_secure(plan) if secure is None else secure
    geoms = geometries if geometries is not None else route_geometries(result)
    colours = unit_colours(plan)
    areas = redaction_discs(plan) if redact else shapely.GeometryCollection()

    m = new_map(plan, _view_bounds(result, geoms, areas, redact))
    if not secure:
        add_street_tiles(m)
    roads_name, attribution = roads_source(result)
    add_roads(result, m, areas, roads_name)
    add_extent(result, m, areas)
    has_hotspots = add_hotspots(result, m)
    routes = add_routes(plan, m, geoms, areas, colours, redact)
    groups = add_sites(result, m, redact)
    add_mp_premises(result, m, redact)
    add_stations(result, m)
    add_changes(result, m, changes, redact)
    days, units = add_filters(plan, m, colours)
    figures = day_figures(plan)

    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    Controls(
        routes=routes,
        days=days,
        units=units,
        legend_html=legend_html(colours, redact, has_hotspots, groups),
        summary_html=summary_html(plan, figures["all"], run_facts(result)),
        prefix="Leaflet" if secure else '<a href="https://leafletjs.com">Leaflet</a>',
        attribution=attribution,
        sites=site_visits(plan, redact),
        figures=figures,
        rejects_html=rejects_html(plan) if plan.rejected else "",
    ).add_to(m)
    TimeControl(unit_timelines(result, colours, areas, redact)).add_to(m)
    log.info(
        "map: %d routes, %d stops, %s%s",
        len(routes),
        sum(r["stops"] for r in routes),
        "secure" if secure else "online tiles",
        ", redacted" if redact else "",
    )
    return m


def render_map(m: folium.Map) -> str:
    """The map's complete HTML page."""
    return m.get_root().render()


def write_map(
    result: PlanResult,
    path: str | Path,
    *,
    secure: bool | None = None,
    redact: bool = False,
    geometries: Mapping[str, shapely.Geometry] | None = None,
    changes: Sequence[Change] = (),
) -> Path:
    """Build the map of a plan and write it atomically as one HTML file."""
    m = plan_map(result, secure=secure, redact=redact, geometries=geometries, changes=changes)
    atomic_write_bytes(path, render_map(m).encode("utf-8"))
    return Path(path)
