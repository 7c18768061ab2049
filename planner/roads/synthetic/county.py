"""The ``county`` profile's layout: market towns, villages and the rural roads between them.

Settlements sit on a jittered, hashed grid (so a smaller county is a subset of a bigger one),
each cut into blocks by :func:`.blocks.guillotine`. Rural roads follow the Gabriel graph of
the settlements and countryside junctions, thinned towards a road-length budget; A roads join
the market towns, a trunk dual carriageway crosses the county, and dead-end farm lanes spend
the rest of the budget. Calibrated against Rutland.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph
from scipy.spatial import Delaunay, cKDTree
from scipy.special import ndtri

from planner.roads.synthetic.blocks import guillotine, make_cells
from planner.roads.synthetic.features import ragged_ends
from planner.roads.synthetic.lines import Net
from planner.roads.synthetic.profiles import (
    AFFINE,
    LAYOUT,
    PRIMARY,
    R_LANE,
    R_LINK,
    SECONDARY,
    SINE,
    TERTIARY,
    TRUNK,
    TWO_PI,
    UNCLASSIFIED,
    Z_RURAL,
    Z_TOWN,
    Z_VILLAGE,
    Params,
)
from planner.roads.synthetic.randomness import Streams, hash_uniform


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


@dataclass(frozen=True)
class _Settlements:
    """Where the county's market towns and villages are."""

    pts: np.ndarray  # centres, metres from the county centre
    is_town: np.ndarray
    reach: float  # the county's edge, in the hashed score that picked the settlements
    side_m: float  # width of the county


@dataclass(frozen=True)
class _Places:
    """Settlements and countryside junctions, and the road ends rural roads may start from.

    A settlement offers its loose street ends; a countryside junction is one node itself.
    """

    pts: np.ndarray  # settlements first, then countryside junctions
    end_node: np.ndarray
    end_x: np.ndarray
    end_y: np.ndarray
    end_place: np.ndarray  # index into pts


def build_county(
    net: Net, rs: Streams, prm: Params, n_target: float, n_requested: int
) -> dict[str, np.ndarray]:
    """Lay out settlements (guillotine patches) and the rural roads and farm lanes between them.

    The number and sizes of settlements come from node budgets (shares of ``n_target``), so
    the size of the result depends smoothly on ``n_target`` rather than on a lucky draw of
    one big town. The total road length is budgeted per requested node. Returns the leaf
    blocks of the settlements.
    """
    lay = LAYOUT
    st, cells = _settlements(net, rs.key, prm, n_target)
    leaves = guillotine(net, rs.key, prm, cells)
    leaves["feature_ok"] = np.ones(len(leaves["patch"]), bool)
    ragged_ends(net, rs.feat, 0.6)
    places = _places(net, rs.key, st)
    # Road length budget. Rutland has about 250 m of road per intersection, mostly between
    # settlements; drawing links and lanes until a fixed budget per node is met keeps the
    # mean edge length steady even in small counties, where a few long links would swing it.
    settle_len = float(net.line_length_m(np.flatnonzero(net.table["settle"] >= 0)).sum())
    # Per requested node: the size search pins the node count to n_requested, so this pins
    # the road length per node (n_target is only the search's internal scale).
    budget_m = lay.road_m_per_node * n_requested
    link_budget = budget_m * (1.0 - lay.lane_share) - settle_len
    edges, length = _link_edges(places.pts, link_budget, rs.layout)
    links = _add_links(net, rs.layout, places, edges)
    n_j = len(places.pts) - len(st.pts)
    is_town = np.concatenate([st.is_town, np.zeros(n_j, bool)])
    _classify_links(net, rs.tags, places.pts, is_town, edges, length, links, st.side_m)
    _add_dual_carriageways(net, links)
    _add_farm_lanes(net, rs.layout, links, settle_len, budget_m)
    return leaves


