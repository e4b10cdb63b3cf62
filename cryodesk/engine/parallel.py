"""Ordered parallel map over chunks with stdlib multiprocessing (works in a frozen app).

Chunks come back in input order, so a caller can commit chunk i before chunk i+1 and keep a single
"next row" checkpoint. ``spawn`` is used everywhere: forking a process that has Qt or worker threads
running is unsafe, and spawn is the only start method on Windows and the frozen build anyway.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

PREFETCH_PER_WORKER = 2


def worker_count(requested: int = 0) -> int:
    return requested if requested > 0 else max(1, os.cpu_count() or 1)


def map_ordered(fn: Callable[[list[T]], list[R]], chunks: Iterable[list[T]], workers: int = 0
                ) -> Iterator[tuple[list[T], list[R]]]:
    """Yield (chunk, fn(chunk)) in input order; ``workers=1`` runs in this process.

    Only a bounded number of chunks is in flight, so huge inputs stream with flat memory and a
    cancelled caller (it just stops iterating) leaves little work behind.
    """
    count = worker_count(workers)
    if count == 1:
        for chunk in chunks:
            yield chunk, fn(chunk)
        return
    ctx = mp.get_context("spawn")
    with ctx.Pool(count) as pool:
        iterator = iter(chunks)
        pending = [(c, pool.apply_async(fn, (c,))) for c in islice(iterator, count * PREFETCH_PER_WORKER)]
        while pending:
            chunk, future = pending.pop(0)
            result = future.get()
            nxt = next(iterator, None)
            if nxt is not None:
                pending.append((nxt, pool.apply_async(fn, (nxt,))))
            yield chunk, result
