"""Hostile and careless inputs through the ``planner`` command, each case classified.

Every case runs ``python -m planner.cli ...`` (the ``planner`` entry point) as a subprocess, in
its own temporary folder holding a copy of ``data/demo`` (the demo's config, sites.csv and
crimes) mutated for that case, with a timeout. Solves stop after 20 iterations.

A case ends as one of:

``clean error``
    exit code 2 (or 3; 1 for ``planner batch`` with a failed area) and exactly one error
    line on stderr once log lines (``WARNING name: ...``) and click's usage lines are
    stripped, with no ``Traceback``;
``traceback``
    a ``Traceback`` anywhere, any other exit code (a crash by signal included), an error exit
    with no or several error lines, or an error message that is a bare Python exception
    (``KeyError: ...``);
``hang``
    the timeout fired (the process group is killed);
``accepted``
    exit code 0.

Each case expects ``error``, ``accept`` (with a one-line reason why accepting is right) or
``any`` (either is fine; with a reason). An accepted case that expected an error is *accepted
wrongly*; a clean error where acceptance was expected is *refused wrongly*. After every case:
no input file is changed or deleted, nothing is written outside the case's folder, and no
half-written or temporary file (``.x.tmp``, ``.out.tmp-*``, ``.out.old-*``, ``.out.lock``) is
left behind; cases with hostile names also check that no CSV cell starts with = + - @ (other
than a number) and that no HTML or Markdown output holds the raw payload.

Run it with the project's interpreter (``.venv/bin/python scripts/fuzz_inputs.py``)::

    fuzz_inputs.py                  # every case, 2 at a time; exit 1 on any failure
    fuzz_inputs.py --jobs 4         # 4 at a time
    fuzz_inputs.py --only previous  # the cases whose name contains "previous" (or a glob: "*utf16*")
    fuzz_inputs.py --list           # the cases, what each expects, and why

The table gives, per category, how many cases ended which way; then every failing case with
its first error line (for a traceback: the exception and the planner file it came from).
"""

from __future__ import annotations

import argparse
import bz2
import concurrent.futures
import contextlib
import csv
import datetime as dt
import fnmatch
import gzip
import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo"
#: Seconds before a fast command (an error, a network, a solve) counts as a hang.
TIMEOUT_S = 60.0
#: Seconds before a command that plans a week (twice with --previous) counts as a hang.
PLAN_TIMEOUT_S = 150.0
#: Solves stop on iterations: short, and the same on a loaded machine.
ITERATIONS = "20"
#: A case runs in ROOT/cases/<name>/x/y/w, so that a path escaping with ../.. is caught.
NEST = ("x", "y", "w")

# The outcome classes, in table order.
CLEAN, TRACEBACK, HANG, ACCEPTED = "clean error", "traceback", "hang", "accepted"
SETUP_FAILED = "setup failed"

_LOG_LINE = re.compile(r"^(DEBUG|INFO|WARNING) [\w.]+: ")
_CLICK_BOILERPLATE = re.compile(r"^(Usage: |Try '.*' for help\.$)")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_BARE_EXCEPTION = re.compile(
    r"^(error: )?([A-Z]\w*(Error|Exception|Warning)|KeyboardInterrupt|StopIteration)\b:"
)
_FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+), in (\S+)')
_LEFTOVER = re.compile(r"(\.tmp\b|\.tmp-|\.old-|\.lock$|\.part$|~$)")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_OFFSET = re.compile(r"([+-]\d{2}:\d{2}|Z)$")

#: Values planted by the hostile-name cases.
FORMULA = "=cmd|' /C calc'!A0"
MD_LINK = "[x](javascript:alert(1))"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


class SetupError(Exception):
    """The case's own mutation did not apply (the demo data changed): a harness bug."""


# ---------------------------------------------------------------------------------- the cases
Check = Callable[["Ctx"], list[str]]


@dataclass(frozen=True)
class Case:
    """One hostile or careless input and what the planner should do with it.

    Attributes
    ----------
    name
        ``category/short-name``, unique.
    runs
        The commands, each the arguments after ``planner``; ``{cache}`` is the shared network
        cache. They run in order until one exits non-zero; the last one run is classified.
    expect
        ``"error"``, ``"accept"`` or ``"any"``.
    why
        Why accepting is right (``accept`` and ``any`` cases).
    setup
        Mutates the case's copy of the demo (``ctx.demo``) and adds files to ``ctx.work``.
    checks
        Extra post-checks, each returning its problems.
    cwd
        Where the commands run, relative to the work folder.
    needs
        Fixture files copied into the work folder: ``prev.json`` (last week's plan),
        ``problem.json`` (a small routing problem), ``net.osm.pbf`` and ``net.osm`` (a
        synthetic network of the demo town).
    error_codes
        Exit codes that mean "refused" for this command.
    timeout_s
        When a run counts as a hang.
    """

    name: str
    runs: tuple[tuple[str, ...], ...]
    expect: str = "error"
    why: str = ""
    setup: Callable[[Ctx], None] | None = None
    checks: tuple[Check, ...] = ()
    cwd: str = "."
    needs: tuple[str, ...] = ()
    error_codes: frozenset[int] = frozenset({2, 3})
    timeout_s: float = TIMEOUT_S

    @property
    def category(self) -> str:
        """The part of the name before the slash."""
        return self.name.split("/", 1)[0]

    @property
    def cost(self) -> int:
        """Rough relative cost, to start the slow cases first."""
        weights = {"batch": 5, "plan": 4, "demand": 2, "matrix": 2}
        return sum(weights.get(run[0], 1) for run in self.runs)


CASES: list[Case] = []


def case(
    name: str,
    *runs: tuple[str, ...],
    expect: str = "error",
    why: str = "",
    setup: Callable[[Ctx], None] | None = None,
    checks: Sequence[Check] = (),
    cwd: str = ".",
    needs: Sequence[str] = (),
) -> None:
    """Register a case (see :class:`Case`)."""
    if expect not in {"error", "accept", "any"}:
        raise ValueError(f"{name}: expect must be error, accept or any")
    if expect != "error" and not why:
        raise ValueError(f"{name}: say why accepting is right")
    if any(c.name == name for c in CASES):
        raise ValueError(f"{name}: duplicate case name")
    commands = {run[0] for run in runs}
    slow = bool(commands & {"plan", "batch"})
    needs = tuple(needs)
    for run in runs:
        for word in run:
            for fixture in FIXTURE_FILES:
                named = word == fixture or word.endswith("/" + fixture)
                if named and fixture not in needs:
                    needs += (fixture,)
    CASES.append(
        Case(
            name=name,
            runs=tuple(runs),
            expect=expect,
            why=why,
            setup=setup,
            checks=tuple(checks),
            cwd=cwd,
            needs=needs,
            error_codes=frozenset({1, 2, 3}) if "batch" in commands else frozenset({2, 3}),
            timeout_s=PLAN_TIMEOUT_S if slow else TIMEOUT_S,
        )
    )


# Command builders: the arguments after ``planner``.
def demand(*extra: str, config: str = "demo/force.toml", out: str = "out") -> tuple[str, ...]:
    return ("demand", config, "--out", out, "--cache-dir", "{cache}", *extra)


def plan(*extra: str, config: str = "demo/force.toml", out: str | None = "out") -> tuple[str, ...]:
    where = ("--out", out) if out is not None else ()
    return ("plan", config, *where, "--iterations", ITERATIONS, "--cache-dir", "{cache}", *extra)


def solve(*extra: str, problem: str = "problem.json") -> tuple[str, ...]:
    return ("solve", problem, "--seed", "1", "--iterations", ITERATIONS, *extra)


def network(source: str, *extra: str) -> tuple[str, ...]:
    # A case's own cache: a broken file must not meet another case's cache entries.
    return ("network", source, "--cache-dir", "cache", *extra)


def matrix(
    *extra: str, source: str = "net.osm.pbf", sites: str = "demo/sites.csv"
) -> tuple[str, ...]:
    return ("matrix", source, "--sites", sites, "--out", "mout", "--cache-dir", "{cache}", *extra)


def batch(*paths: str, out: str = "bout", extra: Sequence[str] = ()) -> tuple[str, ...]:
    return (
        "batch",
        *paths,
        "--out",
        out,
        "--workers",
        "1",
        "--iterations",
        ITERATIONS,
        "--cache-dir",
        "{cache}",
        *extra,
    )


# --------------------------------------------------------------------------------- fixtures
FIXTURE_FILES = ("prev.json", "problem.json", "net.osm.pbf", "net.osm")

#: A small routing problem (schema planner.routing-problem/1) that solves in a blink.
PROBLEM: dict[str, object] = {
    "schema": "planner.routing-problem/1",
    "name": "fuzz",
    "location_labels": ["station", "a", "b", "c"],
    "budget_paid_hours": None,
    "travel_time_s": {
        "car": [
            [0.0, 300.0, 400.0, 500.0],
            [300.0, 0.0, 200.0, 300.0],
            [400.0, 200.0, 0.0, 250.0],
            [500.0, 300.0, 250.0, 0.0],
        ]
    },
    "groups": [{"group_id": "a", "min_gap_s": 3600.0, "max_per_route": 1}],
    "vehicles": [
        {
            "vehicle_id": "car-1",
            "mode": "car",
            "start_location": 0,
            "end_location": 0,
            "earliest_start_s": 0.0,
            "latest_end_s": 28800.0,
            "max_duration_s": 28800.0,
            "paid_hours": 16.0,
        }
    ],
    "visits": [
        {
            "visit_id": "a#1",
            "location": 1,
            "service_s": 900.0,
            "windows": [[0.0, 28800.0]],
            "prize": 2.0,
            "required": False,
            "group": "a",
        },
        {
            "visit_id": "b#1",
            "location": 2,
            "service_s": 900.0,
            "windows": [[0.0, 14400.0], [18000.0, 28800.0]],
            "prize": 1.5,
            "required": False,
            "group": None,
        },
        {
            "visit_id": "c#1",
            "location": 3,
            "service_s": 600.0,
            "windows": [[3600.0, 28800.0]],
            "prize": 1.0,
            "required": True,
            "group": None,
        },
    ],
}


def planner_cmd(args: Sequence[str]) -> list[str]:
    """The command line running ``planner ARGS`` with this interpreter."""
    return [sys.executable, "-m", "planner.cli", *args]


