"""What the commander's map carries besides the plan: Leaflet inlined, its own CSS, colours.

Leaflet 1.9.3's JavaScript and CSS come from the ``xstatic-leaflet`` package and are inlined in
every map (secure or not), so the page opens offline; the map's own CSS is
``templates/map.css``. Units get colours from a fixed palette, in unit-id order, so the same
units keep their colours from week to week (the briefings use the same colours).
"""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path

from planner.outputs.templating import template_text
from planner.planning.plan import Plan

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
#: MPs' premises and restricted sites' areas (also in ``templates/map.css``).
PROTECTED_COLOUR = "#6b21a8"

#: Leaflet panes of the map's own markers, ``(name, z-index)``: above Leaflet's marker pane
#: (600) and below its tooltips (650), so a stop is always drawn, and clicked, above the
#: symbol of the site it visits, and a unit's position above both.
PANES = (("plannerSites", 610), ("plannerStops", 620), ("plannerUnits", 630))

#: Site kinds grouped for their symbols (``templates/map.css``: ``.planner-kind-<group>``);
#: MPs' premises keep their own diamond, and a kind not listed here is drawn as ``other``.
KIND_GROUPS = {
    "place_of_worship": "worship",
    "protest": "gathering",
    "event": "gathering",
    "community_centre": "community",
    "hotspot": "hotspot",
}
#: Each group's letter and legend text (plain letters: no icon font, nothing to fetch).
KIND_SYMBOLS = {
    "worship": ("W", "place of worship"),
    "gathering": ("!", "protest or event"),
    "community": ("C", "community centre"),
    "hotspot": ("H", "hot spot (site)"),
    "other": ("?", "other site"),
}


def kind_group(kind: str) -> str:
    """The symbol group of a site kind (``other`` for a kind the map does not know)."""
    return KIND_GROUPS.get(kind, "other")


def unit_colours(plan: Plan) -> dict[str, str]:
    """A colour for each unit of the plan, stable for the same units."""
    units = sorted({r.unit_id for r in plan.routes})
    return {u: PALETTE[i % len(PALETTE)] for i, u in enumerate(units)}


@cache
def map_css() -> str:
    """The map's own CSS (panels, markers, the marking banners): ``templates/map.css``."""
    return template_text("map.css")


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
