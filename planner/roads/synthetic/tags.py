"""Tags of the synthetic roads: highway classes of streets, speed limits, names and refs.

Names are made of English place-name parts (Danelaw "-by" and "-thorpe" country, like the
fictional area's setting) and street suffixes chosen by a line's role; lines of one route
(an A road across the county) share one name and number.
"""

from __future__ import annotations

import numpy as np

from planner.roads.synthetic.lines import Net
from planner.roads.synthetic.profiles import (
    LIVING,
    PRIMARY,
    R_ARTERIAL,
    R_CRESCENT,
    R_HIGH,
    R_LANE,
    R_LINK,
    R_RING,
    R_SPUR,
    R_SPUR_LEG,
    R_STREET,
    RESIDENTIAL,
    S10,
    S20,
    S30,
    S40,
    S50,
    S60,
    S70,
    S_NAT,
    S_NONE,
    SECONDARY,
    TERTIARY,
    TRUNK,
    UNCLASSIFIED,
    Z_CENTRE,
    Z_RURAL,
    Z_TOWN,
    Z_VILLAGE,
)
from planner.roads.synthetic.randomness import hash_uniform

_FIRST = [
    "Church",
    "Mill",
    "Station",
    "Park",
    "Victoria",
    "Albert",
    "King",
    "Queen",
    "Manor",
    "Chapel",
    "School",
    "Green",
    "Orchard",
    "Meadow",
    "Oak",
    "Elm",
    "Willow",
    "Ash",
    "Beech",
    "Cedar",
    "Hawthorn",
    "Priory",
    "Abbey",
    "Castle",
    "Bridge",
    "Market",
    "Grange",
    "Field",
    "Windmill",
    "Rectory",
    "Vicarage",
    "Hall",
    "Springfield",
    "Highfield",
    "Brook",
    "Kiln",
    "Tanner",
    "Cooper",
    "Fletcher",
    "Wheatsheaf",
    "Swan",
    "Rose",
    "Primrose",
    "Bluebell",
    "Heather",
    "Holly",
    "Ivy",
    "Laurel",
    "Linden",
    "Rowan",
    "Sycamore",
    "Chestnut",
    "Poplar",
    "Larch",
    "Wellington",
    "Nelson",
    "Trafalgar",
    "Waterloo",
    "Cromwell",
    "Stanley",
    "Gladstone",
    "Tennyson",
    "Byron",
    "Milton",
    "Chaucer",
    "Newton",
    "Darwin",
    "Cambridge",
    "Oxford",
    "York",
    "Lincoln",
    "Charnwood",
    "Belvoir",
    "Trent",
    "Soar",
    "Wreake",
    "Welland",
    "Spencer",
    "Cavendish",
    "Paddock",
    "Pinfold",
    "Sheepwash",
    "Stonepit",
    "Cliff",
    "Moor",
    "Hollow",
    "Dale",
    "Fox",
    "Badger",
    "Heron",
    "Kestrel",
    "Lark",
    "Wren",
    "Raven",
    "Finch",
]
_SUFFIX = {
    R_STREET: [
        "Street",
        "Road",
        "Lane",
        "Avenue",
        "Way",
        "Drive",
        "Grove",
        "Terrace",
        "Place",
        "Row",
        "Walk",
        "Gardens",
        "Rise",
        "Hill",
        "View",
    ],
    R_SPUR: ["Close", "Court", "Mews", "Croft", "Close", "Close", "Way", "Gardens"],
    R_CRESCENT: ["Crescent", "Crescent", "Crescent", "Circle"],
    R_HIGH: ["Street"],
}
_SETTLE_A = [
    "Ash",
    "Thorn",
    "Kirk",
    "Barrow",
    "Long",
    "Great",
    "Little",
    "Whis",
    "Bur",
    "Cot",
    "Eg",
    "Gran",
    "Hamble",
    "Lang",
    "Mor",
    "Stoke",
    "Sax",
    "Wal",
    "Wit",
    "Lyn",
    "Ed",
    "Ex",
    "Cold",
    "Oak",
    "Mar",
    "Brau",
    "Glas",
    "Ayst",
    "Man",
    "Pres",
    "Seat",
    "Beau",
    "Hol",
    "Skel",
    "Lax",
    "Tick",
    "Brig",
    "Ketton",
    "Wymond",
    "Cottes",
    "Empin",
    "Belton",
    "Morcott",
    "Tixo",
    "Lynd",
    "Clip",
]
_SETTLE_B = [
    "by",
    "thorpe",
    "ham",
    "ton",
    "well",
    "ford",
    "field",
    "stone",
    "worth",
    "wick",
    "ley",
    "bury",
    "den",
    "holme",
    "wold",
    "stead",
]


