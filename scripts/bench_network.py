"""Benchmark: loading a road network from PBF/XML against loading it from the cache.

For Rutland (PBF and XML), the City of London (XML) and a 150,000-node synthetic network (PBF
and XML), prints the median load time from the source file (parse + normalise both modes), the
median load time from the normalised ``.npz`` cache, their ratio, node and edge counts, and the
peak memory of the process.

Usage: ``python scripts/bench_network.py [--synthetic-nodes 150000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import SHARED_DATA, peak_rss_mb, synthetic_pbf, timed

from planner.roads.cache import read_network, write_network
from planner.roads.sources import load_network


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic-nodes", type=int, default=150_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    cases = [
        ("Rutland PBF", SHARED_DATA / "rutland.osm.pbf"),
        ("Rutland XML (drive)", SHARED_DATA / "rutland-drive.osm.bz2"),
        ("City of London XML", SHARED_DATA / "city-of-london-overpass-2024.osm.bz2"),
    ]
    if args.synthetic_nodes:
        pbf = synthetic_pbf(args.synthetic_nodes)
        cases.append((f"synthetic {args.synthetic_nodes:,} PBF", pbf))
        cases.append(
            (
                f"synthetic {args.synthetic_nodes:,} XML",
                pbf.with_name(pbf.name.replace(".osm.pbf", ".osm.bz2")),
            )
        )

    header = f"{'network':<26} {'file MB':>8} {'from file s':>12} {'from cache s':>13} {'ratio':>8} {'car nodes':>10} {'car edges':>10} {'foot nodes':>11} {'foot edges':>11}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for label, path in cases:
            t_file, net = timed(lambda p=path: load_network(p), repeat=args.repeat)
            cache = write_network(net, Path(tmp) / f"{path.name}.npz")
            t_cache, _ = timed(lambda c=cache: read_network(c), repeat=max(args.repeat, 5))
            print(
                f"{label:<26} {path.stat().st_size / 1e6:>8.2f} {t_file:>12.3f} {t_cache:>13.4f} "
                f"{t_file / t_cache:>7.0f}x {net.car.n_nodes:>10,} {net.car.n_edges:>10,} "
                f"{net.foot.n_nodes:>11,} {net.foot.n_edges:>11,}"
            )
    print(
        f"\npeak RSS of this process: {peak_rss_mb():,.0f} MiB; median of {args.repeat} runs (cache: of {max(args.repeat, 5)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
