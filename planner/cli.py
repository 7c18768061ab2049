"""The ``planner`` command: a thin layer over the pipeline modules.

Planner errors become one clean line on stderr and exit code 2; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import logging
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from collections.abc import Callable

    from planner.config import ForceConfig
    from planner.planning.pipeline import WeekInputs
    from planner.planning.plan import Plan, UnservedVisit
    from planner.roads.network import RoadNetwork

from planner.batch.forces import slug
from planner.common import (
    DEFAULT_BUFFER_M,
    DEFAULT_MAX_SNAP_M,
    PLAIN_NUMBER_RE,
    check_not_input,
    guard_inputs,
    output_path_problem,
)
from planner.errors import PlannerError

log = logging.getLogger(__name__)

DEFAULT_CACHE = Path(".planner-cache")
#: Every file ``planner demand`` writes into its --out folder (checked against the files
#: ``WeekInputs.write`` writes by tests/test_cli.py), so that none overwrites an input.
DEMAND_FILES = (
    "demand_by_kind.csv",
    "visits.csv",
    "rejects.csv",
    "unit_shifts.csv",
    "hotspots.csv",
    "crime_rejects.csv",
)


class FiniteNumber(click.ParamType):
    """A float option that is a plain decimal number: ``nan``, ``inf``, ``1e999`` are refused.

    ``float()`` takes them (and ``1_000`` and other scripts' digits), and a NaN buffer or snap
    distance would silently compare false everywhere downstream.
    """

    name = "number"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        """The option's value as a finite float."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)  # a default, or a value given from Python
        elif PLAIN_NUMBER_RE.fullmatch(str(value).strip()):
            number = float(str(value))
            if math.isinf(number):
                self.fail(f"{value!r} is too large; give a finite decimal number", param, ctx)
        else:
            number = math.nan
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a number; give a decimal number such as 500", param, ctx)
        return number


class OutputPath(click.Path):
    """An output file or folder option, checked before any work (see ``output_path_problem``).

    A folder given where a file is written, a file where a folder is, or a path under a file is
    one clean usage error naming the option and the path.
    """

    def __init__(self, *, folder: bool) -> None:
        super().__init__(path_type=Path)
        self.folder = folder

    def convert(
        self,
        value: str | os.PathLike[str],
        param: click.Parameter | None,
        ctx: click.Context | None,
    ) -> Path:
        """The path, if an output can be written there."""
        path = Path(os.fsdecode(super().convert(value, param, ctx)))
        problem = output_path_problem(path, folder=self.folder)
        if problem is not None:
            self.fail(f"{path}: {problem}", param, ctx)
        return path


#: The network cache folder option, shared by every command that loads a network.
cache_dir_option = click.option(
    "--cache-dir",
    type=OutputPath(folder=True),
    default=DEFAULT_CACHE,
    show_default=True,
    help="Normalised network cache.",
)


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = (
        logging.WARNING
        if quiet or verbose == 0
        else logging.INFO
        if verbose == 1
        else logging.DEBUG
    )
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


class PlannerFailure(click.ClickException):
    """A planner error shown as one clean line, exit code 2."""

    exit_code = 2

    def show(self, file=None) -> None:  # type: ignore[no-untyped-def]
        """Print ``error: <message>`` on stderr."""
        click.echo(f"error: {self.message}", err=True)


class PlannerGroup(click.Group):
    """Turns :class:`PlannerError` from any command into :class:`PlannerFailure`."""

    def invoke(self, ctx: click.Context) -> object:
        """Run the command."""
        try:
            # No command writes over a file it read (see planner.common.guard_inputs).
            with guard_inputs():
                return super().invoke(ctx)
        except PlannerError as exc:
            log.debug("planner error", exc_info=True)
            raise PlannerFailure(str(exc)) from exc


@click.group(cls=PlannerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.option(
    "-q", "--quiet", is_flag=True, help="No progress display and no info log (overrides -v)."
)
@click.version_option(package_name="patrol-planner")
def cli(verbose: int, quiet: bool) -> None:
    """Plan funded police patrols on the real road network.

    Start with `planner demo`, which needs no download and writes its results under out/demo.
    """
    from planner._progress import set_quiet

    _setup_logging(verbose, quiet)
    set_quiet(quiet)


def _boundary(boundary: Path | None, boundary_name: str | None):  # type: ignore[no-untyped-def]
    if boundary is None:
        if boundary_name is not None:
            raise click.UsageError("--boundary-name needs --boundary FILE")
        return None
    from planner.roads.network import read_boundary

    return read_boundary(boundary, name=boundary_name)


_source_options = [
    click.argument("source", type=click.Path(path_type=Path)),
    click.option(
        "--boundary",
        type=click.Path(path_type=Path),
        help="Force boundary file (GeoJSON/GPKG) to clip to.",
    ),
    click.option(
        "--boundary-name", help="Feature to pick from the boundary file, e.g. 'Leicestershire'."
    ),
    click.option(
        "--buffer-m",
        type=FiniteNumber(),
        default=DEFAULT_BUFFER_M,
        show_default=True,
        help="Margin kept around the boundary.",
    ),
    cache_dir_option,
]


def source_options(func: Callable[..., None]) -> Callable[..., None]:
    """Attach the road-source arguments shared by several commands."""
    for opt in reversed(_source_options):
        func = opt(func)
    return func


def _load(
    source: Path, boundary: Path | None, boundary_name: str | None, buffer_m: float, cache_dir: Path
) -> RoadNetwork:
    from planner._progress import spinner
    from planner.roads.sources import load_network

    boundary_m = _boundary(boundary, boundary_name)
    with spinner(f"loading the road network {source.name}"):
        return load_network(source, boundary_m=boundary_m, buffer_m=buffer_m, cache_dir=cache_dir)


@cli.command()
@source_options
@click.option(
    "--save", type=OutputPath(folder=False), help="Also save the normalised network (.npz)."
)
def network(
    source: Path,
    boundary: Path | None,
    boundary_name: str | None,
    buffer_m: float,
    cache_dir: Path,
    save: Path | None,
) -> None:
    """Load and normalise a road network (PBF, OSM XML, Overpass JSON, GraphML or .npz)."""
    from planner.roads.cache import write_network

    if save is not None:
        check_not_input(save, [source, boundary], option="--save")
    net = _load(source, boundary, boundary_name, buffer_m, cache_dir)
    click.echo(net.summary())
    if save is not None:
        write_network(net, save)
        click.echo(f"saved {save}")


@cli.command()
@source_options
@click.option(
    "--sites",
    "sites_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Sites (.csv, .geojson, .gpkg).",
)
@click.option(
    "--mode",
    type=click.Choice(["car", "foot"]),
    multiple=True,
    default=["car", "foot"],
    show_default=True,
)
@click.option(
    "--max-snap-m",
    type=FiniteNumber(),
    default=DEFAULT_MAX_SNAP_M,
    show_default=True,
    help="Farthest a site may be from a road.",
)
@click.option(
    "--out",
    "out_dir",
    type=OutputPath(folder=True),
    default=Path("out/matrix"),
    show_default=True,
)
def matrix(
    source: Path,
    boundary: Path | None,
    boundary_name: str | None,
    buffer_m: float,
    cache_dir: Path,
    sites_path: Path,
    mode: tuple[str, ...],
    max_snap_m: float,
    out_dir: Path,
) -> None:
    """Snap sites to the network and write travel-time matrices and a snap report."""
    from planner._progress import spinner
    from planner.demand.sites import read_site_points
    from planner.planning.pipeline import snap_and_matrix

    net = _load(source, boundary, boundary_name, buffer_m, cache_dir)
    sites = read_site_points(sites_path)
    with spinner("snapping the sites and computing travel-time matrices"):
        result = snap_and_matrix(net, sites, modes=mode, max_snap_m=max_snap_m, out_dir=out_dir)
    click.echo(result.summary())


@cli.command()
@click.option("--profile", type=click.Choice(["town", "county"]), default="town", show_default=True)
@click.option(
    "--nodes",
    type=int,
    default=2000,
    show_default=True,
    help="Target intersections in the car network.",
)
@click.option("--seed", type=int, required=True, help="Random seed (always explicit).")
@click.option("--name", default="Northby", show_default=True, help="Fictional place name.")
@click.option(
    "--out",
    "out_path",
    required=True,
    type=OutputPath(folder=False),
    help="Output .osm.pbf, .osm or .osm.bz2.",
)
def synth(profile: str, nodes: int, seed: int, name: str, out_path: Path) -> None:
    """Generate a synthetic UK-like road network and write it as OpenStreetMap data."""
    from planner.roads.osm import write_osm_pbf, write_osm_xml
    from planner.roads.synthetic import generate_network

    ways = generate_network(profile=profile, n_nodes=nodes, seed=seed, name=name)
    if out_path.name.endswith(".pbf"):
        write_osm_pbf(ways, out_path)
    else:
        write_osm_xml(ways, out_path)
    click.echo(
        f"wrote {out_path}: {ways.n_ways:,} ways, {ways.n_nodes:,} nodes ({profile}, seed {seed})"
    )


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
    missed = _missed_lines(result.plan)
    for line in missed:
        click.echo(line)
    if strict and any(u.required for u in result.plan.unserved):
        raise click.exceptions.Exit(STRICT_EXIT)


#: Exit code of ``planner plan --strict`` when a required visit is missed.
STRICT_EXIT = 3


def _missed_lines(plan: Plan) -> list[str]:
    """Closing lines: missed visits by reason, naming required ones and MPs' premises."""
    if not plan.unserved:
        return []
    by_reason: dict[str, list[UnservedVisit]] = {}
    for u in plan.unserved:
        by_reason.setdefault(u.reason.split(":")[0], []).append(u)
    lines = [f"missed visits: {len(plan.unserved)} (reasons in unserved.csv)"]
    for reason, visits in sorted(by_reason.items(), key=lambda kv: -len(kv[1])):
        named = sorted({u.visit_id for u in visits if u.required or u.kind.startswith("mp_")})
        ids = f": {', '.join(named[:8])}{' ...' if len(named) > 8 else ''}" if named else ""
        lines.append(f"  {len(visits):4d} {reason}{ids}")
    return lines


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
@click.option(
    "--time-limit", type=FiniteNumber(), help="Solver time limit, s [default: the config's]."
)
@click.option(
    "--iterations",
    type=click.IntRange(min=1),
    help="Stop the search after this many iterations: the same plan on any machine [default: the config's].",
)
@click.option("--seed", type=int, help="Solver seed [default: the config's].")
@click.option(
    "--secure/--no-secure",
    default=None,
    help="Offline map with no third-party request [default: on unless the marking is OFFICIAL].",
)
@click.option(
    "--redact", is_flag=True, help="Show restricted sites (MPs' homes) only as an approximate area."
)
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


@cli.command()
@click.argument("problem_path", metavar="PROBLEM.json", type=click.Path(path_type=Path))
@click.option(
    "--time-limit",
    type=FiniteNumber(),
    help="Solver time limit, s [default: 10 unless --iterations].",
)
@click.option(
    "--iterations",
    type=click.IntRange(min=1),
    help="Stop the search after this many iterations: the same plan on any machine.",
)
@click.option("--seed", type=int, required=True, help="Random seed (always explicit).")
@click.option(
    "--out", "out_path", type=OutputPath(folder=False), help="Write the solution as JSON."
)
def solve(
    problem_path: Path,
    time_limit: float | None,
    iterations: int | None,
    seed: int,
    out_path: Path | None,
) -> None:
    """Solve a routing problem file (schema planner.routing-problem/1) directly, and validate it."""
    import json

    from planner._progress import SolveProgress
    from planner.common import atomic_write_bytes
    from planner.routing.problem import RoutingProblem
    from planner.routing.solver import MaxIterations, MaxRuntime, StoppingCriterion
    from planner.routing.solver import solve as solve_problem
    from planner.routing.validate import assert_valid

    if out_path is not None:
        check_not_input(out_path, [problem_path], option="--out")
    problem = RoutingProblem.from_json(problem_path)
    stop: StoppingCriterion
    if iterations is None:
        stop = MaxRuntime(10.0 if time_limit is None else time_limit)
    elif time_limit is None:
        stop = MaxIterations(iterations)
    else:
        stop = MaxIterations(iterations) | MaxRuntime(time_limit)
    status = SolveProgress(stop.runtime_limit_s())
    try:
        solution = solve_problem(problem, stop=stop, seed=seed, progress=status)
    finally:
        status.done()
    report = assert_valid(problem, solution)
    click.echo(solution.summary())
    click.echo(report.summary())
    if out_path is not None:
        atomic_write_bytes(out_path, json.dumps(solution.to_dict(), indent=1).encode())
        click.echo(f"wrote {out_path}")


def main() -> None:
    """Console entry point."""
    cli()


if __name__ == "__main__":  # pragma: no cover
    main()
