"""Reading and writing raw OpenStreetMap ways (planner.roads.osm)."""

from __future__ import annotations

import bz2
from pathlib import Path

import numpy as np
import osmnx as ox
import pytest

from planner.errors import InputError, NetworkError
from planner.roads.graphml import graph_to_ways
from planner.roads.osm import read_osm_file, write_osm_pbf, write_osm_xml
from planner.roads.overpass import overpass_json_to_ways
from tests.roads.builders import overpass_response


def test_reads_geofabrik_pbf(leeds_pbf: Path) -> None:
    """The Leeds PBF gives its 184 highway ways, all nodes inside its header box."""
    ways = read_osm_file(leeds_pbf)
    assert ways.n_ways == 184
    assert ways.lon.min() > -1.57 and ways.lon.max() < -1.54
    assert ways.lat.min() > 53.80 and ways.lat.max() < 53.82
    assert np.all(np.diff(ways.node_id) > 0)
    assert all("highway" in t for t in ways.way_tags)


def test_reads_osm_xml_bz2(city_xml: Path) -> None:
    """The City of London XML (bz2) gives every one of its 3,418 ways."""
    ways = read_osm_file(city_xml)
    assert ways.n_ways == 3418
    assert ways.n_nodes == 10143


def test_reads_rutland_pbf(rutland_pbf: Path) -> None:
    """The whole-county PBF yields the highway ways only, with valid coordinates."""
    ways = read_osm_file(rutland_pbf)
    assert 6000 < ways.n_ways < 7000
    assert np.isfinite(ways.lon).all() and np.isfinite(ways.lat).all()
    assert ways.missing_refs == 0


@pytest.mark.parametrize("suffix", [".osm.pbf", ".osm", ".osm.bz2"])
def test_write_read_round_trip(tmp_path: Path, leeds_pbf: Path, suffix: str) -> None:
    """Ways written as PBF, XML or bz2 XML read back identical: ids, refs, tags, coordinates."""
    ways = read_osm_file(leeds_pbf)
    out = tmp_path / f"roundtrip{suffix}"
    (write_osm_pbf if suffix.endswith("pbf") else write_osm_xml)(ways, out)
    again = read_osm_file(out)
    assert np.array_equal(again.way_id, ways.way_id)
    assert np.array_equal(again.way_refs, ways.way_refs)
    assert again.way_tags == ways.way_tags
    used = np.searchsorted(ways.node_id, again.node_id)
    assert np.allclose(again.lon, ways.lon[used], atol=1e-7)


def test_missing_file_names_it(tmp_path: Path) -> None:
    """A missing file is an InputError naming the path."""
    with pytest.raises(InputError, match=r"nope\.osm\.pbf.*not found"):
        read_osm_file(tmp_path / "nope.osm.pbf")


def test_empty_file(tmp_path: Path) -> None:
    """An empty file is an InputError saying so."""
    path = tmp_path / "empty.osm.pbf"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_osm_file(path)


def test_truncated_pbf(tmp_path: Path, rutland_pbf: Path) -> None:
    """A PBF cut off half way is reported as unreadable, naming the file and a fix."""
    path = tmp_path / "truncated.osm.pbf"
    data = rutland_pbf.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"truncated\.osm\.pbf.*download"):
        read_osm_file(path)


def test_truncated_xml(tmp_path: Path, city_xml: Path) -> None:
    """An XML file cut off mid-element is reported, not half-read."""
    text = bz2.decompress(city_xml.read_bytes())
    path = tmp_path / "cut.osm"
    path.write_bytes(text[: len(text) // 3])
    with pytest.raises(InputError, match=r"cut\.osm"):
        read_osm_file(path)


def test_garbage_file(tmp_path: Path) -> None:
    """Random bytes with a .pbf name are an InputError, not a crash."""
    path = tmp_path / "garbage.osm.pbf"
    path.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(InputError, match="garbage"):
        read_osm_file(path)


def test_file_without_roads(tmp_path: Path) -> None:
    """An extract with buildings but no highway ways says it has no roads."""
    path = tmp_path / "buildings.osm"
    path.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" lat="52.6" lon="-0.7"/><node id="2" lat="52.6" lon="-0.69"/>'
        '<node id="3" lat="52.61" lon="-0.69"/>'
        '<way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/>'
        '<tag k="building" v="yes"/></way></osm>'
    )
    with pytest.raises(NetworkError, match="no roads"):
        read_osm_file(path)


def test_overpass_json(city_xml: Path) -> None:
    """An Overpass JSON response converts to the same ways as the XML it was made from."""
    ways = read_osm_file(city_xml)
    response = overpass_response(ways)
    again = overpass_json_to_ways([response], source="recorded")
    assert np.array_equal(again.way_id, ways.way_id)
    assert np.array_equal(again.way_refs, ways.way_refs)


def test_graphml_to_ways(westminster_graphml: Path) -> None:
    """Every GraphML edge becomes a way; two-way streets are merged into one two-way way."""
    graph = ox.load_graphml(westminster_graphml)
    ways = graph_to_ways(graph, str(westminster_graphml))
    oneway = sum(1 for t in ways.way_tags if t["oneway"] == "yes")
    twoway = ways.n_ways - oneway
    assert oneway + 2 * twoway == pytest.approx(graph.number_of_edges(), rel=0.01)
