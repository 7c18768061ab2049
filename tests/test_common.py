"""Shared helpers (planner.common): writing outputs safely, names from input text, numbers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from planner.common import (
    MAX_SLUG_CHARS,
    PLAIN_NUMBER_RE,
    atomic_write_bytes,
    atomic_write_text,
    bounded_name,
    check_input_file,
    check_not_input,
    guard_inputs,
    output_path_problem,
)
from planner.errors import OutputError, PlannerError


def _entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(
    ("target", "needle"),
    [
        ("folder", "is a folder"),  # a folder where the file goes
        ("file.txt/out.json", "file.txt is a file, not a folder"),  # under a file
        ("file.txt/sub/out.json", "file.txt is a file, not a folder"),
        ("x" * 300 + ".json", "longer than the file system allows"),
    ],
)
def test_atomic_write_fails_as_a_planner_error(tmp_path: Path, target: str, needle: str) -> None:
    """A write that cannot be done is an OutputError naming the path, never a bare OSError."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("mine")
    before = _entries(tmp_path)
    with pytest.raises(OutputError, match=needle) as exc:
        atomic_write_bytes(tmp_path / target, b"data")
    assert isinstance(exc.value, PlannerError) and isinstance(exc.value, OSError)
    assert str(tmp_path) in str(exc.value) and "\n" not in str(exc.value)
    assert _entries(tmp_path) == before and (tmp_path / "file.txt").read_text() == "mine"
    assert _entries(tmp_path / "folder") == []


def test_inputs_are_never_overwritten(tmp_path: Path) -> None:
    """Inside guard_inputs a file read as an input is refused as an output, by any name."""
    source = tmp_path / "visits.csv"
    source.write_text("site_id\n")
    (tmp_path / "link.csv").symlink_to(source)
    os.link(source, tmp_path / "hard.csv")
    atomic_write_text(tmp_path / "other.csv", "written before any input was read")
    with guard_inputs():
        check_input_file(source, what="site file")
        for name in ("visits.csv", "link.csv", "hard.csv", "sub/../visits.csv"):
            with pytest.raises(OutputError, match="input file of this command"):
                atomic_write_text(tmp_path / name, "over the input")
        with pytest.raises(OutputError, match=r"--out .*: would write .*visits\.csv"):
            check_not_input(source, option="--out", given=tmp_path)
        atomic_write_text(tmp_path / "other.csv", "not an input: written")
    assert source.read_text() == "site_id\n"
    assert (tmp_path / "other.csv").read_text() == "not an input: written"
    # Outside the guard (Python callers) nothing is remembered.
    atomic_write_text(tmp_path / "hard.csv", "replaced")
    assert (tmp_path / "hard.csv").read_text() == "replaced"


def test_check_not_input_names_the_option(tmp_path: Path) -> None:
    """An output option naming one of the inputs is refused before any work."""
    problem = tmp_path / "problem.json"
    problem.write_text("{}")
    with pytest.raises(OutputError, match=r"^--out .*problem\.json: is an input file"):
        check_not_input(problem, [problem], option="--out")
    (tmp_path / "link.json").symlink_to(problem)
    with pytest.raises(OutputError, match=r"link\.json: is an input file.*\(as .*problem\.json\)"):
        check_not_input(tmp_path / "link.json", [problem], option="--out")
    with pytest.raises(OutputError, match="is an input file"):  # through a folder not made yet
        check_not_input(tmp_path / "new" / ".." / "problem.json", [problem], option="--out")
    check_not_input(tmp_path / "solution.json", [problem, None], option="--out")


@pytest.mark.parametrize(
    ("path", "folder", "needle"),
    [
        ("file.txt", True, "is a file, not a folder"),
        ("file.txt/run", True, "file.txt is a file, not a folder"),
        ("folder", False, "is a folder"),
        ("file.txt/a/b.json", False, "file.txt is a file, not a folder"),
        ("a\0b", False, "not a usable path"),
    ],
)
def test_output_path_problem(tmp_path: Path, path: str, folder: bool, needle: str) -> None:
    """A file where a folder is written, a folder where a file is, or a path under a file."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("")
    problem = output_path_problem(tmp_path / path, folder=folder)
    assert problem is not None and needle in problem


def test_output_path_fine(tmp_path: Path) -> None:
    """Missing paths (made on writing), folders for folders and files for files are fine."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("")
    assert output_path_problem(tmp_path / "folder", folder=True) is None
    assert output_path_problem(tmp_path / "file.txt", folder=False) is None
    assert output_path_problem(tmp_path / "new" / "deeper", folder=True) is None
    assert output_path_problem(tmp_path / "folder" / "new.json", folder=False) is None


def test_bounded_name() -> None:
    """Names from input text are bounded, unique per text, and readable when short."""
    long_a, long_b = "Northshire" * 30, "Northshire" * 30 + "!"
    names = {bounded_name(t.lower(), t, fallback="x") for t in (long_a, long_b)}
    assert len(names) == 2
    assert all(len(n) <= MAX_SLUG_CHARS + 9 for n in names)
    assert bounded_name("short", "short", fallback="x", always_hash=False) == "short"
    assert bounded_name("", "Полиция", fallback="force", always_hash=False).startswith("force-")
    wide = bounded_name("ж" * 100, "ж" * 100, fallback="x")
    assert len(os.fsencode(wide)) <= 2 * MAX_SLUG_CHARS + 9
    assert bounded_name("a", "a", fallback="x") != bounded_name("a", "A", fallback="x")


@pytest.mark.parametrize("text", ["1", "-1.5", "+.5", "2.", "1e6", "7E-3"])
def test_plain_numbers(text: str) -> None:
    """What people write in a numeric cell."""
    assert PLAIN_NUMBER_RE.fullmatch(text)


@pytest.mark.parametrize("text", ["٣", "１２", "3\u0663", "1_000", "nan", "inf", "1,5", " 1", ""])
def test_not_plain_numbers(text: str) -> None:
    """float() takes some of these; a numeric cell must not (ASCII digits only)."""
    assert not PLAIN_NUMBER_RE.fullmatch(text)
