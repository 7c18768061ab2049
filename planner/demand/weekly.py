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
windows            when a visit counts, see :mod:`planner.demand.windows`; empty = any time.
                   Named windows have their own visits: ``Jumu'ah: Fri 12:30-14:00 x1
                   required; Evening: Daily 17:30-19:30 x3`` (``xN`` visits in the window,
                   default 1; ``required``; ``priority=P``), visit ids ``<site>#<slug>#<k>``
visits_per_week    override of the kind's default (for dated kinds: per dated window) for the
                   unnamed windows; a cell of named windows only has no unnamed visits unless
                   this is given (then at any time in the week; never for dated kinds)
faith              place_of_worship only: with an empty ``windows`` cell, the main weekly
                   service (:data:`~planner.demand.windows.FAITH_WINDOWS`) becomes a named window, and the kind's
                   visits_per_week still adds unnamed visits at any time; other faiths or
                   empty: no named window
presence           ``visit`` (stop for the dwell), ``drive_past`` (dwell at most 2 minutes;
                   default for mp_home) or ``post`` (stay through each window in relief slots
                   of ``[demand] post_slot_min``; default for protest); else the kind's
                   ``presence``
dwell_min          override of the dwell per visit (default 15 minutes, the Koper curve; 2
                   for a drive-past, which may not exceed 2; ignored for a post)
min_gap_h          override of the minimum gap between two visits to the site
required           true/false override: must every visit be made?
priority           override of the kind's priority weight
restricted         true/false: a site whose location is not shown (always true for mp_home)
notes              what officers should look for (briefings)
police_contact     MP premises: the named police contact under the funded protective
                   security package, free text (``PS 1234 Jones, 07700 900123``); shown in
                   briefings even when redacting (it names the officer, not the MP); at most
                   :data:`~planner.demand.contacts.MAX_POLICE_CONTACT_CHARS` characters. An MP
                   premises row without one is logged as a warning naming the file and site ids
=================  ===========================================================================

A post's windows are cut into consecutive slots of ``post_slot_min`` (the last may be shorter;
quarter-hours in the ``post_slot_min`` before a shift ends and after one starts), each a visit
whose service fills the slot exactly (dwell = slot length), with no minimum gap, so one unit
can hold the post through or another relieve it; every slot is required unless the
row says ``required`` false. ``visits_per_week`` and ``xN`` do not apply to a post. A site's
visits (unnamed plus named, or a post's slots) are at most 100, the ``visits_per_week`` limit.

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
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from planner.common import write_csv
from planner.config import (
    DRIVE_PAST_MAX_DWELL_MIN,
    MP_KINDS,
    SITE_KINDS,
    ForceConfig,
    KindDemandConfig,
)
from planner.demand.contacts import read_police_contact, warn_missing_contacts
from planner.demand.overrides import (
    MAX_SITE_VISITS,
    drive_past_dwell,
    parse_bool,
    parse_override,
    parse_presence,
)
from planner.demand.sites import SitePoints
from planner.demand.spread import spread_times
from planner.demand.windows import (
    FAITH_WINDOWS,
    NamedWindow,
    TimeWindow,
    WindowGrammarError,
    format_window,
    parse_window_cell,
    post_slots,
    slot_ids,
)
from planner.errors import InputError

log = logging.getLogger(__name__)

DATED_KINDS = frozenset({"mp_surgery", "protest", "event"})
RISKS = ("low", "medium", "high", "critical")
OVERRIDES = ("visits_per_week", "dwell_min", "min_gap_h", "required", "priority")
BOOLEAN_COLUMNS = ("required", "restricted")


@dataclass(frozen=True)
class Site:
    """A place that may need patrol visits this week, located in EPSG:27700.

    ``windows`` are the unnamed windows (empty: any time), ``named_windows`` the named ones,
    each with its own visits; ``named_only`` is true when the ``windows`` cell lists named
    windows and no unnamed one (then unnamed visits are made only if ``visits_per_week`` is
    given). ``presence`` is the row's ``presence`` cell, ``""`` for the kind's default.
    """

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
    police_contact: str = ""
    harm: float | None = None
    evidence: dict[str, int] = field(default_factory=dict)
    overrides: dict[str, str] = field(default_factory=dict)
    named_windows: tuple[NamedWindow, ...] = ()
    named_only: bool = False
    presence: str = ""

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
        ``<site_id>#<n>``; ``<site_id>#<slug>#<n>`` in a named window; ``<site_id>#post#<HHMM>``
        for a post's slot starting at HH:MM (``#post#<YYYY-MM-DD>T<HHMM>`` if the post spans
        several days).
    windows
        When the visit may start *and* finish its dwell (the dwell fits inside one window).
    dwell_s, min_gap_s
        Time on site; least time between the starts of two visits to the same site.
    required
        If true the plan must make it (or explain why it cannot).
    prize
        Harm-weighted value of making it.
    window
        The name of its named window; ``""`` if unnamed.
    presence
        ``visit``, ``drive_past`` or ``post`` (:data:`planner.config.PRESENCES`).
    group
        The solver's group when not the site's (``""``): a patrol's (:mod:`.patrol`).
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
    window: str = ""
    presence: str = "visit"
    repeat_gap_s: float = 0.0
    repeat_rule: bool = True
    group: str = ""


