"""The jobs panel: every job of the project with state, progress and row errors; pause, cancel, resume.

Jobs are the engine's records (``wb.jobs()``), so jobs started by the CLI or another window show here
too. Pause and cancel are requests written to the job's record, which the running job polls at its
next checkpoint (in this process or another); resume asks the window to run the engine's
``resume_job`` in its job slot, so the activity bar shows it like any other job. The list is re-read
on a timer while a job runs, and rarely otherwise.

Below the jobs, the circuit breaker of every online service: closed, open or half-open, consecutive
failures, openings and the time to the next probe. Online imports run in a child process whose
breakers this window cannot see, so the state comes from two places: this process's own breakers
(``Workbench.service_status()``) and the latest snapshot each online job writes into its metrics with
every checkpoint (``metrics["breaker"]``, stamped with the time it was taken). The newest reading
of each service is shown; the probe countdown ticks locally between reads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cryodesk.domain import JobState, RowError
from cryodesk.engine.service import Workbench
from cryodesk.engine.views import resumable_kinds
from cryodesk.gui.worker import ProgressFn, TaskSlot
from cryodesk.store import JobRecord

WorkbenchRef = Callable[[], Workbench]
ACTIVE_REFRESH_MS = 1000  # while a job runs
IDLE_REFRESH_MS = 15_000  # otherwise: a CLI job started meanwhile still appears
JOBS_SHOWN = 200
ROW_ERRORS_SHOWN = 2000
HEADERS = ("Job", "Kind", "State", "Progress", "Row errors", "Message", "Updated")
PROGRESS_COLUMN = 3
STATE_COLOURS = {
    JobState.RUNNING: "#1c7ed6",
    JobState.PAUSED: "#e67700",
    JobState.FAILED: "#c92a2a",
    JobState.CANCELLED: "#868e96",
    JobState.DONE: "#2b8a3e",
    JobState.PENDING: "#868e96",
}
STOPPED = (JobState.PAUSED, JobState.FAILED, JobState.CANCELLED, JobState.PENDING)
ModelIndex = QModelIndex | QPersistentModelIndex
BREAKER_HEADERS = ("Service", "Circuit", "Consecutive failures", "Openings", "Next probe", "Reported by")
BREAKER_COLOURS = {"closed": "#2b8a3e", "half_open": "#e67700", "open": "#c92a2a"}
BREAKER_LABELS = {"closed": "closed", "half_open": "half-open", "open": "open"}
COUNTDOWN_MS = 1000


@dataclass(frozen=True, slots=True)
class BreakerRow:
    """The newest known state of one service's circuit breaker.

    Attributes:
        service: service name (``pubchem``, ``chembl``, ...).
        state: ``closed``, ``open`` or ``half_open``.
        consecutive_failures: failures since the last success.
        openings: times the breaker opened (in the process that reported it).
        retry_in: seconds to the next probe when the reading was taken (0 unless open).
        at: Unix time of the reading.
        origin: who reported it: ``"this window"`` or ``"job 12 (running)"``.
    """

    service: str
    state: str
    consecutive_failures: int
    openings: int
    retry_in: float
    at: float
    origin: str

    def next_probe(self, now: float) -> float | None:
        """Seconds until an open breaker lets a probe through (0: due now); None unless open."""
        if self.state != "open":
            return None
        return max(0.0, self.retry_in - (now - self.at))


def breaker_rows(jobs: Iterable[JobRecord], local: Iterable[Any], now: float) -> list[BreakerRow]:
    """The newest breaker reading per service, from this process (``local``) and the jobs' metrics."""
    newest: dict[str, BreakerRow] = {}

    def offer(row: BreakerRow, observed_at: float) -> None:
        if row.service not in newest or observed_at > seen[row.service]:
            newest[row.service], seen[row.service] = row, observed_at

    seen: dict[str, float] = {}
    for status in local:
        # A breaker of this window that never saw a call knows nothing: any job's reading beats it.
        observed = getattr(status, "last_outcome_at", None) or 0.0
        offer(
            BreakerRow(
                status.service,
                str(status.state),
                int(status.consecutive_failures),
                int(status.openings),
                float(status.retry_in),
                now,
                "this window",
            ),
            observed,
        )
    for job in jobs:
        breakers = (job.metrics or {}).get("breaker")
        if not isinstance(breakers, dict):
            continue
        origin = f"job {job.id} ({job.state})"
        for service, reading in breakers.items():
            try:
                offer(
                    BreakerRow(
                        str(service),
                        str(reading["state"]),
                        int(reading.get("consecutive_failures", 0)),
                        int(reading.get("openings", 0)),
                        float(reading.get("retry_in", 0.0)),
                        float(reading["at"]),
                        origin,
                    ),
                    float(reading["at"]),
                )
            except (KeyError, TypeError, ValueError):
                continue  # a reading this version cannot read: skip it, do not break the panel
    return sorted(newest.values(), key=lambda r: r.service)


