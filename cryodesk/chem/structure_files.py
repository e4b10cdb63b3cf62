"""Streaming readers for structure files: SD files and SMILES files, plain or gzip-compressed.

Two layers, both streaming (one record in memory at a time):

* *Text records* (:func:`iter_sdf_text_records`, :func:`iter_smiles_text_records`) split a file into
  records, read SD data items and name columns, and catch file-level problems (a truncated last
  record, an empty record, an empty SMILES cell) without touching RDKit. An import job ships these
  picklable texts to worker processes, which parse them (:func:`cryodesk.chem.compound_from_text`).
* *Structure records* (:func:`iter_sdf`, :func:`iter_smiles_file`, :func:`iter_structure_file`) add
  the parsed RDKit molecule (not standardised) or the reason it could not be read.

A record that cannot be read still comes out, with the reason in ``error``, so an import can report
it by number; good records around it are unaffected. Numbers are what a user looks for: the record
number in an SD file, the line number in a SMILES file.

SD files are split here rather than by RDKit's ``ForwardSDMolSupplier``: the supplier yields a bare
``None`` for a bad record, losing its data items (often the only id a user can look up), its text
and its position, and it cannot tell a truncated last record from a broken one.

Tabular files (CSV/TSV with a SMILES column) are read by ``cryodesk.sources``, not here.
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final

from rdkit import Chem

from cryodesk.chem.parse import parse_molblock, parse_smiles
from cryodesk.domain import RowError

_GZIP_MAGIC: Final = b"\x1f\x8b"
_SDF_TERMINATOR: Final = "$$$$"
_M_END: Final = "M  END"

SDF_SUFFIXES: Final = (".sdf", ".sd", ".mol")
SMILES_SUFFIXES: Final = (".smi", ".smiles", ".ism", ".can")

# First-column titles that mark a SMILES file's header line (compared lower-case; any title
# containing "smiles" counts too).
_SMILES_HEADER_WORDS: Final = frozenset({"smi", "structure", "mol", "molecule"})
_NAME_HEADER_WORDS: Final = frozenset(
    {"name", "id", "title", "compound", "compound_name", "molecule_name", "identifier", "cmpd", "mol_id"}
)

Source = str | os.PathLike[str] | IO[bytes] | IO[str]


@dataclass(frozen=True, slots=True)
class SdfTextRecord:
    """One SD file record as text. Picklable.

    Attributes:
        index: 1-based record number.
        line: 1-based line number of the record's first line.
        title: the molblock's first line (often the compound's name or id), or None if blank.
        molblock: the molfile part, up to and including ``M  END`` (all lines if it is missing).
        fields: the data items, ``{title: value}``; multi-line values are joined with ``\\n``.
        error: a problem that makes the record unreadable (truncated, empty), else None.
        warnings: problems that do not (a missing final ``$$$$``, a repeated data item).
        text: the whole record without its ``$$$$`` line.
    """

    index: int
    line: int
    title: str | None
    molblock: str
    fields: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    warnings: tuple[str, ...] = ()
    text: str = ""


@dataclass(frozen=True, slots=True)
class SmilesTextRecord:
    """One data line of a SMILES file. Picklable.

    Attributes:
        index: 1-based line number in the file (header, blank and comment lines count).
        smiles: the SMILES column, stripped.
        name: the name column, or None.
        fields: the other columns, by header title (or ``"column N"`` without a header).
        error: ``"empty SMILES"`` when the SMILES column is empty, else None.
        text: the line as read.
    """

    index: int
    smiles: str
    name: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class StructureRecord:
    """One record of a structure file, with its parsed molecule.

    Attributes:
        index: the number a user finds the record by: the 1-based record number in an SD file,
            the 1-based line number in a SMILES file.
        mol: the parsed molecule (not standardised), or None when it could not be read.
        text: the record as text: the molblock plus data items (SD), or the line (SMILES file).
        name: the molblock's title line, or the SMILES file's name column.
        fields: SD data items, or a SMILES file's other columns, by title.
        error: why ``mol`` is None; None for a readable record.
        line: 1-based line number where the record starts in the file.
        warnings: things noticed that did not stop the record.
    """

    index: int
    mol: Chem.Mol | None
    text: str
    name: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    line: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when a molecule was read."""
        return self.mol is not None

    def row_error(self) -> RowError | None:
        """This record's error as a :class:`cryodesk.domain.RowError`, or None if it has none."""
        if self.error is None:
            return None
        return RowError(row=self.index, reason=self.error, field="structure", value=self.name)


