"""CIF reader on the recorded COD entry, and bad CIFs."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryodesk.domain import InputError
from cryodesk.sources.cif import density_from_cell, hill_formula, parse_cif, read_cif, to_number
from tests.conftest import FIXTURES

CIF = FIXTURES / "cod" / "2000056.cif"


def test_recorded_cod_entry() -> None:
    (record,) = read_cif(CIF)
    assert record.cod_id == "2000056" and record.space_group_number == 14
    assert (record.a, record.b, record.c, record.beta) == (11.699, 10.164, 6.835, 105.0)
    assert record.z == 2 and record.volume == pytest.approx(785.047)
    assert record.temperature is None  # '?' in the file
    assert record.density_calculated == 1.727 and record.density_basis == "stated in CIF"


def test_density_from_cell_agrees_with_the_stated_value() -> None:
    # An independent check of the formula-mass and unit arithmetic: the file states 1.727 g/cm3.
    (record,) = read_cif(CIF)
    assert density_from_cell(record.formula, record.z, record.volume) == pytest.approx(1.727, abs=0.001)


def test_helpers() -> None:
    assert to_number("11.699(9)") == 11.699 and to_number("?") is None
    assert hill_formula("C2 H24 N2 Na2 O14 P2") == "C2H24N2Na2O14P2"
    assert hill_formula("C H4 O") == "CH4O"


@pytest.mark.parametrize(("text", "message"), [
    ("hello world", "malformed CIF"),
    ('data_x\n_cell_length_a 1\n_title "unterminated\n', "malformed CIF"),
    ("data_x\n_journal_year 1990\n", "no data block with unit-cell data"),
])
def test_bad_cif(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_cif(text, "bad.cif")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such CIF file"):
        read_cif(tmp_path / "none.cif")
