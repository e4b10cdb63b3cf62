"""Where the recorded fixtures and the data tables used for generated replies live."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    """``../shared`` beside the repository (CI lays it out the same way)."""
    return repo_root().parent / "shared"


def fixtures_dir() -> Path:
    """Recorded responses; ``CRYODESK_FIXTURES`` overrides the default ``../shared/fixtures``."""
    override = os.environ.get("CRYODESK_FIXTURES")
    return Path(override) if override else shared_dir() / "fixtures"


def tox21_csv() -> Path:
    """Structures used to generate format-faithful replies for arbitrary ids."""
    override = os.environ.get("CRYODESK_TOX21_CSV")
    return Path(override) if override else shared_dir() / "data" / "tox21" / "tox21.csv"
