"""Held-out evaluation: train on the development rows of a split, score on its test rows.

The test rows cannot influence training by construction: :func:`evaluate_split` builds the training
dataset from ``split.development`` (train + valid) and passes only that object to the trainer;
the test rows' features are used once, after training, to predict, and their labels only to score.
Every member, the tuning, the ensemble weights, the calibrator, the conformal residuals and the
domain threshold are fitted inside :func:`cryodesk.ml.training.train_model` from its argument.

The valid part of a train/valid/test split is not used separately: the trainer makes its own
out-of-fold predictions over train + valid (for weights, calibration, conformal and the domain),
which uses those rows better than a single 10 % holdout would.

Reports give, per task: the ensemble's and each member's test scores, conformal coverage and width
(regression), Brier/ECE before and after calibration (classification), error levels in and out of
the applicability domain, the learned weights, the split (name, seed, sizes) and timings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cryodesk.ml.datasets import Dataset, TaskType
from cryodesk.ml.metrics import score
from cryodesk.ml.splits import Folds, Split
from cryodesk.ml.training import (
    CancelCheck,
    MultiTaskModel,
    Predictions,
    ProgressCallback,
    TaskExecutor,
    TrainConfig,
    TrainedModel,
    train_model,
    train_multitask,
)
from cryodesk.ml.uncertainty import calibration_error, interval_coverage

__all__ = ["CrossValidationReport", "EvaluationReport", "cross_validate", "evaluate_split", "fit_on_rows"]


def fit_on_rows(
    dataset: Dataset,
    rows: np.ndarray,
    config: TrainConfig,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    executor: TaskExecutor | None = None,
) -> TrainedModel | MultiTaskModel:
    """Train on ``dataset.subset(rows)`` only (multi-task datasets get one model per task)."""
    train = dataset.subset(rows)
    if dataset.n_tasks > 1:
        return train_multitask(train, config, progress, cancel, executor=executor)
    return train_model(train, config, progress, cancel)


def _as_task_models(model: TrainedModel | MultiTaskModel) -> dict[str, TrainedModel]:
    return model.models if isinstance(model, MultiTaskModel) else {model.task_name: model}


def _predict(
    model: TrainedModel | MultiTaskModel, X: np.ndarray, fps: np.ndarray | None
) -> dict[str, Predictions]:
    if isinstance(model, MultiTaskModel):
        return model.predict(X, fps)
    return {model.task_name: model.predict(X, fps)}


def _domain_errors(y: np.ndarray, pred: Predictions, task_type: TaskType) -> dict[str, Any] | None:
    """Error levels of test rows in and out of the applicability domain."""
    if pred.in_domain is None:
        return None
    keep = ~np.isnan(y)
    y, inside = y[keep], pred.in_domain[keep]
    out: dict[str, Any] = {"n_in": int(inside.sum()), "n_out": int((~inside).sum())}
    if task_type == "regression":
        err = np.abs(pred.value[keep] - y)
        out["mae_in"] = float(err[inside].mean()) if inside.any() else None
        out["mae_out"] = float(err[~inside].mean()) if (~inside).any() else None
        out["rmse_in"] = float(np.sqrt(np.mean(err[inside] ** 2))) if inside.any() else None
        out["rmse_out"] = float(np.sqrt(np.mean(err[~inside] ** 2))) if (~inside).any() else None
    else:
        brier = (pred.value[keep] - y) ** 2
        out["brier_in"] = float(brier[inside].mean()) if inside.any() else None
        out["brier_out"] = float(brier[~inside].mean()) if (~inside).any() else None
        for part, mask in (("in", inside), ("out", ~inside)):
            try:
                out[f"roc_auc_{part}"] = score(y[mask], pred.raw[keep][mask], task_type)["roc_auc"]
            except ValueError:
                out[f"roc_auc_{part}"] = None
    return out


def _task_report(y: np.ndarray, pred: Predictions, model: TrainedModel) -> dict[str, Any]:
    """Scores of one task's predictions on labelled test rows."""
    keep = ~np.isnan(y)
    report: dict[str, Any] = {"n_test_labelled": int(keep.sum())}
    try:
        report["ensemble"] = score(y, pred.raw, model.task_type)
        report["members"] = {name: score(y, p, model.task_type) for name, p in pred.members.items()}
    except ValueError as exc:
        report["skipped"] = str(exc)
        return report
    report["weights"] = model.ensemble.weights_by_member()
    if model.task_type == "classification":
        report["calibration"] = {
            "raw": calibration_error(y[keep], pred.raw[keep]),
            "calibrated": calibration_error(y[keep], pred.value[keep]),
        }
    elif pred.lower is not None and pred.upper is not None:
        report["conformal"] = {
            "alpha": pred.alpha,
            "nominal": 1 - (pred.alpha or 0.0),
            **interval_coverage(y, pred.lower, pred.upper),
        }
    report["domain"] = _domain_errors(y, pred, model.task_type)
    return report


def _mean_over_tasks(per_task: dict[str, dict[str, Any]], who: str) -> dict[str, float]:
    rows = [r[who] if who == "ensemble" else r["members"][who] for r in per_task.values() if "ensemble" in r]
    keys = sorted({k for r in rows for k in r})
    return {k: float(np.mean([r[k] for r in rows])) for k in keys}


