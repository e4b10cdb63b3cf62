"""Streaming SD and SMILES file readers."""

from __future__ import annotations

import gzip
import io

import pytest
from rdkit import Chem

from cryodesk.chem import (
    iter_sdf,
    iter_sdf_text_records,
    iter_smiles_file,
    iter_smiles_text_records,
    iter_structure_file,
)
from cryodesk.domain import RowError


def sd_record(smiles: str, name: str, **fields: str) -> str:
    """One SD record (molblock, data items, ``$$$$``) as RDKit writes it."""
    mol = Chem.MolFromSmiles(smiles)
    mol.SetProp("_Name", name)
    items = "".join(f">  <{key}>\n{value}\n\n" for key, value in fields.items())
    return f"{Chem.MolToMolBlock(mol)}{items}$$$$\n"


def pentavalent_record() -> str:
    block = Chem.MolToMolBlock(Chem.MolFromSmiles("C(C)(C)(C)(C)C", sanitize=False))
    return "pentavalent" + block[block.index("\n") :] + ">  <ID>\nX3\n\n$$$$\n"


def truncated_record() -> str:
    block = Chem.MolToMolBlock(Chem.MolFromSmiles("CC(=O)O"))
    return "\n".join(("acetic" + block[block.index("\n") :]).splitlines()[:6]) + "\n"


@pytest.fixture
def sdf_text() -> str:
    return (
        sd_record("CCO", "ethanol", ID="X1", NOTE="line one\nline two")
        + sd_record("CS(C)=O", "DMSO", ID="X2")
        + pentavalent_record()
        + sd_record("OCC(O)CO", "glycerol", ID="X4", Tg="190 K")
        + truncated_record()
    )


def check_records(records) -> None:
    assert [r.index for r in records] == [1, 2, 3, 4, 5]
    ethanol, dmso, broken, glycerol, truncated = records
    assert ethanol.ok and Chem.MolToSmiles(ethanol.mol) == "CCO"
    assert ethanol.name == "ethanol" and ethanol.fields == {"ID": "X1", "NOTE": "line one\nline two"}
    assert ethanol.mol.GetProp("ID") == "X1"
    assert dmso.ok and dmso.line > 1
    assert broken.mol is None and broken.name == "pentavalent" and broken.fields == {"ID": "X3"}
    assert broken.error.startswith("molblock valence error: Explicit valence for atom # 0 C, 5")
    assert glycerol.ok and glycerol.fields["Tg"] == "190 K"
    assert truncated.mol is None and truncated.name == "acetic"
    assert truncated.error.startswith("truncated record")


def test_sdf_with_broken_and_truncated_records(tmp_path, sdf_text, capfd):
    path = tmp_path / "mixed.sdf"
    path.write_text(sdf_text)
    check_records(list(iter_sdf(path)))
    assert capfd.readouterr().err == ""


def test_gzip_sdf_is_detected_by_content(tmp_path, sdf_text):
    path = tmp_path / "mixed.sdf.gz"
    path.write_bytes(gzip.compress(sdf_text.encode()))
    check_records(list(iter_structure_file(path)))
    # Even under a misleading name.
    other = tmp_path / "mixed.sdf"
    other.write_bytes(gzip.compress(sdf_text.encode()))
    check_records(list(iter_sdf(other)))


def test_sdf_from_file_objects(sdf_text):
    check_records(list(iter_sdf(io.BytesIO(sdf_text.encode()))))
    check_records(list(iter_sdf(io.StringIO(sdf_text))))


def test_row_error_of_a_broken_record(sdf_text):
    broken = list(iter_sdf(io.BytesIO(sdf_text.encode())))[2]
    error = broken.row_error()
    assert isinstance(error, RowError)
    assert error.row == 3 and error.value == "pentavalent" and "valence" in error.reason


def test_complete_last_record_without_terminator_is_kept_with_a_warning():
    text = sd_record("CCO", "ethanol") + sd_record("OCCO", "glycol", ID="G")[: -len("$$$$\n")]
    records = list(iter_sdf(io.BytesIO(text.encode())))
    assert len(records) == 2 and records[1].ok and records[1].fields == {"ID": "G"}
    assert any("no '$$$$'" in w for w in records[1].warnings)


