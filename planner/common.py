"""Shared constants and helpers that every stage of the pipeline uses.

One home for what would otherwise be copied: the coordinate transformers between WGS84 and
the British National Grid, the planning time zone and day names, the default boundary buffer
and snap distance, and atomic file writing (every output goes through a temporary file and a
rename, so a crash never leaves a half-written file).
"""

from __future__ import annotations

import csv
import functools
import io
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import pyproj

WGS84 = 4326
"""EPSG code of longitude/latitude (GPS, OpenStreetMap, data.police.uk)."""
BNG = 27700
"""EPSG code of the British National Grid, the planner's working CRS (metres)."""

LONDON = ZoneInfo("Europe/London")
"""Time zone of every local time a user reads or writes (windows, shifts, briefings)."""
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
"""Day names in ``datetime.weekday()`` order."""

DEFAULT_BUFFER_M = 500.0
"""Road network kept beyond a force boundary, so routes near the edge are not cut."""
DEFAULT_MAX_SNAP_M = 300.0
"""Farthest a site may be from the nearest kept road before it is reported unlocated."""


@functools.cache
def transformer(from_epsg: int, to_epsg: int) -> pyproj.Transformer:
    """The cached ``always_xy`` transformer between two EPSG codes (x/lon first)."""
    return pyproj.Transformer.from_crs(from_epsg, to_epsg, always_xy=True)


def to_bng() -> pyproj.Transformer:
    """WGS84 longitude/latitude to British National Grid easting/northing."""
    return transformer(WGS84, BNG)


def to_wgs84() -> pyproj.Transformer:
    """British National Grid easting/northing to WGS84 longitude/latitude."""
    return transformer(BNG, WGS84)


def atomic_write_bytes(path: str | Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` via a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def write_csv(
    path: str | Path, rows: Iterable[Mapping[str, object]], columns: Sequence[str]
) -> Path:
    """Write ``rows`` with the given ``columns`` to ``path`` atomically (UTF-8, LF line ends)."""
    buf = io.StringIO()
    writer = csv.DictWriter(
        buf, fieldnames=list(columns), lineterminator="\n", extrasaction="raise"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    atomic_write_bytes(path, buf.getvalue().encode("utf-8"))
    return Path(path)
