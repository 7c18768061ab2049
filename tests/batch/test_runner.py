"""Batch runs over several force areas, locally and on Dask (planner.batch.runner)."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planner.batch.runner import run_batch
from planner.planning.plan import read_plan_json

REPO = Path(__file__).resolve().parents[2]
AREAS = [
    REPO / "data" / a / "force.toml" for a in ("demo", "city-of-london", "rutland", "westminster")
]
ITERATIONS = 60  # an iteration stop: the same plans on any machine, local or on Dask


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A deliberately broken config: its unit names a station that does not exist."""
    folder = tmp_path_factory.mktemp("broken") / "broken-force"
    folder.mkdir()
    text = (REPO / "data" / "demo" / "force.toml").read_text()
    text = text.replace('station = "NB-EAST"', 'station = "NO-SUCH-STATION"')
    text = text.replace(
        'sites = ["sites.csv"]', f'sites = ["{REPO / "data" / "demo" / "sites.csv"}"]'
    )
    text = text.replace('files = ["crimes/*.csv"]', "files = []").replace("top_n = 12", "")
    (folder / "force.toml").write_text(text)
    return folder / "force.toml"


@pytest.fixture(scope="module")
def local_batch(tmp_path_factory: pytest.TempPathFactory, broken: Path, cache: Path):
    """The four local areas plus the broken one, two worker processes."""
    out = tmp_path_factory.mktemp("batch")
    result = run_batch(
        [*AREAS, broken],
        out_dir=out,
        cache_dir=cache,
        workers=2,
        iterations=ITERATIONS,
    )
    return out, result


def plan_doc(run_dir: Path) -> dict:
    """plan.json without the fields that measure wall time."""
    doc = json.loads((run_dir / "plan.json").read_text())
    doc["solver"].pop("solve_time_s", None)
    return doc


def test_broken_area_reported_others_complete(local_batch) -> None:
    """The broken config fails with its error; the four real areas are planned."""
    out, result = local_batch
    status = {r.area: r.status for r in result.results}
    assert status == {
        "demo": "ok",
        "city-of-london": "ok",
        "rutland": "ok",
        "westminster": "ok",
        "broken-force": "failed",
    }
    (bad,) = result.failed
    assert "NO-SUCH-STATION" in bad.error
    for area in ("demo", "city-of-london", "rutland", "westminster"):
        assert (out / area / "plan.json").exists()
    assert "1 failed" in result.summary()


def test_national_files(local_batch) -> None:
    """national_summary.csv has a row per area; index.html links each map and escapes text."""
    out, result = local_batch
    rows = (out / "national_summary.csv").read_text().splitlines()
    assert len(rows) == 1 + 5
    index = (out / "index.html").read_text()
    for r in result.results:
        if r.status == "ok":
            assert Path(r.map).exists()
            assert os.path.relpath(r.map, out) in index
    assert "<script" not in index
    # Each area's required visits missed count its rejected sites' too (Plan.required_missed).
    with (out / "national_summary.csv").open(newline="", encoding="utf-8") as fh:
        by_area = {row["area"]: row for row in csv.DictReader(fh)}
    for r in result.results:
        if r.status != "ok":
            continue
        plan = read_plan_json(out / r.area / "plan.json")
        assert int(by_area[r.area]["required_missed"]) == plan.required_missed
        assert int(by_area[r.area]["rejected_sites"]) == len(plan.rejected)


def test_final_text_names_areas_with_required_visits_missed(tmp_path: Path) -> None:
    """The batch's closing text names every area with required visits missed, and its count."""
    from planner.batch.runner import AreaResult, BatchResult, write_summary

    results = [
        AreaResult(area=a, config=f"{a}.toml", status="ok", run_dir=a, required_missed=n)
        for a, n in (("north", 3), ("south", 0), ("east\x1b[2J", 1))
    ]
    text = BatchResult(tuple(results), tmp_path / "s.csv", tmp_path / "i.html").summary()
    line = next(x for x in text.splitlines() if x.startswith("required visits missed in "))
    assert "north (3)" in line and "east\\x1b[2J (1)" in line and "south" not in line
    results = [dataclasses.replace(r, required_missed=0) for r in results]
    text = BatchResult(tuple(results), tmp_path / "s.csv", tmp_path / "i.html").summary()
    assert "required visits missed in" not in text
    header = write_summary(tmp_path / "s.csv", results).read_text().splitlines()[0].split(",")
    assert header[header.index("required_missed") + 1] == "rejected_sites"


def test_unchanged_areas_are_skipped(local_batch, broken: Path, cache: Path) -> None:
    """A second run skips every area whose inputs did not change, and reruns the broken one."""
    out, _ = local_batch
    again = run_batch(
        [*AREAS, broken],
        out_dir=out,
        cache_dir=cache,
        workers=2,
        iterations=ITERATIONS,
    )
    status = {r.area: r.status for r in again.results}
    assert status["demo"] == status["rutland"] == "skipped"
    assert status["broken-force"] == "failed"


