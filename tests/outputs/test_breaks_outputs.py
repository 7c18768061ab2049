"""The break, time accounting and posts in what people read: briefings, tables, map."""

from __future__ import annotations

import itertools

import folium
import shapely

from planner.outputs.briefings import briefing_html
from planner.outputs.geometry import route_geometries
from planner.outputs.map_layers import add_routes
from planner.outputs.summary import run_facts, summary_markdown
from planner.outputs.tables import (
    DOSAGE_COLUMNS,
    POST_COLUMNS,
    SCHEDULE_COLUMNS,
    TIME_USE_COLUMNS,
    dosage_rows,
    post_rows,
    schedule_rows,
    time_use_rows,
)
from planner.outputs.text import hm
from planner.planning.week import PlanResult


def _route_with_break(demo_plan: PlanResult):  # type: ignore[no-untyped-def]
    return next(r for r in demo_plan.plan.routes if r.break_start is not None and r.stops)


def test_briefing_shows_break_and_leave_times(demo_plan: PlanResult) -> None:
    route = _route_with_break(demo_plan)
    assert route.break_start is not None and route.break_end is not None
    page = briefing_html(demo_plan, route, route_geometries(demo_plan)[route.route_id])
    span = f"{hm(route.break_start)}–{hm(route.break_end)}"
    assert "Refreshment break at " in page and span in page
    assert "<th>Leave</th>" in page
    # The break row sits between the last stop before it and the first after it.
    before = [s for s in route.stops if s.start < route.break_start]
    if before:
        assert page.rindex(span) > page.index(f"{hm(before[-1].start)}–")
    # A stop's "Leave" is when to set off, travel before its service start.
    first = route.stops[0]
    assert f'<td class="n">{hm(route.leave)}</td>' in page
    assert hm(first.start) in page


def test_time_use_table(demo_plan: PlanResult) -> None:
    rows = time_use_rows(demo_plan.plan)
    assert len(rows) == len(demo_plan.plan.routes)
    for row, route in zip(rows, demo_plan.plan.routes, strict=True):
        assert tuple(row) == TIME_USE_COLUMNS
        parts = sum(float(row[k]) for k in ("on_site_min", "travel_min", "break_min", "idle_min"))
        assert abs(parts - float(row["paid_min"])) < 0.3
        idle_share = float(row["idle_min"]) / (float(row["paid_min"]) - float(row["break_min"]))
        assert (
            bool(row["idle_reason"]) == (idle_share > 0.15 + 1e-3) or abs(idle_share - 0.15) < 1e-3
        )
        assert (row["break_start"] != "") == (route.break_start is not None)
    assert "Time use" in summary_markdown(demo_plan.plan)


def test_map_route_tooltip_lists_break(demo_plan: PlanResult) -> None:
    route = _route_with_break(demo_plan)
    assert route.break_start is not None and route.break_end is not None
    m = folium.Map()
    geoms = route_geometries(demo_plan)
    colours = {r.unit_id: "#123456" for r in demo_plan.plan.routes}
    add_routes(demo_plan.plan, m, geoms, shapely.GeometryCollection(), colours, redact=False)
    html = m.get_root().render().replace("\\u2013", "–")
    assert f"break {hm(route.break_start)}–{hm(route.break_end)} at station" in html


def test_briefing_says_drive_past_and_post(demo_plan: PlanResult) -> None:
    """A drive-past stop tells the crew not to stop; a post slot says until when to stay."""
    geometries = route_geometries(demo_plan)
    seen = set()
    for route in demo_plan.plan.routes:
        presences = {s.presence for s in route.stops} & {"drive_past", "post"}
        if not presences:
            continue
        page = briefing_html(demo_plan, route, geometries[route.route_id])
        if "drive_past" in presences:
            assert "Drive past only: do not stop outside." in page
        for s in route.stops:
            if s.presence == "post":
                assert f"stay on site, visible, until {hm(s.departure)}" in page
        seen |= presences
    assert seen == {"drive_past", "post"}  # the demo has both


def test_posts_table_accounts_for_every_slot(demo_plan: PlanResult) -> None:
    """posts.csv has one row per post slot: held by its unit, or uncovered with its reason.

    The reason is unserved.csv's; slots tile each post's window without a gap.
    """
    plan = demo_plan.plan
    rows = post_rows(plan, demo_plan.model.requirements)
    slots = [r for r in demo_plan.model.requirements if r.presence == "post"]
    assert rows and len(rows) == len(slots)
    held = {
        (s.site_id, hm(s.start)): r.unit_id
        for r in plan.routes
        for s in r.stops
        if s.presence == "post"
    }
    why = {u.site_id: u.reason for u in plan.unserved if "#post#" in u.visit_id}
    for row in rows:
        assert tuple(row) == POST_COLUMNS
        if row["status"] == "held":
            assert held[(row["site_id"], row["start"])] == row["unit"]
        else:
            assert row["status"] == "uncovered" and row["reason"] == why[row["site_id"]]
    by_site: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        by_site.setdefault(str(row["site_id"]), []).append(row)
    for site_rows in by_site.values():
        for a, b in itertools.pairwise(site_rows):
            if a["date"] == b["date"] and a["window"] == b["window"]:
                assert a["end"] == b["start"]  # relieved, not left


def test_schedule_names_sites_as_briefings_do(demo_plan: PlanResult) -> None:
    """schedule.csv names each visit's site (a hot spot "On or near ..."), presence and window."""
    rows = schedule_rows(demo_plan.plan)
    assert tuple(rows[0]) == SCHEDULE_COLUMNS
    hot = [r for r in rows if r["kind"] == "hotspot"]
    assert hot and all(str(r["name"]).startswith("On or near ") for r in hot)
    assert {r["presence"] for r in rows} >= {"visit", "drive_past"}
    redacted = schedule_rows(demo_plan.plan, redact=True)
    assert all(r["name"] == "Restricted site" for r in redacted if r["restricted"])


def test_hotspot_dosage_table_and_summary_section(demo_plan: PlanResult) -> None:
    """Hot spots' visits add up to the plan's and their shares to 1; summary.md lists them.

    summary.md's Hot spots section names them as briefings do ("On or near ...").
    """
    facts = run_facts(demo_plan)
    assert facts.hotspots
    rows = dosage_rows(demo_plan.plan, facts.hotspots)
    assert [r["site_id"] for r in rows] == [h[0] for h in facts.hotspots]
    hot_stops = [s for s in demo_plan.plan.stops if s.kind == "hotspot"]
    assert sum(int(str(r["visits"])) for r in rows) == len(hot_stops)
    assert abs(sum(float(str(r["dosage_share"])) for r in rows) - 1.0) < 0.01
    assert all(tuple(r) == DOSAGE_COLUMNS for r in rows)
    md = summary_markdown(demo_plan.plan, facts)
    section = md.split("## Hot spots", 1)[1].split("\n## ", 1)[0]
    assert "On or near" in section and section.count("\n|") >= len(rows) + 1