def child_env() -> dict[str, str]:
    """The environment of every run: this checkout first, plain output, modest threads."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update({"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200", "NUMBA_NUM_THREADS": "1"})
    env.update({"OMP_NUM_THREADS": "1", "PYTHONIOENCODING": "utf-8"})
    return env


def build_fixtures(root: Path, needed: set[str], *, warm: bool = True) -> dict[str, Path]:
    """Make the shared fixture files once.

    ``prev.json`` is a real plan of the demo for the week before the demo's (2026-W48), so that
    it is a valid ``--previous`` for the demo's week. Planning it also puts the demo's network
    in the shared cache (``warm``), so that the cases load it instead of each generating it.
    """
    fx = root / "fixtures"
    fx.mkdir(parents=True)
    cache = root / "cache"
    paths = {name: fx / name for name in FIXTURE_FILES}
    paths["problem.json"].write_text(json.dumps(PROBLEM, indent=1), encoding="utf-8")
    jobs: list[tuple[list[str], Path]] = []
    if "prev.json" in needed or warm:
        week = fx / "w48"
        shutil.copytree(DEMO, week)
        toml = week / "force.toml"
        toml.write_text(
            toml.read_text("utf-8").replace('"2026-W49"', '"2026-W48"'), encoding="utf-8"
        )
        args = ["plan", str(toml), "--out", str(fx / "w48-plan"), "--iterations", ITERATIONS]
        jobs.append((planner_cmd([*args, "--cache-dir", str(cache)]), fx / "w48-plan"))
    if needed & {"net.osm.pbf", "net.osm"}:
        for name in ("net.osm.pbf", "net.osm"):
            args = ["synth", "--nodes", "1000", "--seed", "2024", "--out", str(paths[name])]
            jobs.append((planner_cmd(args), paths[name]))
    procs = [
        (
            subprocess.Popen(cmd, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE),
            cmd,
        )
        for cmd, _ in jobs
    ]
    for proc, cmd in procs:
        out, err = proc.communicate(timeout=600)
        if proc.returncode != 0:
            raise SystemExit(
                f"fixture command failed ({proc.returncode}): {' '.join(cmd)}\n"
                f"{out.decode(errors='replace')}\n{err.decode(errors='replace')}"
            )
    if (fx / "w48-plan").is_dir():
        shutil.copyfile(fx / "w48-plan" / "plan.json", paths["prev.json"])
    return paths


# ---------------------------------------------------------------------------------- context
@dataclass
class Ctx:
    """A case's folders and the mutations the cases use."""

    root: Path  # the case's own folder (ROOT/cases/<name>)
    work: Path  # where the inputs are and the commands run from (unless Case.cwd)

    @property
    def demo(self) -> Path:
        """The case's copy of data/demo."""
        return self.work / "demo"

    @property
    def config(self) -> Path:
        """The copy's force.toml."""
        return self.demo / "force.toml"

    @property
    def sites(self) -> Path:
        """The copy's sites.csv."""
        return self.demo / "sites.csv"

    @property
    def crime(self) -> Path:
        """The first month's crime file."""
        return sorted((self.demo / "crimes").glob("*.csv"))[0]

    # text edits
    def sub(self, path: Path, old: str, new: str, count: int = 1) -> None:
        """Replace ``old`` (which must be there) by ``new`` in a UTF-8 file."""
        text = path.read_text("utf-8")
        if old not in text:
            raise SetupError(f"{old!r} not in {path.name}")
        path.write_text(text.replace(old, new, count), encoding="utf-8", newline="")

    def config_sub(self, old: str, new: str, count: int = 1) -> None:
        """:meth:`sub` in force.toml."""
        self.sub(self.config, old, new, count)

    def config_append(self, text: str) -> None:
        """Add lines at the end of force.toml."""
        with self.config.open("a", encoding="utf-8") as f:
            f.write("\n" + text + "\n")

    def recode(self, path: Path, encoding: str, *, bom: bytes = b"") -> None:
        """Re-encode a UTF-8 file, optionally behind a byte order mark."""
        path.write_bytes(bom + path.read_text("utf-8").encode(encoding))

    # CSV edits
    def read_csv(self, path: Path) -> tuple[list[str], list[list[str]]]:
        """A UTF-8 CSV file's header and rows."""
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        return rows[0], rows[1:]

    def write_csv(
        self, path: Path, header: Sequence[str], rows: Iterable[Sequence[str]], enc: str = "utf-8"
    ) -> None:
        """Write a CSV file as Excel does (CRLF, minimal quoting)."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        path.write_bytes(buf.getvalue().encode(enc))

    def set_site(self, row: int, column: str, value: str) -> None:
        """Set one cell of sites.csv (adding the column, empty elsewhere, if it is new)."""
        header, rows = self.read_csv(self.sites)
        if column not in header:
            header.append(column)
            for r in rows:
                r.append("")
        rows[row][header.index(column)] = value
        self.write_csv(self.sites, header, rows)

    def set_crime(self, row: int, column: str, value: str) -> None:
        """Set one cell of the first crime file."""
        header, rows = self.read_csv(self.crime)
        rows[row][header.index(column)] = value
        self.write_csv(self.crime, header, rows)

    def plan_doc(self) -> dict:
        """Last week's plan (prev.json) as JSON."""
        return json.loads((self.work / "prev.json").read_text("utf-8"))

    def write_plan(self, doc: object) -> None:
        """Replace prev.json."""
        (self.work / "prev.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")

    def problem_doc(self) -> dict:
        """The small routing problem (problem.json) as JSON."""
        return json.loads((self.work / "problem.json").read_text("utf-8"))

    def write_problem(self, doc: object, **dumps: object) -> None:
        """Replace problem.json."""
        text = json.dumps(doc, **dumps)  # type: ignore[arg-type]
        (self.work / "problem.json").write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------- checks
def _files(folder: Path, pattern: str) -> list[Path]:
    return sorted(p for p in folder.rglob(pattern) if p.is_file()) if folder.is_dir() else []


def no_formula_cells(out: str) -> Check:
    """No cell of any CSV under ``out`` starts like a spreadsheet formula (numbers aside)."""

    def check(ctx: Ctx) -> list[str]:
        problems = []
        for path in _files(ctx.work / out, "*.csv"):
            with path.open(encoding="utf-8-sig", newline="", errors="replace") as f:
                for row in csv.reader(f):
                    for cell in row:
                        if cell[:1] in {"=", "+", "-", "@", "\t", "\r"} and not _NUMBER.match(cell):
                            rel = path.relative_to(ctx.work)
                            problems.append(f"{rel}: formula-like cell {cell[:40]!r}")
                            break
        return problems[:5]

    return check


def no_raw_markup(out: str) -> Check:
    """No HTML output holds a raw planted tag; no Markdown output a javascript: link."""

    def check(ctx: Ctx) -> list[str]:
        problems = []
        for path in _files(ctx.work / out, "*.html"):
            text = path.read_text("utf-8", errors="replace")
            for payload in ("<script>alert(1)", "<img src=x onerror", 'href="javascript:'):
                if payload in text:
                    problems.append(f"{path.relative_to(ctx.work)}: raw {payload!r}")
        for path in _files(ctx.work / out, "*.md"):
            text = path.read_text("utf-8", errors="replace")
            for payload in ("](javascript:", "<script>alert(1)", "<img src=x onerror"):
                if payload in text:
                    problems.append(f"{path.relative_to(ctx.work)}: raw {payload!r}")
        return problems

    return check


def no_control_chars(out: str) -> Check:
    """No output text file holds an ESC or NUL character taken from an input."""

    def check(ctx: Ctx) -> list[str]:
        problems = []
        for pattern in ("*.csv", "*.md", "*.html", "*.gpx"):
            for path in _files(ctx.work / out, pattern):
                text = path.read_text("utf-8", errors="replace")
                if "\x1b" in text or "\x00" in text:
                    problems.append(f"{path.relative_to(ctx.work)}: holds ESC or NUL")
        return problems

    return check


def one_file_per_route(out: str) -> Check:
    """As many GPX files and briefings as routes in plan.json (two units never share a file)."""

    def check(ctx: Ctx) -> list[str]:
        plan_json = ctx.work / out / "plan.json"
        if not plan_json.exists():
            return []
        routes = len(json.loads(plan_json.read_text("utf-8"))["routes"])
        problems = []
        for sub, pattern in (("gpx", "*.gpx"), ("briefings", "*.html")):
            n = len(_files(ctx.work / out / sub, pattern))
            if n != routes:
                problems.append(f"{out}/{sub}: {n} files for {routes} routes")
        return problems

    return check


def text_absent(out: str, needles: Sequence[str], patterns: Sequence[str]) -> Check:
    """None of ``needles`` appears in the files matching ``patterns`` under ``out``."""

    def check(ctx: Ctx) -> list[str]:
        problems = []
        for pattern in patterns:
            for path in _files(ctx.work / out, pattern):
                text = path.read_text("utf-8", errors="replace")
                problems += [
                    f"{path.relative_to(ctx.work)}: holds {n!r}" for n in needles if n in text
                ]
        return problems[:5]

    return check


def files_unchanged(folder: str) -> Check:
    """The folder still holds exactly the files it held (the runner hashes contents)."""

    def check(ctx: Ctx) -> list[str]:
        marker = ctx.root / f"listing-{hashlib.sha1(folder.encode()).hexdigest()[:8]}"
        if not marker.exists():
            return [f"harness: no listing of {folder}"]
        before = marker.read_text("utf-8").splitlines()
        now = sorted(str(p.relative_to(ctx.work / folder)) for p in (ctx.work / folder).rglob("*"))
        added = sorted(set(now) - set(before))
        return [f"{folder}: new entries {added[:5]}"] if added else []

    return check


def remember_listing(ctx: Ctx, folder: str) -> None:
    """Record ``folder``'s entries for :func:`files_unchanged` (call at the end of setup)."""
    marker = ctx.root / f"listing-{hashlib.sha1(folder.encode()).hexdigest()[:8]}"
    names = sorted(str(p.relative_to(ctx.work / folder)) for p in (ctx.work / folder).rglob("*"))
    marker.write_text("\n".join(names), encoding="utf-8")


HOSTILE_CHECKS = (no_formula_cells("out"), no_raw_markup("out"))


# ------------------------------------------------------------------------------ case catalogue
def _cp1252_names(ctx: Ctx) -> None:
    ctx.sub(ctx.sites, "St Aidan's Church", "Église Saint-Aidan – café £")
    ctx.recode(ctx.sites, "cp1252")


def _insert_bytes(path: Path, after: bytes, junk: bytes) -> None:
    data = path.read_bytes()
    if after not in data:
        raise SetupError(f"{after!r} not in {path.name}")
    path.write_bytes(data.replace(after, after + junk, 1))


def encoding_cases() -> None:
    name_line = 'name = "Northshire Police (demo)"'
    case("encoding/config-utf16", demand(), setup=lambda c: c.recode(c.config, "utf-16"))
    case(
        "encoding/config-utf16le-no-bom", demand(), setup=lambda c: c.recode(c.config, "utf-16-le")
    )
    case("encoding/config-utf32", demand(), setup=lambda c: c.recode(c.config, "utf-32"))

    def config_cp1252(c: Ctx) -> None:
        c.config_sub(name_line, 'name = "Northshire Police (démo) £"')
        c.recode(c.config, "cp1252")

    case("encoding/config-cp1252", demand(), setup=config_cp1252)
    case(
        "encoding/config-utf8-bom",
        demand(),
        expect="accept",
        why="UTF-8 with a byte order mark is UTF-8 (Notepad's default)",
        setup=lambda c: c.recode(c.config, "utf-8", bom=b"\xef\xbb\xbf"),
    )
    case(
        "encoding/config-invalid-utf8",
        demand(),
        setup=lambda c: _insert_bytes(c.config, b"# The built-in demo", b" \xc3\x28\xff"),
    )
    case("encoding/sites-utf16", demand(), setup=lambda c: c.recode(c.sites, "utf-16"))
    case("encoding/sites-utf16be-no-bom", demand(), setup=lambda c: c.recode(c.sites, "utf-16-be"))
    case(
        "encoding/sites-cp1252",
        demand(),
        expect="accept",
        why="Excel's plain 'CSV' is Windows-1252: read with a warning (README, Site files)",
        setup=_cp1252_names,
    )
    case(
        "encoding/sites-utf8-bom",
        demand(),
        expect="accept",
        why="Excel's 'CSV UTF-8' starts with a byte order mark",
        setup=lambda c: c.recode(c.sites, "utf-8", bom=b"\xef\xbb\xbf"),
    )
    case(
        "encoding/sites-undecodable",
        demand(),
        setup=lambda c: _insert_bytes(c.sites, b"MP home", b" \x81\x8d"),
    )
    case(
        "encoding/sites-mixed-utf8-and-cp1252",
        demand(),
        expect="accept",
        why="a file that is not all UTF-8 is read as Windows-1252 with a warning, as documented",
        setup=lambda c: (
            c.sub(c.sites, "MP home", "MP home café"),
            _insert_bytes(c.sites, b"Youth club", b" caf\xe9"),
        ),
    )
    case("encoding/crimes-utf16", demand(), setup=lambda c: c.recode(c.crime, "utf-16"))
    case(
        "encoding/crimes-cp1252",
        demand(),
        expect="accept",
        why="crime CSVs re-saved by Excel are Windows-1252: read with a warning",
        setup=lambda c: (
            c.sub(c.crime, "On or near Waterloo Avenue", "On or near Café Row – £"),
            c.recode(c.crime, "cp1252"),
        ),
    )
    case(
        "encoding/crimes-utf8-bom",
        demand(),
        expect="accept",
        why="a data.police.uk file re-saved as 'CSV UTF-8' has a byte order mark",
        setup=lambda c: c.recode(c.crime, "utf-8", bom=b"\xef\xbb\xbf"),
    )
    case(
        "encoding/crimes-undecodable",
        demand(),
        setup=lambda c: _insert_bytes(c.crime, b"Waterloo Avenue", b"\x81\x8d\x8f"),
    )
    case(
        "encoding/previous-utf16",
        plan("--previous", "prev.json"),
        setup=lambda c: c.recode(c.work / "prev.json", "utf-16"),
    )
    case(
        "encoding/previous-utf8-bom",
        plan("--previous", "prev.json"),
        expect="accept",
        why="UTF-8 with a byte order mark is UTF-8; every text reader strips the mark",
        setup=lambda c: c.recode(c.work / "prev.json", "utf-8", bom=b"\xef\xbb\xbf"),
    )
    case(
        "encoding/previous-invalid-utf8",
        plan("--previous", "prev.json"),
        setup=lambda c: _insert_bytes(c.work / "prev.json", b'"force": "', b"\xff\xfe\xc3("),
    )
    case(
        "encoding/problem-utf16",
        solve(),
        setup=lambda c: c.recode(c.work / "problem.json", "utf-16"),
    )
    case(
        "encoding/problem-utf8-bom",
        solve(),
        expect="accept",
        why="UTF-8 with a byte order mark is UTF-8; every text reader strips the mark",
        setup=lambda c: c.recode(c.work / "problem.json", "utf-8", bom=b"\xef\xbb\xbf"),
    )
    case(
        "encoding/problem-cp1252",
        solve(),
        setup=lambda c: (
            c.sub(c.work / "problem.json", '"fuzz"', '"café £"'),
            c.recode(c.work / "problem.json", "cp1252"),
        ),
    )
    case(
        "encoding/problem-invalid-utf8",
        solve(),
        setup=lambda c: _insert_bytes(c.work / "problem.json", b'"name": "', b"\xc3\x28"),
    )


