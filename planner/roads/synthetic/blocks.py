"""Blocks: cells of a patch cut recursively (a guillotine partition) into street blocks.

Each cut is a new street whose two ends meet the block's sides in T-junctions, which is why
real street networks are dominated by three-way junctions. Cells are dicts of equal-length
arrays (one row per cell), so a whole level of the cut tree is cut at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtri

from planner.roads.synthetic.lines import Net
from planner.roads.synthetic.profiles import AXIS, R_STREET, Z_SUBURB, Params
from planner.roads.synthetic.randomness import hash_uniform


def take_rows(d: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    """The rows of a table of cells (a dict of equal-length columns) that ``mask`` selects."""
    return {k: v[mask] for k, v in d.items()}


def concat_rows(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Tables of cells stacked into one; empty tables are skipped (``{}`` if all are)."""
    parts = [p for p in parts if len(p["patch"])]
    if not parts:
        return {}
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def cell_dims(net: Net, c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Width (along u) and height (along v) of cells in metres."""
    polar = net.is_polar(c["patch"])
    w = c["u1"] - c["u0"]
    h = c["v1"] - c["v0"]
    r0 = np.exp(np.where(polar, c["v0"], 0.0))
    r1 = np.exp(np.where(polar, c["v1"], 0.0))
    w = np.where(polar, w * 0.5 * (r0 + r1), w)
    h = np.where(polar, r1 - r0, h)
    return w, h


def make_cells(prm: Params, n: int, **cols: Any) -> dict[str, np.ndarray]:
    """Root cells; sides default to -1 (no road: line ends there stay loose).

    ``key`` identifies a root cell for its random draws (see :func:`guillotine`).
    """
    base: dict[str, Any] = {
        "sL": -1,
        "sR": -1,
        "sB": -1,
        "sT": -1,
        "force": False,
        "zone": Z_SUBURB,
        "level": 0,
        "settle": -1,
        "block": prm.block_m,
        "key": np.arange(1, n + 1),
    }
    base.update(cols)
    out = {}
    for k, v in base.items():
        dt = (
            np.float64
            if k in ("u0", "u1", "v0", "v1", "block")
            else (bool if k == "force" else np.int64)
        )
        out[k] = np.array(np.broadcast_to(np.asarray(v, dtype=dt), (n,)))
    return out


def guillotine(
    net: Net, seed_key: int, prm: Params, cells: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Cut cells recursively into blocks; every cut is a street T-ing into the block sides.

    The random draws of a cell are a hash of its path in the cut tree (root key, child
    bits, level), not the next numbers of a stream: a settlement keeps its streets when the
    county around it is resized, so the size search converges instead of reshuffling.

    Returns the leaf cells (blocks) with the ids of the lines along their four sides.
    """
    leaves = []
    while cells and len(cells["patch"]):
        u_thr, u_f, u_swap = (
            np.clip(hash_uniform(seed_key, cells["key"], cells["level"], ch), 1e-9, 1 - 1e-9)
            for ch in range(3)
        )
        cells["thr"] = cells["block"] * np.exp(prm.block_sigma * ndtri(u_thr))
        w, h = cell_dims(net, cells)
        split = cells["force"] | (np.maximum(w, h) > cells["thr"])
        leaves.append(take_rows(cells, ~split))
        c = take_rows(cells, split)
        u_f, u_swap = u_f[split], u_swap[split]
        w, h = w[split], h[split]
        n = len(c["patch"])
        if n == 0:
            break
        # Cut across the longer side (blocks stay compact); sometimes across the shorter one
        # while it is still long, which gives the irregular, non-grid look of old towns.
        cut_u = w >= h
        swap = (u_swap < prm.p_cut_short) & (np.minimum(w, h) > 0.8 * c["thr"])
        cut_u ^= swap
        # A new street must meet at least one existing one: at a settlement's edge the block
        # sides are open country, and a cut between two open sides would float unconnected.
        root = (c["sL"] < 0) & (c["sR"] < 0) & (c["sB"] < 0) & (c["sT"] < 0)
        meets_u = (c["sB"] >= 0) | (c["sT"] >= 0)  # a constant-u cut ends on B and T
        meets_v = (c["sL"] >= 0) | (c["sR"] >= 0)
        cut_u = np.where(~root & cut_u & ~meets_u, False, cut_u)
        cut_u = np.where(~root & ~cut_u & ~meets_v, True, cut_u)
        f = prm.split_frac[0] + (prm.split_frac[1] - prm.split_frac[0]) * u_f
        polar = net.is_polar(c["patch"])
        us = c["u0"] + f * (c["u1"] - c["u0"])
        r0 = np.exp(np.where(polar, c["v0"], 0.0))
        r1 = np.exp(np.where(polar, c["v1"], 0.0))
        vs = np.where(
            polar, np.log(np.maximum(r0 + f * (r1 - r0), 1e-9)), c["v0"] + f * (c["v1"] - c["v0"])
        )
        const = np.where(cut_u, us, vs)
        ids = net.add_lines(
            n,
            kind=AXIS,
            patch=c["patch"],
            orient=np.where(cut_u, 0, 1),
            c=const,
            a0=np.where(cut_u, c["v0"], c["u0"]),
            a1=np.where(cut_u, c["v1"], c["u1"]),
            role=R_STREET,
            zone=c["zone"],
            level=c["level"],
            len_m=np.where(cut_u, h, w),
            settle=c["settle"],
        )
        tab = net.table
        net.attach(np.where(cut_u, c["sB"], c["sL"]), const, tab["n0"][ids])
        net.attach(np.where(cut_u, c["sT"], c["sR"]), const, tab["n1"][ids])
        lo = {k: v.copy() for k, v in c.items()}
        hi = {k: v.copy() for k, v in c.items()}
        lo["u1"] = np.where(cut_u, us, c["u1"])
        lo["sR"] = np.where(cut_u, ids, c["sR"])
        hi["u0"] = np.where(cut_u, us, c["u0"])
        hi["sL"] = np.where(cut_u, ids, c["sL"])
        lo["v1"] = np.where(cut_u, c["v1"], vs)
        lo["sT"] = np.where(cut_u, c["sT"], ids)
        hi["v0"] = np.where(cut_u, c["v0"], vs)
        hi["sB"] = np.where(cut_u, c["sB"], ids)
        for bit, d in enumerate((lo, hi)):
            d["force"] = np.zeros(n, dtype=bool)
            d["level"] = c["level"] + 1
            d["key"] = 2 * c["key"] + bit
        cells = concat_rows([lo, hi])
    return concat_rows(leaves)
