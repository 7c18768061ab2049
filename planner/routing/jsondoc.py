"""Reading a JSON document field by field, with messages that name the file and the field.

The readers of routing problems, solutions and ``plan.json`` files share this: a
:class:`JsonValue` is one value of a parsed document together with the file it came from and
its JSON path (``routes[3].stops[0].start``), and its accessors return the value as the type
the schema wants or raise one :class:`~planner.errors.InputError` saying which file, which
field, what was found and what to write instead.  Python's ``json`` module reads ``NaN`` and
``Infinity``, so every number is checked to be finite; a time must carry its UTC offset.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.common import read_text
from planner.errors import InputError

_SHOW_CHARS = 40


def parse_json(text: str, *, path: str | Path | None, what: str) -> JsonValue:
    """Parse ``text`` as JSON; the document's root as a :class:`JsonValue`.

    Raises
    ------
    InputError
        Naming the file and the line and column of a syntax error.
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); save the "
            f"{what} as JSON",
            path=path,
        ) from None
    except RecursionError:
        raise InputError(f"is not a {what}: its JSON is nested too deeply", path=path) from None
    except ValueError:  # Python reads no integer of more than 4,300 digits
        raise InputError(
            f"is not a {what}: it holds a number of thousands of digits", path=path
        ) from None
    return JsonValue(value, Path(path) if path is not None else None, "", what)


def load_json(path: str | Path, *, what: str, max_bytes: int | None = None) -> JsonValue:
    """Read and parse a JSON input file (encodings, folders and sizes as :func:`read_text`)."""
    text = read_text(path, what=what, max_bytes=max_bytes, suffixes=(".json",))
    return parse_json(text, path=path, what=what)


def json_path(*keys: str | int) -> str:
    """The JSON path of a value: ``json_path("routes", 3, "stops")`` is ``routes[3].stops``.

    The first key is taken as a path already (``""`` for the root); a key that is not a
    plain name is quoted: ``travel_time_s["on foot"]``.
    """
    where = str(keys[0]) if keys else ""
    for key in keys[1:]:
        if isinstance(key, int):
            where = f"{where}[{key}]"
        elif key.isidentifier():
            where = f"{where}.{key}" if where else key
        else:
            where = f"{where}[{json.dumps(key)}]"
    return where


def show(value: Any) -> str:
    """A short, one-line rendering of a JSON value for messages."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=True)
        return text if len(text) <= _SHOW_CHARS else text[: _SHOW_CHARS - 4] + '..."'
    text = repr(value)
    return text if len(text) <= _SHOW_CHARS else text[: _SHOW_CHARS - 3] + "..."


def is_number(value: Any) -> bool:
    """Whether ``value`` is a JSON number (``true`` and ``false`` are not)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class JsonValue:
    """One value of a JSON document, with the file and the JSON path it is at.

    Attributes
    ----------
    value
        The value as ``json.loads`` gave it.
    path
        The file, if the document came from one.
    where
        Its JSON path from the root: ``""`` for the root, then ``routes[3].stops[0].start``.
    what
        What the whole document is (``"plan"``, ``"routing problem"``), for messages.
    """

    value: Any
    path: Path | None
    where: str
    what: str

    def error(self, message: str) -> InputError:
        """An InputError about this value, naming the file and the field."""
        return InputError(message, path=self.path, field=self.where or None)

    def _wrong(self, wanted: str) -> InputError:
        return self.error(f"must be {wanted}, got {show(self.value)}")

    def _child(self, key: str | int, value: Any) -> JsonValue:
        return JsonValue(value, self.path, json_path(self.where, key), self.what)

    # ------------------------------------------------------------------ containers
    def obj(self) -> JsonValue:
        """The value, checked to be a JSON object."""
        if not isinstance(self.value, dict):
            if not self.where:
                raise self.error(
                    f"is not a {self.what}: the file must hold one JSON object {{...}}, "
                    f"not {show(self.value)}"
                )
            raise self._wrong("an object {...}")
        return self

    def __getitem__(self, key: str) -> JsonValue:
        """A required key of this object."""
        data = self.obj().value
        if key not in data:
            raise self._child(key, None).error(
                f"is missing; every {self.what} written by the planner has it"
            )
        return self._child(key, data[key])

    def get(self, key: str, default: Any = None) -> JsonValue:
        """An optional key of this object (``default`` when absent)."""
        return self._child(key, self.obj().value.get(key, default))

    def items(self, *, length: int | None = None) -> list[JsonValue]:
        """The elements of this list (of exactly ``length`` elements if given)."""
        if not isinstance(self.value, list):
            raise self._wrong("a list [...]")
        if length is not None and len(self.value) != length:
            raise self.error(f"must be a list of {length} values, got {len(self.value)}")
        return [self._child(i, v) for i, v in enumerate(self.value)]

    def entries(self) -> list[tuple[str, JsonValue]]:
        """The keys and values of this object."""
        return [(k, self._child(k, v)) for k, v in self.obj().value.items()]

    def optional(self) -> JsonValue | None:
        """``None`` for JSON ``null``, else this value."""
        return None if self.value is None else self

    # ------------------------------------------------------------------ scalars
    def text(self) -> str:
        """The value as a string."""
        if not isinstance(self.value, str):
            raise self._wrong("a string")
        return self.value

    def choice(self, allowed: Sequence[str]) -> str:
        """The value as one of the strings ``allowed``."""
        value = self.text()
        if value not in allowed:
            raise self.error(f"must be one of {', '.join(map(repr, allowed))}, got {show(value)}")
        return value

    def flag(self) -> bool:
        """The value as ``true`` or ``false``."""
        if not isinstance(self.value, bool):
            raise self._wrong("true or false")
        return self.value

    def whole(self, *, minimum: int | None = None) -> int:
        """The value as a whole number (at least ``minimum`` if given)."""
        if not isinstance(self.value, int) or isinstance(self.value, bool):
            raise self._wrong("a whole number")
        if minimum is not None and self.value < minimum:
            raise self.error(f"must be at least {minimum}, got {self.value}")
        return self.value

    def number(self, *, minimum: float | None = None) -> float:
        """The value as a finite number (at least ``minimum`` if given)."""
        value = self.value
        if not is_number(value):
            raise self._wrong("a number")
        if isinstance(value, float) and math.isnan(value):
            raise self.error("NaN is not a number; write a finite number")
        try:
            value = float(value)
        except OverflowError:
            raise self.error(f"{show(self.value)} is too large; write a finite number") from None
        if not math.isfinite(value):
            raise self.error(f"{show(self.value)} is not finite; write a finite number")
        if minimum is not None and value < minimum:
            raise self.error(f"must be >= {minimum:g}, got {value!r}")
        return value

    def time(self) -> dt.datetime:
        """The value as an ISO 8601 time with its UTC offset, returned in UTC."""
        text = self.text()
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise self.error(
                f"{show(text)} is not an ISO 8601 time; write e.g. 2026-11-30T07:00:00+00:00"
            ) from None
        if value.tzinfo is None or value.utcoffset() is None:
            raise self.error(
                f"{show(text)} has no UTC offset, so it could be any time zone; write it with "
                "its offset, e.g. 2026-11-30T07:00:00+00:00"
            )
        try:
            return value.astimezone(dt.UTC)
        except OverflowError:
            raise self.error(f"{show(text)} is out of the supported range of times") from None

    def date(self) -> dt.date:
        """The value as an ISO 8601 date (``2026-11-30``)."""
        text = self.text()
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise self.error(f"{show(text)} is not a date; write e.g. 2026-11-30") from None
