"""Out-of-fold predictions and ensembles whose weights are learned from them.

Weights are fitted on out-of-fold (OOF) predictions of the members on the training data, never set by
hand and never fitted on a test split:

- ``"weights"`` (default): non-negative weights summing to 1 (a convex combination), minimising the
  log loss of the combined probability (classification) or the squared error (regression), solved by
  SLSQP over the simplex. A member that adds nothing gets weight 0.
- ``"stacking"``: a simple meta-model on the OOF predictions: logistic regression on the members'
  logits (classification) or non-negative least squares with intercept (regression).

:func:`cross_fitted_ensemble_oof` gives the ensemble's own OOF predictions with weights fitted on the
*other* folds only, so the ensemble's CV score is not flattered by fitting its weights on the rows it
is scored on (and calibration / conformal residuals built on it stay honest).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.optimize import minimize, nnls
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from cryodesk.ml.datasets import TaskType
from cryodesk.ml.splits import Folds

__all__ = [
    "EnsembleMethod",
    "EnsembleModel",
    "build_ensemble",
    "cross_fitted_ensemble_oof",
    "fit_combiner",
    "fit_simplex_weights",
    "member_output",
    "out_of_fold",
]

EnsembleMethod = Literal["weights", "stacking"]
_EPS = 1e-6


def member_output(estimator: Any, X: np.ndarray, task_type: TaskType) -> np.ndarray:
    """A fitted member's prediction: positive-class probability or regression value (float64 [n])."""
    if task_type == "classification":
        return np.asarray(estimator.predict_proba(X)[:, 1], np.float64)
    return np.asarray(estimator.predict(X), np.float64).ravel()


def _oob_output(estimator: Any, task_type: TaskType) -> np.ndarray | None:
    """Out-of-bag predictions of a fitted forest pipeline, or None when it has none."""
    model = estimator[-1] if hasattr(estimator, "steps") else estimator
    if task_type == "classification":
        oob = getattr(model, "oob_decision_function_", None)
        return None if oob is None else np.asarray(oob[:, 1], np.float64)
    oob = getattr(model, "oob_prediction_", None)
    return None if oob is None else np.asarray(oob, np.float64).ravel()


def out_of_fold(
    estimator: Any,
    X: np.ndarray,
    y: np.ndarray,
    folds: Folds,
    task_type: TaskType,
    *,
    use_oob: bool = False,
    refit: bool = True,
) -> tuple[np.ndarray, Any]:
    """OOF predictions of one member, and the member refitted on all rows.

    Args:
        estimator: an unfitted estimator (cloned per fold).
        X, y: the training rows only.
        folds: folds over ``0..len(y)-1`` (one repeat: every row is predicted exactly once).
        task_type: classification or regression.
        use_oob: for bagged forests: fit once on all rows and use the out-of-bag predictions as the OOF
            ones (each row predicted by the trees that did not see it; ~K times cheaper). Rows that no
            tree left out (practically never with 500 trees) fall back to K-fold.
        refit: also fit on all rows (False: only the OOF predictions are wanted; returns None).

    Returns:
        ``(oof float64 [n], fitted estimator or None)``.
    """
    full = clone(estimator).fit(X, y) if refit or use_oob else None
    if use_oob:
        oob = _oob_output(full, task_type)
        if oob is not None and np.isfinite(oob).all():
            return oob, full
    oof = np.full(len(y), np.nan)
    for fold in folds:
        model = clone(estimator).fit(X[fold.train], y[fold.train])
        oof[fold.test] = member_output(model, X[fold.test], task_type)
    if np.isnan(oof).any():
        raise ValueError("folds do not cover every row exactly once")
    return oof, full


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def fit_simplex_weights(P: np.ndarray, y: np.ndarray, task_type: TaskType) -> np.ndarray:
    """Non-negative weights summing to 1 that minimise the loss of ``P @ w`` against ``y``.

    Args:
        P: ``[n, m]`` member OOF predictions (probabilities or values).
        y: ``[n]`` labels.
        task_type: log loss (classification) or mean squared error (regression).

    Returns:
        ``float64 [m]`` weights, each in [0, 1], summing to 1.
    """
    P = np.asarray(P, np.float64)
    y = np.asarray(y, np.float64)
    m = P.shape[1]
    if m == 1:
        return np.ones(1)
    if task_type == "classification":

        def loss(w: np.ndarray) -> float:
            p = np.clip(P @ w, _EPS, 1 - _EPS)
            return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

        def grad(w: np.ndarray) -> np.ndarray:
            p = np.clip(P @ w, _EPS, 1 - _EPS)
            return -(P * (y / p - (1 - y) / (1 - p))[:, None]).mean(axis=0)
    else:
        # Centre and scale so SLSQP's tolerances mean the same for logS and for Tg in kelvin.
        scale = float(np.std(y)) or 1.0

        def loss(w: np.ndarray) -> float:
            r = (P @ w - y) / scale
            return float(np.mean(r**2))

        def grad(w: np.ndarray) -> np.ndarray:
            r = (P @ w - y) / scale
            return 2 * (P / scale * r[:, None]).mean(axis=0)

    start = np.full(m, 1.0 / m)
    result = minimize(
        loss,
        start,
        jac=grad,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * m,
        constraints=[{"type": "eq", "fun": lambda w: np.sum(w) - 1.0, "jac": lambda w: np.ones_like(w)}],
        options={"maxiter": 500, "ftol": 1e-12},
    )
    w = np.clip(result.x if result.success else start, 0.0, None)
    if loss(w / w.sum()) > loss(start):  # a failed solve must not do worse than the plain average
        w = start
    return w / w.sum()


