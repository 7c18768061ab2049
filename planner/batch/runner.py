"""Batch runs: the weekly plan for many force areas, in parallel, locally or on Dask.

Each area runs in its own process (locally) or task (Dask) through :func:`run_area`, which never
raises: a failing area comes back as a result with its error, and the others go on. A crashed
local process (even a hard crash in native code) is reported as that area's failure.

Resuming: an area is skipped only when its last run finished and is still there whole: its
inputs are unchanged (hashed by content: the config file, its network file (or synthetic
settings), its boundary, site and crime files, and the planner's version), the run settings are
the same, and every file the run wrote still has the content recorded in the area's
``batch.json`` (:mod:`.record`, written last and atomically). Anything else - an interrupted
area, a corrupt record, a deleted map - is logged and the area is planned again.

Everything the batch writes is for the planner's user only (folders ``0700``, files ``0600``):
plans may hold MPs' premises. Links in ``index.html`` are relative, percent-encoded paths, so
no folder name can become a ``javascript:`` or other link.

Scale-out uses Dask distributed (``scheduler`` = ``"tcp://host:8786"`` or a ``Client``); the
same :func:`run_area` runs on the workers, so the plans equal the local run's for the same
seeds. The workers need this package installed and the config, data and output paths
visible at the same locations (a shared filesystem).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import multiprocessing as mp
import os
import stat
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from planner import __version__
from planner.batch.record import check_record, clear_record, write_record
from planner.common import MAX_SLUG_CHARS, atomic_write_bytes, bounded_name, write_csv
from planner.errors import InputError
from planner.outputs.folder import PLANNER

log = logging.getLogger(__name__)

#: The marker file that identifies a folder as a batch's output folder (JSON: ``planner`` and
#: ``schema``). A batch writes only into a new or empty folder or one holding it.
BATCH_MARKER = ".planner-batch"
BATCH_SCHEMA = "planner.batch/1"
_MAX_BATCH_MARKER_BYTES = 4096

SUMMARY_COLUMNS = (
    "area",
    "status",
    "visits_planned",
    "visits_required",
    "required_missed",
    "rejected_sites",
    "harm_covered",
    "harm_total",
    "hours_used",
    "hours_funded",
    "solve_time_s",
    "map",
    "error",
)


@dataclass(frozen=True)
class AreaResult:
    """How one area's run ended (one row of the national summary).

    ``required_missed`` counts the plan's required visits not made, those asked for by site-file
    records that are not in the plan included (:attr:`planner.planning.plan.Plan.required_missed`);
    ``rejected_sites`` counts those records.
    """

    area: str
    config: str
    status: str  # "ok", "failed" or "skipped" (unchanged since the last run)
    run_dir: str
    input_hash: str = ""
    visits_planned: int = 0
    visits_required: int = 0
    required_missed: int = 0
    rejected_sites: int = 0
    harm_covered: float = 0.0
    harm_total: float = 0.0
    hours_used: float = 0.0
    hours_funded: float = 0.0
    solve_time_s: float = 0.0
    wall_time_s: float = 0.0
    map: str = ""
    marking: str = "OFFICIAL"
    peak_rss_mb: float = 0.0
    error: str = ""

    def row(self) -> dict[str, object]:
        """The national summary's row."""
        d = asdict(self)
        return {k: (round(d[k], 2) if isinstance(d[k], float) else d[k]) for k in SUMMARY_COLUMNS}

    @classmethod
    def from_record(cls, doc: Mapping[str, Any]) -> AreaResult:
        """The result kept in a resume record, checked field by field.

        Raises
        ------
        ValueError
            If a field is missing, unknown or of the wrong type.
        """
        fields = {f.name: f.type for f in dataclasses.fields(cls)}
        if set(doc) != set(fields):
            raise ValueError(f"fields {sorted(set(doc) ^ set(fields))} missing or unknown")
        for name, kind in fields.items():
            value = doc[name]
            ok = (
                isinstance(value, str)
                if kind == "str"
                else (isinstance(value, int | float) if kind == "float" else isinstance(value, int))
            )
            if not ok or isinstance(value, bool):
                raise ValueError(f"{name} is {type(value).__name__}, not {kind}")
        return cls(**doc)


