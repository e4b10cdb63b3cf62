"""Import PubMed abstracts and the evidence mined from them: the ``import_pubmed`` job.

Two checkpointed phases, as the other online imports:

1. **search** PubMed once (ESearch) and keep the PMIDs, in PubMed's order, in the checkpoint. A
   resumed job fetches by that list, never by search offset: PubMed adds papers every day, and
   resuming "from hit 200" of a new search would skip or repeat papers.
2. **fetch** the PMIDs in batches (one EFetch each), mine every title + abstract with a dictionary
   built from the project's compound names and synonyms plus the curated lexicon (and the
   project's mixture names), and write in **one transaction per batch**: the literature records,
   the literature property values, the evidence rows linked to those values, the row errors
   (PMIDs PubMed did not return), the checkpoint and the batch's share of the job metrics.

Evidence becomes property values with method ``literature``:

* every concentration linked to a compound (``10% (v/v) DMSO``) → ``reported_concentration``,
  unit as parsed (``% v/v``, ``M``, ``mg/kg`` ...), conditions naming the outcome metrics, samples
  and protocols of the sentence;
* every outcome in the same sentence as the compound (``post-thaw viability 85%``) →
  ``reported_<metric>`` (``reported_viability`` ...), conditions naming the compound's
  concentration. Outcomes found only elsewhere in the abstract stay in the mention's details:
  turning them into values would attach one number to every compound of the abstract.

Each value carries ``source="pubmed"``, ``source_record_id="PMID n"``, the citation, the job id
and a ``confidence=`` flag; its evidence row holds the sentence, offsets and confidence basis.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar

from cryodesk.domain import CryoDeskError, InputError, Method, PropertyValue, Provenance, RowError
from cryodesk.engine.import_metrics import JobMetricsTracker, MetricsTracker
from cryodesk.engine.jobs import JobContext
from cryodesk.engine.prefetch import Prefetcher, PrefetchError
from cryodesk.literature import (
    CompoundDictionary,
    EntryKind,
    Evidence,
    LiteratureMiner,
    MinedDocument,
    caller_entry,
)
from cryodesk.literature.scoring import score_evidence
from cryodesk.sources.errors import RequestRejectedError
from cryodesk.sources.pubmed import MAX_PAGEABLE, EutilsQueryError, PubMedClient, normalise_pmids
from cryodesk.sources.pubmed_records import FetchBatch, PubMedArticle
from cryodesk.store import DataSource, Project
from cryodesk.store.literature import EvidenceRow, LiteratureRecord

if TYPE_CHECKING:
    from cryodesk.config import Settings
    from cryodesk.sources.http.metrics import ClientMetrics

CHECKPOINT_VERSION = 1
PREFETCH_DEPTH = 2
MAX_BATCH = 1000  # one transaction per batch: keep it short for the GUI's readers
ERRORS_SAMPLE = 20
#: A name the project maps to several compounds: the dictionary picks one, so the link is less sure.
SHARED_NAME_FACTOR = 0.8
SOURCE_KEY = "pubmed"
CONCENTRATION_PROPERTY = "reported_concentration"

PUBMED_SOURCE = DataSource(
    SOURCE_KEY, "PubMed (NCBI E-utilities)",
    "Citations and abstracts: NLM terms and conditions; abstracts remain the publishers' copyright",
    "Sayers E. et al., Database resources of the NCBI, Nucleic Acids Res.", "https://pubmed.ncbi.nlm.nih.gov/",
)


class LiteratureImportError(CryoDeskError):
    """A PubMed import stopped on a failure the client's retries could not fix."""


