"""Patrol demand for the week: sites and hot spots become visit requirements.

Site files (CSV, GeoJSON, GeoPackage; the schema is in README.md) hold one row per site:

=================  ===========================================================================
column             meaning
=================  ===========================================================================
site_id            unique id (required)
name               what officers and commanders see
kind               mp_office, mp_surgery, mp_home, place_of_worship, community_centre,
                   protest, event (hot spots come from crime data, see :mod:`planner.demand.hotspots`)
risk               low, medium, high or critical (tension or threat level)
lon, lat           WGS84 degrees, or
easting, northing  British National Grid metres (EPSG:27700)
postcode           kept for reference only; never geocoded
windows            when a visit counts, see :mod:`planner.demand.windows`; empty = any time
visits_per_week    override of the kind's default (for dated kinds: per dated window)
dwell_min          override of the dwell per visit (default 15 minutes, the Koper curve)
min_gap_h          override of the minimum gap between two visits to the site
required           true/false override: must every visit be made?
priority           override of the kind's priority weight
restricted         true/false: a site whose location is not shown (always true for mp_home)
notes              what officers should look for (briefings)
=================  ===========================================================================

Overrides obey the limits of the config's ``[demand.kinds]`` (:class:`KindDemandConfig`), and
booleans are true/false/yes/no/1/0 (any case) or empty for the default: anything else is an
:class:`~planner.errors.InputError` naming the file, row and column, not a guess.

Each visit's *prize* (its harm-weighted value to the optimiser) is
``priority x risk weight``; for a hot spot the risk weight is replaced by its harm relative to
the mean hot spot's, times the "medium" weight, so that hot spots compete with premises on one
scale. Every row ends up either as demand or in the rejects report, with the reason.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from planner.common import PLAIN_NUMBER_RE, write_csv
from planner.config import MP_KINDS, SITE_KINDS, ForceConfig, KindDemandConfig
from planner.demand.sites import SitePoints
from planner.demand.windows import TimeWindow, format_window, parse_windows
from planner.errors import InputError

log = logging.getLogger(__name__)

DATED_KINDS = frozenset({"mp_surgery", "protest", "event"})
RISKS = ("low", "medium", "high", "critical")
OVERRIDES = ("visits_per_week", "dwell_min", "min_gap_h", "required", "priority")
BOOLEAN_COLUMNS = ("required", "restricted")
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_BOUND_WORDS = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}


@dataclass(frozen=True)
class Site:
    """A place that may need patrol visits this week, located in EPSG:27700."""

    site_id: str
    name: str
    kind: str
    risk: str
    x_m: float
    y_m: float
    windows: tuple[TimeWindow, ...]
    source: str
    restricted: bool = False
    notes: str = ""
    harm: float | None = None
    evidence: dict[str, int] = field(default_factory=dict)
    overrides: dict[str, str] = field(default_factory=dict)

    @property
    def is_mp_premises(self) -> bool:
        """MPs' premises are sensitive: they carry a protective marking on every output."""
        return self.kind in MP_KINDS


@dataclass(frozen=True)
class VisitRequirement:
    """One visit the plan should make to a site.

    Attributes
    ----------
    visit_id
        ``<site_id>#<n>``.
    windows
        When the visit may start *and* finish its dwell (the dwell fits inside one window).
    dwell_s, min_gap_s
        Time on site; least time between the starts of two visits to the same site.
    required
        If true the plan must make it (or explain why it cannot).
    prize
        Harm-weighted value of making it.
    """

    visit_id: str
    site_id: str
    kind: str
    windows: tuple[TimeWindow, ...]
    dwell_s: float
    min_gap_s: float
    required: bool
    prize: float
    max_per_route: int = 1


@dataclass(frozen=True)
class Reject:
    """An input record that did not become demand, and why."""

    source: str
    record_id: str
    stage: str
    reason: str


