"""One interface for CPU-heavy batch work: run a function over chunks, with progress and cancellation.

Callers (featurisation, prediction, screening) cut their input into chunks and hand the executor a
picklable *top-level* function that maps one chunk to one result. The executor returns the results in
chunk order. Two implementations live here:

- :class:`InProcessExecutor` runs the chunks one after another in the calling thread. It is the
  default for small inputs, for tests and for code that is already running inside a worker.
- :class:`ProcessPoolExecutor` runs them in worker processes started with ``spawn`` (stdlib
  ``multiprocessing`` through ``concurrent.futures``). ``spawn`` is the start method that works the
  same on Linux, Windows and macOS and inside a frozen (PyInstaller) app, provided the entry point
  calls :func:`multiprocessing.freeze_support` first thing under ``if __name__ == "__main__":``.
  ``fork`` would be faster to start but copies the parent's threads' locks (Qt, SQLite, RDKit's
  logger) into the child, which is how desktop apps deadlock.

Start-up is the pool's fixed cost: a spawned worker imports numpy and RDKit (about half a second
of CPU) before its first chunk. ``ProcessPoolExecutor(preload=..., initializer=...)`` does that work
once per worker at start, and :meth:`ProcessPoolExecutor.warm` starts and initialises every worker
ahead of use (``cryodesk.engine.features.warm_feature_pool`` does it for the app's shared feature
pool), so a running app's runs see only the steady state.

A distributed executor (the screening issue adds one on Dask) implements the same two members:
``map_chunks`` and ``threads_per_task``. Nothing here imports Qt or the store.

Cancellation raises :class:`concurrent.futures.CancelledError`: a stdlib type, so ``chem`` (a lower
layer, which may not import ``engine``) can raise and catch the very same exception in its serial
fallback.
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import multiprocessing
import os
import signal
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Any, TypeVar

__all__ = [
    "CancelCheck",
    "CancelledError",
    "Executor",
    "ExecutorError",
    "InProcessExecutor",
    "ProcessPoolExecutor",
    "ProgressCallback",
    "available_cpus",
    "make_executor",
]

T = TypeVar("T")
R = TypeVar("R")

#: ``progress(done_items, total_items)``; items are the elements of the chunks (molecules).
ProgressCallback = Callable[[int, int], None]
#: Polled between chunks; returning True stops the run with :class:`CancelledError`.
CancelCheck = Callable[[], bool]

CancelledError = cf.CancelledError


class ExecutorError(RuntimeError):
    """The executor itself failed (a worker process died), as opposed to the mapped function."""


def available_cpus() -> int:
    """Return the number of CPUs this process may use (affinity-aware where the OS tells us)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # Windows, macOS
        return max(1, os.cpu_count() or 1)


def _chunk_size(chunk: Any) -> int:
    # Progress is counted in items so that a bar reads "3,200 of 7,831 molecules" whatever the chunking.
    try:
        return len(chunk)
    except TypeError:
        return 1


def _check_cancel(cancel: CancelCheck | None) -> None:
    if cancel is not None and cancel():
        raise CancelledError("cancelled by the caller")


