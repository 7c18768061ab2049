"""osmnx graphs (GraphML files saved by ``ox.save_graphml``) turned back into directed ways.

osmnx saves directed graphs (``MultiDiGraph``: every edge runs in its direction of travel)
and, after ``ox.convert.to_undirected`` (``ox.get_undirected`` before osmnx 2), undirected
ones. An undirected edge has no direction of its own: osmnx keeps the direction it had in the
attributes ``from`` and ``to``, and its geometry still runs that way. Reading such an edge in
networkx's order instead would send half the one-way streets backwards and break the network
into hundreds of pieces, so :func:`graph_to_ways` orients every edge by ``from``/``to``, else
(an undirected graph without them) by its geometry, and lays its geometry the same way.
"""

from __future__ import annotations

import ast
import logging
import math
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pyproj
import shapely

from planner.common import WGS84
from planner.errors import InputError, NetworkError
from planner.roads.formats import check_network_file
from planner.roads.osm import OsmWays

log = logging.getLogger(__name__)

#: Edge attributes kept as way tags (the normaliser's rules read them).
_EDGE_TAGS = ("highway", "maxspeed", "name", "ref", "junction", "access", "service")


def _first(value: Any) -> Any:
    """Osmnx stores merged attributes as lists (or their string form in GraphML)."""
    if isinstance(value, str) and value.startswith("["):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return value
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


def _truthy(value: Any) -> bool:
    value = _first(value)
    if isinstance(value, str):
        return value.strip().lower() in {"true", "yes", "1", "-1"}
    return bool(value)


def _int_or_none(value: Any) -> int | None:
    try:
        out = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return out if -(2**63) < out < 2**63 else None


def _to_wgs84(graph: nx.MultiGraph, source: str) -> pyproj.Transformer | None:
    """The transformer from the graph's CRS to WGS84, or None if it is WGS84 already."""
    crs = graph.graph.get("crs", "epsg:4326")
    try:
        graph_crs = pyproj.CRS.from_user_input(crs)
    except (pyproj.exceptions.CRSError, TypeError, ValueError) as exc:
        raise InputError(
            f"the graph's crs {str(crs)[:80]!r} is not a coordinate reference system ({exc}); "
            "save the graph again with ox.save_graphml",
            path=source,
        ) from None
    if graph_crs == pyproj.CRS.from_epsg(WGS84):
        return None
    # The graph's own CRS may be any projection, not only British National Grid.
    return pyproj.Transformer.from_crs(graph_crs, WGS84, always_xy=True)


def _direction(
    graph: nx.MultiGraph, u: Any, v: Any, d: dict[str, Any], directed: bool
) -> tuple[Any, Any, str]:
    """The edge's true ``(from, to)`` and how it was found.

    ``"attributes"`` (osmnx's ``from``/``to``), ``"directed"`` (a directed graph's own edge
    direction), ``"geometry"`` (which end the geometry starts at) or ``"unknown"``.
    """
    frm, to = d.get("from"), d.get("to")
    if frm is not None and to is not None:
        pair = (str(frm), str(to))
        if pair == (str(u), str(v)):
            return u, v, "attributes"
        if pair == (str(v), str(u)):
            return v, u, "attributes"
    if directed:
        return u, v, "directed"
    geom = d.get("geometry")
    if isinstance(geom, shapely.LineString) and not geom.is_empty and u != v:
        x0, y0 = geom.coords[0][:2]
        nu, nv = graph.nodes[u], graph.nodes[v]
        du = math.hypot(x0 - nu["x"], y0 - nu["y"])
        dv = math.hypot(x0 - nv["x"], y0 - nv["y"])
        return (v, u, "geometry") if dv < du else (u, v, "geometry")
    return u, v, "unknown"


def _inner_points(graph: nx.MultiGraph, a: Any, b: Any, geom: Any) -> list[tuple[float, float]]:
    """The geometry's points between the two end nodes, in the direction ``a`` to ``b``.

    Geometry stored the other way round (an undirected edge read from its other end) is
    reversed, judged by which end node its first point is nearer.
    """
    if not isinstance(geom, shapely.LineString) or geom.is_empty:
        return []
    coords = [(float(c[0]), float(c[1])) for c in geom.coords]
    if a != b:
        x0, y0 = coords[0]
        na, nb = graph.nodes[a], graph.nodes[b]
        if math.hypot(x0 - nb["x"], y0 - nb["y"]) < math.hypot(x0 - na["x"], y0 - na["y"]):
            coords.reverse()
    return coords[1:-1]


