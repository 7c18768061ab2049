"""Float seconds and prizes to the solver's integers: :func:`to_solver_int` is the only place.

Time is counted in ``TIME_SCALE = 10_000_000`` units per second (1e-7 s: the rounding loss of
unrounded Euclidean TOP legs is negligible, and a week, 6e12 units, is far inside int64) and
prizes in ``PRIZE_SCALE = 1000`` units per prize unit.  Travel and service round *up*, window
opens and vehicle starts round *up*, window closes, latest ends and durations round *down*: so
a plan feasible in integers is feasible in floats.  The validator
(:mod:`planner.routing.validate`) checks the floats.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from planner.errors import InputError

TIME_SCALE = 10_000_000
"""Integer time units per second."""
PRIZE_SCALE = 1000
"""Integer prize units per prize unit."""

INF_T = np.int64(2**61)  # "no feasible time": larger than any horizon, sums stay in int64
UNREACH = np.int64(2**59)  # unreachable leg in the integer matrices (tested explicitly)


def to_solver_int(
    values: float | np.ndarray, kind: Literal["time_up", "time_down", "prize"]
) -> np.ndarray:
    """Convert float seconds or prizes to OR-Tools integers (the only place this happens).

    Parameters
    ----------
    values
        Seconds (``time_*``) or prizes (``prize``); finite.
    kind
        ``"time_up"``: ``ceil(x * TIME_SCALE)``, for travel, service, window opens, earliest
        starts, gaps (anything whose being larger is conservative).
        ``"time_down"``: ``floor(x * TIME_SCALE)``, for window closes, latest ends, durations.
        ``"prize"``: ``round(x * PRIZE_SCALE)``.

    Returns
    -------
    numpy.ndarray
        int64 array of the same shape (0-d for a scalar).

    Notes
    -----
    Products within 1e-6 units (plus a few float ulps) of an integer snap to it before
    rounding, so values that are exact in decimal (12.3 s) map to the exact grid point instead
    of one unit off; the error this admits (< 1e-11 s) is far inside the validator's tolerance.
    """
    x = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise InputError(f"cannot scale non-finite {kind} values to solver integers")
    scale = PRIZE_SCALE if kind == "prize" else TIME_SCALE
    # Checked before scaling: a product beyond float range would warn of overflow first.
    if np.any(np.abs(x) > 2**58 / scale):
        raise InputError(f"{kind} values too large for the solver's integer scale")
    y = x * scale
    r = np.round(y)
    near = np.abs(y - r) <= 1e-6 + 8.0 * np.finfo(np.float64).eps * np.abs(y)
    if kind == "time_up":
        out = np.where(near, r, np.ceil(y))
    elif kind == "time_down":
        out = np.where(near, r, np.floor(y))
    elif kind == "prize":
        out = r
    else:  # pragma: no cover - guarded by the Literal type
        raise ValueError(kind)
    if np.any(np.abs(out) > 2**58):
        raise InputError(f"{kind} values too large for the solver's integer scale")
    return out.astype(np.int64)
