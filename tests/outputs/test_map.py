"""The commander's map as rendered HTML (planner.outputs.map).

Assertions are on the page folium renders (``m.get_root().render()``), as geopandas tests its
``explore`` maps: layers, routes and stops, escaping, the marking, and in secure mode not one
URL of a third party. The browser tests (tests/outputs/test_browser.py) run the same pages for real.
"""

from __future__ import annotations

import itertools
import json
import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from planner.common import LONDON, to_bng
from planner.outputs.geometry import lonlat, redaction_area
from planner.outputs.map import default_secure, plan_map, render_map, write_map
from planner.outputs.map_assets import leaflet_assets
from planner.outputs.summary import run_facts, summary_figures
from planner.outputs.text import day_label
from planner.planning.week import PlanResult
from tests.outputs.hostile import EVIL, EVIL_TEMPLATE, with_evil_names

#: URLs that are names, never fetched: XML namespaces.
NAMESPACES = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink")


@pytest.fixture(scope="module")
def demo_html(demo_plan: PlanResult) -> str:
    """The demo map with its default settings (OFFICIAL: online tiles)."""
    return render_map(plan_map(demo_plan))


@pytest.fixture(scope="module")
def demo_secure_html(demo_plan: PlanResult) -> str:
    """The demo map in secure mode."""
    return render_map(plan_map(demo_plan, secure=True))


@pytest.fixture(scope="module")
def rutland_html(rutland_plan: PlanResult) -> str:
    """Rutland's map with its default settings (secure, since it is OFFICIAL-SENSITIVE)."""
    return render_map(plan_map(rutland_plan))


def js(text: str) -> str:
    """A string as Jinja's ``tojson`` writes it into a script (HTML-safe JSON)."""
    out = json.dumps(text)
    for ch, rep in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        out = out.replace(ch, rep)
    return out


def squash(html: str) -> str:
    """The page without whitespace (as geopandas' explore tests compare)."""
    return "".join(html.split())


def own_part(html: str) -> str:
    """The page without the inlined Leaflet library: what this project generated."""
    js, css = leaflet_assets()
    return html.replace(js, "").replace(css, "")


class _Attrs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in {"src", "href", "srcset", "action", "poster", "data"} and value:
                self.urls.append((tag, name, value))


def third_party_urls(html: str) -> list[str]:
    """Every http(s)/ws/ftp or protocol-relative URL in the page, XML namespace names aside."""
    found = re.findall(
        r"""(?:https?|wss?|ftp):\/\/[^\s"'`<>)\\]+|(?<=["'(])//[a-z0-9.-]+\.[a-z]{2,}/""", html
    )
    return [u for u in found if not u.startswith(NAMESPACES)]


def test_default_secure_rule(demo_plan: PlanResult, rutland_plan: PlanResult) -> None:
    """Secure by default unless the marking is plain OFFICIAL (Rutland yes, the demo no)."""
    assert rutland_plan.plan.protective_marking == "OFFICIAL-SENSITIVE" and default_secure(
        rutland_plan.plan
    )
    assert demo_plan.plan.protective_marking == "OFFICIAL" and not default_secure(demo_plan.plan)


@pytest.mark.parametrize("which", ["demo_html", "demo_secure_html", "rutland_html"])
def test_layers_present(which: str, request: pytest.FixtureRequest) -> None:
    """A check box per day and per unit, and the hot spot, MP, station and boundary layers."""
    html = request.getfixturevalue(which)
    result: PlanResult = request.getfixturevalue(
        "rutland_plan" if "rutland" in which else "demo_plan"
    )
    plan = result.plan
    for day in {r.day for r in plan.routes}:
        assert js(f"Day: {day_label(day)}") in html
    for unit in {r.unit_id for r in plan.routes}:
        assert f"Unit: {unit}" in html
    for name in ("Hot spots (by harm)", "MPs' premises (protected)", "Police stations"):
        assert js(name) in html
    assert '"Force boundary"' in html if "rutland" in which else '"Network extent"' in html
    secure = which != "demo_html"
    roads = "Roads (OpenStreetMap)" if "rutland" in which else "Roads (synthetic demo town)"
    assert js(roads) in html and js("Sites (by kind)") in html
    assert (js("Street map tiles (online)") in html) == (not secure)
    # Not the bare class names: the page's CSS holds those whether or not the panels are there.
    assert "L.control.layers" in html and "'planner-panel planner-days'" in html
    assert "panel('bottomleft', 'planner-legend', \"\\u003cb\\u003eUnits\\u003c/b\\u003e" in html
    assert "panel('bottomright', 'planner-summary', \"\\u003cdetails open\\u003e" in html


