"""The ``town`` profile's layout: a centre grid, ring roads, radial arterials and suburbs.

An affine centre patch holds a cross of main streets inside the inner ring road; a log-polar
patch around it holds the suburbs, cut into sectors by radial arterials and an outer ring
road. Every sector and quadrant is then cut into blocks by :func:`.blocks.guillotine`.
Calibrated against the City of London drive network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from planner.roads.synthetic.blocks import concat_rows, guillotine, make_cells
from planner.roads.synthetic.features import ragged_ends
from planner.roads.synthetic.lines import Net
from planner.roads.synthetic.profiles import (
    AFFINE,
    AXIS,
    POLAR,
    PRIMARY,
    R_ARTERIAL,
    R_HIGH,
    R_RING,
    SECONDARY,
    TERTIARY,
    TRUNK,
    TWO_PI,
    Z_CENTRE,
    Z_SUBURB,
    Params,
)
from planner.roads.synthetic.randomness import Streams


@dataclass(frozen=True)
class _Skeleton:
    """The town's main roads: ring roads and radial arterials, and the patches they lie in."""

    radius_m: float
    r_c: float  # radius of the inner ring road (the centre)
    r_ring: float  # radius of the outer ring road
    centre: int  # affine patch of the centre
    polar: int  # log-polar patch of the suburbs
    inner_ring: int
    outer_ring: int
    th1: np.ndarray  # angles of the arterials between the rings
    th2: np.ndarray  # angles of the arterials beyond the outer ring
    rad_in: np.ndarray
    rad_out: np.ndarray
    edge_r: np.ndarray  # radius of the built-up edge of each outer sector


def build_town(net: Net, rs: Streams, prm: Params, n_target: float) -> dict[str, np.ndarray]:
    """Lay out the town: centre grid, inner ring, suburbs with radial arterials, outer ring.

    Returns the leaf blocks, with ``feature_ok`` set where cul-de-sacs and crescents fit.
    """
    sk = _skeleton(net, rs.layout, math.sqrt(n_target / prm.nodes_per_km2 * 1e6 / math.pi))
    cross = _centre_cross(net, sk)
    leaves = guillotine(net, rs.key, prm, _root_cells(prm, sk, cross))
    _clip_centre(net, sk.centre, sk.inner_ring, sk.r_c)
    ragged_ends(net, rs.feat, 0.5)
    # Blocks cut by the inner ring get no cul-de-sacs or crescents (they could cross it).
    w_ok = np.ones(len(leaves["patch"]), bool)
    in_centre = leaves["patch"] == sk.centre
    corners = [
        (leaves["u0"], leaves["v0"]),
        (leaves["u0"], leaves["v1"]),
        (leaves["u1"], leaves["v0"]),
        (leaves["u1"], leaves["v1"]),
    ]
    for cu, cv in corners:
        w_ok &= ~in_centre | (cu**2 + cv**2 < (sk.r_c - 5.0) ** 2)
    leaves["feature_ok"] = w_ok
    return leaves


