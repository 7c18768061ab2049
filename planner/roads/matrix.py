"""Site-to-site travel-time matrices and road-following paths.

Sites snapped onto a segment get a node of their own, spliced into the segment, so a matrix
entry is the exact door-to-door road time: part of the site's segment, the network in between,
and part of the destination's segment, with one-way rules respected. Several sites on one
segment are chained along it in order.

Shortest paths are computed by compiled code: a binary-heap Dijkstra compiled with numba, one
search per source on all cores, stopping as soon as every site is settled. :func:`dijkstra_scipy`
gives the same numbers through ``scipy.sparse.csgraph`` and is used to cross-check.
"""

from __future__ import annotations

import itertools
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numba
import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from shapely import ops as shapely_ops

from planner.common import write_csv
from planner.errors import InputError
from planner.roads.network import ModeNetwork, adjacency_csr
from planner.roads.snapping import SnappedSites

log = logging.getLogger(__name__)

#: A site snapped this close to a junction is treated as at the junction, metres.
AT_NODE_M = 1.0


# ----------------------------------------------------------------------------- kernels


@numba.njit(cache=True, nogil=True)
def _dijkstra_one(
    indptr, indices, weights, src, target_pos, n_targets, out_row, dist, touched, heap_d, heap_n
):
    # ``dist`` is +inf everywhere on entry and is restored on exit, touching only the nodes
    # reached: an early-stopping search then costs what it explores, not the graph's size.
    # A node is settled when its distance is negated (-0.0 marks the source itself).
    n_touched = 0
    dist[src] = 0.0
    touched[n_touched] = src
    n_touched += 1
    heap_d[0] = 0.0
    heap_n[0] = src
    size = 1
    found = 0
    while size > 0:
        d = heap_d[0]
        u = heap_n[0]
        size -= 1
        if size > 0:
            last_d = heap_d[size]
            last_n = heap_n[size]
            i = 0
            while True:
                c = 2 * i + 1
                if c >= size:
                    break
                if c + 1 < size and heap_d[c + 1] < heap_d[c]:
                    c += 1
                if heap_d[c] < last_d:
                    heap_d[i] = heap_d[c]
                    heap_n[i] = heap_n[c]
                    i = c
                else:
                    break
            heap_d[i] = last_d
            heap_n[i] = last_n
        if d > dist[u]:
            continue  # a stale heap entry: u was reached more cheaply since
        if target_pos[u] >= 0:
            out_row[target_pos[u]] = d
            found += 1
            if found == n_targets:
                break
        for k in range(indptr[u], indptr[u + 1]):
            v = indices[k]
            nd = d + weights[k]
            if nd < dist[v]:
                if dist[v] == np.inf:
                    touched[n_touched] = v
                    n_touched += 1
                dist[v] = nd
                i = size
                size += 1
                while i > 0:
                    p = (i - 1) >> 1
                    if heap_d[p] > nd:
                        heap_d[i] = heap_d[p]
                        heap_n[i] = heap_n[p]
                        i = p
                    else:
                        break
                heap_d[i] = nd
                heap_n[i] = v
    for i in range(n_touched):
        dist[touched[i]] = np.inf


@numba.njit(parallel=True, cache=True)
def _dijkstra_many(indptr, indices, weights, sources, targets, n_threads):
    n = len(indptr) - 1
    target_pos = np.full(n, -1, np.int64)
    n_unique = 0
    for j in range(len(targets)):
        if target_pos[targets[j]] < 0:
            n_unique += 1
        target_pos[targets[j]] = j
    out = np.full((len(sources), len(targets)), np.inf)
    bounds = np.linspace(0, len(sources), n_threads + 1).astype(np.int64)
    m = len(indices)
    for t in numba.prange(n_threads):
        dist = np.full(n, np.inf)
        touched = np.empty(n, np.int32)
        heap_d = np.empty(m + 1)
        heap_n = np.empty(m + 1, np.int32)
        for s in range(bounds[t], bounds[t + 1]):
            _dijkstra_one(
                indptr,
                indices,
                weights,
                sources[s],
                target_pos,
                n_unique,
                out[s],
                dist,
                touched,
                heap_d,
                heap_n,
            )
    return out


