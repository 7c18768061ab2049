"""Crime records from data.police.uk street-level crime files, with every row accounted for.

The crime intake of the hot spot analysis (:mod:`planner.demand.hotspots`):

1. reads data.police.uk street-level crime CSVs exactly as published (one file per force and
   month, several at once) and accounts for every row: a row is either *kept* or rejected for
   exactly one reason (see :data:`REJECT_REASONS`), so ``rows_read == kept + sum(counts)``;
2. keeps the records inside the force area (a polygon in EPSG:27700, optionally buffered: the
   ONS "ultra generalised" force boundaries cut off real streets at the edge of small forces)
   and inside the part of it the road network covers, and of the configured crime types, and
   weights each by harm (:data:`planner.demand.harm.DEFAULT_HARM_WEIGHTS`). The two areas are
   separate reasons: a record outside the network's coverage is the force's crime all the same,
   and a network extract smaller than the force is worth knowing about
   (:attr:`CrimeIntake.coverage_share`).

data.police.uk locations are anonymised: each crime is moved to the nearest of a fixed set of
"snap points" (the centre of a street, a park, a station...), shown as "On or near ...".
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import shapely

from planner.common import STRAY_CONTROL_RE, check_input_file, decode_text, to_bng
from planner.demand.harm import CRIME_TYPES, resolve_harm_weights
from planner.errors import InputError
from planner.roads.network import check_crs_plausible

log = logging.getLogger(__name__)

#: Columns of a data.police.uk street-level crime file, in published order.
PUBLISHED_COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
#: Columns this module reads; a file without any of them is refused.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "Month",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA name",
    "Crime type",
)

#: Why a row is not kept, in the order the checks are made (a row gets the first that applies).
#: The crime type is checked before the location: a record of an excluded type was never going to
#: be used, so its missing coordinates are no loss.
REJECT_REASONS: Mapping[str, str] = MappingProxyType(
    {
        "malformed_row": "the row does not have as many fields as the header",
        "bad_month": "Month is not a valid YYYY-MM",
        "unknown_crime_type": "crime type is not in the harm table (not a data.police.uk category)",
        "excluded_crime_type": "crime type left out by configuration (crime_types)",
        "no_coordinates": "no coordinates (data.police.uk 'No Location' or blank)",
        "bad_coordinates": "coordinates are not numbers, or not in the United Kingdom",
        "outside_area": "outside the force area (plus buffer)",
        "outside_coverage": "outside the road network's coverage (inside the force area)",
        "excluded_place": "inside a place excluded from patrols by configuration (e.g. a prison)",
    }
)
#: Why a kept record is left out of every hot spot (segment method only).
TOO_FAR_FROM_ROAD = "too_far_from_road"

MAX_CRIME_FILE_BYTES = 200_000_000
"""Largest crime file read. The Met's busiest month is about 25 MB: this is eight of them, and
keeps the memory the intake needs (several times the file) within a laptop's."""

_MONTH_RE = r"\d{4}-(?:0[1-9]|1[0-2])"
_HEADER_DATA_RE = re.compile(r"^(?:[0-9a-f]{64}|\d{4}-\d{2}|-?\d+\.\d+)$")
# Longitude/latitude box of the UK (Great Britain and Northern Ireland) with a margin.
_UK_LON = (-8.7, 2.0)
_UK_LAT = (49.8, 61.0)