@dataclass
class EvaluationReport:
    """Test-split scores of a model trained on the split's development rows."""

    dataset: dict[str, Any]
    split: dict[str, Any]
    config: dict[str, Any]
    per_task: dict[str, dict[str, Any]]
    mean: dict[str, dict[str, float]]
    skipped_tasks: dict[str, str]
    training: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def evaluate_split(
    dataset: Dataset,
    split: Split,
    config: TrainConfig | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    *,
    executor: TaskExecutor | None = None,
) -> tuple[EvaluationReport, TrainedModel | MultiTaskModel]:
    """Train on ``split.development`` and score on ``split.test``.

    Args:
        dataset: all rows; split: row indices of the parts; config: the training config.
        progress, cancel: as for :func:`train_model`.
        executor: trains the tasks of a multi-task dataset in parallel (see :func:`train_multitask`).

    Returns:
        The report and the trained model (trained without the test rows).
    """
    config = config or TrainConfig()
    start = time.perf_counter()
    model = fit_on_rows(dataset, split.development, config, progress, cancel, executor)
    trained = time.perf_counter() - start
    # Only now are the test rows touched: features to predict, labels to score.
    test = dataset.subset(split.test)
    start = time.perf_counter()
    preds = _predict(model, test.X, test.fingerprints)
    predicted = time.perf_counter() - start
    tasks = _as_task_models(model)
    per_task = {}
    for j, name in enumerate(dataset.task_names):
        if name in tasks:
            per_task[name] = _task_report(test.Y[:, j], preds[name], tasks[name])
    skipped = {name: r["skipped"] for name, r in per_task.items() if "skipped" in r}
    if isinstance(model, MultiTaskModel):
        skipped.update({k: f"not trained: {v}" for k, v in model.skipped.items()})
    mean = {who: _mean_over_tasks(per_task, who) for who in ("ensemble", *config.members)}
    return (
        EvaluationReport(
            dataset=dataset.describe(),
            split=split.describe(),
            config=config.as_dict(),
            per_task=per_task,
            mean=mean,
            skipped_tasks=skipped,
            training=model.summary(),
            seconds={"train": trained, "predict": predicted},
        ),
        model,
    )


@dataclass
class CrossValidationReport:
    """Outer cross-validation: per-fold scores, their mean and sd, and pooled held-out scores."""

    dataset: dict[str, Any]
    split: dict[str, Any]
    config: dict[str, Any]
    per_fold: list[dict[str, Any]]
    mean: dict[str, dict[str, float]]
    sd: dict[str, dict[str, float]]
    pooled: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def cross_validate(
    dataset: Dataset,
    folds: Folds,
    config: TrainConfig | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> CrossValidationReport:
    """Outer K-fold evaluation of a single-task dataset (each fold trained with its own inner CV).

    Pooled scores use every row's held-out prediction once per repeat (for one repeat: each row once);
    coverage and domain errors are pooled the same way.
    """
    config = config or TrainConfig()
    if dataset.n_tasks != 1:
        raise ValueError("cross_validate takes a single-task dataset")
    per_fold, pooled_rows = [], []
    start = time.perf_counter()
    names = ("ensemble", *config.members)
    for i, fold in enumerate(folds):
        if cancel is not None and cancel():
            from concurrent.futures import CancelledError

            raise CancelledError("cross-validation cancelled")
        if progress is not None:
            progress(i, len(folds), f"fold {i + 1}/{len(folds)}")
        model = fit_on_rows(dataset, fold.train, config, None, cancel)
        assert isinstance(model, TrainedModel)
        test = dataset.subset(fold.test)
        pred = model.predict(test.X, test.fingerprints)
        report = _task_report(test.Y[:, 0], pred, model)
        report["training"] = {
            "feature_selection": None if model.selection is None else model.selection.as_dict(),
            "tuned_params": {k: v.params for k, v in model.tuning.items()},
        }
        report["fold"] = {
            "repeat": fold.repeat,
            "index": fold.index,
            "train": len(fold.train),
            "test": len(fold.test),
        }
        per_fold.append(report)
        pooled_rows.append((test.Y[:, 0], pred, model))
    seconds = {"total": time.perf_counter() - start}
    mean, sd = {}, {}
    for who in names:
        rows = [
            r["ensemble"] if who == "ensemble" else r["members"][who] for r in per_fold if "ensemble" in r
        ]
        keys = sorted({k for r in rows for k in r})
        mean[who] = {k: float(np.mean([r[k] for r in rows])) for k in keys}
        sd[who] = {k: float(np.std([r[k] for r in rows], ddof=1)) if len(rows) > 1 else 0.0 for k in keys}
    return CrossValidationReport(
        dataset=dataset.describe(),
        split=folds.describe(),
        config=config.as_dict(),
        per_fold=per_fold,
        mean=mean,
        sd=sd,
        pooled=_pooled(pooled_rows, dataset.task_type),
        seconds=seconds,
    )


def _pooled(rows: list[tuple[np.ndarray, Predictions, TrainedModel]], task_type: TaskType) -> dict[str, Any]:
    y = np.concatenate([r[0] for r in rows])
    raw = np.concatenate([r[1].raw for r in rows])
    value = np.concatenate([r[1].value for r in rows])
    members = rows[0][1].members.keys()
    out: dict[str, Any] = {
        "n": int((~np.isnan(y)).sum()),
        "ensemble": score(y, raw, task_type),
        "members": {m: score(y, np.concatenate([r[1].members[m] for r in rows]), task_type) for m in members},
    }
    if all(r[1].lower is not None for r in rows):
        lower = np.concatenate([r[1].lower for r in rows])  # type: ignore[misc]
        upper = np.concatenate([r[1].upper for r in rows])  # type: ignore[misc]
        out["conformal"] = {"alpha": rows[0][1].alpha, **interval_coverage(y, lower, upper)}
    if all(r[1].in_domain is not None for r in rows):
        merged = Predictions(
            value,
            raw,
            None,
            None,
            {},
            np.concatenate([r[1].domain_score for r in rows]),  # type: ignore[misc]
            np.concatenate([r[1].in_domain for r in rows]),  # type: ignore[misc]
        )
        out["domain"] = _domain_errors(y, merged, task_type)
    return out
