"""A plan's run folder: every file a force planner, a crew and a commander read.

One run folder per plan::

    <out>/
      plan.json            the plan itself (schema planner.plan/1), the record of what was planned
      schedule.csv         one row per visit, in Europe/London local time
      routes.geojson       road-following geometry of every route, WGS84
      unserved.csv         every requirement not met, with the reason
      summary.md           the figures: harm covered, visits by kind, hours and money, per day and unit
      map.html             the commander's map (:mod:`planner.outputs.map`)
      gpx/<route>.gpx      one per route, for in-vehicle navigation
      briefings/<route>.html  one print-friendly page per unit and shift
      demand/              the week's demand tables (when the inputs are written too)

Atomicity: the whole folder is written into a temporary sibling folder (``.<name>.tmp-*``)
first, so nothing at ``out`` changes until every file is complete. Then:

* if ``out`` does not exist, is empty or is a planner run folder (it holds ``plan.json`` or the
  ``.planner-run`` marker, or only names the planner writes), the finished folder is renamed
  into place: a previous run is moved aside (``.<name>.old-*``) just before the rename and
  deleted after it. A crash leaves the old run or the new one, never a mixture;
* otherwise (an existing folder holding other things, e.g. ``--out .``) nothing of it is moved
  or deleted: each finished file is renamed into it one by one (each rename atomic) and
  ``plan.json`` last, so a plan.json there always belongs to a complete run.

Sensitive plans: when the protective marking is anything but plain ``OFFICIAL`` the folder is
created ``0700`` and its files ``0600`` (only the planner's user can read them); otherwise they
follow the umask. Every human-readable file carries the marking at top and bottom (summary,
briefings, map) or in its metadata (plan.json, routes.geojson, GPX). Restricted sites (MPs'
homes) are flagged in every file; with ``redact=True`` their names, notes and exact positions
are left out of every file except ``plan.json`` (the master record, kept whole): positions
become an approximate area (see :func:`redaction_area`) and route geometry inside that area is
cut out, since a line ending at a front door gives the door away.

All text that comes from input files (site names, notes, station names) is HTML-escaped in
HTML and Markdown, and written through an XML library into GPX.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import itertools
import json
import logging
import math
import os
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj
import shapely

from planner.common import LONDON, atomic_write_bytes, write_csv
from planner.errors import InputError
from planner.planning.plan import Plan, PlanRoute, PlanStop, write_plan_json

if TYPE_CHECKING:
    from planner.planning.week import PlanResult

log = logging.getLogger(__name__)

#: Radius of the approximate area shown instead of a restricted site, metres.
REDACT_RADIUS_M = 500.0
#: Grid the approximate area's centre is snapped to, metres (BNG squares).
REDACT_GRID_M = 500.0
#: Marker file that identifies a folder as a planner run folder (safe to replace).
RUN_MARKER = ".planner-run"
#: Files the planner writes into a run folder: a folder holding only these may be replaced.
_KNOWN_NAMES = frozenset(
    {
        RUN_MARKER,
        "plan.json",
        "schedule.csv",
        "routes.geojson",
        "unserved.csv",
        "summary.md",
        "map.html",
        "gpx",
        "briefings",
        "demand",
        "demand_by_kind.csv",
        "visits.csv",
        "rejects.csv",
        "unit_shifts.csv",
        "hotspots.csv",
        "crime_rejects.csv",
    }
)

SCHEDULE_COLUMNS = (
    "date",
    "day",
    "shift",
    "unit",
    "route_id",
    "order",
    "site_id",
    "kind",
    "risk",
    "restricted",
    "arrival",
    "start",
    "departure",
    "dwell_min",
    "travel_min",
)
UNSERVED_COLUMNS = ("visit_id", "site_id", "kind", "required", "prize", "reason")

_TO_WGS84 = pyproj.Transformer.from_crs(27700, 4326, always_xy=True)


# ----------------------------------------------------------------------------- small helpers


def is_sensitive(marking: str) -> bool:
    """Whether a protective marking is above plain ``OFFICIAL`` (or unknown: treated as above)."""
    return marking.strip().upper() != "OFFICIAL"


def local(t: dt.datetime) -> dt.datetime:
    """An aware time in Europe/London."""
    return t.astimezone(LONDON)


def hm(t: dt.datetime) -> str:
    """``HH:MM`` Europe/London wall-clock time."""
    return local(t).strftime("%H:%M")


def day_label(day: dt.date) -> str:
    """``Mon 30 Nov``."""
    return f"{day:%a} {day.day} {day:%b}"


def safe_name(text: str) -> str:
    """A file name from a route id: ``NB-CAR-1/2026-11-30/early`` -> ``NB-CAR-1_2026-11-30_early``."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")
    return name or "route"


def esc(text: object) -> str:
    """HTML-escape any text that may have come from an input file."""
    return html.escape(str(text), quote=True)