def folder_cases() -> None:
    case("folder/config-is-folder", demand(config="demo"))
    case(
        "folder/sites-entry-is-folder",
        demand(),
        setup=lambda c: c.config_sub('["sites.csv"]', '["crimes"]'),
    )

    def sites_dir_csv(c: Ctx) -> None:
        (c.demo / "extra.csv").mkdir()
        c.config_sub('["sites.csv"]', '["sites.csv", "extra.csv"]')

    case("folder/sites-csv-named-folder", demand(), setup=sites_dir_csv)
    case(
        "folder/crimes-glob-matches-folder",
        demand(),
        expect="any",
        why="a folder named like a CSV may be skipped with a warning or refused",
        setup=lambda c: (c.demo / "crimes" / "2026-11-northshire-street.csv").mkdir(),
    )
    case(
        "folder/crimes-glob-matches-nothing",
        demand(),
        setup=lambda c: c.config_sub('["crimes/*.csv"]', '["nowhere/*.csv"]'),
    )
    case("folder/previous-is-folder", plan("--previous", "demo"))
    case("folder/problem-is-folder", solve(problem="demo"))
    case("folder/network-is-folder", network("demo"))
    case(
        "folder/network-folder-named-pbf",
        network("roads.osm.pbf"),
        setup=lambda c: (c.work / "roads.osm.pbf").mkdir(),
    )
    case("folder/matrix-sites-is-folder", matrix(sites="demo"))
    case("folder/plan-out-is-a-file", plan(out="demo/sites.csv"))
    case("folder/plan-out-under-a-file", plan(out="demo/sites.csv/run"))
    case("folder/demand-out-is-a-file", demand(out="demo/force.toml"))
    case("folder/solve-out-is-folder", solve("--out", "demo"))
    case("folder/network-save-is-folder", network("net.osm.pbf", "--save", "demo"))
    case(
        "folder/config-network-is-folder",
        demand(),
        setup=lambda c: c.config_sub("[area.synthetic]", 'network = "crimes"\n[area.synthetic]'),
    )
    case("folder/boundary-is-folder", network("net.osm.pbf", "--boundary", "demo"))
    case(
        "folder/cache-dir-is-a-file",
        ("demand", "demo/force.toml", "--out", "out", "--cache-dir", "demo/sites.csv"),
    )


def csv_shape_cases() -> None:
    def sites_rows(fn: Callable[[list[str], list[list[str]]], tuple[list[str], list[list[str]]]]):
        def setup(c: Ctx) -> None:
            header, rows = c.read_csv(c.sites)
            c.write_csv(c.sites, *fn(header, rows))

        return setup

    def raw(path: Callable[[Ctx], Path], data: bytes) -> Callable[[Ctx], None]:
        return lambda c: path(c).write_bytes(data)

    case(
        "csv/sites-row-extra-field",
        demand(),
        setup=sites_rows(lambda h, r: (h, [r[0] + ["spare"], *r[1:]])),
    )
    case(
        "csv/sites-row-missing-field",
        demand(),
        setup=sites_rows(lambda h, r: (h, [r[0][:-2], *r[1:]])),
    )
    case(
        "csv/sites-no-site_id-column",
        demand(),
        setup=sites_rows(lambda h, r: (h[1:], [x[1:] for x in r])),
    )
    case(
        # Refused: a row without a location is kept as unlocated, but a file with no
        # coordinate columns at all is the wrong file or has renamed columns (Longitude, X):
        # accepting it would plan no site and report every one unlocated. The error names
        # the columns needed (README "Site files": lon/lat or easting/northing).
        "csv/sites-no-coordinate-columns",
        demand(),
        setup=sites_rows(
            lambda h, r: ([x for x in h if x not in {"lon", "lat"}], [x[:4] + x[6:] for x in r])
        ),
    )
    case(
        "csv/sites-duplicate-header",
        demand(),
        setup=sites_rows(lambda h, r: ([*h, "name"], [[*x, "dup"] for x in r])),
    )
    case("csv/sites-empty", demand(), setup=raw(lambda c: c.sites, b""))
    case(
        "csv/sites-header-only",
        demand(),
        setup=raw(
            lambda c: c.sites, DEMO.joinpath("sites.csv").read_bytes().splitlines()[0] + b"\r\n"
        ),
    )
    case("csv/sites-only-newlines", demand(), setup=raw(lambda c: c.sites, b"\n\n\r\n\n"))
    case(
        "csv/sites-binary-junk",
        demand(),
        setup=raw(lambda c: c.sites, random.Random(1).randbytes(4096)),
    )
    case(
        "csv/sites-xlsx-renamed",
        demand(),
        setup=raw(
            lambda c: c.sites, b"PK\x03\x04\x14\x00\x06\x00" + random.Random(2).randbytes(2000)
        ),
    )
    case(
        "csv/sites-pdf-renamed",
        demand(),
        setup=raw(lambda c: c.sites, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"1 0 obj\n" * 50),
    )
    case(
        "csv/sites-value-under-unnamed-column",
        demand(),
        setup=sites_rows(lambda h, r: ([*h, ""], [[*x, "stray"] for x in r])),
    )
    case(
        "csv/sites-blank-rows",
        demand(),
        expect="accept",
        why="blank rows are skipped (README, Site files)",
        setup=sites_rows(lambda h, r: (h, [r[0], [], [], *r[1:], []])),
    )
    case(
        "csv/sites-quoted-newline-in-notes",
        demand(),
        expect="accept",
        why="a quoted cell may hold a line break; it becomes a space",
        setup=lambda c: c.set_site(0, "notes", "Check the frontage\nand the CCTV sign"),
    )
    case(
        "csv/sites-unbalanced-quote",
        demand(),
        setup=lambda c: c.sub(c.sites, "MP home (fictional)", '"MP home (fictional)'),
    )
    case(
        "csv/sites-semicolon-separated",
        demand(),
        setup=lambda c: c.sites.write_text(
            c.sites.read_text("utf-8").replace(",", ";"), encoding="utf-8"
        ),
    )
    case(
        "csv/sites-duplicate-site-ids",
        demand(),
        setup=lambda c: c.set_site(1, "site_id", "NB-OFF-1"),
    )
    case(
        "csv/sites-cr-line-ends",
        demand(),
        expect="accept",
        why="old Mac CR line ends are line ends to the csv module",
        setup=lambda c: c.sites.write_bytes(c.sites.read_bytes().replace(b"\r\n", b"\r")),
    )

    def crimes_rows(fn: Callable[[list[str], list[list[str]]], tuple[list[str], list[list[str]]]]):
        def setup(c: Ctx) -> None:
            header, rows = c.read_csv(c.crime)
            c.write_csv(c.crime, *fn(header, rows))

        return setup

    case(
        "csv/crimes-row-extra-field",
        demand(),
        expect="accept",
        why="a malformed crime row is counted in crime_rejects.csv (malformed_row)",
        setup=crimes_rows(lambda h, r: (h, [r[0] + ["x", "y"], *r[1:]])),
    )
    case(
        "csv/crimes-row-missing-fields",
        demand(),
        expect="accept",
        why="a malformed crime row is counted in crime_rejects.csv (malformed_row)",
        setup=crimes_rows(lambda h, r: (h, [r[0][:5], *r[1:]])),
    )
    case(
        "csv/crimes-no-longitude-column",
        demand(),
        setup=crimes_rows(
            lambda h, r: ([x for x in h if x != "Longitude"], [x[:4] + x[5:] for x in r])
        ),
    )
    case(
        "csv/crimes-duplicate-header",
        demand(),
        setup=crimes_rows(lambda h, r: ([*h, "Month"], [[*x, "2026-08"] for x in r])),
    )
    case("csv/crimes-empty", demand(), setup=raw(lambda c: c.crime, b""))
    case(
        "csv/crimes-header-only",
        demand(),
        expect="accept",
        why="a month with no crimes is possible; it is logged",
        setup=crimes_rows(lambda h, r: (h, [])),
    )
    case(
        "csv/crimes-binary-junk",
        demand(),
        setup=raw(lambda c: c.crime, random.Random(3).randbytes(8192)),
    )
    case(
        "csv/crimes-same-file-twice",
        demand(),
        setup=lambda c: shutil.copyfile(c.crime, c.demo / "crimes" / "copy-of-august.csv"),
    )
    case("csv/crimes-no-header", demand(), setup=crimes_rows(lambda h, r: (r[0], r[1:])))
    case(
        "csv/crimes-bad-month-and-type",
        demand(),
        expect="accept",
        why="bad months and unknown crime types are rows rejected with a reason",
        setup=lambda c: (
            c.set_crime(0, "Month", "2026-13"),
            c.set_crime(1, "Crime type", "Jaywalking"),
        ),
    )


def boolean_cases() -> None:
    case(
        "booleans/sites-restricted-ture",
        demand(),
        setup=lambda c: c.set_site(0, "restricted", "ture"),
    )
    case("booleans/sites-restricted-2", demand(), setup=lambda c: c.set_site(0, "restricted", "2"))
    case(
        "booleans/sites-required-maybe",
        demand(),
        setup=lambda c: c.set_site(4, "required", "maybe"),
    )
    case("booleans/sites-required-n/a", demand(), setup=lambda c: c.set_site(4, "required", "N/A"))
    case(
        "booleans/sites-restricted-YES",
        demand(),
        expect="accept",
        why="true/false, yes/no and 1/0 in any case are booleans (README)",
        setup=lambda c: c.set_site(0, "restricted", "YES"),
    )
    case(
        "booleans/sites-required-0",
        demand(),
        expect="accept",
        why="0 is false (README)",
        setup=lambda c: c.set_site(4, "required", "0"),
    )
    case(
        "booleans/mp-home-restricted-false",
        demand(),
        expect="accept",
        why="an MP's home is always restricted whatever the column says (README)",
        setup=lambda c: c.set_site(3, "restricted", "false"),
    )
    case(
        "booleans/config-required-ture",
        demand(),
        setup=lambda c: c.config_sub("priority = 2.5", 'priority = 2.5\nrequired = "ture"'),
    )
    case(
        "booleans/config-required-number-2",
        demand(),
        setup=lambda c: c.config_sub("priority = 2.5", "priority = 2.5\nrequired = 2"),
    )


