# ruff: noqa: N803, N806  (matrix names T, R, E, Lt follow the usual OR notation)
"""The numba-compiled scheduling kernels: exact route timing and insertion evaluation.

Every kernel works on solver integers (:mod:`.scaling`).  Windows are exact (a visit waits
into its next window), and so are the group rules: a grouped visit starts at least its group's
gap after the previous same-group visit of its own route, and keeps out of the open interval
``(s - gap, s + gap)`` around every same-group start ``s`` on another route and, where the
group has a time-of-day gap ``rg``, of ``(s + k DAY - rg, s + k DAY + rg)`` for every whole
number of days ``k != 0`` (visits do not come at the same time of day on another day; between
members bound by that rule, ``K.vrep``).

Arguments shared by the kernels: ``K`` (the instance arrays, :class:`.instance.Kern`),
``route_of`` and ``gstart`` (route and start of every visit in the current plan) and ``r`` (the
route being timed: group members on it are timed by the route itself, members on other routes
are fixed).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from planner.routing.solver.scaling import INF_T, TIME_SCALE, UNREACH

#: One day in solver time units (the period of a group's time-of-day gap).
DAY_T = np.int64(86_400 * TIME_SCALE)


@numba.njit(cache=True)
def _first_start(u: int, t: int, wo: np.ndarray, wc: np.ndarray, nw: np.ndarray) -> Any:
    """Earliest start of service at ``u`` for arrival ``t`` (waiting allowed), or INF_T."""
    for k in range(nw[u]):
        if t <= wc[u, k]:
            return max(t, wo[u, k])
    return INF_T


@numba.njit(cache=True)
def _last_start(u: int, b: int, wo: np.ndarray, wc: np.ndarray, nw: np.ndarray) -> Any:
    """Latest start of service at ``u`` not after ``b``, or -INF_T."""
    for k in range(nw[u] - 1, -1, -1):
        if wo[u, k] <= b:
            return min(b, wc[u, k])
    return -INF_T


@numba.njit(cache=True)
def _near_day(delta, rg):  # pragma: no cover - compiled
    """Whole days ``k >= 1`` (signed) with ``|delta - k DAY_T| < rg``, or 0 if none."""
    if rg <= 0:
        return 0
    k = (delta + DAY_T // 2) // DAY_T
    if k == 0:
        return 0
    off = delta - k * DAY_T
    if -rg < off and off < rg:
        return k
    return 0


@numba.njit(cache=True)
def _first_start_g(u, t, r, K, route_of, gstart):  # pragma: no cover - compiled
    """Earliest start >= ``t`` in ``u``'s effective windows on route ``r``, or INF_T.

    The effective windows keep clear, by the group's min gap, of the start of every same-group
    visit served on a route other than ``r``: each such start ``s`` forbids the open interval
    ``(s - gap, s + gap)``; with a time-of-day gap ``rg`` (``K.grep``) it also forbids
    ``(s + k DAY - rg, s + k DAY + rg)`` for every whole number of days ``k != 0``.  The windows
    with those intervals cut out are the visit's effective windows on route ``r``.
    """
    wo, wc, nw, gof, ggap, gptr, gmem = K.wo, K.wc, K.nw, K.gof, K.ggap, K.gptr, K.gmem
    st = _first_start(u, t, wo, wc, nw)
    g = gof[u]
    if g < 0:
        return st
    gap = ggap[g]
    rg = K.grep[g] if K.vrep[u] else 0
    if gap <= 0 and rg <= 0:
        return st
    moved = True
    while moved and st < INF_T:
        moved = False
        for j in range(gptr[g], gptr[g + 1]):
            w = gmem[j]
            rw = route_of[w]
            if w == u or rw < 0 or rw == r:
                continue
            sw = gstart[w]
            if sw - gap < st and st < sw + gap:
                st = _first_start(u, sw + gap, wo, wc, nw)
                moved = True
            elif K.vrep[w]:
                # Compared on the local clock (``voff``: a clock change inside the week).
                shift = K.voff[w] - K.voff[u]
                k = _near_day(st - sw - shift, rg)
                if k != 0:
                    st = _first_start(u, sw + shift + k * DAY_T + rg, wo, wc, nw)
                    moved = True
            if st >= INF_T:
                break
    return st


@numba.njit(cache=True)
def _last_start_g(u, b, r, K, route_of, gstart):  # pragma: no cover - compiled
    """Latest start <= ``b`` in ``u``'s effective windows on route ``r`` (see above), or -INF_T."""
    wo, wc, nw, gof, ggap, gptr, gmem = K.wo, K.wc, K.nw, K.gof, K.ggap, K.gptr, K.gmem
    st = _last_start(u, b, wo, wc, nw)
    g = gof[u]
    if g < 0:
        return st
    gap = ggap[g]
    rg = K.grep[g] if K.vrep[u] else 0
    if gap <= 0 and rg <= 0:
        return st
    moved = True
    while moved and st > -INF_T:
        moved = False
        for j in range(gptr[g], gptr[g + 1]):
            w = gmem[j]
            rw = route_of[w]
            if w == u or rw < 0 or rw == r:
                continue
            sw = gstart[w]
            if sw - gap < st and st < sw + gap:
                st = _last_start(u, sw - gap, wo, wc, nw)
                moved = True
            elif K.vrep[w]:
                shift = K.voff[w] - K.voff[u]
                k = _near_day(st - sw - shift, rg)
                if k != 0:
                    st = _last_start(u, sw + shift + k * DAY_T - rg, wo, wc, nw)
                    moved = True
            if st <= -INF_T:
                break
    return st


