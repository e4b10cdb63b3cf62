"""Online import jobs (PubChem, ChEMBL) against the local replay server.

The replay server is the only fake: the jobs talk real HTTP to 127.0.0.1 through clients built
with the public constructors (a fresh rate-limiter/breaker registry per test, fast retries). The
helpers here (``pubchem_client``, ``project_rows``) are shared by the other online-import tests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cryodesk.domain import IdentifierKind, JobState, Method
from cryodesk.engine.jobs import run_job
from cryodesk.engine.online_import import (
    ChemblImportJob,
    ChemblImportParams,
    OnlineImportSummary,
    PubChemImportJob,
    PubChemImportParams,
)
from cryodesk.sources.chembl import ChemblClient, chembl_config
from cryodesk.sources.http import ResponseCache, RetryPolicy, ServiceRegistry, ThrottlePolicy
from cryodesk.sources.pubchem import PubChemClient, pubchem_config
from cryodesk.store import Project
from tests.replay import Fault, ReplayServer

FAST_RETRY = RetryPolicy(max_attempts=6, base_delay=0.02, max_delay=0.2, max_retry_after=0.5)


# -- helpers shared by the online-import tests -------------------------------------------------------
def pubchem_client(server: ReplayServer, registry: ServiceRegistry, *, batch_size: int = 100,
                   cache: ResponseCache | bool = False, rate: float = 200.0, **config: Any) -> PubChemClient:
    """A PubChem client for the replay server: fast retries, short pauses, given batch size."""
    settings: dict[str, Any] = {
        "base_url": server.pubchem_base, "rate": rate, "read_timeout": 2.0, "connect_timeout": 1.0,
        "retry": FAST_RETRY, "breaker_threshold": 8, "breaker_recovery": 0.3,
        "throttle_policy": ThrottlePolicy(black_pause=0.3), **config,
    }
    return PubChemClient(config=pubchem_config(**settings), cache=cache, registry=registry, chunk_size=batch_size,
                         view_base_url=server.pubchem_view_base)


def chembl_client(server: ReplayServer, registry: ServiceRegistry, *, batch_size: int = 50) -> ChemblClient:
    config = chembl_config(base_url=server.chembl_base, rate=200.0, read_timeout=2.0, retry=FAST_RETRY)
    return ChemblClient(config=config, cache=False, registry=registry, chunk_size=batch_size)


def project_rows(project: Project) -> dict[str, set[tuple]]:
    """Everything an import writes, minus what legitimately differs between runs (times, job ids)."""
    q = project.db.query
    return {
        "compounds": set(q("SELECT inchikey, smiles, inchi, name FROM compounds")),
        "identifiers": set(q("SELECT c.inchikey, i.kind, i.value, i.source, i.confidence FROM identifiers i"
                             " JOIN compounds c ON c.id = i.compound_id")),
        "values": set(q("SELECT c.inchikey, p.property, p.value, p.value_text, p.unit, p.method, p.conditions,"
                        " p.source, p.source_record_id, p.citation, p.flags"
                        " FROM property_values p JOIN compounds c ON c.id = p.compound_id")),
        "row_errors": set(q("SELECT row, field, reason, value FROM job_row_errors")),
    }


def row_counts(project: Project) -> dict[str, int]:
    """Row counts: with ``project_rows`` equal, equal counts show nothing was stored twice."""
    return {t: int(project.db.scalar(f"SELECT count(*) FROM {t}"))
            for t in ("compounds", "identifiers", "property_values", "job_row_errors")}


def reference_rows(tmp_path: Path, server: ReplayServer, params: PubChemImportParams) -> dict[str, set[tuple]]:
    """The rows of an uninterrupted, fault-free import of ``params`` into a fresh project."""
    with Project.open(tmp_path / "reference.cryodesk") as project:
        client = pubchem_client(server, ServiceRegistry(), batch_size=params.batch_size)
        try:
            outcome = run_job(project, PubChemImportJob(params, client))
        finally:
            client.close()
        assert outcome.state is JobState.DONE, outcome.error
        return project_rows(project)


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


@pytest.fixture
def registry() -> ServiceRegistry:
    return ServiceRegistry()


def _identifiers(project: Project, inchikey: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for ident in project.identifiers.for_compound(inchikey):
        out.setdefault(str(ident.kind), set()).add(ident.value)
    return out


# -- names, CIDs, similarity ---------------------------------------------------------------------------
def test_names_become_compounds_with_cas_and_provenance(project: Project, server: ReplayServer,
                                                        registry: ServiceRegistry) -> None:
    client = pubchem_client(server, registry)
    params = PubChemImportParams(names=("glycerol", "DMSO", "aspirin"))
    outcome = run_job(project, PubChemImportJob(params, client))
    assert outcome.state is JobState.DONE, outcome.error
    summary: OnlineImportSummary = outcome.result
    assert (summary.compounds_stored, summary.compounds_new, summary.rows_rejected) == (3, 3, 0)

    aspirin = "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"
    ids = _identifiers(project, aspirin)
    assert ids["pubchem_cid"] == {"2244"} and "aspirin" in ids["name"]
    assert "50-78-2" in ids["cas"]  # read from the recorded synonym list, checksum-valid
    assert ids["dtxsid"] == {"DTXSID5020108"} and "CHEMBL25" in ids["chembl_id"]
    cas = {i.value: i for i in project.identifiers.for_compound(aspirin) if i.kind is IdentifierKind.CAS}
    assert cas["50-78-2"].confidence == 0.9 and cas["50-78-2"].source == "pubchem"
    assert all(c.confidence < 0.9 for v, c in cas.items() if v != "50-78-2")
    assert project.compounds.get(aspirin).name == "aspirin"  # the name the user asked for

    values = {v.property: v for v in project.properties.for_compound(aspirin)}
    mw = values["molecular_weight"]
    assert (mw.value, mw.unit, mw.value_text) == (180.16, "g/mol", "180.16")
    prov = mw.provenance
    assert (prov.source, prov.method, prov.source_record_id, prov.job_id) == ("pubchem", Method.COMPUTED,
                                                                             "CID 2244", outcome.job_id)
    assert prov.retrieved_at and "public domain" in prov.citation
    # Glycerol's (generated) synonyms carry a checksum-valid CAS number: found by it.
    glycerol = project.compounds.search_ids("glycerol")
    assert len(glycerol) == 1
    assert {"cas", "pubchem_cid", "name"} <= set(_identifiers(project, "PEDCQBHIVMGVHV-UHFFFAOYSA-N"))
    assert [s.key for s in project.sources.list()] == ["pubchem"]
    client.close()


def test_unknown_names_and_cids_are_row_errors_and_the_rest_lands(project: Project, server: ReplayServer,
                                                                  registry: ServiceRegistry) -> None:
    client = pubchem_client(server, registry)
    params = PubChemImportParams(names=("glycerol", "unobtainium", "DMSO"), cids=(2244, 900_000_001))
    outcome = run_job(project, PubChemImportJob(params, client))
    assert outcome.state is JobState.DONE, outcome.error
    errors = {(e.row, e.field, e.value): e.reason for e in project.jobs.row_errors(outcome.job_id)}
    assert errors == {(2, "name", "unobtainium"): "not found in pubchem",
                      (2, "cid", "900000001"): "no such record in pubchem"}
    assert project.compounds.count() == 3
    job = project.jobs.get(outcome.job_id)
    assert (job.metrics["not_found_queries"], job.metrics["missing"], job.metrics["compounds_stored"]) == (1, 1, 3)
    # Only what the user asked for is stored with the job: no URL, no key, nothing from the environment.
    assert job.params == {"names": ["glycerol", "unobtainium", "DMSO"], "cids": [2244, 900_000_001],
                          "similar_to": None, "threshold": 90, "max_records": 100, "experimental": False,
                          "max_synonyms": 20, "batch_size": 100}
    assert "127.0.0.1" not in json.dumps([job.params, job.checkpoint, job.metrics])
    client.close()


def test_similarity_search_imports_its_hits(project: Project, server: ReplayServer,
                                            registry: ServiceRegistry) -> None:
    client = pubchem_client(server, registry, batch_size=4)
    params = PubChemImportParams(similar_to="CC(=O)Oc1ccccc1C(=O)O", threshold=90, max_records=10, batch_size=4)
    outcome = run_job(project, PubChemImportJob(params, client))
    assert outcome.state is JobState.DONE, outcome.error
    hits = client.similar_cids("CC(=O)Oc1ccccc1C(=O)O", threshold=90, max_records=10)
    assert outcome.result.total == len(hits) == 8
    cids = {v for (_, kind, v, _, _) in project_rows(project)["identifiers"] if kind == "pubchem_cid"}
    assert cids == {str(c) for c in hits}
    assert project.jobs.get(outcome.job_id).metrics["batches"] == 2
    client.close()


def test_unreadable_similarity_query_is_a_row_error(project: Project, server: ReplayServer,
                                                    registry: ServiceRegistry) -> None:
    client = pubchem_client(server, registry)
    outcome = run_job(project, PubChemImportJob(PubChemImportParams(similar_to="C1CC(", cids=(753,)), client))
    assert outcome.state is JobState.DONE
    (error,) = project.jobs.row_errors(outcome.job_id)
    assert error.field == "similar_to" and "rejected by pubchem" in error.reason
    assert project.compounds.count() == 1
    client.close()


def test_experimental_flag_adds_pug_view_values_with_their_sources(project: Project, server: ReplayServer,
                                                                   registry: ServiceRegistry) -> None:
    client = pubchem_client(server, registry)
    outcome = run_job(project, PubChemImportJob(PubChemImportParams(names=("ethylene glycol",), experimental=True),
                                                client))
    assert outcome.state is JobState.DONE, outcome.error
    values = project.properties.for_compound("LYCAIKOWRPUZTN-UHFFFAOYSA-N")
    measured = [v for v in values if v.provenance.method is Method.MEASURED]
    melting = [v for v in measured if v.property == "melting_point"]
    assert melting and all(v.value_text for v in melting)
    assert any(v.value is not None and v.unit == "°C" for v in melting)
    assert all(v.provenance.source_record_id.startswith("CID 174 ref ") for v in measured)
    assert all(v.provenance.citation for v in measured)  # the annotation's source (and licence)
    assert {"boiling_point", "density"} <= {v.property for v in measured}
    client.close()


def test_chembl_ids_and_smiles_with_activities(project: Project, server: ReplayServer,
                                               registry: ServiceRegistry) -> None:
    client = chembl_client(server, registry)
    params = ChemblImportParams(ids=("chembl25", "CHEMBL1082", "CHEMBL99999999"),
                                smiles=("OC(=O)c1ccccc1OC(C)=O", "C1CC("), activities=True)
    outcome = run_job(project, ChemblImportJob(params, client))
    assert outcome.state is JobState.DONE, outcome.error
    aspirin = "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"
    ids = _identifiers(project, aspirin)
    assert ids["chembl_id"] == {"CHEMBL25"} and "ASPIRIN" in ids["name"]
    values = {(v.property, v.provenance.method) for v in project.properties.for_compound(aspirin)}
    assert ("molecular_weight", Method.COMPUTED) in values and ("cc50", Method.MEASURED) in values
    ld50 = [v for v in project.properties.for_compound(aspirin) if v.property == "ld50"]
    assert ld50 and ld50[0].unit == "mg.kg-1" and ld50[0].conditions.startswith("assay CHEMBL")
    assert ld50[0].provenance.source == "chembl" and "CC BY-SA" in ld50[0].provenance.citation
    errors = {(e.row, e.field, e.value) for e in project.jobs.row_errors(outcome.job_id)}
    assert errors == {(3, "chembl_id", "CHEMBL99999999"), (2, "smiles", "C1CC(")}
    assert project.compounds.count() == 2  # the SMILES found CHEMBL25 again: stored once
    client.close()


# -- pause, resume, cache, failure -------------------------------------------------------------------
def _ask_from_another_connection(path: Path, job_id: int, control: str) -> None:
    """What ``cryodesk jobs pause ID`` does from another process: set the job's control column."""
    with Project.open(path) as other:
        other.jobs.request(job_id, control)


