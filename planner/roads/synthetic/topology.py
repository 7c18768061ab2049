"""The topology of a synthetic network: every line, junction and tag, before sampling.

:func:`build_topology` runs the stages in their fixed order (layout, crescents, cul-de-sacs,
street classes and tags, roundabouts, one-way streets, one-way/two-way changes), each on its
own random stream. Its node estimate drives :func:`.generate.generate_network`'s size search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.roads.synthetic.county import build_county
from planner.roads.synthetic.features import add_crescents, add_spurs
from planner.roads.synthetic.junctions import (
    Items,
    add_transitions,
    apply_roundabouts,
    choose_oneway,
    choose_roundabouts,
    junction_items,
    merge_close,
    node_estimate,
)
from planner.roads.synthetic.lines import Net
from planner.roads.synthetic.profiles import RESIDENTIAL, Params
from planner.roads.synthetic.randomness import Streams
from planner.roads.synthetic.tags import assign_tags, classify_streets
from planner.roads.synthetic.town import build_town


@dataclass
class Topology:
    """Everything decided before sampling: lines, junctions, roundabouts, one-way streets."""

    net: Net
    items: Items
    rb_nodes: np.ndarray
    rb_xy: tuple[np.ndarray, np.ndarray]
    ent_rb: np.ndarray
    ent_node: np.ndarray
    ent_hw: np.ndarray
    n_est: int


def build_topology(
    profile: str, prm: Params, rs: Streams, n_target: float, n_requested: int, name: str
) -> Topology:
    """Build the topology for a target size (the estimate ``n_est`` drives the size loop)."""
    net = Net()
    if profile == "town":
        leaves = build_town(net, rs, prm, n_target)
    else:
        leaves = build_county(net, rs, prm, n_target, n_requested)
    add_crescents(net, rs.feat, prm, leaves, prm.crescent_per_leaf, RESIDENTIAL)
    merge_close(net, prm.merge_tol_m)
    items = junction_items(net)
    n_est, n_dead = node_estimate(net, items)
    add_spurs(net, rs.feat, prm, leaves, n_est, n_dead, RESIDENTIAL)
    merge_close(net, prm.merge_tol_m)
    classify_streets(net, rs.tags, profile)
    assign_tags(net, rs.tags, profile, name)
    items = junction_items(net)
    rng = rs.finish
    rb = choose_roundabouts(net, rng, prm, items)
    # Centres of the roundabouts, before their node is replaced by one entry per arm.
    first_occ = np.unique(items.node, return_index=True)
    occ_index = first_occ[1][np.searchsorted(first_occ[0], rb)]
    rb_xy = net.eval_xy(items.line[occ_index], items.t[occ_index])
    items, ent_rb, ent_node, ent_hw = apply_roundabouts(net, prm, items, rb)
    n_est, _ = node_estimate(net, items, ent_node)
    choose_oneway(net, rng, prm, items, ent_node, profile)
    items = add_transitions(net, rng, prm, items, ent_node, round(n_est / (1 - prm.deg2_share)))
    n_est, _ = node_estimate(net, items, ent_node)
    return Topology(net, items, rb, rb_xy, ent_rb, ent_node, ent_hw, n_est)
