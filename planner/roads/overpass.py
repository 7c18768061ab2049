"""Overpass API JSON responses: the roads osmnx downloads, and ``.json`` files users saved.

An Overpass response (``[out:json]``) is ``{"elements": [...]}`` with nodes (``id``, ``lat``,
``lon``) and ways (``id``, ``nodes``, ``tags``); with ``out geom;`` the ways carry their
coordinates in ``geometry`` instead of separate nodes. osmnx keeps such responses in its
cache folder, and several responses (a large area is queried in pieces) may be saved as a
JSON list of them. Both are read into :class:`planner.roads.osm.OsmWays`.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from planner.common import decode_text
from planner.errors import InputError, NetworkError
from planner.roads.formats import check_network_file, open_decompressed
from planner.roads.osm import OsmWays

log = logging.getLogger(__name__)

_QUERY_HINT = (
    'ask Overpass for the ways with their nodes, e.g. [out:json]; way["highway"](area); '
    "(._;>;); out;"
)


def _is_osm_id(value: Any) -> bool:
    """An integer that fits the 64-bit ids OpenStreetMap uses (JSON allows any size)."""
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) < value < 2**63


def _element_id(el: Mapping[str, Any], where: str, source: str) -> int:
    value = el.get("id")
    if not isinstance(value, int) or not _is_osm_id(value):
        raise InputError(f"{where} has id {value!r}, not an integer OSM id", path=source)
    return value


def _coordinate(value: Any, name: str, limit: float, where: str, source: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not -limit <= value <= limit
    ):
        raise InputError(
            f"{where} has {name} {value!r}, not a number from -{limit:g} to {limit:g}",
            path=source,
        )
    return float(value)


def _way(
    el: Mapping[str, Any], where: str, source: str, nodes: dict[int, tuple[float, float]]
) -> tuple[int, list[int], dict[str, str]]:
    """One way element as ``(id, node ids, tags)``; ``out geom`` coordinates go into ``nodes``."""
    wid = _element_id(el, where, source)
    refs = el.get("nodes")
    if not isinstance(refs, list) or not all(_is_osm_id(r) for r in refs):
        raise InputError(f"{where} (way {wid}) has no list of node ids; {_QUERY_HINT}", path=source)
    tags = el.get("tags", {})
    geometry = el.get("geometry")
    if isinstance(geometry, list) and len(geometry) == len(refs):
        for ref, point in zip(refs, geometry, strict=True):
            if isinstance(point, Mapping) and ref not in nodes:
                nodes[ref] = (
                    _coordinate(point.get("lon"), "lon", 180.0, where, source),
                    _coordinate(point.get("lat"), "lat", 90.0, where, source),
                )
    return wid, refs, {str(k): str(v) for k, v in tags.items()}


def overpass_json_to_ways(responses: Iterable[Any], source: str) -> OsmWays:
    """Convert Overpass API JSON responses (ways and their nodes) to ways.

    Parameters
    ----------
    responses
        Parsed responses, each ``{"elements": [...]}``.
    source
        Where they came from (a file, a download), for reports and messages.

    Raises
    ------
    InputError
        If a response is not an Overpass response (naming what it is), is Overpass's report of
        a failed query, or an element is malformed (naming it).
    NetworkError
        If the responses hold no roads.
    """
    nodes: dict[int, tuple[float, float]] = {}
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    n_ways_read = 0
    for r, response in enumerate(responses, start=1):
        elements = _elements(response, r, source)
        for i, el in enumerate(elements, start=1):
            where = f"response {r}, element {i}"
            if not isinstance(el, Mapping):
                raise InputError(f"{where} is {type(el).__name__}, not an object", path=source)
            if el.get("type") == "node" and ("lon" in el or "lat" in el):
                nid = _element_id(el, where, source)
                nodes[nid] = (
                    _coordinate(el.get("lon"), "lon", 180.0, where, source),
                    _coordinate(el.get("lat"), "lat", 90.0, where, source),
                )
            elif el.get("type") == "way":
                n_ways_read += 1
                tags = el.get("tags", {})
                if not isinstance(tags, Mapping):
                    raise InputError(f"{where} has tags that are not an object", path=source)
                if "highway" in tags:
                    ways.append(_way(el, where, source, nodes))
    if ways and not nodes:
        raise InputError(
            f"holds {len(ways):,} roads but no node coordinates; {_QUERY_HINT}", path=source
        )
    data = OsmWays.from_lists(nodes, ways, source=source)
    if data.n_ways == 0:
        what = f"{n_ways_read:,} ways, none of them a road" if n_ways_read else "no ways"
        raise NetworkError(
            f"{source}: the Overpass response holds no roads ({what}); the query must ask "
            'for highway ways, e.g. way["highway"]'
        )
    if data.missing_refs:
        log.info("%s: %d way nodes outside the response were skipped", source, data.missing_refs)
    return data


def _elements(response: Any, r: int, source: str) -> list[Any]:
    """The ``elements`` list of one response, or an error saying what the response is."""
    if not isinstance(response, Mapping):
        raise InputError(
            f"response {r} is {type(response).__name__}, not an Overpass API response "
            '({"elements": [...]})',
            path=source,
        )
    elements = response.get("elements")
    remark = response.get("remark")
    if isinstance(remark, str) and "error" in remark.lower():
        raise InputError(
            f"the Overpass query failed: {remark.strip()[:300]}; run it again (a smaller area, "
            "or a longer [timeout:...])",
            path=source,
        )
    if not isinstance(elements, list):
        kind = response.get("type")
        what = (
            "GeoJSON, which holds no road network the planner can route on; give the "
            "OpenStreetMap data instead (.osm.pbf, OSM XML or an Overpass JSON response)"
            if kind in ("FeatureCollection", "Feature")
            else 'not an Overpass API response: it has no "elements" list'
        )
        raise InputError(f"response {r} is {what}", path=source)
    return elements


def read_overpass_file(path: str | Path) -> OsmWays:
    """Read a saved Overpass API JSON response (``.json``, ``.json.bz2``, ``.json.gz``).

    The file holds one response or a JSON list of responses (as osmnx caches them).

    Raises
    ------
    InputError
        If the file is missing, empty, truncated, not JSON or not an Overpass response.
    NetworkError
        If it holds no roads.
    """
    path = Path(path)
    compression = check_network_file(path, "overpass_json")
    try:
        with open_decompressed(path, compression) as fh:
            data = fh.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(
            f"cannot be decompressed ({exc}); the file is truncated or corrupt: download it again",
            path=path,
        ) from None
    text = decode_text(data, path=path, what="Overpass JSON response")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); a download "
            "that stopped part way ends like this: download it again",
            path=path,
        ) from None
    except RecursionError:
        raise InputError(
            "is JSON nested too deeply to be an Overpass response", path=path
        ) from None
    responses = doc if isinstance(doc, list) else [doc]
    if not responses:
        raise InputError("is an empty JSON list, not an Overpass API response", path=path)
    data_ways = overpass_json_to_ways(responses, source=str(path))
    log.info("read %d highway ways, %d nodes from %s", data_ways.n_ways, data_ways.n_nodes, path)
    return data_ways
