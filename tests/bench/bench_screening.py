"""Screening benchmark: throughput per executor, peak memory against library size, and a projection.

Run: ``.venv/bin/python -m tests.bench.bench_screening [--n 20000] [--mem-small 20000] [--mem-large 80000]``.
Prints one JSON object. The model is the tests' tiny solubility ensemble (rf 25 trees + lgbm 40 rounds on
250 ESOL compounds, features default+cryo, morgan2 domain); the library is generated from real SMILES
(ESOL, Koop Tg, Bradley melting points) by prefixing 0..k methyl groups, so structures are distinct and
realistic in size. Featurisation dominates (see ``stage_seconds``), so a bigger model changes little.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.conftest import DATA  # noqa: E402

CHUNK = 500
TOP = 1000


def real_smiles() -> list[str]:
    out: list[str] = []
    out += [r["smiles"] for r in csv.DictReader((DATA / "esol" / "delaney.csv").open())]
    with (DATA / "glass_transition" / "Koop_dataset.csv").open() as f:
        reader = csv.DictReader(f)
        col = next(c for c in reader.fieldnames or [] if "smiles" in c.lower())
        out += [r[col] for r in reader if r[col]]
    with (DATA / "melting_point" / "BradleyDoublePlusGoodMeltingPointDataset.csv").open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        col = next(c for c in reader.fieldnames or [] if "smiles" in c.lower())
        out += [r[col] for r in reader if r[col]]
    return list(dict.fromkeys(s for s in out if s and " " not in s))


def write_library(path: Path, n: int, base: list[str]) -> Path:
    with path.open("w") as f:
        for i in range(n):
            smi = base[i % len(base)]
            f.write(f"{'C' * (i // len(base))}{smi} g{i}\n")
    return path


def setup(tmp: Path) -> Path:
    from cryodesk.engine.training import train_and_register
    from cryodesk.ml.scoring import Profile, Term
    from tests.engine.test_training import esol_workbench, tiny_request

    wb = esol_workbench(tmp, n=250)
    train_and_register(wb.project, tiny_request())
    wb.save_scoring_profile(Profile("soluble", (Term("log_solubility", "up", -5.0, 0.0, unit="log10(M)"),)))
    wb.close()
    return tmp / "esol.cryodesk"


def fresh_copy(project: Path, name: str) -> Path:
    target = project.with_name(f"{name}.cryodesk")
    shutil.copy(project, target)
    models = project.with_name(project.name + ".models")
    shutil.rmtree(target.with_name(target.name + ".models"), ignore_errors=True)
    shutil.copytree(models, target.with_name(target.name + ".models"))
    return target


def run_screen(project: Path, library: Path, executor: Any, label: str) -> dict[str, Any]:
    from cryodesk.domain import JobState
    from cryodesk.engine.jobs import run_job
    from cryodesk.engine.screening import ScreenJob, ScreenParams
    from cryodesk.store import Project

    params = ScreenParams(str(library), ("log_solubility",), "soluble", top=TOP, chunk_size=CHUNK, name=label)
    copy = fresh_copy(project, label)
    with Project.open(copy) as p:
        start = time.perf_counter()
        outcome = run_job(p, ScreenJob(params, executor), resume=False)
        wall = time.perf_counter() - start
    assert outcome.state is JobState.DONE, outcome.error
    s = outcome.result
    busy = sum(v for k, v in s.stage_seconds.items() if k != "coordinator")
    return {"executor": label, "records": s.records, "scored": s.scored, "wall_s": round(wall, 2),
            "compounds_per_s": round(s.records / wall, 1), "worker_busy_s": round(busy, 2),
            "stage_seconds": s.stage_seconds, "chunks": -(-s.records // CHUNK),
            "top_keys": [h["key"] for h in s.hits]}


def throughput(project: Path, library: Path) -> dict[str, Any]:
    from cryodesk.engine.executor import InProcessExecutor, ProcessPoolExecutor

    out: dict[str, Any] = {}
    out["single_process"] = run_screen(project, library, InProcessExecutor(1), "single")
    with ProcessPoolExecutor(2) as pool:
        out["local_2_processes"] = run_screen(project, library, pool, "local2")
    try:
        from cryodesk.engine.dask_executor import DaskExecutor, dask_available

        if dask_available():
            start = time.perf_counter()
            with DaskExecutor("local", n_workers=2) as dask:
                dask.map_chunks(len, [[0]])  # start the cluster outside the timed screen
                started = time.perf_counter() - start
                out["dask_local_cluster_2_workers"] = run_screen(project, library, dask, "dask2")
            out["dask_local_cluster_2_workers"]["cluster_start_s"] = round(started, 2)
    except ImportError:
        out["dask_local_cluster_2_workers"] = "dask not installed"
    keys = {k: v.pop("top_keys") for k, v in out.items() if isinstance(v, dict)}
    out["same_top_n_everywhere"] = len({tuple(v) for v in keys.values()}) == 1
    single = out["single_process"]["compounds_per_s"]
    out["speedup_local_2_vs_single"] = round(out["local_2_processes"]["compounds_per_s"] / single, 2)
    dask = out.get("dask_local_cluster_2_workers")
    if isinstance(dask, dict):
        out["dask_vs_local_2"] = round(dask["compounds_per_s"] / out["local_2_processes"]["compounds_per_s"], 2)
    return out


_MEMORY_SNIPPET = """
import sys, json
sys.path.insert(0, {repo!r})
from cryodesk.engine.executor import InProcessExecutor
from cryodesk.engine.jobs import run_job
from cryodesk.engine.screening import ScreenJob, ScreenParams
from cryodesk.store import Project
p = ScreenParams({library!r}, ("log_solubility",), "soluble", top={top}, chunk_size={chunk}, name="mem")
with Project.open({project!r}) as project:
    out = run_job(project, ScreenJob(p, InProcessExecutor(1)), resume=False)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent across exec.
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({{"state": str(out.state), "records": out.result.records,
                   "peak_rss_mb": round(int(hwm.split()[1]) / 1024, 1)}}))
