"""A plan's run folder: every file a force planner, a crew and a commander read.

One run folder per plan::

    <out>/
      plan.json            the plan itself (schema planner.plan/1), the record of what was planned
      schedule.csv         one row per visit, in Europe/London local time
      routes.geojson       road-following geometry of every route, WGS84
      unserved.csv         every requirement not met, with the reason
      summary.md           the figures: harm covered, visits by kind, hours and money, per day and unit
      map.html             the commander's map (:mod:`planner.outputs.map`)
      gpx/<route>.gpx      one per route, for in-vehicle navigation
      briefings/<route>.html  one print-friendly page per unit and shift
      demand/              the week's demand tables (when the inputs are written too)

Atomicity: the whole folder is written into a temporary sibling folder (``.<name>.tmp-*``)
first, so nothing at ``out`` changes until every file is complete. Then:

* if ``out`` does not exist, is empty or is a planner run folder (it holds ``plan.json`` or the
  ``.planner-run`` marker, or only names the planner writes), the finished folder is renamed
  into place: a previous run is moved aside (``.<name>.old-*``) just before the rename and
  deleted after it. A crash leaves the old run or the new one, never a mixture;
* otherwise (an existing folder holding other things, e.g. ``--out .``) nothing of it is moved
  or deleted: each finished file is renamed into it one by one (each rename atomic) and
  ``plan.json`` last, so a plan.json there always belongs to a complete run.

Sensitive plans: when the protective marking is anything but plain ``OFFICIAL`` the folder is
created ``0700`` and its files ``0600`` (only the planner's user can read them); otherwise they
follow the umask. Every human-readable file carries the marking at top and bottom (summary,
briefings, map) or in its metadata (plan.json, routes.geojson, GPX). Restricted sites (MPs'
homes) are flagged in every file; with ``redact=True`` their names, notes and exact positions
are left out of every file except ``plan.json`` (the master record, kept whole): positions
become an approximate area (see :func:`planner.outputs.geometry.redaction_area`) and route geometry inside that area is
cut out, since a line ending at a front door gives the door away.

All text that comes from input files (site names, notes, station names) is HTML-escaped in
HTML and Markdown, and written through an XML library into GPX.

The files' contents come from :mod:`.tables`, :mod:`.geojson`, :mod:`.summary`, :mod:`.gpx`,
:mod:`.briefings` and :mod:`.map`; this module only puts them in place.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from planner.common import atomic_write_bytes, write_csv
from planner.errors import InputError
from planner.outputs import map as maps
from planner.outputs.briefings import briefing_html
from planner.outputs.geojson import routes_geojson
from planner.outputs.geometry import route_geometries
from planner.outputs.gpx import route_gpx
from planner.outputs.map_assets import unit_colours
from planner.outputs.summary import summary_markdown
from planner.outputs.tables import (
    SCHEDULE_COLUMNS,
    UNSERVED_COLUMNS,
    schedule_rows,
    unserved_rows,
)
from planner.outputs.text import is_sensitive, safe_name
from planner.planning.plan import write_plan_json

if TYPE_CHECKING:
    from planner.planning.week import PlanResult

log = logging.getLogger(__name__)

#: Marker file that identifies a folder as a planner run folder (safe to replace).
RUN_MARKER = ".planner-run"
#: Files the planner writes into a run folder: a folder holding only these may be replaced.
_KNOWN_NAMES = frozenset(
    {
        RUN_MARKER,
        "plan.json",
        "schedule.csv",
        "routes.geojson",
        "unserved.csv",
        "summary.md",
        "map.html",
        "gpx",
        "briefings",
        "demand",
        "demand_by_kind.csv",
        "visits.csv",
        "rejects.csv",
        "unit_shifts.csv",
        "hotspots.csv",
        "crime_rejects.csv",
    }
)


@dataclass(frozen=True)
class RunFolder:
    """What :func:`write_run` wrote.

    Attributes
    ----------
    path
        The run folder.
    files
        Every file written, relative to ``path``.
    secure, redact
        The map's settings.
    """

    path: Path
    files: tuple[Path, ...]
    secure: bool
    redact: bool

    def summary(self) -> str:
        """The files, one per line (GPX and briefings counted, not listed)."""
        lines = []
        gpx = [f for f in self.files if f.parts[0] == "gpx"]
        brief = [f for f in self.files if f.parts[0] == "briefings"]
        demand = [f for f in self.files if f.parts[0] == "demand"]
        for f in self.files:
            if f.parts[0] not in {"gpx", "briefings", "demand"} and f.name != RUN_MARKER:
                lines.append(f"wrote {self.path / f}")
        if gpx:
            lines.append(f"wrote {len(gpx)} GPX routes in {self.path / 'gpx'}")
        if brief:
            lines.append(f"wrote {len(brief)} briefings in {self.path / 'briefings'}")
        if demand:
            lines.append(f"wrote {len(demand)} demand tables in {self.path / 'demand'}")
        mode = (
            "secure (offline, no third-party requests)"
            if self.secure
            else "online mode (street map tiles on request)"
        )
        lines.append(f"map: {mode}{', restricted sites redacted' if self.redact else ''}")
        return "\n".join(lines)


def _replaceable(path: Path) -> bool:
    """Whether ``path`` may be replaced whole: absent, empty or a planner run folder."""
    if not path.exists():
        return True
    if not path.is_dir():
        return False
    names = {p.name for p in path.iterdir()}
    return not names or RUN_MARKER in names or "plan.json" in names or names <= _KNOWN_NAMES


def _swap_in(tmp: Path, out: Path) -> None:
    """Rename the finished ``tmp`` folder to ``out``, moving any previous run aside first."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-"))
        os.rmdir(old)
        os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        if old is not None:  # put the previous run back
            os.rename(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _move_into(tmp: Path, out: Path, files: Sequence[Path]) -> None:
    """Rename each finished file into an existing folder that is not ours, plan.json last."""
    for rel in sorted(files, key=lambda f: f.name == "plan.json"):
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / rel, target)
    shutil.rmtree(tmp, ignore_errors=True)