@dataclass(frozen=True)
class BatchOptions:
    """Settings shared by every area of a batch."""

    out_dir: str
    cache_dir: str
    time_limit_s: float | None = None
    iterations: int | None = None
    force: bool = False
    secure: bool | None = None
    status_dir: str | None = None


# ----------------------------------------------------------------------------- one area


def area_name(config_path: str | Path) -> str:
    """The area's folder name: the config's file name, or its folder for ``force.toml``."""
    # Absolute first: the folder of "force.toml" or "../force.toml" has a name, not "" or "..".
    p = Path(os.path.abspath(config_path))
    name = p.parent.name if p.stem == "force" else p.stem
    # A file name fits the file system, but a run folder's temporary names beside it
    # (.NAME.tmp-XXXXXXXX) may not: long names are cut, with a hash to keep them apart.
    if len(os.fsencode(name)) > 2 * MAX_SLUG_CHARS:
        name = bounded_name(name, name, fallback="area")
    return name


def _hash_file(h: Any, path: Path) -> None:
    h.update(str(path.name).encode())
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)


def input_hash(config_path: str | Path) -> str:
    """Content hash of everything an area's plan depends on."""
    from planner.config import load_config

    config = load_config(config_path)
    h = hashlib.sha256(f"planner {__version__}".encode())
    _hash_file(h, Path(config_path))
    if config.area.network is not None:
        _hash_file(h, config.path(config.area.network))
    if config.area.boundary is not None:
        _hash_file(h, config.path(config.area.boundary))
    for f in [*config.site_files(), *config.incident_files()]:
        _hash_file(h, f)
    return h.hexdigest()[:32]


def _stage(options: BatchOptions, area: str, stage: str) -> None:
    """Tell the progress display what an area is doing (a tiny file per area).

    On a Dask cluster this needs the shared filesystem the batch needs anyway; without it the
    display shows only waiting and finished areas.
    """
    if options.status_dir is None:
        return
    # Progress is best-effort: never fail an area over it.
    with contextlib.suppress(OSError):
        atomic_write_bytes(Path(options.status_dir) / f"{area}.stage", stage.encode())


def _peak_rss_mb() -> float:
    """Peak resident memory of this process, MiB (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _settings(options: BatchOptions) -> dict[str, Any]:
    """The run settings an area's outputs depend on besides its inputs (kept in its record)."""
    return {
        "time_limit_s": options.time_limit_s,
        "iterations": options.iterations,
        "secure": options.secure,
    }


def owner_only(root: Path) -> None:
    """Make ``root`` and everything in it readable by the planner's user only (0700/0600)."""
    for dirpath, dirnames, names in os.walk(root):
        os.chmod(dirpath, 0o700)
        for n in [*names, *dirnames]:
            p = os.path.join(dirpath, n)
            if not os.path.islink(p):
                os.chmod(p, 0o700 if n in dirnames else 0o600)


def _resumed(
    config_path: str, run_dir: Path, digest: str, options: BatchOptions
) -> AreaResult | None:
    """The area's previous result if its run is still there whole, else ``None`` (logged why)."""
    area = area_name(config_path)
    resume = check_record(run_dir, input_hash=digest, settings=_settings(options))
    previous = None
    if resume.result is not None:
        try:
            previous = AreaResult.from_record(resume.result)
            if previous.area != area:
                raise ValueError(f"it is the record of area {previous.area!r}")
        except (TypeError, ValueError) as exc:
            resume = dataclasses.replace(resume, why=f"its record is corrupt ({exc})", suspect=True)
            previous = None
    if previous is None:
        log.log(
            logging.WARNING if resume.suspect else logging.INFO,
            "area %s: planning it again: %s",
            area,
            resume.why,
        )
        return None
    try:
        # Tightens folders an older planner left group-readable; the content is unchanged.
        owner_only(run_dir)
    except OSError as exc:
        log.warning("area %s: could not make its run folder owner-only: %s", area, exc)
    return dataclasses.replace(
        previous,
        config=str(config_path),
        status="skipped",
        run_dir=str(run_dir),
        wall_time_s=0.0,
        map=str(run_dir / "map.html") if "map.html" in resume.files else "",
    )


