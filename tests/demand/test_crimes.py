"""Hardened crime intake (planner.demand.crimes): encodings, folders, headers, sizes."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely

from planner.common import to_bng, to_wgs84
from planner.demand.crimes import MAX_CRIME_FILE_BYTES, PUBLISHED_COLUMNS, read_crimes
from planner.errors import InputError

HEADER = ",".join(PUBLISHED_COLUMNS) + "\r\n"
ROW = (
    "abc,2022-08,Leicestershire Police,Leicestershire Police,-0.7296,52.6705,"
    "On or near Café Street,E01025789,Rutland 001A,Burglary,Under investigation,\r\n"
)


def crime_file(tmp_path: Path, name: str, data: bytes) -> Path:
    """Write a small crime file."""
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_windows_1252_is_read_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A crime CSV re-saved by Excel on Windows is read, and the warning names the file."""
    path = crime_file(tmp_path, "excel.csv", (HEADER + ROW).encode("cp1252"))
    with caplog.at_level("WARNING", logger="planner.common"):
        intake = read_crimes([path])
    assert intake.records["location"].tolist() == ["On or near Café Street"]
    assert "excel.csv" in caplog.text and "Windows-1252" in caplog.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ((HEADER + ROW).encode("utf-16"), r"is UTF-16-LE text.*iconv -f UTF-16 -t UTF-8"),
        ((HEADER + ROW).encode("utf-16-le"), r"is UTF-16-LE text.*iconv -f UTF-16LE"),
        ((HEADER + ROW).encode("utf-32"), r"is UTF-32-LE text"),
        (b"PK\x03\x04" + bytes(200), r"ZIP archive"),
        (bytes(300), r"binary file"),
        ((HEADER.replace("Context", "Month") + ROW).encode(), r"'Month' appear more than once"),
    ],
)
def test_unreadable_files(tmp_path: Path, data: bytes, message: str) -> None:
    """Other encodings, binary files and repeated columns: one line naming the file."""
    path = crime_file(tmp_path, "bad.csv", data)
    with pytest.raises(InputError, match=message) as info:
        read_crimes([path])
    assert info.value.path == path


def test_folder_and_size(tmp_path: Path) -> None:
    """A folder names a file inside it; a file over the limit fails before it is read."""
    crime_file(tmp_path, "2022-08-leicestershire-street.csv", (HEADER + ROW).encode())
    with pytest.raises(InputError, match=r"is a folder.*2022-08-leicestershire-street\.csv"):
        read_crimes([tmp_path])
    big = tmp_path / "big.csv"
    with big.open("wb") as fh:
        fh.truncate(MAX_CRIME_FILE_BYTES + 1)
    with pytest.raises(InputError, match="the largest supported is 200.0 MB"):
        read_crimes([big])


def test_control_characters_leave_labels(tmp_path: Path) -> None:
    """A NUL or other control character in a location does not reach hot spot labels."""
    row = ROW.replace("Café Street", "Caf\x00é\x1b Street")
    intake = read_crimes([crime_file(tmp_path, "c.csv", (HEADER + row).encode())])
    assert intake.records["location"].tolist() == ["On or near Café Street"]


# ----------------------------------------------------------------------------- area and coverage

OAKHAM_M = tuple(float(v) for v in to_bng().transform(-0.7296, 52.6705))


def row_at(dx_m: float, dy_m: float) -> str:
    """:data:`ROW` moved ``dx_m`` east and ``dy_m`` north of Oakham's market place."""
    lon, lat = to_wgs84().transform(OAKHAM_M[0] + dx_m, OAKHAM_M[1] + dy_m)
    return ROW.replace("-0.7296,52.6705", f"{lon:.6f},{lat:.6f}")


def square_m(half_m: float, dx_m: float = 0.0) -> shapely.Geometry:
    """A square of side ``2 * half_m`` around Oakham (moved ``dx_m`` east), EPSG:27700."""
    x, y = OAKHAM_M[0] + dx_m, OAKHAM_M[1]
    return shapely.box(x - half_m, y - half_m, x + half_m, y + half_m)


#: Force area 4 km square, network coverage 1 km square, both around Oakham.
FORCE_M = square_m(2_000)
COVERAGE_M = square_m(500)


