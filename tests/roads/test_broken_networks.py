"""Networks broken into pieces, emptied by clipping, or without usable roads (planner.roads.network)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from planner.errors import InputError
from planner.roads.cache import read_network, write_network
from planner.roads.network import MIN_MAIN_SHARE, WARN_MAIN_SHARE, build_network, read_boundary
from planner.roads.sources import load_network
from tests.conftest import make_ways


def test_fragmented_network_is_warned_and_recorded(
    tmp_path: Path, leeds_pbf: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Leeds's car streets keep 26 of 60 nodes connected: warned, reported, warned from cache."""
    with caplog.at_level(logging.WARNING, logger="planner.roads"):
        net = load_network(leeds_pbf, cache_dir=tmp_path)
    report = net.car.report
    assert MIN_MAIN_SHARE < report.main_share < WARN_MAIN_SHARE
    (warning,) = report.warnings
    assert "only 43% of the car network's 60 nodes" in warning
    assert "26 nodes kept of 6 components; 34 dropped" in warning
    assert "undirected GraphML" in warning and "boundary" in warning
    assert warning in caplog.text and f"WARNING: {warning}" in report.summary()
    assert net.foot.report.warnings == () and net.warnings() == (warning,)

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="planner.roads"):
        again = load_network(leeds_pbf, cache_dir=tmp_path)
    assert again.car.report.warnings == (warning,)
    assert warning in caplog.text
    saved = read_network(write_network(net, tmp_path / "leeds.npz"))
    assert saved.car.report.warnings == (warning,)


def test_network_in_pieces_is_refused() -> None:
    """One two-way street and ten one-way streets leading away: 2 of 12 nodes connected."""
    nodes: dict[int, tuple[float, float]] = {n: (n, 0) for n in range(1, 13)}
    ways = [(100, [1, 2], {"highway": "residential"})]
    ways += [
        (100 + n, [n, n + 1], {"highway": "residential", "oneway": "yes"}) for n in range(2, 12)
    ]
    with pytest.raises(
        InputError,
        match=r"hand-made: the car network is too broken to route on: its largest strongly "
        r"connected component holds 2 of its 12 nodes \(17%; at least 20% and 2 nodes are "
        r"needed\), the rest split into 10 other components; check for one-way streets running "
        r"the wrong way \(an undirected GraphML",
    ):
        build_network(make_ways(nodes, ways))


def test_nothing_left_after_clipping(city_xml: Path, force_areas: Path) -> None:
    """The City of London's roads clipped to Leicestershire: where each is, and what to check."""
    boundary = read_boundary(force_areas, name="Leicestershire")
    with pytest.raises(
        InputError,
        match=r"city-of-london-overpass-2024\.osm\.bz2: no car road left inside the boundary "
        r"plus buffer: 13,946 of the 13,946 points of the 3,387 car roads lie outside it\. The "
        r"roads span \(530,413, 179,866\)-\(534,654, 182,900\) and the boundary .* 116\.3 km apart\. Is the boundary \(boundary_name\) the force this extract covers",
    ):
        load_network(city_xml, boundary_m=boundary, buffer_m=200)


def test_no_road_usable_by_the_mode() -> None:
    """An extract of footpaths only has no car network: the road classes it holds are listed."""
    nodes: dict[int, tuple[float, float]] = {1: (0, 0), 2: (1, 0), 3: (2, 0)}
    ways = [
        (1, [1, 2], {"highway": "footway"}),
        (2, [2, 3], {"highway": "footway"}),
        (3, [1, 3], {"highway": "bridleway"}),
    ]
    with pytest.raises(
        InputError,
        match=r"none of the 3 roads is usable by car patrols \(highway classes: footway 2, "
        r"bridleway 1\); check the extract covers the force area",
    ):
        build_network(make_ways(nodes, ways))
