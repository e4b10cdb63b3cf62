"""The prediction service: cached predictions with uncertainty and domain flags, and their monitoring.

Lookup order for (model version, InChIKey): a memory cache with a TTL, then the project's
``predictions`` table, then computation. Computation takes features from the feature cache (only
missing rows are featurised), loads the model once per version (only after its SHA-256 matches
the registry), predicts in chunks (cancellable, with progress) and writes the results back to both
caches. The cache key is the model *id*, i.e. one version, so promoting a new version reads and
writes only that version's rows; older versions keep theirs for a rollback.

Every call is counted per model version: predictions served, memory/store hits and misses, a
latency histogram, the share of out-of-domain predictions and how far the mean features of what
was computed lie from the training means (a drift indicator, with a retrain suggestion over a
threshold). Counters are persisted in the project's ``meta`` table so ``cryodesk models monitor``
sees them from another process.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from cryodesk.domain import CryoDeskError, InputError
from cryodesk.engine.jobs import JobContext
from cryodesk.engine.training import artefact_path, compute_features
from cryodesk.store import Project
from cryodesk.store.models import CachedPrediction, ModelRow

DEFAULT_TTL_S = 600.0
PREDICT_CHUNK = 5000
# Features are fetched in large blocks: each feature-cache read scans the set once.
FEATURE_CHUNK = 50_000
MAX_MEMORY_ENTRIES = 2_000_000
# A name resolves to its promoted version through a short-lived cache (a promotion made by another
# process is seen within this time; one made through this service at once).
RESOLVE_TTL_S = 1.0
MONITOR_FLUSH_S = 5.0
LATENCY_BUCKETS_MS: tuple[float, ...] = (
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
    10,
    25,
    50,
    100,
    250,
    1000,
    5000,
    math.inf,
)
#: Standardised mean difference of the features (averaged over columns) above which drift is flagged.
DRIFT_THRESHOLD = 0.5
#: Largest contribution of one column to the drift average (in training sd).
DRIFT_Z_CAP = 10.0
#: Share of out-of-domain predictions above which drift is flagged (the domain threshold leaves about
#: a tenth of the training compounds outside, so three times that is a real shift).
OOD_SHARE_THRESHOLD = 0.3
MIN_ROWS_FOR_DRIFT = 50


class ModelIntegrityError(CryoDeskError):
    """The artefact on disk does not match the registry's SHA-256: it was not loaded."""


class PredictionRow(NamedTuple):
    """One prediction. ``uncertainty`` is the interval half-width (regression) or the members' spread
    (classification); ``source`` is memory, store, computed or failed.

    A named tuple: a warm batch builds one per compound, and tuples are built several times faster
    than frozen dataclasses (this decides whether 10,000 cached predictions take 0.1 s or 0.2 s).
    """

    key: str
    value: float | None
    uncertainty: float | None
    in_domain: bool | None
    source: str
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()


@dataclass(slots=True)
class PredictionBatch:
    model: ModelRow
    rows: list[PredictionRow]
    memory_hits: int = 0
    store_hits: int = 0
    computed: int = 0
    failed: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "model": self.model.label,
            "model_id": self.model.id,
            "rows": len(self.rows),
            "memory_hits": self.memory_hits,
            "store_hits": self.store_hits,
            "computed": self.computed,
            "failed": self.failed,
            "seconds": round(self.seconds, 4),
            "warnings": self.warnings,
        }


@dataclass(eq=False)
class LoadedModel:
    row: ModelRow
    model: Any  # cryodesk.ml.TrainedModel
    feature_sets: tuple[str, ...]
    fingerprint_set: str | None
    train_mean: np.ndarray | None
    train_std: np.ndarray | None


