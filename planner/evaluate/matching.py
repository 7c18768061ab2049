"""Matching GPS tracks to a plan: which stops were made, and the minutes delivered.

Everything is measured in the British National Grid (metres) and UTC seconds, so distances are
true and a track crossing midnight or a clock change needs no special case.

**Time on site.** Points are samples of a position, irregular and with gaps. Each point stands
for the time from half-way to the point before it to half-way to the point after it; across a
gap longer than ``max_gap_s`` (the receiver was off, or out of coverage) a point stands for
nothing on that side, since where the unit was is unknown. Time within ``radius_m`` of a place
is the time of the points within it, clipped to the window that counts.

**A stop is made** when, within the window that counts for it, the unit stays within
``radius_m`` of the site for at least the dwell needed: the shorter of ``dwell_min`` and the
stop's planned dwell, in one stay (consecutive points within the radius, no gap over
``max_gap_s`` between them). A drive-past (presence ``drive_past``) is made when the track
passes within the radius: a point inside, or a straight line between two points (no gap over
``max_gap_s``) that comes that close. The window is the route's planned time out, from its
leave to its return; a site the route visits twice splits it half-way between the visits.

**Per unit-shift**: compliance is the share of planned stops made. Time away from the plan is
the time in the shift (shift start to shift end) that the unit was more than ``radius_m`` from
every site the route plans and from its station, less the travel time the plan gives the
route (a unit must drive between stops: only time beyond that is away from the plan). It is
simple and errs low: a unit that takes a detour while travelling is only counted when the
detour outlasts the planned travel.

**Per site**: visits and minutes planned against made, and two measures of delivered time:
minutes on site in the planned visits (each visit credited at most its planned dwell, so the
share delivered is at most 100%; waiting at a site for the visit to start counts as on site but
not as credit), and all minutes any unit was within the radius while
on shift (unit-minutes: two units there together count twice), which counts the presence the
plan did not ask for too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from planner.common import to_bng
from planner.config import ForceConfig
from planner.errors import InputError
from planner.evaluate.tracks import Tracks, UnitTrack
from planner.planning.plan import Plan, PlanRoute, PlanStop

#: Presence whose visit is a pass, not a stay (see the module docstring).
DRIVE_PAST = "drive_past"
#: Kind of the plan's crime hot spots.
HOTSPOT_KIND = "hotspot"


@dataclass(frozen=True)
class Settings:
    """How a track is matched: the radius, the dwell and the longest gap bridged."""

    radius_m: float = 50.0
    dwell_min: float = 5.0
    max_gap_s: float = 300.0


@dataclass(frozen=True)
class StopResult:
    """One planned stop: made or not, and the minutes on site."""

    route: PlanRoute
    stop: PlanStop
    required_s: float
    made: bool
    on_site_s: float
    longest_s: float
    first_within: dt.datetime | None
    reason: str

    @property
    def credited_s(self) -> float:
        """Minutes on site counted against the plan: at most the planned dwell."""
        return min(self.on_site_s, self.stop.dwell_s)


@dataclass(frozen=True)
class ShiftResult:
    """One unit-shift (a route): compliance and time away from the plan."""

    route: PlanRoute
    stops_made: int
    track_points: int
    tracked_s: float
    far_s: float
    planned_travel_s: float
    left_station: bool
    note: str

    @property
    def stops_planned(self) -> int:
        """Stops the route plans."""
        return len(self.route.stops)

    @property
    def compliance(self) -> float | None:
        """Share of planned stops made (``None`` for a route with no stops)."""
        return self.stops_made / self.stops_planned if self.stops_planned else None

    @property
    def away_from_plan_s(self) -> float:
        """Time far from every planned site and the station, beyond the planned travel."""
        return max(0.0, self.far_s - self.planned_travel_s)


@dataclass(frozen=True)
class SiteResult:
    """One site of the plan: visits and minutes planned against delivered."""

    site_id: str
    name: str
    kind: str
    visits_planned: int
    visits_made: int
    planned_s: float
    in_visits_s: float
    on_shift_s: float

    @property
    def hotspot(self) -> bool:
        """Whether the site is a crime hot spot."""
        return self.kind == HOTSPOT_KIND


@dataclass(frozen=True)
class Evaluation:
    """A plan matched to tracks."""

    plan: Plan
    settings: Settings
    tracks: Tracks
    stops: tuple[StopResult, ...]
    shifts: tuple[ShiftResult, ...]
    sites: tuple[SiteResult, ...]


def plan_window(plan: Plan) -> tuple[dt.datetime, dt.datetime]:
    """From the week's start to the later of its end and the last shift's end (UTC)."""
    start = plan.week_start.astimezone(dt.UTC)
    end = start + dt.timedelta(days=7)
    for r in plan.routes:
        start = min(start, r.shift_start.astimezone(dt.UTC))
        end = max(end, r.shift_end.astimezone(dt.UTC))
    return start, end


def station_points(config: ForceConfig) -> dict[str, tuple[float, float]]:
    """Each station's British National Grid position, from the force config."""
    out = {}
    for s in config.stations:
        if s.easting is not None and s.northing is not None:
            out[s.id] = (float(s.easting), float(s.northing))
        else:
            x, y = to_bng().transform(s.lon, s.lat)
            out[s.id] = (float(x), float(y))
    return out