def iter_structure_file(path: str | os.PathLike[str]) -> Iterator[StructureRecord]:
    """Read an SD or SMILES file, chosen by the file name's suffix (``.gz`` allowed).

    Args:
        path: the file (``.sdf``, ``.sd``, ``.mol``, ``.smi``, ``.smiles``, ``.ism``, ``.can``).

    Returns:
        An iterator of records.

    Raises:
        ValueError: if the suffix is neither an SD nor a SMILES file suffix.
    """
    name = Path(path).name.lower().removesuffix(".gz")
    if name.endswith(SDF_SUFFIXES):
        return iter_sdf(path)
    if name.endswith(SMILES_SUFFIXES):
        return iter_smiles_file(path)
    raise ValueError(f"not an SD or SMILES file name: {Path(path).name!r}")


def iter_sdf(source: Source) -> Iterator[StructureRecord]:
    """Stream the records of an SD file with their molecules and data items.

    Args:
        source: a path, or a file object (binary or text; the caller closes it). Gzip is detected
            by content, not by name.

    Yields:
        One :class:`StructureRecord` per record, in file order; unreadable ones carry ``error``
        (e.g. ``"molblock valence error: ..."``, ``"truncated record: ..."``).

    Raises:
        OSError: if the file cannot be opened or read.
    """
    for raw in iter_sdf_text_records(source):
        yield _parse_sdf_record(raw)


def iter_sdf_text_records(source: Source) -> Iterator[SdfTextRecord]:
    """Split an SD file into text records without parsing the structures.

    A last record cut off inside its molblock is reported as truncated; a complete last record
    that only lacks the final ``$$$$`` is kept, with a warning.

    Args:
        source: as for :func:`iter_sdf`.

    Yields:
        One :class:`SdfTextRecord` per record, in file order.

    Raises:
        OSError: if the file cannot be opened or read.
    """
    with _open(source) as handle:
        lines: list[str] = []
        start = 1
        index = 0
        for number, raw in enumerate(handle, start=1):
            line = _decode(raw).rstrip("\r\n")
            if line.rstrip() != _SDF_TERMINATOR:
                lines.append(line)
                continue
            index += 1
            yield _sdf_text_record(index, start, lines, terminated=True)
            lines = []
            start = number + 1
        if any(line.strip() for line in lines):
            yield _sdf_text_record(index + 1, start, lines, terminated=False)


def iter_smiles_file(source: Source, *, has_header: bool | None = None) -> Iterator[StructureRecord]:
    """Stream the records of a SMILES file with their molecules.

    See :func:`iter_smiles_text_records` for the file format.

    Args:
        source: a path, or a file object (binary or text; the caller closes it); gzip is detected.
        has_header: None to detect a header line, True/False to say.

    Yields:
        One :class:`StructureRecord` per data line, ``index`` being the line number.

    Raises:
        OSError: if the file cannot be opened or read.
    """
    for raw in iter_smiles_text_records(source, has_header=has_header):
        yield _parse_smiles_record(raw)


