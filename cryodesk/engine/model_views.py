"""What the Predictions and models view shows, computed by the engine (the GUI does no SQL and no ML).

* :func:`model_list`: every registered version with its CV and held-out metrics;
* :meth:`ModelViews.held_out`: the registered model's predictions on the rows its recorded split held
  out (predicted vs measured for a regressor, the ROC curve for a classifier). Training saves them
  (JSON beside the artefact, its SHA-256 in the registry, checked on read), so showing them is a
  file read: no structure parsing, featurising or prediction in the window's process, whose GIL
  the GUI thread shares. Versions trained before that was saved fall back to deriving the rows
  again: the labels are assembled the way training assembled them and the recorded split
  (scaffold, or random with its seed) is re-applied. The result's ``warning`` says so, and also
  when the project's labels changed since training (the re-derived split can then differ).
* :meth:`ModelViews.importance`: permutation importance of the ensemble on those held-out rows (their
  features read from the feature cache by the saved compound ids; re-derived for older versions);
* :meth:`ModelViews.explain`: one compound's prediction with its top feature contributions;
* :meth:`ModelViews.monitor`: the prediction service's monitoring figures of a version;
* :func:`train_in_child`: the training job as the GUI runs it, in a child process.

Results of the slow calls are cached per model version inside one :class:`ModelViews`.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cryodesk.domain import CryoDeskError, InputError
from cryodesk.engine.prediction import ModelIntegrityError
from cryodesk.engine.service import Workbench
from cryodesk.engine.training import (
    HELD_OUT_FORMAT,
    HELD_OUT_KEY,
    TrainRequest,
    assemble_dataset,
    compute_features,
    make_split,
    request_for,
)
from cryodesk.store.models import ModelRow

ProgressFn = Callable[[int, "int | None", str], None]
IMPORTANCE_REPEATS = 3
IMPORTANCE_MAX_ROWS = 1000
IMPORTANCE_TOP = 15
IMPORTANCE_CANDIDATES = 20
EXPLAIN_TOP = 10
REDERIVED_NOTE = (
    "held-out rows re-derived from the project's current labels (this version was trained before "
    "held-out predictions were saved with the model)"
)


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """One registered version as the model list shows it."""

    id: int
    name: str
    version: int
    status: str
    target: str
    task: str  # regression or classification
    feature_set: str
    created_at: str
    n_rows: int | None
    cv: dict[str, float]
    held_out: dict[str, float]
    split: str

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def primary_metric(self) -> tuple[str, float | None]:
        """The headline metric: ROC-AUC for a classifier, RMSE for a regressor (held-out first)."""
        name = "roc_auc" if self.task == "classification" else "rmse"
        value = self.held_out.get(name, self.cv.get(name))
        return name, value


@dataclass(frozen=True)
class RocCurve:
    fpr: np.ndarray
    tpr: np.ndarray
    auc: float


@dataclass(frozen=True)
class HeldOutPredictions:
    """A version's predictions on the held-out rows of its recorded split."""

    model_id: int
    label: str
    task: str
    split: str
    compound_ids: np.ndarray
    keys: list[str]
    measured: np.ndarray
    predicted: np.ndarray
    uncertainty: np.ndarray | None
    in_domain: np.ndarray | None
    metrics: dict[str, float]
    roc: RocCurve | None = None
    warning: str | None = None
    unit: str | None = None
    #: a classifier's uncalibrated scores (what its ROC and recorded ROC-AUC use); None for a regressor
    score: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class _SavedHeldOut:
    """The held-out predictions training saved with a version (see ``save_held_out_predictions``)."""

    compound_ids: np.ndarray
    keys: list[str]
    measured: np.ndarray
    predicted: np.ndarray
    uncertainty: np.ndarray | None
    in_domain: np.ndarray | None
    raw: np.ndarray | None
    label: str
    inputs: dict[str, Any] | None  # registry entry of the saved input matrix (path, sha256)


@dataclass(frozen=True, eq=False)
class _HeldOutRows:
    """Model inputs of the saved held-out rows (what importance shuffles), in the saved order."""

    X: np.ndarray
    y: np.ndarray
    fingerprints: np.ndarray | None
    keys: list[str]


