"""Randomised control hot-spot-days: the seeded choice, its config and the candidate filter."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from planner.common import LONDON
from planner.config import EvaluationConfig, ForceConfig, load_config
from planner.demand.control import (
    choose_control,
    control_choice,
    drop_control,
    shift_day,
    treated_reach,
    visit_day,
)
from planner.demand.resources import UnitShift
from planner.demand.weekly import VisitRequirement
from planner.demand.windows import TimeWindow
from planner.errors import InputError

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo" / "force.toml"
WEEK = [dt.date(2026, 11, 30) + dt.timedelta(days=i) for i in range(7)]
SPOTS = [f"HS-{i:03d}" for i in range(1, 13)]


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=LONDON).astimezone(dt.UTC)


def test_same_seed_same_choice_and_another_seed_another() -> None:
    a = choose_control(SPOTS, WEEK, share=0.2, seed=11)
    assert a == choose_control(list(reversed(SPOTS)), WEEK[::-1], share=0.2, seed=11)
    assert a != choose_control(SPOTS, WEEK, share=0.2, seed=12)
    assert choose_control(SPOTS, WEEK, share=0.0, seed=11) == frozenset()
    assert choose_control([], WEEK, share=0.5, seed=11) == frozenset()


def test_a_hot_spot_added_does_not_reorder_the_others() -> None:
    """Each day's order is by hot spot: with one more hot spot the day keeps its first ones."""
    a = choose_control(SPOTS, WEEK, share=0.25, seed=3)
    b = choose_control([*SPOTS, "HS-999"], WEEK, share=0.25, seed=3)
    kept = {p for p in b if p[0] != "HS-999"}
    assert len(kept & a) >= len(a) - len(WEEK)


def test_the_share_is_about_right_on_each_day_of_a_big_set() -> None:
    spots = [f"S{i}" for i in range(500)]
    chosen = choose_control(spots, WEEK, share=0.2, seed=2026)
    assert len(chosen) == round(0.2 * 500 * 7)
    per_day = Counter(d for _, d in chosen)
    assert set(per_day) == set(WEEK) and max(per_day.values()) - min(per_day.values()) <= 1
    # Not stratified by hot spot: the number of control days varies between hot spots.
    per_spot = Counter(s for s, _ in chosen)
    counts = Counter(per_spot.get(s, 0) for s in spots)
    assert counts[0] > 50 and sum(n for k, n in counts.items() if k >= 3) > 20
    # Over many seeds, each hot spot is a control on about the share of its days.
    many = Counter(
        s for seed in range(40) for s, _ in choose_control(spots[:20], WEEK, share=0.2, seed=seed)
    )
    assert all(0.1 < many[s] / (40 * 7) < 0.3 for s in spots[:20])


def test_share_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="control share"):
        choose_control(SPOTS, WEEK, share=1.0, seed=1)


def _demo(**evaluation: object) -> ForceConfig:
    return load_config(DEMO).model_copy(
        update={"evaluation": EvaluationConfig.model_validate(evaluation)}
    )


def test_the_config_table() -> None:
    assert load_config(DEMO).evaluation == EvaluationConfig()
    assert _demo(control_share=0.2, seed=5).evaluation.control_share == 0.2
    with pytest.raises(ValueError, match="needs its own seed"):
        _demo(control_share=0.2)
    with pytest.raises(ValueError, match="less than 1"):
        _demo(control_share=1.0, seed=5)
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        _demo(control_share=-0.1, seed=5)
    with pytest.raises(ValueError, match="Extra inputs"):
        _demo(control_share=0.2, seed=5, share=0.3)


def test_an_unknown_key_in_the_toml_is_refused(tmp_path: Path) -> None:
    text = DEMO.read_text(encoding="utf-8") + "\n[evaluation]\ncontrol_share = 0.2\nsed = 4\n"
    path = tmp_path / "force.toml"
    path.write_text(text.replace('"crimes/*.csv"', f'"{DEMO.parent}/crimes/*.csv"'), "utf-8")
    path.with_name("sites.csv").write_text((DEMO.parent / "sites.csv").read_text("utf-8"), "utf-8")
    with pytest.raises(InputError, match="sed"):
        load_config(path)


def test_control_choice_records_control_and_treated() -> None:
    assert control_choice(load_config(DEMO), SPOTS) is None
    rec = control_choice(_demo(control_share=0.3, seed=8), SPOTS)
    assert rec is not None and rec.seed == 8 and rec.control_share == 0.3
    assert len(rec.control) == round(0.3 * 12 * 7)
    assert len(rec.control) + len(rec.treated) == 12 * 7
    assert not set(rec.control) & set(rec.treated)


def _candidate(site: str, start: str) -> VisitRequirement:
    t = local(start)
    return VisitRequirement(
        visit_id=f"{site}@{start}",
        site_id=site,
        kind="hotspot",
        windows=(TimeWindow(t, t + dt.timedelta(hours=1)),),
        dwell_s=900,
        min_gap_s=3600,
        required=False,
        prize=1.0,
    )


def test_drop_control_uses_the_day_the_band_starts() -> None:
    """A band from 23:40 on the 1st runs past midnight but is the 1st's."""
    late = _candidate("HS-001", "2026-12-01T23:40")
    next_day = _candidate("HS-001", "2026-12-02T00:40")
    other = _candidate("HS-002", "2026-12-01T10:00")
    assert visit_day(late) == dt.date(2026, 12, 1)
    control = frozenset({("HS-001", dt.date(2026, 12, 1))})
    assert drop_control([late, next_day, other], control) == [next_day, other]
    assert drop_control([late], frozenset()) == [late]


def test_treated_reach_leaves_out_control_spots_of_the_shifts_day() -> None:
    night = UnitShift(
        "s1", "CAR", "car", 2, "ST", dt.date(2026, 12, 1), "night",
        local("2026-12-01T23:00"), local("2026-12-02T07:00"),
    )  # fmt: skip
    assert shift_day(night) == dt.date(2026, 12, 2)
    control = frozenset({("HS-002", dt.date(2026, 12, 2)), ("HS-001", dt.date(2026, 12, 1))})
    reach = treated_reach(lambda s: [0, 1, 2], ["HS-001", "HS-002", "HS-003"], control)
    assert list(reach(night)) == [0, 2]
