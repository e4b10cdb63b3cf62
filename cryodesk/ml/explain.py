"""Explanations: permutation importance per model and per-prediction contributions.

- :func:`permutation_importance`: the drop in score when one column (or one named group of columns,
  such as a whole fingerprint block) is shuffled, averaged over repeats, on held-out rows. Shuffling
  each of 2,000+ fingerprint columns one by one is far too slow for a desktop, so by default only
  ``candidates`` columns are tried (the caller picks them, e.g. the top gain features of the LightGBM
  member); whole blocks can be tried as groups.
- :func:`contributions`: LightGBM's TreeSHAP values (``pred_contrib=True``) per prediction, mapped
  back to feature names; they add up (with the bias) to the LightGBM member's raw output (log-odds for
  classifiers). They explain the LightGBM member, not the weighted ensemble.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from cryodesk.ml.datasets import TaskType
from cryodesk.ml.metrics import score

__all__ = [
    "Contribution",
    "FeatureImportance",
    "contributions",
    "permutation_importance",
    "top_gain_features",
]


@dataclass(frozen=True)
class FeatureImportance:
    """Mean and standard deviation of the score drop when ``name`` is shuffled."""

    name: str
    mean: float
    std: float
    columns: int = 1

    def as_dict(self) -> dict[str, object]:
        return {"feature": self.name, "mean": self.mean, "std": self.std, "columns": self.columns}


def permutation_importance(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    feature_names: Sequence[str],
    task_type: TaskType,
    *,
    candidates: Sequence[str] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    n_repeats: int = 5,
    seed: int = 0,
    max_rows: int = 2000,
    metric: str | None = None,
) -> list[FeatureImportance]:
    """Score drop per shuffled column or column group, largest first.

    Args:
        predict: maps rows to probabilities (classification) or values, e.g. a member's
            ``predict_proba(X)[:, 1]`` or a trained model's output.
        X, y: held-out rows (not the rows the model was fitted on) and their labels.
        feature_names: names of the columns of ``X``.
        task_type: selects the metric (ROC-AUC or RMSE by default).
        candidates: column names to try one by one (None: every column).
        groups: name -> columns shuffled together (each row's values move as one block).
        n_repeats: shuffles per column; seed: their seed; max_rows: subsample for speed.
        metric: ``roc_auc``, ``pr_auc``, ``rmse``, ``mae`` or ``r2``.

    Returns:
        :class:`FeatureImportance` list sorted by mean drop (positive = the model relies on it).
    """
    metric = metric or ("roc_auc" if task_type == "classification" else "rmse")
    sign = 1.0 if metric in ("roc_auc", "pr_auc", "r2") else -1.0
    rng = np.random.default_rng(seed)
    X = np.asarray(X, np.float32)
    y = np.asarray(y, np.float64)
    if len(y) > max_rows:
        rows = rng.choice(len(y), max_rows, replace=False)
        X, y = X[rows], y[rows]
    index = {name: j for j, name in enumerate(feature_names)}
    tries: dict[str, list[int]] = {name: [index[name]] for name in (candidates or feature_names)}
    for name, cols in (groups or {}).items():
        tries[name] = [index[c] for c in cols]
    baseline = score(y, predict(X), task_type)[metric]
    out = []
    for name, cols in tries.items():
        drops = []
        for _ in range(n_repeats):
            shuffled = X.copy()
            shuffled[:, cols] = X[rng.permutation(len(y))][:, cols]
            drops.append(sign * (baseline - score(y, predict(shuffled), task_type)[metric]))
        out.append(FeatureImportance(name, float(np.mean(drops)), float(np.std(drops)), len(cols)))
    return sorted(out, key=lambda fi: fi.mean, reverse=True)


def top_gain_features(lgbm_model: object, feature_names: Sequence[str], top: int = 30) -> list[str]:
    """Names of the ``top`` columns by LightGBM total gain (candidates for permutation importance)."""
    gains = np.asarray(lgbm_model.feature_importances_, np.float64)  # type: ignore[attr-defined]
    order = np.argsort(-gains, kind="stable")[:top]
    return [feature_names[j] for j in order if gains[j] > 0]


@dataclass(frozen=True)
class Contribution:
    """One prediction's explanation.

    Attributes:
        bias: the expected raw output (log-odds or value) before any feature.
        raw_output: bias + sum of all contributions (the LightGBM member's raw prediction).
        top: ``(feature, contribution)`` pairs with the largest absolute contributions.
    """

    bias: float
    raw_output: float
    top: list[tuple[str, float]]

    def as_dict(self) -> dict[str, object]:
        return {"bias": self.bias, "raw_output": self.raw_output, "top": [list(t) for t in self.top]}


def contributions(
    lgbm_model: object, X: np.ndarray, feature_names: Sequence[str], *, top: int = 10
) -> list[Contribution]:
    """Per-prediction SHAP contributions of a LightGBM member, mapped to feature names.

    Args:
        lgbm_model: a fitted ``LGBMEarlyStopping*`` estimator (or anything with
            ``predict_contributions``) trained on columns named ``feature_names``.
        X: rows to explain.
        feature_names: the column names.
        top: how many contributions to keep per row (by absolute value).
    """
    values = np.asarray(lgbm_model.predict_contributions(X), np.float64)  # type: ignore[attr-defined]
    if values.shape[1] != len(feature_names) + 1:
        raise ValueError(f"{values.shape[1] - 1} contributions for {len(feature_names)} feature names")
    out = []
    for row in values:
        feats, bias = row[:-1], float(row[-1])
        order = np.argsort(-np.abs(feats), kind="stable")[:top]
        out.append(
            Contribution(
                bias, float(bias + feats.sum()), [(feature_names[j], float(feats[j])) for j in order]
            )
        )
    return out
