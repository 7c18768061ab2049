"""The site file's ``police_contact`` column: read, bounded, warned about, carried into the plan."""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
from pathlib import Path

import pytest

from planner.config import MP_KINDS, ForceConfig
from planner.demand.contacts import MAX_POLICE_CONTACT_CHARS
from planner.demand.sites import read_site_points
from planner.demand.weekly import Site, sites_from_points
from planner.errors import InputError
from planner.planning.plan import read_plan_json, write_plan_json
from planner.planning.week import PlanResult

DATA = Path(__file__).resolve().parents[2] / "data"
HEADER = "site_id,name,kind,risk,lon,lat,windows,police_contact\n"


def _sites(config: ForceConfig, tmp_path: Path, *rows: str) -> list[Site]:
    path = tmp_path / "sites.csv"
    path.write_text(HEADER + "".join(r + "\n" for r in rows))
    sites, _ = sites_from_points(read_site_points(path), config.week.days)
    return sites


def test_contact_read_on_one_line(config: ForceConfig, tmp_path: Path) -> None:
    sites = _sites(
        config,
        tmp_path,
        'OFF,Office,mp_office,high,-0.7262,52.67,,"PS 1234  Jones,\n 07700 900123"',
        "POW,Church,place_of_worship,medium,-0.7262,52.67,,",
    )
    assert [s.police_contact for s in sites] == ["PS 1234 Jones, 07700 900123", ""]


def test_too_long_contact_names_row_and_field(config: ForceConfig, tmp_path: Path) -> None:
    long = "x" * (MAX_POLICE_CONTACT_CHARS + 1)
    with pytest.raises(InputError) as err:
        _sites(config, tmp_path, f"OFF,Office,mp_office,high,-0.7262,52.67,,{long}")
    assert err.value.field == "police_contact" and err.value.row == 1
    assert "sites.csv" in str(err.value)


def test_mp_rows_without_contact_warn_once(
    config: ForceConfig, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """One warning names the file and every MP row without a contact, and no other row."""
    with caplog.at_level(logging.WARNING, logger="planner.demand.contacts"):
        _sites(
            config,
            tmp_path,
            "OFF,Office,mp_office,high,-0.7262,52.67,,",
            "HOME,Home,mp_home,critical,-0.705,52.655,,",
            "SUR,Surgery,mp_surgery,high,-0.7225,52.5872,,PC 1 Smith",
            "POW,Church,place_of_worship,medium,-0.7262,52.67,,",
        )
    warnings = [r.getMessage() for r in caplog.records if "police contact" in r.getMessage()]
    assert len(warnings) == 1
    (msg,) = warnings
    assert "sites.csv" in msg and "OFF, HOME" in msg and "add a police_contact column" in msg
    assert "SUR" not in msg and "POW" not in msg


def test_no_column_at_all_warns(
    config: ForceConfig, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "old.csv"
    path.write_text("site_id,name,kind,risk,lon,lat\nOFF,Office,mp_office,high,-0.7262,52.67\n")
    with caplog.at_level(logging.WARNING, logger="planner.demand.contacts"):
        sites, _ = sites_from_points(read_site_points(path), config.week.days)
    assert sites[0].police_contact == ""
    assert "old.csv" in caplog.text and "OFF" in caplog.text


@pytest.mark.parametrize("area", ["demo", "rutland", "city-of-london", "westminster"])
def test_examples_name_a_contact_for_every_mp_row(area: str) -> None:
    with (DATA / area / "sites.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    mp = [r for r in rows if r["kind"] in MP_KINDS]
    assert mp and all(r["police_contact"].strip() for r in mp)


def test_contact_round_trips_through_plan_json(demo_plan: PlanResult, tmp_path: Path) -> None:
    plan = demo_plan.plan
    mp_stops = [s for s in plan.stops if s.kind in MP_KINDS]
    assert mp_stops and all(s.police_contact for s in mp_stops)  # the demo names them all
    assert all(not s.police_contact for s in plan.stops if s.kind not in MP_KINDS)
    path = write_plan_json(plan, tmp_path / "plan.json")
    assert read_plan_json(path) == plan
    # A plan written before the column existed reads with no contact.
    doc = json.loads(path.read_text(encoding="utf-8"))
    for route in doc["routes"]:
        for stop in route["stops"]:
            del stop["police_contact"]
    path.write_text(json.dumps(doc), encoding="utf-8")
    old = read_plan_json(path)
    assert all(s.police_contact == "" for s in old.stops)
    assert old.routes[0].stops == tuple(
        dataclasses.replace(s, police_contact="") for s in plan.routes[0].stops
    )
