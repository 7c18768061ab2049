"""The steps that turn a mode's usable ways into a graph: points, segments, main component.

:func:`planner.roads.network.build_mode` runs them in order: :func:`way_points` projects and
clips the points of the usable ways and cuts them into runs, :func:`split_segments` splits the
runs at junctions, and :func:`main_graph` makes directed edges of the segments and keeps the
largest strongly connected component, numbering its nodes along a space-filling curve
(:func:`morton_code`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from planner.common import to_bng
from planner.roads.osm import OsmWays
from planner.roads.rules import DIR_BWD, DIR_FWD


@dataclass(frozen=True)
class WayPoints:
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
    all_bounds: tuple[float, float, float, float]  # of every usable point, before clipping


@dataclass(frozen=True)
class Segments:
    """Pieces of road between junctions, as ranges of :class:`WayPoints`."""

    start: np.ndarray  # index of the first point
    end: np.ndarray  # index of the last point
    length_m: np.ndarray
    way: np.ndarray


@dataclass(frozen=True)
class MainGraph:
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


def way_points(
    ways: OsmWays, use: np.ndarray, clip_polygon_m: shapely.Geometry | None
) -> WayPoints:
    """Points of the usable ways, projected, clipped, and cut into runs."""
    lengths = np.diff(ways.way_offsets)
    pos_way = np.repeat(np.arange(ways.n_ways), lengths)
    node_idx = np.searchsorted(ways.node_id, ways.way_refs)
    keep = use[pos_way]
    pos_way, node_idx = pos_way[keep], node_idx[keep]
    x, y = to_bng().transform(ways.lon[node_idx], ways.lat[node_idx])
    x, y = np.asarray(x), np.asarray(y)

    all_bounds = (
        (float(x.min()), float(y.min()), float(x.max()), float(y.max()))
        if len(x)
        else (np.nan, np.nan, np.nan, np.nan)
    )
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
    return WayPoints(
        pos_way, node_idx, x, y, run_id, run_start, run_end, int((~inside).sum()), all_bounds
    )


def split_segments(pts: WayPoints, n_nodes: int) -> Segments:
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
    return Segments(seg_start, seg_end, cum[seg_end] - cum[seg_start], pts.way[seg_start])


def main_graph(pts: WayPoints, seg: Segments, direction: np.ndarray) -> MainGraph:
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
    node_x_all = node_coord(used_nodes, pts.node, pts.x)
    node_y_all = node_coord(used_nodes, pts.node, pts.y)
    main_ids = main_ids[
        np.argsort(morton_code(node_x_all[main_ids], node_y_all[main_ids]), kind="stable")
    ]
    new_index = np.full(n_all, -1, dtype=np.int64)
    new_index[main_ids] = np.arange(len(main_ids))
    return MainGraph(
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


def node_coord(kept_nodes: np.ndarray, node_idx: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Coordinate of each kept node, read from any position where it occurs."""
    lookup = np.empty(int(node_idx.max()) + 1)
    lookup[node_idx] = values
    return lookup[kept_nodes]
