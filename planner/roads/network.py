"""Normalised, routable road networks for car and foot patrols.

A :class:`RoadNetwork` holds one :class:`ModeNetwork` per patrol mode. Both are built from the
same raw :class:`planner.roads.osm.OsmWays` by :func:`build_network`, which:

1. keeps the ways the mode may use (:mod:`planner.roads.rules`: the filters are modelled on
   osmnx's ``drive`` and ``walk`` network types);
2. applies one-way rules for cars (``oneway=yes|true|1|-1|reverse``, roundabouts and motorways
   are one-way unless tagged ``oneway=no``); foot ways are walkable both ways;
3. projects to British National Grid (EPSG:27700);
4. clips to a force boundary plus a buffer, when one is given (:func:`read_boundary`);
5. splits ways into edges at every node shared by two ways (or used twice by one), keeping the
   other nodes as edge geometry. Unlike osmnx's simplification, a node where just two ways
   meet end to end stays a node, so this graph has more two-street nodes and shorter edges
   than osmnx's (routing is unaffected; graph statistics are not comparable across the two);
6. sets ``speed_kph`` and ``travel_time_s`` on every edge (UK speed rules:
   :func:`planner.roads.rules.car_speed_kph`);
7. keeps the largest strongly connected component and reports what was dropped.

Arrays, not networkx objects, are the storage: they make matrices and the cache fast. Call
:meth:`ModeNetwork.to_networkx` for an osmnx-compatible ``MultiDiGraph``. Road files and
downloads are read by :mod:`planner.roads.sources`; normalised networks are saved and loaded
by :mod:`planner.roads.cache`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np
import pyproj
import shapely
from scipy import sparse

from planner.common import BNG, DEFAULT_BUFFER_M, WGS84
from planner.errors import InputError
from planner.roads.osm import OsmWays
from planner.roads.rules import (
    DIR_BOTH,
    WALK_SPEED_KPH,
    car_allowed,
    car_direction,
    car_speed_kph,
    foot_allowed,
)
from planner.roads.segments import WayPoints, main_graph, split_segments, way_points

log = logging.getLogger(__name__)

Mode = Literal["car", "foot"]
MODES: tuple[Mode, ...] = ("car", "foot")

#: British National Grid: every network and site is held in these metres.
CRS_BNG = f"EPSG:{BNG}"

#: Bump when the normalisation changes, so stale cache files are rebuilt, never reused.
#: 2: undirected osmnx GraphML keeps its one-way directions (:mod:`planner.roads.graphml`).
NORMALISE_VERSION = 2

#: Below this share of a mode's nodes in its largest strongly connected component, the build
#: report warns: so many unreachable roads usually mean a broken input, not a real network.
WARN_MAIN_SHARE = 0.8
#: Below this share, the network is refused: routes would miss most of the area.
MIN_MAIN_SHARE = 0.2

#: What usually breaks a network into pieces, for warnings and errors.
_FRAGMENT_HINTS = (
    "one-way streets running the wrong way (an undirected GraphML saved without osmnx's "
    "from/to attributes?), a boundary that cuts the roads into pieces (wrong boundary_name, "
    "or too small a buffer_m?), or an extract of only part of the roads"
)


@dataclass(frozen=True)
class BuildReport:
    """What normalising one mode kept and dropped.

    Attributes
    ----------
    mode
        ``"car"`` or ``"foot"``.
    ways_read, ways_used
        Ways in the source, and ways the mode may use.
    clipped_points
        Way points (nodes along the ways) outside the force boundary plus buffer, removed.
    components
        Strongly connected components before keeping the largest.
    nodes, edges
        Kept in the largest strongly connected component.
    dropped_nodes, dropped_edges
        Removed with the smaller components.
    """

    mode: str
    ways_read: int
    ways_used: int
    clipped_points: int
    components: int
    nodes: int
    edges: int
    dropped_nodes: int
    dropped_edges: int

    @property
    def main_share(self) -> float:
        """Share of the mode's nodes kept in the largest strongly connected component."""
        total = self.nodes + self.dropped_nodes
        return self.nodes / total if total else 0.0

    @property
    def warnings(self) -> tuple[str, ...]:
        """What looks wrong with this network (empty when nothing does).

        Derived from the counts, so a network read from the cache reports the same.
        """
        if self.main_share >= WARN_MAIN_SHARE:
            return ()
        return (
            f"only {self.main_share:.0%} of the {self.mode} network's "
            f"{self.nodes + self.dropped_nodes:,} nodes are in its largest strongly connected "
            f"component ({self.nodes:,} nodes kept of {self.components:,} components; "
            f"{self.dropped_nodes:,} dropped, cannot be reached or left); check for "
            + _FRAGMENT_HINTS,
        )

    def summary(self) -> str:
        """One line for logs and the CLI."""
        return (
            f"{self.mode}: {self.nodes:,} nodes, {self.edges:,} edges from {self.ways_used:,} of "
            f"{self.ways_read:,} ways; largest of {self.components:,} strongly connected "
            f"components kept, {self.dropped_nodes:,} nodes and {self.dropped_edges:,} edges "
            "dropped"
            + (
                f"; {self.clipped_points:,} way points outside the boundary removed"
                if self.clipped_points
                else ""
            )
            + "".join(f"; WARNING: {w}" for w in self.warnings)
        )


