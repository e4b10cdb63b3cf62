"""Benchmark: the prediction service on a deterministic library, cold and warm.

The library is the one ``bench_search.py`` builds (every parsable structure of Tox21, ToxCast, Bradley
and ESOL, topped up with enumerated single-substituent analogues in a fixed order), cut to
``CRYODESK_BENCH_LIBRARY_N`` compounds (default 100,000). A log-solubility model (rf + lgbm) is
trained on the ESOL rows of the embedded data set first; its training compounds' features are then
already cached, which the output states (``features_cached_before_cold``).

Prints one JSON document:

- ``cold``: ``predict_all`` with no cached features and no cached predictions (features computed
  through the feature service's process pool, predictions written to the store);
- ``warm_features``: cached features, no cached predictions (the state after a new model version);
- ``warm_store``: a new service (empty memory) reading cached predictions from the project;
- ``warm_memory``: the same service again (memory cache);
- ``single_cached_ms``: p50/p99 latency of ``Workbench.predictions.predict_one`` (the call the models
  view and the prediction cells make) on warm keys;
- ``batch_10k``: a 10,000-compound warm batch through ``predict``: from memory (best of 5), and from the
  project file with a fresh service each run (5 runs; the first 10,000 keys and a random 10,000).
- ``cold`` vs ``warm_store``/``warm_memory`` over the whole library, with the ratios.

Run: ``.venv/bin/python tests/bench/bench_prediction.py``. With
``CRYODESK_BENCH_REUSE=/tmp/bench_prediction_*/bench.cryodesk`` only the warm measurements are repeated on
the project a full run left behind (the full run's cold phase takes most of an hour on a loaded machine).
"""

from __future__ import annotations

import csv
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

from bench_search import analogues, parents  # noqa: E402

from cryodesk.engine.executor import available_cpus  # noqa: E402
from cryodesk.engine.file_import import FileImportParams  # noqa: E402
from cryodesk.engine.prediction import PredictionService  # noqa: E402
from cryodesk.engine.seed import column_map, load_manifest  # noqa: E402
from cryodesk.engine.service import Workbench  # noqa: E402
from cryodesk.engine.training import TrainRequest, train_and_register  # noqa: E402

LIBRARY_N = int(os.environ.get("CRYODESK_BENCH_LIBRARY_N", "100000"))
SINGLE_CALLS = 5000


