# ruff: noqa: N803, N806  (matrix names T, R, E, D follow the usual OR notation)
"""Routing core: prize-collecting patrol routes with OR-Tools as the route engine.

Model
-----
One OR-Tools node per visit plus one node per distinct station.  A time dimension carries
``service(from) + travel(from, to)`` per vehicle *mode* (one registered transit matrix per mode),
with slack (waiting) allowed.  Each visit's cumul (start of service) is restricted to its windows:
``SetRange(first open, last close)`` plus ``RemoveInterval`` for the gaps between windows.  We use
one node per visit rather than a disjunction of per-window copies because it keeps one prize
per node (no cardinality constraint over copies), keeps the node count at n instead of up to 7n,
and the routing filters handle holed cumul domains natively.  Vehicles have start cumul in
``[earliest_start, latest_end]``, end cumul <= ``latest_end`` and a span (leave -> return) bound.

Several windows per visit: the natural CP encoding (``SetRange`` over the hull plus
``RemoveInterval`` for each gap) was tried and rejected: OR-Tools removes an interior interval
value by value, so at 1e5 units per second a single 7-visit model took 48 s to build (and the
1e7 scale now used would be 100x worse).  A
disjunction of per-window copies multiplies the node count (up to 7x) and the registered
transit matrices (49x memory).  So OR-Tools sees each visit's hull ``[first open, last close]``
and our exact integer scheduler (earliest start with waiting into the next window) re-times every
route OR-Tools returns; a route that would need a start inside a gap is repaired by dropping its
lowest-prize visits, and our own insertion is exact on the windows, so everything we keep or
return respects every window.

Prize collecting: every optional visit is a one-node disjunction whose penalty is its prize times
a weight ``W`` larger than any possible total travel cost, so the objective is lexicographic:
first the prize, then travel (the tie breaker that keeps routes compact and leaves room for more
visits).  Required visits get a penalty larger than all prizes together; after the search we
check they are served (they are, whenever the search finds a way).

Unreachable legs (``inf`` in a matrix) are never turned into a large number that could be used:
an arc unreachable in every mode is removed from ``NextVar``'s domain; an arc unreachable in one
mode only gets a transit larger than the dimension capacity in that mode's matrix, which makes
any route using it infeasible (the dimension rejects it); a visit no vehicle can serve on its own
is barred from that vehicle by restricting its ``VehicleVar``.  The validator re-checks it.

Groups (min gap between service starts, max visits per route) and the paid-hours budget are not
OR-Tools dimensions.  Gaps are part of our exact scheduler: a route is always timed against the
other routes' starts, each served same-group start ``s`` cutting the open interval
``(s - gap, s + gap)`` out of the visit's windows, and a grouped visit waits until it is ``gap``
after the previous same-group visit of its own route; insertion (recreate) uses the same rule,
so a plan that needs waiting for a gap is found instead of dropping the visit.  Routes OR-Tools
returns are re-timed route by route this way; a route that cannot be timed drops the least
valuable conflicting visit (then what fits is re-inserted).  The max per route is checked when
a route is timed.  The budget is also a CP constraint over ``ActiveVehicleVar`` when the
vehicles together exceed it, so OR-Tools' local search cannot open a vehicle it can't pay for.

Scaling
-------
:func:`to_solver_int` is the single place floats become OR-Tools integers: time at
``TIME_SCALE = 10_000_000`` units per second (1e-7 s: the rounding loss of unrounded
Euclidean TOP legs is negligible, and a week, 6e12 units, is far inside int64) and prizes at ``PRIZE_SCALE =
1000``.  Travel and service round *up*, window opens and vehicle starts round *up*, window closes,
latest ends and durations round *down*: so a plan feasible in integers is feasible in floats.
Values within 1e-6 units of an integer grid point snap to it, so exact decimals such as 12.3
are not pushed up a unit by binary representation.  The validator (:mod:`planner.routing.validate`)
checks the floats.

Search (``strategy="best"``)
----------------------------
A deterministic iterated local search around OR-Tools:

1. Greedy ratio insertion (prize^2 / time shift) builds a first plan, or ``previous`` seeds it.
2. Each iteration ruins the current plan (random, related, segment or route removal; an emptied
   route is restarted from a random unserved visit so it can move to another region),
   recreates it with noisy ratio insertion (numba-compiled insertion evaluation), the removed
   visits last, then hands the routes to OR-Tools (``ReadAssignmentFromRoutes`` +
   ``SolveFromAssignmentWithParameters``, greedy descent with relocate/exchange/cross/2-opt/
   or-opt and make-active/swap-active operators) to shorten routes and swap visits in and out,
   then re-inserts into the freed time.
3. Acceptance is simulated annealing on the prize, with a start temperature of half a median
   visit's prize cooling linearly to zero (:func:`_accept`).

Large instances (more than 150 visits or 12 vehicles, :func:`_use_sub`) do not give OR-Tools the
whole plan: each iteration builds a small model of up to ``SUB_VEHICLES`` vehicles (a route the
ruin touched and routes whose shifts overlap it) with their visits and the best unserved visits
they can take, each visit's windows clipped to those shifts.  A full-plan descent on a 1,000-visit,
150-vehicle week took minutes per call, and the week-wide window hull made most of its moves
infeasible.

Determinism: no wall clock decides anything unless the machine is too slow.  ``time_limit_s``
is turned into a fixed number of iterations (:func:`iteration_budget`, a function of the time
limit, the problem's size and the size of the first plan, which is itself deterministic), all
randomness comes from ``numpy.random.default_rng(seed)``, and each OR-Tools call is a greedy
descent with no time limit, which is deterministic.  So ``solve`` returns the same plan for the
same problem, seed, time limit, ``previous`` and OR-Tools version, on any machine fast enough.
The budget is calibrated to end a little before the limit on the reference 2-core machine with
both cores busy; the limit itself is a hard stop: if the wall clock reaches
``SAFETY_FACTOR * time_limit_s + SAFETY_GRACE_S`` (a slower or overloaded machine), the search
returns the best plan so far and the solution's ``status`` says ``"time_capped"`` (then the
plan may differ between runs).  The clock starts after a once-per-process warm-up
(:func:`_warm_up`), so numba's compilation is not charged to the first solve.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numba
import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from planner.errors import InfeasibleError, InputError, PlannerError
from planner.routing.problem import RoutingProblem

log = logging.getLogger(__name__)

TIME_SCALE = 10_000_000
"""Integer time units per second."""
PRIZE_SCALE = 1000
"""Integer prize units per prize unit."""
SAFETY_FACTOR = 1.0
"""Wall-clock stop, as a multiple of ``time_limit_s`` (see module docstring)."""
SAFETY_GRACE_S = 0.25
"""Added to the wall-clock stop so a garbage-collection pause or a busy moment cannot cut a
sub-second solve short (which would make it non-deterministic for nothing)."""

INF_T = np.int64(2**61)  # "no feasible time": larger than any horizon, sums stay in int64
UNREACH = np.int64(2**59)  # unreachable leg in the integer matrices (tested explicitly)
ProgressFn = Callable[[float, float], None]


def to_solver_int(
    values: float | np.ndarray, kind: Literal["time_up", "time_down", "prize"]
) -> np.ndarray:
    """Convert float seconds or prizes to OR-Tools integers (the only place this happens).

    Parameters
    ----------
    values
        Seconds (``time_*``) or prizes (``prize``); finite.
    kind
        ``"time_up"``: ``ceil(x * TIME_SCALE)``, for travel, service, window opens, earliest
        starts, gaps (anything whose being larger is conservative).
        ``"time_down"``: ``floor(x * TIME_SCALE)``, for window closes, latest ends, durations.
        ``"prize"``: ``round(x * PRIZE_SCALE)``.

    Returns
    -------
    numpy.ndarray
        int64 array of the same shape (0-d for a scalar).

    Notes
    -----
    Products within 1e-6 units (plus a few float ulps) of an integer snap to it before
    rounding, so values that are exact in decimal (12.3 s) map to the exact grid point instead
    of one unit off; the error this admits (< 1e-11 s) is far inside the validator's tolerance.
    """
    x = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise InputError(f"cannot scale non-finite {kind} values to solver integers")
    scale = PRIZE_SCALE if kind == "prize" else TIME_SCALE
    y = x * scale
    r = np.round(y)
    near = np.abs(y - r) <= 1e-6 + 8.0 * np.finfo(np.float64).eps * np.abs(y)
    if kind == "time_up":
        out = np.where(near, r, np.ceil(y))
    elif kind == "time_down":
        out = np.where(near, r, np.floor(y))
    elif kind == "prize":
        out = r
    else:  # pragma: no cover - guarded by the Literal type
        raise ValueError(kind)
    if np.any(np.abs(out) > 2**58):
        raise InputError(f"{kind} values too large for the solver's integer scale")
    return out.astype(np.int64)


# ============================================================================ solution objects
@dataclass(frozen=True)
class Stop:
    """One served visit on a route (float seconds)."""

    visit_id: str
    arrival_s: float
    start_s: float
    departure_s: float


@dataclass(frozen=True)
class Route:
    """One vehicle's route; an unused vehicle has no stops."""

    vehicle_id: str
    stops: tuple[Stop, ...]
    leave_s: float
    return_s: float

    @property
    def used(self) -> bool:
        """Whether the route serves any visit."""
        return bool(self.stops)


