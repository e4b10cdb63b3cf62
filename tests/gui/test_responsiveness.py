"""The GUI thread stays responsive while a real import or a real training run goes on: an event-loop
latency probe measures it.

The import is the Tox21 file of the default library (7,831 rows of real structures), into a project
the window shows, while the user scrolls the table: the table re-reads live as rows land, the
scatter plot follows, structures are drawn off the GUI thread. The probe's timer asks to run every
10 ms; any lag is time the GUI thread could not have answered a click. The import runs in a child
process (``cryodesk.gui.job_process``): in a thread of the GUI process it stalled the window for
250-800 ms at a time (GIL and garbage-collection pauses of the import's Python).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer

from cryodesk.domain import JobState
from cryodesk.engine.service import Workbench
from cryodesk.gui.main_window import JobReport

from .helpers import has_chemistry

TOX21_CSV = Path(__file__).resolve().parents[2] / "resources" / "data" / "tox21" / "tox21.csv"
MAX_STALL_MS = 100.0  # the longest the GUI thread may be unable to answer a click
OWN_P99_MS = 50.0


def _machine_is_quiet() -> bool:
    """True when other programs leave this test a CPU (wall-clock stalls then measure our code)."""
    if not hasattr(os, "getloadavg"):
        return True
    return os.getloadavg()[0] < (os.cpu_count() or 1)


needs_chemistry = pytest.mark.skipif(not has_chemistry(), reason="cryodesk.chem (parsing) not available yet")


class ScrollingUser:
    """Scrolls the table a few rows every 150 ms, as someone browsing while the import runs."""

    def __init__(self, window) -> None:
        self.window = window
        self.timer = QTimer(window)
        self.timer.setInterval(150)
        self.timer.timeout.connect(self.step)
        self.steps = 0

    def step(self) -> None:
        bar = self.window.table.verticalScrollBar()
        bar.setValue((bar.value() + 250) % max(1, bar.maximum() + 1))
        self.steps += 1


@needs_chemistry
@pytest.mark.parametrize("workers", [1, 0], ids=["single-process import", "process-pool import"])
def test_gui_thread_never_stalls_during_an_import(
    qtbot, open_window, reference_project: Path, workers: int
) -> None:
    window = open_window(Workbench.open(reference_project))
    window.import_workers = workers  # 1: one process does the chemistry (in the job's process); 0: a pool
    # The window as a user has it: structures drawn (the drawing code loaded), the plot up.
    window.grab()
    qtbot.waitUntil(
        lambda: (
            window.depictions.renders > 0
            and window.depictions.pending_count() == 0
            and not window.scatter.pending
        ),
        timeout=60_000,
    )
    user = ScrollingUser(window)
    reports: list[JobReport] = []
    window.job_finished.connect(reports.append)
    quiet_before = _machine_is_quiet()
    window.latency_probe.start()
    user.timer.start()
    assert window.start_import(TOX21_CSV)
    qtbot.waitUntil(lambda: bool(reports), timeout=240_000)
    user.timer.stop()
    stats = window.latency_probe.stop()
    report = reports[0]
    assert report.kind == "import" and report.result.outcome.state == JobState.DONE
    assert report.result.summary.rows_stored > 7000
    quiet = quiet_before and _machine_is_quiet()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(
        f"\nevent-loop lag during the Tox21 import ({'one process' if workers == 1 else 'process pool'}):",
        json.dumps(
            {**stats.as_dict(), "user_scroll_steps": user.steps, "load_average": load, "cpus": os.cpu_count()}
        ),
    )
    assert stats.samples > 100
    # What the GUI thread does itself never takes 100 ms in one go, however loaded the machine is.
    assert stats.busy_max_ms < MAX_STALL_MS, stats
    # Stalls not spent waiting for a CPU (our work, the GIL, locks, I/O) are rare and short.
    assert stats.own_p99_ms < OWN_P99_MS, stats
    if quiet:
        assert stats.max_ms < MAX_STALL_MS, stats
    else:  # other programs hold the CPUs: wall-clock stalls measure them, not the window
        print(
            f"machine overloaded (load {load:.1f} on {os.cpu_count()} CPUs): the wall-clock bound "
            f"({MAX_STALL_MS:.0f} ms) was not asserted; max {stats.max_ms:.0f} ms"
        )


# -- a real Tox21 training run -------------------------------------------------------------------------------
TRAIN_TIMEOUT_MS = 900_000


@pytest.fixture(scope="module")
def tox21_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project holding the whole real Tox21 file (7,831 rows, 12 assays), nothing trained yet.

    The model's feature sets are computed here, as the default library's first start leaves them: the
    measured run is the training itself (folds, tuning, fits, evaluation, saving, registering).
    """
    from cryodesk.engine.features import FeatureService
    from cryodesk.engine.training import DEFAULT_FEATURE_SETS, DOMAIN_FINGERPRINT
    from tests.engine.test_training import import_dataset

    path = tmp_path_factory.mktemp("tox21_train") / "tox21.cryodesk"
    wb = Workbench.open(path)
    try:
        import_dataset(wb, "tox21", TOX21_CSV)
        service = FeatureService(wb.project)
        for name in (*DEFAULT_FEATURE_SETS, DOMAIN_FINGERPRINT):
            service.matrix(name)
        wb.project.meta.set("seeded_with", "test-fixture")  # the window must not start the real seeder
    finally:
        wb.close()
    return path


