"""Chemical-space views: Butina clusters and Murcko scaffolds of the project, each a table with drawings.

Both are computed by the engine (``views.clusters`` / ``views.scaffolds``, over the fingerprints
and structures of every compound) in the background; on a 10,000-compound library this takes a few
seconds, so the views compute on request, not on every change. Clicking a row filters the
molecules table to that cluster's or scaffold's compounds (an ``IdSubset`` for the window).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cryodesk.engine.service import Workbench
from cryodesk.engine.views import ClusterTable, IdSubset, ScaffoldGroup, clusters, scaffolds
from cryodesk.gui.depiction import DepictionCache
from cryodesk.gui.molecule_table import SMILES_ROLE, StructureDelegate
from cryodesk.gui.worker import ProgressFn, TaskSlot, show_progress

WorkbenchRef = Callable[[], Workbench]
ROW_HEIGHT = 72
STRUCTURE_WIDTH = 120
ROWS_SHOWN = 2000  # rows in the table; the long tail (singletons) is summarised in the caption
IDS_ROLE = Qt.ItemDataRole.UserRole + 10


class _ChemSpaceTable(QTableView):
    def __init__(self, depictions: DepictionCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.delegate = StructureDelegate(depictions, self)
        self.setItemDelegateForColumn(0, self.delegate)
        depictions.ready.connect(lambda _s: self.viewport().update())


class _ChemSpaceView(QWidget):
    """Shared layout: a control row, a progress bar, a caption and the table."""

    subset_chosen = Signal(object)  # IdSubset
    computed = Signal()

    kind = ""
    headers: tuple[str, ...] = ()

    def __init__(self, workbench: WorkbenchRef, depictions: DepictionCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._workbench = workbench
        self.controls = QHBoxLayout()
        self.run_button = QPushButton(self)
        self.controls.addWidget(self.run_button)
        self.controls.addStretch(1)
        self.progress = QProgressBar(self)
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.model = QStandardItemModel(0, len(self.headers), self)
        self.model.setHorizontalHeaderLabels(list(self.headers))
        self.table = _ChemSpaceTable(depictions, self)
        self.table.setModel(self.model)
        self.table.setColumnWidth(0, STRUCTURE_WIDTH)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.clicked.connect(self._row_clicked)
        self.table.activated.connect(self._row_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self.controls)
        layout.addWidget(self.progress)
        layout.addWidget(self.caption)
        layout.addWidget(self.table, 1)
        self.slot = TaskSlot(self.kind, parent=self)
        self.slot.progress.connect(self._on_progress)
        self.slot.running_changed.connect(self._on_running)
        self.slot.failed.connect(lambda e: self.caption.setText(f"Failed: {e}"))
        self.run_button.clicked.connect(self.compute)

    def compute(self) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        self.slot.discard()
        self.model.removeRows(0, self.model.rowCount())
        self.caption.setText(self.idle_text())

    def idle_text(self) -> str:
        return ""

    def _on_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.run_button.setEnabled(not running)
        if running:
            self.progress.setRange(0, 0)

    def _on_progress(self, done: int, total: int, message: str) -> None:
        show_progress(self.progress, done, total)
        if message:
            self.caption.setText(message + "…")

    def _row_clicked(self, index: QModelIndex) -> None:
        item = self.model.item(index.row(), 0)
        if item is None:
            return
        ids = item.data(IDS_ROLE)
        label = item.data(Qt.ItemDataRole.UserRole + 11)
        if ids:
            self.subset_chosen.emit(IdSubset(self.kind, label, tuple(ids)))

    def click_row(self, row: int) -> None:
        """Act as a click on ``row`` (for keyboard users and tests)."""
        index = self.model.index(row, 0)
        self.table.setCurrentIndex(index)
        self._row_clicked(index)


def _number_item(value: int) -> QStandardItem:
    item = QStandardItem()
    item.setData(value, Qt.ItemDataRole.DisplayRole)
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class ClusterView(_ChemSpaceView):
    """Butina clusters of the project with a distance cut-off; click a cluster to filter the table."""

    kind = "cluster"
    headers = ("Centroid", "Cluster", "Size", "Centroid name")

    def __init__(self, workbench: WorkbenchRef, depictions: DepictionCache, parent: QWidget | None = None) -> None:
        super().__init__(workbench, depictions, parent)
        self.setObjectName("ClusterView")
        self.result: ClusterTable | None = None
        self.run_button.setText("Cluster")
        self.run_button.setToolTip("Cluster every compound of the project (Morgan radius-2 bits, Taylor–Butina)")
        self.cutoff = QDoubleSpinBox(self)
        self.cutoff.setRange(0.05, 0.95)
        self.cutoff.setSingleStep(0.05)
        self.cutoff.setDecimals(2)
        self.cutoff.setValue(0.35)
        self.cutoff.setToolTip("Tanimoto distance cut-off: compounds closer than this to a centroid join its "
                               "cluster (0.35 = similarity ≥ 0.65)")
        self.controls.insertWidget(0, QLabel("Distance cut-off", self))
        self.controls.insertWidget(1, self.cutoff)
        self.slot.finished.connect(self._on_result)
        self.table.setColumnWidth(1, 70)
        self.table.setColumnWidth(2, 70)
        self.caption.setText(self.idle_text())

    def idle_text(self) -> str:
        return "Press Cluster to group the project's compounds by structural similarity."

    def compute(self) -> None:
        workbench, cutoff = self._workbench, round(self.cutoff.value(), 2)

        def work(progress: ProgressFn, _c: threading.Event) -> ClusterTable:
            return clusters(workbench(), cutoff, progress)

        self.caption.setText("Clustering…")
        self.slot.start(work, f"clusters at {cutoff}")

    def _on_result(self, result: ClusterTable) -> None:
        self.result = result
        self.model.removeRows(0, self.model.rowCount())
        for info in result.clusters[:ROWS_SHOWN]:
            structure = QStandardItem()
            structure.setData(info.centroid_smiles, SMILES_ROLE)
            structure.setData(list(info.member_ids), IDS_ROLE)
            structure.setData(f"{info.number} ({info.centroid_name or info.centroid_smiles})",
                              Qt.ItemDataRole.UserRole + 11)
            structure.setToolTip(info.centroid_smiles)
            name = QStandardItem(info.centroid_name or info.centroid_smiles)
            name.setToolTip(f"Centroid: {info.centroid_name or ''}\n{info.centroid_smiles}\nClick to show the "
                            f"{info.size:,} compounds of this cluster in the table")
            self.model.appendRow([structure, _number_item(info.number), _number_item(info.size), name])
        multi = len(result.clusters) - result.n_singletons
        shown = min(len(result.clusters), ROWS_SHOWN)
        failed = f"; {result.n_failed:,} compounds without a fingerprint left out" if result.n_failed else ""
        self.caption.setText(
            f"{len(result.clusters):,} clusters of {result.n_compounds:,} compounds at cut-off {result.cutoff:.2f}: "
            f"{multi:,} with two or more members, {result.n_singletons:,} singletons"
            + (f" (largest {shown:,} listed)" if shown < len(result.clusters) else "") + failed
            + ". Click a cluster to filter the table.")
        self.computed.emit()


class ScaffoldView(_ChemSpaceView):
    """Bemis–Murcko scaffolds with counts and drawings; click one to filter the table."""

    kind = "scaffold"
    headers = ("Scaffold", "Compounds", "SMILES")

    def __init__(self, workbench: WorkbenchRef, depictions: DepictionCache, parent: QWidget | None = None) -> None:
        super().__init__(workbench, depictions, parent)
        self.setObjectName("ScaffoldView")
        self.result: list[ScaffoldGroup] = []
        self.run_button.setText("Find scaffolds")
        self.run_button.setToolTip("Bemis–Murcko scaffold of every compound of the project")
        self.slot.finished.connect(self._on_result)
        self.table.setColumnWidth(1, 90)
        self.caption.setText(self.idle_text())

    def idle_text(self) -> str:
        return "Press Find scaffolds to group the project's compounds by ring system."

    def compute(self) -> None:
        workbench = self._workbench

        def work(progress: ProgressFn, _c: threading.Event) -> list[ScaffoldGroup]:
            return scaffolds(workbench(), progress)

        self.caption.setText("Finding scaffolds…")
        self.slot.start(work, "scaffolds")

    def _on_result(self, result: list[ScaffoldGroup]) -> None:
        self.result = result
        self.model.removeRows(0, self.model.rowCount())
        for group in result[:ROWS_SHOWN]:
            structure = QStandardItem()
            structure.setData(group.scaffold or None, SMILES_ROLE)
            structure.setData(list(group.ids), IDS_ROLE)
            label = group.scaffold or "acyclic"
            structure.setData(label, Qt.ItemDataRole.UserRole + 11)
            text = QStandardItem(group.scaffold or "(acyclic: no ring system)")
            text.setToolTip(f"{label}\nClick to show its {group.count:,} compounds in the table")
            self.model.appendRow([structure, _number_item(group.count), text])
        total = sum(g.count for g in result)
        shown = min(len(result), ROWS_SHOWN)
        self.caption.setText(f"{len(result):,} scaffolds over {total:,} compounds"
                             + (f" (the {shown:,} most common listed)" if shown < len(result) else "")
                             + ". Click a scaffold to filter the table.")
        self.computed.emit()
