"""``planner evaluate`` from start to end: read, match, write (the CLI's one call)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from planner.config import load_config
from planner.errors import InputError
from planner.evaluate.crime_control import CrimeComparison, compare_crime
from planner.evaluate.matching import Evaluation, Settings, evaluate, plan_window, station_points
from planner.evaluate.report import NO_TRACKS, headline, write_evaluation
from planner.evaluate.track_map import evaluation_map
from planner.evaluate.tracks import read_tracks
from planner.planning.plan import Plan, read_plan_json

#: Suffixes of the track files taken from a folder given as --tracks.
TRACK_SUFFIXES = (".gpx", ".csv")


@dataclass(frozen=True)
class EvaluationRun:
    """What :func:`run_evaluation` did: the evaluation and the files written.

    ``evaluation`` is ``None`` when no tracks were given (``--crimes`` alone): only the crime
    comparison was made.
    """

    plan: Plan
    evaluation: Evaluation | None
    files: tuple[Path, ...]
    crime: CrimeComparison | None = None

    def summary(self) -> str:
        """The headline and the files, one per line."""
        plan = self.plan
        if self.evaluation is None:
            what, figures = "crime at control and treated hot-spot-days", [NO_TRACKS]
        else:
            what, figures = "patrols delivered", headline(self.evaluation)
        lines = [f"[{plan.protective_marking}] {plan.force}: {what}, {plan.week}"]
        lines += [f"{label}: {value}" for label, value in figures]
        if self.crime is not None:
            c, t = self.crime.side(True), self.crime.side(False)
            lines.append(
                f"Crimes per hot-spot-month: {c['crimes']:.2f} control ({c['hotspot_days']:.0f} "
                f"hot-spot-days), {t['crimes']:.2f} treated ({t['hotspot_days']:.0f}); "
                "see the report's caution"
            )
        lines += [f"wrote {f}" for f in self.files if f.name != ".planner-run"]
        return "\n".join(lines)


def time_zone(name: str | None) -> ZoneInfo | None:
    """The zone named by ``--tz``, or ``None``.

    Raises
    ------
    InputError
        If the name is not an IANA time zone.
    """
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"{name!r} is not a time zone; give an IANA name such as Europe/London", field="--tz"
        ) from None


def track_files(paths: Sequence[Path]) -> list[Path]:
    """The track files: each path, or the .gpx and .csv files of a folder given."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(
                f for f in p.iterdir() if f.suffix.lower() in TRACK_SUFFIXES and f.is_file()
            )
            if not found:
                raise InputError("is a folder holding no .gpx or .csv track file", path=p)
            out += found
        else:
            out.append(p)
    return out


def crime_files(paths: Sequence[Path]) -> list[Path]:
    """The crime files: each path, or every .csv under a folder given.

    data.police.uk's downloads are a folder per month.
    """
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.rglob("*.csv") if f.is_file())
            if not found:
                raise InputError("is a folder holding no .csv crime file", path=p, field="--crimes")
            out += found
        else:
            out.append(p)
    return out


def refuse_over_inputs(out: Path, inputs: Sequence[Path]) -> None:
    """Refuse an --out folder that is, or holds, one of the inputs (the plan's run folder).

    A run folder would pass the run-folder check and be replaced whole, plan and all.
    """
    real_out = os.path.realpath(out)
    for p in inputs:
        real = os.path.realpath(p)
        if real == real_out or real.startswith(real_out + os.sep):
            raise InputError(
                f"holds the input {p}: writing the evaluation there would replace it; give "
                "--out a new folder (the default is out/<force>/<week>/evaluation)",
                path=out,
                field="--out",
            )


def run_evaluation(
    config_path: Path,
    plan_path: Path,
    tracks: Sequence[Path],
    out: Path,
    *,
    settings: Settings,
    tz: str | None = None,
    secure: bool | None = None,
    crimes: Sequence[Path] = (),
    hotspots: Path | None = None,
    cache_dir: Path | None = None,
) -> EvaluationRun:
    """Read the config, plan and tracks, match them and write the evaluation folder.

    With ``crimes`` (later months' data.police.uk files, or folders of them), also compare
    crime at the plan's control and treated hot-spot-days (:mod:`.crime_control`); the hot
    spots are read from ``hotspots`` (default: the run's ``demand/hotspots.csv``). With
    ``crimes`` and no ``tracks`` only that comparison is made and written; the report says
    the dosage delivered is not measured.

    Raises
    ------
    InputError
        For any input that cannot be read (naming the file, row and field), an --out that
        holds an input or is not a new, empty or planner folder, or neither tracks nor crimes.
    """
    if not tracks and not crimes:
        raise InputError(
            "nothing to evaluate: give the GPS tracks with --tracks FILE..., or later months' "
            "crime files with --crimes FILE... (or both)",
            field="--tracks",
        )
    zone = time_zone(tz)
    files = track_files(tracks)
    refuse_over_inputs(out, [config_path, plan_path, *files])
    config = load_config(config_path)
    plan = read_plan_json(plan_path)
    stations = station_points(config)
    ev = None
    if files:
        start, end = plan_window(plan)
        units = {r.unit_id for r in plan.routes}
        read = read_tracks(files, units=units, start=start, end=end, tz=zone)
        ev = evaluate(plan, read, stations, settings)
    crime = None
    if crimes:
        crime = compare_crime(
            config,
            plan,
            crime_files(crimes),
            hotspots or plan_path.parent / "demand" / "hotspots.csv",
            cache_dir=cache_dir,
        )
    written = write_evaluation(
        plan if ev is None else ev,
        out,
        plan_path=plan_path,
        map_html=lambda e: evaluation_map(e, plan_path=plan_path, stations=stations, secure=secure),
        crime=crime,
    )
    return EvaluationRun(plan, ev, tuple(written), crime)
