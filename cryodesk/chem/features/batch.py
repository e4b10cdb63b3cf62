"""Batch featurisation: structures in, one float32 matrix (or packed fingerprints) + per-row failures out.

The work is cut into chunks of SMILES (or Mols) and mapped over an executor (see
``cryodesk.engine.executor``; ``chem`` may not import ``engine``, so the executor is duck-typed here
through :class:`ChunkExecutor`). Each chunk parses its own SMILES in the worker, so only short strings
cross the process boundary on the way in and compact float32/uint8 blocks on the way back.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeVar

import numpy as np
from rdkit import rdBase

from cryodesk.chem.features.fingerprints import FingerprintSpec, unpack_bits
from cryodesk.chem.features.parsing import Structure, parse_structure
from cryodesk.chem.features.sets import ComputeFn, FeatureSet, get_feature_set

__all__ = [
    "CancelledError",
    "ChunkExecutor",
    "FeatureMatrix",
    "FingerprintMatrix",
    "SerialExecutor",
    "compute_fingerprints",
    "featurize",
]

T = TypeVar("T")
R = TypeVar("R")
Failures = list[tuple[int, str]]
ProgressCallback = Callable[[int, int], None]
CancelCheck = Callable[[], bool]


class ChunkExecutor(Protocol):
    """What this package needs from an executor (``cryodesk.engine.executor.Executor`` provides it)."""

    @property
    def threads_per_task(self) -> int: ...

    def map_chunks(
        self,
        fn: Callable[[T], R],
        chunks: Sequence[T],
        progress: ProgressCallback | None = None,
        cancel: CancelCheck | None = None,
    ) -> list[R]: ...


class SerialExecutor:
    """Runs chunks one after another in this thread: the ``executor=None`` fallback.

    It mirrors ``cryodesk.engine.executor.InProcessExecutor``, which ``chem`` may not import.
    """

    @property
    def threads_per_task(self) -> int:
        return os.cpu_count() or 1

    def map_chunks(
        self,
        fn: Callable[[T], R],
        chunks: Sequence[T],
        progress: ProgressCallback | None = None,
        cancel: CancelCheck | None = None,
    ) -> list[R]:
        total = sum(len(c) for c in chunks)  # type: ignore[arg-type]
        done, results = 0, []
        for chunk in chunks:
            if cancel is not None and cancel():
                raise CancelledError("cancelled by the caller")
            results.append(fn(chunk))
            done += len(chunk)  # type: ignore[arg-type]
            if progress is not None:
                progress(done, total)
        return results


@dataclass(frozen=True, eq=False)
class FeatureMatrix:
    """A float32 feature matrix with its column names, set name/version and failed rows.

    Attributes:
        values: ``float32 [n, d]``; a failed row is all NaN. A NaN cell in an otherwise good row is a
            descriptor RDKit could not compute for that molecule (or a value beyond float32 range).
        columns: the ``d`` column names, in order.
        feature_set: the set's name; version: the set's version string (cache key part).
        failures: ``(row_index, reason)`` for every row that could not be featurised, sorted by row.
    """

    values: np.ndarray
    columns: list[str]
    feature_set: str
    version: str
    failures: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> np.ndarray:
        """Boolean mask of rows that were featurised."""
        mask = np.ones(self.values.shape[0], bool)
        mask[[i for i, _ in self.failures]] = False
        return mask

    def __len__(self) -> int:
        return self.values.shape[0]


@dataclass(frozen=True, eq=False)
class FingerprintMatrix:
    """Fingerprints as stored: packed bits (or saturated uint8 counts) plus validity.

    Attributes:
        data: ``uint8 [n, ceil(n_bits/8)]`` little-bit-order packed bits, or ``uint8 [n, n_bits]``
            counts when ``counts`` is True. Failed rows are all zero.
        n_bits: fingerprint length; counts: whether ``data`` holds counts.
        fingerprint: the set name (``"morgan2"``...); version: its version string.
        failures: ``(row_index, reason)``; valid: boolean mask of good rows.
    """

    data: np.ndarray
    n_bits: int
    counts: bool
    fingerprint: str
    version: str
    failures: list[tuple[int, str]] = field(default_factory=list)

    @property
    def valid(self) -> np.ndarray:
        """Boolean mask of rows that were fingerprinted."""
        mask = np.ones(self.data.shape[0], bool)
        mask[[i for i, _ in self.failures]] = False
        return mask

    def to_dense(self) -> np.ndarray:
        """``uint8 [n, n_bits]`` bits (0/1) or counts, for models that take dense input."""
        return self.data if self.counts else unpack_bits(self.data, self.n_bits)

    def __len__(self) -> int:
        return self.data.shape[0]


def _to_float32(values: np.ndarray) -> np.ndarray:
    # Descriptors like Ipc exceed float32 for large molecules; an overflowing cell becomes NaN
    # (missing) rather than inf, which most models and scalers would choke on.
    with np.errstate(over="ignore", invalid="ignore"):
        out = values.astype(np.float32)
    overflow = np.isinf(out) & np.isfinite(values)
    if overflow.any():
        out[overflow] = np.nan
    return out


def _run_chunk(
    compute: ComputeFn, width: int, is_fingerprint: bool, num_threads: int, items: Sequence[Structure]
) -> tuple[np.ndarray, Failures]:
    """Parse and featurise one chunk (runs in a worker process; must stay top-level and picklable)."""
    mols, positions, failures = [], [], []
    for i, item in enumerate(items):
        mol, reason = parse_structure(item)
        if mol is None:
            failures.append((i, reason or "unparsable structure"))
        else:
            mols.append(mol)
            positions.append(i)
    if is_fingerprint:
        block = np.zeros((len(items), width), np.uint8)
    else:
        block = np.full((len(items), width), np.nan, np.float32)
    if mols:
        # Descriptor code logs warnings per molecule ("not removing hydrogen atom without
        # neighbors"); in a batch they are noise, and real errors come back as exceptions.
        with rdBase.BlockLogs():
            values, errors = compute(mols, num_threads)
        rows = np.asarray(positions, np.intp)
        block[rows] = values if is_fingerprint else _to_float32(values)
        for local, reason in errors:
            row = positions[local]
            block[row] = 0 if is_fingerprint else np.nan
            failures.append((row, reason))
    failures.sort()
    return block, failures


def _default_chunk_size(n: int, executor: Any, feature_set: FeatureSet) -> int:
    workers = int(getattr(executor, "max_workers", 1) or 1)
    if feature_set.expensive:  # 3D: ~30 ms a molecule; small chunks keep progress and cancel lively
        return max(1, min(32, -(-n // (workers * 4))))
    if workers <= 1:
        return 1000  # progress/cancel granularity of about a second on one core
    # Four chunks per worker balances load (molecule sizes vary a lot) against per-chunk overhead.
    return max(64, min(2000, -(-n // (workers * 4))))


def _map_feature_set(
    structures: Sequence[Structure],
    feature_set: FeatureSet,
    width: int,
    executor: ChunkExecutor | None,
    progress: ProgressCallback | None,
    cancel: CancelCheck | None,
    chunk_size: int | None,
) -> tuple[np.ndarray, Failures]:
    if feature_set.check is not None:
        feature_set.check()  # fail fast in the caller, not once per worker
    runner = executor if executor is not None else SerialExecutor()
    items = list(structures)
    size = chunk_size or _default_chunk_size(len(items), executor, feature_set)
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    is_fp = feature_set.kind == "fingerprint"
    fn = partial(_run_chunk, feature_set.compute, width, is_fp, max(1, int(runner.threads_per_task)))
    results = runner.map_chunks(fn, chunks, progress, cancel)
    if not results:
        dtype = np.uint8 if is_fp else np.float32
        return np.zeros((0, width), dtype), []
    failures: Failures = []
    for chunk_index, (_, chunk_failures) in enumerate(results):
        offset = chunk_index * size
        failures.extend((offset + row, reason) for row, reason in chunk_failures)
    return np.concatenate([block for block, _ in results]), failures


def featurize(
    structures: Sequence[Structure],
    feature_set: str,
    executor: ChunkExecutor | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    *,
    chunk_size: int | None = None,
) -> FeatureMatrix:
    """Compute a feature set for many structures.

    Args:
        structures: SMILES strings or RDKit Mols (None for a missing structure), one per row.
        feature_set: a registered set name (``default``, ``rdkit2d_full``, ``cryo``, ``3d``, or a
            fingerprint name such as ``morgan2``, which is returned unpacked as 0/1 floats).
        executor: where chunks run; None runs them in this thread. Pass a
            ``cryodesk.engine.executor.ProcessPoolExecutor`` to use every core.
        progress: ``progress(done_rows, total_rows)`` after each chunk.
        cancel: polled between chunks; True stops the run with ``CancelledError``.
        chunk_size: rows per chunk; by default chosen from the input size and worker count.

    Returns:
        A :class:`FeatureMatrix` with one row per input, NaN rows for failures.

    Raises:
        UnknownFeatureSet: the name is not registered.
        DescriptorListMismatch: this RDKit cannot compute ``rdkit2d_full`` as versioned.
        CancelledError: ``cancel()`` returned True.
    """
    fs = get_feature_set(feature_set)
    if fs.kind == "fingerprint":
        fp = compute_fingerprints(structures, feature_set, executor, progress, cancel, chunk_size=chunk_size)
        values = fp.to_dense().astype(np.float32)
        values[~fp.valid] = np.nan
        return FeatureMatrix(values, list(fs.columns), fs.name, fs.version, fp.failures)
    values, failures = _map_feature_set(structures, fs, fs.width, executor, progress, cancel, chunk_size)
    return FeatureMatrix(values, list(fs.columns), fs.name, fs.version, failures)


def compute_fingerprints(
    structures: Sequence[Structure],
    fingerprint: str = "morgan2",
    executor: ChunkExecutor | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    *,
    chunk_size: int | None = None,
) -> FingerprintMatrix:
    """Compute packed fingerprints (the storage and similarity-search format).

    Args:
        structures: SMILES strings or RDKit Mols, one per row.
        fingerprint: ``morgan2``, ``morgan2_counts``, ``rdkit``, ``atompair`` or ``maccs``.
        executor, progress, cancel, chunk_size: as for :func:`featurize`. In-process, RDKit's
            ``GetFingerprints(numThreads=...)`` uses all cores for the fingerprint step itself.

    Returns:
        A :class:`FingerprintMatrix`; failed rows are all-zero and listed in ``failures``.
    """
    fs = get_feature_set(fingerprint)
    spec: FingerprintSpec | None = fs.fingerprint
    if fs.kind != "fingerprint" or spec is None:
        raise ValueError(f"{fingerprint!r} is a descriptor set, not a fingerprint")
    data, failures = _map_feature_set(structures, fs, spec.n_bytes, executor, progress, cancel, chunk_size)
    return FingerprintMatrix(data, spec.n_bits, spec.counts, fs.name, fs.version, failures)
