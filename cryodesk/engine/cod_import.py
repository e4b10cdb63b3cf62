"""Import crystal structures (COD ids fetched online, or CIF files) as crystallographic properties.

A CIF carries a formula, not a structure CryoDesk can identify, so each entry is attached to a
compound that is already in the project: the one named by ``compound`` (any identifier the store
knows), else the single compound whose formula equals the CIF's. An ambiguous or missing match is
a row error, never a guess. One transaction per entry holds its values and the checkpoint.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from cryodesk.domain import (
    Identifier,
    IdentifierKind,
    InputError,
    Method,
    PropertyValue,
    Provenance,
    RowError,
    utc_now_iso,
)
from cryodesk.domain.identifiers import is_inchikey
from cryodesk.engine.jobs import JobContext
from cryodesk.sources.cif import CrystalRecord, hill_formula, read_cif

if TYPE_CHECKING:
    from cryodesk.sources.cod import CodClient
    from cryodesk.store import Project

#: (property key, record attribute, unit)
CRYSTAL_PROPERTIES = (
    ("crystal_cell_a", "a", "Å"), ("crystal_cell_b", "b", "Å"), ("crystal_cell_c", "c", "Å"),
    ("crystal_cell_alpha", "alpha", "°"), ("crystal_cell_beta", "beta", "°"), ("crystal_cell_gamma", "gamma", "°"),
    ("crystal_cell_volume", "volume", "Å³"), ("crystal_z", "z", None),
    ("crystal_density", "density_calculated", "g/cm³"), ("crystal_density_measured", "density_measured", "g/cm³"),
    ("crystal_temperature", "temperature", "K"), ("crystal_space_group_number", "space_group_number", None),
)


@dataclass(frozen=True, slots=True)
class CodImportParams:
    cod_ids: tuple[str, ...] = ()
    cif_paths: tuple[str, ...] = ()
    compound: str | None = None  # identifier of the compound the entries belong to


@dataclass(slots=True)
class CodSummary:
    entries: int = 0
    stored: int = 0
    rejected: int = 0
    values_new: int = 0
    errors_sample: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class CodImportJob:
    kind = "import_cod"

    def __init__(self, params: CodImportParams, client: CodClient | None = None) -> None:
        if not params.cod_ids and not params.cif_paths:
            raise InputError("give COD ids or CIF files to import")
        self.options = params
        self._client = client
        self._owns_client = False
        self._items = [("cod", i) for i in params.cod_ids] + [("file", p) for p in params.cif_paths]

    def params(self) -> dict[str, Any]:
        return asdict(self.options)

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self.options), sort_keys=True).encode()).hexdigest()

    def run(self, ctx: JobContext) -> CodSummary:
        summary = CodSummary()
        start = int((ctx.checkpoint or {}).get("next_item", 0))
        retrieved = utc_now_iso()
        try:
            for position in range(start, len(self._items)):
                ctx.raise_if_stopped()
                self._one(ctx, position, summary, retrieved)
                ctx.progress(position + 1, len(self._items), f"{summary.stored} stored")
        finally:
            if self._owns_client and self._client is not None:
                self._client.close()
        ctx.project.jobs.merge_metrics(ctx.job_id, {"summary": summary.as_dict()})
        return summary

    def _records(self, origin: str, ref: str) -> tuple[list[CrystalRecord], str]:
        if origin == "file":
            return read_cif(ref), f"file:{ref.rsplit('/', 1)[-1]}"
        client = self._cod_client()
        records = client.crystal(ref)
        if not records:
            raise InputError(f"COD has no entry {ref}")
        return records, "cod"

    def _cod_client(self) -> CodClient:
        if self._client is None:
            from cryodesk.config import load_settings
            from cryodesk.engine.online_clients import configured
            from cryodesk.sources.cod import CodClient, cod_config

            settings = load_settings()
            self._client = CodClient(config=configured(cod_config(), settings), cache_dir=settings.http_cache_dir)
            self._owns_client = True
        return self._client

    def _one(self, ctx: JobContext, position: int, summary: CodSummary, retrieved: str) -> None:
        origin, ref = self._items[position]
        errors: list[RowError] = []
        values: list[PropertyValue] = []
        identifiers: list[Identifier] = []
        summary.entries += 1
        try:
            records, source = self._records(origin, ref)
            for record in records:
                key = match_compound(ctx.project, self.options.compound, record)
                record_id = record.cod_id or record.block
                provenance = Provenance(source, Method.MEASURED, record_id, retrieved, ctx.job_id,
                                        f"COD {record.cod_id}" if record.cod_id else record.source_name)
                values.extend(crystal_values(record, key, provenance))
                if record.cod_id:
                    identifiers.append(Identifier(key, IdentifierKind.COD_ID, record.cod_id, source, 1.0))
        except InputError as exc:
            errors.append(RowError(position + 1, str(exc), origin, ref))
        except Exception as exc:  # a service failure on one entry must not lose the others
            errors.append(RowError(position + 1, f"{type(exc).__name__}: {exc}", origin, ref))
        project = ctx.project
        with project.db.transaction():
            summary.values_new += project.properties.upsert_many(values)
            project.identifiers.upsert_many(identifiers)
            project.jobs.add_row_errors(ctx.job_id, errors)
            project.jobs.save_checkpoint(ctx.job_id, {"next_item": position + 1}, done=position + 1)
        summary.stored += 0 if errors else 1
        summary.rejected += len(errors)
        summary.errors_sample.extend(e.describe() for e in errors[: max(0, 20 - len(summary.errors_sample))])


def match_compound(project: Project, identifier: str | None, record: CrystalRecord) -> str:
    """The InChIKey the record belongs to (see the module docstring); InputError when unclear."""
    if identifier:
        text = identifier.strip()
        if is_inchikey(text) and project.compounds.get(text):
            return text
        keys = list(dict.fromkeys(k for k, _ in project.identifiers.lookup(text)))
        if len(keys) == 1:
            return keys[0]
        if not keys:
            raise InputError(f"compound {text!r} is not in the project (import or resolve it first)")
        raise InputError(f"{text!r} names {len(keys)} compounds in the project: give an InChIKey")
    hill = hill_formula(record.formula)
    if not hill:
        raise InputError(f"{record.block}: no formula in the CIF and no compound given")
    rows = project.db.query("SELECT inchikey FROM compounds WHERE replace(formula, ' ', '') = ?", (hill,))
    keys = [r[0] for r in rows]
    if len(keys) == 1:
        return keys[0]
    if not keys:
        raise InputError(f"{record.block}: no compound with formula {hill} in the project; give --compound")
    raise InputError(f"{record.block}: {len(keys)} compounds have formula {hill}; give --compound")


def crystal_values(record: CrystalRecord, key: str, provenance: Provenance) -> list[PropertyValue]:
    conditions = f"T={record.temperature:g} K" if record.temperature is not None else ""
    out = []
    for prop, attr, unit in CRYSTAL_PROPERTIES:
        value = getattr(record, attr)
        if value is None:
            continue
        flags = ("computed_from_cell",) if attr == "density_calculated" and record.density_basis != "stated in CIF" else ()
        out.append(PropertyValue(key, prop, float(value), unit, provenance, None, conditions, flags))
    if record.space_group:
        out.append(PropertyValue(key, "crystal_space_group", None, None, provenance, record.space_group, conditions))
    return out