def run_area(config_path: str, options: BatchOptions) -> AreaResult:
    """Plan one area and write its run folder; never raises (errors become the result)."""
    area = area_name(config_path)
    run_dir = Path(options.out_dir) / area
    started = time.perf_counter()
    digest = ""
    try:
        _stage(options, area, "loading")
        digest = input_hash(config_path)
        if not options.force:
            skipped = _resumed(config_path, run_dir, digest, options)
            if skipped is not None:
                _stage(options, area, "skipped")
                return skipped
        clear_record(run_dir)
        from planner.config import load_config
        from planner.outputs.run import write_run
        from planner.planning.pipeline import prepare_week
        from planner.planning.week import make_plan, stop_from

        config = load_config(config_path)
        inputs = prepare_week(config, cache_dir=options.cache_dir)
        _stage(options, area, "solving")
        stop = stop_from(config, options.time_limit_s, options.iterations)
        result = make_plan(config, cache_dir=options.cache_dir, stop=stop, inputs=inputs)
        _stage(options, area, "writing")
        run = write_run(result, run_dir, secure=options.secure)
        plan = result.plan
        out = AreaResult(
            area=area,
            config=str(config_path),
            status="ok",
            run_dir=str(run_dir),
            input_hash=digest,
            visits_planned=len(plan.stops),
            visits_required=len(plan.stops) + len(plan.unserved),
            required_missed=plan.required_missed,
            rejected_sites=len(plan.rejected),
            harm_covered=plan.prize_covered,
            harm_total=plan.prize_total,
            hours_used=plan.budget["used_officer_hours"],
            hours_funded=plan.budget["funded_officer_hours"],
            solve_time_s=float(plan.solver.get("solve_time_s", 0.0)),
            wall_time_s=time.perf_counter() - started,
            map=str(run.path / "map.html") if (run.path / "map.html").exists() else "",
            marking=plan.protective_marking,
            peak_rss_mb=_peak_rss_mb(),
        )
        owner_only(run.path)
        # Last: a kill before this leaves no record, and the area is planned again.
        write_record(run_dir, result=asdict(out), settings=_settings(options), files=run.files)
        _stage(options, area, "done")
        return out
    except Exception as exc:
        log.debug("area %s failed", area, exc_info=True)
        _stage(options, area, "failed")
        message = (
            str(exc)
            if isinstance(exc, InputError) or exc.__class__.__module__.startswith("planner")
            else f"{type(exc).__name__}: {exc}"
        )
        return AreaResult(
            area=area,
            config=str(config_path),
            status="failed",
            run_dir=str(run_dir),
            input_hash=digest,
            wall_time_s=time.perf_counter() - started,
            error=message.splitlines()[0] if message else type(exc).__name__,
        )


def _child(config_path: str, options: BatchOptions, queue: Any) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    queue.put(asdict(run_area(config_path, options)))


# ----------------------------------------------------------------------------- many areas


