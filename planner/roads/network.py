"""Normalised, routable road networks for car and foot patrols, and their on-disk cache.

A :class:`RoadNetwork` holds one :class:`ModeNetwork` per patrol mode. Both are built from the
same raw :class:`planner.roads.osm.OsmWays` by :func:`build_network`, which:

1. keeps the ways the mode may use (the filters below are modelled on osmnx's ``drive`` and
   ``walk`` network types);
2. applies one-way rules for cars (``oneway=yes|true|1|-1|reverse``, roundabouts and motorways
   are one-way unless tagged ``oneway=no``); foot ways are walkable both ways;
3. projects to British National Grid (EPSG:27700);
4. clips to a force boundary plus a buffer, when one is given;
5. splits ways into edges at every node shared by two ways (or used twice by one), keeping the
   other nodes as edge geometry. Unlike osmnx's simplification, a node where just two ways
   meet end to end stays a node, so this graph has more two-street nodes and shorter edges
   than osmnx's (routing is unaffected; graph statistics are not comparable across the two);
6. sets ``speed_kph`` and ``travel_time_s`` on every edge (UK speed rules: :func:`car_speed_kph`);
7. keeps the largest strongly connected component and reports what was dropped.

Arrays, not networkx objects, are the storage: they make matrices and the cache fast. Call
:meth:`ModeNetwork.to_networkx` for an osmnx-compatible ``MultiDiGraph``.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np
import pyproj
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from planner.common import atomic_write_bytes
from planner.errors import DownloadError, InputError, NetworkError
from planner.roads.osm import OsmWays, graph_to_ways, read_osm_file

log = logging.getLogger(__name__)

Mode = Literal["car", "foot"]
MODES: tuple[Mode, ...] = ("car", "foot")

#: British National Grid: every network and site is held in these metres.
CRS_BNG = "EPSG:27700"

#: Bump when the normalisation changes, so stale cache files are rebuilt, never reused.
NORMALISE_VERSION = 1

MPH_TO_KPH = 1.609344

# ----------------------------------------------------------------------------- speeds
#: Speed used where a car way has no usable ``maxspeed``, in mph, by ``highway`` class.
#: These are typical travel speeds for a patrol car in normal traffic, not legal limits: an
#: untagged rural primary road is usually 60 mph national limit but is driven nearer 45.
DEFAULT_SPEED_MPH: dict[str, float] = {
    "motorway": 65,
    "motorway_link": 40,
    "trunk": 55,
    "trunk_link": 35,
    "primary": 45,
    "primary_link": 30,
    "secondary": 40,
    "secondary_link": 30,
    "tertiary": 35,
    "tertiary_link": 25,
    "unclassified": 30,
    "residential": 25,
    "living_street": 10,
    "road": 25,
    "busway": 25,
    "service": 10,
}
#: Highest speed used on each class even when the posted limit is higher, in mph. A country lane
#: under the 60 mph national limit is not driven at 60.
CLASS_CAP_MPH: dict[str, float] = {
    "motorway": 70,
    "motorway_link": 50,
    "trunk": 70,
    "trunk_link": 50,
    "primary": 60,
    "primary_link": 40,
    "secondary": 50,
    "secondary_link": 40,
    "tertiary": 45,
    "tertiary_link": 35,
    "unclassified": 40,
    "residential": 30,
    "living_street": 15,
    "road": 40,
    "busway": 30,
    "service": 15,
}
FALLBACK_SPEED_MPH = 25.0
#: UK national speed limits in mph: single carriageway, dual carriageway, motorway.
NATIONAL_SINGLE_MPH = 60.0
NATIONAL_DUAL_MPH = 70.0
#: Walking speed of an officer on foot patrol, km/h (a brisk 3 mph).
WALK_SPEED_KPH = 4.8

# ----------------------------------------------------------------------------- filters
_CAR_HIGHWAYS = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "road",
    }
)
_FOOT_EXCLUDED_HIGHWAYS = frozenset(
    {
        "abandoned",
        "bus_guideway",
        "busway",
        "construction",
        "motor",
        "motorway",
        "motorway_link",
        "no",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "disused",
    }
)
_NO = frozenset({"no", "private"})
_YES = frozenset({"yes", "designated", "permissive", "destination"})
_ONEWAY_FWD = frozenset({"yes", "true", "1"})
_ONEWAY_BWD = frozenset({"-1", "reverse"})

_DIR_NONE, _DIR_FWD, _DIR_BWD, _DIR_BOTH = 0, 1, 2, 3


def car_allowed(tags: Mapping[str, str]) -> bool:
    """Whether a patrol car may use a way (osmnx ``drive``: public roads, no service roads)."""
    if tags.get("highway") not in _CAR_HIGHWAYS or tags.get("area") == "yes":
        return False
    if any(tags.get(k) == "no" for k in ("motor_vehicle", "motorcar", "vehicle")):
        return False
    if tags.get("access") in _NO:
        return any(tags.get(k) in _YES for k in ("motor_vehicle", "motorcar", "vehicle"))
    return True


def foot_allowed(tags: Mapping[str, str]) -> bool:
    """Whether an officer on foot may use a way (osmnx ``walk``, plus UK right of way on roads)."""
    highway = tags.get("highway")
    if highway is None or highway in _FOOT_EXCLUDED_HIGHWAYS or tags.get("area") == "yes":
        return False
    foot = tags.get("foot")
    if foot == "no":
        return False
    if highway == "cycleway" and foot not in _YES:
        return False
    if tags.get("access") in _NO or tags.get("service") == "private":
        return foot in _YES
    return True


def car_direction(tags: Mapping[str, str]) -> int:
    """Direction code of a car way: 1 forward only, 2 backward only, 3 both."""
    oneway = tags.get("oneway", "").strip().lower()
    if oneway in _ONEWAY_FWD:
        return _DIR_FWD
    if oneway in _ONEWAY_BWD:
        return _DIR_BWD
    if oneway == "no":
        return _DIR_BOTH
    if tags.get("junction") in {"roundabout", "circular"} or tags.get("highway") == "motorway":
        return _DIR_FWD
    return _DIR_BOTH


_SPEED_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")


def parse_maxspeed_mph(value: str | None, *, dual: bool = False) -> float | None:
    """Parse an OSM ``maxspeed`` value into mph, or ``None`` if it gives no usable number.

    UK values are ``"30 mph"``; ``"national"``, ``"GB:national"``, ``"GB:nsl_single"`` give
    60 mph (70 on a dual carriageway), ``"GB:nsl_dual"`` and ``"GB:motorway"`` 70 mph. A bare
    number is km/h, as OSM defines it. Several values separated by ``;`` give the lowest.
    """
    if value is None:
        return None
    speeds = []
    for part in str(value).split(";"):
        p = part.strip().lower()
        if p in {"national", "gb:national", "uk:national", "gb:nsl_single", "uk:nsl_single"}:
            speeds.append(NATIONAL_DUAL_MPH if dual else NATIONAL_SINGLE_MPH)
        elif p in {"gb:nsl_dual", "uk:nsl_dual", "gb:motorway", "uk:motorway", "none"}:
            speeds.append(NATIONAL_DUAL_MPH)
        elif p == "walk":
            speeds.append(WALK_SPEED_KPH / MPH_TO_KPH)
        else:
            m = _SPEED_RE.match(p)
            if m and float(m.group(1)) > 0:
                number = float(m.group(1))
                speeds.append(number if m.group(2) == "mph" else number / MPH_TO_KPH)
    return min(speeds) if speeds else None


def car_speed_kph(tags: Mapping[str, str]) -> float:
    """Travel speed of a patrol car on a way, km/h.

    The posted ``maxspeed`` (mph) where tagged, else :data:`DEFAULT_SPEED_MPH` for the class; in
    both cases no more than :data:`CLASS_CAP_MPH` for the class.
    """
    highway = tags.get("highway", "")
    dual = car_direction(tags) != _DIR_BOTH and highway in {"trunk", "primary", "motorway"}
    limit = parse_maxspeed_mph(tags.get("maxspeed"), dual=dual)
    speed = limit if limit is not None else DEFAULT_SPEED_MPH.get(highway, FALLBACK_SPEED_MPH)
    cap = CLASS_CAP_MPH.get(highway, NATIONAL_DUAL_MPH)
    return min(speed, cap) * MPH_TO_KPH


# ----------------------------------------------------------------------------- objects


@dataclass(frozen=True)
class BuildReport:
    """What normalising one mode kept and dropped.

    Attributes
    ----------
    mode
        ``"car"`` or ``"foot"``.
    ways_read, ways_used
        Ways in the source, and ways the mode may use.
    clipped_points
        Way points (nodes along the ways) outside the force boundary plus buffer, removed.
    components
        Strongly connected components before keeping the largest.
    nodes, edges
        Kept in the largest strongly connected component.
    dropped_nodes, dropped_edges
        Removed with the smaller components.
    """

    mode: str
    ways_read: int
    ways_used: int
    clipped_points: int
    components: int
    nodes: int
    edges: int
    dropped_nodes: int
    dropped_edges: int

    def summary(self) -> str:
        """One line for logs and the CLI."""
        return (
            f"{self.mode}: {self.nodes:,} nodes, {self.edges:,} edges from {self.ways_used:,} of "
            f"{self.ways_read:,} ways; largest of {self.components:,} strongly connected "
            f"components kept, {self.dropped_nodes:,} nodes and {self.dropped_edges:,} edges "
            "dropped"
            + (
                f"; {self.clipped_points:,} way points outside the boundary removed"
                if self.clipped_points
                else ""
            )
        )


@dataclass(frozen=True, eq=False)
class ModeNetwork:
    """A routable directed network for one patrol mode, in EPSG:27700 metres.

    Nodes are indexed ``0..n_nodes-1``. Edges are directed ``edge_u -> edge_v``. Each edge
    follows a *segment* (a piece of road between junctions, with its geometry); a two-way road
    has one segment and two edges. Segments cut off from the main network are kept (with
    ``seg_main`` False) so that snapping can tell "isolated road" from "no road".
    """

    mode: Mode
    node_osmid: np.ndarray
    node_x_m: np.ndarray
    node_y_m: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_segment: np.ndarray
    edge_reversed: np.ndarray
    edge_length_m: np.ndarray
    edge_speed_kph: np.ndarray
    edge_travel_time_s: np.ndarray
    edge_oneway: np.ndarray
    edge_highway: np.ndarray
    edge_way_id: np.ndarray
    seg_start: np.ndarray
    seg_end: np.ndarray
    seg_main: np.ndarray
    seg_fwd_edge: np.ndarray
    seg_bwd_edge: np.ndarray
    seg_name: np.ndarray
    coord_x_m: np.ndarray
    coord_y_m: np.ndarray
    highway_labels: tuple[str, ...]
    name_labels: tuple[str, ...]
    report: BuildReport
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_x_m)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return len(self.edge_u)

    def csr(
        self, weight: Literal["travel_time_s", "length_m"] = "travel_time_s"
    ) -> sparse.csr_array:
        """Sparse adjacency matrix with the cheapest parallel edge's weight, for csgraph."""
        key = f"csr_{weight}"
        if key not in self._cache:
            w = self.edge_travel_time_s if weight == "travel_time_s" else self.edge_length_m
            self._cache[key] = adjacency_csr(self.edge_u, self.edge_v, w, self.n_nodes)
        return self._cache[key]

    def segment_coords(self, seg: int) -> np.ndarray:
        """``(k, 2)`` coordinates of a segment in its stored (forward) direction."""
        s, e = int(self.seg_start[seg]), int(self.seg_end[seg])
        return np.column_stack([self.coord_x_m[s : e + 1], self.coord_y_m[s : e + 1]])

    def edge_coords(self, edge: int) -> np.ndarray:
        """``(k, 2)`` coordinates of a directed edge from ``edge_u`` to ``edge_v``."""
        xy = self.segment_coords(int(self.edge_segment[edge]))
        return xy[::-1] if self.edge_reversed[edge] else xy

    def segment_lines(self) -> np.ndarray:
        """Every segment as a shapely LineString (cached), indexed by segment."""
        if "lines" not in self._cache:
            counts = (self.seg_end - self.seg_start + 1).astype(np.int64)
            pos = (
                np.concatenate(
                    [np.arange(s, e + 1) for s, e in zip(self.seg_start, self.seg_end, strict=True)]
                )
                if len(counts)
                else np.empty(0, np.int64)
            )
            coords = np.column_stack([self.coord_x_m[pos], self.coord_y_m[pos]])
            self._cache["lines"] = shapely.linestrings(
                coords, indices=np.repeat(np.arange(len(counts)), counts)
            )
        return self._cache["lines"]

    def bounds_m(self) -> tuple[float, float, float, float]:
        """``(minx, miny, maxx, maxy)`` of the nodes in EPSG:27700 metres."""
        return (
            float(self.node_x_m.min()),
            float(self.node_y_m.min()),
            float(self.node_x_m.max()),
            float(self.node_y_m.max()),
        )

    def to_networkx(self, *, geometry: bool = False) -> nx.MultiDiGraph:
        """An osmnx-compatible projected ``MultiDiGraph`` (for osmnx stats and interop).

        Parameters
        ----------
        geometry
            Attach a shapely ``LineString`` to every edge (slower, more memory).
        """
        g = nx.MultiDiGraph(crs=CRS_BNG, simplified=True, mode=self.mode)
        g.add_nodes_from(
            (i, {"x": float(x), "y": float(y), "osmid": int(o)})
            for i, (x, y, o) in enumerate(
                zip(self.node_x_m, self.node_y_m, self.node_osmid, strict=True)
            )
        )
        lines = self.segment_lines() if geometry else None
        for e in range(self.n_edges):
            attrs: dict[str, Any] = {
                "osmid": int(self.edge_way_id[e]),
                "highway": self.highway_labels[self.edge_highway[e]],
                "oneway": bool(self.edge_oneway[e]),
                "reversed": bool(self.edge_reversed[e]),
                "length": float(self.edge_length_m[e]),
                "speed_kph": float(self.edge_speed_kph[e]),
                "travel_time": float(self.edge_travel_time_s[e]),
            }
            name = self.name_labels[self.seg_name[self.edge_segment[e]]]
            if name:
                attrs["name"] = name
            if lines is not None:
                line = lines[self.edge_segment[e]]
                attrs["geometry"] = shapely.reverse(line) if self.edge_reversed[e] else line
            g.add_edge(int(self.edge_u[e]), int(self.edge_v[e]), **attrs)
        import osmnx as ox  # only for its street count, which its stats functions expect

        nx.set_node_attributes(g, ox.stats.count_streets_per_node(g), name="street_count")
        return g


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """Car and foot networks of one area, in EPSG:27700.

    Attributes
    ----------
    car, foot
        The network of each patrol mode.
    source
        Where the roads came from (a file path, a place name...).
    boundary_wkt
        The clipping polygon (boundary plus buffer) in EPSG:27700, if any.
    """

    car: ModeNetwork
    foot: ModeNetwork
    source: str
    boundary_wkt: str | None = None

    crs = CRS_BNG

    def mode(self, mode: str) -> ModeNetwork:
        """The network for ``"car"`` or ``"foot"``."""
        if mode == "car":
            return self.car
        if mode == "foot":
            return self.foot
        raise InputError(f"unknown patrol mode {mode!r}; use 'car' or 'foot'", field="mode")

    def summary(self) -> str:
        """Human-readable report of both modes."""
        return "\n".join(
            [
                f"network from {self.source} ({CRS_BNG})",
                self.car.report.summary(),
                self.foot.report.summary(),
            ]
        )


