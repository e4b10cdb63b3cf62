"""Input records shared by the structure-file readers and the import job, and the worker function
that standardises a chunk of them in a separate process."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cryodesk.domain import Compound, IdentifierKind, RowError


@dataclass(frozen=True, slots=True)
class RecordValue:
    property: str
    value: float | None
    unit: str | None
    text: str
    flags: tuple[str, ...] = ()


@dataclass(slots=True)
class InputRecord:
    """One input row/record before standardisation; ``row`` is what the user sees (line or record number)."""

    row: int
    structure: str
    structure_kind: str  # smiles / inchi / molblock
    structure_field: str
    row_label: str = "row"
    name: str | None = None
    identifiers: list[tuple[str, IdentifierKind, str]] = field(default_factory=list)
    values: list[RecordValue] = field(default_factory=list)
    assays: list[tuple[str, str]] = field(default_factory=list)  # (assay key, outcome)
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StandardisedRow:
    compound: Compound | None
    error: str | None
    flags: tuple[str, ...] = ()


def standardise_records(records: Sequence[InputRecord]) -> list[StandardisedRow]:
    """Parse + standardise + identify each record (runs in a worker process; picklable in and out)."""
    from cryodesk.chem import compound_from_text

    out = []
    for record in records:
        if not record.structure.strip():
            out.append(StandardisedRow(None, "empty structure"))
            continue
        result = compound_from_text(record.structure, kind=record.structure_kind, name=record.name)
        out.append(StandardisedRow(result.compound, result.error, tuple(result.flags)))
    return out
