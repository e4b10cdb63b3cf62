"""Training models from the project: dataset assembly, the train job, and the default-models job.

Dataset assembly reads labels from the store and features from the feature cache (computing only
what is missing), then hands matrices to :mod:`cryodesk.ml`:

- regression (a property such as ``tg``): every stored, non-predicted numeric value is converted
  to the property's default unit (``melting_point`` arrives in degC from Bradley and in K from Koop);
  values whose unit cannot be converted are skipped and counted. Replicates of one InChIKey are merged
  by :func:`cryodesk.ml.deduplicate`: the median, and a key whose replicates span more than the
  property's ``max_spread`` is dropped (no single value can be trusted for it);
- classification (an assay such as ``tox21:NR-AR``): ``active`` = 1, ``inactive`` = 0,
  ``inconclusive`` is not a label; replicates are merged by majority vote (a tie leaves no label).

Artefacts are written to ``<project file>.models/`` beside the project, never inside it; the
``models`` table holds the path (relative to the project's folder) and the SHA-256.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import CancelledError
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from cryodesk.domain import CryoDeskError, InputError
from cryodesk.domain.properties import property_info
from cryodesk.domain.units import canonical_unit, convert
from cryodesk.engine.evidence_features import EVIDENCE_FEATURE_SET, evidence_block
from cryodesk.engine.features import FeatureService
from cryodesk.engine.jobs import JobContext
from cryodesk.store import Project
from cryodesk.store.models import ModelRow

#: Descriptor sets the models see by default (fast: about 2 ms per molecule together).
DEFAULT_FEATURE_SETS: tuple[str, ...] = ("default", "cryo")
#: Packed fingerprint used for the Tanimoto applicability domain.
DOMAIN_FINGERPRINT = "morgan2"
#: Largest replicate spread (in the property's default unit) kept by de-duplication.
MAX_SPREAD: dict[str, float] = {"tg": 20.0, "melting_point": 20.0, "log_solubility": 1.0}
DEFAULT_MODEL_TARGETS: tuple[str, ...] = ("tg", "melting_point", "log_solubility")
DEFAULT_MODELS_VERSION = "default-models-1"
_OUTCOME_LABEL = {"active": 1.0, "inactive": 0.0}
#: Registry ``params`` key of the saved held-out predictions (see :func:`save_held_out_predictions`).
HELD_OUT_KEY = "held_out_predictions"
HELD_OUT_FORMAT = "cryodesk-held-out/1"

SplitName = Literal["scaffold", "random"]


# -- features -----------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class FeatureBlock:
    """Model inputs for compounds: rows in ``ids`` order, failed compounds listed separately."""

    ids: np.ndarray
    X: np.ndarray
    columns: tuple[str, ...]
    feature_set: str
    version: str
    fingerprints: np.ndarray | None
    failures: dict[int, str]
    blocks: dict[str, tuple[int, int]]
    n_computed: int = 0


def compute_features(
    project: Project,
    compound_ids: Sequence[int],
    feature_sets: Sequence[str] = DEFAULT_FEATURE_SETS,
    fingerprint_set: str | None = DOMAIN_FINGERPRINT,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    workers: int | None = None,
) -> FeatureBlock:
    """Features of ``compound_ids`` from the project's feature cache (only missing rows are computed).

    Fingerprint sets among ``feature_sets`` are unpacked to 0/1 columns; ``fingerprint_set`` is
    returned packed for the applicability domain.
    """
    from cryodesk.ml import assemble_features

    service = FeatureService(project, workers)
    ids = np.asarray(sorted(set(int(i) for i in compound_ids)), np.int64)
    parts, failures, computed = [], {}, 0
    for name in feature_sets:
        if name == EVIDENCE_FEATURE_SET:  # literature evidence: read from the store, never cached
            parts.append(evidence_block(project, ids.tolist()))
            continue
        m = service.matrix(name, ids.tolist(), progress, cancel)
        failures.update(dict(m.failures))
        computed += m.n_computed
        values = _dense(m.values, len(m.columns)) if m.kind == "fingerprint" else m.values
        parts.append((name, values, m.columns, m.version))
    fps = None
    if fingerprint_set:
        m = service.matrix(fingerprint_set, ids.tolist(), progress, cancel)
        failures.update(dict(m.failures))
        computed += m.n_computed
        fps = np.ascontiguousarray(m.values)
    assembled = assemble_features(parts)
    return FeatureBlock(ids, assembled.X, tuple(assembled.columns), assembled.feature_set, assembled.version,
                        fps, failures, dict(assembled.blocks), computed)


def _dense(packed: np.ndarray, width: int) -> np.ndarray:
    # The feature cache stores fingerprints as little-bit-order packed bytes.
    return np.unpackbits(packed, axis=1, bitorder="little")[:, :width].astype(np.float32)


# -- dataset assembly -----------------------------------------------------------------------------------
@dataclass(eq=False)
class AssembledData:
    """A de-duplicated dataset plus what assembly did (for the model record)."""

    dataset: Any  # cryodesk.ml.Dataset (typed loosely so this module imports ml lazily)
    compound_ids: np.ndarray
    scaffolds: list[str | None]
    report: dict[str, Any] = field(default_factory=dict)
    feature_stats: dict[str, list[float]] = field(default_factory=dict)


def target_task_type(project: Project, target: str) -> Literal["regression", "classification"]:
    """Classification for an assay key, regression for a property with stored values.

    Raises:
        InputError: the project has neither an assay nor property values under ``target``.
    """
    if target in project.models.assay_keys():
        return "classification"
    if any(name == target for name, _ in project.properties.property_names()):
        return "regression"
    raise InputError(f"no assay or property named {target!r} in this project")


def regression_labels(project: Project, prop: str) -> tuple[list[tuple[int, str, float]], dict[str, Any]]:
    """``(compound id, InChIKey, value in the default unit)`` rows and a conversion report."""
    info = property_info(prop)
    target_unit = info.default_unit if info is not None else None
    rows, skipped, converted, units = [], {}, 0, {}
    for r in project.models.property_labels(prop):
        unit = canonical_unit(r.unit) if r.unit else None
        units[r.unit or ""] = units.get(r.unit or "", 0) + 1
        value = float(r.value)  # type: ignore[arg-type]
        if target_unit is not None and unit != target_unit:
            try:
                value = convert(value, unit or "", target_unit)
                converted += 1
            except ValueError:
                reason = f"unit {r.unit!r} not convertible to {target_unit}"
                skipped[reason] = skipped.get(reason, 0) + 1
                continue
        rows.append((r.compound_id, r.inchikey, value))
    report = {"unit": target_unit, "values_read": sum(units.values()), "units_seen": units,
              "converted": converted, "skipped": skipped}
    return rows, report


def classification_labels(project: Project, assay: str) -> tuple[list[tuple[int, str, float]], dict[str, Any]]:
    """``(compound id, InChIKey, 0/1)`` rows; inconclusive results are not labels."""
    rows, inconclusive = [], 0
    for cid, key, outcome in project.models.assay_labels(assay):
        label = _OUTCOME_LABEL.get(outcome)
        if label is None:
            inconclusive += 1
            continue
        rows.append((cid, key, label))
    return rows, {"results_read": len(rows) + inconclusive, "inconclusive_skipped": inconclusive}


def assemble_dataset(
    project: Project,
    target: str,
    *,
    feature_sets: Sequence[str] = DEFAULT_FEATURE_SETS,
    fingerprint_set: str | None = DOMAIN_FINGERPRINT,
    max_spread: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    workers: int | None = None,
) -> AssembledData:
    """Labels of ``target`` joined with cached features, de-duplicated by InChIKey.

    Raises:
        InputError: no usable labelled compound.
    """
    from cryodesk.chem.clustering import murcko_scaffolds
    from cryodesk.ml import Dataset, deduplicate

    task_type = target_task_type(project, target)
    if task_type == "regression":
        labels, report = regression_labels(project, target)
        max_spread = MAX_SPREAD.get(target) if max_spread is None else max_spread
    else:
        labels, report = classification_labels(project, target)
    if not labels:
        raise InputError(f"{target!r} has no usable labels in this project")
    feats = compute_features(project, [cid for cid, _, _ in labels], feature_sets, fingerprint_set,
                             progress, cancel, workers)
    row_of = {int(cid): i for i, cid in enumerate(feats.ids.tolist())}
    keep = [(cid, key, y) for cid, key, y in labels if cid not in feats.failures]
    report["feature_failures"] = len(labels) - len(keep)
    rows = np.asarray([row_of[cid] for cid, _, _ in keep], np.intp)
    raw = Dataset(
        X=feats.X[rows], y=np.asarray([y for _, _, y in keep]), feature_names=feats.columns,
        task_type=task_type, keys=np.asarray([k for _, k, _ in keep], object), task_names=(target,),
        feature_set=feats.feature_set, feature_version=feats.version,
        fingerprints=None if feats.fingerprints is None else feats.fingerprints[rows],
        name=target, blocks=feats.blocks,
    )
    dataset, dedup = deduplicate(raw, max_spread=max_spread)
    key_to_cid = {k: cid for cid, k, _ in keep}
    compound_ids = np.asarray([key_to_cid[str(k)] for k in dataset.keys], np.int64)
    smiles = dict(project.compounds.smiles_by_id(compound_ids.tolist()))
    scaffolds = murcko_scaffolds([smiles[int(c)] for c in compound_ids])
    dataset = replace(dataset, groups=np.asarray(["" if s is None else s for s in scaffolds], object))
    report["dedup"] = dedup.as_dict()
    report["dedup"]["dropped"] = report["dedup"]["dropped"][:20]  # the record keeps a sample, not thousands
    report["dedup"]["ties"] = report["dedup"]["ties"][:20]
    return AssembledData(dataset, compound_ids, scaffolds, report, _feature_stats(dataset.X))


def _feature_stats(X: np.ndarray) -> dict[str, list[float]]:
    """Per-column training mean and sd (the drift monitor compares what is predicted with these)."""
    import warnings

    with warnings.catch_warnings():  # an all-NaN column (a descriptor that always fails) is expected
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(X, axis=0)
        sd = np.nanstd(X, axis=0)
    return {"mean": [_finite(v) for v in mean], "std": [_finite(v) for v in sd]}


def _finite(v: float) -> float:
    return round(float(v), 6) if np.isfinite(v) else 0.0


# -- training -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainRequest:
    """What to train: a target, its members, split, tuning budget and features.

    Attributes:
        target: property key (regression) or assay key (classification).
        name: registry name (default: the target).
        members: ``rf``, ``lgbm``, ``mlp``.
        split: held-out evaluation split (``scaffold`` = deterministic DeepChem split, or ``random``);
            the registered model is the one trained on the split's development rows, so its held-out
            metrics are honest.
        budget: tuning candidates per member (0 = defaults).
        feature_sets, fingerprint_set: model inputs and the domain fingerprint.
        params: fixed member hyperparameters (tests use tiny forests).
        promote: promote the new version; None promotes only when no version is promoted yet.
    """

    target: str
    name: str | None = None
    members: tuple[str, ...] = ("rf", "lgbm", "mlp")
    split: SplitName = "scaffold"
    budget: int = 0
    feature_sets: tuple[str, ...] = DEFAULT_FEATURE_SETS
    fingerprint_set: str | None = DOMAIN_FINGERPRINT
    n_folds: int = 5
    seed: int = 0
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    max_spread: float | None = None
    promote: bool | None = None
    n_jobs: int = 1
    workers: int | None = None
    with_evidence: bool = False  # append the literature-evidence block (engine/evidence_features.py)

    def __post_init__(self) -> None:
        if self.with_evidence and EVIDENCE_FEATURE_SET not in self.feature_sets:
            object.__setattr__(self, "feature_sets", (*self.feature_sets, EVIDENCE_FEATURE_SET))

    @property
    def model_name(self) -> str:
        return self.name or self.target

    def config(self) -> Any:
        from cryodesk.ml import TrainConfig

        return TrainConfig(members=tuple(self.members), params=dict(self.params), n_folds=self.n_folds,
                           seed=self.seed, tuning_budget=self.budget, n_jobs=self.n_jobs)

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "name": self.model_name, "members": list(self.members),
                "split": self.split, "budget": self.budget, "feature_sets": list(self.feature_sets),
                "fingerprint_set": self.fingerprint_set, "n_folds": self.n_folds, "seed": self.seed,
                "params": {k: dict(v) for k, v in self.params.items()}, "max_spread": self.max_spread,
                "with_evidence": EVIDENCE_FEATURE_SET in self.feature_sets}


def models_dir(project: Project) -> Path:
    """Where artefacts live: a folder beside the project file, never inside it."""
    return project.path.parent / f"{project.path.name}.models"


def make_split(data: AssembledData, split: SplitName, seed: int) -> Any:
    from cryodesk.ml import random_split, scaffold_split

    if split == "scaffold":
        return scaffold_split(data.scaffolds)
    if split == "random":
        return random_split(len(data.dataset), seed=seed)
    raise InputError(f"unknown split {split!r} (use scaffold or random)")


def train_and_register(
    project: Project,
    request: TrainRequest,
    progress: Callable[[int, int, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    job_id: int | None = None,
) -> ModelRow:
    """Assemble, train on the split's development rows, score the test rows, save and register."""
    from cryodesk.ml import evaluate_split, record_for, save_model

    def feature_progress(done: int, total: int) -> None:
        if progress is not None:
            progress(0, 100, f"{request.target}: features {done}/{total}")

    data = assemble_dataset(project, request.target, feature_sets=request.feature_sets,
                            fingerprint_set=request.fingerprint_set, max_spread=request.max_spread,
                            progress=feature_progress, cancel=cancel, workers=request.workers)
    split = make_split(data, request.split, request.seed)

    def train_progress(done: int, total: int, message: str) -> None:
        if progress is not None:
            progress(5 + int(90 * done / max(total, 1)), 100, message)

    report, model = evaluate_split(data.dataset, split, request.config(), train_progress, cancel)
    name = request.model_name
    version = project.models.next_version(name)
    path, digest = save_model(model, models_dir(project), f"{name}-v{version}")
    held_out = {"split": split.describe(), "mean": report.mean, "per_task": report.per_task}
    record = record_for(model, name, version, _relative(project, path), digest, evaluation=held_out)
    saved_rows = save_held_out_predictions(project, model, data, split, f"{name}-v{version}")
    extra = {"request": request.as_dict(), "feature_sets": list(request.feature_sets),
             "fingerprint_set": request.fingerprint_set, "assembly": data.report,
             "feature_stats": data.feature_stats, "n_rows": len(data.dataset),
             HELD_OUT_KEY: saved_rows}
    record = replace(record, hyperparameters={**record.hyperparameters, **extra})
    row = project.models.register(record.to_row(), job_id)
    if request.promote or (request.promote is None and project.models.promoted(name) is None):
        row = project.models.promote(name, row.version)
    if progress is not None:
        progress(100, 100, f"{row.label} registered")
    return row


