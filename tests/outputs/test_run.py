"""A plan's run folder: plan.json, schedule, routes, unserved, summary, GPX, briefings (planner.outputs).

The plans tested are real: :func:`planner.planning.week.make_plan` on the demo town and on Rutland
(real roads, a week across the clocks going back), with a short iteration stop, made once per
test session by the ``demo_plan`` and ``rutland_plan`` fixtures of tests/conftest.py and shared
with tests/outputs/test_map.py and test_browser.py. A solver failure fails these tests: no
stand-in plan is ever used.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import shapely
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.common import LONDON
from planner.errors import InputError
from planner.outputs.briefings import briefing_html
from planner.outputs.geometry import lonlat, redaction_area, route_geometries
from planner.outputs.gpx import route_gpx
from planner.outputs.run import RunFolder, route_file_stem, write_run
from planner.outputs.summary import summary_markdown
from planner.outputs.tables import schedule_rows
from planner.outputs.text import hm
from planner.planning.plan import (
    Plan,
    PlanRoute,
    PlanStop,
    Unpredictability,
    UnservedVisit,
    read_plan_json,
)
from planner.planning.week import PlanResult
from planner.routing.solver import MaxIterations, MaxRuntime
from tests.outputs.hostile import EVIL, with_evil_names

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "data" / "demo" / "force.toml"


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo_run(demo_plan: PlanResult, tmp_path_factory: pytest.TempPathFactory) -> RunFolder:
    """The demo's run folder."""
    return write_run(demo_plan, tmp_path_factory.mktemp("run") / "demo")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# ----------------------------------------------------------------------------- tests


def test_plans_under_test_are_the_solvers(demo_plan: PlanResult, rutland_plan: PlanResult) -> None:
    """The plans under test come from the solver; the demo serves every required visit.

    Rutland's protest is a post from 11:00 to 15:00 on a Saturday whose early shift ends at
    15:00 and whose late shift starts then: the last hour cannot be held, and the plan says so
    with a computed reason instead of failing the week.
    """
    assert demo_plan.solution.status in {"ok", "time_capped"}
    assert not [u for u in demo_plan.plan.unserved if u.required]
    missed = [u for u in rutland_plan.plan.unserved if u.required]
    assert {u.site_id for u in missed} <= {"R-PRO-1"}
    assert all(not u.reason.startswith("lower value") for u in missed)


def test_run_folder_files(demo_run: RunFolder, demo_plan: PlanResult) -> None:
    """Every file of the run folder is there: one GPX and one briefing per route, the map."""
    names = {str(f) for f in demo_run.files}
    for name in (
        "plan.json",
        "schedule.csv",
        "routes.geojson",
        "unserved.csv",
        "summary.md",
        "map.html",
    ):
        assert name in names and (demo_run.path / name).is_file(), name
    n = len(demo_plan.plan.routes)
    assert len(list((demo_run.path / "gpx").glob("*.gpx"))) == n
    # One briefing per route, and one pack per day with routes (named by its date).
    days = {r.day for r in demo_plan.plan.routes}
    assert len(list((demo_run.path / "briefings").glob("NB-*.html"))) == n
    assert {p.stem for p in (demo_run.path / "briefings").glob("20*.html")} == {
        d.isoformat() for d in days
    }
    assert (demo_run.path / "demand" / "visits.csv").is_file()
    assert not [p for p in demo_run.path.parent.iterdir() if p.name.startswith(".")]


def same_plan(a: Plan, b: Plan) -> bool:
    """Field-by-field equality, times compared as instants.

    ``==`` on the dataclasses is not enough: by PEP 495 an aware time in the repeated hour of
    the clocks going back (01:30 on the last Sunday of October, Europe/London) never equals the
    same instant in another zone, and read-back times carry fixed offsets.
    """
    return a.to_dict() == b.to_dict()


def test_plan_json_round_trip(
    demo_run: RunFolder, demo_plan: PlanResult, rutland_plan: PlanResult, tmp_path: Path
) -> None:
    """plan.json reads back to the very plan written (Rutland's week spans a clock change)."""
    assert same_plan(read_plan_json(demo_run.path / "plan.json"), demo_plan.plan)
    assert read_plan_json(demo_run.path / "plan.json") == demo_plan.plan
    from planner.planning.plan import write_plan_json

    back = read_plan_json(write_plan_json(rutland_plan.plan, tmp_path / "plan.json"))
    assert same_plan(back, rutland_plan.plan)
    for r1, r2 in zip(back.routes, rutland_plan.plan.routes, strict=True):
        for s1, s2 in zip(r1.stops, r2.stops, strict=True):
            assert s1.arrival.astimezone(dt.UTC) == s2.arrival.astimezone(dt.UTC)


