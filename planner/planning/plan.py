"""The weekly plan: a frozen object, its ``plan.json`` file, and how it is made from a solution.

``plan.json`` schema ``planner.plan/1`` (all times ISO 8601 with their Europe/London offset)::

    {
      "schema": "planner.plan/1",
      "force": str, "week": "2026-W49", "week_start": time, "protective_marking": str,
      "contains_mp_premises": bool, "seed": int,
      "solver": {"time_limit_s": float, "solve_time_s": float, "status": str},
      "budget": {"pounds_per_week": float, "cost_per_officer_hour": float,
                 "funded_officer_hours": float, "used_officer_hours": float},
      "routes": [{"route_id": str, "unit_id": str, "mode": "car"|"foot", "officers": int,
                  "station_id": str, "day": "2026-11-30", "shift": str,
                  "shift_start": time, "shift_end": time, "leave": time, "return": time,
                  "paid_officer_hours": float,
                  "break_start": time|null, "break_end": time|null,
                  "break_return": time|null, "break_leave": time|null,
                  "stops": [{"order": int, "visit_id": str, "site_id": str, "name": str,
                             "kind": str, "risk": str, "restricted": bool,
                             "arrival": time, "start": time, "departure": time,
                             "travel_s": float, "dwell_s": float, "prize": float,
                             "notes": str, "x_m": float, "y_m": float,
                             "window": str, "presence": "visit"|"drive_past"|"post",
                             "police_contact": str}]}],
      "unserved": [{"visit_id": str, "site_id": str, "kind": str, "required": bool,
                    "prize": float, "reason": str}],
      "rejected": [{"source": "sites.csv:12", "site_id": str, "kind": str, "stage": str,
                    "reason": str, "required_visits": int, "mp_premises": bool}],
      "unpredictability": {"avoid_min": float, "previous_plan": str|null,
                           "sites_constrained": int, "prize_without": float|null,
                           "prize_with": float|null, "previous_week": "2026-W48"|null,
                           "warning": str|null} | null,
      "replan": {"previous_plan": str, "cutoff": time, "kept_routes": int,
                 "locked_visits": int, "unchanged_share": float|null} | null,
      "evaluation": {"control_share": float, "seed": int,
                     "control": [{"site_id": str, "date": "2026-11-30"}],
                     "treated": [{"site_id": str, "date": "2026-11-30"}]} | null,
      "idle_shifts": [{"shift_id": str, "unit_id": str, "mode": str, "officers": int,
                       "station_id": str, "day": "2026-11-30", "shift": str,
                       "shift_start": time, "shift_end": time, "paid_officer_hours": float,
                       "reason": str}]
    }

A reader refuses a file of another schema version rather than guess, and names the field of
any value it cannot read (``previous_week``, ``warning`` and a route's ``break_*`` may be
absent: plans written before they existed read with them ``None``). A route's ``break_start``
and ``break_end`` are its refreshment break at the station (``null``: no break);
``break_return`` is when it gets back to the station before the break and ``break_leave``
when it goes out again after it (``null`` if it does not go out on that side of the break).
``rejected`` lists the site-file records that are not in the plan's demand at all (an unusable
row, a site no network reaches, a site with no visit this week), with the stage that dropped
them; their required visits count as required visits missed. It may be absent (plans written
before it existed: read as none). A stop's ``window``, ``presence`` and ``police_contact`` may be absent too (plans written
before named windows, presence modes and police contacts): they read as ``""``, ``"visit"``
and ``""``.
``replan`` records a plan re-made mid-week by ``planner replan`` (:mod:`.replan`): the plan
it re-made and the cut-off; absent or ``null`` for a plan made whole.
``evaluation`` records the randomised control hot-spot-days (:mod:`planner.demand.control`):
the (hot spot, day) pairs given no extra patrol and those treated; absent or ``null`` when
``[evaluation] control_share`` is off (and in plans written before it existed).
``idle_shifts`` are the unit-shifts the budget bought that got no route (their hours are the
budget's ``bought_officer_hours`` less its ``used_officer_hours``); ``planner replan`` counts
those that started before its cut-off as spent; ``reason`` says why each got no route.
Absent from plans written before it existed: read as none.
Each stop's ``departure`` is the end of its service; a unit that then waits for the next
window waits there, and leaves ``travel_s`` before the next ``arrival``. In memory every time is a
UTC-aware datetime: Python compares two Europe/London times in the repeated autumn hour wrongly,
so plans read back compare equal to the plans written only if both hold UTC.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from planner.common import LONDON, atomic_write_bytes
from planner.config import PRESENCES
from planner.demand.control import ControlChoice
from planner.planning.time_use import TimeBudget, elapsed_s, overtime_s
from planner.routing.jsondoc import JsonValue, load_json, show

SCHEMA = "planner.plan/1"
MAX_PLAN_BYTES = 200_000_000
"""Largest plan.json read: a big force's week is a few megabytes."""
_WEEK_RE = re.compile(r"\d{4}-W\d{2}")
_BUDGET_KEYS = (
    "pounds_per_week",
    "cost_per_officer_hour",
    "funded_officer_hours",
    "used_officer_hours",
)


