"""plan.json's reader, and the checks on last week's plan and ``avoid_min`` in make_plan."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from planner.config import ForceConfig, load_config
from planner.errors import InputError
from planner.planning.model import check_avoid_min
from planner.planning.plan import Plan, read_plan_json, write_plan_json
from planner.planning.week import check_previous_plan, make_plan
from planner.routing.solver import MaxIterations
from tests.planning.sample import sample_plan

REPO = Path(__file__).resolve().parents[2]
Doc = dict[str, Any]


@pytest.fixture(scope="module")
def demo_config() -> ForceConfig:
    """The demo town's configuration (week 2026-W49)."""
    return load_config(REPO / "data" / "demo" / "force.toml")


def one_line(exc: pytest.ExceptionInfo[InputError]) -> str:
    """The error's message, checked to be one line."""
    text = str(exc.value)
    assert text.strip() and "\n" not in text
    return text


def test_round_trip_and_byte_order_mark(tmp_path: Path) -> None:
    """A plan written and read back is equal, also with a UTF-8 byte order mark added."""
    plan = sample_plan()
    path = write_plan_json(plan, tmp_path / "plan.json")
    assert read_plan_json(path) == plan
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert read_plan_json(path) == plan
    older = plan.to_dict()
    del older["unpredictability"]["previous_week"], older["unpredictability"]["warning"]
    assert Plan.from_dict(older) == plan  # plans written before those keys existed


def _set(keys: tuple[Any, ...], value: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        for key in keys[:-1]:
            doc = doc[key]
        doc[keys[-1]] = value

    return change


def _drop(keys: tuple[Any, ...]) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        for key in keys[:-1]:
            doc = doc[key]
        del doc[keys[-1]]

    return change


STOP = ("routes", 0, "stops", 0)


@pytest.mark.parametrize(
    ("change", "field", "needle"),
    [
        (_set(("schema",), "planner.plan/2"), "schema", "this planner reads"),
        (_drop(("force",)), "force", "missing"),
        (_set((*STOP, "start"), "2026-11-30T08:05:00"), "routes[0].stops[0].start", "UTC offset"),
        (_set((*STOP, "start"), "at eight"), "routes[0].stops[0].start", "ISO 8601"),
        (_set((*STOP, "prize"), math.nan), "routes[0].stops[0].prize", "NaN is not a number"),
        (_set((*STOP, "prize"), "2.5"), "routes[0].stops[0].prize", "must be a number"),
        (_set((*STOP, "restricted"), "yes"), "routes[0].stops[0].restricted", "true or false"),
        (_set(("routes", 0, "officers"), 2.5), "routes[0].officers", "whole number"),
        (_set(("routes", 0, "day"), "30/11/2026"), "routes[0].day", "not a date"),
        (_set(("routes", 0, "stops"), {}), "routes[0].stops", "must be a list"),
        (_set(("budget", "used_officer_hours"), math.inf), "budget.used_officer_hours", "finite"),
        (_drop(("budget", "pounds_per_week")), "budget.pounds_per_week", "missing"),
        (_set(("week",), "2026-W60"), "week", "ISO week"),
        (_set(("seed",), True), "seed", "whole number"),
        (_set(("solver", "status"), None), "solver.status", "must be a string"),
        (_set(("unserved", 0, "required"), 1), "unserved[0].required", "true or false"),
        (_set(("unpredictability", "avoid_min"), -5), "unpredictability.avoid_min", ">= 0"),
        (
            _set(("unpredictability", "previous_week"), "W48"),
            "unpredictability.previous_week",
            "week",
        ),
    ],
)
def test_bad_fields_are_named(
    tmp_path: Path, change: Callable[[Doc], None], field: str, needle: str
) -> None:
    """Each wrong, missing or non-finite value is one error naming the file and its JSON path."""
    doc = sample_plan().to_dict()
    change(doc)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match=needle) as exc:
        read_plan_json(path)
    assert exc.value.field == field and exc.value.path == path
    assert str(path) in one_line(exc)


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"[1, 2]", "JSON object"),
        (b'"plan"', "JSON object"),
        (b"42", "JSON object"),
        (b"", "not valid JSON"),
        (b'{"schema": ', "not valid JSON"),
        (b"[" * 50_000, "nested too deeply"),
        (json.dumps({"schema": "planner.plan/1", "force": "Caf\u00e9"}).encode("utf-16"), "UTF-16"),
        (json.dumps({"force": "Caf\u00e9"}, ensure_ascii=False).encode("cp1252"), "Windows-1252"),
    ],
)
def test_files_that_are_not_plans(tmp_path: Path, data: bytes, needle: str) -> None:
    """Lists, strings, numbers, broken JSON and text in other encodings: one clear error."""
    path = tmp_path / "plan.json"
    path.write_bytes(data)
    with pytest.raises(InputError, match=needle) as exc:
        read_plan_json(path)
    assert str(path) in one_line(exc)


