"""PubMed client on NCBI E-utilities (ESearch, EFetch, ESummary, EPost, EInfo).

Formats, limits and error conventions: ``../shared/docs/external-services.md`` section 3. In short:

* 3 requests/s per IP without an API key, 10/s with one; over the limit NCBI answers HTTP 429 with
  a JSON body (retried by the shared client), and some users have seen that JSON body arrive with
  a 2xx status, so replies are checked for it here too;
* application errors arrive as **HTTP 200** with the error inside the XML (``<ERROR>``,
  ``<eSearchResult><ERROR>``, ``<ErrorList>``): they become :class:`EutilsError` and friends;
* PubMed ESearch cannot page beyond the first 10,000 hits; long id lists go in a POST body.

Every request carries ``tool`` and ``email`` (from the user's settings) and, when the user has
one, ``api_key`` (from :func:`cryodesk.config.api_key`; the shared client masks it in logs, error
messages and cache keys). XML is parsed only with :mod:`defusedxml`.

Service name ``ncbi``: base URL from ``CRYODESK_NCBI_BASE``, key from ``CRYODESK_NCBI_API_KEY`` or
the key file.
"""

from __future__ import annotations

import json
import logging
import re
import xml.etree.ElementTree as ET  # types and ParseError only: parsing goes through defusedxml
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring

from cryodesk.domain import utc_now_iso
from cryodesk.domain.batching import batched
from cryodesk.sources.errors import InvalidResponseError, RequestRejectedError, RetriesExhaustedError
from cryodesk.sources.http.cache import CachedResponse, make_cache_key
from cryodesk.sources.http.client import HttpClient, HttpResponse
from cryodesk.sources.http.config import DAY, DEFAULT_CACHE_TTLS, ServiceConfig
from cryodesk.sources.http.metrics import ClientMetrics
from cryodesk.sources.pubmed_records import (
    AbstractSection,
    DocSummary,
    FetchBatch,
    MeshTerm,
    PubMedArticle,
    PubMedAuthor,
    SearchResult,
)

log = logging.getLogger(__name__)

SERVICE = "ncbi"
EUTILS_BASE = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
TOOL = "CryoDesk"
DB = "pubmed"

#: NCBI's published limits (requests/s per IP).
RATE_WITHOUT_KEY = 3.0
RATE_WITH_KEY = 10.0
#: Fraction of the published limit the token bucket runs at: NCBI counts arrivals, and a request
#: delayed on its way out can land closer than 1/rate to the next one.
RATE_SAFETY = 0.9
#: PubMed ESearch returns nothing beyond this offset (documented).
MAX_PAGEABLE = 10_000
#: Above this many ids a request goes as a form POST (documented advice: about 200).
POST_THRESHOLD = 200
DEFAULT_FETCH_BATCH = 200
MAX_FETCH_BATCH = 10_000

_CACHE_TTLS: Mapping[str, float] = {
    **DEFAULT_CACHE_TTLS,
    "articles": 7 * DAY,  # records are revised (MeSH indexing, errata): a week, not a month
    "summaries": 7 * DAY,
    "search": 1 * DAY,  # new papers appear daily
}

_YEAR_RE = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_DOI_RE = re.compile(r"\b(10\.\d{4,9}/\S+)")
_SPACE_RE = re.compile(r"\s+")


# -- errors ------------------------------------------------------------------------------------------
class EutilsError(RequestRejectedError):
    """E-utilities refused the request inside an HTTP 200 reply (``<ERROR>`` in the XML).

    Attributes:
        messages: the error texts as NCBI wrote them.
    """

    def __init__(self, reason: str, *, messages: Sequence[str] = (), **kwargs: Any) -> None:
        self.messages = tuple(messages)
        kwargs.setdefault("service", SERVICE)
        kwargs.setdefault("status", 200)
        kwargs.setdefault("fault_message", "; ".join(self.messages) or None)
        super().__init__(reason, **kwargs)


