"""Snap sites (points) onto the nearest routable road of a patrol mode's network.

A site is placed at the nearest point of the nearest road segment of the main network, and the
snap distance is recorded. A site is *rejected* (never silently dropped) when:

- it has no coordinates;
- the nearest usable road is farther than ``max_snap_m``;
- the only roads within ``max_snap_m`` are on a piece of network that cannot reach the rest
  (removed when the network kept its largest strongly connected component).

Motorways are not snap targets by default: a patrol cannot stop on one to visit a site.

A site snapped farther than :data:`WARN_SNAP_DISTANCE_M` (possible only with a raised
``max_snap_m``) is named in a logged warning, as is a limit over :data:`WARN_MAX_SNAP_M`: a
site that far from its road is often placed on a road it is not on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from planner.common import DEFAULT_MAX_SNAP_M
from planner.errors import InputError
from planner.roads.network import ModeNetwork

log = logging.getLogger(__name__)

#: Road classes a patrol cannot stop on, so never used to reach a site.
DEFAULT_NO_SNAP_HIGHWAYS: tuple[str, ...] = ("motorway", "motorway_link")
#: A snap limit above this is warned about: that far from a road, a site is often put on a
#: road it is not on (the other side of a river, a bypass behind a fence).
WARN_MAX_SNAP_M = 500.0
#: Sites snapped farther than this from their road are listed in a warning. It is the default
#: limit, so only a raised ``max_snap_m`` lets such sites through.
WARN_SNAP_DISTANCE_M = DEFAULT_MAX_SNAP_M
#: Most sites named in one warning; the snap report lists every distance.
_MAX_LISTED = 20


@dataclass(frozen=True)
class SnapRejection:
    """A site that could not be placed on the network, and why."""

    site_id: str
    reason: str
    nearest_road_m: float | None


@dataclass(frozen=True, eq=False)
class SnappedSites:
    """Sites placed on one mode's network.

    All arrays are aligned with ``site_ids`` (every input site, snapped or not).

    Attributes
    ----------
    mode
        The network's patrol mode.
    site_ids
        Input site ids, in input order.
    snapped
        Whether each site was placed on the network.
    segment
        Segment index the site sits on (``-1`` if rejected).
    fraction
        Position along the segment in its stored direction, 0 at ``seg_start`` to 1 at its end.
    snap_distance_m
        Straight-line distance from the site to its snapped point (NaN if rejected).
    snap_x_m, snap_y_m
        The snapped point in EPSG:27700 (NaN if rejected).
    rejections
        One entry per rejected site, with the reason.
    """

    mode: str
    site_ids: tuple[str, ...]
    snapped: np.ndarray
    segment: np.ndarray
    fraction: np.ndarray
    snap_distance_m: np.ndarray
    snap_x_m: np.ndarray
    snap_y_m: np.ndarray
    rejections: tuple[SnapRejection, ...]

    @property
    def snapped_ids(self) -> tuple[str, ...]:
        """Ids of the sites that are on the network, in input order."""
        return tuple(s for s, ok in zip(self.site_ids, self.snapped, strict=True) if ok)

    def report_rows(self) -> list[dict[str, str]]:
        """One row per site: snapped or rejected, distance, and the reason if rejected."""
        reasons = {r.site_id: r for r in self.rejections}
        rows = []
        for k, sid in enumerate(self.site_ids):
            rej = reasons.get(sid)
            rows.append(
                {
                    "site_id": sid,
                    "mode": self.mode,
                    "status": "snapped" if self.snapped[k] else "rejected",
                    "snap_distance_m": f"{self.snap_distance_m[k]:.1f}" if self.snapped[k] else "",
                    "snap_x_m": f"{self.snap_x_m[k]:.1f}" if self.snapped[k] else "",
                    "snap_y_m": f"{self.snap_y_m[k]:.1f}" if self.snapped[k] else "",
                    "nearest_road_m": ""
                    if rej is None or rej.nearest_road_m is None
                    else f"{rej.nearest_road_m:.1f}",
                    "reason": rej.reason if rej else "",
                }
            )
        return rows

    def far_snaps(self, min_distance_m: float = WARN_SNAP_DISTANCE_M) -> list[tuple[str, float]]:
        """``(site id, snap distance m)`` of sites snapped farther than ``min_distance_m``.

        Farthest first. Such a site was placed on a road, but may not be on it: check its
        coordinates.
        """
        far = np.flatnonzero(self.snapped & (self.snap_distance_m > min_distance_m))
        far = far[np.argsort(-self.snap_distance_m[far], kind="stable")]
        return [(self.site_ids[i], float(self.snap_distance_m[i])) for i in far.tolist()]

    def summary(self) -> str:
        """One line: how many snapped, how far, how many rejected."""
        n_ok = int(self.snapped.sum())
        dist = self.snap_distance_m[self.snapped]
        far = f", median {np.median(dist):.0f} m, max {dist.max():.0f} m" if n_ok else ""
        return f"{self.mode}: {n_ok} of {len(self.site_ids)} sites snapped{far}; {len(self.rejections)} rejected"


def _tree(net: ModeNetwork, key: str, mask: np.ndarray) -> tuple[shapely.STRtree, np.ndarray]:
    cache_key = f"strtree_{key}"
    if cache_key not in net._cache:
        idx = np.flatnonzero(mask)
        net._cache[cache_key] = (shapely.STRtree(net.segment_lines()[idx]), idx)
    return net._cache[cache_key]


def _snap_mask(net: ModeNetwork, no_snap_highways: Sequence[str]) -> np.ndarray:
    """Main-network segments whose road class a patrol may stop on."""
    banned = np.isin(np.asarray(net.highway_labels, dtype=object), list(no_snap_highways))
    seg_banned = np.zeros(len(net.seg_start), dtype=bool)
    seg_banned[net.edge_segment] = banned[net.edge_highway]
    return net.seg_main & ~seg_banned


def snap_sites(
    net: ModeNetwork,
    site_ids: Sequence[str],
    x_m: Sequence[float] | np.ndarray,
    y_m: Sequence[float] | np.ndarray,
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    no_snap_highways: Sequence[str] = DEFAULT_NO_SNAP_HIGHWAYS,
) -> SnappedSites:
    """Snap sites given in EPSG:27700 metres to the nearest usable road.

    Parameters
    ----------
    net
        The mode's network.
    site_ids
        Unique site ids.
    x_m, y_m
        Site eastings and northings (EPSG:27700); NaN for a site without coordinates.
    max_snap_m
        Farthest a site may be from the road it is snapped to.
    no_snap_highways
        Road classes never used as snap targets.

    Returns
    -------
    SnappedSites
        Every site, snapped or with a rejection reason.
    """
    ids = tuple(str(s) for s in site_ids)
    if len(set(ids)) != len(ids):
        dupes = sorted({s for s in ids if ids.count(s) > 1})
        raise InputError(
            f"site ids must be unique; repeated: {', '.join(dupes[:10])}", field="site_id"
        )
    if max_snap_m <= 0:
        raise InputError(f"max_snap_m must be positive, got {max_snap_m}", field="max_snap_m")
    x = np.asarray(x_m, dtype=np.float64)
    y = np.asarray(y_m, dtype=np.float64)
    n = len(ids)
    if x.shape != (n,) or y.shape != (n,):
        raise InputError("site ids and coordinates must have the same length")

    segment = np.full(n, -1, dtype=np.int64)
    fraction = np.full(n, np.nan)
    distance = np.full(n, np.nan)
    snap_x = np.full(n, np.nan)
    snap_y = np.full(n, np.nan)
    located = np.isfinite(x) & np.isfinite(y)
    points = shapely.points(np.where(located, x, 0.0), np.where(located, y, 0.0))

    lines = net.segment_lines()
    usable = _snap_mask(net, no_snap_highways)
    tree, tree_idx = _tree(net, "usable-" + ",".join(sorted(no_snap_highways)), usable)
    q = np.flatnonzero(located)
    if len(q):
        (pi, ti), dist = tree.query_nearest(
            points[q], max_distance=max_snap_m, return_distance=True, all_matches=False
        )
        hit = q[pi]
        seg = tree_idx[ti]
        segment[hit] = seg
        distance[hit] = dist
        fraction[hit] = shapely.line_locate_point(lines[seg], points[hit], normalized=True)
        snapped_pts = shapely.line_interpolate_point(lines[seg], fraction[hit], normalized=True)
        snap_x[hit] = shapely.get_x(snapped_pts)
        snap_y[hit] = shapely.get_y(snapped_pts)

    rejections: list[SnapRejection] = []
    missed = np.flatnonzero(segment < 0)
    if len(missed):
        rejections = _explain_misses(
            net, ids, points, located, missed, max_snap_m, no_snap_highways
        )
    result = SnappedSites(
        mode=net.mode,
        site_ids=ids,
        snapped=segment >= 0,
        segment=segment,
        fraction=fraction,
        snap_distance_m=distance,
        snap_x_m=snap_x,
        snap_y_m=snap_y,
        rejections=tuple(rejections),
    )
    log.info("%s", result.summary())
    _warn_far(result, max_snap_m)
    if rejections:
        log.warning(
            "%d sites not placed on the %s network; each is reported with its reason "
            "(demand/rejects.csv in a plan's folder, snap_report.csv from `planner matrix`)",
            len(rejections),
            net.mode,
        )
    for r in rejections:
        log.debug("site %s not placed on the %s network: %s", r.site_id, net.mode, r.reason)
    return result


def _warn_far(result: SnappedSites, max_snap_m: float) -> None:
    """Warn of a snap limit so high that sites land on roads they are not on, and of such sites."""
    if max_snap_m > WARN_MAX_SNAP_M:
        log.warning(
            "max_snap_m is %.0f m: a site may be placed on a %s road up to that far away, often a "
            "road it is not on; over %.0f m is rarely right (the default is %.0f m): fix the "
            "far sites' coordinates instead",
            max_snap_m,
            result.mode,
            WARN_MAX_SNAP_M,
            DEFAULT_MAX_SNAP_M,
        )
    far = result.far_snaps()
    if far:
        listed = ", ".join(f"{sid} {dist:.0f} m" for sid, dist in far[:_MAX_LISTED])
        more = f" and {len(far) - _MAX_LISTED} more" if len(far) > _MAX_LISTED else ""
        log.warning(
            "%d sites are over %.0f m from the %s road they were placed on: %s%s; check their "
            "coordinates (snap_report.csv lists every distance), or lower max_snap_m to reject "
            "them",
            len(far),
            WARN_SNAP_DISTANCE_M,
            result.mode,
            listed,
            more,
        )


def _explain_misses(
    net: ModeNetwork,
    ids: tuple[str, ...],
    points: np.ndarray,
    located: np.ndarray,
    missed: np.ndarray,
    max_snap_m: float,
    no_snap_highways: Sequence[str],
) -> list[SnapRejection]:
    usable_tree, _ = _tree(
        net, "usable-" + ",".join(sorted(no_snap_highways)), _snap_mask(net, no_snap_highways)
    )
    isolated_tree, _ = _tree(net, "isolated", ~net.seg_main)
    all_tree, all_idx = _tree(net, "all", np.ones(len(net.seg_start), dtype=bool))
    out = []
    for i in missed.tolist():
        if not located[i]:
            out.append(
                SnapRejection(ids[i], "no coordinates (a postcode alone is not geocoded)", None)
            )
            continue
        pt = points[i : i + 1]
        _, d_usable = usable_tree.query_nearest(pt, return_distance=True)
        nearest_usable = float(d_usable[0]) if len(d_usable) else None
        near_iso = isolated_tree.query(points[i], predicate="dwithin", distance=max_snap_m)
        (_, t_any), d_any = all_tree.query_nearest(pt, return_distance=True)
        any_seg = int(all_idx[t_any[0]]) if len(t_any) else -1
        if len(near_iso):
            reason = (
                f"the only {net.mode} roads within {max_snap_m:.0f} m are on a piece of network "
                "cut off from the rest (it cannot be reached, or cannot be left); the nearest "
                f"connected road is {nearest_usable:.0f} m away"
            )
        elif any_seg >= 0 and float(d_any[0]) <= max_snap_m:
            reason = (
                f"the only {net.mode} roads within {max_snap_m:.0f} m are of a class patrols "
                f"cannot stop on ({', '.join(no_snap_highways)}); the nearest other road is "
                f"{nearest_usable:.0f} m away"
            )
        else:
            reason = (
                f"no {net.mode} road within {max_snap_m:.0f} m (nearest is {nearest_usable:.0f} m "
                "away); check the coordinates and their CRS, or raise max_snap_m"
            )
        out.append(SnapRejection(ids[i], reason, nearest_usable))
    return out
