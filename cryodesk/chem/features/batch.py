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

from cryodesk.chem.features.fingerprints import FingerprintSpec, unpack_bits
from cryodesk.chem.features.parsing import Structure, parse_structure, quiet_rdkit
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


# Descriptor sets parse and compute in small batches: a molecule that was just parsed is still in
# the CPU cache when its descriptors are computed (parsing a whole chunk first measured 10-20 %
# slower). Fingerprint sets take the whole chunk, for RDKit's threaded bulk call.
_DESCRIPTOR_BATCH = 32


def _run_chunk(
    compute: ComputeFn, width: int, is_fingerprint: bool, num_threads: int, items: Sequence[Structure]
) -> tuple[np.ndarray, Failures]:
    """Parse and featurise one chunk (runs in a worker process; must stay top-level and picklable)."""
    if is_fingerprint:
        block = np.zeros((len(items), width), np.uint8)
    else:
        block = np.full((len(items), width), np.nan, np.float32)
    failures: Failures = []
    step = len(items) if is_fingerprint else _DESCRIPTOR_BATCH
    # Descriptor code logs warnings per molecule ("not removing hydrogen atom without neighbors");
    # in a batch they are noise, and real errors come back as exceptions or parse reasons.
    with quiet_rdkit():
        for start in range(0, len(items), max(1, step)):
            _run_batch(compute, is_fingerprint, num_threads, items, start, start + step, block, failures)
    failures.sort()
    return block, failures


def _run_batch(
    compute: ComputeFn,
    is_fingerprint: bool,
    num_threads: int,
    items: Sequence[Structure],
    start: int,
    stop: int,
    block: np.ndarray,
    failures: Failures,
) -> None:
    mols, positions = [], []
    for i in range(start, min(stop, len(items))):
        mol, reason = parse_structure(items[i])
        if mol is None:
            failures.append((i, reason or "unparsable structure"))
        else:
            mols.append(mol)
            positions.append(i)
    if not mols:
        return
    values, errors = compute(mols, num_threads)
    block[np.asarray(positions, np.intp)] = values if is_fingerprint else _to_float32(values)
    for local, reason in errors:
        row = positions[local]
        block[row] = 0 if is_fingerprint else np.nan
        failures.append((row, reason))


def _default_chunk_size(n: int, executor: Any, feature_set: FeatureSet) -> int:
    # About a second of single-core work per chunk: progress moves and cancel answers within
    # a second or so, while per-chunk overhead (pickling, scheduling) stays negligible.
    by_time = max(1, int(1000 / feature_set.ms_per_molecule))
    workers = int(getattr(executor, "max_workers", 1) or 1)
    if workers <= 1:
        return by_time
    # With workers, also aim for at least four chunks each: molecule sizes vary a lot, and the
    # last chunk of an unbalanced split would otherwise run alone on one core.
    balanced = -(-n // (workers * 4))
    return max(1, min(by_time, max(16, balanced)))


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
