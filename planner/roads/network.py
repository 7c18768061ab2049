"""Normalised, routable road networks for car and foot patrols.

A :class:`RoadNetwork` holds one :class:`ModeNetwork` per patrol mode. Both are built from the
same raw :class:`planner.roads.osm.OsmWays` by :func:`build_network`, which:

1. keeps the ways the mode may use (:mod:`planner.roads.rules`: the filters are modelled on
   osmnx's ``drive`` and ``walk`` network types);
2. applies one-way rules for cars (``oneway=yes|true|1|-1|reverse``, roundabouts and motorways
   are one-way unless tagged ``oneway=no``); foot ways are walkable both ways;
3. projects to British National Grid (EPSG:27700);
4. clips to a force boundary plus a buffer, when one is given (:func:`read_boundary`);
5. splits ways into edges at every node shared by two ways (or used twice by one), keeping the
   other nodes as edge geometry. Unlike osmnx's simplification, a node where just two ways
   meet end to end stays a node, so this graph has more two-street nodes and shorter edges
   than osmnx's (routing is unaffected; graph statistics are not comparable across the two);
6. sets ``speed_kph`` and ``travel_time_s`` on every edge (UK speed rules:
   :func:`planner.roads.rules.car_speed_kph`);
7. keeps the largest strongly connected component and reports what was dropped.

Arrays, not networkx objects, are the storage: they make matrices and the cache fast. Call
:meth:`ModeNetwork.to_networkx` for an osmnx-compatible ``MultiDiGraph``. Road files and
downloads are read by :mod:`planner.roads.sources`; normalised networks are saved and loaded
by :mod:`planner.roads.cache`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np
import pyproj
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from planner.common import BNG, DEFAULT_BUFFER_M, WGS84, to_bng
from planner.errors import InputError, NetworkError
from planner.roads.osm import OsmWays
from planner.roads.rules import (
    DIR_BOTH,
    DIR_BWD,
    DIR_FWD,
    WALK_SPEED_KPH,
    car_allowed,
    car_direction,
    car_speed_kph,
    foot_allowed,
)

log = logging.getLogger(__name__)

Mode = Literal["car", "foot"]
MODES: tuple[Mode, ...] = ("car", "foot")

#: British National Grid: every network and site is held in these metres.
CRS_BNG = f"EPSG:{BNG}"

#: Bump when the normalisation changes, so stale cache files are rebuilt, never reused.
NORMALISE_VERSION = 1


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
            direction[i] = DIR_BOTH
            speed[i] = WALK_SPEED_KPH
    names = [t.get("name", t.get("ref", "")) for t in ways.way_tags]
    return direction, speed, np.asarray(highway, dtype=object), names


@dataclass(frozen=True)
class _Points:
    """The way points a mode keeps (inside the clip area), in way order, in EPSG:27700.

    A *run* is a maximal stretch of one way whose points are all inside the clip area.
    """

    way: np.ndarray  # way index of each point
    node: np.ndarray  # node index (into ``ways.node_id``)
    x: np.ndarray
    y: np.ndarray
    run_id: np.ndarray
    run_start: np.ndarray
    run_end: np.ndarray
    clipped: int  # points of usable ways outside the clip area, removed


@dataclass(frozen=True)
class _Segments:
    """Pieces of road between junctions, as ranges of :class:`_Points`."""

    start: np.ndarray  # index of the first point
    end: np.ndarray  # index of the last point
    length_m: np.ndarray
    way: np.ndarray


@dataclass(frozen=True)
class _MainGraph:
    """Directed edges over segments, and the largest strongly connected component of them."""

    seg: np.ndarray  # segment of each edge
    rev: np.ndarray  # the edge runs against its segment's stored direction
    main: np.ndarray  # the edge is in the largest strongly connected component
    u: np.ndarray  # main edges only, as new node indices
    v: np.ndarray
    nodes: np.ndarray  # node indices (into ``ways.node_id``) of the kept nodes, in new order
    node_x: np.ndarray
    node_y: np.ndarray
    n_nodes_all: int  # nodes of every component
    n_nodes_main: int
    components: int


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
    pts = _points(ways, use, clip_polygon_m)
    seg = _segments(pts, ways.n_nodes)
    if len(seg.start) == 0:
        raise NetworkError(
            f"{ways.source}: no {mode} road left inside the boundary; is the boundary for this area?"
        )
    g = _main_graph(pts, seg, direction)
    report = BuildReport(
        mode=mode,
        ways_read=ways.n_ways,
        ways_used=int(use.sum()),
        clipped_points=pts.clipped,
        components=g.components,
        nodes=g.n_nodes_main,
        edges=int(g.main.sum()),
        dropped_nodes=int(g.n_nodes_all - g.n_nodes_main),
        dropped_edges=int((~g.main).sum()),
    )
    if report.nodes < 2:
        raise NetworkError(f"{ways.source}: the {mode} network has no connected roads")
    log.info("%s", report.summary())
    e_seg_m, e_rev_m = g.seg[g.main], g.rev[g.main]
    seg_fwd_edge = np.full(len(seg.start), -1, dtype=np.int64)
    seg_bwd_edge = np.full(len(seg.start), -1, dtype=np.int64)
    eidx = np.arange(len(e_seg_m))
    seg_fwd_edge[e_seg_m[~e_rev_m]] = eidx[~e_rev_m]
    seg_bwd_edge[e_seg_m[e_rev_m]] = eidx[e_rev_m]
    seg_main = np.zeros(len(seg.start), bool)
    seg_main[e_seg_m] = True
    highway_labels, highway_codes = np.unique(
        highway[seg.way[e_seg_m]].astype(str), return_inverse=True
    )
    seg_names = np.asarray([names[w] for w in seg.way.tolist()], dtype=object)
    name_labels, name_codes = np.unique(seg_names.astype(str), return_inverse=True)
    edge_speed = speed_kph[seg.way[e_seg_m]]
    edge_length = seg.length_m[e_seg_m]
    return ModeNetwork(
        mode=mode,
        node_osmid=ways.node_id[g.nodes],
        node_x_m=g.node_x,
        node_y_m=g.node_y,
        edge_u=g.u,
        edge_v=g.v,
        edge_segment=e_seg_m.astype(np.int64),
        edge_reversed=e_rev_m,
        edge_length_m=edge_length,
        edge_speed_kph=edge_speed,
        edge_travel_time_s=edge_length / (edge_speed / 3.6),
        edge_oneway=(direction[seg.way] != DIR_BOTH)[e_seg_m],
        edge_highway=highway_codes.astype(np.int16),
        edge_way_id=ways.way_id[seg.way[e_seg_m]],
        seg_start=seg.start.astype(np.int64),
        seg_end=seg.end.astype(np.int64),
        seg_main=seg_main,
        seg_fwd_edge=seg_fwd_edge,
        seg_bwd_edge=seg_bwd_edge,
        seg_name=name_codes.astype(np.int32),
        coord_x_m=pts.x,
        coord_y_m=pts.y,
        highway_labels=tuple(highway_labels.tolist()),
        name_labels=tuple(name_labels.tolist()),
        report=report,
    )


def _points(ways: OsmWays, use: np.ndarray, clip_polygon_m: shapely.Geometry | None) -> _Points:
    """Points of the usable ways, projected, clipped, and cut into runs."""
    lengths = np.diff(ways.way_offsets)
    pos_way = np.repeat(np.arange(ways.n_ways), lengths)
    node_idx = np.searchsorted(ways.node_id, ways.way_refs)
    keep = use[pos_way]
    pos_way, node_idx = pos_way[keep], node_idx[keep]
    x, y = to_bng().transform(ways.lon[node_idx], ways.lat[node_idx])
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
    return _Points(pos_way, node_idx, x, y, run_id, run_start, run_end, int((~inside).sum()))


def _segments(pts: _Points, n_nodes: int) -> _Segments:
    """Split the runs into segments at junctions and run ends.

    A junction is a node used more than once (by two ways, or twice by one way).
    """
    uses = np.bincount(pts.node, minlength=n_nodes)
    split = (uses[pts.node] > 1) | pts.run_start | pts.run_end
    split_pos = np.flatnonzero(split)
    same_run = pts.run_id[split_pos[1:]] == pts.run_id[split_pos[:-1]]
    seg_start = split_pos[:-1][same_run]
    seg_end = split_pos[1:][same_run]
    step = np.zeros(len(pts.x))
    if len(pts.x) > 1:
        step[1:] = np.hypot(np.diff(pts.x), np.diff(pts.y))
    cum = np.cumsum(step)
    return _Segments(seg_start, seg_end, cum[seg_end] - cum[seg_start], pts.way[seg_start])


def _main_graph(pts: _Points, seg: _Segments, direction: np.ndarray) -> _MainGraph:
    """Directed edges of the segments; keep the largest strongly connected component."""
    seg_dir = direction[seg.way]
    fwd = (seg_dir & DIR_FWD) > 0
    bwd = (seg_dir & DIR_BWD) > 0
    s_idx = np.arange(len(seg.start))
    e_seg = np.concatenate([s_idx[fwd], s_idx[bwd]])
    e_rev = np.concatenate([np.zeros(fwd.sum(), bool), np.ones(bwd.sum(), bool)])
    a, b = pts.node[seg.start], pts.node[seg.end]
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

    # Number nodes along a space-filling curve: neighbours in space sit near each other in
    # memory, which makes shortest-path searches markedly faster on large networks.
    main_ids = np.flatnonzero(node_main)
    node_x_all = _node_coord(used_nodes, pts.node, pts.x)
    node_y_all = _node_coord(used_nodes, pts.node, pts.y)
    main_ids = main_ids[
        np.argsort(morton_code(node_x_all[main_ids], node_y_all[main_ids]), kind="stable")
    ]
    new_index = np.full(n_all, -1, dtype=np.int64)
    new_index[main_ids] = np.arange(len(main_ids))
    return _MainGraph(
        seg=e_seg,
        rev=e_rev,
        main=edge_main,
        u=new_index[e_u_all[edge_main]].astype(np.int32),
        v=new_index[e_v_all[edge_main]].astype(np.int32),
        nodes=used_nodes[main_ids],
        node_x=node_x_all[main_ids],
        node_y=node_y_all[main_ids],
        n_nodes_all=n_all,
        n_nodes_main=int(node_main.sum()),
        components=int(n_comp),
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
    buffer_m: float = DEFAULT_BUFFER_M,
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
    if epsg == WGS84:
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
    elif epsg == BNG:
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


def mode_names(modes: Sequence[str]) -> tuple[Mode, ...]:
    """Validate a list of mode names."""
    out: list[Mode] = []
    for m in modes:
        if m not in MODES:
            raise InputError(f"unknown patrol mode {m!r}; use 'car' or 'foot'", field="mode")
        out.append("car" if m == "car" else "foot")
    return tuple(out)
