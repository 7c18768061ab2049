"""Road files that are not what their names say (planner.roads.formats)."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import pytest

from planner.errors import InputError
from planner.roads.sources import load_network, read_ways


@pytest.fixture(scope="module")
def city_text(city_xml: Path) -> bytes:
    """The City of London extract as plain OSM XML."""
    return bz2.decompress(city_xml.read_bytes())


def write(path: Path, payload: bytes) -> Path:
    path.write_bytes(payload)
    return path


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        (
            "roads.osm.pbf",
            b"hello, this is text\n" * 20,
            "name says an OpenStreetMap PBF.*plain text",
        ),
        ("roads.osm.pbf", b"<html><body>502 Bad Gateway</body></html>", "web page.*download"),
        ("roads.osm.pbf", b'<?xml version="1.0"?>\n<osm version="0.6"></osm>', "name it .osm"),
        ("roads.osm", b'{"elements": []}', "it is JSON.*named .json"),
        ("roads.graphml", b'<?xml version="1.0"?><osm version="0.6"></osm>', "OpenStreetMap XML"),
        ("roads.osm", b'<?xml version="1.0"?><graphml></graphml>', "name it .graphml"),
        ("roads.json", b'<?xml version="1.0"?><osm version="0.6"></osm>', "name it .osm"),
        ("roads.osm.pbf", b"PK\x03\x04" + bytes(100), "ZIP archive: unzip it"),
        ("roads.osm", bytes(range(256)) * 4, "binary data"),
    ],
)
def test_content_not_what_the_name_says(
    tmp_path: Path, name: str, payload: bytes, message: str
) -> None:
    """Text, a web page, XML or JSON under another format's name: what it is, and the fix."""
    path = write(tmp_path / name, payload)
    with pytest.raises(InputError, match=message) as info:
        read_ways(path)
    assert str(info.value).startswith(str(path))


def test_pbf_that_is_text(tmp_path: Path, city_text: bytes) -> None:
    """An OSM XML extract saved under a .osm.pbf name says to rename it .osm, and then reads."""
    path = write(tmp_path / "city.osm.pbf", city_text)
    with pytest.raises(
        InputError, match=r"city\.osm\.pbf: the name says an OpenStreetMap PBF.*\.osm"
    ):
        load_network(path)
    assert read_ways(write(tmp_path / "city.osm", city_text)).n_ways == 3418


def test_compression_not_what_the_name_says(tmp_path: Path, city_text: bytes) -> None:
    """Compressed but not named so, named so but not compressed, or the other compression."""
    with pytest.raises(InputError, match=r"is bz2-compressed: rename it a\.osm\.bz2"):
        read_ways(write(tmp_path / "a.osm", bz2.compress(city_text)))
    with pytest.raises(InputError, match=r"is not bz2-compressed.*rename it b\.osm$"):
        read_ways(write(tmp_path / "b.osm.bz2", city_text))
    with pytest.raises(InputError, match=r"is gz-compressed: rename it c\.osm\.gz"):
        read_ways(write(tmp_path / "c.osm.bz2", gzip.compress(city_text)))
    with pytest.raises(InputError, match="gz-compressed: decompress it first"):
        read_ways(write(tmp_path / "d.graphml", gzip.compress(b"<graphml></graphml>")))


@pytest.mark.parametrize("name", ["cut.osm.bz2", "cut.osm.gz"])
def test_truncated_compressed_xml(tmp_path: Path, city_text: bytes, name: str) -> None:
    """A compressed extract cut off part way is an InputError saying it is truncated."""
    packed = bz2.compress(city_text) if name.endswith("bz2") else gzip.compress(city_text)
    for keep in (200, len(packed) // 2):
        path = write(tmp_path / name, packed[:keep])
        with pytest.raises(InputError, match=rf"{name}.*truncated"):
            load_network(path)


@pytest.mark.parametrize("name", ["empty.osm.pbf", "empty.osm.bz2", "empty.json", "empty.graphml"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    """An empty file of any road format is an InputError saying it is empty."""
    path = write(tmp_path / name, b"")
    with pytest.raises(InputError, match=rf"{name}: file is empty"):
        load_network(path, cache_dir=tmp_path / "cache")


@pytest.mark.parametrize("name", ["roads.osm.pbf", "roads.graphml", "roads.json", "net.npz"])
def test_folder(tmp_path: Path, name: str) -> None:
    """A folder with a road file's name is an InputError, with or without a cache."""
    path = tmp_path / name
    path.mkdir()
    with pytest.raises(InputError, match=rf"{name}: is a folder"):
        load_network(path, cache_dir=tmp_path / "cache")


def test_missing_file(tmp_path: Path) -> None:
    """A missing file says where relative paths are read from."""
    with pytest.raises(
        InputError, match=r"none\.json: road network file not found.*relative paths"
    ):
        load_network(tmp_path / "none.json")


def test_unknown_format_lists_overpass_json(tmp_path: Path) -> None:
    """An unknown name lists every format read, Overpass JSON included."""
    path = write(tmp_path / "roads.geojson", b"{}")
    with pytest.raises(InputError, match=r"unknown road network format.*Overpass API JSON.*\.json"):
        load_network(path)


def test_saved_network_that_is_not_one(tmp_path: Path) -> None:
    """A .npz that is not a saved network says to delete it."""
    with pytest.raises(InputError, match=r"bad\.npz.*cannot read cached network"):
        load_network(write(tmp_path / "bad.npz", b"not a network"))
