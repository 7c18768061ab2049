"""Rejected site rows keep what they asked for (planner.demand.weekly.Reject).

A required visit that is rejected is a required visit missed, so a reject carries its kind and
how many required visits it asked for: from the row's ``required`` cell, a required named
window, or the kind's default (a post's slots are required).
"""

from __future__ import annotations

from pathlib import Path

from planner.config import ForceConfig
from planner.demand.sites import read_site_points
from planner.demand.weekly import Reject, sites_from_points

HEADER = "site_id,name,kind,risk,lon,lat,postcode,windows,required,presence\n"


def rejects_of(config: ForceConfig, tmp_path: Path, *rows: str) -> dict[str, Reject]:
    """The rejects of a small site file, by site id, read with the config's kind defaults."""
    path = tmp_path / "sites.csv"
    path.write_text(HEADER + "".join(r + "\n" for r in rows))
    _, rejects = sites_from_points(
        read_site_points(path), config.week.days, kinds=config.demand.kinds
    )
    return {r.record_id: r for r in rejects}


def test_unlocated_required_surgery_asks_for_a_required_visit(
    config: ForceConfig, tmp_path: Path
) -> None:
    """A surgery with only a postcode and ``required`` true is rejected, counted as required."""
    got = rejects_of(config, tmp_path, "S1,Surgery,mp_surgery,high,,,LE15 6AB,,true,")
    assert got["S1"].stage == "site" and "postcode" in got["S1"].reason
    assert got["S1"].kind == "mp_surgery" and got["S1"].required_visits == 1


def test_required_false_and_kind_default(config: ForceConfig, tmp_path: Path) -> None:
    """``required`` false asks for none; a blank cell takes the kind's default."""
    got = rejects_of(
        config,
        tmp_path,
        "A,Office,mp_office,high,,,,,false,",
        "B,Office,mp_office,high,,,,,,",
    )
    assert got["A"].required_visits == 0
    assert got["B"].required_visits == int(config.demand.kinds["mp_office"].required)


def test_required_named_window_and_post(config: ForceConfig, tmp_path: Path) -> None:
    """A required named window, or a post (its slots are required), asks for a required visit."""
    got = rejects_of(
        config,
        tmp_path,
        "W,Mosque,place_of_worship,high,,,,Jumu'ah: Fri 12:30-14:00 x1 required,,visit",
        "P,Protest,protest,high,,,,,,post",
        "V,Hall,community_centre,low,,,,,,visit",
    )
    assert got["W"].required_visits == 1
    assert got["P"].required_visits == 1
    assert got["V"].required_visits == int(config.demand.kinds["community_centre"].required)


def test_unknown_kind_asks_for_nothing_it_cannot_say(config: ForceConfig, tmp_path: Path) -> None:
    """A row whose kind is not a site kind keeps ``kind`` empty; only a stated ``required`` counts."""
    got = rejects_of(
        config,
        tmp_path,
        "X,Thing,warehouse,high,-0.7,52.6,,,,",
        "Y,Thing,warehouse,high,-0.7,52.6,,,yes,",
    )
    assert got["X"].kind == "" and got["X"].required_visits == 0
    assert got["Y"].required_visits == 1
