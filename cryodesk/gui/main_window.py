"""The main window: the molecules table, a search box, the detail panel and the engine's activity.

Every engine call that may take time (search, detail, import, seeding, export) runs through a
:class:`~cryodesk.gui.worker.TaskSlot`: one slot per view, so a new search cancels the previous
one and a stale result never reaches the table. Only small look-ups (the rows on screen, the list
of data sources) are called directly from the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, QModelIndex, QSize, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStyle,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cryodesk import APP_NAME
from cryodesk.domain import CryoDeskError, JobState, RowError
from cryodesk.engine.file_import import FileImportParams
from cryodesk.engine.jobs import JobOutcome
from cryodesk.engine.service import Workbench
from cryodesk.gui.depiction import DepictionCache
from cryodesk.gui.detail_panel import CompoundDetailPanel
from cryodesk.gui.dialogs import ABOUT_TAB, SOURCES_TAB, AboutDialog, ImportSummaryDialog
from cryodesk.gui.gui_settings import gui_settings
from cryodesk.gui.logging_setup import log_file_path
from cryodesk.gui.molecule_table import INCHIKEY_ROLE, MoleculeTableModel, MoleculeTableView
from cryodesk.gui.worker import UNKNOWN_TOTAL, ProgressFn, TaskSlot
from cryodesk.store import CompoundRow

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 250  # typing "glycerol" runs one search, not eight
DETAIL_DEBOUNCE_MS = 60  # holding an arrow key through the table loads the row you stop on
LIVE_REFRESH_MS = 1500  # while a job writes rows, the table re-reads at most this often
SHUTDOWN_WAIT_MS = 15_000
DETAIL_DOCK_WIDTH = 500
ROW_ERRORS_SHOWN = 1000
IMPORT_FILTER = "Structure files (*.csv *.tsv *.tab *.txt *.sdf *.sd *.mol *.smi *.smiles *.ism *.gz);;" \
    "CSV / TSV (*.csv *.tsv *.tab *.txt);;SDF (*.sdf *.sd *.mol);;SMILES (*.smi *.smiles *.ism);;All files (*)"
EXPORT_FILTERS = {"CSV (*.csv)": ".csv", "SDF (*.sdf)": ".sdf"}


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What the import worker hands back: the outcome, its figures and the first rejected rows."""

    outcome: JobOutcome
    summary: Any  # ImportSummary, or the figures a stopped job saved (None if it saved none)
    row_errors: list[RowError]
    errors_total: int


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    ids: list[int]
    total: int


@dataclass(frozen=True, slots=True)
class JobReport:
    """Sent by :attr:`MainWindow.job_finished`: which job ended and its result (or error)."""

    kind: str
    result: Any = None
    error: str | None = None


class EngineActivity(QWidget):
    """Status-bar strip for the running job: what it does, a progress bar and Cancel."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setFixedWidth(220)
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop the running job; rows already stored are kept")
        self.cancel_button.clicked.connect(self._on_cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.setVisible(False)

    def begin(self, title: str) -> None:
        self.title = title
        self.label.setText(title)
        self.bar.setRange(0, 0)  # busy until the first report says how far there is to go
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self.setVisible(True)

    def report(self, done: int, total: int, message: str) -> None:
        if total == UNKNOWN_TOTAL or total <= 0:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
        self.label.setText(f"{self.title}: {message}" if message else self.title)

    def end(self) -> None:
        self.setVisible(False)

    def _on_cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        self.cancel_requested.emit()


class NoticeBar(QFrame):
    """A dismissable strip above the table for things the user must know (network drive, read-only)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("NoticeBar")
        self.setStyleSheet("#NoticeBar { background: #fff4ce; border: 1px solid #e0c36a; border-radius: 3px; }"
                           "#NoticeBar QLabel { color: #4a3b00; }")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Hide this notice")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_notices(self, notices: list[str]) -> None:
        if notices:
            self.label.setText("\n".join(notices))
            self.show()
        else:
            self.hide()


