"""The import dialogs, driven like a user: fill a dialog from the File menu, run a real import from
the replay server (in a child process, as the window always does), see the breaker of a failing
service open in the jobs panel, and an online action fail fast without a network.

The replay server is the only fake; the child process reaches it through ``CRYODESK_<SERVICE>_BASE``
(set by ``replay_env``; a spawned child inherits the environment).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QPainter
from PySide6.QtWidgets import QMessageBox

from cryodesk.domain import JobState
from cryodesk.engine.service import Workbench
from cryodesk.gui.dialogs import ImportSummaryDialog
from cryodesk.gui.import_dialogs import (
    ChemblImportDialog,
    CodImportDialog,
    DrugBankImportDialog,
    ImportDialog,
    PubChemImportDialog,
    PubMedImportDialog,
    ToxImportDialog,
)
from cryodesk.gui.main_window import JobReport, MainWindow
from tests.replay import Fault, ReplayServer
from tests.replay.plugin import replay_env, replay_server

from .helpers import SCREENSHOT_DIR

__all__ = ["replay_env", "replay_server"]

JOB_TIMEOUT = 180_000
TOXCAST = Path("/work/shared/data/toxcast/toxcast.csv.gz")
EG_KEY = "LYCAIKOWRPUZTN-UHFFFAOYSA-N"


def _open_dialog(window: MainWindow, kind: str) -> ImportDialog:
    """Choose File ▸ Import from a service or data set ▸ <kind>, as a user would."""
    action = window.findChild(QAction, f"import_{kind}_action")
    assert action is not None and action.isEnabled()
    action.trigger()
    dialog = window.last_dialog
    assert isinstance(dialog, ImportDialog) and dialog.isVisible()
    return dialog


def _screenshot_over_window(qtbot, window: MainWindow, dialog, name: str) -> Path:
    """The 1400x900 window with ``dialog`` drawn over it where a window manager would put it."""
    qtbot.waitUntil(lambda: not window.busy_label.text(), timeout=30_000)
    if isinstance(dialog, ImportDialog):  # its address is in
        qtbot.waitUntil(lambda: not dialog.address_slot.running, timeout=10_000)
    canvas = window.grab()
    shot = dialog.grab()
    painter = QPainter(canvas)
    painter.drawPixmap((canvas.width() - shot.width()) // 2, (canvas.height() - shot.height()) // 3, shot)
    painter.end()
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    target = SCREENSHOT_DIR / name
    # 1400x900 unless a view's minimum width forces the window wider.
    assert canvas.height() == 900 and canvas.width() == max(1400, window.minimumSizeHint().width())
    assert canvas.save(str(target)), target
    return target


def _run(qtbot, window: MainWindow, dialog: ImportDialog) -> JobReport:
    with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT) as blocker:
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
        assert not dialog.isVisible() and window.activity.isVisible()
        assert window.activity.cancel_button.isEnabled()  # Cancel is there while it runs
    return blocker.args[0]


@pytest.fixture
def window(qtbot, open_window, reference_project: Path) -> MainWindow:
    return open_window(Workbench.open(reference_project))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


# -- real imports from the replay server -----------------------------------------------------------
def test_pubchem_dialog_imports_names_with_literature(
    qtbot, window: MainWindow, replay_env: ReplayServer
) -> None:
    dialog = _open_dialog(window, "pubchem")
    assert isinstance(dialog, PubChemImportDialog)
    # The address the job will use, read from the settings in the background.
    qtbot.waitUntil(lambda: replay_env.pubchem_base in dialog.address.text(), timeout=10_000)
    qtbot.keyClicks(dialog.names, "glycerol")
    qtbot.keyClick(dialog.names, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.names, "ethylene glycol")
    dialog.literature.setChecked(True)
    _screenshot_over_window(qtbot, window, dialog, "import_pubchem.png")

    report = _run(qtbot, window, dialog)
    assert report.kind == "import" and report.error is None
    result = report.result
    assert result.outcome.state is JobState.DONE, result.outcome.error
    summary = window.last_dialog
    assert isinstance(summary, ImportSummaryDialog) and summary.figures["rows_stored"] == 2
    summary.close()
    assert replay_env.count("/rest/pug/compound/name/cids") == 2
    # Four literature headings per CID (glycerol has no recorded PUG-View record: 404s, nothing stored).
    assert replay_env.count("/rest/pug_view/") == 8
    details = window.wb.compound_detail(EG_KEY)
    literature = [v for v in details.properties if str(v.provenance.method) == "literature"]
    assert literature and all(v.provenance.job_id == result.outcome.job_id for v in literature)
    assert window.wb.compound_ids("glycerol")


def test_chembl_dialog_imports_an_id(qtbot, window: MainWindow, replay_env: ReplayServer) -> None:
    dialog = _open_dialog(window, "chembl")
    assert isinstance(dialog, ChemblImportDialog)
    qtbot.keyClicks(dialog.ids, "CHEMBL25")
    qtbot.waitUntil(lambda: replay_env.chembl_base in dialog.address.text(), timeout=10_000)
    _screenshot_over_window(qtbot, window, dialog, "import_chembl.png")
    report = _run(qtbot, window, dialog)
    assert report.result.outcome.state is JobState.DONE, report.result.outcome.error
    assert window.last_dialog.figures["rows_stored"] == 1
    assert window.wb.compound_detail("BSYNRYMUTXBXSQ-UHFFFAOYSA-N") is not None  # aspirin landed
    assert replay_env.count("/chembl/") >= 1


def test_pubmed_dialog_imports_abstracts(qtbot, window: MainWindow, replay_env: ReplayServer) -> None:
    dialog = _open_dialog(window, "pubmed")
    assert isinstance(dialog, PubMedImportDialog)
    qtbot.keyClicks(dialog.query, "toxicity")
    dialog.max_results.setValue(20)
    qtbot.waitUntil(lambda: replay_env.ncbi_base in dialog.address.text(), timeout=10_000)
    _screenshot_over_window(qtbot, window, dialog, "import_pubmed.png")
    report = _run(qtbot, window, dialog)
    outcome = report.result.outcome
    assert outcome.state is JobState.DONE, outcome.error
    job = window.wb.job(outcome.job_id)
    assert job.kind == "import_pubmed" and job.params["max_results"] == 20
    assert replay_env.count("/entrez/") >= 2  # esearch, then efetch


@pytest.mark.skipif(not TOXCAST.exists(), reason="the ToxCast data set is not on this machine")
def test_toxcast_dialog_imports_the_first_rows_of_the_real_file(qtbot, window: MainWindow) -> None:
    dialog = _open_dialog(window, "toxcast")
    assert isinstance(dialog, ToxImportDialog) and "no network" in dialog.address.text()
    qtbot.keyClicks(dialog.path, str(TOXCAST))
    dialog.limit.setValue(40)
    _screenshot_over_window(qtbot, window, dialog, "import_toxcast.png")
    report = _run(qtbot, window, dialog)
    outcome = report.result.outcome
    assert outcome.state is JobState.DONE, outcome.error
    assert window.wb.job(outcome.job_id).kind == "import_toxcast"
    assert window.last_dialog.figures.get("rows_read") == 40


# -- dialogs refuse bad input and keep it ----------------------------------------------------------
def test_dialogs_show_the_engines_reason_and_stay_open(qtbot, window: MainWindow, tmp_path: Path) -> None:
    cases = [
        ("pubchem", lambda d: None, "nothing to import"),
        ("pubchem", lambda d: qtbot.keyClicks(d.cids, "753, abc"), "not a PubChem CID: 'abc'"),
        ("chembl", lambda d: None, "nothing to import"),
        ("pubmed", lambda d: None, "query"),
        ("toxcast", lambda d: qtbot.keyClicks(d.path, str(tmp_path / "missing.csv")), "data file not found"),
        ("drugbank", lambda d: None, "choose the DrugBank file"),
        ("cod", lambda d: qtbot.keyClicks(d.ids, "12345"), "not a COD ID (7 digits): 12345"),
    ]
    for kind, fill, reason in cases:
        dialog = _open_dialog(window, kind)
        fill(dialog)
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
        assert dialog.isVisible(), kind
        assert reason in dialog.error_label.text(), (kind, dialog.error_label.text())
        assert not window.job_slot.running
        if kind in ("drugbank", "cod"):
            _screenshot_over_window(qtbot, window, dialog, f"import_{kind}.png")
        dialog.reject()
    assert isinstance(_open_dialog(window, "drugbank"), DrugBankImportDialog)
    assert isinstance(_open_dialog(window, "cod"), CodImportDialog)


# -- offline: fail fast, say so ----------------------------------------------------------------------
def test_without_the_service_an_online_import_fails_fast_and_says_what_works(
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = f"http://127.0.0.1:{_closed_port()}/rest/pug"
    monkeypatch.setenv("CRYODESK_PUBCHEM_BASE", base)
    dialog = _open_dialog(window, "pubchem")
    qtbot.waitUntil(lambda: base in dialog.address.text(), timeout=10_000)
    qtbot.keyClicks(dialog.names, "glycerol")
    jobs_before = len(window.wb.jobs())
    started = time.monotonic()
    report = _run(qtbot, window, dialog)
    elapsed = time.monotonic() - started
    assert elapsed < 5.0, f"took {elapsed:.1f} s"
    assert report.result is None and report.error
    assert "PubChem is unreachable at " + base in report.error and "refused the connection" in report.error
    assert "Everything local still works" in report.error and "file imports" in report.error
    box = window.last_dialog
    assert isinstance(box, QMessageBox) and "unreachable" in box.informativeText()
    assert len(window.wb.jobs()) == jobs_before  # no job was started
    _screenshot_over_window(qtbot, window, box, "import_offline.png")
    box.close()
    # The local library still answers.
    assert window.wb.compound_count() > 0


# -- the breaker of a failing service, seen in the jobs panel ----------------------------------------
def test_a_run_of_server_errors_opens_the_breaker_shown_in_the_jobs_panel(
    qtbot, window: MainWindow, replay_env: ReplayServer
) -> None:
    replay_env.faults.queue(Fault.server_error(500), times=12)
    window.jobs_dock.show()
    window.jobs_dock.raise_()
    dialog = _open_dialog(window, "pubchem")
    qtbot.keyClicks(dialog.names, "glycerol")
    report = _run(qtbot, window, dialog)
    outcome = report.result.outcome
    assert outcome.state is JobState.FAILED and "glycerol" in outcome.error
    window.last_dialog.close()
    # 5 attempts of the name lookup, all 500: the default breaker (threshold 5) opened in the child.
    assert replay_env.count("/rest/pug/compound/name/cids") == 5
    breaker = window.wb.job(outcome.job_id).metrics["breaker"]["pubchem"]
    assert (breaker["state"], breaker["consecutive_failures"], breaker["openings"]) == ("open", 5, 1)

    panel = window.jobs
    with qtbot.waitSignal(
        panel.breakers_loaded,
        timeout=30_000,
        check_params_cb=lambda rows: any(r.service == "pubchem" for r in rows),
    ):
        panel.refresh()
    row = next(r for r in panel.breaker_rows if r.service == "pubchem")
    assert row.state == "open" and row.origin == f"job {outcome.job_id} (failed)"
    r = panel.breaker_rows.index(row)
    cells = [panel.breaker_table.item(r, c).text() for c in range(panel.breaker_table.columnCount())]
    assert cells[:4] == ["pubchem", "open", "5", "1"]
    probe = row.next_probe(time.time())
    assert probe is not None and 0 < probe <= 30.0 and cells[4].startswith("in ")
    assert "Not answering: pubchem" in panel.breaker_caption.text()
    assert panel.countdown.isActive()  # the countdown ticks without reading the project
    target = SCREENSHOT_DIR / "jobs_panel_breaker.png"
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    assert window.grab().save(str(target))


def test_cancel_in_the_activity_bar_stops_a_running_online_import(
    qtbot, window: MainWindow, replay_env: ReplayServer
) -> None:
    dialog = _open_dialog(window, "pubchem")
    # 300 CIDs with their literature sections: at PubChem's 4 requests/s, minutes of work.
    dialog.cids.setText(" ".join(str(c) for c in range(1000, 1300)))  # pasted
    dialog.literature.setChecked(True)
    messages: list[str] = []
    window.job_slot.progress.connect(lambda _d, _t, message: messages.append(message))
    with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT) as blocker:
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: any("CIDs imported" in m for m in messages), timeout=60_000)
        qtbot.mouseClick(window.activity.cancel_button, Qt.MouseButton.LeftButton)
    outcome = blocker.args[0].result.outcome
    assert outcome.state is JobState.CANCELLED, outcome
    job = window.wb.job(outcome.job_id)
    assert job.done < 300 and job.kind == "import_pubchem"
    window.last_dialog.close()
    panel = window.jobs
    panel.refresh()
    qtbot.waitUntil(
        lambda: any(j.id == outcome.job_id and j.state is JobState.CANCELLED for j in panel.jobs),
        timeout=30_000,
    )
    assert panel.select_job(outcome.job_id)
    assert panel.resume_button.isEnabled()  # the checkpoint is kept: Resume continues it
