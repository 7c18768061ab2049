"""Time-of-week crime profiles (planner.demand.profiles)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from planner.common import LONDON
from planner.config import IncidentsConfig, load_config
from planner.demand.harm import CRIME_TYPES
from planner.demand.profiles import (
    CATEGORIES,
    DEFAULT_PROFILES,
    FLAT,
    HOURS_PER_WEEK,
    Band,
    Profile,
    profile_for,
    profiles_from_config,
)
from planner.errors import InputError

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "force.toml"
# 2022-10-24 is a Monday; the clocks went back at 02:00 BST on Sunday 2022-10-30.
MONDAY = dt.date(2022, 10, 24)


def local(day: int, hour: int, minute: int = 0, *, monday: dt.date = MONDAY) -> dt.datetime:
    """Europe/London wall-clock time ``day`` days after ``monday`` (first of a repeated hour)."""
    return dt.datetime.combine(monday + dt.timedelta(days=day), dt.time(hour, minute), LONDON)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """An aware UTC datetime."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


@pytest.fixture
def ramp() -> Profile:
    """Hour ``i`` of the week (Mon 00:00 = 0) has raw weight ``i + 1``: mean 84.5 before scaling."""
    return Profile.from_weights([i + 1.0 for i in range(HOURS_PER_WEEK)])


def raw_mean(pieces: list[tuple[float, int]]) -> float:
    """Hand computation: minutes-weighted mean of ramp raw weights, scaled like ``ramp``."""
    return sum(m * w for m, w in pieces) / sum(m for m, _ in pieces) / 84.5


def test_every_category_has_a_default_with_mean_one() -> None:
    """All 14 data.police.uk categories (the harm table's) have a positive profile of mean 1."""
    assert set(CATEGORIES) == set(CRIME_TYPES) == set(DEFAULT_PROFILES)
    for profile in [*DEFAULT_PROFILES.values(), FLAT]:
        assert len(profile.weights) == HOURS_PER_WEEK
        assert math.fsum(profile.weights) / HOURS_PER_WEEK == pytest.approx(1.0, abs=1e-12)
        assert min(profile.weights) > 0


def test_violence_peaks_on_weekend_nights() -> None:
    """Violence: Friday and Saturday 23:00 weigh far more than Tuesday 10:00."""
    violence = DEFAULT_PROFILES["Violence and sexual offences"]
    tue_morning = violence.weight_at(local(1, 10))
    assert violence.weight_at(local(4, 23)) > 2 * tue_morning
    assert violence.weight_at(local(5, 23)) > 2 * tue_morning
    assert violence.weight_at(local(5, 1)) > violence.weight_at(local(1, 1))  # Sat 01:00 > Tue's
    # The ten heaviest hours are Friday and Saturday nights (Saturday's runs into Sunday).
    for day, hour in violence.peak_hours(10):
        assert (day in ("Fri", "Sat") and hour >= 21) or (day in ("Sat", "Sun") and hour < 4)


def test_shoplifting_and_burglary_by_day() -> None:
    """Shoplifting in opening hours, not at night; burglary more on a weekday than small hours."""
    shop = DEFAULT_PROFILES["Shoplifting"]
    assert shop.weight_at(local(2, 11)) > 10 * shop.weight_at(local(2, 3))
    assert shop.weight_at(local(6, 12)) > shop.weight_at(local(6, 20))  # Sunday trading
    burglary = DEFAULT_PROFILES["Burglary"]
    assert burglary.weight_at(local(1, 11)) > burglary.weight_at(local(1, 3))
    assert burglary.weight_at(local(1, 19)) > burglary.weight_at(local(1, 3))


def test_vehicle_crime_overnight() -> None:
    """Vehicle crime: about three quarters of the week's weight falls between 18:00 and 06:00."""
    vehicle = DEFAULT_PROFILES["Vehicle crime"]
    night = sum(w for i, w in enumerate(vehicle.weights) if i % 24 >= 18 or i % 24 < 6)
    assert night / HOURS_PER_WEEK == pytest.approx(0.75)


