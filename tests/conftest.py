"""Shared fixtures: isolated app directories, a fresh project, paths of the shared real data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CRYODESK_SHARED", REPO.parent / "shared"))
DATA = SHARED / "data"
FIXTURES = SHARED / "fixtures"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own settings/cache/data directories (never the user's real ones)."""
    home = tmp_path_factory.mktemp("cryodesk_home")
    monkeypatch.setenv("CRYODESK_HOME", str(home))
    return home


@pytest.fixture
def project(tmp_path: Path):
    from cryodesk.store import Project

    p = Project.open(tmp_path / "test.cryodesk")
    yield p
    p.close()