@pytest.mark.parametrize("which", ["demo_html", "rutland_html"])
def test_routes_and_stops(which: str, request: pytest.FixtureRequest) -> None:
    """One road line per route and one numbered marker per stop, each stop's popup with its times."""
    html = squash(request.getfixturevalue(which))
    plan = request.getfixturevalue("rutland_plan" if "rutland" in which else "demo_plan").plan
    assert len(plan.routes) > 0
    assert html.count('"className":"planner-route"') == len(plan.routes)
    assert html.count('"className":"planner-stop-icon"') == len(plan.stops)
    assert html.count('"pane":"plannerStops"') == len(plan.stops)
    assert html.count(".bindPopup(") >= len(plan.stops)
    numbers = re.findall(
        r'class=\\"planner-stop\\"style=\\"background:#[0-9a-f]{6}\\"\\u003e(\d+)', html
    )
    assert sorted(int(n) for n in numbers) == sorted(s.order for s in plan.stops)
    for stop in plan.routes[0].stops:
        assert (
            f"\\u003ctd\\u003eArrive\\u003c/td\\u003e\\u003ctd\\u003e{stop.arrival.astimezone(LONDON).strftime('%H:%M')}"
            in html
        )


def test_summary_panel_figures(demo_plan: PlanResult, demo_html: str) -> None:
    """The summary panel carries the figures of summary.md, run facts too (post minutes)."""
    plan = demo_plan.plan
    assert f"{plan.prize_covered:,.1f} of {plan.prize_total:,.1f}" in demo_html
    assert (
        f"{plan.budget['used_officer_hours']:,.1f} of {plan.budget['funded_officer_hours']:,.1f} funded"
        in demo_html
    )
    lines = summary_figures(plan, run_facts(demo_plan)).lines
    (posts,) = [f.value for f in lines if f.label == "Posts covered"]
    minutes = posts[posts.index("; ") :]
    assert minutes.endswith(" minutes)") and minutes in demo_html


@pytest.mark.parametrize("which", ["demo_html", "demo_secure_html", "rutland_html"])
def test_marking_present(which: str, request: pytest.FixtureRequest) -> None:
    """The protective marking is in the title and in banners at top and bottom."""
    html = request.getfixturevalue(which)
    mark = "OFFICIAL-SENSITIVE" if "rutland" in which else "OFFICIAL"
    assert f"<title>[{mark}]" in html
    assert f'<div class="planner-marking top" role="note">{mark}</div>' in html
    assert f'<div class="planner-marking bottom" role="note">{mark}</div>' in html


@pytest.mark.parametrize("which", ["demo_secure_html", "rutland_html"])
def test_secure_mode_requests_nothing(which: str, request: pytest.FixtureRequest) -> None:
    """Secure mode: no script/style/tile/link URL of any third party, Leaflet inlined."""
    html = request.getfixturevalue(which)
    parser = _Attrs()
    parser.feed(html)
    external = [(t, a, v) for t, a, v in parser.urls if not v.startswith(("#", "data:", "file:"))]
    assert external == []
    assert third_party_urls(html) == []
    assert "link" not in parser.tags  # no stylesheet links at all
    assert not re.search(r"<script[^>]+src=", html)
    assert "L.tileLayer" not in html
    js, css = leaflet_assets()
    assert js in html and css in html and 'version="1.9.3"' in js.replace("'", '"')


def test_online_mode_only_tiles(demo_html: str) -> None:
    """Online mode adds only the OpenStreetMap tile server; Leaflet is still inline."""
    hosts = {u.split("/")[2] for u in third_party_urls(own_part(demo_html))}
    # The tile server, and two links in the attribution (links, not requests).
    assert hosts == {"tile.openstreetmap.org", "www.openstreetmap.org", "leafletjs.com"}
    assert '"https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in demo_html
    # Sends the page's origin as the Referer OpenStreetMap's tile policy asks for (over http).
    assert '"referrerPolicy": "strict-origin-when-cross-origin"' in demo_html
    assert not re.search(r"<script[^>]+src=", demo_html)


def test_hostile_text_is_escaped(demo_plan: PlanResult) -> None:
    """Site names and notes with markup or ``${...}`` show as text and never run."""
    html = render_map(plan_map(with_evil_names(demo_plan), secure=True))
    assert EVIL not in html
    assert "<img src=x" not in html
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" not in html  # not even JSON-raw
    assert "\\u0026lt;script\\u0026gt;alert(1)" in html  # escaped HTML inside a JSON string
    # ``${`` only ever sits in a JSON string, never in a JavaScript template literal.
    assert "`" not in own_part(html)
    assert EVIL_TEMPLATE.split("<")[0] in html


