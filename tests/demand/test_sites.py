"""Reading site locations (planner.demand.sites)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from planner.demand.sites import MAX_SITE_FILE_BYTES, MAX_SITE_ROWS, read_site_points
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


@pytest.mark.parametrize("digits", ["٥٢.٦", "５２.６", "52.6\u0663", "5_2.6"])
def test_numbers_only_in_ascii_digits(tmp_path: Path, digits: str) -> None:
    """Arabic-Indic, full-width and other scripts' digits (which float() takes) are refused."""
    path = write(tmp_path, "digits.csv", f"site_id,lon,lat\na,-0.7,{digits}\n")
    with pytest.raises(InputError, match=r"row 1, field 'lat'.*not a number"):
        read_site_points(path)
    from planner.demand.weekly import parse_override

    assert parse_override("visits_per_week", "3") == 3
    for cell in ("٣", "３", "1_0"):
        with pytest.raises(ValueError, match="not a number"):
            parse_override("visits_per_week", cell)


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


HEADER = "site_id,name,kind,risk,lon,lat,windows,notes\n"
ROW = "a,Mosque,place_of_worship,high,-0.73,52.67,Fri 12:30-14:00,Friday prayers\n"


def test_encodings(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """UTF-8 with or without BOM is read; Windows-1252 is read with a warning; UTF-16 refused."""
    text = HEADER + ROW.replace("Mosque", "Mosquée")
    for name, data in [("plain.csv", text.encode()), ("bom.csv", text.encode("utf-8-sig"))]:
        path = tmp_path / name
        path.write_bytes(data)
        assert read_site_points(path).attributes[0]["name"] == "Mosquée"
    excel = tmp_path / "excel.csv"
    excel.write_bytes(text.encode("cp1252"))
    with caplog.at_level("WARNING", logger="planner.common"):
        assert read_site_points(excel).attributes[0]["name"] == "Mosquée"
    assert "excel.csv" in caplog.text and "Windows-1252" in caplog.text
    for encoding, shown in [
        ("utf-16", "UTF-16-LE"),
        ("utf-16-be", "UTF-16-BE"),
        ("utf-32", "UTF-32"),
    ]:
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        with pytest.raises(InputError, match=f"is {shown}.*iconv -f UTF-"):
            read_site_points(path)
    workbook = tmp_path / "workbook.csv"
    workbook.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(InputError, match="ZIP archive.*CSV UTF-8"):
        read_site_points(workbook)
    with pytest.raises(
        InputError, match=r"is a folder; give the site file inside it, e\.g\..*bom\.csv"
    ):
        read_site_points(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            HEADER.replace(",notes", ",windows2")
            + "a,M,place_of_worship,high,-0.73,52.67,Fri 12:30-14:00, Daily 17:30-19:30,x\n",
            r"row 1: 9 fields but the header has 8 columns \(spreadsheet row 2\).*double "
            r"quotes.*';'.*'x'",
        ),
        (
            HEADER + ROW + "b,Church,place_of_worship,low,-0.73,52.67\n",
            r"row 2: 6 fields but the header has 8 columns.*spreadsheet row 3",
        ),
        ("", "empty"),
        ("\n \n", "empty"),
        (HEADER, "header but no site rows"),
        ("site_id,lon,lat,lon\n", r"'lon' appears twice.*columns B and D"),
        ("site_id;lon;lat\na;-0.7;52.6\n", "separated by ';'"),
        ("name,lon,lat\nx,-0.7,52.6\n", "no 'site_id' column"),
        ("site_id,lon,lat,\na,-0.73,52.67,x\n", "column D, which has no name"),
        ('site_id,name,lon,lat\na,"Mosque,-0.73,52.67\n', "cannot read as CSV.*double quotes"),
    ],
)
def test_csv_shape(tmp_path: Path, text: str, message: str) -> None:
    """Rows wider or narrower than the header and broken headers: one clear line each."""
    path = write(tmp_path, "sites.csv", text)
    with pytest.raises(InputError, match=message) as info:
        read_site_points(path)
    assert str(path) in str(info.value)


def test_blank_rows_are_skipped(tmp_path: Path) -> None:
    """Blank lines and rows of empty cells (spreadsheets export these) are not sites."""
    path = write(tmp_path, "sites.csv", HEADER + "\n" + ROW + ",,,,,,,\n")
    assert read_site_points(path).site_id == ("a",)