@dataclass(frozen=True)
class FeatureImportanceRow:
    feature: str
    mean: float
    std: float


@dataclass(frozen=True)
class Explanation:
    """One compound's prediction and the features that moved it most."""

    model_id: int
    label: str
    inchikey: str
    name: str | None
    value: float | None
    uncertainty: float | None
    in_domain: bool | None
    source: str
    bias: float | None
    top: list[tuple[str, float]] = field(default_factory=list)
    note: str | None = None


# -- the model list ----------------------------------------------------------------------------------------
def model_list(wb: Workbench) -> list[ModelEntry]:
    """Every registered version (retired ones too), by name then version."""
    return [entry_for(row) for row in wb.models()]


def entry_for(row: ModelRow) -> ModelEntry:
    metrics = row.metrics_dict
    cv = _floats(metrics.get("cv", {}).get("ensemble", {}))
    held = metrics.get("held_out", {})
    held_mean = _floats(held.get("mean", {}).get("ensemble", {}))
    split = held.get("split", {}) or {}
    split_text = str(split.get("split") or row.params_dict.get("request", {}).get("split") or "")
    n_rows = row.params_dict.get("n_rows")
    # The registry's ``task`` column holds the target, ``kind`` the task type.
    return ModelEntry(
        row.id,
        row.name,
        row.version,
        row.status,
        row.task,
        row.kind,
        row.feature_set,
        row.created_at,
        None if n_rows is None else int(n_rows),
        cv,
        held_mean,
        split_text,
    )


def _floats(values: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in values.items() if isinstance(v, int | float) and math.isfinite(float(v))}


def trainable_targets(wb: Workbench) -> list[tuple[str, str]]:
    """``(target, task)`` pairs the train dialog offers: stored properties, then assays."""
    props = [(name, "regression") for name, _count in wb.property_names()]
    assays = [(key, "classification") for key in wb.project.models.assay_keys()]
    return props + assays


def feature_set_choices() -> list[tuple[str, str, bool]]:
    """``(name, description, default)`` of the feature sets a model can be trained on."""
    from cryodesk.chem.features import available_feature_sets
    from cryodesk.engine.training import DEFAULT_FEATURE_SETS

    return [(fs.name, fs.description, fs.name in DEFAULT_FEATURE_SETS) for fs in available_feature_sets()]


