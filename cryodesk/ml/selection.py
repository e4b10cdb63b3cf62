"""Choosing feature blocks by cross-validation on the training rows.

Which descriptors help depends on the endpoint (whole-molecule descriptors for solubility and Tg,
substructure fingerprints for receptor assays). :func:`select_blocks` scores each candidate
combination of a dataset's feature blocks with one fast member (LightGBM by default) by K-fold
out-of-fold predictions on the rows it is given (the training rows) and returns the best. The caller
(:func:`cryodesk.ml.training.train_model`) then trains the full ensemble on the chosen columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cryodesk.ml.datasets import Dataset
from cryodesk.ml.ensemble import out_of_fold
from cryodesk.ml.metrics import higher_is_better, score
from cryodesk.ml.models import make_estimator
from cryodesk.ml.splits import kfold

__all__ = ["BlockSelection", "select_blocks"]


@dataclass(frozen=True)
class BlockSelection:
    """The chosen blocks, their columns, and the CV score of every candidate."""

    chosen: tuple[str, ...]
    columns: np.ndarray
    metric: str
    scores: dict[str, float]
    kind: str
    n_folds: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "chosen": list(self.chosen),
            "metric": self.metric,
            "cv_scores": self.scores,
            "member": self.kind,
            "n_folds": self.n_folds,
            "columns": int(self.columns.size),
        }


def select_blocks(
    dataset: Dataset,
    candidates: Sequence[Sequence[str]],
    *,
    kind: str = "lgbm",
    params: Mapping[str, Any] | None = None,
    n_folds: int = 5,
    seed: int = 0,
    n_jobs: int = 1,
) -> BlockSelection:
    """Score each candidate block combination by OOF predictions of one member; return the best.

    Args:
        dataset: single-task training rows with :attr:`Dataset.blocks`.
        candidates: block-name combinations, e.g. ``[("rdkit2d_full",), ("rdkit2d_full", "maccs")]``.
        kind, params: the member used for scoring (fast and robust to many columns: LightGBM).
        n_folds, seed: the CV folds (stratified for classification).
        n_jobs: member threads.

    Returns:
        :class:`BlockSelection`; ties go to the candidate listed first.
    """
    if not candidates:
        raise ValueError("no candidate block combinations")
    ds = dataset.task(0)
    y = ds.Y[:, 0]
    task_type = ds.task_type
    metric = "roc_auc" if task_type == "classification" else "rmse"
    folds = kfold(len(y), n_folds, seed, stratify=y if task_type == "classification" else None)
    scores: dict[str, float] = {}
    best: tuple[float, tuple[str, ...], np.ndarray] | None = None
    sign = 1.0 if higher_is_better(metric) else -1.0
    for combo in candidates:
        names = tuple(combo)
        cols = ds.block_columns(names)
        estimator = make_estimator(kind, task_type, params, seed=seed, n_jobs=n_jobs)
        oof, _ = out_of_fold(estimator, ds.X[:, cols], y, folds, task_type, refit=False)
        value = score(y, oof, task_type)[metric]
        scores["+".join(names)] = value
        if best is None or sign * value > sign * best[0]:
            best = (value, names, cols)
    assert best is not None
    return BlockSelection(best[1], best[2], metric, scores, kind, n_folds)
