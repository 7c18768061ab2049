"""``summary.md`` and the figures behind it (shared with the map's summary panel).

:func:`summary_figures` computes the plan's figures once: harm covered against total, visits
by kind, and routes, officer-hours and cost per day and per unit. :func:`summary_markdown`
lays them out through ``templates/summary.md.j2`` with the protective marking at top and
bottom; input text is escaped for Markdown (:func:`planner.outputs.text.md_esc`), so a name
like ``[x](javascript:alert(1))`` stays text.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from planner.outputs.templating import render
from planner.outputs.text import day_label, local
from planner.planning.plan import Plan, PlanRoute

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


@dataclass(frozen=True)
class SummaryFigures:
    """The plan's figures, shared by ``summary.md`` and the map's summary panel."""

    headline: list[tuple[str, str]]
    by_kind: list[dict[str, object]]
    by_day: list[dict[str, object]]
    by_unit: list[dict[str, object]]
    reasons: list[tuple[str, int]]


def summary_figures(plan: Plan) -> SummaryFigures:
    """Harm covered against total, visits by kind, hours and cost against the budget."""
    cost_h = plan.budget["cost_per_officer_hour"]
    used_h = plan.budget["used_officer_hours"]
    funded_h = plan.budget["funded_officer_hours"]
    share = plan.prize_covered / plan.prize_total if plan.prize_total else 1.0
    n_visits = len(plan.stops)
    asked = n_visits + len(plan.unserved)
    req_missed = sum(u.required for u in plan.unserved)
    headline = [
        (
            "Harm-weighted demand covered",
            f"{plan.prize_covered:,.1f} of {plan.prize_total:,.1f} ({share:.0%})",
        ),
        ("Visits made", f"{n_visits} of {asked}"),
        ("Required visits missed", f"{req_missed}"),
        ("Routes (unit-shifts)", f"{len(plan.routes)}"),
        ("Officer-hours", f"{used_h:,.1f} of {funded_h:,.1f} funded"),
        (
            "Cost",
            f"£{used_h * cost_h:,.0f} of £{plan.budget['pounds_per_week']:,.0f} budget",
        ),
        ("Time use", plan.time_use_line()),
    ]
    if plan.unpredictability is not None and plan.unpredictability.cost is not None:
        u = plan.unpredictability
        headline.append(
            (
                "Unpredictability",
                f"kept {u.avoid_min:g} min from last week's times at {u.sites_constrained} "
                f"sites, costing {u.cost:,.1f} of harm-weighted demand",
            )
        )

    made = Counter(s.kind for s in plan.stops)
    missed = Counter(u.kind for u in plan.unserved)
    req = Counter(u.kind for u in plan.unserved if u.required)
    harm_made: dict[str, float] = defaultdict(float)
    harm_all: dict[str, float] = defaultdict(float)
    for s in plan.stops:
        harm_made[s.kind] += s.prize
        harm_all[s.kind] += s.prize
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
    reasons = Counter(u.reason.split(":")[0] for u in plan.unserved).most_common()
    return SummaryFigures(headline, by_kind, by_day, by_unit, reasons)


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
    line = f"solver {solver.get('status', '')}"
    if solver.get("stop"):
        line += f", stop {solver['stop']}"
    if solver.get("iterations") is not None:
        line += f", {solver['iterations']} iterations"
    return line + f" in {solver.get('solve_time_s', 0)} s"


def summary_markdown(plan: Plan) -> str:
    """``summary.md``: the plan's figures, with the protective marking at top and bottom."""
    f = summary_figures(plan)
    return render(
        "summary.md.j2",
        plan=plan,
        week_start=f"{local(plan.week_start):%A %d %B %Y}",
        solver_line=_solver_line(plan.solver),
        headline=f.headline,
        by_kind=_md_table(f.by_kind, KIND_COLUMNS),
        by_day=_md_table(f.by_day, DAY_COLUMNS),
        by_unit=_md_table(f.by_unit, UNIT_COLUMNS),
        reasons=f.reasons,
    )
