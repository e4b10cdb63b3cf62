"""Monitoring of one model version: prediction counts, latency histogram, cache hit rate and drift.

The figures are the prediction service's (``ModelViews.monitor``, read on a pool thread); this panel
only lays them out. Drift past the service's threshold turns the indicator red and offers a retrain.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from cryodesk.engine.prediction import MIN_ROWS_FOR_DRIFT
from cryodesk.gui.theme import plot_colours, style_plot

OK_STYLE = "QLabel { color: white; background: #2f9e44; border-radius: 3px; padding: 2px 6px; }"
ALERT_STYLE = "QLabel { color: white; background: #c92a2a; border-radius: 3px; padding: 2px 6px; }"
NEUTRAL_STYLE = "QLabel { color: white; background: #868e96; border-radius: 3px; padding: 2px 6px; }"


def _fmt(value: Any, pattern: str = "{:,}") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return pattern.format(value)


class MonitorPanel(QGroupBox):
    """Counters and drift of the selected model version; ``retrain_requested`` from its button."""

    retrain_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Monitoring", parent)
        import pyqtgraph as pg

        self.setObjectName("MonitorPanel")
        self.snapshot: dict[str, Any] | None = None
        self.values: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        fields = (
            ("predictions", "Predictions served"),
            ("calls", "Calls"),
            ("hit_rate", "Cache hit rate"),
            ("cached_rows", "Cached in project"),
            ("computed", "Computed"),
            ("failed", "Failed"),
            ("latency_mean", "Mean latency"),
            ("ood", "Out of domain"),
        )
        for i, (key, text) in enumerate(fields):
            label = QLabel(text, self)
            value = QLabel("–", self)
            value.setObjectName(f"monitor_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[key] = value
            grid.addWidget(label, i // 2, (i % 2) * 2)
            grid.addWidget(value, i // 2, (i % 2) * 2 + 1)
        self.drift_label = QLabel("Drift: no data yet", self)
        self.drift_label.setObjectName("DriftIndicator")
        self.drift_label.setStyleSheet(NEUTRAL_STYLE)
        self.suggestion = QLabel(self)
        self.suggestion.setObjectName("RetrainSuggestion")
        self.suggestion.setWordWrap(True)
        self.retrain_button = QPushButton("Retrain…", self)
        self.retrain_button.setToolTip("Open the training dialog with this model's settings")
        self.retrain_button.clicked.connect(self.retrain_requested)
        self.retrain_button.hide()
        drift_row = QHBoxLayout()
        drift_row.addWidget(self.drift_label)
        drift_row.addWidget(self.retrain_button)
        drift_row.addStretch(1)

        self.histogram = pg.PlotWidget(self)
        self.histogram.setObjectName("LatencyHistogram")
        self.histogram.setMenuEnabled(False)
        self.histogram.setMouseEnabled(x=False, y=False)
        self.histogram.setMinimumHeight(110)
        self.histogram.setTitle("Call latency (ms, upper bucket edge)", size="9pt")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.histogram.addItem(self.bars)

        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addLayout(drift_row)
        layout.addWidget(self.suggestion)
        layout.addWidget(self.histogram, 1)
        self.apply_theme()

    def apply_theme(self) -> None:
        import pyqtgraph as pg

        colours = plot_colours()
        style_plot(self.histogram)
        self.bars.setOpts(brush=pg.mkBrush(*colours.points), pen=pg.mkPen(None))

    def clear(self) -> None:
        self.snapshot = None
        for value in self.values.values():
            value.setText("–")
        self.drift_label.setText("Drift: no data yet")
        self.drift_label.setStyleSheet(NEUTRAL_STYLE)
        self.suggestion.clear()
        self.retrain_button.hide()
        self.bars.setOpts(x=[], height=[])

    def show_snapshot(self, snap: dict[str, Any]) -> None:
        """Lay out a ``PredictionService.monitor`` snapshot."""
        if snap == self.snapshot:
            return  # re-read every 2 s: an unchanged snapshot costs the GUI thread no relayout or replot
        self.snapshot = snap
        v = self.values
        v["predictions"].setText(_fmt(snap.get("predictions")))
        v["calls"].setText(_fmt(snap.get("calls")))
        v["hit_rate"].setText(_fmt(snap.get("cache_hit_rate"), "{:.1%}"))
        v["cached_rows"].setText(_fmt(snap.get("cached_rows")))
        v["computed"].setText(_fmt(snap.get("computed")))
        v["failed"].setText(_fmt(snap.get("failed")))
        latency = snap.get("latency_ms") or {}
        v["latency_mean"].setText(_fmt(latency.get("mean"), "{:.2f} ms"))
        v["ood"].setText(_fmt(snap.get("out_of_domain_share"), "{:.1%}"))
        self._show_drift(snap)
        self._show_histogram(latency)

    def _show_drift(self, snap: dict[str, Any]) -> None:
        drift, threshold = snap.get("drift"), snap.get("drift_threshold")
        text = "Drift: no data yet" if drift is None else f"Drift {drift:.2f} sd (threshold {threshold:.2f})"
        if snap.get("retrain_suggested"):
            self.drift_label.setText(text + " — retrain suggested")
            self.drift_label.setStyleSheet(ALERT_STYLE)
            self.suggestion.setText("Retraining is suggested: " + "; ".join(snap.get("reasons") or []) + ".")
            self.retrain_button.show()
        elif drift is not None and threshold is not None and drift > threshold:
            # Above the line, but on too few computed predictions for the service to call it drift.
            computed = int(snap.get("computed") or 0)
            self.drift_label.setText(f"{text} — {computed} computed, {MIN_ROWS_FOR_DRIFT} needed to judge")
            self.drift_label.setStyleSheet(NEUTRAL_STYLE)
            self.suggestion.clear()
            self.retrain_button.hide()
        else:
            self.drift_label.setText(text if drift is None else text + " — within range")
            self.drift_label.setStyleSheet(NEUTRAL_STYLE if drift is None else OK_STYLE)
            self.suggestion.clear()
            self.retrain_button.hide()

    def _show_histogram(self, latency: dict[str, Any]) -> None:
        counts = list(latency.get("counts") or [])
        edges = list(latency.get("buckets_le") or [])
        self.bars.setOpts(x=list(range(len(counts))), height=counts, width=0.7)
        axis = self.histogram.getPlotItem().getAxis("bottom")
        axis.setTicks([[(i, "∞" if e == "inf" else e) for i, e in enumerate(edges)]])
