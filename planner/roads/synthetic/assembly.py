"""Assembly: the finished topology sampled into tagged OSM ways, warped and projected.

Lines are sampled into ways (junction nodes shared between ways, interior points every few
tens of metres); roundabouts become closed clockwise rings; ways are split mid-street at the
rate real OSM data is; one-way streets that would cut places off are made two-way. A smooth
random displacement field bends everything a little, and British National Grid metres
around the fictional centre are converted to WGS84.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from planner.common import to_bng, to_wgs84
from planner.roads.osm import OsmWays
from planner.roads.synthetic.junctions import Items
from planner.roads.synthetic.lines import Net
from planner.roads.synthetic.profiles import (
    CENTRE_LAT,
    CENTRE_LON,
    HIGHWAY,
    SPEEDS,
    TWO_PI,
    UNCLASSIFIED,
    Params,
)
from planner.roads.synthetic.topology import Topology

log = logging.getLogger(__name__)


def _warp(
    rng: np.random.Generator, prm: Params, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Displace points by a smooth random field (sum of plane waves) so streets bend a little.

    Shorter waves get proportionally smaller amplitudes, which bounds the field's gradient
    well below 1: the map stays one-to-one, so no two roads can be made to cross.
    """
    n_modes = 8
    lo, hi = prm.warp_wavelength_m
    wl = np.exp(rng.uniform(math.log(lo), math.log(hi), n_modes))
    theta = rng.uniform(0, TWO_PI, n_modes)
    phase = rng.uniform(0, TWO_PI, n_modes)
    direction = rng.uniform(0, TWO_PI, n_modes)
    amp = prm.warp_amp_m * wl / hi
    dx = np.zeros_like(x)
    dy = np.zeros_like(y)
    for k in range(n_modes):
        kx = TWO_PI / wl[k] * math.cos(theta[k])
        ky = TWO_PI / wl[k] * math.sin(theta[k])
        s = amp[k] * np.sin(kx * x + ky * y + phase[k])
        dx += math.cos(direction[k]) * s
        dy += math.sin(direction[k]) * s
    return x + dx, y + dy


@dataclass(frozen=True)
class _Rows:
    """The points every way is made of, in sampling order (by line, then parameter).

    Junction rows carry their junction's node; interior sample rows carry fresh node ids in
    ``sample_range`` (``[lo, hi)``).
    """

    line: np.ndarray
    t: np.ndarray
    node: np.ndarray
    split: np.ndarray  # a new way starts here (one-way status changes)
    gap_after: np.ndarray  # no road from this row to the next junction (roundabout gap)
    sample_range: tuple[int, int]


def _assemble(
    net: Net, rng: np.random.Generator, prm: Params, topo: Topology
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[dict[str, str]]]:
    """Sample lines into ways; return node x, y (metres), way offsets, refs and tags.

    ``topo.n_est`` is the expected number of simplified nodes, for the way-split rate.
    """
    rows = _sample_rows(net, prm, _wrap_closed_lines(net, topo.items))
    xy = _row_coordinates(net, rows)
    ways, (x_all, y_all) = _split_ways(
        net,
        rng,
        prm,
        _chain_ways(net, rows),
        xy,
        topo.n_est,
        rows.node[rows.split],
        rows.sample_range,
    )
    refs, size, way_line, way_ow = ways
    rb_refs, rb_hw, x_all, y_all = _roundabout_rings(net, prm, topo, x_all, y_all)
    n_line_ways = len(way_line)
    all_refs = np.concatenate([refs, *rb_refs]) if rb_refs else refs
    all_size = np.r_[size, [len(r) for r in rb_refs]].astype(np.int64)
    all_ow = np.r_[way_ow, np.ones(len(rb_refs), bool)]
    fixed = _untrap(all_refs, all_size, all_ow, n_line_ways)
    way_ow = fixed[:n_line_ways]
    tags = _line_way_tags(net, way_line, way_ow)
    if rb_refs:
        tags.extend({"highway": HIGHWAY[h], "junction": "roundabout"} for h in rb_hw)
        refs = np.concatenate([refs, *rb_refs])
        size = np.r_[size, [len(r) for r in rb_refs]]
    offsets = np.r_[0, np.cumsum(size)].astype(np.int64)
    return x_all, y_all, offsets, refs, tags


