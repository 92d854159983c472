"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import services_required


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh PostgreSQL database when it is there (always in CI); SQLite may stand in
    locally."""
    try:
        factory: Callable[[], str] = request.getfixturevalue("postgres_databases")
        return factory()
    except pytest.skip.Exception:
        if services_required():
            raise
        return f"sqlite:///{tmp_path / 'e2e.db'}"
