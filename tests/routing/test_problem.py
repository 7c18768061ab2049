"""Tests for planner.routing.problem: validation, JSON round trip and the benchmark readers."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from planner.errors import InputError
from planner.routing.benchmarks import read_top, read_toptw, toptw_decimals
from planner.routing.problem import (
    SCHEMA,
    Group,
    RoutingProblem,
    Vehicle,
    Visit,
)
from planner.routing.solver import Route, Solution, Stop

BENCH = Path(__file__).resolve().parents[3] / "shared" / "bench"  # beside the project
needs_bench = pytest.mark.skipif(not BENCH.exists(), reason="shared benchmarks not present")


def small_problem(**over) -> RoutingProblem:
    mat = np.array([[0.0, 60.0, np.inf], [60.0, 0.0, 30.5], [np.inf, 30.5, 0.0]])
    kw = dict(
        name="small",
        visits=(
            Visit("a", 1, 300.0, ((0.0, 1000.0), (2000.0, 3000.0)), 2.5, group="g"),
            Visit("b", 2, 0.0, ((10.0, 20.0),), 1.0, required=True),
        ),
        vehicles=(Vehicle("car1", "car", 0, 0, 0.0, 3600.0, 3600.0, 8.0),),
        groups=(Group("g", 600.0, 1),),
        travel_time_s={"car": mat, "foot": mat * 5},
        budget_paid_hours=10.0,
        location_labels=("station", "s1", "s2"),
    )
    kw.update(over)
    return RoutingProblem(**kw)


def test_valid_problem_builds_and_freezes_matrices():
    """A well-formed problem builds; its matrices are read-only copies."""
    p = small_problem()
    assert p.n_locations == 3
    with pytest.raises(ValueError):
        p.travel_time_s["car"][0, 1] = 1.0


@pytest.mark.parametrize(
    ("over", "needle"),
    [
        ({"travel_time_s": {"car": np.zeros((2, 3))}}, "square"),
        ({"travel_time_s": {"car": np.zeros((3, 3)), "foot": np.zeros((2, 2))}}, "same locations"),
        ({"travel_time_s": {"car": np.full((3, 3), np.nan)}}, "NaN"),
        ({"travel_time_s": {"car": -np.ones((3, 3))}}, "negative"),
        ({"visits": (Visit("a", 7, 0.0, ((0.0, 1.0),), 1.0),)}, "location"),
        ({"visits": (Visit("a", 1, 0.0, ((5.0, 1.0),), 1.0),)}, "opens after"),
        ({"visits": (Visit("a", 1, 0.0, ((0.0, 5.0), (4.0, 9.0)), 1.0),)}, "disjoint"),
        ({"visits": (Visit("a", 1, 0.0, (), 1.0),)}, "no time window"),
        ({"visits": (Visit("a", 1, 0.0, ((0.0, 1.0),), 1.0, group="zz"),)}, "unknown group"),
        ({"visits": (Visit("a", 1, 0.0, ((0.0, 1.0),), -1.0),)}, "prize"),
        ({"visits": (Visit("a", 1, 0.0, ((0.0, 1.0),), 1.0),) * 2}, "twice"),
        ({"vehicles": (Vehicle("v", "bike", 0, 0, 0.0, 10.0, 10.0),)}, "mode"),
        ({"vehicles": (Vehicle("v", "car", 0, 9, 0.0, 10.0, 10.0),)}, "end_location"),
        ({"vehicles": (Vehicle("v", "car", 0, 0, 10.0, 0.0, 10.0),)}, "before"),
        ({"groups": (Group("g", 1.0, 0),)}, "max_per_route"),
        ({"location_labels": ("x",)}, "label"),
        ({"budget_paid_hours": -1.0}, "budget"),
    ],
)
def test_malformed_inputs_raise_input_error(over, needle):
    """Each structural mistake raises InputError with a message saying what to fix."""
    with pytest.raises(InputError, match=needle):
        small_problem(**over)


def test_huge_numbers_refused_before_the_solver(recwarn):
    """A problem's numbers within bounds scale to solver integers without an overflow warning."""
    from planner.routing.problem import MAX_AMOUNT, MAX_TIME_S
    from planner.routing.solver import to_solver_int

    p = small_problem(
        visits=(Visit("a", 1, MAX_TIME_S, ((-MAX_TIME_S, MAX_TIME_S),), MAX_AMOUNT),),
        groups=(),
    )
    v = p.visits[0]
    assert to_solver_int(v.service_s, "time_up") > 0 and to_solver_int(v.prize, "prize") > 0
    with pytest.raises(InputError, match="too large"):
        to_solver_int(1e308, "time_up")
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_json_round_trip_is_exact(tmp_path):
    """to_json/from_json round-trips every field exactly, inf as null, and is atomic."""
    p = small_problem()
    path = tmp_path / "sub" / "p.json"
    p.to_json(path)
    raw = json.loads(path.read_text())
    assert raw["schema"] == SCHEMA
    assert raw["travel_time_s"]["car"][0][2] is None
    q = RoutingProblem.from_json(path)
    assert q.visits == p.visits and q.vehicles == p.vehicles and q.groups == p.groups
    assert q.budget_paid_hours == p.budget_paid_hours
    assert q.location_labels == p.location_labels
    for mode in p.travel_time_s:
        np.testing.assert_array_equal(q.travel_time_s[mode], p.travel_time_s[mode])
    assert not list(path.parent.glob(".*tmp"))