@dataclass(frozen=True)
class Reject:
    """An input record that did not become demand, and why.

    ``kind`` is the row's site kind (``""`` if the row has none it could use);
    ``required_visits`` how many required visits the record asked for: counted exactly for a
    site that was read but could not be placed, at least 1 for an unusable row that asked for
    required visits (by its ``required`` cell, a required named window, or its kind's default).
    A rejected required visit is a required visit missed.
    """

    source: str
    record_id: str
    stage: str
    reason: str
    kind: str = ""
    required_visits: int = 0


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
                        "window": v.window,
                        "presence": v.presence,
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
                    "window",
                    "presence",
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
    presence = parse_presence(attrs.get("presence", ""))
    if presence is None:
        raise InputError(
            f"{attrs['presence'].strip()!r} is not a presence; write visit, drive_past or post",
            path=points.path,
            row=row,
            field="presence",
        )
    dwell = attrs.get("dwell_min", "").strip()
    if presence == "drive_past" and dwell and float(dwell) > DRIVE_PAST_MAX_DWELL_MIN:
        raise InputError(drive_past_dwell(dwell), path=points.path, row=row, field="dwell_min")
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


@dataclass(frozen=True)
class _Cell:
    """A row's windows in the week: unnamed, named (those falling in the week), named only."""

    windows: tuple[TimeWindow, ...] = ()
    named: tuple[NamedWindow, ...] = ()
    named_only: bool = False


NO_WINDOW_THIS_WEEK = "no window this week: none of its windows falls in the planning week"


def _row_problem(
    kind: str,
    risk: str,
    located: bool,
    windows_text: str,
    week_days: Sequence[dt.date],
    faith: str = "",
) -> tuple[str | None, _Cell]:
    """Why a row cannot be a site (``None`` if it can), and its windows in the week.

    Raises
    ------
    WindowGrammarError
        A mistake in the named form of the windows cell.
    """
    if kind not in SITE_KINDS or kind == "hotspot":
        allowed = ", ".join(k for k in SITE_KINDS if k != "hotspot")
        return f"field 'kind': {kind!r} is not a site kind; use one of {allowed}", _Cell()
    if risk not in RISKS:
        return (
            f"field 'risk': {risk!r} is not a risk level; use low, medium, high or critical",
            _Cell(),
        )
    if not located:
        return (
            "unlocated: no coordinates (a postcode alone is not geocoded; add lon/lat or "
            "easting/northing)",
            _Cell(),
        )
    default = FAITH_WINDOWS.get(faith.strip().lower(), "") if kind == "place_of_worship" else ""
    try:
        windows, named = parse_window_cell(windows_text.strip() or default, week_days)
    except WindowGrammarError:
        raise
    except ValueError as exc:
        return f"field 'windows': {exc}", _Cell()
    for n in named:
        if n.priority is not None:
            try:
                parse_override("priority", f"{n.priority:g}")
            except ValueError as exc:
                raise WindowGrammarError(
                    f"window {n.name!r}: priority={exc}; e.g. 'Evening: Daily 17:30-19:30 x3 "
                    "priority=5'"
                ) from None
    in_week = tuple(n for n in named if n.windows)  # a dated window of another week is dropped
    if windows_text.strip() and not windows and not in_week:
        return NO_WINDOW_THIS_WEEK, _Cell()
    if kind in DATED_KINDS and not windows and not in_week:
        return f"a {kind} needs dated windows, e.g. '2026-12-02 18:00-20:00'", _Cell()
    named_only = bool(windows_text.strip()) and bool(named) and not windows
    return None, _Cell(tuple(windows), in_week, named_only)