@dataclass(frozen=True, eq=False)
class ModeNetwork:
    """A routable directed network for one patrol mode, in EPSG:27700 metres.

    Nodes are indexed ``0..n_nodes-1``. Edges are directed ``edge_u -> edge_v``. Each edge
    follows a *segment* (a piece of road between junctions, with its geometry); a two-way road
    has one segment and two edges. Segments cut off from the main network are kept (with
    ``seg_main`` False) so that snapping can tell "isolated road" from "no road".
    """

    mode: Mode
    node_osmid: np.ndarray
    node_x_m: np.ndarray
    node_y_m: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_segment: np.ndarray
    edge_reversed: np.ndarray
    edge_length_m: np.ndarray
    edge_speed_kph: np.ndarray
    edge_travel_time_s: np.ndarray
    edge_oneway: np.ndarray
    edge_highway: np.ndarray
    edge_way_id: np.ndarray
    seg_start: np.ndarray
    seg_end: np.ndarray
    seg_main: np.ndarray
    seg_fwd_edge: np.ndarray
    seg_bwd_edge: np.ndarray
    seg_name: np.ndarray
    coord_x_m: np.ndarray
    coord_y_m: np.ndarray
    highway_labels: tuple[str, ...]
    name_labels: tuple[str, ...]
    report: BuildReport
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_x_m)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return len(self.edge_u)

    def csr(
        self, weight: Literal["travel_time_s", "length_m"] = "travel_time_s"
    ) -> sparse.csr_array:
        """Sparse adjacency matrix with the cheapest parallel edge's weight, for csgraph."""
        key = f"csr_{weight}"
        if key not in self._cache:
            w = self.edge_travel_time_s if weight == "travel_time_s" else self.edge_length_m
            self._cache[key] = adjacency_csr(self.edge_u, self.edge_v, w, self.n_nodes)
        return self._cache[key]

    def segment_coords(self, seg: int) -> np.ndarray:
        """``(k, 2)`` coordinates of a segment in its stored (forward) direction."""
        s, e = int(self.seg_start[seg]), int(self.seg_end[seg])
        return np.column_stack([self.coord_x_m[s : e + 1], self.coord_y_m[s : e + 1]])

    def edge_coords(self, edge: int) -> np.ndarray:
        """``(k, 2)`` coordinates of a directed edge from ``edge_u`` to ``edge_v``."""
        xy = self.segment_coords(int(self.edge_segment[edge]))
        return xy[::-1] if self.edge_reversed[edge] else xy

    def segment_lines(self) -> np.ndarray:
        """Every segment as a shapely LineString (cached), indexed by segment."""
        if "lines" not in self._cache:
            counts = (self.seg_end - self.seg_start + 1).astype(np.int64)
            pos = (
                np.concatenate(
                    [np.arange(s, e + 1) for s, e in zip(self.seg_start, self.seg_end, strict=True)]
                )
                if len(counts)
                else np.empty(0, np.int64)
            )
            coords = np.column_stack([self.coord_x_m[pos], self.coord_y_m[pos]])
            self._cache["lines"] = shapely.linestrings(
                coords, indices=np.repeat(np.arange(len(counts)), counts)
            )
        return self._cache["lines"]

    def bounds_m(self) -> tuple[float, float, float, float]:
        """``(minx, miny, maxx, maxy)`` of the nodes in EPSG:27700 metres."""
        return (
            float(self.node_x_m.min()),
            float(self.node_y_m.min()),
            float(self.node_x_m.max()),
            float(self.node_y_m.max()),
        )

    def to_networkx(self, *, geometry: bool = False) -> nx.MultiDiGraph:
        """An osmnx-compatible projected ``MultiDiGraph`` (for osmnx stats and interop).

        Parameters
        ----------
        geometry
            Attach a shapely ``LineString`` to every edge (slower, more memory).
        """
        g = nx.MultiDiGraph(crs=CRS_BNG, simplified=True, mode=self.mode)
        g.add_nodes_from(
            (i, {"x": float(x), "y": float(y), "osmid": int(o)})
            for i, (x, y, o) in enumerate(
                zip(self.node_x_m, self.node_y_m, self.node_osmid, strict=True)
            )
        )
        lines = self.segment_lines() if geometry else None
        for e in range(self.n_edges):
            attrs: dict[str, Any] = {
                "osmid": int(self.edge_way_id[e]),
                "highway": self.highway_labels[self.edge_highway[e]],
                "oneway": bool(self.edge_oneway[e]),
                "reversed": bool(self.edge_reversed[e]),
                "length": float(self.edge_length_m[e]),
                "speed_kph": float(self.edge_speed_kph[e]),
                "travel_time": float(self.edge_travel_time_s[e]),
            }
            name = self.name_labels[self.seg_name[self.edge_segment[e]]]
            if name:
                attrs["name"] = name
            if lines is not None:
                line = lines[self.edge_segment[e]]
                attrs["geometry"] = shapely.reverse(line) if self.edge_reversed[e] else line
            g.add_edge(int(self.edge_u[e]), int(self.edge_v[e]), **attrs)
        import osmnx as ox  # only for its street count, which its stats functions expect

        nx.set_node_attributes(g, ox.stats.count_streets_per_node(g), name="street_count")
        return g


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """Car and foot networks of one area, in EPSG:27700.

    Attributes
    ----------
    car, foot
        The network of each patrol mode.
    source
        Where the roads came from (a file path, a place name...).
    boundary_wkt
        The clipping polygon (boundary plus buffer) in EPSG:27700, if any.
    """

    car: ModeNetwork
    foot: ModeNetwork
    source: str
    boundary_wkt: str | None = None

    crs = CRS_BNG

    def mode(self, mode: str) -> ModeNetwork:
        """The network for ``"car"`` or ``"foot"``."""
        if mode == "car":
            return self.car
        if mode == "foot":
            return self.foot
        raise InputError(f"unknown patrol mode {mode!r}; use 'car' or 'foot'", field="mode")

    def warnings(self) -> tuple[str, ...]:
        """Both modes' build warnings (see :attr:`BuildReport.warnings`)."""
        return self.car.report.warnings + self.foot.report.warnings

    def summary(self) -> str:
        """Human-readable report of both modes."""
        return "\n".join(
            [
                f"network from {self.source} ({CRS_BNG})",
                self.car.report.summary(),
                self.foot.report.summary(),
            ]
        )