def test_control_characters(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """An id with a NUL is refused; names and notes lose control characters, with a warning."""
    path = write(tmp_path, "nul.csv", HEADER + ROW.replace("a,", "a\x00b,", 1))
    with pytest.raises(InputError, match=r"row 1, field 'site_id'.*U\+0000"):
        read_site_points(path)
    path = write(tmp_path, "zw.csv", HEADER + ROW.replace("a,", "a\u200bb,", 1))
    with pytest.raises(InputError, match=r"U\+200B"):
        read_site_points(path)
    text = HEADER + ROW.replace("Mosque", "Mos\x00que\x07 \u0645\u0633\u062c\u062f").replace(
        "Friday prayers", '"Friday\tprayers\r\nand after"'
    )
    path = tmp_path / "ctl.csv"
    path.write_bytes(text.encode())
    with caplog.at_level("WARNING", logger="planner.demand.sites"):
        attrs = read_site_points(path).attributes[0]
    assert attrs["name"] == "Mosque \u0645\u0633\u062c\u062f"  # Unicode kept
    assert attrs["notes"] == "Friday prayers  and after"
    assert "ctl.csv, row 1: removed control characters from name" in caplog.text


def test_too_many_rows_fails_fast(tmp_path: Path) -> None:
    """A 100,000-row file is refused by the row limit (not by running out of memory)."""
    path = tmp_path / "big.csv"
    path.write_text("site_id,lon,lat\n" + "".join(f"s{i},-0.73,52.67\n" for i in range(100_000)))
    with pytest.raises(InputError, match=f"more than {MAX_SITE_ROWS:,} site rows"):
        read_site_points(path)
    big = tmp_path / "huge.csv"
    with big.open("wb") as fh:
        fh.truncate(MAX_SITE_FILE_BYTES + 1)
    with pytest.raises(InputError, match="the largest supported is"):
        read_site_points(big)


@pytest.mark.parametrize(
    ("columns", "values", "message"),
    [
        ("lon,lat", "52.67,-0.73", r"field 'lon'.*look swapped"),
        ("lon,lat", "-0.73,nan", r"field 'lat'.*'nan' is not a number"),
        ("lon,lat", "-0.73,inf", r"field 'lat'.*'inf' is not finite"),
        ("lon,lat", "-0.73,1e999", r"field 'lat'.*not finite"),
        ("lon,lat", "-0.73,52_67", r"field 'lat'.*not a number"),
        ("lon,lat", '"-0,73",52.67', r"decimal separator"),
        ("lon,lat", "-12.5,52.67", r"not in Great Britain \(lon -9 to 2.5"),
        ("lon,lat", "-0.73,", r"field 'lat'.*lat is empty but lon is given"),
        ("easting,northing", "1000000,400000", r"field 'easting'.*look swapped"),
        ("easting,northing", "-5,308000", r"outside the British National Grid"),
        ("easting,northing", "486000,", r"northing is empty"),
        ("lon,lat,easting,northing", "-0.73,52.67,400000,308000", r"km apart|m apart"),
    ],
)
def test_coordinates_checked(tmp_path: Path, columns: str, values: str, message: str) -> None:
    """Every coordinate is a finite number in Great Britain or on the grid, with a hint."""
    path = write(tmp_path, "c.csv", f"site_id,{columns}\na,{values}\n")
    with pytest.raises(InputError, match=message) as info:
        read_site_points(path)
    assert "row 1" in str(info.value)


def test_both_pairs_agreeing(tmp_path: Path) -> None:
    """A row giving lon/lat and easting/northing for the same place uses the grid reference."""
    path = write(
        tmp_path, "c.csv", "site_id,lon,lat,easting,northing\na,-0.7296,52.6705,486010,308850\n"
    )
    sites = read_site_points(path)
    assert (sites.x_m[0], sites.y_m[0]) == (486010, 308850)


def test_geojson_checks(tmp_path: Path) -> None:
    """GeoJSON: too many features, swapped coordinates and broken files are clear errors."""

    def fc(coords: list[list[float]]) -> str:
        features = [
            {
                "type": "Feature",
                "properties": {"site_id": f"s{i}"},
                "geometry": {"type": "Point", "coordinates": c},
            }
            for i, c in enumerate(coords)
        ]
        return json.dumps({"type": "FeatureCollection", "features": features})

    with pytest.raises(InputError, match=r"row 2, field 'geometry'.*look swapped"):
        read_site_points(write(tmp_path, "swap.geojson", fc([[-0.7, 52.6], [52.6, -0.7]])))
    with pytest.raises(InputError, match="cannot read as GeoJSON"):
        read_site_points(write(tmp_path, "broken.geojson", "{not json"))
    with pytest.raises(InputError, match="is UTF-16"):
        path = tmp_path / "u16.geojson"
        path.write_bytes(fc([[-0.7, 52.6]]).encode("utf-16"))
        read_site_points(path)
    many = write(tmp_path, "many.geojson", fc([[-0.7, 52.6]] * (MAX_SITE_ROWS + 1)))
    with pytest.raises(InputError, match=f"{MAX_SITE_ROWS + 1:,} features"):
        read_site_points(many)