def test_redacted_map(rutland_plan: PlanResult) -> None:
    """Redacted: an MP's home is a 500 m area around a grid centre; no name, no exact point."""
    html = render_map(plan_map(rutland_plan, redact=True))
    homes = [s for s in rutland_plan.inputs.demand.sites if s.restricted]
    assert homes
    for site in homes:
        lon, lat = lonlat(site.x_m, site.y_m)
        assert f"{lat}, {lon}" not in html and f"{lat},{lon}" not in squash(html)
        assert site.name not in html and site.notes not in html
        cx, cy, _ = redaction_area(site.x_m, site.y_m)
        clon, clat = lonlat(cx, cy)
        assert f"[{clat}, {clon}]" in html
    bounds = json.loads(re.search(r"\.fitBounds\((\[\[.*?\]\])", html).group(1))
    for site in homes:
        lon, lat = lonlat(site.x_m, site.y_m)
        assert lat not in (bounds[0][0], bounds[1][0]) and lon not in (bounds[0][1], bounds[1][1])
    assert squash(html).count('"className":"planner-restricted-area"') == len(homes)
    assert '"radius":500.0' in squash(html)
    plain = render_map(plan_map(rutland_plan, redact=False))
    assert all(s.name in plain for s in homes)


def test_coordinates_rounded(rutland_html: str) -> None:
    """Coordinates carry at most 6 decimal places (0.1 m)."""
    own = own_part(rutland_html)
    assert not re.search(r"[-\d]\d*\.\d{7,}", own)


def test_notebook_repr(demo_plan: PlanResult) -> None:
    """The map shows in a notebook (``_repr_html_``) with its marking."""
    out = plan_map(demo_plan)._repr_html_()
    banner = '<div class="planner-marking top" role="note">OFFICIAL</div>'
    assert out.count("<iframe srcdoc=") == 1 and escape(banner) in out


def test_write_map(demo_plan: PlanResult, tmp_path: Path) -> None:
    """write_map writes one self-contained file of a sensible size."""
    path = write_map(demo_plan, tmp_path / "m.html", secure=True)
    size = path.stat().st_size
    assert 150_000 < size < 3_000_000
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def _script_json(html: str, name: str) -> object:
    """A JSON value the page's script assigns: ``var <name> = {...};``."""
    match = re.search(rf"var {name} = (.*?);\n", html)
    assert match, name
    return json.loads(match.group(1))


def test_attribution_names_the_road_source(demo_html: str, rutland_html: str) -> None:
    """The demo's generated roads are credited as synthetic, Rutland's to OpenStreetMap."""
    assert js("Roads: synthetic roads (demo town)") in demo_html
    assert "Roads © OpenStreetMap contributors" not in own_part(demo_html)
    assert js("Roads © OpenStreetMap contributors (ODbL)") in rutland_html
    assert "synthetic roads" not in rutland_html


def test_panes_order(demo_html: str) -> None:
    """Stops have a pane above the sites' symbols (and units above both), below tooltips."""
    z = dict(re.findall(r'createPane\(\s*"(\w+)"\);\s*\w+\.style\.zIndex = (\d+);', demo_html))
    assert 600 < int(z["plannerSites"]) < int(z["plannerStops"]) < int(z["plannerUnits"]) < 650


def test_kind_symbols_and_legend(demo_plan: PlanResult, demo_html: str) -> None:
    """Every demand site is drawn (visited or not) with its kind's symbol, each in the legend."""
    from planner.outputs.map_assets import KIND_SYMBOLS, kind_group

    sites = demo_plan.inputs.demand.sites
    html = squash(demo_html)
    others = [s for s in sites if not s.is_mp_premises]
    assert html.count('"className":"planner-site-icon"') == len(others)
    groups = {kind_group(s.kind) for s in others}
    assert {"worship", "gathering", "community", "hotspot"} <= groups
    for g in groups:
        assert f"planner-kind planner-kind-{g}" in demo_html
        assert js(KIND_SYMBOLS[g][1]).strip('"') in demo_html  # a legend entry
    assert kind_group("some_new_kind") == "other"


