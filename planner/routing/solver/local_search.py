# ruff: noqa: N803, N806  (matrix names T, R, E, Lt follow the usual OR notation)
"""A compiled (numba) descent on a :class:`.state.State`: the cheap local search of every iteration.

:func:`local_search` improves a plan in place, in :meth:`.state.State.key` order (required
visits served, then prize, then less travel), until no move below improves it or
``max_rounds`` rounds have run:

- intra-route: 2-opt (reverse a stretch) and or-opt (move a stretch of 1-3 visits);
- inter-route: relocate one visit to another route, swap two visits of two routes;
- insertion: greedy ``prize**alpha / time shift`` insertion of unserved visits
  (:func:`.ls_base.insert_greedy`);
- swap-in: replace a served visit by an unserved one of higher (required, prize).

A move is first screened by its travel change (and, for moves into another route, by the
route's earliest/latest start arrays ``E``/``Lt``, a necessary condition), then checked
exactly with :func:`.kernels.eval_route` (:func:`.ls_base.try_routes`): windows (several per visit), the vehicle's shift
and duration limit, and the group rules.  Grouped visits are handled in full: a move touching
two routes times the first route against the others with both changed routes' old visits
left out, then the second against the first's new starts, so every pair of routes is checked
once (the group rules are symmetric), and the max-per-route count is checked on the routes a
visit enters.  The budget of paid hours is checked when a move starts an empty route.

:func:`insert_unserved` (from :mod:`.ls_base`) is the insertion alone with noise, a compiled
:func:`.operators.recreate` for the search's iterations.

Determinism: no clock is read; the only randomness is drawn by the caller's
:class:`numpy.random.Generator` (the route order, the insertion noise).

Speed: the hot loops read the instance arrays one by one, not through the ``K`` bundle:
passing the bundle to a helper per candidate cost more than the candidate's whole check.
"""

from __future__ import annotations

import numba
import numpy as np

from planner.routing.solver.kernels import _first_start
from planner.routing.solver.ls_base import (
    fits,
    insert_greedy,
    insert_unserved,
    loc_at,
    paid_used,
    refresh,
    screen,
    try_routes,
    with_visit,
    without,
    work,
)
from planner.routing.solver.scaling import INF_T, UNREACH
from planner.routing.solver.state import State

__all__ = ["OR_OPT_MAX", "insert_unserved", "local_search"]

#: Longest stretch an or-opt move carries.
OR_OPT_MAX = 3


