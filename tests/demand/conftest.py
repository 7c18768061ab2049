"""Shared fixtures and helpers for the demand tests: the Rutland example and tiny site files."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.config import ForceConfig, load_config
from planner.demand.sites import read_site_points
from planner.demand.weekly import Demand, build_demand, sites_from_points

RUTLAND = Path(__file__).resolve().parents[2] / "data" / "rutland" / "force.toml"


@pytest.fixture(scope="module")
def config() -> ForceConfig:
    """The Rutland example configuration (week 2022-W43, Monday 24 October)."""
    return load_config(RUTLAND)


def demand_from_csv(config: ForceConfig, tmp_path: Path, header: str, *rows: str) -> Demand:
    """Demand from a small site CSV (``header`` then ``rows``) written in ``tmp_path``."""
    path = tmp_path / "sites.csv"
    path.write_text(header + "".join(r + "\n" for r in rows))
    sites, rejects = sites_from_points(read_site_points(path), config.week.days)
    return build_demand(config, sites, rejects=rejects)
