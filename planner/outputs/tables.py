"""The run folder's CSV tables: ``schedule.csv``, ``unserved.csv`` and ``time_use.csv``.

``schedule.csv`` has one row per visit, ``time_use.csv`` one per unit-shift (where its paid
time goes).

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
TIME_USE_COLUMNS = (
    "route_id",
    "unit",
    "date",
    "shift",
    "paid_min",
    "on_site_min",
    "travel_min",
    "break_min",
    "idle_min",
    "utilisation",
    "break_start",
    "break_end",
    "idle_reason",
)


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


def time_use_rows(plan: Plan) -> list[dict[str, object]]:
    """``time_use.csv`` rows: one per unit-shift, its :meth:`~PlanRoute.time_budget` in minutes.

    ``paid = on_site + travel + break + idle``; ``utilisation`` is (on site + travel) / (paid -
    break); ``idle_reason`` is set when idle is over 15% of paid minus break.
    """
    rows: list[dict[str, object]] = []
    for r in plan.routes:
        t = r.time_budget()
        rows.append(
            {
                "route_id": r.route_id,
                "unit": r.unit_id,
                "date": r.day.isoformat(),
                "shift": r.shift,
                "paid_min": f"{t.paid_s / 60:.1f}",
                "on_site_min": f"{t.on_site_s / 60:.1f}",
                "travel_min": f"{t.travel_s / 60:.1f}",
                "break_min": f"{t.break_s / 60:.1f}",
                "idle_min": f"{t.idle_s / 60:.1f}",
                "utilisation": f"{t.utilisation:.3f}",
                "break_start": hm(r.break_start) if r.break_start is not None else "",
                "break_end": hm(r.break_end) if r.break_end is not None else "",
                "idle_reason": t.idle_reason,
            }
        )
    return rows