def sites_from_points(
    points: SitePoints,
    week_days: Sequence[dt.date],
    *,
    boundary_m: shapely.Geometry | None = None,
    buffer_m: float = 0.0,
    boundary_name: str = "the force boundary",
    kinds: Mapping[Any, KindDemandConfig] | None = None,
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
    kinds
        The force's demand defaults per kind: a rejected row that states nothing about being
        required is counted as asking for a required visit when its kind's default is (or its
        presence is a post, whose slots are required). ``None``: only what the row states.

    Raises
    ------
    InputError
        Naming the file, row and column: an override outside the :class:`KindDemandConfig`
        limits or not a finite number, a boolean that is not true/false/yes/no/1/0, a
        ``presence`` that is not visit/drive_past/post, a drive-past's ``dwell_min`` over 2, a
        mistake in the named form of ``windows`` (:func:`~planner.demand.windows.parse_window_cell`).
        A plain ``windows`` cell that cannot be read is a reject, as before named windows.
        A ``police_contact`` longer than
        :data:`~planner.demand.contacts.MAX_POLICE_CONTACT_CHARS` characters.
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
        try:
            problem, cell = _row_problem(
                kind, risk, located, attrs.get("windows", ""), week_days, attrs.get("faith", "")
            )
        except WindowGrammarError as exc:
            raise InputError(str(exc), path=points.path, row=row, field="windows") from None
        if problem is None and row - 1 in outside:
            problem = outside[row - 1]
        if problem is not None:
            # A row whose windows all fall in other weeks asks for nothing this week.
            asks = problem != NO_WINDOW_THIS_WEEK and _row_asks_required(
                attrs, kind, week_days, kinds
            )
            rejects.append(
                Reject(source, sid, "site", problem, kind if kind in SITE_KINDS else "", int(asks))
            )
            continue
        sites.append(
            Site(
                site_id=sid,
                name=attrs.get("name", sid) or sid,
                kind=kind,
                risk=risk,
                x_m=float(x),
                y_m=float(y),
                windows=cell.windows,
                source=source,
                restricted=kind == "mp_home" or restricted,
                notes=attrs.get("notes", ""),
                police_contact=read_police_contact(points, row, attrs),
                overrides={k: attrs[k] for k in OVERRIDES if attrs.get(k, "").strip()},
                named_windows=cell.named,
                named_only=cell.named_only,
                presence=parse_presence(attrs.get("presence", "")) or "",
            )
        )
    warn_missing_contacts(points)
    return sites, rejects


def _row_asks_required(
    attrs: Mapping[str, str],
    kind: str,
    week_days: Sequence[dt.date],
    kinds: Mapping[Any, KindDemandConfig] | None,
) -> bool:
    """Whether an unusable row asked for a required visit: its cell, a named window, its kind."""
    stated = attrs.get("required", "").strip()
    if stated:
        try:
            return bool(parse_override("required", stated))
        except ValueError:
            pass  # unreadable: fall back to the windows and the kind, as for a blank cell
    try:
        _, named = parse_window_cell(attrs.get("windows", "").strip(), week_days)
    except ValueError:  # WindowGrammarError included
        named = []
    if any(n.required for n in named):
        return True
    kind_cfg = (kinds or {}).get(kind)
    if kind_cfg is None:
        return False
    presence = parse_presence(attrs.get("presence", ""))
    return (presence or kind_cfg.presence) == "post" or kind_cfg.required


def required_visits(site: Site, config: ForceConfig) -> int:
    """How many required visits a site read from file asks for this week (0 if none or unknown)."""
    whole_week = (TimeWindow(config.week.start, config.week.end),)
    try:
        made = _site_visits(site, config, whole_week)
    except (InputError, ValueError):
        return 0
    return 0 if isinstance(made, str) else sum(v.required for v in made)