def iter_smiles_text_records(source: Source, *, has_header: bool | None = None) -> Iterator[SmilesTextRecord]:
    """Split a SMILES file into records: a SMILES per line, optionally followed by a name.

    Columns are separated by tabs, commas or whitespace (decided on the first line). With
    whitespace, everything after the SMILES is the name, spaces included. A header line is
    recognised when its first column is a title such as ``SMILES`` (``has_header=None``), or
    forced with ``has_header``; with a header, further columns become ``fields``. Blank lines and
    lines starting with ``#`` are skipped.

    Args:
        source: as for :func:`iter_smiles_file`.
        has_header: None to detect, True/False to say.

    Yields:
        One :class:`SmilesTextRecord` per data line, in file order.

    Raises:
        OSError: if the file cannot be opened or read.
    """
    with _open(source) as handle:
        layout: _SmilesLayout | None = None
        for number, raw in enumerate(handle, start=1):
            line = _decode(raw).rstrip("\r\n")
            if number == 1:
                line = line.removeprefix("\ufeff")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if layout is None:
                layout = _SmilesLayout.detect(line, has_header)
                if layout.header is not None:
                    continue
            yield _smiles_text_record(number, line, layout)


# --- SD files ---------------------------------------------------------------------------------


def _sdf_text_record(index: int, start: int, lines: list[str], *, terminated: bool) -> SdfTextRecord:
    """Build a record from the lines between two ``$$$$`` lines."""
    text = "\n".join(lines) + "\n"
    if not any(line.strip() for line in lines):
        return SdfTextRecord(
            index, start, None, "", error="empty record (nothing between two '$$$$' lines)", text=text
        )
    title = lines[0].strip() or None
    end = next((i for i, line in enumerate(lines) if line.startswith(_M_END)), None)
    if end is None:
        reason = (
            "broken record: the molblock has no 'M  END' line"
            if terminated
            else "truncated record: the file ends inside the molblock (no 'M  END')"
        )
        return SdfTextRecord(index, start, title, text, error=reason, text=text)
    fields, warnings = _data_items(lines[end + 1 :])
    if not terminated:
        warnings.append("the last record has no '$$$$' line; its data items may be cut short")
    molblock = "\n".join(lines[: end + 1]) + "\n"
    return SdfTextRecord(index, start, title, molblock, fields, None, tuple(warnings), text)


def _parse_sdf_record(raw: SdfTextRecord) -> StructureRecord:
    if raw.error is not None:
        return StructureRecord(
            raw.index, None, raw.text, raw.title, raw.fields, raw.error, raw.line, raw.warnings
        )
    parsed = parse_molblock(raw.molblock)
    if parsed.mol is not None:
        for key, value in raw.fields.items():
            parsed.mol.SetProp(key, value)
    return StructureRecord(
        raw.index,
        parsed.mol,
        raw.text,
        raw.title,
        raw.fields,
        parsed.error,
        raw.line,
        raw.warnings + parsed.warnings,
    )


