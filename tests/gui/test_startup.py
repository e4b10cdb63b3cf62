"""Start-up: the window appears at once and an unseeded project loads the default library in the background."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from cryodesk.domain import JobState
from cryodesk.engine.service import Workbench
from cryodesk.gui.main_window import JobReport

from .conftest import has_chemistry

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
    assert window.notice_bar.isVisible() or not window.notice_bar.isHidden()
    assert "read-only" in window.notice_bar.label.text()
    assert not window.import_action.isEnabled()
    assert window.seed_default_library_if_needed() is False


@needs_seeder
def test_unseeded_project_seeds_in_the_background_and_can_be_cancelled(qtbot, open_window, tmp_path: Path) -> None:
    start = time.perf_counter()
    window = open_window(Workbench.open(tmp_path / "fresh.cryodesk"))
    assert window.seed_default_library_if_needed()
    opened = time.perf_counter() - start
    assert window.activity.isVisible()  # the window is up and shows the running job
    assert opened < 5.0
    with qtbot.waitSignal(window.job_slot.progress, timeout=120_000):
        pass
    with qtbot.waitSignal(window.job_finished, timeout=120_000) as blocker:
        window.activity.cancel_button.click()
    report: JobReport = blocker.args[0]
    assert report.kind == "seed"
    assert report.result.state in (JobState.CANCELLED, JobState.DONE)
    assert not window.activity.isVisible()
    assert window.seed_action.isEnabled() == (report.result.state == JobState.CANCELLED)
