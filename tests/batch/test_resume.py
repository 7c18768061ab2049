"""A real batch with hostile area names: links, CSV, file modes, and resume after damage."""

from __future__ import annotations

import csv
import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from planner.batch.record import RECORD
from planner.batch.runner import run_batch
from tests.batch.links import assert_safe_link, hrefs

REPO = Path(__file__).resolve().parents[2]
ITERATIONS = 60  # an iteration stop: the same plans on any machine
# Folder names that were links, markup or formulas: two copies of the demo, one broken config.
AREA_A = "javascript:alert(1)"
AREA_B = 'Ynys Môn "<b>#?% &amp;'
BROKEN = '=HYPERLINK("x")'


@pytest.fixture(scope="module")
def configs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of configs: the demo under two hostile folder names, and a broken one."""
    folder = tmp_path_factory.mktemp("configs")
    for name in (AREA_A, AREA_B):
        shutil.copytree(REPO / "data" / "demo", folder / name)
    text = (REPO / "data" / "demo" / "force.toml").read_text()
    text = text.replace('station = "NB-EAST"', 'station = "NO-SUCH-STATION"')
    text = text.replace('sites = ["sites.csv"]', f'sites = ["{REPO / "data/demo/sites.csv"}"]')
    text = text.replace('files = ["crimes/*.csv"]', "files = []").replace("top_n = 12", "")
    (folder / f"{BROKEN}.toml").write_text(text)
    return folder


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, configs: Path, cache: Path) -> Path:
    """The batch's output folder, written with a permissive umask (as on many desktops)."""
    out = tmp_path_factory.mktemp("hostile") / "out"
    umask = os.umask(0o022)
    try:
        result = run_batch(
            [configs], out_dir=out, cache_dir=cache, workers=2, iterations=ITERATIONS
        )
    finally:
        os.umask(umask)
    assert {r.area: r.status for r in result.results} == {
        BROKEN: "failed",
        AREA_A: "ok",
        AREA_B: "ok",
    }
    return out


def statuses(out: Path, configs: Path, cache: Path) -> dict[str, str]:
    result = run_batch([configs], out_dir=out, cache_dir=cache, workers=2, iterations=ITERATIONS)
    return {r.area: r.status for r in result.results}


def assert_index_links_maps(out: Path) -> None:
    # Rows in config order: the broken *.toml, then the */force.toml folders sorted by name.
    links = hrefs(out / "index.html")
    assert len(links) == 2
    for href, area in zip(links, sorted([AREA_A, AREA_B]), strict=True):
        assert_safe_link(href, out / "index.html", out / area / "map.html")


def test_index_links_are_relative_and_lead_to_the_maps(batch: Path) -> None:
    """Folders named like a javascript: link or markup give ./-relative, encoded links."""
    assert_index_links_maps(batch)
    text = (batch / "index.html").read_text(encoding="utf-8")
    assert 'href="./javascript%3Aalert%281%29/map.html"' in text
    assert "<b>#" not in text and "&lt;b&gt;#?% &amp;amp;" in text


def test_summary_csv_is_safe_and_counts_required_missed(batch: Path) -> None:
    """The broken area's formula-like name comes out as text; required missed is per area."""
    with (batch / "national_summary.csv").open(newline="", encoding="utf-8") as fh:
        rows = {r["area"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {"'" + BROKEN, AREA_A, AREA_B}
    for area in (AREA_A, AREA_B):
        plan = json.loads((batch / area / "plan.json").read_text())
        # Rejected sites' required visits count as missed too (Plan.required_missed).
        missed = sum(u["required"] for u in plan["unserved"])
        missed += sum(r["required_visits"] for r in plan["rejected"])
        assert rows[area]["required_missed"] == str(missed)
        assert rows[area]["rejected_sites"] == str(len(plan["rejected"]))


def test_everything_written_is_owner_only(batch: Path) -> None:
    """Plans may hold MPs' premises: every folder is 0700 and every file 0600, whatever the umask."""
    modes = {}
    for dirpath, _dirs, files in os.walk(batch):
        modes[dirpath] = stat.S_IMODE(os.stat(dirpath).st_mode)
        for f in files:
            modes[os.path.join(dirpath, f)] = stat.S_IMODE(
                os.stat(os.path.join(dirpath, f)).st_mode
            )
    wrong = {p: oct(m) for p, m in modes.items() if m != (0o700 if os.path.isdir(p) else 0o600)}
    assert wrong == {}
    assert str(batch / ".status") in modes and str(batch / "index.html") in modes


def test_intact_areas_are_skipped_even_when_moved(
    batch: Path, configs: Path, cache: Path, tmp_path: Path
) -> None:
    """A copy of the output folder resumes: intact areas skipped, links lead into the copy."""
    out = tmp_path / "copy"
    shutil.copytree(batch, out)
    assert statuses(out, configs, cache) == {BROKEN: "failed", AREA_A: "skipped", AREA_B: "skipped"}
    assert_index_links_maps(out)


def test_damaged_areas_are_planned_again(
    batch: Path, configs: Path, cache: Path, tmp_path: Path
) -> None:
    """A corrupt record (and a killed write's leftover), or a deleted map and plan: redone."""
    out = tmp_path / "copy"
    shutil.copytree(batch, out)
    record = (out / AREA_A / RECORD).read_bytes()
    (out / AREA_A / RECORD).write_bytes(record[: len(record) // 2])
    (out / AREA_A / f".{RECORD}.x1y2z3_q.tmp").write_bytes(record[:10])
    (out / AREA_B / "map.html").unlink()
    (out / AREA_B / "plan.json").unlink()
    assert statuses(out, configs, cache) == {BROKEN: "failed", AREA_A: "ok", AREA_B: "ok"}
    assert_index_links_maps(out)
    assert not list((out / AREA_A).glob(".*.tmp"))
    # And whole again: the next batch skips both.
    assert statuses(out, configs, cache) == {BROKEN: "failed", AREA_A: "skipped", AREA_B: "skipped"}


def test_changed_input_is_planned_again(
    batch: Path, configs: Path, cache: Path, tmp_path: Path
) -> None:
    """A config whose content changed is planned again; the unchanged area is skipped."""
    out = tmp_path / "copy"
    shutil.copytree(batch, out)
    changed = tmp_path / "configs"
    shutil.copytree(configs, changed)
    with (changed / AREA_A / "force.toml").open("a") as fh:
        fh.write("# edited\n")
    assert statuses(out, changed, cache) == {BROKEN: "failed", AREA_A: "ok", AREA_B: "skipped"}
