"""Undo/redo of user edits: command objects on a ``QUndoStack``.

Two kinds of edits are undoable:

* the mixture designer's draft (add/remove a component, change its amount, unit or role, start from a
  reference or from scratch): in-memory, so a command swaps the draft before/after on a
  :class:`DraftHolder`;
* row lists in the project (create/replace, delete, rename, add/remove members): stored, so a command's
  undo/redo are engine writes run by a :class:`SerialEngineQueue` — in the order they were asked for,
  off the GUI thread. Their first ``redo`` is the write already done when the command was pushed (the
  write reads the state it replaces in the same task, which the command needs for its undo).

* manual property values (add, edit, delete in the detail panel): stored, so a :class:`ManualValueCommand`
  swaps one stored value for another through the engine (:mod:`cryodesk.gui.manual_value_dialog`), with
  the same "first redo is the write already done" rule as row lists.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QUndoCommand

from cryodesk.domain import ComponentRole, Mixture, MixtureComponent
from cryodesk.engine.mixture_design import unit_label, with_component
from cryodesk.gui.worker import EngineTask, TaskFn

log = logging.getLogger(__name__)

# Command ids for mergeWith: consecutive changes of one field of one component (spin-box steps) are one step.
_EDIT_COMPONENT_ID = 1001


class DraftHolder(QObject):
    """The designer's current draft; commands replace it, views listen to ``changed``."""

    changed = Signal(object)  # Mixture

    def __init__(self, draft: Mixture, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._draft = draft

    @property
    def draft(self) -> Mixture:
        return self._draft

    def set_draft(self, draft: Mixture) -> None:
        if draft != self._draft:
            self._draft = draft
            self.changed.emit(draft)


class DraftCommand(QUndoCommand):
    """Replaces the draft by ``after``; undo restores ``before``."""

    def __init__(self, holder: DraftHolder, after: Mixture, text: str) -> None:
        super().__init__(text)
        self.holder = holder
        self.before = holder.draft
        self.after = after

    def redo(self) -> None:
        self.holder.set_draft(self.after)

    def undo(self) -> None:
        self.holder.set_draft(self.before)


class ReplaceDraftCommand(DraftCommand):
    """Start from a reference mixture, from scratch, or rename the draft."""


class AddComponentCommand(DraftCommand):
    def __init__(self, holder: DraftHolder, component: MixtureComponent, index: int | None = None) -> None:
        super().__init__(holder, with_component(holder.draft, component, index), f"Add {component.name}")


class RemoveComponentCommand(DraftCommand):
    def __init__(self, holder: DraftHolder, index: int) -> None:
        parts = list(holder.draft.components)
        removed = parts.pop(index)
        super().__init__(holder, replace(holder.draft, components=tuple(parts)), f"Remove {removed.name}")


class EditComponentCommand(DraftCommand):
    """Change the amount, unit or role of component ``index``."""

    FIELDS = ("amount", "unit", "role")

    def __init__(self, holder: DraftHolder, index: int, field: str, value: Any) -> None:
        if field not in self.FIELDS:
            raise ValueError(f"field {field!r} is not one of {self.FIELDS}")
        if field == "role":
            value = ComponentRole(value)
        parts = list(holder.draft.components)
        parts[index] = replace(parts[index], **{field: value})
        shown = unit_label(value) if field == "unit" else value.value if field == "role" else value
        super().__init__(
            holder,
            replace(holder.draft, components=tuple(parts)),
            f"Set {field} of {parts[index].name} to {shown}",
        )
        self.index, self.field = index, field

    def id(self) -> int:
        return _EDIT_COMPONENT_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        # Stepping a spin box gives one command per step; one undo should take back the whole change.
        if not isinstance(other, EditComponentCommand) or (other.index, other.field) != (
            self.index,
            self.field,
        ):
            return False
        if other.before != self.after:
            return False
        self.after = other.after
        self.setText(other.text())
        return True


# -- row lists ----------------------------------------------------------------------------------------

RowListOp = tuple[str, str, tuple[int, ...]]  # ("save", name, ids) or ("delete", name, ())


class SerialEngineQueue(QObject):
    """Runs engine writes one after the other, in the order submitted, on a private one-thread pool.

    Unlike a view's TaskSlot (a new task supersedes the old), nothing here is dropped: an undo followed at
    once by a redo must reach the project in that order.
    """

    finished = Signal(str, object)  # label, result
    failed = Signal(str, str)  # label, error
    idle = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._waiting: deque[tuple[TaskFn, str]] = deque()
        self._running: EngineTask | None = None

    @property
    def busy(self) -> bool:
        return self._running is not None or bool(self._waiting)

    def submit(self, fn: TaskFn, label: str) -> None:
        self._waiting.append((fn, label))
        if self._running is None:
            self._next()

    def _next(self) -> None:
        if not self._waiting:
            self.idle.emit()
            return
        fn, label = self._waiting.popleft()
        task = EngineTask(fn, label)
        queued = Qt.ConnectionType.QueuedConnection
        task.signals.finished.connect(self._on_finished, queued)
        task.signals.failed.connect(self._on_failed, queued)
        self._running = task
        self._pool.start(task)

    @Slot(object)
    def _on_finished(self, result: object) -> None:
        label = self._running.name if self._running else ""
        self._running = None
        self.finished.emit(label, result)
        self._next()

    @Slot(str)
    def _on_failed(self, error: str) -> None:
        label = self._running.name if self._running else ""
        self._running = None
        self.failed.emit(label, error)
        self._next()

    def wait_done(self, timeout_ms: int = 30_000) -> bool:
        """Block until every write is done (shutdown only: the GUI thread must not wait otherwise)."""
        return self._pool.waitForDone(timeout_ms)


class RowListCommand(QUndoCommand):
    """A stored row-list change: ``redo_ops`` make it, ``undo_ops`` take it back.

    The first ``redo`` (called by ``QUndoStack.push``) does nothing when ``done`` is True, because the
    panel pushes the command after its write has landed.
    """

    def __init__(
        self,
        apply: Callable[[Sequence[RowListOp], str], None],
        text: str,
        redo_ops: Sequence[RowListOp],
        undo_ops: Sequence[RowListOp],
        done: bool = True,
    ) -> None:
        super().__init__(text)
        self._apply = apply
        self.redo_ops = tuple(redo_ops)
        self.undo_ops = tuple(undo_ops)
        self._skip_first_redo = done

    def redo(self) -> None:
        if self._skip_first_redo:
            self._skip_first_redo = False
            return
        self._apply(self.redo_ops, f"Redo {self.text()}")

    def undo(self) -> None:
        self._apply(self.undo_ops, f"Undo {self.text()}")


def save_row_list_command(
    apply: Callable[[Sequence[RowListOp], str], None],
    name: str,
    before: Sequence[int] | None,
    after: Sequence[int],
) -> RowListCommand:
    """Create (``before`` None) or replace the members of a row list."""
    undo: list[RowListOp] = [("delete", name, ())] if before is None else [("save", name, tuple(before))]
    text = f"{'Create' if before is None else 'Replace'} row list “{name}”"
    return RowListCommand(apply, text, [("save", name, tuple(after))], undo)


def delete_row_list_command(
    apply: Callable[[Sequence[RowListOp], str], None], name: str, members: Sequence[int]
) -> RowListCommand:
    return RowListCommand(
        apply, f"Delete row list “{name}”", [("delete", name, ())], [("save", name, tuple(members))]
    )


def rename_row_list_command(
    apply: Callable[[Sequence[RowListOp], str], None], old: str, new: str, members: Sequence[int]
) -> RowListCommand:
    ids = tuple(members)
    return RowListCommand(
        apply,
        f"Rename row list “{old}” to “{new}”",
        [("save", new, ids), ("delete", old, ())],
        [("save", old, ids), ("delete", new, ())],
    )


def change_members_command(
    apply: Callable[[Sequence[RowListOp], str], None],
    name: str,
    before: Sequence[int],
    after: Sequence[int],
    added: bool,
) -> RowListCommand:
    changed = abs(len(after) - len(before))
    verb = "Add" if added else "Remove"
    text = f"{verb} {changed:,} compound{'s' if changed != 1 else ''} {'to' if added else 'from'} “{name}”"
    return RowListCommand(apply, text, [("save", name, tuple(after))], [("save", name, tuple(before))])


# -- manual property values ---------------------------------------------------------------------------


class ManualValueCommand(QUndoCommand):
    """A manual value change: redo stores ``after`` in place of ``before``; undo swaps them back.

    ``apply(old, new, label)`` runs the swap off the GUI thread (either side may be None: an add or a
    delete). The first ``redo`` is skipped when ``done``: the write landed before the command was pushed.
    """

    def __init__(
        self,
        apply: Callable[[Any, Any, str], None],
        text: str,
        before: Any,
        after: Any,
        done: bool = True,
    ) -> None:
        super().__init__(text)
        self._apply = apply
        self.before, self.after = before, after
        self._skip_first_redo = done

    def redo(self) -> None:
        if self._skip_first_redo:
            self._skip_first_redo = False
            return
        self._apply(self.before, self.after, f"Redo {self.text()}")

    def undo(self) -> None:
        self._apply(self.after, self.before, f"Undo {self.text()}")
