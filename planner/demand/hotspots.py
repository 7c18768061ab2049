"""Harm-weighted crime hot spots from data.police.uk street-level crime files.

Community-tension patrols visit the places where crime does most harm. This module

1. reads data.police.uk street-level crime CSVs exactly as published (one file per force and
   month, several at once) and accounts for every row: a row is either *kept* or rejected for
   exactly one reason (see :data:`REJECT_REASONS`), so ``rows_read == kept + sum(counts)``;
2. keeps the records inside the force area (a polygon in EPSG:27700, optionally buffered: the
   ONS "ultra generalised" force boundaries cut off real streets at the edge of small forces)
   and of the configured crime types, and weights each by harm (:data:`DEFAULT_HARM_WEIGHTS`);
3. adds harm up per street segment of a road network (each record goes to the nearest
   main-network segment within ``max_snap_m``) or per square cell of the British National Grid,
   ranks the units by harm and keeps the top N, or the smallest set holding a share of all harm;
4. returns the hot spots as patrol sites (:class:`Hotspot`, ids ``HS-001``...), with rows for a
   hot spot CSV (readable again by :func:`planner.demand.sites.read_site_points`) and a rejects CSV.

data.police.uk locations are anonymised: each crime is moved to the nearest of a fixed set of
"snap points" (the centre of a street, a park, a station...), shown as "On or near ...". Counts on
a single segment or 150 m cell are therefore approximate; hot spots say where harm concentrates,
not the address of any crime.

Harm weights
------------
The default weights are modelled on the **Cambridge Crime Harm Index** (CCHI): Sherman, L.,
Neyroud, P. and Neyroud, E. (2016), "The Cambridge Crime Harm Index: Measuring Total Harm from
Crime Based on Sentencing Guidelines", *Policing: A Journal of Policy and Practice* 10(3),
171-183, https://doi.org/10.1093/police/paw003. The CCHI scores one offence as the number of
days of imprisonment in the Sentencing Council's starting point for an adult first offender, in
the least serious category of the offence's guideline; non-custodial starting points are turned
into days (fines as days of work at the minimum wage needed to pay them).

data.police.uk publishes only 14 broad categories, each covering many offences, so **the weights
here are modelled approximations, not CCHI values**. Each category's weight is a blend of
representative offences (:data:`HARM_DERIVATION`): ``sum(share x days) / sum(share)``, where

- *days* is our reading of the lowest starting point in the Sentencing Council's definitive
  guideline for that offence (adult, first offence). Non-custodial starting points are converted
  with the constants below: a fine band as the working days a minimum-wage earner needs to pay it
  (Band A = 50 % of a week's income = 2.5 days, Band B 5, Band C 7.5); a community order as its
  typical unpaid-work hours over a 7.5-hour day (low 40-80 h = 8 days, medium 80-150 h = 15,
  high 150-300 h = 30). These conversions are ours; the CCHI's own table differs in detail;
- *share* is the offence's approximate share of the category in police recorded crime for
  England and Wales (ONS, "Crime in England and Wales", year ending March 2023), rounded.

The blends, in days (shares in per cent):

======================== ===================================================================
Category                 Derivation
======================== ===================================================================
Violence and sexual      common assault 33 % x Band A fine; harassment and malicious
offences (~64)           communications 33 % x Band B; ABH 25 % x medium community order;
                         other sexual offences (sexual assault) 5.5 % x medium community
                         order; rape 3 % x 5 years; homicide 0.03 % x 15 years. Rape, rare
                         but weighted 1,825 days, makes up most of the weight: this is the
                         expected harm of a record whose offence is unknown.
Robbery (365)            robbery (street and less sophisticated commercial), lowest
                         category: 1 year.
Possession of weapons    bladed article / offensive weapon 90 % x high community order;
(~64)                    firearms 10 % x 1 year (prohibited weapons carry a 5-year minimum).
Burglary (~22)           residential 65 % x high community order; business and community
                         35 % x low community order.
Drugs (~9)               possession of Class B/C 55 % x Band B fine; possession of Class A
                         20 % x Band C; supply and production 25 % x 20 days (lesser role,
                         Class A high community order, Class B low).
Theft from the person    theft with the victim present: general theft raised one harm
(7.5)                    category, lowest culpability: Band C fine.
Vehicle crime (~5)       theft from a vehicle 50 % x Band B; theft of a vehicle 30 % x Band C;
                         vehicle interference 20 % x Band A.
Shoplifting (5)          theft from a shop, lowest category: Band B fine.
Other theft (5)          general theft under GBP 500, lowest culpability: Band B fine.
Bicycle theft (5)        as other theft.
Other crime (5)          forgery, perjury and miscellaneous offences: nominal Band B fine.
Public order (~4)        s.4 / s.4A fear of violence or intentional harassment 55 % x Band B;
                         s.5 harassment, alarm or distress 45 % x Band A.
Criminal damage and      criminal damage under GBP 5,000 96 % x Band A; arson 4 % x high
arson (~3.6)             community order.
Anti-social behaviour    not a crime and never sentenced: a nominal 1 day, below any fine, so
(1)                      persistent ASB still draws community-tension patrols. Set it to 0,
                         or leave it out of ``crime_types``, to ignore ASB.
======================== ===================================================================

The guideline readings were not checked offence by offence against the published CCHI table
(https://cambridge-ebp.co.uk/chi); a force with its own CCHI mapping should pass it as
``harm_weights``. Weights only set the *relative* importance of categories: multiplying all of
them by a constant changes no ranking.
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
from typing import Literal

import numpy as np
import pandas as pd
import pyproj
import shapely

from planner.errors import InputError
from planner.roads.network import ModeNetwork, RoadNetwork, check_crs_plausible
from planner.roads.snapping import DEFAULT_NO_SNAP_HIGHWAYS

log = logging.getLogger(__name__)

Method = Literal["segment", "grid"]

# ----------------------------------------------------------------------------- harm weights

#: Working days a minimum-wage earner needs to pay a fine of each band (Band A is 50 % of a
#: week's relevant income, B 100 %, C 150 %; a working week is 5 days).
DAYS_FINE_BAND_A = 2.5
DAYS_FINE_BAND_B = 5.0
DAYS_FINE_BAND_C = 7.5
#: Days for a community order: typical unpaid-work hours over a 7.5-hour working day.
DAYS_COMMUNITY_LOW = 8.0
DAYS_COMMUNITY_MEDIUM = 15.0
DAYS_COMMUNITY_HIGH = 30.0
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class HarmComponent:
    """One representative offence in a category's harm blend.

    Attributes
    ----------
    offence
        The offence (or group of offences).
    share_pct
        Approximate share of the category's recorded crimes, per cent.
    days
        Harm of one offence in days of imprisonment (or the equivalent, see the module notes).
    basis
        The sentencing starting point the days come from.
    """

    offence: str
    share_pct: float
    days: float
    basis: str


_C = HarmComponent
#: How each data.police.uk category's default weight is modelled (see the module docstring).
HARM_DERIVATION: Mapping[str, tuple[HarmComponent, ...]] = MappingProxyType(
    {
        "Violence and sexual offences": (
            _C("common assault (violence without injury)", 33.0, DAYS_FINE_BAND_A, "Band A fine"),
            _C("harassment, malicious communications", 33.0, DAYS_FINE_BAND_B, "Band B fine"),
            _C("ABH (violence with injury)", 25.0, DAYS_COMMUNITY_MEDIUM, "medium community order"),
            _C("other sexual offences", 5.5, DAYS_COMMUNITY_MEDIUM, "medium community order"),
            _C("rape", 3.0, 5 * DAYS_PER_YEAR, "5 years' custody"),
            _C("homicide", 0.03, 15 * DAYS_PER_YEAR, "15 years' custody"),
        ),
        "Robbery": (_C("robbery, lowest category", 100.0, DAYS_PER_YEAR, "1 year's custody"),),
        "Possession of weapons": (
            _C(
                "bladed article, offensive weapon",
                90.0,
                DAYS_COMMUNITY_HIGH,
                "high community order",
            ),
            _C("firearms", 10.0, DAYS_PER_YEAR, "1 year's custody"),
        ),
        "Burglary": (
            _C("residential burglary", 65.0, DAYS_COMMUNITY_HIGH, "high community order"),
            _C("business and community burglary", 35.0, DAYS_COMMUNITY_LOW, "low community order"),
        ),
        "Drugs": (
            _C("possession, Class B or C", 55.0, DAYS_FINE_BAND_B, "Band B fine"),
            _C("possession, Class A", 20.0, DAYS_FINE_BAND_C, "Band C fine"),
            _C("supply and production, lesser role", 25.0, 20.0, "low to high community order"),
        ),
        "Theft from the person": (
            _C("theft from the person", 100.0, DAYS_FINE_BAND_C, "Band C fine"),
        ),
        "Vehicle crime": (
            _C("theft from a vehicle", 50.0, DAYS_FINE_BAND_B, "Band B fine"),
            _C("theft of a vehicle", 30.0, DAYS_FINE_BAND_C, "Band C fine"),
            _C("vehicle interference", 20.0, DAYS_FINE_BAND_A, "Band A fine"),
        ),
        "Shoplifting": (_C("theft from a shop", 100.0, DAYS_FINE_BAND_B, "Band B fine"),),
        "Other theft": (_C("general theft under GBP 500", 100.0, DAYS_FINE_BAND_B, "Band B fine"),),
        "Bicycle theft": (_C("theft of a bicycle", 100.0, DAYS_FINE_BAND_B, "Band B fine"),),
        "Other crime": (
            _C("miscellaneous offences", 100.0, DAYS_FINE_BAND_B, "nominal Band B fine"),
        ),
        "Public order": (
            _C("s.4 and s.4A Public Order Act", 55.0, DAYS_FINE_BAND_B, "Band B fine"),
            _C("s.5 Public Order Act", 45.0, DAYS_FINE_BAND_A, "Band A fine"),
        ),
        "Criminal damage and arson": (
            _C("criminal damage under GBP 5,000", 96.0, DAYS_FINE_BAND_A, "Band A fine"),
            _C("arson", 4.0, DAYS_COMMUNITY_HIGH, "high community order"),
        ),
        "Anti-social behaviour": (
            _C("anti-social behaviour (not a crime)", 100.0, 1.0, "nominal"),
        ),
    }
)
del _C


def _blend(components: Iterable[HarmComponent]) -> float:
    parts = list(components)
    return sum(c.share_pct * c.days for c in parts) / sum(c.share_pct for c in parts)


#: Default harm per record, in days, by data.police.uk crime type (see the module docstring).
DEFAULT_HARM_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {category: round(_blend(parts), 1) for category, parts in HARM_DERIVATION.items()}
)
#: The 14 data.police.uk street-level crime types.
CRIME_TYPES: tuple[str, ...] = tuple(sorted(HARM_DERIVATION))


def harm_derivation_rows() -> list[dict[str, object]]:
    """One row per component of :data:`HARM_DERIVATION`, with the resulting weight (for reports)."""
    return [
        {
            "crime_type": category,
            "offence": c.offence,
            "share_pct": c.share_pct,
            "days": c.days,
            "basis": c.basis,
            "category_weight": DEFAULT_HARM_WEIGHTS[category],
        }
        for category, parts in HARM_DERIVATION.items()
        for c in parts
    ]


def resolve_harm_weights(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """Return the default harm table with ``overrides`` applied.

    Parameters
    ----------
    overrides
        Weights (days, >= 0) for some or all data.police.uk crime types.

    Raises
    ------
    InputError
        For a key that is not a data.police.uk crime type (listing the valid ones), or a weight
        that is negative or not a finite number.
    """
    weights = dict(DEFAULT_HARM_WEIGHTS)
    if overrides is None:
        return weights
    unknown = sorted(str(k) for k in overrides if k not in weights)
    if unknown:
        raise InputError(
            f"unknown crime type(s) in the harm weights: {', '.join(map(repr, unknown))}; "
            f"valid data.police.uk categories are: {', '.join(CRIME_TYPES)}",
            field="harm_weights",
        )
    for key, value in overrides.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(
                f"harm weight for {key!r} is {value!r}, not a number", field="harm_weights"
            ) from None
        if not math.isfinite(number) or number < 0:
            raise InputError(
                f"harm weight for {key!r} must be a finite number >= 0, got {value!r}",
                field="harm_weights",
            )
        weights[key] = number
    return weights


# ----------------------------------------------------------------------------- reading

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
        "excluded_place": "inside a place excluded from patrols by configuration (e.g. a prison)",
    }
)
#: Why a kept record is left out of every hot spot (segment method only).
TOO_FAR_FROM_ROAD = "too_far_from_road"

_MONTH_RE = r"\d{4}-(?:0[1-9]|1[0-2])"
_HEADER_DATA_RE = re.compile(r"^(?:[0-9a-f]{64}|\d{4}-\d{2}|-?\d+\.\d+)$")
# Longitude/latitude box of the UK (Great Britain and Northern Ireland) with a margin.
_UK_LON = (-8.7, 2.0)
_UK_LAT = (49.8, 61.0)

_TO_BNG = pyproj.Transformer.from_crs(4326, 27700, always_xy=True)
_TO_WGS84 = pyproj.Transformer.from_crs(27700, 4326, always_xy=True)


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


#: Columns of :meth:`CrimeIntake.reject_rows` and :meth:`HotspotResult.reject_rows`.
REJECT_COLUMNS: tuple[str, ...] = ("file", "row", "reason", "crime_type", "detail", "explanation")


def _reject_row(r: CrimeReject) -> dict[str, object]:
    explanation = REJECT_REASONS.get(r.reason, "")
    if r.reason == TOO_FAR_FROM_ROAD:
        explanation = "no main-network road within max_snap_m of the record"
    return {
        "file": r.file,
        "row": r.row,
        "reason": r.reason,
        "crime_type": r.crime_type,
        "detail": r.detail,
        "explanation": explanation,
    }


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
        return [_reject_row(r) for r in self.rejects]

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
    if not path.exists():
        raise InputError("crime file not found; check the path", path=path)
    data = path.read_bytes()
    # The same file given twice (even under two names) would count every crime twice.
    digest = hashlib.sha256(data).hexdigest()
    if digest in seen:
        raise InputError(f"same content as {seen[digest]}; give each monthly file once", path=path)
    seen[digest] = path
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text ({exc}); is this a data.police.uk CSV?", path=path
        ) from None
    if not text.strip():
        raise InputError(
            "file is empty; a data.police.uk street-level file starts with the header "
            f"{','.join(PUBLISHED_COLUMNS)}",
            path=path,
        )
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [c.strip() for c in next(reader)]
        body = [r for r in reader if r]
    except csv.Error as exc:
        raise InputError(f"cannot parse as CSV ({exc})", path=path) from None
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
    buffer_m
        Margin around the boundary, metres. The ONS ultra-generalised force areas cut corners;
        for a small force such as the City of London use about 200 m.
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
    outside the UK), then the area. Rows of another force are not rejected for that: they are
    counted in ``other_force_rows`` and judged like the others (a neighbouring force's crime
    recorded here may well be inside the area).

    Raises
    ------
    InputError
        A missing, empty, non-UTF-8 or non-CSV file; a file without the required columns (naming
        the file and the columns); the same file given twice; unknown crime types in
        ``crime_types`` or ``harm_weights``; a negative ``buffer_m``; a boundary not in EPSG:27700.
    """
    files = _as_paths(paths)
    weights = resolve_harm_weights(harm_weights)
    if crime_types is None:
        wanted = tuple(CRIME_TYPES)
    else:
        wanted = tuple(dict.fromkeys(str(c) for c in crime_types))
        unknown = [c for c in wanted if c not in weights]
        if unknown:
            raise InputError(
                f"unknown crime type(s) {', '.join(map(repr, unknown))}; valid data.police.uk "
                f"categories are: {', '.join(CRIME_TYPES)}",
                field="crime_types",
            )
    if not math.isfinite(buffer_m) or buffer_m < 0:
        raise InputError(f"buffer_m must be a finite number >= 0, got {buffer_m}", field="buffer_m")
    area = None
    if boundary_m is not None:
        check_crs_plausible(
            *shapely.bounds(boundary_m).tolist(), crs="EPSG:27700", what="force boundary"
        )
        area = shapely.buffer(boundary_m, buffer_m) if buffer_m > 0 else boundary_m
        shapely.prepare(area)

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
        # Duplicate header names would make a column a frame; keep the first of each.
        frame = frame.loc[:, ~frame.columns.duplicated()]
        frame = frame.reindex(columns=[*PUBLISHED_COLUMNS], fill_value="")
        frame.insert(0, "row", np.asarray(numbers, dtype=np.int64))
        frame.insert(0, "file", name)
        frames.append(frame)
    df = pd.concat(frames, ignore_index=True)

    records, rejects, other_force_rows, other_force_kept = _classify(
        df, weights, set(wanted), area, force_name, exclude_m
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
    )
    assert intake.rows_read == intake.n_kept + sum(counts.values()), "crime rows unaccounted for"
    log.info("%s", intake.summary())
    if area is not None and intake.n_kept == 0 and counts["outside_area"]:
        log.warning(
            "no crime inside the force area: are the files and the boundary for the same force?"
        )
    return intake


