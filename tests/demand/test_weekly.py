"""Sites into visit requirements (planner.demand.weekly)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import shapely

from planner.common import to_bng
from planner.config import ForceConfig
from planner.demand.dosage import hotspot_demands
from planner.demand.sites import read_site_points
from planner.demand.weekly import Site, build_demand, parse_bool, sites_from_points
from planner.errors import InputError


def demand_from(config: ForceConfig, tmp_path: Path, rows: str):
    """Demand from a small site CSV written in tmp_path."""
    path = tmp_path / "sites.csv"
    path.write_text(
        "site_id,name,kind,risk,lon,lat,windows,visits_per_week,dwell_min,min_gap_h,required,priority\n"
        + rows
    )
    sites, rejects = sites_from_points(read_site_points(path), config.week.days)
    return build_demand(config, sites, rejects=rejects)


def test_example_sites(config: ForceConfig, tmp_path: Path) -> None:
    """The Rutland example: every row is demand or a reject with a reason."""
    points = read_site_points(config.site_files()[0])
    sites, rejects = sites_from_points(points, config.week.days)
    demand = build_demand(config, sites, rejects=rejects)
    accounted = {s.site_id for s in demand.sites} | {r.record_id for r in demand.rejects}
    assert accounted == set(points.site_id)
    reasons = {r.record_id: r.reason for r in demand.rejects}
    assert "unlocated" in reasons["R-SUR-1"]
    assert "no window" in reasons["R-EV-1"]
    surgery = [v for v in demand.visits if v.site_id == "R-SUR-2"]
    assert len(surgery) == 2 and all(v.required for v in surgery)
    home = next(s for s in demand.sites if s.site_id == "R-HOME-1")
    assert home.restricted and home.is_mp_premises
    files = demand.write(tmp_path)
    assert {f.name for f in files} == {"demand_by_kind.csv", "visits.csv", "rejects.csv"}
    with (tmp_path / "rejects.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == len(demand.rejects)


def test_defaults_and_overrides(config: ForceConfig, tmp_path: Path) -> None:
    """Kind defaults apply (15-minute dwell); per-site overrides win."""
    d = demand_from(
        config,
        tmp_path,
        "a,Office,mp_office,high,-0.73,52.67,Mon-Fri 09:00-17:00,,,,,\n"
        "b,Church,place_of_worship,low,-0.73,52.67,Sun 09:00-12:00,3,20,2,true,9\n",
    )
    a = [v for v in d.visits if v.site_id == "a"]
    b = [v for v in d.visits if v.site_id == "b"]
    assert len(a) == 5 and a[0].dwell_s == 15 * 60 and not a[0].required
    assert a[0].prize == pytest.approx(3.0 * 4.0)  # office priority x high risk
    assert len(b) == 3 and b[0].dwell_s == 20 * 60 and b[0].min_gap_s == 2 * 3600 and b[0].required
    assert b[0].prize == pytest.approx(9 * 1.0)


def test_dated_kinds_visit_each_window(config: ForceConfig, tmp_path: Path) -> None:
    """A surgery held twice in the week gets its visits in each session."""
    d = demand_from(
        config,
        tmp_path,
        "s,Surgery,mp_surgery,high,-0.73,52.67,2022-10-25 10:00-12:00; 2022-10-27 18:00-19:30,,,,,\n",
    )
    assert len(d.visits) == 2
    assert d.visits[0].windows != d.visits[1].windows


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("x,X,temple,low,-0.73,52.67,,,,,,", "not a site kind"),
        ("x,X,mp_office,severe,-0.73,52.67,,,,,,", "not a risk level"),
        ("x,X,mp_office,low,-0.73,52.67,Someday 09:00-10:00,,,,,", "field 'windows'"),
        ("x,X,protest,low,-0.73,52.67,,,,,,", "needs dated windows"),
        ("x,X,mp_office,low,-0.73,52.67,Mon 09:00-09:10,,,,,", "long enough"),
        ("x,X,mp_office,low,-0.73,52.67,,0,,,,", "visits_per_week is 0"),
    ],
)
def test_bad_rows_are_rejected_with_reason(
    config: ForceConfig, tmp_path: Path, row: str, reason: str
) -> None:
    """Each bad row lands in the rejects with a reason, never silently dropped."""
    d = demand_from(config, tmp_path, row + "\n")
    assert not d.visits
    assert len(d.rejects) == 1 and reason in d.rejects[0].reason


def test_hotspots_have_no_fixed_visits_and_prizes_follow_harm(config: ForceConfig) -> None:
    """Hot spots have no fixed visits, and their worth is in proportion to harm.

    Their dosage is elastic, made once the unit-shifts are known (planner.demand.dosage).
    """
    sites = [
        Site(
            site_id=f"HS-{i}",
            name="",
            kind="hotspot",
            risk="medium",
            x_m=0,
            y_m=0,
            windows=(),
            source="crime",
            harm=h,
        )
        for i, h in enumerate([1000.0, 500.0, 10.0])
    ]
    d = build_demand(config, sites)
    assert not d.visits and [s.site_id for s in d.sites] == ["HS-0", "HS-1", "HS-2"]
    prizes = [h.base_prize for h in hotspot_demands(d.sites, None, config)]
    assert prizes[0] == pytest.approx(2 * prizes[1]) and prizes[1] == pytest.approx(50 * prizes[2])


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        (" TRUE ", True),
        ("Yes", True),
        ("1", True),
        ("false", False),
        ("No", False),
        (" 0", False),
        ("", None),
        ("  ", None),
    ],
)
def test_booleans_accepted(text: str, value: bool | None) -> None:
    """true/false/yes/no/1/0 in any case with spaces around; empty is the default."""
    assert parse_bool(text) is value


@pytest.mark.parametrize("text", ["ture", "y", "n", "2", "on", "tru e", "falsch"])
def test_booleans_strict(config: ForceConfig, tmp_path: Path, text: str) -> None:
    """Anything else in required or restricted is an error naming the row and column."""
    with pytest.raises(
        InputError, match=rf"row 1, field 'required'.*{text!r} is not true or false"
    ):
        demand_from(config, tmp_path, f"x,X,mp_office,low,-0.73,52.67,,,,,{text},\n")
    path = tmp_path / "r.csv"
    path.write_text(
        f"site_id,kind,lon,lat,restricted\na,mp_office,-0.73,52.67,\nb,mp_office,-0.73,52.67,{text}\n"
    )
    with pytest.raises(InputError, match=r"r\.csv, row 2, field 'restricted'"):
        sites_from_points(read_site_points(path), config.week.days)


def test_restricted_read(config: ForceConfig, tmp_path: Path) -> None:
    """restricted=yes marks a site restricted; empty leaves the default (only MPs' homes)."""
    path = tmp_path / "r.csv"
    path.write_text(
        "site_id,kind,lon,lat,restricted\n"
        "a,mp_office,-0.73,52.67,Yes\nb,mp_office,-0.73,52.67,\nc,mp_home,-0.73,52.67,no\n"
    )
    sites, _ = sites_from_points(read_site_points(path), config.week.days)
    assert [s.restricted for s in sites] == [True, False, True]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "visits_per_week",
            "1000000",
            "out of range: visits_per_week must be at least 0 and at most 100",
        ),
        ("visits_per_week", "2.5", "not a whole number"),
        ("visits_per_week", "two", "'two' is not a number"),
        ("dwell_min", "nan", "'nan' is not a number"),
        ("dwell_min", "inf", "'inf' is not finite"),
        ("dwell_min", "0", "more than 0 and at most 240"),
        ("min_gap_h", "-1", "at least 0 and at most 168"),
        ("priority", "1e9", "more than 0 and at most 100"),
    ],
)
def test_overrides_obey_kind_limits(
    config: ForceConfig, tmp_path: Path, field: str, value: str, message: str
) -> None:
    """Per-site overrides have the limits of [demand.kinds]; errors name row, field and range."""
    cells = {
        "visits_per_week": "",
        "dwell_min": "",
        "min_gap_h": "",
        "required": "",
        "priority": "",
    }
    cells[field] = value
    row = "x,X,mp_office,low,-0.73,52.67,," + ",".join(cells.values())
    with pytest.raises(InputError, match=rf"row 1, field '{field}': .*{message}"):
        demand_from(config, tmp_path, row + "\n")


def test_sites_outside_the_force_area(config: ForceConfig, tmp_path: Path) -> None:
    """A located site beyond the boundary plus its margin is rejected, naming the boundary."""
    path = tmp_path / "s.csv"
    path.write_text(
        "site_id,kind,lon,lat\nnear,mp_office,-0.73,52.67\nfar,mp_office,-1.5,53.5\n"
        "none,mp_office,,\n"
    )
    centre = shapely.Point(*to_bng().transform(-0.73, 52.67))
    sites, rejects = sites_from_points(
        read_site_points(path),
        config.week.days,
        boundary_m=centre.buffer(2000),
        buffer_m=500,
        boundary_name="rutland.geojson",
    )
    assert [s.site_id for s in sites] == ["near"]
    reasons = {r.record_id: r.reason for r in rejects}
    assert reasons["far"].startswith("outside the force area: ")
    assert "km beyond rutland.geojson" in reasons["far"] and "500 m margin" in reasons["far"]
    assert "unlocated" in reasons["none"]