@needs_chemistry
@pytest.mark.timeout(2400)  # the fixture imports 7,831 structures and computes their features
def test_gui_thread_never_stalls_during_a_tox21_training_run(
    qtbot, open_window, tox21_source: Path, tmp_path: Path
) -> None:
    """The user asks for an SR-MMP model through the train dialog and keeps browsing the table while
    the job assembles ~5,800 labelled compounds and tunes (budget 2), cross-validates (3 folds) and
    fits a LightGBM model in a child process."""
    from PySide6.QtWidgets import QDialogButtonBox

    path = tmp_path / "tox21.cryodesk"
    shutil.copyfile(tox21_source, path)
    window = open_window(Workbench.open(path))
    window.grab()
    qtbot.waitUntil(
        lambda: window.depictions.renders > 0 and window.depictions.pending_count() == 0, timeout=60_000
    )
    view = window.models
    window.train_action.trigger()
    dialog = view.last_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=30_000)
    dialog.target_box.setCurrentIndex(dialog.target_box.findData("tox21:SR-MMP"))
    for key, box in dialog.member_boxes.items():
        box.setChecked(key == "lgbm")
    dialog.budget.setValue(2)
    dialog.folds.setValue(3)
    window.molecules_action.trigger()  # back to the table while the model trains
    user = ScrollingUser(window)
    results: list[object] = []
    view.training_finished.connect(results.append)
    quiet_before = _machine_is_quiet()
    window.latency_probe.start()
    user.timer.start()
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(results), timeout=TRAIN_TIMEOUT_MS)
    user.timer.stop()
    stats = window.latency_probe.stop()
    result = results[0]
    assert isinstance(result, dict) and result["state"] == JobState.DONE, result
    row = window.wb.model("tox21:SR-MMP")
    assert row.params_dict["n_rows"] > 5000 and row.params_dict["request"]["budget"] == 2
    quiet = quiet_before and _machine_is_quiet()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    figures = {
        **stats.as_dict(),
        "user_scroll_steps": user.steps,
        "load_average": load,
        "cpus": os.cpu_count(),
        "training_rows": row.params_dict["n_rows"],
    }
    print("\nevent-loop lag during a Tox21 SR-MMP training run:", json.dumps(figures))
    out = os.environ.get("CRYODESK_LATENCY_JSON")
    if out:
        Path(out).write_text(json.dumps(figures, indent=2))
    assert stats.samples > 100
    assert stats.busy_max_ms < MAX_STALL_MS, stats
    assert stats.own_p99_ms < OWN_P99_MS, stats
    if quiet:
        assert stats.max_ms < MAX_STALL_MS, stats
    else:
        print(
            f"machine overloaded (load {load:.1f} on {os.cpu_count()} CPUs): the wall-clock bound "
            f"({MAX_STALL_MS:.0f} ms) was not asserted; max {stats.max_ms:.0f} ms"
        )