def _data_items(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Parse SD data items: a ``> <title>`` line, value lines, then a blank line."""
    fields: dict[str, str] = {}
    warnings: list[str] = []
    title: str | None = None
    value: list[str] = []
    for line in [*lines, ""]:
        if title is None:
            if line.startswith(">"):
                title = _item_title(line)
                if title is None:
                    warnings.append(f"data item header without a <title>: {line.strip()!r}")
                    title = ""
                value = []
            continue
        if line.strip() == "":
            if title:
                if title in fields:
                    warnings.append(f"data item <{title}> appears twice; the last value is kept")
                fields[title] = "\n".join(value)
            title = None
            continue
        value.append(line)
    return fields, warnings


def _item_title(header: str) -> str | None:
    start = header.find("<")
    end = header.find(">", start + 1)
    if start == -1 or end == -1:
        return None
    return header[start + 1 : end].strip() or None


# --- SMILES files -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _SmilesLayout:
    """How the lines of one SMILES file are split into columns."""

    delimiter: str | None  # None: whitespace
    header: tuple[str, ...] | None
    smiles_column: int = 0
    name_column: int | None = 1

    @staticmethod
    def detect(first_line: str, has_header: bool | None) -> _SmilesLayout:
        delimiter = "\t" if "\t" in first_line else "," if "," in first_line else None
        columns = _split(first_line, delimiter, None)
        is_header = has_header if has_header is not None else _is_smiles_title(columns[0])
        if not is_header:
            return _SmilesLayout(delimiter, None)
        header = tuple(c.strip() for c in columns)
        smiles_column = next((i for i, c in enumerate(header) if _is_smiles_title(c)), 0)
        others = [i for i in range(len(header)) if i != smiles_column]
        name_column = next((i for i in others if header[i].lower() in _NAME_HEADER_WORDS), None)
        if name_column is None and others:
            name_column = others[0]
        return _SmilesLayout(delimiter, header, smiles_column, name_column)


def _is_smiles_title(text: str) -> bool:
    lowered = text.strip().lower()
    return "smiles" in lowered or lowered in _SMILES_HEADER_WORDS


def _smiles_text_record(number: int, line: str, layout: _SmilesLayout) -> SmilesTextRecord:
    width = len(layout.header) if layout.header is not None else 2
    columns = _split(line, layout.delimiter, width if layout.delimiter is None else None)
    smiles = columns[layout.smiles_column].strip() if layout.smiles_column < len(columns) else ""
    name = None
    if layout.name_column is not None and layout.name_column < len(columns):
        name = columns[layout.name_column].strip() or None
    fields = _smiles_fields(columns, layout)
    error = None if smiles else "empty SMILES"
    return SmilesTextRecord(number, smiles, name, fields, error, line)


def _parse_smiles_record(raw: SmilesTextRecord) -> StructureRecord:
    if raw.error is not None:
        return StructureRecord(raw.index, None, raw.text, raw.name, raw.fields, raw.error, raw.index)
    parsed = parse_smiles(raw.smiles)
    if parsed.mol is not None and raw.name:
        parsed.mol.SetProp("_Name", raw.name)
    return StructureRecord(
        raw.index, parsed.mol, raw.text, raw.name, raw.fields, parsed.error, raw.index, parsed.warnings
    )


def _smiles_fields(columns: list[str], layout: _SmilesLayout) -> dict[str, str]:
    skip = {layout.smiles_column, layout.name_column}
    if layout.header is not None:
        count = min(len(columns), len(layout.header))
        return {layout.header[i]: columns[i].strip() for i in range(count) if i not in skip}
    # Without a header, columns past the name (tab/comma files only) are kept by position.
    return {f"column {i + 1}": value.strip() for i, value in enumerate(columns) if i not in skip}


def _split(line: str, delimiter: str | None, width: int | None) -> list[str]:
    """Split on ``delimiter``; None means whitespace, into at most ``width`` columns (the last one
    keeping further spaces, so a name may contain spaces)."""
    if delimiter is None:
        return line.strip().split(None, -1 if width is None else max(width - 1, 0))
    return line.split(delimiter)


# --- files ------------------------------------------------------------------------------------


def _decode(raw: bytes | str) -> str:
    if isinstance(raw, str):  # a text-mode handle was passed
        return raw
    # SD data items from older tools are often Latin-1; never fail a record over its encoding.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


@contextmanager
def _open(source: Source) -> Iterator[IO[bytes] | IO[str]]:
    """Open a path (or take a handle), transparently decompressing gzip."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as raw:
            if raw.peek(2)[:2] == _GZIP_MAGIC:
                with gzip.GzipFile(fileobj=raw) as unzipped:
                    yield unzipped
            else:
                yield raw
        return
    if isinstance(source, io.TextIOBase):
        yield source
        return
    # peek() needs a buffered reader; BytesIO and raw files are wrapped (closing stays the caller's).
    buffered = source if hasattr(source, "peek") else io.BufferedReader(source)  # type: ignore[arg-type]
    if buffered.peek(2)[:2] == _GZIP_MAGIC:  # type: ignore[union-attr]
        yield gzip.GzipFile(fileobj=buffered)
    else:
        yield buffered
