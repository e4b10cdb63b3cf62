"""Literature records (PubMed abstracts) and the evidence mined from them, with summaries per subject.

A record is keyed by its PMID: storing it again changes nothing unless PubMed changed it. Evidence
rows say what one sentence of a record reports about one compound or mixture:

* ``mention``: the compound is named (span = the name);
* ``concentration``: a concentration linked to that name (span = the number and unit);
* ``outcome``: an outcome metric of the same sentence (span = the value; viability, recovery ...).

Each row keeps its sentence with offsets, the confidence and its basis, and the id of the
literature property value it produced (``value_id``), so every literature value can be traced back
to its sentence. Rows are unique per (record, kind, span, subject), so re-imports and resumed
imports add nothing twice.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryodesk.domain import PropertyValue
from cryodesk.store._sql import IN_CHUNK, chunked, ids_for_keys, placeholders, value_key
from cryodesk.store.database import Database

PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
EVIDENCE_KINDS = ("mention", "concentration", "outcome")


def pubmed_url(pmid: str) -> str:
    """The PubMed page of a record (what the GUI's evidence panel links to)."""
    return PUBMED_URL.format(pmid=pmid)


# -- what callers write --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LiteratureRecord:
    """One article as stored: bibliographic fields plus where and when it was read."""

    pmid: str
    title: str
    abstract: str
    doi: str | None = None
    journal: str | None = None
    year: int | None = None
    mesh_terms: tuple[str, ...] = ()
    citation: str | None = None
    source: str = "pubmed"
    retrieved_at: str | None = None

    @property
    def url(self) -> str:
        return pubmed_url(self.pmid)


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One evidence row to store; the subject is a compound (``inchikey``) or a mixture (by name).

    Attributes:
        pmid: the record it was mined from (stored first, in the same transaction).
        kind: ``mention``, ``concentration`` or ``outcome``.
        span_text / span_start / span_end: the text the row is about, offsets into
            ``title + " " + abstract``.
        literature_value: the property value this row produced, if any; the stored row is linked
            to it (``value_id``).
        details: JSON-safe extras (range upper bound, sd, how a quantity was linked, samples,
            protocols, other compounds sharing the name ...).
    """

    pmid: str
    kind: str
    span_text: str
    span_start: int
    span_end: int
    inchikey: str | None = None
    mixture: str | None = None
    value: float | None = None
    unit: str | None = None
    outcome_metric: str | None = None
    cell_type: str | None = None
    confidence: float | None = None
    mention: str | None = None
    canonical: str | None = None
    match_kind: str | None = None
    sentence: str | None = None
    sentence_start: int | None = None
    sentence_end: int | None = None
    confidence_basis: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    literature_value: PropertyValue | None = None


@dataclass(frozen=True, slots=True)
class RecordUpsert:
    """What :meth:`LiteratureRepository.upsert_records` did.

    Attributes:
        ids: row id per PMID (every record given).
        new: records inserted.
        updated: records already stored whose content PubMed had changed (rewritten).
        changed_text: PMIDs among ``updated`` whose title or abstract changed: their old evidence
            (and the literature values made from it) was removed, so the caller must mine them again.
    """

    ids: dict[str, int]
    new: int = 0
    updated: int = 0
    changed_text: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EvidenceUpsert:
    """Evidence rows inserted, and rows given whose record or subject is not in the project."""

    new: int = 0
    unlinked: int = 0


# -- what readers get ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One stored evidence row with its record's bibliographic fields."""

    pmid: str
    title: str | None
    year: int | None
    journal: str | None
    doi: str | None
    citation: str | None
    kind: str
    span_text: str
    span_start: int | None
    span_end: int | None
    value: float | None
    unit: str | None
    outcome_metric: str | None
    cell_type: str | None
    confidence: float | None
    confidence_basis: tuple[str, ...]
    mention: str | None
    canonical: str | None
    match_kind: str | None
    sentence: str | None
    sentence_start: int | None
    sentence_end: int | None
    details: dict[str, Any]
    value_id: int | None

    @property
    def url(self) -> str:
        return pubmed_url(self.pmid)


@dataclass(frozen=True, slots=True)
class ValueStats:
    """Reported values of one kind and unit (``concentration`` in ``% v/v``, ``viability`` in ``%``)."""

    label: str
    unit: str | None
    n: int
    n_papers: int
    minimum: float
    median: float
    maximum: float
    pmids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EvidenceSentence:
    """The best sentence of one paper about the subject, for a list that links to PubMed."""

    pmid: str
    title: str | None
    year: int | None
    sentence: str
    mention: str | None
    confidence: float | None
    basis: tuple[str, ...]
    concentrations: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return pubmed_url(self.pmid)


@dataclass(frozen=True, slots=True)
class EvidenceSummary:
    """What the literature in the project says about one compound or mixture.

    Attributes:
        subject: the compound's InChIKey or the mixture's name.
        name: the compound's display name (the mixture's name for mixtures).
        n_papers: records with at least one mention.
        n_mentions: mention rows over all papers.
        concentrations: reported concentrations per unit.
        outcomes: reported outcome values per metric and unit (same-sentence outcomes only).
        top_sentences: the best sentence of each of the best papers (confidence, then newest).
        first_year / last_year: publication years spanned.
    """

    subject: str
    name: str | None
    n_papers: int
    n_mentions: int
    concentrations: tuple[ValueStats, ...] = ()
    outcomes: tuple[ValueStats, ...] = ()
    top_sentences: tuple[EvidenceSentence, ...] = ()
    first_year: int | None = None
    last_year: int | None = None

    @property
    def is_empty(self) -> bool:
        return self.n_papers == 0


# -- the repository -----------------------------------------------------------------------------------
_RECORD_FIELDS = "title, abstract, doi, journal, year, mesh_terms, citation"

_ITEM_SELECT = (
    "SELECT r.pmid, r.title, r.year, r.journal, r.doi, r.citation, e.kind, e.span_text, e.span_start, e.span_end,"
    " e.value, e.unit, e.outcome_metric, e.cell_type, e.confidence, e.confidence_basis, e.mention, e.canonical,"
    " e.match_kind, e.sentence, e.sentence_start, e.sentence_end, e.details, e.value_id"
    " FROM evidence e JOIN literature_records r ON r.id = e.literature_id"
)
_ITEM_ORDER = " ORDER BY r.year DESC, r.pmid, e.span_start, e.kind"


def _item(row: tuple) -> EvidenceItem:
    return EvidenceItem(
        pmid=row[0], title=row[1], year=row[2], journal=row[3], doi=row[4], citation=row[5], kind=row[6],
        span_text=row[7], span_start=row[8], span_end=row[9], value=row[10], unit=row[11], outcome_metric=row[12],
        cell_type=row[13], confidence=row[14], confidence_basis=tuple(json.loads(row[15] or "[]")), mention=row[16],
        canonical=row[17], match_kind=row[18], sentence=row[19], sentence_start=row[20], sentence_end=row[21],
        details=json.loads(row[22] or "{}"), value_id=row[23],
    )


def _content(record: LiteratureRecord) -> tuple:
    """The stored fields that PubMed may revise, in ``_RECORD_FIELDS`` order."""
    return (record.title, record.abstract, record.doi, record.journal, record.year,
            json.dumps(list(record.mesh_terms)), record.citation)


class LiteratureRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- records -----------------------------------------------------------------------------
    def upsert_records(self, records: Iterable[LiteratureRecord], job_id: int | None = None) -> RecordUpsert:
        """Store records by PMID: new ones are inserted, unchanged ones left alone (their job id and
        retrieval time stay those of the first import), revised ones rewritten.

        A record whose title or abstract changed loses the evidence mined from the old text (its
        offsets point into a text that is gone) and the literature values made from that evidence.
        """
        items = list({r.pmid: r for r in records}.values())
        if not items:
            return RecordUpsert({})
        with self._db.transaction() as conn:
            stored = self._stored_content(conn, [r.pmid for r in items])
            new, updated, changed = [], [], []
            for record in items:
                old = stored.get(record.pmid)
                if old is None:
                    new.append(record)
                elif old[1] != _content(record):
                    updated.append(record)
                    if old[1][:2] != _content(record)[:2]:
                        changed.append(record.pmid)
            conn.executemany(
                f"INSERT INTO literature_records (pmid, {_RECORD_FIELDS}, source, retrieved_at, job_id)"  # noqa: S608
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(r.pmid, *_content(r), r.source, r.retrieved_at, job_id) for r in new],
            )
            conn.executemany(
                "UPDATE literature_records SET title = ?, abstract = ?, doi = ?, journal = ?, year = ?, mesh_terms = ?,"
                " citation = ?, source = ?, retrieved_at = ?, job_id = ? WHERE pmid = ?",
                [(*_content(r), r.source, r.retrieved_at, job_id, r.pmid) for r in updated],
            )
            ids = ids_for_keys(conn, "literature_records", "pmid", [r.pmid for r in items])
            self._clear_evidence(conn, [ids[p] for p in changed])
        return RecordUpsert(ids, len(new), len(updated), tuple(changed))

    @staticmethod
    def _stored_content(conn, pmids: Sequence[str]) -> dict[str, tuple[int, tuple]]:
        found: dict[str, tuple[int, tuple]] = {}
        for batch in chunked(pmids, IN_CHUNK):
            sql = (f"SELECT pmid, id, {_RECORD_FIELDS} FROM literature_records"  # noqa: S608
                   f" WHERE pmid IN ({placeholders(len(batch))})")
            for row in conn.execute(sql, batch):
                found[row[0]] = (row[1], tuple(row[2:]))
        return found

    @staticmethod
    def _clear_evidence(conn, literature_ids: Sequence[int]) -> None:
        for literature_id in literature_ids:
            conn.execute(
                "DELETE FROM property_values WHERE method = 'literature' AND id IN"
                " (SELECT value_id FROM evidence WHERE literature_id = ? AND value_id IS NOT NULL)",
                (literature_id,),
            )
            conn.execute("DELETE FROM evidence WHERE literature_id = ?", (literature_id,))

    def record(self, pmid: str) -> LiteratureRecord | None:
        row = self._db.connection().execute(
            f"SELECT pmid, {_RECORD_FIELDS}, source, retrieved_at FROM literature_records WHERE pmid = ?",  # noqa: S608
            (pmid,),
        ).fetchone()
        if row is None:
            return None
        return LiteratureRecord(row[0], row[1] or "", row[2] or "", row[3], row[4], row[5],
                                tuple(json.loads(row[6] or "[]")), row[7], row[8], row[9])

    def count(self) -> int:
        return int(self._db.scalar("SELECT count(*) FROM literature_records"))

    def evidence_count(self) -> int:
        return int(self._db.scalar("SELECT count(*) FROM evidence"))

    # -- evidence -------------------------------------------------------------------------------
    def upsert_evidence(self, rows: Iterable[EvidenceRow], job_id: int | None = None) -> EvidenceUpsert:
        """Store evidence rows (idempotent) and link each to the literature value it produced.

        Rows whose record is not stored, or whose compound (by InChIKey) or mixture (by name) is
        not in the project, are skipped and counted as ``unlinked``. Store the values first (the
        same transaction): the link is looked up by the value's identity.
        """
        items = list(rows)
        if not items:
            return EvidenceUpsert()
        with self._db.transaction() as conn:
            literature = ids_for_keys(conn, "literature_records", "pmid", [r.pmid for r in items])
            compounds = ids_for_keys(conn, "compounds", "inchikey", [r.inchikey for r in items if r.inchikey])
            mixtures = ids_for_keys(conn, "mixtures", "name", [r.mixture for r in items if r.mixture])
            linked = []
            for r in items:
                ids = (literature.get(r.pmid), compounds.get(r.inchikey or ""), mixtures.get(r.mixture or ""))
                if ids[0] is not None and (ids[1] is not None or ids[2] is not None):
                    linked.append((r, *ids))
            before = conn.total_changes()
            conn.executemany(
                "INSERT INTO evidence (literature_id, compound_id, mixture_id, kind, span_text, span_start, span_end,"
                " value, unit, outcome_metric, cell_type, confidence, job_id, mention, canonical, match_kind, sentence,"
                " sentence_start, sentence_end, confidence_basis, details)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                [_evidence_params(r, lit, cid, mid, job_id) for r, lit, cid, mid in linked],
            )
            new = conn.total_changes() - before
            for r, lit, cid, _ in linked:
                if r.literature_value is not None and cid is not None:
                    self._link_value(conn, r, lit, cid)
        return EvidenceUpsert(new, len(items) - len(linked))

    @staticmethod
    def _link_value(conn, row: EvidenceRow, literature_id: int, compound_id: int) -> None:
        v = row.literature_value
        assert v is not None
        p = v.provenance
        found = conn.execute(
            "SELECT id FROM property_values WHERE compound_id = ? AND property = ? AND source = ?"
            " AND source_record_id = ? AND method = ? AND conditions = ? AND value_key = ?",
            (compound_id, v.property, p.source, p.source_record_id or "", str(p.method), v.conditions or "",
             value_key(v.value, v.value_text)),
        ).fetchone()
        if found is None:
            return
        conn.execute(
            "UPDATE evidence SET value_id = ? WHERE literature_id = ? AND kind = ? AND span_start = ? AND span_end = ?"
            " AND compound_id = ? AND value_id IS NULL",
            (found[0], literature_id, row.kind, row.span_start, row.span_end, compound_id),
        )

    def evidence_for_compound(self, inchikey: str, kinds: Sequence[str] = EVIDENCE_KINDS,
                              limit: int = 10_000) -> list[EvidenceItem]:
        """Evidence rows about a compound, newest papers first, in text order within a paper."""
        sql = (f"{_ITEM_SELECT} JOIN compounds c ON c.id = e.compound_id WHERE c.inchikey = ?"
               f" AND e.kind IN ({placeholders(len(kinds))}){_ITEM_ORDER} LIMIT ?")
        return [_item(r) for r in self._db.query(sql, (inchikey, *kinds, limit))]

    def evidence_for_mixture(self, name: str, kinds: Sequence[str] = EVIDENCE_KINDS,
                             limit: int = 10_000) -> list[EvidenceItem]:
        """Evidence rows about a mixture (by its name in the project)."""
        sql = (f"{_ITEM_SELECT} JOIN mixtures m ON m.id = e.mixture_id WHERE m.name = ?"
               f" AND e.kind IN ({placeholders(len(kinds))}){_ITEM_ORDER} LIMIT ?")
        return [_item(r) for r in self._db.query(sql, (name, *kinds, limit))]

    def evidence_for_record(self, pmid: str) -> list[EvidenceItem]:
        sql = f"{_ITEM_SELECT} WHERE r.pmid = ? ORDER BY e.span_start, e.kind, e.compound_id, e.mixture_id"
        return [_item(r) for r in self._db.query(sql, (pmid,))]

    def compound_summary(self, inchikey: str, top: int = 5) -> EvidenceSummary:
        """Papers, reported concentrations and outcomes, and the best sentences about a compound."""
        name = self._db.scalar("SELECT name FROM compounds WHERE inchikey = ?", (inchikey,))
        return summarise(inchikey, name, self.evidence_for_compound(inchikey), top)

    def mixture_summary(self, name: str, top: int = 5) -> EvidenceSummary:
        return summarise(name, name, self.evidence_for_mixture(name), top)

    def compounds_with_evidence(self) -> list[tuple[str, int]]:
        """(InChIKey, number of papers) of every compound with evidence, most papers first."""
        sql = ("SELECT c.inchikey, count(DISTINCT e.literature_id) AS n FROM evidence e"
               " JOIN compounds c ON c.id = e.compound_id GROUP BY c.id ORDER BY n DESC, c.inchikey")
        return [(r[0], r[1]) for r in self._db.query(sql)]

    # -- names for the mining dictionary -------------------------------------------------------------
    def dictionary_names(self) -> list[tuple[str, str]]:
        """``(name, inchikey)`` for every compound name and name/synonym identifier, each pair once.

        The compound's own display name comes first: the mining dictionary shows the first name
        it is given for an InChIKey.
        """
        own = self._db.query("SELECT name, inchikey FROM compounds WHERE name IS NOT NULL AND name != '' ORDER BY id")
        identifiers = self._db.query(
            "SELECT i.value, c.inchikey FROM identifiers i JOIN compounds c ON c.id = i.compound_id"
            " WHERE i.kind IN ('name', 'synonym') ORDER BY i.kind, i.confidence DESC, i.id"
        )
        return list(dict.fromkeys((r[0], r[1]) for r in [*own, *identifiers]))

    def mixture_names(self) -> list[tuple[str, str]]:
        """``(name or alias, mixture name)`` of every mixture, for mining mixture mentions."""
        pairs: list[tuple[str, str]] = []
        for name, aliases in self._db.query("SELECT name, aliases FROM mixtures ORDER BY id"):
            pairs.append((name, name))
            pairs.extend((alias, name) for alias in json.loads(aliases or "[]") if alias)
        return pairs


