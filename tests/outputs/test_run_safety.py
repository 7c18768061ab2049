"""The run folder never loses anything (planner.outputs.run and planner.outputs.folder).

What ``--out`` may be, the marker, recovery from a kill at every step, the lock, file modes,
and one GPX and one briefing per route whatever the route ids. The plans are the session's
real demo plan (tests/conftest.py), cut to a route or two where only the folder matters.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.common import MAX_SLUG_CHARS
from planner.errors import InputError, InvalidPlanError
from planner.outputs import folder
from planner.outputs.folder import MARKER_SCHEMA, PLANNER, RUN_MARKER, recover, run_lock
from planner.outputs.geometry import route_geometries
from planner.outputs.run import route_file_stem, write_run
from planner.planning.week import PlanResult

DEMO_DIR = Path(__file__).resolve().parents[2] / "data" / "demo"


def small(result: PlanResult, n_routes: int = 1, **plan_changes: object) -> PlanResult:
    """``result`` with only its first ``n_routes`` routes (and other plan fields changed)."""
    plan = dataclasses.replace(result.plan, routes=result.plan.routes[:n_routes], **plan_changes)
    return dataclasses.replace(result, plan=plan)


def write(result: PlanResult, out: Path, **kwargs: object) -> Path:
    """Write a run folder without the map and demand tables (the folder is under test)."""
    return write_run(result, out, with_map=False, with_inputs=False, **kwargs).path  # type: ignore[arg-type]


def tree(root: Path) -> dict[str, bytes | None]:
    """Every entry under ``root`` (itself included): file contents, or None for a folder."""
    return {
        p.relative_to(root).as_posix(): None if p.is_dir() else p.read_bytes()
        for p in [root, *root.rglob("*")]
    }


def beside(out: Path) -> list[str]:
    """The planner's own names beside ``out``: lock, temporary and old folders."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def is_whole_run(out: Path) -> bool:
    """``out`` holds a complete run: the marker lists exactly the files that are there."""
    marker = json.loads((out / RUN_MARKER).read_text(encoding="utf-8"))
    there = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    return (out / "plan.json").is_file() and set(marker["files"]) == there


# ----------------------------------------------------------------------------- what --out may be


def test_plan_command_refuses_the_config_folder(
    demo_plan: PlanResult,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`planner plan force.toml --out .` in the config's folder fails and changes nothing.

    It used to delete force.toml, sites.csv and crimes/ on the second run and exit 0.
    """
    from planner.cli import cli

    config_dir = tmp_path / "demo"
    shutil.copytree(DEMO_DIR, config_dir)
    before = tree(config_dir)
    monkeypatch.setattr("planner.planning.week.make_plan", lambda config, **kw: demo_plan)
    monkeypatch.chdir(config_dir)
    cache = str(tmp_path_factory.getbasetemp() / "planner-cache")
    for _ in range(2):
        result = CliRunner().invoke(
            cli, ["plan", "force.toml", "--out", ".", "--cache-dir", cache, "--iterations", "1"]
        )
        assert result.exit_code != 0
        assert "is not a run folder" in result.output and "force.toml" in result.output
        assert "choose a new or empty folder for --out" in result.output
        assert tree(config_dir) == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda out: out.write_text("x"), id="a file"),
        pytest.param(lambda out: (out.mkdir(), (out / "notes.txt").write_text("x")), id="foreign"),
        pytest.param(
            lambda out: (
                out.mkdir(),
                (out / RUN_MARKER).write_text("Northshire 2026-W49 OFFICIAL\n"),
            ),
            id="old-style marker",
        ),
        pytest.param(
            lambda out: (
                out.mkdir(),
                (out / RUN_MARKER).write_text(json.dumps({"planner": "other", "files": []})),
                (out / "plan.json").write_text("{}"),
            ),
            id="another program's marker",
        ),
        pytest.param(
            lambda out: (out.parent.joinpath("elsewhere").mkdir(), out.symlink_to("elsewhere")),
            id="a symbolic link",
        ),
    ],
)
def test_out_that_is_not_ours_is_refused(
    demo_plan: PlanResult, tmp_path: Path, make: object
) -> None:
    """A file, a link, or a folder without the planner's marker is refused; nothing is touched."""
    out = tmp_path / "out"
    make(out)  # type: ignore[operator]
    before = tree(tmp_path)
    with pytest.raises(InputError, match="choose a new or empty folder for --out") as err:
        write(small(demo_plan), out)
    assert str(out) in str(err.value)
    assert tree(tmp_path) == before


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("sites.csv/run", "sites.csv is a file, not a folder"),
        ("sites.csv/a/b", "sites.csv is a file, not a folder"),
        ("r" * 250, "the folder name is 250 bytes long"),
    ],
)
def test_out_that_cannot_be_made_is_refused(
    demo_plan: PlanResult, tmp_path: Path, name: str, needle: str
) -> None:
    """A run folder under a file, or with a name too long for its temporary names beside it."""
    (tmp_path / "sites.csv").write_text("site_id\n")
    before = tree(tmp_path)
    with pytest.raises(InputError, match=needle) as err:
        write(small(demo_plan), tmp_path / name)
    assert "\n" not in str(err.value)
    assert tree(tmp_path) == before


