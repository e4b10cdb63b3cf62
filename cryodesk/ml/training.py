"""Training: tuned members, a learned ensemble, calibration, conformal intervals and a domain, in one call.

:func:`train_model` takes a single-task :class:`~cryodesk.ml.datasets.Dataset` holding the training
rows only and returns a :class:`TrainedModel`; :func:`train_multitask` does it once per task on the
rows labelled for that task (Tox21's 12 assays). Steps, all on the training rows:

1. K folds (stratified for classification) with the config's seed;
2. per member: optional successive-halving search (:mod:`cryodesk.ml.tuning`), then out-of-fold
   predictions (forest: out-of-bag) and a refit on all rows;
3. ensemble weights fitted on the members' OOF predictions; the ensemble's own CV score uses weights
   cross-fitted on the other folds;
4. classification: a probability calibrator on the ensemble's OOF scores; regression: conformal
   residuals from the ensemble's OOF predictions;
5. applicability domain: reference set = training rows; threshold from leave-fold-out similarity and
   OOF errors.

``progress(done, total, message)`` is called between steps and ``cancel()`` is polled there; a
cancelled run raises :class:`concurrent.futures.CancelledError` (the engine's job contract).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import CancelledError
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal, Protocol

import numpy as np

from cryodesk.ml.datasets import Dataset, TaskType
from cryodesk.ml.domain import ApplicabilityDomain
from cryodesk.ml.ensemble import (
    EnsembleMethod,
    EnsembleModel,
    build_ensemble,
    cross_fitted_ensemble_oof,
    out_of_fold,
)
from cryodesk.ml.explain import Contribution, FeatureImportance, contributions, permutation_importance
from cryodesk.ml.metrics import score
from cryodesk.ml.models import final_step, make_estimator, member_spec
from cryodesk.ml.selection import BlockSelection, select_blocks
from cryodesk.ml.splits import Folds, group_kfold, kfold
from cryodesk.ml.tuning import TuningResult, tune_member
from cryodesk.ml.uncertainty import ConformalRegressor, ProbabilityCalibrator, choose_calibration

__all__ = [
    "CancelCheck",
    "MultiTaskModel",
    "Predictions",
    "ProgressCallback",
    "TaskExecutor",
    "TrainConfig",
    "TrainedModel",
    "train_model",
    "train_multitask",
    "untrainable_reason",
]

ProgressCallback = Callable[[int, int, str], None]
CancelCheck = Callable[[], bool]


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run besides the data.

    Attributes:
        members: member kinds (``rf``, ``lgbm``, ``mlp``).
        params: per-kind fixed hyperparameters (e.g. ``{"lgbm": {"num_leaves": 63}}``).
        n_folds: folds for OOF predictions (ensemble weights, calibration, conformal, domain).
        seed: seed of folds, members and search.
        tuning_budget: candidates per member for successive halving; 0 keeps the defaults.
        tune: which members to tune (None: all of ``members``).
        ensemble: ``"weights"`` (convex weights) or ``"stacking"``.
        calibration: ``"auto"`` (none, sigmoid or isotonic, whichever has the lowest cross-fitted
            Brier score on the OOF scores), ``"sigmoid"``, ``"isotonic"`` or ``"none"``.
        conformal_alpha: default miscoverage of prediction intervals (0.1 = 90 %).
        conformal_mode: ``"absolute"`` or ``"normalized"`` (by member spread).
        domain: ``"auto"`` (Tanimoto when the dataset carries fingerprints, else kNN), ``"tanimoto"``,
            ``"knn"`` or ``"none"``.
        n_jobs: threads for RF and LightGBM.
        use_oob: use the forest's out-of-bag predictions as its OOF predictions.
        feature_candidates: block combinations (names from ``Dataset.blocks``) to choose from by
            LightGBM cross-validation on the training rows before the ensemble is trained; empty: use
            every column.
        min_column_fraction: drop columns whose value differs from the column's training median in
            fewer than this fraction of the training rows (fingerprint bits set in a handful of
            molecules), after block selection. Unsupervised and fitted on the training rows only, so
            it is a cost saving that cannot leak labels; 0 keeps every column.
        grouped_oof: make the OOF folds by the dataset's ``groups`` (each group in one fold), so the
            ensemble weights and above all the conformal intervals describe a new group (an unmeasured
            mixture pair), not a new row of a group already seen; without groups it changes nothing.
    """

    members: tuple[str, ...] = ("rf", "lgbm", "mlp")
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    n_folds: int = 5
    seed: int = 0
    tuning_budget: int = 0
    tune: tuple[str, ...] | None = None
    ensemble: EnsembleMethod = "weights"
    calibration: Literal["auto", "sigmoid", "isotonic", "none"] = "auto"
    conformal_alpha: float = 0.1
    conformal_mode: Literal["absolute", "normalized"] = "absolute"
    domain: Literal["auto", "tanimoto", "knn", "none"] = "auto"
    n_jobs: int = 1
    use_oob: bool = True
    feature_candidates: tuple[tuple[str, ...], ...] = ()
    min_column_fraction: float = 0.0
    grouped_oof: bool = False

    def __post_init__(self) -> None:
        if not self.members:
            raise ValueError("at least one member is needed")
        for kind in self.members:
            member_spec(kind)  # raises on an unknown kind before any work is done
        if self.n_folds < 2:
            raise ValueError("n_folds must be at least 2")
        if not 0 < self.conformal_alpha < 1:
            raise ValueError("conformal_alpha must be in (0, 1)")
        if not 0 <= self.min_column_fraction < 1:
            raise ValueError("min_column_fraction must be in [0, 1)")

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (goes into the registry record's params)."""
        out = asdict(self)
        out["params"] = {k: dict(v) for k, v in self.params.items()}
        out["members"] = list(self.members)
        out["tune"] = None if self.tune is None else list(self.tune)
        out["feature_candidates"] = [list(c) for c in self.feature_candidates]
        return out


@dataclass(frozen=True)
class Predictions:
    """Predictions for a batch of rows, with uncertainty and domain.

    Attributes:
        value: regression value, or calibrated probability of the positive class.
        raw: the ensemble's uncalibrated output (equal to ``value`` for regression).
        lower, upper: conformal interval bounds (regression), else None.
        members: member kind -> that member's output.
        domain_score: similarity to the training set (higher = closer), or None.
        in_domain: ``domain_score >= threshold``, or None.
        alpha: the miscoverage of ``lower``/``upper``.
    """

    value: np.ndarray
    raw: np.ndarray
    lower: np.ndarray | None
    upper: np.ndarray | None
    members: dict[str, np.ndarray]
    domain_score: np.ndarray | None
    in_domain: np.ndarray | None
    alpha: float | None = None

    @property
    def uncertainty(self) -> np.ndarray | None:
        """Half-width of the interval (regression), for the store's ``uncertainty`` column."""
        if self.lower is None or self.upper is None:
            return None
        return (self.upper - self.lower) / 2


@dataclass
class TrainedModel:
    """A trained single-task ensemble with its calibration, intervals, domain and CV record."""

    task_name: str
    task_type: TaskType
    feature_names: tuple[str, ...]
    feature_set: str
    feature_version: str
    data_hash: str
    n_train: int
    ensemble: EnsembleModel
    calibrator: ProbabilityCalibrator | None
    conformal: ConformalRegressor | None
    domain: ApplicabilityDomain | None
    cv: dict[str, Any]
    tuning: dict[str, TuningResult]
    config: TrainConfig
    seconds: dict[str, float]
    created_at: str
    input_names: tuple[str, ...] = ()
    columns: np.ndarray | None = None
    selection: BlockSelection | None = None

    def _inputs(self, X: np.ndarray) -> np.ndarray:
        """The model's columns of an input matrix (the full assembled matrix or the used columns only)."""
        X = np.asarray(X, np.float32)
        if self.columns is not None and X.ndim == 2 and X.shape[1] == len(self.input_names):
            X = X[:, self.columns]
        return _check_features(X, len(self.feature_names))

    @property
    def params(self) -> dict[str, dict[str, Any]]:
        """Hyperparameters of each member's model step."""
        return self.ensemble.params

    def predict(
        self, X: np.ndarray, fingerprints: np.ndarray | None = None, *, alpha: float | None = None
    ) -> Predictions:
        """Predict rows of the same feature columns as training.

        Args:
            X: ``[n, d]`` features in :attr:`input_names` order (the matrix the model was trained
                from; only the selected blocks' columns are used) or in :attr:`feature_names` order.
            fingerprints: packed fingerprints of the rows (needed for a Tanimoto domain).
            alpha: interval miscoverage (default: the config's ``conformal_alpha``).
        """
        X = self._inputs(X)
        P = self.ensemble.member_predictions(X)
        raw = self.ensemble.combine(P)
        value = self.calibrator.transform(raw) if self.calibrator is not None else raw
        lower = upper = None
        alpha = self.config.conformal_alpha if alpha is None else alpha
        if self.conformal is not None:
            lower, upper = self.conformal.interval(raw, _spread(P), alpha)
        d_score = in_dom = None
        if self.domain is not None:
            reference = fingerprints if self.domain.kind == "tanimoto" else X
            if reference is not None:
                d_score = self.domain.score(reference)
                in_dom = self.domain.in_domain(scores=d_score)
        members = {name: P[:, j] for j, name in enumerate(self.ensemble.names)}
        return Predictions(
            value, raw, lower, upper, members, d_score, in_dom, alpha if lower is not None else None
        )

    def explain(self, X: np.ndarray, top: int = 10) -> list[Contribution]:
        """Per-row SHAP contributions of the LightGBM member (raises if there is none)."""
        if "lgbm" not in self.ensemble.names:
            raise ValueError("per-prediction contributions need an lgbm member")
        model = final_step(self.ensemble.member("lgbm"))
        return contributions(model, self._inputs(X), self.feature_names, top=top)

    def permutation_importance(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        candidates: Sequence[str] | None = None,
        groups: Mapping[str, Sequence[str]] | None = None,
        n_repeats: int = 5,
        max_rows: int = 2000,
        top: int = 15,
    ) -> dict[str, list[FeatureImportance]]:
        """Permutation importance of the ensemble and of each member on held-out rows.

        ``candidates`` defaults to the LightGBM member's top-30 gain features (or every column when
        there is no LightGBM member); ``groups`` shuffles named column blocks together.
        """
        X = self._inputs(X)
        y = np.asarray(y, np.float64)
        keep = ~np.isnan(y)
        X, y = X[keep], y[keep]
        if candidates is None and "lgbm" in self.ensemble.names:
            from cryodesk.ml.explain import top_gain_features

            candidates = top_gain_features(final_step(self.ensemble.member("lgbm")), self.feature_names, 30)
        predictors: dict[str, Callable[[np.ndarray], np.ndarray]] = {"ensemble": self.ensemble.predict_output}
        for j, name in enumerate(self.ensemble.names):
            predictors[name] = _member_predictor(self.ensemble, j)
        out = {}
        for name, predict in predictors.items():
            ranked = permutation_importance(
                predict,
                X,
                y,
                self.feature_names,
                self.task_type,
                candidates=candidates,
                groups=groups,
                n_repeats=n_repeats,
                seed=self.config.seed,
                max_rows=max_rows,
            )
            out[name] = ranked[:top]
        return out

    def summary(self) -> dict[str, Any]:
        """JSON-friendly description: CV record, weights, params, domain, timings."""
        return {
            "task": self.task_name,
            "task_type": self.task_type,
            "n_train": self.n_train,
            "feature_set": self.feature_set,
            "feature_version": self.feature_version,
            "training_data_hash": self.data_hash,
            "feature_selection": None if self.selection is None else self.selection.as_dict(),
            "n_features_used": len(self.feature_names),
            "members": list(self.ensemble.names),
            "weights": self.ensemble.weights_by_member(),
            "ensemble_method": self.ensemble.method,
            "params": _jsonable(self.params),
            "tuning": {k: v.as_dict() for k, v in self.tuning.items()},
            "cv": self.cv,
            "calibration": None if self.calibrator is None else self.calibrator.method,
            "conformal": None
            if self.conformal is None
            else {
                "mode": self.conformal.mode,
                "alpha": self.conformal.alpha,
                "n_calibration": int(self.conformal.scores.size),
            },
            "domain": None if self.domain is None else self.domain.describe(),
            "seconds": self.seconds,
            "created_at": self.created_at,
            "library_versions": library_versions(),
        }


def library_versions() -> dict[str, str]:
    """Versions that decide whether a pickled artefact still loads and predicts the same."""
    import lightgbm
    import scipy
    import sklearn

    return {"sklearn": sklearn.__version__, "lightgbm": lightgbm.__version__, "numpy": np.__version__,
            "scipy": scipy.__version__}  # fmt: skip


def _member_predictor(ensemble: EnsembleModel, j: int) -> Callable[[np.ndarray], np.ndarray]:
    from cryodesk.ml.ensemble import member_output

    member = ensemble.members[j]
    return lambda X: member_output(member, X, ensemble.task_type)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_features(X: np.ndarray, width: int) -> np.ndarray:
    X = np.asarray(X, np.float32)
    if X.ndim != 2 or X.shape[1] != width:
        raise ValueError(f"expected features of shape [n, {width}], got {X.shape}")
    return np.where(np.isfinite(X), X, np.nan).astype(np.float32, copy=False)


def _spread(P: np.ndarray) -> np.ndarray:
    return P.std(axis=1) if P.shape[1] > 1 else np.zeros(P.shape[0])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _Steps:
    """Progress and cancellation between steps."""

    def __init__(self, total: int, progress: ProgressCallback | None, cancel: CancelCheck | None) -> None:
        self.done, self.total, self.progress, self.cancel = 0, total, progress, cancel

    def check(self) -> None:
        if self.cancel is not None and self.cancel():
            raise CancelledError("training cancelled")

    def step(self, message: str) -> None:
        self.check()
        if self.progress is not None:
            self.progress(self.done, self.total, message)
        self.done += 1

    def finish(self, message: str) -> None:
        self.check()
        if self.progress is not None:
            self.progress(self.total, self.total, message)


def _labelled_single_task(dataset: Dataset) -> Dataset:
    if dataset.n_tasks != 1:
        raise ValueError(
            f"train_model takes one task; this dataset has {dataset.n_tasks} (use train_multitask)"
        )
    return dataset.task(0)


def untrainable_reason(dataset: Dataset, config: TrainConfig) -> str | None:
    """Why a single-task dataset cannot be trained with ``config`` (None when it can)."""
    y = dataset.Y[:, 0]
    y = y[~np.isnan(y)]
    if dataset.task_type == "classification":
        counts = np.bincount(y.astype(int), minlength=2)
        if counts.min() < config.n_folds:
            return f"{counts[1]} positives and {counts[0]} negatives: fewer than {config.n_folds} of a class"
    elif len(y) < 2 * config.n_folds:
        return f"{len(y)} labelled rows are too few for {config.n_folds}-fold training"
    return None


def _domain_kind(config: TrainConfig, dataset: Dataset) -> str | None:
    if config.domain == "none":
        return None
    if config.domain == "auto":
        return "tanimoto" if dataset.fingerprints is not None else "knn"
    if config.domain == "tanimoto" and dataset.fingerprints is None:
        raise ValueError("a Tanimoto domain needs dataset.fingerprints")
    return config.domain


def _fit_member(
    kind: str, X: np.ndarray, y: np.ndarray, folds: Folds, task_type: TaskType, config: TrainConfig
) -> tuple[np.ndarray, Any, dict[str, Any], TuningResult | None]:
    params = dict(config.params.get(kind, {}))
    tuned = None
    if config.tuning_budget >= 2 and (config.tune is None or kind in config.tune):
        tuned = tune_member(
            kind,
            X,
            y,
            task_type,
            config.tuning_budget,
            seed=config.seed,
            n_jobs=config.n_jobs,
            base_params=params,
        )
        params = dict(tuned.params)
    estimator = make_estimator(kind, task_type, params, seed=config.seed, n_jobs=config.n_jobs)
    use_oob = config.use_oob and member_spec(kind).has_oob
    oof, fitted = out_of_fold(estimator, X, y, folds, task_type, use_oob=use_oob)
    return oof, fitted, params, tuned


def _cv_scores(
    y: np.ndarray, P: np.ndarray, ens_oof: np.ndarray, names: Sequence[str], task_type: TaskType
) -> dict[str, Any]:
    members = {}
    for j, name in enumerate(names):
        try:
            members[name] = score(y, P[:, j], task_type)
        except ValueError as exc:
            members[name] = {"error": str(exc)}
    try:
        ensemble = score(y, ens_oof, task_type)
    except ValueError as exc:
        ensemble = {"error": str(exc)}
    return {"members": members, "ensemble": ensemble}


def _oof_errors(y: np.ndarray, pred: np.ndarray, task_type: TaskType) -> tuple[np.ndarray, str]:
    if task_type == "classification":
        return (pred - y) ** 2, "brier"
    return np.abs(pred - y), "abs_error"


def _oof_folds(ds: Dataset, config: TrainConfig) -> Folds:
    """The folds of the OOF predictions: by group when asked and possible, else (stratified) random."""
    n_groups = 0 if ds.groups is None else len(set(ds.groups.tolist()))
    if config.grouped_oof and n_groups >= config.n_folds:
        return group_kfold(ds.groups.tolist(), config.n_folds, seed=config.seed)  # type: ignore[union-attr]
    y = ds.Y[:, 0]
    return kfold(len(y), config.n_folds, config.seed, stratify=y if ds.task_type == "classification" else None)


def train_model(
    dataset: Dataset,
    config: TrainConfig | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> TrainedModel:
    """Train a single-task ensemble on ``dataset`` (training rows only; unlabelled rows are dropped).

    Args:
        dataset: one task; rows with a NaN label are ignored.
        config: see :class:`TrainConfig` (defaults: rf + lgbm + mlp, 5 folds, no tuning).
        progress: ``progress(done, total, message)`` between steps.
        cancel: polled between steps; True raises ``CancelledError``.

    Returns:
        The :class:`TrainedModel`.
    """
    config = config or TrainConfig()
    ds = _labelled_single_task(dataset)
    reason = untrainable_reason(ds, config)
    if reason is not None:
        raise ValueError(f"task {ds.task_names[0]!r}: {reason}")
    steps = _Steps(len(config.members) + 3 + bool(config.feature_candidates), progress, cancel)
    seconds: dict[str, float] = {}
    input_names, columns, selection = ds.feature_names, None, None
    data_hash = ds.data_hash()  # of the rows and columns given, before any block selection
    if config.feature_candidates:
        steps.step(f"{ds.task_names[0]}: feature blocks")
        start = time.perf_counter()
        selection = select_blocks(
            ds, config.feature_candidates, params=config.params.get("lgbm"), n_folds=config.n_folds,
            seed=config.seed, n_jobs=config.n_jobs,
        )  # fmt: skip
        columns = selection.columns
        ds = replace(
            ds, X=ds.X[:, columns], feature_names=tuple(input_names[j] for j in columns), blocks=None
        )
        seconds["feature_selection"] = time.perf_counter() - start
    if config.min_column_fraction > 0:
        kept = frequent_columns(ds.X, config.min_column_fraction)
        columns = kept if columns is None else columns[kept]
        ds = replace(ds, X=ds.X[:, kept], feature_names=tuple(ds.feature_names[j] for j in kept), blocks=None)
    X, y, task_type = ds.X, ds.Y[:, 0], ds.task_type
    folds = _oof_folds(ds, config)
    oofs, fitted, params, tuning = [], [], {}, {}
    for kind in config.members:
        steps.step(f"{ds.task_names[0]}: {kind}")
        start = time.perf_counter()
        oof, model, member_params, tuned = _fit_member(kind, X, y, folds, task_type, config)
        seconds[kind] = time.perf_counter() - start
        oofs.append(oof)
        fitted.append(model)
        params[kind] = member_params
        if tuned is not None:
            tuning[kind] = tuned
    steps.step(f"{ds.task_names[0]}: ensemble")
    P = np.column_stack(oofs)
    ensemble = build_ensemble(task_type, config.members, fitted, P, y, config.ensemble)
    ensemble.params = params
    ens_oof = cross_fitted_ensemble_oof(P, y, folds, task_type, config.ensemble)
    cv = {
        "folds": folds.describe(),
        "oof_note": _oof_note(config),
        **_cv_scores(y, P, ens_oof, config.members, task_type),
    }
    cv["weights"] = ensemble.weights_by_member()
    steps.step(f"{ds.task_names[0]}: uncertainty")
    calibrator = conformal = None
    if task_type == "classification" and config.calibration == "auto":
        calibrator, cv["calibration_brier"] = choose_calibration(
            ens_oof, y, ((f.train, f.test) for f in folds)
        )
    elif task_type == "classification" and config.calibration != "none":
        calibrator = ProbabilityCalibrator(config.calibration).fit(ens_oof, y)
    if task_type == "regression":
        mode = config.conformal_mode if P.shape[1] > 1 else "absolute"
        conformal = ConformalRegressor(mode, config.conformal_alpha).fit(y, ens_oof, _spread(P))
    domain = None
    kind = _domain_kind(config, ds)
    if kind is not None:
        steps.step(f"{ds.task_names[0]}: applicability domain")
        start = time.perf_counter()
        reference = ds.fingerprints if kind == "tanimoto" else X
        errors, error_name = _oof_errors(y, ens_oof, task_type)
        domain = ApplicabilityDomain(kind).fit(reference).calibrate(reference, folds, errors, error_name)  # type: ignore[arg-type]
        seconds["domain"] = time.perf_counter() - start
    steps.finish(f"{ds.task_names[0]}: trained")
    return TrainedModel(
        task_name=ds.task_names[0],
        task_type=task_type,
        feature_names=ds.feature_names,
        feature_set=ds.feature_set,
        feature_version=ds.feature_version,
        data_hash=data_hash,
        n_train=len(y),
        ensemble=ensemble,
        calibrator=calibrator,
        conformal=conformal,
        domain=domain,
        cv=cv,
        tuning=tuning,
        config=config,
        seconds=seconds,
        created_at=_now(),
        input_names=input_names,
        columns=columns,
        selection=selection,
    )


def frequent_columns(X: np.ndarray, min_fraction: float) -> np.ndarray:
    """Indices of columns whose value differs from the column median in >= ``min_fraction`` of rows.

    NaN counts as differing (LightGBM uses missingness); a matrix with no such column keeps all.
    """
    X = np.asarray(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column: its median is NaN
        median = np.nanmedian(np.where(np.isfinite(X), X, np.nan), axis=0)
    differs = ~(X == median)
    kept = np.flatnonzero(differs.mean(axis=0) >= min_fraction)
    return kept if kept.size else np.arange(X.shape[1])


def _oof_note(config: TrainConfig) -> str:
    note = f"{config.n_folds}-fold out-of-fold predictions on the training rows"
    if config.use_oob and "rf" in config.members:
        note += "; rf uses out-of-bag predictions"
    note += "; ensemble OOF uses weights fitted on the other folds"
    if config.tuning_budget >= 2:
        note += "; members tuned on all training rows first, so member OOF scores are slightly optimistic"
    return note


@dataclass
class MultiTaskModel:
    """One :class:`TrainedModel` per task (each trained on the rows labelled for its task)."""

    task_names: tuple[str, ...]
    task_type: TaskType
    feature_names: tuple[str, ...]
    feature_set: str
    feature_version: str
    data_hash: str
    models: dict[str, TrainedModel]
    skipped: dict[str, str]
    config: TrainConfig
    created_at: str

    def predict(
        self, X: np.ndarray, fingerprints: np.ndarray | None = None, *, alpha: float | None = None
    ) -> dict[str, Predictions]:
        """Predictions per trained task."""
        return {name: m.predict(X, fingerprints, alpha=alpha) for name, m in self.models.items()}

    def summary(self) -> dict[str, Any]:
        """Per-task summaries plus the mean CV scores over tasks."""
        per_task = {name: m.summary() for name, m in self.models.items()}
        mean: dict[str, dict[str, float]] = {}
        for who in ("ensemble", *self.config.members):
            scores = [
                (m.cv["ensemble"] if who == "ensemble" else m.cv["members"][who])
                for m in self.models.values()
            ]
            keys = {k for s in scores for k in s if k != "error"}
            mean[who] = {k: float(np.mean([s[k] for s in scores if k in s])) for k in sorted(keys)}
        return {
            "tasks": list(self.task_names),
            "task_type": self.task_type,
            "feature_set": self.feature_set,
            "feature_version": self.feature_version,
            "training_data_hash": self.data_hash,
            "cv_mean_over_tasks": mean,
            "skipped_tasks": self.skipped,
            "per_task": per_task,
            "created_at": self.created_at,
            "library_versions": library_versions(),
        }


class TaskExecutor(Protocol):
    """What :func:`train_multitask` needs to train tasks in parallel.

    ``cryodesk.engine.executor.ProcessPoolExecutor`` provides it (``ml`` may not import ``engine``).
    """

    def map_chunks(
        self,
        fn: Callable[[Any], Any],
        chunks: Sequence[Any],
        progress: Callable[[int, int], None] | None = None,
        cancel: CancelCheck | None = None,
    ) -> list[Any]: ...


def _train_chunk(config: TrainConfig, chunk: Sequence[Dataset]) -> list[TrainedModel]:
    """Train the single-task datasets of one chunk (top level, so worker processes can unpickle it)."""
    return [train_model(task, config) for task in chunk]


def train_multitask(
    dataset: Dataset,
    config: TrainConfig | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    *,
    executor: TaskExecutor | None = None,
) -> MultiTaskModel:
    """Train one ensemble per task on its labelled rows; tasks that cannot be trained are skipped.

    A task is skipped (and listed with the reason) when it has fewer than ``n_folds`` rows of a class
    or too few labelled rows.

    Args:
        dataset: multi-task training rows (NaN = missing label).
        config: as for :func:`train_model`.
        progress: ``progress(done, total, message)``; per step in-process, per task with an executor.
        cancel: polled between steps (in-process) or between tasks (executor).
        executor: runs tasks in parallel (one task per chunk), e.g. the engine's process pool with one
            single-threaded worker per core; None trains the tasks one after another here.
    """
    config = config or TrainConfig()
    models: dict[str, TrainedModel] = {}
    skipped: dict[str, str] = {}
    todo: list[Dataset] = []
    for j, name in enumerate(dataset.task_names):
        task = dataset.task(j)
        reason = untrainable_reason(task, config)
        if reason is None:
            todo.append(task)
        else:
            skipped[name] = reason
    if executor is not None:

        def chunk_progress(done: int, total: int) -> None:
            if progress is not None:
                progress(done, total, f"{done} of {total} tasks trained")

        results = executor.map_chunks(
            partial(_train_chunk, config), [[t] for t in todo], chunk_progress, cancel
        )
        for chunk in results:
            for model in chunk:
                models[model.task_name] = model
    else:
        n = len(todo)
        for j, task in enumerate(todo):

            def task_progress(done: int, total: int, message: str, j: int = j) -> None:
                if progress is not None:
                    progress(j * total + done, n * total, message)

            models[task.task_names[0]] = train_model(task, config, task_progress, cancel)
    if not models:
        raise ValueError(f"no task could be trained: {skipped}")
    return MultiTaskModel(
        task_names=tuple(models),
        task_type=dataset.task_type,
        feature_names=dataset.feature_names,
        feature_set=dataset.feature_set,
        feature_version=dataset.feature_version,
        data_hash=dataset.data_hash(),
        models=models,
        skipped=skipped,
        config=config,
        created_at=_now(),
    )
