"""Simulated-annealing acceptance on the prize, cooling linearly to zero.

The temperature starts at ``SolveParams.temp_factor`` times a median visit's prize and falls
as ``temp0 * (1 - fraction)``, ``fraction`` being the stopping criterion's progress
(:meth:`.stop.StoppingCriterion.fraction`): with :class:`.stop.MaxIterations` ``N``, iteration
``it`` runs at ``temp0 * (1 - it / N)``.
"""

from __future__ import annotations

import math

import numpy as np

from planner.routing.solver.instance import Instance

Key = tuple[int, int, int]
"""A plan's quality, compared lexicographically: required served, prize, minus travel."""


def start_temperature(inst: Instance, temp_factor: float) -> float:
    """Annealing start temperature in prize units.

    Scaled to one visit's prize, not to the plan's total: on small team-orienteering
    instances the prizes come in steps (5, 10, ...) larger than any fixed percentage of the
    total, and a threshold below one visit's prize never lets the search give a visit up to
    reach a better region (p1.2.g stayed at 85 against 90 for any seed that way).
    """
    pz = inst.prize[inst.allowed.any(axis=1) & (inst.prize > 0)]
    return temp_factor * float(np.median(pz)) if len(pz) else 0.0


def accept(cand: Key, cur: Key, temp: float, rng: np.random.Generator) -> bool:
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