# ----------------------------------------------------------------------------- intra-route
# long function: 2-opt and or-opt share the cumulative arrays and the restart on success.
@numba.njit(cache=True)
def _intra(r, R, rlen, route_of, gstart, dep, ret, E, Lt, K, W):  # pragma: no cover - compiled
    """2-opt and or-opt on route ``r`` until neither shortens it; returns moves made."""
    n1, s1, s2, sv_u, sv_ro, sv_gs, L, cf, cb, nb = W
    T = K.T
    m = K.vmode[r]
    moves = 0
    again = True
    while again:
        again = False
        k = rlen[r]
        if k < 2:
            return moves
        for p in range(k + 2):
            L[p] = loc_at(R, rlen, r, p, K)
        cf[0] = 0
        cb[0] = 0
        nb[0] = 0
        for p in range(1, k + 2):
            cf[p] = cf[p - 1] + T[m, L[p - 1], L[p]]
            t_back = T[m, L[p], L[p - 1]]
            unreach = t_back >= UNREACH
            cb[p] = cb[p - 1] + (0 if unreach else t_back)
            nb[p] = nb[p - 1] + (1 if unreach else 0)
        # 2-opt: reverse positions i..j.
        for i in range(1, k):
            for j in range(i + 1, k + 1):
                if nb[j] - nb[i] > 0:
                    continue
                a = T[m, L[i - 1], L[j]]
                b = T[m, L[i], L[j + 1]]
                if a >= UNREACH or b >= UNREACH:
                    continue
                old = T[m, L[i - 1], L[i]] + (cf[j] - cf[i]) + T[m, L[j], L[j + 1]]
                new = a + (cb[j] - cb[i]) + b
                if new >= old:
                    continue
                for q in range(k):
                    n1[q] = R[r, q + 1]
                for q in range(i, j + 1):
                    n1[q - 1] = R[r, i + j - q]
                if not screen(r, n1, i, j, R, rlen, E, Lt, K):
                    continue
                if try_routes(r, n1, k, -1, n1, 0, R, rlen, route_of, gstart, dep, ret, K, s1, s2,
                        sv_u, sv_ro, sv_gs):  # fmt: skip
                    refresh(R, rlen, r, -1, K, E, Lt, route_of, gstart, sv_u)
                    moves += 1
                    again = True
                    break
            if again:
                break
        if again:
            continue
        # Or-opt: move positions i..e (1-3 visits) to between positions j and j + 1.
        for ln in range(1, min(OR_OPT_MAX, k - 1) + 1):
            for i in range(1, k - ln + 2):
                e = i + ln - 1
                rem = T[m, L[i - 1], L[e + 1]] - T[m, L[i - 1], L[i]] - T[m, L[e], L[e + 1]]
                if T[m, L[i - 1], L[e + 1]] >= UNREACH:
                    continue
                for j in range(k + 1):
                    if i - 1 <= j <= e:
                        continue
                    a = T[m, L[j], L[i]]
                    b = T[m, L[e], L[j + 1]]
                    if a >= UNREACH or b >= UNREACH:
                        continue
                    if rem + a + b - T[m, L[j], L[j + 1]] >= 0:
                        continue
                    q = 0
                    if j < i:
                        for x in range(1, j + 1):
                            n1[q] = R[r, x]
                            q += 1
                        for x in range(i, e + 1):
                            n1[q] = R[r, x]
                            q += 1
                        for x in range(j + 1, i):
                            n1[q] = R[r, x]
                            q += 1
                        for x in range(e + 1, k + 1):
                            n1[q] = R[r, x]
                            q += 1
                    else:
                        for x in range(1, i):
                            n1[q] = R[r, x]
                            q += 1
                        for x in range(e + 1, j + 1):
                            n1[q] = R[r, x]
                            q += 1
                        for x in range(i, e + 1):
                            n1[q] = R[r, x]
                            q += 1
                        for x in range(j + 1, k + 1):
                            n1[q] = R[r, x]
                            q += 1
                    lo = j + 1 if j < i else i
                    hi = e if j < i else j
                    if not screen(r, n1, lo, hi, R, rlen, E, Lt, K):
                        continue
                    if try_routes(r, n1, k, -1, n1, 0, R, rlen, route_of, gstart, dep, ret, K, s1, s2,
                            sv_u, sv_ro, sv_gs):  # fmt: skip
                        refresh(R, rlen, r, -1, K, E, Lt, route_of, gstart, sv_u)
                        moves += 1
                        again = True
                        break
                if again:
                    break
            if again:
                break
    return moves


# ----------------------------------------------------------------------------- inter-route
@numba.njit(cache=True)
def _fill_locs(R, rlen, r, K, Lr):  # pragma: no cover - compiled
    """``Lr[r, p]``: location at position ``p`` of route ``r``, depots included."""
    k = rlen[r]
    Lr[r, 0] = K.vs[r]
    for p in range(1, k + 1):
        Lr[r, p] = K.loc[R[r, p]]
    Lr[r, k + 1] = K.ve[r]


