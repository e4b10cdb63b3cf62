"""The GUI thread keeps answering while a real import and a real training run go on.

An event-loop latency probe (``cryodesk.gui.latency_probe``) asks a timer to run every 10 ms; any lag
is time the GUI thread could not have answered a click. It runs around two real jobs, started the way
a user starts them, while a simulated user scrolls the molecules table:

* a PubChem import of ``IMPORT_CIDS`` compounds from the replay server of ``tests/replay`` (the real
  HTTP client, recorded response formats, standardisation and storage), run in a separate process so
  that the fake server's Python does not share the window's interpreter as a real server would not;
* a Tox21 SR-MMP training run through the train dialog (assembling ~5,800 labelled compounds, tuning,
  cross-validation, a LightGBM fit), in the job's child process; then, apart, the models view
  loading the new version (held-out predictions, importances) on the window's own pool threads.

These tests assert what holds on any machine, however loaded: the probe ran through the whole job,
the job really ran and stored its result, the GUI thread kept handling events (the user's scroll
steps and the job's progress reports arrived throughout), and what the GUI thread itself did in any
one interval (its own CPU time, ``busy``) stays far below a felt freeze. Wall-clock lag on a shared
CI machine measures the other programs as much as the window, so the 50 ms goal is measured by
``tests/bench/bench_gui_latency.py`` (JSON: max, p99, p95, median, samples, machine load), which
calls the same drivers below; here wall clock only guards against a frozen window.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from cryodesk.domain import JobState
from cryodesk.engine.service import Workbench

from .helpers import has_chemistry

# Timing-sensitive: make test runs these after the parallel pass, alone on the machine.
pytestmark = pytest.mark.serial

ROOT = Path(__file__).resolve().parents[2]
TOX21_CSV = ROOT / "resources" / "data" / "tox21" / "tox21.csv"
IMPORT_CIDS = 1500  # PubChem CIDs 1..1500: 15 batches of 100, ~30 requests
IMPORT_TIMEOUT_MS = 600_000
TRAIN_TIMEOUT_MS = 900_000
# Bounds that hold under any load: CPU time the GUI thread spends in one go (load cannot stretch it
# much), and a wall-clock stall long enough to be a frozen window rather than a busy machine.
BUSY_MAX_MS = 150.0
FROZEN_MS = 3000.0
MIN_SAMPLES = 100
# The probe's watchdog records where the GUI thread was in each stall (the bench may turn it off).
SAMPLE_STALLS = True

Wait = Callable[[Callable[[], bool], int], None]  # wait(predicate, timeout_ms), serving the event loop


needs_chemistry = pytest.mark.skipif(not has_chemistry(), reason="cryodesk.chem (parsing) not available yet")


class ScrollingUser:
    """Scrolls the table a few rows every 150 ms, as someone browsing while the job runs."""

    def __init__(self, window: Any) -> None:
        self.window = window
        self.timer = QTimer(window)
        self.timer.setInterval(150)
        self.timer.timeout.connect(self.step)
        self.steps = 0

    def step(self) -> None:
        bar = self.window.table.verticalScrollBar()
        bar.setValue((bar.value() + 250) % max(1, bar.maximum() + 1))
        self.steps += 1


@dataclass
class JobRun:
    """What one measured job left: the probe's figures and the evidence that the job really ran."""

    job: str
    seconds: float
    stats: Any  # LatencyStats
    user_steps: int
    progress_reports: int
    facts: dict[str, Any]
    stalls: list[dict[str, Any]]
    stall_places: dict[str, dict[str, float]]

    def figures(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "job_seconds": round(self.seconds, 1),
            **self.stats.as_dict(),
            "user_scroll_steps": self.user_steps,
            "progress_reports": self.progress_reports,
            **self.facts,
            "worst_stalls": self.stalls,
            "stall_places": self.stall_places,
        }


def _measure(
    window: Any,
    job: str,
    start: Callable[[], None],
    done: Callable[[], bool],
    wait: Wait,
    timeout_ms: int,
    progress_signal: Any,
) -> JobRun:
    """Start the probe and the scrolling user, start the job, wait for it, stop both."""
    user = ScrollingUser(window)
    reports = [0]
    if progress_signal is not None:
        progress_signal.connect(lambda *_a: reports.__setitem__(0, reports[0] + 1))
    probe = window.latency_probe
    probe.sample_stalls = SAMPLE_STALLS
    probe.start()
    user.timer.start()
    started = time.perf_counter()
    start()
    wait(done, timeout_ms)
    seconds = time.perf_counter() - started
    user.timer.stop()
    stats = probe.stop()
    return JobRun(
        job,
        seconds,
        stats,
        user.steps,
        reports[0],
        {},
        [s.as_dict() for s in probe.worst_stalls(8)],
        probe.stall_places(),
    )


