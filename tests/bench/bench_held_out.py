"""Benchmark: the models view's held-out read, saved file (now) vs re-derivation (before), on one model.

Builds a project from the first ``--rows`` rows of the Tox21 file, trains a small SR-MMP model (LightGBM,
3 folds, random split) and then, on that same version, times a fresh :meth:`ModelViews.held_out` (a new
Workbench each repeat, so no model, feature or row cache carries over):

* ``saved``: the held-out predictions training saved (JSON, SHA-256 checked);
* ``rederived``: the same version with the saved entry removed from its registry record, i.e. the
  fallback older versions take (assembly with scaffold parsing, split, features, model load, predict).

``importance`` is timed the same way (its held-out inputs: feature-cache rows by saved ids vs assembly).
While each call runs on a worker thread, the main thread sleeps in 2 ms steps and records how late it
wakes (``probe_max_ms``): that is what the GUI thread waits for the GIL. Prints JSON with medians and
the ratio rederived/saved measured in this run, plus the machine load.

Run: ``nice -n 5 python tests/bench/bench_held_out.py [--rows 3000] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def probed(call: Callable[[], Any]) -> tuple[float, float]:
    """Wall ms of ``call()`` on a worker thread and the main thread's worst wake-up lateness (ms)."""
    done = threading.Event()
    box: dict[str, Any] = {}

    def work() -> None:
        start = time.perf_counter()
        try:
            call()
        finally:
            box["ms"] = (time.perf_counter() - start) * 1000
            done.set()

    worker = threading.Thread(target=work)
    late = 0.0
    worker.start()
    while not done.is_set():
        before = time.perf_counter()
        time.sleep(0.002)
        late = max(late, (time.perf_counter() - before) * 1000 - 2.0)
    worker.join()
    return box["ms"], late


def measure(path: Path, model_id: int, what: str, repeats: int) -> dict[str, Any]:
    from cryodesk.engine.model_views import ModelViews
    from cryodesk.engine.service import Workbench

    walls, lates = [], []
    for _ in range(repeats):
        wb = Workbench.open(path)
        try:
            call = getattr(ModelViews(wb), what)
            ms, late = probed(functools.partial(call, model_id))
        finally:
            wb.close()
        walls.append(ms)
        lates.append(late)
    return {
        "wall_ms_median": round(statistics.median(walls), 1),
        "wall_ms": [round(w, 1) for w in walls],
        "probe_max_ms": round(max(lates), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from cryodesk.engine.service import Workbench
    from cryodesk.engine.training import HELD_OUT_KEY, TrainRequest, train_and_register
    from tests.conftest import DATA
    from tests.engine.test_training import import_dataset, write_rows

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "tox.cryodesk"
        wb = Workbench.open(path)
        start = time.perf_counter()
        import_dataset(wb, "tox21", write_rows(tmp / "tox.csv", DATA / "tox21" / "tox21.csv", 0, args.rows))
        request = TrainRequest(
            "tox21:SR-MMP",
            members=("lgbm",),
            n_folds=3,
            split="random",
            params={"lgbm": {"n_estimators": 60}},
        )
        row = train_and_register(wb.project, request)
        build_s = time.perf_counter() - start
        n_held = int(row.params_dict[HELD_OUT_KEY]["rows"])
        n_rows = int(row.params_dict["n_rows"])
        wb.close()

        out: dict[str, Any] = {"rows_imported": args.rows, "labelled_rows": n_rows, "held_out_rows": n_held}
        out["build_s"] = round(build_s, 1)
        for what in ("held_out", "importance"):
            out[what] = {"saved": measure(path, row.id, what, args.repeats)}
        wb = Workbench.open(path)
        with wb.project.db.transaction() as conn:  # the same version, read the way older ones are
            conn.execute(
                "UPDATE models SET params = json_remove(params, ?) WHERE id = ?",
                (f"$.{HELD_OUT_KEY}", row.id),
            )
        wb.close()
        for what in ("held_out", "importance"):
            out[what]["rederived"] = measure(path, row.id, what, args.repeats)
            saved, derived = out[what]["saved"], out[what]["rederived"]
            out[what]["ratio_rederived_over_saved"] = round(
                derived["wall_ms_median"] / max(saved["wall_ms_median"], 1e-3), 1
            )
    out["loadavg_before"] = [round(v, 2) for v in load_before]
    out["loadavg_after"] = [round(v, 2) for v in os.getloadavg()]
    out["cpus"] = os.cpu_count()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
