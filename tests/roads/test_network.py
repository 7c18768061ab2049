"""Normalised car and foot networks, speed rules, boundaries, road sources and the cache."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmnx as ox
import pytest
import shapely
from scipy.sparse import csgraph

from planner.errors import DownloadError, InputError
from planner.roads import cache as cache_mod
from planner.roads import sources as sources_mod
from planner.roads.cache import read_network, write_network
from planner.roads.network import RoadNetwork, read_boundary
from planner.roads.rules import (
    MPH_TO_KPH,
    car_allowed,
    car_direction,
    car_speed_kph,
    foot_allowed,
    parse_maxspeed_mph,
)
from planner.roads.sources import download_network, load_network


@pytest.mark.parametrize(
    ("value", "mph"),
    [
        ("30 mph", 30.0),
        ("20mph", 20.0),
        ("national", 60.0),
        ("GB:nsl_single", 60.0),
        ("GB:nsl_dual", 70.0),
        ("GB:motorway", 70.0),
        ("48", 48 / MPH_TO_KPH),
        ("50 km/h", 50 / MPH_TO_KPH),
        ("20 mph;30 mph", 20.0),
        ("signals", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_maxspeed(value: str | None, mph: float | None) -> None:
    """UK maxspeed values parse to mph; bare numbers are km/h as OSM defines them."""
    got = parse_maxspeed_mph(value)
    assert got == (pytest.approx(mph) if mph is not None else None)


def test_national_limit_on_dual_carriageway() -> None:
    """'national' on a dual carriageway is 70 mph, not 60."""
    assert parse_maxspeed_mph("national", dual=True) == 70.0


def test_speed_defaults_and_caps() -> None:
    """Untagged roads use the class default; a country lane at the national limit is capped."""
    assert car_speed_kph({"highway": "residential"}) == pytest.approx(25 * MPH_TO_KPH)
    assert car_speed_kph({"highway": "unclassified", "maxspeed": "national"}) == pytest.approx(
        40 * MPH_TO_KPH
    )
    assert car_speed_kph(
        {"highway": "trunk", "maxspeed": "70 mph", "oneway": "yes"}
    ) == pytest.approx(70 * MPH_TO_KPH)
    assert car_speed_kph({"highway": "residential", "maxspeed": "20 mph"}) == pytest.approx(
        20 * MPH_TO_KPH
    )


@pytest.mark.parametrize(
    ("tags", "direction"),
    [
        ({"highway": "residential"}, 3),
        ({"highway": "residential", "oneway": "yes"}, 1),
        ({"highway": "residential", "oneway": "-1"}, 2),
        ({"highway": "primary", "junction": "roundabout"}, 1),
        ({"highway": "primary", "junction": "roundabout", "oneway": "no"}, 3),
        ({"highway": "motorway"}, 1),
    ],
)
def test_car_direction(tags: dict[str, str], direction: int) -> None:
    """One-way rules: oneway tags, roundabouts and motorways."""
    assert car_direction(tags) == direction


def test_mode_filters() -> None:
    """Cars keep to public roads; walkers use footpaths but not motorways."""
    assert car_allowed({"highway": "primary"})
    assert not car_allowed({"highway": "footway"})
    assert not car_allowed({"highway": "service"})
    assert not car_allowed({"highway": "residential", "access": "private"})
    assert not car_allowed({"highway": "residential", "motor_vehicle": "no"})
    assert foot_allowed({"highway": "footway"})
    assert foot_allowed({"highway": "residential"})
    assert not foot_allowed({"highway": "motorway"})
    assert not foot_allowed({"highway": "footway", "foot": "no"})
    assert not foot_allowed({"highway": "cycleway"})
    assert foot_allowed({"highway": "cycleway", "foot": "designated"})


def _strongly_connected(net: RoadNetwork, mode: str) -> bool:
    mn = net.mode(mode)
    n, _ = csgraph.connected_components(mn.csr(), directed=True, connection="strong")
    return n == 1


def test_rutland_pbf_network(rutland: RoadNetwork) -> None:
    """Rutland: BNG coordinates, positive travel times, strongly connected, drops counted."""
    for mode in ("car", "foot"):
        mn = rutland.mode(mode)
        minx, miny, maxx, maxy = mn.bounds_m()
        assert 470_000 < minx < maxx < 515_000 and 290_000 < miny < maxy < 320_000
        assert np.all(mn.edge_travel_time_s > 0) and np.isfinite(mn.edge_travel_time_s).all()
        assert np.allclose(mn.edge_travel_time_s, mn.edge_length_m / (mn.edge_speed_kph / 3.6))
        assert _strongly_connected(rutland, mode)
        rep = mn.report
        assert rep.nodes == mn.n_nodes and rep.edges == mn.n_edges
        assert rep.components > 1 and rep.dropped_nodes > 0
    assert 2_500 < rutland.car.n_nodes < 3_500
    assert rutland.foot.n_nodes > 2 * rutland.car.n_nodes  # footpaths and tracks
    assert set(rutland.car.highway_labels) >= {"trunk", "primary", "residential"}


def test_edge_lengths_match_geometry(rutland: RoadNetwork) -> None:
    """Every edge's length is the length of its geometry, in metres."""
    car = rutland.car
    lines = car.segment_lines()[car.edge_segment]
    assert np.allclose(shapely.length(lines), car.edge_length_m)


