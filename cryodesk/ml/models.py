"""Ensemble members: random forest, LightGBM and an MLP, for classification and regression.

Every member is a scikit-learn estimator built by :func:`make_estimator`, so cross-validation,
successive-halving search and permutation importance treat them alike. Preprocessing lives inside
each estimator (a ``Pipeline``), so it is fitted on the rows the estimator is fitted on and never on
a held-out fold:

- ``rf``: median imputation -> ``RandomForest*`` (500 trees; out-of-bag predictions stand in for
  out-of-fold ones, which saves K refits of the most expensive member).
- ``lgbm``: :class:`LGBMEarlyStoppingClassifier` / ``...Regressor``: LightGBM with its own inner
  early-stopping holdout (NaN handled natively, no preprocessing, so SHAP contributions map 1:1 to
  the dataset's columns).
- ``mlp``: median imputation -> ``arcsinh`` (tames heavy-tailed descriptors such as Ipc or counts)
  -> drop constant columns -> ``StandardScaler`` -> :class:`MLPEarlyStopping*`, an sklearn MLP trained
  epoch by epoch with early stopping on the inner holdout's *loss* (sklearn's own early stopping
  watches accuracy, which is flat on a 5 %-positive assay) and the best epoch's weights restored.

Other kinds can be added with :func:`register_member` (a factory and a search space).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
from scipy.stats import loguniform, randint, uniform
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import VarianceThreshold
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from cryodesk.ml.datasets import TaskType

__all__ = [
    "MEMBER_KINDS",
    "LGBMEarlyStoppingClassifier",
    "LGBMEarlyStoppingRegressor",
    "MLPEarlyStoppingClassifier",
    "MLPEarlyStoppingRegressor",
    "MemberSpec",
    "final_step",
    "make_estimator",
    "member_spec",
    "register_member",
]

#: Prefix of the model step's parameters inside a member pipeline.
MODEL_STEP = "model"
#: Training rows from which LightGBM uses more than one thread.
_LGBM_THREADED_ROWS = 20_000


def _inner_holdout(
    X: np.ndarray, y: np.ndarray, fraction: float, seed: int, classification: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Split off an early-stopping holdout; None when it would be too small to be meaningful."""
    n = len(y)
    n_hold = int(round(fraction * n))
    if n_hold < 10 or n - n_hold < 10:
        return None
    stratify = None
    if classification:
        counts = np.bincount(y.astype(int), minlength=2)
        if counts.min() < 4:  # a holdout without positives cannot rank anything
            return None
        stratify = y
    return train_test_split(X, y, test_size=n_hold, random_state=seed, stratify=stratify)  # type: ignore[return-value]


