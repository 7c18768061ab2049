"""A plan's run folder: every file a force planner, a crew and a commander read.

One run folder per plan::

    <out>/
      plan.json            the plan itself (schema planner.plan/1), the record of what was planned
      schedule.csv         one row per visit, in Europe/London local time
      routes.geojson       road-following geometry of every route, WGS84
      unserved.csv         every requirement not met, with the reason
      time_use.csv         one row per unit-shift: on site, travel, break, idle, utilisation
      hotspot_dosage.csv   one row per hot spot: visits, minutes, its share of harm and of patrol
      posts.csv            one row per post slot (a protest held throughout): who, or uncovered and why
      summary.md           the figures: harm covered, visits by kind, hours and money, per day and unit
      map.html             the commander's map (:mod:`planner.outputs.map`)
      gpx/<route>.gpx      one per route, for in-vehicle navigation
      briefings/<route>.html  one print-friendly page per unit and shift
      briefings/<YYYY-MM-DD>.html  the day's pack: every crew of the day, one A4 page each
      demand/              the week's demand tables (when the inputs are written too)
      .planner-run         the marker: who wrote the folder, and every file above

Safety (:mod:`.folder` has the details): ``out`` must be missing, an empty folder or a
previous run folder (it holds the planner's marker ``.planner-run``, listing every file the
run wrote, and nothing else); anything else, such as ``--out .`` in the config's folder, is
refused and left untouched. The run is written whole into a temporary sibling folder, every
file through the atomic writer, and swapped in by two renames under a lock, so ``out`` never
holds half a run, two runs never mix, and the next run repairs whatever a kill left behind.

GPX and briefing files are named by :func:`route_file_stem`: a readable slug of the route id
and a short hash of it, so every route gets its own files whatever its id. A day's pack is named
by its date, which no route's file can be (those end in the hash).

Sensitive plans: when the protective marking is anything but plain ``OFFICIAL``, or the plan
includes MPs' premises, the folder and every folder in it are ``0700`` and its files ``0600``
(only the planner's user can read them); otherwise they follow the umask.

Every human-readable file carries the marking at top and bottom (summary, briefings, map) or in its metadata (plan.json, routes.geojson, GPX). Restricted sites (MPs'
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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from planner.common import atomic_write_bytes, atomic_write_text, bounded_name, write_csv
from planner.errors import InvalidPlanError
from planner.outputs import map as maps
from planner.outputs.briefings import briefing_html, daily_pack_html, pack_routes
from planner.outputs.folder import LOCK_TIMEOUT_S, RUN_MARKER, marker_text, write_folder
from planner.outputs.geojson import routes_geojson
from planner.outputs.geometry import route_geometries
from planner.outputs.gpx import route_gpx
from planner.outputs.map_assets import unit_colours
from planner.outputs.summary import run_facts, summary_markdown
from planner.outputs.tables import (
    DOSAGE_COLUMNS,
    POST_COLUMNS,
    SCHEDULE_COLUMNS,
    TIME_USE_COLUMNS,
    UNSERVED_COLUMNS,
    dosage_rows,
    post_rows,
    schedule_rows,
    time_use_rows,
    unserved_rows,
)
from planner.outputs.text import is_sensitive, safe_name
from planner.planning.plan import write_plan_json

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from planner.planning.plan import Plan
    from planner.planning.replan_changes import Change
    from planner.planning.week import PlanResult

log = logging.getLogger(__name__)


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
            packs = sum(1 for f in brief if _is_day_pack(f.stem))
            lines.append(
                f"wrote {len(brief) - packs} briefings and {packs} daily packs "
                f"in {self.path / 'briefings'}"
            )
        if demand:
            lines.append(f"wrote {len(demand)} demand tables in {self.path / 'demand'}")
        mode = (
            "secure (offline, no third-party requests)"
            if self.secure
            else "online mode (street map tiles on request)"
        )
        lines.append(f"map: {mode}{', restricted sites redacted' if self.redact else ''}")
        return "\n".join(lines)


def _is_day_pack(stem: str) -> bool:
    """Whether a briefing file's stem is a day's pack (``2026-11-30``), not a route's."""
    return len(stem) == 10 and stem[4] == "-" and stem[7] == "-" and stem.replace("-", "").isdigit()


def route_file_stem(route_id: str) -> str:
    """A route's GPX and briefing file name, without extension: one per route id, bounded.

    ``NB-CAR-1/2026-11-30/early`` -> ``NB-CAR-1_2026-11-30_early-<8 hex digits>``: a readable
    slug of at most :data:`~planner.common.MAX_SLUG_CHARS` characters and the start of the exact id's SHA-256,
    so ids that slug alike (``NB FOOT`` and ``NB_FOOT``; ``A`` and ``a``, one name to Windows and
    macOS) and ids too long for a file name still get a file each.
    """
    return bounded_name(safe_name(route_id), route_id, fallback="route")


def _route_stems(plan: Plan) -> dict[str, str]:
    """:func:`route_file_stem` of every route; two routes may never share a file."""
    stems: dict[str, str] = {}
    seen: dict[str, str] = {}
    for r in plan.routes:
        stem = route_file_stem(r.route_id)
        other = seen.setdefault(stem.casefold(), r.route_id)
        if other != r.route_id or r.route_id in stems:
            raise InvalidPlanError(
                f"routes {other!r} and {r.route_id!r} would share the file name {stem!r}"
            )
        stems[r.route_id] = stem
    return stems


