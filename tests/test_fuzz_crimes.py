"""Property test: any crime file gives an intake with every row accounted for, or one planner error.

Random bytes, random text and data.police.uk-shaped files with hostile cells (missing and
repeated columns, ragged rows, bad months and coordinates, control characters, other
encodings) go through :func:`planner.demand.crimes.read_crimes`: it returns an intake in which
``rows_read == kept + rejected``, or raises a :class:`planner.errors.PlannerError` with a
one-line message; nothing else. Inputs are a few kilobytes, so the 2 s deadline is generous.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.common import to_bng
from planner.demand.crimes import PUBLISHED_COLUMNS, read_crimes
from planner.demand.harm import CRIME_TYPES
from planner.errors import PlannerError

FUZZ = settings(max_examples=100, deadline=2000)
# A 5 km square around Oakham, as the force area.
AREA_M = shapely.Point(*to_bng().transform(-0.73, 52.67)).buffer(5000, quad_segs=4)

CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            "2022-08",
            "2022-13",
            "Leicestershire Police",
            "-0.73",
            "52.67",
            "-0.7296",
            "52.6705",
            "486000",
            "nan",
            "inf",
            "On or near Market Place",
            "No Location",
            "Rutland 001A",
            "\x00",
            "a,b",
            'say "hi"',
            "line\nbreak",
        ]
    ),
    st.sampled_from(CRIME_TYPES),
    st.text(max_size=10),
)


def run(files: list[bytes], **kwargs: object) -> None:
    """Read ``files`` as crime CSVs; check the account of rows or the error's form."""
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for k, data in enumerate(files):
            path = Path(folder) / f"2022-{k + 1:02d}-leicestershire-street.csv"
            path.write_bytes(data)
            paths.append(path)
        try:
            intake = read_crimes(paths, **kwargs)  # type: ignore[arg-type]
        except PlannerError as exc:
            assert str(exc).strip() and "\n" not in str(exc), "one line"
            return
        assert intake.rows_read == intake.n_kept + sum(intake.counts.values())
        assert len(intake.rejects) == sum(intake.counts.values())


@FUZZ
@given(st.lists(st.binary(max_size=2000), min_size=1, max_size=2))
def test_any_bytes(files: list[bytes]) -> None:
    """Random bytes as crime files."""
    run(files)


@FUZZ
@given(st.text(max_size=2000))
def test_any_text(text: str) -> None:
    """Random text after a real header."""
    run([(",".join(PUBLISHED_COLUMNS) + "\r\n" + text).encode("utf-8", "ignore")])


def good_row() -> st.SearchStrategy[list[str]]:
    """A published-order row, mostly valid: a known type, a month, a place near Oakham."""
    return st.tuples(
        st.sampled_from(["2022-08", "2022-09", "2022-13", ""]),
        st.sampled_from(CRIME_TYPES),
        st.sampled_from([("-0.7296", "52.6705"), ("-0.60", "52.60"), ("", ""), ("-3.0", "51.5")]),
        st.sampled_from(["On or near Market Place", "No Location", "On or near \x00Café"]),
    ).map(
        lambda t: [
            "id",
            t[0],
            "Leicestershire Police",
            "Leicestershire Police",
            *t[2],
            t[3],
            "E01",
            "Rutland 001A",
            t[1],
            "",
            "",
        ]
    )


HEADERS = st.integers(0, 9).flatmap(
    lambda k: (
        st.lists(st.sampled_from(PUBLISHED_COLUMNS), min_size=5, max_size=14)
        if k == 0
        else st.just(list(PUBLISHED_COLUMNS))
    )
)
ROWS = st.integers(0, 9).flatmap(
    lambda k: st.lists(CELLS, min_size=10, max_size=13) if k == 0 else good_row()
)


@FUZZ
@given(
    header=HEADERS,
    rows=st.lists(ROWS, max_size=12),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    with_area=st.booleans(),
)
def test_built_files(
    header: list[str], rows: list[list[str]], encoding: str, with_area: bool
) -> None:
    """data.police.uk-shaped files: odd headers now and then, ragged rows, hostile cells."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([header, *rows])
    run(
        [buf.getvalue().encode(encoding, "replace")],
        boundary_m=AREA_M if with_area else None,
        force_name="Leicestershire Police",
    )
