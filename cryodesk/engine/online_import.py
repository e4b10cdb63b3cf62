"""Import compounds from PubChem and ChEMBL: the ``import_pubchem`` and ``import_chembl`` jobs.

Both run in two checkpointed phases:

1. **resolve** the user's queries (names, a similarity search, SMILES) to the service's ids, a few
   queries per transaction; a query without a match is a row error, not a failure;
2. **fetch** the ids in batches (one request of each kind per batch), standardise every structure
   through the same identity rules as a file import, and write compounds, identifiers and values
   with provenance in one transaction per batch *together with* the checkpoint, the row errors and
   the batch's share of the job metrics.

The checkpoint is the plan itself: the ids in order, the name each came from, how many queries
are resolved and how many ids are written (``next``). A resumed job (after a pause, a failure or a
kill) continues at ``next``: nothing is fetched twice into the project and nothing is skipped,
whatever the batch size of the new run. Requests already made are answered by the HTTP cache.

A batch that still fails after the client's retries (or while the service's circuit breaker is
open) fails the job with a message naming the batch; the batches before it stay committed and
``cryodesk jobs resume ID`` continues from it. The next batches are fetched on a background thread
while the current one is stored (:mod:`cryodesk.engine.prefetch`), so the rate limit, not RDKit,
sets the pace.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from cryodesk.domain import (
    CryoDeskError,
    InputError,
    Method,
    PropertyValue,
    Provenance,
    RowError,
    utc_now_iso,
)
from cryodesk.domain.properties import property_key
from cryodesk.engine.import_metrics import JobMetricsTracker, MetricsTracker, record_metrics
from cryodesk.engine.jobs import JobContext
from cryodesk.engine.online_records import (
    BatchRows,
    Stamp,
    activity_values,
    chembl_identifiers,
    chembl_values,
    experimental_values,
    pubchem_identifiers,
    pubchem_values,
)
from cryodesk.engine.prefetch import Prefetcher, PrefetchError
from cryodesk.sources.chembl import ChemblClient, chembl_ids
from cryodesk.sources.errors import NotFoundError, RequestRejectedError
from cryodesk.sources.http.metrics import ClientMetrics
from cryodesk.sources.pubchem import DEFAULT_PROPERTIES, MAX_CHUNK_SIZE, PubChemClient
from cryodesk.sources.pubchem_view import PANEL, TEXT, LiteratureAnnotation
from cryodesk.sources.records import (
    PUBCHEM,
    ChemblActivity,
    ChemblMolecule,
    ExperimentalValue,
    PropertyBatch,
    PubChemSynonyms,
)
from cryodesk.store import DataSource

CHECKPOINT_VERSION = 1
RESOLVE_CHUNK = 20  # queries resolved per transaction
PREFETCH_DEPTH = 2  # batches fetched ahead of the one being written
ERRORS_SAMPLE = 20
CHEMBL_MAX_BATCH = 100  # longer id lists would need ChEMBL's POST-with-override form

Key = int | str

PUBCHEM_SOURCE = DataSource(
    "pubchem",
    "PubChem",
    "Public domain (US government); PUG-View annotations carry their own licences",
    "Kim S. et al., PubChem 2025 update, Nucleic Acids Res.",
    "https://pubchem.ncbi.nlm.nih.gov",
)
CHEMBL_SOURCE = DataSource(
    "chembl",
    "ChEMBL",
    "CC BY-SA 3.0",
    "Zdrazil B. et al., The ChEMBL Database in 2023, Nucleic Acids Res.",
    "https://www.ebi.ac.uk/chembl/",
)


class OnlineImportError(CryoDeskError):
    """An online import stopped on a failure the client's retries could not fix."""


