"""Import Tox21 per-assay aggregated files as assay results, in the 12-task table's representation.

One representation: results go to the same ``assay_results`` table with the same assay keys and
outcome words as the default library's 12 Tox21 tasks. A file whose protocol is one of those
tasks (``tox21_protocol`` in ``resources/data_sources.json``, e.g. ``tox21-ar-bla-agonist-p1`` ->
``tox21:NR-AR-LBD``) adds results to that assay; other protocols become ``tox21:<protocol>``.
The viability counter-screen of a protocol is its own assay ``tox21:<protocol>:viability``; single
fluorescence channels (``ch1``/``ch2``) are not stored (the ratio carries the call).

Quality fields (curve rank/class, reproducibility, flag) go to the result's quality column
(:func:`cryodesk.toxicity.normalise_quality`), the AC50 to ``value`` (µM); a re-import of a
corrected file updates the rows it changes (``results_updated``) instead of adding new ones. Each chunk's results and the
checkpoint commit in one transaction, so kill -9 and a resume leave the rows of one clean run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
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
from cryodesk.engine.drugbank_import import batches, quick_fingerprint
from cryodesk.engine.jobs import JobContext
from cryodesk.engine.records import InputRecord, standardise_records
from cryodesk.sources.tox21 import AggregatedLayout, Tox21Row, iter_rows, read_layout
from cryodesk.toxicity import NOTE, normalise_quality

SOURCE = "tox21_aggregated"
CITATION = (
    "Tox21 (NIH/NCATS, EPA, FDA) per-assay aggregated data, tripod.nih.gov/tox21; US-government public domain"
)
UNIT = "µM"


@dataclass(frozen=True, slots=True)
class Tox21ImportParams:
    path: str
    batch_size: int = 500


@dataclass(slots=True)
class Tox21Summary:
    path: str
    protocol: str = ""
    assay_key: str = ""
    rows_read: int = 0
    results_stored: int = 0
    results_new: int = 0
    results_updated: int = 0
    with_quality: int = 0
    channel_rows_skipped: int = 0
    rows_rejected: int = 0
    resumed_from_row: int = 0
    note: str = NOTE
    errors_sample: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def task_keys_by_protocol() -> dict[str, str]:
    """Tox21 protocol name -> the default library's 12-task assay key (from the resource manifest)."""
    from cryodesk.engine.seed import load_manifest

    out: dict[str, str] = {}
    for entry in load_manifest().entries:
        for prop in entry.get("properties", []):
            if prop.get("kind") == "assay_outcome" and prop.get("tox21_protocol"):
                out[str(prop["tox21_protocol"]).lower()] = str(prop["property"])
    return out


def assay_for(protocol: str, viability: bool, tasks: dict[str, str]) -> Assay:
    base = tasks.get(protocol.lower())
    if viability:
        return Assay(
            f"tox21:{protocol}:viability",
            f"{protocol} viability",
            "tox21",
            "Tox21 cell viability counter-screen (per-assay aggregated file)",
            category="cytotoxicity",
        )
    if base:
        return Assay(base, base.split(":", 1)[1], "tox21", f"Tox21 {protocol}")
    return Assay(f"tox21:{protocol}", protocol, "tox21", "Tox21 assay (per-assay aggregated file)")


class Tox21ImportJob:
    kind = "import_tox21"

    def __init__(self, params: Tox21ImportParams) -> None:
        self.options = params
        self.path = Path(params.path)
        if not self.path.is_file():
            raise InputError(f"no such file: {self.path}")
        self.layout: AggregatedLayout = read_layout(self.path)  # a wrong layout fails before a job exists
        self._fingerprint = quick_fingerprint(self.path, {"kind": self.kind})
        self.tasks = task_keys_by_protocol()

    def params(self) -> dict[str, Any]:
        return {**asdict(self.options), "path": str(self.path.resolve())}

    def fingerprint(self) -> str:
        return self._fingerprint

    def run(self, ctx: JobContext) -> Tox21Summary:
        summary = Tox21Summary(str(self.path))
        start = int((ctx.checkpoint or {}).get("next_row", 0))
        summary.resumed_from_row = start
        writer = _Writer(ctx, summary, self.tasks)
        for batch in batches(
            iter_rows(self.path, start_row=start - 1 if start else 0), self.options.batch_size
        ):
            ctx.raise_if_stopped()
            writer.write(batch)
            ctx.progress(batch[-1].row, None, f"{summary.rows_read} rows read")
        if summary.protocol:
            summary.assay_key = assay_for(summary.protocol, False, self.tasks).key
        ctx.project.jobs.merge_metrics(ctx.job_id, {"summary": summary.as_dict()})
        return summary


