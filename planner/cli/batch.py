"""``planner batch`` and ``configs``: every force area in one run."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from planner.cli.app import FiniteNumber, OutputPath, cache_dir_option, cli


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=OutputPath(folder=True),
    default=Path("out/batch"),
    show_default=True,
)
@cache_dir_option
@click.option(
    "--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="Local processes."
)
@click.option(
    "--scheduler", help="Dask scheduler address (tcp://host:8786): run on that cluster instead."
)
@click.option(
    "--time-limit",
    type=FiniteNumber(),
    help="Solver time limit per area, s [default: each config's].",
)
@click.option(
    "--iterations",
    type=click.IntRange(min=1),
    help="Stop each area's search after this many iterations [default: each config's].",
)
@click.option("--force", is_flag=True, help="Re-plan areas whose inputs have not changed.")
@click.option("--secure/--no-secure", default=None, help="Force secure (offline) maps on or off.")
def batch(
    paths: tuple[Path, ...],
    out_dir: Path,
    cache_dir: Path,
    workers: int,
    scheduler: str | None,
    time_limit: float | None,
    iterations: int | None,
    force: bool,
    secure: bool | None,
) -> None:
    """Plan every force area in PATHS (config files or folders of them), in parallel.

    One failing area is reported and the others finish; unchanged areas are skipped. Writes
    one run folder per area, national_summary.csv and index.html. Exits 1 if any area failed.
    """
    from planner._progress import BatchProgress
    from planner.batch.runner import run_batch

    progress = BatchProgress()
    try:
        result = run_batch(
            list(paths),
            out_dir=out_dir,
            cache_dir=cache_dir,
            workers=workers,
            scheduler=scheduler,
            time_limit_s=time_limit,
            iterations=iterations,
            force=force,
            secure=secure,
            progress=progress,
        )
    finally:
        progress.done()
    click.echo(result.summary())
    if result.failed:
        sys.exit(1)


@cli.command()
@click.argument("boundary", type=click.Path(path_type=Path))
@click.option(
    "--out", "out_dir", type=OutputPath(folder=True), default=Path("configs"), show_default=True
)
@click.option("--week", required=True, help="ISO week to plan, e.g. 2026-W49.")
@click.option(
    "--name-field", default="PFA23NM", show_default=True, help="Column with the force names."
)
def configs(boundary: Path, out_dir: Path, week: str, name_field: str) -> None:
    """Write a starting config for every force area in a boundary file (e.g. ONS PFA GeoJSON)."""
    from planner.batch.forces import generate_force_configs

    paths = generate_force_configs(boundary, out_dir, week=week, name_field=name_field)
    click.echo(f"wrote {len(paths)} configs in {out_dir}; replace the PLACEHOLDER values in each")
