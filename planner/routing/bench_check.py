"""Benchmark plan check: a TOP/TOPTW plan against its instance file, by the literature's rules.

:func:`validate_benchmark` re-reads the instance file itself and recomputes every travel time
from the file's coordinates by the family's published convention.  It shares no code with
:mod:`planner.routing.problem` (its readers and matrices) or the solver, so a plan scored on a
wrong matrix (a wrong truncation, a misread field) fails here even if the solver and
:func:`planner.routing.validate.validate` agree with each other.

Families and their travel time (``top/TOP_format.txt``, ``toptw/TOPTW_format.txt``):

``"top"``
    Chao, Golden & Wasil.  Unrounded Euclidean distance; the first point is every path's
    start, the last its end; a path's length must not exceed ``tmax``.  Computed with 50-digit
    :mod:`decimal` square roots and compared with a tolerance of ``TOP_TOL`` (1e-9), which
    absorbs the solvers' float rounding of irrational lengths only.
``"solomon"``
    TOPTW on Solomon's c/r/rc files: Euclidean distance truncated to 1 decimal.
``"cordeau"``
    TOPTW on Cordeau et al.'s pr01-pr10: Euclidean distance truncated to 2 decimals.

For both TOPTW families the check is exact: coordinates, times and scores are read as
:class:`fractions.Fraction`, and ``trunc_k(sqrt(D)) = isqrt(floor(D * 100**k)) / 10**k`` (exact
because ``(n + 1)**2`` is an integer), so no float tolerance is involved.  Each path leaves the
depot at its opening time, waits when early, must *start* service at vertex ``i`` by ``C_i``
(waiting for ``O_i`` if early), stays ``d_i`` and must be back at the depot by ``Tmax`` (the
depot's ``C``).  Leaving at the opening time gives every stop its earliest possible start, so
a visit order is feasible if and only if this schedule is.

A plan is either an object with ``routes`` of ``stops`` with ``visit_id`` (a
:class:`~planner.routing.solver.Solution`; its ``total_prize`` and, if present, each stop's
``start_s`` are checked too: no service may start earlier than the file's travel times
allow) or a plain sequence of visit sequences (vertex numbers, ints or strings).
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from planner.errors import InputError
from planner.routing.validate import ValidationReport

Family = Literal["top", "solomon", "cordeau"]
FAMILIES: tuple[Family, ...] = ("top", "solomon", "cordeau")
TRUNCATE_DECIMALS = {"solomon": 1, "cordeau": 2}
"""Decimals the TOPTW families' Euclidean distances are truncated to (``TOPTW_format.txt``)."""
TOP_TOL = 1e-9
"""Tolerance on a TOP path's length against ``tmax`` (float rounding of irrational lengths)."""
REPORTED_TOL_S = 1e-6
"""Tolerance on a plan's reported service starts (floats) against the exact earliest start."""


@dataclass(frozen=True)
class _Vertex:
    x: Fraction
    y: Fraction
    service: Fraction
    score: Fraction
    open: Fraction
    close: Fraction


@dataclass(frozen=True)
class _Instance:
    family: Family
    vertices: tuple[_Vertex, ...]
    start: int
    end: int
    tmax: Fraction
    m_file: int | None  # TOP's P; TOPTW files do not give m

    @property
    def customers(self) -> range:
        if self.family == "top":
            return range(1, len(self.vertices) - 1)
        return range(1, len(self.vertices))


def family_of(path: str | Path) -> Family:
    """The family of a shared benchmark file: TOP by its ``n`` header, else TOPTW by name.

    The TOPTW format does not name its family; the files of Cordeau et al. are ``pr01`` to
    ``pr10`` (folder ``pr01_10``), every other TOPTW file is Solomon-based.
    """
    path = Path(path)
    try:
        first = path.read_text().split(maxsplit=1)[:1]
    except OSError as exc:
        raise InputError(f"cannot read benchmark file: {exc}", path=path) from exc
    if first == ["n"]:
        return "top"
    return "cordeau" if path.stem.lower().startswith("pr") else "solomon"


