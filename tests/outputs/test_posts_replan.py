"""``posts.csv`` of a re-planned week: slots over by the cut-off are marked as history."""

from __future__ import annotations

import dataclasses

from planner.demand.weekly import VisitRequirement
from planner.demand.windows import TimeWindow
from planner.outputs.tables import BEFORE_CUTOFF, POST_COLUMNS, post_rows
from planner.planning.plan import Plan, Replan, UnservedVisit
from tests.evaluate import helpers as h
from tests.evaluate.helpers import Site, at, route, stop

PROTEST = Site("NB-PRO-1", 200, 100, kind="protest")
#: Wednesday 12:00, the re-plan's cut-off.
CUTOFF = "2026-12-02 12:00"


def _slot(start: str, end: str) -> VisitRequirement:
    """A post slot at the protest, named as :func:`tests.evaluate.helpers.stop` names visits."""
    return VisitRequirement(
        visit_id=f"{PROTEST.site_id}@{start}",
        site_id=PROTEST.site_id,
        kind="protest",
        windows=(TimeWindow(at(start), at(end)),),
        dwell_s=3600.0,
        min_gap_s=0.0,
        required=True,
        prize=10.0,
        presence="post",
    )


def _plan(replanned: bool) -> tuple[Plan, list[VisitRequirement]]:
    """Four slots: 10-11 held (kept route), 11-12 uncovered, 11:30-12:30 uncovered, 12-13 held."""
    slots = [
        _slot("2026-12-02 10:00", "2026-12-02 11:00"),
        _slot("2026-12-02 11:00", "2026-12-02 12:00"),
        _slot("2026-12-02 11:30", "2026-12-02 12:30"),
        _slot("2026-12-02 12:00", "2026-12-02 13:00"),
    ]
    early = route(
        "NB-FOOT-1",
        "2026-12-02 07:00",
        "2026-12-02 15:00",
        [stop(1, PROTEST, "2026-12-02 10:00", dwell_min=60, presence="post")],
    )
    late = route(
        "NB-FOOT-2",
        "2026-12-02 12:00",
        "2026-12-02 20:00",
        [stop(1, PROTEST, "2026-12-02 12:00", dwell_min=60, presence="post")],
        shift="late",
    )
    missed = tuple(
        UnservedVisit(s.visit_id, s.site_id, "protest", True, 10.0, "no unit free")
        for s in slots[1:3]
    )
    plan = dataclasses.replace(h.plan([early, late]), unserved=missed)
    if replanned:
        record = Replan("old/plan.json", at(CUTOFF), 1, 0, None)
        plan = dataclasses.replace(plan, replan=record)
    return plan, slots


def test_slots_over_by_the_cut_off_are_marked_before_cut_off() -> None:
    """A slot that ended by the cut-off is ``before cut-off``, who held it kept.

    Later slots, and one straddling the cut-off, keep their ``held``/``uncovered`` status.
    """
    plan, slots = _plan(replanned=True)
    rows = post_rows(plan, slots)
    assert all(tuple(r) == POST_COLUMNS for r in rows)
    got = [(r["start"], r["end"], r["status"], r["unit"], r["reason"]) for r in rows]
    assert got == [
        ("10:00", "11:00", BEFORE_CUTOFF, "NB-FOOT-1", ""),
        ("11:00", "12:00", BEFORE_CUTOFF, "", "no unit free"),
        ("11:30", "12:30", "uncovered", "", "no unit free"),
        ("12:00", "13:00", "held", "NB-FOOT-2", ""),
    ]


def test_a_plan_made_whole_has_no_before_cut_off_rows() -> None:
    """Without a re-plan record every slot is held or uncovered, as before."""
    plan, slots = _plan(replanned=False)
    assert [r["status"] for r in post_rows(plan, slots)] == [
        "held",
        "uncovered",
        "uncovered",
        "held",
    ]
