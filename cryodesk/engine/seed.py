"""Create the embedded default library in a project: reference CPAs, reference mixtures, and the
real data sets shipped in ``resources/`` (Tox21, Koop Tg, Bradley melting points, ESOL).

The manifest ``resources/data_sources.json`` says what each data set is, its licence and
citation, and how its columns map onto properties, identifiers and assays. Tabular data sets go
through the ordinary file-import job (parallel, checkpointed, idempotent), so an interrupted first
start simply continues next time.
"""

from __future__ import annotations

import csv
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryodesk.config import resources_dir
from cryodesk.domain import (
    Assay,
    ComponentRole,
    CryoDeskError,
    Identifier,
    IdentifierKind,
    InputError,
    JobState,
    Method,
    Mixture,
    MixtureComponent,
    PropertyValue,
    Provenance,
    utc_now_iso,
)
from cryodesk.engine.file_import import FileImportJob, FileImportParams
from cryodesk.engine.jobs import JobContext, JobStopped, run_job
from cryodesk.store import DataSource, Project

SEED_VERSION = "default-library-1"
REFERENCE_LIST = "Reference cryoprotectants"


@dataclass(frozen=True, slots=True)
class Manifest:
    entries: list[dict[str, Any]]
    base: Path

    def entry(self, key: str) -> dict[str, Any]:
        for item in self.entries:
            if item["key"] == key:
                return item
        raise InputError(f"data_sources.json has no entry '{key}'")

    def file(self, key: str, index: int = 0) -> Path:
        return self.base / _file_path(self.entry(key)["files"][index])


def _file_path(item: str | dict[str, Any]) -> str:
    return item["path"] if isinstance(item, dict) else item


def load_manifest(base: Path | None = None) -> Manifest:
    base = base or resources_dir()
    path = base / "data_sources.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the resource manifest {path}: {exc}") from exc
    entries = raw["sources"] if isinstance(raw, dict) else raw
    return Manifest(list(entries), base)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return "\n".join(map(str, value)) if isinstance(value, list) else str(value)


def data_source_records(manifest: Manifest) -> list[DataSource]:
    return [
        DataSource(e["key"], e["title"], _text(e.get("licence")), _text(e.get("citation")), e.get("url"),
                   _text(e.get("notes")))
        for e in manifest.entries
    ]


class SeedDefaultLibraryJob:
    """The first-start job: everything CryoDesk ships, with licences and citations."""

    kind = "seed_default_library"

    def __init__(self, manifest: Manifest | None = None, workers: int = 0) -> None:
        self.manifest = manifest or load_manifest()
        self.workers = workers

    def params(self) -> dict[str, Any]:
        return {"version": SEED_VERSION, "resources": str(self.manifest.base)}

    def fingerprint(self) -> str:
        return SEED_VERSION

    def run(self, ctx: JobContext) -> dict[str, Any]:
        project = ctx.project
        project.sources.upsert_many(data_source_records(self.manifest))
        ctx.progress(0, None, "reference cryoprotectants")
        n_cpas = seed_reference_cpas(project, self.manifest, ctx.job_id)
        n_mixtures = seed_reference_mixtures(project, self.manifest)
        tabular = [e for e in self.manifest.entries if e.get("record_kind") in ("property_values", "assay_results")]
        results: dict[str, Any] = {"reference_cpas": n_cpas, "mixtures": n_mixtures}
        for step, entry in enumerate(tabular, start=1):
            ctx.raise_if_stopped()
            results[entry["key"]] = self._import_dataset(ctx, entry, step, len(tabular))
        project.meta.set("seeded_with", SEED_VERSION)
        project.meta.set("seeded_at", utc_now_iso())
        return results

    def _import_dataset(self, ctx: JobContext, entry: dict[str, Any], step: int, steps: int) -> dict[str, Any]:
        columns = column_map(entry)
        if columns.get("assays"):
            register_assays(ctx.project, entry)
        params = FileImportParams(
            path=str(self.manifest.file(entry["key"])), source=entry["key"], method=entry.get("method", "measured"),
            column_map=columns, citation=entry.get("citation"), workers=self.workers,
        )

        def progress(done: int, total: int | None, message: str) -> None:
            ctx.progress(step - 1, steps, f"{entry['title']}: {done} rows")

        outcome = run_job(ctx.project, FileImportJob(params), progress, _linked_cancel(ctx))
        if outcome.state in (JobState.CANCELLED, JobState.PAUSED):
            raise JobStopped(outcome.state)
        if outcome.state is not JobState.DONE:
            raise CryoDeskError(f"importing {entry['title']} failed: {outcome.error}")
        ctx.progress(step, steps, f"{entry['title']} done")
        return outcome.result.as_dict()


def _linked_cancel(ctx: JobContext) -> threading.Event | None:
    return ctx.cancel_event


def _assay_columns(entry: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in entry.get("properties", []) if p.get("kind") == "assay_outcome"]


