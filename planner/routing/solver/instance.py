# ruff: noqa: N806  (matrix names T, L follow the usual OR notation)
"""The problem in solver integers: flat numpy arrays for the numba kernels.

:func:`integerise` turns a :class:`~planner.routing.problem.RoutingProblem` into an
:class:`Instance` (through :func:`.scaling.to_solver_int` only), including ``allowed``: which
vehicle can serve which visit on its own.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from planner.routing.problem import RoutingProblem
from planner.routing.solver.kernels import allowed_kernel
from planner.routing.solver.scaling import INF_T, TIME_SCALE, UNREACH, to_solver_int


class Kern(NamedTuple):
    """The instance arrays every numba kernel reads, passed as one argument.

    ``gof`` is the group of each visit (-1 if none), ``ggap``/``gmax`` the min gap and max
    visits per route of each group, ``grep`` its time-of-day gap (0: none; see
    :attr:`~planner.routing.problem.Group.repeat_gap_s`), binding the visits whose ``vrep`` is
    true, comparing starts plus ``voff`` (local clock offsets), ``gptr``/``gmem`` the CSR lists
    of each group's members.
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
    grep: np.ndarray
    vrep: np.ndarray
    voff: np.ndarray


@dataclass
class Instance:
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
    group_repeat: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    repeat_rule: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))
    clock_offset: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    group_dose: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    allowed: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.bool_))

    @functools.cached_property
    def kern(self) -> Kern:
        """The arrays the kernels read, bundled (built once per instance)."""
        return Kern(
            self.loc, self.svc, self.wo, self.wc, self.nw, self.T, self.vmode, self.vs, self.ve,
            self.vearly, self.vlate, self.vmaxdur, self.vred,
            self.group_of, self.group_gap, self.group_max, self.gptr, self.gmem, self.group_repeat,
            self.repeat_rule, self.clock_offset,
        )  # fmt: skip


def integerise(problem: RoutingProblem) -> Instance:
    """The problem in solver integers (times rounded conservatively, see :mod:`.scaling`)."""
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
    inst = Instance(
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
        repeat_rule=np.array([v.repeat_rule for v in problem.visits], dtype=np.bool_),
        # Whole seconds (clock changes are whole hours): exact in solver units either way.
        clock_offset=np.array(
            [round(v.clock_offset_s) * TIME_SCALE for v in problem.visits], dtype=np.int64
        ),
        group_repeat=to_solver_int(
            np.array([g.repeat_gap_s for g in problem.groups], dtype=float), "time_up"
        ).reshape(-1),
        group_dose=np.array([g.dose_weight for g in problem.groups], dtype=np.float64),
        group_members=members,
        gptr=np.concatenate(([0], np.cumsum([len(x) for x in members]))).astype(np.int64),
        gmem=np.concatenate([*members, np.zeros(0, dtype=np.int64)]).astype(np.int64),
    )
    inst.allowed = allowed_matrix(inst)
    return inst


def allowed_matrix(inst: Instance) -> np.ndarray:
    """``allowed[u, v]``: visit ``u`` alone is a feasible route for vehicle ``v``."""
    i = inst
    allowed = np.zeros((inst.n, inst.nv), dtype=np.bool_)
    none = np.full(i.n, -1, dtype=np.int64)
    allowed_kernel(i.n, i.nv, i.kern, none, np.zeros(i.n, dtype=np.int64), allowed)
    return allowed
