# ruff: noqa: N803, N806  (matrix names T, R, E, Lt follow the usual OR notation)
"""The exact check-and-commit primitives of the compiled search, and its greedy insertion.

:func:`try_routes` installs a change of one or two routes of a plan's arrays if
:func:`.kernels.eval_route` finds it feasible (windows, shift, duration limit, group rules,
max per route); :func:`refresh` then recomputes the earliest/latest start arrays ``E``/``Lt``
that :func:`screen` and :func:`fits` (cheap necessary conditions) and the insertion read.
:func:`insert_unserved` is greedy noisy ratio insertion built on them, a compiled
:func:`.operators.recreate`; :mod:`.local_search` builds the descent on them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np

from planner.routing.solver.kernels import _first_start, eval_route, insert_column, route_arrays
from planner.routing.solver.scaling import INF_T, UNREACH
from planner.routing.solver.state import State


@numba.njit(cache=True)
def work(n):  # pragma: no cover - compiled
    """The scratch arrays of the compiled search for ``n`` visits (see :func:`try_routes`)."""
    sz = n + 2
    return (
        np.empty(sz, dtype=np.int64), np.empty(sz, dtype=np.int64), np.empty(sz, dtype=np.int64),
        np.empty(2 * sz, dtype=np.int64), np.empty(2 * sz, dtype=np.int64),
        np.empty(2 * sz, dtype=np.int64), np.empty(sz, dtype=np.int64),
        np.empty(sz, dtype=np.int64), np.empty(sz, dtype=np.int64), np.empty(sz, dtype=np.int64),
    )  # fmt: skip


@numba.njit(cache=True, inline="always")
def loc_at(R, rlen, r, p, K):  # pragma: no cover - compiled
    """Location at position ``p`` of route ``r`` (0: start depot, ``rlen + 1``: end depot)."""
    if p == 0:
        return K.vs[r]
    if p > rlen[r]:
        return K.ve[r]
    return K.loc[R[r, p]]


@numba.njit(cache=True)
def gmax_ok(nodes, k, K):  # pragma: no cover - compiled
    """No group has more members in ``nodes[:k]`` than its max per route."""
    for i in range(k):
        g = K.gof[nodes[i]]
        if g < 0:
            continue
        c = 0
        for j in range(k):
            if K.gof[nodes[j]] == g:
                c += 1
        if c > K.gmax[g]:
            return False
    return True


@numba.njit(cache=True, inline="always")
def paid_used(rlen, paid):  # pragma: no cover - compiled
    """Paid hours of the vehicles in use."""
    tot = 0.0
    for r in range(rlen.shape[0]):
        if rlen[r] > 0:
            tot += paid[r]
    return tot


@numba.njit(cache=True)
def refresh(R, rlen, r1, r2, K, E, Lt, route_of, gstart, sv_u):  # pragma: no cover - compiled
    """Recompute ``E``/``Lt`` after :func:`try_routes` changed routes ``r1`` (and ``r2`` if >= 0).

    With groups, so are those of every route holding a member of a group of a visit the
    change moved (``sv_u``: the count in its last slot, the visits before it): their
    effective windows depend on the moved visits' starts.  Returns which routes it refreshed.
    """
    seen = np.zeros(rlen.shape[0], dtype=np.bool_)
    seen[r1] = True
    route_arrays(R, rlen, r1, K, E, Lt, route_of, gstart)
    if r2 >= 0:
        seen[r2] = True
        route_arrays(R, rlen, r2, K, E, Lt, route_of, gstart)
    if K.gmem.shape[0] == 0:
        return seen
    for j in range(sv_u[sv_u.shape[0] - 1]):
        g = K.gof[sv_u[j]]
        if g < 0:
            continue
        for x in range(K.gptr[g], K.gptr[g + 1]):
            rw = route_of[K.gmem[x]]
            if rw >= 0 and not seen[rw]:
                seen[rw] = True
                route_arrays(R, rlen, rw, K, E, Lt, route_of, gstart)
    return seen


# long function: one exact check-and-commit of a change of one or two routes, kept whole so
# the save/restore of the shared timing arrays stays in one place.
@numba.njit(cache=True)
def try_routes(
    r1, n1, k1, r2, n2, k2, R, rlen, route_of, gstart, dep, ret, K, s1, s2, sv_u, sv_ro, sv_gs
):  # pragma: no cover - compiled
    """Install ``n1[:k1]`` on ``r1`` (and ``n2[:k2]`` on ``r2`` if >= 0) if exactly feasible.

    The old visits of both routes and the visits entering them are taken out of
    ``route_of``/``gstart`` while ``r1`` is timed; ``r1``'s new starts are put in before
    ``r2`` is timed.  On failure everything is restored and False returned; on success the
    visits whose route or start may have changed are left in ``sv_u`` for :func:`refresh`.
    """
    if K.gmem.shape[0] > 0:
        if not gmax_ok(n1, k1, K):
            return False
        if r2 >= 0 and not gmax_ok(n2, k2, K):
            return False
    c = 0
    for p in range(1, rlen[r1] + 1):
        u = R[r1, p]
        sv_u[c] = u
        c += 1
    if r2 >= 0:
        for p in range(1, rlen[r2] + 1):
            u = R[r2, p]
            sv_u[c] = u
            c += 1
    for i in range(k1):
        u = n1[i]
        if route_of[u] != r1 and route_of[u] != r2:
            sv_u[c] = u
            c += 1
    if r2 >= 0:
        for i in range(k2):
            u = n2[i]
            if route_of[u] != r1 and route_of[u] != r2:
                sv_u[c] = u
                c += 1
    for j in range(c):
        u = sv_u[j]
        sv_ro[j] = route_of[u]
        sv_gs[j] = gstart[u]
    for j in range(c):
        route_of[sv_u[j]] = -1
    ok, d1, t1 = eval_route(n1, k1, r1, K, s1, route_of, gstart)
    d2 = np.int64(0)
    t2 = np.int64(0)
    if ok and r2 >= 0:
        for i in range(k1):
            route_of[n1[i]] = r1
            gstart[n1[i]] = s1[i]
        ok, d2, t2 = eval_route(n2, k2, r2, K, s2, route_of, gstart)
    if not ok:
        for j in range(c):
            route_of[sv_u[j]] = sv_ro[j]
            gstart[sv_u[j]] = sv_gs[j]
        return False
    for i in range(k1):
        R[r1, i + 1] = n1[i]
        route_of[n1[i]] = r1
        gstart[n1[i]] = s1[i]
    rlen[r1] = k1
    dep[r1] = d1
    ret[r1] = t1
    if r2 >= 0:
        for i in range(k2):
            R[r2, i + 1] = n2[i]
            route_of[n2[i]] = r2
            gstart[n2[i]] = s2[i]
        rlen[r2] = k2
        dep[r2] = d2
        ret[r2] = t2
    sv_u[sv_u.shape[0] - 1] = c  # for _refresh
    return True


@numba.njit(cache=True, inline="always")
def screen(r, n1, a, b, R, rlen, E, Lt, K):  # pragma: no cover - compiled
    """Necessary condition for a reordering of route ``r`` that changes positions ``a..b`` only.

    The new visits ``n1[a - 1 : b]`` are timed on plain windows from the earliest start of
    position ``a - 1`` (``E``), and must reach position ``b + 1`` by its latest start ``Lt``.
    """
    m = K.vmode[r]
    pl = loc_at(R, rlen, r, a - 1, K)
    t = E[r, 0] if a == 1 else E[r, a - 1] + K.svc[R[r, a - 1]]
    for p in range(a, b + 1):
        u = n1[p - 1]
        tr = K.T[m, pl, K.loc[u]]
        if tr >= UNREACH:
            return False
        st = _first_start(u, t + tr, K.wo, K.wc, K.nw)
        if st >= INF_T:
            return False
        t = st + K.svc[u]
        pl = K.loc[u]
    tr = K.T[m, pl, loc_at(R, rlen, r, b + 1, K)]
    return tr < UNREACH and t + tr <= Lt[r, b + 1]


@numba.njit(cache=True, inline="always")
def fits(u, r, a, b, E, Lt, R, rlen, K):  # pragma: no cover - compiled
    """Necessary condition: ``u`` fits between positions ``a`` and ``b`` of route ``r``.

    From the earliest start of position ``a`` (``E``) to the latest start of ``b`` (``Lt``),
    on plain windows (group rules and the duration limit are left to the exact check).
    """
    m = K.vmode[r]
    pl = loc_at(R, rlen, r, a, K)
    pd = E[r, 0] if a == 0 else E[r, a] + K.svc[R[r, a]]
    t = K.T[m, pl, K.loc[u]]
    if t >= UNREACH:
        return False
    st = _first_start(u, pd + t, K.wo, K.wc, K.nw)
    if st >= INF_T:
        return False
    t2 = K.T[m, K.loc[u], loc_at(R, rlen, r, b, K)]
    return t2 < UNREACH and st + K.svc[u] + t2 <= Lt[r, b]


@numba.njit(cache=True)
def without(R, rlen, r, p, out):  # pragma: no cover - compiled
    """Route ``r`` without position ``p`` (0: none) into ``out``; returns its length."""
    q = 0
    for x in range(1, rlen[r] + 1):
        if x != p:
            out[q] = R[r, x]
            q += 1
    return q


@numba.njit(cache=True)
def with_visit(R, rlen, r, pos, u, out):  # pragma: no cover - compiled
    """Route ``r`` with ``u`` after position ``pos`` into ``out``; returns its length."""
    q = 0
    if pos == 0:
        out[q] = u
        q += 1
    for x in range(1, rlen[r] + 1):
        out[q] = R[r, x]
        q += 1
        if x == pos:
            out[q] = u
            q += 1
    return q


# ----------------------------------------------------------------------------- unserved visits
@numba.njit(cache=True)
def _column(r, cand, ng, R, rlen, E, Lt, K, allowed, D, P, route_of, gstart):  # pragma: no cover
    """Cheapest insertion of each candidate into route ``r`` (``D``: time shift, ``P``: after).

    The first ``ng`` candidates (grouped) go through :func:`.kernels.insert_column`; the
    others, on plain windows, through :func:`_plain_column`, the same computation without the
    group rules.
    """
    if ng > 0:
        insert_column(r, cand[:ng], R, rlen, E, Lt, K, allowed, D[:ng], P[:ng], route_of, gstart)
    _plain_column(r, cand, ng, R, rlen, E, Lt, K.T, K.vmode[r], K.loc, K.svc, K.wo, K.wc, K.nw,
                  K.vs[r], K.ve[r], allowed, D, P)  # fmt: skip


@numba.njit(cache=True)
def _plain_column(
    r, cand, c0, R, rlen, E, Lt, T, m, loc, svc, wo, wc, nw, vs, ve, allowed, D, P
):  # pragma: no cover - compiled
    """:func:`.kernels.insert_column` for ungrouped candidates ``cand[c0:]``, arrays passed singly."""
    k = rlen[r]
    for ci in range(c0, cand.shape[0]):
        u = cand[ci]
        D[ci, r] = INF_T
        P[ci, r] = -1
        if not allowed[u, r]:
            continue
        lu = loc[u]
        best = INF_T
        bp = -1
        for p in range(k + 1):
            pl = vs if p == 0 else loc[R[r, p]]
            pdep = E[r, 0] if p == 0 else E[r, p] + svc[R[r, p]]
            tin = T[m, pl, lu]
            if tin >= UNREACH:
                continue
            st = _first_start(u, pdep + tin, wo, wc, nw)
            if st >= INF_T:
                continue
            nl = ve if p == k else loc[R[r, p + 1]]
            tout = T[m, lu, nl]
            if tout >= UNREACH:
                continue
            arrn = st + svc[u] + tout
            if arrn > Lt[r, p + 1]:
                continue
            delta = arrn - (pdep + T[m, pl, nl])
            if delta < best:
                best = delta
                bp = p
        D[ci, r] = best
        P[ci, r] = bp


# long function: the greedy loop keeps its insertion-cost matrix up to date in place.
@numba.njit(cache=True)
def insert_greedy(
    R, rlen, route_of, gstart, dep, ret, E, Lt, K, allowed, pz, skip, required, paid, budget, W,
):  # pragma: no cover - compiled  # fmt: skip
    """Greedy insertion of unserved visits by ``pz / time shift``; returns the visits inserted.

    ``pz`` is each visit's (possibly noisy) ``prize**alpha``; visits with ``skip`` set are left
    out; required visits go first.
    """
    n1, s1, s2, sv_u, sv_ro, sv_gs, _L, _cf, _cb, _nb = W
    n = route_of.shape[0]
    nv = rlen.shape[0]
    nc = 0
    for u in range(n):
        if route_of[u] < 0 and not skip[u]:
            for r in range(nv):
                if allowed[u, r]:
                    nc += 1
                    break
    if nc == 0 or nv == 0:
        return 0
    cand = np.empty(nc, dtype=np.int64)
    c = 0
    for grouped in (True, False):
        for u in range(n):
            if route_of[u] < 0 and not skip[u] and (K.gof[u] >= 0) == grouped:
                for r in range(nv):
                    if allowed[u, r]:
                        cand[c] = u
                        c += 1
                        break
        if grouped:
            ng = c
    D = np.empty((nc, nv), dtype=np.int64)
    P = np.empty((nc, nv), dtype=np.int64)
    for r in range(nv):
        _column(r, cand, ng, R, rlen, E, Lt, K, allowed, D, P, route_of, gstart)
    active = np.ones(nc, dtype=np.bool_)
    done = 0
    while True:
        bi = -1
        br = -1
        bs = -np.inf
        for ci in range(nc):
            if not active[ci]:
                continue
            for r in range(nv):
                d = D[ci, r]
                if d >= INF_T:
                    continue
                s = np.inf if required[cand[ci]] else pz[cand[ci]] / (max(d, 1) + 1.0)
                if s > bs:
                    bs = s
                    bi = ci
                    br = r
        if bi < 0:
            return done
        u = cand[bi]
        r = br
        if rlen[r] == 0 and paid_used(rlen, paid) + paid[r] > budget + 1e-9:
            D[bi, r] = INF_T
            continue
        k = with_visit(R, rlen, r, P[bi, r], u, n1)
        if not try_routes(r, n1, k, -1, n1, 0, R, rlen, route_of, gstart, dep, ret, K, s1, s2, sv_u,
                    sv_ro, sv_gs):  # fmt: skip
            D[bi, r] = INF_T
            continue
        seen = refresh(R, rlen, r, -1, K, E, Lt, route_of, gstart, sv_u)
        done += 1
        active[bi] = False
        for r2 in range(nv):
            if seen[r2]:
                _column(r2, cand, ng, R, rlen, E, Lt, K, allowed, D, P, route_of, gstart)
                for ci in range(nc):
                    if not active[ci]:
                        D[ci, r2] = INF_T


@numba.njit(cache=True)
def _insert_all(
    R, rlen, route_of, gstart, dep, ret, E, Lt, K, allowed, pz, skip, required, paid, budget
):  # pragma: no cover - compiled
    n = route_of.shape[0]
    W = work(n)
    return insert_greedy(R, rlen, route_of, gstart, dep, ret, E, Lt, K, allowed, pz, skip, required,
                   paid, budget, W)  # fmt: skip


def insert_unserved(
    st: State,
    rng: np.random.Generator | None,
    noise: float,
    alpha: float,
    exclude: Sequence[int] = (),
) -> int:
    """Compiled :func:`.operators.recreate`: greedy noisy ratio insertion of unserved visits.

    Each visit's ``prize**alpha`` is scaled by ``1 + noise * U(0, 1)`` (drawn from ``rng``
    for every visit, so the stream does not depend on the plan); visits in ``exclude`` are
    left out; required visits go first.  Unlike ``recreate`` it reads no clock: one pass
    takes milliseconds even on a week's plan.  Returns the number of visits inserted.
    """
    i = st.inst
    if i.nv == 0 or i.n == 0:
        return 0
    pz = i.prize.astype(np.float64) ** alpha
    if rng is not None and noise > 0:
        pz = pz * (1.0 + noise * rng.random(i.n))
    skip = np.zeros(i.n, dtype=np.bool_)
    if len(exclude):
        skip[np.asarray(exclude, dtype=np.int64)] = True
    budget = np.inf if i.budget is None else float(i.budget)
    done = _insert_all(
        st.R, st.rlen, st.route_of, st.start, st.dep, st.ret, st.E, st.Lt, i.kern, i.allowed,
        pz, skip, i.required, i.paid, budget,
    )  # fmt: skip
    return int(done)
