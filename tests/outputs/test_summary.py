"""summary.md for commanders: the headline in plain words, what is not in the plan, the appendix.

The demo plan (``demo_plan``, shared with the other output tests) has named windows, a post,
MPs' premises and a visit to an MP's office it cannot make; rejected sites are added by hand.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from markdown_it import MarkdownIt

from planner.config import load_config
from planner.outputs.summary import (
    ROADS_OSM,
    ROADS_SYNTHETIC,
    RunFacts,
    run_facts,
    summary_figures,
    summary_markdown,
)
from planner.planning.plan import Plan, RejectedSite
from planner.planning.week import PlanResult, make_plan
from planner.routing.solver import MaxIterations

REPO = Path(__file__).resolve().parents[2]

LINK = "[x](javascript:alert(1))"


def _sections(text: str) -> list[str]:
    """The ``## `` section titles, in order."""
    return re.findall(r"^## (.+)$", text, flags=re.M)


def _headline(text: str) -> str:
    return text.split("## Headline", 1)[1].split("\n## ", 1)[0]


def _rejected(plan: Plan, *, hostile: bool = False) -> Plan:
    """The plan with four rejected site-file records: plain, MP's premises, required, both."""
    name = (lambda s: f"{LINK} <b>{s}</b> | *{s}*") if hostile else (lambda s: s)
    rejected = (
        RejectedSite(
            "sites.csv:4", name("PLAIN-1"), "hotspot", "demand", name("no visit"), 0, False
        ),
        RejectedSite("sites.csv:7", name("MP-9"), "mp_office", "snap", name("no road"), 0, True),
        RejectedSite("extra.csv:2", name("REQ-3"), "", "site", name("no lon/lat"), 2, False),
        RejectedSite("sites.csv:9", name("MPREQ-5"), "mp_home", "site", name("outside"), 1, True),
    )
    return dataclasses.replace(plan, rejected=rejected)


def test_headline_is_for_commanders(demo_plan: PlanResult) -> None:
    """Coverage, misses and money first, in plain words; seed and solver only in the appendix."""
    plan = demo_plan.plan
    text = summary_markdown(plan, run_facts(demo_plan))
    assert _sections(text)[0] == "Headline" and _sections(text)[1] == "Not in the plan"
    assert _sections(text)[-1] == "Technical appendix"
    head = _headline(text)
    asked = len(plan.stops) + len(plan.unserved)
    assert f"**Visits made**: {len(plan.stops)} of {asked} asked" in head
    assert f"{plan.prize_covered:,.1f} of {plan.prize_total:,.1f}" in head
    named = [s for s in plan.stops if s.window and s.presence != "post"]
    assert named and f"**Named windows served**: {len(named)} of " in head
    posts = [s for s in plan.stops if s.presence == "post"]
    held_min = sum(s.dwell_s for s in posts) / 60
    assert posts and f"({len(posts)} of {len(posts)} slots; {held_min:,.0f} of " in head
    spent = plan.budget["used_officer_hours"] * plan.budget["cost_per_officer_hour"]
    bought = len(demo_plan.inputs.resources.selected)
    assert (
        f"**Money**: £{spent:,.0f} of £{plan.budget['pounds_per_week']:,.0f} spent; "
        f"{len(plan.routes)} of {bought} bought unit-shifts deployed"
    ) in head
    # Every reason a visit was not made is counted in the headline.
    for reason in {u.reason.split(":")[0] for u in plan.unserved}:
        assert reason in head
    mp_missed = {u.site_id for u in plan.unserved if u.kind.startswith("mp_")}
    for site in mp_missed:
        assert site in head.split("MPs' premises missed", 1)[1].splitlines()[0]
    # The technicalities are out of the headline and in the appendix.
    before = text.split("## Technical appendix", 1)[0]
    assert f"{plan.seed}" not in before and "iterations" not in before
    appendix = text.split("## Technical appendix", 1)[1]
    assert f"**Seed**: {plan.seed}" in appendix and "iterations" in appendix


def test_synthetic_roads_are_credited_as_synthetic(
    demo_plan: PlanResult, rutland_plan: PlanResult
) -> None:
    """The demo town's roads are not OpenStreetMap's; Rutland's are."""
    demo = summary_markdown(demo_plan.plan, run_facts(demo_plan))
    assert f"**Roads**: {ROADS_SYNTHETIC}" in demo and "OpenStreetMap" not in demo
    rutland = summary_markdown(rutland_plan.plan, run_facts(rutland_plan))
    assert f"**Roads**: {ROADS_OSM}" in rutland
    # Without the run's facts the source is not known, so nothing is credited.
    assert "**Roads**" not in summary_markdown(demo_plan.plan)


