"""Crime intake, harm table and hot spots from real data.police.uk files (planner.demand)."""

from __future__ import annotations

import csv
import functools
import itertools
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.common import to_bng, write_csv
from planner.demand.crimes import (
    PUBLISHED_COLUMNS,
    REJECT_COLUMNS,
    REJECT_REASONS,
    TOO_FAR_FROM_ROAD,
    CrimeIntake,
    read_crimes,
)
from planner.demand.harm import (
    CRIME_TYPES,
    DEFAULT_HARM_WEIGHTS,
    HARM_DERIVATION,
    harm_derivation_rows,
    resolve_harm_weights,
)
from planner.demand.hotspots import (
    HOTSPOT_COLUMNS,
    HotspotResult,
    find_hotspots,
    hotspot_label,
    os_grid_ref,
)
from planner.demand.sites import read_site_points
from planner.errors import InputError
from planner.roads.network import RoadNetwork, build_network, read_boundary
from tests.conftest import LAT0, LON0, STEP_DEG, make_ways, shared_file

OAKHAM_CENTRE_M = tuple(float(v) for v in to_bng().transform(-0.7296, 52.6705))
LEICS_MONTHS = ("2022-08", "2022-09", "2022-10")


def leics_files() -> list[Path]:
    """Return the three Leicestershire monthly files that follow the Rutland OSM extract."""
    return [shared_file(f"leicestershire-street-{m}.csv") for m in LEICS_MONTHS]


def distance_to_oakham_m(x_m: float, y_m: float) -> float:
    """Straight-line distance from Oakham town centre (Market Place), metres."""
    return float(np.hypot(x_m - OAKHAM_CENTRE_M[0], y_m - OAKHAM_CENTRE_M[1]))


def assert_accounted(intake: CrimeIntake) -> None:
    """Every input row is kept or rejected for exactly one reason."""
    assert intake.rows_read == intake.n_kept + sum(intake.counts.values())
    assert len(intake.rejects) == sum(intake.counts.values())
    assert set(intake.counts) == set(REJECT_REASONS)
    assert intake.rows_read == sum(intake.rows_by_file.values())
    kept = set(zip(intake.records["file"], intake.records["row"], strict=True))
    rejected = {(r.file, r.row) for r in intake.rejects}
    assert len(kept) == intake.n_kept and len(rejected) == len(intake.rejects)
    assert not kept & rejected
    expected = {(f, k) for f, n in intake.rows_by_file.items() for k in range(1, n + 1)}
    assert kept | rejected == expected


def assert_ranked(result: HotspotResult) -> None:
    """Ranks and ids follow harm, shares add up, every kept record is placed or reported."""
    harms = [h.harm for h in result.hotspots]
    assert all(a >= b for a, b in itertools.pairwise(harms))
    assert [h.rank for h in result.hotspots] == list(range(1, len(harms) + 1))
    assert [h.site_id for h in result.hotspots] == [f"HS-{k:03d}" for k in range(1, len(harms) + 1)]
    assert result.covered_harm == pytest.approx(sum(harms))
    for h in result.hotspots:
        assert h.n_records == sum(h.counts_by_type.values())
        assert h.harm == pytest.approx(sum(h.harm_by_type.values()))
        assert h.share_of_harm == pytest.approx(h.harm / result.total_harm)
    intake = result.intake
    assert result.total_harm + result.unassigned_harm == pytest.approx(intake.total_harm)
    placed = intake.n_kept - len(result.unassigned)
    assert intake.rows_read == placed + sum(result.counts.values())


# ----------------------------------------------------------------------------- Rutland


@pytest.fixture(scope="module")
def rutland_area_m(rutland: RoadNetwork) -> shapely.Geometry:
    """Rutland county, approximated (see :func:`test_rutland_segment_hotspots`)."""
    constituency = read_boundary(shared_file("constituencies-rutland.geojson"))
    foot = rutland.foot
    extract = shapely.concave_hull(
        shapely.multipoints(np.column_stack([foot.coord_x_m, foot.coord_y_m])), 0.1
    )
    return shapely.intersection(constituency, extract)


@pytest.fixture(scope="module")
def rutland_intake(rutland_area_m: shapely.Geometry) -> CrimeIntake:
    """Leicestershire Police crimes of August-October 2022 inside Rutland."""
    return read_crimes(leics_files(), boundary_m=rutland_area_m, force_name="Leicestershire Police")


