"""Values entered by hand in the detail panel: add, edit, delete, each undone and redone through the
window's QUndoStack (Ctrl+Z / Ctrl+Shift+Z), checked in the panel, the table and the project file."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from cryodesk.domain import PropertyValue
from cryodesk.engine.manual_values import MANUAL_SOURCE
from cryodesk.engine.service import Workbench
from cryodesk.gui.detail_panel import PROPERTY_HEADERS, VALUE_ROLE
from cryodesk.gui.main_window import MainWindow
from cryodesk.gui.manual_value_dialog import ManualValueDialog
from cryodesk.gui.molecule_table import Column

from .helpers import save_screenshot

TIMEOUT = 30_000
GLYCEROL = "PEDCQBHIVMGVHV-UHFFFAOYSA-N"
SOURCE_COLUMN = PROPERTY_HEADERS.index("Source")
VALUE_COLUMN = PROPERTY_HEADERS.index("Value")


def _stored(path: Path, key: str = GLYCEROL) -> list[PropertyValue]:
    """Values as the project file has them, read through a separate connection."""
    wb = Workbench.open(path, read_only=True)
    try:
        return wb.project.properties.for_compound(key)
    finally:
        wb.close()


def _stored_manual(path: Path, key: str = GLYCEROL) -> list[PropertyValue]:
    return [v for v in _stored(path, key) if v.provenance.source == MANUAL_SOURCE]


def _click(qtbot, widget) -> None:
    assert widget.isEnabled(), widget.objectName()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def _select_compound(qtbot, window: MainWindow, name: str) -> int:
    names = [window.model.index(r, Column.NAME).data() for r in range(window.model.rowCount())]
    row = names.index(name)
    rect = window.table.visualRect(window.model.index(row, Column.NAME))
    with qtbot.waitSignal(window.detail.shown, timeout=TIMEOUT):
        qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    return window.model.id_at(row)  # type: ignore[return-value]


def _melting_cell(window: MainWindow, compound_id: int) -> str:
    row = window.model.row_of(compound_id)
    section = window.model.section_of("melting_point")
    assert row is not None and section is not None
    return str(window.model.index(row, section).data() or "")


def _plotted(window: MainWindow, compound_id: int, y_key: str) -> float | None:
    """The y of a compound in the linked scatter plot (None when it is not plotted)."""
    data = window.scatter.data
    if data is None or data.y_column.key != y_key or compound_id not in data.ids:
        return None
    return float(data.y[list(data.ids).index(compound_id)])


def _panel_rows(window: MainWindow) -> list[tuple[str, str]]:
    table = window.detail.properties_table
    return [
        (table.item(r, SOURCE_COLUMN).text(), table.item(r, VALUE_COLUMN).text())
        for r in range(table.rowCount())
    ]


def _focus_panel_row(window: MainWindow, source: str) -> None:
    table = window.detail.properties_table
    row = next(r for r in range(table.rowCount()) if table.item(r, SOURCE_COLUMN).text() == source)
    table.setCurrentCell(row, 0)


def _fill(qtbot, dialog: ManualValueDialog, prop: str, value: str, unit: str, note: str = "") -> None:
    dialog.property_box.setCurrentText(prop)
    dialog.value_edit.clear()
    qtbot.keyClicks(dialog.value_edit, value)
    dialog.unit_box.setCurrentText(unit)
    dialog.note_edit.clear()
    if note:
        qtbot.keyClicks(dialog.note_edit, note)


def _ok(qtbot, dialog: ManualValueDialog) -> None:
    _click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))


def _key(qtbot, window: MainWindow, shift: bool = False) -> None:
    """Ctrl+Z (Ctrl+Shift+Z with ``shift``) typed into the table, then wait for the write to land."""
    modifiers = Qt.KeyboardModifier.ControlModifier
    if shift:
        modifiers |= Qt.KeyboardModifier.ShiftModifier
    # Offscreen there is no window manager to give the window back its activation when a dialog closes,
    # and shortcuts only fire in the active window: do what the window manager does.
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=TIMEOUT)
    window.table.setFocus()
    with qtbot.waitSignal(window.manual_values.changed, timeout=TIMEOUT):
        qtbot.keyClick(window.table, Qt.Key.Key_Z, modifiers)


def test_add_edit_delete_a_manual_value_and_undo_each(qtbot, open_window, reference_project: Path) -> None:
    imported = _stored(reference_project)
    window = open_window(Workbench.open(reference_project))
    glycerol = _select_compound(qtbot, window, "Glycerol")
    assert window.detail.detail is not None and window.detail.detail.compound.inchikey == GLYCEROL
    assert _melting_cell(window, glycerol) == "18.2 °C"
    # An imported value is selected first: it can be looked at, not edited or deleted.
    _focus_panel_row(window, "bradley_mp")
    assert not window.detail.edit_value_button.isEnabled()
    assert not window.detail.delete_value_button.isEnabled()

    # Add: a wrong unit and a non-number keep the dialog open with a message naming the field.
    _click(qtbot, window.detail.add_value_button)
    dialog = window.manual_values.dialog
    assert isinstance(dialog, ManualValueDialog) and dialog.isVisible()
    _fill(qtbot, dialog, "Melting point", "17.6", "kelvins")
    _ok(qtbot, dialog)
    assert dialog.isVisible() and dialog.error_label.isVisible()
    assert dialog.error_label.text().startswith("Unit: “kelvins” is not a known unit")
    _fill(qtbot, dialog, "Melting point", "17,6a", "°C")
    _ok(qtbot, dialog)
    assert dialog.isVisible() and dialog.error_label.text().startswith("Value: “17,6a” is not a number")
    _fill(qtbot, dialog, "Melting point", "17.6", "cP")
    _ok(qtbot, dialog)
    assert dialog.error_label.text().startswith("Unit: cP is a viscosity unit")
    save_screenshot(dialog, qtbot, "manual_value_dialog_error.png")
    assert _stored_manual(reference_project) == []
    _fill(qtbot, dialog, "Melting point", "17.6", "°C", note="DSC 10 K/min, lab book 7 p. 12")
    with qtbot.waitSignal(window.manual_values.changed, timeout=TIMEOUT):
        _ok(qtbot, dialog)
    (added,) = _stored_manual(reference_project)
    assert (added.property, added.value, added.unit) == ("melting_point", 17.6, "degC")
    assert added.provenance.citation == "DSC 10 K/min, lab book 7 p. 12"
    assert (MANUAL_SOURCE, "17.6") in _panel_rows(window) and ("bradley_mp", "18.2") in _panel_rows(window)
    assert window.detail.current_value() == added  # the new row has the focus
    record = window.detail.provenance_label.text()
    assert f"Source: manual (entered by hand), record {added.provenance.source_record_id}" in record
    assert "Note / reference: DSC 10 K/min" in record
    assert window.detail.value_status.text().startswith("Added melting_point = 17.6 °C.")
    assert window.detail.edit_value_button.isEnabled() and window.detail.delete_value_button.isEnabled()
    qtbot.waitUntil(
        lambda: _melting_cell(window, glycerol) == "17.9 °C (2)", timeout=TIMEOUT
    )  # median, a conflict
    assert window.undo_action.isEnabled() and "melting_point = 17.6 °C" in window.undo_action.text()
    qtbot.waitUntil(
        lambda: _plotted(window, glycerol, "melting_point") == pytest.approx(17.9), timeout=TIMEOUT
    )
    save_screenshot(window, qtbot, "manual_value_added.png")

    # Ctrl+Z takes it out of the project; Ctrl+Shift+Z puts the very same row back.
    _key(qtbot, window)
    assert _stored_manual(reference_project) == []
    assert MANUAL_SOURCE not in [s for s, _v in _panel_rows(window)]
    qtbot.waitUntil(lambda: _melting_cell(window, glycerol) == "18.2 °C", timeout=TIMEOUT)
    _key(qtbot, window, shift=True)
    assert _stored_manual(reference_project) == [added]
    qtbot.waitUntil(lambda: _melting_cell(window, glycerol) == "17.9 °C (2)", timeout=TIMEOUT)

    # Edit: the dialog opens filled in; undo restores the old number with its provenance.
    _focus_panel_row(window, MANUAL_SOURCE)
    _click(qtbot, window.detail.edit_value_button)
    dialog = window.manual_values.dialog
    assert dialog is not None and dialog.value_edit.text() == "17.6" and dialog.unit_box.currentText() == "°C"
    assert dialog.note_edit.text() == "DSC 10 K/min, lab book 7 p. 12"
    dialog.value_edit.clear()
    qtbot.keyClicks(dialog.value_edit, "17.8")
    with qtbot.waitSignal(window.manual_values.changed, timeout=TIMEOUT):
        _ok(qtbot, dialog)
    (edited,) = _stored_manual(reference_project)
    assert edited.value == 17.8 and edited.provenance.citation == added.provenance.citation
    qtbot.waitUntil(lambda: _melting_cell(window, glycerol) == "18 °C (2)", timeout=TIMEOUT)
    _key(qtbot, window)
    assert _stored_manual(reference_project) == [added]
    _key(qtbot, window, shift=True)
    assert _stored_manual(reference_project) == [edited]
    # The panel re-reads the compound after the redo; deleting what it showed before would (rightly)
    # be refused as stale, so wait until it shows the stored value, as a user would see it.
    qtbot.waitUntil(
        lambda: any(s == MANUAL_SOURCE and "17.8" in v for s, v in _panel_rows(window)), timeout=TIMEOUT
    )

    # Delete, then undo brings the deleted value back exactly.
    _focus_panel_row(window, MANUAL_SOURCE)
    with qtbot.waitSignal(window.manual_values.changed, timeout=TIMEOUT):
        _click(qtbot, window.detail.delete_value_button)
    assert _stored_manual(reference_project) == []
    qtbot.waitUntil(lambda: _melting_cell(window, glycerol) == "18.2 °C", timeout=TIMEOUT)
    _key(qtbot, window)
    assert _stored_manual(reference_project) == [edited]
    assert (MANUAL_SOURCE, "17.8") in _panel_rows(window)

    # Undo all the way back: no manual value, the imported one untouched throughout.
    while window.undo_stack.canUndo():
        window.undo_action.trigger()
    qtbot.waitUntil(lambda: not window.manual_values.writer.busy, timeout=TIMEOUT)
    assert _stored(reference_project) == imported


def test_imported_values_are_not_editable_and_a_read_only_project_offers_no_edits(
    qtbot, open_window, reference_project: Path
) -> None:
    window = open_window(Workbench.open(reference_project, read_only=True))
    _select_compound(qtbot, window, "Glycerol")
    table = window.detail.properties_table
    assert table.rowCount() == len(_stored(reference_project)) > 0
    assert {table.item(r, SOURCE_COLUMN).text() for r in range(table.rowCount())} == {
        "koop_tg",
        "bradley_mp",
        "esol",
    }
    for button in (
        window.detail.add_value_button,
        window.detail.edit_value_button,
        window.detail.delete_value_button,
    ):
        assert not button.isEnabled()
    # Even asked directly, the editor refuses to delete an imported value and says why.
    imported = table.item(0, 0).data(VALUE_ROLE)
    window.manual_values.delete(imported)
    assert "cannot be deleted" in window.detail.value_status.text()
    assert not window.manual_values.writer.busy


# -- two cosmetic faults of the molecules view found in the screenshots ---------------------------------


def test_columns_menu_says_what_computed_columns_hold(qtbot, open_window, reference_project: Path) -> None:
    from PySide6.QtWidgets import QMenu

    window = open_window(Workbench.open(reference_project))
    menu = QMenu(window)
    window._fill_columns_menu(menu, None)
    texts = [a.text() for a in menu.actions() if a.text()]
    score = [t for t in texts if t.startswith("score: ")]
    assert score and all(t.endswith("— desirability 0–1") for t in score), texts
    assert not [t for t in texts if t.endswith("— 0 values")], texts  # score columns store no values
    assert any(t.startswith("melting_point (°C)") and t.endswith("— 2 values") for t in texts), texts


def test_prediction_cells_fit_their_default_column_width(qtbot, open_window, reference_project: Path) -> None:
    from cryodesk.engine.views import PREDICTION, TableColumn

    window = open_window(Workbench.open(reference_project))
    column = TableColumn("pred:log_solubility", "log_solubility", "log10(M)", kind=PREDICTION, source="esol")
    cell_text = "⚠ -7.964 ± 1.3 log10(M)"  # the longest form a cell of this column takes
    needed = window.table.fontMetrics().horizontalAdvance(cell_text) + 12  # the cell's text margins
    assert window.table.property_width(column) >= needed
    stored = TableColumn("melting_point", "melting_point", "degC")
    assert window.table.property_width(stored) == window.table.property_width(None)