def _settlements(
    net: Net, key: int, prm: Params, n_target: float
) -> tuple[_Settlements, dict[str, np.ndarray]]:
    """Place the settlements and add their patches; return them and their root cells."""
    lay = LAYOUT
    # At least two market towns (Rutland has Oakham and Uppingham) so there are A roads.
    n_towns = max(2, round(n_target * lay.town_node_share / lay.town_nodes))
    mean_village = lay.village_nodes * math.exp(lay.village_sigma**2 / 2)
    ns = n_towns + max(3, round(n_target * lay.village_node_share / mean_village))
    # Settlements on a jittered grid, the ns nearest the centre (with a ragged, random
    # boundary). Everything about a grid cell comes from a hash of its coordinates, so a
    # smaller county is a subset of a bigger one: the size responds smoothly to n_target.
    g = lay.settle_spacing_m
    grid_pts, grid_ij = _grid_candidates(ns, g)
    u = [hash_uniform(key, grid_ij[:, 0], grid_ij[:, 1], c) for c in range(8)]
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
    cells = make_cells(
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
    return _Settlements(pts, is_town, reach, side_m), cells


def _places(net: Net, key: int, st: _Settlements) -> _Places:
    """Loose street ends of the settlements, plus new countryside junction nodes."""
    lay = LAYOUT
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
    ns = len(st.pts)
    g = lay.settle_spacing_m
    gj = g / math.sqrt(lay.junctions_per_settlement)
    j_pts, j_ij = _grid_candidates(int(ns * lay.junctions_per_settlement * 1.6) + 4, gj)
    v = [hash_uniform(key + 1, j_ij[:, 0], j_ij[:, 1], c) for c in range(3)]
    jp = j_pts + 0.45 * gj * np.stack([2 * v[0] - 1, 2 * v[1] - 1], 1)
    inside = np.hypot(*jp.T) + 1.5 * g * v[2] < st.reach
    dist, _ = cKDTree(st.pts).query(jp)
    clear = dist > 0.35 * g
    jp = jp[inside & clear]
    n_j = len(jp)
    j_node = net.new_nodes(n_j)
    return _Places(
        pts=np.concatenate([st.pts, jp]),
        end_node=np.concatenate([f_node, j_node]),
        end_x=np.concatenate([fx, jp[:, 0]]),
        end_y=np.concatenate([fy, jp[:, 1]]),
        end_place=np.concatenate([f_set, ns + np.arange(n_j)]),
    )


def _link_edges(
    allp: np.ndarray, link_budget: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of places joined by a rural road, and their straight-line lengths in metres.

    The Gabriel graph keeps the road-like Delaunay edges; of those not on the minimum
    spanning tree, a random share is kept until the link budget is spent, so that places
    have two to four roads.
    """
    lay = LAYOUT
    n_all = len(allp)
    edges = _gabriel_edges(allp)
    length = np.hypot(*(allp[edges[:, 0]] - allp[edges[:, 1]]).T)
    mst = csgraph.minimum_spanning_tree(
        sp.coo_matrix((length, (edges[:, 0], edges[:, 1])), shape=(n_all, n_all))
    ).tocoo()
    mkey = np.minimum(mst.row, mst.col).astype(np.int64) * n_all + np.maximum(mst.row, mst.col)
    in_mst = np.isin(edges[:, 0].astype(np.int64) * n_all + edges[:, 1], mkey)
    meander_factor = 1.0 + 2.5 * sum(lay.meander) * math.sqrt(2.0 / math.pi)
    extra = rng.permutation(np.flatnonzero(~in_mst))
    room = link_budget - meander_factor * float(length[in_mst].sum())
    n_extra = int(np.searchsorted(np.cumsum(meander_factor * length[extra]), room))
    keep = in_mst.copy()
    keep[extra[:n_extra]] = True
    return edges[keep], length[keep]


def _add_links(
    net: Net, rng: np.random.Generator, places: _Places, edges: np.ndarray
) -> np.ndarray:
    """Add a meandering rural road per edge, between the facing road ends of its two places.

    Each link end is the loose end of its place nearest the other place. Returns the ids of
    the new lines, in edge order.
    """
    ne = len(edges)
    allp, fx, fy, f_set = places.pts, places.end_x, places.end_y, places.end_place
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
    m = np.array(LAYOUT.meander)
    coef = rng.normal(0.0, 1.0, (ne, 3)) * m
    return net.add_lines(
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
        n0=places.end_node[ca],
        n1=places.end_node[cb],
        role=R_LINK,
        hw=UNCLASSIFIED,
        zone=Z_RURAL,
        len_m=np.hypot(fx[cb] - fx[ca], fy[cb] - fy[ca]),
    )


def _add_dual_carriageways(net: Net, links: np.ndarray) -> None:
    """Make trunk links dual carriageways: two one-way ways between the same junctions.

    The two are about 18 m apart at mid-link, each on the left of its direction of travel
    (UK).
    """
    tab = net.table
    trunk = links[tab["hw"][links] == TRUNK]
    if not len(trunk):
        return
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


def _add_farm_lanes(
    net: Net, rng: np.random.Generator, links: np.ndarray, settle_len: float, budget_m: float
) -> None:
    """Add dead-end farm lanes off the links, in proportion to link length, within budget."""
    lay = LAYOUT
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


def _classify_links(
    net: Net,
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
    for _ in range(max(1, round(side_m / LAYOUT.trunk_every_m))):
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
