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
