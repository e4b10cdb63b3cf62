"""Named row lists saved in the project: list them, open one to filter the table, save, delete.

Reads and writes go through the engine in the background (a write can wait on an import's write
lock; the GUI thread must not). Saving asks the window for the ids to save (the selection, or every
row shown), so this panel knows nothing of the table.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cryodesk.engine.service import Workbench
from cryodesk.engine.views import IdSubset
from cryodesk.gui.worker import ProgressFn, TaskSlot

WorkbenchRef = Callable[[], Workbench]
NAME_ROLE = Qt.ItemDataRole.UserRole + 1


class RowListPanel(QWidget):
    """The Row lists dock. ``subset_ready`` carries an opened list's members for the table."""

    subset_ready = Signal(object)  # IdSubset
    save_requested = Signal()  # the window asks for a name and saves its selection or shown rows
    lists_loaded = Signal(list)  # [(name, count)]
    saved = Signal(str)
    deleted = Signal(str)

    def __init__(self, workbench: WorkbenchRef, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RowListPanel")
        self._workbench = workbench
        self.lists = QListWidget(self)
        self.lists.setObjectName("RowLists")
        self.lists.itemActivated.connect(lambda item: self.open_list(item.data(NAME_ROLE)))
        self.lists.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.open_button = QPushButton("Open", self)
        self.open_button.setToolTip("Show this list's compounds in the table")
        self.save_button = QPushButton("Save…", self)
        self.save_button.setToolTip("Save the selected rows (or, with none selected, every row shown) as a list")
        self.delete_button = QPushButton("Delete", self)
        self.open_button.clicked.connect(lambda: self.open_list(self.current_name()))
        self.save_button.clicked.connect(self.save_requested)
        self.delete_button.clicked.connect(self._confirm_delete)
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.lists, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.caption)
        self.read_only = False
        self.slot = TaskSlot("row lists", parent=self)
        self.slot.finished.connect(self._on_result)
        self.slot.failed.connect(lambda e: self.caption.setText(f"Row lists: {e}"))
        self._update_buttons()

    def current_name(self) -> str | None:
        item = self.lists.currentItem()
        return None if item is None else item.data(NAME_ROLE)

    def names(self) -> list[str]:
        return [self.lists.item(i).data(NAME_ROLE) for i in range(self.lists.count())]

    def _update_buttons(self) -> None:
        has = self.current_name() is not None
        self.open_button.setEnabled(has)
        self.delete_button.setEnabled(has and not self.read_only)
        self.save_button.setEnabled(not self.read_only)

    # -- engine calls --------------------------------------------------------------------------------
    def refresh(self) -> None:
        workbench = self._workbench
        self.slot.start(lambda _p, _c: ("lists", workbench().row_lists()), "row lists")

    def open_list(self, name: str | None) -> None:
        if not name:
            return
        workbench = self._workbench

        def work(_p: ProgressFn, _c: threading.Event) -> tuple[str, IdSubset]:
            return "open", IdSubset("row_list", name, tuple(workbench().row_list_members(name)))

        self.slot.start(work, f"open row list {name!r}")

    def save(self, name: str, ids: Sequence[int]) -> None:
        workbench, members = self._workbench, list(ids)

        def work(_p: ProgressFn, _c: threading.Event) -> tuple[str, object]:
            wb = workbench()
            wb.save_row_list(name, members)
            return "saved", (name, wb.row_lists())

        self.caption.setText(f"Saving {len(members):,} compounds as “{name}”…")
        self.slot.start(work, f"save row list {name!r}")

    def delete(self, name: str) -> None:
        workbench = self._workbench

        def work(_p: ProgressFn, _c: threading.Event) -> tuple[str, object]:
            wb = workbench()
            wb.delete_row_list(name)
            return "deleted", (name, wb.row_lists())

        self.slot.start(work, f"delete row list {name!r}")

    def _confirm_delete(self) -> None:
        name = self.current_name()
        if not name:
            return
        answer = QMessageBox.question(self, "Delete row list", f"Delete the row list “{name}”? "
                                      "The compounds stay in the project.")
        if answer == QMessageBox.StandardButton.Yes:
            self.delete(name)

    def _on_result(self, result: tuple[str, object]) -> None:
        what, payload = result
        if what == "open":
            assert isinstance(payload, IdSubset)
            self.caption.setText(f"“{payload.label}”: {len(payload.ids):,} compounds, shown in the table.")
            self.subset_ready.emit(payload)
            return
        if what == "lists":
            self._show(payload)  # type: ignore[arg-type]
            return
        name, lists = payload  # type: ignore[misc]
        self._show(lists)
        if what == "saved":
            self.caption.setText(f"Saved “{name}”.")
            self.saved.emit(name)
        else:
            self.caption.setText(f"Deleted “{name}”.")
            self.deleted.emit(name)

    def _show(self, lists: list[tuple[str, int]]) -> None:
        current = self.current_name()
        self.lists.clear()
        for name, count in lists:
            item = QListWidgetItem(f"{name}  ({count:,})")
            item.setData(NAME_ROLE, name)
            item.setToolTip(f"{name}: {count:,} compounds. Double-click to show them in the table.")
            self.lists.addItem(item)
            if name == current:
                self.lists.setCurrentItem(item)
        if not lists:
            self.caption.setText("No row lists yet. Select rows and press Save… to keep them as a named list.")
        self._update_buttons()
        self.lists_loaded.emit(list(lists))


def ask_list_name(parent: QWidget, count: int, what: str, existing: Sequence[str]) -> str | None:
    """Ask for a row list name; confirm before replacing an existing list. None when cancelled."""
    name, ok = QInputDialog.getText(parent, "Save row list", f"Name for the {count:,} {what} compounds:",
                                    QLineEdit.EchoMode.Normal, "")
    name = name.strip()
    if not ok or not name:
        return None
    if name in existing:
        answer = QMessageBox.question(parent, "Replace row list",
                                      f"A row list “{name}” exists. Replace its compounds with these {count:,}?")
        if answer != QMessageBox.StandardButton.Yes:
            return None
    return name
