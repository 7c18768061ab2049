"""The plain routing problem: visits, groups, vehicles and travel-time matrices.

The routing core never sees geodata.  Everything it needs is in :class:`RoutingProblem`:
visits (a location index, a dwell, start-of-service windows and a prize), groups of visits to
the same site (minimum gap, at most so many per route), vehicles (one police unit on one shift:
a mode of travel, start/end station, shift limits, paid hours), one travel-time matrix per mode
and an optional paid-hours budget.  Times are float seconds (fields end in ``_s``).

Three ways in
-------------
* Directly, from Python (the planner's demand/network builder).
* :meth:`RoutingProblem.from_json` / :meth:`RoutingProblem.to_json` (schema below).
* :func:`read_top` / :func:`read_toptw` for the published benchmark formats.

JSON schema ``planner.routing-problem/1``
-----------------------------------------
One UTF-8 JSON object::

    {
      "schema": "planner.routing-problem/1",       # required, exact string
      "name": "rutland-2025-w14",                  # str
      "location_labels": ["station A", ...],       # list[str], empty or one per location
      "budget_paid_hours": 420.0,                  # number or null (no budget)
      "travel_time_s": {                           # one square matrix per mode
        "car":  [[0.0, 61.5, null], ...],          # row = from, column = to; null = unreachable
        "foot": [[...], ...]
      },
      "groups": [{"group_id": "site-17", "min_gap_s": 7200.0, "max_per_route": 1}, ...],
      "vehicles": [{"vehicle_id": "OKM-1 Mon early", "mode": "car",
                    "start_location": 0, "end_location": 0,
                    "earliest_start_s": 25200.0, "latest_end_s": 54000.0,
                    "max_duration_s": 28800.0, "paid_hours": 16.0}, ...],
      "visits": [{"visit_id": "site-17#1", "location": 5, "service_s": 900.0,
                  "windows": [[28800.0, 36000.0], [50400.0, 52200.0]],
                  "prize": 3.25, "required": false, "group": "site-17"}, ...]
    }

Numbers are written with Python's shortest round-trip ``repr`` so a write/read round trip is
exact.  ``null`` in a matrix means unreachable (``numpy.inf`` in memory); no other non-finite
number is allowed anywhere.  Readers reject unknown schema strings; a later incompatible
change will bump the ``/1``.  Every mistake is one :class:`~planner.errors.InputError` naming
the file and the field by its JSON path (``visits[3].windows[0][1]``).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from planner.common import atomic_write_bytes
from planner.errors import InputError
from planner.routing.jsondoc import JsonValue, json_path, load_json, show

log = logging.getLogger(__name__)

SCHEMA = "planner.routing-problem/1"

MAX_TIME_S = 10 * 604_800.0
"""Largest time allowed anywhere in a problem (service, windows, shifts, gaps, travel): ten
weeks. A plan covers one week; anything far beyond is a mistake (milliseconds for seconds),
and the solver's integer time scale (:mod:`planner.routing.solver.scaling`) would overflow."""
DAY_S = 86_400.0
"""One day, seconds: the period of a group's time-of-day rule (:attr:`Group.repeat_gap_s`)."""
MAX_AMOUNT = 1e9
"""Largest prize, paid hours or budget: far beyond any force's week, far inside the solver's
integer prize scale."""


@dataclass(frozen=True)
class Visit:
    """One possible visit to a site.

    Attributes
    ----------
    visit_id
        Unique id.
    location
        Row/column index into the travel-time matrices.
    service_s
        Dwell time on site, seconds.
    windows
        Allowed *start-of-service* intervals ``(open, close)``, sorted and disjoint.  Service may
        end after ``close``.
    prize
        Harm-weighted value collected if the visit is made.
    required
        The visit must be made.
    group
        Id of the :class:`Group` (same site) the visit belongs to, if any.
    repeat_rule
        Whether its group's time-of-day rule (:attr:`Group.repeat_gap_s`) binds this visit:
        the rule holds between every two members that have it.  A hot spot's visits beyond
        the distinct times of day its units' hours allow go without it (and are worth less).
    clock_offset_s
        Added to this visit's start before the time-of-day rule compares it: the difference
        between the local clock and the week's clock (seconds from the week's start) when the
        visit is made, so that a week with a clock change compares local times (-3600 after
        the clocks go back, +3600 after they go forward). 0 in a week without one.
    """

    visit_id: str
    location: int
    service_s: float
    windows: tuple[tuple[float, float], ...]
    prize: float
    required: bool = False
    group: str | None = None
    repeat_rule: bool = True
    clock_offset_s: float = 0.0


