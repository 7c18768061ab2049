"""The road network of a force area, from whichever source its config names."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import shapely

from planner.common import WGS84
from planner.config import ForceConfig
from planner.errors import InputError
from planner.roads.cache import cache_key, read_network, write_network
from planner.roads.network import (
    CRS_BNG,
    NORMALISE_VERSION,
    RoadNetwork,
    build_network,
    read_boundary,
)
from planner.roads.sources import download_network, load_network
from planner.roads.synthetic import GENERATOR_VERSION, generate_network

log = logging.getLogger(__name__)


def area_boundary(config: ForceConfig) -> shapely.Geometry | None:
    """The force boundary in EPSG:27700, if the config names one."""
    if config.area.boundary is None:
        return None
    return read_boundary(config.path(config.area.boundary), name=config.area.boundary_name)


def area_network(config: ForceConfig, cache_dir: str | Path) -> RoadNetwork:
    """Load (through the cache), generate or download the force area's road network."""
    area = config.area
    boundary = area_boundary(config)
    if area.network is not None:
        return load_network(
            config.path(area.network),
            boundary_m=boundary,
            buffer_m=area.buffer_m,
            cache_dir=cache_dir,
        )
    if area.synthetic is not None:
        return synthetic_network(
            area.synthetic.profile,
            area.synthetic.nodes,
            area.synthetic.seed,
            area.synthetic.name,
            cache_dir,
        )
    assert area.download is not None
    if area.download.use_boundary:
        if boundary is None:
            raise InputError(
                "[area.download] use_boundary = true needs [area] boundary = 'file'",
                field="area.download",
            )
        polygon = gpd.GeoSeries([boundary], crs=CRS_BNG).to_crs(WGS84).iloc[0]
        return download_network(polygon_wgs84=polygon, cache_dir=cache_dir, buffer_m=area.buffer_m)
    return download_network(place=area.download.place, cache_dir=cache_dir, buffer_m=area.buffer_m)


def synthetic_network(
    profile: str, nodes: int, seed: int, name: str, cache_dir: str | Path
) -> RoadNetwork:
    """The synthetic network for these settings, generated once and then read from the cache."""
    # Both versions in the key: a changed generator or normaliser never reuses a stale network.
    key = cache_key(
        "synthetic",
        profile,
        str(nodes),
        str(seed),
        name,
        f"v{NORMALISE_VERSION}",
        f"g{GENERATOR_VERSION}",
    )
    path = Path(cache_dir) / f"synthetic-{profile}-{nodes}-{seed}-{key}.npz"
    if path.exists():
        return read_network(path)
    net = build_network(generate_network(profile=profile, n_nodes=nodes, seed=seed, name=name))
    write_network(net, path)
    return net