def adjacency_csr(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> sparse.csr_array:
    """CSR matrix of the minimum weight per ``(u, v)``; csgraph would *sum* duplicates."""
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    keep = first & (u != v)
    # csgraph treats explicit zeros as missing edges: keep zero-length edges routable.
    weights = np.maximum(w[keep], 1e-6)
    return sparse.csr_array((weights, (u[keep], v[keep])), shape=(n, n))


def _way_attributes(
    ways: OsmWays, mode: Mode
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    n = ways.n_ways
    direction = np.zeros(n, dtype=np.int8)
    speed = np.zeros(n, dtype=np.float64)
    highway = []
    for i, tags in enumerate(ways.way_tags):
        highway.append(tags.get("highway", ""))
        if mode == "car":
            if car_allowed(tags):
                direction[i] = car_direction(tags)
                speed[i] = car_speed_kph(tags)
        elif foot_allowed(tags):
            direction[i] = DIR_BOTH
            speed[i] = WALK_SPEED_KPH
    names = [t.get("name", t.get("ref", "")) for t in ways.way_tags]
    return direction, speed, np.asarray(highway, dtype=object), names


def build_mode(
    ways: OsmWays, mode: Mode, clip_polygon_m: shapely.Geometry | None = None
) -> ModeNetwork:
    """Normalise raw ways into the network of one patrol mode (see the module docstring).

    Raises
    ------
    InputError
        With the numbers and likely causes, if no way is usable by ``mode``, nothing is left
        after clipping, or the largest strongly connected component holds under
        :data:`MIN_MAIN_SHARE` of the nodes (or fewer than two).
    """
    direction, speed_kph, highway, names = _way_attributes(ways, mode)
    use = direction > 0
    if not use.any():
        classes = ", ".join(f"{k or 'none'} {n:,}" for k, n in _counts(highway)[:8])
        raise InputError(
            f"none of the {ways.n_ways:,} roads is usable by {mode} patrols (highway classes: "
            f"{classes}); check the extract covers the force area and holds its public roads",
            path=ways.source or None,
        )
    pts = way_points(ways, use, clip_polygon_m)
    seg = split_segments(pts, ways.n_nodes)
    if len(seg.start) == 0:
        raise _nothing_inside_error(ways.source, mode, pts, int(use.sum()), clip_polygon_m)
    g = main_graph(pts, seg, direction)
    report = BuildReport(
        mode=mode,
        ways_read=ways.n_ways,
        ways_used=int(use.sum()),
        clipped_points=pts.clipped,
        components=g.components,
        nodes=g.n_nodes_main,
        edges=int(g.main.sum()),
        dropped_nodes=int(g.n_nodes_all - g.n_nodes_main),
        dropped_edges=int((~g.main).sum()),
    )
    if report.nodes < 2 or report.main_share < MIN_MAIN_SHARE:
        raise InputError(
            f"the {mode} network is too broken to route on: its largest strongly connected "
            f"component holds {report.nodes:,} of its {report.nodes + report.dropped_nodes:,} "
            f"nodes ({report.main_share:.0%}; at least {MIN_MAIN_SHARE:.0%} and 2 nodes are "
            f"needed), the rest split into {report.components - 1:,} other components; check for "
            + _FRAGMENT_HINTS,
            path=ways.source or None,
        )
    log.info("%s", report.summary())
    for warning in report.warnings:
        log.warning("%s: %s", ways.source, warning)
    e_seg_m, e_rev_m = g.seg[g.main], g.rev[g.main]
    seg_fwd_edge = np.full(len(seg.start), -1, dtype=np.int64)
    seg_bwd_edge = np.full(len(seg.start), -1, dtype=np.int64)
    eidx = np.arange(len(e_seg_m))
    seg_fwd_edge[e_seg_m[~e_rev_m]] = eidx[~e_rev_m]
    seg_bwd_edge[e_seg_m[e_rev_m]] = eidx[e_rev_m]
    seg_main = np.zeros(len(seg.start), bool)
    seg_main[e_seg_m] = True
    highway_labels, highway_codes = np.unique(
        highway[seg.way[e_seg_m]].astype(str), return_inverse=True
    )
    seg_names = np.asarray([names[w] for w in seg.way.tolist()], dtype=object)
    name_labels, name_codes = np.unique(seg_names.astype(str), return_inverse=True)
    edge_speed = speed_kph[seg.way[e_seg_m]]
    edge_length = seg.length_m[e_seg_m]
    return ModeNetwork(
        mode=mode,
        node_osmid=ways.node_id[g.nodes],
        node_x_m=g.node_x,
        node_y_m=g.node_y,
        edge_u=g.u,
        edge_v=g.v,
        edge_segment=e_seg_m.astype(np.int64),
        edge_reversed=e_rev_m,
        edge_length_m=edge_length,
        edge_speed_kph=edge_speed,
        edge_travel_time_s=edge_length / (edge_speed / 3.6),
        edge_oneway=(direction[seg.way] != DIR_BOTH)[e_seg_m],
        edge_highway=highway_codes.astype(np.int16),
        edge_way_id=ways.way_id[seg.way[e_seg_m]],
        seg_start=seg.start.astype(np.int64),
        seg_end=seg.end.astype(np.int64),
        seg_main=seg_main,
        seg_fwd_edge=seg_fwd_edge,
        seg_bwd_edge=seg_bwd_edge,
        seg_name=name_codes.astype(np.int32),
        coord_x_m=pts.x,
        coord_y_m=pts.y,
        highway_labels=tuple(highway_labels.tolist()),
        name_labels=tuple(name_labels.tolist()),
        report=report,
    )


def _counts(values: np.ndarray) -> list[tuple[str, int]]:
    """``(value, count)`` pairs, most frequent first."""
    labels, counts = np.unique(values.astype(str), return_counts=True)
    order = np.argsort(-counts, kind="stable")
    return [(str(labels[i]), int(counts[i])) for i in order]


def _nothing_inside_error(
    source: str, mode: Mode, pts: WayPoints, n_ways: int, clip: shapely.Geometry | None
) -> InputError:
    """The error for a mode with no road left after clipping, with where roads and boundary are."""
    if clip is None:
        return InputError(
            f"the {n_ways:,} {mode} roads have no two consecutive points, so no road to route on",
            path=source or None,
        )
    rx0, ry0, rx1, ry1 = pts.all_bounds
    bx0, by0, bx1, by1 = shapely.bounds(clip).tolist()
    gap_km = float(shapely.distance(shapely.box(rx0, ry0, rx1, ry1), clip)) / 1000
    where = (
        f"{gap_km:,.1f} km apart"
        if gap_km > 0
        else "overlapping, but no two consecutive road points are inside"
    )
    return InputError(
        f"no {mode} road left inside the boundary plus buffer: {pts.clipped:,} of the "
        f"{pts.clipped + len(pts.x):,} points of the {n_ways:,} {mode} roads lie outside it. The "
        f"roads span ({rx0:,.0f}, {ry0:,.0f})-({rx1:,.0f}, {ry1:,.0f}) and the boundary "
        f"({bx0:,.0f}, {by0:,.0f})-({bx1:,.0f}, {by1:,.0f}) in EPSG:27700 metres, {where}. Is the "
        "boundary (boundary_name) the force this extract covers, and does the boundary file "
        "declare the CRS its coordinates are in?",
        path=source or None,
    )


def build_network(
    ways: OsmWays,
    *,
    boundary_m: shapely.Geometry | None = None,
    buffer_m: float = DEFAULT_BUFFER_M,
) -> RoadNetwork:
    """Normalise raw ways into car and foot networks.

    Parameters
    ----------
    ways
        Raw roads from :mod:`planner.roads.osm`.
    boundary_m
        Force area polygon in EPSG:27700; the network is clipped to it plus ``buffer_m``.
    buffer_m
        Margin kept around the boundary, metres, so routes may leave the area briefly.
    """
    clip = None
    if boundary_m is not None:
        clip = shapely.buffer(boundary_m, buffer_m)
        shapely.prepare(clip)
    car = build_mode(ways, "car", clip)
    foot = build_mode(ways, "foot", clip)
    return RoadNetwork(
        car=car, foot=foot, source=ways.source, boundary_wkt=clip.wkt if clip is not None else None
    )


def read_boundary(
    path: str | Path, *, name: str | None = None, name_field: str | None = None
) -> shapely.Geometry:
    """Read a boundary polygon (GeoJSON, GeoPackage, shapefile) and return it in EPSG:27700.

    Parameters
    ----------
    path
        The boundary file, e.g. ONS police force areas.
    name
        Pick the feature whose ``name_field`` equals this (e.g. ``"Leicestershire"``); if
        omitted the file must hold one feature, or all features are merged.
    name_field
        Column holding names; found automatically (``PFA23NM``, ``name``...) if omitted.
    """
    import geopandas as gpd

    path = Path(path)
    if not path.exists():
        raise InputError("boundary file not found; check the path", path=path)
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:
        raise InputError(f"cannot read as a boundary file ({exc})", path=path) from exc
    if gdf.empty:
        raise InputError("boundary file holds no features", path=path)
    if gdf.crs is None:
        raise InputError(
            "boundary file has no CRS; save it with one (EPSG:4326 or EPSG:27700)", path=path
        )
    if name is not None:
        field_name = name_field or next(
            (c for c in gdf.columns if c.upper().endswith("NM") or c.lower() == "name"), None
        )
        if field_name is None or field_name not in gdf.columns:
            raise InputError(
                f"no name column to pick {name!r} from; set name_field", path=path, field=name_field
            )
        picked = gdf[gdf[field_name] == name]
        if picked.empty:
            choices = ", ".join(sorted(map(str, gdf[field_name].unique()))[:50])
            raise InputError(
                f"no feature named {name!r}; names are: {choices}", path=path, field=field_name
            )
        gdf = picked
    check_crs_plausible(*gdf.total_bounds, crs=gdf.crs, what="boundary", path=path)
    geom = gdf.to_crs(CRS_BNG).geometry.union_all()
    if not isinstance(geom, shapely.Polygon | shapely.MultiPolygon):
        raise InputError(f"boundary must be polygons, got {geom.geom_type}", path=path)
    return shapely.make_valid(geom)


def check_crs_plausible(
    minx: float,
    miny: float,
    maxx: float,
    maxy: float,
    *,
    crs: Any,
    what: str,
    path: str | Path | None = None,
) -> None:
    """Reject coordinates that cannot be in Great Britain in the declared CRS.

    Catches the two common mix-ups: eastings/northings declared as WGS84, and lon/lat declared
    as British National Grid.
    """
    epsg = pyproj.CRS.from_user_input(crs).to_epsg()
    if epsg == WGS84:
        if not (minx >= -9.0 and maxx <= 2.5 and miny >= 49.0 and maxy <= 61.5):
            hint = (
                " They look like British National Grid metres: declare EPSG:27700."
                if maxx > 1000
                else ""
            )
            raise InputError(
                f"{what} coordinates ({minx:.4g}, {miny:.4g})-({maxx:.4g}, {maxy:.4g}) are not "
                f"longitude/latitude in Great Britain.{hint}",
                path=path,
            )
    elif epsg == BNG:
        if not (minx >= -1e5 and maxx <= 8e5 and miny >= -1e5 and maxy <= 1.3e6) or (
            maxx - minx < 0.5 and maxx < 180
        ):
            hint = (
                " They look like longitude/latitude: declare EPSG:4326."
                if abs(maxx) <= 180 and abs(maxy) <= 90
                else ""
            )
            raise InputError(
                f"{what} coordinates ({minx:.4g}, {miny:.4g})-({maxx:.4g}, {maxy:.4g}) are not "
                f"British National Grid metres.{hint}",
                path=path,
            )
        if abs(maxx) <= 180 and abs(maxy) <= 90:
            raise InputError(
                f"{what} coordinates ({minx:.4g}, {miny:.4g})-({maxx:.4g}, {maxy:.4g}) are degrees, "
                "not British National Grid metres: declare EPSG:4326",
                path=path,
            )


def mode_names(modes: Sequence[str]) -> tuple[Mode, ...]:
    """Validate a list of mode names."""
    out: list[Mode] = []
    for m in modes:
        if m not in MODES:
            raise InputError(f"unknown patrol mode {m!r}; use 'car' or 'foot'", field="mode")
        out.append("car" if m == "car" else "foot")
    return tuple(out)
