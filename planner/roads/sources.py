"""Where road networks come from: files (format by extension) and osmnx downloads.

:func:`load_network` reads an OpenStreetMap extract (``.osm.pbf``, ``.osm``, ``.osm.bz2``,
``.osm.gz``), an Overpass API JSON response (``.json``, ``.json.bz2``, ``.json.gz``), an osmnx
GraphML file or a saved network (``.npz``); :func:`download_network` asks Overpass
through osmnx. Both normalise with :func:`planner.roads.network.build_network` and keep the
result in the cache (:mod:`planner.roads.cache`), so a second load needs neither parsing nor
internet.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import shapely

from planner.common import DEFAULT_BUFFER_M, to_bng, to_wgs84
from planner.errors import DownloadError, InputError
from planner.roads.cache import cache_key, read_network, write_network
from planner.roads.formats import check_file, network_format, unknown_format_error
from planner.roads.graphml import read_graphml_file
from planner.roads.network import RoadNetwork, build_network
from planner.roads.osm import OsmWays, read_osm_file
from planner.roads.overpass import overpass_json_to_ways, read_overpass_file

log = logging.getLogger(__name__)


def read_ways(path: str | Path) -> OsmWays:
    """Read raw ways from a file, choosing the reader by the name's ending.

    PBF and OSM XML (:func:`planner.roads.osm.read_osm_file`), an Overpass JSON response
    (:func:`planner.roads.overpass.read_overpass_file`) or osmnx GraphML
    (:func:`planner.roads.graphml.read_graphml_file`). Every reader first checks that the
    content is what the name promises (:mod:`planner.roads.formats`).
    """
    path = Path(path)
    fmt = network_format(path)
    if fmt == "graphml":
        return read_graphml_file(path)
    if fmt == "overpass_json":
        return read_overpass_file(path)
    if fmt in ("pbf", "osm_xml"):
        return read_osm_file(path)
    raise unknown_format_error(path)


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_network(
    source: str | Path,
    *,
    boundary_m: shapely.Geometry | None = None,
    buffer_m: float = DEFAULT_BUFFER_M,
    cache_dir: str | Path | None = None,
) -> RoadNetwork:
    """Load a road network from a file, through the cache when ``cache_dir`` is given.

    Parameters
    ----------
    source
        ``.osm.pbf``, ``.osm``, ``.osm.bz2``, ``.osm.gz``, an Overpass ``.json`` (also
        ``.json.bz2``, ``.json.gz``), ``.graphml``, or a saved network ``.npz``.
    boundary_m, buffer_m
        Optional clipping, as in :func:`planner.roads.network.build_network`.
    cache_dir
        Folder for normalised networks; a second load of the same file with the same settings
        reads the cache instead of parsing again.
    """
    path = Path(source)
    fmt = network_format(path)
    if fmt is None:
        raise unknown_format_error(path)
    check_file(path)
    if fmt == "npz":
        return read_network(path)
    cache_file = None
    if cache_dir is not None:
        boundary_part = shapely.to_wkb(boundary_m).hex() if boundary_m is not None else ""
        key = cache_key(_file_digest(path), boundary_part, f"{buffer_m:.3f}")
        cache_file = Path(cache_dir) / f"{path.name.split('.')[0]}-{key}.npz"
        if cache_file.exists():
            try:
                log.info("reading cached network %s", cache_file)
                cached = read_network(cache_file)
                # Built earlier, so its warnings were logged then: say them again on every load.
                for warning in cached.warnings():
                    log.warning("%s: %s", path, warning)
                return cached
            except InputError as exc:
                log.warning("ignoring unreadable cache %s: %s", cache_file, exc)
    net = build_network(read_ways(path), boundary_m=boundary_m, buffer_m=buffer_m)
    if cache_file is not None:
        write_network(net, cache_file)
    return net


def download_network(
    *,
    place: str | None = None,
    polygon_wgs84: shapely.Geometry | None = None,
    cache_dir: str | Path,
    buffer_m: float = DEFAULT_BUFFER_M,
) -> RoadNetwork:
    """Download the roads of a place or polygon with osmnx (Overpass), normalised and cached.

    The first call queries Nominatim (for a place name) and Overpass through osmnx, with
    osmnx's own HTTP cache in ``cache_dir/osmnx``; the normalised network is then saved in
    ``cache_dir``, so a second call needs no network access at all.

    Parameters
    ----------
    place
        A place name Nominatim knows, e.g. ``"Rutland, England"``.
    polygon_wgs84
        Or a boundary in EPSG:4326, e.g. a police force area.
    cache_dir
        Where both caches live.
    buffer_m
        Margin around the boundary, metres.
    """
    import osmnx as ox

    if (place is None) == (polygon_wgs84 is None):
        raise InputError("give exactly one of a place name or a boundary polygon", field="place")
    cache_dir = Path(cache_dir)
    what = place if place is not None else shapely.to_wkb(polygon_wgs84).hex()
    key = cache_key("download", what, f"{buffer_m:.3f}")
    cache_file = cache_dir / f"download-{key}.npz"
    if cache_file.exists():
        log.info("reading cached download %s", cache_file)
        return read_network(cache_file)

    ox.settings.use_cache = True
    ox.settings.cache_folder = str(cache_dir / "osmnx")
    try:
        if place is not None:
            polygon_wgs84 = ox.geocode_to_gdf(place).geometry.union_all()
        boundary_m = shapely.transform(polygon_wgs84, to_bng().transform, interleaved=False)
        query_area = shapely.transform(
            shapely.buffer(boundary_m, buffer_m), to_wgs84().transform, interleaved=False
        )
        # osmnx's public graph builders drop the tags we need (foot, motor_vehicle...), so ask
        # its Overpass client for raw highway ways and normalise them like a file extract.
        from osmnx import _overpass

        responses = list(_overpass._download_overpass_network(query_area, "all", ['["highway"]']))
    except (ConnectionError, OSError) as exc:
        raise DownloadError(
            f"cannot download roads for {place or 'the boundary'} ({exc}); connect to the "
            "internet once, or use a Geofabrik .osm.pbf extract instead"
        ) from exc
    except Exception as exc:  # osmnx raises its own errors for Nominatim/Overpass failures
        if type(exc).__module__.startswith(("osmnx", "requests")):
            raise DownloadError(
                f"osmnx download failed for {place or 'the boundary'}: {exc}"
            ) from exc
        raise
    ways = overpass_json_to_ways(responses, source=f"osmnx download: {place or 'boundary polygon'}")
    net = build_network(ways, boundary_m=boundary_m, buffer_m=buffer_m)
    write_network(net, cache_file)
    return net
