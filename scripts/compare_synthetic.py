"""Compare synthetic networks with the real networks they are calibrated against.

For each profile, prints a side-by-side table::

    statistic | real (City of London / Rutland) | synthetic | difference % | within 25%?

and exits with code 1 if any statistic is outside the tolerance (2 if the real data is
missing). Both sides go through the same pipeline: the planner's own normaliser
(``planner.roads.network``) by default, or osmnx (``--pipeline osmnx``: ``ox.graph_from_xml`` then
projection to EPSG:27700, the synthetic side written to a temporary OSM XML file first).

Usage::

    python scripts/compare_synthetic.py [--seed 0] [--nodes 3000] [--profile town]
        [--pipeline planner|osmnx] [--tolerance 0.25] [--data-dir DIR]

The real data is read from ``../shared/data`` next to the repository unless ``--data-dir``
says otherwise.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from planner.roads.synthetic import PROFILES, generate_network  # noqa: E402
from planner.roads.synthetic.calibration import (  # noqa: E402
    CALIBRATED_STATS,
    PIPELINES,
    REFERENCE_FILES,
    REFERENCE_NAMES,
    car_graph,
    compare_stats,
    network_stats,
)

log = logging.getLogger("compare_synthetic")

DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    p.add_argument("--nodes", type=int, default=3000, help="target simplified nodes (default 3000)")
    p.add_argument(
        "--profile",
        choices=PROFILES,
        action="append",
        help="profile to compare (repeatable; default: all)",
    )
    p.add_argument(
        "--pipeline",
        choices=PIPELINES,
        default="planner",
        help="graph pipeline for both sides (default: planner, the planner's own normaliser)",
    )
    p.add_argument(
        "--tolerance", type=float, default=0.25, help="allowed relative difference (default 0.25)"
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"folder with the real OSM files (default {DEFAULT_DATA_DIR})",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log progress")
    return p.parse_args(argv)


def format_table(profile: str, rows: list[dict], real: dict, syn: dict, tolerance: float) -> str:
    """The side-by-side table of one profile."""
    real_head = f"real ({REFERENCE_NAMES[profile]})"
    tol_head = f"within {tolerance:.0%}?"
    width = max(len(k) for k in CALIBRATED_STATS) + 2
    lines = [
        f"{'statistic':<{width}}{real_head:>24}{'synthetic':>12}{'difference %':>15}{tol_head:>14}"
    ]
    lines.append("-" * len(lines[0]))
    for r in rows:
        lines.append(
            f"{r['statistic']:<{width}}{r['real']:>24.4f}{r['synthetic']:>12.4f}"
            f"{100 * r['difference']:>+14.1f}%{'yes' if r['ok'] else 'NO':>14}"
        )
    real_size = f"{real['n_nodes']:.0f} / {real['n_edges']:.0f}"
    syn_size = f"{syn['n_nodes']:.0f} / {syn['n_edges']:.0f}"
    lines.append(f"{'(nodes / edges)':<{width}}{real_size:>24} {syn_size:>14}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; return the process exit code."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s"
    )
    pipeline = args.pipeline
    profiles = args.profile or list(PROFILES)
    failed = False
    for profile in profiles:
        path = args.data_dir / REFERENCE_FILES[profile]
        if not path.exists():
            print(
                f"error: real data for the {profile} profile not found: {path} "
                "(pass --data-dir to point at the shared data folder)",
                file=sys.stderr,
            )
            return 2
        real = network_stats(car_graph(path, pipeline))
        t0 = time.perf_counter()
        ways = generate_network(profile, args.nodes, args.seed)
        gen_s = time.perf_counter() - t0
        syn = network_stats(car_graph(ways, pipeline))
        rows = compare_stats(real, syn, args.tolerance)
        failed |= not all(r["ok"] for r in rows)
        print(
            f"\n== {profile}: {REFERENCE_NAMES[profile]} vs synthetic (seed {args.seed}, "
            f"{args.nodes} nodes, generated in {gen_s:.2f} s; pipeline: {pipeline})"
        )
        print(format_table(profile, rows, real, syn, args.tolerance))
    print(
        "\nall statistics within tolerance" if not failed else "\nSOME STATISTICS OUTSIDE TOLERANCE"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