def test_weight_at_uses_london_wall_clock(ramp: Profile) -> None:
    """A UTC instant in summer is an hour later on the London clock; naive times are refused."""
    # Tue 2022-10-25 09:30 UTC = 10:30 BST: hour index 24 + 10.
    assert ramp.weight_at(utc(2022, 10, 25, 9, 30)) == pytest.approx(35 / 84.5)
    with pytest.raises(ValueError, match="no time zone"):
        ramp.weight_at(dt.datetime(2022, 10, 25, 9, 30))


def test_mean_weight_across_midnight(ramp: Profile) -> None:
    """Fri 22:30 to Sat 01:15: 30 min of Fri 22, an hour each of Fri 23 and Sat 00, 15 of Sat 01."""
    got = ramp.mean_weight(local(4, 22, 30), local(5, 1, 15))
    assert got == pytest.approx(raw_mean([(30, 119), (60, 120), (60, 121), (15, 122)]))


def test_mean_weight_across_week_wrap(ramp: Profile) -> None:
    """Sun 23:00 to Mon 01:00 averages the week's last hour and its first."""
    got = ramp.mean_weight(local(6, 23), local(7, 1))
    assert got == pytest.approx(raw_mean([(60, 168), (60, 1)]))


def test_mean_weight_across_october_clock_change(ramp: Profile) -> None:
    """Sun 30 Oct 2022 00:30 BST to 02:30 GMT is 3 hours; the repeated 01:00 hour counts twice."""
    start, end = utc(2022, 10, 29, 23, 30), utc(2022, 10, 30, 2, 30)
    assert start.astimezone(LONDON).hour == 0 and end.astimezone(LONDON).hour == 2
    got = ramp.mean_weight(start, end)
    assert got == pytest.approx(raw_mean([(30, 145), (120, 146), (30, 147)]))


def test_mean_weight_across_march_clock_change(ramp: Profile) -> None:
    """Sun 26 Mar 2023 00:30 GMT to 03:30 BST is 2 hours; the skipped 01:00 hour counts not at all."""
    got = ramp.mean_weight(utc(2023, 3, 26, 0, 30), utc(2023, 3, 26, 2, 30))
    assert got == pytest.approx(raw_mean([(30, 145), (60, 147), (30, 148)]))


def test_mean_weight_edges(ramp: Profile) -> None:
    """An empty window gives the weight at its start; a backwards one is an error."""
    t = local(2, 14, 20)
    assert ramp.mean_weight(t, t) == ramp.weight_at(t)
    with pytest.raises(ValueError, match="before start"):
        ramp.mean_weight(t, t - dt.timedelta(minutes=1))


def test_bands_multiply_and_wrap_past_midnight() -> None:
    """A Sun 22:00-02:00 band runs into Monday; overlapping bands multiply; others weigh 1."""
    profile = Profile.from_bands([Band((6,), 22, 2, 4.0), Band((0,), 1, 3, 2.0)])
    raw = [1.0] * HOURS_PER_WEEK
    for i in (166, 167, 0):
        raw[i] = 4.0
    raw[1] = 8.0  # Mon 01:00: both bands
    raw[2] = 2.0
    assert profile == Profile.from_weights(raw)
    assert Profile.from_bands([Band((2,), 5, 5, 3.0)]).peak_hours(24)[-1] == ("Thu", 4)
    assert profile.peak_hours(2) == [("Mon", 1), ("Mon", 0)]


def test_profile_checks_its_weights() -> None:
    """The constructor refuses the wrong length, weights <= 0 and a mean other than 1."""
    with pytest.raises(ValueError, match="168 hourly weights"):
        Profile((1.0,) * 24)
    with pytest.raises(ValueError, match="> 0"):
        Profile((0.0,) + (1.0,) * 167)
    with pytest.raises(ValueError, match="average 1"):
        Profile((2.0,) * HOURS_PER_WEEK)
    with pytest.raises(ValueError, match="is not a band"):
        Profile.from_bands([Band((7,), 0, 1, 2.0)])
    with pytest.raises(ValueError, match="is not a band"):
        Profile.from_bands([Band((0,), 0, 24, 2.0)])


