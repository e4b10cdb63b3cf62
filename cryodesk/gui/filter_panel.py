"""Filters of the molecules table: range filters per numeric column, value filters per text column, and
the bar of active filters above the table.

A filter here only *describes* what to keep (``RangeFilter``/``TextFilter`` of the engine's views);
the engine applies it over compound ids in the window's search task, so the "N of M shown" count is
live however large the project is. Each range filter shows the column's distribution (a histogram,
read in the background) with a draggable region.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cryodesk.engine.service import Workbench
from cryodesk.engine.views import (
    ColumnSummary,
    IdSubset,
    RangeFilter,
    TableColumn,
    TextFilter,
    column_summary,
    format_number,
    unit_label,
)
from cryodesk.gui.theme import plot_colours
from cryodesk.gui.worker import ProgressFn, TaskSlot

WorkbenchRef = Callable[[], Workbench]
FILTER_DEBOUNCE_MS = 250  # dragging a range re-filters a few times a second, not on every pixel
HISTOGRAM_HEIGHT = 64


def _parse(text: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class RangeFilterRow(QFrame):
    """One numeric column: a histogram with a draggable region, and min/max boxes (empty = open)."""

    changed = Signal()
    remove_requested = Signal(object)  # self
    summary_loaded = Signal()

    def __init__(self, column: TableColumn, workbench: WorkbenchRef, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg

        self.column = column
        self._workbench = workbench
        self.summary: ColumnSummary | None = None
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("RangeFilterRow")
        title = QLabel(f"<b>{column.header}</b>", self)
        title.setToolTip(column.describe())
        remove = QToolButton(self)
        remove.setText("✕")
        remove.setAutoRaise(True)
        remove.setToolTip("Remove this filter")
        remove.clicked.connect(lambda: self.remove_requested.emit(self))
        head = QHBoxLayout()
        head.addWidget(title, 1)
        head.addWidget(remove)

        self.plot = pg.PlotWidget(self)
        self.plot.setFixedHeight(HISTOGRAM_HEIGHT)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.getPlotItem().hideAxis("left")
        self.plot.getPlotItem().hideAxis("bottom")
        self.plot.getPlotItem().setContentsMargins(0, 0, 0, 0)
        self.bars = pg.BarGraphItem(x0=[], x1=[], height=[], y0=0)
        self.plot.addItem(self.bars)
        self.region = pg.LinearRegionItem(orientation="vertical")
        self.region.setZValue(10)
        self.region.hide()
        self.plot.addItem(self.region)
        self.region.sigRegionChangeFinished.connect(self._region_moved)

        validator = QDoubleValidator(self)
        validator.setNotation(QDoubleValidator.Notation.ScientificNotation)
        self.low_edit = QLineEdit(self)
        self.high_edit = QLineEdit(self)
        for edit, what in ((self.low_edit, "minimum"), (self.high_edit, "maximum")):
            edit.setValidator(validator)
            edit.setPlaceholderText(what)
            edit.setClearButtonEnabled(True)
            edit.setToolTip(f"Keep compounds whose {column.key} is at least/most this (empty: no limit). "
                            "A compound with several values is judged by their median.")
            edit.editingFinished.connect(self._edited)
            edit.textChanged.connect(lambda text: self._edited() if not text else None)  # the clear button
        bounds = QHBoxLayout()
        bounds.addWidget(self.low_edit)
        bounds.addWidget(QLabel("–", self))
        bounds.addWidget(self.high_edit)
        unit = unit_label(column.unit)
        if unit:
            bounds.addWidget(QLabel(unit, self))
        self.info = QLabel("reading values…", self)
        self.info.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(3)
        layout.addLayout(head)
        layout.addWidget(self.plot)
        layout.addLayout(bounds)
        layout.addWidget(self.info)
        self.apply_theme()

        self._slot = TaskSlot(f"summary {column.key}", parent=self)
        self._slot.finished.connect(self._on_summary)
        self._slot.failed.connect(lambda e: self.info.setText(f"Could not read the values: {e}"))
        self.load_summary()

    def apply_theme(self) -> None:
        import pyqtgraph as pg

        colours = plot_colours()
        self.plot.setBackground(colours.background)
        self.bars.setOpts(brush=pg.mkBrush(*colours.points), pen=pg.mkPen(None))
        self.region.setBrush(pg.mkBrush(*colours.band))

    def load_summary(self) -> None:
        workbench, column = self._workbench, self.column

        def work(_p: ProgressFn, _c: threading.Event) -> ColumnSummary:
            return column_summary(workbench(), column)

        self._slot.start(work)

    def _on_summary(self, summary: ColumnSummary) -> None:
        self.summary = summary
        unit = unit_label(self.column.unit)
        if summary.n == 0 or summary.minimum is None or summary.maximum is None:
            self.info.setText("No numeric values stored.")
            self.summary_loaded.emit()
            return
        edges = summary.edges
        self.bars.setOpts(x0=edges[:-1], x1=edges[1:], height=summary.counts)
        self.plot.setXRange(float(edges[0]), float(edges[-1]), padding=0.02)
        self.plot.setYRange(0, float(max(summary.counts.max(), 1)), padding=0.05)
        self._sync_region()
        self.region.show()
        self.info.setText(f"{summary.n:,} compounds with a value, {format_number(summary.minimum)}–"
                          f"{format_number(summary.maximum)} {unit}".rstrip())
        self.summary_loaded.emit()

    def _sync_region(self) -> None:
        if self.summary is None or self.summary.minimum is None or self.summary.maximum is None:
            return
        low, high = self.bounds()
        lo = self.summary.minimum if low is None else low
        hi = self.summary.maximum if high is None else high
        self.region.blockSignals(True)
        self.region.setRegion((lo, hi))
        self.region.blockSignals(False)

    def _region_moved(self) -> None:
        if self.summary is None or self.summary.minimum is None or self.summary.maximum is None:
            return
        lo, hi = self.region.getRegion()
        span = self.summary.maximum - self.summary.minimum
        tol = span * 1e-3
        # Dragged back to the data's end: no limit on that side (so new compounds are not cut off).
        self.low_edit.setText("" if lo <= self.summary.minimum + tol else format_number(lo))
        self.high_edit.setText("" if hi >= self.summary.maximum - tol else format_number(hi))
        self.changed.emit()

    def _edited(self) -> None:
        self._sync_region()
        self.changed.emit()

    def bounds(self) -> tuple[float | None, float | None]:
        return _parse(self.low_edit.text()), _parse(self.high_edit.text())

    def set_bounds(self, low: float | None, high: float | None) -> None:
        """Set the limits as a user typing them would (emits ``changed``)."""
        self.low_edit.setText("" if low is None else repr(float(low)))
        self.high_edit.setText("" if high is None else repr(float(high)))
        self._edited()

    def range_filter(self) -> RangeFilter | None:
        low, high = self.bounds()
        return None if low is None and high is None else RangeFilter(self.column.key, low, high)


class TextFilterRow(QFrame):
    """One text column (e.g. cpa_role): tick the values to keep; none ticked = no filter."""

    changed = Signal()
    remove_requested = Signal(object)
    summary_loaded = Signal()

    def __init__(self, column: TableColumn, workbench: WorkbenchRef, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.column = column
        self._workbench = workbench
        self.setFrameShape(QFrame.Shape.StyledPanel)
        title = QLabel(f"<b>{column.header}</b>", self)
        remove = QToolButton(self)
        remove.setText("✕")
        remove.setAutoRaise(True)
        remove.setToolTip("Remove this filter")
        remove.clicked.connect(lambda: self.remove_requested.emit(self))
        head = QHBoxLayout()
        head.addWidget(title, 1)
        head.addWidget(remove)
        self.values = QListWidget(self)
        self.values.setMaximumHeight(130)
        self.values.itemChanged.connect(lambda _item: self.changed.emit())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.addLayout(head)
        layout.addWidget(self.values)
        self._slot = TaskSlot(f"values {column.key}", parent=self)
        self._slot.finished.connect(self._on_summary)
        workbench_, column_ = workbench, column
        self._slot.start(lambda _p, _c: column_summary(workbench_(), column_))

    def _on_summary(self, summary: ColumnSummary) -> None:
        self.values.blockSignals(True)
        self.values.clear()
        for text, count in summary.texts:
            item = QListWidgetItem(f"{text}  ({count:,})")
            item.setData(Qt.ItemDataRole.UserRole, text)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.values.addItem(item)
        self.values.blockSignals(False)
        self.summary_loaded.emit()

    def set_checked(self, texts: Sequence[str]) -> None:
        for i in range(self.values.count()):
            item = self.values.item(i)
            state = Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in texts else Qt.CheckState.Unchecked
            item.setCheckState(state)

    def text_filter(self) -> TextFilter | None:
        texts = tuple(self.values.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.values.count())
                      if self.values.item(i).checkState() == Qt.CheckState.Checked)
        return TextFilter(self.column.key, texts) if texts else None


class FilterPanel(QWidget):
    """The Filters dock: add a filter per column, see each column's distribution, and the live count."""

    changed = Signal()  # debounced: the filters the table should apply changed

    def __init__(self, workbench: WorkbenchRef, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("FilterPanel")
        self._workbench = workbench
        self._columns: dict[str, TableColumn] = {}
        self.rows: list[RangeFilterRow | TextFilterRow] = []
        self.column_box = QComboBox(self)
        self.column_box.setToolTip("Add a filter on this column")
        self.column_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.column_box.setMinimumContentsLength(12)
        self.add_button = QPushButton("Add filter", self)
        self.add_button.clicked.connect(lambda: self.add_filter(self.column_box.currentData()))
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setToolTip("Remove every filter")
        self.clear_button.clicked.connect(self.clear)
        top = QHBoxLayout()
        top.addWidget(self.column_box, 1)
        top.addWidget(self.add_button)
        top.addWidget(self.clear_button)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("FilterCountLabel")
        font = self.count_label.font()
        font.setBold(True)
        self.count_label.setFont(font)

        self._rows_box = QWidget(self)
        self._rows_layout = QVBoxLayout(self._rows_box)
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.addStretch(1)
        self.empty_label = QLabel("No filters. Choose a column and press <i>Add filter</i>: numeric columns get a "
                                  "range, text columns a list of values.", self._rows_box)
        self.empty_label.setWordWrap(True)
        self._rows_layout.insertWidget(0, self.empty_label)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._rows_box)
        scroll.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.count_label)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FILTER_DEBOUNCE_MS)
        self._timer.timeout.connect(self.changed)

    # -- columns ----------------------------------------------------------------------------------
    def set_columns(self, columns: Sequence[TableColumn]) -> None:
        """The columns filters can use; filters on columns that are gone are dropped."""
        self._columns = {c.key: c for c in columns}
        current = self.column_box.currentData()
        self.column_box.clear()
        for c in columns:
            if c.key in ("name", "inchikey", "formula"):
                continue  # the search box filters these
            self.column_box.addItem(c.header + ("" if c.numeric else "  [text]"), c.key)
        if current is not None:
            index = self.column_box.findData(current)
            if index >= 0:
                self.column_box.setCurrentIndex(index)
        for row in [r for r in self.rows if r.column.key not in self._columns]:
            self._remove(row, notify=False)

    def reload(self) -> None:
        """Re-read every filter's distribution (after an import or a project switch)."""
        for row in self.rows:
            if isinstance(row, RangeFilterRow):
                row.load_summary()

    def add_filter(self, key: str | None) -> RangeFilterRow | TextFilterRow | None:
        column = self._columns.get(key or "")
        if column is None:
            return None
        for row in self.rows:
            if row.column.key == key:
                return row  # one filter per column
        row: RangeFilterRow | TextFilterRow = (RangeFilterRow(column, self._workbench, self._rows_box)
                                               if column.numeric else TextFilterRow(column, self._workbench,
                                                                                    self._rows_box))
        row.changed.connect(self._timer.start)
        row.remove_requested.connect(self._remove)
        self.rows.append(row)
        self._rows_layout.insertWidget(self._rows_layout.count() - 1, row)
        self.empty_label.hide()
        return row

    def _remove(self, row: RangeFilterRow | TextFilterRow, notify: bool = True) -> None:
        had_effect = (row.range_filter() if isinstance(row, RangeFilterRow) else row.text_filter()) is not None
        self.rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        self.empty_label.setVisible(not self.rows)
        if notify and had_effect:
            self._timer.start()

    def clear(self) -> None:
        active = bool(self.range_filters() or self.text_filters())
        for row in list(self.rows):
            self._remove(row, notify=False)
        if active:
            self._timer.start()

    def row(self, key: str) -> RangeFilterRow | TextFilterRow | None:
        return next((r for r in self.rows if r.column.key == key), None)

    # -- state ------------------------------------------------------------------------------------
    def range_filters(self) -> tuple[RangeFilter, ...]:
        return tuple(f for r in self.rows if isinstance(r, RangeFilterRow) and (f := r.range_filter()) is not None)

    def text_filters(self) -> tuple[TextFilter, ...]:
        return tuple(f for r in self.rows if isinstance(r, TextFilterRow) and (f := r.text_filter()) is not None)

    def describe(self) -> str:
        parts = [f.describe(self._columns.get(f.key)) for f in self.range_filters()]
        parts += [f"{f.key} = {' or '.join(f.texts)}" for f in self.text_filters()]
        return "; ".join(parts)

    def set_count(self, shown: int, total: int) -> None:
        self.count_label.setText(f"{shown:,} of {total:,} shown")