@dataclass
class _Stacker:
    """Meta-model over member predictions (see module docstring)."""

    task_type: TaskType
    model: Any = None
    coef: np.ndarray | None = None
    intercept: float = 0.0

    def fit(self, P: np.ndarray, y: np.ndarray) -> _Stacker:
        if self.task_type == "classification":
            self.model = LogisticRegression(C=1.0, max_iter=1000).fit(_logit(P), y)
        else:
            # nnls cannot leave the intercept free; shift y by its mean instead and add it back.
            mean_p, mean_y = P.mean(axis=0), float(y.mean())
            coef, _ = nnls(P - mean_p, y - mean_y)
            self.coef = coef
            self.intercept = mean_y - float(mean_p @ coef)
        return self

    def predict(self, P: np.ndarray) -> np.ndarray:
        if self.task_type == "classification":
            return self.model.predict_proba(_logit(P))[:, 1]
        return P @ self.coef + self.intercept

    def weights(self) -> np.ndarray:
        """Relative member weights for reports (coefficients normalised to sum 1)."""
        raw = self.model.coef_.ravel() if self.task_type == "classification" else self.coef
        raw = np.clip(np.asarray(raw, np.float64), 0.0, None)
        return raw / raw.sum() if raw.sum() > 0 else np.full(raw.shape, 1.0 / raw.size)


def fit_combiner(P: np.ndarray, y: np.ndarray, task_type: TaskType, method: EnsembleMethod) -> Any:
    """A fitted combiner: a weight vector (``"weights"``) or a stacker (``"stacking"``)."""
    if method == "weights":
        return fit_simplex_weights(P, y, task_type)
    if method == "stacking":
        return _Stacker(task_type).fit(P, y)
    raise ValueError(f"unknown ensemble method {method!r}")


def _combine(combiner: Any, P: np.ndarray) -> np.ndarray:
    if isinstance(combiner, np.ndarray):
        return P @ combiner
    return combiner.predict(P)


def cross_fitted_ensemble_oof(
    P: np.ndarray, y: np.ndarray, folds: Folds, task_type: TaskType, method: EnsembleMethod
) -> np.ndarray:
    """Ensemble OOF predictions where each fold's combiner was fitted on the other folds' OOF rows."""
    out = np.full(len(y), np.nan)
    for fold in folds:
        combiner = fit_combiner(P[fold.train], y[fold.train], task_type, method)
        out[fold.test] = _combine(combiner, P[fold.test])
    return out


@dataclass
class EnsembleModel:
    """Fitted members combined by learned weights (or a stacker).

    Attributes:
        task_type: classification or regression.
        names: member kinds in column order (``("rf", "lgbm", "mlp")``).
        members: the fitted member estimators (refitted on all training rows).
        combiner: weight vector or fitted stacker.
        method: ``"weights"`` or ``"stacking"``.
    """

    task_type: TaskType
    names: tuple[str, ...]
    members: tuple[Any, ...]
    combiner: Any
    method: EnsembleMethod = "weights"
    params: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def weights(self) -> np.ndarray:
        """Member weights (normalised stacker coefficients for ``"stacking"``)."""
        if isinstance(self.combiner, np.ndarray):
            return self.combiner
        return self.combiner.weights()

    def weights_by_member(self) -> dict[str, float]:
        """Weights keyed by member kind."""
        return {name: float(w) for name, w in zip(self.names, self.weights, strict=True)}

    def member_predictions(self, X: np.ndarray) -> np.ndarray:
        """``[n, m]`` member predictions (probabilities or values)."""
        return np.column_stack([member_output(m, X, self.task_type) for m in self.members])

    def combine(self, P: np.ndarray) -> np.ndarray:
        """Combine member predictions ``[n, m]`` into the ensemble's output ``[n]``."""
        return _combine(self.combiner, P)

    def predict_output(self, X: np.ndarray) -> np.ndarray:
        """Ensemble output: probability of the positive class (uncalibrated) or regression value."""
        return self.combine(self.member_predictions(X))

    def member(self, name: str) -> Any:
        """A fitted member by kind."""
        return self.members[self.names.index(name)]


def build_ensemble(
    task_type: TaskType,
    names: Sequence[str],
    members: Sequence[Any],
    oof: np.ndarray,
    y: np.ndarray,
    method: EnsembleMethod = "weights",
) -> EnsembleModel:
    """An :class:`EnsembleModel` whose combiner is fitted on the members' OOF predictions ``[n, m]``."""
    combiner = fit_combiner(oof, y, task_type, method)
    return EnsembleModel(task_type, tuple(names), tuple(members), combiner, method)
