"""Reading site locations (planner.demand.sites)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from planner.demand.sites import read_site_points
from planner.errors import InputError


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write a small input file."""
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_lonlat_and_bng(tmp_path: Path) -> None:
    """Lon/lat and easting/northing rows both end up in BNG metres; postcode-only is unlocated."""
    path = write(
        tmp_path,
        "sites.csv",
        "site_id,name,lon,lat,easting,northing,postcode\n"
        "castle,Oakham Castle,-0.7296,52.6705,,,\n"
        "office,Constituency office,,,486000,308000,\n"
        "surgery,Surgery,,,,,LE15 6AB\n",
    )
    sites = read_site_points(path)
    assert sites.site_id == ("castle", "office", "surgery")
    assert sites.x_m[0] == pytest.approx(486_000, abs=200) and sites.y_m[0] == pytest.approx(
        308_840, abs=200
    )
    assert (sites.x_m[1], sites.y_m[1]) == (486000, 308000)
    assert sites.unlocated == ("surgery",)
    assert sites.attributes[0]["name"] == "Oakham Castle"


def test_bad_number_names_row_and_field(tmp_path: Path) -> None:
    """A non-numeric latitude names the file, the row and the field."""
    path = write(tmp_path, "bad.csv", "site_id,lon,lat\na,-0.7,52.6\nb,-0.7,fifty-two\n")
    with pytest.raises(InputError, match=r"bad\.csv, row 2, field 'lat'.*not a number"):
        read_site_points(path)


def test_duplicate_and_empty_ids(tmp_path: Path) -> None:
    """Ids must be present and unique; the message gives both rows."""
    path = write(tmp_path, "dupe.csv", "site_id,lon,lat\na,-0.7,52.6\na,-0.71,52.61\n")
    with pytest.raises(InputError, match="row 2.*repeats row 1"):
        read_site_points(path)
    path = write(tmp_path, "empty.csv", "site_id,lon,lat\n,-0.7,52.6\n")
    with pytest.raises(InputError, match="row 1.*empty site_id"):
        read_site_points(path)


def test_coordinates_in_wrong_crs(tmp_path: Path) -> None:
    """Lon/lat written in the easting/northing columns (or the reverse) is caught."""
    path = write(tmp_path, "swap.csv", "site_id,easting,northing\na,-0.7296,52.6705\n")
    with pytest.raises(InputError, match="row 1.*EPSG:4326"):
        read_site_points(path)
    path = write(tmp_path, "swap2.csv", "site_id,lon,lat\na,486000,308000\n")
    with pytest.raises(InputError, match="row 1.*EPSG:27700"):
        read_site_points(path)


def test_missing_columns_and_file(tmp_path: Path) -> None:
    """No id column, no coordinate columns, or no file: each says what is needed."""
    with pytest.raises(InputError, match="site_id"):
        read_site_points(write(tmp_path, "a.csv", "id,lon,lat\n1,0,0\n"))
    with pytest.raises(InputError, match="easting and northing"):
        read_site_points(write(tmp_path, "b.csv", "site_id,x,y\n1,0,0\n"))
    with pytest.raises(InputError, match="not found"):
        read_site_points(tmp_path / "nope.csv")


def test_geojson(tmp_path: Path) -> None:
    """GeoJSON points are read in WGS84 and converted; a null geometry is unlocated."""
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"site_id": "a", "kind": "worship"},
                "geometry": {"type": "Point", "coordinates": [-0.7296, 52.6705]},
            },
            {"type": "Feature", "properties": {"site_id": "b", "kind": "office"}, "geometry": None},
        ],
    }
    path = write(tmp_path, "sites.geojson", json.dumps(fc))
    sites = read_site_points(path)
    assert sites.site_id == ("a", "b")
    assert np.isfinite(sites.x_m[0]) and sites.unlocated == ("b",)
    assert sites.attributes[0]["kind"] == "worship"
