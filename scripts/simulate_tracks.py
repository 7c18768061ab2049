"""Simulate units' GPS tracks from a plan's routes, for ``planner evaluate``'s tests and demo.

Each unit-shift follows its route in straight lines at the planned times: at the station until
it leaves, to each stop by its planned arrival, on site until its planned departure, back to the
station for the break and at the end. On top of that, drawn from the seed:

* **skips**: a share of stops is not visited; the unit waits somewhere else, 400-900 m away;
* **short visits**: a share of stops is left after 20-50% of the dwell needed (``--dwell-min``,
  or the planned dwell if shorter), so the evaluation must count them as not made;
* **detours**: a share of unit-shifts leaves the station for 15-30 minutes of unplanned driving
  before setting out or after coming back;
* **gaps**: a share of unit-shifts loses the signal for 1-4 minutes, now and then;
* **noise**: every point is off by a normal error, sigma ``--noise-m`` (8 m) in each axis;
* **sampling**: one point every 5 to 30 seconds (random, whole seconds).

Drive-pasts (presence ``drive_past``) are never skipped or shortened, nor is a stop the unit is
already at (waiting there since a visit to the same site). What was drawn is written
to ``truth.csv`` (one row per stop: ``visited`` and the seconds actually on site), so a test can
compute the expected compliance without the evaluation's own matching.

Usage::

    python scripts/simulate_tracks.py CONFIG RUN/plan.json --out DIR --seed 7 [--format both]

writes ``DIR/tracks.csv`` (unit, timestamp, lat, lon; times in UTC with ``Z``) and/or one
``DIR/<unit>.gpx`` per unit (GPX 1.1, one ``<trk>`` per shift, named by the unit), and
``DIR/truth.csv``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from planner.common import to_wgs84  # noqa: E402
from planner.config import load_config  # noqa: E402
from planner.evaluate.matching import DRIVE_PAST, station_points  # noqa: E402
from planner.planning.plan import Plan, PlanRoute, read_plan_json  # noqa: E402

GPX_NS = "http://www.topografix.com/GPX/1/1"


@dataclass
class Simulation:
    """Simulated points per route, and what was drawn for each stop."""

    points: dict[str, tuple[str, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    """route id -> (unit, UTC epoch seconds, easting m, northing m)."""
    truth: list[dict[str, object]] = field(default_factory=list)
    """One row per stop: route_id, visit_id, site_id, visited, on_site_s, required_s."""


def _away(
    rng: np.random.Generator, x: float, y: float, avoid: list[tuple[float, float]]
) -> tuple[float, float]:
    """A point 400-900 m from ``(x, y)`` and at least 200 m from every point of ``avoid``."""
    for _ in range(50):
        angle = rng.uniform(0, 2 * np.pi)
        dist = rng.uniform(400, 900)
        px, py = x + dist * np.cos(angle), y + dist * np.sin(angle)
        if all(np.hypot(px - ax, py - ay) > 200 for ax, ay in avoid):
            return float(px), float(py)
    return float(x + 900), float(y + 900)


# long function: one route's timeline, step by step, reads best in one piece
def _waypoints(
    route: PlanRoute,
    station: tuple[float, float],
    rng: np.random.Generator,
    *,
    dwell_s: float,
    skip_share: float,
    short_share: float,
    detour_share: float,
    truth: list[dict[str, object]],
) -> list[tuple[float, float, float]]:
    """``(time_s, x_m, y_m)`` corners of the route's path, with skips, short visits, detours."""
    sx, sy = station
    avoid = [station] + [(s.x_m, s.y_m) for s in route.stops]
    start, leave = route.shift_start.timestamp(), route.leave.timestamp()
    back, end = route.return_.timestamp(), route.shift_end.timestamp()
    pts: list[tuple[float, float, float]] = [(start, sx, sy)]
    if rng.random() < detour_share:
        # An unplanned excursion while the plan has the unit at the station.
        slots = [(start, leave), (back, end)] if route.stops else [(start, end)]
        slots = [(a, b) for a, b in slots if b - a >= 40 * 60]
        if slots:
            a, b = slots[int(rng.integers(len(slots)))]
            length = rng.uniform(15, 30) * 60
            t0 = rng.uniform(a + 60, b - length - 60)
            dx, dy = _away(rng, sx, sy, avoid)
            pts += [
                (t0, sx, sy),
                (t0 + 300, dx, dy),
                (t0 + length - 300, dx, dy),
                (t0 + length, sx, sy),
            ]
    pts.append((leave, sx, sy))
    pos = (sx, sy)
    brk_done = route.break_start is None
    for s in route.stops:
        if not brk_done and route.break_start is not None and s.start >= route.break_start:
            brk_in = (route.break_return or route.break_start).timestamp()
            brk_out = (route.break_leave or route.break_end or route.break_start).timestamp()
            pts += [(brk_in, sx, sy), (brk_out, sx, sy)]
            pos, brk_done = (sx, sy), True
        arrive, begin, depart = s.arrival.timestamp(), s.start.timestamp(), s.departure.timestamp()
        leg_start = max(pts[-1][0], arrive - s.travel_s)
        required = min(dwell_s, s.dwell_s) if s.dwell_s > 0 else dwell_s
        # A unit already there (waiting between two visits to one site) cannot skip it.
        draw = rng.random() if np.hypot(pos[0] - s.x_m, pos[1] - s.y_m) > 200 else 1.0
        row = {
            "route_id": route.route_id,
            "visit_id": s.visit_id,
            "site_id": s.site_id,
            "presence": s.presence,
            "required_s": required,
        }
        if s.presence != DRIVE_PAST and draw < skip_share:
            wx, wy = _away(rng, s.x_m, s.y_m, avoid)
            pts += [(leg_start, *pos), (arrive, wx, wy), (depart, wx, wy)]
            pos = (wx, wy)
            truth.append(row | {"visited": False, "on_site_s": 0.0})
            continue
        pts += [(leg_start, *pos), (arrive, s.x_m, s.y_m)]
        if s.presence != DRIVE_PAST and draw < skip_share + short_share:
            stay = rng.uniform(0.2, 0.5) * required
            wx, wy = _away(rng, s.x_m, s.y_m, avoid)
            leave_at = begin + stay
            pts += [(leave_at, s.x_m, s.y_m), (leave_at + 120, wx, wy), (depart, wx, wy)]
            pos = (wx, wy)
            truth.append(row | {"visited": False, "on_site_s": stay + (begin - arrive)})
            continue
        pts.append((depart, s.x_m, s.y_m))
        pos = (s.x_m, s.y_m)
        truth.append(row | {"visited": True, "on_site_s": depart - arrive})
    pts += [(back, sx, sy), (end, sx, sy)]
    pts.sort(key=lambda p: p[0])
    return pts


