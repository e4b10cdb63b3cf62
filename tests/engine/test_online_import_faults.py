"""Online imports through throttling and flaky networks: every compound lands exactly once.

"Exactly once" is checked two ways against a fault-free reference import: the same set of rows,
and the same row counts (so nothing was stored twice under a different retrieval).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from cryodesk.domain import JobState
from cryodesk.engine.jobs import run_job
from cryodesk.engine.online_import import PubChemImportJob, PubChemImportParams
from cryodesk.sources.http import ServiceRegistry
from cryodesk.store import Project
from tests.engine.test_online_import import project_rows, pubchem_client, reference_rows, row_counts, server
from tests.replay import Fault, ReplayServer
from tests.replay.faults import default_mix

__all__ = ["server"]


def _reference(tmp_path: Path, server: ReplayServer, params: PubChemImportParams) -> tuple[dict, dict]:
    rows = reference_rows(tmp_path, server, params)
    with Project.open(tmp_path / "reference.cryodesk") as project:
        counts = row_counts(project)
    server.reset()
    return rows, counts


def _cid_identifier_counts(project: Project) -> Counter[str]:
    return Counter(v for (v,) in project.db.query("SELECT value FROM identifiers WHERE kind = 'pubchem_cid'"))


def test_yellow_red_black_throttling_still_lands_every_compound_once(tmp_path: Path, server: ReplayServer) -> None:
    params = PubChemImportParams(cids=tuple(range(1, 151)), batch_size=10)
    want, want_counts = _reference(tmp_path, server, params)
    client = pubchem_client(server, ServiceRegistry(), batch_size=10)
    server.throttle.set("Yellow")
    server.faults.queue(Fault.busy(retry_after="0.2", colour="Red"), times=2)
    stage = {"red": False, "black": False}

    def escalate(done: int, total: int | None, message: str) -> None:
        if done >= 50 and not stage["red"]:
            stage["red"] = True
            server.throttle.set("Red")
        elif done >= 100 and not stage["black"]:
            stage["black"] = True
            server.faults.queue(Fault.busy(retry_after="0.2", colour="Black"))
            server.throttle.set("Green")

    with Project.open(tmp_path / "throttled.cryodesk") as project:
        outcome = run_job(project, PubChemImportJob(params, client), on_progress=escalate)
        assert outcome.state is JobState.DONE, outcome.error
        metrics = project.jobs.get(outcome.job_id).metrics
        assert metrics["throttle_yellow"] > 0 and metrics["throttle_red"] >= 2 and metrics["throttle_black"] >= 1
        assert metrics["retries"] >= 3 and metrics["rate_wait_seconds"] > 0
        assert project_rows(project) == want and row_counts(project) == want_counts
        assert set(_cid_identifier_counts(project).values()) == {1}
    client.close()


def test_twenty_percent_mixed_faults_land_every_compound_exactly_once(tmp_path: Path, server: ReplayServer) -> None:
    params = PubChemImportParams(cids=(*range(1, 241), 900_000_007), batch_size=8)
    want, want_counts = _reference(tmp_path, server, params)
    client = pubchem_client(server, ServiceRegistry(), batch_size=8, read_timeout=1.0)
    # Cycling through the mix: 503 + Retry-After, 500, HTML 502, a stall past the read timeout,
    # a body cut short, truncated JSON and a connection reset all happen in one short run.
    server.faults.random(rate=0.2, seed=2026, mix=default_mix(stall_seconds=1.3), cycle=True)

    with Project.open(tmp_path / "faulty.cryodesk") as project:
        outcome = run_job(project, PubChemImportJob(params, client))
        assert outcome.state is JobState.DONE, outcome.error
        injected = list(server.faults.injected)
        kinds = {f.kind if f.kind != "status" else f"{f.status}{'-html' if f.html else ''}" for f in injected}
        assert kinds == {"503", "500", "502-html", "stall", "truncate", "truncated_json", "reset"}
        metrics = project.jobs.get(outcome.job_id).metrics
        assert metrics["transient_failures"] == metrics["retries"] == len(injected)
        assert project_rows(project) == want and row_counts(project) == want_counts
        counts = _cid_identifier_counts(project)
        assert len(counts) == 240 and set(counts.values()) == {1}
    client.close()