# long function: relocate and swap share the scan over (route, position) pairs; the travel
# deltas are written out inline because this is the hot loop of the whole search.
@numba.njit(cache=True)
def _inter(
    R, rlen, route_of, gstart, dep, ret, E, Lt, K, allowed, paid, budget, W
):  # pragma: no cover - compiled
    """One pass of inter-route relocate and swap (first improvement); returns moves made."""
    n1, s1, s2, sv_u, sv_ro, sv_gs, _L, _cf, _cb, n2 = W
    nv = rlen.shape[0]
    T = K.T
    Lr = np.empty((nv, R.shape[1]), dtype=np.int64)
    for r in range(nv):
        _fill_locs(R, rlen, r, K, Lr)
    moves = 0
    for r1 in range(nv):
        m1 = K.vmode[r1]
        p = 1
        while p <= rlen[r1]:
            u = R[r1, p]
            lu = Lr[r1, p]
            a = Lr[r1, p - 1]
            b = Lr[r1, p + 1]
            out1 = T[m1, a, lu] + T[m1, lu, b]
            if rlen[r1] == 1:
                rem = -out1
            else:
                rem = T[m1, a, b]
                rem = INF_T if rem >= UNREACH else rem - out1
            done = False
            for r2 in range(nv):
                if r2 == r1 or rem >= INF_T:
                    continue
                m2 = K.vmode[r2]
                k2 = rlen[r2]
                # Relocate u into r2.
                if allowed[u, r2] and not (
                    k2 == 0 and paid_used(rlen, paid) + paid[r2] > budget + 1e-9
                ):
                    for q in range(k2 + 1):
                        x = Lr[r2, q]
                        y = Lr[r2, q + 1]
                        t1 = T[m2, x, lu]
                        t2 = T[m2, lu, y]
                        if t1 >= UNREACH or t2 >= UNREACH:
                            continue
                        ins = t1 + t2 - (T[m2, x, y] if k2 > 0 else 0)
                        if rem + ins >= 0 or not fits(u, r2, q, q + 1, E, Lt, R, rlen, K):
                            continue
                        k1 = without(R, rlen, r1, p, n1)
                        with_visit(R, rlen, r2, q, u, n2)
                        if try_routes(r1, n1, k1, r2, n2, k2 + 1, R, rlen, route_of, gstart, dep,
                                ret, K, s1, s2, sv_u, sv_ro, sv_gs):  # fmt: skip
                            refresh(R, rlen, r1, r2, K, E, Lt, route_of, gstart, sv_u)
                            _fill_locs(R, rlen, r1, K, Lr)
                            _fill_locs(R, rlen, r2, K, Lr)
                            moves += 1
                            done = True
                            break
                    if done:
                        break
                # Swap u with w of r2 (each route keeps its size; each pair once).
                if r2 < r1 or not allowed[u, r2]:
                    continue
                for q in range(1, k2 + 1):
                    w = R[r2, q]
                    if not allowed[w, r1]:
                        continue
                    lw = Lr[r2, q]
                    x = Lr[r2, q - 1]
                    y = Lr[r2, q + 1]
                    t1 = T[m1, a, lw]
                    t2 = T[m1, lw, b]
                    t3 = T[m2, x, lu]
                    t4 = T[m2, lu, y]
                    if t1 >= UNREACH or t2 >= UNREACH or t3 >= UNREACH or t4 >= UNREACH:
                        continue
                    if t1 + t2 - out1 + t3 + t4 - T[m2, x, lw] - T[m2, lw, y] >= 0:
                        continue
                    if not (
                        fits(w, r1, p - 1, p + 1, E, Lt, R, rlen, K)
                        and fits(u, r2, q - 1, q + 1, E, Lt, R, rlen, K)
                    ):
                        continue
                    k1 = without(R, rlen, r1, 0, n1)
                    n1[p - 1] = w
                    without(R, rlen, r2, 0, n2)
                    n2[q - 1] = u
                    if try_routes(r1, n1, k1, r2, n2, k2, R, rlen, route_of, gstart, dep, ret, K,
                            s1, s2, sv_u, sv_ro, sv_gs):  # fmt: skip
                        refresh(R, rlen, r1, r2, K, E, Lt, route_of, gstart, sv_u)
                        _fill_locs(R, rlen, r1, K, Lr)
                        _fill_locs(R, rlen, r2, K, Lr)
                        moves += 1
                        done = True
                        break
                if done:
                    break
            if not done:
                p += 1
    return moves


@numba.njit(cache=True)
def _better(u, w, prize, required):  # pragma: no cover - compiled
    """Serving ``w`` instead of ``u`` raises (required served, prize); ``u`` is never required.

    A required visit is never swapped out, even for another required one of higher prize:
    trading required visits for prize strands the ones that only fit together (a post's
    consecutive slots), and the insertion puts every required visit first anyway.
    """
    if required[u]:
        return False
    if required[w]:
        return True
    return prize[w] > prize[u]