def _wrap_closed_lines(net: Net, items: Items) -> Items:
    """Junction items with closed lines (ring roads) starting and ending at their first junction."""
    closed = net.table["closed"]
    first_t = np.full(net.n_lines, np.inf)
    np.minimum.at(first_t, items.line, items.t)
    jl = items
    on_closed = closed[jl.line]
    t = jl.t.copy()
    t[on_closed & (t < first_t[jl.line])] += TWO_PI
    jl = Items(jl.line, t, jl.node, jl.own_end, jl.gap_after, jl.split)
    firsts = np.flatnonzero(on_closed & (jl.t == first_t[jl.line]))
    dup = jl.take(firsts)
    dup = Items(
        dup.line,
        dup.t + TWO_PI,
        dup.node,
        dup.own_end,
        np.zeros(len(firsts), bool),
        np.zeros(len(firsts), bool),
    )
    return Items.concat([jl, dup]).sort()


def _sample_rows(net: Net, prm: Params, jl: Items) -> _Rows:
    """Junctions plus interior points every ``spacing_m`` (none too close to a junction).

    Allocates the node ids of the interior points.
    """
    tab = net.table
    lines = np.unique(jl.line)
    lo = np.full(net.n_lines, np.inf)
    hi = np.full(net.n_lines, -np.inf)
    np.minimum.at(lo, jl.line, jl.t)
    np.maximum.at(hi, jl.line, jl.t)
    length = (
        net.line_length_m(lines)
        * (hi[lines] - lo[lines])
        / np.maximum(np.abs(tab["a1"][lines] - tab["a0"][lines]), 1e-12)
    )
    ns = np.maximum(np.ceil(length / prm.spacing_m).astype(np.int64) - 1, 0)
    s_line = np.repeat(lines, ns)
    k = np.arange(ns.sum()) - np.repeat(np.cumsum(ns) - ns, ns) + 1
    s_t = lo[s_line] + (hi[s_line] - lo[s_line]) * k / np.repeat(ns + 1, ns)
    n_j = len(jl.line)
    line = np.concatenate([jl.line, s_line])
    tt = np.concatenate([jl.t, s_t])
    is_j = np.r_[np.ones(n_j, bool), np.zeros(len(s_line), bool)]
    order = np.lexsort((~is_j, tt, line))  # junctions before samples at equal t
    line, tt, is_j = line[order], tt[order], is_j[order]
    src = order  # index into junction items for is_j rows
    pos = np.arange(len(line))
    prev_j = np.maximum.accumulate(np.where(is_j, pos, -1))
    next_j = np.minimum.accumulate(np.where(is_j, pos, len(line))[::-1])[::-1]
    gap_after_row = np.zeros(len(line), bool)
    gap_after_row[is_j] = jl.gap_after[src[is_j]]
    scale = net.metres_per_param(line, tt)
    min_gap = 0.35 * prm.spacing_m
    drop = ~is_j & (
        ((tt - tt[prev_j]) * scale < min_gap)
        | ((tt[np.minimum(next_j, len(line) - 1)] - tt) * scale < min_gap)
        | gap_after_row[prev_j]
    )
    keep = ~drop
    line, tt, is_j, src, gap_after_row = (
        line[keep],
        tt[keep],
        is_j[keep],
        src[keep],
        gap_after_row[keep],
    )
    node = np.empty(len(line), np.int64)
    node[is_j] = jl.node[src[is_j]]
    n_samples = int((~is_j).sum())
    node[~is_j] = net.new_nodes(n_samples)
    split_row = np.zeros(len(line), bool)
    split_row[is_j] = jl.split[src[is_j]]
    sample_lo = int(node[~is_j].min()) if n_samples else 0
    return _Rows(line, tt, node, split_row, gap_after_row, (sample_lo, sample_lo + n_samples))


def _row_coordinates(net: Net, rows: _Rows) -> tuple[np.ndarray, np.ndarray]:
    """x, y in metres of every node so far (junction nodes from any of their occurrences)."""
    x_all = np.full(net.n_nodes, np.nan)
    y_all = np.full(net.n_nodes, np.nan)
    px, py = net.eval_xy(rows.line, rows.t)
    x_all[rows.node] = px
    y_all[rows.node] = py
    return x_all, y_all