# -- per-model data (cached) -----------------------------------------------------------------------------
class ModelViews:
    """The slow per-model computations of the view, cached per model version (thread-safe)."""

    def __init__(self, wb: Workbench) -> None:
        self.wb = wb
        self._lock = threading.Lock()
        self._held_out: dict[int, HeldOutPredictions] = {}
        self._rows: dict[int, tuple[Any, np.ndarray]] = {}  # model id -> (test dataset, compound ids)
        self._warnings: dict[int, str] = {}
        self._row_locks: dict[int, threading.Lock] = {}
        self._importance: dict[int, list[FeatureImportanceRow]] = {}
        self._saved_rows: dict[int, _SavedHeldOut | None] = {}

    def held_out(self, model_id: int, cancel: Callable[[], bool] | None = None) -> HeldOutPredictions:
        """Predicted vs measured on the held-out rows of the version's recorded split.

        A file read for versions trained with saved held-out predictions (no parsing, featurising or
        model loading here); older versions re-derive the rows, and the ``warning`` says so.

        Raises:
            ModelIntegrityError: the saved file is missing or does not match the registry's SHA-256.
        """
        with self._lock:
            cached = self._held_out.get(model_id)
        if cached is not None:
            return cached
        row = self.wb.project.models.by_id(model_id)
        saved = self._saved(row)
        unit = row.params_dict.get("assembly", {}).get("unit")
        if saved is not None:
            compound_ids, keys, warning = saved.compound_ids, saved.keys, None
            measured, predicted = saved.measured, saved.predicted
            unc, in_domain, raw = saved.uncertainty, saved.in_domain, saved.raw
        else:
            test, compound_ids, warning, unit = self._test_rows(row, cancel)
            pred = self.wb.predictions.load(row).model.predict(test.X, test.fingerprints)
            keys = [str(k) for k in test.keys]
            measured = np.asarray(test.y, np.float64).reshape(-1)
            predicted = np.asarray(pred.value, np.float64).reshape(-1)
            unc = None if pred.uncertainty is None else np.asarray(pred.uncertainty, np.float64)
            in_domain = None if pred.in_domain is None else np.asarray(pred.in_domain, bool)
            raw = np.asarray(pred.raw, np.float64).reshape(-1)
            warning = f"{REDERIVED_NOTE}; {warning}" if warning else REDERIVED_NOTE
        roc, score = None, None
        if row.kind == "classification":
            score = predicted if raw is None else raw
            roc = roc_curve(measured, score)
            metrics = {"roc_auc": roc.auc, "n": float(len(measured)), "actives": float(np.sum(measured == 1))}
        else:
            metrics = regression_metrics(measured, predicted)
        result = HeldOutPredictions(
            row.id,
            row.label,
            row.kind,
            str(entry_for(row).split or "recorded split"),
            compound_ids,
            keys,
            measured,
            predicted,
            unc,
            in_domain,
            metrics,
            roc,
            warning,
            unit,
            score,
        )
        with self._lock:
            self._held_out[model_id] = result
        return result

    def importance(
        self, model_id: int, cancel: Callable[[], bool] | None = None
    ) -> list[FeatureImportanceRow]:
        """Permutation importance of the ensemble on the held-out rows (score drop when shuffled).

        Candidates are the LightGBM member's top-gain features (else the columns most correlated with
        the label). All shuffled copies go through the model in one call: a forest's per-call overhead
        (tens of ms) then counts once, not once per feature and repeat, which made ``ml``'s
        per-member version take about a minute on a 45-row held-out set.
        """
        with self._lock:
            cached = self._importance.get(model_id)
        if cached is not None:
            return cached
        row = self.wb.project.models.by_id(model_id)
        test, _ids, _warning, _unit = self._test_rows(row, cancel)
        model = self.wb.predictions.load(row).model
        X = np.asarray(test.X, np.float32)
        y = np.asarray(test.y, np.float64).reshape(-1)
        names = list(model.input_names) if model.columns is not None else list(model.feature_names)
        candidates = [names.index(n) for n in _candidate_features(model, X, y, names) if n in names]
        metric = _metric_for(row.kind)
        rng = np.random.default_rng(0)
        if len(y) > IMPORTANCE_MAX_ROWS:
            keep = rng.choice(len(y), IMPORTANCE_MAX_ROWS, replace=False)
            X, y = X[keep], y[keep]
        try:
            baseline = metric(y, model.predict(X).value)
            copies = []
            for j in candidates:
                for _ in range(IMPORTANCE_REPEATS):
                    shuffled = X.copy()
                    shuffled[:, j] = X[rng.permutation(len(y)), j]
                    copies.append(shuffled)
            if cancel is not None and cancel():
                raise CryoDeskError("cancelled")
            out = model.predict(np.vstack(copies)).value if copies else np.empty(0)
        except (ValueError, InputError) as exc:  # e.g. one class only among the held-out rows
            raise CryoDeskError(
                f"{row.label}: importance cannot be computed on the held-out rows: {exc}"
            ) from exc
        scores = np.asarray(out, np.float64).reshape(len(candidates), IMPORTANCE_REPEATS, len(y))
        result = []
        for c, j in enumerate(candidates):
            drops = [baseline - metric(y, scores[c, r]) for r in range(IMPORTANCE_REPEATS)]
            result.append(FeatureImportanceRow(names[j], float(np.mean(drops)), float(np.std(drops))))
        result.sort(key=lambda r: r.mean, reverse=True)
        result = result[:IMPORTANCE_TOP]
        with self._lock:
            self._importance[model_id] = result
        return result

    def explain(self, model_id: int, compound_id: int) -> Explanation:
        """The compound's prediction (through the prediction service's caches) and its top contributions."""
        row = self.wb.project.models.by_id(model_id)
        compounds = self.wb.compound_rows([compound_id])
        if not compounds:
            raise InputError(f"no compound with id {compound_id}")
        compound = compounds[0]
        pred = self.wb.predictions.predict_one(row.id, compound.inchikey)
        bias, top, note = None, [], None
        try:
            detail = self.wb.predictions.explain(row.id, compound.inchikey, top=EXPLAIN_TOP)
            bias = float(detail["bias"])
            top = [(str(name), float(value)) for name, value in detail["top"]]
        except (CryoDeskError, InputError) as exc:
            note = str(exc)
        if pred.error and note is None:
            note = pred.error
        return Explanation(
            row.id,
            row.label,
            compound.inchikey,
            compound.name,
            pred.value,
            pred.uncertainty,
            pred.in_domain,
            pred.source,
            bias,
            top,
            note,
        )

    def monitor(self, model_id: int) -> dict[str, Any]:
        """Prediction counts, latency histogram, cache hit rate and drift of a version."""
        return dict(self.wb.predictions.monitor(model_id))

    def promote(self, model_id: int) -> ModelRow:
        row = self.wb.project.models.by_id(model_id)
        return self.wb.promote_model(row.name, row.version)

    def rollback(self, model_id: int) -> ModelRow:
        row = self.wb.project.models.by_id(model_id)
        return self.wb.rollback_model(row.name)

    def forget(self) -> None:
        """Drop cached results (after a training run or a project switch)."""
        with self._lock:
            self._held_out.clear()
            self._rows.clear()
            self._importance.clear()
            self._warnings.clear()
            self._saved_rows.clear()
        self.wb.predictions.forget_resolutions()

    def _saved(self, row: ModelRow) -> _SavedHeldOut | None:
        """The version's saved held-out predictions, or None for a version trained before they were saved.

        Raises:
            ModelIntegrityError: the file is missing, or its SHA-256 differs from the registry's.
        """
        with self._lock:
            if row.id in self._saved_rows:
                return self._saved_rows[row.id]
        entry = row.params_dict.get(HELD_OUT_KEY)
        saved = None if not entry else _read_saved(self.wb.project.path.parent, row.label, entry)
        with self._lock:
            self._saved_rows[row.id] = saved
        return saved

    def _test_rows(
        self, row: ModelRow, cancel: Callable[[], bool] | None
    ) -> tuple[Any, np.ndarray, str | None, str | None]:
        # One assembly per version even when the plot and the importance ask at the same moment.
        with self._lock:
            model_lock = self._row_locks.setdefault(row.id, threading.Lock())
        with model_lock:
            return self._test_rows_locked(row, cancel)

    def _test_rows_locked(
        self, row: ModelRow, cancel: Callable[[], bool] | None
    ) -> tuple[Any, np.ndarray, str | None, str | None]:
        with self._lock:
            cached = self._rows.get(row.id)
        request = request_for(row)
        saved = self._saved(row)
        if cached is None and saved is not None:
            cached = self._saved_inputs(saved, request, cancel)
            if cached is not None:
                with self._lock:
                    self._rows[row.id] = cached
        if cached is None:
            data = assemble_dataset(
                self.wb.project,
                request.target,
                feature_sets=request.feature_sets,
                fingerprint_set=request.fingerprint_set,
                max_spread=request.max_spread,
                cancel=cancel,
                workers=1,
            )
            split = make_split(data, request.split, request.seed)
            test_idx = np.asarray(split.test, np.intp)
            cached = (data.dataset.subset(test_idx), data.compound_ids[test_idx])
            with self._lock:
                self._rows[row.id] = cached
            recorded = row.params_dict.get("n_rows")
            if recorded is not None and int(recorded) != len(data.dataset):
                self._warnings[row.id] = (
                    f"the project now has {len(data.dataset)} labelled rows for "
                    f"{request.target} (training had {recorded}): the held-out rows are "
                    "re-derived and may include rows the model was trained on"
                )
        unit = row.params_dict.get("assembly", {}).get("unit")
        return cached[0], cached[1], self._warnings.get(row.id), unit

    def _saved_inputs(
        self, saved: _SavedHeldOut, request: TrainRequest, cancel: Callable[[], bool] | None
    ) -> tuple[_HeldOutRows, np.ndarray] | None:
        """The saved held-out rows' model inputs (None: some cannot be had; the caller re-derives).

        Training saves them (``.npy``, SHA-256 checked); a version saved without them reads those
        compounds' features from the feature cache. Either way no scaffold is computed: assembly
        would parse every labelled structure in the window's process.
        """
        if saved.inputs is not None:
            X = _read_inputs(self.wb.project.path.parent, saved.label, saved.inputs)
            if X.shape[0] != len(saved.keys):
                raise ModelIntegrityError(f"{saved.label}: saved held-out inputs have {X.shape[0]} rows")
            return _HeldOutRows(X, saved.measured, None, saved.keys), saved.compound_ids
        feats = compute_features(
            self.wb.project,
            saved.compound_ids.tolist(),
            request.feature_sets,
            request.fingerprint_set,
            cancel=cancel,
            workers=1,
        )
        row_of = {int(cid): i for i, cid in enumerate(feats.ids.tolist())}
        ids = [int(c) for c in saved.compound_ids]
        if any(c in feats.failures or c not in row_of for c in ids):
            return None  # a compound changed or vanished since training: re-derive instead
        rows = np.asarray([row_of[c] for c in ids], np.intp)
        fps = None if feats.fingerprints is None else feats.fingerprints[rows]
        inputs = _HeldOutRows(feats.X[rows], saved.measured, fps, saved.keys)
        return inputs, saved.compound_ids


