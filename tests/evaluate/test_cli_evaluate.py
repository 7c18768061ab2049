"""`planner evaluate` through click's runner: the folder it writes, and its clean errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.planning.plan import write_plan_json
from tests.evaluate import helpers as h
from tests.evaluate.helpers import CHURCH, EAST, NORTH, follow, route, stop

OUT_FILES = {
    "evaluation.md",
    "evaluation.html",
    "stops_delivered.csv",
    "sites_delivered.csv",
    "unit_shifts.csv",
    "tracks_rejects.csv",
    "evaluation_map.html",
    "plan.json",
    ".planner-run",
}


def run(*args: str | Path) -> tuple[int, str, str]:
    """Invoke the CLI; return exit code, stdout and stderr."""
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def run_folder(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A run folder's plan.json (one early shift, a church named with markup) and its tracks.

    The unit makes HS-N and the church and skips HS-E; a CSV of another unit is rejected.
    """
    r = route(
        "NB-CAR-1",
        "2026-12-01 07:00",
        "2026-12-01 15:00",
        [
            stop(1, NORTH, "2026-12-01 09:00"),
            stop(2, EAST, "2026-12-01 11:00"),
            stop(3, CHURCH, "2026-12-01 13:00"),
        ],
    )
    plan_path = tmp_path / "run" / "plan.json"
    plan_path.parent.mkdir()
    write_plan_json(h.plan([r], marking="OFFICIAL-SENSITIVE"), plan_path)
    pts = h.sample(follow(r, skip=[r.stops[1].visit_id]))
    gpx = h.write_gpx(tmp_path / "car1.gpx", "NB-CAR-1", pts)
    other = h.write_csv(tmp_path / "van.csv", "NB-VAN-9", pts[:10])
    return plan_path, gpx, other


def test_evaluate_writes_the_folder(tmp_path: Path, run_folder: tuple[Path, Path, Path]) -> None:
    """Every file is written; the marking tops and tails both reports; input text is escaped."""
    plan_path, gpx, other = run_folder
    out = tmp_path / "eval"
    code, stdout, stderr = run(
        "evaluate", h.DEMO_CONFIG, "--plan", plan_path, "--tracks", gpx, other, "--out", out
    )
    assert code == 0, stderr
    assert "Planned stops made: 2 of 3 (67%)" in stdout
    assert {p.name for p in out.iterdir()} == OUT_FILES
    md = (out / "evaluation.md").read_text(encoding="utf-8").strip().splitlines()
    assert md[0] == md[-1] == "**OFFICIAL-SENSITIVE**"
    page = (out / "evaluation.html").read_text(encoding="utf-8")
    assert page.count('class="marking') == 2
    assert "St Anne&#39;s &lt;church&gt; &amp; hall" in page and "<church>" not in page
    assert "<church>" not in "\n".join(md)
    with (out / "stops_delivered.csv").open(encoding="utf-8") as fh:
        made = [row["made"] for row in csv.DictReader(fh)]
    assert made == ["yes", "no", "yes"]
    with (out / "tracks_rejects.csv").open(encoding="utf-8") as fh:
        rejects = list(csv.DictReader(fh))
    assert len(rejects) == 10 and {r["reason"] for r in rejects} == {"unit not in the plan"}
    with (out / "unit_shifts.csv").open(encoding="utf-8") as fh:
        (shift,) = csv.DictReader(fh)
    assert shift["compliance"] == "0.667" and shift["stops_made"] == "2"
    assert (out / "evaluation_map.html").read_text(encoding="utf-8").count(
        "OFFICIAL-SENSITIVE"
    ) >= 2
    assert (out / "evaluation.md").stat().st_mode & 0o077 == 0


def test_evaluate_again_replaces_the_folder(
    tmp_path: Path, run_folder: tuple[Path, Path, Path]
) -> None:
    """A second evaluation into the same folder replaces the first whole."""
    plan_path, gpx, _ = run_folder
    out = tmp_path / "eval"
    for radius in ("50", "30"):
        code, _, stderr = run(
            "evaluate",
            h.DEMO_CONFIG,
            "--plan",
            plan_path,
            "--tracks",
            gpx,
            "--out",
            out,
            "--radius-m",
            radius,
        )
        assert code == 0, stderr
    assert "within 30 m" in (out / "evaluation.md").read_text(encoding="utf-8")


def test_out_over_the_plans_run_folder_is_refused(
    tmp_path: Path, run_folder: tuple[Path, Path, Path]
) -> None:
    """--out naming the folder that holds plan.json would replace the run: refused."""
    plan_path, gpx, _ = run_folder
    code, _, err = run(
        "evaluate", h.DEMO_CONFIG, "--plan", plan_path, "--tracks", gpx, "--out", plan_path.parent
    )
    assert code == 2 and "would replace it" in err
    assert plan_path.exists()


