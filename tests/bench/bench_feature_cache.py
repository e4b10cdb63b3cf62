"""Benchmark: warm (cached) feature reads from a project against computing the same matrix cold.

The library is the deterministic 100,000-structure library of ``bench_search.py`` (real Tox21, ToxCast,
Bradley and ESOL structures topped up with enumerated analogues). Its compounds are written to a new
project through the store's bulk upsert with synthetic, unique InChIKeys: the cache is keyed by
compound id (one per InChIKey), and computing 100,000 real InChIs would only slow the set-up.

Measured in one run:

- ``cold``: ``FeatureService.matrix("default")`` on an empty cache: SMILES read from the project,
  featurised (the shared pool) and stored;
- ``warm``: the same call again, ``REPEATS`` times (median): every row comes from the cache;
- ``warm_subset``: a call for every tenth compound by id (a view's selection);
- the same for ``morgan2`` fingerprints (packed bits), whose warm read has no cold counterpart here.

Every warm matrix must equal the cold one. Goal: warm reads at least 100,000 molecules/s.

Run: ``.venv/bin/python tests/bench/bench_feature_cache.py`` (``CRYODESK_BENCH_LIBRARY_N`` changes
the size; about 2 minutes at 100,000 on 2 cores, most of it the cold featurisation).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_search import LIBRARY_N, build_library  # noqa: E402

from cryodesk.domain import Compound  # noqa: E402
from cryodesk.engine.features import FeatureService, close_feature_pools  # noqa: E402
from cryodesk.store import Project  # noqa: E402

REPEATS = 5
UPSERT_BATCH = 5000


def synthetic_inchikey(i: int) -> str:
    """A unique key of InChIKey shape (14-10-1 letters) for compound ``i``."""
    letters = str.maketrans("0123456789", "ABCDEFGHIJ")
    return f"{i:014d}".translate(letters) + "-UHFFFAOYSA-N"


def fill_project(path: Path, library: list[str]) -> float:
    """Writes the library as compounds; returns the seconds it took."""
    compounds = [Compound(synthetic_inchikey(i), s, "InChI=1S/x", "", "bench") for i, s in enumerate(library)]
    start = time.perf_counter()
    with Project.open(path) as project:
        for i in range(0, len(compounds), UPSERT_BATCH):
            project.compounds.upsert_many(compounds[i : i + UPSERT_BATCH])
    return time.perf_counter() - start


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def warm_reads(service: FeatureService, feature_set: str, ids: list[int] | None) -> tuple[float, Any]:
    """Median seconds of ``REPEATS`` cached reads, and the last matrix."""
    times, matrix = [], None
    for _ in range(REPEATS):
        t, matrix = timed(lambda: service.matrix(feature_set, ids))
        if matrix.n_computed:
            raise RuntimeError(f"a warm read of {feature_set} recomputed {matrix.n_computed} rows")
        times.append(t)
    return statistics.median(times), matrix


def bench_set(service: FeatureService, feature_set: str) -> dict[str, Any]:
    t_cold, cold = timed(lambda: service.matrix(feature_set))
    t_warm, warm = warm_reads(service, feature_set, None)
    subset = cold.ids[::10].tolist()
    t_subset, part = warm_reads(service, feature_set, subset)
    equal = (
        np.array_equal(cold.ids, warm.ids)
        and np.array_equal(cold.values, warm.values, equal_nan=warm.values.dtype.kind == "f")
        and np.array_equal(part.values, warm.values[::10], equal_nan=warm.values.dtype.kind == "f")
    )
    rows = len(warm.ids)
    return {
        "rows": rows,
        "row_bytes": int(warm.values.shape[1] * warm.values.dtype.itemsize),
        "cold_s": round(t_cold, 3),
        "cold_molecules_per_s": round(rows / t_cold),
        "warm_median_s": round(t_warm, 4),
        "warm_molecules_per_s": round(rows / t_warm),
        "warm_vs_cold": round(t_cold / t_warm, 1),
        "warm_subset_rows": len(part.ids),
        "warm_subset_median_s": round(t_subset, 4),
        "matrices_equal": bool(equal),
    }


def main() -> None:
    t_library, (library, real) = timed(lambda: build_library(LIBRARY_N))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cache.cryodesk"
        t_fill = fill_project(path, library)
        with Project.open(path) as project:
            service = FeatureService(project)
            report = {
                "benchmark": "feature_cache",
                "library": {
                    "compounds": len(library),
                    "real_structures": real,
                    "build_s": round(t_library, 1),
                },
                "project_fill_s": round(t_fill, 2),
                "cpus": os.cpu_count(),
                "default": bench_set(service, "default"),
                "morgan2": bench_set(service, "morgan2"),
                "goal_warm_molecules_per_s": 100_000,
            }
        close_feature_pools()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    multiprocessing.freeze_support()
    main()
