"""Executors: the process pool gives the in-process matrix; order, progress, cancel, errors, crashes.

The executor lives in ``cryodesk.engine.executor``; these tests sit with the features because
featurisation is what it exists for (the lead may move the pure executor tests to tests/engine).
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from cryodesk.chem.features import compute_fingerprints, featurize, get_feature_set
from cryodesk.chem.features.batch import _plan_chunks, _relative_cost
from cryodesk.engine.executor import (
    CancelledError,
    ExecutorError,
    InProcessExecutor,
    ProcessPoolExecutor,
    make_executor,
)


@pytest.fixture(scope="module")
def pool() -> ProcessPoolExecutor:
    with ProcessPoolExecutor(2) as executor:
        yield executor


def test_process_pool_gives_the_in_process_matrix(
    pool: ProcessPoolExecutor, mixed_rows: tuple[list[object], dict[int, str]]
) -> None:
    rows, expected = mixed_rows
    local = featurize(rows, "default", InProcessExecutor())
    remote = featurize(rows, "default", pool, chunk_size=40)
    np.testing.assert_array_equal(remote.values, local.values)
    assert remote.failures == local.failures and sorted(i for i, _ in remote.failures) == sorted(expected)
    assert (remote.feature_set, remote.version, remote.columns) == (
        local.feature_set,
        local.version,
        local.columns,
    )


def test_process_pool_fingerprints_and_cryo(pool: ProcessPoolExecutor, tox21_smiles: list[str]) -> None:
    rows = tox21_smiles[:400]
    np.testing.assert_array_equal(
        compute_fingerprints(rows, "morgan2", pool).data, compute_fingerprints(rows, "morgan2").data
    )
    np.testing.assert_array_equal(featurize(rows, "cryo", pool).values, featurize(rows, "cryo").values)


def test_results_in_chunk_order_with_item_progress(pool: ProcessPoolExecutor) -> None:
    chunks = [[1] * n for n in (5, 1, 3, 2)]
    seen: list[tuple[int, int]] = []
    assert pool.map_chunks(len, chunks, progress=lambda d, t: seen.append((d, t))) == [5, 1, 3, 2]
    assert seen[-1] == (11, 11) and len(seen) == 4 and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert pool.map_chunks(len, []) == []


def test_exception_in_a_chunk_reaches_the_caller(pool: ProcessPoolExecutor) -> None:
    with pytest.raises(TypeError):
        pool.map_chunks(int, [["not", "an", "int"]])
    assert pool.map_chunks(len, [[1, 2]]) == [2]  # the executor recovers (new pool)


def test_cancel_stops_a_process_run_between_chunks(pool: ProcessPoolExecutor) -> None:
    progress: list[int] = []
    start = time.perf_counter()
    with pytest.raises(CancelledError):
        pool.map_chunks(
            time.sleep,
            [0.3] * 20,
            progress=lambda d, t: progress.append(d),
            cancel=lambda: len(progress) >= 2,
        )
    assert time.perf_counter() - start < 2.5  # 20 chunks x 0.3 s on 2 workers would take 3 s
    assert pool.map_chunks(len, [[1]]) == [1]  # usable again afterwards


def test_a_dead_worker_is_reported_not_hung(pool: ProcessPoolExecutor) -> None:
    with pytest.raises(ExecutorError, match="died"):
        pool.map_chunks(os._exit, [3])
    assert pool.map_chunks(len, [[1, 2, 3]]) == [3]


def test_in_process_executor_order_progress_cancel() -> None:
    executor = InProcessExecutor()
    seen: list[tuple[int, int]] = []
    assert executor.map_chunks(sum, [[1, 2], [3]], progress=lambda d, t: seen.append((d, t))) == [3, 3]
    assert seen == [(2, 3), (3, 3)]
    with pytest.raises(CancelledError):
        executor.map_chunks(sum, [[1]], cancel=lambda: True)
    assert executor.threads_per_task >= 1


def test_make_executor_prefers_in_process_for_small_inputs() -> None:
    assert isinstance(make_executor(1), InProcessExecutor)
    assert isinstance(make_executor(2, min_items=1000, n_items=10), InProcessExecutor)
    big = make_executor(2, min_items=1000, n_items=10_000)
    assert isinstance(big, ProcessPoolExecutor) and big.threads_per_task >= 1
    big.close()


def test_work_sized_plan_covers_every_row_once_and_isolates_the_expensive_molecules(
    tox21_smiles: list[str],
) -> None:
    rows = tox21_smiles[:3000]
    fs = get_feature_set("rdkit2d_full")
    plan = _plan_chunks(rows, fs, 2, None)
    spans = sorted((chunk.start, chunk.stop) for chunk in plan)
    assert spans[0][0] == 0 and spans[-1][1] == len(rows)
    assert all(stop == next_start for (_, stop), (next_start, _) in zip(spans, spans[1:], strict=False))
    costs = [chunk.cost_ms for chunk in plan]
    assert costs == sorted(costs, reverse=True)  # the expensive chunks are submitted first
    # The longest SMILES (the costliest molecule by the estimate) sits in a chunk of a few rows.
    priciest = max(range(len(rows)), key=lambda i: len(rows[i]))
    holder = next(chunk for chunk in plan if chunk.start <= priciest < chunk.stop)
    assert holder.stop - holder.start <= 3 and holder in plan[:10]
    # Guided sizing: full chunks are about a second, and the run ends on short ones.
    assert max(costs) >= 1000 and max(costs[-3:]) <= 300
    # One worker (or in-process): input order; a chunk closes once it holds a second of work.
    serial = _plan_chunks(rows, fs, 1, None)
    assert [c.start for c in serial] == sorted(c.start for c in serial)
    last_costs = [fs.ms_per_molecule * _relative_cost(rows[c.stop - 1]) for c in serial]
    assert all(c.cost_ms - last < 1000 for c, last in zip(serial, last_costs, strict=True))


def test_pool_with_the_default_plan_gives_the_in_process_matrix_and_failures(
    pool: ProcessPoolExecutor, tox21_smiles: list[str]
) -> None:
    rows: list[object] = list(tox21_smiles[:1500])
    for position in (3, 700, 1499):
        rows.insert(position, "C1CC")
    local = featurize(rows, "default", InProcessExecutor())
    remote = featurize(rows, "default", pool)  # work-sized chunks, submitted largest first
    np.testing.assert_array_equal(remote.values, local.values)
    assert remote.failures == local.failures
    assert {3, 700, 1499} <= {row for row, _ in remote.failures}
