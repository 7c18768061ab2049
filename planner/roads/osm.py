"""Raw OpenStreetMap road data: read it from any source into one plain form, and write it back.

Every source of roads (a Geofabrik PBF extract, OSM XML, an Overpass response, a GraphML file
saved by osmnx, or the synthetic generator) is read into :class:`OsmWays`: node coordinates plus
ways with their tags. :mod:`planner.roads.network` then normalises that one form, so the routing
rules (which ways a car may use, one-way handling, speeds) live in one place.
"""

from __future__ import annotations

import ast
import bz2
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import networkx as nx
import numpy as np

from planner.common import WGS84, atomic_write_bytes
from planner.errors import InputError, NetworkError

log = logging.getLogger(__name__)

#: The way tags the normaliser reads. Others are dropped on reading to keep memory low.
KEPT_TAGS = frozenset(
    {
        "highway",
        "oneway",
        "junction",
        "maxspeed",
        "access",
        "vehicle",
        "motor_vehicle",
        "motorcar",
        "foot",
        "service",
        "area",
        "name",
        "ref",
    }
)


@dataclass
class OsmWays:
    """OpenStreetMap ways and the coordinates of their nodes, in WGS84.

    Attributes
    ----------
    node_id
        OSM node ids, sorted ascending, unique.
    lon, lat
        Node coordinates in degrees (EPSG:4326), aligned with ``node_id``.
    way_id
        OSM way ids, one per way.
    way_offsets
        ``way_refs[way_offsets[i]:way_offsets[i + 1]]`` are the node ids of way ``i``.
    way_refs
        Node ids of all ways, concatenated.
    way_tags
        Tags of each way (only :data:`KEPT_TAGS`).
    source
        Human-readable description of where the data came from, for reports and errors.
    """

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    way_id: np.ndarray
    way_offsets: np.ndarray
    way_refs: np.ndarray
    way_tags: list[dict[str, str]]
    source: str = ""
    missing_refs: int = field(default=0)

    @property
    def n_ways(self) -> int:
        """Number of ways."""
        return len(self.way_id)

    @property
    def n_nodes(self) -> int:
        """Number of nodes with coordinates."""
        return len(self.node_id)

    @classmethod
    def from_lists(
        cls,
        nodes: Mapping[int, tuple[float, float]],
        ways: Iterable[tuple[int, list[int], Mapping[str, str]]],
        source: str = "",
    ) -> OsmWays:
        """Build from ``{node_id: (lon, lat)}`` and ``(way_id, refs, tags)`` triples.

        Way references to nodes absent from ``nodes`` are removed (splitting nothing: the
        way simply skips them) and counted in ``missing_refs``; Overpass and clipped
        extracts routinely reference nodes outside the download area.
        """
        ids = np.fromiter(nodes.keys(), dtype=np.int64, count=len(nodes))
        coords = np.array(list(nodes.values()), dtype=np.float64).reshape(-1, 2)
        order = np.argsort(ids, kind="stable")
        way_ids: list[int] = []
        offsets = [0]
        refs: list[int] = []
        tags_out: list[dict[str, str]] = []
        missing = 0
        for wid, wrefs, tags in ways:
            kept = [r for r in wrefs if r in nodes]
            missing += len(wrefs) - len(kept)
            if len(kept) < 2:
                continue
            way_ids.append(int(wid))
            refs.extend(kept)
            offsets.append(len(refs))
            tags_out.append({k: str(v) for k, v in tags.items() if k in KEPT_TAGS})
        return cls(
            node_id=ids[order],
            lon=coords[order, 0] if len(coords) else np.empty(0),
            lat=coords[order, 1] if len(coords) else np.empty(0),
            way_id=np.asarray(way_ids, dtype=np.int64),
            way_offsets=np.asarray(offsets, dtype=np.int64),
            way_refs=np.asarray(refs, dtype=np.int64),
            way_tags=tags_out,
            source=source,
            missing_refs=missing,
        )


