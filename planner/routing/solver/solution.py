"""What a solve returns: :class:`Solution`, one :class:`Route` per vehicle of :class:`Stop` s."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.routing.jsondoc import JsonValue, load_json, show

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
    def from_dict(cls, data: Any, *, path: str | Path | None = None) -> Solution:
        """Inverse of :meth:`to_dict`.

        Files written before ``stop``/``stopped_by`` existed read with them empty; their
        ``objective`` (always equal to ``total_prize``) is ignored.

        Raises
        ------
        InputError
            Naming the file (``path``, if given) and the field (``routes[2].stops[0][1]``):
            another schema, a missing key, a value of the wrong type, NaN or infinity.
        """
        root = JsonValue(data, Path(path) if path is not None else None, "", "solution").obj()
        schema = root.get("schema")
        if schema.value != SCHEMA:
            raise schema.error(f"unknown solution schema {show(schema.value)}: expected {SCHEMA!r}")
        return cls(
            problem_name=root["problem_name"].text(),
            seed=root["seed"].whole(),
            routes=tuple(_route(r) for r in root["routes"].items()),
            unserved=tuple(u.text() for u in root["unserved"].items()),
            total_prize=root["total_prize"].number(),
            travel_s=root["travel_s"].number(),
            solve_time_s=root["solve_time_s"].number(),
            status=root["status"].text(),
            strategy=root.get("strategy", "best").text(),
            iterations=root.get("iterations", 0).whole(),
            stop=root.get("stop", "").text(),
            stopped_by=root.get("stopped_by", "").text(),
        )

    @classmethod
    def from_json(cls, path: str | Path) -> Solution:
        """Read a solution written as JSON (``planner solve --out``).

        Raises
        ------
        InputError
            Naming the file: missing, a folder, not UTF-8 (see
            :func:`planner.common.read_text`), not JSON, or not a solution (:meth:`from_dict`).
        """
        return cls.from_dict(load_json(path, what="solution").value, path=path)


def _route(v: JsonValue) -> Route:
    stops = []
    for s in v["stops"].items():
        visit_id, arrival, start, departure = s.items(length=4)
        stops.append(Stop(visit_id.text(), arrival.number(), start.number(), departure.number()))
    return Route(
        vehicle_id=v["vehicle_id"].text(),
        stops=tuple(stops),
        leave_s=v["leave_s"].number(),
        return_s=v["return_s"].number(),
    )