@dataclass(frozen=True)
class Group:
    """Visits to the same site.

    Attributes
    ----------
    group_id
        Unique id, referenced by :attr:`Visit.group`.
    min_gap_s
        Least time between the service starts of any two served visits of the group.
    max_per_route
        At most this many of the group's visits on one route.
    repeat_gap_s
        Least distance in time of day between the service starts of two served visits a day
        or more apart: no start may fall within ``repeat_gap_s`` of another's start plus a
        whole number (>= 1) of days (:data:`DAY_S`), so visits do not come at the same time
        each day.  0 (the default) turns the rule off.  Starts are counted on the week's
        clock, so across a clock change local times differ from it by the hour.
    dose_weight
        How much the group's visits are worth as a dose (a hot spot's harm), for the solver's
        last pass (:mod:`planner.routing.solver.balance`): a group of greater weight ends
        with no fewer served visits than one of smaller weight, bar one, wherever a visit can
        be exchanged between them.  0 (the default) leaves the group out.
    """

    group_id: str
    min_gap_s: float
    max_per_route: int = 1
    repeat_gap_s: float = 0.0
    dose_weight: float = 0.0


@dataclass(frozen=True)
class Vehicle:
    """One unit on one shift.

    Attributes
    ----------
    vehicle_id
        Unique id.
    mode
        Key into :attr:`RoutingProblem.travel_time_s` (``"car"``, ``"foot"`` ...).
    start_location, end_location
        Matrix indices of the stations the route starts and ends at.
    earliest_start_s
        May leave the start station from this time.
    latest_end_s
        Must be back at the end station by this time.
    max_duration_s
        Limit on route duration, from leaving the start station to returning.
    paid_hours
        Officer-hours this vehicle costs if it is used (officers x shift hours).
    """

    vehicle_id: str
    mode: str
    start_location: int
    end_location: int
    earliest_start_s: float
    latest_end_s: float
    max_duration_s: float
    paid_hours: float = 0.0


