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
                  "stops": [{"order": int, "visit_id": str, "site_id": str, "name": str,
                             "kind": str, "risk": str, "restricted": bool,
                             "arrival": time, "start": time, "departure": time,
                             "travel_s": float, "dwell_s": float, "prize": float,
                             "notes": str, "x_m": float, "y_m": float}]}],
      "unserved": [{"visit_id": str, "site_id": str, "kind": str, "required": bool,
                    "prize": float, "reason": str}],
      "unpredictability": {"avoid_min": float, "previous_plan": str|null,
                           "sites_constrained": int, "prize_without": float|null,
                           "prize_with": float|null, "previous_week": "2026-W48"|null,
                           "warning": str|null} | null
    }

A reader refuses a file of another schema version rather than guess, and names the field of
any value it cannot read (``previous_week`` and ``warning`` may be absent: plans written before
they existed read with them ``None``). In memory every time is a
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
    """One visit on a route."""

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

    @property
    def travel_s(self) -> float:
        """Driving or walking time between stops (the return leg excluded)."""
        return sum(s.travel_s for s in self.stops)


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
    schema: str = field(default=SCHEMA)

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

    def summary(self) -> str:
        """Headline figures for the console and reports."""
        made = Counter(s.kind for s in self.stops)
        missed = Counter(u.kind for u in self.unserved)
        req_missed = sum(u.required for u in self.unserved)
        share = self.prize_covered / self.prize_total if self.prize_total else 1.0
        lines = [
            f"[{self.protective_marking}] {self.force}: plan for {self.week} (seed {self.seed})",
            f"harm-weighted demand covered: {self.prize_covered:,.1f} of {self.prize_total:,.1f} ({share:.0%})",
            f"visits made: {len(self.stops)} of {len(self.stops) + len(self.unserved)}; required visits missed: {req_missed}",
            f"routes: {len(self.routes)}; officer-hours {self.budget['used_officer_hours']:,.1f} of {self.budget['funded_officer_hours']:,.1f} funded",
        ]
        for kind in sorted(set(made) | set(missed)):
            lines.append(f"  {kind:<18} {made[kind]:>4} made, {missed[kind]:>4} not")
        if self.unpredictability is not None and self.unpredictability.cost is not None:
            u = self.unpredictability
            source = f"{u.previous_week}'s" if u.warning and u.previous_week else "last week's"
            lines.append(
                f"unpredictability: kept {u.avoid_min:g} min from {source} times at "
                f"{u.sites_constrained} sites, costing {u.cost:,.1f} of harm-weighted demand"
            )
            if u.warning:
                lines.append(f"  warning: {u.warning}")
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


def _route(v: JsonValue) -> PlanRoute:
    return PlanRoute(
        route_id=v["route_id"].text(),
        unit_id=v["unit_id"].text(),
        mode=v["mode"].text(),
        officers=v["officers"].whole(minimum=0),
        station_id=v["station_id"].text(),
        day=v["day"].date(),
        shift=v["shift"].text(),
        shift_start=v["shift_start"].time(),
        shift_end=v["shift_end"].time(),
        leave=v["leave"].time(),
        return_=v["return"].time(),
        paid_officer_hours=v["paid_officer_hours"].number(minimum=0),
        stops=tuple(_stop(s) for s in v["stops"].items()),
    )


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
