"""Hardened crime intake (planner.demand.crimes): encodings, folders, headers, sizes."""

from __future__ import annotations

from pathlib import Path

import pytest

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
