"""The background engine adapter: progress throttling, delivery in the GUI thread, one task per view."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread

from cryodesk.gui.worker import UNKNOWN_TOTAL, ProgressThrottle, TaskSlot


def test_progress_throttle_emits_only_visible_changes() -> None:
    throttle = ProgressThrottle(min_interval=0.0)
    shown = [d for d in range(0, 100_001, 10) if throttle.visible(d, 100_000, "rows")]
    # 10,001 reports of a 100,000-row job, but the bar has only 1,000 distinguishable positions.
    assert len(shown) == 1001
    assert shown[-1] == 100_000
    assert not throttle.visible(100_000, 100_000, "rows")  # nothing changed
    assert throttle.visible(100_000, 100_000, "done")  # a new message is visible


def test_unknown_totals_are_sent_as_minus_one(qtbot) -> None:
    slot = TaskSlot("test")
    progress: list[tuple[int, int, str]] = []
    slot.progress.connect(lambda d, t, m: progress.append((d, t, m)))
    with qtbot.waitSignal(slot.finished, timeout=5000):
        slot.start(lambda report, cancel: report(7, None, "records read"))
    assert progress == [(7, UNKNOWN_TOTAL, "records read")]


def test_progress_throttle_spaces_reports_in_time_but_keeps_the_final_one() -> None:
    throttle = ProgressThrottle(min_interval=3600.0)
    assert throttle.visible(1, 10, "")
    assert not throttle.visible(5, 10, "")  # too soon
    assert throttle.visible(10, 10, "")  # the end always shows


def test_task_reports_progress_and_result_in_the_gui_thread(qtbot) -> None:
    slot = TaskSlot("test")
    threads: list[object] = []
    progress: list[tuple[int, int, str]] = []
    slot.progress.connect(lambda d, t, m: (progress.append((d, t, m)), threads.append(QThread.currentThread())))

    def work(report, cancel: threading.Event) -> str:
        worker_thread = threading.current_thread()
        report(1, 2, "half")
        report(1, 2, "half")  # invisible: not re-sent
        report(2, 2, "all")  # the final report always goes out, however soon
        return f"ran in {worker_thread.name}"

    with qtbot.waitSignal(slot.finished, timeout=5000) as blocker:
        slot.start(work)
    assert blocker.args[0].startswith("ran in")
    assert blocker.args[0] != f"ran in {threading.current_thread().name}"
    assert progress == [(1, 2, "half"), (2, 2, "all")]
    gui_thread = slot.thread()
    assert all(t is gui_thread for t in threads)
    assert not slot.running


def test_a_new_start_cancels_the_old_task_and_drops_its_result(qtbot) -> None:
    slot = TaskSlot("test")
    release = threading.Event()
    results: list[object] = []
    slot.finished.connect(results.append)

    def slow(report, cancel: threading.Event) -> str:
        release.wait(5)
        return "stale" if not cancel.is_set() else "cancelled"

    first = slot.start(slow)
    with qtbot.waitSignal(slot.finished, timeout=5000):
        slot.start(lambda report, cancel: "fresh")
    assert first.cancelled
    release.set()
    qtbot.waitUntil(lambda: slot.pending() == 0, timeout=5000)
    assert results == ["fresh"]


def test_a_failing_task_reports_the_reason(qtbot) -> None:
    slot = TaskSlot("test")

    def broken(report, cancel):
        raise ValueError("no such column")

    with qtbot.waitSignal(slot.failed, timeout=5000) as blocker:
        slot.start(broken)
    assert blocker.args == ["ValueError: no such column"]
    assert not slot.running


def test_running_changed_brackets_a_burst_of_starts(qtbot) -> None:
    n = 50  # fifty keystrokes' worth of searches: only the last one's result arrives
    slot = TaskSlot("test")
    states: list[bool] = []
    slot.running_changed.connect(states.append)
    with qtbot.waitSignal(slot.finished, timeout=5000) as blocker:
        for i in range(n):
            slot.start(lambda report, cancel, i=i: i)
    assert blocker.args == [n - 1]
    assert states == [True, False]
