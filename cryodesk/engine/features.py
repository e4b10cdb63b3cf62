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
from cryodesk.engine.executor import make_executor
from cryodesk.engine.jobs import JobContext
from cryodesk.store import Project

# Below this many molecules a process pool costs more to start than it saves.
POOL_MIN_ITEMS = 2000
STORE_BATCH = 5000


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
        wanted = np.asarray(sorted(set(compound_ids)) if compound_ids is not None else
                            [cid for cid, _ in self.project.compounds.smiles_by_id()], np.int64)
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
        return CachedMatrix(ids[order], rows[order], fs.columns, fs.name, fs.version, fs.kind, failures,
                            len(cached_ids), len(new_ids))

    def _compute(self, fs: Any, ids: np.ndarray, progress, cancel) -> tuple[np.ndarray, np.ndarray, list]:
        dtype, width = _layout(fs)
        if not len(ids):
            return np.zeros(0, np.int64), np.zeros((0, width), dtype), []
        smiles = dict(self.project.compounds.smiles_by_id(ids.tolist()))
        structures = [smiles.get(int(cid)) for cid in ids]
        with make_executor(self.workers, min_items=POOL_MIN_ITEMS, n_items=len(ids)) as executor:
            result = _run(fs, structures, executor, progress, cancel)
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
            block = values[start:start + STORE_BATCH]
            rows = ((int(cid), block[i].tobytes()) for i, cid in enumerate(ids[start:start + STORE_BATCH]))
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
            result = FeatureService(ctx.project, self.workers).matrix(self.feature_set, None, progress, cancel)
        except CancelledError:
            ctx.raise_if_stopped()
            raise CryoDeskError("featurisation was cancelled") from None
        ctx.project.jobs.add_row_errors(ctx.job_id, _failures_as_row_errors(result.failures))
        return {"feature_set": result.feature_set, "version": result.version, "rows": len(result.ids),
                "cached": result.n_cached, "computed": result.n_computed, "failed": len(result.failures)}


def _failures_as_row_errors(failures: list[tuple[int, str]]):
    from cryodesk.domain import RowError

    return [RowError(cid, reason, "compound id") for cid, reason in failures]