class EutilsQueryError(EutilsError):
    """ESearch reported an ``<ErrorList>``: part of the query matched nothing PubMed knows.

    PubMed then silently searches the rest of the query, so the hits are not what was asked for;
    the client raises unless the caller allows partial queries.

    Attributes:
        errors: ``(kind, text)`` pairs, e.g. ``("PhraseNotFound", "abcXYZ")``.
        count: hits PubMed found for the rest of the query.
    """

    def __init__(self, reason: str, *, errors: Sequence[tuple[str, str]], count: int, **kwargs: Any) -> None:
        self.errors = tuple(errors)
        self.count = count
        super().__init__(reason, messages=[f"{k}: {t}" for k, t in self.errors], **kwargs)

    @property
    def phrases_not_found(self) -> tuple[str, ...]:
        return tuple(t for k, t in self.errors if k in {"PhraseNotFound", "QuotedPhraseNotFound"})


class HistoryExpiredError(EutilsError):
    """The history-server session (WebEnv) is gone: run the search again."""


# -- configuration -----------------------------------------------------------------------------------
def ncbi_config(api_key: str | None = None, **overrides: Any) -> ServiceConfig:
    """E-utilities configuration: 3 req/s without a key, 10 with one (times :data:`RATE_SAFETY`).

    ``CRYODESK_NCBI_BASE`` sets the base URL; ``overrides`` are applied last.
    """
    limit = RATE_WITH_KEY if api_key else RATE_WITHOUT_KEY
    config = ServiceConfig(
        name=SERVICE,
        base_url=EUTILS_BASE,
        rate=limit * RATE_SAFETY,
        burst=1.0,
        read_timeout=60.0,  # an EFetch of a few hundred records can take a while
        cache_ttls=_CACHE_TTLS,
        default_headers={"Accept": "text/xml, application/xml"},
        api_key=api_key or None,
        api_key_param="api_key",
    ).with_environment()
    return config.with_overrides(**overrides) if overrides else config


def _settings_email() -> str:
    from cryodesk.config import load_settings

    try:
        return load_settings().contact_email or ""
    except Exception:  # unreadable settings must not stop an import; NCBI only asks for it
        log.warning("could not read settings for the NCBI contact e-mail", exc_info=True)
        return ""


def _settings_api_key() -> str | None:
    from cryodesk.config import api_key

    return api_key(SERVICE)


# -- XML parsing (pure functions) --------------------------------------------------------------------
def parse_xml(content: bytes, *, url: str = "") -> ET.Element:
    """Parse an E-utilities reply with defusedxml (no entity expansion, no external resources).

    Raises:
        InvalidResponseError: the body is not well-formed XML or uses forbidden constructs.
    """
    try:
        return safe_fromstring(content)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise InvalidResponseError(f"reply is not well-formed XML ({exc})", service=SERVICE, url=url) from exc


def _text(elem: ET.Element | None) -> str:
    """All text inside ``elem`` (inline markup such as ``<i>``/``<sup>`` flattened), whitespace collapsed."""
    if elem is None:
        return ""
    return _SPACE_RE.sub(" ", "".join(elem.itertext())).strip()


def _opt(elem: ET.Element | None) -> str | None:
    return _text(elem) or None


def raise_for_error(root: ET.Element, *, url: str = "") -> None:
    """Raise when an HTTP 200 reply carries an ``<ERROR>`` (as the root or a direct child).

    Raises:
        HistoryExpiredError: the WebEnv/query_key is no longer known to NCBI.
        EutilsError: any other ``<ERROR>``.
    """
    errors = [root] if root.tag == "ERROR" else root.findall("ERROR")
    messages = [_text(e) for e in errors if _text(e)]
    if not errors:
        return
    messages = messages or ["empty ERROR element"]
    lowered = "; ".join(messages).lower()
    if "query #" in lowered or "webenv" in lowered or ("query_key" in lowered and "neither" not in lowered):
        raise HistoryExpiredError("history session (WebEnv) unusable; search again", messages=messages, url=url)
    raise EutilsError("error inside the XML reply", messages=messages, url=url)


def _pairs(parent: ET.Element | None) -> tuple[tuple[str, str], ...]:
    if parent is None:
        return ()
    return tuple((child.tag, _text(child)) for child in parent)