@dataclass(frozen=True)
class Solution:
    """A plan: one route per vehicle, the visits left out and how it was found.

    ``objective`` is the total prize (maximised); ``travel_s`` the total travel time of the
    routes (the tie breaker).  ``status`` is ``"ok"``, ``"time_capped"`` (the wall-clock safety
    stop fired, see the module docstring) or ``"empty"`` (nothing to plan).
    """

    problem_name: str
    seed: int
    routes: tuple[Route, ...]
    unserved: tuple[str, ...]
    total_prize: float
    objective: float
    travel_s: float
    solve_time_s: float
    status: str
    strategy: str = "best"
    iterations: int = 0

    def summary(self) -> str:
        """One paragraph for logs and the CLI."""
        used = [r for r in self.routes if r.used]
        n = sum(len(r.stops) for r in self.routes)
        return (
            f"{self.problem_name}: prize {self.total_prize:g} from {n} visits on "
            f"{len(used)}/{len(self.routes)} vehicles, {len(self.unserved)} unserved, travel "
            f"{self.travel_s:.1f} s; {self.strategy} seed {self.seed}, {self.iterations} "
            f"iterations in {self.solve_time_s:.1f} s ({self.status})"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (see :meth:`from_dict`)."""
        return {
            "schema": "planner.routing-solution/1",
            "problem_name": self.problem_name,
            "seed": self.seed,
            "routes": [
                {
                    "vehicle_id": r.vehicle_id,
                    "leave_s": r.leave_s,
                    "return_s": r.return_s,
                    "stops": [[s.visit_id, s.arrival_s, s.start_s, s.departure_s] for s in r.stops],
                }
                for r in self.routes
            ],
            "unserved": list(self.unserved),
            "total_prize": self.total_prize,
            "objective": self.objective,
            "travel_s": self.travel_s,
            "solve_time_s": self.solve_time_s,
            "status": self.status,
            "strategy": self.strategy,
            "iterations": self.iterations,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Solution:
        """Inverse of :meth:`to_dict`."""
        if data.get("schema") != "planner.routing-solution/1":
            raise InputError(f"unknown solution schema {data.get('schema')!r}")
        try:
            routes = tuple(
                Route(
                    vehicle_id=str(r["vehicle_id"]),
                    stops=tuple(
                        Stop(str(s[0]), float(s[1]), float(s[2]), float(s[3])) for s in r["stops"]
                    ),
                    leave_s=float(r["leave_s"]),
                    return_s=float(r["return_s"]),
                )
                for r in data["routes"]
            )
            return cls(
                problem_name=str(data["problem_name"]),
                seed=int(data["seed"]),
                routes=routes,
                unserved=tuple(str(u) for u in data["unserved"]),
                total_prize=float(data["total_prize"]),
                objective=float(data["objective"]),
                travel_s=float(data["travel_s"]),
                solve_time_s=float(data["solve_time_s"]),
                status=str(data["status"]),
                strategy=str(data.get("strategy", "best")),
                iterations=int(data.get("iterations", 0)),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise InputError(f"malformed solution: {exc!r}") from exc


# ============================================================================ integer instance
class _Kern(NamedTuple):
    """The instance arrays every numba kernel reads, passed as one argument.

    ``gof`` is the group of each visit (-1 if none), ``ggap``/``gmax`` the min gap and max
    visits per route of each group, ``gptr``/``gmem`` the CSR lists of each group's members.
    """

    loc: np.ndarray
    svc: np.ndarray
    wo: np.ndarray
    wc: np.ndarray
    nw: np.ndarray
    T: np.ndarray
    vmode: np.ndarray
    vs: np.ndarray
    ve: np.ndarray
    vearly: np.ndarray
    vlate: np.ndarray
    vmaxdur: np.ndarray
    vred: np.ndarray
    gof: np.ndarray
    ggap: np.ndarray
    gmax: np.ndarray
    gptr: np.ndarray
    gmem: np.ndarray


@dataclass
class _Inst:
    """The problem in solver integers, as flat numpy arrays for the numba kernels."""

    n: int
    nv: int
    loc: np.ndarray
    svc: np.ndarray
    wo: np.ndarray
    wc: np.ndarray
    nw: np.ndarray
    prize: np.ndarray
    required: np.ndarray
    vmode: np.ndarray
    vs: np.ndarray
    ve: np.ndarray
    vearly: np.ndarray
    vlate: np.ndarray
    vmaxdur: np.ndarray
    vred: np.ndarray
    paid: np.ndarray
    budget: float | None
    T: np.ndarray  # (modes, L, L) int64, UNREACH where unreachable
    modes: list[str]
    group_of: np.ndarray
    group_gap: np.ndarray
    group_max: np.ndarray
    group_members: list[np.ndarray]
    gptr: np.ndarray  # CSR of group_members: members of g are gmem[gptr[g]:gptr[g + 1]]
    gmem: np.ndarray
    allowed: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.bool_))

    @functools.cached_property
    def kern(self) -> _Kern:
        """The arrays the kernels read, bundled (built once per instance)."""
        return _Kern(
            self.loc, self.svc, self.wo, self.wc, self.nw, self.T, self.vmode, self.vs, self.ve,
            self.vearly, self.vlate, self.vmaxdur, self.vred,
            self.group_of, self.group_gap, self.group_max, self.gptr, self.gmem,
        )  # fmt: skip


def _integerise(problem: RoutingProblem) -> _Inst:
    n = len(problem.visits)
    nv = len(problem.vehicles)
    modes = sorted(problem.travel_time_s)
    L = problem.n_locations
    T = np.full((max(1, len(modes)), L, L), UNREACH, dtype=np.int64)
    for mi, mode in enumerate(modes):
        mat = problem.travel_time_s[mode]
        finite = np.isfinite(mat)
        T[mi][finite] = to_solver_int(mat[finite], "time_up")
    wmax = max((len(v.windows) for v in problem.visits), default=1)
    wo = np.full((n, wmax), INF_T, dtype=np.int64)
    wc = np.full((n, wmax), -INF_T, dtype=np.int64)
    nw = np.zeros(n, dtype=np.int64)
    for i, v in enumerate(problem.visits):
        o = to_solver_int(np.array([w[0] for w in v.windows]), "time_up")
        c = to_solver_int(np.array([w[1] for w in v.windows]), "time_down")
        keep = o <= c  # a window narrower than one unit after rounding may vanish
        o, c = o[keep], c[keep]
        nw[i] = len(o)
        wo[i, : len(o)] = o
        wc[i, : len(c)] = c
    groups = {g.group_id: gi for gi, g in enumerate(problem.groups)}
    group_of = np.array(
        [groups[v.group] if v.group is not None else -1 for v in problem.visits], dtype=np.int64
    )
    vk = problem.vehicles
    vearly = to_solver_int(np.array([k.earliest_start_s for k in vk], dtype=float), "time_up")
    vlate = to_solver_int(np.array([k.latest_end_s for k in vk], dtype=float), "time_down")
    vmaxdur = to_solver_int(np.array([k.max_duration_s for k in vk], dtype=float), "time_down")
    members = [np.flatnonzero(group_of == gi) for gi in range(len(problem.groups))]
    inst = _Inst(
        n=n,
        nv=nv,
        loc=np.array([v.location for v in problem.visits], dtype=np.int64),
        svc=to_solver_int(np.array([v.service_s for v in problem.visits], dtype=float), "time_up"),
        wo=wo,
        wc=wc,
        nw=nw,
        prize=to_solver_int(np.array([v.prize for v in problem.visits], dtype=float), "prize"),
        required=np.array([v.required for v in problem.visits], dtype=np.bool_),
        vmode=np.array([modes.index(k.mode) for k in vk], dtype=np.int64),
        vs=np.array([k.start_location for k in vk], dtype=np.int64),
        ve=np.array([k.end_location for k in vk], dtype=np.int64),
        vearly=vearly,
        vlate=vlate,
        vmaxdur=vmaxdur,
        vred=(vmaxdur >= vlate - vearly),
        paid=np.array([k.paid_hours for k in vk], dtype=np.float64),
        budget=problem.budget_paid_hours,
        T=T,
        modes=modes,
        group_of=group_of,
        group_gap=to_solver_int(
            np.array([g.min_gap_s for g in problem.groups], dtype=float), "time_up"
        ).reshape(-1),
        group_max=np.array([g.max_per_route for g in problem.groups], dtype=np.int64),
        group_members=members,
        gptr=np.concatenate(([0], np.cumsum([len(x) for x in members]))).astype(np.int64),
        gmem=np.concatenate([*members, np.zeros(0, dtype=np.int64)]).astype(np.int64),
    )
    inst.allowed = _allowed_matrix(inst)
    return inst


# ============================================================================ numba kernels
# Arguments shared by the kernels: ``K`` (the instance arrays, :class:`_Kern`), ``route_of``
# and ``gstart`` (route and start of every visit in the current plan) and ``r`` (the route
# being timed: group members on it are timed by the route itself, members on other routes are
# fixed).
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
def _first_start_g(u, t, r, K, route_of, gstart):  # pragma: no cover - compiled
    """Earliest start >= ``t`` in ``u``'s effective windows on route ``r``, or INF_T.

    The effective windows keep clear, by the group's min gap, of the start of every same-group
    visit served on a route other than ``r``: each such start ``s`` forbids the open interval ``(s - gap, s + gap)``: the windows with
    those intervals cut out are the visit's effective windows on route ``r``.
    """
    wo, wc, nw, gof, ggap, gptr, gmem = K.wo, K.wc, K.nw, K.gof, K.ggap, K.gptr, K.gmem
    st = _first_start(u, t, wo, wc, nw)
    g = gof[u]
    if g < 0 or ggap[g] <= 0:
        return st
    gap = ggap[g]
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
                if st >= INF_T:
                    break
    return st


@numba.njit(cache=True)
def _last_start_g(u, b, r, K, route_of, gstart):  # pragma: no cover - compiled
    """Latest start <= ``b`` in ``u``'s effective windows on route ``r`` (see above), or -INF_T."""
    wo, wc, nw, gof, ggap, gptr, gmem = K.wo, K.wc, K.nw, K.gof, K.ggap, K.gptr, K.gmem
    st = _last_start(u, b, wo, wc, nw)
    g = gof[u]
    if g < 0 or ggap[g] <= 0:
        return st
    gap = ggap[g]
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
def _eval_route(nodes, k, v, K, starts, route_of, gstart):  # pragma: no cover - compiled
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
            nextra += gptr[g + 1] - gptr[g]
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
def _route_arrays(R, rlen, r, K, E, Lt, route_of, gstart):  # pragma: no cover - compiled
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
def _insert_column(
    r, cand, R, rlen, E, Lt, K, allowed, out_d, out_p, route_of, gstart
):  # pragma: no cover - compiled
    """Cheapest feasible insertion (time shift) of each candidate into route ``r``.

    Exact for the earliest-departure schedule, including the group rules (max per route, gap
    to the route's own members, the other routes' members' forbidden intervals); the duration
    limit is left to :func:`_eval_route`.
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
def _allowed_kernel(n, nv, K, route_of, gstart, out):  # pragma: no cover - compiled
    starts = np.zeros(1, dtype=np.int64)
    node = np.zeros(1, dtype=np.int64)
    for u in range(n):
        node[0] = u
        for v in range(nv):
            ok, _, _ = _eval_route(node, 1, v, K, starts, route_of, gstart)
            out[u, v] = ok


def _allowed_matrix(inst: _Inst) -> np.ndarray:
    """``allowed[u, v]``: visit ``u`` alone is a feasible route for vehicle ``v``."""
    i = inst
    allowed = np.zeros((inst.n, inst.nv), dtype=np.bool_)
    none = np.full(i.n, -1, dtype=np.int64)
    _allowed_kernel(i.n, i.nv, i.kern, none, np.zeros(i.n, dtype=np.int64), allowed)
    return allowed


# ============================================================================ search state
class _State:
    """Routes as arrays plus the derived schedule arrays the insertion kernel needs.

    Invariant: every installed route is timed against the starts of the other routes, so the
    group rules hold across routes at all times (a route change re-times only that route, and
    the others' schedule arrays ``E``/``Lt`` are refreshed where a group they share changed).
    """

    def __init__(self, inst: _Inst, routes: Sequence[Sequence[int]] | None = None) -> None:
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

    def copy(self) -> _State:
        new = _State.__new__(_State)
        new.inst = self.inst
        for name in ("R", "rlen", "E", "Lt", "route_of", "start", "dep", "ret"):
            setattr(new, name, getattr(self, name).copy())
        new.touched = []
        return new

    def route(self, r: int) -> list[int]:
        return [int(x) for x in self.R[r, 1 : self.rlen[r] + 1]]

    def routes(self) -> list[list[int]]:
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
        ok, d, ret = _eval_route(arr, len(arr), r, i.kern, starts, self.route_of, self.start)
        return bool(ok), int(d), int(ret), starts

    def _arrays(self, r: int) -> None:
        i = self.inst
        _route_arrays(
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
        return True

    def budget_ok(self) -> bool:
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


# ============================================================================ recreate
def _columns(
    st: _State, cand: np.ndarray, routes: Sequence[int], D: np.ndarray, P: np.ndarray
) -> None:
    i = st.inst
    for r in routes:
        _insert_column(
            r, cand, st.R, st.rlen, st.E, st.Lt, i.kern, i.allowed, D, P, st.route_of, st.start
        )  # fmt: skip


def _recreate(
    st: _State,
    rng: np.random.Generator | None,
    noise: float,
    alpha: float = 2.0,
    exclude: Sequence[int] = (),
) -> None:
    """Greedy insertion of unserved visits by (noisy) prize^alpha / time-shift ratio.

    Visits in ``exclude`` are left out (the caller inserts them in a second pass).
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


# ============================================================================ ruin
def _ruin(st: _State, rng: np.random.Generator) -> tuple[list[int], list[int]]:
    """Remove a few served visits; returns the routes it changed and the visits removed."""
    i = st.inst
    served = np.flatnonzero(st.route_of >= 0)
    if len(served) == 0:
        return [], []
    qmax = max(1, min(int(0.3 * len(served)) + 1, 30))
    q = int(rng.integers(1, qmax + 1))
    op = rng.random()
    if op < 0.3:
        rem = rng.choice(served, size=min(q, len(served)), replace=False)
    elif op < 0.65:
        # Related: the q served visits nearest (by travel in the first mode) a random one.
        seed = int(rng.choice(served))
        d = i.T[0, i.loc[seed], i.loc[served]].astype(np.float64)
        d += rng.random(len(served)) * 1e-3
        rem = served[np.argsort(d)[:q]]
    elif op < 0.9 or i.nv == 1:
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
        _seed_route(st, r, rem_l, rng)
        return [r], rem_l
    rem_l = [int(x) for x in rem]
    touched = sorted({int(st.route_of[u]) for u in rem_l})
    st.remove(rem_l)
    return touched, rem_l


def _seed_route(st: _State, r: int, removed: Sequence[int], rng: np.random.Generator) -> None:
    """Start the emptied route ``r`` from a random unserved visit it did not hold.

    Greedy insertion alone rebuilds an emptied route around the cheapest insertions, next
    to the other routes; a seed far from them lets the route move to another region (the
    optimum of p1.2.g needs a route in a corner no cheap insertion reaches).  The seed is
    drawn with probability proportional to its prize.
    """
    i = st.inst
    pool = np.flatnonzero((st.route_of < 0) & i.allowed[:, r] & (i.prize > 0))
    pool = pool[~np.isin(pool, np.asarray(removed, dtype=np.int64))]
    if len(pool) == 0:
        return
    w = i.prize[pool].astype(np.float64)
    order = rng.choice(pool, size=min(5, len(pool)), replace=False, p=w / w.sum())
    for u in order:
        if i.budget is not None and st.paid_used() + i.paid[r] > i.budget + 1e-9:
            return
        if st.set_route(r, [int(u)]):
            return


# ============================================================================ OR-Tools model
class _OrModel:
    """The OR-Tools routing model, built once per solve and re-used for every LS call."""

    def __init__(self, inst: _Inst) -> None:
        self.inst = inst
        i = inst
        dep_locs = sorted(set(i.vs.tolist()) | set(i.ve.tolist()))
        self.dep_node = {loc: i.n + j for j, loc in enumerate(dep_locs)}
        n_nodes = i.n + len(dep_locs)
        node_loc = np.concatenate((i.loc, np.array(dep_locs, dtype=np.int64)))
        node_svc = np.concatenate((i.svc, np.zeros(len(dep_locs), dtype=np.int64)))
        starts = [self.dep_node[int(x)] for x in i.vs]
        ends = [self.dep_node[int(x)] for x in i.ve]
        self.manager = pywrapcp.RoutingIndexManager(n_nodes, i.nv, starts, ends)
        self.routing = pywrapcp.RoutingModel(self.manager)
        routing = self.routing
        horizon = int(max(int(i.vlate.max()), 1)) + 1
        self.horizon = horizon
        # Objective weights: arc cost = travel // cost_div; prize weight W beats all travel.
        travel_bound = int(np.maximum(i.vlate - i.vearly, 0).sum()) + 1
        total_prize = int(i.prize.sum()) + 1
        n_req = int(i.required.sum())
        cost_div = 1
        while True:
            w = travel_bound // cost_div + 1
            if w * total_prize * (n_req + 1) < 2**61:
                break
            cost_div *= 10
        self.cost_div = cost_div
        self.W = w
        node_ix = np.arange(n_nodes)
        transit_cb = []
        cost_cb = []
        # Per-node matrices in manager index order would be cheaper to look up, but
        # RegisterTransitMatrix works on node ids (the manager maps them), which keeps this simple.
        for mi in range(len(i.modes)):
            tm = i.T[mi][np.ix_(node_loc[node_ix], node_loc[node_ix])]
            unreach = tm >= UNREACH
            transit = tm + node_svc[:, None]
            transit[unreach] = horizon + 1  # > capacity: any route using it is infeasible
            cost = tm // cost_div
            cost[unreach] = travel_bound // cost_div + 1
            transit_cb.append(routing.RegisterTransitMatrix(transit.tolist()))
            cost_cb.append(routing.RegisterTransitMatrix(cost.tolist()))
        for v in range(i.nv):
            routing.SetArcCostEvaluatorOfVehicle(cost_cb[int(i.vmode[v])], v)
        routing.AddDimensionWithVehicleTransits(
            [transit_cb[int(i.vmode[v])] for v in range(i.nv)], horizon, horizon, False, "time"
        )
        tdim = routing.GetDimensionOrDie("time")
        self.tdim = tdim
        # Arcs unreachable in every mode: remove from NextVar domains.
        all_unreach = np.all(i.T >= UNREACH, axis=0)  # (L, L)
        if all_unreach.any():
            for a in range(n_nodes):
                if a >= i.n:
                    continue
                bad = np.flatnonzero(all_unreach[node_loc[a], node_loc[: i.n]])
                nxt = routing.NextVar(self.manager.NodeToIndex(a))
                for b in bad:
                    if b != a:
                        nxt.RemoveValue(int(self.manager.NodeToIndex(int(b))))
        for u in range(i.n):
            idx = self.manager.NodeToIndex(u)
            cv = tdim.CumulVar(idx)
            k = int(i.nw[u])
            if k == 0 or not i.allowed[u].any():
                # No vehicle can serve it: keep it out of every route.
                routing.AddDisjunction([idx], 0)
                routing.ActiveVar(idx).RemoveValue(1)
                continue
            # OR-Tools sees the hull [first open, last close]; the gaps between windows are
            # enforced by our exact scheduler (see module docstring, "Several windows").
            cv.SetRange(int(max(i.wo[u, 0], 0)), int(min(i.wc[u, k - 1], horizon)))
            allowed = [int(v) for v in np.flatnonzero(i.allowed[u])]
            if len(allowed) < i.nv:
                # SetAllowedVehiclesForIndex's SWIG binding rejects Python lists in OR-Tools
                # 9.15, so restrict the vehicle variable directly (-1 = unperformed).
                routing.VehicleVar(idx).SetValues([-1, *allowed])
            pen = int(i.prize[u]) * self.W if not i.required[u] else total_prize * self.W
            routing.AddDisjunction([idx], pen)
        for v in range(i.nv):
            s = routing.Start(v)
            e = routing.End(v)
            tdim.CumulVar(s).SetRange(int(max(i.vearly[v], 0)), int(i.vlate[v]))
            tdim.CumulVar(e).SetRange(0, int(i.vlate[v]))
            if not i.vred[v]:
                tdim.SetSpanUpperBoundForVehicle(int(i.vmaxdur[v]), v)
            routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(e))
            routing.AddVariableMaximizedByFinalizer(tdim.CumulVar(s))
        if i.budget is not None and i.paid.sum() > i.budget + 1e-9:
            solver = routing.solver()
            scale = 1000
            solver.Add(
                solver.ScalProd(
                    [routing.ActiveVehicleVar(v) for v in range(i.nv)],
                    [math.ceil(p * scale) for p in i.paid.tolist()],
                )
                <= math.floor(i.budget * scale + 1e-6)
            )
        self.ls_params = self._params(greedy=True)
        # Operators are built when the model closes: close it with *our* parameters before
        # ReadAssignmentFromRoutes would close it with the defaults (which include
        # time-limited LNS operators).
        routing.CloseModelWithParameters(self.ls_params)

    @staticmethod
    def _params(greedy: bool) -> Any:
        """Search parameters for the local-search calls.

        OR-Tools' default operator set (relocate, exchange, cross, 2-opt, or-opt, make
        active/inactive, swap active, chain moves, pair/subtrip moves...) minus the operators
        that run nested searches: the CP-LNS ones (``path_lns`` etc.) are bounded by a wall-clock
        ``lns_time_limit`` and would make results machine-dependent; the cheapest-insertion LNS
        ones and Lin-Kernighan were measured slower per unit of improvement than our own
        ruin-and-recreate on the TOPTW sets (e.g. r102 m=4: 28 ms vs 11 ms a call, same final
        prize).  ``extended_swap_active`` and ``exchange_and_make_active`` are 10-50x slower
        per call and were not better at equal time, so they stay off.
        """
        p = pywrapcp.DefaultRoutingSearchParameters()
        ops = p.local_search_operators
        f = 2  # OptionalBoolean.BOOL_FALSE
        for name in (
            "use_path_lns",
            "use_full_path_lns",
            "use_tsp_lns",
            "use_inactive_lns",
            "use_global_cheapest_insertion_path_lns",
            "use_local_cheapest_insertion_path_lns",
            "use_relocate_path_global_cheapest_insertion_insert_unperformed",
            "use_global_cheapest_insertion_expensive_chain_lns",
            "use_local_cheapest_insertion_expensive_chain_lns",
            "use_global_cheapest_insertion_close_nodes_lns",
            "use_local_cheapest_insertion_close_nodes_lns",
            "use_global_cheapest_insertion_visit_types_lns",
            "use_local_cheapest_insertion_visit_types_lns",
            "use_tsp_opt",
            "use_lin_kernighan",
        ):
            setattr(ops, name, f)
        if greedy:
            p.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        p.solution_limit = 2**31 - 1
        return p

    def improve(self, st: _State) -> _State | None:
        """OR-Tools greedy descent from the routes of ``st``; None if it could not start."""
        mgr = self.manager
        routes = [[mgr.NodeToIndex(u) for u in route] for route in st.routes()]
        a = self.routing.ReadAssignmentFromRoutes(routes, True)
        if a is None:
            log.debug("OR-Tools rejected the start routes; skipping this LS call")
            return None
        sol = self.routing.SolveFromAssignmentWithParameters(a, self.ls_params)
        if sol is None:
            return None
        return self.to_state(sol)

    def routes_of(self, sol: Any) -> list[list[int]]:
        """Node ids of each vehicle's route in an OR-Tools assignment."""
        routes = []
        for v in range(self.inst.nv):
            idx = self.routing.Start(v)
            nodes = []
            idx = sol.Value(self.routing.NextVar(idx))
            while not self.routing.IsEnd(idx):
                nodes.append(self.manager.IndexToNode(idx))
                idx = sol.Value(self.routing.NextVar(idx))
            routes.append(nodes)
        return routes

    def to_state(self, sol: Any) -> _State:
        """Routes of an OR-Tools assignment, re-timed by our own exact integer schedule.

        Route by route, each against the ones installed before it, so group gaps become waits.
        """
        st = _State(self.inst)
        for r, nodes in enumerate(self.routes_of(sol)):
            st.install_repaired(r, nodes)
        return st

    def textbook(self, time_limit_s: float, seed: int) -> _State:
        p = pywrapcp.DefaultRoutingSearchParameters()
        p.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
        p.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
        p.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
        sol = self.routing.SolveWithParameters(p)
        if sol is None:
            return _State(self.inst)
        return self.to_state(sol)


def _sub_inst(inst: _Inst, vis: np.ndarray, veh: np.ndarray, budget: float | None) -> _Inst:
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
    return _Inst(
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


SUB_VEHICLES = 4
"""Vehicles per OR-Tools sub-problem on large instances (see :func:`_improve_sub`)."""
SUB_EXTRA = 40
"""Most unserved visits offered to an OR-Tools sub-problem (highest prize first)."""


def _use_sub(n: int, nv: int) -> bool:
    """Large instances call OR-Tools on sub-problems instead of the whole plan.

    A greedy descent over every route is superlinear in the size (a 1,000-visit, 150-vehicle
    week took minutes for a single call), and with week-long multi-window visits the hull
    OR-Tools sees is so loose that most of its moves are undone by the exact re-timing.
    """
    return n > 150 or nv > 12


def _pick_sub(st: _State, touched: Sequence[int], rng: np.random.Generator) -> np.ndarray:
    """Up to ``SUB_VEHICLES`` vehicles for an OR-Tools sub-problem.

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
    chosen += tset[: SUB_VEHICLES - 1]
    if len(chosen) < SUB_VEHICLES:
        rest = [int(r) for r in np.flatnonzero(over) if int(r) not in chosen]
        rest.sort(key=lambda r: (st.rlen[r] == 0, rng.random()))
        chosen += rest[: SUB_VEHICLES - len(chosen)]
    return np.array(sorted(chosen), dtype=np.int64)


def _improve_sub(st: _State, veh: np.ndarray) -> _State | None:
    """OR-Tools greedy descent on the routes of ``veh`` and the best unserved visits.

    The unserved visits offered are those the vehicles can serve, highest prize first (at most
    ``SUB_EXTRA``); the result is re-timed exactly (against the other routes) into a copy of
    ``st``, or None if OR-Tools could not start.
    """
    i = st.inst
    on = np.flatnonzero(np.isin(st.route_of, veh))
    un = np.flatnonzero((st.route_of < 0) & i.allowed[:, veh].any(axis=1))
    if len(un) > SUB_EXTRA:
        un = un[np.lexsort((un, -i.prize[un]))[:SUB_EXTRA]]
    if len(on) + len(un) == 0:
        return None
    vis = np.concatenate((on, np.sort(un))).astype(np.int64)
    budget = None
    if i.budget is not None:
        outside = (st.rlen > 0) & ~np.isin(np.arange(i.nv), veh)
        budget = max(0.0, i.budget - float(i.paid[outside].sum()))
    sub = _sub_inst(i, vis, veh, budget)
    model = _OrModel(sub)
    local = {int(u): j for j, u in enumerate(vis.tolist())}
    mgr = model.manager
    routes = [[mgr.NodeToIndex(local[u]) for u in st.route(int(r))] for r in veh]
    a = model.routing.ReadAssignmentFromRoutes(routes, True)
    if a is None:
        log.debug("OR-Tools rejected the sub-problem start routes")
        return None
    sol = model.routing.SolveFromAssignmentWithParameters(a, model.ls_params)
    if sol is None:
        return None
    new_routes = model.routes_of(sol)
    out = st.copy()
    for r in veh.tolist():
        out.set_route(r, [])
    for r, nodes in zip(veh.tolist(), new_routes, strict=True):
        out.install_repaired(r, [int(vis[x]) for x in nodes])
    return out


# ============================================================================ public API
def iteration_budget(
    problem: RoutingProblem, time_limit_s: float, served: int | None = None
) -> int:
    """Deterministic number of search iterations for a time limit.

    Calibrated on the reference 2-core machine, with both cores busy (two solves side by
    side, as in ``scripts/bench_solver.py``), so that a run takes a little less than
    ``time_limit_s`` there; a solve alone on a quiet machine finishes in about two thirds of
    it.  Only sizes enter, never the clock: the number of visits and vehicles and ``served``,
    the number of visits in the first plan (OR-Tools' local search and our insertion both
    grow with the route lengths, not only with the number of visits).  Without ``served`` the
    estimate assumes every visit is served.
    """
    n = max(1, len(problem.visits))
    m = max(1, len(problem.vehicles))
    if _use_sub(n, m):
        # OR-Tools on sub-problems: fitted on whole runs of the demo week (131/16: 6.7 ms an
        # iteration alone on the machine) and the scale benchmark's weeks (100/20: 3.9 ms,
        # 300/80: 7.1 ms, 1000/150: 25 ms), about 1.5x that with both cores busy; divided
        # by 0.75 for a margin.
        per_iter_s = (6.0e-3 + 3.0e-6 * n * m**0.5) / 0.75
    else:
        # Fitted (least squares on relative error) with both cores busy on 51 TOP and TOPTW
        # instances and 10 small random patrol problems, from 0.44 ms an iteration (n=30,
        # nothing served) to 28 ms (n=100, m=4, 42 served).  Windows per visit and groups
        # cost our exact re-timing extra work.  Measured/fitted ranged 0.56-1.55 (90% below
        # 1.35), so it is divided by 0.65: most solves end at about 70% of the limit and the
        # slowest types stop at the limit (status "time_capped").
        s = n if served is None else max(0, min(int(served), n))
        k = sum(len(v.windows) for v in problem.visits) / n
        per_iter_ms = (
            0.15 * (s > 0) + 5.2e-3 * n * m + 4.1e-3 * n * s * k + 0.46 * bool(problem.groups)
        )
        # Below 0.5 ms the fixed cost of an OR-Tools call and our bookkeeping dominates.
        per_iter_s = max(per_iter_ms, 0.5) * 1e-3 / 0.65
    return max(1, int(time_limit_s / per_iter_s))


TEMP_FACTOR = 0.5
"""Start temperature of the acceptance rule, as a fraction of the median visit prize."""


def _start_temperature(inst: _Inst) -> float:
    """Annealing start temperature in prize units.

    Scaled to one visit's prize, not to the plan's total: on small team-orienteering
    instances the prizes come in steps (5, 10, ...) larger than any fixed percentage of the
    total, and a threshold below one visit's prize never lets the search give a visit up to
    reach a better region (p1.2.g stayed at 85 against 90 for any seed that way).
    """
    pz = inst.prize[inst.allowed.any(axis=1) & (inst.prize > 0)]
    return TEMP_FACTOR * float(np.median(pz)) if len(pz) else 0.0


def _accept(
    cand: tuple[int, int, int], cur: tuple[int, int, int], temp: float, rng: np.random.Generator
) -> bool:
    """Simulated-annealing acceptance on the prize (never loses a required visit).

    Equal or better keys are always taken, so plateaus (same prize, longer travel) are
    walked; a loss of ``d`` prize is taken with probability ``exp(-d / temp)``.  The random
    number is drawn on every call so the stream does not depend on the outcome.
    """
    r = rng.random()
    if cand >= cur or (cand[0] >= cur[0] and cand[1] == cur[1]):
        return True
    if cand[0] < cur[0] or temp <= 0:
        return False
    return r < math.exp(-(cur[1] - cand[1]) / temp)


def _check_required_reachable(problem: RoutingProblem, inst: _Inst) -> None:
    """Raise InfeasibleError naming each required visit no vehicle can serve on its own."""
    bad = [u for u in range(inst.n) if inst.required[u] and not inst.allowed[u].any()]
    if not bad:
        return
    lines = []
    for u in bad:
        v = problem.visits[u]
        wins = ", ".join(f"{_hm(a)}-{_hm(b)}" for a, b in v.windows)
        parts = []
        for k in problem.vehicles:
            mat = problem.travel_time_s[k.mode]
            out = mat[k.start_location, v.location]
            back = mat[v.location, k.end_location]
            if not (math.isfinite(out) and math.isfinite(back)):
                parts.append(f"{k.vehicle_id} ({k.mode}): no {k.mode} route to or from it")
                continue
            arrive = k.earliest_start_s + out
            start = None
            for a, b in v.windows:
                if arrive <= b:
                    start = max(arrive, a)
                    break
            if start is None:
                parts.append(
                    f"{k.vehicle_id} ({k.mode}): earliest arrival {_hm(arrive)} "
                    f"({out / 60:.0f} min from its station) is after the last window closes"
                )
            else:
                parts.append(
                    f"{k.vehicle_id} ({k.mode}): earliest start {_hm(start)}, back at its "
                    f"station {_hm(start + v.service_s + back)} but the shift ends "
                    f"{_hm(k.latest_end_s)} (max duration {k.max_duration_s / 3600:.2f} h)"
                )
        shown = "; ".join(parts[:6]) + ("; ..." if len(parts) > 6 else "")
        lines.append(
            f"required visit {v.visit_id!r} (windows {wins}) cannot be served by any unit-shift: "
            f"{shown or 'there are no vehicles'}"
        )
    raise InfeasibleError(". ".join(lines))


def _hm(t: float) -> str:
    sign = "-" if t < 0 else ""
    t = abs(t)
    d, rem = divmod(round(t), 86400)
    h, rem = divmod(rem, 3600)
    return f"{sign}{f'd{d} ' if d else ''}{h:02d}:{rem // 60:02d}"


def _to_solution(
    problem: RoutingProblem,
    st: _State,
    *,
    seed: int,
    elapsed: float,
    status: str,
    strategy: str,
    iterations: int,
) -> Solution:
    inst = st.inst
    routes = []
    travel = 0.0
    served_ids = set()
    for r, k in enumerate(problem.vehicles):
        mat = problem.travel_time_s[k.mode]
        nodes = st.route(r)
        leave = float(st.dep[r]) / TIME_SCALE
        if not nodes:
            routes.append(Route(k.vehicle_id, (), leave, leave))
            continue
        stops = []
        prev_loc = k.start_location
        prev_dep = leave
        for u in nodes:
            v = problem.visits[u]
            tr = float(mat[prev_loc, v.location])
            travel += tr
            arrival = prev_dep + tr
            start = float(st.start[u]) / TIME_SCALE
            dep = start + v.service_s
            stops.append(Stop(v.visit_id, arrival, start, dep))
            served_ids.add(v.visit_id)
            prev_loc, prev_dep = v.location, dep
        tr = float(mat[prev_loc, k.end_location])
        travel += tr
        routes.append(Route(k.vehicle_id, tuple(stops), leave, prev_dep + tr))
    unserved = tuple(v.visit_id for v in problem.visits if v.visit_id not in served_ids)
    prize = float(sum(v.prize for v in problem.visits if v.visit_id in served_ids))
    del inst
    return Solution(
        problem_name=problem.name,
        seed=seed,
        routes=tuple(routes),
        unserved=unserved,
        total_prize=prize,
        objective=prize,
        travel_s=travel,
        solve_time_s=elapsed,
        status=status,
        strategy=strategy,
        iterations=iterations,
    )


def _finish(problem: RoutingProblem, sol: Solution) -> Solution:
    """Validate (never return an invalid plan) and check required visits."""
    from planner.routing.validate import validate

    report = validate(problem, sol)
    if not report.ok:
        raise PlannerError(
            "internal error: the solver produced an invalid plan (please report): "
            + "; ".join(report.errors[:5])
        )
    return sol


def _from_previous(st: _State, problem: RoutingProblem, previous: Solution) -> None:
    vidx = problem.visit_index()
    kidx = problem.vehicle_index()
    used: set[int] = set()
    for route in previous.routes:
        r = kidx.get(route.vehicle_id)
        if r is None:
            continue
        nodes = []
        for s in route.stops:
            u = vidx.get(s.visit_id)
            if u is not None and u not in used and st.inst.allowed[u, r]:
                nodes.append(u)
                used.add(u)
        st.install_repaired(r, nodes)
    st.repair()


def _empty_solution(problem: RoutingProblem, seed: int, strategy: str) -> Solution:
    routes = tuple(
        Route(k.vehicle_id, (), k.earliest_start_s, k.earliest_start_s) for k in problem.vehicles
    )
    return Solution(
        problem_name=problem.name,
        seed=seed,
        routes=routes,
        unserved=tuple(v.visit_id for v in problem.visits),
        total_prize=0.0,
        objective=0.0,
        travel_s=0.0,
        solve_time_s=0.0,
        status="empty",
        strategy=strategy,
    )


def _prepare(problem: RoutingProblem, strategy: str, seed: int) -> _Inst | Solution:
    if not isinstance(problem, RoutingProblem):
        raise InputError("solve() needs a RoutingProblem")
    problem.validate_structure()
    if not problem.vehicles or not problem.visits:
        if any(v.required for v in problem.visits):
            req = [v.visit_id for v in problem.visits if v.required]
            raise InfeasibleError(
                f"required visits {req[:5]} cannot be served: the problem has no vehicles"
            )
        return _empty_solution(problem, seed, strategy)
    inst = _integerise(problem)
    _check_required_reachable(problem, inst)
    return inst


@functools.cache
def _warm_up() -> None:
    """Warm numba's kernels and OR-Tools up once per process, on a toy problem.

    Compiling (or loading from numba's cache) and OR-Tools' first model are one-off costs
    that must not be charged to the first solve's time limit.
    """
    from planner.routing.problem import Group, Vehicle, Visit

    toy = RoutingProblem(
        name="warm-up",
        visits=tuple(
            Visit(f"w{k}", k + 1, 1.0, ((0.0, 5.0), (8.0, 50.0)), 1.0, group="g") for k in range(2)
        ),
        vehicles=(Vehicle("v", "m", 0, 0, 0.0, 100.0, 100.0, 1.0),),
        groups=(Group("g", 2.0, 2),),
        travel_time_s={"m": np.ones((3, 3)) - np.eye(3)},
        budget_paid_hours=1.0,
    )
    st = _State(_integerise(toy))
    _recreate(st, None, 0.0)
    _OrModel(st.inst).improve(st)
    st.remove([0])


def _check_required_served(problem: RoutingProblem, st: _State) -> None:
    miss = [
        problem.visits[u].visit_id
        for u in range(st.inst.n)
        if st.inst.required[u] and st.route_of[u] < 0
    ]
    if miss:
        raise InfeasibleError(
            f"no plan found that serves all required visits; unserved: {miss[:10]} (each can be "
            f"reached on its own, but not together with the other required visits within the "
            f"shifts, groups and budget)"
        )


def solve(
    problem: RoutingProblem,
    *,
    time_limit_s: float,
    seed: int,
    previous: Solution | None = None,
    progress: ProgressFn | None = None,
    strategy: str = "best",
) -> Solution:
    """Plan routes that collect the most prize.

    Parameters
    ----------
    problem
        The routing problem.
    time_limit_s
        Search effort.  Converted to a fixed iteration budget (see :func:`iteration_budget`), so
        the plan does not depend on the machine's speed; on the reference machine a solve takes
        about this long.
    seed
        Seed for every random choice.
    previous
        A previous plan to start from (visits/vehicles matched by id; anything no longer
        feasible is dropped).
    progress
        Called as ``progress(elapsed_s, best_prize)`` on every improvement.
    strategy
        ``"best"`` (iterated local search around OR-Tools) or ``"textbook"``.

    Returns
    -------
    Solution
        Always validated by :func:`planner.routing.validate.validate`.

    Raises
    ------
    InfeasibleError
        A required visit cannot be served.
    InputError
        Malformed problem or arguments.
    """
    if strategy == "textbook":
        return solve_textbook(problem, time_limit_s=time_limit_s, seed=seed)
    if strategy != "best":
        raise InputError(f"unknown strategy {strategy!r}: use 'best' or 'textbook'")
    if not (time_limit_s > 0 and math.isfinite(time_limit_s)):
        raise InputError(f"time_limit_s must be a positive number, got {time_limit_s!r}")
    # One-off numba compilation (first use after an install) must not count against the
    # limit, or the wall-clock stop could cut the first solve of a process short.
    _warm_up()
    t0 = time.perf_counter()
    prep = _prepare(problem, strategy, seed)
    if isinstance(prep, Solution):
        return prep
    inst = prep
    rng = np.random.default_rng(seed)
    sub = _use_sub(inst.n, inst.nv)
    model = None if sub else _OrModel(inst)

    def key_of(s: _State) -> tuple[int, int, int]:
        return s.key()

    # Start: previous plan (if any) then greedy insertion, then OR-Tools descent.
    cur = _State(inst)
    if previous is not None:
        _from_previous(cur, problem, previous)
    _recreate(cur, None, 0.0)
    cur.repair()
    imp = model.improve(cur) if model is not None else None
    if imp is not None:
        imp.repair()
        _recreate(imp, None, 0.0)
        if key_of(imp) >= key_of(cur):
            cur = imp
    best = cur.copy()
    best_key = key_of(best)
    temp0 = _start_temperature(inst)
    served0 = int(np.count_nonzero(cur.route_of >= 0))
    n_iter = iteration_budget(problem, time_limit_s, served=served0)
    if not inst.allowed.any():
        n_iter = 0  # no vehicle can serve any visit: nothing to search
    if progress is not None:
        progress(time.perf_counter() - t0, best_key[1] / PRIZE_SCALE)
    deadline = t0 + SAFETY_FACTOR * time_limit_s + SAFETY_GRACE_S
    status = "ok"
    it = 0
    for it in range(1, n_iter + 1):
        if time.perf_counter() > deadline:
            status = "time_capped"
            log.warning(
                "%s: time limit reached after %d of %d iterations; the plan is the best so "
                "far and may differ between runs (a faster or less busy machine avoids this)",
                problem.name,
                it - 1,
                n_iter,
            )
            break
        cand = cur.copy()
        touched, removed = _ruin(cand, rng)
        # The optional visits just removed go back last: inserted first, they would mostly
        # return to the places they left and the ruin would change nothing.  Required ones
        # go back first, before others can take their time.
        _recreate(cand, rng, noise=0.5, exclude=[u for u in removed if not inst.required[u]])
        _recreate(cand, rng, noise=0.5)
        cand.repair()
        if model is None:
            imp = _improve_sub(cand, _pick_sub(cand, touched, rng))
        else:
            imp = model.improve(cand)
        if imp is not None:
            imp.repair()
            _recreate(imp, rng, noise=0.2)
            cand = imp if key_of(imp) >= key_of(cand) else cand
        ck = key_of(cand)
        cur_key = key_of(cur)
        if _accept(ck, cur_key, temp0 * (1.0 - it / n_iter), rng):
            cur = cand
        if ck > best_key:
            best, best_key = cand.copy(), ck
            if progress is not None:
                progress(time.perf_counter() - t0, best_key[1] / PRIZE_SCALE)
    _check_required_served(problem, best)
    sol = _to_solution(
        problem,
        best,
        seed=seed,
        elapsed=time.perf_counter() - t0,
        status=status,
        strategy="best",
        iterations=it,
    )
    return _finish(problem, sol)


def solve_textbook(problem: RoutingProblem, *, time_limit_s: float, seed: int) -> Solution:
    """Textbook OR-Tools baseline: PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH, one run.

    Same model as :func:`solve` (penalty = prize, lexicographically above travel), default
    operators, a wall-clock time limit (so *not* deterministic), and the same re-timing,
    group/budget repair, greedy re-insertion and validation.  ``seed`` is recorded only: OR-Tools' routing search has no seed.
    """
    t0 = time.perf_counter()
    prep = _prepare(problem, "textbook", seed)
    if isinstance(prep, Solution):
        return prep
    model = _OrModel(prep)
    st = model.textbook(time_limit_s, seed)
    st.repair()
    # OR-Tools does not see the group rules: what the repair dropped is re-inserted where it
    # fits (gap-aware), as after every OR-Tools call in ``solve``.
    _recreate(st, None, 0.0)
    _check_required_served(problem, st)
    sol = _to_solution(
        problem,
        st,
        seed=seed,
        elapsed=time.perf_counter() - t0,
        status="ok",
        strategy="textbook",
        iterations=0,
    )
    return _finish(problem, sol)
