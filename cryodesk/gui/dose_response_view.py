"""Concentration–response page of the mixtures view: stored Hill fits of viability against one ingredient's
concentration (from a formulation table), each with its source paper, points and 95 % intervals, and the
curve of the selected one. Fitting runs on a pool thread; the engine stores the fits in the project.

Built to stay out of the way of the rest of the window (an earlier version was removed after GUI-suite
crashes whose cause was not found, so every suspect is avoided here):

* :class:`LazyConcentrationResponsePage` is what the mixtures view puts in its tab: a label until the tab is
  first shown; only then is the real :class:`ConcentrationResponseView` (plot, table, task slots) built and
  the stored fits read. A window whose user never opens the tab starts no task and creates no plot for it.
* The x axis is plain and linear and shows log10(concentration): no pyqtgraph log mode.
* Every signal is connected to a bound method of the view (Qt drops those connections when the view is
  destroyed; it cannot for a lambda).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
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

from cryodesk.domain.errors import CryoDeskError
from cryodesk.engine.mixtures import (
    ConcentrationResponseRun,
    fit_concentration_responses,
    shipped_formulations_csv,
    stored_concentration_responses,
)
from cryodesk.engine.service import Workbench
from cryodesk.gui.theme import gridded_plot, plot_colours, style_plot
from cryodesk.gui.worker import ProgressFn, TaskSlot
from cryodesk.mixtures.dose_response import log_logistic

WorkbenchRef = Callable[[], Workbench]
TAB_TITLE = "Concentration–response"
COLUMNS = ("Ingredient", "Points", "EC50 (95 % CI)", "Hill", "r0 → r∞ (%)", "R²", "Source", "Status")
STATUS_COLUMN = COLUMNS.index("Status")
NOT_IDENTIFIABLE = "not identifiable"
CURVE_MARGIN_DECADES = 0.5  # the curve runs half a decade beyond the outer points on each side
CURVE_SAMPLES = 200
TABLE_HINT = (
    "a formulation table has viability_percent and source_doi columns and one <ingredient>_M or "
    "<ingredient>_pct column per ingredient, like the shipped cpa_formulations table"
)


def _g(value: float, digits: int = 3) -> str:
    if math.isfinite(value):
        return f"{value:.{digits}g}"
    return "∞" if value > 0 else "−∞"


def describe_fit(entry: dict[str, Any]) -> list[str]:
    """The table cells of one stored entry (a fit, or the reason there is none)."""
    points = str(len(entry["points"]))
    source = f"doi {entry['doi']}"
    if entry["background"]:
        source += f" · with {', '.join(entry['background'])}"
    fit = entry.get("fit")
    if fit is None:
        reason = f"not fitted: {entry.get('error', 'no reason stored')}"
        return [entry["ingredient"], points, "—", "—", "—", "—", source, reason]
    lo, hi = fit["ci"]["ec50"]
    fixed = ", ".join(f"{name} fixed at {value:g}" for name, value in fit["fixed"].items())
    status = "fitted" + (f" ({fixed})" if fixed else "")
    if not fit["identifiable"]:
        status += f"; {NOT_IDENTIFIABLE}"  # the tooltip says why
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


def status_tooltip(entry: dict[str, Any]) -> str:
    """The status cell's tooltip: the cell, and what 'not identifiable' means when it says so."""
    text = describe_fit(entry)[STATUS_COLUMN]
    if NOT_IDENTIFIABLE in text:
        text += (
            "\nNot identifiable: the points do not pin every parameter down (a standard error or a"
            " confidence bound is infinite); read EC50 and hill with care."
        )
    return text


def unit_of(entry: dict[str, Any]) -> str:
    """The concentration unit of an entry (stored on its fit; the series key carries it too)."""
    fit = entry.get("fit")
    if fit is not None:
        return str(fit["concentration_unit"])
    parts = str(entry.get("key", "")).split("|")
    return parts[2] if len(parts) > 2 else "as given"


def axis_label(entry: dict[str, Any]) -> str:
    return f"log10({entry['ingredient']} / {unit_of(entry)})"