# ----------------------------------------------------------------------------- track arithmetic


@dataclass(frozen=True)
class _Owned:
    """A unit's track with the span of time each point stands for (module docstring)."""

    track: UnitTrack
    lo_s: np.ndarray
    hi_s: np.ndarray
    joined: np.ndarray  # point i follows point i-1 with no gap over max_gap_s

    @classmethod
    def of(cls, track: UnitTrack, max_gap_s: float) -> _Owned:
        t = track.t_s
        gaps = np.diff(t)
        ok = gaps <= max_gap_s
        half = np.where(ok, gaps / 2, 0.0)
        lo, hi = t.astype(float), t.astype(float)
        lo[1:] -= half
        hi[:-1] += half
        joined = np.concatenate([[False], ok])
        return cls(track, lo, hi, joined)

    def window(self, a_s: float, b_s: float) -> tuple[slice, np.ndarray]:
        """The points that stand for time in ``[a_s, b_s)``, and how much of it each does."""
        i0 = int(np.searchsorted(self.hi_s, a_s, side="right"))
        i1 = int(np.searchsorted(self.lo_s, b_s, side="left"))
        sl = slice(i0, max(i0, i1))
        dur = np.minimum(self.hi_s[sl], b_s) - np.maximum(self.lo_s[sl], a_s)
        return sl, np.clip(dur, 0.0, None)

    def dist(self, sl: slice, x_m: float, y_m: float) -> np.ndarray:
        """Distance of the points in ``sl`` to ``(x_m, y_m)``, metres."""
        return np.hypot(self.track.x_m[sl] - x_m, self.track.y_m[sl] - y_m)


def _longest_stay(inside: np.ndarray, joined: np.ndarray, dur: np.ndarray) -> float:
    """The longest run of consecutive points inside, with no long gap between them."""
    if not inside.any():
        return 0.0
    prev_inside = np.concatenate([[False], inside[:-1]])
    starts = inside & ~(prev_inside & joined)
    run = np.cumsum(starts)
    return float(np.bincount(run[inside], weights=dur[inside]).max())


def _passes(owned: _Owned, sl: slice, x_m: float, y_m: float, radius_m: float) -> bool:
    """Whether the track in ``sl`` passes within ``radius_m``: a point, or a line between two."""
    x, y = owned.track.x_m[sl], owned.track.y_m[sl]
    if len(x) == 0:
        return False
    if (np.hypot(x - x_m, y - y_m) <= radius_m).any():
        return True
    ax, ay, bx, by = x[:-1], y[:-1], x[1:], y[1:]
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.clip(np.where(length2 > 0, ((x_m - ax) * dx + (y_m - ay) * dy) / length2, 0), 0, 1)
    d = np.hypot(ax + u * dx - x_m, ay + u * dy - y_m)
    return bool((d <= radius_m)[owned.joined[sl][1:]].any())


