"""The commander's map in a real headless Chromium (planner.outputs.map, run for real).

Opens the demo's and Rutland's maps from ``file://`` in Debian's ``chromium`` driven by
selenium and ``chromedriver``, and checks: no JavaScript error, the layers, routes and stops
in the page (DOM and Leaflet objects), the day buttons and unit filters, hostile text shown as
text, and in secure mode that not one request leaves ``file://`` (Chrome's performance log of
DevTools Network events; http(s) and ws(s) are also blocked in the browser, so a test run can
never reach a third party). Screenshots go to ``test-artifacts/``. The README's picture,
``docs/demo-map.png``, is made only by ``scripts/make_readme_screenshot.py`` (the old
``PLANNER_UPDATE_DOCS=1`` path here is gone); :func:`test_readme_screenshot_script` checks
that script's screenshot function.

Skipped when chromium, chromedriver or selenium is missing, except under CI (env ``CI`` set),
where that is a failure: ``apt-get install chromium chromium-driver``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from planner.outputs.map import write_map
from planner.outputs.text import day_label
from planner.planning.week import PlanResult
from tests.outputs.hostile import EVIL, with_evil_names

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
CHROMEDRIVER = Path(shutil.which("chromedriver") or "/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,800",
)
#: Installed before any page script: collects errors, alerts and console errors.
PROBE = """
window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push('error: ' + e.message); });
window.addEventListener('unhandledrejection', function (e) { window.__errors.push('rejection: ' + e.reason); });
window.alert = function (m) { window.__errors.push('alert: ' + m); };
(function () {
  var orig = console.error;
  console.error = function () {
    window.__errors.push('console: ' + Array.prototype.join.call(arguments, ' '));
    return orig.apply(console, arguments);
  };
})();
"""


def _need_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package (pip install -e '.[test]')")
    if missing:
        msg = f"headless browser tests need {', '.join(missing)}: apt-get install chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


class Browser:
    """A headless Chromium with error probes, request logging and request blocking."""

    def __init__(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = str(CHROMIUM)
        for flag in (*FLAGS, f"--user-data-dir={self.profile}"):
            opts.add_argument(flag)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
        self.driver.execute_cdp_cmd("Network.enable", {})
        # Belt and braces: whatever a page asks for, nothing goes out to the network.
        self.driver.execute_cdp_cmd(
            "Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*"]}
        )

    def open(self, path: Path) -> dict[str, Any]:
        """Load a page from file://; return its load time, requests, errors and console."""
        self.driver.get_log("performance")  # drop what came before
        self.driver.get_log("browser")
        start = time.perf_counter()
        self.driver.get(path.resolve().as_uri())
        wall_s = time.perf_counter() - start
        # Two animation frames: the canvas has drawn the final view.
        self.driver.execute_async_script(
            "var done = arguments[0]; requestAnimationFrame(function () { requestAnimationFrame(done); });"
        )
        requests = self.requests()
        nav = self.driver.execute_script(
            "var n = performance.getEntriesByType('navigation')[0];"
            "return {load_ms: n.loadEventEnd, dom_ms: n.domContentLoadedEventEnd};"
        )
        return {
            "wall_s": wall_s,
            **nav,
            "requests": requests,
            "errors": self.driver.execute_script("return window.__errors"),
            "console": [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"],
        }

    def requests(self) -> list[str]:
        """URLs the page asked for since the last call (from Chrome's performance log)."""
        urls = []
        for entry in self.driver.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg["method"] == "Network.requestWillBeSent":
                urls.append(msg["params"]["request"]["url"])
        return urls

    def js(self, script: str, *args: object) -> Any:
        """Run JavaScript in the page."""
        return self.driver.execute_script(script, *args)

    def screenshot(self, path: Path) -> Path:
        """Save a PNG of the window."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))
        return path

    def close(self) -> None:
        """Quit the browser and remove its profile."""
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module."""
    _need_browser()
    b = Browser()
    try:
        yield b
    finally:
        b.close()


TIMINGS: dict[str, dict[str, float]] = {}


def _record(name: str, path: Path, page: dict[str, Any]) -> None:
    TIMINGS[name] = {
        "html_bytes": path.stat().st_size,
        "load_ms": round(page["load_ms"], 1),
        "wall_s": round(page["wall_s"], 3),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "browser-timings.json").write_text(json.dumps(TIMINGS, indent=2) + "\n")


def _offline(requests: list[str]) -> list[str]:
    """Requests that left file:// (data: URIs are inline, not requests to anyone)."""
    return [u for u in requests if not u.startswith(("file://", "data:"))]


def _check_page(b: Browser, result: PlanResult) -> None:
    """Routes, site markers (the All view) and layers in the page match the plan."""
    plan = result.plan
    got = b.js(
        "var p = window.plannerMap;"
        "return {routes: p.routes.length, visible: p.visibleRoutes(), stops: p.visibleStops(),"
        " icons: document.querySelectorAll('.planner-stop-icon').length,"
        " sites: p.visibleSites(),"
        " siteIcons: document.querySelectorAll("
        "   '.leaflet-plannerStops-pane .planner-site-visits-icon').length,"
        " lines: (function () { var n = 0; p.map.eachLayer(function (l) {"
        "   if (l instanceof L.Polyline && l.options.className === 'planner-route') { n++; } });"
        "   return n; })(),"
        " labels: Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
        "   .map(function (l) { return l.textContent.trim(); }),"
        " markings: Array.from(document.querySelectorAll('.planner-marking'))"
        "   .map(function (d) { return d.textContent; }),"
        " title: document.title};"
    )
    assert got["routes"] == got["visible"] == got["lines"] == len(plan.routes)
    # The All view: one marker per visited site, no numbered stops.
    assert got["stops"] == got["icons"] == 0
    assert got["sites"] == got["siteIcons"] == len({s.site_id for s in plan.stops})
    days = [f"Day: {day_label(d)}" for d in sorted({r.day for r in plan.routes})]
    units = [f"Unit: {u}" for u in sorted({r.unit_id for r in plan.routes})]
    assert set(days + units + ["Police stations", "Hot spots (by harm)"]) <= set(got["labels"])
    assert got["markings"] == [plan.protective_marking] * 2
    assert got["title"].startswith(f"[{plan.protective_marking}]")


def test_demo_map(browser: Browser, demo_plan: PlanResult, tmp_path: Path) -> None:
    """The demo's map (OFFICIAL, online mode): no JS error, every route and stop; tiles only on request."""
    path = write_map(demo_plan, tmp_path / "demo.html")
    page = browser.open(path)
    assert page["errors"] == [] and page["console"] == []
    assert _offline(page["requests"]) == []  # the tile layer is off until ticked
    _check_page(browser, demo_plan)
    _record("demo (online mode)", path, page)
    browser.screenshot(ARTIFACTS / "demo-map-online.png")
    browser.driver.get_log("performance")
    browser.js(
        "Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
        ".find(function (l) { return l.textContent.trim() === 'Street map tiles (online)'; })"
        ".querySelector('input').click();"
    )
    from selenium.webdriver.support.ui import WebDriverWait

    asked: list[str] = []

    def tiles_asked(_driver: object) -> bool:
        asked.extend(browser.requests())
        return bool(asked)

    # Wait for the first requests rather than a fixed time: a loaded machine may be slow.
    WebDriverWait(browser.driver, timeout=30, poll_frequency=0.2).until(tiles_asked)
    # Only OpenStreetMap's tile server is asked (and the test browser blocks even that).
    assert asked and {u.split("/")[2] for u in asked} == {"tile.openstreetmap.org"}
    assert browser.js("return window.__errors") == []


@pytest.mark.parametrize(
    ("name", "redact"), [("demo", False), ("rutland", False), ("rutland", True)]
)
def test_secure_map_stays_offline(
    browser: Browser, name: str, redact: bool, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Secure maps load with no JS error and not one request leaving file://."""
    result: PlanResult = request.getfixturevalue(f"{name}_plan")
    path = write_map(result, tmp_path / f"{name}.html", secure=True, redact=redact)
    page = browser.open(path)
    assert page["errors"] == [] and page["console"] == []
    assert _offline(page["requests"]) == []
    assert page["requests"][0] == path.resolve().as_uri()
    _check_page(browser, result)
    label = f"{name} (secure{', redacted' if redact else ''})"
    _record(label, path, page)
    browser.screenshot(ARTIFACTS / f"{name}-map-secure{'-redacted' if redact else ''}.png")
    if redact:
        homes = browser.js(
            "var n = 0; plannerMap.map.eachLayer(function (l) {"
            " if (l instanceof L.Circle && l.options.className === 'planner-restricted-area') {"
            "   n++; if (l.getRadius() !== 500) { n = -99; } } }); return n;"
        )
        assert homes == sum(s.restricted for s in result.inputs.demand.sites)


def test_readme_screenshot_script(demo_plan: PlanResult, tmp_path: Path) -> None:
    """scripts/make_readme_screenshot.py's screenshot: a 1200 x 800 PNG of the drawn map."""
    import importlib.util

    _need_browser()
    spec = importlib.util.spec_from_file_location(
        "make_readme_screenshot", REPO / "scripts" / "make_readme_screenshot.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    path = write_map(demo_plan, tmp_path / "demo.html", secure=True)
    png = script.screenshot_map(path, tmp_path / "shot.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert (int.from_bytes(png[16:20]), int.from_bytes(png[20:24])) == (1200, 800)
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically: no temporary file left


def test_day_buttons_and_unit_filters(
    browser: Browser, demo_plan: PlanResult, tmp_path: Path
) -> None:
    """A day button shows that day only; unticking a unit hides its routes; 'All' brings all back."""
    plan = demo_plan.plan
    path = write_map(demo_plan, tmp_path / "demo.html", secure=True)
    browser.open(path)
    count = (
        "return [plannerMap.visibleRoutes(),"
        " document.querySelectorAll('.leaflet-plannerStops-pane .planner-stop-icon').length];"
    )
    day = sorted({r.day for r in plan.routes})[1]
    browser.driver.find_element("css selector", f'button[data-day="{day.isoformat()}"]').click()
    on_day = [r for r in plan.routes if r.day == day]
    assert browser.js(count) == [len(on_day), sum(len(r.stops) for r in on_day)]
    assert browser.js(
        "return document.querySelector('.planner-days button.on').textContent"
    ) == day_label(day)

    unit = on_day[0].unit_id
    box = browser.js(
        "var want = arguments[0];"
        "return Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
        ".find(function (l) { return l.textContent.trim() === want; })"
        ".querySelector('input');",
        f"Unit: {unit}",
    )
    box.click()
    left = [r for r in on_day if r.unit_id != unit]
    assert browser.js(count) == [len(left), sum(len(r.stops) for r in left)]
    box.click()
    browser.driver.find_element("css selector", 'button[data-day="all"]').click()
    assert browser.js(count) == [len(plan.routes), 0]
    assert browser.js("return window.__errors") == []


def test_hostile_text_shows_as_text(
    browser: Browser, demo_plan: PlanResult, tmp_path: Path
) -> None:
    """A stop named ``<script>...`` with ``${...}`` notes: popups show the text, nothing runs."""
    evil = with_evil_names(demo_plan)
    path = write_map(evil, tmp_path / "evil.html", secure=True)
    page = browser.open(path)
    assert page["errors"] == []
    texts = browser.js(
        "var out = [];"
        "plannerMap.map.eachLayer(function (l) {"
        "  if (l instanceof L.Marker && l.getPopup()) { l.openPopup();"
        "    out.push(document.querySelector('.leaflet-popup-content').textContent); } });"
        "return out;"
    )
    assert any(EVIL in t for t in texts)
    assert browser.js(
        "return window.__pwned === undefined && !document.querySelector('img[src=\"x\"]')"
    )
    assert browser.js("return window.__errors") == []


def test_batch_index_page(browser: Browser, tmp_path: Path) -> None:
    """The national index opens without errors, lists each area and its link opens the map."""
    from planner.batch.runner import run_batch

    areas = [
        REPO / "data" / "westminster" / "force.toml",
        REPO / "data" / "city-of-london" / "force.toml",
    ]
    result = run_batch(
        areas, out_dir=tmp_path / "batch", cache_dir=tmp_path / "cache", workers=2, time_limit_s=2
    )
    assert not result.failed, [r.error for r in result.failed]
    info = browser.open(result.index_html)
    assert not info["errors"] and not info["console"]
    rows = browser.js(
        "return Array.from(document.querySelectorAll('#summary tbody tr')).map(r => r.cells[0].textContent)"
    )
    assert sorted(rows) == ["city-of-london", "westminster"]
    links = browser.js(
        "return Array.from(document.querySelectorAll('#summary a')).map(a => a.href)"
    )
    assert len(links) == 2 and all(link.startswith("file://") for link in links)
    browser.driver.find_element("css selector", "#summary a").click()
    assert browser.js("return document.querySelectorAll('.leaflet-container').length") == 1
    assert not browser.js("return window.__errors")
    browser.screenshot(ARTIFACTS / "batch-index-map.png")