"""


def peak_memory(project: Path, library: Path, label: str) -> dict[str, Any]:
    """Peak RSS of a whole in-process screen, in its own interpreter (nothing else inflates it)."""
    copy = fresh_copy(project, label)
    code = _MEMORY_SNIPPET.format(repo=str(REPO), library=str(library), top=TOP, chunk=CHUNK, project=str(copy))
    result = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def projection(t: dict[str, Any]) -> dict[str, Any]:
    """Time to screen 100 million compounds on 64 cores from the measured per-core rate and overheads."""
    single, local2 = t["single_process"], t["local_2_processes"]
    per_core = single["scored"] / single["worker_busy_s"]  # compounds per busy core-second
    # What the coordinating process spends per chunk (heap merge + checkpoint transaction), measured by the job.
    serial_per_chunk = single["stage_seconds"].get("coordinator", 0.0) / single["chunks"]
    dask = t.get("dask_local_cluster_2_workers")
    ref = dask if isinstance(dask, dict) else local2
    # Parallel efficiency measured on 2 workers (includes IPC/scheduling per chunk).
    efficiency = min(1.0, ref["compounds_per_s"] / (2 * per_core))
    n, cores = 100_000_000, 64
    chunks = n / CHUNK
    compute_h = n / (cores * per_core * efficiency) / 3600
    serial_h = chunks * serial_per_chunk / 3600
    return {
        "n_compounds": n, "cores": cores, "chunk_size": CHUNK,
        "per_core_compounds_per_s": round(per_core, 1), "parallel_efficiency_2_workers": round(efficiency, 3),
        "coordinator_s_per_chunk": round(serial_per_chunk, 4),
        "hours_compute_bound": round(compute_h, 2), "hours_coordinator_bound": round(serial_h, 2),
        "projected_hours": round(max(compute_h, serial_h), 2),
        # The coordinator's per-chunk cost is mostly the heap's checkpoint (fixed size), so 10x larger
        # chunks cut its total 10x while the per-chunk work still takes seconds per worker.
        "projected_hours_chunk_5000": round(max(compute_h, serial_h * CHUNK / 5000), 2),
        "assumptions": [
            "64 cluster cores as fast as one core of this machine (a loaded 2-core VM: conservative)",
            "parallel efficiency as measured with 2 Dask workers (per-task scheduling/IPC) holds at 64 workers",
            "the coordinator (reading the file, merging the heap, one checkpoint transaction per chunk) is "
            "serial and overlaps the workers; it bounds throughput only if its per-chunk time exceeds "
            "chunk compute time / workers",
            f"top-{TOP} heap, {CHUNK}-compound chunks; the same tiny model and default+cryo+morgan2 features",
            "library file readable by the client at disk speed; Dask scheduler overhead ~1 ms per task",
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000, help="library size for the throughput runs")
    parser.add_argument("--mem-small", type=int, default=20_000)
    parser.add_argument("--mem-large", type=int, default=80_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        project = setup(tmp)
        base = real_smiles()
        library = write_library(tmp / "lib.smi", args.n, base)
        t = throughput(project, library)
        small = write_library(tmp / "small.smi", args.mem_small, base)
        large = write_library(tmp / "large.smi", args.mem_large, base)
        mem_small = peak_memory(project, small, "memsmall")
        mem_large = peak_memory(project, large, "memlarge")
        print(json.dumps({
            "machine_cpus": len(__import__("os").sched_getaffinity(0)),
            "base_real_smiles": len(base), "throughput_library_n": args.n, "throughput": t,
            "peak_memory": {"small": mem_small, "large": mem_large,
                            "ratio_large_to_small": round(mem_large["peak_rss_mb"] / mem_small["peak_rss_mb"], 3)},
            "projection_100M_on_64_cores": projection(t),
        }, indent=2))


if __name__ == "__main__":
    main()
