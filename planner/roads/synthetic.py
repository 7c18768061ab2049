"""Synthetic UK-like road networks: the built-in demo area and the input for scale benchmarks.

Two profiles are generated from an explicit seed and a target size (about 1,000 to 500,000
nodes of the simplified car network):

``town``
    An irregular street grid inside an inner ring road, suburbs split by radial arterials and
    an outer ring road, crescents (curved streets), cul-de-sacs (straight and bent), one-way
    streets and roundabouts. Calibrated against the City of London drive network.
``county``
    Market towns and villages joined by meandering rural roads, dead-end farm lanes, A and B
    roads between the market towns and a trunk road across the county. Calibrated against
    Rutland.

How it is built (everything vectorised with numpy, so 500,000 nodes take seconds):

1. Streets are *lines* in a patch's parameter space ``(u, v)``; a patch maps ``(u, v)`` to
   metres either affinely (rotated grid) or log-polarly (``u`` = angle, ``v`` = log radius,
   so constant-``v`` lines are arcs and constant-``u`` lines are radials).
2. Blocks are cut recursively (a guillotine partition): each cut is a new street whose two
   ends meet the block's sides in T-junctions, which is why real street networks are
   dominated by three-way junctions. T-junctions from opposite sides that nearly line up
   are merged into crossroads.
3. Leaf blocks receive cul-de-sacs and crescents; roads between settlements are smooth
   random curves between their loose street ends.
4. Statistics the calibration targets are hit by construction where possible (the number
   of cul-de-sacs is solved for the dead-end share, one-way streets are drawn until the
   one-way share of directed edges is met); the remaining constants were tuned with
   ``scripts/compare_synthetic.py`` against the City of London and Rutland.
5. Lines are sampled into OSM ways (junction nodes shared between ways, interior points
   every few tens of metres). Ways are also split mid-street at the rate real OSM data is
   (tag changes), so the data looks alike to a normaliser that keeps every shared node as
   a junction and to one that merges them as osmnx does. One-way streets that would cut
   places off are made two-way, so the car network is strongly connected.
6. A smooth random displacement field bends everything a little, and British National Grid
   metres are converted to WGS84 with pyproj.

Sizing: the area is derived from ``n_nodes``; the exact simplified-node count is known
before sampling, so the build is repeated with a corrected scale (a few times at most) until
it is within 3%. Randomness comes from explicit ``numpy.random.Generator`` streams seeded by
``(seed, profile, n_nodes)``; block cuts and settlement layout use counter-based hashes of
their position in the layout instead, so that rescaling does not reshuffle them. No global
random state is used.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pyproj
import scipy.sparse as sp
from scipy.sparse import csgraph
from scipy.spatial import Delaunay
from scipy.special import ndtri

from planner.errors import InputError
from planner.roads.osm import OsmWays

log = logging.getLogger(__name__)

#: The profiles :func:`generate_network` accepts.
PROFILES: tuple[str, ...] = ("town", "county")

#: Bumped whenever the output for a given (profile, n_nodes, seed, name) changes; caches of
#: generated networks should include it in their key.
GENERATOR_VERSION = 2

#: Smallest and largest supported target sizes (simplified car-network nodes).
MIN_NODES = 200
MAX_NODES = 2_000_000

# OSM highway classes; the index is the class code used in the line tables.
_HIGHWAY = (
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "unclassified",
    "residential",
    "living_street",
)
TRUNK, PRIMARY, SECONDARY, TERTIARY, UNCLASSIFIED, RESIDENTIAL, LIVING = range(7)

# UK maxspeed values; the index is the speed code ("" means no maxspeed tag).
_SPEEDS = ("", "10 mph", "20 mph", "30 mph", "40 mph", "50 mph", "60 mph", "70 mph", "national")
S_NONE, S10, S20, S30, S40, S50, S60, S70, S_NAT = range(9)

# Line geometry kinds, patch kinds, line roles and zones.
AXIS, SINE = 0, 1
AFFINE, POLAR = 0, 1
R_STREET, R_RING, R_ARTERIAL, R_SPUR, R_CRESCENT, R_LINK, R_LANE, R_HIGH, R_SPUR_LEG = range(9)
Z_CENTRE, Z_SUBURB, Z_TOWN, Z_VILLAGE, Z_RURAL = range(5)

# Bend shapes of AXIS lines (offset across the line, zero where the line meets its host).
B_NONE, B_QUAD_START, B_ARCH, B_QUAD_END = range(4)

# Centre of the fictional area: the rural Leicestershire/Nottinghamshire border (Danelaw
# "-by" country). Towns of any size and counties up to ~150,000 nodes (about 180 km across)
# stay inside England; a 500,000-node county is ~330 km across and reaches into Wales.
CENTRE_LON, CENTRE_LAT = -1.05, 52.80
_BNG = "EPSG:27700"

TWO_PI = 2.0 * math.pi


@dataclass(frozen=True)
class _Params:
    """Calibration constants of one profile (lengths in metres, shares are fractions).

    The targets (``*_share``) are hit by construction; the rest were tuned against the real
    reference networks with ``scripts/compare_synthetic.py``.
    """

    nodes_per_km2: float  # density of simplified nodes, used to size the area
    block_m: float  # blocks are cut until their longer side is below about this
    block_sigma: float  # per-block lognormal spread of block_m (wide: realistic long tail)
    split_frac: tuple[float, float]  # where a block is cut, as a fraction of its side
    p_cut_short: float  # chance to cut across the shorter side (irregular blocks)
    merge_tol_m: float  # T-junctions from opposite sides closer than this become crossroads
    dead_end_share: float
    deg2_share: float  # nodes where a street changes between one-way and two-way
    oneway_share: float  # of directed edges
    crescent_per_leaf: float
    crescent_depth: tuple[float, float]  # bulge as a fraction of the chord
    bent_spur_share: float  # cul-de-sacs with a right-angle bend
    spur_align: float  # chance a cul-de-sac starts opposite a side street (crossroads)
    roundabout_p: float  # chance that a major junction is a roundabout
    roundabout_radius_m: float
    warp_amp_m: float
    warp_wavelength_m: tuple[float, float]
    spacing_m: float  # distance between interior way points
    joint_rate: float  # ways split mid-street (tag changes in real OSM), per simplified node
    joint_near_share: float  # share of those splits a few metres from a junction
    joint_near_m: tuple[float, float]  # how far from the junction
    size_factor: float = 1.0  # first guess of n_target per requested node (saves rebuilds)


_TOWN = _Params(
    nodes_per_km2=205.0,
    block_m=200.0,
    block_sigma=0.6,
    split_frac=(0.12, 0.88),
    p_cut_short=0.12,
    merge_tol_m=4.0,
    dead_end_share=0.225,
    deg2_share=0.075,
    oneway_share=0.275,
    crescent_per_leaf=0.06,
    crescent_depth=(0.22, 0.38),
    bent_spur_share=0.55,
    spur_align=0.9,
    roundabout_p=0.5,
    roundabout_radius_m=14.0,
    warp_amp_m=12.0,
    warp_wavelength_m=(350.0, 1800.0),
    spacing_m=22.0,
    joint_rate=1.1,
    joint_near_share=0.6,
    joint_near_m=(1.5, 10.0),
)

_COUNTY = _Params(
    nodes_per_km2=6.8,  # unused: the county is sized by node budgets (_CountyLayout)
    block_m=160.0,
    block_sigma=0.6,
    split_frac=(0.2, 0.8),
    p_cut_short=0.15,
    merge_tol_m=4.0,
    dead_end_share=0.333,
    deg2_share=0.0015,
    oneway_share=0.042,
    crescent_per_leaf=0.04,
    crescent_depth=(0.2, 0.35),
    bent_spur_share=0.35,
    spur_align=0.3,
    roundabout_p=0.6,
    roundabout_radius_m=16.0,
    warp_amp_m=8.0,
    warp_wavelength_m=(300.0, 1500.0),
    spacing_m=35.0,
    joint_rate=0.183,
    joint_near_share=0.2,
    joint_near_m=(3.0, 15.0),
    size_factor=0.78,
)

_PARAMS = {"town": _TOWN, "county": _COUNTY}


@dataclass(frozen=True)
class _CountyLayout:
    """Settlement pattern of the county profile.

    In Rutland (the reference) 83% of the 2,673 nodes lie in about 100 clusters (Oakham 540,
    Uppingham 180, villages and hamlets of 5 to 90 nodes); the roads between them are a
    quarter of the edges, median 260 m, mean 665 m. Node budgets below are shares of the
    target size before cul-de-sacs are added (those come on top, mostly in settlements).
    """

    town_node_share: float = 0.15
    village_node_share: float = 0.42
    town_nodes: float = 330.0  # median market town
    village_nodes: float = 11.0  # median village
    village_sigma: float = 0.8
    settle_spacing_m: float = 2850.0
    blocks_per_node: float = 0.36  # settlement footprint per street node, in blocks
    road_m_per_node: float = 292.0  # road length budget per requested node (estimated lengths)
    lane_share: float = 0.05  # of that budget nominally left for farm lanes
    meander: tuple[float, float, float] = (0.12, 0.06, 0.035)
    lanes_per_km: float = 0.6  # typical density; the budget decides the actual number
    lane_median_m: float = 350.0
    junctions_per_settlement: float = 1.0
    trunk_every_m: float = 60_000.0


_LAYOUT = _CountyLayout()


# ============================================================================ line tables

_LINE_COLS: dict[str, tuple[Any, Any]] = {
    "kind": (np.int8, AXIS),
    "patch": (np.int32, -1),
    "orient": (np.int8, 0),  # AXIS: 0 = constant u (runs along v), 1 = constant v
    "c": (np.float64, 0.0),  # AXIS: the constant coordinate
    "a0": (np.float64, 0.0),  # parameter range (AXIS: patch units; SINE: 0..1)
    "a1": (np.float64, 1.0),
    "bend": (np.float64, 0.0),  # AXIS: bend amplitude across the line, patch units
    "bend_kind": (np.int8, B_NONE),
    "x0": (np.float64, 0.0),  # SINE: end points in metres and meander coefficients
    "y0": (np.float64, 0.0),
    "x1": (np.float64, 0.0),
    "y1": (np.float64, 0.0),
    "m1": (np.float64, 0.0),
    "m2": (np.float64, 0.0),
    "m3": (np.float64, 0.0),
    "closed": (np.bool_, False),
    "n0": (np.int64, -1),
    "n1": (np.int64, -1),
    "hw": (np.int8, RESIDENTIAL),
    "role": (np.int8, R_STREET),
    "zone": (np.int8, Z_SUBURB),
    "level": (np.int16, 0),
    "len_m": (np.float64, 0.0),
    "settle": (np.int32, -1),
    "twin": (np.int64, -1),  # the other carriageway of a dual carriageway
    "route": (np.int64, -1),  # lines of one named/numbered road share a route key
    "chain": (np.int64, -1),  # this line continues the way of that line (bent cul-de-sacs)
    "chain_rank": (np.int8, 0),  # position in its chain
    "dir": (np.int8, 1),  # -1: the way runs from a1 to a0
    "alive": (np.bool_, True),
    "oneway": (np.bool_, False),
    "ow_rev": (np.bool_, False),
    "speed": (np.int8, S_NONE),
    "name": (np.int32, -1),
    "ref": (np.int32, -1),
}


class _Net:
    """Growing struct-of-arrays tables: patches, lines, and line ends attached to host lines."""

    def __init__(self) -> None:
        self._chunks: dict[str, list[np.ndarray]] = {k: [] for k in _LINE_COLS}
        self.n_lines = 0
        self.n_nodes = 0
        self._att: list[list[np.ndarray]] = [[], [], []]
        self._patch: list[tuple[int, float, float, float]] = []
        self._patch_arr: tuple[np.ndarray, ...] | None = None
        self.names: list[str] = []
        self.refs: list[str] = []

    # ----------------------------------------------------------------- patches
    def add_patches(
        self, kind: int, ox: np.ndarray, oy: np.ndarray, angle: np.ndarray
    ) -> np.ndarray:
        """Add patches of one kind; return their ids."""
        start = len(self._patch)
        self._patch.extend(
            (kind, float(a), float(b), float(c))
            for a, b, c in zip(
                np.atleast_1d(ox), np.atleast_1d(oy), np.atleast_1d(angle), strict=True
            )
        )
        self._patch_arr = None
        return np.arange(start, len(self._patch))

    def patch_arrays(self) -> tuple[np.ndarray, ...]:
        """Return ``(kind, ox, oy, cos, sin)`` arrays indexed by patch id."""
        if self._patch_arr is None:
            arr = np.array(self._patch, dtype=np.float64).reshape(-1, 4)
            self._patch_arr = (
                arr[:, 0].astype(np.int8),
                arr[:, 1],
                arr[:, 2],
                np.cos(arr[:, 3]),
                np.sin(arr[:, 3]),
            )
        return self._patch_arr

    def patch_xy(
        self, pid: np.ndarray, u: np.ndarray, v: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Map patch coordinates to metres."""
        kind, ox, oy, cos, sin = self.patch_arrays()
        polar = kind[pid] == POLAR
        x = np.empty(len(pid))
        y = np.empty(len(pid))
        a = ~polar
        pa = pid[a]
        x[a] = ox[pa] + u[a] * cos[pa] - v[a] * sin[pa]
        y[a] = oy[pa] + u[a] * sin[pa] + v[a] * cos[pa]
        pp = pid[polar]
        r = np.exp(v[polar])
        x[polar] = ox[pp] + r * np.cos(u[polar])
        y[polar] = oy[pp] + r * np.sin(u[polar])
        return x, y

    def is_polar(self, pid: np.ndarray) -> np.ndarray:
        """Whether each patch is log-polar."""
        return self.patch_arrays()[0][pid] == POLAR

    # ----------------------------------------------------------------- lines
    def new_nodes(self, n: int) -> np.ndarray:
        """Allocate ``n`` node ids."""
        ids = np.arange(self.n_nodes, self.n_nodes + n, dtype=np.int64)
        self.n_nodes += n
        return ids

    def add_lines(self, n: int, **cols: Any) -> np.ndarray:
        """Append ``n`` lines (columns broadcast); allocate end nodes unless given."""
        ids = np.arange(self.n_lines, self.n_lines + n, dtype=np.int64)
        if n == 0:
            return ids
        closed = np.broadcast_to(np.asarray(cols.get("closed", False), dtype=bool), (n,))
        for end in ("n0", "n1"):
            if end not in cols:
                fresh = self.new_nodes(n)
                cols[end] = np.where(closed, -1, fresh)
        for key, (dtype, default) in _LINE_COLS.items():
            val = cols.pop(key, default)
            self._chunks[key].append(np.array(np.broadcast_to(np.asarray(val, dtype=dtype), (n,))))
        if cols:
            raise TypeError(f"unknown line columns: {sorted(cols)}")
        self.n_lines += n
        return ids

    @property
    def table(self) -> dict[str, np.ndarray]:
        """Line table; arrays may be modified in place."""
        for key, chunks in self._chunks.items():
            if len(chunks) != 1:
                self._chunks[key] = [
                    np.concatenate(chunks) if chunks else np.empty(0, _LINE_COLS[key][0])
                ]
        return {k: v[0] for k, v in self._chunks.items()}

    def attach(self, host: np.ndarray, param: np.ndarray, node: np.ndarray) -> None:
        """Record that ``node`` (a line end) lies on line ``host`` at ``param``; -1 hosts are skipped."""
        host = np.asarray(host, dtype=np.int64)
        keep = host >= 0
        self._att[0].append(host[keep])
        self._att[1].append(np.asarray(param, dtype=np.float64)[keep])
        self._att[2].append(np.asarray(node, dtype=np.int64)[keep])

    def attachments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All attachments as ``(host, param, node)``."""
        for i in range(3):
            if len(self._att[i]) != 1:
                dt = np.float64 if i == 1 else np.int64
                self._att[i] = [np.concatenate(self._att[i]) if self._att[i] else np.empty(0, dt)]
        return self._att[0][0], self._att[1][0], self._att[2][0]

    def set_attachments(self, host: np.ndarray, param: np.ndarray, node: np.ndarray) -> None:
        """Replace all attachments."""
        self._att = [[host], [param], [node]]

    # ----------------------------------------------------------------- geometry
    def eval_xy(self, lid: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in metres of lines ``lid`` at parameters ``t``."""
        tab = self.table
        x = np.empty(len(lid))
        y = np.empty(len(lid))
        axis = tab["kind"][lid] == AXIS
        if axis.any():
            i = lid[axis]
            tt = t[axis]
            frac = (tt - tab["a0"][i]) / (tab["a1"][i] - tab["a0"][i])
            bk = tab["bend_kind"][i]
            shape = np.select(
                [bk == B_QUAD_START, bk == B_ARCH, bk == B_QUAD_END],
                [frac**2, np.sin(np.pi * frac), (1.0 - frac) ** 2],
                0.0,
            )
            perp = tab["c"][i] + tab["bend"][i] * shape
            along0 = tab["orient"][i] == 0
            u = np.where(along0, perp, tt)
            v = np.where(along0, tt, perp)
            x[axis], y[axis] = self.patch_xy(tab["patch"][i], u, v)
        sine = ~axis
        if sine.any():
            i = lid[sine]
            f = t[sine]
            dx = tab["x1"][i] - tab["x0"][i]
            dy = tab["y1"][i] - tab["y0"][i]
            off = (
                tab["m1"][i] * np.sin(np.pi * f)
                + tab["m2"][i] * np.sin(2 * np.pi * f)
                + tab["m3"][i] * np.sin(3 * np.pi * f)
            )
            x[sine] = tab["x0"][i] + f * dx - dy * off
            y[sine] = tab["y0"][i] + f * dy + dx * off
        return x, y

    def metres_per_param(self, lid: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Metres per unit of parameter along lines ``lid`` near ``t``."""
        tab = self.table
        out = np.ones(len(lid))
        sine = tab["kind"][lid] == SINE
        i = lid[sine]
        out[sine] = np.hypot(tab["x1"][i] - tab["x0"][i], tab["y1"][i] - tab["y0"][i])
        polar = ~sine & self.is_polar(np.maximum(tab["patch"][lid], 0))
        i = lid[polar]
        v = np.where(tab["orient"][i] == 0, t[polar], tab["c"][i])
        out[polar] = np.exp(v)
        return out

    def line_length_m(self, lid: np.ndarray) -> np.ndarray:
        """Approximate length of lines in metres (for sampling density)."""
        tab = self.table
        a0, a1 = tab["a0"][lid], tab["a1"][lid]
        out = np.abs(a1 - a0)
        sine = tab["kind"][lid] == SINE
        i = lid[sine]
        out[sine] = np.hypot(tab["x1"][i] - tab["x0"][i], tab["y1"][i] - tab["y0"][i]) * (
            1.0 + 2.5 * (np.abs(tab["m1"][i]) + np.abs(tab["m2"][i]) + np.abs(tab["m3"][i]))
        )
        polar = ~sine & self.is_polar(np.maximum(tab["patch"][lid], 0))
        i = lid[polar]
        radial = tab["orient"][i] == 0
        out[polar] = np.where(
            radial, np.abs(np.exp(a1[polar]) - np.exp(a0[polar])), np.exp(tab["c"][i]) * out[polar]
        )
        bent = tab["bend_kind"][lid] != B_NONE
        out[bent & ~sine] *= 1.3
        return out


# ============================================================================ guillotine


def _sub(d: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[mask] for k, v in d.items()}


def _cat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    parts = [p for p in parts if len(p["patch"])]
    if not parts:
        return {}
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _cell_dims(net: _Net, c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Width (along u) and height (along v) of cells in metres."""
    polar = net.is_polar(c["patch"])
    w = c["u1"] - c["u0"]
    h = c["v1"] - c["v0"]
    r0 = np.exp(np.where(polar, c["v0"], 0.0))
    r1 = np.exp(np.where(polar, c["v1"], 0.0))
    w = np.where(polar, w * 0.5 * (r0 + r1), w)
    h = np.where(polar, r1 - r0, h)
    return w, h


def _make_cells(prm: _Params, n: int, **cols: Any) -> dict[str, np.ndarray]:
    """Root cells; sides default to -1 (no road: line ends there stay loose).

    ``key`` identifies a root cell for its random draws (see :func:`_guillotine`).
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


def _guillotine(
    net: _Net, seed_key: int, prm: _Params, cells: dict[str, np.ndarray]
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
            np.clip(_hash_uniform(seed_key, cells["key"], cells["level"], ch), 1e-9, 1 - 1e-9)
            for ch in range(3)
        )
        cells["thr"] = cells["block"] * np.exp(prm.block_sigma * ndtri(u_thr))
        w, h = _cell_dims(net, cells)
        split = cells["force"] | (np.maximum(w, h) > cells["thr"])
        leaves.append(_sub(cells, ~split))
        c = _sub(cells, split)
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
        cells = _cat([lo, hi])
    return _cat(leaves)


# ============================================================================ leaf features


def _host_range(
    net: _Net, host: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Clamp a leaf side's range to the part its host line covers (loose ends may be trimmed)."""
    tab = net.table
    h = np.maximum(host, 0)
    open_ = (host >= 0) & ~tab["closed"][h]
    ha = np.minimum(tab["a0"][h], tab["a1"][h])
    hb = np.maximum(tab["a0"][h], tab["a1"][h])
    return np.where(open_, np.maximum(lo, ha), lo), np.where(open_, np.minimum(hi, hb), hi)


def _leaf_sides(
    net: _Net, leaves: dict[str, np.ndarray], rng: np.random.Generator, ok: np.ndarray
) -> np.ndarray:
    """Pick a side (0=L, 1=R, 2=B, 3=T) with a road for each leaf, weighted by length; -1 if none."""
    w, h = _cell_dims(net, leaves)
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
    net: _Net, leaves: dict[str, np.ndarray], side: np.ndarray
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
    w, h = _cell_dims(net, leaves)
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


def _ragged_ends(net: _Net, rng: np.random.Generator, max_frac: float) -> None:
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
    net: _Net,
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


def _opposite_junction(net: _Net, host: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
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


def _add_spurs(
    net: _Net,
    rng: np.random.Generator,
    prm: _Params,
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
    g = _side_geometry(net, _sub(leaves, cand), side[cand])
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
    lv = _sub(leaves, pick)
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


def _add_crescents(
    net: _Net,
    rng: np.random.Generator,
    prm: _Params,
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
    lv = _sub(leaves, pick)
    g = _side_geometry(net, lv, side[pick])
    # Only on sides long enough for a crescent with room for its houses.
    good = g["side_len_m"] > 70.0
    pick, lv = pick[good], _sub(lv, good)
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


# ============================================================================ junctions


def _merge_close(net: _Net, tol_m: float) -> None:
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
class _Items:
    """Junction occurrences along lines, sorted by line then parameter."""

    line: np.ndarray
    t: np.ndarray
    node: np.ndarray
    own_end: np.ndarray  # the node is this line's own end (not a T onto it)
    gap_after: np.ndarray  # no road from this item to the next one on the line
    split: np.ndarray  # a new way starts here (one-way status changes)

    def take(self, idx: np.ndarray) -> _Items:
        return _Items(
            *(getattr(self, f)[idx] for f in ("line", "t", "node", "own_end", "gap_after", "split"))
        )

    @classmethod
    def concat(cls, parts: list[_Items]) -> _Items:
        return _Items(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("line", "t", "node", "own_end", "gap_after", "split")
            )
        )

    def sort(self) -> _Items:
        return self.take(np.lexsort((self.t, self.line)))


def _junction_items(net: _Net) -> _Items:
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
    return _Items(line, t, node, own, z, z.copy()).sort()


def _street_counts(net: _Net, items: _Items, ring_nodes: np.ndarray | None = None) -> np.ndarray:
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


def _node_estimate(
    net: _Net, items: _Items, ring_nodes: np.ndarray | None = None
) -> tuple[int, int]:
    """(simplified nodes, dead ends) as osmnx would count them, before sampling."""
    spn = _street_counts(net, items, ring_nodes)
    n = int(((spn > 0) & (spn != 2)).sum()) + int(items.split.sum())
    return n, int((spn == 1).sum())


# ============================================================================ town


def _build_town(net: _Net, rs: _Streams, prm: _Params, n_target: float) -> dict[str, Any]:
    """Lay out the town: centre grid, inner ring, suburbs with radial arterials, outer ring."""
    radius_m = math.sqrt(n_target / prm.nodes_per_km2 * 1e6 / math.pi)
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
    edge_r = radius_m * rs.layout.uniform(0.88, 1.1, k2)
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
    # Centre: a cross of two main streets (they continue the arterials at 0, 90, 180, 270 deg).
    v_line = net.add_lines(
        1,
        kind=AXIS,
        patch=centre,
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
        patch=centre,
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
    vl = int(v_line[0])
    hl, hr = int(h_lines[0]), int(h_lines[1])
    quads = _make_cells(
        prm,
        4,
        patch=centre,
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
    th1e = np.append(th1, TWO_PI)
    th2e = np.append(th2, TWO_PI)
    inner_cells = _make_cells(
        prm,
        k1,
        patch=polar,
        u0=th1e[:-1],
        u1=th1e[1:],
        v0=math.log(r_c),
        v1=math.log(r_ring),
        sL=rad_in,
        sR=np.roll(rad_in, -1),
        sB=inner_ring,
        sT=outer_ring,
        zone=Z_SUBURB,
        level=1,
    )
    outer_cells = _make_cells(
        prm,
        k2,
        patch=polar,
        u0=th2e[:-1],
        u1=th2e[1:],
        v0=math.log(r_ring),
        v1=np.log(edge_r),
        sL=rad_out,
        sR=np.roll(rad_out, -1),
        sB=outer_ring,
        sT=-1,
        zone=Z_SUBURB,
        level=1,
    )
    # Root keys: quadrants 1-4, inner sectors 101.., outer sectors 1001.. (stable ids).
    quads["key"] = np.arange(1, 5)
    inner_cells["key"] = 101 + np.arange(k1)
    outer_cells["key"] = 1001 + np.arange(k2)
    leaves = _guillotine(net, rs.key, prm, _cat([quads, inner_cells, outer_cells]))
    _clip_centre(net, centre, inner_ring, r_c)
    _ragged_ends(net, rs.feat, 0.5)
    # Blocks cut by the inner ring get no cul-de-sacs or crescents (they could cross it).
    w_ok = np.ones(len(leaves["patch"]), bool)
    in_centre = leaves["patch"] == centre
    corners = [
        (leaves["u0"], leaves["v0"]),
        (leaves["u0"], leaves["v1"]),
        (leaves["u1"], leaves["v0"]),
        (leaves["u1"], leaves["v1"]),
    ]
    for cu, cv in corners:
        w_ok &= ~in_centre | (cu**2 + cv**2 < (r_c - 5.0) ** 2)
    leaves["feature_ok"] = w_ok
    return {"leaves": leaves, "centre": centre, "r_c": r_c}


def _clip_centre(net: _Net, centre: int, ring: int, r_c: float) -> None:
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


# ============================================================================ county


def _hash_uniform(seed: int, i: np.ndarray, j: np.ndarray, channel: int) -> np.ndarray:
    """Uniform [0, 1) numbers that depend only on (seed, i, j, channel): SplitMix64 mixing."""

    def mix(z: np.ndarray) -> np.ndarray:
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))

    with np.errstate(over="ignore"):
        z = mix(np.full(len(i), seed & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64))
        for part in (i, j, np.full(len(i), channel)):
            z = mix(z ^ part.astype(np.int64).view(np.uint64))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _grid_candidates(n: int, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Square grid points around the origin, enough for ``n`` picks with a ragged edge."""
    half = math.ceil(math.sqrt(n) / 2 + 2)
    ij = np.stack(np.meshgrid(np.arange(-half, half + 1), np.arange(-half, half + 1)), -1).reshape(
        -1, 2
    )
    return ij * spacing, ij


def _gabriel_edges(pts: np.ndarray) -> np.ndarray:
    """Edges of the Gabriel graph (a planar road-like subgraph of the Delaunay triangulation)."""
    tri = Delaunay(pts)
    s = tri.simplices
    edges = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [2, 0]]])
    opp = np.concatenate([s[:, 2], s[:, 0], s[:, 1]])
    a, b = np.sort(edges, 1).T
    mid = 0.5 * (pts[a] + pts[b])
    r2 = 0.25 * ((pts[a] - pts[b]) ** 2).sum(1)
    inside = ((pts[opp] - mid) ** 2).sum(1) < r2 - 1e-9
    key = a.astype(np.int64) * len(pts) + b
    bad = np.unique(key[inside])
    keys = np.unique(key)
    keys = keys[~np.isin(keys, bad)]
    return np.stack([keys // len(pts), keys % len(pts)], 1)


def _build_county(
    net: _Net, rs: _Streams, prm: _Params, n_target: float, n_requested: int
) -> dict[str, Any]:
    """Lay out settlements (guillotine patches) and the rural roads and farm lanes between them.

    The number and sizes of settlements come from node budgets (shares of ``n_target``), so
    the size of the result depends smoothly on ``n_target`` rather than on a lucky draw of
    one big town. The total road length is budgeted per requested node.
    """
    lay = _LAYOUT
    rng = rs.layout
    # At least two market towns (Rutland has Oakham and Uppingham) so there are A roads.
    n_towns = max(2, round(n_target * lay.town_node_share / lay.town_nodes))
    mean_village = lay.village_nodes * math.exp(lay.village_sigma**2 / 2)
    ns = n_towns + max(3, round(n_target * lay.village_node_share / mean_village))
    # Settlements on a jittered grid, the ns nearest the centre (with a ragged, random
    # boundary). Everything about a grid cell comes from a hash of its coordinates, so a
    # smaller county is a subset of a bigger one: the size responds smoothly to n_target.
    g = lay.settle_spacing_m
    grid_pts, grid_ij = _grid_candidates(ns, g)
    u = [_hash_uniform(rs.key, grid_ij[:, 0], grid_ij[:, 1], c) for c in range(8)]
    score = np.hypot(*grid_pts.T) + 1.5 * g * u[0]
    chosen = np.sort(np.argsort(score, kind="stable")[:ns])
    pts = grid_pts[chosen] + 0.28 * g * np.stack([ndtri(u[1][chosen]), ndtri(u[2][chosen])], 1)
    reach = float(score[chosen].max())
    side_m = 2.0 * float(np.abs(pts).max())
    # The named town sits in the middle; other market towns where the hash says so.
    town_score = u[3][chosen].copy()
    town_score[int(np.argmin((pts**2).sum(1)))] = 2.0
    is_town = np.zeros(ns, bool)
    is_town[np.argsort(-town_score, kind="stable")[:n_towns]] = True
    size = np.exp(np.where(is_town, 0.5, lay.village_sigma) * ndtri(u[4][chosen]))
    size[is_town] *= n_target * lay.town_node_share / size[is_town].sum()
    size[~is_town] *= n_target * lay.village_node_share / size[~is_town].sum()
    size = np.maximum(size, 3.0)
    block = np.where(is_town, prm.block_m * 1.15, prm.block_m)
    area = size * lay.blocks_per_node * block**2
    aspect = 1.0 + 1.2 * u[5][chosen]
    w = np.sqrt(area * aspect)
    h = area / w
    patches = net.add_patches(AFFINE, pts[:, 0], pts[:, 1], math.pi * u[6][chosen])
    cells = _make_cells(
        prm,
        ns,
        patch=patches,
        u0=-w / 2,
        u1=w / 2,
        v0=-h / 2,
        v1=h / 2,
        force=True,
        zone=np.where(is_town, Z_TOWN, Z_VILLAGE),
        settle=np.arange(ns),
        block=block,
        # Root key from the settlement's grid cell: positive and below 2**33.
        key=((grid_ij[chosen, 0] + 65536) << 17) + grid_ij[chosen, 1] + 65536,
    )
    leaves = _guillotine(net, rs.key, prm, cells)
    leaves["feature_ok"] = np.ones(len(leaves["patch"]), bool)
    _ragged_ends(net, rs.feat, 0.6)
    # Loose street ends of each settlement: where the rural roads start.
    tab = net.table
    _, _, n_ = net.attachments()
    attached = np.zeros(net.n_nodes, bool)
    attached[n_] = True
    lines = np.flatnonzero(tab["settle"] >= 0)
    ends = np.concatenate([tab["n0"][lines], tab["n1"][lines]])
    end_line = np.concatenate([lines, lines])
    end_t = np.concatenate([tab["a0"][lines], tab["a1"][lines]])
    loose = ~attached[ends]
    f_node, f_line, f_t = ends[loose], end_line[loose], end_t[loose]
    fx, fy = net.eval_xy(f_line, f_t)
    f_set = tab["settle"][f_line]
    # Countryside junctions (crossroads and forks between villages) on their own hashed
    # grid, inside the county and clear of the villages.
    gj = g / math.sqrt(lay.junctions_per_settlement)
    j_pts, j_ij = _grid_candidates(int(ns * lay.junctions_per_settlement * 1.6) + 4, gj)
    v = [_hash_uniform(rs.key + 1, j_ij[:, 0], j_ij[:, 1], c) for c in range(3)]
    jp = j_pts + 0.45 * gj * np.stack([2 * v[0] - 1, 2 * v[1] - 1], 1)
    inside = np.hypot(*jp.T) + 1.5 * g * v[2] < reach
    clear = np.ones(len(jp), bool)
    if ns:
        from scipy.spatial import cKDTree

        dist, _ = cKDTree(pts).query(jp)
        clear = dist > 0.35 * g
    jp = jp[inside & clear]
    n_j = len(jp)
    j_node = net.new_nodes(n_j)
    allp = np.concatenate([pts, jp])
    n_all = len(allp)
    f_node = np.concatenate([f_node, j_node])
    fx = np.concatenate([fx, jp[:, 0]])
    fy = np.concatenate([fy, jp[:, 1]])
    f_set = np.concatenate([f_set, ns + np.arange(n_j)])
    # Rural roads: the Gabriel graph keeps the road-like Delaunay edges; drop a share of
    # those not on the minimum spanning tree so that places have two to four roads.
    edges = _gabriel_edges(allp)
    length = np.hypot(*(allp[edges[:, 0]] - allp[edges[:, 1]]).T)
    mst = csgraph.minimum_spanning_tree(
        sp.coo_matrix((length, (edges[:, 0], edges[:, 1])), shape=(n_all, n_all))
    ).tocoo()
    mkey = np.minimum(mst.row, mst.col).astype(np.int64) * n_all + np.maximum(mst.row, mst.col)
    in_mst = np.isin(edges[:, 0].astype(np.int64) * n_all + edges[:, 1], mkey)
    # Road length budget. Rutland has about 250 m of road per intersection, mostly between
    # settlements; drawing links and lanes until a fixed budget per node is met keeps the
    # mean edge length steady even in small counties, where a few long links would swing it.
    settle_len = float(net.line_length_m(np.flatnonzero(net.table["settle"] >= 0)).sum())
    # Per requested node: the size search pins the node count to n_requested, so this pins
    # the road length per node (n_target is only the search's internal scale).
    budget_m = lay.road_m_per_node * n_requested
    meander_factor = 1.0 + 2.5 * sum(lay.meander) * math.sqrt(2.0 / math.pi)
    link_budget = budget_m * (1.0 - lay.lane_share) - settle_len
    extra = rng.permutation(np.flatnonzero(~in_mst))
    room = link_budget - meander_factor * float(length[in_mst].sum())
    n_extra = int(np.searchsorted(np.cumsum(meander_factor * length[extra]), room))
    keep = in_mst.copy()
    keep[extra[:n_extra]] = True
    edges, length = edges[keep], length[keep]
    ne = len(edges)
    # Pick for each link end the loose end of its settlement nearest the other place.
    end_set = np.concatenate([edges[:, 0], edges[:, 1]])
    other = np.concatenate([edges[:, 1], edges[:, 0]])
    order = np.argsort(f_set, kind="stable")
    f_sorted_set = f_set[order]
    start = np.searchsorted(f_sorted_set, end_set, "left")
    stop = np.searchsorted(f_sorted_set, end_set, "right")
    cnt = stop - start
    rep = np.repeat(np.arange(len(end_set)), cnt)
    cand = order[
        np.repeat(start, cnt) + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    ]
    d = np.hypot(fx[cand] - allp[other[rep], 0], fy[cand] - allp[other[rep], 1])
    best_order = np.lexsort((d, rep))
    first = np.ones(len(best_order), bool)
    first[1:] = rep[best_order][1:] != rep[best_order][:-1]
    chosen = cand[best_order[first]]  # one per link end, in link-end order
    ca, cb = chosen[:ne], chosen[ne:]
    is_town = np.concatenate([is_town, np.zeros(n_j, bool)])
    pts = allp
    m = np.array(lay.meander)
    coef = rng.normal(0.0, 1.0, (ne, 3)) * m
    links = net.add_lines(
        ne,
        kind=SINE,
        a0=0.0,
        a1=1.0,
        x0=fx[ca],
        y0=fy[ca],
        x1=fx[cb],
        y1=fy[cb],
        m1=coef[:, 0],
        m2=coef[:, 1],
        m3=coef[:, 2],
        n0=f_node[ca],
        n1=f_node[cb],
        role=R_LINK,
        hw=UNCLASSIFIED,
        zone=Z_RURAL,
        len_m=np.hypot(fx[cb] - fx[ca], fy[cb] - fy[ca]),
    )
    _classify_links(net, rs.tags, pts, is_town, edges, length, links, side_m)
    # Trunk roads are dual carriageways: two one-way ways about 18 m apart at mid-link
    # between the same junctions, each on the left of its direction of travel (UK).
    tab = net.table
    trunk = links[tab["hw"][links] == TRUNK]
    if len(trunk):
        half = 9.0 / np.maximum(tab["len_m"][trunk], 1.0)
        tab["m1"][trunk] += half
        tab["oneway"][trunk] = True
        twin = net.add_lines(
            len(trunk),
            kind=SINE,
            a0=0.0,
            a1=1.0,
            x0=tab["x0"][trunk],
            y0=tab["y0"][trunk],
            x1=tab["x1"][trunk],
            y1=tab["y1"][trunk],
            m1=tab["m1"][trunk] - 2 * half,
            m2=tab["m2"][trunk],
            m3=tab["m3"][trunk],
            n0=tab["n0"][trunk],
            n1=tab["n1"][trunk],
            role=R_LINK,
            hw=TRUNK,
            zone=Z_RURAL,
            len_m=tab["len_m"][trunk],
            oneway=True,
            ow_rev=True,
            twin=trunk,
            route=tab["route"][trunk],
        )
        net.table["twin"][trunk] = twin
    # Farm lanes: dead-end rural roads off the links, in proportion to link length, until
    # the road length budget is spent.
    tab = net.table
    used_m = settle_len + float(net.line_length_m(np.flatnonzero(tab["role"] == R_LINK)).sum())
    lane_budget = max(budget_m - used_m, 0.02 * budget_m)
    link_len = tab["len_m"][links]
    host = np.repeat(links, rng.poisson(3.0 * lay.lanes_per_km * link_len / 1000.0))
    host = host[rng.permutation(len(host))]
    nl = len(host)
    t = rng.uniform(0.12, 0.88, nl)
    sx, sy = net.eval_xy(host, t)
    dx = tab["x1"][host] - tab["x0"][host]
    dy = tab["y1"][host] - tab["y0"][host]
    hl = np.hypot(dx, dy)
    ang = np.arctan2(dy, dx) + np.where(rng.random(nl) < 0.5, 1, -1) * (
        math.pi / 2 + rng.normal(0, 0.35, nl)
    )
    lane_len = np.minimum(lay.lane_median_m * rng.lognormal(0, 0.6, nl), 0.4 * hl)
    lane_len = np.maximum(lane_len, 60.0)
    m1 = rng.normal(0, 0.05, nl)
    m2 = rng.normal(0, 0.025, nl)
    take = int(np.searchsorted(np.cumsum(lane_len), lane_budget)) + 1
    host, t, sx, sy, ang, lane_len, m1, m2 = (
        a[:take] for a in (host, t, sx, sy, ang, lane_len, m1, m2)
    )
    nl = len(host)
    lanes = net.add_lines(
        nl,
        kind=SINE,
        a0=0.0,
        a1=1.0,
        x0=sx,
        y0=sy,
        x1=sx + lane_len * np.cos(ang),
        y1=sy + lane_len * np.sin(ang),
        m1=m1,
        m2=m2,
        role=R_LANE,
        hw=UNCLASSIFIED,
        zone=Z_RURAL,
        len_m=lane_len,
    )
    net.attach(host, t, net.table["n0"][lanes])
    return {"leaves": leaves, "settlements": pts, "is_town": is_town}


def _classify_links(
    net: _Net,
    rng: np.random.Generator,
    pts: np.ndarray,
    is_town: np.ndarray,
    edges: np.ndarray,
    length: np.ndarray,
    links: np.ndarray,
    side_m: float,
) -> None:
    """Road classes of rural links: A roads between market towns, a trunk road across, B roads."""
    tab = net.table
    ns = len(pts)
    ne = len(edges)
    graph = sp.coo_matrix(
        (
            np.concatenate([length, length]),
            (
                np.concatenate([edges[:, 0], edges[:, 1]]),
                np.concatenate([edges[:, 1], edges[:, 0]]),
            ),
        ),
        shape=(ns, ns),
    ).tocsr()
    edge_of = {}
    for i, (a, b) in enumerate(edges.tolist()):
        edge_of[(a, b)] = i
        edge_of[(b, a)] = i
    cls = np.full(ne, UNCLASSIFIED)
    route = np.full(ne, -1, np.int64)
    n_routes = [0]

    def mark(src: int, dst: int, pred: np.ndarray, value: int) -> None:
        """Give the links on the shortest path src -> dst the class ``value`` (if higher)."""
        n_routes[0] += 1
        node = dst
        while node != src and node >= 0:
            prev = int(pred[node])
            if prev < 0:
                break
            e = edge_of[(prev, node)]
            if value < cls[e]:
                cls[e] = value
                route[e] = n_routes[0]  # one ref and name along the whole route
            node = prev

    towns = np.flatnonzero(is_town)
    if len(towns) > 1:
        tp = pts[towns]
        if len(towns) > 3:
            tedges = _gabriel_edges(tp)
        else:
            tedges = np.array([(i, j) for i in range(len(towns)) for j in range(i + 1, len(towns))])
        tl = np.hypot(*(tp[tedges[:, 0]] - tp[tedges[:, 1]]).T)
        tmst = csgraph.minimum_spanning_tree(
            sp.coo_matrix((tl, (tedges[:, 0], tedges[:, 1])), shape=(len(towns),) * 2)
        ).tocoo()
        pairs = np.stack([towns[tmst.row], towns[tmst.col]], 1)
        srcs = np.unique(pairs[:, 0])
        limit = 3.0 * float(tmst.data.max())
        _, pred = csgraph.dijkstra(graph, indices=srcs, return_predecessors=True, limit=limit)
        row = {int(s): i for i, s in enumerate(srcs)}
        for a, b in pairs.tolist():
            mark(a, b, pred[row[a]], PRIMARY)
    if len(towns):
        # A roads also leave the county town for the county edge in three directions (as the
        # A606, A6003 and A47 leave Rutland's towns for the neighbouring counties).
        hub = int(towns[np.argmin((pts[towns] ** 2).sum(1))])
        _, pred_hub = csgraph.dijkstra(graph, indices=[hub], return_predecessors=True)
        angle = np.arctan2(pts[:, 1], pts[:, 0])
        radius = np.hypot(pts[:, 0], pts[:, 1])
        base = rng.uniform(0, TWO_PI)
        for k in range(3):
            off = np.abs(np.angle(np.exp(1j * (angle - base - k * TWO_PI / 3))))
            sector = np.flatnonzero((off < math.pi / 5) & (pred_hub[0] >= 0))
            if len(sector):
                mark(hub, int(sector[np.argmax(radius[sector])]), pred_hub[0], PRIMARY)
    # Trunk roads across the county, roughly one per 60 km of its side.
    for _ in range(max(1, round(side_m / _LAYOUT.trunk_every_m))):
        horizontal = rng.random() < 0.5
        axis = 0 if horizontal else 1
        coord = pts[:, axis]
        lo = np.flatnonzero(coord < coord.min() + 0.1 * side_m)
        hi = np.flatnonzero(coord > coord.max() - 0.1 * side_m)
        if len(lo) == 0 or len(hi) == 0:
            continue
        a = int(rng.choice(lo))
        b = int(rng.choice(hi))
        _, pred = csgraph.dijkstra(graph, indices=[a], return_predecessors=True)
        mark(a, b, pred[0], TRUNK)
    # B roads from the towns; the rest mostly unclassified lanes, some tertiary.
    town_end = is_town[edges[:, 0]] | is_town[edges[:, 1]]
    r = rng.random(ne)
    cls = np.where((cls == UNCLASSIFIED) & town_end & (r < 0.7), SECONDARY, cls)
    cls = np.where((cls == UNCLASSIFIED) & (r < 0.35 + 0.1 * (length > 2500)), TERTIARY, cls)
    tab["hw"][links] = cls
    tab["route"][links] = np.where(route >= 0, route, -1)


# ============================================================================ tags


_FIRST = [
    "Church",
    "Mill",
    "Station",
    "Park",
    "Victoria",
    "Albert",
    "King",
    "Queen",
    "Manor",
    "Chapel",
    "School",
    "Green",
    "Orchard",
    "Meadow",
    "Oak",
    "Elm",
    "Willow",
    "Ash",
    "Beech",
    "Cedar",
    "Hawthorn",
    "Priory",
    "Abbey",
    "Castle",
    "Bridge",
    "Market",
    "Grange",
    "Field",
    "Windmill",
    "Rectory",
    "Vicarage",
    "Hall",
    "Springfield",
    "Highfield",
    "Brook",
    "Kiln",
    "Tanner",
    "Cooper",
    "Fletcher",
    "Wheatsheaf",
    "Swan",
    "Rose",
    "Primrose",
    "Bluebell",
    "Heather",
    "Holly",
    "Ivy",
    "Laurel",
    "Linden",
    "Rowan",
    "Sycamore",
    "Chestnut",
    "Poplar",
    "Larch",
    "Wellington",
    "Nelson",
    "Trafalgar",
    "Waterloo",
    "Cromwell",
    "Stanley",
    "Gladstone",
    "Tennyson",
    "Byron",
    "Milton",
    "Chaucer",
    "Newton",
    "Darwin",
    "Cambridge",
    "Oxford",
    "York",
    "Lincoln",
    "Charnwood",
    "Belvoir",
    "Trent",
    "Soar",
    "Wreake",
    "Welland",
    "Spencer",
    "Cavendish",
    "Paddock",
    "Pinfold",
    "Sheepwash",
    "Stonepit",
    "Cliff",
    "Moor",
    "Hollow",
    "Dale",
    "Fox",
    "Badger",
    "Heron",
    "Kestrel",
    "Lark",
    "Wren",
    "Raven",
    "Finch",
]
_SUFFIX = {
    R_STREET: [
        "Street",
        "Road",
        "Lane",
        "Avenue",
        "Way",
        "Drive",
        "Grove",
        "Terrace",
        "Place",
        "Row",
        "Walk",
        "Gardens",
        "Rise",
        "Hill",
        "View",
    ],
    R_SPUR: ["Close", "Court", "Mews", "Croft", "Close", "Close", "Way", "Gardens"],
    R_CRESCENT: ["Crescent", "Crescent", "Crescent", "Circle"],
    R_HIGH: ["Street"],
}
_SETTLE_A = [
    "Ash",
    "Thorn",
    "Kirk",
    "Barrow",
    "Long",
    "Great",
    "Little",
    "Whis",
    "Bur",
    "Cot",
    "Eg",
    "Gran",
    "Hamble",
    "Lang",
    "Mor",
    "Stoke",
    "Sax",
    "Wal",
    "Wit",
    "Lyn",
    "Ed",
    "Ex",
    "Cold",
    "Oak",
    "Mar",
    "Brau",
    "Glas",
    "Ayst",
    "Man",
    "Pres",
    "Seat",
    "Beau",
    "Hol",
    "Skel",
    "Lax",
    "Tick",
    "Brig",
    "Ketton",
    "Wymond",
    "Cottes",
    "Empin",
    "Belton",
    "Morcott",
    "Tixo",
    "Lynd",
    "Clip",
]
_SETTLE_B = [
    "by",
    "thorpe",
    "ham",
    "ton",
    "well",
    "ford",
    "field",
    "stone",
    "worth",
    "wick",
    "ley",
    "bury",
    "den",
    "holme",
    "wold",
    "stead",
]


def _assign_tags(net: _Net, rng: np.random.Generator, profile: str, name: str) -> None:
    """Speed limits, names and refs for every line, by role, class and zone."""
    tab = net.table
    n = net.n_lines
    role, zone, hw = tab["role"], tab["zone"], tab["hw"]
    r = rng.random(n)
    speed = np.full(n, S_NONE, np.int8)
    if profile == "town":
        centre = zone == Z_CENTRE
        # The City of London is 20 mph throughout; UK town centres increasingly are too.
        speed[centre] = np.where(r[centre] < 0.92, S20, S_NONE)
        sub = ~centre
        minor = sub & (hw >= UNCLASSIFIED)
        speed[minor] = np.select([r[minor] < 0.45, r[minor] < 0.8], [S20, S30], S_NONE)
        major = sub & (hw <= TERTIARY)
        speed[major] = np.select([r[major] < 0.75, r[major] < 0.9], [S30, S40], S_NONE)
        ring = role == R_RING
        speed[ring] = np.where(hw[ring] == TRUNK, S40, S30)
        speed[hw == LIVING] = np.where(r[hw == LIVING] < 0.5, S10, S_NONE)
    else:
        built = (zone == Z_TOWN) | (zone == Z_VILLAGE)
        speed[built] = np.select([r[built] < 0.05, r[built] < 0.45], [S20, S30], S_NONE)
        rural = zone == Z_RURAL
        big = rural & (hw <= SECONDARY)
        speed[big] = np.select(
            [r[big] < 0.25, r[big] < 0.38, r[big] < 0.48], [S60, S40, S50], S_NONE
        )
        trunk = rural & (hw == TRUNK)
        speed[trunk] = np.select([r[trunk] < 0.4, r[trunk] < 0.7], [S70, S60], S_NAT)
        small = rural & (hw > SECONDARY) & (role == R_LINK)
        speed[small] = np.where(r[small] < 0.08, S_NAT, np.where(r[small] < 0.12, S60, S_NONE))
    tab["speed"][:] = speed
    # Names: "<word> <suffix>" by role; arterials and links named after places.
    names: list[str] = []
    name_idx = np.full(n, -1, np.int32)
    first = rng.integers(0, len(_FIRST), n)
    suffix = rng.integers(0, 1 << 30, n)
    places = [a + b for a in _SETTLE_A for b in _SETTLE_B]
    # Lines of one route draw the same place name and road number.
    route = tab["route"]
    route_rng = _hash_uniform(int(rng.integers(1 << 62)), route, np.zeros(n, np.int64), 0)
    place = np.where(
        route >= 0, (route_rng * len(places)).astype(np.int64), rng.integers(0, len(places), n)
    )
    numbers = np.where(
        route >= 0, (route_rng * 1e6).astype(np.int64) % 1000, rng.integers(0, 1000, n)
    )
    lookup: dict[str, int] = {}
    role_l = role.tolist()
    hw_l = hw.tolist()
    for i in range(n):
        rl = role_l[i]
        if rl in (R_SPUR_LEG, R_LANE):
            continue  # legs belong to their cul-de-sac's way; farm lanes are unnamed
        if rl == R_RING:
            s = f"{name} {'Inner ' if hw_l[i] == PRIMARY else ''}Ring Road"
        elif rl == R_ARTERIAL:
            s = f"{places[place[i]]} Road"
        elif rl == R_HIGH:
            s = ("High Street", "Market Street", "Bridge Street", "Sheep Street")[i % 4]
        elif rl == R_LINK:
            if hw_l[i] > TERTIARY or (r[i] < 0.5 and route[i] < 0):
                continue
            s = f"{places[place[i]]} Road"
        else:
            suf = _SUFFIX.get(rl, _SUFFIX[R_STREET])
            s = f"{_FIRST[first[i]]} {suf[suffix[i] % len(suf)]}"
        idx = lookup.setdefault(s, len(names))
        if idx == len(names):
            names.append(s)
        name_idx[i] = idx
    tab["name"][:] = name_idx
    net.names = names
    # Refs: A roads and B roads (Leicestershire/Rutland numbers are in the 6xxx zone).
    refs: list[str] = []
    ref_idx = np.full(n, -1, np.int32)
    major_lines = np.flatnonzero((hw <= SECONDARY) & (role != R_SPUR) & (role != R_SPUR_LEG))
    for i in major_lines.tolist():
        h = hw_l[i]
        if h == TRUNK:
            s = f"A{1 + numbers[i] % 60}"
        elif h == PRIMARY:
            s = f"A6{numbers[i]:03d}"
        elif r[i] < 0.8 or route[i] >= 0:
            s = f"B6{numbers[i]:03d}"
        else:
            continue
        ref_idx[i] = len(refs)
        refs.append(s)
    tab["ref"][:] = ref_idx
    net.refs = refs
    # The second carriageway of a dual carriageway carries the same tags as the first.
    tw = np.flatnonzero(tab["twin"] >= 0)
    second = tw[tw > tab["twin"][tw]]
    for col in ("speed", "name", "ref"):
        tab[col][second] = tab[col][tab["twin"][second]]


# ============================================================================ one-way, roundabouts


def _choose_roundabouts(
    net: _Net, rng: np.random.Generator, prm: _Params, items: _Items
) -> np.ndarray:
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


def _apply_roundabouts(
    net: _Net, prm: _Params, items: _Items, rb: np.ndarray
) -> tuple[_Items, np.ndarray, np.ndarray, np.ndarray]:
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
            _Items(
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
    new = _Items.concat([keep, *parts]).sort()
    return new, np.concatenate(ent_rb), np.concatenate(ent_node), np.concatenate(ent_hw)


def _segments_per_line(net: _Net, items: _Items) -> np.ndarray:
    """Junction-to-junction segments on each line (closed lines wrap around)."""
    cnt = np.bincount(items.line, minlength=net.n_lines)
    gaps = np.bincount(items.line, weights=items.gap_after, minlength=net.n_lines)
    closed = net.table["closed"]
    seg = np.where(closed, cnt, np.maximum(cnt - 1, 0)) - gaps
    return np.maximum(seg, 0).astype(np.int64)


def _choose_oneway(
    net: _Net,
    rng: np.random.Generator,
    prm: _Params,
    items: _Items,
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


def _add_transitions(
    net: _Net,
    rng: np.random.Generator,
    prm: _Params,
    items: _Items,
    ring_nodes: np.ndarray,
    n_target: int,
) -> _Items:
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
    new = _Items(
        items.line[cand], t, net.new_nodes(len(cand)), z, z.copy(), np.ones(len(cand), bool)
    )
    return _Items.concat([items, new]).sort()


# ============================================================================ assembly


def _warp(
    rng: np.random.Generator, prm: _Params, x: np.ndarray, y: np.ndarray
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


def _assemble(
    net: _Net,
    rng: np.random.Generator,
    prm: _Params,
    items: _Items,
    ent_rb: np.ndarray,
    ent_node: np.ndarray,
    ent_hw: np.ndarray,
    rb_nodes: np.ndarray,
    rb_pos: tuple[np.ndarray, np.ndarray],
    n_simplified: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[dict[str, str]]]:
    """Sample lines into ways; return node x, y (metres), way offsets, refs and tags.

    ``n_simplified`` is the expected number of simplified nodes, for the way-split rate.
    """
    tab = net.table
    closed = tab["closed"]
    # Closed lines (ring roads) start and end at their first junction.
    first_t = np.full(net.n_lines, np.inf)
    np.minimum.at(first_t, items.line, items.t)
    jl = items
    on_closed = closed[jl.line]
    t = jl.t.copy()
    t[on_closed & (t < first_t[jl.line])] += TWO_PI
    jl = _Items(jl.line, t, jl.node, jl.own_end, jl.gap_after, jl.split)
    firsts = np.flatnonzero(on_closed & (jl.t == first_t[jl.line]))
    dup = jl.take(firsts)
    dup = _Items(
        dup.line,
        dup.t + TWO_PI,
        dup.node,
        dup.own_end,
        np.zeros(len(firsts), bool),
        np.zeros(len(firsts), bool),
    )
    jl = _Items.concat([jl, dup]).sort()
    # Interior sample points.
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
    transition_nodes = node[split_row]
    sample_lo = int(node[~is_j].min()) if n_samples else 0
    sample_hi = sample_lo + n_samples
    # Coordinates: every node once (junction nodes from any of their occurrences).
    x_all = np.full(net.n_nodes, np.nan)
    y_all = np.full(net.n_nodes, np.nan)
    px, py = net.eval_xy(line, tt)
    x_all[node] = px
    y_all[node] = py
    # Chains: the leg of a bent cul-de-sac continues its spur's way, in the way's direction.
    chain = np.where(tab["chain"][line] >= 0, tab["chain"][line], line)
    order = np.lexsort((tab["dir"][line] * tt, tab["chain_rank"][line], chain))
    line, node, chain = line[order], node[order], chain[order]
    split_row, gap_after_row = split_row[order], gap_after_row[order]
    # Ways: a new way starts at each chain, after a gap, and at a split (shared node).
    rep = 1 + split_row.astype(np.int64)
    rows = np.repeat(np.arange(len(line)), rep)
    is_dup = np.r_[False, rows[1:] == rows[:-1]]
    r_chain = chain[rows]
    chain_first = np.r_[True, r_chain[1:] != r_chain[:-1]]
    start = chain_first | is_dup | np.r_[False, gap_after_row[rows][:-1] & ~is_dup[:-1]]
    way = np.cumsum(start) - 1
    n_way = int(way[-1]) + 1 if len(way) else 0
    way_line = line[rows][start]
    # One-way status flips after a split on the same line.
    after_split = np.cumsum(is_dup)
    base = np.maximum.accumulate(np.where(chain_first, after_split, 0))
    flips = (after_split - base)[start] % 2 == 1
    way_ow = tab["oneway"][way_line] ^ flips
    refs = node[rows]
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
    refs = refs[keep_rows]
    size = size[good]
    way_line = way_line[good]
    way_ow = way_ow[good]
    (refs, size, way_line, way_ow), (x_all, y_all) = _split_ways(
        net,
        rng,
        prm,
        (refs, size, way_line, way_ow),
        (x_all, y_all),
        n_simplified,
        transition_nodes,
        (sample_lo, sample_hi),
    )
    # Roundabout rings, clockwise (UK traffic), with points on a circle between the entries.
    rb_refs: list[np.ndarray] = []
    rb_hw: list[int] = []
    if len(ent_node):
        ex, ey = x_all[ent_node], y_all[ent_node]
        cx, cy = rb_pos
        ang = np.arctan2(ey - cy[ent_rb], ex - cx[ent_rb])
        o = np.lexsort((-ang, ent_rb))
        ent_rb_s, ent_node_s, ang_s = ent_rb[o], ent_node[o], ang[o]
        bounds = np.flatnonzero(np.r_[True, ent_rb_s[1:] != ent_rb_s[:-1], True])
        radius = prm.roundabout_radius_m
        # A roundabout takes the class of its most important arm.
        rb_major = np.full(len(rb_nodes), UNCLASSIFIED)
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
        x_all = np.concatenate([x_all, *ring_x])
        y_all = np.concatenate([y_all, *ring_y])
    n_line_ways = len(way_line)
    all_refs = np.concatenate([refs, *rb_refs]) if rb_refs else refs
    all_size = np.r_[size, [len(r) for r in rb_refs]].astype(np.int64)
    all_ow = np.r_[way_ow, np.ones(len(rb_refs), bool)]
    fixed = _untrap(all_refs, all_size, all_ow, n_line_ways)
    way_ow = fixed[:n_line_ways]
    # Tags.
    hw_names = _HIGHWAY
    tags: list[dict[str, str]] = []
    hw_l = tab["hw"][way_line].tolist()
    sp_l = tab["speed"][way_line].tolist()
    nm_l = tab["name"][way_line].tolist()
    rf_l = tab["ref"][way_line].tolist()
    ow_l = way_ow.tolist()
    for i in range(len(way_line)):
        tg = {"highway": hw_names[hw_l[i]]}
        if ow_l[i]:
            tg["oneway"] = "yes"
        if sp_l[i]:
            tg["maxspeed"] = _SPEEDS[sp_l[i]]
        if nm_l[i] >= 0:
            tg["name"] = net.names[nm_l[i]]
        if rf_l[i] >= 0:
            tg["ref"] = net.refs[rf_l[i]]
        tags.append(tg)
    if rb_refs:
        tags.extend({"highway": _HIGHWAY[h], "junction": "roundabout"} for h in rb_hw)
        refs = np.concatenate([refs, *rb_refs])
        size = np.r_[size, [len(r) for r in rb_refs]]
    offsets = np.r_[0, np.cumsum(size)].astype(np.int64)
    return x_all, y_all, offsets, refs, tags


def _untrap(refs: np.ndarray, size: np.ndarray, oneway: np.ndarray, n_fixable: int) -> np.ndarray:
    """Make one-way ways two-way where they cut nodes off from the main network.

    Random one-way streets can, rarely, create places you can enter but not leave. Ways
    touching nodes outside the largest strongly connected component are made two-way (only
    the first ``n_fixable`` ways; roundabouts stay one-way) until none is left.
    """
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
        int((oneway[:n_fixable] != oneway[:n_fixable]).sum()),
    )
    return oneway


def _split_ways(
    net: _Net,
    rng: np.random.Generator,
    prm: _Params,
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


# ============================================================================ public API


def generate_network(
    profile: str = "town", n_nodes: int = 2000, seed: int = 0, name: str = "Northby"
) -> OsmWays:
    """Generate a synthetic UK-like road network.

    Parameters
    ----------
    profile
        ``"town"`` (calibrated to the City of London) or ``"county"`` (calibrated to Rutland).
    n_nodes
        Target number of nodes of the simplified car network (intersections and dead ends);
        the result is within a few per cent.
    seed
        Seed of the random generator; the same seed, size and profile give identical output.
    name
        Name of the town (used in road names and the source description).

    Returns
    -------
    OsmWays
        Nodes (WGS84) and tagged ways sharing nodes at junctions, as if read from OSM.

    Raises
    ------
    InputError
        If the profile is unknown or the size or seed is out of range.
    """
    if profile not in PROFILES:
        raise InputError(
            f"unknown synthetic profile {profile!r}; choose one of {', '.join(PROFILES)}"
        )
    if not MIN_NODES <= int(n_nodes) <= MAX_NODES:
        raise InputError(
            f"synthetic network size must be between {MIN_NODES} and {MAX_NODES} nodes, got {n_nodes}"
        )
    if int(seed) < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed}")
    t0 = time.perf_counter()
    prm = _PARAMS[profile]
    # Size from a calibrated density or node budget; if the estimate of the result is off,
    # rescale and rebuild, keeping the closest attempt. Every attempt restarts the same
    # seeded streams, so the outcome is a pure function of (profile, n_nodes, seed).
    factor = prm.size_factor
    best: tuple[float, float] | None = None
    for attempt in range(6):
        rs = _Streams(seed, profile, n_nodes)
        topo = _build(profile, prm, rs, int(n_nodes) * factor, int(n_nodes), name)
        ratio = topo.n_est / n_nodes
        log.debug(
            "synthetic %s attempt %d: estimated %d nodes for %d",
            profile,
            attempt,
            topo.n_est,
            n_nodes,
        )
        if best is None or abs(ratio - 1.0) < abs(best[1] - 1.0):
            best = (factor, ratio)
        if abs(ratio - 1.0) < 0.03:
            break
        factor /= ratio
    else:
        # No attempt was close enough: rebuild the closest (building is deterministic).
        assert best is not None
        rs = _Streams(seed, profile, n_nodes)
        topo = _build(profile, prm, rs, int(n_nodes) * best[0], int(n_nodes), name)
    ways = _finish(topo, rs.finish, prm, profile)
    ways.source = f"synthetic {profile} '{name}' (seed {seed}, {n_nodes} nodes)"
    log.info(
        "generated synthetic %s %r: %d ways, %d nodes (target %d simplified) in %.1fs",
        profile,
        name,
        ways.n_ways,
        ways.n_nodes,
        n_nodes,
        time.perf_counter() - t0,
    )
    return ways


class _Streams:
    """Independent random streams per stage, so resizing one stage does not reshuffle the rest."""

    def __init__(self, seed: int, profile: str, n_nodes: int) -> None:
        # Child seeds are derived by key, not by SeedSequence.spawn (which advances a counter
        # and would give each rebuild different streams).
        entropy = [int(seed), PROFILES.index(profile), int(n_nodes)]
        # Key for hashed per-place randomness; independent of n_nodes on purpose, so that
        # counties of different sizes from one seed share their layout.
        self.key = int(seed) * 1_000_003 + PROFILES.index(profile)
        self.layout, self.feat, self.tags, self.finish = (
            np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(k,))) for k in range(4)
        )


@dataclass
class _Topology:
    """Everything decided before sampling: lines, junctions, roundabouts, one-way streets."""

    net: _Net
    items: _Items
    rb_nodes: np.ndarray
    rb_xy: tuple[np.ndarray, np.ndarray]
    ent_rb: np.ndarray
    ent_node: np.ndarray
    ent_hw: np.ndarray
    n_est: int


def _build(
    profile: str, prm: _Params, rs: _Streams, n_target: float, n_requested: int, name: str
) -> _Topology:
    """Build the topology for a target size (the estimate ``n_est`` drives the size loop)."""
    net = _Net()
    if profile == "town":
        info = _build_town(net, rs, prm, n_target)
    else:
        info = _build_county(net, rs, prm, n_target, n_requested)
    leaves = info["leaves"]
    _add_crescents(net, rs.feat, prm, leaves, prm.crescent_per_leaf, RESIDENTIAL)
    _merge_close(net, prm.merge_tol_m)
    items = _junction_items(net)
    n_est, n_dead = _node_estimate(net, items)
    _add_spurs(net, rs.feat, prm, leaves, n_est, n_dead, RESIDENTIAL)
    _merge_close(net, prm.merge_tol_m)
    _classify_streets(net, rs.tags, profile)
    _assign_tags(net, rs.tags, profile, name)
    items = _junction_items(net)
    rng = rs.finish
    rb = _choose_roundabouts(net, rng, prm, items)
    # Centres of the roundabouts, before their node is replaced by one entry per arm.
    first_occ = np.unique(items.node, return_index=True)
    occ_index = first_occ[1][np.searchsorted(first_occ[0], rb)]
    rb_xy = net.eval_xy(items.line[occ_index], items.t[occ_index])
    items, ent_rb, ent_node, ent_hw = _apply_roundabouts(net, prm, items, rb)
    n_est, _ = _node_estimate(net, items, ent_node)
    _choose_oneway(net, rng, prm, items, ent_node, profile)
    items = _add_transitions(net, rng, prm, items, ent_node, round(n_est / (1 - prm.deg2_share)))
    n_est, _ = _node_estimate(net, items, ent_node)
    return _Topology(net, items, rb, rb_xy, ent_rb, ent_node, ent_hw, n_est)


def _classify_streets(net: _Net, rng: np.random.Generator, profile: str) -> None:
    """Highway classes of streets from their length (long cuts are through roads) and zone."""
    tab = net.table
    st = np.flatnonzero(tab["role"] == R_STREET)
    r = rng.random(len(st))
    zone = tab["zone"][st]
    long_ = tab["len_m"][st]
    hw = np.where(
        zone == Z_CENTRE,
        np.where(r < 0.6, UNCLASSIFIED, np.where(r < 0.95, RESIDENTIAL, LIVING)),
        np.where(r < 0.22, UNCLASSIFIED, np.where(r < 0.97, RESIDENTIAL, LIVING)),
    )
    if profile == "town":
        hw = np.where(long_ > 900.0, TERTIARY, hw)
        hw = np.where((long_ > 2500.0) & (zone != Z_CENTRE), SECONDARY, hw)
    else:
        top = tab["level"][st] <= 1
        hw = np.where(top & (zone == Z_TOWN), TERTIARY, hw)
        hw = np.where((zone == Z_VILLAGE) & top & (r < 0.4), UNCLASSIFIED, hw)
    tab["hw"][st] = hw


def _finish(topo: _Topology, rng: np.random.Generator, prm: _Params, profile: str) -> OsmWays:
    """Sampling into ways, warp and projection to WGS84."""
    net = topo.net
    x, y, offsets, refs, tags = _assemble(
        net,
        rng,
        prm,
        topo.items,
        topo.ent_rb,
        topo.ent_node,
        topo.ent_hw,
        topo.rb_nodes,
        topo.rb_xy,
        topo.n_est,
    )
    # Compact node ids to 1..N over referenced nodes only.
    used, inverse = np.unique(refs, return_inverse=True)
    xs, ys = x[used], y[used]
    xs, ys = _warp(rng, prm, xs, ys)
    if profile == "town":
        # A random orientation so that towns from different seeds do not all face north.
        a = rng.uniform(0, TWO_PI)
        xs, ys = xs * math.cos(a) - ys * math.sin(a), xs * math.sin(a) + ys * math.cos(a)
    to_bng = pyproj.Transformer.from_crs("EPSG:4326", _BNG, always_xy=True)
    e0, n0 = to_bng.transform(CENTRE_LON, CENTRE_LAT)
    to_wgs = pyproj.Transformer.from_crs(_BNG, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs.transform(xs + e0, ys + n0)
    return OsmWays(
        node_id=np.arange(1, len(used) + 1, dtype=np.int64),
        lon=np.asarray(lon, dtype=np.float64),
        lat=np.asarray(lat, dtype=np.float64),
        way_id=np.arange(1, len(tags) + 1, dtype=np.int64),
        way_offsets=offsets,
        way_refs=(inverse.astype(np.int64) + 1),
        way_tags=tags,
    )


# ============================================================================ statistics

#: Real networks each profile is calibrated against (files in the shared data folder).
REFERENCE_FILES: dict[str, str] = {
    "town": "city-of-london-overpass-2024.osm.bz2",
    "county": "rutland-drive.osm.bz2",
}
#: Human-readable names of the reference areas.
REFERENCE_NAMES: dict[str, str] = {"town": "City of London", "county": "Rutland"}
#: Statistics the synthetic networks must match (within 25% of the reference).
CALIBRATED_STATS: tuple[str, ...] = (
    "streets_per_node_avg",
    "k_avg",
    "circuity_avg",
    "edge_length_avg",
    "edge_length_median",
    "dead_end_share",
    "oneway_share",
)
#: Ways of turning raw roads into a car graph; "planner" is the planner's own normaliser.
PIPELINES: tuple[str, ...] = ("planner", "osmnx")


def default_pipeline() -> str:
    """``"planner"`` when :mod:`planner.roads.network` can build graphs, else ``"osmnx"``."""
    try:
        from planner.roads.network import build_network, load_network  # noqa: F401
    except ImportError:
        return "osmnx"
    return "planner"


def car_graph(source: OsmWays | str | Path, pipeline: str = "planner") -> nx.MultiDiGraph:
    """Projected car graph (EPSG:27700) of raw ways or an OSM file, for :func:`network_stats`.

    Parameters
    ----------
    source
        Generated ways, or a road file (``.osm``, ``.osm.bz2``, ``.osm.pbf``...).
    pipeline
        ``"planner"``: :func:`planner.roads.network.build_network` (files via ``load_network``),
        then ``car.to_networkx()``. ``"osmnx"``: ``osmnx.graph_from_xml`` (ways are written to a
        temporary OSM XML file first) and ``osmnx.project_graph``. Use the same pipeline for
        the two sides of a comparison.
    """
    if pipeline not in PIPELINES:
        raise InputError(f"unknown pipeline {pipeline!r}; choose one of {', '.join(PIPELINES)}")
    if pipeline == "planner":
        from planner.roads.network import build_network, load_network

        net = build_network(source) if isinstance(source, OsmWays) else load_network(source)
        return net.car.to_networkx()
    import tempfile

    import osmnx as ox

    from planner.roads.osm import write_osm_xml

    if isinstance(source, OsmWays):
        with tempfile.TemporaryDirectory() as tmp:
            graph = ox.graph_from_xml(write_osm_xml(source, Path(tmp) / "synthetic.osm"))
    else:
        graph = ox.graph_from_xml(source)
    return ox.project_graph(graph, to_crs=_BNG)


def compare_stats(
    real: dict[str, float], synthetic: dict[str, float], tolerance: float = 0.25
) -> list[dict[str, Any]]:
    """Rows of ``statistic, real, synthetic, difference (fraction), ok`` for the calibrated stats."""
    rows = []
    for key in CALIBRATED_STATS:
        r, s = float(real[key]), float(synthetic[key])
        diff = (s - r) / r if r else math.inf
        rows.append(
            {
                "statistic": key,
                "real": r,
                "synthetic": s,
                "difference": diff,
                "ok": abs(diff) <= tolerance,
            }
        )
    return rows


def network_stats(graph: nx.MultiDiGraph) -> dict[str, float]:
    """Statistics of a projected, simplified osmnx-style car network.

    Parameters
    ----------
    graph
        A MultiDiGraph with ``graph["crs"]`` projected (metres), node attributes ``x``, ``y``
        (and ``street_count``, added here if missing), and edge attributes ``length`` (m) and
        ``oneway`` (bool).

    Returns
    -------
    dict
        ``streets_per_node_avg``, ``k_avg`` (mean degree), ``circuity_avg``,
        ``edge_length_avg``, ``edge_length_median`` (m), ``dead_end_share`` (nodes with one
        street), ``oneway_share`` (of directed edges), ``n_nodes`` and ``n_edges``.
    """
    import osmnx as ox  # heavy import: only when statistics are asked for

    crs = graph.graph.get("crs")
    if crs is None or not pyproj.CRS.from_user_input(crs).is_projected:
        raise InputError("network_stats needs a projected graph (metres); project it first")
    if graph.number_of_nodes() == 0:
        raise InputError("network_stats got an empty graph")
    if any("street_count" not in d for _, d in graph.nodes(data=True)):
        graph = graph.copy()
        nx.set_node_attributes(graph, ox.stats.count_streets_per_node(graph), "street_count")
    basic = ox.stats.basic_stats(graph)
    lengths = np.fromiter((d["length"] for _, _, d in graph.edges(data=True)), dtype=np.float64)
    oneway = np.fromiter(
        (bool(d.get("oneway", False)) for _, _, d in graph.edges(data=True)), dtype=bool
    )
    return {
        "n_nodes": float(graph.number_of_nodes()),
        "n_edges": float(graph.number_of_edges()),
        "streets_per_node_avg": float(basic["streets_per_node_avg"]),
        "k_avg": float(basic["k_avg"]),
        "circuity_avg": float(basic["circuity_avg"]),
        "edge_length_avg": float(basic["edge_length_avg"]),
        "edge_length_median": float(np.median(lengths)) if len(lengths) else float("nan"),
        "dead_end_share": float(basic["streets_per_node_proportions"].get(1, 0.0)),
        "oneway_share": float(oneway.mean()) if len(oneway) else float("nan"),
    }