def _skeleton(net: Net, rng: np.random.Generator, radius_m: float) -> _Skeleton:
    """Add the two ring roads and the radial arterials inside and beyond the outer ring."""
    r_c = 0.3 * radius_m
    r_ring = 0.65 * radius_m
    centre = int(net.add_patches(AFFINE, np.zeros(1), np.zeros(1), np.zeros(1))[0])
    polar = int(net.add_patches(POLAR, np.zeros(1), np.zeros(1), np.zeros(1))[0])
    inner_ring, outer_ring = net.add_lines(
        2,
        kind=AXIS,
        patch=polar,
        orient=1,
        c=np.log([r_c, r_ring]),
        a0=0.0,
        a1=TWO_PI,
        closed=True,
        role=R_RING,
        hw=np.array([PRIMARY, TRUNK]),
        zone=Z_SUBURB,
        len_m=TWO_PI * np.array([r_c, r_ring]),
    )
    # Radial arterials: a multiple of 4 so that four of them continue across the centre.
    spacing = 1400.0
    k1 = 4 * max(1, round(TWO_PI * 0.5 * (r_c + r_ring) / (4 * spacing)))
    k2 = 2 * k1
    th1 = np.arange(k1) * TWO_PI / k1
    th2 = np.arange(k2) * TWO_PI / k2
    # Arterials are keyed by angle: the pieces inside and outside the outer ring are one road.
    rad_in = net.add_lines(
        k1,
        route=1_000_000 + np.round(th1 * 1e4).astype(np.int64),
        kind=AXIS,
        patch=polar,
        orient=0,
        c=th1,
        a0=math.log(r_c),
        a1=math.log(r_ring),
        role=R_ARTERIAL,
        hw=np.where(np.arange(k1) % 2 == 0, PRIMARY, SECONDARY),
        len_m=r_ring - r_c,
    )
    tab = net.table
    net.attach(np.full(k1, inner_ring), th1, tab["n0"][rad_in])
    net.attach(np.full(k1, outer_ring), th1, tab["n1"][rad_in])
    # The built-up edge is ragged: each outer sector ends at its own radius, and each outer
    # radial reaches the further of its two sectors' edges.
    edge_r = radius_m * rng.uniform(0.88, 1.1, k2)
    rad_out = net.add_lines(
        k2,
        route=1_000_000 + np.round(th2 * 1e4).astype(np.int64),
        kind=AXIS,
        patch=polar,
        orient=0,
        c=th2,
        a0=math.log(r_ring),
        a1=np.log(np.maximum(edge_r, np.roll(edge_r, 1))),
        role=R_ARTERIAL,
        hw=np.where(
            np.arange(k2) % 4 == 0, PRIMARY, np.where(np.arange(k2) % 2 == 0, SECONDARY, TERTIARY)
        ),
        len_m=radius_m - r_ring,
    )
    tab = net.table
    net.attach(np.full(k2, outer_ring), th2, tab["n0"][rad_out])
    return _Skeleton(
        radius_m,
        r_c,
        r_ring,
        centre,
        polar,
        int(inner_ring),
        int(outer_ring),
        th1,
        th2,
        rad_in,
        rad_out,
        edge_r,
    )


def _centre_cross(net: Net, sk: _Skeleton) -> tuple[int, int, int]:
    """A cross of two main streets in the centre; returns the vertical and two half lines.

    They continue the arterials at 0, 90, 180 and 270 degrees once clipped to the inner ring.
    """
    r_c = sk.r_c
    v_line = net.add_lines(
        1,
        kind=AXIS,
        patch=sk.centre,
        orient=0,
        c=0.0,
        a0=-r_c,
        a1=r_c,
        role=R_HIGH,
        hw=SECONDARY,
        zone=Z_CENTRE,
        len_m=2 * r_c,
    )
    h_lines = net.add_lines(
        2,
        kind=AXIS,
        patch=sk.centre,
        orient=1,
        c=0.0,
        a0=np.array([-r_c, 0.0]),
        a1=np.array([0.0, r_c]),
        role=R_HIGH,
        hw=SECONDARY,
        zone=Z_CENTRE,
        len_m=r_c,
    )
    tab = net.table
    net.attach(
        np.full(2, v_line[0]), np.zeros(2), np.array([tab["n1"][h_lines[0]], tab["n0"][h_lines[1]]])
    )
    return int(v_line[0]), int(h_lines[0]), int(h_lines[1])


