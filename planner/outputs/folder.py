"""Putting a run folder in place safely: its marker, a lock, the swap and recovery after a kill.

A run is written whole into a temporary sibling folder and then swapped in by renames, so
``out`` never holds half a run, a kill at any instant leaves a complete run under a name the
next run recognises, and nothing the planner did not write is ever moved or deleted.

The names, all in ``out``'s parent folder (``NAME`` is ``out``'s name)::

    NAME/                  the run folder; its marker file .planner-run says it is one
    .NAME.lock             locked (flock) while a run is written into NAME; 0600, removed after
    .NAME.tmp-XXXXXXXX     a new run being written (8 random letters or digits)
    .NAME.old-XXXXXXXX     the previous run, moved aside for the instant of the swap

**What ``out`` may be** (:func:`check_run_folder`): a missing path, an empty folder, or a
previous run folder: one whose marker is the planner's (JSON: ``planner``, ``schema``
:data:`MARKER_SCHEMA`, the run, and the list of every file the run wrote) and that holds
nothing but those files (and :data:`RUN_EXTRAS`). Anything else - a file, a symbolic link, a
mount point, the current folder, a folder holding anything else (``--out .`` in the config's
folder), a path under a file (``sites.csv/run``), a name too long for ``.NAME.tmp-XXXXXXXX``
(:data:`MAX_RUN_NAME_BYTES`) - is refused with an :class:`~planner.errors.InputError` before
anything is written.

**The sequence** (:func:`write_folder`, for :func:`planner.outputs.run.write_run` and the
evaluation folder; each step one rename or removal):

1. Take the lock: open ``.NAME.lock`` (0600) and ``flock`` it. Another planner writing the same
   folder holds it: wait up to ``timeout_s`` (:data:`LOCK_TIMEOUT_S`, long enough for another
   run's files to be written) for it to finish, then fail with an InputError. The second run
   then replaces the first whole: two runs never mix, the last one wins.
2. Recover (:func:`recover`): if ``NAME`` is missing and a complete ``.NAME.old-*`` exists
   (marker and ``plan.json``), rename it back to ``NAME``. Then delete every other
   ``.NAME.tmp-*`` and ``.NAME.old-*`` that holds the planner's marker, is empty or holds only a
   half-written marker; anything else under those names is left alone, with a warning.
3. Check ``NAME`` (above).
4. Write the new run into a fresh ``.NAME.tmp-*`` (0700): the marker first, so a kill leaves a
   folder step 2 recognises; every file through the atomic writer; the marker again with the
   list of files; ``plan.json`` last. A run folder is complete when it has both.
5. If ``NAME`` exists, rename it to a fresh ``.NAME.old-*``. Killed here, ``NAME`` is missing and
   step 2 of the next run renames the old run back.
6. Rename ``.NAME.tmp-*`` to ``NAME``: the new run is in place. If this rename fails, the old
   run is renamed back at once.
7. Delete ``.NAME.old-*``: ``plan.json`` first (so it is never restored over a newer run), the
   marker last (so a kill leaves a folder step 2 still recognises and deletes).
8. Remove the lock file, still holding the lock, then release it. A run waiting for the lock
   sees its file gone and locks a new one (a kill leaves the file; the next run removes it).

So at every instant either the old or the new run is complete under ``NAME`` or ``.NAME.old-*``,
and every leftover of a kill (which may hold MPs' addresses) is deleted by the next run into
the same folder.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import cast

from planner.common import MAX_NAME_BYTES, output_path_problem
from planner.errors import InputError

log = logging.getLogger(__name__)

#: The marker file that identifies a folder as a planner run folder.
RUN_MARKER = ".planner-run"
#: Who writes run folders, and the marker's schema: both must match for a folder to be ours.
PLANNER = "patrol-planner"
MARKER_SCHEMA = "planner.run/1"
#: Files other parts of the planner add to a run folder after it is written
#: (planner.batch's ``batch.json``): a previous run holding them may still be replaced.
RUN_EXTRAS = frozenset({"batch.json"})
#: How long a run waits for another planner run writing the same folder (seconds).
LOCK_TIMEOUT_S = 60.0
#: Largest marker file read: a run with ten thousand routes lists about 1 MB of file names.
_MAX_MARKER_BYTES = 16 * 1024 * 1024
_LOCK_POLL_S = 0.05
#: Longest run folder name: ``.NAME.tmp-XXXXXXXX`` beside it must fit a file name too.
MAX_RUN_NAME_BYTES = MAX_NAME_BYTES - len("..tmp-") - 8
# Temporary names end in 8 characters: ours are hex digits; earlier planners used mkdtemp's.
_LEFTOVER = re.compile(r"(?P<kind>tmp|old)-[a-z0-9_]{8}")
# The atomic writer's temporary file for the marker (planner.common.atomic_write_bytes).
_HALF_MARKER = re.compile(r"\." + re.escape(RUN_MARKER) + r"\..+\.tmp")


# ----------------------------------------------------------------------------- the marker


def marker_text(about: Mapping[str, object], files: Iterable[Path]) -> str:
    """The marker's content: who wrote the folder, its schema, the run, and every file written."""
    doc = {
        "planner": PLANNER,
        "schema": MARKER_SCHEMA,
        **about,
        "files": sorted(p.as_posix() for p in files),
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def read_marker(folder: Path) -> dict[str, object] | None:
    """The planner's marker in ``folder``, or ``None`` if it has none (or not the planner's)."""
    path = folder / RUN_MARKER
    try:
        # A marker is a file written there: not a link to one elsewhere, nor a pipe to wait on.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(_MAX_MARKER_BYTES + 1)
        doc = json.loads(data.decode("utf-8")) if len(data) <= _MAX_MARKER_BYTES else None
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or (doc.get("planner"), doc.get("schema")) != (
        PLANNER,
        MARKER_SCHEMA,
    ):
        return None
    files = doc.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return doc


def _is_complete(folder: Path) -> bool:
    """Whether ``folder`` holds a whole run: the planner's marker and ``plan.json``."""
    return read_marker(folder) is not None and (folder / "plan.json").is_file()


def _is_ours(folder: Path) -> bool:
    """Whether a leftover may be deleted: it holds our marker, nothing, or half a marker."""
    if not folder.is_dir() or folder.is_symlink():
        return False
    names = os.listdir(folder)
    if all(_HALF_MARKER.fullmatch(n) for n in names):
        return True
    return read_marker(folder) is not None


# ----------------------------------------------------------------------------- checking


def _foreign_entries(out: Path, files: Iterable[str]) -> list[str]:
    """Entries of run folder ``out`` its marker does not list (nor :data:`RUN_EXTRAS`)."""
    allowed = set(RUN_EXTRAS)
    for f in files:
        allowed.update(p.as_posix() for p in (Path(f), *Path(f).parents) if p != Path("."))
    foreign = []
    for dirpath, dirnames, filenames in os.walk(out, onerror=_raise):
        rel = Path(dirpath).relative_to(out)
        for name in sorted(dirnames + filenames):
            entry = (rel / name).as_posix()
            if entry not in allowed:
                foreign.append(entry + ("/" if name in dirnames else ""))
        # What is not ours is listed once, not walked.
        dirnames[:] = [d for d in dirnames if (rel / d).as_posix() in allowed]
    return foreign


def _raise(exc: OSError) -> None:
    """Stop a walk at a folder it cannot read: what is in it would go unchecked."""
    raise exc


def _refuse(out: Path, why: str) -> InputError:
    return InputError(
        f"{why}; a run is written only into a new or empty folder or over a previous run "
        "folder, so that nothing else is ever moved or deleted: choose a new or empty folder "
        "for --out",
        path=out,
    )


def check_run_folder(out: Path) -> None:
    """Refuse ``out`` unless it is missing, an empty folder or a previous run folder.

    Parameters
    ----------
    out
        The run folder, absolute.

    Raises
    ------
    InputError
        If ``out`` is anything else (see the module docstring), naming what is in the way.
    """
    if not out.name:
        raise _refuse(out, "is the root folder")
    if len(os.fsencode(out.name)) > MAX_RUN_NAME_BYTES:
        raise InputError(
            f"the folder name is {len(os.fsencode(out.name))} bytes long; the longest a run "
            f"folder's name may be is {MAX_RUN_NAME_BYTES}: choose a shorter --out",
            path=out,
        )
    if out.is_symlink():
        raise _refuse(out, "is a symbolic link")
    if not out.exists():
        # Missing, but maybe under a file (sites.csv/run): say so before anything is written.
        problem = output_path_problem(out, folder=True)
        if problem is not None:
            raise InputError(f"{problem} (--out)", path=out)
        return
    if not out.is_dir():
        raise _refuse(out, "exists and is not a folder")
    names = os.listdir(out)
    if names:
        marker = read_marker(out)
        if marker is None:
            shown = ", ".join(sorted(names)[:5]) + (", ..." if len(names) > 5 else "")
            raise _refuse(
                out, f"holds {len(names)} files or folders and is not a run folder ({shown})"
            )
        foreign = _foreign_entries(out, cast("list[str]", marker["files"]))
        if foreign:
            shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            raise _refuse(
                out,
                f"is a run folder but holds {len(foreign)} things the planner did not write ({shown})",
            )
    cwd = os.path.realpath(os.getcwd())
    real = os.path.realpath(out)
    if cwd == real or cwd.startswith(real + os.sep):
        raise _refuse(
            out,
            "is (or holds) the current folder: replacing it would leave you in a deleted folder",
        )
    if os.path.ismount(out):
        raise _refuse(out, "is a mount point, which cannot be replaced")


# ----------------------------------------------------------------------------- the lock


@contextlib.contextmanager
def run_lock(out: Path, *, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[Path]:
    """Hold ``.NAME.lock`` beside ``out`` while writing it (step 1 and 8 of the module docstring).

    Raises
    ------
    InputError
        If another planner run still holds the lock after ``timeout_s`` seconds.
    """
    path = out.parent / f".{out.name}.lock"
    deadline = time.monotonic() + timeout_s
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            _wait_for_lock(fd, deadline, out, path)
            held = os.fstat(fd)
            try:
                now = os.stat(path, follow_symlinks=False)
            except FileNotFoundError:
                now = None
        except BaseException:
            os.close(fd)
            raise
        if now is not None and (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino):
            break
        # The run that held it removed this file as it finished: lock the file there now.
        os.close(fd)
    try:
        os.fchmod(fd, 0o600)
        yield path
    finally:
        try:
            # Removed while still held, so a waiting run notices and locks a new file.
            os.unlink(path)
        finally:
            os.close(fd)


def _wait_for_lock(fd: int, deadline: float, out: Path, path: Path) -> None:
    """``flock`` ``fd``, polling until ``deadline``; InputError if it stays held elsewhere."""
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
        left_s = deadline - time.monotonic()
        if left_s <= 0:
            raise InputError(
                f"another planner run is writing this folder (it holds {path.name}); wait for "
                "it to finish, or choose another --out",
                path=out,
            )
        time.sleep(min(_LOCK_POLL_S, left_s))


# ----------------------------------------------------------------------------- swap and recovery


def _leftovers(out: Path) -> list[tuple[str, Path]]:
    """``(kind, path)`` of every ``.NAME.tmp-*`` and ``.NAME.old-*`` beside ``out``."""
    prefix = f".{out.name}."
    found = []
    for name in sorted(os.listdir(out.parent)):
        m = _LEFTOVER.fullmatch(name[len(prefix) :]) if name.startswith(prefix) else None
        if m:
            found.append((m["kind"], out.parent / name))
    return found


def recover(out: Path) -> None:
    """Undo what a killed run left beside ``out`` (step 2 of the module docstring)."""
    left = _leftovers(out)
    if not os.path.lexists(out):
        complete = [p for kind, p in left if kind == "old" and _is_complete(p)]
        if complete:
            newest = max(complete, key=lambda p: (p / "plan.json").stat().st_mtime_ns)
            os.rename(newest, out)
            _fsync_dir(out.parent)
            log.warning(
                "restored the run folder %s from %s, left by a run that was stopped",
                out,
                newest.name,
            )
            left = [(k, p) for k, p in left if p != newest]
    for _kind, path in left:
        if _is_ours(path):
            log.info("removing %s, left by a run that was stopped", path)
            discard(path)
        else:
            log.warning("leaving %s alone: it is named like a planner folder but is not one", path)


def new_tmp(out: Path) -> Path:
    """Create a fresh, owner-only ``.NAME.tmp-*`` folder beside ``out``."""
    while True:
        tmp = _fresh_name(out, "tmp")
        try:
            os.mkdir(tmp, 0o700)
            return tmp
        except FileExistsError:
            continue


def _fresh_name(out: Path, kind: str) -> Path:
    while True:
        path = out.parent / f".{out.name}.{kind}-{secrets.token_hex(4)}"
        if not os.path.lexists(path):
            return path


def swap_in(tmp: Path, out: Path) -> None:
    """Put the finished run ``tmp`` at ``out`` (steps 5 to 7 of the module docstring)."""
    _fsync_tree_dirs(tmp)
    old = None
    if os.path.lexists(out):
        old = _fresh_name(out, "old")
        os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        if old is not None:  # put the previous run back at once
            os.rename(old, out)
        raise
    _fsync_dir(out.parent)
    if old is not None:
        try:
            discard(old)
        except OSError as exc:
            # The new run is in place: say so rather than fail; the next run deletes the rest.
            log.warning("could not delete the previous run %s: %s", old, exc)


def discard(folder: Path) -> None:
    """Delete a run folder so that, if killed, what is left is still recognisably ours.

    ``plan.json`` goes first (an incomplete run is never restored) and the marker last (what is
    left still has it, or is empty, so :func:`recover` deletes it).
    """
    if not os.path.lexists(folder):
        return
    with contextlib.suppress(FileNotFoundError):
        os.unlink(folder / "plan.json")
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name == RUN_MARKER:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(folder / RUN_MARKER)
    os.rmdir(folder)


def write_folder(
    out_dir: str | Path,
    write: Callable[[Path], list[Path]],
    *,
    sensitive: bool,
    lock_timeout_s: float = LOCK_TIMEOUT_S,
) -> tuple[Path, list[Path]]:
    """Write a planner folder whole, or not at all: the protocol of the module docstring.

    ``out_dir`` is checked (before the lock too, so a refused folder leaves no lock file
    beside it), locked against other planner commands, recovered from a stopped run, then
    ``write(tmp)`` writes every file into a fresh temporary sibling and returns them
    (relative paths); their modes are set (:func:`set_modes`) and the folder is swapped in.
    On any failure the temporary folder is deleted and the previous folder is left as it was.

    Returns
    -------
    tuple
        The folder's absolute path and the files ``write`` wrote.
    """
    out = Path(os.path.abspath(out_dir))
    check_run_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with run_lock(out, timeout_s=lock_timeout_s):
        recover(out)
        check_run_folder(out)
        tmp = new_tmp(out)
        try:
            files = write(tmp)
            set_modes(tmp, sensitive)
            swap_in(tmp, out)
        except BaseException:
            discard(tmp)
            raise
    return out, files


def set_modes(root: Path, sensitive: bool) -> None:
    """Owner-only for sensitive folders; otherwise what the umask allows (mkstemp makes 0600)."""
    if sensitive:
        dmode, fmode = 0o700, 0o600
    else:
        umask = os.umask(0)
        os.umask(umask)
        dmode, fmode = 0o777 & ~umask, 0o666 & ~umask
    for dirpath, _dirs, names in os.walk(root):
        os.chmod(dirpath, dmode)
        for n in names:
            os.chmod(os.path.join(dirpath, n), fmode)


def _fsync_dir(path: Path) -> None:
    """Make renames in ``path`` durable (a power cut must not undo a swap)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree_dirs(root: Path) -> None:
    """Make every file's name in ``root`` durable before the folder is swapped in."""
    for dirpath, _dirs, _files in os.walk(root):
        _fsync_dir(Path(dirpath))