def plotted_points(entry: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(log10 concentration, viability) of the points a log axis can show: those above zero."""
    c = np.array([p[0] for p in entry["points"]], dtype=float)
    y = np.array([p[1] for p in entry["points"]], dtype=float)
    positive = c > 0
    return np.log10(c[positive]), y[positive]


def curve_points(entry: dict[str, Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """The fitted curve over the points' range (in log10 concentration), or None without a fit."""
    fit = entry.get("fit")
    x, _y = plotted_points(entry)
    if fit is None or x.size == 0:
        return None
    grid = np.linspace(x.min() - CURVE_MARGIN_DECADES, x.max() + CURVE_MARGIN_DECADES, CURVE_SAMPLES)
    response = log_logistic(np.power(10.0, grid), fit["r0"], fit["r_inf"], fit["ec50"], fit["hill"])
    return grid, np.asarray(response, dtype=float)


def describe_plot(entry: dict[str, Any]) -> str:
    """What the plot of an entry shows, and what a log axis cannot show (zero controls, r0)."""
    unit = unit_of(entry)
    zeros = [p for p in entry["points"] if p[0] <= 0]
    words = [f"{entry['ingredient']}, doi {entry['doi']}: {len(entry['points']) - len(zeros)} points drawn"]
    if zeros:
        shown = ", ".join(f"{p[1]:.3g} %" for p in zeros)
        words.append(f"control at 0 {unit} not drawn on the log axis: viability {shown}")
    fit = entry.get("fit")
    if fit is None:
        words.append(f"no curve: {entry.get('error', 'not fitted')}")
    else:
        fixed = " (fixed)" if "r0" in fit["fixed"] else ""
        words.append(
            f"curve r0 = {_g(fit['r0'])} %{fixed} is reached only as the concentration goes to 0,"
            f" left of the axis; EC50 at log10 = {_g(math.log10(fit['ec50']))}"
        )
    return "; ".join(words) + "."


def _in_words(error: str) -> str:
    """'ProjectError: the project is open read-only' -> 'the project is open read-only'."""
    head, sep, rest = error.partition(": ")
    if sep and head.isidentifier() and head.endswith(("Error", "Exception")):
        return rest
    return error


@dataclass(frozen=True, slots=True)
class FitFailure:
    """A table that could not be read, said in words (returned by the worker, not raised)."""

    reason: str


def _fit_table(
    wb: Workbench, path: Path, r0: float | None, _progress: ProgressFn, _cancel: threading.Event
) -> ConcentrationResponseRun | FitFailure:
    # Runs on a pool thread. The failures a user causes (an unreadable table: the engine says why in words)
    # come back as words; anything else goes to the slot's failed signal with its type.
    try:
        return fit_concentration_responses(wb, path, r0=r0)
    except CryoDeskError as exc:
        return FitFailure(str(exc))


def _read_stored(
    workbench: WorkbenchRef, _progress: ProgressFn, _cancel: threading.Event
) -> dict[str, dict[str, Any]]:
    return stored_concentration_responses(workbench().project)


class ConcentrationResponseView(QWidget):
    """Stored concentration–response fits: a table, the selected curve, and fitting from a table file."""

    loaded = Signal(list)  # stored entries, in table order
    fitted = Signal(object)  # ConcentrationResponseRun
    fit_failed = Signal(str)  # the reason, in words

    def __init__(self, workbench: WorkbenchRef, parent: QWidget | None = None) -> None:
        super().__init__(parent)

        self.setObjectName("ConcentrationResponseView")
        self._workbench = workbench
        self.entries: list[dict[str, Any]] = []
        self._last_run_text = ""  # the outcome of the last fit, kept above the table after the reload
        self.caption = QLabel(self)
        self.caption.setObjectName("ConcentrationResponseCaption")
        self.caption.setWordWrap(True)
        self.fit_button = QPushButton("Fit from formulation table…", self)
        self.fit_button.setToolTip(
            "Finds every series of one paper where one ingredient's concentration varies and the rest stay"
            " constant, fits a four-parameter log-logistic (Hill) curve to viability and stores it"
        )
        self.fit_button.clicked.connect(self._choose_file)
        self.shipped_button = QPushButton("Fit shipped table", self)
        self.shipped_button.setToolTip(
            "Fit the formulation table CryoDesk ships (cpa_formulations; values cited per row)"
        )
        self.shipped_button.clicked.connect(self.fit_shipped)
        self.fix_r0 = QCheckBox("Fix r0 (viability without the ingredient) at 0 %", self)
        self.fix_r0.setToolTip(
            "Frees one point, so a four-point series can be fitted (three free parameters)"
        )
        self.table = self._build_table()
        self.plot = gridded_plot(self, "ConcentrationResponsePlot", "log10(concentration)", "viability (%)")
        self.plot.setMinimumHeight(220)
        self.plot_note = QLabel(self)
        self.plot_note.setObjectName("ConcentrationResponsePlotNote")
        self.plot_note.setWordWrap(True)
        self._lay_out()
        style_plot(self.plot)

        self.load_slot = TaskSlot("concentration-response fits", parent=self)
        self.load_slot.finished.connect(self._on_loaded)
        self.load_slot.failed.connect(self._on_load_failed)
        self.fit_slot = TaskSlot("concentration-response fitting", parent=self)
        self.fit_slot.finished.connect(self._on_fitted)
        self.fit_slot.failed.connect(self._on_fit_error)
        self.fit_slot.running_changed.connect(self._on_fit_running)

    def _build_table(self) -> QTableWidget:
        table = QTableWidget(0, len(COLUMNS), self)
        table.setObjectName("ConcentrationResponseTable")
        table.setHorizontalHeaderLabels(list(COLUMNS))
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        table.currentCellChanged.connect(self._on_current_cell)
        return table

    def _lay_out(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.fit_button)
        buttons.addWidget(self.shipped_button)
        buttons.addWidget(self.fix_r0)
        buttons.addStretch(1)
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.plot, 1)
        lower_layout.addWidget(self.plot_note)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        splitter.setSizes([240, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.caption)
        layout.addWidget(splitter, 1)

    # -- loading and fitting ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the stored fits in the background (the table fills when they land)."""
        self.load_slot.start(partial(_read_stored, self._workbench), "stored concentration-response fits")

    def fit_file(self, path: Path) -> None:
        """Fit every series of ``path`` (a formulation table) and store the fits."""
        r0 = 0.0 if self.fix_r0.isChecked() else None
        self._last_run_text = ""
        self.caption.setText(f"Fitting the concentration series of {path.name}…")
        # The project open now, not whichever is open when the worker starts: fits never land in another.
        work = partial(_fit_table, self._workbench(), path, r0)
        self.fit_slot.start(work, f"fit concentration series of {path.name}")

    def fit_shipped(self) -> None:
        """Fit the formulation table CryoDesk ships, so there is something to look at without a file."""
        try:
            path = shipped_formulations_csv()
        except (CryoDeskError, OSError) as exc:
            self._show_fit_error(f"the shipped formulation table is not available: {exc}")
            return
        self.fit_file(path)

    def reset(self) -> None:
        """Forget the shown fits and drop running tasks (a new project is being opened)."""
        self.load_slot.discard()
        self.fit_slot.discard()
        self.entries = []
        self._last_run_text = ""
        self.table.setRowCount(0)
        self.plot.clear()
        self.plot_note.clear()
        self.caption.clear()

    def slots(self) -> list[TaskSlot]:
        return [self.load_slot, self.fit_slot]

    def apply_theme(self) -> None:
        style_plot(self.plot)
        self.show_entry(self.table.currentRow())

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Formulation table", "", "CSV files (*.csv);;All files (*)"
        )
        if path:
            self.fit_file(Path(path))

    def _on_fit_running(self, running: bool) -> None:
        self.fit_button.setEnabled(not running)
        self.shipped_button.setEnabled(not running)

    def _on_fitted(self, run: ConcentrationResponseRun | FitFailure) -> None:
        if isinstance(run, FitFailure):
            self._show_fit_error(run.reason)
            return
        skipped = ""
        if run.problems:
            skipped = f"; {len(run.problems)} rows skipped (first: {run.problems[0]})"
        if run.entries:
            self._last_run_text = (
                f"{len(run.entries)} series with at least 4 concentrations; {run.fitted} fitted and stored"
                f"{skipped}."
            )
        else:
            self._last_run_text = f"No concentration series found, nothing stored ({TABLE_HINT}){skipped}."
        self.caption.setText(self._last_run_text)
        self.fitted.emit(run)
        self.refresh()

    def _on_fit_error(self, error: str) -> None:
        self._show_fit_error(_in_words(error))

    def _show_fit_error(self, reason: str) -> None:
        self._last_run_text = f"Could not fit: {reason}. The stored fits are unchanged."
        self.caption.setText(self._last_run_text)
        self.fit_failed.emit(reason)

    def _on_load_failed(self, error: str) -> None:
        self.caption.setText(f"Could not read the stored fits: {_in_words(error)}")

    def _on_loaded(self, stored: dict[str, dict[str, Any]]) -> None:
        self.entries = sorted(stored.values(), key=lambda e: ("fit" not in e, e["ingredient"], e["doi"]))
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            for column, text in enumerate(describe_fit(entry)):
                item = QTableWidgetItem(text)
                item.setToolTip(status_tooltip(entry) if column == STATUS_COLUMN else text)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        for column in range(self.table.columnCount() - 1):  # long DOIs and reasons keep their tooltip
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), 320))
        if not self.entries:
            self.caption.setText(
                f"No concentration–response fits yet. Fit a formulation table ({TABLE_HINT}), or press "
                "'Fit shipped table'."
            )
        else:
            prefix = f"{self._last_run_text} " if self._last_run_text else ""
            self.caption.setText(f"{prefix}{len(self.entries)} stored series; select one to see its curve.")
            self.table.selectRow(0)
        self.show_entry(self.table.currentRow())
        self.loaded.emit(self.entries)

    # -- the curve --------------------------------------------------------------------------------------
    def _on_current_cell(self, row: int, _column: int, _previous_row: int, _previous_column: int) -> None:
        self.show_entry(row)

    def show_entry(self, row: int) -> None:
        """Draw the points and fitted curve of the entry in ``row`` (log10 concentration, linear axis)."""
        import pyqtgraph as pg

        self.plot.clear()
        if not 0 <= row < len(self.entries):
            self.plot_note.clear()
            return
        entry, colours = self.entries[row], plot_colours()
        self.plot.setLabel("bottom", axis_label(entry))
        self.plot_note.setText(describe_plot(entry))
        curve = curve_points(entry)
        if curve is not None:
            self.plot.addItem(pg.PlotDataItem(*curve, pen=pg.mkPen(colours.foreground, width=2)))
        x, y = plotted_points(entry)
        points = pg.PlotDataItem(x, y, pen=None, symbol="o", symbolSize=9, symbolPen=None)
        points.setSymbolBrush(pg.mkBrush(colours.accent))
        self.plot.addItem(points)
        self.plot.getPlotItem().enableAutoRange()

    def points_item(self) -> Any:
        """The plotted points of the selected series (the last data item; the curve comes first)."""
        items = self.plot.getPlotItem().listDataItems()
        return items[-1] if items else None


class LazyConcentrationResponsePage(QWidget):
    """The tab's widget: a label until the tab is first shown, then the real view inside it.

    The mixtures view calls :meth:`build` when its tab becomes current; nothing else creates the view.
    """

    def __init__(self, workbench: WorkbenchRef, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ConcentrationResponsePage")
        self._workbench = workbench
        self.view: ConcentrationResponseView | None = None
        self._placeholder = QLabel("The concentration–response fits are read when this tab is opened.", self)
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self._placeholder)

    def build(self) -> ConcentrationResponseView:
        """Create the view (once) and start reading the stored fits."""
        if self.view is None:
            self.view = ConcentrationResponseView(self._workbench, self)
            self._placeholder.hide()
            self._layout.addWidget(self.view)
            self.view.refresh()
        return self.view

    def slots(self) -> list[TaskSlot]:
        """The view's task slots, for shutdown to wait on; none before the view exists."""
        return [] if self.view is None else self.view.slots()

    def refresh(self) -> None:
        if self.view is not None:
            self.view.refresh()

    def reset(self) -> None:
        if self.view is not None:
            self.view.reset()

    def apply_theme(self) -> None:
        if self.view is not None:
            self.view.apply_theme()
