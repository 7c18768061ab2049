"""Travel-time matrices and paths (planner.roads.matrix)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse

from planner.roads.matrix import (
    SiteGraph,
    TravelTimeMatrix,
    dijkstra_many,
    dijkstra_scipy,
    reduce_graph,
    travel_time_matrix,
)
from planner.roads.network import RoadNetwork, build_network
from planner.roads.snapping import snap_sites
from tests.conftest import make_ways


@st.composite
def random_digraphs(draw: st.DrawFn) -> tuple[sparse.csr_array, list[tuple[int, int, float]]]:
    """Small random directed graphs with positive weights and parallel edges."""
    n = draw(st.integers(2, 12))
    edges = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(0.5, 100)),
            min_size=1,
            max_size=40,
        )
    )
    u = np.array([e[0] for e in edges])
    v = np.array([e[1] for e in edges])
    w = np.array([e[2] for e in edges])
    from planner.roads.network import adjacency_csr

    return adjacency_csr(u, v, w, n), edges


@given(random_digraphs())
@settings(max_examples=60, deadline=None)
def test_dijkstra_equals_networkx(
    case: tuple[sparse.csr_array, list[tuple[int, int, float]]],
) -> None:
    """The compiled Dijkstra gives networkx's shortest-path lengths, inf where unreachable."""
    csr, edges = case
    n = csr.shape[0]
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(edges)
    nodes = np.arange(n)
    got = dijkstra_many(csr, nodes, nodes, threads=2)
    for s in range(n):
        lengths = nx.single_source_dijkstra_path_length(g, s, weight="weight")
        for t in range(n):
            assert got[s, t] == pytest.approx(lengths.get(t, np.inf), rel=1e-9)


@st.composite
def grid_networks(draw: st.DrawFn) -> RoadNetwork:
    """Grid towns with random one-way streets and speed limits."""
    w, h = draw(st.integers(2, 5)), draw(st.integers(2, 5))
    nodes = {i * 10 + j + 1: (i * 3, j * 3) for i in range(w) for j in range(h)}
    ways = []
    wid = 1
    for i in range(w):
        for j in range(h):
            a = i * 10 + j + 1
            for b in ((i + 1) * 10 + j + 1, i * 10 + j + 2):
                if b in nodes:
                    tags = {
                        "highway": draw(st.sampled_from(["residential", "tertiary", "primary"]))
                    }
                    if draw(st.booleans()) and draw(st.booleans()):
                        tags["oneway"] = draw(st.sampled_from(["yes", "-1"]))
                    tags["maxspeed"] = draw(st.sampled_from(["20 mph", "30 mph", "national"]))
                    ways.append((wid, [a, b], tags))
                    wid += 1
    return build_network(make_ways(nodes, ways))


@given(grid_networks(), st.data())
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_site_matrix_equals_networkx_at_nodes(net: RoadNetwork, data: st.DataObject) -> None:
    """Sites placed on junctions get exactly networkx's shortest travel times between them."""
    car = net.car
    k = data.draw(st.integers(1, min(6, car.n_nodes)))
    nodes = data.draw(
        st.lists(st.integers(0, car.n_nodes - 1), min_size=k, max_size=k, unique=True)
    )
    ids = [f"n{n}" for n in nodes]
    snaps = snap_sites(car, ids, car.node_x_m[nodes], car.node_y_m[nodes])
    assert snaps.snapped.all()
    m = travel_time_matrix(SiteGraph.build(car, snaps), threads=1)
    g = car.to_networkx()
    for i, a in enumerate(nodes):
        lengths = nx.single_source_dijkstra_path_length(g, a, weight="travel_time")
        for j, b in enumerate(nodes):
            assert m.travel_time_s[i, j] == pytest.approx(lengths[b], abs=1e-3)


@given(grid_networks(), st.data())
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mid_segment_sites_obey_one_way(net: RoadNetwork, data: st.DataObject) -> None:
    """Sites mid-street: times satisfy the triangle inequality and match scipy on the same graph."""
    car = net.car
    minx, miny, maxx, maxy = car.bounds_m()
    xs = data.draw(st.lists(st.floats(minx, maxx), min_size=2, max_size=6))
    ys = data.draw(st.lists(st.floats(miny, maxy), min_size=len(xs), max_size=len(xs)))
    ids = [f"s{i}" for i in range(len(xs))]
    snaps = snap_sites(car, ids, xs, ys, max_snap_m=10_000)
    graph = SiteGraph.build(car, snaps)
    m = travel_time_matrix(graph, threads=1)
    ref = dijkstra_scipy(graph.csr, graph.site_node, graph.site_node)
    np.fill_diagonal(ref, 0)
    assert np.allclose(m.travel_time_s, ref)
    t = m.travel_time_s
    n = len(ids)
    for a in range(n):
        for b in range(n):
            assert np.all(t[a, b] <= t[a, :] + t[:, b] + 1e-6)


