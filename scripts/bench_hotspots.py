"""Benchmark: the crime intake and hot spot finder against plain pandas/geopandas.

On three months of real Leicestershire street-level crime (29,667 rows, ``../shared/data``),
clipped to Rutland, times in the same run and on the same records:

- the intake, :func:`planner.demand.crimes.read_crimes`, against ``pandas.read_csv``, a
  geopandas projection to EPSG:27700 and a ``within`` test against the same area;
- grid hot spots, :func:`planner.demand.hotspots.find_hotspots` (``method="grid"``), against a
  pandas ``groupby`` of the floored coordinates, on Rutland and on the whole force (unclipped);
- segment hot spots on Rutland's car network, against geopandas ``sjoin_nearest`` onto the
  same usable main-network segments within the same distance, then a ``groupby``.

The baselines only add harm up and rank; ours also accounts for every rejected row, places each
hot spot on its road and names it. The ratio is baseline time / our time (above 1: ours is
faster). Times are medians of ``--repeat`` runs; peak memory is the Python-level peak
(tracemalloc, numpy included, GEOS/PROJ not) of one further run, and the process peak RSS.

Usage: ``python scripts/bench_hotspots.py [--repeat 3] [--top-n 20]``
"""

from __future__ import annotations

import argparse
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from _bench import BENCH_CACHE, SHARED_DATA, peak_rss_mb, timed

from planner.common import BNG, WGS84
from planner.demand.crimes import CrimeIntake, read_crimes
from planner.demand.harm import DEFAULT_HARM_WEIGHTS
from planner.demand.hotspots import find_hotspots
from planner.roads.network import ModeNetwork, read_boundary
from planner.roads.snapping import DEFAULT_NO_SNAP_HIGHWAYS
from planner.roads.sources import load_network

MONTHS = ("2022-08", "2022-09", "2022-10")
CELL_M = 150.0
MAX_SNAP_M = 100.0


