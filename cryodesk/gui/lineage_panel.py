"""The detail panel's Lineage tab: where a stored value or a prediction came from.

Top: the compound's stored values (each marked by reconciliation: the value, not chosen, the
only value; conflicting properties in red) and the models that can predict it. Below: the chain
of the picked one, oldest link first: source record → import job → standardisation version →
(for predictions) feature-set version → model version → the stored prediction, each link with its
details as children. A reconciliation step that found a conflict is shown in red.

Both lists are read by engine calls on the thread pool (:meth:`Workbench.lineage_choices`,
:meth:`Workbench.lineage_of`); the view only draws them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cryodesk.gui.worker import TaskSlot

if TYPE_CHECKING:
    from cryodesk.engine.evidence_views import LineageChoice
    from cryodesk.engine.lineage import Lineage
    from cryodesk.engine.service import Workbench

CONFLICT_COLOUR = QColor("#c62828")
MUTED_COLOUR = QColor("#808080")
CHOICE_ROLE = Qt.ItemDataRole.UserRole + 3
STAGE_NAMES = {
    "source_record": "source record",
    "import_job": "import job",
    "standardisation": "standardisation",
    "reconciliation": "reconciliation",
    "feature_set": "feature set",
    "model": "model version",
    "prediction": "prediction",
}


class LineagePanel(QWidget):
    """The Lineage tab. :meth:`load` a compound, then pick a value or prediction (or :meth:`select`)."""

    choices_loaded = Signal(str)  # InChIKey
    lineage_shown = Signal(object)  # the Lineage drawn

    def __init__(self, workbench: Callable[[], Workbench | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LineagePanel")
        self._workbench = workbench
        self.inchikey: str | None = None
        self.choices: list[LineageChoice] = []
        self.lineage: Lineage | None = None
        self.choices_slot = TaskSlot("lineage choices", parent=self)
        self.choices_slot.finished.connect(self._show_choices)
        self.choices_slot.failed.connect(lambda e: self.status.setText(f"Could not read the values: {e}"))
        self.lineage_slot = TaskSlot("lineage", parent=self)
        self.lineage_slot.finished.connect(self._show_lineage)
        self.lineage_slot.failed.connect(lambda e: self.chain_label.setText(f"Could not trace it: {e}"))

        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setObjectName("LineageChoices")
        self.list.currentRowChanged.connect(self._on_pick)
        self.chain_label = QLabel(self)
        self.chain_label.setObjectName("LineageChain")
        self.chain_label.setWordWrap(True)
        self.chain_label.setTextFormat(Qt.TextFormat.RichText)
        # A splitter pane does not grow a wrapped label by itself: keep room for subject + chain.
        self.chain_label.setMinimumHeight(self.fontMetrics().lineSpacing() * 4 + 6)
        self.chain_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("LineageTree")
        self.tree.setHeaderLabels(["Link", "Details"])
        self.tree.setColumnWidth(0, 210)
        self.tree.setWordWrap(True)

        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.chain_label)
        lower_layout.addWidget(self.tree, 1)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.list)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 4, 2, 2)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

    # -- loading -----------------------------------------------------------------------------------
    def load(self, inchikey: str) -> None:
        wb = self._workbench()
        if wb is None:
            self.status.setText("No project is open.")
            return
        self.inchikey = inchikey
        self.choices = []
        self.list.clear()
        self.tree.clear()
        self.chain_label.setText("")
        self.status.setText("Reading the values and models…")
        self.choices_slot.start(lambda _p, _c: wb.lineage_choices(inchikey), f"lineage choices {inchikey}")

    def clear(self) -> None:
        self.choices_slot.discard()
        self.lineage_slot.discard()
        self.inchikey = None
        self.choices = []
        self.list.clear()
        self.tree.clear()
        self.status.setText("")
        self.chain_label.setText("")

    def select(self, predicate: Callable[[LineageChoice], bool]) -> int:
        """Pick the first choice matching ``predicate`` (as a click would); its row, or -1."""
        for row, choice in enumerate(self.choices):
            if predicate(choice):
                self.list.setCurrentRow(row)
                return row
        return -1

    # -- drawing -----------------------------------------------------------------------------------
    def _show_choices(self, choices: list[LineageChoice]) -> None:
        self.choices = list(choices)
        self.list.blockSignals(True)
        self.list.clear()
        for choice in self.choices:
            item = QListWidgetItem(_choice_text(choice))
            item.setData(CHOICE_ROLE, choice.kind)
            item.setToolTip(_choice_tip(choice))
            if choice.conflict:
                item.setForeground(CONFLICT_COLOUR)
            elif choice.status == "not chosen":
                item.setForeground(MUTED_COLOUR)
            self.list.addItem(item)
        self.list.blockSignals(False)
        values = sum(1 for c in self.choices if c.kind == "value")
        conflicts = sum(1 for c in self.choices if c.conflict)
        warn = f" — <span style='color:#c62828'>⚠ {conflicts} in conflict</span>" if conflicts else ""
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setText(
            f"{values} stored values, {len(self.choices) - values} models. "
            f"Pick one to see the chain that produced it{warn}."
        )
        self.chain_label.setText("")
        self.tree.clear()
        if self.inchikey is not None:
            self.choices_loaded.emit(self.inchikey)

    def _on_pick(self, row: int) -> None:
        wb = self._workbench()
        if wb is None or not 0 <= row < len(self.choices) or self.inchikey is None:
            return
        choice, inchikey = self.choices[row], self.inchikey
        self.chain_label.setText("Tracing…")
        self.lineage_slot.start(lambda _p, _c: wb.lineage_of(choice, inchikey), f"lineage {choice.label}")

    def _show_lineage(self, lineage: Lineage | None) -> None:
        self.lineage = lineage
        self.tree.clear()
        if lineage is None:
            self.chain_label.setText("Nothing to trace (the value or model is gone).")
            return
        stages = " → ".join(STAGE_NAMES.get(s.stage, s.stage) for s in lineage.steps)
        self.chain_label.setText(
            f"<b>{_escape(lineage.subject)}</b><br><span style='color:gray'>{stages}</span>"
        )
        for i, step in enumerate(lineage.steps, start=1):
            conflict = bool(step.details.get("conflict")) or bool(
                step.details.get("disagrees_with_reference")
            )
            title = f"⚠ CONFLICT — {step.title}" if conflict else step.title
            # The link's title spans both columns: it is the line a reader follows down the chain.
            top = QTreeWidgetItem([f"{i}. {STAGE_NAMES.get(step.stage, step.stage)}: {title}", title])
            top.setToolTip(0, title)
            if conflict:
                top.setForeground(0, CONFLICT_COLOUR)
            for key, value in step.details.items():
                if value in (None, "", [], {}):
                    continue
                text = _detail_text(value)
                child = QTreeWidgetItem([key, text])
                child.setToolTip(1, text)
                top.addChild(child)
            self.tree.addTopLevelItem(top)
            top.setFirstColumnSpanned(True)
        self.tree.expandAll()
        self.tree.setColumnWidth(0, 150)
        self.lineage_shown.emit(lineage)


def _choice_text(choice: LineageChoice) -> str:
    if choice.kind == "prediction":
        return f"◆ {choice.label}"
    mark = "⚠ " if choice.conflict else ""
    status = f" — {choice.status}" if choice.status else ""
    conflict = " (conflicting values)" if choice.conflict else ""
    return f"{mark}{choice.label}{status}{conflict}"


def _choice_tip(choice: LineageChoice) -> str:
    if choice.kind == "prediction":
        return f"The chain from the compound's sources to model id {choice.model_id} ({choice.status})."
    return f"Stored value id {choice.value_id}; reconciliation: {choice.status or 'n/a'}" + (
        "; this property's values disagree beyond the tolerance" if choice.conflict else ""
    )


def _detail_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def _escape(text: str) -> str:
    import html

    return html.escape(text)
