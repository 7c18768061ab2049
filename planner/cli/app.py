"""The ``planner`` command group: its option types, error handling and entry point.

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

    from planner.roads.network import RoadNetwork

from planner.common import (
    DEFAULT_BUFFER_M,
    PLAIN_NUMBER_RE,
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


def load_source(
    source: Path, boundary: Path | None, boundary_name: str | None, buffer_m: float, cache_dir: Path
) -> RoadNetwork:
    """The road network of a ``source`` argument and the options of :func:`source_options`."""
    from planner._progress import spinner
    from planner.roads.sources import load_network

    boundary_m = _boundary(boundary, boundary_name)
    with spinner(f"loading the road network {source.name}"):
        return load_network(source, boundary_m=boundary_m, buffer_m=buffer_m, cache_dir=cache_dir)


#: The search's options, shared by ``plan`` and ``replan``.
_solver_options = [
    click.option(
        "--time-limit", type=FiniteNumber(), help="Solver time limit, s [default: the config's]."
    ),
    click.option(
        "--iterations",
        type=click.IntRange(min=1),
        help="Stop the search after this many iterations: the same plan on any machine "
        "[default: the config's].",
    ),
    click.option("--seed", type=int, help="Solver seed [default: the config's]."),
]
#: The run folder's options, shared by ``plan`` and ``replan``.
_run_options = [
    click.option(
        "--secure/--no-secure",
        default=None,
        help="Offline map with no third-party request [default: on unless the marking is "
        "OFFICIAL].",
    ),
    click.option(
        "--redact",
        is_flag=True,
        help="Show restricted sites (MPs' homes) only as an approximate area.",
    ),
]


def solver_options(func: Callable[..., None]) -> Callable[..., None]:
    """Attach ``--time-limit``, ``--iterations`` and ``--seed``."""
    for opt in reversed(_solver_options):
        func = opt(func)
    return func


def run_options(func: Callable[..., None]) -> Callable[..., None]:
    """Attach ``--secure/--no-secure`` and ``--redact``."""
    for opt in reversed(_run_options):
        func = opt(func)
    return func


def main() -> None:
    """Console entry point."""
    cli()