def parse_search_result(root: ET.Element, term: str, *, retrieved_at: str | None = None) -> SearchResult:
    """An ``eSearchResult`` (with ``WebEnv``/``QueryKey`` when the history server was used)."""
    if root.tag != "eSearchResult":
        raise InvalidResponseError(f"expected eSearchResult, got {root.tag}", service=SERVICE)
    try:
        count = int(_text(root.find("Count")) or 0)
        retmax = int(_text(root.find("RetMax")) or 0)
        retstart = int(_text(root.find("RetStart")) or 0)
    except ValueError as exc:
        raise InvalidResponseError("eSearchResult with a non-numeric Count/RetMax/RetStart", service=SERVICE) from exc
    return SearchResult(
        term=term,
        count=count,
        retstart=retstart,
        retmax=retmax,
        ids=tuple(_text(i) for i in root.findall("IdList/Id") if _text(i)),
        webenv=_opt(root.find("WebEnv")),
        query_key=_opt(root.find("QueryKey")),
        query_translation=_opt(root.find("QueryTranslation")),
        errors=_pairs(root.find("ErrorList")),
        warnings=_pairs(root.find("WarningList")),
        retrieved_at=retrieved_at,
    )


def parse_abstract(abstract: ET.Element | None) -> tuple[str, tuple[AbstractSection, ...]]:
    """The abstract text and its sections; labelled sections are joined as ``"LABEL: text"`` lines."""
    if abstract is None:
        return "", ()
    sections = tuple(
        AbstractSection(label=a.get("Label") or None, nlm_category=a.get("NlmCategory") or None, text=_text(a))
        for a in abstract.findall("AbstractText")
    )
    sections = tuple(s for s in sections if s.text)
    if any(s.label for s in sections):
        text = "\n".join(f"{s.label}: {s.text}" if s.label else s.text for s in sections)
    else:
        text = " ".join(s.text for s in sections)
    return text, sections


def _year(article: ET.Element | None, pubmed_data: ET.Element | None) -> int | None:
    if article is not None:
        pub_date = article.find("Journal/JournalIssue/PubDate")
        if pub_date is not None:
            for candidate in (_text(pub_date.find("Year")), _text(pub_date.find("MedlineDate"))):
                match = _YEAR_RE.search(candidate)
                if match:
                    return int(match.group(1))
        match = _YEAR_RE.search(_text(article.find("ArticleDate/Year")))
        if match:
            return int(match.group(1))
    if pubmed_data is not None:
        for date in pubmed_data.findall("History/PubMedPubDate"):
            if date.get("PubStatus") == "pubmed":
                match = _YEAR_RE.search(_text(date.find("Year")))
                if match:
                    return int(match.group(1))
    return None


def _doi(article: ET.Element | None, pubmed_data: ET.Element | None) -> str | None:
    # Only the article's own id list: ReferenceList/Reference/ArticleIdList holds cited papers' DOIs.
    if pubmed_data is not None:
        for aid in pubmed_data.findall("ArticleIdList/ArticleId"):
            if aid.get("IdType") == "doi" and _text(aid):
                return _text(aid)
    if article is not None:
        for loc in article.findall("ELocationID"):
            if loc.get("EIdType") == "doi" and _text(loc):
                return _text(loc)
    return None


def _author(elem: ET.Element) -> PubMedAuthor:
    return PubMedAuthor(
        last_name=_opt(elem.find("LastName")),
        fore_name=_opt(elem.find("ForeName")),
        initials=_opt(elem.find("Initials")),
        collective_name=_opt(elem.find("CollectiveName")),
    )


def _mesh(elem: ET.Element) -> MeshTerm | None:
    descriptor = elem.find("DescriptorName")
    if descriptor is None or not _text(descriptor):
        return None
    return MeshTerm(
        descriptor=_text(descriptor),
        ui=descriptor.get("UI"),
        major_topic=descriptor.get("MajorTopicYN") == "Y",
        qualifiers=tuple(_text(q) for q in elem.findall("QualifierName") if _text(q)),
    )