def test_current_folder_is_refused(
    demo_plan: PlanResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--out . inside a previous run is refused: the swap would move the shell's folder away."""
    out = write(small(demo_plan), tmp_path / "run")
    monkeypatch.chdir(out / "gpx")
    with pytest.raises(InputError, match="current folder"):
        write(small(demo_plan), Path(".."))
    assert is_whole_run(out) and beside(out) == []


def test_run_folder_with_something_added_is_refused(demo_plan: PlanResult, tmp_path: Path) -> None:
    """A previous run holding a file the planner did not write is refused, naming the file."""
    out = write(small(demo_plan), tmp_path / "run")
    (out / "gpx" / "my-notes.gpx").write_text("mine")
    (out / "extra").mkdir()
    (out / "extra" / "a.txt").write_text("mine")
    before = tree(tmp_path)
    with pytest.raises(InputError, match=r"did not write \(extra/, gpx/my-notes.gpx\)"):
        write(small(demo_plan), out)
    assert tree(tmp_path) == before


def test_new_empty_and_previous_run_folders_are_accepted(
    demo_plan: PlanResult, tmp_path: Path
) -> None:
    """A missing path (parents made), an empty folder and a previous run (with batch.json) work."""
    plan = small(demo_plan)
    assert is_whole_run(write(plan, tmp_path / "a" / "b" / "run"))
    (tmp_path / "empty").mkdir()
    assert is_whole_run(write(plan, tmp_path / "empty"))
    (tmp_path / "empty" / "batch.json").write_text("{}")  # planner.batch adds it after a run
    again = small(demo_plan, seed=demo_plan.plan.seed + 1)
    assert is_whole_run(write(again, tmp_path / "empty"))
    assert json.loads((tmp_path / "empty" / "plan.json").read_text())["seed"] == again.plan.seed
    assert beside(tmp_path / "empty") == [] and beside(tmp_path / "a" / "b" / "run") == []


def test_marker_names_planner_schema_and_files(demo_plan: PlanResult, tmp_path: Path) -> None:
    """The marker says who wrote the folder, in which schema, and lists every file written."""
    run = write_run(small(demo_plan, 2), tmp_path / "run", with_map=False, with_inputs=False)
    doc = json.loads((run.path / RUN_MARKER).read_text(encoding="utf-8"))
    assert (
        (doc["planner"], doc["schema"])
        == (PLANNER, MARKER_SCHEMA)
        == ("patrol-planner", "planner.run/1")
    )
    assert (doc["force"], doc["week"]) == (demo_plan.plan.force, demo_plan.plan.week)
    assert doc["files"] == sorted(f.as_posix() for f in run.files)
    assert is_whole_run(run.path)


# ----------------------------------------------------------------------------- kills


class Killed(BaseException):
    """Stands for SIGKILL: once raised, every later file operation fails too (nothing cleans up)."""


_STEPS = [
    (os, "mkdir"),
    (os, "replace"),
    (os, "rename"),
    (os, "unlink"),
    (os, "rmdir"),
    (shutil, "rmtree"),
]


@contextlib.contextmanager
def killed_at(step: int) -> Iterator[list[int]]:
    """Kill the process (raise :class:`Killed`) at the ``step``-th create, rename or delete."""
    calls = [0]
    dead = [False]
    with pytest.MonkeyPatch.context() as mp:
        for module, name in _STEPS:

            def op(
                *args: object, _real: object = getattr(module, name), **kwargs: object
            ) -> object:
                if not dead[0]:
                    calls[0] += 1
                    dead[0] = calls[0] == step
                if dead[0]:
                    raise Killed
                return _real(*args, **kwargs)  # type: ignore[operator]

            mp.setattr(module, name, op)
        yield calls


def kill_every_step(start: Path, run: PlanResult, check: Callable[[Path], None]) -> list[bool]:
    """Copy the folder ``start`` and kill a run of ``run`` into its ``run/`` at each step in turn.

    After each kill, ``check(out)`` judges the state; then the next run into the same folder
    must succeed and leave nothing but the run folder. Returns, per step, whether the kill came
    between the two renames of the swap (``run/`` missing, the previous run in ``.run.old-*``).
    """
    missing = []
    for step in range(1, 500):
        base = start.parent / f"{start.name}-kill-{step}"
        shutil.copytree(start, base, symlinks=True)
        out = base / "run"
        with killed_at(step) as calls, contextlib.suppress(Killed):
            write(run, out)
        if calls[0] < step:  # the run finished before the step came
            shutil.rmtree(base)
            return missing
        missing.append(not out.exists() and any(".old-" in n for n in beside(out)))
        check(out)
        write(run, out)
        assert os.listdir(base) == ["run"], step
        assert is_whole_run(out)
        assert json.loads((out / "plan.json").read_text())["seed"] == run.plan.seed
        shutil.rmtree(base)
    raise AssertionError("the run never finished")


@pytest.fixture()
def fast_writes(demo_plan: PlanResult, monkeypatch: pytest.MonkeyPatch) -> None:
    """Route geometry computed once and no fsync: the kill tests write a run some 100 times.

    fsync is for power cuts; a killed process's writes are kept by the kernel without it.
    """
    geometries = route_geometries(small(demo_plan))
    monkeypatch.setattr("planner.outputs.run.route_geometries", lambda result: geometries)
    monkeypatch.setattr(os, "fsync", lambda fd: None)


@pytest.mark.usefixtures("fast_writes")
@pytest.mark.parametrize("with_old", [True, False], ids=["over a previous run", "first run"])
def test_kill_at_any_step_leaves_a_whole_run(
    demo_plan: PlanResult, tmp_path: Path, with_old: bool
) -> None:
    """Killed at any step, the old or the new run is whole after recovery, with no leftovers.

    Every create, rename and delete of the run counts as a step: the writing of each file, both
    renames of the swap, and each deletion of the previous run.
    """
    old = small(demo_plan, seed=1)
    new = small(demo_plan, seed=2)
    start = tmp_path / "start"
    start.mkdir()
    if with_old:
        write(old, start / "run")
    seeds = {old.plan.seed, new.plan.seed} if with_old else {new.plan.seed}

    def check(out: Path) -> None:
        recover(out)
        assert [n for n in beside(out) if not n.endswith(".lock")] == []
        if out.exists() or with_old:
            assert is_whole_run(out)
            assert json.loads((out / "plan.json").read_text())["seed"] in seeds

    missing = kill_every_step(start, new, check)
    assert len(missing) > 15  # every file, the swap and the deletion were each a step
    # The kill between the two renames happened, and was repaired from .run.old-*.
    assert any(missing) == with_old


@pytest.mark.usefixtures("fast_writes")
def test_kill_while_recovering_leaves_a_whole_run(demo_plan: PlanResult, tmp_path: Path) -> None:
    """A run killed while repairing a previous kill (between the renames) still recovers."""
    old = small(demo_plan, seed=1)
    new = small(demo_plan, seed=2)
    start = tmp_path / "start"
    start.mkdir()
    write(old, start / "run")
    step = 0
    while (start / "run").exists():  # find the step between the two renames
        shutil.rmtree(start)
        start.mkdir()
        write(old, start / "run")
        step += 1
        with killed_at(step), contextlib.suppress(Killed):
            write(new, start / "run")
    assert [n.split("-")[0] for n in beside(start / "run")] == [".run.lock", ".run.old", ".run.tmp"]

    def check(out: Path) -> None:
        recover(out)
        assert is_whole_run(out)
        assert json.loads((out / "plan.json").read_text())["seed"] in {1, 2}

    kill_every_step(start, new, check)


def test_leftovers_not_ours_are_left_alone(demo_plan: PlanResult, tmp_path: Path) -> None:
    """Only folders named like ours and holding our marker (or nothing) are ever deleted."""
    out = tmp_path / "run"
    kept = {
        ".run.tmp-abcd1234": "someone's file",  # named like ours, but not ours
        ".run.old-abcd1234x": "",  # not quite our name
        ".runner.tmp-abcd1234": "",  # another run folder's
    }
    for name, text in kept.items():
        (tmp_path / name).mkdir()
        if text:
            (tmp_path / name / "file.txt").write_text(text)
    (tmp_path / ".run.old-0000ffff").mkdir()  # empty: a kill before anything was written
    (tmp_path / ".run.tmp-ffff0000").mkdir()
    (tmp_path / ".run.tmp-ffff0000" / "..planner-run.x1y2.tmp").write_text("{")  # half a marker
    write(small(demo_plan), out)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*kept, "run"])
    assert (tmp_path / ".run.tmp-abcd1234" / "file.txt").read_text() == "someone's file"


