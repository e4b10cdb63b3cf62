"""Plain tabular readers (CSV/TSV): streaming rows, column roles and units from headers, cell values.

Structure parsing is not done here (that needs RDKit and lives in ``cryodesk.chem``); the caller
passes a predicate that says whether a text looks like a structure, for content-based detection of
the structure column when no header names it.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from cryodesk.domain import IdentifierKind, InputError
from cryodesk.domain.properties import property_info, property_key
from cryodesk.domain.units import canonical_unit, dimension

SAMPLE_ROWS = 200
csv.field_size_limit(10_000_000)  # SDF-like multi-line fields and long InChIs exceed the 128 kB default


class ColumnRole(StrEnum):
    STRUCTURE = "structure"
    NAME = "name"
    IDENTIFIER = "identifier"
    PROPERTY = "property"
    ASSAY = "assay"  # a column of active/inactive outcomes (1/0); ``property`` holds the assay key
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """How one column is read: its role, and for properties the key and canonical unit."""

    header: str
    role: ColumnRole
    property: str | None = None
    unit: str | None = None
    unit_text: str | None = None
    identifier_kind: IdentifierKind | None = None
    structure_kind: str | None = None  # smiles / inchi
    problem: str | None = None  # why a property column cannot be used (e.g. an unknown unit)


@dataclass(slots=True)
class TableLayout:
    columns: list[ColumnSpec]
    delimiter: str
    warnings: list[str] = field(default_factory=list)

    @property
    def structure(self) -> ColumnSpec:
        return next(c for c in self.columns if c.role is ColumnRole.STRUCTURE)

    def by_role(self, role: ColumnRole) -> list[ColumnSpec]:
        return [c for c in self.columns if c.role is role]


_STRUCTURE_HEADERS = {"smiles": "smiles", "canonical_smiles": "smiles", "isomeric_smiles": "smiles",
                      "smi": "smiles", "structure": "smiles", "mol_smiles": "smiles", "smiles_string": "smiles",
                      "inchi": "inchi", "standard_inchi": "inchi"}
_NAME_HEADERS = {"name", "compound", "compound_name", "species", "chemical_name", "title", "molecule", "iupac_name",
                 "common_name", "preferred_name", "substance"}
_IDENTIFIER_HEADERS: dict[str, IdentifierKind] = {
    "cas": IdentifierKind.CAS, "cas_rn": IdentifierKind.CAS, "casrn": IdentifierKind.CAS,
    "cas_number": IdentifierKind.CAS, "cas_no": IdentifierKind.CAS,
    "cid": IdentifierKind.PUBCHEM_CID, "pubchem_cid": IdentifierKind.PUBCHEM_CID,
    "chembl_id": IdentifierKind.CHEMBL_ID, "molecule_chembl_id": IdentifierKind.CHEMBL_ID,
    "drugbank_id": IdentifierKind.DRUGBANK_ID, "dtxsid": IdentifierKind.DTXSID,
    "csid": IdentifierKind.CHEMSPIDER_ID, "chemspider_id": IdentifierKind.CHEMSPIDER_ID,
    "inchikey": IdentifierKind.INCHIKEY, "inchi_key": IdentifierKind.INCHIKEY,
    "id": IdentifierKind.SOURCE_ID, "key": IdentifierKind.SOURCE_ID, "compound_id": IdentifierKind.SOURCE_ID,
    "mol_id": IdentifierKind.SOURCE_ID, "cmpd_id": IdentifierKind.SOURCE_ID, "compound_id_": IdentifierKind.SOURCE_ID,
}

_BRACKET_UNIT = re.compile(r"^(?P<name>.*?)\s*[\(\[]\s*(?P<unit>[^\)\]]+?)\s*[\)\]]\s*$")
_SUFFIX_UNIT = re.compile(r"^(?P<name>.+?)_(?P<unit>k|c|degc|f|degf|m|mm|um|nm|cp|pct|percent|gmol|g_mol)$", re.I)
_GLUED_TEMPERATURE = re.compile(r"^(?P<name>mp|bp|tg|tm)(?P<unit>c|k|f)$", re.I)
_NUMBER = re.compile(
    r"^\s*(?P<qual>[<>≤≥~≈]=?)?\s*(?P<num>[-+−]?(?:\d+(?:[.,]\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"
    r"(?:\s*(?:-|–|to)\s*(?P<high>[-+]?(?:\d+(?:\.\d*)?|\.\d+)))?\s*(?P<unit>[^\d\s].*?)?\s*$"
)


def slug(header: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", header.casefold()).strip("_")


def split_header_unit(header: str) -> tuple[str, str | None]:
    """Split ``Tg (K)`` / ``mp_C`` / ``mpC`` into (property name, unit text)."""
    for pattern in (_BRACKET_UNIT, _SUFFIX_UNIT, _GLUED_TEMPERATURE):
        match = pattern.match(header.strip())
        if match:
            unit = match.group("unit")
            return match.group("name"), {"gmol": "g/mol", "g_mol": "g/mol"}.get(unit.casefold(), unit)
    return header.strip(), None


def property_column(header: str) -> ColumnSpec:
    """A property column spec from its header, with the unit checked against the property's dimension."""
    name, unit_text = split_header_unit(header)
    key = property_key(name)
    unit = canonical_unit(unit_text) if unit_text else None
    info = property_info(key)
    problem = None
    if unit_text and unit is None:
        problem = f"unknown unit '{unit_text}' in header '{header}'"
    elif unit and info and info.dimension and dimension(unit) != info.dimension:
        problem = f"unit '{unit_text}' is not a {info.dimension} unit, as '{info.label}' needs"
    elif unit is None and info is not None:
        unit = info.default_unit if info.dimension == "dimensionless" else None
    return ColumnSpec(header, ColumnRole.PROPERTY, key, unit, unit_text, problem=problem)