def _evidence_params(r: EvidenceRow, literature_id: int, compound_id: int | None, mixture_id: int | None,
                     job_id: int | None) -> tuple:
    return (
        literature_id, compound_id, None if compound_id is not None else mixture_id, r.kind, r.span_text,
        r.span_start, r.span_end, r.value, r.unit, r.outcome_metric, r.cell_type, r.confidence, job_id, r.mention,
        r.canonical, r.match_kind, r.sentence, r.sentence_start, r.sentence_end, json.dumps(list(r.confidence_basis)),
        json.dumps(dict(r.details), sort_keys=True),
    )


# -- summaries (pure functions over stored rows) ------------------------------------------------------------
def summarise(subject: str, name: str | None, items: Sequence[EvidenceItem], top: int = 5) -> EvidenceSummary:
    """The summary of one subject's evidence rows."""
    mentions = [i for i in items if i.kind == "mention"]
    papers = {i.pmid for i in mentions}
    years = [i.year for i in mentions if i.year is not None]
    concentrations = _stats([i for i in items if i.kind == "concentration"], lambda i: "concentration")
    outcomes = _stats([i for i in items if i.kind == "outcome"], lambda i: i.outcome_metric or "outcome")
    return EvidenceSummary(
        subject=subject, name=name, n_papers=len(papers), n_mentions=len(mentions), concentrations=concentrations,
        outcomes=outcomes, top_sentences=_top_sentences(items, top), first_year=min(years, default=None),
        last_year=max(years, default=None),
    )