def test_json_rejects_unknown_schema_and_bad_files(tmp_path):
    """Unknown schema strings, invalid JSON and missing keys raise InputError naming the file."""
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"schema": "other/9"}))
    with pytest.raises(InputError, match="schema"):
        RoutingProblem.from_json(path)
    path.write_text("{not json")
    with pytest.raises(InputError, match="JSON"):
        RoutingProblem.from_json(path)
    path.write_text(json.dumps({"schema": SCHEMA, "travel_time_s": {"car": [[0.0]]},
                                "visits": [{"visit_id": "x"}]}))  # fmt: skip
    with pytest.raises(InputError, match=str(path.name)):
        RoutingProblem.from_json(path)


_DROP = object()


def _doc_with(keys: tuple, value: object) -> dict:
    doc = small_problem().to_dict()
    target = doc
    for key in keys[:-1]:
        target = target[key]
    if value is _DROP:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("keys", "value", "field", "needle"),
    [
        (("visits", 0, "prize"), -1.0, "visits[0].prize", "visit 'a': prize must be >= 0"),
        (("visits", 0, "prize"), math.nan, "visits[0].prize", "NaN is not a number"),
        (("visits", 1, "windows", 0, 1), math.nan, "visits[1].windows[0][1]", "NaN is not"),
        (("visits", 0, "windows", 1), [3000.0, 2000.0], "visits[0].windows[1]", "opens after"),
        (("visits", 0, "service_s"), "300", "visits[0].service_s", "must be a number"),
        (("visits", 0, "location"), 1.0, "visits[0].location", "whole number"),
        (("visits", 0, "location"), 9, "visits[0].location", "not a matrix index"),
        (("visits", 0, "required"), "no", "visits[0].required", "true or false"),
        (("visits", 0, "group"), "zz", "visits[0].group", "unknown group"),
        (("visits", 1, "visit_id"), _DROP, "visits[1].visit_id", "missing"),
        (("vehicles", 0, "latest_end_s"), math.inf, "vehicles[0].latest_end_s", "not finite"),
        (("vehicles", 0, "mode"), "bike", "vehicles[0].mode", "add a matrix"),
        (("groups", 0, "max_per_route"), 0, "groups[0].max_per_route", "integer >= 1"),
        (("travel_time_s", "car", 1, 2), math.inf, "travel_time_s.car[1][2]", "write null"),
        (("travel_time_s", "car", 1, 2), -3.0, "travel_time_s.car[1][2]", "negative"),
        (("travel_time_s", "car", 1, 2), "30", "travel_time_s.car[1][2]", "must be a number"),
        (("travel_time_s", "car", 1), [0.0], "travel_time_s.car[1]", "list of 3 travel"),
        (("travel_time_s", "foot"), [[0.0]], "travel_time_s.foot", "same locations"),
        (("budget_paid_hours",), math.nan, "budget_paid_hours", "NaN is not a number"),
        (("location_labels",), ["x"], "location_labels", "one label per location"),
        (("schema",), None, "schema", "unknown schema"),
        # Sane bounds: huge numbers would overflow the solver's integer scale (10 weeks, 1e9).
        (("visits", 0, "service_s"), 1e308, "visits[0].service_s", "visit 'a' service_s is 1e+308"),
        (("visits", 0, "windows", 1, 1), 7e6, "visits[0].windows[1][1]", "ten weeks"),
        (("visits", 1, "prize"), 1e12, "visits[1].prize", "visit 'b' prize is 1000000000000.0"),
        (("vehicles", 0, "max_duration_s"), 1e300, "vehicles[0].max_duration_s", "ten weeks"),
        (("vehicles", 0, "earliest_start_s"), -1e10, "vehicles[0].earliest_start_s", "beyond"),
        (("vehicles", 0, "paid_hours"), 1e300, "vehicles[0].paid_hours", "largest allowed"),
        (("groups", 0, "min_gap_s"), 1e20, "groups[0].min_gap_s", "ten weeks"),
        (("travel_time_s", "car", 1, 2), 1e300, "travel_time_s.car[1][2]", "beyond ten weeks"),
        (("budget_paid_hours",), 1e300, "budget_paid_hours", "largest allowed"),
    ],
)
def test_json_errors_name_file_and_field(tmp_path, keys, value, field, needle):
    """Every mistake in a problem file is one line naming the file and the JSON path."""
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(_doc_with(keys, value)), encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(needle)) as exc:
        RoutingProblem.from_json(path)
    assert exc.value.path == path and exc.value.field == field
    assert str(path) in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"[]", "one JSON object"),
        (b"3.5", "one JSON object"),
        ("{}".encode("utf-16"), "UTF-16"),
        (json.dumps({"name": "Caf\u00e9"}, ensure_ascii=False).encode("cp1252"), "Windows-1252"),
        (b"[" * 50_000, "nested too deeply"),
        (b"9" * 5000, "thousands of digits"),
    ],
)
def test_json_files_that_are_not_problems(tmp_path, data, needle):
    """Other JSON values, other encodings and pathological JSON: one error naming the file."""
    path = tmp_path / "problem.json"
    path.write_bytes(data)
    with pytest.raises(InputError, match=needle) as exc:
        RoutingProblem.from_json(path)
    assert str(path) in str(exc.value) and "\n" not in str(exc.value)


