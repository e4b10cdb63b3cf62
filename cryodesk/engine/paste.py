"""Pasted structures and names: resolve each line and add the compounds to the project.

The user pastes SMILES, names, CAS numbers ... one per line, or a column copied from a spreadsheet
(a header such as ``SMILES`` or ``name`` is recognised and skipped; a quoted cell is unquoted; from a
row with several cells the first is used). Each line goes through the multi-strategy resolver, the
offline strategies (store, structure parsing, OPSIN) first; only lines they cannot answer go to the
online services, and only when the caller allows it. Every compound added or found gets the pasted
text as an identifier whose source is :data:`PASTE_SOURCE`, so its provenance says who put it there.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from cryodesk.domain import Compound, Identifier

if TYPE_CHECKING:
    from cryodesk.engine.resolver import Resolution, ResolverClients
    from cryodesk.store import Project

PASTE_SOURCE = "pasted by user"
#: Header cells of a copied column (compared case-insensitively) that are not compounds.
HEADER_WORDS = frozenset(
    {
        "smiles",
        "canonical_smiles",
        "name",
        "names",
        "compound",
        "compounds",
        "structure",
        "structures",
        "cas",
        "identifier",
        "identifiers",
        "molecule",
        "inchi",
        "inchikey",
    }
)
MAX_LINES = 10_000  # a paste is a hand-made list; anything larger belongs in File ▸ Import


@dataclass(frozen=True, slots=True)
class PastedLine:
    """What became of one pasted line.

    Attributes:
        line: the line number in the pasted text (1-based).
        text: the text as read from the line.
        status: ``added`` (a new compound), ``present`` (already in the project) or ``failed``.
        compound_id: the compound (None when failed).
        inchikey: its InChIKey (None when failed).
        method: the resolver strategies that answered (``"parse"``, ``"store+opsin"`` ...).
        reason: why it failed, or a note (a conflict between strategies, a skipped service).
    """

    line: int
    text: str
    status: str
    compound_id: int | None = None
    inchikey: str | None = None
    method: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class PasteResult:
    lines: tuple[PastedLine, ...]
    skipped_header: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def with_status(self, status: str) -> list[PastedLine]:
        return [p for p in self.lines if p.status == status]

    @property
    def added(self) -> list[PastedLine]:
        return self.with_status("added")

    @property
    def present(self) -> list[PastedLine]:
        return self.with_status("present")

    @property
    def failed(self) -> list[PastedLine]:
        return self.with_status("failed")

    @property
    def compound_ids(self) -> list[int]:
        """The compounds the paste names (added and already present), in pasted order, once each."""
        return list(dict.fromkeys(p.compound_id for p in self.lines if p.compound_id is not None))

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.present)} already present"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        return ", ".join(parts)


def split_pasted(text: str) -> tuple[list[tuple[int, str]], str | None]:
    """(line number, cell) for each non-empty pasted line, and the header cell that was skipped (if any).

    A line with tabs or commas outside a SMILES is read as spreadsheet cells (first cell kept); a
    SMILES never contains a tab, and a comma only inside a quoted cell of a CSV export.
    """
    rows: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if "\t" in line:
            line = line.split("\t", 1)[0].strip()
        elif line.startswith('"'):
            line = next(csv.reader(io.StringIO(line)), [""])[0].strip()
        rows.append((number, line))
    header = None
    if rows and rows[0][1].strip().casefold() in HEADER_WORDS:
        header = rows.pop(0)[1]
    return rows, header


def add_structures(
    project: Project,
    text_or_lines: str | list[str],
    *,
    online: bool = False,
    clients: ResolverClients | None = None,
) -> PasteResult:
    """Resolve pasted lines and add the compounds (see the module docstring).

    Args:
        project: the open (writable) project.
        text_or_lines: the clipboard text, or its lines.
        online: ask the online services for lines the offline strategies could not resolve.
        clients: online clients (None: from the settings).
    """
    from cryodesk.domain import CryoDeskError

    if project.read_only:
        raise CryoDeskError("the project is open read-only: pasted compounds cannot be added")
    text = text_or_lines if isinstance(text_or_lines, str) else "\n".join(text_or_lines)
    rows, header = split_pasted(text)
    if len(rows) > MAX_LINES:
        raise CryoDeskError(f"{len(rows):,} lines pasted; at most {MAX_LINES:,} (use File ▸ Import for more)")
    notes: list[str] = []
    if header is not None:
        notes.append(f"line 1 ({header!r}) read as a column header and skipped")
    resolutions = _resolve(project, [t for _, t in rows], online, clients, notes)
    return _store(project, rows, resolutions, header, notes)


def _resolve(
    project: Project, texts: list[str], online: bool, clients: ResolverClients | None, notes: list[str]
) -> list[Resolution]:
    from cryodesk.engine.resolver import Resolver

    offline = Resolver(project, offline=True)
    results = offline.resolve_many(texts)
    todo = [i for i, r in enumerate(results) if not r.resolved and r.error is None]
    if todo and online:
        resolver = Resolver(project, clients, offline=False)
        try:
            for i, res in zip(todo, resolver.resolve_many([texts[i] for i in todo]), strict=True):
                results[i] = res
        finally:
            resolver.close()
    elif todo:
        notes.append(f"{len(todo)} line(s) not found offline; online services were not asked")
    return results


def _compound_of(res: Resolution) -> Compound | None:
    for cand in res.candidates:
        if cand.inchikey == res.inchikey and cand.compound is not None:
            return cand.compound
    if res.smiles:
        from cryodesk.chem import compound_from_text

        made = compound_from_text(res.smiles).compound
        if made is not None and made.inchikey == res.inchikey:
            return made
    return None


def _failure(res: Resolution) -> str:
    if res.error:
        return res.error + ("" if not res.messages else " (" + "; ".join(res.messages) + ")")
    if res.messages:
        return "not resolved: " + "; ".join(res.messages)
    return "not resolved: no strategy recognised it as a structure or a known name"


def _store(
    project: Project,
    rows: list[tuple[int, str]],
    resolutions: list[Resolution],
    header: str | None,
    notes: list[str],
) -> PasteResult:
    from cryodesk.engine.resolver import _IDENTIFIER_KIND

    keys = [r.inchikey for r in resolutions if r.resolved and r.inchikey]
    before = project.compounds.ids_for(keys)
    compounds: dict[str, Compound] = {}
    identifiers: list[Identifier] = []
    problems: dict[int, str] = {}
    for i, ((_number, text), res) in enumerate(zip(rows, resolutions, strict=True)):
        if not res.resolved or not res.inchikey:
            continue
        if res.inchikey not in before:
            compound = _compound_of(res)
            if compound is None:
                problems[i] = f"resolved to {res.inchikey} but no structure came with it"
                continue
            if compound.name is None and res.kind.value == "name":
                compound = replace(compound, name=text)  # a pasted name names the new compound
            compounds.setdefault(res.inchikey, compound)
        identifiers.append(
            Identifier(
                res.inchikey,
                _IDENTIFIER_KIND[res.kind],
                text,
                PASTE_SOURCE,
                round(max(res.confidence, 0.01), 3),
            )
        )
    with project.db.transaction():
        ids = project.compounds.upsert_many(compounds.values()) if compounds else {}
        project.identifiers.upsert_many(identifiers)
    lines = []
    first_line: dict[str, int] = {}
    for i, ((number, text), res) in enumerate(zip(rows, resolutions, strict=True)):
        if i in problems or not res.resolved or not res.inchikey:
            lines.append(PastedLine(number, text, "failed", reason=problems.get(i) or _failure(res)))
            continue
        note = "strategies disagreed; the most confident answer was taken" if res.conflict else ""
        if res.inchikey in first_line:  # the same compound twice in one paste: added once
            note = f"same compound as line {first_line[res.inchikey]}"
            lines.append(
                PastedLine(
                    number,
                    text,
                    "present",
                    before.get(res.inchikey, ids.get(res.inchikey)),
                    res.inchikey,
                    res.method,
                    note,
                )
            )
            continue
        first_line[res.inchikey] = number
        if res.inchikey in before:
            lines.append(
                PastedLine(number, text, "present", before[res.inchikey], res.inchikey, res.method, note)
            )
        else:
            lines.append(
                PastedLine(number, text, "added", ids.get(res.inchikey), res.inchikey, res.method, note)
            )
    return PasteResult(tuple(lines), header, tuple(notes))
