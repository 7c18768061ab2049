"""The deployability figures (planner.planning.quality), on hand-made starts and the demo."""

from __future__ import annotations

import datetime as dt

import pytest

from planner.common import LONDON
from planner.planning.quality import _repeats, measure, spearman
from planner.planning.week import PlanResult


def at(day: int, hh: int, mm: int) -> dt.datetime:
    """Local time on day ``day`` of the demo-like week (Monday 30 November 2026 is day 0)."""
    return dt.datetime(2026, 11, 30, hh, mm, tzinfo=LONDON) + dt.timedelta(days=day)


def test_repeats_count_pairs_on_different_days_within_the_minutes() -> None:
    """10:00 Mon, 10:30 Tue (repeat), 10:31 Wed (repeat of Tue only), 10:05 Mon (same day)."""
    starts = {
        "S": [
            (at(0, 10, 0), "a"),
            (at(1, 10, 30), "b"),
            (at(2, 10, 31), "c"),
            (at(0, 10, 5), "d"),
        ]
    }
    free, forced = _repeats(starts, lambda a, b: False, 30.0)
    # a-b (30), b-c (1), d-b (25), d-c (26): a-c is 31 min, a-d the same day.
    assert (free, forced) == (4, 0)
    free, forced = _repeats(starts, lambda a, b: "c" in (a, b), 30.0)
    assert (free, forced) == (2, 2)
    # Across midnight: 23:50 and 00:10 the next day are 20 minutes apart in time of day.
    midnight = {"S": [(at(0, 23, 50), "x"), (at(1, 0, 10), "y")]}
    assert _repeats(midnight, lambda a, b: False, 30.0) == (1, 0)


def test_spearman_ranks_with_ties() -> None:
    """Perfect order gives 1, reversed -1; too few points or constant values give None."""
    assert spearman([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1], [1]) is None


def test_demo_hot_spot_visits_bound_by_the_rule_never_repeat(demo_plan: PlanResult) -> None:
    """On the demo no two rule-bound visits to a hot spot repeat a time of day.

    Repeats at hot spots all involve a visit offered as a repeat candidate (the dose beyond
    the hot spot's distinct times), and utilisation is what the routes' own times give.
    """
    inputs = demo_plan.inputs
    hot = {h.site_id: float(h.harm) for h in inputs.hotspots.hotspots} if inputs.hotspots else {}
    assert hot
    selected = inputs.resources.selected
    q = measure(
        demo_plan.plan,
        bought=len(selected),
        bought_paid_s=sum(s.hours for s in selected) * 3600,
        hotspot_harm=hot,
        requirements=demo_plan.model.requirements,
    )
    assert q.repeats_hotspots == 0
    assert q.repeats == 0
    assert q.deployed == q.bought
    assert 0 < q.utilisation <= 1
    assert q.harm_dosage_spearman is not None and q.harm_dosage_spearman > 0
