"""ToxCast hit-call matrix reader: the real MoleculeNet file and the invitrodb layout."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import pytest

from cryodesk.domain import InputError
from cryodesk.sources.toxcast import iter_matrix, read_layout
from tests.conftest import DATA

TOXCAST = DATA / "toxcast" / "toxcast.csv.gz"


def test_moleculenet_layout() -> None:
    layout = read_layout(TOXCAST)
    assert layout.id_kind == "smiles" and len(layout.assays) == 617
    first = next(iter_matrix(TOXCAST))
    assert first.row == 2 and first.identifier == "[O-][N+](=O)C1=CC=C(Cl)C=C1"
    assert ("ACEA_T47D_80hr_Negative", "inactive") in first.hits
    assert all(a != "APR_HepG2_CellCycleArrest_24h_dn" for a, _ in first.hits)  # blank = not tested


def test_resume_skips_rows() -> None:
    rows = [r.row for r in islice(iter_matrix(TOXCAST, start_row=10), 3)]
    assert rows == [11, 12, 13]


def test_invitrodb_layout_and_odd_values(tmp_path: Path) -> None:
    path = tmp_path / "hitc_Matrix_190226.csv"
    path.write_text("code,TOX21_AR_BLA_Antagonist_ratio,ATG_ERa_TRANS_up\nDTXSID7020182,1,NA\nC80057,-1,0\n")
    assert read_layout(path).id_kind == "code"
    rows = list(iter_matrix(path))
    assert rows[0].hits == [("TOX21_AR_BLA_Antagonist_ratio", "active")]
    assert rows[1].hits == [("ATG_ERa_TRANS_up", "inactive")]
    assert rows[1].errors[0].field == "TOX21_AR_BLA_Antagonist_ratio" and "unverified" in rows[1].errors[0].reason


def test_unexpected_layout(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("molecule,assay\nCCO,1\n")
    with pytest.raises(InputError, match="unexpected first column 'molecule'"):
        read_layout(path)