def _root_cells(prm: Params, sk: _Skeleton, cross: tuple[int, int, int]) -> dict[str, np.ndarray]:
    """The cells to cut into blocks: centre quadrants, inner and outer suburb sectors."""
    r_c, r_ring = sk.r_c, sk.r_ring
    vl, hl, hr = cross
    k1, k2 = len(sk.th1), len(sk.th2)
    quads = make_cells(
        prm,
        4,
        patch=sk.centre,
        u0=np.array([-r_c, 0.0, -r_c, 0.0]),
        u1=np.array([0.0, r_c, 0.0, r_c]),
        v0=np.array([0.0, 0.0, -r_c, -r_c]),
        v1=np.array([r_c, r_c, 0.0, 0.0]),
        sL=np.array([-1, vl, -1, vl]),
        sR=np.array([vl, -1, vl, -1]),
        sB=np.array([hl, hr, -1, -1]),
        sT=np.array([-1, -1, hl, hr]),
        zone=Z_CENTRE,
        level=1,
    )
    th1e = np.append(sk.th1, TWO_PI)
    th2e = np.append(sk.th2, TWO_PI)
    inner_cells = make_cells(
        prm,
        k1,
        patch=sk.polar,
        u0=th1e[:-1],
        u1=th1e[1:],
        v0=math.log(r_c),
        v1=math.log(r_ring),
        sL=sk.rad_in,
        sR=np.roll(sk.rad_in, -1),
        sB=sk.inner_ring,
        sT=sk.outer_ring,
        zone=Z_SUBURB,
        level=1,
    )
    outer_cells = make_cells(
        prm,
        k2,
        patch=sk.polar,
        u0=th2e[:-1],
        u1=th2e[1:],
        v0=math.log(r_ring),
        v1=np.log(sk.edge_r),
        sL=sk.rad_out,
        sR=np.roll(sk.rad_out, -1),
        sB=sk.outer_ring,
        sT=-1,
        zone=Z_SUBURB,
        level=1,
    )
    # Root keys: quadrants 1-4, inner sectors 101.., outer sectors 1001.. (stable ids).
    quads["key"] = np.arange(1, 5)
    inner_cells["key"] = 101 + np.arange(k1)
    outer_cells["key"] = 1001 + np.arange(k2)
    return concat_rows([quads, inner_cells, outer_cells])


def _clip_centre(net: Net, centre: int, ring: int, r_c: float) -> None:
    """Clip the centre's lines to the inner ring; clipped ends become T-junctions on the ring."""
    tab = net.table
    sel = np.flatnonzero((tab["patch"] == centre) & (tab["kind"] == AXIS))
    c = tab["c"][sel]
    half = np.sqrt(np.maximum(r_c**2 - c**2, 0.0))
    a0, a1 = tab["a0"][sel], tab["a1"][sel]
    new0 = np.maximum(a0, -half)
    new1 = np.minimum(a1, half)
    alive = (np.abs(c) < r_c) & (new1 > new0 + 1e-6)
    out0 = a0 <= -half + 1e-9
    out1 = a1 >= half - 1e-9
    tab["a0"][sel] = new0
    tab["a1"][sel] = new1
    tab["alive"][sel] = alive
    tab["len_m"][sel] = new1 - new0
    dead_nodes = np.concatenate([tab["n0"][sel[~alive]], tab["n1"][sel[~alive]]])
    moved = np.concatenate([tab["n0"][sel[out0 & alive]], tab["n1"][sel[out1 & alive]]])
    h, p, n = net.attachments()
    drop = np.isin(n, np.concatenate([dead_nodes, moved])) | ~tab["alive"][h]
    net.set_attachments(h[~drop], p[~drop], n[~drop])
    # New attachments on the ring at the angle of each clipped end.
    orient = tab["orient"][sel]
    for out, end_t, end_node in ((out0, new0, "n0"), (out1, new1, "n1")):
        m = out & alive
        cc, tt = c[m], end_t[m]
        x = np.where(orient[m] == 0, cc, tt)
        y = np.where(orient[m] == 0, tt, cc)
        theta = np.mod(np.arctan2(y, x), TWO_PI)
        net.attach(np.full(m.sum(), ring), theta, tab[end_node][sel[m]])
