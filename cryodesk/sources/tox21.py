"""Tox21 per-assay aggregated files (``tox21-<assay>-p<n>.aggregrated.txt``), read by header name.

Format (``../shared/docs/external-services.md`` section 4, only partly verified): tab-separated, one
row per sample and readout, with at least ``SAMPLE_ID``, ``SAMPLE_DATA_TYPE``, ``ASSAY_OUTCOME`` and
a way to identify the chemical (``SMILES``, ``CAS`` or ``PUBCHEM_CID``); ``CHANNEL_OUTCOME`` carries
the call of viability counter-screens. Quality columns are optional and read when present:
``CURVE_RANK``, ``CURVE_CLASS``/``CURVE_CLASS2``, ``REPRODUCIBILITY``, ``FLAG``; ``AC50`` (µM) and
``EFFICACY`` likewise. A file without the required columns is rejected with a message that lists
what was expected and what was found, before anything is imported.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryodesk.domain import InputError, RowError
from cryodesk.sources.toxcast import open_text

REQUIRED = ("SAMPLE_ID", "ASSAY_OUTCOME")
IDENTITY = ("SMILES", "CAS", "PUBCHEM_CID")
QUALITY_COLUMNS = {
    "CURVE_RANK": "curve_rank",
    "CURVE_CLASS": "curve_class",
    "CURVE_CLASS2": "curve_class",
    "REPRODUCIBILITY": "reproducibility",
    "FLAG": "flag",
}
# Readouts that are one fluorescence channel of a ratio assay: the ratio carries the call.
CHANNEL_TYPES = frozenset({"ch1", "ch2"})
VIABILITY = "viability"
FILE_SUFFIX = re.compile(r"\.aggreg?r?ated\.txt(\.gz)?$", re.IGNORECASE)
PROTOCOL_RE = re.compile(r"^tox21-[a-z0-9.-]+-p\d+$", re.IGNORECASE)
MISSING = frozenset({"", "na", "nan", "null", "none"})


@dataclass(frozen=True, slots=True)
class AggregatedLayout:
    """Column positions of one file (by upper-cased header name) and its protocol."""

    columns: dict[str, int]
    protocol: str | None

    def has(self, name: str) -> bool:
        return name in self.columns


@dataclass(slots=True)
class Tox21Row:
    """One sample/readout row; ``row`` is the 1-based line number (header = 1)."""

    row: int
    sample_id: str
    protocol: str
    data_type: str
    outcome: str | None  # active | inactive | inconclusive; None = row not usable (see errors)
    smiles: str = ""
    cas: str = ""
    cid: str = ""
    name: str = ""
    ac50_um: float | None = None
    quality: dict[str, str] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    @property
    def is_viability(self) -> bool:
        return self.data_type == VIABILITY


def protocol_from_filename(path: Path) -> str | None:
    stem = FILE_SUFFIX.sub("", path.name)
    return stem if PROTOCOL_RE.match(stem) else None


def layout_of(header: list[str], path: Path) -> AggregatedLayout:
    """The layout of an aggregated file's header, or an :class:`InputError` saying what is wrong."""
    columns = {h.strip().strip('"').upper(): i for i, h in enumerate(header)}
    missing = [c for c in REQUIRED if c not in columns]
    if len(header) < 3 or missing or not any(c in columns for c in IDENTITY):
        found = ", ".join(h.strip() for h in header[:12]) + (" ..." if len(header) > 12 else "")
        need = ", ".join(missing) if missing else f"one of {', '.join(IDENTITY)}"
        raise InputError(
            f"{path.name}: not a Tox21 per-assay aggregated file (tab-separated, columns {', '.join(REQUIRED)}, "
            f"SAMPLE_DATA_TYPE and one of {', '.join(IDENTITY)}): missing {need}; found columns: {found or 'none'}"
        )
    protocol = protocol_from_filename(path)
    if protocol is None and "PROTOCOL_NAME" not in columns:
        raise InputError(
            f"{path.name}: cannot tell the Tox21 assay: no PROTOCOL_NAME column and the file name is "
            "not tox21-<assay>-p<n>.aggregrated.txt"
        )
    return AggregatedLayout(columns, protocol)


def read_layout(path: str | Path) -> AggregatedLayout:
    path = Path(path)
    with open_text(path) as handle:
        header = next(csv.reader(handle, delimiter="\t"), None)
    if header is None:
        raise InputError(f"{path.name}: empty file")
    return layout_of(header, path)


def iter_rows(path: str | Path, start_row: int = 0) -> Iterator[Tox21Row]:
    """Rows after line ``start_row`` (1-based; 0 = from the start)."""
    path = Path(path)
    with open_text(path) as handle:
        reader = csv.reader(handle, delimiter="\t")
        header = next(reader, None)
        if header is None:
            raise InputError(f"{path.name}: empty file")
        layout = layout_of(header, path)
        for number, cells in enumerate(reader, start=2):
            if number <= start_row or not any(c.strip() for c in cells):
                continue
            yield _row(number, cells, layout, len(header))


def _cell(cells: list[str], layout: AggregatedLayout, name: str) -> str:
    index = layout.columns.get(name)
    if index is None or index >= len(cells):
        return ""
    value = cells[index].strip().strip('"').strip()
    return "" if value.lower() in MISSING else value


def outcome_of(text: str) -> str | None:
    """``active agonist`` -> active, ``inconclusive antagonist (cytotoxic)`` -> inconclusive, ..."""
    lowered = text.strip().lower()
    for word in ("inconclusive", "inactive", "active"):  # "inactive" contains "active": order matters
        if lowered.startswith(word):
            return word
    return None


def _row(number: int, cells: list[str], layout: AggregatedLayout, width: int) -> Tox21Row:
    protocol = _cell(cells, layout, "PROTOCOL_NAME") or layout.protocol or ""
    data_type = _cell(cells, layout, "SAMPLE_DATA_TYPE").lower()
    row = Tox21Row(
        number,
        _cell(cells, layout, "SAMPLE_ID"),
        protocol,
        data_type,
        None,
        smiles=_cell(cells, layout, "SMILES"),
        cas=_cell(cells, layout, "CAS"),
        cid=_cell(cells, layout, "PUBCHEM_CID"),
        name=_cell(cells, layout, "SAMPLE_NAME"),
    )
    if len(cells) != width:
        row.errors.append(RowError(number, f"{len(cells)} cells, header has {width}"))
    if not row.sample_id:
        row.errors.append(RowError(number, "no sample id", "SAMPLE_ID"))
        return row
    raw = _cell(cells, layout, "ASSAY_OUTCOME")
    if not raw and row.is_viability:
        raw = _cell(cells, layout, "CHANNEL_OUTCOME")
    row.outcome = outcome_of(raw)
    if row.outcome is None:
        row.errors.append(
            RowError(
                number, "outcome is not active/inactive/inconclusive ...", "ASSAY_OUTCOME", raw or "(empty)"
            )
        )
    for column, key in QUALITY_COLUMNS.items():
        value = _cell(cells, layout, column)
        if value and key not in row.quality:
            row.quality[key] = value
    ac50 = _cell(cells, layout, "AC50")
    if ac50:
        try:
            row.ac50_um = float(ac50)
        except ValueError:
            row.errors.append(RowError(number, "AC50 is not a number (not stored)", "AC50", ac50))
    return row
