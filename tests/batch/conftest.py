"""Fixtures shared by the batch tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The network cache: shared by the session's tests, and never in the repository."""
    return tmp_path_factory.getbasetemp() / "planner-cache"