_times = st.datetimes(
    min_value=dt.datetime(2020, 1, 1),
    max_value=dt.datetime(2030, 12, 31),
    timezones=st.just(LONDON),
    allow_imaginary=False,  # a plan's times come from instants: never in the spring-forward gap
)
_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
_floats = st.floats(min_value=0, max_value=1e6, allow_nan=False)


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    """Random plans: any text, times either side of clock changes, floats of every size."""
    routes = []
    for r in range(draw(st.integers(0, 3))):
        stops = tuple(
            PlanStop(
                order=i + 1,
                visit_id=draw(_text),
                site_id=draw(_text),
                name=draw(_text),
                kind=draw(st.sampled_from(["mp_home", "hotspot", "protest"])),
                risk=draw(st.sampled_from(["low", "critical"])),
                restricted=draw(st.booleans()),
                arrival=draw(_times),
                start=draw(_times),
                departure=draw(_times),
                travel_s=draw(_floats),
                dwell_s=draw(_floats),
                prize=draw(_floats),
                notes=draw(_text),
                x_m=draw(_floats),
                y_m=draw(_floats),
            )
            for i in range(draw(st.integers(0, 3)))
        )
        t = draw(_times)
        routes.append(
            PlanRoute(
                route_id=f"U{r}/{t.date()}/early",
                unit_id=draw(_text),
                mode=draw(st.sampled_from(["car", "foot"])),
                officers=draw(st.integers(1, 12)),
                station_id=draw(_text),
                day=t.date(),
                shift="early",
                shift_start=t,
                shift_end=draw(_times),
                leave=draw(_times),
                return_=draw(_times),
                paid_officer_hours=draw(_floats),
                stops=stops,
            )
        )
    unserved = tuple(
        UnservedVisit(
            draw(_text), draw(_text), "hotspot", draw(st.booleans()), draw(_floats), draw(_text)
        )
        for _ in range(draw(st.integers(0, 3)))
    )
    unp = draw(
        st.none()
        | st.builds(
            Unpredictability,
            avoid_min=_floats,
            previous_plan=st.none() | _text,
            sites_constrained=st.integers(0, 99),
            prize_without=st.none() | _floats,
            prize_with=st.none() | _floats,
        )
    )
    return Plan(
        force=draw(_text),
        week="2026-W44",
        week_start=draw(_times),
        protective_marking=draw(st.sampled_from(["OFFICIAL", "OFFICIAL-SENSITIVE"])),
        contains_mp_premises=draw(st.booleans()),
        seed=draw(st.integers(0, 2**31 - 1)),
        solver={"time_limit_s": 5.0, "solve_time_s": draw(_floats), "status": "ok"},
        budget={
            "pounds_per_week": draw(_floats),
            "cost_per_officer_hour": draw(_floats),
            "funded_officer_hours": draw(_floats),
            "used_officer_hours": draw(_floats),
        },
        routes=tuple(routes),
        unserved=unserved,
        unpredictability=unp,
    )


@settings(max_examples=60, deadline=None)
@given(plan=plans())
def test_plan_json_round_trip_any_plan(plan: Plan) -> None:
    """Any plan survives plan.json: text, clock-change times and floats come back exactly."""
    back = Plan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert same_plan(back, plan)
    assert back.week_start.astimezone(dt.UTC) == plan.week_start.astimezone(dt.UTC)


def test_schedule_matches_plan(demo_run: RunFolder, demo_plan: PlanResult) -> None:
    """schedule.csv has one row per visit, in route order, in Europe/London wall-clock time."""
    rows = read_csv(demo_run.path / "schedule.csv")
    stops = [(r, s) for r in demo_plan.plan.routes for s in r.stops]
    assert len(rows) == len(stops) > 0
    for row, (r, s) in zip(rows, stops, strict=True):
        arrival = s.arrival.astimezone(LONDON)
        assert row["route_id"] == r.route_id and row["unit"] == r.unit_id
        assert row["shift"] == r.shift and int(row["order"]) == s.order
        assert row["site_id"] == s.site_id and row["kind"] == s.kind
        assert row["date"] == arrival.date().isoformat() and row["day"] == arrival.strftime("%a")
        assert row["arrival"] == arrival.strftime("%H:%M")
        assert row["departure"] == s.departure.astimezone(LONDON).strftime("%H:%M")
        assert float(row["travel_min"]) == pytest.approx(s.travel_s / 60, abs=0.05)
    assert rows == [{k: str(v) for k, v in r.items()} for r in schedule_rows(demo_plan.plan)]


