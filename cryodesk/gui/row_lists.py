"""Named row lists saved in the project: list them, open one to filter the table, save, delete, rename,
add or remove the selected compounds — every change undoable.

Reads and writes go through the engine in the background (a write can wait on an import's write
lock; the GUI thread must not). Writes run one after the other in a :class:`SerialEngineQueue`; each
reads the state it replaces in the same task and then pushes a command on the undo stack. Saving asks
the window for the ids to save (the selection, or every row shown) and adding/removing members asks
``selection`` (set by the window), so this panel knows nothing of the table.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QUndoStack
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
from cryodesk.gui.undo import (
    RowListOp,
    SerialEngineQueue,
    change_members_command,
    delete_row_list_command,
    rename_row_list_command,
    save_row_list_command,
)
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
    renamed = Signal(str, str)  # old, new
    members_changed = Signal(str)
    write_failed = Signal(str)

    def __init__(
        self, workbench: WorkbenchRef, parent: QWidget | None = None, undo_stack: QUndoStack | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("RowListPanel")
        self._workbench = workbench
        # The window shares its stack (Edit ▸ Undo); a panel on its own keeps a private one.
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self.selection: Callable[[], list[int]] = list  # the window's selected compound ids
        self.lists = QListWidget(self)
        self.lists.setObjectName("RowLists")
        self.lists.itemActivated.connect(lambda item: self.open_list(item.data(NAME_ROLE)))
        self.lists.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.open_button = QPushButton("Open", self)
        self.open_button.setToolTip("Show this list's compounds in the table")
        self.save_button = QPushButton("Save…", self)
        self.save_button.setToolTip(
            "Save the selected rows (or, with none selected, every row shown) as a list"
        )
        self.delete_button = QPushButton("Delete", self)
        self.rename_button = QPushButton("Rename…", self)
        self.add_button = QPushButton("+ Selected", self)
        self.add_button.setToolTip("Add the compounds selected in the table to this list")
        self.remove_button = QPushButton("− Selected", self)
        self.remove_button.setToolTip("Remove the compounds selected in the table from this list")
        self.open_button.clicked.connect(lambda: self.open_list(self.current_name()))
        self.save_button.clicked.connect(self.save_requested)
        self.delete_button.clicked.connect(self._confirm_delete)
        self.rename_button.clicked.connect(self._ask_rename)
        self.add_button.clicked.connect(lambda: self._change_selected(add=True))
        self.remove_button.clicked.connect(lambda: self._change_selected(add=False))
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in (self.open_button, self.save_button, self.delete_button):
            buttons.addWidget(button)
        edits = QHBoxLayout()
        for button in (self.rename_button, self.add_button, self.remove_button):
            edits.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.lists, 1)
        layout.addLayout(buttons)
        layout.addLayout(edits)
        layout.addWidget(self.caption)
        self.read_only = False
        self.slot = TaskSlot("row lists", parent=self)
        self.slot.finished.connect(self._on_result)
        self.slot.failed.connect(lambda e: self.caption.setText(f"Row lists: {e}"))
        self.writer = SerialEngineQueue(self)
        self.writer.finished.connect(lambda _label, result: self._on_result(result))
        self.writer.failed.connect(self._on_write_failed)
        self._update_buttons()

    def current_name(self) -> str | None:
        item = self.lists.currentItem()
        return None if item is None else item.data(NAME_ROLE)

    def names(self) -> list[str]:
        return [self.lists.item(i).data(NAME_ROLE) for i in range(self.lists.count())]

    def _update_buttons(self) -> None:
        has = self.current_name() is not None
        self.open_button.setEnabled(has)
        for button in (self.delete_button, self.rename_button, self.add_button, self.remove_button):
            button.setEnabled(has and not self.read_only)
        self.save_button.setEnabled(not self.read_only)

    # -- engine calls: reads ---------------------------------------------------------------------------
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

    # -- engine calls: undoable writes -----------------------------------------------------------------
    def _members_or_none(self, wb: Workbench, name: str) -> list[int] | None:
        return wb.row_list_members(name) if name in {n for n, _c in wb.row_lists()} else None

    def save(self, name: str, ids: Sequence[int]) -> None:
        """Create the list ``name`` (or replace its members) with ``ids``; undo restores what was there."""
        workbench, members = self._workbench, list(ids)

        def work(_p: ProgressFn, _c: threading.Event) -> tuple[str, object]:
            wb = workbench()
            before = self._members_or_none(wb, name)
            wb.save_row_list(name, members)
            return "saved", (name, wb.row_lists(), save_row_list_command(self._apply, name, before, members))

        self.caption.setText(f"Saving {len(members):,} compounds as “{name}”…")
        self.writer.submit(work, f"save row list {name!r}")

    def delete(self, name: str) -> None:
        workbench = self._workbench

        def work(_p: ProgressFn, _c: threading.Event) -> tuple[str, object]:
            wb = workbench()
            members = wb.row_list_members(name)
            wb.delete_row_list(name)
            return "deleted", (name, wb.row_lists(), delete_row_list_command(self._apply, name, members))

        self.writer.submit(work, f"delete row list {name!r}")

    def rename(self, old: str, new: str) -> None:
        """Rename a list (its members move to the new name); refused when ``new`` is taken."""
        workbench, new = self._workbench, new.strip()

        def work(_p: ProgressFn, _c: threading.Event) -> tuple[str, object]:
            wb = workbench()
            if self._members_or_none(wb, new) is not None:
                raise ValueError(f"a row list named “{new}” exists already")
            members = wb.row_list_members(old)
            wb.save_row_list(new, members)
            wb.delete_row_list(old)
            return "renamed", (
                (old, new),
                wb.row_lists(),
                rename_row_list_command(self._apply, old, new, members),
            )

        self.writer.submit(work, f"rename row list {old!r}")

    def add_members(self, name: str, ids: Sequence[int]) -> None:
        self._change_members(name, ids, add=True)

    def remove_members(self, name: str, ids: Sequence[int]) -> None:
        self._change_members(name, ids, add=False)

    def _change_members(self, name: str, ids: Sequence[int], add: bool) -> None:
        workbench, changed = self._workbench, list(ids)

        def work(_p: ProgressFn, _c: threading.Event) -> tuple[str, object]:
            wb = workbench()
            before = wb.row_list_members(name)
            if add:
                after = list(dict.fromkeys(before + changed))
            else:
                drop = set(changed)
                after = [i for i in before if i not in drop]
            wb.save_row_list(name, after)
            command = change_members_command(self._apply, name, before, after, add)
            return "members", (name, wb.row_lists(), command)

        self.writer.submit(work, f"{'add to' if add else 'remove from'} row list {name!r}")

    def _apply(self, ops: Sequence[RowListOp], label: str) -> None:
        """Run an undo/redo's writes (called by the commands on the GUI thread)."""
        workbench, todo = self._workbench, list(ops)

        def work(_p: ProgressFn, _c: threading.Event) -> tuple[str, object]:
            wb = workbench()
            for op, name, ids in todo:
                if op == "save":
                    wb.save_row_list(name, list(ids))
                elif self._members_or_none(wb, name) is not None:
                    wb.delete_row_list(name)
            return "applied", (label, wb.row_lists(), None)

        self.caption.setText(f"{label}…")
        self.writer.submit(work, label)

    # -- user actions ----------------------------------------------------------------------------------
    def _confirm_delete(self) -> None:
        name = self.current_name()
        if not name:
            return
        answer = QMessageBox.question(
            self,
            "Delete row list",
            f"Delete the row list “{name}”? "
            "The compounds stay in the project (Edit ▸ Undo brings the list back).",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.delete(name)

    def _ask_rename(self) -> None:
        old = self.current_name()
        if not old:
            return
        new, ok = QInputDialog.getText(
            self, "Rename row list", f"New name for “{old}”:", QLineEdit.EchoMode.Normal, old
        )
        new = new.strip()
        if ok and new and new != old:
            self.rename(old, new)

    def _change_selected(self, add: bool) -> None:
        name, ids = self.current_name(), self.selection()
        if not name:
            return
        if not ids:
            self.caption.setText("Select compounds in the table first.")
            return
        self._change_members(name, ids, add)

    # -- results -----------------------------------------------------------------------------------------
    def _on_write_failed(self, label: str, error: str) -> None:
        self.caption.setText(f"Row lists: {label} failed: {error}")
        self.write_failed.emit(error)

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
        subject, lists, command = payload  # type: ignore[misc]
        self._show(lists)
        if command is not None:
            self.undo_stack.push(command)  # its first redo is the write just done
        if what == "saved":
            self.caption.setText(f"Saved “{subject}”.")
            self.saved.emit(subject)
        elif what == "deleted":
            self.caption.setText(f"Deleted “{subject}”.")
            self.deleted.emit(subject)
        elif what == "renamed":
            old, new = subject
            self.caption.setText(f"Renamed “{old}” to “{new}”.")
            self._select(new)
            self.renamed.emit(old, new)
        elif what == "members":
            self.caption.setText(f"{command.text()}.")
            self.members_changed.emit(subject)
        else:
            self.caption.setText(f"{subject}: done.")

    def _select(self, name: str) -> None:
        for i in range(self.lists.count()):
            if self.lists.item(i).data(NAME_ROLE) == name:
                self.lists.setCurrentRow(i)

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
            self.caption.setText(
                "No row lists yet. Select rows and press Save… to keep them as a named list."
            )
        self._update_buttons()
        self.lists_loaded.emit(list(lists))


def ask_list_name(parent: QWidget, count: int, what: str, existing: Sequence[str]) -> str | None:
    """Ask for a row list name; confirm before replacing an existing list. None when cancelled."""
    name, ok = QInputDialog.getText(
        parent, "Save row list", f"Name for the {count:,} {what} compounds:", QLineEdit.EchoMode.Normal, ""
    )
    name = name.strip()
    if not ok or not name:
        return None
    if name in existing:
        answer = QMessageBox.question(
            parent,
            "Replace row list",
            f"A row list “{name}” exists. Replace its compounds with these {count:,}?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return None
    return name
