"""Property tests: anything given as a previous ``plan.json`` reads as a plan or fails clearly.

Whatever the file holds (random bytes, any JSON value, a valid plan with one value replaced or
removed), :func:`planner.planning.plan.read_plan_json` returns a :class:`Plan` or raises a
:class:`planner.errors.PlannerError` with a one-line message: never another exception.  And
any valid plan written with :func:`write_plan_json` reads back equal.  The deadline is generous
(2 s) because the machine is shared; a plan reads in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from planner.demand.control import ControlChoice
from planner.errors import PlannerError
from planner.planning.plan import (
    Plan,
    PlanRoute,
    PlanStop,
    RejectedSite,
    Unpredictability,
    UnservedVisit,
    read_plan_json,
    week_label,
    write_plan_json,
)
from tests.planning.sample import sample_plan

FUZZ = settings(max_examples=80, deadline=2000)
BASE = sample_plan().to_dict()
PLAN_KEYS = sorted(
    {*BASE, *BASE["routes"][0], *BASE["routes"][0]["stops"][0], *BASE["unserved"][0]}
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a JSON document (the root excluded)."""
    if not isinstance(value, dict | list):
        return []
    out = []
    for key, inner in value.items() if isinstance(value, dict) else enumerate(value):
        out.append((*prefix, key))
        out.extend(_paths(inner, (*prefix, key)))
    return out


PATHS = _paths(BASE)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**320),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        [
            "2026-11-30T08:00:00",  # no UTC offset
            "2026-11-30T08:00:00+00:00",
            "0001-01-01T00:00:00+05:00",  # out of range in UTC
            "9999-12-31T23:59:59-05:00",
            "2026-W49",
            "2026-W53",
            "2026-11-30",
            "planner.plan/1",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(PLAN_KEYS) | st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
)


def read(data: bytes) -> Plan | None:
    """Read ``data`` as a plan.json in a fresh folder; ``None`` if refused as it should be."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.json"
        path.write_bytes(data)
        try:
            return read_plan_json(path)
        except PlannerError as exc:
            assert str(exc).strip() and "\n" not in str(exc), "one line"
            return None


def from_value(value: Any) -> Plan | None:
    """:meth:`Plan.from_dict` of any value; ``None`` if refused with a planner error."""
    try:
        return Plan.from_dict(value, path="plan.json")
    except PlannerError as exc:
        assert str(exc).strip() and "\n" not in str(exc), "one line"
        return None


@FUZZ
@given(st.binary(max_size=2000))
def test_any_bytes(data: bytes) -> None:
    """Random bytes: a planner error."""
    read(data)


@FUZZ
@given(json_values)
def test_any_json_value(value: Any) -> None:
    """Any JSON value, as a document and written to a file: a plan or a planner error."""
    from_value(value)
    read(json.dumps(value).encode())


@FUZZ
@given(where=st.sampled_from(PATHS), value=json_values, drop=st.booleans())
def test_one_value_replaced_or_removed(where: tuple[Any, ...], value: Any, drop: bool) -> None:
    """The sample plan with one value anywhere replaced by any JSON value, or removed."""
    doc = json.loads(json.dumps(BASE))
    target = doc
    for key in where[:-1]:
        target = target[key]
    if drop:
        del target[where[-1]]
    else:
        target[where[-1]] = value
    from_value(doc)


# ---------------------------------------------------------------------- round trip
finite = st.floats(allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=0.0, allow_nan=False, allow_infinity=False)
texts = st.text(max_size=12)
times = st.datetimes(
    min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2090, 1, 1), timezones=st.just(dt.UTC)
)
weeks = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 1, 1)).map(week_label)
stops = st.builds(
    PlanStop,
    order=st.integers(1, 50),
    visit_id=texts,
    site_id=texts,
    name=texts,
    kind=texts,
    risk=texts,
    restricted=st.booleans(),
    arrival=times,
    start=times,
    departure=times,
    travel_s=finite,
    dwell_s=positive,
    prize=positive,
    notes=texts,
    x_m=finite,
    y_m=finite,
)
routes = st.builds(
    PlanRoute,
    route_id=texts,
    unit_id=texts,
    mode=st.sampled_from(["car", "foot"]),
    officers=st.integers(0, 6),
    station_id=texts,
    day=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 1, 1)),
    shift=texts,
    shift_start=times,
    shift_end=times,
    leave=times,
    return_=times,
    paid_officer_hours=positive,
    stops=st.lists(stops, max_size=3).map(tuple),
)
unserved = st.builds(
    UnservedVisit,
    visit_id=texts,
    site_id=texts,
    kind=texts,
    required=st.booleans(),
    prize=positive,
    reason=texts,
)
rejected = st.builds(
    RejectedSite,
    source=texts,
    site_id=texts,
    kind=texts,
    stage=texts,
    reason=texts,
    required_visits=st.integers(0, 10**6),
    mp_premises=st.booleans(),
)
unpredictability = st.builds(
    Unpredictability,
    avoid_min=positive,
    previous_plan=st.none() | texts,
    sites_constrained=st.integers(0, 10**6),
    prize_without=st.none() | finite,
    prize_with=st.none() | finite,
    previous_week=st.none() | weeks,
    warning=st.none() | texts,
)
site_days = st.lists(
    st.tuples(texts, st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 1, 1))),
    max_size=4,
).map(tuple)
control_choices = st.builds(
    ControlChoice,
    control_share=st.floats(min_value=0.0, max_value=0.99, allow_nan=False),
    seed=st.integers(-(2**62), 2**62),
    control=site_days,
    treated=site_days,
)
solvers = st.fixed_dictionaries(
    {
        "time_limit_s": st.none() | positive,
        "solve_time_s": positive,
        "status": texts,
    },
    optional={"stop": texts, "stopped_by": texts, "iterations": st.integers(0, 10**9)},
)
budgets = st.fixed_dictionaries(
    {
        "pounds_per_week": finite,
        "cost_per_officer_hour": finite,
        "funded_officer_hours": finite,
        "used_officer_hours": finite,
    }
)
plans = st.builds(
    Plan,
    force=texts,
    week=weeks,
    week_start=times,
    protective_marking=texts,
    contains_mp_premises=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
    solver=solvers,
    budget=budgets,
    routes=st.lists(routes, max_size=3).map(tuple),
    unserved=st.lists(unserved, max_size=3).map(tuple),
    unpredictability=st.none() | unpredictability,
    rejected=st.lists(rejected, max_size=3).map(tuple),
    evaluation=st.none() | control_choices,
)


@FUZZ
@given(plans)
def test_valid_plans_read_back_equal(plan: Plan) -> None:
    """Any valid plan written to plan.json and read back is equal to the plan written."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_plan_json(plan, Path(folder) / "plan.json")
        assert read_plan_json(path) == plan


def test_the_sample_plan_reads() -> None:
    """The unmutated sample reads, so the mutations above start from a valid plan."""
    assert from_value(json.loads(json.dumps(BASE))) == sample_plan()