def test_mixture_weights_by_harm() -> None:
    """A hot spot with 3 days of vehicle crime and 1 of shoplifting mixes their profiles 3:1."""
    vehicle, shop = DEFAULT_PROFILES["Vehicle crime"], DEFAULT_PROFILES["Shoplifting"]
    mixed = profile_for({"Vehicle crime": 3.0, "Shoplifting": 1.0}, DEFAULT_PROFILES)
    for i in (0, 35, 100, 167):
        assert mixed.weights[i] == pytest.approx((3 * vehicle.weights[i] + shop.weights[i]) / 4)
    alone = profile_for({"Shoplifting": 2.0, "Burglary": 0.0}, DEFAULT_PROFILES)
    assert alone.weights == pytest.approx(shop.weights)
    assert profile_for({"Made-up crime": 5.0}, DEFAULT_PROFILES) == FLAT


def test_mixture_without_harm_is_flat() -> None:
    """No harm, or only zero harm, gives the flat profile; negative or NaN harm is an error."""
    assert profile_for({}, DEFAULT_PROFILES) == FLAT
    assert profile_for({"Robbery": 0.0}, DEFAULT_PROFILES) == FLAT
    with pytest.raises(InputError, match="'Robbery'.*>= 0"):
        profile_for({"Robbery": -1.0}, DEFAULT_PROFILES)
    with pytest.raises(InputError, match="finite"):
        profile_for({"Robbery": math.nan}, DEFAULT_PROFILES)


def test_config_overrides_replace_defaults() -> None:
    """A category's bands replace its default; hot spots take a category's profile or their own."""
    cfg = IncidentsConfig.model_validate(
        {
            "profiles": {
                "Burglary": [{"days": ["Daily"], "start": "00:00", "end": "06:00", "weight": 5}],
                "Other crime": [],
            },
            "hotspot_profiles": {
                "HS-001": "Burglary",
                "HS-002": "Shoplifting",
                "HS-003": [{"days": ["Fri", "Sat"], "start": "22:00", "end": "03:00", "weight": 3}],
            },
        }
    )
    categories, hotspots = profiles_from_config(cfg)
    assert set(categories) == set(CATEGORIES)
    assert categories["Burglary"] == Profile.from_bands([Band(tuple(range(7)), 0, 6, 5.0)])
    assert categories["Burglary"] != DEFAULT_PROFILES["Burglary"]
    assert categories["Other crime"] == FLAT
    assert categories["Robbery"] == DEFAULT_PROFILES["Robbery"]
    assert hotspots["HS-001"] is categories["Burglary"]  # the override, not the default
    assert hotspots["HS-002"] == DEFAULT_PROFILES["Shoplifting"]
    assert hotspots["HS-003"] == Profile.from_bands([Band((4, 5), 22, 3, 3.0)])
    assert profiles_from_config(IncidentsConfig()) == (dict(DEFAULT_PROFILES), {})


def test_unknown_categories_are_named() -> None:
    """An unknown category, as a key or a hot spot's profile, is an error listing the valid ones."""
    cfg = IncidentsConfig.model_validate({"profiles": {"Burglery": []}})
    with pytest.raises(InputError, match=r"incidents\.profiles.*'Burglery'.*Anti-social behaviour"):
        profiles_from_config(cfg)
    cfg = IncidentsConfig.model_validate({"hotspot_profiles": {"HS-009": "Theft"}})
    with pytest.raises(InputError, match=r"hotspot_profiles\.HS-009.*'Theft'.*Vehicle crime"):
        profiles_from_config(cfg)


@pytest.mark.parametrize(
    ("band", "message"),
    [
        ({"days": ["Fri"], "start": "22:30", "end": "03:00", "weight": 2}, "whole hour"),
        ({"days": ["Fri"], "start": "25:00", "end": "03:00", "weight": 2}, "not a time of day"),
        ({"days": ["Fri"], "start": "22:00", "end": "03:00", "weight": 0}, "greater than 0"),
        ({"days": ["Fri"], "start": "22:00", "end": "03:00", "weight": 101}, "less than or equal"),
        ({"days": ["Daily", "Sat"], "start": "22:00", "end": "03:00", "weight": 2}, "stands alone"),
        ({"days": ["Fri", "Fri"], "start": "22:00", "end": "03:00", "weight": 2}, "listed twice"),
        ({"days": ["Friday"], "start": "22:00", "end": "03:00", "weight": 2}, "'Mon', 'Tue'"),
        ({"days": [], "start": "22:00", "end": "03:00", "weight": 2}, "at least 1 item"),
        ({"days": ["Fri"], "start": "22:00", "end": "03:00", "weight": 2, "hours": 3}, "Extra"),
    ],
)
def test_bad_bands_are_refused(band: dict[str, object], message: str) -> None:
    """Each malformed band is refused, naming the band's key and what is wrong."""
    with pytest.raises(ValidationError, match=message) as caught:
        IncidentsConfig.model_validate({"profiles": {"Robbery": [band]}})
    assert caught.value.errors()[0]["loc"][:3] == ("profiles", "Robbery", 0)


