"""Hand-built plans and tracks for the evaluation tests.

A small plan's stops lie at known offsets from the demo's NB-CENTRAL station, so a test can
write a track that is exactly where and when it wants: at a site for eight minutes, at the
station all shift, across midnight or across the October clock change.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import numpy as np

from planner.common import LONDON, to_wgs84
from planner.config import load_config
from planner.evaluate.matching import station_points
from planner.planning.plan import Plan, PlanRoute, PlanStop

REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO / "data" / "demo" / "force.toml"
STATION = "NB-CENTRAL"
GPX_NS = "http://www.topografix.com/GPX/1/1"


@cache
def stations() -> dict[str, tuple[float, float]]:
    """The demo config's stations, BNG metres."""
    return station_points(load_config(DEMO_CONFIG))


def station_xy() -> tuple[float, float]:
    """NB-CENTRAL, where every hand-built route starts."""
    return stations()[STATION]


def at(local: str) -> dt.datetime:
    """A Europe/London wall-clock time (``2026-12-01 08:00``; ``+fold`` for the second 01:30)."""
    fold = 1 if local.endswith("+fold") else 0
    naive = dt.datetime.fromisoformat(local.removesuffix("+fold"))
    return naive.replace(tzinfo=LONDON, fold=fold).astimezone(dt.UTC)


@dataclass(frozen=True)
class Site:
    """A site at ``(dx, dy)`` metres from the station."""

    site_id: str
    dx: float
    dy: float
    kind: str = "hotspot"
    name: str = ""

    @property
    def xy(self) -> tuple[float, float]:
        """The site's BNG position."""
        sx, sy = station_xy()
        return sx + self.dx, sy + self.dy


NORTH = Site("HS-N", 0, 800)
EAST = Site("HS-E", 900, 0)
CHURCH = Site("POW-1", -700, 300, kind="place_of_worship", name="St Anne's <church> & hall")


def stop(
    order: int, site: Site, start: str, dwell_min: float = 15, presence: str = "visit"
) -> PlanStop:
    """A planned stop at ``site`` starting at local time ``start``."""
    begin = at(start)
    x, y = site.xy
    return PlanStop(
        order=order,
        visit_id=f"{site.site_id}@{start}",
        site_id=site.site_id,
        name=site.name or site.site_id,
        kind=site.kind,
        risk="medium",
        restricted=False,
        arrival=begin,
        start=begin,
        departure=begin + dt.timedelta(minutes=dwell_min),
        travel_s=300.0,
        dwell_s=dwell_min * 60,
        prize=1.0,
        notes="",
        x_m=x,
        y_m=y,
        presence=presence,
    )


def route(
    unit: str, shift_start: str, shift_end: str, stops: Sequence[PlanStop], shift: str = "early"
) -> PlanRoute:
    """A route of ``unit`` with ``stops``; it leaves 5 minutes before the first arrival."""
    s0, s1 = at(shift_start), at(shift_end)
    leave = stops[0].arrival - dt.timedelta(minutes=5) if stops else s0
    back = stops[-1].departure + dt.timedelta(minutes=5) if stops else s0
    day = s0.astimezone(LONDON).date()
    return PlanRoute(
        route_id=f"{unit}/{day}/{shift}",
        unit_id=unit,
        mode="car",
        officers=2,
        station_id=STATION,
        day=day,
        shift=shift,
        shift_start=s0,
        shift_end=s1,
        leave=leave,
        return_=back,
        paid_officer_hours=16.0,
        stops=tuple(stops),
    )


def plan(routes: Sequence[PlanRoute], week: str = "2026-W49", marking: str = "OFFICIAL") -> Plan:
    """A plan of ``routes`` for ``week``."""
    monday = dt.date.fromisoformat(week + "-1")
    return Plan(
        force="Northshire Police (demo)",
        week=week,
        week_start=dt.datetime.combine(monday, dt.time(0), LONDON).astimezone(dt.UTC),
        protective_marking=marking,
        contains_mp_premises=False,
        seed=1,
        solver={"time_limit_s": 1.0, "solve_time_s": 0.1, "status": "hand-built"},
        budget={
            "pounds_per_week": 1000.0,
            "cost_per_officer_hour": 45.0,
            "funded_officer_hours": 22.0,
            "used_officer_hours": 16.0,
        },
        routes=tuple(routes),
        unserved=(),
    )


# ----------------------------------------------------------------------------- tracks


@dataclass(frozen=True)
class Leg:
    """From ``t0`` to ``t1`` (aware datetimes) moving in a straight line from ``a`` to ``b``."""

    t0: dt.datetime
    t1: dt.datetime
    a: tuple[float, float]
    b: tuple[float, float]