@dataclass
class ModelMonitor:
    """Counters of one model version (see the module docstring)."""

    model_id: int
    calls: int = 0
    predictions: int = 0
    memory_hits: int = 0
    store_hits: int = 0
    computed: int = 0
    failed: int = 0
    in_domain: int = 0
    out_of_domain: int = 0
    latency_counts: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS_MS))
    latency_total_ms: float = 0.0
    feature_sum: list[float] = field(default_factory=list)
    feature_count: list[int] = field(default_factory=list)

    def record_call(self, batch: PredictionBatch) -> None:
        self.calls += 1
        self.predictions += len(batch.rows)
        self.memory_hits += batch.memory_hits
        self.store_hits += batch.store_hits
        self.computed += batch.computed
        self.failed += batch.failed
        ms = batch.seconds * 1000
        self.latency_total_ms += ms
        self.latency_counts[_bucket(ms)] += 1

    def record_computed(self, X: np.ndarray, in_domain: np.ndarray | None) -> None:
        if in_domain is not None:
            inside = int(np.count_nonzero(in_domain))
            self.in_domain += inside
            self.out_of_domain += len(in_domain) - inside
        finite = np.isfinite(X)
        sums = np.where(finite, X, 0).sum(axis=0, dtype=np.float64)
        counts = finite.sum(axis=0)
        if not self.feature_sum:
            self.feature_sum = [0.0] * X.shape[1]
            self.feature_count = [0] * X.shape[1]
        if len(self.feature_sum) == X.shape[1]:
            self.feature_sum = (np.asarray(self.feature_sum) + sums).tolist()
            self.feature_count = (np.asarray(self.feature_count) + counts).astype(int).tolist()

    def drift(self, mean: np.ndarray | None, std: np.ndarray | None) -> float | None:
        """Mean over columns of |mean predicted - mean trained| / sd trained, each column capped at
        :data:`DRIFT_Z_CAP` (None without data)."""
        if mean is None or std is None or not self.feature_sum or len(self.feature_sum) != len(mean):
            return None
        counts = np.asarray(self.feature_count, np.float64)
        usable = (counts > 0) & (std > 0)
        if not usable.any():
            return None
        seen = np.asarray(self.feature_sum)[usable] / counts[usable]
        z = np.abs(seen - mean[usable]) / std[usable]
        # One column may not decide the average alone: descriptors such as Ipc grow without bound on
        # large molecules (a 100,000-compound library gave a mean drift of 1.9e26 sd from one of them).
        return float(np.mean(np.minimum(z, DRIFT_Z_CAP)))

    def snapshot(self, mean: np.ndarray | None = None, std: np.ndarray | None = None) -> dict[str, Any]:
        lookups = self.memory_hits + self.store_hits + self.computed + self.failed
        domain_n = self.in_domain + self.out_of_domain
        ood = self.out_of_domain / domain_n if domain_n else None
        drift = self.drift(mean, std)
        reasons = []
        if domain_n >= MIN_ROWS_FOR_DRIFT and ood is not None and ood > OOD_SHARE_THRESHOLD:
            reasons.append(f"{ood:.0%} of computed predictions are outside the applicability domain")
        if self.computed >= MIN_ROWS_FOR_DRIFT and drift is not None and drift > DRIFT_THRESHOLD:
            reasons.append(f"feature means drifted {drift:.2f} training sd from the training set")
        return {
            "model_id": self.model_id,
            "calls": self.calls,
            "predictions": self.predictions,
            "memory_hits": self.memory_hits,
            "store_hits": self.store_hits,
            "computed": self.computed,
            "failed": self.failed,
            "cache_hit_rate": (self.memory_hits + self.store_hits) / lookups if lookups else None,
            "in_domain": self.in_domain,
            "out_of_domain": self.out_of_domain,
            "out_of_domain_share": ood,
            "drift": drift,
            "drift_threshold": DRIFT_THRESHOLD,
            "ood_share_threshold": OOD_SHARE_THRESHOLD,
            "retrain_suggested": bool(reasons),
            "reasons": reasons,
            "latency_ms": {
                "buckets_le": [str(b) for b in LATENCY_BUCKETS_MS],
                "counts": self.latency_counts,
                "mean": self.latency_total_ms / self.calls if self.calls else None,
            },
            "feature_sum": self.feature_sum,
            "feature_count": self.feature_count,
        }

    @classmethod
    def from_snapshot(cls, model_id: int, snap: dict[str, Any] | None) -> ModelMonitor:
        m = cls(model_id)
        if not snap:
            return m
        for name in (
            "calls",
            "predictions",
            "memory_hits",
            "store_hits",
            "computed",
            "failed",
            "in_domain",
            "out_of_domain",
        ):
            setattr(m, name, int(snap.get(name) or 0))
        counts = snap.get("latency_ms", {}).get("counts") or []
        if len(counts) == len(LATENCY_BUCKETS_MS):
            m.latency_counts = [int(c) for c in counts]
        mean = snap.get("latency_ms", {}).get("mean")
        m.latency_total_ms = float(mean or 0.0) * m.calls
        m.feature_sum = list(snap.get("feature_sum") or [])
        m.feature_count = list(snap.get("feature_count") or [])
        return m


