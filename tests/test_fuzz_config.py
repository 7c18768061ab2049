"""Property test: any text given as a force config loads or fails with a planner error.

Whatever the file holds (random bytes, random text, the Rutland config with one value or line
replaced by something random), :func:`planner.config.load_config` returns a config or raises a
:class:`planner.errors.PlannerError`: never another exception, never a hang. The deadline is
generous (2 s) because the machine is shared; a config loads in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from planner.config import ForceConfig, load_config
from planner.errors import PlannerError

REPO = Path(__file__).resolve().parents[1]
RUTLAND = REPO / "data" / "rutland" / "force.toml"
BASE = (
    RUTLAND.read_text()
    .replace("../../../shared", str(REPO.parent / "shared"))
    .replace('sites = ["sites.csv"]', f'sites = ["{RUTLAND.parent / "sites.csv"}"]')
)
LINES = BASE.splitlines()
VALUE_LINES = [i for i, line in enumerate(LINES) if re.match(r"^\s*[a-z_]+\s*=", line)]
FUZZ = settings(max_examples=100, deadline=2000)


def toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's, except that TOML refuses surrogates)."""
    return json.dumps(text)


scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),  # nan, inf, -inf are TOML
    st.sampled_from(["nan", "+inf", "-inf", "true", "false", "0", "-1", "1e400", "2026-11-30"]),
    st.text(max_size=40).map(toml_string),
    st.sampled_from(
        ['"*"', '"/tmp/*"', '"~nobody/x"', '"."', '"2022-W99"', '"25:00"', '"\\u0000"']
    ),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)).map(str),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.dictionaries(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), inner, max_size=3).map(
            lambda d: "{" + ", ".join(f"{k} = {v}" for k, v in d.items()) + "}"
        ),
    ),
    max_leaves=8,
)


def load(data: bytes) -> ForceConfig | None:
    """Load ``data`` as a force.toml in a fresh folder; ``None`` if it is refused as it should be."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "force.toml"
        path.write_bytes(data)
        try:
            return load_config(path)
        except PlannerError as exc:
            assert str(exc).strip() and "\n" not in str(exc), "one line"
            return None


@FUZZ
@given(st.binary(max_size=2000))
def test_any_bytes(data: bytes) -> None:
    """Random bytes: refused with a planner error."""
    load(data)


@FUZZ
@given(st.text(max_size=2000))
def test_any_text(text: str) -> None:
    """Random text: refused with a planner error (surrogates cannot be encoded, so are dropped)."""
    load(text.encode("utf-8", "ignore"))


@FUZZ
@given(line=st.sampled_from(VALUE_LINES), value=values)
def test_one_value_replaced(line: int, value: str) -> None:
    """The Rutland config with one key's value replaced by any TOML value."""
    lines = list(LINES)
    key = lines[line].split("=", 1)[0]
    lines[line] = f"{key}= {value}"
    load("\n".join(lines).encode())


@FUZZ
@given(line=st.integers(0, len(LINES)), text=st.text(max_size=80))
def test_one_line_inserted(line: int, text: str) -> None:
    """The Rutland config with a random line inserted anywhere."""
    lines = [*LINES[:line], text, *LINES[line:]]
    load("\n".join(lines).encode("utf-8", "ignore"))


def test_the_base_config_loads() -> None:
    """The unmutated base loads, so the properties above test mutations of a valid file."""
    assert load(BASE.encode()) is not None
