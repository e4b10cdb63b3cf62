"""Plain records returned by the PubMed (NCBI E-utilities) client.

They hold what PubMed said, typed but not reinterpreted. Every article carries its provenance
(service, PMID, retrieved-at); :meth:`PubMedArticle.provenance` turns it into the domain's
:class:`~cryodesk.domain.Provenance` with method ``literature``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryodesk.domain import Method, Provenance

PUBMED = "pubmed"


@dataclass(frozen=True, slots=True)
class AbstractSection:
    """One ``AbstractText`` element: structured abstracts have several, each with a label.

    Attributes:
        label: the ``Label`` attribute (``"OBJECTIVE"``, ``"RESULTS"`` ...), or None.
        nlm_category: the ``NlmCategory`` attribute (``"OBJECTIVE"``, ``"METHODS"`` ...), or None.
        text: the section text with inline markup (``<i>``, ``<sup>``) flattened.
    """

    label: str | None
    nlm_category: str | None
    text: str


@dataclass(frozen=True, slots=True)
class MeshTerm:
    """One ``MeshHeading``: descriptor, its MeSH UI, major-topic flag and qualifiers."""

    descriptor: str
    ui: str | None = None
    major_topic: bool = False
    qualifiers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PubMedAuthor:
    """An author or a collective (group) name."""

    last_name: str | None = None
    fore_name: str | None = None
    initials: str | None = None
    collective_name: str | None = None

    @property
    def display(self) -> str:
        """``"Bao Y"`` style, or the collective name."""
        if self.collective_name:
            return self.collective_name
        return " ".join(p for p in (self.last_name, self.initials or self.fore_name) if p)


@dataclass(frozen=True, slots=True)
class PubMedArticle:
    """One ``PubmedArticle`` of an EFetch reply.

    Attributes:
        pmid: PubMed id (string, as PubMed writes it).
        title: ``ArticleTitle`` (inline markup flattened).
        abstract: the abstract as one text; structured abstracts are joined section by section as
            ``"LABEL: text"`` lines, so the labels stay readable and sentence splitting sees a
            boundary between sections.
        abstract_sections: the sections as given.
        journal: journal title (``Journal/Title``).
        journal_abbrev: ISO abbreviation, else ``MedlineTA``.
        year: publication year (``PubDate/Year``, else the first year of ``MedlineDate``, else the
            electronic ``ArticleDate``).
        doi: the article's DOI (``ArticleIdList`` of ``PubmedData``, else ``ELocationID``), never
            one of a cited reference.
        mesh_terms: MeSH headings.
        authors: author list in order.
        keywords: author keywords.
        publication_types: e.g. ``("Journal Article", "Review")``.
        chemicals: ``ChemicalList`` substance names (MeSH-indexed chemicals).
        language: ``Language`` (``"eng"``).
        retrieved_at: ISO time of the reply.
        source: service name (``"pubmed"``).
    """

    pmid: str
    title: str
    abstract: str
    abstract_sections: tuple[AbstractSection, ...] = ()
    journal: str | None = None
    journal_abbrev: str | None = None
    year: int | None = None
    doi: str | None = None
    mesh_terms: tuple[MeshTerm, ...] = ()
    authors: tuple[PubMedAuthor, ...] = ()
    keywords: tuple[str, ...] = ()
    publication_types: tuple[str, ...] = ()
    chemicals: tuple[str, ...] = ()
    language: str | None = None
    retrieved_at: str | None = None
    source: str = PUBMED

    @property
    def url(self) -> str:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"

    @property
    def mesh_descriptors(self) -> tuple[str, ...]:
        return tuple(m.descriptor for m in self.mesh_terms)

    @property
    def text(self) -> str:
        """Title and abstract as one document (PubTator convention: joined by one space)."""
        return f"{self.title} {self.abstract}" if self.abstract else self.title

    def citation(self) -> str:
        """A short human-readable citation: ``"Bao Y et al. Gut 2017. doi:10.1136/..."``."""
        first = self.authors[0].display if self.authors else ""
        who = f"{first} et al" if len(self.authors) > 1 else first
        parts = [p for p in (who, self.journal_abbrev or self.journal, str(self.year) if self.year else None) if p]
        text = ". ".join(parts)
        tail = f"doi:{self.doi}" if self.doi else f"PMID:{self.pmid}"
        return f"{text}. {tail}" if text else tail

    def provenance(self, job_id: int | None = None) -> Provenance:
        """Provenance of anything read from this article (method ``literature``)."""
        return Provenance(
            source=self.source,
            method=Method.LITERATURE,
            source_record_id=self.pmid,
            retrieved_at=self.retrieved_at,
            job_id=job_id,
            citation=self.citation(),
        )


@dataclass(frozen=True, slots=True)
class SearchResult:
    """An ESearch reply.

    Attributes:
        term: the query as sent.
        count: total hits PubMed reports (may exceed what can be paged: see ``MAX_PAGEABLE``).
        retstart: offset of ``ids`` in the result set.
        retmax: page size PubMed applied.
        ids: PMIDs of this page.
        webenv: history-server session (``usehistory=y``), else None.
        query_key: the query's key in that session, else None.
        query_translation: PubMed's reading of the query.
        errors: ``ErrorList`` entries as ``(kind, text)``, e.g. ``("PhraseNotFound", "abcXYZ")``.
        warnings: ``WarningList`` entries as ``(kind, text)``.
        retrieved_at: ISO time of the reply.
    """

    term: str
    count: int
    retstart: int
    retmax: int
    ids: tuple[str, ...]
    webenv: str | None = None
    query_key: str | None = None
    query_translation: str | None = None
    errors: tuple[tuple[str, str], ...] = ()
    warnings: tuple[tuple[str, str], ...] = ()
    retrieved_at: str | None = None

    @property
    def has_history(self) -> bool:
        return bool(self.webenv and self.query_key)


@dataclass(frozen=True, slots=True)
class FetchBatch:
    """One EFetch request's worth of articles, so a job can checkpoint after each.

    Attributes:
        requested: PMIDs asked for (empty for a history fetch, where PubMed picks them).
        articles: parsed articles in reply order.
        missing: requested PMIDs that did not come back (withdrawn, book records, typos).
        retstart: offset in the search result for a history fetch, else None.
        from_cache: True when the reply came from the HTTP cache.
    """

    requested: tuple[str, ...]
    articles: tuple[PubMedArticle, ...]
    missing: tuple[str, ...] = ()
    retstart: int | None = None
    from_cache: bool = False

    @property
    def pmids(self) -> tuple[str, ...]:
        return tuple(a.pmid for a in self.articles)


@dataclass(frozen=True, slots=True)
class DocSummary:
    """One ESummary (v1) ``DocSum``.

    ``items`` keeps every plain ``Item`` by name; list items (authors, ids) are in ``lists``.
    """

    pmid: str
    title: str | None = None
    journal: str | None = None
    full_journal: str | None = None
    pub_date: str | None = None
    year: int | None = None
    authors: tuple[str, ...] = ()
    doi: str | None = None
    has_abstract: bool | None = None
    items: dict[str, str] = field(default_factory=dict)
    lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    retrieved_at: str | None = None