def test_pause_then_resume_finishes_with_the_uninterrupted_rows(tmp_path: Path, server: ReplayServer,
                                                                registry: ServiceRegistry) -> None:
    params = PubChemImportParams(cids=tuple(range(1, 121)) + (900_000_003,), batch_size=10)
    want = reference_rows(tmp_path, server, params)
    path = tmp_path / "paused.cryodesk"
    client = pubchem_client(server, registry, batch_size=10, rate=40.0)
    asked = threading.Event()

    with Project.open(path) as project:
        def pause_once(done: int, total: int | None, message: str) -> None:
            if done >= 30 and not asked.is_set():
                asked.set()
                _ask_from_another_connection(path, job_id_of(project), "pause")

        first = run_job(project, PubChemImportJob(params, client), on_progress=pause_once)
        assert first.state is JobState.PAUSED
        paused = project.jobs.get(first.job_id)
        assert 30 <= paused.done < 121 and paused.checkpoint["next"] == paused.done
        assert project.compounds.count() <= paused.done

        second = run_job(project, PubChemImportJob(params, client))  # same work: picks the paused job up
        assert second.state is JobState.DONE and second.resumed and second.job_id == first.job_id
        assert second.result.resumed_from == paused.done
        assert project_rows(project) == want
        assert project.jobs.get(first.job_id).metrics["runs"] == 2
    client.close()