def _wait_for_idle_window(window: Any, wait: Wait) -> None:
    """The window as a user has it: structures drawn (the drawing code loaded), the plot up."""
    window.grab()
    wait(
        lambda: (
            window.depictions.renders > 0
            and window.depictions.pending_count() == 0
            and not window.scatter.pending
        ),
        60_000,
    )


# -- the import: PubChem from the replay server, in its own process ---------------------------------------------
def _serve_replay(conn: Any) -> None:
    """Child process: run the replay server until told to stop; send its env, then its request count."""
    from tests.replay import ReplayServer

    server = ReplayServer().start()
    try:
        conn.send(server.env())
        conn.recv()
        conn.send(server.count("/rest/pug/"))
    finally:
        server.stop()


class ReplayProcess:
    """The replay server in a child process; ``env`` points CryoDesk's clients at it."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve_replay, args=(child,), name="replay-server", daemon=True)
        self._process.start()
        if not self._conn.poll(60):
            raise RuntimeError("the replay server did not start")
        self.env: dict[str, str] = self._conn.recv()
        self.requests: int | None = None

    def stop(self) -> int:
        """Stop the server (once); returns how many PubChem PUG-REST requests it answered."""
        if self.requests is None:
            self._conn.send("stop")
            self.requests = self._conn.recv() if self._conn.poll(30) else -1
            self._process.join(10)
        return self.requests


def run_replay_import(
    window: Any, wait: Wait, server_env: dict[str, str], n_cids: int = IMPORT_CIDS
) -> JobRun:
    """A PubChem import of CIDs 1..n from the replay server, started as the import dialog starts it."""
    from cryodesk.engine.online_import import PubChemImportParams
    from cryodesk.gui.import_dialogs import start_import_request
    from cryodesk.gui.import_jobs import ImportRequest

    for name, value in server_env.items():  # the job's child process inherits the environment
        os.environ[name] = value
    _wait_for_idle_window(window, wait)
    before = window.wb.compound_count()
    reports: list[Any] = []
    window.job_finished.connect(reports.append)
    request = ImportRequest(
        "pubchem",
        PubChemImportParams(cids=tuple(range(1, n_cids + 1))),
        "pubchem",
        f"PubChem import ({n_cids} queries)",
    )
    run = _measure(
        window,
        "pubchem_import_replay",
        lambda: start_import_request(window, request),
        lambda: bool(reports),
        wait,
        IMPORT_TIMEOUT_MS,
        window.job_slot.progress,
    )
    report = reports[0]
    assert report.kind == "import" and report.error is None, report.error
    assert report.result.outcome.state == JobState.DONE, report.result.outcome.error
    run.facts = {
        "rows_stored": report.result.summary.rows_stored,
        "compounds_added": window.wb.compound_count() - before,
    }
    return run


# -- the training run: Tox21 SR-MMP through the train dialog ----------------------------------------------------
def build_training_source(path: Path) -> Path:
    """A project holding the whole real Tox21 file (7,831 rows, 12 assays), nothing trained yet.

    The model's feature sets are computed here, as the default library's first start leaves them: the
    measured run is the training itself (folds, tuning, fits, evaluation, saving, registering).
    """
    from cryodesk.engine.features import FeatureService
    from cryodesk.engine.training import DEFAULT_FEATURE_SETS, DOMAIN_FINGERPRINT
    from tests.engine.test_training import import_dataset

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


def copy_project(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    for suffix in ("-wal", "-shm"):
        side = source.with_name(source.name + suffix)
        if side.exists():
            shutil.copyfile(side, target.with_name(target.name + suffix))
    return target


def run_training(window: Any, wait: Wait) -> JobRun:
    """The user asks for an SR-MMP model in the train dialog (LightGBM, budget 2, 3 folds), then
    goes back to the table while it trains in the job's child process."""
    from PySide6.QtWidgets import QDialogButtonBox

    window.grab()
    wait(lambda: window.depictions.renders > 0 and window.depictions.pending_count() == 0, 60_000)
    view = window.models
    window.train_action.trigger()
    dialog = view.last_dialog
    wait(dialog.isVisible, 30_000)
    dialog.target_box.setCurrentIndex(dialog.target_box.findData("tox21:SR-MMP"))
    for key, box in dialog.member_boxes.items():
        box.setChecked(key == "lgbm")
    dialog.budget.setValue(2)
    dialog.folds.setValue(3)
    window.molecules_action.trigger()  # back to the table while the model trains
    results: list[Any] = []
    view.training_finished.connect(results.append)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    run = _measure(
        window,
        "tox21_training",
        ok.click,
        lambda: bool(results),
        wait,
        TRAIN_TIMEOUT_MS,
        view.train_slot.progress,
    )
    result = results[0]
    assert isinstance(result, dict) and result["state"] == JobState.DONE, result
    row = window.wb.model("tox21:SR-MMP")
    run.facts = {"training_rows": row.params_dict["n_rows"], "budget": row.params_dict["request"]["budget"]}
    return run