def simulate(
    plan: Plan,
    stations: dict[str, tuple[float, float]],
    *,
    seed: int,
    noise_m: float = 8.0,
    dwell_min: float = 5.0,
    skip_share: float = 0.1,
    short_share: float = 0.1,
    detour_share: float = 0.3,
    gap_share: float = 0.3,
) -> Simulation:
    """Tracks for every route of ``plan`` (see the module docstring), reproducible by ``seed``."""
    rng = np.random.default_rng(seed)
    sim = Simulation()
    for route in plan.routes:
        corners = _waypoints(
            route,
            stations[route.station_id],
            rng,
            dwell_s=dwell_min * 60,
            skip_share=skip_share,
            short_share=short_share,
            detour_share=detour_share,
            truth=sim.truth,
        )
        ct = np.array([c[0] for c in corners])
        start, end = int(np.ceil(ct[0])), int(np.floor(ct[-1]))
        steps = rng.integers(5, 31, size=int((end - start) / 5) + 2)
        t = start + np.concatenate([[0], np.cumsum(steps)])
        t = t[t <= end].astype(float)
        if rng.random() < gap_share:
            for _ in range(int(rng.integers(1, 4))):
                g0 = rng.uniform(t[0], t[-1])
                t = t[(t < g0) | (t > g0 + rng.uniform(60, 240))]
        x = np.interp(t, ct, [c[1] for c in corners]) + rng.normal(0, noise_m, len(t))
        y = np.interp(t, ct, [c[2] for c in corners]) + rng.normal(0, noise_m, len(t))
        sim.points[route.route_id] = (route.unit_id, t, x, y)
    return sim


