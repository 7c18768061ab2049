"""Property tests of the road network readers: any input is read or refused with a planner error.

Whatever bytes a user hands over as OSM XML, an Overpass JSON response, osmnx GraphML or an
OSM PBF extract, reading it and building its network gives either a network or a
:class:`planner.errors.PlannerError` naming the problem: never another exception, never a
hang (each example has a deadline; inputs are a few kilobytes). The inputs are built near
the real formats (well-formed documents with wrong values, real files cut short or with bytes
changed), where a parser is most likely to let a bad value through.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, TypeVar
from xml.sax.saxutils import escape, quoteattr

import osmnx as ox  # imported before the examples run, so no example pays for the import
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import PlannerError
from planner.roads.network import RoadNetwork, build_network
from planner.roads.osm import OsmWays
from planner.roads.overpass import overpass_json_to_ways
from planner.roads.sources import read_ways
from tests.conftest import shared_file

FUZZ = settings(
    max_examples=60,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

HIGHWAYS = ["residential", "primary", "motorway", "footway", "service", "track", "no", ""]


def read_and_build(name: str, payload: bytes) -> RoadNetwork | None:
    """Write ``payload`` as ``name``, read it and build its network; planner errors are fine."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(payload)
        try:
            return build_network(read_ways(path))
        except PlannerError:
            return None


def build(ways: OsmWays) -> RoadNetwork | None:
    try:
        return build_network(ways)
    except PlannerError:
        return None


# ------------------------------------------------------------------------------ values
# Each document draws a fault rate: most documents are sound (so reading gets to the network
# builder), some have a few faulty values, some many. A faulty value is of the wrong type,
# out of range, or text where a number belongs.

T = TypeVar("T")
U = TypeVar("U")
FAULT_PERCENT = st.sampled_from([0, 0, 0, 3, 15, 50])


def pick(
    draw: st.DrawFn, percent: int, good: st.SearchStrategy[T], bad: st.SearchStrategy[U]
) -> T | U:
    """A draw from ``bad`` ``percent`` times in a hundred, else from ``good``."""
    if percent and draw(st.integers(0, 99)) < percent:
        return draw(bad)
    return draw(good)


short_text = st.text(max_size=12)
#: Nodes 1 to N_NODES exist; sound ways use them, so documents often make a real network.
N_NODES = 8
bad_ids = st.one_of(
    st.integers(-(2**70), 2**70), st.sampled_from(["x", "", "1.5", "007", "1e3", " 3"])
)
bad_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "abc", "52.6e", "91", "181", "-0", "1e999"]),
)
lats = st.floats(52.60, 52.62)
lons = st.floats(-0.72, -0.70)
refs = st.lists(st.integers(1, N_NODES), min_size=2, max_size=6)
road_tags = st.fixed_dictionaries(
    {"highway": st.sampled_from(["residential", "primary", "tertiary", "footway", "motorway"])},
    optional={
        "oneway": st.sampled_from(["yes", "no", "-1", "reversible", "1"]),
        "junction": st.just("roundabout"),
        "maxspeed": st.sampled_from(["30 mph", "50", "national", "none", "20;30 mph"]),
        "access": st.sampled_from(["private", "no", "destination"]),
        "name": short_text,
    },
)
bad_tags = st.dictionaries(
    st.one_of(st.sampled_from(["highway", "oneway", "maxspeed"]), short_text),
    st.one_of(st.sampled_from(HIGHWAYS), short_text),
    max_size=4,
)


def cut(text: str, data: st.DataObject, *, always: bool = False) -> str:
    """The text, or (one time in ten, or ``always``) cut short or with a slice replaced."""
    damage = st.sampled_from(["cut", "splice"])
    if not always and data.draw(st.integers(0, 9), label="damage?"):
        return text
    how = data.draw(damage, label="damage")
    if not text:
        return text
    at = data.draw(st.integers(0, len(text) - 1), label="at")
    if how == "cut":
        return text[:at]
    return (
        text[:at]
        + data.draw(short_text, label="insert")
        + text[at + data.draw(st.integers(0, 20)) :]
    )


# ------------------------------------------------------------------------------ OSM XML


def attr(value: object, raw: bool) -> str:
    """An XML attribute value, quoted properly or (to fuzz the parser) pasted in raw."""
    return f'"{value}"' if raw else quoteattr(str(value))


@st.composite
def osm_xml(draw: st.DrawFn) -> str:
    """An OSM XML document of a few nodes and ways, with odd ids, coordinates and tags."""
    pct = draw(FAULT_PERCENT)
    raw = pct > 0 and not draw(st.integers(0, 4))
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    for n in range(1, N_NODES + 1):
        node_id = pick(draw, pct, st.just(n), bad_ids)
        lat, lon = pick(draw, pct, lats, bad_numbers), pick(draw, pct, lons, bad_numbers)
        parts.append(f"<node id={attr(node_id, raw)} lat={attr(lat, raw)} lon={attr(lon, raw)}/>")
    for w in range(draw(st.integers(0, 6))):
        way_refs = pick(draw, pct, refs, st.lists(bad_ids, max_size=4))
        nds = "".join(f"<nd ref={attr(r, raw)}/>" for r in way_refs)
        way_tags = pick(draw, pct, road_tags, bad_tags)
        tag_xml = "".join(f"<tag k={attr(k, raw)} v={attr(v, raw)}/>" for k, v in way_tags.items())
        parts.append(
            f"<way id={attr(pick(draw, pct, st.just(w + 1), bad_ids), raw)}>{nds}{tag_xml}</way>"
        )
    parts.append("</osm>")
    return "\n".join(parts)