def test_oneway_and_foot_directions(city: RoadNetwork) -> None:
    """City one-way streets have no reverse car edge; every foot edge has its reverse."""
    car = city.car
    assert car.edge_oneway.mean() > 0.2  # the City is full of one-way streets
    oneway_segs = car.edge_segment[car.edge_oneway]
    both = (car.seg_fwd_edge[oneway_segs] >= 0) & (car.seg_bwd_edge[oneway_segs] >= 0)
    assert not both.any()
    foot = city.foot
    pairs = set(zip(foot.edge_u.tolist(), foot.edge_v.tolist(), strict=True))
    assert all((v, u) in pairs for u, v in pairs)


def test_xml_and_pbf_agree(rutland: RoadNetwork) -> None:
    """The drive-only XML extract of Rutland gives (almost) the PBF's car network."""
    xml = load_network(
        Path(__file__).resolve().parents[3] / "shared" / "data" / "rutland-drive.osm.bz2"
    )
    assert xml.car.n_nodes == pytest.approx(rutland.car.n_nodes, rel=0.01)
    assert xml.car.edge_length_m.sum() == pytest.approx(rutland.car.edge_length_m.sum(), rel=0.01)


def test_graphml_network(westminster_graphml: Path) -> None:
    """Westminster GraphML: same total road length as osmnx reports, both modes routable."""
    net = load_network(westminster_graphml)
    graph = ox.load_graphml(westminster_graphml)
    osmnx_length = sum(d["length"] for _, _, d in graph.edges(data=True))
    # Dropped small components and projection differences stay within a few percent.
    assert net.car.edge_length_m.sum() == pytest.approx(osmnx_length, rel=0.05)
    assert _strongly_connected(net, "car") and _strongly_connected(net, "foot")


def test_leeds_tiny_network(leeds_pbf: Path) -> None:
    """The tiny Leeds fixture builds both modes."""
    net = load_network(leeds_pbf)
    assert net.car.n_nodes > 10 and net.foot.n_nodes > net.car.n_nodes


def test_clip_to_force_boundary(city_xml: Path, force_areas: Path) -> None:
    """Clipped to the City of London force area plus 200 m, no node lies outside it."""
    boundary = read_boundary(force_areas, name="London, City of")
    net = load_network(city_xml, boundary_m=boundary, buffer_m=200)
    clip = shapely.buffer(boundary, 200)
    for mode in ("car", "foot"):
        mn = net.mode(mode)
        assert shapely.contains_xy(clip, mn.node_x_m, mn.node_y_m).all()
        assert mn.report.clipped_points > 0
    full = load_network(city_xml)
    assert net.car.n_nodes < full.car.n_nodes


