"""Undo/redo of user edits through the window's QUndoStack: row lists in the project (create, replace,
rename, add/remove members, delete) and the mixture designer's draft commands; Edit menu shortcuts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QKeySequence, QUndoStack

from cryodesk.domain import ComponentRole, Mixture, MixtureComponent
from cryodesk.engine.service import Workbench
from cryodesk.gui.main_window import MainWindow
from cryodesk.gui.undo import (
    AddComponentCommand,
    DraftHolder,
    EditComponentCommand,
    RemoveComponentCommand,
    ReplaceDraftCommand,
)

TIMEOUT = 30_000


def _stored(path: Path) -> dict[str, list[int]]:
    """Row lists as the project file has them, read through a separate connection."""
    wb = Workbench.open(path)
    try:
        return {name: sorted(wb.row_list_members(name)) for name, _count in wb.row_lists()}
    finally:
        wb.close()


def _settle(qtbot, window: MainWindow) -> None:
    panel = window.row_lists
    qtbot.waitUntil(lambda: not panel.writer.busy, timeout=TIMEOUT)


def _trigger(qtbot, window: MainWindow, action) -> None:
    action.trigger()
    _settle(qtbot, window)


def test_edit_menu_has_undo_and_redo_with_standard_shortcuts(
    qtbot, open_window, reference_project: Path
) -> None:
    window = open_window(Workbench.open(reference_project))
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles[:3] == ["&File", "&Edit", "&View"]
    assert window.edit_menu.actions()[:2] == [window.undo_action, window.redo_action]
    assert window.undo_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)
    assert window.redo_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Redo)
    assert not window.undo_action.isEnabled() and not window.redo_action.isEnabled()


def test_row_list_edits_undo_and_redo_in_the_project(qtbot, open_window, reference_project: Path) -> None:
    window = open_window(Workbench.open(reference_project))
    panel = window.row_lists
    qtbot.waitUntil(lambda: window.model.rowCount() == 9, timeout=TIMEOUT)
    ids = window.model.ids()
    first, more = ids[:3], ids[3:5]

    # Create.
    with qtbot.waitSignal(panel.saved, timeout=TIMEOUT):
        panel.save("picks", first)
    assert _stored(reference_project) == {"picks": sorted(first)}
    assert window.undo_action.text() == "&Undo Create row list “picks”"
    _trigger(qtbot, window, window.undo_action)
    assert _stored(reference_project) == {}
    assert "picks" not in panel.names()
    _trigger(qtbot, window, window.redo_action)
    assert _stored(reference_project) == {"picks": sorted(first)}
    assert panel.names() == ["picks"]

    # Add the selected rows, then remove one (the panel asks the window for its selection).
    window.table.selectRow(3)
    window.table.selectionModel().select(
        window.model.index(4, 1),
        window.table.selectionModel().SelectionFlag.Select | window.table.selectionModel().SelectionFlag.Rows,
    )
    assert sorted(window.selected_ids()) == sorted(more)
    panel.lists.setCurrentRow(0)
    with qtbot.waitSignal(panel.members_changed, timeout=TIMEOUT):
        panel.add_button.click()
    assert _stored(reference_project) == {"picks": sorted(first + more)}
    with qtbot.waitSignal(panel.members_changed, timeout=TIMEOUT):
        panel.remove_members("picks", [first[0]])
    assert _stored(reference_project) == {"picks": sorted(first[1:] + more)}
    _trigger(qtbot, window, window.undo_action)  # the removal
    assert _stored(reference_project) == {"picks": sorted(first + more)}
    _trigger(qtbot, window, window.undo_action)  # the addition
    assert _stored(reference_project) == {"picks": sorted(first)}
    _trigger(qtbot, window, window.redo_action)
    assert _stored(reference_project) == {"picks": sorted(first + more)}

    # Replace the members by saving under the same name; undo brings the old members back.
    with qtbot.waitSignal(panel.saved, timeout=TIMEOUT):
        panel.save("picks", [ids[8]])
    assert _stored(reference_project) == {"picks": [ids[8]]}
    _trigger(qtbot, window, window.undo_action)
    assert _stored(reference_project) == {"picks": sorted(first + more)}

    # Rename, and refuse a rename onto an existing name.
    with qtbot.waitSignal(panel.renamed, timeout=TIMEOUT):
        panel.rename("picks", "best picks")
    assert _stored(reference_project) == {"best picks": sorted(first + more)}
    assert panel.current_name() == "best picks"
    with qtbot.waitSignal(panel.saved, timeout=TIMEOUT):
        panel.save("other", [ids[0]])
    with qtbot.waitSignal(panel.write_failed, timeout=TIMEOUT) as blocker:
        panel.rename("other", "best picks")
    assert "exists already" in blocker.args[0] and "exists already" in panel.caption.text()
    assert _stored(reference_project) == {"best picks": sorted(first + more), "other": [ids[0]]}
    _trigger(qtbot, window, window.undo_action)  # "other" created
    _trigger(qtbot, window, window.undo_action)  # the rename
    assert _stored(reference_project) == {"picks": sorted(first + more)}
    _trigger(qtbot, window, window.redo_action)
    assert _stored(reference_project) == {"best picks": sorted(first + more)}

    # Delete (the panel's button asks first; the engine call is what it runs), undo restores the members.
    with qtbot.waitSignal(panel.deleted, timeout=TIMEOUT):
        panel.delete("best picks")
    assert _stored(reference_project) == {}
    _trigger(qtbot, window, window.undo_action)
    assert _stored(reference_project) == {"best picks": sorted(first + more)}
    assert panel.names() == ["best picks"]
    _trigger(qtbot, window, window.redo_action)
    assert _stored(reference_project) == {}
    # Many undos in a row reach the project in order: back to no lists at all, then all the way forward.
    while window.undo_stack.canUndo():
        window.undo_action.trigger()
    _settle(qtbot, window)
    assert _stored(reference_project) == {}
    while window.undo_stack.canRedo():
        window.redo_action.trigger()
    _settle(qtbot, window)
    assert _stored(reference_project) == {}  # the last step was the deletion
    window.undo_action.trigger()
    _settle(qtbot, window)
    assert _stored(reference_project) == {"best picks": sorted(first + more)}


DMSO = MixtureComponent("DMSO", 10.0, "% w/w", ComponentRole.PENETRATING, "IAZDPXIOMUYVGZ-UHFFFAOYSA-N")
EG = MixtureComponent("EG", 20.0, "% w/w", ComponentRole.PENETRATING, "LYCAIKOWRPUZTN-UHFFFAOYSA-N")


def test_draft_commands_undo_redo_and_merge(qtbot) -> None:
    holder = DraftHolder(Mixture("draft", (), "user design"))
    stack = QUndoStack()
    changes = []
    holder.changed.connect(changes.append)
    stack.push(AddComponentCommand(holder, DMSO))
    stack.push(AddComponentCommand(holder, EG))
    assert [c.name for c in holder.draft.components] == ["DMSO", "EG"]
    # Spin-box steps on one field of one component merge into a single undo step ...
    for value in (11.0, 12.0, 13.0):
        stack.push(EditComponentCommand(holder, 0, "amount", value))
    assert stack.count() == 3 and stack.undoText() == "Set amount of DMSO to 13.0"
    # ... a different field does not.
    stack.push(EditComponentCommand(holder, 0, "unit", "M"))
    stack.push(EditComponentCommand(holder, 1, "role", "non_penetrating"))
    stack.push(RemoveComponentCommand(holder, 0))
    assert holder.draft.components == (
        EG.__class__("EG", 20.0, "% w/w", ComponentRole.NON_PENETRATING, EG.inchikey),
    )
    stack.undo()  # remove
    stack.undo()  # role
    stack.undo()  # unit
    assert holder.draft.components[0] == MixtureComponent(
        "DMSO", 13.0, "% w/w", ComponentRole.PENETRATING, DMSO.inchikey
    )
    stack.undo()  # the merged amount steps
    assert holder.draft.components == (DMSO, EG)
    stack.undo()
    stack.undo()
    assert holder.draft.components == ()
    stack.push(ReplaceDraftCommand(holder, Mixture("VS55 copy", (DMSO,), "user design"), "Start from VS55"))
    assert not stack.canRedo()  # a new edit drops the undone ones
    stack.undo()
    assert holder.draft == Mixture("draft", (), "user design")
    assert len(changes) == 16  # 8 pushes (3 merged steps each emit), 6 undos, 1 push + 1 undo
