"""Virtual screening: rank a structure library of any size and import only the best hits.

The ``screen`` job streams a SMILES or SD file in fixed-size chunks of records. Each chunk goes to an
executor (in-process, local processes, or Dask) through :func:`screen_chunk`, a picklable top-level
function that parses + standardises, featurises, predicts with every chosen model (each artefact is
loaded once per worker process, after its SHA-256 matched the registry) and scores with a
desirability profile. A chunk returns only its own candidate hits; this thread merges them into a
bounded :class:`HitHeap` and commits, per chunk and in one transaction, the sampled row errors and a
checkpoint holding the next chunk number, the counters and the whole heap. A killed or cancelled
screen therefore resumes at the first uncommitted chunk with exactly the heap it had, and ends with
the hits of an uninterrupted run. At the end the hits are upserted as compounds, their predictions go
into the models' prediction cache, and a row list named after the screen holds them.

Ranking (the stated tie-break, identical on every executor because chunks are cut the same way and
merged in file order):

1. hits whose profile coverage reaches the profile's ``min_coverage`` first;
2. score descending (NaN last);
3. coverage descending (more of the profile known);
4. InChIKey ascending;
5. record number ascending (a compound met twice keeps its first record).

Kept hits: the ``top`` best, plus every hit at or above ``threshold`` (with enough coverage), at most
``max_hits`` in all, so memory is bounded whatever the library size.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import math
import pickle
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from heapq import heapify, heappop, heappush
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from cryodesk.domain import Compound, CryoDeskError, InputError, RowError
from cryodesk.domain.batching import batched
from cryodesk.engine.executor import Executor, InProcessExecutor, make_executor
from cryodesk.engine.jobs import JobContext
from cryodesk.store import Project

DEFAULT_CHUNK = 1000
DEFAULT_TOP = 1000
#: Hard cap on kept hits when a threshold admits more than ``top`` (bounds memory and checkpoint size).
DEFAULT_MAX_HITS = 100_000
#: Row errors stored per screen (the first ones, in file order); the rest are only counted by reason.
ERROR_SAMPLE = 200
#: A stored regression uncertainty is a 90 % conformal half-width; sd = half-width / z(0.95).
HALF_WIDTH_Z = 1.6449
SCORE_METHODS = ("delta", "mc")
HITS_IN_METRICS = 1000
#: The ranking rule in words (recorded with every screen's row list; see the module docstring).
TIE_BREAK = (
    "enough profile coverage first, then score descending (NaN last), coverage descending, "
    "InChIKey ascending, record number ascending"
)
#: Best hits the GUI's live table shows.
LIVE_HITS = 50

#: One library record shipped to a worker: (record number, structure text, kind, name, reading error).
LibraryRecord = tuple[int, str, str, str | None, str | None]


# -- parameters -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ScreenParams:
    """What to screen and how.

    Attributes:
        library: SMILES (.smi/.smiles/...) or SD (.sdf/.sd) file, optionally gzip-compressed.
        models: model references (``NAME`` = promoted version, or ``NAME@VERSION``).
        profile: desirability profile name; None ranks by the first model's predicted value (higher first).
        top: hits always kept.
        threshold: also keep every hit scoring at least this (up to ``max_hits``).
        max_hits: cap on kept hits.
        chunk_size: records per chunk (the unit of work, progress and checkpoint).
        workers: local worker processes (0 = one per core, 1 = in this process) or Dask LocalCluster workers.
        scheduler: None (local executor), ``"local"`` (a Dask LocalCluster) or a scheduler address.
        name: the row list the hits go into (default ``screen <file> #<job id>``).
        score_method: ``delta`` (fast, per row) or ``mc`` (Monte Carlo, fixed seed per chunk).
    """

    library: str
    models: tuple[str, ...]
    profile: str | None = None
    top: int = DEFAULT_TOP
    threshold: float | None = None
    max_hits: int = DEFAULT_MAX_HITS
    chunk_size: int = DEFAULT_CHUNK
    workers: int = 0
    scheduler: str | None = None
    name: str | None = None
    score_method: str = "delta"

    def validate(self) -> None:
        if not self.models:
            raise InputError("screen: choose at least one model")
        if self.top < 1 or self.chunk_size < 1:
            raise InputError("screen: --top and the chunk size must be positive")
        if self.max_hits < self.top:
            raise InputError(f"screen: max_hits ({self.max_hits}) is below top ({self.top})")
        if self.score_method not in SCORE_METHODS:
            raise InputError(f"screen: score method must be one of {', '.join(SCORE_METHODS)}")
        if self.threshold is not None and not math.isfinite(self.threshold):
            raise InputError("screen: the threshold must be a finite number")


# -- what a worker needs (picklable) ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One model as a worker sees it: where its artefact is (or its bytes, for remote workers)."""

    label: str
    model_id: int
    kind: str  # regression / classification
    path: str
    sha256: str
    feature_sets: tuple[str, ...]
    fingerprint_set: str | None
    blob: bytes | None = None


@dataclass(frozen=True, slots=True)
class TermSpec:
    """How a profile term gets its input: ``scale * prediction + offset`` of one model (or nothing)."""

    key: str
    model_index: int | None
    scale: float = 1.0
    offset: float = 0.0
    sd_per_uncertainty: float = 1.0 / HALF_WIDTH_Z


@dataclass(frozen=True, slots=True)
class ScreenSpec:
    models: tuple[ModelSpec, ...]
    profile: Any  # cryodesk.ml.scoring.Profile, or None: rank by the first model's value
    terms: tuple[TermSpec, ...]
    top: int
    threshold: float | None
    max_hits: int
    threads: int = 1
    score_method: str = "delta"
    n_samples: int = 500


# -- hits and the bounded heap -------------------------------------------------------------------------
@dataclass(slots=True)
class Hit:
    """One scored compound. ``preds`` holds ``(value, uncertainty, in_domain)`` per model, in model order."""

    key: str
    smiles: str
    name: str | None
    record: int
    score: float
    sd: float
    low: float
    high: float
    coverage: float
    enough: bool
    preds: list[tuple[float | None, float | None, bool | None]]
    inchi: str = ""
    formula: str = ""
    std_version: str = ""
    mol_weight: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Hit:
        data = dict(data)
        data["preds"] = [tuple(p) for p in data["preds"]]
        return cls(**data)

    def compound(self) -> Compound:
        return Compound(
            self.key, self.smiles, self.inchi, self.formula, self.std_version, self.name, self.mol_weight
        )

    def summary(self, model_labels: Sequence[str]) -> dict[str, Any]:
        preds = {
            label: {"value": v, "uncertainty": u, "in_domain": d}
            for label, (v, u, d) in zip(model_labels, self.preds, strict=True)
        }
        return {
            "key": self.key,
            "smiles": self.smiles,
            "name": self.name,
            "record": self.record,
            "score": self.score,
            "sd": self.sd,
            "low": self.low,
            "high": self.high,
            "coverage": self.coverage,
            "ranked": self.enough,
            "predictions": preds,
        }


def _score_key(score: float) -> float:
    return -math.inf if math.isnan(score) else score


def is_worse(a: Hit, b: Hit) -> bool:
    """True when ``a`` ranks after ``b`` (the module docstring's order; a total order on distinct records)."""
    ka = (a.enough, _score_key(a.score), a.coverage)
    kb = (b.enough, _score_key(b.score), b.coverage)
    if ka != kb:
        return ka < kb
    if a.key != b.key:
        return a.key > b.key
    return a.record > b.record


class _Worst:
    """Heap item: ``heapq`` keeps the *worst* hit at index 0, ready to be evicted."""

    __slots__ = ("hit",)

    def __init__(self, hit: Hit) -> None:
        self.hit = hit

    def __lt__(self, other: _Worst) -> bool:
        return is_worse(self.hit, other.hit)


class HitHeap:
    """The best hits seen so far, bounded: the ``top`` best plus those passing ``threshold``, at most ``cap``.

    Invariant: the heap holds exactly the first ``min(cap, max(top, passing))`` hits, in rank order, of
    everything offered (one hit per InChIKey, its best record). "Passing" hits form a prefix of that
    order, so evicting the worst while it is surplus keeps the invariant and makes the result
    independent of how the offers were batched.
    """

    def __init__(self, top: int, threshold: float | None = None, cap: int | None = None) -> None:
        self.top = top
        self.threshold = threshold
        self.cap = max(top, cap if cap is not None else top)
        self._heap: list[_Worst] = []
        self._by_key: dict[str, _Worst] = {}

    def __len__(self) -> int:
        return len(self._heap)

    def passes(self, hit: Hit) -> bool:
        return self.threshold is not None and hit.enough and _score_key(hit.score) >= self.threshold

    def offer(self, hit: Hit) -> None:
        old = self._by_key.get(hit.key)
        if old is not None:
            if not is_worse(old.hit, hit):
                return  # the kept record of this compound ranks at least as well
            self._heap.remove(old)  # rare (a duplicate scoring better): O(n) is fine
            heapify(self._heap)
        item = _Worst(hit)
        heappush(self._heap, item)
        self._by_key[hit.key] = item
        self._trim()

    def offer_many(self, hits: Iterable[Hit]) -> None:
        for hit in hits:
            self.offer(hit)

    def _trim(self) -> None:
        while len(self._heap) > self.top and (
            len(self._heap) > self.cap or not self.passes(self._heap[0].hit)
        ):
            gone = heappop(self._heap)
            del self._by_key[gone.hit.key]

    def hits(self) -> list[Hit]:
        """The kept hits, best first."""
        return [item.hit for item in sorted(self._heap, reverse=True)]

    def to_json(self) -> list[dict[str, Any]]:
        return [h.to_json() for h in self.hits()]

    @classmethod
    def from_json(
        cls, items: Iterable[dict[str, Any]], top: int, threshold: float | None, cap: int | None
    ) -> HitHeap:
        heap = cls(top, threshold, cap)
        heap.offer_many(Hit.from_json(d) for d in items)
        return heap


# -- the worker side --------------------------------------------------------------------------------------
@dataclass(slots=True)
class ChunkResult:
    """What one chunk sends back: its candidate hits, its errors, and where the time went."""

    n_records: int
    n_scored: int
    hits: list[Hit]
    errors: list[tuple[int, str, str | None]]  # (record number, reason, name)
    out_of_domain: list[int]  # per model
    seconds: dict[str, float] = field(default_factory=dict)


#: Models loaded in this process, by SHA-256: a worker loads each artefact once, not once per chunk.
_MODELS: dict[str, Any] = {}


def _load_model(spec: ModelSpec) -> Any:
    model = _MODELS.get(spec.sha256)
    if model is not None:
        return model
    from cryodesk.engine.prediction import ModelIntegrityError
    from cryodesk.ml import ArtefactIntegrityError, load_model

    if spec.blob is None:
        try:
            model = load_model(spec.path, spec.sha256)
        except ArtefactIntegrityError as exc:
            raise ModelIntegrityError(str(exc)) from exc
    else:
        # Shipped bytes (remote workers cannot see the project's folder): same check as load_model.
        actual = hashlib.sha256(spec.blob).hexdigest()
        if not hmac.compare_digest(actual, spec.sha256):
            raise ModelIntegrityError(
                f"{spec.label}: shipped artefact has SHA-256 {actual}, expected {spec.sha256}"
            )
        model = pickle.loads(spec.blob)  # noqa: S301 - hash-checked against the registry just above
    _MODELS[spec.sha256] = model
    return model


def screen_chunk(spec: ScreenSpec, records: Sequence[LibraryRecord]) -> ChunkResult:
    """Parse, standardise, featurise, predict and score one chunk; return its candidate hits.

    Runs in a worker (top-level and picklable). Per-record problems become errors, never exceptions.
    """
    clock = time.perf_counter()
    compounds, rows, errors = _standardise(records)
    t_parse = time.perf_counter()
    X_by_model, fps_by_model, failed = _features(spec, [c.smiles for c in compounds])
    t_feat = time.perf_counter()
    good = [i for i in range(len(compounds)) if i not in failed]
    errors.extend((rows[i][0], f"features failed: {failed[i]}", rows[i][1]) for i in sorted(failed))
    preds, ood = _predict(spec, X_by_model, fps_by_model, good)
    t_pred = time.perf_counter()
    hits = _score(spec, [compounds[i] for i in good], [rows[i][0] for i in good], preds)
    local = HitHeap(spec.top, spec.threshold, spec.max_hits)
    local.offer_many(hits)
    t_score = time.perf_counter()
    errors.sort()
    seconds = {
        "parse": t_parse - clock,
        "features": t_feat - t_parse,
        "predict": t_pred - t_feat,
        "score": t_score - t_pred,
    }
    return ChunkResult(len(records), len(good), local.hits(), errors, ood, seconds)


def _standardise(
    records: Sequence[LibraryRecord],
) -> tuple[list[Compound], list[tuple[int, str | None]], list[tuple[int, str, str | None]]]:
    from cryodesk.chem import compound_from_text

    compounds: list[Compound] = []
    rows: list[tuple[int, str | None]] = []
    errors: list[tuple[int, str, str | None]] = []
    for index, text, kind, name, error in records:
        if error is not None:
            errors.append((index, error, name))
            continue
        result = compound_from_text(text, kind=kind, name=name)
        if result.compound is None:
            errors.append((index, result.error or "structure not readable", name))
            continue
        compounds.append(result.compound)
        rows.append((index, name))
    return compounds, rows, errors


def _features(
    spec: ScreenSpec, smiles: list[str]
) -> tuple[list[np.ndarray], list[np.ndarray | None], dict[int, str]]:
    """Each model's X (and packed fingerprints), computing every feature set once per chunk."""
    from cryodesk.chem.features import compute_fingerprints, featurize
    from cryodesk.ml import assemble_features

    runner = InProcessExecutor(spec.threads)
    size = max(1, len(smiles))  # one featurisation chunk: the screen chunk is already the unit of work
    blocks: dict[str, tuple[str, np.ndarray, Sequence[str], str]] = {}
    packed: dict[str, np.ndarray] = {}
    failed: dict[int, str] = {}
    for name in dict.fromkeys(s for m in spec.models for s in m.feature_sets):
        fm = featurize(smiles, name, runner, chunk_size=size)
        failed.update({i: r for i, r in fm.failures if i not in failed})
        blocks[name] = (name, np.asarray(fm.values, np.float32), fm.columns, fm.version)
    for name in dict.fromkeys(m.fingerprint_set for m in spec.models if m.fingerprint_set):
        fp = compute_fingerprints(smiles, name, runner, chunk_size=size)
        failed.update({i: r for i, r in fp.failures if i not in failed})
        packed[name] = fp.data
    if not smiles:
        return [np.zeros((0, 0), np.float32) for _ in spec.models], [None for _ in spec.models], failed
    X = [assemble_features([blocks[s] for s in m.feature_sets]).X for m in spec.models]
    fps = [packed[m.fingerprint_set] if m.fingerprint_set else None for m in spec.models]
    return X, fps, failed


def _predict(
    spec: ScreenSpec, X_by_model: list[np.ndarray], fps_by_model: list[np.ndarray | None], good: list[int]
) -> tuple[list[tuple[np.ndarray, np.ndarray | None, np.ndarray | None]], list[int]]:
    """``(value, uncertainty, in_domain)`` arrays per model over the ``good`` rows (PredictionService's rules)."""
    sel = np.asarray(good, np.intp)
    out = []
    ood = []
    for m, X, fps in zip(spec.models, X_by_model, fps_by_model, strict=True):
        if not len(sel):
            out.append((np.zeros(0), None, None))
            ood.append(0)
            continue
        model = _load_model(m)
        pred = model.predict(X[sel], None if fps is None else fps[sel])
        unc = pred.uncertainty
        if unc is None and len(pred.members) > 1:
            unc = np.std(np.column_stack(list(pred.members.values())), axis=1)
        dom = pred.in_domain
        out.append(
            (
                np.asarray(pred.value, np.float64),
                None if unc is None else np.asarray(unc, np.float64),
                None if dom is None else np.asarray(dom, bool),
            )
        )
        ood.append(0 if dom is None else int(len(dom) - np.count_nonzero(dom)))
    return out, ood


def _score(
    spec: ScreenSpec,
    compounds: list[Compound],
    records: list[int],
    preds: list[tuple[np.ndarray, np.ndarray | None, np.ndarray | None]],
) -> list[Hit]:
    n = len(compounds)
    if n == 0:
        return []
    if spec.profile is None:
        value, unc, _ = preds[0]
        sd = np.full(n, np.nan) if unc is None else unc / HALF_WIDTH_Z
        score, low, high, coverage, enough = (
            value,
            value - 1.6449 * sd,
            value + 1.6449 * sd,
            np.ones(n),
            np.ones(n, bool),
        )
    else:
        from cryodesk.ml.scoring import score as profile_score

        values = np.full((n, len(spec.terms)), np.nan)
        sds = np.full((n, len(spec.terms)), np.nan)
        for j, term in enumerate(spec.terms):
            if term.model_index is None:
                continue
            value, unc, _ = preds[term.model_index]
            values[:, j] = term.scale * value + term.offset
            if unc is not None:
                sds[:, j] = abs(term.scale) * unc * term.sd_per_uncertainty
        result = profile_score(
            spec.profile, values, sds, method=spec.score_method, n_samples=spec.n_samples, seed=0
        )
        score, sd, low, high, coverage = result.score, result.sd, result.low, result.high, result.coverage
        enough = coverage >= spec.profile.min_coverage - 1e-12
    hits = []
    for i, c in enumerate(compounds):
        model_preds = [
            (_num(v[i]), None if u is None else _num(u[i]), None if d is None else bool(d[i]))
            for v, u, d in preds
        ]
        hits.append(
            Hit(
                c.inchikey,
                c.smiles,
                c.name,
                records[i],
                float(score[i]),
                float(sd[i]),
                float(low[i]),
                float(high[i]),
                float(coverage[i]),
                bool(enough[i]),
                model_preds,
                c.inchi,
                c.formula,
                c.std_version,
                c.mol_weight,
            )
        )
    return hits


def _num(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


# -- reading the library -------------------------------------------------------------------------------------
def library_kind(path: Path) -> str:
    """``smi`` or ``sdf`` from the file name (``.gz`` allowed)."""
    from cryodesk.engine.structure_input import file_kind

    kind = file_kind(path)
    if kind not in ("smi", "sdf"):
        raise InputError(f"{path.name}: screening reads SMILES (.smi) or SD (.sdf) files")
    return kind


def iter_library(path: Path, kind: str) -> Iterator[LibraryRecord]:
    """Stream picklable records, one per structure (unreadable records carry their reason)."""
    from cryodesk.chem import iter_sdf_text_records, iter_smiles_text_records

    if kind == "sdf":
        for r in iter_sdf_text_records(path):
            yield (r.index, r.molblock, "molblock", r.title, r.error)
    else:
        for s in iter_smiles_text_records(path):
            yield (s.index, s.smiles, "smiles", s.name, s.error)


def estimate_records(path: Path, kind: str) -> int:
    """A fast count of records (lines or ``$$$$``) for progress and ETA; not exact for odd files."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    count = 0
    needle = b"$$$$" if kind == "sdf" else b"\n"
    with opener(path, "rb") as handle:
        while block := handle.read(1 << 22):
            count += block.count(needle)
    return count


# -- the job -----------------------------------------------------------------------------------------------------
@dataclass(slots=True)
class ScreenSummary:
    job_id: int
    library: str
    row_list: str
    models: list[str]
    profile: str | None
    records: int = 0
    scored: int = 0
    errors: int = 0
    errors_by_reason: dict[str, int] = field(default_factory=dict)
    out_of_domain: dict[str, int] = field(default_factory=dict)
    hits: list[dict[str, Any]] = field(default_factory=list)
    resumed_from_chunk: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


HitsCallback = Callable[[list[Hit], dict[str, Any]], None]


class ScreenJob:
    """The ``screen`` job (see the module docstring). Construct, then run with ``run_job``.

    Args:
        params: what to screen.
        executor: where chunks run; by default from ``params.workers`` / ``params.scheduler``.
        on_hits: called after each committed chunk with the current best hits (the GUI's live list).
    """

    kind = "screen"

    def __init__(
        self, params: ScreenParams, executor: Executor | None = None, on_hits: HitsCallback | None = None
    ) -> None:
        from cryodesk.engine.file_import import file_sha256

        params.validate()
        self.options = params
        self.path = Path(params.library).expanduser()
        if not self.path.is_file():
            raise InputError(f"no such file: {self.path}")
        self._kind = library_kind(self.path)
        self._sha256 = file_sha256(self.path)
        self._executor = executor
        self._on_hits = on_hits

    def params(self) -> dict[str, Any]:
        return {**asdict(self.options), "library": str(self.path.resolve()), "sha256": self._sha256}

    def fingerprint(self) -> str:
        # Same content and same screening options = the same work; where it runs does not matter.
        keyed = {
            k: v for k, v in asdict(self.options).items() if k not in ("library", "workers", "scheduler")
        }
        return hashlib.sha256(json.dumps([self._sha256, keyed], sort_keys=True).encode()).hexdigest()

    def run(self, ctx: JobContext) -> ScreenSummary:
        started = time.perf_counter()
        checkpoint = ctx.checkpoint or {}
        rows = _model_rows(ctx.project, self.options.models, checkpoint.get("models"))
        profile = _profile(ctx.project, self.options.profile, checkpoint.get("profile"))
        state = _State.from_checkpoint(checkpoint, self.options)
        summary = ScreenSummary(
            ctx.job_id,
            str(self.path),
            self.options.name or f"screen {self.path.name} #{ctx.job_id}",
            [r.label for r in rows],
            self.options.profile,
            resumed_from_chunk=state.next_chunk,
        )
        if checkpoint.get("phase") != "done":
            self._screen(ctx, rows, profile, state, summary)
            _import_hits(ctx, rows, profile, state, summary, self.params())
        state.fill(summary, [r.label for r in rows])
        summary.seconds = time.perf_counter() - started
        # The job record keeps the best hits only; the row list and the return value have all of them.
        recorded = {**summary.as_dict(), "hits": summary.hits[:HITS_IN_METRICS]}
        ctx.project.jobs.merge_metrics(ctx.job_id, {"screen": recorded})
        return summary

    def _screen(
        self, ctx: JobContext, rows: list[Any], profile: Any, state: _State, summary: ScreenSummary
    ) -> None:
        total = estimate_records(self.path, self._kind)
        size = self.options.chunk_size
        records = islice(iter_library(self.path, self._kind), state.next_chunk * size, None)
        executor = self._executor or screen_executor(self.options.workers, self.options.scheduler)
        owned = self._executor is None
        try:
            spec = _spec(ctx.project, rows, profile, self.options, executor)
            for _, result in executor.imap_chunks(partial(screen_chunk, spec), batched(records, size)):
                merge_start = time.perf_counter()
                state.add(result)
                with ctx.project.db.transaction():
                    ctx.project.jobs.add_row_errors(ctx.job_id, state.pending_errors)
                    ctx.project.jobs.save_checkpoint(
                        ctx.job_id, {**_pinned(rows, profile), **state.to_checkpoint()}, done=state.records
                    )
                state.pending_errors = []
                # This thread's own share per chunk (merge + commit) is what bounds a many-worker cluster.
                coordinator = state.stage_seconds.get("coordinator", 0.0) + time.perf_counter() - merge_start
                state.stage_seconds["coordinator"] = coordinator
                ctx.progress(
                    state.records,
                    max(total, state.records),
                    f"{state.records} screened, {state.errors} errors, {len(state.heap)} hits kept",
                )
                if self._on_hits is not None:
                    self._on_hits(state.heap.hits()[:50], {"records": state.records, "total": total})
                ctx.raise_if_stopped()
        finally:
            if owned:
                executor.close()


def screen_executor(workers: int = 0, scheduler: str | None = None) -> Executor:
    """Local processes by default; Dask (imported only now) when a scheduler or ``"local"`` is given."""
    if scheduler:
        from cryodesk.engine.dask_executor import DaskExecutor

        return DaskExecutor(scheduler, n_workers=workers or None)
    return make_executor(workers or None)


@dataclass(slots=True)
class _State:
    """Everything a checkpoint restores: where to go on, the counters and the heap."""

    heap: HitHeap
    next_chunk: int = 0
    records: int = 0
    scored: int = 0
    errors: int = 0
    errors_by_reason: dict[str, int] = field(default_factory=dict)
    out_of_domain: list[int] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    pending_errors: list[RowError] = field(default_factory=list)

    @classmethod
    def from_checkpoint(cls, cp: dict[str, Any], p: ScreenParams) -> _State:
        heap = HitHeap.from_json(cp.get("hits", []), p.top, p.threshold, p.max_hits)
        return cls(
            heap,
            int(cp.get("next_chunk", 0)),
            int(cp.get("records", 0)),
            int(cp.get("scored", 0)),
            int(cp.get("errors", 0)),
            dict(cp.get("errors_by_reason", {})),
            list(cp.get("out_of_domain", [])),
            dict(cp.get("stage_seconds", {})),
        )

    def to_checkpoint(self) -> dict[str, Any]:
        return {
            "phase": "screening",
            "next_chunk": self.next_chunk,
            "records": self.records,
            "scored": self.scored,
            "errors": self.errors,
            "errors_by_reason": self.errors_by_reason,
            "out_of_domain": self.out_of_domain,
            "stage_seconds": self.stage_seconds,
            "hits": self.heap.to_json(),
        }

    def add(self, result: ChunkResult) -> None:
        self.heap.offer_many(result.hits)
        for index, reason, name in result.errors:
            if self.errors < ERROR_SAMPLE:
                self.pending_errors.append(RowError(index, reason, "structure", name))
            self.errors += 1
            category = reason.split(":", 1)[0][:80]
            self.errors_by_reason[category] = self.errors_by_reason.get(category, 0) + 1
        if not self.out_of_domain:
            self.out_of_domain = [0] * len(result.out_of_domain)
        self.out_of_domain = [a + b for a, b in zip(self.out_of_domain, result.out_of_domain, strict=True)]
        for stage, seconds in result.seconds.items():
            self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds
        self.records += result.n_records
        self.scored += result.n_scored
        self.next_chunk += 1

    def fill(self, summary: ScreenSummary, labels: list[str]) -> None:
        summary.records, summary.scored, summary.errors = self.records, self.scored, self.errors
        summary.errors_by_reason = dict(self.errors_by_reason)
        summary.out_of_domain = dict(zip(labels, self.out_of_domain, strict=False))
        summary.stage_seconds = {k: round(v, 3) for k, v in self.stage_seconds.items()}
        summary.hits = [h.summary(labels) | {"rank": i} for i, h in enumerate(self.heap.hits(), start=1)]


def _model_rows(project: Project, refs: Sequence[str], pinned: list[int] | None) -> list[Any]:
    """The model versions to use: pinned by the checkpoint on resume (a promotion meanwhile changes nothing)."""
    from cryodesk.engine.prediction import PredictionService

    if pinned:
        return [project.models.by_id(int(i)) for i in pinned]
    service = PredictionService(project)
    rows = [service.resolve(ref) for ref in refs]
    for row in rows:
        if row.kind not in ("regression", "classification"):
            raise CryoDeskError(f"{row.label} is not a single-task model")
    return rows


def _profile(project: Project, name: str | None, pinned: dict[str, Any] | None) -> Any:
    if name is None:
        return None
    from cryodesk.ml.scoring import Profile

    if pinned:
        return Profile.from_dict(pinned)
    from cryodesk.engine.reconcile import get_profile

    return get_profile(project, name)


def _spec(project: Project, rows: list[Any], profile: Any, p: ScreenParams, executor: Executor) -> ScreenSpec:
    from cryodesk.engine.prediction import ModelIntegrityError
    from cryodesk.engine.training import artefact_path
    from cryodesk.ml import file_sha256

    ship = bool(getattr(executor, "remote", False))
    models = []
    for row in rows:
        path = artefact_path(project, row)
        if not row.artefact_sha256 or not path.is_file() or file_sha256(path) != row.artefact_sha256:
            # Checked here once so a bad artefact fails the job before any worker starts.
            raise ModelIntegrityError(
                f"{row.label}: artefact {path} is missing or does not match the registry"
            )
        params = row.params_dict
        blob = path.read_bytes() if ship else None
        models.append(
            ModelSpec(
                row.label,
                row.id,
                row.kind,
                str(path),
                row.artefact_sha256,
                tuple(params.get("feature_sets") or row.feature_set.split("+")),
                params.get("fingerprint_set"),
                blob,
            )
        )
    terms = _terms(profile, rows)
    return ScreenSpec(
        tuple(models),
        profile,
        terms,
        p.top,
        p.threshold,
        p.max_hits,
        max(1, int(executor.threads_per_task)),
        p.score_method,
    )


def _terms(profile: Any, rows: list[Any]) -> tuple[TermSpec, ...]:
    """Map each profile term to the model predicting it, converting from the property's default unit."""
    if profile is None:
        return ()
    from cryodesk.domain.properties import property_info
    from cryodesk.engine.reconcile import convert_value

    by_target = {}
    for i, row in enumerate(rows):
        by_target.setdefault(row.task, i)
    terms = []
    for term in profile.terms:
        index = by_target.get(term.key)
        if index is None:
            terms.append(TermSpec(term.key, None))
            continue
        info = property_info(term.key)
        model_unit = info.default_unit if info else term.unit
        zero, one = convert_value(0.0, model_unit, term.unit), convert_value(1.0, model_unit, term.unit)
        if zero is None or one is None:
            raise InputError(
                f"profile term {term.key!r} is in {term.unit}, which {model_unit} cannot be converted to"
            )
        per_unc = 1.0 / HALF_WIDTH_Z if rows[index].kind == "regression" else 1.0
        terms.append(TermSpec(term.key, index, one - zero, zero, per_unc))
    if all(t.model_index is None for t in terms):
        raise InputError(
            f"profile {profile.name!r} scores {', '.join(profile.keys)}; none of the chosen models "
            f"predicts any of them ({', '.join(r.task for r in rows)})"
        )
    return tuple(terms)


def _pinned(rows: list[Any], profile: Any) -> dict[str, Any]:
    # The model versions and profile content a resumed run must reuse, whatever changed meanwhile.
    return {"models": [r.id for r in rows], "profile": None if profile is None else profile.to_dict()}


def _import_hits(
    ctx: JobContext,
    rows: list[Any],
    profile: Any,
    state: _State,
    summary: ScreenSummary,
    params: dict[str, Any],
) -> None:
    """Compounds, their predictions and the row list, with the final checkpoint, in one transaction."""
    hits = state.heap.hits()
    project = ctx.project
    # Everything needed to tell later how this list was made (read back by screen_record).
    recorded = {
        "screen_job": ctx.job_id,
        **params,
        "model_versions": [r.label for r in rows],
        "model_ids": [r.id for r in rows],
        "profile_definition": None if profile is None else profile.to_dict(),
        "records": state.records,
        "scored": state.scored,
        "errors": state.errors,
        "hits": len(hits),
        "tie_break": TIE_BREAK,
    }
    description = json.dumps(recorded, sort_keys=True)
    with project.db.transaction():
        ids = project.compounds.upsert_many([h.compound() for h in hits])
        for m, row in enumerate(rows):
            project.models.put_predictions(row.id, ((h.key, *h.preds[m]) for h in hits))
        project.row_lists.save(summary.row_list, [ids[h.key] for h in hits], description)
        project.jobs.save_checkpoint(
            ctx.job_id,
            {**_pinned(rows, profile), **state.to_checkpoint(), "phase": "done"},
            done=state.records,
        )


# -- the GUI's side: run a screen in a child process, watch its checkpoints, read what was recorded ---------------
@dataclass(frozen=True, slots=True)
class LiveScreen:
    """A screen as its last committed checkpoint has it (what a live view shows while it runs)."""

    job_id: int
    state: str
    records: int
    errors: int
    kept: int
    model_labels: list[str]
    hits: list[dict[str, Any]]  # Hit.summary(...) plus "rank", best first


def screen_fingerprint(params: ScreenParams) -> str:
    """The identity a screen's job record carries (library content + options); hashes the library file."""
    return ScreenJob(params).fingerprint()


def live_screen(project: Project, fingerprint: str, limit: int = LIVE_HITS) -> LiveScreen | None:
    """The unfinished screen with this fingerprint, read from its checkpoint (None when there is none).

    The checkpoint holds the whole heap in rank order, committed with each chunk, so what this returns
    is exactly what a resumed run would start from, never a half-merged state.
    """
    record = project.jobs.find_resumable(ScreenJob.kind, fingerprint)
    if record is None:
        return None
    cp = record.checkpoint or {}
    labels = [project.models.by_id(int(i)).label for i in cp.get("models", [])]
    kept = cp.get("hits", [])
    hits = [Hit.from_json(d).summary(labels) | {"rank": i} for i, d in enumerate(kept[:limit], start=1)]
    return LiveScreen(
        record.id,
        str(record.state),
        int(cp.get("records", 0)),
        int(cp.get("errors", 0)),
        len(kept),
        labels,
        hits,
    )


def screen_record(project: Project, row_list: str) -> dict[str, Any] | None:
    """The parameters and figures a screen recorded with its row list (None for a list no screen made)."""
    text = project.db.scalar("SELECT description FROM row_lists WHERE name = ?", (row_list,))
    try:
        data = json.loads(text) if text else None
    except ValueError:
        return None
    return data if isinstance(data, dict) and "screen_job" in data else None


def screenable_models(project: Project) -> list[tuple[str, str]]:
    """``(reference, description)`` of every model a screen can use (single-task, not retired), by name."""
    seen: dict[str, str] = {}
    for row in project.models.list():
        if row.kind not in ("regression", "classification") or row.status == "retired" or row.name in seen:
            continue
        best = project.models.get(row.name)  # the promoted version, else the newest usable one
        seen[row.name] = f"{best.label}  ({row.task}, {row.kind})"
    return sorted(seen.items())


def keep_resumable(project: Project, outcome: Any, how: str) -> Any:
    """A screen the user stopped becomes *paused*, not cancelled, so the same screen again continues it.

    ``run_job`` only resumes unfinished jobs (pending, running, paused, failed); a user's stop (Ctrl+C,
    the dialog's Stop) arrives as a cancel, and a cancelled screen would start over from chunk 0.
    """
    from dataclasses import replace

    from cryodesk.domain import JobState

    if outcome.state is not JobState.CANCELLED:
        return outcome
    project.jobs.set_state(outcome.job_id, JobState.PAUSED, message=f"stopped; {how} continues it")
    return replace(outcome, state=JobState.PAUSED)


def screen_in_child(
    on_progress: Callable[[int, int | None, str], None], cancel: Any, project_path: str, params: ScreenParams
) -> dict[str, Any]:
    """The GUI's screen, run by ``cryodesk.gui.job_process.run_in_process`` (picklable by reference).

    A Stop from the dialog cancels the job at its next chunk and leaves it *paused*, not cancelled: a
    Start with the same settings then continues it (a paused job is resumable, a cancelled one is not).
    Returns ``{"state", "error", "job_id", "resumed", "summary", "recorded"}``.
    """
    from cryodesk.engine.service import Workbench

    wb = Workbench.open(project_path)
    try:
        outcome = keep_resumable(wb.project, wb.screen(params, on_progress, cancel), "Start")
        state = outcome.state
        summary = outcome.result.as_dict() if outcome.result is not None else None
        if summary is not None:
            summary["hits"] = summary["hits"][:HITS_IN_METRICS]
        recorded = screen_record(wb.project, outcome.result.row_list) if outcome.result is not None else None
        return {
            "state": str(state),
            "error": outcome.error,
            "job_id": outcome.job_id,
            "resumed": outcome.resumed,
            "summary": summary,
            "recorded": recorded,
        }
    finally:
        wb.close()
