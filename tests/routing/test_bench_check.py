"""Tests for planner.routing.bench_check: benchmark plans checked against the instance files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from planner.errors import InputError
from planner.routing.bench_check import family_of, travel_times, validate_benchmark
from planner.routing.benchmarks import read_top, read_toptw
from planner.routing.solver import MaxIterations, Route, Solution, Stop, solve
from planner.routing.validate import validate

BENCH = Path(__file__).resolve().parents[3] / "shared" / "bench"  # beside the project
needs_bench = pytest.mark.skipif(not BENCH.exists(), reason="shared benchmarks not present")

# A Cordeau-style file whose one-customer round trip fits Tmax = 2.4 only if distances are
# truncated to 1 decimal: depot (0, 0) -> customer 1 (0, 1.234) is 1.2 (1 decimal) or 1.23
# (2 decimals), so the round trip is 2.4 or 2.46.  Customer 2 (0, -1.234) must start service
# by 1.2: on time at 1.2, late at 1.23.
TWO_DECIMALS = """5 1 2 4
500 200
 0 0.000 0.000 0 0 0 0 0 2.4
 1 0.000 1.234 0 7 4 1 15 0 100
 2 0.000 -1.234 0 5 4 1 15 0 1.2
"""

# A TOP file: start (0, 0), 1 at (3, 4), 2 at (0, 4), end (0, 8); tmax 10.
# [1]: 5 + 5 = 10 fits; [2]: 4 + 4 = 8 fits; [1, 2]: 5 + 3 + 4 = 12 does not.
TOP = "n 4\nm 2\ntmax 10\n0 0 0\n3 4 5\n0 4 7\n0 8 0\n"


@pytest.fixture
def pr_file(tmp_path: Path) -> Path:
    f = tmp_path / "pr99.txt"
    f.write_text(TWO_DECIMALS)
    return f


@pytest.fixture
def top_file(tmp_path: Path) -> Path:
    f = tmp_path / "p9.2.a.txt"
    f.write_text(TOP)
    return f


@needs_bench
@pytest.mark.parametrize(
    ("rel", "family", "m"),
    [
        ("top/Set_21_234/p2.2.k.txt", "top", None),
        ("toptw/c_r_rc_100_100/c101.txt", "solomon", 1),
        ("toptw/pr01_10/pr01.txt", "cordeau", 2),
    ],
)
def test_solver_plans_pass_the_benchmark_check(rel, family, m):
    """Our plans on a real file of each family pass, with the score the solver reported."""
    f = BENCH / rel
    assert family_of(f) == family
    prob = read_top(f) if family == "top" else read_toptw(f, m)
    sol = solve(prob, stop=MaxIterations(30), seed=1)
    rep = validate_benchmark(f, family, m, sol)
    assert rep.ok, rep.errors
    assert rep.total_prize == sol.total_prize > 0
    assert rep.n_served == sum(len(r.stops) for r in sol.routes)


@needs_bench
@pytest.mark.parametrize(
    ("rel", "family"),
    [("toptw/c_r_rc_100_100/r101.txt", "solomon"), ("toptw/pr01_10/pr01.txt", "cordeau")],
)
def test_reader_matrix_equals_the_exact_convention(rel, family):
    """read_toptw's float matrix equals the checker's exact truncation on every pair."""
    f = BENCH / rel
    exact = np.array(travel_times(f, family))
    assert np.array_equal(read_toptw(f, m=1).travel_time_s["euclid"], exact)


def test_plan_valid_under_one_decimal_fails_under_two(pr_file):
    """A plan that fits with 1-decimal truncation is rejected for a Cordeau (2-decimal) file."""
    assert family_of(pr_file) == "cordeau"
    one_decimal = read_toptw(pr_file, m=1, decimals=1)
    # Timed on the 1-decimal matrix: out at 1.2, back at 2.4 = Tmax.
    sol = Solution(
        "pr99-m1",
        0,
        (Route("path1", (Stop("1", 1.2, 1.2, 1.2),), 0.0, 2.4),),
        ("2",),
        7.0,
        2.4,
        0.0,
        "ok",
    )
    assert validate(one_decimal, sol).ok
    assert validate_benchmark(pr_file, "solomon", 1, sol).ok  # the same file at 1 decimal
    rep = validate_benchmark(pr_file, "cordeau", 1, sol)
    assert not rep.ok
    assert any("after Tmax 2.4" in e for e in rep.errors), rep.errors
    assert any("before the earliest possible 1.23" in e for e in rep.errors), rep.errors
    assert not validate(read_toptw(pr_file, m=1), sol).ok  # the reader agrees now
    late = validate_benchmark(pr_file, "cordeau", 1, [["2"]])
    assert not late.ok and "window closes at 1.2" in late.errors[0]
    assert validate_benchmark(pr_file, "solomon", 1, [["2"]]).ok


def test_valid_plain_sequences_pass(top_file, pr_file):
    """Plain visit sequences (ints or strings) are accepted; empty paths are ignored."""
    rep = validate_benchmark(top_file, "top", None, [[1], ["2"], []])
    assert rep.ok and rep.total_prize == 12.0 and rep.n_served == 2
    assert validate_benchmark(pr_file, "solomon", 2, [[1], [2]]).total_prize == 12.0


@pytest.mark.parametrize(
    ("family", "m", "plan", "needle"),
    [
        ("top", None, [[1, 2]], "exceeds tmax"),
        ("top", 1, [[1], [2]], "only m = 1"),
        ("top", None, [[1], [1]], "visited twice"),
        ("top", None, [[3]], "not a customer"),
        ("top", None, [[0]], "not a customer"),
        ("top", None, [["x"]], "not a vertex number"),
        ("solomon", 1, [[1, 2]], "window closes"),
    ],
)
def test_each_broken_rule_is_caught(top_file, pr_file, family, m, plan, needle):
    """Each broken benchmark rule is reported."""
    f = top_file if family == "top" else pr_file
    rep = validate_benchmark(f, family, m, plan)
    assert not rep.ok
    assert any(needle in e for e in rep.errors), rep.errors


def test_reported_score_and_start_times_are_checked(pr_file):
    """A plan's reported score and too-early service starts are caught."""
    stop = Stop("1", 1.2, 1.2, 1.2)
    sol = Solution("x", 0, (Route("path1", (stop,), 0.0, 2.4),), ("2",), 7.0, 2.4, 0.0, "ok")
    assert validate_benchmark(pr_file, "solomon", 1, sol).ok
    wrong = Solution("x", 0, sol.routes, ("2",), 9.0, 2.4, 0.0, "ok")
    assert "reported score 9.0" in validate_benchmark(pr_file, "solomon", 1, wrong).errors[0]
    early = Route("path1", (Stop("1", 1.0, 1.0, 1.0),), 0.0, 2.2)
    sol_early = Solution("x", 0, (early,), ("2",), 7.0, 2.2, 0.0, "ok")
    errs = validate_benchmark(pr_file, "solomon", 1, sol_early).errors
    assert any("before the earliest possible 1.2" in e for e in errs), errs


def test_bad_arguments_raise_input_error(pr_file, tmp_path):
    """Unknown family, missing m for TOPTW, and unreadable files raise InputError."""
    with pytest.raises(InputError, match="unknown benchmark family"):
        validate_benchmark(pr_file, "vrp", 1, [])
    with pytest.raises(InputError, match="pass m"):
        validate_benchmark(pr_file, "cordeau", None, [])
    bad = tmp_path / "bad.txt"
    bad.write_text("hello\n")
    with pytest.raises(InputError, match="bad.txt"):
        validate_benchmark(bad, "solomon", 1, [])
    with pytest.raises(InputError, match="missing.txt"):
        family_of(tmp_path / "missing.txt")
