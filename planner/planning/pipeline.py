"""Glue between stages: sites onto a network, matrices out, every site accounted for."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from planner.common import DEFAULT_MAX_SNAP_M, to_bng, write_csv
from planner.config import ForceConfig
from planner.demand.control import control_days, treated_reach
from planner.demand.crimes import CrimeIntake, read_crimes
from planner.demand.dosage import (
    HotspotDemand,
    HotspotSlots,
    dosage_params,
    hotspot_demands,
    within_walk,
)
from planner.demand.hotspots import HotspotResult, find_hotspots
from planner.demand.patrol import patrol_points, patrols_for_buying
from planner.demand.resources import Resources, UnitShift, resources_for_week
from planner.demand.sites import SitePoints, read_site_points
from planner.demand.weekly import (
    Demand,
    Reject,
    Site,
    VisitRequirement,
    build_demand,
    required_visits,
    sites_from_points,
)
from planner.errors import InputError
from planner.roads.area import area_boundary, area_network
from planner.roads.matrix import SiteGraph, TravelTimeMatrix, travel_time_matrix
from planner.roads.network import RoadNetwork, mode_names
from planner.roads.snapping import SnappedSites, snap_sites

log = logging.getLogger(__name__)

SNAP_REPORT_COLUMNS = (
    "site_id",
    "mode",
    "status",
    "snap_distance_m",
    "snap_x_m",
    "snap_y_m",
    "nearest_road_m",
    "reason",
)


@dataclass(frozen=True, eq=False)
class MatrixResult:
    """Snapped sites and matrices per mode, and the files written."""

    network: RoadNetwork
    sites: SitePoints
    snaps: dict[str, SnappedSites]
    graphs: dict[str, SiteGraph]
    matrices: dict[str, TravelTimeMatrix]
    files: tuple[Path, ...]

    def summary(self) -> str:
        """Human-readable report of every stage."""
        lines = [self.network.summary(), f"{len(self.sites)} sites read from {self.sites.path}"]
        for mode, snap in self.snaps.items():
            lines.append(snap.summary())
            lines.append(self.matrices[mode].summary())
        lines.extend(f"wrote {f}" for f in self.files)
        return "\n".join(lines)


def snap_and_matrix(
    net: RoadNetwork,
    sites: SitePoints,
    *,
    modes: Sequence[str] = ("car", "foot"),
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    out_dir: str | Path | None = None,
) -> MatrixResult:
    """Snap ``sites`` to each mode's network and compute its matrix.

    With ``out_dir``, writes ``snap_report.csv`` (one row per site and mode, snapped or with
    the reason it is not) and ``matrix_<mode>.csv``.
    """
    snaps: dict[str, SnappedSites] = {}
    graphs: dict[str, SiteGraph] = {}
    matrices: dict[str, TravelTimeMatrix] = {}
    for mode in mode_names(modes):
        mode_net = net.mode(mode)
        snaps[mode] = snap_sites(
            mode_net, sites.site_id, sites.x_m, sites.y_m, max_snap_m=max_snap_m
        )
        graphs[mode] = SiteGraph.build(mode_net, snaps[mode])
        matrices[mode] = travel_time_matrix(graphs[mode])
    files: list[Path] = []
    if out_dir is not None:
        out = Path(out_dir)
        rows = [row for snap in snaps.values() for row in snap.report_rows()]
        files.append(write_csv(out / "snap_report.csv", rows, SNAP_REPORT_COLUMNS))
        for name, m in matrices.items():
            files.append(m.to_csv(out / f"matrix_{name}.csv"))
    return MatrixResult(
        network=net, sites=sites, snaps=snaps, graphs=graphs, matrices=matrices, files=tuple(files)
    )


# ----------------------------------------------------------------------------- the week


@dataclass(frozen=True, eq=False)
class WeekInputs:
    """Everything the optimiser needs for one force and week, and what did not make it.

    Attributes
    ----------
    config
        The force configuration.
    network
        Its road network.
    stations
        Station points, snapped to every mode's network.
    demand
        Visit requirements (sites, hot spots) and the rejects report.
    site_snaps
        Every demand site snapped to each mode's network.
    resources
        Unit-shifts the budget buys.
    hotspots
        The hot spot analysis, if the config has incident files.
    hotspot_demand
        The hot spots' worth and harm profiles, for the elastic dosage.
    """

    config: ForceConfig
    network: RoadNetwork
    stations: SitePoints
    station_snaps: dict[str, SnappedSites]
    demand: Demand
    site_snaps: dict[str, SnappedSites]
    resources: Resources
    hotspots: HotspotResult | None
    hotspot_demand: tuple[HotspotDemand, ...] = ()

    def summary(self) -> str:
        """Demand, hot spots, budget and rejects, for the console."""
        parts = [f"{self.config.name}: week {self.config.week.label}", self.network.summary()]
        if self.hotspots is not None:
            parts.append(self.hotspots.summary())
        parts.extend([self.demand.summary(), self.resources.summary()])
        return "\n\n".join(parts)

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write the demand tables, rejects, hot spots and unit-shifts into ``out_dir``."""
        out = Path(out_dir)
        files = self.demand.write(out)
        files.append(self.resources.write(out / "unit_shifts.csv"))
        if self.hotspots is not None:
            for name, rows in (
                ("hotspots.csv", self.hotspots.hotspot_rows()),
                ("crime_rejects.csv", self.hotspots.reject_rows()),
            ):
                files.append(write_csv(out / name, rows, list(rows[0]) if rows else ["none"]))
        return files


