"""An area's resume record, batch.json (planner.batch.record), and the resume decision."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path

import pytest

from planner.batch.record import RECORD, check_record, clear_record, write_record
from planner.batch.runner import AreaResult, BatchOptions, _resumed
from planner.outputs.folder import RUN_MARKER, marker_text

HASH = "0123456789abcdef0123456789abcdef"
SETTINGS = {"time_limit_s": None, "iterations": 60, "secure": None}
FILES = ["plan.json", "map.html", "summary.md", "gpx/CAR-1-0a1b2c3d.gpx", RUN_MARKER]


def make_run(tmp_path: Path, area: str = "north") -> tuple[Path, AreaResult]:
    """A finished area's run folder with its record, as the batch leaves it."""
    run_dir = tmp_path / "out" / area
    (run_dir / "gpx").mkdir(parents=True)
    for name in FILES[:-1]:
        (run_dir / name).write_text(f"content of {name}\n")
    (run_dir / RUN_MARKER).write_text(marker_text({}, map(Path, FILES)))
    result = AreaResult(
        area=area,
        config=f"{area}.toml",
        status="ok",
        run_dir=str(run_dir),
        input_hash=HASH,
        visits_planned=10,
        visits_required=12,
        required_missed=1,
        rejected_sites=2,
        hours_used=40,  # an int where a float is declared, as a JSON record may hold one
        map=str(run_dir / "map.html"),
    )
    write_record(run_dir, result=dataclasses.asdict(result), settings=SETTINGS, files=FILES)
    return run_dir, result


def check(run_dir: Path, input_hash: str = HASH, settings: dict | None = None):
    return check_record(run_dir, input_hash=input_hash, settings=settings or SETTINGS)


def test_intact_run_may_be_skipped(tmp_path: Path) -> None:
    """Record, inputs, settings and every file as written: the recorded result comes back."""
    run_dir, result = make_run(tmp_path)
    resume = check(run_dir)
    assert resume.why == "" and not resume.suspect
    assert resume.result == dataclasses.asdict(result)
    assert set(resume.files) == set(FILES)


def test_record_holds_a_hash_of_every_file(tmp_path: Path) -> None:
    """The record lists every file the run wrote with its SHA-256, relative to the run folder."""
    import hashlib

    run_dir, _ = make_run(tmp_path)
    doc = json.loads((run_dir / RECORD).read_text())
    assert doc["settings"] == SETTINGS
    assert doc["files"] == {
        f: hashlib.sha256((run_dir / f).read_bytes()).hexdigest() for f in FILES
    }


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda d: (d / RECORD).write_bytes(b'{"schema": "planner.batch-ar'), "cannot be read"),
        (lambda d: (d / RECORD).write_bytes(b""), "cannot be read"),
        (lambda d: (d / RECORD).write_bytes(b"\xff\xfe{}"), "cannot be read"),
        (lambda d: (d / RECORD).write_text("[]"), "not a record this planner wrote"),
        (lambda d: (d / RECORD).write_text('{"area": "north", "status": "ok"}'), "not a record"),
        (lambda d: _edit(d, files=None), "incomplete"),
        (lambda d: _edit(d, files={"../../etc/passwd": "0" * 64}), "outside its run folder"),
        (lambda d: _edit(d, files={"/etc/passwd": "0" * 64}), "outside its run folder"),
        (lambda d: _edit(d, files={"plan.json": "not-a-digest"}), "malformed"),
        (lambda d: (d / "map.html").unlink(), "map.html is missing"),
        (lambda d: (d / "plan.json").unlink(), "plan.json is missing"),
        (lambda d: (d / "summary.md").write_text("edited\n"), "summary.md changed"),
        (lambda d: (d / "gpx" / "CAR-1-0a1b2c3d.gpx").write_text(""), "gpx/CAR-1-0a1b2c3d.gpx"),
        (lambda d: _swap_for_link(d / "map.html"), "map.html cannot be read"),
    ],
    ids=[
        "truncated",
        "empty",
        "not-utf8",
        "not-an-object",
        "old-schema",
        "no-files",
        "dotdot",
        "absolute",
        "bad-digest",
        "no-map",
        "no-plan",
        "changed-summary",
        "emptied-gpx",
        "link",
    ],
)
def test_damage_means_plan_again(tmp_path: Path, damage, why: str) -> None:
    """A corrupt record or a missing or changed file: plan the area again, saying why."""
    run_dir, _ = make_run(tmp_path)
    damage(run_dir)
    resume = check(run_dir)
    assert resume.result is None and resume.suspect
    assert why in resume.why


def test_record_that_is_a_folder_means_plan_again(tmp_path: Path) -> None:
    run_dir, _ = make_run(tmp_path)
    (run_dir / RECORD).unlink()
    (run_dir / RECORD).mkdir()
    resume = check(run_dir)
    assert resume.result is None and resume.suspect and "cannot be read" in resume.why


def test_changed_inputs_or_settings_mean_plan_again(tmp_path: Path) -> None:
    """Not damage: a changed input hash or run setting is an ordinary reason to plan again."""
    run_dir, _ = make_run(tmp_path)
    resume = check(run_dir, input_hash="f" * 32)
    assert resume.result is None and not resume.suspect and resume.why == "its inputs changed"
    resume = check(run_dir, settings={**SETTINGS, "iterations": 61})
    assert resume.result is None and not resume.suspect
    assert resume.why == "the run settings changed (iterations 60 -> 61)"
    assert check(tmp_path / "out" / "nowhere").why == "it has no finished run yet"