# ----------------------------------------------------------------------------- the lock


def test_lock_held_by_another_process_is_refused(demo_plan: PlanResult, tmp_path: Path) -> None:
    """While another process holds the lock, a run fails clearly; once it exits, a run works."""
    out = tmp_path / "run"
    lock = tmp_path / ".run.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys\n"
            f"fd = os.open({str(lock)!r}, os.O_RDWR | os.O_CREAT, 0o600)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with pytest.raises(InputError, match="another planner run is writing this folder"):
            write(small(demo_plan), out, lock_timeout_s=0)
        assert sorted(p.name for p in tmp_path.iterdir()) == [".run.lock"]
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait()
    write(small(demo_plan), out, lock_timeout_s=0)  # the stale lock file is no obstacle
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_second_run_waits_for_the_first(demo_plan: PlanResult, tmp_path: Path) -> None:
    """A run into a folder another run is writing waits for it, then writes its own run whole."""
    out = tmp_path / "run"
    done: list[Path] = []
    with run_lock(out):
        waiter = threading.Thread(target=lambda: done.append(write(small(demo_plan), out)))
        waiter.start()
        waiter.join(0.2)
        # Cannot have finished: the lock is held. (Whether it has started waiting does not matter.)
        assert waiter.is_alive() and not out.exists()
    waiter.join()
    assert done == [out] and is_whole_run(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


# ----------------------------------------------------------------------------- permissions


def modes(root: Path) -> set[tuple[str, int]]:
    """``("d" or "f", permission bits)`` of ``root`` and everything in it."""
    return {
        ("d" if p.is_dir() else "f", stat.S_IMODE(p.stat().st_mode))
        for p in [root, *root.rglob("*")]
    }


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"protective_marking": "OFFICIAL-SENSITIVE"}, id="sensitive marking"),
        pytest.param(
            {"protective_marking": "OFFICIAL", "contains_mp_premises": True}, id="MP premises"
        ),
    ],
)
def test_sensitive_run_is_owner_only_throughout(
    demo_plan: PlanResult,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    changes: dict[str, object],
) -> None:
    """A sensitive run: the folder, every folder in it 0700, every file (and the lock) 0600."""
    lock_modes = []
    real_recover = folder.recover

    def recover_and_look(out: Path) -> None:
        lock_modes.append(stat.S_IMODE((out.parent / f".{out.name}.lock").stat().st_mode))
        real_recover(out)

    monkeypatch.setattr("planner.outputs.folder.recover", recover_and_look)
    old_umask = os.umask(0o002)
    try:
        run = write_run(small(demo_plan, 2, **changes), tmp_path / "run")  # map and demand too
    finally:
        os.umask(old_umask)
    assert modes(run.path) == {("d", 0o700), ("f", 0o600)}
    assert len(list(run.path.rglob("*"))) > len(run.files)  # sub-folders were walked too
    assert lock_modes == [0o600]