def _verified_bytes(folder: Path, label: str, entry: dict[str, Any], what: str) -> tuple[Path, bytes]:
    """A saved file's bytes, only when its SHA-256 matches the registry's record (checked before parsing)."""
    path = Path(str(entry.get("path") or ""))
    path = path if path.is_absolute() else folder / path
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ModelIntegrityError(f"{label}: saved held-out {what} {path} cannot be read: {exc}") from exc
    expected = str(entry.get("sha256") or "").lower()
    actual = hashlib.sha256(raw).hexdigest()
    if not expected or actual != expected:
        raise ModelIntegrityError(
            f"{label}: saved held-out {what} {path.name} have SHA-256 {actual[:12]}…, the registry "
            f"recorded {expected[:12] or 'none'}…; the file was modified, refusing to show it"
        )
    return path, raw


def _read_inputs(folder: Path, label: str, entry: dict[str, Any]) -> np.ndarray:
    _path, raw = _verified_bytes(folder, label, entry, "inputs")
    return np.load(io.BytesIO(raw), allow_pickle=False)  # a plain float32 matrix: no object arrays


def _read_saved(folder: Path, label: str, entry: dict[str, Any]) -> _SavedHeldOut:
    """Read and check a saved held-out file: its SHA-256 must match the registry before it is parsed."""
    path, raw = _verified_bytes(folder, label, entry, "predictions")
    data = json.loads(raw)
    if data.get("format") != HELD_OUT_FORMAT:
        raise CryoDeskError(
            f"{label}: {path.name} is not a held-out predictions file ({data.get('format')!r})"
        )
    unc, dom = data.get("uncertainty"), data.get("in_domain")
    return _SavedHeldOut(
        np.asarray(data["compound_ids"], np.int64),
        [str(k) for k in data["keys"]],
        np.asarray(data["measured"], np.float64),  # null (was NaN) reads back as NaN
        np.asarray(data["predicted"], np.float64),
        None if unc is None else np.asarray(unc, np.float64),
        None if dom is None else np.asarray(dom, bool),
        None if data.get("raw") is None else np.asarray(data["raw"], np.float64),
        label,
        entry.get("inputs") or None,
    )