def save_held_out_predictions(project: Project, model: Any, data: AssembledData, split: Any,
                              stem: str) -> dict[str, Any]:
    """Write the version's predictions on its held-out rows (JSON) and their inputs (``.npy``) beside its artefact.

    The models view shows these rows right after training; re-deriving them in the window's process
    (assembly parses every labelled structure) held the GIL for hundreds of ms, and so did reading
    their features back from the cache for the permutation importance. JSON and a pickle-free
    ``.npy``, so reading them can run no code; the registry keeps each file's SHA-256 and the reader
    checks it.

    Returns:
        The registry entry: ``{"format", "path" (relative to the project's folder), "sha256", "rows",
        "inputs": {"path", "sha256"}}``.
    """
    import io
    import json

    test_idx = np.asarray(split.test, np.intp)
    test = data.dataset.subset(test_idx)
    pred = model.predict(test.X, test.fingerprints)
    payload = {
        "format": HELD_OUT_FORMAT, "task": data.dataset.task_type, "split": split.describe(),
        "compound_ids": [int(c) for c in data.compound_ids[test_idx]],
        "keys": [str(k) for k in test.keys],
        "measured": _json_floats(test.y), "predicted": _json_floats(pred.value),
        "uncertainty": None if pred.uncertainty is None else _json_floats(pred.uncertainty),
        "in_domain": None if pred.in_domain is None else [bool(v) for v in np.asarray(pred.in_domain).ravel()],
        # A classifier's recorded ROC-AUC scores the uncalibrated output (calibration adds ties).
        "raw": _json_floats(pred.raw) if data.dataset.task_type == "classification" else None,
    }
    path, digest = _write_beside(project, f"{stem}-held-out", ".json",
                                 json.dumps(payload, allow_nan=False, default=str).encode("utf-8"))
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(test.X, np.float32), allow_pickle=False)
    x_path, x_digest = _write_beside(project, f"{stem}-held-out-X", ".npy", buffer.getvalue())
    return {"format": HELD_OUT_FORMAT, "path": _relative(project, path), "sha256": digest,
            "rows": len(test_idx), "inputs": {"path": _relative(project, x_path), "sha256": x_digest}}


