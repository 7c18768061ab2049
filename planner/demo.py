"""The built-in demo: the synthetic town of Northby and its fictional sites.

The demo's files live in the repository's ``data/demo`` folder, which a wheel ships as the
``planner/_demo_data`` folder (see ``[tool.setuptools.package-dir]`` in pyproject.toml).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import as_file, files
from pathlib import Path

from planner.errors import InputError

log = logging.getLogger(__name__)

#: The demo's folder in the repository this package was installed from, editable.
SOURCE_DEMO_DIR = Path(__file__).resolve().parents[1] / "data" / "demo"


@contextmanager
def demo_config() -> Iterator[Path]:
    """The demo's ``force.toml``, beside its site and crime files, while the block runs.

    Raises
    ------
    InputError
        If neither the installed package nor the source tree holds the demo.
    """
    shipped = files("planner") / "_demo_data"
    if shipped.is_dir():
        with as_file(shipped) as folder:
            yield folder / "force.toml"
        return
    # An editable install runs from the source tree, where the demo is data/demo: setuptools'
    # editable finder cannot import a mapped folder with no __init__.py (setuptools#4943).
    path = SOURCE_DEMO_DIR / "force.toml"
    if not path.is_file():
        raise InputError("the demo's data is missing from this installation", path=path)
    yield path
