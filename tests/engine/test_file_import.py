"""File import: bad input is reported row by row, good rows land, re-import changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryodesk.domain import InputError, JobState
from cryodesk.engine.file_import import FileImportParams
from cryodesk.engine.service import Workbench

BAD_CSV = """name,smiles,Tg (K),mp_C,CAS
glycerol,OCC(O)CO,190,18,56-81-5
broken,C1CC(,150,,
empty,,140,,
ethanol,CCO,5 mg,,64-17-5
glycerol again,OCC(O)CO,190,18,56-81-5
DMSO,CS(C)=O,,18.5,67-68-4
methanol,CO,-5,,
sodium acetate,CC(=O)[O-].[Na+],,324,127-09-3
ethylene glycol,OCCO,150 K,-12.9 °C,107-21-1
propylene glycol,CC(O)CO,3 M,,57-55-6
valence,C(C)(C)(C)(C)C,200,,
"""


def data_tables(wb: Workbench) -> dict[str, int]:
    counts = wb.project.table_counts()
    return {k: v for k, v in counts.items() if k not in ("jobs", "job_row_errors")}


@pytest.fixture
def workbench(tmp_path: Path):
    wb = Workbench.open(tmp_path / "lib.cryodesk")
    yield wb
    wb.close()


def test_bad_csv_rows_are_reported_by_row_and_field_and_good_rows_land(workbench: Workbench, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV)
    outcome = workbench.import_file(FileImportParams(str(path), workers=1))
    assert outcome.state is JobState.DONE, outcome.error
    summary = outcome.result
    errors = {(e.row, e.field): e for e in workbench.row_errors(outcome.job_id)}

    # Rejected rows: structure problems, each named by line and column.
    assert "parse" in errors[(3, "smiles")].reason.casefold() or "smiles" in errors[(3, "smiles")].reason.casefold()
    assert errors[(4, "smiles")].reason == "empty structure"
    assert (12, "smiles") in errors and "valence" in errors[(12, "smiles")].reason.casefold()
    assert summary.rows_rejected == 3
    # Field problems keep the row: wrong unit, impossible temperature, bad CAS check digit.
    assert errors[(5, "Tg (K)")].reason == "unit 'mg' is not known; the column unit is 'K'"
    assert "does not match the column unit 'K'" in errors[(11, "Tg (K)")].reason
    assert "below absolute zero" in errors[(8, "Tg (K)")].reason
    assert "CAS" in errors[(7, "CAS")].reason
    # The exact duplicate of row 2 is not stored twice.
    assert "duplicate of row 2" in errors[(6, None)].reason
    assert summary.duplicates == 1

    glycerol = workbench.compound_detail(workbench.resolve("56-81-5")[0])
    tg = [v for v in glycerol.properties if v.property == "tg"]
    assert [(v.value, v.unit, v.provenance.source_record_id) for v in tg] == [(190.0, "K", "row 2")]
    eg = workbench.compound_detail(workbench.resolve("ethylene glycol")[0])
    by_prop = {v.property: v for v in eg.properties}
    assert by_prop["tg"].value == 150.0
    assert by_prop["melting_point"].value == pytest.approx(-12.9) and by_prop["melting_point"].unit == "degC"
    # A salt is stored as its standardised parent (acetic acid) with the value kept.
    acetic = workbench.compound_detail("QTBSBXVTEAMEQO-UHFFFAOYSA-N")
    assert acetic is not None and any(v.value == 324.0 for v in acetic.properties)
    dmso = workbench.compound_detail("IAZDPXIOMUYVGZ-UHFFFAOYSA-N")
    assert not [i for i in dmso.identifiers if i.kind == "cas"]  # the bad CAS was not stored
    assert workbench.compound_count() == 7


def test_reimporting_the_same_file_changes_nothing(workbench: Workbench, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV)
    workbench.import_file(FileImportParams(str(path), workers=1))
    before = data_tables(workbench)
    values_before = sorted(
        (v.inchikey, v.property, v.value, v.provenance.source_record_id, v.provenance.job_id)
        for key in workbench.project.compounds.ids_for([r.inchikey for r in workbench.compound_rows(workbench.compound_ids())])
        for v in workbench.project.properties.for_compound(key)
    )
    again = workbench.import_file(FileImportParams(str(path), workers=1))
    assert again.state is JobState.DONE
    assert again.result.compounds_new == 0 and again.result.values_new == 0
    assert data_tables(workbench) == before
    values_after = sorted(
        (v.inchikey, v.property, v.value, v.provenance.source_record_id, v.provenance.job_id)
        for key in workbench.project.compounds.ids_for([r.inchikey for r in workbench.compound_rows(workbench.compound_ids())])
        for v in workbench.project.properties.for_compound(key)
    )
    assert values_after == values_before


def test_sdf_with_data_fields_a_broken_record_and_a_truncated_last_record(workbench: Workbench, tmp_path: Path) -> None:
    from rdkit import Chem

    def block(smiles: str, name: str, fields: dict[str, str]) -> str:
        mol = Chem.MolFromSmiles(smiles)
        mol.SetProp("_Name", name)
        text = Chem.MolToMolBlock(mol)
        return text + "".join(f"> <{k}>\n{v}\n\n" for k, v in fields.items()) + "$$$$\n"

    good1 = block("OCC(O)CO", "glycerol", {"Tg (K)": "190", "CAS": "56-81-5"})
    good2 = block("CS(C)=O", "DMSO", {"mp_C": "18.5"})
    broken = good2.replace("  2  0", "  9  0", 1).replace("DMSO", "broken DMSO")  # atom count lies
    truncated = block("OCCO", "ethylene glycol", {"Tg (K)": "150"})[:60]
    path = tmp_path / "mixed.sdf"
    path.write_text(good1 + broken + good2 + truncated)
    outcome = workbench.import_file(FileImportParams(str(path), workers=1))
    assert outcome.state is JobState.DONE, outcome.error
    errors = workbench.row_errors(outcome.job_id)
    assert {e.row for e in errors} >= {2, 4}
    assert outcome.result.rows_stored == 2
    glycerol = workbench.compound_detail("PEDCQBHIVMGVHV-UHFFFAOYSA-N")
    assert [(v.property, v.value) for v in glycerol.properties] == [("tg", 190.0)]
    assert any(i.value == "56-81-5" for i in glycerol.identifiers)


def test_smiles_file_and_structure_column_detected_by_content(workbench: Workbench, tmp_path: Path) -> None:
    smi = tmp_path / "cpas.smi"
    smi.write_text("CS(C)=O DMSO\nOCC(O)CO glycerol\nnot_a_smiles what\n")
    outcome = workbench.import_file(FileImportParams(str(smi), workers=1))
    assert outcome.result.rows_stored == 2 and outcome.result.rows_rejected == 1
    table = tmp_path / "weird_headers.tsv"
    table.write_text("compound\tmol\tdensity (g/mL)\nformamide\tNC=O\t1.133\nurea\tNC(N)=O\t1.32\n")
    outcome = workbench.import_file(FileImportParams(str(table), workers=1))
    assert outcome.result.rows_stored == 2
    formamide = workbench.compound_detail(workbench.resolve("formamide")[0])
    assert [(v.property, v.value, v.unit) for v in formamide.properties] == [("density", 1.133, "g/mL")]


def test_a_file_without_structures_is_refused_with_a_clear_message(tmp_path: Path, workbench: Workbench) -> None:
    path = tmp_path / "numbers.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    with pytest.raises(InputError, match="no structure column"):
        workbench.import_file(FileImportParams(str(path)))


def test_a_wrong_dimension_in_a_header_is_named(tmp_path: Path, workbench: Workbench) -> None:
    path = tmp_path / "units.csv"
    path.write_text("smiles,Tg (mol/L),viscosity (furlongs)\nOCC(O)CO,3,4\n")
    outcome = workbench.import_file(FileImportParams(str(path), workers=1))
    warnings = " | ".join(outcome.result.warnings)
    assert "Tg (mol/L)" in warnings and "temperature" in warnings
    assert "unknown unit 'furlongs'" in warnings
    assert outcome.result.values_new == 0 and outcome.result.rows_stored == 1
