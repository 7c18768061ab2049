"""Site locations from CSV, GeoJSON or GeoPackage, in British National Grid metres.

A site file has a unique ``site_id`` per row and a location given either as ``lon``/``lat``
(WGS84 degrees) or as ``easting``/``northing`` (EPSG:27700 metres). A row with neither (for
example only a ``postcode``: nothing is geocoded here) is kept as *unlocated*, so that it is
reported rather than lost. Spatial files (GeoJSON, GeoPackage) use their point geometry and CRS.

Reading is strict, so that a mistake is a one-line error rather than a wrong plan (README.md,
"Site files"): at most :data:`MAX_SITE_ROWS` rows and :data:`MAX_SITE_FILE_BYTES` bytes; CSV
in UTF-8, or Windows-1252 with a warning; every row as many fields as the header; printable
ids; coordinates in Great Britain. Control characters are removed from the other cells, with a
warning naming the row.
"""

from __future__ import annotations

import csv
import io
import itertools
import logging
import math
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.common import (
    PLAIN_NUMBER_RE,
    bng_problem,
    check_input_file,
    has_stray_control,
    lonlat_problem,
    read_text,
    strip_control,
    to_bng,
    unprintable_characters,
)
from planner.errors import InputError
from planner.roads.network import CRS_BNG

log = logging.getLogger(__name__)

MAX_SITE_ROWS = 20_000
"""Most site rows in one file. The largest force (the Met) has about 650 places of worship and
73 MPs: 20,000 is ten times any force's needs, and still plans in minutes, not hours."""
MAX_SITE_FILE_BYTES = 20_000_000
"""Largest site file: 1,000 bytes for each of :data:`MAX_SITE_ROWS` rows (a row is ~150)."""
SITE_SUFFIXES = (".csv", ".geojson", ".json", ".gpkg")
"""File types a site file may be."""
COORDINATE_COLUMNS = ("lon", "lat", "easting", "northing")

# A row giving both pairs must give the same place: a street's length allows for rounding and
# for two geocoders; rows mixed up in a spreadsheet are kilometres apart.
_PAIR_AGREE_M = 250.0
_NOT_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
# Warn for the first rows with control characters, then once with the count.
_MAX_ROW_WARNINGS = 10
_QUOTE_HINT = (
    "put a cell holding commas, quotes or line breaks in double quotes, and double any quote "
    'inside it ("Mosque ""Al-Noor""")'
)


@dataclass(frozen=True, eq=False)
class SitePoints:
    """Site ids and locations in EPSG:27700 (NaN where a row had no location).

    Attributes
    ----------
    path
        The file read.
    site_id
        One id per row, unique.
    x_m, y_m
        Eastings and northings, metres.
    attributes
        The other columns of each row, as text (names, kinds...), for reports and maps.
    """

    path: Path
    site_id: tuple[str, ...]
    x_m: np.ndarray
    y_m: np.ndarray
    attributes: tuple[dict[str, str], ...]

    def __len__(self) -> int:
        return len(self.site_id)

    @property
    def unlocated(self) -> tuple[str, ...]:
        """Ids of rows without usable coordinates."""
        bad = ~(np.isfinite(self.x_m) & np.isfinite(self.y_m))
        return tuple(s for s, b in zip(self.site_id, bad, strict=True) if b)


def parse_number(text: str, *, path: Path, row: int, field: str, where: str = "") -> float:
    """A cell as a finite number; NaN if it is empty.

    Raises
    ------
    InputError
        Naming the file, row and field: not a number (NaN included), or not finite.
    """
    value = text.strip()
    if value == "":
        return math.nan
    if value.lower() in _NOT_FINITE:
        what = "not a number" if "nan" in value.lower() else "not finite"
        raise InputError(
            f"{value!r} is {what}; write a number, e.g. 52.6712{where}",
            path=path,
            row=row,
            field=field,
        )
    if not PLAIN_NUMBER_RE.fullmatch(value):
        hint = "; use a point as the decimal separator" if "," in value else ""
        raise InputError(
            f"{value!r} is not a number; write it as e.g. 52.6712{hint}{where}",
            path=path,
            row=row,
            field=field,
        )
    number = float(value)
    if not math.isfinite(number):
        raise InputError(
            f"{value!r} is not finite; write a number, e.g. 52.6712{where}",
            path=path,
            row=row,
            field=field,
        )
    return number