def md_esc(text: object) -> str:
    """Escape text for Markdown body text or a table cell.

    ``&``, ``<`` and ``>`` are HTML-escaped because viewers render inline HTML; quotes are
    left alone (they only matter inside HTML attributes, and ``last week&#x27;s`` would be
    printed literally by plain-text readers of ``summary.md``).
    """
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


def to_wgs84(geom: shapely.Geometry) -> shapely.Geometry:
    """EPSG:27700 geometry to WGS84 lon/lat, rounded to 6 decimal places (about 0.1 m)."""

    def fn(xy: np.ndarray) -> np.ndarray:
        lon, lat = _TO_WGS84.transform(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([lon, lat]), 6)

    return shapely.transform(geom, fn)


def lonlat(x_m: float, y_m: float) -> tuple[float, float]:
    """One EPSG:27700 point as rounded ``(lon, lat)``."""
    lon, lat = _TO_WGS84.transform(x_m, y_m)
    return round(float(lon), 6), round(float(lat), 6)


def redaction_area(x_m: float, y_m: float) -> tuple[float, float, float]:
    """The approximate area shown instead of a restricted site: ``(centre_x, centre_y, radius)``.

    The centre is the middle of the 500 m British National Grid square holding the site, and the
    radius 500 m, so the site is always inside (at most 354 m from the centre) but anywhere in
    a 0.8 km² disc. A grid centre rather than a random offset: a fresh random offset on every
    map would let anyone holding a few maps average them back to the front door.
    """
    cx = (math.floor(x_m / REDACT_GRID_M) + 0.5) * REDACT_GRID_M
    cy = (math.floor(y_m / REDACT_GRID_M) + 0.5) * REDACT_GRID_M
    return cx, cy, REDACT_RADIUS_M


def redaction_discs(plan: Plan, extra: Iterable[tuple[float, float]] = ()) -> shapely.Geometry:
    """Union of the approximate areas of every restricted stop (and ``extra`` points), BNG."""
    pts = [(s.x_m, s.y_m) for s in plan.stops if s.restricted] + list(extra)
    discs = []
    for x, y in pts:
        cx, cy, r = redaction_area(x, y)
        discs.append(shapely.Point(cx, cy).buffer(r, quad_segs=16))
    return shapely.union_all(discs) if discs else shapely.GeometryCollection()


def clip_out(geom: shapely.Geometry, areas: shapely.Geometry) -> shapely.Geometry:
    """``geom`` with the parts inside ``areas`` removed, each line's direction and order kept.

    A route cut around a restricted site must still read from the station onwards (a GPX track
    is followed in order), which shapely's overlay does not promise; so each line is walked
    segment by segment and only segments that touch ``areas`` are cut.
    """
    if areas.is_empty:
        return geom
    out: list[np.ndarray] = []

    def flush(run: list[np.ndarray]) -> None:
        if len(run) >= 2:
            out.append(np.asarray(run))

    for xy in line_parts(geom):
        if len(xy) < 2:
            continue
        segs = shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1))
        hit = shapely.intersects(segs, areas)
        inside = shapely.contains_xy(areas, xy[:, 0], xy[:, 1])
        run: list[np.ndarray] = [] if inside[0] else [xy[0]]
        for i in np.arange(len(segs)):
            if not hit[i]:
                run.append(xy[i + 1])
                continue
            seg = segs[i]
            pieces = []
            for piece in line_parts(shapely.difference(seg, areas)):
                a, b = seg.project(shapely.Point(piece[0])), seg.project(shapely.Point(piece[-1]))
                pieces.append((min(a, b), piece if a <= b else piece[::-1]))
            for _, piece in sorted(pieces, key=lambda p: p[0]):
                if run and np.allclose(run[-1], piece[0], atol=1e-6):
                    run.extend(piece[1:])
                else:
                    flush(run)
                    run = list(piece)
                if not np.allclose(piece[-1], xy[i + 1], atol=1e-6):
                    flush(run)  # the segment goes on into an area
                    run = []
            if not pieces:
                flush(run)
                run = []
        flush(run)
    if not out:
        return shapely.LineString()
    return shapely.LineString(out[0]) if len(out) == 1 else shapely.MultiLineString(out)


def line_parts(geom: shapely.Geometry) -> list[np.ndarray]:
    """Coordinate arrays of every line in a (multi)line geometry."""
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, shapely.LineString):
        return [np.asarray(geom.coords)]
    parts: list[np.ndarray] = []
    for g in getattr(geom, "geoms", []):
        parts.extend(line_parts(g))
    return parts


# ----------------------------------------------------------------------------- geometry