def _candidate_features(model: Any, X: np.ndarray, y: np.ndarray, names: list[str]) -> list[str]:
    """Features worth shuffling: LightGBM's top gain, else the columns most correlated with the label."""
    if "lgbm" in model.ensemble.names:
        from cryodesk.ml.explain import top_gain_features
        from cryodesk.ml.models import final_step

        return top_gain_features(
            final_step(model.ensemble.member("lgbm")), model.feature_names, IMPORTANCE_CANDIDATES
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        # An all-NaN column (a descriptor no held-out row has) gets mean 0 instead of a warning; it
        # then correlates with nothing, which is the truth.
        finite = np.isfinite(X)
        means = np.divide(np.where(finite, X, 0.0).sum(axis=0), finite.sum(axis=0),
                          out=np.zeros(X.shape[1]), where=finite.any(axis=0))
        Xc = np.nan_to_num(X - means)
        yc = y - y.mean()
        corr = np.abs(Xc.T @ yc) / (np.linalg.norm(Xc, axis=0) * np.linalg.norm(yc) + 1e-12)
    order = np.argsort(-np.nan_to_num(corr), kind="stable")[:IMPORTANCE_CANDIDATES]
    return [names[j] for j in order]


def _metric_for(task: str) -> Callable[[np.ndarray, np.ndarray], float]:
    """Higher is better: ROC-AUC for a classifier, minus RMSE for a regressor (so drops are positive)."""
    if task == "classification":
        return lambda y, p: roc_curve(y, p).auc
    return lambda y, p: -float(np.sqrt(np.mean((np.asarray(p, np.float64) - y) ** 2)))


# -- metrics (numpy only: the GUI must not need sklearn) ------------------------------------------------------
def roc_curve(y: np.ndarray, score: np.ndarray) -> RocCurve:
    """ROC points (one per distinct score, ties kept together) and the trapezoid AUC.

    Raises:
        InputError: the rows hold only one class.
    """
    y = np.asarray(y, np.float64)
    score = np.asarray(score, np.float64)
    positives = float(np.sum(y == 1))
    negatives = float(np.sum(y == 0))
    if positives == 0 or negatives == 0:
        raise InputError("a ROC curve needs both active and inactive held-out rows")
    order = np.argsort(-score, kind="stable")
    y_sorted, s_sorted = y[order], score[order]
    tp = np.cumsum(y_sorted == 1)
    fp = np.cumsum(y_sorted == 0)
    last_of_tie = np.r_[np.flatnonzero(np.diff(s_sorted) != 0), len(s_sorted) - 1]
    tpr = np.r_[0.0, tp[last_of_tie] / positives]
    fpr = np.r_[0.0, fp[last_of_tie] / negatives]
    return RocCurve(fpr, tpr, _trapezoid(tpr, fpr))


def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2))


