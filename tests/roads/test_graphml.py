"""osmnx GraphML, directed and undirected, as road networks (planner.roads.graphml)."""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pytest
import shapely

from planner.roads.graphml import graph_to_ways
from planner.roads.network import ModeNetwork, RoadNetwork, build_network
from planner.roads.osm import OsmWays
from planner.roads.sources import read_ways


def junction_scc_sizes(ways: OsmWays) -> list[int]:
    """Sizes of the strongly connected components of the ways' car graph, largest first.

    Only the graph's own nodes are counted: geometry points (negative ids) are numbered in
    reading order, so they differ between two readings of one graph.
    """
    g = nx.DiGraph()
    for i in range(ways.n_ways):
        refs = ways.way_refs[ways.way_offsets[i] : ways.way_offsets[i + 1]].tolist()
        oneway = ways.way_tags[i]["oneway"] == "yes"
        for a, b in itertools.pairwise(refs):
            g.add_edge(a, b)
            if not oneway:
                g.add_edge(b, a)
    sizes = (sum(1 for n in c if n >= 0) for c in nx.strongly_connected_components(g))
    return sorted((s for s in sizes if s), reverse=True)


def edge_multiset(mn: ModeNetwork) -> Counter[tuple[int, int, float]]:
    """Directed edges as (from osmid, to osmid, length to 0.1 m)."""
    return Counter(
        zip(
            mn.node_osmid[mn.edge_u].tolist(),
            mn.node_osmid[mn.edge_v].tolist(),
            np.round(mn.edge_length_m, 1).tolist(),
            strict=True,
        )
    )


@pytest.fixture(scope="module")
def undirected_graphml(westminster_graphml: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Westminster's drive graph made undirected by osmnx and saved as GraphML by osmnx."""
    graph = ox.convert.to_undirected(ox.load_graphml(westminster_graphml))
    path = tmp_path_factory.mktemp("graphml") / "westminster-undirected.graphml"
    ox.save_graphml(graph, path)
    return path


@pytest.fixture(scope="module")
def directed_ways(westminster_graphml: Path) -> OsmWays:
    """The ways of the directed original."""
    return read_ways(westminster_graphml)


@pytest.fixture(scope="module")
def directed_net(directed_ways: OsmWays) -> RoadNetwork:
    """The network of the directed original."""
    return build_network(directed_ways)


def without_from_to(path: Path) -> nx.MultiGraph:
    """The undirected graph with osmnx's from/to attributes removed (as other tools save it)."""
    graph = ox.load_graphml(path)
    for _, _, d in graph.edges(data=True):
        d.pop("from")
        d.pop("to")
    return graph


@pytest.mark.parametrize("variant", ["from/to", "geometry only"])
def test_undirected_graphml_keeps_oneway_directions(
    undirected_graphml: Path,
    directed_ways: OsmWays,
    directed_net: RoadNetwork,
    variant: str,
) -> None:
    """An undirected GraphML gives the directed original's one-ways and components.

    Before the fix, one-way edges ran in networkx's storage order, half of them backwards:
    this graph fell into 723 strongly connected components with 42% of its nodes in the
    largest. Oriented by osmnx's from/to (or, without them, by the edge geometry), the
    one-way count and every component size equal the original's. The only difference: the
    directed reader keeps a two-way street twice when its two opposite edges have different
    keys (6 streets here), the undirected graph holds it once, so the directed network has
    two more directed edges per such street, all parallel to edges both networks have.
    """
    if variant == "from/to":
        ways = read_ways(undirected_graphml)
    else:
        ways = graph_to_ways(without_from_to(undirected_graphml), str(undirected_graphml))
    oneway = sum(t["oneway"] == "yes" for t in ways.way_tags)
    assert oneway == sum(t["oneway"] == "yes" for t in directed_ways.way_tags) == 1988
    assert junction_scc_sizes(ways) == junction_scc_sizes(directed_ways)

    net = build_network(ways)
    for mode in ("car", "foot"):
        got, want = net.mode(mode).report, directed_net.mode(mode).report
        assert (got.components, got.nodes, got.dropped_nodes) == (
            want.components,
            want.nodes,
            want.dropped_nodes,
        )
    car, car_d = net.car, directed_net.car
    assert int(car.edge_oneway.sum()) == int(car_d.edge_oneway.sum())
    doubled_streets = directed_ways.n_ways - ways.n_ways
    assert 0 <= doubled_streets <= 10
    # Same edges with the same lengths: a reversed geometry would zigzag and change a length.
    extra = edge_multiset(car_d) - edge_multiset(car)
    assert not edge_multiset(car) - edge_multiset(car_d)
    assert sum(extra.values()) == car_d.n_edges - car.n_edges == 2 * doubled_streets


def test_undirected_edges_without_direction_are_warned(caplog: pytest.LogCaptureFixture) -> None:
    """A one-way edge of an undirected graph with no from/to and no geometry is a guess: warned."""
    graph = nx.MultiGraph(crs="epsg:4326")
    for n, (x, y) in {1: (-0.10, 51.50), 2: (-0.09, 51.50), 3: (-0.09, 51.51)}.items():
        graph.add_node(n, x=x, y=y)
    graph.add_edge(1, 2, osmid=10, highway="primary", oneway=True)
    line = shapely.LineString([(-0.09, 51.51), (-0.095, 51.505), (-0.09, 51.50)])
    graph.add_edge(2, 3, osmid=11, highway="primary", oneway=True, geometry=line)
    with caplog.at_level(logging.WARNING, logger="planner.roads.graphml"):
        ways = graph_to_ways(graph, "hand-made")
    assert "1 one-way streets" in caplog.text and "direction is a guess" in caplog.text
    # The edge with a geometry runs the way its geometry does: from node 3 to node 2.
    refs = [ways.way_refs[ways.way_offsets[i] : ways.way_offsets[i + 1]].tolist() for i in (0, 1)]
    assert refs[1][0] == 3 and refs[1][-1] == 2 and len(refs[1]) == 3


def test_reversed_geometry_is_turned_round() -> None:
    """A directed edge whose geometry is stored end to start still gets its points in order."""
    graph = nx.MultiDiGraph(crs="epsg:4326")
    graph.add_node(1, x=-0.10, y=51.50)
    graph.add_node(2, x=-0.09, y=51.50)
    line = shapely.LineString([(-0.09, 51.50), (-0.093, 51.501), (-0.097, 51.501), (-0.10, 51.50)])
    graph.add_edge(1, 2, osmid=10, highway="primary", oneway=True, geometry=line)
    ways = graph_to_ways(graph, "hand-made")
    refs = ways.way_refs.tolist()
    lon = dict(zip(ways.node_id.tolist(), ways.lon.tolist(), strict=True))
    assert refs[0] == 1 and refs[-1] == 2
    assert [round(lon[r], 3) for r in refs] == [-0.1, -0.097, -0.093, -0.09]