def test_rutland_area_matches_lsoa_names(rutland_intake: CrimeIntake) -> None:
    """The Rutland area keeps the crimes data.police.uk itself files under Rutland LSOAs.

    There is no Rutland polygon in the shared data: Rutland is policed by Leicestershire and sits
    inside the "Leicestershire" force area. The area used here is the Rutland and Melton
    constituency (an ONS boundary that contains all of Rutland) cut by the concave hull of every
    way point of the Geofabrik Rutland extract (which Geofabrik clips to the county, so it cuts
    Melton off). It is about 420 km2 (Rutland is 382 km2). The check is independent: data.police.uk
    labels every located crime with its LSOA, and LSOAs nest in counties. Of the 498 located
    "Rutland ..." rows all are kept, and only 2 rows of one Melton LSOA on the border come in.
    The force polygon was not used: ultra-generalised, it loses 21 Rutland rows on the edge.
    """
    intake = rutland_intake
    assert_accounted(intake)
    assert intake.rows_read == 10_373 + 9_492 + 9_802
    assert intake.counts["no_coordinates"] == 343 + 348 + 402
    rutland = intake.records["lsoa_name"].str.startswith("Rutland")
    assert rutland.sum() == 498
    assert (~rutland).sum() <= 3
    assert intake.other_force_rows == 0
    assert intake.months == LEICS_MONTHS
    assert set(intake.records["crime_type"]) <= set(CRIME_TYPES)
    harm = intake.records["crime_type"].map(DEFAULT_HARM_WEIGHTS)
    assert np.allclose(intake.records["harm"], harm)


def test_rutland_segment_hotspots(
    rutland: RoadNetwork, rutland_intake: CrimeIntake, rutland_area_m: shapely.Geometry
) -> None:
    """Street-segment hot spots in Rutland: on the car network, in the area, Oakham near the top.

    Looked at by hand (car network, 100 m snap): 1 Stocken Hall Road (HMP Stocken: 17 violence
    records in three months, a prison, 13 km from Oakham), 2 Barfield Street (Uppingham), 3
    Graffham Drive (Oakham, a robbery), 4 Cunnington Close (Oakham), then Langham Lane, North
    Street East (Uppingham), Johnson Road, Alpine Close (Oakham)... So Oakham is in the top 3
    but not first: a prison and one Uppingham street outweigh any single Oakham street.
    """
    car = rutland.car
    result = find_hotspots(rutland_intake, method="segment", network=car, top_n=10)
    assert_ranked(result)
    assert len(result.hotspots) == 10
    assert result.max_snap_m == 100.0 and result.cell_m is None
    # A few records are farther than 100 m from any road (fields, Rutland Water); they are reported.
    assert 0 < len(result.unassigned) < 30
    assert all(r.reason == TOO_FAR_FROM_ROAD for r in result.unassigned)
    area = shapely.buffer(rutland_area_m, 100.0)
    lines = car.segment_lines()
    for h in result.hotspots:
        assert shapely.contains_xy(area, h.x_m, h.y_m)
        seg = int(h.unit_id.removeprefix("seg-"))
        assert car.seg_main[seg]
        assert shapely.distance(lines[seg], shapely.Point(h.x_m, h.y_m)) < 1e-6
        name = car.name_labels[car.seg_name[seg]]
        assert name and h.label == f"On or near {name} ({os_grid_ref(h.x_m, h.y_m, 8)})"
    top3 = [distance_to_oakham_m(h.x_m, h.y_m) for h in result.hotspots[:3]]
    assert min(top3) < 1_000, top3
    assert result.hotspots[0].location_hint == "On or near Stocken Hall Mews"


def test_rutland_grid_hotspots_and_town_scale(
    rutland_intake: CrimeIntake, rutland_area_m: shapely.Geometry
) -> None:
    """150 m grid cells: every record in a cell, Oakham in the top 3; at 2 km, Oakham is first.

    The 2 km cell holding Oakham's centre has the most harm of any (122 records): the busiest
    town centre is the biggest hot spot once cells are large enough to hold a town centre.
    """
    result = find_hotspots(rutland_intake, method="grid", top_n=10)
    assert_ranked(result)
    assert result.unassigned == () and result.cell_m == 150.0
    assert result.total_harm == pytest.approx(rutland_intake.total_harm)
    area = shapely.buffer(rutland_area_m, 150.0)
    for h in result.hotspots:
        assert shapely.contains_xy(area, h.x_m, h.y_m)
        east, north = (float(v) for v in h.unit_id.removeprefix("E").split("N"))
        assert east <= h.x_m <= east + 150 and north <= h.y_m <= north + 150
        # Without a network to name streets from, the data.police.uk place names the cell.
        ref = os_grid_ref(east + 75, north + 75, 8)
        assert re.fullmatch(r"(SK|SP|TF) \d{4} \d{4}", ref)
        assert h.label == hotspot_label("", h.location_hint, ref), h.label
    assert min(distance_to_oakham_m(h.x_m, h.y_m) for h in result.hotspots[:3]) < 1_000

    coarse = find_hotspots(rutland_intake, method="grid", cell_m=2_000, top_n=1)
    top = coarse.hotspots[0]
    assert distance_to_oakham_m(top.x_m, top.y_m) < 1_500
    assert top.n_records > 100