def _edge_tags(d: dict[str, Any], oneway: bool) -> dict[str, str]:
    tags: dict[str, str] = {}
    for key in _EDGE_TAGS:
        val = _first(d.get(key))
        if val is not None and not (isinstance(val, float) and np.isnan(val)):
            tags[key] = str(val)
    if "highway" not in tags:
        tags["highway"] = "unclassified"
    tags["oneway"] = "yes" if oneway else "no"
    return tags


def graph_to_ways(graph: nx.MultiGraph, source: str) -> OsmWays:
    """Turn an osmnx graph (e.g. from ``ox.load_graphml``) back into directed ways.

    Each edge becomes one way tagged ``oneway=yes`` in its direction of travel, so a car
    network keeps exactly the graph's directions; the foot profile ignores ``oneway``. Edge
    geometry points become nodes with negative ids so that they never join two ways. In an
    undirected graph (``ox.convert.to_undirected``) the direction of travel is osmnx's
    ``from``/``to`` attributes, else the direction of the edge's geometry.

    Raises
    ------
    InputError
        If a node has no coordinates or a non-integer id, or the graph's CRS is unreadable.
    NetworkError
        If the graph has no edges.
    """
    to_wgs = _to_wgs84(graph, source)

    def lonlat(x: float, y: float) -> tuple[float, float]:
        if to_wgs is None:
            return (float(x), float(y))
        lon, lat = to_wgs.transform(x, y)
        return (float(lon), float(lat))

    nodes: dict[int, tuple[float, float]] = {}
    for n, d in graph.nodes(data=True):
        if "x" not in d or "y" not in d:
            raise InputError(
                f"node {n} has no x/y coordinates; is this an osmnx graph?", path=source
            )
        node_id = _int_or_none(n)
        if node_id is None or node_id < 0:
            raise InputError(
                f"node id {str(n)[:40]!r} is not an OpenStreetMap node id (a positive "
                "integer); is this an osmnx graph?",
                path=source,
            )
        try:
            nodes[node_id] = lonlat(float(d["x"]), float(d["y"]))
        except (TypeError, ValueError) as exc:
            raise InputError(f"node {n} has unreadable x/y ({exc})", path=source) from None
    directed = graph.is_directed()
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    next_id = -1
    seen_pairs: set[tuple[Any, Any, Any]] = set()
    how_counts: dict[str, int] = {}
    for u, v, k, d in graph.edges(keys=True, data=True):
        oneway = _truthy(d.get("oneway"))
        if (v, u, k) in seen_pairs and not oneway:
            # A two-way street is stored as two opposite edges; keep one two-way way.
            continue
        seen_pairs.add((u, v, k))
        a, b, how = _direction(graph, u, v, d, directed)
        if oneway:
            how_counts[how] = how_counts.get(how, 0) + 1
        refs = [int(a)]
        for x, y in _inner_points(graph, a, b, d.get("geometry")):
            nodes[next_id] = lonlat(x, y)
            refs.append(next_id)
            next_id -= 1
        refs.append(int(b))
        osmid = _int_or_none(_first(d.get("osmid")))
        ways.append((osmid if osmid is not None else next_id, refs, _edge_tags(d, oneway)))
    _log_directions(how_counts, directed, source)
    data = OsmWays.from_lists(nodes, ways, source=source)
    if data.n_ways == 0:
        raise NetworkError(f"{source}: the graph has no edges, so no roads")
    return data


def _log_directions(how_counts: dict[str, int], directed: bool, source: str) -> None:
    """Say how an undirected graph's one-way streets were oriented, and warn of guesses."""
    if directed:
        return
    log.info(
        "%s: undirected graph; one-way streets oriented by osmnx's from/to attributes: %d, by "
        "their geometry: %d",
        source,
        how_counts.get("attributes", 0),
        how_counts.get("geometry", 0),
    )
    if how_counts.get("unknown", 0):
        log.warning(
            "%s: %d one-way streets of this undirected graph have neither from/to attributes "
            "nor a geometry, so their direction is a guess; save the directed graph "
            "(before ox.convert.to_undirected) instead",
            source,
            how_counts["unknown"],
        )


def read_graphml_file(path: str | Path) -> OsmWays:
    """Read an osmnx GraphML file (directed, or undirected with osmnx's ``from``/``to``).

    Raises
    ------
    InputError
        If the file is missing, empty, not GraphML or not an osmnx graph.
    NetworkError
        If the graph has no edges.
    """
    import osmnx as ox

    path = Path(path)
    check_network_file(path, "graphml")
    try:
        graph = ox.load_graphml(path)
    except Exception as exc:  # networkx and osmnx raise many kinds for a malformed file
        raise InputError(
            f"cannot read as osmnx GraphML ({type(exc).__name__}: {str(exc)[:200]}); save it "
            "again with ox.save_graphml",
            path=path,
        ) from exc
    return graph_to_ways(graph, str(path))