@numba.njit(cache=True)
def _neighbours(indptr, indices, t_indptr, t_indices, x, alive, buf):
    # Distinct live neighbours of x, in or out, written to buf; returns how many.
    k = 0
    for rows_ptr, rows_idx in ((indptr, indices), (t_indptr, t_indices)):
        for p in range(rows_ptr[x], rows_ptr[x + 1]):
            y = rows_idx[p]
            if y == x or not alive[y]:
                continue
            seen = False
            for q in range(k):
                if buf[q] == y:
                    seen = True
                    break
            if not seen:
                buf[k] = y
                k += 1
    return k


@numba.njit(cache=True)
def _weight(indptr, indices, weights, a, b):
    best = np.inf
    for p in range(indptr[a], indptr[a + 1]):
        if indices[p] == b and weights[p] < best:
            best = weights[p]
    return best


@numba.njit(cache=True)
def _reduce(indptr, indices, weights, t_indptr, t_indices, protected, max_degree):
    n = len(indptr) - 1
    alive = np.ones(n, np.bool_)
    buf = np.empty(max_degree, np.int64)
    # 1. Peel dead ends: a node with one neighbour is on no shortest path between two others.
    stack = np.empty(n, np.int64)
    top = 0
    for x in range(n):
        if (
            not protected[x]
            and _neighbours(indptr, indices, t_indptr, t_indices, x, alive, buf) <= 1
        ):
            stack[top] = x
            top += 1
    while top > 0:
        top -= 1
        x = stack[top]
        if not alive[x]:
            continue
        k = _neighbours(indptr, indices, t_indptr, t_indices, x, alive, buf)
        if k > 1:
            continue
        alive[x] = False
        if k == 1:
            y = buf[0]
            if (
                not protected[y]
                and _neighbours(indptr, indices, t_indptr, t_indices, y, alive, buf) <= 1
            ):
                stack[top] = y
                top += 1
    # 2. Bypass chains of two-neighbour nodes between anchors, summing each direction.
    anchor = np.zeros(n, np.bool_)
    for x in range(n):
        if alive[x] and (
            protected[x] or _neighbours(indptr, indices, t_indptr, t_indices, x, alive, buf) != 2
        ):
            anchor[x] = True
    out_u = np.empty(2 * len(indices), np.int64)
    out_v = np.empty(2 * len(indices), np.int64)
    out_w = np.empty(2 * len(indices))
    m = 0
    nb = np.empty(max_degree, np.int64)
    for a in range(n):
        if not anchor[a]:
            continue
        k = _neighbours(indptr, indices, t_indptr, t_indices, a, alive, nb)
        for j in range(k):
            prev = a
            cur = nb[j]
            wf = _weight(indptr, indices, weights, a, cur)
            wb = _weight(indptr, indices, weights, cur, a)
            steps = 0
            while not anchor[cur] and steps <= n:
                _neighbours(indptr, indices, t_indptr, t_indices, cur, alive, buf)
                nxt = buf[0] if buf[0] != prev else buf[1]
                wf += _weight(indptr, indices, weights, cur, nxt)
                wb += _weight(indptr, indices, weights, nxt, cur)
                prev = cur
                cur = nxt
                steps += 1
            if cur == a or not anchor[cur]:
                continue
            if wf < np.inf:
                out_u[m] = a
                out_v[m] = cur
                out_w[m] = wf
                m += 1
            if wb < np.inf:
                out_u[m] = cur
                out_v[m] = a
                out_w[m] = wb
                m += 1
    return anchor, out_u[:m], out_v[:m], out_w[:m]


def reduce_graph(
    graph: sparse.csr_array, protected: np.ndarray
) -> tuple[sparse.csr_array, np.ndarray]:
    """Shrink a graph without changing any shortest distance between protected nodes.

    Dead ends are peeled off (a node with a single neighbour lies on no shortest path between
    two other nodes), then every chain of unprotected two-neighbour nodes between two
    "anchors" is replaced by one edge per direction with the summed time. On road networks
    this removes most nodes: a 168,000-node county keeps about a third.

    Parameters
    ----------
    graph
        Square adjacency matrix of travel times (one entry per directed pair).
    protected
        Nodes that must stay (sites and stations).

    Returns
    -------
    core, index
        The reduced graph, and each original node's index in it (-1 if removed).
    """
    graph = sparse.csr_array(graph)
    graph.sort_indices()
    t = sparse.csr_array(graph.T)
    t.sort_indices()
    anchor, u, v, w = _reduce(
        graph.indptr.astype(np.int64),
        graph.indices.astype(np.int64),
        graph.data.astype(np.float64),
        t.indptr.astype(np.int64),
        t.indices.astype(np.int64),
        np.asarray(protected, dtype=np.bool_),
        int(max(np.diff(graph.indptr).max(initial=0) + np.diff(t.indptr).max(initial=0), 2)),
    )
    index = np.full(graph.shape[0], -1, dtype=np.int64)
    kept = np.flatnonzero(anchor)
    index[kept] = np.arange(len(kept))
    return adjacency_csr(index[u], index[v], w, len(kept)), index


