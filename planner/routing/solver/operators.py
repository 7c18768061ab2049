# ruff: noqa: N803, N806  (matrix names D, P follow the usual OR notation)
"""Ruin and recreate: the moves of the search around OR-Tools.

:func:`ruin` removes a few served visits (random, related, a stretch of a route, or a whole
route, which :func:`seed_route` then restarts elsewhere); :func:`recreate` inserts unserved
visits greedily by a noisy ``prize**alpha / time shift`` ratio, exactly on the windows and
group rules (the numba insertion kernel).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from planner.routing.solver.kernels import insert_column
from planner.routing.solver.params import SolveParams
from planner.routing.solver.scaling import INF_T
from planner.routing.solver.state import State


def _columns(
    st: State, cand: np.ndarray, routes: Sequence[int], D: np.ndarray, P: np.ndarray
) -> None:
    i = st.inst
    for r in routes:
        insert_column(
            r, cand, st.R, st.rlen, st.E, st.Lt, i.kern, i.allowed, D, P, st.route_of, st.start
        )  # fmt: skip


def recreate(
    st: State,
    rng: np.random.Generator | None,
    noise: float,
    alpha: float,
    exclude: Sequence[int] = (),
    out_of_time: Callable[[], bool] | None = None,
) -> None:
    """Greedy insertion of unserved visits by (noisy) prize^alpha / time-shift ratio.

    Visits in ``exclude`` are left out (the caller inserts them in a second pass).  Once
    ``out_of_time()`` is true no more optional visits are inserted (required ones still are,
    or the plan would be infeasible): with a thousand visits on long routes a full pass takes
    minutes, and a wall-clock limit must stop it.
    """
    i = st.inst
    ok_u = (st.route_of < 0) & i.allowed.any(axis=1)
    if len(exclude):
        ok_u[np.asarray(exclude, dtype=np.int64)] = False
    cand = np.flatnonzero(ok_u)
    if len(cand) == 0 or i.nv == 0:
        return
    nc = len(cand)
    D = np.empty((nc, i.nv), dtype=np.int64)
    P = np.empty((nc, i.nv), dtype=np.int64)
    _columns(st, cand, range(i.nv), D, P)
    active = np.ones(nc, dtype=np.bool_)
    pz = i.prize[cand].astype(np.float64) ** alpha
    if rng is not None and noise > 0:
        pz = pz * (1.0 + noise * rng.random(nc))
    req = i.required[cand]
    budget = i.budget
    while True:
        best_r = np.argmin(D, axis=1)
        bd = D[np.arange(nc), best_r]
        ok = active & (bd < INF_T)
        if not ok.any():
            return
        score = np.where(ok, pz / (np.maximum(bd, 1).astype(np.float64) + 1.0), -np.inf)
        score = np.where(ok & req, np.inf, score)
        ci = int(np.argmax(score))
        if out_of_time is not None and not req[ci] and out_of_time():
            return
        u = int(cand[ci])
        r = int(best_r[ci])
        p = int(P[ci, r])
        if budget is not None and st.rlen[r] == 0 and st.paid_used() + i.paid[r] > budget + 1e-9:
            D[ci, r] = INF_T
            continue
        nodes = st.route(r)
        nodes.insert(p, u)
        sched = st.check_route(r, nodes)
        if not sched[0]:
            D[ci, r] = INF_T
            continue
        st.set_route(r, nodes, sched)
        active[ci] = False
        D[ci, :] = INF_T
        _columns(st, cand, [r, *st.touched], D, P)
        for c in (r, *st.touched):
            D[~active, c] = INF_T


def ruin(st: State, rng: np.random.Generator, params: SolveParams) -> tuple[list[int], list[int]]:
    """Remove a few served visits; returns the routes it changed and the visits removed."""
    i = st.inst
    served = np.flatnonzero(st.route_of >= 0)
    if len(served) == 0:
        return [], []
    qmax = max(1, min(int(params.ruin_share * len(served)) + 1, params.ruin_max))
    q = int(rng.integers(1, qmax + 1))
    op = rng.random()
    if op < params.ruin_random_cut:
        rem = rng.choice(served, size=min(q, len(served)), replace=False)
    elif op < params.ruin_related_cut:
        # Related: the q served visits nearest (by travel in the first mode) a random one.
        centre = int(rng.choice(served))
        d = i.T[0, i.loc[centre], i.loc[served]].astype(np.float64)
        d += rng.random(len(served)) * params.related_jitter
        rem = served[np.argsort(d)[:q]]
    elif op < params.ruin_segment_cut or i.nv == 1:
        used = np.flatnonzero(st.rlen > 0)
        r = int(rng.choice(used))
        k = int(st.rlen[r])
        ln = int(rng.integers(1, max(2, min(q, k) + 1)))
        s = int(rng.integers(0, k - ln + 1))
        rem = st.R[r, 1 + s : 1 + s + ln]
    else:
        used = np.flatnonzero(st.rlen > 0)
        r = int(rng.choice(used))
        rem = st.R[r, 1 : st.rlen[r] + 1]
        rem_l = [int(x) for x in rem]
        st.remove(rem_l)
        seed_route(st, r, rem_l, rng, params.reseed_tries)
        return [r], rem_l
    rem_l = [int(x) for x in rem]
    touched = sorted({int(st.route_of[u]) for u in rem_l})
    st.remove(rem_l)
    return touched, rem_l


def seed_route(
    st: State, r: int, removed: Sequence[int], rng: np.random.Generator, tries: int
) -> None:
    """Start the emptied route ``r`` from a random unserved visit it did not hold.

    Greedy insertion alone rebuilds an emptied route around the cheapest insertions, next
    to the other routes; a seed far from them lets the route move to another region (the
    optimum of p1.2.g needs a route in a corner no cheap insertion reaches).  Up to ``tries``
    seeds are drawn, with probability proportional to their prize, and the first that fits
    is kept.
    """
    i = st.inst
    pool = np.flatnonzero((st.route_of < 0) & i.allowed[:, r] & (i.prize > 0))
    pool = pool[~np.isin(pool, np.asarray(removed, dtype=np.int64))]
    if len(pool) == 0:
        return
    w = i.prize[pool].astype(np.float64)
    order = rng.choice(pool, size=min(tries, len(pool)), replace=False, p=w / w.sum())
    for u in order:
        if i.budget is not None and st.paid_used() + i.paid[r] > i.budget + 1e-9:
            return
        if st.set_route(r, [int(u)]):
            return