def test_hot_spot_profile_of_the_wrong_form() -> None:
    """A hot spot's profile that is neither a name nor a list of bands says what to give."""
    with pytest.raises(ValidationError, match="crime category's name or a list of bands"):
        IncidentsConfig.model_validate({"hotspot_profiles": {"HS-001": 3}})


def demo_with(tmp_path: Path, extra: str) -> Path:
    """The demo config with ``extra`` TOML appended, written in tmp_path (data paths absolute)."""
    text = DEMO.read_text(encoding="utf-8")
    text = text.replace('sites = ["sites.csv"]', f'sites = ["{DEMO.parent / "sites.csv"}"]')
    text = text.replace('files = ["crimes/*.csv"]', f'files = ["{DEMO.parent}/crimes/*.csv"]')
    path = tmp_path / "force.toml"
    path.write_text(text + "\n" + extra, encoding="utf-8")
    return path


def test_toml_override_loads(tmp_path: Path) -> None:
    """The README's TOML example loads and overrides the defaults."""
    path = demo_with(
        tmp_path,
        """
[[incidents.profiles."Anti-social behaviour"]]
days = ["Fri", "Sat"]
start = "20:00"
end = "02:00"
weight = 3

[incidents.hotspot_profiles]
"HS-003" = "Shoplifting"
"HS-007" = [{ days = ["Daily"], start = "15:00", end = "18:00", weight = 2.5 }]
""",
    )
    categories, hotspots = profiles_from_config(load_config(path).incidents)
    assert categories["Anti-social behaviour"].peak_hours(1) == [("Fri", 20)]
    assert hotspots["HS-003"] == DEFAULT_PROFILES["Shoplifting"]
    assert hotspots["HS-007"].peak_hours(1) == [("Mon", 15)]


def test_toml_bad_band_names_the_key(tmp_path: Path) -> None:
    """A bad band in the TOML file is an InputError naming the file and the full key."""
    path = demo_with(
        tmp_path,
        """
[incidents.hotspot_profiles]
"HS-003" = [{ days = ["Fri"], start = "22:00", end = "03:15", weight = 2 }]
""",
    )
    with pytest.raises(InputError, match=r"incidents\.hotspot_profiles\.HS-003\..*whole hour"):
        load_config(path)


_WINDOW_START = st.datetimes(
    min_value=dt.datetime(2020, 1, 1),
    max_value=dt.datetime(2030, 12, 31),
    timezones=st.just(dt.UTC),
)
_BAND = st.builds(
    Band,
    days=st.lists(st.integers(0, 6), min_size=1, max_size=7).map(tuple),
    start_h=st.integers(0, 23),
    end_h=st.integers(0, 23),
    weight=st.floats(0.01, 100),
)


@settings(max_examples=150, deadline=None)
@given(bands=st.lists(_BAND, max_size=5), start=_WINDOW_START)
def test_week_mean_is_one_and_windows_positive(bands: list[Band], start: dt.datetime) -> None:
    """Any profile from bands: mean 1 over a week of wall-clock hours, and every window > 0.

    168 hours from any instant cover each hour of the week once, unless a clock change falls
    inside: then one hour counts twice or not at all, moving the mean by at most
    (max - min) / 168.
    """
    profile = Profile.from_bands(bands)
    end = start + dt.timedelta(hours=HOURS_PER_WEEK)
    mean = profile.mean_weight(start, end)
    if start.astimezone(LONDON).utcoffset() == end.astimezone(LONDON).utcoffset():
        assert mean == pytest.approx(1.0, rel=1e-9)
    else:
        spread = max(profile.weights) - min(profile.weights)
        assert abs(mean - 1.0) <= spread / HOURS_PER_WEEK + 1e-9
    for window in (dt.timedelta(minutes=1), dt.timedelta(hours=7, minutes=13)):
        assert profile.mean_weight(start, start + window) > 0
