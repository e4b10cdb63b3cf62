"""The main window: the molecules table with its filters, the analysis views, mixtures and jobs.

Every engine call that may take time (search, sort, filter, detail, import, seeding, export, plots,
clusters, structure queries) runs through a :class:`~cryodesk.gui.worker.TaskSlot`: one slot per
view, so a new request cancels the previous one and a stale result never reaches a view. Only
small look-ups (the rows on screen) are called directly from the GUI thread.

What the table shows is one :class:`~cryodesk.engine.views.TableQuery`: the search box, the active
subsets (structure search, cluster, scaffold, row list: chips above the table), the range and value
filters of the Filters dock, and the sort chosen by a header click. The engine answers with ids in
display order. Selections are shared through one :class:`~cryodesk.gui.selection_hub.SelectionHub`:
the table and the scatter plot publish to it and follow it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QSize,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStyle,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cryodesk import APP_NAME
from cryodesk.domain import CryoDeskError, JobState
from cryodesk.engine import views
from cryodesk.engine.features import close_feature_pools, warm_feature_pool
from cryodesk.engine.file_import import FileImportParams
from cryodesk.engine.jobs import JobOutcome
from cryodesk.engine.service import Workbench
from cryodesk.engine.views import SortKey, TableColumn, TableQuery
from cryodesk.gui import theme
from cryodesk.gui.chemspace_views import ClusterView, ScaffoldView
from cryodesk.gui.depiction import DepictionCache
from cryodesk.gui.detail_panel import CompoundDetailPanel
from cryodesk.gui.dialogs import ABOUT_TAB, SOURCES_TAB, AboutDialog, ImportSummaryDialog
from cryodesk.gui.filter_panel import ActiveFiltersBar, FilterPanel
from cryodesk.gui.gui_settings import gui_settings
from cryodesk.gui.import_dialogs import add_import_menu
from cryodesk.gui.job_process import ImportResult, import_file_job, run_in_process, seed_job
from cryodesk.gui.job_process import resume_job as resume_job_in_child
from cryodesk.gui.jobs_panel import JobsPanel
from cryodesk.gui.latency_probe import EventLoopLatencyProbe
from cryodesk.gui.logging_setup import log_file_path
from cryodesk.gui.manual_value_dialog import ManualValueEditor
from cryodesk.gui.mixtures_view import MixturesView
from cryodesk.gui.models_view import ModelsView
from cryodesk.gui.molecule_table import (
    INCHIKEY_ROLE,
    Column,
    MoleculesExtras,
    MoleculeTableModel,
    MoleculeTableView,
    column_menu_text,
)
from cryodesk.gui.row_lists import RowListPanel, ask_list_name
from cryodesk.gui.scatter_view import ScatterPlotView
from cryodesk.gui.selection_hub import SelectionHub
from cryodesk.gui.structure_query import StructureQueryPanel
from cryodesk.gui.worker import ProgressFn, TaskSlot, show_progress
from cryodesk.store import PROJECT_SUFFIX, CompoundRow

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 250  # typing "glycerol" runs one search, not eight
DETAIL_DEBOUNCE_MS = 60  # holding an arrow key through the table loads the row you stop on
LIVE_REFRESH_MS = 1500  # while a job writes rows, the table re-reads at most this often
SHUTDOWN_WAIT_MS = 15_000
DETAIL_DOCK_WIDTH = 440
BOTTOM_DOCK_HEIGHT = 290
RECENT_LIMIT = 10
MIN_VIEW_THREADS = 4  # view tasks are mostly SQLite reads (the GIL is released): more than the cores is fine
PROJECT_FILTER = f"CryoDesk projects (*{PROJECT_SUFFIX});;All files (*)"
IMPORT_FILTER = "Structure files (*.csv *.tsv *.tab *.txt *.sdf *.sd *.mol *.smi *.smiles *.ism *.gz);;" \
    "CSV / TSV (*.csv *.tsv *.tab *.txt);;SDF (*.sdf *.sd *.mol);;SMILES (*.smi *.smiles *.ism);;All files (*)"
EXPORT_FILTERS = {"CSV (*.csv)": ".csv", "SDF (*.sdf)": ".sdf"}
# Project view state (in the project file: it belongs to the data) and GUI settings keys.
STATE_COLUMNS = "table.property_columns"
STATE_SORT = "table.sort"
SETTINGS_WIDTHS = "table/widths"
SETTINGS_HIDDEN = "table/hidden_columns"
SETTINGS_RECENT = "project/recent"
MOLECULES_TAB, MIXTURES_TAB = 0, 1
MODELS_TAB = 2
HIDEABLE_COLUMNS = (Column.INCHIKEY, Column.FORMULA, Column.MW, Column.VALUES)


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The table's new content; with ``columns`` when the property columns were re-read too."""

    query: str
    ids: list[int]
    total: int
    columns: list[TableColumn] | None = None
    chosen: list[str] | None = None  # property columns saved in the project (None: never chosen)
    sort: SortKey | None = None  # the sort saved in the project (on opening it)
    restored: bool = False
    set_key: int | None = None  # hash of the set of ids (order-independent), computed off the GUI thread


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
        show_progress(self.bar, done, total)
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
    project_opened = Signal(str)  # path of the project now open
    theme_changed = Signal(str)

    import_workers = 0  # 0 = the engine's default (one process per core); tests use 1
    # Imports, seeding and resumed jobs run in a child process so they never hold this process's GIL
    # (see job_process); False runs them on the thread pool instead (profiling, debugging).
    jobs_in_child_process = True

    def __init__(self, workbench: Workbench, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self.wb = workbench
        self._shut_down = False
        self._feature_warmer: threading.Thread | None = None  # starts the shared feature workers
        self._job_kind: str | None = None
        self._job_id: int | None = None  # the engine job a "resume" runs (its Cancel goes through the record)
        self._keep_position = False  # whether the running search is a refresh (keep the scroll position)
        self._syncing_selection = False
        self._restore_pending = True  # the first search of a project restores its columns and sort
        self._sort: SortKey | None = None
        self._available: list[TableColumn] = []  # property columns the project has
        self._widths: dict[str, int] = {}
        self._state_lock = threading.Lock()
        self._pending_state: tuple[list[str], list[object] | None] = ([], None)
        self.last_dialog: QDialog | None = None
        settings = gui_settings()
        self.theme = theme.apply_theme(str(settings.value(theme.SETTINGS_KEY, theme.LIGHT) or theme.LIGHT))
        self.hub = SelectionHub(self)
        self.undo_stack = QUndoStack(self)  # user edits (mixture drafts, row lists): Edit ▸ Undo/Redo
        self.latency_probe = EventLoopLatencyProbe(parent=self)
        # Long jobs get a pool of their own: a job's relay thread waits for its child process for
        # minutes and must not take one of the few threads the views' short reads share.
        self.job_pool = QThreadPool(self)
        self.job_pool.setMaxThreadCount(1)
        pool = QThreadPool.globalInstance()
        pool.setMaxThreadCount(max(pool.maxThreadCount(), MIN_VIEW_THREADS))
        self.search_slot = TaskSlot("search", parent=self)
        self.detail_slot = TaskSlot("detail", parent=self)
        self.job_slot = TaskSlot("job", pool=self.job_pool, parent=self)
        self.state_slot = TaskSlot("view state", parent=self)
        self.depictions = DepictionCache(self._depiction_renderer(), parent=self)

        self.model = MoleculeTableModel(self._fetch_rows, parent=self, fetch_cells=self._fetch_cells)
        self.table = MoleculeTableView(self.depictions, self)
        self.table.setModel(self.model)
        self.table.apply_default_widths()
        self.notice_bar = NoticeBar(self)
        self.filter_bar = ActiveFiltersBar(self)
        molecules = QWidget(self)
        layout = QVBoxLayout(molecules)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(self.notice_bar)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.table, 1)
        self.mixtures = MixturesView(self._workbench, self, undo_stack=self.undo_stack)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("CentralTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(molecules, "Molecules")
        self.tabs.addTab(self.mixtures, "Mixtures")
        self.models = ModelsView(self._workbench, self.hub, self)
        self.tabs.addTab(self.models, "Models")
        self.setCentralWidget(self.tabs)
        self._molecule_layout: Any = None  # the docks' layout while the Mixtures page has the whole window

        # Animated docks would be caught half-way by an offscreen grab; instant re-layout is just as usable.
        self.setDockOptions(QMainWindow.DockOption.AllowTabbedDocks | QMainWindow.DockOption.AllowNestedDocks)
        # The right column runs to the bottom: the plots sit under the table, the compound keeps its height.
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.detail = CompoundDetailPanel(self.depictions, self)
        self.detail_dock = self._dock("Compound", "DetailDock", self.detail, Qt.DockWidgetArea.RightDockWidgetArea)
        self.detail_dock.setMinimumWidth(360)
        # Values entered by hand in the detail panel: undoable engine writes; the table re-reads after each.
        self.manual_values = ManualValueEditor(self._workbench, self.undo_stack, self.detail, self)
        self.manual_values.changed.connect(self._on_manual_value_changed)
        self.filter_panel = FilterPanel(self._workbench, self)
        self.filter_dock = self._dock("Filters", "FilterDock", self.filter_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.structure_query = StructureQueryPanel(self._workbench, self)
        self.query_dock = self._dock("Structure query", "StructureQueryDock", self.structure_query,
                                     Qt.DockWidgetArea.RightDockWidgetArea)
        self.row_lists = RowListPanel(self._workbench, self, undo_stack=self.undo_stack)
        self.row_lists.selection = self.selected_ids
        self.row_lists_dock = self._dock("Row lists", "RowListDock", self.row_lists,
                                         Qt.DockWidgetArea.RightDockWidgetArea)
        self.scatter = ScatterPlotView(self._workbench, self.hub, self)
        self.scatter_dock = self._dock("Scatter plot", "ScatterDock", self.scatter,
                                       Qt.DockWidgetArea.BottomDockWidgetArea)
        self.clusters = ClusterView(self._workbench, self.depictions, self)
        self.clusters_dock = self._dock("Clusters", "ClusterDock", self.clusters, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.scaffolds = ScaffoldView(self._workbench, self.depictions, self)
        self.scaffolds_dock = self._dock("Scaffolds", "ScaffoldDock", self.scaffolds,
                                         Qt.DockWidgetArea.BottomDockWidgetArea)
        self.jobs = JobsPanel(self._workbench, self)
        self.jobs_dock = self._dock("Jobs", "JobsDock", self.jobs, Qt.DockWidgetArea.BottomDockWidgetArea)
        # The right column holds the compound and the search tools as tabs, so the table keeps the width
        # of the window at 1400 px; any dock can be dragged out or beside another.
        self.tabifyDockWidget(self.detail_dock, self.filter_dock)
        self.tabifyDockWidget(self.filter_dock, self.query_dock)
        self.tabifyDockWidget(self.query_dock, self.row_lists_dock)
        self.tabifyDockWidget(self.scatter_dock, self.clusters_dock)
        self.tabifyDockWidget(self.clusters_dock, self.scaffolds_dock)
        self.tabifyDockWidget(self.scaffolds_dock, self.jobs_dock)
        self.detail_dock.raise_()
        self.scatter_dock.raise_()

        # Clusters and similarity search fingerprint the whole library: the shared feature workers
        # start when one of them is first shown, so its first run does not pay their start-up.
        for dock in (self.clusters_dock, self.query_dock):
            dock.visibilityChanged.connect(self._warm_features_when_shown)

        self._build_search_box()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._connect()
        self._restore_layout()
        self._project_changed()

    def _workbench(self) -> Workbench:
        """The project open now (views hold this callable, so a project switch needs no re-wiring)."""
        return self.wb

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

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
            action.setToolTip(tip + (f" ({action.shortcut().toString()})" if shortcut is not None else ""))
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.new_action = self._action("&New project…", self._choose_new_project, QKeySequence.StandardKey.New,
                                       sp.SP_FileIcon, "Create a new, empty project file (*.cryodesk)")
        self.open_action = self._action("&Open project…", self._choose_project, QKeySequence.StandardKey.Open,
                                        sp.SP_DialogOpenButton, "Open a CryoDesk project file (*.cryodesk)")
        self.save_list_action = self._action("&Save row list…", lambda: self.save_row_list(), "Ctrl+Shift+S",
                                             sp.SP_DialogSaveButton,
                                             "Save the selected rows (or every row shown) as a named list")
        self.import_action = self._action("&Import file…", self._choose_import_file, "Ctrl+I",
                                          sp.SP_ArrowDown, "Import structures and values from CSV, TSV, SDF or SMILES")
        self.export_action = self._action("&Export selection…", self._choose_export_file, "Ctrl+E",
                                          sp.SP_DriveFDIcon, "Export the selected compounds (or all shown) to CSV or SDF")
        self.seed_action = self._action("Load the &default library", self.seed_default_library, None, None,
                                        "Add the embedded reference library of cryoprotectants to this project")
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.refresh_action = self._action("&Refresh", self.refresh, QKeySequence.StandardKey.Refresh,
                                           sp.SP_BrowserReload, "Read the table again from the project")
        self.find_action = self._action("&Find", self._focus_search, QKeySequence.StandardKey.Find)
        self.structure_action = self._action("Structure &query", self._focus_structure_query, "Ctrl+Shift+F", None,
                                             "Substructure or similarity search")
        self.clear_filters_action = self._action("&Clear all filters", self.clear_filters, "Ctrl+Shift+X", None,
                                                 "Show every compound again (search, subsets and filters)")
        self.molecules_action = self._action("&Molecules", lambda: self.tabs.setCurrentIndex(MOLECULES_TAB), "Ctrl+1")
        self.mixtures_action = self._action("Mi&xtures", lambda: self.tabs.setCurrentIndex(MIXTURES_TAB), "Ctrl+2")
        self.models_action = self._action("Mo&dels and predictions", lambda: self.tabs.setCurrentIndex(MODELS_TAB),
                                          "Ctrl+3")
        self.train_action = self._action("&Train a model…", self._open_train_dialog, "Ctrl+T", None,
                                         "Train and register a model on a property or assay of this project")
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        # setShortcuts: every platform binding (setShortcut keeps only the first, Ctrl+Y, losing Ctrl+Shift+Z).
        self.undo_action.setShortcuts(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts(QKeySequence.StandardKey.Redo)
        self.about_action = self._action(f"&About {APP_NAME}", lambda: self.show_about(ABOUT_TAB))
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.sources_action = self._action("&Data sources", lambda: self.show_about(SOURCES_TAB), None, None,
                                           "Licences and citations of the data in this project")
        self.theme_group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for name, label in ((theme.LIGHT, "&Light"), (theme.DARK, "&Dark")):
            action = QAction(label, self, checkable=True)
            action.setChecked(name == self.theme)
            action.triggered.connect(lambda _checked, name=name: self.set_theme(name))
            self.theme_group.addAction(action)
            self.theme_actions[name] = action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.new_action)
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.setObjectName("RecentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.save_list_action)
        file_menu.addAction(self.import_action)
        self.import_sources_menu = add_import_menu(self, file_menu)  # PubChem, ChEMBL, PubMed, Tox, DrugBank, COD
        file_menu.addAction(self.export_action)
        file_menu.addAction(self.seed_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.edit_menu = bar.addMenu("&Edit")
        self.edit_menu.addAction(self.undo_action)
        self.edit_menu.addAction(self.redo_action)
        self.molecule_extras = MoleculesExtras(self)  # paste (Ctrl+V), profile colours, prediction warm-up
        self.edit_menu.addSeparator()
        self.edit_menu.addAction(self.molecule_extras.paste_action)
        self.view_menu = bar.addMenu("&View")
        self.view_menu.addAction(self.find_action)
        self.view_menu.addAction(self.structure_action)
        self.view_menu.addAction(self.refresh_action)
        self.view_menu.addAction(self.clear_filters_action)
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.molecules_action)
        self.view_menu.addAction(self.mixtures_action)
        self.view_menu.addAction(self.models_action)
        self.crystal_3d_action = self.view_menu.addAction("Crystal structure in &3D…", self.open_crystal_3d)  # issue 13
        self.toxicity_action = self.view_menu.addAction("&Toxicity profile of selection", self.open_toxicity_view)  # issue 13
        self.columns_menu = self.view_menu.addMenu("&Columns")
        self.columns_menu.setObjectName("ColumnsMenu")
        self.columns_menu.aboutToShow.connect(lambda: self._fill_columns_menu(self.columns_menu, None))
        theme_menu = self.view_menu.addMenu("&Theme")
        for action in self.theme_actions.values():
            theme_menu.addAction(action)
        self.view_menu.addSeparator()
        shortcuts = {self.detail_dock: "Ctrl+Shift+D", self.filter_dock: "Ctrl+Shift+L",
                     self.scatter_dock: "Ctrl+Shift+P", self.jobs_dock: "Ctrl+Shift+J"}
        for dock in (self.detail_dock, self.filter_dock, self.query_dock, self.row_lists_dock, self.scatter_dock,
                     self.clusters_dock, self.scaffolds_dock, self.jobs_dock):
            toggle = dock.toggleViewAction()
            if dock in shortcuts:
                toggle.setShortcut(QKeySequence(shortcuts[dock]))
            self.view_menu.addAction(toggle)
        models_menu = bar.addMenu("&Models")
        models_menu.addAction(self.train_action)
        models_menu.addAction(self.models_action)
        self.screen_action = models_menu.addAction("&Screen a library…", self.open_screening_dialog)  # issue 12
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.sources_action)
        help_menu.addAction(self.about_action)

    def _build_toolbar(self) -> None:
        self.toolbar = QToolBar("Main toolbar", self)
        self.toolbar.setObjectName("MainToolbar")
        self.toolbar.setIconSize(QSize(18, 18))
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar.setMovable(False)
        for action in (self.open_action, self.import_action, self.export_action, self.save_list_action,
                       self.refresh_action):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        self.toolbar.addWidget(QLabel(" Search ", self))
        self.toolbar.addWidget(self.search_box)
        self.toolbar.addWidget(QLabel("  Colour by ", self))
        self.toolbar.addWidget(self.molecule_extras.profile_box)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.view_menu.addAction(self.toolbar.toggleViewAction())

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.activity = EngineActivity(self)
        self.busy_label = QLabel(self)
        self.busy_label.setObjectName("BusyLabel")
        self.selected_label = QLabel(self)
        self.selected_label.setObjectName("SelectedLabel")
        self.selected_label.setMinimumWidth(110)
        self.selected_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("CountLabel")
        self.count_label.setMinimumWidth(150)
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        status.addPermanentWidget(self.busy_label)
        status.addPermanentWidget(self.activity)
        status.addPermanentWidget(self.selected_label)
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
        self.job_slot.running_changed.connect(self.jobs.set_local_job_running)
        self.state_slot.failed.connect(lambda e: log.warning("could not save the view state: %s", e))
        self.activity.cancel_requested.connect(self._cancel_job)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.model.modelReset.connect(self._update_count)
        header = self.table.horizontalHeader()
        header.sortIndicatorChanged.connect(self._on_sort_clicked)
        header.sectionResized.connect(self._on_section_resized)
        header.customContextMenuRequested.connect(self._header_menu)
        self.hub.changed.connect(self._on_hub_changed)
        self.filter_panel.changed.connect(self._filters_changed)
        self.filter_bar.changed.connect(self.run_search)
        self.filter_bar.filters_cleared.connect(self.filter_panel.clear)
        self.structure_query.subset_ready.connect(self.filter_bar.set_subset)
        self.structure_query.cleared.connect(lambda: self.filter_bar.remove("structure"))
        self.clusters.subset_chosen.connect(self.filter_bar.set_subset)
        self.scaffolds.subset_chosen.connect(self.filter_bar.set_subset)
        self.row_lists.subset_ready.connect(self.filter_bar.set_subset)
        self.row_lists.save_requested.connect(lambda: self.save_row_list())
        self.jobs.resume_requested.connect(self.resume_job)
        self.tabs.currentChanged.connect(self._on_page_changed)
        busy = {self.search_slot: "searching", self.scatter.slot: "plot", self.clusters.slot: "clustering",
                self.scaffolds.slot: "scaffolds", self.structure_query.search_slot: "structure search",
                self.mixtures.report_slot: "mixture"}
        self._busy_slots = busy
        for slot in busy:
            slot.running_changed.connect(lambda _running: self._update_busy())

    def _docks(self) -> list[QDockWidget]:
        return [self.detail_dock, self.filter_dock, self.query_dock, self.row_lists_dock, self.scatter_dock,
                self.clusters_dock, self.scaffolds_dock, self.jobs_dock]

    def _on_page_changed(self, index: int) -> None:
        # The docks serve the molecules table; the mixtures page needs the height (its tables and plot),
        # so it gets the whole window and the molecules layout comes back as it was.
        if index in (MIXTURES_TAB, MODELS_TAB) and self._molecule_layout is None:
            self._molecule_layout = self.saveState()
            for dock in self._docks():
                dock.hide()
        elif index == MOLECULES_TAB and self._molecule_layout is not None:
            state, self._molecule_layout = self._molecule_layout, None
            self.restoreState(state)

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
        self._sort = None
        self._restore_pending = True
        self._show_sort_indicator()
        self.filter_bar.reset()
        self.filter_panel.clear()
        self.hub.clear(self)
        self.undo_stack.clear()  # the commands act on the project that was open
        for view in (self.scatter, self.clusters, self.scaffolds, self.structure_query, self.jobs, self.mixtures,
                     self.models):
            view.reset()
        self.row_lists.read_only = read_only
        self.jobs.read_only = read_only
        self._update_actions()
        self.model.set_ids([], 0, [])
        self.detail.clear()
        self.refresh(reload_columns=True)
        self.row_lists.refresh()
        self.jobs.refresh()
        self.mixtures.refresh()
        self.models.refresh()
        self.project_opened.emit(str(project.path))

    def _update_actions(self) -> None:
        busy = self.job_slot.running
        writable = not self.wb.project.read_only
        self.new_action.setEnabled(not busy)
        self.open_action.setEnabled(not busy)
        self.recent_menu.setEnabled(not busy)
        self.import_action.setEnabled(writable and not busy)
        self.export_action.setEnabled(not busy)
        self.save_list_action.setEnabled(writable)
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
        self.remember_recent(workbench.project.path)
        self._project_changed()
        return True

    def new_project(self, path: str | Path, seed: bool = True) -> bool:
        """Create the project ``path`` and switch to it; with ``seed`` the default library starts loading."""
        target = Path(path)
        if target.suffix != PROJECT_SUFFIX:
            target = target.with_name(target.name + PROJECT_SUFFIX)
        if not self.open_project(target):
            return False
        if seed and self.seed_default_library_if_needed():
            self.statusBar().showMessage("New project: loading the default library (Cancel keeps it empty).", 15_000)
        return True

    def _choose_project(self) -> None:
        settings = gui_settings()
        start = str(settings.value("project/last", "") or "")
        path, _ = QFileDialog.getOpenFileName(self, "Open project", start, PROJECT_FILTER)
        if path:
            self.open_project(path)

    def _choose_new_project(self) -> None:
        settings = gui_settings()
        start = str(Path(str(settings.value("project/last", "") or "")).parent / f"new{PROJECT_SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self, "New project", start, PROJECT_FILTER)
        if not path:
            return
        if Path(path).exists():
            # Never silently open old data as if it were new: the file dialog's overwrite question means
            # "use this name", not "erase it", so say what happens.
            QMessageBox.information(self, "New project", f"{Path(path).name} exists; it is opened as it is.")
        self.new_project(path)

    def recent_projects(self) -> list[str]:
        value = gui_settings().value(SETTINGS_RECENT, []) or []
        return [str(v) for v in (value if isinstance(value, list) else [value])]

    def remember_recent(self, path: str | Path) -> None:
        entry = str(Path(path).resolve())
        recent = [entry] + [p for p in self.recent_projects() if p != entry]
        gui_settings().setValue(SETTINGS_RECENT, recent[:RECENT_LIMIT])

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_projects()
        for i, path in enumerate(recent, start=1):
            exists = Path(path).exists()
            action = self.recent_menu.addAction(f"&{i % 10}  {Path(path).name}" + ("" if exists else "  (missing)"))
            action.setToolTip(path)
            action.setStatusTip(path)
            action.setEnabled(exists and path != str(self.wb.project.path.resolve()))
            action.triggered.connect(lambda _checked=False, path=path: self.open_project(path))
        if recent:
            self.recent_menu.addSeparator()
        clear = self.recent_menu.addAction("Clear the list")
        clear.setEnabled(bool(recent))
        clear.triggered.connect(lambda: gui_settings().setValue(SETTINGS_RECENT, []))

    # -- theme ----------------------------------------------------------------------------------------
    def open_crystal_3d(self, path: str | None = None, cod_id: str | None = None) -> Any:
        """Unit cell and packing of a CIF file or a COD entry (7 digits) in a 3D window (issue 13)."""
        from PySide6.QtWidgets import QInputDialog

        from cryodesk.gui.view3d import open_crystal_3d

        if path is None and cod_id is None:
            text, ok = QInputDialog.getText(self, "Crystal structure in 3D",
                                            "COD id (7 digits), or leave empty to choose a CIF file:")
            if not ok:
                return None
            cod_id = text.strip() or None
            if cod_id is None:
                path, _ = QFileDialog.getOpenFileName(self, "Open CIF", "", "CIF files (*.cif);;All files (*)")
                if not path:
                    return None
        self.crystal_3d_window = open_crystal_3d(self, self.wb, path=path, cod_id=cod_id)
        return self.crystal_3d_window

    def open_toxicity_view(self, inchikeys: list[str] | None = None) -> Any:
        """Toxicity profile of the selected compound, or a comparison of the selected ones (issue 13)."""
        from cryodesk.gui.toxicity_view import open_toxicity_view

        if inchikeys is None:
            inchikeys = [r.inchikey for r in self.wb.compound_rows(self.selected_ids()[:12])]
        if not inchikeys:
            self.statusBar().showMessage("Select one or more compounds to see their toxicity profile.", 5000)
            return None
        self.toxicity_window = open_toxicity_view(self, self.wb, inchikeys)
        return self.toxicity_window

    def open_screening_dialog(self) -> Any:
        """Show the screening dialog (non-modal, one per window); its hits land as a row list (issue 12)."""
        from cryodesk.gui.screening_dialog import ScreeningDialog

        dialog = getattr(self, "screening_dialog", None)
        if dialog is None:
            dialog = self.screening_dialog = ScreeningDialog(self._workbench, self)
            dialog.screen_finished.connect(lambda _result: self.row_lists.refresh())
        dialog.show()
        dialog.raise_()
        return dialog

    def _open_train_dialog(self) -> None:
        self.tabs.setCurrentIndex(MODELS_TAB)
        self.models.open_train_dialog()

    def _depiction_renderer(self) -> Any:
        dark = self.theme == theme.DARK
        return lambda smiles, width, height: views.depiction_png(smiles, width, height, dark)

    def set_theme(self, name: str) -> None:
        """Switch to the light or dark palette (kept for the next start)."""
        self.theme = theme.apply_theme(name)
        gui_settings().setValue(theme.SETTINGS_KEY, self.theme)
        self.theme_actions[self.theme].setChecked(True)
        self.depictions.set_renderer(self._depiction_renderer())
        for view in (self.scatter, self.mixtures, self.models):
            view.apply_theme()
        for row in self.filter_panel.rows:
            if hasattr(row, "apply_theme"):
                row.apply_theme()
        self.structure_query.update_preview()
        self.table.viewport().update()
        self.theme_changed.emit(self.theme)

    # -- search, sort and filters -------------------------------------------------------------------
    def _fetch_rows(self, ids: list[int]) -> list[CompoundRow]:
        return self.wb.compound_rows(ids)

    def _fetch_cells(self, ids: list[int], columns: list[TableColumn]) -> dict:
        return views.property_cells(self.wb, ids, columns)

    def _focus_search(self) -> None:
        self.tabs.setCurrentIndex(MOLECULES_TAB)
        self.search_box.setFocus()
        self.search_box.selectAll()

    def _focus_structure_query(self) -> None:
        self.query_dock.show()
        self.query_dock.raise_()
        self.structure_query.query_edit.setFocus()
        self.structure_query.query_edit.selectAll()

    def table_query(self, text: str | None = None) -> TableQuery:
        """What the table should show now (the search box, subsets, filters and sort)."""
        return TableQuery(self.search_box.text() if text is None else text, self.filter_bar.subsets(),
                          self.filter_panel.range_filters(), self.filter_panel.text_filters(), self._sort)

    def run_search(self) -> None:
        """Run the query in the search box now (in the background)."""
        self._search_timer.stop()
        self._start_search(self.search_box.text())

    def refresh(self, reload_columns: bool = False) -> None:
        """Re-read the current query's rows (after an import, or while one runs)."""
        self._search_timer.stop()
        self._start_search(self.search_box.text(), keep_position=True,
                           reload_columns=reload_columns or self._restore_pending)

    def _start_search(self, query: str, keep_position: bool = False, reload_columns: bool = False) -> None:
        wb = self.wb
        self._keep_position = keep_position
        table_query = self.table_query(query)
        restore = self._restore_pending

        def work(_progress: ProgressFn, _cancel: threading.Event) -> SearchResult:
            columns = chosen = sort = None
            tq = table_query
            if reload_columns:
                columns = views.property_columns(wb)
            if restore:
                chosen, sort = _saved_table_state(wb, columns or [])
                if sort is not None and tq.sort is None:
                    tq = replace(tq, sort=sort)
            ids = views.select_ids(wb, tq)
            return SearchResult(query, ids, wb.compound_count(), columns, chosen, sort, restore, hash(frozenset(ids)))

        self.search_slot.start(work, f"search {query!r}")

    def _on_search_finished(self, result: SearchResult) -> None:
        current_id = self._current_id()
        scroll = self.table.verticalScrollBar().value()
        if result.columns is not None:
            self._available = list(result.columns)
            keys = [c.key for c in self.model.property_columns()]
            if result.restored:
                keys = result.chosen if result.chosen is not None else views.default_property_columns(self._available)
                self._restore_pending = False
                self._sort = result.sort
            by_key = {c.key: c for c in self._available}
            self.model.set_ids(result.ids, result.total, [by_key[k] for k in keys if k in by_key])
            self._apply_column_widths()
            every = views.compound_columns() + self._available
            self.filter_panel.set_columns(every)
            self.scatter.set_columns(every)
        else:
            self.model.set_ids(result.ids, result.total)
        self._show_sort_indicator()
        self._reselect(current_id, scroll_to=False)
        if self._keep_position:
            self.table.verticalScrollBar().setValue(scroll)
        self.scatter.set_ids(result.ids, result.set_key)
        self.filter_panel.set_count(len(result.ids), result.total)
        self.filter_bar.set_filters_text(self.filter_panel.describe())
        self.search_done.emit(len(result.ids), result.total)

    def _on_search_failed(self, error: str) -> None:
        # Rows of the previous query under the new query's text would mislead; show none, and why.
        self.model.set_ids([], self.model.total)
        self.detail.clear()
        self.statusBar().showMessage(f"Search failed: {error}", 15_000)
        self._restore_pending = False
        self.search_done.emit(0, self.model.total)

    def _filters_changed(self) -> None:
        self.filter_bar.set_filters_text(self.filter_panel.describe())
        self.run_search()

    def clear_filters(self) -> None:
        """Show every compound: empty search box, no subsets, no filters (the sort stays)."""
        self.search_box.blockSignals(True)
        self.search_box.clear()
        self.search_box.blockSignals(False)
        self.filter_bar.reset()
        self.filter_panel.clear()
        self.run_search()

    def sort_by(self, key: str | None, descending: bool = False) -> None:
        """Order the table by column ``key`` (None: the default order), computed by the engine."""
        self._sort = None if key is None else SortKey(key, descending)
        self._show_sort_indicator()
        self._save_table_state()
        self.run_search()

    def _on_sort_clicked(self, section: int, order: Qt.SortOrder) -> None:
        key = self.model.column_key(section) if section >= 0 else None
        if section >= 0 and key is None:  # the structure column has no order
            self._show_sort_indicator()
            return
        self.sort_by(key, order == Qt.SortOrder.DescendingOrder)

    def _show_sort_indicator(self) -> None:
        header = self.table.horizontalHeader()
        section = self.model.section_of(self._sort.key) if self._sort is not None else None
        order = Qt.SortOrder.DescendingOrder if self._sort and self._sort.descending else Qt.SortOrder.AscendingOrder
        header.blockSignals(True)
        header.setSortIndicator(-1 if section is None else section, order)
        header.blockSignals(False)
        header.viewport().update()

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total
        self.count_label.setText(f"{shown:,} of {total:,} shown")

    # -- columns ------------------------------------------------------------------------------------
    def available_columns(self) -> list[TableColumn]:
        return list(self._available)

    def set_property_columns(self, keys: list[str]) -> None:
        """Show these property columns (in this order) after the compound columns; kept in the project."""
        current_id = self._current_id()
        by_key = {c.key: c for c in self._available}
        self.model.set_property_columns([by_key[k] for k in keys if k in by_key])
        self._apply_column_widths()
        self._show_sort_indicator()
        self._reselect(current_id, scroll_to=False)
        self._save_table_state()

    def _save_table_state(self) -> None:
        if self.wb.project.read_only:
            return
        wb = self.wb
        keys = [c.key for c in self.model.property_columns()]
        sort = None if self._sort is None else [self._sort.key, self._sort.descending]
        self._pending_state = (keys, sort)
        lock, window = self._state_lock, self

        def work(_p: ProgressFn, _c: threading.Event) -> None:
            # Tasks of a slot may overlap; each writes the newest state under one lock, so the last
            # write is always the last change, whichever task runs last.
            with lock:
                latest_keys, latest_sort = window._pending_state
                wb.set_view_state(STATE_COLUMNS, latest_keys)
                wb.set_view_state(STATE_SORT, latest_sort)

        self.state_slot.start(work, "save view state")

    def _section_key(self, section: int) -> str:
        return self.model.column_key(section) or "structure"

    def _on_section_resized(self, section: int, _old: int, new: int) -> None:
        header = self.table.horizontalHeader()
        if section == header.count() - 1 and header.stretchLastSection():
            return  # the stretched last column's width follows the window, not the user
        self._widths[self._section_key(section)] = new

    def _apply_column_widths(self) -> None:
        defaults = {self._section_key(int(c)): w for c, w in self.table.default_widths().items()}
        hidden = set(self._hidden_columns())
        for section in range(self.model.columnCount()):
            key = self._section_key(section)
            column = self.model.property_columns()[section - len(Column)] if section >= len(Column) else None
            width = self._widths.get(key, defaults.get(key) or self.table.property_width(column))
            self.table.setColumnWidth(section, width)
            if section < len(Column):
                self.table.setColumnHidden(section, key in hidden)

    def _hidden_columns(self) -> list[str]:
        value = gui_settings().value(SETTINGS_HIDDEN, []) or []
        return [str(v) for v in (value if isinstance(value, list) else [value])]

    def set_column_hidden(self, column: Column, hidden: bool) -> None:
        key = self._section_key(int(column))
        keys = [k for k in self._hidden_columns() if k != key] + ([key] if hidden else [])
        gui_settings().setValue(SETTINGS_HIDDEN, keys)
        self.table.setColumnHidden(int(column), hidden)

    def _fill_columns_menu(self, menu: QMenu, section: int | None) -> None:
        menu.clear()
        key = self.model.column_key(section) if section is not None else None
        if key is not None:
            menu.addAction("Sort ascending", lambda: self.sort_by(key, False))
            menu.addAction("Sort descending", lambda: self.sort_by(key, True))
            column = next((c for c in views.compound_columns() + self._available if c.key == key), None)
            if column is not None and key not in ("name", "inchikey", "formula"):
                menu.addAction("Filter on this column…", lambda: self.add_filter(key))
            menu.addSeparator()
        if self._sort is not None:
            menu.addAction("Default order", lambda: self.sort_by(None))
            menu.addSeparator()
        shown = [c.key for c in self.model.property_columns()]
        props = menu.addMenu("Property columns") if section is not None else menu
        if section is None:
            menu.addSection("Property columns")
        if not self._available:
            none = props.addAction("(no properties stored yet)")
            none.setEnabled(False)
        for column in self._available:
            action = props.addAction(column_menu_text(column))
            action.setCheckable(True)
            action.setChecked(column.key in shown)
            action.setToolTip(column.describe())
            action.toggled.connect(lambda on, k=column.key: self.set_property_columns(
                [c for c in shown if c != k] + ([k] if on else [])))
        menu.addSection("Compound columns")
        hidden = set(self._hidden_columns())
        for col in HIDEABLE_COLUMNS:
            action = menu.addAction(self.model.headerData(int(col), Qt.Orientation.Horizontal))
            action.setCheckable(True)
            action.setChecked(self._section_key(int(col)) not in hidden)
            action.toggled.connect(lambda on, col=col: self.set_column_hidden(col, not on))

    def _header_menu(self, pos: QPoint) -> None:
        header = self.table.horizontalHeader()
        menu = QMenu(self)
        self._fill_columns_menu(menu, header.logicalIndexAt(pos))
        menu.popup(header.mapToGlobal(pos))

    def add_filter(self, key: str) -> Any:
        """Add a filter on column ``key`` to the Filters dock and show the dock."""
        self.filter_dock.show()
        self.filter_dock.raise_()
        return self.filter_panel.add_filter(key)

    # -- selection ----------------------------------------------------------------------------------
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
        if not self._syncing_selection:
            self.hub.set_selection(self.selected_ids(), self.table)
        self._update_selected_label()

    def _update_selected_label(self) -> None:
        n = len(self.hub.selected)
        self.selected_label.setText(f"{n:,} selected" if n else "")

    def _on_hub_changed(self, ids: frozenset[int], source: object) -> None:
        self._update_selected_label()
        if source is self.table:
            return
        rows = sorted(r for r in (self.model.row_of(i) for i in ids) if r is not None)
        self._select_rows(rows, scroll_to=True)

    def _select_rows(self, rows: list[int], scroll_to: bool) -> None:
        """Select table rows without publishing back to the hub (the hub is where they came from)."""
        selection = QItemSelection()
        last_column = self.model.columnCount() - 1
        start = prev = None
        for r in rows + [None]:  # type: ignore[list-item]
            if start is not None and (r is None or r != prev + 1):
                selection.select(self.model.index(start, 0), self.model.index(prev, last_column))
                start = None
            if r is not None and start is None:
                start = r
            prev = r
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        sm = self.table.selectionModel()
        self._syncing_selection = True
        try:
            sm.select(selection, flags)
            if rows:
                sm.setCurrentIndex(self.model.index(rows[0], 1), QItemSelectionModel.SelectionFlag.NoUpdate)
                if scroll_to:
                    self.table.scrollTo(self.model.index(rows[0], 1))
        finally:
            self._syncing_selection = False
        self._detail_timer.start()

    def _reselect(self, current_id: int | None, scroll_to: bool) -> None:
        """After the rows changed: select again the shown compounds that were selected."""
        wanted = set(self.hub.selected) | ({current_id} if current_id is not None else set())
        rows = sorted(r for r in (self.model.row_of(i) for i in wanted) if r is not None)
        if not rows:
            self.detail.clear()
            self.hub.set_selection((), self.table)
            return
        # Keep the compound in the detail panel current, without scrolling to it: during a live
        # refresh the user may be looking elsewhere in the table.
        self.table.setAutoScroll(False)
        self._select_rows(rows, scroll_to=scroll_to)
        current_row = self.model.row_of(current_id) if current_id is not None else None
        if current_row is not None:
            self.table.selectionModel().setCurrentIndex(self.model.index(current_row, 1),
                                                        QItemSelectionModel.SelectionFlag.NoUpdate)
        self.table.setAutoScroll(True)
        self.hub.set_selection(self.selected_ids(), self.table)

    def _on_manual_value_changed(self, _inchikey: str) -> None:
        self.refresh(reload_columns=True)
        # Same rows, new numbers: the plot's "same ids, nothing to re-read" shortcut would keep old points.
        if self.scatter.isVisible():
            self.scatter.reload()
        else:
            self.scatter.reset()  # re-read when it is shown

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

    def _update_busy(self) -> None:
        running = [name for slot, name in self._busy_slots.items() if slot.running]
        self.busy_label.setText(("Working: " + ", ".join(running) + "…") if running else "")

    # -- row lists ----------------------------------------------------------------------------------
    def save_row_list(self, name: str | None = None) -> bool:
        """Save the selected rows (or every row shown) as a named list in the project."""
        selected = self.selected_ids()
        ids = selected or self.model.ids()
        if not ids:
            self.statusBar().showMessage("Nothing to save: the table is empty.", 5000)
            return False
        if name is None:
            name = ask_list_name(self, len(ids), "selected" if selected else "shown", self.row_lists.names())
            if name is None:
                return False
        self.row_lists_dock.show()
        self.row_lists_dock.raise_()
        self.row_lists.save(name, ids)
        return True

    # -- jobs: seeding, import, export, resume --------------------------------------------------------
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

    def _job_work(self, fn: Any, *args: Any) -> Any:
        """The task running engine job function ``fn(progress, cancel, project_path, *args)``."""
        path = str(self.wb.project.path)
        if self.jobs_in_child_process:
            name = f"cryodesk-{getattr(fn, '__name__', 'job')}"
            return lambda progress, cancel: run_in_process(fn, (path, *args), progress, cancel, name)
        return lambda progress, cancel: fn(progress, cancel, path, *args)

    def seed_default_library(self) -> bool:
        return self._start_job("seed", "Loading the default library", self._job_work(seed_job))

    def start_import(self, path: str | Path) -> bool:
        """Import ``path`` in the background; the summary dialog opens when it ends."""
        params = FileImportParams(path=str(path), workers=self.import_workers)
        return self._start_job("import", f"Importing {Path(path).name}", self._job_work(import_file_job, params))

    def resume_job(self, job_id: int) -> bool:
        """Continue a paused, failed or cancelled job from its checkpoint (in the background)."""
        self._job_id = job_id
        started = self._start_job("resume", f"Resuming job {job_id}", self._job_work(resume_job_in_child, job_id))
        if not started:
            self._job_id = None
            self.jobs.local_running.discard(job_id)
        return started

    def _cancel_job(self) -> None:
        self.job_slot.cancel()

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
        if self._job_kind in ("seed", "import", "resume") and not self._live_refresh_timer.isActive():
            self._live_refresh_timer.start()

    def _after_data_job(self) -> None:
        """New compounds, values or mixtures may have landed: re-read every view that shows them."""
        self.refresh(reload_columns=True)
        self.filter_panel.reload()
        self.mixtures.refresh()
        self.row_lists.refresh()

    def _on_job_finished(self, result: object) -> None:
        kind = self._end_job()
        if kind in ("seed", "import", "resume"):
            self._after_data_job()
        if kind == "seed":
            self._seed_finished(result)  # type: ignore[arg-type]
        elif kind == "import":
            self._import_finished(result)  # type: ignore[arg-type]
        elif kind == "resume":
            outcome: JobOutcome = result  # type: ignore[assignment]
            self.statusBar().showMessage(f"Job {outcome.job_id}: {outcome.state}"
                                         + (f" ({outcome.error})" if outcome.error else ""), 15_000)
        elif kind == "export":
            count, target = result  # type: ignore[misc]
            self.statusBar().showMessage(f"Exported {count:,} compounds to {target}", 10_000)
        self.job_finished.emit(JobReport(kind or "", result))

    def _on_job_failed(self, error: str) -> None:
        kind = self._end_job()
        if kind in ("seed", "import", "resume"):
            self._after_data_job()
        what = {"seed": "Loading the default library", "import": "The import", "export": "The export",
                "resume": "Resuming the job"}.get(kind or "", "The job")
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
        self._job_id = None
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
        if state is None or not self.restoreState(state):  # type: ignore[arg-type]
            self.resizeDocks([self.detail_dock], [DETAIL_DOCK_WIDTH], Qt.Orientation.Horizontal)
            self.resizeDocks([self.scatter_dock], [BOTTOM_DOCK_HEIGHT], Qt.Orientation.Vertical)
        widths = settings.value(SETTINGS_WIDTHS)
        if isinstance(widths, dict):
            self._widths = {str(k): int(v) for k, v in widths.items() if str(v).isdigit()}
        self._apply_column_widths()

    def _save_layout(self) -> None:
        settings = gui_settings()
        settings.setValue("main_window/geometry", self.saveGeometry())
        settings.setValue("main_window/state", self._molecule_layout or self.saveState())
        settings.setValue(SETTINGS_WIDTHS, dict(self._widths))

    def _all_slots(self) -> list[TaskSlot]:
        slots = [self.search_slot, self.detail_slot, self.job_slot, self.state_slot, self.scatter.slot,
                 self.clusters.slot, self.scaffolds.slot, self.structure_query.search_slot,
                 self.structure_query.preview_slot, self.row_lists.slot, self.jobs.slot, self.jobs.control_slot,
                 self.jobs.errors_slot, self.mixtures.names_slot, self.mixtures.report_slot]
        slots += self.mixtures.dose_response_slots()  # empty unless its tab was opened
        slots += self.models.slots()
        # and every other slot in the window (the designer's, the comparison's): a forgotten one would
        # keep its task's result queued for a view whose project is already closed
        listed = set(slots)
        return slots + [slot for slot in self.findChildren(TaskSlot) if slot not in listed]

    def _stop_tasks(self) -> None:
        """Cancel every task and wait for the pool, so no worker still uses the project we close."""
        # Debounce timers of every view too: one firing later would start a task on a closed project.
        for timer in self.findChildren(QTimer):
            if timer is not self.jobs.timer and timer.parent() is not self.latency_probe:
                timer.stop()
        if self._job_kind is not None:
            self._end_job()
        for slot in self._all_slots():
            slot.discard()
        self.depictions.shutdown()
        self.manual_values.writer.wait_done(SHUTDOWN_WAIT_MS)  # a value being written lands before the close
        for pool in (QThreadPool.globalInstance(), self.job_pool, self.models.train_pool, self.models.warm_pool):
            if not pool.waitForDone(SHUTDOWN_WAIT_MS):
                log.warning("background tasks did not stop within %d ms", SHUTDOWN_WAIT_MS)

    def shutdown(self) -> None:
        """Save the layout, stop background work and close the project (idempotent)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.latency_probe.stop()
        self.jobs.timer.stop()
        self.hub.blockSignals(True)
        self._save_layout()
        self.molecule_extras.shutdown()
        self._stop_tasks()
        self.wb.close()
        if self._feature_warmer is not None:
            self._feature_warmer.join(timeout=30)
        close_feature_pools()

    def _warm_features_when_shown(self, visible: bool) -> None:
        if visible and self._feature_warmer is None and not self._shut_down:
            # Starting processes takes a few ms per worker: off the GUI thread, on a plain thread that
            # shutdown joins (it returns as soon as the workers are asked to start).
            self._feature_warmer = threading.Thread(
                target=warm_feature_pool, kwargs={"wait": False}, name="cryodesk-feature-warm", daemon=True
            )
            self._feature_warmer.start()

    def closeEvent(self, event: QCloseEvent) -> None:
        # A running job is cancelled, not waited for: jobs are resumable, so nothing is lost by quitting.
        if self.job_slot.running:
            log.info("closing while a %s job runs: cancelling it", self._job_kind)
        self.shutdown()
        super().closeEvent(event)


def _saved_table_state(wb: Workbench, columns: list[TableColumn]) -> tuple[list[str] | None, SortKey | None]:
    """The property columns and sort saved in the project (checked against the columns it has)."""
    try:
        chosen = wb.view_state(STATE_COLUMNS)
        sort = wb.view_state(STATE_SORT)
    except CryoDeskError:
        return None, None
    known = {c.key for c in columns} | {c.key for c in views.compound_columns()}
    keys = [str(k) for k in chosen] if isinstance(chosen, list) else None
    key = sort[0] if isinstance(sort, list) and len(sort) == 2 else None
    return keys, (SortKey(str(key), bool(sort[1])) if key in known else None)  # type: ignore[index]
