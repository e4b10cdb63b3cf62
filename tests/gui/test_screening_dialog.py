"""The screening dialog, driven like a user on a project with a small real solubility model.

The library is 284 records: 260 real ESOL structures not used for training, 20 of them repeated and
4 unreadable lines. The dialog runs the screen in a child process; the test stops it once the live
table has shown hits from a checkpoint, starts it again (it continues the paused job), and checks
the final hits against the engine's own uninterrupted in-process screen, the row list and the
parameters recorded with it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer

from cryodesk.engine.executor import InProcessExecutor
from cryodesk.engine.jobs import run_job
from cryodesk.engine.screening import ScreenJob, ScreenParams, screen_record
from cryodesk.engine.service import Workbench
from cryodesk.engine.training import train_and_register
from cryodesk.store import Project
from tests.engine.test_screening import BAD_LINES, PROFILE, write_library
from tests.engine.test_training import esol_workbench, tiny_request

from .helpers import SCREENSHOT_DIR, has_chemistry

pytestmark = pytest.mark.skipif(not has_chemistry(), reason="cryodesk.chem not available")
TIMEOUT = 300_000
COPIES = 10


@pytest.fixture(scope="module")
def screen_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("screen_dialog")
    wb = esol_workbench(tmp, n=250)
    try:
        train_and_register(wb.project, tiny_request())  # log_solubility v1
        wb.save_scoring_profile(PROFILE)
    finally:
        wb.close()
    small = write_library(tmp / "small.smi", start=300, stop=560, duplicates=20)
    # Ten copies: on an idle machine 284 records are screened before the Stop click lands, and the
    # test is about stopping and continuing.
    header, *body = small.read_text(encoding="utf-8").splitlines()
    (tmp / "library.smi").write_text("\n".join([header, *(body * COPIES)]) + "\n", encoding="utf-8")
    return tmp


@pytest.fixture()
def screen_project(screen_source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "proj"
    shutil.copytree(screen_source, target)
    return target / "esol.cryodesk"


def _reference_hits(project: Path, library: Path) -> list[tuple[str, float]]:
    """The engine's uninterrupted in-process screen with the settings the test enters in the dialog."""
    reference = project.with_name("reference.cryodesk")
    shutil.copy(project, reference)
    shutil.copytree(
        project.with_name(project.name + ".models"), reference.with_name(reference.name + ".models")
    )
    params = ScreenParams(
        str(library),
        ("log_solubility",),
        "soluble",
        top=20,
        max_hits=100_000,
        chunk_size=50,
        workers=1,
        name="reference",
    )
    with Project.open(reference) as p:
        outcome = run_job(p, ScreenJob(params, InProcessExecutor(1)))
    return [(h["key"], h["score"]) for h in outcome.result.hits]


@pytest.mark.slow
# Trains a model and screens three times (reference, then stop + continue) in processes.
@pytest.mark.timeout(900)
def test_screen_dialog_live_hits_stop_continue_and_row_list(qtbot, open_window, screen_project: Path) -> None:
    library = screen_project.with_name("library.smi")
    expected = _reference_hits(screen_project, library)
    window = open_window(Workbench.open(screen_project))
    window.screen_action.trigger()  # Models > Screen a library…
    dialog = window.screening_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=30_000)
    start = dialog.start_button

    # Not startable until it has a library and a model; the dialog says why.
    assert not start.isEnabled() and dialog.reason.text() == "Choose a library file."
    dialog.library_edit.setText(str(library.with_name("missing.smi")))
    assert not start.isEnabled() and dialog.reason.text().startswith("No such file")
    dialog.library_edit.setText(str(library))
    assert not start.isEnabled() and dialog.reason.text() == "Choose at least one model."
    refs = [
        dialog.model_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(dialog.model_list.count())
    ]
    assert refs == ["log_solubility"]
    dialog.set_models(("log_solubility",))
    dialog.profile_box.setCurrentIndex(dialog.profile_box.findData("soluble"))
    dialog.top_spin.setValue(20)
    dialog.chunk_spin.setValue(50)
    dialog.workers_spin.setValue(1)
    dialog.name_edit.setText("dialog hits")
    assert start.isEnabled() and dialog.reason.text() == ""

    # The window's event loop keeps turning while the child process screens.
    ticks: list[int] = []
    ticker = QTimer(dialog)
    ticker.timeout.connect(lambda: ticks.append(1) if dialog.run_slot.running else None)
    ticker.start(50)
    statuses: list[str] = []
    dialog.run_slot.progress.connect(lambda *_: statuses.append(dialog.status.text()))

    with qtbot.waitSignal(dialog.screen_finished, timeout=TIMEOUT) as paused:
        qtbot.mouseClick(start, Qt.MouseButton.LeftButton)
        assert dialog.stop_button.isEnabled() and not dialog.library_edit.isEnabled()
        qtbot.waitUntil(lambda: dialog.live_updates >= 1 and "ETA " in dialog.status.text(), timeout=TIMEOUT)
        live_rows = dialog.hits_table.rowCount()
        dialog.resize(1400, 900)
        SCREENSHOT_DIR.mkdir(exist_ok=True)
        assert dialog.grab().save(str(SCREENSHOT_DIR / "screening_dialog_running.png"))
        qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    assert paused.args[0]["state"] == "paused", paused.args[0]
    assert 1 <= live_rows <= 20 and dialog.hits_table.columnCount() == 7  # + one column per model
    assert dialog.hits_table.horizontalHeaderItem(6).text() == "log_solubility v1 (± 90 %)"
    assert any("compounds/s" in s and "ETA " in s for s in statuses), statuses[-3:]
    assert len(ticks) >= 20

    with qtbot.waitSignal(dialog.screen_finished, timeout=TIMEOUT) as finished:
        qtbot.mouseClick(start, Qt.MouseButton.LeftButton)  # the same settings: continues the paused job
    result = finished.args[0]
    assert result["state"] == "done", result
    assert result["resumed"] and result["job_id"] == paused.args[0]["job_id"]
    summary = result["summary"]
    assert summary["resumed_from_chunk"] > 0 and summary["errors"] == COPIES * len(BAD_LINES)
    assert [(h["key"], h["score"]) for h in summary["hits"]] == expected
    assert dialog.hits_table.rowCount() == 20
    assert dialog.hits_table.item(0, 5).text() == summary["hits"][0]["smiles"]
    assert dialog.status.text().startswith(f"Done: {COPIES * 284:,} records") and "“dialog hits”" in dialog.status.text()

    recorded = result["recorded"]  # the screen's parameters, kept with the row list
    assert recorded["top"] == 20 and recorded["profile"] == "soluble" and recorded["chunk_size"] == 50
    assert recorded["model_versions"] == ["log_solubility v1"] and recorded["hits"] == 20
    qtbot.waitUntil(lambda: "dialog hits" in window.row_lists.names(), timeout=30_000)
    with Project.open(screen_project, read_only=True) as p:
        assert screen_record(p, "dialog hits") == recorded
        members = p.row_lists.members("dialog hits")
        assert {r.inchikey for r in p.compounds.rows_by_ids(members)} == {key for key, _ in expected}

    assert dialog.grab().save(str(SCREENSHOT_DIR / "screening_dialog.png"))
