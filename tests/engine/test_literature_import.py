"""The ``import_pubmed`` job against the replay server: records, evidence and literature values.

The replay server is the only fake: the job talks real HTTP to 127.0.0.1 (NCBI routes: the 500
BC5CDR development abstracts as a searchable corpus, plus the recorded replies). The project holds
a handful of compounds whose names occur in that corpus. The helpers here (``seed_compounds``,
``literature_rows``) are shared with the kill test and the CLI test.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cryodesk.chem import compound_from_text
from cryodesk.domain import (
    ComponentRole,
    Identifier,
    IdentifierKind,
    JobState,
    Method,
    Mixture,
    MixtureComponent,
)
from cryodesk.engine.jobs import run_job
from cryodesk.engine.literature_import import (
    CONCENTRATION_PROPERTY,
    PubMedImportJob,
    PubMedImportParams,
    PubMedImportSummary,
    evidence_rows,
    literature_record,
    project_miner,
)
from cryodesk.engine.service import Workbench
from cryodesk.sources.http import RetryPolicy, ServiceRegistry
from cryodesk.sources.pubmed import PubMedClient, ncbi_config
from cryodesk.sources.pubmed_records import PubMedArticle
from cryodesk.store import Project
from tests.replay import Fault, ReplayServer
from tests.replay.ncbi_routes import corpus, search_corpus

FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)

#: Compounds whose names occur in the replay corpus, plus the cryoprotectants whose abbreviations
#: (PG, FA) occur there in other senses (prostaglandin, fluocinolone acetonide).
COMPOUNDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("lithium", "[Li+]", ()),
    ("cocaine", "COC(=O)[C@H]1[C@@H](OC(=O)c2ccccc2)C[C@@H]2CC[C@H]1N2C", ()),
    ("morphine", "CN1CC[C@]23c4c5ccc(O)c4O[C@H]2[C@@H](O)C=C[C@H]3[C@H]1C5", ()),
    ("haloperidol", "OC1(CCN(CCCC(=O)c2ccc(F)cc2)CC1)c1ccc(Cl)cc1", ()),
    ("lidocaine", "CCN(CC)CC(=O)Nc1c(C)cccc1C", ()),
    ("amphetamine", "CC(N)Cc1ccccc1", ()),
    ("dexamethasone", "C[C@@H]1C[C@H]2[C@@H]3CCC4=CC(=O)C=C[C@]4(C)[C@@]3(F)[C@@H](O)C[C@]2(C)[C@@]1(O)C(=O)CO", ()),
    ("glycerol", "OCC(O)CO", ("glycerin",)),
    ("dimethyl sulfoxide", "CS(C)=O", ("DMSO", "Me2SO")),
    ("1,2-propanediol", "CC(O)CO", ("propylene glycol", "PG")),
    ("formamide", "NC=O", ("FA",)),
    ("ethylene glycol", "OCCO", ("EG",)),
)


def seed_compounds(project: Project, mixtures: bool = False) -> dict[str, str]:
    """Store ``COMPOUNDS`` with their names and synonyms; returns name -> InChIKey."""
    keys: dict[str, str] = {}
    compounds, identifiers = [], []
    for name, smiles, synonyms in COMPOUNDS:
        compound = compound_from_text(smiles, kind="smiles", name=name).compound
        assert compound is not None, name
        keys[name] = compound.inchikey
        compounds.append(compound)
        identifiers.append(Identifier(compound.inchikey, IdentifierKind.NAME, name, "test"))
        identifiers += [Identifier(compound.inchikey, IdentifierKind.SYNONYM, s, "test", 0.9) for s in synonyms]
    project.compounds.upsert_many(compounds)
    project.identifiers.upsert_many(identifiers)
    if mixtures:
        components = (MixtureComponent("ethylene glycol", 16.84, "% w/v", ComponentRole.PENETRATING, keys["ethylene glycol"]),
                      MixtureComponent("dimethyl sulfoxide", 24.2, "% w/v", ComponentRole.PENETRATING,
                                       keys["dimethyl sulfoxide"]))
        project.mixtures.upsert_many([Mixture("VS55", components, "reference", aliases=("VS41A",))], "test")
    return keys


def pubmed_client(server: ReplayServer, *, rate: float = 200.0) -> PubMedClient:
    config = ncbi_config(None, base_url=server.ncbi_base, rate=rate, retry=FAST_RETRY, read_timeout=5.0)
    return PubMedClient(config=config, registry=ServiceRegistry(), cache=False, email="lab@example.org")


def literature_rows(project: Project) -> dict[str, set[tuple]]:
    """What a PubMed import writes, minus what legitimately differs between runs (times, row and job ids)."""
    q = project.db.query
    return {
        "records": set(q("SELECT pmid, doi, title, abstract, journal, year, mesh_terms, source, citation"
                         " FROM literature_records")),
        "evidence": set(q(
            "SELECT r.pmid, e.kind, e.span_text, e.span_start, e.span_end, c.inchikey, m.name, e.value, e.unit,"
            " e.outcome_metric, e.cell_type, e.confidence, e.mention, e.canonical, e.match_kind, e.sentence,"
            " e.sentence_start, e.sentence_end, e.confidence_basis, e.details, p.property, p.value_key"
            " FROM evidence e JOIN literature_records r ON r.id = e.literature_id"
            " LEFT JOIN compounds c ON c.id = e.compound_id LEFT JOIN mixtures m ON m.id = e.mixture_id"
            " LEFT JOIN property_values p ON p.id = e.value_id")),
        "values": set(q("SELECT c.inchikey, p.property, p.value, p.value_text, p.unit, p.method, p.conditions,"
                        " p.source, p.source_record_id, p.citation, p.flags"
                        " FROM property_values p JOIN compounds c ON c.id = p.compound_id")),
        "row_errors": set(q("SELECT row, field, reason, value FROM job_row_errors")),
    }


def full_rows(project: Project) -> dict[str, list[tuple]]:
    """Every column of the tables an import writes, ids and times included."""
    return {t: project.db.query(f"SELECT * FROM {t} ORDER BY id")
            for t in ("literature_records", "evidence", "property_values", "compounds", "identifiers")}


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


@pytest.fixture
def seeded(project: Project) -> dict[str, str]:
    return seed_compounds(project)


def _import(project: Project, server: ReplayServer, query: str, max_results: int, batch: int = 20,
            **kwargs: object) -> tuple[JobState, PubMedImportSummary | None, str | None]:
    client = pubmed_client(server)
    try:
        outcome = run_job(project, PubMedImportJob(PubMedImportParams(query, max_results, batch), client), **kwargs)
    finally:
        client.close()
    return outcome.state, outcome.result, outcome.error


def _efetches(server: ReplayServer) -> list[list[str]]:
    return [r.query["id"][0].split(",") for r in server.requests if "efetch" in r.path]


# -- the import ------------------------------------------------------------------------------------
def test_import_lands_records_evidence_and_literature_values(project: Project, seeded: dict[str, str],
                                                             server: ReplayServer) -> None:
    expected = search_corpus("induced")[:60]
    state, summary, error = _import(project, server, "induced", 60)
    assert state is JobState.DONE, error
    assert summary is not None and (summary.hits, summary.total, summary.done) == (len(search_corpus("induced")), 60, 60)
    assert [r.path.rsplit("/", 1)[-1] for r in server.requests] == ["esearch.fcgi"] + ["efetch.fcgi"] * 3
    assert [p for batch in _efetches(server) for p in batch] == expected  # fetched by id, in PubMed's order

    # Records with provenance.
    assert project.literature.count() == 60
    record = project.literature.record(expected[0])
    assert record is not None
    title, abstract = corpus()[expected[0]]
    assert (record.title, record.abstract, record.doi) == (title, abstract, f"10.5555/replay.{expected[0]}")
    assert record.source == "pubmed" and record.retrieved_at and record.year and record.citation
    job_ids = {r[0] for r in project.db.query("SELECT DISTINCT job_id FROM literature_records")}
    assert job_ids == {1}

    # Evidence linked to compounds, with sentences and confidence bases.
    items = project.literature.evidence_for_compound(seeded["lidocaine"])
    assert items and {i.kind for i in items} >= {"mention", "concentration"}
    for item in items:
        assert item.pmid in expected and item.sentence and item.confidence is not None and item.confidence_basis
        text = f"{corpus()[item.pmid][0]} {corpus()[item.pmid][1]}"
        assert text[item.span_start:item.span_end] == item.span_text  # offsets into title + " " + abstract
        assert text[item.sentence_start:item.sentence_end] == item.sentence
        assert item.url == f"https://pubmed.ncbi.nlm.nih.gov/{item.pmid}/"

    # Concentrations became literature values, each linked from its evidence row.
    values = [v for v in project.properties.for_compound(seeded["lidocaine"]) if v.property == CONCENTRATION_PROPERTY]
    assert values
    for v in values:
        p = v.provenance
        assert p.method is Method.LITERATURE and p.source == "pubmed" and p.source_record_id.startswith("PMID ")
        assert p.job_id == 1 and p.citation and p.retrieved_at
        assert v.unit and any(f.startswith("confidence=") for f in v.flags)
    linked = project.db.scalar(
        "SELECT count(*) FROM evidence WHERE kind = 'concentration' AND compound_id IS NOT NULL AND value_id IS NULL")
    assert linked == 0
    assert all(i.value_id is not None for i in items if i.kind == "concentration")

    metrics = project.jobs.get(1).metrics
    assert metrics["records_stored"] == 60 and metrics["batches"] == 3 and metrics["pmids_found"] == 60
    assert metrics["evidence_new"] == project.literature.evidence_count()
    assert metrics["values_new"] == project.properties.count()
    assert metrics["rates"]["records_per_s"] > 0
    # The PubMed breaker travels in the job record too (a GUI job runs in a child process).
    assert metrics["breaker"]["ncbi"]["state"] == "closed"
    assert metrics["breaker"]["ncbi"]["consecutive_failures"] == 0
    checkpoint = project.jobs.get(1).checkpoint
    assert checkpoint["pmids"] == expected and checkpoint["next"] == 60


def test_reimport_changes_nothing(project: Project, seeded: dict[str, str], server: ReplayServer) -> None:
    assert _import(project, server, "induced", 60)[0] is JobState.DONE
    before = full_rows(project)
    state, summary, _ = _import(project, server, "induced", 60, batch=25)  # a new job (the first is done)
    assert state is JobState.DONE and summary is not None
    assert (summary.records_new, summary.records_updated, summary.evidence_new, summary.values_new) == (0, 0, 0, 0)
    assert full_rows(project) == before  # same ids, job ids and retrieval times: nothing rewritten
    assert [j.id for j in project.jobs.list()] == [2, 1]


def test_stopped_and_failed_runs_resume_from_the_stored_pmid_list_without_searching_again(
        tmp_path: Path, project: Project, seeded: dict[str, str], server: ReplayServer) -> None:
    with Project.open(tmp_path / "reference.cryodesk") as reference:
        seed_compounds(reference)
        assert _import(reference, server, "induced", 60)[0] is JobState.DONE
        want = literature_rows(reference)
    server.reset()

    # Run 1 stops after its first batch.
    cancel = threading.Event()

    def stop_after_first_batch(done: int, total: int | None, message: str) -> None:
        if done == 20:
            cancel.set()

    state, _, _ = _import(project, server, "induced", 60, on_progress=stop_after_first_batch, cancel_event=cancel)
    assert state is JobState.CANCELLED and project.literature.count() == 20
    server.reset()

    # Run 2 continues it, but every EFetch fails: the job fails at batch 2 and says how to go on.
    # (Twice the attempts of one batch: a spare fault or two cost nothing, one too few would let it pass.)
    server.faults.queue(Fault.server_error(500), times=2 * FAST_RETRY.max_attempts, match="efetch")
    state, _, error = _import(project, server, "induced", 60, resume_job_id=1)
    assert state is JobState.FAILED and "batch 2 of 3" in (error or "") and "jobs resume 1" in (error or "")
    assert project.literature.count() == 20

    # Run 3 (resumed by fingerprint) finishes from the checkpoint's PMID list.
    server.faults.clear()
    state, summary, error = _import(project, server, "induced", 60)
    assert state is JobState.DONE, error
    assert summary is not None and summary.resumed_from == 20
    assert not [r for r in server.requests if "esearch" in r.path]  # searched once, in run 1
    assert [p for batch in _efetches(server) for p in batch][-40:] == search_corpus("induced")[20:60]
    assert literature_rows(project) == want
    assert [j.id for j in project.jobs.list()] == [1]
    assert project.jobs.get(1).metrics["records_stored"] == 60


def test_pmids_pubmed_does_not_return_are_row_errors(project: Project, seeded: dict[str, str],
                                                     server: ReplayServer) -> None:
    # The recorded "biopython" search lists 20 real PMIDs that the replay corpus does not hold.
    state, summary, _ = _import(project, server, "biopython", 20, batch=8)
    assert state is JobState.DONE and summary is not None
    assert summary.missing == 20 and summary.records_stored == 0
    errors = project.jobs.row_errors(1)
    assert [e.row for e in errors] == list(range(1, 21))
    assert errors[0].field == "pmid" and errors[0].value == "41282813" and "no record" in errors[0].reason


def test_query_without_hits_is_a_row_error_not_a_failure(project: Project, seeded: dict[str, str],
                                                         server: ReplayServer) -> None:
    state, summary, _ = _import(project, server, "abcXYZ", 50)
    assert state is JobState.DONE and summary is not None and summary.total == 0
    [error] = project.jobs.row_errors(1)
    assert error.field == "query" and "abcXYZ" in error.reason


def test_ambiguous_abbreviations_in_non_cryo_abstracts_create_no_evidence(
        project: Project, seeded: dict[str, str], server: ReplayServer) -> None:
    # 19692487: "prostaglandin (PG) isomerase" (lithium-induced polyuria); 17923537: "fluocinolone
    # acetonide (FA) intravitreal implant". The project lists PG and FA as synonyms of CPAs.
    assert _import(project, server, "lithium", 20)[0] is JobState.DONE
    assert _import(project, server, "fluocinolone", 20)[0] is JobState.DONE
    text = " ".join(corpus()["19692487"])
    assert " PG " in text.replace("(", " ").replace(")", " ")
    assert project.literature.record("19692487") and project.literature.record("17923537")

    by_record = {pmid: {(i.canonical, i.mention) for i in project.literature.evidence_for_record(pmid)}
                 for pmid in ("19692487", "17923537")}
    assert ("lithium", "lithium") in {(c.casefold(), m.casefold()) for c, m in by_record["19692487"]}
    for pmid, found in by_record.items():
        assert not {m for _, m in found} & {"PG", "FA"}, pmid
    assert project.literature.evidence_for_compound(seeded["1,2-propanediol"]) == []
    assert project.literature.evidence_for_compound(seeded["formamide"]) == []


def test_resume_by_job_id_rebuilds_the_job(project: Project, seeded: dict[str, str], server: ReplayServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from cryodesk.engine.resume import resume_job

    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    job_id = project.jobs.create("import_pubmed", {"query": "lithium", "max_results": 5, "batch_size": 2})
    outcome = resume_job(Workbench(project), job_id)
    assert outcome.state is JobState.DONE, outcome.error
    assert project.literature.count() == 5


# -- from mined text to rows (a cryobiology abstract the replay corpus does not have) ------------------
CRYO_TITLE = "Vitrification of bovine oocytes with ethylene glycol and DMSO."
CRYO_ABSTRACT = (
    "Bovine oocytes were vitrified in 15% (v/v) ethylene glycol and 15% (v/v) DMSO. "
    "Post-thaw survival was 85% in the EG/DMSO group. "
    "Oocytes vitrified in VS55 showed a post-warming survival of 60%."
)


def _cryo_article() -> PubMedArticle:
    return PubMedArticle("99000001", CRYO_TITLE, CRYO_ABSTRACT, journal="Cryobiology", year=2020,
                         doi="10.1000/cryo.1", retrieved_at="2026-01-01T00:00:00Z")


def test_concentrations_and_outcomes_become_literature_values(project: Project) -> None:
    keys = seed_compounds(project, mixtures=True)
    miner, subjects = project_miner(project)
    article = _cryo_article()
    job_id = project.jobs.create("import_pubmed", {"query": "test"})
    rows, values, unlinked = evidence_rows(article, miner.mine_article(article), subjects, job_id)
    assert unlinked == 0

    by_key = {(v.inchikey, v.property): v for v in values}
    eg = by_key[(keys["ethylene glycol"], CONCENTRATION_PROPERTY)]
    assert (eg.value, eg.unit, eg.value_text) == (15.0, "% v/v", "15% (v/v)")
    assert eg.provenance.source_record_id == "PMID 99000001" and eg.provenance.method is Method.LITERATURE
    assert eg.provenance.job_id == job_id and "Cryobiology" in (eg.provenance.citation or "")
    # The outcome sits in the next sentence: named by its metric only (the number may be another arm's).
    assert eg.conditions == "abstract reports: post-thaw survival; sample: oocyte; protocol: vitrification"
    survival = by_key[(keys["dimethyl sulfoxide"], "reported_survival")]
    assert (survival.value, survival.unit) == (85.0, "%")
    assert "post-thaw" in (survival.conditions or "")
    assert any(f.startswith("confidence=") for f in survival.flags)

    mixture_rows = [r for r in rows if r.mixture == "VS55"]
    assert {r.kind for r in mixture_rows} == {"mention", "outcome"}
    assert all(r.literature_value is None and r.inchikey is None for r in mixture_rows)

    # Stored: evidence rows link their values; the summaries read them back.
    with project.db.transaction():
        project.literature.upsert_records([literature_record(article)], job_id)
        assert project.properties.upsert_many(values) == len(values)
        stored = project.literature.upsert_evidence(rows, job_id)
    assert stored.new == len(rows) and stored.unlinked == 0
    summary = Workbench(project).evidence_summary(keys["ethylene glycol"])
    assert summary is not None and summary.n_papers == 1
    assert summary.concentrations[0].unit == "% v/v" and summary.concentrations[0].median == 15.0
    assert summary.top_sentences[0].url == "https://pubmed.ncbi.nlm.nih.gov/99000001/"
    vs55 = Workbench(project).mixture_evidence_summary("VS55")
    assert vs55 is not None and vs55.n_papers == 1
    assert [(o.label, o.median) for o in vs55.outcomes] == [("survival", 60.0)]


def test_service_summary_of_an_imported_compound(project: Project, seeded: dict[str, str],
                                                 server: ReplayServer) -> None:
    assert _import(project, server, "induced", 120)[0] is JobState.DONE
    wb = Workbench(project)
    summary = wb.evidence_summary(seeded["lidocaine"])
    assert summary is not None and summary.name == "lidocaine"
    papers = {i.pmid for i in wb.evidence_for(seeded["lidocaine"]) if i.kind == "mention"}
    assert summary.n_papers == len(papers) > 1
    assert summary.concentrations and summary.concentrations[0].n_papers >= 1
    assert 1 <= len(summary.top_sentences) <= 5
    assert all(t.pmid in papers and t.sentence for t in summary.top_sentences)
    confidences = [t.confidence for t in summary.top_sentences]
    assert confidences == sorted(confidences, reverse=True)
    assert wb.evidence_summary("AAAAAAAAAAAAAA-AAAAAAAAAA-N") is None
    assert json.dumps([t.url for t in summary.top_sentences])