@given(osm_xml(), st.data(), st.sampled_from(["roads.osm", "roads.osm.pbf", "roads.xml"]))
@FUZZ
def test_osm_xml_is_read_or_refused(text: str, data: st.DataObject, name: str) -> None:
    """OSM XML with odd values, cut short or spliced, read under XML or PBF names."""
    read_and_build(name, cut(text, data).encode("utf-8", "surrogatepass"))


# ------------------------------------------------------------------------------ Overpass JSON

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), short_text
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(short_text, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def overpass_elements(draw: st.DrawFn) -> list[object]:
    """Nodes and ways near the Overpass shape, some fields of the wrong type or missing."""
    pct = draw(FAULT_PERCENT)
    elements: list[object] = []
    for n in range(1, draw(st.integers(0, N_NODES)) + 1):
        el = {
            "type": "node",
            "id": pick(draw, pct, st.just(n), json_values),
            "lat": pick(draw, pct, lats, json_values),
            "lon": pick(draw, pct, lons, json_values),
        }
        if pick(draw, pct, st.just(False), st.booleans()):
            del el[draw(st.sampled_from(["id", "lat", "lon"]))]
        elements.append(el)
    for w in range(draw(st.integers(0, 6))):
        way_refs = pick(draw, pct, refs, json_values)
        way: dict[str, object] = {
            "type": "way",
            "id": pick(draw, pct, st.just(100 + w), json_values),
            "nodes": way_refs,
            "tags": pick(draw, pct, road_tags, st.one_of(bad_tags, json_values)),
        }
        if isinstance(way_refs, list) and not draw(st.integers(0, 3)):
            # As "out geom;" gives it: the coordinates of each node inside the way.
            point = st.fixed_dictionaries({"lat": lats, "lon": lons})
            way["geometry"] = [pick(draw, pct, point, json_values) for _ in way_refs]
        elements.append(way)
    if pick(draw, pct, st.just(False), st.booleans()):
        elements.append(draw(json_values))
    return elements


overpass_docs = st.one_of(
    overpass_elements().map(lambda els: {"elements": els}),
    overpass_elements().map(lambda els: {"elements": els}),
    st.lists(overpass_elements().map(lambda els: {"elements": els}), max_size=3),
    st.fixed_dictionaries({"elements": st.just([]), "remark": short_text}),
    json_values,
)


@given(overpass_elements())
@FUZZ
def test_overpass_elements_are_read_or_refused(elements: list[object]) -> None:
    """Parsed Overpass responses with odd elements: ways, or a planner error naming one."""
    try:
        ways = overpass_json_to_ways([{"elements": elements}], source="fuzz")
    except PlannerError:
        return
    build(ways)


@given(overpass_docs, st.data())
@FUZZ
def test_overpass_files_are_read_or_refused(doc: object, data: st.DataObject) -> None:
    """Overpass JSON files of any JSON, cut short or spliced."""
    text = cut(json.dumps(doc), data)
    read_and_build("r.json", text.encode("utf-8", "surrogatepass"))


# ------------------------------------------------------------------------------ GraphML

linestrings = st.builds(
    lambda pts: "LINESTRING (" + ", ".join(f"{x} {y}" for x, y in pts) + ")",
    st.lists(st.tuples(lons, lats), min_size=2, max_size=4),
)
bad_wkt = st.sampled_from(
    ["POINT (1 2)", "LINESTRING EMPTY", "MULTILINESTRING ((0 0, 1 1))", "nonsense", ""]
)
#: Sound and faulty values of the edge attributes osmnx writes.
EDGE_VALUES: dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]] = {
    "osmid": (st.integers(1, 2**40).map(str), st.one_of(st.integers(-5, 0).map(str), short_text)),
    "oneway": (st.sampled_from(["True", "False"]), st.sampled_from(["yes", "-1", "", "maybe"])),
    "highway": (
        st.sampled_from(["residential", "primary", "['primary', 'secondary']"]),
        short_text,
    ),
    "from": (st.integers(1, 6).map(str), short_text),
    "to": (st.integers(1, 6).map(str), short_text),
    "geometry": (linestrings, bad_wkt),
    "length": (st.floats(0, 1e4).map(str), st.one_of(st.floats().map(str), short_text)),
    "reversed": (st.sampled_from(["True", "False"]), short_text),
}