def test_resume_after_interruption(tmp_path: Path, cache: Path) -> None:
    """Kill a batch after its first area finishes; the rerun skips it and plans the rest."""
    out = tmp_path / "out"
    configs = [str(AREAS[0]), str(AREAS[3])]
    cmd = [
        sys.executable,
        "-m",
        "planner.cli",
        "batch",
        *configs,
        "--out",
        str(out),
        "--cache-dir",
        str(cache),
        "--workers",
        "1",
        "--iterations",
        str(ITERATIONS),
    ]
    proc = subprocess.Popen(
        cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 240
    while not (out / "demo" / "batch.json").exists():
        assert time.time() < deadline, "the first area never finished"
        assert proc.poll() is None, "the batch ended before it could be interrupted"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "westminster" / "batch.json").exists()
    result = run_batch(
        configs,
        out_dir=out,
        cache_dir=cache,
        workers=1,
        iterations=ITERATIONS,
    )
    assert {r.area: r.status for r in result.results} == {"demo": "skipped", "westminster": "ok"}


def test_dask_local_cluster_equals_local_run(local_batch, tmp_path: Path, cache: Path) -> None:
    """The same batch on a Dask LocalCluster gives exactly the local run's plans."""
    distributed = pytest.importorskip("distributed")
    out_local, _ = local_batch
    out = tmp_path / "dask"
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        result = run_batch(
            AREAS[:2] + AREAS[3:],
            out_dir=out,
            cache_dir=cache,
            scheduler=client,
            iterations=ITERATIONS,
        )
    assert all(r.status == "ok" for r in result.results)
    for area in ("demo", "city-of-london", "westminster"):
        assert plan_doc(out / area) == plan_doc(out_local / area), area


def test_cli_exit_code_reports_failure(tmp_path: Path, broken: Path, cache: Path) -> None:
    """`planner batch` exits non-zero when an area failed."""
    from click.testing import CliRunner

    from planner.cli import cli

    shutil.rmtree(tmp_path / "o", ignore_errors=True)
    result = CliRunner().invoke(
        cli,
        [
            "batch",
            str(broken),
            "--out",
            str(tmp_path / "o"),
            "--cache-dir",
            str(cache),
        ],
    )
    assert result.exit_code == 1
    assert "broken-force" in result.output and "failed" in result.output


def test_index_escapes_text_and_takes_the_highest_marking(tmp_path: Path) -> None:
    """index.html escapes every name and error, and carries the most sensitive plan's marking."""
    from planner.batch.runner import AreaResult, write_index

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "map.html").write_text("")
    results = [
        AreaResult(
            area="a",
            config="a.toml",
            status="ok",
            run_dir="a",
            harm_covered=3.0,
            harm_total=4.0,
            map=str(tmp_path / "a" / "map.html"),
            marking="OFFICIAL-SENSITIVE",
        ),
        AreaResult(
            area="<b>bad</b>",
            config="b.toml",
            status="failed",
            run_dir="b",
            error='<script>alert("x")</script>',
        ),
    ]
    index = write_index(tmp_path / "index.html", results).read_text()
    assert "<script" not in index and "<b>bad" not in index
    assert "&lt;b&gt;bad&lt;/b&gt;" in index and "&lt;script&gt;" in index
    assert '<a href="./a/map.html">map</a>' in index and "3.0 / 4.0 (75%)" in index
    assert index.count('<div class="marking">OFFICIAL-SENSITIVE</div>') == 2
    assert "2 areas: 1 planned, 0 unchanged, 1 failed." in index


def test_batch_writes_only_into_its_own_folders(tmp_path: Path, broken: Path, cache: Path) -> None:
    """A batch refuses a folder it did not write (the configs' folder, the user's own files).

    Nothing is written there; a new folder is marked and may be run into again.
    """
    from planner.batch.runner import BATCH_MARKER
    from planner.errors import InputError

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("do not delete")
    config_folder = broken.parent
    for out in (mine, config_folder):
        before = sorted(p.name for p in out.iterdir())
        with pytest.raises(InputError, match="is not a batch output folder"):
            run_batch([broken], out_dir=out, cache_dir=cache, workers=1, iterations=ITERATIONS)
        assert sorted(p.name for p in out.iterdir()) == before
    assert (mine / "notes.txt").read_text() == "do not delete"
    (tmp_path / "file.txt").write_text("mine")
    with pytest.raises(InputError, match="not a folder"):
        run_batch([broken], out_dir=tmp_path / "file.txt", cache_dir=cache, workers=1)

    out = tmp_path / "out"
    for _ in range(2):  # a new folder, then the batch's own
        result = run_batch([broken], out_dir=out, cache_dir=cache, workers=1, iterations=ITERATIONS)
        assert [r.status for r in result.results] == ["failed"]
        assert (out / BATCH_MARKER).is_file()
    # A folder an older planner's batch wrote (no marker, but its .status) is still its own.
    (out / BATCH_MARKER).unlink()
    run_batch([broken], out_dir=out, cache_dir=cache, workers=1, iterations=ITERATIONS)


def test_area_names_are_bounded_and_distinct(tmp_path: Path) -> None:
    """An area's folder name, from its config's file name, fits beside its temporary names."""
    from planner.batch.runner import area_name
    from planner.common import MAX_SLUG_CHARS
    from planner.outputs.folder import MAX_RUN_NAME_BYTES

    assert area_name(tmp_path / "kent.toml") == "kent"
    assert area_name(tmp_path / "kent" / "force.toml") == "kent"
    long_a, long_b = "é" * 120, "é" * 119 + "e"
    names = {area_name(tmp_path / f"{n}.toml") for n in (long_a, long_b)}
    assert len(names) == 2
    assert all(
        len(os.fsencode(n)) <= min(MAX_RUN_NAME_BYTES, 2 * MAX_SLUG_CHARS + 9) for n in names
    )
