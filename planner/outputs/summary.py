"""``summary.md`` and the figures behind it (shared with the map's summary panel).

``summary.md`` is written for a commander first. Its headline says in plain words what the plan
covers (visits made of those asked, the harm-weighted share, named windows served, posts held),
what it misses and why (visits not made by reason, naming the required sites and MPs' premises
missed, sites that are not in the plan at all) and the money against the budget. A "Not in the
plan" section then lists every visit not made by reason and every rejected site-file record with
its file and row; the tables by kind, day and unit follow; seeds, the solver's status and time and
the unpredictability figures close it, in the "Technical appendix".

:func:`summary_figures` computes the figures once; :func:`summary_markdown` lays them out through
``templates/summary.md.j2`` with the protective marking at top and bottom. Input text is escaped
for Markdown (:func:`planner.outputs.text.md_esc`), so a name like ``[x](javascript:alert(1))``
stays text. What the plan itself does not record (whether its roads are the built-in synthetic
town's, how many unit-shifts the budget bought) comes in :class:`RunFacts`, from
:func:`run_facts`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from planner.config import MP_KINDS
from planner.demand.dosage import PATROL_WINDOW
from planner.outputs.tables import dosage_rows
from planner.outputs.templating import render
from planner.outputs.text import day_label, local
from planner.planning.plan import Plan, PlanRoute, PlanStop, RejectedSite, UnservedVisit

if TYPE_CHECKING:
    from planner.demand.hotspots import HotspotResult
    from planner.planning.week import PlanResult

#: The by-kind table's row for reassurance patrols (:mod:`planner.demand.patrol`).
PATROL_KIND_ROW = "reassurance_patrol"

#: Columns of summary.md's tables: (figure key, column title).
KIND_COLUMNS = (
    ("kind", "Kind"),
    ("asked", "Visits asked"),
    ("made", "Made"),
    ("missed", "Not made"),
    ("required_missed", "Required not made"),
    ("harm_covered", "Harm covered"),
    ("harm_total", "Harm asked"),
)
DAY_COLUMNS = (
    ("day", "Day"),
    ("routes", "Routes"),
    ("visits", "Visits"),
    ("harm_covered", "Harm covered"),
    ("officer_hours", "Officer-hours"),
    ("cost", "Cost £"),
    ("travel_h", "Travel h"),
)
HOTSPOT_COLUMNS = (
    ("name", "Hot spot"),
    ("harm_share", "Share of harm"),
    ("visits", "Visits"),
    ("minutes_on_site", "Minutes on site"),
    ("dosage_share", "Share of patrol minutes"),
)
UNIT_COLUMNS = (
    ("unit", "Unit"),
    ("mode", "Mode"),
    ("routes", "Shifts"),
    ("visits", "Visits"),
    ("harm_covered", "Harm covered"),
    ("officer_hours", "Officer-hours"),
    ("cost", "Cost £"),
    ("travel_h", "Travel h"),
)


MISSED_COLUMNS = (
    ("visit_id", "Visit"),
    ("site_id", "Site"),
    ("kind", "Kind"),
    ("required", "Required"),
    ("reason", "Reason"),
)
REJECTED_COLUMNS = (
    ("site_id", "Site"),
    ("kind", "Kind"),
    ("source", "File:row"),
    ("required_visits", "Required visits"),
    ("mp_premises", "MP's premises"),
    ("reason", "Reason"),
)
#: Site ids a headline line names at most; "Not in the plan" lists them all.
MAX_NAMED = 10
#: The road credits of the technical appendix.
ROADS_OSM = "© OpenStreetMap contributors (ODbL)"
ROADS_SYNTHETIC = "synthetic roads (built-in demo town)"


@dataclass(frozen=True)
class RunFacts:
    """What ``summary.md`` says that the plan itself does not record.

    Attributes
    ----------
    synthetic_roads
        Whether the roads are the built-in synthetic town's (``None``: not known, no credit).
    bought_unit_shifts
        How many unit-shifts the budget bought (``None``: not known; inferred when every
        bought officer-hour was used).
    hotspots
        ``(site_id, name, share of harm)`` of each hot spot, in rank order: the "Hot spots"
        section (its share of harm against its share of the patrol minutes).
    post_slots
        ``(visit_id, minutes)`` of every post relief slot of the week, so "Posts covered"
        gives the minutes held: slots differ in length (quarter-hours at a shift change).
    no_hotspots
        Why the week has no hot spots (``""`` if it has some, or it is not known): then no
        funded time goes to hot-spot patrol, and the headline says so and why.
    unspent
        Why the money the bought unit-shifts leave bought no more
        (:meth:`~planner.demand.resources.Resources.unspent_reason`; ``""``: none left, or
        not known).
    """

    synthetic_roads: bool | None = None
    bought_unit_shifts: int | None = None
    hotspots: tuple[tuple[str, str, float], ...] = ()
    post_slots: tuple[tuple[str, float], ...] = ()
    no_hotspots: str = ""
    unspent: str = ""


def run_facts(result: PlanResult) -> RunFacts:
    """The :class:`RunFacts` of a plan just made, from its inputs."""
    found = result.inputs.hotspots
    return RunFacts(
        synthetic_roads=result.inputs.config.area.synthetic is not None,
        # Routed plus idle, not the inputs' purchase: a re-plan's inputs buy only the rest of
        # the week, while its plan keeps the routes already under way.
        bought_unit_shifts=len(result.plan.routes) + len(result.plan.idle_shifts),
        hotspots=tuple((h.site_id, h.label, h.share_of_harm) for h in found.hotspots)
        if found is not None
        else (),
        post_slots=tuple(
            (v.visit_id, v.windows[0].duration_s / 60)
            for v in result.inputs.demand.visits
            if v.presence == "post"
        ),
        no_hotspots=_no_hotspots(found),
        unspent=result.inputs.resources.unspent_reason(),
    )


def _no_hotspots(found: HotspotResult | None) -> str:
    """Why the week has no hot spots, or ``""`` if it has some."""
    if found is None:
        return (
            "none: the config names no crime data ([incidents] files), so no funded time goes "
            "to hot-spot patrol; add the area's data.police.uk street-level CSVs"
        )
    if not found.hotspots:
        return (
            "none: the crime data gave no hot spot (demand/crime_rejects.csv gives each record "
            "not placed, and why), so no funded time goes to hot-spot patrol"
        )
    return ""


@dataclass(frozen=True)
class Figure:
    """One headline line: the planner's words, and the input text (site ids, reasons) it names.

    ``value`` is the planner's own text, printed as it is; ``names`` come from input files and
    each output escapes them its own way (``summary.md`` through ``md``, the map's autoescaped
    HTML as they are). ``more`` names were left out of the line.
    """

    label: str
    value: str
    names: tuple[str, ...] = ()
    more: int = 0
    sep: str = ", "
    bracket: bool = False

    @property
    def text(self) -> str:
        """The line as plain text, names unescaped (for autoescaped HTML)."""
        if not self.names:
            return self.value
        names = self.sep.join(self.names) + (f" and {self.more} more" if self.more else "")
        if self.bracket:
            return f"{self.value} ({names})"
        return f"{self.value}: {names}" if self.value else names


@dataclass(frozen=True)
class SummaryFigures:
    """The plan's figures, shared by ``summary.md`` and the map's summary panel.

    ``lines`` is the commander's headline, ``appendix`` the technicalities; ``missed`` the
    required and MPs' premises visits not made, and ``rejected`` the site-file records not in
    the plan (required ones first, then MPs' premises), as table rows.
    """

    lines: list[Figure]
    by_kind: list[dict[str, object]]
    by_day: list[dict[str, object]]
    by_unit: list[dict[str, object]]
    reasons: list[tuple[str, int]]
    appendix: list[Figure]
    missed: list[dict[str, object]]
    rejected: list[dict[str, object]]

    @property
    def headline(self) -> list[tuple[str, str]]:
        """The headline as ``(label, text)`` pairs, names unescaped (the map's panel)."""
        return [(f.label, f.text) for f in self.lines]


def _named(ids: Sequence[str]) -> tuple[tuple[str, ...], int]:
    """Distinct ids in first-seen order, at most :data:`MAX_NAMED`, and how many were left out."""
    unique = tuple(dict.fromkeys(ids))
    return unique[:MAX_NAMED], max(0, len(unique) - MAX_NAMED)


def _count(n: int, noun: str) -> str:
    """``1 visit``, ``3 visits``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _visit_form(u: UnservedVisit) -> str:
    """What kind of visit an unserved one was: ``post``, ``named`` or ``plain``.

    Read from its id (:class:`planner.demand.weekly.VisitRequirement`): ``<site>#post#<slot>``
    for a post's relief slot, ``<site>#<window slug>#<n>`` in a named window, else plain.
    """
    rest = u.visit_id[len(u.site_id) + 1 :] if u.visit_id.startswith(u.site_id + "#") else ""
    parts = rest.split("#")
    if len(parts) != 2:
        return "plain"
    return "post" if parts[0] == "post" else "named"


def _coverage(plan: Plan, facts: RunFacts) -> list[Figure]:
    """Visits made, harm-weighted share, named windows served, posts held, and no hot spots."""
    share = plan.prize_covered / plan.prize_total if plan.prize_total else 1.0
    stops = plan.stops
    out = [
        Figure("Visits made", f"{len(stops):,} of {len(stops) + len(plan.unserved):,} asked"),
        Figure(
            "Harm-weighted demand covered",
            f"{plan.prize_covered:,.1f} of {plan.prize_total:,.1f} ({share:.0%})",
        ),
    ]
    forms = [_visit_form(u) for u in plan.unserved]
    named_made = sum(
        bool(s.window) and s.presence != "post" and s.window != PATROL_WINDOW for s in stops
    )
    named_missed = forms.count("named")
    if named_made + named_missed:
        out.append(
            Figure(
                "Named windows served",
                f"{named_made:,} of {named_made + named_missed:,} visits asked in named "
                "windows (services, events)",
            )
        )
    slots_made = Counter(s.site_id for s in stops if s.presence == "post")
    slots_missed = Counter(
        u.site_id for u, f in zip(plan.unserved, forms, strict=True) if f == "post"
    )
    posts = set(slots_made) | set(slots_missed)
    if posts:
        held = sum(site not in slots_missed for site in posts)
        made, asked = slots_made.total(), slots_made.total() + slots_missed.total()
        made_ids = {s.visit_id for s in stops if s.presence == "post"}
        minutes = (
            f"; {sum(m for v, m in facts.post_slots if v in made_ids):,.0f} of "
            f"{sum(m for _, m in facts.post_slots):,.0f} minutes"
            if facts.post_slots
            else ""
        )
        out.append(
            Figure(
                "Posts covered",
                f"{held} of {len(posts)} posts held through every relief slot "
                f"({made:,} of {asked:,} slots{minutes})",
            )
        )
    if facts.no_hotspots:
        out.append(Figure("Hot spots", facts.no_hotspots))
    patrols = [s for s in stops if s.window == PATROL_WINDOW]
    if patrols:
        out.append(
            Figure(
                "Reassurance patrols",
                f"{len(patrols):,} at {len({s.site_id for s in patrols}):,} tension sites "
                f"({sum(s.dwell_s for s in patrols) / 3600:,.1f} h on site), in paid time the "
                "hot spots could not fill",
            )
        )
    return out


def _misses(plan: Plan, reasons: Sequence[tuple[str, int]]) -> list[Figure]:
    """Visits not made by reason, required visits and MPs' premises missed, sites left out."""
    out = [
        Figure(
            "Visits not made",
            f"{len(plan.unserved):,}" if plan.unserved else "none",
            tuple(f"{reason}: {n:,}" for reason, n in reasons),
            sep="; ",
            bracket=True,
        )
    ]
    rejected_req = sum(r.required_visits for r in plan.rejected)
    value = f"{plan.required_missed:,}" if plan.required_missed else "none"
    if rejected_req:
        value += f" ({rejected_req:,} at sites not in the plan)"
    names, more = _named(
        [u.site_id for u in plan.unserved if u.required]
        + [r.site_id for r in plan.rejected if r.required_visits]
    )
    out.append(Figure("Required visits missed", value, names, more))
    mp_unserved = [u for u in plan.unserved if u.kind in MP_KINDS]
    mp_rejected = [r for r in plan.rejected if r.mp_premises]
    if mp_unserved or mp_rejected:
        names, more = _named([u.site_id for u in mp_unserved] + [r.site_id for r in mp_rejected])
        value = _count(len(mp_unserved), "visit") + " not made"
        if mp_rejected:
            value += f", {len(mp_rejected):,} premises not in the plan"
        out.append(Figure("MPs' premises missed", value, names, more))
    if plan.rejected:
        out.append(
            Figure(
                "Sites not in the plan",
                _count(len(plan.rejected), "site-file record") + " (listed under Not in the plan)",
            )
        )
    return out


def _money(plan: Plan, facts: RunFacts) -> list[Figure]:
    """Money against the budget, bought unit-shifts deployed, officer-hours, time use."""
    cost_h = plan.budget["cost_per_officer_hour"]
    used_h = plan.budget["used_officer_hours"]
    bought_h = plan.budget.get("bought_officer_hours")
    deployed = len(plan.routes)
    bought = facts.bought_unit_shifts
    if bought is None and (bought_h is None or abs(bought_h - used_h) < 1e-6):
        bought = deployed  # every bought officer-hour went to a route
    money = f"£{used_h * cost_h:,.0f} of £{plan.budget['pounds_per_week']:,.0f} spent; "
    if bought is not None:
        money += f"{deployed:,} of {bought:,} bought unit-shifts deployed"
    else:
        money += f"{deployed:,} bought unit-shifts deployed"
    if bought_h is not None and bought_h - used_h >= 1e-6:
        money += f" ({bought_h - used_h:,.1f} bought officer-hours had no work, not spent)"
    unbought = plan.budget["pounds_per_week"] - (bought_h or used_h) * cost_h
    overtime = [r for r in plan.routes if r.overtime_s]
    if overtime:
        over_h = sum(r.overtime_officer_hours for r in overtime)
        money += (
            f"; {over_h:,.1f} officer-hours (£{over_h * cost_h:,.0f}) of it overtime past the "
            f"end of {_count(len(overtime), 'unit-shift')} (a post held until relieved, or a "
            "required visit finished)"
        )
    if facts.unspent and unbought >= 1.0:
        money += f"; £{unbought:,.0f} not used to buy unit-shifts: {facts.unspent}"
    return [
        Figure("Money", money),
        Figure(
            "Officer-hours", f"{used_h:,.1f} of {plan.budget['funded_officer_hours']:,.1f} funded"
        ),
        Figure("Time use", plan.time_use_line()),
    ]


def _appendix(plan: Plan, facts: RunFacts) -> list[Figure]:
    """Seed, solver, unpredictability and the roads' credit."""
    out = [Figure("Seed", f"{plan.seed}"), Figure("Solver", _solver_line(plan.solver))]
    u = plan.unpredictability
    if u is not None and u.cost is not None:
        source = f"{u.previous_week}'s" if u.warning and u.previous_week else "last week's"
        out.append(
            Figure(
                "Unpredictability",
                f"kept {u.avoid_min:g} min from {source} times at {u.sites_constrained} "
                f"sites, costing {u.cost:,.1f} of harm-weighted demand",
            )
        )
        if u.warning:
            # The warning names the previous plan's file: input text.
            out.append(Figure("Unpredictability warning", "", (u.warning,)))
    if facts.synthetic_roads is not None:
        roads = ROADS_SYNTHETIC if facts.synthetic_roads else ROADS_OSM
        out.append(Figure("Roads", roads))
    return out


def _missed_rows(plan: Plan) -> list[dict[str, object]]:
    """Required and MPs' premises visits not made, required first."""
    rows = [u for u in plan.unserved if u.required or u.kind in MP_KINDS]
    return [
        {
            "visit_id": u.visit_id,
            "site_id": u.site_id,
            "kind": u.kind,
            "required": "yes" if u.required else "no",
            "reason": u.reason,
        }
        for u in sorted(rows, key=lambda u: not u.required)
    ]


def _rejected_rows(rejected: Sequence[RejectedSite]) -> list[dict[str, object]]:
    """Every rejected record: required ones first, then MPs' premises, then in file order."""
    ordered = sorted(rejected, key=lambda r: (r.required_visits == 0, not r.mp_premises))
    return [
        {
            "site_id": r.site_id,
            "kind": r.kind or "unknown",
            "source": r.source,
            "required_visits": r.required_visits,
            "mp_premises": "yes" if r.mp_premises else "no",
            "reason": r.reason,
        }
        for r in ordered
    ]


def _kind_row(stop: PlanStop) -> str:
    """A stop's row in the by-kind table: reassurance patrols have their own, not their site's."""
    return PATROL_KIND_ROW if stop.window == PATROL_WINDOW else stop.kind


def summary_figures(plan: Plan, facts: RunFacts | None = None) -> SummaryFigures:
    """The commander's headline, the tables by kind, day and unit, and the appendix."""
    facts = facts or RunFacts()
    cost_h = plan.budget["cost_per_officer_hour"]
    reasons = Counter(u.reason.split(":")[0] for u in plan.unserved).most_common()
    lines = [*_coverage(plan, facts), *_misses(plan, reasons), *_money(plan, facts)]

    made = Counter(_kind_row(s) for s in plan.stops)
    missed = Counter(u.kind for u in plan.unserved)
    req = Counter(u.kind for u in plan.unserved if u.required)
    harm_made: dict[str, float] = defaultdict(float)
    harm_all: dict[str, float] = defaultdict(float)
    for s in plan.stops:
        harm_made[_kind_row(s)] += s.prize
        harm_all[_kind_row(s)] += s.prize
    for miss in plan.unserved:
        harm_all[miss.kind] += miss.prize
    by_kind = [
        {
            "kind": k,
            "asked": made[k] + missed[k],
            "made": made[k],
            "missed": missed[k],
            "required_missed": req[k],
            "harm_covered": round(harm_made[k], 1),
            "harm_total": round(harm_all[k], 1),
        }
        for k in sorted(set(made) | set(missed))
    ]

    days: dict[dt.date, list[PlanRoute]] = defaultdict(list)
    units: dict[str, list[PlanRoute]] = defaultdict(list)
    for r in plan.routes:
        days[r.day].append(r)
        units[r.unit_id].append(r)

    def block(routes: Sequence[PlanRoute]) -> dict[str, object]:
        hours = sum(r.paid_officer_hours for r in routes)
        return {
            "routes": len(routes),
            "visits": sum(len(r.stops) for r in routes),
            "harm_covered": round(sum(s.prize for r in routes for s in r.stops), 1),
            "officer_hours": round(hours, 1),
            "cost": round(hours * cost_h),
            "travel_h": round(sum(r.travel_s for r in routes) / 3600, 1),
        }

    by_day = [{"day": day_label(d), "date": d.isoformat(), **block(days[d])} for d in sorted(days)]
    by_unit = [{"unit": u, "mode": units[u][0].mode, **block(units[u])} for u in sorted(units)]
    return SummaryFigures(
        lines=lines,
        by_kind=by_kind,
        by_day=by_day,
        by_unit=by_unit,
        reasons=reasons,
        appendix=_appendix(plan, facts),
        missed=_missed_rows(plan),
        rejected=_rejected_rows(plan.rejected),
    )


#: Hot spots listed in summary.md (the most harmful first); hotspot_dosage.csv has them all.
SUMMARY_HOTSPOTS = 20


def _hotspot_rows(plan: Plan, facts: RunFacts) -> list[dict[str, object]]:
    """The "Hot spots" table: :func:`dosage_rows` with shares as percentages."""
    rows = dosage_rows(plan, facts.hotspots[:SUMMARY_HOTSPOTS])
    for row in rows:
        for key in ("harm_share", "dosage_share"):
            row[key] = f"{float(str(row[key])):.0%}"
    return rows


def _md_table(
    rows: Sequence[Mapping[str, object]], columns: Sequence[tuple[str, str]]
) -> tuple[list[str], list[list[object]]]:
    """Column titles and cell values for the template's ``table`` macro.

    Numbers stay numbers (the template prints them with thousands commas); text is escaped by
    the template.
    """
    cells = [[row[key] for key, _ in columns] for row in rows]
    return [title for _, title in columns], cells


def _solver_line(solver: dict[str, Any]) -> str:
    """How the search ended, in one sentence (an iteration stop has no time limit)."""
    line = f"status {solver.get('status', '')}"
    if solver.get("stop"):
        line += f", stop {solver['stop']}"
    if solver.get("iterations") is not None:
        line += f", {solver['iterations']} iterations"
    return line + f" in {solver.get('solve_time_s', 0)} s"


def summary_markdown(plan: Plan, facts: RunFacts | None = None) -> str:
    """``summary.md``: the plan's figures, with the protective marking at top and bottom.

    ``facts`` (:func:`run_facts`) adds what the plan does not record: the roads' credit and
    the number of unit-shifts bought.
    """
    f = summary_figures(plan, facts)
    return render(
        "summary.md.j2",
        plan=plan,
        week_start=f"{local(plan.week_start):%A %d %B %Y}",
        headline=f.lines,
        appendix=f.appendix,
        by_kind=_md_table(f.by_kind, KIND_COLUMNS),
        by_day=_md_table(f.by_day, DAY_COLUMNS),
        by_unit=_md_table(f.by_unit, UNIT_COLUMNS),
        reasons=f.reasons,
        missed=_md_table(f.missed, MISSED_COLUMNS) if f.missed else None,
        rejected=_md_table(f.rejected, REJECTED_COLUMNS) if f.rejected else None,
        idle=[
            (
                i.unit_id,
                i.shift,
                f"{local(i.shift_start):%a %d %b %H:%M}",
                i.reason or "not recorded",
            )
            for i in plan.idle_shifts
        ],
        hotspots=_md_table(_hotspot_rows(plan, facts), HOTSPOT_COLUMNS)
        if facts is not None and facts.hotspots
        else None,
    )