def write_run(
    result: PlanResult,
    out_dir: str | Path,
    *,
    secure: bool | None = None,
    redact: bool = False,
    with_map: bool = True,
    with_inputs: bool = True,
    lock_timeout_s: float = LOCK_TIMEOUT_S,
    extra_files: Mapping[str, str] | None = None,
    summary_extra: str = "",
    changes: Sequence[Change] = (),
) -> RunFolder:
    """Write a plan's run folder atomically (see the module docstring for the files).

    Parameters
    ----------
    result
        The plan with its model (for road geometry) and inputs.
    out_dir
        The run folder: a new or empty folder, or a previous run folder (replaced whole).
    secure
        The map's offline mode; ``None`` chooses by :func:`planner.outputs.map.default_secure`.
    redact
        Show restricted sites only as an approximate area, in the map and every file but
        ``plan.json``.
    with_map
        Also write ``map.html``.
    with_inputs
        Also write the week's demand tables under ``demand/``.
    lock_timeout_s
        How long to wait for another planner run writing the same folder.
    extra_files
        More files of the run, relative name -> text (``changes.csv`` of ``planner replan``).
    summary_extra
        A Markdown section added to ``summary.md`` before its closing marking.
    changes
        What ``planner replan`` changed, drawn on the map (:mod:`.map_changes`).

    Raises
    ------
    InputError
        If ``out_dir`` is not a new or empty folder or a previous run folder (nothing is
        written then), or another run still writes it after ``lock_timeout_s``.
    """
    use_secure = maps.default_secure(result.plan) if secure is None else secure
    plan = result.plan
    out, files = write_folder(
        out_dir,
        lambda tmp: _write_files(
            result,
            tmp,
            secure=use_secure,
            redact=redact,
            with_map=with_map,
            with_inputs=with_inputs,
            extra_files=extra_files or {},
            summary_extra=summary_extra,
            changes=changes,
        ),
        sensitive=is_sensitive(plan.protective_marking) or plan.contains_mp_premises,
        lock_timeout_s=lock_timeout_s,
    )
    log.info("wrote run folder %s (%d files)", out, len(files))
    return RunFolder(path=out, files=tuple(files), secure=use_secure, redact=redact)


def _write_files(
    result: PlanResult,
    tmp: Path,
    *,
    secure: bool,
    redact: bool,
    with_map: bool,
    with_inputs: bool,
    extra_files: Mapping[str, str] | None = None,
    summary_extra: str = "",
    changes: Sequence[Change] = (),
) -> list[Path]:
    """Write every file of the run into ``tmp``: marker first, plan.json last; the files written."""
    plan = result.plan
    about = {"force": plan.force, "week": plan.week, "protective_marking": plan.protective_marking}
    # The marker goes first so that, if the run is stopped, the next one knows tmp is ours.
    atomic_write_text(tmp / RUN_MARKER, marker_text(about, []))
    files: list[Path] = []

    def put(rel: str, payload: bytes | str) -> None:
        data = payload.encode("utf-8") if isinstance(payload, str) else payload
        atomic_write_bytes(tmp / rel, data)
        files.append(Path(rel))

    geoms = route_geometries(result)
    colours = unit_colours(plan)
    write_csv(tmp / "schedule.csv", schedule_rows(plan, redact=redact), SCHEDULE_COLUMNS)
    files.append(Path("schedule.csv"))
    write_csv(tmp / "unserved.csv", unserved_rows(plan), UNSERVED_COLUMNS)
    files.append(Path("unserved.csv"))
    write_csv(tmp / "time_use.csv", time_use_rows(plan), TIME_USE_COLUMNS)
    files.append(Path("time_use.csv"))
    write_csv(tmp / "posts.csv", post_rows(plan, result.model.requirements), POST_COLUMNS)
    files.append(Path("posts.csv"))
    hotspots = run_facts(result).hotspots
    if hotspots:
        write_csv(tmp / "hotspot_dosage.csv", dosage_rows(plan, hotspots), DOSAGE_COLUMNS)
        files.append(Path("hotspot_dosage.csv"))
    put(
        "routes.geojson",
        json.dumps(routes_geojson(result, geoms, redact=redact), ensure_ascii=False),
    )
    summary = summary_markdown(plan, run_facts(result))
    if summary_extra:
        # Before the closing marking line, which stays the file's last.
        head, sep, tail = summary.rstrip("\n").rpartition("\n")
        summary = f"{head}{sep}\n{summary_extra.strip()}\n\n{tail}\n" if sep else summary
    put("summary.md", summary)
    for rel, text in sorted((extra_files or {}).items()):
        put(rel, text)
    stems = _route_stems(plan)
    for r in plan.routes:
        name = stems[r.route_id]
        put(f"gpx/{name}.gpx", route_gpx(plan, r, geoms[r.route_id], redact=redact))
        put(
            f"briefings/{name}.html",
            briefing_html(result, r, geoms[r.route_id], redact=redact, colour=colours[r.unit_id]),
        )
    for day in sorted({r.day for r in plan.routes}):
        put(
            f"briefings/{day.isoformat()}.html",
            daily_pack_html(
                result, day, pack_routes(result, day), geoms, redact=redact, colours=colours
            ),
        )
    if with_map:
        maps.write_map(
            result,
            tmp / "map.html",
            secure=secure,
            redact=redact,
            geometries=geoms,
            changes=changes,
        )
        files.append(Path("map.html"))
    if with_inputs:
        for f in result.inputs.write(tmp / "demand"):
            files.append(Path(f).relative_to(tmp))
    files += [Path(RUN_MARKER), Path("plan.json")]
    atomic_write_text(tmp / RUN_MARKER, marker_text(about, files))
    # plan.json last: with the marker, it is what marks the folder as a complete run.
    write_plan_json(plan, tmp / "plan.json")
    return files
