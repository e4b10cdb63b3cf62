"""Manual property values: validation with field names, manual provenance, edit/delete and exact restore."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryodesk.domain import Compound, InputError, Method, PropertyValue, Provenance
from cryodesk.engine import views
from cryodesk.engine.manual_values import (
    MANUAL_SOURCE,
    ManualEntry,
    ManualValueError,
    StaleValueError,
    entry_of,
    units_for,
    validate_entry,
)
from cryodesk.engine.service import Workbench
from cryodesk.store import Project

DMSO = "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"
GLYCEROL = "PEDCQBHIVMGVHV-UHFFFAOYSA-N"
KOOP = Provenance("koop_tg", Method.MEASURED, "row 12", "2026-01-01T00:00:00+00:00", None, "Koop 2011")


@pytest.fixture()
def wb(tmp_path: Path):
    path = tmp_path / "manual.cryodesk"
    with Project.open(path) as project:
        project.compounds.upsert_many(
            [
                Compound(DMSO, "CS(C)=O", "InChI=1S/C2H6OS", "C2H6OS", "test-1", "DMSO", 78.13),
                Compound(GLYCEROL, "OCC(O)CO", "InChI=1S/C3H8O3", "C3H8O3", "test-1", "glycerol", 92.09),
            ]
        )
        project.properties.upsert_many([PropertyValue(DMSO, "tg", 137.0, "K", KOOP, conditions="pure")])
    workbench = Workbench.open(path)
    yield workbench
    workbench.close()


def _stored(wb: Workbench, key: str = DMSO) -> list[PropertyValue]:
    return wb.project.properties.for_compound(key)


def _manual(wb: Workbench, key: str = DMSO) -> list[PropertyValue]:
    return [v for v in _stored(wb, key) if v.provenance.source == MANUAL_SOURCE]


def test_add_stores_value_with_manual_provenance_beside_the_imported_one(wb: Workbench) -> None:
    change = wb.add_manual_value(
        DMSO, ManualEntry("Tg", "-125.5", "°C", note="DSC, lab book 7 p. 12"), "alice"
    )
    assert change.before is None
    (manual,) = _manual(wb)
    assert manual == change.after
    assert (manual.property, manual.value, manual.unit) == ("tg", -125.5, "degC")
    p = manual.provenance
    assert p.method == Method.MEASURED and p.citation == "DSC, lab book 7 p. 12"
    assert p.source_record_id == f"alice@{p.retrieved_at}"
    assert len(_stored(wb)) == 2  # the imported Koop value is kept side by side (a conflict, not overwritten)
    # The table column converts the degC entry to the column's K and shows the median of both values.
    column = next(c for c in views.property_columns(wb, extras=False) if c.key == "tg")
    cell = views.property_cells(wb, wb.project.compounds.search_ids("DMSO"), [column])
    (only,) = cell.values()
    assert only["tg"].conflict and only["tg"].n_values == 2
    assert only["tg"].value == pytest.approx((137.0 + 147.65) / 2)
    assert "manual, measured" in only["tg"].tooltip


def test_same_user_same_second_gets_distinct_record_ids(wb: Workbench) -> None:
    first = wb.add_manual_value(GLYCEROL, ManualEntry("viability", "62", "%"), "bob").after
    second = wb.add_manual_value(GLYCEROL, ManualEntry("viability", "64", "%"), "bob").after
    assert first is not None and second is not None
    if first.provenance.retrieved_at == second.provenance.retrieved_at:
        assert second.provenance.source_record_id == f"{first.provenance.source_record_id}#2"
    assert sorted(v.value for v in _manual(wb, GLYCEROL)) == [62.0, 64.0]


def test_edit_replaces_the_row_and_swapping_back_restores_it_exactly(wb: Workbench) -> None:
    original = wb.add_manual_value(DMSO, ManualEntry("melting_point", "18.4", "degC"), "alice").after
    assert original is not None
    change = wb.edit_manual_value(original, replace_entry(entry_of(original), value="18.55"), "carol")
    assert change.before == original
    assert [v.value for v in _manual(wb)] == [18.55]
    assert change.after is not None and change.after.provenance.source_record_id.startswith("carol@")
    wb.replace_manual_value(change.after, change.before)  # what Undo does
    assert _manual(wb) == [original]


def test_delete_and_restore_put_back_the_same_row(wb: Workbench) -> None:
    value = wb.add_manual_value(
        DMSO, ManualEntry("density", "1.1", "g/cm3", conditions="T=298 K"), "alice"
    ).after
    assert value is not None
    wb.delete_manual_value(value)
    assert _manual(wb) == []
    with pytest.raises(StaleValueError):  # already gone: a second delete must say so, not pass silently
        wb.delete_manual_value(value)
    wb.replace_manual_value(None, value)
    assert _manual(wb) == [value]


def test_imported_values_cannot_be_edited_or_deleted(wb: Workbench) -> None:
    (imported,) = _stored(wb)
    with pytest.raises(InputError, match="imported value"):
        wb.delete_manual_value(imported)
    with pytest.raises(InputError, match="imported value"):
        wb.edit_manual_value(imported, ManualEntry("tg", "140", "K"))
    forged = PropertyValue(DMSO, "tg", 99.0, "K", KOOP)
    with pytest.raises(InputError, match="imported value"):
        wb.replace_manual_value(None, forged)
    assert _stored(wb) == [imported]


@pytest.mark.parametrize(
    ("entry", "field", "reason"),
    [
        (ManualEntry("tg", "abc", "K"), "Value", "not a number"),
        (ManualEntry("tg", "", "K"), "Value", "enter a number"),
        (ManualEntry("tg", "nan", "K"), "Value", "finite"),
        (ManualEntry("tg", "-5", "K"), "Value", "below absolute zero"),
        (ManualEntry("tg", "150", "kelvins"), "Unit", "not a known unit"),
        (ManualEntry("tg", "150", "cP"), "Unit", "needs temperature"),
        (ManualEntry("tg", "150", ""), "Unit", "needs a unit"),
        (ManualEntry("", "150", "K"), "Property", "choose or type"),
        (ManualEntry("tg", "150", "K", method="predicted"), "Method", "measured, literature"),
    ],
)
def test_bad_entries_name_the_field(wb: Workbench, entry: ManualEntry, field: str, reason: str) -> None:
    with pytest.raises(ManualValueError) as caught:
        wb.add_manual_value(DMSO, entry, "alice")
    assert caught.value.field == field and reason in str(caught.value)
    assert str(caught.value).startswith(f"{field}: ")
    assert _manual(wb) == []


def test_validation_accepts_aliases_and_unknown_properties() -> None:
    assert validate_entry(ManualEntry("Melting point", "−3.5", "°C")) == (
        "melting_point",
        -3.5,
        "degC",
        Method.MEASURED,
    )
    assert validate_entry(ManualEntry("Ice recrystallisation", "0.4", "")) == (
        "ice_recrystallisation",
        0.4,
        None,
        Method.MEASURED,
    )
    assert units_for("tg")[0] == "K" and set(units_for("tg")) == {"K", "degC", "degF"}


def test_unknown_compound_is_refused(wb: Workbench) -> None:
    with pytest.raises(ManualValueError, match="Compound"):
        wb.add_manual_value("XXXXXXXXXXXXXX-UHFFFAOYSA-N", ManualEntry("tg", "150", "K"))


def replace_entry(entry: ManualEntry, **changes: str) -> ManualEntry:
    from dataclasses import replace

    return replace(entry, **changes)


def test_cli_value_set_list_delete(wb: Workbench, capsys: pytest.CaptureFixture[str]) -> None:
    from cryodesk.cli import exit_codes
    from cryodesk.cli.main import main

    path = str(wb.project.path)
    wb.close()  # the CLI opens the project itself
    assert main(["-p", path, "value", "set", DMSO, "tg", "abc", "--unit", "K"]) == exit_codes.INPUT_ERROR
    assert "Value: “abc” is not a number" in capsys.readouterr().err
    assert (
        main(["-p", path, "value", "set", DMSO, "tg", "150", "--unit", "furlongs"]) == exit_codes.INPUT_ERROR
    )
    assert "Unit: “furlongs” is not a known unit" in capsys.readouterr().err
    assert (
        main(
            [
                "-p",
                path,
                "value",
                "set",
                DMSO,
                "Tg",
                "151.5",
                "--unit",
                "K",
                "--user",
                "dave",
                "--note",
                "DSC",
            ]
        )
        == exit_codes.OK
    )
    assert "stored tg = 151.5 K  <measured; record dave@" in capsys.readouterr().out
    assert main(["-p", path, "--json", "value", "list", DMSO]) == exit_codes.OK
    import json

    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["value"], listed["unit"], listed["note"]) == (151.5, "K", "DSC")
    assert (
        main(["-p", path, "value", "set", DMSO, "tg", "152", "--unit", "K", "--replace", listed["record"]])
        == exit_codes.OK
    )
    assert main(["-p", path, "value", "delete", DMSO, "tg"]) == exit_codes.OK
    assert "deleted tg = 152 K" in capsys.readouterr().out
    assert main(["-p", path, "value", "delete", DMSO, "tg"]) == exit_codes.INPUT_ERROR  # the Koop value stays
    assert "record: no manual tg value" in capsys.readouterr().err
    with Project.open(Path(path), read_only=True) as project:
        assert [v.provenance.source for v in project.properties.for_compound(DMSO)] == ["koop_tg"]
