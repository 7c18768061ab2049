"""``planner demand``, ``plan`` and ``demo``: the week's demand and plan for one force."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import click

from planner.batch.forces import slug
from planner.cli.app import (
    DEMAND_FILES,
    FiniteNumber,
    OutputPath,
    cache_dir_option,
    cli,
    run_options,
    solver_options,
)
from planner.common import check_not_input

if TYPE_CHECKING:
    from planner.config import ForceConfig
    from planner.planning.pipeline import WeekInputs
    from planner.planning.plan import Plan, RejectedSite, UnservedVisit

log = logging.getLogger(__name__)


@cli.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=OutputPath(folder=True),
    help="Output folder [default: out/<force>/<week>/demand].",
)
@cache_dir_option
def demand(config_path: Path, out_dir: Path | None, cache_dir: Path) -> None:
    """Show the week's patrol demand, hot spots and what the budget buys; write them to files."""
    from planner.config import load_config

    config = load_config(config_path)
    inputs = _prepare(config, cache_dir)
    out = out_dir or Path("out") / slug(config.name) / config.week.label / "demand"
    for name in DEMAND_FILES:  # every input is read by now
        check_not_input(out / name, option="--out", given=out)
    files = inputs.write(out)
    click.echo(inputs.summary())
    click.echo("")
    for f in files:
        click.echo(f"wrote {f}")


def _prepare(config: ForceConfig, cache_dir: Path) -> WeekInputs:
    """The week's inputs, with a spinner while the network, sites and travel times load."""
    from planner._progress import spinner
    from planner.planning.pipeline import prepare_week

    with spinner(f"loading {config.name}: road network, sites, hot spots, travel times"):
        return prepare_week(config, cache_dir=cache_dir)


def _plan_job(
    config_path: Path,
    out_dir: Path | None,
    *,
    cache_dir: Path,
    previous: Path | None = None,
    avoid_min: float = 60.0,
    time_limit: float | None = None,
    iterations: int | None = None,
    seed: int | None = None,
    secure: bool | None = None,
    redact: bool = False,
    strict: bool = False,
) -> None:
    """Prepare the week, plan it, and write the run folder with its map.

    With ``strict``, exit with code 3 (after writing the run) if any required visit is missed.
    """
    from planner._progress import SolveProgress, spinner
    from planner.config import load_config
    from planner.outputs.run import write_run
    from planner.planning.week import make_plan, stop_from

    config = load_config(config_path)
    out = out_dir or Path("out") / slug(config.name) / config.week.label / "plan"
    inputs = _prepare(config, cache_dir)
    stop = stop_from(config, time_limit, iterations)
    limit = stop.runtime_limit_s()
    status = SolveProgress(None if limit is None else limit * (2 if previous is not None else 1))
    try:
        result = make_plan(
            config,
            cache_dir=cache_dir,
            previous_plan=previous,
            avoid_min=avoid_min,
            stop=stop,
            seed=seed,
            progress=status,
            inputs=inputs,
        )
    finally:
        status.done()
    with spinner(f"writing {out}"):
        run = write_run(result, out, secure=secure, redact=redact)
    click.echo(result.summary())
    click.echo("")
    click.echo(run.summary())
    missed = missed_lines(result.plan)
    for line in missed:
        click.echo(line)
    if strict and result.plan.required_missed:
        raise click.exceptions.Exit(STRICT_EXIT)


#: Exit code of ``planner plan --strict`` when a required visit is missed.
STRICT_EXIT = 3


def missed_lines(plan: Plan) -> list[str]:
    """Closing lines: missed visits and rejected sites by reason, naming required ones and MPs' premises."""

    def ids(named: list[str]) -> str:
        return f": {', '.join(named[:8])}{' ...' if len(named) > 8 else ''}" if named else ""

    lines = []
    if plan.unserved:
        by_reason: dict[str, list[UnservedVisit]] = {}
        for u in plan.unserved:
            by_reason.setdefault(u.reason.split(":")[0], []).append(u)
        lines.append(f"missed visits: {len(plan.unserved)} (reasons in unserved.csv)")
        for reason, visits in sorted(by_reason.items(), key=lambda kv: -len(kv[1])):
            named = sorted({u.visit_id for u in visits if u.required or u.kind.startswith("mp_")})
            lines.append(f"  {len(visits):4d} {reason}{ids(named)}")
    if plan.rejected:
        by_stage: dict[str, list[RejectedSite]] = {}
        for r in plan.rejected:
            by_stage.setdefault(r.stage, []).append(r)
        lines.append(f"sites not in the plan: {len(plan.rejected)} (reasons in demand/rejects.csv)")
        for stage, rows in sorted(by_stage.items(), key=lambda kv: -len(kv[1])):
            named = sorted({r.site_id for r in rows if r.required_visits or r.mp_premises})
            lines.append(f"  {len(rows):4d} {_STAGE_WORDS.get(stage, stage)}{ids(named)}")
    return lines


#: How the closing lines name the stage that dropped a site.
_STAGE_WORDS = {
    "site": "row cannot be a site (no coordinates, unknown kind, outside the area...)",
    "snap": "no road network reaches it",
    "demand": "no visit asked for this week",
}


@cli.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=OutputPath(folder=True),
    help="Run folder [default: out/<force>/<week>/plan]; replaced whole if it holds a run.",
)
@click.option(
    "--previous",
    type=click.Path(path_type=Path),
    help="Last week's plan.json: keep this week's visit times away from its times.",
)
@click.option(
    "--avoid-min",
    type=FiniteNumber(),
    default=60.0,
    show_default=True,
    help="How far from last week's visit times, minutes.",
)
@solver_options
@run_options
@click.option(
    "--strict",
    is_flag=True,
    help=f"Exit with code {STRICT_EXIT} (the run is still written) if any required visit is missed.",
)
@cache_dir_option
def plan(
    config_path: Path,
    out_dir: Path | None,
    previous: Path | None,
    avoid_min: float,
    time_limit: float | None,
    iterations: int | None,
    seed: int | None,
    secure: bool | None,
    redact: bool,
    strict: bool,
    cache_dir: Path,
) -> None:
    """Plan a force's week and write the run folder: plan.json, schedule, routes, map, briefings.

    The map is written as map.html inside the run folder only (out/ is not tracked by git, so a
    sensitive map cannot be committed by accident).
    """
    _plan_job(
        config_path,
        out_dir,
        cache_dir=cache_dir,
        previous=previous,
        avoid_min=avoid_min,
        time_limit=time_limit,
        iterations=iterations,
        seed=seed,
        secure=secure,
        redact=redact,
        strict=strict,
    )


@cli.command()
@click.option(
    "--out", "out_dir", type=OutputPath(folder=True), default=Path("out/demo"), show_default=True
)
@cache_dir_option
@click.option(
    "--time-limit", type=FiniteNumber(), help="Solver time limit, s [default: the config's]."
)
@click.option(
    "--iterations",
    type=click.IntRange(min=1),
    help="Stop the search after this many iterations: the same plan on any machine [default: the config's].",
)
def demo(out_dir: Path, cache_dir: Path, time_limit: float | None, iterations: int | None) -> None:
    """Plan the built-in synthetic demo town's week (no download needed) into out/demo."""
    from planner.demo import demo_config

    with demo_config() as config_path:
        log.info("the demo's config: %s", config_path)
        _plan_job(
            config_path, out_dir, cache_dir=cache_dir, time_limit=time_limit, iterations=iterations
        )