@dataclass(frozen=True)
class PlanStop:
    """One visit on a route.

    ``window`` is the name of the site's named window the visit is in (``""`` if unnamed);
    ``presence`` is ``visit``, ``drive_past`` or ``post`` (a post's relief slot);
    ``police_contact`` is an MP premises' named police contact (``""`` if none given).
    """

    order: int
    visit_id: str
    site_id: str
    name: str
    kind: str
    risk: str
    restricted: bool
    arrival: dt.datetime
    start: dt.datetime
    departure: dt.datetime
    travel_s: float
    dwell_s: float
    prize: float
    notes: str
    x_m: float
    y_m: float
    window: str = ""
    presence: str = "visit"
    police_contact: str = ""


@dataclass(frozen=True)
class PlanRoute:
    """One unit on one shift: leaves its station, visits in order, returns."""

    route_id: str
    unit_id: str
    mode: str
    officers: int
    station_id: str
    day: dt.date
    shift: str
    shift_start: dt.datetime
    shift_end: dt.datetime
    leave: dt.datetime
    return_: dt.datetime
    paid_officer_hours: float
    stops: tuple[PlanStop, ...]
    break_start: dt.datetime | None = None
    break_end: dt.datetime | None = None
    break_return: dt.datetime | None = None
    break_leave: dt.datetime | None = None

    @property
    def overtime_s(self) -> float:
        """Seconds back at the station after the shift's end: overtime holding a post."""
        return overtime_s(self.shift_end, self.return_)

    @property
    def overtime_officer_hours(self) -> float:
        """Officer-hours of overtime, paid on top of the shift (in ``paid_officer_hours``)."""
        return self.officers * self.overtime_s / 3600

    @property
    def travel_s(self) -> float:
        """Driving or walking time between stops (the return leg excluded)."""
        return sum(s.travel_s for s in self.stops)

    def time_budget(self) -> TimeBudget:
        """Where the unit-shift's paid time goes: on site, travelling, on break or idle.

        Travel counts every leg, the returns to the station (before the break and at the end)
        included: a return leg is the time from the end of its last service to the return,
        since a unit goes straight back.  Idle is the rest: waiting at the station before
        leaving or after returning, and waiting at a site for the next service.  Idle time
        before the route's first departure and between stops is waiting for visit windows;
        idle after its last return is demand that ran out (see :class:`TimeBudget`).
        """
        paid_s = elapsed_s(self.shift_start, self.shift_end) + self.overtime_s
        break_s = (
            elapsed_s(self.break_start, self.break_end)
            if self.break_start is not None and self.break_end is not None
            else 0.0
        )
        on_site_s = sum(s.dwell_s for s in self.stops)
        travel_s = self.travel_s
        if self.stops:
            last_out = [
                s for s in self.stops if self.break_start is None or s.start < self.break_start
            ]
            if self.break_return is not None and last_out:
                travel_s += elapsed_s(last_out[-1].departure, self.break_return)
            travel_s += elapsed_s(self.stops[-1].departure, self.return_)
        idle_s = max(0.0, paid_s - on_site_s - travel_s - break_s)
        if not self.stops:
            before_s, after_s = idle_s, 0.0
        else:
            before_s = elapsed_s(self.shift_start, self.leave)
            after_s = max(0.0, elapsed_s(self.return_, self.shift_end))
            if self.break_start is not None and self.leave >= self.break_start:
                before_s -= break_s  # leg 1 had no stops: the break lies before the leave
            elif self.break_end is not None and self.return_ <= self.break_end:
                after_s -= break_s  # leg 2 had no stops: the break lies after the return
        return TimeBudget(
            paid_s=paid_s,
            on_site_s=on_site_s,
            travel_s=travel_s,
            break_s=break_s,
            idle_s=idle_s,
            waiting_s=max(0.0, idle_s - max(0.0, after_s)),
            ran_out_s=min(idle_s, max(0.0, after_s)),
            has_stops=bool(self.stops),
        )


