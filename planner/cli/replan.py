"""``planner replan``: re-plan the rest of a week from a cut-off (planner.planning.replan)."""

from __future__ import annotations

from pathlib import Path

import click

from planner.batch.forces import slug
from planner.cli.app import (
    OutputPath,
    cache_dir_option,
    cli,
    run_options,
    solver_options,
)
from planner.cli.plan import missed_lines


@cli.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
@click.option(
    "--plan",
    "plan_path",
    required=True,
    type=click.Path(path_type=Path),
    help="The plan.json to re-make.",
)
@click.option(
    "--from",
    "cutoff",
    required=True,
    help="Cut-off, e.g. 2026-12-02T12:00 (Europe/London, or with an offset); inside the week.",
)
@click.option(
    "--sites",
    "extra_sites",
    multiple=True,
    type=click.Path(path_type=Path),
    help="More site files (a protest announced mid-week); may be given several times.",
)
@click.option(
    "--unavailable",
    type=click.Path(path_type=Path),
    help="CSV of unit, date, shift (empty date or shift: all) that work no re-planned shift.",
)
@click.option(
    "--locks",
    type=click.Path(path_type=Path),
    help="CSV of unit, date, shift, site_id: visits of the plan to keep as they are.",
)
@click.option(
    "--out",
    "out_dir",
    type=OutputPath(folder=True),
    help="Run folder [default: out/<force>/<week>/replan]; replaced whole if it holds a run.",
)
@solver_options
@run_options
@cache_dir_option
def replan(
    config_path: Path,
    plan_path: Path,
    cutoff: str,
    extra_sites: tuple[Path, ...],
    unavailable: Path | None,
    locks: Path | None,
    out_dir: Path | None,
    time_limit: float | None,
    iterations: int | None,
    seed: int | None,
    secure: bool | None,
    redact: bool,
    cache_dir: Path,
) -> None:
    """Re-plan the rest of a week from a cut-off, keeping what is done; a new run folder.

    Routes whose shift started before the cut-off are kept whole, and so are visits named in
    --locks; the rest is planned again with --sites added and --unavailable units left out.
    Writes the normal run folder plus changes.csv, with a Changes section in summary.md.
    """
    from planner._progress import SolveProgress, spinner
    from planner.config import load_config
    from planner.outputs.changes import changes_csv, changes_markdown
    from planner.outputs.run import write_run
    from planner.planning.replan import replan as replan_week
    from planner.planning.week import stop_from

    config = load_config(config_path)
    out = out_dir or Path("out") / slug(config.name) / config.week.label / "replan"
    stop = stop_from(config, time_limit, iterations)
    status = SolveProgress(stop.runtime_limit_s())
    try:
        result = replan_week(
            config,
            previous_plan=plan_path,
            cutoff=cutoff,
            cache_dir=cache_dir,
            extra_sites=extra_sites,
            unavailable=unavailable,
            locks=locks,
            stop=stop,
            seed=seed,
            progress=status,
        )
    finally:
        status.done()
    with spinner(f"writing {out}"):
        run = write_run(
            result.result,
            out,
            secure=secure,
            redact=redact,
            extra_files={"changes.csv": changes_csv(result.changes, result.plan, redact=redact)},
            summary_extra=changes_markdown(result),
            changes=result.changes,
        )
    click.echo(result.summary())
    click.echo("")
    click.echo(run.summary())
    for line in missed_lines(result.plan):
        click.echo(line)