def test_rutland_grid_hotspots_named_after_streets(
    rutland: RoadNetwork, rutland_intake: CrimeIntake
) -> None:
    """Grid hot spots with the car network: "On or near <street in the cell> (<grid ref>)".

    The street is checked against a plain loop over every record and every named road piece in
    the cell (not the module's vectorised code), and is a real OpenStreetMap street of Rutland.
    Looked at by hand: the top cell is around HMP Stocken, on Stocken Hall Road (the records say
    "Stocken Hall Mews", a snap point off the road).
    """
    car = rutland.car
    result = find_hotspots(rutland_intake, method="grid", network=car, top_n=15)
    assert_ranked(result)
    lines = car.segment_lines()
    names = np.array([car.name_labels[c] for c in car.seg_name], dtype=object)
    motorway = np.zeros(len(names), dtype=bool)
    motorway[car.edge_segment] = np.asarray(car.highway_labels)[car.edge_highway] == "motorway"
    recs = rutland_intake.records
    for h in result.hotspots:
        east, north = (float(v) for v in h.unit_id.removeprefix("E").split("N"))
        cell = shapely.box(east, north, east + 150, north + 150)
        ref = os_grid_ref(east + 75, north + 75, 8)
        match = re.fullmatch(r"On or near (.+) \(((?:SK|SP|TF) \d{4} \d{4})\)", h.label)
        assert match and match[2] == ref, h.label
        pieces = [
            (str(names[k]), shapely.intersection(lines[k], cell))
            for k in np.flatnonzero(shapely.intersects(lines, cell))
            if names[k] and not motorway[k]
        ]
        assert match[1] in {n for n, _ in pieces}
        harm: dict[str, float] = {}
        inside = recs[
            (recs["x_m"] >= east)
            & (recs["x_m"] < east + 150)
            & (recs["y_m"] >= north)
            & (recs["y_m"] < north + 150)
        ]
        for x, y, w in inside[["x_m", "y_m", "harm"]].itertuples(index=False):
            _d, street = min((shapely.distance(g, shapely.Point(x, y)), n) for n, g in pieces)
            harm[street] = harm.get(street, 0.0) + w
        assert match[1] == min(harm, key=lambda n: (-round(harm[n], 6), n))
    assert result.hotspots[0].label == "On or near Stocken Hall Road (SK 9567 1822)"


def test_hotspot_and_reject_csvs(
    tmp_path: Path, rutland: RoadNetwork, rutland_intake: CrimeIntake
) -> None:
    """The hot spot CSV is a site file the planner reads back; the rejects CSV lists the rest."""
    result = find_hotspots(rutland_intake, method="segment", network=rutland.car, harm_share=0.25)
    sites_csv = write_csv(tmp_path / "hotspots.csv", result.hotspot_rows(), HOTSPOT_COLUMNS)
    sites = read_site_points(sites_csv)
    assert sites.site_id == tuple(h.site_id for h in result.hotspots)
    assert np.allclose(sites.x_m, [h.x_m for h in result.hotspots], atol=0.1)
    assert sites.attributes[0]["label"] == result.hotspots[0].label
    assert float(sites.attributes[-1]["cumulative_share"]) == pytest.approx(
        result.covered_share, abs=1e-3
    )

    rejects_csv = write_csv(tmp_path / "rejects.csv", result.reject_rows(), REJECT_COLUMNS)
    with rejects_csv.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == sum(result.counts.values())
    assert {r["reason"] for r in rows} == {"no_coordinates", "outside_area", TOO_FAR_FROM_ROAD}
    summary = result.summary()
    assert "HS-001" in summary and "outside_area" in summary and "more than 100 m" in summary


def test_whole_force_files_read() -> None:
    """Three whole Leicestershire month files (29,667 rows): every located row is kept.

    Reading speed is measured by ``scripts/bench_hotspots.py``, not asserted here.
    """
    intake = read_crimes(leics_files())
    assert_accounted(intake)
    assert intake.counts["no_coordinates"] == 343 + 348 + 402
    assert intake.n_kept == 29_667 - 1_093


# ----------------------------------------------------------------------------- City of London