def assign_tags(net: Net, rng: np.random.Generator, profile: str, name: str) -> None:
    """Speed limits, names and refs for every line, by role, class and zone."""
    tab = net.table
    n = net.n_lines
    role, zone, hw = tab["role"], tab["zone"], tab["hw"]
    r = rng.random(n)
    speed = np.full(n, S_NONE, np.int8)
    if profile == "town":
        centre = zone == Z_CENTRE
        # The City of London is 20 mph throughout; UK town centres increasingly are too.
        speed[centre] = np.where(r[centre] < 0.92, S20, S_NONE)
        sub = ~centre
        minor = sub & (hw >= UNCLASSIFIED)
        speed[minor] = np.select([r[minor] < 0.45, r[minor] < 0.8], [S20, S30], S_NONE)
        major = sub & (hw <= TERTIARY)
        speed[major] = np.select([r[major] < 0.75, r[major] < 0.9], [S30, S40], S_NONE)
        ring = role == R_RING
        speed[ring] = np.where(hw[ring] == TRUNK, S40, S30)
        speed[hw == LIVING] = np.where(r[hw == LIVING] < 0.5, S10, S_NONE)
    else:
        built = (zone == Z_TOWN) | (zone == Z_VILLAGE)
        speed[built] = np.select([r[built] < 0.05, r[built] < 0.45], [S20, S30], S_NONE)
        rural = zone == Z_RURAL
        big = rural & (hw <= SECONDARY)
        speed[big] = np.select(
            [r[big] < 0.25, r[big] < 0.38, r[big] < 0.48], [S60, S40, S50], S_NONE
        )
        trunk = rural & (hw == TRUNK)
        speed[trunk] = np.select([r[trunk] < 0.4, r[trunk] < 0.7], [S70, S60], S_NAT)
        small = rural & (hw > SECONDARY) & (role == R_LINK)
        speed[small] = np.where(r[small] < 0.08, S_NAT, np.where(r[small] < 0.12, S60, S_NONE))
    tab["speed"][:] = speed
    # Names: "<word> <suffix>" by role; arterials and links named after places.
    names: list[str] = []
    name_idx = np.full(n, -1, np.int32)
    first = rng.integers(0, len(_FIRST), n)
    suffix = rng.integers(0, 1 << 30, n)
    places = [a + b for a in _SETTLE_A for b in _SETTLE_B]
    # Lines of one route draw the same place name and road number.
    route = tab["route"]
    route_rng = hash_uniform(int(rng.integers(1 << 62)), route, np.zeros(n, np.int64), 0)
    place = np.where(
        route >= 0, (route_rng * len(places)).astype(np.int64), rng.integers(0, len(places), n)
    )
    numbers = np.where(
        route >= 0, (route_rng * 1e6).astype(np.int64) % 1000, rng.integers(0, 1000, n)
    )
    lookup: dict[str, int] = {}
    role_l = role.tolist()
    hw_l = hw.tolist()
    for i in range(n):
        rl = role_l[i]
        if rl in (R_SPUR_LEG, R_LANE):
            continue  # legs belong to their cul-de-sac's way; farm lanes are unnamed
        if rl == R_RING:
            s = f"{name} {'Inner ' if hw_l[i] == PRIMARY else ''}Ring Road"
        elif rl == R_ARTERIAL:
            s = f"{places[place[i]]} Road"
        elif rl == R_HIGH:
            s = ("High Street", "Market Street", "Bridge Street", "Sheep Street")[i % 4]
        elif rl == R_LINK:
            if hw_l[i] > TERTIARY or (r[i] < 0.5 and route[i] < 0):
                continue
            s = f"{places[place[i]]} Road"
        else:
            suf = _SUFFIX.get(rl, _SUFFIX[R_STREET])
            s = f"{_FIRST[first[i]]} {suf[suffix[i] % len(suf)]}"
        idx = lookup.setdefault(s, len(names))
        if idx == len(names):
            names.append(s)
        name_idx[i] = idx
    tab["name"][:] = name_idx
    net.names = names
    # Refs: A roads and B roads (Leicestershire/Rutland numbers are in the 6xxx zone).
    refs: list[str] = []
    ref_idx = np.full(n, -1, np.int32)
    major_lines = np.flatnonzero((hw <= SECONDARY) & (role != R_SPUR) & (role != R_SPUR_LEG))
    for i in major_lines.tolist():
        h = hw_l[i]
        if h == TRUNK:
            s = f"A{1 + numbers[i] % 60}"
        elif h == PRIMARY:
            s = f"A6{numbers[i]:03d}"
        elif r[i] < 0.8 or route[i] >= 0:
            s = f"B6{numbers[i]:03d}"
        else:
            continue
        ref_idx[i] = len(refs)
        refs.append(s)
    tab["ref"][:] = ref_idx
    net.refs = refs
    # The second carriageway of a dual carriageway carries the same tags as the first.
    tw = np.flatnonzero(tab["twin"] >= 0)
    second = tw[tw > tab["twin"][tw]]
    for col in ("speed", "name", "ref"):
        tab[col][second] = tab[col][tab["twin"][second]]


def classify_streets(net: Net, rng: np.random.Generator, profile: str) -> None:
    """Highway classes of streets from their length (long cuts are through roads) and zone."""
    tab = net.table
    st = np.flatnonzero(tab["role"] == R_STREET)
    r = rng.random(len(st))
    zone = tab["zone"][st]
    long_ = tab["len_m"][st]
    hw = np.where(
        zone == Z_CENTRE,
        np.where(r < 0.6, UNCLASSIFIED, np.where(r < 0.95, RESIDENTIAL, LIVING)),
        np.where(r < 0.22, UNCLASSIFIED, np.where(r < 0.97, RESIDENTIAL, LIVING)),
    )
    if profile == "town":
        hw = np.where(long_ > 900.0, TERTIARY, hw)
        hw = np.where((long_ > 2500.0) & (zone != Z_CENTRE), SECONDARY, hw)
    else:
        top = tab["level"][st] <= 1
        hw = np.where(top & (zone == Z_TOWN), TERTIARY, hw)
        hw = np.where((zone == Z_VILLAGE) & top & (r < 0.4), UNCLASSIFIED, hw)
    tab["hw"][st] = hw
