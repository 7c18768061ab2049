"""Helpers shared by the benchmark scripts: data paths, timing, memory, synthetic inputs."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
BENCH_CACHE = REPO / ".planner-cache" / "bench"

T = TypeVar("T")


def timed(fn: Callable[[], T], repeat: int = 3) -> tuple[float, T]:
    """Median wall time of ``repeat`` calls, and the last result."""
    times = []
    result: T
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_pbf(n_nodes: int, seed: int = 150, profile: str = "county") -> Path:
    """A synthetic network of about ``n_nodes`` intersections, written once as PBF and XML."""
    from planner.roads.osm import write_osm_pbf, write_osm_xml
    from planner.roads.synthetic import generate_network

    BENCH_CACHE.mkdir(parents=True, exist_ok=True)
    pbf = BENCH_CACHE / f"synthetic-{profile}-{n_nodes}-{seed}.osm.pbf"
    xml = pbf.with_name(pbf.name.replace(".osm.pbf", ".osm.bz2"))
    if not pbf.exists() or not xml.exists():
        ways = generate_network(profile=profile, n_nodes=n_nodes, seed=seed)
        write_osm_pbf(ways, pbf)
        write_osm_xml(ways, xml)
    return pbf