# ----------------------------------------------------------------------------- building


def adjacency_csr(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> sparse.csr_array:
    """CSR matrix of the minimum weight per ``(u, v)``; csgraph would *sum* duplicates."""
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    keep = first & (u != v)
    # csgraph treats explicit zeros as missing edges: keep zero-length edges routable.
    weights = np.maximum(w[keep], 1e-6)
    return sparse.csr_array((weights, (u[keep], v[keep])), shape=(n, n))


_TO_BNG = pyproj.Transformer.from_crs(4326, 27700, always_xy=True)


def _way_attributes(
    ways: OsmWays, mode: Mode
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    n = ways.n_ways
    direction = np.zeros(n, dtype=np.int8)
    speed = np.zeros(n, dtype=np.float64)
    highway = []
    for i, tags in enumerate(ways.way_tags):
        highway.append(tags.get("highway", ""))
        if mode == "car":
            if car_allowed(tags):
                direction[i] = car_direction(tags)
                speed[i] = car_speed_kph(tags)
        elif foot_allowed(tags):
            direction[i] = _DIR_BOTH
            speed[i] = WALK_SPEED_KPH
    names = [t.get("name", t.get("ref", "")) for t in ways.way_tags]
    return direction, speed, np.asarray(highway, dtype=object), names


def build_mode(
    ways: OsmWays, mode: Mode, clip_polygon_m: shapely.Geometry | None = None
) -> ModeNetwork:
    """Normalise raw ways into the network of one patrol mode (see the module docstring).

    Raises
    ------
    NetworkError
        If no way is usable by ``mode`` or nothing is left after clipping.
    """
    direction, speed_kph, highway, names = _way_attributes(ways, mode)
    use = direction > 0
    if not use.any():
        raise NetworkError(
            f"{ways.source}: no road usable by {mode} patrols; check the extract covers the force area"
        )
    lengths = np.diff(ways.way_offsets)
    pos_way = np.repeat(np.arange(ways.n_ways), lengths)
    node_idx = np.searchsorted(ways.node_id, ways.way_refs)
    keep = use[pos_way]
    pos_way, node_idx = pos_way[keep], node_idx[keep]
    x, y = _TO_BNG.transform(ways.lon[node_idx], ways.lat[node_idx])
    x, y = np.asarray(x), np.asarray(y)

    inside = np.ones(len(node_idx), dtype=bool)
    if clip_polygon_m is not None:
        inside = shapely.contains_xy(clip_polygon_m, x, y)
    # Runs: maximal stretches of one way whose nodes are all inside the clip area.
    new_way = np.ones(len(pos_way), dtype=bool)
    new_way[1:] = pos_way[1:] != pos_way[:-1]
    prev_inside = np.concatenate([[False], inside[:-1]])
    run_start = inside & (new_way | ~prev_inside)
    pos_way, node_idx, x, y = pos_way[inside], node_idx[inside], x[inside], y[inside]
    run_start = run_start[inside]
    run_id = np.cumsum(run_start) - 1
    run_end = np.ones(len(run_id), dtype=bool)
    run_end[:-1] = run_id[1:] != run_id[:-1]

    # Junctions: a node used more than once (two ways, or twice by one way), or a run end.
    uses = np.bincount(node_idx, minlength=ways.n_nodes)
    split = (uses[node_idx] > 1) | run_start | run_end
    split_pos = np.flatnonzero(split)
    same_run = run_id[split_pos[1:]] == run_id[split_pos[:-1]]
    seg_start = split_pos[:-1][same_run]
    seg_end = split_pos[1:][same_run]
    step = np.zeros(len(x))
    if len(x) > 1:
        step[1:] = np.hypot(np.diff(x), np.diff(y))
    cum = np.cumsum(step)
    seg_length = cum[seg_end] - cum[seg_start]
    seg_way = pos_way[seg_start]
    clipped_points = int((~inside).sum())

    if len(seg_start) == 0:
        raise NetworkError(
            f"{ways.source}: no {mode} road left inside the boundary; is the boundary for this area?"
        )

    seg_dir = direction[seg_way]
    fwd = (seg_dir & _DIR_FWD) > 0
    bwd = (seg_dir & _DIR_BWD) > 0
    oneway = seg_dir != _DIR_BOTH
    s_idx = np.arange(len(seg_start))
    e_seg = np.concatenate([s_idx[fwd], s_idx[bwd]])
    e_rev = np.concatenate([np.zeros(fwd.sum(), bool), np.ones(bwd.sum(), bool)])
    a, b = node_idx[seg_start], node_idx[seg_end]
    e_u_raw = np.where(e_rev, b[e_seg], a[e_seg])
    e_v_raw = np.where(e_rev, a[e_seg], b[e_seg])

    # Compact node ids, then keep the largest strongly connected component.
    used_nodes, inv = np.unique(np.concatenate([e_u_raw, e_v_raw]), return_inverse=True)
    n_all = len(used_nodes)
    e_u_all, e_v_all = inv[: len(e_seg)], inv[len(e_seg) :]
    graph = sparse.csr_array((np.ones(len(e_u_all)), (e_u_all, e_v_all)), shape=(n_all, n_all))
    n_comp, labels = csgraph.connected_components(graph, directed=True, connection="strong")
    main = np.argmax(np.bincount(labels))
    node_main = labels == main
    edge_main = node_main[e_u_all] & node_main[e_v_all]
    seg_main = np.zeros(len(seg_start), bool)
    seg_main[e_seg[edge_main]] = True

    # Number nodes along a space-filling curve: neighbours in space sit near each other in
    # memory, which makes shortest-path searches markedly faster on large networks.
    main_ids = np.flatnonzero(node_main)
    node_x_all = _node_coord(used_nodes, node_idx, x)
    node_y_all = _node_coord(used_nodes, node_idx, y)
    main_ids = main_ids[
        np.argsort(morton_code(node_x_all[main_ids], node_y_all[main_ids]), kind="stable")
    ]
    new_index = np.full(n_all, -1, dtype=np.int64)
    new_index[main_ids] = np.arange(len(main_ids))
    e_seg_m, e_rev_m = e_seg[edge_main], e_rev[edge_main]
    e_u = new_index[e_u_all[edge_main]].astype(np.int32)
    e_v = new_index[e_v_all[edge_main]].astype(np.int32)
    kept_nodes = used_nodes[main_ids]

    seg_fwd_edge = np.full(len(seg_start), -1, dtype=np.int64)
    seg_bwd_edge = np.full(len(seg_start), -1, dtype=np.int64)
    eidx = np.arange(len(e_seg_m))
    seg_fwd_edge[e_seg_m[~e_rev_m]] = eidx[~e_rev_m]
    seg_bwd_edge[e_seg_m[e_rev_m]] = eidx[e_rev_m]

    highway_labels, highway_codes = np.unique(
        highway[seg_way[e_seg_m]].astype(str), return_inverse=True
    )
    seg_names = np.asarray([names[w] for w in seg_way.tolist()], dtype=object)
    name_labels, name_codes = np.unique(seg_names.astype(str), return_inverse=True)
    edge_speed = speed_kph[seg_way[e_seg_m]]
    edge_length = seg_length[e_seg_m]

    n_dropped = int(n_all - node_main.sum())
    report = BuildReport(
        mode=mode,
        ways_read=ways.n_ways,
        ways_used=int(use.sum()),
        clipped_points=clipped_points,
        components=int(n_comp),
        nodes=int(node_main.sum()),
        edges=int(edge_main.sum()),
        dropped_nodes=n_dropped,
        dropped_edges=int((~edge_main).sum()),
    )
    if report.nodes < 2:
        raise NetworkError(f"{ways.source}: the {mode} network has no connected roads")
    log.info("%s", report.summary())
    return ModeNetwork(
        mode=mode,
        node_osmid=ways.node_id[kept_nodes],
        node_x_m=node_x_all[main_ids],
        node_y_m=node_y_all[main_ids],
        edge_u=e_u,
        edge_v=e_v,
        edge_segment=e_seg_m.astype(np.int64),
        edge_reversed=e_rev_m,
        edge_length_m=edge_length,
        edge_speed_kph=edge_speed,
        edge_travel_time_s=edge_length / (edge_speed / 3.6),
        edge_oneway=oneway[e_seg_m],
        edge_highway=highway_codes.astype(np.int16),
        edge_way_id=ways.way_id[seg_way[e_seg_m]],
        seg_start=seg_start.astype(np.int64),
        seg_end=seg_end.astype(np.int64),
        seg_main=seg_main,
        seg_fwd_edge=seg_fwd_edge,
        seg_bwd_edge=seg_bwd_edge,
        seg_name=name_codes.astype(np.int32),
        coord_x_m=x,
        coord_y_m=y,
        highway_labels=tuple(highway_labels.tolist()),
        name_labels=tuple(name_labels.tolist()),
        report=report,
    )


def morton_code(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Z-order (Morton) code of points, quantised to a 65,536 x 65,536 grid over their extent."""
    if len(x) == 0:
        return np.empty(0, dtype=np.uint64)

    def spread(v: np.ndarray) -> np.ndarray:
        v = v.astype(np.uint64)
        v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
        v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
        return (v | (v << np.uint64(1))) & np.uint64(0x55555555)

    span = max(float(np.ptp(x)), float(np.ptp(y)), 1.0)
    qx = ((x - x.min()) / span * 65535).astype(np.uint64)
    qy = ((y - y.min()) / span * 65535).astype(np.uint64)
    return spread(qx) | (spread(qy) << np.uint64(1))


def _node_coord(kept_nodes: np.ndarray, node_idx: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Coordinate of each kept node, read from any position where it occurs."""
    lookup = np.empty(int(node_idx.max()) + 1)
    lookup[node_idx] = values
    return lookup[kept_nodes]


def build_network(
    ways: OsmWays,
    *,
    boundary_m: shapely.Geometry | None = None,
    buffer_m: float = 500.0,
) -> RoadNetwork:
    """Normalise raw ways into car and foot networks.

    Parameters
    ----------
    ways
        Raw roads from :mod:`planner.roads.osm`.
    boundary_m
        Force area polygon in EPSG:27700; the network is clipped to it plus ``buffer_m``.
    buffer_m
        Margin kept around the boundary, metres, so routes may leave the area briefly.
    """
    clip = None
    if boundary_m is not None:
        clip = shapely.buffer(boundary_m, buffer_m)
        shapely.prepare(clip)
    car = build_mode(ways, "car", clip)
    foot = build_mode(ways, "foot", clip)
    return RoadNetwork(
        car=car, foot=foot, source=ways.source, boundary_wkt=clip.wkt if clip is not None else None
    )


# ----------------------------------------------------------------------------- boundaries


def read_boundary(
    path: str | Path, *, name: str | None = None, name_field: str | None = None
) -> shapely.Geometry:
    """Read a boundary polygon (GeoJSON, GeoPackage, shapefile) and return it in EPSG:27700.

    Parameters
    ----------
    path
        The boundary file, e.g. ONS police force areas.
    name
        Pick the feature whose ``name_field`` equals this (e.g. ``"Leicestershire"``); if
        omitted the file must hold one feature, or all features are merged.
    name_field
        Column holding names; found automatically (``PFA23NM``, ``name``...) if omitted.
    """
    import geopandas as gpd

    path = Path(path)
    if not path.exists():
        raise InputError("boundary file not found; check the path", path=path)
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:
        raise InputError(f"cannot read as a boundary file ({exc})", path=path) from exc
    if gdf.empty:
        raise InputError("boundary file holds no features", path=path)
    if gdf.crs is None:
        raise InputError(
            "boundary file has no CRS; save it with one (EPSG:4326 or EPSG:27700)", path=path
        )
    if name is not None:
        field_name = name_field or next(
            (c for c in gdf.columns if c.upper().endswith("NM") or c.lower() == "name"), None
        )
        if field_name is None or field_name not in gdf.columns:
            raise InputError(
                f"no name column to pick {name!r} from; set name_field", path=path, field=name_field
            )
        picked = gdf[gdf[field_name] == name]
        if picked.empty:
            choices = ", ".join(sorted(map(str, gdf[field_name].unique()))[:50])
            raise InputError(
                f"no feature named {name!r}; names are: {choices}", path=path, field=field_name
            )
        gdf = picked
    check_crs_plausible(*gdf.total_bounds, crs=gdf.crs, what="boundary", path=path)
    geom = gdf.to_crs(CRS_BNG).geometry.union_all()
    if not isinstance(geom, shapely.Polygon | shapely.MultiPolygon):
        raise InputError(f"boundary must be polygons, got {geom.geom_type}", path=path)
    return shapely.make_valid(geom)


def check_crs_plausible(
    minx: float,
    miny: float,
    maxx: float,
    maxy: float,
    *,
    crs: Any,
    what: str,
    path: str | Path | None = None,
) -> None:
    """Reject coordinates that cannot be in Great Britain in the declared CRS.

    Catches the two common mix-ups: eastings/northings declared as WGS84, and lon/lat declared
    as British National Grid.
    """
    epsg = pyproj.CRS.from_user_input(crs).to_epsg()
    if epsg == 4326:
        if not (minx >= -9.0 and maxx <= 2.5 and miny >= 49.0 and maxy <= 61.5):
            hint = (
                " They look like British National Grid metres: declare EPSG:27700."
                if maxx > 1000
                else ""
            )
            raise InputError(
                f"{what} coordinates ({minx:.4g}, {miny:.4g})-({maxx:.4g}, {maxy:.4g}) are not "
                f"longitude/latitude in Great Britain.{hint}",
                path=path,
            )
    elif epsg == 27700:
        if not (minx >= -1e5 and maxx <= 8e5 and miny >= -1e5 and maxy <= 1.3e6) or (
            maxx - minx < 0.5 and maxx < 180
        ):
            hint = (
                " They look like longitude/latitude: declare EPSG:4326."
                if abs(maxx) <= 180 and abs(maxy) <= 90
                else ""
            )
            raise InputError(
                f"{what} coordinates ({minx:.4g}, {miny:.4g})-({maxx:.4g}, {maxy:.4g}) are not "
                f"British National Grid metres.{hint}",
                path=path,
            )
        if abs(maxx) <= 180 and abs(maxy) <= 90:
            raise InputError(
                f"{what} coordinates ({minx:.4g}, {miny:.4g})-({maxx:.4g}, {maxy:.4g}) are degrees, "
                "not British National Grid metres: declare EPSG:4326",
                path=path,
            )


# ----------------------------------------------------------------------------- sources & cache

_OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".xml", ".osm.xml")


def read_ways(path: str | Path) -> OsmWays:
    """Read raw ways from a file, choosing the reader by extension (PBF, OSM XML, GraphML)."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith(".graphml"):
        return _read_graphml(path)
    if name.endswith(_OSM_SUFFIXES):
        return read_osm_file(path)
    raise InputError(
        "unknown road network format; use an OpenStreetMap extract (.osm.pbf, .osm, .osm.bz2), "
        "an osmnx GraphML file (.graphml) or a cached network (.npz)",
        path=path,
    )


def _read_graphml(path: Path) -> OsmWays:
    import osmnx as ox

    if not path.exists():
        raise InputError("file not found; check the path", path=path)
    try:
        graph = ox.load_graphml(path)
    except Exception as exc:
        raise InputError(
            f"cannot read as osmnx GraphML ({type(exc).__name__}: {exc}); save it again with ox.save_graphml",
            path=path,
        ) from exc
    return graph_to_ways(graph, str(path))


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cache_key(*parts: str) -> str:
    """Key of a cached network: content hashes and settings, plus :data:`NORMALISE_VERSION`."""
    h = hashlib.sha256(f"normalise-v{NORMALISE_VERSION}".encode())
    for part in parts:
        h.update(b"\0" + part.encode())
    return h.hexdigest()[:24]


def load_network(
    source: str | Path,
    *,
    boundary_m: shapely.Geometry | None = None,
    buffer_m: float = 500.0,
    cache_dir: str | Path | None = None,
) -> RoadNetwork:
    """Load a road network from a file, through the cache when ``cache_dir`` is given.

    Parameters
    ----------
    source
        ``.osm.pbf``, ``.osm``, ``.osm.bz2``, ``.graphml``, or a saved network ``.npz``.
    boundary_m, buffer_m
        Optional clipping, as in :func:`build_network`.
    cache_dir
        Folder for normalised networks; a second load of the same file with the same settings
        reads the cache instead of parsing again.
    """
    path = Path(source)
    if path.name.lower().endswith(".npz"):
        return read_network(path)
    if not path.exists():
        raise InputError("road network file not found; check the path", path=path)
    cache_file = None
    if cache_dir is not None:
        boundary_part = shapely.to_wkb(boundary_m).hex() if boundary_m is not None else ""
        key = cache_key(_file_digest(path), boundary_part, f"{buffer_m:.3f}")
        cache_file = Path(cache_dir) / f"{path.name.split('.')[0]}-{key}.npz"
        if cache_file.exists():
            try:
                log.info("reading cached network %s", cache_file)
                return read_network(cache_file)
            except InputError as exc:
                log.warning("ignoring unreadable cache %s: %s", cache_file, exc)
    net = build_network(read_ways(path), boundary_m=boundary_m, buffer_m=buffer_m)
    if cache_file is not None:
        write_network(net, cache_file)
    return net


def download_network(
    *,
    place: str | None = None,
    polygon_wgs84: shapely.Geometry | None = None,
    cache_dir: str | Path,
    buffer_m: float = 500.0,
) -> RoadNetwork:
    """Download the roads of a place or polygon with osmnx (Overpass), normalised and cached.

    The first call queries Nominatim (for a place name) and Overpass through osmnx, with
    osmnx's own HTTP cache in ``cache_dir/osmnx``; the normalised network is then saved in
    ``cache_dir``, so a second call needs no network access at all.

    Parameters
    ----------
    place
        A place name Nominatim knows, e.g. ``"Rutland, England"``.
    polygon_wgs84
        Or a boundary in EPSG:4326, e.g. a police force area.
    cache_dir
        Where both caches live.
    buffer_m
        Margin around the boundary, metres.
    """
    import osmnx as ox

    if (place is None) == (polygon_wgs84 is None):
        raise InputError("give exactly one of a place name or a boundary polygon", field="place")
    cache_dir = Path(cache_dir)
    what = place if place is not None else shapely.to_wkb(polygon_wgs84).hex()
    key = cache_key("download", what, f"{buffer_m:.3f}")
    cache_file = cache_dir / f"download-{key}.npz"
    if cache_file.exists():
        log.info("reading cached download %s", cache_file)
        return read_network(cache_file)

    ox.settings.use_cache = True
    ox.settings.cache_folder = str(cache_dir / "osmnx")
    try:
        if place is not None:
            polygon_wgs84 = ox.geocode_to_gdf(place).geometry.union_all()
        boundary_m = shapely.transform(polygon_wgs84, _TO_BNG.transform, interleaved=False)
        to_wgs = pyproj.Transformer.from_crs(27700, 4326, always_xy=True)
        query_area = shapely.transform(
            shapely.buffer(boundary_m, buffer_m), to_wgs.transform, interleaved=False
        )
        # osmnx's public graph builders drop the tags we need (foot, motor_vehicle...), so ask
        # its Overpass client for raw highway ways and normalise them like a file extract.
        from osmnx import _overpass

        responses = list(_overpass._download_overpass_network(query_area, "all", ['["highway"]']))
    except (ConnectionError, OSError) as exc:
        raise DownloadError(
            f"cannot download roads for {place or 'the boundary'} ({exc}); connect to the "
            "internet once, or use a Geofabrik .osm.pbf extract instead"
        ) from exc
    except Exception as exc:  # osmnx raises its own errors for Nominatim/Overpass failures
        if type(exc).__module__.startswith(("osmnx", "requests")):
            raise DownloadError(
                f"osmnx download failed for {place or 'the boundary'}: {exc}"
            ) from exc
        raise
    from planner.roads.osm import overpass_json_to_ways

    ways = overpass_json_to_ways(responses, source=f"osmnx download: {place or 'boundary polygon'}")
    net = build_network(ways, boundary_m=boundary_m, buffer_m=buffer_m)
    write_network(net, cache_file)
    return net


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


def mode_names(modes: Sequence[str]) -> tuple[Mode, ...]:
    """Validate a list of mode names."""
    out: list[Mode] = []
    for m in modes:
        if m not in MODES:
            raise InputError(f"unknown patrol mode {m!r}; use 'car' or 'foot'", field="mode")
        out.append("car" if m == "car" else "foot")
    return tuple(out)
