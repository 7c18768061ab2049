"""What a solve returns: :class:`Solution`, one :class:`Route` per vehicle of :class:`Stop` s."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from planner.errors import InputError

SCHEMA = "planner.routing-solution/1"


@dataclass(frozen=True)
class Stop:
    """One served visit on a route (float seconds)."""

    visit_id: str
    arrival_s: float
    start_s: float
    departure_s: float


@dataclass(frozen=True)
class Route:
    """One vehicle's route; an unused vehicle has no stops."""

    vehicle_id: str
    stops: tuple[Stop, ...]
    leave_s: float
    return_s: float

    @property
    def used(self) -> bool:
        """Whether the route serves any visit."""
        return bool(self.stops)


@dataclass(frozen=True)
class Solution:
    """A plan: one route per vehicle, the visits left out and how it was found.

    ``total_prize`` is what the search maximises; ``travel_s`` the total travel time of the
    routes (the tie breaker).  ``status`` is ``"ok"`` (an iteration or no-improvement
    criterion ended the search, or the textbook model's own limit), ``"time_capped"`` (a
    :class:`~planner.routing.solver.stop.MaxRuntime` ended it: the plan is the best so far and
    may differ between runs) or ``"empty"`` (nothing to plan).  ``stop`` is the stopping
    criterion asked for, ``stopped_by`` the one that fired (empty if the search had nothing to
    do) and ``iterations`` the search iterations done.
    """

    problem_name: str
    seed: int
    routes: tuple[Route, ...]
    unserved: tuple[str, ...]
    total_prize: float
    travel_s: float
    solve_time_s: float
    status: str
    strategy: str = "best"
    iterations: int = 0
    stop: str = ""
    stopped_by: str = ""

    def summary(self) -> str:
        """One paragraph for logs and the CLI."""
        used = [r for r in self.routes if r.used]
        n = sum(len(r.stops) for r in self.routes)
        return (
            f"{self.problem_name}: prize {self.total_prize:g} from {n} visits on "
            f"{len(used)}/{len(self.routes)} vehicles, {len(self.unserved)} unserved, travel "
            f"{self.travel_s:.1f} s; {self.strategy} seed {self.seed}, {self.iterations} "
            f"iterations in {self.solve_time_s:.1f} s ({self.status})"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (see :meth:`from_dict`)."""
        return {
            "schema": SCHEMA,
            "problem_name": self.problem_name,
            "seed": self.seed,
            "routes": [
                {
                    "vehicle_id": r.vehicle_id,
                    "leave_s": r.leave_s,
                    "return_s": r.return_s,
                    "stops": [[s.visit_id, s.arrival_s, s.start_s, s.departure_s] for s in r.stops],
                }
                for r in self.routes
            ],
            "unserved": list(self.unserved),
            "total_prize": self.total_prize,
            "travel_s": self.travel_s,
            "solve_time_s": self.solve_time_s,
            "status": self.status,
            "strategy": self.strategy,
            "iterations": self.iterations,
            "stop": self.stop,
            "stopped_by": self.stopped_by,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Solution:
        """Inverse of :meth:`to_dict`.

        Files written before ``stop``/``stopped_by`` existed read with them empty; their
        ``objective`` (always equal to ``total_prize``) is ignored.
        """
        if data.get("schema") != SCHEMA:
            raise InputError(f"unknown solution schema {data.get('schema')!r}")
        try:
            routes = tuple(
                Route(
                    vehicle_id=str(r["vehicle_id"]),
                    stops=tuple(
                        Stop(str(s[0]), float(s[1]), float(s[2]), float(s[3])) for s in r["stops"]
                    ),
                    leave_s=float(r["leave_s"]),
                    return_s=float(r["return_s"]),
                )
                for r in data["routes"]
            )
            return cls(
                problem_name=str(data["problem_name"]),
                seed=int(data["seed"]),
                routes=routes,
                unserved=tuple(str(u) for u in data["unserved"]),
                total_prize=float(data["total_prize"]),
                travel_s=float(data["travel_s"]),
                solve_time_s=float(data["solve_time_s"]),
                status=str(data["status"]),
                strategy=str(data.get("strategy", "best")),
                iterations=int(data.get("iterations", 0)),
                stop=str(data.get("stop", "")),
                stopped_by=str(data.get("stopped_by", "")),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise InputError(f"malformed solution: {exc!r}") from exc