def _classify(
    df: pd.DataFrame,
    weights: Mapping[str, float],
    wanted: set[str],
    area: shapely.Geometry | None,
    force_name: str | None,
    exclude_m: shapely.Geometry | None = None,
) -> tuple[pd.DataFrame, list[CrimeReject], int, int]:
    """Give each row its first failing check (or keep it); vectorised over all rows."""
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
        x[located], y[located] = _TO_BNG.transform(lon[located], lat[located])
    if area is not None:
        inside = np.zeros(n, dtype=bool)
        inside[located] = shapely.contains_xy(area, x[located], y[located])
        flag(~inside, "outside_area", coord_text)
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
            "location": kept["Location"].str.strip().to_numpy(dtype=object),
            "lsoa_name": kept["LSOA name"].str.strip().to_numpy(dtype=object),
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
    return records, rejects, int(other_force.sum()), int((other_force & keep).sum())


# ----------------------------------------------------------------------------- hot spots


@dataclass(frozen=True)
class Hotspot:
    """A harm hot spot, as a patrol site.

    Attributes
    ----------
    site_id
        ``HS-001``, ``HS-002``... by rank.
    rank
        1 for the most harmful unit.
    x_m, y_m
        The site, EPSG:27700: for a segment, the point on it nearest the harm-weighted centroid of
        its records; for a cell, the harm-weighted centroid of its records.
    harm
        Sum of the records' harm, days.
    n_records
        Records in the unit.
    counts_by_type, harm_by_type
        Records and harm per crime type, most harmful type first.
    label
        The street name (segment method, named road), else the Ordnance Survey grid reference.
    share_of_harm
        ``harm / total_harm`` of the result.
    unit_id
        ``seg-<index>`` of the network segment, or ``E<easting>N<northing>`` of the cell's
        south-west corner.
    location_hint
        The commonest data.police.uk ``Location`` of its records (e.g. "On or near High Street").
    """

    site_id: str
    rank: int
    x_m: float
    y_m: float
    harm: float
    n_records: int
    counts_by_type: dict[str, int]
    harm_by_type: dict[str, float]
    label: str
    share_of_harm: float
    unit_id: str
    location_hint: str


