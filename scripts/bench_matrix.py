"""Benchmark: car travel-time matrices against networkx single-source Dijkstra.

For 200 and 1,000 sites on Rutland and on a 150,000-node synthetic network, times
:func:`planner.roads.matrix.travel_time_matrix` (site splicing + compiled Dijkstra on all cores) and,
in the same run on exactly the same graph, networkx's ``single_source_dijkstra_path_length``
from each site (and scipy's csgraph Dijkstra for reference). networkx is timed on a sample of
sources (``--nx-sources``) and scaled to all sources, since a full run would take an hour on
the large network; the sample size is printed. Each case runs in a fresh process so that its
peak memory (RSS) is its own.

Usage: ``python scripts/bench_matrix.py [--sites 200 1000] [--synthetic-nodes 150000]``
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import SHARED_DATA, synthetic_pbf


def run_case(source: str, n_sites: int, nx_sources: int, seed: int, queue: mp.Queue) -> None:
    """Load, snap random sites, time the matrix three ways; report through ``queue``."""
    import networkx as nx
    import numpy as np

    from planner.roads.matrix import SiteGraph, dijkstra_scipy, travel_time_matrix
    from planner.roads.snapping import snap_sites
    from planner.roads.sources import load_network

    net = load_network(
        source, cache_dir=Path(__file__).resolve().parents[1] / ".planner-cache" / "bench"
    )
    car = net.car
    rng = np.random.default_rng(seed)
    nodes = rng.choice(car.n_nodes, n_sites, replace=False)
    x = car.node_x_m[nodes] + rng.uniform(-40, 40, n_sites)
    y = car.node_y_m[nodes] + rng.uniform(-40, 40, n_sites)
    snaps = snap_sites(car, [f"s{i}" for i in range(n_sites)], x, y)
    graph0 = SiteGraph.build(car, snaps)
    travel_time_matrix(graph0)  # compile / load the numba kernel outside the timing
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    start = time.perf_counter()
    graph = SiteGraph.build(car, snaps)
    matrix = travel_time_matrix(graph)
    t_ours = time.perf_counter() - start
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    sample = graph.site_node[: min(nx_sources, len(graph.site_node))]
    start = time.perf_counter()
    ref = dijkstra_scipy(graph.csr, sample, graph.site_node)
    t_scipy = (time.perf_counter() - start) * len(graph.site_node) / len(sample)

    coo = graph.csr.tocoo()
    g = nx.DiGraph()
    g.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True)
    )
    start = time.perf_counter()
    for s in sample.tolist():
        nx.single_source_dijkstra_path_length(g, s, weight="weight")
    t_nx = (time.perf_counter() - start) * len(graph.site_node) / len(sample)

    np.fill_diagonal(ref[:, : len(sample)], 0.0)
    same = bool(np.allclose(matrix.travel_time_s[: len(sample)], ref, rtol=1e-9, atol=1e-6))
    queue.put(
        {
            "nodes": car.n_nodes,
            "edges": car.n_edges,
            "sites": int(snaps.snapped.sum()),
            "ours_s": t_ours,
            "scipy_s": t_scipy,
            "nx_s": t_nx,
            "nx_sample": len(sample),
            "same": same,
            "rss_mb": rss_after,
            "rss_matrix_mb": rss_after - rss_before,
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--synthetic-nodes", type=int, default=150_000)
    parser.add_argument("--nx-sources", type=int, default=20, help="sources networkx is timed on")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    networks = [("Rutland", str(SHARED_DATA / "rutland.osm.pbf"))]
    if args.synthetic_nodes:
        networks.append(
            (f"synthetic {args.synthetic_nodes:,}", str(synthetic_pbf(args.synthetic_nodes)))
        )

    ctx = mp.get_context("spawn")
    header = (
        f"{'network':<20} {'car nodes':>9} {'sites':>6} {'ours s':>8} {'networkx s':>11} {'vs nx':>7} "
        f"{'scipy s':>8} {'vs scipy':>8} {'peak RSS MiB':>12} {'matrix +MiB':>11} {'equal':>6}"
    )
    print(header)
    print("-" * len(header))
    for label, source in networks:
        for n_sites in args.sites:
            queue: mp.Queue = ctx.Queue()
            proc = ctx.Process(
                target=run_case, args=(source, n_sites, args.nx_sources, args.seed, queue)
            )
            proc.start()
            r = queue.get()
            proc.join()
            print(
                f"{label:<20} {r['nodes']:>9,} {r['sites']:>6} {r['ours_s']:>8.3f} {r['nx_s']:>11.1f} "
                f"{r['nx_s'] / r['ours_s']:>6.0f}x {r['scipy_s']:>8.2f} {r['scipy_s'] / r['ours_s']:>7.1f}x "
                f"{r['rss_mb']:>12,.0f} {r['rss_matrix_mb']:>11,.0f} {'yes' if r['same'] else 'NO':>6}"
            )
    print(
        f"\nnetworkx and scipy were timed on {args.nx_sources} sources per case and scaled to all "
        "sources; 'equal' checks our matrix against scipy on those rows. Cores used by ours: all "
        "available; networkx and scipy use one."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