def write_run(
    result: PlanResult,
    out_dir: str | Path,
    *,
    secure: bool | None = None,
    redact: bool = False,
    with_map: bool = True,
    with_inputs: bool = True,
) -> RunFolder:
    """Write a plan's run folder atomically (see the module docstring for the files).

    Parameters
    ----------
    result
        The plan with its model (for road geometry) and inputs.
    out_dir
        The run folder; replaced whole if it already holds a planner run.
    secure
        The map's offline mode; ``None`` chooses by :func:`planner.outputs.map.default_secure`.
    redact
        Show restricted sites only as an approximate area, in the map and every file but
        ``plan.json``.
    with_map
        Also write ``map.html``.
    with_inputs
        Also write the week's demand tables under ``demand/``.

    Raises
    ------
    InputError
        If ``out_dir`` exists and is not a folder.
    """
    plan = result.plan
    out = Path(out_dir).absolute()
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder; choose another --out", path=out)
    whole = _replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sensitive = is_sensitive(plan.protective_marking)
    use_secure = maps.default_secure(plan) if secure is None else secure
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        files: list[Path] = []

        def put(rel: str, payload: bytes | str) -> None:
            data = payload.encode("utf-8") if isinstance(payload, str) else payload
            atomic_write_bytes(tmp / rel, data)
            files.append(Path(rel))

        geoms = route_geometries(result)
        colours = unit_colours(plan)
        put(RUN_MARKER, f"{plan.force} {plan.week} {plan.protective_marking}\n")
        write_csv(tmp / "schedule.csv", schedule_rows(plan), SCHEDULE_COLUMNS)
        files.append(Path("schedule.csv"))
        write_csv(tmp / "unserved.csv", unserved_rows(plan), UNSERVED_COLUMNS)
        files.append(Path("unserved.csv"))
        put(
            "routes.geojson",
            json.dumps(routes_geojson(result, geoms, redact=redact), ensure_ascii=False),
        )
        put("summary.md", summary_markdown(plan))
        for r in plan.routes:
            name = safe_name(r.route_id)
            put(f"gpx/{name}.gpx", route_gpx(plan, r, geoms[r.route_id], redact=redact))
            put(
                f"briefings/{name}.html",
                briefing_html(
                    result, r, geoms[r.route_id], redact=redact, colour=colours[r.unit_id]
                ),
            )
        if with_map:
            maps.write_map(
                result, tmp / "map.html", secure=use_secure, redact=redact, geometries=geoms
            )
            files.append(Path("map.html"))
        if with_inputs:
            for f in result.inputs.write(tmp / "demand"):
                files.append(Path(f).relative_to(tmp))
        # plan.json last: it is what marks the folder as a complete run.
        write_plan_json(plan, tmp / "plan.json")
        files.append(Path("plan.json"))
        _set_modes(tmp, sensitive)
        if whole:
            _swap_in(tmp, out)
        else:
            log.info("%s holds other files: adding the run's files to it one by one", out)
            _move_into(tmp, out, files)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("wrote run folder %s (%d files)", out, len(files))
    return RunFolder(path=out, files=tuple(files), secure=use_secure, redact=redact)


def _set_modes(root: Path, sensitive: bool) -> None:
    """Owner-only for sensitive plans; otherwise what the umask allows (mkstemp makes 0600)."""
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