# long function: the scan over (unserved, served) pairs with its position screening.
@numba.njit(cache=True)
def _swap_in(
    R, rlen, route_of, gstart, dep, ret, E, Lt, K, allowed, prize, required, W
):  # pragma: no cover - compiled
    """Replace served visits by better unserved ones (first improvement); returns swaps made.

    Unserved visits are tried by (required, prize) descending; for each, the served visits it
    beats, lowest prize first; ``w`` goes in ``u``'s place or one step before or after it,
    cheapest first of those that pass the ``E``/``Lt`` screen (:func:`screen`).
    """
    n1, s1, s2, sv_u, sv_ro, sv_gs, _L, _cf, _cb, _nb = W
    n = route_of.shape[0]
    key = np.empty(n, dtype=np.float64)
    big = float(prize.max()) + 1.0 if n > 0 else 1.0
    for u in range(n):
        key[u] = float(prize[u]) + (big if required[u] else 0.0)
    order = np.argsort(key, kind="mergesort")
    best = np.empty(3, dtype=np.int64)
    swaps = 0
    for oi in range(n - 1, -1, -1):
        w = order[oi]
        if route_of[w] >= 0:
            continue
        done = False
        for uj in range(n):
            u = order[uj]
            if key[u] >= key[w]:
                break
            r = route_of[u]
            if r < 0 or not allowed[w, r] or not _better(u, w, prize, required):
                continue
            k = rlen[r]
            p = 1
            while R[r, p] != u:
                p += 1
            # w in u's place, or one step before or after it; cheapest screened first.
            for v in range(3):
                best[v] = _swap_delta(R, rlen, r, p, w, v, E, Lt, K.T, K.vmode[r], K.loc,
                                      K.svc, K.wo, K.wc, K.nw, K.vs[r], K.ve[r])  # fmt: skip
            for _ in range(3):
                v = int(np.argmin(best))
                if best[v] >= INF_T:
                    break
                best[v] = INF_T
                _swap_seq(R, r, k, p, w, v, n1)
                if try_routes(r, n1, k, -1, n1, 0, R, rlen, route_of, gstart, dep, ret, K, s1, s2,
                        sv_u, sv_ro, sv_gs):  # fmt: skip
                    refresh(R, rlen, r, -1, K, E, Lt, route_of, gstart, sv_u)
                    swaps += 1
                    done = True
                    break
            if done:
                break
    return swaps


@numba.njit(cache=True)
def _swap_seq(R, r, k, p, w, v, out):  # pragma: no cover - compiled
    """Route ``r`` with position ``p`` replaced by ``w`` into ``out``; first changed position.

    ``w`` goes in ``p``'s place (``v`` 0), one step earlier (1) or later (2); returns 0 if
    ``v`` does not fit the route.
    """
    if (v == 1 and p < 2) or (v == 2 and p >= k):
        return 0
    for x in range(1, k + 1):
        out[x - 1] = R[r, x]
    if v == 0:
        out[p - 1] = w
        return p
    if v == 1:
        out[p - 2] = w
        out[p - 1] = R[r, p - 1]
        return p - 1
    out[p - 1] = R[r, p + 1]
    out[p] = w
    return p


