"""Training data: a feature matrix with labels, compound keys and the feature set that made it.

:class:`Dataset` is what every other module of :mod:`cryodesk.ml` takes. It holds numbers only (no
molecules): ``X`` from the feature service, ``y`` from the store's property or assay values, one
InChIKey per row, optional group keys (e.g. scaffold SMILES) and optional packed fingerprints for the
applicability domain.

:func:`deduplicate` merges rows that share an InChIKey under an explicit rule and says what it did:

- regression: the label is the **median** of the replicates; a key whose replicates spread (max - min)
  more than ``max_spread`` is dropped, because no single value can be trusted for it;
- classification: **majority vote** per task; a tie leaves that task's label missing (NaN) for the key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

__all__ = [
    "AssembledFeatures",
    "Dataset",
    "DedupReport",
    "TaskType",
    "assemble_features",
    "deduplicate",
]

TaskType = Literal["regression", "classification"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features, labels and identity of a training or evaluation set.

    Attributes:
        X: ``float32 [n, d]`` features; NaN marks a value that could not be computed.
        y: ``float64 [n]`` (one task) or ``[n, t]`` (multi-task); NaN marks a missing label.
            Classification labels are 0/1.
        feature_names: the ``d`` column names.
        task_type: ``"regression"`` or ``"classification"``.
        keys: one compound key (InChIKey) per row.
        task_names: one name per task (the property or assay key).
        groups: optional group key per row (scaffold SMILES, cluster id) for grouped splits.
        feature_set: name of the feature set (e.g. ``"default+morgan2_counts+maccs"``).
        feature_version: its version string (recorded with the model).
        fingerprints: optional packed bit fingerprints ``uint8 [n, n_bytes]`` (little bit order, as
            the feature service stores them) for a Tanimoto applicability domain.
        name: a label for reports (``"tox21"``, ``"Tg"``).
        blocks: optional named column ranges ``{set_name: (start, stop)}`` (from
            :func:`assemble_features`), so training can choose among feature-block combinations.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    task_type: TaskType
    keys: np.ndarray
    task_names: tuple[str, ...] = ("y",)
    groups: np.ndarray | None = None
    feature_set: str = ""
    feature_version: str = ""
    fingerprints: np.ndarray | None = None
    name: str = ""
    blocks: Mapping[str, tuple[int, int]] | None = None

    def __post_init__(self) -> None:
        X = np.ascontiguousarray(self.X, dtype=np.float32)
        if np.isinf(X).any():  # inf from an overflowing descriptor: treat as missing, like NaN
            X = np.where(np.isinf(X), np.float32(np.nan), X)
        y = np.asarray(self.y, dtype=np.float64)
        keys = np.asarray(self.keys, dtype=object)
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "feature_names", tuple(self.feature_names))
        object.__setattr__(self, "task_names", tuple(self.task_names))
        if self.groups is not None:
            object.__setattr__(self, "groups", np.asarray(self.groups, dtype=object))
        self._validate()

    def _validate(self) -> None:
        n = self.X.shape[0]
        if self.X.ndim != 2:
            raise ValueError(f"X must be 2-D, got shape {self.X.shape}")
        if self.X.shape[1] != len(self.feature_names):
            raise ValueError(f"{self.X.shape[1]} feature columns but {len(self.feature_names)} names")
        if self.y.ndim not in (1, 2) or self.y.shape[0] != n:
            raise ValueError(f"y must be [n] or [n, t] with n={n}, got {self.y.shape}")
        if len(self.task_names) != self.n_tasks:
            raise ValueError(f"{self.n_tasks} tasks but {len(self.task_names)} task names")
        if self.keys.shape != (n,):
            raise ValueError(f"need one key per row ({n}), got {self.keys.shape}")
        if self.groups is not None and self.groups.shape != (n,):
            raise ValueError(f"need one group per row ({n}), got {self.groups.shape}")
        if self.fingerprints is not None and self.fingerprints.shape[0] != n:
            raise ValueError("fingerprints must have one row per sample")
        for block, (start, stop) in (self.blocks or {}).items():
            if not 0 <= start < stop <= self.X.shape[1]:
                raise ValueError(f"block {block!r} spans columns {start}:{stop} of {self.X.shape[1]}")
        if self.task_type not in ("regression", "classification"):
            raise ValueError(f"task_type must be regression or classification, not {self.task_type!r}")
        if self.task_type == "classification":
            labelled = self.y[~np.isnan(self.y)]
            if not np.isin(labelled, (0.0, 1.0)).all():
                raise ValueError("classification labels must be 0, 1 or NaN")

    def __len__(self) -> int:
        return self.X.shape[0]

    @property
    def n_tasks(self) -> int:
        """Number of tasks (columns of ``y``)."""
        return 1 if self.y.ndim == 1 else self.y.shape[1]

    @property
    def Y(self) -> np.ndarray:
        """Labels as ``[n, t]`` whatever the number of tasks."""
        return self.y[:, None] if self.y.ndim == 1 else self.y

    def subset(self, rows: np.ndarray | Sequence[int]) -> Dataset:
        """The rows ``rows`` (indices or a boolean mask) as a new dataset, in that order."""
        rows = np.asarray(rows)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        return replace(
            self,
            X=self.X[rows],
            y=self.y[rows],
            keys=self.keys[rows],
            groups=None if self.groups is None else self.groups[rows],
            fingerprints=None if self.fingerprints is None else self.fingerprints[rows],
        )

    def block_columns(self, names: Sequence[str]) -> np.ndarray:
        """Column indices of the named blocks, in block order given.

        Raises:
            KeyError: a name is not one of :attr:`blocks`.
        """
        blocks = self.blocks or {}
        missing = [n for n in names if n not in blocks]
        if missing:
            raise KeyError(f"unknown feature blocks {missing}; this dataset has {sorted(blocks)}")
        return np.concatenate([np.arange(*blocks[n]) for n in names]).astype(np.intp)

    def task(self, index: int | str) -> Dataset:
        """One task as a single-task dataset restricted to the rows labelled for it."""
        j = self.task_names.index(index) if isinstance(index, str) else int(index)
        col = self.Y[:, j]
        rows = np.flatnonzero(~np.isnan(col))
        single = replace(self, y=col, task_names=(self.task_names[j],))
        return single.subset(rows)

    def data_hash(self) -> str:
        """SHA-256 of what a model learns from: features, labels, keys, names, task type and set version.

        Two datasets with the same hash train the same model (given the same config and seed); the
        registry records it so a retrain on changed data is visible.
        """
        h = hashlib.sha256()
        for part in (self.task_type, self.feature_set, self.feature_version, *self.task_names):
            h.update(part.encode())
            h.update(b"\0")
        h.update("\0".join(self.feature_names).encode())
        h.update(np.ascontiguousarray(self.X).tobytes())
        h.update(np.ascontiguousarray(self.y).tobytes())
        h.update("\0".join(str(k) for k in self.keys).encode())
        return h.hexdigest()

    def describe(self) -> dict[str, object]:
        """Sizes and label counts for reports."""
        labelled = (~np.isnan(self.Y)).sum(axis=0)
        info: dict[str, object] = {
            "name": self.name,
            "rows": len(self),
            "features": self.X.shape[1],
            "feature_set": self.feature_set,
            "feature_version": self.feature_version,
            "task_type": self.task_type,
            "tasks": len(self.task_names),
            "labelled_per_task": dict(zip(self.task_names, labelled.tolist(), strict=True)),
        }
        if self.task_type == "classification":
            positives = np.nansum(self.Y, axis=0).astype(int)
            info["positives_per_task"] = dict(zip(self.task_names, positives.tolist(), strict=True))
        return info


@dataclass(frozen=True, eq=False)
class AssembledFeatures:
    """Feature blocks joined into one matrix (see :func:`assemble_features`).

    Attributes:
        X: ``float32 [n, d]``; columns: the ``d`` names; feature_set: set names joined by ``+``;
        version: ``name=version`` pairs joined by ``;``; blocks: ``{set_name: (start, stop)}``.
    """

    X: np.ndarray
    columns: list[str]
    feature_set: str
    version: str
    blocks: dict[str, tuple[int, int]]


def assemble_features(blocks: Sequence[tuple[str, np.ndarray, Sequence[str], str]]) -> AssembledFeatures:
    """Concatenate feature blocks from the feature service into one matrix.

    Args:
        blocks: ``(set_name, values [n, d_i], column_names, set_version)`` per block, e.g. from
            ``FeatureMatrix`` (``fm.feature_set, fm.values, fm.columns, fm.version``).

    Returns:
        :class:`AssembledFeatures`. The set name joins the block names with ``+``; the version joins
        ``name=version`` pairs, so a change of any block's version changes the combined version.
        Column names are prefixed with the set name where two blocks would otherwise collide.
    """
    if not blocks:
        raise ValueError("no feature blocks")
    n = blocks[0][1].shape[0]
    seen: set[str] = set()
    columns: list[str] = []
    for name, values, cols, _ in blocks:
        if values.shape[0] != n or values.shape[1] != len(cols):
            raise ValueError(f"block {name!r} has shape {values.shape} and {len(cols)} names (n={n})")
        for col in cols:
            label = col if col not in seen else f"{name}:{col}"
            seen.add(label)
            columns.append(label)
    X = np.hstack([np.asarray(v, np.float32) for _, v, _, _ in blocks])
    set_name = "+".join(name for name, *_ in blocks)
    version = ";".join(f"{name}={ver}" for name, _, _, ver in blocks)
    spans: dict[str, tuple[int, int]] = {}
    start = 0
    for name, values, _, _ in blocks:
        if name in spans:
            raise ValueError(f"feature block {name!r} given twice")
        spans[name] = (start, start + values.shape[1])
        start += values.shape[1]
    return AssembledFeatures(X, columns, set_name, version, spans)


@dataclass(frozen=True)
class DedupReport:
    """What :func:`deduplicate` did.

    Attributes:
        rule: the rule in words (goes into the model record).
        rows_in, rows_out: row counts before and after.
        duplicate_keys: keys that had more than one row.
        merged_rows: rows folded into another row of the same key.
        dropped: ``(key, reason)`` for keys removed entirely (replicate spread too large).
        ties: ``(key, task)`` classification labels left missing because the vote was tied.
        max_spread: the spread threshold used (regression).
    """

    rule: str
    rows_in: int
    rows_out: int
    duplicate_keys: int
    merged_rows: int
    dropped: list[tuple[str, str]] = field(default_factory=list)
    ties: list[tuple[str, str]] = field(default_factory=list)
    max_spread: float | None = None

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly summary (the dropped and tied keys are listed, not just counted)."""
        return {
            "rule": self.rule,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "duplicate_keys": self.duplicate_keys,
            "merged_rows": self.merged_rows,
            "dropped_keys": len(self.dropped),
            "dropped": [list(d) for d in self.dropped],
            "tied_labels": len(self.ties),
            "ties": [list(t) for t in self.ties],
            "max_spread": self.max_spread,
        }


