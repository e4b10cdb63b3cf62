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
from functools import lru_cache, partial
from typing import Protocol, TypeVar

import numpy as np
from threadpoolctl import ThreadpoolController

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
    "warm_up",
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


@lru_cache(maxsize=1)
def _blas_controller() -> ThreadpoolController:
    # Scanning the loaded libraries costs ~4 ms, once per process; a limit on the cached controller
    # costs ~0.04 ms, which a one-molecule prediction can afford.
    return ThreadpoolController()


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
    # numpy's BLAS is held to one thread: the descriptors' matrices are tiny, and OpenBLAS's own
    # threads compete with the other pool worker (the full RDKit list ran 2-2.4x slower when the other
    # core was busy, 1.1x on an idle machine; tests/bench/bench_features.py). Parallelism comes from
    # the worker processes instead.
    with quiet_rdkit(), _blas_controller().limit(limits=1, user_api="blas"):
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


# Chunk planning. A chunk should be about a second of single-core work at most, so that progress
# moves and cancel answers within a second, while per-chunk overhead (pickling a few kB of SMILES
# in, a float32 block out, scheduling) stays around a millisecond, i.e. negligible.
_MAX_CHUNK_MS = 1000.0
# The smallest chunk a pool is handed: below this the per-chunk overhead starts to show.
_MIN_CHUNK_MS = 60.0
# Guided scheduling: a chunk gets at most this share of the work still to be planned per worker,
# so chunks shrink towards the end of the plan and the last ones (the tail during which one worker
# may sit idle) are short.
_GUIDED_SHARE = 0.125
# Heavy atoms per SMILES character (Tox21 median 1 / 1.71): sizes a molecule without parsing it.
_ATOMS_PER_SMILES_CHAR = 1 / 1.75


def _relative_cost(item: Structure) -> float:
    """Estimated work of one structure relative to a typical (~20 heavy atom) molecule.

    Most descriptors grow linearly with size, but a few (Ipc/AvgIpc, BertzCT) explode on big,
    branched molecules: on Tox21 one 90-atom molecule of the full RDKit list costs as much as ~80
    typical ones. The steep term flags those, so the planner puts them in chunks of their own and
    starts them first instead of letting one land in the last chunk, with the other worker idle.
    """
    if item is None:
        return 0.1
    if isinstance(item, str):
        atoms = len(item) * _ATOMS_PER_SMILES_CHAR
    else:
        try:
            atoms = float(item.GetNumHeavyAtoms())
        except AttributeError:
            return 1.0
    # Capped: a long SMILES string (salts, bracket atoms) overstates the size, and the plan only
    # needs to know "isolate this one and start it early", not by how much.
    steep = min((atoms / 40.0) ** 8, 3000.0)
    return (4.0 + 0.4 * atoms + steep) / 12.0


@dataclass(frozen=True, slots=True)
class _Chunk:
    start: int
    stop: int
    cost_ms: float


def _plan_chunks(
    items: Sequence[Structure], feature_set: FeatureSet, workers: int, chunk_size: int | None
) -> list[_Chunk]:
    """Cut ``items`` into contiguous chunks, in the order they should be submitted.

    A fixed ``chunk_size`` gives equal-count chunks in input order. Otherwise chunks are sized by
    estimated work: at most a second each, and on a pool shrinking as the plan proceeds (guided
    scheduling); a pool then gets them largest first (longest-processing-time first), so the
    expensive chunks start early and the run ends on a few short ones.
    """
    n = len(items)
    if chunk_size:
        return [_Chunk(start, min(n, start + chunk_size), 0.0) for start in range(0, n, chunk_size)]
    costs = [feature_set.ms_per_molecule * _relative_cost(item) for item in items]
    remaining = sum(costs)
    chunks: list[_Chunk] = []
    start, acc = 0, 0.0
    target = _chunk_target(remaining, workers)
    for i, cost in enumerate(costs):
        if acc > 0 and acc + cost > target:
            # Close the chunk before an item that would overfill it: an expensive molecule then
            # starts a chunk of its own instead of dragging a full chunk's worth of others along.
            chunks.append(_Chunk(start, i, acc))
            remaining -= acc
            start, acc = i, 0.0
            target = _chunk_target(remaining, workers)
        acc += cost
        if acc >= target or i == n - 1:
            chunks.append(_Chunk(start, i + 1, acc))
            remaining -= acc
            start, acc = i + 1, 0.0
            target = _chunk_target(remaining, workers)
    if workers > 1:
        chunks.sort(key=lambda chunk: -chunk.cost_ms)  # stable: equal chunks keep input order
    return chunks


def _chunk_target(remaining_ms: float, workers: int) -> float:
    if workers <= 1:
        return _MAX_CHUNK_MS
    guided = remaining_ms * _GUIDED_SHARE / workers
    return max(_MIN_CHUNK_MS, min(_MAX_CHUNK_MS, guided))


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
    is_fp = feature_set.kind == "fingerprint"
    dtype = np.uint8 if is_fp else np.float32
    workers = int(getattr(executor, "max_workers", 1) or 1)
    plan = _plan_chunks(items, feature_set, workers, chunk_size)
    chunks = [items[chunk.start : chunk.stop] for chunk in plan]
    fn = partial(_run_chunk, feature_set.compute, width, is_fp, max(1, int(runner.threads_per_task)))
    results = runner.map_chunks(fn, chunks, progress, cancel)
    out = np.zeros((len(items), width), dtype)
    failures: Failures = []
    for chunk, (block, chunk_failures) in zip(plan, results, strict=True):
        out[chunk.start : chunk.stop] = block
        failures.extend((chunk.start + row, reason) for row, reason in chunk_failures)
    failures.sort()
    return out, failures


def warm_up(feature_sets: Sequence[str] = ("default", "rdkit2d_full", "cryo", "morgan2")) -> None:
    """Import and initialise what ``feature_sets`` need, in this process (a pool worker's initializer).

    Runs each set once on ethanol: that imports its RDKit modules (``rdkit.Chem.Descriptors`` with
    its QED and fragment patterns for ``rdkit2d_full``), builds the cached function tables and
    triggers RDKit's own lazy set-up, so a warmed worker's first real chunk runs at full speed. A
    set that cannot be computed here is skipped: the real call reports it, with its reason.
    """
    for name in feature_sets:
        try:
            fs = get_feature_set(name)
            if fs.check is not None:
                fs.check()
            width = fs.fingerprint.n_bytes if fs.fingerprint is not None else fs.width
            _run_chunk(fs.compute, width, fs.kind == "fingerprint", 1, ["CCO"])
        except Exception:  # warm-up is best effort, see the docstring
            continue


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
