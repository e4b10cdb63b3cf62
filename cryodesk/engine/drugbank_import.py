"""DrugBank imports: the open vocabulary CSV (identifiers only) and a user's licensed full XML.

Both are checkpointed jobs: each batch's rows and the checkpoint (next line / next drug) commit in
one transaction, so a killed import resumes where the last batch ended, and re-running writes
nothing new (every write is an idempotent upsert).

The vocabulary carries no structures, so it can only add identifiers to compounds the project
already has: matched by InChIKey (confidence 1.0) or, when the row has none, by CAS number already
stored (0.8). Rows whose compound is not in the project are counted, not errors.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from cryodesk.domain import (
    Compound,
    Identifier,
    IdentifierKind,
    InputError,
    Method,
    PropertyValue,
    Provenance,
    RowError,
    utc_now_iso,
)
from cryodesk.domain.identifiers import is_inchikey, is_valid_cas
from cryodesk.engine.jobs import JobContext
from cryodesk.sources.drugbank import DrugBankDrug, VocabularyEntry, iter_drugbank_xml, iter_vocabulary

SOURCE = "drugbank"
SAMPLE_BYTES = 1 << 20
T = TypeVar("T")


def quick_fingerprint(path: Path, extra: dict[str, Any]) -> str:
    """Size + first and last MiB + options: hashing a multi-GB XML in full would cost more than the
    resume it protects; a changed release changes its size or its header/tail."""
    digest = hashlib.sha256()
    size = path.stat().st_size
    digest.update(str(size).encode())
    with path.open("rb") as handle:
        digest.update(handle.read(SAMPLE_BYTES))
        if size > SAMPLE_BYTES:
            handle.seek(max(SAMPLE_BYTES, size - SAMPLE_BYTES))
            digest.update(handle.read(SAMPLE_BYTES))
    digest.update(json.dumps(extra, sort_keys=True).encode())
    return digest.hexdigest()


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(slots=True)
class DrugBankSummary:
    path: str
    rows_read: int = 0
    matched: int = 0
    not_in_project: int = 0
    rejected: int = 0
    compounds_new: int = 0
    identifiers: int = 0
    values_new: int = 0
    resumed_from: int = 0
    errors_sample: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def note(self, errors: Sequence[RowError]) -> None:
        self.rejected += len(errors)
        room = max(0, 20 - len(self.errors_sample))
        self.errors_sample.extend(e.describe() for e in errors[:room])


def _checked_path(path: str) -> Path:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"no such file: {p}")
    return p


# -- open vocabulary ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DrugBankVocabularyParams:
    path: str
    batch_size: int = 500


class DrugBankVocabularyImportJob:
    """``import_drugbank_vocabulary``: DrugBank IDs, names, CAS, UNII and synonyms onto known compounds."""

    kind = "import_drugbank_vocabulary"

    def __init__(self, params: DrugBankVocabularyParams) -> None:
        self.options = params
        self.path = _checked_path(params.path)
        self._fingerprint = quick_fingerprint(self.path, {"kind": self.kind})

    def params(self) -> dict[str, Any]:
        return {**asdict(self.options), "path": str(self.path.resolve())}

    def fingerprint(self) -> str:
        return self._fingerprint

    def run(self, ctx: JobContext) -> DrugBankSummary:
        summary = DrugBankSummary(str(self.path))
        start = int((ctx.checkpoint or {}).get("next_row", 0))
        summary.resumed_from = start
        items = (e for e in iter_vocabulary(self.path) if e.row >= start)
        for batch in batches(items, self.options.batch_size):
            ctx.raise_if_stopped()
            self._write(ctx, batch, summary)
            ctx.progress(batch[-1].row, None, f"{summary.rows_read} rows read")
        ctx.project.jobs.merge_metrics(ctx.job_id, {"summary": summary.as_dict()})
        return summary

    def _write(self, ctx: JobContext, batch: list[VocabularyEntry | RowError], summary: DrugBankSummary) -> None:
        project = ctx.project
        errors = [e for e in batch if isinstance(e, RowError)]
        entries = [e for e in batch if isinstance(e, VocabularyEntry)]
        summary.rows_read += len(batch)
        known = project.compounds.ids_for([e.inchikey for e in entries if e.inchikey])
        identifiers: list[Identifier] = []
        for entry in entries:
            key, confidence = self._match(project, entry, known)
            if key is None:
                summary.not_in_project += 1
                continue
            summary.matched += 1
            identifiers.extend(vocabulary_identifiers(entry, key, confidence, errors))
        with project.db.transaction():
            summary.identifiers += project.identifiers.upsert_many(identifiers)
            project.jobs.add_row_errors(ctx.job_id, errors)
            last = batch[-1].row
            project.jobs.save_checkpoint(ctx.job_id, {"next_row": last + 1}, done=last)
        summary.note(errors)

    @staticmethod
    def _match(project: Any, entry: VocabularyEntry, known: dict[str, int]) -> tuple[str | None, float]:
        if entry.inchikey and entry.inchikey in known:
            return entry.inchikey, 1.0
        if entry.inchikey or not entry.cas or not is_valid_cas(entry.cas):
            return None, 0.0
        # No InChIKey (biologics, mixtures): a CAS number the project already holds is good evidence.
        keys = {key for key, ident in project.identifiers.lookup(entry.cas) if ident.kind is IdentifierKind.CAS}
        return (keys.pop(), 0.8) if len(keys) == 1 else (None, 0.0)


def vocabulary_identifiers(entry: VocabularyEntry, key: str, confidence: float,
                           errors: list[RowError]) -> list[Identifier]:
    out = [Identifier(key, IdentifierKind.DRUGBANK_ID, entry.drugbank_id, SOURCE, confidence),
           Identifier(key, IdentifierKind.SYNONYM, entry.name, SOURCE, round(confidence * 0.95, 3))]
    out += [Identifier(key, IdentifierKind.SYNONYM, s, SOURCE, round(confidence * 0.9, 3)) for s in entry.synonyms]
    if entry.unii:
        out.append(Identifier(key, IdentifierKind.SOURCE_ID, f"UNII:{entry.unii}", SOURCE, confidence))
    if entry.cas:
        if is_valid_cas(entry.cas):
            out.append(Identifier(key, IdentifierKind.CAS, entry.cas, SOURCE, confidence))
        else:
            errors.append(RowError(entry.row, "not a valid CAS number (check digit or format wrong)", "CAS", entry.cas))
    return out


# -- full XML -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DrugBankXmlParams:
    path: str
    batch_size: int = 200
    citation: str | None = None


#: Text fields of a drug stored as literature values (property key, attribute).
PHARMACOLOGY_FIELDS = (("drugbank_toxicity", "toxicity"), ("drugbank_metabolism", "metabolism"),
                       ("drugbank_half_life", "half_life"), ("drugbank_state", "state"))
#: ``external-identifiers`` resources that map to CryoDesk identifier kinds.
EXTERNAL_KINDS = {"PubChem Compound": IdentifierKind.PUBCHEM_CID, "ChEMBL": IdentifierKind.CHEMBL_ID,
                  "ChemSpider": IdentifierKind.CHEMSPIDER_ID}


class DrugBankXmlImportJob:
    """``import_drugbank_xml``: a licensed full XML, streamed; structures, identifiers and pharmacology."""

    kind = "import_drugbank_xml"

    def __init__(self, params: DrugBankXmlParams) -> None:
        self.options = params
        self.path = _checked_path(params.path)
        self._fingerprint = quick_fingerprint(self.path, {"kind": self.kind})

    def params(self) -> dict[str, Any]:
        return {**asdict(self.options), "path": str(self.path.resolve())}

    def fingerprint(self) -> str:
        return self._fingerprint

    def run(self, ctx: JobContext) -> DrugBankSummary:
        summary = DrugBankSummary(str(self.path))
        start = int((ctx.checkpoint or {}).get("next_index", 1)) - 1
        summary.resumed_from = start
        retrieved = utc_now_iso()
        for batch in batches(iter_drugbank_xml(self.path, start_index=start), self.options.batch_size):
            ctx.raise_if_stopped()
            self._write(ctx, batch, summary, retrieved)
            ctx.progress(batch[-1].index, None, f"{summary.rows_read} drugs read")
        ctx.project.jobs.merge_metrics(ctx.job_id, {"summary": summary.as_dict()})
        return summary

    def _write(self, ctx: JobContext, batch: list[DrugBankDrug], summary: DrugBankSummary, retrieved: str) -> None:
        from cryodesk.chem import compound_from_text

        errors: list[RowError] = []
        compounds: list[Compound] = []
        identifiers: list[Identifier] = []
        values: list[PropertyValue] = []
        for drug in batch:
            summary.rows_read += 1
            structure = drug.smiles or drug.inchi
            if not structure:
                errors.append(RowError(drug.index, f"{drug.drugbank_id} ({drug.drug_type or 'no type'}) has no "
                                       "structure: not stored", "calculated-properties"))
                continue
            result = compound_from_text(structure, name=drug.name)
            if result.compound is None:
                errors.append(RowError(drug.index, f"{drug.drugbank_id}: {result.error}", "SMILES", structure[:80]))
                continue
            summary.matched += 1
            compounds.append(result.compound)
            key = result.compound.inchikey
            identifiers.extend(drug_identifiers(drug, key, errors))
            provenance = Provenance(SOURCE, Method.LITERATURE, drug.drugbank_id, retrieved, ctx.job_id,
                                    self.options.citation)
            values.extend(drug_values(drug, key, provenance))
        project = ctx.project
        with project.db.transaction():
            before = project.compounds.count()
            project.compounds.upsert_many(compounds)
            summary.compounds_new += project.compounds.count() - before
            summary.identifiers += project.identifiers.upsert_many(identifiers)
            summary.values_new += project.properties.upsert_many(values)
            project.jobs.add_row_errors(ctx.job_id, errors)
            project.jobs.save_checkpoint(ctx.job_id, {"next_index": batch[-1].index + 1}, done=batch[-1].index)
        summary.note(errors)


def drug_identifiers(drug: DrugBankDrug, key: str, errors: list[RowError]) -> list[Identifier]:
    out = [Identifier(key, IdentifierKind.DRUGBANK_ID, drug.drugbank_id, SOURCE, 1.0),
           Identifier(key, IdentifierKind.NAME, drug.name, SOURCE, 1.0)]
    out += [Identifier(key, IdentifierKind.SOURCE_ID, other, SOURCE, 0.9) for other in drug.other_ids]
    out += [Identifier(key, IdentifierKind.SYNONYM, s, SOURCE, 0.9) for s in drug.synonyms]
    if drug.unii:
        out.append(Identifier(key, IdentifierKind.SOURCE_ID, f"UNII:{drug.unii}", SOURCE, 1.0))
    if drug.cas:
        if is_valid_cas(drug.cas):
            out.append(Identifier(key, IdentifierKind.CAS, drug.cas, SOURCE, 1.0))
        else:
            errors.append(RowError(drug.index, "not a valid CAS number", "cas-number", drug.cas))
    if drug.inchikey and is_inchikey(drug.inchikey) and drug.inchikey != key:
        # DrugBank's key of the salt/charged form: kept, less sure (same rule as file imports).
        out.append(Identifier(key, IdentifierKind.INCHIKEY, drug.inchikey, SOURCE, 0.6))
    for resource, value in drug.external_ids:
        kind = EXTERNAL_KINDS.get(resource)
        if kind is not None:
            out.append(Identifier(key, kind, value, SOURCE, 0.95))
    return out


def drug_values(drug: DrugBankDrug, key: str, provenance: Provenance) -> list[PropertyValue]:
    def text(prop: str, value: str) -> PropertyValue:
        return PropertyValue(key, prop, None, None, provenance, value_text=value)

    out = [text("drugbank_group", g) for g in drug.groups]
    out += [text("drugbank_category", c) for c in drug.categories]
    out += [text("atc_code", c) for c in drug.atc_codes]
    for prop, attr in PHARMACOLOGY_FIELDS:
        value = getattr(drug, attr)
        if value:
            out.append(text(prop, value))
    for target in drug.targets:
        actions = ", ".join(target.actions) or "unknown action"
        out.append(text(f"drugbank_{target.kind}", f"{target.name} [{target.target_id}]: {actions}"))
    return out
