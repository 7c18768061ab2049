"""``planner evaluate``: the dosage delivered, from units' GPS tracks (planner.evaluate)."""

from __future__ import annotations

from pathlib import Path

import click

from planner.batch.forces import slug
from planner.cli.app import OutputPath, cache_dir_option, cli


@cli.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
@click.argument("more_tracks", nargs=-1, type=click.Path(path_type=Path), metavar="")
@click.option(
    "--plan",
    "plan_path",
    required=True,
    type=click.Path(path_type=Path),
    help="The run's plan.json.",
)
@click.option(
    "--tracks",
    "tracks",
    multiple=True,
    type=click.Path(path_type=Path),
    help="GPS tracks: GPX 1.1 or CSV (unit, timestamp, lat, lon) files, or folders of them; "
    "several may follow one --tracks.",
)
@click.option(
    "--out",
    "out_dir",
    type=OutputPath(folder=True),
    help="Evaluation folder [default: out/<force>/<week>/evaluation]; replaced whole.",
)
@click.option(
    "--radius-m",
    type=click.FloatRange(min=1, max=1000),
    default=50.0,
    show_default=True,
    help="A unit within this distance of a site is on site.",
)
@click.option(
    "--dwell-min",
    type=click.FloatRange(min=0, max=600),
    default=5.0,
    show_default=True,
    help="Minutes on site in one stay for a visit to count (or the planned dwell, if shorter).",
)
@click.option(
    "--max-gap-min",
    type=click.FloatRange(min=0, max=120),
    default=5.0,
    show_default=True,
    help="Longest gap in a track bridged as continuous presence.",
)
@click.option("--tz", help="Time zone of timestamps written without an offset, e.g. Europe/London.")
@click.option(
    "--secure/--no-secure",
    default=None,
    help="Offline map with no third-party request [default: on unless the marking is OFFICIAL].",
)
@click.option(
    "--crimes",
    "crimes",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Later months' data.police.uk crime CSVs (or folders): compare crime at the plan's "
    "control and treated hot-spot-days ([evaluation] control_share).",
)
@click.option(
    "--hotspots",
    "hotspots",
    type=click.Path(path_type=Path),
    help="The run's hot spots [default: demand/hotspots.csv beside the plan].",
)
@cache_dir_option
def evaluate(
    config_path: Path,
    more_tracks: tuple[Path, ...],
    plan_path: Path,
    tracks: tuple[Path, ...],
    out_dir: Path | None,
    radius_m: float,
    dwell_min: float,
    max_gap_min: float,
    tz: str | None,
    secure: bool | None,
    crimes: tuple[Path, ...],
    hotspots: Path | None,
    cache_dir: Path,
) -> None:
    """Measure the patrols delivered against a plan, from units' GPS tracks.

    Writes evaluation.md and .html, stops_delivered.csv, sites_delivered.csv,
    unit_shifts.csv, tracks_rejects.csv and evaluation_map.html; with --crimes also
    crime_control.csv (crime at control against treated hot-spot-days). With --crimes and
    no --tracks only the report and crime_control.csv: the dosage delivered is not measured.
    """
    from planner.evaluate.matching import Settings
    from planner.evaluate.run import run_evaluation
    from planner.planning.plan import read_plan_json

    if not tracks and more_tracks:
        # Extra paths are the tracks that follow one --tracks; with none they would be read
        # as tracks anyway, which is never what was meant (they followed --crimes, say).
        raise click.UsageError(
            f"{more_tracks[0]} follows no --tracks: give GPS tracks with --tracks FILE..., "
            "and each crime file or folder with its own --crimes"
        )
    if not tracks and not crimes:
        raise click.UsageError(
            "nothing to evaluate: give the GPS tracks with --tracks FILE..., or later months' "
            "crime files with --crimes FILE... (or both)"
        )
    out = out_dir
    if out is None:
        plan_doc = read_plan_json(plan_path)
        out = Path("out") / slug(plan_doc.force) / plan_doc.week / "evaluation"
    result = run_evaluation(
        config_path,
        plan_path,
        [*tracks, *more_tracks],
        out,
        settings=Settings(radius_m=radius_m, dwell_min=dwell_min, max_gap_s=max_gap_min * 60),
        tz=tz,
        secure=secure,
        crimes=crimes,
        hotspots=hotspots,
        cache_dir=cache_dir,
    )
    click.echo(result.summary())
