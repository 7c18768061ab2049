"""The batch's national files and names: index links, summary CSV, area folders, modes."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import pytest

from planner.batch.runner import (
    AreaResult,
    BatchResult,
    area_name,
    find_configs,
    owner_only,
    relative_href,
    write_index,
    write_summary,
)
from planner.errors import InputError
from tests.batch.links import assert_safe_link, hrefs

HOSTILE_NAMES = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text,<script>alert(1)<\\script>",
    'say "hi" <img src=x onerror=alert(1)>',
    "a#fragment",
    "q?x=1&y=2",
    "100% sure",
    "with  spaces ",
    "Ynys Môn – Heddlu Gogledd Cymru ☃",
    "\\\\evil.example\\share",
    "%2e%2e",
    "line\nbreak",
]


def ok_result(name: str, run_dir: Path, **kw: object) -> AreaResult:
    return AreaResult(
        area=name,
        config=f"{name}/force.toml",
        status="ok",
        run_dir=str(run_dir),
        map=str(run_dir / "map.html"),
        **kw,  # type: ignore[arg-type]
    )


def test_index_links_hostile_folder_names_as_relative_paths(tmp_path: Path) -> None:
    """No folder name becomes a scheme: every href is ./-relative, encoded, and finds the map."""
    results = []
    for name in HOSTILE_NAMES:
        run_dir = tmp_path / name
        run_dir.mkdir()
        (run_dir / "map.html").write_text("map")
        results.append(ok_result(name, run_dir))
    index = write_index(tmp_path / "index.html", results)
    links = hrefs(index)
    assert len(links) == len(HOSTILE_NAMES)
    for href, name in zip(links, HOSTILE_NAMES, strict=True):
        assert_safe_link(href, index, tmp_path / name / "map.html")
    text = index.read_text(encoding="utf-8")
    assert "<script" not in text and "<img" not in text
    assert 'href="./javascript%3Aalert%281%29/map.html"' in text


def test_index_link_from_another_folder_and_non_utf8_names(tmp_path: Path) -> None:
    """Links work from any index folder, and for names that are not UTF-8 (their raw bytes)."""
    name = os.fsdecode(b"caf\xe9:x")  # Latin-1 bytes in a file name
    run_dir = tmp_path / "runs" / name
    run_dir.mkdir(parents=True)
    (run_dir / "map.html").write_text("map")
    index = write_index(tmp_path / "site" / "index.html", [ok_result(name, run_dir)])
    (href,) = hrefs(index)
    assert href == "./../runs/caf%E9%3Ax/map.html"
    assert_safe_link(href, index, run_dir / "map.html")
    assert relative_href(tmp_path / "a b" / "m.html", tmp_path) == "./a%20b/m.html"
    assert "caf\\udce9:x" in index.read_text(encoding="utf-8")
    csv_text = write_summary(tmp_path / "s.csv", [ok_result(name, run_dir)]).read_text()
    assert "caf\\udce9:x" in csv_text


def test_index_does_not_link_a_missing_map(tmp_path: Path) -> None:
    """A result naming a map that is not there gets no link (the table row stays)."""
    index = write_index(tmp_path / "index.html", [ok_result("gone", tmp_path / "gone")])
    assert hrefs(index) == []
    assert "<td>gone</td>" in index.read_text()


def test_summary_csv_neutralises_formulas_and_has_required_missed(tmp_path: Path) -> None:
    """Area names and errors that a spreadsheet would run as formulas come out as text."""
    results = [
        ok_result('=HYPERLINK("http://x.example","click")', tmp_path / "a", required_missed=3),
        AreaResult(
            area="+cmd|' /C calc'!A0",
            config="b.toml",
            status="failed",
            run_dir="b",
            error="@SUM(1+1)",
        ),
    ]
    path = write_summary(tmp_path / "national_summary.csv", results)
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["area"] == '\'=HYPERLINK("http://x.example","click")'
    assert rows[0]["required_missed"] == "3"
    assert rows[1]["area"] == "'+cmd|' /C calc'!A0" and rows[1]["error"] == "'@SUM(1+1)"
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())


def test_required_missed_is_in_every_summary(tmp_path: Path) -> None:
    """Required visits missed, per area: in the CSV header, the index and the final table."""
    results = [ok_result("north", tmp_path / "north", required_missed=4)]
    write_summary(tmp_path / "s.csv", results)
    assert "required_missed" in (tmp_path / "s.csv").read_text().splitlines()[0].split(",")
    index = write_index(tmp_path / "index.html", results).read_text()
    assert "<th>required missed</th>" in index and "<td>4</td>" in index
    table = BatchResult(tuple(results), tmp_path / "s.csv", tmp_path / "index.html").summary()
    assert "req. missed" in table.splitlines()[0]
    assert table.splitlines()[2].split()[3] == "4"


def test_final_table_shows_control_characters_as_codes(tmp_path: Path) -> None:
    """A folder name with an escape sequence cannot drive the terminal."""
    r = AreaResult(
        area="evil\x1b]0;pwned\x07", config="x", status="failed", run_dir="x", error="a\rb"
    )
    table = BatchResult((r,), tmp_path / "s.csv", tmp_path / "i.html").summary()
    assert "\x1b" not in table and "\x07" not in table and "\r" not in table
    assert "evil\\x1b]0;pwned\\x07" in table and "error: a\\rb" in table


def test_area_names_are_never_empty_or_dots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """force.toml in the current folder or its parent is named after that folder, not '' or '..'."""
    here = tmp_path / "rutland" / "sub"
    here.mkdir(parents=True)
    monkeypatch.chdir(here)
    assert area_name("force.toml") == "sub"
    assert area_name("../force.toml") == "rutland"
    assert area_name("configs/kent.toml") == "kent"


@pytest.mark.parametrize("name", ["..toml", ".status.toml", ".hidden/force.toml"])
def test_configs_that_would_write_outside_their_folder_are_refused(
    tmp_path: Path, name: str
) -> None:
    """An area folder named '.', '.status' or hidden would be the batch's own: refused by name."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    with pytest.raises(InputError, match="does not start with '.'"):
        find_configs([path])


def test_hidden_files_in_a_config_folder_are_not_configs(tmp_path: Path) -> None:
    for name in ["kent.toml", ".kent.toml.swp.toml", ".git/force.toml", "essex/force.toml"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert find_configs([tmp_path]) == [tmp_path / "kent.toml", tmp_path / "essex" / "force.toml"]


def test_owner_only(tmp_path: Path) -> None:
    """Every folder 0700 and file 0600; links are left as they are."""
    (tmp_path / "r" / "gpx").mkdir(parents=True)
    (tmp_path / "r" / "gpx" / "a.gpx").write_text("")
    (tmp_path / "r" / "plan.json").write_text("")
    os.chmod(tmp_path / "r" / "gpx", 0o755)
    os.chmod(tmp_path / "r" / "plan.json", 0o644)
    owner_only(tmp_path / "r")
    for dirpath, _dirs, files in os.walk(tmp_path / "r"):
        assert stat.S_IMODE(os.stat(dirpath).st_mode) == 0o700
        for f in files:
            assert stat.S_IMODE(os.stat(os.path.join(dirpath, f)).st_mode) == 0o600
