"""Data the commander's map's script reads as JSON: the All view's site markers, day figures.

In the All view a busy site would get one numbered stop per visit of the week, piled on top of
each other; :func:`site_visits` gives the page one marker per visited site instead, with the
number of visits and a popup listing them (each visit's row tagged with its route, so the page
counts only the routes whose unit is ticked). :func:`day_figures` computes the summary panel's
figures per day, and for the week, so the panel follows the Day buttons. All HTML here comes
from the autoescaped macros of :mod:`.map_elements`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from planner.outputs.geometry import redaction_area
from planner.outputs.map_elements import site_visits_head_html, visit_row_html
from planner.outputs.map_layers import latlon
from planner.outputs.text import day_label
from planner.planning.plan import Plan, PlanRoute, PlanStop


def site_visits(plan: Plan, redact: bool) -> list[dict[str, Any]]:
    """One entry per visited site: ``{"ll", "head", "rows": [[route index, row html], ...]}``.

    A restricted site, redacted, sits at the centre of its approximate area and is named only
    as a restricted site (as its stops are).
    """
    by_site: dict[str, list[tuple[int, PlanRoute, PlanStop]]] = defaultdict(list)
    for i, r in enumerate(plan.routes):
        for s in r.stops:
            by_site[s.site_id].append((i, r, s))
    out = []
    for visits in by_site.values():
        visits.sort(key=lambda v: v[2].start)
        first = visits[0][2]
        redacted = first.restricted and redact
        x, y = redaction_area(first.x_m, first.y_m)[:2] if redacted else (first.x_m, first.y_m)
        out.append(
            {
                "ll": latlon(x, y),
                "head": site_visits_head_html(first, redacted),
                "rows": [[i, visit_row_html(r, s)] for i, r, s in visits],
            }
        )
    return out


def _figures(title: str, routes: Sequence[PlanRoute], harm: str | None = None) -> dict[str, str]:
    hours = sum(r.paid_officer_hours for r in routes)
    covered = sum(s.prize for r in routes for s in r.stops)
    return {
        "title": title,
        "routes": f"{len(routes)}",
        "visits": f"{sum(len(r.stops) for r in routes)}",
        "hours": f"{hours:,.1f}",
        "harm": harm if harm is not None else f"{covered:,.1f}",
    }


def day_figures(plan: Plan) -> dict[str, dict[str, str]]:
    """The summary panel's figures (routes, visits, officer-hours, harm covered) per day key.

    ``"all"`` holds the week's, with the harm covered against the week's total.
    """
    days: dict[str, list[PlanRoute]] = defaultdict(list)
    for r in plan.routes:
        days[r.day.isoformat()].append(r)
    share = plan.prize_covered / plan.prize_total if plan.prize_total else 1.0
    out = {
        "all": _figures(
            f"Week {plan.week}",
            plan.routes,
            f"{plan.prize_covered:,.1f} of {plan.prize_total:,.1f} ({share:.0%})",
        )
    }
    for key in sorted(days):
        out[key] = _figures(day_label(days[key][0].day), days[key])
    return out
