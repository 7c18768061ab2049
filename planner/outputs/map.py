"""The commander's map: one self-contained Folium/Leaflet HTML file per plan.

What it shows: every route following the roads, one colour per unit; numbered stops with their
times; hot spots drawn by harm; MPs' premises in a protected style; stations; the force
boundary (or the network's extent); a legend, a summary panel with the figures of
``summary.md`` and the protective marking, top and bottom.

Layers: one check box per day and per unit. A route shows when both its day and its unit are
ticked, so the boxes work as filters (ticking off "NB-CAR-1" hides that unit on every day); the
"Day" buttons at the top left show one day at a time, or all. Hot spots, MPs' premises,
stations, roads and the boundary are layers of their own.

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
centre of the 500 m grid square holding it (:func:`planner.outputs.redaction_area`): no name, no
exact point, and the route lines inside the circle are cut out so they do not lead to the door.

Size: geometry is simplified in metres before reprojection (routes 3 m, the road base 8 m) and
coordinates are rounded to 6 decimal places (0.1 m); the map uses a canvas renderer.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import numpy as np
import shapely
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from planner.common import atomic_write_bytes
from planner.outputs.run import (
    clip_out,
    day_label,
    esc,
    hm,
    is_sensitive,
    line_parts,
    lonlat,
    redaction_area,
    redaction_discs,
    route_geometries,
    summary_figures,
    to_wgs84,
)
from planner.planning.plan import Plan, PlanRoute, PlanStop

if TYPE_CHECKING:
    from planner.planning.week import PlanResult

log = logging.getLogger(__name__)

#: One colour per unit, in unit-id order (Tableau 10 without its grey; then repeats).
PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#393b79",
)
PROTECTED_COLOUR = "#6b21a8"
ROUTE_TOLERANCE_M = 3.0
ROAD_TOLERANCE_M = 8.0
_MAJOR_ROADS = frozenset(
    {"motorway", "trunk", "primary", "secondary"}
    | {f"{k}_link" for k in ("motorway", "trunk", "primary", "secondary")}
)


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


def unit_colours(plan: Plan) -> dict[str, str]:
    """A colour for each unit of the plan, stable for the same units."""
    units = sorted({r.unit_id for r in plan.routes})
    return {u: PALETTE[i % len(PALETTE)] for i, u in enumerate(units)}


# ----------------------------------------------------------------------------- assets


@cache
def leaflet_assets() -> tuple[str, str]:
    """Leaflet 1.9.3's JavaScript and CSS from ``xstatic-leaflet``, ready to inline.

    The CSS's images become ``data:`` URIs and the source-map comment is dropped, so the page
    asks for nothing, not even a ``file:`` sibling that is not there; the only URLs left are
    XML namespace names (``http://www.w3.org/2000/svg``), which are never fetched.
    """
    from xstatic.pkg import leaflet

    base = Path(leaflet.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+", "", js)
    # The attribution prefix's link to leafletjs.com becomes plain text: a secure page holds
    # no third-party URL at all (the prefix is set again by :class:`Controls`).
    js = js.replace('<a href="https://leafletjs.com" title=', "<a title=")
    js = js.replace("https://leafletjs.com", "leafletjs.com")  # in the licence header
    css = (base / "leaflet.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)  # comments (one holds a bug tracker URL)

    def inline(match: re.Match[str]) -> str:
        data = (base / "images" / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    css = re.sub(r"url\(images/([A-Za-z0-9._-]+\.png)\)", inline, css)
    # Neither may close its <script>/<style> element early.
    assert "</script" not in js.lower() and "</style" not in css.lower()
    return js, css


# ----------------------------------------------------------------------------- small elements


class BindPopup(MacroElement):
    """Bind a popup whose HTML (already escaped) is JSON-encoded into the script."""

    _template = Template(
        """{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.bindPopup({{ this.html|tojson }}, {{ this.options|tojson }});
{% endmacro %}"""
    )

    def __init__(self, html: str, max_width: int = 320) -> None:
        super().__init__()
        self._name = "BindPopup"
        self.html = html
        self.options = {"maxWidth": max_width}


class BindTooltip(MacroElement):
    """Bind a tooltip whose text is HTML-escaped and JSON-encoded."""

    _template = Template(
        """{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.bindTooltip({{ this.html|tojson }}, {{ this.options|tojson }});
{% endmacro %}"""
    )

    def __init__(self, text: str, sticky: bool = True) -> None:
        super().__init__()
        self._name = "BindTooltip"
        self.html = esc(text)
        self.options = {"sticky": sticky}


class FitFirst(MacroElement):
    """Fit the map to the plan before any layer is added (added as the map's first child).

    Fitting after the layers are on the map leaves a canvas-rendered multi-polyline (the road
    base layer) clipped to the first view's extent in Leaflet 1.9.3; fitting first avoids it,
    without animation.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.fitBounds({{ this.bounds|tojson }}, {padding: [20, 20], animate: false});
{% endmacro %}"""
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "FitFirst"
        self.bounds = bounds


class Controls(MacroElement):
    """The map's own script: filters, the day buttons, legend, summary and a test hook.

    ``window.plannerMap`` exposes the map, its routes and ``showDay(key)`` (for tests and for
    anyone scripting the page).
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var routes = [{% for r in this.routes %}
    {layer: {{ r.layer }}, id: {{ r.id|tojson }}, unit: {{ r.unit|tojson }}, day: {{ r.day|tojson }}, stops: {{ r.stops }}},{% endfor %}
  ];
  var dayLayers = { {% for d in this.days %}{{ d.key|tojson }}: {{ d.layer }},{% endfor %} };
  var dayLabels = { {% for d in this.days %}{{ d.key|tojson }}: {{ d.short|tojson }},{% endfor %} };
  var unitLayers = { {% for u in this.units %}{{ u.key|tojson }}: {{ u.layer }},{% endfor %} };
  var buttons = {};

  function refresh() {
    routes.forEach(function (r) {
      var on = map.hasLayer(dayLayers[r.day]) && map.hasLayer(unitLayers[r.unit]);
      if (on && !map.hasLayer(r.layer)) { map.addLayer(r.layer); }
      if (!on && map.hasLayer(r.layer)) { map.removeLayer(r.layer); }
    });
    var all = Object.keys(dayLayers).every(function (k) { return map.hasLayer(dayLayers[k]); });
    Object.keys(buttons).forEach(function (k) {
      var on = k === 'all' ? all : (!all && map.hasLayer(dayLayers[k]));
      buttons[k].className = on ? 'on' : '';
    });
  }
  function showDay(key) {
    Object.keys(dayLayers).forEach(function (k) {
      var want = key === 'all' || k === key;
      if (want && !map.hasLayer(dayLayers[k])) { map.addLayer(dayLayers[k]); }
      if (!want && map.hasLayer(dayLayers[k])) { map.removeLayer(dayLayers[k]); }
    });
    refresh();
  }
  Object.keys(dayLayers).forEach(function (k) { dayLayers[k].on('add remove', refresh); });
  Object.keys(unitLayers).forEach(function (k) { unitLayers[k].on('add remove', refresh); });

  var DayPicker = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function () {
      var div = L.DomUtil.create('div', 'planner-panel planner-days');
      var title = L.DomUtil.create('div', 'planner-days-title', div);
      title.textContent = 'Day';
      ['all'].concat(Object.keys(dayLayers)).forEach(function (k) {
        var b = L.DomUtil.create('button', '', div);
        b.type = 'button';
        b.textContent = k === 'all' ? 'All' : dayLabels[k];
        b.setAttribute('data-day', k);
        L.DomEvent.on(b, 'click', function (e) { L.DomEvent.stop(e); showDay(k); });
        buttons[k] = b;
      });
      L.DomEvent.disableClickPropagation(div);
      return div;
    }
  });
  new DayPicker().addTo(map);

  function panel(position, cls, html) {
    var C = L.Control.extend({
      options: {position: position},
      onAdd: function () {
        var div = L.DomUtil.create('div', 'planner-panel ' + cls);
        div.innerHTML = html;
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      }
    });
    new C().addTo(map);
  }
  panel('bottomleft', 'planner-legend', {{ this.legend_html|tojson }});
  panel('bottomright', 'planner-summary', {{ this.summary_html|tojson }});
  map.attributionControl.setPrefix({{ this.prefix|tojson }});
  {% if this.attribution %}map.attributionControl.addAttribution({{ this.attribution|tojson }});{% endif %}
  refresh();

  window.plannerMap = {
    map: map,
    routes: routes,
    showDay: showDay,
    visibleRoutes: function () {
      return routes.filter(function (r) { return map.hasLayer(r.layer); }).length;
    },
    visibleStops: function () {
      return routes.filter(function (r) { return map.hasLayer(r.layer); })
        .reduce(function (n, r) { return n + r.stops; }, 0);
    },
    dayKeys: Object.keys(dayLayers),
    unitKeys: Object.keys(unitLayers)
  };
})();
{% endmacro %}"""
    )

    def __init__(
        self,
        routes: list[dict[str, Any]],
        days: list[dict[str, str]],
        units: list[dict[str, str]],
        legend_html: str,
        summary_html: str,
        prefix: str,
        attribution: str,
    ) -> None:
        super().__init__()
        self._name = "PlannerControls"
        self.routes = routes
        self.days = days
        self.units = units
        self.legend_html = legend_html
        self.summary_html = summary_html
        self.prefix = prefix
        self.attribution = attribution


_MAP_CSS = """
.planner-marking { position: fixed; left: 50%; transform: translateX(-50%); z-index: 1001;
  background: #fff; color: #000; font: bold 13px/1 Arial, sans-serif; letter-spacing: .12em;
  padding: 5px 14px; border: 2px solid #000; pointer-events: none; }
.planner-marking.top { top: 4px; } .planner-marking.bottom { bottom: 4px; }
.planner-panel { background: rgba(255,255,255,.95); padding: 6px 8px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.35); font: 12px/1.35 Arial, sans-serif; color: #111; }
.planner-panel table { border-collapse: collapse; }
.planner-panel td, .planner-panel th { padding: 1px 5px; text-align: left; }
.planner-panel td.n, .planner-panel th.n { text-align: right; }
.planner-panel summary { cursor: pointer; font-weight: bold; }
.planner-summary { max-width: 360px; max-height: 45vh; overflow: auto; }
.planner-legend { max-height: 45vh; overflow: auto; }
.planner-legend .sw { display: inline-block; width: 22px; height: 4px; vertical-align: middle;
  margin-right: 5px; }
.planner-days button { display: block; width: 100%; margin: 2px 0; padding: 2px 6px;
  font: 12px Arial, sans-serif; border: 1px solid #999; background: #fff; cursor: pointer; }
.planner-days button.on { background: #111; color: #fff; border-color: #111; }
.planner-days-title { font-weight: bold; margin-bottom: 2px; }
.planner-stop { width: 20px; height: 20px; border-radius: 50%; color: #fff; border: 2px solid #fff;
  font: bold 11px/20px Arial, sans-serif; text-align: center; box-shadow: 0 0 2px #000; }
.planner-station { width: 16px; height: 16px; background: #111; color: #fff; border: 2px solid #fff;
  font: bold 11px/16px Arial, sans-serif; text-align: center; box-shadow: 0 0 2px #000; }
.planner-mp { width: 14px; height: 14px; background: #6b21a8; border: 2px solid #fff;
  transform: rotate(45deg); box-shadow: 0 0 0 2px #6b21a8; }
.planner-mp.restricted { background: #fff; border-color: #6b21a8; }
.planner-popup h4 { margin: 0 0 4px; font-size: 13px; }
.planner-popup table td { padding: 0 6px 0 0; vertical-align: top; }
.planner-flag { color: #6b21a8; font-weight: bold; }
.leaflet-control-layers { font: 12px/1.3 Arial, sans-serif; }
.leaflet-control-layers-overlays label { white-space: nowrap; }
"""


def _popup(title: str, rows: list[tuple[str, str]], flag: str = "") -> str:
    """Popup HTML; every value is escaped here."""
    body = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in rows)
    flag_html = f'<div class="planner-flag">{esc(flag)}</div>' if flag else ""
    return f'<div class="planner-popup"><h4>{esc(title)}</h4>{flag_html}<table>{body}</table></div>'


def _latlngs(geom: shapely.Geometry) -> list[list[list[float]]]:
    """Leaflet ``[[lat, lon], ...]`` arrays of a BNG (multi)line, reprojected and rounded."""
    return [[[float(lat), float(lon)] for lon, lat in part] for part in line_parts(to_wgs84(geom))]


def _latlon(x_m: float, y_m: float) -> list[float]:
    lon, lat = lonlat(x_m, y_m)
    return [lat, lon]


# ----------------------------------------------------------------------------- layers


def _road_layer(result: PlanResult, parent: folium.FeatureGroup) -> int:
    """The car network, simplified, as the offline base layer: major roads heavier."""
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
        merged = shapely.simplify(merged, ROAD_TOLERANCE_M)
        locs = _latlngs(merged)
        n += sum(len(p) for p in locs)
        folium.PolyLine(
            locs, color=colour, weight=weight, opacity=1.0, interactive=False, smooth_factor=1.5
        ).add_to(parent)
    return n


def _extent(result: PlanResult) -> tuple[shapely.Geometry, str]:
    """The force boundary in BNG, or the network's extent if the config has none."""
    from planner.planning.pipeline import network_coverage
    from planner.roads.area import area_boundary

    boundary = area_boundary(result.inputs.config)
    if boundary is not None:
        return boundary, "Force boundary"
    return network_coverage(result.inputs.network), "Network extent"


def _stop_popup(route: PlanRoute, stop: PlanStop, redacted: bool) -> str:
    name = "Restricted site (approximate area)" if redacted else (stop.name or stop.site_id)
    rows = [
        ("Unit", f"{route.unit_id} ({route.mode}, {route.officers} officers)"),
        ("Day", f"{day_label(route.day)}, {route.shift} shift"),
        ("Arrive", hm(stop.arrival)),
        ("On site", f"{hm(stop.start)}–{hm(stop.departure)}"),
        ("Dwell", f"{stop.dwell_s / 60:.0f} min"),
        ("Kind", stop.kind.replace("_", " ")),
        ("Risk", stop.risk),
    ]
    if stop.notes and not redacted:
        rows.append(("Look for", stop.notes))
    flag = "Restricted site: do not share" if stop.restricted else ""
    return _popup(f"{stop.order}. {name}", rows, flag)


def _summary_html(plan: Plan) -> str:
    f = summary_figures(plan)
    head = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in f.headline)
    kinds = "".join(
        f"<tr><td>{esc(str(r['kind']).replace('_', ' '))}</td><td class='n'>{r['made']}</td>"
        f"<td class='n'>{r['asked']}</td><td class='n'>{r['harm_covered']:,}</td>"
        f"<td class='n'>{r['harm_total']:,}</td></tr>"
        for r in f.by_kind
    )
    days = "".join(
        f"<tr><td>{esc(r['day'])}</td><td class='n'>{r['routes']}</td><td class='n'>{r['visits']}</td>"
        f"<td class='n'>{r['officer_hours']:,}</td><td class='n'>£{r['cost']:,.0f}</td></tr>"
        for r in f.by_day
    )
    units = "".join(
        f"<tr><td>{esc(r['unit'])}</td><td class='n'>{r['routes']}</td><td class='n'>{r['visits']}</td>"
        f"<td class='n'>{r['officer_hours']:,}</td><td class='n'>£{r['cost']:,.0f}</td></tr>"
        for r in f.by_unit
    )
    return (
        f"<details open><summary>{esc(plan.force)}: {esc(plan.week)}</summary>"
        f"<table>{head}</table>"
        "<details><summary>Visits by kind</summary><table><tr><th>kind</th><th class='n'>made</th>"
        f"<th class='n'>asked</th><th class='n'>harm</th><th class='n'>of</th></tr>{kinds}</table></details>"
        "<details><summary>By day</summary><table><tr><th>day</th><th class='n'>routes</th>"
        f"<th class='n'>visits</th><th class='n'>off.-h</th><th class='n'>cost</th></tr>{days}</table></details>"
        "<details><summary>By unit</summary><table><tr><th>unit</th><th class='n'>shifts</th>"
        f"<th class='n'>visits</th><th class='n'>off.-h</th><th class='n'>cost</th></tr>{units}</table></details>"
        "</details>"
    )


def _legend_html(colours: Mapping[str, str], redact: bool, has_hotspots: bool) -> str:
    units = "".join(
        f'<div><span class="sw" style="background:{c}"></span>{esc(u)}</div>'
        for u, c in colours.items()
    )
    rows = [
        "<b>Units</b>",
        units,
        '<div><span class="planner-stop" style="display:inline-block;background:#555;'
        'width:14px;height:14px;line-height:14px;font-size:9px">1</span> stop, in order</div>',
        '<div><span class="planner-station" style="display:inline-block;width:10px;height:10px;'
        'line-height:10px;font-size:8px">P</span> police station</div>',
        '<div><span class="planner-mp" style="display:inline-block;width:8px;height:8px;'
        "margin:0 5px\"></span> MP's premises (protected)</div>",
    ]
    if redact:
        rows.append(
            f'<div><span style="display:inline-block;width:12px;height:12px;border-radius:50%;'
            f'border:2px dashed {PROTECTED_COLOUR}"></span> restricted site, approximate area</div>'
        )
    else:
        rows.append(
            '<div><span class="planner-mp restricted" style="display:inline-block;width:8px;'
            "height:8px;margin:0 5px\"></span> restricted site (MP's home)</div>"
        )
    if has_hotspots:
        rows.append(
            '<div><span style="display:inline-block;width:40px;height:10px;background:'
            'linear-gradient(90deg,#fed976,#bd0026)"></span> hot spot, by harm</div>'
        )
    return "".join(rows)


def plan_map(
    result: PlanResult,
    *,
    secure: bool | None = None,
    redact: bool = False,
    geometries: Mapping[str, shapely.Geometry] | None = None,
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
        Route geometries from :func:`planner.outputs.route_geometries` (computed if absent).
    """
    plan = result.plan
    inputs = result.inputs
    secure = default_secure(plan) if secure is None else secure
    geoms = geometries if geometries is not None else route_geometries(result)
    colours = unit_colours(plan)
    areas = redaction_discs(plan) if redact else shapely.GeometryCollection()

    # Centre on what is planned: routes, sites and stations. Redacted, a restricted site counts
    # by its area's centre and routes without their cut parts: an extreme point of the view
    # must not be the front door.
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
    (south, west), (north, east) = _latlon(min(xs), min(ys)), _latlon(max(xs), max(ys))

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
    mark = esc(plan.protective_marking)
    root.header.add_child(
        Element(f"<title>[{mark}] {esc(plan.force)}: patrol map {esc(plan.week)}</title>"),
        name="planner_title",
    )
    root.header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css")
    root.header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js")
    root.header.add_child(Element(f"<style>{_MAP_CSS}</style>"), name="planner_css")
    root.html.add_child(
        Element(
            f'<div class="planner-marking top" role="note">{mark}</div>'
            f'<div class="planner-marking bottom" role="note">{mark}</div>'
        ),
        name="planner_marking",
    )

    if not secure:
        # Off until ticked: OpenStreetMap's tile servers refuse requests without a Referer,
        # and a page opened from file:// sends none (folium issue #2215), so shown by default
        # the tiles would read "Access blocked". Served over http(s), the policy below sends
        # the page's origin as the Referer, as the tile usage policy asks.
        folium.TileLayer(
            "OpenStreetMap",
            name="Street map tiles (online)",
            overlay=True,
            control=True,
            show=False,
            referrerPolicy="strict-origin-when-cross-origin",
        ).add_to(m)
    roads = folium.FeatureGroup(name="Roads (OpenStreetMap)", overlay=True, control=True)
    n_road = _road_layer(result, roads)
    roads.add_to(m)
    log.debug("road base layer: %d points", n_road)
    attribution = "Roads © OpenStreetMap contributors (ODbL)"

    extent, extent_name = _extent(result)
    ext = folium.FeatureGroup(name=extent_name, overlay=True, control=True)
    for ring in line_parts(shapely.simplify(extent.boundary, 20.0)):
        folium.PolyLine(
            [[float(lat), float(lon)] for lon, lat in to_wgs84(shapely.LineString(ring)).coords],
            color="#333",
            weight=2,
            dash_array="6 6",
            opacity=0.7,
            interactive=False,
        ).add_to(ext)
    ext.add_to(m)

    has_hotspots = bool(inputs.hotspots and inputs.hotspots.hotspots)
    if inputs.hotspots is not None and inputs.hotspots.hotspots:
        hs_layer = folium.FeatureGroup(name="Hot spots (by harm)", overlay=True, control=True)
        spots = inputs.hotspots.hotspots
        top = max(h.harm for h in spots) or 1.0
        for h in spots:
            share = h.harm / top
            colour = _ramp(share)
            circle = folium.Circle(
                _latlon(h.x_m, h.y_m),
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
                _popup(
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

    # Routes: one layer each (not in the layer list); day and unit boxes filter them.
    route_entries: list[dict[str, Any]] = []
    n_stops = 0
    for r in plan.routes:
        colour = colours[r.unit_id]
        fg = folium.FeatureGroup(name=r.route_id, control=False, show=True)
        geom = shapely.simplify(clip_out(geoms[r.route_id], areas), ROUTE_TOLERANCE_M)
        line = folium.PolyLine(
            _latlngs(geom), color=colour, weight=4, opacity=0.85, class_name="planner-route"
        )
        BindTooltip(
            f"{r.unit_id} · {day_label(r.day)} · {r.shift} {hm(r.shift_start)}–{hm(r.shift_end)}"
            f" · {len(r.stops)} stops"
        ).add_to(line)
        line.add_to(fg)
        for s in r.stops:
            redacted = s.restricted and redact
            x, y = redaction_area(s.x_m, s.y_m)[:2] if redacted else (s.x_m, s.y_m)
            marker = folium.Marker(
                _latlon(x, y),
                icon=folium.DivIcon(
                    html=f'<div class="planner-stop" style="background:{colour}">{s.order}</div>',
                    icon_size=(24, 24),
                    icon_anchor=(12, 12),
                    class_name="planner-stop-icon",
                ),
            )
            BindPopup(_stop_popup(r, s, redacted)).add_to(marker)
            marker.add_to(fg)
            n_stops += 1
        fg.add_to(m)
        route_entries.append(
            {
                "layer": fg.get_name(),
                "id": r.route_id,
                "unit": r.unit_id,
                "day": r.day.isoformat(),
                "stops": len(r.stops),
            }
        )

    mp_layer = folium.FeatureGroup(name="MPs' premises (protected)", overlay=True, control=True)
    for site in inputs.demand.sites:
        if not site.is_mp_premises:
            continue
        if site.restricted and redact:
            cx, cy, radius = redaction_area(site.x_m, site.y_m)
            area = folium.Circle(
                _latlon(cx, cy),
                radius=radius,
                color=PROTECTED_COLOUR,
                weight=2,
                dash_array="6 4",
                fill=True,
                fill_opacity=0.08,
                class_name="planner-restricted-area",
            )
            BindPopup(
                _popup(
                    "Restricted site",
                    [("Shown", f"approximate area only ({radius:.0f} m radius)")],
                    "Details from the duty supervisor",
                )
            ).add_to(area)
            area.add_to(mp_layer)
            continue
        cls = "planner-mp restricted" if site.restricted else "planner-mp"
        marker = folium.Marker(
            _latlon(site.x_m, site.y_m),
            icon=folium.DivIcon(
                html=f'<div class="{cls}"></div>',
                icon_size=(18, 18),
                icon_anchor=(9, 9),
                class_name="planner-mp-icon",
            ),
        )
        BindPopup(
            _popup(
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

    st_layer = folium.FeatureGroup(name="Police stations", overlay=True, control=True)
    names = {s.id: s.name or s.id for s in inputs.config.stations}
    for sid, x, y in zip(
        inputs.stations.site_id, inputs.stations.x_m, inputs.stations.y_m, strict=True
    ):
        marker = folium.Marker(
            _latlon(float(x), float(y)),
            icon=folium.DivIcon(
                html='<div class="planner-station">P</div>',
                icon_size=(20, 20),
                icon_anchor=(10, 10),
                class_name="planner-station-icon",
            ),
        )
        BindTooltip(f"{names.get(sid, sid)} ({sid})").add_to(marker)
        marker.add_to(st_layer)
    st_layer.add_to(m)

    # Filter layers: empty groups whose check boxes decide which routes show.
    days = []
    for d in sorted({r.day for r in plan.routes}):
        fg = folium.FeatureGroup(name=f"Day: {day_label(d)}", overlay=True, control=True)
        fg.add_to(m)
        days.append({"key": d.isoformat(), "short": day_label(d), "layer": fg.get_name()})
    units = []
    for u in colours:
        label = (
            f'<span style="display:inline-block;width:14px;height:4px;vertical-align:middle;'
            f'background:{colours[u]}"></span> Unit: {esc(u)}'
        )
        fg = folium.FeatureGroup(name=label, overlay=True, control=True)
        fg.add_to(m)
        units.append({"key": u, "layer": fg.get_name()})

    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    Controls(
        routes=route_entries,
        days=days,
        units=units,
        legend_html=_legend_html(colours, redact, has_hotspots),
        summary_html=_summary_html(plan),
        prefix="Leaflet" if secure else '<a href="https://leafletjs.com">Leaflet</a>',
        attribution=attribution,
    ).add_to(m)
    log.info(
        "map: %d routes, %d stops, %s%s",
        len(route_entries),
        n_stops,
        "secure" if secure else "online tiles",
        ", redacted" if redact else "",
    )
    return m


def _ramp(share: float) -> str:
    """Yellow to dark red by harm share (0..1)."""
    lo = np.array([0xFE, 0xD9, 0x76])
    hi = np.array([0xBD, 0x00, 0x26])
    rgb = (lo + (hi - lo) * min(max(share, 0.0), 1.0)).round().astype(int)
    return "#{:02x}{:02x}{:02x}".format(*rgb)


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
) -> Path:
    """Build the map of a plan and write it atomically as one HTML file."""
    m = plan_map(result, secure=secure, redact=redact, geometries=geometries)
    atomic_write_bytes(path, render_map(m).encode("utf-8"))
    return Path(path)
