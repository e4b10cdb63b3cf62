"""The toxicity profile view: a heat-strip of assay calls grouped by biological process, the score
with its basis, the pathways (AOPs) the hits point to, and model predictions for untested tasks.

One compound, or several compared row by row (rows = compounds, columns = assays). Measured calls
are solid cells; model predictions for Tox21 tasks a compound was not tested in are paler cells with
a ring, and are listed in their own table: never confused with measurements. Everything is read by
the engine (:meth:`Workbench.toxicity_report`) on the thread pool; CSV rows come from the engine too.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cryodesk.gui.tables import read_only_table
from cryodesk.gui.worker import TaskSlot
from cryodesk.toxicity.pathways import PROCESS_ORDER

if TYPE_CHECKING:
    from cryodesk.engine.service import Workbench
    from cryodesk.engine.toxicity import ToxicityReport

MISSING_RGBA = (225, 225, 225, 255)
INACTIVE_RGB = np.array([200, 220, 240])
ACTIVE_RGB = np.array([200, 30, 30])
PATHWAY_HEADERS = (
    "Compound",
    "Pathway",
    "AOP-Wiki",
    "Confidence",
    "Independent assays",
    "Cytotoxicity flag",
    "Supporting assays",
    "Confounded assays",
)
PREDICTED_HEADERS = ("Compound", "Tox21 task", "P(active)", "Uncertainty", "In domain", "Model")
SCORE_HELP = (
    "Score: quality-weighted share of active assays (0..1), each assay counted once; "
    "it says how many assays it rests on and whether quality fields weighted it."
)


class ToxicityView(QWidget):
    """Profile of one compound, or a comparison of several (set with :meth:`show_compounds`)."""

    loaded = Signal(int)  # number of compounds shown

    def __init__(self, workbench: Callable[[], Workbench], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ToxicityView")
        self.setWindowTitle("Toxicity profile")
        self._workbench = workbench
        self.reports: list[ToxicityReport] = []
        self.columns: list[tuple[str, str]] = []  # (process, assay key) in display order
        self.slot = TaskSlot("toxicity profile", parent=self)
        self.slot.finished.connect(self._on_loaded)
        self.slot.failed.connect(
            lambda reason: self.status_label.setText(f"Could not read the profile: {reason}")
        )
        self._build()

    # -- layout -------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.title_label = QLabel("Toxicity profile", self)
        font = self.title_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title_label.setFont(font)
        self.score_label = QLabel(self)
        self.score_label.setWordWrap(True)
        self.score_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.score_label.setToolTip(SCORE_HELP)
        self.caveat_label = QLabel(self)
        self.caveat_label.setWordWrap(True)
        self.caveat_label.setObjectName("ToxicityCaveat")
        self.caveat_label.setStyleSheet(
            "QLabel#ToxicityCaveat { background: #fff4d6; color: #5a4300;"
            " border: 1px solid #e0c060; padding: 4px; }"
        )
        self.status_label = QLabel(self)
        self.export_png_button = QPushButton("Export PNG…", self)
        self.export_csv_button = QPushButton("Export CSV…", self)
        self.export_png_button.clicked.connect(self._ask_png)
        self.export_csv_button.clicked.connect(self._ask_csv)

        self.plot = pg.PlotWidget(parent=self, background="w")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.invertY(True)
        self.plot.setMinimumHeight(200)
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.predicted_marks = pg.ScatterPlotItem(
            symbol="o", size=11, pen=pg.mkPen("k", width=1.2), brush=pg.mkBrush(0, 0, 0, 0)
        )
        self.grid = pg.PlotCurveItem(pen=pg.mkPen("w", width=2))
        self.plot.addItem(self.grid)
        self.plot.addItem(self.predicted_marks)
        self._overlays: list[Any] = []
        self.legend_label = QLabel(
            "<span style='background:#c81e1e;color:white'>&nbsp;active&nbsp;</span> "
            "<span style='background:#c8dcf0'>&nbsp;inactive&nbsp;</span> "
            "<span style='background:#e1e1e1'>&nbsp;not tested&nbsp;</span> "
            "&nbsp;◯ pale cell = <b>predicted</b> by the Tox21 model (not measured); colour = P(active)",
            self,
        )

        self.pathway_table = read_only_table(PATHWAY_HEADERS, self)
        self.predicted_table = read_only_table(PREDICTED_HEADERS, self)
        self.burst_label = QLabel(self)
        self.burst_label.setWordWrap(True)

        header = QHBoxLayout()
        header.addWidget(self.title_label, 1)
        header.addWidget(self.export_png_button)
        header.addWidget(self.export_csv_button)
        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(header)
        top_layout.addWidget(self.score_label)
        top_layout.addWidget(self.caveat_label)
        top_layout.addWidget(self.plot, 1)
        top_layout.addWidget(self.legend_label)
        bottom = QWidget(self)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(
            QLabel(
                "<b>Adverse-outcome pathways</b> (measured hits only; confidence = "
                "independent assays that agree)",
                bottom,
            )
        )
        bottom_layout.addWidget(self.pathway_table, 2)
        bottom_layout.addWidget(self.burst_label)
        bottom_layout.addWidget(
            QLabel("<b>Predicted outcomes</b> for Tox21 tasks not tested (model, with uncertainty)", bottom)
        )
        bottom_layout.addWidget(self.predicted_table, 1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.status_label)

    # -- loading ------------------------------------------------------------------------------------
    def show_compounds(self, inchikeys: Sequence[str]) -> None:
        """Read the reports of these compounds (one: profile; two or more: compare mode)."""
        keys = list(dict.fromkeys(inchikeys))
        wb = self._workbench()
        self.status_label.setText(f"Reading {len(keys)} profile(s)…")

        def work(_progress: Any, cancel: Any) -> list[ToxicityReport]:
            out = []
            for key in keys:
                if cancel.is_set():
                    break
                report = wb.toxicity_report(key)
                if report is not None:
                    out.append(report)
            return out

        self.slot.start(work)

    @property
    def compare_mode(self) -> bool:
        return len(self.reports) > 1

    def _on_loaded(self, reports: list[ToxicityReport]) -> None:
        self.reports = list(reports)
        if not self.reports:
            self.status_label.setText("No such compound in the project.")
            return
        names = [_name(r) for r in self.reports]
        self.title_label.setText(
            ("Compare: " if self.compare_mode else "Toxicity profile: ") + " | ".join(names)
        )
        self.score_label.setText("<br>".join(_score_line(r, self.compare_mode) for r in self.reports))
        self.caveat_label.setText("⚠ " + self.reports[0].note)
        self._draw_strip()
        self._fill_pathways()
        self._fill_predictions()
        self.status_label.setText(f"{len(self.reports)} compound(s); {len(self.columns)} assays.")
        # The score and caveat labels changed height and the axis its width: announce the result after
        # the event loop has laid the view out again, so a grab on ``loaded`` shows the final layout.
        count = len(self.reports)
        QTimer.singleShot(0, self, lambda: self.loaded.emit(count))

    # -- the heat-strip -----------------------------------------------------------------------------
    def cell_values(self) -> tuple[np.ndarray, np.ndarray]:
        """(activity, predicted) matrices, rows = compounds, columns = :attr:`columns` (NaN = none)."""
        return _matrix(self.reports, self.columns)

    def _draw_strip(self) -> None:
        self.columns = _columns(self.reports)
        activity, predicted = self.cell_values()
        rgba = _colours(activity, predicted)
        self.image.setImage(np.ascontiguousarray(rgba.transpose(1, 0, 2)), levels=(0, 255))
        self.image.setRect(0, 0, len(self.columns), len(self.reports))
        self._draw_grid(len(self.columns), len(self.reports))
        ys, xs = np.nonzero(predicted)
        self.predicted_marks.setData(x=xs + 0.5, y=ys + 0.5)
        for item in self._overlays:
            self.plot.removeItem(item)
        self._overlays = []
        bottom = self.plot.getAxis("bottom")
        bottom.setTicks([[(i + 0.5, _short(key)) for i, (_, key) in enumerate(self.columns)]])
        bottom.setStyle(tickFont=_small_font(self))
        names = [_name(r)[:28] for r in self.reports]
        left = self.plot.getAxis("left")
        left.setTicks([[(i + 0.5, name) for i, name in enumerate(names)]])
        # pyqtgraph widens an axis only on a later paint: size it now so a grab right away shows the names
        left.setWidth(QFontMetrics(left.font()).horizontalAdvance(max(names, key=len)) + 24)
        self._draw_groups()
        self.plot.setXRange(0, max(1, len(self.columns)), padding=0.01)
        self.plot.setYRange(-0.9, len(self.reports), padding=0.02)

    def _draw_grid(self, columns: int, rows: int) -> None:
        # Thin white lines between cells: neighbouring cells of one colour stay countable.
        xs: list[float] = []
        ys: list[float] = []
        for x in range(1, columns):
            xs += [x, x]
            ys += [0, rows]
        for y in range(1, rows):
            xs += [0, columns]
            ys += [y, y]
        self.grid.setData(np.array(xs, dtype=float), np.array(ys, dtype=float), connect="pairs")

    def _draw_groups(self) -> None:
        # Process names above their block of columns, with a separator line between blocks.
        start = 0
        for index in range(1, len(self.columns) + 1):
            if index < len(self.columns) and self.columns[index][0] == self.columns[start][0]:
                continue
            label = pg.TextItem(self.columns[start][0], color=(40, 40, 40), anchor=(0.5, 1.0))
            label.setPos((start + index) / 2, -0.05)
            self.plot.addItem(label)
            self._overlays.append(label)
            if index < len(self.columns):
                line = pg.InfiniteLine(pos=index, angle=90, pen=pg.mkPen((60, 60, 60), width=2))
                self.plot.addItem(line)
                self._overlays.append(line)
            start = index

    # -- tables -------------------------------------------------------------------------------------
    def _fill_pathways(self) -> None:
        rows = []
        for report in self.reports:
            hits = [p for p in report.pathways.pathways if p.supporting or p.confounded]
            for p in hits:
                rows.append(
                    (
                        _name(report),
                        p.pathway_name,
                        ", ".join(f"AOP {a}" for a in p.aop_ids) or "none",
                        p.confidence,
                        str(p.agreeing_assays),
                        p.flag_state,
                        ", ".join(_short(h.assay_key) for h in p.supporting),
                        ", ".join(_short(h.assay_key) for h in p.confounded),
                    )
                )
            quiet = len(report.pathways.pathways) - len(hits)
            if quiet or not hits:  # pathways tested without any hit: one summary row, not one row each
                rows.append(
                    (
                        _name(report),
                        f"no hit in {quiet} other mapped pathway(s)"
                        if hits
                        else f"no pathway hit ({quiet} mapped pathway(s) tested)",
                        "",
                        "",
                        "0",
                        "",
                        "",
                        "",
                    )
                )
        _fill(self.pathway_table, rows)
        self.burst_label.setText(
            "Cytotoxicity: " + "; ".join(f"{_name(r)}: {r.pathways.burst.describe()}" for r in self.reports)
        )

    def _fill_predictions(self) -> None:
        rows = []
        for report in self.reports:
            for p in report.predicted:
                rows.append(
                    (
                        _name(report),
                        p.assay_key.split(":", 1)[1],
                        _num(p.probability),
                        _num(p.uncertainty),
                        "" if p.in_domain is None else ("yes" if p.in_domain else "no"),
                        p.error or p.model,
                    )
                )
            if report.untested_without_model:
                rows.append(
                    (
                        _name(report),
                        ", ".join(k.split(":", 1)[1] for k in report.untested_without_model),
                        "",
                        "",
                        "",
                        "not tested, and no model registered",
                    )
                )
        _fill(self.predicted_table, rows)

    # -- export -------------------------------------------------------------------------------------
    def export_png(self, path: str | Path) -> Path:
        target = Path(path)
        QApplication.processEvents()  # pending layout requests first: the file shows what the user sees
        if not self.grab().save(str(target)):
            raise OSError(f"could not write {target}")
        return target

    def export_csv(self, path: str | Path) -> Path:
        target = Path(path)
        rows = self._workbench().toxicity_csv_rows([r.inchikey for r in self.reports])
        from cryodesk.engine.toxicity import CSV_COLUMNS

        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(CSV_COLUMNS))
            writer.writeheader()
            writer.writerows(rows)
        return target

    def _ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export profile as PNG", "toxicity.png", "PNG (*.png)")
        if path:
            self.export_png(path)

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export profile as CSV", "toxicity.csv", "CSV (*.csv)")
        if path:
            self.export_csv(path)
            self.status_label.setText(f"Saved {path}")


def open_toxicity_view(
    parent: QWidget | None, workbench: Workbench, inchikeys: Sequence[str]
) -> ToxicityView:
    """A top-level toxicity window for one compound (profile) or several (compare)."""
    view = ToxicityView(lambda: workbench, None)
    view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    view.resize(1400, 900)
    view.show_compounds(inchikeys)
    view.show()
    if parent is not None:
        parent.destroyed.connect(view.close)
    return view


# -- pure helpers -----------------------------------------------------------------------------------
def _columns(reports: Sequence[ToxicityReport]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for report in reports:
        seen.update(report.processes)
        for p in report.predicted:
            seen.setdefault(p.assay_key, _predicted_process(p.assay_key))
    order = {name: i for i, name in enumerate(PROCESS_ORDER)}
    return sorted(((proc, key) for key, proc in seen.items()), key=lambda c: (order.get(c[0], 99), c[1]))


def _predicted_process(assay_key: str) -> str:
    from cryodesk.engine.toxicity import aop_table

    mapping = aop_table().lookup(assay_key)
    return mapping.process if mapping is not None else "other"


def _matrix(
    reports: Sequence[ToxicityReport], columns: Sequence[tuple[str, str]]
) -> tuple[np.ndarray, np.ndarray]:
    index = {key: i for i, (_, key) in enumerate(columns)}
    activity = np.full((len(reports), len(columns)), np.nan)
    predicted = np.zeros((len(reports), len(columns)), dtype=bool)
    for row, report in enumerate(reports):
        for call in report.profile.calls:
            if call.activity is not None:
                activity[row, index[call.assay_key]] = call.activity
        for p in report.predicted:
            if p.probability is not None and p.assay_key in index:
                activity[row, index[p.assay_key]] = p.probability
                predicted[row, index[p.assay_key]] = True
    return activity, predicted


def _colours(activity: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    rgba = np.empty((*activity.shape, 4), dtype=np.uint8)
    rgba[:] = MISSING_RGBA
    known = ~np.isnan(activity)
    share = np.clip(np.nan_to_num(activity), 0.0, 1.0)[..., None]
    rgb = INACTIVE_RGB + (ACTIVE_RGB - INACTIVE_RGB) * share
    rgba[known, :3] = rgb[known].astype(np.uint8)
    rgba[known, 3] = 255
    pale = known & predicted
    # Predicted cells are blended towards white so they never read as measurements.
    rgba[pale, :3] = (rgba[pale, :3].astype(float) * 0.55 + 255 * 0.45).astype(np.uint8)
    return rgba


def _short(key: str) -> str:
    text = key.split(":", 1)[-1]
    return text if len(text) <= 22 else text[:20] + "…"


def _name(report: ToxicityReport) -> str:
    return report.name or report.inchikey


def _score_line(report: ToxicityReport, prefix: bool) -> str:
    p = report.profile
    who = f"<b>{_name(report)}</b>: " if prefix else ""
    if p.score is None:
        return f"{who}score: no data ({p.basis})"
    predicted = len(report.predicted)
    extra = f"; {predicted} Tox21 task(s) predicted, not in the score" if predicted else ""
    return (
        f"{who}toxicity score <b>{p.score:.3f}</b>, rests on <b>{p.assays}</b> assays "
        f"({p.active_assays} active), <b>{p.weighting}</b>{extra}"
    )


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _small_font(widget: QWidget):
    font = widget.font()
    font.setPointSizeF(max(6.5, font.pointSizeF() * 0.8))
    return font




def _fill(table: QTableWidget, rows: Sequence[Sequence[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
    for c in range(table.columnCount()):
        table.setColumnWidth(c, min(table.columnWidth(c), 320))
