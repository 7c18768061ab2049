"""The planner command, through click's runner (planner.cli)."""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner import _progress
from planner.cli import cli


def run(*args: str) -> tuple[int, str, str]:
    """Invoke the CLI; return exit code, stdout and stderr."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_help_lists_commands() -> None:
    """`planner --help` lists every command."""
    code, out, _ = run("--help")
    assert code == 0
    for command in ("demo", "network", "matrix", "synth"):
        assert command in out


def test_network_command(leeds_pbf: Path, tmp_path: Path) -> None:
    """`planner network` reports both modes and can save the normalised network."""
    code, out, _ = run(
        "network",
        str(leeds_pbf),
        "--cache-dir",
        str(tmp_path / "c"),
        "--save",
        str(tmp_path / "n.npz"),
    )
    assert code == 0
    assert "car:" in out and "foot:" in out
    assert (tmp_path / "n.npz").exists()
    code, out2, _ = run("network", str(tmp_path / "n.npz"), "--cache-dir", str(tmp_path / "c"))
    assert code == 0 and out2.splitlines()[1] == out.splitlines()[1]


def test_missing_file_is_one_clean_line(tmp_path: Path) -> None:
    """A missing input gives exit code 2 and one line naming the file, no traceback."""
    code, _, err = run(
        "network", str(tmp_path / "missing.osm.pbf"), "--cache-dir", str(tmp_path / "c")
    )
    assert code == 2
    assert err.strip().count("\n") == 0
    assert err.startswith("error: ") and "missing.osm.pbf" in err and "Traceback" not in err


def test_matrix_command_writes_reports(rutland_pbf: Path, tmp_path: Path) -> None:
    """`planner matrix` writes a snap report with every site and a matrix per mode."""
    sites = tmp_path / "sites.csv"
    sites.write_text(
        "site_id,name,lon,lat\n"
        "castle,Oakham Castle,-0.7296,52.6705\n"
        "market,Uppingham market,-0.7231,52.5866\n"
        "lake,Rutland Water,-0.625,52.655\n"
        "unknown,Postcode only,,\n"
    )
    out = tmp_path / "out"
    code, stdout, _ = run(
        "matrix",
        str(rutland_pbf),
        "--sites",
        str(sites),
        "--out",
        str(out),
        "--cache-dir",
        str(tmp_path / "c"),
    )
    assert code == 0, stdout
    with (out / "snap_report.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 8  # 4 sites x 2 modes
    assert {r["site_id"] for r in rows if r["status"] == "rejected"} >= {"lake", "unknown"}
    with (out / "matrix_car.csv").open() as fh:
        matrix = list(csv.reader(fh))
    assert matrix[0] == ["from_site", "castle", "market"]
    assert float(matrix[1][2]) > 300  # Oakham to Uppingham is more than five minutes


def test_bad_site_file_names_row(rutland_pbf: Path, tmp_path: Path) -> None:
    """A bad coordinate in the site file is reported with file, row and field."""
    sites = tmp_path / "sites.csv"
    sites.write_text("site_id,lon,lat\na,-0.7,52.6\nb,west,52.6\n")
    code, _, err = run(
        "matrix", str(rutland_pbf), "--sites", str(sites), "--cache-dir", str(tmp_path / "c")
    )
    assert code == 2
    assert "sites.csv, row 2, field 'lon'" in err


def test_solve_command(tmp_path: Path) -> None:
    """`planner solve PROBLEM.json` solves a benchmark problem written as JSON and validates it."""
    import json

    from planner.routing.benchmarks import read_toptw
    from tests.conftest import REPO

    bench = REPO.parent / "shared" / "bench" / "toptw" / "c_r_rc_100_100" / "c101.txt"
    problem = read_toptw(bench, m=1)
    problem.to_json(tmp_path / "p.json")
    code, out, _ = run(
        "solve",
        str(tmp_path / "p.json"),
        "--seed",
        "1",
        "--iterations",
        "50",
        "--out",
        str(tmp_path / "s.json"),
    )
    assert code == 0, out
    # The validator's own line (its failure starts "INVALID").
    assert re.search(r"^valid: \d+ visits served, prize ", out, re.MULTILINE), out
    doc = json.loads((tmp_path / "s.json").read_text())
    assert doc["schema"] == "planner.routing-solution/1"
    assert (doc["iterations"], doc["stop"], doc["status"]) == (50, "MaxIterations(50)", "ok")


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal, so progress is drawn into it."""

    def isatty(self) -> bool:
        return True


def _terminal(monkeypatch: pytest.MonkeyPatch) -> _Terminal:
    """Make stderr a terminal (so progress is drawn), with no --quiet.

    Called in the test itself: pytest puts its own stderr back between a fixture and the test.
    """
    stderr = _Terminal()
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setattr(_progress, "_quiet", False)
    monkeypatch.setenv("COLUMNS", "200")  # wide enough for the whole line
    return stderr


