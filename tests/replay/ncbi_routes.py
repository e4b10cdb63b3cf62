"""NCBI E-utilities routes of the replay server (``/entrez/eutils/<utility>.fcgi``).

Recorded replies (``fixtures/ncbi_eutils``, real E-utilities output saved by Biopython) are served
byte for byte where a request matches them:

* ``esearch term=biopython`` (first page of 20) -> ``esearch1.xml``; ``term=abcXYZ`` -> ``esearch8.xml``
  (Count 0 + ``ErrorList``/``PhraseNotFound``);
* ``esummary id=11850928,11482001`` -> ``esummary1.xml``; ``esummary`` with neither ``id`` nor
  ``query_key`` -> ``esummary8.xml`` (``<ERROR>`` inside HTTP 200);
* ``efetch id=12091962,9997`` -> ``pubmed1.xml``; ``id=27797938`` -> ``pubmed4_structured_abstract.xml``;
* ``epost db=nothing`` -> ``epost2_error_invalid_db.xml``; ``einfo`` -> ``einfo1.xml``.

Every other query searches a generated corpus: the 500 real PubMed titles and abstracts of the
BC5CDR development set (``data/text/bc5cdr``), matched word by word (every word of the query, less
``AND``/``OR`` and field tags, must occur). EFetch/ESummary of those PMIDs return records in the
recorded shapes, with a generated journal, year and DOI (``10.5555/replay.<pmid>``), marked
"generated" here because no real reply says so. The history server (``usehistory=y``, EPost,
``WebEnv``/``query_key``) keeps sessions in memory; an unknown ``WebEnv`` gets
``<ERROR>Unable to obtain query #1</ERROR>`` (the message seen from the live service; not recorded).

Rate limiting: NCBI's over-limit reply is HTTP 429 with the JSON body of
``transcribed/error_429_rate_limit_no_key.json``; :attr:`NcbiState.rate_limit_200` answers the next
requests with that body under HTTP 200 instead, as some users have reported.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from xml.sax.saxutils import escape

from tests.replay.messages import Incoming, Reply
from tests.replay.paths import shared_dir
from tests.replay.recorded import fixture_bytes

PREFIX = ("entrez", "eutils")
XML = "text/xml; charset=UTF-8"
RECORDED_FETCH = {
    frozenset({"12091962", "9997"}): "pubmed1.xml",
    frozenset({"27797938"}): "pubmed4_structured_abstract.xml",
}
RECORDED_SUMMARY = {frozenset({"11850928", "11482001"}): "esummary1.xml"}
_ARTICLE_RE = re.compile(rb"<PubmedArticle>.*?</PubmedArticle>", re.DOTALL)
_PMID_RE = re.compile(rb"<PMID[^>]*>(\d+)</PMID>")
_QUERY_NOISE = {"and", "or", "not"}
_ESEARCH_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
_EFETCH_HEAD = (
    '<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
)


def ncbi_fixture(*parts: str) -> bytes:
    return fixture_bytes("ncbi_eutils", *parts)


def rate_limit_body() -> bytes:
    """NCBI's over-limit JSON (transcribed from a real reply; numbers are strings)."""
    return ncbi_fixture("transcribed", "error_429_rate_limit_no_key.json").strip()


def rate_limit_reply(headers: dict[str, str] | None = None, status: int = 429) -> Reply:
    return Reply(status, rate_limit_body(), "application/json", dict(headers or {}))


def error_reply(root: str, message: str) -> Reply:
    body = f'<?xml version="1.0" encoding="UTF-8" ?>\n<{root}>\n\t<ERROR>{escape(message)}</ERROR>\n</{root}>\n'
    return Reply(200, body.encode(), XML)