def library(n: int) -> list[str]:
    base = parents()
    out = list(base[:n])
    if len(out) < n:
        seen = set(out)
        for smiles in analogues(base):
            if smiles not in seen:
                seen.add(smiles)
                out.append(smiles)
                if len(out) >= n:
                    break
    return out


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench_prediction_"))
    wb = Workbench.open(tmp / "bench.cryodesk")
    figures: dict[str, object] = {
        "n_requested": LIBRARY_N,
        "cpus": available_cpus(),
        "python": platform.python_version(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }
    seconds, smiles = timed(lambda: library(LIBRARY_N))
    figures["library_build_s"] = round(seconds, 1)
    path = tmp / "library.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["smiles"])
        writer.writerows([s] for s in smiles)
    esol = load_manifest().entry("esol")
    seconds, _ = timed(
        lambda: wb.import_file(
            FileImportParams(str(load_manifest().file("esol")), source="esol", column_map=column_map(esol))
        )
    )
    seconds2, _ = timed(lambda: wb.import_file(FileImportParams(str(path), source="bench")))
    figures["import_s"] = round(seconds + seconds2, 1)
    request = TrainRequest(
        "log_solubility",
        members=("rf", "lgbm"),
        split="random",
        params={"rf": {"n_estimators": 200}},
        n_jobs=2,
    )
    seconds, row = timed(lambda: train_and_register(wb.project, request))
    figures["train_s"] = round(seconds, 1)
    figures["model"] = {"label": row.label, "held_out": row.metrics_dict["held_out"]["mean"]["ensemble"]}
    keys = [r.inchikey for r in wb.compound_rows(wb.compound_ids())]
    n = len(keys)
    figures["n_compounds"] = n
    from cryodesk.chem.features import get_feature_set

    figures["features_cached_before_cold"] = len(
        wb.project.features.cached_ids("default", get_feature_set("default").version)
    )

    cold_service = PredictionService(wb.project)
    seconds, batch = timed(lambda: cold_service.predict_all(row))
    figures["cold"] = {
        "seconds": round(seconds, 2),
        "compounds_per_s": round(n / seconds, 1),
        **{k: batch.summary()[k] for k in ("computed", "failed")},
    }

    cold_service.invalidate(row.id)
    service = PredictionService(wb.project)
    seconds, batch = timed(lambda: service.predict_all(row))
    figures["warm_features"] = {
        "seconds": round(seconds, 2),
        "compounds_per_s": round(n / seconds, 1),
        "computed": batch.computed,
    }
    warm_phase(wb, row, keys, figures)
    wb.close()
    print(json.dumps(figures, indent=2))


def warm_phase(wb: Workbench, row, keys: list[str], figures: dict[str, object]) -> None:
    """Everything measured once the library's predictions are in the project (adds to ``figures``)."""
    n = len(keys)
    service = PredictionService(wb.project)
    seconds, batch = timed(lambda: service.predict_all(row))
    figures["warm_store"] = {
        "seconds": round(seconds, 3),
        "compounds_per_s": round(n / seconds, 1),
        "store_hits": batch.store_hits,
    }
    seconds, batch = timed(lambda: service.predict_all(row))
    figures["warm_memory"] = {
        "seconds": round(seconds, 3),
        "compounds_per_s": round(n / seconds, 1),
        "memory_hits": batch.memory_hits,
    }
    if "cold" in figures:
        figures["ratio_warm_store_over_cold"] = round(
            figures["cold"]["seconds"] / figures["warm_store"]["seconds"], 1
        )
        figures["ratio_warm_memory_over_cold"] = round(
            figures["cold"]["seconds"] / figures["warm_memory"]["seconds"], 1
        )

    rng = np.random.default_rng(0)
    sample = [keys[i] for i in rng.integers(0, n, SINGLE_CALLS)]
    gui_service = wb.predictions  # the GUI's call: Workbench.predictions.predict_one (models view, cells)
    gui_service.predict(row, sample)  # warm: these keys are in its memory cache from now on
    latencies = []
    for key in sample:
        start = time.perf_counter()
        gui_service.predict_one("log_solubility", key)
        latencies.append((time.perf_counter() - start) * 1000)
    lat = np.asarray(latencies)
    figures["single_cached_ms"] = {
        "calls": SINGLE_CALLS,
        "call": "Workbench.predictions.predict_one(name, key)",
        "p50": round(float(np.percentile(lat, 50)), 4),
        "p99": round(float(np.percentile(lat, 99)), 4),
        "max": round(float(lat.max()), 3),
        "goal_p99_ms": 1.0,
    }

    batch_keys = keys[:10_000]
    runs = [timed(lambda: service.predict(row, batch_keys))[0] for _ in range(5)]
    best = min(runs)
    # From the project file: a fresh service each time (empty memory cache), as a new session would.
    store_runs, store_cpu = [], []
    for _ in range(5):
        cpu0 = time.process_time()
        store_runs.append(timed(lambda: PredictionService(wb.project).predict(row, batch_keys))[0])
        store_cpu.append(time.process_time() - cpu0)
    random_keys = [keys[i] for i in rng.choice(n, min(n, 10_000), replace=False)]
    random_runs = [
        timed(lambda: PredictionService(wb.project).predict(row, random_keys))[0] for _ in range(5)
    ]
    figures["batch_10k"] = {
        "memory_best_s": round(best, 4),
        "memory_compounds_per_s": round(len(batch_keys) / best),
        "memory_median_s": round(float(np.median(runs)), 4),
        "store_runs_s": [round(x, 4) for x in store_runs],
        "store_median_compounds_per_s": round(len(batch_keys) / float(np.median(store_runs))),
        "store_best_compounds_per_s": round(len(batch_keys) / min(store_runs)),
        "store_random_keys_median_compounds_per_s": round(len(random_keys) / float(np.median(random_runs))),
        # CPU seconds of this process: what the read costs whatever else runs on the machine.
        "store_cpu_s": [round(x, 4) for x in store_cpu],
        "store_compounds_per_cpu_s_median": round(len(batch_keys) / float(np.median(store_cpu))),
        "goal_compounds_per_s": 50_000,
    }
    figures["monitor"] = {
        k: v
        for k, v in service.monitor(row).items()
        if k in ("cache_hit_rate", "out_of_domain_share", "drift", "retrain_suggested", "reasons")
    }
    figures["load_average_end"] = [round(x, 2) for x in os.getloadavg()]


def reuse(path: Path) -> None:
    """Only the warm measurements, on the project a full run left behind (its predictions cached).

    For re-measuring the cached-read figures when the machine is quieter than during the full run
    (whose cold phase takes most of an hour on a loaded 2-core machine).
    """
    wb = Workbench.open(path)
    figures: dict[str, object] = {
        "reused_project": str(path),
        "cpus": available_cpus(),
        "python": platform.python_version(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }
    row = wb.model("log_solubility")
    keys = [r.inchikey for r in wb.compound_rows(wb.compound_ids())]
    figures["n_compounds"] = len(keys)
    figures["cached_predictions"] = wb.project.models.count_predictions(row.id)
    warm_phase(wb, row, keys, figures)
    wb.close()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    if os.environ.get("CRYODESK_BENCH_REUSE"):
        reuse(Path(os.environ["CRYODESK_BENCH_REUSE"]))
    else:
        main()
