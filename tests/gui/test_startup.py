"""Start-up: the window appears at once and an unseeded project loads the default library in the background."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from cryodesk.domain import JobState
from cryodesk.engine.service import Workbench
from cryodesk.gui.main_window import JobReport

from .helpers import has_chemistry

needs_seeder = pytest.mark.skipif(
    not has_chemistry() or importlib.util.find_spec("cryodesk.engine.seed") is None,
    reason="the default-library seeder or cryodesk.chem is not available yet",
)


def test_window_on_an_empty_read_only_project_offers_nothing_to_write(qtbot, open_window, tmp_path: Path) -> None:
    path = tmp_path / "empty.cryodesk"
    Workbench.open(path).close()
    window = open_window(Workbench.open(path, read_only=True))
    assert window.count_label.text() == "0 of 0 shown"
    assert "[read-only]" in window.windowTitle()
    assert not window.notice_bar.isHidden()
    assert "read-only" in window.notice_bar.label.text()
    assert not window.import_action.isEnabled()
    assert window.seed_default_library_if_needed() is False


@needs_seeder
def test_unseeded_project_seeds_in_the_background_and_can_be_cancelled(qtbot, open_window, tmp_path: Path) -> None:
    start = time.perf_counter()
    window = open_window(Workbench.open(tmp_path / "fresh.cryodesk"))
    progress: list[tuple[int, int, str]] = []
    reports: list[JobReport] = []
    window.job_slot.progress.connect(lambda d, t, m: progress.append((d, t, m)))
    window.job_finished.connect(reports.append)
    assert window.seed_default_library_if_needed()
    opened = time.perf_counter() - start
    assert window.activity.isVisible()  # the window is up and shows the running job
    assert not window.seed_action.isEnabled() and not window.import_action.isEnabled()
    assert opened < 5.0

    qtbot.waitUntil(lambda: bool(progress or reports), timeout=120_000)
    if not reports:
        window.activity.cancel_button.click()
        assert window.activity.cancel_button.text() == "Cancelling…"
    qtbot.waitUntil(lambda: bool(reports), timeout=120_000)
    report = reports[0]
    assert report.kind == "seed" and report.error is None
    outcome = report.result
    print(f"\nseeding: window up in {opened:.3f} s, outcome {outcome.state} after "
          f"{time.perf_counter() - start:.2f} s, {len(progress)} progress reports")
    assert not window.activity.isVisible()
    if outcome.state == JobState.CANCELLED:
        assert window.seed_action.isEnabled()  # it can be resumed
        assert "cancelled" in window.statusBar().currentMessage()
    elif outcome.state == JobState.FAILED:  # the engine's failure reaches the user, and the window lives on
        assert "failed" in window.statusBar().currentMessage()
    else:
        assert outcome.state == JobState.DONE