def test_rejected_sites_are_listed_required_and_mp_first(demo_plan: PlanResult) -> None:
    """Every rejected record with its file and row; required, then MPs' premises, first."""
    plan = _rejected(demo_plan.plan)
    text = summary_markdown(plan)
    section = text.split("### Sites not in the plan", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    assert [r.split(" | ")[0] for r in rows[1:]] == ["| MPREQ-5", "| REQ-3", "| MP-9", "| PLAIN-1"]
    assert "| REQ-3 | unknown | extra.csv:2 | 2 | no | no lon/lat |" in section
    head = _headline(text)
    assert plan.required_missed == sum(u.required for u in plan.unserved) + 3
    line = next(x for x in head.splitlines() if "Required visits missed" in x)
    assert f"**: {plan.required_missed} (3 at sites not in the plan): REQ-3, MPREQ-5" in line
    mp_line = next(x for x in head.splitlines() if "MPs' premises missed" in x)
    assert "2 premises not in the plan" in mp_line and "MP-9" in mp_line
    assert "MPREQ-5" in mp_line
    assert "**Sites not in the plan**: 4 site-file records" in head


def test_many_missed_sites_are_cut_in_the_headline(demo_plan: PlanResult) -> None:
    """The headline names ten sites and counts the rest; the section lists them all."""
    rejected = tuple(
        RejectedSite(f"sites.csv:{i}", f"R-{i}", "hotspot", "site", "no lon/lat", 1, False)
        for i in range(2, 16)
    )
    text = summary_markdown(dataclasses.replace(demo_plan.plan, rejected=rejected))
    line = next(x for x in _headline(text).splitlines() if "Required visits missed" in x)
    assert "R-11" in line and "R-12" not in line and "and 4 more" in line
    assert all(f"| R-{i} |" in text for i in range(2, 16))


def test_rejected_input_text_is_escaped(demo_plan: PlanResult) -> None:
    """Site ids, reasons and files from a site file make no link, HTML or table column."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    hostile = summary_markdown(_rejected(demo_plan.plan, hostile=True))
    plain = summary_markdown(_rejected(demo_plan.plan))
    kinds = [t.type for t in md.parse(hostile)]
    assert kinds == [t.type for t in md.parse(plain)]
    rendered = md.render(hostile)
    assert "href" not in rendered and "<b>" not in rendered and "javascript:" in rendered


def test_map_panel_headline_is_plain_text(demo_plan: PlanResult) -> None:
    """The map's panel gets the headline's text unescaped (its HTML escapes it)."""
    plan = _rejected(demo_plan.plan, hostile=True)
    pairs = dict(summary_figures(plan).headline)
    assert f"{LINK} <b>REQ-3</b>" in pairs["Required visits missed"]
    assert "Seed" not in pairs and "Solver" not in pairs


def test_money_without_the_bought_count(demo_plan: PlanResult) -> None:
    """Unknown bought count: inferred when every bought hour was used, else hours left said."""
    plan = demo_plan.plan
    used = plan.budget["used_officer_hours"]
    full = dict(summary_figures(plan).headline)["Money"]
    assert f"{len(plan.routes)} of {len(plan.routes)} bought unit-shifts deployed" in full
    idle = dataclasses.replace(plan, budget={**plan.budget, "bought_officer_hours": used + 8})
    money = dict(summary_figures(idle).headline)["Money"]
    assert f"{len(plan.routes)} bought unit-shifts deployed" in money
    assert "8.0 bought officer-hours had no work" in money
    exact = dict(summary_figures(idle, RunFacts(bought_unit_shifts=17)).headline)["Money"]
    assert f"{len(plan.routes)} of 17 bought unit-shifts deployed" in exact


def test_a_plan_missing_nothing_says_so(demo_plan: PlanResult) -> None:
    """No visit missed and no site rejected: one sentence, and no missed counts."""
    plan = dataclasses.replace(demo_plan.plan, unserved=(), rejected=())
    text = summary_markdown(plan)
    assert "Every visit asked for is in the plan" in text
    assert "**Visits not made**: none" in text and "**Required visits missed**: none" in text


def test_posts_covered_counts_minutes_not_just_slots(demo_plan: PlanResult) -> None:
    """Slots differ in length (quarter-hours at a shift change), so the headline gives minutes.

    Dropping the demo's first post slot from the plan takes exactly its minutes off the held
    figure; without run facts (a summary re-read from plan.json) only slots are counted.
    """
    plan = demo_plan.plan
    facts = run_facts(demo_plan)
    slots = dict(facts.post_slots)
    total = sum(slots.values())
    first = min(slots)
    routes = tuple(
        dataclasses.replace(r, stops=tuple(s for s in r.stops if s.visit_id != first))
        for r in plan.routes
    )
    fewer = dataclasses.replace(plan, routes=routes)
    head = _headline(summary_markdown(fewer, facts))
    assert f"; {total - slots[first]:,.0f} of {total:,.0f} minutes)" in head
    assert "slots; " not in _headline(summary_markdown(plan))


def test_an_area_without_crime_data_says_it_has_no_hot_spots(
    demo_plan: PlanResult, tmp_path: Path
) -> None:
    """With no crime data the headline says there are no hot spots, why, and what to add.

    The money line says why the money left (£392 less any post overtime paid from it) bought
    no further unit-shift.

    Westminster's example names no crime data; the demo, with hot spots, has no such line.
    """
    config = load_config(REPO / "data" / "westminster" / "force.toml")
    result = make_plan(config, cache_dir=tmp_path, stop=MaxIterations(20))
    head = _headline(summary_markdown(result.plan, run_facts(result)))
    assert "**Hot spots**: none: the config names no crime data ([incidents] files)" in head
    assert "data.police.uk street-level CSVs" in head
    # £5,000 buys 6 unit-shifts of £768 (two officers, 8 hours, £48 an hour): £392 is left,
    # less the overtime of a unit holding the Saturday post past its shift's end.
    overtime = sum(r.overtime_officer_hours for r in result.plan.routes) * 48.0
    assert overtime < 392.0
    left = f"£{392.0 - overtime:,.0f} not used to buy unit-shifts: it buys no further unit-shift"
    assert left in head
    assert "**Hot spots**" not in _headline(summary_markdown(demo_plan.plan, run_facts(demo_plan)))