def test_naive_times_are_one_clean_line(
    tmp_path: Path, run_folder: tuple[Path, Path, Path]
) -> None:
    """Times without an offset: exit 2, one line naming file, row and field; --tz fixes it."""
    plan_path, _, _ = run_folder
    pts = h.sample(follow(route("NB-CAR-1", "2026-12-01 07:00", "2026-12-01 15:00", [])))
    naive = h.write_csv(tmp_path / "avl.csv", "NB-CAR-1", pts, time_format="naive")
    out = tmp_path / "eval"
    code, _, err = run(
        "evaluate", h.DEMO_CONFIG, "--plan", plan_path, "--tracks", naive, "--out", out
    )
    assert code == 2 and err.count("\n") == 1
    assert "avl.csv, row 1, field 'timestamp'" in err and "--tz" in err
    assert not out.exists()
    code, _, err = run(
        "evaluate",
        h.DEMO_CONFIG,
        "--plan",
        plan_path,
        "--tracks",
        naive,
        "--out",
        out,
        "--tz",
        "Europe/London",
    )
    assert code == 0, err
    code, _, err = run(
        "evaluate",
        h.DEMO_CONFIG,
        "--plan",
        plan_path,
        "--tracks",
        naive,
        "--out",
        out,
        "--tz",
        "Mars/Olympus",
    )
    assert code == 2 and "not a time zone" in err


def test_tracks_folder_and_doctype(tmp_path: Path, run_folder: tuple[Path, Path, Path]) -> None:
    """A folder of tracks is read whole; a GPX file with a DOCTYPE in it stops the command."""
    plan_path, gpx, _ = run_folder
    folder = tmp_path / "tracks"
    folder.mkdir()
    (folder / gpx.name).write_bytes(gpx.read_bytes())
    code, stdout, err = run(
        "evaluate", h.DEMO_CONFIG, "--plan", plan_path, "--tracks", folder, "--out", tmp_path / "e"
    )
    assert code == 0, err
    assert "2 of 3" in stdout
    text = gpx.read_text(encoding="utf-8")
    (folder / "evil.gpx").write_text(
        text.replace("?>", '?><!DOCTYPE gpx [<!ENTITY x "y">]>', 1), encoding="utf-8"
    )
    code, _, err = run(
        "evaluate", h.DEMO_CONFIG, "--plan", plan_path, "--tracks", folder, "--out", tmp_path / "e"
    )
    assert code == 2 and "evil.gpx" in err and "DOCTYPE" in err


def test_crimes_without_tracks_compares_crime_only(tmp_path: Path) -> None:
    """--crimes alone: the crime comparison is written, and it says no dosage was measured."""
    from tests.evaluate.test_crime_control import _run as crime_run

    run_dir, crimes = crime_run(tmp_path)
    out = tmp_path / "eval"
    code, stdout, err = run(
        "evaluate", h.DEMO_CONFIG, "--plan", run_dir / "plan.json", "--crimes", crimes, "--out", out
    )
    assert code == 0, err
    assert "crime at control and treated hot-spot-days, 2026-W49" in stdout
    assert "Dosage delivered: not measured: no GPS tracks were given (--tracks)" in stdout
    assert "Crimes per hot-spot-month: 3.33 control (3 hot-spot-days)" in stdout
    assert "Planned stops made" not in stdout
    assert {p.name for p in out.iterdir()} == {
        "evaluation.md",
        "evaluation.html",
        "crime_control.csv",
        "plan.json",
        ".planner-run",
    }
    md = (out / "evaluation.md").read_text(encoding="utf-8")
    assert "no GPS tracks were given, so the dosage delivered is not measured" in md
    assert "## Crime at hot spots: control against treated days" in md
    assert "patrols delivered" not in md and "By unit-shift" not in md
    page = (out / "evaluation.html").read_text(encoding="utf-8")
    assert "dosage delivered is not measured" in page and "evaluation_map.html" not in page
    with (out / "crime_control.csv").open(encoding="utf-8") as fh:
        rows = {r["site_id"]: r for r in csv.DictReader(fh)}
    assert rows["HS-A"]["crimes"] == "4"


def test_neither_tracks_nor_crimes_is_one_clean_line(
    tmp_path: Path, run_folder: tuple[Path, Path, Path]
) -> None:
    """No --tracks and no --crimes: exit 2 with one line saying what to pass; nothing written."""
    plan_path, gpx, _ = run_folder
    out = tmp_path / "eval"
    code, _, err = run("evaluate", h.DEMO_CONFIG, "--plan", plan_path, "--out", out)
    assert code == 2 and "nothing to evaluate" in err
    assert "--tracks FILE" in err and "--crimes FILE" in err
    assert [line for line in err.splitlines() if line.startswith("Error")] == [err.splitlines()[-1]]
    assert not out.exists()
    # A second path after --crimes is no track: said so, not read as one.
    code, _, err = run(
        "evaluate", h.DEMO_CONFIG, "--plan", plan_path, "--crimes", gpx, gpx, "--out", out
    )
    assert code == 2 and "follows no --tracks" in err and not out.exists()