def test_json_byte_order_mark_and_folder(tmp_path):
    """A UTF-8 byte order mark is fine; a folder is refused, naming the file inside it."""
    path = tmp_path / "in" / "problem.json"
    small_problem().to_json(path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert RoutingProblem.from_json(path).visits == small_problem().visits
    with pytest.raises(InputError, match="is a folder.*problem.json"):
        RoutingProblem.from_json(path.parent)


def _solution() -> Solution:
    route = Route("car1", (Stop("a", 60.0, 60.0, 360.0),), 0.0, 420.0)
    return Solution("small", 3, (route,), ("b",), 2.5, 120.0, 0.5, "ok", iterations=7)


def test_solution_json_round_trip_and_errors(tmp_path):
    """Solutions read back equal; wrong values are named by file and field."""
    sol = _solution()
    path = tmp_path / "solution.json"
    path.write_text(json.dumps(sol.to_dict()), encoding="utf-8")
    assert Solution.from_json(path) == sol
    doc = sol.to_dict()
    doc["routes"][0]["stops"][0][2] = math.nan
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match="NaN is not a number") as exc:
        Solution.from_json(path)
    assert exc.value.field == "routes[0].stops[0][2]" and str(path) in str(exc.value)
    for bad, field in (([], None), ({**sol.to_dict(), "seed": "3"}, "seed")):
        with pytest.raises(InputError) as exc:
            Solution.from_dict(bad, path=path)
        assert exc.value.field == field