def parse_article(elem: ET.Element, *, retrieved_at: str | None = None) -> PubMedArticle | None:
    """One ``PubmedArticle`` (or ``PubmedBookArticle``); None when it has no PMID."""
    if elem.tag == "PubmedBookArticle":
        return _parse_book(elem, retrieved_at)
    citation = elem.find("MedlineCitation")
    if citation is None:
        return None
    pmid = _text(citation.find("PMID"))  # direct child: CommentsCorrections carry other PMIDs
    if not pmid:
        return None
    article = citation.find("Article")
    pubmed_data = elem.find("PubmedData")
    abstract, sections = parse_abstract(article.find("Abstract") if article is not None else None)
    journal = article.find("Journal") if article is not None else None
    return PubMedArticle(
        pmid=pmid,
        title=_text(article.find("ArticleTitle")) if article is not None else "",
        abstract=abstract,
        abstract_sections=sections,
        journal=_opt(journal.find("Title")) if journal is not None else None,
        journal_abbrev=(_opt(journal.find("ISOAbbreviation")) if journal is not None else None)
        or _opt(citation.find("MedlineJournalInfo/MedlineTA")),
        year=_year(article, pubmed_data),
        doi=_doi(article, pubmed_data),
        mesh_terms=tuple(m for m in (_mesh(h) for h in citation.findall("MeshHeadingList/MeshHeading")) if m),
        authors=tuple(_author(a) for a in article.findall("AuthorList/Author")) if article is not None else (),
        keywords=tuple(_text(k) for k in citation.findall("KeywordList/Keyword") if _text(k)),
        publication_types=tuple(_text(p) for p in article.findall("PublicationTypeList/PublicationType"))
        if article is not None
        else (),
        chemicals=tuple(_text(c) for c in citation.findall("ChemicalList/Chemical/NameOfSubstance") if _text(c)),
        language=_opt(article.find("Language")) if article is not None else None,
        retrieved_at=retrieved_at,
    )


def _parse_book(elem: ET.Element, retrieved_at: str | None) -> PubMedArticle | None:
    doc = elem.find("BookDocument")
    if doc is None or not _text(doc.find("PMID")):
        return None
    abstract, sections = parse_abstract(doc.find("Abstract"))
    title = _text(doc.find("ArticleTitle")) or _text(doc.find("Book/BookTitle"))
    year_match = _YEAR_RE.search(_text(doc.find("Book/PubDate/Year")))
    return PubMedArticle(
        pmid=_text(doc.find("PMID")),
        title=title,
        abstract=abstract,
        abstract_sections=sections,
        journal=_opt(doc.find("Book/BookTitle")),
        year=int(year_match.group(1)) if year_match else None,
        authors=tuple(_author(a) for a in doc.findall("AuthorList/Author")),
        publication_types=tuple(_text(p) for p in doc.findall("PublicationType")),
        retrieved_at=retrieved_at,
    )


def parse_articles(root: ET.Element, *, retrieved_at: str | None = None) -> list[PubMedArticle]:
    """Every article of a ``PubmedArticleSet`` in reply order.

    Raises:
        EutilsError: the reply is an ``<ERROR>`` document.
        InvalidResponseError: the root is neither a ``PubmedArticleSet`` nor an error.
    """
    raise_for_error(root)
    if root.tag == "eFetchResult":  # an eFetchResult without ERROR: nothing found
        return []
    if root.tag != "PubmedArticleSet":
        raise InvalidResponseError(f"expected PubmedArticleSet, got {root.tag}", service=SERVICE)
    articles: list[PubMedArticle] = []
    for elem in root:
        if elem.tag in {"PubmedArticle", "PubmedBookArticle"}:
            parsed = parse_article(elem, retrieved_at=retrieved_at)
            if parsed is not None:
                articles.append(parsed)
    return articles


def _summary_item(item: ET.Element) -> tuple[str, str | tuple[str, ...]]:
    if item.get("Type") == "List":
        return item.get("Name", ""), tuple(_text(i) for i in item.findall("Item") if _text(i))
    return item.get("Name", ""), _text(item)


def parse_summary(docsum: ET.Element, *, retrieved_at: str | None = None) -> DocSummary:
    """One ESummary v1 ``DocSum`` (``Item Name=... Type=...``)."""
    items: dict[str, str] = {}
    lists: dict[str, tuple[str, ...]] = {}
    for item in docsum.findall("Item"):
        name, value = _summary_item(item)
        if isinstance(value, tuple):
            lists[name] = value
        else:
            items[name] = value
    ids = {i.get("Name"): _text(i) for i in docsum.findall("Item[@Name='ArticleIds']/Item")}
    doi = ids.get("doi") or None
    if doi is None:
        match = _DOI_RE.search(items.get("ELocationID", "") or items.get("DOI", ""))
        doi = match.group(1) if match else None
    year_match = _YEAR_RE.search(items.get("PubDate", ""))
    has_abstract = items.get("HasAbstract")
    return DocSummary(
        pmid=_text(docsum.find("Id")),
        title=items.get("Title") or None,
        journal=items.get("Source") or None,
        full_journal=items.get("FullJournalName") or None,
        pub_date=items.get("PubDate") or None,
        year=int(year_match.group(1)) if year_match else None,
        authors=lists.get("AuthorList", ()),
        doi=doi,
        has_abstract=None if has_abstract in (None, "") else has_abstract == "1",
        items=items,
        lists=lists,
        retrieved_at=retrieved_at,
    )