def _read(path: Path, family: Family) -> _Instance:
    try:
        tokens = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
        if family == "top":
            return _read_top(tokens, family)
        return _read_toptw(tokens, family)
    except OSError as exc:
        raise InputError(f"cannot read benchmark file: {exc}", path=path) from exc
    except (KeyError, ValueError, IndexError, ZeroDivisionError) as exc:
        raise InputError(f"not a {family} benchmark file: {exc!r}", path=path) from exc


def _read_top(lines: list[list[str]], family: Family) -> _Instance:
    head = {ln[0]: ln[1] for ln in lines[:3]}
    n = int(head["n"])
    zero = Fraction(0)
    tmax = Fraction(head["tmax"])
    verts = tuple(
        _Vertex(Fraction(x), Fraction(y), zero, Fraction(s), zero, tmax)
        for x, y, s in (ln[:3] for ln in lines[3 : 3 + n])
    )
    if len(verts) != n:
        raise ValueError(f"header says {n} points, file has {len(verts)}")
    return _Instance(family, verts, 0, n - 1, tmax, int(head["m"]))


def _read_toptw(lines: list[list[str]], family: Family) -> _Instance:
    flat = [t for ln in lines for t in ln]
    n = int(flat[2])  # header: k v N t / D Q, however it is wrapped
    rest = flat[6:]
    verts = []
    pos = 0
    for i in range(n + 1):
        if int(rest[pos]) != i:
            raise ValueError(f"expected vertex {i}, found {rest[pos]!r}")
        x, y, d, s = (Fraction(t) for t in rest[pos + 1 : pos + 5])
        a = int(rest[pos + 6])  # length of the (irrelevant) list before O and C
        o, c = (Fraction(t) for t in rest[pos + 7 + a : pos + 9 + a])
        verts.append(_Vertex(x, y, d, s, o, c))
        pos += 9 + a
    if pos != len(rest):
        raise ValueError(f"{len(rest) - pos} tokens after vertex {n}")
    return _Instance(family, tuple(verts), 0, 0, verts[0].close, None)