@numba.njit(cache=True)
def _forward(nodes, k, d, r, K, starts, route_of, gstart):  # pragma: no cover - compiled
    """Earliest schedule of route ``r`` from departure ``d``: fills ``starts``, returns INF_T or the return.

    A grouped visit waits until it is ``gap`` after the previous same-group visit of the route
    and clear of the same-group starts on other routes (:func:`_first_start_g`).
    """
    loc, svc, T, gof, ggap = K.loc, K.svc, K.T, K.gof, K.ggap
    m = K.vmode[r]
    e_loc = K.ve[r]
    t = d
    pl = K.vs[r]
    ps = 0
    for i in range(k):
        u = nodes[i]
        tr = T[m, pl, loc[u]]
        if tr >= UNREACH:
            return INF_T
        a = t + ps + tr
        g = gof[u]
        if g >= 0:
            for j in range(i - 1, -1, -1):
                if gof[nodes[j]] == g:
                    lb = starts[j] + ggap[g]
                    if lb > a:
                        a = lb
                    break
        st = _first_start_g(u, a, r, K, route_of, gstart)
        if st >= INF_T:
            return INF_T
        starts[i] = st
        t = st
        pl = loc[u]
        ps = svc[u]
    tr = T[m, pl, e_loc]
    if tr >= UNREACH:
        return INF_T
    return t + ps + tr


