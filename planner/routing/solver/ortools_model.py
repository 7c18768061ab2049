"""The OR-Tools routing model the search hands its routes to, and the textbook baseline.

One OR-Tools node per visit plus one node per distinct station.  A time dimension carries
``service(from) + travel(from, to)`` per vehicle *mode* (one registered transit matrix per
mode), with slack (waiting) allowed.  Vehicles have start cumul in ``[earliest_start,
latest_end]``, end cumul <= ``latest_end`` and a span (leave -> return) bound.

Several windows per visit: OR-Tools sees only each visit's hull ``[first open, last close]``
(``SetRange``).  The natural CP encoding, ``RemoveInterval`` for each gap between windows, was
tried and rejected: OR-Tools removes an interior interval value by value, so at 1e5 units per
second a single 7-visit model took 48 s to build (and the 1e7 scale now used would be 100x
worse).  A disjunction of per-window copies multiplies the node count (up to 7x) and the
registered transit matrices (49x memory).  So our exact integer scheduler (earliest start with
waiting into the next window, :mod:`.kernels`) re-times every route OR-Tools returns; a route
that would need a start inside a gap is repaired by dropping its lowest-prize visits, and our
own insertion is exact on the windows, so everything we keep or return respects every window.

Prize collecting: every optional visit is a one-node disjunction whose penalty is its prize
times a weight ``W`` larger than any possible total travel cost, so the objective is
lexicographic: first the prize, then travel (the tie breaker that keeps routes compact and
leaves room for more visits).  Required visits get a penalty larger than all prizes together;
after the search we check they are served.

Unreachable legs (``inf`` in a matrix) are never turned into a large number that could be
used: an arc unreachable in every mode is removed from ``NextVar``'s domain; an arc unreachable
in one mode only gets a transit larger than the dimension capacity in that mode's matrix, which
makes any route using it infeasible; a visit no vehicle can serve on its own is barred from
that vehicle by restricting its ``VehicleVar``.  The validator re-checks it.

Groups (min gap between service starts, max visits per route) are not OR-Tools dimensions:
routes OR-Tools returns are re-timed route by route against the other routes' starts, and a
route that cannot be timed drops the least valuable conflicting visit.  The paid-hours budget
is a CP constraint over ``ActiveVehicleVar`` when the vehicles together exceed it, so
OR-Tools' local search cannot open a vehicle it can't pay for.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from planner.errors import InputError
from planner.routing.problem import RoutingProblem
from planner.routing.solver.finish import check_required_served, finish, to_solution
from planner.routing.solver.instance import Instance
from planner.routing.solver.operators import recreate
from planner.routing.solver.params import SolveParams
from planner.routing.solver.prepare import prepare
from planner.routing.solver.scaling import UNREACH
from planner.routing.solver.solution import Solution
from planner.routing.solver.state import State

log = logging.getLogger(__name__)


class OrModel:
    """The OR-Tools routing model, built once per solve and re-used for every LS call."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        i = inst
        dep_locs = sorted(set(i.vs.tolist()) | set(i.ve.tolist()))
        self.dep_node = {loc: i.n + j for j, loc in enumerate(dep_locs)}
        self.node_loc = np.concatenate((i.loc, np.array(dep_locs, dtype=np.int64)))
        starts = [self.dep_node[int(x)] for x in i.vs]
        ends = [self.dep_node[int(x)] for x in i.ve]
        self.manager = pywrapcp.RoutingIndexManager(len(self.node_loc), i.nv, starts, ends)
        self.routing = pywrapcp.RoutingModel(self.manager)
        self.horizon = int(max(int(i.vlate.max()), 1)) + 1
        # Objective weights: arc cost = travel // cost_div; prize weight W beats all travel.
        self.travel_bound = int(np.maximum(i.vlate - i.vearly, 0).sum()) + 1
        self.total_prize = int(i.prize.sum()) + 1
        n_req = int(i.required.sum())
        cost_div = 1
        while True:
            w = self.travel_bound // cost_div + 1
            if w * self.total_prize * (n_req + 1) < 2**61:
                break
            cost_div *= 10
        self.cost_div = cost_div
        self.W = w
        node_svc = np.concatenate((i.svc, np.zeros(len(dep_locs), dtype=np.int64)))
        self.tdim = self._add_time(node_svc)
        self._add_visits()
        self._add_vehicles()
        self.ls_params = self._params(greedy=True)
        # Operators are built when the model closes: close it with *our* parameters before
        # ReadAssignmentFromRoutes would close it with the defaults (which include
        # time-limited LNS operators).
        self.routing.CloseModelWithParameters(self.ls_params)

    def _add_time(self, node_svc: np.ndarray) -> Any:
        """Arc costs and the time dimension, one transit matrix per mode; returns the dimension."""
        i, routing, horizon = self.inst, self.routing, self.horizon
        node_ix = np.arange(len(self.node_loc))
        transit_cb = []
        cost_cb = []
        # Per-node matrices in manager index order would be cheaper to look up, but
        # RegisterTransitMatrix works on node ids (the manager maps them), which keeps this simple.
        for mi in range(len(i.modes)):
            tm = i.T[mi][np.ix_(self.node_loc[node_ix], self.node_loc[node_ix])]
            unreach = tm >= UNREACH
            transit = tm + node_svc[:, None]
            transit[unreach] = horizon + 1  # > capacity: any route using it is infeasible
            cost = tm // self.cost_div
            cost[unreach] = self.travel_bound // self.cost_div + 1
            transit_cb.append(routing.RegisterTransitMatrix(transit.tolist()))
            cost_cb.append(routing.RegisterTransitMatrix(cost.tolist()))
        for v in range(i.nv):
            routing.SetArcCostEvaluatorOfVehicle(cost_cb[int(i.vmode[v])], v)
        routing.AddDimensionWithVehicleTransits(
            [transit_cb[int(i.vmode[v])] for v in range(i.nv)], horizon, horizon, False, "time"
        )
        return routing.GetDimensionOrDie("time")

    def _add_visits(self) -> None:
        """Unreachable arcs, each visit's window hull, allowed vehicles and prize penalty."""
        i, routing, tdim, node_loc = self.inst, self.routing, self.tdim, self.node_loc
        # Arcs unreachable in every mode: remove from NextVar domains.
        all_unreach = np.all(i.T >= UNREACH, axis=0)  # (L, L)
        if all_unreach.any():
            for a in range(len(node_loc)):
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
            cv.SetRange(int(max(i.wo[u, 0], 0)), int(min(i.wc[u, k - 1], self.horizon)))
            allowed = [int(v) for v in np.flatnonzero(i.allowed[u])]
            if len(allowed) < i.nv:
                # SetAllowedVehiclesForIndex's SWIG binding rejects Python lists in OR-Tools
                # 9.15, so restrict the vehicle variable directly (-1 = unperformed).
                routing.VehicleVar(idx).SetValues([-1, *allowed])
            pen = int(i.prize[u]) * self.W if not i.required[u] else self.total_prize * self.W
            routing.AddDisjunction([idx], pen)

    def _add_vehicles(self) -> None:
        """Shift bounds, span limits, finalizers and the paid-hours budget."""
        i, routing, tdim = self.inst, self.routing, self.tdim
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

    def descend(self, routes: list[list[int]], time_limit_s: float | None = None) -> Any:
        """OR-Tools greedy descent from ``routes`` (node ids); the assignment, or None.

        Without ``time_limit_s`` the descent runs to its local optimum, which is deterministic;
        with it (what is left of a :class:`~planner.routing.solver.stop.MaxRuntime`) one long
        call cannot run far past the search's limit.
        """
        mgr = self.manager
        start = [[mgr.NodeToIndex(u) for u in route] for route in routes]
        a = self.routing.ReadAssignmentFromRoutes(start, True)
        if a is None:
            log.debug("OR-Tools rejected the start routes; skipping this LS call")
            return None
        params = self.ls_params
        if time_limit_s is not None:
            params = pywrapcp.DefaultRoutingSearchParameters()
            params.CopyFrom(self.ls_params)
            params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
        return self.routing.SolveFromAssignmentWithParameters(a, params)

    def improve(self, st: State, time_limit_s: float | None = None) -> State | None:
        """OR-Tools greedy descent from the routes of ``st``; None if it could not start."""
        sol = self.descend(st.routes(), time_limit_s)
        return None if sol is None else self.to_state(sol)

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

    def to_state(self, sol: Any) -> State:
        """Routes of an OR-Tools assignment, re-timed by our own exact integer schedule.

        Route by route, each against the ones installed before it, so group gaps become waits.
        """
        st = State(self.inst)
        for r, nodes in enumerate(self.routes_of(sol)):
            st.install_repaired(r, nodes)
        return st

    def textbook(self, time_limit_s: float) -> State:
        """PATH_CHEAPEST_ARC then GUIDED_LOCAL_SEARCH for ``time_limit_s`` (wall clock)."""
        p = pywrapcp.DefaultRoutingSearchParameters()
        p.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
        p.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
        p.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
        sol = self.routing.SolveWithParameters(p)
        if sol is None:
            return State(self.inst)
        return self.to_state(sol)


