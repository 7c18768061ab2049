"""Units' GPS tracks: GPX 1.1 ``<trk>`` files and CSV exports, read into one array per unit.

Two shapes are read, the shapes of common vehicle (AVL), radio and body-worn device exports:

* **GPX 1.1** (``.gpx``): every ``<trk>`` is one unit's track, named by its ``<name>`` (the
  unit id) or, without one, by the file's stem; its ``<trkpt lat lon>`` points each need a
  ``<time>``. A file holding a ``<!DOCTYPE`` or ``<!ENTITY`` declaration is refused before it is
  parsed: a GPX file needs neither, and entity declarations are how an XML file makes a parser
  expand text without end (the "billion laughs" attack). A ``row`` in a GPX file's messages is
  the number of the track point in the file, counting from 1.
* **CSV** (any other suffix): columns ``unit``, ``timestamp``, ``lat``, ``lon`` (also read
  under the names in :data:`CSV_ALIASES`), one row per point; ``row`` counts data rows from 1.

Timestamps are ISO 8601 with their UTC offset or ``Z`` (``2026-12-01T08:00:05Z``,
``2026-12-01 08:00:05+00:00``); any offset is fine, every time is converted to UTC. A time
without an offset is refused (its file, row and field named) unless a time zone is given
(``--tz Europe/London``): then it is that zone's wall-clock time. In the hour repeated when
the clocks go back, such a time is the first of the two unless it would go back in time from
the unit's previous point in the file, when it is the second.

**Errors** stop the command (:class:`~planner.errors.InputError`, naming the file, the row,
the field and the fix): a file that is not a track file, a missing column, a time without an
offset, a timestamp or coordinate that is not one. **Rejects** are single points dropped and
reported (``tracks_rejects.csv``), because real exports hold a few of them and the rest of the
track is still good: a point without a timestamp, without a position, with a position outside
Great Britain (a receiver without a fix often reports 0, 0), of a unit the plan does not
know, outside the plan's week, or a duplicate (the same unit at the same instant again: the
first point read is kept).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from planner.common import (
    PLAIN_NUMBER_RE,
    check_input_file,
    decode_text,
    lonlat_problem,
    read_text,
    to_bng,
)
from planner.errors import InputError

#: Largest track file read (a week of 5-second points for a dozen units is about 100 MB).
MAX_TRACK_BYTES = 500_000_000
#: Other names for the CSV's columns, as AVL and radio exports name them (lower case).
CSV_ALIASES: dict[str, tuple[str, ...]] = {
    "unit": ("unit", "unit_id", "callsign", "vehicle"),
    "timestamp": ("timestamp", "time", "datetime", "date_time"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "long", "longitude"),
}
_DECLARATION_RE = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_NAIVE_FIX = (
    "give times with their UTC offset (2026-12-01T08:00:05Z or 2026-12-01T08:00:05+00:00), "
    "or pass --tz Europe/London if they are local wall-clock times"
)


@dataclass(frozen=True)
class Reject:
    """A track point dropped, and why (a row of ``tracks_rejects.csv``).

    ``reason`` is one of a few short categories (counted in the report); ``detail`` says more.
    """

    file: str
    row: int
    unit: str
    timestamp: str
    lat: str
    lon: str
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class UnitTrack:
    """One unit's points, sorted by time, one per instant: UTC epoch seconds and BNG metres."""

    unit_id: str
    t_s: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray

    def __len__(self) -> int:
        return len(self.t_s)


@dataclass(frozen=True)
class Tracks:
    """Every unit's track, the points rejected, and the files read."""

    units: dict[str, UnitTrack]
    rejects: tuple[Reject, ...]
    files: tuple[Path, ...]
    points_read: int

    @property
    def points_kept(self) -> int:
        """Points matched against the plan."""
        return sum(len(t) for t in self.units.values())

    def reject_counts(self) -> Counter[str]:
        """Rejected points by reason."""
        return Counter(r.reason for r in self.rejects)