def find_configs(paths: Sequence[str | Path]) -> list[Path]:
    """Config files from files and folders (a folder: its ``*.toml`` and ``*/force.toml``)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            # Hidden files and folders are not configs (editors' backups, .git...).
            found = [*sorted(p.glob("*.toml")), *sorted(p.glob("*/force.toml"))]
            out.extend(f for f in found if not f.relative_to(p).parts[0].startswith("."))
        elif p.exists():
            out.append(p)
        else:
            raise InputError("config not found", path=p)
    if not out:
        raise InputError(f"no force configs (*.toml) in {', '.join(map(str, paths))}")
    names = [area_name(p) for p in out]
    for p, name in zip(out, names, strict=True):
        # "" or "." would be the output folder itself; ".status" its progress folder.
        if not name or name.startswith("."):
            raise InputError(
                f"its area's output folder would be named {name!r}; rename the config "
                "(or its folder, for force.toml) to a name that does not start with '.'",
                path=p,
            )
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise InputError(f"two configs would share the output folder {sorted(dupes)}; rename one")
    return out


Progress = Callable[[dict[str, str]], None]


def run_local(
    configs: Sequence[Path],
    options: BatchOptions,
    *,
    workers: int = 2,
    progress: Progress | None = None,
) -> list[AreaResult]:
    """Run areas in parallel processes on this machine, one process per area."""
    ctx = mp.get_context("spawn")
    pending = list(configs)
    running: dict[str, tuple[Any, Any, Path]] = {}
    results: dict[str, AreaResult] = {}
    while pending or running:
        while pending and len(running) < workers:
            cfg = pending.pop(0)
            queue = ctx.Queue()
            proc = ctx.Process(target=_child, args=(str(cfg), options, queue), daemon=True)
            proc.start()
            running[area_name(cfg)] = (proc, queue, cfg)
        time.sleep(0.2)
        for area, (proc, queue, cfg) in list(running.items()):
            if not queue.empty():
                results[area] = AreaResult(**queue.get())
                proc.join()
                del running[area]
            elif not proc.is_alive():
                proc.join()
                if not queue.empty():
                    results[area] = AreaResult(**queue.get())
                else:  # died without a word: a hard crash in native code, or killed
                    results[area] = AreaResult(
                        area=area,
                        config=str(cfg),
                        status="failed",
                        run_dir=str(Path(options.out_dir) / area),
                        error=f"the area's process crashed (exit code {proc.exitcode})",
                    )
                del running[area]
        if progress is not None:
            progress(_stages(options, configs, results))
    return [results[area_name(c)] for c in configs]


def run_dask(
    configs: Sequence[Path],
    options: BatchOptions,
    *,
    scheduler: Any,
    progress: Progress | None = None,
) -> list[AreaResult]:
    """Run areas as tasks on a Dask cluster (an address such as ``tcp://host:8786``, or a Client)."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InputError(
            "--scheduler needs Dask: pip install -e '.[dask]' (on this machine and the workers)",
            field="scheduler",
        ) from None

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = {
            client.submit(
                run_area,
                str(cfg),
                options,
                key=f"planner-area-{area_name(cfg)}-{time.time_ns()}",
                pure=False,
            ): cfg
            for cfg in configs
        }
        results: dict[str, AreaResult] = {}
        for fut in as_completed(futures):
            cfg = futures[fut]
            try:
                results[area_name(cfg)] = fut.result()
            except Exception as exc:
                results[area_name(cfg)] = AreaResult(
                    area=area_name(cfg),
                    config=str(cfg),
                    status="failed",
                    run_dir=str(Path(options.out_dir) / area_name(cfg)),
                    error=f"Dask task failed: {exc}",
                )
            if progress is not None:
                progress(_stages(options, configs, results))
        return [results[area_name(c)] for c in configs]
    finally:
        if not isinstance(scheduler, Client):
            client.close()


def _stages(
    options: BatchOptions, configs: Sequence[Path], results: dict[str, AreaResult]
) -> dict[str, str]:
    stages = {}
    for cfg in configs:
        area = area_name(cfg)
        if area in results:
            stages[area] = results[area].status
            continue
        stage = "waiting"
        if options.status_dir is not None:
            # Progress is best-effort: a stage file being replaced reads as the last stage.
            with contextlib.suppress(OSError, UnicodeDecodeError):
                stage = (Path(options.status_dir) / f"{area}.stage").read_text() or stage
        stages[area] = stage
    return stages


