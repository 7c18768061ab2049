"""The search's tuning constants, in one frozen :class:`SolveParams`.

The defaults are the values the search was tuned with (on the TOP/TOPTW benchmarks and the
demo week); a plan depends on them, so changing one changes plans for the same seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from planner.errors import InputError


@dataclass(frozen=True)
class SolveParams:
    """Tuning constants of :func:`~planner.routing.solver.solve` (see each attribute)."""

    ruin_share: float = 0.3
    """Most visits one ruin removes, as a share of the served visits (plus one)."""
    ruin_max: int = 30
    """Most visits one ruin removes, whatever the plan's size."""
    ruin_random_cut: float = 0.3
    """A ruin draw below this removes random served visits."""
    ruin_related_cut: float = 0.65
    """A draw below this (and not below the last cut) removes the visits nearest a random one."""
    ruin_segment_cut: float = 0.9
    """A draw below this removes a stretch of one route; from it on, a whole route."""
    related_jitter: float = 1e-3
    """Random tie-break added to travel times (solver units) when ranking related visits."""
    reseed_tries: int = 5
    """Unserved visits tried, by prize-weighted draw, to restart a route a ruin emptied."""
    insert_alpha: float = 2.0
    """Exponent of the prize in the insertion ratio ``prize**alpha / time shift``."""
    ruin_noise: float = 0.5
    """Insertion noise after a ruin: each prize term is scaled by ``1 + noise * U(0, 1)``."""
    polish_noise: float = 0.2
    """Insertion noise when filling the time an OR-Tools descent freed."""
    temp_factor: float = 0.5
    """Annealing start temperature, as a fraction of the median visit prize."""
    sub_over_visits: int = 150
    """More visits than this: OR-Tools works on sub-problems, not the whole plan."""
    sub_over_vehicles: int = 12
    """More vehicles than this: OR-Tools works on sub-problems, not the whole plan."""
    sub_vehicles: int = 4
    """Vehicles per OR-Tools sub-problem."""
    sub_extra: int = 40
    """Most unserved visits offered to an OR-Tools sub-problem (highest prize first)."""
    local_search: bool = True
    """Run the compiled descent (:mod:`.local_search`) on every candidate after recreate.

    Off only for ablation: the search is then ruin, recreate and the OR-Tools descent."""
    compiled_recreate: bool = True
    """Recreate inside the iterations with the compiled insertion
    (:func:`.local_search.insert_unserved`) instead of :func:`.operators.recreate`."""
    ls_swap: bool = True
    """Let the compiled descent swap a served visit for a better unserved one."""
    ortools_descent: bool = True
    """Call OR-Tools' descent inside the iterations (the start plan always gets one)."""
    descent_every: int = 20
    """Call OR-Tools' descent on every ``descent_every``-th iteration's candidate only.

    Its call costs a hundred compiled descents; every 20th iteration, the compiled search
    (iterations 5-10 times as many) beat OR-Tools on every iteration on the TOPTW sets.
    While some required visit is out of the plan it runs on every iteration: its
    make-active/swap-active moves clear room for a long required visit (a post's hour)."""
    balance_doses: bool = True
    """End with the dose-balancing pass (:mod:`.balance`) on groups with a ``dose_weight``."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "bool":
                if not isinstance(value, bool):
                    raise InputError(f"SolveParams.{f.name} must be True or False, got {value!r}")
            elif f.type == "int":
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise InputError(
                        f"SolveParams.{f.name} must be a whole number >= 0, got {value!r}"
                    )
            elif (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not (math.isfinite(value) and value >= 0)
            ):
                raise InputError(
                    f"SolveParams.{f.name} must be a finite number >= 0, got {value!r}"
                )
        for name in ("ruin_max", "reseed_tries", "sub_vehicles", "descent_every"):
            if getattr(self, name) < 1:
                raise InputError(f"SolveParams.{name} must be at least 1")
        if not 0 < self.ruin_share <= 1:
            raise InputError(f"SolveParams.ruin_share must be in (0, 1], got {self.ruin_share!r}")
        cuts = (self.ruin_random_cut, self.ruin_related_cut, self.ruin_segment_cut)
        if not all(a <= b for a, b in zip(cuts, (*cuts[1:], 1.0), strict=True)):
            raise InputError(
                f"SolveParams ruin cuts must rise within [0, 1] (random <= related <= segment), got {cuts}"
            )
