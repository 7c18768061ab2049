"""Property tests: anything given to ``planner solve`` as a problem reads or fails clearly.

Whatever the file holds (random bytes, any JSON value, a valid problem with one value replaced
or removed), :meth:`RoutingProblem.from_json` returns a problem or raises a
:class:`planner.errors.PlannerError` with a one-line message: never another exception.  The
same holds for :meth:`Solution.from_dict`.  And any valid problem written with
:meth:`RoutingProblem.to_json` reads back equal.  Deadline 2 s: the machine is shared.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.errors import PlannerError
from planner.routing.problem import Group, RoutingProblem, Vehicle, Visit
from planner.routing.solver import Route, Solution, Stop

FUZZ = settings(max_examples=80, deadline=2000)
MAT = np.array([[0.0, 60.0, np.inf], [60.0, 0.0, 30.5], [np.inf, 30.5, 0.0]])
BASE_PROBLEM = RoutingProblem(
    name="small",
    visits=(
        Visit("a", 1, 300.0, ((0.0, 1000.0), (2000.0, 3000.0)), 2.5, group="g"),
        Visit("b", 2, 0.0, ((10.0, 20.0),), 1.0, required=True),
    ),
    vehicles=(Vehicle("car1", "car", 0, 0, 0.0, 3600.0, 3600.0, 8.0),),
    groups=(Group("g", 600.0, 1),),
    travel_time_s={"car": MAT, "foot": MAT * 5},
    budget_paid_hours=10.0,
    location_labels=("station", "s1", "s2"),
)
BASE = BASE_PROBLEM.to_dict()
BASE_SOLUTION = Solution(
    "small", 3, (Route("car1", (Stop("a", 60.0, 60.0, 360.0),), 0.0, 420.0),), ("b",), 2.5,
    120.0, 0.5, "ok", iterations=7,
).to_dict()  # fmt: skip
KEYS = sorted({*BASE, *BASE["visits"][0], *BASE["vehicles"][0], *BASE["groups"][0], "car"})


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a JSON document (the root excluded)."""
    if not isinstance(value, dict | list):
        return []
    out = []
    for key, inner in value.items() if isinstance(value, dict) else enumerate(value):
        out.append((*prefix, key))
        out.extend(_paths(inner, (*prefix, key)))
    return out


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**320),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["planner.routing-problem/1", "car", "g", "a"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
)


def _one_line(exc: PlannerError) -> None:
    assert str(exc).strip() and "\n" not in str(exc), "one line"


def read(data: bytes) -> RoutingProblem | None:
    """Read ``data`` as a problem file in a fresh folder; ``None`` if refused as it should be."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "problem.json"
        path.write_bytes(data)
        try:
            return RoutingProblem.from_json(path)
        except PlannerError as exc:
            _one_line(exc)
            return None


def from_value(value: Any) -> RoutingProblem | None:
    """:meth:`RoutingProblem.from_dict` of any value; ``None`` if refused with a planner error."""
    try:
        return RoutingProblem.from_dict(value, path="problem.json")
    except PlannerError as exc:
        _one_line(exc)
        return None


def changed(doc: Any, where: tuple[Any, ...], value: Any, drop: bool) -> Any:
    """A copy of ``doc`` with the value at ``where`` replaced by ``value`` or removed."""
    doc = json.loads(json.dumps(doc))
    target = doc
    for key in where[:-1]:
        target = target[key]
    if drop:
        del target[where[-1]]
    else:
        target[where[-1]] = value
    return doc


@FUZZ
@given(st.binary(max_size=2000))
def test_any_bytes(data: bytes) -> None:
    """Random bytes: a planner error."""
    read(data)


@FUZZ
@given(json_values)
def test_any_json_value(value: Any) -> None:
    """Any JSON value, as a document and written to a file: a problem or a planner error."""
    from_value(value)
    read(json.dumps(value).encode())


@FUZZ
@given(where=st.sampled_from(_paths(BASE)), value=json_values, drop=st.booleans())
def test_one_value_replaced_or_removed(where: tuple[Any, ...], value: Any, drop: bool) -> None:
    """The base problem with one value anywhere replaced by any JSON value, or removed."""
    from_value(changed(BASE, where, value, drop))


@FUZZ
@given(where=st.sampled_from(_paths(BASE_SOLUTION)), value=json_values, drop=st.booleans())
def test_solution_one_value_replaced_or_removed(
    where: tuple[Any, ...], value: Any, drop: bool
) -> None:
    """A solution with one value replaced or removed: a solution or a planner error."""
    try:
        Solution.from_dict(changed(BASE_SOLUTION, where, value, drop), path="solution.json")
    except PlannerError as exc:
        _one_line(exc)


# ---------------------------------------------------------------------- round trip
@st.composite
def problems(draw: st.DrawFn) -> RoutingProblem:
    """A small valid problem: 1-4 locations, two modes, sorted disjoint windows."""
    n = draw(st.integers(1, 4))
    cell = st.floats(0.0, 1e6, allow_nan=False) | st.just(math.inf)
    mats = {
        mode: np.array(draw(st.lists(st.lists(cell, min_size=n, max_size=n), min_size=n, max_size=n)))
        for mode in ("car", "foot")
    }  # fmt: skip
    groups = [Group(f"g{k}", draw(st.floats(0, 1e5)), draw(st.integers(1, 5))) for k in range(2)]
    visits = []
    for u in range(draw(st.integers(0, 5))):
        bounds = sorted(set(draw(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=6))))
        wins = tuple(zip(bounds[0::2], bounds[1::2], strict=False))
        if not wins:
            wins = ((0.0, 1.0),)
        visits.append(
            Visit(
                f"v{u}", draw(st.integers(0, n - 1)), draw(st.floats(0, 1e4)), wins,
                draw(st.floats(0, 1e3)), draw(st.booleans()), draw(st.sampled_from([None, "g0", "g1"])),
            )
        )  # fmt: skip
    vehicles = []
    for k in range(draw(st.integers(0, 3))):
        early = draw(st.floats(-1e5, 1e5))
        late = early + draw(st.floats(0, 1e5))
        vehicles.append(
            Vehicle(
                f"k{k}", draw(st.sampled_from(["car", "foot"])), draw(st.integers(0, n - 1)),
                draw(st.integers(0, n - 1)), early, late, draw(st.floats(0, 1e5)),
                draw(st.floats(0, 100)),
            )
        )  # fmt: skip
    return RoutingProblem(
        name=draw(st.text(max_size=10)),
        visits=tuple(visits),
        vehicles=tuple(vehicles),
        groups=tuple(groups),
        travel_time_s=mats,
        budget_paid_hours=draw(st.none() | st.floats(0, 1e4)),
        location_labels=tuple(draw(st.lists(st.text(max_size=5), min_size=n, max_size=n))),
    )


@FUZZ
@given(problems())
def test_valid_problems_read_back_equal(problem: RoutingProblem) -> None:
    """Any valid problem written with to_json and read back has the same parts."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "problem.json"
        problem.to_json(path)
        back = RoutingProblem.from_json(path)
    assert back.to_dict() == problem.to_dict()


def test_the_bases_read() -> None:
    """The unmutated bases read, so the mutations above start from valid documents."""
    assert from_value(BASE) is not None
    assert Solution.from_dict(BASE_SOLUTION).routes[0].stops[0].visit_id == "a"