@dataclass
class _Rows:
    """Rows being read: checked ids, coordinates and cleaned attributes."""

    path: Path
    ids: list[str] = field(default_factory=list)
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    attrs: list[dict[str, str]] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)
    cleaned_rows: int = 0

    def add(
        self, row: int, sid: str, x: float, y: float, attrs: dict[str, str], where: str
    ) -> None:
        """Check the id, clean the attributes and keep the row."""
        if not sid:
            raise InputError(
                f"empty site_id; give every site a unique id{where}",
                path=self.path,
                row=row,
                field="site_id",
            )
        bad = unprintable_characters(sid)
        if bad:
            raise InputError(
                f"site_id {sid!r} contains {', '.join(bad)}; ids must be printable text "
                f"(letters, digits, punctuation, plain spaces){where}",
                path=self.path,
                row=row,
                field="site_id",
            )
        if sid in self.seen:
            raise InputError(
                f"site_id {sid!r} repeats row {self.seen[sid]}; ids must be unique{where}",
                path=self.path,
                row=row,
                field="site_id",
            )
        self.seen[sid] = row
        # isprintable() is quick, and true for almost every cell: only the rest are cleaned.
        dirty = {k: v for k, v in attrs.items() if not v.isprintable()}
        changed = [k for k, v in dirty.items() if has_stray_control(v)]
        if changed:
            self.cleaned_rows += 1
            if self.cleaned_rows <= _MAX_ROW_WARNINGS:
                log.warning(
                    "%s, row %d: removed control characters from %s",
                    self.path,
                    row,
                    ", ".join(changed),
                )
        self.ids.append(sid)
        self.xs.append(x)
        self.ys.append(y)
        attrs.update((k, strip_control(v).strip()) for k, v in dirty.items())
        self.attrs.append(attrs)

    def points(self) -> SitePoints:
        """The rows read, as :class:`SitePoints`."""
        if self.cleaned_rows > _MAX_ROW_WARNINGS:
            log.warning(
                "%s: removed control characters from %d rows in all",
                self.path,
                self.cleaned_rows,
            )
        return SitePoints(
            path=self.path,
            site_id=tuple(self.ids),
            x_m=np.asarray(self.xs, dtype=float),
            y_m=np.asarray(self.ys, dtype=float),
            attributes=tuple(self.attrs),
        )


def read_site_points(path: str | Path) -> SitePoints:
    """Read site locations from ``.csv``, ``.geojson``/``.json`` or ``.gpkg``.

    Raises
    ------
    InputError
        Naming the file, row and field: a missing file or a folder; a file over
        :data:`MAX_SITE_FILE_BYTES` or :data:`MAX_SITE_ROWS`; UTF-16 or binary text; a CSV row
        with more or fewer fields than the header; an empty, header-only or unparseable file;
        duplicate, unnamed or missing columns; a duplicate, empty or unprintable id; a
        coordinate that is not a finite number, is half a pair, or is outside Great Britain.
    """
    path = Path(path)
    check_input_file(path, what="site file", max_bytes=MAX_SITE_FILE_BYTES, suffixes=SITE_SUFFIXES)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in {".geojson", ".json", ".gpkg"}:
        return _read_spatial(path)
    raise InputError("unknown site file type; use .csv, .geojson or .gpkg", path=path)


def _sheet(sheet_row: int) -> str:
    # InputError's row counts data rows; a spreadsheet also counts the header line.
    return f" (spreadsheet row {sheet_row})"


