"""The map's time control: where each unit is at a chosen day and time.

Each route becomes a short timeline of segments the page's script reads as JSON
(``templates/map_time.js.j2``): at the station, travelling (a leg's simplified road line, walked
at a steady speed from its start time to its end time), waiting or on site at a stop, and on
its refreshment break. Times are whole seconds from the plan's week start; the days carry
their local midnight and any clock change, so the slider reads Europe/London wall-clock time
even across the change.

Redacted, a unit is never placed inside a restricted site's area: each leg is cut out of the
discs (grown by :data:`REDACT_MARGIN_M`, so rounding cannot put a point just inside), the parts
keep their own times, and while a unit is inside an area (or on site there) its segment has no
position: the page hides its marker and says the position is withheld.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import shapely
from branca.element import MacroElement
from folium.template import Template

from planner.common import LONDON
from planner.outputs.geometry import clip_out, line_parts, lonlat_geometry
from planner.outputs.templating import template_text
from planner.outputs.text import day_label, esc
from planner.planning.plan import PlanRoute, PlanStop

if TYPE_CHECKING:
    from planner.planning.week import PlanResult

#: Legs are simplified to this before they are cut and sent (a position, not a drawing).
LEG_TOLERANCE_M = 15.0
#: Redaction discs grow by this for unit positions, so no rounded point lands inside.
REDACT_MARGIN_M = 5.0
#: Decimal places of a unit position (5: about 1 m).
DECIMALS = 5

Segment = list[Any]


def _s(base: dt.datetime, t: dt.datetime) -> int:
    """Whole seconds from ``base`` to ``t`` (UTC arithmetic, right across a clock change)."""
    return round((t.astimezone(dt.UTC) - base.astimezone(dt.UTC)).total_seconds())


def _pt(xy: tuple[float, float]) -> list[float]:
    lon, lat = lonlat_geometry(shapely.Point(xy)).coords[0]
    return [round(lat, DECIMALS), round(lon, DECIMALS)]


class _Timeline:
    """Builds one route's segments: ``[code, t0_s, t1_s, stop, [[lat, lon], ...]]``.

    Codes: ``p`` at the station, ``t`` travelling (to the stop; ``-1``: back to the station),
    ``w`` waiting at a stop, ``s`` on site, ``b`` on break, ``h`` position withheld (inside a
    restricted site's area). ``stop`` indexes the route's ``names`` (``-1``: none).
    """

    def __init__(
        self, result: PlanResult, route: PlanRoute, areas: shapely.Geometry, redact: bool
    ) -> None:
        self.base = result.plan.week_start
        self.graph = result.model.graphs[route.mode]
        self.route = route
        self.areas = areas
        self.redact = redact
        st = result.inputs.stations
        i = list(st.site_id).index(route.station_id)
        self.station_xy = (float(st.x_m[i]), float(st.y_m[i]))
        self.segs: list[Segment] = []
        self.names: list[str] = []
        self.cursor = route.shift_start  # the end of the last segment

    def _name(self, stop: PlanStop) -> int:
        """The stop's index in the route's ``names`` (a segment's label refers to it)."""
        if stop.restricted and self.redact:
            self.names.append(f"stop {stop.order}: restricted site")
        else:
            # HTML-escaped, as every input text in the page: the script writes it as HTML.
            self.names.append(esc(f"stop {stop.order}: {stop.name or stop.site_id}"))
        return len(self.names) - 1

    def stay(self, code: str, t0: dt.datetime, t1: dt.datetime, label: int, xy: Any) -> None:
        a, b = _s(self.base, t0), _s(self.base, t1)
        if b <= a:
            return
        self.cursor = max(self.cursor, t1)
        if not self.areas.is_empty and shapely.contains_xy(self.areas, *xy):
            self.segs.append(["h", a, b, label, []])
        else:
            self.segs.append([code, a, b, label, [_pt(xy)]])

    def travel(self, src: str, dst: str, t0: dt.datetime, t1: dt.datetime, label: int) -> None:
        a, b = _s(self.base, t0), _s(self.base, t1)
        if b <= a:
            return
        self.cursor = max(self.cursor, t1)
        line, _ = self.graph.path(src, dst)
        line = shapely.simplify(line, LEG_TOLERANCE_M)
        length = line.length
        if length <= 0:
            self.stay("t", t0, t1, label, line.coords[0])
            return
        parts = line_parts(clip_out(line, self.areas)) if not self.areas.is_empty else None
        if parts is None:
            parts = line_parts(line)
        at = a
        for xy in parts:
            # Steady speed along the leg: a part's times follow its distance along it.
            f0 = line.project(shapely.Point(xy[0])) / length
            f1 = line.project(shapely.Point(xy[-1])) / length
            p0, p1 = round(a + (b - a) * f0), round(a + (b - a) * f1)
            if p0 > at:
                self.segs.append(["h", at, p0, label, []])
            if p1 > p0:
                pts = line_parts(lonlat_geometry(shapely.LineString(xy)))[0]
                self.segs.append(
                    [
                        "t",
                        p0,
                        p1,
                        label,
                        [
                            [round(float(la), DECIMALS), round(float(lo), DECIMALS)]
                            for lo, la in pts
                        ],
                    ]
                )
            at = max(at, p1)
        if b > at:
            self.segs.append(["h", at, b, label, []])

    def leg(self, stops: list[PlanStop], leave: dt.datetime, back: dt.datetime) -> None:
        """Out from the station through ``stops``, and back to it by ``back``."""
        r = self.route
        prev_id, prev_dep, prev_xy = r.station_id, leave, self.station_xy
        prev_label = -1
        for i, s in enumerate(stops):
            # The unit waits where it is and leaves ``travel_s`` before the next arrival.
            go = max(s.arrival - dt.timedelta(seconds=s.travel_s), prev_dep)
            if i == 0:
                self.stay("p", self.cursor, go, -1, prev_xy)
            else:
                self.stay("w", prev_dep, go, prev_label, prev_xy)
            name = self._name(s)
            self.travel(prev_id, s.site_id, go, s.arrival, name)
            xy = (s.x_m, s.y_m)
            self.stay("w", s.arrival, s.start, name, xy)
            self.stay("s", s.start, s.departure, name, xy)
            prev_id, prev_dep, prev_xy, prev_label = s.site_id, s.departure, xy, name
        self.travel(prev_id, r.station_id, prev_dep, back, -1)

    def build(self) -> list[Segment]:
        """The route's segments from the shift's start to its end."""
        r = self.route
        b0, b1 = r.break_start, r.break_end
        if b0 is not None and b1 is not None:
            before = [s for s in r.stops if s.start < b0]
            after = [s for s in r.stops if s.start >= b0]
            if before:
                self.leg(before, r.leave, r.break_return or b0)
            self.stay("p", self.cursor, b0, -1, self.station_xy)
            self.stay("b", b0, b1, -1, self.station_xy)
            if after:
                self.leg(after, r.break_leave or r.leave, r.return_)
        elif r.stops:
            self.leg(list(r.stops), r.leave, r.return_)
        self.stay("p", self.cursor, r.shift_end, -1, self.station_xy)
        return self.segs


def _day(base: dt.datetime, day: dt.date) -> dict[str, Any]:
    """A day of the slider: local midnight (s from the week start), length and clock change."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=LONDON)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=LONDON)
    off0 = start.utcoffset() or dt.timedelta(0)
    off1 = end.utcoffset() or dt.timedelta(0)
    change = None
    if off0 != off1:
        t = start.astimezone(dt.UTC)
        while (t.astimezone(LONDON).utcoffset() or dt.timedelta(0)) == off0:
            t += dt.timedelta(minutes=15)
        change = _s(base, t)
    return {
        "key": day.isoformat(),
        "label": day_label(day),
        "t0": _s(base, start),
        "n": _s(base, end) - _s(base, start),
        "off0": int(off0.total_seconds()),
        "off1": int(off1.total_seconds()),
        "change": change,
    }


def unit_timelines(
    result: PlanResult, colours: Mapping[str, str], areas: shapely.Geometry, redact: bool
) -> dict[str, Any]:
    """The time control's data: its days and each route's segments (see :class:`_Timeline`)."""
    plan = result.plan
    grown = (
        areas.buffer(REDACT_MARGIN_M)
        if redact and not areas.is_empty
        else shapely.GeometryCollection()
    )
    routes = [
        {
            "unit": r.unit_id,
            "unitHtml": esc(r.unit_id),
            "colour": colours[r.unit_id],
            "day": r.day.isoformat(),
            "segs": tl.build(),
            "names": tl.names,
        }
        for r in plan.routes
        for tl in [_Timeline(result, r, grown, redact)]
    ]
    days = sorted({r.day for r in plan.routes})
    return {"days": [_day(plan.week_start, d) for d in days], "routes": routes}


class TimeControl(MacroElement):
    """The "Where is everyone?" panel: a day, a time slider and each unit's position."""

    _template = Template(template_text("map_time.js.j2"))

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__()
        self._name = "PlannerTime"
        self.data = data
