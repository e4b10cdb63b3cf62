"""Import a structure file (CSV/TSV, SDF, SMILES) into a project: the ``import_file`` job.

Rows are parsed and standardised in worker processes in chunks, then written by this thread in
one transaction per chunk together with the job's checkpoint (the first row not yet covered).
A killed import therefore resumes exactly where the last committed chunk ended, and writing is
idempotent, so a re-run of the same file stores nothing new.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryodesk.domain import (
    AssayOutcome,
    AssayResult,
    Identifier,
    IdentifierKind,
    InputError,
    Method,
    PropertyValue,
    Provenance,
    RowError,
    utc_now_iso,
)
from cryodesk.domain.batching import batched
from cryodesk.domain.identifiers import is_inchikey, is_valid_cas
from cryodesk.engine.executor import make_executor
from cryodesk.engine.jobs import JobContext
from cryodesk.engine.quality import on_import_end, on_import_start
from cryodesk.engine.records import InputRecord, StandardisedRow, standardise_records
from cryodesk.engine.structure_input import (
    file_kind,
    iter_sdf_records,
    iter_smiles_file_records,
    iter_table_records,
    table_layout,
)
from cryodesk.sources.tabular import ColumnRole, TableLayout

FILE_HASH_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class FileImportParams:
    path: str
    source: str | None = None  # provenance source key; default "file:<name>"
    method: str = "measured"
    structure_column: str | None = None
    name_column: str | None = None
    column_map: dict[str, Any] | None = None  # explicit layout for known data sets (see sources.column_map)
    citation: str | None = None
    batch_size: int = 400
    workers: int = 0  # 0 = one per core, 1 = in this process


@dataclass(slots=True)
class ImportSummary:
    path: str
    rows_read: int = 0
    rows_stored: int = 0
    rows_rejected: int = 0
    compounds_new: int = 0
    values_new: int = 0
    identifiers: int = 0
    duplicates: int = 0
    warnings: list[str] = field(default_factory=list)
    errors_sample: list[str] = field(default_factory=list)
    job_id: int | None = None
    resumed_from_row: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(FILE_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


class FileImportJob:
    """The ``import_file`` job. Construct with parameters; ``run_job`` runs it."""

    kind = "import_file"

    def __init__(self, params: FileImportParams) -> None:
        self.options = params
        self.path = Path(params.path)
        if not self.path.is_file():
            raise InputError(f"no such file: {self.path}")
        self.source = params.source or f"file:{self.path.name}"
        self._sha256 = file_sha256(self.path)
        self._kind = file_kind(self.path)
        # A table whose layout cannot be read fails here, before any job record exists.
        self._layout: TableLayout | None = None
        if self._kind == "table":
            self._layout = table_layout(self.path, params.structure_column, params.name_column, params.column_map)

    def params(self) -> dict[str, Any]:
        return {**asdict(self.options), "path": str(self.path.resolve()), "sha256": self._sha256}

    def fingerprint(self) -> str:
        # Same content + same reading options = the same work, wherever the file lives.
        keyed = {k: v for k, v in asdict(self.options).items() if k not in ("path", "workers", "batch_size")}
        return hashlib.sha256(json.dumps([self._sha256, keyed], sort_keys=True).encode()).hexdigest()

    def run(self, ctx: JobContext) -> ImportSummary:
        summary = ImportSummary(str(self.path), job_id=ctx.job_id)
        start_row = int((ctx.checkpoint or {}).get("next_row", 0))
        summary.resumed_from_row = start_row
        on_import_start(ctx.project, ctx.job_id)  # coverage before (kept from the first run on resume)
        records, total = self._records(summary)
        writer = _ChunkWriter(ctx, self.source, Method(self.options.method), summary, self.options.citation)
        chunks = batched((r for r in records if r.row >= start_row), self.options.batch_size)
        with make_executor(self.options.workers or None) as executor:
            for chunk, rows in executor.imap_chunks(standardise_records, chunks):
                ctx.raise_if_stopped()
                writer.write(chunk, rows)
                ctx.progress(chunk[-1].row, total, f"{summary.rows_read} rows read")
        ctx.project.jobs.merge_metrics(ctx.job_id, {"summary": summary.as_dict()})
        on_import_end(ctx.project, ctx.job_id)  # coverage after, quality metrics, reference check
        return summary

    def _records(self, summary: ImportSummary) -> tuple[Iterator[InputRecord], int | None]:
        if self._kind == "sdf":
            return iter_sdf_records(self.path), None
        if self._kind == "smi":
            return iter_smiles_file_records(self.path), None
        layout = self._layout
        summary.warnings.extend(layout.warnings)
        if not any(layout.by_role(r) for r in (ColumnRole.PROPERTY, ColumnRole.NAME, ColumnRole.ASSAY)):
            summary.warnings.append("no property or name columns: only structures are imported")
        return iter_table_records(self.path, layout), None


class _ChunkWriter:
    """Turns standardised rows into store records and writes one chunk per transaction."""

    def __init__(self, ctx: JobContext, source: str, method: Method, summary: ImportSummary,
                 citation: str | None) -> None:
        self.ctx = ctx
        self.citation = citation
        self.project = ctx.project
        self.source = source
        self.method = method
        self.summary = summary
        self.retrieved_at = utc_now_iso()

    def write(self, chunk: Sequence[InputRecord], rows: Sequence[StandardisedRow]) -> None:
        errors: list[RowError] = []
        compounds, identifiers, values, outcomes = [], [], [], []
        for record, row in zip(chunk, rows, strict=True):
            self.summary.rows_read += 1
            errors.extend(record.errors)
            if row.compound is None:
                errors.append(RowError(record.row, row.error or "structure not readable", record.structure_field,
                                       _clip(record.structure)))
                self.summary.rows_rejected += 1
                continue
            compounds.append(row.compound)
            identifiers.extend(self._identifiers(record, row, errors))
            values.extend(self._values(record, row))
            outcomes.extend(self._outcomes(record, row))
            self.summary.rows_stored += 1
        with self.project.db.transaction():
            before = self.project.compounds.count()
            self.project.compounds.upsert_many(compounds)
            self.summary.compounds_new += self.project.compounds.count() - before
            self.summary.identifiers += self.project.identifiers.upsert_many(identifiers)
            fresh, duplicates = self._drop_duplicates(values)
            errors.extend(duplicates)
            self.summary.duplicates += len(duplicates)
            self.summary.values_new += self.project.properties.upsert_many(fresh)
            self.summary.values_new += self.project.assays.upsert_results(outcomes)
            self.project.jobs.add_row_errors(self.ctx.job_id, errors)
            self.project.jobs.save_checkpoint(self.ctx.job_id, {"next_row": chunk[-1].row + 1}, done=chunk[-1].row)
        self.summary.errors_sample.extend(e.describe() for e in errors[: max(0, 20 - len(self.summary.errors_sample))])

    def _provenance(self, record: InputRecord) -> Provenance:
        return Provenance(self.source, self.method, f"{record.row_label} {record.row}", self.retrieved_at,
                          self.ctx.job_id, self.citation)

    def _outcomes(self, record: InputRecord, row: StandardisedRow) -> list[AssayResult]:
        provenance = self._provenance(record)
        return [AssayResult(row.compound.inchikey, key, AssayOutcome(outcome), provenance)
                for key, outcome in record.assays]

    def _identifiers(self, record: InputRecord, row: StandardisedRow, errors: list[RowError]) -> list[Identifier]:
        key = row.compound.inchikey
        out = []
        if record.name:
            out.append(Identifier(key, IdentifierKind.NAME, record.name, self.source, 1.0))
        for field_name, kind, value in record.identifiers:
            problem = _identifier_problem(kind, value)
            if problem:
                errors.append(RowError(record.row, problem, field_name, value))
                continue
            out.append(Identifier(key, kind, value.strip(), self.source, _identifier_confidence(kind, value, key)))
        return out

    def _values(self, record: InputRecord, row: StandardisedRow) -> list[PropertyValue]:
        provenance = self._provenance(record)
        flags = row.flags
        return [
            PropertyValue(row.compound.inchikey, cell.property, cell.value, cell.unit, provenance, cell.text,
                          None, tuple(cell.flags) + flags)
            for cell in record.values
        ]

    def _drop_duplicates(self, values: list[PropertyValue]) -> tuple[list[PropertyValue], list[RowError]]:
        """Values equal to one an earlier row of the same source stored are duplicates, not new records."""
        seen: dict[tuple, str] = {}
        by_row: dict[str, list[PropertyValue]] = {}
        for v in values:
            by_row.setdefault(v.provenance.source_record_id or "", []).append(v)
        fresh: list[PropertyValue] = []
        errors: list[RowError] = []
        for record_id, row_values in by_row.items():
            earlier = {self._earlier_record(v, seen) for v in row_values}
            if row_values and None not in earlier and len(earlier) == 1:
                other = earlier.pop()
                errors.append(RowError(_row_number(record_id), f"duplicate of {other}: values not stored again"))
                continue
            for v in row_values:
                seen.setdefault(_value_identity(v), record_id)
            fresh.extend(row_values)
        return fresh, errors

    def _earlier_record(self, v: PropertyValue, seen: dict[tuple, str]) -> str | None:
        in_chunk = seen.get(_value_identity(v))
        if in_chunk and in_chunk != v.provenance.source_record_id:
            return in_chunk
        return self.project.properties.earlier_record(v)


def _value_identity(v: PropertyValue) -> tuple:
    return (v.inchikey, v.property, v.value, v.value_text, v.conditions, v.provenance.source)


def _row_number(record_id: str) -> int:
    return int(record_id.rsplit(" ", 1)[-1])


def _identifier_problem(kind: IdentifierKind, value: str) -> str | None:
    if kind is IdentifierKind.CAS and not is_valid_cas(value):
        return "not a valid CAS number (check digit or format wrong)"
    if kind is IdentifierKind.INCHIKEY and not is_inchikey(value):
        return "not an InChIKey"
    return None


def _identifier_confidence(kind: IdentifierKind, value: str, inchikey: str) -> float:
    # A file's InChIKey often belongs to the salt or charged form we standardised away: keep it, less sure.
    return 0.6 if kind is IdentifierKind.INCHIKEY and value.strip() != inchikey else 1.0


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