def _modes_in_use(config: ForceConfig) -> tuple[str, ...]:
    return tuple(m for m in ("car", "foot") if any(u.mode == m for u in config.units))


def station_points(config: ForceConfig) -> SitePoints:
    """The config's stations as points in EPSG:27700."""
    xs, ys = [], []
    for st in config.stations:
        if st.easting is not None and st.northing is not None:
            xs.append(st.easting)
            ys.append(st.northing)
        else:
            x, y = to_bng().transform(st.lon, st.lat)
            xs.append(x)
            ys.append(y)
    return SitePoints(
        path=config.base_dir,
        site_id=tuple(s.id for s in config.stations),
        x_m=np.asarray(xs, dtype=float),
        y_m=np.asarray(ys, dtype=float),
        attributes=tuple({"name": s.name, "kind": "station"} for s in config.stations),
    )


def rebuy(
    inputs: WeekInputs, exclude: frozenset[str] = frozenset(), relief: Collection[str] = ()
) -> WeekInputs:
    """``inputs`` with the unit-shifts bought again, never those in ``exclude``.

    A plan can leave a bought unit-shift without a route (its visits went to other units);
    its money is better spent on a unit-shift the plan can use. ``relief`` names required
    visits that need a second unit-shift through their windows.
    """
    config = inputs.config
    hot = inputs.hotspot_demand
    resources = resources_for_week(
        config,
        inputs.demand.visits,
        hotspot_value(config, hot, inputs.demand.sites, inputs.stations, inputs.demand.visits),
        exclude=exclude,
        relief=relief,
    )
    return dataclasses.replace(inputs, resources=resources)