def test_plain_run_follows_the_umask(demo_plan: PlanResult, tmp_path: Path) -> None:
    """An OFFICIAL run without MPs' premises keeps the umask's modes, as before."""
    plan = small(demo_plan, 2, protective_marking="OFFICIAL", contains_mp_premises=False)
    old_umask = os.umask(0o022)
    try:
        out = write(plan, tmp_path / "run")
    finally:
        os.umask(old_umask)
    assert modes(out) == {("d", 0o755), ("f", 0o644)}


# ----------------------------------------------------------------------------- file names


def is_daily_pack(path: Path) -> bool:
    """A day's briefing pack (``briefings/<YYYY-MM-DD>.html``), not a route's own briefing."""
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}\.html", path.name) is not None


def with_route_ids(result: PlanResult, *ids: str) -> PlanResult:
    """``result`` with its first routes renamed to ``ids`` (and only those routes kept)."""
    routes = [
        dataclasses.replace(r, route_id=i) for r, i in zip(result.plan.routes, ids, strict=False)
    ]
    return dataclasses.replace(result, plan=dataclasses.replace(result.plan, routes=tuple(routes)))


def test_route_ids_that_slug_alike_get_their_own_files(
    demo_plan: PlanResult, tmp_path: Path
) -> None:
    """``NB FOOT`` and ``NB_FOOT`` (and ``nb_foot``) used to share one GPX and one briefing."""
    ids = ("NB FOOT/2026-11-30/early", "NB_FOOT/2026-11-30/early", "nb_foot/2026-11-30/early")
    run = write_run(
        with_route_ids(demo_plan, *ids), tmp_path / "run", with_map=False, with_inputs=False
    )
    for sub, ext in (("gpx", ".gpx"), ("briefings", ".html")):
        names = sorted(p.name for p in (run.path / sub).iterdir() if not is_daily_pack(p))
        assert names == sorted(f"{route_file_stem(i)}{ext}" for i in ids)
        assert len({n.casefold() for n in names}) == 3  # also on Windows and macOS
    gpx = [(run.path / "gpx" / f"{route_file_stem(i)}.gpx").read_text() for i in ids]
    assert all(f"<name>{i}</name>" in text for i, text in zip(ids, gpx, strict=True))