def route_geometry(result: PlanResult, route: PlanRoute) -> shapely.LineString:
    """Road-following geometry of one route, EPSG:27700: station -> stops -> station.

    Each leg is the network path between two locations of the model's graph for the route's
    mode (stations and sites are both spliced into it by id), stitched end to start.
    """
    graph = result.model.graphs[route.mode]
    ids = [route.station_id, *(s.site_id for s in route.stops), route.station_id]
    coords: list[np.ndarray] = []
    for a, b in itertools.pairwise(ids):
        line, _ = graph.path(a, b)
        xy = np.asarray(line.coords)
        if coords and len(xy) and np.allclose(coords[-1][-1], xy[0]):
            xy = xy[1:]
        coords.append(xy)
    xy = np.concatenate([c for c in coords if len(c)])
    if len(xy) < 2:
        xy = np.vstack([xy, xy])
    return shapely.LineString(xy)


def route_geometries(result: PlanResult) -> dict[str, shapely.LineString]:
    """:func:`route_geometry` for every route of the plan, by route id."""
    return {r.route_id: route_geometry(result, r) for r in result.plan.routes}


# ----------------------------------------------------------------------------- tables


def schedule_rows(plan: Plan) -> list[dict[str, object]]:
    """``schedule.csv`` rows: one per visit, in route order, times in Europe/London."""
    rows: list[dict[str, object]] = []
    for r in plan.routes:
        for s in r.stops:
            arrival = local(s.arrival)
            rows.append(
                {
                    "date": arrival.date().isoformat(),
                    "day": f"{arrival:%a}",
                    "shift": r.shift,
                    "unit": r.unit_id,
                    "route_id": r.route_id,
                    "order": s.order,
                    "site_id": s.site_id,
                    "kind": s.kind,
                    "risk": s.risk,
                    "restricted": s.restricted,
                    "arrival": hm(s.arrival),
                    "start": hm(s.start),
                    "departure": hm(s.departure),
                    "dwell_min": f"{s.dwell_s / 60:.0f}",
                    "travel_min": f"{s.travel_s / 60:.1f}",
                }
            )
    return rows


def unserved_rows(plan: Plan) -> list[dict[str, object]]:
    """``unserved.csv`` rows: every requirement the plan does not meet, with the reason."""
    return [
        {
            "visit_id": u.visit_id,
            "site_id": u.site_id,
            "kind": u.kind,
            "required": u.required,
            "prize": f"{u.prize:.3f}",
            "reason": u.reason,
        }
        for u in plan.unserved
    ]


@dataclass(frozen=True)
class SummaryFigures:
    """The plan's figures, shared by ``summary.md`` and the map's summary panel."""

    headline: list[tuple[str, str]]
    by_kind: list[dict[str, object]]
    by_day: list[dict[str, object]]
    by_unit: list[dict[str, object]]
    reasons: list[tuple[str, int]]


def summary_figures(plan: Plan) -> SummaryFigures:
    """Harm covered against total, visits by kind, hours and cost against the budget."""
    cost_h = plan.budget["cost_per_officer_hour"]
    used_h = plan.budget["used_officer_hours"]
    funded_h = plan.budget["funded_officer_hours"]
    share = plan.prize_covered / plan.prize_total if plan.prize_total else 1.0
    n_visits = len(plan.stops)
    asked = n_visits + len(plan.unserved)
    req_missed = sum(u.required for u in plan.unserved)
    headline = [
        (
            "Harm-weighted demand covered",
            f"{plan.prize_covered:,.1f} of {plan.prize_total:,.1f} ({share:.0%})",
        ),
        ("Visits made", f"{n_visits} of {asked}"),
        ("Required visits missed", f"{req_missed}"),
        ("Routes (unit-shifts)", f"{len(plan.routes)}"),
        ("Officer-hours", f"{used_h:,.1f} of {funded_h:,.1f} funded"),
        (
            "Cost",
            f"£{used_h * cost_h:,.0f} of £{plan.budget['pounds_per_week']:,.0f} budget",
        ),
    ]
    if plan.unpredictability is not None and plan.unpredictability.cost is not None:
        u = plan.unpredictability
        headline.append(
            (
                "Unpredictability",
                f"kept {u.avoid_min:g} min from last week's times at {u.sites_constrained} "
                f"sites, costing {u.cost:,.1f} of harm-weighted demand",
            )
        )

    made = Counter(s.kind for s in plan.stops)
    missed = Counter(u.kind for u in plan.unserved)
    req = Counter(u.kind for u in plan.unserved if u.required)
    harm_made: dict[str, float] = defaultdict(float)
    harm_all: dict[str, float] = defaultdict(float)
    for s in plan.stops:
        harm_made[s.kind] += s.prize
        harm_all[s.kind] += s.prize
    for miss in plan.unserved:
        harm_all[miss.kind] += miss.prize
    by_kind = [
        {
            "kind": k,
            "asked": made[k] + missed[k],
            "made": made[k],
            "missed": missed[k],
            "required_missed": req[k],
            "harm_covered": round(harm_made[k], 1),
            "harm_total": round(harm_all[k], 1),
        }
        for k in sorted(set(made) | set(missed))
    ]

    days: dict[dt.date, list[PlanRoute]] = defaultdict(list)
    units: dict[str, list[PlanRoute]] = defaultdict(list)
    for r in plan.routes:
        days[r.day].append(r)
        units[r.unit_id].append(r)

    def block(routes: Sequence[PlanRoute]) -> dict[str, object]:
        hours = sum(r.paid_officer_hours for r in routes)
        return {
            "routes": len(routes),
            "visits": sum(len(r.stops) for r in routes),
            "harm_covered": round(sum(s.prize for r in routes for s in r.stops), 1),
            "officer_hours": round(hours, 1),
            "cost": round(hours * cost_h),
            "travel_h": round(sum(r.travel_s for r in routes) / 3600, 1),
        }

    by_day = [{"day": day_label(d), "date": d.isoformat(), **block(days[d])} for d in sorted(days)]
    by_unit = [{"unit": u, "mode": units[u][0].mode, **block(units[u])} for u in sorted(units)]
    reasons = Counter(u.reason.split(":")[0] for u in plan.unserved).most_common()
    return SummaryFigures(headline, by_kind, by_day, by_unit, reasons)


