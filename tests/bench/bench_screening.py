"""Screening benchmark: throughput per executor, peak memory against library size, and a projection.

Run (nice it on a shared machine)::

    nice -n 5 .venv/bin/python -m tests.bench.bench_screening --n 100000 --modes single,local2,dask2
    nice -n 5 .venv/bin/python -m tests.bench.bench_screening --n 1000000 --modes local2 --out /tmp/x.json

``--n`` takes several sizes (``--n 100000 1000000``); every (size, mode) pair is one screen, run in a
fresh interpreter whose whole process tree (pool workers, Dask nanny and worker processes included)
is sampled for resident memory every 0.2 s by this parent, so one run's memory cannot inflate the
next. ``--work DIR`` keeps the trained project and the generated libraries for re-runs.

The model is cheap but real: a random forest (25 trees) + LightGBM (40 rounds) ensemble trained on
500 ESOL compounds (measured log solubility) on Morgan radius-2 bits only, with the Morgan domain
fingerprint, so a 1,000,000-compound pass is feasible on two cores; parse + standardise dominates.

The library is deterministic: every unique real SMILES of ESOL, Koop Tg, Bradley melting points and
Tox21, then enumerated analogues of them (a substituent before the first atom and/or after the last
one), in a fixed order, so sizes are prefixes of one another. Analogues that break valence rules are
kept: they are per-record errors the screen must count, as in a vendor file.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from itertools import product
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.conftest import DATA  # noqa: E402

CHUNK = 1000
TOP = 1000
MODES = ("single", "local2", "dask2")
SAMPLE_S = 0.2
# Substituents for the analogues: "" keeps the parent; the others bond to the first/last atom written.
PREFIXES = ("", "C", "CC", "O", "OC", "N", "F", "Cl", "C(F)(F)F", "NC(=O)", "OCC", "C#N")
SUFFIXES = ("", "C", "O", "N", "CC", "F", "Cl", "OC", "C(=O)O", "CO")


# -- the library ------------------------------------------------------------------------------------
def real_smiles() -> list[str]:
    """Unique real SMILES from the embedded data sets, in a fixed order."""
    out: list[str] = [r["smiles"] for r in csv.DictReader((DATA / "esol" / "delaney.csv").open())]
    for path in (
        DATA / "glass_transition" / "Koop_dataset.csv",
        DATA / "melting_point" / "BradleyDoublePlusGoodMeltingPointDataset.csv",
        DATA / "tox21" / "tox21.csv",
    ):
        with path.open(encoding="utf-8") as f:
            reader = csv.DictReader(f)
            col = next(c for c in reader.fieldnames or [] if "smiles" in c.lower())
            out += [r[col] for r in reader if r[col]]
    return list(dict.fromkeys(s.strip() for s in out if s and s.strip() and " " not in s.strip()))


def library_lines(n: int, base: list[str]):
    """The first ``n`` records: all parents first, then analogue rounds (prefix x suffix)."""
    count = 0
    for prefix, suffix in product(PREFIXES, SUFFIXES):
        for smi in base:
            if count == n:
                return
            yield f"{prefix}{smi}{suffix} g{count}\n"
            count += 1
    raise ValueError(f"at most {count} records can be generated")


def write_library(path: Path, n: int, base: list[str]) -> Path:
    if not path.exists():
        with path.open("w") as f:
            f.writelines(library_lines(n, base))
    return path


# -- the project and its model --------------------------------------------------------------------------
def setup(work: Path) -> Path:
    project = work / "esol.cryodesk"
    if project.exists():
        return project
    from cryodesk.engine.training import TrainRequest, train_and_register
    from cryodesk.ml.scoring import Profile, Term
    from tests.engine.test_training import esol_workbench

    wb = esol_workbench(work, n=500)
    request = TrainRequest(
        "log_solubility",
        members=("rf", "lgbm"),
        split="random",
        n_folds=3,
        feature_sets=("morgan2",),
        fingerprint_set="morgan2",
        params={"rf": {"n_estimators": 25}, "lgbm": {"n_estimators": 40}},
    )
    train_and_register(wb.project, request)
    wb.save_scoring_profile(Profile("soluble", (Term("log_solubility", "up", -5.0, 0.0, unit="log10(M)"),)))
    wb.close()
    return project


def fresh_copy(project: Path, name: str) -> Path:
    target = project.with_name(f"{name}.cryodesk")
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copy(project, target)
    models = target.with_name(target.name + ".models")
    shutil.rmtree(models, ignore_errors=True)
    shutil.copytree(project.with_name(project.name + ".models"), models)
    return target


# -- one screen, in its own interpreter ------------------------------------------------------------------------
def run_one(project: Path, library: Path, mode: str, max_seconds: float | None = None) -> dict[str, Any]:
    """The child's side: screen ``library`` with executor ``mode``; print figures as JSON.

    With ``max_seconds`` the screen is cancelled after that long (it stops after its current chunk) and
    the figures are those of the records screened so far, read from the job's last checkpoint.
    """
    from cryodesk.domain import JobState
    from cryodesk.engine.executor import InProcessExecutor, ProcessPoolExecutor
    from cryodesk.engine.jobs import run_job
    from cryodesk.engine.screening import ScreenJob, ScreenParams
    from cryodesk.store import Project

    started_cluster = time.perf_counter()
    if mode == "single":
        executor: Any = InProcessExecutor(1)
    elif mode == "local2":
        executor = ProcessPoolExecutor(2)
    else:
        from cryodesk.engine.dask_executor import DaskExecutor

        executor = DaskExecutor("local", n_workers=2)
        executor.map_chunks(len, [[0]])  # start the cluster outside the timed screen
    cluster_s = time.perf_counter() - started_cluster
    params = ScreenParams(str(library), ("log_solubility",), "soluble", top=TOP, chunk_size=CHUNK, name=mode)
    stop = threading.Event()
    committed = [0.0]  # when the last progress report came: right after the last committed chunk
    budget = threading.Timer(max_seconds, stop.set) if max_seconds else None
    try:
        with Project.open(project) as p:
            start = time.perf_counter()
            cpu_start = time.process_time()
            if budget is not None:
                budget.start()
            outcome = run_job(
                p,
                ScreenJob(params, executor),
                lambda *_: committed.__setitem__(0, time.perf_counter()),
                cancel_event=stop,
                resume=False,
            )
            wall = time.perf_counter() - start
            cpu_used = time.process_time() - cpu_start
            checkpoint = p.jobs.get(outcome.job_id).checkpoint or {}
            checkpoint_cpu = checkpoint_write_cpu(p, outcome.job_id, checkpoint, params)
    finally:
        if budget is not None:
            budget.cancel()
        executor.close()
    complete = outcome.state is JobState.DONE
    if not complete and not (outcome.state is JobState.CANCELLED and stop.is_set()):
        raise SystemExit(f"screen {outcome.state}: {outcome.error}")
    if complete:
        s = outcome.result
        records, scored, errors, stages = s.records, s.scored, s.errors, s.stage_seconds
        top = [[h["key"], h["score"]] for h in s.hits]
    else:
        records, scored, errors = checkpoint["records"], checkpoint["scored"], checkpoint["errors"]
        stages = {k: round(v, 3) for k, v in checkpoint["stage_seconds"].items()}
        top = [[h["key"], h["score"]] for h in checkpoint["hits"]]
    busy = sum(v for k, v in stages.items() if k != "coordinator")
    if not complete:  # the chunk in flight when the budget ran out is not counted, nor its time
        wall = committed[0] - start if committed[0] else wall
    return {
        "mode": mode,
        "complete": complete,
        "library_records": sum(1 for _ in library.open()),
        "records": records,
        "scored": scored,
        "errors": errors,
        "wall_s": round(wall, 2),
        "compounds_per_s": round(records / wall, 1),
        "executor_start_s": round(cluster_s, 2),
        "worker_busy_s": round(busy, 2),
        "stage_seconds": stages,
        "chunks": -(-records // CHUNK),
        # CPU seconds of this process (load-independent): everything for "single", the coordinator otherwise.
        "process_cpu_s": round(cpu_used, 2),
        "checkpoint_write_cpu_s": round(checkpoint_cpu, 4),
        "top": top,
    }


def checkpoint_write_cpu(
    project: Any, job_id: int, checkpoint: dict[str, Any], params: Any, repeat: int = 10
) -> float:
    """CPU seconds of one chunk's checkpoint (the full heap rebuilt, serialised and committed), averaged.

    This is the coordinator's fixed per-chunk cost, whatever the chunk size; measured in CPU time so the
    machine's load does not inflate it.
    """
    from cryodesk.engine.screening import HitHeap

    hits = checkpoint.get("hits", [])
    start = time.process_time()
    for _ in range(repeat):
        heap = HitHeap.from_json(hits, params.top, params.threshold, params.max_hits)
        with project.db.transaction():
            project.jobs.save_checkpoint(
                job_id, {**checkpoint, "hits": heap.to_json()}, done=checkpoint["records"]
            )
    return (time.process_time() - start) / repeat


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def measure(project: Path, library: Path, mode: str, max_seconds: float | None = None) -> dict[str, Any]:
    """Run one screen in a child interpreter; sample its process tree's RSS while it runs."""
    copy = fresh_copy(project, f"{mode}_{library.stem}")
    budget = ["--max-seconds", str(max_seconds)] if max_seconds else []
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.bench.bench_screening",
            "--child",
            mode,
            "--project",
            str(copy),
            "--library",
            str(library),
            *budget,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak, samples = 0, 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak, samples
        while not stop.wait(SAMPLE_S):
            peak = max(peak, _tree_rss(child.pid))
            samples += 1

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    stop.set()
    sampler.join()
    if child.returncode != 0:
        raise RuntimeError(f"{mode} on {library.name} failed:\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_tree_rss_mb"] = round(peak / 2**20, 1)
    result["rss_samples"] = samples
    shutil.rmtree(copy.with_name(copy.name + ".models"), ignore_errors=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(copy) + suffix).unlink(missing_ok=True)
    return result