@dataclass(frozen=True)
class BatchResult:
    """Every area's result and the national files."""

    results: tuple[AreaResult, ...]
    summary_csv: Path
    index_html: Path

    @property
    def failed(self) -> list[AreaResult]:
        """Areas that failed."""
        return [r for r in self.results if r.status == "failed"]

    def summary(self) -> str:
        """The final table."""
        head = f"{'area':<24} {'status':<8} {'visits':>11} {'req. missed':>11} {'harm covered':>17} {'hours used':>15} {'solve s':>8}"
        lines = [head, "-" * len(head)]
        for r in self.results:
            lines.append(
                f"{_printable(r.area):<24} {r.status:<8} {r.visits_planned:>5}/{r.visits_required:<5} {r.required_missed:>11} "
                f"{r.harm_covered:>8.1f}/{r.harm_total:<8.1f} {r.hours_used:>7.1f}/{r.hours_funded:<7.1f} {r.solve_time_s:>8.1f}"
                + (f"\n    error: {_printable(r.error)}" if r.error else "")
            )
        ok = sum(r.status == "ok" for r in self.results)
        skipped = sum(r.status == "skipped" for r in self.results)
        lines.append(f"\n{ok} planned, {skipped} unchanged (skipped), {len(self.failed)} failed")
        missed = [r for r in self.results if r.required_missed]
        if missed:
            lines.append(
                "required visits missed in "
                + ", ".join(f"{_printable(r.area)} ({r.required_missed})" for r in missed)
                + ": see each area's summary.md, under Not in the plan"
            )
        lines.append(f"wrote {self.summary_csv} and {self.index_html}")
        return "\n".join(lines)