@dataclass(frozen=True)
class CrimeReject:
    """One input row not kept, or a kept record left out of every hot spot.

    Attributes
    ----------
    file
        The file the row is in.
    row
        1-based data row number in that file (header and blank lines not counted).
    reason
        A key of :data:`REJECT_REASONS`, or :data:`TOO_FAR_FROM_ROAD`.
    crime_type
        The row's ``Crime type`` as written.
    detail
        The offending value, where there is one (e.g. ``Longitude 'abc'``).
    """

    file: str
    row: int
    reason: str
    crime_type: str
    detail: str = ""

    def as_row(self) -> dict[str, object]:
        """The reject as a row of :data:`REJECT_COLUMNS`, with its reason explained."""
        explanation = REJECT_REASONS.get(self.reason, "")
        if self.reason == TOO_FAR_FROM_ROAD:
            explanation = "no main-network road within max_snap_m of the record"
        return {
            "file": self.file,
            "row": self.row,
            "reason": self.reason,
            "crime_type": self.crime_type,
            "detail": self.detail,
            "explanation": explanation,
        }


#: Columns of :meth:`CrimeIntake.reject_rows` and :meth:`HotspotResult.reject_rows`.
REJECT_COLUMNS: tuple[str, ...] = ("file", "row", "reason", "crime_type", "detail", "explanation")


@dataclass(frozen=True, eq=False)
class CrimeIntake:
    """Crime records read from data.police.uk files, weighted by harm, with what was rejected.

    Attributes
    ----------
    records
        Kept records, one row each: ``file``, ``row``, ``crime_id``, ``month``, ``crime_type``,
        ``x_m``, ``y_m`` (EPSG:27700), ``location``, ``lsoa_name``, ``falls_within``, ``harm``.
    rows_read
        Data rows in all files (``== len(records) + sum(counts.values())``).
    counts
        Rejected rows by reason (every key of :data:`REJECT_REASONS`, zeros included).
    rejects
        One entry per rejected row, in file and row order.
    files
        The files read, in the order given.
    rows_by_file
        Data rows in each file (a file with a header and no rows has 0).
    other_force_rows
        Rows whose ``Falls within`` is not ``force_name`` (0 if no force name was given). They
        are judged by location like any other row: ``other_force_kept`` of them were kept.
    other_force_kept
        Kept records of another force.
    force_name
        The expected ``Falls within``, if given.
    crime_types
        The crime types kept.
    harm_weights
        The harm table used, days per record.
    boundary_buffer_m
        Buffer added around the boundary, metres (``None`` if no boundary was given).
    coverage_share
        Of the records inside the force area (of a crime type kept, located), the share inside
        the road network's coverage; ``None`` if no coverage was given or no record is in the
        force area. Below 1, the network covers only part of the force's crime.
    """

    records: pd.DataFrame
    rows_read: int
    counts: dict[str, int]
    rejects: tuple[CrimeReject, ...]
    files: tuple[Path, ...]
    rows_by_file: dict[str, int]
    other_force_rows: int
    other_force_kept: int
    force_name: str | None
    crime_types: tuple[str, ...]
    harm_weights: dict[str, float]
    boundary_buffer_m: float | None
    coverage_share: float | None = None

    @property
    def n_kept(self) -> int:
        """Number of kept records."""
        return len(self.records)

    @property
    def total_harm(self) -> float:
        """Harm of all kept records, days."""
        return float(self.records["harm"].sum())

    @property
    def months(self) -> tuple[str, ...]:
        """Months of the kept records, sorted."""
        return tuple(sorted(self.records["month"].unique().tolist()))

    def reject_rows(self) -> list[dict[str, object]]:
        """One row per rejected input row (:data:`REJECT_COLUMNS`), for ``write_csv``."""
        return [r.as_row() for r in self.rejects]

    def summary(self) -> str:
        """Several lines: rows read per file, kept, and every reject reason with its count."""
        lines = [
            f"{self.rows_read:,} crime rows read from {len(self.files)} file(s); "
            f"{self.n_kept:,} kept (harm {self.total_harm:,.1f} days)"
        ]
        lines += [f"  {name}: {n:,} rows" for name, n in self.rows_by_file.items()]
        for reason, n in self.counts.items():
            if n:
                lines.append(f"  rejected {n:,}: {reason} ({REJECT_REASONS[reason]})")
        if self.coverage_share is not None:
            lines.append(
                f"  {self.coverage_share:.1%} of the records inside the force area are inside the "
                "road network's coverage"
            )
        if self.force_name is not None:
            lines.append(
                f"  {self.other_force_rows:,} rows fall within another force than "
                f"{self.force_name!r}; {self.other_force_kept:,} of them are in the area and kept"
            )
        return "\n".join(lines)


