"""The built-in demo: the synthetic town of Northby and its fictional sites (``data/demo``)."""

from __future__ import annotations

import logging
from pathlib import Path

from planner.errors import InputError

log = logging.getLogger(__name__)


def demo_config_path() -> Path:
    """``data/demo/force.toml`` of the repository this package was installed from."""
    path = Path(__file__).resolve().parents[1] / "data" / "demo" / "force.toml"
    if not path.exists():
        raise InputError(
            "the demo needs the repository's data/demo folder; install from a clone with "
            "`pip install -e .`",
            path=path,
        )
    return path
