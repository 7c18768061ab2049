"""The search: a deterministic iterated local search polished by OR-Tools (:func:`solve`).

1. Greedy ratio insertion (``prize**2 / time shift``) builds a first plan, or ``previous``
   seeds it, OR-Tools polishes it and the compiled descent (:mod:`.local_search`) follows.
2. Each iteration ruins the current plan (:func:`.operators.ruin`), recreates it with noisy
   ratio insertion, the removed visits last, and runs the compiled descent (2-opt, or-opt,
   relocate, swap, insertion, swap-in; a few milliseconds).  Every
   ``SolveParams.descent_every``-th iteration also hands the routes to OR-Tools
   (``ReadAssignmentFromRoutes`` + ``SolveFromAssignmentWithParameters``, greedy descent with
   relocate/exchange/cross/2-opt/or-opt and make-active/swap-active operators; a hundred
   times dearer) to shorten routes and swap visits in and out, then re-inserts into the freed
   time.  Large instances give OR-Tools sub-problems (:mod:`.subproblem`).
3. Acceptance is simulated annealing on the prize (:mod:`.acceptance`), cooling linearly to
   zero as the stopping criterion's :meth:`~.stop.StoppingCriterion.fraction` goes to 1.
4. The best plan ends with the dose-balancing pass (:mod:`.balance`) when groups carry a
   ``dose_weight`` (hot spots' harm): it reads no clock and draws nothing.

Determinism: with :class:`.stop.MaxIterations` (or :class:`.stop.NoImprovement`) no wall clock
decides anything: all randomness comes from ``numpy.random.default_rng(seed)`` and each
OR-Tools call is a greedy descent with no time limit.  So ``solve`` returns the same plan for
the same problem, seed, stop, params, ``previous`` and OR-Tools version, on any machine.
With :class:`.stop.MaxRuntime` the search ends when the clock says so (status
``"time_capped"``) and OR-Tools' calls get what is left of the time, so the plan may differ
between runs.  The clock starts after a once-per-process warm-up (:func:`_warm_up`), so
numba's compilation is not charged to the first solve.  The limit is a hard stop: greedy
insertion (the first plan's, and each iteration's on instances with groups) checks the clock
before each optional visit and the first OR-Tools descent is skipped once the time is up, so a
week of a thousand visits to one site cannot run for a minute past a 3 s limit; the plan is
the best so far.  Without groups an iteration's insertion is compiled (milliseconds).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence

import numpy as np

from planner.errors import InputError
from planner.routing.problem import Group, RoutingProblem, Vehicle, Visit
from planner.routing.solver.acceptance import Key, accept, start_temperature
from planner.routing.solver.balance import NEAR_S, balance_doses
from planner.routing.solver.finish import check_required_served, finish, to_solution
from planner.routing.solver.instance import Instance, integerise
from planner.routing.solver.local_search import local_search
from planner.routing.solver.ls_base import insert_unserved
from planner.routing.solver.operators import recreate, ruin
from planner.routing.solver.ortools_model import OrModel
from planner.routing.solver.params import SolveParams
from planner.routing.solver.prepare import prepare
from planner.routing.solver.scaling import PRIZE_SCALE, to_solver_int
from planner.routing.solver.solution import Solution
from planner.routing.solver.state import State
from planner.routing.solver.stop import MaxRuntime, StoppingCriterion
from planner.routing.solver.subproblem import improve_sub, pick_sub, use_sub

log = logging.getLogger(__name__)

ProgressFn = Callable[[float, float], None]


def solve(
    problem: RoutingProblem,
    *,
    stop: StoppingCriterion,
    seed: int,
    params: SolveParams | None = None,
    previous: Solution | None = None,
    progress: ProgressFn | None = None,
) -> Solution:
    """Plan routes that collect the most prize.

    Parameters
    ----------
    problem
        The routing problem.
    stop
        When to end the search: :class:`~.stop.MaxIterations` for a plan that depends only
        on the inputs, :class:`~.stop.MaxRuntime` for a wall-clock limit, or several with
        ``|``.  It is reset at the start, so one criterion can serve several solves in turn.
    seed
        Seed for every random choice.
    params
        Tuning constants (default :class:`~.params.SolveParams`).
    previous
        A previous plan to start from (visits/vehicles matched by id; anything no longer
        feasible is dropped).
    progress
        Called as ``progress(elapsed_s, best_prize)`` at the start and on every improvement.

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
    if not isinstance(stop, StoppingCriterion):
        raise InputError(
            f"stop must be a stopping criterion such as MaxIterations(300), got {stop!r}"
        )
    params = SolveParams() if params is None else params
    if not isinstance(params, SolveParams):
        raise InputError(f"params must be SolveParams, got {params!r}")
    # One-off numba compilation (first use after an install) must not count against a
    # MaxRuntime, or it could cut the first solve of a process short.
    _warm_up()
    t0 = time.perf_counter()
    stop.reset()
    prep = prepare(problem, "best", seed, repr(stop))
    if isinstance(prep, Solution):
        return prep
    search = _Search(prep, stop, params, np.random.default_rng(seed))
    report = _Report(progress, t0)
    best = search.run(problem, previous, report)
    if params.balance_doses:
        balance_doses(best, prep.group_dose, int(to_solver_int(NEAR_S, "time_up")))
    check_required_served(problem, best)
    capped = isinstance(stop.fired, MaxRuntime)
    if capped:
        log.info(
            "%s: time limit reached after %d iterations; the plan is the best so far (an "
            "iteration stop makes it reproducible)",
            problem.name,
            search.iterations,
        )
    sol = to_solution(
        problem,
        best,
        seed=seed,
        elapsed=time.perf_counter() - t0,
        status="time_capped" if capped else "ok",
        strategy="best",
        iterations=search.iterations,
        stop=repr(stop),
        stopped_by=repr(stop.fired) if stop.fired is not None else "",
    )
    return finish(problem, sol)


