"""Small seeded synthetic data and a fast training config for the model-layer tests."""

from __future__ import annotations

import numpy as np

from cryodesk.ml import Dataset, TrainConfig

#: Small members so a full train (3 members, OOF, calibration, domain) takes about a second.
FAST_PARAMS = {
    "rf": {"n_estimators": 40},
    "lgbm": {"n_estimators": 300, "learning_rate": 0.1, "early_stopping_rounds": 20, "colsample_bytree": 0.8},
    "mlp": {"hidden_layer_sizes": (16,), "max_epochs": 40, "patience": 5, "alpha": 0.1},
}


def fast_config(**overrides: object) -> TrainConfig:
    """A TrainConfig with small members and 3 folds (overridable)."""
    base: dict[str, object] = {"params": FAST_PARAMS, "n_folds": 3, "domain": "knn", "seed": 0}
    base.update(overrides)
    return TrainConfig(**base)  # type: ignore[arg-type]


def make_regression(n: int = 400, d: int = 8, noise: float = 0.3, seed: int = 0) -> Dataset:
    """y = a smooth nonlinear function of the first three features plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = 2 * X[:, 0] + np.sin(2 * X[:, 1]) + 0.5 * X[:, 2] ** 2 + noise * rng.normal(size=n)
    keys = np.array([f"KEY{i:06d}" for i in range(n)])
    return Dataset(
        X,
        y,
        [f"f{j}" for j in range(d)],
        "regression",
        keys,
        ("y",),
        feature_set="synthetic",
        feature_version="1",
    )


def make_classification(n: int = 500, d: int = 8, seed: int = 0, n_tasks: int = 1) -> Dataset:
    """Labels from a logistic model of the first two features (several tasks share the features)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    cols = []
    for t in range(n_tasks):
        logit = 2.5 * X[:, t % d] - 1.5 * X[:, (t + 1) % d] - 1.0
        cols.append((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float))
    y = np.column_stack(cols) if n_tasks > 1 else cols[0]
    keys = np.array([f"KEY{i:06d}" for i in range(n)])
    names = tuple(f"task{t}" for t in range(n_tasks))
    return Dataset(
        X,
        y,
        [f"f{j}" for j in range(d)],
        "classification",
        keys,
        names,
        feature_set="synthetic",
        feature_version="1",
    )