def _iso(t_s: float) -> str:
    return dt.datetime.fromtimestamp(int(t_s), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_tracks_csv(sim: Simulation, path: Path) -> None:
    """All points in one CSV: unit, timestamp (UTC, Z), lat, lon."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["unit", "timestamp", "lat", "lon"])
        for unit, t, x, y in sim.points.values():
            lon, lat = to_wgs84().transform(x, y)
            for ti, la, lo in zip(t, lat, lon, strict=True):
                w.writerow([unit, _iso(ti), f"{la:.6f}", f"{lo:.6f}"])


def write_tracks_gpx(sim: Simulation, folder: Path) -> list[Path]:
    """One GPX 1.1 file per unit, one ``<trk>`` per shift named by the unit."""
    ET.register_namespace("", GPX_NS)
    roots: dict[str, ET.Element] = {}
    for unit, t, x, y in sim.points.values():
        root = roots.setdefault(
            unit,
            ET.Element(f"{{{GPX_NS}}}gpx", {"version": "1.1", "creator": "simulate_tracks.py"}),
        )
        trk = ET.SubElement(root, f"{{{GPX_NS}}}trk")
        ET.SubElement(trk, f"{{{GPX_NS}}}name").text = unit
        seg = ET.SubElement(trk, f"{{{GPX_NS}}}trkseg")
        lon, lat = to_wgs84().transform(x, y)
        for ti, la, lo in zip(t, lat, lon, strict=True):
            pt = ET.SubElement(seg, f"{{{GPX_NS}}}trkpt", {"lat": f"{la:.6f}", "lon": f"{lo:.6f}"})
            ET.SubElement(pt, f"{{{GPX_NS}}}time").text = _iso(ti)
    paths = []
    for unit, root in roots.items():
        path = folder / f"{''.join(c if c.isalnum() or c in '-_' else '_' for c in unit)}.gpx"
        ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
        paths.append(path)
    return paths


def write_truth(sim: Simulation, path: Path) -> None:
    """What was drawn for every stop."""
    cols = ["route_id", "visit_id", "site_id", "presence", "visited", "on_site_s", "required_s"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, cols, lineterminator="\n")
        w.writeheader()
        w.writerows(sim.truth)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path, help="the force config the plan was made with")
    parser.add_argument("plan", type=Path, help="the run's plan.json")
    parser.add_argument("--out", type=Path, required=True, help="folder for the track files")
    parser.add_argument("--seed", type=int, required=True, help="random seed (always explicit)")
    parser.add_argument("--format", choices=["csv", "gpx", "both"], default="both")
    parser.add_argument("--noise-m", type=float, default=8.0)
    parser.add_argument("--dwell-min", type=float, default=5.0)
    parser.add_argument("--skip-share", type=float, default=0.1)
    parser.add_argument("--short-share", type=float, default=0.1)
    parser.add_argument("--detour-share", type=float, default=0.3)
    parser.add_argument("--gap-share", type=float, default=0.3)
    args = parser.parse_args(argv)
    plan = read_plan_json(args.plan)
    sim = simulate(
        plan,
        station_points(load_config(args.config)),
        seed=args.seed,
        noise_m=args.noise_m,
        dwell_min=args.dwell_min,
        skip_share=args.skip_share,
        short_share=args.short_share,
        detour_share=args.detour_share,
        gap_share=args.gap_share,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    if args.format in ("csv", "both"):
        write_tracks_csv(sim, args.out / "tracks.csv")
        written.append(args.out / "tracks.csv")
    if args.format in ("gpx", "both"):
        written += write_tracks_gpx(sim, args.out)
    write_truth(sim, args.out / "truth.csv")
    n = sum(len(p[1]) for p in sim.points.values())
    visited = sum(bool(r["visited"]) for r in sim.truth)
    print(
        f"simulated {n:,} points for {len(sim.points)} unit-shifts; {visited} of {len(sim.truth)} stops visited"
    )
    for p in written:
        print(f"wrote {p}")
    print(f"wrote {args.out / 'truth.csv'}")


if __name__ == "__main__":
    main()