@dataclass(frozen=True)
class _Terms:
    """What each visit to a site asks for, after the row's overrides."""

    presence: str
    n_visits: int  # unnamed visits (for dated kinds: per dated window)
    dwell_min: float
    gap_h: float
    required: bool
    required_given: bool
    priority: float
    weight: float
    max_per_route: int


def _where(site: Site) -> dict[str, Any]:
    """``path`` and ``row`` of an :class:`InputError` about a site read from ``file:row``."""
    m = re.fullmatch(r"(.+):(\d+)", site.source)
    return {"path": m.group(1), "row": int(m.group(2))} if m else {"path": site.source}


def _terms(site: Site, config: ForceConfig) -> _Terms:
    """The site's kind defaults with its overrides applied.

    Raises
    ------
    ValueError
        A bad override (sites read from files were checked by :func:`sites_from_points`; this
        guards others), reported as a reject.
    InputError
        A drive-past asked to dwell longer than :data:`DRIVE_PAST_MAX_DWELL_MIN`.
    """
    dem = config.demand
    kind_cfg: KindDemandConfig = dem.kinds[site.kind]  # type: ignore[index]
    ov = site.overrides
    presence = site.presence or kind_cfg.presence
    if "dwell_min" in kind_cfg.model_fields_set:
        kind_dwell = kind_cfg.dwell_min
    else:
        kind_dwell = DRIVE_PAST_MAX_DWELL_MIN if presence == "drive_past" else dem.dwell_min

    def value(name: str, default: float) -> float:
        return float(parse_override(name, ov[name])) if name in ov else default

    n_visits = int(value("visits_per_week", kind_cfg.visits_per_week))
    if site.named_only and ("visits_per_week" not in ov or site.kind in DATED_KINDS):
        n_visits = 0  # the cell lists only named windows: they are the visits asked for
    dwell_min = value("dwell_min", kind_dwell)
    if presence == "drive_past" and dwell_min > DRIVE_PAST_MAX_DWELL_MIN:
        raise InputError(drive_past_dwell(f"{dwell_min:g}"), **_where(site), field="dwell_min")
    return _Terms(
        presence=presence,
        n_visits=n_visits,
        dwell_min=dwell_min,
        gap_h=value("min_gap_h", kind_cfg.min_gap_h),
        required=bool(parse_override("required", ov["required"]))
        if "required" in ov
        else kind_cfg.required,
        required_given="required" in ov,
        priority=value("priority", kind_cfg.priority),
        weight=dem.risk_weights[site.risk],  # type: ignore[index]
        max_per_route=kind_cfg.max_per_route,
    )


def _too_many(site: Site, n: int, what: str, fix: str) -> InputError:
    return InputError(
        f"{n} {what} in the week: a site has at most {MAX_SITE_VISITS} (the visits_per_week "
        f"limit); {fix}",
        **_where(site),
        field="windows",
    )


