"""Input text never becomes code in an output: spreadsheet formulas, Markdown links, broken XML.

* CSV: every file a person may open in a spreadsheet goes through
  :func:`planner.common.write_csv`, which neutralises cells a spreadsheet would run as formulas
  (OWASP "CSV Injection"). The test plans the demo with hostile ids and names in its config,
  sites and crime files and reads every CSV of the run folder and its demand tables.
* Markdown: ``summary.md`` escapes input text, so a force or unit named
  ``[x](javascript:alert(1))`` renders as that text, never as a link (checked by rendering it
  with markdown-it-py, the CommonMark parser rich uses).
* XML: NUL and other characters XML 1.0 forbids are dropped from GPX files and from what the
  templates print, so every GPX file still parses.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from planner.common import FORMULA_TRIGGERS, PLAIN_NUMBER_RE, spreadsheet_safe, write_csv
from planner.config import load_config
from planner.outputs.geometry import route_geometries
from planner.outputs.gpx import route_gpx
from planner.outputs.run import RunFolder, write_run
from planner.outputs.summary import summary_markdown
from planner.outputs.text import md_esc, xml_text
from planner.planning.plan import Plan
from planner.planning.week import PlanResult, make_plan
from planner.routing.solver import MaxIterations

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"

# ----------------------------------------------------------------------------- CSV


def is_formula(cell: str) -> bool:
    """Whether a spreadsheet could read ``cell`` (or a part of it after a ``;``) as a formula."""
    if PLAIN_NUMBER_RE.fullmatch(cell):
        return False
    if cell[:1] in FORMULA_TRIGGERS or cell.lstrip()[:1] in FORMULA_TRIGGERS:
        return True
    return re.search(r";\s*[=+\-@＝＋－＠]", cell) is not None


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\n=1+1"),
        ("  =1+1", "'  =1+1"),
        ("＝1+1", "'＝1+1"),
        ("a;=1+1", "a;'=1+1"),
        ("a; @x", "a; '@x"),
        ("x\ry", "x\ny"),
        ("NB-CAR-1", "NB-CAR-1"),
        ("-0.720000", "-0.720000"),
        ("+1.5e3", "+1.5e3"),
        ("'=1+1", "'=1+1"),
        (-1.5, -1.5),
        (np.float64(-2.5), np.float64(-2.5)),
        (-3, -3),
        (True, True),
        (None, None),
    ],
)
def test_spreadsheet_safe(value: object, written: object) -> None:
    """Formula cells get a leading quote; numbers, plain decimals and ordinary text do not."""
    assert spreadsheet_safe(value) == written
    assert type(spreadsheet_safe(value)) is type(written)


def test_write_csv_neutralises_header_and_cells(tmp_path: Path) -> None:
    """Header cells (a matrix's site ids) and text cells are neutralised; numbers stay numbers."""
    path = write_csv(
        tmp_path / "t.csv",
        [{"id": '=HYPERLINK("http://x")', "=site": -1.5, "n": "-7"}],
        ["id", "=site", "n"],
    )
    text = path.read_text(encoding="utf-8")
    assert text == 'id,\'=site,n\n"\'=HYPERLINK(""http://x"")",-1.5,-7\n'
    raw = write_csv(tmp_path / "raw.csv", [{"a": "=1"}], ["a"], safe=False)
    assert raw.read_text(encoding="utf-8") == "a\n=1\n"
    with pytest.raises(ValueError, match="not in fieldnames"):
        write_csv(tmp_path / "x.csv", [{"a": 1, "b": 2}], ["a"])


HOSTILE_UNITS = {"NB-CAR-1": "@NB-CAR-1", "NB-CAR-2": "+NB-CAR-2", "NB-FOOT-1": "-NB-FOOT-1"}
HOSTILE_STATIONS = {"NB-CENTRAL": "=NB-CENTRAL", "NB-EAST": "@NB-EAST"}
SITE_PREFIXES = ("=", "+", "-", "@")


def _hostile_demo(folder: Path) -> Path:
    """A copy of the demo with formula-like ids and names everywhere input text goes."""
    shutil.copytree(DEMO, folder)
    config = folder / "force.toml"
    text = config.read_text(encoding="utf-8")
    for old, new in (*HOSTILE_UNITS.items(), *HOSTILE_STATIONS.items()):
        text = text.replace(f'"{old}"', f'"{new}"')
    text = text.replace(
        'name = "Northshire Police (demo)"', 'name = \'=HYPERLINK("http://evil.example","x")\''
    )
    config.write_text(text, encoding="utf-8")

    sites = folder / "sites.csv"
    with sites.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for i, row in enumerate(rows):
        row["site_id"] = SITE_PREFIXES[i % len(SITE_PREFIXES)] + row["site_id"]
        row["name"] = "=cmd|' /C calc'!A0 " + row["name"]
        row["notes"] = "@SUM(1+1); =2+2"
    with sites.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    crimes = sorted((folder / "crimes").glob("*.csv"))[0]
    lines = crimes.read_text(encoding="utf-8").splitlines()
    cells = next(csv.reader([lines[1]]))
    cells[9] = '=HYPERLINK("http://evil.example")'  # Crime type: rejected as unknown
    cells[6] = "@On or near -1+1"  # Location
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    crimes.write_text("\r\n".join([*lines, buf.getvalue()]) + "\r\n", encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> RunFolder:
    """The demo planned and written with hostile ids and names (a short iteration stop)."""
    config = _hostile_demo(tmp_path_factory.mktemp("hostile") / "demo")
    result = make_plan(
        load_config(config),
        cache_dir=tmp_path_factory.getbasetemp() / "planner-cache",
        stop=MaxIterations(20),
    )
    return write_run(result, tmp_path_factory.mktemp("hostile-run") / "run")


def _cells(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            yield from row


def test_no_csv_cell_is_a_formula(hostile_run: RunFolder) -> None:
    """Every CSV of the run and its demand tables: hostile text neutralised, numbers kept."""
    csvs = sorted(hostile_run.path.rglob("*.csv"))
    names = {p.name for p in csvs}
    assert {"schedule.csv", "unserved.csv", "visits.csv", "unit_shifts.csv"} <= names
    assert {"rejects.csv", "crime_rejects.csv", "hotspots.csv", "demand_by_kind.csv"} <= names
    seen: set[str] = set()
    for path in csvs:
        for cell in _cells(path):
            assert not is_formula(cell), f"{path.name}: {cell!r}"
            if cell.startswith("'"):
                seen.add(f"{path.name}:{cell[1]}")
    # The hostile text did reach the files (neutralised), in every one that shows ids.
    for name in ("schedule.csv", "visits.csv", "unit_shifts.csv", "rejects.csv"):
        assert any(s.startswith(f"{name}:") for s in seen), name
    for prefix in SITE_PREFIXES:
        assert f"visits.csv:{prefix}" in seen
    assert "crime_rejects.csv:=" in seen
    with (hostile_run.path / "demand" / "hotspots.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            assert float(row["lon"]) < 0 and float(row["lat"]) > 0  # still numbers


def test_every_csv_writer_goes_through_write_csv() -> None:
    """No module writes CSV but :func:`planner.common.write_csv` (or it would skip the guard).

    ``TravelTimeMatrix.to_csv`` (called in the pipeline) is the planner's own method, and it
    calls ``write_csv``; any other ``.to_csv(`` (pandas') is an offender.
    """
    root = Path(__file__).resolve().parents[2] / "planner"
    writers = re.compile(r"csv\.writer|DictWriter|\.to_csv\(")
    allowed = {("common.py", "DictWriter"), ("planning/pipeline.py", ".to_csv(")}
    offenders = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            found = writers.search(line)
            if found and (rel, found[0]) not in allowed:
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert offenders == []
    matrix = (root / "roads" / "matrix.py").read_text(encoding="utf-8")
    assert "return write_csv(" in matrix[matrix.index("def to_csv") :]


# ----------------------------------------------------------------------------- Markdown

LINK = "[x](javascript:alert(1))"


def _flat(tokens: list[Token]) -> Iterator[Token]:
    for t in tokens:
        yield t
        if t.children:
            yield from _flat(t.children)


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _hostile_summary_plan(result: PlanResult, hostile: bool) -> Plan:
    """The plan with every input text shown in summary.md replaced one to one.

    With ``hostile`` the replacements are links, images, HTML, emphasis and code; without, plain
    words of the same shape, so the two summaries must parse into the same kinds of token.
    """
    plan = result.plan

    def evil(text: str) -> str:
        if not hostile:
            return f"plain {text.replace('-', ' ').replace('_', ' ')}"
        return f"[{text}](javascript:alert(1)) ![i](http://e/x.png) <b>{text}</b> *{text}* `x` |"

    routes = tuple(
        dataclasses.replace(
            r,
            unit_id=evil(r.unit_id),
            stops=tuple(dataclasses.replace(s, kind=evil(s.kind)) for s in r.stops),
        )
        for r in plan.routes
    )
    unserved = tuple(
        dataclasses.replace(u, kind=evil(u.kind), reason=evil(u.reason.split(":")[0]) + ": x")
        for u in plan.unserved
    )
    return dataclasses.replace(
        plan,
        force=LINK if hostile else "plain force",
        week=f"<img src=x onerror=alert(1)> # {plan.week}" if hostile else f"week {plan.week}",
        protective_marking=f"OFFICIAL <script>x</script> {LINK}" if hostile else "OFFICIAL",
        routes=routes,
        unserved=unserved,
    )


def test_summary_has_no_link_from_input(demo_plan: PlanResult) -> None:
    """Hostile names render as their own text: no link, image, HTML, code or extra emphasis."""
    text = summary_markdown(_hostile_summary_plan(demo_plan, hostile=True))
    plain = summary_markdown(_hostile_summary_plan(demo_plan, hostile=False))
    md = _markdown()
    tokens = list(_flat(md.parse(text)))
    # (The template's own `unserved.csv` is a code span; the comparison below covers those.)
    bad = {"link_open", "image", "html_inline", "html_block", "em_open", "s_open"}
    assert [t.type for t in tokens if t.type in bad] == []
    # Same structure as with plain names: no heading, list, table cell or rule came from input.
    assert [t.type for t in tokens] == [t.type for t in _flat(md.parse(plain))]
    rendered = md.render(text)
    assert "javascript:" in rendered and "href" not in rendered and "<img" not in rendered
    title = [t for t in md.parse(text) if t.type == "inline"][1]
    assert "".join(c.content for c in title.children or []) == f"{LINK}: patrol plan for " + (
        f"<img src=x onerror=alert(1)> # {demo_plan.plan.week}"
    )


@pytest.mark.parametrize(
    "text",
    [
        LINK,
        "![i](http://x) <b>b</b> &amp; *e* _u_ `c` ~~s~~ # h | p \\ {x} + - . !",
        "- item",
        "1. item",
        "---",
        "<http://evil.example>",
        "O'Brien & Sons",
        "line\nbreak",
    ],
)
@pytest.mark.parametrize("before", ["", "Name: "])
def test_md_esc_round_trips(text: str, before: str) -> None:
    """Escaped text parses back to exactly the text, as one plain paragraph, anywhere on a line."""
    md = _markdown()
    tokens = md.parse(f"{before}{md_esc(text)}")
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    children = tokens[1].children or []
    assert {c.type for c in children} == {"text"}
    assert "".join(c.content for c in children) == before + " ".join(text.splitlines())


def test_md_esc_keeps_ids_readable() -> None:
    """``-``, ``_`` and ``.`` inside a word stay bare: ids, kinds and decimals read as written."""
    assert md_esc("NB-CAR-1 mp_home 2.5 2026-W49") == "NB-CAR-1 mp_home 2.5 2026-W49"
    assert md_esc("- a _b_ 3.") == "\\- a \\_b\\_ 3\\."


# ----------------------------------------------------------------------------- XML

CONTROL = "A\x00B\x01C\x08D\x0bE\x0cF\x1bG\x7fH\ufffeI\uffffJ"


def test_xml_text_drops_forbidden_characters() -> None:
    """What XML 1.0 forbids goes; tab, line ends, DEL and the rest of Unicode stay."""
    assert xml_text(CONTROL) == "ABCDEFG\x7fHIJ"
    assert xml_text("a\tb\nc\rd é 𝄞 \ud800x") == "a\tb\nc\rd é 𝄞 x"


def _control_result(result: PlanResult) -> PlanResult:
    """The result with control characters in every stop's name and notes, units and the force."""
    plan = result.plan
    routes = tuple(
        dataclasses.replace(
            r,
            unit_id=f"{r.unit_id}\x00{CONTROL}",
            route_id=f"{r.route_id}\x1b",
            stops=tuple(
                dataclasses.replace(s, name=f"{s.name}{CONTROL}", notes=f"\x00{CONTROL}")
                for s in r.stops
            ),
        )
        for r in plan.routes
    )
    return PlanResult(
        plan=dataclasses.replace(plan, force=f"Force{CONTROL}", routes=routes),
        model=result.model,
        solution=result.solution,
    )


def test_every_gpx_parses_with_control_characters(demo_plan: PlanResult, tmp_path: Path) -> None:
    """Every GPX of a run with control characters in its names parses; the SVG maps too."""
    run = write_run(_control_result(demo_plan), tmp_path / "run", with_inputs=False)
    gpx = sorted((run.path / "gpx").iterdir())
    assert len(gpx) == len(demo_plan.plan.routes)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    for path in gpx:
        root = ET.parse(path).getroot()
        names = [w.findtext("g:name", namespaces=ns) for w in root.findall("g:wpt", ns)]
        assert all(n and n.endswith("ABCDEFG\x7fHIJ") for n in names), path.name
    for path in (run.path / "briefings").iterdir():
        page = path.read_text(encoding="utf-8")
        assert "\x00" not in page and "\x1b" not in page
        ET.fromstring(page[page.index("<svg") : page.index("</svg>") + len("</svg>")])
    summary = (run.path / "summary.md").read_text(encoding="utf-8")
    assert "\x00" not in summary


def test_gpx_drops_lone_surrogates(demo_plan: PlanResult) -> None:
    """A lone surrogate (not UTF-8 encodable) is dropped rather than crashing the writer."""
    route = demo_plan.plan.routes[0]
    stop = dataclasses.replace(route.stops[0], name="bad\ud800name")
    route = dataclasses.replace(route, stops=(stop, *route.stops[1:]))
    data = route_gpx(demo_plan.plan, route, route_geometries(demo_plan)[route.route_id])
    assert b"badname" in ET.tostring(ET.fromstring(data))
