"""Scores: ROC-AUC, PR-AUC (average precision) for classifiers; RMSE, MAE, R² for regressors.

Multi-task scores are the mean over tasks, with the per-task values alongside. A classification task
whose labelled rows in the scored split hold only one class has no defined ROC-AUC; it is skipped,
listed in ``skipped`` with the reason, and left out of the mean (MoleculeNet and chemprop do the
same). NaN labels are missing and never scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import average_precision_score, mean_absolute_error, r2_score, roc_auc_score

from cryodesk.ml.datasets import TaskType

__all__ = [
    "CLASSIFICATION_METRICS",
    "REGRESSION_METRICS",
    "ScoreReport",
    "classification_scores",
    "higher_is_better",
    "regression_scores",
    "score",
    "score_tasks",
]

CLASSIFICATION_METRICS = ("roc_auc", "pr_auc")
REGRESSION_METRICS = ("rmse", "mae", "r2")


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of ``metric`` is better (AUCs, R²) or worse (errors)."""
    return metric in ("roc_auc", "pr_auc", "r2")


def classification_scores(y_true: np.ndarray, y_score: np.ndarray) -> dict[str, float]:
    """ROC-AUC and PR-AUC of scores against 0/1 labels (NaN labels dropped).

    Raises:
        ValueError: when the labelled rows hold one class only (the AUCs are undefined).
    """
    y_true, y_score = _labelled(y_true, y_score)
    if np.unique(y_true).size < 2:
        raise ValueError("only one class present")
    return {
        "roc_auc": float(roc_auc_score(y_true, y_score)),
        "pr_auc": float(average_precision_score(y_true, y_score)),
    }


def regression_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """RMSE, MAE and R² (NaN labels dropped)."""
    y_true, y_pred = _labelled(y_true, y_pred)
    if y_true.size == 0:
        raise ValueError("no labelled rows")
    err = y_pred - y_true
    out = {"rmse": float(np.sqrt(np.mean(err**2))), "mae": float(mean_absolute_error(y_true, y_pred))}
    out["r2"] = float(r2_score(y_true, y_pred)) if y_true.size > 1 else float("nan")
    return out


def score(y_true: np.ndarray, y_pred: np.ndarray, task_type: TaskType) -> dict[str, float]:
    """One task's scores by task type (classification takes positive-class scores)."""
    if task_type == "classification":
        return classification_scores(y_true, y_pred)
    return regression_scores(y_true, y_pred)


def _labelled(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true, np.float64).ravel()
    y_pred = np.asarray(y_pred, np.float64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"labels {y_true.shape} and predictions {y_pred.shape} differ in shape")
    keep = ~np.isnan(y_true)
    if np.isnan(y_pred[keep]).any():
        raise ValueError("predictions contain NaN for labelled rows")
    return y_true[keep], y_pred[keep]


@dataclass(frozen=True)
class ScoreReport:
    """Scores over one or more tasks.

    Attributes:
        mean: metric -> mean over the scored tasks.
        per_task: task -> metric -> value.
        skipped: task -> reason, for tasks that could not be scored (one class, no labels).
        n_labelled: task -> number of labelled rows scored.
    """

    mean: dict[str, float]
    per_task: dict[str, dict[str, float]]
    skipped: dict[str, str] = field(default_factory=dict)
    n_labelled: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly form."""
        return {
            "mean": self.mean,
            "per_task": self.per_task,
            "skipped_tasks": self.skipped,
            "n_labelled": self.n_labelled,
        }


def score_tasks(
    y_true: np.ndarray, y_pred: np.ndarray, task_type: TaskType, task_names: Sequence[str] | None = None
) -> ScoreReport:
    """Score each task (column) and average over the tasks that could be scored.

    Args:
        y_true: ``[n]`` or ``[n, t]`` labels with NaN for missing.
        y_pred: same shape: predictions (regression) or positive-class scores (classification).
        task_type: selects the metrics.
        task_names: names for the report (default ``task0``, ``task1``...).
    """
    Y = np.asarray(y_true, np.float64)
    P = np.asarray(y_pred, np.float64)
    if Y.ndim == 1:
        Y, P = Y[:, None], P.reshape(-1, 1)
    names = list(task_names) if task_names is not None else [f"task{j}" for j in range(Y.shape[1])]
    per_task: dict[str, dict[str, float]] = {}
    skipped: dict[str, str] = {}
    counts: dict[str, int] = {}
    for j, name in enumerate(names):
        labelled = ~np.isnan(Y[:, j])
        counts[name] = int(labelled.sum())
        if not labelled.any():
            skipped[name] = "no labelled rows"
            continue
        try:
            per_task[name] = score(Y[:, j], P[:, j], task_type)
        except ValueError as exc:
            skipped[name] = str(exc)
    metrics = CLASSIFICATION_METRICS if task_type == "classification" else REGRESSION_METRICS
    mean = {
        m: float(np.mean([s[m] for s in per_task.values()])) if per_task else float("nan") for m in metrics
    }
    return ScoreReport(mean, per_task, skipped, counts)
