"""Dose balancing: a last pass that makes each weighted group's visits follow its weight.

The search maximises the sum of the visits' prizes, and every visit's prize is fixed in
advance.  A hot spot's patrol dose, though, has diminishing returns over the *week*: what a
further visit is worth depends on how many that hot spot already gets.  A fixed prize cannot
say so, so where hot spots have almost the same harm the search gives them doses in whatever
order their places and windows make easiest (the City of London's: 10, 12, 11, 12, 11 visits
to hot spots of harm 470, 468, 466, 454, 442).

So after the search, for groups with a :attr:`~planner.routing.problem.Group.dose_weight`,
this pass takes out a served visit of a group *b* and puts in an unserved visit of a group *a*
of greater weight that has at least two visits fewer: in the same place if it fits there,
else wherever a route can take it.  With any concave worth of a group's dose ``weight x g(count)`` that exchange
gains ``w_a (g(n_a + 1) - g(n_a)) - w_b (g(n_b) - g(n_b - 1)) > 0``, whatever the fixed prizes
say; it stops at a difference of one visit, where the exchange would only swap the order.
Each exchange is checked exactly (:meth:`.state.State.check_route`: windows, shifts, gaps and
the time-of-day rule against the other routes; a vehicle not in use is taken only within the
paid-hours budget), a required visit is never taken out, and a visit under the time-of-day
rule is replaced by a repeat candidate (one free of it) only at a time that keeps the rule all
the same.  The pass tries at most ``max_checks`` schedules, a count, not a clock, so a big
week's plan stays the same on any machine.
"""

from __future__ import annotations

import numpy as np

from planner.routing.solver.kernels import DAY_T
from planner.routing.solver.state import State

__all__ = ["balance_doses"]

#: How far, in seconds, an unserved visit's windows may lie from the served visit's start to
#: be tried in its place (the route's slack decides the rest).
NEAR_S = 3600.0


#: Schedules the pass may try (each a few tens of microseconds).
MAX_CHECKS = 20_000
#: Served visits of a group tried in the take-out-and-put-anywhere step, per exchange.
MAX_MOVED = 4


class _Checks:
    """The pass's budget of schedule checks."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def spend(self) -> bool:
        """Take one check; False once none is left."""
        self.left -= 1
        return self.left >= 0


def balance_doses(st: State, weight: np.ndarray, near: int, max_checks: int = MAX_CHECKS) -> int:
    """Exchange visits between weighted groups until doses follow weights; return the count.

    Parameters
    ----------
    st
        The plan, changed in place.
    weight
        Per group (index as ``st.inst.group_members``): its dose weight; 0 leaves a group out.
    near
        Solver time units: only unserved visits with a window within this of the served
        visit's start are tried in its place.
    max_checks
        Schedules tried at most (each exchange moves a visit to a group of greater weight, so
        the pass ends anyway; the bound caps its time on big weeks).
    """
    inst = st.inst
    groups = [g for g in range(len(inst.group_members)) if g < len(weight) and weight[g] > 0]
    if len(groups) < 2:
        return 0
    swaps = 0
    checks = _Checks(max_checks)
    while checks.left > 0:
        served = st.route_of >= 0
        count = {g: int(served[inst.group_members[g]].sum()) for g in groups}
        # The widest inversions first; among equal ones, the heaviest group to gain.
        pairs = sorted(
            (
                (count[b] - count[a], float(weight[a]), a, b)
                for a in groups
                for b in groups
                if weight[a] > weight[b] and count[a] <= count[b] - 2
            ),
            reverse=True,
        )
        if not any(_exchange(st, a, b, near, checks) for _, _, a, b in pairs):
            return swaps
        swaps += 1
    return swaps


def _exchange(st: State, a: int, b: int, near: int, checks: _Checks) -> bool:
    """Swap one served visit of group ``b`` for an unserved one of ``a``; False if none fits.

    First in the same place (the cheap case); then the ``b`` visit comes out and an ``a``
    visit goes in wherever some route can take it: the time freed may be on another day.
    """
    inst = st.inst
    mem_a = inst.group_members[a]
    free = mem_a[(st.route_of[mem_a] < 0)]
    if not len(free):
        return False
    mem_b = inst.group_members[b]
    out = mem_b[(st.route_of[mem_b] >= 0) & ~inst.required[mem_b]]
    # Most valuable replacements first, so the prize lost is the least the exchange allows.
    free = free[np.argsort(-inst.prize[free], kind="stable")]
    out = out[np.argsort(inst.prize[out], kind="stable")]
    for u in out:
        r = int(st.route_of[u])
        nodes = st.route(r)
        pos = nodes.index(int(u))
        t = int(st.start[u])
        for c in free:
            if (
                inst.allowed[c, r]
                and _near(inst.wo[c], inst.wc[c], inst.nw[c], t, near)
                and _try(st, r, [*nodes[:pos], int(c), *nodes[pos + 1 :]], pos, int(u), a, checks)
            ):
                return True
    for u in out[:MAX_MOVED]:
        trial = st.copy()
        r = int(st.route_of[u])
        if not trial.set_route(r, [x for x in st.route(r) if x != u]):
            continue
        for c in free:
            if _insert_anywhere(trial, int(c), a, int(u), checks):
                _adopt(st, trial)
                return True
    return False


def _try(st: State, r: int, trial: list[int], pos: int, u: int, a: int, checks: _Checks) -> bool:
    """Install ``trial`` on route ``r`` if it is feasible and keeps ``a``'s time-of-day rule."""
    inst = st.inst
    if not checks.spend():
        return False
    if (
        inst.budget is not None
        and st.rlen[r] == 0
        and st.paid_used() + inst.paid[r] > inst.budget + 1e-9
    ):
        return False  # a vehicle not in use, over the paid-hours budget
    sched = st.check_route(r, trial)
    if not sched[0]:
        return False
    c = trial[pos]
    # A repeat candidate is free of the time-of-day rule; in place of a visit under it, it
    # must keep the rule all the same.
    if (
        inst.repeat_rule[u]
        and not inst.repeat_rule[c]
        and not _clear_of_days(st, a, c, int(sched[3][pos]))
    ):
        return False
    return st.set_route(r, trial, sched)


