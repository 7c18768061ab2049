"""Shared constants and helpers that every stage of the pipeline uses.

One home for what would otherwise be copied: the coordinate transformers between WGS84 and
the British National Grid, the planning time zone and day names, the default boundary buffer
and snap distance, and atomic file writing (every output goes through a temporary file and a
rename, so a crash never leaves a half-written file), and the reading of every input text file
(:func:`read_text`: encodings, folders, sizes) with the bounds a British coordinate must be in.
"""

from __future__ import annotations

import codecs
import contextlib
import contextvars
import csv
import functools
import hashlib
import io
import logging
import math
import numbers
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import pyproj

from planner.errors import InputError, OutputError

log = logging.getLogger(__name__)

WGS84 = 4326
"""EPSG code of longitude/latitude (GPS, OpenStreetMap, data.police.uk)."""
BNG = 27700
"""EPSG code of the British National Grid, the planner's working CRS (metres)."""

LONDON = ZoneInfo("Europe/London")
"""Time zone of every local time a user reads or writes (windows, shifts, briefings)."""
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
"""Day names in ``datetime.weekday()`` order."""

DEFAULT_BUFFER_M = 500.0
"""Road network kept beyond a force boundary, so routes near the edge are not cut."""
DEFAULT_MAX_SNAP_M = 300.0
"""Farthest a site may be from the nearest kept road before it is reported unlocated."""


@functools.cache
def transformer(from_epsg: int, to_epsg: int) -> pyproj.Transformer:
    """The cached ``always_xy`` transformer between two EPSG codes (x/lon first)."""
    return pyproj.Transformer.from_crs(from_epsg, to_epsg, always_xy=True)


def to_bng() -> pyproj.Transformer:
    """WGS84 longitude/latitude to British National Grid easting/northing."""
    return transformer(WGS84, BNG)


def to_wgs84() -> pyproj.Transformer:
    """British National Grid easting/northing to WGS84 longitude/latitude."""
    return transformer(BNG, WGS84)