# -- parameters ------------------------------------------------------------------------------------
def _texts(values: Iterable[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in values or () if v and v.strip())


@dataclass(frozen=True, slots=True)
class PubChemImportParams:
    """What to import from PubChem. At least one of ``names``, ``cids``, ``similar_to``.

    Attributes:
        names: compound names; each is looked up (PubChem's best match is imported).
        cids: PubChem compound ids.
        similar_to: a SMILES; compounds at least ``threshold`` % similar (2-D Tanimoto) are imported,
            at most ``max_records`` of them.
        experimental: also read PUG-View experimental properties (melting point, boiling point,
            density, viscosity, solubility, toxicity); about six more requests per compound.
        literature: also read PUG-View's literature and bioactivity sections (references,
            toxicity excerpts and values, bioassay and PubMed pointers, associated diseases), each
            stored with its original text and citation; four more requests per compound.
        max_synonyms: synonyms stored per compound (PubChem lists hundreds for common ones).
        batch_size: CIDs per request and per transaction (not part of the job's identity).
    """

    names: tuple[str, ...] = ()
    cids: tuple[int, ...] = ()
    similar_to: str | None = None
    threshold: int = 90
    max_records: int = 100
    experimental: bool = False
    max_synonyms: int = 20
    batch_size: int = 100
    literature: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", _texts(self.names))
        object.__setattr__(self, "cids", tuple(_cid(c) for c in self.cids))
        object.__setattr__(self, "similar_to", (self.similar_to or "").strip() or None)
        if not (self.names or self.cids or self.similar_to):
            raise InputError("nothing to import: give names, CIDs or a structure to search around")
        if not 0 <= self.threshold <= 100:
            raise InputError(f"similarity threshold must be 0..100 %, not {self.threshold}")
        if self.max_records < 1 or self.max_synonyms < 0:
            raise InputError("max_records must be at least 1 and max_synonyms not negative")
        if not 1 <= self.batch_size <= MAX_CHUNK_SIZE:
            raise InputError(f"batch size must be 1..{MAX_CHUNK_SIZE}, not {self.batch_size}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PubChemImportParams:
        """Rebuild from stored job parameters (JSON lists back to tuples; unknown keys ignored)."""
        return cls(**_known(cls, data))


@dataclass(frozen=True, slots=True)
class ChemblImportParams:
    """What to import from ChEMBL. At least one of ``ids``, ``smiles``.

    Attributes:
        ids: ChEMBL molecule ids (``CHEMBL25``).
        smiles: structures; every ChEMBL molecule with the same structure (any SMILES spelling,
            ChEMBL's ``flexmatch``) is imported.
        activities: also store the molecules' cytotoxicity / acute-toxicity activities (CC50,
            LD50, IC50) as measured values; one more request per molecule.
        max_synonyms: synonyms stored per molecule.
        batch_size: molecules per request and per transaction (not part of the job's identity).
    """

    ids: tuple[str, ...] = ()
    smiles: tuple[str, ...] = ()
    activities: bool = False
    max_synonyms: int = 20
    batch_size: int = 50

    def __post_init__(self) -> None:
        object.__setattr__(self, "ids", tuple(chembl_ids(_texts(self.ids))))
        object.__setattr__(self, "smiles", _texts(self.smiles))
        if not (self.ids or self.smiles):
            raise InputError("nothing to import: give ChEMBL ids or SMILES")
        if not 1 <= self.batch_size <= CHEMBL_MAX_BATCH:
            raise InputError(f"batch size must be 1..{CHEMBL_MAX_BATCH}, not {self.batch_size}")
        if self.max_synonyms < 0:
            raise InputError("max_synonyms must not be negative")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChemblImportParams:
        return cls(**_known(cls, data))


def _cid(value: int | str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InputError(f"not a PubChem CID: {value!r}") from None
    if number <= 0:
        raise InputError(f"not a PubChem CID: {value!r} (must be a positive integer)")
    return number


def _known(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}


# -- plan and summary ------------------------------------------------------------------------------
@dataclass(slots=True)
class ImportPlan:
    """The checkpoint of an online import: ids to fetch in order and how far the job got.

    Attributes:
        keys: the service ids to import, in order, each once.
        labels: the user's name for an id, by ``str(id)`` (names become the compound's name).
        resolved: queries resolved so far (phase 1).
        next: ids written so far (phase 2); ``keys[:next]`` are done.
    """

    keys: list[Key] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    resolved: int = 0
    next: int = 0
    _seen: set[Key] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self._seen = set(self.keys)

    def add(self, key: Key, label: str | None = None) -> None:
        if key not in self._seen:
            self._seen.add(key)
            self.keys.append(key)
        if label and str(key) not in self.labels:
            self.labels[str(key)] = label

    def to_checkpoint(self) -> dict[str, Any]:
        return {
            "version": CHECKPOINT_VERSION,
            "keys": self.keys,
            "labels": self.labels,
            "resolved": self.resolved,
            "next": self.next,
        }

    @classmethod
    def from_checkpoint(cls, data: Mapping[str, Any] | None) -> ImportPlan | None:
        if not data or data.get("version") != CHECKPOINT_VERSION:
            return None
        return cls(
            list(data["keys"]), dict(data.get("labels") or {}), int(data["resolved"]), int(data["next"])
        )


@dataclass(slots=True)
class OnlineImportSummary:
    """What one run of an online import did (the job metrics hold the totals of every run)."""

    service: str
    job_id: int | None = None
    queries: int = 0
    not_found: int = 0
    total: int = 0
    resumed_from: int = 0
    done: int = 0
    compounds_stored: int = 0
    compounds_new: int = 0
    rejected: int = 0
    missing: int = 0
    identifiers: int = 0
    values_new: int = 0
    requests_sent: int = 0
    cache_hits: int = 0
    retries: int = 0
    errors_sample: list[str] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return self.not_found + self.missing + self.rejected

    def note_errors(self, errors: Sequence[RowError]) -> None:
        room = max(0, ERRORS_SAMPLE - len(self.errors_sample))
        self.errors_sample.extend(e.describe() for e in errors[:room])

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows_rejected": self.rows_rejected}


# -- metrics with the breaker state --------------------------------------------------------------
# -- the shared runner -----------------------------------------------------------------------------
class _OnlineImportJob(ABC):
    """Phases, checkpoints, batching and metrics shared by the PubChem and ChEMBL jobs.

    Subclasses say what the queries are, how one is looked up, how a batch is fetched and how a
    fetched batch becomes rows.
    """

    kind: ClassVar[str]
    service: ClassVar[str]
    source: ClassVar[DataSource]
    key_field: ClassVar[str]  # field name of the ids in row errors ("cid", "chembl_id")
    noun: ClassVar[str]  # what the ids are called in messages

    def __init__(self, params: Any, client: Any = None) -> None:
        self.options = params
        self._client = client
        self._owns_client = client is None
        self._fetch_thread_busy = False

    # -- Job protocol ----------------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        # Only what the user asked for: no base URL, no key, nothing from the environment.
        return asdict(self.options)

    def fingerprint(self) -> str:
        work = {k: v for k, v in asdict(self.options).items() if k != "batch_size"}
        return hashlib.sha256(json.dumps([self.kind, work], sort_keys=True).encode()).hexdigest()

    def run(self, ctx: JobContext) -> OnlineImportSummary:
        client = self._client if self._client is not None else self._make_client()
        self._fetch_thread_busy = False
        try:
            return self._run(ctx, client)
        finally:
            # A request still in flight on the fetch thread keeps using the client; the process
            # exits without waiting for it (daemon thread), so leave the client to that thread.
            if self._owns_client and not self._fetch_thread_busy:
                client.close()

    # -- subclass hooks --------------------------------------------------------------------
    @abstractmethod
    def _make_client(self) -> Any: ...

    @abstractmethod
    def _explicit_keys(self) -> list[Key]: ...

    @abstractmethod
    def _queries(self) -> list[tuple[str, str]]:
        """``(field, text)`` per query, in the order their row numbers count."""
        ...

    @abstractmethod
    def _lookup(self, client: Any, field_name: str, text: str) -> list[Key]: ...

    @abstractmethod
    def _fetch(self, client: Any, keys: Sequence[Key]) -> Any: ...

    @abstractmethod
    def _rows(
        self, start: int, keys: Sequence[Key], fetched: Any, plan: ImportPlan, stamp: Stamp
    ) -> BatchRows: ...

    # -- the run ---------------------------------------------------------------------------
    def _run(self, ctx: JobContext, client: Any) -> OnlineImportSummary:
        plan = ImportPlan.from_checkpoint(ctx.checkpoint) or self._new_plan()
        summary = OnlineImportSummary(
            self.service, ctx.job_id, queries=len(self._queries()), resumed_from=plan.next
        )
        stamp = Stamp(utc_now_iso(), ctx.job_id)
        tracker = JobMetricsTracker(client)
        with ctx.project.db.transaction():
            ctx.project.sources.upsert_many([self.source])
            record_metrics(ctx.project, ctx.job_id, {"service": self.service, "runs": 1})
        start_metrics = client.metrics()
        try:
            self._resolve(ctx, client, plan, tracker, summary)
            self._fetch_all(ctx, client, plan, stamp, tracker, summary)
        finally:
            # Requests not tied to a committed batch (a discarded prefetch, a failed batch).
            record_metrics(ctx.project, ctx.job_id, tracker.take())
            self._note_requests(summary, client.metrics().delta(start_metrics))
        summary.total, summary.done = len(plan.keys), plan.next
        return summary

    def _new_plan(self) -> ImportPlan:
        plan = ImportPlan()
        for key in self._explicit_keys():
            plan.add(key)
        return plan

    @staticmethod
    def _note_requests(summary: OnlineImportSummary, delta: ClientMetrics) -> None:
        summary.requests_sent = delta.requests_sent
        summary.cache_hits = delta.cache_hits
        summary.retries = delta.retries

    # -- phase 1: queries to ids -----------------------------------------------------------
    def _resolve(
        self,
        ctx: JobContext,
        client: Any,
        plan: ImportPlan,
        tracker: MetricsTracker,
        summary: OnlineImportSummary,
    ) -> None:
        queries = self._queries()
        while plan.resolved < len(queries):
            ctx.raise_if_stopped()
            chunk = queries[plan.resolved : plan.resolved + RESOLVE_CHUNK]
            errors = [
                e
                for offset, (name, text) in enumerate(chunk)
                if (e := self._resolve_one(client, plan, plan.resolved + offset + 1, name, text))
            ]
            plan.resolved += len(chunk)
            with ctx.project.db.transaction():
                ctx.project.jobs.add_row_errors(ctx.job_id, errors)
                ctx.project.jobs.save_checkpoint(ctx.job_id, plan.to_checkpoint())
                record_metrics(ctx.project, ctx.job_id, tracker.take(not_found_queries=len(errors)))
            summary.not_found += len(errors)
            summary.note_errors(errors)
            ctx.progress(plan.resolved, len(queries), "queries resolved")

    def _resolve_one(self, client: Any, plan: ImportPlan, row: int, name: str, text: str) -> RowError | None:
        try:
            keys = self._lookup(client, name, text)
        except NotFoundError:
            keys = []
        except RequestRejectedError as exc:
            # The service refused this query (a SMILES it cannot read): the query is bad, not the job.
            return RowError(row, f"rejected by {self.service}: {exc.fault_message or exc.reason}", name, text)
        except CryoDeskError as exc:
            raise OnlineImportError(
                f"{self.service} import stopped while resolving {name} {text!r} ({row} of "
                f"{len(self._queries())}): {exc}. Resolved queries are kept; resume continues."
            ) from exc
        if not keys:
            return RowError(row, f"not found in {self.service}", name, text)
        for key in keys:
            plan.add(key, text if name == "name" else None)
        return None

    # -- phase 2: ids to rows --------------------------------------------------------------
    def _fetch_all(
        self,
        ctx: JobContext,
        client: Any,
        plan: ImportPlan,
        stamp: Stamp,
        tracker: MetricsTracker,
        summary: OnlineImportSummary,
    ) -> None:
        total, size = len(plan.keys), self.options.batch_size
        batches = [(start, plan.keys[start : start + size]) for start in range(plan.next, total, size)]
        ctx.progress(plan.next, total, f"{self.noun} imported")
        if not batches:
            return
        ctx.raise_if_stopped()
        prefetcher: Prefetcher[tuple[int, list[Key]], Any] = Prefetcher(
            lambda batch: self._fetch(client, batch[1]), batches, PREFETCH_DEPTH
        )
        try:
            for (start, keys), fetched in prefetcher.results(ctx.raise_if_stopped):
                ctx.raise_if_stopped()
                rows = self._rows(start, keys, fetched, plan, stamp)
                self._write(ctx, plan, start + len(keys), rows, tracker, summary)
                ctx.progress(plan.next, total, f"{self.noun} imported")
        except PrefetchError as exc:
            start, keys = exc.item  # type: ignore[misc]
            if not isinstance(exc.error, CryoDeskError):
                raise exc.error from None  # a bug, not the service: keep its traceback
            raise OnlineImportError(self._batch_failure(ctx, start, keys, total, exc.error)) from exc.error
        finally:
            self._fetch_thread_busy = not prefetcher.close()

    def _batch_failure(
        self, ctx: JobContext, start: int, keys: Sequence[Key], total: int, error: Exception
    ) -> str:
        size = self.options.batch_size
        return (
            f"{self.service} import stopped at batch {start // size + 1} of {-(-total // size)} "
            f"({self.noun} {keys[0]}..{keys[-1]}), which still failed after retries: {error}. "
            f"{start} of {total} {self.noun} are stored; `cryodesk jobs resume {ctx.job_id}` continues from there."
        )

    def _write(
        self,
        ctx: JobContext,
        plan: ImportPlan,
        next_index: int,
        rows: BatchRows,
        tracker: MetricsTracker,
        summary: OnlineImportSummary,
    ) -> None:
        """One batch: rows, row errors, checkpoint and metrics in one transaction."""
        project, job_id = ctx.project, ctx.job_id
        plan.next = next_index
        with project.db.transaction():
            before = project.compounds.count()
            project.compounds.upsert_many(rows.compounds)
            new = project.compounds.count() - before
            identifiers = project.identifiers.upsert_many(rows.identifiers)
            values = project.properties.upsert_many(rows.values)
            project.jobs.add_row_errors(job_id, rows.errors)
            project.jobs.save_checkpoint(job_id, plan.to_checkpoint(), done=plan.next)
            record_metrics(
                project,
                job_id,
                tracker.take(
                    compounds_stored=rows.stored,
                    compounds_new=new,
                    identifiers=identifiers,
                    values_new=values,
                    rejected=rows.rejected,
                    missing=rows.missing,
                    batches=1,
                ),
            )
        summary.compounds_stored += rows.stored
        summary.compounds_new += new
        summary.identifiers += identifiers
        summary.values_new += values
        summary.rejected += rows.rejected
        summary.missing += rows.missing
        summary.note_errors(rows.errors)

    # -- shared row building ---------------------------------------------------------------
    def _standardise(self, rows: BatchRows, row: int, key: Key, smiles: str | None, name: str | None) -> Any:
        """The identity result for a structure, or None after recording why it was rejected."""
        from cryodesk.chem import compound_from_text  # RDKit: loaded only when a job runs

        if not smiles:
            rows.errors.append(
                RowError(row, f"{self.service} has no structure for it", self.key_field, str(key))
            )
            rows.rejected += 1
            return None
        result = compound_from_text(smiles, kind="smiles", name=name)
        if result.compound is None:
            rows.errors.append(RowError(row, f"structure rejected: {result.error}", self.key_field, str(key)))
            rows.rejected += 1
            return None
        rows.compounds.append(result.compound)
        rows.stored += 1
        return result

    def _missing(self, rows: BatchRows, row: int, key: Key) -> None:
        rows.errors.append(RowError(row, f"no such record in {self.service}", self.key_field, str(key)))
        rows.missing += 1


# -- PubChem ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PubChemFetch:
    """What one batch brought back from PubChem."""

    batch: PropertyBatch
    synonyms: Mapping[int, PubChemSynonyms]
    experimental: Mapping[int, list[ExperimentalValue]]
    literature: Mapping[int, list[LiteratureAnnotation]] = field(default_factory=dict)


class PubChemImportJob(_OnlineImportJob):
    """The ``import_pubchem`` job: names, CIDs or a similarity search → compounds with provenance.

    Args:
        params: what to import.
        client: a :class:`PubChemClient` to use (tests, the GUI's shared client); by default one
            is built from the user's settings and the environment when the job runs, and closed
            when it ends.
    """

    kind = "import_pubchem"
    service = "pubchem"
    source = PUBCHEM_SOURCE
    key_field = "cid"
    noun = "CIDs"

    def __init__(self, params: PubChemImportParams, client: PubChemClient | None = None) -> None:
        super().__init__(params, client)
        self.options: PubChemImportParams = params

    def _make_client(self) -> PubChemClient:
        from cryodesk.engine.online_clients import pubchem_client

        return pubchem_client(self.options.batch_size)

    def _explicit_keys(self) -> list[Key]:
        return list(self.options.cids)

    def _queries(self) -> list[tuple[str, str]]:
        queries = [("name", name) for name in self.options.names]
        if self.options.similar_to:
            queries.append(("similar_to", self.options.similar_to))
        return queries

    def _lookup(self, client: PubChemClient, field_name: str, text: str) -> list[Key]:
        if field_name == "name":
            return list(client.cids_by_name(text)[:1])  # PubChem lists its best match first
        return list(
            client.similar_cids(text, threshold=self.options.threshold, max_records=self.options.max_records)
        )

    def _fetch(self, client: PubChemClient, keys: Sequence[Key]) -> PubChemFetch:
        batch = client.property_batch([int(k) for k in keys], DEFAULT_PROPERTIES)
        found = [record.cid for record in batch.records]
        synonyms = client.synonyms_many(found) if found else {}
        experimental = (
            {cid: client.experimental_properties(cid) for cid in found} if self.options.experimental else {}
        )
        literature = (
            {cid: client.literature_annotations(cid) for cid in found} if self.options.literature else {}
        )
        return PubChemFetch(batch, synonyms, experimental, literature)

    def _rows(
        self, start: int, keys: Sequence[Key], fetched: PubChemFetch, plan: ImportPlan, stamp: Stamp
    ) -> BatchRows:
        rows = BatchRows()
        records = {record.cid: record for record in fetched.batch.records}
        for offset, key in enumerate(keys):
            row, record = start + offset + 1, records.get(int(key))
            if record is None:
                self._missing(rows, row, key)
                continue
            label = plan.labels.get(str(key))
            result = self._standardise(rows, row, key, record.structure_smiles, label or record.title)
            if result is None:
                continue
            inchikey, flags = result.compound.inchikey, tuple(result.flags)
            rows.identifiers += pubchem_identifiers(
                inchikey, record, fetched.synonyms.get(record.cid), label, self.options.max_synonyms
            )
            rows.values += pubchem_values(inchikey, record, stamp, flags)
            rows.values += experimental_values(
                inchikey, fetched.experimental.get(record.cid, []), stamp, flags
            )
            rows.values += literature_values(inchikey, fetched.literature.get(record.cid, []), stamp, flags)
        return rows

    def params(self) -> dict[str, Any]:
        params = super().params()
        if not params["literature"]:
            del params["literature"]  # as stored before the option existed
        return params

    def fingerprint(self) -> str:
        # ``literature`` came later: a job that does not use it keeps the identity it had before,
        # so its stored checkpoint still matches and it resumes.
        work = {k: v for k, v in asdict(self.options).items() if k != "batch_size"}
        if not work["literature"]:
            del work["literature"]
        return hashlib.sha256(json.dumps([self.kind, work], sort_keys=True).encode()).hexdigest()


def literature_key(annotation: LiteratureAnnotation) -> str:
    """The property key of a literature annotation: its section path (``toxicity_human_toxicity_excerpts``)."""
    path = (
        annotation.heading
        if annotation.heading == annotation.section
        else f"{annotation.section} {annotation.heading}"
    )
    return property_key(path)


def literature_values(
    inchikey: str, annotations: Sequence[LiteratureAnnotation], stamp: Stamp, flags: tuple[str, ...] = ()
) -> list[PropertyValue]:
    """PUG-View literature annotations as values with provenance.

    An annotation read into numbers (``"LD50 Rat oral 3.53 g/kg"``) becomes those measured values,
    each keeping the original string; any other annotation becomes one ``literature`` value without
    a number whose text is the original string, citing the item's references, PMIDs, source and
    licence. Co-occurrence panels (column headers, no content) are not stored.
    """
    out: list[PropertyValue] = []
    for annotation in annotations:
        if annotation.values:
            out += experimental_values(inchikey, annotation.values, stamp, flags)
            continue
        if annotation.kind == PANEL:
            continue
        record = f"CID {annotation.cid}" + (
            f" ref {annotation.reference_number}" if annotation.reference_number is not None else ""
        )
        provenance = Provenance(
            PUBCHEM, Method.LITERATURE, record, stamp.retrieved_at, stamp.job_id, annotation.citation
        )
        scope = [annotation.name, annotation.description]
        if annotation.kind != TEXT:
            rows = f", {annotation.external_rows} rows" if annotation.external_rows is not None else ""
            scope.append(annotation.kind.replace("_", " ") + rows)
        conditions = "; ".join(s for s in scope if s) or None
        kind_flag = () if annotation.kind == TEXT else (annotation.kind,)
        out.append(
            PropertyValue(
                inchikey,
                literature_key(annotation),
                None,
                None,
                provenance,
                annotation.value_text,
                conditions,
                kind_flag + flags,
            )
        )
    return out


# -- ChEMBL ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ChemblFetch:
    """What one batch brought back from ChEMBL."""

    molecules: Mapping[str, ChemblMolecule]
    activities: Mapping[str, list[ChemblActivity]]


class ChemblImportJob(_OnlineImportJob):
    """The ``import_chembl`` job: ChEMBL ids or structures → compounds with provenance.

    Args:
        params: what to import.
        client: a :class:`ChemblClient` to use; by default one is built from the settings.
    """

    kind = "import_chembl"
    service = "chembl"
    source = CHEMBL_SOURCE
    key_field = "chembl_id"
    noun = "ChEMBL ids"

    def __init__(self, params: ChemblImportParams, client: ChemblClient | None = None) -> None:
        super().__init__(params, client)
        self.options: ChemblImportParams = params

    def _make_client(self) -> ChemblClient:
        from cryodesk.engine.online_clients import chembl_client

        return chembl_client(self.options.batch_size)

    def _explicit_keys(self) -> list[Key]:
        return list(self.options.ids)

    def _queries(self) -> list[tuple[str, str]]:
        return [("smiles", smiles) for smiles in self.options.smiles]

    def _lookup(self, client: ChemblClient, field_name: str, text: str) -> list[Key]:
        return [m.chembl_id.upper() for m in client.molecules_by_smiles(text)]

    def _fetch(self, client: ChemblClient, keys: Sequence[Key]) -> ChemblFetch:
        molecules = {m.chembl_id.upper(): m for m in client.molecules([str(k) for k in keys])}
        activities = {}
        if self.options.activities:
            activities = {key: client.activities(key) for key in molecules}
        return ChemblFetch(molecules, activities)

    def _rows(
        self, start: int, keys: Sequence[Key], fetched: ChemblFetch, plan: ImportPlan, stamp: Stamp
    ) -> BatchRows:
        rows = BatchRows()
        for offset, key in enumerate(keys):
            row, molecule = start + offset + 1, fetched.molecules.get(str(key))
            if molecule is None:
                self._missing(rows, row, key)
                continue
            result = self._standardise(rows, row, key, molecule.canonical_smiles, molecule.pref_name)
            if result is None:
                continue
            inchikey, flags = result.compound.inchikey, tuple(result.flags)
            rows.identifiers += chembl_identifiers(inchikey, molecule, self.options.max_synonyms)
            rows.values += chembl_values(inchikey, molecule, stamp, flags)
            rows.values += activity_values(inchikey, fetched.activities.get(str(key), []), stamp, flags)
        return rows