@dataclass
class _Raw:
    """Points as read, before the plan's units and week are applied."""

    unit: list[str] = field(default_factory=list)
    t_s: list[float] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    where: list[tuple[str, int, str, str, str]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    last_s: dict[tuple[str, str], float] = field(default_factory=dict)

    def add(
        self, path: Path, row: int, unit: str, ts: str, lat: str, lon: str, tz: ZoneInfo | None
    ) -> None:
        """Check one point; keep it, reject it, or raise for an error."""
        name = str(path)
        if not unit:
            self.rejects.append(Reject(name, row, unit, ts, lat, lon, "no unit"))
            return
        if not ts:
            self.rejects.append(Reject(name, row, unit, ts, lat, lon, "no timestamp"))
            return
        if not lat or not lon:
            self.rejects.append(Reject(name, row, unit, ts, lat, lon, "no position"))
            return
        lat_v = _number(lat, path, row, "lat")
        lon_v = _number(lon, path, row, "lon")
        problem = lonlat_problem(lon_v, lat_v)
        if problem is not None:
            self.rejects.append(
                Reject(name, row, unit, ts, lat, lon, "position outside Great Britain", problem)
            )
            return
        key = (name, unit)
        t = parse_timestamp(ts, tz, path=path, row=row, after_s=self.last_s.get(key))
        t_s = t.timestamp()
        self.last_s[key] = t_s
        self.unit.append(unit)
        self.t_s.append(t_s)
        self.lat.append(lat_v)
        self.lon.append(lon_v)
        self.where.append((name, row, ts, lat, lon))


def _number(text: str, path: Path, row: int, field_name: str) -> float:
    if not PLAIN_NUMBER_RE.fullmatch(text):
        raise InputError(
            f"{text!r} is not a number; write decimal degrees such as 52.8 (lat) or -1.05 (lon)",
            path=path,
            row=row,
            field=field_name,
        )
    return float(text)


def parse_timestamp(
    text: str,
    tz: ZoneInfo | None,
    *,
    path: str | Path | None = None,
    row: int | None = None,
    after_s: float | None = None,
) -> dt.datetime:
    """An ISO 8601 timestamp as a UTC datetime (see the module docstring for the rules).

    Parameters
    ----------
    text
        The timestamp as written.
    tz
        The zone of times written without an offset; ``None`` refuses them.
    path, row
        Where the timestamp is, for messages.
    after_s
        The unit's previous time in the file (UTC epoch seconds): picks the second of two
        readings of a local time in the hour repeated when the clocks go back.

    Raises
    ------
    InputError
        Not a date and time, or no offset and no ``tz``.
    """
    try:
        if not _TIMESTAMP_RE.match(text):
            raise ValueError(text)
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{text!r} is not an ISO 8601 date and time; write e.g. 2026-12-01T08:00:05Z",
            path=path,
            row=row,
            field="timestamp",
        ) from None
    if t.tzinfo is None:
        if tz is None:
            raise InputError(
                f"{text!r} has no time zone (no UTC offset, no Z); {_NAIVE_FIX}",
                path=path,
                row=row,
                field="timestamp",
            )
        first = t.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)
        second = t.replace(tzinfo=tz, fold=1).astimezone(dt.UTC)
        # In the repeated autumn hour the wall time names two instants: going back in time
        # from the unit's last point means the clocks went back, so it is the second.
        if first != second and after_s is not None and first.timestamp() < after_s:
            return second
        return first
    return t.astimezone(dt.UTC)


def _local(tag: str) -> str:
    """An element's name without its namespace (GPX 1.1, 1.0 or none)."""
    return tag.rsplit("}", 1)[-1]


def _child_text(elem: ET.Element, name: str) -> str:
    for child in elem:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def read_gpx(path: Path, raw: _Raw, tz: ZoneInfo | None) -> None:
    """Read a GPX file's ``<trk>`` points into ``raw`` (see the module docstring)."""
    check_input_file(path, what="GPX track", max_bytes=MAX_TRACK_BYTES)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the GPX track: {exc}", path=path) from None
    text = decode_text(data, path=path, what="GPX track")
    found = _DECLARATION_RE.search(text)
    if found:
        raise InputError(
            f"holds a <!{found.group(1).upper()} declaration, which a GPX file never needs and "
            "which can make an XML parser expand entities without end; export the track again "
            "or delete the declaration",
            path=path,
            field=found.group(1).upper(),
        )
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line, col = exc.position
        raise InputError(
            f"not valid XML at line {line}, column {col} ({exc}); export the GPX file again",
            path=path,
        ) from None
    if _local(root.tag) != "gpx":
        raise InputError(
            f"is not a GPX file: its root element is <{_local(root.tag)}>, not <gpx>; give GPX "
            "1.1 tracks or a CSV with columns unit, timestamp, lat, lon",
            path=path,
        )
    n = 0
    for trk in root:
        if _local(trk.tag) != "trk":
            continue
        unit = _child_text(trk, "name") or path.stem
        for pt in trk.iter():
            if _local(pt.tag) != "trkpt":
                continue
            n += 1
            raw.add(
                path,
                n,
                unit,
                _child_text(pt, "time"),
                (pt.get("lat") or "").strip(),
                (pt.get("lon") or "").strip(),
                tz,
            )
    if n == 0:
        raise InputError(
            "holds no track points (<trk><trkseg><trkpt>); routes (<rte>) and waypoints are "
            "plans, not tracks: give the units' recorded GPS tracks",
            path=path,
        )