def _bucket(ms: float) -> int:
    for i, edge in enumerate(LATENCY_BUCKETS_MS):
        if ms <= edge:
            return i
    return len(LATENCY_BUCKETS_MS) - 1


class PredictionService:
    """Predictions for one project (one instance per open project; thread-safe).

    Args:
        project: the open project.
        ttl_s: how long a prediction stays in the memory cache.
        chunk_size: rows per model call (cancellation and progress happen between chunks).
        workers: feature computation processes (None: one per core when it pays).
    """

    def __init__(
        self,
        project: Project,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        chunk_size: int = PREDICT_CHUNK,
        workers: int | None = None,
    ) -> None:
        self.project = project
        self.ttl_s = ttl_s
        self.chunk_size = chunk_size
        self.workers = workers
        self.hits = 0
        self.misses = 0
        self._memory: dict[int, dict[str, tuple[float, CachedPrediction]]] = {}
        self._loaded: dict[int, LoadedModel] = {}
        self._monitors: dict[int, ModelMonitor] = {}
        self._resolved: dict[tuple[str, int | None], tuple[float, ModelRow]] = {}
        self._last_flush = time.monotonic()
        self._lock = threading.RLock()
        self._load_lock = threading.Lock()
        # A read-only project still predicts; results then live in memory only.
        self._persist = not project.read_only

    # -- models ------------------------------------------------------------------------------------
    def resolve(self, model: str | int | ModelRow, version: int | None = None) -> ModelRow:
        """A model version from a row, an id, ``name``, or ``name@version`` (name alone: the promoted one)."""
        if isinstance(model, ModelRow):
            return model
        if isinstance(model, int):
            return self.project.models.by_id(model)
        name = model
        if version is None and "@" in model:
            name, _, text = model.rpartition("@")
            version = int(text.lstrip("v"))
        now = time.monotonic()
        cached = self._resolved.get((name, version))
        if cached is not None and cached[0] > now:
            return cached[1]
        row = self.project.models.get(name, version)
        self._resolved[(name, version)] = (now + RESOLVE_TTL_S, row)
        return row

    def forget_resolutions(self) -> None:
        """Drop name -> version resolutions (after a promotion, rollback or retirement)."""
        self._resolved.clear()

    def load(self, row: ModelRow) -> LoadedModel:
        """The model of a version, loaded once (after its SHA-256 matched the registry).

        Raises:
            ModelIntegrityError: the artefact is missing or was modified.
        """
        loaded = self._loaded.get(row.id)
        if loaded is not None:
            return loaded
        with self._load_lock:
            if row.id not in self._loaded:
                self._loaded[row.id] = self._load(row)
            return self._loaded[row.id]

    def _load(self, row: ModelRow) -> LoadedModel:
        from cryodesk.ml import ArtefactIntegrityError, load_model

        if not row.artefact_sha256:
            raise ModelIntegrityError(f"{row.label} has no recorded SHA-256; refusing to load its artefact")
        try:
            model = load_model(artefact_path(self.project, row), row.artefact_sha256)
        except ArtefactIntegrityError as exc:
            raise ModelIntegrityError(str(exc)) from exc
        if not hasattr(model, "predict") or not hasattr(model, "task_type"):
            raise CryoDeskError(f"{row.label} is not a single-task model")
        params = row.params_dict
        stats = params.get("feature_stats") or {}
        mean = np.asarray(stats["mean"], np.float64) if stats.get("mean") else None
        std = np.asarray(stats["std"], np.float64) if stats.get("std") else None
        feature_sets = tuple(params.get("feature_sets") or row.feature_set.split("+"))
        return LoadedModel(row, model, feature_sets, params.get("fingerprint_set"), mean, std)

    # -- predicting ----------------------------------------------------------------------------------
    def predict_one(self, model: str | int | ModelRow, key: str) -> PredictionRow:
        """One compound's prediction (the GUI's cell call): memory, then store, then computed."""
        return self.predict(model, [key]).rows[0]

    def predict(
        self,
        model: str | int | ModelRow,
        keys: Sequence[str],
        *,
        version: int | None = None,
        progress: Callable[[int, int, str], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> PredictionBatch:
        """Predictions for InChIKeys of project compounds, in the order given.

        Keys not in the project come back with source ``failed`` and an error (use
        :meth:`predict_structures` for structures outside the project).

        Raises:
            CancelledError: ``cancel()`` returned True between chunks (finished chunks stay cached).
            ModelIntegrityError: the artefact does not match the registry.
        """
        start = time.perf_counter()
        row = self.resolve(model, version)
        found = self._from_memory(row.id, keys)
        batch = PredictionBatch(row, [], memory_hits=len(found))
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        if missing:
            stored = self.project.models.read_predictions(row.id, missing)
            batch.store_hits = len(stored)
            self._remember(row.id, stored)
            found.update({k: (v, "store") for k, v in stored.items()})
            todo = [k for k in missing if k not in stored]
            if todo:
                computed, errors = self._compute(row, todo, batch, progress, cancel)
                found.update({k: (v, "computed") for k, v in computed.items()})
                found.update({k: (None, e) for k, e in errors.items()})
        batch.rows = _rows(keys, found)
        batch.failed = sum(1 for r in batch.rows if r.source == "failed")
        batch.seconds = time.perf_counter() - start
        self._account(row.id, batch)
        return batch

    def predict_all(
        self,
        model: str | int | ModelRow,
        *,
        version: int | None = None,
        progress: Callable[[int, int, str], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> PredictionBatch:
        """Predictions for every compound of the project (the cache warm-up after a promotion)."""
        keys = [r.inchikey for r in self.project.compounds.rows_by_ids(self.project.compounds.all_ids())]
        return self.predict(model, keys, version=version, progress=progress, cancel=cancel)

    def predict_structures(
        self, model: str | int | ModelRow, structures: Sequence[str], *, version: int | None = None
    ) -> list[PredictionRow]:
        """Predictions for structures (SMILES, InChI) that need not be in the project.

        Each structure is standardised to its InChIKey; project compounds go through :meth:`predict`
        (and its caches); the others are featurised here, without touching the feature cache, and
        their predictions are cached under their InChIKey.
        """
        from cryodesk.chem import compound_from_text

        row = self.resolve(model, version)
        identities = [compound_from_text(text) for text in structures]
        keys = [r.compound.inchikey if r.compound is not None else None for r in identities]
        known = self.project.compounds.ids_for([k for k in keys if k])
        in_project = self.predict(row, [k for k in keys if k in known]) if known else None
        results: dict[str, PredictionRow] = {r.key: r for r in (in_project.rows if in_project else [])}
        outside = {
            k: r.compound.smiles
            for k, r in zip(keys, identities, strict=True)
            if k and k not in known and r.compound is not None
        }
        if outside:
            results.update(self._predict_outside(row, outside))
        out = []
        for text, key, ident in zip(structures, keys, identities, strict=True):
            if key is None:
                out.append(PredictionRow(str(text), None, None, None, "failed", ident.error or "unparsable"))
            else:
                out.append(results[key])
        return out

    def explain(self, model: str | int | ModelRow, key: str, *, top: int = 10) -> dict[str, Any]:
        """Per-feature contributions of one compound's prediction (the LightGBM member's SHAP values)."""
        row = self.resolve(model)
        loaded = self.load(row)
        ids = self.project.compounds.ids_for([key])
        if key not in ids:
            raise InputError(f"{key} is not a compound of this project")
        feats = compute_features(self.project, [ids[key]], loaded.feature_sets, None, workers=1)
        if feats.failures:
            raise InputError(f"{key}: features could not be computed: {next(iter(feats.failures.values()))}")
        try:
            contribution = loaded.model.explain(feats.X, top=top)[0]
        except ValueError as exc:
            raise CryoDeskError(f"{row.label} cannot explain predictions: {exc}") from exc
        return {"model": row.label, "key": key, **contribution.as_dict()}

    # -- cache management ------------------------------------------------------------------------------
    def invalidate(self, model_id: int) -> int:
        """Forget one model version's predictions (memory and store); other versions are untouched."""
        with self._lock:
            self._memory.pop(model_id, None)
        return self.project.models.invalidate_predictions(model_id)

    def clear_memory(self) -> None:
        with self._lock:
            self._memory.clear()

    def counters(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses}

    def monitor(self, model: str | int | ModelRow) -> dict[str, Any]:
        """Monitoring figures of a model version (persisted counters plus this process's)."""
        row = self.resolve(model)
        monitor = self._monitor(row.id)
        mean = std = None
        try:
            loaded = self.load(row)
            mean, std = loaded.train_mean, loaded.train_std
        except CryoDeskError:
            pass  # a missing artefact must not hide the counters
        snap = monitor.snapshot(mean, std)
        snap.pop("feature_sum")
        snap.pop("feature_count")
        return {
            "model": row.label,
            "status": row.status,
            "cached_rows": self.project.models.count_predictions(row.id),
            **snap,
        }

    def flush(self) -> None:
        """Persist every monitor's counters now."""
        with self._lock:
            monitors = list(self._monitors.values())
            self._last_flush = time.monotonic()
        if not self._persist:
            return
        for m in monitors:
            self.project.models.save_monitor(m.model_id, m.snapshot())

    # -- internals ---------------------------------------------------------------------------------------
    def _from_memory(
        self, model_id: int, keys: Sequence[str]
    ) -> dict[str, tuple[CachedPrediction | None, str]]:
        now = time.monotonic()
        out: dict[str, tuple[CachedPrediction | None, str]] = {}
        with self._lock:
            cache = self._memory.get(model_id)
            if not cache:
                return out
            for key in keys:
                entry = cache.get(key)
                if entry is not None:
                    if entry[0] > now:
                        out[key] = (entry[1], "memory")
                    else:
                        del cache[key]
        return out

    def _remember(self, model_id: int, items: dict[str, CachedPrediction]) -> None:
        if not items:
            return
        expires = time.monotonic() + self.ttl_s
        with self._lock:
            if sum(len(c) for c in self._memory.values()) + len(items) > MAX_MEMORY_ENTRIES:
                self._memory.clear()  # rare; the store still holds everything
            cache = self._memory.setdefault(model_id, {})
            for key, value in items.items():
                cache[key] = (expires, value)

    def _account(self, model_id: int, batch: PredictionBatch) -> None:
        with self._lock:
            self.hits += batch.memory_hits + batch.store_hits
            self.misses += len(batch.rows) - batch.memory_hits - batch.store_hits
            self._monitor(model_id).record_call(batch)
            due = time.monotonic() - self._last_flush >= MONITOR_FLUSH_S
        if due or batch.computed:
            self.flush()

    def _monitor(self, model_id: int) -> ModelMonitor:
        with self._lock:
            monitor = self._monitors.get(model_id)
            if monitor is None:
                monitor = ModelMonitor.from_snapshot(model_id, self.project.models.load_monitor(model_id))
                self._monitors[model_id] = monitor
            return monitor

    def _compute(
        self,
        row: ModelRow,
        keys: list[str],
        batch: PredictionBatch,
        progress: Callable[[int, int, str], None] | None,
        cancel: Callable[[], bool] | None,
    ) -> tuple[dict[str, CachedPrediction], dict[str, str]]:
        loaded = self.load(row)
        ids = self.project.compounds.ids_for(keys)
        errors = {k: "not a compound of this project" for k in keys if k not in ids}
        pairs = [(k, ids[k]) for k in keys if k in ids]
        out: dict[str, CachedPrediction] = {}
        done = 0
        for start in range(0, len(pairs), FEATURE_CHUNK):
            part = pairs[start : start + FEATURE_CHUNK]
            feats = self._features(
                loaded, [cid for _, cid in part], batch, progress, cancel, done, len(pairs)
            )
            row_of = {int(cid): i for i, cid in enumerate(feats.ids.tolist())}
            good = [(k, cid) for k, cid in part if cid not in feats.failures]
            errors.update(
                {k: f"features failed: {feats.failures[cid]}" for k, cid in part if cid in feats.failures}
            )
            rows = np.asarray([row_of[cid] for _, cid in good], np.intp)
            for c in range(0, len(good), self.chunk_size):
                if cancel is not None and cancel():
                    raise CancelledError("prediction cancelled")
                sel = rows[c : c + self.chunk_size]
                chunk_keys = [k for k, _ in good[c : c + self.chunk_size]]
                fps = feats.fingerprints[sel] if feats.fingerprints is not None else None
                out.update(self._predict_rows(loaded, chunk_keys, feats.X[sel], fps))
                done += len(chunk_keys)
                if progress is not None:
                    progress(done, len(pairs), f"{row.label}: {done} of {len(pairs)} predicted")
            done += len(part) - len(good)
        batch.computed = len(out)
        return out, errors

    def _features(
        self,
        loaded: LoadedModel,
        ids: list[int],
        batch: PredictionBatch,
        progress: Callable[[int, int, str], None] | None,
        cancel: Callable[[], bool] | None,
        done: int,
        total: int,
    ) -> Any:
        def feature_progress(n: int, of: int) -> None:
            if progress is not None:
                progress(done, total, f"features {n} of {of}")

        from cryodesk.chem.features import CancelledError as FeatureCancelled

        try:
            feats = compute_features(
                self.project,
                ids,
                loaded.feature_sets,
                loaded.fingerprint_set,
                feature_progress,
                cancel,
                self.workers,
            )
        except FeatureCancelled as exc:
            raise CancelledError("prediction cancelled") from exc
        if feats.version != loaded.row.feature_version and not batch.warnings:
            batch.warnings.append(
                f"{loaded.row.label} was trained on features {loaded.row.feature_version}; "
                f"they are now {feats.version}: retrain to be exact"
            )
        return feats

    def _predict_rows(
        self,
        loaded: LoadedModel,
        keys: list[str],
        X: np.ndarray,
        fps: np.ndarray | None,
        *,
        persist: bool = True,
    ) -> dict[str, CachedPrediction]:
        pred = loaded.model.predict(X, fps)
        unc = pred.uncertainty
        if unc is None and len(pred.members) > 1:
            unc = np.std(np.column_stack(list(pred.members.values())), axis=1)
        dom = pred.in_domain
        items = {
            key: CachedPrediction(
                _num(pred.value[i]),
                None if unc is None else _num(unc[i]),
                None if dom is None else bool(dom[i]),
            )
            for i, key in enumerate(keys)
        }
        if persist and self._persist:
            self.project.models.put_predictions(
                loaded.row.id, ((k, p.value, p.uncertainty, p.in_domain) for k, p in items.items())
            )
        self._remember(loaded.row.id, items)
        with self._lock:
            self._monitor(loaded.row.id).record_computed(np.asarray(X, np.float64), dom)
        return items

    def _predict_outside(self, row: ModelRow, smiles_by_key: dict[str, str]) -> dict[str, PredictionRow]:
        """Predict structures that are not project compounds (features computed here, not cached)."""
        loaded = self.load(row)
        keys = list(smiles_by_key)
        stored = self.project.models.read_predictions(row.id, keys)
        out = {k: _row(k, (v, "store")) for k, v in stored.items()}
        todo = [k for k in keys if k not in stored]
        if not todo:
            return out
        X, fps, failures = _features_for_structures([smiles_by_key[k] for k in todo], loaded)
        good = [i for i in range(len(todo)) if i not in failures]
        for i, reason in failures.items():
            out[todo[i]] = PredictionRow(todo[i], None, None, None, "failed", f"features failed: {reason}")
        if good:
            sel = np.asarray(good, np.intp)
            items = self._predict_rows(
                loaded, [todo[i] for i in good], X[sel], None if fps is None else fps[sel]
            )
            out.update({k: _row(k, (v, "computed")) for k, v in items.items()})
        return out


def _features_for_structures(
    smiles: list[str], loaded: LoadedModel
) -> tuple[np.ndarray, np.ndarray | None, dict[int, str]]:
    from cryodesk.chem.features import compute_fingerprints, featurize
    from cryodesk.ml import assemble_features

    parts, failures = [], {}
    for name in loaded.feature_sets:
        m = featurize(smiles, name)
        failures.update(dict(m.failures))
        parts.append((name, np.asarray(m.values, np.float32), m.columns, m.version))
    fps = None
    if loaded.fingerprint_set:
        fm = compute_fingerprints(smiles, loaded.fingerprint_set)
        failures.update(dict(fm.failures))
        fps = fm.data
    return assemble_features(parts).X, fps, failures


def _num(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _rows(keys: Sequence[str], found: dict[str, tuple[CachedPrediction | None, str]]) -> list[PredictionRow]:
    """Rows in the order of ``keys`` (a plain loop: this is the hot path of a warm batch)."""
    make = PredictionRow
    out = []
    append = out.append
    for key in keys:
        pred, source = found[key]
        if pred is None:
            append(make(key, None, None, None, "failed", source))
        else:
            append(make(key, pred[0], pred[1], pred[2], source))
    return out


def _row(key: str, found: tuple[CachedPrediction | None, str]) -> PredictionRow:
    pred, source = found
    if pred is None:
        return PredictionRow(key, None, None, None, "failed", source)
    return PredictionRow(key, pred.value, pred.uncertainty, pred.in_domain, source)


class PredictionWarmupJob:
    """Fill a model version's prediction cache for the whole library (after a promotion)."""

    kind = "prediction_warmup"

    def __init__(
        self, model: str, version: int | None = None, service: PredictionService | None = None
    ) -> None:
        self.model = model
        self.version = version
        self.service = service

    def params(self) -> dict[str, Any]:
        return {"model": self.model, "version": self.version}

    def fingerprint(self) -> None:
        return None  # the cache itself is the checkpoint: a re-run computes only what is missing

    def run(self, ctx: JobContext) -> dict[str, Any]:
        service = self.service or PredictionService(ctx.project)
        stop = threading.Event()

        def cancel() -> bool:
            if ctx.stop_requested() is not None:
                stop.set()
            return stop.is_set()

        try:
            batch = service.predict_all(
                self.model, version=self.version, progress=ctx.progress, cancel=cancel
            )
        except CancelledError:
            ctx.raise_if_stopped()
            raise CryoDeskError("warm-up was cancelled") from None
        return batch.summary()