def hotspot_value(
    config: ForceConfig,
    hot: Sequence[HotspotDemand],
    sites: Sequence[Site],
    stations: SitePoints,
    visits: Sequence[VisitRequirement],
) -> HotspotSlots | None:
    """The hot-spot patrol each further unit-shift would add, for buying shifts.

    Reassurance patrols at tension sites (:mod:`planner.demand.patrol`; ``visits`` are the
    week's own visits they keep clear of) count too, as a tie-break after premises visits and
    hot spots (:func:`~planner.demand.patrol.patrols_for_buying`): where there are few or no
    hot spots, the funded hours still buy patrols instead of lying unspent.
    """
    hot = [*hot, *patrols_for_buying(hot, patrol_points(sites, visits, config))]
    if not hot:
        return None
    xy = {s.site_id: (s.x_m, s.y_m) for s in sites}
    home = dict(zip(stations.site_id, zip(stations.x_m, stations.y_m, strict=True), strict=True))
    reach_s = config.demand.foot_reach_min * 60
    everything = list(range(len(hot)))
    on_foot: dict[str, list[int]] = {}

    def reach(shift: UnitShift) -> list[int]:
        if shift.mode != "foot":
            return everything
        if shift.station_id not in on_foot:
            sx, sy = home[shift.station_id]
            on_foot[shift.station_id] = [
                i
                for i, h in enumerate(hot)
                if within_walk(xy[h.site_id][0] - sx, xy[h.site_id][1] - sy, reach_s)
            ]
        return on_foot[shift.station_id]

    # No unit-shift is bought for control hot-spot-days (planner.demand.control).
    ids = [h.site_id for h in hot]
    control = control_days(config, [h.site_id for h in hot if not h.patrol])
    return HotspotSlots(hot, treated_reach(reach, ids, control), dosage_params(config))


def _check_unique_ids(station_ids: list[str], sites: list[Site]) -> None:
    """Raise on a site id used twice, by sites or by a site and a station."""
    seen: set[str] = set(station_ids)
    for s in sites:
        if s.site_id in seen:
            raise InputError(
                f"site id {s.site_id!r} is used twice (by another site or a station); ids must be unique",
                path=s.source.split(":")[0],
                field="site_id",
            )
        seen.add(s.site_id)


def prepare_week(config: ForceConfig, *, cache_dir: str | Path) -> WeekInputs:
    """Network, stations, sites, hot spots, demand and resources for one force and week.

    Raises
    ------
    InputError
        If a station cannot be placed on the network of a mode its units use.
    """
    net = area_network(config, cache_dir)
    modes = _modes_in_use(config)
    max_snap_m = config.area.max_snap_m

    stations = station_points(config)
    station_snaps = {}
    for mode in modes:
        snap = snap_sites(
            net.mode(mode), stations.site_id, stations.x_m, stations.y_m, max_snap_m=max_snap_m
        )
        users = {u.station for u in config.units if u.mode == mode}
        for rej in snap.rejections:
            if rej.site_id in users:
                raise InputError(
                    f"station {rej.site_id!r} cannot be placed on the {mode} network: {rej.reason}",
                    field="stations",
                )
        station_snaps[mode] = snap

    sites: list[Site] = []
    rejects: list[Reject] = []
    force_boundary = area_boundary(config)
    boundary_name = (
        config.area.boundary_name or Path(config.area.boundary).name
        if config.area.boundary is not None
        else "the force boundary"
    )
    for path in config.site_files():
        got, site_rejects = sites_from_points(
            read_site_points(path),
            config.week.days,
            boundary_m=force_boundary,
            buffer_m=config.area.buffer_m,
            boundary_name=boundary_name,
            kinds=config.demand.kinds,
        )
        sites.extend(got)
        rejects.extend(site_rejects)

    hotspots = None
    if config.incidents.files:
        inc = config.incidents
        # Hot spots must be patrollable: in the force area, and where this network has roads.
        coverage = network_coverage(net)
        intake = read_crimes(
            config.incident_files(),
            boundary_m=force_boundary,
            coverage_m=coverage,
            buffer_m=inc.boundary_buffer_m,
            crime_types=inc.crime_types,
            harm_weights=inc.harm_weights,
            force_name=inc.force_name,
            exclude_m=excluded_places(config),
        )
        _warn_partial_coverage(force_boundary, coverage, intake)
        hotspots = find_hotspots(
            intake,
            method=inc.method,
            network=net.car if "car" in modes else net.foot,
            cell_m=inc.cell_m,
            top_n=inc.top_n,
            harm_share=inc.harm_share,
        )
        sites.extend(_hotspot_sites(hotspots))

    _check_unique_ids(list(stations.site_id), sites)
    ids = [s.site_id for s in sites]
    xs = np.array([s.x_m for s in sites], dtype=float)
    ys = np.array([s.y_m for s in sites], dtype=float)
    site_snaps = {m: snap_sites(net.mode(m), ids, xs, ys, max_snap_m=max_snap_m) for m in modes}
    reachable = np.zeros(len(sites), dtype=bool)
    for snap in site_snaps.values():
        reachable |= snap.snapped
    why: dict[str, list[str]] = {}
    for mode, snap in site_snaps.items():
        for r in snap.rejections:
            why.setdefault(r.site_id, []).append(f"{mode}: {r.reason}")
    placed: list[Site] = []
    for s, ok in zip(sites, reachable, strict=True):
        if ok:
            placed.append(s)
        else:
            rejects.append(
                Reject(
                    s.source,
                    s.site_id,
                    "snap",
                    "; ".join(why[s.site_id]),
                    s.kind,
                    required_visits(s, config) if s.kind != "hotspot" else 0,
                )
            )

    demand = build_demand(config, placed, rejects=rejects)
    hot = hotspot_demands(demand.sites, hotspots, config)
    resources = resources_for_week(
        config, demand.visits, hotspot_value(config, hot, demand.sites, stations, demand.visits)
    )
    return WeekInputs(
        config=config,
        network=net,
        stations=stations,
        station_snaps=station_snaps,
        demand=demand,
        site_snaps=site_snaps,
        resources=resources,
        hotspots=hotspots,
        hotspot_demand=tuple(hot),
    )


