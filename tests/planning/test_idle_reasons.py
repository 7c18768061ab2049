"""Why a bought unit-shift got no route (planner.planning.miss_reasons.idle_reasons).

Hand-built week: one site 5 minutes from the station, visits in the morning; unit-shifts
bought for the morning and one for the night. Only the model fields the reasons read are
stood in for.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from planner.planning.miss_reasons import idle_reasons
from planner.routing.problem import Group, RoutingProblem, Vehicle, Visit
from planner.routing.solver import Route, Solution, Stop

H = 3600.0


def week(n_visits: int, served: int) -> tuple[SimpleNamespace, Solution]:
    """Three bought unit-shifts and ``n_visits`` hourly morning visits from 08:00.

    ``early-1`` makes the first ``served``, ``early-2`` could make any of them, ``night`` none.
    """
    mat = np.array([[0.0, 300.0], [300.0, 0.0]])
    visits = tuple(
        Visit(f"S#{k}", 1, 900.0, ((8 * H + k * H, 8 * H + k * H + 600.0),), 1.0, group="S")
        for k in range(n_visits)
    )
    vehicles = (
        Vehicle("early-1", "car", 0, 0, 7 * H, 15 * H, 8 * H),
        Vehicle("early-2", "car", 0, 0, 7 * H, 15 * H, 8 * H),
        Vehicle("night", "car", 0, 0, 22 * H, 30 * H, 8 * H),
    )
    problem = RoutingProblem("w", visits, vehicles, (Group("S", H, 9),), {"car": mat})
    stops = tuple(
        Stop(v.visit_id, v.windows[0][0], v.windows[0][0], v.windows[0][0] + 900.0)
        for v in visits[:served]
    )
    routes = (
        Route("early-1", stops, 7 * H, 15 * H),
        Route("early-2", (), 0.0, 0.0),
        Route("night", (), 0.0, 0.0),
    )
    unserved = tuple(v.visit_id for v in visits[served:])
    sol = Solution("w", 1, routes, unserved, float(served), 0.0, 0.0, "ok")
    shifts = [SimpleNamespace(shift_id=v.vehicle_id) for v in vehicles]
    model = SimpleNamespace(
        problem=problem, legs={}, inputs=SimpleNamespace(resources=SimpleNamespace(selected=shifts))
    )
    return model, sol


def test_work_made_by_others_or_none_in_reach() -> None:
    """Every visit it could make went to another unit; the night shift could make none."""
    model, sol = week(3, 3)
    why = idle_reasons(model, sol)  # type: ignore[arg-type]
    assert set(why) == {"early-2", "night"}
    assert why["early-2"] == "every visit it could make (3) was made by other units"
    assert why["night"] == "no visit offered fits its hours and reach"


def test_work_left_out_is_counted() -> None:
    """Some of its possible visits were left out: counted, with the rules that can stop them."""
    model, sol = week(3, 2)
    why = idle_reasons(model, sol)["early-2"]  # type: ignore[arg-type]
    assert why.startswith("of the 3 visits it could make, 2 were made by other units and 1 clashes")
