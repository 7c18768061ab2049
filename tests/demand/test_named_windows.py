"""Named windows in a site's ``windows`` cell, each with its own visits (issue 12 item 4)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from planner.common import LONDON
from planner.config import ForceConfig
from planner.demand.weekly import FAITH_WINDOWS, Demand
from planner.demand.windows import (
    WindowGrammarError,
    parse_window_cell,
    parse_windows,
    slugify,
)
from planner.errors import InputError
from tests.demand.conftest import demand_from_csv

HEADER = "site_id,name,kind,risk,lon,lat,windows,visits_per_week,required,priority,faith\n"
SAMPLE = "Jumu'ah: Fri 12:30-14:00 x1 required; Evening: Daily 17:30-19:30 x3"


def demand_from(config: ForceConfig, tmp_path: Path, *rows: str) -> Demand:
    """Demand from a small site CSV (columns of :data:`HEADER`) written in tmp_path."""
    return demand_from_csv(config, tmp_path, HEADER, *rows)


def row(windows: str, kind: str = "place_of_worship", rest: str = ",,,", sid: str = "m") -> str:
    """A located row with ``windows`` quoted; ``rest`` fills visits_per_week..faith."""
    return f'{sid},Site,{kind},high,-0.73,52.67,"{windows}",{rest}'


def local_hm(t: dt.datetime) -> str:
    return f"{t.astimezone(LONDON):%a %H:%M}"


def test_parse_named_cell(config: ForceConfig) -> None:
    """Each named item has its own visits, required flag and windows; no unnamed windows."""
    unnamed, named = parse_window_cell(SAMPLE, config.week.days)
    assert unnamed == []
    jumuah, evening = named
    assert (jumuah.name, jumuah.slug, jumuah.visits, jumuah.required) == (
        "Jumu'ah",
        "jumuah",
        1,
        True,
    )
    assert [(local_hm(w.start), local_hm(w.end)) for w in jumuah.windows] == [
        ("Fri 12:30", "Fri 14:00")
    ]
    assert (evening.slug, evening.visits, evening.required, evening.priority) == (
        "evening",
        3,
        None,
        None,
    )
    assert len(evening.windows) == 7


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Mon-Fri 09:00-17:00",
        "Fri 12:15-14:00, 19:00-20:00",
        "Fri 12:30-14:30; Daily 17:30-19:30",
        "Sat 22:00-02:00",
        "2022-10-28 18:00-20:00",
    ],
)
def test_unnamed_cells_read_as_before(config: ForceConfig, text: str) -> None:
    """The old form gives exactly what parse_windows gives, and no named windows."""
    assert parse_window_cell(text, config.week.days) == (
        parse_windows(text, config.week.days),
        [],
    )


def test_slugs() -> None:
    """Slugs drop apostrophes, lower the case and join words with '-'."""
    assert slugify("Jumu'ah") == "jumuah"
    assert slugify("Sunday  service") == "sunday-service"
    assert slugify("Mass #2 (late)") == "mass-2-late"


def test_named_visits(config: ForceConfig, tmp_path: Path) -> None:
    """Named windows make <site>#<slug>#<k> visits with their own required flag."""
    d = demand_from(config, tmp_path, row(SAMPLE))
    ids = [v.visit_id for v in d.visits]
    assert ids == ["m#jumuah#1", "m#evening#1", "m#evening#2", "m#evening#3"]
    by_id = {v.visit_id: v for v in d.visits}
    assert by_id["m#jumuah#1"].required and by_id["m#jumuah#1"].window == "Jumu'ah"
    assert not by_id["m#evening#2"].required and by_id["m#evening#2"].window == "Evening"
    assert len(by_id["m#evening#1"].windows) == 7
    assert all(v.presence == "visit" and v.dwell_s == 15 * 60 for v in d.visits)