def measure_training_aftermath(window: Any, wait: Wait, quiet_s: float = 1.0) -> JobRun:
    """After the result: the models view lists the new version and loads its held-out predictions,
    importances and monitoring on its pool threads (in the window's process); measured until every
    task of the view has been idle for ``quiet_s``."""
    view = window.models
    idle_since = [time.perf_counter()]
    seen = set()

    def settled() -> bool:
        running = [slot.name for slot in view.slots() if slot.running]
        seen.update(running)
        if running:
            idle_since[0] = time.perf_counter()
        return time.perf_counter() - idle_since[0] >= quiet_s

    run = _measure(window, "tox21_training_aftermath", lambda: None, settled, wait, TRAIN_TIMEOUT_MS, None)
    run.facts = {"view_tasks_seen": sorted(seen)}
    return run


# -- the assertions -----------------------------------------------------------------------------------------------
def assert_window_kept_answering(run: JobRun) -> None:
    """What holds on any machine: the probe ran throughout, the thread kept serving events, its own
    work in one go stayed short, and no stall was a frozen window."""
    stats = run.stats
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(f"\nevent-loop lag during {run.job} (load {load}):", json.dumps(run.figures()))
    assert stats.samples >= MIN_SAMPLES, stats
    # The probe's ticks covered the job: their intervals add up to (nearly) its whole duration.
    covered_s = (stats.samples * 10 + stats.mean_ms * stats.samples) / 1000.0
    assert covered_s > 0.8 * run.seconds, (covered_s, run.seconds)
    # The user's scroll timer (150 ms) kept firing throughout, and progress reached the window.
    assert run.user_steps >= 0.4 * run.seconds / 0.15, (run.user_steps, run.seconds)
    assert run.progress_reports >= 2, run.progress_reports
    # The GUI thread's own work between two ticks: a slot, a paint. Machine load does not stretch CPU time.
    assert stats.busy_max_ms < BUSY_MAX_MS, stats
    assert stats.max_ms < FROZEN_MS, stats


@pytest.fixture()
def replay_process() -> Any:
    server = ReplayProcess()
    saved = {k: os.environ.get(k) for k in server.env}
    yield server
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    server.stop()


def _qt_wait(qtbot: Any) -> Wait:
    return lambda predicate, timeout_ms: qtbot.waitUntil(predicate, timeout=timeout_ms)


@needs_chemistry
def test_gui_thread_keeps_answering_during_a_pubchem_import_from_the_replay_server(
    qtbot, open_window, reference_project: Path, replay_process: ReplayProcess
) -> None:
    window = open_window(Workbench.open(reference_project))
    run = run_replay_import(window, _qt_wait(qtbot), replay_process.env)
    assert run.facts["rows_stored"] == IMPORT_CIDS and run.facts["compounds_added"] > 0.9 * IMPORT_CIDS
    assert replay_process.stop() >= 2 * IMPORT_CIDS // 100  # properties + synonyms per batch, really sent
    assert_window_kept_answering(run)


@pytest.fixture(scope="module")
def tox21_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_training_source(tmp_path_factory.mktemp("tox21_train") / "tox21.cryodesk")