def default_threads() -> int:
    """Threads for matrix computation: every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def dijkstra_many(
    graph: sparse.csr_array, sources: np.ndarray, targets: np.ndarray, *, threads: int | None = None
) -> np.ndarray:
    """Shortest-path lengths from each source to each target (``inf`` if unreachable).

    Duplicate targets receive the same value. The result has shape ``(len(sources), len(targets))``.
    """
    graph = sparse.csr_array(graph)
    graph.sort_indices()
    sources = np.asarray(sources, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    n_threads = min(threads or default_threads(), max(len(sources), 1))
    numba.set_num_threads(min(n_threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
    out = _dijkstra_many(
        graph.indptr.astype(np.int64),
        graph.indices.astype(np.int32),
        graph.data.astype(np.float64),
        sources,
        targets,
        n_threads,
    )
    # Duplicate targets: only the last column of each node was written.
    _, first, inverse = np.unique(targets, return_index=True, return_inverse=True)
    if len(first) != len(targets):
        last = np.zeros(len(first), dtype=np.int64)
        last[inverse] = np.arange(len(targets))
        out = out[:, last[inverse]]
    return out


def dijkstra_scipy(graph: sparse.csr_array, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Reference implementation with ``scipy.sparse.csgraph.dijkstra`` (single core)."""
    return csgraph.dijkstra(graph, directed=True, indices=np.asarray(sources))[
        :, np.asarray(targets)
    ]


# ----------------------------------------------------------------------------- site graph


