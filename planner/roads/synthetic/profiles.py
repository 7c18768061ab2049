"""Calibration constants of the synthetic profiles and the codes used in the line tables.

The ``town`` and ``county`` profiles differ only in these numbers (and in how their layout
is drawn): block sizes, the shares of dead ends and one-way streets the generator hits by
construction, and the constants tuned against the City of London and Rutland with
``scripts/compare_synthetic.py``. The small integer codes (highway class, speed, line kind,
role, zone, bend shape) index the struct-of-arrays line tables of :mod:`.lines`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: The profiles :func:`.generate.generate_network` accepts.
PROFILES: tuple[str, ...] = ("town", "county")

# OSM highway classes; the index is the class code used in the line tables.
HIGHWAY = (
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
SPEEDS = ("", "10 mph", "20 mph", "30 mph", "40 mph", "50 mph", "60 mph", "70 mph", "national")
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

TWO_PI = 2.0 * math.pi


@dataclass(frozen=True)
class Params:
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


_TOWN = Params(
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

_COUNTY = Params(
    nodes_per_km2=6.8,  # unused: the county is sized by node budgets (CountyLayout)
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

PARAMS = {"town": _TOWN, "county": _COUNTY}


@dataclass(frozen=True)
class CountyLayout:
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


LAYOUT = CountyLayout()