def _chain_ways(net: Net, rows: _Rows) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows cut into ways: ``(refs, size, way_line, way_oneway)``, one-way ways facing forward.

    A new way starts at each chain (a line, or a bent cul-de-sac's spur and leg), after a
    roundabout gap, and at a split (whose node then ends one way and starts the next).
    """
    tab = net.table
    line, tt, node = rows.line, rows.t, rows.node
    # Chains: the leg of a bent cul-de-sac continues its spur's way, in the way's direction.
    chain = np.where(tab["chain"][line] >= 0, tab["chain"][line], line)
    order = np.lexsort((tab["dir"][line] * tt, tab["chain_rank"][line], chain))
    line, node, chain = line[order], node[order], chain[order]
    split_row, gap_after_row = rows.split[order], rows.gap_after[order]
    # Ways: a new way starts at each chain, after a gap, and at a split (shared node).
    rep = 1 + split_row.astype(np.int64)
    rep_row = np.repeat(np.arange(len(line)), rep)
    is_dup = np.r_[False, rep_row[1:] == rep_row[:-1]]
    r_chain = chain[rep_row]
    chain_first = np.r_[True, r_chain[1:] != r_chain[:-1]]
    start = chain_first | is_dup | np.r_[False, gap_after_row[rep_row][:-1] & ~is_dup[:-1]]
    way = np.cumsum(start) - 1
    n_way = int(way[-1]) + 1 if len(way) else 0
    way_line = line[rep_row][start]
    # One-way status flips after a split on the same line.
    after_split = np.cumsum(is_dup)
    base = np.maximum.accumulate(np.where(chain_first, after_split, 0))
    flips = (after_split - base)[start] % 2 == 1
    way_ow = tab["oneway"][way_line] ^ flips
    refs = node[rep_row]
    # A chain corner appears at the end of one line and the start of the next: keep one.
    again = np.r_[False, (refs[1:] == refs[:-1]) & (way[1:] == way[:-1])]
    refs, way = refs[~again], way[~again]
    size = np.bincount(way, minlength=n_way)
    # Reverse the node order of one-way ways that run against the line's direction.
    rev_way = way_ow & tab["ow_rev"][way_line]
    offs = np.r_[0, np.cumsum(size)]
    rev_row = rev_way[way]
    k_in = np.arange(len(refs)) - offs[way]
    refs = np.where(rev_row, refs[offs[way] + size[way] - 1 - k_in], refs)
    good = size >= 2
    keep_rows = good[way]
    return refs[keep_rows], size[good], way_line[good], way_ow[good]


def _roundabout_rings(
    net: Net, prm: Params, topo: Topology, x_all: np.ndarray, y_all: np.ndarray
) -> tuple[list[np.ndarray], list[int], np.ndarray, np.ndarray]:
    """Roundabout rings, clockwise (UK traffic), with points on a circle between the entries.

    Returns each ring's node refs (closed: the first entry again at the end) and class, and
    the node coordinates grown by the ring points.
    """
    ent_rb, ent_node, ent_hw = topo.ent_rb, topo.ent_node, topo.ent_hw
    rb_refs: list[np.ndarray] = []
    rb_hw: list[int] = []
    if not len(ent_node):
        return rb_refs, rb_hw, x_all, y_all
    ex, ey = x_all[ent_node], y_all[ent_node]
    cx, cy = topo.rb_xy
    ang = np.arctan2(ey - cy[ent_rb], ex - cx[ent_rb])
    o = np.lexsort((-ang, ent_rb))
    ent_rb_s, ent_node_s, ang_s = ent_rb[o], ent_node[o], ang[o]
    bounds = np.flatnonzero(np.r_[True, ent_rb_s[1:] != ent_rb_s[:-1], True])
    radius = prm.roundabout_radius_m
    # A roundabout takes the class of its most important arm.
    rb_major = np.full(len(topo.rb_nodes), UNCLASSIFIED)
    np.minimum.at(rb_major, ent_rb, ent_hw)
    ring_x: list[np.ndarray] = []
    ring_y: list[np.ndarray] = []
    for b0, b1 in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        ri = int(ent_rb_s[b0])
        seq = ent_node_s[b0:b1]
        angs = ang_s[b0:b1]
        # Clockwise sweep from each entry to the next, with points every ~7 m.
        sweep = np.mod(angs - np.roll(angs, -1), TWO_PI)
        sweep[sweep == 0] = TWO_PI
        m = np.maximum(1, (sweep * radius / 7.0).astype(np.int64))
        arm = np.repeat(np.arange(len(seq)), m)
        k = np.arange(m.sum()) - np.repeat(np.cumsum(m) - m, m) + 1
        aa = angs[arm] - k / np.repeat(m + 1, m) * sweep[arm]
        ids = net.new_nodes(len(aa))
        ring_x.append(cx[ri] + radius * np.cos(aa))
        ring_y.append(cy[ri] + radius * np.sin(aa))
        # Entry j, its arc points, entry j+1, ... and back to the first entry.
        refs_rb = np.empty(len(seq) + len(aa) + 1, np.int64)
        pos = np.cumsum(np.r_[0, m + 1])[:-1]
        refs_rb[pos] = seq
        mask = np.ones(len(refs_rb) - 1, bool)
        mask[pos] = False
        refs_rb[:-1][mask] = ids
        refs_rb[-1] = seq[0]
        rb_refs.append(refs_rb)
        rb_hw.append(int(rb_major[ri]))
    return rb_refs, rb_hw, np.concatenate([x_all, *ring_x]), np.concatenate([y_all, *ring_y])


def _line_way_tags(net: Net, way_line: np.ndarray, way_ow: np.ndarray) -> list[dict[str, str]]:
    """OSM tags of the ways sampled from lines: class, one-way, speed limit, name, ref."""
    tab = net.table
    tags: list[dict[str, str]] = []
    hw_l = tab["hw"][way_line].tolist()
    sp_l = tab["speed"][way_line].tolist()
    nm_l = tab["name"][way_line].tolist()
    rf_l = tab["ref"][way_line].tolist()
    ow_l = way_ow.tolist()
    for i in range(len(way_line)):
        tg = {"highway": HIGHWAY[hw_l[i]]}
        if ow_l[i]:
            tg["oneway"] = "yes"
        if sp_l[i]:
            tg["maxspeed"] = SPEEDS[sp_l[i]]
        if nm_l[i] >= 0:
            tg["name"] = net.names[nm_l[i]]
        if rf_l[i] >= 0:
            tg["ref"] = net.refs[rf_l[i]]
        tags.append(tg)
    return tags


def _untrap(refs: np.ndarray, size: np.ndarray, oneway: np.ndarray, n_fixable: int) -> np.ndarray:
    """Make one-way ways two-way where they cut nodes off from the main network.

    Random one-way streets can, rarely, create places you can enter but not leave. Ways
    touching nodes outside the largest strongly connected component are made two-way (only
    the first ``n_fixable`` ways; roundabouts stay one-way) until none is left.
    """
    given = oneway
    oneway = oneway.copy()
    way = np.repeat(np.arange(len(size)), size)
    same = way[1:] == way[:-1]
    a, b, w = refs[:-1][same], refs[1:][same], way[:-1][same]
    nodes, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
    ia, ib = inv[: len(a)], inv[len(a) :]
    for _ in range(20):
        back = ~oneway[w]
        u = np.concatenate([ia, ib[back]])
        v = np.concatenate([ib, ia[back]])
        graph = sp.csr_array((np.ones(len(u), np.int8), (u, v)), shape=(len(nodes),) * 2)
        n_comp, label = csgraph.connected_components(graph, directed=True, connection="strong")
        if n_comp == 1:
            break
        main = np.argmax(np.bincount(label))
        outside = (label[ia] != main) | (label[ib] != main)
        bad = np.unique(w[outside & oneway[w] & (w < n_fixable)])
        if len(bad) == 0:
            break
        oneway[bad] = False
    log.debug(
        "one-way streets made two-way to keep the network strongly connected: %d",
        int((oneway[:n_fixable] != given[:n_fixable]).sum()),
    )
    return oneway


def _split_ways(
    net: Net,
    rng: np.random.Generator,
    prm: Params,
    ways: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    xy: tuple[np.ndarray, np.ndarray],
    n_simplified: int,
    transition_nodes: np.ndarray,
    sample_range: tuple[int, int],
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Split ways mid-street, as real OSM ways are split wherever a tag changes.

    Real extracts are full of such joints (City of London: about one per intersection, many
    a few metres from a junction; Rutland: about one per five intersections). osmnx merges
    them away, but a normaliser that treats every shared node as a junction does not, so the
    synthetic data has them too. Joints already present (two ways meeting end to end, e.g. a
    village street becoming a country road) count towards the target.

    ``ways`` is ``(refs, size, way_line, way_oneway)``; ``xy`` the node coordinates, which
    grow by the nodes inserted near junctions.
    """
    refs, size, way_line, way_ow = ways
    x_all, y_all = xy
    n_way = len(size)
    offs = np.r_[0, np.cumsum(size)]
    way = np.repeat(np.arange(n_way), size)
    first = np.zeros(len(refs), bool)
    first[offs[:-1]] = True
    last = np.zeros(len(refs), bool)
    last[offs[1:] - 1] = True
    n_max = int(refs.max()) + 1 if len(refs) else 1
    ends = np.bincount(refs[first | last], minlength=n_max)
    mids = np.bincount(refs[~(first | last)], minlength=n_max)
    joint = (ends == 2) & (mids == 0)
    joint[transition_nodes] = False
    need = round(prm.joint_rate * n_simplified) - int(joint.sum())
    if need <= 0:
        return ways, xy
    streets = ends + 2 * mids
    # Part of the joints a few metres from a junction: a new node on the way's first or last
    # segment (real ways often change tags just before a junction).
    n_near = round(prm.joint_near_share * need)
    at_end = rng.random(n_way) < 0.5
    p0 = np.where(at_end, offs[1:] - 1, offs[:-1])  # the junction end of each way
    p1 = np.where(at_end, p0 - 1, p0 + 1)  # its neighbour along the way
    d_m = rng.uniform(*prm.joint_near_m, n_way)
    seg_m = np.hypot(x_all[refs[p1]] - x_all[refs[p0]], y_all[refs[p1]] - y_all[refs[p0]])
    ok = (size >= 2) & (streets[refs[p0]] >= 3) & (seg_m > d_m + 3.0)
    near_ways = rng.permutation(np.flatnonzero(ok))[:n_near]
    f = d_m[near_ways] / seg_m[near_ways]
    a, b = refs[p0[near_ways]], refs[p1[near_ways]]
    new_ids = net.new_nodes(len(near_ways))
    x_all = np.concatenate([x_all, x_all[a] + f * (x_all[b] - x_all[a])])
    y_all = np.concatenate([y_all, y_all[a] + f * (y_all[b] - y_all[a])])
    # Insert the new node twice between p0 and p1 (end of one way, start of the next).
    ins_after = np.minimum(p0[near_ways], p1[near_ways])
    # The rest at interior points: evenly spaced, so a uniform pick is proportional to length.
    lo, hi = sample_range
    taken = np.zeros(len(refs) + 1, bool)
    taken[ins_after] = True
    taken[ins_after + 1] = True
    cand = np.flatnonzero(~first & ~last & (refs >= lo) & (refs < hi) & ~taken[:-1])
    pick = rng.choice(cand, size=min(need - len(near_ways), len(cand)), replace=False)
    key = np.concatenate(
        [np.arange(len(refs)) * 3.0, ins_after * 3.0 + 1.0, ins_after * 3.0 + 2.0, pick * 3.0 + 2.5]
    )
    node = np.concatenate([refs, new_ids, new_ids, refs[pick]])
    src_way = np.concatenate([way, way[ins_after], way[ins_after], way[pick]])
    starts_way = np.concatenate(
        [first, np.zeros(len(new_ids), bool), np.ones(len(new_ids), bool), np.ones(len(pick), bool)]
    )
    order = np.argsort(key, kind="stable")
    node, src_way, starts_way = node[order], src_way[order], starts_way[order]
    new_way = np.cumsum(starts_way) - 1
    w_src = src_way[starts_way]
    size = np.bincount(new_way)
    if (size < 2).any():  # cannot happen by construction; never emit a one-node way
        raise AssertionError("synthetic generator produced a way with fewer than two nodes")
    return (node, size, way_line[w_src], way_ow[w_src]), (x_all, y_all)


def to_osm_ways(topo: Topology, rng: np.random.Generator, prm: Params, profile: str) -> OsmWays:
    """Sampling into ways, warp and projection to WGS84."""
    net = topo.net
    x, y, offsets, refs, tags = _assemble(net, rng, prm, topo)
    # Compact node ids to 1..N over referenced nodes only.
    used, inverse = np.unique(refs, return_inverse=True)
    xs, ys = x[used], y[used]
    xs, ys = _warp(rng, prm, xs, ys)
    if profile == "town":
        # A random orientation so that towns from different seeds do not all face north.
        a = rng.uniform(0, TWO_PI)
        xs, ys = xs * math.cos(a) - ys * math.sin(a), xs * math.sin(a) + ys * math.cos(a)
    e0, n0 = to_bng().transform(CENTRE_LON, CENTRE_LAT)
    lon, lat = to_wgs84().transform(xs + e0, ys + n0)
    return OsmWays(
        node_id=np.arange(1, len(used) + 1, dtype=np.int64),
        lon=np.asarray(lon, dtype=np.float64),
        lat=np.asarray(lat, dtype=np.float64),
        way_id=np.arange(1, len(tags) + 1, dtype=np.int64),
        way_offsets=offsets,
        way_refs=(inverse.astype(np.int64) + 1),
        way_tags=tags,
    )
