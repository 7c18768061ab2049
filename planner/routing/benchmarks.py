"""Readers of the published team-orienteering benchmarks (TOP and TOPTW) as routing problems.

Chao, Golden and Wasil's TOP files and Solomon's / Cordeau et al.'s TOPTW files
(``../shared/bench``, whose README gives each family's distance convention), read into the
same :class:`~planner.routing.problem.RoutingProblem` the planner builds from a force's week,
so the solver is measured on them exactly as it runs on patrols.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from planner.errors import InputError
from planner.routing.problem import RoutingProblem, Vehicle, Visit


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