class _LGBMEarlyStopping(BaseEstimator):
    """LightGBM whose number of trees is chosen by early stopping on an inner holdout.

    After early stopping, the model is refitted on all rows with ``best_iteration * (1 + fraction)``
    trees (more data supports slightly more trees), so no training row is wasted on the holdout.
    """

    _classification = False

    def __init__(
        self,
        n_estimators: int = 2000,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        min_child_samples: int = 20,
        colsample_bytree: float = 0.5,
        subsample: float = 0.8,
        reg_lambda: float = 1.0,
        reg_alpha: float = 0.0,
        max_bin: int = 255,
        early_stopping_fraction: float = 0.1,
        early_stopping_rounds: int = 50,
        refit_full: bool = True,
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.colsample_bytree = colsample_bytree
        self.subsample = subsample
        self.reg_lambda = reg_lambda
        self.reg_alpha = reg_alpha
        self.max_bin = max_bin
        self.early_stopping_fraction = early_stopping_fraction
        self.early_stopping_rounds = early_stopping_rounds
        self.refit_full = refit_full
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _threads(self, n_rows: int) -> int:
        # LightGBM's OpenMP threads spin while waiting; on a shared or busy machine two threads on
        # a few thousand rows ran 10x slower than one (measured on ESOL). Threads pay off only on
        # large training sets.
        return self.n_jobs if n_rows >= _LGBM_THREADED_ROWS else 1

    def _lgbm(self, n_estimators: int, n_rows: int = 0) -> lgb.LGBMModel:
        cls = lgb.LGBMClassifier if self._classification else lgb.LGBMRegressor
        return cls(
            n_estimators=n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            colsample_bytree=self.colsample_bytree,
            subsample=self.subsample,
            subsample_freq=1 if self.subsample < 1.0 else 0,
            reg_lambda=self.reg_lambda,
            reg_alpha=self.reg_alpha,
            max_bin=self.max_bin,
            random_state=self.random_state,
            n_jobs=self._threads(n_rows),
            verbose=-1,
        )

    def fit(self, X: np.ndarray, y: np.ndarray) -> _LGBMEarlyStopping:
        X = np.asarray(X, np.float32)
        y = np.asarray(y, np.float64)
        if self._classification:
            self.classes_ = np.unique(y)
        split = _inner_holdout(X, y, self.early_stopping_fraction, self.random_state, self._classification)
        if split is None:
            # Too few rows for a holdout (tiny folds of successive halving): a modest fixed size.
            self.best_iteration_ = min(self.n_estimators, 200)
            self.model_ = self._lgbm(self.best_iteration_, len(y)).fit(X, y)
        else:
            X_fit, X_hold, y_fit, y_hold = split
            probe = self._lgbm(self.n_estimators, len(y)).fit(
                X_fit,
                y_fit,
                eval_X=(X_hold,),
                eval_y=(y_hold,),
                callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False)],
            )
            self.best_iteration_ = max(1, int(probe.best_iteration_ or self.n_estimators))
            if self.refit_full:
                n_trees = int(round(self.best_iteration_ * (1 + self.early_stopping_fraction)))
                self.model_ = self._lgbm(max(1, n_trees), len(y)).fit(X, y)
            else:
                self.model_ = probe
        self.n_features_in_ = X.shape[1]
        return self

    @property
    def booster_(self) -> lgb.Booster:
        """The trained LightGBM booster (for ``pred_contrib``)."""
        return self.model_.booster_

    @property
    def feature_importances_(self) -> np.ndarray:
        """Total gain per feature (more telling than split counts)."""
        return self.model_.booster_.feature_importance(importance_type="gain")

    def predict_contributions(self, X: np.ndarray) -> np.ndarray:
        """SHAP values per feature plus the bias in the last column (log-odds for classifiers)."""
        num_iteration = getattr(self.model_, "best_iteration_", None) or None
        return self.model_.booster_.predict(
            np.asarray(X, np.float32), pred_contrib=True, num_iteration=num_iteration
        )

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict(np.asarray(X, np.float32))


class LGBMEarlyStoppingClassifier(ClassifierMixin, _LGBMEarlyStopping):
    """Binary LightGBM classifier with inner early stopping (see :class:`_LGBMEarlyStopping`)."""

    _classification = True

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(np.asarray(X, np.float32))


class LGBMEarlyStoppingRegressor(RegressorMixin, _LGBMEarlyStopping):
    """LightGBM regressor with inner early stopping (see :class:`_LGBMEarlyStopping`)."""


