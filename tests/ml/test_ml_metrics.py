"""Metrics, including multi-task means that skip tasks with one class."""

from __future__ import annotations

import numpy as np
import pytest

from cryodesk.ml import classification_scores, regression_scores, score_tasks


def test_regression_scores() -> None:
    s = regression_scores(np.array([1.0, 2.0, 3.0, np.nan]), np.array([1.0, 2.0, 5.0, 100.0]))
    assert s["mae"] == pytest.approx(2 / 3) and s["rmse"] == pytest.approx(np.sqrt(4 / 3))


def test_multitask_mean_skips_single_class_tasks_and_says_so() -> None:
    y = np.array([[0, 1, 1], [1, 1, np.nan], [0, 1, 0], [1, 1, 1]], float)
    p = np.array([[0.1, 0.5, 0.9], [0.9, 0.5, 0.5], [0.2, 0.5, 0.1], [0.8, 0.5, 0.8]])
    report = score_tasks(y, p, "classification", ["a", "b", "c"])
    assert set(report.per_task) == {"a", "c"}
    assert "one class" in report.skipped["b"]
    assert report.mean["roc_auc"] == pytest.approx(1.0)
    assert report.n_labelled == {"a": 4, "b": 4, "c": 3}
    with pytest.raises(ValueError):
        classification_scores(np.array([1.0, 1.0]), np.array([0.2, 0.3]))