def control_cases() -> None:
    case("control/sites-id-nul", demand(), setup=lambda c: c.set_site(0, "site_id", "NB-OFF\x00-1"))
    case(
        "control/sites-id-zero-width-space",
        demand(),
        setup=lambda c: c.set_site(0, "site_id", "NB-OFF\u200b-1"),
    )
    case(
        "control/sites-id-rtl-override",
        demand(),
        setup=lambda c: c.set_site(0, "site_id", "NB-\u202e1-FFO"),
    )
    case(
        "control/sites-id-newline", demand(), setup=lambda c: c.set_site(0, "site_id", "NB-OFF\n1")
    )
    case(
        "control/sites-name-nul-and-esc",
        demand(),
        expect="accept",
        why="control characters in names are removed with a warning naming the row (README)",
        setup=lambda c: c.set_site(4, "name", "St Aidan's\x00 Church \x1b[2J\x1b[31mred\x07"),
        checks=[no_control_chars("out")],
    )
    case(
        "control/sites-notes-tab-and-newline",
        demand(),
        expect="accept",
        why="tabs and line breaks in notes become spaces (README)",
        setup=lambda c: c.set_site(4, "notes", "one\ttwo\r\nthree"),
    )
    case(
        "control/config-raw-nul",
        demand(),
        setup=lambda c: _insert_bytes(c.config, b"# The built-in demo", b"\x00"),
    )
    case(
        "control/config-station-id-newline",
        demand(),
        setup=lambda c: c.config_sub('id = "NB-EAST"', 'id = "NB-\\nEAST"'),
    )
    case(
        "control/config-unit-id-tab",
        demand(),
        setup=lambda c: c.config_sub('id = "NB-CAR-2"', 'id = "NB-CAR\\t2"'),
    )
    case(
        "control/config-force-name-esc",
        demand(),
        setup=lambda c: c.config_sub(
            'name = "Northshire Police (demo)"', 'name = "Northshire \\u001b[2J Police"'
        ),
    )
    case(
        "control/config-force-name-nul",
        demand(),
        setup=lambda c: c.config_sub(
            'name = "Northshire Police (demo)"', 'name = "Northshire\\u0000Police"'
        ),
    )
    case(
        "control/crimes-nul-in-row",
        demand(),
        expect="accept",
        why="a damaged crime row is counted in crime_rejects.csv, the rest are used",
        setup=lambda c: _insert_bytes(c.crime, b"Waterloo Avenue", b"\x00\x00"),
        checks=[no_control_chars("out")],
    )
    case(
        "control/crimes-esc-in-location",
        demand(),
        expect="accept",
        why="Location is descriptive text; control characters are dropped",
        setup=lambda c: c.set_crime(0, "Location", "On or near \x1b]0;pwned\x07 Street"),
        checks=[no_control_chars("out")],
    )
    case(
        "control/previous-raw-nul",
        plan("--previous", "prev.json"),
        setup=lambda c: _insert_bytes(c.work / "prev.json", b'"force": "', b"\x00"),
    )


def huge_cases() -> None:
    def many_sites(c: Ctx) -> None:
        header, rows = c.read_csv(c.sites)
        base = rows[4]
        lon, lat = header.index("lon"), header.index("lat")
        rng = random.Random(4)
        out = []
        for i in range(100_000):
            r = list(base)
            r[0] = f"S{i:06d}"
            r[lon] = f"{-1.07 + rng.random() * 0.05:.6f}"
            r[lat] = f"{52.78 + rng.random() * 0.04:.6f}"
            out.append(r)
        c.write_csv(c.sites, header, out)

    def many_crimes(c: Ctx) -> None:
        header, rows = c.read_csv(c.crime)
        out = [rows[i % len(rows)] for i in range(100_000)]
        c.write_csv(c.crime, header, out)

    case("huge/sites-100000-rows", demand(), setup=many_sites)
    case(
        "huge/crimes-100000-rows",
        demand(),
        expect="accept",
        why="a big force's month is tens of thousands of rows; 100,000 must be read",
        setup=many_crimes,
    )
    case(
        "huge/config-2MB",
        demand(),
        setup=lambda c: c.config_append("# padding padding\n" * 120_000),
    )
    case(
        "huge/sites-200k-char-cell", demand(), setup=lambda c: c.set_site(4, "notes", "x" * 200_000)
    )
    case(
        "huge/previous-deep-nesting",
        plan("--previous", "prev.json"),
        setup=lambda c: (c.work / "prev.json").write_text("[" * 200_000 + "]" * 200_000),
    )
    case(
        "huge/problem-deep-nesting",
        solve(),
        setup=lambda c: (c.work / "problem.json").write_text(
            '{"a":' * 100_000 + "1" + "}" * 100_000
        ),
    )
    case(
        "huge/config-deep-nesting",
        demand(),
        setup=lambda c: c.config.write_text("a = " + "[" * 50_000 + "]" * 50_000 + "\n"),
    )


def number_cases() -> None:
    site = [
        ("visits-1000000", "visits_per_week", "1000000"),
        ("visits-inf", "visits_per_week", "inf"),
        ("visits-negative", "visits_per_week", "-3"),
        ("visits-fraction", "visits_per_week", "2.5"),
        ("visits-thousands-comma", "visits_per_week", "1,000"),
        ("visits-hex", "visits_per_week", "0x10"),
        ("visits-arabic-indic-digits", "visits_per_week", "١٢"),
        ("dwell-1e9", "dwell_min", "1e9"),
        ("dwell-nan", "dwell_min", "nan"),
        ("dwell-zero", "dwell_min", "0"),
        ("priority-zero", "priority", "0"),
        ("min-gap-169h", "min_gap_h", "169"),
        ("lon-1e400", "lon", "1e400"),
        ("lon-decimal-comma", "lon", "-1,051695"),
    ]
    for label, column, value in site:
        case(
            f"numbers/sites-{label}",
            demand(),
            setup=lambda c, k=column, v=value: c.set_site(4, k, v),
        )
    config = [
        ("kind-visits-1000000", "visits_per_week = 4", "visits_per_week = 1000000"),
        ("dwell-1e9", "dwell_min = 15 ", "dwell_min = 1e9 "),
        ("dwell-nan", "dwell_min = 15 ", "dwell_min = nan "),
        ("dwell-negative", "dwell_min = 15 ", "dwell_min = -15 "),
        ("pounds-inf", "pounds_per_week = 12000", "pounds_per_week = inf"),
        ("pounds-negative", "pounds_per_week = 12000", "pounds_per_week = -1"),
        ("cost-per-hour-zero", "cost_per_officer_hour = 45.00", "cost_per_officer_hour = 0"),
        ("hotspot-gap-1000000", "hotspot_min_gap_min = 60", "hotspot_min_gap_min = 1000000"),
        ("cell-zero", "cell_m = 150", "cell_m = 0"),
        ("top-n-negative", "top_n = 12", "top_n = -1"),
        ("synthetic-nodes-1e8", "nodes = 3000", "nodes = 100000000"),
        ("officers-zero", 'officers = 2\nstation = "NB-EAST"', 'officers = 0\nstation = "NB-EAST"'),
        ("time-limit-nan", "time_limit_s = 20", "time_limit_s = nan"),
        ("buffer-negative", "buffer_m = 500", "buffer_m = -5"),
        ("max-snap-nan", "max_snap_m = 300", "max_snap_m = nan"),
        ("iso-week-54", '"2026-W49"', '"2026-W54"'),
        ("start-date-tuesday", 'iso_week = "2026-W49"', "start_date = 2026-12-01"),
        ("shift-start-25h", 'start = "07:00"', 'start = "25:00"'),
        ("boundary-buffer-inf", "boundary_buffer_m = 200", "boundary_buffer_m = inf"),
        (
            "harm-weight-negative",
            "[demand]",
            '[incidents.harm_weights]\n"Burglary" = -1\n\n[demand]',
        ),
        ("harm-share-1.5", "top_n = 12", "harm_share = 1.5"),
    ]
    for label, old, new in config:
        case(f"numbers/config-{label}", demand(), setup=lambda c, o=old, n=new: c.config_sub(o, n))
    case(
        "numbers/config-officers-1000000",
        demand(),
        expect="any",
        why="a crew too dear for the budget is never chosen; a limit on crew size is also fine",
        setup=lambda c: c.config_sub(
            'officers = 2\nstation = "NB-EAST"', 'officers = 1000000\nstation = "NB-EAST"'
        ),
    )
    case(
        "numbers/config-seed-huge",
        plan(),
        expect="any",
        why="any integer seed may be mixed down to the solver's range, or refused",
        setup=lambda c: c.config_sub("seed = 49", "seed = 99999999999999999999999"),
    )
    case(
        "numbers/config-pounds-1e300",
        demand(),
        expect="accept",
        why="more money than units can spend: every unit-shift is bought and the rest reported",
        setup=lambda c: c.config_sub("pounds_per_week = 12000", "pounds_per_week = 1e300"),
    )
    prev = ("--previous", "prev.json")
    case("numbers/avoid-min-nan", plan(*prev, "--avoid-min", "nan"))
    case("numbers/avoid-min-negative", plan(*prev, "--avoid-min", "-5"))
    case("numbers/avoid-min-inf", plan(*prev, "--avoid-min", "inf"))
    case("numbers/avoid-min-nan-without-previous", plan("--avoid-min", "nan"))
    case("numbers/plan-time-limit-nan", plan("--time-limit", "nan"))
    case("numbers/plan-time-limit-negative", plan("--time-limit", "-1"))
    case("numbers/plan-iterations-zero", ("plan", "demo/force.toml", "--iterations", "0"))
    case(
        "numbers/plan-seed-huge",
        plan("--seed", str(2**80)),
        expect="any",
        why="any integer seed may be mixed down to the solver's range, or refused",
    )
    case(
        "numbers/solve-time-limit-nan",
        ("solve", "problem.json", "--seed", "1", "--time-limit", "nan"),
    )
    case(
        "numbers/solve-time-limit-negative",
        ("solve", "problem.json", "--seed", "1", "--time-limit", "-3"),
    )
    case("numbers/matrix-max-snap-nan", matrix("--max-snap-m", "nan"))
    case("numbers/matrix-max-snap-negative", matrix("--max-snap-m", "-1"))
    case("numbers/network-buffer-nan", network("net.osm.pbf", "--buffer-m", "nan"))


def _shift_times(doc: object, days: int) -> object:
    """Move every date and time in a plan document by ``days``."""
    if isinstance(doc, dict):
        return {k: _shift_times(v, days) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_shift_times(v, days) for v in doc]
    if isinstance(doc, str) and _ISO_DATETIME.match(doc):
        return (dt.datetime.fromisoformat(doc) + dt.timedelta(days=days)).isoformat()
    if isinstance(doc, str) and _ISO_DATE.match(doc):
        return (dt.date.fromisoformat(doc) + dt.timedelta(days=days)).isoformat()
    return doc


