"""Property test: any site file gives sites (and rejects) or one planner error.

Random bytes, random text, and CSV files built from plausible and hostile cells (commas,
quotes, line breaks, control characters, NaN, swapped coordinates, typo'd booleans, huge
overrides) go through :func:`planner.demand.sites.read_site_points`,
:func:`planner.demand.weekly.sites_from_points` and :func:`planner.demand.weekly.build_demand`:
each returns, or raises a :class:`planner.errors.PlannerError` with a one-line message; nothing
else. Inputs are a few kilobytes, so the 2 s deadline is generous even on a loaded machine.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from planner.config import ForceConfig, load_config
from planner.demand.sites import read_site_points
from planner.demand.weekly import build_demand, sites_from_points
from planner.errors import PlannerError

RUTLAND = Path(__file__).resolve().parents[1] / "data" / "rutland" / "force.toml"
FUZZ = settings(max_examples=100, deadline=2000)

COLUMNS = [
    "site_id",
    "name",
    "kind",
    "risk",
    "lon",
    "lat",
    "easting",
    "northing",
    "postcode",
    "windows",
    "visits_per_week",
    "dwell_min",
    "min_gap_h",
    "required",
    "priority",
    "restricted",
    "notes",
    "",
]
CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            "a",
            "b",
            "mp_office",
            "mp_surgery",
            "protest",
            "place_of_worship",
            "high",
            "-0.73",
            "52.67",
            "486000",
            "308000",
            "52.67,-0.73",
            "nan",
            "inf",
            "-1e400",
            "1e9",
            "0",
            "2",
            "2.5",
            "true",
            "ture",
            "Yes",
            "Fri 12:30-14:00, Daily 17:30-19:30",
            "Mon-Fri 09:00-17:00; Sun 22:00-02:00",
            "2022-10-28 18:00-20:00",
            "Someday 25:00-26:00",
            'say "hi"',
            "line\nbreak",
            "\x00",
            "\u200b",
            "Mosquée \u0645\u0633\u062c\u062f",
        ]
    ),
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@functools.cache
def config() -> ForceConfig:
    """The Rutland configuration (read once)."""
    return load_config(RUTLAND)


def run(name: str, data: bytes) -> None:
    """Read ``data`` as the site file ``name`` and build the week's demand from it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            points = read_site_points(path)
            sites, rejects = sites_from_points(points, config().week.days)
            build_demand(config(), sites, rejects=rejects)
        except PlannerError as exc:
            assert str(exc).strip() and "\n" not in str(exc), "one line"


@FUZZ
@given(st.binary(max_size=3000))
def test_any_bytes(data: bytes) -> None:
    """Random bytes as a CSV."""
    run("sites.csv", data)


@FUZZ
@given(st.text(max_size=3000))
def test_any_text(text: str) -> None:
    """Random text as a CSV."""
    run("sites.csv", text.encode("utf-8", "ignore"))


@FUZZ
@given(
    header=st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=10),
    rows=st.lists(st.lists(CELLS, max_size=11), max_size=8),
    quoting=st.sampled_from(["minimal", "all", "none"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_built_csv(
    header: list[str], rows: list[list[str]], quoting: str, encoding: str, line_end: str
) -> None:
    """CSV files from plausible and hostile cells, ragged rows, several encodings."""
    records = [header, *rows]
    if quoting == "none":  # as typed by hand: commas, quotes and line breaks left bare
        text = "".join(",".join(r) + line_end for r in records)
    else:
        buf = io.StringIO()
        mode = csv.QUOTE_ALL if quoting == "all" else csv.QUOTE_MINIMAL
        csv.writer(buf, quoting=mode, lineterminator=line_end).writerows(records)
        text = buf.getvalue()
    run("sites.csv", text.encode(encoding, "replace"))


@settings(max_examples=40, deadline=2000)
@given(
    props=st.lists(
        st.dictionaries(st.sampled_from(COLUMNS[:17]), CELLS | st.integers() | st.booleans()),
        max_size=4,
    ),
    coords=st.lists(
        st.one_of(
            st.none(),
            st.tuples(st.floats(-10, 10), st.floats(45, 65)),
            st.tuples(st.floats(-1e7, 1e7), st.floats(-1e7, 1e7)),
        ),
        min_size=4,
        max_size=4,
    ),
)
def test_built_geojson(props: list[dict[str, object]], coords: list[object]) -> None:
    """GeoJSON with any properties (numbers, booleans, text) and any point coordinates."""
    features = [
        {
            "type": "Feature",
            "properties": p,
            "geometry": None if c is None else {"type": "Point", "coordinates": list(c)},  # type: ignore[call-overload]
        }
        for p, c in zip(props, coords, strict=False)
    ]
    data = json.dumps({"type": "FeatureCollection", "features": features})
    run("sites.geojson", data.encode())


def mostly(good: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``good`` nine times in ten, else any hostile cell."""
    return st.integers(0, 9).flatmap(lambda k: CELLS if k == 0 else good)


FULL_ROW = st.tuples(
    mostly(st.sampled_from(["", "Mosque", "MP office, High St"])),  # name
    mostly(st.sampled_from(["mp_office", "mp_surgery", "mp_home", "protest", "temple"])),
    mostly(st.sampled_from(["", "low", "high", "severe"])),  # risk
    st.integers(0, 9).flatmap(  # lon, lat, easting, northing
        lambda k: (
            st.tuples(CELLS, CELLS, CELLS, CELLS)
            if k == 0
            else st.sampled_from([("-0.73", "52.67", "", ""), ("", "", "486000", "308000")])
        )
    ),
    mostly(st.sampled_from(["", "LE15 6XX"])),  # postcode
    mostly(
        st.sampled_from(["", "Mon-Fri 09:00-17:00", "2022-10-28 18:00-20:00", "Sun 23:00-00:30"])
    ),
    mostly(st.sampled_from(["", "0", "1", "3", "100"])),  # visits_per_week
    mostly(st.sampled_from(["", "5", "15", "240"])),  # dwell_min
    mostly(st.sampled_from(["", "0", "0.5", "168"])),  # min_gap_h
    mostly(st.sampled_from(["", "true", "No", "1"])),  # required
    mostly(st.sampled_from(["", "0.1", "5", "100"])),  # priority
    mostly(st.sampled_from(["", "yes", "FALSE"])),  # restricted
    mostly(st.sampled_from(["", "Check the shutters", "Notes\nover lines"])),
)


@FUZZ
@given(rows=st.lists(FULL_ROW, min_size=1, max_size=6))
def test_rows_under_a_full_header(rows: list[tuple[object, ...]]) -> None:
    """Rows as wide as a full header, mostly valid, so every column's parsing is reached."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([c for c in COLUMNS if c])
    for k, (name, kind, risk, coords, *rest) in enumerate(rows):
        writer.writerow([f"s{k}", name, kind, risk, *coords, *rest])  # type: ignore[misc]
    run("sites.csv", buf.getvalue().encode())