@needs_bench
def test_read_top_p1_2_b_fields():
    """p1.2.b: 32 points, 2 paths, tmax 5; first point start, last point end, unrounded Euclid."""
    p = read_top(BENCH / "top/Set_32_234/p1.2.b.txt")
    assert len(p.visits) == 30 and len(p.vehicles) == 2
    lines = (BENCH / "top/Set_32_234/p1.2.b.txt").read_text().split("\n")
    pts = [tuple(map(float, ln.split())) for ln in lines[3:] if ln.strip()]
    assert len(pts) == 32
    v = p.vehicles[0]
    assert (v.start_location, v.end_location, v.latest_end_s, v.max_duration_s) == (0, 31, 5.0, 5.0)
    assert p.visits[0].prize == pts[1][2] and p.visits[0].windows == ((0.0, 5.0),)
    d = math.dist(pts[0][:2], pts[5][:2])
    assert p.travel_time_s["euclid"][0, 5] == pytest.approx(d, abs=0, rel=1e-15)
    assert read_top(BENCH / "top/Set_32_234/p1.2.b.txt", m=3).vehicles[2].vehicle_id == "path3"


@needs_bench
def test_read_toptw_c101_first_lines_and_truncation():
    """c101: depot Tmax 1236 is the last token of vertex 0; customer 1 fields; distances truncated."""
    p = read_toptw(BENCH / "toptw/c_r_rc_100_100/c101.txt", m=2)
    assert len(p.visits) == 100 and len(p.vehicles) == 2
    assert p.vehicles[0].latest_end_s == 1236.0 and p.vehicles[0].max_duration_s == 1236.0
    v1 = p.visits[0]
    assert (v1.visit_id, v1.service_s, v1.prize, v1.windows) == ("1", 90.0, 10.0, ((912.0, 967.0),))
    # depot (40,50) -> customer 1 (45,68): sqrt(25+324)=18.68... truncated to 18.6
    assert p.travel_time_s["euclid"][0, 1] == 18.6
    d = math.dist((40, 50), (45, 68))
    assert d > 18.65  # rounding would give 18.7: the reader truncates


@needs_bench
def test_top_matrix_entries_by_hand():
    """TOP (p1.2.b): travel time is the unrounded Euclidean distance (TOP_format.txt)."""
    f = BENCH / "top/Set_32_234/p1.2.b.txt"
    lines = f.read_text().splitlines()
    assert lines[3].split() == ["10.500", "14.400", "0"]  # point 0, the start
    assert lines[4].split() == ["18.000", "15.900", "10"]  # point 1
    assert lines[5].split() == ["18.300", "13.300", "10"]  # point 2
    mat = read_top(f).travel_time_s["euclid"]
    # 0 -> 1: dx = 7.5, dy = 1.5: sqrt(56.25 + 2.25) = sqrt(58.5) = 7.648529270389...
    assert mat[0, 1] == pytest.approx(7.648529270389, abs=1e-12)
    # 1 -> 2: dx = 0.3, dy = -2.6: sqrt(0.09 + 6.76) = sqrt(6.85) = 2.617250465660...
    assert mat[1, 2] == pytest.approx(2.617250465660, abs=1e-12)
    assert mat[2, 1] == mat[1, 2]


@needs_bench
def test_toptw_solomon_matrix_entries_by_hand():
    """Solomon (r101): Euclidean distance truncated to 1 decimal (TOPTW_format.txt)."""
    f = BENCH / "toptw/c_r_rc_100_100/r101.txt"
    lines = f.read_text().splitlines()
    assert lines[2].split()[:3] == ["0", "35.00", "35.00"]  # depot
    assert lines[3].split()[:3] == ["1", "41.00", "49.00"]
    assert lines[4].split()[:3] == ["2", "35.00", "17.00"]
    mat = read_toptw(f, m=1).travel_time_s["euclid"]
    # 0 -> 1: sqrt(6^2 + 14^2) = sqrt(232) = 15.2315... -> 15.2
    assert mat[0, 1] == 15.2
    # 0 -> 2: sqrt(0^2 + 18^2) = sqrt(324) = 18 exactly -> 18.0 (no tenth lost to float error)
    assert mat[0, 2] == 18.0
    # 1 -> 2: sqrt(6^2 + 32^2) = sqrt(1060) = 32.5576... -> 32.5 (rounding would give 32.6)
    assert mat[1, 2] == 32.5


