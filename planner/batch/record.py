"""An area's resume record, ``batch.json``: what a finished area wrote, and proof it is all there.

When an area's run folder is in place, the batch writes ``batch.json`` in it, last and through
the atomic writer (a kill leaves the whole record or none): the area's result, the content hash
of its inputs, the run's settings (solver stop, map mode) and the SHA-256 of every file the run
wrote (``plan.json``, ``map.html``, ``summary.md``, the marker...). A later batch skips the area
only when all of it still holds: the record reads back whole, inputs and settings are the same,
and every file is there with the recorded content. Anything else - no record, a corrupt or
truncated one, a missing or changed file - is a reason to plan the area again, never to fail
it: :func:`check_record` says which, for the log.

A record names its files relative to the run folder, so a copied or moved output folder still
resumes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from planner.common import atomic_write_bytes
from planner.outputs.folder import read_marker

RECORD = "batch.json"
"""The record's file name, in the area's run folder."""
SCHEMA = "planner.batch-area/3"
"""The record's schema: a record of any other schema (an older planner's) is not trusted.

Version 3: an area's result counts rejected sites, and its ``required_missed`` includes their
required visits."""
_SCHEMA_FAMILY = "planner.batch-area/"
MAX_RECORD_BYTES = 64 * 1024 * 1024
"""Largest record read: ten thousand routes' files and hashes take a few MB."""
# What the atomic writer leaves beside the record if the batch is killed mid-write.
_HALF_RECORD = re.compile(r"\." + re.escape(RECORD) + r"\..+\.tmp")
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Resume:
    """What :func:`check_record` found.

    Attributes
    ----------
    result
        The recorded result (field name to value) when the area may be skipped, else ``None``.
    why
        Why the area must be planned again ("" when it may be skipped).
    files
        The recorded files, relative to the run folder (empty unless it may be skipped).
    suspect
        Whether the reason is damage (a corrupt record, a missing or changed file) rather than
        a change of inputs or settings, or no record yet.
    """

    result: dict[str, Any] | None
    why: str = ""
    files: tuple[str, ...] = ()
    suspect: bool = False


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's content, hex; the file itself, never what a link points to."""
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_record(
    run_dir: Path,
    *,
    result: Mapping[str, Any],
    settings: Mapping[str, Any],
    files: Iterable[Path | str],
) -> Path:
    """Write ``run_dir/batch.json`` atomically, with the SHA-256 of each of ``files``.

    Parameters
    ----------
    run_dir
        The area's run folder, complete.
    result
        The area's result (JSON-serialisable), including its ``input_hash``.
    settings
        The run settings the outputs depend on besides the inputs.
    files
        Every file the run wrote, relative to ``run_dir``.
    """
    names = sorted({PurePosixPath(Path(f).as_posix()).as_posix() for f in files})
    doc = {
        "schema": SCHEMA,
        "result": dict(result),
        "settings": dict(settings),
        "files": {name: sha256_file(run_dir / name) for name in names},
    }
    path = run_dir / RECORD
    atomic_write_bytes(path, json.dumps(doc, indent=1).encode("ascii"))
    return path


def clear_record(run_dir: Path) -> None:
    """Remove the record and any half-written one a kill left, before the area is planned again.

    A stale record must never be paired with a new run, and the atomic writer's leftover would
    make the run folder look like it holds something the planner did not write. Only a planner
    run folder is touched: anything else at ``run_dir`` is the run's to refuse, untouched.
    """
    if read_marker(run_dir) is None:
        return
    with contextlib.suppress(FileNotFoundError, IsADirectoryError):
        os.unlink(run_dir / RECORD)
    with contextlib.suppress(OSError):
        for entry in os.scandir(run_dir):
            if _HALF_RECORD.fullmatch(entry.name) and not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.path)


def check_record(run_dir: Path, *, input_hash: str, settings: Mapping[str, Any]) -> Resume:
    """Whether the area in ``run_dir`` may be skipped: its record and every recorded file hold.

    Parameters
    ----------
    run_dir
        The area's run folder.
    input_hash
        The content hash of the area's inputs now.
    settings
        The run settings now (see :func:`write_record`).

    Returns
    -------
    Resume
        The recorded result and files, or why the area must be planned again.
    """
    path = run_dir / RECORD
    if not os.path.lexists(path):
        return Resume(None, "it has no finished run yet")
    try:
        doc = _read(path)
    except (OSError, ValueError) as exc:
        return Resume(None, f"its {RECORD} cannot be read ({exc})", suspect=True)
    schema = doc.get("schema") if isinstance(doc, dict) else None
    if isinstance(schema, str) and schema != SCHEMA and schema.startswith(_SCHEMA_FAMILY):
        # Not damage: another planner version wrote it, with other fields in its result.
        return Resume(None, f"its {RECORD} was written by another planner version ({schema})")
    if not isinstance(doc, dict) or schema != SCHEMA:
        return Resume(None, f"its {RECORD} is not a record this planner wrote", suspect=True)
    result, files, recorded = doc.get("result"), doc.get("files"), doc.get("settings")
    if not (isinstance(result, dict) and isinstance(files, dict) and isinstance(recorded, dict)):
        return Resume(None, f"its {RECORD} is incomplete", suspect=True)
    if result.get("status") != "ok":
        return Resume(None, "its last run did not finish")
    if result.get("input_hash") != input_hash:
        return Resume(None, "its inputs changed")
    if recorded != dict(settings):
        return Resume(None, f"the run settings changed ({_changes(recorded, settings)})")
    for name, digest in sorted(files.items()):
        problem = _file_problem(run_dir, name, digest)
        if problem:
            return Resume(None, problem, suspect=True)
    return Resume(result, files=tuple(sorted(files)))


def _read(path: Path) -> object:
    """The record's JSON; OSError or ValueError if it is not a readable, whole UTF-8 JSON file."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(MAX_RECORD_BYTES + 1)
    if len(data) > MAX_RECORD_BYTES:
        raise ValueError(f"larger than {MAX_RECORD_BYTES} bytes")
    return json.loads(data.decode("utf-8"))


def _file_problem(run_dir: Path, name: object, digest: object) -> str:
    """What is wrong with one recorded file ("" if it is there with the recorded content)."""
    if not isinstance(name, str) or not isinstance(digest, str) or not _HEX64.fullmatch(digest):
        return f"its {RECORD} is corrupt (a file entry is malformed)"
    rel = PurePosixPath(name)
    # A record only ever names files inside its run folder; anything else was not written by us.
    if rel.is_absolute() or not rel.parts or ".." in rel.parts or name == RECORD:
        return f"its {RECORD} names a file outside its run folder ({name!r})"
    try:
        actual = sha256_file(run_dir / rel)
    except FileNotFoundError:
        return f"{name} is missing"
    except OSError as exc:
        return f"{name} cannot be read ({exc.strerror or exc})"
    if actual != digest:
        return f"{name} changed since it was written"
    return ""


def _changes(before: Mapping[str, Any], now: Mapping[str, Any]) -> str:
    keys = sorted(set(before) | set(now))
    return ", ".join(
        f"{k} {before.get(k)!r} -> {now.get(k)!r}" for k in keys if before.get(k) != now.get(k)
    )
