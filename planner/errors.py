"""Exceptions raised by the planner.

Every message says what went wrong, where (file, row, field when known) and how to fix it.
The CLI prints them as one line and exits non-zero.
"""

from __future__ import annotations

from pathlib import Path


class PlannerError(Exception):
    """Base class for every error the planner raises on purpose."""


class InputError(PlannerError, ValueError):
    """An input file or value is missing, malformed or inconsistent.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    path
        The file the problem is in, if any.
    row
        1-based data row number within ``path`` (header excluded), if known.
    field
        The column, key or attribute at fault, if known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.row = row
        self.field = field
        self.detail = message
        where = []
        if path is not None:
            where.append(str(path))
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class NetworkError(PlannerError, RuntimeError):
    """A road network cannot be built or used as asked (no roads, nothing connected...)."""


class DownloadError(PlannerError, ConnectionError):
    """An online source (Overpass, Nominatim) could not be reached and nothing is cached."""


class InfeasibleError(PlannerError):
    """The routing problem has no feasible plan; the message names the visit(s) and why.

    ``visit_ids`` names the required visits that could not all be served together, when the
    search got that far, so that a caller can report them as missed and plan the rest.
    """

    visit_ids: tuple[str, ...] = ()


class InvalidPlanError(PlannerError):
    """A plan breaks a rule of its routing problem; the message lists every broken rule."""


class OutputError(PlannerError, OSError):
    """An output cannot be written where asked; the message names the file and the fix.

    Over one of the command's own input files, a file where a folder is needed (or a folder
    where a file is), a name too long, a full disk... Also an :class:`OSError`, so that code
    which handles a failed write still does.
    """