def _truncated(a: _Vertex, b: _Vertex, decimals: int) -> Fraction:
    sq = (a.x - b.x) ** 2 + (a.y - b.y) ** 2
    scaled = sq * 100**decimals
    return Fraction(math.isqrt(scaled.numerator // scaled.denominator), 10**decimals)


def _unrounded(a: _Vertex, b: _Vertex) -> decimal.Decimal:
    sq = (a.x - b.x) ** 2 + (a.y - b.y) ** 2
    with decimal.localcontext() as ctx:
        ctx.prec = 50
        return (decimal.Decimal(sq.numerator) / decimal.Decimal(sq.denominator)).sqrt()


def travel_times(path: str | Path, family: str) -> list[list[float]]:
    """Every vertex pair's travel time by the family's convention (for cross-checks, reports).

    Vertices are numbered as in the file: TOPTW's ``i`` column, TOP's point order from 0.
    """
    inst = _read(Path(path), _family(family))
    check = _BenchCheck(inst)
    n = len(inst.vertices)
    return [[check.leg(i, j) for j in range(n)] for i in range(n)]


def _family(family: str) -> Family:
    for f in FAMILIES:
        if family == f:
            return f
    raise InputError(f"unknown benchmark family {family!r}: choose from {list(FAMILIES)}")


def _sequences(solution: Any) -> list[tuple[str, list[Any]]]:
    """``(label, stops)`` per route; a stop is the plan's stop object or a plain vertex id."""
    if hasattr(solution, "routes"):
        return [(str(r.vehicle_id), list(r.stops)) for r in solution.routes]
    return [(f"path{k + 1}", list(seq)) for k, seq in enumerate(solution)]


def validate_benchmark(
    path: str | Path, family: str, m: int | None, solution: Any
) -> ValidationReport:
    """Check a plan for a TOP/TOPTW benchmark file by the family's own rules.

    Parameters
    ----------
    path
        The instance file.
    family
        ``"top"``, ``"solomon"`` or ``"cordeau"`` (see the module docstring;
        :func:`family_of` tells them apart for the shared files).
    m
        Number of paths; ``None`` for TOP means the file's ``P`` (required for TOPTW).
    solution
        A plan (see the module docstring).

    Returns
    -------
    ValidationReport
        ``ok``, every broken rule, and the recomputed score and number of visits.
    """
    fam = _family(family)
    inst = _read(Path(path), fam)
    if m is None:
        if inst.m_file is None:
            raise InputError("TOPTW files do not give the number of paths: pass m", path=path)
        m = inst.m_file
    check = _BenchCheck(inst)
    routes = [(label, stops) for label, stops in _sequences(solution) if stops]
    if len(routes) > m:
        check.errs.append(f"{len(routes)} non-empty paths but only m = {m} are allowed")
    for label, stops in routes:
        check.route(label, stops)
    score = float(sum((inst.vertices[i].score for i in check.visited), Fraction(0)))
    reported = getattr(solution, "total_prize", None)
    if reported is not None and abs(float(reported) - score) > 1e-9 * max(1.0, score):
        check.errs.append(f"reported score {reported} but the visited vertices score {score}")
    return ValidationReport(
        ok=not check.errs, errors=tuple(check.errs), total_prize=score, n_served=len(check.visited)
    )


class _BenchCheck:
    """The rules, collecting broken ones in ``errs``."""

    def __init__(self, inst: _Instance) -> None:
        self.inst = inst
        self.visited: set[int] = set()
        self.errs: list[str] = []

    def top_leg(self, i: int, j: int) -> decimal.Decimal:
        return _unrounded(self.inst.vertices[i], self.inst.vertices[j])

    def toptw_leg(self, i: int, j: int) -> Fraction:
        decimals = TRUNCATE_DECIMALS[self.inst.family]
        return _truncated(self.inst.vertices[i], self.inst.vertices[j], decimals)

    def leg(self, i: int, j: int) -> float:
        """The travel time by the family's convention, as a float."""
        if self.inst.family == "top":
            return float(self.top_leg(i, j))
        return float(self.toptw_leg(i, j))

    def vertex(self, label: str, stop: Any) -> int | None:
        raw = getattr(stop, "visit_id", stop)
        try:
            i = int(raw)
        except (TypeError, ValueError):
            self.errs.append(f"{label}: {raw!r} is not a vertex number")
            return None
        if i not in self.inst.customers:
            self.errs.append(f"{label}: vertex {i} is not a customer of this instance")
            return None
        if i in self.visited:
            self.errs.append(f"{label}: vertex {i} is visited twice")
            return None
        self.visited.add(i)
        return i

    def route(self, label: str, stops: Sequence[Any]) -> None:
        if self.inst.family == "top":
            self.top_route(label, stops)
        else:
            self.toptw_route(label, stops)

    def top_route(self, label: str, stops: Sequence[Any]) -> None:
        prev = self.inst.start
        length = decimal.Decimal(0)
        for stop in stops:
            i = self.vertex(label, stop)
            if i is not None:
                length += self.top_leg(prev, i)
                prev = i
        length += self.top_leg(prev, self.inst.end)
        tmax = self.inst.tmax
        if float(length) > float(tmax) + TOP_TOL:
            self.errs.append(
                f"{label}: path length {float(length):.12g} exceeds tmax {float(tmax):g}"
            )

    def toptw_route(self, label: str, stops: Sequence[Any]) -> None:
        verts = self.inst.vertices
        prev = self.inst.start
        t = verts[prev].open  # leave the depot as early as it opens
        for stop in stops:
            i = self.vertex(label, stop)
            if i is None:
                continue
            v = verts[i]
            start = max(t + self.toptw_leg(prev, i), v.open)
            if start > v.close:
                self.errs.append(
                    f"{label}: service at vertex {i} cannot start before {float(start):g}, "
                    f"after its window closes at {float(v.close):g}"
                )
            reported = getattr(stop, "start_s", None)
            if reported is not None and float(reported) < float(start) - REPORTED_TOL_S:
                self.errs.append(
                    f"{label}: service at vertex {i} reported to start at {reported}, before "
                    f"the earliest possible {float(start):g}"
                )
            t = start + v.service
            prev = i
        back = t + self.toptw_leg(prev, self.inst.end)
        if back > self.inst.tmax:
            self.errs.append(
                f"{label}: back at the depot at {float(back):g} at the earliest, after "
                f"Tmax {float(self.inst.tmax):g}"
            )
