"""The search state: a plan as route arrays, kept exactly timed.

:class:`State` holds the routes and the schedule arrays the insertion kernel reads, and keeps
every route timed against the others' starts, so the group rules hold at all times.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from planner.routing.solver.instance import Instance
from planner.routing.solver.kernels import DAY_T, eval_route, route_arrays
from planner.routing.solver.scaling import INF_T

log = logging.getLogger(__name__)


class State:
    """Routes as arrays plus the derived schedule arrays the insertion kernel needs.

    Invariant: every installed route is timed against the starts of the other routes, so the
    group rules hold across routes at all times (a route change re-times only that route, and
    the others' schedule arrays ``E``/``Lt`` are refreshed where a group they share changed).
    """

    def __init__(self, inst: Instance, routes: Sequence[Sequence[int]] | None = None) -> None:
        self.inst = inst
        self.R = np.zeros((inst.nv, inst.n + 2), dtype=np.int64)
        self.rlen = np.zeros(inst.nv, dtype=np.int64)
        self.E = np.zeros((inst.nv, inst.n + 2), dtype=np.int64)
        self.Lt = np.zeros((inst.nv, inst.n + 2), dtype=np.int64)
        self.route_of = np.full(inst.n, -1, dtype=np.int64)
        self.start = np.zeros(inst.n, dtype=np.int64)
        self.dep = np.zeros(inst.nv, dtype=np.int64)
        self.ret = np.zeros(inst.nv, dtype=np.int64)
        self.touched: list[int] = []
        for r in range(inst.nv):
            self.set_route(r, list(routes[r]) if routes is not None else [])

    def copy(self) -> State:
        """An independent copy (the instance is shared)."""
        new = State.__new__(State)
        new.inst = self.inst
        for name in ("R", "rlen", "E", "Lt", "route_of", "start", "dep", "ret"):
            setattr(new, name, getattr(self, name).copy())
        new.touched = []
        return new

    def route(self, r: int) -> list[int]:
        """Visit indices of route ``r``, in order."""
        return [int(x) for x in self.R[r, 1 : self.rlen[r] + 1]]

    def routes(self) -> list[list[int]]:
        """Every vehicle's route (see :meth:`route`)."""
        return [self.route(r) for r in range(self.inst.nv)]

    def check_route(self, r: int, nodes: Sequence[int]) -> tuple[bool, int, int, np.ndarray]:
        """Exact schedule of ``nodes`` on route ``r``, timed against the other routes."""
        i = self.inst
        arr = np.asarray(nodes, dtype=np.int64)
        starts = np.zeros(max(1, len(arr)), dtype=np.int64)
        if len(i.group_members) and len(arr):
            g = i.group_of[arr]
            g = g[g >= 0]
            if len(g) > 1:
                cnt = np.bincount(g)
                if np.any(cnt > i.group_max[: len(cnt)]):
                    return False, int(i.vearly[r]), int(INF_T), starts
        ok, d, ret = eval_route(arr, len(arr), r, i.kern, starts, self.route_of, self.start)
        return bool(ok), int(d), int(ret), starts

    def _arrays(self, r: int) -> None:
        i = self.inst
        route_arrays(
            self.R, self.rlen, r, i.kern, self.E, self.Lt, self.route_of, self.start
        )  # fmt: skip

    def set_route(self, r: int, nodes: Sequence[int], sched: Any = None) -> bool:
        """Install a route; returns False (and installs nothing) if it is infeasible.

        ``sched`` is a :meth:`check_route` result for the same route and current plan.  Sets
        ``touched`` to the other routes whose schedule arrays changed (shared groups).
        """
        i = self.inst
        ok, d, ret, starts = sched if sched is not None else self.check_route(r, nodes)
        self.touched = []
        if not ok:
            return False
        old = self.R[r, 1 : self.rlen[r] + 1].copy()
        self.route_of[old] = -1
        k = len(nodes)
        arr = np.asarray(nodes, dtype=np.int64)
        self.R[r, 1 : k + 1] = arr
        self.rlen[r] = k
        if k:
            self.route_of[arr] = r
            self.start[arr] = starts[:k]
        self.dep[r] = d
        self.ret[r] = ret
        self._arrays(r)
        if len(i.group_members):
            gs = np.union1d(i.group_of[old], i.group_of[arr])
            gs = gs[gs >= 0]
            if len(gs):
                mem = np.concatenate([i.group_members[g] for g in gs])
                rs = np.unique(self.route_of[mem])
                self.touched = [int(x) for x in rs if x >= 0 and x != r]
                for r2 in self.touched:
                    self._arrays(r2)
        return True

    # ---------------------------------------------------------------- scores
    def key(self) -> tuple[int, int, int]:
        """Lexicographic quality: required served, prize, minus travel."""
        i = self.inst
        served = self.route_of >= 0
        return (
            int(np.count_nonzero(served & i.required)),
            int(i.prize[served].sum()),
            -self.travel(),
        )

    def travel(self) -> int:
        """Total travel of the routes, solver time units."""
        i = self.inst
        tot = 0
        for r in range(i.nv):
            k = self.rlen[r]
            if k == 0:
                continue
            locs = np.concatenate(([i.vs[r]], i.loc[self.R[r, 1 : k + 1]], [i.ve[r]]))
            tot += int(i.T[i.vmode[r], locs[:-1], locs[1:]].sum())
        return tot

    def paid_used(self) -> float:
        """Paid hours of the vehicles in use."""
        return float(self.inst.paid[self.rlen > 0].sum())

    # ---------------------------------------------------------------- side constraints
    def groups_ok(self) -> bool:
        """Every group rule holds over the whole plan (min gaps, max per route)."""
        i = self.inst
        u = np.flatnonzero((self.route_of >= 0) & (i.group_of >= 0))
        if len(u) < 2:
            return True
        g = i.group_of[u]
        o = np.lexsort((self.start[u], g))
        g, s, rr = g[o], self.start[u][o], self.route_of[u][o]
        same = g[1:] == g[:-1]
        if np.any(same & (s[1:] - s[:-1] < i.group_gap[g[1:]])):
            return False
        if len(i.group_repeat) and i.group_repeat.any():
            bound = i.repeat_rule[u[o]]
            for gi in np.unique(g[i.group_repeat[g] > 0]).tolist():
                local = s + i.clock_offset[u[o]]
                if not _clear_of_days(local[(g == gi) & bound], int(i.group_repeat[gi])):
                    return False
        pair = g * i.nv + rr
        _, cnt = np.unique(pair, return_counts=True)
        gpair = np.unique(pair) // i.nv
        return not np.any(cnt > i.group_max[gpair])

    def group_ok_route(self, r: int) -> bool:
        """Group rules hold for every grouped visit on route ``r`` (against all routes)."""
        i = self.inst
        for u in self.route(r):
            g = i.group_of[u]
            if g < 0:
                continue
            mem = i.group_members[g]
            on = mem[self.route_of[mem] >= 0]
            if np.count_nonzero(self.route_of[on] == r) > i.group_max[g]:
                return False
            others = on[on != u]
            if len(others) and np.any(np.abs(self.start[others] - self.start[u]) < i.group_gap[g]):
                return False
            if len(i.group_repeat) and i.group_repeat[g] > 0 and i.repeat_rule[u]:
                bound = on[i.repeat_rule[on]]
                local = self.start[bound] + i.clock_offset[bound]
                if not _clear_of_days(local, int(i.group_repeat[g])):
                    return False
        return True

    def budget_ok(self) -> bool:
        """The vehicles in use fit the paid-hours budget."""
        b = self.inst.budget
        return b is None or self.paid_used() <= b + 1e-9

    def remove(self, nodes: Sequence[int]) -> None:
        """Remove visits from their routes.

        Removal keeps a route feasible unless the matrix breaks the triangle inequality; then
        the route is cut back until it is feasible again.
        """
        by_route: dict[int, set[int]] = {}
        for u in nodes:
            r = int(self.route_of[u])
            if r >= 0:
                by_route.setdefault(r, set()).add(int(u))
        for r, rem in sorted(by_route.items()):
            self.install_repaired(r, [u for u in self.route(r) if u not in rem])

    def install_repaired(self, r: int, nodes: list[int]) -> None:
        """Install ``nodes`` on route ``r``, dropping visits until it is feasible.

        Each step drops the least valuable (optional before required, then lowest prize)
        grouped visit in conflict whose removal alone makes the route feasible, or else the
        least valuable visit.
        """
        i = self.inst
        nodes = list(nodes)
        while not self.set_route(r, nodes):
            fixes = [j for j in self._group_suspects(r, nodes)
                     if self.check_route(r, nodes[:j] + nodes[j + 1 :])[0]]  # fmt: skip
            pool = fixes or range(len(nodes))
            worst = min(pool, key=lambda j: (bool(i.required[nodes[j]]), i.prize[nodes[j]], -j))
            nodes.pop(worst)

    def _group_suspects(self, r: int, nodes: list[int]) -> list[int]:
        """Positions of ``nodes`` whose group has another member on this or another route."""
        i = self.inst
        if not len(i.group_members) or not nodes:
            return []
        g = i.group_of[np.asarray(nodes, dtype=np.int64)]
        out = []
        for j, gj in enumerate(g.tolist()):
            if gj < 0:
                continue
            mem = i.group_members[gj]
            ro = self.route_of[mem]
            if np.count_nonzero(g == gj) > 1 or np.any((ro >= 0) & (ro != r)):
                out.append(j)
        return out

    def repair(self) -> None:
        """Drop visits until every group rule and the budget hold.

        The group rules hold by construction (every route is timed against the others), so the
        group loop is a safety net only.
        """
        i = self.inst
        changed = len(i.group_members) > 0 and not self.groups_ok()
        if changed:
            log.warning("group rule broken inside the search (repairing); please report")
        while changed:
            changed = False
            for r in range(i.nv):
                if self.rlen[r] and not self.group_ok_route(r):
                    cands = [u for u in self.route(r) if i.group_of[u] >= 0]
                    u = min(cands, key=lambda x: (i.required[x], i.prize[x], x))
                    self.remove([u])
                    changed = True
        if not self.budget_ok():
            # Empty the routes with the least prize per paid hour until the budget holds.
            while not self.budget_ok():
                used = [r for r in range(i.nv) if self.rlen[r] > 0]
                r = min(
                    used,
                    key=lambda r: (
                        i.prize[self.route(r)].sum() / max(i.paid[r], 1e-9),
                        r,
                    ),
                )
                self.set_route(r, [])


def _clear_of_days(starts: np.ndarray, repeat: int) -> bool:
    """No two ``starts`` (local clock, solver units) days apart fall within ``repeat`` in time of day."""
    s = np.sort(starts.astype(np.int64))
    d = s[None, :] - s[:, None]
    k = (d + DAY_T // 2) // DAY_T
    off = np.abs(d - k * DAY_T)
    return not bool(np.any((k >= 1) & (off < repeat)))
