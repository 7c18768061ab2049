"""What ``planner replan`` changed: every visit of the earlier and the new plan, matched.

See :func:`changes`; :mod:`planner.outputs.changes` writes them as ``changes.csv``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from planner.planning.plan import Plan, PlanRoute, PlanStop
from planner.planning.replan_inputs import Split, Unavailable, as_shift

#: A visit on a re-planned unit-shift is unchanged if the same unit visits the same site
#: starting within this many minutes of the earlier time.
UNCHANGED_MIN = 15.0

CHANGE_KINDS = ("kept", "moved", "removed", "added")


@dataclass(frozen=True)
class Change:
    """One line of ``changes.csv``: what happened to one visit.

    ``change`` is ``kept``, ``moved``, ``removed`` or ``added``; the ``old_`` fields are
    empty for an added visit and the ``new_`` fields for a removed one.
    """

    change: str
    site_id: str
    name: str
    visit_id: str
    old_unit: str
    old_route: str
    old_start: dt.datetime | None
    new_unit: str
    new_route: str
    new_start: dt.datetime | None
    reason: str


#: A visit of a plan: its route and stop.
_Made = tuple[PlanRoute, PlanStop]


def _close(a: PlanStop, b: PlanStop) -> bool:
    return abs((a.start - b.start).total_seconds()) <= UNCHANGED_MIN * 60


# long function: four matching passes, each short, share the bookkeeping
def changes(
    previous: Plan,
    merged: Plan,
    split: Split,
    cutoff: dt.datetime,
    unavailable: Sequence[Unavailable],
    extra_sites: set[str],
) -> list[Change]:
    """Every visit of either plan, as kept, moved, removed or added, with the reason.

    Visits on kept routes are *kept* (as done); the earlier plan's visits on re-planned
    unit-shifts are matched to the new plan's: first the same unit and site within
    :data:`UNCHANGED_MIN` minutes (*kept*), then the same visit id, then the same site on
    the same day, nearest first (*moved*); the rest are *removed* or *added*.
    """
    kept_ids = {r.route_id for r in split.kept}
    old = [(r, s) for r in split.redo for s in r.stops]
    new = [(r, s) for r in merged.routes if r.route_id not in kept_ids for s in r.stops]
    out: list[Change] = []

    def row(kind: str, o: _Made | None, n: _Made | None, reason: str) -> Change:
        stop = o[1] if o is not None else n[1] if n is not None else None
        assert stop is not None
        return Change(
            change=kind,
            site_id=stop.site_id,
            name=stop.name,
            visit_id=stop.visit_id,
            old_unit=o[0].unit_id if o else "",
            old_route=o[0].route_id if o else "",
            old_start=o[1].start if o else None,
            new_unit=n[0].unit_id if n else "",
            new_route=n[0].route_id if n else "",
            new_start=n[1].start if n else None,
            reason=reason,
        )

    for r in split.kept:
        for s in r.stops:
            why = "kept as done: the shift started before the cut-off"
            out.append(row("kept", (r, s), (r, s), why))
    locked = {(rid, vid) for rid, vid in split.locked}
    free_old = list(range(len(old)))
    free_new = list(range(len(new)))

    def match(
        test: Callable[[_Made, _Made], bool], kind: str, why: Callable[[_Made, _Made], str]
    ) -> None:
        for i in list(free_old):
            best = None
            for j in free_new:
                if test(old[i], new[j]) and (
                    best is None
                    or abs((new[j][1].start - old[i][1].start).total_seconds())
                    < abs((new[best][1].start - old[i][1].start).total_seconds())
                ):
                    best = j
            if best is not None:
                free_old.remove(i)
                free_new.remove(best)
                out.append(row(kind, old[i], new[best], why(old[i], new[best])))

    def unit_off(o: _Made) -> bool:
        return any(u.covers(as_shift(o[0])) for u in unavailable)

    def moved_why(o: _Made, n: _Made) -> str:
        if unit_off(o):
            return f"unit {o[0].unit_id} unavailable: moved to {n[0].unit_id}"
        if o[0].unit_id != n[0].unit_id:
            return "re-planned onto another unit"
        return "re-timed by the re-plan"

    match(
        lambda o, n: (
            o[0].unit_id == n[0].unit_id and o[1].site_id == n[1].site_id and _close(o[1], n[1])
        ),
        "kept",
        lambda o, n: (
            "locked in the locks file" if (o[0].route_id, o[1].visit_id) in locked else "unchanged"
        ),
    )
    match(
        lambda o, n: o[1].visit_id == n[1].visit_id,
        "moved",
        moved_why,
    )
    match(
        lambda o, n: o[1].site_id == n[1].site_id and o[0].day == n[0].day,
        "moved",
        moved_why,
    )
    why_missed = {u.visit_id: u.reason for u in merged.unserved}
    for i in free_old:
        o = old[i]
        reason = why_missed.get(o[1].visit_id)
        if reason is None:
            reason = (
                "hot-spot patrol not needed there any more: the unit's time went to visits "
                "worth more"
                if o[1].kind == "hotspot"
                else "not in the re-planned week"
            )
        if unit_off(o):
            reason = f"unit {o[0].unit_id} unavailable; {reason}"
        out.append(row("removed", o, None, reason))
    for j in free_new:
        n = new[j]
        reason = (
            "new site (--sites)"
            if n[1].site_id in extra_sites
            else "added by the re-plan: time freed by the changes"
        )
        out.append(row("added", None, n, reason))
    order = {k: i for i, k in enumerate(CHANGE_KINDS)}
    _far = dt.datetime.max.replace(tzinfo=dt.UTC)
    out.sort(key=lambda c: (c.old_start or c.new_start or _far, order[c.change], c.site_id))
    return out