# long function: the three placements are written out so the screen needs no copy.
@numba.njit(cache=True)
def _swap_delta(
    R, rlen, r, p, w, v, E, Lt, T, m, loc, svc, wo, wc, nw, vs, ve
):  # pragma: no cover - compiled
    """Travel change of :func:`_swap_seq` ``v`` if it passes the ``E``/``Lt`` screen, or INF_T.

    Takes the instance arrays one by one (not ``K``): it runs for every (unserved, served)
    pair, and passing the whole bundle costs more than the screen.
    """
    k = rlen[r]
    if (v == 1 and p < 2) or (v == 2 and p >= k):
        return INF_T
    # Placement: from position a (kept) through x1, x2 (x2 < 0: one visit) to position b.
    if v == 0:
        a, x1, x2, b = p - 1, w, -1, p + 1
    elif v == 1:
        a, x1, x2, b = p - 2, w, R[r, p - 1], p + 1
    else:
        a, x1, x2, b = p - 1, R[r, p + 1], w, p + 2
    la = vs if a == 0 else loc[R[r, a]]
    lb = ve if b == k + 1 else loc[R[r, b]]
    t = E[r, 0] if a == 0 else E[r, a] + svc[R[r, a]]
    pl = la
    trav = 0
    for j in range(2):
        x = x1 if j == 0 else x2
        if x < 0:
            break
        tr = T[m, pl, loc[x]]
        if tr >= UNREACH:
            return INF_T
        st = _first_start(x, t + tr, wo, wc, nw)
        if st >= INF_T:
            return INF_T
        t = st + svc[x]
        trav += tr
        pl = loc[x]
    tr = T[m, pl, lb]
    if tr >= UNREACH or t + tr > Lt[r, b]:
        return INF_T
    trav += tr
    # Old travel from a to b: through p (and p - 1 or p + 1 for v 1, 2).
    old = 0
    pl = la
    for q in range(a + 1, b + 1):
        lq = ve if q == k + 1 else loc[R[r, q]]
        old += T[m, pl, lq]
        pl = lq
    return trav - old


# ----------------------------------------------------------------------------- driver
@numba.njit(cache=True)
def _descent(
    R, rlen, route_of, gstart, dep, ret, E, Lt, K, allowed, prize, required, paid, budget,
    alpha, do_routes, do_insert, do_swap, max_rounds, order,
):  # pragma: no cover - compiled  # fmt: skip
    """Rounds of intra, inter, insertion and swap-in moves until none improves."""
    n = route_of.shape[0]
    pz = prize.astype(np.float64) ** alpha
    skip = np.zeros(n, dtype=np.bool_)
    W = work(n)
    nv = rlen.shape[0]
    total = 0
    # The caller's plan had every insertion tried (recreate): insertion is tried again only
    # once a move may have freed time.
    freed = not do_routes
    for _ in range(max_rounds):
        moves = 0
        if do_routes:
            for j in range(nv):
                moves += _intra(order[j], R, rlen, route_of, gstart, dep, ret, E, Lt, K, W)
            moves += _inter(R, rlen, route_of, gstart, dep, ret, E, Lt, K, allowed, paid, budget, W)
        if do_insert and (freed or moves > 0):
            moves += insert_greedy(R, rlen, route_of, gstart, dep, ret, E, Lt, K, allowed, pz, skip,
                             required, paid, budget, W)  # fmt: skip
        freed = False
        if do_swap:
            swaps = _swap_in(R, rlen, route_of, gstart, dep, ret, E, Lt, K, allowed, prize,
                             required, W)  # fmt: skip
            freed = swaps > 0
            moves += swaps
        total += moves
        if moves == 0:
            break
    return total


def local_search(
    st: State,
    rng: np.random.Generator | None = None,
    *,
    alpha: float = 2.0,
    routes: bool = True,
    insert: bool = True,
    swap: bool = True,
    max_rounds: int = 50,
) -> int:
    """Improve ``st`` in place by the compiled descent; returns the number of moves made.

    Parameters
    ----------
    st
        The plan (its arrays are changed in place and stay exactly timed).
    rng
        Draws the order routes are scanned in (``None``: in index order).
    alpha
        Prize exponent of the insertion ratio (``SolveParams.insert_alpha``).
    routes, insert, swap
        Switch the route moves (intra and inter), the insertion of unserved visits and the
        swap-in of better unserved visits on or off.
    max_rounds
        Most rounds of all moves (each round that makes no move ends the descent).
    """
    i = st.inst
    if i.nv == 0 or i.n == 0:
        return 0
    order = rng.permutation(i.nv) if rng is not None else np.arange(i.nv)
    budget = np.inf if i.budget is None else float(i.budget)
    moves = _descent(
        st.R, st.rlen, st.route_of, st.start, st.dep, st.ret, st.E, st.Lt, i.kern,
        i.allowed, i.prize, i.required, i.paid, budget, float(alpha), routes, insert, swap,
        max_rounds, order.astype(np.int64),
    )  # fmt: skip
    return int(moves)
