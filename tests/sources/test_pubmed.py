"""PubMed (NCBI E-utilities) client against the replay server and on the recorded XML."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from cryodesk.config import Settings, save_settings
from cryodesk.domain import Method, SourceError
from cryodesk.sources.errors import InvalidResponseError, RetriesExhaustedError
from cryodesk.sources.http import ResponseCache, RetryPolicy, ServiceRegistry, VirtualClock
from cryodesk.sources.pubmed import (
    RATE_SAFETY,
    EutilsError,
    EutilsQueryError,
    HistoryExpiredError,
    PubMedClient,
    ncbi_config,
    normalise_pmids,
    parse_articles,
    parse_epost,
    parse_search_result,
    parse_xml,
)
from tests.replay import Fault, ReplayServer
from tests.replay.ncbi_routes import corpus, rate_limit_body
from tests.replay.recorded import fixture_bytes

EMAIL = "lab@example.org"


def _xml(name: str) -> bytes:
    return fixture_bytes("ncbi_eutils", name)


@pytest.fixture(autouse=True)
def _no_ncbi_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CRYODESK_NCBI_BASE", "CRYODESK_NCBI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def _client(server: ReplayServer, registry: ServiceRegistry, clock: VirtualClock | None, **options: object) -> PubMedClient:
    config = ncbi_config(
        options.pop("api_key", None),  # type: ignore[arg-type]
        base_url=server.ncbi_base,
        rate=options.pop("rate", 100.0),
        retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05),
    )
    options.setdefault("cache", False)
    options.setdefault("email", EMAIL)
    return PubMedClient(config=config, registry=registry, clock=clock, **options)  # type: ignore[arg-type]


@pytest.fixture
def pubmed(replay_server: ReplayServer, registry: ServiceRegistry, vclock: VirtualClock) -> Iterator[PubMedClient]:
    client = _client(replay_server, registry, vclock)
    yield client
    client.close()


# -- ESearch ------------------------------------------------------------------------------------------
def test_recorded_esearch_page(pubmed: PubMedClient, replay_server: ReplayServer) -> None:
    result = pubmed.esearch("biopython")
    assert (result.count, result.retmax, result.retstart) == (63, 20, 0)
    assert len(result.ids) == 20 and result.ids[:2] == ("41282813", "41148224")
    assert result.query_translation == '"biopython"[All Fields]'
    assert not result.has_history
    query = replay_server.requests[-1].query
    assert query["db"] == ["pubmed"] and query["tool"] == ["CryoDesk"] and query["email"] == [EMAIL]
    assert "api_key" not in query


def test_recorded_no_hits_error_list_raises(pubmed: PubMedClient) -> None:
    with pytest.raises(EutilsQueryError) as info:
        pubmed.esearch("abcXYZ")
    error = info.value
    assert isinstance(error, SourceError)
    assert error.phrases_not_found == ("abcXYZ",) and error.count == 0
    assert "PhraseNotFound: abcXYZ" in str(error)


def test_partial_query_can_be_allowed() -> None:
    root = parse_xml(_xml("esearch8.xml"))
    result = parse_search_result(root, "abcXYZ")
    assert result.errors == (("PhraseNotFound", "abcXYZ"),)
    assert result.warnings == (("OutputMessage", "No items found."),)


def test_history_search_and_paged_fetch(pubmed: PubMedClient, replay_server: ReplayServer) -> None:
    batches = list(pubmed.iter_fetch("lithium", batch_size=4))
    expected = [p for p, (t, a) in corpus().items() if "lithium" in f"{t} {a}".lower()]
    assert [b.retstart for b in batches] == [0, 4, 8]
    assert [a.pmid for b in batches for a in b.articles] == expected
    search, *fetches = replay_server.requests
    assert search.query["usehistory"] == ["y"] and search.query["retmax"] == ["0"]
    assert all(f.query["query_key"] == ["1"] and f.query["WebEnv"][0].startswith("MCID_") for f in fetches)
    assert [f.query["retstart"] for f in fetches] == [["0"], ["4"], ["8"]]


def test_search_ids_pages_with_retstart(pubmed: PubMedClient, replay_server: ReplayServer) -> None:
    ids = pubmed.search_ids("patients", max_results=45, page_size=20)
    assert len(ids) == 45 and len(set(ids)) == 45
    starts = [r.query["retstart"][0] for r in replay_server.requests]
    assert starts == ["0", "20", "40"]
    assert replay_server.requests[-1].query["retmax"] == ["5"]


def test_history_expired(pubmed: PubMedClient, replay_server: ReplayServer) -> None:
    search = pubmed.search_history("lithium")
    replay_server.ncbi.expire_all()
    with pytest.raises(HistoryExpiredError):
        pubmed.efetch_history(search.webenv or "", search.query_key or "")


# -- EFetch -------------------------------------------------------------------------------------------
def test_recorded_efetch(pubmed: PubMedClient) -> None:
    batch = pubmed.efetch([12091962, "9997"])
    assert batch.pmids == ("12091962", "9997") and batch.missing == ()
    aids, flavo = batch.articles
    assert aids.title == "The treatment of AIDS behind the walls of correctional facilities."
    assert aids.abstract == "" and aids.year == 1990 and aids.doi is None
    assert aids.journal == "Social justice (San Francisco, Calif.)" and aids.journal_abbrev == "Soc Justice"
    assert "Prisoners" in aids.mesh_descriptors and aids.authors[0].display == "Olivero JM"
    assert flavo.year == 1976 and flavo.doi == "10.1016/0005-2795(76)90109-4"
    assert flavo.abstract.startswith("Electron paramagnetic resonance")
    assert flavo.chemicals == ("Cytochrome c Group", "Flavins", "Heme", "Iron")
    iron = next(m for m in flavo.mesh_terms if m.descriptor == "Iron")
    assert iron.ui == "D007501" and iron.qualifiers == ("analysis",) and not iron.major_topic
    assert flavo.retrieved_at is not None


def test_structured_abstract_keeps_labels_and_flattens_markup() -> None:
    (article,) = parse_articles(parse_xml(_xml("pubmed4_structured_abstract.xml")))
    assert [s.label for s in article.abstract_sections] == ["OBJECTIVE", "DESIGN", "RESULTS", "CONCLUSIONS"]
    lines = article.abstract.split("\n")
    assert [line.split(":")[0] for line in lines] == ["OBJECTIVE", "DESIGN", "RESULTS", "CONCLUSIONS"]
    assert "telomerase reverse transcriptase (TERT) gene region" in lines[0]  # <i>TERT</i> flattened
    assert "linkage disequilibrium r2<0.25" in article.abstract  # <sup>2</sup> and &lt; handled
    assert article.title.startswith("Leucocyte telomere length, genetic variants at the TERT gene")
    # The article's own DOI, not one of the cited references'; year from PubDate.
    assert article.doi == "10.1136/gutjnl-2016-312510" and article.year == 2017
    assert article.pmid == "27797938"  # not a CommentsCorrections PMID
    provenance = article.provenance(job_id=7)
    assert provenance.method is Method.LITERATURE and provenance.source == "pubmed"
    assert provenance.source_record_id == "27797938" and provenance.job_id == 7
    assert "doi:10.1136/gutjnl-2016-312510" in (provenance.citation or "")


def test_efetch_reports_missing_and_posts_long_lists(
    replay_server: ReplayServer, registry: ServiceRegistry, vclock: VirtualClock
) -> None:
    ids = list(corpus())[:250]
    with _client(replay_server, registry, vclock, batch_size=250) as client:
        (batch,) = list(client.iter_fetch_ids(ids))
        assert len(batch.articles) == 250
        assert replay_server.requests[-1].method == "POST" and b"id=" in replay_server.requests[-1].body
        small = client.efetch([ids[0], 99999999])
    assert small.pmids == (ids[0],) and small.missing == ("99999999",)
    assert replay_server.requests[-1].method == "GET"


def test_invalid_pmids_rejected() -> None:
    assert normalise_pmids([" 0012 ", 12, "7"]) == ["12", "7"]
    with pytest.raises(ValueError):
        normalise_pmids(["PMC123"])


# -- errors inside HTTP 200 ------------------------------------------------------------------------
def test_recorded_error_reply_is_a_source_error_and_not_cached(
    replay_server: ReplayServer, registry: ServiceRegistry, vclock: VirtualClock
) -> None:
    cache = ResponseCache("ncbi", disk=False, clock=vclock)
    with _client(replay_server, registry, vclock, cache=cache) as client:
        for _ in range(2):
            with pytest.raises(EutilsError) as info:
                client._call("esummary.fcgi", [], kind="summaries")  # neither id nor query_key
            assert isinstance(info.value, SourceError)
            assert info.value.messages == ("Neither query_key nor id specified",)
            assert "Neither query_key nor id specified" in str(info.value) and info.value.status == 200
    assert replay_server.count("esummary") == 2  # the error reply was not cached


def test_recorded_epost_error() -> None:
    with pytest.raises(EutilsError, match="Invalid db name specified: nothing"):
        parse_epost(parse_xml(_xml("epost2_error_invalid_db.xml")))
    assert parse_epost(parse_xml(_xml("epost1.xml"))) == ("MCID_692851c130aec64bed0a8c2a", "1")


def test_recorded_esummary(pubmed: PubMedClient) -> None:
    first, second = pubmed.esummary(["11850928", "11482001"])
    assert first.title == "Zirconium granuloma following treatment of rhus dermatitis."
    assert first.journal == "Arch Dermatol" and first.year == 1965 and first.has_abstract is True
    assert second.authors == ("Mantle D", "Gok MA", "Lennard TW")
    assert first.lists["PubTypeList"] == ("Journal Article",)


def test_epost_then_history_summary(pubmed: PubMedClient) -> None:
    ids = list(corpus())[:3]
    webenv, key = pubmed.epost(ids)
    summaries = pubmed.esummary_history(webenv, key, retmax=3)
    assert [s.pmid for s in summaries] == ids and summaries[0].doi == f"10.5555/replay.{ids[0]}"


def test_unsafe_xml_is_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>'
    with pytest.raises(InvalidResponseError):
        parse_xml(bomb)


# -- throttling ---------------------------------------------------------------------------------------
def test_429_is_retried(pubmed: PubMedClient, replay_server: ReplayServer) -> None:
    replay_server.faults.queue(Fault("status", 429, body=rate_limit_body(), retry_after="1"))
    batch = pubmed.efetch(["9997"])
    assert batch.pmids == ("9997",)
    assert [r.status for r in replay_server.requests] == [429, 200]
    assert pubmed.metrics().retries == 1


def test_rate_limit_body_under_http_200_is_retried(pubmed: PubMedClient, replay_server: ReplayServer) -> None:
    replay_server.ncbi.rate_limit_200 = 1
    assert pubmed.esearch("biopython").count == 63
    assert replay_server.count("esearch") == 2


def test_persistent_rate_limit_gives_up(pubmed: PubMedClient, replay_server: ReplayServer) -> None:
    replay_server.ncbi.rate_limit_200 = 10
    with pytest.raises(RetriesExhaustedError, match="rate limit"):
        pubmed.esearch("biopython")


def test_paced_at_three_per_second_without_key(replay_server: ReplayServer, registry: ServiceRegistry) -> None:
    replay_server.set_rate_limit(3, reject=True)
    config = ncbi_config(None, base_url=replay_server.ncbi_base)
    assert config.rate == pytest.approx(3.0 * RATE_SAFETY) and config.api_key is None
    with PubMedClient(config=config, registry=registry, cache=False, email=EMAIL) as client:
        started = time.monotonic()
        for pmid in list(corpus())[:7]:
            client.efetch([pmid])
        elapsed = time.monotonic() - started
    assert replay_server.violations == 0 and replay_server.count("efetch") == 7
    assert elapsed >= 6 / (3.0 * RATE_SAFETY) - 0.2


# -- settings and keys --------------------------------------------------------------------------------
def test_key_and_email_come_from_settings(
    replay_server: ReplayServer, registry: ServiceRegistry, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    save_settings(Settings(contact_email="someone@lab.example"))
    monkeypatch.setenv("CRYODESK_NCBI_API_KEY", "SECRETKEY123")
    monkeypatch.setenv("CRYODESK_NCBI_BASE", replay_server.ncbi_base)
    caplog.set_level(logging.DEBUG)
    with PubMedClient(registry=registry, cache=False, clock=VirtualClock()) as client:
        assert client.has_api_key and client.http.config.rate == pytest.approx(10.0 * RATE_SAFETY)
        assert client.http.config.base_url == replay_server.ncbi_base
        with pytest.raises(EutilsQueryError) as info:
            client.esearch("abcXYZ")
    query = replay_server.requests[-1].query
    assert query["api_key"] == ["SECRETKEY123"] and query["email"] == ["someone@lab.example"]
    assert "SECRETKEY123" not in str(info.value) and "api_key=***" in str(info.value)
    assert "SECRETKEY123" not in caplog.text


def test_cached_articles_are_not_refetched(
    replay_server: ReplayServer, registry: ServiceRegistry, vclock: VirtualClock
) -> None:
    cache = ResponseCache("ncbi", disk=False, clock=vclock)
    with _client(replay_server, registry, vclock, cache=cache) as client:
        first = client.efetch(["9997", "12091962"])
        again = client.efetch(["12091962", "9997"][::-1])
    assert not first.from_cache and again.from_cache and again.pmids == first.pmids
    assert replay_server.count("efetch") == 1


def test_truncated_xml_is_retried(pubmed: PubMedClient, replay_server: ReplayServer) -> None:
    replay_server.faults.queue(Fault.truncated_json())  # a well-framed 200 whose body is cut
    assert pubmed.efetch(["9997"]).pmids == ("9997",)
    assert replay_server.count("efetch") == 2


def test_einfo(pubmed: PubMedClient) -> None:
    assert "pubmed" in pubmed.databases()