def _probe_text(row: BreakerRow, now: float) -> str:
    wait = row.next_probe(now)
    if wait is None:
        return "now (probing)" if row.state == "half_open" else "—"
    return "due now" if wait <= 0 else f"in {wait:.0f} s"


def _read_jobs_and_breakers(workbench: Workbench) -> tuple[list[JobRecord], list[Any]]:
    return workbench.jobs(JOBS_SHOWN), Workbench.service_status()


class ProgressDelegate(QStyledItemDelegate):
    """Draws a job's progress as a bar (done/total kept in the item's UserRole)."""

    def paint(self, painter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        done, total = index.data(Qt.ItemDataRole.UserRole) or (0, None)
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(3, 4, -3, -4)  # type: ignore[attr-defined]
        bar.minimum = 0
        bar.maximum = total if total else 0
        bar.progress = min(done, total) if total else 0
        bar.text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        bar.textVisible = True
        bar.state = option.state  # type: ignore[attr-defined]
        bar.palette = option.palette  # type: ignore[attr-defined]
        if not total:  # unknown total: an empty bar with the count as text, not a busy animation
            bar.maximum, bar.progress = 1, 0
        widget = option.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)


def _row_key(job: JobRecord) -> tuple[Any, ...]:
    """Everything a job's row shows: equal keys, identical row."""
    return (
        job.id,
        job.kind,
        str(job.state),
        job.error,
        job.done,
        job.total,
        job.n_row_errors,
        job.message,
        job.updated_at,
        _params_text(job),
    )


def _progress_text(job: JobRecord) -> str:
    if job.total:
        return f"{job.done:,} / {job.total:,}  ({100.0 * min(job.done, job.total) / job.total:.0f} %)"
    return f"{job.done:,}" if job.done else ""


