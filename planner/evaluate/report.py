"""The evaluation folder: a report a fund manager can read, its CSVs and the map.

::

    <out>/
      evaluation.md         the report: headline, unit-shifts, hot spots, sites, stops not made
      evaluation.html       the same, as one page (autoescaped; the marking top and bottom)
      stops_delivered.csv   one row per planned stop: made or not, minutes on site, why not
      sites_delivered.csv   one row per site: visits and minutes planned against delivered
      unit_shifts.csv       one row per unit-shift: compliance, time tracked, away from the plan
      tracks_rejects.csv    every track point dropped, with the reason
      crime_control.csv     with --crimes: per hot spot, control and treated days, later crime
      evaluation_map.html   the tracks beside the planned routes (:mod:`.track_map`)
      plan.json             the plan evaluated, copied: with the marker, it makes the folder
                            whole for the run-folder recovery of :mod:`planner.outputs.folder`
      .planner-run          the marker

With crime files and no tracks (``--crimes`` alone) only the report, ``crime_control.csv``,
``plan.json`` and the marker are written: the report says that no tracks were given, so the
dosage delivered is not measured.

The folder is written like a run folder (:func:`planner.outputs.run.write_run`): whole, into a
temporary sibling, and swapped in under a lock, only over a new or empty folder or a previous
planner folder. Its files are always the owner's only (``0600``, folders ``0700``): GPS tracks
say where named officers were, which is personal data whatever the plan's marking.

Times in the CSVs are Europe/London wall-clock times with their offset.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from planner.common import atomic_write_text, write_csv
from planner.evaluate.crime_control import CRIME_COLUMNS, CrimeComparison
from planner.evaluate.matching import Evaluation, ShiftResult, SiteResult, StopResult
from planner.evaluate.tracks import Reject
from planner.outputs.folder import LOCK_TIMEOUT_S, RUN_MARKER, marker_text, write_folder
from planner.outputs.templating import render
from planner.outputs.text import day_label, hm, local
from planner.planning.plan import Plan, write_plan_json

log = logging.getLogger(__name__)

STOP_COLUMNS = (
    "route_id",
    "unit",
    "date",
    "shift",
    "order",
    "visit_id",
    "site_id",
    "name",
    "kind",
    "presence",
    "planned_start",
    "planned_end",
    "planned_min",
    "required_min",
    "made",
    "on_site_min",
    "credited_min",
    "longest_stay_min",
    "first_within",
    "reason",
)
SITE_COLUMNS = (
    "site_id",
    "name",
    "kind",
    "hotspot",
    "visits_planned",
    "visits_made",
    "planned_min",
    "delivered_in_visits_min",
    "delivered_share",
    "on_shift_min",
)
SHIFT_COLUMNS = (
    "route_id",
    "unit",
    "date",
    "shift",
    "shift_start",
    "shift_end",
    "stops_planned",
    "stops_made",
    "compliance",
    "track_points",
    "tracked_min",
    "left_station",
    "far_min",
    "planned_travel_min",
    "away_from_plan_min",
    "note",
)
REJECT_COLUMNS = ("file", "row", "unit", "timestamp", "lat", "lon", "reason", "detail")
#: Most stops not made listed in the report (all are in ``stops_delivered.csv``).
MAX_MISSED_LISTED = 200


def _min(seconds: float) -> float:
    return round(seconds / 60, 1)


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "n/a"


def stop_rows(ev: Evaluation) -> list[dict[str, object]]:
    """``stops_delivered.csv``: one row per planned stop."""
    return [
        {
            "route_id": s.route.route_id,
            "unit": s.route.unit_id,
            "date": s.route.day.isoformat(),
            "shift": s.route.shift,
            "order": s.stop.order,
            "visit_id": s.stop.visit_id,
            "site_id": s.stop.site_id,
            "name": s.stop.name,
            "kind": s.stop.kind,
            "presence": s.stop.presence,
            "planned_start": local(s.stop.start).isoformat(timespec="seconds"),
            "planned_end": local(s.stop.departure).isoformat(timespec="seconds"),
            "planned_min": _min(s.stop.dwell_s),
            "required_min": _min(s.required_s),
            "made": "yes" if s.made else "no",
            "on_site_min": _min(s.on_site_s),
            "credited_min": _min(s.credited_s),
            "longest_stay_min": _min(s.longest_s),
            "first_within": ""
            if s.first_within is None
            else local(s.first_within).isoformat(timespec="seconds"),
            "reason": s.reason,
        }
        for s in ev.stops
    ]


def site_rows(ev: Evaluation) -> list[dict[str, object]]:
    """``sites_delivered.csv``: one row per site, hot spots first."""
    return [
        {
            "site_id": s.site_id,
            "name": s.name,
            "kind": s.kind,
            "hotspot": "yes" if s.hotspot else "no",
            "visits_planned": s.visits_planned,
            "visits_made": s.visits_made,
            "planned_min": _min(s.planned_s),
            "delivered_in_visits_min": _min(s.in_visits_s),
            "delivered_share": round(s.in_visits_s / s.planned_s, 3) if s.planned_s else "",
            "on_shift_min": _min(s.on_shift_s),
        }
        for s in _sites_in_order(ev)
    ]


def _sites_in_order(ev: Evaluation) -> list[SiteResult]:
    return sorted(ev.sites, key=lambda s: (not s.hotspot, s.site_id))


def shift_rows(ev: Evaluation) -> list[dict[str, object]]:
    """``unit_shifts.csv``: one row per unit-shift."""
    return [
        {
            "route_id": s.route.route_id,
            "unit": s.route.unit_id,
            "date": s.route.day.isoformat(),
            "shift": s.route.shift,
            "shift_start": local(s.route.shift_start).isoformat(timespec="seconds"),
            "shift_end": local(s.route.shift_end).isoformat(timespec="seconds"),
            "stops_planned": s.stops_planned,
            "stops_made": s.stops_made,
            "compliance": "" if s.compliance is None else round(s.compliance, 3),
            "track_points": s.track_points,
            "tracked_min": _min(s.tracked_s),
            "left_station": "yes" if s.left_station else "no",
            "far_min": _min(s.far_s),
            "planned_travel_min": _min(s.planned_travel_s),
            "away_from_plan_min": _min(s.away_from_plan_s),
            "note": s.note,
        }
        for s in ev.shifts
    ]


def reject_rows(rejects: tuple[Reject, ...]) -> list[dict[str, object]]:
    """``tracks_rejects.csv``: one row per point dropped."""
    return [
        {
            "file": r.file,
            "row": r.row,
            "unit": r.unit,
            "timestamp": r.timestamp,
            "lat": r.lat,
            "lon": r.lon,
            "reason": r.reason,
            "detail": r.detail,
        }
        for r in rejects
    ]


# ----------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class Section:
    """A table of the report: a title, a line saying what it shows, columns and rows of text."""

    title: str
    note: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]


def headline(ev: Evaluation) -> list[tuple[str, str]]:
    """The report's headline figures, as ``(label, value)``."""
    stops = ev.stops
    made = sum(s.made for s in stops)
    planned_s = sum(s.stop.dwell_s for s in stops)
    on_s = sum(s.credited_s for s in stops)
    hot = [s for s in ev.sites if s.hotspot]
    hot_planned = sum(s.visits_planned for s in hot)
    hot_made = sum(s.visits_made for s in hot)
    hot_planned_s = sum(s.planned_s for s in hot)
    hot_in_s = sum(s.in_visits_s for s in hot)
    hot_shift_s = sum(s.on_shift_s for s in hot)
    no_track = sum(s.note == "no track in the shift" for s in ev.shifts)
    stayed = sum(s.note == "never left the station" for s in ev.shifts)
    away_s = sum(s.away_from_plan_s for s in ev.shifts)
    tr = ev.tracks
    rejects = ", ".join(f"{n:,} {why}" for why, n in tr.reject_counts().most_common()) or "none"
    return [
        ("Planned stops made", f"{made:,} of {len(stops):,} ({_share(made, len(stops))})"),
        (
            "Minutes on site in planned visits",
            f"{on_s / 60:,.0f} of {planned_s / 60:,.0f} planned ({_share(on_s, planned_s)}; "
            "each visit counted up to its planned dwell)",
        ),
        (
            "Hot-spot visits made",
            f"{hot_made:,} of {hot_planned:,} at {len(hot)} hot spots ({_share(hot_made, hot_planned)})",
        ),
        (
            "Hot-spot minutes",
            f"{hot_in_s / 60:,.0f} in planned visits of {hot_planned_s / 60:,.0f} planned "
            f"({_share(hot_in_s, hot_planned_s)}); {hot_shift_s / 60:,.0f} unit-minutes on shift in all",
        ),
        (
            "Unit-shifts",
            f"{len(ev.shifts)}; {no_track} with no track, {stayed} never left the station",
        ),
        ("Time away from the plan", f"{away_s / 3600:,.1f} unit-hours beyond the planned travel"),
        (
            "Track points",
            f"{tr.points_read:,} read from {len(tr.files)} file{'' if len(tr.files) == 1 else 's'}; {tr.points_kept:,} matched; "
            f"rejected: {rejects}",
        ),
    ]


