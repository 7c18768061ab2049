"""``planner solve``: the routing solver on a problem file or a benchmark instance."""

from __future__ import annotations

from pathlib import Path

import click

from planner.cli.app import FiniteNumber, OutputPath, cli
from planner.common import check_not_input


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