def _write_beside(project: Project, stem: str, suffix: str, raw: bytes) -> tuple[Path, str]:
    """Write ``raw`` into the models folder under ``<stem>-<hash prefix><suffix>``; return path and SHA-256."""
    import hashlib
    import os
    import tempfile

    digest = hashlib.sha256(raw).hexdigest()
    directory = models_dir(project)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}-{digest[:12]}{suffix}"
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=suffix)
    try:  # write then rename: a crash never leaves a half-written file under the recorded name
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path, digest


def _json_floats(values: Any) -> list[float | None]:
    # JSON has no NaN; repr round-trips a float64 exactly, so the reader gets the same numbers back.
    return [float(v) if np.isfinite(v) else None for v in np.asarray(values, np.float64).ravel()]


def _relative(project: Project, path: Path) -> str:
    # Relative to the project's folder, so a project moved together with its .models folder still works.
    try:
        return str(Path(path).resolve().relative_to(project.path.parent.resolve()))
    except ValueError:
        return str(path)


def artefact_path(project: Project, row: ModelRow) -> Path:
    """Absolute path of a record's artefact (stored relative to the project's folder)."""
    path = Path(row.artefact_path or "")
    return path if path.is_absolute() else project.path.parent / path


def _job_cancel(ctx: JobContext) -> Callable[[], bool]:
    stop = threading.Event()

    def cancel() -> bool:
        if ctx.stop_requested() is not None:
            stop.set()
        return stop.is_set()

    return cancel


