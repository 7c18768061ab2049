"""Benchmark: batch throughput with 1 and 2 local worker processes, and the scaling ratio.

The areas are copies of the built-in synthetic demo force, each planning a different week with
a different seed (so each is a full job: cached network, demand and hot spots, solve, files and
map). Prints areas per minute for each worker count, the speed-up of 2 workers over 1 measured
in the same run, and the peak memory (RSS) of each area's worker process.

Usage: ``python scripts/bench_batch.py [--areas 6] [--time-limit 5]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from planner.batch.runner import run_batch  # noqa: E402


def make_areas(folder: Path, n: int) -> list[Path]:
    """``n`` demo copies, weeks 2026-W49 onwards, each its own seed."""
    demo = REPO / "data" / "demo"
    text = (demo / "force.toml").read_text()
    text = text.replace('sites = ["sites.csv"]', f'sites = ["{demo / "sites.csv"}"]')
    text = text.replace('files = ["crimes/*.csv"]', f'files = ["{demo / "crimes"}/*.csv"]')
    paths = []
    for i in range(n):
        week = f"2026-W{49 + i:02d}" if 49 + i <= 53 else f"2027-W{49 + i - 53:02d}"
        area = text.replace('iso_week = "2026-W49"', f'iso_week = "{week}"').replace(
            "seed = 49 ", f"seed = {49 + i} "
        )
        path = folder / f"area-{i:02d}.toml"
        path.write_text(area)
        paths.append(path)
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=6)
    parser.add_argument("--time-limit", type=float, default=5.0)
    args = parser.parse_args()
    cache = REPO / ".planner-cache"
    with tempfile.TemporaryDirectory() as tmp:
        configs = make_areas(Path(tmp), args.areas)
        run_batch(
            configs[:1],
            out_dir=Path(tmp) / "warm",
            cache_dir=cache,
            workers=1,
            time_limit_s=args.time_limit,
        )
        rates = {}
        print(f"{args.areas} synthetic demo areas, {args.time_limit:g} s solver limit each")
        print(
            f"{'workers':>7} {'wall s':>8} {'areas/min':>10} {'peak RSS per worker MiB (median / max)':>40}"
        )
        for workers in (1, 2):
            start = time.perf_counter()
            result = run_batch(
                configs,
                out_dir=Path(tmp) / f"w{workers}",
                cache_dir=cache,
                workers=workers,
                time_limit_s=args.time_limit,
                force=True,
            )
            wall = time.perf_counter() - start
            assert not result.failed, [r.error for r in result.failed]
            rss = [r.peak_rss_mb for r in result.results]
            rates[workers] = args.areas / wall * 60
            print(
                f"{workers:>7} {wall:>8.1f} {rates[workers]:>10.2f} {statistics.median(rss):>30.0f} / {max(rss):.0f}"
            )
        print(
            f"\nscaling: 2 workers run {rates[2] / rates[1]:.2f}x the throughput of 1 (ideal 2.00 on this 2-core machine)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