def test_record_of_another_planner_version_means_plan_again(tmp_path: Path) -> None:
    """An older planner's record (schema /2: no rejected_sites) is replanned, and it is not damage."""
    run_dir, _ = make_run(tmp_path)
    doc = json.loads((run_dir / RECORD).read_text())
    doc["schema"] = "planner.batch-area/2"
    del doc["result"]["rejected_sites"]
    (run_dir / RECORD).write_text(json.dumps(doc))
    resume = check(run_dir)
    assert resume.result is None and not resume.suspect
    assert "another planner version (planner.batch-area/2)" in resume.why


def test_record_keeps_rejected_sites(tmp_path: Path) -> None:
    """The area's rejected-site count goes through its record and back."""
    run_dir, result = make_run(tmp_path)
    resume = check(run_dir)
    assert resume.result is not None
    assert AreaResult.from_record(resume.result).rejected_sites == result.rejected_sites == 2


def test_moved_output_folder_still_resumes(tmp_path: Path) -> None:
    """Files are recorded relative to the run folder: a copied batch folder resumes."""
    import shutil

    run_dir, _ = make_run(tmp_path)
    moved = tmp_path / "elsewhere" / "north"
    shutil.copytree(run_dir, moved)
    assert check(moved).result is not None


def test_clear_record_removes_the_record_and_half_written_ones(tmp_path: Path) -> None:
    """Before planning again: the stale record and a killed write's leftover go, nothing else."""
    run_dir, _ = make_run(tmp_path)
    leftover = run_dir / f".{RECORD}.k1ll3d_x.tmp"
    leftover.write_bytes(b'{"schema": "plan')
    clear_record(run_dir)
    assert sorted(os.listdir(run_dir)) == sorted(
        [RUN_MARKER, "gpx", "map.html", "plan.json", "summary.md"]
    )


def test_clear_record_leaves_other_folders_alone(tmp_path: Path) -> None:
    """A folder that is not a planner run folder is not touched (the run will refuse it)."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / RECORD).write_text("my own file")
    clear_record(folder)
    assert (folder / RECORD).read_text() == "my own file"


def test_record_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that dies half-way leaves the previous record whole, and no temporary file."""
    run_dir, _ = make_run(tmp_path)
    before = (run_dir / RECORD).read_bytes()

    def crash(fd: int) -> None:
        raise KeyboardInterrupt  # as good as a kill between writing and renaming

    monkeypatch.setattr("planner.common.os.fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        write_record(run_dir, result={"status": "ok"}, settings=SETTINGS, files=FILES)
    assert (run_dir / RECORD).read_bytes() == before
    assert [n for n in os.listdir(run_dir) if n.endswith(".tmp")] == []


# ----------------------------------------------------------------------------- the decision


def options(tmp_path: Path) -> BatchOptions:
    return BatchOptions(
        out_dir=str(tmp_path / "out"), cache_dir=str(tmp_path / "cache"), iterations=60
    )


def test_resumed_area_is_skipped_with_current_paths(tmp_path: Path) -> None:
    """An intact area comes back skipped, with its paths where the folder is now."""
    run_dir, _ = make_run(tmp_path)
    skipped = _resumed("configs/north.toml", run_dir, HASH, options(tmp_path))
    assert skipped is not None
    assert skipped.status == "skipped" and skipped.required_missed == 1
    assert skipped.map == str(run_dir / "map.html") and skipped.config == "configs/north.toml"


@pytest.mark.parametrize(
    "edit",
    [
        {"visits_planned": "10"},
        {"visits_planned": True},
        {"area": "south"},
        {"harm_total": None},
        {"unexpected": 1},
    ],
)
def test_corrupt_result_in_record_means_plan_again(
    tmp_path: Path, edit: dict, caplog: pytest.LogCaptureFixture
) -> None:
    """A record whose result has a wrong, missing or extra field is redone and logged, not failed."""
    run_dir, _ = make_run(tmp_path)
    doc = json.loads((run_dir / RECORD).read_text())
    doc["result"].update(edit)
    (run_dir / RECORD).write_text(json.dumps(doc))
    with caplog.at_level(logging.WARNING, logger="planner.batch.runner"):
        assert _resumed("north.toml", run_dir, HASH, options(tmp_path)) is None
    assert "area north: planning it again: its record is corrupt" in caplog.text


def test_missing_map_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    run_dir, _ = make_run(tmp_path)
    (run_dir / "map.html").unlink()
    with caplog.at_level(logging.WARNING, logger="planner.batch.runner"):
        assert _resumed("north.toml", run_dir, HASH, options(tmp_path)) is None
    assert "area north: planning it again: map.html is missing" in caplog.text


def _edit(run_dir: Path, **fields: object) -> None:
    doc = json.loads((run_dir / RECORD).read_text())
    doc.update(fields)
    (run_dir / RECORD).write_text(json.dumps(doc))


def _swap_for_link(path: Path) -> None:
    """Replace a file by a link to a copy of itself: same content, but not the file written."""
    copy = path.with_name("elsewhere")
    copy.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(copy)
