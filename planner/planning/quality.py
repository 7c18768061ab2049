"""How deployable a plan is, measured from the plan alone: the figures of issue 12's targets.

Computed from :class:`~planner.planning.plan.Plan` and the week's inputs, never from the
solver's own bookkeeping, so they can check it:

* **deployed** - the share of bought unit-shifts that have a route with at least one visit;
* **utilisation** - on site plus travelling (the legs to, between and back from visits) as a
  share of paid time, refreshment breaks excluded;
* **harm-dosage Spearman** - rank correlation across hot spots of harm and minutes on site;
* **named windows** - the share of required named windows (e.g. Jumu'ah) served;
* **post minutes uncovered** - minutes of continuous-presence posts nobody held;
* **same-time repeats** - pairs of visits to one site on different days starting within
  ``repeat_min`` of the same local time, where the site's windows did not force it; a site's
  reassurance patrols (:mod:`planner.demand.patrol`) are counted apart from its own visits,
  with the hot spots' elastic visits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from planner.common import LONDON
from planner.demand.dosage import PATROL_GROUP_SUFFIX
from planner.planning.plan import Plan, PlanRoute

__all__ = ["PlanQuality", "measure", "spearman"]

#: Two visits to one site on different days starting this close in local time are a repeat.
REPEAT_MIN = 30.0


def _ranks(xs: Sequence[float]) -> list[float]:
    """Ranks from 1, ties sharing their mean rank."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ranks = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rank correlation (Pearson on tie-averaged ranks); ``None`` if undefined."""
    if len(xs) != len(ys) or len(xs) < 3:
        return None
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    if sxx == 0 or syy == 0:
        return None
    return sxy / (sxx * syy) ** 0.5


def _break_s(route: PlanRoute) -> float:
    start = getattr(route, "break_start", None)
    end = getattr(route, "break_end", None)
    return (end - start).total_seconds() if start is not None and end is not None else 0.0


def _route_times(route: PlanRoute) -> tuple[float, float, float, float]:
    """Paid, on-site, travelling and break seconds of one route, from its stops' times."""
    # Overtime holding a post past the shift's end is paid time too.
    paid = (max(route.shift_end, route.return_) - route.shift_start).total_seconds()
    on_site = sum(s.dwell_s for s in route.stops)
    travel = sum(s.travel_s for s in route.stops)
    if route.stops:
        # The way home: from the last departure to the return at the station.
        travel += max(0.0, (route.return_ - route.stops[-1].departure).total_seconds())
    mid = getattr(route, "mid_return_travel_s", None)
    if mid:
        travel += float(mid)
    return paid, on_site, travel, _break_s(route)


def _repeats(
    starts_by_site: Mapping[str, list[tuple[dt.datetime, str]]],
    forced: Callable[[str, str], bool],
    repeat_min: float,
) -> tuple[int, int]:
    """(repeats the windows allowed to avoid, repeats the windows forced), over visit pairs."""
    free = forced_n = 0
    for starts in starts_by_site.values():
        local = sorted((t.astimezone(LONDON), vid) for t, vid in starts)
        for i, (a, va) in enumerate(local):
            for b, vb in local[i + 1 :]:
                if a.date() == b.date():
                    continue
                minutes = abs((a.hour * 60 + a.minute) - (b.hour * 60 + b.minute))
                if min(minutes, 1440 - minutes) <= repeat_min:
                    if forced(va, vb):
                        forced_n += 1
                    else:
                        free += 1
    return free, forced_n


@dataclass(frozen=True)
class PlanQuality:
    """The plan's deployability figures (see the module docstring)."""

    bought: int
    deployed: int
    paid_h: float
    on_site_h: float
    travel_h: float
    break_h: float
    utilisation: float
    hotspots: int
    harm_dosage_spearman: float | None
    named_required: int
    named_required_served: int
    post_minutes: float
    post_minutes_uncovered: float
    repeats: int
    repeats_forced: int
    repeats_hotspots: int
    repeats_hotspots_dose: int = 0

    @property
    def deployed_share(self) -> float:
        """Share of bought unit-shifts with a route."""
        return self.deployed / self.bought if self.bought else 1.0

    @property
    def named_coverage(self) -> float:
        """Share of required named windows served (1 when there are none)."""
        return self.named_required_served / self.named_required if self.named_required else 1.0

    def summary(self) -> str:
        """One line per figure."""
        rho = "n/a" if self.harm_dosage_spearman is None else f"{self.harm_dosage_spearman:.2f}"
        return "\n".join(
            [
                f"unit-shifts deployed: {self.deployed} of {self.bought} bought ({self.deployed_share:.0%})",
                f"utilisation: {self.utilisation:.0%} (on site {self.on_site_h:.1f} h + travel "
                f"{self.travel_h:.1f} h of {self.paid_h - self.break_h:.1f} paid unit-hours less breaks)",
                f"harm-dosage Spearman over {self.hotspots} hot spots: {rho}",
                f"required named windows served: {self.named_required_served} of {self.named_required}",
                f"post minutes uncovered: {self.post_minutes_uncovered:.0f} of {self.post_minutes:.0f}",
                f"same-time repeats: {self.repeats} at premises and tension sites (plus "
                f"{self.repeats_forced} forced by their windows); {self.repeats_hotspots} at hot spots "
                f"(plus {self.repeats_hotspots_dose} with a visit beyond the hot spot's distinct "
                "times of day)",
            ]
        )


