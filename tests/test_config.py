"""Force-area configuration (planner.config)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from planner.config import load_config
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