# --------------------------------------------------------------------------- readers


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(
            "file not found; check the path (relative paths are read from the current "
            "directory or, in a force config, from the config's folder)",
            path=path,
        )
    if path.is_dir():
        raise InputError("is a folder, expected a road network file", path=path)
    if path.stat().st_size == 0:
        raise InputError("file is empty; download or export it again", path=path)


def read_osm_file(path: str | Path) -> OsmWays:
    """Read the highway ways of an OSM PBF or XML (``.osm``, ``.osm.bz2``, ``.osm.gz``) file.

    Parameters
    ----------
    path
        The extract, e.g. a Geofabrik ``*-latest.osm.pbf``.

    Returns
    -------
    OsmWays
        Every way with a ``highway`` tag, with its node coordinates.

    Raises
    ------
    InputError
        If the file is missing, empty, truncated or corrupt.
    """
    import osmium  # heavy C++ extension: import only when a file is read

    path = Path(path)
    _check_file(path)
    nodes: dict[int, tuple[float, float]] = {}
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    bad_locations = 0
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:
            assert isinstance(way, osmium.osm.Way)  # the entity filter lets only ways through
            refs = []
            for nd in way.nodes:
                loc = nd.location
                if not loc.valid():
                    bad_locations += 1
                    continue
                nodes[nd.ref] = (loc.lon, loc.lat)
                refs.append(nd.ref)
            tags = {t.k: t.v for t in way.tags if t.k in KEPT_TAGS}
            ways.append((way.id, refs, tags))
    except RuntimeError as exc:
        raise InputError(
            f"cannot read as OpenStreetMap data ({exc}); the file may be truncated or not "
            "an .osm.pbf/.osm/.osm.bz2 file: download the extract again",
            path=path,
        ) from exc
    except Exception as exc:  # osmium raises bare C++ errors for corrupt blocks
        raise InputError(
            f"corrupt OpenStreetMap file ({type(exc).__name__}: {exc}); download it again",
            path=path,
        ) from exc
    if bad_locations:
        log.warning("%s: %d way nodes had no coordinates and were skipped", path, bad_locations)
    data = OsmWays.from_lists(nodes, ways, source=str(path))
    data.missing_refs += bad_locations
    if data.n_ways == 0:
        raise NetworkError(
            f"{path}: contains no roads (no way with a 'highway' tag); is this the right "
            "extract? Road networks need OSM ways tagged highway=*"
        )
    log.info("read %d highway ways, %d nodes from %s", data.n_ways, data.n_nodes, path)
    return data


def overpass_json_to_ways(responses: Iterable[Mapping[str, Any]], source: str) -> OsmWays:
    """Convert Overpass API JSON responses (``out;`` with ways and their nodes) to ways."""
    nodes: dict[int, tuple[float, float]] = {}
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    for response in responses:
        for el in response.get("elements", []):
            if el.get("type") == "node" and "lon" in el:
                nodes[int(el["id"])] = (float(el["lon"]), float(el["lat"]))
            elif el.get("type") == "way" and "highway" in el.get("tags", {}):
                ways.append((int(el["id"]), [int(n) for n in el["nodes"]], el["tags"]))
    data = OsmWays.from_lists(nodes, ways, source=source)
    if data.n_ways == 0:
        raise NetworkError(f"{source}: the Overpass response holds no roads")
    return data


def _first(value: Any) -> Any:
    """Osmnx stores merged attributes as lists (or their string form in GraphML)."""
    if isinstance(value, str) and value.startswith("["):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