def test_solve_progress_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal the solve shows its clock against the limit and the best cover so far."""
    terminal = _terminal(monkeypatch)
    status = _progress.SolveProgress(6.0)
    status(1.5, 1234.5)
    status(2.0, 1300.25)
    status.done()
    drawn = terminal.getvalue()
    assert " s of 6 s, best harm-weighted cover 1,300.2, 2 improvements" in drawn
    assert "━" in drawn  # the bar


def test_solve_progress_without_a_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A solve that stops on iterations has no bar, only the clock and the best cover."""
    terminal = _terminal(monkeypatch)
    status = _progress.SolveProgress(None)
    status(0.5, 10.0)
    status.done()
    drawn = terminal.getvalue()
    assert "best harm-weighted cover 10.0, 1 improvement" in drawn
    assert " of " not in drawn and "━" not in drawn


def test_batch_progress_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch shows areas ended out of all, and what the busy ones are doing."""
    terminal = _terminal(monkeypatch)
    progress = _progress.BatchProgress()
    progress({"demo": "ok", "rutland": "solving", "westminster": "waiting"})
    progress.done()
    drawn = terminal.getvalue()
    assert "1/3" in drawn and "rutland: solving" in drawn


def test_spinner_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading shows a spinner with what is being loaded."""
    terminal = _terminal(monkeypatch)
    with _progress.spinner("loading the road network"):
        pass
    assert "loading the road network" in terminal.getvalue()


def test_progress_is_quiet_off_a_terminal_and_with_quiet(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Nothing is drawn when stderr is not a terminal, or after `planner --quiet`."""
    terminal = _terminal(monkeypatch)

    def draw_all() -> str:
        before = len(terminal.getvalue())
        status = _progress.SolveProgress(6.0)
        status(1.5, 123.4)
        status.done()
        batch = _progress.BatchProgress()
        batch({"demo": "solving"})
        batch.done()
        with _progress.spinner("loading"):
            pass
        return terminal.getvalue()[before:]

    monkeypatch.setattr(terminal, "isatty", lambda: False)
    assert draw_all() == ""
    monkeypatch.setattr(terminal, "isatty", lambda: True)
    code, _, _ = run("--quiet", "network", str(tmp_path / "none.npz"))
    assert code == 2  # the command failed, after the group had taken --quiet
    assert draw_all() == ""


# ------------------------------------------------------------------ outputs and options


@pytest.mark.parametrize(
    ("args", "option", "needle"),
    [
        (("solve", "p.json", "--seed", "1", "--out", "folder"), "--out", "is a folder"),
        (("network", "n.pbf", "--save", "folder"), "--save", "is a folder"),
        (("demand", "f.toml", "--out", "file.txt"), "--out", "is a file, not a folder"),
        (("demand", "f.toml", "--cache-dir", "file.txt"), "--cache-dir", "is a file, not a"),
        (("plan", "f.toml", "--out", "file.txt/run"), "--out", "file.txt is a file, not a"),
        (("batch", "f.toml", "--out", "file.txt"), "--out", "is a file, not a folder"),
        (("synth", "--seed", "1", "--out", "file.txt/n.osm"), "--out", "file.txt is a file"),
    ],
)
def test_output_paths_of_the_wrong_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], option: str, needle: str
) -> None:
    """A file where a folder is written (or the reverse) is one line naming option and path."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("mine")
    code, _, err = run(*args)
    assert code == 2 and "Traceback" not in err
    lines = [x for x in err.splitlines() if x.startswith("Error:")]
    assert len(lines) == 1 and f"'{option}'" in lines[0] and needle in lines[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "folder"]
    assert (tmp_path / "file.txt").read_text() == "mine"


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e999", "٣", "1_0", "ten"])
@pytest.mark.parametrize(
    "args",
    [
        ("network", "n.pbf", "--buffer-m"),
        ("matrix", "n.pbf", "--sites", "s.csv", "--max-snap-m"),
        ("plan", "f.toml", "--avoid-min"),
        ("plan", "f.toml", "--time-limit"),
        ("solve", "p.json", "--seed", "1", "--time-limit"),
        ("batch", "f.toml", "--time-limit"),
        ("demo", "--time-limit"),
    ],
)
def test_float_options_are_finite_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], value: str
) -> None:
    """NaN, infinity and what only float() reads as a number are refused on every float option."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run(*args, value)
    assert code == 2 and "Traceback" not in err
    assert f"'{args[-1]}'" in err and ("not a number" in err or "too large" in err), err
    assert list(tmp_path.iterdir()) == []


def test_solve_and_network_never_overwrite_their_input(leeds_pbf: Path, tmp_path: Path) -> None:
    """`solve --out` over its problem and `network --save` over its source: refused, unchanged."""
    import shutil

    from planner.routing.problem import RoutingProblem, Vehicle, Visit

    problem = tmp_path / "problem.json"
    RoutingProblem(
        name="p",
        visits=(Visit("a", 1, 60.0, ((0.0, 3600.0),), 1.0),),
        vehicles=(Vehicle("car", "car", 0, 0, 0.0, 3600.0, 3600.0, 1.0),),
        groups=(),
        travel_time_s={"car": [[0.0, 60.0], [60.0, 0.0]]},
    ).to_json(problem)
    source = tmp_path / "leeds.osm.pbf"
    shutil.copyfile(leeds_pbf, source)
    (tmp_path / "alias.json").symlink_to(problem)
    before = {p.name: p.read_bytes() for p in (problem, source)}
    runs = [
        ("--out", ["solve", str(problem), "--seed", "1", "--out", str(problem)]),
        ("--out", ["solve", str(problem), "--seed", "1", "--out", str(tmp_path / "alias.json")]),
        (
            "--save",
            ["network", str(source), "--cache-dir", str(tmp_path / "c"), "--save", str(source)],
        ),
    ]
    for option, args in runs:
        code, _, err = run(*args)
        assert code == 2 and err.startswith(f"error: {option} ") and err.count("\n") == 1, err
        assert "is an input file of this command" in err
    assert before == {p.name: p.read_bytes() for p in (problem, source)}


def test_demand_never_overwrites_an_input(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`demand --out` into the folder of a site file named visits.csv is refused up front.

    Also checks that DEMAND_FILES (the names checked up front) lists every file demand writes.
    """
    import shutil

    from planner.cli import DEMAND_FILES
    from tests.conftest import REPO

    tmp = tmp_path_factory.mktemp("demand-inputs")
    cache = tmp_path_factory.getbasetemp() / "planner-cache"  # shared with the other demo tests
    demo = tmp / "demo"
    shutil.copytree(REPO / "data" / "demo", demo)
    code, _, err = run(
        "demand", str(demo / "force.toml"), "--out", str(tmp / "out"), "--cache-dir", str(cache)
    )
    assert code == 0, err
    written = {p.name for p in (tmp / "out").iterdir()}
    assert written <= set(DEMAND_FILES) and "visits.csv" in written

    (demo / "sites.csv").rename(demo / "visits.csv")
    config = demo / "force.toml"
    config.write_text(config.read_text().replace('["sites.csv"]', '["visits.csv"]'))
    before = {p.name: p.read_bytes() for p in demo.iterdir() if p.is_file()}
    code, _, err = run("demand", str(config), "--out", str(demo), "--cache-dir", str(cache))
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"error: --out {demo}: would write {demo / 'visits.csv'}, an input file")
    assert before == {p.name: p.read_bytes() for p in demo.iterdir() if p.is_file()}