def test_schedule_local_time_across_clock_change(rutland_plan: PlanResult) -> None:
    """Rutland's week spans the clocks going back: times are GMT after, BST before."""
    rows = schedule_rows(rutland_plan.plan)
    by_key = {(r["route_id"], r["order"]): r for r in rows}
    for route in rutland_plan.plan.routes:
        for s in route.stops:
            row = by_key[(route.route_id, s.order)]
            utc = s.arrival.astimezone(dt.UTC)
            offset_h = 1 if utc < dt.datetime(2022, 10, 30, 1, tzinfo=dt.UTC) else 0
            assert row["arrival"] == (utc + dt.timedelta(hours=offset_h)).strftime("%H:%M")


def test_unserved_matches_plan(demo_run: RunFolder, demo_plan: PlanResult) -> None:
    """unserved.csv lists every requirement not met, with its reason."""
    rows = read_csv(demo_run.path / "unserved.csv")
    assert [(r["visit_id"], r["reason"]) for r in rows] == [
        (u.visit_id, u.reason) for u in demo_plan.plan.unserved
    ]
    assert all(r["reason"] for r in rows)
    made = {s.visit_id for s in demo_plan.plan.stops}
    asked = {v.visit_id for v in demo_plan.inputs.demand.visits}
    assert asked <= made | {r["visit_id"] for r in rows}
    assert {r["visit_id"] for r in rows} <= asked  # hot-spot candidates not taken are not misses


def test_routes_geojson_station_to_station(demo_run: RunFolder, demo_plan: PlanResult) -> None:
    """Each route's road geometry starts and ends at its station, in WGS84, with its labels."""
    doc = json.loads((demo_run.path / "routes.geojson").read_text(encoding="utf-8"))
    assert doc["protective_marking"] == demo_plan.plan.protective_marking
    assert len(doc["features"]) == len(demo_plan.plan.routes)
    inputs = demo_plan.inputs
    for feature, route in zip(doc["features"], demo_plan.plan.routes, strict=True):
        props = feature["properties"]
        assert (props["unit"], props["day"], props["shift"]) == (
            route.unit_id,
            route.day.isoformat(),
            route.shift,
        )
        coords = feature["geometry"]["coordinates"]
        assert feature["geometry"]["type"] == "LineString" and len(coords) >= 2
        snap = inputs.station_snaps[route.mode]
        k = list(snap.site_ids).index(route.station_id)
        station = lonlat(float(snap.snap_x_m[k]), float(snap.snap_y_m[k]))
        for end in (coords[0], coords[-1]):
            assert end == pytest.approx(list(station), abs=2e-6)
        assert all(-2 < lon < 2 and 50 < lat < 56 for lon, lat in coords)


def test_route_geometry_passes_every_stop(demo_plan: PlanResult) -> None:
    """The stitched geometry runs past each stop (within the snap distance) and is as long as the travel time implies."""
    geoms = route_geometries(demo_plan)
    for route in demo_plan.plan.routes:
        line = geoms[route.route_id]
        for s in route.stops:
            assert line.distance(shapely.Point(s.x_m, s.y_m)) <= 300
        assert line.length > 0


def test_gpx_waypoints_and_track(demo_run: RunFolder, demo_plan: PlanResult) -> None:
    """Each GPX parses as GPX 1.1 with one named waypoint per stop and a road track.

    Each waypoint says when to leave for it, and a drive-past says not to stop.
    """
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    for route in demo_plan.plan.routes:
        path = demo_run.path / "gpx" / f"{route_file_stem(route.route_id)}.gpx"
        assert path.stem.startswith(route.route_id.replace("/", "_") + "-")
        root = ET.parse(path).getroot()
        assert root.tag == "{http://www.topografix.com/GPX/1/1}gpx" and root.get("version") == "1.1"
        wpts = root.findall("g:wpt", ns)
        assert len(wpts) == len(route.stops)
        for w, s in zip(wpts, route.stops, strict=True):
            assert w.findtext("g:name", namespaces=ns).startswith(f"{s.order}. ")
            desc = w.findtext("g:desc", namespaces=ns)
            # What the crew does: when to set off, not a far-early arrival to wait through.
            assert desc.startswith(f"Leave {hm(s.arrival - dt.timedelta(seconds=s.travel_s))}")
            if s.presence == "drive_past":
                assert "Drive past only" in desc
            lon, lat = lonlat(s.x_m, s.y_m)
            assert float(w.get("lon")) == pytest.approx(lon) and float(
                w.get("lat")
            ) == pytest.approx(lat)
        pts = root.findall("g:trk/g:trkseg/g:trkpt", ns)
        assert len(pts) >= 2
        assert demo_plan.plan.protective_marking in root.findtext(
            "g:metadata/g:desc", namespaces=ns
        )