def graph_to_ways(graph: nx.MultiDiGraph, source: str) -> OsmWays:
    """Turn an osmnx graph (e.g. from ``ox.load_graphml``) back into directed ways.

    Each edge becomes one way tagged ``oneway=yes`` in the edge's direction, so a car network
    keeps exactly the graph's directions; the foot profile ignores ``oneway``. Edge geometry
    points become nodes with negative ids so that they never join two ways.
    """
    import pyproj

    crs = graph.graph.get("crs", "epsg:4326")
    to_wgs = None
    if pyproj.CRS.from_user_input(crs) != pyproj.CRS.from_epsg(WGS84):
        # The graph's own CRS may be any projection, not only British National Grid.
        to_wgs = pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)

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
        nodes[int(n)] = lonlat(float(d["x"]), float(d["y"]))
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    next_id = -1
    seen_pairs: set[tuple[int, int, int]] = set()
    for u, v, k, d in graph.edges(keys=True, data=True):
        if (v, u, k) in seen_pairs and not _truthy(d.get("oneway")):
            # A two-way street is stored as two opposite edges; keep one two-way way.
            continue
        seen_pairs.add((u, v, k))
        refs = [int(u)]
        geom = d.get("geometry")
        if geom is not None and not isinstance(geom, str):
            for x, y in list(geom.coords)[1:-1]:
                nodes[next_id] = lonlat(x, y)
                refs.append(next_id)
                next_id -= 1
        refs.append(int(v))
        tags: dict[str, str] = {}
        for key in ("highway", "maxspeed", "name", "ref", "junction", "access", "service"):
            val = _first(d.get(key))
            if val is not None and not (isinstance(val, float) and np.isnan(val)):
                tags[key] = str(val)
        if "highway" not in tags:
            tags["highway"] = "unclassified"
        tags["oneway"] = "yes" if _truthy(d.get("oneway")) else "no"
        osmid = _first(d.get("osmid"))
        ways.append((int(osmid) if osmid is not None else next_id, refs, tags))
    data = OsmWays.from_lists(nodes, ways, source=source)
    if data.n_ways == 0:
        raise NetworkError(f"{source}: the graph has no edges, so no roads")
    return data


def _truthy(value: Any) -> bool:
    value = _first(value)
    if isinstance(value, str):
        return value.strip().lower() in {"true", "yes", "1", "-1"}
    return bool(value)


# --------------------------------------------------------------------------- writers


def write_osm_xml(data: OsmWays, path: str | Path) -> Path:
    """Write ways and their nodes as OSM XML (bz2-compressed if the name ends ``.bz2``).

    The file is written to a temporary name and renamed, so a crash never leaves half a file.
    """
    path = Path(path)
    used = np.unique(data.way_refs)
    idx = np.searchsorted(data.node_id, used)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="planner">']
    lines.extend(
        f'<node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>'
        for nid, lon, lat in zip(
            used.tolist(), data.lon[idx].tolist(), data.lat[idx].tolist(), strict=True
        )
    )
    for i, wid in enumerate(data.way_id.tolist()):
        lines.append(f'<way id="{wid}" version="1">')
        refs = data.way_refs[data.way_offsets[i] : data.way_offsets[i + 1]].tolist()
        lines.extend(f'<nd ref="{r}"/>' for r in refs)
        lines.extend(
            f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in data.way_tags[i].items()
        )
        lines.append("</way>")
    lines.append("</osm>\n")
    payload = "\n".join(lines).encode("utf-8")
    if path.suffix == ".bz2":
        payload = bz2.compress(payload, 6)
    atomic_write_bytes(path, payload)
    return path


def write_osm_pbf(data: OsmWays, path: str | Path) -> Path:
    """Write ways and their nodes as an OSM PBF file (atomically)."""
    import osmium

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".osm.pbf")
    os.close(fd)
    os.unlink(tmp)  # osmium refuses to overwrite
    used = np.unique(data.way_refs)
    idx = np.searchsorted(data.node_id, used)
    try:
        writer = osmium.SimpleWriter(tmp)
        try:
            for nid, lon, lat in zip(
                used.tolist(), data.lon[idx].tolist(), data.lat[idx].tolist(), strict=True
            ):
                writer.add_node(osmium.osm.mutable.Node(id=nid, location=(lon, lat), version=1))
            for i, wid in enumerate(data.way_id.tolist()):
                refs = data.way_refs[data.way_offsets[i] : data.way_offsets[i + 1]].tolist()
                writer.add_way(
                    osmium.osm.mutable.Way(id=wid, nodes=refs, tags=data.way_tags[i], version=1)
                )
        finally:
            writer.close()
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
