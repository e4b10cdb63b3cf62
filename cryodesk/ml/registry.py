"""Registry records: what the store's ``models`` table holds about one trained model version.

:class:`ModelRecord` maps 1:1 onto the ``models`` table (``name, version, task, kind, feature_set,
feature_version, params JSON, metrics JSON, artefact_path, artefact_sha256, status, created_at``).
Fields the table has no column for (target, training-data hash, members and weights, split and
seeds) travel inside the ``params`` and ``metrics`` JSON under fixed keys, so nothing is lost and the
table needs no migration. Writing rows, promotion and rollback (status changes) are the store's and
the engine's business; this module only builds and reads records and compares two of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from cryodesk.ml.metrics import higher_is_better
from cryodesk.ml.serialize import load_model, save_model

__all__ = [
    "ModelRecord",
    "ModelStatus",
    "compare_records",
    "load_artefact",
    "record_for",
    "register_artefact",
]

ModelStatus = Literal["candidate", "promoted", "retired"]


@dataclass(frozen=True)
class ModelRecord:
    """One trained model version.

    Attributes:
        name: model name (e.g. ``"tox21"``, ``"Tg"``); with ``version`` unique in a project.
        version: 1, 2, ... per name (the store assigns the next one).
        target: property or assay key(s) it predicts (the table's ``task`` column; several
            comma-joined for a multi-task model).
        task_type: ``"regression"`` or ``"classification"`` (the table's ``kind`` column).
        feature_set, feature_version: what the features were (cache key of the feature service).
        training_data_hash: :meth:`Dataset.data_hash` of the training rows.
        hyperparameters: config + per-member parameters (JSON-able).
        cv_metrics: cross-validation (and, when evaluated, held-out) scores (JSON-able).
        created_at: ISO 8601 UTC.
        artefact_path, artefact_sha256: where the pickled model is and its hash.
        status: ``candidate`` / ``promoted`` / ``retired``.
    """

    name: str
    version: int
    target: str
    task_type: str
    feature_set: str
    feature_version: str
    training_data_hash: str
    hyperparameters: Mapping[str, Any]
    cv_metrics: Mapping[str, Any]
    created_at: str
    artefact_path: str
    artefact_sha256: str
    status: ModelStatus = "candidate"
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_row(self) -> dict[str, Any]:
        """Column -> value for the store's ``models`` table (JSON columns already serialised)."""
        params = {
            "target": self.target,
            "training_data_hash": self.training_data_hash,
            **self.hyperparameters,
        }
        return {
            "name": self.name,
            "version": self.version,
            "task": self.target,
            "kind": self.task_type,
            "feature_set": self.feature_set,
            "feature_version": self.feature_version,
            "params": json.dumps(params, sort_keys=True, default=_json_default),
            "metrics": json.dumps({**self.cv_metrics, **self.extra}, sort_keys=True, default=_json_default),
            "artefact_path": self.artefact_path,
            "artefact_sha256": self.artefact_sha256,
            "status": self.status,
            "created_at": self.created_at,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ModelRecord:
        """Rebuild a record from a ``models`` row (a mapping of column -> value)."""
        params = dict(json.loads(row.get("params") or "{}"))
        target = str(params.pop("target", row["task"]))
        data_hash = str(params.pop("training_data_hash", ""))
        return cls(
            name=str(row["name"]),
            version=int(row["version"]),
            target=target,
            task_type=str(row["kind"]),
            feature_set=str(row["feature_set"]),
            feature_version=str(row["feature_version"]),
            training_data_hash=data_hash,
            hyperparameters=params,
            cv_metrics=json.loads(row.get("metrics") or "{}"),
            created_at=str(row["created_at"]),
            artefact_path=str(row.get("artefact_path") or ""),
            artefact_sha256=str(row.get("artefact_sha256") or ""),
            status=row.get("status", "candidate"),
        )

    def with_status(self, status: ModelStatus) -> ModelRecord:
        """A copy with another status (promotion / retirement is a store update of this column)."""
        return replace(self, status=status)


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    if hasattr(value, "tolist"):  # numpy array
        return value.tolist()
    if isinstance(value, tuple | set):
        return list(value)
    return str(value)


def record_for(
    model: Any,
    name: str,
    version: int,
    artefact_path: str | Path,
    artefact_sha256: str,
    *,
    evaluation: Mapping[str, Any] | None = None,
) -> ModelRecord:
    """A record for a trained model (``TrainedModel`` or ``MultiTaskModel``) and its saved artefact.

    Args:
        model: the trained model; its ``summary()`` supplies CV metrics and parameters.
        name, version: registry identity.
        artefact_path, artefact_sha256: from :func:`save_model`.
        evaluation: optional held-out report (e.g. ``EvaluationReport.as_dict()['mean']``), stored
            under ``metrics["held_out"]``.
    """
    summary = model.summary()
    multitask = "per_task" in summary
    if multitask:
        target = ",".join(summary["tasks"])
        cv = {
            "cv_mean_over_tasks": summary["cv_mean_over_tasks"],
            "skipped_tasks": summary["skipped_tasks"],
            "per_task": {t: s["cv"] for t, s in summary["per_task"].items()},
        }
        hyper = {
            "config": model.config.as_dict(),
            "library_versions": summary["library_versions"],
            "per_task": {
                t: {
                    "params": s["params"],
                    "weights": s["weights"],
                    "tuning": s["tuning"],
                    "domain": s["domain"],
                }
                for t, s in summary["per_task"].items()
            },
        }
    else:
        target = summary["task"]
        cv = {"cv": summary["cv"]}
        hyper = {
            "config": model.config.as_dict(),
            "library_versions": summary["library_versions"],
            "feature_selection": summary["feature_selection"],
            "params": summary["params"],
            "weights": summary["weights"],
            "tuning": summary["tuning"],
            "domain": summary["domain"],
            "conformal": summary["conformal"],
            "calibration": summary["calibration"],
        }
    if evaluation is not None:
        cv["held_out"] = dict(evaluation)
    return ModelRecord(
        name=name,
        version=int(version),
        target=target,
        task_type=summary["task_type"],
        feature_set=summary["feature_set"],
        feature_version=summary["feature_version"],
        training_data_hash=summary["training_data_hash"],
        hyperparameters=hyper,
        cv_metrics=cv,
        created_at=summary["created_at"],
        artefact_path=str(artefact_path),
        artefact_sha256=artefact_sha256,
    )


def register_artefact(model: Any, directory: str | Path, name: str, version: int) -> ModelRecord:
    """Save ``model`` under ``directory`` and return its record (not yet written to the store)."""
    path, digest = save_model(model, directory, f"{name}-v{version}")
    return record_for(model, name, version, path, digest)


def load_artefact(record: ModelRecord) -> Any:
    """Load the record's artefact; raises ``ArtefactIntegrityError`` (before unpickling) on a hash mismatch."""
    return load_model(record.artefact_path, record.artefact_sha256)


def _flatten(prefix: str, value: Any, out: dict[str, float]) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out[prefix] = float(value)


def compare_records(old: ModelRecord, new: ModelRecord) -> dict[str, Any]:
    """Metric-by-metric comparison of two versions (for ``cryodesk models compare``).

    Returns:
        ``{"same_training_data": bool, "same_features": bool, "metrics": {path: {old, new, delta,
        better}}}`` over the numeric CV metrics both records share; ``better`` says whether ``new``
        improves on ``old`` for that metric (by its direction), None where the direction is unknown.
    """
    a: dict[str, float] = {}
    b: dict[str, float] = {}
    _flatten("", old.cv_metrics, a)
    _flatten("", new.cv_metrics, b)
    metrics = {}
    for key in sorted(a.keys() & b.keys()):
        leaf = key.rsplit(".", 1)[-1]
        known = leaf in ("roc_auc", "pr_auc", "r2", "rmse", "mae")
        delta = b[key] - a[key]
        better = None if not known else (delta > 0 if higher_is_better(leaf) else delta < 0)
        metrics[key] = {"old": a[key], "new": b[key], "delta": delta, "better": better}
    return {
        "old": f"{old.name} v{old.version}",
        "new": f"{new.name} v{new.version}",
        "same_training_data": old.training_data_hash == new.training_data_hash,
        "same_features": (old.feature_set, old.feature_version) == (new.feature_set, new.feature_version),
        "metrics": metrics,
    }
