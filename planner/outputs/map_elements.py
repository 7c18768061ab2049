"""The pieces the commander's map is built from: HTML for popups and panels, script elements.

The HTML (popups, stop and MP icons, the legend, the summary panel, the marking banners) comes
from the macros of ``templates/map_parts.html.j2``, autoescaped, so every input text is
escaped. The script elements bind that HTML to Leaflet layers JSON-encoded, never through a
JavaScript template literal (where a site name holding ``${...}`` would run), and
:class:`Controls` adds the map's own script (``templates/map_controls.js.j2``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from branca.element import MacroElement
from folium.template import Template

from planner.config import MP_KINDS
from planner.outputs.map_assets import KIND_SYMBOLS, PROTECTED_COLOUR
from planner.outputs.summary import RunFacts, summary_figures
from planner.outputs.templating import macros, template_text
from planner.outputs.text import day_label, esc, hm
from planner.planning.plan import Plan, PlanRoute, PlanStop

_PARTS = "map_parts.html.j2"


def _part(macro: str, *args: Any) -> str:
    """One macro of ``map_parts.html.j2`` rendered, as plain text (already escaped HTML)."""
    return str(getattr(macros(_PARTS), macro)(*args))


def title_html(plan: Plan) -> str:
    """The page's ``<title>``, led by the marking."""
    return _part("title", plan.protective_marking, plan.force, plan.week)


def markings_html(plan: Plan) -> str:
    """The marking banners at top and bottom of the page."""
    return _part("markings", plan.protective_marking)


def popup_html(title: str, rows: list[tuple[str, str]], flag: str = "") -> str:
    """A popup: a title, an optional flag line and a table of ``(label, value)`` rows."""
    return _part("popup", title, rows, flag)


def _visit_rows(route: PlanRoute, stop: PlanStop) -> list[tuple[str, str]]:
    """The visit's rows of a stop's popup: unit, day, times, how and in which window."""
    rows = [
        ("Unit", f"{route.unit_id} ({route.mode}, {route.officers} officers)"),
        ("Day", f"{day_label(route.day)}, {route.shift} shift"),
        ("Arrive", hm(stop.arrival)),
        ("On site", f"{hm(stop.start)}–{hm(stop.departure)}"),
        ("Dwell", f"{stop.dwell_s / 60:.0f} min"),
        ("Presence", stop.presence.replace("_", " ")),
    ]
    if stop.window:
        rows.append(("Window", stop.window))
    return rows


def _site_rows(stop: PlanStop, redacted: bool) -> list[tuple[str, str]]:
    """The site's rows of a stop's popup: kind and risk, its name and notes unless redacted."""
    rows = [("Kind", stop.kind.replace("_", " ")), ("Risk", stop.risk)]
    if redacted:
        return [("Name", "withheld (approximate area)"), *rows]
    rows = [("Name", stop.name or stop.site_id), *rows, ("Site", stop.site_id)]
    if stop.notes:
        rows.append(("Look for", stop.notes))
    return rows


def _site_flag(stop: PlanStop) -> str:
    if stop.restricted:
        return "Restricted site: do not share"
    return "Protected: MP's premises" if stop.kind in MP_KINDS else ""


def stop_popup_html(route: PlanRoute, stop: PlanStop, redacted: bool) -> str:
    """A stop's popup: the visit (unit, day, times, presence, window) and the site visited."""
    name = "Restricted site (approximate area)" if redacted else (stop.name or stop.site_id)
    return _part(
        "sectioned",
        f"{stop.order}. {name}",
        [("", _visit_rows(route, stop)), ("Site", _site_rows(stop, redacted))],
        _site_flag(stop),
    )


def site_visits_head_html(stop: PlanStop, redacted: bool) -> str:
    """The head of a site's popup in the All view: the site; the page appends the visit rows."""
    name = "Restricted site (approximate area)" if redacted else (stop.name or stop.site_id)
    return _part("sectioned", name, [("", _site_rows(stop, redacted))], _site_flag(stop), "Visits")


def visit_row_html(route: PlanRoute, stop: PlanStop) -> str:
    """One visit in a site's popup (All view): day, unit, stop number, times, presence."""
    how = stop.presence.replace("_", " ") + (f" ({stop.window})" if stop.window else "")
    on_site = f"{hm(stop.start)}–{hm(stop.departure)}"
    return _part("visit_row", day_label(route.day), route.unit_id, stop.order, on_site, how)


def visits_icon_html(n: int) -> str:
    """A site's marker in the All view: how many visits it gets."""
    return _part("visits_icon", n)


def kind_icon_html(group: str) -> str:
    """A site's symbol by its kind's group (:data:`.map_assets.KIND_SYMBOLS`)."""
    return _part("kind_icon", group, KIND_SYMBOLS[group][0])


def stop_icon_html(colour: str, order: int) -> str:
    """A numbered stop marker in its unit's colour."""
    return _part("stop_icon", colour, order)


def mp_icon_html(restricted: bool) -> str:
    """An MP's premises marker (hollow for a restricted site)."""
    return _part("mp_icon", restricted)


def unit_label_html(colour: str, unit: str) -> str:
    """A unit's entry in the layer list: a colour swatch and its name."""
    return _part("unit_label", colour, unit)


def legend_html(
    colours: Mapping[str, str], redact: bool, has_hotspots: bool, groups: Sequence[str] = ()
) -> str:
    """The legend panel: units' colours and the map's symbols (``groups``: the sites' drawn)."""
    kinds = {g: sym for g, sym in KIND_SYMBOLS.items() if g in groups}
    return _part("legend", colours, redact, has_hotspots, PROTECTED_COLOUR, kinds)


def summary_html(plan: Plan, week: Mapping[str, str], facts: RunFacts | None = None) -> str:
    """The summary panel: the selected day's figures (``week`` at first), then ``summary.md``'s.

    ``facts`` (:func:`~planner.outputs.summary.run_facts`) give the headline what the plan
    alone does not hold (post minutes, a week without hot spots), as in ``summary.md``.
    """
    return _part("summary", plan, summary_figures(plan, facts), week)


def rejects_html(plan: Plan) -> str:
    """The list of sites not in the plan (their id, kind, stage, reason, required visits)."""
    return _part("rejects", plan.rejected)


# ----------------------------------------------------------------------------- script elements


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

    ``sites`` are the All view's markers, one per visited site (:func:`.map_data.site_visits`);
    ``figures`` the summary panel's figures by day key and ``"all"``; ``rejects_html`` the list
    of sites not in the plan (no panel if empty). ``window.plannerMap`` exposes the map, its
    routes and ``showDay(key)`` (for tests and for anyone scripting the page).
    """

    _template = Template(template_text("map_controls.js.j2"))

    def __init__(
        self,
        routes: list[dict[str, Any]],
        days: list[dict[str, str]],
        units: list[dict[str, str]],
        legend_html: str,
        summary_html: str,
        prefix: str,
        attribution: str,
        sites: list[dict[str, Any]] | None = None,
        figures: Mapping[str, Mapping[str, str]] | None = None,
        rejects_html: str = "",
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
        self.sites = sites or []
        self.figures = dict(figures or {})
        self.rejects_html = rejects_html