def test_gpx_escapes_text(demo_plan: PlanResult) -> None:
    """Hostile names are XML text in the GPX, not markup."""
    evil = with_evil_names(demo_plan)
    route = evil.plan.routes[0]
    data = route_gpx(evil.plan, route, route_geometries(evil)[route.route_id])
    root = ET.fromstring(data)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert root.find("g:wpt", ns).findtext("g:name", namespaces=ns) == f"1. {EVIL}"
    assert b"<script>" not in data


def test_briefing_escapes_and_marks(demo_plan: PlanResult) -> None:
    """The briefing shows hostile text as text, carries the marking top and bottom, prints well."""
    evil = with_evil_names(demo_plan)
    route = evil.plan.routes[0]
    page = briefing_html(evil, route, route_geometries(evil)[route.route_id])
    assert EVIL not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count('class="marking') == 2
    assert page.index("marking top") < page.index("<table>") < page.index("marking bottom")
    assert "@media print" in page and "<svg" in page
    # A header row, one per stop, and the refreshment break's row.
    assert page.count("<tr") == len(route.stops) + 1 + (route.break_start is not None)
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page


def test_summary_figures_and_marking(demo_run: RunFolder, demo_plan: PlanResult) -> None:
    """summary.md: marking top and bottom, harm covered, visits by kind, hours and cost, days, units."""
    text = (demo_run.path / "summary.md").read_text(encoding="utf-8")
    lines = text.strip().splitlines()
    mark = f"**{demo_plan.plan.protective_marking}**"
    assert lines[0] == mark and lines[-1] == mark
    plan = demo_plan.plan
    assert f"{plan.prize_covered:,.1f} of {plan.prize_total:,.1f}" in text
    used = plan.budget["used_officer_hours"]
    assert (
        f"£{used * plan.budget['cost_per_officer_hour']:,.0f} of £{plan.budget['pounds_per_week']:,.0f}"
        in text
    )
    for kind in {s.kind for s in plan.stops}:
        assert f"| {kind} |" in text
    for route in plan.routes:
        assert f"| {route.unit_id} |" in text
    assert "## By day" in text and "## By unit" in text
    evil = with_evil_names(demo_plan)
    evil_text = summary_markdown(dataclasses.replace(evil.plan, force=EVIL))
    assert EVIL not in evil_text
    assert "# &lt;script&gt;alert\\(1\\)&lt;/script&gt;: patrol plan" in evil_text


def test_summary_keeps_quotes_but_escapes_markup(demo_plan: PlanResult) -> None:
    """summary.md escapes HTML markup and table pipes from inputs, but not apostrophes.

    ``last week's`` must read as written in a plain-text viewer, not as ``&#x27;``.
    """
    plan = dataclasses.replace(
        demo_plan.plan,
        force="O'Brien & <b>Sons</b> | Co",
        unpredictability=Unpredictability(60.0, "last.json", 3, 100.0, 90.0),
    )
    text = summary_markdown(plan)
    assert "last week's times at 3 sites" in text
    assert "O'Brien &amp; &lt;b&gt;Sons&lt;/b&gt; \\| Co" in text
    assert "&#x27;" not in text and "<b>" not in text


def test_redacted_outputs_hide_restricted_sites(rutland_plan: PlanResult, tmp_path: Path) -> None:
    """With redact, no file but plan.json names a restricted site or leads to it."""
    restricted = [s for s in rutland_plan.plan.stops if s.restricted]
    assert restricted, "Rutland's plan should visit the MP's home"
    run = write_run(rutland_plan, tmp_path / "r", redact=True, with_map=False, with_inputs=False)
    for s in restricted:
        lon, lat = lonlat(s.x_m, s.y_m)
        for f in run.files:
            if f.name in {"plan.json", ".planner-run"}:
                continue
            text = (run.path / f).read_text(encoding="utf-8")
            assert s.name not in text, f
            assert f"{lon:.6f}" not in text or f"{lat:.6f}" not in text, f
    doc = json.loads((run.path / "routes.geojson").read_text(encoding="utf-8"))
    assert doc["redacted"] is True
    for s in restricted:
        cx, cy, r = redaction_area(s.x_m, s.y_m)
        assert math.hypot(cx - s.x_m, cy - s.y_m) < r
        lon, lat = lonlat(s.x_m, s.y_m)
        for feat in doc["features"]:
            geom = shapely.geometry.shape(feat["geometry"])
            # Nothing of any route within about 100 m of the site (0.0015 degrees).
            assert geom.distance(shapely.Point(lon, lat)) > 0.0015


