"""Leaf features: cul-de-sacs, crescents and ragged built-up edges.

Leaf blocks of the guillotine partition receive cul-de-sacs (straight, or bent at a right
angle) and crescents (curved streets leaving a block side and returning to it). The number
of cul-de-sacs is solved for the profile's dead-end share. Loose street ends at the edge of
the built-up area are pulled back by random amounts so that edges are not straight lines.
"""

from __future__ import annotations

import logging

import numpy as np

from planner.roads.synthetic.blocks import cell_dims, take_rows
from planner.roads.synthetic.lines import Net
from planner.roads.synthetic.profiles import (
    AXIS,
    B_ARCH,
    B_QUAD_END,
    B_QUAD_START,
    R_ARTERIAL,
    R_CRESCENT,
    R_SPUR,
    R_SPUR_LEG,
    R_STREET,
    Params,
)

log = logging.getLogger(__name__)


def _host_range(
    net: Net, host: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Clamp a leaf side's range to the part its host line covers (loose ends may be trimmed)."""
    tab = net.table
    h = np.maximum(host, 0)
    open_ = (host >= 0) & ~tab["closed"][h]
    ha = np.minimum(tab["a0"][h], tab["a1"][h])
    hb = np.maximum(tab["a0"][h], tab["a1"][h])
    return np.where(open_, np.maximum(lo, ha), lo), np.where(open_, np.minimum(hi, hb), hi)


def _leaf_sides(
    net: Net, leaves: dict[str, np.ndarray], rng: np.random.Generator, ok: np.ndarray
) -> np.ndarray:
    """Pick a side (0=L, 1=R, 2=B, 3=T) with a road for each leaf, weighted by length; -1 if none."""
    w, h = cell_dims(net, leaves)
    weights = []
    for i, key in enumerate(("sL", "sR", "sB", "sT")):
        along_u = i >= 2
        lo = leaves["u0"] if along_u else leaves["v0"]
        hi = leaves["u1"] if along_u else leaves["v1"]
        clo, chi = _host_range(net, leaves[key], lo, hi)
        length = (w if along_u else h) * np.clip((chi - clo) / (hi - lo), 0.0, 1.0)
        # Too short a stretch of road for a house frontage: no feature on this side.
        weights.append(np.where((leaves[key] >= 0) & (length > 30.0), length, 0.0))
    weight = np.stack(weights, 1) * ok[:, None]
    total = weight.sum(1)
    pick = np.full(len(total), -1)
    good = total > 0
    cum = np.cumsum(weight[good], 1) / total[good, None]
    pick[good] = (rng.random(good.sum())[:, None] > cum).sum(1)
    return pick


def _side_geometry(
    net: Net, leaves: dict[str, np.ndarray], side: np.ndarray
) -> dict[str, np.ndarray]:
    """For leaves with a chosen side: host line, range along it, and inward direction."""
    idx = np.arange(len(side))
    host = np.stack([leaves["sL"], leaves["sR"], leaves["sB"], leaves["sT"]], 1)[idx, side]
    along_u = side >= 2  # sides B/T run along u
    full_lo = np.where(along_u, leaves["u0"], leaves["v0"])
    full_hi = np.where(along_u, leaves["u1"], leaves["v1"])
    lo, hi = _host_range(net, host, full_lo, full_hi)
    base = np.select(
        [side == 0, side == 1, side == 2], [leaves["u0"], leaves["u1"], leaves["v0"]], leaves["v1"]
    )
    far = np.select(
        [side == 0, side == 1, side == 2], [leaves["u1"], leaves["u0"], leaves["v1"]], leaves["v0"]
    )
    w, h = cell_dims(net, leaves)
    return {
        "host": host,
        "along_u": along_u,
        "lo": lo,
        "hi": hi,
        "base": base,
        "far": far,
        "inward": np.where(side % 2 == 0, 1.0, -1.0),
        "side_len_m": np.where(along_u, w, h) * (hi - lo) / (full_hi - full_lo),
        "depth_m": np.where(along_u, h, w),
    }


def ragged_ends(net: Net, rng: np.random.Generator, max_frac: float) -> None:
    """Pull loose street ends back by random amounts so built-up edges are not straight lines.

    An end never moves past the last junction on its line (keeping at least 10 m of stub).
    """
    tab = net.table
    h, p, n = net.attachments()
    attached = np.zeros(net.n_nodes, bool)
    attached[n] = True
    first = np.full(net.n_lines, np.inf)
    last = np.full(net.n_lines, -np.inf)
    np.minimum.at(first, h, p)
    np.maximum.at(last, h, p)
    sel = (
        tab["alive"]
        & (tab["kind"] == AXIS)
        & ~tab["closed"]
        & np.isin(tab["role"], [R_STREET, R_ARTERIAL])
    )
    a0, a1 = tab["a0"], tab["a1"]
    mid = 0.5 * (a0 + a1)
    lid = np.arange(net.n_lines)
    stub0 = 10.0 / net.metres_per_param(lid, a0)
    stub1 = 10.0 / net.metres_per_param(lid, a1)
    inner0 = np.where(np.isfinite(first), first - stub0, mid - stub0)
    inner1 = np.where(np.isfinite(last), last + stub1, mid + stub1)
    loose0 = sel & (tab["n0"] >= 0) & ~attached[np.maximum(tab["n0"], 0)] & (inner0 > a0)
    loose1 = sel & (tab["n1"] >= 0) & ~attached[np.maximum(tab["n1"], 0)] & (inner1 < a1)
    span = a1 - a0
    new0 = np.where(loose0, a0 + rng.uniform(0, max_frac, net.n_lines) * (inner0 - a0), a0)
    new1 = np.where(loose1, a1 - rng.uniform(0, max_frac, net.n_lines) * (a1 - inner1), a1)
    tab["len_m"] *= np.where(span != 0, (new1 - new0) / np.where(span != 0, span, 1.0), 1.0)
    tab["a0"][:] = new0
    tab["a1"][:] = new1


def _perp_offset_param(
    net: Net,
    patch: np.ndarray,
    along_u: np.ndarray,
    base: np.ndarray,
    at: np.ndarray,
    metres: np.ndarray,
) -> np.ndarray:
    """Parameter reached by moving ``metres`` across a side (signed), starting at ``base``.

    For a side along u the move is in v: in a polar patch v is log(radius); for a side along
    v the move is in u: in a polar patch u is an angle, so metres are divided by the radius.
    """
    polar = net.is_polar(patch)
    out = base + metres
    pv = polar & along_u
    out[pv] = np.log(np.maximum(np.exp(base[pv]) + metres[pv], 1.0))
    pu = polar & ~along_u
    out[pu] = base[pu] + metres[pu] / np.exp(at[pu])
    return out


def _opposite_junction(net: Net, host: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Parameter of the first junction on ``host`` strictly between ``lo`` and ``hi`` (NaN if none)."""
    h, p, _ = net.attachments()
    # One sortable key per (host, parameter): parameters are below 1e6 in every patch kind.
    key = h.astype(np.float64) * 1e6 + p
    order = np.argsort(key)
    key = key[order]
    idx = np.searchsorted(key, host * 1e6 + lo, side="right")
    idx_c = np.minimum(idx, len(key) - 1)
    found = (idx < len(key)) & (key[idx_c] < host * 1e6 + hi)
    return np.where(found, p[order][idx_c], np.nan)


def add_spurs(
    net: Net,
    rng: np.random.Generator,
    prm: Params,
    leaves: dict[str, np.ndarray],
    n_nodes: int,
    n_dead: int,
    zone_hw: int,
) -> None:
    """Add cul-de-sacs (straight or with a right-angle bend) until the dead-end share is met.

    ``n_nodes`` and ``n_dead`` are the simplified node and dead-end counts so far. Each
    cul-de-sac adds a dead end and a junction on its host, except when it starts opposite a
    side street (a crossroads then replaces a T-junction). The one-way/two-way change nodes
    added later are ``deg2_share`` of the final count, which the target accounts for.
    """
    n_leaves = len(leaves["patch"]) if leaves else 0
    if n_leaves == 0:
        return
    side = _leaf_sides(net, leaves, rng, leaves["feature_ok"].copy())
    cand = np.flatnonzero(side >= 0)
    cand = cand[rng.permutation(len(cand))]
    g = _side_geometry(net, take_rows(leaves, cand), side[cand])
    span = g["hi"] - g["lo"]
    # Some cul-de-sacs start opposite a side street, making a crossroads as real streets do.
    opposite = _opposite_junction(net, g["host"], g["lo"] + 0.2 * span, g["hi"] - 0.2 * span)
    align = (opposite == opposite) & (rng.random(len(cand)) < prm.spur_align)
    # Smallest k with n_dead + k >= share * (n_nodes + added_k) / (1 - deg2_share).
    added = np.cumsum(np.where(align, 1, 2))
    k_all = np.arange(1, len(cand) + 1)
    reached = n_dead + k_all >= prm.dead_end_share * (n_nodes + added) / (1.0 - prm.deg2_share)
    if n_dead >= prm.dead_end_share * n_nodes / (1.0 - prm.deg2_share):
        return
    n = int(np.argmax(reached)) + 1 if reached.any() else len(cand)
    take = np.arange(n)
    order = np.argsort(cand[take])
    take = take[order]
    pick = cand[take]
    lv = take_rows(leaves, pick)
    g = {k: v[take] for k, v in g.items()}
    leaves["feature_ok"][pick] = False
    f = rng.uniform(0.3, 0.7, n)
    p = np.where(align[take], opposite[take], g["lo"] + f * (g["hi"] - g["lo"]))
    log.debug("cul-de-sacs: %d, %.0f%% opposite a side street", n, 100 * align[take].mean())
    bent = rng.random(n) < prm.bent_spur_share
    depth_frac = np.where(bent, rng.uniform(0.35, 0.6, n), rng.uniform(0.35, 0.75, n))
    depth = depth_frac * g["depth_m"] * g["inward"]
    # The spur runs perpendicular to its host: constant along-parameter p.
    end = _perp_offset_param(net, lv["patch"], g["along_u"], g["base"], p, depth)
    start_first = g["inward"] > 0
    a0 = np.where(start_first, g["base"], end)
    a1 = np.where(start_first, end, g["base"])
    # A gentle sideways bow on straight spurs, zero where they meet the host.
    room = np.minimum(p - g["lo"], g["hi"] - p) * 0.3
    bow = np.where(bent, 0.0, rng.uniform(-1, 1, n) * room)
    ids = net.add_lines(
        n,
        kind=AXIS,
        patch=lv["patch"],
        orient=np.where(g["along_u"], 0, 1),
        c=p,
        a0=a0,
        a1=a1,
        bend=bow,
        bend_kind=np.where(start_first, B_QUAD_START, B_QUAD_END),
        dir=np.where(start_first, 1, -1),
        role=R_SPUR,
        hw=zone_hw,
        zone=lv["zone"],
        level=lv["level"] + 1,
        len_m=np.abs(depth),
        settle=lv["settle"],
    )
    tab = net.table
    host_node = np.where(start_first, tab["n0"][ids], tab["n1"][ids])
    far_node = np.where(start_first, tab["n1"][ids], tab["n0"][ids])
    net.attach(g["host"], p, host_node)
    # Bent spurs: a second leg parallel to the host from the far end, mostly towards the
    # roomier side. It continues the spur's way (an L-shaped close is one OSM way), so the
    # corner is not a junction for any normaliser.
    b = np.flatnonzero(bent)
    if len(b):
        room_lo = p[b] - g["lo"][b]
        room_hi = g["hi"][b] - p[b]
        direction = np.where(room_hi > room_lo, 1.0, -1.0) * np.where(
            rng.random(len(b)) < 0.8, 1, -1
        )
        room = np.where(direction > 0, room_hi, room_lo)
        leg = rng.uniform(0.45, 0.8, len(b)) * room
        q = p[b] + direction * leg
        leg_a0 = np.minimum(p[b], q)
        leg_a1 = np.maximum(p[b], q)
        corner_first = direction > 0
        free = net.new_nodes(len(b))
        cn = far_node[b]
        # Metres per parameter unit at the corner: the spur's scale there is the leg's too.
        leg_m = np.abs(leg) * net.metres_per_param(ids[b], end[b])
        net.add_lines(
            len(b),
            kind=AXIS,
            patch=lv["patch"][b],
            orient=np.where(g["along_u"][b], 1, 0),
            c=end[b],
            a0=leg_a0,
            a1=leg_a1,
            n0=np.where(corner_first, cn, free),
            n1=np.where(corner_first, free, cn),
            chain=ids[b],
            chain_rank=1,
            dir=np.where(corner_first, 1, -1),
            role=R_SPUR_LEG,
            hw=zone_hw,
            zone=lv["zone"][b],
            level=lv["level"][b] + 1,
            len_m=leg_m,
            settle=lv["settle"][b],
        )


def add_crescents(
    net: Net,
    rng: np.random.Generator,
    prm: Params,
    leaves: dict[str, np.ndarray],
    share: float,
    zone_hw: int,
) -> None:
    """Add crescents: curved streets leaving a block side and returning to it."""
    n_leaves = len(leaves["patch"]) if leaves else 0
    if n_leaves == 0 or share <= 0:
        return
    want = rng.random(n_leaves) < share
    ok = leaves["feature_ok"] & want
    side = _leaf_sides(net, leaves, rng, ok)
    pick = np.flatnonzero(side >= 0)
    if len(pick) == 0:
        return
    lv = take_rows(leaves, pick)
    g = _side_geometry(net, lv, side[pick])
    # Only on sides long enough for a crescent with room for its houses.
    good = g["side_len_m"] > 70.0
    pick, lv = pick[good], take_rows(lv, good)
    g = {k: v[good] for k, v in g.items()}
    n = len(pick)
    if n == 0:
        return
    leaves["feature_ok"][pick] = False
    span = g["hi"] - g["lo"]
    p1 = g["lo"] + rng.uniform(0.12, 0.25, n) * span
    p2 = g["hi"] - rng.uniform(0.12, 0.25, n) * span
    chord_m = (p2 - p1) / span * g["side_len_m"]
    bulge_m = np.minimum(rng.uniform(*prm.crescent_depth, n) * chord_m, 0.7 * g["depth_m"])
    # Bulge in patch units across the host; for polar arcs (sides along u) it is in log r.
    polar = net.is_polar(lv["patch"])
    bend = bulge_m * g["inward"]
    pv = polar & g["along_u"]
    bend[pv] = np.log(
        (np.exp(g["base"][pv]) + bulge_m[pv] * g["inward"][pv]) / np.exp(g["base"][pv])
    )
    pu = polar & ~g["along_u"]
    bend[pu] = bulge_m[pu] * g["inward"][pu] / np.exp(0.5 * (p1[pu] + p2[pu]))
    ids = net.add_lines(
        n,
        kind=AXIS,
        patch=lv["patch"],
        orient=np.where(g["along_u"], 1, 0),
        c=g["base"],
        a0=p1,
        a1=p2,
        bend=bend,
        bend_kind=B_ARCH,
        role=R_CRESCENT,
        hw=zone_hw,
        zone=lv["zone"],
        level=lv["level"] + 1,
        len_m=chord_m * 1.2,
        settle=lv["settle"],
    )
    tab = net.table
    net.attach(g["host"], p1, tab["n0"][ids])
    net.attach(g["host"], p2, tab["n1"][ids])