def _md_table(rows: Sequence[Mapping[str, object]], columns: Sequence[tuple[str, str]]) -> str:
    head = "| " + " | ".join(title for _, title in columns) + " |"
    rule = "| " + " | ".join("---" for _ in columns) + " |"
    body = [
        "| "
        + " | ".join(
            md_esc(
                f"{row[key]:,}"
                if isinstance(row[key], int | float) and not isinstance(row[key], bool)
                else row[key]
            )
            for key, _ in columns
        )
        + " |"
        for row in rows
    ]
    return "\n".join([head, rule, *body])


def summary_markdown(plan: Plan) -> str:
    """``summary.md``: the plan's figures, with the protective marking at top and bottom."""
    f = summary_figures(plan)
    mark = f"**{md_esc(plan.protective_marking)}**"
    lines = [
        mark,
        "",
        f"# {md_esc(plan.force)}: patrol plan for {md_esc(plan.week)}",
        "",
        f"Week starting {local(plan.week_start):%A %d %B %Y} (Europe/London). Seed {plan.seed}; "
        f"solver {md_esc(plan.solver.get('status', ''))} in {plan.solver.get('solve_time_s', 0)} s "
        f"of {plan.solver.get('time_limit_s', '')} s.",
        "",
    ]
    if plan.contains_mp_premises:
        lines += [
            "This plan includes MPs' premises. Handle it at its marking; do not copy restricted "
            "sites' details out of it.",
            "",
        ]
    lines += ["## Headline", ""]
    lines += [f"- **{md_esc(k)}**: {md_esc(v)}" for k, v in f.headline]
    lines += [
        "",
        "## Visits by site kind",
        "",
        _md_table(
            f.by_kind,
            [
                ("kind", "Kind"),
                ("asked", "Visits asked"),
                ("made", "Made"),
                ("missed", "Not made"),
                ("required_missed", "Required not made"),
                ("harm_covered", "Harm covered"),
                ("harm_total", "Harm asked"),
            ],
        ),
        "",
        "## By day",
        "",
        _md_table(
            f.by_day,
            [
                ("day", "Day"),
                ("routes", "Routes"),
                ("visits", "Visits"),
                ("harm_covered", "Harm covered"),
                ("officer_hours", "Officer-hours"),
                ("cost", "Cost £"),
                ("travel_h", "Travel h"),
            ],
        ),
        "",
        "## By unit",
        "",
        _md_table(
            f.by_unit,
            [
                ("unit", "Unit"),
                ("mode", "Mode"),
                ("routes", "Shifts"),
                ("visits", "Visits"),
                ("harm_covered", "Harm covered"),
                ("officer_hours", "Officer-hours"),
                ("cost", "Cost £"),
                ("travel_h", "Travel h"),
            ],
        ),
        "",
    ]
    if f.reasons:
        lines += ["## Why visits were not made", ""]
        lines += [f"- {md_esc(reason)}: {n}" for reason, n in f.reasons]
        lines += ["", "Every one is listed with its reason in `unserved.csv`.", ""]
    lines += [mark, ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- GeoJSON


def routes_geojson(
    result: PlanResult,
    geometries: Mapping[str, shapely.Geometry] | None = None,
    *,
    redact: bool = False,
) -> dict[str, Any]:
    """``routes.geojson``: one LineString feature per route in WGS84, with unit, day and shift.

    With ``redact`` the parts inside restricted sites' approximate areas are cut out (the
    geometry may then be a MultiLineString).
    """
    plan = result.plan
    geoms = geometries if geometries is not None else route_geometries(result)
    areas = redaction_discs(plan) if redact else shapely.GeometryCollection()
    features = []
    for r in plan.routes:
        geom = to_wgs84(clip_out(geoms[r.route_id], areas))
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(geom)),
                "properties": {
                    "route_id": r.route_id,
                    "unit": r.unit_id,
                    "mode": r.mode,
                    "officers": r.officers,
                    "station_id": r.station_id,
                    "day": r.day.isoformat(),
                    "shift": r.shift,
                    "leave": local(r.leave).isoformat(),
                    "return": local(r.return_).isoformat(),
                    "stops": len(r.stops),
                    "travel_min": round(r.travel_s / 60, 1),
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "protective_marking": plan.protective_marking,
        "force": plan.force,
        "week": plan.week,
        "redacted": redact,
        "features": features,
    }


