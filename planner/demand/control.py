"""Randomised control hot-spot-days: a seeded share of (hot spot, day) pairs get no extra patrol.

The Hotspot Action Fund forces keep *control* days so that the patrols' effect can be measured:
on a control day a hot spot gets no hot-spot patrol beyond what it would get anyway (response,
required visits to premises there); on the other, *treated*, days it gets the elastic dosage of
:mod:`planner.demand.dosage`. With ``[evaluation] control_share = 0.2`` and its own ``seed``,
:func:`choose_control` marks the control pairs, the planner drops every hot-spot candidate visit
on them, and ``plan.json`` records the choice (``evaluation``), so the evaluation
(:mod:`planner.evaluate.crime_control`) can compare crime in treated and control cells later.

The design
----------
* **Stratified by day.** Each day of the week gets about ``control_share`` of the hot spots as
  controls: the week's ``round(share x hot spots x days)`` controls are shared out evenly over
  the days (the remainder, one each, to days drawn from the seed), and each day's controls are
  the hot spots first in that day's seeded order. So the share cannot pile up on a weekend (whose
  crime differs) by chance, and no day is left without treated hot spots.
* **Not stratified by hot spot.** A hot spot's number of control days varies from week to week
  (about binomially): some hot spots have none in a week, some two or three. That variation is
  what a comparison of monthly crime counts between hot spots needs (data.police.uk dates crimes
  by month only, see :mod:`planner.evaluate.crime_control`).
* **Reproducible.** The order is :func:`planner.common.stable_fraction` of the seed, the date
  and the hot spot's id: the same seed, hot spots and week give the same choice on any machine;
  a hot spot added or removed does not reorder the others.

Caution: a control day is a day *without extra* patrol, not a day without police; and one week
of control days is far too little to measure an effect. A trial runs for months, with the
control days of every week recorded in each week's plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from planner.common import LONDON, stable_fraction
from planner.config import ForceConfig
from planner.demand.resources import UnitShift
from planner.demand.weekly import VisitRequirement

#: A hot-spot-day: the hot spot's site id and the local (Europe/London) date.
SiteDay = tuple[str, dt.date]


@dataclass(frozen=True)
class ControlChoice:
    """The randomised control hot-spot-days of a plan, as ``plan.json`` records them.

    ``control`` and ``treated`` are ``(site_id, local date)`` pairs, sorted; together they are
    every (hot spot, day) of the week.
    """

    control_share: float
    seed: int
    control: tuple[SiteDay, ...]
    treated: tuple[SiteDay, ...]

    def to_dict(self) -> dict[str, Any]:
        """The ``evaluation`` object of ``plan.json``."""

        def pairs(ps: tuple[SiteDay, ...]) -> list[dict[str, str]]:
            return [{"site_id": s, "date": d.isoformat()} for s, d in ps]

        return {
            "control_share": self.control_share,
            "seed": self.seed,
            "control": pairs(self.control),
            "treated": pairs(self.treated),
        }


def choose_control(
    site_ids: Iterable[str], days: Sequence[dt.date], *, share: float, seed: int
) -> frozenset[SiteDay]:
    """The control (hot spot, day) pairs: about ``share`` of the hot spots on each day.

    Parameters
    ----------
    site_ids
        The week's hot spots (duplicates count once).
    days
        The week's dates.
    share
        Share of all pairs to make controls, ``0 <= share < 1``.
    seed
        Seeds the draw (module docstring).

    Returns
    -------
    frozenset of (site_id, date)
        The control pairs; empty if ``share`` is 0 or there is no hot spot.
    """
    if not 0 <= share < 1:
        raise ValueError(f"control share must be in [0, 1), got {share!r}")
    ids = sorted(set(site_ids))
    days = sorted(set(days))
    if not ids or not days or share == 0:
        return frozenset()
    total = round(share * len(ids) * len(days))
    base, extra = divmod(total, len(days))
    # The days that take one more control, drawn so no weekday always gets the remainder.
    by_draw = sorted(days, key=lambda d: (stable_fraction(seed, "control-day", d.isoformat()), d))
    more = set(by_draw[:extra])
    out: set[SiteDay] = set()
    for day in days:
        k = base + (day in more)
        order = sorted(ids, key=lambda s: (stable_fraction(seed, "control", day.isoformat(), s), s))
        out.update((s, day) for s in order[:k])
    return frozenset(out)


def control_days(config: ForceConfig, site_ids: Iterable[str]) -> frozenset[SiteDay]:
    """The config's control pairs for these hot spots over its week (empty when off)."""
    ev = config.evaluation
    if ev.control_share <= 0:
        return frozenset()
    assert ev.seed is not None  # the config refuses a share without a seed
    return choose_control(site_ids, config.week.days, share=ev.control_share, seed=ev.seed)


def control_choice(config: ForceConfig, site_ids: Iterable[str]) -> ControlChoice | None:
    """What ``plan.json`` records: the control and treated pairs (``None`` when off)."""
    ev = config.evaluation
    if ev.control_share <= 0:
        return None
    assert ev.seed is not None
    ids = sorted(set(site_ids))
    control = control_days(config, ids)
    every = [(s, d) for s in ids for d in config.week.days]
    return ControlChoice(
        control_share=ev.control_share,
        seed=ev.seed,
        control=tuple(sorted(control)),
        treated=tuple(p for p in every if p not in control),
    )


def visit_day(visit: VisitRequirement) -> dt.date:
    """The day a hot-spot candidate belongs to: the local date its band starts.

    A band of day D starts before local midnight ending D even when it runs past it
    (:func:`planner.demand.dosage._bands`), so a night shift's visit after midnight in the
    band that began on D belongs to D.
    """
    return visit.windows[0].start.astimezone(LONDON).date()


def drop_control(
    candidates: Sequence[VisitRequirement], control: frozenset[SiteDay]
) -> list[VisitRequirement]:
    """The hot-spot candidates not on a control (hot spot, day); others pass unchanged."""
    if not control:
        return list(candidates)
    return [
        v
        for v in candidates
        if v.kind != "hotspot" or not v.windows or (v.site_id, visit_day(v)) not in control
    ]


def shift_day(shift: UnitShift) -> dt.date:
    """The day most of a unit-shift's hours fall on: the local date of its midpoint.

    A night shift from 23:00 works mostly in the next day's bands.
    """
    return (shift.start + (shift.end - shift.start) / 2).astimezone(LONDON).date()


def treated_reach(
    reach: Callable[[UnitShift], Sequence[int]],
    site_ids: Sequence[str],
    control: frozenset[SiteDay],
) -> Callable[[UnitShift], Sequence[int]]:
    """``reach`` without the hot spots that are controls on the shift's day (:func:`shift_day`).

    For buying unit-shifts by the hot-spot patrol they add
    (:class:`planner.demand.dosage.HotspotSlots`): a shift is not bought for control days.
    Judged per shift, not per hour: the value is an estimate for buying, and the candidates
    themselves are filtered exactly by :func:`drop_control`.
    """
    if not control:
        return reach

    def treated(shift: UnitShift) -> list[int]:
        day = shift_day(shift)
        return [i for i in reach(shift) if (site_ids[i], day) not in control]

    return treated
