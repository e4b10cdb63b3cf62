"""Benchmark: cold featurisation of the Tox21 structures (shared/data/tox21/tox21.csv).

Prints one JSON document. All ratios are measured in the same run:

- ``default`` set: the batch path (``featurize``; one ``Properties.ComputeProperties`` C++ call per
  molecule, chunked, in-process and over a 2-process pool) against the naive loop (the same RDKit
  descriptor functions called one by one, one molecule at a time). The two matrices must be equal.
- ``rdkit2d_full`` (default 5,000 Tox21 structures): one core (in-process) against the app's
  feature pool (``cryodesk.engine.features.make_feature_pool``: spawned workers that pre-import
  RDKit and initialise the feature sets): ``pool_incl_startup`` (cold: the pool is created,
  started and joined inside the timing), then ``interleaved_rounds``: ``CRYODESK_BENCH_ROUNDS``
  (default 3) pairs of one core and the warm pool (started and initialised before the timing: the
  steady state of a running app, whose shared pool stays up between calls), alternated so that slow
  spells of the VM fall on both sides; ``warm_pool_speedup_median`` is the median pair. Every
  matrix must equal the one-core matrix. ``blas_threads`` times the same descriptor calls on one
  core with numpy's BLAS at its default thread count against one thread (featurize holds it to one). ``pool_start`` times a cold warm-up alone with ``spawn``
  and with ``forkserver`` (preloading the same modules), first and second pool of a session.
- ``morgan2`` fingerprints, packed.
- ``machine``: a control measurement: a pure-Python CPU loop run twice serially and then in two
  processes at once. On a machine with two idle cores it shows ~2x; the parallel wall-time ratios
  cannot exceed it, so read them against it.

Every path reports wall and CPU seconds (pool: all processes, start-up included). On a shared machine
wall ratios measure the neighbours; ``projected_*`` divides single-core CPU time by the pool's CPU
time per worker: the speed-up the pool gives when its cores are idle (it assumes balanced chunks).

Warm-pool CPU is read from the workers' ``/proc/<pid>/stat`` (Linux), since live workers are not
reaped. ``load_average`` (1-minute) is recorded before and after each section: above ~0.5 the
wall ratios measure the neighbours too, and the ``projected_*`` (CPU-based) figures are the ones
to read.

Run: ``.venv/bin/python tests/bench/bench_features.py`` (``CRYODESK_BENCH_FULL_N`` sets how many
molecules the rdkit2d_full comparison uses; default 5,000, about 55 s on one core; the whole
bench takes about 2.5 minutes on a quiet machine).
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
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

from cryodesk.chem.features import compute_fingerprints, featurize  # noqa: E402
from cryodesk.chem.features.descriptors import default_descriptor_functions  # noqa: E402
from cryodesk.chem.features.parsing import quiet_rdkit  # noqa: E402
from cryodesk.chem.features.sets import get_feature_set  # noqa: E402
from cryodesk.engine.executor import InProcessExecutor, ProcessPoolExecutor, available_cpus  # noqa: E402
from cryodesk.engine.features import make_feature_pool  # noqa: E402

DATA = Path(os.environ.get("CRYODESK_SHARED_DATA", ROOT.parent / "shared" / "data"))
FULL_N = int(os.environ.get("CRYODESK_BENCH_FULL_N", "5000"))
# Interleaved one-core/pool pairs for the rdkit2d_full ratio, and molecules for the BLAS-thread cost.
ROUNDS = int(os.environ.get("CRYODESK_BENCH_ROUNDS", "3"))
BLAS_N = 1500
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def load_tox21() -> list[str]:
    with open(DATA / "tox21" / "tox21.csv", newline="") as handle:
        return [row["smiles"] for row in csv.DictReader(handle)]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def cpu_seconds() -> float:
    """CPU time of this process plus its reaped children (pool workers count once they are joined)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def with_cpu(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds, result). On a shared machine wall time includes other people's
    work; CPU time does not, so the CPU ratios stay meaningful when the wall ratios are not."""
    cpu0 = cpu_seconds()
    wall, result = timed(fn)
    return wall, cpu_seconds() - cpu0, result


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux ``/proc``), for workers not yet reaped."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15)


def worker_pids(pool: ProcessPoolExecutor) -> list[int]:
    inner = getattr(pool, "_pool", None)
    return sorted(getattr(inner, "_processes", {}) or {})


def pooled(workers: int, fn: Callable[[ProcessPoolExecutor], Any]) -> Any:
    # Start, use and join the pool inside one measurement, so the workers' CPU time is reaped.
    with ProcessPoolExecutor(workers) as pool:
        return fn(pool)


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
    return {
        "serial_s": round(serial, 3),
        "parallel_s": round(parallel, 3),
        "speedup": round(serial / parallel, 2),
    }


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


def best_of(repeats: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Minimum wall time of ``repeats`` runs (shared/virtual machines are noisy) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        elapsed, result = timed(fn)
        best = min(best, elapsed)
    return best, result


def parse_only(smiles: list[str]) -> list[Chem.Mol]:
    with rdBase.BlockLogs():
        return [m for m in (Chem.MolFromSmiles(s) for s in smiles) if m is not None]


def python_call_overhead(mols: list[Chem.Mol], calls_per_molecule: int) -> float:
    """Time of ``calls_per_molecule`` trivial RDKit calls per molecule: the Python-side cost the naive
    loop pays on top of the C++ work, i.e. the most that batching the calls can save."""
    start = time.perf_counter()
    for mol in mols:
        for _ in range(calls_per_molecule):
            mol.GetNumAtoms()
    return time.perf_counter() - start


def bench_default(smiles: list[str], workers: int) -> dict[str, Any]:
    t_parse, mols = best_of(2, lambda: parse_only(smiles))
    t_overhead = python_call_overhead(mols, len(default_descriptor_functions()))
    t_naive, cpu_naive, (naive, naive_failed) = with_cpu(lambda: naive_default(smiles))
    t_serial, cpu_serial, serial = with_cpu(lambda: featurize(smiles, "default", InProcessExecutor()))
    t_pool, cpu_pool, pool_result = with_cpu(
        lambda: pooled(workers, lambda pool: featurize(smiles, "default", pool))
    )
    equal = bool(np.array_equal(naive, serial.values, equal_nan=True)) and bool(
        np.array_equal(pool_result.values, serial.values, equal_nan=True)
    )
    return {
        "molecules": len(smiles),
        "failed_rows": len(serial.failures),
        "columns": len(serial.columns),
        "parse_only_s": round(t_parse, 3),
        "python_call_overhead_of_naive_loop_s": round(t_overhead, 3),
        "naive_loop": {"wall_s": round(t_naive, 3), "cpu_s": round(cpu_naive, 3)},
        "batch_in_process": {"wall_s": round(t_serial, 3), "cpu_s": round(cpu_serial, 3)},
        "batch_pool_incl_startup": {"wall_s": round(t_pool, 3), "cpu_s_all_processes": round(cpu_pool, 3)},
        "speedup_in_process_vs_naive_wall": round(t_naive / t_serial, 2),
        "speedup_in_process_vs_naive_cpu": round(cpu_naive / cpu_serial, 2),
        "speedup_pool_vs_naive_wall": round(t_naive / t_pool, 2),
        "projected_pool_speedup_on_idle_cores": round(cpu_naive / (cpu_pool / workers), 2),
        "goal_speedup": 10.0,
        "matrices_equal": equal and naive_failed == [i for i, _ in serial.failures],
    }


def pool_start(workers: int) -> dict[str, Any]:
    """Seconds from nothing to a fully initialised feature pool, ``spawn`` against ``forkserver``."""
    out: dict[str, Any] = {}
    methods = ["spawn"]
    if "forkserver" in multiprocessing.get_all_start_methods():
        methods += ["forkserver", "forkserver"]  # second: the fork server is already up
    for i, method in enumerate(methods):
        key = method if i < 2 else "forkserver_second_pool"  # fork server CPU is not reaped: not counted
        cpu0 = cpu_seconds()
        with make_feature_pool(workers, start_method=method) as pool:
            wall, ready = timed(pool.warm)
        out[key] = {
            "wall_s": round(wall, 3),
            "cpu_s_all_processes": round(cpu_seconds() - cpu0, 3),
            "ready": ready,
        }
    return out


def pool_cpu(pool: ProcessPoolExecutor, fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall, CPU of parent + the pool's live workers, result) of ``fn``; workers are read from /proc."""
    pids = worker_pids(pool)
    before = sum(process_cpu_seconds(pid) for pid in pids) + cpu_seconds()
    wall, result = timed(fn)
    if worker_pids(pool) != pids:
        raise RuntimeError("a worker was replaced during the timing; its CPU time would be lost")
    cpu = sum(process_cpu_seconds(pid) for pid in pids) + cpu_seconds() - before
    return wall, cpu, result