def atomic_write_bytes(path: str | Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` via a temporary file and an atomic rename.

    Raises
    ------
    OutputError
        Naming the file, instead of a bare :class:`OSError`: ``path`` is one of the command's
        input files (see :func:`guard_inputs`), a folder, or under a file; its name is too
        long; the disk is full... Nothing is left behind then.
    """
    path = Path(path)
    _refuse_input(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Again now that the folders exist: "new/../visits.csv" is visits.csv only now.
        _refuse_input(path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except (OSError, ValueError) as exc:  # ValueError: a NUL character in the path
        if isinstance(exc, OutputError):
            raise
        raise _write_error(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise _write_error(path, exc) from exc
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _refuse_input(path: Path) -> None:
    overwritten = input_overwritten(path)
    if overwritten is not None:
        raise OutputError(
            f"{path}: is an input file of this command{_also(path, overwritten)}; the planner "
            "never writes over its inputs: choose another output path"
        )


def _also(path: str | Path, source: str | Path) -> str:
    """`` (as SOURCE)`` when the input was read under another name than ``path``."""
    return "" if os.path.abspath(path) == os.path.abspath(source) else f" (as {source})"


def _write_error(path: Path, exc: OSError | ValueError) -> OutputError:
    """The one-line error for a failed write of ``path``."""
    problem = output_path_problem(path, folder=False)
    if problem is not None:
        return OutputError(f"{path}: {problem}")
    reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
    return OutputError(f"{path}: cannot be written ({reason}); choose another output path")


#: Longest file or folder name (bytes) on the usual file systems (ext4, APFS, NTFS).
MAX_NAME_BYTES = 255
#: Longest readable part of a file or folder name made from input text (route ids, force and
#: area names), in characters; with the hash, a name stays far below :data:`MAX_NAME_BYTES`.
MAX_SLUG_CHARS = 60
#: Hex digits of the text's SHA-256 in such a name.
NAME_HASH_CHARS = 8


def bounded_name(slug: str, text: str, *, fallback: str, always_hash: bool = True) -> str:
    """A file or folder name made from input text: bounded in length and unique per text.

    Parameters
    ----------
    slug
        A file-name-safe form of ``text`` (no ``/``, no leading dot), as readable as may be.
    text
        The input text itself (a route id, a force name).
    fallback
        The readable part when ``slug`` is empty (``text`` was all punctuation).
    always_hash
        Add the hash whatever the length. Without it (a default output folder a person types),
        a slug that fits in :data:`MAX_SLUG_CHARS` is the name as it is, and the hash is added
        only when the slug is cut or empty.

    Returns
    -------
    str
        ``slug`` cut to :data:`MAX_SLUG_CHARS` characters (and 120 bytes: a name beside which
        the planner's temporary ``.NAME.tmp-XXXXXXXX`` still fits), then ``-`` and the first
        :data:`NAME_HASH_CHARS` hex digits of ``text``'s SHA-256: texts that slug alike or are
        too long for a file name still get a name each.
    """
    readable = slug[:MAX_SLUG_CHARS]
    while len(os.fsencode(readable)) > 2 * MAX_SLUG_CHARS:
        readable = readable[:-1]
    readable = readable.strip("._- ") or fallback
    if not always_hash and readable == slug and slug:
        return slug
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{readable}-{digest[:NAME_HASH_CHARS]}"


def output_path_problem(path: str | Path, *, folder: bool) -> str | None:
    """Why ``path`` cannot be written as an output file (or folder), or ``None`` if it can.

    Checked before a command does any work, so that a mistyped ``--out`` is one clean line:
    a folder where a file is to be written, a file where a folder is, a path under a file
    (``sites.csv/run``), a name longer than :data:`MAX_NAME_BYTES`, a path that is no path.
    A missing path is fine: it is made.

    Parameters
    ----------
    path
        The output file or folder.
    folder
        Whether a folder is to be written there (else a file).
    """
    path = Path(path)
    if "\0" in str(path):
        return "is not a usable path (it holds a NUL character)"
    try:
        too_long = [p for p in path.parts if len(os.fsencode(p)) > MAX_NAME_BYTES]
        if too_long:
            return (
                f"the name {too_long[0][:40]!r}... is longer than the file system allows "
                f"({MAX_NAME_BYTES} bytes); choose a shorter name"
            )
        if path.is_dir():
            return None if folder else "is a folder; give the path of a file to write inside it"
        if path.exists():
            return (
                "is a file, not a folder; give a folder (a missing one is made)" if folder else None
            )
        for parent in path.parents:
            if parent.is_dir():
                return None
            if parent.exists():
                kind = "folder" if folder else "file"
                return f"cannot be made: {parent} is a file, not a folder; choose another {kind}"
    except (OSError, ValueError) as exc:  # ValueError: a NUL character
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return f"is not a usable path ({reason})"
    return None


# Identities (device, inode) of the files the running command has read as inputs.
_INPUTS_READ: contextvars.ContextVar[dict[tuple[int, int], Path] | None] = contextvars.ContextVar(
    "planner_inputs_read", default=None
)


@contextlib.contextmanager
def guard_inputs() -> Iterator[None]:
    """While inside, no atomic write may replace a file the command has read as an input.

    Every input file passes :func:`check_input_file`, which remembers it; the atomic writers
    then refuse such a path with an :class:`OutputError`, whatever name (a link, ``../``) it is
    given by. The CLI runs every command inside this, so that an output never overwrites an
    input (``--out`` naming the folder that holds a site file called ``visits.csv``).
    """
    token = _INPUTS_READ.set({})
    try:
        yield
    finally:
        _INPUTS_READ.reset(token)


def _file_id(path: str | Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino)


def remember_input(path: str | Path) -> None:
    """Note ``path`` as an input of the running command (inside :func:`guard_inputs`)."""
    seen = _INPUTS_READ.get()
    key = _file_id(path) if seen is not None else None
    if seen is not None and key is not None:
        seen.setdefault(key, Path(path))


def input_overwritten(path: str | Path) -> Path | None:
    """The input file (as it was named when read) that writing ``path`` would replace, if any."""
    seen = _INPUTS_READ.get()
    if not seen:
        return None
    key = _file_id(path)
    return None if key is None else seen.get(key)


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether writing ``a`` would replace the existing file ``b`` (links and ``../`` seen through).

    By identity (device and inode: links, hard links, another spelling), or by name for a path
    through a folder not made yet (``new/../b``).
    """
    key, other = _file_id(a), _file_id(b)
    if other is None:
        return False
    if key is not None:
        return key == other
    return os.path.normpath(os.path.abspath(a)) == os.path.normpath(os.path.abspath(b))


def check_not_input(
    out: str | Path,
    inputs: Iterable[str | Path | None] = (),
    *,
    option: str,
    given: str | Path | None = None,
) -> None:
    """Refuse an output path that is one of the command's input files, before writing.

    Parameters
    ----------
    out
        The file the command is about to write.
    inputs
        Input files (``None`` ignored); those read so far inside :func:`guard_inputs` count too.
    option
        The option that chose ``out`` (``--out``), for the message.
    given
        The option's value when ``out`` is a file in that folder (``--out demo``).

    Raises
    ------
    OutputError
        Naming the option, the path and the input it would overwrite.
    """
    overwritten = next((s for s in inputs if s is not None and same_file(out, s)), None)
    overwritten = overwritten or input_overwritten(out)
    if overwritten is None:
        return
    where = f"{option} {out}: is" if given is None else f"{option} {given}: would write {out},"
    raise OutputError(
        f"{where} an input file of this command{_also(out, overwritten)}; the planner never "
        f"writes over its inputs: give {option} another path"
    )


FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\0＝＋－＠")
"""First characters that make a spreadsheet read a CSV cell as a formula (OWASP "CSV
Injection": ``=``, ``+``, ``-``, ``@``, tab, carriage return; also line feed and NUL, and the
full-width ``＝＋－＠`` that East Asian versions of Excel read as their ASCII twins)."""
# A ';' starts a new cell where ';' is the list separator (most of continental Europe).
_AFTER_SEMICOLON_RE = re.compile(r"(;\s*)(?=[=+\-@＝＋－＠])")


def spreadsheet_safe(value: object) -> object:
    r"""A CSV cell that a spreadsheet shows as text, never runs as a formula (OWASP CSV Injection).

    Numbers (``int``, ``float``, ``bool``, numpy scalars...) and ``None`` are returned as they
    are: ``-1.5`` stays ``-1.5``. Anything else is made text:

    * a single quote is put before a cell whose first character, or first character after
      leading white space (LibreOffice and Google Sheets may trim it on import), is in
      :data:`FORMULA_TRIGGERS`, unless the whole cell is a plain decimal number such as
      ``-0.720000`` (a spreadsheet reads that as a number, not a formula);
    * a single quote is put after a ``;`` followed by a trigger: a spreadsheet whose list
      separator is ``;`` splits the cell there, and the rest would start a cell;
    * carriage returns become line feeds: the writer quotes cells holding its ``"\n"`` line
      end but not a lone ``"\r"``, which spreadsheets read as a new row.

    Field separators and quotes are handled by the CSV writer's quoting (RFC 4180).
    """
    if value is None or isinstance(value, numbers.Number):
        return value
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    if PLAIN_NUMBER_RE.fullmatch(text):
        return text
    text = _AFTER_SEMICOLON_RE.sub(r"\1'", text)
    if text[:1] in FORMULA_TRIGGERS or text.lstrip()[:1] in FORMULA_TRIGGERS:
        return "'" + text
    return text


def csv_text(
    rows: Iterable[Mapping[str, object]], columns: Sequence[str], *, safe: bool = True
) -> str:
    """``rows`` with the given ``columns`` as CSV text (LF line ends), header first.

    With ``safe`` (the default) every cell that is not a number, the header included, goes
    through :func:`spreadsheet_safe`, since people open these files in a spreadsheet and ids,
    names and reasons come from input files.
    """
    buf = io.StringIO()
    writer = csv.DictWriter(
        buf, fieldnames=list(columns), lineterminator="\n", extrasaction="raise"
    )

    def cell(value: object) -> object:
        return spreadsheet_safe(value) if safe else value

    writer.writerow({c: cell(c) for c in columns})  # the header: a matrix's are site ids
    for row in rows:
        writer.writerow({k: cell(v) for k, v in row.items()})
    return buf.getvalue()


def write_csv(
    path: str | Path,
    rows: Iterable[Mapping[str, object]],
    columns: Sequence[str],
    *,
    safe: bool = True,
) -> Path:
    """Write :func:`csv_text` of ``rows`` to ``path`` atomically (UTF-8)."""
    atomic_write_bytes(path, csv_text(rows, columns, safe=safe).encode("utf-8"))
    return Path(path)


# ---------------------------------------------------------------------------- reading inputs

GB_LON = (-9.0, 2.5)
"""Longitudes of Great Britain (with its islands), degrees: any site or station is inside."""
GB_LAT = (49.5, 61.5)
"""Latitudes of Great Britain, from the Isles of Scilly to Shetland, degrees."""
BNG_EASTING_M = (0.0, 700_000.0)
"""Eastings of the British National Grid's 100 km squares, metres."""
BNG_NORTHING_M = (0.0, 1_300_000.0)
"""Northings of the British National Grid's 100 km squares, metres."""

# What people give by mistake instead of a text file, recognised by the file's first bytes.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook, or a zipped download?)"),
    (b"\xd0\xcf\x11\xe0", "an Office document (an old Excel .xls workbook?)"),
    (b"\x1f\x8b", "a gzip-compressed file (uncompress it first)"),
    (b"%PDF", "a PDF document"),
    (b"SQLite format 3\x00", "an SQLite database (a GeoPackage?)"),
)
# Longest first: the UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "UTF-32-LE"),
    (codecs.BOM_UTF32_BE, "UTF-32-BE"),
    (codecs.BOM_UTF16_LE, "UTF-16-LE"),
    (codecs.BOM_UTF16_BE, "UTF-16-BE"),
)
PLAIN_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
r"""A decimal number as people write it in a cell, in ASCII digits. ``float()`` and ``int()``
also take ``1_000``, ``nan``, ``inf`` and other scripts' digits (``٣``, as ``\d`` in a
pattern does), which in an input file are mistakes: every numeric cell is matched to this
before it is converted."""
_SNIFF_BYTES = 4096
STRAY_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""C0 and C1 control characters and DEL, except tab, line feed and carriage return."""
_SPACE_CONTROL_RE = re.compile(r"[\t\n\r]")


def check_input_file(
    path: str | Path, *, what: str, max_bytes: int | None = None, suffixes: Sequence[str] = ()
) -> int:
    """Check that ``path`` is a readable regular file of at most ``max_bytes``; return its size.

    Parameters
    ----------
    path
        The file.
    what
        What the file is, for messages: ``"site file"``, ``"force config"``...
    max_bytes
        The largest size supported, if any (checked before anything is read).
    suffixes
        Expected suffixes (``(".toml",)``): when ``path`` is a folder, the message suggests
        a file inside it with one of them.

    Raises
    ------
    InputError
        Naming the file: not found, a folder, not a regular file, unreadable or too large.
    """
    path = Path(path)
    try:
        exists, folder, regular = path.exists(), path.is_dir(), path.is_file()
        size = path.stat().st_size if regular else 0
    except (OSError, ValueError) as exc:
        # ValueError: a NUL byte in the path; OSError: a name too long, no permission...
        raise InputError(f"cannot open the {what}: {exc}", path=path) from None
    if not exists:
        raise InputError(f"{what} not found; check the path", path=path)
    if folder:
        raise InputError(_folder_hint(path, what, suffixes), path=path)
    if not regular:
        raise InputError(f"is not a regular file; give the {what} itself", path=path)
    if max_bytes is not None and size > max_bytes:
        raise InputError(
            f"{what} is {_size_text(size)}; the largest supported is {_size_text(max_bytes)} "
            "(see README.md); split it or remove what is not needed",
            path=path,
        )
    remember_input(path)
    return size


def _folder_hint(path: Path, what: str, suffixes: Sequence[str]) -> str:
    try:
        inside = sorted(
            p.name
            for p in path.iterdir()
            if p.is_file() and (not suffixes or p.name.lower().endswith(tuple(suffixes)))
        )
    except OSError:
        inside = []
    if inside:
        return f"is a folder; give the {what} inside it, e.g. {path / inside[0]}"
    wanted = f" (it holds no {' or '.join(suffixes)} file)" if suffixes else ""
    return f"is a folder{wanted}; give the path of the {what} itself"


def _size_text(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:,.1f} MB" if n_bytes >= 100_000 else f"{n_bytes:,} bytes"


def decode_text(data: bytes, *, path: str | Path, what: str, allow_cp1252: bool = False) -> str:
    """Decode an input file's bytes as UTF-8 (with or without a byte order mark).

    Parameters
    ----------
    data
        The file's bytes.
    path, what
        The file and what it is, for messages.
    allow_cp1252
        Read text that is not UTF-8 as Windows-1252 (what Excel on Windows saves as plain
        "CSV"), logging a warning that names the file. For CSV inputs only: JSON and TOML must
        be UTF-8.

    Returns
    -------
    str
        The text, without the byte order mark. Line ends are left as they are.

    Raises
    ------
    InputError
        Naming the file: UTF-16 or UTF-32 text (by byte order mark or pattern of NUL bytes),
        naming the encoding and how to convert it; a binary file (an Excel workbook, a ZIP, a
        PDF...); bytes that are not UTF-8 (nor Windows-1252 when allowed), with the position of
        the first bad byte and a guess at the encoding.
    """
    head = data[:_SNIFF_BYTES]
    save_as = (
        "in Excel: Save As > 'CSV UTF-8 (Comma delimited)'"
        if Path(path).suffix.lower() == ".csv"
        else "in your editor: Save As, encoding UTF-8"
    )
    for signature, description in _BINARY_SIGNATURES:
        if head.startswith(signature):
            raise InputError(
                f"is {description}, not a text file; save the {what} as text ({save_as})",
                path=path,
            )
    encoding = next((name for bom, name in _BOMS if head.startswith(bom)), None)
    # iconv reads the byte order from a mark; without one it must be told.
    iconv = encoding.rsplit("-", 1)[0] if encoding else None
    if encoding is None:
        encoding = _nul_pattern(head)
        iconv = encoding.replace("-LE", "LE").replace("-BE", "BE") if encoding else None
    if encoding is not None:
        name = Path(path)
        raise InputError(
            f"is {encoding} text; the planner reads UTF-8. Save it as UTF-8 ({save_as}) or "
            f"convert it: iconv -f {iconv} -t UTF-8 "
            f"{name.name} > {name.stem}-utf8{name.suffix}",
            path=path,
        )
    if head.count(0) * 10 > len(head) > 0:
        raise InputError(
            f"is a binary file (many NUL bytes), not text; give the {what} itself", path=path
        )
    has_bom = data.startswith(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        where = _byte_position(data, exc.start)
        bad = data[exc.start : exc.start + 1].hex().upper()
    if allow_cp1252 and not has_bom:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise InputError(
                f"is neither UTF-8 nor Windows-1252 text (byte 0x{bad} at {where}); save the "
                f"{what} as UTF-8 ({save_as})",
                path=path,
            ) from None
        log.warning(
            "%s: not UTF-8 (byte 0x%s at %s); read as Windows-1252, as Excel on Windows saves "
            "'CSV'. Check accented names, or save it as 'CSV UTF-8' to be sure.",
            path,
            bad,
            where,
        )
        return text
    if has_bom:
        guess = "it starts with a UTF-8 byte order mark but is not UTF-8 after it"
    else:
        try:
            data.decode("cp1252")
            guess = "it looks like Windows-1252 (Latin-1, 'ANSI' in Notepad)"
        except UnicodeDecodeError:
            guess = "it may be another encoding, or not a text file"
    raise InputError(
        f"is not UTF-8 text (byte 0x{bad} at {where}); {guess}. Save the {what} as UTF-8 "
        f"({save_as})",
        path=path,
    )


def _nul_pattern(head: bytes) -> str | None:
    """UTF-16/32 without a byte order mark, recognised by where ASCII text has NUL bytes."""
    n = len(head) - len(head) % 4
    if n < 4 or head.count(0) * 4 < n:
        return None
    quads = [head[i : i + 4] for i in range(0, n, 4)]
    if sum(q[0] != 0 and q[1:] == b"\0\0\0" for q in quads) * 2 > len(quads):
        return "UTF-32-LE"
    if sum(q[:3] == b"\0\0\0" and q[3] != 0 for q in quads) * 2 > len(quads):
        return "UTF-32-BE"
    odd, even = head[1:n:2], head[0:n:2]
    if odd.count(0) * 2 > len(odd) and even.count(0) * 10 < len(even):
        return "UTF-16-LE"
    if even.count(0) * 2 > len(even) and odd.count(0) * 10 < len(odd):
        return "UTF-16-BE"
    return None


def _byte_position(data: bytes, offset: int) -> str:
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    return f"line {line}, byte {offset - line_start + 1}"


def read_text(
    path: str | Path,
    *,
    what: str,
    allow_cp1252: bool = False,
    max_bytes: int | None = None,
    suffixes: Sequence[str] = (),
) -> str:
    """Read an input text file (config, site or crime CSV, plan or problem JSON) with clear errors.

    Every reader of a user-supplied text file goes through this, so that every one refuses the
    same mistakes with the same one-line messages: a missing file, a folder, a file over the
    supported size, UTF-16/UTF-32 text (Excel's "Unicode text"), binary files, and text that
    is not UTF-8.

    Parameters
    ----------
    path
        The file.
    what
        What it is, for messages: ``"site file"``, ``"force config"``, ``"plan"``...
    allow_cp1252
        Fall back to Windows-1252 with a logged warning when the bytes are not UTF-8; for CSV
        files only (see :func:`decode_text`).
    max_bytes
        Largest supported size, checked before reading (see :func:`check_input_file`).
    suffixes
        Expected suffixes, used to suggest a file when ``path`` is a folder.

    Returns
    -------
    str
        The text (UTF-8, a leading byte order mark removed; line ends as in the file).

    Raises
    ------
    InputError
        Naming the file, for every problem above.

    Examples
    --------
    >>> text = read_text("plan.json", what="plan")  # doctest: +SKIP
    >>> config = tomllib.loads(read_text(path, what="force config", suffixes=(".toml",)))  # doctest: +SKIP
    """
    check_input_file(path, what=what, max_bytes=max_bytes, suffixes=suffixes)
    try:
        with Path(path).open("rb") as fh:
            data = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read the {what}: {exc}", path=path) from None
    if max_bytes is not None and len(data) > max_bytes:
        raise InputError(f"{what} is larger than the supported {_size_text(max_bytes)}", path=path)
    return decode_text(data, path=path, what=what, allow_cp1252=allow_cp1252)


def unprintable_characters(text: str) -> list[str]:
    """Characters of ``text`` that print as nothing or as something else, as ``U+0000`` codes.

    Control characters (tab, line ends and NUL included), format characters (zero-width
    spaces, byte order marks, direction overrides), line separators and spaces other than
    the ASCII space: in an id they would make two ids that look the same differ.
    """
    return [f"U+{ord(c):04X}" for c in dict.fromkeys(text) if not c.isprintable()]


def strip_control(text: str) -> str:
    """``text`` with tabs and line ends turned into spaces and other control characters removed.

    Only C0/C1 control characters and DEL are removed: Unicode letters, marks and joiners (used
    in Arabic, Persian and Indic names) are kept.
    """
    return STRAY_CONTROL_RE.sub("", _SPACE_CONTROL_RE.sub(" ", text))


def has_stray_control(text: str) -> bool:
    """Whether ``text`` holds a control character other than tab and line ends."""
    return STRAY_CONTROL_RE.search(text) is not None


def lonlat_problem(lon: float, lat: float) -> str | None:
    """Why ``(lon, lat)`` cannot be a WGS84 point in Great Britain, or ``None`` if it can be.

    The message gives the bounds and a hint for the usual mistakes: longitude and latitude
    swapped, and British National Grid metres written as degrees.
    """
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return f"lon {lon!r}, lat {lat!r} is not a finite pair of numbers"
    if GB_LON[0] <= lon <= GB_LON[1] and GB_LAT[0] <= lat <= GB_LAT[1]:
        return None
    if GB_LON[0] <= lat <= GB_LON[1] and GB_LAT[0] <= lon <= GB_LAT[1]:
        hint = "lon and lat look swapped: in Britain the longitude is the one between -9 and 2.5"
    elif abs(lon) > 180 or abs(lat) > 90:
        hint = (
            "they look like British National Grid metres: give them as easting and northing "
            "(EPSG:27700)"
        )
    else:
        hint = "check the signs and that lon (x) comes before lat (y)"
    return (
        f"lon {lon:g}, lat {lat:g} is not in Great Britain (lon {GB_LON[0]:g} to "
        f"{GB_LON[1]:g}, lat {GB_LAT[0]:g} to {GB_LAT[1]:g}); {hint}"
    )


def bng_problem(easting_m: float, northing_m: float) -> str | None:
    """Why a point cannot be British National Grid metres in Great Britain, or ``None``.

    Hints at degrees written as metres, and at easting and northing swapped.
    """
    e, n = easting_m, northing_m
    if not (math.isfinite(e) and math.isfinite(n)):
        return f"easting {e!r}, northing {n!r} is not a finite pair of numbers"
    if BNG_EASTING_M[0] <= e <= BNG_EASTING_M[1] and BNG_NORTHING_M[0] <= n <= BNG_NORTHING_M[1]:
        return None
    if abs(e) <= 180 and abs(n) <= 90:
        hint = "they look like degrees: give them as lon and lat (EPSG:4326)"
    elif BNG_EASTING_M[0] <= n <= BNG_EASTING_M[1] and BNG_NORTHING_M[0] <= e <= BNG_NORTHING_M[1]:
        hint = "easting and northing look swapped (the easting is at most 700,000 m)"
    else:
        hint = "check the digits (metres, e.g. easting 486000, northing 308000)"
    return (
        f"easting {e:g}, northing {n:g} is outside the British National Grid (easting "
        f"{BNG_EASTING_M[0]:,.0f} to {BNG_EASTING_M[1]:,.0f}, northing {BNG_NORTHING_M[0]:,.0f} "
        f"to {BNG_NORTHING_M[1]:,.0f} m); {hint}"
    )


def stable_fraction(*parts: object) -> float:
    """A number in [0, 1) fixed by ``parts``: reproducible on any machine and Python run.

    Python's ``hash()`` of a string changes between runs, so seeded draws that must be the
    same everywhere (band phases, visit times, tie-breaks) hash the parts' text instead.
    """
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
