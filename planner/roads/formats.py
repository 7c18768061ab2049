"""Road network files: which format a name promises, and whether the file keeps that promise.

Users hand over road files as they have them: an extract renamed by hand, a download that
stopped half way, an error page saved as ``.osm.pbf``, a GeoJSON of roads. The readers
(:mod:`planner.roads.osm`, :mod:`planner.roads.overpass`, :mod:`planner.roads.graphml`) call
:func:`check_network_file` first, which looks at the first few kilobytes (decompressed if
the file is compressed) and refuses a file whose content is not what its name says, naming
what it is and the fix, before a parser fails with a message only its authors understand.
"""

from __future__ import annotations

import bz2
import gzip
import io
import zlib
from pathlib import Path
from typing import Literal

from planner.common import check_input_file
from planner.errors import InputError

Format = Literal["pbf", "osm_xml", "overpass_json", "graphml", "npz"]
Compression = Literal["bz2", "gz"] | None

#: File name endings of each format, longest first within a format.
SUFFIXES: dict[Format, tuple[str, ...]] = {
    "pbf": (".osm.pbf", ".pbf"),
    "osm_xml": (".osm.bz2", ".osm.gz", ".osm.xml", ".osm", ".xml"),
    "overpass_json": (".json.bz2", ".json.gz", ".json"),
    "graphml": (".graphml",),
    "npz": (".npz",),
}

#: One line for messages: the road network files the planner reads.
ACCEPTED = (
    "an OpenStreetMap extract (.osm.pbf, .osm, .osm.bz2, .osm.gz), an Overpass API JSON "
    "response (.json, .json.bz2, .json.gz), an osmnx GraphML file (.graphml) or a saved "
    "network (.npz)"
)

_WHAT = "road network file"
_SNIFF_BYTES = 4096

# How to name a file of each content kind, for "rename it" hints.
_NAME_HINT = {
    "pbf": "it is an OpenStreetMap PBF extract: name it .osm.pbf",
    "osm_xml": "it is OpenStreetMap XML: name it .osm (.osm.bz2 or .osm.gz if compressed)",
    "json": "it is JSON: an Overpass API response is read when named .json",
    "geojson": (
        "it is GeoJSON, which holds no road network the planner can route on: give the "
        "OpenStreetMap data instead (a Geofabrik .osm.pbf extract, OSM XML, an Overpass JSON "
        "response) or an osmnx GraphML file"
    ),
    "graphml": "it is GraphML: name it .graphml",
    "html": (
        "it is a web page (often an error page saved by a failed download): download the file again"
    ),
    "zip": "it is a ZIP archive: unzip it first (a saved network is a .npz)",
    "xml": "it is XML but neither OpenStreetMap XML nor GraphML",
    "text": "it is plain text",
    "binary": "it is binary data of an unknown kind",
}


def network_format(path: str | Path) -> Format | None:
    """The format a file's name promises, or ``None`` for a name the planner does not read."""
    name = Path(path).name.lower()
    for fmt, suffixes in SUFFIXES.items():
        if name.endswith(suffixes):
            return fmt
    return None


def compression_of_name(path: str | Path) -> Compression:
    """``"bz2"`` or ``"gz"`` when the name ends so, else ``None``."""
    name = Path(path).name.lower()
    if name.endswith(".bz2"):
        return "bz2"
    if name.endswith(".gz"):
        return "gz"
    return None


def unknown_format_error(path: str | Path) -> InputError:
    """The error for a file whose name promises no format the planner reads."""
    return InputError(f"unknown road network format; use {ACCEPTED}", path=path)


def check_file(path: str | Path) -> None:
    """Refuse a missing file, a folder, a special file or an empty file, naming the fix.

    Raises
    ------
    InputError
        Naming the file and what would fix it.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(
            f"{_WHAT} not found; check the path (relative paths are read from the current "
            "directory or, in a force config, from the config's folder)",
            path=path,
        )
    size = check_input_file(
        path,
        what=_WHAT,
        suffixes=tuple(s for suffixes in SUFFIXES.values() for s in suffixes),
    )
    if size == 0:
        raise InputError("file is empty; download or export it again", path=path)


def compression_of_content(head: bytes) -> Compression:
    """The compression a file's first bytes show."""
    if head.startswith(b"BZh"):
        return "bz2"
    if head.startswith(b"\x1f\x8b"):
        return "gz"
    return None