@dataclass(frozen=True)
class UnservedVisit:
    """A requirement the plan does not meet, and why."""

    visit_id: str
    site_id: str
    kind: str
    required: bool
    prize: float
    reason: str


@dataclass(frozen=True)
class RejectedSite:
    """A site-file record that is not in the plan's demand, and why.

    ``stage`` says what dropped it: ``site`` (the row cannot be a site: no coordinates, an
    unknown kind, outside the force area...), ``snap`` (no network reaches it) or ``demand``
    (it asks for no visit this week). ``required_visits`` of them were required; they count as
    required visits missed.
    """

    source: str
    site_id: str
    kind: str
    stage: str
    reason: str
    required_visits: int
    mp_premises: bool


@dataclass(frozen=True)
class Unpredictability:
    """How the plan was kept away from last week's, and what that cost.

    ``previous_week`` is the ISO week of the plan kept away from; ``warning`` says why that
    plan may not be the right one (it is not the week just before), if it may not.
    """

    avoid_min: float
    previous_plan: str | None
    sites_constrained: int
    prize_without: float | None = None
    prize_with: float | None = None
    previous_week: str | None = None
    warning: str | None = None

    @property
    def cost(self) -> float | None:
        """Prize given up to stay unpredictable (``None`` if not measured)."""
        if self.prize_without is None or self.prize_with is None:
            return None
        return self.prize_without - self.prize_with


@dataclass(frozen=True)
class Replan:
    """How a plan was re-made mid-week from an earlier one (:mod:`planner.planning.replan`).

    ``previous_plan`` is the plan re-made, ``cutoff`` the time from which the week was planned
    again, ``kept_routes`` the routes kept whole (their shift had started), ``locked_visits``
    the visits kept by ``locks.csv``, and ``unchanged_share`` the share of the earlier plan's
    visits on re-planned unit-shifts kept unchanged (``None``: there were none).
    """

    previous_plan: str
    cutoff: dt.datetime
    kept_routes: int
    locked_visits: int
    unchanged_share: float | None


@dataclass(frozen=True)
class IdleShift:
    """A unit-shift the budget bought that the plan gave no route (its visits went elsewhere).

    Kept so that ``planner replan`` can count its money as spent once the shift has started.
    """

    shift_id: str
    unit_id: str
    mode: str
    officers: int
    station_id: str
    day: dt.date
    shift: str
    shift_start: dt.datetime
    shift_end: dt.datetime
    paid_officer_hours: float
    reason: str = ""
    """Why it got no route (:func:`planner.planning.miss_reasons.idle_reasons`)."""