def _stats(items: Sequence[EvidenceItem], label_of) -> tuple[ValueStats, ...]:
    groups: dict[tuple[str, str | None], list[EvidenceItem]] = {}
    for item in items:
        if item.value is not None:
            groups.setdefault((label_of(item), item.unit), []).append(item)
    out = []
    for (label, unit), group in groups.items():
        values = [float(i.value) for i in group if i.value is not None]
        pmids = tuple(dict.fromkeys(i.pmid for i in group))
        out.append(ValueStats(label, unit, len(values), len(pmids), min(values), statistics.median(values),
                              max(values), pmids))
    # The most reported first: that is the unit (or metric) the literature speaks in.
    return tuple(sorted(out, key=lambda s: (-s.n_papers, -s.n, s.label, s.unit or "")))


def _top_sentences(items: Sequence[EvidenceItem], top: int) -> tuple[EvidenceSentence, ...]:
    by_sentence: dict[tuple[str, int | None], list[EvidenceItem]] = {}
    for item in items:
        by_sentence.setdefault((item.pmid, item.sentence_start), []).append(item)
    best: dict[str, EvidenceSentence] = {}
    for (pmid, _), group in sorted(by_sentence.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        mention = max((i for i in group if i.kind == "mention"), key=lambda i: i.confidence or 0.0, default=None)
        if mention is None or not mention.sentence:
            continue
        candidate = EvidenceSentence(
            pmid=pmid, title=mention.title, year=mention.year, sentence=mention.sentence, mention=mention.mention,
            confidence=mention.confidence, basis=mention.confidence_basis,
            concentrations=tuple(_shown(i) for i in group if i.kind == "concentration"),
            outcomes=tuple(f"{i.outcome_metric} {_shown(i)}" for i in group if i.kind == "outcome"),
        )
        kept = best.get(pmid)
        if kept is None or (candidate.confidence or 0.0) > (kept.confidence or 0.0):
            best[pmid] = candidate
    ranked = sorted(best.values(), key=lambda s: (-(s.confidence or 0.0), -(s.year or 0), s.pmid))
    return tuple(ranked[:top])


def _shown(item: EvidenceItem) -> str:
    value = "" if item.value is None else f"{item.value:g}"
    upper = item.details.get("value_max")
    if upper is not None:
        value = f"{value}-{upper:g}"
    return f"{value} {item.unit or ''}".strip()
