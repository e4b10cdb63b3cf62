"""Honesty checks: shuffled labels score at chance; tuning and training never see the test rows."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.pipeline import Pipeline

from cryodesk.ml import MEMBER_KINDS, Dataset, MemberSpec, evaluate_split, random_split, register_member
from tests.ml.helpers import fast_config, make_classification

SEEN_IDS: set[int] = set()


class SpyClassifier(ClassifierMixin, BaseEstimator):
    """Records the row ids (column 0) of every row it is fitted on; predicts from column 1."""

    def __init__(self, depth: int = 1) -> None:
        self.depth = depth

    def fit(self, X: np.ndarray, y: np.ndarray) -> SpyClassifier:
        SEEN_IDS.update(int(v) for v in X[:, 0])
        self.classes_ = np.array([0.0, 1.0])
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = 1 / (1 + np.exp(-X[:, 1]))
        return np.column_stack([1 - p, p])


@pytest.fixture
def spy_member():
    register_member(
        MemberSpec(
            "spy",
            lambda task_type, seed, n_jobs: Pipeline([("model", SpyClassifier())]),
            {"depth": [1, 2, 3]},
        ),
        replace=True,
    )
    SEEN_IDS.clear()
    yield "spy"
    MEMBER_KINDS.pop("spy", None)


def test_shuffled_labels_score_at_chance() -> None:
    ds = make_classification(1200, seed=3)
    split = random_split(len(ds), seed=0)
    config = fast_config(members=("rf", "lgbm"))
    real, _ = evaluate_split(ds, split, config)
    rng = np.random.default_rng(1)
    shuffled = Dataset(
        ds.X, rng.permutation(ds.y), ds.feature_names, "classification", ds.keys, ds.task_names
    )
    fake, _ = evaluate_split(shuffled, split, config)
    print("real", real.mean["ensemble"], "shuffled", fake.mean["ensemble"])
    assert real.mean["ensemble"]["roc_auc"] > 0.85
    # 150 test rows: the AUC of a random ranking has sd ~0.05 here.
    assert abs(fake.mean["ensemble"]["roc_auc"] - 0.5) < 0.12
    for member in ("rf", "lgbm"):
        assert abs(fake.mean[member]["roc_auc"] - 0.5) < 0.12


def test_tuning_and_training_receive_only_development_rows(spy_member: str) -> None:
    base = make_classification(600, seed=4)
    ids = np.arange(len(base), dtype=np.float32)[:, None]
    X = np.hstack([ids, base.X])  # column 0 = row id, so the spy can tell which rows it saw
    ds = Dataset(X, base.y, ["row_id", *base.feature_names], "classification", base.keys, base.task_names)
    split = random_split(len(ds), seed=5)
    config = fast_config(members=("lgbm", spy_member), tuning_budget=3, tune=(spy_member,))
    report, _ = evaluate_split(ds, split, config)
    assert report.training["tuning"][spy_member]["budget"] == 3  # the search really ran
    assert SEEN_IDS, "the spy was never fitted"
    assert SEEN_IDS <= set(split.development.tolist())
    assert not SEEN_IDS & set(split.test.tolist())
    assert report.split["sizes"] == {"train": 480, "valid": 60, "test": 60}


def test_the_tuner_has_no_way_to_receive_a_test_split() -> None:
    import inspect

    from cryodesk.ml import train_model, tune_member

    # The only data arguments are the training rows; no split, index or test set can be passed in.
    assert [p for p in inspect.signature(tune_member).parameters if p in ("X", "y", "split", "test")] == [
        "X",
        "y",
    ]
    assert list(inspect.signature(train_model).parameters)[:2] == ["dataset", "config"]


def test_held_out_report_states_learned_weights_per_task_and_member_scores() -> None:
    ds = make_classification(600, seed=6, n_tasks=2)
    split = random_split(len(ds), seed=2)
    report, _ = evaluate_split(ds, split, fast_config(members=("rf", "lgbm")))
    for task, result in report.per_task.items():
        print(task, "learned weights:", result["weights"], "ensemble:", result["ensemble"])
        assert set(result["weights"]) == {"rf", "lgbm"}
        assert all(w >= 0 for w in result["weights"].values())
        assert sum(result["weights"].values()) == pytest.approx(1.0)
        assert set(result["members"]) == {"rf", "lgbm"}  # the ensemble is reported against each member
        # the held-out report shows the weights the trained model really combines with
        assert report.training["per_task"][task]["weights"] == result["weights"]
