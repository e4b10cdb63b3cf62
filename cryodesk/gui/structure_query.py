"""The structure query box: SMILES/SMARTS entry with a live drawing, substructure and similarity search.

While the user types, the engine parses and draws the query in the background (debounced), and an
invalid query is explained in words ("SMILES parse error: ... around position 5"). A search runs in
the background too and hands the hits to the window as an ``IdSubset``, which filters the table
(similarity hits in order of similarity). Moving the similarity threshold re-runs the search.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from cryodesk.engine.service import Workbench
from cryodesk.engine.views import (
    IdSubset,
    QueryPreview,
    SimilarityResult,
    preview_query,
    similar,
    substructure_ids,
)
from cryodesk.gui.theme import is_dark
from cryodesk.gui.worker import ProgressFn, TaskSlot

WorkbenchRef = Callable[[], Workbench]
PREVIEW_DEBOUNCE_MS = 200
THRESHOLD_DEBOUNCE_MS = 300
PREVIEW_SIZE = (280, 170)
MODES = (("Auto", "auto"), ("SMILES", "smiles"), ("SMARTS", "smarts"))
SUBSTRUCTURE = "substructure"
SIMILARITY = "similarity"


class StructureQueryPanel(QWidget):
    """Dock content for structure searches; emits ``subset_ready`` with the hits, ``cleared`` on Clear."""

    subset_ready = Signal(object)  # IdSubset
    cleared = Signal()
    preview_shown = Signal(object)  # QueryPreview
    search_failed = Signal(str)

    def __init__(self, workbench: WorkbenchRef, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StructureQueryPanel")
        self._workbench = workbench
        self.preview: QueryPreview | None = None
        self.query_edit = QLineEdit(self)
        self.query_edit.setObjectName("StructureQueryEdit")
        self.query_edit.setPlaceholderText("SMILES or SMARTS, e.g. OCC(O)CO or [OX2H][CX4]")
        self.query_edit.setClearButtonEnabled(True)
        self.mode_box = QComboBox(self)
        for label, mode in MODES:
            self.mode_box.addItem(label, mode)
        self.mode_box.setToolTip("Auto reads valid SMILES as SMILES and anything else as SMARTS")
        entry = QHBoxLayout()
        entry.addWidget(self.query_edit, 1)
        entry.addWidget(self.mode_box)

        self.drawing = QLabel(self)
        self.drawing.setObjectName("QueryDrawing")
        self.drawing.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drawing.setMinimumSize(*PREVIEW_SIZE)
        self.drawing.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.drawing.setFrameShape(QFrame.Shape.StyledPanel)
        self.message = QLabel(self)
        self.message.setObjectName("QueryMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        # Docks do not honour a wrapped label's height-for-width: reserve room for a long explanation.
        self.message.setMinimumHeight(self.fontMetrics().lineSpacing() * 4 + 4)

        self.substructure_radio = QRadioButton("Substructure", self)
        self.similarity_radio = QRadioButton("Similarity", self)
        self.substructure_radio.setChecked(True)
        self.kind_group = QButtonGroup(self)
        self.kind_group.addButton(self.substructure_radio)
        self.kind_group.addButton(self.similarity_radio)
        self.threshold = QSlider(Qt.Orientation.Horizontal, self)
        self.threshold.setRange(10, 100)
        self.threshold.setSingleStep(5)
        self.threshold.setPageStep(10)
        self.threshold.setValue(70)
        self.threshold.setToolTip("Minimum Tanimoto similarity (Morgan radius-2 bits)")
        self.threshold_label = QLabel(self)
        self.threshold_label.setMinimumWidth(48)
        self.search_button = QPushButton("Search", self)
        self.search_button.setDefault(True)
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setToolTip("Remove the structure filter from the table")
        self.result_label = QLabel(self)
        self.result_label.setObjectName("QueryResult")
        self.result_label.setWordWrap(True)
        self.result_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.result_label.setMinimumHeight(self.fontMetrics().lineSpacing() * 3 + 4)

        grid = QGridLayout()
        grid.addWidget(self.substructure_radio, 0, 0)
        grid.addWidget(self.similarity_radio, 1, 0)
        grid.addWidget(self.threshold, 1, 1)
        grid.addWidget(self.threshold_label, 1, 2)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.search_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(entry)
        layout.addWidget(self.drawing)
        layout.addWidget(self.message)
        layout.addLayout(grid)
        layout.addLayout(buttons)
        layout.addWidget(self.result_label)
        layout.addStretch(1)

        self.preview_slot = TaskSlot("query preview", parent=self)
        self.search_slot = TaskSlot("structure search", parent=self)
        self.preview_slot.finished.connect(self._on_preview)
        self.search_slot.finished.connect(self._on_hits)
        self.search_slot.failed.connect(self._on_search_failed)
        self.search_slot.running_changed.connect(lambda r: self.search_button.setEnabled(not r))
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DEBOUNCE_MS)
        self._preview_timer.timeout.connect(self.update_preview)
        self._threshold_timer = QTimer(self)
        self._threshold_timer.setSingleShot(True)
        self._threshold_timer.setInterval(THRESHOLD_DEBOUNCE_MS)
        self._threshold_timer.timeout.connect(self._threshold_settled)
        self.query_edit.textChanged.connect(lambda _t: self._preview_timer.start())
        self.query_edit.returnPressed.connect(self.search)
        self.mode_box.currentIndexChanged.connect(lambda _i: self._preview_timer.start())
        self.threshold.valueChanged.connect(self._threshold_moved)
        self.similarity_radio.toggled.connect(self._kind_changed)
        self.search_button.clicked.connect(self.search)
        self.clear_button.clicked.connect(self.clear)
        self._active_kind: str | None = None  # the kind of the search whose hits filter the table
        self._threshold_moved(self.threshold.value())
        self._kind_changed(False)
        self._show_preview(None)

    # -- state -------------------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return SIMILARITY if self.similarity_radio.isChecked() else SUBSTRUCTURE

    @property
    def mode(self) -> str:
        return str(self.mode_box.currentData())

    @property
    def min_similarity(self) -> float:
        return self.threshold.value() / 100.0

    def reset(self) -> None:
        self.search_slot.discard()
        self._active_kind = None
        self.result_label.clear()

    # -- preview -----------------------------------------------------------------------------------
    def update_preview(self) -> None:
        self._preview_timer.stop()
        text, mode, dark = self.query_edit.text(), self.mode, is_dark()
        width, height = PREVIEW_SIZE
        dpr = self.devicePixelRatioF()

        def work(_p: ProgressFn, _c: threading.Event) -> QueryPreview:
            return preview_query(text, round(width * dpr), round(height * dpr), mode, dark)

        self.preview_slot.start(work, "query preview")

    def _on_preview(self, preview: QueryPreview) -> None:
        if preview.text != self.query_edit.text().strip():
            return  # typed on meanwhile; the next preview is on its way
        self._show_preview(preview)

    def _show_preview(self, preview: QueryPreview | None) -> None:
        self.preview = preview
        if preview is None or not preview.text:
            self.drawing.setPixmap(QPixmap())
            self.drawing.setText("The query is drawn here as you type.")
            self.message.setText("Type a SMILES (e.g. OCC(O)CO) or a SMARTS (e.g. [OX2H][CX4]).")
            self.message.setStyleSheet("")
        else:
            pixmap = QPixmap()
            if preview.png and pixmap.loadFromData(preview.png, "PNG"):
                pixmap.setDevicePixelRatio(self.devicePixelRatioF())
                self.drawing.setPixmap(pixmap)
            else:
                self.drawing.setPixmap(QPixmap())
                self.drawing.setText("(cannot draw)" if preview.valid else "")
            self.message.setText(preview.message)
            self.message.setStyleSheet("" if preview.valid else "color: #c92a2a;")
        self._update_buttons()
        if preview is not None:
            self.preview_shown.emit(preview)

    def _update_buttons(self) -> None:
        p = self.preview
        ok = p is not None and p.valid and (self.kind == SUBSTRUCTURE or p.similarity_ok)
        self.search_button.setEnabled(bool(ok) and not self.search_slot.running)
        if p is not None and p.valid and self.kind == SIMILARITY and not p.similarity_ok:
            self.message.setText("Similarity search needs a molecule (SMILES), not a SMARTS pattern.")
            self.message.setStyleSheet("color: #c92a2a;")

    # -- searching -----------------------------------------------------------------------------------
    def _kind_changed(self, _on: bool) -> None:
        similarity = self.kind == SIMILARITY
        self.threshold.setEnabled(similarity)
        self.threshold_label.setEnabled(similarity)
        if self.preview is not None:
            self._show_preview(self.preview)

    def _threshold_moved(self, value: int) -> None:
        self.threshold_label.setText(f"≥ {value / 100:.2f}")
        if self._active_kind == SIMILARITY:
            self._threshold_timer.start()  # the table follows the slider once it settles

    def _threshold_settled(self) -> None:
        if self._active_kind == SIMILARITY and self.kind == SIMILARITY:
            self.search()

    def search(self) -> None:
        """Run the query now (in the background); the hits arrive as ``subset_ready``."""
        text = self.query_edit.text().strip()
        if not text:
            return
        kind, mode, threshold, workbench = self.kind, self.mode, self.min_similarity, self._workbench

        def work(_p: ProgressFn, _c: threading.Event) -> IdSubset:
            wb = workbench()
            if kind == SIMILARITY:
                result: SimilarityResult = similar(wb, text, threshold)
                best = f", best {result.scores[0]:.2f}" if result.scores else ""
                return IdSubset("structure", f"similar to {text} ≥ {threshold:.2f}{best}", result.ids, ordered=True)
            return IdSubset("structure", f"contains {text}", tuple(substructure_ids(wb, text, mode)))

        self.result_label.setText("Searching…")
        self.search_slot.start(work, f"{kind} search {text!r}")

    def _on_hits(self, subset: IdSubset) -> None:
        self._active_kind = self.kind
        n = len(subset.ids)
        self.result_label.setText(f"{n:,} compound{'s' if n != 1 else ''} {subset.label}. "
                                  "The table shows them (with its other filters).")
        self.subset_ready.emit(subset)

    def _on_search_failed(self, error: str) -> None:
        self.result_label.setText(f"Search failed: {error}")
        self.search_failed.emit(error)

    def clear(self) -> None:
        self.search_slot.discard()
        self._active_kind = None
        self.result_label.clear()
        self.cleared.emit()