class TrainModelJob:
    """Train one model from the project's data and register it (a background job with progress)."""

    kind = "train_model"

    def __init__(self, request: TrainRequest) -> None:
        self.request = request

    def params(self) -> dict[str, Any]:
        return self.request.as_dict()

    def fingerprint(self) -> None:
        return None  # every run is a new version; nothing to resume

    def run(self, ctx: JobContext) -> dict[str, Any]:
        try:
            row = train_and_register(ctx.project, self.request, ctx.progress, _job_cancel(ctx), ctx.job_id)
        except CancelledError:
            ctx.raise_if_stopped()
            raise CryoDeskError("training was cancelled") from None
        except ValueError as exc:  # untrainable data (too few rows / one class): a user-facing failure
            raise CryoDeskError(f"cannot train {self.request.target}: {exc}") from exc
        return model_summary(row)


def model_summary(row: ModelRow) -> dict[str, Any]:
    """A short description of a registered version (CLI and job results)."""
    metrics = row.metrics_dict
    held = metrics.get("held_out", {}).get("mean", {}).get("ensemble", {})
    cv = metrics.get("cv", {}).get("ensemble", {})
    return {"id": row.id, "name": row.name, "version": row.version, "task": row.task, "kind": row.kind,
            "status": row.status, "feature_set": row.feature_set, "created_at": row.created_at,
            "held_out": held, "cv": cv}