def open_decompressed(path: Path, compression: Compression) -> io.BufferedIOBase:
    """Open ``path`` for reading bytes, through bz2 or gzip when ``compression`` says so."""
    if compression == "bz2":
        return bz2.open(path, "rb")
    if compression == "gz":
        return gzip.GzipFile(path, "rb")
    return path.open("rb")


def read_head(path: Path) -> tuple[Compression, bytes]:
    """The file's compression and its first few kilobytes, decompressed.

    Raises
    ------
    InputError
        If the file is compressed but its start cannot be decompressed (truncated or corrupt).
    """
    with path.open("rb") as fh:
        raw = fh.read(_SNIFF_BYTES)
    compression = compression_of_content(raw)
    if compression is None:
        return None, raw
    try:
        with open_decompressed(path, compression) as fh:
            return compression, fh.read(_SNIFF_BYTES)
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise InputError(
            f"is {compression}-compressed but cannot be decompressed ({exc}); the file is "
            "truncated or corrupt: download or copy it again",
            path=path,
        ) from None


def content_kind(head: bytes) -> str:
    """What the (decompressed) first bytes of a file look like.

    One of ``pbf``, ``osm_xml``, ``graphml``, ``html``, ``xml``, ``geojson``, ``json``,
    ``zip``, ``text`` or ``binary``.
    """
    # An OSM PBF starts with a 4-byte header length, then a BlobHeader whose type is
    # "OSMHeader".
    if b"OSMHeader" in head[:32]:
        return "pbf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<"):
        if b"<graphml" in text:
            return "graphml"
        if b"<osm" in text:
            return "osm_xml"
        if b"<html" in text or text.startswith(b"<!doctype html"):
            return "html"
        return "xml"
    if text.startswith((b"{", b"[")):
        if b'"featurecollection"' in text.replace(b" ", b"") or b'"feature"' in text:
            return "geojson"
        return "json"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the sniffed bytes is still text.
        if exc.start < len(head) - 3:
            return "binary"
    return "text"


# The content kinds each format accepts; ``xml`` is allowed for the XML formats because a
# long comment can push the root element past the sniffed bytes (the parser then decides).
_ACCEPTS: dict[Format, frozenset[str]] = {
    "pbf": frozenset({"pbf"}),
    "osm_xml": frozenset({"osm_xml", "xml"}),
    "overpass_json": frozenset({"json"}),
    "graphml": frozenset({"graphml", "xml"}),
    "npz": frozenset({"zip"}),
}

_FORMAT_TEXT = {
    "pbf": "an OpenStreetMap PBF extract",
    "osm_xml": "OpenStreetMap XML",
    "overpass_json": "an Overpass API JSON response",
    "graphml": "osmnx GraphML",
    "npz": "a saved network (.npz)",
}


def check_network_file(path: str | Path, fmt: Format) -> Compression:
    """Check that ``path`` is a non-empty file whose content is the format its name promises.

    Parameters
    ----------
    path
        The road network file.
    fmt
        The format its name promises (:func:`network_format`).

    Returns
    -------
    Compression
        How the content is compressed (always what the name says when this returns).

    Raises
    ------
    InputError
        Naming the file, what it really is and how to fix it: missing, a folder, empty,
        compressed but truncated, compressed but not named so (or the reverse), or content of
        another kind (text named ``.pbf``, a web page, GeoJSON...).
    """
    path = Path(path)
    check_file(path)
    compression, head = read_head(path)
    kind = content_kind(head)
    if kind not in _ACCEPTS[fmt]:
        raise InputError(
            f"the name says {_FORMAT_TEXT[fmt]}, but {_NAME_HINT.get(kind, kind)}", path=path
        )
    named = compression_of_name(path) if fmt in ("osm_xml", "overpass_json") else None
    if compression == named:
        return compression
    stem = path.name[: -len(named) - 1] if named else path.name
    if compression is None:
        fix = f"is not {named}-compressed although its name says so: rename it {stem}"
    elif fmt in ("pbf", "graphml", "npz"):
        fix = f"is {compression}-compressed: decompress it first"
    else:
        fix = f"is {compression}-compressed: rename it {stem}.{compression}"
    raise InputError(fix, path=path)
