"""Export a selection of compounds with their stored values as CSV or SDF."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from cryodesk.domain import InputError, PropertyValue
from cryodesk.store import CompoundRow, Project


def _value_columns(values: list[PropertyValue]) -> dict[str, str]:
    """One column per property and unit: the first stored value, and how many values exist."""
    grouped: dict[str, list[PropertyValue]] = defaultdict(list)
    for v in values:
        grouped[f"{v.property} ({v.unit})" if v.unit else v.property].append(v)
    out: dict[str, str] = {}
    for column, items in grouped.items():
        first = items[0]
        out[column] = "" if first.value is None else f"{first.value:g}"
        out[f"{column} source"] = first.provenance.source
        if len(items) > 1:
            out[f"{column} n_values"] = str(len(items))
    return out


def _rows(project: Project, ids: list[int]) -> list[tuple[CompoundRow, dict[str, str]]]:
    rows = project.compounds.rows_by_ids(ids)
    return [(r, _value_columns(project.properties.for_compound(r.inchikey))) for r in rows]


def export_compounds(project: Project, ids: list[int], path: Path, fmt: str | None = None) -> int:
    """Write the compounds ``ids`` to ``path`` (format from ``fmt`` or the suffix). Returns rows written."""
    fmt = (fmt or path.suffix.lstrip(".")).casefold()
    rows = _rows(project, ids)
    if fmt == "csv":
        return _write_csv(path, rows)
    if fmt in ("sdf", "sd"):
        from cryodesk.chem.sdf_writer import write_sdf

        records = [(r.name or r.inchikey, r.smiles, {"InChIKey": r.inchikey, **cols}) for r, cols in rows]
        written, _problems = write_sdf(path, records)
        return written
    raise InputError(f"unknown export format '{fmt}' (use csv or sdf)")


def _write_csv(path: Path, rows: list[tuple[CompoundRow, dict[str, str]]]) -> int:
    value_headers = sorted({h for _, cols in rows for h in cols})
    base = ["inchikey", "name", "smiles", "formula", "mol_weight"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(base + value_headers)
        for r, cols in rows:
            mw = "" if r.mol_weight is None else f"{r.mol_weight:.3f}"
            writer.writerow([r.inchikey, r.name or "", r.smiles, r.formula or "", mw]
                            + [cols.get(h, "") for h in value_headers])
    return len(rows)