def job_id_of(project: Project) -> int:
    return project.jobs.list(1)[0].id


def test_warm_cache_repeat_sends_no_requests(project: Project, server: ReplayServer, tmp_path: Path) -> None:
    params = PubChemImportParams(names=("glycerol", "DMSO", "unobtainium"), cids=tuple(range(1, 41)), batch_size=20)
    cache_dir = tmp_path / "http-cache"

    def run_once() -> Any:
        cache = ResponseCache("pubchem", cache_dir)  # a new process would open it like this
        client = pubchem_client(server, ServiceRegistry(), batch_size=20, cache=cache)
        try:
            return run_job(project, PubChemImportJob(params, client), resume=False)
        finally:
            client.close()
            cache.close()

    cold = run_once()
    sent = server.count()
    warm = run_once()
    assert cold.state is warm.state is JobState.DONE
    assert server.count() == sent  # nothing reached the server
    metrics = project.jobs.get(warm.job_id).metrics
    assert metrics["requests_sent"] == 0 and metrics["cache_hits"] == sent and metrics["cache_misses"] == 0
    assert metrics["rates"]["cache_hit_rate"] == 1.0
    assert warm.result.compounds_stored == cold.result.compounds_stored and warm.result.compounds_new == 0


def test_a_batch_that_keeps_failing_fails_the_job_and_resume_continues(
    tmp_path: Path, server: ReplayServer, registry: ServiceRegistry
) -> None:
    params = PubChemImportParams(cids=tuple(range(1, 101)), batch_size=10)
    want = reference_rows(tmp_path, server, params)
    client = pubchem_client(server, registry, batch_size=10, breaker_threshold=4)

    def break_the_service(done: int, total: int | None, message: str) -> None:
        if done >= 20 and not server.faults.pending():
            server.faults.queue(Fault.server_error(500), times=10_000, match="/property/")

    with Project.open(tmp_path / "failing.cryodesk") as project:
        failed = run_job(project, PubChemImportJob(params, client), on_progress=break_the_service)
        assert failed.state is JobState.FAILED
        assert "still failed after retries" in failed.error and f"cryodesk jobs resume {failed.job_id}" in failed.error
        job = project.jobs.get(failed.job_id)
        assert 20 <= job.done < 100 and f"{job.done} of 100 CIDs are stored" in failed.error
        assert job.metrics["breaker_openings"] >= 1 and job.metrics["transient_failures"] >= 4
        assert len(project.db.query("SELECT value FROM identifiers WHERE kind = 'pubchem_cid'")) == job.done

        server.faults.clear()
        while client.http.breaker_status().retry_in > 0:  # the breaker lets a probe through again
            threading.Event().wait(0.05)
        resumed = run_job(project, PubChemImportJob(params, client))
        assert resumed.state is JobState.DONE and resumed.job_id == failed.job_id
        assert resumed.result.resumed_from == job.done
        assert project_rows(project) == want
    client.close()


def test_parameters_are_checked_before_any_job_exists() -> None:
    from cryodesk.domain import InputError

    with pytest.raises(InputError, match="nothing to import"):
        PubChemImportParams()
    with pytest.raises(InputError, match="positive"):
        PubChemImportParams(cids=(0,))
    with pytest.raises(InputError, match="threshold"):
        PubChemImportParams(similar_to="CCO", threshold=120)
    with pytest.raises(InputError, match="batch size"):
        ChemblImportParams(ids=("CHEMBL25",), batch_size=500)
    restored = PubChemImportParams.from_dict(json.loads(json.dumps(
        {"names": ["a"], "cids": [1], "batch_size": 7, "unknown": 1})))
    assert restored == PubChemImportParams(names=("a",), cids=(1,), batch_size=7)
    # The batch size is how, not what: it does not change the job's identity.
    assert PubChemImportJob(restored).fingerprint() == PubChemImportJob(
        PubChemImportParams(names=("a",), cids=(1,))).fingerprint()
