"""Stopping criteria for the search, in the manner of ``pyvrp.stop``.

The search calls :meth:`StoppingCriterion.reset` once per solve (after the once-per-process
warm-up, so numba's compilation is not charged to a time limit), then calls the criterion
before every iteration with the best key found so far; ``True`` ends the search, ``False``
means one more iteration runs.  :meth:`~StoppingCriterion.fraction` is how far the search has
come, in ``[0, 1]``; the annealing temperature is ``temp0 * (1 - fraction)``.

- :class:`MaxIterations` (deterministic): after iteration ``it`` of ``N`` the fraction is
  exactly ``it / N``, so the same problem, seed and ``N`` give the same plan on any machine.
- :class:`MaxRuntime` (wall clock): the fraction is the share of the time used.  A plan it
  ends is the best so far (status ``"time_capped"``) and may differ between runs.  Besides the
  per-iteration check, the search gives OR-Tools' calls what is left of the time
  (:meth:`~StoppingCriterion.remaining_s`), so one long call cannot run far past the limit.
- :class:`NoImprovement` (deterministic): ends after ``n`` iterations in a row without a
  better best plan.  It has no notion of progress (fraction 0).
- ``a | b`` (:class:`FirstOf`): the first member to fire ends the search; its fraction is the
  largest of the members'.

A criterion holds its counters and clock, so it serves one solve at a time; ``reset`` makes it
reusable for the next one.  Criteria compare equal when they are configured alike.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from planner.errors import InputError


class StoppingCriterion:
    """Base class: when the search ends and how far it has come."""

    fired: StoppingCriterion | None = None
    """The criterion that ended the search at the last call (``None`` while it runs)."""

    def reset(self) -> None:
        """Start afresh: zero the counters, start the clock."""
        self.fired = None

    def __call__(self, best: Any) -> bool:
        """Whether to stop before the next iteration, given the best key so far.

        ``best`` is compared with ``>`` (larger is better).  ``False`` counts one iteration.
        """
        hit = self._check(best)
        self.fired = self if hit else None
        return hit

    def _check(self, best: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def fraction(self) -> float:
        """Progress through the budget in ``[0, 1]``, for the annealing temperature."""
        return 0.0

    def remaining_s(self) -> float | None:
        """Wall-clock seconds left, or ``None`` if no clock limits the search."""
        return None

    def runtime_limit_s(self) -> float | None:
        """The wall-clock limit, s, or ``None`` if no clock limits the search."""
        return None

    def __or__(self, other: StoppingCriterion) -> FirstOf:
        return FirstOf(self, other)

    def _spec(self) -> tuple[Any, ...]:  # pragma: no cover - abstract
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._spec() == self._spec()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._spec()))


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InputError(f"{name} must be a positive whole number, got {value!r}")
    return value


class MaxIterations(StoppingCriterion):
    """Stop after ``max_iterations`` iterations (deterministic)."""

    def __init__(self, max_iterations: int) -> None:
        self.max_iterations = _positive_int("MaxIterations", max_iterations)
        self._done = 0

    def reset(self) -> None:
        """Zero the iteration count."""
        super().reset()
        self._done = 0

    def _check(self, best: Any) -> bool:
        if self._done >= self.max_iterations:
            return True
        self._done += 1
        return False

    def fraction(self) -> float:
        """Iterations started over the maximum: ``it / N`` during iteration ``it``."""
        return self._done / self.max_iterations

    def _spec(self) -> tuple[Any, ...]:
        return (self.max_iterations,)

    def __repr__(self) -> str:
        return f"MaxIterations({self.max_iterations})"


class MaxRuntime(StoppingCriterion):
    """Stop once ``max_runtime_s`` seconds have passed since :meth:`reset` (wall clock)."""

    def __init__(self, max_runtime_s: float) -> None:
        ok = isinstance(max_runtime_s, int | float) and not isinstance(max_runtime_s, bool)
        if not (ok and math.isfinite(max_runtime_s) and max_runtime_s > 0):
            raise InputError(
                f"MaxRuntime must be a positive number of seconds, got {max_runtime_s!r}"
            )
        self.max_runtime_s = float(max_runtime_s)
        self._t0: float | None = None

    def reset(self) -> None:
        """Start the clock."""
        super().reset()
        self._t0 = time.perf_counter()

    def elapsed_s(self) -> float:
        """Seconds since the clock started (it starts at the first use if not reset)."""
        if self._t0 is None:
            self._t0 = time.perf_counter()
        return time.perf_counter() - self._t0

    def _check(self, best: Any) -> bool:
        return self.elapsed_s() >= self.max_runtime_s

    def fraction(self) -> float:
        """Share of the time used."""
        return min(1.0, self.elapsed_s() / self.max_runtime_s)

    def remaining_s(self) -> float | None:
        """Seconds left before the limit (0 once it has passed)."""
        return max(0.0, self.max_runtime_s - self.elapsed_s())

    def runtime_limit_s(self) -> float | None:
        """The limit, s."""
        return self.max_runtime_s

    def _spec(self) -> tuple[Any, ...]:
        return (self.max_runtime_s,)

    def __repr__(self) -> str:
        return f"MaxRuntime({self.max_runtime_s:g})"


class NoImprovement(StoppingCriterion):
    """Stop after ``max_iterations`` iterations in a row that did not improve the best plan."""

    def __init__(self, max_iterations: int) -> None:
        self.max_iterations = _positive_int("NoImprovement", max_iterations)
        self._best: Any = None
        self._since = 0

    def reset(self) -> None:
        """Forget the best key seen."""
        super().reset()
        self._best = None
        self._since = 0

    def _check(self, best: Any) -> bool:
        if self._best is None or best > self._best:
            self._best = best
            self._since = 0
        else:
            self._since += 1
        return self._since >= self.max_iterations

    def _spec(self) -> tuple[Any, ...]:
        return (self.max_iterations,)

    def __repr__(self) -> str:
        return f"NoImprovement({self.max_iterations})"


class FirstOf(StoppingCriterion):
    """Several criteria: the first to fire ends the search (``a | b | c``).

    Every member is called on every check, so each one's count stays true.  When a
    deterministic member fires at the same check as a :class:`MaxRuntime`, it is the one
    reported (the search did the work it was asked for).
    """

    def __init__(self, *criteria: StoppingCriterion) -> None:
        flat: list[StoppingCriterion] = []
        for c in criteria:
            if not isinstance(c, StoppingCriterion):
                raise InputError(f"not a stopping criterion: {c!r}")
            flat.extend(c.criteria if isinstance(c, FirstOf) else [c])
        if not flat:
            raise InputError("FirstOf needs at least one stopping criterion")
        self.criteria: Sequence[StoppingCriterion] = tuple(flat)

    def reset(self) -> None:
        """Reset every member."""
        super().reset()
        for c in self.criteria:
            c.reset()

    def __call__(self, best: Any) -> bool:
        """Call every member; stop if any fires."""
        hits = [c for c in self.criteria if c(best)]
        exact = [c for c in hits if not isinstance(c, MaxRuntime)]
        self.fired = exact[0] if exact else hits[0] if hits else None
        return bool(hits)

    def fraction(self) -> float:
        """The largest of the members' fractions."""
        return max(c.fraction() for c in self.criteria)

    def remaining_s(self) -> float | None:
        """The least time left among the members with a clock."""
        left = [r for c in self.criteria if (r := c.remaining_s()) is not None]
        return min(left) if left else None

    def runtime_limit_s(self) -> float | None:
        """The tightest wall-clock limit among the members, if any has one."""
        limits = [t for c in self.criteria if (t := c.runtime_limit_s()) is not None]
        return min(limits) if limits else None

    def _spec(self) -> tuple[Any, ...]:
        return tuple(self.criteria)

    def __repr__(self) -> str:
        return " | ".join(repr(c) for c in self.criteria)
