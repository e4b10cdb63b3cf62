"""Budgeted hyperparameter search by successive halving, on training rows only.

:func:`tune_member` receives the training matrix and labels and nothing else: there is no argument
through which a test split could reach it. The caller (:func:`cryodesk.ml.training.train_model`)
only ever holds the training rows, and :func:`cryodesk.ml.evaluation.evaluate_split` hands it the
development rows of a split, never the test rows.

The search is sklearn's ``HalvingRandomSearchCV``: ``budget`` random candidates from the member's
search space are scored by inner cross-validation on a small sample of the training rows; the best
third go on to three times as many rows, and so on until the full training set. A Bayesian optimiser
(Optuna's TPE sampler with a median pruner) would use a small budget better on the continuous LightGBM
and MLP parameters, but it is not a dependency of this project; successive halving gives most of the
gain at a predictable cost.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.experimental import enable_halving_search_cv  # noqa: F401 - registers the class below
from sklearn.model_selection import HalvingRandomSearchCV, KFold, StratifiedKFold

from cryodesk.ml.datasets import TaskType
from cryodesk.ml.models import MODEL_STEP, make_estimator, member_spec

__all__ = ["TuningResult", "tune_member"]


@dataclass(frozen=True)
class TuningResult:
    """Outcome of one member's search.

    Attributes:
        kind: member kind; params: best parameters (without prefix); score: its inner-CV score
        (``roc_auc`` or ``neg_root_mean_squared_error``); budget: candidates sampled;
        iterations: halving rounds; resources: rows per round; seconds: wall time.
    """

    kind: str
    params: dict[str, Any]
    score: float
    scoring: str
    budget: int
    iterations: int
    resources: list[int] = field(default_factory=list)
    candidates_per_round: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "params": {k: _jsonable(v) for k, v in self.params.items()},
            "score": self.score,
            "scoring": self.scoring,
            "budget": self.budget,
            "iterations": self.iterations,
            "rows_per_round": self.resources,
            "candidates_per_round": self.candidates_per_round,
            "seconds": self.seconds,
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    return value


def _min_resources(n: int, budget: int, factor: int, floor: int) -> int:
    """Rows of the first round, chosen so that the last round uses (nearly) all ``n`` rows.

    sklearn grows the rows by ``factor`` per round from ``min_resources`` and stops after as many
    rounds as fit below ``n``; a too large start would end the search on a subsample, a too small one
    (below ``floor``) would rank candidates on folds too small to mean anything. With few rows the
    search becomes one round on all of them: a plain random search.
    """
    needed = int(np.ceil(np.log(max(budget, 1)) / np.log(factor)))  # rounds to get down to one candidate
    fits = int(np.floor(np.log(max(n / max(floor, 1), 1.0)) / np.log(factor)))  # rounds above the floor
    rounds = max(0, min(needed, fits))
    return max(1, n // factor**rounds)


def tune_member(
    kind: str,
    X: np.ndarray,
    y: np.ndarray,
    task_type: TaskType,
    budget: int,
    *,
    seed: int = 0,
    n_jobs: int = 1,
    cv: int = 3,
    factor: int = 3,
    base_params: Mapping[str, Any] | None = None,
) -> TuningResult:
    """Search a member's hyperparameters with successive halving on the given (training) rows.

    Args:
        kind: member kind (``rf``, ``lgbm``, ``mlp``).
        X, y: training rows only.
        task_type: selects the scoring (ROC-AUC or RMSE) and stratified inner folds.
        budget: number of random candidates in the first round (at least 2; the search cost is
            roughly ``budget / (factor - 1)`` full-size fits times the inner folds).
        seed: sampling and inner-fold seed.
        n_jobs: threads of the member (the search itself runs candidates one after another, which
            keeps memory flat and works in a frozen app, where loky process pools do not).
        cv: inner folds; factor: halving factor.
        base_params: fixed parameters applied before the searched ones.

    Returns:
        A :class:`TuningResult`.
    """
    if budget < 2:
        raise ValueError("a search needs a budget of at least 2 candidates")
    spec = member_spec(kind)
    estimator = make_estimator(kind, task_type, base_params, seed=seed, n_jobs=n_jobs)
    if task_type == "classification":
        scoring = "roc_auc"
        inner = StratifiedKFold(cv, shuffle=True, random_state=seed)
        # Each inner fold needs positives: at least ~20 per fold at the smallest size.
        positives = int(np.sum(y == 1))
        floor = max(cv * 40, int(np.ceil(20 * cv * len(y) / max(positives, 1))))
    else:
        scoring = "neg_root_mean_squared_error"
        inner = KFold(cv, shuffle=True, random_state=seed)
        floor = cv * 40
    min_resources = _min_resources(len(y), budget, factor, floor)
    space = {f"{MODEL_STEP}__{k}": v for k, v in spec.search_space.items()}
    search = HalvingRandomSearchCV(
        estimator,
        space,
        n_candidates=budget,
        factor=factor,
        resource="n_samples",
        min_resources=min_resources,
        cv=inner,
        scoring=scoring,
        refit=False,
        random_state=seed,
        n_jobs=None,
        error_score=np.nan,
    )
    start = time.perf_counter()
    search.fit(X, y)
    best = {k.removeprefix(f"{MODEL_STEP}__"): v for k, v in search.best_params_.items()}
    return TuningResult(
        kind=kind,
        params={**dict(base_params or {}), **best},
        score=float(search.best_score_),
        scoring=scoring,
        budget=budget,
        iterations=int(search.n_iterations_),
        resources=[int(r) for r in search.n_resources_],
        candidates_per_round=[int(c) for c in search.n_candidates_],
        seconds=time.perf_counter() - start,
    )
