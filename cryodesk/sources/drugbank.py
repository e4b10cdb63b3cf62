"""DrugBank readers: the open vocabulary CSV (CC0) and the licensed full XML a user supplies.

Formats: ``../shared/docs/external-services.md`` section 5. Element names of the XML reader follow
DrugBank's published XSD (``drugbank.xsd``, target namespace ``http://www.drugbank.ca``: drug-type's
sequence ``drugbank-id``, ``name``, ``cas-number``, ``unii``, ``state``, ``groups/group``,
``toxicity``, ``metabolism``, ``half-life``, ``synonyms/synonym``, ``categories/category/category``,
``atc-codes/atc-code@code``, ``calculated-properties/property{kind,value,source}``,
``external-identifiers/external-identifier{resource,identifier}``, ``targets/target{id,name,
actions/action}``), not a guess of ours.

The XML is streamed with defusedxml's ``iterparse``: each top-level ``<drug>`` is turned into a
record and then cleared, so memory stays flat on a multi-GB file, and a document that declares
entities (external or billion-laughs) is refused.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from cryodesk.domain import InputError, RowError

NS = "{http://www.drugbank.ca}"
VOCAB_COLUMNS = ("DrugBank ID", "Accession Numbers", "Common name", "CAS", "UNII", "Synonyms", "Standard InChI Key")
MULTI_SEPARATOR = " | "
#: Drug groups the XSD allows.
GROUPS = frozenset({"approved", "illicit", "experimental", "withdrawn", "nutraceutical", "investigational",
                    "vet_approved"})


# -- open vocabulary ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class VocabularyEntry:
    """One row of ``drugbank vocabulary.csv``; ``row`` is the 1-based line in the file."""

    row: int
    drugbank_id: str
    name: str
    accession_numbers: tuple[str, ...] = ()
    cas: str | None = None
    unii: str | None = None
    synonyms: tuple[str, ...] = ()
    inchikey: str | None = None


def _split_multi(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split("|") if p.strip())


def _open_text(path: Path) -> IO[str]:
    # utf-8-sig: re-saved copies (Excel) carry a BOM that would otherwise stick to the first header.
    return path.open("r", encoding="utf-8-sig", newline="")


def iter_vocabulary(path: str | Path) -> Iterator[VocabularyEntry | RowError]:
    """Entries of the open vocabulary, or a :class:`RowError` for each unusable row.

    Reads the file as DrugBank releases it (comma-separated, quoted only where needed) and the
    re-saved variant seen in the wild (``;``-separated with an extra ``Column1;...;Column7`` line).

    Raises:
        InputError: the file has no DrugBank vocabulary header.
    """
    path = Path(path)
    with _open_text(path) as handle:
        lines = _numbered_lines(handle)
        header_line, delimiter = _find_header(lines, path)
        header = next(csv.reader([header_line], delimiter=delimiter))
        index = {name.strip(): i for i, name in enumerate(header)}
        missing = [c for c in ("DrugBank ID", "Common name") if c not in index]
        if missing:
            raise InputError(f"{path.name}: header lacks {', '.join(missing)}")
        for number, line in lines:
            if not line.strip():
                continue
            cells = next(csv.reader([line], delimiter=delimiter))
            yield _vocabulary_row(number, cells, index)


def _numbered_lines(handle: IO[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(handle, start=1):
        yield number, line.rstrip("\r\n")


def _find_header(lines: Iterator[tuple[int, str]], path: Path) -> tuple[str, str]:
    for number, line in lines:
        if number > 5:
            break
        for delimiter in (",", ";", "\t"):
            cells = [c.strip().strip('"') for c in line.split(delimiter)]
            if "DrugBank ID" in cells:
                return line, delimiter
    raise InputError(
        f"{path.name} is not a DrugBank vocabulary file: no header with 'DrugBank ID' in the first 5 lines "
        f"(expected: {','.join(VOCAB_COLUMNS)})"
    )


def _vocabulary_row(number: int, cells: list[str], index: dict[str, int]) -> VocabularyEntry | RowError:
    def cell(name: str) -> str:
        i = index.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    drugbank_id = cell("DrugBank ID")
    if not drugbank_id.startswith("DB"):
        return RowError(number, "not a DrugBank ID", "DrugBank ID", drugbank_id)
    name = cell("Common name")
    if not name:
        return RowError(number, "no common name", "Common name", drugbank_id)
    return VocabularyEntry(
        row=number, drugbank_id=drugbank_id, name=name,
        accession_numbers=_split_multi(cell("Accession Numbers")), cas=cell("CAS") or None,
        unii=cell("UNII") or None, synonyms=_split_multi(cell("Synonyms")),
        inchikey=cell("Standard InChI Key") or None,
    )


# -- full XML -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DrugTarget:
    target_id: str
    name: str
    organism: str | None = None
    actions: tuple[str, ...] = ()
    kind: str = "target"  # target | enzyme | carrier | transporter


@dataclass(frozen=True, slots=True)
class DrugBankDrug:
    """The fields of one ``<drug>`` that CryoDesk stores. ``index`` is the 1-based drug number."""

    index: int
    drugbank_id: str
    name: str
    drug_type: str
    other_ids: tuple[str, ...] = ()
    cas: str | None = None
    unii: str | None = None
    state: str | None = None
    groups: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    atc_codes: tuple[str, ...] = ()
    toxicity: str | None = None
    metabolism: str | None = None
    half_life: str | None = None
    smiles: str | None = None
    inchi: str | None = None
    inchikey: str | None = None
    external_ids: tuple[tuple[str, str], ...] = ()
    targets: tuple[DrugTarget, ...] = ()
    updated: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def iter_drugbank_xml(source: str | Path | IO[bytes], start_index: int = 0) -> Iterator[DrugBankDrug]:
    """Stream the drugs of a DrugBank full XML export.

    Args:
        source: the file (path or binary stream).
        start_index: skip drugs whose 1-based index is ≤ this (resume); skipped drugs are still
            parsed by the XML library but not turned into records.

    Raises:
        InputError: the file is not well-formed XML, declares entities (refused for safety), or is
            not a DrugBank document.
    """
    name = getattr(source, "name", str(source))
    handle: IO[bytes] = open(source, "rb") if isinstance(source, str | Path) else source
    try:
        yield from _iter_drugs(handle, start_index, str(name))
    except DefusedXmlException as exc:
        raise InputError(f"{name}: refused unsafe XML ({type(exc).__name__}: entity or DTD declarations "
                         "are not allowed in a DrugBank file)") from exc
    except SafeET.ParseError as exc:
        raise InputError(f"{name}: not well-formed XML ({exc})") from exc
    finally:
        if isinstance(source, str | Path):
            handle.close()


def _iter_drugs(handle: IO[bytes], start_index: int, name: str) -> Iterator[DrugBankDrug]:
    depth = 0
    root: Any = None
    index = 0
    for event, element in SafeET.iterparse(handle, events=("start", "end")):
        if event == "start":
            depth += 1
            if root is None:
                root = element
                if _local(element.tag) != "drugbank":
                    raise InputError(f"{name}: root element is <{_local(element.tag)}>, not <drugbank>")
            continue
        depth -= 1
        if depth == 1 and _local(element.tag) == "drug":
            index += 1
            if index > start_index:
                yield _drug(element, index)
            # Clearing the finished drug and the root's child list keeps memory flat.
            element.clear()
            root.clear()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: Any, path: str) -> str | None:
    found = element.find(_ns(path))
    text = (found.text or "").strip() if found is not None else ""
    return text or None


def _ns(path: str) -> str:
    return "/".join(f"{NS}{part}" if part and not part.startswith("@") else part for part in path.split("/"))


def _texts(element: Any, path: str) -> tuple[str, ...]:
    return tuple(t for e in element.findall(_ns(path)) if (t := (e.text or "").strip()))


def _drug(element: Any, index: int) -> DrugBankDrug:
    ids = element.findall(_ns("drugbank-id"))
    primary = next((e.text.strip() for e in ids if e.get("primary") == "true" and e.text), None)
    all_ids = tuple(e.text.strip() for e in ids if e.text and e.text.strip())
    primary = primary or (all_ids[0] if all_ids else "")
    calculated = {
        (p.findtext(f"{NS}kind") or "").strip(): (p.findtext(f"{NS}value") or "").strip()
        for p in element.findall(_ns("calculated-properties/property"))
    }
    return DrugBankDrug(
        index=index,
        drugbank_id=primary,
        name=_text(element, "name") or primary,
        drug_type=element.get("type", ""),
        other_ids=tuple(i for i in all_ids if i != primary),
        cas=_text(element, "cas-number"),
        unii=_text(element, "unii"),
        state=_text(element, "state"),
        groups=_texts(element, "groups/group"),
        synonyms=_texts(element, "synonyms/synonym"),
        categories=_texts(element, "categories/category/category"),
        atc_codes=tuple(c for e in element.findall(_ns("atc-codes/atc-code")) if (c := e.get("code"))),
        toxicity=_text(element, "toxicity"),
        metabolism=_text(element, "metabolism"),
        half_life=_text(element, "half-life"),
        smiles=calculated.get("SMILES") or None,
        inchi=calculated.get("InChI") or None,
        inchikey=calculated.get("InChIKey") or None,
        external_ids=tuple(
            (r, i) for e in element.findall(_ns("external-identifiers/external-identifier"))
            if (r := (e.findtext(f"{NS}resource") or "").strip()) and (i := (e.findtext(f"{NS}identifier") or "").strip())
        ),
        targets=tuple(_targets(element)),
        updated=element.get("updated"),
    )


def _targets(element: Any) -> Iterator[DrugTarget]:
    for kind in ("target", "enzyme", "carrier", "transporter"):
        for t in element.findall(_ns(f"{kind}s/{kind}")):
            yield DrugTarget(
                target_id=(t.findtext(f"{NS}id") or "").strip(),
                name=(t.findtext(f"{NS}name") or "").strip(),
                organism=(t.findtext(f"{NS}organism") or "").strip() or None,
                actions=_texts(t, "actions/action"),
                kind=kind,
            )
