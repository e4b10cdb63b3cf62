"""The feature service: cached, versioned feature matrices for compounds of a project.

A request for (feature set, compounds) reads what the project's feature cache holds for the set's
current version in one query, computes only the missing rows (in parallel through the executor),
stores them, and returns one matrix in the order asked. Failed structures are not cached (so a
fix in the chemistry code is picked up) and are returned as failures with their reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cryodesk.domain import CryoDeskError
from cryodesk.engine.executor import Executor, InProcessExecutor, ProcessPoolExecutor, available_cpus
from cryodesk.engine.jobs import JobContext
from cryodesk.store import Project

# Below this many molecules a process pool costs more to start than it saves.
POOL_MIN_ITEMS = 2000
# Once the feature pool is running (warmed, or left up by an earlier call) there is no start-up to
# pay, and a pool pays from a few hundred molecules (~0.3 s of default-set work per worker).
WARM_POOL_MIN_ITEMS = 200
STORE_BATCH = 5000

# What the feature pool's workers load before their first chunk: the sets the app computes in bulk.
# Importing rdkit.Chem.Descriptors alone is ~0.1 s of CPU per worker; all of it ~0.45 s.
FEATURE_PRELOAD = ("numpy", "rdkit.Chem", "rdkit.Chem.Descriptors", "cryodesk.chem.features.batch")
WARM_FEATURE_SETS = ("default", "rdkit2d_full", "cryo", "morgan2")

_POOLS_LOCK = threading.Lock()
_FEATURE_POOLS: dict[int, ProcessPoolExecutor] = {}


def feature_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """The app's process pool for featurisation: one per worker count, shared, kept up between calls.

    Its workers pre-import RDKit and initialise the bulk feature sets (see
    :func:`cryodesk.chem.features.batch.warm_up`), so after :func:`warm_feature_pool` (or the first
    run) every call runs at the pool's steady-state speed. Spawned workers (``spawn``: safe with Qt
    threads and in the frozen app). :func:`close_feature_pools` stops them (app exit, tests).
    """
    count = workers or available_cpus()
    with _POOLS_LOCK:
        pool = _FEATURE_POOLS.get(count)
        if pool is None:
            pool = make_feature_pool(count)
            _FEATURE_POOLS[count] = pool
        return pool


def make_feature_pool(workers: int | None = None, *, start_method: str = "spawn") -> ProcessPoolExecutor:
    """A new (not shared) process pool configured like :func:`feature_pool`; the caller closes it.

    ``start_method="forkserver"`` (POSIX only) imports the preload once in a fork server and forks
    the workers from it; benchmarks compare it with the default ``spawn``.
    """
    from cryodesk.chem.features.batch import warm_up

    return ProcessPoolExecutor(
        workers or available_cpus(),
        start_method=start_method,
        preload=FEATURE_PRELOAD,
        initializer=warm_up,
        initargs=(WARM_FEATURE_SETS,),
    )


def warm_feature_pool(
    workers: int | None = None, *, wait: bool = False, timeout: float | None = 60.0
) -> bool:
    """Start (and initialise) the feature pool ahead of use, e.g. when a featurisation, screening or
    training dialog opens, or in the background when a project is opened.

    Returns True when the pool is ready (or not needed: one worker); with ``wait=False`` (the GUI
    case) it returns at once and the workers start in the background.
    """
    if (workers or available_cpus()) <= 1:
        return True
    return feature_pool(workers).warm(wait=wait, timeout=timeout)


def close_feature_pools() -> None:
    """Stop the shared feature pools' workers (they restart on the next call that needs them)."""
    with _POOLS_LOCK:
        pools = list(_FEATURE_POOLS.values())
        _FEATURE_POOLS.clear()
    for pool in pools:
        pool.close()


def executor_for(n_items: int, workers: int | None = None) -> Executor:
    """The executor a featurisation of ``n_items`` should use: the shared pool when it pays.

    The returned pool is shared: callers must not close it.
    """
    count = workers or available_cpus()
    if count <= 1:
        return InProcessExecutor()
    with _POOLS_LOCK:
        running = count in _FEATURE_POOLS and _FEATURE_POOLS[count].started
    if n_items >= POOL_MIN_ITEMS or (running and n_items >= WARM_POOL_MIN_ITEMS):
        return feature_pool(count)
    return InProcessExecutor()


@dataclass(frozen=True, slots=True)
class CachedMatrix:
    """Rows in the order of ``ids``; descriptor sets are float32, fingerprints packed uint8 bits."""

    ids: np.ndarray
    values: np.ndarray
    columns: tuple[str, ...]
    feature_set: str
    version: str
    kind: str
    failures: list[tuple[int, str]] = field(default_factory=list)  # (compound id, reason)
    n_cached: int = 0
    n_computed: int = 0

    @property
    def ok(self) -> np.ndarray:
        bad = {cid for cid, _ in self.failures}
        return np.array([cid not in bad for cid in self.ids.tolist()], bool)


def _layout(fs: Any) -> tuple[str, int]:
    if fs.kind == "fingerprint":
        return "uint8", (fs.width + 7) // 8
    return "float32", fs.width