class _MLPEarlyStopping(BaseEstimator):
    """An sklearn MLP trained epoch by epoch, keeping the epoch with the lowest holdout loss."""

    _classification = False

    def __init__(
        self,
        hidden_layer_sizes: tuple[int, ...] = (512,),
        alpha: float = 3.0,
        learning_rate_init: float = 1e-3,
        batch_size: int = 128,
        max_epochs: int = 200,
        patience: int = 15,
        early_stopping_fraction: float = 0.1,
        random_state: int = 0,
        n_threads: int = 1,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.alpha = alpha
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.early_stopping_fraction = early_stopping_fraction
        self.random_state = random_state
        self.n_threads = n_threads

    def _net(self, n_rows: int) -> MLPClassifier | MLPRegressor:
        cls = MLPClassifier if self._classification else MLPRegressor
        return cls(
            hidden_layer_sizes=tuple(self.hidden_layer_sizes),
            alpha=self.alpha,
            learning_rate_init=self.learning_rate_init,
            # Tiny fits (first rounds of successive halving) would otherwise warn and clip it anyway.
            batch_size=max(1, min(int(self.batch_size), n_rows)),
            random_state=self.random_state,
            max_iter=1,
            shuffle=True,
        )

    def _loss(self, net: MLPClassifier | MLPRegressor, X: np.ndarray, y: np.ndarray) -> float:
        if self._classification:
            p = np.clip(net.predict_proba(X)[:, 1], 1e-7, 1 - 1e-7)
            return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        return float(np.mean((net.predict(X) - y) ** 2))

    def fit(self, X: np.ndarray, y: np.ndarray) -> _MLPEarlyStopping:
        # BLAS threads: one by default. The matrices are small, and on a busy machine two spinning
        # OpenBLAS threads made a fit 4x slower than one thread (measured on ESOL).
        with threadpool_limits(limits=self.n_threads, user_api="blas"):
            return self._fit(X, y)

    def _fit(self, X: np.ndarray, y: np.ndarray) -> _MLPEarlyStopping:
        X = np.asarray(X, np.float32)
        y = np.asarray(y, np.float64)
        if self._classification:
            self.classes_ = np.unique(y)
            target = y
        else:
            # Scale the target so one learning rate suits logS (sd 2) and Tg in K (sd 60) alike.
            self.y_mean_, self.y_scale_ = float(y.mean()), float(y.std() or 1.0)
            target = (y - self.y_mean_) / self.y_scale_
        split = _inner_holdout(
            X, target, self.early_stopping_fraction, self.random_state, self._classification
        )
        net = self._net(len(split[2]) if split is not None else len(target))
        classes = np.array([0.0, 1.0]) if self._classification else None
        X_fit, X_hold, y_fit, y_hold = split if split is not None else (X, None, target, None)
        best, best_loss, waited = None, np.inf, 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for epoch in range(self.max_epochs):
                if classes is not None:
                    net.partial_fit(X_fit, y_fit, classes=classes)
                else:
                    net.partial_fit(X_fit, y_fit)
                if X_hold is None:
                    continue
                loss = self._loss(net, X_hold, y_hold)
                if loss < best_loss - 1e-6:
                    best, best_loss, waited = copy.deepcopy(net), loss, 0
                    self.best_epoch_ = epoch + 1
                else:
                    waited += 1
                    if waited >= self.patience:
                        break
        if best is None:
            best = net
            self.best_epoch_ = self.max_epochs
        self.net_ = best
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        with threadpool_limits(limits=self.n_threads, user_api="blas"):
            out = self.net_.predict(np.asarray(X, np.float32))
        if self._classification:
            return out
        return out * self.y_scale_ + self.y_mean_


class MLPEarlyStoppingClassifier(ClassifierMixin, _MLPEarlyStopping):
    """Binary MLP classifier with loss-based early stopping (see :class:`_MLPEarlyStopping`)."""

    _classification = True

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        with threadpool_limits(limits=self.n_threads, user_api="blas"):
            return self.net_.predict_proba(np.asarray(X, np.float32))


class MLPEarlyStoppingRegressor(RegressorMixin, _MLPEarlyStopping):
    """MLP regressor with loss-based early stopping on a standardised target."""


class RareColumnFilter(TransformerMixin, BaseEstimator):
    """Drops columns where fewer than ``min_fraction`` of the rows differ from the column's median.

    Fingerprint bits seen in a handful of molecules carry nothing an MLP can learn from, and after
    standardisation they become huge outliers that destabilise training; descriptors are kept.
    """

    def __init__(self, min_fraction: float = 0.02) -> None:
        self.min_fraction = min_fraction

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> RareColumnFilter:
        X = np.asarray(X)
        median = np.nanmedian(X, axis=0) if X.shape[0] else np.zeros(X.shape[1])
        fraction = (X != median).mean(axis=0) if X.shape[0] else np.zeros(X.shape[1])
        self.keep_ = np.flatnonzero(fraction >= self.min_fraction)
        if self.keep_.size == 0:  # never hand the network an empty matrix
            self.keep_ = np.arange(X.shape[1])
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X)[:, self.keep_]


def _clip(X: np.ndarray) -> np.ndarray:
    # After standardisation: a descriptor 40 sd out (a very large molecule) would dominate the
    # first layer's activations; beyond 5 sd the exact value carries no extra information here.
    return np.clip(X, -5.0, 5.0)


def _rf(task_type: TaskType, seed: int, n_jobs: int) -> Pipeline:
    cls = RandomForestClassifier if task_type == "classification" else RandomForestRegressor
    # max_features: sqrt for classification (sklearn's default, the MoleculeNet RF); for regression
    # a third of the columns, the usual QSAR choice (all columns makes bagged trees too alike).
    forest = cls(
        n_estimators=500,
        max_features="sqrt" if task_type == "classification" else 0.33,
        min_samples_leaf=1,
        oob_score=True,
        n_jobs=n_jobs,
        random_state=seed,
    )
    return Pipeline([("impute", _imputer()), (MODEL_STEP, forest)])


def _imputer() -> SimpleImputer:
    # keep_empty_features: a column that is all-NaN in one fold must not shift the columns after it.
    return SimpleImputer(strategy="median", keep_empty_features=True)