def _shift_section(ev: Evaluation) -> Section:
    def row(s: ShiftResult) -> tuple[str, ...]:
        r = s.route
        return (
            r.unit_id,
            day_label(r.day),
            f"{r.shift} {hm(r.shift_start)}–{hm(r.shift_end)}",
            f"{s.stops_made} of {s.stops_planned}",
            "n/a" if s.compliance is None else f"{s.compliance:.0%}",
            f"{s.tracked_s / 60:,.0f}",
            f"{s.away_from_plan_s / 60:,.0f}",
            s.note,
        )

    return Section(
        "By unit-shift",
        "Compliance is the share of planned stops made; minutes away from the plan are minutes "
        "far from every planned site and the station, beyond the planned travel.",
        ("unit", "day", "shift", "stops made", "compliance", "min tracked", "min away", "note"),
        [row(s) for s in ev.shifts],
    )


def _site_section(title: str, note: str, sites: list[SiteResult]) -> Section:
    return Section(
        title,
        note,
        ("site", "kind", "visits made", "min planned", "min in visits", "share", "min on shift"),
        [
            (
                s.name if not s.hotspot or s.name == s.site_id else f"{s.site_id} {s.name}",
                s.kind.replace("_", " "),
                f"{s.visits_made} of {s.visits_planned}",
                f"{s.planned_s / 60:,.0f}",
                f"{s.in_visits_s / 60:,.0f}",
                _share(s.in_visits_s, s.planned_s),
                f"{s.on_shift_s / 60:,.0f}",
            )
            for s in sites
        ],
    )


