"""Benchmark: cold featurisation of the Tox21 structures (shared/data/tox21/tox21.csv).

Prints one JSON document. All ratios are measured in the same run:

- ``default`` set: the batch path (``featurize``; one ``Properties.ComputeProperties`` C++ call per
  molecule, chunked, in-process and over a 2-process pool) against the naive loop (the same RDKit
  descriptor functions called one by one, one molecule at a time). The two matrices must be equal.
- ``rdkit2d_full``: one core (in-process) against the process pool.
- ``morgan2`` fingerprints, packed.
- ``machine``: a control measurement: a pure-Python CPU loop run twice serially and then in two
  processes at once. On a machine with two real cores it shows ~2x; the parallel ratios above cannot
  exceed it, so read them against it.

Run: ``.venv/bin/python tests/bench/bench_features.py`` (``CRYODESK_BENCH_FULL_N`` sets how many
molecules the rdkit2d_full comparison uses; default 2,000, about 20 s on one core).
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from rdkit import Chem, rdBase  # noqa: E402

from cryodesk.chem.features import compute_fingerprints, featurize  # noqa: E402
from cryodesk.chem.features.descriptors import default_descriptor_functions  # noqa: E402
from cryodesk.engine.executor import InProcessExecutor, ProcessPoolExecutor, available_cpus  # noqa: E402

DATA = Path(os.environ.get("CRYODESK_SHARED_DATA", ROOT.parent / "shared" / "data"))
FULL_N = int(os.environ.get("CRYODESK_BENCH_FULL_N", "2000"))


def load_tox21() -> list[str]:
    with open(DATA / "tox21" / "tox21.csv", newline="") as handle:
        return [row["smiles"] for row in csv.DictReader(handle)]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def busy(n: int) -> int:
    """Pure-Python CPU work for the machine-parallelism control."""
    total = 0
    for i in range(n):
        total += i * i
    return total


def machine_parallelism(workers: int) -> dict[str, float]:
    n = 8_000_000
    serial, _ = timed(lambda: [busy(n) for _ in range(workers)])
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pool.map(busy, [1] * workers)  # start the workers outside the timing
        parallel, _ = timed(lambda: pool.map(busy, [n] * workers))
    return {"serial_s": round(serial, 3), "parallel_s": round(parallel, 3), "speedup": round(serial / parallel, 2)}


def naive_default(smiles: list[str]) -> tuple[np.ndarray, list[int]]:
    """The naive loop: parse, then each descriptor function in turn, one molecule at a time."""
    functions = [fn for _, fn in default_descriptor_functions()]
    rows, failed = [], []
    with rdBase.BlockLogs():
        for i, s in enumerate(smiles):
            mol = Chem.MolFromSmiles(s)
            if mol is None:
                rows.append([np.nan] * len(functions))
                failed.append(i)
                continue
            rows.append([fn(mol) for fn in functions])
    return np.asarray(rows, np.float64).astype(np.float32), failed


def bench_default(smiles: list[str], workers: int) -> dict[str, Any]:
    t_naive, (naive, naive_failed) = timed(lambda: naive_default(smiles))
    t_serial, serial = timed(lambda: featurize(smiles, "default", InProcessExecutor()))
    with ProcessPoolExecutor(workers) as pool:
        t_pool_cold, pooled = timed(lambda: featurize(smiles, "default", pool))  # includes worker start-up
        t_pool_warm, _ = timed(lambda: featurize(smiles, "default", pool))
    equal = bool(np.array_equal(naive, serial.values, equal_nan=True)) and bool(
        np.array_equal(pooled.values, serial.values, equal_nan=True)
    )
    return {
        "molecules": len(smiles),
        "failed_rows": len(serial.failures),
        "columns": len(serial.columns),
        "naive_loop_s": round(t_naive, 3),
        "batch_in_process_s": round(t_serial, 3),
        "batch_pool_cold_s": round(t_pool_cold, 3),
        "batch_pool_warm_s": round(t_pool_warm, 3),
        "speedup_in_process_vs_naive": round(t_naive / t_serial, 2),
        "speedup_pool_cold_vs_naive": round(t_naive / t_pool_cold, 2),
        "speedup_pool_warm_vs_naive": round(t_naive / t_pool_warm, 2),
        "goal_speedup": 10.0,
        "matrices_equal": equal and naive_failed == [i for i, _ in serial.failures],
        "molecules_per_s_best": round(len(smiles) / min(t_serial, t_pool_cold, t_pool_warm), 1),
    }


def bench_full(smiles: list[str], workers: int) -> dict[str, Any]:
    subset = smiles[:FULL_N]
    t_one, one = timed(lambda: featurize(subset, "rdkit2d_full", InProcessExecutor()))
    with ProcessPoolExecutor(workers) as pool:
        t_cold, pooled = timed(lambda: featurize(subset, "rdkit2d_full", pool))
    return {
        "molecules": len(subset),
        "columns": len(one.columns),
        "one_core_s": round(t_one, 3),
        "pool_s_including_startup": round(t_cold, 3),
        "workers": workers,
        "speedup": round(t_one / t_cold, 2),
        "goal_speedup": 1.8,
        "matrices_equal": bool(np.array_equal(one.values, pooled.values, equal_nan=True)),
    }


def bench_fingerprints(smiles: list[str]) -> dict[str, Any]:
    t, fps = timed(lambda: compute_fingerprints(smiles, "morgan2"))
    return {
        "molecules": len(smiles),
        "morgan2_in_process_s": round(t, 3),
        "packed_bytes_per_row": int(fps.data.shape[1]),
        "molecules_per_s": round(len(smiles) / t, 1),
    }


def main() -> None:
    smiles = load_tox21()
    workers = min(2, available_cpus()) if available_cpus() > 1 else 1
    report = {
        "benchmark": "features",
        "data": "shared/data/tox21/tox21.csv",
        "machine": {
            "cpus": available_cpus(),
            "python": platform.python_version(),
            "rdkit": rdBase.rdkitVersion,
            "numpy": np.__version__,
            "pure_python_parallel_control": machine_parallelism(max(workers, 2)),
        },
        "default_set": bench_default(smiles, max(workers, 2)),
        "rdkit2d_full": bench_full(smiles, max(workers, 2)),
        "fingerprints": bench_fingerprints(smiles),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    multiprocessing.freeze_support()
    main()