def test_city_of_london(city: RoadNetwork, force_areas: Path) -> None:
    """The City of London force, buffered 200 m, with its own network: Liverpool Street comes first.

    The ultra-generalised "London, City of" polygon is too tight (771 of 1,001 located rows inside);
    a 200 m buffer keeps 928. Liverpool Street (the station approach; 63 records, 20 of them drugs
    and 15 violence) is the top segment.
    """
    boundary = read_boundary(force_areas, name="London, City of")
    files = [
        shared_file("city-of-london-street-2019-09.csv"),
        shared_file("city-of-london-street-2021-01.csv"),
    ]
    tight = read_crimes(files, boundary_m=boundary, force_name="City of London Police")
    intake = read_crimes(
        files, boundary_m=boundary, buffer_m=200.0, force_name="City of London Police"
    )
    for i in (tight, intake):
        assert_accounted(i)
        assert i.rows_read == 853 + 247 and i.counts["no_coordinates"] == 65 + 34
    assert tight.n_kept == 771 and intake.n_kept == 928
    assert intake.boundary_buffer_m == 200.0 and intake.other_force_rows == 0

    result = find_hotspots(intake, method="segment", network=city.car, top_n=8)
    assert_ranked(result)
    top = result.hotspots[0]
    assert top.n_records == 63
    assert top.label == f"On or near Liverpool Street ({os_grid_ref(top.x_m, top.y_m, 8)})"
    area = shapely.buffer(boundary, 300.0)
    assert all(shapely.contains_xy(area, h.x_m, h.y_m) for h in result.hotspots)
    # The grid finds the same place first.
    grid = find_hotspots(intake, method="grid", top_n=3)
    assert grid.hotspots[0].location_hint == top.location_hint
    assert np.hypot(grid.hotspots[0].x_m - top.x_m, grid.hotspots[0].y_m - top.y_m) < 150


# ----------------------------------------------------------------------------- names, by hand


def tiny_street_network() -> RoadNetwork:
    """A loop of four roads inside one 500 m grid cell (E486500 N308500) near Oakham.

    Bridge Street runs east along the south side, Mill Lane north up the east side, an unnamed
    road back west along the north side, and a motorway south down the west side.
    """
    nodes = {1: (0, 0), 2: (3, 0), 3: (3, 1.5), 4: (0, 1.5)}
    ways = [
        (100, [1, 2], {"highway": "residential", "name": "Bridge Street"}),
        (101, [2, 3], {"highway": "residential", "name": "Mill Lane"}),
        (102, [3, 4], {"highway": "unclassified"}),
        (103, [4, 1], {"highway": "motorway", "oneway": "no", "name": "Motorway Name"}),
    ]
    return build_network(make_ways(nodes, ways))  # type: ignore[arg-type]


def tiny_crimes(tmp_path: Path, rows: Sequence[tuple[float, float, str, str]]) -> Path:
    """A crime file of ``(i, j, crime type, location)`` rows, at grid points of ``make_ways``."""
    header = real_rows()[0]
    out = []
    for k, (i, j, crime_type, location) in enumerate(rows):
        out.append(
            (
                f"id{k}",
                "2022-08",
                "Leicestershire Police",
                "Leicestershire Police",
                f"{LON0 + i * STEP_DEG:.6f}",
                f"{LAT0 + j * STEP_DEG:.6f}",
                location,
                "E01025789",
                "Rutland 001A",
                crime_type,
                "Under investigation",
                "",
            )
        )
    return write_rows(tmp_path / "tiny.csv", out, header)


TINY_ROWS = [
    # Three anti-social behaviour records by Mill Lane (about 10 m off it).
    (2.85, 0.7, "Anti-social behaviour", "On or near Parking Area"),
    (2.85, 0.8, "Anti-social behaviour", "On or near Parking Area"),
    (2.85, 0.5, "Anti-social behaviour", "On or near Parking Area"),
    # A robbery by Bridge Street.
    (1.5, 0.1, "Robbery", "On or near Bridge Street"),
    # Beside the motorway, which names nothing: Bridge Street is the nearest other named road.
    (0.1, 0.6, "Anti-social behaviour", "On or near Petrol Station"),
]


def test_cell_named_after_its_most_harmful_street(tmp_path: Path) -> None:
    """Each record counts for its nearest named road in the cell; the most harm names the cell."""
    net = tiny_street_network()
    path = tiny_crimes(tmp_path, TINY_ROWS)
    ref = os_grid_ref(486_750, 308_750, 8)
    assert ref == "SK 8675 0875"
    flat = read_crimes(path, harm_weights=dict.fromkeys(CRIME_TYPES, 1.0))
    by_count = find_hotspots(flat, method="grid", cell_m=500, network=net.car, top_n=1)
    (cell,) = by_count.hotspots
    assert cell.unit_id == "E486500N308500" and cell.n_records == 5
    # Mill Lane 3 records, Bridge Street 2 (its robbery and the record by the motorway).
    assert cell.label == "On or near Mill Lane (SK 8675 0875)"
    assert cell.location_hint == "On or near Parking Area"

    # Harm, not counts: a robbery weighing 10 makes Bridge Street (10 + 1) outweigh Mill Lane (3).
    weighted = read_crimes(path, harm_weights={**dict.fromkeys(CRIME_TYPES, 1.0), "Robbery": 10.0})
    by_harm = find_hotspots(weighted, method="grid", cell_m=500, network=net.car, top_n=1)
    assert by_harm.hotspots[0].label == "On or near Bridge Street (SK 8675 0875)"

    # No network: the data.police.uk place; the hot spot CSV and its summary carry the name.
    hinted = find_hotspots(flat, method="grid", cell_m=500, top_n=1)
    assert hinted.hotspots[0].label == "On or near Parking Area (SK 8675 0875)"
    assert hinted.hotspot_rows()[0]["label"] == hinted.hotspots[0].label
    assert "On or near Parking Area (SK 8675 0875)" in hinted.summary()
    # A cell with no named road and no place: the grid reference alone.
    blank = tiny_crimes(tmp_path, [(1.5, 1.45, "Robbery", "On or near ")])
    unnamed = find_hotspots(read_crimes(blank), method="grid", cell_m=500, network=net.car, top_n=1)
    assert unnamed.hotspots[0].label == "On or near Mill Lane (SK 8675 0875)"
    alone = find_hotspots(read_crimes(blank), method="grid", cell_m=500, top_n=1)
    assert alone.hotspots[0].label == "SK 8675 0875"