def measure(
    plan: Plan,
    *,
    bought: int,
    bought_paid_s: float,
    hotspot_harm: Mapping[str, float],
    requirements: Iterable[object] = (),
    repeat_min: float = REPEAT_MIN,
) -> PlanQuality:
    """Measure ``plan``.

    Parameters
    ----------
    plan
        The plan.
    bought, bought_paid_s
        Unit-shifts the budget bought, and their paid seconds (a unit-shift without a route
        is paid too, so it counts against utilisation).
    hotspot_harm
        Harm per hot spot site id (every hot spot, visited or not).
    requirements
        The visits offered (objects with ``visit_id``, ``windows``, ``dwell_s`` and, for named
        windows and posts, ``window``, ``presence``, ``required``).
    repeat_min
        Closeness of two local start times that makes a repeat, minutes.

    Notes
    -----
    A repeat is *forced* when the two visits had the same windows and those were too short
    to spread (see :mod:`planner.demand.spread`), or either is held to one short window (a
    surgery, a post slot): then no plan could avoid it. Hot spots are counted apart: their
    dosage puts several visits a day at each, so some repeats are the price of the dose. A
    hot-spot repeat is counted as of the dose when either visit was offered as a repeat
    candidate (``repeat_rule`` false, :mod:`planner.demand.dosage`: the hot spot already had a
    candidate at that time of day on another day); the others break the time-of-day rule.
    """
    on_site = travel = brk = 0.0
    for r in plan.routes:
        _, o, t, b = _route_times(r)
        on_site, travel, brk = on_site + o, travel + t, brk + b
    paid = bought_paid_s
    deployed = sum(1 for r in plan.routes if r.stops)
    minutes: dict[str, float] = defaultdict(float)
    starts: dict[str, list[tuple[dt.datetime, str]]] = defaultdict(list)
    served = set()
    # A site's reassurance patrols are an elastic offer like a hot spot's, apart from its own
    # visits: their repeats are counted with the hot spots' (rule-bound, or beyond the dose).
    group_of = {str(getattr(r, "visit_id", "")): str(getattr(r, "group", "")) for r in requirements}
    for s in plan.stops:
        minutes[s.site_id] += s.dwell_s / 60
        starts[group_of.get(s.visit_id) or s.site_id].append((s.start, s.visit_id))
        served.add(s.visit_id)
    ids = sorted(hotspot_harm)
    rho = spearman([hotspot_harm[i] for i in ids], [minutes.get(i, 0.0) for i in ids])
    named_required = named_served = 0
    post_total = post_missed = 0.0
    windows_of: dict[str, tuple[object, ...]] = {}
    short: set[str] = set()
    dose: set[str] = set()
    for req in requirements:
        vid = str(getattr(req, "visit_id", ""))
        if not getattr(req, "repeat_rule", True):
            dose.add(vid)
        wins = tuple(getattr(req, "windows", ()))
        windows_of[vid] = wins
        dwell_s = float(getattr(req, "dwell_s", 0.0))
        if len(wins) == 1 and wins[0].duration_s <= dwell_s + 2 * repeat_min * 60:
            short.add(vid)
        if getattr(req, "window", "") and getattr(req, "required", False):
            named_required += 1
            named_served += vid in served
        if getattr(req, "presence", "visit") == "post":
            length = sum(w.duration_s for w in wins) / 60
            post_total += length
            if vid not in served:
                post_missed += length

    def forced(a: str, b: str) -> bool:
        return a in short or b in short or windows_of.get(a) == windows_of.get(b)

    elastic = {k for k in starts if k in hotspot_harm or k.endswith(PATROL_GROUP_SUFFIX)}
    premises = {k: v for k, v in starts.items() if k not in elastic}
    free, forced_n = _repeats(premises, forced, repeat_min)
    hot_free, hot_dose = _repeats(
        {k: v for k, v in starts.items() if k in elastic},
        lambda a, b: a in dose or b in dose,
        repeat_min,
    )
    working = paid - brk
    return PlanQuality(
        bought=bought,
        deployed=deployed,
        paid_h=paid / 3600,
        on_site_h=on_site / 3600,
        travel_h=travel / 3600,
        break_h=brk / 3600,
        utilisation=(on_site + travel) / working if working > 0 else 0.0,
        hotspots=len(ids),
        harm_dosage_spearman=rho,
        named_required=named_required,
        named_required_served=named_served,
        post_minutes=post_total,
        post_minutes_uncovered=post_missed,
        repeats=free,
        repeats_forced=forced_n,
        repeats_hotspots=hot_free,
        repeats_hotspots_dose=hot_dose,
    )