class FilterChip(QFrame):
    """A rounded label with a remove button, for one active filter."""

    removed = Signal(str)  # kind

    def __init__(self, kind: str, text: str, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setObjectName("FilterChip")
        self.setStyleSheet("#FilterChip { border: 1px solid palette(mid); border-radius: 9px;"
                           " background: palette(alternate-base); }")
        self.label = QLabel(text, self)
        self.label.setToolTip(tooltip)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Remove this filter")
        close.clicked.connect(lambda: self.removed.emit(self.kind))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 2, 0)
        layout.setSpacing(2)
        layout.addWidget(self.label)
        layout.addWidget(close)


KIND_TITLES = {"structure": "Structure", "cluster": "Cluster", "scaffold": "Scaffold", "row_list": "Row list",
               "selection": "Selection", "filters": "Filters"}


class ActiveFiltersBar(QWidget):
    """Above the table: every active subset (structure search, cluster, scaffold, row list) as a chip.

    One subset per kind: a new substructure search replaces the previous one; subsets of different
    kinds combine (the table shows compounds in all of them). The range/value filters of the Filters
    dock are summarised in one chip whose ✕ clears them.
    """

    changed = Signal()
    filters_cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ActiveFiltersBar")
        self._subsets: dict[str, IdSubset] = {}
        self._filters_text = ""
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 2, 0, 2)
        self._layout.setSpacing(6)
        self._clear_all = QToolButton(self)
        self._clear_all.setText("Clear all")
        self._clear_all.setAutoRaise(True)
        self._clear_all.clicked.connect(self.clear)
        self._rebuild()

    def subsets(self) -> tuple[IdSubset, ...]:
        return tuple(self._subsets.values())

    def subset(self, kind: str) -> IdSubset | None:
        return self._subsets.get(kind)

    def set_subset(self, subset: IdSubset) -> None:
        self._subsets.pop(subset.kind, None)  # re-inserted last: the newest ordered subset sets the order
        self._subsets[subset.kind] = subset
        self._rebuild()
        self.changed.emit()

    def remove(self, kind: str) -> None:
        if kind == "filters":
            self.filters_cleared.emit()
            return
        if self._subsets.pop(kind, None) is not None:
            self._rebuild()
            self.changed.emit()

    def clear(self) -> None:
        had = bool(self._subsets)
        self._subsets.clear()
        if self._filters_text:
            self.filters_cleared.emit()
        self._rebuild()
        if had:
            self.changed.emit()

    def reset(self) -> None:
        """Forget every subset without signalling (a new project: old ids mean nothing)."""
        self._subsets.clear()
        self._filters_text = ""
        self._rebuild()

    def set_filters_text(self, text: str) -> None:
        if text != self._filters_text:
            self._filters_text = text
            self._rebuild()

    def chips(self) -> list[FilterChip]:
        return [w for w in self.findChildren(FilterChip) if w.parent() is self]

    def _rebuild(self) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            widget = item.widget()
            if widget is not None and widget is not self._clear_all:
                widget.deleteLater()
        for subset in self._subsets.values():
            title = KIND_TITLES.get(subset.kind, subset.kind)
            text = f"{title}: {_elide(subset.label)} ({len(subset.ids):,})"
            chip = FilterChip(subset.kind, text, f"{title}: {subset.label}\n{len(subset.ids):,} compounds", self)
            chip.removed.connect(self.remove)
            self._layout.addWidget(chip)
        if self._filters_text:
            chip = FilterChip("filters", f"Filters: {_elide(self._filters_text, 60)}", self._filters_text, self)
            chip.removed.connect(self.remove)
            self._layout.addWidget(chip)
        active = bool(self._subsets) or bool(self._filters_text)
        if active:
            self._layout.addWidget(self._clear_all)
        self._layout.addStretch(1)
        self._clear_all.setVisible(active)
        self.setVisible(active)


def _elide(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
