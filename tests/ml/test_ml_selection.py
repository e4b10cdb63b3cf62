"""Feature-block choice by cross-validation on training rows only."""

from __future__ import annotations

import numpy as np

from cryodesk.ml import Dataset, train_model
from tests.ml.helpers import fast_config, make_regression


def test_training_picks_the_informative_block_and_predicts_from_the_full_matrix() -> None:
    base = make_regression(300, d=4, seed=13)
    noise = np.random.default_rng(0).normal(size=(300, 20)).astype(np.float32)
    X = np.hstack([noise, base.X])  # block "noise" first, then the block the label depends on
    names = [f"n{j}" for j in range(20)] + list(base.feature_names)
    ds = Dataset(X, base.y, names, "regression", base.keys, blocks={"noise": (0, 20), "signal": (20, 24)})
    config = fast_config(members=("lgbm",), feature_candidates=(("noise",), ("signal",), ("noise", "signal")))
    model = train_model(ds, config)
    assert model.selection is not None and model.selection.chosen in (("signal",), ("noise", "signal"))
    assert model.selection.scores["signal"] < model.selection.scores["noise"]
    assert model.summary()["feature_selection"]["metric"] == "rmse"
    # predict takes the full matrix the model was trained from (or only its own columns)
    full = model.predict(X[:5]).value
    own = model.predict(X[:5][:, model.columns]).value
    assert np.allclose(full, own)


def test_rare_columns_are_dropped_on_training_rows_after_block_selection() -> None:
    base = make_regression(300, d=4, seed=14)
    rare = np.zeros((300, 3), np.float32)
    rare[:2, 0] = 1.0  # set in 2 of 300 rows (0.7 %): dropped at a 1 % threshold
    rare[:, 1] = np.nan  # all missing: NaN differs from the (NaN) median, so it is kept
    rare[:60, 2] = 3.0  # set in 20 % of rows: kept
    X = np.hstack([base.X, rare])
    names = [*base.feature_names, "rare", "missing", "common"]
    ds = Dataset(X, base.y, names, "regression", base.keys, blocks={"d": (0, 4), "fp": (4, 7)})
    config = fast_config(members=("lgbm",), feature_candidates=(("d", "fp"),), min_column_fraction=0.01)
    model = train_model(ds, config)
    assert "rare" not in model.feature_names
    assert {"missing", "common", *base.feature_names} <= set(model.feature_names)
    assert model.summary()["n_features_used"] == 6
    assert [names[j] for j in model.columns] == list(model.feature_names)
    assert np.allclose(model.predict(X[:5]).value, model.predict(X[:5][:, model.columns]).value)


def test_frequent_columns_keeps_every_column_rather_than_none() -> None:
    from cryodesk.ml.training import frequent_columns

    X = np.zeros((50, 3), np.float32)
    X[0, 1] = 1.0
    assert frequent_columns(X, 0.1).tolist() == [0, 1, 2]  # nothing frequent: keep all
    X[:10, 2] = 2.0
    assert frequent_columns(X, 0.1).tolist() == [2]
