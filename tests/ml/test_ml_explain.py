"""Permutation importance and LightGBM SHAP contributions mapped to feature names."""

from __future__ import annotations

import numpy as np
import pytest

from cryodesk.ml import train_model
from tests.ml.helpers import fast_config, make_regression


def test_contributions_add_up_and_name_the_driving_feature() -> None:
    ds = make_regression(400, seed=7)
    model = train_model(ds, fast_config(members=("lgbm", "rf")))
    expl = model.explain(ds.X[:5], top=3)
    lgbm = model.ensemble.member("lgbm")
    raw = lgbm.predict(ds.X[:5])
    for e, r in zip(expl, raw, strict=True):
        assert e.raw_output == pytest.approx(r, rel=1e-5, abs=1e-5)
        assert all(name.startswith("f") for name, _ in e.top)
    # f0 carries the largest linear effect (2 * x0); it leads most explanations.
    assert sum(e.top[0][0] == "f0" for e in expl) >= 3


def test_permutation_importance_per_member_ranks_informative_features_first() -> None:
    ds = make_regression(500, seed=8)
    model = train_model(ds.subset(np.arange(400)), fast_config(members=("lgbm", "rf")))
    held = ds.subset(np.arange(400, 500))
    imp = model.permutation_importance(held.X, held.y, n_repeats=3, groups={"noise": ["f5", "f6", "f7"]})
    assert set(imp) == {"ensemble", "lgbm", "rf"}
    for ranking in imp.values():
        assert ranking[0].name == "f0"
        noise = (
            next(fi for fi in ranking if fi.name == "noise")
            if any(fi.name == "noise" for fi in ranking)
            else None
        )
        assert noise is None or noise.mean < ranking[0].mean / 5
