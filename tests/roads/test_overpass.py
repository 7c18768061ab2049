"""Overpass API JSON responses as road networks (planner.roads.overpass)."""

from __future__ import annotations

import bz2
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.config import load_config
from planner.errors import InputError, NetworkError
from planner.roads.area import area_network
from planner.roads.network import RoadNetwork
from planner.roads.osm import read_osm_file
from planner.roads.overpass import overpass_json_to_ways, read_overpass_file
from planner.roads.sources import load_network, read_ways
from tests.roads.builders import (
    assert_same_network,
    overpass_geom_response,
    overpass_response,
    write_json,
)

REPO = Path(__file__).resolve().parents[2]
CITY_CONFIG = REPO / "data" / "city-of-london" / "force.toml"


@pytest.fixture(scope="module")
def city_response(city_xml: Path) -> dict:
    """The City of London extract as the Overpass response it was converted from."""
    return overpass_response(read_osm_file(city_xml))


@pytest.mark.parametrize("name", ["city.json", "city.json.gz", "city.json.bz2"])
def test_overpass_file_gives_the_xml_network(
    tmp_path: Path, city_response: dict, city: RoadNetwork, name: str
) -> None:
    """A saved Overpass response, plain or compressed, gives exactly the XML's network."""
    net = load_network(write_json(tmp_path / name, city_response))
    assert_same_network(net, city)


def test_overpass_extras_and_pieces_are_read_like_osmnx_caches(
    tmp_path: Path, city_response: dict, city: RoadNetwork
) -> None:
    """A list of responses (a large area in pieces) with buildings and relations mixed in."""
    elements = city_response["elements"]
    half = len(elements) // 2
    noise = [
        {"type": "way", "id": 1, "nodes": [elements[0]["id"], elements[1]["id"]], "tags": {}},
        {"type": "relation", "id": 2, "members": [], "tags": {"type": "route"}},
        {"type": "node", "id": 3},  # an id without coordinates, as "out ids;" gives
    ]
    pieces = [
        {**city_response, "elements": elements[:half] + noise},
        {**city_response, "elements": elements[half:]},
    ]
    net = load_network(write_json(tmp_path / "pieces.json", pieces))
    assert_same_network(net, city)


def test_overpass_out_geom(tmp_path: Path, city_xml: Path, city: RoadNetwork) -> None:
    """Ways carrying their own coordinates (``out geom;``, no node elements) read the same."""
    response = overpass_geom_response(read_osm_file(city_xml))
    assert not any(e["type"] == "node" for e in response["elements"])
    assert_same_network(load_network(write_json(tmp_path / "geom.json", response)), city)


def test_force_config_with_overpass_network(
    tmp_path: Path, city_response: dict, city_xml: Path
) -> None:
    """``[area] network = "city.json"`` in a force config gives the XML config's network."""
    text = CITY_CONFIG.read_text().replace("../../../shared", str(REPO.parent / "shared"))
    text = text.replace('sites = ["sites.csv"]', f'sites = ["{CITY_CONFIG.parent / "sites.csv"}"]')
    xml_network = f'network = "{REPO.parent / "shared" / "data" / city_xml.name}"'
    assert xml_network in text
    (tmp_path / "xml.toml").write_text(text)
    (tmp_path / "json.toml").write_text(text.replace(xml_network, 'network = "city.json"'))
    write_json(tmp_path / "city.json", city_response)
    from_json = area_network(load_config(tmp_path / "json.toml"), tmp_path / "cache")
    from_xml = area_network(load_config(tmp_path / "xml.toml"), tmp_path / "cache")
    assert from_json.boundary_wkt is not None
    assert_same_network(from_json, from_xml)