def _naive(doc: object) -> object:
    if isinstance(doc, dict):
        return {k: _naive(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_naive(v) for v in doc]
    if isinstance(doc, str) and _ISO_DATETIME.match(doc):
        return _OFFSET.sub("", doc)
    return doc


def _edit_plan(fn: Callable[[dict], object]) -> Callable[[Ctx], None]:
    """Change last week's plan in place (``fn``'s return value is ignored)."""

    def setup(c: Ctx) -> None:
        doc = c.plan_doc()
        fn(doc)
        c.write_plan(doc)

    return setup


def _replace_plan(fn: Callable[[dict], object]) -> Callable[[Ctx], None]:
    """Replace last week's plan by ``fn(plan)``."""
    return lambda c: c.write_plan(fn(c.plan_doc()))


def _week_shifted(weeks: int, label: str) -> Callable[[dict], object]:
    def fn(doc: dict) -> object:
        new = _shift_times(doc, 7 * weeks)
        assert isinstance(new, dict)
        new["week"] = label
        return new

    return fn


def previous_cases() -> None:
    prev = ("--previous", "prev.json")
    case(
        "previous/valid-last-week",
        plan(*prev),
        expect="accept",
        why="last week's plan of the same force: the documented use",
    )
    for label, text in (
        ("json-list", "[]"),
        ("json-string", '"plan"'),
        ("json-empty-object", "{}"),
        ("json-null", "null"),
        ("empty-file", ""),
    ):
        case(
            f"previous/{label}",
            plan(*prev),
            setup=lambda c, t=text: (c.work / "prev.json").write_text(t),
        )
    case(
        "previous/paid-hours-nan",
        plan(*prev),
        setup=lambda c: c.sub(
            c.work / "prev.json", '"paid_officer_hours": 16.0', '"paid_officer_hours": NaN'
        ),
    )
    case(
        "previous/routes-is-string", plan(*prev), setup=_edit_plan(lambda d: d.update(routes="abc"))
    )
    case("previous/routes-missing", plan(*prev), setup=_edit_plan(lambda d: d.pop("routes")))
    case(
        "previous/unserved-is-string",
        plan(*prev),
        setup=_edit_plan(lambda d: d.update(unserved="x")),
    )
    case(
        "previous/stop-start-is-number",
        plan(*prev),
        setup=_edit_plan(lambda d: d["routes"][0]["stops"][0].update(start=12345)),
    )
    case(
        "previous/stop-start-not-a-time",
        plan(*prev),
        setup=_edit_plan(lambda d: d["routes"][0]["stops"][0].update(start="yesterday")),
    )
    case(
        "previous/schema-wrong",
        plan(*prev),
        setup=_edit_plan(lambda d: d.update(schema="planner.plan/9")),
    )
    case(
        "previous/other-force",
        plan(*prev),
        setup=_edit_plan(lambda d: d.update(force="Southshire Police")),
    )
    case("previous/same-week", plan(*prev), setup=_replace_plan(_week_shifted(1, "2026-W49")))
    case("previous/later-week", plan(*prev), setup=_replace_plan(_week_shifted(2, "2026-W50")))
    case(
        "previous/week-label-disagrees-with-times",
        plan(*prev),
        setup=_edit_plan(lambda d: d.update(week="2026-W49")),
    )
    case("previous/naive-timestamps", plan(*prev), setup=_replace_plan(_naive))
    case(
        "previous/two-weeks-old",
        plan(*prev),
        expect="any",
        why="an older plan still says when visits were; using it or asking for last week's are both fine",
        setup=_replace_plan(_week_shifted(-1, "2026-W47")),
    )
    case(
        "previous/site-gone-this-week",
        plan(*prev),
        expect="accept",
        why="sites come and go between weeks; a stop at a site no longer listed constrains nothing",
        setup=_edit_plan(
            lambda d: d["routes"][0]["stops"][0].update(
                site_id="NB-CLOSED-99", visit_id="NB-CLOSED-99#1"
            )
        ),
    )
    case("previous/is-the-config", plan("--previous", "demo/force.toml"))
    case(
        "previous/binary",
        plan(*prev),
        setup=lambda c: (c.work / "prev.json").write_bytes(random.Random(5).randbytes(3000)),
    )
    case("previous/missing-file", plan("--previous", "nope.json"))


def _long(prefix: str) -> str:
    return (prefix + "-" + "X" * 300)[:300]


def id_cases() -> None:
    case(
        "ids/site-id-300-chars",
        demand(),
        expect="any",
        why="an id is a cell, not a file name: keep it, or refuse with a limit",
        setup=lambda c: c.set_site(4, "site_id", _long("NB-POW-1")),
    )
    case(
        "ids/unit-id-300-chars",
        plan(),
        expect="any",
        why="file names are shortened (MAX_SLUG_CHARS); or a length limit refuses it",
        setup=lambda c: c.config_sub('id = "NB-CAR-1"', f'id = "{_long("NB-CAR-1")}"'),
        checks=[one_file_per_route("out")],
    )
    case(
        "ids/station-id-300-chars",
        demand(),
        expect="any",
        why="an id is text; or a length limit refuses it",
        setup=lambda c: c.config_sub('"NB-CENTRAL"', f'"{_long("NB-CENTRAL")}"', count=4),
    )
    case(
        "ids/shift-name-300-chars",
        plan(),
        expect="any",
        why="file names are shortened (MAX_SLUG_CHARS); or a length limit refuses it",
        setup=lambda c: c.config_sub('"late"', f'"{_long("late")}"', count=10),
        checks=[one_file_per_route("out")],
    )

    def colliding(a: str, b: str) -> Callable[[Ctx], None]:
        return lambda c: (
            c.config_sub('id = "NB-FOOT-1"', f'id = "{a}"'),
            c.config_sub('id = "NB-FOOT-2"', f'id = "{b}"'),
        )

    case(
        "ids/units-space-vs-underscore",
        plan(),
        expect="any",
        why="distinct ids: both planned into distinct files, or refused as confusable",
        setup=colliding("NB FOOT", "NB_FOOT"),
        checks=[one_file_per_route("out")],
    )
    case(
        "ids/units-differ-in-case",
        plan(),
        expect="any",
        why="distinct ids: both planned into distinct files, or refused as confusable",
        setup=colliding("nb-foot", "NB-FOOT"),
        checks=[one_file_per_route("out")],
    )
    case(
        "ids/unit-id-path-traversal",
        plan(),
        expect="any",
        why="an id is text; file names made from it must stay inside the run folder",
        setup=lambda c: c.config_sub('id = "NB-FOOT-1"', 'id = "../../../../escape"'),
        checks=[one_file_per_route("out")],
    )
    case(
        "ids/duplicate-unit-id",
        demand(),
        setup=lambda c: c.config_sub('id = "NB-CAR-2"', 'id = "NB-CAR-1"'),
    )
    case(
        "ids/duplicate-station-id",
        demand(),
        setup=lambda c: c.config_sub('id = "NB-EAST"', 'id = "NB-CENTRAL"'),
    )
    case(
        "ids/duplicate-shift-name",
        demand(),
        setup=lambda c: c.config_sub('name = "late"', 'name = "early"'),
    )
    case("ids/empty-unit-id", demand(), setup=lambda c: c.config_sub('id = "NB-CAR-2"', 'id = ""'))
    case("ids/empty-site-id", demand(), setup=lambda c: c.set_site(4, "site_id", ""))
    case(
        "ids/force-name-300-chars",
        plan(out=None),
        expect="any",
        why="the default run folder's name is shortened (MAX_SLUG_CHARS)",
        setup=lambda c: c.config_sub(
            'name = "Northshire Police (demo)"', f'name = "{_long("Northshire")}"'
        ),
    )
    case(
        "ids/force-name-path-traversal",
        plan(out=None),
        expect="any",
        why="the default run folder is a slug of the name, inside out/",
        setup=lambda c: c.config_sub(
            'name = "Northshire Police (demo)"', 'name = "../../../../tmp/evil"'
        ),
    )


def coordinate_cases() -> None:
    station = "lon = -1.0300\nlat = 52.7990"
    case(
        "coordinates/station-lat-91",
        demand(),
        setup=lambda c: c.config_sub(station, "lon = -1.0300\nlat = 91.0"),
    )
    case(
        "coordinates/station-swapped",
        demand(),
        setup=lambda c: c.config_sub(station, "lon = 52.7990\nlat = -1.0300"),
    )
    case(
        "coordinates/station-in-the-north-sea",
        demand(),
        setup=lambda c: c.config_sub(station, "lon = 2.3\nlat = 53.5"),
    )
    case(
        "coordinates/station-nan",
        demand(),
        setup=lambda c: c.config_sub(station, "lon = nan\nlat = 52.7990"),
    )
    case("coordinates/site-lat-91", demand(), setup=lambda c: c.set_site(4, "lat", "91"))
    case(
        "coordinates/site-zero-zero",
        demand(),
        setup=lambda c: (c.set_site(4, "lon", "0"), c.set_site(4, "lat", "0")),
    )
    case(
        "coordinates/site-swapped",
        demand(),
        setup=lambda c: (c.set_site(4, "lon", "52.798459"), c.set_site(4, "lat", "-1.051695")),
    )
    case(
        "coordinates/site-in-the-north-sea",
        demand(),
        expect="accept",
        why="a site far from any road is reported in rejects.csv with its distance (README)",
        setup=lambda c: (c.set_site(4, "lon", "2.3"), c.set_site(4, "lat", "53.5")),
    )
    case("coordinates/site-half-pair", demand(), setup=lambda c: c.set_site(4, "lat", ""))
    case(
        "coordinates/site-easting-northing-swapped",
        demand(),
        expect="accept",
        why="the swapped pair is a valid point 198 km from the demo town: like a site in the "
        "North Sea it is reported in rejects.csv with its distance from the nearest road",
        setup=lambda c: (
            c.set_site(4, "easting", "322700"),
            c.set_site(4, "northing", "464790"),
            c.set_site(4, "lon", ""),
            c.set_site(4, "lat", ""),
        ),
    )
    case(
        "coordinates/site-pairs-disagree",
        demand(),
        setup=lambda c: (c.set_site(4, "easting", "400000"), c.set_site(4, "northing", "300000")),
    )
    case(
        "coordinates/site-easting-negative",
        demand(),
        setup=lambda c: (
            c.set_site(4, "easting", "-5"),
            c.set_site(4, "northing", "300000"),
            c.set_site(4, "lon", ""),
            c.set_site(4, "lat", ""),
        ),
    )
    case(
        "coordinates/crimes-swapped-and-out-of-range",
        demand(),
        expect="accept",
        why="crime rows with bad coordinates are counted in crime_rejects.csv",
        setup=lambda c: (
            c.set_crime(0, "Longitude", "52.801137"),
            c.set_crime(0, "Latitude", "-1.046139"),
            c.set_crime(1, "Longitude", "999"),
            c.set_crime(2, "Latitude", "nan"),
        ),
    )
    case(
        "coordinates/exclude-place-lat-200",
        demand(),
        setup=lambda c: c.config_sub(
            "[demand]",
            '[[incidents.exclude]]\nname = "Prison"\nlon = -1.05\nlat = 200\nradius_m = 100\n\n[demand]',
        ),
    )


def hostile_cases() -> None:
    def names(c: Ctx) -> None:
        c.set_site(4, "name", FORMULA)
        c.set_site(4, "notes", "+1+1 @SUM(A1) " + MD_LINK)
        c.set_site(5, "name", "-2+3")
        c.set_site(5, "notes", "@SUM(1+1)*cmd|' /C calc'!A0")
        c.set_site(6, "name", SCRIPT)
        c.set_site(6, "notes", IMG)
        c.set_site(7, "name", "\t=1+1")
        c.set_site(8, "name", MD_LINK)

    case(
        "hostile/site-names-and-notes",
        plan(),
        expect="accept",
        why="any text is a valid name; outputs neutralise formulas and escape markup",
        setup=names,
        checks=HOSTILE_CHECKS,
    )
    case(
        "hostile/site-names-redacted-run",
        plan("--redact"),
        expect="accept",
        why="any text is a valid name; redaction does not change escaping",
        setup=names,
        checks=HOSTILE_CHECKS,
    )
    case(
        "hostile/force-name-formula",
        plan(out=None),
        expect="accept",
        why="a force name is free text; outputs neutralise it",
        setup=lambda c: c.config_sub('name = "Northshire Police (demo)"', f'name = "{FORMULA}"'),
        checks=[no_formula_cells("out"), no_raw_markup("out")],
    )
    case(
        "hostile/station-name-script-and-link",
        plan(),
        expect="accept",
        why="a station name is free text; outputs escape it",
        setup=lambda c: c.config_sub(
            'name = "Eastfield police office (fictional)"', f'name = "{SCRIPT} {MD_LINK}"'
        ),
        checks=HOSTILE_CHECKS,
    )
    case(
        "hostile/unit-and-shift-formula-ids",
        plan(),
        expect="any",
        why="ids are printable text; outputs neutralise them (or a stricter id rule refuses them)",
        setup=lambda c: (
            c.config_sub('id = "NB-CAR-1"', 'id = "=HYPERLINK(\\"http://x\\")"'),
            c.config_sub('"late"', '"@late"', count=10),
        ),
        checks=[*HOSTILE_CHECKS, one_file_per_route("out")],
    )
    case(
        "hostile/crime-type-and-location",
        demand(),
        expect="accept",
        why="an unknown crime type is a reject; its text goes to crime_rejects.csv neutralised",
        setup=lambda c: (
            c.set_crime(0, "Crime type", "=1+1"),
            c.set_crime(1, "Crime type", "@cmd"),
            c.set_crime(2, "Location", f"On or near {IMG}"),
            c.set_crime(3, "LSOA name", "+44 " + FORMULA),
        ),
        checks=[no_formula_cells("out")],
    )
    case(
        "hostile/site-id-formula",
        demand(),
        expect="accept",
        why="site ids are printable text; outputs neutralise them",
        setup=lambda c: (c.set_site(4, "site_id", "@SUM(A1)"), c.set_site(5, "site_id", "=1+2")),
        checks=[no_formula_cells("out")],
    )
    case(
        "hostile/matrix-site-names",
        matrix(),
        expect="accept",
        why="any text is a valid name; the snap report neutralises formulas",
        setup=lambda c: (c.set_site(4, "site_id", "=1+2"), c.set_site(4, "name", FORMULA)),
        checks=[no_formula_cells("mout")],
    )
    restricted = ("-1.065985", "52.808621", "MP home (fictional)")
    case(
        "hostile/redacted-home-not-in-shared-outputs",
        plan("--redact"),
        expect="accept",
        why="--redact is the documented way to share a plan holding an MP's home",
        checks=[text_absent("out", restricted, ("map.html", "*.gpx", "briefings/*.html"))],
    )


def out_cases() -> None:
    def foreign(c: Ctx) -> None:
        f = c.work / "mine"
        f.mkdir()
        (f / "thesis.docx").write_bytes(b"PK\x03\x04 my only copy")
        (f / "notes.txt").write_text("do not delete")
        remember_listing(c, "mine")

    case(
        "out/plan-dot-in-config-folder-twice",
        plan(config="force.toml", out="."),
        plan(config="force.toml", out="."),
        cwd="demo",
    )
    case(
        "out/plan-into-foreign-folder",
        plan(out="mine"),
        setup=foreign,
        checks=[files_unchanged("mine")],
    )
    case("out/plan-parent-of-config", plan(out="demo/.."))
    case("out/plan-into-input-folder", plan(out="demo/crimes"))

    def symlink(c: Ctx) -> None:
        foreign(c)
        (c.work / "link").symlink_to(c.work / "mine", target_is_directory=True)

    case(
        "out/plan-symlink-to-foreign",
        plan(out="link"),
        setup=symlink,
        checks=[files_unchanged("mine")],
    )

    def run_plus_user_file(c: Ctx) -> None:
        shutil.copytree(c.root.parents[1] / "fixtures" / "w48-plan", c.work / "out")
        (c.work / "out" / "my-notes.txt").write_text("added by hand")
        remember_listing(c, "out")

    case(
        "out/plan-over-run-holding-a-user-file",
        plan(),
        setup=run_plus_user_file,
        checks=[files_unchanged("out")],
    )
    case(
        "out/plan-same-out-twice",
        plan(),
        plan(),
        expect="accept",
        why="a run folder is replaced whole by the next run into it (README)",
    )
    case(
        "out/demand-over-input-named-visits",
        demand(out="demo"),
        setup=lambda c: (
            c.sites.rename(c.demo / "visits.csv"),
            c.config_sub('["sites.csv"]', '["visits.csv"]'),
        ),
    )
    case(
        "out/demand-into-foreign-folder",
        demand(out="mine"),
        expect="any",
        why="demand writes six named tables; other files must be left alone either way",
        setup=foreign,
    )
    case("out/solve-over-its-problem", solve("--out", "problem.json"))
    case("out/network-save-over-its-source", network("net.osm.pbf", "--save", "net.osm.pbf"))
    case(
        "out/matrix-dot-in-config-folder",
        (
            "matrix",
            "../net.osm.pbf",
            "--sites",
            "sites.csv",
            "--out",
            ".",
            "--cache-dir",
            "{cache}",
        ),
        expect="any",
        why="matrix files next to the inputs are harmless if no input is overwritten",
        cwd="demo",
        needs=("net.osm.pbf",),
    )
    case(
        "out/solve-out-in-missing-folder",
        solve("--out", "nodir/sub/solution.json"),
        expect="any",
        why="creating the folder or refusing are both fine",
    )


def toml_cases() -> None:
    case(
        "toml/unknown-top-level-key",
        demand(),
        setup=lambda c: c.config_sub("sites = [", "colour = 'blue'\nsites = ["),
    )
    case(
        "toml/unknown-budget-key",
        demand(),
        setup=lambda c: c.config_sub(
            "pounds_per_week = 12000", "pounds_per_week = 12000\npounds_per_month = 48000"
        ),
    )
    case(
        "toml/misspelled-units-table",
        demand(),
        setup=lambda c: c.config_sub("[[units]]", "[[unit]]"),
    )
    case(
        "toml/base-dir-key",
        demand(),
        setup=lambda c: c.config_sub("sites = [", "base_dir = '/etc'\nsites = ["),
    )
    case(
        "toml/duplicate-key",
        demand(),
        setup=lambda c: c.config_sub("cell_m = 150", "cell_m = 150\ncell_m = 200"),
    )
    case("toml/syntax-error", demand(), setup=lambda c: c.config_sub("[budget]", "[budget"))
    case(
        "toml/two-road-sources",
        demand(),
        setup=lambda c: c.config_sub(
            "[area.synthetic]", 'network = "roads.osm.pbf"\n[area.synthetic]'
        ),
    )
    case(
        "toml/no-road-source",
        demand(),
        setup=lambda c: c.config_sub(
            'profile = "town"\nseed = 2024\nnodes = 3000\nname = "Northby"', ""
        ),
    )
    case("toml/empty-file", demand(), setup=lambda c: c.config.write_text(""))
    case(
        "toml/sites-is-a-string",
        demand(),
        setup=lambda c: c.config_sub('sites = ["sites.csv"]', 'sites = "sites.csv"'),
    )
    case(
        "toml/iso-week-and-start-date",
        demand(),
        setup=lambda c: c.config_sub(
            'iso_week = "2026-W49"', 'iso_week = "2026-W49"\nstart_date = 2026-11-30'
        ),
    )
    case("toml/table-name-case", demand(), setup=lambda c: c.config_sub("[force]", "[Force]"))
    case(
        "toml/unknown-crime-type",
        demand(),
        setup=lambda c: c.config_sub(
            'method = "grid"', 'method = "grid"\ncrime_types = ["Jaywalking"]'
        ),
    )
    case(
        "toml/json-not-toml",
        demand(),
        setup=lambda c: c.config.write_text('{"force": {"name": "x"}}'),
    )
    case("toml/missing-force-table", demand(), setup=lambda c: c.config_sub("[force]", "[forces]"))
    case(
        "toml/undefined-station",
        demand(),
        setup=lambda c: c.config_sub('station = "NB-EAST"', 'station = "NB-WEST"'),
    )
    case(
        "toml/undefined-shift",
        demand(),
        setup=lambda c: c.config_sub('shifts = ["late"]', 'shifts = ["evening"]'),
    )
    case("toml/missing-sites-file", demand(), setup=lambda c: c.sites.unlink())


_GRAPHML_HEAD = """<?xml version='1.0' encoding='utf-8'?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
<key id="x" for="node" attr.name="x" attr.type="double"/>
<key id="y" for="node" attr.name="y" attr.type="double"/>
<key id="len" for="edge" attr.name="length" attr.type="double"/>
<key id="hw" for="edge" attr.name="highway" attr.type="string"/>
<key id="ow" for="edge" attr.name="oneway" attr.type="string"/>
"""


def _graphml(directed: bool, with_xy: bool = True, n: int = 6) -> str:
    """A small street grid as GraphML (no geometry, no from/to)."""
    lines = [_GRAPHML_HEAD, f'<graph edgedefault="{"directed" if directed else "undirected"}">']
    for i in range(n):
        for j in range(n):
            xy = f'<data key="x">{-1.06 + i * 0.002}</data><data key="y">{52.79 + j * 0.002}</data>'
            lines.append(f'<node id="{i * n + j + 1}">{xy if with_xy else ""}</node>')
    for i in range(n):
        for j in range(n):
            a = i * n + j + 1
            for b in ([a + 1] if j + 1 < n else []) + ([a + n] if i + 1 < n else []):
                tags = '<data key="len">140</data><data key="hw">residential</data>'
                tags += f'<data key="ow">{"True" if (a + b) % 5 == 0 else "False"}</data>'
                lines.append(f'<edge source="{a}" target="{b}">{tags}</edge>')
    lines.append("</graph></graphml>")
    return "\n".join(lines)


_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE osm [\n<!ENTITY a "lollollollollollollollollollol">\n'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n' for i in range(9))
    + ']>\n<osm version="0.6"><node id="1" lat="52.8" lon="-1.05"><tag k="name" v="&j;"/></node>'
    + '<way id="1"><nd ref="1"/><nd ref="1"/><tag k="highway" v="residential"/></way></osm>\n'
)
_XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE osm [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    '<osm version="0.6"><node id="1" lat="52.8" lon="-1.05"><tag k="name" v="&x;"/></node></osm>\n'
)


