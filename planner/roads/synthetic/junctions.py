"""Junctions along the lines, roundabouts, one-way streets and one-way/two-way changes.

A junction *item* is a node's occurrence on a line (a line's own end, or a T onto it).
Counting streets per node the way osmnx does gives the simplified node count before anything
is sampled, which drives the size search. Roundabouts replace a major junction by one entry
node per arm; one-way streets are drawn until the profile's one-way share of directed edges
is met; some streets change between one-way and two-way mid-block (degree-2 nodes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from planner.roads.synthetic.lines import Net
from planner.roads.synthetic.profiles import (
    R_CRESCENT,
    R_HIGH,
    R_STREET,
    SECONDARY,
    TWO_PI,
    Z_CENTRE,
    Z_TOWN,
    Z_VILLAGE,
    Params,
)


def merge_close(net: Net, tol_m: float) -> None:
    """Merge line ends that meet the same host within ``tol_m`` of each other (crossroads)."""
    h, p, n = net.attachments()
    if len(h) < 2:
        return
    order = np.lexsort((p, h))
    h, p, n = h[order], p[order], n[order]
    scale = net.metres_per_param(h[:-1], p[:-1])
    close = (h[1:] == h[:-1]) & ((p[1:] - p[:-1]) * scale < tol_m) & (n[1:] != n[:-1])
    if close.any():
        a, b = n[:-1][close], n[1:][close]
        m = sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(net.n_nodes, net.n_nodes))
        _, label = csgraph.connected_components(m, directed=False)
        rep = np.full(label.max() + 1, np.iinfo(np.int64).max)
        np.minimum.at(rep, label, np.arange(net.n_nodes))
        node_map = rep[label]
        tab = net.table
        for end in ("n0", "n1"):
            valid = tab[end] >= 0
            tab[end][valid] = node_map[tab[end][valid]]
        n = node_map[n]
    # One attachment per (host, node): merged ends collapse onto the first position.
    key = np.unique(np.stack([h, n], 1), axis=0, return_index=True)[1]
    key.sort()
    net.set_attachments(h[key], p[key], n[key])


@dataclass
class Items:
    """Junction occurrences along lines, sorted by line then parameter."""

    line: np.ndarray
    t: np.ndarray
    node: np.ndarray
    own_end: np.ndarray  # the node is this line's own end (not a T onto it)
    gap_after: np.ndarray  # no road from this item to the next one on the line
    split: np.ndarray  # a new way starts here (one-way status changes)

    def take(self, idx: np.ndarray) -> Items:
        """The items at ``idx`` (an index or mask array)."""
        return Items(
            *(getattr(self, f)[idx] for f in ("line", "t", "node", "own_end", "gap_after", "split"))
        )

    @classmethod
    def concat(cls, parts: list[Items]) -> Items:
        """All items of ``parts``, in order (not re-sorted)."""
        return Items(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("line", "t", "node", "own_end", "gap_after", "split")
            )
        )

    def sort(self) -> Items:
        """The items sorted by line, then parameter along the line."""
        return self.take(np.lexsort((self.t, self.line)))


def junction_items(net: Net) -> Items:
    """Own ends of live lines plus T-junctions onto them, sorted along each line."""
    tab = net.table
    live = np.flatnonzero(tab["alive"] & ~tab["closed"])
    h, p, n = net.attachments()
    keep = tab["alive"][h]
    line = np.concatenate([live, live, h[keep]])
    t = np.concatenate([tab["a0"][live], tab["a1"][live], p[keep]])
    node = np.concatenate([tab["n0"][live], tab["n1"][live], n[keep]])
    own = np.concatenate([np.ones(2 * len(live), bool), np.zeros(keep.sum(), bool)])
    z = np.zeros(len(line), bool)
    return Items(line, t, node, own, z, z.copy()).sort()


def _street_counts(net: Net, items: Items, ring_nodes: np.ndarray | None = None) -> np.ndarray:
    """Streets per node, counted like osmnx: 1 per own line end, 2 per pass-through occurrence.

    A roundabout gap (no road between an item and the next) removes one street from each
    side, and each roundabout entry in ``ring_nodes`` gains two (the ring either side).
    """
    weight = np.where(items.own_end, 1.0, 2.0) - items.gap_after
    after_gap = np.r_[False, items.gap_after[:-1] & (items.line[1:] == items.line[:-1])]
    weight -= after_gap
    spn = np.bincount(items.node, weights=weight, minlength=net.n_nodes)
    if ring_nodes is not None and len(ring_nodes):
        spn += 2 * np.bincount(ring_nodes, minlength=net.n_nodes)[: len(spn)]
    return spn.astype(np.int64)


def node_estimate(net: Net, items: Items, ring_nodes: np.ndarray | None = None) -> tuple[int, int]:
    """(simplified nodes, dead ends) as osmnx would count them, before sampling."""
    spn = _street_counts(net, items, ring_nodes)
    n = int(((spn > 0) & (spn != 2)).sum()) + int(items.split.sum())
    return n, int((spn == 1).sum())


def choose_roundabouts(net: Net, rng: np.random.Generator, prm: Params, items: Items) -> np.ndarray:
    """Junction nodes to rebuild as roundabouts: where two major roads meet, with room around."""
    tab = net.table
    spn = _street_counts(net, items)
    major = tab["hw"][items.line] <= SECONDARY
    n_major = np.bincount(items.node, weights=major, minlength=net.n_nodes)
    # Distance to the neighbouring junctions along each line through the node.
    same_prev = np.r_[False, items.line[1:] == items.line[:-1]]
    same_next = np.r_[items.line[:-1] == items.line[1:], False]
    scale = net.metres_per_param(items.line, items.t)
    gap_prev = np.where(same_prev, np.r_[np.inf, np.diff(items.t)] * scale, np.inf)
    gap_next = np.where(same_next, np.r_[np.diff(items.t), np.inf] * scale, np.inf)
    gap = np.minimum(gap_prev, gap_next)
    room = np.full(net.n_nodes, np.inf)
    np.minimum.at(room, items.node, gap)
    # Not where dual carriageways end: both carriageways leave the node almost together.
    dual = np.zeros(net.n_nodes, bool)
    dual[items.node[tab["twin"][items.line] >= 0]] = True
    cand = (spn >= 3) & (n_major >= 2) & (room > 3.5 * prm.roundabout_radius_m)
    cand &= ~dual
    cand &= spn <= 5
    pick = np.flatnonzero(cand & (rng.random(net.n_nodes) < prm.roundabout_p))
    return pick


def apply_roundabouts(
    net: Net, prm: Params, items: Items, rb: np.ndarray
) -> tuple[Items, np.ndarray, np.ndarray, np.ndarray]:
    """Replace each roundabout node by one entry node per arm, a radius away along the arm.

    Returns the new items, and for every entry its roundabout index, node id and arm class.
    """
    if len(rb) == 0:
        e = np.empty(0, np.int64)
        return items, e, e, e
    is_rb = np.zeros(net.n_nodes, bool)
    is_rb[rb] = True
    rb_index = np.full(net.n_nodes, -1)
    rb_index[rb] = np.arange(len(rb))
    hit = is_rb[items.node]
    keep = items.take(np.flatnonzero(~hit))
    occ = items.take(np.flatnonzero(hit))
    tab = net.table
    delta = prm.roundabout_radius_m / net.metres_per_param(occ.line, occ.t)
    closed = tab["closed"][occ.line]
    at_a0 = occ.own_end & np.isclose(occ.t, tab["a0"][occ.line]) & ~closed
    at_a1 = occ.own_end & ~at_a0 & ~closed
    through = ~(at_a0 | at_a1)
    # Line ends move inwards; pass-through lines get two entries with a gap between them.
    parts = []
    ent_rb = []
    ent_node = []
    ent_hw = []
    for mask, shift, gap in (
        (at_a0, +1.0, False),
        (at_a1, -1.0, False),
        (through, -1.0, True),
        (through, +1.0, False),
    ):
        idx = np.flatnonzero(mask)
        nodes = net.new_nodes(len(idx))
        t = occ.t[idx] + shift * delta[idx]
        period = np.where(closed[idx], TWO_PI, np.inf)
        t = np.where(closed[idx], np.mod(t, period), t)
        parts.append(
            Items(
                occ.line[idx],
                t,
                nodes,
                occ.own_end[idx],
                np.full(len(idx), gap),
                np.zeros(len(idx), bool),
            )
        )
        ent_rb.append(rb_index[occ.node[idx]])
        ent_node.append(nodes)
        ent_hw.append(tab["hw"][occ.line[idx]].astype(np.int64))
    new = Items.concat([keep, *parts]).sort()
    return new, np.concatenate(ent_rb), np.concatenate(ent_node), np.concatenate(ent_hw)


def _segments_per_line(net: Net, items: Items) -> np.ndarray:
    """Junction-to-junction segments on each line (closed lines wrap around)."""
    cnt = np.bincount(items.line, minlength=net.n_lines)
    gaps = np.bincount(items.line, weights=items.gap_after, minlength=net.n_lines)
    closed = net.table["closed"]
    seg = np.where(closed, cnt, np.maximum(cnt - 1, 0)) - gaps
    return np.maximum(seg, 0).astype(np.int64)


def choose_oneway(
    net: Net,
    rng: np.random.Generator,
    prm: Params,
    items: Items,
    ring_nodes: np.ndarray,
    profile: str,
) -> None:
    """Mark one-way streets until the one-way share of directed edges reaches the target.

    Only streets whose both ends are junctions (three or more streets) qualify: a one-way
    street into a dead end, or one that is a village's only way out, would trap traffic.
    """
    tab = net.table
    seg = _segments_per_line(net, items)
    spn = _street_counts(net, items, ring_nodes)
    loose = np.zeros(net.n_lines, bool)
    loose[items.line[items.own_end & (spn[items.node] < 3)]] = True
    n_rb_edges = len(ring_nodes)
    role = tab["role"]
    ok = tab["alive"] & ~tab["closed"] & ~loose & (seg > 0)
    ok &= np.isin(role, [R_STREET, R_CRESCENT, R_HIGH])
    if profile == "county":
        # Town centres first, some village streets; the dual carriageways and roundabouts
        # already count.
        ok &= (tab["zone"] == Z_TOWN) | (tab["zone"] == Z_VILLAGE)
        weight = np.where(tab["zone"] == Z_TOWN, 1.0, 0.25)
    else:
        # Centre streets are one-way far more often than suburban ones.
        weight = np.where(tab["zone"] == Z_CENTRE, 3.0, 1.0) * np.where(
            tab["hw"] <= SECONDARY, 0.4, 1.0
        )
    ok &= ~tab["oneway"]
    total = float(seg[tab["alive"]].sum())
    already = float(seg[tab["alive"] & tab["oneway"]].sum())
    s = prm.oneway_share
    need = (s * (2 * total + n_rb_edges) - n_rb_edges) / (1 + s) - already
    cand = np.flatnonzero(ok)
    if need <= 0 or len(cand) == 0:
        return
    # Weighted random order (Efraimidis-Spirakis keys), then take lines until enough edges.
    key = np.log(rng.random(len(cand))) / weight[cand]
    order = cand[np.argsort(-key)]
    cum = np.cumsum(seg[order])
    take = order[: int(np.searchsorted(cum, need)) + 1]
    tab["oneway"][take] = True
    tab["ow_rev"][take] = rng.random(len(take)) < 0.5


def add_transitions(
    net: Net,
    rng: np.random.Generator,
    prm: Params,
    items: Items,
    ring_nodes: np.ndarray,
    n_target: int,
) -> Items:
    """Split streets mid-block where they change between one-way and two-way (degree-2 nodes)."""
    count = round(prm.deg2_share * n_target)
    if count <= 0:
        return items
    tab = net.table
    spn = _street_counts(net, items, ring_nodes)
    loose = np.zeros(net.n_lines, bool)
    loose[items.line[items.own_end & (spn[items.node] < 3)]] = True
    same_next = np.r_[items.line[:-1] == items.line[1:], False]
    ok_line = tab["alive"] & ~tab["closed"] & ~loose & np.isin(tab["role"], [R_STREET, R_HIGH])
    seg_ok = same_next & ~items.gap_after & ok_line[items.line]
    seg_len = np.zeros(len(items.t))
    nxt = np.r_[items.t[1:], 0.0]
    seg_len[seg_ok] = (nxt - items.t)[seg_ok] * net.metres_per_param(
        items.line[seg_ok], items.t[seg_ok]
    )
    seg_ok &= seg_len > 30.0
    cand = np.flatnonzero(seg_ok)
    # At most one change per line, so the one-way part of a street stays one piece.
    cand = cand[rng.permutation(len(cand))]
    _, first = np.unique(items.line[cand], return_index=True)
    cand = cand[first]
    cand = cand[rng.permutation(len(cand))][:count]
    f = rng.uniform(0.35, 0.65, len(cand))
    t = items.t[cand] + f * (nxt[cand] - items.t[cand])
    z = np.zeros(len(cand), bool)
    new = Items(
        items.line[cand], t, net.new_nodes(len(cand)), z, z.copy(), np.ones(len(cand), bool)
    )
    return Items.concat([items, new]).sort()