def field_spec(header: str) -> ColumnSpec:
    """Role of a named data field (an SDF tag) from its name alone: name, identifier or property."""
    key = slug(header)
    if key in _NAME_HEADERS:
        return ColumnSpec(header, ColumnRole.NAME)
    if key in _IDENTIFIER_HEADERS:
        return ColumnSpec(header, ColumnRole.IDENTIFIER, identifier_kind=_IDENTIFIER_HEADERS[key])
    return property_column(header)


@dataclass(frozen=True, slots=True)
class CellValue:
    value: float | None
    unit: str | None
    text: str
    flags: tuple[str, ...] = ()
    error: str | None = None


def parse_cell(text: str, column_unit: str | None) -> CellValue:
    """Read a numeric cell such as ``193``, ``193 K``, ``-80 °C``, ``<0.1``, ``185-190``.

    A unit in the cell must agree with the column's unit (temperatures are converted; anything else
    is an error that names both units).
    """
    from cryodesk.domain.units import below_absolute_zero, convert

    raw = text.strip()
    match = _NUMBER.match(raw)
    if not match:
        return CellValue(None, column_unit, raw, error=f"not a number: {raw!r}")
    value = float(match.group("num").replace(",", ".").replace("−", "-"))
    flags: list[str] = []
    if match.group("qual"):
        flags.append(f"qualifier:{match.group('qual')}")
    if match.group("high"):
        value = (value + float(match.group("high"))) / 2.0
        flags.append("range_midpoint")
    unit = column_unit
    cell_unit_text = match.group("unit")
    if cell_unit_text:
        cell_unit = canonical_unit(cell_unit_text)
        if cell_unit is None:
            expected = f"; the column unit is '{column_unit}'" if column_unit else ""
            return CellValue(None, column_unit, raw, error=f"unit '{cell_unit_text}' is not known{expected}")
        if column_unit and cell_unit != column_unit:
            try:
                value = convert(value, cell_unit, column_unit)
                flags.append(f"converted_from:{cell_unit}")
            except ValueError:
                return CellValue(None, column_unit, raw,
                                 error=f"unit '{cell_unit_text}' does not match the column unit '{column_unit}'")
        unit = column_unit or cell_unit
    if unit and below_absolute_zero(value, unit):
        return CellValue(None, unit, raw, error=f"{value:g} {unit} is below absolute zero")
    return CellValue(value, unit, raw, tuple(flags))


def _open_text(path: Path) -> io.TextIOBase:
    raw = gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")
    head = raw.read(4096)
    raw.seek(0)
    try:
        head.decode("utf-8")
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "cp1252"  # what spreadsheets on lab PCs usually write
    return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")