def _insert_anywhere(st: State, c: int, a: int, u: int, checks: _Checks) -> bool:
    """Put ``c`` in the first route and place that takes it (near its windows); False if none."""
    inst = st.inst
    lo = int(inst.wo[c, : inst.nw[c]].min())
    hi = int(inst.wc[c, : inst.nw[c]].max())
    for r in map(int, np.flatnonzero(inst.allowed[c])):
        nodes = st.route(r)
        for pos in range(len(nodes) + 1):
            # Only places whose neighbours' starts leave room near the windows.
            if pos > 0 and st.start[nodes[pos - 1]] > hi:
                break
            if pos < len(nodes) and st.start[nodes[pos]] < lo:
                continue
            if _try(st, r, [*nodes[:pos], c, *nodes[pos:]], pos, u, a, checks):
                return True
    return False


def _adopt(st: State, new: State) -> None:
    """Make ``st`` the plan ``new`` holds (same instance)."""
    for name in ("R", "rlen", "E", "Lt", "route_of", "start", "dep", "ret"):
        getattr(st, name)[...] = getattr(new, name)


def _clear_of_days(st: State, g: int, c: int, start: int) -> bool:
    """Whether ``c`` starting at ``start`` keeps group ``g``'s time-of-day rule."""
    inst = st.inst
    gap = int(inst.group_repeat[g]) if g < len(inst.group_repeat) else 0
    if gap <= 0:
        return True
    mem = inst.group_members[g]
    mem = mem[(st.route_of[mem] >= 0) & (mem != c)]
    if not len(mem):
        return True
    here = start + int(inst.clock_offset[c])
    d = (st.start[mem] + inst.clock_offset[mem]) - here
    k = (d + DAY_T // 2) // DAY_T
    off = np.abs(d - k * DAY_T)
    return not bool(np.any((k != 0) & (off < gap)))


def _near(wo: np.ndarray, wc: np.ndarray, nw: int, t: int, near: int) -> bool:
    """Whether one of the first ``nw`` windows ``[wo, wc]`` comes within ``near`` of ``t``."""
    return bool(np.any((wo[:nw] <= t + near) & (wc[:nw] >= t - near)))