def test_cli_network_reads_overpass_json(tmp_path: Path, city_response: dict) -> None:
    """``planner network city.json`` reports the network instead of refusing the format."""
    path = write_json(tmp_path / "city.json", city_response)
    result = CliRunner().invoke(
        cli, ["network", str(path), "--cache-dir", str(tmp_path / "cache")], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "car:" in result.output and "foot:" in result.output


def test_overpass_error_remark(tmp_path: Path) -> None:
    """Overpass's report of a failed query (no elements, a remark) is shown, with a fix."""
    doc = {"elements": [], "remark": 'runtime error: Query timed out in "query" at line 3'}
    with pytest.raises(InputError, match=r"failed\.json.*Query timed out.*run it again"):
        read_ways(write_json(tmp_path / "failed.json", doc))


def test_overpass_without_roads(tmp_path: Path) -> None:
    """A response of buildings only says it holds no roads and what to ask for."""
    doc = {
        "elements": [
            {"type": "node", "id": 1, "lat": 51.5, "lon": -0.1},
            {"type": "node", "id": 2, "lat": 51.5, "lon": -0.09},
            {"type": "way", "id": 9, "nodes": [1, 2], "tags": {"building": "yes"}},
        ]
    }
    with pytest.raises(NetworkError, match=r"no roads \(1 ways, none of them a road\).*highway"):
        read_ways(write_json(tmp_path / "buildings.json", doc))


def test_overpass_ways_without_nodes(tmp_path: Path) -> None:
    """Ways asked for without their nodes (``out;`` with no recursion) name the query to use."""
    doc = {"elements": [{"type": "way", "id": 9, "nodes": [1, 2], "tags": {"highway": "primary"}}]}
    with pytest.raises(InputError, match=r"no node coordinates.*\(\._;>;\); out;"):
        read_ways(write_json(tmp_path / "ways.json", doc))


@pytest.mark.parametrize(
    ("element", "message"),
    [
        (
            {"type": "way", "id": 9, "tags": {"highway": "primary"}},
            r"element 2 \(way 9\) has no list",
        ),
        ({"type": "way", "id": "x", "nodes": [1], "tags": {"highway": "primary"}}, "id 'x'"),
        ({"type": "node", "id": 5, "lat": "51.5", "lon": -0.1}, r"element 2 has lat '51\.5'"),
        ({"type": "node", "id": 5, "lat": 151.5, "lon": -0.1}, "lat 151.5, not a number from -90"),
        (
            {"type": "way", "id": 9, "nodes": [1], "tags": ["highway"]},
            "tags that are not an object",
        ),
        ("way", "element 2 is str"),
    ],
)
def test_malformed_element_is_named(element: object, message: str) -> None:
    """A malformed element is an InputError naming the response, element and fault."""
    doc = {"elements": [{"type": "node", "id": 1, "lat": 51.5, "lon": -0.1}, element]}
    with pytest.raises(InputError, match=message):
        overpass_json_to_ways([doc], source="test.json")


def test_geojson_named_json(tmp_path: Path) -> None:
    """A GeoJSON of roads is refused, saying a network must be OSM data or GraphML."""
    doc = {"type": "FeatureCollection", "features": []}
    with pytest.raises(InputError, match=r"roads\.json.*GeoJSON.*\.osm\.pbf"):
        read_ways(write_json(tmp_path / "roads.json", doc))


def test_json_that_is_not_a_response(tmp_path: Path) -> None:
    """JSON of another kind says what an Overpass response looks like."""
    with pytest.raises(InputError, match=r'response 1 is not an Overpass API response.*"elements"'):
        read_ways(write_json(tmp_path / "other.json", {"data": [1, 2]}))
    with pytest.raises(InputError, match="empty JSON list"):
        read_ways(write_json(tmp_path / "list.json", []))


def test_truncated_json(tmp_path: Path, city_response: dict) -> None:
    """A response cut off part way (plain or bz2) says so and to download it again."""
    payload = json.dumps(city_response).encode()
    plain = tmp_path / "cut.json"
    plain.write_bytes(payload[: len(payload) // 2])
    with pytest.raises(
        InputError, match=r"cut\.json: is not valid JSON \(line 1.*download it again"
    ):
        read_overpass_file(plain)
    packed = bz2.compress(payload)
    cut = tmp_path / "cut.json.bz2"
    cut.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(InputError, match=r"cut\.json\.bz2.*truncated or corrupt"):
        read_overpass_file(cut)
