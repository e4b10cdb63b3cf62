"""Explicit column mappings for known tabular data sets (the default library's files).

A mapping names the structure column, the name column, property columns with their property key
and unit, identifier columns, and assay-outcome columns. It is plain JSON so it can sit in
``resources/data_sources.json`` and in a job's parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryodesk.domain import IdentifierKind, InputError
from cryodesk.domain.units import canonical_unit
from cryodesk.sources.tabular import ColumnRole, ColumnSpec, TableLayout, read_header


def layout_from_map(path, column_map: Mapping[str, Any]) -> TableLayout:
    """Build the layout of ``path`` from an explicit mapping; every named column must exist.

    Raises:
        InputError: a mapped column is not in the file (the file is not the data set it claims to be).
    """
    headers, delimiter, _ = read_header(path)
    specs = {h: ColumnSpec(h, ColumnRole.IGNORED) for h in headers}

    def need(column: str) -> str:
        if column not in specs:
            raise InputError(f"{path.name}: expected column '{column}' is missing (columns: {', '.join(headers)})")
        return column

    structure = need(column_map["structure"])
    specs[structure] = ColumnSpec(structure, ColumnRole.STRUCTURE, structure_kind=column_map.get("structure_kind", "smiles"))
    if column_map.get("name"):
        specs[need(column_map["name"])] = ColumnSpec(column_map["name"], ColumnRole.NAME)
    for item in column_map.get("identifiers", []):
        specs[need(item["column"])] = ColumnSpec(item["column"], ColumnRole.IDENTIFIER,
                                                 identifier_kind=IdentifierKind(item["kind"]))
    for item in column_map.get("properties", []):
        unit = canonical_unit(item.get("unit")) if item.get("unit") else None
        if item.get("unit") and unit is None:
            raise InputError(f"column map for {path.name}: unknown unit '{item['unit']}'")
        specs[need(item["column"])] = ColumnSpec(item["column"], ColumnRole.PROPERTY, item["property"], unit,
                                                 item.get("unit"))
    for item in column_map.get("assays", []):
        specs[need(item["column"])] = ColumnSpec(item["column"], ColumnRole.ASSAY, property=item["assay"])
    return TableLayout([specs[h] for h in headers], delimiter)
