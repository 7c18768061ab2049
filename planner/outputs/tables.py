"""The run folder's CSV tables: ``schedule.csv`` (one row per visit) and ``unserved.csv``.

Times are Europe/London wall-clock times, as a crew reads them; the rows are plain dicts for
:func:`planner.common.write_csv` with the column orders below.
"""

from __future__ import annotations

from planner.outputs.text import hm, local
from planner.planning.plan import Plan

SCHEDULE_COLUMNS = (
    "date",
    "day",
    "shift",
    "unit",
    "route_id",
    "order",
    "site_id",
    "kind",
    "risk",
    "restricted",
    "arrival",
    "start",
    "departure",
    "dwell_min",
    "travel_min",
)
UNSERVED_COLUMNS = ("visit_id", "site_id", "kind", "required", "prize", "reason")


def schedule_rows(plan: Plan) -> list[dict[str, object]]:
    """``schedule.csv`` rows: one per visit, in route order, times in Europe/London."""
    rows: list[dict[str, object]] = []
    for r in plan.routes:
        for s in r.stops:
            arrival = local(s.arrival)
            rows.append(
                {
                    "date": arrival.date().isoformat(),
                    "day": f"{arrival:%a}",
                    "shift": r.shift,
                    "unit": r.unit_id,
                    "route_id": r.route_id,
                    "order": s.order,
                    "site_id": s.site_id,
                    "kind": s.kind,
                    "risk": s.risk,
                    "restricted": s.restricted,
                    "arrival": hm(s.arrival),
                    "start": hm(s.start),
                    "departure": hm(s.departure),
                    "dwell_min": f"{s.dwell_s / 60:.0f}",
                    "travel_min": f"{s.travel_s / 60:.1f}",
                }
            )
    return rows


def unserved_rows(plan: Plan) -> list[dict[str, object]]:
    """``unserved.csv`` rows: every requirement the plan does not meet, with the reason."""
    return [
        {
            "visit_id": u.visit_id,
            "site_id": u.site_id,
            "kind": u.kind,
            "required": u.required,
            "prize": f"{u.prize:.3f}",
            "reason": u.reason,
        }
        for u in plan.unserved
    ]
