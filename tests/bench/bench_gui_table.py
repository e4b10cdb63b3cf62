"""Molecules view figures (offscreen): launch to an interactive window, and the 100,000-row table.

1. Launch: a fresh Python process (``python bench_gui_table.py --child-launch <project> <t0>``) does
   what ``cryodesk gui`` does — imports, QApplication, Workbench.open, MainWindow, show — and reports
   when the window is interactive: the first query's rows have arrived (``search_done``) and the
   table has painted them, with the event loop free again. ``t0`` is the wall clock the parent took
   just before starting the process, so the figure includes interpreter start-up and imports.
   The project is the real default library (seeded once into the cache folder).
2. 100,000 compounds (the project tests/gui/test_big_table.py builds): scroll (4 jumps, then 300
   steps of one row height with a repaint each), sort by a numeric column (MW, and the Tg median
   property column) by a header click, and a range filter on MW — each timed from the user's action
   to the rows painted. Ratios against the plain default-order query measured in the same run.

Run: ``QT_QPA_PLATFORM=offscreen nice -n 5 .venv/bin/python tests/bench/bench_gui_table.py``
(``--out /tmp/bench_gui_table.json``). Prints JSON and writes it to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CACHE = Path(os.environ.get("CRYODESK_BENCH_CACHE", "/tmp/cryodesk_bench_gui_table"))
SCROLL_STEPS = 300
JUMPS = (50_000, 99_990, 12_345, 77_777)


def _wait(app, condition, timeout_s: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("condition not met in time")
        app.processEvents()
        time.sleep(0.002)


def _isolate_home() -> None:
    home = CACHE / "home"
    home.mkdir(parents=True, exist_ok=True)
    os.environ["CRYODESK_HOME"] = str(home)


# ------------------------------------------------------------------------------------------- launch
def child_launch(project: str, t0: float) -> None:
    """In the child process: start like ``cryodesk gui`` and print when the window is interactive."""
    _isolate_home()
    imported_at = time.time()
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from cryodesk.engine.service import Workbench
    from cryodesk.gui.main_window import MainWindow

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    imports_done = time.time()
    window = MainWindow(Workbench.open(project))
    window.resize(1400, 900)
    done: list[int] = []
    window.search_done.connect(lambda shown, _total: done.append(shown))
    window.show()
    _wait(app, lambda: bool(done))
    window.table.viewport().repaint()  # the rows of the first screen are read and drawn
    app.processEvents()
    interactive = time.time()
    print(
        json.dumps(
            {
                "launch_to_interactive_s": round(interactive - t0, 3),
                "interpreter_start_s": round(imported_at - t0, 3),
                "imports_s": round(imports_done - imported_at, 3),
                "window_to_interactive_s": round(interactive - imports_done, 3),
                "rows_shown": done[0],
            }
        )
    )
    window.shutdown()


def bench_launch(project: Path, repeats: int) -> dict[str, object]:
    runs = []
    for _ in range(repeats):
        t0 = time.time()
        out = subprocess.run(
            [sys.executable, __file__, "--child-launch", str(project), repr(t0)],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["launch_to_interactive_s"])
    return {
        "project": "default library",
        "runs": runs,
        "best": best,
        "median_launch_to_interactive_s": statistics.median(r["launch_to_interactive_s"] for r in runs),
    }


# ------------------------------------------------------------------------------------- 100k table
def bench_big_table(project: Path) -> dict[str, object]:
    from PySide6.QtCore import QPoint, QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from cryodesk.engine.service import Workbench
    from cryodesk.gui.main_window import MainWindow

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(Workbench.open(project))
    window.resize(1400, 900)
    done: list[int] = []
    window.search_done.connect(lambda shown, _total: done.append(shown))
    window.show()
    _wait(app, lambda: bool(done))
    model, table = window.model, window.table

    def until_search(action) -> float:
        n = len(done)
        start = time.perf_counter()
        action()
        _wait(app, lambda: len(done) > n)
        table.viewport().repaint()
        return time.perf_counter() - start

    # The plain query (every compound, default order) as the baseline of the ratios.
    refresh_s = until_search(window.refresh)

    jumps = []
    for target in JUMPS:
        start = time.perf_counter()
        table.scrollTo(model.index(target, 1))
        table.viewport().repaint()
        jumps.append(time.perf_counter() - start)
    bar = table.verticalScrollBar()
    step = table.rowHeight(0)
    steps = []
    for _ in range(SCROLL_STEPS):
        start = time.perf_counter()
        bar.setValue(bar.value() + step)
        table.viewport().repaint()
        steps.append(time.perf_counter() - start)
    steps_ms = sorted(s * 1000 for s in steps)

    header = table.horizontalHeader()

    def click(key: str) -> float:
        section = model.section_of(key)
        table.scrollTo(model.index(0, section))
        x = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
        return until_search(
            lambda: QTest.mouseClick(
                header.viewport(),
                Qt.MouseButton.LeftButton,
                Qt.KeyboardModifier.NoModifier,
                QPoint(x, header.height() // 2),
            )
        )

    sort_mw_s = click("mol_weight")
    weights = [model.compound_row(r).mol_weight for r in range(50)]
    assert weights == sorted(weights), "MW sort is not ascending"
    sort_tg_s = click("tg") if model.section_of("tg") is not None else None

    row = window.add_filter("mol_weight")
    _wait(app, lambda: row.summary is not None)
    debounce = window.filter_panel._timer.interval() / 1000
    filter_s = until_search(lambda: row.set_bounds(120, 130)) - debounce
    kept = model.rowCount()
    assert all(120 <= model.compound_row(r).mol_weight <= 130 for r in range(min(100, kept)))
    figures = {
        "compounds": model.total,
        "default_query_s": round(refresh_s, 3),
        "scroll_jumps_ms": [round(j * 1000, 1) for j in jumps],
        "scroll_steps": SCROLL_STEPS,
        "scroll_step_median_ms": round(statistics.median(steps_ms), 2),
        "scroll_step_p95_ms": round(steps_ms[int(0.95 * len(steps_ms)) - 1], 2),
        "scroll_step_max_ms": round(steps_ms[-1], 2),
        "scroll_total_s": round(sum(steps) + sum(jumps), 3),
        "sort_mw_click_to_rows_s": round(sort_mw_s, 3),
        "sort_tg_median_click_to_rows_s": None if sort_tg_s is None else round(sort_tg_s, 3),
        "range_filter_mw_s": round(filter_s, 3),
        "range_filter_rows_kept": kept,
        "filter_debounce_excluded_s": debounce,
        "ratio_sort_mw_to_default_query": round(sort_mw_s / refresh_s, 2),
        "ratio_filter_to_default_query": round(filter_s / refresh_s, 2),
    }
    window.shutdown()
    return figures


def _projects() -> tuple[Path, Path]:
    from tests.gui.helpers import build_big_project, build_seeded_project

    CACHE.mkdir(parents=True, exist_ok=True)
    seeded, big = CACHE / "library.cryodesk", CACHE / "big.cryodesk"
    if not seeded.exists():
        build_seeded_project(seeded)
    if not big.exists():
        build_big_project(big)
    return seeded, big


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child-launch", nargs=2, metavar=("PROJECT", "T0"))
    parser.add_argument("--out", default="/tmp/bench_gui_table.json")
    parser.add_argument("--launch-repeats", type=int, default=3)
    args = parser.parse_args()
    if args.child_launch:
        child_launch(args.child_launch[0], float(args.child_launch[1]))
        return
    _isolate_home()
    start = time.perf_counter()
    seeded, big = _projects()
    prepared = time.perf_counter() - start
    load = os.getloadavg()
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "loadavg_at_start": [round(x, 2) for x in load],
            "niceness": os.nice(0),
            "qt_platform": os.environ.get("QT_QPA_PLATFORM"),
        },
        "projects_prepared_s": round(prepared, 1),
        "launch": bench_launch(seeded, args.launch_repeats),
        "table_100k": bench_big_table(big),
    }
    result["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(result, indent=2)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