def test_empty_record_between_terminators_is_reported():
    text = sd_record("CCO", "ethanol") + "\n$$$$\n" + sd_record("OCCO", "glycol")
    records = list(iter_sdf(io.BytesIO(text.encode())))
    assert [r.ok for r in records] == [True, False, True]
    assert records[1].error.startswith("empty record")


def test_trailing_blank_lines_are_not_a_record():
    records = list(iter_sdf(io.BytesIO((sd_record("CCO", "ethanol") + "\n\n").encode())))
    assert len(records) == 1


def test_latin1_data_items_are_read():
    text = sd_record("CCO", "ethanol", NOTE="\u00e9thanol").encode("latin-1")
    (record,) = iter_sdf(io.BytesIO(text))
    assert record.fields["NOTE"] == "\u00e9thanol"


def test_sdf_text_records_carry_the_molblock_for_workers(sdf_text):
    records = list(iter_sdf_text_records(io.BytesIO(sdf_text.encode())))
    assert [r.error is None for r in records] == [True, True, True, True, False]
    first = records[0]
    assert first.title == "ethanol" and first.molblock.rstrip().endswith("M  END")
    assert first.fields["ID"] == "X1"


def test_sdf_is_streamed_not_loaded(tmp_path):
    """Only the start of a large file is read to yield the first record."""
    path = tmp_path / "big.sdf"
    path.write_text(sd_record("CCO", "ethanol", ID="1") * 20_000)  # about 10 MB

    class Watched(io.FileIO):
        furthest = 0

        def readinto(self, buffer):  # type: ignore[override]
            n = super().readinto(buffer)
            Watched.furthest = max(Watched.furthest, self.tell())
            return n

    with Watched(path) as handle:
        first = next(iter_sdf(handle))
    assert first.ok
    assert Watched.furthest < path.stat().st_size / 50


def test_smiles_file_with_header_and_extra_columns(tmp_path):
    path = tmp_path / "cpas.smi"
    path.write_text(
        "SMILES\tName\tTg_K\nCCO\tethanol\t97\nC1CC\tbroken\t0\n\n# a comment\nOCC(O)CO\tglycerol\t190\n"
    )
    records = list(iter_structure_file(path))
    assert [r.index for r in records] == [2, 3, 6]  # line numbers
    assert [r.name for r in records] == ["ethanol", "broken", "glycerol"]
    assert records[0].fields == {"Tg_K": "97"}
    assert records[0].mol.GetProp("_Name") == "ethanol"
    assert records[1].mol is None and records[1].error.startswith("SMILES parse error: unclosed ring")
    assert records[2].ok


def test_smiles_file_without_header_names_may_contain_spaces():
    text = "CCO ethyl alcohol\nCS(C)=O   DMSO\nc1ccccc1\n"
    records = list(iter_smiles_file(io.BytesIO(text.encode())))
    assert [r.name for r in records] == ["ethyl alcohol", "DMSO", None]
    assert all(r.ok for r in records)


def test_smiles_file_header_can_be_forced():
    text = "Name SMILES\n"  # first token is not a SMILES title, so only has_header=True skips it
    assert list(iter_smiles_file(io.StringIO(text), has_header=True)) == []
    (record,) = iter_smiles_file(io.StringIO(text), has_header=False)
    assert record.error is not None  # reported, not silently dropped


def test_comma_separated_smiles_file_and_empty_smiles_cell():
    text = "smiles,name\nCCO,ethanol\n,nothing\n"
    records = list(iter_smiles_text_records(io.StringIO(text)))
    assert [(r.index, r.smiles, r.name, r.error) for r in records] == [
        (2, "CCO", "ethanol", None),
        (3, "", "nothing", "empty SMILES"),
    ]


def test_gzip_smiles_file(tmp_path):
    path = tmp_path / "a.smi.gz"
    path.write_bytes(gzip.compress(b"\xef\xbb\xbfCCO ethanol\n"))  # with a UTF-8 byte-order mark
    (record,) = iter_structure_file(path)
    assert record.ok and record.name == "ethanol"


def test_unknown_suffix_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not an SD or SMILES file"):
        iter_structure_file(tmp_path / "table.csv")