class MainWindow(QMainWindow):
    """The CryoDesk workbench window over one open project.

    Args:
        workbench: the open project; the window owns it from now on and closes it on exit.
    """

    search_done = Signal(int, int)  # rows shown, compounds in the project
    job_finished = Signal(object)  # JobReport

    import_workers = 0  # 0 = the engine's default (one process per core); tests use 1

    def __init__(self, workbench: Workbench, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self.wb = workbench
        self._shut_down = False
        self._job_kind: str | None = None
        self._keep_position = False  # whether the running search is a refresh (keep the scroll position)
        self.last_dialog: QDialog | None = None
        self.search_slot = TaskSlot("search", parent=self)
        self.detail_slot = TaskSlot("detail", parent=self)
        self.job_slot = TaskSlot("job", parent=self)
        self.depictions = DepictionCache(Workbench.depiction_png, parent=self)

        self.model = MoleculeTableModel(self._fetch_rows, parent=self)
        self.table = MoleculeTableView(self.depictions, self)
        self.table.setModel(self.model)
        self.table.apply_default_widths()
        self.notice_bar = NoticeBar(self)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(self.notice_bar)
        layout.addWidget(self.table, 1)
        self.setCentralWidget(central)

        self.detail = CompoundDetailPanel(self.depictions, self)
        self.detail_dock = QDockWidget("Compound", self)
        self.detail_dock.setObjectName("DetailDock")
        self.detail_dock.setWidget(self.detail)
        self.detail_dock.setMinimumWidth(380)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.detail_dock)

        self._build_search_box()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._connect()
        self._restore_layout()
        self._project_changed()

    # -- construction ------------------------------------------------------------------------------
    def _build_search_box(self) -> None:
        self.search_box = QLineEdit(self)
        self.search_box.setObjectName("SearchBox")
        self.search_box.setPlaceholderText("Search name, identifier, CAS, InChIKey or SMILES…")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setMinimumWidth(340)
        self.search_box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._detail_timer = QTimer(self)
        self._detail_timer.setSingleShot(True)
        self._detail_timer.setInterval(DETAIL_DEBOUNCE_MS)
        self._live_refresh_timer = QTimer(self)
        self._live_refresh_timer.setSingleShot(True)
        self._live_refresh_timer.setInterval(LIVE_REFRESH_MS)

    def _action(self, text: str, slot: Any, shortcut: QKeySequence | str | None = None,
                icon: QStyle.StandardPixmap | None = None, tip: str | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.open_action = self._action("&Open project…", self._choose_project, QKeySequence.StandardKey.Open,
                                        sp.SP_DialogOpenButton, "Open a CryoDesk project file (*.cryodesk)")
        self.import_action = self._action("&Import file…", self._choose_import_file, "Ctrl+I",
                                          sp.SP_ArrowDown, "Import structures and values from CSV, TSV, SDF or SMILES")
        self.export_action = self._action("&Export selection…", self._choose_export_file, "Ctrl+E",
                                          sp.SP_DialogSaveButton, "Export the selected compounds (or all shown) to CSV or SDF")
        self.seed_action = self._action("Load the &default library", self.seed_default_library, None, None,
                                        "Add the embedded reference library of cryoprotectants to this project")
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.refresh_action = self._action("&Refresh", self.refresh, QKeySequence.StandardKey.Refresh,
                                           sp.SP_BrowserReload, "Read the table again from the project")
        self.find_action = self._action("&Find", self._focus_search, QKeySequence.StandardKey.Find)
        self.about_action = self._action(f"&About {APP_NAME}", lambda: self.show_about(ABOUT_TAB))
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.sources_action = self._action("&Data sources", lambda: self.show_about(SOURCES_TAB), None, None,
                                           "Licences and citations of the data in this project")

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.open_action)
        file_menu.addSeparator()
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.export_action)
        file_menu.addAction(self.seed_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.view_menu = bar.addMenu("&View")
        self.view_menu.addAction(self.find_action)
        self.view_menu.addAction(self.refresh_action)
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.detail_dock.toggleViewAction())
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.sources_action)
        help_menu.addAction(self.about_action)

    def _build_toolbar(self) -> None:
        self.toolbar = QToolBar("Main toolbar", self)
        self.toolbar.setObjectName("MainToolbar")
        self.toolbar.setIconSize(QSize(18, 18))
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar.setMovable(False)
        for action in (self.open_action, self.import_action, self.export_action, self.refresh_action):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        self.toolbar.addWidget(QLabel(" Search ", self))
        self.toolbar.addWidget(self.search_box)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.view_menu.addAction(self.toolbar.toggleViewAction())

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.activity = EngineActivity(self)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("CountLabel")
        self.count_label.setMinimumWidth(150)
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        status.addPermanentWidget(self.activity)
        status.addPermanentWidget(self.count_label)

    def _connect(self) -> None:
        self.search_box.textChanged.connect(lambda _text: self._search_timer.start())
        self.search_box.returnPressed.connect(self.run_search)
        self._search_timer.timeout.connect(self.run_search)
        self._detail_timer.timeout.connect(self._load_current_detail)
        self._live_refresh_timer.timeout.connect(self.refresh)
        self.search_slot.finished.connect(self._on_search_finished)
        self.search_slot.failed.connect(self._on_search_failed)
        self.detail_slot.finished.connect(self.detail.show_detail)
        self.detail_slot.failed.connect(lambda e: self.detail.show_message(f"Could not read this compound: {e}"))
        self.job_slot.progress.connect(self._on_job_progress)
        self.job_slot.finished.connect(self._on_job_finished)
        self.job_slot.failed.connect(self._on_job_failed)
        self.activity.cancel_requested.connect(self.job_slot.cancel)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.model.modelReset.connect(self._update_count)

    # -- the project -------------------------------------------------------------------------------
    def _project_changed(self) -> None:
        project = self.wb.project
        read_only = project.read_only
        suffix = " [read-only]" if read_only else ""
        self.setWindowTitle(f"{project.path.name}{suffix} — {APP_NAME}")
        self.setWindowFilePath(str(project.path))
        notices = self.wb.notices
        self.notice_bar.show_notices(notices)
        if notices:
            self.statusBar().showMessage(notices[0], 15_000)
        self._update_actions()
        self.model.set_ids([], 0)
        self.detail.clear()
        self.refresh()

    def _update_actions(self) -> None:
        busy = self.job_slot.running
        writable = not self.wb.project.read_only
        self.open_action.setEnabled(not busy)
        self.import_action.setEnabled(writable and not busy)
        self.export_action.setEnabled(not busy)
        self.seed_action.setEnabled(writable and not busy and not self._is_seeded())

    def _is_seeded(self) -> bool:
        try:
            return self.wb.is_seeded()
        except CryoDeskError:
            return True  # unreadable meta: do not offer to seed over it

    def open_project(self, path: str | Path) -> bool:
        """Switch to the project at ``path``; False (with a message) if it cannot be opened."""
        try:
            workbench = Workbench.open(path)
        except CryoDeskError as exc:
            QMessageBox.critical(self, "Cannot open project", str(exc))
            return False
        self._stop_tasks()
        old, self.wb = self.wb, workbench
        old.close()
        gui_settings().setValue("project/last", str(workbench.project.path))
        self._project_changed()
        return True

    def _choose_project(self) -> None:
        settings = gui_settings()
        start = str(settings.value("project/last", "") or "")
        path, _ = QFileDialog.getOpenFileName(self, "Open project", start,
                                              "CryoDesk projects (*.cryodesk);;All files (*)")
        if path:
            self.open_project(path)

    # -- search and table --------------------------------------------------------------------------
    def _fetch_rows(self, ids: list[int]) -> list[CompoundRow]:
        return self.wb.compound_rows(ids)

    def _focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def run_search(self) -> None:
        """Run the query in the search box now (in the background)."""
        self._search_timer.stop()
        self._start_search(self.search_box.text())

    def refresh(self) -> None:
        """Re-read the current query's rows (after an import, or while one runs)."""
        self._search_timer.stop()
        self._start_search(self.search_box.text(), keep_position=True)

    def _start_search(self, query: str, keep_position: bool = False) -> None:
        wb = self.wb
        self._keep_position = keep_position

        def work(_progress: ProgressFn, _cancel: threading.Event) -> SearchResult:
            return SearchResult(query, wb.compound_ids(query), wb.compound_count())

        self.search_slot.start(work, f"search {query!r}")

    def _on_search_finished(self, result: SearchResult) -> None:
        current_id = self._current_id()
        scroll = self.table.verticalScrollBar().value()
        self.model.set_ids(result.ids, result.total)
        row = self.model.row_of(current_id) if current_id is not None else None
        if row is None:
            self.detail.clear()
        else:
            # Keep the selected compound selected, without scrolling to it: during a live refresh
            # the user may be looking elsewhere in the table.
            self.table.setAutoScroll(False)
            self.table.selectRow(row)
            self.table.setAutoScroll(True)
        if self._keep_position:
            self.table.verticalScrollBar().setValue(scroll)
        self.search_done.emit(len(result.ids), result.total)

    def _on_search_failed(self, error: str) -> None:
        # Rows of the previous query under the new query's text would mislead; show none, and why.
        self.model.set_ids([], self.model.total)
        self.detail.clear()
        self.statusBar().showMessage(f"Search failed: {error}", 15_000)
        self.search_done.emit(0, self.model.total)

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total
        self.count_label.setText(f"{shown:,} of {total:,} shown")

    def _current_id(self) -> int | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row(), QModelIndex()):
            return None
        return self.model.id_at(index.row())

    def selected_ids(self) -> list[int]:
        """Ids of the selected rows in table order (by ranges: selecting 100,000 rows stays cheap)."""
        rows: set[int] = set()
        for rng in self.table.selectionModel().selection():
            rows.update(range(rng.top(), rng.bottom() + 1))
        ids = self.model.ids()
        return [ids[r] for r in sorted(rows) if r < len(ids)]

    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._detail_timer.start()

    def _load_current_detail(self) -> None:
        compound_id = self._current_id()
        if compound_id is None:
            self.detail_slot.discard()
            self.detail.clear()
            return
        inchikey = self.model.data(self.model.index(self.table.currentIndex().row(), 0), INCHIKEY_ROLE)
        if not inchikey:
            return
        wb = self.wb
        self.detail_slot.start(lambda _p, _c: wb.compound_detail(inchikey), f"detail {inchikey}")

    # -- jobs: seeding, import, export -------------------------------------------------------------
    def _start_job(self, kind: str, title: str, work: Any) -> bool:
        if self.job_slot.running:
            QMessageBox.information(self, APP_NAME, "Another job is running; wait for it or cancel it first.")
            return False
        self._job_kind = kind
        self.activity.begin(title)
        self.job_slot.start(work, kind)
        self._update_actions()
        return True

    def seed_default_library_if_needed(self) -> bool:
        """Start loading the default library in the background if this project has not got it."""
        if self.wb.project.read_only or self._is_seeded():
            return False
        return self.seed_default_library()

    def seed_default_library(self) -> bool:
        wb = self.wb
        return self._start_job("seed", "Loading the default library",
                               lambda progress, cancel: wb.seed_default_library(progress, cancel))

    def start_import(self, path: str | Path) -> bool:
        """Import ``path`` in the background; the summary dialog opens when it ends."""
        wb = self.wb
        params = FileImportParams(path=str(path), workers=self.import_workers)

        def work(progress: ProgressFn, cancel: threading.Event) -> ImportResult:
            outcome = wb.import_file(params, progress, cancel)
            # Everything the summary dialog shows is read here, off the GUI thread.
            job = wb.job(outcome.job_id)
            summary = outcome.result if outcome.result is not None else _saved_summary(job.metrics)
            return ImportResult(outcome, summary, wb.row_errors(outcome.job_id, ROW_ERRORS_SHOWN), job.n_row_errors)

        return self._start_job("import", f"Importing {Path(path).name}", work)

    def _choose_import_file(self) -> None:
        settings = gui_settings()
        start = str(settings.value("import/last_dir", "") or "")
        path, _ = QFileDialog.getOpenFileName(self, "Import file", start, IMPORT_FILTER)
        if path:
            settings.setValue("import/last_dir", str(Path(path).parent))
            self.start_import(path)

    def start_export(self, ids: list[int], path: str | Path) -> bool:
        wb = self.wb
        target = Path(path)
        return self._start_job("export", f"Exporting {len(ids):,} compounds",
                               lambda _p, _c: (wb.export(ids, target), target))

    def _choose_export_file(self) -> None:
        ids = self.selected_ids() or self.model.ids()
        if not ids:
            self.statusBar().showMessage("Nothing to export: the table is empty.", 5000)
            return
        what = "selected" if self.selected_ids() else "shown"
        settings = gui_settings()
        start = str(settings.value("export/last_dir", "") or "")
        path, chosen = QFileDialog.getSaveFileName(self, f"Export {len(ids):,} {what} compounds", start,
                                                   ";;".join(EXPORT_FILTERS))
        if not path:
            return
        target = Path(path)
        if not target.suffix:
            target = target.with_suffix(EXPORT_FILTERS.get(chosen, ".csv"))
        settings.setValue("export/last_dir", str(target.parent))
        self.start_export(ids, target)

    def _on_job_progress(self, done: int, total: int, message: str) -> None:
        self.activity.report(done, total, message)
        # Show rows as they land, without re-reading the table on every report.
        if self._job_kind in ("seed", "import") and not self._live_refresh_timer.isActive():
            self._live_refresh_timer.start()

    def _on_job_finished(self, result: object) -> None:
        kind = self._end_job()
        if kind in ("seed", "import"):
            self.refresh()
        if kind == "seed":
            self._seed_finished(result)  # type: ignore[arg-type]
        elif kind == "import":
            self._import_finished(result)  # type: ignore[arg-type]
        elif kind == "export":
            count, target = result  # type: ignore[misc]
            self.statusBar().showMessage(f"Exported {count:,} compounds to {target}", 10_000)
        self.job_finished.emit(JobReport(kind or "", result))

    def _on_job_failed(self, error: str) -> None:
        kind = self._end_job()
        if kind in ("seed", "import"):
            self.refresh()
        what = {"seed": "Loading the default library", "import": "The import", "export": "The export"}.get(
            kind or "", "The job")
        self.statusBar().showMessage(f"{what} failed: {error}", 15_000)
        box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, f"{what} failed.", QMessageBox.StandardButton.Close,
                          self)
        box.setInformativeText(error)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_dialog = box
        box.open()  # window-modal and non-blocking: the event loop (and other views) keep running
        self.job_finished.emit(JobReport(kind or "", None, error))

    def _end_job(self) -> str | None:
        kind, self._job_kind = self._job_kind, None
        self._live_refresh_timer.stop()
        self.activity.end()
        self._update_actions()
        return kind

    def _seed_finished(self, outcome: JobOutcome) -> None:
        if outcome.state == JobState.DONE:
            self.statusBar().showMessage("The default library is loaded.", 10_000)
        elif outcome.state == JobState.CANCELLED:
            self.statusBar().showMessage("Loading the default library was cancelled; File ▸ Load the default "
                                         "library resumes it.", 15_000)
        else:
            self.statusBar().showMessage(f"Loading the default library failed: {outcome.error}", 15_000)

    def _import_finished(self, result: ImportResult) -> None:
        outcome, summary = result.outcome, result.summary
        path = getattr(summary, "path", "") or ""
        rejected = getattr(summary, "rows_rejected", None)
        dialog = ImportSummaryDialog(
            f"Import {Path(path).name}" if path else "Import", outcome.state, summary, result.row_errors,
            outcome.error, errors_total=result.errors_total, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_dialog = dialog
        dialog.open()
        stored = getattr(summary, "rows_stored", None)
        self.statusBar().showMessage(
            f"Import {outcome.state}: {stored:,} rows stored, {rejected or 0:,} rejected" if isinstance(stored, int)
            else f"Import {outcome.state}", 15_000)

    # -- help ---------------------------------------------------------------------------------------
    def show_about(self, tab: int = ABOUT_TAB) -> AboutDialog:
        try:
            sources = self.wb.data_sources()
        except CryoDeskError as exc:
            log.warning("cannot list data sources: %s", exc)
            sources = []
        dialog = AboutDialog(sources, self.wb.project.path, log_file_path(), tab, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_dialog = dialog
        dialog.open()
        return dialog

    # -- layout and shutdown ------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        settings = gui_settings()
        geometry = settings.value("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)  # type: ignore[arg-type]
        else:
            self.resize(1400, 900)
        state = settings.value("main_window/state")
        if state is not None:
            self.restoreState(state)  # type: ignore[arg-type]
        else:
            self.resizeDocks([self.detail_dock], [DETAIL_DOCK_WIDTH], Qt.Orientation.Horizontal)
        header = settings.value("main_window/table_header")
        if header is not None:
            self.table.horizontalHeader().restoreState(header)  # type: ignore[arg-type]

    def _save_layout(self) -> None:
        settings = gui_settings()
        settings.setValue("main_window/geometry", self.saveGeometry())
        settings.setValue("main_window/state", self.saveState())
        settings.setValue("main_window/table_header", self.table.horizontalHeader().saveState())

    def _stop_tasks(self) -> None:
        """Cancel every task and wait for the pool, so no worker still uses the project we close."""
        self._search_timer.stop()
        self._detail_timer.stop()
        self._live_refresh_timer.stop()
        if self._job_kind is not None:
            self._end_job()
        for slot in (self.search_slot, self.detail_slot, self.job_slot):
            slot.discard()
        self.depictions.shutdown()
        if not QThreadPool.globalInstance().waitForDone(SHUTDOWN_WAIT_MS):
            log.warning("background tasks did not stop within %d ms", SHUTDOWN_WAIT_MS)

    def shutdown(self) -> None:
        """Save the layout, stop background work and close the project (idempotent)."""
        if self._shut_down:
            return
        self._shut_down = True
        self._save_layout()
        self._stop_tasks()
        self.wb.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        # A running job is cancelled, not waited for: jobs are resumable, so nothing is lost by quitting.
        if self.job_slot.running:
            log.info("closing while a %s job runs: cancelling it", self._job_kind)
        self.shutdown()
        super().closeEvent(event)


def _saved_summary(metrics: dict[str, Any] | None) -> Any:
    """The import summary a job saved in its metrics, as an object with attributes (or None)."""
    from types import SimpleNamespace

    summary = (metrics or {}).get("summary")
    return SimpleNamespace(**summary) if isinstance(summary, dict) else None
