"""Generate the built-in demo's sites and crime data for the synthetic town of Northby.

Everything is fictional and deterministic (explicit seed): the town comes from
:func:`planner.roads.synthetic.generate_network` with the settings in ``data/demo/force.toml``;
sites are placed on its streets; crimes follow data.police.uk's street-level CSV format
exactly (12 columns, "On or near ..." locations, anti-social behaviour without a Crime ID, a
few rows with no location and a few recorded far away), clustered the way real crime is: a
night-time economy in the centre, shops along the main roads, residential burglary and vehicle
crime pockets, and a thin background everywhere.

Usage: ``python scripts/make_demo_data.py`` (rewrites ``data/demo/sites.csv`` and
``data/demo/crimes/*.csv``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import sys
import tomllib
from pathlib import Path

import numpy as np
import pyproj

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo"
sys.path.insert(0, str(REPO))

from planner.common import atomic_write_bytes  # noqa: E402
from planner.demand.crimes import PUBLISHED_COLUMNS  # noqa: E402
from planner.roads.area import synthetic_network  # noqa: E402

TO_WGS = pyproj.Transformer.from_crs(27700, 4326, always_xy=True)
SEED = 49

CRIME_COLUMNS = list(PUBLISHED_COLUMNS)
FORCE = "Northshire Police"
OUTCOMES = [
    "Investigation complete; no suspect identified",
    "Unable to prosecute suspect",
    "Under investigation",
    "Local resolution",
    "Offender given a caution",
    "Awaiting court outcome",
    "Status update unavailable",
]


def main() -> int:
    config = tomllib.loads((DEMO / "force.toml").read_text())
    syn = config["area"]["synthetic"]
    net = synthetic_network(
        syn.get("profile", "town"),
        syn["nodes"],
        syn["seed"],
        syn.get("name", "Northby"),
        REPO / ".planner-cache",
    )
    car = net.car
    rng = np.random.default_rng(SEED)
    x, y = car.node_x_m, car.node_y_m
    cx, cy = float(np.median(x)), float(np.median(y))
    dist = np.hypot(x - cx, y - cy)
    radius = float(np.percentile(dist, 95))
    hw = np.asarray(car.highway_labels)[car.edge_highway]
    names = np.asarray(car.name_labels)[car.seg_name[car.edge_segment]]

    def node_near(fx: float, fy: float, classes: tuple[str, ...] = ()) -> int:
        """The node nearest (cx + fx*radius, cy + fy*radius), on a road of ``classes``."""
        tx, ty = cx + fx * radius, cy + fy * radius
        ok = np.ones(car.n_nodes, dtype=bool)
        if classes:
            ok[:] = False
            sel = np.isin(hw, classes)
            ok[car.edge_u[sel]] = True
        d = np.hypot(x - tx, y - ty) + np.where(ok, 0, 1e9)
        return int(np.argmin(d))

    def street_of(node: int) -> str:
        e = np.flatnonzero(car.edge_u == node)
        named = [names[i] for i in e if names[i]]
        return named[0] if named else "an unnamed street"

    def lonlat(node: int, dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
        lon, lat = TO_WGS.transform(x[node] + dx, y[node] + dy)
        return round(float(lon), 6), round(float(lat), 6)

    # ------------------------------------------------------------------ sites
    # One dict per row; the columns left out are empty (the kind's default).
    sites = [
        {
            "site_id": "NB-OFF-1",
            "name": "Constituency office of the MP for Northby (fictional)",
            "kind": "mp_office",
            "risk": "high",
            "node": node_near(0.03, 0.02, ("primary", "secondary")),
            "windows": "Mon-Fri 09:30-17:00",
            "notes": "Check the frontage, letterbox and CCTV sign; note anyone loitering",
            "police_contact": "PS 1234 Jones, 07700 900123",
        },
        {
            "site_id": "NB-SUR-1",
            "name": "MP surgery, Northby Library (fictional)",
            "kind": "mp_surgery",
            "risk": "high",
            "node": node_near(-0.05, 0.04, ("secondary", "tertiary")),
            "windows": "2026-12-04 17:00-19:00",
            "visits_per_week": "2",
            "notes": "Visible presence as constituents arrive and leave",
            "police_contact": "PS 1234 Jones, 07700 900123",
        },
        {
            "site_id": "NB-SUR-2",
            "name": "MP surgery, Eastfield Community Hall (fictional)",
            "kind": "mp_surgery",
            "risk": "high",
            "node": node_near(0.45, -0.10, ("residential", "tertiary")),
            "windows": "2026-12-05 10:00-12:00",
            "visits_per_week": "2",
            "notes": "Visible presence as constituents arrive and leave",
            "police_contact": "PC 5678 Patel, 07700 900456",
        },
        {
            "site_id": "NB-HOME-1",
            "name": "MP home (fictional)",
            "kind": "mp_home",
            "risk": "critical",
            "node": node_near(-0.55, 0.50, ("residential",)),
            "presence": "drive_past",
            "restricted": "true",
            "notes": "Drive past only; do not stop outside",
            "police_contact": "PS 1234 Jones, 07700 900123",
        },
        {
            "site_id": "NB-POW-1",
            "name": "St Aidan's Church (fictional)",
            "kind": "place_of_worship",
            "risk": "medium",
            "node": node_near(-0.08, -0.06, ("residential", "tertiary")),
            "windows": "Sunday service: Sun 09:30-12:30; Midweek service: Wed 18:00-20:30",
            "faith": "christian",
            "notes": "Sunday services; graffiti reported nearby",
        },
        {
            "site_id": "NB-POW-2",
            "name": "Northby Central Mosque (fictional)",
            "kind": "place_of_worship",
            "risk": "high",
            "node": node_near(0.20, 0.18, ("residential", "tertiary")),
            "windows": "Jumu'ah: Fri 12:00-14:30 x1 required; Evening: Daily 17:30-19:30 x3",
            "faith": "muslim",
            "notes": "Friday prayers; recent hate-crime reports",
        },
        {
            "site_id": "NB-POW-3",
            "name": "Beth Shalom Synagogue (fictional)",
            "kind": "place_of_worship",
            "risk": "high",
            "node": node_near(-0.30, -0.25, ("residential",)),
            "windows": "Erev Shabbat: Fri 15:45-18:15; Shabbat: Sat 09:00-12:30 priority=3",
            "faith": "jewish",
            "notes": "Shabbat services; check the gates",
        },
        {
            "site_id": "NB-POW-4",
            "name": "Guru Nanak Gurdwara (fictional)",
            "kind": "place_of_worship",
            "risk": "medium",
            "node": node_near(0.35, 0.40, ("residential", "tertiary")),
            "faith": "sikh",
            "notes": "Langar on Sundays: many visitors; an empty windows cell gives the Sunday "
            "diwan (faith = sikh) plus the kind's visits over the week",
        },
        {
            "site_id": "NB-CC-1",
            "name": "Northby Community Centre (fictional)",
            "kind": "community_centre",
            "risk": "medium",
            "node": node_near(0.10, -0.35, ("residential", "tertiary")),
            "windows": "Mon-Sat 10:00-21:00",
            "notes": "Youth club evenings",
        },
        {
            "site_id": "NB-PRO-1",
            "name": "Planned protest, Market Square (fictional)",
            "kind": "protest",
            "risk": "high",
            "node": node_near(0.0, 0.0, ("primary", "secondary", "tertiary")),
            "windows": "2026-12-05 15:15-17:45",
            "presence": "post",
            "notes": "Counter-protest expected; keep groups apart. A post: held throughout, "
            "relieved hourly",
        },
        {
            "site_id": "NB-EV-1",
            "name": "Christmas lights switch-on (fictional)",
            "kind": "event",
            "risk": "medium",
            "node": node_near(0.02, -0.02, ("primary", "secondary")),
            "windows": "2026-12-03 17:30-20:00",
            "notes": "Large crowd in the centre",
        },
        {
            "site_id": "NB-UNLOC",
            "name": "Drop-in surgery, address to be confirmed (fictional)",
            "kind": "mp_surgery",
            "risk": "high",
            "node": -1,  # no location: only a postcode, reported as unlocated
            "windows": "2026-12-02 18:00-19:00",
            "notes": "Postcode only: reported as unlocated",
            "police_contact": "PC 5678 Patel, 07700 900456",
        },
    ]
    columns = [
        "site_id",
        "name",
        "kind",
        "risk",
        "lon",
        "lat",
        "postcode",
        "windows",
        "visits_per_week",
        "faith",
        "presence",
        "restricted",
        "notes",
        "police_contact",
    ]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for site in sites:
        node = int(site["node"])
        row = {k: str(v) for k, v in site.items() if k != "node"}
        if node < 0:
            row["postcode"] = "NB1 9ZZ"
        else:
            row["lon"], row["lat"] = map(str, lonlat(node, *rng.uniform(-15, 15, 2)))
        w.writerow([row.get(c, "") for c in columns])
    atomic_write_bytes(DEMO / "sites.csv", buf.getvalue().encode())

    # ------------------------------------------------------------------ crimes
    clusters = [
        # (fx, fy, spread as share of radius, weight, crime mix)
        (
            0.0,
            0.0,
            0.06,
            0.30,
            {
                "Violence and sexual offences": 0.35,
                "Public order": 0.2,
                "Anti-social behaviour": 0.15,
                "Other theft": 0.1,
                "Shoplifting": 0.1,
                "Criminal damage and arson": 0.05,
                "Drugs": 0.05,
            },
        ),
        (
            0.15,
            -0.05,
            0.05,
            0.12,
            {
                "Shoplifting": 0.45,
                "Other theft": 0.2,
                "Theft from the person": 0.1,
                "Anti-social behaviour": 0.15,
                "Public order": 0.1,
            },
        ),
        (
            -0.45,
            0.35,
            0.10,
            0.10,
            {
                "Burglary": 0.35,
                "Vehicle crime": 0.35,
                "Criminal damage and arson": 0.15,
                "Anti-social behaviour": 0.15,
            },
        ),
        (
            0.40,
            -0.20,
            0.08,
            0.12,
            {
                "Anti-social behaviour": 0.3,
                "Criminal damage and arson": 0.2,
                "Drugs": 0.15,
                "Violence and sexual offences": 0.25,
                "Possession of weapons": 0.05,
                "Robbery": 0.05,
            },
        ),
        (0.25, 0.55, 0.10, 0.06, {"Vehicle crime": 0.4, "Bicycle theft": 0.3, "Other theft": 0.3}),
    ]
    background = {
        "Violence and sexual offences": 0.3,
        "Anti-social behaviour": 0.2,
        "Criminal damage and arson": 0.12,
        "Burglary": 0.08,
        "Vehicle crime": 0.1,
        "Other theft": 0.1,
        "Other crime": 0.05,
        "Public order": 0.05,
    }
    months = ["2026-08", "2026-09", "2026-10"]
    lsoa_cell_m = 800.0
    (DEMO / "crimes").mkdir(parents=True, exist_ok=True)
    for month in months:
        n = int(rng.integers(380, 460))
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")  # data.police.uk files use CRLF
        w.writerow(CRIME_COLUMNS)
        for _ in range(n):
            k = rng.choice(
                len(clusters) + 1, p=[c[3] for c in clusters] + [1 - sum(c[3] for c in clusters)]
            )
            if k < len(clusters):
                fx, fy, spread, _, mix = clusters[k]
                px = cx + fx * radius + rng.normal(0, spread * radius)
                py = cy + fy * radius + rng.normal(0, spread * radius)
            else:
                mix = background
                node = int(rng.integers(car.n_nodes))
                px, py = x[node], y[node]
            types = list(mix)
            crime = str(rng.choice(types, p=np.asarray(list(mix.values())) / sum(mix.values())))
            node = int(np.argmin(np.hypot(x - px, y - py)))  # data.police.uk snaps to map points
            lon, lat = lonlat(node)
            cell = (int((x[node] - cx) // lsoa_cell_m), int((y[node] - cy) // lsoa_cell_m))
            lsoa_no = (cell[0] + 20) * 41 + (cell[1] + 20)
            crime_id = (
                ""
                if crime == "Anti-social behaviour"
                else hashlib.sha256(f"{month}{_}{crime}{SEED}".encode()).hexdigest()
            )
            outcome = "" if crime == "Anti-social behaviour" else str(rng.choice(OUTCOMES))
            location = f"On or near {street_of(node)}"
            if rng.random() < 0.03:  # as in real files: no location for a few records
                lon_s, lat_s, location, lsoa_code, lsoa_name = "", "", "No Location", "", ""
            else:
                lon_s, lat_s = f"{lon:.6f}", f"{lat:.6f}"
                lsoa_code, lsoa_name = (
                    f"E0199{lsoa_no:04d}",
                    f"Northby {lsoa_no % 997:03d}{'ABCD'[lsoa_no % 4]}",
                )
            w.writerow(
                [
                    crime_id,
                    month,
                    FORCE,
                    FORCE,
                    lon_s,
                    lat_s,
                    location,
                    lsoa_code,
                    lsoa_name,
                    crime,
                    outcome,
                    "",
                ]
            )
        # Two records the force dealt with that happened far away, as in every real file.
        for lon, lat in ((-2.58, 51.45), (-1.47, 53.38)):
            w.writerow(
                [
                    hashlib.sha256(f"{month}{lon}".encode()).hexdigest(),
                    month,
                    FORCE,
                    FORCE,
                    lon,
                    lat,
                    "On or near Station Road",
                    "E01000001",
                    "Elsewhere 001A",
                    "Other theft",
                    OUTCOMES[0],
                    "",
                ]
            )
        atomic_write_bytes(
            DEMO / "crimes" / f"{month}-northshire-street.csv", buf.getvalue().encode()
        )
    print(f"wrote {DEMO / 'sites.csv'} and {len(months)} crime files in {DEMO / 'crimes'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
