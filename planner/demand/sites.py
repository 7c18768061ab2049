"""Site locations from CSV, GeoJSON or GeoPackage, in British National Grid metres.

A site file has a unique ``site_id`` per row and a location given either as ``lon``/``lat``
(WGS84 degrees) or as ``easting``/``northing`` (EPSG:27700 metres). A row with neither (for
example only a ``postcode``: nothing is geocoded here) is kept as *unlocated*, so that it is
reported rather than lost. Spatial files (GeoJSON, GeoPackage) use their point geometry and CRS.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planner.common import to_bng
from planner.errors import InputError
from planner.roads.network import CRS_BNG, check_crs_plausible

log = logging.getLogger(__name__)


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


def _float(value: str | None, *, path: Path, row: int, field: str) -> float:
    if value is None or value.strip() == "":
        return float("nan")
    try:
        number = float(value)
    except ValueError:
        raise InputError(
            f"{value!r} is not a number; write it as e.g. 52.6712", path=path, row=row, field=field
        ) from None
    if not np.isfinite(number):
        raise InputError(f"{value!r} is not a finite number", path=path, row=row, field=field)
    return number


def read_site_points(path: str | Path) -> SitePoints:
    """Read site locations from ``.csv``, ``.geojson``/``.json`` or ``.gpkg``.

    Raises
    ------
    InputError
        Naming the file, row and field: missing file, no ``site_id`` column, duplicate or empty
        id, a non-numeric coordinate, or coordinates that cannot be in Great Britain.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("site file not found; check the path", path=path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        ids, xs, ys, attrs = _read_csv(path)
    elif suffix in {".geojson", ".json", ".gpkg"}:
        ids, xs, ys, attrs = _read_spatial(path)
    else:
        raise InputError("unknown site file type; use .csv, .geojson or .gpkg", path=path)
    seen: dict[str, int] = {}
    for row, sid in enumerate(ids, start=1):
        if not sid:
            raise InputError(
                "empty site_id; give every site a unique id", path=path, row=row, field="site_id"
            )
        if sid in seen:
            raise InputError(
                f"site_id {sid!r} repeats row {seen[sid]}; ids must be unique",
                path=path,
                row=row,
                field="site_id",
            )
        seen[sid] = row
    return SitePoints(
        path=path,
        site_id=tuple(ids),
        x_m=np.asarray(xs),
        y_m=np.asarray(ys),
        attributes=tuple(attrs),
    )


def _read_csv(path: Path) -> tuple[list[str], list[float], list[float], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        columns = [c.strip() for c in (reader.fieldnames or [])]
        if "site_id" not in columns:
            raise InputError(
                f"no 'site_id' column (columns are: {', '.join(columns) or 'none'})",
                path=path,
                field="site_id",
            )
        has_ll = {"lon", "lat"} <= set(columns)
        has_en = {"easting", "northing"} <= set(columns)
        if not (has_ll or has_en):
            raise InputError(
                "needs lon and lat columns (WGS84) or easting and northing columns (EPSG:27700)",
                path=path,
            )
        ids: list[str] = []
        xs: list[float] = []
        ys: list[float] = []
        attrs: list[dict[str, str]] = []
        for row, rec in enumerate(reader, start=1):
            rec = {(k or "").strip(): (v or "").strip() for k, v in rec.items()}
            ids.append(rec["site_id"])
            x = y = float("nan")
            if has_en and rec.get("easting") and rec.get("northing"):
                x = _float(rec["easting"], path=path, row=row, field="easting")
                y = _float(rec["northing"], path=path, row=row, field="northing")
                if np.isfinite(x) and np.isfinite(y):
                    _check_point(x, y, "EPSG:27700", path, row, "easting")
            elif has_ll and rec.get("lon") and rec.get("lat"):
                lon = _float(rec["lon"], path=path, row=row, field="lon")
                lat = _float(rec["lat"], path=path, row=row, field="lat")
                if np.isfinite(lon) and np.isfinite(lat):
                    _check_point(lon, lat, "EPSG:4326", path, row, "lon")
                    x, y = to_bng().transform(lon, lat)
            xs.append(float(x))
            ys.append(float(y))
            attrs.append(
                {
                    k: v
                    for k, v in rec.items()
                    if k not in {"site_id", "lon", "lat", "easting", "northing"}
                }
            )
    return ids, xs, ys, attrs


def _check_point(x: float, y: float, crs: str, path: Path, row: int, field: str) -> None:
    try:
        check_crs_plausible(x, y, x, y, crs=crs, what="site")
    except InputError as exc:
        raise InputError(exc.detail, path=path, row=row, field=field) from None


def _read_spatial(path: Path) -> tuple[list[str], list[float], list[float], list[dict[str, str]]]:
    import geopandas as gpd

    try:
        gdf = gpd.read_file(path)
    except Exception as exc:
        raise InputError(f"cannot read as GeoJSON/GeoPackage ({exc})", path=path) from exc
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
    ids = [str(v).strip() if v is not None else "" for v in gdf["site_id"]]
    xs = np.full(len(gdf), np.nan)
    ys = np.full(len(gdf), np.nan)
    for row, geom in enumerate(gdf.geometry, start=1):
        if geom is None or geom.is_empty:
            continue
        if geom.geom_type != "Point":
            geom = geom.representative_point()
        try:
            check_crs_plausible(geom.x, geom.y, geom.x, geom.y, crs=gdf.crs, what="site")
        except InputError as exc:
            raise InputError(exc.detail, path=path, row=row, field="geometry") from None
    bng = gdf.to_crs(CRS_BNG)
    for i, geom in enumerate(bng.geometry):
        if geom is None or geom.is_empty:
            continue
        pt = geom if geom.geom_type == "Point" else geom.representative_point()
        xs[i], ys[i] = pt.x, pt.y
    other = [c for c in gdf.columns if c not in {"site_id", "geometry"}]
    attrs = [
        {c: "" if r[c] is None else str(r[c]) for c in other} for _, r in gdf[other].iterrows()
    ]
    return ids, xs.tolist(), ys.tolist(), attrs