def _csv_records(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    """Each record with its spreadsheet row number (the header is row 1)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    sheet_row = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(
                f"cannot read as CSV at line {reader.line_num} ({exc}); {_QUOTE_HINT}",
                path=path,
            ) from None
        sheet_row += 1
        yield sheet_row, record


def _read_csv(path: Path) -> SitePoints:
    text = read_text(path, what="site file", allow_cp1252=True, max_bytes=MAX_SITE_FILE_BYTES)
    if text.count("\n") > MAX_SITE_ROWS and _too_many_rows(text):
        raise _rows_error(path)
    records = _csv_records(path, text)
    header = next((rec for _, rec in records if any(c.strip() for c in rec)), None)
    if header is None:
        raise InputError(
            "the site file is empty; it starts with a header row such as "
            "site_id,name,kind,risk,lon,lat,windows",
            path=path,
        )
    columns = _check_header(path, [c.strip() for c in header])
    width = len(columns)
    rows = _Rows(path)
    lonlat: list[tuple[int, int, float, float, float, float]] = []
    row = 0
    for sheet_row, rec in records:
        if not any(c.strip() for c in rec):
            continue  # blank lines and rows of empty cells (spreadsheets export these)
        row += 1
        if row > MAX_SITE_ROWS:
            raise _rows_error(path)
        where = _sheet(sheet_row)
        if len(rec) != width:
            raise _width_error(path, row, where, rec, columns)
        values: dict[str, str] = {}
        for k, (name, cell) in enumerate(zip(columns, rec, strict=True)):
            if name:
                values[name] = cell.strip()
            elif cell.strip():
                raise InputError(
                    f"a value {cell.strip()!r} in column {_letters(k)}, which has no name in "
                    f"the header; name the column or delete the value{where}",
                    path=path,
                    row=row,
                )
        x, y, ll = _row_point(path, row, where, values)
        if ll is not None:
            lonlat.append((len(rows.ids), row, *ll, x, y))
        attrs = {k: v for k, v in values.items() if k not in {"site_id", *COORDINATE_COLUMNS}}
        rows.add(row, values["site_id"], x, y, attrs, where)
    if row == 0:
        raise InputError(
            "the site file has a header but no site rows; add sites, or take the file out of "
            "the config's sites list",
            path=path,
        )
    if lonlat:
        _place_lonlat(path, rows, lonlat)
    return rows.points()


def _too_many_rows(text: str) -> bool:
    """Whether the CSV has more than :data:`MAX_SITE_ROWS` non-blank rows below its header.

    Counted before any row is looked at, so that a huge file fails at once; a file that is not
    CSV is left to the reader to report.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = (r for r in reader if any(c.strip() for c in r))
    try:
        return sum(1 for _ in itertools.islice(rows, MAX_SITE_ROWS + 2)) > MAX_SITE_ROWS + 1
    except csv.Error:
        return False


def _rows_error(path: Path) -> InputError:
    return InputError(
        f"more than {MAX_SITE_ROWS:,} site rows; the planner reads at most {MAX_SITE_ROWS:,} "
        "per file (README.md, 'Site files'): split the file",
        path=path,
    )


def _letters(index: int) -> str:
    """Spreadsheet column letters of a 0-based column index: 0 -> A, 26 -> AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(ord("A") + rem) + out
    return out


def _check_header(path: Path, columns: list[str]) -> list[str]:
    """The header's column names, checked: no duplicates, ``site_id`` and a coordinate pair."""
    first: dict[str, int] = {}
    for k, name in enumerate(columns):
        if not name:
            continue
        if name in first:
            raise InputError(
                f"column {name!r} appears twice in the header (columns {_letters(first[name])} "
                f"and {_letters(k)}); keep one",
                path=path,
                field=name,
            )
        first[name] = k
    if "site_id" not in first:
        hint = ""
        if len(columns) == 1 and any(sep in columns[0] for sep in ";\t|"):
            hint = (
                "; the header looks separated by ';' or tabs, not commas: save it as "
                "'CSV UTF-8 (Comma delimited)'"
            )
        raise InputError(
            f"no 'site_id' column (columns are: {', '.join(map(repr, columns)) or 'none'}){hint}",
            path=path,
            field="site_id",
        )
    if not ({"lon", "lat"} <= set(first) or {"easting", "northing"} <= set(first)):
        raise InputError(
            "needs lon and lat columns (WGS84) or easting and northing columns (EPSG:27700)",
            path=path,
        )
    return columns


def _width_error(
    path: Path, row: int, where: str, rec: list[str], columns: list[str]
) -> InputError:
    width = len(columns)
    if len(rec) > width:
        extra = ", ".join(repr(c.strip()) for c in rec[width:] if c.strip())
        extra = extra or "all empty (a comma at the end of the row?)"
        return InputError(
            f"{len(rec)} fields but the header has {width} columns{where}: a comma in a cell "
            'that is not in double quotes? Quote the cell, e.g. "Fri 12:30-14:00, '
            "19:00-20:00\", and separate windows on different days with ';' (Fri "
            f"12:30-14:00; Daily 17:30-19:30). Fields beyond the last column: {extra}",
            path=path,
            row=row,
        )
    return InputError(
        f"{len(rec)} fields but the header has {width} columns ({', '.join(columns)}){where}: "
        "every row needs a field for each column, even an empty one (a missing comma? a line "
        "break in a cell that is not in double quotes?)",
        path=path,
        row=row,
    )


def _pair(
    path: Path, row: int, where: str, values: Mapping[str, str], a: str, b: str
) -> tuple[float, float] | None:
    """Columns ``a`` and ``b`` as numbers; ``None`` if both are empty or absent."""
    ta, tb = values.get(a, ""), values.get(b, "")
    if not ta and not tb:
        return None
    if not ta or not tb:
        given, empty = (a, b) if ta else (b, a)
        raise InputError(
            f"{empty} is empty but {given} is given; give both, or neither for an unlocated "
            f"site{where}",
            path=path,
            row=row,
            field=empty,
        )
    return (
        parse_number(ta, path=path, row=row, field=a, where=where),
        parse_number(tb, path=path, row=row, field=b, where=where),
    )


def _row_point(
    path: Path, row: int, where: str, values: Mapping[str, str]
) -> tuple[float, float, tuple[float, float] | None]:
    """The row's easting and northing if given (else NaN), and its lon/lat if given."""
    en = _pair(path, row, where, values, "easting", "northing")
    ll = _pair(path, row, where, values, "lon", "lat")
    if en is not None:
        problem = bng_problem(*en)
        if problem is not None:
            raise InputError(problem + where, path=path, row=row, field="easting")
    if ll is not None:
        problem = lonlat_problem(*ll)
        if problem is not None:
            raise InputError(problem + where, path=path, row=row, field="lon")
    x, y = en if en is not None else (math.nan, math.nan)
    return x, y, ll


def _place_lonlat(
    path: Path, rows: _Rows, lonlat: list[tuple[int, int, float, float, float, float]]
) -> None:
    """Convert the rows' lon/lat to BNG in one call; where a row also has E/N, they must agree."""
    index, row, lon, lat, x, y = (np.asarray(c) for c in zip(*lonlat, strict=True))
    bx, by = to_bng().transform(lon.astype(float), lat.astype(float))
    both = np.isfinite(x.astype(float))
    gap_m = np.hypot(np.where(both, x, bx) - bx, np.where(both, y, by) - by)
    far = np.flatnonzero(gap_m > _PAIR_AGREE_M)
    if len(far):
        k = int(far[0])
        raise InputError(
            f"lon/lat and easting/northing are {gap_m[k]:,.0f} m apart; give one pair, or "
            "make them the same place",
            path=path,
            row=int(row[k]),
            field="lon",
        )
    for i, k in zip(index.tolist(), range(len(index)), strict=True):
        if not both[k]:
            rows.xs[i], rows.ys[i] = float(bx[k]), float(by[k])


def _read_spatial(path: Path) -> SitePoints:
    import geopandas as gpd
    import pyogrio

    if path.suffix.lower() != ".gpkg":
        read_text(path, what="site file", max_bytes=MAX_SITE_FILE_BYTES)  # JSON is UTF-8
    try:
        n_features = int(pyogrio.read_info(path, force_feature_count=True)["features"])
    except Exception as exc:
        raise InputError(f"cannot read as GeoJSON/GeoPackage ({exc})", path=path) from None
    if n_features > MAX_SITE_ROWS:
        raise InputError(
            f"{n_features:,} features; the planner reads at most {MAX_SITE_ROWS:,} sites per "
            "file (README.md, 'Site files'): split the file",
            path=path,
        )
    try:
        with warnings.catch_warnings():
            # Properties of mixed types stay text, which is how they are read here anyway.
            warnings.filterwarnings("ignore", "Could not parse column", UserWarning)
            gdf = gpd.read_file(path)
    except Exception as exc:
        raise InputError(f"cannot read as GeoJSON/GeoPackage ({exc})", path=path) from None
    if "site_id" not in gdf.columns:
        raise InputError(
            f"no 'site_id' property (properties are: {', '.join(map(str, gdf.columns))})",
            path=path,
            field="site_id",
        )
    if gdf.crs is None:
        raise InputError(
            "file has no CRS; GeoJSON is WGS84 by definition, a GeoPackage must declare one",
            path=path,
        )
    xs, ys = _spatial_points(path, gdf)
    other = [c for c in gdf.columns if c not in {"site_id", "geometry"}]
    rows = _Rows(path)
    records = gdf[other].to_dict("records") if other else [{} for _ in range(len(gdf))]
    for row, (sid, rec, x, y) in enumerate(
        zip(gdf["site_id"], records, xs, ys, strict=True), start=1
    ):
        attrs = {str(k): _text(v) for k, v in rec.items()}
        rows.add(row, _text(sid).strip(), float(x), float(y), attrs, "")
    return rows.points()


def _text(value: Any) -> str:
    """A property as text: empty for null (GDAL gives NaN for an empty number)."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    return str(value)


def _spatial_points(path: Path, gdf: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each feature's point in EPSG:27700 (a polygon's representative point), NaN if none."""
    xs = np.full(len(gdf), np.nan)
    ys = np.full(len(gdf), np.nan)
    epsg = gdf.crs.to_epsg()
    for row, geom in enumerate(gdf.geometry, start=1):
        if geom is None or geom.is_empty:
            continue
        pt = geom if geom.geom_type == "Point" else geom.representative_point()
        if epsg == 4326:
            problem = lonlat_problem(pt.x, pt.y)
        elif epsg == 27700:
            problem = bng_problem(pt.x, pt.y)
        else:
            problem = None
        if problem is not None:
            raise InputError(problem, path=path, row=row, field="geometry")
    bng = gdf.geometry.to_crs(CRS_BNG)
    for i, geom in enumerate(bng):
        if geom is None or geom.is_empty:
            continue
        pt = geom if geom.geom_type == "Point" else geom.representative_point()
        problem = bng_problem(pt.x, pt.y)
        if problem is not None:
            raise InputError(
                f"in {gdf.crs.name}, converted to British National Grid: {problem}",
                path=path,
                row=i + 1,
                field="geometry",
            )
        xs[i], ys[i] = pt.x, pt.y
    return xs, ys