def test_segment_named_after_its_road_or_the_place(tmp_path: Path) -> None:
    """A named segment gives its road; an unnamed one the data.police.uk place, else the grid ref."""
    net = tiny_street_network()
    rows = [*TINY_ROWS, (1.5, 1.45, "Robbery", "On or near Supermarket")]
    result = find_hotspots(
        read_crimes(tiny_crimes(tmp_path, rows)), method="segment", network=net.car, top_n=10
    )
    labels = {h.label.split(" (")[0]: h for h in result.hotspots}
    assert set(labels) == {
        "On or near Mill Lane",
        "On or near Bridge Street",
        "On or near Supermarket",
    }
    for h in result.hotspots:
        assert h.label.endswith(f" ({os_grid_ref(h.x_m, h.y_m, 8)})")
    assert labels["On or near Bridge Street"].n_records == 2

    blank = tiny_crimes(tmp_path, [(1.5, 1.45, "Robbery", "On or near ")])
    (h,) = find_hotspots(read_crimes(blank), method="segment", network=net.car, top_n=1).hotspots
    assert h.label == os_grid_ref(h.x_m, h.y_m, 8)


def test_hotspot_label_forms() -> None:
    """The three forms of a name, as data.police.uk writes places."""
    assert hotspot_label("Bridge Street", "On or near Shop", "TL 4502 5852") == (
        "On or near Bridge Street (TL 4502 5852)"
    )
    assert hotspot_label("", "On or near Shop", "TL 4502 5852") == "On or near Shop (TL 4502 5852)"
    assert hotspot_label("", "Shop", "TL 4502 5852") == "On or near Shop (TL 4502 5852)"
    assert hotspot_label(" ", "On or near ", "TL 4502 5852") == "TL 4502 5852"


# ----------------------------------------------------------------------------- bad input