def _missed_section(ev: Evaluation) -> Section:
    missed: list[StopResult] = [s for s in ev.stops if not s.made]
    shown = missed[:MAX_MISSED_LISTED]
    more = (
        f" The first {MAX_MISSED_LISTED} of {len(missed)} are listed; all are in stops_delivered.csv."
        if len(missed) > len(shown)
        else ""
    )
    return Section(
        "Stops not made",
        f"{len(missed)} planned stops were not made.{more}",
        ("unit", "day", "planned", "#", "site", "kind", "why not"),
        [
            (
                s.route.unit_id,
                day_label(s.route.day),
                f"{hm(s.stop.start)}–{hm(s.stop.departure)}",
                str(s.stop.order),
                s.stop.name or s.stop.site_id,
                s.stop.kind.replace("_", " "),
                s.reason,
            )
            for s in shown
        ],
    )


#: The report's headline when no tracks were given (``--crimes`` alone).
NO_TRACKS = (
    "Dosage delivered",
    "not measured: no GPS tracks were given (--tracks), so the stops made and the minutes on "
    "site are unknown; only the crime comparison below is reported",
)


def _crime_section(crime: CrimeComparison) -> Section:
    note, columns, rows = crime.table()
    return Section("Crime at hot spots: control against treated days", note, columns, rows)