def pool_figures(
    t_one: float, cpu_one: float, one: Any, t_pool: float, cpu_pool: float, pooled_result: Any, workers: int
) -> dict[str, Any]:
    """Wall and CPU of one pool run against one core, and whether it gave the very same matrix and failures."""
    return {
        "wall_s": round(t_pool, 3),
        "cpu_s_all_processes": round(cpu_pool, 3),
        "speedup_wall": round(t_one / t_pool, 2),
        "pool_cpu_overhead": round(cpu_pool / cpu_one, 3),
        "projected_speedup_on_idle_cores": round(cpu_one / (cpu_pool / workers), 2),
        "matrices_equal": bool(np.array_equal(one.values, pooled_result.values, equal_nan=True))
        and one.failures == pooled_result.failures,
    }


def bench_full(smiles: list[str], workers: int) -> dict[str, Any]:
    """One core against the pool, in ``ROUNDS`` interleaved pairs, so slow spells of the VM hit both sides.

    A single one-core run moved between 35.7 and 46.9 s across quiet runs of this machine, so one pair
    cannot show a ratio to better than about 25 %; the median of interleaved pairs can.
    """
    subset = smiles[:FULL_N]
    load_before = load_average()
    blas = blas_thread_cost(subset[:BLAS_N])
    t_one, cpu_one, one = with_cpu(lambda: featurize(subset, "rdkit2d_full", InProcessExecutor()))
    t_cold, cpu_cold, cold = with_cpu(
        lambda: pooled_feature(workers, lambda pool: featurize(subset, "rdkit2d_full", pool))
    )
    rounds = interleaved_rounds(subset, workers, one)
    speedups = sorted(r["warm_pool"]["speedup_wall"] for r in rounds)
    starts = pool_start(workers)
    return {
        "molecules": len(subset),
        "columns": len(one.columns),
        "workers": workers,
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "blas_threads": blas,
        "one_core": {"wall_s": round(t_one, 3), "cpu_s": round(cpu_one, 3)},
        "pool_incl_startup": pool_figures(t_one, cpu_one, one, t_cold, cpu_cold, cold, workers),
        "interleaved_rounds": rounds,
        "warm_pool_speedup_median": float(np.median(speedups)),
        "warm_pool_speedup_range": [speedups[0], speedups[-1]],
        "warm_pool_speedup_of_medians": round(
            float(np.median([r["one_core"]["wall_s"] for r in rounds]))
            / float(np.median([r["warm_pool"]["wall_s"] for r in rounds])),
            2,
        ),
        "pool_start": starts,
        "goal_speedup": 1.8,
    }