@needs_chemistry
@pytest.mark.timeout(2400)  # the fixture imports 7,831 structures and computes their features
def test_gui_thread_keeps_answering_during_a_tox21_training_run(
    qtbot, open_window, tox21_source: Path, tmp_path: Path
) -> None:
    window = open_window(Workbench.open(copy_project(tox21_source, tmp_path / "tox21.cryodesk")))
    run = run_training(window, _qt_wait(qtbot))
    assert run.facts["training_rows"] > 5000 and run.facts["budget"] == 2
    out = os.environ.get("CRYODESK_LATENCY_JSON")
    if out:
        Path(out).write_text(json.dumps(run.figures(), indent=2))
    assert_window_kept_answering(run)
    # Then the models view loads the new version on its pool threads: no frozen window either.
    after = measure_training_aftermath(window, _qt_wait(qtbot))
    print("\nevent-loop lag while the models view loads the new version:", json.dumps(after.figures()))
    assert after.stats.busy_max_ms < BUSY_MAX_MS and after.stats.max_ms < FROZEN_MS, after.stats


# -- the parts, each checked on its own ---------------------------------------------------------------------------
def test_the_probe_measures_a_stall_of_the_gui_thread_and_attributes_it_to_its_own_cpu(qtbot) -> None:
    """A slot that computes for 150 ms of CPU: the probe sees a lag at least that long, counted as the
    GUI thread's own work (``busy``), and records the stall."""
    from cryodesk.gui.latency_probe import EventLoopLatencyProbe

    probe = EventLoopLatencyProbe(sample_stalls=True)
    probe.start()
    qtbot.wait(200)

    def compute_for_150_ms_of_cpu() -> None:
        until = time.thread_time() + 0.150
        while time.thread_time() < until:
            pass

    QTimer.singleShot(0, compute_for_150_ms_of_cpu)
    qtbot.wait(300)
    stats = probe.stop()
    assert stats.samples > 10
    assert stats.max_ms >= 130 and stats.busy_max_ms >= 140, stats
    worst = probe.worst_stalls(1)[0]
    assert worst.lag_ms == stats.max_ms and worst.busy_ms >= 140, worst


def test_progress_reaches_the_view_coalesced_with_the_first_and_the_final_report(qtbot) -> None:
    """A job reporting 40 visible steps over ~2.4 s: the view gets about five a second, starting with
    the first and ending with the final one, in order."""
    from cryodesk.gui.worker import PROGRESS_DELIVERY_MS, TaskSlot

    slot = TaskSlot("chatty")
    seen: list[int] = []
    slot.progress.connect(lambda done, _total, _message: seen.append(done))

    def chatty(report: Any, _cancel: Any) -> str:
        for step in range(1, 41):
            report(step, 40, "")
            time.sleep(0.06)  # past the worker's own throttle: every report is sent
        return "done"

    started = time.perf_counter()
    with qtbot.waitSignal(slot.finished, timeout=30_000):
        slot.start(chatty)
    seconds = time.perf_counter() - started
    assert seen[0] == 1 and seen[-1] == 40 and seen == sorted(seen), seen
    assert len(seen) <= seconds * 1000 / PROGRESS_DELIVERY_MS + 2, (len(seen), seconds)
    assert len(seen) >= 3, seen  # the newest position kept coming while the job ran


def report_priority(_progress: Any, _cancel: Any) -> dict[str, Any]:
    """Run in a job child: its niceness, the native thread pools' size and the thread env it set."""
    from threadpoolctl import threadpool_info

    return {
        "nice": os.nice(0),
        "pools": [p["num_threads"] for p in threadpool_info()],
        "omp": os.environ.get("OMP_NUM_THREADS"),
    }


def test_job_children_run_below_the_window_and_leave_it_a_core_when_cores_are_few() -> None:
    import threading

    import numpy  # noqa: F401  (loaded in the child too, with its BLAS pool, when it unpickles this module)

    from cryodesk.gui import job_process

    seen = job_process.run_in_process(report_priority, (), lambda *_a: None, threading.Event())
    assert seen["nice"] == min(19, os.nice(0) + job_process.CHILD_NICENESS), seen
    cap = job_process.child_thread_cap()
    if cap is None:
        assert seen["omp"] == os.environ.get("OMP_NUM_THREADS")
    else:
        assert seen["omp"] == os.environ.get("OMP_NUM_THREADS", str(cap))
        assert seen["pools"] and all(n <= cap for n in seen["pools"]), seen
    assert job_process.child_thread_cap(2) == 1 and job_process.child_thread_cap(4) == 3
    assert job_process.child_thread_cap(16) is None