@dataclass(frozen=True)
class Plan:
    """A validated weekly patrol plan; writers serialise exactly this object."""

    force: str
    week: str
    week_start: dt.datetime
    protective_marking: str
    contains_mp_premises: bool
    seed: int
    solver: dict[str, Any]
    budget: dict[str, float]
    routes: tuple[PlanRoute, ...]
    unserved: tuple[UnservedVisit, ...]
    unpredictability: Unpredictability | None = None
    rejected: tuple[RejectedSite, ...] = ()
    schema: str = field(default=SCHEMA)
    replan: Replan | None = None
    evaluation: ControlChoice | None = None
    idle_shifts: tuple[IdleShift, ...] = ()

    @property
    def stops(self) -> list[PlanStop]:
        """Every stop of every route."""
        return [s for r in self.routes for s in r.stops]

    @property
    def prize_covered(self) -> float:
        """Harm-weighted demand met."""
        return sum(s.prize for s in self.stops)

    @property
    def prize_total(self) -> float:
        """Harm-weighted demand asked for."""
        return self.prize_covered + sum(u.prize for u in self.unserved)

    @property
    def required_missed(self) -> int:
        """Required visits not made: unserved ones plus those asked for by rejected sites."""
        return sum(u.required for u in self.unserved) + sum(
            r.required_visits for r in self.rejected
        )

    def time_use(self) -> TimeBudget:
        """The fleet's time: every route's :meth:`PlanRoute.time_budget` added up (unit-hours)."""
        budgets = [r.time_budget() for r in self.routes]
        return TimeBudget(
            **{
                k: sum(getattr(b, k) for b in budgets)
                for k in (
                    "paid_s",
                    "on_site_s",
                    "travel_s",
                    "break_s",
                    "idle_s",
                    "waiting_s",
                    "ran_out_s",
                )
            },
            has_stops=any(b.has_stops for b in budgets),
        )

    def time_use_line(self) -> str:
        """The fleet's time in one line, unit-hours (a crew of two counts once)."""
        t = self.time_use()
        return (
            f"{t.paid_s / 3600:,.1f} unit-hours on shift: {t.on_site_s / 3600:,.1f} on site, "
            f"{t.travel_s / 3600:,.1f} travelling, {t.break_s / 3600:,.1f} on break, "
            f"{t.idle_s / 3600:,.1f} idle (utilisation {t.utilisation:.0%})"
        )

    def _idle_note(self) -> str:
        """Why bought officer-hours went unused, if any did."""
        bought = self.budget.get("bought_officer_hours")
        idle = (bought or 0.0) - self.budget["used_officer_hours"]
        if bought is None or idle < 1e-6:
            return ""
        return (
            f" ({idle:,.1f} bought officer-hours had no work the plan could give them and are "
            "counted as not spent)"
        )

    def summary(self) -> str:
        """Headline figures for the console and reports."""
        made = Counter(s.kind for s in self.stops)
        missed = Counter(u.kind for u in self.unserved)
        req_missed = self.required_missed
        share = self.prize_covered / self.prize_total if self.prize_total else 1.0
        lines = [
            f"[{self.protective_marking}] {self.force}: plan for {self.week} (seed {self.seed})",
            f"harm-weighted demand covered: {self.prize_covered:,.1f} of {self.prize_total:,.1f} ({share:.0%})",
            f"visits made: {len(self.stops)} of {len(self.stops) + len(self.unserved)}; required visits missed: {req_missed}",
            f"routes: {len(self.routes)}; officer-hours {self.budget['used_officer_hours']:,.1f} of {self.budget['funded_officer_hours']:,.1f} funded"
            + self._idle_note(),
        ]
        lines.append(f"time use: {self.time_use_line()}")
        for kind in sorted(set(made) | set(missed)):
            lines.append(f"  {kind:<18} {made[kind]:>4} made, {missed[kind]:>4} not")
        if self.rejected:
            req = sum(r.required_visits for r in self.rejected)
            lines.append(
                f"sites not in the plan: {len(self.rejected)}"
                + (
                    f" (asking for {req} required visit{'s' * (req != 1)}, counted as missed)"
                    if req
                    else ""
                )
            )
        if self.unpredictability is not None and self.unpredictability.cost is not None:
            u = self.unpredictability
            source = f"{u.previous_week}'s" if u.warning and u.previous_week else "last week's"
            lines.append(
                f"unpredictability: kept {u.avoid_min:g} min from {source} times at "
                f"{u.sites_constrained} sites, costing {u.cost:,.1f} of harm-weighted demand"
            )
            if u.warning:
                lines.append(f"  warning: {u.warning}")
        if self.replan is not None:
            r = self.replan
            same = "" if r.unchanged_share is None else f"; {r.unchanged_share:.0%} unchanged"
            lines.append(
                f"re-planned from {r.cutoff.astimezone(LONDON):%a %d %b %H:%M} "
                f"({r.kept_routes} routes kept whole, {r.locked_visits} visits locked{same})"
            )
        return "\n".join(lines)

    # ------------------------------------------------------------------ json

    def to_dict(self) -> dict[str, Any]:
        """The ``plan.json`` document."""

        def t(value: dt.datetime) -> str:
            return value.astimezone(LONDON).isoformat()

        return {
            "schema": self.schema,
            "force": self.force,
            "week": self.week,
            "week_start": t(self.week_start),
            "protective_marking": self.protective_marking,
            "contains_mp_premises": self.contains_mp_premises,
            "seed": self.seed,
            "solver": dict(self.solver),
            "budget": dict(self.budget),
            "routes": [
                {
                    "route_id": r.route_id,
                    "unit_id": r.unit_id,
                    "mode": r.mode,
                    "officers": r.officers,
                    "station_id": r.station_id,
                    "day": r.day.isoformat(),
                    "shift": r.shift,
                    "shift_start": t(r.shift_start),
                    "shift_end": t(r.shift_end),
                    "leave": t(r.leave),
                    "return": t(r.return_),
                    "paid_officer_hours": r.paid_officer_hours,
                    "break_start": None if r.break_start is None else t(r.break_start),
                    "break_end": None if r.break_end is None else t(r.break_end),
                    "break_return": None if r.break_return is None else t(r.break_return),
                    "break_leave": None if r.break_leave is None else t(r.break_leave),
                    "stops": [
                        {
                            **{
                                k: v
                                for k, v in asdict(s).items()
                                if k not in {"arrival", "start", "departure"}
                            },
                            "arrival": t(s.arrival),
                            "start": t(s.start),
                            "departure": t(s.departure),
                        }
                        for s in r.stops
                    ],
                }
                for r in self.routes
            ],
            "unserved": [asdict(u) for u in self.unserved],
            "unpredictability": asdict(self.unpredictability) if self.unpredictability else None,
            "rejected": [asdict(r) for r in self.rejected],
            "replan": None
            if self.replan is None
            else {**asdict(self.replan), "cutoff": t(self.replan.cutoff)},
            "evaluation": None if self.evaluation is None else self.evaluation.to_dict(),
            "idle_shifts": [
                {
                    **asdict(i),
                    "day": i.day.isoformat(),
                    "shift_start": t(i.shift_start),
                    "shift_end": t(i.shift_end),
                }
                for i in self.idle_shifts
            ],
        }

    @classmethod
    def from_dict(cls, doc: Any, *, path: str | Path | None = None) -> Plan:
        """Read a ``plan.json`` document back into a plan.

        Raises
        ------
        InputError
            Naming the file and the field (``routes[3].stops[0].start``): another schema, a
            missing key, a value of the wrong type, NaN or infinity, a time without its UTC
            offset, a week that is not an ISO week.
        """
        root = JsonValue(doc, Path(path) if path is not None else None, "", "plan").obj()
        schema = root.get("schema")
        if schema.value != SCHEMA:
            raise schema.error(
                f"plan schema is {show(schema.value)}; this planner reads {SCHEMA!r}: make the "
                "plan again with this planner"
            )
        unp = root.get("unpredictability").optional()
        return cls(
            force=root["force"].text(),
            week=_week(root["week"]),
            week_start=root["week_start"].time(),
            protective_marking=root["protective_marking"].text(),
            contains_mp_premises=root["contains_mp_premises"].flag(),
            seed=root["seed"].whole(),
            solver=_solver(root["solver"]),
            budget=_budget(root["budget"]),
            routes=tuple(_route(r) for r in root["routes"].items()),
            unserved=tuple(_unserved(u) for u in root["unserved"].items()),
            unpredictability=None if unp is None else _unpredictability(unp),
            # Absent from plans written before rejected sites were recorded: none.
            rejected=tuple(_rejected(r) for r in root.get("rejected", []).items()),
            replan=_replan(root.get("replan").optional()),
            evaluation=_control_choice(root.get("evaluation").optional()),
            # Absent from plans written before idle unit-shifts were recorded: none.
            idle_shifts=tuple(_idle_shift(i) for i in root.get("idle_shifts", []).items()),
        )

    def previous_visits(self) -> dict[str, list[dt.datetime]]:
        """Service start times per site: what next week's plan keeps away from."""
        out: dict[str, list[dt.datetime]] = {}
        for s in self.stops:
            out.setdefault(s.site_id, []).append(s.start)
        return out


