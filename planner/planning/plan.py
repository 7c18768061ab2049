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
                           "prize_with": float|null} | null
    }

A reader refuses a file of another schema version rather than guess. In memory every time is a
UTC-aware datetime: Python compares two Europe/London times in the repeated autumn hour wrongly,
so plans read back compare equal to the plans written only if both hold UTC.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from planner.common import LONDON, atomic_write_bytes
from planner.errors import InputError

SCHEMA = "planner.plan/1"


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
    """How the plan was kept away from last week's, and what that cost."""

    avoid_min: float
    previous_plan: str | None
    sites_constrained: int
    prize_without: float | None = None
    prize_with: float | None = None

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
            lines.append(
                f"unpredictability: kept {u.avoid_min:g} min from last week's times at "
                f"{u.sites_constrained} sites, costing {u.cost:,.1f} of harm-weighted demand"
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
    def from_dict(cls, doc: Mapping[str, Any], *, path: str | Path | None = None) -> Plan:
        """Read a ``plan.json`` document back into a plan."""
        if doc.get("schema") != SCHEMA:
            raise InputError(
                f"plan schema is {doc.get('schema')!r}; this planner reads {SCHEMA!r}",
                path=path,
                field="schema",
            )
        try:

            def tm(text: str) -> dt.datetime:
                return dt.datetime.fromisoformat(text).astimezone(dt.UTC)

            routes = tuple(
                PlanRoute(
                    route_id=r["route_id"],
                    unit_id=r["unit_id"],
                    mode=r["mode"],
                    officers=int(r["officers"]),
                    station_id=r["station_id"],
                    day=dt.date.fromisoformat(r["day"]),
                    shift=r["shift"],
                    shift_start=tm(r["shift_start"]),
                    shift_end=tm(r["shift_end"]),
                    leave=tm(r["leave"]),
                    return_=tm(r["return"]),
                    paid_officer_hours=float(r["paid_officer_hours"]),
                    stops=tuple(
                        PlanStop(
                            **{
                                **s,
                                "arrival": tm(s["arrival"]),
                                "start": tm(s["start"]),
                                "departure": tm(s["departure"]),
                            }
                        )
                        for s in r["stops"]
                    ),
                )
                for r in doc["routes"]
            )
            unp = doc.get("unpredictability")
            return cls(
                force=doc["force"],
                week=doc["week"],
                week_start=tm(doc["week_start"]),
                protective_marking=doc["protective_marking"],
                contains_mp_premises=bool(doc["contains_mp_premises"]),
                seed=int(doc["seed"]),
                solver=dict(doc["solver"]),
                budget={k: float(v) for k, v in doc["budget"].items()},
                routes=routes,
                unserved=tuple(UnservedVisit(**u) for u in doc["unserved"]),
                unpredictability=Unpredictability(**unp) if unp else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"not a valid plan file ({type(exc).__name__}: {exc})", path=path
            ) from exc

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
    """Read a ``plan.json`` written by :func:`write_plan_json`."""
    path = Path(path)
    if not path.exists():
        raise InputError("plan file not found", path=path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc}", path=path) from None
    return Plan.from_dict(doc, path=path)