@needs_bench
def test_toptw_cordeau_matrix_entries_by_hand():
    """Cordeau pr (pr01): Euclidean distance truncated to 2 decimals, not 1 (TOPTW_format.txt)."""
    f = BENCH / "toptw/pr01_10/pr01.txt"
    lines = f.read_text().splitlines()
    assert lines[2].split()[:3] == ["0", "-10.442", "19.999"]  # depot
    assert lines[3].split()[:3] == ["1", "-29.730", "64.136"]
    assert lines[4].split()[:3] == ["2", "-30.664", "5.463"]
    assert toptw_decimals(f) == 2
    mat = read_toptw(f, m=1).travel_time_s["euclid"]
    # 0 -> 1: dx = -19.288, dy = 44.137: sqrt(372.026944 + 1948.074769) = sqrt(2320.101713)
    #   = 48.1674... -> 48.16 (1 decimal would give 48.1, rounding 48.17)
    assert mat[0, 1] == 48.16
    # 1 -> 2: dx = -0.934, dy = -58.673: sqrt(0.872356 + 3442.520929) = sqrt(3443.393285)
    #   = 58.6804... -> 58.68
    assert mat[1, 2] == 58.68
    # 0 -> 2: dx = -20.222, dy = -14.536: sqrt(408.929284 + 211.295296) = sqrt(620.22458)
    #   = 24.9043... -> 24.90
    assert mat[0, 2] == 24.9
    # The convention can be overridden, e.g. to reproduce the old 1-decimal matrix.
    assert read_toptw(f, m=1, decimals=1).travel_time_s["euclid"][0, 1] == 48.1


def test_toptw_decimals_by_family_name():
    """pr* files (Cordeau et al.) truncate to 2 decimals; Solomon's c/r/rc files to 1."""
    assert [toptw_decimals(n) for n in ("pr01.txt", "x/pr01_10/PR10.txt")] == [2, 2]
    assert [toptw_decimals(n) for n in ("c101.txt", "r112.txt", "rc108.txt")] == [1, 1, 1]


def test_read_toptw_c204_header_quirk(tmp_path):
    """A header wrapped differently (c204 style) is read as its first 6 tokens."""
    body = (
        "  0 40.00 50.00 0.00 0.00 0 0 0 100\n"
        "  1 43.00 54.00 10.00 7.00 1 1 1 0 80\n"
        "  2 40.00 53.33 10.00 3.00 1 2 1 2 5 60\n"
    )
    normal = tmp_path / "a.txt"
    normal.write_text("4 3 2 1\n0 200\n" + body)
    quirky = tmp_path / "c204.txt"
    quirky.write_text("4 3 2 1 0\n200\n" + body)
    one_line = tmp_path / "b.txt"
    one_line.write_text(
        "4 3 2 1 0 200  0 40.00 50.00 0.00 0.00 0 0 0 100\n" + body.split("\n", 1)[1]
    )
    ps = [read_toptw(f, m=1) for f in (normal, quirky, one_line)]
    for p in ps:
        assert [v.visit_id for v in p.visits] == ["1", "2"]
        assert p.visits[1].windows == ((5.0, 60.0),)
        assert p.vehicles[0].latest_end_s == 100.0
        # (40,50)->(43,54) is exactly 5.0; (40,50)->(40,53.33) is 3.33 -> truncated 3.3
        assert p.travel_time_s["euclid"][0, 1] == 5.0
        assert p.travel_time_s["euclid"][0, 2] == 3.3


@needs_bench
def test_real_c204_if_present():
    """If the original c204 file is available, it reads with 100 customers."""
    f = BENCH / "toptw/c_r_rc_100_100/c204.txt"
    if not f.exists():
        pytest.skip("c204 not in the shared set")
    assert len(read_toptw(f, m=1).visits) == 100


def test_readers_reject_garbage(tmp_path):
    """Malformed benchmark files raise InputError naming the file."""
    f = tmp_path / "bad.txt"
    f.write_text("hello\n")
    with pytest.raises(InputError, match="bad.txt"):
        read_top(f)
    with pytest.raises(InputError, match="bad.txt"):
        read_toptw(f, m=1)
