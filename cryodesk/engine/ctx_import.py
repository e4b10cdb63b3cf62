"""Import chemicals and their ToxCast/Tox21 bioactivity from the EPA CompTox CTX API (user's key).

For each query (a DTXSID, or a name / CAS number looked up with ``/chemical/search/equal``):
the chemical detail becomes a compound with its DTXSID, CAS and name; the invitrodb rows of
``/bioactivity/data/search/by-dtxsid`` become assay results ``ctx:aeid<N>`` whose outcome is
active when the continuous hit call is >= 0.9 (the CompTox dashboard's cut-off) and whose quality
fields (``hitc``, caution-flag count) go to the result's quality column for the toxicity score
(a later import with changed values updates the row: ``results_updated``).
An empty reply is "no data" (counted, not an error). The API key is read from the environment or
the owner-only key file by the client's configuration; it is never part of the job's parameters,
checkpoint, metrics or errors, so never in the project file. A missing key fails before a job
exists; a refused key (401) fails the job with the sentence that says what to do.

Each batch of queries commits its rows and the checkpoint (next query index) in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from cryodesk.domain import (
    Assay,
    AssayOutcome,
    AssayResult,
    Compound,
    Identifier,
    IdentifierKind,
    InputError,
    Method,
    Provenance,
    RowError,
    utc_now_iso,
)
from cryodesk.engine.drugbank_import import batches
from cryodesk.engine.jobs import JobContext
from cryodesk.engine.records import InputRecord, standardise_records
from cryodesk.sources.comptox import (
    KEY_HELP,
    CompToxClient,
    CtxBioactivity,
    CtxChemical,
    comptox_config,
    is_dtxsid,
    parse_bioactivity,
)
from cryodesk.toxicity import NOTE, normalise_quality

SOURCE = "comptox"
CITATION = "US EPA CompTox Chemicals Dashboard / CTX API (invitrodb), api-ccte.epa.gov"
HIT_CUTOFF = 0.9


@dataclass(frozen=True, slots=True)
class CtxImportParams:
    queries: tuple[str, ...]
    batch_size: int = 10


@dataclass(slots=True)
class CtxSummary:
    queries: int = 0
    chemicals_stored: int = 0
    not_found: int = 0
    no_data: int = 0  # chemicals found whose bioactivity reply was empty
    results_new: int = 0
    results_updated: int = 0
    rows_skipped: int = 0
    resumed_from: int = 0
    note: str = NOTE
    errors_sample: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ctx_client(**options: Any) -> CompToxClient:
    """A client configured from the user's settings and key (environment or key file)."""
    from cryodesk.config import load_settings
    from cryodesk.engine.online_clients import configured

    settings = load_settings()
    options.setdefault("cache_dir", settings.http_cache_dir)
    return CompToxClient(config=configured(comptox_config(), settings), **options)


def assay_key(aeid: int) -> str:
    return f"ctx:aeid{aeid}"


@dataclass(slots=True)
class _Fetched:
    index: int
    query: str
    chemical: CtxChemical | None = None
    activity: list[CtxBioactivity] = field(default_factory=list)
    skipped: int = 0
    error: str | None = None