def peak_mib(fn: Callable[[], Any]) -> float:
    """Python-level peak memory of one call, MiB (tracemalloc)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def pandas_intake(files: list[Path], area_m: shapely.Geometry) -> pd.DataFrame:
    """The straightforward intake: read, drop unlocated rows, weight, project, clip."""
    df = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    df = df.dropna(subset=["Longitude", "Latitude"])
    df = df[df["Crime type"].isin(list(DEFAULT_HARM_WEIGHTS))]
    points = gpd.GeoSeries(gpd.points_from_xy(df["Longitude"], df["Latitude"]), crs=WGS84)
    points = points.to_crs(BNG)
    inside = points.within(area_m).to_numpy()
    out = df.loc[inside, ["Crime type"]].copy()
    out["harm"] = out["Crime type"].map(DEFAULT_HARM_WEIGHTS)
    out["x_m"] = points.x.to_numpy()[inside]
    out["y_m"] = points.y.to_numpy()[inside]
    return out


def pandas_grid(records: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """Harm per BNG cell by ``groupby``, the ``top_n`` most harmful cells."""
    cells = records.assign(
        ix=np.floor(records["x_m"] / CELL_M).astype(np.int64),
        iy=np.floor(records["y_m"] / CELL_M).astype(np.int64),
    )
    g = cells.groupby(["ix", "iy"])["harm"].agg(["sum", "size"]).reset_index()
    return g.sort_values(["sum", "size"], ascending=False).head(top_n)


def usable_segments(net: ModeNetwork) -> gpd.GeoDataFrame:
    """Main-network segments records may be placed on (no motorways), as a GeoDataFrame."""
    banned = np.isin(np.asarray(net.highway_labels, dtype=object), DEFAULT_NO_SNAP_HIGHWAYS)
    seg_banned = np.zeros(len(net.seg_start), dtype=bool)
    seg_banned[net.edge_segment] = banned[net.edge_highway]
    usable = np.flatnonzero(net.seg_main & ~seg_banned)
    return gpd.GeoDataFrame({"seg": usable}, geometry=net.segment_lines()[usable], crs=BNG)


def geopandas_segments(records: pd.DataFrame, net: ModeNetwork, top_n: int) -> pd.DataFrame:
    """Harm per nearest segment by ``sjoin_nearest`` and ``groupby``, the ``top_n`` most harmful."""
    points = gpd.GeoDataFrame(
        records[["harm"]].reset_index(drop=True),
        geometry=gpd.points_from_xy(records["x_m"], records["y_m"]),
        crs=BNG,
    )
    joined = gpd.sjoin_nearest(points, usable_segments(net), max_distance=MAX_SNAP_M)
    # Equidistant segments give a point several rows; keep one, as the nearest-neighbour query does.
    joined = joined[~joined.index.duplicated(keep="first")]
    g = joined.groupby("seg")["harm"].agg(["sum", "size"]).reset_index()
    return g.sort_values(["sum", "size"], ascending=False).head(top_n)


def rutland_area(foot: ModeNetwork) -> shapely.Geometry:
    """Rutland approximated as in the tests: its constituency cut by the extract's outline."""
    constituency = read_boundary(SHARED_DATA / "constituencies-rutland.geojson")
    points = shapely.multipoints(np.column_stack([foot.coord_x_m, foot.coord_y_m]))
    return shapely.intersection(constituency, shapely.concave_hull(points, 0.1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per case (median)")
    parser.add_argument("--top-n", type=int, default=20, help="hot spots kept")
    args = parser.parse_args()
    top_n = args.top_n

    files = [SHARED_DATA / f"leicestershire-street-{m}.csv" for m in MONTHS]
    missing = [f for f in files if not f.exists()]
    if missing:
        print(f"missing {missing[0]}: the benchmark reads real data from ../shared/data")
        return 1
    net = load_network(SHARED_DATA / "rutland.osm.pbf", cache_dir=BENCH_CACHE)
    area = rutland_area(net.foot)
    intake: CrimeIntake = read_crimes(files, boundary_m=area)
    rows_read = intake.rows_read
    records = intake.records
    # The whole force, unclipped, gives the grid method enough records to time.
    force = read_crimes(files)

    def same_grid(of: CrimeIntake) -> str:
        ours = find_hotspots(of, method="grid", cell_m=CELL_M, top_n=top_n)
        base = pandas_grid(of.records, top_n)
        equal = np.allclose([h.harm for h in ours.hotspots], base["sum"])
        return f"harm of the top {top_n} equal: {bool(equal)}"

    def same_segments() -> str:
        ours = find_hotspots(
            intake, method="segment", network=net.car, max_snap_m=MAX_SNAP_M, top_n=top_n
        )
        base = geopandas_segments(records, net.car, top_n)
        shared = {int(h.unit_id.removeprefix("seg-")) for h in ours.hotspots} & set(base["seg"])
        return f"{len(shared)}/{top_n} same"

    cases: list[tuple[str, int, Callable[[], Any], Callable[[], Any], Callable[[], str]]] = [
        (
            "intake: read + clip",
            rows_read,
            lambda: read_crimes(files, boundary_m=area),
            lambda: pandas_intake(files, area),
            lambda: f"kept {intake.n_kept} vs {len(pandas_intake(files, area))}",
        ),
        (
            f"grid {CELL_M:g} m, top {top_n}",
            intake.n_kept,
            lambda: find_hotspots(intake, method="grid", cell_m=CELL_M, top_n=top_n),
            lambda: pandas_grid(records, top_n),
            lambda: same_grid(intake),
        ),
        (
            "grid, whole force",
            force.n_kept,
            lambda: find_hotspots(force, method="grid", cell_m=CELL_M, top_n=top_n),
            lambda: pandas_grid(force.records, top_n),
            lambda: same_grid(force),
        ),
        (
            f"segment {MAX_SNAP_M:g} m, top {top_n}",
            intake.n_kept,
            lambda: find_hotspots(
                intake, method="segment", network=net.car, max_snap_m=MAX_SNAP_M, top_n=top_n
            ),
            lambda: geopandas_segments(records, net.car, top_n),
            same_segments,
        ),
    ]

    header = (
        f"{'case':<24} {'rows':>7} {'ours s':>8} {'base s':>8} {'ratio':>6} {'ours rows/s':>12} "
        f"{'ours MiB':>9} {'base MiB':>9}  check"
    )
    print(f"{rows_read:,} crime rows in {len(files)} files; {intake.n_kept:,} kept in Rutland")
    print("ratio = baseline s / ours s (above 1: ours is faster); MiB = tracemalloc peak")
    print(header)
    print("-" * len(header))
    for label, rows, ours, base, check in cases:
        ours_s, _ = timed(ours, args.repeat)
        base_s, _ = timed(base, args.repeat)
        ours_mib, base_mib = peak_mib(ours), peak_mib(base)
        print(
            f"{label:<24} {rows:>7,} {ours_s:>8.3f} {base_s:>8.3f} {base_s / ours_s:>6.2f} "
            f"{rows / ours_s:>12,.0f} {ours_mib:>9.1f} {base_mib:>9.1f}  {check()}"
        )
    print(f"process peak RSS {peak_rss_mb():,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