@dataclass(frozen=True)
class Demand:
    """The week's demand: sites, visits, and what was rejected."""

    week_label: str
    sites: tuple[Site, ...]
    visits: tuple[VisitRequirement, ...]
    rejects: tuple[Reject, ...]

    def by_kind(self) -> list[dict[str, Any]]:
        """Table rows: per site kind, sites, visits, required visits, dwell hours, prize."""
        rows = []
        for kind in SITE_KINDS:
            visits = [v for v in self.visits if v.kind == kind]
            n_sites = sum(1 for s in self.sites if s.kind == kind)
            if not n_sites and not visits:
                continue
            rows.append(
                {
                    "kind": kind,
                    "sites": n_sites,
                    "visits": len(visits),
                    "required": sum(v.required for v in visits),
                    "dwell_h": round(sum(v.dwell_s for v in visits) / 3600, 2),
                    "prize": round(sum(v.prize for v in visits), 2),
                }
            )
        return rows

    def summary(self) -> str:
        """Readable table of demand by kind plus the reject count."""
        lines = [
            f"demand for {self.week_label}: {len(self.sites)} sites, {len(self.visits)} visits"
        ]
        lines.append(
            f"{'kind':<18} {'sites':>6} {'visits':>7} {'required':>9} {'dwell h':>8} {'prize':>9}"
        )
        for r in self.by_kind():
            lines.append(
                f"{r['kind']:<18} {r['sites']:>6} {r['visits']:>7} {r['required']:>9} {r['dwell_h']:>8.2f} {r['prize']:>9.1f}"
            )
        if self.rejects:
            counts = Counter(r.stage for r in self.rejects)
            lines.append(
                f"rejected: {len(self.rejects)} records ({', '.join(f'{k}: {n}' for k, n in sorted(counts.items()))}); see rejects.csv"
            )
        return "\n".join(lines)

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``demand_by_kind.csv``, ``visits.csv`` and ``rejects.csv`` atomically."""
        out = Path(out_dir)
        files = [
            write_csv(
                out / "demand_by_kind.csv",
                self.by_kind(),
                ["kind", "sites", "visits", "required", "dwell_h", "prize"],
            ),
            write_csv(
                out / "visits.csv",
                (
                    {
                        "visit_id": v.visit_id,
                        "site_id": v.site_id,
                        "kind": v.kind,
                        "required": v.required,
                        "prize": f"{v.prize:.3f}",
                        "dwell_min": f"{v.dwell_s / 60:g}",
                        "min_gap_h": f"{v.min_gap_s / 3600:g}",
                        "windows": "; ".join(format_window(w) for w in v.windows),
                    }
                    for v in self.visits
                ),
                [
                    "visit_id",
                    "site_id",
                    "kind",
                    "required",
                    "prize",
                    "dwell_min",
                    "min_gap_h",
                    "windows",
                ],
            ),
            write_rejects(out / "rejects.csv", self.rejects),
        ]
        return files


def write_rejects(path: str | Path, rejects: Sequence[Reject]) -> Path:
    """The rejects report: one row per input record that is not in the demand."""
    return write_csv(
        path,
        (
            {"source": r.source, "record_id": r.record_id, "stage": r.stage, "reason": r.reason}
            for r in rejects
        ),
        ["source", "record_id", "stage", "reason"],
    )


def parse_bool(text: str) -> bool | None:
    """``true``/``false``, ``yes``/``no`` or ``1``/``0`` in any case; ``None`` if empty.

    Raises
    ------
    ValueError
        For anything else (``ture``, ``y``, ``2``): a typo must not silently mean false.
    """
    t = text.strip().lower()
    if not t:
        return None
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise ValueError(f"{text.strip()!r} is not true or false; write true, false, yes, no, 1 or 0")


def _limits(name: str) -> list[tuple[str, float]]:
    """The bounds of a :class:`KindDemandConfig` field, as ``("ge", 0.0)`` pairs."""
    out = []
    for meta in KindDemandConfig.model_fields[name].metadata:
        for op in _BOUND_WORDS:
            bound = getattr(meta, op, None)
            if isinstance(bound, int | float):
                out.append((op, float(bound)))
    return out


def _within(number: float, op: str, bound: float) -> bool:
    return {
        "ge": number >= bound,
        "gt": number > bound,
        "le": number <= bound,
        "lt": number < bound,
    }[op]


def parse_override(name: str, text: str) -> int | float | bool:
    """A per-site override (one of :data:`OVERRIDES`), within the limits of the config's kinds.

    Raises
    ------
    ValueError
        Saying what is wrong and what is allowed: not a number (NaN included), not finite, not
        a whole number of visits, outside the :class:`KindDemandConfig` limits, not a boolean.
    """
    t = text.strip()
    if name == "required":
        value = parse_bool(t)
        if value is None:
            raise ValueError("is empty; write true or false")
        return value
    if not PLAIN_NUMBER_RE.fullmatch(t):
        what = "not finite" if t.lower().lstrip("+-").startswith("inf") else "not a number"
        raise ValueError(f"{t!r} is {what}; write a number such as 2 or 7.5")
    number = float(t)
    limits = _limits(name)
    allowed = " and ".join(f"{_BOUND_WORDS[op]} {bound:g}" for op, bound in limits)
    if name == "visits_per_week" and not number.is_integer():
        raise ValueError(f"{t!r} is not a whole number of visits; {name} must be {allowed}")
    if not all(_within(number, op, bound) for op, bound in limits):
        raise ValueError(
            f"{t!r} is out of range: {name} must be {allowed} (the limits of [demand.kinds] "
            "in the force config)"
        )
    return int(number) if name == "visits_per_week" else number


def _check_cells(points: SitePoints, row: int, attrs: dict[str, str]) -> bool:
    """Check a row's overrides and booleans; return whether it is marked restricted.

    Raises
    ------
    InputError
        Naming the file, row and column of a value that is not allowed.
    """
    for name in (*OVERRIDES, "restricted"):
        text = attrs.get(name, "")
        if not text.strip():
            continue
        try:
            if name == "restricted":
                parse_bool(text)
            else:
                parse_override(name, text)
        except ValueError as exc:
            raise InputError(str(exc), path=points.path, row=row, field=name) from None
    return bool(parse_bool(attrs.get("restricted", "")))


def _outside(
    points: SitePoints, boundary_m: shapely.Geometry | None, buffer_m: float, name: str
) -> dict[int, str]:
    """Reasons for the located rows (0-based) outside the boundary plus ``buffer_m``."""
    if boundary_m is None or not len(points):
        return {}
    located = np.isfinite(points.x_m) & np.isfinite(points.y_m)
    area = shapely.buffer(boundary_m, buffer_m) if buffer_m > 0 else boundary_m
    shapely.prepare(area)
    inside = np.ones(len(points), dtype=bool)
    inside[located] = shapely.contains_xy(area, points.x_m[located], points.y_m[located])
    out = {}
    for i in np.flatnonzero(~inside).tolist():
        gap_m = shapely.distance(boundary_m, shapely.Point(points.x_m[i], points.y_m[i]))
        out[i] = (
            f"outside the force area: {gap_m / 1000:,.1f} km beyond {name}, which is kept with "
            f"a {buffer_m:g} m margin; check the coordinates, or the boundary in the config"
        )
    return out


def _row_problem(
    kind: str, risk: str, located: bool, windows_text: str, week_days: Sequence[dt.date]
) -> tuple[str | None, list[TimeWindow]]:
    """Why a row cannot be a site (``None`` if it can), and its windows in the week."""
    if kind not in SITE_KINDS or kind == "hotspot":
        allowed = ", ".join(k for k in SITE_KINDS if k != "hotspot")
        return f"field 'kind': {kind!r} is not a site kind; use one of {allowed}", []
    if risk not in RISKS:
        return f"field 'risk': {risk!r} is not a risk level; use low, medium, high or critical", []
    if not located:
        return (
            "unlocated: no coordinates (a postcode alone is not geocoded; add lon/lat or "
            "easting/northing)",
            [],
        )
    try:
        windows = parse_windows(windows_text, week_days)
    except ValueError as exc:
        return f"field 'windows': {exc}", []
    if windows_text.strip() and not windows:
        return "no window falls in the planning week", []
    if kind in DATED_KINDS and not windows:
        return f"a {kind} needs dated windows, e.g. '2026-12-02 18:00-20:00'", []
    return None, windows


def sites_from_points(
    points: SitePoints,
    week_days: Sequence[dt.date],
    *,
    boundary_m: shapely.Geometry | None = None,
    buffer_m: float = 0.0,
    boundary_name: str = "the force boundary",
) -> tuple[list[Site], list[Reject]]:
    """Typed sites from a site file's rows; rows that cannot be sites become rejects.

    Parameters
    ----------
    points
        The rows of a site file (:func:`planner.demand.sites.read_site_points`).
    week_days
        Monday..Sunday of the planning week.
    boundary_m, buffer_m, boundary_name
        The force boundary (EPSG:27700), the margin kept around it and what to call it in
        messages: a located site farther out is rejected, naming the boundary and the
        distance. ``None`` keeps every located site.

    Raises
    ------
    InputError
        Naming the file, row and column: an override outside the :class:`KindDemandConfig`
        limits or not a finite number, a boolean that is not true/false/yes/no/1/0.
    """
    sites: list[Site] = []
    rejects: list[Reject] = []
    outside = _outside(points, boundary_m, buffer_m, boundary_name)
    for row, (sid, x, y, attrs) in enumerate(
        zip(points.site_id, points.x_m, points.y_m, points.attributes, strict=True), start=1
    ):
        restricted = _check_cells(points, row, attrs)
        source = f"{points.path.name}:{row}"
        kind = attrs.get("kind", "").strip()
        risk = attrs.get("risk", "medium").strip().lower() or "medium"
        located = bool(np.isfinite(x) and np.isfinite(y))
        problem, windows = _row_problem(kind, risk, located, attrs.get("windows", ""), week_days)
        if problem is None and row - 1 in outside:
            problem = outside[row - 1]
        if problem is not None:
            rejects.append(Reject(source, sid, "site", problem))
            continue
        sites.append(
            Site(
                site_id=sid,
                name=attrs.get("name", sid) or sid,
                kind=kind,
                risk=risk,
                x_m=float(x),
                y_m=float(y),
                windows=tuple(windows),
                source=source,
                restricted=kind == "mp_home" or restricted,
                notes=attrs.get("notes", ""),
                overrides={k: attrs[k] for k in OVERRIDES if attrs.get(k, "").strip()},
            )
        )
    return sites, rejects


def build_demand(
    config: ForceConfig,
    sites: Sequence[Site],
    *,
    rejects: Sequence[Reject] = (),
) -> Demand:
    """Turn sites (premises, tension sites and hot spots) into the week's visit requirements.

    Parameters
    ----------
    config
        The force configuration (demand defaults, week).
    sites
        Sites already read and located; hot spots carry ``harm``.
    rejects
        Earlier rejects to carry along (site file rows, snapping...).
    """
    week_start, week_end = config.week.start, config.week.end
    whole_week = (TimeWindow(week_start, week_end),)
    dem = config.demand
    hot_harm = [s.harm for s in sites if s.kind == "hotspot" and s.harm]
    mean_harm = float(np.mean(hot_harm)) if hot_harm else 1.0
    max_harm = max(hot_harm) if hot_harm else 1.0
    visits: list[VisitRequirement] = []
    out_rejects = list(rejects)
    kept_sites: list[Site] = []
    for site in sites:
        kind_cfg: KindDemandConfig = dem.kinds[site.kind]  # type: ignore[index]
        ov = site.overrides
        kind_dwell = (
            kind_cfg.dwell_min if "dwell_min" in kind_cfg.model_fields_set else dem.dwell_min
        )
        try:
            # Sites read from files were checked by sites_from_points; this guards others.
            n_visits = (
                int(parse_override("visits_per_week", ov["visits_per_week"]))
                if "visits_per_week" in ov
                else kind_cfg.visits_per_week
            )
            dwell_min = (
                float(parse_override("dwell_min", ov["dwell_min"]))
                if "dwell_min" in ov
                else kind_dwell
            )
            gap_h = (
                float(parse_override("min_gap_h", ov["min_gap_h"]))
                if "min_gap_h" in ov
                else kind_cfg.min_gap_h
            )
            required = (
                bool(parse_override("required", ov["required"]))
                if "required" in ov
                else kind_cfg.required
            )
            priority = (
                float(parse_override("priority", ov["priority"]))
                if "priority" in ov
                else kind_cfg.priority
            )
        except ValueError as exc:
            out_rejects.append(Reject(site.source, site.site_id, "demand", f"bad override: {exc}"))
            continue
        if site.kind == "hotspot" and site.harm:
            if "visits_per_week" not in ov:  # dosage in proportion to harm
                n_visits = max(1, round(dem.hotspot_max_visits * site.harm / max_harm))
            weight = dem.risk_weights["medium"] * site.harm / mean_harm
        else:
            weight = dem.risk_weights[site.risk]  # type: ignore[index]
        windows = site.windows or whole_week
        dwell_s = dwell_min * 60
        usable = tuple(w for w in windows if w.duration_s >= dwell_s)
        if n_visits == 0:
            out_rejects.append(
                Reject(
                    site.source, site.site_id, "demand", "visits_per_week is 0: no patrol asked for"
                )
            )
            continue
        if not usable:
            out_rejects.append(
                Reject(
                    site.source,
                    site.site_id,
                    "demand",
                    f"no window is long enough for a {dwell_min:g}-minute visit",
                )
            )
            continue
        kept_sites.append(site)
        groups: list[tuple[TimeWindow, ...]]
        if site.kind in DATED_KINDS:
            groups = [(w,) for w in usable for _ in range(n_visits)]
        else:
            groups = [usable] * n_visits
        for k, wins in enumerate(groups, start=1):
            visits.append(
                VisitRequirement(
                    visit_id=f"{site.site_id}#{k}",
                    site_id=site.site_id,
                    kind=site.kind,
                    windows=wins,
                    dwell_s=dwell_s,
                    min_gap_s=gap_h * 3600,
                    required=required,
                    prize=priority * weight,
                    max_per_route=kind_cfg.max_per_route,
                )
            )
    demand = Demand(
        week_label=config.week.label,
        sites=tuple(kept_sites),
        visits=tuple(visits),
        rejects=tuple(out_rejects),
    )
    log.info("%s", demand.summary())
    return demand
