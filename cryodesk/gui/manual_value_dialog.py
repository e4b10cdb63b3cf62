"""Entering and correcting property values by hand, undoably.

:class:`ManualValueDialog` collects one value (property, number, unit, method, conditions, note or
reference) and checks it with the engine's rules (:func:`cryodesk.engine.manual_values.validate_entry`)
before it closes: a wrong unit or a non-number keeps the dialog open with a message naming the field.

:class:`ManualValueEditor` connects the detail panel's Add / Edit / Delete buttons to the engine. Each
write runs off the GUI thread in a :class:`~cryodesk.gui.undo.SerialEngineQueue` (so undo, redo and new
edits reach the project in the order asked), reads the compound back in the same task, and then pushes a
:class:`~cryodesk.gui.undo.ManualValueCommand` on the window's undo stack. Only values with "manual"
provenance can be edited or deleted; the engine refuses anything else as well.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QPalette, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from cryodesk.domain import PropertyValue
from cryodesk.domain.properties import PROPERTIES, property_info, property_key
from cryodesk.engine.manual_values import (
    MANUAL_METHODS,
    ManualChange,
    ManualEntry,
    ManualValueError,
    entry_of,
    is_manual,
    units_for,
    validate_entry,
)
from cryodesk.engine.views import unit_label
from cryodesk.gui.undo import ManualValueCommand, SerialEngineQueue
from cryodesk.gui.worker import ProgressFn

if TYPE_CHECKING:
    from cryodesk.engine.service import CompoundDetail, Workbench
    from cryodesk.gui.detail_panel import CompoundDetailPanel

WorkbenchRef = Callable[[], "Workbench | None"]
_DONE = {"Add": "Added", "Edit": "Changed to", "Delete": "Deleted"}


class ManualValueDialog(QDialog):
    """One property value typed by the user; ``entry()`` is valid once the dialog is accepted."""

    def __init__(
        self, compound: str, initial: ManualEntry | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ManualValueDialog")
        editing = initial is not None
        self.setWindowTitle(f"{'Edit' if editing else 'Add'} value — {compound}")
        self.property_box = QComboBox(self)
        self.property_box.setEditable(True)
        self.property_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for info in PROPERTIES:
            self.property_box.addItem(info.label, info.key)
        self.property_box.setToolTip("A property of the list, or type a new one (it becomes a table column)")
        self.value_edit = QLineEdit(self)
        self.value_edit.setPlaceholderText("e.g. 187.5")
        self.unit_box = QComboBox(self)
        self.unit_box.setEditable(True)
        self.unit_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.unit_box.setToolTip("K, °C, %, g/mL, cP … (checked against the property's dimension)")
        self.method_box = QComboBox(self)
        for method in MANUAL_METHODS:
            self.method_box.addItem(method.value, method.value)
        self.conditions_edit = QLineEdit(self)
        self.conditions_edit.setPlaceholderText("optional, e.g. T=298.15 K, 10 K/min")
        self.note_edit = QLineEdit(self)
        self.note_edit.setPlaceholderText("optional: lab book page, DOI or citation")
        self.error_label = QLabel(self)
        self.error_label.setObjectName("ManualValueError")
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        palette = self.error_label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, Qt.GlobalColor.red)
        self.error_label.setPalette(palette)
        self.error_label.hide()

        form = QFormLayout()
        form.addRow("&Property:", self.property_box)
        form.addRow("&Value:", self.value_edit)
        form.addRow("&Unit:", self.unit_box)
        form.addRow("&Method:", self.method_box)
        form.addRow("&Conditions:", self.conditions_edit)
        form.addRow("&Note / reference:", self.note_edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        hint = QLabel(
            "Stored with provenance “manual” (your login name and the time); Edit ▸ Undo takes it back."
        )
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(hint)
        layout.addWidget(self.buttons)
        self._fields = {
            "Property": self.property_box,
            "Value": self.value_edit,
            "Unit": self.unit_box,
            "Method": self.method_box,
            "Note": self.note_edit,
        }
        self.property_box.currentTextChanged.connect(lambda _t: self._offer_units())
        self._set_entry(initial or ManualEntry("tg", ""))
        self.resize(460, self.sizeHint().height())

    def _property_text(self) -> str:
        text = self.property_box.currentText().strip()
        index = self.property_box.findText(text, Qt.MatchFlag.MatchFixedString)
        return str(self.property_box.itemData(index)) if index >= 0 else text

    def _offer_units(self) -> None:
        typed = self.unit_box.currentText()
        self.unit_box.blockSignals(True)
        self.unit_box.clear()
        for unit in units_for(self._property_text()):
            self.unit_box.addItem(unit_label(unit) or unit, unit)
        self.unit_box.blockSignals(False)
        # Keep what the user typed when the new property accepts it; else offer the property's usual unit.
        if typed and self.unit_box.findData(typed) >= 0:
            self.unit_box.setCurrentIndex(self.unit_box.findData(typed))
        elif typed and self.unit_box.findText(typed) >= 0:
            self.unit_box.setCurrentIndex(self.unit_box.findText(typed))

    def _set_entry(self, entry: ManualEntry) -> None:
        info = property_info(property_key(entry.property)) if entry.property else None
        self.property_box.setCurrentText(info.label if info else entry.property)
        self._offer_units()
        if entry.unit:
            index = self.unit_box.findData(entry.unit)
            if index >= 0:
                self.unit_box.setCurrentIndex(index)
            else:
                self.unit_box.setCurrentText(entry.unit)
        self.value_edit.setText(entry.value)
        self.method_box.setCurrentIndex(max(0, self.method_box.findData(entry.method)))
        self.conditions_edit.setText(entry.conditions)
        self.note_edit.setText(entry.note)
        self.value_edit.setFocus()

    def _unit_text(self) -> str:
        text = self.unit_box.currentText().strip()
        index = self.unit_box.findText(text)
        return str(self.unit_box.itemData(index)) if index >= 0 and text else text

    def entry(self) -> ManualEntry:
        """What the fields say (validated when the dialog was accepted)."""
        return ManualEntry(
            property=self._property_text(),
            value=self.value_edit.text(),
            unit=self._unit_text(),
            method=str(self.method_box.currentData()),
            conditions=self.conditions_edit.text(),
            note=self.note_edit.text(),
        )

    def accept(self) -> None:
        try:
            validate_entry(self.entry())  # pure rules, no project access: fine on the GUI thread
        except ManualValueError as error:
            self.show_error(str(error), error.field)
            return
        self.error_label.hide()
        super().accept()

    def show_error(self, message: str, field: str | None = None) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        # Grow to show the whole message (a wrapped label does not resize its dialog by itself).
        self.layout().activate()
        self.resize(self.width(), max(self.height(), self.layout().heightForWidth(self.width())))
        widget = self._fields.get(field or "")
        if widget is not None:
            widget.setFocus()


class ManualValueEditor(QObject):
    """Runs the detail panel's manual-value edits as undoable engine writes."""

    changed = Signal(str)  # InChIKey whose stored values changed (an edit, an undo or a redo)
    failed = Signal(str)

    def __init__(
        self,
        workbench: WorkbenchRef,
        undo_stack: QUndoStack,
        panel: CompoundDetailPanel,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._workbench = workbench
        self.undo_stack = undo_stack
        self.panel = panel
        self.dialog: ManualValueDialog | None = None
        self.writer = SerialEngineQueue(self)
        self.writer.finished.connect(lambda _label, result: self._on_written(result))
        self.writer.failed.connect(self._on_failed)
        panel.add_value_requested.connect(self.ask_add)
        panel.edit_value_requested.connect(self.ask_edit)
        panel.delete_value_requested.connect(self.delete)

    # -- user actions ------------------------------------------------------------------------------------
    def ask_add(self, inchikey: str, compound: str) -> ManualValueDialog:
        dialog = ManualValueDialog(compound, None, self.panel)
        dialog.accepted.connect(lambda: self.add(inchikey, dialog.entry()))
        return self._open(dialog)

    def ask_edit(self, value: PropertyValue, compound: str) -> ManualValueDialog | None:
        if not is_manual(value):
            self.panel.show_status("Imported values cannot be edited; add a manual value beside it instead.")
            return None
        dialog = ManualValueDialog(compound, entry_of(value), self.panel)
        dialog.accepted.connect(lambda: self.edit(value, dialog.entry()))
        return self._open(dialog)

    def _open(self, dialog: ManualValueDialog) -> ManualValueDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda _o=None: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()  # window-modal, without a nested event loop
        return dialog

    # -- engine writes ---------------------------------------------------------------------------------
    def add(self, inchikey: str, entry: ManualEntry) -> None:
        self._submit(lambda wb: wb.add_manual_value(inchikey, entry), "Add", inchikey)

    def edit(self, before: PropertyValue, entry: ManualEntry) -> None:
        self._submit(lambda wb: wb.edit_manual_value(before, entry), "Edit", before.inchikey)

    def delete(self, value: PropertyValue) -> None:
        if not is_manual(value):
            self.panel.show_status("Imported values cannot be deleted; only values entered by hand.")
            return
        self._submit(lambda wb: wb.delete_manual_value(value), "Delete", value.inchikey)

    def _apply(self, before: PropertyValue | None, after: PropertyValue | None, label: str) -> None:
        """An undo or redo (called by the command on the GUI thread): the swap runs in the queue."""
        inchikey = (before or after).inchikey  # type: ignore[union-attr]
        self._submit(lambda wb: wb.replace_manual_value(before, after), label, inchikey, push=False)

    def _submit(
        self, write: Callable[[Workbench], ManualChange], verb: str, inchikey: str, push: bool = True
    ) -> None:
        workbench = self._workbench

        def work(
            _p: ProgressFn, _c: threading.Event
        ) -> tuple[str, ManualChange, CompoundDetail | None, bool]:
            wb = workbench()
            if wb is None:
                raise RuntimeError("no project is open")
            change = write(wb)
            return verb, change, wb.compound_detail(inchikey), push

        self.panel.show_status(f"{verb}…")
        self.writer.submit(work, f"{verb} manual value of {inchikey}")

    def _on_written(self, result: tuple[str, ManualChange, CompoundDetail | None, bool]) -> None:
        verb, change, detail, push = result
        value = change.after or change.before
        assert value is not None
        if push:
            self.undo_stack.push(
                ManualValueCommand(self._apply, f"{verb} {describe(value)}", change.before, change.after)
            )
            status = f"{_DONE[verb]} {describe(value)}. Edit ▸ Undo takes it back."
        else:
            status = f"{verb}: done."  # verb is the command's "Undo …" / "Redo …" text here
        shown = self.panel.detail
        if detail is not None and shown is not None and shown.compound.inchikey == detail.compound.inchikey:
            self.panel.show_detail(detail)
            self.panel.select_value(change.after)
        self.panel.show_status(status)
        self.changed.emit(value.inchikey)

    def _on_failed(self, label: str, error: str) -> None:
        self.panel.show_status(f"{label} failed: {error}")
        self.failed.emit(error)


def describe(value: PropertyValue) -> str:
    """``tg = 147.6 °C`` — how a value is named in the undo menu and the status line."""
    number = "" if value.value is None else f"{value.value:.6g}"
    return f"{value.property} = {number} {unit_label(value.unit)}".rstrip()
