"""Tests for planner.routing.solver.stop and SolveParams: criteria, combinations, validation."""

from __future__ import annotations

import dataclasses
import math

import pytest

from planner.errors import InputError
from planner.routing.solver import (
    FirstOf,
    MaxIterations,
    MaxRuntime,
    NoImprovement,
    SolveParams,
    StoppingCriterion,
)
from planner.routing.solver import stop as stop_mod


class FakeClock:
    """A clock the test moves by hand (no test here depends on the real time)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        """The time now, s."""
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(stop_mod.time, "perf_counter", fake)
    return fake


def test_max_iterations_counts_and_fraction_is_it_over_n():
    """N calls let N iterations run, the next stops; during iteration ``it`` fraction is it/N."""
    stop = MaxIterations(4)
    stop.reset()
    fractions = []
    while not stop((0, 0, 0)):
        fractions.append(stop.fraction())
    assert fractions == [1 / 4, 2 / 4, 3 / 4, 4 / 4]
    assert stop.fired is stop and stop.remaining_s() is None and stop.runtime_limit_s() is None
    stop.reset()
    assert stop.fired is None and stop.fraction() == 0.0 and not stop((0, 0, 0))


def test_max_runtime_follows_the_clock(clock: FakeClock):
    """MaxRuntime fires once its time has passed since reset; fraction is the share used."""
    stop = MaxRuntime(10)
    stop.reset()
    clock.now += 2.5
    assert not stop((0, 0, 0))
    assert stop.fraction() == pytest.approx(0.25) and stop.remaining_s() == pytest.approx(7.5)
    clock.now += 7.5
    assert stop((0, 0, 0)) and stop.fired is stop
    clock.now += 100
    assert stop.fraction() == 1.0 and stop.remaining_s() == 0.0
    assert stop.runtime_limit_s() == 10.0 and repr(stop) == "MaxRuntime(10)"


def test_no_improvement_counts_iterations_without_a_better_best():
    """NoImprovement(n) fires after n calls in a row whose best is not better; fraction 0."""
    stop = NoImprovement(2)
    stop.reset()
    keys = [(0, 5, 0), (0, 5, 0), (0, 6, 0), (0, 6, 0), (0, 6, -1), (0, 6, -1)]
    assert [stop(k) for k in keys] == [False, False, False, False, True, True]
    assert stop.fraction() == 0.0 and stop.fired is stop


def test_first_of_fires_first_and_takes_the_largest_fraction(clock: FakeClock):
    """``a | b``: every member counts, the first to fire ends it; fraction is the members' max."""
    stop = MaxIterations(10) | NoImprovement(100) | MaxRuntime(4)
    assert isinstance(stop, FirstOf) and len(stop.criteria) == 3  # flattened
    assert repr(stop) == "MaxIterations(10) | NoImprovement(100) | MaxRuntime(4)"
    stop.reset()
    assert not stop((0, 1, 0))
    clock.now += 2
    assert stop.fraction() == pytest.approx(0.5)  # the clock's share beats 1/10
    assert stop.remaining_s() == pytest.approx(2.0) and stop.runtime_limit_s() == 4.0
    clock.now += 2
    assert stop((0, 1, 0)) and isinstance(stop.fired, MaxRuntime)
    stop.reset()
    assert stop.fired is None
    for _ in range(10):
        assert not stop((0, 1, 0))
    assert stop.fraction() == 1.0  # 10/10 (NoImprovement adds nothing)
    assert stop((0, 1, 0)) and stop.fired == MaxIterations(10)


def test_first_of_reports_a_deterministic_member_over_the_clock(clock: FakeClock):
    """When the iteration count and the clock fire together, the iterations are the reason."""
    stop = MaxRuntime(1) | MaxIterations(1)
    stop.reset()
    assert not stop((0, 0, 0))
    clock.now += 5
    assert stop((0, 0, 0)) and stop.fired == MaxIterations(1)


def test_single_member_fraction_is_exactly_the_members():
    """A combination with one counting member anneals exactly as that member alone."""
    alone, both = MaxIterations(7), MaxIterations(7) | NoImprovement(3)
    alone.reset()
    both.reset()
    for _ in range(7):
        alone((0, 0, 0))
        both((0, 0, 0))
        assert both.fraction() == alone.fraction()


def test_equality_and_hash_follow_the_configuration():
    """Criteria configured alike compare equal, whatever their counters."""
    a, b = MaxIterations(3), MaxIterations(3)
    a.reset()
    a((0, 0, 0))
    assert a == b and hash(a) == hash(b) and a != MaxIterations(4) and a != NoImprovement(3)
    assert MaxRuntime(2) == MaxRuntime(2.0)
    assert (MaxIterations(3) | MaxRuntime(2)) == FirstOf(MaxIterations(3), MaxRuntime(2))


@pytest.mark.parametrize(
    "make",
    [
        lambda: MaxIterations(0),
        lambda: MaxIterations(-3),
        lambda: MaxIterations(2.5),
        lambda: MaxIterations(True),
        lambda: MaxRuntime(0),
        lambda: MaxRuntime(-1.0),
        lambda: MaxRuntime(math.inf),
        lambda: MaxRuntime(math.nan),
        lambda: MaxRuntime("5"),
        lambda: NoImprovement(0),
        lambda: FirstOf(),
        lambda: FirstOf(MaxIterations(3), 5),
    ],
)
def test_bad_criteria_raise_input_error(make):
    """Non-positive, non-finite or non-numeric arguments raise InputError."""
    with pytest.raises(InputError):
        make()


def test_criteria_are_stopping_criteria():
    """Every criterion shares the base class the solver checks for."""
    for c in (MaxIterations(1), MaxRuntime(1), NoImprovement(1), MaxIterations(1) | MaxRuntime(1)):
        assert isinstance(c, StoppingCriterion)


def test_solve_params_defaults_are_the_tuned_values():
    """The defaults are the values the search was tuned with (plans depend on them)."""
    p = SolveParams()
    assert (p.ruin_share, p.ruin_max) == (0.3, 30)
    assert (p.ruin_random_cut, p.ruin_related_cut, p.ruin_segment_cut) == (0.3, 0.65, 0.9)
    assert (p.related_jitter, p.reseed_tries, p.insert_alpha) == (1e-3, 5, 2.0)
    assert (p.ruin_noise, p.polish_noise, p.temp_factor) == (0.5, 0.2, 0.5)
    assert (p.sub_over_visits, p.sub_over_vehicles, p.sub_vehicles, p.sub_extra) == (150, 12, 4, 40)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.temp_factor = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    "bad",
    [
        {"ruin_share": 0.0},
        {"ruin_share": 1.5},
        {"ruin_max": 0},
        {"ruin_max": 2.0},
        {"ruin_related_cut": 0.2},
        {"ruin_segment_cut": 1.1},
        {"related_jitter": -1e-3},
        {"reseed_tries": 0},
        {"insert_alpha": math.inf},
        {"ruin_noise": -0.1},
        {"polish_noise": math.nan},
        {"temp_factor": True},
        {"sub_vehicles": 0},
        {"sub_extra": -1},
        {"sub_over_visits": "150"},
    ],
)
def test_solve_params_validation(bad):
    """Out-of-range, non-finite or wrongly typed params raise InputError."""
    with pytest.raises(InputError):
        SolveParams(**bad)
