"""The routing solver: prize-collecting patrol routes, OR-Tools inside a ruin-and-recreate search.

Owns everything between a :class:`~planner.routing.problem.RoutingProblem` and a validated
:class:`Solution`; shaped like PyVRP::

    from planner.routing.solver import MaxIterations, solve
    solution = solve(problem, stop=MaxIterations(300), seed=1)

Modules, in the order a solve uses them:

- :mod:`.stop`: when the search ends (:class:`MaxIterations`, :class:`MaxRuntime`,
  :class:`NoImprovement`, combined with ``|`` into :class:`FirstOf`) and how far it has come.
- :mod:`.params`: :class:`SolveParams`, every tuning constant of the search.
- :mod:`.scaling`: :func:`to_solver_int`, the one place floats become solver integers.
- :mod:`.instance`, :mod:`.kernels`, :mod:`.state`: the problem as integer arrays, the
  numba scheduling kernels (exact windows and group rules) and the search state.
- :mod:`.operators`, :mod:`.acceptance`: ruin and recreate; simulated-annealing acceptance.
- :mod:`.ortools_model`, :mod:`.subproblem`: OR-Tools' model and its use on sub-problems of
  large instances; :func:`solve_textbook`, the textbook OR-Tools baseline.
- :mod:`.local_search`, :mod:`.ls_base`: the compiled descent run on every candidate.
- :mod:`.prepare`, :mod:`.search`, :mod:`.balance`, :mod:`.finish`: checks before,
  :func:`solve`, the last pass that puts weighted groups' doses in weight order, and the
  conversion back to float seconds with validation after.
- :mod:`.solution`: :class:`Solution`, :class:`Route`, :class:`Stop`.

With an iteration stop the plan depends only on the problem, seed, stop, params, ``previous``
and the OR-Tools version; a :class:`MaxRuntime` that ends the search marks the plan
``"time_capped"`` (see :mod:`.search`).
"""

from planner.routing.solver.ortools_model import solve_textbook
from planner.routing.solver.params import SolveParams
from planner.routing.solver.scaling import PRIZE_SCALE, TIME_SCALE, to_solver_int
from planner.routing.solver.search import solve
from planner.routing.solver.solution import Route, Solution, Stop
from planner.routing.solver.stop import (
    FirstOf,
    MaxIterations,
    MaxRuntime,
    NoImprovement,
    StoppingCriterion,
)

__all__ = [
    "PRIZE_SCALE",
    "TIME_SCALE",
    "FirstOf",
    "MaxIterations",
    "MaxRuntime",
    "NoImprovement",
    "Route",
    "Solution",
    "SolveParams",
    "Stop",
    "StoppingCriterion",
    "solve",
    "solve_textbook",
    "to_solver_int",
]
