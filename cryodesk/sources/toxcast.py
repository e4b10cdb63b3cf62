"""ToxCast hit-call matrix reader.

Two layouts are read, both matched by header name (``../shared/docs/external-services.md`` section 4):

* MoleculeNet ``toxcast.csv(.gz)``: ``smiles`` first, then one column per assay endpoint
  (``aenm``), values ``1.0`` hit / ``0.0`` inactive / empty = not tested;
* invitrodb ``hitc_Matrix_<date>.csv``: a chemical code first (DTXSID, ToxCast code or CAS),
  then endpoint columns, values ``1`` / ``0`` / ``NA``.

Anything else is rejected with a message naming what was expected. ``-1`` and fractional hit
calls have no verified meaning in these files, so they are reported per cell, not guessed.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from cryodesk.domain import InputError, RowError

STRUCTURE_HEADERS = ("smiles",)
CODE_HEADERS = ("dsstox_substance_id", "dtxsid", "code", "chid", "casn", "cas", "")
NOT_TESTED = frozenset({"", "na", "nan", "null"})
HIT = {"1", "1.0"}
INACTIVE = {"0", "0.0"}


@dataclass(frozen=True, slots=True)
class MatrixLayout:
    id_column: str
    id_kind: str  # smiles | code
    assays: tuple[str, ...]


@dataclass(slots=True)
class MatrixRow:
    """One chemical's row: ``row`` is the 1-based line number (header = 1)."""

    row: int
    identifier: str
    hits: list[tuple[str, str]] = field(default_factory=list)  # (assay endpoint, active|inactive)
    errors: list[RowError] = field(default_factory=list)


def open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return path.open("r", encoding="utf-8-sig", newline="")


def layout_of(header: list[str], name: str) -> MatrixLayout:
    """The layout of a hit-call matrix header, or an :class:`InputError` saying why it is not one."""
    if len(header) < 2:
        raise InputError(f"{name}: a hit-call matrix needs an identifier column and assay columns; "
                         f"found {len(header)} column(s)")
    first = header[0].strip()
    lowered = first.lower()
    if lowered in STRUCTURE_HEADERS:
        kind = "smiles"
    elif lowered in CODE_HEADERS:
        kind = "code"
    else:
        raise InputError(
            f"{name}: unexpected first column {first!r}; expected 'smiles' (MoleculeNet toxcast.csv) or a "
            f"chemical code column ({', '.join(repr(h) for h in CODE_HEADERS if h)}) as in invitrodb hitc_Matrix files"
        )
    assays = tuple(h.strip() for h in header[1:])
    if any(not a for a in assays) or len(set(assays)) != len(assays):
        raise InputError(f"{name}: assay column names must be non-empty and unique")
    return MatrixLayout(first, kind, assays)


def read_layout(path: str | Path) -> MatrixLayout:
    path = Path(path)
    with open_text(path) as handle:
        header = next(csv.reader(handle), None)
    if header is None:
        raise InputError(f"{path.name}: empty file")
    return layout_of(header, path.name)


def iter_matrix(path: str | Path, start_row: int = 0) -> Iterator[MatrixRow]:
    """Rows after line ``start_row`` (1-based; 0 = from the start). Cells: 1 hit, 0 inactive, blank/NA skipped."""
    path = Path(path)
    with open_text(path) as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise InputError(f"{path.name}: empty file")
        layout = layout_of(header, path.name)
        for number, cells in enumerate(reader, start=2):
            if number <= start_row or not cells:
                continue
            yield _row(number, cells, layout)


def _row(number: int, cells: list[str], layout: MatrixLayout) -> MatrixRow:
    row = MatrixRow(number, cells[0].strip())
    if len(cells) != len(layout.assays) + 1:
        row.errors.append(RowError(number, f"{len(cells)} cells, header has {len(layout.assays) + 1}"))
    for assay, cell in zip(layout.assays, cells[1:], strict=False):
        value = cell.strip().lower()
        if value in NOT_TESTED:
            continue
        if value in HIT:
            row.hits.append((assay, "active"))
        elif value in INACTIVE:
            row.hits.append((assay, "inactive"))
        else:
            row.errors.append(RowError(number, "hit call is not 0, 1 or blank (meaning unverified: not stored)",
                                       assay, cell))
    return row