def network_cases() -> None:
    def write(name: str, data: bytes | str) -> Callable[[Ctx], None]:
        def setup(c: Ctx) -> None:
            path = c.work / name
            path.write_bytes(data.encode() if isinstance(data, str) else data)

        return setup

    def from_osm(name: str, fn: Callable[[bytes], bytes]) -> Callable[[Ctx], None]:
        return lambda c: (c.work / name).write_bytes(fn((c.work / "net.osm").read_bytes()))

    case(
        "network/valid-pbf",
        network("net.osm.pbf"),
        expect="accept",
        why="the baseline: a synthetic extract",
    )
    case(
        "network/valid-osm-xml",
        network("net.osm"),
        expect="accept",
        why="the baseline: the same extract as XML",
    )
    case(
        "network/valid-osm-bz2",
        network("roads.osm.bz2"),
        expect="accept",
        why="the baseline: bz2-compressed XML",
        setup=from_osm("roads.osm.bz2", bz2.compress),
        needs=("net.osm",),
    )
    case(
        "network/text-as-pbf",
        network("roads.osm.pbf"),
        setup=write("roads.osm.pbf", "<html>502 Bad Gateway</html>\n"),
    )
    case("network/empty-pbf", network("roads.osm.pbf"), setup=write("roads.osm.pbf", b""))
    case(
        "network/truncated-pbf",
        network("roads.osm.pbf"),
        setup=lambda c: (c.work / "roads.osm.pbf").write_bytes(
            (c.work / "net.osm.pbf").read_bytes()[:20000]
        ),
        needs=("net.osm.pbf",),
    )
    case(
        "network/truncated-bz2",
        network("roads.osm.bz2"),
        setup=from_osm("roads.osm.bz2", lambda b: bz2.compress(b)[: len(bz2.compress(b)) // 2]),
        needs=("net.osm",),
    )
    case("network/empty-bz2", network("roads.osm.bz2"), setup=write("roads.osm.bz2", b""))
    case(
        "network/not-gzip",
        network("roads.osm.gz"),
        setup=write("roads.osm.gz", "plain text, not gzip\n"),
    )
    case(
        "network/truncated-gz",
        network("roads.osm.gz"),
        setup=from_osm("roads.osm.gz", lambda b: gzip.compress(b)[:5000]),
        needs=("net.osm",),
    )
    case(
        "network/xml-no-ways",
        network("roads.osm"),
        setup=write(
            "roads.osm",
            '<?xml version="1.0"?>\n<osm version="0.6"><node id="1" lat="52.8" lon="-1.05"/></osm>\n',
        ),
    )
    case(
        "network/xml-garbage",
        network("roads.osm"),
        setup=write("roads.osm", "<osm><way id='1'><nd ref=</osm"),
    )
    case("network/xml-billion-laughs", network("roads.osm"), setup=write("roads.osm", _LAUGHS))
    case("network/xml-external-entity", network("roads.osm"), setup=write("roads.osm", _XXE))
    case(
        "network/xml-node-lat-95",
        network("roads.osm"),
        setup=from_osm("roads.osm", lambda b: re.sub(rb'lat="52\.', b'lat="95.', b, count=0)),
        needs=("net.osm",),
    )
    case(
        "network/xml-missing-some-nodes",
        network("roads.osm"),
        expect="accept",
        why="clipped extracts reference nodes outside them; those ways are cut, not fatal",
        setup=from_osm("roads.osm", lambda b: re.sub(rb"<node [^>]*/>\s*", b"", b, count=40)),
        needs=("net.osm",),
    )
    case(
        "network/graphml-undirected",
        network("roads.graphml"),
        expect="any",
        why="an undirected GraphML is read with a warning about one-way streets, or refused",
        setup=write("roads.graphml", _graphml(directed=False)),
    )
    case(
        "network/graphml-no-xy",
        network("roads.graphml"),
        setup=write("roads.graphml", _graphml(True, with_xy=False)),
    )
    case(
        "network/graphml-no-edges",
        network("roads.graphml"),
        setup=write(
            "roads.graphml",
            _GRAPHML_HEAD + '<graph edgedefault="directed"><node id="1"/></graph></graphml>',
        ),
    )
    case(
        "network/graphml-not-xml",
        network("roads.graphml"),
        setup=write("roads.graphml", "node,x,y\n1,2,3\n"),
    )
    case(
        "network/npz-junk",
        network("roads.npz"),
        setup=write("roads.npz", random.Random(6).randbytes(5000)),
    )

    def npz_wrong(c: Ctx) -> None:
        buf = io.BytesIO()
        import numpy as np  # only this case needs numpy in the harness

        np.savez(buf, a=np.arange(5), b=np.array(["x"]))
        (c.work / "roads.npz").write_bytes(buf.getvalue())

    case("network/npz-wrong-arrays", network("roads.npz"), setup=npz_wrong)
    case(
        "network/unknown-extension",
        network("roads.shp"),
        setup=write("roads.shp", b"\x00\x00\x27\x0a" + bytes(96)),
    )
    case(
        "network/overpass-json-not-osm",
        network("roads.json"),
        setup=write("roads.json", '{"elements": "nope"}'),
    )
    case(
        "network/overpass-json-list", network("roads.json"), setup=write("roads.json", "[1, 2, 3]")
    )
    case(
        "network/xml-named-pbf",
        network("roads.osm.pbf"),
        setup=lambda c: shutil.copyfile(c.work / "net.osm", c.work / "roads.osm.pbf"),
        needs=("net.osm",),
    )
    case(
        "network/boundary-junk",
        network("net.osm.pbf", "--boundary", "b.geojson"),
        setup=write("b.geojson", "{not json"),
    )
    case(
        "network/boundary-in-the-sea",
        network("net.osm.pbf", "--boundary", "b.geojson"),
        setup=write(
            "b.geojson",
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {"name": "Sea"},
                            "geometry": {
                                "type": "Polygon",
                                "coordinates": [
                                    [[2.2, 53.4], [2.4, 53.4], [2.4, 53.6], [2.2, 53.4]]
                                ],
                            },
                        }
                    ],
                }
            ),
        ),
    )
    case(
        "network/boundary-name-without-boundary",
        network("net.osm.pbf", "--boundary-name", "Rutland"),
    )
    case(
        "network/config-network-text-file",
        demand(),
        setup=lambda c: (
            c.config_sub('profile = "town"\nseed = 2024\nnodes = 3000\nname = "Northby"', ""),
            c.config_sub("[area.synthetic]", ""),
            c.config_sub("buffer_m = 500", 'buffer_m = 500\nnetwork = "roads.osm.pbf"'),
            (c.demo / "roads.osm.pbf").write_text("Not Found\n"),
        ),
    )
    case(
        "network/matrix-on-broken-network",
        matrix(source="roads.osm.pbf"),
        setup=write("roads.osm.pbf", random.Random(7).randbytes(3000)),
    )