def _printable(text: str) -> str:
    """``text`` for a terminal: control characters (escape sequences, line ends) shown as codes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _private_folder(folder: Path) -> None:
    """Create ``folder`` owner-only (0700), or tighten it if a batch made it before.

    A folder that is neither new, empty nor a batch's (it holds no ``.status``) is the user's
    choice and keeps its mode; a warning says when others can read it.
    """
    if not folder.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another batch made it just now
            folder.mkdir(mode=0o700)
        folder.chmod(0o700)
        return
    mode = stat.S_IMODE(folder.stat().st_mode)
    if not mode & 0o077:
        return
    if (folder / ".status").is_dir() or not any(folder.iterdir()):
        folder.chmod(0o700)
    else:
        log.warning(
            "%s can be read by other users (mode %o); the batch's plans may hold MPs' premises",
            folder,
            mode,
        )


def _is_batch_folder(folder: Path) -> bool:
    """Whether ``folder`` holds the batch marker (or ``.status``, which older batches left)."""
    if (folder / ".status").is_dir() and not (folder / ".status").is_symlink():
        return True
    try:
        # A marker is a small file written there: not a link to one elsewhere, nor a pipe.
        fd = os.open(folder / BATCH_MARKER, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        doc = json.loads(os.read(fd, _MAX_BATCH_MARKER_BYTES).decode("utf-8"))
    except (OSError, ValueError):
        return False
    finally:
        os.close(fd)
    return isinstance(doc, dict) and (doc.get("planner"), doc.get("schema")) == (
        PLANNER,
        BATCH_SCHEMA,
    )


def check_batch_folder(out: Path) -> None:
    """Refuse ``out`` unless it is missing, an empty folder or a batch's output folder.

    A batch writes its national files and a run folder per area into ``out``; a folder holding
    anything else (``--out .`` among the configs, a folder of the user's own files) is refused
    before anything is written, as ``planner plan`` refuses a folder that is not a run folder.

    Raises
    ------
    InputError
        Naming the folder and what is in it.
    """
    try:
        if not out.exists():
            return
        if not out.is_dir():
            raise InputError("exists and is not a folder; give a folder for --out", path=out)
        names = sorted(os.listdir(out))
    except OSError as exc:
        raise InputError(f"cannot be used for --out ({exc.strerror or exc})", path=out) from None
    if not names or _is_batch_folder(out):
        return
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    raise InputError(
        f"holds {len(names)} files or folders and is not a batch output folder ({shown}); a "
        f"batch writes only into a new or empty folder or one an earlier batch wrote (it holds "
        f"{BATCH_MARKER}), so that nothing else is overwritten: choose a new or empty folder "
        "for --out",
        path=out,
    )


def run_batch(
    paths: Sequence[str | Path],
    *,
    out_dir: str | Path,
    cache_dir: str | Path,
    workers: int = 2,
    scheduler: Any = None,
    time_limit_s: float | None = None,
    iterations: int | None = None,
    force: bool = False,
    secure: bool | None = None,
    progress: Progress | None = None,
) -> BatchResult:
    """Plan every area; write ``national_summary.csv`` and ``index.html`` in ``out_dir``.

    Raises
    ------
    InputError
        Before anything is written: no configs, or ``out_dir`` is neither new, empty nor a
        batch's output folder (:func:`check_batch_folder`).
    """
    configs = find_configs(paths)
    out = Path(out_dir)
    check_batch_folder(out)
    _private_folder(out)
    if not (out / BATCH_MARKER).is_file():
        marker = {"planner": PLANNER, "schema": BATCH_SCHEMA}
        atomic_write_bytes(out / BATCH_MARKER, (json.dumps(marker) + "\n").encode("utf-8"))
    status_dir = out / ".status"
    status_dir.mkdir(mode=0o700, exist_ok=True)
    status_dir.chmod(0o700)  # the batch's own, whatever an older planner made it
    for f in status_dir.glob("*.stage"):
        f.unlink()
    options = BatchOptions(
        out_dir=str(out.resolve()),
        cache_dir=str(Path(cache_dir).resolve()),
        time_limit_s=time_limit_s,
        iterations=iterations,
        force=force,
        secure=secure,
        status_dir=str(status_dir.resolve()),
    )
    if scheduler is not None:
        results = run_dask(configs, options, scheduler=scheduler, progress=progress)
    else:
        results = run_local(configs, options, workers=workers, progress=progress)
    summary_csv = write_summary(out / "national_summary.csv", results)
    index = write_index(out / "index.html", results)
    return BatchResult(results=tuple(results), summary_csv=summary_csv, index_html=index)


def write_summary(path: Path, results: Sequence[AreaResult]) -> Path:
    """``national_summary.csv``: a row per area (cells safe to open in a spreadsheet)."""
    rows = ({k: _utf8(v) for k, v in r.row().items()} for r in results)
    return write_csv(path, rows, SUMMARY_COLUMNS)


def _utf8(value: object) -> object:
    """A folder name's bytes that are not UTF-8 shown as codes, so the CSV can be written."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def relative_href(target: str | Path, folder: str | Path) -> str:
    """A link from a page in ``folder`` to ``target``: relative, every segment percent-encoded.

    Starts with ``./`` and encodes ``:``, ``#``, ``?``, ``%``, backslash and every other
    character outside letters, digits and ``_.-~`` (names as their UTF-8 or file-system bytes),
    so a folder named ``javascript:alert(1)`` is a path, never a scheme, and the link leads to
    the file itself.
    """
    rel = Path(os.path.relpath(target, folder))
    return "./" + "/".join(quote(os.fsencode(part), safe="") for part in rel.parts)


def write_index(path: Path, results: Sequence[AreaResult]) -> Path:
    """``index.html``: the national table, linking each area's map. All text escaped."""
    rows = []
    for r in results:
        href = relative_href(r.map, path.parent) if r.map and Path(r.map).is_file() else ""
        share = f"{r.harm_covered / r.harm_total:.0%}" if r.harm_total else "-"
        rows.append({"result": r, "href": href, "share": share})
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "skipped", "failed")}
    # The index is as sensitive as the most sensitive plan it links to.
    marking = next((r.marking for r in results if r.marking != "OFFICIAL"), "OFFICIAL")
    doc = (
        _templates().get_template("index.html.j2").render(rows=rows, counts=counts, marking=marking)
    )
    # A folder name that is not UTF-8 is shown with its odd bytes as codes (its link keeps them).
    atomic_write_bytes(path, doc.encode("utf-8", "backslashreplace"))
    return path


@functools.cache
def _templates() -> jinja2.Environment:
    """The batch's templates (``planner/batch/templates``), autoescaped, strict undefined."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("planner.batch", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        # Block tags on lines of their own leave no blank lines behind.
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