def _crime_only_context(plan: Plan, *, plan_path: str, crime: CrimeComparison) -> dict[str, object]:
    """The report of a crime comparison with no tracks: no dosage measured, said plainly."""
    return {
        "plan": plan,
        "plan_path": plan_path,
        "tracks": False,
        "headline": [NO_TRACKS],
        "sections": [_crime_section(crime)],
        "method": [
            "No GPS tracks were given, so this report does not say which planned visits were "
            "made: give the units' tracks with --tracks to measure the dosage delivered.",
            "Crimes are counted per hot spot from the crime files given, by the planner's own "
            "rule for the run's hot spots (a grid cell or a street segment).",
        ],
    }


def report_context(
    ev: Evaluation | Plan, *, plan_path: str, crime: CrimeComparison | None = None
) -> dict[str, object]:
    """What both report templates print (with ``crime``, the control comparison too).

    ``ev`` is the evaluation of the tracks, or only the plan when no tracks were given
    (``--crimes`` alone; ``crime`` is then needed).
    """
    if isinstance(ev, Plan):
        if crime is None:
            raise ValueError("a report without tracks needs the crime comparison")
        return _crime_only_context(ev, plan_path=plan_path, crime=crime)
    st = ev.settings
    sites = _sites_in_order(ev)
    rejects = ev.tracks.reject_counts().most_common()
    sections = [
        _shift_section(ev),
        _site_section(
            "Hot spots",
            "Minutes in visits count only the planned visits; minutes on shift count every "
            "unit-minute within the radius while on shift.",
            [s for s in sites if s.hotspot],
        ),
        _site_section("Other sites", "As for hot spots.", [s for s in sites if not s.hotspot]),
        _missed_section(ev),
        Section(
            "Rejected track points",
            "Every point is listed in tracks_rejects.csv.",
            ("reason", "points"),
            [(why, f"{n:,}") for why, n in rejects],
        ),
    ]
    if crime is not None:
        sections.append(_crime_section(crime))
    return {
        "plan": ev.plan,
        "plan_path": plan_path,
        "tracks": True,
        "headline": headline(ev),
        "sections": [s for s in sections if s.rows],
        "method": [
            f"A stop counts as made when the unit's track stays within {st.radius_m:g} m of the "
            f"site for {st.dwell_min:g} minutes in one stay (or the planned dwell, if shorter) "
            "between the route's planned leave and return; a drive-past counts when the track "
            f"passes within {st.radius_m:g} m.",
            "Each GPS point stands for the time half-way to its neighbours; gaps in a track "
            f"longer than {st.max_gap_s / 60:g} minutes count as unknown, not as time on site.",
            "Time away from the plan is simple and errs low: time more than the radius from "
            "every planned site and the station, less the travel time the plan allows.",
            "A week of tracks shows what was delivered, not what it achieved: the effect on "
            "crime and harm needs comparison with control places or days over months.",
        ],
    }


def evaluation_markdown(
    ev: Evaluation | Plan, *, plan_path: str, crime: CrimeComparison | None = None
) -> str:
    """``evaluation.md``."""
    return render("evaluation.md.j2", **report_context(ev, plan_path=plan_path, crime=crime))


def evaluation_html(
    ev: Evaluation | Plan, *, plan_path: str, crime: CrimeComparison | None = None
) -> str:
    """``evaluation.html`` (autoescaped)."""
    return render("evaluation.html.j2", **report_context(ev, plan_path=plan_path, crime=crime))