class Executor(ABC):
    """Runs ``fn`` over chunks and returns the results in chunk order.

    Subclasses must be usable as context managers; :meth:`close` releases workers.

    Attributes:
        max_workers: how many chunks run at once; callers use it to cut enough chunks.
    """

    max_workers: int = 1

    @property
    @abstractmethod
    def threads_per_task(self) -> int:
        """How many threads one call of ``fn`` may use (for RDKit's ``numThreads`` arguments).

        In-process this is every CPU; in a pool it is the CPUs divided among the workers, so that
        bulk C++ calls inside a task do not oversubscribe the machine.
        """

    @abstractmethod
    def map_chunks(
        self,
        fn: Callable[[T], R],
        chunks: Sequence[T],
        progress: ProgressCallback | None = None,
        cancel: CancelCheck | None = None,
    ) -> list[R]:
        """Apply ``fn`` to every chunk and return the results in the order of ``chunks``.

        Args:
            fn: a picklable top-level function (or ``functools.partial`` of one) of one chunk.
            chunks: the work, already cut; each chunk should be a sized sequence of items.
            progress: called as ``progress(done_items, total_items)`` after each finished chunk.
            cancel: polled before and while chunks run; when it returns True the run stops and
                :class:`CancelledError` is raised. Chunks already running in other processes are
                abandoned (their results are discarded).

        Raises:
            CancelledError: ``cancel()`` returned True.
            ExecutorError: a worker process died (e.g. a native crash).
            Exception: whatever ``fn`` raised, re-raised in the caller.
        """

    def imap_chunks(self, fn: Callable[[T], R], chunks: Iterable[T]) -> Iterator[tuple[T, R]]:
        """Stream ``(chunk, fn(chunk))`` in input order from a possibly endless chunk iterator.

        Unlike :meth:`map_chunks` the chunks are not materialised, so a file of any size streams with
        flat memory and the caller can commit chunk *i* (with its checkpoint) before chunk *i+1*
        arrives. To cancel, stop iterating (close the generator): unfinished work is abandoned.
        """
        for chunk in chunks:
            yield chunk, fn(chunk)

    def close(self) -> None:
        """Release worker resources; the executor may be used again (workers restart lazily)."""
        return None  # nothing to release by default (in-process, remote executors without sessions)

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class InProcessExecutor(Executor):
    """Runs chunks one after another in the calling thread."""

    def __init__(self, threads_per_task: int | None = None) -> None:
        self._threads = threads_per_task or available_cpus()

    @property
    def threads_per_task(self) -> int:
        return self._threads

    def map_chunks(
        self,
        fn: Callable[[T], R],
        chunks: Sequence[T],
        progress: ProgressCallback | None = None,
        cancel: CancelCheck | None = None,
    ) -> list[R]:
        total = sum(_chunk_size(c) for c in chunks)
        done = 0
        results: list[R] = []
        for chunk in chunks:
            _check_cancel(cancel)
            results.append(fn(chunk))
            done += _chunk_size(chunk)
            if progress is not None:
                progress(done, total)
        return results


def _ignore_sigint() -> None:
    # Ctrl-C in the CLI must reach the parent only; it cancels the run and shuts the pool down.
    # Otherwise every worker prints its own KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _init_worker(
    preload: tuple[str, ...],
    initializer: Callable[..., object] | None,
    initargs: tuple[Any, ...],
    ready: Any,
) -> None:
    """Runs once in every worker before its first chunk: the work a chunk would otherwise pay for.

    Importing the preload modules (RDKit, ``rdkit.Chem.Descriptors``...) and running the caller's
    initializer (building cached function tables) here means a pool started ahead of use (see
    :meth:`ProcessPoolExecutor.warm`) serves its first chunk at full speed. ``ready`` is a
    semaphore the worker releases when it is done, which is how ``warm(wait=True)`` knows.
    """
    _ignore_sigint()
    for module in preload:
        importlib.import_module(module)
    if initializer is not None:
        initializer(*initargs)
    ready.release()


def _noop() -> None:
    """A task that makes the pool start one more worker (``concurrent.futures`` spawns per submit)."""
    return None


