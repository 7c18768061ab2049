"""The run folder's CSV tables: ``schedule.csv``, ``unserved.csv``, ``time_use.csv``, ``posts.csv``.

``schedule.csv`` has one row per visit (named as briefings and the map name it: a hot spot
"On or near <street>"), ``time_use.csv`` one per unit-shift (where its paid time goes),
``hotspot_dosage.csv`` one per hot spot (its share of the harm against its share of the
hot-spot minutes the plan gives), ``posts.csv`` one per slot of each post (a protest held from start to end): who holds it, or
that nobody does and why (in a re-planned week, slots over by the cut-off are marked
``before cut-off``).

Times are Europe/London wall-clock times, as a crew reads them; the rows are plain dicts for
:func:`planner.common.write_csv` with the column orders below.
"""

from __future__ import annotations

from collections.abc import Sequence

from planner.demand.weekly import VisitRequirement
from planner.outputs.text import hm, local, stop_label
from planner.planning.plan import Plan

SCHEDULE_COLUMNS = (
    "date",
    "day",
    "shift",
    "unit",
    "route_id",
    "order",
    "site_id",
    "name",
    "kind",
    "risk",
    "restricted",
    "presence",
    "window",
    "arrival",
    "start",
    "departure",
    "dwell_min",
    "travel_min",
)
DOSAGE_COLUMNS = (
    "site_id",
    "name",
    "harm_share",
    "visits",
    "minutes_on_site",
    "dosage_share",
    "dosage_over_harm",
)
POST_COLUMNS = ("site_id", "window", "date", "start", "end", "status", "unit", "route_id", "reason")
#: ``posts.csv`` status of a re-planned week's slot that ended by the cut-off (history).
BEFORE_CUTOFF = "before cut-off"
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


def schedule_rows(plan: Plan, *, redact: bool = False) -> list[dict[str, object]]:
    """``schedule.csv`` rows: one per visit, in route order, times in Europe/London.

    With ``redact`` a restricted site is named only "Restricted site", as everywhere else.
    """
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
                    "name": stop_label(s, redact)[0],
                    "kind": s.kind,
                    "risk": s.risk,
                    "restricted": s.restricted,
                    "presence": s.presence,
                    "window": s.window,
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


def post_rows(plan: Plan, requirements: Sequence[VisitRequirement]) -> list[dict[str, object]]:
    """``posts.csv`` rows: each post slot in time order, held by a unit or uncovered with why.

    ``requirements`` are the week's visit requirements, for the slots' times (a slot nobody
    holds is in the plan only as an unserved visit id). In a re-planned week (``plan.replan``)
    a slot that ended by the cut-off is history, not something to staff: its status is
    :data:`BEFORE_CUTOFF`, with the unit the plan had holding it (if any) or why none did.
    """
    held = {s.visit_id: r for r in plan.routes for s in r.stops if s.presence == "post"}
    why = {u.visit_id: u.reason for u in plan.unserved}
    cutoff = plan.replan.cutoff if plan.replan is not None else None
    slots = sorted(
        (r for r in requirements if r.presence == "post"),
        key=lambda r: (r.site_id, r.windows[0].start),
    )
    rows: list[dict[str, object]] = []
    for req in slots:
        (slot,) = req.windows
        route = held.get(req.visit_id)
        status = "held" if route is not None else "uncovered"
        if cutoff is not None and slot.end <= cutoff:
            # Over before the re-plan was made: a commander reads the rows from the cut-off
            # on as the ones to staff; these stay so the table shows the whole week.
            status = BEFORE_CUTOFF
        rows.append(
            {
                "site_id": req.site_id,
                "window": req.window,
                "date": local(slot.start).date().isoformat(),
                "start": hm(slot.start),
                "end": hm(slot.end),
                "status": status,
                "unit": route.unit_id if route is not None else "",
                "route_id": route.route_id if route is not None else "",
                "reason": "" if route is not None else why.get(req.visit_id, ""),
            }
        )
    return rows


def dosage_rows(plan: Plan, hotspots: Sequence[tuple[str, str, float]]) -> list[dict[str, object]]:
    """``hotspot_dosage.csv`` rows: each hot spot's visits, minutes, harm and dosage shares.

    ``hotspots`` are ``(site_id, name, share of harm)`` in rank order. ``dosage_share`` is the
    hot spot's share of all minutes on site at hot spots; ``dosage_over_harm`` that over its
    harm share (1: dosed as its harm says; below 1: less). Every hot spot has a row, visited
    or not.
    """
    visits: dict[str, int] = {}
    minutes: dict[str, float] = {}
    for s in plan.stops:
        if s.kind == "hotspot":
            visits[s.site_id] = visits.get(s.site_id, 0) + 1
            minutes[s.site_id] = minutes.get(s.site_id, 0.0) + s.dwell_s / 60
    total = sum(minutes.values())
    rows: list[dict[str, object]] = []
    for site_id, name, harm_share in hotspots:
        share = minutes.get(site_id, 0.0) / total if total else 0.0
        rows.append(
            {
                "site_id": site_id,
                "name": name,
                "harm_share": f"{harm_share:.3f}",
                "visits": visits.get(site_id, 0),
                "minutes_on_site": f"{minutes.get(site_id, 0.0):.0f}",
                "dosage_share": f"{share:.3f}",
                "dosage_over_harm": f"{share / harm_share:.2f}" if harm_share > 0 else "",
            }
        )
    return rows