# ----------------------------------------------------------------------------- the folder


def write_evaluation(
    ev: Evaluation | Plan,
    out_dir: str | Path,
    *,
    plan_path: str | Path,
    map_html: Callable[[Evaluation], str] | None = None,
    lock_timeout_s: float = LOCK_TIMEOUT_S,
    crime: CrimeComparison | None = None,
) -> list[Path]:
    """Write the evaluation folder atomically (module docstring); the files written.

    Parameters
    ----------
    ev
        The evaluation, or only the plan when no tracks were given (``--crimes`` alone:
        ``crime`` is then needed, and only the report and ``crime_control.csv`` are written).
    out_dir
        A new or empty folder, or a previous planner folder (replaced whole).
    plan_path
        The plan.json evaluated, as the report names it.
    map_html
        Builds ``evaluation_map.html``'s page (none written if ``None``).
    lock_timeout_s
        How long to wait for another planner command writing the same folder.
    crime
        The crime comparison of control and treated hot-spot-days (``--crimes``), if any.

    Raises
    ------
    InputError
        If ``out_dir`` is not a new or empty folder or a previous planner folder.
    """
    # Owner-only always: the tracks show where named officers were (personal data).
    out, files = write_folder(
        out_dir,
        lambda tmp: _write_files(ev, tmp, plan_path=str(plan_path), map_html=map_html, crime=crime),
        sensitive=True,
        lock_timeout_s=lock_timeout_s,
    )
    log.info("wrote evaluation folder %s (%d files)", out, len(files))
    return [out / f for f in files]


def _write_files(
    ev: Evaluation | Plan,
    tmp: Path,
    *,
    plan_path: str,
    map_html: Callable[[Evaluation], str] | None,
    crime: CrimeComparison | None = None,
) -> list[Path]:
    plan = ev if isinstance(ev, Plan) else ev.plan
    about = {
        "force": plan.force,
        "week": plan.week,
        "protective_marking": plan.protective_marking,
        "kind": "evaluation",
    }
    atomic_write_text(tmp / RUN_MARKER, marker_text(about, []))
    files = [Path("evaluation.md"), Path("evaluation.html")]
    atomic_write_text(
        tmp / "evaluation.md", evaluation_markdown(ev, plan_path=plan_path, crime=crime)
    )
    atomic_write_text(
        tmp / "evaluation.html", evaluation_html(ev, plan_path=plan_path, crime=crime)
    )
    if isinstance(ev, Evaluation):
        # No tracks (--crimes alone): nothing delivered is measured, so no such table is written.
        write_csv(tmp / "stops_delivered.csv", stop_rows(ev), STOP_COLUMNS)
        write_csv(tmp / "sites_delivered.csv", site_rows(ev), SITE_COLUMNS)
        write_csv(tmp / "unit_shifts.csv", shift_rows(ev), SHIFT_COLUMNS)
        write_csv(tmp / "tracks_rejects.csv", reject_rows(ev.tracks.rejects), REJECT_COLUMNS)
        files += [
            Path("stops_delivered.csv"),
            Path("sites_delivered.csv"),
            Path("unit_shifts.csv"),
            Path("tracks_rejects.csv"),
        ]
    if crime is not None:
        write_csv(tmp / "crime_control.csv", crime.rows(), CRIME_COLUMNS)
        files.append(Path("crime_control.csv"))
    if map_html is not None and isinstance(ev, Evaluation):
        atomic_write_text(tmp / "evaluation_map.html", map_html(ev))
        files.append(Path("evaluation_map.html"))
    files += [Path(RUN_MARKER), Path("plan.json")]
    atomic_write_text(tmp / RUN_MARKER, marker_text(about, files))
    # Last, as in a run folder: with the marker it marks the folder as complete.
    write_plan_json(plan, tmp / "plan.json")
    return files