# ----------------------------------------------------------------------------- GPX

_GPX_NS = "http://www.topografix.com/GPX/1/1"


def _stop_label(stop: PlanStop, redact: bool) -> tuple[str, str]:
    """What a crew reads for a stop: ``(name, notes)``, withheld for restricted sites if redacted."""
    if stop.restricted and redact:
        return "Restricted site", "Details from the duty supervisor"
    return stop.name or stop.site_id, stop.notes


def route_gpx(
    plan: Plan, route: PlanRoute, geometry: shapely.Geometry, *, redact: bool = False
) -> bytes:
    """A GPX 1.1 file for one route: a waypoint per stop (in order, named) and the road track.

    The station is where the track starts and ends; it is not a waypoint, so the waypoints are
    exactly the stops. With ``redact`` a restricted stop's waypoint is the centre of its
    approximate area and the track is cut around it.
    """
    ET.register_namespace("", _GPX_NS)
    q = f"{{{_GPX_NS}}}"
    gpx = ET.Element(f"{q}gpx", {"version": "1.1", "creator": "patrol-planner"})
    meta = ET.SubElement(gpx, f"{q}metadata")
    ET.SubElement(meta, f"{q}name").text = f"{route.unit_id} {day_label(route.day)} {route.shift}"
    ET.SubElement(meta, f"{q}desc").text = (
        f"{plan.protective_marking}. {plan.force}, {plan.week}. Leave {route.station_id} "
        f"{hm(route.leave)}, return {hm(route.return_)}."
    )
    ET.SubElement(meta, f"{q}time").text = route.leave.astimezone(dt.UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    for s in route.stops:
        x, y = (redaction_area(s.x_m, s.y_m)[:2]) if (s.restricted and redact) else (s.x_m, s.y_m)
        lon, lat = lonlat(x, y)
        wpt = ET.SubElement(gpx, f"{q}wpt", {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}"})
        ET.SubElement(wpt, f"{q}time").text = s.arrival.astimezone(dt.UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        name, notes = _stop_label(s, redact)
        ET.SubElement(wpt, f"{q}name").text = f"{s.order}. {name}"
        ET.SubElement(wpt, f"{q}desc").text = (
            f"Arrive {hm(s.arrival)}, on site {hm(s.start)}-{hm(s.departure)} "
            f"({s.dwell_s / 60:.0f} min). {s.kind}, risk {s.risk}."
            + (f" {notes}" if notes else "")
            + (" RESTRICTED SITE." if s.restricted else "")
        )
        ET.SubElement(wpt, f"{q}type").text = s.kind
    trk = ET.SubElement(gpx, f"{q}trk")
    ET.SubElement(trk, f"{q}name").text = route.route_id
    areas = redaction_discs(plan) if redact else shapely.GeometryCollection()
    for part in line_parts(to_wgs84(shapely.simplify(clip_out(geometry, areas), 1.0))):
        seg = ET.SubElement(trk, f"{q}trkseg")
        for lon, lat in part:
            ET.SubElement(seg, f"{q}trkpt", {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}"})
    buf = io.BytesIO()
    ET.ElementTree(gpx).write(buf, encoding="utf-8", xml_declaration=True)
    return buf.getvalue()


# ----------------------------------------------------------------------------- briefings

_BRIEFING_CSS = """
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Arial, sans-serif; margin: 0 auto;
       max-width: 60rem; padding: 2.5rem 1rem; color: #111; }
.marking { text-align: center; font-weight: bold; letter-spacing: .1em; padding: .3rem;
           border: 2px solid #111; background: #fff; }
.marking.top { margin-bottom: 1rem; } .marking.bottom { margin-top: 1rem; }
h1 { font-size: 1.4rem; margin: .5rem 0; } h2 { font-size: 1.1rem; margin: 1rem 0 .4rem; }
.facts { display: flex; flex-wrap: wrap; gap: .3rem 1.5rem; }
.layout { display: flex; gap: 1rem; align-items: flex-start; }
.map { flex: 0 0 auto; border: 1px solid #999; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #999; padding: .25rem .4rem; vertical-align: top; text-align: left; }
th { background: #eee; }
td.n { text-align: right; white-space: nowrap; }
tr.restricted td { background: #f3e8ff; }
.flag { font-weight: bold; color: #6b21a8; }
.note { color: #333; }
@media print {
  @page { size: A4; margin: 18mm 12mm; }
  body { padding: 0; max-width: none; font-size: 11pt; }
  .marking { position: fixed; left: 0; right: 0; border: none; padding: 0; }
  .marking.top { top: -12mm; } .marking.bottom { bottom: -12mm; }
  tr { page-break-inside: avoid; }
  .layout { display: block; }
  .map { float: right; margin: 0 0 .5rem .5rem; }
  a { color: inherit; text-decoration: none; }
}
"""


def route_svg(
    route: PlanRoute,
    geometry: shapely.Geometry,
    station_xy: tuple[float, float],
    *,
    areas: shapely.Geometry | None = None,
    size_px: int = 320,
    colour: str = "#1f77b4",
) -> str:
    """A small inline SVG of a route: the road line, the station and numbered stops.

    Drawn from the geometry alone (no tiles, no network). With ``areas`` (redaction discs) the
    line inside them is cut and restricted stops are drawn as their approximate area.
    """
    areas = areas if areas is not None else shapely.GeometryCollection()
    geom = clip_out(geometry, areas)
    pts = [station_xy]
    stops_xy = []
    for s in route.stops:
        if s.restricted and not areas.is_empty:
            cx, cy, r = redaction_area(s.x_m, s.y_m)
            stops_xy.append((cx, cy, r))
        else:
            stops_xy.append((s.x_m, s.y_m, 0.0))
        pts.append(stops_xy[-1][:2])
    minx, miny, maxx, maxy = shapely.bounds(
        shapely.union(geometry.envelope, shapely.multipoints(np.asarray(pts)))
    )
    span = max(maxx - minx, maxy - miny, 200.0) * 1.1
    cx0, cy0 = (minx + maxx) / 2, (miny + maxy) / 2
    scale = size_px / span

    def px(x: float, y: float) -> tuple[float, float]:
        # SVG y grows downwards; grid northings grow upwards.
        return (
            round((x - cx0) * scale + size_px / 2, 1),
            round((cy0 - y) * scale + size_px / 2, 1),
        )

    parts = [
        f'<svg class="map" xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
        f'viewBox="0 0 {size_px} {size_px}" role="img" aria-label="Route map">',
        f'<rect width="{size_px}" height="{size_px}" fill="#fafafa"/>',
    ]
    for line in line_parts(shapely.simplify(geom, 0.5 / scale)):
        d = " ".join(f"{a},{b}" for a, b in (px(x, y) for x, y in line))
        parts.append(
            f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="3" '
            'stroke-linejoin="round" stroke-linecap="round" opacity="0.8"/>'
        )
    sx, sy = px(*station_xy)
    parts.append(
        f'<rect x="{sx - 6}" y="{sy - 6}" width="12" height="12" fill="#111"><title>station</title></rect>'
    )
    for s, (x, y, r) in zip(route.stops, stops_xy, strict=True):
        qx, qy = px(x, y)
        if r:
            parts.append(
                f'<circle cx="{qx}" cy="{qy}" r="{round(r * scale, 1)}" fill="#6b21a8" '
                'fill-opacity="0.15" stroke="#6b21a8" stroke-dasharray="4 3"/>'
            )
        parts.append(
            f'<circle cx="{qx}" cy="{qy}" r="8" fill="#fff" stroke="{colour}" stroke-width="2"/>'
            f'<text x="{qx}" y="{qy + 3.5}" font-size="10" text-anchor="middle" '
            f'font-family="Arial, sans-serif">{s.order}</text>'
        )
    # Scale bar: a round number of metres about a quarter of the width.
    target = span / 4
    bar = 10 ** math.floor(math.log10(target))
    bar = next(b for b in (bar * 5, bar * 2, bar) if b <= target) if target >= 1 else target
    w = bar * scale
    label = f"{bar / 1000:g} km" if bar >= 1000 else f"{bar:g} m"
    parts.append(
        f'<line x1="10" y1="{size_px - 12}" x2="{round(10 + w, 1)}" y2="{size_px - 12}" '
        'stroke="#111" stroke-width="2"/>'
        f'<text x="10" y="{size_px - 16}" font-size="10" font-family="Arial, sans-serif">{label}</text>'
        f'<text x="{size_px - 10}" y="18" font-size="12" text-anchor="end" '
        'font-family="Arial, sans-serif">N ↑</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def briefing_html(
    result: PlanResult,
    route: PlanRoute,
    geometry: shapely.Geometry,
    *,
    redact: bool = False,
    colour: str = "#1f77b4",
) -> str:
    """A print-friendly briefing page for one unit and shift.

    Stops in order with arrival, time on site and dwell, what to look for (the site's notes,
    and a hot spot's crimes), a small route map as inline SVG, and the protective marking at
    top and bottom (repeated on every printed page). Every input text is HTML-escaped.
    """
    plan = result.plan
    inputs = result.inputs
    sites = {s.site_id: s for s in inputs.demand.sites}
    stations = {s.id: s.name or s.id for s in inputs.config.stations}
    idx = list(inputs.stations.site_id).index(route.station_id)
    station_xy = (float(inputs.stations.x_m[idx]), float(inputs.stations.y_m[idx]))
    areas = redaction_discs(plan) if redact else None
    mark = esc(plan.protective_marking)
    title = f"{route.unit_id} · {day_label(route.day)} · {route.shift} shift"
    rows = []
    for s in route.stops:
        name, notes = _stop_label(s, redact)
        look = [esc(notes)] if notes else []
        site = sites.get(s.site_id)
        if site is not None and site.kind == "hotspot" and site.evidence:
            top = sorted(site.evidence.items(), key=lambda kv: -kv[1])[:3]
            look.append(
                "Recent crime: "
                + ", ".join(f"{esc(k)} ({v})" for k, v in top)
                + (f"; harm {site.harm:,.0f}" if site.harm is not None else "")
            )
        if s.restricted:
            look.append(
                '<span class="flag">RESTRICTED SITE: do not share or discuss its details.</span>'
            )
        rows.append(
            f'<tr class="{"restricted" if s.restricted else ""}">'
            f'<td class="n">{s.order}</td>'
            f'<td class="n">{hm(s.arrival)}</td>'
            f'<td class="n">{hm(s.start)}–{hm(s.departure)}</td>'
            f'<td class="n">{s.dwell_s / 60:.0f} min</td>'
            f"<td><strong>{esc(name)}</strong><br>{esc(s.kind.replace('_', ' '))}, risk {esc(s.risk)}</td>"
            f'<td class="note">{"<br>".join(look)}</td>'
            "</tr>"
        )
    svg = route_svg(route, geometry, station_xy, areas=areas, colour=colour)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>[{mark}] Briefing {esc(title)}</title>
<style>{_BRIEFING_CSS}</style>
</head>
<body>
<div class="marking top">{mark}</div>
<h1>Patrol briefing: {esc(title)}</h1>
<div class="facts">
<span><strong>Force</strong> {esc(plan.force)}</span>
<span><strong>Week</strong> {esc(plan.week)}</span>
<span><strong>Crew</strong> {route.officers} officers, {esc(route.mode)}</span>
<span><strong>Station</strong> {esc(stations.get(route.station_id, route.station_id))}</span>
<span><strong>Shift</strong> {hm(route.shift_start)}–{hm(route.shift_end)}</span>
<span><strong>Leave</strong> {hm(route.leave)}</span>
<span><strong>Back</strong> {hm(route.return_)}</span>
<span><strong>Travel</strong> {route.travel_s / 60:.0f} min</span>
</div>
<h2>Stops in order</h2>
<div class="layout">
{svg}
<table>
<thead><tr><th>#</th><th>Arrive</th><th>On site</th><th>Dwell</th><th>Where</th><th>What to look for</th></tr></thead>
<tbody>
{"".join(rows)}
</tbody>
</table>
</div>
<p class="note">Times are Europe/London. Vary your approach; report anything unusual straight away.</p>
<div class="marking bottom">{mark}</div>
</body>
</html>
"""


# ----------------------------------------------------------------------------- the run folder


@dataclass(frozen=True)
class RunFolder:
    """What :func:`write_run` wrote.

    Attributes
    ----------
    path
        The run folder.
    files
        Every file written, relative to ``path``.
    secure, redact
        The map's settings.
    """

    path: Path
    files: tuple[Path, ...]
    secure: bool
    redact: bool

    def summary(self) -> str:
        """The files, one per line (GPX and briefings counted, not listed)."""
        lines = []
        gpx = [f for f in self.files if f.parts[0] == "gpx"]
        brief = [f for f in self.files if f.parts[0] == "briefings"]
        demand = [f for f in self.files if f.parts[0] == "demand"]
        for f in self.files:
            if f.parts[0] not in {"gpx", "briefings", "demand"} and f.name != RUN_MARKER:
                lines.append(f"wrote {self.path / f}")
        if gpx:
            lines.append(f"wrote {len(gpx)} GPX routes in {self.path / 'gpx'}")
        if brief:
            lines.append(f"wrote {len(brief)} briefings in {self.path / 'briefings'}")
        if demand:
            lines.append(f"wrote {len(demand)} demand tables in {self.path / 'demand'}")
        mode = (
            "secure (offline, no third-party requests)"
            if self.secure
            else "online mode (street map tiles on request)"
        )
        lines.append(f"map: {mode}{', restricted sites redacted' if self.redact else ''}")
        return "\n".join(lines)


def _replaceable(path: Path) -> bool:
    """Whether ``path`` may be replaced whole: absent, empty or a planner run folder."""
    if not path.exists():
        return True
    if not path.is_dir():
        return False
    names = {p.name for p in path.iterdir()}
    return not names or RUN_MARKER in names or "plan.json" in names or names <= _KNOWN_NAMES


def _swap_in(tmp: Path, out: Path) -> None:
    """Rename the finished ``tmp`` folder to ``out``, moving any previous run aside first."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-"))
        os.rmdir(old)
        os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        if old is not None:  # put the previous run back
            os.rename(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _move_into(tmp: Path, out: Path, files: Sequence[Path]) -> None:
    """Rename each finished file into an existing folder that is not ours, plan.json last."""
    for rel in sorted(files, key=lambda f: f.name == "plan.json"):
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / rel, target)
    shutil.rmtree(tmp, ignore_errors=True)


def write_run(
    result: PlanResult,
    out_dir: str | Path,
    *,
    secure: bool | None = None,
    redact: bool = False,
    with_map: bool = True,
    with_inputs: bool = True,
) -> RunFolder:
    """Write a plan's run folder atomically (see the module docstring for the files).

    Parameters
    ----------
    result
        The plan with its model (for road geometry) and inputs.
    out_dir
        The run folder; replaced whole if it already holds a planner run.
    secure
        The map's offline mode; ``None`` chooses by :func:`planner.outputs.map.default_secure`.
    redact
        Show restricted sites only as an approximate area, in the map and every file but
        ``plan.json``.
    with_map
        Also write ``map.html``.
    with_inputs
        Also write the week's demand tables under ``demand/``.

    Raises
    ------
    InputError
        If ``out_dir`` exists and is not a folder.
    """
    from planner.outputs import map as maps  # maps imports this module's helpers

    plan = result.plan
    out = Path(out_dir).absolute()
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder; choose another --out", path=out)
    whole = _replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sensitive = is_sensitive(plan.protective_marking)
    use_secure = maps.default_secure(plan) if secure is None else secure
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        files: list[Path] = []

        def put(rel: str, payload: bytes | str) -> None:
            data = payload.encode("utf-8") if isinstance(payload, str) else payload
            atomic_write_bytes(tmp / rel, data)
            files.append(Path(rel))

        geoms = route_geometries(result)
        colours = maps.unit_colours(plan)
        put(RUN_MARKER, f"{plan.force} {plan.week} {plan.protective_marking}\n")
        write_csv(tmp / "schedule.csv", schedule_rows(plan), SCHEDULE_COLUMNS)
        files.append(Path("schedule.csv"))
        write_csv(tmp / "unserved.csv", unserved_rows(plan), UNSERVED_COLUMNS)
        files.append(Path("unserved.csv"))
        put(
            "routes.geojson",
            json.dumps(routes_geojson(result, geoms, redact=redact), ensure_ascii=False),
        )
        put("summary.md", summary_markdown(plan))
        for r in plan.routes:
            name = safe_name(r.route_id)
            put(f"gpx/{name}.gpx", route_gpx(plan, r, geoms[r.route_id], redact=redact))
            put(
                f"briefings/{name}.html",
                briefing_html(
                    result, r, geoms[r.route_id], redact=redact, colour=colours[r.unit_id]
                ),
            )
        if with_map:
            maps.write_map(
                result, tmp / "map.html", secure=use_secure, redact=redact, geometries=geoms
            )
            files.append(Path("map.html"))
        if with_inputs:
            for f in result.inputs.write(tmp / "demand"):
                files.append(Path(f).relative_to(tmp))
        # plan.json last: it is what marks the folder as a complete run.
        write_plan_json(plan, tmp / "plan.json")
        files.append(Path("plan.json"))
        _set_modes(tmp, sensitive)
        if whole:
            _swap_in(tmp, out)
        else:
            log.info("%s holds other files: adding the run's files to it one by one", out)
            _move_into(tmp, out, files)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("wrote run folder %s (%d files)", out, len(files))
    return RunFolder(path=out, files=tuple(files), secure=use_secure, redact=redact)


def _set_modes(root: Path, sensitive: bool) -> None:
    """Owner-only for sensitive plans; otherwise what the umask allows (mkstemp makes 0600)."""
    if sensitive:
        dmode, fmode = 0o700, 0o600
    else:
        umask = os.umask(0)
        os.umask(umask)
        dmode, fmode = 0o777 & ~umask, 0o666 & ~umask
    for dirpath, _dirs, names in os.walk(root):
        os.chmod(dirpath, dmode)
        for n in names:
            os.chmod(os.path.join(dirpath, n), fmode)