@functools.cache
def real_rows() -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Header and the Rutland rows (with and without coordinates) of Leicestershire 2022-08."""
    with shared_file("leicestershire-street-2022-08.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = tuple(next(reader))
        rows = tuple(
            tuple(r) for r in reader if r[8].startswith("Rutland") or r[6] == "No Location"
        )
    return header, rows[:400]


def write_rows(
    path: Path,
    rows: Sequence[Sequence[str]],
    header: tuple[str, ...] | None = None,
    *,
    bom: bool = False,
) -> Path:
    """Write a crime CSV as data.police.uk does (CRLF line ends), optionally with a UTF-8 BOM."""
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(header or real_rows()[0])
        writer.writerows(rows)
    return path


def column(name: str) -> int:
    """Index of a published column."""
    return PUBLISHED_COLUMNS.index(name)


def test_bad_rows_each_counted_once(tmp_path: Path, rutland_area_m: shapely.Geometry) -> None:
    """Missing coordinates, garbage longitude, unknown type...: each row rejected for one reason."""
    _header, rows = real_rows()
    located = [
        list(r)
        for r in rows
        if r[column("Longitude")] and r[column("Crime type")] == "Violence and sexual offences"
    ]
    good = located[0]

    def variant(**changes: str) -> list[str]:
        row = list(good)
        for key, value in changes.items():
            row[column(key.replace("_", " "))] = value
        return row

    bad = [
        good,
        variant(Longitude="", Latitude="", Location="No Location"),
        variant(Longitude="abc"),
        variant(Latitude="52.6705e"),
        variant(Longitude="12.5"),  # in Germany
        variant(Crime_type="Cybercrime"),
        variant(Crime_type="Anti-social behaviour"),  # excluded below
        variant(Month="2022-13"),
        variant(Month="Aug 2022"),
        variant(Longitude="-1.1398", Latitude="52.6369"),  # Leicester, outside Rutland
        variant(Falls_within="Nottinghamshire Police"),  # another force, inside Rutland: kept
        [*good, "extra"],
    ]
    path = write_rows(tmp_path / "bad.csv", bad)
    wanted = [c for c in CRIME_TYPES if c != "Anti-social behaviour"]
    intake = read_crimes(
        path, boundary_m=rutland_area_m, crime_types=wanted, force_name="Leicestershire Police"
    )
    assert_accounted(intake)
    assert intake.rows_read == 12
    assert intake.n_kept == 2 and intake.records["row"].tolist() == [1, 11]
    assert intake.counts == {
        "malformed_row": 1,
        "bad_month": 2,
        "unknown_crime_type": 1,
        "excluded_crime_type": 1,
        "no_coordinates": 1,
        "bad_coordinates": 3,
        "outside_area": 1,
        "outside_coverage": 0,
        "excluded_place": 0,
    }
    by_row = {r.row: r for r in intake.rejects}
    assert by_row[2].reason == "no_coordinates" and by_row[2].detail == "No Location"
    assert by_row[3].reason == "bad_coordinates" and "'abc'" in by_row[3].detail
    assert by_row[6].reason == "unknown_crime_type" and by_row[6].crime_type == "Cybercrime"
    assert by_row[8].reason == "bad_month" and "2022-13" in by_row[8].detail
    assert by_row[12].reason == "malformed_row"
    assert all(r.file == str(path) for r in intake.rejects)
    assert intake.other_force_rows == 1 and intake.other_force_kept == 1
    rows_out = intake.reject_rows()
    assert [r["row"] for r in rows_out] == sorted(by_row)
    assert set(rows_out[0]) == set(REJECT_COLUMNS)


def test_other_force_file_against_rutland(rutland_area_m: shapely.Geometry) -> None:
    """Avon and Somerset crimes against Rutland: all outside (or unlocated), all another force."""
    intake = read_crimes(
        [shared_file("avon-somerset-street-2023-01.csv")],
        boundary_m=rutland_area_m,
        force_name="Leicestershire Police",
    )
    assert_accounted(intake)
    assert intake.rows_read == 12_566
    assert intake.n_kept == 0
    assert intake.counts["outside_area"] == 11_808 and intake.counts["no_coordinates"] == 758
    assert intake.other_force_rows == 12_566 and intake.other_force_kept == 0
    assert "another force" in intake.summary()
    result = find_hotspots(intake, method="grid", harm_share=0.5)
    assert result.hotspots == () and result.total_harm == 0.0
    assert "selected 0 hot spot" in result.summary()


def test_empty_header_only_and_wrong_header(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Empty file, wrong header: refused, naming the file; a header-only file gives zero rows."""
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty") as err:
        read_crimes([empty])
    assert err.value.path == empty

    header_only = write_rows(tmp_path / "2022-11-leicestershire-street.csv", [])
    with caplog.at_level("WARNING", logger="planner.demand.crimes"):
        intake = read_crimes([header_only])
    assert intake.rows_read == 0 and intake.n_kept == 0 and intake.rejects == ()
    assert intake.rows_by_file == {str(header_only): 0}
    assert "header only" in caplog.text
    assert "0 rows" in intake.summary()

    header, rows = real_rows()
    # An outcomes file: "Outcome type" instead of "Crime type".
    outcomes = write_rows(
        tmp_path / "outcomes.csv",
        rows[:3],
        tuple("Outcome type" if c == "Crime type" else c for c in header),
    )
    with pytest.raises(InputError, match=r"missing column\(s\) 'Crime type'") as err:
        read_crimes([outcomes])
    assert err.value.path == outcomes and "outcomes.csv" in str(err.value)

    # A file whose header was stripped (as the 2021-01 source files were).
    stripped = tmp_path / "stripped.csv"
    stripped.write_text("\r\n".join(",".join(r) for r in rows[:3]) + "\r\n")
    with pytest.raises(InputError, match="looks like data, not a header"):
        read_crimes([stripped])

    with pytest.raises(InputError, match="not found"):
        read_crimes([tmp_path / "missing.csv"])


def test_same_file_twice_is_refused(tmp_path: Path) -> None:
    """Giving one monthly file twice (even under another name) would double every crime: refused."""
    first = write_rows(tmp_path / "a.csv", real_rows()[1][:5])
    copy = tmp_path / "b.csv"
    copy.write_bytes(first.read_bytes())
    with pytest.raises(InputError, match="same content as"):
        read_crimes([first, copy])


_PERTURBATIONS = (
    "none",
    "blank",
    "garbage_lon",
    "unknown_type",
    "bad_month",
    "other_force",
    "far",
    "malformed",
)