def test_sensitive_run_is_owner_only(rutland_plan: PlanResult, tmp_path: Path) -> None:
    """An OFFICIAL-SENSITIVE run folder and its files are readable by their owner only."""
    run = write_run(rutland_plan, tmp_path / "r", with_map=False, with_inputs=False)
    assert run.path.stat().st_mode & 0o777 == 0o700
    for f in run.files:
        assert (run.path / f).stat().st_mode & 0o777 == 0o600, f


def test_rerun_replaces_and_crash_keeps_previous(
    demo_plan: PlanResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second run replaces the folder whole; a crash mid-write leaves the previous run intact."""
    out = tmp_path / "run"
    gone = demo_plan.plan.routes[-1]
    fewer = dataclasses.replace(demo_plan.plan, routes=demo_plan.plan.routes[:-1])
    write_run(demo_plan, out, with_map=False, with_inputs=False)
    stale = out / "gpx" / f"{route_file_stem(gone.route_id)}.gpx"
    assert stale.is_file()
    write_run(dataclasses.replace(demo_plan, plan=fewer), out, with_map=False, with_inputs=False)
    assert not stale.exists()
    assert len(list((out / "gpx").iterdir())) == len(fewer.routes)
    write_run(demo_plan, out, with_map=False, with_inputs=False)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("planner.outputs.map.write_map", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        write_run(demo_plan, out)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_foreign_folder_is_never_deleted(demo_plan: PlanResult, tmp_path: Path) -> None:
    """An --out folder holding other things is refused, and nothing in it or beside it changes."""
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(InputError, match="not a run folder.*mine.txt.*choose a new or empty"):
        write_run(demo_plan, tmp_path, with_map=False, with_inputs=False)
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]
    assert (tmp_path / "mine.txt").read_text() == "keep me"
    assert not [p for p in tmp_path.parent.iterdir() if p.name.startswith(f".{tmp_path.name}.")]


def test_plan_and_demo_commands(
    demo_plan: PlanResult,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`planner plan` and `planner demo` pass their options on, show progress, write the folder.

    ``make_plan`` is replaced by one returning the session's demo plan: this tests the command,
    not the optimiser (whose own tests cover it), and keeps the test fast.
    """
    from planner._progress import SolveProgress
    from planner.cli import cli

    calls: list[dict[str, object]] = []

    def fake_make_plan(config, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs)
        kwargs["progress"](1.5, 123.4)
        return demo_plan

    monkeypatch.setattr("planner.planning.week.make_plan", fake_make_plan)
    cache = str(tmp_path_factory.getbasetemp() / "planner-cache")
    first = tmp_path / "w1"
    result = CliRunner().invoke(
        cli,
        [
            *("plan", str(DEMO_CONFIG), "--cache-dir", cache, "--out", str(first)),
            *("--time-limit", "3", "--seed", "7", "--secure", "--redact"),
            *("--previous", str(tmp_path / "last.json"), "--avoid-min", "30"),
        ],
    )
    assert result.exit_code == 0, result.output
    kw = calls[-1]
    assert (kw["stop"], kw["seed"], kw["avoid_min"]) == (MaxRuntime(3), 7, 30)
    assert kw["previous_plan"] == tmp_path / "last.json" and kw["inputs"] is not None
    # Progress bars draw only on a terminal (tests/test_cli.py checks them); here it is wired up.
    # Two solves (with and without last week's rule) of 3 s each.
    assert isinstance(kw["progress"], SolveProgress) and kw["progress"].limit_s == 6
    assert "harm-weighted demand covered" in result.output
    assert (
        "map: secure (offline, no third-party requests), restricted sites redacted" in result.output
    )
    assert same_plan(read_plan_json(first / "plan.json"), demo_plan.plan)
    assert (first / "map.html").is_file() and (first / "briefings").is_dir()

    result = CliRunner().invoke(
        cli, ["demo", "--out", str(tmp_path / "d"), "--cache-dir", cache, "--iterations", "40"]
    )
    assert result.exit_code == 0, result.output
    assert calls[-1]["stop"] == MaxIterations(40)
    assert "Northshire Police (demo)" in result.output
    assert "map: online mode" in result.output  # the demo is marked OFFICIAL
    assert (tmp_path / "d" / "plan.json").is_file() and (tmp_path / "d" / "map.html").is_file()