@dataclass(frozen=True, eq=False)
class SiteGraph:
    """A mode's network with a node spliced in for every snapped site.

    Attributes
    ----------
    net, sites
        The network and the sites it was built from.
    site_node
        Graph node of each snapped site, aligned with ``sites.snapped_ids``.
    csr
        Travel-time adjacency (seconds) of the augmented graph.
    """

    net: ModeNetwork
    sites: SnappedSites
    site_node: np.ndarray
    csr: sparse.csr_array
    # Augmented edges (network edges first, then spliced pieces) for path geometry.
    aug_u: np.ndarray
    aug_v: np.ndarray
    aug_w: np.ndarray
    aug_seg: np.ndarray
    aug_f0: np.ndarray
    aug_f1: np.ndarray
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, net: ModeNetwork, sites: SnappedSites) -> SiteGraph:
        """Splice the snapped sites into the network."""
        if sites.mode != net.mode:
            raise InputError(f"sites were snapped to the {sites.mode} network, not {net.mode}")
        idx = np.flatnonzero(sites.snapped)
        seg = sites.segment[idx]
        frac = np.clip(sites.fraction[idx], 0.0, 1.0)
        n0 = net.n_nodes
        site_node = n0 + np.arange(len(idx))

        # Original edges: fraction 0 -> 1 along the segment in the travel direction.
        e_rev = net.edge_reversed
        us = [net.edge_u.astype(np.int64)]
        vs = [net.edge_v.astype(np.int64)]
        ws = [net.edge_travel_time_s]
        segs = [net.edge_segment]
        f0s = [np.where(e_rev, 1.0, 0.0)]
        f1s = [np.where(e_rev, 0.0, 1.0)]

        order = np.lexsort((frac, seg))
        seg_o, frac_o, node_o = seg[order], frac[order], site_node[order]
        if len(order):
            first = np.ones(len(order), dtype=bool)
            first[1:] = seg_o[1:] != seg_o[:-1]
            last = np.ones(len(order), dtype=bool)
            last[:-1] = seg_o[1:] != seg_o[:-1]
            for direction_edge, forward in ((net.seg_fwd_edge, True), (net.seg_bwd_edge, False)):
                e = direction_edge[seg_o]
                has = e >= 0
                if not has.any():
                    continue
                # Chain start -> site_1 -> ... -> site_k -> end, in stored segment order.
                a_node = np.where(
                    forward, net.edge_u[np.maximum(e, 0)], net.edge_v[np.maximum(e, 0)]
                )
                b_node = np.where(
                    forward, net.edge_v[np.maximum(e, 0)], net.edge_u[np.maximum(e, 0)]
                )
                tt = net.edge_travel_time_s[np.maximum(e, 0)]
                prev_node = np.where(first, a_node, np.concatenate([[0], node_o[:-1]]))
                prev_frac = np.where(first, 0.0, np.concatenate([[0.0], frac_o[:-1]]))
                pieces = [
                    (prev_node, node_o, prev_frac, frac_o, has),
                    (node_o, b_node, frac_o, np.ones_like(frac_o), has & last),
                ]
                for pa, pb, fa, fb, mask in pieces:
                    w = (fb - fa)[mask] * tt[mask]
                    if not forward:  # travel from the chain's far end back to its start
                        pa, pb, fa, fb = pb, pa, fb, fa
                    us.append(pa[mask])
                    vs.append(pb[mask])
                    f0s.append(fa[mask])
                    f1s.append(fb[mask])
                    ws.append(w)
                    segs.append(seg_o[mask])
        # A site at a junction is at the junction, whichever segment it was snapped to: tie it
        # to the node both ways, or a one-way segment would force a detour through itself.
        seg_len_m = shapely.length(net.segment_lines()[seg]) if len(seg) else np.empty(0)
        for at_end, frac_end in (
            (frac * seg_len_m <= AT_NODE_M, 0.0),
            ((1 - frac) * seg_len_m <= AT_NODE_M, 1.0),
        ):
            if not at_end.any():
                continue
            e = np.where(net.seg_fwd_edge[seg] >= 0, net.seg_fwd_edge[seg], net.seg_bwd_edge[seg])
            # Node at this end: the stored start is the forward edge's u or the backward edge's v.
            fwd = net.seg_fwd_edge[seg] >= 0
            start = np.where(fwd, net.edge_u[np.maximum(e, 0)], net.edge_v[np.maximum(e, 0)])
            end = np.where(fwd, net.edge_v[np.maximum(e, 0)], net.edge_u[np.maximum(e, 0)])
            node = start if frac_end == 0.0 else end
            sel = at_end & (e >= 0)
            k = int(sel.sum())
            us.extend([node[sel].astype(np.int64), site_node[sel]])
            vs.extend([site_node[sel], node[sel].astype(np.int64)])
            ws.extend([np.zeros(k), np.zeros(k)])
            segs.extend([seg[sel], seg[sel]])
            f0s.extend([np.full(k, frac_end), np.full(k, frac_end)])
            f1s.extend([np.full(k, frac_end), np.full(k, frac_end)])
        aug_u = np.concatenate(us)
        aug_v = np.concatenate(vs)
        aug_w = np.concatenate(ws)
        n_total = n0 + len(idx)
        csr = adjacency_csr(aug_u, aug_v, aug_w, n_total)
        return cls(
            net=net,
            sites=sites,
            site_node=site_node,
            csr=csr,
            aug_u=aug_u,
            aug_v=aug_v,
            aug_w=aug_w,
            aug_seg=np.concatenate(segs),
            aug_f0=np.concatenate(f0s),
            aug_f1=np.concatenate(f1s),
        )

    def site_index(self, site_id: str) -> int:
        """Position of a snapped site in the matrix."""
        try:
            return self.sites.snapped_ids.index(site_id)
        except ValueError:
            raise InputError(
                f"site {site_id!r} is not on the {self.net.mode} network", field="site_id"
            ) from None

    def path(self, origin: str, destination: str) -> tuple[shapely.LineString, float]:
        """Road-following path between two sites, in EPSG:27700, and its travel time in seconds."""
        i, j = self.site_index(origin), self.site_index(destination)
        src, dst = int(self.site_node[i]), int(self.site_node[j])
        key = f"pred_{src}"
        if key not in self._cache:
            dist, pred = csgraph.dijkstra(
                self.csr, directed=True, indices=src, return_predecessors=True
            )
            self._cache[key] = (dist, pred)
        dist, pred = self._cache[key]
        if not np.isfinite(dist[dst]):
            raise InputError(f"no {self.net.mode} route from {origin!r} to {destination!r}")
        nodes = [dst]
        while nodes[-1] != src:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        coords: list[np.ndarray] = []
        for a, b in itertools.pairwise(nodes):
            coords.append(self._edge_coords(a, b))
        if not coords:
            x, y = self.sites.snap_x_m, self.sites.snap_y_m
            k = np.flatnonzero(self.sites.snapped)[i]
            pt = np.array([[x[k], y[k]], [x[k], y[k]]])
            return shapely.LineString(pt), 0.0
        xy = np.concatenate([c if n == 0 else c[1:] for n, c in enumerate(coords)])
        return shapely.LineString(xy), float(dist[dst])

    def _edge_coords(self, a: int, b: int) -> np.ndarray:
        if "edge_lookup" not in self._cache:
            order = np.lexsort((self.aug_w, self.aug_v, self.aug_u))
            self._cache["edge_lookup"] = (order, self.aug_u[order], self.aug_v[order])
        order, su, sv = self._cache["edge_lookup"]
        lo = np.searchsorted(su, a, side="left")
        hi = np.searchsorted(su, a, side="right")
        k = lo + int(np.searchsorted(sv[lo:hi], b, side="left"))
        e = int(order[k])
        line = self.net.segment_lines()[self.aug_seg[e]]
        f0, f1 = float(self.aug_f0[e]), float(self.aug_f1[e])
        lo_f, hi_f = min(f0, f1), max(f0, f1)
        piece = shapely_ops.substring(line, lo_f, hi_f, normalized=True)
        xy = np.asarray(piece.coords) if not piece.is_empty else np.empty((0, 2))
        if len(xy) == 1 or isinstance(piece, shapely.Point):
            xy = np.vstack([xy, xy])
        return xy[::-1] if f0 > f1 else xy


