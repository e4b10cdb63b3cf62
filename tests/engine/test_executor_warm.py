"""The process pool's warm start: preload + initializer per worker, warm(), sharing between runs.

The chunk functions below run in spawned workers, which import them from this module by name
(``tests.engine`` is a package), so they must stay top-level.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from cryodesk.engine.executor import CancelledError, ExecutorError, InProcessExecutor, ProcessPoolExecutor
from cryodesk.engine.features import (
    close_feature_pools,
    executor_for,
    feature_pool,
    warm_feature_pool,
)

_INITIALISED: list[int] = []


def _mark_initialised(token: int) -> None:
    _INITIALISED.append(token)


def _worker_state(chunk: list[int]) -> tuple[int, bool, list[int], int]:
    """(pid, Descriptors imported?, initializer tokens seen, rdkit2d function tables cached)."""
    from cryodesk.chem.features import descriptors

    time.sleep(0.05 * len(chunk))  # long enough that both workers take chunks
    return (
        os.getpid(),
        "rdkit.Chem.Descriptors" in sys.modules,
        list(_INITIALISED),
        descriptors._rdkit2d_functions.cache_info().currsize,
    )


def test_warm_starts_every_worker_with_preload_and_initializer_before_any_chunk() -> None:
    with ProcessPoolExecutor(
        2, preload=("rdkit.Chem.Descriptors",), initializer=_mark_initialised, initargs=(7,)
    ) as pool:
        assert not pool.started
        assert pool.warm(timeout=120) is True
        assert pool.started and len(pool._pool._processes) == 2  # both workers, not just one
        assert pool.warm() is True  # already warm: returns at once
        states = pool.map_chunks(_worker_state, [[1]] * 8)
    assert all(imported and tokens == [7] for _, imported, tokens, _ in states)
    assert len({pid for pid, *_ in states}) == 2 and os.getpid() not in {pid for pid, *_ in states}


def test_feature_pool_workers_have_the_feature_tables_built_before_the_first_chunk() -> None:
    close_feature_pools()
    try:
        assert warm_feature_pool(2, wait=True, timeout=120) is True
        states = feature_pool(2).map_chunks(_worker_state, [[1]] * 6)
        # The initializer (batch.warm_up) built the rdkit2d_full function table in every worker.
        assert all(imported and cached == 1 for _, imported, _, cached in states)
        assert executor_for(300, 2) is feature_pool(2)  # a running pool pays even for small inputs
    finally:
        close_feature_pools()
    assert isinstance(executor_for(300, 2), InProcessExecutor)  # cold: start-up would not pay
    assert isinstance(executor_for(10_000, 1), InProcessExecutor)
    assert executor_for(10_000, 2) is feature_pool(2)
    close_feature_pools()


def test_a_worker_that_cannot_start_is_reported_by_warm() -> None:
    with ProcessPoolExecutor(1, preload=("cryodesk_no_such_module",)) as pool:
        with pytest.raises(ExecutorError, match="died while starting"):
            pool.warm(timeout=120)


def test_cancelling_one_run_does_not_break_another_run_on_the_same_pool() -> None:
    with ProcessPoolExecutor(2) as pool:
        pool.warm(timeout=120)
        a_progress = threading.Event()
        a_result: list[object] = []
        a_error: list[BaseException] = []

        def run_a() -> None:
            try:
                a_result.extend(
                    pool.map_chunks(time.sleep, [0.25] * 16, progress=lambda d, t: a_progress.set())
                )
            except BaseException as exc:  # reported below
                a_error.append(exc)

        a_thread = threading.Thread(target=run_a)
        a_thread.start()
        assert a_progress.wait(30)
        b_done: list[int] = []
        with pytest.raises(CancelledError):
            pool.map_chunks(
                time.sleep, [0.25] * 8, progress=lambda d, t: b_done.append(d), cancel=lambda: bool(b_done)
            )
        a_still_running = a_thread.is_alive()
        a_thread.join(60)
    assert a_still_running, "run A ended before B was cancelled; the test did not exercise sharing"
    assert not a_error and a_result == [None] * 16
