"""Import a ToxCast hit-call matrix as assay results (source ``toxcast``, assay keys ``toxcast:<aenm>``).

One representation per data set: the 12 Tox21 Data Challenge tasks stay as they are (``tox21:*``
assays); ToxCast's endpoints, including its ``TOX21_*`` aenm-level ones, are different assays
with their own keys, so nothing is stored twice under two names.

Structures (MoleculeNet layout) are standardised in worker processes chunk by chunk; chemical
codes (invitrodb layout) are looked up among the project's identifiers (DTXSID, CAS). Each chunk's
results and the checkpoint (next line) commit in one transaction: kill -9 and a resume give the
same rows as one uninterrupted run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from cryodesk.domain import (
    Assay,
    AssayOutcome,
    AssayResult,
    InputError,
    Method,
    Provenance,
    RowError,
    utc_now_iso,
)
from cryodesk.engine.drugbank_import import batches, quick_fingerprint
from cryodesk.engine.executor import make_executor
from cryodesk.engine.jobs import JobContext
from cryodesk.engine.records import InputRecord, StandardisedRow, standardise_records
from cryodesk.sources.toxcast import MatrixLayout, MatrixRow, iter_matrix, read_layout

SOURCE = "toxcast"
CITATION = "US EPA ToxCast (invitrodb) hit calls; MoleculeNet toxcast.csv curation"
NOTE = ("ToxCast/Tox21 test micromolar concentrations, far below CPA use levels: a hit is a flag to look at, "
        "not a verdict on toxicity at cryoprotective doses.")


@dataclass(frozen=True, slots=True)
class ToxcastImportParams:
    path: str
    batch_size: int = 250
    limit: int | None = None  # first N chemicals only (previews, tests)
    workers: int = 0


@dataclass(slots=True)
class ToxcastSummary:
    path: str
    assays: int = 0
    rows_read: int = 0
    rows_stored: int = 0
    rows_rejected: int = 0
    results_new: int = 0
    cells_rejected: int = 0
    resumed_from_row: int = 0
    note: str = NOTE
    errors_sample: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def assay_key(endpoint: str) -> str:
    return f"{SOURCE}:{endpoint}"


class ToxcastImportJob:
    kind = "import_toxcast"

    def __init__(self, params: ToxcastImportParams) -> None:
        self.options = params
        self.path = Path(params.path)
        if not self.path.is_file():
            raise InputError(f"no such file: {self.path}")
        self.layout: MatrixLayout = read_layout(self.path)  # a wrong layout fails before a job exists
        self._fingerprint = quick_fingerprint(self.path, {"kind": self.kind, "limit": params.limit})

    def params(self) -> dict[str, Any]:
        return {**asdict(self.options), "path": str(self.path.resolve())}

    def fingerprint(self) -> str:
        return self._fingerprint

    def run(self, ctx: JobContext) -> ToxcastSummary:
        summary = ToxcastSummary(str(self.path))
        start = int((ctx.checkpoint or {}).get("next_row", 0))
        summary.resumed_from_row = start
        ctx.project.assays.upsert_assays(
            Assay(assay_key(a), a, SOURCE, "ToxCast assay endpoint (aenm)") for a in self.layout.assays)
        summary.assays = len(self.layout.assays)
        rows = self._rows(start)
        writer = _Writer(ctx, summary)
        if self.layout.id_kind == "smiles":
            with make_executor(self.options.workers or None) as executor:
                chunks = (_records(b) for b in batches(rows, self.options.batch_size))
                for records, std in executor.imap_chunks(standardise_records, chunks):
                    ctx.raise_if_stopped()
                    writer.write(records, [r.compound.inchikey if r.compound else None for r in std], std)
                    ctx.progress(records[-1].row, None, f"{summary.rows_read} chemicals read")
        else:
            for batch in batches(rows, self.options.batch_size):
                ctx.raise_if_stopped()
                records = _records(batch)
                writer.write(records, [_code_key(ctx, r.structure) for r in records], None)
                ctx.progress(records[-1].row, None, f"{summary.rows_read} chemicals read")
        ctx.project.jobs.merge_metrics(ctx.job_id, {"summary": summary.as_dict()})
        return summary

    def _rows(self, start: int) -> Iterator[MatrixRow]:
        rows = iter_matrix(self.path, start_row=start - 1 if start else 0)
        if self.options.limit is None:
            return rows
        # limit counts chemicals from the top of the file, so a resume must not extend it
        already = max(0, start - 2) if start else 0
        return islice(rows, max(0, self.options.limit - already))


def _records(rows: list[MatrixRow]) -> list[InputRecord]:
    return [InputRecord(r.row, r.identifier, "smiles", "smiles", assays=list(r.hits), errors=list(r.errors))
            for r in rows]


def _code_key(ctx: JobContext, code: str) -> str | None:
    keys = list(dict.fromkeys(k for k, _ in ctx.project.identifiers.lookup(code)))
    return keys[0] if len(keys) == 1 else None


class _Writer:
    def __init__(self, ctx: JobContext, summary: ToxcastSummary) -> None:
        self.ctx = ctx
        self.summary = summary
        self.retrieved = utc_now_iso()

    def write(self, records: list[InputRecord], keys: list[str | None],
              std: list[StandardisedRow] | None) -> None:
        errors: list[RowError] = []
        results: list[AssayResult] = []
        compounds = []
        for i, (record, key) in enumerate(zip(records, keys, strict=True)):
            self.summary.rows_read += 1
            cell_errors = [e for e in record.errors if e.field]
            self.summary.cells_rejected += len(cell_errors)
            errors.extend(record.errors)
            if key is None:
                reason = (std[i].error if std is not None else None) or "chemical not in the project"
                errors.append(RowError(record.row, reason, "identifier", record.structure[:80]))
                self.summary.rows_rejected += 1
                continue
            if std is not None and std[i].compound is not None:
                compounds.append(std[i].compound)
            provenance = Provenance(SOURCE, Method.MEASURED, f"row {record.row}", self.retrieved, self.ctx.job_id,
                                    CITATION)
            results.extend(AssayResult(key, assay_key(a), AssayOutcome(o), provenance) for a, o in record.assays)
            self.summary.rows_stored += 1
        project = self.ctx.project
        with project.db.transaction():
            project.compounds.upsert_many(compounds)
            self.summary.results_new += project.assays.upsert_results(results)
            project.jobs.add_row_errors(self.ctx.job_id, errors)
            project.jobs.save_checkpoint(self.ctx.job_id, {"next_row": records[-1].row + 1}, done=records[-1].row)
        room = max(0, 20 - len(self.summary.errors_sample))
        self.summary.errors_sample.extend(e.describe() for e in errors[:room])