# -- default models -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DefaultModelsRequest:
    """Which default models to train and how (the defaults are what a first start trains)."""

    targets: tuple[str, ...] | None = None  # None: the 12 Tox21 assays + DEFAULT_MODEL_TARGETS
    members: tuple[str, ...] = ("rf", "lgbm", "mlp")
    split: SplitName = "scaffold"
    budget: int = 0
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    n_folds: int = 5
    n_jobs: int = 1
    workers: int | None = None


def default_targets(project: Project) -> list[str]:
    """The Tox21 assays present, then Tg, melting point and solubility when the project has values."""
    props = {name for name, _ in project.properties.property_names()}
    assays = [k for k in project.models.assay_keys() if k.startswith("tox21:")]
    return assays + [t for t in DEFAULT_MODEL_TARGETS if t in props]


class DefaultModelsJob:
    """First start: train and promote the default models from the embedded library.

    Resumable: a target that already has a promoted model is skipped, so an interrupted run
    continues with the next target.
    """

    kind = "train_default_models"

    def __init__(self, request: DefaultModelsRequest | None = None) -> None:
        self.request = request or DefaultModelsRequest()

    def params(self) -> dict[str, Any]:
        r = self.request
        return {"version": DEFAULT_MODELS_VERSION, "targets": None if r.targets is None else list(r.targets),
                "members": list(r.members), "split": r.split, "budget": r.budget}

    def fingerprint(self) -> str:
        return f"{DEFAULT_MODELS_VERSION}:{','.join(self.request.targets or ())}"

    def run(self, ctx: JobContext) -> dict[str, Any]:
        targets = list(self.request.targets or default_targets(ctx.project))
        cancel = _job_cancel(ctx)
        results: dict[str, Any] = {}
        for step, target in enumerate(targets):
            ctx.raise_if_stopped()
            if ctx.project.models.promoted(target) is not None:
                results[target] = "already trained"
                continue
            results[target] = self._train_one(ctx, target, step, len(targets), cancel)
        ctx.progress(len(targets), len(targets), "default models ready")
        ctx.project.meta.set("default_models", DEFAULT_MODELS_VERSION)
        return results

    def _train_one(self, ctx: JobContext, target: str, step: int, steps: int,
                   cancel: Callable[[], bool]) -> Any:
        r = self.request
        request = TrainRequest(target, members=r.members, split=r.split, budget=r.budget, params=r.params,
                               n_folds=r.n_folds, promote=True, n_jobs=r.n_jobs, workers=r.workers)

        def progress(done: int, total: int, message: str) -> None:
            ctx.progress(step * 100 + done, steps * 100, f"{target} ({step + 1}/{steps}): {message}")

        try:
            return model_summary(train_and_register(ctx.project, request, progress, cancel, ctx.job_id))
        except CancelledError:
            ctx.raise_if_stopped()
            raise CryoDeskError("training was cancelled") from None
        except (ValueError, InputError) as exc:  # one untrainable target must not stop the others
            return {"skipped": str(exc)}