class _Report:
    """Calls the caller's progress function with the elapsed time and the best prize."""

    def __init__(self, progress: ProgressFn | None, t0: float) -> None:
        self.progress = progress
        self.t0 = t0

    def __call__(self, best_key: Key) -> None:
        if self.progress is not None:
            self.progress(time.perf_counter() - self.t0, best_key[1] / PRIZE_SCALE)


class _Search:
    """One run of the search on one instance: the start plan, then the iterations."""

    def __init__(
        self, inst: Instance, stop: StoppingCriterion, params: SolveParams, rng: np.random.Generator
    ) -> None:
        self.inst = inst
        self.stop = stop
        self.params = params
        self.rng = rng
        self.model = None if use_sub(inst.n, inst.nv, params) else OrModel(inst)
        self.iterations = 0
        # Required visits some vehicle can make alone: one nobody can make never comes in.
        self.n_required = int((inst.required & inst.allowed.any(axis=1)).sum())
        self.out_of_time = _clock_check(stop)

    def run(self, problem: RoutingProblem, previous: Solution | None, report: _Report) -> State:
        """The best plan found: from the start plan, iterate until the criterion fires."""
        inst, stop = self.inst, self.stop
        cur = self.start(problem, previous)
        best = cur.copy()
        best_key = best.key()
        temp0 = start_temperature(inst, self.params.temp_factor)
        report(best_key)
        if not inst.allowed.any():
            return best  # no vehicle can serve any visit: nothing to search
        while not stop(best_key):
            self.iterations += 1
            cand = self.step(cur)
            ck = cand.key()
            if accept(ck, cur.key(), temp0 * (1.0 - stop.fraction()), self.rng):
                cur = cand
            if ck > best_key:
                best, best_key = cand.copy(), ck
                report(best_key)
        return best

    def start(self, problem: RoutingProblem, previous: Solution | None) -> State:
        """Previous plan (if any) then greedy insertion, then an OR-Tools descent."""
        alpha, late = self.params.insert_alpha, self.out_of_time
        cur = State(self.inst)
        if previous is not None:
            _from_previous(cur, problem, previous)
        recreate(cur, None, 0.0, alpha, out_of_time=late)
        cur.repair()
        imp = None
        if self.model is not None and not (late is not None and late()):
            imp = self.model.improve(cur, self.stop.remaining_s())
        if imp is not None:
            imp.repair()
            recreate(imp, None, 0.0, alpha, out_of_time=late)
            if imp.key() >= cur.key():
                cur = imp
        if self.params.local_search:
            local_search(cur, None, alpha=alpha, swap=self.params.ls_swap)
        return cur

    def step(self, cur: State) -> State:
        """One iteration's candidate: ruin, recreate, compiled descent, OR-Tools descent.

        The compiled descent (:mod:`.local_search`) runs on every candidate; OR-Tools'
        descent (and a re-insertion into the time it freed) on every
        ``SolveParams.descent_every``-th, each switch off for ablation.
        """
        p, rng = self.params, self.rng
        cand = cur.copy()
        touched, removed = ruin(cand, rng, p)
        # The optional visits just removed go back last: inserted first, they would mostly
        # return to the places they left and the ruin would change nothing.  Required ones
        # go back first, before others can take their time.
        exclude = [u for u in removed if not self.inst.required[u]]
        self._recreate(cand, p.ruin_noise, exclude)
        self._recreate(cand, p.ruin_noise)
        cand.repair()
        if p.local_search:
            local_search(cand, rng, alpha=p.insert_alpha, swap=p.ls_swap)
        # OR-Tools is dear, so it runs every descent_every-th iteration, but on every one while
        # some required visit is out: its make-active/swap-active moves clear room for a
        # long required visit (a post's hour) that one-for-one swaps cannot.
        missing = cand.key()[0] < self.n_required
        if not p.ortools_descent or (self.iterations % p.descent_every != 0 and not missing):
            return cand
        left_s = self.stop.remaining_s()
        if self.model is None:
            veh = pick_sub(cand, touched, rng, p.sub_vehicles)
            imp = improve_sub(cand, veh, p.sub_extra, left_s)
        else:
            imp = self.model.improve(cand, left_s)
        if imp is not None:
            imp.repair()
            self._recreate(imp, p.polish_noise)
            if p.local_search:
                local_search(imp, rng, alpha=p.insert_alpha, swap=p.ls_swap)
            cand = imp if imp.key() >= cand.key() else cand
        return cand

    def _recreate(self, st: State, noise: float, exclude: Sequence[int] = ()) -> None:
        """Noisy greedy insertion: compiled, or :func:`.operators.recreate` (clock-checked).

        The compiled pass reads no clock; with groups one pass over a week of visits to one
        site can take long, so under a time limit grouped instances keep the clock-checked one.
        """
        p = self.params
        grouped = len(self.inst.group_members) > 0
        if p.compiled_recreate and not (grouped and self.out_of_time is not None):
            insert_unserved(st, self.rng, noise, p.insert_alpha, exclude)
        else:
            recreate(st, self.rng, noise, p.insert_alpha, exclude, self.out_of_time)


def _clock_check(stop: StoppingCriterion) -> Callable[[], bool] | None:
    """A test of whether the wall-clock limit has passed; ``None`` without one.

    Without a clock nothing may depend on the time, so iteration stops stay reproducible.
    """
    if stop.runtime_limit_s() is None:
        return None

    def out_of_time() -> bool:
        left = stop.remaining_s()
        return left is not None and left <= 0.0

    return out_of_time


def _from_previous(st: State, problem: RoutingProblem, previous: Solution) -> None:
    """Install what is still feasible of ``previous`` (matched by visit and vehicle id)."""
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


@functools.cache
def _warm_up() -> None:
    """Warm numba's kernels and OR-Tools up once per process, on a toy problem.

    Compiling (or loading from numba's cache) and OR-Tools' first model are one-off costs
    that must not be charged to the first solve's time limit.
    """
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
    st = State(integerise(toy))
    recreate(st, None, 0.0, SolveParams().insert_alpha)
    OrModel(st.inst).improve(st)
    local_search(st, np.random.default_rng(0))
    st.remove([0])
    insert_unserved(st, np.random.default_rng(0), 0.5, SolveParams().insert_alpha)