def _hotspot_sites(hotspots: HotspotResult) -> list[Site]:
    """The hot spots as demand sites, named as data.police.uk names places."""
    return [
        Site(
            site_id=h.site_id,
            name=h.label,
            kind="hotspot",
            risk="medium",
            x_m=h.x_m,
            y_m=h.y_m,
            windows=(),
            source="incidents",
            harm=h.harm,
            evidence=dict(h.counts_by_type),
        )
        for h in hotspots.hotspots
    ]


def _warn_partial_coverage(
    force_boundary: shapely.Geometry | None, coverage: shapely.Geometry, intake: CrimeIntake
) -> None:
    """Warn when the network covers only part of the force area, with the crime it holds."""
    if force_boundary is None or intake.coverage_share is None:
        return
    force_area_m2 = float(shapely.area(force_boundary))
    covered_m2 = float(shapely.area(shapely.intersection(force_boundary, coverage)))
    # The hull of the roads never follows a generalised boundary exactly: 1% is not "partial".
    if force_area_m2 <= 0 or covered_m2 >= 0.99 * force_area_m2:
        return
    outside = intake.counts["outside_coverage"]
    log.warning(
        "the road network covers only %.0f%% of the force area, holding %.1f%% of the force's "
        "crimes: %s record(s) inside the force area are outside the network's coverage and in no "
        "hot spot; use a network extract of the whole force area to plan for all of it",
        100 * covered_m2 / force_area_m2,
        100 * intake.coverage_share,
        f"{outside:,}",
    )


def excluded_places(config: ForceConfig) -> shapely.Geometry | None:
    """The config's excluded places as one EPSG:27700 geometry (circles), or ``None``."""
    if not config.incidents.exclude:
        return None
    circles = []
    for place in config.incidents.exclude:
        if place.easting is not None and place.northing is not None:
            x, y = place.easting, place.northing
        else:
            x, y = to_bng().transform(place.lon, place.lat)
        circles.append(shapely.buffer(shapely.Point(x, y), place.radius_m))
    return shapely.union_all(circles)


def network_coverage(net: RoadNetwork) -> shapely.Geometry:
    """Where the network has roads: the concave hull of every foot-network point, EPSG:27700.

    The foot network is the densest (tracks and paths too), so its hull follows the extract's
    outline closely; a convex hull would reach far beyond the roads at a ragged edge.
    """
    mn = net.foot
    points = shapely.multipoints(np.column_stack([mn.coord_x_m, mn.coord_y_m]))
    return shapely.concave_hull(points, ratio=0.1)
