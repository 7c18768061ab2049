"""The package as users install it: a wheel that runs `planner demo` without the source tree."""

from __future__ import annotations

import os
import re
import shutil
import site
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from tests.conftest import REPO

#: What building the wheel reads from the repository; copied, so no build/ or egg-info
#: is written into the repository and no stale file from an earlier build is packaged.
BUILD_INPUTS = ("pyproject.toml", "README.md", "planner", "data/demo")


def _run(cmd: list[str | Path], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    return result


def _sub_packages() -> set[str]:
    return {
        ".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "planner").rglob("__init__.py")
    }


def test_every_sub_package_is_listed() -> None:
    """pyproject.toml lists every package under planner/, and the demo's data package."""
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(setuptools["packages"]) == _sub_packages() | {"planner._demo_data"}
    assert setuptools["package-dir"] == {"planner._demo_data": "data/demo"}


def _build_wheel(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    for name in BUILD_INPUTS:
        if (REPO / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(REPO / name, src / name, ignore=ignore)
        else:
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    wheels = tmp_path / "wheels"
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    _run([*pip_wheel, "--quiet", "-w", wheels, src], cwd=tmp_path)
    (wheel,) = wheels.glob("patrol_planner-*.whl")
    return wheel


def _venv_with(wheel: Path, venv: Path) -> Path:
    """A fresh venv holding the wheel, and this environment's dependencies (not its planner)."""
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    pip_install = [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps"]
    _run([*pip_install, "--quiet", wheel])
    (target,) = (venv / "lib").glob("python3*/site-packages")
    # Plain path lines: their folders' own .pth files (the editable install's finder) never run.
    (target / "_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return venv


def test_wheel_runs_the_demo_outside_the_repository(tmp_path: Path) -> None:
    """The wheel ships the demo's data and the templates; `planner demo` runs from the wheel."""
    wheel = _build_wheel(tmp_path)
    venv = _venv_with(wheel, tmp_path / "venv")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    out = tmp_path / "out"
    result = _run(
        [
            *(venv / "bin" / "planner", "-v", "demo", "--out", out),
            *("--cache-dir", tmp_path / "cache", "--iterations", "20"),
        ],
        cwd=tmp_path,
        env=env,
    )
    assert (out / "plan.json").is_file() and (out / "map.html").is_file()
    match = re.search(r"the demo's config: (\S+)", result.stderr)
    assert match, result.stderr
    config = Path(match.group(1)).resolve()
    assert config.is_relative_to(venv.resolve()) and config.name == "force.toml"
    site_packages = config.parents[2]
    assert (site_packages / "planner" / "batch" / "templates" / "index.html.j2").is_file()