def test_force_area_and_network_coverage_are_separate_reasons(tmp_path: Path) -> None:
    """Outside the force area and outside the network's coverage are told apart, and counted."""
    rows = [
        row_at(0, 0),  # in both: kept
        row_at(1_200, 0),  # in the force area, off the network
        row_at(0, -1_200),  # in the force area, off the network
        row_at(5_000, 0),  # outside the force area
        ROW.replace("-0.7296,52.6705", ","),  # no coordinates
    ]
    path = crime_file(tmp_path, "c.csv", (HEADER + "".join(rows)).encode())
    intake = read_crimes([path], boundary_m=FORCE_M, coverage_m=COVERAGE_M)
    assert intake.n_kept == 1
    assert {k: v for k, v in intake.counts.items() if v} == {
        "no_coordinates": 1,
        "outside_area": 1,
        "outside_coverage": 2,
    }
    why = {r["row"]: (r["reason"], r["explanation"]) for r in intake.reject_rows()}
    assert why[2] == (
        "outside_coverage",
        "outside the road network's coverage (inside the force area)",
    )
    assert why[4] == ("outside_area", "outside the force area (plus buffer)")
    # One of the three records inside the force area is inside the coverage.
    assert intake.coverage_share == pytest.approx(1 / 3)
    summary = intake.summary()
    assert "rejected 2: outside_coverage (outside the road network's coverage" in summary
    assert "33.3% of the records inside the force area are inside the road network" in summary

    # The buffer grows the coverage as it grows the force area.
    wide = read_crimes([path], boundary_m=FORCE_M, coverage_m=COVERAGE_M, buffer_m=800)
    assert wide.n_kept == 3 and wide.coverage_share == 1.0
    assert wide.counts["outside_coverage"] == 0 and wide.counts["outside_area"] == 1
    # No coverage: nothing is judged against it, and there is no share to report.
    whole = read_crimes([path], boundary_m=FORCE_M)
    assert whole.n_kept == 3 and whole.coverage_share is None
    assert "road network's coverage" not in whole.summary()
    # Coverage alone (no force area): rows off the network are still "outside_coverage".
    alone = read_crimes([path], coverage_m=COVERAGE_M)
    assert alone.counts["outside_coverage"] == 3 and alone.counts["outside_area"] == 0
    assert alone.coverage_share == pytest.approx(1 / 4)


def test_no_crime_on_the_network_is_explained(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """All the force's records off the network: the warning points at the network, not the force."""
    path = crime_file(tmp_path, "c.csv", (HEADER + row_at(1_200, 0) + row_at(9_000, 0)).encode())
    with caplog.at_level("WARNING", logger="planner.demand.crimes"):
        intake = read_crimes([path], boundary_m=FORCE_M, coverage_m=COVERAGE_M)
    assert intake.n_kept == 0 and intake.coverage_share == 0.0
    assert "no crime inside the road network's coverage" in caplog.text
    with pytest.raises(InputError, match="road network coverage"):
        read_crimes([path], coverage_m=shapely.box(-0.8, 52.6, -0.7, 52.7))


def test_partial_network_is_warned_with_the_share_of_crime(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """prepare_week warns when the network covers part of the force area, with the crime share."""
    from planner.planning.pipeline import _warn_partial_coverage

    rows = [row_at(0, 0), row_at(100, 0), row_at(1_200, 0), row_at(0, 1_500)]
    path = crime_file(tmp_path, "c.csv", (HEADER + "".join(rows)).encode())
    intake = read_crimes([path], boundary_m=FORCE_M, coverage_m=COVERAGE_M)
    with caplog.at_level("WARNING", logger="planner.planning.pipeline"):
        _warn_partial_coverage(FORCE_M, COVERAGE_M, intake)
    # The coverage is 1 of the force area's 16 km2; it holds 2 of its 4 records.
    assert "covers only 6% of the force area, holding 50.0% of the force's crimes" in caplog.text
    assert "2 record(s) inside the force area are outside" in caplog.text

    caplog.clear()
    everywhere = square_m(2_000, dx_m=5)  # the hull of a whole-force network: not quite it
    whole = read_crimes([path], boundary_m=FORCE_M, coverage_m=everywhere)
    with caplog.at_level("WARNING", logger="planner.planning.pipeline"):
        _warn_partial_coverage(FORCE_M, everywhere, whole)
        _warn_partial_coverage(None, COVERAGE_M, intake)
    assert caplog.text == ""
