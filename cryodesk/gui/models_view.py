"""The Predictions and models page: registered models, how well they predict, why, and how they serve.

Left: the registry's versions with their held-out and CV metrics, promote / roll back, and the
monitoring panel of the selected version. Right: predicted vs measured on the held-out rows of the
version's split (a regressor) or its ROC curve with the held-out probabilities by class (a
classifier), the permutation importance of its features, and the explanation of the compound
selected anywhere in the window. Points are linked to the molecules table through the
:class:`~cryodesk.gui.selection_hub.SelectionHub`: clicking one selects that compound's row, selecting
rows rings their points.

Every number comes from :mod:`cryodesk.engine.model_views`, called on pool threads (one
:class:`~cryodesk.gui.worker.TaskSlot` per kind of read); training runs in a child process through
:func:`cryodesk.gui.job_process.run_in_process`, so the window keeps its interpreter to itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cryodesk.domain import JobState
from cryodesk.engine.model_views import (
    Explanation,
    FeatureImportanceRow,
    HeldOutPredictions,
    ModelEntry,
    ModelViews,
    feature_set_choices,
    model_list,
    train_in_child,
    trainable_targets,
    warm_in_child,
)
from cryodesk.engine.service import Workbench
from cryodesk.engine.training import TrainRequest
from cryodesk.gui.job_process import run_in_process
from cryodesk.gui.monitor_panel import MonitorPanel
from cryodesk.gui.selection_hub import SelectionHub
from cryodesk.gui.theme import plot_colours, style_plot
from cryodesk.gui.worker import ProgressFn, TaskSlot, show_progress

log = logging.getLogger(__name__)

WorkbenchRef = Callable[[], Workbench]
MONITOR_REFRESH_MS = 2000
POINT_SIZE = 7
HIGHLIGHT_SIZE = 12
COLUMNS = ("Model", "Ver", "Status", "Task", "Rows", "Held-out", "CV", "Created")
METRIC_LABELS = {"rmse": "RMSE", "roc_auc": "ROC-AUC", "r2": "R²"}


def _metric_text(name: str, value: float | None) -> str:
    return "–" if value is None else f"{METRIC_LABELS.get(name, name)} {value:.3f}"


class _HorizontalBars(QWidget):
    """A titled horizontal bar chart (feature importance, contributions): names on the left axis."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg

        self.plot = pg.PlotWidget(self)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setTitle(title, size="9pt")
        left = self.plot.getPlotItem().getAxis("left")
        left.setWidth(175)
        # pyqtgraph drops a tick label that is wider than the axis or fills it beyond 80 %: names are
        # shortened to fit the width, and the fill limit is lifted, so every bar keeps its name.
        left.setStyle(textFillLimits=[(0, 1.0)])
        self.bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.7)
        self.plot.addItem(self.bars)
        self.names: list[str] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    def show_values(self, names: list[str], values: list[float], colours: list[Any] | None = None) -> None:
        import pyqtgraph as pg

        # Largest at the top: pyqtgraph's y grows upwards, so the first name goes highest.
        n = len(names)
        ys = [n - 1 - i for i in range(n)]
        vals = np.asarray(values, np.float64)
        x0 = np.minimum(vals, 0.0)
        widths = np.abs(vals)
        brushes = [pg.mkBrush(c) for c in colours] if colours else None
        self.bars.setOpts(x0=x0, y=ys, width=widths, height=0.7, brushes=brushes)
        self.names = list(names)
        axis = self.plot.getPlotItem().getAxis("left")
        axis.setTicks([[(y, _short(name)) for y, name in zip(ys, names, strict=True)]])
        if n:
            self.plot.setXRange(
                min(0.0, float(vals.min())), max(0.0, float(vals.max())) or 1e-9, padding=0.05
            )
            self.plot.setYRange(-0.6, n - 0.4, padding=0)

    def clear(self) -> None:
        self.show_values([], [])

    def apply_theme(self) -> None:
        import pyqtgraph as pg

        colours = plot_colours()
        style_plot(self.plot)
        self.bars.setOpts(brush=pg.mkBrush(*colours.points), pen=pg.mkPen(None))


