"""The commander's map's reading aids in a real headless Chromium (planner.outputs.map).

Stops above the sites' symbols with one popup for visit and site, the kinds' symbols, the
figures panel following the Day buttons, site markers instead of piled-up stops in the All
view, the "Where is everyone?" time control (redacted: never inside a restricted area), the
list of sites not in the plan, and the roads' credit. Uses the headless browser of
tests/outputs/test_browser.py; screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from planner.outputs.map import write_map
from planner.outputs.text import day_label
from planner.planning.week import PlanResult
from tests.outputs.test_browser import ARTIFACTS, Browser, _need_browser

#: Overlap allowed between two stop labels' boxes, pixels.
OVERLAP_PX = 3


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module."""
    _need_browser()
    b = Browser()
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def demo_page(demo_plan: PlanResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's map in secure mode, written once."""
    return write_map(demo_plan, tmp_path_factory.mktemp("map") / "demo.html", secure=True)


def _open(b: Browser, path: Path) -> None:
    page = b.open(path)
    assert page["errors"] == [] and page["console"] == []


def _overlaps(b: Browser) -> list[Any]:
    """Pairs of visible stop labels (numbers or visit counts) overlapping by more than a few px."""
    return b.js(
        "var els = Array.from(document.querySelectorAll("
        "  '.leaflet-plannerStops-pane .planner-stop, .leaflet-plannerStops-pane .planner-visits'));"
        "var r = els.map(function (e) { return e.getBoundingClientRect(); }), out = [];"
        "for (var i = 0; i < r.length; i++) { for (var j = i + 1; j < r.length; j++) {"
        "  var ox = Math.min(r[i].right, r[j].right) - Math.max(r[i].left, r[j].left);"
        "  var oy = Math.min(r[i].bottom, r[j].bottom) - Math.max(r[i].top, r[j].top);"
        "  if (ox > arguments[0] && oy > arguments[0]) { out.push([els[i].textContent, els[j].textContent, ox, oy]); } } }"
        "return [els.length, out];",
        OVERLAP_PX,
    )


def test_stop_above_premises_one_popup(
    browser: Browser, demo_plan: PlanResult, demo_page: Path
) -> None:
    """A stop at an MP's office is above the office's symbol; a click opens one popup.

    The popup shows the visit (unit, times, presence) and the site (kind, name).
    """
    plan = demo_plan.plan
    i, route, stop = next(
        (i, r, s) for i, r in enumerate(plan.routes) for s in r.stops if s.kind == "mp_office"
    )
    _open(browser, demo_page)
    z = browser.js(
        "return [Number(plannerMap.map.getPane('plannerStops').style.zIndex),"
        " Number(plannerMap.map.getPane('plannerSites').style.zIndex)];"
    )
    assert z[0] > z[1]
    browser.driver.find_element(
        "css selector", f'button[data-day="{route.day.isoformat()}"]'
    ).click()
    el = browser.js(
        "var r = plannerMap.routes[arguments[0]], n = arguments[1], out = null;"
        "r.stopsLayer.eachLayer(function (m) {"
        "  var e = m.getElement(); if (e.textContent.trim() === String(n)) { out = e.firstChild; } });"
        "return out;",
        i,
        stop.order,
    )
    # The premises' diamond is in the lower pane, under the stop.
    assert browser.js(
        "return arguments[0].closest('.leaflet-pane').classList.contains('leaflet-plannerStops-pane')"
        " && document.querySelectorAll('.leaflet-plannerSites-pane .planner-mp').length > 0;",
        el,
    )
    el.click()
    popups = browser.js(
        "return Array.from(document.querySelectorAll('.leaflet-popup')).map(function (p) {"
        " return p.textContent; });"
    )
    assert len(popups) == 1
    text = popups[0]
    for part in (route.unit_id, "Presence", "On site", "Site", "mp office", stop.name):
        assert part in text
    browser.screenshot(ARTIFACTS / "demo-map-stop-at-premises.png")
    assert browser.js("return window.__errors") == []


def test_kind_symbols(browser: Browser, demo_plan: PlanResult, demo_page: Path) -> None:
    """Every demand site has its kind's symbol (visited or not), each kind in the legend."""
    sites = demo_plan.inputs.demand.sites
    _open(browser, demo_page)
    got = browser.js(
        "return {kinds: Array.from(document.querySelectorAll('.leaflet-plannerSites-pane .planner-kind'))"
        "  .map(function (e) { return e.className; }),"
        " mp: document.querySelectorAll('.leaflet-plannerSites-pane .planner-mp').length,"
        " legend: document.querySelector('.planner-legend').textContent};"
    )
    assert len(got["kinds"]) == sum(not s.is_mp_premises for s in sites)
    assert got["mp"] == sum(s.is_mp_premises for s in sites)
    for text in ("place of worship", "protest or event", "community centre", "police station"):
        assert text in got["legend"]
    assert len(set(got["kinds"])) >= 4


def test_day_figures_and_popups(browser: Browser, demo_plan: PlanResult, demo_page: Path) -> None:
    """The figures panel follows the Day buttons; a popup closes when the day changes."""
    plan = demo_plan.plan
    _open(browser, demo_page)
    fig = "return document.querySelector('.planner-dayfig').innerText;"
    assert f"Week {plan.week}" in browser.js(fig)
    days = sorted({r.day for r in plan.routes})
    for day in days[:3]:
        browser.driver.find_element("css selector", f'button[data-day="{day.isoformat()}"]').click()
        on_day = [r for r in plan.routes if r.day == day]
        text = browser.js(fig)
        assert day_label(day) in text
        assert f"Visits\t{sum(len(r.stops) for r in on_day)}" in text
        assert f"Routes\t{len(on_day)}" in text
    browser.js(
        "var m = null; plannerMap.routes.forEach(function (r) {"
        "  if (!m && plannerMap.map.hasLayer(r.stopsLayer)) { m = r.stopsLayer.getLayers()[0]; } });"
        "m.openPopup();"
    )
    assert browser.js("return document.querySelectorAll('.leaflet-popup').length") == 1
    browser.driver.find_element("css selector", f'button[data-day="{days[0].isoformat()}"]').click()
    assert browser.js(
        "return plannerMap.map._popup === undefined || !plannerMap.map._popup.isOpen()"
    )
    from selenium.webdriver.support.ui import WebDriverWait

    # Leaflet fades a closed popup out before removing it from the page.
    WebDriverWait(browser.driver, timeout=10, poll_frequency=0.1).until(
        lambda _d: browser.js("return document.querySelectorAll('.leaflet-popup').length") == 0
    )
    browser.driver.find_element("css selector", 'button[data-day="all"]').click()
    assert f"Visits\t{len(plan.stops)}" in browser.js(fig)


def test_no_piled_up_stop_numbers(browser: Browser, demo_plan: PlanResult, demo_page: Path) -> None:
    """All view: one marker per visited site; no two labels overlap, nor on a busy day."""
    plan = demo_plan.plan
    _open(browser, demo_page)
    n, pairs = _overlaps(browser)
    assert n == len({s.site_id for s in plan.stops})
    assert pairs == []
    browser.screenshot(ARTIFACTS / "demo-map-all-view.png")
    busiest = max(
        {r.day for r in plan.routes},
        key=lambda d: sum(len(r.stops) for r in plan.routes if r.day == d),
    )
    browser.driver.find_element("css selector", f'button[data-day="{busiest.isoformat()}"]').click()
    n, pairs = _overlaps(browser)
    assert n == sum(len(r.stops) for r in plan.routes if r.day == busiest)
    assert pairs == []
    # The site's popup in the All view lists its visits.
    browser.driver.find_element("css selector", 'button[data-day="all"]').click()
    rows = browser.js(
        "var s = document.querySelector('.leaflet-plannerStops-pane .planner-visits');"
        "s.click(); return [s.textContent,"
        " document.querySelectorAll('.leaflet-popup .planner-visit-list tr').length - 1];"
    )
    assert rows[0] == f"×{rows[1]}"


def test_time_control(browser: Browser, demo_plan: PlanResult, demo_page: Path) -> None:
    """Where is everyone: each unit on shift at the chosen time is on the map."""
    plan = demo_plan.plan
    _open(browser, demo_page)
    browser.driver.find_element("css selector", ".planner-time-on").click()
    day = sorted({r.day for r in plan.routes})[2]
    seen = 0
    for hhmm in ("03:00", "10:30", "18:00"):
        got = browser.js(
            "return plannerTime.at(arguments[0], arguments[1]);", day.isoformat(), hhmm
        )
        markers = browser.js(
            "return document.querySelectorAll('.leaflet-plannerUnits-pane .planner-unit').length;"
        )
        assert markers == sum(g["ll"] is not None for g in got)
        assert markers == len(got)  # nothing withheld on an unredacted map
        seen += markers
        h, m = map(int, hhmm.split(":"))
        on = [r for r in plan.routes if r.shift_start <= _at(plan, day, h, m) < r.shift_end]
        assert sorted(g["unit"] for g in got) == sorted(r.unit_id for r in on)
    assert seen > 0
    # The slider moves them.
    browser.js(
        "var s = document.querySelector('.planner-time-slider'); s.value = '600';"
        "s.dispatchEvent(new Event('input'));"
    )
    assert browser.js("return document.querySelector('.planner-time-clock').textContent") == "10:00"
    browser.screenshot(ARTIFACTS / "demo-map-time.png")
    assert browser.js("return window.__errors") == []


def _at(plan: Any, day: Any, h: int, m: int) -> Any:
    import datetime as dt

    from planner.common import LONDON

    return dt.datetime.combine(day, dt.time(h, m), tzinfo=LONDON)


def test_time_control_redacted(browser: Browser, rutland_plan: PlanResult, tmp_path: Path) -> None:
    """Redacted: at no time of the week is a unit shown inside a restricted site's area."""
    path = write_map(rutland_plan, tmp_path / "rutland.html", secure=True, redact=True)
    _open(browser, path)
    browser.driver.find_element("css selector", ".planner-time-on").click()
    worst = browser.js(
        "var discs = [], worst = 1e9, shown = 0, hidden = 0;"
        "plannerMap.map.eachLayer(function (l) {"
        "  if (l instanceof L.Circle && l.options.className === 'planner-restricted-area') {"
        "    discs.push([l.getLatLng(), l.getRadius()]); } });"
        "plannerTime.data.days.forEach(function (d) {"
        "  for (var m = 0; m < 1440; m += 5) {"
        "    var hh = ('0' + Math.floor(m / 60)).slice(-2) + ':' + ('0' + m % 60).slice(-2);"
        "    plannerTime.at(d.key, hh).forEach(function (u) {"
        "      if (!u.ll) { hidden++; return; } shown++;"
        "      discs.forEach(function (c) {"
        "        worst = Math.min(worst, plannerMap.map.distance(u.ll, c[0]) - c[1]); }); });"
        "    plannerTime.layer.eachLayer(function (mk) { discs.forEach(function (c) {"
        "      worst = Math.min(worst, plannerMap.map.distance(mk.getLatLng(), c[0]) - c[1]); }); });"
        "  } });"
        "return [discs.length, worst, shown, hidden];"
    )
    n_discs, margin_m, shown, hidden = worst
    assert n_discs > 0 and shown > 0 and hidden > 0
    assert margin_m > 0  # every position shown is outside every area
    assert browser.js("return window.__errors") == []


def test_rejects_and_attribution(browser: Browser, demo_plan: PlanResult, demo_page: Path) -> None:
    """Sites not in the plan are listed (not drawn); the demo's roads are credited as synthetic."""
    rejected = demo_plan.plan.rejected
    assert rejected
    _open(browser, demo_page)
    got = browser.js(
        "var p = document.querySelector('.planner-rejects');"
        "p.querySelector('summary').click();"
        "return {head: p.querySelector('summary').textContent, rows: Array.from("
        " p.querySelectorAll('tr')).slice(1).map(function (r) { return r.textContent; }),"
        " credit: document.querySelector('.leaflet-control-attribution').textContent};"
    )
    assert f"({len(rejected)})" in got["head"]
    for r, row in zip(rejected, got["rows"], strict=True):
        assert r.site_id in row and r.reason in row
        assert ("required" in row) == bool(r.required_visits)
    assert "synthetic roads (demo town)" in got["credit"]
    assert "OpenStreetMap" not in got["credit"]
    browser.screenshot(ARTIFACTS / "demo-map-rejects.png")
