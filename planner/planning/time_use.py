"""Where a unit-shift's paid time goes, and its overtime: plain arithmetic on its times."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: A return less than this after the shift's end is on time (seconds).
OVERTIME_TOL_S = 1.0

#: Idle time above this share of the working time (paid minus break) gets an ``idle_reason``.
IDLE_REASON_SHARE = 0.15


def elapsed_s(a: dt.datetime, b: dt.datetime) -> float:
    """Seconds from ``a`` to ``b``, in UTC (so right across a clock change)."""
    return (b.astimezone(dt.UTC) - a.astimezone(dt.UTC)).total_seconds()


def overtime_s(shift_end: dt.datetime, back: dt.datetime) -> float:
    """Seconds a unit back at its station at ``back`` worked past ``shift_end`` (0 if none).

    Whole seconds less than :data:`OVERTIME_TOL_S` are not overtime: the solver's times are
    rounded, and a return on the stroke of the shift's end may read a fraction after it.
    """
    over = elapsed_s(shift_end, back)
    return over if over >= OVERTIME_TOL_S else 0.0


@dataclass(frozen=True)
class TimeBudget:
    """One unit-shift's time, seconds: ``paid_s = on_site_s + travel_s + break_s + idle_s``.

    ``waiting_s`` is idle before the first departure and between stops (the unit waits for a
    visit window to open), ``ran_out_s`` idle after the last return (nothing left worth
    going out for); they add up to ``idle_s``.
    """

    paid_s: float
    on_site_s: float
    travel_s: float
    break_s: float
    idle_s: float
    waiting_s: float
    ran_out_s: float
    has_stops: bool

    @property
    def working_s(self) -> float:
        """Paid time less the break."""
        return self.paid_s - self.break_s

    @property
    def utilisation(self) -> float:
        """Share of the working time on site or travelling: (on site + travel) / (paid - break)."""
        return (self.on_site_s + self.travel_s) / self.working_s if self.working_s > 0 else 0.0

    @property
    def idle_reason(self) -> str:
        """Why idle time is over 15% of the working time, from the route; empty if it is not."""
        if self.working_s <= 0 or self.idle_s <= IDLE_REASON_SHARE * self.working_s:
            return ""
        if not self.has_stops:
            return "no demand reachable in the shift"
        if self.waiting_s >= self.ran_out_s:
            return "waiting for windows"
        return "demand ran out"