def _merge_regression(values: np.ndarray, max_spread: float | None) -> tuple[np.ndarray, str | None]:
    """Median per task over replicate rows; a reason when any task's spread exceeds ``max_spread``."""
    merged = np.full(values.shape[1], np.nan)
    for j in range(values.shape[1]):
        col = values[:, j][~np.isnan(values[:, j])]
        if col.size == 0:
            continue
        spread = float(col.max() - col.min())
        if max_spread is not None and spread > max_spread:
            return merged, f"replicate spread {spread:.4g} > {max_spread:g} (values {np.sort(col).tolist()})"
        merged[j] = float(np.median(col))
    return merged, None


def _merge_classification(values: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Majority vote per task; tied tasks stay NaN and are returned."""
    merged = np.full(values.shape[1], np.nan)
    tied = []
    for j in range(values.shape[1]):
        col = values[:, j][~np.isnan(values[:, j])]
        if col.size == 0:
            continue
        ones = int(col.sum())
        zeros = col.size - ones
        if ones == zeros:
            tied.append(j)
        else:
            merged[j] = 1.0 if ones > zeros else 0.0
    return merged, tied


def deduplicate(dataset: Dataset, *, max_spread: float | None = None) -> tuple[Dataset, DedupReport]:
    """Merge rows that share a key (InChIKey) into one row, first occurrence's position and features.

    Args:
        dataset: the data to clean.
        max_spread: regression only: drop a key whose replicate labels of any task span more than this
            (in label units, e.g. 20 for Tg in K). None keeps every key.

    Returns:
        The de-duplicated dataset (rows in order of each key's first occurrence) and a report.
    """
    keys = dataset.keys
    order: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        order.setdefault(str(key), []).append(i)
    rows, labels = [], []
    dropped: list[tuple[str, str]] = []
    ties: list[tuple[str, str]] = []
    Y = dataset.Y
    for key, idx in order.items():
        if len(idx) == 1:
            rows.append(idx[0])
            labels.append(Y[idx[0]])
            continue
        if dataset.task_type == "regression":
            merged, reason = _merge_regression(Y[idx], max_spread)
            if reason is not None:
                dropped.append((key, reason))
                continue
        else:
            merged, tied = _merge_classification(Y[idx])
            ties.extend((key, dataset.task_names[j]) for j in tied)
        rows.append(idx[0])
        labels.append(merged)
    out = dataset.subset(np.asarray(rows, dtype=np.intp))
    y = np.asarray(labels, np.float64).reshape(len(rows), dataset.n_tasks)
    out = replace(out, y=y if dataset.y.ndim == 2 else y[:, 0])
    if dataset.task_type == "regression":
        rule = "median of replicates" + (
            f"; keys whose replicates span more than {max_spread:g} are dropped"
            if max_spread is not None
            else ""
        )
    else:
        rule = "majority vote per task; ties leave the label missing"
    duplicates = sum(1 for idx in order.values() if len(idx) > 1)
    report = DedupReport(
        rule=rule,
        rows_in=len(dataset),
        rows_out=len(out),
        duplicate_keys=duplicates,
        merged_rows=sum(len(idx) - 1 for idx in order.values()),
        dropped=dropped,
        ties=ties,
        max_spread=max_spread if dataset.task_type == "regression" else None,
    )
    return out, report