def test_very_long_route_id_is_written(demo_plan: PlanResult, tmp_path: Path) -> None:
    """A 300-character unit id used to fail with 'File name too long'."""
    long_id = "U" * 300 + "/2026-11-30/early"
    run = write_run(
        with_route_ids(demo_plan, long_id), tmp_path / "run", with_map=False, with_inputs=False
    )
    (gpx,) = (run.path / "gpx").iterdir()
    (page,) = (p for p in (run.path / "briefings").iterdir() if not is_daily_pack(p))
    assert gpx.stem == page.stem == route_file_stem(long_id)
    assert len(gpx.name) <= MAX_SLUG_CHARS + 20


def test_route_file_stem() -> None:
    """Readable, bounded, a file name on any system, and different for different ids."""
    assert route_file_stem("NB-CAR-1/2026-11-30/early").startswith("NB-CAR-1_2026-11-30_early-")
    assert route_file_stem("x") == route_file_stem("x")
    assert route_file_stem("../..").startswith("route-")
    stems = {route_file_stem(i).casefold() for i in ("a b", "a_b", "A_B", "a/b", "a\\b", "a:b")}
    assert len(stems) == 6
    assert len(route_file_stem("é" * 1000)) <= MAX_SLUG_CHARS + 9


def test_two_routes_with_one_id_are_refused(demo_plan: PlanResult, tmp_path: Path) -> None:
    """Two routes with the same id cannot both get files: the plan is refused, not half written."""
    with pytest.raises(InvalidPlanError, match="would share the file name"):
        write(with_route_ids(demo_plan, "A/1", "A/1"), tmp_path / "run")
    assert list(tmp_path.iterdir()) == []  # no temporary folder, no lock file
