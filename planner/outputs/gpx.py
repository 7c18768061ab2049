"""One GPX 1.1 file per route, for in-vehicle navigation (``gpx/<route>.gpx``).

The file is named by :func:`planner.outputs.run.route_file_stem`, unique per route id.

Written through :mod:`xml.etree.ElementTree`, so input text (site names, notes) is always XML
text, never markup; characters XML 1.0 forbids (NUL, other control characters) are dropped
first (:func:`planner.outputs.text.xml_text`), since ElementTree would write them as they are
and no GPX reader could then parse the file.
"""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET

import shapely

from planner.outputs.geometry import (
    clip_out,
    line_parts,
    lonlat,
    lonlat_geometry,
    redaction_area,
    redaction_discs,
)
from planner.outputs.text import day_label, hm, leave_time, presence_line, stop_label, xml_text
from planner.planning.plan import Plan, PlanRoute

_GPX_NS = "http://www.topografix.com/GPX/1/1"
_Q = f"{{{_GPX_NS}}}"


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    """A child element of the GPX namespace holding ``text`` (XML-forbidden characters dropped)."""
    el = ET.SubElement(parent, f"{_Q}{tag}")
    el.text = xml_text(text)
    return el


def route_gpx(
    plan: Plan, route: PlanRoute, geometry: shapely.Geometry, *, redact: bool = False
) -> bytes:
    """A GPX 1.1 file for one route: a waypoint per stop (in order, named) and the road track.

    The station is where the track starts and ends; it is not a waypoint, so the waypoints are
    exactly the stops. With ``redact`` a restricted stop's waypoint is the centre of its
    approximate area and the track is cut around it.
    """
    ET.register_namespace("", _GPX_NS)
    q = _Q
    gpx = ET.Element(f"{q}gpx", {"version": "1.1", "creator": "patrol-planner"})
    meta = ET.SubElement(gpx, f"{q}metadata")
    _text(meta, "name", f"{route.unit_id} {day_label(route.day)} {route.shift}")
    _text(
        meta,
        "desc",
        f"{plan.protective_marking}. {plan.force}, {plan.week}. Leave {route.station_id} "
        f"{hm(route.leave)}, return {hm(route.return_)}.",
    )
    _text(meta, "time", route.leave.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    for s in route.stops:
        x, y = (redaction_area(s.x_m, s.y_m)[:2]) if (s.restricted and redact) else (s.x_m, s.y_m)
        lon, lat = lonlat(x, y)
        wpt = ET.SubElement(gpx, f"{q}wpt", {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}"})
        _text(wpt, "time", s.arrival.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        name, notes = stop_label(s, redact)
        _text(wpt, "name", f"{s.order}. {name}")
        _text(
            wpt,
            "desc",
            f"Leave {hm(leave_time(s))}, on site {hm(s.start)}-{hm(s.departure)} "
            f"({s.dwell_s / 60:.0f} min){f' in {s.window}' if s.window else ''}. "
            f"{s.kind}, risk {s.risk}."
            + (f" {presence_line(s)}" if presence_line(s) else "")
            + (f" {notes}" if notes else "")
            + (" RESTRICTED SITE." if s.restricted else ""),
        )
        _text(wpt, "type", s.kind)
    trk = ET.SubElement(gpx, f"{q}trk")
    _text(trk, "name", route.route_id)
    areas = redaction_discs(plan) if redact else shapely.GeometryCollection()
    for part in line_parts(lonlat_geometry(shapely.simplify(clip_out(geometry, areas), 1.0))):
        seg = ET.SubElement(trk, f"{q}trkseg")
        for lon, lat in part:
            ET.SubElement(seg, f"{q}trkpt", {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}"})
    buf = io.BytesIO()
    ET.ElementTree(gpx).write(buf, encoding="utf-8", xml_declaration=True)
    return buf.getvalue()
