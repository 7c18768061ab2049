"""``routes.geojson``: every route's road geometry in WGS84, for GIS tools."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import shapely

from planner.outputs.geometry import clip_out, lonlat_geometry, redaction_discs, route_geometries
from planner.outputs.text import local

if TYPE_CHECKING:
    from planner.planning.week import PlanResult


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
        geom = lonlat_geometry(clip_out(geoms[r.route_id], areas))
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
