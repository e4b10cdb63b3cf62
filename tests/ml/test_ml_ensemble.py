"""Learned ensemble weights: non-negative, summing to 1, preferring the better member."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.pipeline import Pipeline

from cryodesk.ml import MEMBER_KINDS, MemberSpec, fit_simplex_weights, register_member, train_model
from tests.ml.helpers import fast_config, make_classification, make_regression


@pytest.fixture
def dummy_member():
    """A member that predicts the training mean / prior: clearly worse than any real model."""

    def factory(task_type: str, seed: int, n_jobs: int) -> Pipeline:
        model = DummyClassifier(strategy="prior") if task_type == "classification" else DummyRegressor()
        return Pipeline([("model", model)])

    register_member(MemberSpec("dummy", factory, {}), replace=True)
    yield "dummy"
    MEMBER_KINDS.pop("dummy", None)


@pytest.mark.parametrize("task_type", ["regression", "classification"])
def test_simplex_weights_are_a_convex_combination_favouring_the_better_member(task_type: str) -> None:
    rng = np.random.default_rng(0)
    n = 2000
    if task_type == "regression":
        y = rng.normal(size=n)
        good, bad = y + 0.1 * rng.normal(size=n), y + 2.0 * rng.normal(size=n)
    else:
        y = (rng.random(n) < 0.3).astype(float)
        good = np.clip(np.where(y == 1, 0.8, 0.1) + 0.05 * rng.normal(size=n), 0.01, 0.99)
        bad = rng.random(n)
    P = np.column_stack([bad, good, 0.5 * (good + bad)])
    w = fit_simplex_weights(P, y, task_type)  # type: ignore[arg-type]
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0)
    assert w[1] > 0.8 and w[0] < 0.1


def test_trained_regression_ensemble_prefers_real_member_over_dummy(dummy_member: str) -> None:
    model = train_model(make_regression(300), fast_config(members=("lgbm", dummy_member)))
    weights = model.ensemble.weights_by_member()
    print("learned weights:", weights)
    assert all(v >= 0 for v in weights.values()) and sum(weights.values()) == pytest.approx(1.0)
    assert weights["lgbm"] > 0.9
    cv = model.cv
    assert cv["ensemble"]["rmse"] < cv["members"][dummy_member]["rmse"]


def test_trained_classifier_weights_and_cv_report(dummy_member: str) -> None:
    model = train_model(make_classification(400), fast_config(members=("rf", "lgbm", dummy_member)))
    weights = model.ensemble.weights_by_member()
    print("learned weights:", weights)
    assert all(v >= 0 for v in weights.values()) and sum(weights.values()) == pytest.approx(1.0)
    assert weights[dummy_member] < 0.1
    assert model.cv["ensemble"]["roc_auc"] > 0.8
    assert "rf uses out-of-bag" in model.cv["oof_note"]


def test_stacking_combiner_also_learns_from_oof(dummy_member: str) -> None:
    model = train_model(
        make_regression(300), fast_config(members=("lgbm", dummy_member), ensemble="stacking")
    )
    w = model.ensemble.weights_by_member()
    assert w["lgbm"] > 0.9 and sum(w.values()) == pytest.approx(1.0)