def _problem(fn: Callable[[dict], object]) -> Callable[[Ctx], None]:
    """Change the small problem in place (``fn``'s return value is ignored)."""

    def setup(c: Ctx) -> None:
        doc = c.problem_doc()
        fn(doc)
        c.write_problem(doc)

    return setup


def problem_cases() -> None:
    case("problem/valid", solve(), expect="accept", why="the baseline: a small valid problem")
    case("problem/json-list", solve(), setup=lambda c: c.write_problem([PROBLEM]))
    case("problem/schema-missing", solve(), setup=_problem(lambda d: d.pop("schema")))
    case(
        "problem/schema-other",
        solve(),
        setup=_problem(lambda d: d.update(schema="planner.routing-problem/2")),
    )
    case(
        "problem/matrix-not-square",
        solve(),
        setup=_problem(lambda d: d["travel_time_s"]["car"][1].pop()),
    )
    case(
        "problem/matrix-ragged-strings",
        solve(),
        setup=_problem(lambda d: d["travel_time_s"]["car"].__setitem__(2, "abcd")),
    )
    case(
        "problem/matrix-nan-literal",
        solve(),
        setup=_problem(lambda d: d["travel_time_s"]["car"][1].__setitem__(2, float("nan"))),
    )
    case(
        "problem/matrix-infinity-literal",
        solve(),
        setup=_problem(lambda d: d["travel_time_s"]["car"][1].__setitem__(2, float("inf"))),
    )
    case(
        "problem/matrix-negative-time",
        solve(),
        setup=_problem(lambda d: d["travel_time_s"]["car"][1].__setitem__(2, -200.0)),
    )
    case(
        "problem/location-out-of-range",
        solve(),
        setup=_problem(lambda d: d["visits"][0].update(location=99)),
    )
    case(
        "problem/location-negative",
        solve(),
        setup=_problem(lambda d: d["vehicles"][0].update(start_location=-1)),
    )
    case(
        "problem/location-fraction",
        solve(),
        setup=_problem(lambda d: d["visits"][0].update(location=1.5)),
    )
    case(
        "problem/location-bool",
        solve(),
        setup=_problem(lambda d: d["visits"][0].update(location=True)),
    )
    case(
        "problem/duplicate-visit-ids",
        solve(),
        setup=_problem(lambda d: d["visits"][1].update(visit_id="a#1")),
    )
    case(
        "problem/vehicle-mode-unknown",
        solve(),
        setup=_problem(lambda d: d["vehicles"][0].update(mode="bike")),
    )
    case(
        "problem/visit-group-unknown",
        solve(),
        setup=_problem(lambda d: d["visits"][1].update(group="zzz")),
    )
    case(
        "problem/window-inverted",
        solve(),
        setup=_problem(lambda d: d["visits"][0].update(windows=[[28800.0, 0.0]])),
    )
    case(
        "problem/windows-a-string",
        solve(),
        setup=_problem(lambda d: d["visits"][0].update(windows="all day")),
    )
    case(
        "problem/prize-negative",
        solve(),
        setup=_problem(lambda d: d["visits"][0].update(prize=-5.0)),
    )
    case(
        "problem/service-1e308",
        solve(),
        setup=_problem(lambda d: d["visits"][0].update(service_s=1e308)),
    )
    case("problem/no-matrices", solve(), setup=_problem(lambda d: d.update(travel_time_s={})))
    case(
        "problem/budget-nan-literal",
        solve(),
        setup=_problem(lambda d: d.update(budget_paid_hours=float("nan"))),
    )
    case(
        "problem/no-visits",
        solve(),
        expect="accept",
        why="an empty problem has the empty solution",
        setup=_problem(lambda d: d.update(visits=[], groups=[])),
    )
    case(
        "problem/no-vehicles-no-required",
        solve(),
        expect="accept",
        why="with nothing required and no vehicle, nothing is served: a valid (empty) plan",
        setup=_problem(lambda d: (d.update(vehicles=[]), d["visits"][2].update(required=False))),
    )
    case(
        "problem/required-unreachable",
        solve(),
        setup=_problem(lambda d: d["visits"][2].update(windows=[[40000.0, 41000.0]])),
    )
    case(
        "problem/numbers-as-strings",
        solve(),
        setup=_problem(lambda d: d["visits"][0].update(service_s="900", prize="2")),
    )
    case(
        "problem/visit-id-300-chars",
        solve(),
        expect="accept",
        why="an id is text; nothing is named after it",
        setup=_problem(lambda d: d["visits"][1].update(visit_id=_long("b"))),
    )
    case(
        "problem/seed-huge",
        ("solve", "problem.json", "--seed", str(2**80), "--iterations", ITERATIONS),
        expect="any",
        why="any integer seed may be mixed down, or refused",
    )


def batch_cases() -> None:
    def area(c: Ctx, name: str) -> Path:
        folder = c.work / "areas" / name
        shutil.copytree(c.demo, folder)
        return folder

    def broken(c: Ctx) -> None:
        folder = area(c, "a")
        (folder / "force.toml").write_text((folder / "force.toml").read_text() + "\nbogus = 1\n")

    case("batch/missing-path", batch("nowhere"))
    case("batch/empty-folder", batch("empty"), setup=lambda c: (c.work / "empty").mkdir())
    case("batch/broken-config", batch("areas"), setup=broken)
    case(
        "batch/utf16-config",
        batch("areas"),
        setup=lambda c: c.recode(area(c, "a") / "force.toml", "utf-16"),
    )
    case("batch/not-a-config", batch("demo/sites.csv"))
    case("batch/out-dot-in-config-folder", batch("force.toml", out="."), cwd="demo")

    def foreign(c: Ctx) -> None:
        (c.work / "mine").mkdir()
        (c.work / "mine" / "notes.txt").write_text("do not delete")
        remember_listing(c, "mine")

    case(
        "batch/out-into-foreign-folder",
        batch("demo/force.toml", out="mine"),
        expect="any",
        why="a batch folder may share a folder with other files if it leaves them alone",
        setup=foreign,
        checks=[files_unchanged("mine")],
    )

    def same_name(c: Ctx) -> None:
        area(c, "a")
        b = area(c, "b")
        (b / "force.toml").write_text(
            (b / "force.toml").read_text().replace("seed = 49", "seed = 50")
        )

    def two_runs(ctx: Ctx) -> list[str]:
        runs = [p for p in (ctx.work / "bout").rglob("plan.json")]
        summary = ctx.work / "bout" / "national_summary.csv"
        if not summary.exists():
            return []
        with summary.open(encoding="utf-8-sig") as f:
            ok = sum(1 for r in csv.DictReader(f) if r.get("status") == "ok")
        return [f"{ok} areas ok but {len(runs)} run folders"] if len(runs) != ok else []

    case(
        "batch/two-areas-same-force-name",
        batch("areas"),
        expect="any",
        why="two configs of one force: two run folders, or one refused as a duplicate",
        setup=same_name,
        checks=[two_runs],
    )
    case(
        "batch/hostile-force-name",
        batch("demo/force.toml"),
        expect="accept",
        why="a force name is free text; the national summary neutralises it",
        setup=lambda c: c.config_sub(
            'name = "Northshire Police (demo)"', f'name = "{FORMULA} {SCRIPT}"'
        ),
        checks=[no_formula_cells("bout"), no_raw_markup("bout")],
    )