class _Writer:
    def __init__(self, ctx: JobContext, summary: Tox21Summary, tasks: dict[str, str]) -> None:
        self.ctx = ctx
        self.summary = summary
        self.tasks = tasks
        self.retrieved = utc_now_iso()
        self.structures: dict[str, str | None] = {}  # SMILES -> InChIKey (samples repeat across readouts)

    def write(self, rows: list[Tox21Row]) -> None:
        errors: list[RowError] = []
        results: list[tuple[AssayResult, dict[str, str]]] = []
        assays: dict[str, Assay] = {}
        identifiers: list[Identifier] = []
        compounds = self._standardise(
            {r.smiles for r in rows if r.smiles and r.smiles not in self.structures}
        )
        for row in rows:
            self.summary.rows_read += 1
            errors.extend(row.errors)
            if row.data_type in ("ch1", "ch2"):
                self.summary.channel_rows_skipped += 1
                continue
            key = self._key(row)
            if row.outcome is None or key is None:
                if key is None:
                    errors.append(
                        RowError(
                            row.row,
                            self._why_unknown(row),
                            "SMILES" if row.smiles else "CAS",
                            (row.smiles or row.cas or row.cid)[:80],
                        )
                    )
                self.summary.rows_rejected += 1
                continue
            self.summary.protocol = self.summary.protocol or row.protocol
            if row.smiles:  # the structure came from the file: its name, CAS and CID name that compound
                identifiers.extend(_identifiers(key, row))
            assay = assay_for(row.protocol, row.is_viability, self.tasks)
            assays[assay.key] = assay
            record = f"{row.protocol}/{row.sample_id}/{row.data_type or 'call'}"
            provenance = Provenance(
                SOURCE, Method.MEASURED, record, self.retrieved, self.ctx.job_id, CITATION
            )
            result = AssayResult(
                key,
                assay.key,
                AssayOutcome(row.outcome),
                provenance,
                row.ac50_um,
                UNIT if row.ac50_um is not None else None,
            )
            results.append((result, normalise_quality(row.quality)))
            self.summary.with_quality += bool(row.quality)
        self.summary.results_stored += len(results)
        project = self.ctx.project
        with project.db.transaction():
            project.compounds.upsert_many(compounds)
            project.identifiers.upsert_many(identifiers)
            project.assays.upsert_assays(assays.values())
            counts = project.assays.upsert_results_with_quality(results)
            self.summary.results_new += counts.new
            self.summary.results_updated += counts.updated
            project.jobs.add_row_errors(self.ctx.job_id, errors)
            project.jobs.save_checkpoint(self.ctx.job_id, {"next_row": rows[-1].row + 1}, done=rows[-1].row)
        room = max(0, 20 - len(self.summary.errors_sample))
        self.summary.errors_sample.extend(e.describe() for e in errors[:room])

    def _standardise(self, smiles: set[str]) -> list[Compound]:
        ordered = sorted(smiles)
        records = [InputRecord(0, s, "smiles", "SMILES") for s in ordered]
        compounds = []
        for text, std in zip(ordered, standardise_records(records), strict=True):
            self.structures[text] = std.compound.inchikey if std.compound else None
            if std.compound is not None:
                compounds.append(std.compound)
        return compounds

    def _key(self, row: Tox21Row) -> str | None:
        if row.smiles:
            return self.structures.get(row.smiles)
        for value, kind in ((row.cas, IdentifierKind.CAS), (row.cid, IdentifierKind.PUBCHEM_CID)):
            if not value:
                continue
            keys = {k for k, ident in self.ctx.project.identifiers.lookup(value) if ident.kind is kind}
            if len(keys) == 1:
                return keys.pop()
        return None

    @staticmethod
    def _why_unknown(row: Tox21Row) -> str:
        if row.smiles:
            return "structure could not be parsed or standardised"
        if row.cas or row.cid:
            return "no SMILES, and the CAS / PubChem CID is not (uniquely) in the project"
        return "no SMILES, CAS or PubChem CID"


def _identifiers(key: str, row: Tox21Row) -> list[Identifier]:
    kinds = (
        (IdentifierKind.NAME, row.name),
        (IdentifierKind.CAS, row.cas),
        (IdentifierKind.PUBCHEM_CID, row.cid),
    )
    return [Identifier(key, kind, value, SOURCE, 0.9) for kind, value in kinds if value]
