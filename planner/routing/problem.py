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
change will bump the ``/1``.
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

from planner.errors import InputError

log = logging.getLogger(__name__)

SCHEMA = "planner.routing-problem/1"


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
    """

    visit_id: str
    location: int
    service_s: float
    windows: tuple[tuple[float, float], ...]
    prize: float
    required: bool = False
    group: str | None = None


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
    """

    group_id: str
    min_gap_s: float
    max_per_route: int = 1


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


def _finite(value: float, what: str) -> None:
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{what} must be a finite number, got {value!r}")


@dataclass(frozen=True)
class RoutingProblem:
    """A team orienteering problem with time windows plus patrol rules.

    Validated on construction: a malformed problem raises :class:`~planner.errors.InputError`
    saying what to fix.  See the module docstring for the meaning of each part.
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
            Naming the offending visit/vehicle/group/mode and what to fix.
        """
        n_loc = None
        for mode, mat in self.travel_time_s.items():
            if mat.ndim != 2 or mat.shape[0] != mat.shape[1]:
                raise InputError(
                    f"travel_time_s[{mode!r}] must be a square matrix, got shape {mat.shape}"
                )
            if n_loc is None:
                n_loc = mat.shape[0]
            elif mat.shape[0] != n_loc:
                raise InputError(
                    f"travel_time_s[{mode!r}] is {mat.shape[0]}x{mat.shape[0]} but another mode "
                    f"is {n_loc}x{n_loc}: every mode must cover the same locations"
                )
            if np.isnan(mat).any():
                raise InputError(f"travel_time_s[{mode!r}] contains NaN; use inf for unreachable")
            if (mat < 0).any():
                raise InputError(f"travel_time_s[{mode!r}] has negative travel times")
            if np.isneginf(mat).any():
                raise InputError(f"travel_time_s[{mode!r}] has -inf entries")
        n_loc = n_loc or 0
        if self.location_labels and len(self.location_labels) != n_loc:
            raise InputError(
                f"location_labels has {len(self.location_labels)} entries but the matrices have "
                f"{n_loc} locations: give one label per location or none"
            )
        if self.budget_paid_hours is not None:
            _finite(self.budget_paid_hours, "budget_paid_hours")
            if self.budget_paid_hours < 0:
                raise InputError("budget_paid_hours must be >= 0 (or None for no budget)")

        group_ids: set[str] = set()
        for g in self.groups:
            if g.group_id in group_ids:
                raise InputError(f"group id {g.group_id!r} is used twice; group ids must be unique")
            group_ids.add(g.group_id)
            _finite(g.min_gap_s, f"group {g.group_id!r} min_gap_s")
            if g.min_gap_s < 0:
                raise InputError(f"group {g.group_id!r}: min_gap_s must be >= 0")
            if int(g.max_per_route) != g.max_per_route or g.max_per_route < 1:
                raise InputError(f"group {g.group_id!r}: max_per_route must be an integer >= 1")

        visit_ids: set[str] = set()
        for v in self.visits:
            if v.visit_id in visit_ids:
                raise InputError(f"visit id {v.visit_id!r} is used twice; visit ids must be unique")
            visit_ids.add(v.visit_id)
            if not isinstance(v.location, int | np.integer) or not 0 <= v.location < n_loc:
                raise InputError(
                    f"visit {v.visit_id!r}: location {v.location!r} is not a matrix index "
                    f"in 0..{n_loc - 1}"
                )
            _finite(v.service_s, f"visit {v.visit_id!r} service_s")
            _finite(v.prize, f"visit {v.visit_id!r} prize")
            if v.service_s < 0:
                raise InputError(f"visit {v.visit_id!r}: service_s must be >= 0")
            if v.prize < 0:
                raise InputError(f"visit {v.visit_id!r}: prize must be >= 0")
            if not v.windows:
                raise InputError(
                    f"visit {v.visit_id!r} has no time window: give at least one (open, close)"
                )
            prev_close = -math.inf
            for w in v.windows:
                if len(w) != 2:
                    raise InputError(f"visit {v.visit_id!r}: window {w!r} must be (open, close)")
                lo, hi = w
                _finite(lo, f"visit {v.visit_id!r} window open")
                _finite(hi, f"visit {v.visit_id!r} window close")
                if lo > hi:
                    raise InputError(
                        f"visit {v.visit_id!r}: window ({lo}, {hi}) opens after it closes"
                    )
                if lo <= prev_close:
                    raise InputError(
                        f"visit {v.visit_id!r}: windows must be sorted and disjoint, "
                        f"({lo}, {hi}) starts at or before the previous window's close {prev_close}"
                    )
                prev_close = hi
            if v.group is not None and v.group not in group_ids:
                raise InputError(
                    f"visit {v.visit_id!r} names unknown group {v.group!r}: add the group to "
                    f"RoutingProblem.groups or clear the visit's group"
                )

        vehicle_ids: set[str] = set()
        for k in self.vehicles:
            if k.vehicle_id in vehicle_ids:
                raise InputError(f"vehicle id {k.vehicle_id!r} is used twice; ids must be unique")
            vehicle_ids.add(k.vehicle_id)
            if k.mode not in self.travel_time_s:
                raise InputError(
                    f"vehicle {k.vehicle_id!r} has mode {k.mode!r} but travel_time_s only has "
                    f"{sorted(self.travel_time_s)}: add a matrix for that mode"
                )
            for attr in ("start_location", "end_location"):
                loc = getattr(k, attr)
                if not isinstance(loc, int | np.integer) or not 0 <= loc < n_loc:
                    raise InputError(
                        f"vehicle {k.vehicle_id!r}: {attr} {loc!r} is not a matrix index "
                        f"in 0..{n_loc - 1}"
                    )
            for attr in ("earliest_start_s", "latest_end_s", "max_duration_s", "paid_hours"):
                _finite(getattr(k, attr), f"vehicle {k.vehicle_id!r} {attr}")
            if k.latest_end_s < k.earliest_start_s:
                raise InputError(
                    f"vehicle {k.vehicle_id!r}: latest_end_s {k.latest_end_s} is before "
                    f"earliest_start_s {k.earliest_start_s}"
                )
            if k.max_duration_s < 0 or k.paid_hours < 0:
                raise InputError(
                    f"vehicle {k.vehicle_id!r}: max_duration_s and paid_hours must be >= 0"
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
                {"group_id": g.group_id, "min_gap_s": g.min_gap_s, "max_per_route": g.max_per_route}
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
                }
                for v in self.visits
            ],
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, path: str | Path | None = None
    ) -> RoutingProblem:
        """Build from a ``planner.routing-problem/1`` dictionary (see module docstring)."""
        if not isinstance(data, Mapping):
            raise InputError("a routing problem must be a JSON object", path=path)
        if data.get("schema") != SCHEMA:
            raise InputError(
                f"unknown schema {data.get('schema')!r}: expected {SCHEMA!r}",
                path=path,
                field="schema",
            )
        try:
            mats = {}
            for mode, rows in data["travel_time_s"].items():
                mats[mode] = np.array(
                    [[math.inf if x is None else float(x) for x in row] for row in rows],
                    dtype=np.float64,
                ).reshape(len(rows), -1 if rows else 0)
            groups = tuple(
                Group(str(g["group_id"]), float(g["min_gap_s"]), int(g.get("max_per_route", 1)))
                for g in data.get("groups", [])
            )
            vehicles = tuple(
                Vehicle(
                    vehicle_id=str(k["vehicle_id"]),
                    mode=str(k["mode"]),
                    start_location=int(k["start_location"]),
                    end_location=int(k["end_location"]),
                    earliest_start_s=float(k["earliest_start_s"]),
                    latest_end_s=float(k["latest_end_s"]),
                    max_duration_s=float(k["max_duration_s"]),
                    paid_hours=float(k.get("paid_hours", 0.0)),
                )
                for k in data.get("vehicles", [])
            )
            visits = tuple(
                Visit(
                    visit_id=str(v["visit_id"]),
                    location=int(v["location"]),
                    service_s=float(v["service_s"]),
                    windows=tuple((float(lo), float(hi)) for lo, hi in v["windows"]),
                    prize=float(v["prize"]),
                    required=bool(v.get("required", False)),
                    group=None if v.get("group") is None else str(v["group"]),
                )
                for v in data.get("visits", [])
            )
            budget = data.get("budget_paid_hours")
            return cls(
                name=str(data.get("name", "")),
                visits=visits,
                vehicles=vehicles,
                groups=groups,
                travel_time_s=mats,
                budget_paid_hours=None if budget is None else float(budget),
                location_labels=tuple(str(s) for s in data.get("location_labels", [])),
            )
        except InputError as exc:
            raise InputError(exc.detail, path=path, field=exc.field) from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"malformed routing problem: {exc!r}", path=path) from exc

    def to_json(self, path: str | Path) -> None:
        """Write as ``planner.routing-problem/1`` JSON, atomically."""
        from planner.common import atomic_write_bytes

        payload = json.dumps(self.to_dict(), allow_nan=False, indent=None, separators=(",", ":"))
        atomic_write_bytes(path, payload.encode("utf-8"))

    @classmethod
    def from_json(cls, path: str | Path) -> RoutingProblem:
        """Read a ``planner.routing-problem/1`` JSON file."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read routing problem: {exc}", path=path) from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON: {exc}", path=path) from exc
        return cls.from_dict(data, path=path)


# ---------------------------------------------------------------------- benchmark readers
def _euclid(xy: np.ndarray) -> np.ndarray:
    diff = xy[:, None, :] - xy[None, :, :]
    return np.sqrt((diff**2).sum(axis=2))


def read_top(path: str | Path, m: int | None = None) -> RoutingProblem:
    """Read a Chao-Golden-Wasil TOP instance (``top/TOP_format.txt``).

    Header ``n N`` / ``m P`` / ``tmax T`` then ``x y S`` per point.  The first point is the
    start and the last point the end of every path; travel time is the unrounded Euclidean
    distance; each path's length must not exceed ``T``.  Visits are points ``1..N-2`` with
    window ``[0, T]`` and no service time; vehicles have ``latest_end_s = max_duration_s = T``.

    Parameters
    ----------
    path
        The instance file.
    m
        Number of paths; default: the file's ``P``.
    """
    path = Path(path)
    try:
        lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
        head = {ln[0]: ln[1] for ln in lines[:3]}
        n = int(head["n"])
        p = int(head["m"])
        tmax = float(head["tmax"])
        pts = np.array([[float(t) for t in ln[:3]] for ln in lines[3 : 3 + n]], dtype=np.float64)
    except (OSError, KeyError, ValueError, IndexError) as exc:
        raise InputError(f"not a TOP instance file: {exc!r}", path=path) from exc
    if pts.shape != (n, 3):
        raise InputError(f"header says {n} points but {pts.shape[0]} point lines", path=path)
    m = p if m is None else int(m)
    mat = _euclid(pts[:, :2])
    visits = tuple(
        Visit(
            visit_id=str(i),
            location=i,
            service_s=0.0,
            windows=((0.0, tmax),),
            prize=float(pts[i, 2]),
        )
        for i in range(1, n - 1)
    )
    vehicles = tuple(
        Vehicle(
            vehicle_id=f"path{k + 1}",
            mode="euclid",
            start_location=0,
            end_location=n - 1,
            earliest_start_s=0.0,
            latest_end_s=tmax,
            max_duration_s=tmax,
        )
        for k in range(m)
    )
    return RoutingProblem(
        name=f"{path.stem}" if m == p else f"{path.stem}-m{m}",
        visits=visits,
        vehicles=vehicles,
        groups=(),
        travel_time_s={"euclid": mat},
    )


def toptw_decimals(path: str | Path) -> int:
    """Decimals a TOPTW file's Euclidean distances are truncated to: 2 for ``pr*``, else 1.

    ``TOPTW_format.txt``: "rounded down to the first decimal for the Solomon instances and to
    the second decimal for the instances of Cordeau et al.".  The file itself does not say
    which family it is (its ``k`` header token is "not relevant"), so the family is told by
    the literature's file names: Cordeau et al.'s are ``pr01`` to ``pr10``, Solomon's
    ``c*``/``r*``/``rc*``.
    """
    return 2 if Path(path).stem.lower().startswith("pr") else 1


def read_toptw(path: str | Path, m: int, *, decimals: int | None = None) -> RoutingProblem:
    """Read a TOPTW instance on Solomon's or Cordeau et al.'s files (``toptw/TOPTW_format.txt``).

    The header is the first 6 whitespace tokens (``k v N t`` then ``D Q``), however the file
    wraps them: ``c204`` wraps its header differently from the rest.  Each following line is
    ``i x y d S f a [a items] O C``: service ``d``, score ``S``, start-of-service window
    ``[O, C]`` (wait if early; arriving after ``C`` is infeasible).  Vertex 0 is the depot; its
    last token ``C`` is ``Tmax``.  Travel time is the Euclidean distance *truncated* (the
    convention the best-known scores assume) to 1 decimal for the Solomon files and 2 for
    Cordeau et al.'s ``pr`` files (:func:`toptw_decimals`).

    Parameters
    ----------
    path
        The instance file.
    m
        Number of paths (not in the file; the ``m`` column of ``bks.csv``).
    decimals
        Truncate distances to this many decimals; default :func:`toptw_decimals` of ``path``.
    """
    path = Path(path)
    decimals = toptw_decimals(path) if decimals is None else int(decimals)
    try:
        raw_lines = [ln.split() for ln in path.read_text().splitlines()]
    except OSError as exc:
        raise InputError(f"cannot read TOPTW instance: {exc}", path=path) from exc
    # Consume exactly 6 header tokens, whatever the line wrapping.
    # If the 6th token is not the end of its line, the rest of that line is the first
    # vertex line (robust to any wrapping of the header).
    need = 6
    li = 0
    header: list[str] = []
    leftover: list[list[str]] = []
    while li < len(raw_lines) and len(header) < need:
        toks = raw_lines[li]
        take = toks[: need - len(header)]
        header.extend(take)
        if len(take) < len(toks):
            leftover = [toks[len(take) :]]
        li += 1
    if len(header) < need:
        raise InputError("file ends inside the 6-token header", path=path)
    try:
        n_customers = int(float(header[2]))
    except ValueError as exc:
        raise InputError(f"header token N is not a number: {header[2]!r}", path=path) from exc
    rows = [ln for ln in leftover + raw_lines[li:] if ln]
    pts = []
    for _r, toks in enumerate(rows):
        try:
            i = int(toks[0])
            x, y, d, s = (float(t) for t in toks[1:5])
            a = int(toks[6])
            o, c = float(toks[-2]), float(toks[-1])
        except (ValueError, IndexError) as exc:
            raise InputError(f"malformed vertex line: {' '.join(toks)!r}", path=path) from exc
        if len(toks) != 7 + a + 2 and i != 0:
            raise InputError(
                f"vertex {i}: expected {7 + a + 2} tokens (a={a}), got {len(toks)}", path=path
            )
        pts.append((i, x, y, d, s, o, c))
    if len(pts) != n_customers + 1:
        raise InputError(
            f"header says {n_customers} customers but found {len(pts) - 1} vertex lines "
            f"after the depot",
            path=path,
        )
    arr = np.array(pts, dtype=np.float64)
    if not np.array_equal(arr[:, 0], np.arange(len(pts))):
        raise InputError("vertex numbers must run 0, 1, 2, ...", path=path)
    # Truncate (not round), as the literature does.  The tiny epsilon keeps exact decimals
    # such as 12.3 (stored as 12.2999...) from dropping a unit; it cannot lift a value that is
    # truly below a unit, which lies at least ~1e-7 below it for these files' coordinates.
    dist = _euclid(arr[:, 1:3])
    unit = 10.0**decimals
    mat = np.floor(dist * unit + 1e-9) / unit
    tmax = float(arr[0, 6])
    visits = tuple(
        Visit(
            visit_id=str(int(arr[i, 0])),
            location=i,
            service_s=float(arr[i, 3]),
            windows=((float(arr[i, 5]), float(arr[i, 6])),),
            prize=float(arr[i, 4]),
        )
        for i in range(1, len(pts))
    )
    vehicles = tuple(
        Vehicle(
            vehicle_id=f"path{k + 1}",
            mode="euclid",
            start_location=0,
            end_location=0,
            earliest_start_s=0.0,
            latest_end_s=tmax,
            max_duration_s=tmax,
        )
        for k in range(int(m))
    )
    return RoutingProblem(
        name=f"{path.stem}-m{m}",
        visits=visits,
        vehicles=vehicles,
        groups=(),
        travel_time_s={"euclid": mat},
    )