@st.composite
def graphml(draw: st.DrawFn) -> str:
    """An osmnx-like GraphML document: a few nodes with x/y and edges with osmnx attributes."""
    pct = draw(FAULT_PERCENT)
    crs = pick(
        draw,
        pct,
        st.sampled_from(["epsg:4326", "EPSG:4326"]),
        st.sampled_from(["EPSG:27700", "", "not a crs", "epsg:999999"]),
    )
    keys = [
        '<key id="crs" for="graph" attr.name="crs" attr.type="string"/>',
        '<key id="x" for="node" attr.name="x" attr.type="string"/>',
        '<key id="y" for="node" attr.name="y" attr.type="string"/>',
    ] + [f'<key id="{k}" for="edge" attr.name="{k}" attr.type="string"/>' for k in EDGE_VALUES]
    body = [f'<data key="crs">{crs}</data>']
    node_ids = [
        str(pick(draw, pct, st.just(n), st.sampled_from(["a", "-3", "1.5", "2" * 30])))
        for n in range(1, draw(st.integers(0, 6)) + 1)
    ]
    node_ids = list(dict.fromkeys(node_ids))
    for n in node_ids:
        x = str(pick(draw, pct, lons, st.one_of(bad_numbers, short_text)))
        y = str(pick(draw, pct, lats, short_text))
        # Now and then a node lacks a coordinate.
        xml_x = (
            ""
            if pick(draw, pct, st.just(False), st.booleans())
            else f'<data key="x">{escape(x)}</data>'
        )
        xml_y = (
            ""
            if pick(draw, pct, st.just(False), st.booleans())
            else f'<data key="y">{escape(y)}</data>'
        )
        body.append(f"<node id={quoteattr(n)}>{xml_x}{xml_y}</node>")
    for _ in range(draw(st.integers(0, 8)) if node_ids else 0):
        u, v = draw(st.sampled_from(node_ids)), draw(st.sampled_from(node_ids))
        keys_used = draw(st.sets(st.sampled_from(list(EDGE_VALUES))))
        data_xml = "".join(
            f'<data key="{k}">{escape(str(pick(draw, pct, *EDGE_VALUES[k])))}</data>'
            for k in sorted(keys_used)
        )
        body.append(f"<edge source={quoteattr(u)} target={quoteattr(v)}>{data_xml}</edge>")
    edge_default = draw(st.sampled_from(["directed", "undirected"]))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
        + "".join(keys)
        + f'<graph edgedefault="{edge_default}">'
        + "".join(body)
        + "</graph></graphml>"
    )


@given(graphml(), st.data())
@FUZZ
def test_graphml_is_read_or_refused(text: str, data: st.DataObject) -> None:
    """GraphML with odd ids, coordinates, CRSs and edge attributes, cut short or spliced."""
    read_and_build("g.graphml", cut(text, data).encode("utf-8", "surrogatepass"))


@pytest.fixture(scope="module")
def small_graphml(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real osmnx GraphML text: Leeds's car streets, saved undirected by osmnx."""
    ways = read_ways(shared_file("leeds-its.osm.pbf"))
    graph = ox.convert.to_undirected(build_network(ways).car.to_networkx(geometry=True))
    path = tmp_path_factory.mktemp("fuzz") / "leeds.graphml"
    ox.save_graphml(graph, path)
    return path.read_text()


@given(st.data())
@FUZZ
def test_real_graphml_damaged_is_read_or_refused(small_graphml: str, data: st.DataObject) -> None:
    """A real osmnx GraphML file cut short or spliced."""
    damaged = cut(small_graphml, data, always=True)
    read_and_build("g.graphml", damaged.encode("utf-8", "surrogatepass"))


# ------------------------------------------------------------------------------ PBF


@pytest.fixture(scope="module")
def leeds_pbf_bytes() -> bytes:
    """The tiny Leeds extract (40 kB)."""
    return shared_file("leeds-its.osm.pbf").read_bytes()


@given(st.data())
@FUZZ
def test_damaged_pbf_is_read_or_refused(leeds_pbf_bytes: bytes, data: st.DataObject) -> None:
    """A real PBF cut short, with bytes changed, or with a stretch of random bytes spliced in."""
    payload = bytearray(leeds_pbf_bytes)
    how = data.draw(st.sampled_from(["cut", "flip", "splice"]), label="damage")
    at = data.draw(st.integers(0, len(payload) - 1), label="at")
    if how == "cut":
        payload = payload[:at]
    elif how == "flip":
        for pos in data.draw(st.lists(st.integers(0, len(payload) - 1), min_size=1, max_size=8)):
            payload[pos] = data.draw(st.integers(0, 255))
    else:
        payload[at:at] = data.draw(st.binary(min_size=1, max_size=64))
    read_and_build("leeds.osm.pbf", bytes(payload))


@given(
    st.binary(max_size=2048),
    st.sampled_from(["a.osm.pbf", "a.osm", "a.osm.bz2", "a.json.gz", "a.graphml"]),
)
@FUZZ
def test_random_bytes_are_refused(payload: bytes, name: str) -> None:
    """Random bytes under any road file name."""
    read_and_build(name, payload)
