"""Force-area configuration (planner.config)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from planner.common import read_text
from planner.config import MAX_CONFIG_BYTES, load_config
from planner.errors import InputError

REPO = Path(__file__).resolve().parents[1]
RUTLAND = REPO / "data" / "rutland" / "force.toml"


def variant(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the Rutland config with one edit, in tmp_path (data paths made absolute)."""
    text = RUTLAND.read_text().replace("../../../shared", str(REPO.parent / "shared"))
    text = text.replace('sites = ["sites.csv"]', f'sites = ["{RUTLAND.parent / "sites.csv"}"]')
    assert old in text, old
    path = tmp_path / "force.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_rutland_config_loads() -> None:
    """The example config loads into typed objects with paths resolved."""
    cfg = load_config(RUTLAND)
    assert cfg.name.startswith("Leicestershire")
    assert cfg.week.monday == dt.date(2022, 10, 24)
    assert [s.name for s in cfg.shifts] == ["early", "late", "night"]
    assert cfg.units[2].days == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    assert cfg.site_files()[0].name == "sites.csv"
    assert len(cfg.incident_files()) == 3
    assert cfg.protective_marking == "OFFICIAL-SENSITIVE"
    assert cfg.demand.kinds["mp_surgery"].required  # defaults kept for kinds not overridden


def test_week_across_clock_change() -> None:
    """The planning week in which the clocks go back lasts 7 days and 1 hour."""
    cfg = load_config(RUTLAND)
    assert (cfg.week.end - cfg.week.start) == dt.timedelta(days=7, hours=1)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("seed = 20221024", "seed = 1\nsead = 2", r"solver\.sead.*unknown key"),
        ("officers = 2", "officers = 0", r"units\.0\.officers.*greater than or equal to 1"),
        ('mode = "car"', 'mode = "horse"', r"units\.0\.mode.*'horse' is not allowed"),
        ('station = "OAKHAM"', 'station = "NOWHERE"', "station 'NOWHERE' is not defined"),
        (
            'shifts = ["early", "late"]',
            'shifts = ["early", "elevenses"]',
            "shift 'elevenses' is not defined",
        ),
        ('iso_week = "2022-W43"', 'iso_week = "2022-43"', "not an ISO week"),
        ('iso_week = "2022-W43"', "start_date = 2022-10-25", "is a Tue"),
        ("pounds_per_week = 9000", "pounds_per_week = -5", "budget.pounds_per_week"),
        ('start = "07:00"', 'start = "7am"', "not a time of day"),
        ('network = "', 'network = "missing.osm.pbf"\nx = "', r"area\.x.*unknown key"),
        (
            'boundary = "',
            'boundary = "missing.geojson"\nold_boundary = "',
            r"area\.old_boundary.*unknown key",
        ),
        ('constituencies-rutland.geojson"', 'missing.geojson"', r"area\.boundary.*not found"),
        ("top_n = 15", "top_n = 15\nharm_share = 0.5", "exactly one of top_n"),
        ("[force]", "[force]\ncolour = 'blue'", "unknown key"),
    ],
)
def test_bad_config_names_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    """Each mistake is rejected with the file, the key and what is allowed."""
    path = variant(tmp_path, old, new)
    with pytest.raises(InputError, match=message) as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    """Broken TOML and a missing file are clear errors."""
    path = tmp_path / "broken.toml"
    path.write_text("[force\nname = 'x'")
    with pytest.raises(InputError, match="not valid TOML"):
        load_config(path)
    with pytest.raises(InputError, match="not found"):
        load_config(tmp_path / "none.toml")


def test_excluded_places() -> None:
    """Excluded places load with their location and radius."""
    cfg = load_config(RUTLAND)
    (place,) = cfg.incidents.exclude
    assert (
        place.name.startswith("HMP Stocken") and place.radius_m == 400 and place.easting == 495670
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "pounds_per_week = 9000",
            "pounds_per_week = nan",
            r"budget\.pounds_per_week': nan is not a number",
        ),
        (
            "pounds_per_week = 9000",
            "pounds_per_week = inf",
            r"budget\.pounds_per_week': inf is not finite",
        ),
        (
            "radius_m = 400",
            "radius_m = -inf",
            r"incidents\.exclude\.0\.radius_m': -inf is not finite",
        ),
        (
            "[demand]",
            "[demand]\nrisk_weights = {low = nan}",
            r"demand\.risk_weights\.low': nan is not",
        ),
        ("officers = 2", "officers = inf", r"units\.0\.officers': inf is not finite"),
        (
            "lon = -0.7287\nlat = 52.6732",
            "lon = 52.6732\nlat = -0.7287",
            r"stations\.0'.*look swapped",
        ),
        ("lon = -0.7287\nlat = 52.6732", "lon = 486000\nlat = 308000", r"stations\.0'.*EPSG:27700"),
        ("lon = -0.7287\nlat = 52.6732", "lon = -12.0\nlat = 52.6", r"not in Great Britain"),
        (
            "easting = 495670",
            "easting = 4956700",
            r"incidents\.exclude\.0'.*outside the British National Grid",
        ),
        ('id = "OAKHAM"', 'id = "OAK\\u0000HAM"', r"stations\.0\.id'.*U\+0000"),
        ('id = "RUT-CAR-1"', 'id = "RUT\\u200bCAR-1"', r"units\.0\.id'.*U\+200B"),
        (
            'name = "Oakham police station"',
            'name = "Oakham\\npolice"',
            r"stations\.0\.name'.*one line",
        ),
        ('sites = ["', 'sites = ["\\u0000", "', r"field 'sites'.*not a usable path"),
        ('sites = ["', 'sites = ["~no-such-user-x/a.csv", "', r"field 'sites'.*not a usable path"),
        (
            'sites = ["',
            'sites = ["' + "a" * 5000 + '", "',
            r"field 'sites'.*'aaaa.*\.\.\. is not a usable path",
        ),
        ('sites = ["', 'sites = [".", "', r"field 'sites'.*is a folder"),
        ("files = [", 'files = ["x/**y/*.csv", ', r"incidents\.files'.*not a usable file pattern"),
        ("[force]", "x = " + "[" * 3000 + "\n[force]", "nested too deeply"),
    ],
)
def test_values_names_and_paths(tmp_path: Path, old: str, new: str, message: str) -> None:
    """NaN, infinity, coordinates outside Great Britain, unprintable ids, unusable paths."""
    path = variant(tmp_path, old, new)
    with pytest.raises(InputError, match=message) as info:
        load_config(path)
    assert str(path) in str(info.value) and len(str(info.value)) < 600