#: Columns of :meth:`HotspotResult.hotspot_rows`; ``site_id``/``easting``/``northing`` make the
#: file readable by :func:`planner.demand.sites.read_site_points`.
HOTSPOT_COLUMNS: tuple[str, ...] = (
    "site_id",
    "rank",
    "label",
    "easting",
    "northing",
    "lon",
    "lat",
    "harm",
    "share_of_harm",
    "cumulative_share",
    "n_records",
    "method",
    "unit_id",
    "location_hint",
    "counts_by_type",
    "harm_by_type",
)


@dataclass(frozen=True, eq=False)
class HotspotResult:
    """Selected hot spots and the account of every record.

    Attributes
    ----------
    hotspots
        The selected hot spots, by rank.
    intake
        The crime intake (rows read, kept, rejected by reason).
    method
        ``"segment"`` or ``"grid"``.
    total_harm
        Harm of all records placed on a unit (segment or cell), days: the denominator of
        ``share_of_harm``. Records too far from any road (segment method) are not in it.
    covered_harm
        Harm in the selected hot spots.
    n_units
        Segments or cells holding at least one record.
    unassigned
        Kept records farther than ``max_snap_m`` from any main-network road (segment method).
    unassigned_harm
        Their harm, days.
    selection
        How the hot spots were chosen, in words.
    cell_m, max_snap_m
        The method's setting (the other is ``None``).
    """

    hotspots: tuple[Hotspot, ...]
    intake: CrimeIntake
    method: str
    total_harm: float
    covered_harm: float
    n_units: int
    unassigned: tuple[CrimeReject, ...]
    unassigned_harm: float
    selection: str
    cell_m: float | None = None
    max_snap_m: float | None = None

    @property
    def covered_share(self) -> float:
        """Share of ``total_harm`` in the selected hot spots (0 if there is no harm)."""
        return self.covered_harm / self.total_harm if self.total_harm > 0 else 0.0

    @property
    def counts(self) -> dict[str, int]:
        """Input rows in no unit, by reason: the intake's rejects plus ``too_far_from_road``.

        ``intake.rows_read == (records placed on units) + sum(counts.values())``.
        """
        return {**self.intake.counts, TOO_FAR_FROM_ROAD: len(self.unassigned)}

    def hotspot_rows(self) -> list[dict[str, object]]:
        """One row per hot spot, for :func:`planner.common.write_csv` (:data:`HOTSPOT_COLUMNS`)."""
        if not self.hotspots:
            return []
        xs = np.array([h.x_m for h in self.hotspots])
        ys = np.array([h.y_m for h in self.hotspots])
        lons, lats = _TO_WGS84.transform(xs, ys)
        rows = []
        cumulative = 0.0
        for h, lon, lat in zip(
            self.hotspots, np.atleast_1d(lons), np.atleast_1d(lats), strict=True
        ):
            cumulative += h.share_of_harm
            rows.append(
                {
                    "site_id": h.site_id,
                    "rank": h.rank,
                    "label": h.label,
                    "easting": f"{h.x_m:.1f}",
                    "northing": f"{h.y_m:.1f}",
                    "lon": f"{lon:.6f}",
                    "lat": f"{lat:.6f}",
                    "harm": f"{h.harm:.1f}",
                    "share_of_harm": f"{h.share_of_harm:.4f}",
                    "cumulative_share": f"{cumulative:.4f}",
                    "n_records": h.n_records,
                    "method": self.method,
                    "unit_id": h.unit_id,
                    "location_hint": h.location_hint,
                    "counts_by_type": "; ".join(f"{k}: {v}" for k, v in h.counts_by_type.items()),
                    "harm_by_type": "; ".join(f"{k}: {v:.1f}" for k, v in h.harm_by_type.items()),
                }
            )
        return rows

    def reject_rows(self) -> list[dict[str, object]]:
        """Every row in no unit (:data:`REJECT_COLUMNS`): intake rejects, then far from roads."""
        return [_reject_row(r) for r in (*self.intake.rejects, *self.unassigned)]

    def summary(self) -> str:
        """Several lines: the intake account, the method, and the hot spots with their harm."""
        how = (
            f"{self.cell_m:g} m grid cells"
            if self.method == "grid"
            else f"street segments (records within {self.max_snap_m:g} m)"
        )
        lines = [
            self.intake.summary(),
            f"hot spots on {how}: {self.n_units:,} units hold harm {self.total_harm:,.1f} days",
        ]
        if self.unassigned:
            lines.append(
                f"  {len(self.unassigned):,} records (harm {self.unassigned_harm:,.1f}) are more "
                f"than {self.max_snap_m:g} m from any main road and in no hot spot"
            )
        lines.append(
            f"selected {len(self.hotspots)} hot spot(s) ({self.selection}) holding "
            f"{self.covered_share:.1%} of the harm ({self.covered_harm:,.1f} days)"
        )
        for h in self.hotspots:
            top = ", ".join(f"{k} {v}" for k, v in list(h.counts_by_type.items())[:3])
            lines.append(
                f"  {h.site_id}  {h.label:<32.32s} harm {h.harm:8.1f} ({h.share_of_harm:5.1%})  "
                f"{h.n_records:3d} records; most harm from {top}"
            )
        return "\n".join(lines)


