"""Dialogs of the first window: About / Data sources, and the summary at the end of an import."""

from __future__ import annotations

import html
import platform
from collections.abc import Sequence
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from cryodesk import APP_NAME, __version__
from cryodesk.domain import JobState, RowError
from cryodesk.store import DataSource

ABOUT_TAB = 0
SOURCES_TAB = 1


class AboutDialog(QDialog):
    """The application, its project, and the data sets it embeds with their licences and citations."""

    def __init__(self, sources: Sequence[DataSource], project_path: Path | None = None,
                 log_file: Path | None = None, tab: int = ABOUT_TAB, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.resize(760, 560)
        self.tabs = QTabWidget(self)
        self.about = QTextBrowser(self)
        self.about.setOpenExternalLinks(True)
        self.about.setHtml(_about_html(project_path, log_file))
        self.sources = QTextBrowser(self)
        self.sources.setOpenExternalLinks(True)
        self.sources.setHtml(data_sources_html(sources))
        self.tabs.addTab(self.about, APP_NAME)
        self.tabs.addTab(self.sources, f"Data sources ({len(sources)})")
        self.tabs.setCurrentIndex(tab)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)


def _about_html(project_path: Path | None, log_file: Path | None) -> str:
    rows = []
    if project_path is not None:
        rows.append(f"<tr><td><b>Project</b></td><td>{html.escape(str(project_path))}</td></tr>")
    if log_file is not None:
        rows.append(f"<tr><td><b>Log file</b></td><td>{html.escape(str(log_file))}</td></tr>")
    return (
        f"<h2>{APP_NAME} {html.escape(__version__)}</h2>"
        "<p>A desktop workbench for finding cryoprotectants and designing cryoprotectant mixtures: "
        "a library of compounds with every measured, computed and predicted value and a record of "
        "where each one came from.</p>"
        "<p>The embedded reference data are listed, with their licences and citations, under "
        "<i>Data sources</i>. Please cite them when you use their values.</p>"
        f"<table cellspacing='6'>{''.join(rows)}</table>"
        f"<p style='color:gray'>Python {html.escape(platform.python_version())}, "
        f"PySide6 {html.escape(PySide6.__version__)} (Qt {html.escape(qVersion())})</p>"
    )


def data_sources_html(sources: Sequence[DataSource]) -> str:
    """An HTML list of the data sources with title, licence, citation and link (all escaped)."""
    if not sources:
        return ("<p><i>This project has no registered data sources yet. The embedded default library "
                "registers its data sets when it is loaded.</i></p>")
    parts = ["<h3>Data sets in this project</h3>"]
    for s in sources:
        lines = [f"<p><b>{html.escape(s.title)}</b> <span style='color:gray'>({html.escape(s.key)})</span><br>"]
        if s.licence:
            lines.append(f"Licence: {html.escape(s.licence)}<br>")
        if s.citation:
            lines.append(f"Citation: {html.escape(s.citation)}<br>")
        if s.url:
            url = html.escape(s.url, quote=True)
            lines.append(f"<a href='{url}'>{html.escape(s.url)}</a><br>")
        if s.notes:
            lines.append(f"<span style='color:gray'>{html.escape(s.notes)}</span><br>")
        if s.retrieved_at:
            lines.append(f"<span style='color:gray'>Retrieved {html.escape(s.retrieved_at)}</span>")
        lines.append("</p>")
        parts.append("".join(lines))
    return "".join(parts)


class ImportSummaryDialog(QDialog):
    """What an import did: rows stored and rejected, warnings, and every rejected row with its reason."""

    def __init__(self, title: str, state: JobState, summary: object | None, errors: Sequence[RowError],
                 error_text: str | None = None, errors_total: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(720, 520)
        self.state = state
        self.headline = QLabel(self)
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(Qt.TextFormat.PlainText)
        self.headline.setText(_headline(state, error_text))
        bold = self.headline.font()
        bold.setBold(True)
        self.headline.setFont(bold)
        form = QFormLayout()
        self.figures: dict[str, int] = {}
        for label, attr in (("Rows read", "rows_read"), ("Rows stored", "rows_stored"),
                            ("Rows rejected", "rows_rejected"), ("New compounds", "compounds_new"),
                            ("New values", "values_new"), ("Duplicate rows", "duplicates")):
            value = getattr(summary, attr, None)
            if isinstance(value, int):
                self.figures[attr] = value
                form.addRow(label, QLabel(f"{value:,}", self))
        resumed = getattr(summary, "resumed_from_row", 0)
        if resumed:
            form.addRow("Resumed at row", QLabel(f"{resumed:,}", self))
        warnings = list(getattr(summary, "warnings", []) or [])
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addLayout(form)
        if warnings:
            note = QLabel("Warnings:\n" + "\n".join(f"• {w}" for w in warnings), self)
            note.setWordWrap(True)
            layout.addWidget(note)
        self.errors_table = QTableWidget(len(errors), 4, self)
        self.errors_table.setHorizontalHeaderLabels(["Row", "Field", "Value", "Reason"])
        self.errors_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.errors_table.verticalHeader().setVisible(False)
        self.errors_table.setAlternatingRowColors(True)
        for r, e in enumerate(errors):
            row_item = QTableWidgetItem()
            row_item.setData(Qt.ItemDataRole.DisplayRole, e.row)
            self.errors_table.setItem(r, 0, row_item)
            self.errors_table.setItem(r, 1, QTableWidgetItem(e.field or ""))
            self.errors_table.setItem(r, 2, QTableWidgetItem("" if e.value is None else str(e.value)))
            reason = QTableWidgetItem(e.reason)
            reason.setToolTip(e.describe())
            self.errors_table.setItem(r, 3, reason)
        self.errors_table.resizeColumnsToContents()
        for column, least in ((0, 64), (1, 90), (2, 120)):  # room for the sort arrow and short values
            self.errors_table.setColumnWidth(column, max(least, min(self.errors_table.columnWidth(column), 240)))
        self.errors_table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.errors_table.setSortingEnabled(True)
        self.errors_table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # Qt's default indicator is descending
        shown = len(errors)
        total = errors_total if errors_total is not None else shown
        caption = f"Rejected rows ({shown:,}" + (f" of {total:,})" if total > shown else ")")
        layout.addWidget(QLabel(caption, self))
        layout.addWidget(self.errors_table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def _headline(state: JobState, error_text: str | None) -> str:
    if state == JobState.DONE:
        return "The import finished."
    if state == JobState.CANCELLED:
        return ("The import was cancelled. Rows stored before that are kept; importing the same file "
                "again resumes where it stopped.")
    if state == JobState.PAUSED:
        return "The import was paused. Importing the same file again resumes it."
    return f"The import failed: {error_text or 'unknown error'}. Rows stored before the failure are kept."
