"""Steering hot-spot offers towards harm (planner.planning.steer) on hand-made doses."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from planner.demand.dosage import HotspotDemand
from planner.demand.profiles import FLAT
from planner.planning.steer import (
    STEER_MAX,
    STEER_MIN,
    dose_rank,
    hotspot_doses,
    steered_inputs,
)


@dataclass(frozen=True)
class Inputs:
    """The one field of ``WeekInputs`` steering reads and replaces."""

    hotspot_demand: tuple[HotspotDemand, ...]


def week(harms: list[float], doses: list[int]) -> tuple[SimpleNamespace, SimpleNamespace]:
    """A stand-in model and solution: hot spot ``HS-i`` of harm ``harms[i]`` got ``doses[i]``."""
    hot = tuple(HotspotDemand(f"HS-{i}", h, FLAT) for i, h in enumerate(harms))
    visits = [
        SimpleNamespace(visit_id=f"HS-{i}#{k}", group=f"HS-{i}")
        for i, d in enumerate(doses)
        for k in range(d)
    ]
    route = SimpleNamespace(stops=[SimpleNamespace(visit_id=v.visit_id) for v in visits])
    model = SimpleNamespace(
        inputs=Inputs(hot),
        problem=SimpleNamespace(visits=visits),
    )
    return model, SimpleNamespace(routes=[route])


def test_doses_and_rank() -> None:
    """Doses count each hot spot's visits (0 for none); the rank correlation follows them."""
    model, sol = week([3.0, 2.0, 1.0], [0, 5, 9])
    assert hotspot_doses(model, sol) == {"HS-0": 0, "HS-1": 5, "HS-2": 9}  # type: ignore[arg-type]
    assert dose_rank(model, sol) == pytest.approx(-1.0)  # type: ignore[arg-type]


def test_under_dosed_offered_more_over_dosed_less() -> None:
    """Out of line with harm: the worst hot spot is steered up, the mildest down, in bounds."""
    model, sol = week([4.0, 3.0, 2.0, 1.0], [2, 6, 6, 10])
    inputs = steered_inputs(model, sol)  # type: ignore[arg-type]
    assert inputs is not None
    steer = {h.site_id: h.steer for h in inputs.hotspot_demand}
    assert steer["HS-0"] > 1 > steer["HS-3"]
    assert all(STEER_MIN <= s <= STEER_MAX for s in steer.values())
    # What a hot spot is worth (for buying shifts, balancing doses) never changes.
    assert [h.base_prize for h in inputs.hotspot_demand] == [4.0, 3.0, 2.0, 1.0]


def test_in_line_or_too_few_not_steered() -> None:
    """Doses already in harm order, or fewer than three hot spots: nothing to steer."""
    assert steered_inputs(*week([3.0, 2.0, 1.0], [9, 6, 3])) is None  # type: ignore[arg-type]
    assert steered_inputs(*week([2.0, 1.0], [1, 9])) is None  # type: ignore[arg-type]
    assert steered_inputs(*week([3.0, 2.0, 1.0], [0, 0, 0])) is None  # type: ignore[arg-type]
