"""Reading GPS tracks: GPX and CSV, time zones, and the points rejected or refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from planner.errors import InputError
from planner.evaluate.matching import plan_window
from planner.evaluate.tracks import parse_timestamp, read_tracks
from tests.evaluate import helpers as h
from tests.evaluate.helpers import NORTH, Leg, at, route, stop

LONDON_TZ = h.LONDON


@pytest.fixture()
def week_plan() -> h.Plan:
    """One early shift of NB-CAR-1 on Tue 1 Dec 2026 with one stop at HS-N."""
    return h.plan(
        [
            route(
                "NB-CAR-1",
                "2026-12-01 07:00",
                "2026-12-01 15:00",
                [stop(1, NORTH, "2026-12-01 09:00")],
            )
        ]
    )


def _read(plan: h.Plan, *paths: Path, tz: dt.tzinfo | None = None):  # type: ignore[no-untyped-def]
    start, end = plan_window(plan)
    return read_tracks(
        list(paths), units={r.unit_id for r in plan.routes}, start=start, end=end, tz=tz
    )


def _station_points(t0: str, t1: str) -> list[tuple[float, float, float]]:
    s = h.station_xy()
    return h.sample([Leg(at(t0), at(t1), s, s)], step_s=30)


def test_csv_and_gpx_read_alike(tmp_path: Path, week_plan: h.Plan) -> None:
    """The same points as CSV and as GPX give the same track."""
    pts = _station_points("2026-12-01 07:00", "2026-12-01 08:00")
    a = _read(week_plan, h.write_csv(tmp_path / "t.csv", "NB-CAR-1", pts))
    b = _read(week_plan, h.write_gpx(tmp_path / "t.gpx", "NB-CAR-1", pts))
    ta, tb = a.units["NB-CAR-1"], b.units["NB-CAR-1"]
    assert len(ta) == len(tb) == len(pts)
    assert (ta.t_s == tb.t_s).all()
    assert abs(ta.x_m - tb.x_m).max() < 0.1


def test_gpx_unit_from_file_stem(tmp_path: Path, week_plan: h.Plan) -> None:
    """A <trk> without a <name> belongs to the unit named by the file."""
    pts = _station_points("2026-12-01 07:00", "2026-12-01 07:10")
    tracks = _read(week_plan, h.write_gpx(tmp_path / "NB-CAR-1.gpx", None, pts))
    assert len(tracks.units["NB-CAR-1"]) == len(pts)


def test_offsets_of_any_zone_are_converted(tmp_path: Path, week_plan: h.Plan) -> None:
    """+05:30 and Z name the same instant: both read as one UTC time."""
    assert parse_timestamp("2026-12-01T14:30:00+05:30", None) == dt.datetime(
        2026, 12, 1, 9, 0, tzinfo=dt.UTC
    )
    assert parse_timestamp("2026-12-01 09:00:00Z", None) == dt.datetime(
        2026, 12, 1, 9, 0, tzinfo=dt.UTC
    )


def test_naive_timestamps_are_an_error_naming_file_row_field(
    tmp_path: Path, week_plan: h.Plan
) -> None:
    """Local times without an offset stop the command, naming the file, row, field and --tz."""
    pts = _station_points("2026-12-01 07:00", "2026-12-01 07:10")
    path = h.write_csv(tmp_path / "avl.csv", "NB-CAR-1", pts, time_format="naive")
    with pytest.raises(InputError) as err:
        _read(week_plan, path)
    assert err.value.path == path and err.value.row == 1 and err.value.field == "timestamp"
    assert "--tz Europe/London" in str(err.value)


def test_naive_timestamps_with_tz_read_as_local(tmp_path: Path, week_plan: h.Plan) -> None:
    """With a zone given, naive times are its wall-clock times (GMT in December)."""
    pts = _station_points("2026-12-01 07:00", "2026-12-01 07:10")
    path = h.write_csv(tmp_path / "avl.csv", "NB-CAR-1", pts, time_format="naive")
    tracks = _read(week_plan, path, tz=LONDON_TZ)
    assert tracks.units["NB-CAR-1"].t_s[0] == at("2026-12-01 07:00").timestamp()


def test_unknown_unit_is_rejected_not_fatal(tmp_path: Path, week_plan: h.Plan) -> None:
    """Points of a unit the plan does not know are reported; the known unit's are kept."""
    pts = _station_points("2026-12-01 07:00", "2026-12-01 07:10")
    a = h.write_csv(tmp_path / "a.csv", "NB-CAR-1", pts)
    b = h.write_csv(tmp_path / "b.csv", "NB-VAN-9", pts)
    tracks = _read(week_plan, a, b)
    assert len(tracks.units["NB-CAR-1"]) == len(pts)
    assert "NB-VAN-9" not in tracks.units
    assert tracks.reject_counts() == {"unit not in the plan": len(pts)}
    assert {r.file for r in tracks.rejects} == {str(b)}


