"""The week's inputs end to end: `planner demand` and `planner demo` (planner.planning.pipeline)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.config import load_config
from planner.demand.sites import read_site_points
from planner.planning.pipeline import WeekInputs, prepare_week

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_week(tmp_path_factory: pytest.TempPathFactory) -> WeekInputs:
    """The demo town's inputs for its planning week."""
    return prepare_week(
        load_config(REPO / "data" / "demo" / "force.toml"),
        cache_dir=tmp_path_factory.mktemp("cache"),
    )


@pytest.fixture(scope="module")
def rutland_week(tmp_path_factory: pytest.TempPathFactory) -> WeekInputs:
    """Rutland with Leicestershire's real crimes (Aug-Oct 2022) and fictional sites."""
    return prepare_week(
        load_config(REPO / "data" / "rutland" / "force.toml"),
        cache_dir=tmp_path_factory.mktemp("cache"),
    )


@pytest.mark.parametrize("week", ["demo_week", "rutland_week"])
def test_every_record_accounted_for(week: str, request: pytest.FixtureRequest) -> None:
    """Each site row is demand or a reject; each crime row is kept or rejected with a reason."""
    inputs: WeekInputs = request.getfixturevalue(week)
    cfg = inputs.config
    site_ids = {sid for f in cfg.site_files() for sid in read_site_points(f).site_id}
    hotspot_ids = {h.site_id for h in inputs.hotspots.hotspots} if inputs.hotspots else set()
    in_demand = {s.site_id for s in inputs.demand.sites}
    rejected = {r.record_id for r in inputs.demand.rejects}
    assert in_demand | rejected == site_ids | hotspot_ids
    assert not in_demand & rejected
    intake = inputs.hotspots.intake
    assert intake.rows_read == len(intake.records) + sum(intake.counts.values())


def test_demo_week(demo_week: WeekInputs) -> None:
    """The demo: hot spots in the town, every kind of site, the unlocated surgery rejected."""
    kinds = {s.kind for s in demo_week.demand.sites}
    assert kinds >= {"mp_office", "mp_surgery", "mp_home", "place_of_worship", "protest", "hotspot"}
    assert [r.record_id for r in demo_week.demand.rejects] == ["NB-UNLOC"]
    assert demo_week.resources.used_officer_hours <= demo_week.resources.funded_officer_hours
    assert len(demo_week.hotspots.hotspots) == 12


def test_rutland_week(rutland_week: WeekInputs) -> None:
    """Rutland: the site in Rutland Water is rejected at snapping, the unlocated one at reading."""
    stages = {r.record_id: r.stage for r in rutland_week.demand.rejects}
    assert stages == {"R-SUR-1": "site", "R-EV-1": "site", "R-LAKE": "snap"}
    assert rutland_week.hotspots is not None and len(rutland_week.hotspots.hotspots) == 15


def test_demand_command(tmp_path: Path) -> None:
    """`planner demand CONFIG` prints the tables and writes every report."""
    result = CliRunner().invoke(
        cli,
        [
            "demand",
            str(REPO / "data" / "demo" / "force.toml"),
            "--out",
            str(tmp_path),
            "--cache-dir",
            str(tmp_path / "c"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "demand for 2026-W49" in result.output and "officer-hours" in result.output
    for name in (
        "demand_by_kind.csv",
        "visits.csv",
        "rejects.csv",
        "unit_shifts.csv",
        "hotspots.csv",
        "crime_rejects.csv",
    ):
        assert (tmp_path / name).exists(), name
    with (tmp_path / "rejects.csv").open() as fh:
        assert [r["record_id"] for r in csv.DictReader(fh)] == ["NB-UNLOC"]


def test_demo_command(tmp_path: Path) -> None:
    """`planner demo` runs on the built-in data with no download."""
    result = CliRunner().invoke(
        cli, ["demo", "--out", str(tmp_path / "run"), "--cache-dir", str(tmp_path / "c")]
    )
    assert result.exit_code == 0, result.output
    assert "Northshire Police (demo)" in result.output


def test_excluded_place_makes_no_hotspot(rutland_week: WeekInputs) -> None:
    """Rutland's config excludes HMP Stocken: its crimes are reported, and no hot spot is there."""
    intake = rutland_week.hotspots.intake
    assert intake.counts["excluded_place"] > 0
    assert all(r.reason != "excluded_place" or r.file for r in intake.rejects)
    for h in rutland_week.hotspots.hotspots:
        assert ((h.x_m - 495670) ** 2 + (h.y_m - 318220) ** 2) ** 0.5 > 400