def _site_visits(
    site: Site, config: ForceConfig, whole_week: tuple[TimeWindow, ...]
) -> list[VisitRequirement] | str:
    """A premises or tension site's visits this week, or why it has none (a reject reason).

    Raises
    ------
    InputError
        A drive-past dwell over 2 minutes; more visits or post slots than the cap.
    """
    try:
        t = _terms(site, config)
    except InputError:
        raise
    except ValueError as exc:
        return f"bad override: {exc}"
    if t.presence == "post":
        return _post_visits(site, t, config)
    dwell_s = t.dwell_min * 60
    named = [
        (n, tuple(w for w in n.windows if w.duration_s >= dwell_s)) for n in site.named_windows
    ]
    n_named = sum(n.visits or 1 for n in site.named_windows)
    usable = tuple(w for w in site.windows or whole_week if w.duration_s >= dwell_s)
    if t.n_visits == 0 and not n_named:
        return "visits_per_week is 0: no patrol asked for"
    for n, wins in named:
        if not wins:
            return f"no window of {n.name!r} is long enough for a {t.dwell_min:g}-minute visit"
    if t.n_visits and not usable:
        return f"no window is long enough for a {t.dwell_min:g}-minute visit"
    if named and t.n_visits + n_named > MAX_SITE_VISITS:
        raise _too_many(
            site,
            t.n_visits + n_named,
            f"visits ({n_named} in named windows, {t.n_visits} unnamed)",
            "lower xN or visits_per_week",
        )

    def visit(
        visit_id: str, wins: tuple[TimeWindow, ...], required: bool, prize: float, name: str
    ) -> VisitRequirement:
        return VisitRequirement(
            visit_id=visit_id,
            site_id=site.site_id,
            kind=site.kind,
            windows=wins,
            dwell_s=dwell_s,
            min_gap_s=t.gap_h * 3600,
            required=required,
            prize=prize,
            max_per_route=t.max_per_route,
            window=name,
            presence=t.presence,
        )

    groups: list[tuple[TimeWindow, ...]]
    if site.kind in DATED_KINDS:
        groups = [(w,) for w in usable for _ in range(t.n_visits)]
    else:
        # Repeated visits share their windows: give each its own time of day.
        groups = spread_times(
            usable, t.n_visits, dwell_s, key=f"{config.solver.seed}:{site.site_id}"
        )
    out = [
        visit(f"{site.site_id}#{k}", wins, t.required, t.priority * t.weight, "")
        for k, wins in enumerate(groups, start=1)
    ]
    for n, wins in named:
        required = t.required if n.required is None else n.required
        priority = t.priority if n.priority is None else n.priority
        out.extend(
            visit(f"{site.site_id}#{n.slug}#{k}", wins, required, priority * t.weight, n.name)
            for k in range(1, (n.visits or 1) + 1)
        )
    return out


def _post_visits(site: Site, t: _Terms, config: ForceConfig) -> list[VisitRequirement] | str:
    """A post's relief slots: each a required visit whose service fills the slot exactly.

    Slots are quarter-hours next to the config's shift changes (:func:`post_slots`).
    """
    slot_min = config.demand.post_slot_min
    starts = [s.start_time for s in config.shifts]
    ends = [s.end_time for s in config.shifts]
    spans = [("", site.windows, None, None)] + [
        (n.name, n.windows, n.required, n.priority) for n in site.named_windows
    ]
    slots = [
        (name, slot, required, priority)
        for name, wins, required, priority in spans
        for w in wins
        for slot in post_slots(w, slot_min, shift_starts=starts, shift_ends=ends)
    ]
    if not slots:
        return (
            "presence 'post' needs the times to cover: give windows, e.g. '2026-12-05 11:00-15:00'"
        )
    if len(slots) > MAX_SITE_VISITS:
        raise _too_many(
            site,
            len(slots),
            f"post slots of {slot_min:g} minutes",
            "shorten the post's windows, or lengthen [demand] post_slot_min",
        )
    ids = slot_ids([slot for _, slot, _, _ in slots])
    out = []
    for key, (name, slot, required, priority) in zip(ids, slots, strict=True):
        out.append(
            VisitRequirement(
                visit_id=f"{site.site_id}#post#{key}",
                site_id=site.site_id,
                kind=site.kind,
                windows=(slot,),
                dwell_s=slot.duration_s,
                min_gap_s=0.0,
                required=(t.required if t.required_given else True)
                if required is None
                else required,
                prize=(t.priority if priority is None else priority) * t.weight,
                max_per_route=len(slots),
                window=name,
                presence="post",
            )
        )
    return out


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
    visits: list[VisitRequirement] = []
    out_rejects = list(rejects)
    kept_sites: list[Site] = []
    for site in sites:
        if site.kind == "hotspot":
            # Hot spots have no fixed visits: candidates fill the shifts (planner.demand.dosage).
            kept_sites.append(site)
            continue
        made = _site_visits(site, config, whole_week)
        if isinstance(made, str):
            out_rejects.append(Reject(site.source, site.site_id, "demand", made, site.kind))
            continue
        kept_sites.append(site)
        visits.extend(made)
    demand = Demand(
        week_label=config.week.label,
        sites=tuple(kept_sites),
        visits=tuple(visits),
        rejects=tuple(out_rejects),
    )
    log.info("%s", demand.summary())
    return demand
