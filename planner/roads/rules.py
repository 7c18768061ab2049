"""Which ways each patrol mode may use, in which direction, and how fast it travels on them.

The access filters are modelled on osmnx's ``drive`` and ``walk`` network types, with the UK
right of way on foot along roads. Car speeds follow UK rules: the posted ``maxspeed`` (mph,
or the national limits) where tagged, else a typical speed for the road class, never more
than a cap per class (a country lane under the 60 mph national limit is not driven at 60).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

MPH_TO_KPH = 1.609344

#: Speed used where a car way has no usable ``maxspeed``, in mph, by ``highway`` class.
#: These are typical travel speeds for a patrol car in normal traffic, not legal limits: an
#: untagged rural primary road is usually 60 mph national limit but is driven nearer 45.
DEFAULT_SPEED_MPH: dict[str, float] = {
    "motorway": 65,
    "motorway_link": 40,
    "trunk": 55,
    "trunk_link": 35,
    "primary": 45,
    "primary_link": 30,
    "secondary": 40,
    "secondary_link": 30,
    "tertiary": 35,
    "tertiary_link": 25,
    "unclassified": 30,
    "residential": 25,
    "living_street": 10,
    "road": 25,
    "busway": 25,
    "service": 10,
}
#: Highest speed used on each class even when the posted limit is higher, in mph. A country lane
#: under the 60 mph national limit is not driven at 60.
CLASS_CAP_MPH: dict[str, float] = {
    "motorway": 70,
    "motorway_link": 50,
    "trunk": 70,
    "trunk_link": 50,
    "primary": 60,
    "primary_link": 40,
    "secondary": 50,
    "secondary_link": 40,
    "tertiary": 45,
    "tertiary_link": 35,
    "unclassified": 40,
    "residential": 30,
    "living_street": 15,
    "road": 40,
    "busway": 30,
    "service": 15,
}
FALLBACK_SPEED_MPH = 25.0
#: UK national speed limits in mph: single carriageway, dual carriageway, motorway.
NATIONAL_SINGLE_MPH = 60.0
NATIONAL_DUAL_MPH = 70.0
#: Walking speed of an officer on foot patrol, km/h (a brisk 3 mph).
WALK_SPEED_KPH = 4.8

_CAR_HIGHWAYS = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "road",
    }
)
_FOOT_EXCLUDED_HIGHWAYS = frozenset(
    {
        "abandoned",
        "bus_guideway",
        "busway",
        "construction",
        "motor",
        "motorway",
        "motorway_link",
        "no",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "disused",
    }
)
_NO = frozenset({"no", "private"})
_YES = frozenset({"yes", "designated", "permissive", "destination"})
_ONEWAY_FWD = frozenset({"yes", "true", "1"})
_ONEWAY_BWD = frozenset({"-1", "reverse"})

#: Direction codes of a way (bit flags: both = forward | backward; none = not usable).
DIR_NONE, DIR_FWD, DIR_BWD, DIR_BOTH = 0, 1, 2, 3


def car_allowed(tags: Mapping[str, str]) -> bool:
    """Whether a patrol car may use a way (osmnx ``drive``: public roads, no service roads)."""
    if tags.get("highway") not in _CAR_HIGHWAYS or tags.get("area") == "yes":
        return False
    if any(tags.get(k) == "no" for k in ("motor_vehicle", "motorcar", "vehicle")):
        return False
    if tags.get("access") in _NO:
        return any(tags.get(k) in _YES for k in ("motor_vehicle", "motorcar", "vehicle"))
    return True


def foot_allowed(tags: Mapping[str, str]) -> bool:
    """Whether an officer on foot may use a way (osmnx ``walk``, plus UK right of way on roads)."""
    highway = tags.get("highway")
    if highway is None or highway in _FOOT_EXCLUDED_HIGHWAYS or tags.get("area") == "yes":
        return False
    foot = tags.get("foot")
    if foot == "no":
        return False
    if highway == "cycleway" and foot not in _YES:
        return False
    if tags.get("access") in _NO or tags.get("service") == "private":
        return foot in _YES
    return True


def car_direction(tags: Mapping[str, str]) -> int:
    """Direction code of a car way: 1 forward only, 2 backward only, 3 both."""
    oneway = tags.get("oneway", "").strip().lower()
    if oneway in _ONEWAY_FWD:
        return DIR_FWD
    if oneway in _ONEWAY_BWD:
        return DIR_BWD
    if oneway == "no":
        return DIR_BOTH
    if tags.get("junction") in {"roundabout", "circular"} or tags.get("highway") == "motorway":
        return DIR_FWD
    return DIR_BOTH


_SPEED_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")


def parse_maxspeed_mph(value: str | None, *, dual: bool = False) -> float | None:
    """Parse an OSM ``maxspeed`` value into mph, or ``None`` if it gives no usable number.

    UK values are ``"30 mph"``; ``"national"``, ``"GB:national"``, ``"GB:nsl_single"`` give
    60 mph (70 on a dual carriageway), ``"GB:nsl_dual"`` and ``"GB:motorway"`` 70 mph. A bare
    number is km/h, as OSM defines it. Several values separated by ``;`` give the lowest.
    """
    if value is None:
        return None
    speeds = []
    for part in str(value).split(";"):
        p = part.strip().lower()
        if p in {"national", "gb:national", "uk:national", "gb:nsl_single", "uk:nsl_single"}:
            speeds.append(NATIONAL_DUAL_MPH if dual else NATIONAL_SINGLE_MPH)
        elif p in {"gb:nsl_dual", "uk:nsl_dual", "gb:motorway", "uk:motorway", "none"}:
            speeds.append(NATIONAL_DUAL_MPH)
        elif p == "walk":
            speeds.append(WALK_SPEED_KPH / MPH_TO_KPH)
        else:
            m = _SPEED_RE.match(p)
            if m and float(m.group(1)) > 0:
                number = float(m.group(1))
                speeds.append(number if m.group(2) == "mph" else number / MPH_TO_KPH)
    return min(speeds) if speeds else None


def car_speed_kph(tags: Mapping[str, str]) -> float:
    """Travel speed of a patrol car on a way, km/h.

    The posted ``maxspeed`` (mph) where tagged, else :data:`DEFAULT_SPEED_MPH` for the class; in
    both cases no more than :data:`CLASS_CAP_MPH` for the class.
    """
    highway = tags.get("highway", "")
    dual = car_direction(tags) != DIR_BOTH and highway in {"trunk", "primary", "motorway"}
    limit = parse_maxspeed_mph(tags.get("maxspeed"), dual=dual)
    speed = limit if limit is not None else DEFAULT_SPEED_MPH.get(highway, FALLBACK_SPEED_MPH)
    cap = CLASS_CAP_MPH.get(highway, NATIONAL_DUAL_MPH)
    return min(speed, cap) * MPH_TO_KPH