def parse_summaries(root: ET.Element, *, retrieved_at: str | None = None) -> list[DocSummary]:
    """Every ``DocSum`` of an ``eSummaryResult`` (v1)."""
    raise_for_error(root)
    if root.tag != "eSummaryResult":
        raise InvalidResponseError(f"expected eSummaryResult, got {root.tag}", service=SERVICE)
    return [parse_summary(d, retrieved_at=retrieved_at) for d in root.findall("DocSum")]


def parse_epost(root: ET.Element) -> tuple[str, str]:
    """``(webenv, query_key)`` of an ``ePostResult``."""
    raise_for_error(root)
    webenv, key = _text(root.find("WebEnv")), _text(root.find("QueryKey"))
    if not webenv or not key:
        raise InvalidResponseError("ePostResult without WebEnv/QueryKey", service=SERVICE)
    return webenv, key


def json_rate_limit_error(content: bytes) -> str | None:
    """The ``error`` text of NCBI's JSON rate-limit body, when a reply is one (whatever its status)."""
    head = content.lstrip()[:1]
    if head != b"{":
        return None
    try:
        data = json.loads(content)
    except ValueError:
        return None
    if isinstance(data, dict) and "error" in data:
        return str(data["error"])
    return None


def normalise_pmids(ids: Iterable[int | str]) -> list[str]:
    """PMIDs as digit strings, first-seen order, each once.

    Raises:
        ValueError: an id is not a positive integer.
    """
    seen: dict[str, None] = {}
    for raw in ids:
        text = str(raw).strip()
        if not text.isdigit() or int(text) <= 0:
            raise ValueError(f"invalid PMID {raw!r}: must be a positive integer")
        seen.setdefault(str(int(text)), None)
    return list(seen)


