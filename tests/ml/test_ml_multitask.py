"""Multi-task training: one model per task on its labelled rows, in-process or through an executor."""

from __future__ import annotations

import numpy as np

from cryodesk.engine.executor import InProcessExecutor
from cryodesk.ml import Dataset, evaluate_split, random_split, train_multitask
from tests.ml.helpers import fast_config, make_classification


def test_missing_labels_single_class_tasks_and_executor() -> None:
    base = make_classification(500, n_tasks=3, seed=11)
    y = base.y.copy()
    y[::3, 0] = np.nan  # task0: a third of the labels missing
    y[:, 2] = 0.0  # task2: one class only -> skipped, and said so
    y[:2, 2] = 1.0
    ds = Dataset(base.X, y, base.feature_names, "classification", base.keys, base.task_names)
    calls: list[tuple[int, int, str]] = []
    model = train_multitask(
        ds,
        fast_config(members=("lgbm",)),
        lambda d, t, m: calls.append((d, t, m)),
        executor=InProcessExecutor(),
    )
    assert set(model.models) == {"task0", "task1"} and "task2" in model.skipped
    assert model.models["task0"].n_train == int((~np.isnan(y[:, 0])).sum())
    assert calls and calls[-1][0] == calls[-1][1] == 2
    preds = model.predict(ds.X[:4])
    assert set(preds) == {"task0", "task1"} and preds["task1"].value.shape == (4,)


def test_multitask_evaluation_reports_mean_and_skips() -> None:
    ds = make_classification(600, n_tasks=2, seed=12)
    report, _ = evaluate_split(ds, random_split(len(ds), seed=1), fast_config(members=("lgbm", "rf")))
    assert set(report.per_task) == {"task0", "task1"}
    assert report.mean["ensemble"]["roc_auc"] > 0.75
    assert set(report.mean) == {"ensemble", "lgbm", "rf"}
    assert report.split["seed"] == 1 and report.split["sizes"]["test"] == 60


def test_progress_reaches_total_and_cancel_stops_training() -> None:
    from concurrent.futures import CancelledError

    import pytest

    from cryodesk.ml import train_model

    ds = make_classification(200, seed=13)
    seen: list[tuple[int, int, str]] = []
    train_model(ds, fast_config(members=("lgbm",)), lambda d, t, m: seen.append((d, t, m)))
    assert seen[-1][0] == seen[-1][1] and [d for d, _, _ in seen] == sorted(d for d, _, _ in seen)
    calls = iter(range(100))
    with pytest.raises(CancelledError):
        train_model(ds, fast_config(members=("lgbm", "rf")), cancel=lambda: next(calls) >= 2)