# ----------------------------------------------------------------------------- matching


def _stop_windows(route: PlanRoute) -> list[tuple[float, float]]:
    """Each stop's window: the route's time out, split half-way between visits to one site."""
    a, b = route.leave.timestamp(), route.return_.timestamp()
    windows = [(a, b)] * len(route.stops)
    by_site: dict[str, list[int]] = {}
    for i, s in enumerate(route.stops):
        by_site.setdefault(s.site_id, []).append(i)
    for idx in by_site.values():
        idx.sort(key=lambda i: route.stops[i].start)
        for k, i in enumerate(idx):
            lo = a if k == 0 else _mid(route.stops[idx[k - 1]].departure, route.stops[i].start)
            hi = (
                b
                if k == len(idx) - 1
                else _mid(route.stops[i].departure, route.stops[idx[k + 1]].start)
            )
            windows[i] = (lo, hi)
    return windows


def _mid(t1: dt.datetime, t2: dt.datetime) -> float:
    return (t1.timestamp() + t2.timestamp()) / 2


def _match_stop(
    route: PlanRoute,
    stop: PlanStop,
    window: tuple[float, float],
    owned: _Owned | None,
    settings: Settings,
) -> StopResult:
    """Whether one stop was made (module docstring), with its minutes on site."""
    drive_past = stop.presence == DRIVE_PAST
    required_s = 0.0 if drive_past else min(settings.dwell_min * 60, stop.dwell_s or np.inf)
    r = settings.radius_m

    def result(
        made: bool, on_s: float, longest_s: float, first: float | None, why: str
    ) -> StopResult:
        when = None if first is None else dt.datetime.fromtimestamp(first, dt.UTC)
        return StopResult(route, stop, required_s, made, on_s, longest_s, when, why)

    if owned is None:
        return result(False, 0.0, 0.0, None, "no track for the unit in the shift")
    sl, dur = owned.window(*window)
    if not dur.any():
        return result(False, 0.0, 0.0, None, "no track for the unit in the shift")
    inside = owned.dist(sl, stop.x_m, stop.y_m) <= r
    on_s = float(dur[inside].sum())
    longest = _longest_stay(inside, owned.joined[sl], dur)
    first = float(owned.track.t_s[sl][inside][0]) if inside.any() else None
    if drive_past:
        made = _passes(owned, sl, stop.x_m, stop.y_m, r)
        return result(made, on_s, longest, first, "" if made else f"did not pass within {r:g} m")
    if first is None:
        return result(False, on_s, longest, first, f"never within {r:g} m")
    if longest >= required_s:
        return result(True, on_s, longest, first, "")
    why = f"longest stay {longest / 60:.1f} min, under the {required_s / 60:g} min needed"
    return result(False, on_s, longest, first, why)


def _match_route(
    route: PlanRoute,
    owned: _Owned | None,
    station: tuple[float, float],
    settings: Settings,
) -> tuple[ShiftResult, list[StopResult]]:
    """One unit-shift: every stop matched, compliance and time away from the plan."""
    stops = [
        _match_stop(route, s, w, owned, settings)
        for s, w in zip(route.stops, _stop_windows(route), strict=True)
    ]
    travel_s = route.time_budget().travel_s
    made = sum(s.made for s in stops)
    if owned is None:
        return ShiftResult(
            route, made, 0, 0.0, 0.0, travel_s, False, "no track in the shift"
        ), stops
    a, b = route.shift_start.timestamp(), route.shift_end.timestamp()
    sl, dur = owned.window(a, b)
    t = owned.track.t_s[sl]
    n_points = int(((t >= a) & (t < b)).sum())
    from_station = owned.dist(sl, *station)
    nearest = from_station.copy()
    for s in route.stops:
        nearest = np.minimum(nearest, owned.dist(sl, s.x_m, s.y_m))
    far_s = float(dur[nearest > settings.radius_m].sum())
    left = bool((from_station > settings.radius_m).any())
    note = "no track in the shift" if n_points == 0 else "" if left else "never left the station"
    shift = ShiftResult(route, made, n_points, float(dur.sum()), far_s, travel_s, left, note)
    return shift, stops