# -- the projection --------------------------------------------------------------------------------------------
def projection(
    single: dict[str, Any], parallel: dict[str, Any] | None, calibration: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Hours to screen 100 million compounds on 64 cores, from measured per-core rates and overheads.

    Two variants: "as measured" uses wall-clock rates of this shared, overloaded machine; "dedicated
    cores" uses CPU seconds per record (load-independent) from complete runs that report them.
    """
    n, cores = 100_000_000, 64
    per_core = single["records"] / single["worker_busy_s"]  # records per busy core-second (errors included)
    coordinator = (
        single["stage_seconds"].get("coordinator", 0.0) / single["chunks"]
    )  # merge + checkpoint, wall
    efficiency = 1.0
    if parallel is not None:  # measured 2-worker rate against two cores at the single-process rate
        efficiency = min(1.0, parallel["compounds_per_s"] / (2 * per_core))
    scheduler = 0.001  # ~1 ms of Dask scheduler time per task (Dask's documented order of magnitude)

    def hours(chunk: int, rate: float, eff: float, serial_per_chunk: float) -> dict[str, float]:
        compute = n / (cores * rate * eff)
        serial = n / chunk * (serial_per_chunk + scheduler)
        # The serial coordinator overlaps the workers: the slower of the two bounds the screen.
        return {
            "compute_bound_h": round(compute / 3600, 2),
            "serial_bound_h": round(serial / 3600, 2),
            "projected_h": round(max(compute, serial) / 3600, 2),
        }

    out: dict[str, Any] = {
        "n_compounds": n,
        "cores": cores,
        "as_measured": {
            "per_core_compounds_per_s": round(per_core, 1),
            "from_run": f"{single['mode']} {single['records']} rec",
            "parallel_efficiency": round(efficiency, 3),
            "parallel_from": None if parallel is None else f"{parallel['mode']} {parallel['records']} rec",
            "coordinator_s_per_chunk": round(coordinator, 4),
            f"chunk_{CHUNK}": hours(CHUNK, per_core, efficiency, coordinator),
            # The coordinator's per-chunk cost is mostly the checkpoint of the whole heap (fixed size),
            # so 10x larger chunks cut its total about 10x while workers still get seconds of work.
            "chunk_10000": hours(10_000, per_core, efficiency, coordinator),
        },
    }
    one = calibration.get("single")
    if one is not None and one.get("process_cpu_s"):
        cpu_rate = one["records"] / one["process_cpu_s"]
        writes = [
            r["checkpoint_write_cpu_s"] for r in calibration.values() if r.get("checkpoint_write_cpu_s")
        ]
        # The checkpoint write dominates the coordinator's per-chunk CPU (file reading, pickling a chunk
        # and merging at most top hits are small next to serialising and committing the whole heap).
        coord_cpu = max(writes) if writes else coordinator
        out["dedicated_cores"] = {
            "per_core_compounds_per_s": round(cpu_rate, 1),
            "from_run": f"single {one['records']} rec, CPU seconds",
            "coordinator_cpu_s_per_chunk": round(coord_cpu, 4),
            "coordinator_cpu_from": "checkpoint write of the full top-N heap"
            if writes
            else "wall, as measured",
            "parallel_efficiency_assumed": 0.9,
            f"chunk_{CHUNK}": hours(CHUNK, cpu_rate, 0.9, coord_cpu),
            "chunk_10000": hours(10_000, cpu_rate, 0.9, coord_cpu),
        }
    out["assumptions"] = [
        "as_measured: each of the 64 cluster cores is as fast as one core of this shared 2-core VM was during "
        "the run (load average 15-24: a strong underestimate of a dedicated core)",
        "dedicated_cores: one cluster core does what one CPU-second of this machine did (process CPU time "
        "of a complete in-process screen, coordinator included), with 90 % parallel efficiency",
        "the parallel efficiency measured here with 2 workers holds at 64 workers (as_measured)",
        "the coordinator (file reading, heap merge, one checkpoint transaction per chunk, which writes the whole "
        "top-N heap) is serial and overlaps the workers; it bounds the screen when per-chunk coordinator + "
        "scheduler time exceeds chunk compute time / 64",
        "Dask scheduler overhead 1 ms per task; models shipped once per worker (scatter), not per task",
        f"top-{TOP} heap; this benchmark's model (RF 25 + LightGBM 40 on Morgan bits) and library mix "
        "(same invalid-record share)",
        "the library is readable by the client at disk speed; only a chunk's hits travel back",
    ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100_000], help="library sizes (default 100000)")
    parser.add_argument(
        "--modes", default=",".join(MODES), help=f"comma-separated subset of {','.join(MODES)}"
    )
    parser.add_argument("--work", type=Path, help="keep the project and libraries here (default: a temp dir)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument(
        "--merge",
        type=Path,
        nargs="*",
        default=[],
        help="earlier reports of this script whose runs join this one's ratios and projection",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        help="stop each screen after this long and report the records screened so far",
    )
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--library", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.project, args.library, args.child, args.max_seconds)))
        return
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown modes: {', '.join(sorted(unknown))}")
    import tempfile

    work = args.work or Path(tempfile.mkdtemp(prefix="bench_screen_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        earlier = {k: v for path in args.merge for k, v in json.loads(path.read_text())["runs"].items()}
        report = run(work, sorted(args.n), modes, earlier, args.max_seconds)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


def run(
    work: Path,
    sizes: list[int],
    modes: list[str],
    earlier: dict[str, Any] | None = None,
    max_seconds: float | None = None,
) -> dict[str, Any]:
    load_at_start = os.getloadavg()
    clock = time.perf_counter()
    project = setup(work)
    base = real_smiles()
    setup_s = time.perf_counter() - clock
    results: dict[str, dict[str, Any]] = {}
    for n in sizes:
        library = write_library(work / f"lib_{n}.smi", n, base)
        for mode in modes:
            results[f"{mode}_{n}"] = measure(project, library, mode, max_seconds)
    report: dict[str, Any] = {
        "machine_cpus": len(os.sched_getaffinity(0)),
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        "max_seconds_per_screen": max_seconds,
        "setup_s": round(setup_s, 1),
        "base_real_smiles": len(base),
        "chunk_size": CHUNK,
        "top": TOP,
        "runs": {k: {f: v for f, v in r.items() if f != "top"} for k, r in results.items()},
    }
    for n in sizes:  # the same ordered top-N (keys and scores) from every executor, per size
        tops = {mode: results[f"{mode}_{n}"]["top"] for mode in modes if results[f"{mode}_{n}"]["complete"]}
        if len(tops) > 1:
            report[f"same_ordered_top_{TOP}_{n}"] = len({json.dumps(t) for t in tops.values()}) == 1
    ratios: dict[str, float] = {}
    # Runs of earlier invocations (--merge) count for the cross-size ratios and the projection.
    every = {**(earlier or {}), **report["runs"]}
    sizes_all = sorted({int(k.rsplit("_", 1)[1]) for k in every})
    for mode in MODES:
        have = [n for n in sizes_all if f"{mode}_{n}" in every]
        for n in have[:-1]:  # the largest library against each smaller one
            small, large = every[f"{mode}_{n}"], every[f"{mode}_{have[-1]}"]
            ratios[f"peak_rss_{mode}_{have[-1]}_vs_{n}"] = round(
                large["peak_tree_rss_mb"] / small["peak_tree_rss_mb"], 3
            )
            ratios[f"throughput_{mode}_{have[-1]}_vs_{n}"] = round(
                large["compounds_per_s"] / small["compounds_per_s"], 3
            )
    for n in sizes_all:
        r = {mode: every[f"{mode}_{n}"]["compounds_per_s"] for mode in MODES if f"{mode}_{n}" in every}
        if "single" in r and "local2" in r:
            ratios[f"local2_vs_single_{n}"] = round(r["local2"] / r["single"], 3)
        if "dask2" in r and "local2" in r:
            ratios[f"dask2_vs_local2_{n}"] = round(r["dask2"] / r["local2"], 3)
    report["runs"] = every  # this invocation's runs and the merged ones (top lists left out)
    report["merged_runs"] = sorted(earlier or {})
    report["ratios"] = ratios
    results = {**(earlier or {}), **results}
    sizes = sizes_all
    # The largest single-process run gives the rates; runs reporting CPU time calibrate dedicated cores.
    with_single = [n for n in sizes if f"single_{n}" in results]
    if with_single:
        n = with_single[-1]
        parallel = results.get(f"dask2_{n}") or results.get(f"local2_{n}")
        calibration: dict[str, dict[str, Any]] = {}
        for size in sizes:
            for mode in ("single", "local2"):
                run_ = results.get(f"{mode}_{size}")
                if run_ and run_.get("process_cpu_s") and run_.get("complete"):
                    calibration[mode] = run_  # the largest complete run
                if run_ and run_.get("checkpoint_write_cpu_s"):
                    calibration[f"{mode}_{size}_checkpoint"] = run_
        report["projection_100M_on_64_cores"] = projection(results[f"single_{n}"], parallel, calibration)
    return report


if __name__ == "__main__":
    main()