class ProcessPoolExecutor(Executor):
    """Runs chunks in ``spawn``-started worker processes (stdlib ``concurrent.futures`` pool).

    The pool starts on first use (or on :meth:`warm`) and stays up until :meth:`close`, so repeated
    calls (a GUI featurising one table after another) pay the start-up cost (importing RDKit in each
    worker, about half a second of CPU) once. At most ``2 * max_workers`` chunks are in flight, so
    memory stays bounded on big inputs and a cancellation does not leave a long queue behind.

    One executor may be shared by several threads (the app's feature pool serves the job thread and
    the views): pool start and stop are locked, and a cancelled or failed run only kills the workers
    when no other run is using them (otherwise it drops its own queued chunks and lets the running
    ones finish, at most a chunk's time).
    """

    def __init__(
        self,
        max_workers: int | None = None,
        *,
        start_method: str = "spawn",
        max_tasks_per_child: int | None = None,
        poll_interval: float = 0.05,
        preload: Sequence[str] = (),
        initializer: Callable[..., object] | None = None,
        initargs: tuple[Any, ...] = (),
    ) -> None:
        """Create the executor (workers start lazily, or on :meth:`warm`).

        Args:
            max_workers: worker processes; default: the CPUs available to this process.
            start_method: ``"spawn"`` (default, safe everywhere), ``"forkserver"`` or ``"fork"``.
            max_tasks_per_child: restart a worker after this many chunks (bounds leaks in native
                code); None keeps workers for the pool's life.
            poll_interval: seconds between cancellation checks while waiting for chunks.
            preload: modules every worker imports before its first chunk. With ``forkserver`` they
                are imported once in the fork server, and workers fork from it already loaded.
            initializer: a picklable top-level function run once in every worker after the
                preload (e.g. to build cached function tables); ``initargs`` are its arguments.
        """
        self.max_workers = max_workers or available_cpus()
        self._context = multiprocessing.get_context(start_method)
        if start_method == "forkserver" and preload:
            self._context.set_forkserver_preload(list(preload))
        self._max_tasks_per_child = max_tasks_per_child
        self._poll = poll_interval
        self._preload = tuple(preload)
        self._initializer = initializer
        self._initargs = tuple(initargs)
        self._pool: cf.ProcessPoolExecutor | None = None
        self._ready: Any = None  # semaphore released by each worker once initialised
        self._warm = False  # every worker of the current pool has reported ready
        self._lock = threading.RLock()
        self._active_runs = 0

    @property
    def threads_per_task(self) -> int:
        return max(1, available_cpus() // self.max_workers)

    @property
    def started(self) -> bool:
        """True while worker processes exist (or are starting)."""
        return self._pool is not None

    def _ensure_pool(self) -> cf.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                kwargs: dict[str, Any] = {}
                if self._max_tasks_per_child is not None:
                    kwargs["max_tasks_per_child"] = self._max_tasks_per_child
                self._ready = self._context.Semaphore(0)
                self._warm = False
                self._pool = cf.ProcessPoolExecutor(
                    max_workers=self.max_workers,
                    mp_context=self._context,
                    initializer=_init_worker,
                    initargs=(self._preload, self._initializer, self._initargs, self._ready),
                    **kwargs,
                )
            return self._pool

    def warm(self, *, wait: bool = True, timeout: float | None = 60.0) -> bool:
        """Start every worker now and (with ``wait``) block until all are initialised.

        Call it when the user is about to need the pool (a featurisation or screening dialog opens,
        a project with uncached features is opened) so that the first run does not pay the workers'
        start-up. ``wait=False`` returns at once; the workers start in the background.

        Returns:
            True when all workers are ready (always False with ``wait=False`` on a cold pool).

        Raises:
            ExecutorError: a worker died while starting (e.g. its initializer crashed).
        """
        with self._lock:
            pool = self._ensure_pool()
            if self._warm:
                return True
            ready = self._ready
            # concurrent.futures starts one worker per submit while none is idle: one no-op each.
            for future in [pool.submit(_noop) for _ in range(self.max_workers)]:
                future.add_done_callback(_swallow)
        if not wait:
            return False
        deadline = None if timeout is None else time.monotonic() + timeout
        for _ in range(self.max_workers):
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not _acquire(ready, remaining, pool):
                return False
        with self._lock:
            if self._pool is pool:
                self._warm = True
        return True

    def _discard_pool(self, *, kill: bool) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
            self._warm = False
        if pool is None:
            return
        if kill:
            # Abandon running chunks now: the caller asked to stop (or one failed), and a long
            # RDKit call in a worker cannot be interrupted politely. The next call starts a new pool.
            processes = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in processes:
                if proc.is_alive():
                    proc.terminate()
            for proc in processes:
                proc.join(timeout=5)
        else:
            pool.shutdown(wait=True)

    def _abandon(self, futures: Iterable[cf.Future[Any]]) -> None:
        """Stop a run that was cancelled or failed, without breaking other runs on the same pool."""
        with self._lock:
            others = self._active_runs > 1
        if others:
            for future in futures:
                future.cancel()  # queued chunks of this run only; running ones finish and are dropped
        else:
            self._discard_pool(kill=True)

    def close(self) -> None:
        self._discard_pool(kill=False)

    def map_chunks(
        self,
        fn: Callable[[T], R],
        chunks: Sequence[T],
        progress: ProgressCallback | None = None,
        cancel: CancelCheck | None = None,
    ) -> list[R]:
        chunks = list(chunks)
        if not chunks:
            return []
        _check_cancel(cancel)
        total = sum(_chunk_size(c) for c in chunks)
        with self._lock:
            pool = self._ensure_pool()
            self._active_runs += 1
        window = 2 * self.max_workers
        results: list[Any] = [None] * len(chunks)
        pending: dict[cf.Future[R], int] = {}
        next_index = 0
        done_items = 0
        try:
            while next_index < len(chunks) or pending:
                while next_index < len(chunks) and len(pending) < window:
                    pending[pool.submit(fn, chunks[next_index])] = next_index
                    next_index += 1
                finished, _ = cf.wait(pending, timeout=self._poll, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    index = pending.pop(future)
                    results[index] = future.result()
                    done_items += _chunk_size(chunks[index])
                    if progress is not None:
                        progress(done_items, total)
                _check_cancel(cancel)
        except BrokenProcessPool as exc:
            self._discard_pool(kill=True)
            raise ExecutorError(f"a worker process died while running {_describe(fn)}: {exc}") from exc
        except BaseException:
            # Cancellation, an exception from fn, or KeyboardInterrupt: stop the remaining work.
            self._abandon(pending)
            raise
        finally:
            with self._lock:
                self._active_runs -= 1
        return results

    def imap_chunks(self, fn: Callable[[T], R], chunks: Iterable[T]) -> Iterator[tuple[T, R]]:
        pool = self._ensure_pool()
        window = 2 * self.max_workers
        source = iter(chunks)
        pending: deque[tuple[T, cf.Future[R]]] = deque()
        completed = False
        try:
            for chunk in islice(source, window):
                pending.append((chunk, pool.submit(fn, chunk)))
            while pending:
                chunk, future = pending.popleft()
                result = future.result()
                for nxt in islice(source, 1):
                    pending.append((nxt, pool.submit(fn, nxt)))
                yield chunk, result
            completed = True
        except BrokenProcessPool as exc:
            self._discard_pool(kill=True)
            raise ExecutorError(f"a worker process died while running {_describe(fn)}: {exc}") from exc
        finally:
            if not completed and self._pool is not None:
                # Stopped early (cancel, error, or the consumer closed us): drop queued work now.
                self._discard_pool(kill=True)


def _swallow(future: cf.Future[Any]) -> None:
    # Warm-up no-ops: a failure shows up as a broken pool on the next real call, with its reason.
    if not future.cancelled():
        future.exception()


def _acquire(ready: Any, timeout: float | None, pool: cf.ProcessPoolExecutor) -> bool:
    """Wait for one worker's ready signal, noticing a pool that broke while starting."""
    step = 0.1
    waited = 0.0
    while timeout is None or waited < timeout:
        if ready.acquire(timeout=step):
            return True
        waited += step
        if getattr(pool, "_broken", False):
            raise ExecutorError(f"a worker process died while starting: {pool._broken}")
    return False


def _describe(fn: Callable[..., Any]) -> str:
    inner = getattr(fn, "func", fn)  # functools.partial
    return getattr(inner, "__qualname__", repr(inner))


def make_executor(workers: int | None = None, *, min_items: int = 0, n_items: int | None = None) -> Executor:
    """Pick an executor: a process pool when it pays, in-process otherwise.

    Args:
        workers: number of processes; 1 (or a single-CPU machine) means in-process.
        min_items: below this many items the start-up cost of a pool outweighs the gain.
        n_items: the number of items the caller is about to process, if known.
    """
    workers = workers or available_cpus()
    if workers <= 1 or (n_items is not None and n_items < min_items):
        return InProcessExecutor()
    return ProcessPoolExecutor(workers)
