"""Glue between stages: sites onto a network, matrices out, every site accounted for."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from planner.matrix import SiteGraph, TravelTimeMatrix, travel_time_matrix
from planner.network import RoadNetwork, mode_names
from planner.report import write_csv
from planner.sites import SitePoints
from planner.snapping import DEFAULT_MAX_SNAP_M, SnappedSites, snap_sites

log = logging.getLogger(__name__)

SNAP_REPORT_COLUMNS = (
    "site_id",
    "mode",
    "status",
    "snap_distance_m",
    "snap_x_m",
    "snap_y_m",
    "nearest_road_m",
    "reason",
)


@dataclass(frozen=True, eq=False)
class MatrixResult:
    """Snapped sites and matrices per mode, and the files written."""

    network: RoadNetwork
    sites: SitePoints
    snaps: dict[str, SnappedSites]
    graphs: dict[str, SiteGraph]
    matrices: dict[str, TravelTimeMatrix]
    files: tuple[Path, ...]

    def summary(self) -> str:
        """Human-readable report of every stage."""
        lines = [self.network.summary(), f"{len(self.sites)} sites read from {self.sites.path}"]
        for mode, snap in self.snaps.items():
            lines.append(snap.summary())
            lines.append(self.matrices[mode].summary())
        lines.extend(f"wrote {f}" for f in self.files)
        return "\n".join(lines)


def snap_and_matrix(
    net: RoadNetwork,
    sites: SitePoints,
    *,
    modes: Sequence[str] = ("car", "foot"),
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    out_dir: str | Path | None = None,
) -> MatrixResult:
    """Snap ``sites`` to each mode's network and compute its matrix.

    With ``out_dir``, writes ``snap_report.csv`` (one row per site and mode, snapped or with
    the reason it is not) and ``matrix_<mode>.csv``.
    """
    snaps: dict[str, SnappedSites] = {}
    graphs: dict[str, SiteGraph] = {}
    matrices: dict[str, TravelTimeMatrix] = {}
    for mode in mode_names(modes):
        mode_net = net.mode(mode)
        snaps[mode] = snap_sites(mode_net, sites.site_id, sites.x_m, sites.y_m, max_snap_m=max_snap_m)
        graphs[mode] = SiteGraph.build(mode_net, snaps[mode])
        matrices[mode] = travel_time_matrix(graphs[mode])
    files: list[Path] = []
    if out_dir is not None:
        out = Path(out_dir)
        rows = [row for snap in snaps.values() for row in snap.report_rows()]
        files.append(write_csv(out / "snap_report.csv", rows, SNAP_REPORT_COLUMNS))
        for mode, m in matrices.items():
            files.append(m.to_csv(out / f"matrix_{mode}.csv"))
    return MatrixResult(network=net, sites=sites, snaps=snaps, graphs=graphs, matrices=matrices, files=tuple(files))