def regression_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    err = pred - y
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "r2": 1.0 - float(np.sum(err**2)) / ss_tot if ss_tot > 0 else float("nan"),
        "n": float(len(y)),
    }


# -- training in a child process ---------------------------------------------------------------------------
def train_in_child(
    on_progress: ProgressFn, cancel: Any, project_path: str, request: TrainRequest
) -> dict[str, Any]:
    """The GUI's training job, run by ``cryodesk.gui.job_process.run_in_process`` (picklable by reference).

    Returns ``{"state", "error", "model"}`` with the registered version's summary when it finished.
    """
    wb = Workbench.open(project_path)
    try:
        outcome = wb.train_model(request, on_progress, cancel)
        return {
            "state": outcome.state,
            "error": outcome.error,
            "model": outcome.result,
            "job_id": outcome.job_id,
        }
    finally:
        wb.close()


def warm_in_child(on_progress: ProgressFn, cancel: Any, project_path: str, model_id: int) -> dict[str, Any]:
    """Predict the whole library with one version into the project's prediction cache (a child process).

    The window then reads those predictions from the project file (one set-based read per 50,000
    compounds) instead of computing them in its own process.
    """
    wb = Workbench.open(project_path)
    try:
        row = wb.project.models.by_id(model_id)
        outcome = wb.warm_predictions(row.name, row.version, on_progress, cancel)
        return {
            "state": outcome.state,
            "error": outcome.error,
            "summary": outcome.result,
            "label": row.label,
            "cached_rows": wb.project.models.count_predictions(model_id),
        }
    finally:
        wb.close()