for _register in (
    encoding_cases,
    folder_cases,
    csv_shape_cases,
    boolean_cases,
    control_cases,
    huge_cases,
    number_cases,
    previous_cases,
    id_cases,
    coordinate_cases,
    hostile_cases,
    out_cases,
    toml_cases,
    network_cases,
    problem_cases,
    batch_cases,
):
    _register()


# ------------------------------------------------------------------------------- the runner
@dataclass
class Run:
    """One finished command."""

    argv: tuple[str, ...]
    code: int | None  # None: timed out
    stdout: str
    stderr: str
    seconds: float


@dataclass
class Outcome:
    """How a case ended."""

    case: Case
    kind: str  # CLEAN, TRACEBACK, HANG, ACCEPTED or SETUP_FAILED
    line: str  # the error line, or a summary
    where: str = ""  # for a traceback: the deepest planner frame
    problems: list[str] = field(default_factory=list)  # failed post-checks
    seconds: float = 0.0

    @property
    def verdict(self) -> str:
        """``ok`` or what went wrong."""
        if self.kind == SETUP_FAILED:
            return "harness"
        if self.kind in {TRACEBACK, HANG}:
            return self.kind
        if self.kind == ACCEPTED and self.case.expect == "error":
            return "accepted wrongly"
        if self.kind == CLEAN and self.case.expect == "accept":
            return "refused wrongly"
        if self.problems:
            return "check failed"
        return "ok"


def _hash_tree(folder: Path) -> dict[str, str]:
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _entries(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _execute(argv: Sequence[str], cwd: Path, timeout_s: float) -> Run:
    start = time.perf_counter()
    proc = subprocess.Popen(
        planner_cmd(argv),
        cwd=cwd,
        env=child_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: a hang is killed with its workers
    )
    try:
        out, err = proc.communicate(timeout=timeout_s)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        code = None
    # A batch's workers may outlive it; they are this case's, so end them too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    return Run(
        tuple(argv),
        code,
        out.decode("utf-8", errors="replace"),
        err.decode("utf-8", errors="replace"),
        time.perf_counter() - start,
    )


def error_lines(text: str) -> list[str]:
    """The lines of ``text`` that are not log, progress or click usage boilerplate."""
    lines = []
    for raw in text.replace("\r", "\n").splitlines():
        line = _ANSI.sub("", raw).rstrip()
        if not line.strip() or _LOG_LINE.match(line) or _CLICK_BOILERPLATE.match(line):
            continue
        lines.append(line)
    return lines


def _traceback_summary(text: str) -> tuple[str, str]:
    """The exception line and the deepest frame in the planner package."""
    lines = text.splitlines()
    where = ""
    for line in lines:
        m = _FRAME.match(line)
        if m and "/planner/" in m.group(1).replace("\\", "/"):
            path = m.group(1).replace("\\", "/")
            where = f"{path[path.rindex('/planner/') + 1 :]}:{m.group(2)} in {m.group(3)}"
    tail = [x for x in lines if x.strip() and not x.startswith(" ")]
    return (tail[-1] if tail else "Traceback"), where


def classify(case_: Case, run: Run) -> tuple[str, str, str]:
    """``(kind, first error line, where)`` for the last command of a case."""
    if run.code is None:
        return HANG, f"no exit after {case_.timeout_s:.0f} s", ""
    both = run.stdout + "\n" + run.stderr
    if "Traceback (most recent call last)" in both:
        return (
            TRACEBACK,
            *_traceback_summary(run.stderr if "Traceback" in run.stderr else run.stdout),
        )
    if run.code < 0:
        return TRACEBACK, f"killed by signal {-run.code}", ""
    if run.code == 0:
        return ACCEPTED, (error_lines(run.stdout) or [""])[0][:200], ""
    if run.code not in case_.error_codes:
        lines = error_lines(run.stderr) or error_lines(run.stdout) or [""]
        return TRACEBACK, f"exit code {run.code}: {lines[0]}", ""
    err = error_lines(run.stderr)
    if run.code == 1 and case_.runs[-1][0] == "batch":
        # A failed area is reported in the summary table on stdout, one 'error:' line each.
        err = err or [x.strip() for x in run.stdout.splitlines() if x.strip().startswith("error:")]
        err = err[:1]
    if len(err) != 1:
        detail = " | ".join(err[:3]) if err else "no error message"
        return TRACEBACK, f"{len(err)} error lines: {detail}"[:300], ""
    line = err[0]
    if _BARE_EXCEPTION.match(line) or "crashed" in line:
        return TRACEBACK, line, "a bare Python exception, not a planner message"
    return CLEAN, line, ""


def run_case(case_: Case, root: Path, fixtures: dict[str, Path], cache: Path) -> Outcome:
    """Build the case's folder, run its commands, classify the last, and run the post-checks."""
    try:
        return _run_case(case_, root, fixtures, cache)
    except Exception as exc:  # the harness's own failure: reported, never fatal to the run
        return Outcome(case_, SETUP_FAILED, f"harness: {type(exc).__name__}: {exc}"[:300])


def _run_case(case_: Case, root: Path, fixtures: dict[str, Path], cache: Path) -> Outcome:
    started = time.perf_counter()
    case_root = root / "cases" / re.sub(r"[^\w.-]+", "_", case_.name)
    work = case_root.joinpath(*NEST)
    work.mkdir(parents=True)
    shutil.copytree(DEMO, work / "demo")
    for name in case_.needs:
        shutil.copyfile(fixtures[name], work / name)
    ctx = Ctx(root=case_root, work=work)
    try:
        if case_.setup is not None:
            case_.setup(ctx)
    except Exception as exc:  # a mutation that no longer applies is the harness's bug
        return Outcome(case_, SETUP_FAILED, f"setup: {type(exc).__name__}: {exc}"[:300])
    before = _hash_tree(work)
    entries = _entries(work)
    run = None
    for argv in case_.runs:
        args = [a.replace("{cache}", str(cache)) for a in argv]
        run = _execute(args, work / case_.cwd, case_.timeout_s)
        if run.code != 0:
            break
    assert run is not None
    kind, line, where = classify(case_, run)
    problems = _post_checks(case_, ctx, before, entries)
    return Outcome(case_, kind, line, where, problems, time.perf_counter() - started)


def _post_checks(case_: Case, ctx: Ctx, before: dict[str, str], entries: set[str]) -> list[str]:
    problems = []
    after = _hash_tree(ctx.work)
    for name, digest in before.items():
        if name not in after:
            problems.append(f"input deleted: {name}")
        elif after[name] != digest:
            problems.append(f"input changed: {name}")
    for new in sorted(_entries(ctx.work) - entries):
        if _LEFTOVER.search(Path(new).name):
            problems.append(f"left behind: {new}")
    # Nothing written beside the work folder (a path that escaped with ../..).
    folder = ctx.root
    for part in NEST:
        others = sorted(p.name for p in folder.iterdir() if p.name != part)
        others = [o for o in others if not o.startswith("listing-")]
        if others:
            problems.append(f"written outside the work folder: {folder.name}/{others[:3]}")
        folder = folder / part
    for check in case_.checks:
        try:
            problems += check(ctx)
        except Exception as exc:
            problems.append(f"check {getattr(check, '__qualname__', check)} failed: {exc!r}")
    return problems[:8]


# ------------------------------------------------------------------------------- the report
COLUMNS = (
    "tried",
    CLEAN,
    TRACEBACK,
    HANG,
    "accepted (explained)",
    "accepted wrongly",
    "refused wrongly",
    "check failed",
)


def table(outcomes: Sequence[Outcome]) -> str:
    """Category x outcome counts, with a total row."""
    rows: dict[str, dict[str, int]] = {}
    for o in outcomes:
        for key in (o.case.category, "total"):
            r = rows.setdefault(key, dict.fromkeys(COLUMNS, 0))
            r["tried"] += 1
            if o.kind in {CLEAN, TRACEBACK, HANG}:
                r[o.kind] += 1
            if o.kind == ACCEPTED:
                r["accepted wrongly" if o.case.expect == "error" else "accepted (explained)"] += 1
            if o.verdict == "refused wrongly":
                r["refused wrongly"] += 1
            if o.problems:
                r["check failed"] += 1
    order = [*sorted(k for k in rows if k != "total"), "total"]
    width = max(len(k) for k in order)
    head = f"{'category':<{width}}  " + "  ".join(f"{c:>{max(len(c), 5)}}" for c in COLUMNS)
    lines = [head, "-" * len(head)]
    for key in order:
        if key == "total":
            lines.append("-" * len(head))
        cells = "  ".join(f"{rows[key][c]:>{max(len(c), 5)}}" for c in COLUMNS)
        lines.append(f"{key:<{width}}  {cells}")
    return "\n".join(lines)


def failures(outcomes: Sequence[Outcome]) -> list[str]:
    """One line (or a few) per failing case."""
    out = []
    for o in sorted(outcomes, key=lambda o: o.case.name):
        if o.verdict == "ok":
            continue
        where = f"  [{o.where}]" if o.where else ""
        out.append(f"{o.case.name}  ({o.verdict}): {o.line}{where}")
        out += [f"    check: {p}" for p in o.problems]
    return out


def select(pattern: str | None) -> list[Case]:
    """The cases whose name matches ``pattern`` (a glob if it has one of *?[, else a substring)."""
    if not pattern:
        return list(CASES)
    if any(ch in pattern for ch in "*?["):
        return [c for c in CASES if fnmatch.fnmatch(c.name, pattern)]
    return [c for c in CASES if pattern in c.name]


def run_all(
    cases: Sequence[Case],
    jobs: int,
    root: Path,
    progress: Callable[[Outcome], None] | None = None,
    *,
    warm: bool = True,
) -> list[Outcome]:
    """Run ``cases`` (fixtures first) ``jobs`` at a time, slowest first.

    ``warm=False`` skips planning the demo up front when no case needs last week's plan (for
    a few quick cases that never load the network).
    """
    needed = {n for c in cases for n in c.needs}
    fixtures = build_fixtures(root, needed, warm=warm)
    cache = root / "cache"
    outcomes = []
    ordered = sorted(cases, key=lambda c: -c.cost)
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_case, c, root, fixtures, cache) for c in ordered]
        for fut in concurrent.futures.as_completed(futures):
            outcome = fut.result()
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome)
    return sorted(outcomes, key=lambda o: o.case.name)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the cases; print the table and the failures. Exit 1 on any failure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="cases run at once [2]")
    parser.add_argument("--only", metavar="PATTERN", help="substring or glob of case names")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--keep", action="store_true", help="keep the case folders")
    parser.add_argument("-v", "--verbose", action="store_true", help="a line per finished case")
    args = parser.parse_args(argv)
    cases = select(args.only)
    if not cases:
        print(f"no case matches {args.only!r}", file=sys.stderr)
        return 2
    if args.list:
        for c in cases:
            note = f"  ({c.why})" if c.why else ""
            print(f"{c.name:<55} {c.expect}{note}")
        print(f"{len(cases)} cases")
        return 0
    root = Path(tempfile.mkdtemp(prefix="planner-fuzz-"))
    started = time.perf_counter()
    done = 0

    def progress(o: Outcome) -> None:
        nonlocal done
        done += 1
        if args.verbose or o.verdict != "ok":
            print(
                f"[{done}/{len(cases)}] {o.verdict:<16} {o.seconds:5.1f}s  {o.case.name}",
                flush=True,
            )

    try:
        outcomes = run_all(cases, max(1, args.jobs), root, progress)
    finally:
        if args.keep:
            print(f"case folders kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print()
    print(table(outcomes))
    failing = failures(outcomes)
    print(
        f"\n{len(cases)} cases in {time.perf_counter() - started:.0f} s; "
        f"{sum(o.verdict != 'ok' for o in outcomes)} failing"
    )
    if failing:
        print("\nfailing cases:")
        print("\n".join(failing))
    return 1 if any(o.verdict != "ok" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