@given(data=st.data())
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_every_row_accounted_for(data: st.DataObject, rutland_area_m: shapely.Geometry) -> None:
    """Random subsets of real rows, some perturbed, in two files: every row kept or given a reason.

    Perturbations whose check comes first (malformed row, bad month, unknown crime type) always
    get their own reason; another force's rows are counted whatever becomes of them.
    """
    _header, rows = real_rows()
    picks = data.draw(st.lists(st.integers(0, len(rows) - 1), min_size=0, max_size=40))
    ops = data.draw(
        st.lists(st.sampled_from(_PERTURBATIONS), min_size=len(picks), max_size=len(picks))
    )
    split = data.draw(st.integers(0, len(picks)))
    excluded = data.draw(st.sets(st.sampled_from(CRIME_TYPES), max_size=3))
    out: list[list[str]] = []
    for i, op in zip(picks, ops, strict=True):
        row = list(rows[i])
        if op == "blank":
            row[column("Longitude")] = row[column("Latitude")] = ""
        elif op == "garbage_lon":
            row[column("Longitude")] = "-0.7x"
        elif op == "unknown_type":
            row[column("Crime type")] = "Fraud"
        elif op == "bad_month":
            row[column("Month")] = "2022-8"
        elif op == "other_force":
            row[column("Falls within")] = "Lincolnshire Police"
        elif op == "far" and row[column("Longitude")]:
            row[column("Longitude")] = "-1.5"
        elif op == "malformed":
            row = row[:-1]
        out.append(row)
    with tempfile.TemporaryDirectory() as tmp:
        # The second file starts with a byte-order mark (as Excel writes): the files never have the
        # same content (which would be refused on purpose), and the BOM must not hide the header.
        files = [
            write_rows(Path(tmp) / "a.csv", out[:split]),
            write_rows(Path(tmp) / "b.csv", out[split:], bom=True),
        ]
        intake = read_crimes(
            files,
            boundary_m=rutland_area_m,
            crime_types=[c for c in CRIME_TYPES if c not in excluded],
            force_name="Leicestershire Police",
        )
        assert_accounted(intake)
        assert intake.rows_read == len(out)
        reasons = {(r.file, r.row): r.reason for r in intake.rejects}
        names = [str(f) for f in files]
        for k, op in enumerate(ops):
            key = (names[0], k + 1) if k < split else (names[1], k - split + 1)
            if op == "malformed":
                assert reasons[key] == "malformed_row"
            elif op == "bad_month":
                assert reasons[key] == "bad_month"
            elif op == "unknown_type":
                assert reasons[key] == "unknown_crime_type"
            elif (
                op == "garbage_lon"
                and out[k][column("Latitude")]
                and out[k][column("Crime type")] not in excluded
            ):
                assert reasons[key] == "bad_coordinates"
        assert intake.other_force_rows == ops.count("other_force")
        assert np.isfinite(intake.records[["x_m", "y_m", "harm"]].to_numpy()).all()


# ----------------------------------------------------------------------------- selection & options


def test_top_n_and_harm_share_select_correctly(rutland_intake: CrimeIntake) -> None:
    """top_n keeps N units; harm_share keeps the smallest ranked prefix reaching the share."""
    everything = find_hotspots(rutland_intake, method="grid", top_n=10_000)
    assert len(everything.hotspots) == everything.n_units
    assert sum(h.n_records for h in everything.hotspots) == rutland_intake.n_kept
    assert everything.covered_share == pytest.approx(1.0)
    harms = np.array([h.harm for h in everything.hotspots])
    for share in (0.1, 0.5, 0.9, 1.0):
        result = find_hotspots(rutland_intake, method="grid", harm_share=share)
        k = len(result.hotspots)
        assert [h.unit_id for h in result.hotspots] == [h.unit_id for h in everything.hotspots[:k]]
        assert result.covered_share >= share - 1e-9
        # No smaller set does: the k-1 largest units hold less than the share.
        assert harms[: k - 1].sum() / harms.sum() < share
    assert len(find_hotspots(rutland_intake, method="grid", top_n=3).hotspots) == 3


def test_ties_are_broken_deterministically(tmp_path: Path) -> None:
    """Equal harm: more records first, then the lower unit id, whatever the row order."""
    _, rows = real_rows()
    located = [r for r in rows if r[column("Longitude")]]
    by_type: dict[str, list[tuple[str, ...]]] = {}
    for r in located:
        by_type.setdefault(r[column("Crime type")], []).append(r)
    picks = by_type["Violence and sexual offences"][:6] + by_type["Public order"][:6]
    forward = read_crimes(write_rows(tmp_path / "f.csv", picks))
    backward = read_crimes(write_rows(tmp_path / "b.csv", picks[::-1]))
    a = find_hotspots(forward, method="grid", cell_m=100, top_n=50)
    b = find_hotspots(backward, method="grid", cell_m=100, top_n=50)
    assert [h.unit_id for h in a.hotspots] == [h.unit_id for h in b.hotspots]
    for h1, h2 in zip(a.hotspots, a.hotspots[1:], strict=False):
        if h1.harm == pytest.approx(h2.harm):
            assert (h1.n_records, h2.unit_id) >= (h2.n_records, h1.unit_id)