def _as_paths(paths: str | Path | Iterable[str | Path]) -> tuple[Path, ...]:
    if isinstance(paths, str | Path):
        return (Path(paths),)
    out = tuple(Path(p) for p in paths)
    if not out:
        raise InputError("no crime files given", field="paths")
    return out


def _read_one(
    path: Path, seen: dict[str, Path]
) -> tuple[list[str], list[list[str]], list[int], list[int]]:
    """Header, well-formed rows with their row numbers, and row numbers of malformed rows."""
    check_input_file(path, what="crime file", max_bytes=MAX_CRIME_FILE_BYTES, suffixes=(".csv",))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the crime file: {exc}", path=path) from None
    # The same file given twice (even under two names) would count every crime twice.
    digest = hashlib.sha256(data).hexdigest()
    if digest in seen:
        raise InputError(f"same content as {seen[digest]}; give each monthly file once", path=path)
    seen[digest] = path
    text = decode_text(data, path=path, what="crime file", allow_cp1252=True)
    if not text.strip():
        raise InputError(
            "file is empty; a data.police.uk street-level file starts with the header "
            f"{','.join(PUBLISHED_COLUMNS)}",
            path=path,
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [c.strip() for c in next(reader)]
        body = [r for r in reader if r]
    except csv.Error as exc:
        raise InputError(
            f"cannot parse as CSV at line {reader.line_num} ({exc}); is this a data.police.uk "
            "street-level CSV?",
            path=path,
        ) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        hint = ""
        if any(_HEADER_DATA_RE.match(c) for c in header):
            hint = (
                "; the first line looks like data, not a header: was the header stripped? "
                f"data.police.uk files start with {','.join(PUBLISHED_COLUMNS)}"
            )
        raise InputError(
            f"not a data.police.uk street-level crime file: missing column(s) "
            f"{', '.join(map(repr, missing))} (found: {', '.join(map(repr, header))}){hint}",
            path=path,
        )
    named = [c for c in header if c]
    twice = sorted({c for c in named if named.count(c) > 1})
    if twice:
        raise InputError(
            f"column(s) {', '.join(map(repr, twice))} appear more than once in the header; a "
            "data.police.uk file has each column once",
            path=path,
        )
    width = len(header)
    rows: list[list[str]] = []
    numbers: list[int] = []
    malformed: list[int] = []
    for k, r in enumerate(body, start=1):
        if len(r) == width:
            rows.append(r)
            numbers.append(k)
        else:
            malformed.append(k)
    if not body:
        log.warning("%s: header only, no crime rows", path)
    return header, rows, numbers, malformed


def read_crimes(
    paths: str | Path | Iterable[str | Path],
    *,
    boundary_m: shapely.Geometry | None = None,
    coverage_m: shapely.Geometry | None = None,
    buffer_m: float = 0.0,
    crime_types: Iterable[str] | None = None,
    harm_weights: Mapping[str, float] | None = None,
    force_name: str | None = None,
    exclude_m: shapely.Geometry | None = None,
) -> CrimeIntake:
    """Read data.police.uk street-level crime CSVs, keep the records in the area, weight by harm.

    Parameters
    ----------
    paths
        One or several ``YYYY-MM-<force>-street.csv`` files, as published.
    boundary_m
        Force area polygon in EPSG:27700 (e.g. from :func:`planner.roads.network.read_boundary`); rows
        outside it (plus ``buffer_m``) are rejected as ``outside_area``. ``None`` keeps every
        located row.
    coverage_m
        Where the road network has roads, EPSG:27700 (e.g.
        :func:`planner.planning.pipeline.network_coverage`); rows inside the force area but
        outside it (plus ``buffer_m``) are rejected as ``outside_coverage``, and
        :attr:`CrimeIntake.coverage_share` says how many of the force's records it holds.
        ``None``: the network covers the whole area.
    buffer_m
        Margin around the boundary and the coverage, metres. The ONS ultra-generalised force
        areas cut corners; for a small force such as the City of London use about 200 m.
    crime_types
        Crime types to keep (data.police.uk categories); ``None`` keeps all. Others are rejected
        as ``excluded_crime_type``.
    harm_weights
        Overrides of :data:`DEFAULT_HARM_WEIGHTS` (days per record), merged over the defaults.
    force_name
        The expected ``Falls within`` (e.g. ``"Leicestershire Police"``); rows of another force
        are counted (still judged by location).
    exclude_m
        Places patrols should not target (a prison, a police station), EPSG:27700 polygons;
        records inside are rejected as ``excluded_place``.

    Returns
    -------
    CrimeIntake
        Kept records and the account of every rejected row.

    Notes
    -----
    Each row gets the first failing check, in the order of :data:`REJECT_REASONS`: malformed
    row, month, crime type (unknown, then excluded), coordinates (missing, then unparseable or
    outside the UK), then the force area, then the network's coverage. Rows of another force are not rejected for that: they are
    counted in ``other_force_rows`` and judged like the others (a neighbouring force's crime
    recorded here may well be inside the area).

    Raises
    ------
    InputError
        A missing, empty, binary, UTF-16 or non-CSV file, a folder or a file over
        :data:`MAX_CRIME_FILE_BYTES` (text that is not UTF-8 is read as Windows-1252, with a
        warning); a file without the required columns (naming the file and the columns) or with
        a column twice; the same file given twice; unknown crime types in
        ``crime_types`` or ``harm_weights``; a negative ``buffer_m``; a boundary or coverage not
        in EPSG:27700.
    """
    files = _as_paths(paths)
    weights = resolve_harm_weights(harm_weights)
    wanted = _wanted_crime_types(crime_types, weights)
    area = _patrol_area(boundary_m, buffer_m, what="force boundary")
    covered = _patrol_area(coverage_m, buffer_m, what="road network coverage")
    df, malformed_rejects, rows_by_file = _read_files(files)

    records, rejects, other_force_rows, other_force_kept, coverage_share = _classify(
        df, weights, set(wanted), (area, covered), force_name, exclude_m
    )
    if malformed_rejects:
        order = {str(p): k for k, p in enumerate(files)}
        rejects = sorted(malformed_rejects + rejects, key=lambda r: (order[r.file], r.row))
    counts = dict.fromkeys(REJECT_REASONS, 0)
    for r in rejects:
        counts[r.reason] += 1
    intake = CrimeIntake(
        records=records,
        rows_read=sum(rows_by_file.values()),
        counts=counts,
        rejects=tuple(rejects),
        files=files,
        rows_by_file=rows_by_file,
        other_force_rows=other_force_rows,
        other_force_kept=other_force_kept,
        force_name=force_name,
        crime_types=wanted,
        harm_weights=weights,
        boundary_buffer_m=buffer_m if boundary_m is not None else None,
        coverage_share=coverage_share,
    )
    assert intake.rows_read == intake.n_kept + sum(counts.values()), "crime rows unaccounted for"
    log.info("%s", intake.summary())
    if area is not None and intake.n_kept == 0 and counts["outside_area"]:
        if counts["outside_coverage"]:
            log.warning(
                "no crime inside the road network's coverage: does the network extract cover "
                "the force area?"
            )
        else:
            log.warning(
                "no crime inside the force area: are the files and the boundary for the same force?"
            )
    return intake


def _wanted_crime_types(
    crime_types: Iterable[str] | None, weights: Mapping[str, float]
) -> tuple[str, ...]:
    """The crime types to keep, in the order given without repeats (all when ``None``)."""
    if crime_types is None:
        return tuple(CRIME_TYPES)
    wanted = tuple(dict.fromkeys(str(c) for c in crime_types))
    unknown = [c for c in wanted if c not in weights]
    if unknown:
        raise InputError(
            f"unknown crime type(s) {', '.join(map(repr, unknown))}; valid data.police.uk "
            f"categories are: {', '.join(CRIME_TYPES)}",
            field="crime_types",
        )
    return wanted


def _patrol_area(
    boundary_m: shapely.Geometry | None, buffer_m: float, *, what: str
) -> shapely.Geometry | None:
    """The boundary grown by ``buffer_m``, prepared for point tests (``None`` keeps everything)."""
    if not math.isfinite(buffer_m) or buffer_m < 0:
        raise InputError(f"buffer_m must be a finite number >= 0, got {buffer_m}", field="buffer_m")
    if boundary_m is None:
        return None
    check_crs_plausible(*shapely.bounds(boundary_m).tolist(), crs="EPSG:27700", what=what)
    area = shapely.buffer(boundary_m, buffer_m) if buffer_m > 0 else boundary_m
    shapely.prepare(area)
    return area


def _read_files(
    files: Sequence[Path],
) -> tuple[pd.DataFrame, list[CrimeReject], dict[str, int]]:
    """All files' well-formed rows as one text frame, their malformed rows, and rows per file.

    The frame has ``file`` and ``row`` (1-based data row number), then the
    :data:`PUBLISHED_COLUMNS` (blank where a file lacks an optional one).
    """
    frames: list[pd.DataFrame] = []
    malformed_rejects: list[CrimeReject] = []
    rows_by_file: dict[str, int] = {}
    seen: dict[str, Path] = {}
    for path in files:
        header, rows, numbers, malformed = _read_one(path, seen)
        name = str(path)
        rows_by_file[name] = len(rows) + len(malformed)
        malformed_rejects += [
            CrimeReject(name, k, "malformed_row", "", f"{len(header)} fields expected")
            for k in malformed
        ]
        frame = pd.DataFrame(rows, columns=header, dtype=object)
        # Unnamed columns ("" twice after a trailing comma) are not read; drop the repeats.
        frame = frame.loc[:, ~frame.columns.duplicated()]
        frame = frame.reindex(columns=[*PUBLISHED_COLUMNS], fill_value="")
        frame.insert(0, "row", np.asarray(numbers, dtype=np.int64))
        frame.insert(0, "file", name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True), malformed_rejects, rows_by_file


def _classify(
    df: pd.DataFrame,
    weights: Mapping[str, float],
    wanted: set[str],
    areas: tuple[shapely.Geometry | None, shapely.Geometry | None],
    force_name: str | None,
    exclude_m: shapely.Geometry | None = None,
) -> tuple[pd.DataFrame, list[CrimeReject], int, int, float | None]:
    """Give each row its first failing check (or keep it); vectorised over all rows.

    ``areas`` is the force area and the network's coverage (either ``None``: no check). Also
    returns the share of the rows inside the force area that are inside the coverage.
    """
    n = len(df)
    reason = np.full(n, "", dtype=object)
    detail = np.full(n, "", dtype=object)

    def flag(mask: np.ndarray, code: str, why: np.ndarray | None = None) -> None:
        sel = mask & (reason == "")
        reason[sel] = code
        if why is not None:
            detail[sel] = why[sel]

    month = df["Month"].str.strip()
    flag(
        ~month.str.fullmatch(_MONTH_RE).to_numpy(dtype=bool),
        "bad_month",
        ("Month " + month.map(repr)).to_numpy(dtype=object),
    )
    crime_type = df["Crime type"].str.strip()
    known = crime_type.isin(list(weights)).to_numpy(dtype=bool)
    flag(~known, "unknown_crime_type")
    flag(~crime_type.isin(list(wanted)).to_numpy(dtype=bool), "excluded_crime_type")

    lon_s = df["Longitude"].str.strip()
    lat_s = df["Latitude"].str.strip()
    blank = ((lon_s == "") | (lat_s == "")).to_numpy(dtype=bool)
    flag(blank, "no_coordinates", df["Location"].str.strip().to_numpy(dtype=object))
    lon = pd.to_numeric(lon_s, errors="coerce").to_numpy(dtype=np.float64)
    lat = pd.to_numeric(lat_s, errors="coerce").to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        in_uk = (
            (lon >= _UK_LON[0]) & (lon <= _UK_LON[1]) & (lat >= _UK_LAT[0]) & (lat <= _UK_LAT[1])
        )
    coord_text = ("Longitude " + lon_s.map(repr) + ", Latitude " + lat_s.map(repr)).to_numpy(
        dtype=object
    )
    flag(~in_uk, "bad_coordinates", coord_text)

    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    located = reason == ""
    if located.any():
        x[located], y[located] = to_bng().transform(lon[located], lat[located])
    area, covered = areas
    if area is not None:
        inside = np.zeros(n, dtype=bool)
        inside[located] = shapely.contains_xy(area, x[located], y[located])
        flag(~inside, "outside_area", coord_text)
    coverage_share = None
    if covered is not None:
        in_area = reason == ""
        inside = np.zeros(n, dtype=bool)
        inside[in_area] = shapely.contains_xy(covered, x[in_area], y[in_area])
        flag(~inside, "outside_coverage", coord_text)
        if in_area.any():
            coverage_share = float(inside.sum() / in_area.sum())
    if exclude_m is not None and not exclude_m.is_empty:
        excluded = np.zeros(n, dtype=bool)
        located = reason == ""
        excluded[located] = shapely.contains_xy(exclude_m, x[located], y[located])
        flag(excluded, "excluded_place", coord_text)

    keep = reason == ""
    other_force = np.zeros(n, dtype=bool)
    if force_name is not None:
        other_force = (
            df["Falls within"].str.strip().str.casefold() != force_name.strip().casefold()
        ).to_numpy(dtype=bool)
    kept = df.loc[keep]
    records = pd.DataFrame(
        {
            "file": kept["file"].to_numpy(dtype=object),
            "row": kept["row"].to_numpy(dtype=np.int64),
            "crime_id": kept["Crime ID"].str.strip().to_numpy(dtype=object),
            "month": month[keep].to_numpy(dtype=object),
            "crime_type": crime_type[keep].to_numpy(dtype=object),
            "x_m": x[keep],
            "y_m": y[keep],
            # Labels of hot spots and maps: no control characters (a NUL would cut them short).
            "location": _printable(kept["Location"]),
            "lsoa_name": _printable(kept["LSOA name"]),
            "falls_within": kept["Falls within"].str.strip().to_numpy(dtype=object),
            "harm": crime_type[keep].map(weights).to_numpy(dtype=np.float64),
        }
    )
    bad = np.flatnonzero(~keep)
    rejects = [
        CrimeReject(f, int(r), str(code), str(ct), str(d))
        for f, r, code, ct, d in zip(
            df["file"].to_numpy()[bad],
            df["row"].to_numpy()[bad],
            reason[bad],
            crime_type.to_numpy(dtype=object)[bad],
            detail[bad],
            strict=True,
        )
    ]
    return (
        records,
        rejects,
        int(other_force.sum()),
        int((other_force & keep).sum()),
        coverage_share,
    )


def _printable(column: pd.Series) -> np.ndarray:
    """A text column stripped, without control characters (tabs and line ends become spaces)."""
    text = column.str.replace(STRAY_CONTROL_RE, "", regex=True)
    return text.str.replace(r"[\t\r\n]", " ", regex=True).str.strip().to_numpy(dtype=object)