def _delimiter(path: Path, sample: str) -> str:
    name = path.name.removesuffix(".gz").casefold()
    if name.endswith((".tsv", ".tab")):
        return "\t"
    # The sniffer is quadratic in the sample; a few lines decide the delimiter as well as 64 kB.
    head = "\n".join(sample.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def iter_rows(path: Path, delimiter: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """Stream (line number of the row, cells) after the header; the header is line 1."""
    with _open_text(path) as handle:
        sample = handle.read(65536)
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter or _delimiter(path, sample))
        next(reader, None)
        for cells in reader:
            if cells and any(c.strip() for c in cells):
                yield reader.line_num, cells


def read_header(path: Path) -> tuple[list[str], str, list[list[str]]]:
    """(headers, delimiter, up to SAMPLE_ROWS sample rows)."""
    with _open_text(path) as handle:
        sample = handle.read(65536)
        handle.seek(0)
        delimiter = _delimiter(path, sample)
        reader = csv.reader(handle, delimiter=delimiter)
        headers = next(reader, None)
        if not headers:
            raise InputError(f"{path.name}: the file is empty (no header row)")
        rows = []
        for cells in reader:
            rows.append(cells)
            if len(rows) >= SAMPLE_ROWS:
                break
    return [h.strip() for h in headers], delimiter, rows


def _numeric_share(values: list[str]) -> float:
    filled = [v for v in values if v.strip()]
    if not filled:
        return 0.0
    return sum(1 for v in filled if _NUMBER.match(v) and not parse_cell(v, None).error) / len(filled)


def detect_layout(
    path: Path,
    looks_like_structure: Callable[[str], bool],
    structure_column: str | None = None,
    name_column: str | None = None,
) -> TableLayout:
    """Decide each column's role from headers, then from content.

    Raises:
        InputError: no structure column can be found (or the one named does not exist).
    """
    headers, delimiter, rows = read_header(path)
    column_values = {h: [r[i] if i < len(r) else "" for r in rows] for i, h in enumerate(headers)}
    structure = _find_structure_column(headers, column_values, looks_like_structure, structure_column, path)
    specs: list[ColumnSpec] = []
    warnings: list[str] = []
    for header in headers:
        spec = _classify(header, structure, name_column, column_values[header])
        if spec.role is ColumnRole.PROPERTY and spec.problem:
            warnings.append(f"column '{header}' not imported: {spec.problem}")
        elif spec.role is ColumnRole.IGNORED:
            warnings.append(f"column '{header}' not imported: text that is neither a name nor an identifier")
        specs.append(spec)
    return TableLayout(specs, delimiter, warnings)


def _find_structure_column(headers, column_values, looks_like_structure, wanted, path) -> str:
    if wanted:
        if wanted not in headers:
            raise InputError(f"{path.name}: no column named '{wanted}' (columns: {', '.join(headers)})")
        return wanted
    for header in headers:
        if slug(header) in _STRUCTURE_HEADERS:
            return header
    best, best_share = None, 0.0
    for header in headers:
        sample = [v for v in column_values[header] if v.strip()][:25]
        if not sample or _numeric_share(sample) > 0.5:
            continue
        share = sum(map(looks_like_structure, sample)) / len(sample)
        if share > best_share:
            best, best_share = header, share
    if best is None or best_share < 0.6:
        raise InputError(
            f"{path.name}: no structure column found. Name one with a header such as 'SMILES' or 'InChI', "
            f"or pass it explicitly (columns: {', '.join(headers)})"
        )
    return best


def _classify(header: str, structure: str, name_column: str | None, values: list[str]) -> ColumnSpec:
    key = slug(header)
    if header == structure:
        kind = "inchi" if _STRUCTURE_HEADERS.get(key) == "inchi" or any(
            v.startswith("InChI=") for v in values[:5]) else "smiles"
        return ColumnSpec(header, ColumnRole.STRUCTURE, structure_kind=kind)
    if header == name_column or (name_column is None and key in _NAME_HEADERS):
        return ColumnSpec(header, ColumnRole.NAME)
    if key in _IDENTIFIER_HEADERS or "cas" in key.split("_"):
        return ColumnSpec(header, ColumnRole.IDENTIFIER, identifier_kind=_IDENTIFIER_HEADERS.get(key, IdentifierKind.CAS))
    if _numeric_share(values) >= 0.5 or split_header_unit(header)[1]:
        return property_column(header)
    return ColumnSpec(header, ColumnRole.IGNORED)
