"""Row lists saved in the project, and the jobs panel: states, row errors, pause and resume of a real import."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt

from cryodesk.domain import JobState
from cryodesk.engine.service import Workbench
from cryodesk.gui import row_lists as row_lists_module
from cryodesk.gui.jobs_panel import RowErrorsDialog
from cryodesk.gui.main_window import JobReport, MainWindow
from cryodesk.gui.molecule_table import Column

from .helpers import REFERENCE_COMPOUNDS, save_screenshot

TIMEOUT = 30_000
TOX21_CSV = Path(__file__).resolve().parents[2] / "resources" / "data" / "tox21" / "tox21.csv"
REFERENCE_LIST = "Reference cryoprotectants"


def _names(window: MainWindow) -> list[str]:
    return [window.model.index(r, Column.NAME).data() for r in range(window.model.rowCount())]


def _select_rows(window: MainWindow, rows: list[int]) -> None:
    selection = window.table.selectionModel()
    selection.clearSelection()
    for r in rows:
        selection.select(
            window.model.index(r, 1),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )


def test_row_lists_are_saved_opened_and_deleted(
    qtbot, open_window, seeded_project: Path, monkeypatch
) -> None:
    window = open_window(Workbench.open(seeded_project))
    panel = window.row_lists
    qtbot.waitUntil(lambda: REFERENCE_LIST in panel.names(), timeout=TIMEOUT)
    window.row_lists_dock.raise_()

    # Open the list the default library made: the table shows its 54 compounds.
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT) as blocker:
        panel.lists.setCurrentRow(panel.names().index(REFERENCE_LIST))
        panel.open_button.click()
    assert blocker.args[0] == 54
    assert window.filter_bar.chips()[0].label.text() == f"Row list: {REFERENCE_LIST} (54)"
    assert "Glycerol" in _names(window)

    # Save three selected rows through File ▸ Save row list (the name dialog answered by the test).
    _select_rows(window, [0, 2, 4])
    picked = window.selected_ids()
    monkeypatch.setattr(
        row_lists_module.QInputDialog, "getText", staticmethod(lambda *a, **k: ("my picks", True))
    )
    with qtbot.waitSignal(panel.saved, timeout=TIMEOUT):
        window.save_list_action.trigger()
    assert panel.names() == ["my picks", REFERENCE_LIST]
    assert panel.lists.item(0).text() == "my picks  (3)"
    save_screenshot(window, qtbot, "row_lists.png")

    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT):
        window.clear_filters()
    assert window.model.rowCount() == window.model.total
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT) as blocker:
        panel.open_list("my picks")
    assert blocker.args[0] == 3 and sorted(window.model.ids()) == sorted(picked)

    # No selection: the rows shown are saved (here a search result).
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT):
        window.clear_filters()
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT) as blocker:
        window.search_box.setText("glycol")
    shown = window.model.ids()
    window.table.clearSelection()
    with qtbot.waitSignal(panel.saved, timeout=TIMEOUT):
        assert window.save_row_list("glycols")
    with _Open(seeded_project) as wb:
        assert sorted(wb.row_list_members("glycols")) == sorted(shown)

    with qtbot.waitSignal(panel.deleted, timeout=TIMEOUT):
        panel.delete("my picks")
    assert "my picks" not in panel.names()


class _Open:
    def __init__(self, path: Path) -> None:
        self.wb = Workbench.open(path)

    def __enter__(self) -> Workbench:
        return self.wb

    def __exit__(self, *exc: object) -> None:
        self.wb.close()


def test_jobs_panel_lists_jobs_and_shows_row_errors(qtbot, open_window, seeded_project: Path) -> None:
    window = open_window(Workbench.open(seeded_project))
    panel = window.jobs
    window.jobs_dock.raise_()
    qtbot.waitUntil(lambda: len(panel.jobs) >= 5, timeout=TIMEOUT)
    kinds = {job.kind for job in panel.jobs}
    assert {"seed_default_library", "import_file"} <= kinds
    assert all(job.state == JobState.DONE for job in panel.jobs)
    tox21 = next(j for j in panel.jobs if j.kind == "import_file" and "tox21" in str(j.params.get("path")))
    assert tox21.n_row_errors == 8
    row = [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())].index(str(tox21.id))
    assert panel.table.item(row, 2).text() == "done"
    assert panel.table.item(row, 4).data(Qt.ItemDataRole.DisplayRole) == 8
    assert panel.table.item(row, 3).text().startswith("7,8")  # rows read (the total was not known ahead)

    panel.select_job(tox21.id)
    assert panel.errors_button.isEnabled()
    assert not panel.pause_button.isEnabled() and not panel.resume_button.isEnabled()  # a finished job
    save_screenshot(window, qtbot, "jobs_panel.png")
    with qtbot.waitSignal(panel.errors_slot.finished, timeout=TIMEOUT):
        panel.errors_button.click()
    dialog = panel.last_dialog
    assert isinstance(dialog, RowErrorsDialog) and dialog.isVisible()
    assert dialog.table.rowCount() == 8
    assert all("valence" in dialog.table.item(r, 3).text() for r in range(8))
    save_screenshot(dialog, qtbot, "jobs_row_errors.png")
    dialog.close()


def test_pause_and_resume_an_import_from_the_jobs_panel(qtbot, open_window, reference_project: Path) -> None:
    window = open_window(Workbench.open(reference_project))
    window.import_workers = 1  # in-process: slow enough to pause by hand, and the worst case for the GUI
    panel = window.jobs
    window.jobs_dock.raise_()
    source = TOX21_CSV  # 7,831 real rows
    reports: list[JobReport] = []
    window.job_finished.connect(reports.append)
    with qtbot.waitSignal(window.job_slot.progress, timeout=60_000):  # rows are being read
        assert window.start_import(source)

    # The panel refreshes every second while the job runs: pause it there, as a user would.
    qtbot.waitUntil(
        lambda: any(j.state == JobState.RUNNING for j in panel.jobs) or bool(reports), timeout=60_000
    )
    assert not reports, "the import ended before it could be paused"
    running = next(j for j in panel.jobs if j.state == JobState.RUNNING)
    panel.select_job(running.id)
    assert panel.pause_button.isEnabled() and panel.cancel_button.isEnabled()
    with qtbot.waitSignal(panel.control_sent, timeout=TIMEOUT):
        panel.pause_button.click()
    qtbot.waitUntil(lambda: bool(reports), timeout=120_000)
    paused = reports[0]
    assert paused.kind == "import" and paused.result.outcome.state == JobState.PAUSED
    window.last_dialog.close()

    qtbot.waitUntil(
        lambda: any(j.id == running.id and j.state == JobState.PAUSED for j in panel.jobs), timeout=TIMEOUT
    )
    panel.select_job(running.id)
    assert panel.resume_button.isEnabled() and not panel.pause_button.isEnabled()
    with qtbot.waitSignal(window.job_finished, timeout=180_000) as blocker:
        panel.resume_button.click()
        assert window.activity.isVisible() and "Resuming job" in window.activity.label.text()
    resumed: JobReport = blocker.args[0]
    assert resumed.kind == "resume" and resumed.error is None
    assert resumed.result.state == JobState.DONE and resumed.result.job_id == running.id
    qtbot.waitUntil(lambda: window.model.rowCount() > len(REFERENCE_COMPOUNDS) + 7000, timeout=TIMEOUT)
    qtbot.waitUntil(
        lambda: any(j.id == running.id and j.state == JobState.DONE for j in panel.jobs), timeout=TIMEOUT
    )


def _job_with_breaker(job_id: int, state: JobState, reading: dict | None):
    from cryodesk.store import JobRecord

    metrics = {"service": "pubchem", "breaker": {"pubchem": reading}} if reading is not None else {}
    return JobRecord(
        job_id,
        "import_pubchem",
        {},
        None,
        state,
        None,
        0,
        None,
        None,
        None,
        metrics,
        None,
        "2026-01-01T00:00:00",
        "2026-01-01T00:00:00",
        None,
    )


def test_breaker_rows_keep_the_newest_reading_per_service() -> None:
    from types import SimpleNamespace

    from cryodesk.gui.jobs_panel import breaker_rows

    now = 1_000_000.0
    old_open = {"state": "open", "consecutive_failures": 5, "openings": 1, "retry_in": 30.0, "at": now - 100}
    new_open = {"state": "open", "consecutive_failures": 7, "openings": 2, "retry_in": 30.0, "at": now - 10}
    jobs = [
        _job_with_breaker(1, JobState.FAILED, old_open),
        _job_with_breaker(2, JobState.RUNNING, new_open),
        _job_with_breaker(3, JobState.DONE, {"state": "closed"}),  # no timestamp: unreadable, skipped
        _job_with_breaker(4, JobState.DONE, None),
    ]
    local = [
        SimpleNamespace(service="chembl", state="half_open", consecutive_failures=0, openings=3, retry_in=0.0)
    ]
    rows = breaker_rows(jobs, local, now)
    assert [(r.service, r.state, r.consecutive_failures, r.origin) for r in rows] == [
        ("chembl", "half_open", 0, "this window"),
        ("pubchem", "open", 7, "job 2 (running)"),
    ]
    pubchem = rows[1]
    assert pubchem.next_probe(now) == 20.0 and pubchem.next_probe(now + 25) == 0.0  # due: counted down
    assert rows[0].next_probe(now) is None

    # This window's pubchem breaker: idle (never saw a call) loses to the job's older reading;
    # one that saw a call after the job's reading wins.
    idle = SimpleNamespace(service="pubchem", state="closed", consecutive_failures=0, openings=0, retry_in=0.0,
                           last_outcome_at=None)
    assert breaker_rows(jobs, [idle], now)[0].origin == "job 2 (running)"
    used = SimpleNamespace(**{**vars(idle), "last_outcome_at": now - 1})
    assert breaker_rows(jobs, [used], now)[0].origin == "this window"


def test_jobs_panel_shows_breakers_and_counts_down(qtbot, open_window, reference_project: Path) -> None:
    import time as time_module

    from cryodesk.gui.jobs_panel import BreakerRow

    window = open_window(Workbench.open(reference_project))
    panel = window.jobs
    qtbot.waitUntil(lambda: not panel.slot.running, timeout=10_000)
    panel.timer.stop()  # no read of the project may replace the rows shown here meanwhile
    now = time_module.time()
    rows = [
        BreakerRow("chembl", "closed", 0, 0, 0.0, now, "this window"),
        BreakerRow("pubchem", "open", 5, 1, 3.0, now, "job 9 (failed)"),
    ]
    with qtbot.waitSignal(panel.breakers_loaded, timeout=5_000):
        panel.show_breakers(rows)
    table = panel.breaker_table
    assert [table.item(1, c).text() for c in range(4)] == ["pubchem", "open", "5", "1"]
    assert table.item(0, 4).text() == "—" and table.item(1, 4).text() in ("in 3 s", "in 2 s")
    assert "Not answering: pubchem" in panel.breaker_caption.text()
    qtbot.waitUntil(lambda: table.item(1, 4).text() == "due now", timeout=8_000)  # ticks without a read
    panel.show_breakers([rows[0]])
    assert not panel.countdown.isActive() and "answering" in panel.breaker_caption.text()