def test_priority_and_unnamed_mix(config: ForceConfig, tmp_path: Path) -> None:
    """Unnamed clauses keep visits_per_week; priority=P sets a named window's prize."""
    d = demand_from(
        config,
        tmp_path,
        row("Fri 12:30-14:30; Evening: Daily 17:30-19:30 x2 priority=10", rest="3,,,"),
    )
    unnamed = [v for v in d.visits if not v.window]
    evening = [v for v in d.visits if v.window == "Evening"]
    assert [v.visit_id for v in unnamed] == ["m#1", "m#2", "m#3"]
    assert len(unnamed[0].windows) == 1 and len(evening) == 2
    weight = config.demand.risk_weights["high"]
    assert evening[0].prize == pytest.approx(10 * weight)
    assert unnamed[0].prize == pytest.approx(
        config.demand.kinds["place_of_worship"].priority * weight
    )


def test_named_only_cells_have_no_unnamed_visits(config: ForceConfig, tmp_path: Path) -> None:
    """Only the named visits, unless visits_per_week is given (then at any time)."""
    d = demand_from(config, tmp_path, row("Prayers: Fri 12:30-14:00 x2"))
    assert [v.visit_id for v in d.visits] == ["m#prayers#1", "m#prayers#2"]
    d = demand_from(config, tmp_path, row("Prayers: Fri 12:30-14:00 x2", rest="1,,,"))
    anytime = [v for v in d.visits if not v.window]
    week = config.week.end - config.week.start
    assert len(anytime) == 1 and anytime[0].windows[0].duration_s == week.total_seconds()
    # A dated kind's visits_per_week counts per unnamed dated window: there is none.
    d = demand_from(
        config, tmp_path, row("Session: 2022-10-28 18:00-20:00 x2", kind="mp_surgery", rest="3,,,")
    )
    assert [v.visit_id for v in d.visits] == ["m#session#1", "m#session#2"]
    assert all(v.required for v in d.visits)  # the kind's default


def test_name_given_twice_is_one_window(config: ForceConfig, tmp_path: Path) -> None:
    """The same name (any case) on two clauses is one window over both."""
    d = demand_from(config, tmp_path, row("Evening: Mon 17:00-19:00 x2; evening: Thu 18:00-20:00"))
    assert [v.visit_id for v in d.visits] == ["m#evening#1", "m#evening#2"]
    assert [local_hm(w.start) for w in d.visits[0].windows] == ["Mon 17:00", "Thu 18:00"]


def test_required_and_priority_columns_are_the_defaults(
    config: ForceConfig, tmp_path: Path
) -> None:
    """A named window without 'required' takes the row's required column."""
    d = demand_from(
        config, tmp_path, row("A: Mon 10:00-12:00; B: Tue 10:00-12:00 required", rest=",true,7,")
    )
    assert all(v.required for v in d.visits)
    assert d.visits[0].prize == pytest.approx(7 * config.demand.risk_weights["high"])


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("Ev: Mon 10:00-11:00 x0", "'x0'"),
        ("Ev: Mon 10:00-11:00 requried", "'requried'"),
        ("Fri 12:00-13:00 x2", "give it a name"),
        ("Ev: Someday 10:00-11:00", "'someday' is not a day"),
        ("Ev: Mon 10:00-11:00 priority=high", "'priority=high'"),
        ("Ev: Mon 10:00-11:00 priority=1000", "out of range: priority must be"),
        (": Mon 10:00-11:00", "a window's name is 1 to"),
        ("Ev: x2", "has no times"),
        ("Ev: Mon 10:00-11:00 x1; Ev: Tue 10:00-11:00 x2", "named twice"),
    ],
)
def test_errors_name_row_column_fragment(
    config: ForceConfig, tmp_path: Path, cell: str, fragment: str
) -> None:
    """A mistake in the named form stops the run, naming file, row, column and the fragment."""
    with pytest.raises(InputError) as info:
        demand_from(config, tmp_path, row("Mon 09:00-10:00", sid="ok"), row(cell))
    message = str(info.value)
    assert "sites.csv, row 2, field 'windows'" in message
    assert fragment in message
    assert "e.g." in message or "give xN once" in message  # the right form