class FeatureService:
    def __init__(self, project: Project, workers: int | None = None) -> None:
        self.project = project
        self.workers = workers

    def matrix(
        self,
        feature_set: str,
        compound_ids: Sequence[int] | None = None,
        progress: Callable[[int, int], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> CachedMatrix:
        """The feature matrix of ``compound_ids`` (all compounds when None), computing what is missing."""
        from cryodesk.chem.features import get_feature_set

        fs = get_feature_set(feature_set)
        dtype, width = _layout(fs)
        wanted = (
            np.unique(np.asarray(compound_ids, np.int64))
            if compound_ids is not None
            else self.project.compounds.ids_ascending()
        )
        cached_ids, cached = self.project.features.read(fs.name, fs.version, dtype, width, wanted)
        missing = np.setdiff1d(wanted, cached_ids)
        new_ids, new_rows, failures = self._compute(fs, missing, progress, cancel)
        ids = np.concatenate([cached_ids, new_ids])
        rows = np.concatenate([cached, new_rows]) if len(new_rows) else cached
        failed_ids = np.asarray([cid for cid, _ in failures], np.int64)
        ids = np.concatenate([ids, failed_ids])
        filler = np.full((len(failed_ids), width), np.nan if dtype == "float32" else 0, dtype)
        rows = np.concatenate([rows, filler]) if len(failed_ids) else rows
        order = np.argsort(ids, kind="stable")
        return CachedMatrix(
            ids[order],
            rows[order],
            fs.columns,
            fs.name,
            fs.version,
            fs.kind,
            failures,
            len(cached_ids),
            len(new_ids),
        )

    def _compute(self, fs: Any, ids: np.ndarray, progress, cancel) -> tuple[np.ndarray, np.ndarray, list]:
        dtype, width = _layout(fs)
        if not len(ids):
            return np.zeros(0, np.int64), np.zeros((0, width), dtype), []
        smiles = dict(self.project.compounds.smiles_by_id(ids.tolist()))
        structures = [smiles.get(int(cid)) for cid in ids]
        # The shared pool stays up after this call (not closed here): the next featurisation, search
        # index or training run in this session reuses its already-initialised workers.
        result = _run(fs, structures, executor_for(len(ids), self.workers), progress, cancel)
        failed_rows = {row: reason for row, reason in result.failures}
        good = np.array([i not in failed_rows for i in range(len(ids))], bool)
        values = result.data if fs.kind == "fingerprint" else result.values
        values = np.ascontiguousarray(values[good], dtype=dtype)
        good_ids = ids[good]
        self._store(fs, good_ids, values)
        failures = [(int(ids[row]), reason) for row, reason in sorted(failed_rows.items())]
        return good_ids, values, failures

    def _store(self, fs: Any, ids: np.ndarray, values: np.ndarray) -> None:
        for start in range(0, len(ids), STORE_BATCH):
            block = values[start : start + STORE_BATCH]
            rows = ((int(cid), block[i].tobytes()) for i, cid in enumerate(ids[start : start + STORE_BATCH]))
            self.project.features.put_many(fs.name, fs.version, rows)


def _run(fs: Any, structures: list[str | None], executor, progress, cancel):
    from cryodesk.chem.features import compute_fingerprints, featurize

    if fs.kind == "fingerprint":
        return compute_fingerprints(structures, fs.name, executor, progress, cancel)
    return featurize(structures, fs.name, executor, progress, cancel)


class FeaturizeJob:
    """Fill the feature cache for the whole library (a background job with progress)."""

    kind = "featurize"

    def __init__(self, feature_set: str, workers: int | None = None) -> None:
        self.feature_set = feature_set
        self.workers = workers

    def params(self) -> dict[str, Any]:
        return {"feature_set": self.feature_set}

    def fingerprint(self) -> None:
        return None  # the cache itself is the checkpoint: a re-run computes only what is missing

    def run(self, ctx: JobContext) -> dict[str, Any]:
        from cryodesk.chem.features import CancelledError

        stop = threading.Event()

        def cancel() -> bool:
            if ctx.stop_requested() is not None:
                stop.set()
            return stop.is_set()

        def progress(done: int, total: int) -> None:
            ctx.progress(done, total, f"{self.feature_set}: {done} of {total} molecules")

        try:
            result = FeatureService(ctx.project, self.workers).matrix(
                self.feature_set, None, progress, cancel
            )
        except CancelledError:
            ctx.raise_if_stopped()
            raise CryoDeskError("featurisation was cancelled") from None
        ctx.project.jobs.add_row_errors(ctx.job_id, _failures_as_row_errors(result.failures))
        return {
            "feature_set": result.feature_set,
            "version": result.version,
            "rows": len(result.ids),
            "cached": result.n_cached,
            "computed": result.n_computed,
            "failed": len(result.failures),
        }


def _failures_as_row_errors(failures: list[tuple[int, str]]):
    from cryodesk.domain import RowError

    return [RowError(cid, reason, "compound id") for cid, reason in failures]
