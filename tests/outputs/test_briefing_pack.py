"""Briefings crews can use: nearby streets on the route map, the daily pack, one A4 page a crew.

The printing tests run Debian's headless ``chromium`` (``--print-to-pdf``) and count the PDF's
pages; they are skipped when it is missing, except under CI (env ``CI`` set), where that is a
failure: ``apt-get install chromium``.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from planner.config import MP_KINDS
from planner.outputs.briefings import (
    MAX_SKETCH_STREETS,
    MAX_STREET_NAMES,
    briefing_html,
    daily_pack_html,
    pack_routes,
    route_sketch,
)
from planner.outputs.geometry import redaction_discs, route_geometries
from planner.outputs.run import RunFolder, route_file_stem, write_run
from planner.planning.week import PlanResult

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def run(demo_plan: PlanResult, tmp_path_factory: pytest.TempPathFactory) -> RunFolder:
    """The demo's run folder, redacted (briefings and packs only matter here)."""
    out = tmp_path_factory.mktemp("pack") / "run"
    return write_run(demo_plan, out, redact=True, with_map=False, with_inputs=False)


def _station_xy(result: PlanResult, station_id: str) -> tuple[float, float]:
    idx = list(result.inputs.stations.site_id).index(station_id)
    return float(result.inputs.stations.x_m[idx]), float(result.inputs.stations.y_m[idx])


