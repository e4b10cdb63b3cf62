"""The screening dialog: rank a SMILES/SDF library with models and a profile, watch the best hits arrive.

The dialog collects a :class:`~cryodesk.engine.screening.ScreenParams` and runs the screen in a
child process (:func:`cryodesk.engine.screening.screen_in_child` through
:func:`cryodesk.gui.job_process.run_in_process`), so RDKit, the models and the heap never compete
with the window for the GIL. Progress, rate and ETA come from the job's progress reports; the live
top-hits table is read, about once a second on a pool thread, from the job's last committed
checkpoint (:func:`~cryodesk.engine.screening.live_screen`), so it shows exactly what a resumed
screen would start from. At the end the engine has imported the hits as a row list with the
screen's parameters recorded; the dialog shows them and emits :attr:`ScreeningDialog.screen_finished`.

Stop pauses the screen at its next chunk; Start with the same settings continues it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cryodesk.engine.screening import (
    DEFAULT_CHUNK,
    DEFAULT_TOP,
    LIVE_HITS,
    ScreenParams,
    live_screen,
    screen_fingerprint,
    screen_in_child,
    screenable_models,
)
from cryodesk.engine.service import Workbench
from cryodesk.gui.job_process import run_in_process
from cryodesk.gui.worker import ProgressFn, TaskSlot, show_progress

NO_PROFILE = "(none: rank by the first model's value)"
LIBRARY_FILTER = "Structure libraries (*.smi *.smiles *.txt *.sdf *.sd *.gz);;All files (*)"
LIVE_POLL_MS = 1000
FIXED_COLUMNS = ("Rank", "Score ± sd", "90 % range", "Coverage", "Name", "SMILES")


def format_duration(seconds: float) -> str:
    """``1:02:03`` / ``2:03`` for a duration in seconds."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class RateMeter:
    """Records per second and ETA over this run (a resumed screen's earlier records do not count)."""

    def __init__(self) -> None:
        self._start: tuple[float, int] | None = None
        self.rate: float | None = None

    def update(self, done: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if self._start is None:
            self._start = (now, done)
            return
        elapsed = now - self._start[0]
        if elapsed > 0.5 and done > self._start[1]:
            self.rate = (done - self._start[1]) / elapsed

    def eta(self, done: int, total: int) -> float | None:
        if self.rate is None or self.rate <= 0 or total <= 0:
            return None
        return max(0.0, (total - done) / self.rate)


class ScreeningDialog(QDialog):
    """Choose a library, models, profile, top-N and where to run; screen it with live progress and hits.

    Args:
        workbench: returns the project open now (the window's callable).
        parent: the main window.
    """

    screen_finished = Signal(object)  # screen_in_child's dict, or the error text
    #: Run the screen in a child process (False: on the pool thread; for debugging).
    run_in_child_process = True

    def __init__(self, workbench: Callable[[], Workbench], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ScreeningDialog")
        self.setWindowTitle("Screen a library")
        self._workbench = workbench
        self.run_slot = TaskSlot("screen", parent=self)
        self.poll_slot = TaskSlot("screen-live", parent=self)
        self._fingerprint: dict[str, str] = {}  # written once by the run's pool thread, read by the poll
        self._meter = RateMeter()
        self._labels: list[str] = []
        self.live_updates = 0  # live tables shown from checkpoints (tests read it)
        self.last_result: dict[str, Any] | None = None
        self._build()
        self._load_choices()
        self._connect()
        self._validate()

    # -- layout ------------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.library_edit = QLineEdit(self)
        self.library_edit.setObjectName("LibraryEdit")
        self.library_edit.setPlaceholderText("SMILES (.smi) or SD (.sdf) file, optionally .gz")
        self.browse_button = QPushButton("Browse…", self)
        library_row = QHBoxLayout()
        library_row.addWidget(self.library_edit, 1)
        library_row.addWidget(self.browse_button)
        self.model_list = QListWidget(self)
        self.model_list.setObjectName("ScreenModelList")
        self.model_list.setMaximumHeight(110)
        self.profile_box = QComboBox(self)
        self.profile_box.setObjectName("ScreenProfileBox")
        self.top_spin = QSpinBox(self)
        self.top_spin.setRange(1, 100_000)
        self.top_spin.setValue(DEFAULT_TOP)
        self.chunk_spin = QSpinBox(self)
        self.chunk_spin.setRange(10, 100_000)
        self.chunk_spin.setValue(DEFAULT_CHUNK)
        self.chunk_spin.setToolTip("Records per chunk: the unit of work, progress and checkpoint")
        self.workers_spin = QSpinBox(self)
        self.workers_spin.setRange(0, 512)
        self.workers_spin.setSpecialValueText("one per core")
        self.scheduler_edit = QLineEdit(self)
        self.scheduler_edit.setObjectName("SchedulerEdit")
        self.scheduler_edit.setPlaceholderText(
            "empty: this computer · local: a Dask LocalCluster · tcp://host:8786"
        )
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("row list for the hits (default: screen <file> #<job>)")
        form = QFormLayout()
        form.addRow("Library", library_row)
        form.addRow("Models", self.model_list)
        form.addRow("Scoring profile", self.profile_box)
        form.addRow("Top hits kept", self.top_spin)
        form.addRow("Chunk size", self.chunk_spin)
        form.addRow("Workers", self.workers_spin)
        form.addRow("Dask scheduler", self.scheduler_edit)
        form.addRow("Row list", self.name_edit)
        self.reason = QLabel(self)
        self.reason.setObjectName("ScreenDialogReason")
        self.reason.setStyleSheet("color: #c92a2a")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("ScreenProgress")
        self.progress.setVisible(False)
        self.status = QLabel("Choose a library and at least one model.", self)
        self.status.setObjectName("ScreenStatus")
        self.status.setWordWrap(True)
        self.hits_table = QTableWidget(0, len(FIXED_COLUMNS), self)
        self.hits_table.setObjectName("ScreenHitsTable")
        self.hits_table.setHorizontalHeaderLabels(FIXED_COLUMNS)
        self.hits_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.hits_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.hits_table.verticalHeader().setVisible(False)
        self.hits_table.setAlternatingRowColors(True)
        self.hits_caption = QLabel(f"Best {LIVE_HITS} hits so far (from the last checkpoint)", self)
        self.start_button = QPushButton("Start", self)
        self.start_button.setObjectName("ScreenStart")
        self.start_button.setDefault(True)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setObjectName("ScreenStop")
        self.stop_button.setToolTip("Pause at the next chunk; Start with the same settings continues")
        self.stop_button.setEnabled(False)
        self.close_button = QPushButton("Close", self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.reason, 1)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.hits_caption)
        layout.addWidget(self.hits_table, 1)
        self.resize(1000, 720)
        self.live_timer = QTimer(self)
        self.live_timer.setInterval(LIVE_POLL_MS)

    def _load_choices(self) -> None:
        # The registry and the profiles are a few rows: read here, before the dialog shows.
        wb = self._workbench()
        for ref, description in screenable_models(wb.project):
            item = QListWidgetItem(description)
            item.setData(Qt.ItemDataRole.UserRole, ref)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.model_list.addItem(item)
        self.profile_box.addItem(NO_PROFILE, None)
        for name in sorted(wb.scoring_profiles()):
            self.profile_box.addItem(name, name)

    def _connect(self) -> None:
        self.browse_button.clicked.connect(self._browse)
        self.library_edit.textChanged.connect(lambda _t: self._validate())
        self.model_list.itemChanged.connect(lambda _i: self._validate())
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.close_button.clicked.connect(self.close)
        self.run_slot.progress.connect(self._on_progress)
        self.run_slot.finished.connect(self._on_finished)
        self.run_slot.failed.connect(self._on_failed)
        self.run_slot.running_changed.connect(self._on_running)
        self.poll_slot.finished.connect(self._show_live)
        self.live_timer.timeout.connect(self._poll_live)

    # -- values ------------------------------------------------------------------------------------------------
    def models(self) -> tuple[str, ...]:
        items = (self.model_list.item(i) for i in range(self.model_list.count()))
        return tuple(
            it.data(Qt.ItemDataRole.UserRole) for it in items if it.checkState() == Qt.CheckState.Checked
        )

    def set_models(self, refs: tuple[str, ...]) -> None:
        for i in range(self.model_list.count()):
            item = self.model_list.item(i)
            wanted = item.data(Qt.ItemDataRole.UserRole) in refs
            item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)

    def params(self) -> ScreenParams:
        """The screen the dialog describes (valid once :meth:`problem` is None)."""
        scheduler = self.scheduler_edit.text().strip() or None
        return ScreenParams(
            str(Path(self.library_edit.text().strip()).expanduser()),
            self.models(),
            self.profile_box.currentData(),
            top=self.top_spin.value(),
            max_hits=max(self.top_spin.value(), 100_000),
            chunk_size=self.chunk_spin.value(),
            workers=self.workers_spin.value(),
            scheduler=scheduler,
            name=self.name_edit.text().strip() or None,
        )

    def problem(self) -> str | None:
        text = self.library_edit.text().strip()
        if not text:
            return "Choose a library file."
        if not Path(text).expanduser().is_file():
            return f"No such file: {text}"
        if self.model_list.count() == 0:
            return "This project has no trained single-task model: train one first (Models → Train)."
        if not self.models():
            return "Choose at least one model."
        return None

    def _validate(self) -> None:
        problem = self.problem()
        self.reason.setText(problem or "")
        self.start_button.setEnabled(problem is None and not self.run_slot.running)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Library to screen", self.library_edit.text(), LIBRARY_FILTER
        )
        if path:
            self.library_edit.setText(path)

    # -- running -----------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start (or continue) the screen the dialog describes."""
        if self.problem() is not None or self.run_slot.running:
            return
        params = self.params()
        project_path = str(self._workbench().project.path)
        in_child = self.run_in_child_process
        fingerprint = self._fingerprint = {}
        self._meter = RateMeter()
        self._labels = []
        self.last_result = None

        def work(progress: ProgressFn, cancel: threading.Event) -> Any:
            # Hashing the library reads the whole file: done here, on the pool thread.
            fingerprint["value"] = screen_fingerprint(params)
            if in_child:
                return run_in_process(
                    screen_in_child, (project_path, params), progress, cancel, "cryodesk-screen"
                )
            return screen_in_child(progress, cancel, project_path, params)

        self.progress.setRange(0, 0)
        self.status.setText(f"Starting the screen of {Path(params.library).name}…")
        self.run_slot.start(work)
        self.live_timer.start()

    def stop(self) -> None:
        """Pause the screen at its next chunk (Start continues it)."""
        if self.run_slot.running:
            self.status.setText("Stopping at the next chunk…")
            self.run_slot.cancel()

    def _on_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.stop_button.setEnabled(running)
        for widget in (
            self.library_edit,
            self.browse_button,
            self.model_list,
            self.profile_box,
            self.top_spin,
            self.chunk_spin,
            self.workers_spin,
            self.scheduler_edit,
            self.name_edit,
        ):
            widget.setEnabled(not running)
        if not running:
            self.live_timer.stop()
        self._validate()

    def _on_progress(self, done: int, total: int, message: str) -> None:
        if not show_progress(self.progress, done, total):
            self.status.setText(message or "Screening…")
            return
        self._meter.update(done)
        parts = [f"{done:,} of ~{total:,} records"]
        if self._meter.rate is not None:
            parts.append(f"{self._meter.rate:,.0f} compounds/s")
            eta = self._meter.eta(done, total)
            if eta is not None:
                parts.append(f"ETA {format_duration(eta)}")
        if message:
            parts.append(message)
        self.status.setText(" · ".join(parts))

    def _poll_live(self) -> None:
        fingerprint = self._fingerprint.get("value")
        if fingerprint is None or self.poll_slot.running:
            return
        wb = self._workbench()
        self.poll_slot.start(lambda _p, _c: live_screen(wb.project, fingerprint))

    def _show_live(self, live: Any) -> None:
        if live is None or not self.run_slot.running or not live.hits:
            return
        self.live_updates += 1
        self._labels = live.model_labels
        self.hits_caption.setText(
            f"Best {min(LIVE_HITS, live.kept)} of {live.kept:,} hits kept after "
            f"{live.records:,} records (last checkpoint of job {live.job_id})"
        )
        self.show_hits(live.hits, live.model_labels)

    def _on_finished(self, result: dict[str, Any]) -> None:
        self.last_result = result
        state, summary = result.get("state"), result.get("summary")
        if state == "done" and summary is not None:
            hits = summary["hits"]
            resumed = (
                f", resumed at chunk {summary['resumed_from_chunk']}" if summary["resumed_from_chunk"] else ""
            )
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
            self.status.setText(
                f"Done: {summary['records']:,} records, {summary['scored']:,} scored, {summary['errors']:,} "
                f"errors; {len(hits):,} hits imported into row list “{summary['row_list']}” "
                f"(job {result['job_id']}{resumed})."
            )
            self.hits_caption.setText(f"Best {min(LIVE_HITS, len(hits))} of {len(hits):,} hits (final)")
            self.show_hits(hits[:LIVE_HITS], summary["models"])
        elif state == "paused":
            self.status.setText(
                f"Paused (job {result['job_id']}): Start with the same settings continues it."
            )
        else:
            self.status.setText(f"Screen {state}: {result.get('error') or 'stopped'}")
        self.screen_finished.emit(result)

    def _on_failed(self, error: str) -> None:
        self.status.setText(f"The screen failed: {error}")
        self.screen_finished.emit(error)

    # -- the hits table ------------------------------------------------------------------------------------------
    def show_hits(self, hits: list[dict[str, Any]], labels: list[str]) -> None:
        """Fill the table with hit summaries (``Hit.summary`` + ``rank``), one column per model."""
        columns = [*FIXED_COLUMNS, *(f"{label} (± 90 %)" for label in labels)]
        table = self.hits_table
        table.setUpdatesEnabled(False)
        try:
            if table.columnCount() != len(columns):
                table.setColumnCount(len(columns))
            table.setHorizontalHeaderLabels(columns)
            table.setRowCount(len(hits))
            for row, hit in enumerate(hits):
                cells = [
                    str(hit["rank"]),
                    _pm(hit["score"], hit["sd"]),
                    f"{hit['low']:.3f} – {hit['high']:.3f}",
                    f"{hit['coverage']:.0%}" + ("" if hit["ranked"] else " (too low)"),
                    hit["name"] or "",
                    hit["smiles"],
                ]
                for label in labels:
                    p = hit["predictions"].get(label) or {}
                    text = _pm(p.get("value"), p.get("uncertainty"))
                    cells.append(text + ("  (out of domain)" if p.get("in_domain") is False else ""))
                for col, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    if col in (0, 1, 2, 3) or col >= len(FIXED_COLUMNS):
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    table.setItem(row, col, item)
            header = table.horizontalHeader()
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(FIXED_COLUMNS.index("SMILES"), QHeaderView.ResizeMode.Stretch)
        finally:
            table.setUpdatesEnabled(True)

    def closeEvent(self, event: Any) -> None:
        # Closing does not abandon a running screen: it pauses at its next chunk and can be continued.
        self.live_timer.stop()
        if self.run_slot.running:
            self.run_slot.cancel()
        super().closeEvent(event)


def _pm(value: float | None, spread: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if spread is None or spread != spread else f"{value:.3f} ± {spread:.3f}"
