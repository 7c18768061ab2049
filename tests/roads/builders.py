"""Inputs the road tests build from the shared OpenStreetMap extracts."""

from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path

import numpy as np

from planner.roads.cache import _ARRAY_FIELDS as ARRAY_FIELDS
from planner.roads.network import MODES, RoadNetwork
from planner.roads.osm import OsmWays


def overpass_response(ways: OsmWays) -> dict:
    """The Overpass API JSON (``out;``) that would have produced ``ways``."""
    elements: list[dict] = [
        {"type": "node", "id": int(n), "lat": float(la), "lon": float(lo)}
        for n, lo, la in zip(ways.node_id, ways.lon, ways.lat, strict=True)
    ]
    for i, wid in enumerate(ways.way_id):
        refs = ways.way_refs[ways.way_offsets[i] : ways.way_offsets[i + 1]]
        elements.append(
            {
                "type": "way",
                "id": int(wid),
                "nodes": [int(r) for r in refs],
                "tags": ways.way_tags[i],
            }
        )
    return json.loads(
        json.dumps({"version": 0.6, "generator": "Overpass API", "elements": elements})
    )


def overpass_geom_response(ways: OsmWays) -> dict:
    """The same roads as Overpass's ``out geom;`` gives them: coordinates inside each way."""
    response = overpass_response(ways)
    coords = {e["id"]: (e["lat"], e["lon"]) for e in response["elements"] if e["type"] == "node"}
    elements = [e for e in response["elements"] if e["type"] == "way"]
    for way in elements:
        way["geometry"] = [{"lat": coords[n][0], "lon": coords[n][1]} for n in way["nodes"]]
    return {**response, "elements": elements}


def write_json(path: Path, doc: object) -> Path:
    """Write ``doc`` as JSON, bz2- or gzip-compressed when the name ends so."""
    payload = json.dumps(doc).encode()
    if path.name.endswith(".bz2"):
        payload = bz2.compress(payload)
    elif path.name.endswith(".gz"):
        payload = gzip.compress(payload)
    path.write_bytes(payload)
    return path


def assert_same_network(got: RoadNetwork, want: RoadNetwork) -> None:
    """Both modes have identical arrays, labels and build reports."""
    for mode in MODES:
        a, b = got.mode(mode), want.mode(mode)
        for name in ARRAY_FIELDS:
            assert np.array_equal(getattr(a, name), getattr(b, name)), f"{mode}.{name}"
        assert a.highway_labels == b.highway_labels
        assert a.name_labels == b.name_labels
        assert a.report == b.report
