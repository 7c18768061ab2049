"""Raw OpenStreetMap road data: read it from any source into one plain form, and write it back.

Every source of roads (a Geofabrik PBF extract and OSM XML, read here; an Overpass response,
:mod:`planner.roads.overpass`; a GraphML file saved by osmnx, :mod:`planner.roads.graphml`; or
the synthetic generator) is read into :class:`OsmWays`: node coordinates plus ways with their
tags. :mod:`planner.roads.network` then normalises that one form, so the routing rules (which
ways a car may use, one-way handling, speeds) live in one place.
"""

from __future__ import annotations

import bz2
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from planner.common import atomic_write_bytes
from planner.errors import InputError, NetworkError
from planner.roads.formats import check_network_file, network_format, unknown_format_error

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
        _check_lonlat(ids, coords, source)
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


def _check_lonlat(ids: np.ndarray, coords: np.ndarray, source: str) -> None:
    """Refuse node coordinates that cannot be longitude/latitude degrees."""
    bad = ~(
        np.isfinite(coords).all(axis=1)
        & (np.abs(coords[:, 0]) <= 180.0)
        & (np.abs(coords[:, 1]) <= 90.0)
    )
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{int(bad.sum()):,} nodes have coordinates that are not longitude/latitude "
            f"degrees (node {ids[first]}: {coords[first, 0]!r}, {coords[first, 1]!r}); check "
            "the file's coordinate system",
            path=source or None,
        )


# --------------------------------------------------------------------------- readers


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
    fmt = network_format(path)
    if fmt not in ("pbf", "osm_xml"):
        raise unknown_format_error(path)
    check_network_file(path, fmt)
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