def _short(name: str, limit: int = 21) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


class ModelsView(QWidget):
    """The Predictions and models page (see the module docstring)."""

    models_loaded = Signal(int)
    held_out_loaded = Signal(object)  # HeldOutPredictions
    importance_loaded = Signal(object)  # list[FeatureImportanceRow]
    explanation_loaded = Signal(object)  # Explanation
    monitor_loaded = Signal(object)  # dict
    training_finished = Signal(object)  # the child's result dict, or an error string
    action_done = Signal(str)
    warmup_finished = Signal(object)

    # Training runs in a child process (see job_process); False runs it on a pool thread (debugging).
    train_in_child_process = True

    def __init__(self, workbench: WorkbenchRef, hub: SelectionHub, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ModelsView")
        self._workbench = workbench
        self.hub = hub
        self._views: ModelViews | None = None
        self._views_wb: Workbench | None = None
        self.entries: list[ModelEntry] = []
        self.held: HeldOutPredictions | None = None
        self.importance: list[FeatureImportanceRow] = []
        self.explanation: Explanation | None = None
        self._select_after_load: int | None = None
        self._explained_id: int | None = None
        self.last_request: TrainRequest | None = None
        self.last_dialog: Any = None
        self._pending_status: str | None = None

        self.list_slot = TaskSlot("model list", parent=self)
        self.held_slot = TaskSlot("held-out predictions", parent=self)
        self.importance_slot = TaskSlot("feature importance", parent=self)
        self.explain_slot = TaskSlot("explanation", parent=self)
        self.monitor_slot = TaskSlot("monitor", parent=self)
        self.action_slot = TaskSlot("model action", parent=self)
        # The training relay waits on its child for minutes: it gets a thread of its own.
        self.train_pool = QThreadPool(self)
        self.train_pool.setMaxThreadCount(1)
        self.train_slot = TaskSlot("training", pool=self.train_pool, parent=self)
        self.warm_pool = QThreadPool(self)
        self.warm_pool.setMaxThreadCount(1)
        self.warm_slot = TaskSlot("prediction warm-up", pool=self.warm_pool, parent=self)
        self._build()
        self._connect()
        self.apply_theme()

    # -- construction ------------------------------------------------------------------------------------
    def _build(self) -> None:
        import pyqtgraph as pg

        self.train_button = QPushButton("Train model…", self)
        self.train_button.setObjectName("TrainModelButton")
        self.refresh_button = QPushButton("Refresh", self)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("TrainProgress")
        self.progress.setMaximumWidth(260)
        self.progress.hide()
        self.status = QLabel(self)
        self.status.setObjectName("ModelsStatus")
        self.cancel_button = QPushButton("Cancel training", self)
        self.cancel_button.hide()
        top = QHBoxLayout()
        for w in (self.train_button, self.refresh_button, self.progress):
            top.addWidget(w)
        top.addWidget(self.status, 1)
        top.addWidget(self.cancel_button)

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("ModelTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.promote_button = QPushButton("Promote", self)
        self.promote_button.setObjectName("PromoteButton")
        self.rollback_button = QPushButton("Roll back", self)
        self.rollback_button.setObjectName("RollbackButton")
        self.promote_button.setToolTip("Make this version the one used by name (predictions, screening)")
        self.rollback_button.setToolTip("Promote again the version that was promoted before this one")
        actions = QHBoxLayout()
        actions.addWidget(self.promote_button)
        actions.addWidget(self.rollback_button)
        self.warm_button = QPushButton("Predict library", self)
        self.warm_button.setObjectName("WarmButton")
        self.warm_button.setToolTip(
            "Predict every compound with this version into the project's cache (background)"
        )
        actions.addWidget(self.warm_button)
        actions.addStretch(1)
        self.monitor = MonitorPanel(self)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 3)
        left_layout.addLayout(actions)
        left_layout.addWidget(self.monitor, 2)

        self.metrics_label = QLabel("Select a model.", self)
        self.metrics_label.setObjectName("HeldOutMetrics")
        self.metrics_label.setWordWrap(True)
        self.perf_plot = pg.PlotWidget(self)
        self.perf_plot.setObjectName("PerformancePlot")
        self.perf_plot.setMenuEnabled(False)
        self.perf_plot.showGrid(x=True, y=True, alpha=0.15)
        self.points = pg.ScatterPlotItem(size=POINT_SIZE, pxMode=True, hoverable=True, tip=self._tip)
        self.highlight = pg.ScatterPlotItem(size=HIGHLIGHT_SIZE, pxMode=True)
        self.highlight.setZValue(5)
        self.highlight.mouseClickEvent = lambda ev: ev.ignore()  # clicks reach the points beneath
        self.identity = pg.PlotDataItem()
        self.roc_line = pg.PlotDataItem()
        for item in (self.identity, self.roc_line, self.points, self.highlight):
            self.perf_plot.addItem(item)
        # A classifier's held-out probabilities by measured class (the clickable, linked view of it).
        self.strip_plot = pg.PlotWidget(self)
        self.strip_plot.setObjectName("ProbabilityStrip")
        self.strip_plot.setMenuEnabled(False)
        self.strip_points = pg.ScatterPlotItem(size=POINT_SIZE, pxMode=True, hoverable=True, tip=self._tip)
        self.strip_highlight = pg.ScatterPlotItem(size=HIGHLIGHT_SIZE, pxMode=True)
        self.strip_highlight.setZValue(5)
        self.strip_highlight.mouseClickEvent = lambda ev: ev.ignore()
        self.strip_plot.addItem(self.strip_points)
        self.strip_plot.addItem(self.strip_highlight)
        self.strip_plot.hide()
        plots = QHBoxLayout()
        plots.addWidget(self.perf_plot, 3)
        plots.addWidget(self.strip_plot, 2)
        upper = QWidget(self)
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.metrics_label)
        upper_layout.addLayout(plots, 1)

        self.importance_chart = _HorizontalBars("Permutation importance (held-out)", self)
        self.importance_chart.setObjectName("ImportanceChart")
        self.explain_label = QLabel(
            "Select a compound (here or in the table) to explain its prediction.", self
        )
        self.explain_label.setObjectName("ExplanationLabel")
        self.explain_label.setWordWrap(True)
        self.explain_chart = _HorizontalBars("SHAP contributions (LightGBM member)", self)
        self.explain_chart.setObjectName("ExplanationChart")
        explain = QWidget(self)
        explain_layout = QVBoxLayout(explain)
        explain_layout.setContentsMargins(0, 0, 0, 0)
        explain_layout.addWidget(self.explain_label)
        explain_layout.addWidget(self.explain_chart, 1)
        lower = QSplitter(Qt.Orientation.Horizontal, self)
        lower.addWidget(self.importance_chart)
        lower.addWidget(explain)
        lower.setSizes([400, 440])
        right = QSplitter(Qt.Orientation.Vertical, self)
        right.addWidget(upper)
        right.addWidget(lower)
        right.setSizes([520, 330])
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setSizes([600, 800])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        self._monitor_timer = QTimer(self)
        self._monitor_timer.setInterval(MONITOR_REFRESH_MS)
        self._update_buttons()

    def _connect(self) -> None:
        # Lambdas: clicked(bool) would otherwise arrive as the optional first argument.
        self.train_button.clicked.connect(lambda: self.open_train_dialog())
        self.refresh_button.clicked.connect(lambda: self.refresh())
        self.cancel_button.clicked.connect(self.train_slot.cancel)
        self.table.itemSelectionChanged.connect(self._on_model_selected)
        self.promote_button.clicked.connect(self.promote_selected)
        self.rollback_button.clicked.connect(self.rollback_selected)
        self.warm_button.clicked.connect(self.warm_selected)
        self.warm_slot.progress.connect(self._on_train_progress)
        self.warm_slot.finished.connect(self._on_warmed)
        self.warm_slot.failed.connect(lambda e: self.status.setText(f"Warm-up failed: {e}"))
        self.warm_slot.running_changed.connect(self._on_training_running)
        self.points.sigClicked.connect(self._points_clicked)
        self.strip_points.sigClicked.connect(self._points_clicked)
        self.monitor.retrain_requested.connect(self.open_retrain_dialog)
        self.hub.changed.connect(self._on_hub)
        self._monitor_timer.timeout.connect(self.refresh_monitor)
        self.list_slot.finished.connect(self._on_models)
        self.list_slot.failed.connect(lambda e: self.status.setText(f"Could not read the models: {e}"))
        self.held_slot.finished.connect(self._on_held_out)
        self.held_slot.failed.connect(self._on_held_out_failed)
        self.importance_slot.finished.connect(self._on_importance)
        self.importance_slot.failed.connect(lambda e: self._chart_message(self.importance_chart, e))
        self.explain_slot.finished.connect(self._on_explanation)
        self.explain_slot.failed.connect(lambda e: self.explain_label.setText(f"No explanation: {e}"))
        self.monitor_slot.finished.connect(self._on_monitor)
        self.monitor_slot.failed.connect(lambda e: log.warning("monitor read failed: %s", e))
        self.action_slot.finished.connect(self._on_action)
        self.action_slot.failed.connect(lambda e: self.status.setText(f"Not done: {e}"))
        self.train_slot.progress.connect(self._on_train_progress)
        self.train_slot.finished.connect(self._on_trained)
        self.train_slot.failed.connect(self._on_train_failed)
        self.train_slot.running_changed.connect(self._on_training_running)

    def apply_theme(self) -> None:
        import pyqtgraph as pg

        colours = plot_colours()
        for plot in (self.perf_plot, self.strip_plot):
            style_plot(plot)
        for points in (self.points, self.strip_points):
            points.setBrush(pg.mkBrush(*colours.points))
            points.setPen(pg.mkPen(None))
        for ring in (self.highlight, self.strip_highlight):
            ring.setBrush(pg.mkBrush(None))
            ring.setPen(pg.mkPen(colours.highlight, width=2))
        self.identity.setPen(pg.mkPen(colours.foreground, width=1, style=Qt.PenStyle.DashLine))
        self.roc_line.setPen(pg.mkPen(colours.accent, width=2))
        self.importance_chart.apply_theme()
        self.explain_chart.apply_theme()
        self.monitor.apply_theme()

    # -- engine access -----------------------------------------------------------------------------------
    def views(self) -> ModelViews:
        """The engine's model views of the project open now (new per project)."""
        wb = self._workbench()
        if self._views is None or self._views_wb is not wb:
            self._views, self._views_wb = ModelViews(wb), wb
        return self._views

    @property
    def selected_entry(self) -> ModelEntry | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.entries):
            return None
        return self.entries[rows[0].row()]

    # -- the model list ------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything shown (a project switch); :meth:`refresh` reads the new project."""
        for slot in (
            self.list_slot,
            self.held_slot,
            self.importance_slot,
            self.explain_slot,
            self.monitor_slot,
        ):
            slot.discard()
        self._views = self._views_wb = None
        self.entries = []
        self.table.setRowCount(0)
        self._clear_model_views()

    def refresh(self, select_id: int | None = None) -> None:
        """Read the registry again (keeps the selected version selected, or selects ``select_id``)."""
        current = self.selected_entry
        self._select_after_load = select_id if select_id is not None else (current.id if current else None)
        wb = self._workbench()
        self.list_slot.start(lambda _p, _c: model_list(wb))

    def _on_models(self, entries: list[ModelEntry]) -> None:
        self.entries = list(entries)
        wanted = self._select_after_load
        self.table.blockSignals(True)
        self.table.setRowCount(len(entries))
        for r, e in enumerate(entries):
            held_name, held_value = e.primary_metric
            cells = (
                e.name,
                str(e.version),
                e.status,
                e.task,
                "" if e.n_rows is None else f"{e.n_rows:,}",
                _metric_text(held_name, e.held_out.get(held_name)),
                _metric_text(held_name, e.cv.get(held_name)),
                e.created_at[:16].replace("T", " "),
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c in (1, 4):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if e.status == "promoted":
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        self.table.blockSignals(False)
        row = next((i for i, e in enumerate(entries) if e.id == wanted), None)
        if row is None and entries and self.selected_entry is None:
            row = next((i for i, e in enumerate(entries) if e.status == "promoted"), 0)
        if row is not None:
            self.table.clearSelection()
            self.table.selectRow(row)
        else:
            self._on_model_selected()
        if self._pending_status is not None:  # the outcome of the action that asked for this reload
            self.status.setText(self._pending_status)
            self._pending_status = None
        elif not self.train_slot.running:
            self.status.setText(
                f"{len(entries)} model version{'s' if len(entries) != 1 else ''} in this project"
            )
        self.models_loaded.emit(len(entries))

    def _on_model_selected(self) -> None:
        entry = self.selected_entry
        self._update_buttons()
        self._clear_model_views()
        if entry is None:
            self._monitor_timer.stop()
            return
        self.metrics_label.setText(f"{entry.label}: reading its held-out predictions…")
        views, model_id = self.views(), entry.id
        self.held_slot.start(lambda _p, cancel: views.held_out(model_id, cancel.is_set))
        self.importance_slot.start(lambda _p, cancel: views.importance(model_id, cancel.is_set))
        self.refresh_monitor()
        self._monitor_timer.start()
        self._explain_current()

    def _clear_model_views(self) -> None:
        self.held = None
        self.importance = []
        self.explanation = None
        self._explained_id = None
        for item in (self.points, self.highlight, self.strip_points, self.strip_highlight):
            item.clear()
        self.identity.setData([], [])
        self.roc_line.setData([], [])
        self.strip_plot.hide()
        self.metrics_label.setText("Select a model.")
        self.importance_chart.clear()
        self.explain_chart.clear()
        self.explain_label.setText("Select a compound (here or in the table) to explain its prediction.")
        self.monitor.clear()

    def _update_buttons(self) -> None:
        entry = self.selected_entry
        writable = not self._workbench().project.read_only
        training = self.train_slot.running
        self.promote_button.setEnabled(writable and entry is not None and entry.status == "candidate")
        self.rollback_button.setEnabled(writable and entry is not None and entry.status == "promoted")
        self.train_button.setEnabled(writable and not training)
        self.warm_button.setEnabled(
            writable and entry is not None and entry.status != "retired" and not self.warm_slot.running
        )

    # -- held-out predictions --------------------------------------------------------------------------------
    def _on_held_out(self, held: HeldOutPredictions) -> None:
        entry = self.selected_entry
        if entry is None or entry.id != held.model_id:
            return
        self.held = held
        spots = [
            {"pos": (float(x), float(y)), "data": int(cid)}
            for x, y, cid in zip(held.measured, held.predicted, held.compound_ids, strict=True)
        ]
        plot = self.perf_plot.getPlotItem()
        metrics = held.metrics
        if held.task == "classification":
            self.points.clear()
            roc = held.roc
            if roc is not None:
                self.roc_line.setData(roc.fpr, roc.tpr)
            self.identity.setData([0, 1], [0, 1])
            plot.setLabel("bottom", "False positive rate")
            plot.setLabel("left", "True positive rate")
            plot.setTitle(f"ROC curve on {int(metrics.get('n', 0))} held-out compounds", size="9pt")
            self._fill_strip(held)
            text = (
                f"<b>{held.label}</b> · held-out ({held.split}) ROC-AUC <b>{metrics.get('roc_auc', 0):.3f}</b>"
                f" · {int(metrics.get('actives', 0))} active of {int(metrics.get('n', 0))}"
            )
        else:
            self.strip_plot.hide()
            self.roc_line.setData([], [])
            self.points.setData(spots)
            low = float(min(held.measured.min(), held.predicted.min()))
            high = float(max(held.measured.max(), held.predicted.max()))
            self.identity.setData([low, high], [low, high])
            unit = f" ({held.unit})" if held.unit else ""
            plot.setLabel("bottom", f"Measured{unit}")
            plot.setLabel("left", f"Predicted{unit}")
            plot.setTitle(f"Predicted vs measured, {int(metrics.get('n', 0))} held-out compounds", size="9pt")
            text = (
                f"<b>{held.label}</b> · held-out ({held.split}) RMSE <b>{metrics['rmse']:.3f}</b>"
                f" · MAE {metrics['mae']:.3f} · R² {metrics['r2']:.3f}"
            )
        if held.warning:
            text += f"<br><span style='color:#c92a2a'>{held.warning}</span>"
        self.metrics_label.setText(text)
        self.perf_plot.enableAutoRange()
        self._highlight(self.hub.selected)
        self.held_out_loaded.emit(held)

    def _fill_strip(self, held: HeldOutPredictions) -> None:
        # Deterministic jitter (by position) so the points of a class do not sit on one line.
        jitter = (np.arange(len(held.measured)) * 0.618034) % 1.0 * 0.5 - 0.25
        spots = [
            {"pos": (float(c + j), float(p)), "data": int(cid)}
            for c, j, p, cid in zip(held.measured, jitter, held.predicted, held.compound_ids, strict=True)
        ]
        self.strip_points.setData(spots)
        plot = self.strip_plot.getPlotItem()
        plot.getAxis("bottom").setTicks([[(0, "inactive"), (1, "active")]])
        plot.setLabel("left", "Predicted probability")
        plot.setTitle("Held-out probabilities by measured class", size="9pt")
        self.strip_plot.setXRange(-0.5, 1.5)
        self.strip_plot.setYRange(0, 1)
        self.strip_plot.show()

    def _on_held_out_failed(self, error: str) -> None:
        self.metrics_label.setText(f"No held-out predictions: {error}")

    def _tip(self, x: float, y: float, data: object) -> str:
        name = ""
        if self.held is not None:
            hits = np.flatnonzero(self.held.compound_ids == data)
            if hits.size:
                name = self.held.keys[int(hits[0])]
        return f"{name}\nmeasured {x:.3g}, predicted {y:.3g}"

    def _points_clicked(self, _item: Any, points: Any, ev: Any = None) -> None:
        ids = [int(p.data()) for p in points]
        if not ids:
            return
        additive = ev is not None and bool(ev.modifiers() & Qt.KeyboardModifier.ControlModifier)
        chosen = (set(self.hub.selected) | set(ids[:1])) if additive else set(ids[:1])
        self.select_compounds(chosen)

    def select_compounds(self, ids: set[int] | frozenset[int]) -> None:
        """Publish a selection (as a click on points does) and explain the first compound."""
        self.hub.set_selection(ids, self)
        self._highlight(frozenset(ids))
        self._explain_current()

    def _on_hub(self, ids: frozenset[int], source: object) -> None:
        if source is self:
            return
        self._highlight(ids)
        self._explain_current()

    def _highlight(self, ids: frozenset[int]) -> None:
        held = self.held
        for ring in (self.highlight, self.strip_highlight):
            ring.clear()
        if held is None or not ids:
            return
        mask = np.isin(held.compound_ids, np.fromiter(ids, np.int64, len(ids)))
        if held.task == "classification":
            jitter = (np.arange(len(held.measured)) * 0.618034) % 1.0 * 0.5 - 0.25
            self.strip_highlight.setData(held.measured[mask] + jitter[mask], held.predicted[mask])
        else:
            self.highlight.setData(held.measured[mask], held.predicted[mask])

    # -- importance and explanation ----------------------------------------------------------------------------
    def _on_importance(self, rows: list[FeatureImportanceRow]) -> None:
        self.importance = list(rows)
        self.importance_chart.show_values([r.feature for r in rows], [r.mean for r in rows])
        self.importance_loaded.emit(self.importance)

    def _chart_message(self, chart: _HorizontalBars, error: str) -> None:
        chart.clear()
        chart.plot.setTitle(f"Not available: {error}", size="9pt")

    def _explain_current(self) -> None:
        entry = self.selected_entry
        ids = sorted(self.hub.selected)
        if entry is None or not ids:
            return
        compound_id = ids[0]
        if (
            compound_id == self._explained_id
            and self.explanation is not None
            and self.explanation.model_id == entry.id
        ):
            return
        self._explained_id = compound_id
        self.explain_label.setText("Explaining the selected compound…")
        views, model_id = self.views(), entry.id
        self.explain_slot.start(lambda _p, _c: views.explain(model_id, compound_id))

    def _on_explanation(self, ex: Explanation) -> None:
        self.explanation = ex
        name = ex.name or ex.inchikey
        if ex.value is None:
            text = f"<b>{name}</b>: no prediction ({ex.note or ex.source})"
        else:
            unc = f" ± {ex.uncertainty:.3g}" if ex.uncertainty is not None else ""
            domain = {
                True: "in domain",
                False: "<span style='color:#c92a2a'>outside the domain</span>",
                None: "domain unknown",
            }[ex.in_domain]
            text = f"<b>{name}</b> · {ex.label}: <b>{ex.value:.3g}{unc}</b> · {domain} · from {ex.source}"
        if ex.top and ex.bias is not None:
            text += f"<br>contributions to the LightGBM member's raw output (bias {ex.bias:.3g}):"
        elif ex.note and ex.value is not None:
            text += f"<br>{ex.note}"
        self.explain_label.setText(text)
        pos, neg = "#2f9e44", "#c92a2a"
        self.explain_chart.show_values(
            [f for f, _ in ex.top], [v for _, v in ex.top], [pos if v >= 0 else neg for _, v in ex.top]
        )
        self.explanation_loaded.emit(ex)

    # -- monitoring ----------------------------------------------------------------------------------------------
    def refresh_monitor(self) -> None:
        entry = self.selected_entry
        if entry is None or self.monitor_slot.running or not self.isVisible() and self.monitor.snapshot:
            return
        views, model_id = self.views(), entry.id
        self.monitor_slot.start(lambda _p, _c: views.monitor(model_id))

    def _on_monitor(self, snap: dict[str, Any]) -> None:
        entry = self.selected_entry
        if entry is None or snap.get("model_id") != entry.id:
            return
        self.monitor.show_snapshot(snap)
        self.monitor_loaded.emit(snap)

    # -- promote / roll back -------------------------------------------------------------------------------------
    def promote_selected(self) -> None:
        entry = self.selected_entry
        if entry is None:
            return
        views, model_id = self.views(), entry.id
        self.action_slot.start(lambda _p, _c: ("promoted", views.promote(model_id)))

    def rollback_selected(self) -> None:
        entry = self.selected_entry
        if entry is None:
            return
        views, model_id = self.views(), entry.id
        self.action_slot.start(lambda _p, _c: ("rolled back to", views.rollback(model_id)))

    def _on_action(self, result: tuple[str, Any]) -> None:
        verb, row = result
        message = (
            f"{verb.capitalize()} {row.label}"
            if verb == "promoted"
            else f"Rolled back: {row.label} is promoted"
        )
        self._pending_status = message
        self.refresh(select_id=row.id)
        self.action_done.emit(message)

    # -- training --------------------------------------------------------------------------------------------------
    def open_train_dialog(self, preset: TrainRequest | None = None) -> Any:
        """Show the train dialog (non-modal); on Train, run it in the background. Returns the dialog."""
        from cryodesk.gui.train_dialog import TrainModelDialog

        wb = self._workbench()
        dialog = TrainModelDialog(trainable_targets(wb), feature_set_choices(), self, preset)
        dialog.accepted.connect(lambda: self.start_training(dialog.request()))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.last_dialog = dialog
        return dialog

    def open_retrain_dialog(self) -> Any:
        entry = self.selected_entry
        preset = None
        if entry is not None:
            from cryodesk.engine.training import request_for

            try:
                preset = request_for(self._workbench().project.models.by_id(entry.id))
            except Exception:  # an old record without its request: an empty dialog still helps
                preset = None
        return self.open_train_dialog(preset)

    def start_training(self, request: TrainRequest) -> None:
        """Train ``request`` in the background (a child process), with progress and Cancel."""
        self.last_request = request
        path = str(self._workbench().project.path)
        in_child = self.train_in_child_process

        def work(progress: ProgressFn, cancel: threading.Event) -> Any:
            if in_child:
                return run_in_process(
                    train_in_child, (path, request), progress, cancel, name="cryodesk-train"
                )
            return train_in_child(progress, cancel, path, request)

        self.progress.setRange(0, 0)
        self.status.setText(f"Training {request.model_name}…")
        self.train_slot.start(work)

    def slots(self) -> list[TaskSlot]:
        """Every task slot of the page (the window cancels them before it closes a project)."""
        return [
            self.list_slot,
            self.held_slot,
            self.importance_slot,
            self.explain_slot,
            self.monitor_slot,
            self.action_slot,
            self.train_slot,
            self.warm_slot,
        ]

    def _on_training_running(self, _running: bool) -> None:
        busy = self.train_slot.running or self.warm_slot.running
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(self.train_slot.running)
        self._update_buttons()

    def _on_train_progress(self, done: int, total: int, message: str) -> None:
        show_progress(self.progress, done, total)
        if message:
            self.status.setText(message)

    def _on_trained(self, result: dict[str, Any]) -> None:
        state = result.get("state")
        model = result.get("model") or {}
        if state == JobState.DONE:
            held = model.get("held_out") or {}
            figures = ", ".join(
                f"{METRIC_LABELS.get(k, k)} {held[k]:.3f}"
                for k in ("rmse", "r2", "roc_auc")
                if isinstance(held.get(k), int | float)
            )
            self._pending_status = f"Trained {model.get('name')} v{model.get('version')}" + (
                f" (held-out {figures})" if figures else ""
            )
            self.status.setText(self._pending_status)
            views = self._views
            if views is not None:
                views.forget()
            self.refresh(select_id=model.get("id"))
        else:
            self.status.setText(f"Training {state}: {result.get('error') or 'stopped'}")
        self.training_finished.emit(result)

    def _on_train_failed(self, error: str) -> None:
        self.status.setText(f"Training failed: {error}")
        self.training_finished.emit(error)

    # -- warm-up ---------------------------------------------------------------------------------------------
    def warm_selected(self) -> None:
        """Predict the library with the selected version into the project's cache, in a child process."""
        entry = self.selected_entry
        if entry is None:
            return
        path, model_id = str(self._workbench().project.path), entry.id

        def work(progress: ProgressFn, cancel: threading.Event) -> Any:
            return run_in_process(warm_in_child, (path, model_id), progress, cancel, name="cryodesk-warmup")

        self.progress.setRange(0, 0)
        self.status.setText(f"Predicting the library with {entry.label}…")
        self.warm_slot.start(work)

    def _on_warmed(self, result: dict[str, Any]) -> None:
        if result.get("state") == JobState.DONE:
            self.status.setText(
                f"{result['label']}: {result['cached_rows']:,} predictions cached in the project"
            )
        else:
            self.status.setText(f"Warm-up {result.get('state')}: {result.get('error') or 'stopped'}")
        self.refresh_monitor()
        self.warmup_finished.emit(result)

    def shutdown(self) -> None:
        """Stop background work before the window closes."""
        self._monitor_timer.stop()
        self.train_slot.cancel()
        self.warm_slot.cancel()
        self.train_pool.waitForDone(30_000)
        self.warm_pool.waitForDone(30_000)