def test_boundary_unknown_name(force_areas: Path) -> None:
    """Asking for a force that is not in the file lists what is there."""
    with pytest.raises(InputError, match="Leicestershire"):
        read_boundary(force_areas, name="Atlantis")


def test_boundary_in_wrong_crs(tmp_path: Path) -> None:
    """BNG metres labelled as WGS84 are rejected with the CRS to declare."""
    poly = shapely.box(480_000, 290_000, 500_000, 320_000)
    path = tmp_path / "wrong.gpkg"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[poly], crs=4326).to_file(path)
    with pytest.raises(InputError, match="EPSG:27700"):
        read_boundary(path)


def test_cache_round_trip(tmp_path: Path, rutland: RoadNetwork) -> None:
    """A saved network reads back with identical arrays and reports."""
    path = write_network(rutland, tmp_path / "rutland.npz")
    again = read_network(path)
    for mode in ("car", "foot"):
        a, b = rutland.mode(mode), again.mode(mode)
        for name in cache_mod._ARRAY_FIELDS:
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
        assert a.report == b.report
        assert a.highway_labels == b.highway_labels


def test_cache_is_used(tmp_path: Path, leeds_pbf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second load with the same settings reads the cache and never parses the file."""
    first = load_network(leeds_pbf, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 1

    def no_parse(path: Path) -> None:
        raise AssertionError("parsed again despite the cache")

    monkeypatch.setattr(sources_mod, "read_ways", no_parse)
    second = load_network(leeds_pbf, cache_dir=tmp_path)
    assert np.array_equal(first.car.edge_travel_time_s, second.car.edge_travel_time_s)


def test_corrupt_cache_is_rebuilt(tmp_path: Path, leeds_pbf: Path) -> None:
    """A damaged cache file is ignored and rebuilt, not trusted."""
    load_network(leeds_pbf, cache_dir=tmp_path)
    (cached,) = tmp_path.glob("*.npz")
    cached.write_bytes(b"not a network")
    net = load_network(leeds_pbf, cache_dir=tmp_path)
    assert net.car.n_nodes > 0
    assert read_network(cached).car.n_nodes == net.car.n_nodes


def test_unknown_format(tmp_path: Path) -> None:
    """A file of an unknown type says which formats are accepted."""
    path = tmp_path / "roads.shp"
    path.write_text("x")
    with pytest.raises(InputError, match=r"\.osm\.pbf"):
        load_network(path)


def test_motorway_oneway_and_handmade(square_net: Callable[..., RoadNetwork]) -> None:
    """Hand-made block: the one-way side has a single edge, the motorway spur is car-only."""
    net = square_net()
    car, foot = net.car, net.foot
    assert "motorway" in car.highway_labels and "motorway" not in foot.highway_labels
    names = [car.name_labels[car.seg_name[s]] for s in car.edge_segment]
    assert names.count("East Street") == 1
    assert names.count("South Street") == 2


def test_to_networkx_for_osmnx_stats(rutland: RoadNetwork) -> None:
    """The osmnx export carries what osmnx.basic_stats needs."""
    graph = rutland.car.to_networkx(geometry=True)
    assert graph.number_of_edges() == rutland.car.n_edges
    stats = ox.stats.basic_stats(graph)
    assert 2.0 < stats["streets_per_node_avg"] < 3.5
    assert 1.0 < stats["circuity_avg"] < 1.3


# --------------------------------------------------------------------------- online source


def _recorded_nominatim(boundary_wgs84: shapely.Geometry) -> list[dict]:
    """A Nominatim search answer for the City of London, as osmnx receives it."""
    minx, miny, maxx, maxy = boundary_wgs84.bounds
    centre = boundary_wgs84.representative_point()
    return [
        {
            "place_id": 1,
            "licence": "Data (c) OpenStreetMap contributors, ODbL 1.0",
            "osm_type": "relation",
            "osm_id": 51800,
            "lat": str(centre.y),
            "lon": str(centre.x),
            "class": "boundary",
            "type": "administrative",
            "place_rank": 12,
            "importance": 0.8,
            "addresstype": "city",
            "name": "City of London",
            "display_name": "City of London, Greater London, England, United Kingdom",
            "boundingbox": [str(miny), str(maxy), str(minx), str(maxx)],
            "geojson": shapely.geometry.mapping(boundary_wgs84),
        }
    ]


@pytest.fixture()
def recorded_osm(
    monkeypatch: pytest.MonkeyPatch, city_xml: Path, force_areas: Path
) -> dict[str, int]:
    """Patch osmnx's Nominatim and Overpass requests to answer from recorded City data."""
    from osmnx import _nominatim, _overpass

    from planner.roads.osm import read_osm_file
    from tests.roads.test_osm import overpass_response

    pfa = gpd.read_file(force_areas)
    boundary = pfa.loc[pfa.PFA23NM == "London, City of"].geometry.iloc[0]
    answer = overpass_response(read_osm_file(city_xml))
    calls = {"nominatim": 0, "overpass": 0}

    def nominatim(
        params: dict, request_type: str = "search", pause: float = 1, error_pause: float = 60
    ) -> list:
        calls["nominatim"] += 1
        assert "City of London" in params["q"]
        return _recorded_nominatim(boundary)

    def overpass(data: dict, pause: float | None = None, error_pause: float = 55) -> dict:
        calls["overpass"] += 1
        assert '["highway"]' in data["data"]
        return answer

    monkeypatch.setattr(_nominatim, "_nominatim_request", nominatim)
    monkeypatch.setattr(_overpass, "_overpass_request", overpass)
    return calls


def test_download_by_place_then_cache(
    tmp_path: Path, recorded_osm: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A place-name download builds the network; the second run needs no network access."""
    from osmnx import _nominatim, _overpass

    net = download_network(place="City of London, England", cache_dir=tmp_path, buffer_m=200)
    assert recorded_osm["nominatim"] == 1 and recorded_osm["overpass"] >= 1
    assert net.car.n_nodes > 500
    assert "osmnx download" in net.source

    def offline(*args: object, **kwargs: object) -> None:
        raise ConnectionError("offline")

    monkeypatch.setattr(_nominatim, "_nominatim_request", offline)
    monkeypatch.setattr(_overpass, "_overpass_request", offline)
    again = download_network(place="City of London, England", cache_dir=tmp_path, buffer_m=200)
    assert again.car.n_edges == net.car.n_edges


def test_download_by_force_boundary(
    tmp_path: Path, recorded_osm: dict[str, int], force_areas: Path
) -> None:
    """A police force boundary polygon downloads without Nominatim, clipped to the force."""
    pfa = gpd.read_file(force_areas)
    polygon = pfa.loc[pfa.PFA23NM == "London, City of"].geometry.iloc[0]
    net = download_network(polygon_wgs84=polygon, cache_dir=tmp_path, buffer_m=200)
    assert recorded_osm["nominatim"] == 0
    assert net.boundary_wkt is not None
    assert net.car.n_nodes > 300


def test_download_failure_is_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no network and no cache, the error says what to do instead."""
    from osmnx import _overpass

    def offline(*args: object, **kwargs: object) -> None:
        raise ConnectionError("Name or service not known")

    monkeypatch.setattr(_overpass, "_overpass_request", offline)
    polygon = shapely.box(-0.1, 51.51, -0.09, 51.52)
    with pytest.raises(DownloadError, match="pbf"):
        download_network(polygon_wgs84=polygon, cache_dir=tmp_path)


@pytest.mark.online
def test_real_download(tmp_path: Path) -> None:
    """Real Overpass and Nominatim (needs the internet; deselected by default)."""
    net = download_network(place="Oakham, Rutland, England", cache_dir=tmp_path)
    assert net.car.n_nodes > 100