def test_duplicate_points_are_dropped_and_counted(tmp_path: Path, week_plan: h.Plan) -> None:
    """The same unit at the same instant twice (two exports overlapping) keeps one point."""
    pts = _station_points("2026-12-01 07:00", "2026-12-01 07:10")
    a = h.write_csv(tmp_path / "a.csv", "NB-CAR-1", pts)
    b = h.write_gpx(tmp_path / "b.gpx", "NB-CAR-1", pts[:5])
    tracks = _read(week_plan, a, b)
    assert len(tracks.units["NB-CAR-1"]) == len(pts)
    assert tracks.reject_counts() == {"duplicate point": 5}
    assert tracks.points_read == len(pts) + 5


def test_points_outside_the_week_are_rejected(tmp_path: Path, week_plan: h.Plan) -> None:
    """A point the week before is reported, not matched."""
    pts = _station_points("2026-11-29 23:50", "2026-11-30 00:10")
    tracks = _read(week_plan, h.write_csv(tmp_path / "a.csv", "NB-CAR-1", pts))
    before = [p for p in pts if p[0] < at("2026-11-30 00:00").timestamp()]
    assert tracks.reject_counts() == {"outside the plan's week": len(before)}
    assert len(tracks.units["NB-CAR-1"]) == len(pts) - len(before)


def test_missing_timestamp_and_position_are_rejected(tmp_path: Path, week_plan: h.Plan) -> None:
    """Rows without a time or a fix (and a 0, 0 fix) are rejected one by one."""
    path = tmp_path / "a.csv"
    path.write_text(
        "Unit,Timestamp,Latitude,Longitude\n"
        "NB-CAR-1,,52.8,-1.05\n"
        "NB-CAR-1,2026-12-01T07:00:00Z,,\n"
        "NB-CAR-1,2026-12-01T07:00:10Z,0,0\n"
        "NB-CAR-1,2026-12-01T07:00:20Z,52.8,-1.05\n",
        encoding="utf-8",
    )
    tracks = _read(week_plan, path)
    assert [(r.row, r.reason) for r in tracks.rejects] == [
        (1, "no timestamp"),
        (2, "no position"),
        (3, "position outside Great Britain"),
    ]
    assert len(tracks.units["NB-CAR-1"]) == 1


def test_gpx_point_without_time_is_rejected(tmp_path: Path, week_plan: h.Plan) -> None:
    """A <trkpt> without <time> is rejected, its number in the file as the row."""
    path = tmp_path / "t.gpx"
    path.write_text(
        f'<gpx xmlns="{h.GPX_NS}" version="1.1"><trk><name>NB-CAR-1</name><trkseg>'
        '<trkpt lat="52.8" lon="-1.05"><time>2026-12-01T07:00:00Z</time></trkpt>'
        '<trkpt lat="52.8" lon="-1.05"></trkpt>'
        "</trkseg></trk></gpx>",
        encoding="utf-8",
    )
    tracks = _read(week_plan, path)
    assert [(r.row, r.reason) for r in tracks.rejects] == [(2, "no timestamp")]


@pytest.mark.parametrize(
    "declaration",
    [
        '<!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa">]>',
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>',
        '<!doctype gpx SYSTEM "file:///etc/passwd">',
    ],
)
def test_gpx_with_doctype_is_refused(tmp_path: Path, week_plan: h.Plan, declaration: str) -> None:
    """A GPX file with a DOCTYPE or ENTITY declaration is refused before it is parsed."""
    path = tmp_path / "evil.gpx"
    path.write_text(
        f'<?xml version="1.0"?>{declaration}<gpx xmlns="{h.GPX_NS}" version="1.1"></gpx>',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="DOCTYPE|ENTITY") as err:
        _read(week_plan, path)
    assert err.value.path == path


def test_gpx_route_is_not_a_track(tmp_path: Path, week_plan: h.Plan) -> None:
    """A planned route (<rte>) given as a track is an error that says so."""
    path = tmp_path / "route.gpx"
    path.write_text(
        f'<gpx xmlns="{h.GPX_NS}" version="1.1"><rte><rtept lat="52.8" lon="-1.05"/></rte></gpx>',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="no track points"):
        _read(week_plan, path)


def test_csv_missing_column_and_bad_number(tmp_path: Path, week_plan: h.Plan) -> None:
    """A missing column and a coordinate that is not a number are errors naming the field."""
    path = tmp_path / "a.csv"
    path.write_text("unit,timestamp,lat\nNB-CAR-1,2026-12-01T07:00:00Z,52.8\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        _read(week_plan, path)
    assert err.value.field == "lon"
    path.write_text(
        "unit,timestamp,lat,lon\nNB-CAR-1,2026-12-01T07:00:00Z,52.8,west\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as err:
        _read(week_plan, path)
    assert (err.value.row, err.value.field) == (1, "lon")