# -- the client ----------------------------------------------------------------------------------------
class PubMedClient:
    """E-utilities client for PubMed on the shared base client.

    Args:
        http: an :class:`HttpClient` for the ``ncbi`` service; built from ``config`` when omitted.
        config: service configuration when ``http`` is omitted (default :func:`ncbi_config` with
            the user's API key).
        api_key: overrides the key from :func:`cryodesk.config.api_key` (``""`` = use none).
        email: contact e-mail sent as ``email=``; default: the settings' ``contact_email``.
        tool: the ``tool=`` value NCBI uses to identify the application.
        batch_size: PMIDs per EFetch/ESummary request (1..10,000).
        **http_options: passed to :class:`HttpClient` (``cache``, ``cache_dir``, ``clock``,
            ``registry`` ...).
    """

    def __init__(
        self,
        http: HttpClient | None = None,
        *,
        config: ServiceConfig | None = None,
        api_key: str | None = None,
        email: str | None = None,
        tool: str = TOOL,
        batch_size: int = DEFAULT_FETCH_BATCH,
        **http_options: Any,
    ) -> None:
        if not 1 <= batch_size <= MAX_FETCH_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_FETCH_BATCH}")
        if http is None:
            key = _settings_api_key() if api_key is None else (api_key or None)
            config = config or ncbi_config(key)
            http = HttpClient(config, **http_options)
        self.http = http
        self.tool = tool
        self.email = _settings_email() if email is None else email
        self.batch_size = batch_size

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> PubMedClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def metrics(self) -> ClientMetrics:
        return self.http.metrics()

    @property
    def has_api_key(self) -> bool:
        return bool(self.http.config.api_key)

    # -- the request path --------------------------------------------------------------------
    def _base_params(self) -> list[tuple[str, str]]:
        params = [("db", DB), ("tool", self.tool)]
        if self.email:
            params.append(("email", self.email))
        return params

    def _call(
        self, utility: str, params: Sequence[tuple[str, Any]], *, kind: str, use_cache: bool = True, post: bool = False
    ) -> tuple[ET.Element, HttpResponse]:
        """Send one E-utilities request and return the parsed, error-checked XML root.

        The shared client retries 429/5xx and network failures. This layer adds the two failures
        that arrive as HTTP 200: NCBI's JSON rate-limit body and a body that is not XML (cut off);
        both are retried with the same policy. Replies are cached only once they are known good,
        so an ``<ERROR>`` reply is never served from the cache.
        """
        all_params = [*self._base_params(), *((k, str(v)) for k, v in params)]
        method = "POST" if post else "GET"
        cache = self.http.cache if use_cache and self.http.config.ttl(kind) > 0 else None
        key = self._cache_key(method, utility, all_params) if cache is not None else None
        if cache is not None and key is not None:
            cached = cache.get(key)
            if cached is not None:
                response = HttpResponse(200, cached.content, cached.content_type, cached.url, from_cache=True)
                return parse_xml(cached.content, url=cached.url), response
        root, response = self._send(utility, method, all_params, kind)
        raise_for_error(root, url=response.url)
        if cache is not None and key is not None:
            now = self.http.clock.time()
            ttl = self.http.config.ttl(kind)
            cache.set(key, CachedResponse(200, response.content, response.content_type, response.url, now, now + ttl))
        return root, response

    def _cache_key(self, method: str, utility: str, params: Sequence[tuple[str, str]]) -> str:
        # tool/email do not change the answer; leaving them out keeps the cache across a settings change.
        stable = sorted((k, v) for k, v in params if k not in {"tool", "email"})
        url = self.http.url_for(utility) + "?" + urlencode(stable)
        return make_cache_key(method, url, None, self.http.config.secret_params)

    def _send(
        self, utility: str, method: str, params: list[tuple[str, str]], kind: str
    ) -> tuple[ET.Element, HttpResponse]:
        policy = self.http.config.retry
        clock = self.http.clock
        attempt = 0
        while True:
            attempt += 1
            if method == "POST":
                response = self.http.post(utility, data=params, kind=kind, expect_json=False, use_cache=False)
            else:
                response = self.http.get(utility, params=params, kind=kind, expect_json=False, use_cache=False)
            root, problem = self._read_body(response)
            if root is not None:
                return root, response
            log.info("ncbi %s %s: %s (attempt %d)", method, response.url, problem, attempt)
            if attempt >= policy.max_attempts:
                raise RetriesExhaustedError(
                    f"gave up after {attempt} attempts, last failure: {problem}",
                    attempts=attempt,
                    service=SERVICE,
                    url=response.url,
                    method=method,
                    status=response.status,
                )
            if problem.startswith("rate limit"):
                self.http.limiter.pause_for(1.0)  # every thread holds off, as after a real 429
            clock.sleep(policy.backoff(attempt))

    @staticmethod
    def _read_body(response: HttpResponse) -> tuple[ET.Element | None, str]:
        """The parsed XML of a 2xx reply, or None and why it cannot be used (then it is retried)."""
        error = json_rate_limit_error(response.content)
        if error is not None:
            if "rate limit" in error.lower():
                return None, f"rate limit body with HTTP {response.status}: {error}"
            raise EutilsError("error in a JSON reply", messages=[error], url=response.url, status=response.status)
        try:
            return parse_xml(response.content, url=response.url), ""
        except InvalidResponseError as exc:
            return None, f"unusable body ({exc.reason})"

    def _id_params(self, ids: Sequence[str]) -> tuple[list[tuple[str, str]], bool]:
        """``id=`` parameter and whether the request must be a POST (long lists)."""
        return [("id", ",".join(ids))], len(ids) > POST_THRESHOLD

    # -- ESearch ----------------------------------------------------------------------------------
    def esearch(
        self,
        term: str,
        *,
        retstart: int = 0,
        retmax: int = 20,
        usehistory: bool = False,
        sort: str | None = None,
        allow_partial: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> SearchResult:
        """One ESearch page.

        Args:
            term: PubMed query, e.g. ``"cryoprotectant AND vitrification"``.
            retstart: offset of the first id (0-based; at most 9,999 for PubMed).
            retmax: ids per page (0..10,000; 0 with ``usehistory`` only registers the search).
            usehistory: keep the result on the history server (``WebEnv`` + ``QueryKey``), for
                EFetch/ESummary by history. Such replies are never cached (sessions expire).
            sort: ``relevance``, ``pub_date``, ``Author``, ``JournalName`` (PubMed's names).
            allow_partial: when ESearch reports an ``ErrorList`` but still found hits for the
                rest of the query, return them (errors in ``SearchResult.errors``) instead of
                raising.
            extra: further ESearch parameters (``datetype``, ``mindate``, ``maxdate`` ...).

        Raises:
            EutilsQueryError: the reply has an ``ErrorList`` (always when nothing was found).
            EutilsError: an ``<ERROR>`` inside the reply.
        """
        if not term.strip():
            raise ValueError("empty PubMed query")
        if not 0 <= retmax <= MAX_PAGEABLE:
            raise ValueError(f"retmax must be between 0 and {MAX_PAGEABLE}")
        if retstart < 0 or retstart >= MAX_PAGEABLE:
            raise ValueError(f"PubMed ESearch cannot page beyond the first {MAX_PAGEABLE} hits")
        params: list[tuple[str, Any]] = [("term", term), ("retstart", retstart), ("retmax", retmax)]
        if usehistory:
            params.append(("usehistory", "y"))
        if sort:
            params.append(("sort", sort))
        params.extend((extra or {}).items())
        root, response = self._call("esearch.fcgi", params, kind="search", use_cache=not usehistory)
        result = parse_search_result(root, term, retrieved_at=utc_now_iso())
        if result.errors and not (allow_partial and result.count > 0):
            detail = "; ".join(f"{k}: {t}" for k, t in result.errors)
            raise EutilsQueryError(
                f"PubMed could not use part of the query ({detail}); {result.count} hits for the rest",
                errors=result.errors,
                count=result.count,
                url=response.url,
            )
        return result

    def search_history(self, term: str, *, sort: str | None = None, allow_partial: bool = False) -> SearchResult:
        """Register a search on the history server (``usehistory=y``, no ids returned)."""
        return self.esearch(term, retmax=0, usehistory=True, sort=sort, allow_partial=allow_partial)

    def iter_search_pages(
        self, term: str, *, max_results: int | None = None, page_size: int = 500, sort: str | None = None
    ) -> Iterator[SearchResult]:
        """ESearch pages (``retstart``/``retmax``) until ``max_results`` ids or the 10,000 ceiling."""
        if page_size < 1:
            raise ValueError("page_size must be positive")
        wanted = MAX_PAGEABLE if max_results is None else min(max_results, MAX_PAGEABLE)
        start = 0
        while start < wanted:
            page = self.esearch(term, retstart=start, retmax=min(page_size, wanted - start), sort=sort)
            yield page
            if not page.ids:
                break
            start += len(page.ids)
            if start >= min(page.count, wanted):
                break

    def search_ids(self, term: str, *, max_results: int | None = None, page_size: int = 500) -> list[str]:
        """All PMIDs of a query (at most ``max_results`` and at most 10,000), in PubMed's order.

        A job that must resume after a crash should store this list once and fetch by ids
        (:meth:`iter_fetch_ids`): resuming by offset would skip or repeat papers whenever PubMed
        added records in between.
        """
        ids: list[str] = []
        for page in self.iter_search_pages(term, max_results=max_results, page_size=page_size):
            ids.extend(page.ids)
        return normalise_pmids(ids)[: max_results if max_results is not None else MAX_PAGEABLE]

    # -- EFetch -----------------------------------------------------------------------------------
    def efetch(self, ids: Iterable[int | str]) -> FetchBatch:
        """One EFetch of PubMed XML for the given PMIDs (a POST above 200 ids)."""
        wanted = normalise_pmids(ids)
        if not wanted:
            return FetchBatch((), ())
        if len(wanted) > MAX_FETCH_BATCH:
            raise ValueError(f"at most {MAX_FETCH_BATCH} PMIDs per EFetch; use iter_fetch_ids")
        id_params, post = self._id_params(wanted)
        root, response = self._call("efetch.fcgi", [*id_params, ("retmode", "xml")], kind="articles", post=post)
        articles = parse_articles(root, retrieved_at=utc_now_iso())
        returned = {a.pmid for a in articles}
        missing = tuple(p for p in wanted if p not in returned)
        return FetchBatch(tuple(wanted), tuple(articles), missing, None, response.from_cache)

    def iter_fetch_ids(self, ids: Iterable[int | str], *, batch_size: int | None = None) -> Iterator[FetchBatch]:
        """EFetch in batches of ``batch_size`` PMIDs; one :class:`FetchBatch` per request."""
        wanted = normalise_pmids(ids)
        for chunk in batched(wanted, batch_size or self.batch_size):
            yield self.efetch(chunk)

    def efetch_history(self, webenv: str, query_key: str, *, retstart: int = 0, retmax: int | None = None) -> FetchBatch:
        """One EFetch page of a search kept on the history server (never cached).

        Raises:
            HistoryExpiredError: NCBI no longer knows the session; search again.
        """
        size = retmax or self.batch_size
        params = [("WebEnv", webenv), ("query_key", query_key), ("retstart", retstart), ("retmax", size), ("retmode", "xml")]
        root, response = self._call("efetch.fcgi", params, kind="articles", use_cache=False)
        articles = parse_articles(root, retrieved_at=utc_now_iso())
        return FetchBatch((), tuple(articles), (), retstart, response.from_cache)

    def iter_fetch(
        self,
        term: str,
        *,
        max_results: int | None = None,
        batch_size: int | None = None,
        start: int = 0,
        search: SearchResult | None = None,
    ) -> Iterator[FetchBatch]:
        """Search once on the history server, then EFetch the hits page by page.

        Args:
            term: PubMed query.
            max_results: stop after this many records (and never beyond 10,000).
            batch_size: records per EFetch.
            start: first offset to fetch (to continue an interrupted run in the same session).
            search: a history search already made (``search_history``), to skip the ESearch.
        """
        result = search or self.search_history(term)
        if not result.has_history:
            raise InvalidResponseError("ESearch did not return a WebEnv/QueryKey", service=SERVICE)
        assert result.webenv is not None and result.query_key is not None
        total = min(result.count, MAX_PAGEABLE, max_results if max_results is not None else MAX_PAGEABLE)
        size = batch_size or self.batch_size
        offset = start
        while offset < total:
            batch = self.efetch_history(result.webenv, result.query_key, retstart=offset, retmax=min(size, total - offset))
            yield batch
            if not batch.articles:
                break
            offset += len(batch.articles)

    # -- ESummary, EPost, EInfo ---------------------------------------------------------------------
    def esummary(self, ids: Iterable[int | str]) -> list[DocSummary]:
        """ESummary (v1 DocSum) for PMIDs, in batches of ``batch_size``."""
        summaries: list[DocSummary] = []
        for chunk in batched(normalise_pmids(ids), self.batch_size):
            id_params, post = self._id_params(chunk)
            root, _ = self._call("esummary.fcgi", id_params, kind="summaries", post=post)
            summaries.extend(parse_summaries(root, retrieved_at=utc_now_iso()))
        return summaries

    def esummary_history(self, webenv: str, query_key: str, *, retstart: int = 0, retmax: int = 20) -> list[DocSummary]:
        """ESummary of a page of a history search (never cached)."""
        params = [("WebEnv", webenv), ("query_key", query_key), ("retstart", retstart), ("retmax", retmax)]
        root, _ = self._call("esummary.fcgi", params, kind="summaries", use_cache=False)
        return parse_summaries(root, retrieved_at=utc_now_iso())

    def epost(self, ids: Iterable[int | str]) -> tuple[str, str]:
        """Upload PMIDs to the history server; returns ``(webenv, query_key)``."""
        wanted = normalise_pmids(ids)
        if not wanted:
            raise ValueError("no PMIDs to post")
        root, _ = self._call("epost.fcgi", [("id", ",".join(wanted))], kind="history", use_cache=False, post=True)
        return parse_epost(root)

    def databases(self) -> list[str]:
        """EInfo's list of Entrez databases (a cheap connectivity check)."""
        response = self.http.get(
            "einfo.fcgi", params=[("tool", self.tool)], kind="default", expect_json=False, use_cache=False
        )
        root = parse_xml(response.content, url=response.url)
        raise_for_error(root, url=response.url)
        return [_text(d) for d in root.findall("DbList/DbName") if _text(d)]
