"""PUG-View literature and bioactivity sections: references, excerpts, toxicity values, bioassay links.

The recorded PUG-View records (``fixtures/pubchem/pugview_data_compound_{174,176}_*.json``) hold
the compound's literature and bioactivity under these top-level headings:

* ``Literature``: ``Synthesis References`` and ``General References`` (citations as text, with DOI
  links), ``Depositor Provided PubMed Citations`` and ``NLM Curated PubMed Citations`` (a link or an
  external table with its row count), publisher reference tables (Springer Nature, Thieme, Wiley)
  and co-occurrence panels (column headers only, the data live in an external table);
* ``Biological Test Results``: ``BioAssay Results``, a pointer to PubChem's ``bioactivity`` table;
* ``Toxicity``: ``Human/Non-Human Toxicity Excerpts`` (text from papers and reference books, with
  PMIDs and citations in ``Information.Reference``), ``Human/Non-Human Toxicity Values``
  (``"LD50 Rat oral 3.53 g/kg"``), ``Ecotoxicity Values``/``Excerpts`` and ``Toxicity Summary``;
* ``Associated Disorders and Diseases``: disease names with ``"PubMed: 22494326, ..."`` strings.

Each ``Information`` item becomes one :class:`LiteratureAnnotation` that keeps the original string,
the item's own citations, the PMIDs and DOIs found in it, and the annotation's source and licence
(from ``Record.Reference``). Items under toxicity-value headings are also read into numbers with
the tolerant text reader (:attr:`LiteratureAnnotation.values`), as the experimental properties are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cryodesk.sources.records import ExperimentalValue

#: Top-level headings requested with ``?heading=`` (one request each), in this order.
LITERATURE_REQUEST_HEADINGS: tuple[str, ...] = (
    "Literature",
    "Biological Test Results",
    "Toxicity",
    "Associated Disorders and Diseases",
)

#: Headings whose items (and their subsections' items) are read. ``Toxicity Data`` is not here: it is
#: an experimental property (:data:`cryodesk.sources.pubchem.EXPERIMENTAL_HEADINGS`).
LITERATURE_HEADINGS: tuple[str, ...] = (
    "Literature",
    "Biological Test Results",
    "Toxicity Summary",
    "Human Toxicity Excerpts",
    "Non-Human Toxicity Excerpts",
    "Human Toxicity Values",
    "Non-Human Toxicity Values",
    "Ecotoxicity Values",
    "Ecotoxicity Excerpts",
    "Associated Disorders and Diseases",
)

#: Kinds of annotation: prose or a citation (``text``), a pointer to an external PubChem table
#: (``external_table``), a link only (``link``), and co-occurrence panels whose strings are column
#: headers, not content (``panel``).
TEXT, EXTERNAL_TABLE, LINK, PANEL = "text", "external_table", "link", "panel"

_PMID_REF_RE = re.compile(r"^\s*PMID\s*:\s*(\d{1,9})\s*$", re.I)
_PUBMED_TEXT_RE = re.compile(r"PubMed:\s*((?:\d{1,9}\s*,\s*)*\d{1,9})", re.I)
_PUBMED_URL_RE = re.compile(
    r"pubmed\.ncbi\.nlm\.nih\.gov/(?:\?term=)?((?:\d{1,9},?)+)|[?&]term=((?:\d{1,9},?)+)"
)
_DOI_RE = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.I)


@dataclass(frozen=True, slots=True)
class LiteratureAnnotation:
    """One ``Information`` item of a literature or bioactivity section of a PUG-View record.

    Attributes:
        cid: compound id (``Record.RecordNumber``).
        section: the top-level heading it sits under (``"Literature"``, ``"Toxicity"``, ...).
        heading: the ``TOCHeading`` of its own section (``"Synthesis References"``).
        kind: ``text``, ``external_table``, ``link`` or ``panel``.
        value_text: the original string (several ``StringWithMarkup`` items joined by new lines),
            or the external table's name for a pointer, or the URL for a link.
        name: ``Information.Name`` (the disease for ``Disease and References``), if any.
        description: ``Information.Description`` (``"PEER REVIEWED"``), if any.
        citations: ``Information.Reference``: the item's own bibliographic strings.
        pmids: PubMed ids found in the citations, the text and its links, in order, each once.
        dois: DOIs found in the item's URL, links and text.
        url: the item's URL, else its first link.
        external_rows: the external table's row count, when PubChem gives it.
        values: numbers read from toxicity-value headings (``LD50``, ...), each keeping its text.
        reference_number, source_name, source_id, source_url, license_note, license_url: the
            annotation's source and licence, from ``Record.Reference``.
    """

    cid: int
    section: str
    heading: str
    kind: str
    value_text: str
    name: str | None = None
    description: str | None = None
    citations: tuple[str, ...] = ()
    pmids: tuple[str, ...] = ()
    dois: tuple[str, ...] = ()
    url: str | None = None
    external_rows: int | None = None
    values: tuple[ExperimentalValue, ...] = ()
    reference_number: int | None = None
    source_name: str | None = None
    source_id: str | None = None
    source_url: str | None = None
    license_note: str | None = None
    license_url: str | None = None

    @property
    def citation(self) -> str:
        """Where the item comes from, as one line: its citations, PMIDs, source and licence."""
        parts = list(self.citations)
        cited = {p.upper().replace(" ", "") for p in parts}
        parts += [f"PMID:{p}" for p in self.pmids if f"PMID:{p}" not in cited]
        parts += [f"doi:{d}" for d in self.dois if not any(d in p for p in parts)]
        source = " ".join(p for p in (self.source_name, self.source_id) if p)
        if source:
            parts.append(f"source: {source}")
        licence = self.license_url or self.license_note
        if licence:
            parts.append(f"licence: {licence}")
        return "; ".join(parts) if parts else "PubChem"


def parse_literature_annotations(
    record: Mapping[str, Any], headings: Iterable[str] = LITERATURE_HEADINGS
) -> list[LiteratureAnnotation]:
    """Every item under ``headings`` (and their subsections) of a record (``{"Record": ...}`` or its content).

    A heading nested in another wanted heading is read once (the outer one wins).
    """
    from cryodesk.sources.pubchem import information_values  # one module defines the value reading

    record = record.get("Record", record)
    cid = int(record.get("RecordNumber", 0))
    references = {r.get("ReferenceNumber"): r for r in record.get("Reference", [])}
    out: list[LiteratureAnnotation] = []
    for top, heading, info in _walk(record.get("Section", []), set(headings), None, None):
        values = tuple(information_values(cid, heading, info, references, numeric_only=True))
        annotation = _annotation(cid, top or heading, heading, info, references, values)
        if annotation is not None:
            out.append(annotation)
    return out


def _walk(
    sections: list[Mapping[str, Any]], wanted: set[str], top: str | None, inside: str | None
) -> Iterator[tuple[str | None, str, Mapping[str, Any]]]:
    """``(top-level heading, own heading, item)`` for items at or below a wanted heading."""
    for section in sections:
        heading = section.get("TOCHeading", "")
        here_top = top or heading
        here_inside = inside or (heading if heading in wanted else None)
        if here_inside:
            for info in section.get("Information", []):
                yield here_top, heading, info
        yield from _walk(section.get("Section", []), wanted, here_top, here_inside)


def _annotation(
    cid: int,
    section: str,
    heading: str,
    info: Mapping[str, Any],
    references: Mapping[Any, Mapping[str, Any]],
    values: tuple[ExperimentalValue, ...],
) -> LiteratureAnnotation | None:
    value = info.get("Value", {}) or {}
    strings = [s.get("String", "") for s in value.get("StringWithMarkup", []) if s.get("String")]
    links = [
        m.get("URL", "")
        for s in value.get("StringWithMarkup", [])
        for m in s.get("Markup", [])
        if m.get("URL")
    ]
    url = info.get("URL") or next((u for u in links if "pubchem.ncbi.nlm.nih.gov/compound/" not in u), None)
    name = info.get("Name")
    if strings:
        kind = PANEL if name == "Co-Occurrence Panel" else TEXT
        text = "\n".join(strings)
    elif value.get("ExternalTableName"):
        kind, text = EXTERNAL_TABLE, str(value["ExternalTableName"])
    elif url:
        kind, text = LINK, str(url)
    else:
        return None  # a bare Boolean or Number with nothing to cite: no literature in it
    citations = tuple(str(c) for c in info.get("Reference", []) if str(c).strip())
    ref_number = info.get("ReferenceNumber")
    ref = references.get(ref_number, {})
    return LiteratureAnnotation(
        cid=cid,
        section=section,
        heading=heading,
        kind=kind,
        value_text=text,
        name=name,
        description=info.get("Description"),
        citations=citations,
        pmids=find_pmids(citations, strings if kind == TEXT else (), [*links, info.get("URL") or ""]),
        dois=find_dois([info.get("URL") or "", *links, *(strings if kind == TEXT else ()), *citations]),
        url=url,
        external_rows=_int(value.get("ExternalTableNumRows")),
        values=values,
        reference_number=ref_number,
        source_name=ref.get("SourceName"),
        source_id=str(ref["SourceID"]) if ref.get("SourceID") is not None else None,
        source_url=ref.get("URL"),
        license_note=ref.get("LicenseNote"),
        license_url=ref.get("LicenseURL"),
    )


def find_pmids(citations: Iterable[str], texts: Iterable[str], urls: Iterable[str]) -> tuple[str, ...]:
    """PMIDs in ``PMID:n`` citations, ``PubMed: a, b`` texts and PubMed links; first-seen order, each once."""
    found: dict[str, None] = {}
    for citation in citations:
        if match := _PMID_REF_RE.match(citation):
            found.setdefault(match.group(1), None)
    for text in texts:
        for match in _PUBMED_TEXT_RE.finditer(text):
            for pmid in re.split(r"\s*,\s*", match.group(1)):
                found.setdefault(pmid, None)
    for url in urls:
        if "pubmed" not in url:
            continue
        for match in _PUBMED_URL_RE.finditer(url):
            for pmid in (match.group(1) or match.group(2) or "").split(","):
                if pmid:
                    found.setdefault(pmid, None)
    return tuple(found)


def find_dois(texts: Iterable[str]) -> tuple[str, ...]:
    """DOIs in links (``dx.doi.org/10....``) and text (``doi: 10....``), without trailing punctuation."""
    found: dict[str, None] = {}
    for text in texts:
        for match in _DOI_RE.finditer(text or ""):
            found.setdefault(match.group(1).rstrip(".,;)"), None)
    return tuple(found)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