def test_a_folder_or_a_missing_file(tmp_path: Path) -> None:
    """A folder is refused with the plan inside it suggested; a missing file is named."""
    write_plan_json(sample_plan(), tmp_path / "last" / "plan.json")
    with pytest.raises(InputError, match="is a folder") as exc:
        read_plan_json(tmp_path / "last")
    assert "plan.json" in one_line(exc)
    with pytest.raises(InputError, match="not found"):
        read_plan_json(tmp_path / "nothing.json")


@pytest.mark.parametrize(
    ("force", "week", "needle"),
    [
        ("Leicestershire Police", "2026-W48", "is a plan for force 'Leicestershire Police'"),
        (None, "2026-W49", "the week being planned"),
        (None, "2027-W02", "a later week"),
    ],
)
def test_previous_plan_refused(
    demo_config: ForceConfig, tmp_path: Path, force: str | None, week: str, needle: str
) -> None:
    """Another force's plan, or this week's or a later one, is refused before any work."""
    last = sample_plan(force=force or demo_config.name, week=week)
    path = write_plan_json(last, tmp_path / "last.json")
    with pytest.raises(InputError, match=needle) as exc:
        make_plan(demo_config, cache_dir=tmp_path / "never", previous_plan=path)
    assert str(path) in one_line(exc)
    assert not (tmp_path / "never").exists()  # refused before the network was built


def test_previous_plan_of_an_older_week_warns(
    demo_config: ForceConfig, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Last week's plan passes quietly; an older one (even a year old) is used with a warning."""
    name = demo_config.name
    assert check_previous_plan(sample_plan(force=name, week="2026-W48"), demo_config, "a") is None
    with caplog.at_level(logging.WARNING, logger="planner.planning.week"):
        warning = check_previous_plan(sample_plan(force=name, week="2025-W48"), demo_config, "b")
    assert warning is not None and "2025-W48" in warning and "2026-W48" in warning
    assert warning in caplog.text


def test_older_week_recorded_in_the_plan(demo_config: ForceConfig, tmp_path: Path) -> None:
    """The warning about an older previous plan is kept in the plan and its summary."""
    last = write_plan_json(
        sample_plan(force=demo_config.name, week="2026-W46"), tmp_path / "l.json"
    )
    result = make_plan(demo_config, cache_dir=tmp_path, previous_plan=last, stop=MaxIterations(3))
    unp = result.plan.unpredictability
    assert unp is not None and unp.previous_week == "2026-W46"
    assert unp.warning is not None and "not last week (2026-W48)" in unp.warning
    assert "from 2026-W46's times" in result.plan.summary()
    again = read_plan_json(write_plan_json(result.plan, tmp_path / "plan.json"))
    assert again.unpredictability == unp


@pytest.mark.parametrize("avoid_min", [math.nan, math.inf, -math.inf, -1.0, 10_081, True, "60"])
def test_avoid_min_must_be_minutes(
    demo_config: ForceConfig, tmp_path: Path, avoid_min: Any
) -> None:
    """NaN, infinity, negatives, more than a week and non-numbers are refused at once."""
    with pytest.raises(InputError, match="avoid_min") as exc:
        make_plan(demo_config, cache_dir=tmp_path / "never", avoid_min=avoid_min)
    assert ("NaN" in one_line(exc)) == (avoid_min != avoid_min)
    assert not (tmp_path / "never").exists()


def test_avoid_min_accepts_minutes() -> None:
    """Zero, a whole number and a week are fine, and come back as floats."""
    assert [check_avoid_min(v) for v in (0, 45, 10_080.0)] == [0.0, 45.0, 10_080.0]