def test_stop_popup_has_visit_and_site(demo_plan: PlanResult) -> None:
    """A stop's popup holds the visit (unit, times, presence, window) and the site."""
    from planner.outputs.map_elements import stop_popup_html

    route, stop = next(
        (r, s) for r in demo_plan.plan.routes for s in r.stops if s.kind == "mp_office"
    )
    out = stop_popup_html(route, stop, False)
    for text in ("Unit", route.unit_id, "Presence", "On site", "<h5>Site</h5>", "mp office"):
        assert text in out
    assert escape(stop.name) in out and "Protected: MP" in out
    redacted = stop_popup_html(route, stop, True)
    assert escape(stop.name) not in redacted and stop.site_id not in redacted


def test_all_view_sites_and_day_figures(demo_plan: PlanResult, demo_html: str) -> None:
    """One All-view marker per visited site listing its visits; figures per day and the week."""
    plan = demo_plan.plan
    sites = _script_json(demo_html, "sites")
    assert isinstance(sites, list)
    assert len(sites) == len({s.site_id for s in plan.stops})
    assert sum(len(s["rows"]) for s in sites) == len(plan.stops)
    figures = _script_json(demo_html, "figures")
    assert isinstance(figures, dict)
    assert figures["all"]["visits"] == str(len(plan.stops))
    days = sorted({r.day for r in plan.routes})
    assert set(figures) == {"all", *(d.isoformat() for d in days)}
    assert sum(int(figures[d.isoformat()]["visits"]) for d in days) == len(plan.stops)
    assert sum(int(figures[d.isoformat()]["routes"]) for d in days) == len(plan.routes)


def test_time_control_data(demo_plan: PlanResult) -> None:
    """Each route's segments run without gaps from its shift's start to its end."""
    import shapely

    from planner.outputs.map_assets import unit_colours
    from planner.outputs.map_time import unit_timelines

    data = unit_timelines(
        demo_plan, unit_colours(demo_plan.plan), shapely.GeometryCollection(), False
    )
    assert len(data["routes"]) == len(demo_plan.plan.routes)
    base = demo_plan.plan.week_start
    for r, tl in zip(demo_plan.plan.routes, data["routes"], strict=True):
        segs = tl["segs"]
        assert segs[0][1] == round((r.shift_start - base).total_seconds())
        assert segs[-1][2] == round((r.shift_end - base).total_seconds())
        assert all(a[2] == b[1] for a, b in itertools.pairwise(segs))
        assert {seg[0] for seg in segs} <= {"p", "t", "w", "s", "b"}
        assert sum(seg[0] == "s" for seg in segs) == len(r.stops)
        if r.break_start is not None:
            assert any(seg[0] == "b" for seg in segs)


def test_time_control_redacted(rutland_plan: PlanResult) -> None:
    """Redacted, no unit position is inside a restricted site's area."""
    import shapely

    from planner.outputs.geometry import redaction_discs
    from planner.outputs.map_assets import unit_colours
    from planner.outputs.map_time import unit_timelines

    plan = rutland_plan.plan
    areas = redaction_discs(plan)
    assert not areas.is_empty
    data = unit_timelines(rutland_plan, unit_colours(plan), areas, True)
    withheld = 0
    for tl in data["routes"]:
        for code, _t0, _t1, _stop, pts in tl["segs"]:
            withheld += code == "h"
            for lat, lon in pts:
                x, y = to_bng().transform(lon, lat)
                assert not shapely.contains_xy(areas, x, y)
    assert withheld > 0
    homes = [s for s in plan.stops if s.restricted]
    assert all(s.name not in json.dumps(data) for s in homes)


def test_rejects_panel(demo_plan: PlanResult) -> None:
    """Sites not in the plan are listed (id, kind, reason, required), escaped, not drawn."""
    import dataclasses

    from planner.planning.plan import RejectedSite

    evil = RejectedSite(
        source="sites.csv:99",
        site_id=EVIL,
        kind="mp_surgery",
        stage="site",
        reason=EVIL_TEMPLATE,
        required_visits=2,
        mp_premises=True,
    )
    plan = dataclasses.replace(demo_plan.plan, rejected=(*demo_plan.plan.rejected, evil))
    result = PlanResult(plan=plan, model=demo_plan.model, solution=demo_plan.solution)
    html = render_map(plan_map(result, secure=True))
    assert "panel('bottomright', 'planner-rejects'" in html
    assert EVIL not in html and "<img src=x" not in html
    assert "\\u0026lt;script\\u0026gt;alert(1)" in html
    for r in plan.rejected:
        assert (
            escape(r.site_id).replace("&", "\\u0026").replace("<", "\\u003c") in html
            or r.site_id == EVIL
        )
    assert "required (2)" in html
    plain = render_map(plan_map(demo_plan, secure=True))
    assert ("planner-rejects'" in plain) == bool(demo_plan.plan.rejected)