# -- the generated corpus ------------------------------------------------------------------------
@cache
def corpus() -> dict[str, tuple[str, str]]:
    """PMID -> (title, abstract) of the BC5CDR development set, in file order."""
    path = shared_dir() / "data" / "text" / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt"
    docs: dict[str, tuple[str, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("|", 2)
        if len(parts) == 3 and parts[1] in {"t", "a"}:
            title, abstract = docs.get(parts[0], ("", ""))
            docs[parts[0]] = (parts[2], abstract) if parts[1] == "t" else (title, parts[2])
    return docs


@cache
def recorded_articles() -> dict[str, bytes]:
    """The recorded ``<PubmedArticle>`` elements by PMID (for mixed id lists)."""
    found: dict[str, bytes] = {}
    for name in ("pubmed1.xml", "pubmed4_structured_abstract.xml"):
        for match in _ARTICLE_RE.finditer(ncbi_fixture(name)):
            pmid = _PMID_RE.search(match.group(0))
            if pmid:
                found.setdefault(pmid.group(1).decode(), match.group(0))
    return found


def search_corpus(term: str) -> list[str]:
    """PMIDs whose title or abstract contains every word of ``term`` (case-insensitive)."""
    words = [w for w in re.findall(r"[\w-]+", re.sub(r"\[[^\]]*\]", " ", term.lower())) if w not in _QUERY_NOISE]
    if not words or words == ["all"]:
        return list(corpus())
    hits = []
    for pmid, (title, abstract) in corpus().items():
        text = f"{title} {abstract}".lower()
        if all(w in text for w in words):
            hits.append(pmid)
    return hits


def missing_words(term: str) -> list[str]:
    words = [w for w in re.findall(r"[\w-]+", re.sub(r"\[[^\]]*\]", " ", term)) if w.lower() not in _QUERY_NOISE]
    text = " ".join(f"{t} {a}" for t, a in corpus().values()).lower()
    return [w for w in words if w.lower() not in text]


def generated_year(pmid: str) -> int:
    return 1975 + int(pmid) % 45


def generated_article(pmid: str) -> bytes:
    """A ``PubmedArticle`` in the recorded layout for a corpus PMID (journal/year/DOI generated)."""
    title, abstract = corpus()[pmid]
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>'
        f'<Article PubModel="Print"><Journal><ISSN IssnType="Print">0000-0000</ISSN>'
        f'<JournalIssue CitedMedium="Print"><PubDate><Year>{generated_year(pmid)}</Year></PubDate></JournalIssue>'
        f"<Title>Replay journal of generated records</Title><ISOAbbreviation>Replay J</ISOAbbreviation></Journal>"
        f"<ArticleTitle>{escape(title)}</ArticleTitle><Abstract><AbstractText>{escape(abstract)}</AbstractText>"
        f'</Abstract><AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>Replay</LastName><ForeName>Ann</ForeName>'
        f"<Initials>A</Initials></Author></AuthorList><Language>eng</Language><PublicationTypeList>"
        f'<PublicationType UI="D016428">Journal Article</PublicationType></PublicationTypeList></Article>'
        f"<MedlineJournalInfo><MedlineTA>Replay J</MedlineTA></MedlineJournalInfo></MedlineCitation><PubmedData>"
        f'<ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId><ArticleId IdType="doi">10.5555/replay.{pmid}'
        f"</ArticleId></ArticleIdList></PubmedData></PubmedArticle>"
    ).encode()


def generated_docsum(pmid: str) -> str:
    title, _ = corpus()[pmid]
    year = generated_year(pmid)
    return (
        f"<DocSum>\n\t<Id>{pmid}</Id>\n\t<Item Name=\"PubDate\" Type=\"Date\">{year}</Item>\n"
        f'\t<Item Name="Source" Type="String">Replay J</Item>\n'
        f'\t<Item Name="AuthorList" Type="List">\n\t\t<Item Name="Author" Type="String">Replay A</Item>\n\t</Item>\n'
        f'\t<Item Name="Title" Type="String">{escape(title)}</Item>\n'
        f'\t<Item Name="ArticleIds" Type="List">\n\t\t<Item Name="pubmed" Type="String">{pmid}</Item>\n'
        f'\t\t<Item Name="doi" Type="String">10.5555/replay.{pmid}</Item>\n\t</Item>\n'
        f'\t<Item Name="HasAbstract" Type="Integer">1</Item>\n'
        f'\t<Item Name="FullJournalName" Type="String">Replay journal of generated records</Item>\n</DocSum>\n'
    )


# -- state -------------------------------------------------------------------------------------------
@dataclass
class NcbiState:
    """History-server sessions and switches of the NCBI part of the server.

    Attributes:
        rate_limit_200: answer this many further requests with the JSON rate-limit body under
            HTTP 200 (the "429 body with a 2xx status" some clients have seen).
    """

    rate_limit_200: int = 0
    _sessions: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def store(self, ids: list[str], webenv: str | None = None) -> tuple[str, str]:
        """Keep ``ids`` under a (new or given) WebEnv; return ``(webenv, query_key)``."""
        with self._lock:
            if webenv is None or webenv not in self._sessions:
                seed = f"{len(self._sessions)}|{','.join(ids[:5])}|{len(ids)}"
                webenv = "MCID_" + hashlib.sha256(seed.encode()).hexdigest()[:24]
                self._sessions[webenv] = {}
            session = self._sessions[webenv]
            key = str(len(session) + 1)
            session[key] = list(ids)
            return webenv, key

    def lookup(self, webenv: str, query_key: str) -> list[str] | None:
        with self._lock:
            return self._sessions.get(webenv, {}).get(query_key)

    def expire_all(self) -> None:
        """Forget every session (as NCBI does after some hours)."""
        with self._lock:
            self._sessions.clear()

    def take_rate_limit_200(self) -> bool:
        with self._lock:
            if self.rate_limit_200 > 0:
                self.rate_limit_200 -= 1
                return True
            return False


# -- routing -------------------------------------------------------------------------------------------
def route_ncbi(request: Incoming, state: NcbiState) -> Reply:
    """Answer an ``/entrez/eutils/<utility>.fcgi`` request."""
    if state.take_rate_limit_200():
        return rate_limit_reply(status=200)
    utility = request.segments[2] if len(request.segments) > 2 else ""
    handler = {
        "esearch.fcgi": _esearch,
        "efetch.fcgi": _efetch,
        "esummary.fcgi": _esummary,
        "epost.fcgi": _epost,
    }.get(utility)
    if utility == "einfo.fcgi":
        return Reply(200, ncbi_fixture("einfo1.xml"), XML)
    if handler is None:
        return Reply(404, b"<html><body><h1>Not Found</h1></body></html>", "text/html")
    db = request.arg("db") or ""
    if db != "pubmed":
        if utility == "epost.fcgi" and db == "nothing":
            return Reply(200, ncbi_fixture("epost2_error_invalid_db.xml"), XML)
        root = {"esearch.fcgi": "eSearchResult", "efetch.fcgi": "eFetchResult"}.get(utility, "eSummaryResult")
        return error_reply(root if utility != "epost.fcgi" else "ePostResult", f"Invalid db name specified: {db}")
    return handler(request, state)


def _ids(request: Incoming) -> list[str]:
    raw = request.arg("id") or ""
    return [i.strip() for i in raw.split(",") if i.strip()]


def _int(request: Incoming, name: str, default: int) -> int:
    value = request.arg(name)
    return int(value) if value and value.isdigit() else default


def _esearch(request: Incoming, state: NcbiState) -> Reply:
    term = request.arg("term") or ""
    retstart = _int(request, "retstart", 0)
    retmax = _int(request, "retmax", 20)
    history = (request.arg("usehistory") or "").lower() == "y"
    if term == "biopython" and retstart == 0 and retmax == 20 and not history:
        return Reply(200, ncbi_fixture("esearch1.xml"), XML)
    if term == "abcXYZ" and not history:
        return Reply(200, ncbi_fixture("esearch8.xml"), XML)
    hits = search_corpus(term)
    page = hits[retstart : retstart + retmax]
    parts = [f"<Count>{len(hits)}</Count><RetMax>{len(page)}</RetMax><RetStart>{retstart}</RetStart>"]
    if history:
        webenv, key = state.store(hits, request.arg("WebEnv"))
        parts.append(f"<QueryKey>{key}</QueryKey><WebEnv>{webenv}</WebEnv>")
    parts.append("<IdList>\n" + "".join(f"<Id>{i}</Id>\n" for i in page) + "</IdList>" if page else "<IdList/>")
    parts.append(f"<TranslationSet/><QueryTranslation>{escape(term)}[All Fields]</QueryTranslation>")
    if not hits:
        missing = missing_words(term) or [term]
        parts.append("<ErrorList>" + "".join(f"<PhraseNotFound>{escape(w)}</PhraseNotFound>" for w in missing) + "</ErrorList>")
        parts.append("<WarningList><OutputMessage>No items found.</OutputMessage></WarningList>")
    body = _ESEARCH_HEAD + "<eSearchResult>" + "".join(parts) + "</eSearchResult>\n"
    return Reply(200, body.encode("utf-8"), XML)


def _history_ids(request: Incoming, state: NcbiState) -> list[str] | None:
    """The page of a history query; None when the session is unknown."""
    ids = state.lookup(request.arg("WebEnv") or "", request.arg("query_key") or "")
    if ids is None:
        return None
    retstart = _int(request, "retstart", 0)
    return ids[retstart : retstart + _int(request, "retmax", 20)]


def _efetch(request: Incoming, state: NcbiState) -> Reply:
    if request.arg("query_key"):
        ids = _history_ids(request, state)
        if ids is None:
            return error_reply("eFetchResult", "Unable to obtain query #1")
    else:
        ids = _ids(request)
    if not ids:
        return error_reply("eFetchResult", "Empty id list - nothing todo")
    recorded = RECORDED_FETCH.get(frozenset(ids))
    if recorded and not request.arg("query_key"):
        return Reply(200, ncbi_fixture(recorded), XML)
    articles = []
    for pmid in ids:
        if pmid in recorded_articles():
            articles.append(recorded_articles()[pmid])
        elif pmid in corpus():
            articles.append(generated_article(pmid))
    body = _EFETCH_HEAD.encode() + b"<PubmedArticleSet>\n" + b"\n".join(articles) + b"\n</PubmedArticleSet>\n"
    return Reply(200, body, XML)


def _esummary(request: Incoming, state: NcbiState) -> Reply:
    if not request.arg("id") and not request.arg("query_key"):
        return Reply(200, ncbi_fixture("esummary8.xml"), XML)
    if request.arg("query_key"):
        ids = _history_ids(request, state)
        if ids is None:
            return error_reply("eSummaryResult", "Unable to obtain query #1")
    else:
        ids = _ids(request)
    recorded = RECORDED_SUMMARY.get(frozenset(ids))
    if recorded:
        return Reply(200, ncbi_fixture(recorded), XML)
    docsums = "".join(generated_docsum(p) for p in ids if p in corpus())
    body = '<?xml version="1.0" encoding="UTF-8" ?>\n<eSummaryResult>\n' + docsums + "</eSummaryResult>\n"
    return Reply(200, body.encode("utf-8"), XML)


def _epost(request: Incoming, state: NcbiState) -> Reply:
    ids = _ids(request)
    if not ids:
        return error_reply("ePostResult", "Empty ID list; Nothing to store")
    webenv, key = state.store(ids, request.arg("WebEnv"))
    body = (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<ePostResult>\n'
        f"\t<QueryKey>{key}</QueryKey>\n\t<WebEnv>{webenv}</WebEnv>\n</ePostResult>\n"
    )
    return Reply(200, body.encode("utf-8"), XML)