def solve_textbook(problem: RoutingProblem, *, time_limit_s: float, seed: int) -> Solution:
    """Textbook OR-Tools baseline: PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH, one run.

    Same model as :func:`~planner.routing.solver.solve` (penalty = prize, lexicographically
    above travel), default operators, OR-Tools' own wall-clock time limit (so *not*
    deterministic), and the same re-timing, group/budget repair, greedy re-insertion and
    validation.  ``seed`` is recorded only: OR-Tools' routing search has no seed.
    """
    if not (time_limit_s > 0 and math.isfinite(time_limit_s)):
        raise InputError(f"time_limit_s must be a positive number, got {time_limit_s!r}")
    t0 = time.perf_counter()
    prep = prepare(problem, "textbook", seed)
    if isinstance(prep, Solution):
        return prep
    model = OrModel(prep)
    st = model.textbook(time_limit_s)
    st.repair()
    # OR-Tools does not see the group rules: what the repair dropped is re-inserted where it
    # fits (gap-aware), as after every OR-Tools call in the search.
    recreate(st, None, 0.0, SolveParams().insert_alpha)
    check_required_served(problem, st)
    sol = to_solution(
        problem,
        st,
        seed=seed,
        elapsed=time.perf_counter() - t0,
        status="ok",
        strategy="textbook",
        iterations=0,
        stop=f"OR-Tools time limit {time_limit_s:g} s",
        stopped_by="",
    )
    return finish(problem, sol)