class JobsPanel(QWidget):
    """The Jobs dock. ``resume_requested(job_id)`` asks the window to resume a stopped job."""

    resume_requested = Signal(int)
    jobs_loaded = Signal(list)  # [JobRecord]
    breakers_loaded = Signal(list)  # [BreakerRow]
    control_sent = Signal(int, str)  # job id, "pause" / "cancel"

    def __init__(self, workbench: WorkbenchRef, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("JobsPanel")
        self._workbench = workbench
        self.jobs: list[JobRecord] = []
        self._row_keys: list[tuple[Any, ...]] = []  # what each table row shows (rows are rebuilt on change)
        self.local_running: set[int] = set()  # job ids this window's job slot resumes
        self._local_job_active = False  # this window's job slot runs a job (its record may not exist yet)
        self.read_only = False
        self._resumable = resumable_kinds()
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setObjectName("JobsTable")
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setItemDelegateForColumn(PROGRESS_COLUMN, ProgressDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 52), (1, 150), (2, 84), (3, 190), (4, 80), (6, 150)):
            self.table.setColumnWidth(column, width)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.show_row_errors())
        self.pause_button = QPushButton("Pause", self)
        self.cancel_button = QPushButton("Cancel", self)
        self.resume_button = QPushButton("Resume", self)
        self.errors_button = QPushButton("Row errors…", self)
        self.refresh_button = QPushButton("Refresh", self)
        self.pause_button.setToolTip("Ask the job to stop at its next checkpoint; Resume continues it")
        self.cancel_button.setToolTip("Ask the job to stop; rows already stored are kept")
        self.resume_button.setToolTip("Continue the job from its checkpoint")
        self.errors_button.setToolTip("Every input row the job rejected, with the reason")
        self.pause_button.clicked.connect(lambda: self.send_control("pause"))
        self.cancel_button.clicked.connect(lambda: self.send_control("cancel"))
        self.resume_button.clicked.connect(self._resume)
        self.errors_button.clicked.connect(self.show_row_errors)
        self.refresh_button.clicked.connect(self.refresh)
        self.caption = QLabel(self)
        buttons = QHBoxLayout()
        for b in (self.pause_button, self.cancel_button, self.resume_button, self.errors_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.caption)
        buttons.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        # A splitter, so that in a short bottom dock the jobs keep most of the height (the breaker box
        # used to take half of it and left one job row visible) and the user can move the line.
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self._build_breaker_box())
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        layout.addWidget(self.splitter, 1)
        self.last_dialog: QDialog | None = None

        self.slot = TaskSlot("jobs", parent=self)
        self.slot.finished.connect(self._on_snapshot)
        self.slot.failed.connect(lambda e: self.caption.setText(f"Could not read the jobs: {e}"))
        self.control_slot = TaskSlot("job control", parent=self)
        self.control_slot.finished.connect(self._on_control_sent)
        self.control_slot.failed.connect(lambda e: self.caption.setText(f"Could not send the request: {e}"))
        self.errors_slot = TaskSlot("row errors", parent=self)
        self.errors_slot.finished.connect(self._on_row_errors)
        self.timer = QTimer(self)
        self.timer.setInterval(IDLE_REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        # Ticks the "next probe" countdown between reads; runs only while a breaker is open.
        self.countdown = QTimer(self)
        self.countdown.setInterval(COUNTDOWN_MS)
        self.countdown.timeout.connect(self._tick_breakers)
        self._update_buttons()

    def _build_breaker_box(self) -> QGroupBox:
        self.breaker_rows: list[BreakerRow] = []
        box = QGroupBox("Online services (circuit breakers)", self)
        box.setObjectName("BreakerBox")
        self.breaker_table = QTableWidget(0, len(BREAKER_HEADERS), box)
        self.breaker_table.setObjectName("BreakerTable")
        self.breaker_table.setHorizontalHeaderLabels(list(BREAKER_HEADERS))
        self.breaker_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.breaker_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.breaker_table.verticalHeader().setVisible(False)
        self.breaker_table.setMaximumHeight(120)
        self.breaker_table.setMinimumHeight(56)  # header and one service: the jobs get the rest
        header = self.breaker_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(len(BREAKER_HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 110), (1, 90), (2, 150), (3, 80), (4, 100)):
            self.breaker_table.setColumnWidth(column, width)
        self.breaker_caption = QLabel("No online service used yet.", box)
        self.breaker_caption.setObjectName("BreakerCaption")
        self.breaker_caption.setWordWrap(True)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(4, 4, 4, 4)
        inner.addWidget(self.breaker_caption)
        inner.addWidget(self.breaker_table)
        return box

    # -- reading -------------------------------------------------------------------------------------
    def refresh(self) -> None:
        if not self.timer.isActive():
            self.timer.start()
        if self.slot.running:
            return  # a slow read must not pile up behind the timer
        workbench = self._workbench
        self.slot.start(lambda _p, _c: _read_jobs_and_breakers(workbench()), "jobs")

    def _on_snapshot(self, snapshot: tuple[list[JobRecord], list[Any]]) -> None:
        jobs, local = snapshot
        self._on_jobs(jobs)
        self.show_breakers(breaker_rows(jobs, local, time.time()))

    def reset(self) -> None:
        self.slot.discard()
        self.jobs = []
        self._row_keys = []
        self.table.setRowCount(0)
        self.show_breakers([])
        self.local_running.clear()
        self._local_job_active = False

    def set_local_job_running(self, running: bool) -> None:
        """The window's job slot started or ended a job: refresh often while it runs."""
        self._local_job_active = running
        self.timer.setInterval(ACTIVE_REFRESH_MS if running else IDLE_REFRESH_MS)
        if not running:
            self.local_running.clear()
        self.refresh()

    def _on_jobs(self, jobs: list[JobRecord]) -> None:
        self.jobs = list(jobs)
        selected = self.selected_job()
        self.table.setUpdatesEnabled(False)
        if self.table.rowCount() != len(jobs):
            self.table.setRowCount(len(jobs))
        # Re-read every second while a job runs: only rows whose text changed are rebuilt (usually the
        # running job's), so the GUI thread's work per refresh does not grow with the job history.
        keys = [_row_key(job) for job in jobs]
        shown = self._row_keys
        for r, job in enumerate(jobs):
            if r < len(shown) and shown[r] == keys[r]:
                continue
            self._fill_row(r, job)
        self._row_keys = keys
        self.table.setUpdatesEnabled(True)
        if selected is not None:
            self.select_job(selected.id)
        running = [j for j in jobs if j.state == JobState.RUNNING]
        self.caption.setText(f"{len(running)} running" if running else f"{len(jobs)} jobs")
        active = running or self.local_running or self._local_job_active
        self.timer.setInterval(ACTIVE_REFRESH_MS if active else IDLE_REFRESH_MS)
        self._update_buttons()
        self.jobs_loaded.emit(self.jobs)

    def _fill_row(self, r: int, job: JobRecord) -> None:
        state_item = QTableWidgetItem(str(job.state))
        state_item.setForeground(QColor(STATE_COLOURS.get(job.state, "#868e96")))
        font = state_item.font()
        font.setBold(job.state in (JobState.RUNNING, JobState.FAILED, JobState.PAUSED))
        state_item.setFont(font)
        if job.error:
            state_item.setToolTip(job.error)
        progress = QTableWidgetItem(_progress_text(job))
        progress.setData(Qt.ItemDataRole.UserRole, (job.done, job.total))
        errors = QTableWidgetItem()
        errors.setData(Qt.ItemDataRole.DisplayRole, job.n_row_errors)
        errors.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        message = job.error or job.message or ""
        cells = [
            QTableWidgetItem(str(job.id)),
            QTableWidgetItem(job.kind),
            state_item,
            progress,
            errors,
            QTableWidgetItem(message),
            QTableWidgetItem((job.updated_at or "").replace("T", " ")[:19]),
        ]
        cells[0].setData(Qt.ItemDataRole.UserRole, job.id)
        cells[5].setToolTip(message)
        cells[1].setToolTip(_params_text(job))
        for c, item in enumerate(cells):
            self.table.setItem(r, c, item)

    # -- circuit breakers ---------------------------------------------------------------------------
    def show_breakers(self, rows: list[BreakerRow]) -> None:
        """Show one line per service; start the countdown while any breaker is open."""
        self.breaker_rows = list(rows)
        now = time.time()
        table = self.breaker_table
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            state = QTableWidgetItem(BREAKER_LABELS.get(row.state, row.state))
            state.setForeground(QColor(BREAKER_COLOURS.get(row.state, "#868e96")))
            font = state.font()
            font.setBold(row.state != "closed")
            state.setFont(font)
            read_at = time.strftime("%H:%M:%S", time.localtime(row.at))
            cells = [
                QTableWidgetItem(row.service),
                state,
                QTableWidgetItem(str(row.consecutive_failures)),
                QTableWidgetItem(str(row.openings)),
                QTableWidgetItem(_probe_text(row, now)),
                QTableWidgetItem(f"{row.origin}, read at {read_at}"),
            ]
            for c in (2, 3):
                cells[c].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for c, item in enumerate(cells):
                table.setItem(r, c, item)
        opened = [r.service for r in rows if r.state != "closed"]
        if not rows:
            self.breaker_caption.setText("No online service used yet.")
        elif opened:
            self.breaker_caption.setText(
                f"Not answering: {', '.join(opened)}. Requests to it are refused until a probe succeeds; "
                "imports stop with their batches kept (Resume continues). Local data and files work as usual."
            )
        else:
            self.breaker_caption.setText("All online services used so far are answering.")
        if any(r.state == "open" for r in rows):
            if not self.countdown.isActive():
                self.countdown.start()
        else:
            self.countdown.stop()
        self.breakers_loaded.emit(self.breaker_rows)

    def _tick_breakers(self) -> None:
        now = time.time()
        for r, row in enumerate(self.breaker_rows):
            item = self.breaker_table.item(r, 4)
            if item is not None:
                item.setText(_probe_text(row, now))

    # -- selection and buttons ----------------------------------------------------------------------
    def selected_job(self) -> JobRecord | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        job_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return next((j for j in self.jobs if j.id == job_id), None)

    def select_job(self, job_id: int) -> bool:
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == job_id:
                self.table.selectRow(r)
                return True
        return False

    def _update_buttons(self) -> None:
        job = self.selected_job()
        running = job is not None and job.state == JobState.RUNNING
        writable = not self.read_only
        self.pause_button.setEnabled(running and writable)
        self.cancel_button.setEnabled(running and writable)
        can_resume = (
            job is not None
            and job.state in STOPPED
            and job.kind in self._resumable
            and writable
            and job.id not in self.local_running
        )
        self.resume_button.setEnabled(can_resume)
        if job is not None and job.state in STOPPED and job.kind not in self._resumable:
            self.resume_button.setToolTip(f"{job.kind} jobs cannot be resumed here")
        else:
            self.resume_button.setToolTip("Continue the job from its checkpoint")
        self.errors_button.setEnabled(job is not None and job.n_row_errors > 0)

    # -- actions --------------------------------------------------------------------------------------
    def send_control(self, control: str) -> None:
        job = self.selected_job()
        if job is None:
            return
        workbench, job_id = self._workbench, job.id

        def work(_p: ProgressFn, _c: threading.Event) -> tuple[int, str]:
            workbench().request_job(job_id, control)
            return job_id, control

        self.control_slot.start(work, f"{control} job {job_id}")

    def _on_control_sent(self, result: tuple[int, str]) -> None:
        job_id, control = result
        self.caption.setText(f"Asked job {job_id} to {control}; it stops at its next checkpoint.")
        self.control_sent.emit(job_id, control)
        self.refresh()

    def _resume(self) -> None:
        job = self.selected_job()
        if job is not None:
            self.local_running.add(job.id)
            self._update_buttons()
            self.resume_requested.emit(job.id)

    def show_row_errors(self) -> None:
        job = self.selected_job()
        if job is None or not job.n_row_errors:
            return
        workbench, record = self._workbench, job
        self.errors_slot.start(
            lambda _p, _c: (record, workbench().row_errors(record.id, ROW_ERRORS_SHOWN)),
            f"row errors of job {job.id}",
        )

    def _on_row_errors(self, result: tuple[JobRecord, list[RowError]]) -> None:
        job, errors = result
        dialog = RowErrorsDialog(job, errors, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_dialog = dialog
        dialog.open()


def _params_text(job: JobRecord) -> str:
    parts = [f"{k}: {v}" for k, v in sorted(job.params.items()) if not isinstance(v, dict | list)]
    return "\n".join(parts[:12])


class RowErrorsDialog(QDialog):
    """Every row a job rejected: row number, field, value as read, and the reason."""

    def __init__(self, job: JobRecord, errors: Sequence[RowError], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Row errors of job {job.id} ({job.kind})")
        self.resize(820, 520)
        source = job.params.get("path") or job.params.get("source") or ""
        shown = len(errors)
        caption = QLabel(
            f"{job.n_row_errors:,} rejected rows"
            + (f" (first {shown:,} shown)" if job.n_row_errors > shown else "")
            + (f" from {source}" if source else "")
            + ". Good rows were stored.",
            self,
        )
        caption.setWordWrap(True)
        self.table = QTableWidget(shown, 4, self)
        self.table.setHorizontalHeaderLabels(["Row", "Field", "Value", "Reason"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        for r, e in enumerate(errors):
            row = QTableWidgetItem()
            row.setData(Qt.ItemDataRole.DisplayRole, e.row)
            self.table.setItem(r, 0, row)
            self.table.setItem(r, 1, QTableWidgetItem(e.field or ""))
            value = QTableWidgetItem("" if e.value is None else str(e.value))
            value.setToolTip(value.text())
            self.table.setItem(r, 2, value)
            reason = QTableWidgetItem(e.reason)
            reason.setToolTip(e.describe())
            self.table.setItem(r, 3, reason)
        for column, width in ((0, 64), (1, 90), (2, 220)):
            self.table.setColumnWidth(column, width)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # Qt's default indicator is descending
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(caption)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