@numba.njit(cache=True)
def eval_route(nodes, k, v, K, starts, route_of, gstart):  # pragma: no cover - compiled
    """Canonical schedule of a route for vehicle ``v`` (timed against the other routes).

    Returns ``(feasible, departure, return)`` and fills ``starts``.  Departure is the earliest
    start when the duration limit is redundant; otherwise the departure minimising the duration
    among the breakpoints where a window close, the start of a group's forbidden interval or
    the latest end becomes binding.  Every candidate is timed exactly, so the result is always
    feasible when reported so.
    """
    loc, svc, wo, wc, nw, T = K.loc, K.svc, K.wo, K.wc, K.nw, K.T
    vs, ve, vlate = K.vs, K.ve, K.vlate
    gof, ggap, gptr, gmem = K.gof, K.ggap, K.gptr, K.gmem
    m = K.vmode[v]
    d0 = K.vearly[v]
    ret = _forward(nodes, k, d0, v, K, starts, route_of, gstart)
    if ret > vlate[v]:
        return False, d0, ret
    if ret - d0 <= K.vmaxdur[v]:
        return True, d0, ret
    if K.vred[v]:
        return False, d0, ret
    # Candidate departures: for each position, each (effective) window close minus the
    # no-wait prefix.
    best_dur = ret - d0
    best_d = d0
    tmp = np.empty(max(k, 1), dtype=np.int64)
    nextra = 0
    for i in range(k):
        g = gof[nodes[i]]
        if g >= 0:
            nextra += (4 if K.grep[g] > 0 else 1) * (gptr[g + 1] - gptr[g])
    cands = np.empty(k * wo.shape[1] + nextra + 2, dtype=np.int64)
    prefix = 0
    pl = vs[v]
    ps = 0
    ncand = 0
    for i in range(k):
        u = nodes[i]
        prefix += ps + T[m, pl, loc[u]]
        for w in range(nw[u]):
            cands[ncand] = wc[u, w] - prefix
            ncand += 1
        g = gof[u]
        if g >= 0:
            for j in range(gptr[g], gptr[g + 1]):
                w2 = gmem[j]
                if w2 != u and route_of[w2] >= 0 and route_of[w2] != v:
                    cands[ncand] = gstart[w2] - ggap[g] - prefix
                    ncand += 1
                    rg = K.grep[g]
                    if rg > 0 and K.vrep[u] and K.vrep[w2]:
                        # The time-of-day intervals the days around this start fall into.
                        sw = gstart[w2] + K.voff[w2] - K.voff[u]
                        k0 = (d0 + prefix - sw + DAY_T // 2) // DAY_T
                        for kk in range(k0 - 1, k0 + 2):
                            if kk != 0:
                                cands[ncand] = sw + kk * DAY_T - rg - prefix
                                ncand += 1
        pl = loc[u]
        ps = svc[u]
    prefix += ps + T[m, pl, ve[v]]
    cands[ncand] = vlate[v] - prefix
    ncand += 1
    for c in range(ncand):
        d = cands[c]
        if d <= d0 or d > vlate[v]:
            continue
        rt = _forward(nodes, k, d, v, K, tmp, route_of, gstart)
        if rt <= vlate[v] and (rt - d < best_dur or (rt - d == best_dur and d < best_d)):
            best_dur = rt - d
            best_d = d
    if best_dur > K.vmaxdur[v]:
        return False, d0, ret
    ret = _forward(nodes, k, best_d, v, K, starts, route_of, gstart)
    return True, best_d, ret


@numba.njit(cache=True)
def route_arrays(R, rlen, r, K, E, Lt, route_of, gstart):  # pragma: no cover - compiled
    """Earliest starts ``E[r, 0..k+1]`` (from earliest departure) and latest starts ``Lt``.

    Both respect the group gaps: same-route members ``gap`` apart, other routes' members'
    forbidden intervals.  ``Lt[r, p]`` is the latest start of position ``p`` from which the rest
    of the route is feasible (the prefix timed earliest).
    """
    loc, svc, T, gof, ggap = K.loc, K.svc, K.T, K.gof, K.ggap
    vs, ve, vearly, vlate = K.vs, K.ve, K.vearly, K.vlate
    m = K.vmode[r]
    k = rlen[r]
    E[r, 0] = vearly[r]
    t = vearly[r]
    pl = vs[r]
    ps = 0
    for p in range(1, k + 1):
        u = R[r, p]
        a = t + ps + T[m, pl, loc[u]]
        g = gof[u]
        if g >= 0:
            for q in range(p - 1, 0, -1):
                if gof[R[r, q]] == g:
                    lb = E[r, q] + ggap[g]
                    if lb > a:
                        a = lb
                    break
        st = _first_start_g(u, a, r, K, route_of, gstart)
        E[r, p] = st
        t = st
        pl = loc[u]
        ps = svc[u]
    E[r, k + 1] = t + ps + T[m, pl, ve[r]]
    Lt[r, k + 1] = vlate[r]
    b = vlate[r]
    nl = ve[r]
    for p in range(k, 0, -1):
        u = R[r, p]
        bb = b - svc[u] - T[m, loc[u], nl]
        g = gof[u]
        if g >= 0:
            for q in range(p + 1, k + 1):
                if gof[R[r, q]] == g:
                    ub = Lt[r, q] - ggap[g]
                    if ub < bb:
                        bb = ub
                    break
        lt = _last_start_g(u, bb, r, K, route_of, gstart)
        Lt[r, p] = lt
        b = lt
        nl = loc[u]
    Lt[r, 0] = b - T[m, vs[r], nl]


@numba.njit(cache=True)
def insert_column(
    r, cand, R, rlen, E, Lt, K, allowed, out_d, out_p, route_of, gstart
):  # pragma: no cover - compiled
    """Cheapest feasible insertion (time shift) of each candidate into route ``r``.

    Exact for the earliest-departure schedule, including the group rules (max per route, gap
    to the route's own members, the other routes' members' forbidden intervals); the duration
    limit is left to :func:`eval_route`.
    """
    loc, svc, T, vs, ve = K.loc, K.svc, K.T, K.vs, K.ve
    gof, ggap, gmax = K.gof, K.ggap, K.gmax
    m = K.vmode[r]
    k = rlen[r]
    mpos = np.empty(k + 2, dtype=np.int64)
    for ci in range(cand.shape[0]):
        u = cand[ci]
        out_d[ci, r] = INF_T
        out_p[ci, r] = -1
        if not allowed[u, r]:
            continue
        g = gof[u]
        nm = 0
        gap = 0
        if g >= 0:
            gap = ggap[g]
            for q in range(1, k + 1):
                if gof[R[r, q]] == g:
                    mpos[nm] = q
                    nm += 1
            if nm + 1 > gmax[g]:
                continue
        lu = loc[u]
        best = INF_T
        bp = -1
        for p in range(k + 1):
            if p == 0:
                pl = vs[r]
                pdep = E[r, 0]
            else:
                a = R[r, p]
                pl = loc[a]
                pdep = E[r, p] + svc[a]
            tin = T[m, pl, lu]
            if tin >= UNREACH:
                continue
            arr = pdep + tin
            ub = INF_T
            if nm > 0:
                # Previous same-group member (position <= p) and next one (position > p).
                for j in range(nm):
                    q = mpos[j]
                    if q <= p:
                        lb = E[r, q] + gap
                        if lb > arr:
                            arr = lb
                    else:
                        ub = Lt[r, q] - gap
                        break
            st = _first_start_g(u, arr, r, K, route_of, gstart)
            if st >= INF_T or st > ub:
                continue
            nl = ve[r] if p == k else loc[R[r, p + 1]]
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
        out_d[ci, r] = best
        out_p[ci, r] = bp


@numba.njit(cache=True)
def allowed_kernel(n, nv, K, route_of, gstart, out):  # pragma: no cover - compiled
    """``out[u, v]``: visit ``u`` alone is a feasible route for vehicle ``v``."""
    starts = np.zeros(1, dtype=np.int64)
    node = np.zeros(1, dtype=np.int64)
    for u in range(n):
        node[0] = u
        for v in range(nv):
            ok, _, _ = eval_route(node, 1, v, K, starts, route_of, gstart)
            out[u, v] = ok