def _site_results(
    plan: Plan, stops: Sequence[StopResult], owned: Mapping[str, _Owned], radius_m: float
) -> list[SiteResult]:
    """Per site: visits and minutes planned, made, and delivered on shift."""
    first: dict[str, PlanStop] = {}
    for s in plan.stops:
        first.setdefault(s.site_id, s)
    ids = sorted(first)
    if not ids:
        return []
    index = {sid: i for i, sid in enumerate(ids)}
    tree = cKDTree(np.array([[first[i].x_m, first[i].y_m] for i in ids]))
    on_shift = np.zeros(len(ids))
    for route in plan.routes:
        track = owned.get(route.unit_id)
        if track is None:
            continue
        sl, dur = track.window(route.shift_start.timestamp(), route.shift_end.timestamp())
        xy = np.column_stack([track.track.x_m[sl], track.track.y_m[sl]])
        if not len(xy):
            continue
        for d, near in zip(dur, tree.query_ball_point(xy, radius_m), strict=True):
            for j in near:
                on_shift[j] += d
    planned = np.zeros(len(ids))
    in_visits = np.zeros(len(ids))
    n_planned = np.zeros(len(ids), dtype=int)
    n_made = np.zeros(len(ids), dtype=int)
    for res in stops:
        j = index[res.stop.site_id]
        n_planned[j] += 1
        n_made[j] += res.made
        planned[j] += res.stop.dwell_s
        in_visits[j] += res.credited_s
    return [
        SiteResult(
            site_id=sid,
            name=first[sid].name,
            kind=first[sid].kind,
            visits_planned=int(n_planned[j]),
            visits_made=int(n_made[j]),
            planned_s=float(planned[j]),
            in_visits_s=float(in_visits[j]),
            on_shift_s=float(on_shift[j]),
        )
        for j, sid in enumerate(ids)
    ]


def evaluate(
    plan: Plan,
    tracks: Tracks,
    stations: Mapping[str, tuple[float, float]],
    settings: Settings | None = None,
) -> Evaluation:
    """Match the tracks to every route and site of the plan.

    Parameters
    ----------
    plan
        The plan evaluated.
    tracks
        The units' tracks (:func:`planner.evaluate.tracks.read_tracks`).
    stations
        British National Grid position of each station (:func:`station_points`).
    settings
        Radius, dwell and longest gap bridged (defaults: 50 m, 5 min, 5 min).

    Raises
    ------
    InputError
        If a route's station is not among ``stations`` (the config is not the plan's).
    """
    settings = settings or Settings()
    owned = {u: _Owned.of(t, settings.max_gap_s) for u, t in tracks.units.items()}
    all_stops: list[StopResult] = []
    shifts: list[ShiftResult] = []
    for route in plan.routes:
        if route.station_id not in stations:
            raise InputError(
                f"the plan's route {route.route_id!r} starts from station {route.station_id!r}, "
                f"which the config does not define (its stations: {', '.join(sorted(stations))}); "
                "give the config the plan was made with",
                field="stations",
            )
        shift, stops = _match_route(
            route, owned.get(route.unit_id), stations[route.station_id], settings
        )
        shifts.append(shift)
        all_stops += stops
    sites = _site_results(plan, all_stops, owned, settings.radius_m)
    return Evaluation(plan, settings, tracks, tuple(all_stops), tuple(shifts), tuple(sites))