def test_unicode_names_are_fine(tmp_path: Path) -> None:
    """Any Unicode in names is kept."""
    path = variant(tmp_path, 'name = "Oakham police station"', 'name = "Gorsaf heddlu Oakham ☎ é"')
    assert load_config(path).stations[0].name == "Gorsaf heddlu Oakham ☎ é"


@pytest.mark.parametrize(
    ("encoding", "message"),
    [
        ("utf-16", r"is UTF-16-LE text.*iconv -f UTF-16 -t UTF-8 force\.toml > force-utf8\.toml"),
        ("utf-16-be", r"is UTF-16-BE text.*iconv -f UTF-16BE"),
        ("utf-32", r"is UTF-32-LE text"),
        ("cp1252", r"not UTF-8 text \(byte 0xE9 at line 1, byte 6\); it looks like Windows-1252"),
    ],
)
def test_config_must_be_utf8(tmp_path: Path, encoding: str, message: str) -> None:
    """A TOML file in another encoding is refused, naming the encoding found."""
    path = variant(tmp_path, "[force]", "[force]")
    text = "# Caf\xe9\n" + path.read_text()
    path.write_bytes(text.encode(encoding))
    with pytest.raises(InputError, match=message):
        load_config(path)
    path.write_bytes(text.encode("utf-8-sig"))
    assert load_config(path).name.startswith("Leicestershire")


def test_folder_and_size(tmp_path: Path) -> None:
    """A folder suggests the config inside it; an over-large file fails before it is read."""
    with pytest.raises(
        InputError, match=r"is a folder; give the force config inside it, e\.g\. .*force\.toml"
    ):
        load_config(RUTLAND.parent)
    with pytest.raises(InputError, match=r"it holds no \.toml file"):
        load_config(tmp_path)
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * MAX_CONFIG_BYTES)
    with pytest.raises(InputError, match="the largest supported is 1.0 MB"):
        load_config(big)


def test_read_text_helper(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """planner.common.read_text: the one reader of input text files."""
    path = tmp_path / "a.csv"
    path.write_bytes("\ufeffsite_id\r\ncafé\r\n".encode())
    assert read_text(path, what="site file") == "site_id\r\ncafé\r\n"
    path.write_bytes("café".encode("cp1252"))
    with pytest.raises(InputError, match="looks like Windows-1252"):
        read_text(path, what="site file")
    with caplog.at_level("WARNING", logger="planner.common"):
        assert read_text(path, what="site file", allow_cp1252=True) == "café"
    assert "a.csv" in caplog.text
    path.write_bytes(b"\xef\xbb\xbfcaf\xe9")
    with pytest.raises(InputError, match="byte order mark but is not UTF-8"):
        read_text(path, what="site file", allow_cp1252=True)
    path.write_bytes(b"\x81\x8d")  # undefined in Windows-1252 too
    with pytest.raises(InputError, match="neither UTF-8 nor Windows-1252"):
        read_text(path, what="site file", allow_cp1252=True)
    with pytest.raises(InputError, match="plan not found"):
        read_text(tmp_path / "plan.json", what="plan")


def test_kind_override_keeps_its_usual_presence_and_reassurance() -> None:
    """Overriding a kind's priority keeps the kind's presence and reassurance patrols.

    The demo overrides ``place_of_worship`` without ``reassurance``: it keeps its patrols, an
    MP's home has none and keeps its drive-past, and ``reassurance = false`` turns them off.
    """
    from planner.config import DemandConfig

    demo = load_config(REPO / "data" / "demo" / "force.toml")
    kinds = demo.demand.kinds
    assert kinds["place_of_worship"].reassurance and kinds["place_of_worship"].priority == 2.5
    assert kinds["mp_office"].reassurance and not kinds["mp_home"].reassurance
    dem = DemandConfig.model_validate(
        {
            "kinds": {
                "mp_home": {"visits_per_week": 2},
                "mp_office": {"visits_per_week": 3, "reassurance": False},
            }
        }
    )
    assert dem.kinds["mp_home"].presence == "drive_past" and not dem.kinds["mp_home"].reassurance
    assert not dem.kinds["mp_office"].reassurance
    assert dem.kinds["community_centre"].reassurance
