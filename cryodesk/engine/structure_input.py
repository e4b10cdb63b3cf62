"""Turn structure files of every supported kind into ``InputRecord`` streams for the import job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from cryodesk.domain import InputError, RowError
from cryodesk.engine.records import InputRecord, RecordValue
from cryodesk.sources.column_map import layout_from_map
from cryodesk.sources.tabular import (
    ColumnRole,
    TableLayout,
    detect_layout,
    field_spec,
    iter_rows,
    parse_cell,
)

TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".txt")
SDF_SUFFIXES = (".sdf", ".sd", ".mol")
SMILES_SUFFIXES = (".smi", ".smiles", ".ism")


def file_kind(path: Path) -> str:
    """'table', 'sdf' or 'smi' from the file name (``.gz`` allowed)."""
    name = path.name.casefold().removesuffix(".gz")
    if name.endswith(SDF_SUFFIXES):
        return "sdf"
    if name.endswith(SMILES_SUFFIXES):
        return "smi"
    if name.endswith(TABLE_SUFFIXES):
        return "table"
    raise InputError(f"{path.name}: unsupported file type (use CSV, TSV, SDF or SMILES files)")


def _looks_like_structure(text: str) -> bool:
    from cryodesk.chem import looks_like_structure

    return looks_like_structure(text)


def table_layout(path: Path, structure_column: str | None = None, name_column: str | None = None,
                 column_map: dict | None = None) -> TableLayout:
    if column_map:
        return layout_from_map(path, column_map)
    return detect_layout(path, _looks_like_structure, structure_column, name_column)


def iter_table_records(path: Path, layout: TableLayout) -> Iterator[InputRecord]:
    structure = layout.structure
    index = {c.header: i for i, c in enumerate(layout.columns)}
    usable_props = [c for c in layout.by_role(ColumnRole.PROPERTY) if not c.problem]
    names = layout.by_role(ColumnRole.NAME)
    ids = layout.by_role(ColumnRole.IDENTIFIER)
    assays = layout.by_role(ColumnRole.ASSAY)
    width = len(layout.columns)
    for line, cells in iter_rows(path, layout.delimiter):
        record = InputRecord(line, _cell(cells, index[structure.header]), structure.structure_kind or "smiles",
                             structure.header)
        if len(cells) != width:
            record.errors.append(RowError(line, f"{len(cells)} cells where the header has {width}"))
        for spec in names:
            record.name = record.name or _cell(cells, index[spec.header]) or None
        for spec in ids:
            value = _cell(cells, index[spec.header])
            if value:
                record.identifiers.append((spec.header, spec.identifier_kind, value))
        for spec in usable_props:
            _add_value(record, spec.header, spec.property, spec.unit, _cell(cells, index[spec.header]))
        for spec in assays:
            _add_outcome(record, spec.header, spec.property, _cell(cells, index[spec.header]))
        yield record


_OUTCOMES = {"1": "active", "1.0": "active", "0": "inactive", "0.0": "inactive", "active": "active",
             "inactive": "inactive", "inconclusive": "inconclusive"}


def _add_outcome(record: InputRecord, field: str, assay_key: str, text: str) -> None:
    if not text:
        return  # blank = not tested
    outcome = _OUTCOMES.get(text.casefold())
    if outcome is None:
        record.errors.append(RowError(record.row, "assay outcome must be 1/0 or active/inactive", field, text))
        return
    record.assays.append((assay_key, outcome))


def _cell(cells: list[str], i: int) -> str:
    return cells[i].strip() if i < len(cells) else ""


def _add_value(record: InputRecord, field: str, prop: str, unit: str | None, text: str) -> None:
    if not text:
        return  # an empty cell is "not measured", not an error
    cell = parse_cell(text, unit)
    if cell.error:
        record.errors.append(RowError(record.row, cell.error, field, text))
        return
    record.values.append(RecordValue(prop, cell.value, cell.unit, cell.text, cell.flags))


def iter_sdf_records(path: Path) -> Iterator[InputRecord]:
    from cryodesk.chem.structure_files import iter_sdf_text_records

    for raw in iter_sdf_text_records(path):
        record = InputRecord(raw.index, raw.molblock, "molblock", "molblock", row_label="record", name=raw.title)
        if raw.error:
            record.errors.append(RowError(raw.index, raw.error, "molblock"))
        _sdf_fields(record, raw.fields)
        yield record


def _sdf_fields(record: InputRecord, fields: dict[str, str]) -> None:
    for key, text in fields.items():
        text = text.strip()
        if not text:
            continue
        spec = field_spec(key)
        if spec.role is ColumnRole.NAME:
            record.name = text
        elif spec.role is ColumnRole.IDENTIFIER:
            record.identifiers.append((key, spec.identifier_kind, text))
        else:
            if spec.problem:
                record.errors.append(RowError(record.row, spec.problem, key, text))
            elif parse_cell(text, spec.unit).error is None:
                _add_value(record, key, spec.property, spec.unit, text)


def iter_smiles_file_records(path: Path) -> Iterator[InputRecord]:
    from cryodesk.chem.structure_files import iter_smiles_text_records

    for raw in iter_smiles_text_records(path):
        yield InputRecord(raw.index, raw.smiles, "smiles", "SMILES", row_label="line", name=raw.name)