def write_plan_json(plan: Plan, path: str | Path) -> Path:
    """Write ``plan.json`` atomically."""
    payload = json.dumps(plan.to_dict(), indent=2, ensure_ascii=False).encode("utf-8")
    atomic_write_bytes(path, payload)
    return Path(path)


def read_plan_json(path: str | Path) -> Plan:
    """Read a ``plan.json`` written by :func:`write_plan_json`.

    Raises
    ------
    InputError
        Naming the file (and the field, see :meth:`Plan.from_dict`): missing, a folder, not
        UTF-8 (UTF-16 or Windows-1252 text; a UTF-8 byte order mark is fine), not JSON, or not
        a plan of this schema.
    """
    root = load_json(path, what="plan", max_bytes=MAX_PLAN_BYTES)
    return Plan.from_dict(root.value, path=path)


def week_monday(label: str) -> dt.date:
    """The Monday of an ISO week label such as ``2026-W49``."""
    return dt.date.fromisoformat(label + "-1")


def week_label(day: dt.date) -> str:
    """The ISO week label of ``day``, e.g. ``2026-W49`` (as the config's ``week.label``)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _week(v: JsonValue) -> str:
    text = v.text()
    try:
        if _WEEK_RE.fullmatch(text) is None:
            raise ValueError(text)
        week_monday(text)
    except ValueError:
        raise v.error(f"{show(text)} is not an ISO week; write e.g. 2026-W49") from None
    return text


def _solver(v: JsonValue) -> dict[str, Any]:
    """The ``solver`` record: its known keys checked, any others kept as they are."""
    out = dict(v.obj().value)
    limit = v["time_limit_s"].optional()
    out["time_limit_s"] = None if limit is None else limit.number(minimum=0)
    out["solve_time_s"] = v["solve_time_s"].number(minimum=0)
    out["status"] = v["status"].text()
    for key in ("stop", "stopped_by"):
        if key in out:
            out[key] = v[key].text()
    if "iterations" in out:
        out["iterations"] = v["iterations"].whole(minimum=0)
    return out


def _budget(v: JsonValue) -> dict[str, float]:
    # The keys the outputs read are named when missing, before any other key's problem.
    known = {key: v[key].number() for key in _BUDGET_KEYS}
    return {key: value.number() for key, value in v.entries()} | known


def _unit_shift(v: JsonValue) -> dict[str, Any]:
    """The unit-shift fields a route and an idle unit-shift share."""
    return {
        "unit_id": v["unit_id"].text(),
        "mode": v["mode"].text(),
        "officers": v["officers"].whole(minimum=0),
        "station_id": v["station_id"].text(),
        "day": v["day"].date(),
        "shift": v["shift"].text(),
        "shift_start": v["shift_start"].time(),
        "shift_end": v["shift_end"].time(),
        "paid_officer_hours": v["paid_officer_hours"].number(minimum=0),
    }


def _route(v: JsonValue) -> PlanRoute:
    return PlanRoute(
        route_id=v["route_id"].text(),
        **_unit_shift(v),
        leave=v["leave"].time(),
        return_=v["return"].time(),
        stops=tuple(_stop(s) for s in v["stops"].items()),
        break_start=_maybe_time(v, "break_start"),
        break_end=_maybe_time(v, "break_end"),
        break_return=_maybe_time(v, "break_return"),
        break_leave=_maybe_time(v, "break_leave"),
    )


def _idle_shift(v: JsonValue) -> IdleShift:
    return IdleShift(
        shift_id=v["shift_id"].text(), reason=v.get("reason", "").text(), **_unit_shift(v)
    )


def _maybe_time(v: JsonValue, key: str) -> dt.datetime | None:
    """An optional time: ``null`` or absent (plans written before breaks existed) is ``None``."""
    value = v.get(key).optional()
    return None if value is None else value.time()


def _stop(v: JsonValue) -> PlanStop:
    return PlanStop(
        order=v["order"].whole(),
        visit_id=v["visit_id"].text(),
        site_id=v["site_id"].text(),
        name=v["name"].text(),
        kind=v["kind"].text(),
        risk=v["risk"].text(),
        restricted=v["restricted"].flag(),
        arrival=v["arrival"].time(),
        start=v["start"].time(),
        departure=v["departure"].time(),
        travel_s=v["travel_s"].number(),
        dwell_s=v["dwell_s"].number(minimum=0),
        prize=v["prize"].number(minimum=0),
        notes=v["notes"].text(),
        x_m=v["x_m"].number(),
        y_m=v["y_m"].number(),
        # Absent from plans written before named windows and presence modes: the defaults.
        window=v.get("window", "").text(),
        presence=v.get("presence", "visit").choice(PRESENCES),
        police_contact=v.get("police_contact", "").text(),
    )


def _unserved(v: JsonValue) -> UnservedVisit:
    return UnservedVisit(
        visit_id=v["visit_id"].text(),
        site_id=v["site_id"].text(),
        kind=v["kind"].text(),
        required=v["required"].flag(),
        prize=v["prize"].number(minimum=0),
        reason=v["reason"].text(),
    )


def _rejected(v: JsonValue) -> RejectedSite:
    return RejectedSite(
        source=v["source"].text(),
        site_id=v["site_id"].text(),
        kind=v["kind"].text(),
        stage=v["stage"].text(),
        reason=v["reason"].text(),
        required_visits=v["required_visits"].whole(minimum=0),
        mp_premises=v["mp_premises"].flag(),
    )


def _replan(v: JsonValue | None) -> Replan | None:
    """The ``replan`` record; absent or ``null`` (a plan made whole) is ``None``."""
    if v is None:
        return None
    share = v.get("unchanged_share").optional()
    return Replan(
        previous_plan=v["previous_plan"].text(),
        cutoff=v["cutoff"].time(),
        kept_routes=v["kept_routes"].whole(minimum=0),
        locked_visits=v["locked_visits"].whole(minimum=0),
        unchanged_share=None if share is None else share.number(minimum=0),
    )


def _unpredictability(v: JsonValue) -> Unpredictability:
    def maybe(key: str) -> JsonValue | None:
        return v.get(key).optional()

    previous = maybe("previous_plan")
    without, with_ = maybe("prize_without"), maybe("prize_with")
    week, warning = maybe("previous_week"), maybe("warning")
    return Unpredictability(
        avoid_min=v["avoid_min"].number(minimum=0),
        previous_plan=None if previous is None else previous.text(),
        sites_constrained=v["sites_constrained"].whole(minimum=0),
        prize_without=None if without is None else without.number(),
        prize_with=None if with_ is None else with_.number(),
        previous_week=None if week is None else _week(week),
        warning=None if warning is None else warning.text(),
    )


def _control_choice(v: JsonValue | None) -> ControlChoice | None:
    """The ``evaluation`` record; absent or ``null`` (no control days) is ``None``."""
    if v is None:
        return None

    def pairs(key: str) -> tuple[tuple[str, dt.date], ...]:
        return tuple((p["site_id"].text(), p["date"].date()) for p in v[key].items())

    share = v["control_share"]
    value = share.number(minimum=0)
    if value >= 1:
        raise share.error(f"control_share is a share below 1, got {value!r}")
    return ControlChoice(
        control_share=value,
        seed=v["seed"].whole(),
        control=pairs("control"),
        treated=pairs("treated"),
    )
