"""Steering hot-spot doses back into line with harm.

The optimiser takes the hot-spot candidates it can fit (:mod:`planner.demand.dosage`), so a
hot spot that is easy to reach can end with more visits than one of greater harm, most of all
where harms are close (the City of London's hot spots 4-8 lie within 6% of each other).  The
week is then planned once more with each hot spot's candidates worth, and offered,
``(target / dose) ** STEER_POWER`` times as much (between :data:`STEER_MIN` and
:data:`STEER_MAX`), where ``target`` is its harm share of the visits the hot spots got.  That
is one step of a price adjustment: an under-dosed hot spot is offered more, and more valuable,
visits, an over-dosed one fewer.  The planner keeps the steered week only if the rank
correlation of harm and dose rose and nothing else got worse
(:func:`planner.planning.week.make_plan`).
"""

from __future__ import annotations

import dataclasses
from collections import Counter

from planner.planning.model import PlanningModel
from planner.planning.pipeline import WeekInputs
from planner.planning.quality import spearman
from planner.routing.solver import Solution

__all__ = ["STEER_BELOW", "dose_rank", "hotspot_doses", "on_site_s", "steered_inputs"]

#: Steer only when the rank correlation of harm and dose is below this.
STEER_BELOW = 0.9
STEER_POWER = 0.3
STEER_MIN = 0.7
STEER_MAX = 1.4


def hotspot_doses(model: PlanningModel, solution: Solution) -> dict[str, int]:
    """Visits each hot spot gets in ``solution`` (0 for none)."""
    site = {v.visit_id: v.group for v in model.problem.visits}
    got = Counter(site.get(s.visit_id) for r in solution.routes for s in r.stops)
    return {h.site_id: got.get(h.site_id, 0) for h in model.inputs.hotspot_demand}


def dose_rank(model: PlanningModel, solution: Solution) -> float | None:
    """Spearman correlation of the hot spots' harm and their doses (None: undefined)."""
    hot = model.inputs.hotspot_demand
    doses = hotspot_doses(model, solution)
    return spearman([h.base_prize for h in hot], [doses[h.site_id] for h in hot])


def on_site_s(model: PlanningModel, solution: Solution) -> float:
    """Seconds on site over the plan's visits."""
    svc = {v.visit_id: v.service_s for v in model.problem.visits}
    return sum(svc[s.visit_id] for r in solution.routes for s in r.stops)


def steered_inputs(model: PlanningModel, solution: Solution) -> WeekInputs | None:
    """The week's inputs with each hot spot's offer steered, or None if nothing to steer."""
    hot = model.inputs.hotspot_demand
    if len(hot) < 3:
        return None
    rho = dose_rank(model, solution)
    if rho is None or rho >= STEER_BELOW:
        return None
    doses = hotspot_doses(model, solution)
    total = sum(doses.values())
    harm = sum(h.base_prize for h in hot)
    if total == 0 or harm <= 0:
        return None
    steered = []
    for h in hot:
        target = total * h.base_prize / harm
        ratio = (target / max(doses[h.site_id], 0.5)) ** STEER_POWER
        factor = min(STEER_MAX, max(STEER_MIN, ratio)) * h.steer
        steered.append(dataclasses.replace(h, steer=factor))
    return dataclasses.replace(model.inputs, hotspot_demand=tuple(steered))