def test_strict_exits_3_when_a_required_visit_is_missed(tmp_path: Path) -> None:
    """`planner plan --strict` writes the run, names the missed visits, and exits 3.

    Rutland's protest post runs to the early shift's end; with no overtime allowed
    (``post_overtime_min = 0``) its last quarter-hour is always missed, as the early unit must
    drive back before its shift ends.
    """
    rutland = Path(__file__).resolve().parents[1] / "data" / "rutland"
    text = (rutland / "force.toml").read_text(encoding="utf-8")
    text = text.replace('"../../../shared/', f'"{rutland.parents[2].as_posix()}/shared/')
    text = text.replace('"sites.csv"', f'"{(rutland / "sites.csv").as_posix()}"')
    config = tmp_path / "force.toml"
    config.write_text(text.replace("[demand]\n", "[demand]\npost_overtime_min = 0\n"), "utf-8")
    args = ["plan", str(config), "--iterations", "30", "--cache-dir", str(tmp_path / "c")]
    strict = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "a"), "--strict"])
    assert strict.exit_code == 3, strict.output
    assert (tmp_path / "a" / "plan.json").exists()
    assert "missed visits:" in strict.output and "R-PRO-1#post#1445" in strict.output
    relaxed = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "b")])
    assert relaxed.exit_code == 0, relaxed.output


def test_strict_counts_a_rejected_required_site(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A required surgery given only a postcode is rejected, and still counts as missed.

    The demo's NB-UNLOC (a drop-in surgery, address to be confirmed) cannot be placed:
    `--strict` exits 3; the closing lines name the site; plan.json's ``rejected`` holds it with
    its required visit; the plan's required-missed count includes it.
    """
    import json

    from planner.planning.plan import read_plan_json
    from tests.conftest import REPO

    tmp = tmp_path_factory.mktemp("strict-reject")
    cache = tmp_path_factory.getbasetemp() / "planner-cache"  # shared with the other demo tests
    out = tmp / "run"
    args = ["plan", str(REPO / "data" / "demo" / "force.toml"), "--iterations", "20"]
    result = CliRunner().invoke(
        cli, [*args, "--cache-dir", str(cache), "--out", str(out), "--strict"]
    )
    assert result.exit_code == 3, result.output
    assert "sites not in the plan: 1" in result.output
    assert "no coordinates" in result.output and "NB-UNLOC" in result.output
    doc = json.loads((out / "plan.json").read_text())
    (rej,) = doc["rejected"]
    assert rej["site_id"] == "NB-UNLOC" and rej["stage"] == "site" and rej["mp_premises"]
    assert rej["kind"] == "mp_surgery" and rej["required_visits"] == 1
    plan = read_plan_json(out / "plan.json")
    assert plan.required_missed == sum(u.required for u in plan.unserved) + 1
