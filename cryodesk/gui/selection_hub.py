"""The one selection shared by every linked view (glue's "subset through a message hub").

Views never talk to each other about selections: the molecules table, the scatter plot and any later
view publish the compound ids the user selected to the hub, and listen to it for selections made
elsewhere. The ``source`` passed with a change lets a view ignore its own echo.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QObject, Signal


class SelectionHub(QObject):
    """Holds the selected compound ids; emits ``changed(ids, source)`` when they change."""

    changed = Signal(object, object)  # frozenset[int], the object that made the change (or None)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids: frozenset[int] = frozenset()

    @property
    def selected(self) -> frozenset[int]:
        return self._ids

    def set_selection(self, ids: Iterable[int], source: object = None) -> bool:
        """Publish a new selection; False (and no signal) when it equals the current one."""
        new = frozenset(ids)
        if new == self._ids:
            return False
        self._ids = new
        self.changed.emit(new, source)
        return True

    def clear(self, source: object = None) -> None:
        self.set_selection((), source)