# -- parameters ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PubMedImportParams:
    """What to import from PubMed.

    Attributes:
        query: a PubMed query, e.g. ``"cryoprotectant AND vitrification"``.
        max_results: import at most this many hits, in PubMed's order (1..10,000: ESearch pages
            no further).
        batch_size: PMIDs per EFetch and per transaction (not part of the job's identity).
    """

    query: str
    max_results: int = 500
    batch_size: int = 200

    def __post_init__(self) -> None:
        object.__setattr__(self, "query", " ".join((self.query or "").split()))
        if not self.query:
            raise InputError("empty PubMed query")
        if not 1 <= self.max_results <= MAX_PAGEABLE:
            raise InputError(f"--max must be 1..{MAX_PAGEABLE} (PubMed pages no further), not {self.max_results}")
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise InputError(f"batch size must be 1..{MAX_BATCH}, not {self.batch_size}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PubMedImportParams:
        """Rebuild from stored job parameters (unknown keys ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


# -- plan and summary ------------------------------------------------------------------------------
@dataclass(slots=True)
class PubMedPlan:
    """The checkpoint: the PMIDs found by the one search, and how many are written.

    Attributes:
        searched: the search has run (``pmids`` is final, possibly empty).
        hits: how many hits PubMed reported (may exceed ``max_results``).
        pmids: the PMIDs to import, in PubMed's order.
        next: PMIDs written so far; ``pmids[:next]`` are done.
    """

    searched: bool = False
    hits: int = 0
    pmids: list[str] = field(default_factory=list)
    next: int = 0

    def to_checkpoint(self) -> dict[str, Any]:
        return {"version": CHECKPOINT_VERSION, "searched": self.searched, "hits": self.hits, "pmids": self.pmids,
                "next": self.next}

    @classmethod
    def from_checkpoint(cls, data: Mapping[str, Any] | None) -> PubMedPlan | None:
        if not data or data.get("version") != CHECKPOINT_VERSION or "pmids" not in data:
            return None
        return cls(bool(data["searched"]), int(data["hits"]), [str(p) for p in data["pmids"]], int(data["next"]))


@dataclass(slots=True)
class PubMedImportSummary:
    """What one run of a PubMed import did (the job metrics hold the totals of every run)."""

    query: str
    job_id: int | None = None
    hits: int = 0
    total: int = 0
    resumed_from: int = 0
    done: int = 0
    records_stored: int = 0
    records_new: int = 0
    records_updated: int = 0
    missing: int = 0
    rejected: int = 0
    mentions: int = 0
    mentions_unlinked: int = 0
    evidence_new: int = 0
    values_new: int = 0
    requests_sent: int = 0
    cache_hits: int = 0
    retries: int = 0
    errors_sample: list[str] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return self.missing + self.rejected

    def note_errors(self, errors: Sequence[RowError]) -> None:
        room = max(0, ERRORS_SAMPLE - len(self.errors_sample))
        self.errors_sample.extend(e.describe() for e in errors[:room])

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows_rejected": self.rows_rejected}


# -- turning mined evidence into rows (pure) ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Subjects:
    """What mined mentions can be linked to in the project.

    Attributes:
        compounds: InChIKeys of the project's compounds.
        mixtures: a mixture's name or alias, case-folded → its name in the project.
    """

    compounds: frozenset[str]
    mixtures: Mapping[str, str]


@dataclass(slots=True)
class BatchRows:
    """Everything one batch writes."""

    records: list[LiteratureRecord] = field(default_factory=list)
    evidence: list[EvidenceRow] = field(default_factory=list)
    values: list[PropertyValue] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    missing: int = 0
    rejected: int = 0
    mentions: int = 0
    unlinked: int = 0


def literature_record(article: PubMedArticle) -> LiteratureRecord:
    return LiteratureRecord(
        pmid=article.pmid, title=article.title, abstract=article.abstract, doi=article.doi, journal=article.journal,
        year=article.year, mesh_terms=article.mesh_descriptors, citation=article.citation(), source=SOURCE_KEY,
        retrieved_at=article.retrieved_at,
    )


def value_provenance(article: PubMedArticle, job_id: int | None) -> Provenance:
    """Provenance of a value read from ``article``: record id ``"PMID n"`` so it reads as one."""
    return Provenance(SOURCE_KEY, Method.LITERATURE, f"PMID {article.pmid}", article.retrieved_at, job_id,
                      article.citation())


def evidence_rows(article: PubMedArticle, document: MinedDocument, subjects: Subjects,
                  job_id: int | None = None) -> tuple[list[EvidenceRow], list[PropertyValue], int]:
    """Evidence rows and literature values of one mined article; also the number of unlinked mentions.

    A mention is unlinked when it names something the project does not hold: a compound of the
    curated lexicon that was never imported, a polymer or serum without a structure, a mixture
    the project does not list.
    """
    rows: dict[tuple, EvidenceRow] = {}
    values: list[PropertyValue] = []
    unlinked = 0
    provenance = value_provenance(article, job_id)
    for evidence in document.evidence:
        inchikey, mixture = _subject(evidence, subjects)
        if inchikey is None and mixture is None:
            unlinked += 1
            continue
        for row in _rows_of(evidence, inchikey, mixture, provenance):
            key = (row.kind, row.span_start, row.span_end, row.inchikey, row.mixture)
            kept = rows.get(key)
            # The same compound twice in one sentence shares its outcomes: keep the surer row.
            if kept is None or (row.confidence or 0.0) > (kept.confidence or 0.0):
                rows[key] = row
    for row in rows.values():
        if row.literature_value is not None:
            values.append(row.literature_value)
    return list(rows.values()), values, unlinked


def _subject(evidence: Evidence, subjects: Subjects) -> tuple[str | None, str | None]:
    mention = evidence.mention
    if mention.kind is EntryKind.MIXTURE:
        for name in (mention.canonical, mention.text):
            found = subjects.mixtures.get(name.casefold())
            if found:
                return None, found
        return None, None
    if mention.inchikey and mention.inchikey in subjects.compounds:
        return mention.inchikey, None
    return None, None


def _rows_of(evidence: Evidence, inchikey: str | None, mixture: str | None,
             provenance: Provenance) -> list[EvidenceRow]:
    """The mention row of one evidence record, then its concentration and outcome rows."""
    mention, sentence = evidence.mention, evidence.sentence
    factor, extra_basis = _shared_name(evidence)
    samples = tuple(dict.fromkeys(s.label for s in evidence.samples))
    protocols = tuple(dict.fromkeys(p.method for p in evidence.protocols))
    common: dict[str, Any] = {
        "pmid": evidence.pmid or "", "inchikey": inchikey, "mixture": mixture, "cell_type": samples[0] if samples else None,
        "mention": mention.text, "canonical": mention.canonical, "match_kind": mention.match.value,
        "sentence": sentence.text, "sentence_start": sentence.start, "sentence_end": sentence.end,
    }
    confidence = round(evidence.confidence.score * factor, 3)
    basis = (*evidence.confidence.basis, *extra_basis)
    context = _context(samples, protocols)
    return [
        EvidenceRow(kind="mention", span_text=mention.text, span_start=mention.start, span_end=mention.end,
                    confidence=confidence, confidence_basis=basis,
                    details=_mention_details(evidence, samples, protocols), **common),
        *_concentration_rows(evidence, common, factor, extra_basis, context, provenance),
        *_outcome_rows(evidence, common, confidence, basis, context, provenance),
    ]


def _concentration_rows(evidence: Evidence, common: dict[str, Any], factor: float, extra_basis: tuple[str, ...],
                        context: str, provenance: Provenance) -> list[EvidenceRow]:
    inchikey = common["inchikey"]
    conditions = "; ".join(p for p in (_outcome_condition(evidence), context) if p)
    rows = []
    for c in evidence.concentrations:
        q = c.quantity
        # Scored per concentration: the record's own score is that of its best-linked one.
        score = score_evidence(evidence.mention, (c,), evidence.outcome_scope)
        confidence = round(score.score * factor, 3)
        value = None
        if inchikey is not None:  # mixtures get evidence rows, not compound property values
            value = PropertyValue(inchikey, CONCENTRATION_PROPERTY, q.value, c.unit, provenance, q.text, conditions,
                                  _flags(confidence, c.basis_source == "guessed", c.link == "nearest"))
        rows.append(EvidenceRow(
            kind="concentration", span_text=q.text, span_start=q.start, span_end=q.end, value=q.value, unit=c.unit,
            confidence=confidence, confidence_basis=(*score.basis, *extra_basis), literature_value=value,
            details=_drop_none({"value_max": q.value_max, "sd": q.sd, "link": c.link, "unit_source": q.unit_source,
                                "basis_source": c.basis_source}),
            **common,
        ))
    return rows


def _outcome_rows(evidence: Evidence, common: dict[str, Any], confidence: float, basis: tuple[str, ...],
                  context: str, provenance: Provenance) -> list[EvidenceRow]:
    if evidence.outcome_scope != "same_sentence":
        return []
    inchikey = common["inchikey"]
    doses = ", ".join(f"{c.quantity.text.strip()} ({c.unit})" for c in evidence.concentrations)
    dose = f"with: {evidence.mention.canonical} {doses}" if doses else ""
    rows = []
    for o in evidence.outcomes:
        conditions = "; ".join(p for p in (dose, "post-thaw" if o.post_thaw else "", context) if p)
        value = None
        if inchikey is not None:
            value = PropertyValue(inchikey, f"reported_{o.metric}", o.value, o.unit, provenance, o.text, conditions,
                                  _flags(confidence, False, False))
        rows.append(EvidenceRow(
            kind="outcome", span_text=o.text, span_start=o.start, span_end=o.end, value=o.value, unit=o.unit,
            outcome_metric=o.metric, confidence=confidence, confidence_basis=basis, literature_value=value,
            details=_drop_none({"value_max": o.value_max, "sd": o.sd, "post_thaw": o.post_thaw}), **common,
        ))
    return rows


def _shared_name(evidence: Evidence) -> tuple[float, tuple[str, ...]]:
    others = evidence.mention.alternatives
    if not others:
        return 1.0, ()
    return SHARED_NAME_FACTOR, (f"name:shared_with_{len(others)}",)


def _mention_details(evidence: Evidence, samples: tuple[str, ...], protocols: tuple[str, ...]) -> dict[str, Any]:
    mention = evidence.mention
    document_outcomes = [_outcome_label(o) for o in evidence.outcomes] if evidence.outcome_scope == "same_document" else []
    return _drop_none({
        "kind": mention.kind.value, "ambiguous": mention.ambiguous or None, "resolution": mention.resolution,
        "grade": mention.grade, "alternatives": list(mention.alternatives) or None,
        "outcome_scope": evidence.outcome_scope, "document_outcomes": document_outcomes or None,
        "samples": list(samples) or None, "protocols": list(protocols) or None,
    })


def _outcome_condition(evidence: Evidence) -> str:
    """The outcome part of a concentration's conditions.

    An outcome of the same sentence is named with its value; one reported elsewhere in the
    abstract only by its metric, since the abstract may compare several arms and the number may
    belong to another one.
    """
    if evidence.outcome_scope == "same_sentence":
        return "outcome: " + "; ".join(_outcome_label(o) for o in evidence.outcomes)
    if evidence.outcome_scope == "same_document":
        metrics = dict.fromkeys(("post-thaw " if o.post_thaw else "") + o.metric for o in evidence.outcomes)
        return "abstract reports: " + ", ".join(metrics)
    return ""


def _outcome_label(outcome: Any) -> str:
    upper = f"-{outcome.value_max:g}" if outcome.value_max is not None else ""
    prefix = "post-thaw " if outcome.post_thaw else ""
    return f"{prefix}{outcome.metric} {outcome.value:g}{upper} {outcome.unit}"


def _context(samples: tuple[str, ...], protocols: tuple[str, ...]) -> str:
    parts = []
    if samples:
        parts.append("sample: " + ", ".join(samples))
    if protocols:
        parts.append("protocol: " + ", ".join(protocols))
    return "; ".join(parts)


def _flags(confidence: float, basis_guessed: bool, nearest: bool) -> tuple[str, ...]:
    # Shown in the compound's value table, so a reader sees how sure the text-to-value step was.
    flags = [f"confidence={confidence:.2f}"]
    if basis_guessed:
        flags.append("percent_basis_guessed")
    if nearest:
        flags.append("linked_by_proximity")
    return tuple(flags)


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


# -- the miner of a project ------------------------------------------------------------------------------
def project_miner(project: Project) -> tuple[LiteratureMiner, Subjects]:
    """A miner over the project's compound names, synonyms and mixture names plus the lexicon.

    Built once per run: the names do not change while the job runs (it adds no compounds), so a
    resumed run mines with the same dictionary as the run it continues.
    """
    names = project.literature.dictionary_names()
    mixtures = project.literature.mixture_names()
    compounds = CompoundDictionary.build(names)
    mixture_entries = [e for e in (caller_entry(alias, None, EntryKind.MIXTURE, name) for alias, name in mixtures)
                       if e is not None]
    dictionary = CompoundDictionary([*compounds.entries, *mixture_entries])
    keys = frozenset(project.compounds.ids_for(list(dict.fromkeys(e.inchikey for e in dictionary.entries
                                                                   if e.inchikey))))
    subjects = Subjects(keys, {alias.casefold(): name for alias, name in mixtures})
    return LiteratureMiner(dictionary), subjects


def pubmed_client(batch_size: int, settings: Settings | None = None, **options: Any) -> PubMedClient:
    """A PubMed client from the user's settings: base URL (``CRYODESK_NCBI_BASE`` first), rate,
    contact e-mail, API key (environment or key file; never stored with the job) and cache dir."""
    from cryodesk.config import api_key, load_settings
    from cryodesk.engine.online_clients import configured
    from cryodesk.sources.pubmed import ncbi_config

    settings = settings or load_settings()
    key = api_key("ncbi")
    config = configured(ncbi_config(key), settings)
    options.setdefault("cache_dir", settings.http_cache_dir)
    return PubMedClient(config=config, api_key=key or "", email=settings.contact_email, batch_size=batch_size,
                        **options)


# -- the job ----------------------------------------------------------------------------------------
class PubMedImportJob:
    """The ``import_pubmed`` job: a PubMed query → literature records, evidence and literature values.

    Args:
        params: what to import.
        client: a :class:`PubMedClient` to use (tests, the GUI's shared client); by default one is
            built from the settings and the environment when the job runs, and closed at its end.
    """

    kind: ClassVar[str] = "import_pubmed"

    def __init__(self, params: PubMedImportParams, client: PubMedClient | None = None) -> None:
        self.options = params
        self._client = client
        self._owns_client = client is None
        self._fetch_thread_busy = False

    # -- Job protocol ----------------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        return asdict(self.options)

    def fingerprint(self) -> str:
        work = {"query": self.options.query, "max_results": self.options.max_results}
        return hashlib.sha256(json.dumps([self.kind, work], sort_keys=True).encode()).hexdigest()

    def run(self, ctx: JobContext) -> PubMedImportSummary:
        client = self._client if self._client is not None else pubmed_client(self.options.batch_size)
        self._fetch_thread_busy = False
        try:
            return self._run(ctx, client)
        finally:
            # A request still in flight on the fetch thread keeps using the client (see online_import).
            if self._owns_client and not self._fetch_thread_busy:
                client.close()

    # -- the run ---------------------------------------------------------------------------
    def _run(self, ctx: JobContext, client: PubMedClient) -> PubMedImportSummary:
        plan = PubMedPlan.from_checkpoint(ctx.checkpoint) or PubMedPlan()
        summary = PubMedImportSummary(self.options.query, ctx.job_id, resumed_from=plan.next)
        tracker = JobMetricsTracker(client)
        with ctx.project.db.transaction():
            ctx.project.sources.upsert_many([PUBMED_SOURCE])
            _record_metrics(ctx.project, ctx.job_id, {"source": SOURCE_KEY, "runs": 1})
        start_metrics = client.metrics()
        try:
            if not plan.searched:
                self._search(ctx, client, plan, tracker, summary)
            self._fetch_all(ctx, client, plan, tracker, summary)
        finally:
            _record_metrics(ctx.project, ctx.job_id, tracker.take())
            self._note_requests(summary, client.metrics().delta(start_metrics))
        summary.hits, summary.total, summary.done = plan.hits, len(plan.pmids), plan.next
        return summary

    @staticmethod
    def _note_requests(summary: PubMedImportSummary, delta: ClientMetrics) -> None:
        summary.requests_sent, summary.cache_hits, summary.retries = delta.requests_sent, delta.cache_hits, delta.retries

    # -- phase 1: the one search -------------------------------------------------------------
    def _search(self, ctx: JobContext, client: PubMedClient, plan: PubMedPlan, tracker: MetricsTracker,
                summary: PubMedImportSummary) -> None:
        ctx.raise_if_stopped()
        ctx.progress(0, None, "searching PubMed")
        errors: list[RowError] = []
        try:
            # Pages of 500 ids (not one 10,000-id page), as the client's search_ids; the first page
            # also says how many hits there are in all.
            pages = list(client.iter_search_pages(self.options.query, max_results=self.options.max_results))
            hits = pages[0].count if pages else 0
            pmids = normalise_pmids([p for page in pages for p in page.ids])[: self.options.max_results]
        except EutilsQueryError as exc:
            if exc.count:  # PubMed dropped part of the query and searched the rest: not what was asked
                raise LiteratureImportError(f"PubMed could not use part of the query: {exc}") from exc
            pmids, hits = [], 0
            errors.append(RowError(0, f"PubMed found nothing ({'; '.join(exc.messages) or 'no hits'})", "query",
                                   self.options.query))
        except CryoDeskError as exc:
            raise LiteratureImportError(f"PubMed search failed: {exc}. Resume to try again.") from exc
        plan.searched, plan.hits, plan.pmids = True, hits, pmids
        with ctx.project.db.transaction():
            ctx.project.jobs.add_row_errors(ctx.job_id, errors)
            ctx.project.jobs.save_checkpoint(ctx.job_id, plan.to_checkpoint(), done=0)
            _record_metrics(ctx.project, ctx.job_id, tracker.take(pmids_found=len(pmids), hits=hits,
                                                                  not_found_queries=len(errors)))
        summary.note_errors(errors)

    # -- phase 2: fetch, mine, store ------------------------------------------------------------
    def _fetch_all(self, ctx: JobContext, client: PubMedClient, plan: PubMedPlan, tracker: MetricsTracker,
                   summary: PubMedImportSummary) -> None:
        total, size = len(plan.pmids), self.options.batch_size
        ctx.progress(plan.next, total, "PubMed records imported")
        if plan.next >= total:
            return
        miner, subjects = project_miner(ctx.project)
        stamp_job = ctx.job_id
        while plan.next < total:
            batches = [(start, plan.pmids[start : start + size]) for start in range(plan.next, total, size)]
            ctx.raise_if_stopped()
            prefetcher: Prefetcher[tuple[int, list[str]], FetchBatch] = Prefetcher(
                lambda batch: client.efetch(batch[1]), batches, PREFETCH_DEPTH
            )
            try:
                for (start, pmids), fetched in prefetcher.results(ctx.raise_if_stopped):
                    ctx.raise_if_stopped()
                    rows = batch_rows(start, pmids, fetched, miner, subjects, stamp_job)
                    self._write(ctx, plan, start + len(pmids), rows, tracker, summary)
                    ctx.progress(plan.next, total, "PubMed records imported")
            except PrefetchError as exc:
                start, pmids = exc.item  # type: ignore[misc]
                self._failed_batch(ctx, plan, start, pmids, exc.error, tracker, summary)
            finally:
                self._fetch_thread_busy = not prefetcher.close()

    def _failed_batch(self, ctx: JobContext, plan: PubMedPlan, start: int, pmids: list[str], error: BaseException,
                      tracker: MetricsTracker, summary: PubMedImportSummary) -> None:
        """A refused request (an ``<ERROR>`` inside the reply) makes its PMIDs row errors and the job
        goes on; anything else (retries exhausted, circuit open) stops the job, resumable there."""
        if isinstance(error, RequestRejectedError):
            reason = f"PubMed refused the request: {error.fault_message or error.reason}"
            rows = BatchRows(errors=[RowError(start + i + 1, reason, "pmid", p) for i, p in enumerate(pmids)],
                             rejected=len(pmids))
            self._write(ctx, plan, start + len(pmids), rows, tracker, summary)
            return
        if not isinstance(error, CryoDeskError):
            raise error from None  # a bug, not the service: keep its traceback
        size, total = self.options.batch_size, len(plan.pmids)
        raise LiteratureImportError(
            f"PubMed import stopped at batch {start // size + 1} of {-(-total // size)} (PMIDs {pmids[0]}..{pmids[-1]}),"
            f" which still failed after retries: {error}. {start} of {total} records are stored;"
            f" `cryodesk jobs resume {ctx.job_id}` continues from there."
        ) from error

    def _write(self, ctx: JobContext, plan: PubMedPlan, next_index: int, rows: BatchRows, tracker: MetricsTracker,
               summary: PubMedImportSummary) -> None:
        """One batch: records, values, evidence, row errors, checkpoint and metrics in one transaction."""
        project, job_id = ctx.project, ctx.job_id
        plan.next = next_index
        with project.db.transaction():
            records = project.literature.upsert_records(rows.records, job_id)
            values = project.properties.upsert_many(rows.values)
            evidence = project.literature.upsert_evidence(rows.evidence, job_id)
            project.jobs.add_row_errors(job_id, rows.errors)
            project.jobs.save_checkpoint(job_id, plan.to_checkpoint(), done=plan.next)
            _record_metrics(project, job_id, tracker.take(
                records_stored=len(rows.records), records_new=records.new, records_updated=records.updated,
                missing=rows.missing, rejected=rows.rejected, mentions=rows.mentions, mentions_unlinked=rows.unlinked,
                evidence_new=evidence.new, values_new=values, batches=1,
            ))
        summary.records_stored += len(rows.records)
        summary.records_new += records.new
        summary.records_updated += records.updated
        summary.missing += rows.missing
        summary.rejected += rows.rejected
        summary.mentions += rows.mentions
        summary.mentions_unlinked += rows.unlinked
        summary.evidence_new += evidence.new
        summary.values_new += values
        summary.note_errors(rows.errors)


def batch_rows(start: int, pmids: Sequence[str], fetched: FetchBatch, miner: LiteratureMiner, subjects: Subjects,
               job_id: int | None) -> BatchRows:
    """Records, evidence, values and row errors of one fetched batch (mining happens here)."""
    rows = BatchRows()
    articles = {a.pmid: a for a in fetched.articles}
    for offset, pmid in enumerate(pmids):
        article = articles.get(pmid)
        if article is None:
            rows.errors.append(RowError(start + offset + 1, "PubMed returned no record for this PMID "
                                        "(withdrawn, merged or not a journal record)", "pmid", pmid))
            rows.missing += 1
            continue
        rows.records.append(literature_record(article))
        document = miner.mine_article(article)
        evidence, values, unlinked = evidence_rows(article, document, subjects, job_id)
        rows.evidence += evidence
        rows.values += values
        rows.mentions += len(document.evidence)
        rows.unlinked += unlinked
    return rows


# -- metrics ---------------------------------------------------------------------------------------------
def _record_metrics(project: Project, job_id: int, metrics: Mapping[str, Any]) -> None:
    """Add ``metrics`` to the job's and refresh the derived rates; joins the caller's transaction.

    Not :func:`cryodesk.engine.import_metrics.record_metrics`: its rates count compounds, and
    this job stores papers.
    """
    with project.db.transaction():
        project.jobs.merge_metrics(job_id, dict(metrics))
        totals = project.jobs.get(job_id).metrics
        seconds = float(totals.get("active_seconds") or 0.0)

        def per_second(key: str) -> float | None:
            return round(float(totals.get(key) or 0) / seconds, 2) if seconds > 0 else None

        project.jobs.merge_metrics(job_id, {"rates": {"records_per_s": per_second("records_stored"),
                                                      "requests_per_s": per_second("requests_sent")}})


def describe_checkpoint(checkpoint: Mapping[str, Any]) -> str:
    """``"120 of 500 PMIDs written (PubMed reported 1,234 hits)"`` for ``jobs show``."""
    plan = PubMedPlan.from_checkpoint(checkpoint)
    if plan is None:
        return str(dict(checkpoint))
    if not plan.searched:
        return "search not finished"
    return f"{plan.next} of {len(plan.pmids)} PMIDs written (PubMed reported {plan.hits} hits)"

