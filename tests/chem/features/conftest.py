"""Fixtures for the feature tests: real Tox21 structures plus rows that must fail."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("CRYODESK_SHARED", REPO.parent / "shared")) / "data"

#: Rows that cannot be featurised, with the start of the reason each must give.
BAD_ROWS: list[tuple[object, str]] = [
    ("C1CC", "SMILES syntax error"),  # unclosed ring
    ("N(C)(C)(C)(C)C", "sanitization failed"),  # pentavalent N
    ("", "empty SMILES"),
    (None, "missing structure"),
]


@pytest.fixture(scope="session")
def tox21_smiles() -> list[str]:
    """All 7,831 Tox21 SMILES in file order."""
    with open(DATA / "tox21" / "tox21.csv", newline="") as handle:
        return [row["smiles"] for row in csv.DictReader(handle)]


@pytest.fixture(scope="session")
def mixed_rows(tox21_smiles: list[str]) -> tuple[list[object], dict[int, str]]:
    """300 Tox21 rows with the bad rows spliced in at known positions; returns (rows, {row: reason})."""
    rows: list[object] = list(tox21_smiles[:300])
    expected: dict[int, str] = {}
    for k, (item, reason) in enumerate(BAD_ROWS):
        position = 17 + 61 * k
        rows.insert(position, item)
        expected[position] = reason
    # Tox21 itself holds a few unparsable rows (aluminium with valence 6); record them too.
    return rows, expected
