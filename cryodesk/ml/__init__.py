"""The model layer: datasets, splits, metrics, ensembles, tuning, uncertainty, domain, explanation, registry.

It takes matrices and plain arrays (features from the feature service, labels, InChIKeys, scaffold
strings, packed fingerprints) and never molecules, Qt or the store. Typical use by an engine job::

    ds, dedup = deduplicate(Dataset(X, y, names, "regression", keys, feature_set=..., feature_version=...),
                            max_spread=20.0)
    model = train_model(ds, TrainConfig(members=("rf", "lgbm", "mlp"), tuning_budget=12), progress, cancel)
    path, sha = save_model(model, artefact_dir, "Tg")
    row = record_for(model, "Tg", version, path, sha).to_row()      # -> store.models
    ...
    model = load_model(row["artefact_path"], row["artefact_sha256"])  # refuses a tampered file
    pred = model.predict(X_new, fingerprints_new)   # value, lower/upper, in_domain, members

Held-out evaluation: :func:`evaluate_split` (train/valid/test splits) and :func:`cross_validate`
(outer K-fold); both train only on the non-test rows.
"""

from __future__ import annotations

from cryodesk.ml.datasets import (
    AssembledFeatures,
    Dataset,
    DedupReport,
    TaskType,
    assemble_features,
    deduplicate,
)
from cryodesk.ml.domain import ApplicabilityDomain, ThresholdChoice, choose_threshold, max_tanimoto
from cryodesk.ml.ensemble import (
    EnsembleModel,
    build_ensemble,
    cross_fitted_ensemble_oof,
    fit_simplex_weights,
    out_of_fold,
)
from cryodesk.ml.evaluation import CrossValidationReport, EvaluationReport, cross_validate, evaluate_split
from cryodesk.ml.explain import Contribution, FeatureImportance, contributions, permutation_importance
from cryodesk.ml.metrics import ScoreReport, classification_scores, regression_scores, score_tasks
from cryodesk.ml.models import MEMBER_KINDS, MemberSpec, make_estimator, register_member
from cryodesk.ml.registry import ModelRecord, compare_records, load_artefact, record_for, register_artefact
from cryodesk.ml.selection import BlockSelection, select_blocks
from cryodesk.ml.serialize import ArtefactIntegrityError, file_sha256, load_model, save_model
from cryodesk.ml.splits import (
    Fold,
    Folds,
    Split,
    balanced_scaffold_split,
    group_kfold,
    kfold,
    random_split,
    repeated_kfold,
    scaffold_split,
)
from cryodesk.ml.training import (
    MultiTaskModel,
    Predictions,
    TaskExecutor,
    TrainConfig,
    TrainedModel,
    train_model,
    train_multitask,
    untrainable_reason,
)
from cryodesk.ml.tuning import TuningResult, tune_member
from cryodesk.ml.uncertainty import (
    ConformalRegressor,
    ProbabilityCalibrator,
    calibration_error,
    choose_calibration,
    interval_coverage,
)

__all__ = [
    "MEMBER_KINDS",
    "ApplicabilityDomain",
    "AssembledFeatures",
    "ArtefactIntegrityError",
    "BlockSelection",
    "ConformalRegressor",
    "Contribution",
    "CrossValidationReport",
    "Dataset",
    "DedupReport",
    "EnsembleModel",
    "EvaluationReport",
    "FeatureImportance",
    "Fold",
    "Folds",
    "MemberSpec",
    "ModelRecord",
    "MultiTaskModel",
    "Predictions",
    "ProbabilityCalibrator",
    "ScoreReport",
    "Split",
    "TaskExecutor",
    "TaskType",
    "ThresholdChoice",
    "TrainConfig",
    "TrainedModel",
    "TuningResult",
    "assemble_features",
    "balanced_scaffold_split",
    "build_ensemble",
    "calibration_error",
    "choose_calibration",
    "choose_threshold",
    "classification_scores",
    "compare_records",
    "contributions",
    "cross_fitted_ensemble_oof",
    "cross_validate",
    "deduplicate",
    "evaluate_split",
    "file_sha256",
    "fit_simplex_weights",
    "group_kfold",
    "interval_coverage",
    "kfold",
    "load_artefact",
    "load_model",
    "make_estimator",
    "max_tanimoto",
    "out_of_fold",
    "permutation_importance",
    "random_split",
    "record_for",
    "register_artefact",
    "register_member",
    "regression_scores",
    "repeated_kfold",
    "save_model",
    "scaffold_split",
    "select_blocks",
    "score_tasks",
    "train_model",
    "train_multitask",
    "tune_member",
    "untrainable_reason",
]