# -- evaluation of a registered model -------------------------------------------------------------------
def request_for(row: ModelRow) -> TrainRequest:
    """The training request a registered version was made with (for re-evaluation or retraining)."""
    saved = dict(row.params_dict.get("request") or {})
    if not saved:
        raise CryoDeskError(f"{row.label} has no recorded training request")
    saved["members"] = tuple(saved.get("members") or ())
    saved["feature_sets"] = tuple(saved.get("feature_sets") or DEFAULT_FEATURE_SETS)
    return TrainRequest(**saved)


def evaluate_registered(
    project: Project,
    row: ModelRow,
    split: SplitName,
    seed: int = 0,
    progress: Callable[[int, int, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Retrain a version's configuration on a split's development rows and score its test rows.

    The registered artefact is not changed; the held-out scores are added to the record's metrics
    under ``evaluations.<split>``.
    """
    from cryodesk.ml import evaluate_split

    request = replace(request_for(row), split=split, seed=seed)
    data = assemble_dataset(project, request.target, feature_sets=request.feature_sets,
                            fingerprint_set=request.fingerprint_set, max_spread=request.max_spread,
                            cancel=cancel, workers=request.workers)
    report, _ = evaluate_split(data.dataset, make_split(data, split, seed), request.config(), progress, cancel)
    result = {"model": row.label, "split": report.split, "mean": report.mean, "per_task": report.per_task,
              "dataset": report.dataset, "seconds": report.seconds}
    evaluations = dict(row.metrics_dict.get("evaluations") or {})
    evaluations[f"{split}-seed{seed}"] = {"split": report.split, "mean": report.mean}
    if not project.read_only:
        project.models.update_metrics(row.id, {"evaluations": evaluations})
    return result
