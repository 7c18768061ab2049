"""OR-Tools on sub-problems, for instances too large to hand it the whole plan.

Above ``SolveParams.sub_over_visits`` visits or ``sub_over_vehicles`` vehicles, each iteration
builds a small model of up to ``sub_vehicles`` vehicles (a route the ruin touched and routes
whose shifts overlap it) with their visits and the best unserved visits they can take, each
visit's windows clipped to those shifts.  A full-plan descent on a 1,000-visit, 150-vehicle
week took minutes per call, and the week-wide window hull made most of its moves infeasible.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from planner.routing.solver.instance import Instance
from planner.routing.solver.ortools_model import OrModel
from planner.routing.solver.params import SolveParams
from planner.routing.solver.scaling import INF_T
from planner.routing.solver.state import State


def _sub_inst(inst: Instance, vis: np.ndarray, veh: np.ndarray, budget: float | None) -> Instance:
    """The problem restricted to visits ``vis`` and vehicles ``veh`` (for OR-Tools only).

    Each visit keeps only its windows that overlap the vehicles' shifts (clipped to them), so
    the hull OR-Tools sees is close to the real windows; groups are left out (our scheduler
    re-times and repairs whatever OR-Tools returns).
    """
    lo = int(inst.vearly[veh].min())
    hi = int(inst.vlate[veh].max())
    n = len(vis)
    wo = np.full((n, inst.wo.shape[1]), INF_T, dtype=np.int64)
    wc = np.full((n, inst.wo.shape[1]), -INF_T, dtype=np.int64)
    nw = np.zeros(n, dtype=np.int64)
    for j, u in enumerate(vis.tolist()):
        k = 0
        for w in range(int(inst.nw[u])):
            o, c = int(inst.wo[u, w]), int(inst.wc[u, w])
            if c < lo or o > hi:
                continue
            wo[j, k] = max(o, lo)
            wc[j, k] = min(c, hi)
            k += 1
        nw[j] = k
    none = np.zeros(0, dtype=np.int64)
    return Instance(
        n=n,
        nv=len(veh),
        loc=inst.loc[vis],
        svc=inst.svc[vis],
        wo=wo,
        wc=wc,
        nw=nw,
        prize=inst.prize[vis],
        required=inst.required[vis],
        vmode=inst.vmode[veh],
        vs=inst.vs[veh],
        ve=inst.ve[veh],
        vearly=inst.vearly[veh],
        vlate=inst.vlate[veh],
        vmaxdur=inst.vmaxdur[veh],
        vred=inst.vred[veh],
        paid=inst.paid[veh],
        budget=budget,
        T=inst.T,
        modes=inst.modes,
        group_of=np.full(n, -1, dtype=np.int64),
        group_gap=none,
        group_max=none,
        group_members=[],
        gptr=np.zeros(1, dtype=np.int64),
        gmem=none,
        allowed=inst.allowed[np.ix_(vis, veh)] & (nw > 0)[:, None],
    )


def use_sub(n: int, nv: int, params: SolveParams) -> bool:
    """Large instances call OR-Tools on sub-problems instead of the whole plan.

    A greedy descent over every route is superlinear in the size (a 1,000-visit, 150-vehicle
    week took minutes for a single call), and with week-long multi-window visits the hull
    OR-Tools sees is so loose that most of its moves are undone by the exact re-timing.
    """
    return n > params.sub_over_visits or nv > params.sub_over_vehicles


def pick_sub(st: State, touched: Sequence[int], rng: np.random.Generator, size: int) -> np.ndarray:
    """Up to ``size`` vehicles for an OR-Tools sub-problem.

    A random route the ruin touched, the touched routes whose shifts overlap it, then other
    overlapping vehicles (used ones first), chosen at random.
    """
    i = st.inst
    r0 = int(touched[int(rng.integers(len(touched)))]) if touched else int(rng.integers(i.nv))
    over = (i.vearly < i.vlate[r0]) & (i.vearly[r0] < i.vlate)
    over[r0] = False
    chosen = [r0]
    tset = [int(r) for r in touched if over[r]]
    rng.shuffle(tset)
    chosen += tset[: size - 1]
    if len(chosen) < size:
        rest = [int(r) for r in np.flatnonzero(over) if int(r) not in chosen]
        rest.sort(key=lambda r: (st.rlen[r] == 0, rng.random()))
        chosen += rest[: size - len(chosen)]
    return np.array(sorted(chosen), dtype=np.int64)


def improve_sub(
    st: State, veh: np.ndarray, extra: int, time_limit_s: float | None = None
) -> State | None:
    """OR-Tools greedy descent on the routes of ``veh`` and the best unserved visits.

    The unserved visits offered are those the vehicles can serve, highest prize first (at most
    ``extra``); the result is re-timed exactly (against the other routes) into a copy of
    ``st``, or None if OR-Tools could not start.  ``time_limit_s`` caps the OR-Tools call.
    """
    i = st.inst
    on = np.flatnonzero(np.isin(st.route_of, veh))
    un = np.flatnonzero((st.route_of < 0) & i.allowed[:, veh].any(axis=1))
    if len(un) > extra:
        un = un[np.lexsort((un, -i.prize[un]))[:extra]]
    if len(on) + len(un) == 0:
        return None
    vis = np.concatenate((on, np.sort(un))).astype(np.int64)
    budget = None
    if i.budget is not None:
        outside = (st.rlen > 0) & ~np.isin(np.arange(i.nv), veh)
        budget = max(0.0, i.budget - float(i.paid[outside].sum()))
    model = OrModel(_sub_inst(i, vis, veh, budget))
    local = {int(u): j for j, u in enumerate(vis.tolist())}
    sol = model.descend([[local[u] for u in st.route(int(r))] for r in veh], time_limit_s)
    if sol is None:
        return None
    out = st.copy()
    for r in veh.tolist():
        out.set_route(r, [])
    for r, nodes in zip(veh.tolist(), model.routes_of(sol), strict=True):
        out.install_repaired(r, [int(vis[x]) for x in nodes])
    return out
