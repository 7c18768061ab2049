"""The layout's rules: imports point down the pipeline, no cycles, small modules and functions."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import networkx as nx
from importlinter.cli import lint_imports

REPO = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 120
# A module or function may run longer only with a one-line comment saying why, so a reader
# sees the reason where the length is.
LONG_MODULE_MARK = "# long module:"
LONG_FUNCTION_MARK = "# long function:"


def _sources() -> list[Path]:
    return sorted((REPO / "planner").rglob("*.py"))


def test_layers_contract_is_kept() -> None:
    """import-linter's layers contract in pyproject.toml holds (imports only point down)."""
    assert lint_imports(config_filename=str(REPO / "pyproject.toml"), no_cache=True) == 0


def test_no_import_cycles_between_modules() -> None:
    """No module imports itself through others, not even through a function-level import."""
    graph = grimp.build_graph("planner", cache_dir=None)
    g = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith("planner"):
                g.add_edge(module, imported)
    # A package's __init__ importing its own modules is not a cycle of the pipeline.
    for pkg in [m for m in graph.modules if (REPO / m.replace(".", "/") / "__init__.py").exists()]:
        for child in list(g.successors(pkg)) if pkg in g else []:
            if child.startswith(pkg + "."):
                g.remove_edge(pkg, child)
    cycles = list(nx.simple_cycles(g))
    assert cycles == [], f"import cycles: {cycles[:5]}"


def test_modules_stay_small() -> None:
    """No module runs over 800 lines unless it says why at the top."""
    too_long = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_MODULE_LINES and LONG_MODULE_MARK not in text:
            too_long.append(f"{path.relative_to(REPO)}: {text.count(chr(10))} lines")
    assert too_long == []


def test_functions_stay_small() -> None:
    """No function runs over 120 lines unless a comment just above it says why."""
    too_long = []
    for path in _sources():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            above = lines[first - 2].strip() if first >= 2 else ""
            if length > MAX_FUNCTION_LINES and not above.startswith(LONG_FUNCTION_MARK):
                too_long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}: {length}")
    assert too_long == []