def read_csv_track(path: Path, raw: _Raw, tz: ZoneInfo | None) -> None:
    """Read a CSV track file (columns unit, timestamp, lat, lon) into ``raw``."""
    text = read_text(path, what="track CSV", allow_cp1252=True, max_bytes=MAX_TRACK_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise InputError("is empty; give a CSV with a header row unit,timestamp,lat,lon", path=path)
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    col: dict[str, int] = {}
    for key, aliases in CSV_ALIASES.items():
        idx = next((names.index(a) for a in aliases if a in names), None)
        if idx is None:
            raise InputError(
                f"has no {key!r} column (the header is {', '.join(header)}); a track CSV needs "
                "the columns unit, timestamp, lat, lon",
                path=path,
                field=key,
            )
        col[key] = idx
    for row, cells in enumerate(reader, start=1):
        if not any(c.strip() for c in cells):
            continue

        def cell(key: str, cells: list[str] = cells) -> str:
            i = col[key]
            return cells[i].strip() if i < len(cells) else ""

        raw.add(path, row, cell("unit"), cell("timestamp"), cell("lat"), cell("lon"), tz)


def read_tracks(
    paths: Sequence[str | Path],
    *,
    units: Iterable[str],
    start: dt.datetime,
    end: dt.datetime,
    tz: ZoneInfo | None = None,
) -> Tracks:
    """Read track files; reject points of unknown units, outside ``[start, end)`` and duplicates.

    Parameters
    ----------
    paths
        GPX (``.gpx``) and CSV files.
    units
        The plan's unit ids.
    start, end
        The plan's week (aware datetimes): points outside are rejected.
    tz
        The zone of timestamps written without an offset (``None``: they are an error).

    Raises
    ------
    InputError
        For a file that cannot be read as tracks (see the module docstring).
    """
    raw = _Raw()
    files = tuple(Path(p) for p in paths)
    for path in files:
        if path.suffix.lower() == ".gpx":
            read_gpx(path, raw, tz)
        else:
            read_csv_track(path, raw, tz)
    known = set(units)
    lo_s, hi_s = start.timestamp(), end.timestamp()
    keep: dict[str, list[int]] = {}
    rejects = list(raw.rejects)
    for i, unit in enumerate(raw.unit):
        name, row, ts, lat, lon = raw.where[i]
        if unit not in known:
            detail = f"the plan's units are {', '.join(sorted(known))}"
            rejects.append(Reject(name, row, unit, ts, lat, lon, "unit not in the plan", detail))
        elif not lo_s <= raw.t_s[i] < hi_s:
            detail = f"the plan runs from {start.isoformat()} to {end.isoformat()}"
            rejects.append(Reject(name, row, unit, ts, lat, lon, "outside the plan's week", detail))
        else:
            keep.setdefault(unit, []).append(i)
    t_all = np.asarray(raw.t_s, dtype=float)
    x_all, y_all = (
        to_bng().transform(np.asarray(raw.lon, dtype=float), np.asarray(raw.lat, dtype=float))
        if raw.t_s
        else (np.zeros(0), np.zeros(0))
    )
    out: dict[str, UnitTrack] = {}
    for unit, idx_list in sorted(keep.items()):
        idx = np.asarray(idx_list, dtype=int)
        idx = idx[np.argsort(t_all[idx], kind="stable")]
        t = t_all[idx]
        dup = np.zeros(len(t), dtype=bool)
        dup[1:] = t[1:] == t[:-1]
        for i in idx[dup]:
            name, row, ts, lat, lon = raw.where[i]
            rejects.append(
                Reject(name, row, unit, ts, lat, lon, "duplicate point", "same unit, same time")
            )
        idx = idx[~dup]
        out[unit] = UnitTrack(unit, t_all[idx], np.asarray(x_all)[idx], np.asarray(y_all)[idx])
    rejects.sort(key=lambda r: (r.file, r.row))
    return Tracks(
        units=out,
        rejects=tuple(rejects),
        files=files,
        points_read=len(raw.unit) + len(raw.rejects),
    )