def test_grammar_error_is_a_value_error(config: ForceConfig) -> None:
    """Callers that catch ValueError for a windows cell still catch the named form's errors."""
    with pytest.raises(ValueError, match="not a window modifier"):
        parse_window_cell("Ev: Mon 10:00-11:00 x1 now", config.week.days)
    assert issubclass(WindowGrammarError, ValueError)


@pytest.mark.parametrize(
    ("faith", "name", "day", "required"),
    [
        ("muslim", "Jumu'ah", "Fri 12:30", True),
        ("Christian", "Sunday service", "Sun 09:30", False),
        ("jewish", "Shabbat", "Sat 09:00", False),
        ("sikh", "Sunday diwan", "Sun 10:00", False),
        ("hindu", "Sunday puja", "Sun 10:00", False),
    ],
)
def test_faith_defaults(
    config: ForceConfig, tmp_path: Path, faith: str, name: str, day: str, required: bool
) -> None:
    """An empty windows cell gets the faith's main service, plus the kind's visits any time."""
    d = demand_from(config, tmp_path, row("", rest=f",,,{faith}"))
    named = [v for v in d.visits if v.window]
    anytime = [v for v in d.visits if not v.window]
    assert [v.window for v in named] == [name]
    assert local_hm(named[0].windows[0].start) == day and named[0].required is required
    assert len(anytime) == config.demand.kinds["place_of_worship"].visits_per_week
    assert faith.lower() in FAITH_WINDOWS


@pytest.mark.parametrize("faith", ["", "buddhist", "other"])
def test_other_faiths_as_before(config: ForceConfig, tmp_path: Path, faith: str) -> None:
    """No faith, or one not in the table: today's behaviour (visits at any time)."""
    d = demand_from(config, tmp_path, row("", rest=f",,,{faith}"))
    assert all(not v.window for v in d.visits)
    assert len(d.visits) == config.demand.kinds["place_of_worship"].visits_per_week


def test_own_windows_beat_faith_default(config: ForceConfig, tmp_path: Path) -> None:
    """A windows cell wins over the faith table; other kinds ignore faith."""
    d = demand_from(
        config,
        tmp_path,
        row("Fri 13:00-14:00", rest=",,,muslim"),
        row("", kind="community_centre", rest=",,,muslim", sid="c"),
    )
    assert not any(v.window for v in d.visits)


def test_visit_caps(config: ForceConfig, tmp_path: Path) -> None:
    """Named and unnamed visits together are at most 100 (the visits_per_week limit)."""
    ok = demand_from(config, tmp_path, row("A: Mon 09:00-17:00 x60; B: Tue 09:00-17:00 x40"))
    assert len(ok.visits) == 100
    with pytest.raises(InputError, match=r"row 1, field 'windows': 110 visits .*at most 100"):
        demand_from(config, tmp_path, row("A: Mon 09:00-17:00 x60; B: Tue 09:00-17:00 x50"))
    with pytest.raises(InputError, match=r"101 visits \(60 in named windows, 41 unnamed\)"):
        demand_from(config, tmp_path, row("A: Mon 09:00-17:00 x60; Tue 09:00-17:00", rest="41,,,"))


def test_short_and_out_of_week_named_windows(config: ForceConfig, tmp_path: Path) -> None:
    """A named window too short for the dwell rejects the row; another week's is dropped."""
    d = demand_from(
        config,
        tmp_path,
        row("Quick: Mon 09:00-09:10; Long: Tue 09:00-12:00", sid="a"),
        row("Later: 2022-11-05 18:00-21:00; Now: Mon 09:00-12:00", sid="b"),
        row("Later: 2022-11-05 18:00-21:00", sid="c"),
    )
    reasons = {r.record_id: r.reason for r in d.rejects}
    assert "no window of 'Quick' is long enough for a 15-minute visit" in reasons["a"]
    assert [v.visit_id for v in d.visits] == ["b#now#1"]
    assert "none of its windows falls in the planning week" in reasons["c"]
