"""Concentration–response page of the mixtures view: stored Hill fits of viability against one ingredient's
concentration (from a formulation table), each with its source paper, points and 95 % intervals, and the
curve of the selected one. Fitting runs on a pool thread; the engine stores the fits in the project."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cryodesk.engine.mixtures import (
    fit_concentration_responses,
    shipped_formulations_csv,
    stored_concentration_responses,
)
from cryodesk.engine.service import Workbench
from cryodesk.gui.theme import plot_colours, style_plot
from cryodesk.gui.worker import TaskSlot

COLUMNS = ("Ingredient", "Points", "EC50 (95 % CI)", "Hill", "r0 → r∞ (%)", "R²", "Source", "Status")


def _g(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}g}" if math.isfinite(value) else "∞" if value > 0 else "−∞"


def describe_fit(entry: dict[str, Any]) -> list[str]:
    """The table cells of one stored entry (a fit, or the reason there is none)."""
    points = str(len(entry["points"]))
    source = f"doi {entry['doi']}" + (
        f" · with {', '.join(entry['background'])}" if entry["background"] else ""
    )
    fit = entry.get("fit")
    if fit is None:
        return [
            entry["ingredient"],
            points,
            "—",
            "—",
            "—",
            "—",
            source,
            f"not fitted: {entry.get('error', '')}",
        ]
    lo, hi = fit["ci"]["ec50"]
    fixed = ", ".join(f"{k} fixed at {v:g}" for k, v in fit["fixed"].items())
    status = "fitted" + (f" ({fixed})" if fixed else "")
    if not fit["identifiable"]:
        status += "; not identifiable: the points do not pin every parameter down"
    return [
        entry["ingredient"],
        points,
        f"{_g(fit['ec50'])} {fit['concentration_unit']} ({_g(lo)}–{_g(hi)})",
        _g(fit["hill"]),
        f"{_g(fit['r0'])} → {_g(fit['r_inf'])}",
        f"{fit['r_squared']:.3f}",
        source,
        status,
    ]


class ConcentrationResponseView(QWidget):
    """Stored concentration–response fits: a table, the selected curve, and fitting from a table file."""

    loaded = Signal(list)  # stored entries, in table order
    fitted = Signal(object)  # ConcentrationResponseRun

    def __init__(self, workbench: Callable[[], Workbench], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg

        self.setObjectName("ConcentrationResponseView")
        self._workbench = workbench
        self.entries: list[dict[str, Any]] = []
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.fit_button = QPushButton("Fit from formulation table…", self)
        self.fit_button.setToolTip(
            "Finds every series of one paper where one ingredient's concentration varies and the rest stay"
            " constant, fits a four-parameter log-logistic (Hill) curve to viability and stores it"
        )
        self.fit_button.clicked.connect(self._choose_file)
        self.shipped_button = QPushButton("Fit the shipped table", self)
        self.shipped_button.setToolTip(
            "The literature formulation table CryoDesk ships (ML-for-CryoMN, MIT; each value cites its paper)"
        )
        self.shipped_button.clicked.connect(lambda: self.fit_file(shipped_formulations_csv()))
        self.fix_r0 = QCheckBox("Fix r0 (viability without the ingredient) at 0 %", self)
        self.fix_r0.setToolTip(
            "Frees one point, so a four-point series can be fitted (three free parameters)"
        )
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("ConcentrationResponseTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        # a bound method, not a lambda: Qt drops the connection when this view is destroyed, so a table
        # emptied during destruction cannot call into a deleted plot
        self.table.currentCellChanged.connect(self._on_current_cell)
        self.plot = pg.PlotWidget(self)
        self.plot.setObjectName("ConcentrationResponsePlot")
        self.plot.setLogMode(x=True, y=False)
        self.plot.setLabel("left", "viability (%)")
        self.plot.setMinimumHeight(220)

        buttons = QHBoxLayout()
        buttons.addWidget(self.fit_button)
        buttons.addWidget(self.shipped_button)
        buttons.addWidget(self.fix_r0)
        buttons.addStretch(1)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.plot)
        splitter.setSizes([260, 320])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.caption)
        layout.addWidget(splitter, 1)
        style_plot(self.plot)

        self.load_slot = TaskSlot("concentration-response fits", parent=self)
        self.load_slot.finished.connect(self._on_loaded)
        self.load_slot.failed.connect(lambda e: self.caption.setText(f"Could not read the stored fits: {e}"))
        self.fit_slot = TaskSlot("concentration-response fitting", parent=self)
        self.fit_slot.finished.connect(self._on_fitted)
        self.fit_slot.failed.connect(lambda e: self.caption.setText(f"Could not fit: {e}"))
        self.fit_slot.running_changed.connect(self._set_buttons_enabled)

    # -- loading and fitting ----------------------------------------------------------------------------
    def refresh(self) -> None:
        workbench = self._workbench
        self.load_slot.start(
            lambda _p, _c: stored_concentration_responses(workbench().project), "stored fits"
        )

    def fit_file(self, path: Path) -> None:
        """Fit every series of ``path`` (a parsed formulation table) and store the fits."""
        workbench, r0 = self._workbench, 0.0 if self.fix_r0.isChecked() else None
        self.caption.setText(f"Fitting the concentration series of {path.name}…")
        self.fit_slot.start(
            lambda _p, _c: fit_concentration_responses(workbench(), path, r0=r0), "fit series"
        )

    def reset(self) -> None:
        self.load_slot.discard()
        self.fit_slot.discard()
        self.entries = []
        self.table.setRowCount(0)
        self.plot.clear()

    def apply_theme(self) -> None:
        style_plot(self.plot)
        self.show_entry(self.table.currentRow())

    def _set_buttons_enabled(self, running: bool) -> None:
        self.fit_button.setEnabled(not running)
        self.shipped_button.setEnabled(not running)

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Formulation table", "", "CSV files (*.csv);;All files (*)"
        )
        if path:
            self.fit_file(Path(path))

    def _on_fitted(self, run: Any) -> None:
        skipped = f"; {len(run.problems)} rows skipped (first: {run.problems[0]})" if run.problems else ""
        self.caption.setText(
            f"{len(run.entries)} series with at least 4 concentrations; {run.fitted} fitted and stored{skipped}."
        )
        self.fitted.emit(run)
        self.refresh()

    def _on_loaded(self, stored: dict[str, dict[str, Any]]) -> None:
        self.entries = sorted(stored.values(), key=lambda e: ("fit" not in e, e["ingredient"], e["doi"]))
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            for column, text in enumerate(describe_fit(entry)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        if not self.entries:
            self.caption.setText(
                "No concentration–response fits yet. Fit a formulation table (viability_percent, source_doi,"
                " <ingredient>_M or _pct columns), or the table CryoDesk ships."
            )
        elif not self.caption.text().startswith(tuple("0123456789")):
            self.caption.setText(
                f"{len(self.entries)} stored series; select one to see its points and curve."
            )
        if self.entries:
            self.table.selectRow(0)
        self.loaded.emit(self.entries)

    def _on_current_cell(self, row: int, _column: int, _previous_row: int, _previous_column: int) -> None:
        self.show_entry(row)

    # -- the curve --------------------------------------------------------------------------------------
    def show_entry(self, row: int) -> None:
        import pyqtgraph as pg

        self.plot.clear()
        if not 0 <= row < len(self.entries):
            return
        entry, colours = self.entries[row], plot_colours()
        c = np.array([p[0] for p in entry["points"]], float)
        y = np.array([p[1] for p in entry["points"]], float)
        positive = c > 0  # a log axis cannot show the zero-concentration control
        # a PlotDataItem, not a bare ScatterPlotItem, so that the log x axis transforms the points too
        points = pg.PlotDataItem(c[positive], y[positive], pen=None, symbol="o", symbolSize=9)
        points.setSymbolBrush(pg.mkBrush(colours.accent))
        self.plot.addItem(points)
        fit = entry.get("fit")
        unit = fit["concentration_unit"] if fit else ""
        self.plot.setLabel("bottom", f"{entry['ingredient']} ({unit or 'as given'})")
        if fit is None or not positive.any():
            return
        grid = np.logspace(np.log10(c[positive].min()) - 0.5, np.log10(c[positive].max()) + 0.5, 200)
        curve = fit["r_inf"] + (fit["r0"] - fit["r_inf"]) / (1.0 + np.power(grid / fit["ec50"], fit["hill"]))
        self.plot.addItem(pg.PlotDataItem(grid, curve, pen=pg.mkPen(colours.foreground, width=2)))
