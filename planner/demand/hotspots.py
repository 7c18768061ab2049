"""Harm-weighted crime hot spots: the places where crime does most harm, as patrol sites.

Community-tension patrols visit the places where crime does most harm. Given the crime intake
(:func:`planner.demand.crimes.read_crimes`: kept records in EPSG:27700, each weighted by harm,
see :mod:`planner.demand.harm`), this module

1. adds harm up per street segment of a road network (each record goes to the nearest
   main-network segment within ``max_snap_m``) or per square cell of the British National Grid,
   ranks the units by harm and keeps the top N, or the smallest set holding a share of all harm;
2. returns the hot spots as patrol sites (:class:`Hotspot`, ids ``HS-001``...), with rows for a
   hot spot CSV (readable again by :func:`planner.demand.sites.read_site_points`) and a rejects CSV.

Hot spots are named the way data.police.uk names places, "On or near <street>", from the
OpenStreetMap names of the network's roads, with the grid reference second:
"On or near Bridge Street (TL 4502 5852)" (:func:`hotspot_label`).

data.police.uk locations are anonymised (moved to the nearest "snap point", shown as "On or near
..."), so counts on a single segment or 150 m cell are approximate; hot spots say where harm
concentrates, not the address of any crime.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import shapely

from planner.common import strip_control, to_wgs84
from planner.demand.crimes import TOO_FAR_FROM_ROAD, CrimeIntake, CrimeReject
from planner.errors import InputError
from planner.roads.network import ModeNetwork, RoadNetwork
from planner.roads.snapping import DEFAULT_NO_SNAP_HIGHWAYS

log = logging.getLogger(__name__)

Method = Literal["segment", "grid"]


@dataclass(frozen=True)
class Hotspot:
    """A harm hot spot, as a patrol site.

    Attributes
    ----------
    site_id
        ``HS-001``, ``HS-002``... by rank.
    rank
        1 for the most harmful unit.
    x_m, y_m
        The site, EPSG:27700: for a segment, the point on it nearest the harm-weighted centroid of
        its records; for a cell, the harm-weighted centroid of its records.
    harm
        Sum of the records' harm, days.
    n_records
        Records in the unit.
    counts_by_type, harm_by_type
        Records and harm per crime type, most harmful type first.
    label
        "On or near <street> (<grid reference>)" (:func:`hotspot_label`): the segment's road, or
        the cell's most harmful named road; else the data.police.uk place of ``location_hint``;
        else the Ordnance Survey grid reference alone.
    share_of_harm
        ``harm / total_harm`` of the result.
    unit_id
        ``seg-<index>`` of the network segment, or ``E<easting>N<northing>`` of the cell's
        south-west corner.
    location_hint
        The commonest data.police.uk ``Location`` of its records (e.g. "On or near High Street").
    """

    site_id: str
    rank: int
    x_m: float
    y_m: float
    harm: float
    n_records: int
    counts_by_type: dict[str, int]
    harm_by_type: dict[str, float]
    label: str
    share_of_harm: float
    unit_id: str
    location_hint: str


#: Columns of :meth:`HotspotResult.hotspot_rows`; ``site_id``/``easting``/``northing`` make the
#: file readable by :func:`planner.demand.sites.read_site_points`.
HOTSPOT_COLUMNS: tuple[str, ...] = (
    "site_id",
    "rank",
    "label",
    "easting",
    "northing",
    "lon",
    "lat",
    "harm",
    "share_of_harm",
    "cumulative_share",
    "n_records",
    "method",
    "unit_id",
    "location_hint",
    "counts_by_type",
    "harm_by_type",
)


@dataclass(frozen=True, eq=False)
class HotspotResult:
    """Selected hot spots and the account of every record.

    Attributes
    ----------
    hotspots
        The selected hot spots, by rank.
    intake
        The crime intake (rows read, kept, rejected by reason).
    method
        ``"segment"`` or ``"grid"``.
    total_harm
        Harm of all records placed on a unit (segment or cell), days: the denominator of
        ``share_of_harm``. Records too far from any road (segment method) are not in it.
    covered_harm
        Harm in the selected hot spots.
    n_units
        Segments or cells holding at least one record.
    unassigned
        Kept records farther than ``max_snap_m`` from any main-network road (segment method).
    unassigned_harm
        Their harm, days.
    selection
        How the hot spots were chosen, in words.
    cell_m, max_snap_m
        The method's setting (the other is ``None``).
    """

    hotspots: tuple[Hotspot, ...]
    intake: CrimeIntake
    method: str
    total_harm: float
    covered_harm: float
    n_units: int
    unassigned: tuple[CrimeReject, ...]
    unassigned_harm: float
    selection: str
    cell_m: float | None = None
    max_snap_m: float | None = None

    @property
    def covered_share(self) -> float:
        """Share of ``total_harm`` in the selected hot spots (0 if there is no harm)."""
        return self.covered_harm / self.total_harm if self.total_harm > 0 else 0.0

    @property
    def counts(self) -> dict[str, int]:
        """Input rows in no unit, by reason: the intake's rejects plus ``too_far_from_road``.

        ``intake.rows_read == (records placed on units) + sum(counts.values())``.
        """
        return {**self.intake.counts, TOO_FAR_FROM_ROAD: len(self.unassigned)}

    def hotspot_rows(self) -> list[dict[str, object]]:
        """One row per hot spot, for :func:`planner.common.write_csv` (:data:`HOTSPOT_COLUMNS`)."""
        if not self.hotspots:
            return []
        xs = np.array([h.x_m for h in self.hotspots])
        ys = np.array([h.y_m for h in self.hotspots])
        lons, lats = to_wgs84().transform(xs, ys)
        rows = []
        cumulative = 0.0
        for h, lon, lat in zip(
            self.hotspots, np.atleast_1d(lons), np.atleast_1d(lats), strict=True
        ):
            cumulative += h.share_of_harm
            rows.append(
                {
                    "site_id": h.site_id,
                    "rank": h.rank,
                    "label": h.label,
                    "easting": f"{h.x_m:.1f}",
                    "northing": f"{h.y_m:.1f}",
                    "lon": f"{lon:.6f}",
                    "lat": f"{lat:.6f}",
                    "harm": f"{h.harm:.1f}",
                    "share_of_harm": f"{h.share_of_harm:.4f}",
                    "cumulative_share": f"{cumulative:.4f}",
                    "n_records": h.n_records,
                    "method": self.method,
                    "unit_id": h.unit_id,
                    "location_hint": h.location_hint,
                    "counts_by_type": "; ".join(f"{k}: {v}" for k, v in h.counts_by_type.items()),
                    "harm_by_type": "; ".join(f"{k}: {v:.1f}" for k, v in h.harm_by_type.items()),
                }
            )
        return rows

    def reject_rows(self) -> list[dict[str, object]]:
        """Every row in no unit (``REJECT_COLUMNS`` of :mod:`.crimes`): rejects, then far from roads."""
        return [r.as_row() for r in (*self.intake.rejects, *self.unassigned)]

    def summary(self) -> str:
        """Several lines: the intake account, the method, and the hot spots with their harm."""
        how = (
            f"{self.cell_m:g} m grid cells"
            if self.method == "grid"
            else f"street segments (records within {self.max_snap_m:g} m)"
        )
        lines = [
            self.intake.summary(),
            f"hot spots on {how}: {self.n_units:,} units hold harm {self.total_harm:,.1f} days",
        ]
        if self.unassigned:
            lines.append(
                f"  {len(self.unassigned):,} records (harm {self.unassigned_harm:,.1f}) are more "
                f"than {self.max_snap_m:g} m from any main road and in no hot spot"
            )
        lines.append(
            f"selected {len(self.hotspots)} hot spot(s) ({self.selection}) holding "
            f"{self.covered_share:.1%} of the harm ({self.covered_harm:,.1f} days)"
        )
        for h in self.hotspots:
            top = ", ".join(f"{k} {v}" for k, v in list(h.counts_by_type.items())[:3])
            lines.append(
                f"  {h.site_id}  {h.label:<48.48s} harm {h.harm:8.1f} ({h.share_of_harm:5.1%})  "
                f"{h.n_records:3d} records; most harm from {top}"
            )
        return "\n".join(lines)


def os_grid_ref(x_m: float, y_m: float, digits: int = 6) -> str:
    """Ordnance Survey grid reference of a point in EPSG:27700, e.g. ``"SK 860 087"``.

    Parameters
    ----------
    digits
        Total digits (even, 2-10): 6 gives 100 m squares, 8 gives 10 m.
    """
    if not (0 <= x_m < 700_000 and 0 <= y_m < 1_300_000):
        return f"E{x_m:.0f} N{y_m:.0f}"
    e100k, n100k = int(x_m // 100_000), int(y_m // 100_000)
    # Letters skip I; the first letter is the 500 km square, the second the 100 km square.
    l1 = (19 - n100k) - (19 - n100k) % 5 + (e100k + 10) // 5
    l2 = (19 - n100k) * 5 % 25 + e100k % 5
    l1 += l1 > 7
    l2 += l2 > 7
    half = digits // 2
    scale = 10 ** (5 - half)
    e = int(x_m % 100_000) // scale
    n = int(y_m % 100_000) // scale
    return f"{chr(l1 + 65)}{chr(l2 + 65)} {e:0{half}d} {n:0{half}d}"


def find_hotspots(
    intake: CrimeIntake,
    *,
    method: Method = "segment",
    network: ModeNetwork | None = None,
    cell_m: float = 150.0,
    max_snap_m: float = 100.0,
    top_n: int | None = None,
    harm_share: float | None = None,
    no_snap_highways: Sequence[str] = DEFAULT_NO_SNAP_HIGHWAYS,
) -> HotspotResult:
    """Aggregate harm per street segment or grid cell and select the hot spots.

    Parameters
    ----------
    intake
        Records from :func:`planner.demand.crimes.read_crimes`.
    method
        ``"segment"``: each record goes to the nearest main-network segment of ``network``
        within ``max_snap_m`` (records beyond are reported as ``too_far_from_road``).
        ``"grid"``: square cells of ``cell_m`` aligned on the British National Grid origin.
    network
        The patrol mode's network (``RoadNetwork.car`` or ``.foot``). The segment method places
        records on it; both methods name hot spots after its roads (a grid without a network
        is named from the records' data.police.uk locations).
    cell_m
        Cell side, metres (grid method).
    max_snap_m
        Farthest a record may be from its segment, metres (segment method).
    top_n
        Keep the ``top_n`` most harmful units...
    harm_share
        ...or the smallest set of units holding at least this share (0-1] of ``total_harm``.
        Give exactly one of the two.
    no_snap_highways
        Road classes records are never placed on (motorways: patrols cannot stop there).

    Returns
    -------
    HotspotResult
        The hot spots by rank (harm descending; ties by record count, then unit id).

    Raises
    ------
    InputError
        Both or neither of ``top_n`` and ``harm_share``, either out of range, an unknown
        method, a segment method without a network, or a non-positive ``cell_m``/``max_snap_m``.
    """
    _check_options(method, top_n, harm_share)
    _check_network(network, required=method == "segment")
    recs = intake.records
    x = recs["x_m"].to_numpy(dtype=np.float64)
    y = recs["y_m"].to_numpy(dtype=np.float64)
    unassigned: tuple[CrimeReject, ...] = ()
    cells = np.empty((0, 2), dtype=np.int64)
    if method == "segment":
        unit, unassigned = _segment_units(recs, x, y, network, max_snap_m, no_snap_highways)
    else:
        cells, unit = _grid_cells(x, y, cell_m)

    placed = unit >= 0 if method == "segment" else np.ones(len(recs), dtype=bool)
    harm = recs["harm"].to_numpy(dtype=np.float64)
    unassigned_harm = float(harm[~placed].sum())
    units = _aggregate(recs.loc[placed], unit[placed], x[placed], y[placed])
    # Summed before ranking: the order of a float sum can change its last digit.
    total_harm = float(units["harm"].sum())
    units = _rank(units)
    n_sel, selection = _selection_size(units, top_n, harm_share, total_harm)
    chosen = units.iloc[:n_sel]
    if method == "segment":
        assert network is not None
        streets = _segment_streets(network, chosen["unit"].to_numpy())
    else:
        streets = _cell_streets(network, recs, unit, chosen, cells, cell_m, no_snap_highways)
    hotspots = _make_hotspots(
        chosen,
        recs.loc[placed],
        unit[placed],
        network if method == "segment" else None,
        cells,
        cell_m,
        total_harm,
        streets,
    )
    result = HotspotResult(
        hotspots=tuple(hotspots),
        intake=intake,
        method=method,
        total_harm=total_harm,
        covered_harm=float(chosen["harm"].sum()),
        n_units=len(units),
        unassigned=unassigned,
        unassigned_harm=unassigned_harm,
        selection=selection,
        cell_m=float(cell_m) if method == "grid" else None,
        max_snap_m=float(max_snap_m) if method == "segment" else None,
    )
    log.info("%s", result.summary())
    return result


def _check_options(method: str, top_n: int | None, harm_share: float | None) -> None:
    """Refuse both or neither of ``top_n`` and ``harm_share``, either out of range, or ``method``."""
    if (top_n is None) == (harm_share is None):
        raise InputError("give exactly one of top_n or harm_share", field="top_n")
    if top_n is not None and (
        isinstance(top_n, bool) or not isinstance(top_n, int | np.integer) or top_n < 1
    ):
        raise InputError(f"top_n must be a whole number >= 1, got {top_n!r}", field="top_n")
    if harm_share is not None and (
        isinstance(harm_share, bool)
        or not isinstance(harm_share, int | float)
        or not 0 < harm_share <= 1
    ):
        raise InputError(
            f"harm_share must be a share in (0, 1], e.g. 0.5, got {harm_share!r}",
            field="harm_share",
        )
    if method not in ("segment", "grid"):
        raise InputError(
            f"unknown hot spot method {method!r}; use 'segment' or 'grid'", field="method"
        )


def _segment_units(
    recs: pd.DataFrame,
    x: np.ndarray,
    y: np.ndarray,
    network: ModeNetwork | None,
    max_snap_m: float,
    no_snap_highways: Sequence[str],
) -> tuple[np.ndarray, tuple[CrimeReject, ...]]:
    """Segment of each record (-1 if none is near), and the records too far from any road."""
    assert network is not None
    if not (math.isfinite(max_snap_m) and max_snap_m > 0):
        raise InputError(f"max_snap_m must be positive, got {max_snap_m}", field="max_snap_m")
    unit, unassigned_idx = assign_segments(network, x, y, max_snap_m, no_snap_highways)
    unassigned = tuple(
        CrimeReject(
            str(f),
            int(r),
            TOO_FAR_FROM_ROAD,
            str(ct),
            f"more than {max_snap_m:g} m from a road",
        )
        for f, r, ct in recs.iloc[unassigned_idx][["file", "row", "crime_type"]].itertuples(
            index=False
        )
    )
    return unit, unassigned


def _check_network(network: ModeNetwork | None, *, required: bool) -> None:
    """Refuse a whole RoadNetwork, or no network where one is ``required``."""
    if isinstance(network, RoadNetwork):
        raise InputError(
            "pass one mode's network (network.car or network.foot), not the RoadNetwork",
            field="network",
        )
    if network is None and required:
        raise InputError(
            "the segment method needs a network (e.g. road_network.car)", field="network"
        )


def _grid_cells(x: np.ndarray, y: np.ndarray, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """The occupied cells as (column, row) pairs, and the cell index of each record."""
    if not (math.isfinite(cell_m) and cell_m > 0):
        raise InputError(f"cell_m must be positive, got {cell_m}", field="cell_m")
    # Cells are numbered in (column, row) order, which also breaks ranking ties.
    cells, unit = np.unique(
        np.column_stack([np.floor(x / cell_m), np.floor(y / cell_m)]).astype(np.int64),
        axis=0,
        return_inverse=True,
    )
    return cells, unit.reshape(-1).astype(np.int64)


def _rank(units: pd.DataFrame) -> pd.DataFrame:
    """Units by harm (rounded so summation order cannot break ties), then records, then id."""
    order = np.lexsort(
        (units["unit"].to_numpy(), -units["n"].to_numpy(), -np.round(units["harm"].to_numpy(), 6))
    )
    return units.iloc[order].reset_index(drop=True)


def _selection_size(
    units: pd.DataFrame, top_n: int | None, harm_share: float | None, total_harm: float
) -> tuple[int, str]:
    """How many of the ranked ``units`` to keep, and the rule in words."""
    if top_n is not None:
        return min(int(top_n), len(units)), f"top {int(top_n)} by harm"
    assert harm_share is not None
    share = float(harm_share)
    selection = f"smallest set holding >= {share:.0%} of the harm"
    if total_harm <= 0:
        return 0, selection
    cum = np.cumsum(units["harm"].to_numpy()) / total_harm
    # The tolerance stops float round-off in the cumulative sum from adding a unit.
    n_sel = int(np.searchsorted(cum, share - 1e-9, side="left")) + 1
    return min(n_sel, len(units)), selection


def assign_segments(
    net: ModeNetwork,
    x: np.ndarray,
    y: np.ndarray,
    max_snap_m: float,
    no_snap_highways: Sequence[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest usable main-network segment of each point (-1 beyond ``max_snap_m``)."""
    usable = np.flatnonzero(net.seg_main & ~_banned_segments(net, no_snap_highways))
    unit = np.full(len(x), -1, dtype=np.int64)
    if len(x) and len(usable):
        tree = shapely.STRtree(net.segment_lines()[usable])
        (pi, ti), _ = tree.query_nearest(
            shapely.points(x, y), max_distance=max_snap_m, return_distance=True, all_matches=False
        )
        unit[pi] = usable[ti]
    return unit, np.flatnonzero(unit < 0)


def _banned_segments(net: ModeNetwork, no_snap_highways: Sequence[str]) -> np.ndarray:
    """Per segment, whether its road class is one records are never placed on (a motorway)."""
    banned_codes = np.isin(np.asarray(net.highway_labels, dtype=object), list(no_snap_highways))
    seg_banned = np.zeros(len(net.seg_start), dtype=bool)
    seg_banned[net.edge_segment] = banned_codes[net.edge_highway]
    return seg_banned


def _aggregate(recs: pd.DataFrame, unit: np.ndarray, x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Harm, record count and harm-weighted centroid per unit."""
    h = recs["harm"].to_numpy(dtype=np.float64)
    frame = pd.DataFrame(
        {"unit": unit, "harm": h, "hx": h * x, "hy": h * y, "x": x, "y": y, "n": 1}
    )
    g = frame.groupby("unit", sort=True).sum()
    # A unit whose records all weigh 0 has no harm-weighted centroid: use the plain one.
    weighted = g["harm"].to_numpy() > 0
    safe = np.where(weighted, g["harm"].to_numpy(), 1.0)
    cx = np.where(weighted, g["hx"].to_numpy() / safe, g["x"].to_numpy() / g["n"].to_numpy())
    cy = np.where(weighted, g["hy"].to_numpy() / safe, g["y"].to_numpy() / g["n"].to_numpy())
    return pd.DataFrame(
        {
            "unit": g.index.to_numpy(),
            "harm": g["harm"].to_numpy(),
            "n": g["n"].to_numpy(),
            "cx": cx,
            "cy": cy,
        }
    )


def hotspot_label(street: str, location_hint: str, grid_ref: str) -> str:
    """A hot spot's name as data.police.uk names places, with its grid reference second.

    ``"On or near <street> (<grid_ref>)"`` from the road name; without one, from the
    data.police.uk place of ``location_hint`` (e.g. "On or near Parking Area"); without either,
    the grid reference alone.
    """
    place = street.strip() or location_hint.strip().removeprefix("On or near").strip()
    return f"On or near {place} ({grid_ref})" if place else grid_ref


def _road_names(net: ModeNetwork) -> np.ndarray:
    """OSM name (or ref) of each segment's road, printable; "" where it has none."""
    labels = [strip_control(str(name)).strip() for name in net.name_labels]
    return np.asarray(labels, dtype=object)[net.seg_name]


def _segment_streets(net: ModeNetwork, segments: np.ndarray) -> dict[int, str]:
    """The road name of each of ``segments`` ("" where the road has no name)."""
    names = _road_names(net)
    return {int(u): str(names[u]) for u in segments}


def _cell_streets(
    net: ModeNetwork | None,
    recs: pd.DataFrame,
    unit: np.ndarray,
    chosen: pd.DataFrame,
    cells: np.ndarray,
    cell_m: float,
    no_snap_highways: Sequence[str],
) -> dict[int, str]:
    """The most harmful named road of each chosen cell (absent where no named road is in it).

    Each record of the cell counts for the named road nearest it among the parts of roads inside
    the cell (a road just over the cell's edge names the neighbouring cell, not this one); the
    road names' harm is summed and the largest wins, ties to the alphabetically first name.
    Road classes records are never placed on (``no_snap_highways``: motorways) name nothing.
    """
    if net is None or chosen.empty:
        return {}
    names = _road_names(net)
    named = np.flatnonzero((names != "") & ~_banned_segments(net, no_snap_highways))
    chosen_units = chosen["unit"].to_numpy(dtype=np.int64)
    ix, iy = cells[chosen_units, 0], cells[chosen_units, 1]
    boxes = shapely.box(ix * cell_m, iy * cell_m, (ix + 1) * cell_m, (iy + 1) * cell_m)
    if not len(named):
        return {}
    lines = net.segment_lines()[named]
    box_k, line_k = shapely.STRtree(lines).query(boxes, predicate="intersects")
    pieces = pd.DataFrame(
        {
            "box": box_k,
            "piece": shapely.intersection(lines[line_k], boxes[box_k]),
            "street": names[named[line_k]],
        }
    )
    slot = pd.Series(np.arange(len(chosen_units)), index=chosen_units)
    members = np.flatnonzero(np.isin(unit, chosen_units))
    pts = pd.DataFrame(
        {
            "rec": members,
            "box": slot.loc[unit[members]].to_numpy(),
            "point": shapely.points(
                recs["x_m"].to_numpy()[members], recs["y_m"].to_numpy()[members]
            ),
            "harm": recs["harm"].to_numpy(dtype=np.float64)[members],
        }
    )
    pairs = pts.merge(pieces, on="box")
    if pairs.empty:
        return {}
    pairs["d"] = shapely.distance(pairs["point"].to_numpy(), pairs["piece"].to_numpy())
    # Nearest road of each record; equally near roads go to the alphabetically first name.
    nearest = pairs.sort_values(["rec", "d", "street"], kind="stable").drop_duplicates("rec")
    harm = nearest.groupby(["box", "street"], sort=True)["harm"].sum().reset_index()
    harm["key"] = -np.round(harm["harm"].to_numpy(), 6)
    best = harm.sort_values(["box", "key", "street"], kind="stable").drop_duplicates("box")
    return {
        int(chosen_units[b]): str(street)
        for b, street in zip(best["box"], best["street"], strict=True)
    }


def _make_hotspots(
    chosen: pd.DataFrame,
    recs: pd.DataFrame,
    unit: np.ndarray,
    net: ModeNetwork | None,
    cells: np.ndarray,
    cell_m: float,
    total_harm: float,
    streets: dict[int, str],
) -> list[Hotspot]:
    """Hot spots for the chosen units (segment method if ``net`` is given, else grid cells).

    ``streets`` is the road name of each unit that has one (see :func:`hotspot_label`).
    """
    if chosen.empty:
        return []
    members = recs.assign(unit=unit)
    members = members[members["unit"].isin(chosen["unit"].to_numpy())]
    by_type = members.groupby(["unit", "crime_type"], sort=True)["harm"].agg(["size", "sum"])
    locations = members.loc[
        members["location"].str.replace("On or near", "", regex=False).str.strip() != ""
    ]
    # Commonest location per unit; ties go to the alphabetically first, for reproducible labels.
    loc_counts = locations.groupby(["unit", "location"], sort=True).size().reset_index(name="k")
    loc_counts = loc_counts.sort_values(
        ["unit", "k", "location"], ascending=[True, False, True], kind="stable"
    )
    hint = loc_counts.drop_duplicates("unit").set_index("unit")["location"].to_dict()

    lines = net.segment_lines() if net is not None else None
    out = []
    for rank, row in enumerate(chosen.itertuples(index=False), start=1):
        u = int(row.unit)
        types = by_type.loc[u]
        types = types.iloc[
            np.lexsort(
                (
                    types.index.to_numpy(dtype=str),
                    -types["size"].to_numpy(),
                    -types["sum"].to_numpy(),
                )
            )
        ]
        cx, cy = float(row.cx), float(row.cy)
        if lines is not None and net is not None:
            # The site is on the road: the point of the segment nearest its harm centroid.
            line = lines[u]
            pt = shapely.line_interpolate_point(
                line, shapely.line_locate_point(line, shapely.Point(cx, cy))
            )
            x_m, y_m = float(shapely.get_x(pt)), float(shapely.get_y(pt))
            unit_id = f"seg-{u}"
            grid_ref = os_grid_ref(x_m, y_m, 8)
        else:
            x_m, y_m = cx, cy
            ix, iy = (int(v) for v in cells[u])
            unit_id = f"E{ix * cell_m:.0f}N{iy * cell_m:.0f}"
            grid_ref = os_grid_ref((ix + 0.5) * cell_m, (iy + 0.5) * cell_m, 8)
        location_hint = str(hint.get(u, ""))
        label = hotspot_label(streets.get(u, ""), location_hint, grid_ref)
        out.append(
            Hotspot(
                site_id=f"HS-{rank:03d}",
                rank=rank,
                x_m=x_m,
                y_m=y_m,
                harm=float(row.harm),
                n_records=int(row.n),
                counts_by_type={str(k): int(v) for k, v in types["size"].items()},
                harm_by_type={str(k): float(v) for k, v in types["sum"].items()},
                label=label,
                share_of_harm=float(row.harm) / total_harm if total_harm > 0 else 0.0,
                unit_id=unit_id,
                location_hint=location_hint,
            )
        )
    return out