def _finite(value: object, what: str, where: str, *, bound: float = MAX_TIME_S) -> None:
    """Check that ``value`` is a finite number within ``±bound``; ``where`` is its path."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{what} must be a number, got {value!r}", field=where)
    if math.isnan(value):
        raise InputError(f"{what} is NaN, which is not a number; give a finite number", field=where)
    if not math.isfinite(value):
        raise InputError(f"{what} must be a finite number, got {value!r}", field=where)
    if abs(value) > bound:
        unit = (
            f"{bound:,.0f} s, ten weeks; times are in seconds"
            if bound == MAX_TIME_S
            else f"{bound:g}"
        )
        raise InputError(f"{what} is {value!r}, beyond the largest allowed ({unit})", field=where)


@dataclass(frozen=True)
class RoutingProblem:
    """A team orienteering problem with time windows plus patrol rules.

    Validated on construction: a malformed problem raises :class:`~planner.errors.InputError`
    saying what to fix and naming the field (``visits[3].prize``, as in the JSON form).  See
    the module docstring for the meaning of each part.
    """

    name: str
    visits: tuple[Visit, ...]
    vehicles: tuple[Vehicle, ...]
    groups: tuple[Group, ...]
    travel_time_s: Mapping[str, np.ndarray]
    budget_paid_hours: float | None = None
    location_labels: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        # Normalise containers so a list passed by a caller cannot be mutated under us.
        object.__setattr__(self, "visits", tuple(self.visits))
        object.__setattr__(self, "vehicles", tuple(self.vehicles))
        object.__setattr__(self, "groups", tuple(self.groups))
        object.__setattr__(self, "location_labels", tuple(self.location_labels))
        mats = {}
        for mode, mat in dict(self.travel_time_s).items():
            arr = np.array(mat, dtype=np.float64)  # a private read-only copy
            arr.setflags(write=False)
            mats[str(mode)] = arr
        object.__setattr__(self, "travel_time_s", mats)
        self.validate_structure()

    # ------------------------------------------------------------------ validation
    @property
    def n_locations(self) -> int:
        """Number of rows (and columns) of every travel-time matrix."""
        if not self.travel_time_s:
            return 0
        return int(next(iter(self.travel_time_s.values())).shape[0])

    def validate_structure(self) -> None:
        """Check shapes, indices, windows, ids and references.

        Raises
        ------
        InputError
            Naming the offending visit/vehicle/group/mode, its field and what to fix.
        """
        n_loc = self._check_matrices()
        if self.location_labels and len(self.location_labels) != n_loc:
            raise InputError(
                f"location_labels has {len(self.location_labels)} entries but the matrices have "
                f"{n_loc} locations: give one label per location or none",
                field="location_labels",
            )
        if self.budget_paid_hours is not None:
            _finite(
                self.budget_paid_hours, "budget_paid_hours", "budget_paid_hours", bound=MAX_AMOUNT
            )
            if self.budget_paid_hours < 0:
                raise InputError(
                    "budget_paid_hours must be >= 0 (or None for no budget)",
                    field="budget_paid_hours",
                )
        group_ids = self._check_groups()
        self._check_visits(n_loc, group_ids)
        self._check_vehicles(n_loc)

    def _check_matrices(self) -> int:
        """Check every mode's matrix; the number of locations."""
        n_loc = None
        for mode, mat in self.travel_time_s.items():
            where = json_path("travel_time_s", mode)
            if mat.ndim != 2 or mat.shape[0] != mat.shape[1]:
                raise InputError(
                    f"travel_time_s[{mode!r}] must be a square matrix, got shape {mat.shape}",
                    field=where,
                )
            if n_loc is None:
                n_loc = mat.shape[0]
            elif mat.shape[0] != n_loc:
                raise InputError(
                    f"travel_time_s[{mode!r}] is {mat.shape[0]}x{mat.shape[0]} but another mode "
                    f"is {n_loc}x{n_loc}: every mode must cover the same locations",
                    field=where,
                )
            with np.errstate(invalid="ignore"):
                too_long = np.isfinite(mat) & (mat > MAX_TIME_S)
            for bad, problem in (
                (np.isnan(mat), "contains NaN; use inf for unreachable"),
                (mat < 0, "has negative travel times"),
                (too_long, f"has travel times beyond ten weeks ({MAX_TIME_S:,.0f} s)"),
            ):
                if bad.any():
                    i, j = (int(x) for x in np.argwhere(bad)[0])
                    raise InputError(
                        f"travel_time_s[{mode!r}] {problem} (from location {i} to {j})",
                        field=json_path(where, i, j),
                    )
        return n_loc or 0

    def _check_groups(self) -> set[str]:
        """Check the groups; their ids."""
        group_ids: set[str] = set()
        for g_i, g in enumerate(self.groups):
            where = f"groups[{g_i}]"
            if g.group_id in group_ids:
                raise InputError(
                    f"group id {g.group_id!r} is used twice; group ids must be unique",
                    field=f"{where}.group_id",
                )
            group_ids.add(g.group_id)
            _finite(g.min_gap_s, f"group {g.group_id!r} min_gap_s", f"{where}.min_gap_s")
            if g.min_gap_s < 0:
                raise InputError(
                    f"group {g.group_id!r}: min_gap_s must be >= 0, got {g.min_gap_s!r}",
                    field=f"{where}.min_gap_s",
                )
            _finite(g.repeat_gap_s, f"group {g.group_id!r} repeat_gap_s", f"{where}.repeat_gap_s")
            if not 0 <= g.repeat_gap_s <= DAY_S / 2:
                raise InputError(
                    f"group {g.group_id!r}: repeat_gap_s must be between 0 and {DAY_S / 2:g} "
                    f"(half a day), got {g.repeat_gap_s!r}",
                    field=f"{where}.repeat_gap_s",
                )
            _finite(g.dose_weight, f"group {g.group_id!r} dose_weight", f"{where}.dose_weight")
            if g.dose_weight < 0:
                raise InputError(
                    f"group {g.group_id!r}: dose_weight must be >= 0 (0 leaves the group out "
                    f"of dose balancing), got {g.dose_weight!r}",
                    field=f"{where}.dose_weight",
                )
            m = g.max_per_route
            number = isinstance(m, int | float) and not isinstance(m, bool) and math.isfinite(m)
            if not (number and int(m) == m and m >= 1):
                raise InputError(
                    f"group {g.group_id!r}: max_per_route must be an integer >= 1, got {m!r}",
                    field=f"{where}.max_per_route",
                )
        return group_ids

    def _check_visits(self, n_loc: int, group_ids: set[str]) -> None:
        """Check every visit's location, dwell, prize, windows and group."""
        visit_ids: set[str] = set()
        for u, v in enumerate(self.visits):
            where = f"visits[{u}]"
            name = f"visit {v.visit_id!r}"
            if v.visit_id in visit_ids:
                raise InputError(
                    f"visit id {v.visit_id!r} is used twice; visit ids must be unique",
                    field=f"{where}.visit_id",
                )
            visit_ids.add(v.visit_id)
            _index(v.location, n_loc, f"{name}: location", f"{where}.location")
            _finite(v.service_s, f"{name} service_s", f"{where}.service_s")
            _finite(v.prize, f"{name} prize", f"{where}.prize", bound=MAX_AMOUNT)
            if v.service_s < 0:
                raise InputError(
                    f"{name}: service_s must be >= 0, got {v.service_s!r}",
                    field=f"{where}.service_s",
                )
            if v.prize < 0:
                raise InputError(
                    f"{name}: prize must be >= 0, got {v.prize!r}", field=f"{where}.prize"
                )
            _finite(v.clock_offset_s, f"{name} clock_offset_s", f"{where}.clock_offset_s")
            if abs(v.clock_offset_s) > DAY_S / 2:
                raise InputError(
                    f"{name}: clock_offset_s must be within half a day (a clock change is an "
                    f"hour), got {v.clock_offset_s!r}",
                    field=f"{where}.clock_offset_s",
                )
            _check_windows(v, f"{where}.windows")
            if v.group is not None and v.group not in group_ids:
                raise InputError(
                    f"{name} names unknown group {v.group!r}: add the group to "
                    f"RoutingProblem.groups or clear the visit's group",
                    field=f"{where}.group",
                )

    def _check_vehicles(self, n_loc: int) -> None:
        """Check every vehicle's mode, stations and shift limits."""
        vehicle_ids: set[str] = set()
        for k_i, k in enumerate(self.vehicles):
            where = f"vehicles[{k_i}]"
            name = f"vehicle {k.vehicle_id!r}"
            if k.vehicle_id in vehicle_ids:
                raise InputError(
                    f"vehicle id {k.vehicle_id!r} is used twice; ids must be unique",
                    field=f"{where}.vehicle_id",
                )
            vehicle_ids.add(k.vehicle_id)
            if k.mode not in self.travel_time_s:
                raise InputError(
                    f"{name} has mode {k.mode!r} but travel_time_s only has "
                    f"{sorted(self.travel_time_s)}: add a matrix for that mode",
                    field=f"{where}.mode",
                )
            for attr in ("start_location", "end_location"):
                _index(getattr(k, attr), n_loc, f"{name}: {attr}", f"{where}.{attr}")
            for attr in ("earliest_start_s", "latest_end_s", "max_duration_s", "paid_hours"):
                bound = MAX_AMOUNT if attr == "paid_hours" else MAX_TIME_S
                _finite(getattr(k, attr), f"{name} {attr}", f"{where}.{attr}", bound=bound)
            if k.latest_end_s < k.earliest_start_s:
                raise InputError(
                    f"{name}: latest_end_s {k.latest_end_s} is before "
                    f"earliest_start_s {k.earliest_start_s}",
                    field=f"{where}.latest_end_s",
                )
            for attr in ("max_duration_s", "paid_hours"):
                if getattr(k, attr) < 0:
                    raise InputError(
                        f"{name}: max_duration_s and paid_hours must be >= 0",
                        field=f"{where}.{attr}",
                    )

    # ------------------------------------------------------------------ helpers
    def visit_index(self) -> dict[str, int]:
        """Map visit id -> position in :attr:`visits`."""
        return {v.visit_id: i for i, v in enumerate(self.visits)}

    def vehicle_index(self) -> dict[str, int]:
        """Map vehicle id -> position in :attr:`vehicles`."""
        return {k.vehicle_id: i for i, k in enumerate(self.vehicles)}

    def group_by_id(self) -> dict[str, Group]:
        """Map group id -> :class:`Group`."""
        return {g.group_id: g for g in self.groups}

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dictionary of schema ``planner.routing-problem/1``."""
        return {
            "schema": SCHEMA,
            "name": self.name,
            "location_labels": list(self.location_labels),
            "budget_paid_hours": self.budget_paid_hours,
            "travel_time_s": {
                mode: [[None if math.isinf(x) else float(x) for x in row] for row in mat.tolist()]
                for mode, mat in self.travel_time_s.items()
            },
            "groups": [
                {
                    "group_id": g.group_id,
                    "min_gap_s": g.min_gap_s,
                    "max_per_route": g.max_per_route,
                    "repeat_gap_s": g.repeat_gap_s,
                    "dose_weight": g.dose_weight,
                }
                for g in self.groups
            ],
            "vehicles": [
                {
                    "vehicle_id": k.vehicle_id,
                    "mode": k.mode,
                    "start_location": int(k.start_location),
                    "end_location": int(k.end_location),
                    "earliest_start_s": k.earliest_start_s,
                    "latest_end_s": k.latest_end_s,
                    "max_duration_s": k.max_duration_s,
                    "paid_hours": k.paid_hours,
                }
                for k in self.vehicles
            ],
            "visits": [
                {
                    "visit_id": v.visit_id,
                    "location": int(v.location),
                    "service_s": v.service_s,
                    "windows": [[lo, hi] for lo, hi in v.windows],
                    "prize": v.prize,
                    "required": bool(v.required),
                    "group": v.group,
                    "repeat_rule": v.repeat_rule,
                    "clock_offset_s": v.clock_offset_s,
                }
                for v in self.visits
            ],
        }

    @classmethod
    def from_dict(cls, data: Any, *, path: str | Path | None = None) -> RoutingProblem:
        """Build from a ``planner.routing-problem/1`` dictionary (see module docstring).

        Raises
        ------
        InputError
            Naming the file and the field (``visits[3].windows[0][1]``): another schema, a
            missing key, a value of the wrong type, NaN or infinity, and every mistake
            :meth:`validate_structure` finds.
        """
        root = JsonValue(data, Path(path) if path is not None else None, "", "routing problem")
        schema = root.obj().get("schema")
        if schema.value != SCHEMA:
            raise schema.error(f"unknown schema {show(schema.value)}: expected {SCHEMA!r}")
        budget = root.get("budget_paid_hours").optional()
        name = root.get("name", "").text()
        mats = {mode: _matrix(m) for mode, m in root["travel_time_s"].entries()}
        groups = tuple(_group(g) for g in root.get("groups", []).items())
        vehicles = tuple(_vehicle(k) for k in root.get("vehicles", []).items())
        visits = tuple(_visit(v) for v in root.get("visits", []).items())
        labels = tuple(s.text() for s in root.get("location_labels", []).items())
        try:
            return cls(
                name=name,
                visits=visits,
                vehicles=vehicles,
                groups=groups,
                travel_time_s=mats,
                budget_paid_hours=None if budget is None else budget.number(),
                location_labels=labels,
            )
        except InputError as exc:
            raise InputError(exc.detail, path=path, field=exc.field) from None

    def to_json(self, path: str | Path) -> None:
        """Write as ``planner.routing-problem/1`` JSON, atomically."""
        payload = json.dumps(self.to_dict(), allow_nan=False, indent=None, separators=(",", ":"))
        atomic_write_bytes(path, payload.encode("utf-8"))

    @classmethod
    def from_json(cls, path: str | Path) -> RoutingProblem:
        """Read a ``planner.routing-problem/1`` JSON file.

        Raises
        ------
        InputError
            Naming the file: missing, a folder, not UTF-8 (see
            :func:`planner.common.read_text`), not JSON, or not a routing problem
            (:meth:`from_dict`, which names the field too).
        """
        return cls.from_dict(load_json(path, what="routing problem").value, path=path)


def _index(value: object, n_loc: int, what: str, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value < n_loc:
        raise InputError(f"{what} {value!r} is not a matrix index in 0..{n_loc - 1}", field=where)


def _check_windows(v: Visit, where: str) -> None:
    """Check that a visit's windows are (open, close) pairs, sorted and disjoint."""
    name = f"visit {v.visit_id!r}"
    if not v.windows:
        raise InputError(f"{name} has no time window: give at least one (open, close)", field=where)
    prev_close = -math.inf
    for w_i, w in enumerate(v.windows):
        at = f"{where}[{w_i}]"
        if len(w) != 2:
            raise InputError(f"{name}: window {w!r} must be (open, close)", field=at)
        lo, hi = w
        _finite(lo, f"{name} window open", f"{at}[0]")
        _finite(hi, f"{name} window close", f"{at}[1]")
        if lo > hi:
            raise InputError(f"{name}: window ({lo}, {hi}) opens after it closes", field=at)
        if lo <= prev_close:
            raise InputError(
                f"{name}: windows must be sorted and disjoint, ({lo}, {hi}) starts at or "
                f"before the previous window's close {prev_close}",
                field=at,
            )
        prev_close = hi