@dataclass(frozen=True, eq=False)
class TravelTimeMatrix:
    """Door-to-door travel times between snapped sites for one mode.

    Attributes
    ----------
    mode
        ``"car"`` or ``"foot"``.
    site_ids
        Row and column labels.
    travel_time_s
        ``travel_time_s[i, j]`` seconds from site ``i`` to site ``j``; ``inf`` where no route
        exists, which ``reachable`` states explicitly.
    reachable
        Whether a route exists for each pair.
    """

    mode: str
    site_ids: tuple[str, ...]
    travel_time_s: np.ndarray
    reachable: np.ndarray

    def unreachable_pairs(self) -> list[tuple[str, str]]:
        """Every ordered pair of sites with no route between them."""
        rows, cols = np.nonzero(~self.reachable)
        return [
            (self.site_ids[r], self.site_ids[c])
            for r, c in zip(rows.tolist(), cols.tolist(), strict=True)
        ]

    def summary(self) -> str:
        """One line describing the matrix."""
        n = len(self.site_ids)
        off = self.travel_time_s[self.reachable & ~np.eye(n, dtype=bool)]
        stats = (
            f", median {np.median(off) / 60:.1f} min, max {off.max() / 60:.1f} min"
            if off.size
            else ""
        )
        return (
            f"{self.mode} matrix {n}x{n}{stats}; {int((~self.reachable).sum())} unreachable pairs"
        )

    def to_csv(self, path: str | Path) -> Path:
        """Write the matrix in seconds, an empty cell where unreachable, atomically."""
        rows = []
        for i, sid in enumerate(self.site_ids):
            row: dict[str, object] = {"from_site": sid}
            for j, tid in enumerate(self.site_ids):
                row[tid] = f"{self.travel_time_s[i, j]:.1f}" if self.reachable[i, j] else ""
            rows.append(row)
        return write_csv(path, rows, ["from_site", *self.site_ids])


def travel_time_matrix(graph: SiteGraph, *, threads: int | None = None) -> TravelTimeMatrix:
    """All-pairs door-to-door travel times between the snapped sites of ``graph``."""
    protected = np.zeros(graph.csr.shape[0], dtype=bool)
    protected[graph.site_node] = True
    core, index = reduce_graph(graph.csr, protected)
    nodes = index[graph.site_node]
    tt = dijkstra_many(core, nodes, nodes, threads=threads)
    np.fill_diagonal(tt, 0.0)
    reachable = np.isfinite(tt)
    result = TravelTimeMatrix(
        mode=graph.net.mode, site_ids=graph.sites.snapped_ids, travel_time_s=tt, reachable=reachable
    )
    if not reachable.all():
        log.warning("%d site pairs have no %s route", int((~reachable).sum()), graph.net.mode)
    log.info("%s", result.summary())
    return result
