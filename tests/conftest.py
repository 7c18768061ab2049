"""Shared fixtures: real UK data from ``../shared/data``, small hand-made networks, and real plans."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from planner.roads.network import RoadNetwork, build_network
from planner.roads.osm import OsmWays
from planner.roads.sources import load_network

if TYPE_CHECKING:
    from planner.planning.week import PlanResult

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def shared_file(name: str) -> Path:
    """Path of a file in ``../shared/data``; fail in CI, skip elsewhere, if it is absent."""
    path = SHARED_DATA / name
    if not path.exists():
        msg = f"{path} is missing: tests read real data from ../shared/data beside the project"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(autouse=True)
def _planner_loggers_enabled() -> None:
    """Undo ``logging.config.dictConfig`` calls by libraries (dask, import-linter).

    They disable every logger that already exists, which would hide the planner's
    warnings from ``caplog`` depending on which tests ran first.
    """
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if name.startswith("planner") and isinstance(logger, logging.Logger):
            logger.disabled = False


@pytest.fixture(scope="session")
def rutland_pbf() -> Path:
    """The Geofabrik extract of Rutland (a whole county)."""
    return shared_file("rutland.osm.pbf")


@pytest.fixture(scope="session")
def rutland(rutland_pbf: Path) -> RoadNetwork:
    """Rutland's car and foot networks, parsed once per session."""
    return load_network(rutland_pbf)


@pytest.fixture(scope="session")
def city_xml() -> Path:
    """City of London drive ways as OSM XML (bz2), from an Overpass response."""
    return shared_file("city-of-london-overpass-2024.osm.bz2")


@pytest.fixture(scope="session")
def city(city_xml: Path) -> RoadNetwork:
    """The City of London network, unclipped."""
    return load_network(city_xml)


@pytest.fixture(scope="session")
def westminster_graphml() -> Path:
    """Westminster's drive network saved by osmnx 1.9 as GraphML."""
    return shared_file("westminster-drive.graphml")


@pytest.fixture(scope="session")
def leeds_pbf() -> Path:
    """A tiny PBF of a few Leeds streets (fast fixture)."""
    return shared_file("leeds-its.osm.pbf")


@pytest.fixture(scope="session")
def force_areas() -> Path:
    """ONS police force area boundaries (ultra generalised)."""
    return shared_file("police-force-areas-2023-buc.geojson")


# Hand-made networks: points in lon/lat around a spot in Rutland, ways with tags.
LON0, LAT0 = -0.72, 52.67
STEP_DEG = 0.001  # about 68 m east-west and 111 m north-south at this latitude


def make_ways(
    nodes: dict[int, tuple[float, float]], ways: list[tuple[int, list[int], dict[str, str]]]
) -> OsmWays:
    """OsmWays from grid coordinates (i, j) in units of :data:`STEP_DEG` from a Rutland origin."""
    coords = {n: (LON0 + i * STEP_DEG, LAT0 + j * STEP_DEG) for n, (i, j) in nodes.items()}
    return OsmWays.from_lists(coords, ways, source="hand-made")


@pytest.fixture()
def square_net() -> Callable[..., RoadNetwork]:
    """A 2 x 2 block of residential streets with one one-way side and a motorway spur."""

    def build(**kwargs: object) -> RoadNetwork:
        nodes = {1: (0, 0), 2: (10, 0), 3: (10, 10), 4: (0, 10), 5: (20, 0), 6: (30, 0)}
        ways = [
            (100, [1, 2], {"highway": "residential", "maxspeed": "30 mph", "name": "South Street"}),
            (101, [2, 3], {"highway": "residential", "oneway": "yes", "name": "East Street"}),
            (102, [3, 4, 1], {"highway": "residential", "name": "North Street"}),
            (103, [2, 5, 6, 5], {"highway": "motorway", "oneway": "no"}),
        ]
        return build_network(make_ways(nodes, ways), **kwargs)  # type: ignore[arg-type]

    return build


# Real plans, made once per session and shared by the output tests (tests/outputs).
PLAN_CONFIGS = {
    "demo": REPO / "data" / "demo" / "force.toml",
    "rutland": REPO / "data" / "rutland" / "force.toml",
}
#: Enough search for plans that serve every required visit; an iteration stop, so the plans
#: are the same on a loaded machine.
PLAN_ITERATIONS = 100


def _make_test_plan(name: str, tmp_path_factory: pytest.TempPathFactory) -> PlanResult:
    """Plan one of :data:`PLAN_CONFIGS`; a solver failure fails the tests (no stand-in plan)."""
    # Imported here: most test folders never plan, and need not load the planning stack.
    from planner.config import load_config
    from planner.planning.week import make_plan
    from planner.routing.solver import MaxIterations

    return make_plan(
        load_config(PLAN_CONFIGS[name]),
        # The same cache as CLI tests that plan the demo again (tests/outputs/test_run.py).
        cache_dir=tmp_path_factory.getbasetemp() / "planner-cache",
        stop=MaxIterations(PLAN_ITERATIONS),
    )


@pytest.fixture(scope="session")
def demo_plan(tmp_path_factory: pytest.TempPathFactory) -> PlanResult:
    """The demo town's plan (synthetic roads; OFFICIAL, with fictional MPs' premises)."""
    return _make_test_plan("demo", tmp_path_factory)


@pytest.fixture(scope="session")
def rutland_plan(tmp_path_factory: pytest.TempPathFactory) -> PlanResult:
    """Rutland's plan: real roads, OFFICIAL-SENSITIVE, visiting an MP's home (restricted).

    Its week spans the clocks going back (last Sunday of October 2022).
    """
    return _make_test_plan("rutland", tmp_path_factory)
