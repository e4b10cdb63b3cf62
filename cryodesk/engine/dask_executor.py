"""A Dask ``distributed`` executor: the same two members as the local executors, run on a cluster.

Import this module only when the user chose Dask (``--scheduler``): ``dask.distributed`` is an
optional dependency and costs about a second to import. Either it connects to a running scheduler
(``tcp://host:8786``) or it starts a ``LocalCluster`` of single-threaded worker processes
(``"local"``), which is how the overhead of going distributed is measured on one machine.

Shipping things once: when ``fn`` is a :func:`functools.partial`, its bound arguments (a screen's
models and profile) are scattered to every worker once per :meth:`imap_chunks` / :meth:`map_chunks`
call and the tasks refer to them, instead of being serialised into every task.

Ordering: results come back in chunk order whatever order the workers finish in, so the caller's
merge (and a screen's tie-break) is the same as with the local executors.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from itertools import islice
from typing import Any, TypeVar

from cryodesk.engine.executor import (
    CancelCheck,
    CancelledError,
    Executor,
    ExecutorError,
    ProgressCallback,
    available_cpus,
)

__all__ = ["DaskExecutor", "dask_available"]

T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger(__name__)


def dask_available() -> bool:
    """True when ``dask.distributed`` can be imported (it is an optional dependency)."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


class DaskExecutor(Executor):
    """Runs chunks as Dask tasks on a scheduler's workers.

    Args:
        scheduler: ``"local"`` (or None) starts a ``LocalCluster``; anything else is a scheduler
            address such as ``tcp://10.0.0.5:8786``.
        n_workers: LocalCluster worker processes (default: the CPUs of this machine).
        window_per_worker: chunks in flight per worker thread (bounds memory on the client and workers).
        memory_limit: LocalCluster per-worker memory limit (Dask's syntax, e.g. ``"2GB"``).
    """

    #: Workers may run on other machines: callers ship artefacts as bytes rather than paths.
    remote = True

    def __init__(
        self,
        scheduler: str | None = "local",
        *,
        n_workers: int | None = None,
        window_per_worker: int = 2,
        memory_limit: str | None = "auto",
    ) -> None:
        self.scheduler = scheduler or "local"
        self.n_workers = n_workers or available_cpus()
        self.max_workers = self.n_workers
        self._window_per_worker = max(1, window_per_worker)
        self._memory_limit = memory_limit
        self._client: Any = None
        self._cluster: Any = None

    @property
    def threads_per_task(self) -> int:
        return 1  # one task per worker thread; RDKit and LightGBM must not spread over the machine

    def _ensure_client(self) -> Any:
        if self._client is not None:
            return self._client
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise ExecutorError("Dask is not installed: pip install 'dask[distributed]'") from exc
        if self.scheduler == "local":
            # Processes, one thread each: RDKit and model code hold the GIL for much of their time.
            self._cluster = LocalCluster(
                n_workers=self.n_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                memory_limit=self._memory_limit,
                silence_logs=logging.ERROR,
            )
            self._client = Client(self._cluster)
        else:
            self._client = Client(self.scheduler, timeout="30s")
            threads = sum(w.get("nthreads", 1) for w in self._client.scheduler_info()["workers"].values())
            self.max_workers = max(1, threads)
        return self._client

    def close(self) -> None:
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def _prepare(self, fn: Callable[[T], R]) -> tuple[Callable[..., R], tuple[Any, ...], dict[str, Any]]:
        """Scatter a partial's bound arguments once to every worker; tasks then carry only references."""
        client = self._ensure_client()
        if isinstance(fn, partial) and (fn.args or fn.keywords):
            args = tuple(client.scatter(a, broadcast=True, hash=False) for a in fn.args)
            kwargs = {k: client.scatter(v, broadcast=True, hash=False) for k, v in fn.keywords.items()}
            return fn.func, args, kwargs
        return fn, (), {}

    def imap_chunks(self, fn: Callable[[T], R], chunks: Iterable[T]) -> Iterator[tuple[T, R]]:
        client = self._ensure_client()
        func, args, kwargs = self._prepare(fn)
        window = self._window_per_worker * self.max_workers
        source = iter(chunks)
        pending: deque[tuple[T, Any]] = deque()

        def submit(chunk: T) -> None:
            pending.append((chunk, client.submit(func, *args, chunk, pure=False, **kwargs)))

        try:
            for chunk in islice(source, window):
                submit(chunk)
            while pending:
                chunk, future = pending.popleft()
                result = _result(future)
                for nxt in islice(source, 1):
                    submit(nxt)
                yield chunk, result
        finally:
            # Stopped early (cancel, error, the consumer closed us): drop the queued work now.
            leftover = [f for _, f in pending]
            if leftover:
                client.cancel(leftover)

    def map_chunks(
        self,
        fn: Callable[[T], R],
        chunks: Sequence[T],
        progress: ProgressCallback | None = None,
        cancel: CancelCheck | None = None,
    ) -> list[R]:
        total = sum(_size(c) for c in chunks)
        done = 0
        results: list[R] = []
        stream = self.imap_chunks(fn, chunks)
        try:
            for chunk, result in stream:
                results.append(result)
                done += _size(chunk)
                if progress is not None:
                    progress(done, total)
                if cancel is not None and cancel():
                    raise CancelledError("cancelled by the caller")
        finally:
            stream.close()
        return results


def _result(future: Any) -> Any:
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker as exc:
        raise ExecutorError(f"Dask workers died running this task: {exc}") from exc


def _size(chunk: Any) -> int:
    try:
        return len(chunk)
    except TypeError:
        return 1
