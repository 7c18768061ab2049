"""The on-disk cache of normalised networks: one uncompressed ``.npz`` per network.

A cache file holds every array of both modes plus a JSON header with the labels, the build
reports and :data:`planner.roads.network.NORMALISE_VERSION`; a file from another version is
refused, so a changed normaliser never reuses a stale network. :func:`cache_key` names cache
files by content hashes and settings.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from planner.common import atomic_write_bytes
from planner.errors import InputError
from planner.roads.network import MODES, NORMALISE_VERSION, BuildReport, ModeNetwork, RoadNetwork


def cache_key(*parts: str) -> str:
    """Key of a cached network: content hashes and settings, plus ``NORMALISE_VERSION``."""
    h = hashlib.sha256(f"normalise-v{NORMALISE_VERSION}".encode())
    for part in parts:
        h.update(b"\0" + part.encode())
    return h.hexdigest()[:24]


_ARRAY_FIELDS = (
    "node_osmid",
    "node_x_m",
    "node_y_m",
    "edge_u",
    "edge_v",
    "edge_segment",
    "edge_reversed",
    "edge_length_m",
    "edge_speed_kph",
    "edge_travel_time_s",
    "edge_oneway",
    "edge_highway",
    "edge_way_id",
    "seg_start",
    "seg_end",
    "seg_main",
    "seg_fwd_edge",
    "seg_bwd_edge",
    "seg_name",
    "coord_x_m",
    "coord_y_m",
)


def write_network(net: RoadNetwork, path: str | Path) -> Path:
    """Save a normalised network as one uncompressed ``.npz`` (fast to load), atomically."""
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {
        "format": "planner-network",
        "version": NORMALISE_VERSION,
        "source": net.source,
        "boundary_wkt": net.boundary_wkt,
        "modes": {},
    }
    for m in MODES:
        mn = net.mode(m)
        for name in _ARRAY_FIELDS:
            arrays[f"{m}.{name}"] = getattr(mn, name)
        meta["modes"][m] = {
            "highway_labels": list(mn.highway_labels),
            "name_labels": list(mn.name_labels),
            "report": asdict(mn.report),
        }
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, allow_pickle=False, **arrays)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)


def read_network(path: str | Path) -> RoadNetwork:
    """Load a network saved by :func:`write_network`."""
    path = Path(path)
    if not path.exists():
        raise InputError("cached network not found", path=path)
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            if meta.get("format") != "planner-network" or meta.get("version") != NORMALISE_VERSION:
                raise InputError(
                    f"cached network has format version {meta.get('version')}, this planner "
                    f"needs {NORMALISE_VERSION}; delete it so it is rebuilt",
                    path=path,
                )
            modes = {}
            for m in MODES:
                info = meta["modes"][m]
                kwargs = {name: data[f"{m}.{name}"] for name in _ARRAY_FIELDS}
                modes[m] = ModeNetwork(
                    mode=m,
                    highway_labels=tuple(info["highway_labels"]),
                    name_labels=tuple(info["name_labels"]),
                    report=BuildReport(**info["report"]),
                    **kwargs,
                )
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"cannot read cached network ({type(exc).__name__}: {exc}); delete it so it is rebuilt",
            path=path,
        ) from exc
    return RoadNetwork(
        car=modes["car"],
        foot=modes["foot"],
        source=meta["source"],
        boundary_wkt=meta["boundary_wkt"],
    )
