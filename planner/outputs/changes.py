"""What ``planner replan`` changed: ``changes.csv`` and the "Changes" section of summary.md.

``changes.csv`` has one row per visit of either plan (:class:`~planner.planning.replan.Change`):
``change`` (kept / moved / removed / added), the site and visit, the unit, route and start
before and after (Europe/London local time; empty where there is none), and the reason.
Restricted sites' names are left out when the run is redacted, as in every other table.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from planner.common import csv_text
from planner.outputs.text import local, md_esc
from planner.planning.plan import Plan
from planner.planning.replan import ReplanResult
from planner.planning.replan_changes import CHANGE_KINDS, UNCHANGED_MIN, Change

CHANGE_COLUMNS = (
    "change",
    "site_id",
    "name",
    "visit_id",
    "old_unit",
    "old_route",
    "old_start",
    "new_unit",
    "new_route",
    "new_start",
    "reason",
)


def changes_csv(changes: Sequence[Change], plan: Plan, *, redact: bool = False) -> str:
    """``changes.csv`` as text (cells that a spreadsheet would run as formulas made safe)."""
    restricted = {s.site_id for s in plan.stops if s.restricted}

    def when(t: dt.datetime | None) -> str:
        return "" if t is None else local(t).isoformat(timespec="seconds")

    rows = [
        {
            "change": c.change,
            "site_id": c.site_id,
            "name": "Restricted site" if redact and c.site_id in restricted else c.name,
            "visit_id": c.visit_id,
            "old_unit": c.old_unit,
            "old_route": c.old_route,
            "old_start": when(c.old_start),
            "new_unit": c.new_unit,
            "new_route": c.new_route,
            "new_start": when(c.new_start),
            "reason": c.reason,
        }
        for c in changes
    ]
    return csv_text(rows, CHANGE_COLUMNS)


def changes_markdown(result: ReplanResult) -> str:
    """The "Changes" section: the link to the earlier plan, the cut-off and the counts."""
    plan = result.plan
    rp = plan.replan
    counts = Counter(c.change for c in result.changes)
    lines = ["## Changes", ""]
    if rp is not None:
        lines.append(
            f"Re-planned from **{local(rp.cutoff):%A %d %B %Y %H:%M}** (Europe/London); the "
            f"earlier plan: {md_esc(rp.previous_plan)}."
        )
        lines.append("")
        lines.append(
            f"- Routes kept whole (their shift had started, crews out and briefed): "
            f"{rp.kept_routes}"
        )
        lines.append(f"- Visits kept by locks: {rp.locked_visits}")
        if rp.unchanged_share is not None:
            lines.append(
                f"- Visits on re-planned unit-shifts unchanged (same unit and site, starting "
                f"within {UNCHANGED_MIN:g} min): {rp.unchanged_share:.0%}"
            )
    lines.append("")
    lines.append("| change | visits |")
    lines.append("|---|---:|")
    lines.extend(f"| {kind} | {counts.get(kind, 0)} |" for kind in CHANGE_KINDS)
    reasons = Counter(
        (c.change, c.reason.split(":")[0]) for c in result.changes if c.change != "kept"
    )
    if reasons:
        lines += ["", "| change | reason | visits |", "|---|---|---:|"]
        lines.extend(
            f"| {kind} | {md_esc(why)} | {n} |"
            for (kind, why), n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        )
    lines += ["", "Every visit, before and after, is in `changes.csv`."]
    return "\n".join(lines) + "\n"
