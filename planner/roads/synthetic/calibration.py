"""Calibration: statistics of a car network, and the real networks the profiles match.

``scripts/compare_synthetic.py`` and the realism tests build the car graph of a synthetic
network and of its real reference (the City of London for ``town``, Rutland for ``county``)
through the same pipeline, and check every calibrated statistic is within 25%.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pyproj

from planner.errors import InputError
from planner.roads.network import CRS_BNG, build_network
from planner.roads.osm import OsmWays, write_osm_xml
from planner.roads.sources import load_network

#: Real networks each profile is calibrated against (files in the shared data folder).
REFERENCE_FILES: dict[str, str] = {
    "town": "city-of-london-overpass-2024.osm.bz2",
    "county": "rutland-drive.osm.bz2",
}
#: Human-readable names of the reference areas.
REFERENCE_NAMES: dict[str, str] = {"town": "City of London", "county": "Rutland"}
#: Statistics the synthetic networks must match (within 25% of the reference).
CALIBRATED_STATS: tuple[str, ...] = (
    "streets_per_node_avg",
    "k_avg",
    "circuity_avg",
    "edge_length_avg",
    "edge_length_median",
    "dead_end_share",
    "oneway_share",
)
#: Ways of turning raw roads into a car graph; "planner" is the planner's own normaliser.
PIPELINES: tuple[str, ...] = ("planner", "osmnx")


def car_graph(source: OsmWays | str | Path, pipeline: str = "planner") -> nx.MultiDiGraph:
    """Projected car graph (EPSG:27700) of raw ways or an OSM file, for :func:`network_stats`.

    Parameters
    ----------
    source
        Generated ways, or a road file (``.osm``, ``.osm.bz2``, ``.osm.pbf``...).
    pipeline
        ``"planner"``: :func:`planner.roads.network.build_network` (files via ``load_network``),
        then ``car.to_networkx()``. ``"osmnx"``: ``osmnx.graph_from_xml`` (ways are written to a
        temporary OSM XML file first) and ``osmnx.project_graph``. Use the same pipeline for
        the two sides of a comparison.
    """
    if pipeline not in PIPELINES:
        raise InputError(f"unknown pipeline {pipeline!r}; choose one of {', '.join(PIPELINES)}")
    if pipeline == "planner":
        net = build_network(source) if isinstance(source, OsmWays) else load_network(source)
        return net.car.to_networkx()
    import osmnx as ox  # heavy import: only for the osmnx pipeline

    if isinstance(source, OsmWays):
        with tempfile.TemporaryDirectory() as tmp:
            graph = ox.graph_from_xml(write_osm_xml(source, Path(tmp) / "synthetic.osm"))
    else:
        graph = ox.graph_from_xml(source)
    return ox.project_graph(graph, to_crs=CRS_BNG)


def compare_stats(
    real: dict[str, float], synthetic: dict[str, float], tolerance: float = 0.25
) -> list[dict[str, Any]]:
    """Rows of ``statistic, real, synthetic, difference (fraction), ok`` for the calibrated stats."""
    rows = []
    for key in CALIBRATED_STATS:
        r, s = float(real[key]), float(synthetic[key])
        diff = (s - r) / r if r else math.inf
        rows.append(
            {
                "statistic": key,
                "real": r,
                "synthetic": s,
                "difference": diff,
                "ok": abs(diff) <= tolerance,
            }
        )
    return rows


def network_stats(graph: nx.MultiDiGraph) -> dict[str, float]:
    """Statistics of a projected, simplified osmnx-style car network.

    Parameters
    ----------
    graph
        A MultiDiGraph with ``graph["crs"]`` projected (metres), node attributes ``x``, ``y``
        (and ``street_count``, added here if missing), and edge attributes ``length`` (m) and
        ``oneway`` (bool).

    Returns
    -------
    dict
        ``streets_per_node_avg``, ``k_avg`` (mean degree), ``circuity_avg``,
        ``edge_length_avg``, ``edge_length_median`` (m), ``dead_end_share`` (nodes with one
        street), ``oneway_share`` (of directed edges), ``n_nodes`` and ``n_edges``.
    """
    import osmnx as ox  # heavy import: only when statistics are asked for

    crs = graph.graph.get("crs")
    if crs is None or not pyproj.CRS.from_user_input(crs).is_projected:
        raise InputError("network_stats needs a projected graph (metres); project it first")
    if graph.number_of_nodes() == 0:
        raise InputError("network_stats got an empty graph")
    if any("street_count" not in d for _, d in graph.nodes(data=True)):
        graph = graph.copy()
        nx.set_node_attributes(graph, ox.stats.count_streets_per_node(graph), "street_count")
    basic = ox.stats.basic_stats(graph)
    lengths = np.fromiter((d["length"] for _, _, d in graph.edges(data=True)), dtype=np.float64)
    oneway = np.fromiter(
        (bool(d.get("oneway", False)) for _, _, d in graph.edges(data=True)), dtype=bool
    )
    return {
        "n_nodes": float(graph.number_of_nodes()),
        "n_edges": float(graph.number_of_edges()),
        "streets_per_node_avg": float(basic["streets_per_node_avg"]),
        "k_avg": float(basic["k_avg"]),
        "circuity_avg": float(basic["circuity_avg"]),
        "edge_length_avg": float(basic["edge_length_avg"]),
        "edge_length_median": float(np.median(lengths)) if len(lengths) else float("nan"),
        "dead_end_share": float(basic["streets_per_node_proportions"].get(1, 0.0)),
        "oneway_share": float(oneway.mean()) if len(oneway) else float("nan"),
    }