def test_option_errors(rutland: RoadNetwork, rutland_intake: CrimeIntake) -> None:
    """Both or neither selection option, bad values, no network: InputError naming the option."""
    with pytest.raises(InputError, match="exactly one of top_n or harm_share"):
        find_hotspots(rutland_intake, method="grid")
    with pytest.raises(InputError, match="exactly one of top_n or harm_share"):
        find_hotspots(rutland_intake, method="grid", top_n=5, harm_share=0.5)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(InputError, match="top_n"):
            find_hotspots(rutland_intake, method="grid", top_n=bad)  # type: ignore[arg-type]
    for share in (0.0, 1.5, -0.2):
        with pytest.raises(InputError, match="harm_share"):
            find_hotspots(rutland_intake, method="grid", harm_share=share)
    with pytest.raises(InputError, match="needs a network"):
        find_hotspots(rutland_intake, method="segment", top_n=3)
    with pytest.raises(InputError, match=r"network\.car or network\.foot"):
        find_hotspots(rutland_intake, method="segment", network=rutland, top_n=3)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown hot spot method"):
        find_hotspots(rutland_intake, method="kde", top_n=3)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="cell_m"):
        find_hotspots(rutland_intake, method="grid", cell_m=0, top_n=3)
    with pytest.raises(InputError, match="buffer_m"):
        read_crimes(leics_files()[:1], buffer_m=-5)


def test_tight_snap_distance_reports_records(
    rutland: RoadNetwork, rutland_intake: CrimeIntake
) -> None:
    """With a 5 m snap distance over a fifth of the records are too far: reported, never lost."""
    result = find_hotspots(
        rutland_intake, method="segment", network=rutland.car, max_snap_m=5.0, top_n=5
    )
    assert_ranked(result)
    assert len(result.unassigned) > rutland_intake.n_kept / 5
    assert result.counts[TOO_FAR_FROM_ROAD] == len(result.unassigned)
    assert len(result.reject_rows()) == sum(result.counts.values())


# ----------------------------------------------------------------------------- harm table


def test_harm_table_documented_and_configurable(rutland_intake: CrimeIntake) -> None:
    """Every category has a derived weight; overrides apply, unknown keys are refused."""
    header, rows = real_rows()
    assert tuple(header) == PUBLISHED_COLUMNS
    seen_types = {r[column("Crime type")] for r in rows}
    assert seen_types <= set(CRIME_TYPES) and len(CRIME_TYPES) == 14
    assert set(DEFAULT_HARM_WEIGHTS) == set(HARM_DERIVATION) == set(CRIME_TYPES)
    for category, parts in HARM_DERIVATION.items():
        blend = sum(p.share_pct * p.days for p in parts) / sum(p.share_pct for p in parts)
        assert DEFAULT_HARM_WEIGHTS[category] == pytest.approx(blend, abs=0.06)
        assert 95 <= sum(p.share_pct for p in parts) <= 100.5
    # The ordering the CCHI implies: robbery > violence > burglary > theft > ASB.
    w = DEFAULT_HARM_WEIGHTS
    assert (
        w["Robbery"]
        > w["Violence and sexual offences"]
        > w["Burglary"]
        > w["Shoplifting"]
        > w["Anti-social behaviour"]
        > 0
    )
    assert len(harm_derivation_rows()) == sum(len(p) for p in HARM_DERIVATION.values())

    with pytest.raises(
        InputError,
        match=r"valid data\.police\.uk categories are: Anti-social behaviour, Bicycle theft",
    ) as err:
        resolve_harm_weights({"Violence": 10.0})
    assert err.value.field == "harm_weights" and "'Violence'" in str(err.value)
    with pytest.raises(InputError, match="unknown crime type"):
        read_crimes(leics_files()[:1], harm_weights={"Fraud": 1.0})
    with pytest.raises(InputError, match=">= 0"):
        resolve_harm_weights({"Robbery": -1.0})
    with pytest.raises(InputError, match="unknown crime type"):
        read_crimes(leics_files()[:1], crime_types=["Violence"])

    # Counting instead of weighting: every type weighs 1, so harm is the record count.
    flat = read_crimes(leics_files(), boundary_m=None, harm_weights=dict.fromkeys(CRIME_TYPES, 1.0))
    assert flat.total_harm == flat.n_kept
    result = find_hotspots(flat, method="grid", cell_m=1_000, top_n=1)
    assert result.hotspots[0].harm == result.hotspots[0].n_records


def test_os_grid_reference() -> None:
    """Grid references of known places: Trafalgar Square TQ 300 804, Ben Nevis NN 166 712."""
    assert os_grid_ref(530_047, 180_422) == "TQ 300 804"
    assert os_grid_ref(216_666, 771_288) == "NN 166 712"
    assert os_grid_ref(OAKHAM_CENTRE_M[0], OAKHAM_CENTRE_M[1]).startswith("SK 8")
    assert os_grid_ref(530_047, 180_422, 10) == "TQ 30047 80422"