class CtxImportJob:
    kind = "import_ctx"

    def __init__(self, params: CtxImportParams, client: CompToxClient | None = None) -> None:
        queries = tuple(q.strip() for q in params.queries if q.strip())
        if not queries:
            raise InputError("give DTXSIDs, names or CAS numbers to import from CompTox")
        self.options = CtxImportParams(queries, params.batch_size)
        self._client = client or ctx_client()
        self._owns_client = client is None
        if not self._client.has_key:
            self.close()
            raise InputError(f"no CompTox API key: {KEY_HELP}")

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def params(self) -> dict[str, Any]:
        return asdict(self.options)  # no key here: parameters are stored in the project

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self.options), sort_keys=True).encode()).hexdigest()

    def run(self, ctx: JobContext) -> CtxSummary:
        try:
            return self._run(ctx)
        finally:
            self.close()

    def _run(self, ctx: JobContext) -> CtxSummary:
        start = int((ctx.checkpoint or {}).get("next", 0))
        summary = CtxSummary(len(self.options.queries), resumed_from=start)
        previous = (ctx.project.jobs.get(ctx.job_id).metrics or {}).get("summary") if start else None
        if previous:  # counters of the committed batches survive a kill with the checkpoint
            for name in (
                "chemicals_stored",
                "not_found",
                "no_data",
                "results_new",
                "results_updated",
                "rows_skipped",
            ):
                setattr(summary, name, int(previous.get(name, 0)))
        todo = list(enumerate(self.options.queries))[start:]
        for batch in batches(todo, self.options.batch_size):
            ctx.raise_if_stopped()
            fetched = [self._fetch(i, q) for i, q in batch]
            self._write(ctx, summary, fetched)
            ctx.progress(batch[-1][0] + 1, summary.queries, f"{summary.chemicals_stored} chemicals")
        return summary

    def _fetch(self, index: int, query: str) -> _Fetched:
        item = _Fetched(index, query)
        dtxsid = query.upper() if is_dtxsid(query) else self._search(query)
        if dtxsid is None:
            item.error = f"CompTox knows no chemical named {query!r}"
            return item
        item.chemical = self._client.chemical(dtxsid)
        if item.chemical is None:
            item.error = f"CompTox has no chemical {dtxsid}"
            return item
        item.activity, item.skipped = parse_bioactivity(self._client.bioactivity(dtxsid))
        return item

    def _search(self, text: str) -> str | None:
        hits = sorted(self._client.search_equal(text), key=lambda h: h.get("rank", 99))
        return str(hits[0]["dtxsid"]) if hits and hits[0].get("dtxsid") else None

    def _write(self, ctx: JobContext, summary: CtxSummary, fetched: list[_Fetched]) -> None:
        retrieved = utc_now_iso()
        errors: list[RowError] = []
        compounds: list[Compound] = []
        identifiers: list[Identifier] = []
        results: list[tuple[AssayResult, dict[str, str]]] = []
        assays: dict[str, Assay] = {}
        found = [f for f in fetched if f.chemical is not None]
        structures = standardise_records(
            [InputRecord(f.index + 1, f.chemical.smiles or "", "smiles", "smiles") for f in found]
        )  # type: ignore[union-attr]
        for item, std in zip(found, structures, strict=True):
            if std.compound is None:
                item.error = f"{item.chemical.dtxsid}: structure not usable ({std.error})"  # type: ignore[union-attr]
                continue
            compounds.append(std.compound)
            identifiers.extend(_identifiers(std.compound.inchikey, item.chemical))  # type: ignore[arg-type]
            results.extend(self._results(ctx, std.compound.inchikey, item, assays, retrieved))
            summary.chemicals_stored += 1
            summary.no_data += not item.activity
            summary.rows_skipped += item.skipped
        for item in fetched:
            if item.error:
                summary.not_found += 1
                errors.append(RowError(item.index + 1, item.error, "query", item.query))
        project = ctx.project
        with project.db.transaction():
            project.compounds.upsert_many(compounds)
            project.identifiers.upsert_many(identifiers)
            project.assays.upsert_assays(assays.values())
            counts = project.assays.upsert_results_with_quality(results)
            summary.results_new += counts.new
            summary.results_updated += counts.updated
            project.jobs.add_row_errors(ctx.job_id, errors)
            project.jobs.merge_metrics(ctx.job_id, {"summary": summary.as_dict()})
            project.jobs.save_checkpoint(
                ctx.job_id, {"next": fetched[-1].index + 1}, done=fetched[-1].index + 1
            )
        room = max(0, 20 - len(summary.errors_sample))
        summary.errors_sample.extend(e.describe() for e in errors[:room])

    @staticmethod
    def _results(
        ctx: JobContext, inchikey: str, item: _Fetched, assays: dict[str, Assay], retrieved: str
    ) -> list[tuple[AssayResult, dict[str, str]]]:
        out = []
        for row in item.activity:
            key = assay_key(row.aeid)
            assays[key] = Assay(
                key, row.endpoint or f"aeid {row.aeid}", SOURCE, "ToxCast/Tox21 endpoint (invitrodb)"
            )
            outcome = AssayOutcome.ACTIVE if row.hitc >= HIT_CUTOFF else AssayOutcome.INACTIVE
            record = f"{item.chemical.dtxsid}/m4id{row.record_id}"  # type: ignore[union-attr]
            provenance = Provenance(SOURCE, Method.MEASURED, record, retrieved, ctx.job_id, CITATION)
            result = AssayResult(
                inchikey, key, outcome, provenance, row.ac50, "µM" if row.ac50 is not None else None
            )
            out.append((result, normalise_quality({"hitc": row.hitc, "flags": row.flags})))
        return out


def _identifiers(inchikey: str, chemical: CtxChemical) -> list[Identifier]:
    out = [Identifier(inchikey, IdentifierKind.DTXSID, chemical.dtxsid, SOURCE, 1.0)]
    if chemical.casrn:
        out.append(Identifier(inchikey, IdentifierKind.CAS, chemical.casrn, SOURCE, 0.95))
    if chemical.preferred_name:
        out.append(Identifier(inchikey, IdentifierKind.NAME, chemical.preferred_name, SOURCE, 0.9))
    return out