# ---------------------------------------------------------------------- JSON readers
_JSON_NUMBERS = (int, float)


def _matrix(v: JsonValue) -> np.ndarray:
    """A square travel-time matrix: numbers >= 0, ``null`` for unreachable."""
    rows = v.items()
    n = len(rows)
    out = np.empty((n, n), dtype=np.float64)
    for i, row in enumerate(rows):
        cells = row.value
        if not isinstance(cells, list) or len(cells) != n:
            raise row.error(
                f"must be a list of {n} travel times (the matrix has one row and one column "
                f"per location), got {show(cells)}"
            )
        # Checked row by row in bulk: a week's matrix holds millions of entries.
        try:
            if not all(x is None or type(x) in _JSON_NUMBERS for x in cells):
                raise TypeError
            out[i] = [math.inf if x is None else x for x in cells]
        except (TypeError, OverflowError):
            _bad_cell(row)
        if np.isnan(out[i]).any() or np.isinf(out[i]).sum() != cells.count(None):
            _bad_cell(row)
    return out


def _bad_cell(row: JsonValue) -> None:
    """Raise the error for the first entry of a matrix row that is not a travel time."""
    for cell in row.items():
        if cell.value is None:
            continue
        if isinstance(cell.value, float) and math.isinf(cell.value):
            raise cell.error(f"{show(cell.value)} is not a travel time; write null for unreachable")
        cell.number()
    raise row.error("is not a list of travel times")  # pragma: no cover - found above


