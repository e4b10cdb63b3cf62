"""A scatter plot of two numeric columns of the compounds in the table, linked to the table's selection.

The plot shows the compounds the table shows (the current search and filters) that have both
values. Selecting points (drag a rectangle in selection mode, or click a point; Ctrl adds) publishes
their ids to the :class:`~cryodesk.gui.selection_hub.SelectionHub`, which selects the rows; selecting
rows highlights their points. The values are read by the engine in the background.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cryodesk.engine.service import Workbench
from cryodesk.engine.views import PlotData, TableColumn, plot_data, unit_label
from cryodesk.gui.selection_hub import SelectionHub
from cryodesk.gui.theme import plot_colours, style_plot
from cryodesk.gui.worker import ProgressFn, TaskSlot

WorkbenchRef = Callable[[], Workbench]
RELOAD_DEBOUNCE_MS = 150
DEFAULT_AXES = (("mol_weight", "tg"), ("mol_weight", "melting_point"))
POINT_SIZE = 8
HIGHLIGHT_SIZE = 11
# pyqtgraph prepares each point in Python (~5 µs a point): 100,000 points in one go would hold the GUI
# thread for half a second, so large data sets are added in chunks, one per turn of the event loop.
CHUNK_POINTS = 1500


def _selection_viewbox_class():  # pyqtgraph is imported lazily: it adds ~0.3 s to start-up
    import pyqtgraph as pg

    class SelectionViewBox(pg.ViewBox):
        """A ViewBox whose left-drag draws a selection rectangle while ``select_mode`` is on."""

        def __init__(self, on_rect: Callable[[QRectF, bool], None]) -> None:
            super().__init__()
            self.select_mode = True
            self._on_rect = on_rect
            self._band = QGraphicsRectItem()
            self._band.setPen(pg.mkPen((232, 89, 12), width=1, style=Qt.PenStyle.DashLine))
            self._band.setBrush(pg.mkBrush(232, 89, 12, 40))
            self._band.setZValue(1e9)
            self._band.hide()
            self.addItem(self._band, ignoreBounds=True)

        def mouseDragEvent(self, ev, axis=None) -> None:
            if not self.select_mode or ev.button() != Qt.MouseButton.LeftButton:
                super().mouseDragEvent(ev, axis)
                return
            ev.accept()
            start = self.mapToView(ev.buttonDownPos())
            end = self.mapToView(ev.pos())
            rect = QRectF(start, end).normalized()
            if ev.isFinish():
                self._band.hide()
                additive = bool(ev.modifiers() & Qt.KeyboardModifier.ControlModifier)
                self._on_rect(rect, additive)
            else:
                self._band.setRect(rect)
                self._band.show()

    return SelectionViewBox


class ScatterPlotView(QWidget):
    """Scatter plot dock content: axis choosers, the plot, and a line saying what is plotted."""

    data_loaded = Signal()
    highlight_changed = Signal(int)  # number of highlighted points

    def __init__(self, workbench: WorkbenchRef, hub: SelectionHub, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg

        self.setObjectName("ScatterPlotView")
        self._workbench = workbench
        self.hub = hub
        self._ids: list[int] = []
        self._id_key: int | None = None  # identifies the set of ids shown (order-independent)
        self._columns: dict[str, TableColumn] = {}
        self.data: PlotData | None = None
        self._dirty = True
        self._chunks: list[slice] = []
        self.x_box = QComboBox(self)
        self.y_box = QComboBox(self)
        for box, tip in ((self.x_box, "Column on the horizontal axis"), (self.y_box, "Column on the vertical axis")):
            box.setToolTip(tip)
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            box.currentIndexChanged.connect(self._axes_changed)
        self.select_button = QPushButton("Select", self)
        self.select_button.setCheckable(True)
        self.select_button.setChecked(True)
        self.select_button.setToolTip("Drag a rectangle to select compounds (Ctrl adds). Off: drag pans, wheel zooms.")
        self.fit_button = QPushButton("Fit", self)
        self.fit_button.setToolTip("Show all points")
        self.info = QLabel(self)
        self.info.setObjectName("ScatterInfo")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("X", self))
        bar.addWidget(self.x_box)
        bar.addWidget(QLabel("Y", self))
        bar.addWidget(self.y_box)
        bar.addWidget(self.select_button)
        bar.addWidget(self.fit_button)
        bar.addWidget(self.info, 1)

        self.viewbox = _selection_viewbox_class()(self._select_rect)
        self.plot = pg.PlotWidget(self, viewBox=self.viewbox)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.setMenuEnabled(False)
        self.points = pg.ScatterPlotItem(size=POINT_SIZE, pxMode=True, hoverable=True, tip=self._tip)
        self.highlight = pg.ScatterPlotItem(size=HIGHLIGHT_SIZE, pxMode=True)
        self.highlight.setZValue(5)
        # Clicks go through the highlight rings to the points beneath (which carry the ids): pyqtgraph
        # offers a click to every item under the cursor until one accepts it.
        self.highlight.mouseClickEvent = lambda ev: ev.ignore()
        self.plot.addItem(self.points)
        self.plot.addItem(self.highlight)
        self.points.sigClicked.connect(self._points_clicked)
        self.select_button.toggled.connect(self._set_select_mode)
        self.fit_button.clicked.connect(lambda: self.plot.enableAutoRange())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.plot, 1)
        self.apply_theme()

        self._slot = TaskSlot("scatter plot", parent=self)
        self._slot.finished.connect(self._on_data)
        self._slot.failed.connect(lambda e: self.info.setText(f"Could not read the values: {e}"))
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(RELOAD_DEBOUNCE_MS)
        self._reload_timer.timeout.connect(self.reload)
        hub.changed.connect(self._on_hub)

    @property
    def slot(self) -> TaskSlot:
        return self._slot

    @property
    def pending(self) -> bool:
        """True while the plot does not yet show the table's current rows."""
        return self._dirty or self._slot.running or self._reload_timer.isActive() or bool(self._chunks)

    # -- configuration ----------------------------------------------------------------------------
    def apply_theme(self) -> None:
        import pyqtgraph as pg

        colours = plot_colours()
        style_plot(self.plot)
        self.points.setBrush(pg.mkBrush(*colours.points))
        self.points.setPen(pg.mkPen(None))
        self.highlight.setBrush(pg.mkBrush(colours.highlight))
        self.highlight.setPen(pg.mkPen(colours.foreground, width=1))

    def set_columns(self, columns: Sequence[TableColumn]) -> None:
        """The numeric columns the axes can show; keeps the current choice when it still exists."""
        numeric = [c for c in columns if c.numeric]
        self._columns = {c.key: c for c in numeric}
        keep = (self.x_box.currentData(), self.y_box.currentData())
        for box in (self.x_box, self.y_box):
            box.blockSignals(True)
            box.clear()
            for c in numeric:
                box.addItem(c.header, c.key)
            box.blockSignals(False)
        x, y = keep if keep[0] in self._columns and keep[1] in self._columns else self._default_axes()
        self.set_axes(x, y, reload=False)
        self._dirty = True
        self._schedule()

    def _default_axes(self) -> tuple[str | None, str | None]:
        for x, y in DEFAULT_AXES:
            if x in self._columns and y in self._columns:
                return x, y
        keys = list(self._columns)
        if len(keys) >= 2:
            return keys[0], keys[1]
        return (keys[0], keys[0]) if keys else (None, None)

    def set_axes(self, x: str | None, y: str | None, reload: bool = True) -> None:
        for box, key in ((self.x_box, x), (self.y_box, y)):
            index = box.findData(key)
            if index >= 0:
                box.blockSignals(True)
                box.setCurrentIndex(index)
                box.blockSignals(False)
        if reload:
            self._axes_changed()

    def set_ids(self, ids: Sequence[int], set_key: int | None = None) -> None:
        """The compounds the table shows now; the plot follows (re-read when visible).

        ``set_key`` identifies the set of ids whatever their order (the search worker computes it, so
        re-sorting 100,000 rows costs the GUI thread nothing here); None computes it.
        """
        key = hash(frozenset(ids)) if set_key is None else set_key
        self._ids = list(ids)
        if key == self._id_key and not self._dirty:
            return  # re-sorted or refreshed without change: the points are the same
        self._id_key = key
        self._dirty = True
        self._schedule()

    def reset(self) -> None:
        self._ids = []
        self._id_key = None
        self._chunks = []
        self.data = None
        self.points.setData([], [])
        self.highlight.setData([], [])
        self.info.setText("")
        self._dirty = True

    def _axes_changed(self) -> None:
        self._chunks = []
        self._dirty = True
        self._schedule()
        self.plot.enableAutoRange()

    def _schedule(self) -> None:
        if self.isVisible():
            self._reload_timer.start()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        if self._dirty:
            self._reload_timer.start()

    # -- data -------------------------------------------------------------------------------------
    def reload(self) -> None:
        x, y = self.x_box.currentData(), self.y_box.currentData()
        if x is None or y is None:
            self.info.setText("No numeric columns to plot.")
            return
        self._dirty = False
        self._chunks = []
        workbench, ids = self._workbench, list(self._ids)

        def work(_p: ProgressFn, _c: threading.Event) -> PlotData:
            return plot_data(workbench(), ids, x, y)

        self.info.setText("reading values…")
        self._slot.start(work, f"plot {x} vs {y}")

    def _on_data(self, data: PlotData) -> None:
        self.data = data
        n = len(data.ids)
        first = min(n, CHUNK_POINTS)
        self.points.setData(x=data.x[:first], y=data.y[:first], data=data.ids[:first])
        self._chunks = [slice(i, min(n, i + CHUNK_POINTS)) for i in range(first, n, CHUNK_POINTS)]
        item = self.plot.getPlotItem()
        for axis, column in (("bottom", data.x_column), ("left", data.y_column)):
            unit = unit_label(column.unit)
            item.setLabel(axis, f"{column.label} ({unit})" if unit else column.label)
        shown = len(data.ids)
        self.info.setText(f"{shown:,} of {shown + data.n_missing:,} shown compounds have both values")
        self._update_highlight(self.hub.selected)
        if self._chunks:
            QTimer.singleShot(0, self, self._add_chunk)
        else:
            self.data_loaded.emit()

    def _add_chunk(self) -> None:
        d = self.data
        if d is None or not self._chunks:
            return
        part = self._chunks.pop(0)
        self.points.addPoints(x=d.x[part], y=d.y[part], data=d.ids[part])
        if self._chunks:
            QTimer.singleShot(0, self, self._add_chunk)
        else:
            self.data_loaded.emit()

    def _tip(self, x: float, y: float, data: object) -> str:
        name = ""
        if data is not None:
            try:
                rows = self._workbench().compound_rows([int(data)])  # one row: cheap enough for a hover
                name = (rows[0].name or rows[0].smiles) if rows else ""
            except Exception:  # a closed project must not break a hover tooltip
                name = ""
        return f"{name}\nx = {x:.4g}\ny = {y:.4g}".strip()

    # -- selection --------------------------------------------------------------------------------
    def _set_select_mode(self, on: bool) -> None:
        self.viewbox.select_mode = on
        self.viewbox.setMouseMode(self.viewbox.PanMode)

    def _select_rect(self, rect: QRectF, additive: bool) -> None:
        if self.data is None:
            return
        d = self.data
        inside = (d.x >= rect.left()) & (d.x <= rect.right()) & (d.y >= rect.top()) & (d.y <= rect.bottom())
        self.select_ids(d.ids[inside].tolist(), additive)

    def select_region(self, x0: float, x1: float, y0: float, y1: float, additive: bool = False) -> None:
        """Select the points inside a data-coordinate rectangle, as a drag would."""
        self._select_rect(QRectF(QPointF(x0, y0), QPointF(x1, y1)).normalized(), additive)

    def select_ids(self, ids: Sequence[int], additive: bool = False) -> None:
        chosen = set(ids) | (set(self.hub.selected) if additive else set())
        self.hub.set_selection(chosen, self)
        self._update_highlight(self.hub.selected)

    def _points_clicked(self, _item: object, points: Sequence[object], ev: object = None) -> None:
        if not len(points):
            return
        # Overlapping points: the one nearest the cursor is the one the user aimed at.
        where = ev.pos() if ev is not None else None  # type: ignore[attr-defined]

        def distance(p: object) -> float:
            if where is None:
                return 0.0
            pos = p.pos()  # type: ignore[attr-defined]
            return (pos.x() - where.x()) ** 2 + (pos.y() - where.y()) ** 2

        nearest = min(points, key=distance)
        additive = bool(ev is not None and ev.modifiers() & Qt.KeyboardModifier.ControlModifier)  # type: ignore[attr-defined]
        self.select_ids([int(nearest.data())], additive)  # type: ignore[attr-defined]

    def _on_hub(self, ids: frozenset[int], source: object) -> None:
        if source is not self:
            self._update_highlight(ids)

    def highlighted_ids(self) -> list[int]:
        d = self.data
        if d is None or not len(d.ids):
            return []
        return sorted(int(i) for i in d.ids[self._mask(self.hub.selected)])

    def _mask(self, ids: frozenset[int]) -> np.ndarray:
        d = self.data
        assert d is not None
        if not ids:
            return np.zeros(len(d.ids), bool)
        return np.isin(d.ids, np.fromiter(ids, np.int64, len(ids)))

    def _update_highlight(self, ids: frozenset[int]) -> None:
        d = self.data
        if d is None:
            return
        mask = self._mask(ids)
        self.highlight.setData(x=d.x[mask], y=d.y[mask])
        self.highlight_changed.emit(int(mask.sum()))