def test_rutland_matrix_matches_networkx(rutland: RoadNetwork) -> None:
    """On Rutland, 15 sites at junctions: the matrix equals networkx Dijkstra to the second."""
    car = rutland.car
    rng = np.random.default_rng(7)
    nodes = rng.choice(car.n_nodes, 15, replace=False)
    snaps = snap_sites(car, [str(n) for n in nodes], car.node_x_m[nodes], car.node_y_m[nodes])
    m = travel_time_matrix(SiteGraph.build(car, snaps))
    g = car.to_networkx()
    for i, a in enumerate(nodes):
        lengths = nx.single_source_dijkstra_path_length(g, int(a), weight="travel_time")
        assert np.allclose(m.travel_time_s[i], [lengths[int(b)] for b in nodes], atol=1e-3)


def test_path_geometry_follows_roads(rutland: RoadNetwork) -> None:
    """A path runs from the origin's snapped point to the destination's, along the roads."""
    car = rutland.car
    rng = np.random.default_rng(3)
    nodes = rng.choice(car.n_nodes, 6, replace=False)
    x = car.node_x_m[nodes] + 20
    y = car.node_y_m[nodes] + 20
    snaps = snap_sites(car, [f"s{i}" for i in range(6)], x, y)
    graph = SiteGraph.build(car, snaps)
    m = travel_time_matrix(graph)
    lines = car.segment_lines()
    for a, b in [("s0", "s1"), ("s2", "s5"), ("s4", "s4")]:
        i, j = graph.site_index(a), graph.site_index(b)
        line, seconds = graph.path(a, b)
        assert seconds == pytest.approx(m.travel_time_s[i, j], abs=1e-3)
        start, end = shapely.Point(line.coords[0]), shapely.Point(line.coords[-1])
        assert start.distance(shapely.Point(snaps.snap_x_m[i], snaps.snap_y_m[i])) < 1e-3
        assert end.distance(shapely.Point(snaps.snap_x_m[j], snaps.snap_y_m[j])) < 1e-3
        assert line.length >= start.distance(end) - 1e-6
        # Every vertex of the path lies on some road.
        verts = shapely.points(np.asarray(line.coords))
        tree = shapely.STRtree(lines)
        _, dist = tree.query_nearest(verts, return_distance=True)
        assert dist.max() < 1e-3


def test_unreachable_pairs_are_explicit(tmp_path: Path) -> None:
    """Unreachable pairs are listed and written as empty cells, never a silent number."""
    tt = np.array([[0.0, 10.0], [np.inf, 0.0]])
    m = TravelTimeMatrix(
        mode="car", site_ids=("a", "b"), travel_time_s=tt, reachable=np.isfinite(tt)
    )
    assert m.unreachable_pairs() == [("b", "a")]
    assert "1 unreachable" in m.summary()
    out = m.to_csv(tmp_path / "m.csv")
    assert out.read_text().splitlines() == ["from_site,a,b", "a,0.0,10.0", "b,,0.0"]


def test_disconnected_graph_gives_inf() -> None:
    """dijkstra_many reports no route as inf (which TravelTimeMatrix marks unreachable)."""
    csr = sparse.csr_array((np.array([1.0]), (np.array([0]), np.array([1]))), shape=(3, 3))
    got = dijkstra_many(csr, np.array([0, 1, 2]), np.array([0, 1, 2, 1]))
    assert got[0, 1] == 1.0 and got[0, 3] == 1.0
    assert np.isinf(got[1, 0]) and np.isinf(got[2, 1])


@given(random_digraphs(), st.data())
@settings(max_examples=80, deadline=None)
def test_reduced_graph_keeps_protected_distances(
    case: tuple[sparse.csr_array, list[tuple[int, int, float]]], data: st.DataObject
) -> None:
    """Peeling dead ends and bypassing chains never changes a distance between protected nodes."""
    csr, _ = case
    n = csr.shape[0]
    protected_nodes = data.draw(
        st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True)
    )
    protected = np.zeros(n, dtype=bool)
    protected[protected_nodes] = True
    core, index = reduce_graph(csr, protected)
    assert (index[protected_nodes] >= 0).all()
    full = dijkstra_scipy(csr, np.array(protected_nodes), np.array(protected_nodes))
    small = dijkstra_many(core, index[protected_nodes], index[protected_nodes], threads=1)
    finite = np.isfinite(full)
    assert np.array_equal(finite, np.isfinite(small))
    assert np.allclose(full[finite], small[finite])


def test_reduction_shrinks_rutland(rutland: RoadNetwork) -> None:
    """On Rutland with 20 sites, the reduced graph is much smaller and gives the same matrix."""
    car = rutland.car
    rng = np.random.default_rng(5)
    nodes = rng.choice(car.n_nodes, 20, replace=False)
    snaps = snap_sites(car, [str(i) for i in nodes], car.node_x_m[nodes] + 25, car.node_y_m[nodes])
    graph = SiteGraph.build(car, snaps)
    protected = np.zeros(graph.csr.shape[0], dtype=bool)
    protected[graph.site_node] = True
    core, _ = reduce_graph(graph.csr, protected)
    assert core.shape[0] < 0.6 * graph.csr.shape[0]
    full = dijkstra_scipy(graph.csr, graph.site_node, graph.site_node)
    np.fill_diagonal(full, 0)
    assert np.allclose(travel_time_matrix(graph).travel_time_s, full)