def _group(v: JsonValue) -> Group:
    return Group(
        group_id=v["group_id"].text(),
        min_gap_s=v["min_gap_s"].number(),
        max_per_route=v.get("max_per_route", 1).whole(),
        repeat_gap_s=v.get("repeat_gap_s", 0.0).number(),
        dose_weight=v.get("dose_weight", 0.0).number(),
    )


def _vehicle(v: JsonValue) -> Vehicle:
    return Vehicle(
        vehicle_id=v["vehicle_id"].text(),
        mode=v["mode"].text(),
        start_location=v["start_location"].whole(),
        end_location=v["end_location"].whole(),
        earliest_start_s=v["earliest_start_s"].number(),
        latest_end_s=v["latest_end_s"].number(),
        max_duration_s=v["max_duration_s"].number(),
        paid_hours=v.get("paid_hours", 0.0).number(),
    )


def _visit(v: JsonValue) -> Visit:
    group = v.get("group").optional()
    windows = []
    for w in v["windows"].items():
        lo, hi = w.items(length=2)
        windows.append((lo.number(), hi.number()))
    return Visit(
        visit_id=v["visit_id"].text(),
        location=v["location"].whole(),
        service_s=v["service_s"].number(),
        windows=tuple(windows),
        prize=v["prize"].number(),
        required=v.get("required", False).flag(),
        group=None if group is None else group.text(),
        repeat_rule=v.get("repeat_rule", True).flag(),
        clock_offset_s=v.get("clock_offset_s", 0.0).number(),
    )