def _lgbm(task_type: TaskType, seed: int, n_jobs: int) -> Pipeline:
    cls = LGBMEarlyStoppingClassifier if task_type == "classification" else LGBMEarlyStoppingRegressor
    return Pipeline([(MODEL_STEP, cls(random_state=seed, n_jobs=n_jobs))])


def _mlp(task_type: TaskType, seed: int, n_jobs: int) -> Pipeline:
    cls = MLPEarlyStoppingClassifier if task_type == "classification" else MLPEarlyStoppingRegressor
    return Pipeline(
        [
            ("impute", _imputer()),
            ("arcsinh", FunctionTransformer(np.arcsinh, feature_names_out="one-to-one")),
            ("rare", RareColumnFilter()),
            ("variance", VarianceThreshold()),
            ("scale", StandardScaler()),
            ("clip", FunctionTransformer(_clip, feature_names_out="one-to-one")),
            (MODEL_STEP, cls(random_state=seed)),
        ]
    )


@dataclass(frozen=True)
class MemberSpec:
    """How to build one kind of member and where to search its hyperparameters.

    Attributes:
        kind: short name (``rf``, ``lgbm``, ``mlp``).
        factory: ``factory(task_type, seed, n_jobs) -> Pipeline`` whose last step is named ``model``.
        search_space: parameter name (without the ``model__`` prefix) -> list or scipy distribution.
        has_oob: the fitted model exposes out-of-bag predictions usable as out-of-fold ones.
    """

    kind: str
    factory: Callable[[TaskType, int, int], Pipeline]
    search_space: Mapping[str, Any]
    has_oob: bool = False


MEMBER_KINDS: dict[str, MemberSpec] = {}


def register_member(spec: MemberSpec, *, replace: bool = False) -> None:
    """Make a member kind available to :func:`make_estimator` and training configs."""
    if spec.kind in MEMBER_KINDS and not replace:
        raise ValueError(f"member kind {spec.kind!r} is already registered")
    MEMBER_KINDS[spec.kind] = spec


def member_spec(kind: str) -> MemberSpec:
    """The registered spec of ``kind``.

    Raises:
        KeyError: unknown kind (the message lists the known ones).
    """
    try:
        return MEMBER_KINDS[kind]
    except KeyError:
        raise KeyError(f"unknown model kind {kind!r}; known: {sorted(MEMBER_KINDS)}") from None


def make_estimator(
    kind: str,
    task_type: TaskType,
    params: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
    n_jobs: int = 1,
) -> Pipeline:
    """A fresh, unfitted member estimator.

    Args:
        kind: a registered kind (``rf``, ``lgbm``, ``mlp``).
        task_type: classification or regression.
        params: hyperparameters of the model step, without the ``model__`` prefix.
        seed: random state of the model.
        n_jobs: threads for RF and LightGBM (the MLP uses BLAS threads).
    """
    estimator = member_spec(kind).factory(task_type, seed, n_jobs)
    if params:
        estimator.set_params(**{f"{MODEL_STEP}__{k}": v for k, v in params.items()})
    return estimator


def final_step(estimator: Any) -> Any:
    """The model step of a member pipeline (the estimator itself if it is not a pipeline)."""
    return estimator.named_steps[MODEL_STEP] if isinstance(estimator, Pipeline) else estimator


register_member(
    MemberSpec(
        "rf",
        _rf,
        {
            "max_features": ["sqrt", 0.1, 0.2, 0.33, 0.5],
            "min_samples_leaf": [1, 2, 3, 5],
        },
        has_oob=True,
    )
)
register_member(
    MemberSpec(
        "lgbm",
        _lgbm,
        {
            "learning_rate": loguniform(0.02, 0.1),
            "num_leaves": [15, 31, 63, 127],
            "min_child_samples": [5, 10, 20, 40],
            "colsample_bytree": uniform(0.1, 0.6),
            "subsample": uniform(0.6, 0.4),
            "reg_lambda": loguniform(1e-2, 10.0),
            "max_bin": [63, 255],
        },
    )
)
register_member(
    MemberSpec(
        "mlp",
        _mlp,
        {
            "hidden_layer_sizes": [(256,), (512,), (512, 128), (1024,)],
            "alpha": loguniform(1e-2, 10.0),
            "learning_rate_init": loguniform(2e-4, 3e-3),
            "batch_size": randint(32, 257),
        },
    )
)