def _svgs(page: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg.*?</svg>", page, flags=re.S)]


# ----------------------------------------------------------------------------- streets


def test_route_map_draws_nearby_streets_faintly_under_the_route(demo_plan: PlanResult) -> None:
    geoms = route_geometries(demo_plan)
    net = demo_plan.inputs.network.car
    for route in demo_plan.plan.routes:
        sketch = route_sketch(
            route,
            geoms[route.route_id],
            _station_xy(demo_plan, route.station_id),
            network=net,
        )
        assert 0 < len(sketch.streets) <= MAX_SKETCH_STREETS
        assert len(sketch.street_names) <= MAX_STREET_NAMES
        texts = [n.text for n in sketch.street_names]
        assert len(set(texts)) == len(texts) and set(texts) <= set(net.name_labels) - {""}
        for n in sketch.street_names:
            assert 0 < n.x_px < sketch.size_px and 0 < n.y_px < sketch.size_px
    page = briefing_html(demo_plan, route, geoms[route.route_id])
    (svg,) = _svgs(page)
    kids = list(svg)
    streets = svg.find(f"{SVG}g[@class='streets']")
    assert streets is not None and streets.attrib["stroke-width"] == "0.8"
    route_line = next(
        e for e in kids if e.tag == f"{SVG}polyline" and e.attrib.get("stroke-width") == "3"
    )
    assert kids.index(streets) < kids.index(route_line)  # drawn under the route
    names = [e.text for e in svg.iter(f"{SVG}text") if e.attrib.get("class") == "street"]
    assert names and len(names) <= MAX_STREET_NAMES
    assert len(page) < 120_000  # simplified and capped: a briefing stays small


def test_streets_and_names_keep_out_of_redaction_discs(demo_plan: PlanResult) -> None:
    """Streets are cut at a restricted area's edge as the route is; no name sits inside one."""
    geoms = route_geometries(demo_plan)
    discs = redaction_discs(demo_plan.plan)
    checked = 0
    for route in demo_plan.plan.routes:
        if not any(s.restricted for s in route.stops):
            continue
        sketch = route_sketch(
            route,
            geoms[route.route_id],
            _station_xy(demo_plan, route.station_id),
            areas=discs,
            network=demo_plan.inputs.network.car,
        )
        pts = np.asarray(
            [tuple(map(float, p.split(","))) for line in sketch.streets for p in line.split()]
        )
        for area in (s for s in sketch.stops if s.area_px is not None):
            assert area.area_px is not None
            d = np.hypot(pts[:, 0] - area.x_px, pts[:, 1] - area.y_px)
            # The disc is a 64-gon inside the circle; pixels are rounded to 0.1.
            inside = d < area.area_px * math.cos(math.pi / 64) - 0.2
            assert not inside.any(), f"{route.route_id}: {int(inside.sum())} street points inside"
            assert (d < area.area_px * 1.2).any()  # streets do reach the area's edge
            for n in sketch.street_names:
                assert math.hypot(n.x_px - area.x_px, n.y_px - area.y_px) > area.area_px
            checked += 1
    assert checked


# ----------------------------------------------------------------------------- police contact


def test_police_contact_shown_for_mp_stops_even_redacted(demo_plan: PlanResult) -> None:
    geoms = route_geometries(demo_plan)
    seen = 0
    for route in demo_plan.plan.routes:
        mp = [s for s in route.stops if s.kind in MP_KINDS]
        page = briefing_html(demo_plan, route, geoms[route.route_id], redact=True)
        for s in mp:
            assert s.police_contact and f"Police contact: {s.police_contact}" in page
        if not mp:
            assert "Police contact:" not in page
        seen += len(mp)
    assert seen  # the demo visits MP premises
    assert any(s.restricted for s in demo_plan.plan.stops if s.kind in MP_KINDS)


# ----------------------------------------------------------------------------- daily pack


def test_pack_has_every_crew_of_the_day_in_shift_then_unit_order(demo_plan: PlanResult) -> None:
    geoms = route_geometries(demo_plan)
    plan = demo_plan.plan
    days = sorted({r.day for r in plan.routes})
    assert sum(len(pack_routes(demo_plan, d)) for d in days) == len(plan.routes)
    for day in days:
        routes = pack_routes(demo_plan, day)
        keys = [(r.shift_start, r.unit_id) for r in routes]
        assert keys == sorted(keys)
        page = daily_pack_html(demo_plan, day, routes, geoms)
        assert page.count('<section class="crew">') == len(routes) == len(_svgs(page))
        titles = re.findall(r"<h1>Patrol briefing: ([^<]*)</h1>", page)
        assert [t.split(" · ")[0] for t in titles] == [r.unit_id for r in routes]
        assert "@page { size: A4;" in page and "break-after: page" in page
        mark = plan.protective_marking
        # On screen, a pack marks every crew; printed, the page's marking repeats instead.
        crew_marks = page.count(f'<div class="marking crew-mark">{mark}</div>')
        assert crew_marks == (len(routes) if len(routes) > 1 else 0)
        assert f'<div class="marking top">{mark}</div>' in page


def test_one_template_for_page_and_pack(demo_plan: PlanResult) -> None:
    """A single crew's pack is its briefing page but for the page's title."""
    geoms = route_geometries(demo_plan)
    route = demo_plan.plan.routes[0]
    single = briefing_html(demo_plan, route, geoms[route.route_id], redact=True)
    pack = daily_pack_html(demo_plan, route.day, [route], geoms, redact=True)

    def body(page: str) -> str:
        return page[page.index("<body>") :]

    assert body(single) == body(pack)


def test_run_writes_a_pack_per_day(run: RunFolder, demo_plan: PlanResult) -> None:
    days = sorted({r.day for r in demo_plan.plan.routes})
    packs = sorted(f.name for f in run.files if f.parts[0] == "briefings" and f.stem[:2] == "20")
    assert packs == [f"{d.isoformat()}.html" for d in days]
    singles = [f for f in run.files if f.parts[0] == "briefings" and f.name not in packs]
    assert len(singles) == len(demo_plan.plan.routes)
    assert f"wrote {len(singles)} briefings and {len(days)} daily packs in" in run.summary()


# ----------------------------------------------------------------------------- printing


def _need_chromium() -> None:
    if not CHROMIUM.exists():
        msg = f"printing tests need {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


def _print_pages(page: Path, out: Path) -> int:
    """Print ``page`` to an A4 PDF with headless Chromium; its number of pages."""
    profile = out.with_suffix(".profile")
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--print-to-pdf={out}",
            "--no-pdf-header-footer",
            page.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    # Every page is one "/Type /Page" object ("/Type /Pages" is the page tree).
    return len(re.findall(rb"/Type\s*/Page(?!s)", out.read_bytes()))


def test_each_crew_prints_on_one_page_of_its_day_pack(
    run: RunFolder, demo_plan: PlanResult, tmp_path: Path
) -> None:
    _need_chromium()
    for day in sorted({r.day for r in demo_plan.plan.routes}):
        crews = len(pack_routes(demo_plan, day))
        pages = _print_pages(run.path / "briefings" / f"{day}.html", tmp_path / f"{day}.pdf")
        assert pages == crews, f"{day}: {crews} crews printed on {pages} pages"


def test_longest_briefing_prints_on_one_page(
    run: RunFolder, demo_plan: PlanResult, tmp_path: Path
) -> None:
    _need_chromium()
    longest = max(demo_plan.plan.routes, key=lambda r: len(r.stops))
    assert len(longest.stops) >= 15  # a full shift's list, not a trivial page
    page = run.path / "briefings" / f"{route_file_stem(longest.route_id)}.html"
    assert _print_pages(page, tmp_path / "longest.pdf") == 1