def column_map(entry: dict[str, Any]) -> dict[str, Any]:
    """The manifest's description of a data set's columns as an import column map."""
    from cryodesk.domain.properties import property_key

    columns = entry["columns"]
    identifiers = [{"column": columns["id"], "kind": IdentifierKind.SOURCE_ID}] if columns.get("id") else []
    external = {"csid": IdentifierKind.CHEMSPIDER_ID}
    identifiers += [{"column": c, "kind": external[c]} for c in columns.get("external_ids", {}) if c in external]
    return {
        "structure": columns["smiles"],
        "name": columns.get("name"),
        "identifiers": [{**i, "kind": str(i["kind"])} for i in identifiers],
        "properties": [
            {"column": p["column"], "property": property_key(p["property"]), "unit": p.get("unit")}
            for p in entry.get("properties", [])
            if p.get("kind") != "assay_outcome" and not p.get("optional")
        ],
        "assays": [{"column": a["column"], "assay": a["property"]} for a in _assay_columns(entry)],
    }


def register_assays(project: Project, entry: dict[str, Any]) -> None:
    assays = [
        Assay(a["property"], a.get("assay") or a["column"], entry["key"], a.get("description"), a.get("target"),
              a.get("category"))
        for a in _assay_columns(entry)
    ]
    project.assays.upsert_assays(assays)


def seed_reference_cpas(project: Project, manifest: Manifest, job_id: int | None = None) -> int:
    """Store the curated reference CPAs with names, synonyms, CAS numbers, role and category."""
    from cryodesk.chem import compound_from_text

    entry = manifest.entry("reference_cpas")
    path = manifest.file("reference_cpas")
    source = entry["key"]
    provenance = Provenance(source, Method.LITERATURE, None, utc_now_iso(), job_id, entry.get("citation"))
    compounds, identifiers, values = [], [], []
    with path.open(encoding="utf-8", newline="") as handle:
        for row_number, row in enumerate(csv.DictReader(handle), start=2):
            result = compound_from_text(row["smiles"], kind="smiles", name=row["name"])
            if result.compound is None:
                raise InputError(f"{path.name} row {row_number}: {result.error}")
            key = result.compound.inchikey
            compounds.append(result.compound)
            identifiers.extend(_reference_identifiers(key, row, source))
            record = Provenance(**{**_as_dict(provenance), "source_record_id": f"row {row_number}"})
            for prop in ("role", "category"):
                if row.get(prop):
                    values.append(PropertyValue(key, f"cpa_{prop}", None, None, record, row[prop]))
    with project.db.transaction():
        ids = project.compounds.upsert_many(compounds)
        project.identifiers.upsert_many(identifiers)
        project.properties.upsert_many(values)
        project.row_lists.add(REFERENCE_LIST, ids.values())
    return len(compounds)


def _as_dict(p: Provenance) -> dict[str, Any]:
    return {f: getattr(p, f) for f in p.__dataclass_fields__}


def _reference_identifiers(key: str, row: dict[str, str], source: str) -> list[Identifier]:
    out = [Identifier(key, IdentifierKind.NAME, row["name"], source, 1.0)]
    if row.get("cas"):
        out.append(Identifier(key, IdentifierKind.CAS, row["cas"], source, 1.0))
    for synonym in filter(None, (s.strip() for s in row.get("synonyms", "").split(";"))):
        out.append(Identifier(key, IdentifierKind.SYNONYM, synonym, source, 0.95))
    return out


def seed_reference_mixtures(project: Project, manifest: Manifest) -> int:
    entry = manifest.entry("reference_mixtures")
    raw = json.loads(manifest.file("reference_mixtures").read_text(encoding="utf-8"))
    items = raw["mixtures"] if isinstance(raw, dict) else raw
    names = {n.casefold(): k for k, n in _reference_names(project)}
    mixtures = [_mixture(item, names) for item in items]
    return project.mixtures.upsert_many(mixtures, source=entry["key"])


def _reference_names(project: Project) -> list[tuple[str, str]]:
    rows = project.db.query(
        "SELECT c.inchikey, i.value FROM identifiers i JOIN compounds c ON c.id = i.compound_id"
        " WHERE i.source = 'reference_cpas'"
    )
    return [(r[0], r[1]) for r in rows]


def _mixture(item: dict[str, Any], names: dict[str, str]) -> Mixture:
    components = []
    for c in item["components"]:
        label = c.get("label") or c.get("name")
        key = c.get("inchikey") or names.get(str(c.get("compound") or label).casefold())
        note = "; ".join(filter(None, (c.get("note"), c.get("unit_note"), _range_note(c))))
        components.append(MixtureComponent(
            label, c.get("amount"), c.get("unit"), ComponentRole(c.get("role", "other")), key, note or None,
        ))
    notes = "; ".join(filter(None, (item.get("notes"), item.get("status_detail"), item.get("total"))))
    return Mixture(
        item["name"], tuple(components), item.get("status", "unknown"), item.get("citation"), item.get("carrier"),
        item.get("group"), notes or None, tuple(item.get("aliases", [])),
    )


def _range_note(component: dict[str, Any]) -> str | None:
    if component.get("amount_min") is None and component.get("amount_max") is None:
        return None
    return f"published as a range {component.get('amount_min')}-{component.get('amount_max')} {component.get('unit')}"