def os_grid_ref(x_m: float, y_m: float, digits: int = 6) -> str:
    """Ordnance Survey grid reference of a point in EPSG:27700, e.g. ``"SK 860 087"``.

    Parameters
    ----------
    digits
        Total digits (even, 2-10): 6 gives 100 m squares, 8 gives 10 m.
    """
    if not (0 <= x_m < 700_000 and 0 <= y_m < 1_300_000):
        return f"E{x_m:.0f} N{y_m:.0f}"
    e100k, n100k = int(x_m // 100_000), int(y_m // 100_000)
    # Letters skip I; the first letter is the 500 km square, the second the 100 km square.
    l1 = (19 - n100k) - (19 - n100k) % 5 + (e100k + 10) // 5
    l2 = (19 - n100k) * 5 % 25 + e100k % 5
    l1 += l1 > 7
    l2 += l2 > 7
    half = digits // 2
    scale = 10 ** (5 - half)
    e = int(x_m % 100_000) // scale
    n = int(y_m % 100_000) // scale
    return f"{chr(l1 + 65)}{chr(l2 + 65)} {e:0{half}d} {n:0{half}d}"


def find_hotspots(
    intake: CrimeIntake,
    *,
    method: Method = "segment",
    network: ModeNetwork | None = None,
    cell_m: float = 150.0,
    max_snap_m: float = 100.0,
    top_n: int | None = None,
    harm_share: float | None = None,
    no_snap_highways: Sequence[str] = DEFAULT_NO_SNAP_HIGHWAYS,
) -> HotspotResult:
    """Aggregate harm per street segment or grid cell and select the hot spots.

    Parameters
    ----------
    intake
        Records from :func:`read_crimes`.
    method
        ``"segment"``: each record goes to the nearest main-network segment of ``network``
        within ``max_snap_m`` (records beyond are reported as ``too_far_from_road``).
        ``"grid"``: square cells of ``cell_m`` aligned on the British National Grid origin.
    network
        The patrol mode's network (``RoadNetwork.car`` or ``.foot``); segment method only.
    cell_m
        Cell side, metres (grid method).
    max_snap_m
        Farthest a record may be from its segment, metres (segment method).
    top_n
        Keep the ``top_n`` most harmful units...
    harm_share
        ...or the smallest set of units holding at least this share (0-1] of ``total_harm``.
        Give exactly one of the two.
    no_snap_highways
        Road classes records are never placed on (motorways: patrols cannot stop there).

    Returns
    -------
    HotspotResult
        The hot spots by rank (harm descending; ties by record count, then unit id).

    Raises
    ------
    InputError
        Both or neither of ``top_n`` and ``harm_share``, either out of range, an unknown
        method, a segment method without a network, or a non-positive ``cell_m``/``max_snap_m``.
    """
    if (top_n is None) == (harm_share is None):
        raise InputError("give exactly one of top_n or harm_share", field="top_n")
    if top_n is not None and (
        isinstance(top_n, bool) or not isinstance(top_n, int | np.integer) or top_n < 1
    ):
        raise InputError(f"top_n must be a whole number >= 1, got {top_n!r}", field="top_n")
    if harm_share is not None and (
        isinstance(harm_share, bool)
        or not isinstance(harm_share, int | float)
        or not 0 < harm_share <= 1
    ):
        raise InputError(
            f"harm_share must be a share in (0, 1], e.g. 0.5, got {harm_share!r}",
            field="harm_share",
        )
    if method not in ("segment", "grid"):
        raise InputError(
            f"unknown hot spot method {method!r}; use 'segment' or 'grid'", field="method"
        )

    recs = intake.records
    x = recs["x_m"].to_numpy(dtype=np.float64)
    y = recs["y_m"].to_numpy(dtype=np.float64)
    unassigned: tuple[CrimeReject, ...] = ()
    cells = np.empty((0, 2), dtype=np.int64)
    if method == "segment":
        if isinstance(network, RoadNetwork):
            raise InputError(
                "pass one mode's network (network.car or network.foot), not the RoadNetwork",
                field="network",
            )
        if network is None:
            raise InputError(
                "the segment method needs a network (e.g. road_network.car)", field="network"
            )
        if not (math.isfinite(max_snap_m) and max_snap_m > 0):
            raise InputError(f"max_snap_m must be positive, got {max_snap_m}", field="max_snap_m")
        unit, unassigned_idx = _assign_segments(network, x, y, max_snap_m, no_snap_highways)
        unassigned = tuple(
            CrimeReject(
                str(f),
                int(r),
                TOO_FAR_FROM_ROAD,
                str(ct),
                f"more than {max_snap_m:g} m from a road",
            )
            for f, r, ct in recs.iloc[unassigned_idx][["file", "row", "crime_type"]].itertuples(
                index=False
            )
        )
    else:
        if not (math.isfinite(cell_m) and cell_m > 0):
            raise InputError(f"cell_m must be positive, got {cell_m}", field="cell_m")
        # Cells are numbered in (column, row) order, which also breaks ranking ties.
        cells, unit = np.unique(
            np.column_stack([np.floor(x / cell_m), np.floor(y / cell_m)]).astype(np.int64),
            axis=0,
            return_inverse=True,
        )
        unit = unit.reshape(-1).astype(np.int64)

    placed = unit >= 0 if method == "segment" else np.ones(len(recs), dtype=bool)
    harm = recs["harm"].to_numpy(dtype=np.float64)
    unassigned_harm = float(harm[~placed].sum())
    units = _aggregate(recs.loc[placed], unit[placed], x[placed], y[placed])
    total_harm = float(units["harm"].sum())

    # Rank: harm (rounded so summation order cannot break ties), then records, then unit id.
    order = np.lexsort(
        (units["unit"].to_numpy(), -units["n"].to_numpy(), -np.round(units["harm"].to_numpy(), 6))
    )
    units = units.iloc[order].reset_index(drop=True)
    if top_n is not None:
        n_sel = min(int(top_n), len(units))
        selection = f"top {int(top_n)} by harm"
    else:
        assert harm_share is not None
        share = float(harm_share)
        selection = f"smallest set holding >= {share:.0%} of the harm"
        if total_harm <= 0:
            n_sel = 0
        else:
            cum = np.cumsum(units["harm"].to_numpy()) / total_harm
            # The tolerance stops float round-off in the cumulative sum from adding a unit.
            n_sel = int(np.searchsorted(cum, share - 1e-9, side="left")) + 1
            n_sel = min(n_sel, len(units))
    chosen = units.iloc[:n_sel]
    hotspots = _make_hotspots(
        chosen,
        recs.loc[placed],
        unit[placed],
        network if method == "segment" else None,
        cells,
        cell_m,
        total_harm,
    )
    result = HotspotResult(
        hotspots=tuple(hotspots),
        intake=intake,
        method=method,
        total_harm=total_harm,
        covered_harm=float(chosen["harm"].sum()),
        n_units=len(units),
        unassigned=unassigned,
        unassigned_harm=unassigned_harm,
        selection=selection,
        cell_m=float(cell_m) if method == "grid" else None,
        max_snap_m=float(max_snap_m) if method == "segment" else None,
    )
    log.info("%s", result.summary())
    return result


def _assign_segments(
    net: ModeNetwork,
    x: np.ndarray,
    y: np.ndarray,
    max_snap_m: float,
    no_snap_highways: Sequence[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest usable main-network segment of each point (-1 beyond ``max_snap_m``)."""
    banned_codes = np.isin(np.asarray(net.highway_labels, dtype=object), list(no_snap_highways))
    seg_banned = np.zeros(len(net.seg_start), dtype=bool)
    seg_banned[net.edge_segment] = banned_codes[net.edge_highway]
    usable = np.flatnonzero(net.seg_main & ~seg_banned)
    unit = np.full(len(x), -1, dtype=np.int64)
    if len(x) and len(usable):
        tree = shapely.STRtree(net.segment_lines()[usable])
        (pi, ti), _ = tree.query_nearest(
            shapely.points(x, y), max_distance=max_snap_m, return_distance=True, all_matches=False
        )
        unit[pi] = usable[ti]
    return unit, np.flatnonzero(unit < 0)


def _aggregate(recs: pd.DataFrame, unit: np.ndarray, x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Harm, record count and harm-weighted centroid per unit."""
    h = recs["harm"].to_numpy(dtype=np.float64)
    frame = pd.DataFrame(
        {"unit": unit, "harm": h, "hx": h * x, "hy": h * y, "x": x, "y": y, "n": 1}
    )
    g = frame.groupby("unit", sort=True).sum()
    # A unit whose records all weigh 0 has no harm-weighted centroid: use the plain one.
    weighted = g["harm"].to_numpy() > 0
    safe = np.where(weighted, g["harm"].to_numpy(), 1.0)
    cx = np.where(weighted, g["hx"].to_numpy() / safe, g["x"].to_numpy() / g["n"].to_numpy())
    cy = np.where(weighted, g["hy"].to_numpy() / safe, g["y"].to_numpy() / g["n"].to_numpy())
    return pd.DataFrame(
        {
            "unit": g.index.to_numpy(),
            "harm": g["harm"].to_numpy(),
            "n": g["n"].to_numpy(),
            "cx": cx,
            "cy": cy,
        }
    )


def _segment_road(net: ModeNetwork, seg: int) -> tuple[str, str]:
    """Name and highway class of a segment ("" where unknown)."""
    name = str(net.name_labels[int(net.seg_name[seg])]).strip()
    edge = int(net.seg_fwd_edge[seg]) if net.seg_fwd_edge[seg] >= 0 else int(net.seg_bwd_edge[seg])
    highway = str(net.highway_labels[int(net.edge_highway[edge])]) if edge >= 0 else ""
    return name, highway


def _make_hotspots(
    chosen: pd.DataFrame,
    recs: pd.DataFrame,
    unit: np.ndarray,
    net: ModeNetwork | None,
    cells: np.ndarray,
    cell_m: float,
    total_harm: float,
) -> list[Hotspot]:
    """Hot spots for the chosen units (segment method if ``net`` is given, else grid cells)."""
    if chosen.empty:
        return []
    members = recs.assign(unit=unit)
    members = members[members["unit"].isin(chosen["unit"].to_numpy())]
    by_type = members.groupby(["unit", "crime_type"], sort=True)["harm"].agg(["size", "sum"])
    locations = members.loc[
        members["location"].str.replace("On or near", "", regex=False).str.strip() != ""
    ]
    # Commonest location per unit; ties go to the alphabetically first, for reproducible labels.
    loc_counts = locations.groupby(["unit", "location"], sort=True).size().reset_index(name="k")
    loc_counts = loc_counts.sort_values(
        ["unit", "k", "location"], ascending=[True, False, True], kind="stable"
    )
    hint = loc_counts.drop_duplicates("unit").set_index("unit")["location"].to_dict()

    lines = net.segment_lines() if net is not None else None
    out = []
    for rank, row in enumerate(chosen.itertuples(index=False), start=1):
        u = int(row.unit)
        types = by_type.loc[u]
        types = types.iloc[
            np.lexsort(
                (
                    types.index.to_numpy(dtype=str),
                    -types["size"].to_numpy(),
                    -types["sum"].to_numpy(),
                )
            )
        ]
        cx, cy = float(row.cx), float(row.cy)
        if lines is not None and net is not None:
            # The site is on the road: the point of the segment nearest its harm centroid.
            line = lines[u]
            pt = shapely.line_interpolate_point(
                line, shapely.line_locate_point(line, shapely.Point(cx, cy))
            )
            x_m, y_m = float(shapely.get_x(pt)), float(shapely.get_y(pt))
            name, highway = _segment_road(net, u)
            unit_id = f"seg-{u}"
            road = f"unnamed {highway} road" if highway else "unnamed road"
            label = name or f"{road} at {os_grid_ref(x_m, y_m, 8)}"
        else:
            x_m, y_m = cx, cy
            ix, iy = (int(v) for v in cells[u])
            unit_id = f"E{ix * cell_m:.0f}N{iy * cell_m:.0f}"
            centre = ((ix + 0.5) * cell_m, (iy + 0.5) * cell_m)
            label = f"{cell_m:g} m cell at {os_grid_ref(*centre, 8)}"
        out.append(
            Hotspot(
                site_id=f"HS-{rank:03d}",
                rank=rank,
                x_m=x_m,
                y_m=y_m,
                harm=float(row.harm),
                n_records=int(row.n),
                counts_by_type={str(k): int(v) for k, v in types["size"].items()},
                harm_by_type={str(k): float(v) for k, v in types["sum"].items()},
                label=label,
                share_of_harm=float(row.harm) / total_harm if total_harm > 0 else 0.0,
                unit_id=unit_id,
                location_hint=str(hint.get(u, "")),
            )
        )
    return out
