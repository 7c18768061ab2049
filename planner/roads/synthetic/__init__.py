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

How it is built (everything vectorised with numpy, so 500,000 nodes take seconds), module by
module:

1. Streets are *lines* in a patch's parameter space ``(u, v)`` (:mod:`.lines`); a patch maps
   ``(u, v)`` to metres either affinely (rotated grid) or log-polarly (``u`` = angle, ``v`` =
   log radius, so constant-``v`` lines are arcs and constant-``u`` lines are radials).
2. The layout of a profile (:mod:`.town`, :mod:`.county`) is cut into blocks recursively (a
   guillotine partition, :mod:`.blocks`): each cut is a new street whose two ends meet the
   block's sides in T-junctions, which is why real street networks are dominated by
   three-way junctions. T-junctions from opposite sides that nearly line up are merged into
   crossroads (:mod:`.junctions`).
3. Leaf blocks receive cul-de-sacs and crescents (:mod:`.features`); roads between
   settlements are smooth random curves between their loose street ends.
4. Statistics the calibration targets are hit by construction where possible (the number
   of cul-de-sacs is solved for the dead-end share, one-way streets are drawn until the
   one-way share of directed edges is met); the remaining constants (:mod:`.profiles`) were
   tuned with ``scripts/compare_synthetic.py`` against the City of London and Rutland
   (:mod:`.calibration`). Names, refs and speed limits come from :mod:`.tags`.
5. Lines are sampled into OSM ways (:mod:`.assembly`: junction nodes shared between ways,
   interior points every few tens of metres). Ways are also split mid-street at the rate
   real OSM data is (tag changes), so the data looks alike to a normaliser that keeps every
   shared node as a junction and to one that merges them as osmnx does. One-way streets
   that would cut places off are made two-way, so the car network is strongly connected.
6. A smooth random displacement field bends everything a little, and British National Grid
   metres are converted to WGS84 with pyproj.

Sizing (:mod:`.generate`): the area is derived from ``n_nodes``; the exact simplified-node
count is known before sampling (:mod:`.topology`), so the build is repeated with a corrected
scale (a few times at most) until it is within 3%. Randomness comes from explicit
``numpy.random.Generator`` streams seeded by ``(seed, profile, n_nodes)``; block cuts and
settlement layout use counter-based hashes of their position in the layout instead, so that
rescaling does not reshuffle them (:mod:`.randomness`). No global random state is used.
"""

from planner.roads.synthetic.generate import (
    GENERATOR_VERSION,
    MAX_NODES,
    MIN_NODES,
    generate_network,
)
from planner.roads.synthetic.profiles import PROFILES

__all__ = ["GENERATOR_VERSION", "MAX_NODES", "MIN_NODES", "PROFILES", "generate_network"]