def interleaved_rounds(subset: list[str], workers: int, reference: Any) -> list[dict[str, Any]]:
    """``ROUNDS`` pairs (one core, then the warm pool) on one pool kept up, as the running app keeps it."""
    rounds = []
    with make_feature_pool(workers) as pool:
        if not pool.warm(timeout=120):
            raise RuntimeError("the feature pool did not start")
        for _ in range(ROUNDS):
            t_one, cpu_one, one = with_cpu(lambda: featurize(subset, "rdkit2d_full", InProcessExecutor()))
            t_pool, cpu_pool, pooled_result = pool_cpu(pool, lambda: featurize(subset, "rdkit2d_full", pool))
            figures = pool_figures(t_one, cpu_one, one, t_pool, cpu_pool, pooled_result, workers)
            figures["matrices_equal"] = figures["matrices_equal"] and np.array_equal(
                one.values, reference.values, equal_nan=True
            )
            rounds.append(
                {"one_core": {"wall_s": round(t_one, 3), "cpu_s": round(cpu_one, 3)}, "warm_pool": figures}
            )
    return rounds


def blas_thread_cost(subset: list[str]) -> dict[str, Any]:
    """One core with numpy's BLAS at its own thread count (what featurize did before) against one BLAS thread."""
    feature_set = get_feature_set("rdkit2d_full")
    mols = [m for m in (Chem.MolFromSmiles(s) for s in subset) if m is not None]

    def compute_all() -> None:
        for start in range(0, len(mols), 32):  # featurize's batch size
            feature_set.compute(mols[start : start + 32], 1)

    with quiet_rdkit():
        t_default, _ = timed(compute_all)
        with threadpool_limits(limits=1, user_api="blas"):
            t_one_thread, _ = timed(compute_all)
    return {
        "molecules": len(mols),
        "blas_threads_default": [
            i.get("num_threads") for i in threadpool_info() if i.get("user_api") == "blas"
        ],
        "default_threads_s": round(t_default, 3),
        "one_thread_s": round(t_one_thread, 3),
        "speedup": round(t_default / t_one_thread, 2),
    }


def pooled_feature(workers: int, fn: Callable[[ProcessPoolExecutor], Any]) -> Any:
    # The app's pool configuration, started, used and joined inside one measurement (CPU reaped).
    with make_feature_pool(workers) as pool:
        return fn(pool)


def bench_fingerprints(smiles: list[str]) -> dict[str, Any]:
    t, fps = timed(lambda: compute_fingerprints(smiles, "morgan2"))
    return {
        "molecules": len(smiles),
        "morgan2_in_process_s": round(t, 3),
        "packed_bytes_per_row": int(fps.data.shape[1]),
        "molecules_per_s": round(len(smiles) / t, 1),
    }


def main() -> None:
    load_start = load_average()
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
    report["machine"]["load_average_start"] = load_start
    report["machine"]["load_average_end"] = load_average()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    multiprocessing.freeze_support()
    main()
