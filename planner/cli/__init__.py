"""The ``planner`` command: a thin layer over the pipeline modules.

Planner errors become one clean line on stderr and exit code 2; anything else is a bug and
keeps its traceback. :mod:`.app` holds the command group, the shared option types and the
entry point; each other module holds the commands of one stage of the pipeline, registered on
the group when this package is imported.
"""

from planner.cli import batch, evaluate, plan, replan, roads, solve  # noqa: F401  (registers)
from planner.cli.app import DEMAND_FILES, cli, main
from planner.cli.plan import STRICT_EXIT

__all__ = ["DEMAND_FILES", "STRICT_EXIT", "cli", "main"]