def sample(legs: Iterable[Leg], step_s: int = 10) -> list[tuple[float, float, float]]:
    """``(utc_s, x, y)`` every ``step_s`` seconds along the legs (no noise)."""
    out: list[tuple[float, float, float]] = []
    for leg in legs:
        t0, t1 = leg.t0.timestamp(), leg.t1.timestamp()
        if t1 < t0:
            continue
        for t in np.arange(t0, t1 + 1e-9, step_s):
            u = (t - t0) / (t1 - t0) if t1 > t0 else 0.0
            out.append(
                (
                    float(t),
                    leg.a[0] + u * (leg.b[0] - leg.a[0]),
                    leg.a[1] + u * (leg.b[1] - leg.a[1]),
                )
            )
    # Legs share their ends: keep the first point of each instant, in time order.
    seen: set[float] = set()
    return sorted(p for p in out if not (p[0] in seen or seen.add(p[0])))


def follow(
    r: PlanRoute,
    *,
    skip: Iterable[str] = (),
    stay_min: dict[str, float] | None = None,
    home_between: bool = False,
) -> list[Leg]:
    """Legs that follow route ``r`` at its planned times.

    ``skip`` names visits the unit does not go to (it waits where it is); ``stay_min`` cuts
    visits short (the unit then drives back to the station); ``home_between`` sends the unit
    back to the station after every visit.
    """
    home = station_xy()
    skipped, stays = set(skip), stay_min or {}
    legs = [Leg(r.shift_start, r.leave, home, home)]
    pos, t = home, r.leave
    for s in r.stops:
        go = s.arrival - dt.timedelta(seconds=s.travel_s)
        if go > t:
            legs.append(Leg(t, go, pos, pos))
            t = go
        if s.visit_id in skipped:
            legs.append(Leg(t, s.departure, pos, pos))
            t = s.departure
            continue
        site = (s.x_m, s.y_m)
        legs.append(Leg(t, s.arrival, pos, site))
        end = s.departure
        if s.visit_id in stays:
            end = s.start + dt.timedelta(minutes=stays[s.visit_id])
        legs.append(Leg(s.arrival, end, site, site))
        pos, t = site, end
        if home_between or s.visit_id in stays:
            back = t + dt.timedelta(minutes=5)
            legs.append(Leg(t, back, pos, home))
            pos, t = home, back
    legs.append(Leg(t, max(t, r.return_), pos, home))
    legs.append(Leg(max(t, r.return_), r.shift_end, home, home))
    return legs


def lat_lon(x: float, y: float) -> tuple[str, str]:
    lon, lat = to_wgs84().transform(x, y)
    return f"{lat:.7f}", f"{lon:.7f}"


def utc_text(t_s: float) -> str:
    return dt.datetime.fromtimestamp(t_s, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_csv(
    path: Path, unit: str, points: Iterable[tuple[float, float, float]], **kw: str
) -> Path:
    """A track CSV; ``time_format`` ``"utc"`` (Z), ``"offset"`` (+HH:MM) or ``"naive"`` (local)."""
    fmt = kw.get("time_format", "utc")
    lines = ["unit,timestamp,lat,lon"]
    for t, x, y in points:
        when = dt.datetime.fromtimestamp(t, dt.UTC)
        if fmt == "utc":
            text = utc_text(t)
        elif fmt == "offset":
            text = when.astimezone(LONDON).isoformat()
        else:
            text = when.astimezone(LONDON).replace(tzinfo=None).isoformat()
        lat, lon = lat_lon(x, y)
        lines.append(f"{unit},{text},{lat},{lon}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_gpx(path: Path, unit: str | None, points: Iterable[tuple[float, float, float]]) -> Path:
    """A GPX 1.1 file with one ``<trk>`` (named ``unit``, or nameless)."""
    ET.register_namespace("", GPX_NS)
    root = ET.Element(f"{{{GPX_NS}}}gpx", {"version": "1.1", "creator": "tests"})
    trk = ET.SubElement(root, f"{{{GPX_NS}}}trk")
    if unit is not None:
        ET.SubElement(trk, f"{{{GPX_NS}}}name").text = unit
    seg = ET.SubElement(trk, f"{{{GPX_NS}}}trkseg")
    for t, x, y in points:
        lat, lon = lat_lon(x, y)
        pt = ET.SubElement(seg, f"{{{GPX_NS}}}trkpt", {"lat": lat, "lon": lon})
        ET.SubElement(pt, f"{{{GPX_NS}}}time").text = utc_text(t)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


@cache
def simulator() -> ModuleType:
    """``scripts/simulate_tracks.py`` as a module."""
    spec = importlib.util.spec_from_file_location(
        "simulate_tracks", REPO / "scripts" / "simulate_tracks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["simulate_tracks"] = module
    spec.loader.exec_module(module)
    return module
