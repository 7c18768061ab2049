"""Progress on the terminal while long work runs: loading, solving and batches (drawn by rich).

Drawn on stderr only when stderr is a terminal and ``planner --quiet`` was not given, and
erased when the work ends, so what the commands print and the files they write never change.
rich is imported only when something is drawn: commands start as fast as before.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live
    from rich.progress import Progress, TaskID

#: An area's stages while it is being worked on (shown beside the batch's bar).
BUSY_STAGES = ("loading", "solving", "writing")
#: An area's stages once it has ended (``done`` is written just before its result arrives).
ENDED_STAGES = frozenset({"done", "ok", "failed", "skipped"})
#: Redraws per second: smooth enough for a clock, cheap beside a solve.
_REFRESH_PER_S = 8

_quiet = False


def set_quiet(quiet: bool) -> None:
    """Draw nothing from now on (``planner --quiet``), or draw again."""
    global _quiet
    _quiet = quiet


def _console() -> Console | None:
    """A console on stderr, or None when progress must not be drawn."""
    if _quiet or not sys.stderr.isatty():
        return None
    from rich.console import Console

    return Console(stderr=True)


@contextmanager
def spinner(message: str) -> Iterator[None]:
    """A spinner with ``message`` while the block runs (loading a network, its matrices)."""
    console = _console()
    if console is None:
        yield
        return
    with console.status(message):
        yield


class SolveProgress:
    """The solve's progress, fed by the solver's ``progress(elapsed_s, best_prize)`` callback.

    A bar of the solve's time against ``limit_s`` when the stop has a time limit, otherwise a
    spinner; both show the improvements found and the best harm-weighted cover so far. The
    solver reports only improvements, so the clock is wall time since its first report.

    Parameters
    ----------
    limit_s
        The solve's time limit (all its solves together), s; None when it stops on iterations.
    """

    def __init__(self, limit_s: float | None) -> None:
        self.limit_s = limit_s
        self._improvements = 0
        self._best_prize: float | None = None
        self._started_at = time.monotonic()
        self._live: Live | None = None
        console = _console()
        if console is not None:
            from rich.live import Live
            from rich.spinner import Spinner

            self._spinner = Spinner("dots")
            self._live = Live(
                console=console,
                transient=True,
                refresh_per_second=_REFRESH_PER_S,
                get_renderable=self._render,
            )
            self._live.start()

    def __call__(self, elapsed_s: float, best_prize: float) -> None:
        """Record the solver's latest improvement."""
        if self._best_prize is None:  # the first report: the solver's clock started this long ago
            self._started_at = time.monotonic() - elapsed_s
        self._improvements += 1
        self._best_prize = best_prize

    def elapsed_s(self) -> float:
        """Solving time so far, s (with last week's plan, both solves and the model between)."""
        return time.monotonic() - self._started_at

    def _render(self) -> RenderableType:
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        row = Table.grid(padding=(0, 1))
        if self._best_prize is None:  # before the solver's first report: building the model
            row.add_row(self._spinner, "preparing the solve")
            return row
        elapsed_s = self.elapsed_s()
        cells: list[RenderableType] = [self._spinner, "solving"]
        of = ""
        if self.limit_s:
            cells.append(
                ProgressBar(total=self.limit_s, completed=min(elapsed_s, self.limit_s), width=20)
            )
            of = f" of {self.limit_s:g} s"
        # Least useful last: a narrow terminal cuts the end off.
        plural = "" if self._improvements == 1 else "s"
        text = (
            f"{elapsed_s:5.1f} s{of}, best harm-weighted cover {self._best_prize:,.1f}, "
            f"{self._improvements} improvement{plural}"
        )
        cells.append(Text(text, no_wrap=True, overflow="ellipsis"))
        row.add_row(*cells)
        return row

    def done(self) -> None:
        """Erase the display."""
        if self._live is not None:
            self._live.stop()
            self._live = None


class BatchProgress:
    """A batch's progress: a bar of areas ended out of all, and what the busy areas are doing.

    Called with every area's stage (``waiting``, ``loading``, ``solving``, ``writing``,
    ``done``, ``ok``, ``failed``, ``skipped``), as :func:`planner.batch.runner.run_batch` reports.
    """

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._console = _console()

    def __call__(self, stages: dict[str, str]) -> None:
        """Show the areas' latest stages."""
        if self._console is None:
            return
        counts: dict[str, int] = {}
        for stage in stages.values():
            counts[stage] = counts.get(stage, 0) + 1
        busy = ", ".join(f"{a}: {s}" for a, s in stages.items() if s in BUSY_STAGES)
        line = " ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k != "done")
        ended = sum(s in ENDED_STAGES for s in stages.values())
        if self._progress is None:
            self._start(len(stages))
        assert self._progress is not None and self._task is not None
        self._progress.update(
            self._task, completed=ended, description=line + (f" | {busy}" if busy else "")
        )

    def _start(self, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.table import Column

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("areas"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn(
                "{task.description}", table_column=Column(no_wrap=True, overflow="ellipsis")
            ),
            console=self._console,
            transient=True,
            refresh_per_second=_REFRESH_PER_S,
        )
        self._task = self._progress.add_task("", total=total)
        self._progress.start()

    def done(self) -> None:
        """Erase the display."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
