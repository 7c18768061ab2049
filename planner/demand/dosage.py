"""Elastic hot-spot dosage: every free minute of a deployed unit-shift goes to hot-spot patrol.

Hot-spot policing practice (Koper 1995; Sherman & Weisburd 1995; the Home Office's Grip /
Hotspot Action Fund from 2021) has officers circulate between assigned hot spots for their whole
funded time, about 15 minutes at each, at the hours when harm happens, in an order that is hard
to predict. So hot spots do not get a fixed number of visits a week. Instead, once the week's
unit-shifts are chosen, this module offers the optimiser *candidate* hot-spot visits for every
period a unit that can reach the hot spot is on duty, and the optimiser takes as many as the
units' time allows after the required visits and premises.

How the candidates are made
---------------------------
* The week is cut, per hot spot and per day, into *bands* of ``min_gap_s`` (60 minutes by
  default) with a seeded random phase per hot spot and day, so band edges, and hence the visit
  times the optimiser finds first, differ from day to day. A candidate is "a visit to hot spot
  *h* starting in band *b*"; the hot spot's group keeps two visits at least ``min_gap_s`` apart,
  so units circulate instead of parking.
* Its value is ``base_prize(h) x profile_h(b) x decay^k``: ``base_prize`` is the hot spot's harm
  relative to the mean hot spot's (on the same scale as premises); ``profile_h(b)`` is the
  time-of-week weight of its crime mix over the band (:mod:`planner.demand.profiles`), so a visit
  is worth most when its kind of harm happens; and ``k`` is the number of candidates the hot spot
  already has that day, so a second visit in a day is worth less than the first (diminishing
  returns, ``decay`` < 1). A tiny seeded jitter breaks ties without a fixed pattern.
* Which of a day's bands a hot spot's next candidate takes is steered away from the times of
  day it already has on other days (each such band's worth times ``repeat_decay`` for the
  choice only), so visits spread over the hours instead of falling at the same time each day.
  This changes *when* a hot spot is offered visits, never *how many*.
* No two visits to a hot spot on different days start within ``[demand] hotspot_repeat_min``
  (30) minutes of the same local time of day: the optimiser keeps that rule exactly
  (:attr:`planner.routing.problem.Group.repeat_gap_s`, on the local clock across a clock
  change) for every candidate that is the first at its time of day. A unit on the same
  evening shift every day has only so many distinct times for one hot spot, though: offered
  nothing more, the examples left much of the paid time idle (the City's utilisation 48%,
  against 92%). So the candidates beyond a hot spot's distinct times are offered as *repeat
  candidates*: free of the rule and worth ``[demand] hotspot_repeat_worth`` (0.5) of their
  value, taken only when nothing worth more fills the time (0 offers none).
  ``scripts/bench_plan_quality.py`` counts the repeats among rule-bound visits (none, by
  construction) apart from those with a repeat candidate (the dose beyond the hot spot's
  distinct times).
* Candidates are chosen greedily by value, most valuable first, until each band holds
  ``oversupply`` times what the units on duty then could visit (their minutes over dwell plus a
  typical hop between hot spots), and no hot spot holds more than ``share_cap`` times its
  share of the harm of the fleet's visits (so nearness cannot take the whole dose). That
  keeps the problem small, about ``oversupply`` times the fleet's capacity, while leaving the
  optimiser the choice. The greedy with decay is the standard allocation for a concave
  (diminishing-returns) objective, so the candidates follow harm; the optimiser then takes
  those it can reach in the time, so a hot spot far from every station gets less than its
  share (``scripts/bench_plan_quality.py`` measures by how much).

Where the optimiser's choice leaves doses out of harm order (hot spots of almost equal harm,
one easier to reach), two later steps pull them back: the solver's last pass trades visits
between hot spots (:mod:`planner.routing.solver.balance`, weighted by ``base_prize``), and the
planner may plan the week once more with each hot spot's offer scaled by ``steer``
(:mod:`planner.planning.steer`).

Candidates the optimiser does not take are opportunities, not requirements: they are never
reported as missed visits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from planner.common import LONDON, stable_fraction
from planner.config import ForceConfig
from planner.demand.hotspots import HotspotResult
from planner.demand.profiles import Profile, profile_for, profiles_from_config
from planner.demand.resources import UnitShift
from planner.demand.weekly import Site, VisitRequirement
from planner.demand.windows import TimeWindow

__all__ = [
    "PATROL_GROUP_SUFFIX",
    "PATROL_WINDOW",
    "DosageParams",
    "HotspotDemand",
    "HotspotSlots",
    "dosage_params",
    "hotspot_candidates",
    "hotspot_demands",
    "within_walk",
]


_EPOCH = dt.datetime(2000, 1, 3, tzinfo=dt.UTC)

#: Suffix of a patrol point's group id (its site id plus this).
PATROL_GROUP_SUFFIX = "~patrol"
#: The window label of a reassurance patrol's visits (the stop keeps its site's kind).
PATROL_WINDOW = "reassurance patrol"


@dataclass(frozen=True)
class DosageParams:
    """How hot-spot candidates are made (see the module docstring).

    Attributes
    ----------
    dwell_s
        Time on site per visit (the Koper curve: 900 s).
    min_gap_s
        Least time between the starts of two visits to one hot spot; also the band length.
    decay
        Worth of each further candidate at a hot spot on one day, relative to the one before.
    oversupply
        Candidates per band, as a multiple of what the units on duty could visit.
    hop_s
        Typical travel between two hot spots, per mode, for that capacity estimate.
    seed
        Seeds the band phases and tie-breaking jitter.
    share_cap
        Most candidates a hot spot is offered, as a multiple of its harm share of the fleet's
        visits, so that nearness cannot pull the whole dose away from harm. Closer to 1 it
        leaves the optimiser too few candidates: on the examples 1.15 cut utilisation from
        87% to 75% without raising the harm-dosage correlation.
    repeat_decay
        When choosing which of a day's bands a hot spot's next candidate goes to, each band's
        worth is multiplied by this for every candidate the hot spot already has on another
        day at an overlapping time of day, so visits spread over the hours (a pattern a crew,
        or an offender, could learn). It never changes how many candidates a hot spot gets.
    repeat_gap_s
        The hot spot's time-of-day rule for the optimiser
        (:attr:`planner.routing.problem.Group.repeat_gap_s`): two of its visits on different
        days start at least this far apart in time of day.
    fill_hours
        After the capped allocation, fill every band up to what the units on duty could visit,
        caps lifted (:func:`_allocate`'s second pass), so no paid hour is left without work.
        Off only to study the caps alone.
    repeat_worth
        Worth, relative to its value, of a *repeat* candidate: one whose band overlaps, in time
        of day, a band the hot spot already has on another day. Repeat candidates go without
        the time-of-day rule (``Visit.repeat_rule``), so units can give a hot spot more visits
        than it has distinct times in their hours; worth less, they are taken only when
        nothing better fills the time. 0: not offered at all (no repeats, more idle time).
    """

    dwell_s: float = 900.0
    min_gap_s: float = 3600.0
    decay: float = 0.7
    oversupply: float = 1.5
    hop_s: tuple[tuple[str, float], ...] = (("car", 600.0), ("foot", 900.0))
    seed: int = 0
    share_cap: float = 1.5
    repeat_decay: float = 0.8
    repeat_gap_s: float = 31 * 60.0
    repeat_worth: float = 0.5
    fill_hours: bool = True

    def hop(self, mode: str) -> float:
        """Typical hop for ``mode`` (seconds); the largest given if the mode is not listed."""
        hops = dict(self.hop_s)
        return hops.get(mode, max(hops.values(), default=600.0))


@dataclass(frozen=True)
class HotspotDemand:
    """One hot spot as the dosage sees it: its value and when its harm happens.

    ``steer`` scales the worth and number of its candidates only (never what the hot spot is
    worth when shifts are bought or doses are balanced): a re-plan sets it to bring a dose
    out of line with harm back towards it (``planner.planning.steer``).

    ``patrol`` marks a reassurance patrol point at a tension site of kind ``kind``
    (:mod:`planner.demand.patrol`): offered only for the time hot spots leave unfilled, never
    in a band that overlaps one of ``avoid`` (where its site's own visits may fall).
    """

    site_id: str
    base_prize: float
    profile: Profile
    steer: float = 1.0
    patrol: bool = False
    kind: str = "hotspot"
    avoid: tuple[TimeWindow, ...] = ()

    @property
    def offer_prize(self) -> float:
        """Worth of its candidates before their time-of-week weight and decay."""
        return self.base_prize * self.steer


def _bands(
    day: dt.date, phase_s: float, length_s: float, tz: dt.tzinfo = LONDON
) -> list[TimeWindow]:
    """Bands of ``length_s`` starting at local midnight of ``day`` plus ``phase_s`` (UTC-aware).

    The day's last band may run past midnight: a night shift's hours belong to the day it began.
    """
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    start = midnight + dt.timedelta(seconds=phase_s)
    end_of_day = midnight + dt.timedelta(days=1) + dt.timedelta(seconds=phase_s)
    out = []
    t = start
    step = dt.timedelta(seconds=length_s)
    while t < end_of_day:
        out.append(TimeWindow(t, t + step))
        t += step
    return out


def hotspot_candidates(
    hotspots: Sequence[HotspotDemand],
    shifts: Sequence[UnitShift],
    can_serve: Callable[[int, UnitShift], bool],
    *,
    params: DosageParams,
) -> list[VisitRequirement]:
    """Candidate hot-spot visits for the deployed unit-shifts, most valuable first.

    Parameters
    ----------
    hotspots
        The week's hot spots.
    shifts
        The unit-shifts the budget bought.
    can_serve
        ``can_serve(i, shift)``: can that unit-shift reach hot spot ``hotspots[i]`` and get back?
    params
        Band length, decay, oversupply, seed.

    Returns
    -------
    list of VisitRequirement
        Optional visits (``required=False``), one window each, ids ``<site>@<local start>``
        (``HS-003@2026-12-04T13:52+0000``).
    """
    if not hotspots or not shifts:
        return []
    usable_s = params.dwell_s + 600.0  # a band counts for a shift that holds a visit and a hop
    servers = [[s for s in shifts if can_serve(i, s)] for i in range(len(hotspots))]
    # Every local day a shift touches, and the day before (its bands may run past midnight):
    # the week's last night shift runs into the next week's Monday, which still needs bands.
    days = sorted(
        {s.day - dt.timedelta(days=1) for s in shifts}
        | {s.start.astimezone(LONDON).date() for s in shifts}
        | {s.end.astimezone(LONDON).date() for s in shifts}
    )
    # (value, tiebreak, hotspot index, day, band) entries; values are negated for heapq.
    pool: list[tuple[float, str, int, dt.date, TimeWindow]] = []
    for i, h in enumerate(hotspots):
        if not servers[i]:
            continue
        for day in days:
            # Whole minutes, so visit ids and times read cleanly.
            phase = 60 * int(
                stable_fraction(params.seed, "phase", h.site_id, day) * params.min_gap_s / 60
            )
            for band in _bands(day, phase, params.min_gap_s):
                if not any(band.overlaps(s.start, s.end) >= usable_s for s in servers[i]):
                    continue
                if any(band.overlaps(a.start, a.end) > 0 for a in h.avoid):
                    continue
                jitter = 1.0 + 0.02 * stable_fraction(params.seed, "jitter", h.site_id, band.start)
                value = h.offer_prize * h.profile.mean_weight(band.start, band.end) * jitter
                # With the UTC offset: the hour the clocks go back repeats its local times.
                key = f"{h.site_id}@{band.start.astimezone(LONDON):%Y-%m-%dT%H:%M%z}"
                pool.append((value, key, i, day, band))
    visits = _band_visits(pool, shifts, params)
    capacity = {k: max(1, math.ceil(params.oversupply * v)) for k, v in visits.items()}
    fill = {k: max(1, math.ceil(v)) for k, v in visits.items()}
    # Each hot spot's share of the fleet's visits is capped at ``share_cap`` x its share of
    # the harm, so nearby hot spots cannot soak up the dose of worse ones further away.
    fleet = sum(
        (s.end - s.start).total_seconds() / (params.dwell_s + params.hop(s.mode)) for s in shifts
    )
    total = sum(h.offer_prize for i, h in enumerate(hotspots) if servers[i] and not h.patrol) or 1.0
    caps = [max(1, math.ceil(params.share_cap * fleet * h.offer_prize / total)) for h in hotspots]
    return _patrols_below_hotspots(_allocate(pool, (capacity, fill), caps, hotspots, params))


def _band_visits(
    pool: Sequence[tuple[float, str, int, dt.date, TimeWindow]],
    shifts: Sequence[UnitShift],
    params: DosageParams,
) -> dict[str, float]:
    """Per candidate id, the visits the units on duty in its band could make."""
    return {
        key: sum(
            band.overlaps(s.start, s.end) / (params.dwell_s + params.hop(s.mode)) for s in shifts
        )
        for _, key, _, _, band in pool
    }


def _slot(band: TimeWindow, length: dt.timedelta) -> int:
    """The clock slot of ``band``'s start (rounded down to ``length``).

    Bands of different hot spots have different phases, so capacity is counted per clock
    slot to compare like with like.
    """
    return (band.start - _EPOCH) // length


def _minute_of_day(band: TimeWindow) -> int:
    """``band``'s local start as a minute of the day."""
    t = band.start.astimezone(LONDON)
    return t.hour * 60 + t.minute


def _allocate(
    pool: Sequence[tuple[float, str, int, dt.date, TimeWindow]],
    capacities: tuple[dict[str, int], dict[str, int]],
    caps: Sequence[int],
    hotspots: Sequence[HotspotDemand],
    params: DosageParams,
) -> list[VisitRequirement]:
    """Greedy by decayed value: the concave allocation of candidates to bands.

    Which hot spot gets the next candidate on a day follows harm (value x ``decay^k``); which
    of that day's bands it goes to is the most valuable one after ``repeat_decay`` for each
    band the hot spot already has on another day at an overlapping time of day. So spreading
    visits over the hours changes *when* a hot spot is visited, never *how much*.

    Three passes over the same greedy. The first fills each band up to its ``oversupply``
    capacity (``capacities[0]``) within each hot spot's share cap ``caps``. The caps go to the
    most valuable hours first, so hours of little harm (the small hours) could be left with
    fewer candidates than the units then on duty can visit, and a bought night shift idle.
    The second pass lifts the caps but fills each band only up to what the units on duty could
    visit (``capacities[1]``): every paid hour has work, given by the same harm order. The
    third offers patrol points (``HotspotDemand.patrol``) the room the hot spots left: up to
    what the units could visit where hot spots have candidates, to the oversupply where none
    has (there no hot spot gives the optimiser the choice it needs to fit the patrol gap).
    """
    capacity, fill = capacities
    slot = functools.partial(_slot, length=dt.timedelta(seconds=params.min_gap_s))
    minute = _minute_of_day
    taken_in_slot: dict[int, int] = {}
    per_spot = [0] * len(hotspots)
    per_day: dict[tuple[int, dt.date], int] = {}
    # Per hot spot, the chosen bands' local start (minute of the day) and day.
    times: list[list[tuple[int, dt.date]]] = [[] for _ in hotspots]
    # The same for its candidates bound by the time-of-day rule (not repeats).
    firsts: list[list[tuple[int, dt.date]]] = [[] for _ in hotspots]
    band_min = params.min_gap_s / 60
    left: dict[tuple[int, dt.date], list[tuple[float, str, TimeWindow]]] = {}
    for value, key, i, day, band in pool:
        left.setdefault((i, day), []).append((value, key, band))

    def pick(i: int, day: dt.date, limit: dict[str, int]) -> tuple[float, str, TimeWindow] | None:
        """The day's band for hot spot ``i``'s next candidate, dropping bands full at ``limit``."""
        bands = left[(i, day)]
        bands[:] = [b for b in bands if taken_in_slot.get(slot(b[2]), 0) < limit[b[1]]]
        best, best_score = None, -1.0
        for value, key, band in bands:
            m = minute(band)
            r = sum(
                1
                for m2, d2 in times[i]
                if d2 != day and min(abs(m - m2), 1440 - abs(m - m2)) < band_min
            )
            score = value * params.repeat_decay**r
            if score > best_score:
                best, best_score = (value, key, band), score
        return best

    chosen: list[VisitRequirement] = []

    def run(spot_caps: Sequence[float], limit: dict[str, int], patrol: bool) -> None:
        heap = []
        for i, day in left:
            if hotspots[i].patrol == patrol and left[(i, day)] and per_spot[i] < spot_caps[i]:
                got = pick(i, day, limit)
                if got is not None:
                    heap.append(
                        (-got[0] * params.decay ** per_day.get((i, day), 0), got[1], i, day)
                    )
        heapq.heapify(heap)
        while heap:
            neg, key, i, day = heapq.heappop(heap)
            if per_spot[i] >= spot_caps[i]:
                continue
            k = per_day.get((i, day), 0)
            got = pick(i, day, limit)
            if got is None:
                continue
            worth = got[0] * params.decay**k
            if got[1] != key or worth < -neg - 1e-12:
                # The day's pick or its worth fell since it was queued: queue it again as it is
                # now (worths only fall, so the lazy heap still pops the best first).
                heapq.heappush(heap, (-worth, got[1], i, day))
                continue
            chosen.append(take(i, day, got, worth))
            if left[(i, day)]:
                heapq.heappush(heap, (-worth * params.decay, key, i, day))

    def take(
        i: int, day: dt.date, got: tuple[float, str, TimeWindow], worth: float
    ) -> VisitRequirement:
        _, key, band = got
        left[(i, day)].remove(got)
        taken_in_slot[slot(band)] = taken_in_slot.get(slot(band), 0) + 1
        per_spot[i] += 1
        per_day[(i, day)] = per_day.get((i, day), 0) + 1
        m = minute(band)
        repeat = any(
            d2 != day and min(abs(m - m2), 1440 - abs(m - m2)) < band_min for m2, d2 in firsts[i]
        )
        times[i].append((m, day))
        if not repeat:
            firsts[i].append((m, day))
        return _candidate(hotspots[i], key, band, worth, repeat, params)

    run(caps, capacity, False)
    if params.fill_hours:
        run([math.inf] * len(hotspots), fill, False)
    patrol_limit = {
        key: capacity[key] if not taken_in_slot.get(slot(band)) else fill[key]
        for _, key, _, _, band in pool
    }
    run([math.inf] * len(hotspots), patrol_limit, True)
    # With repeat_worth 0 the rule binds every visit: repeat candidates are not offered.
    chosen = [v for v in chosen if v.repeat_rule or params.repeat_worth > 0]
    chosen.sort(key=lambda v: (v.windows[0].start, v.site_id))
    return chosen


def _patrols_below_hotspots(chosen: list[VisitRequirement]) -> list[VisitRequirement]:
    """Patrol candidates worth at most half the least hot-spot candidate.

    So the optimiser takes a reassurance patrol only where no hot-spot visit fits: patrols
    fill time, they never displace hot-spot dosage.
    """
    hot = [v.prize for v in chosen if v.window != PATROL_WINDOW]
    if not hot:
        return chosen
    ceiling = 0.5 * min(hot)
    return [
        dataclasses.replace(v, prize=min(v.prize, ceiling)) if v.window == PATROL_WINDOW else v
        for v in chosen
    ]


def _candidate(
    point: HotspotDemand,
    key: str,
    band: TimeWindow,
    worth: float,
    repeat: bool,
    params: DosageParams,
) -> VisitRequirement:
    """A candidate visit in ``band``; a repeat candidate is cheaper and rule-free.

    A patrol point's candidates form a group of their own (``<site>~patrol``): its gap and
    time-of-day rule are the hot spots', not its site's (a 20-hour gap between office visits
    would allow one patrol a day), and its ``avoid`` windows keep them clear of the site's
    own visits.
    """
    return VisitRequirement(
        visit_id=key,
        site_id=point.site_id,
        kind=point.kind,
        group=f"{point.site_id}{PATROL_GROUP_SUFFIX}" if point.patrol else "",
        window=PATROL_WINDOW if point.patrol else "",
        windows=(band,),
        dwell_s=params.dwell_s,
        min_gap_s=params.min_gap_s,
        required=False,
        prize=worth * params.repeat_worth if repeat else worth,
        max_per_route=1000,
        repeat_gap_s=params.repeat_gap_s,
        # A band across a clock change has no one local time: it goes without the rule.
        repeat_rule=not repeat and not _across_clock_change(band),
    )


#: Walking speed for foot reach before the network is built, and the usual detour of streets
#: over the straight line (about 1.3 in UK towns), so reach is judged the same way everywhere.
WALK_SPEED_M_PER_S = 5000 / 3600
STREET_DETOUR = 1.3


def _across_clock_change(band: TimeWindow) -> bool:
    """Whether the local clock changes inside ``band`` (its start and end differ in offset)."""
    return band.start.astimezone(LONDON).utcoffset() != band.end.astimezone(LONDON).utcoffset()


def within_walk(dx_m: float, dy_m: float, reach_s: float) -> bool:
    """Whether a point ``(dx_m, dy_m)`` away is within ``reach_s`` on foot (line x detour)."""
    return math.hypot(dx_m, dy_m) * STREET_DETOUR / WALK_SPEED_M_PER_S <= reach_s


def dosage_params(config: ForceConfig) -> DosageParams:
    """The config's dosage settings; the solver's seed also seeds the bands."""
    dem = config.demand
    kind = dem.kinds["hotspot"]
    dwell_min = kind.dwell_min if "dwell_min" in kind.model_fields_set else dem.dwell_min
    return DosageParams(
        dwell_s=dwell_min * 60,
        min_gap_s=dem.hotspot_min_gap_min * 60,
        decay=dem.hotspot_decay,
        oversupply=dem.hotspot_oversupply,
        seed=config.solver.seed,
        # One minute more than the rule's minutes: starts are compared at whole minutes, so
        # 10:00:00 and 10:30:59 are 30 minutes apart there.
        repeat_gap_s=(dem.hotspot_repeat_min + 1) * 60 if dem.hotspot_repeat_min > 0 else 0.0,
        repeat_worth=dem.hotspot_repeat_worth,
    )


def hotspot_demands(
    sites: Sequence[Site], result: HotspotResult | None, config: ForceConfig
) -> list[HotspotDemand]:
    """The week's hot spots (sites of kind ``hotspot``) with their value and harm profile.

    ``base_prize`` = the hot-spot kind's priority x the "medium" risk weight x harm relative
    to the mean hot spot's, so hot spots compete with premises on one scale.
    """
    hot = [s for s in sites if s.kind == "hotspot" and s.harm]
    if not hot:
        return []
    by_id = {h.site_id: h for h in result.hotspots} if result is not None else {}
    categories, per_spot = profiles_from_config(config.incidents)
    mean_harm = sum(float(s.harm or 0.0) for s in hot) / len(hot)
    dem = config.demand
    scale = dem.kinds["hotspot"].priority * dem.risk_weights["medium"]
    out = []
    for s in hot:
        spot = by_id.get(s.site_id)
        harm_by_type = spot.harm_by_type if spot is not None else {}
        profile = per_spot.get(s.site_id) or profile_for(harm_by_type, categories)
        out.append(
            HotspotDemand(
                site_id=s.site_id,
                base_prize=scale * float(s.harm or 0.0) / mean_harm,
                profile=profile,
            )
        )
    return out


class HotspotSlots:
    """Hot-spot patrol as hourly slots, for buying unit-shifts by what they add.

    Each hour a hot spot takes at most ``3600 / min_gap_s`` visits, whoever makes them, and a
    unit makes about ``3600 / (dwell + hop)``. A bought unit-shift takes, hour by hour, the
    most valuable slots still free at the hot spots it can reach (harm x time-of-week
    weight); a further unit-shift is worth only the slots left, so units are not bought for
    hours the hot spots are already covered.

    Parameters
    ----------
    hotspots
        The week's hot spots.
    reach
        ``reach(shift)``: indices of the hot spots that unit-shift can patrol.
    params
        Dwell, gap and hops.
    """

    def __init__(
        self,
        hotspots: Sequence[HotspotDemand],
        reach: Callable[[UnitShift], Sequence[int]],
        params: DosageParams,
    ) -> None:
        self._hot = hotspots
        self._reach = reach
        self._params = params
        self._taken: dict[tuple[dt.datetime, int], float] = {}
        self._weights: dict[tuple[dt.datetime, int], float] = {}

    def _hours(self, shift: UnitShift) -> list[tuple[dt.datetime, float]]:
        """(hour start, fraction of the hour worked) over the shift, on a UTC-hour grid."""
        out = []
        t = shift.start.replace(minute=0, second=0, microsecond=0)
        while t < shift.end:
            nxt = t + dt.timedelta(hours=1)
            part = (min(nxt, shift.end) - max(t, shift.start)).total_seconds() / 3600
            if part > 0:
                out.append((t, part))
            t = nxt
        return out

    def _weight(self, hour: dt.datetime, i: int) -> float:
        key = (hour, i)
        if key not in self._weights:
            h = self._hot[i]
            end = hour + dt.timedelta(hours=1)
            # A patrol point offers nothing in an hour near its site's own visits.
            near = any(a.overlaps(hour, end) > 0 for a in h.avoid)
            self._weights[key] = 0.0 if near else h.base_prize * h.profile.mean_weight(hour, end)
        return self._weights[key]

    def _fill(self, shift: UnitShift, mark: bool) -> float:
        spots = list(self._reach(shift))
        if not spots:
            return 0.0
        per_spot = 3600.0 / self._params.min_gap_s
        rate = 3600.0 / (self._params.dwell_s + self._params.hop(shift.mode))
        worth = 0.0
        for hour, part in self._hours(shift):
            want = rate * part
            for i in sorted(spots, key=lambda i: -self._weight(hour, i)):
                free = per_spot - self._taken.get((hour, i), 0.0)
                got = min(free, want)
                if got <= 0 or self._weight(hour, i) <= 0:
                    continue
                worth += got * self._weight(hour, i)
                want -= got
                if mark:
                    self._taken[(hour, i)] = self._taken.get((hour, i), 0.0) + got
                if want <= 1e-9:
                    break
        return worth

    def value(self, shift: UnitShift) -> float:
        """Worth of the hot-spot slots ``shift`` would add."""
        return self._fill(shift, mark=False)

    def take(self, shift: UnitShift) -> None:
        """Give ``shift`` its slots."""
        self._fill(shift, mark=True)
