"""Benchmark: 2,000 PubChem CIDs through the whole ``import_pubchem`` job (fetch, standardise, store).

The replay server enforces 5 requests/s (sliding 1 s window; over-limit requests are answered
503 + Retry-After like PubChem). Every batch of 100 CIDs costs two requests (properties and
synonyms), so the ceiling is ``5 / 2 * 100 = 250`` compounds/s. Prints JSON with:

* ``clean``: client rate 0.95 x the limit; compounds/s against the ceiling, the server's count of
  rate-limit violations (goal 0), the split of time between waiting for tokens and the rest;
* ``policy_rate``: the same at CryoDesk's default PubChem rate (4/s), for reference;
* ``faults_20pct`` (and ``faults_20pct_batch25``, more requests): 20 % of requests fail with mixed faults (503 + Retry-After, 500, HTML 502,
  stalls past the read timeout, truncated bodies, truncated JSON, connection resets); the project
  must end up with exactly the rows of the clean run (every compound exactly once); retries counted;
* ``warm_cache``: the clean import repeated into a fresh project on the clean run's warm cache:
  requests sent (goal 0) and time (standardise + store only).

Run: ``python tests/bench/bench_online_import.py`` (about two minutes).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryodesk.domain import JobState  # noqa: E402
from cryodesk.engine.jobs import run_job  # noqa: E402
from cryodesk.engine.online_import import PubChemImportJob, PubChemImportParams  # noqa: E402
from cryodesk.sources.http import ResponseCache, RetryPolicy, ServiceRegistry  # noqa: E402
from cryodesk.sources.pubchem import DEFAULT_PROPERTIES, PubChemClient, pubchem_config  # noqa: E402
from cryodesk.store import Project  # noqa: E402
from tests.engine.test_online_import import project_rows, row_counts  # noqa: E402
from tests.replay import ReplayServer  # noqa: E402
from tests.replay.faults import default_mix  # noqa: E402
from tests.replay.generate import property_row, synonyms_for  # noqa: E402

N_CIDS = 2000
BATCH = 100
SERVER_LIMIT = 5.0
REQUESTS_PER_BATCH = 2  # properties + synonyms
READ_TIMEOUT = 2.0


def run_import(server: ReplayServer, workdir: Path, label: str, *, rate: float, cache_dir: Path | None,
               batch: int = BATCH) -> tuple[dict[str, Any], dict[str, Any]]:
    """One full job into a fresh project; returns (figures, rows for comparison)."""
    config = pubchem_config(
        base_url=server.pubchem_base, rate=rate, read_timeout=READ_TIMEOUT,
        retry=RetryPolicy(max_attempts=8, base_delay=0.25, max_delay=2.0), breaker_threshold=8, breaker_recovery=2.0,
    )
    cache = ResponseCache("pubchem", cache_dir) if cache_dir is not None else False
    client = PubChemClient(config=config, cache=cache, registry=ServiceRegistry(), chunk_size=batch)
    params = PubChemImportParams(cids=tuple(range(1, N_CIDS + 1)), batch_size=batch)
    seen_before, violations_before = len(server.requests), server.violations
    with Project.open(workdir / f"{label}.cryodesk") as project:
        started = time.monotonic()
        outcome = run_job(project, PubChemImportJob(params, client))
        seconds = time.monotonic() - started
        assert outcome.state is JobState.DONE, outcome.error
        metrics = project.jobs.get(outcome.job_id).metrics
        rows, counts = project_rows(project), row_counts(project)
    client.close()
    if isinstance(cache, ResponseCache):
        cache.close()
    stored = metrics["compounds_stored"]
    ceiling = SERVER_LIMIT / REQUESTS_PER_BATCH * batch
    figures = {
        "client_rate": rate,
        "batch_size": batch,
        "seconds": round(seconds, 2),
        "compounds_stored": stored,
        "compounds_per_s": round(stored / seconds, 1),
        "ceiling_compounds_per_s": ceiling,
        "pct_of_ceiling": round(100 * stored / seconds / ceiling, 1),
        "violations": server.violations - violations_before,
        "requests_sent": metrics["requests_sent"],
        "requests_seen_by_server": len(server.requests) - seen_before,
        "retries": metrics["retries"],
        "cache_hits": metrics["cache_hits"],
        "rate_wait_seconds": metrics["rate_wait_seconds"],
        "throttle_events": {c: metrics[f"throttle_{c.lower()}"] for c in ("Yellow", "Red", "Black")},
        "breaker_openings": metrics["breaker_openings"],
        "job_records_per_s": metrics["rates"]["records_per_s"],
        "row_counts": counts,
    }
    return figures, rows


def main() -> None:
    for cid in range(1, N_CIDS + 1):  # generate the replies once, so the runs time the job, not the server
        property_row(cid, list(DEFAULT_PROPERTIES))
        synonyms_for(cid)
    report: dict[str, Any] = {
        "benchmark": "online_import", "cids": N_CIDS, "batch_size": BATCH, "server_rate_limit": SERVER_LIMIT,
        "requests_per_batch": REQUESTS_PER_BATCH,
    }
    with tempfile.TemporaryDirectory() as tmp, ReplayServer(rate_limit=SERVER_LIMIT) as server:
        work, cache_dir = Path(tmp), Path(tmp) / "http-cache"
        report["clean"], clean_rows = run_import(server, work, "clean", rate=0.95 * SERVER_LIMIT, cache_dir=cache_dir)
        time.sleep(1.1)  # let the server's 1 s window empty between runs
        report["policy_rate"], _ = run_import(server, work, "policy", rate=4.0, cache_dir=None)
        time.sleep(1.1)
        report["faults_20pct"] = faulty_import(server, work, BATCH, clean_rows, report["clean"]["row_counts"])
        time.sleep(1.1)
        # More, smaller requests: the same 20 % rate meets every kind of fault.
        report["faults_20pct_batch25"] = faulty_import(server, work, 25, clean_rows, report["clean"]["row_counts"])
        time.sleep(1.1)
        warm, warm_rows = run_import(server, work, "warm", rate=0.95 * SERVER_LIMIT, cache_dir=cache_dir)
        report["warm_cache"] = {
            k: warm[k] for k in ("requests_sent", "requests_seen_by_server", "cache_hits", "seconds", "compounds_per_s")
        }
        report["warm_cache"]["same_rows_as_clean"] = warm_rows == clean_rows
    print(json.dumps(report, indent=2))


def faulty_import(server: ReplayServer, work: Path, batch: int, clean_rows: dict[str, Any],
                  clean_counts: dict[str, int]) -> dict[str, Any]:
    """The clean import with 20 % mixed faults; its rows must equal the clean run's."""
    server.faults.random(rate=0.2, seed=2026 + batch, mix=default_mix(stall_seconds=READ_TIMEOUT + 0.5), cycle=True)
    try:
        figures, rows = run_import(server, work, f"faults{batch}", rate=0.95 * SERVER_LIMIT, cache_dir=None,
                                   batch=batch)
        injected = Counter(_fault_name(f) for f in server.faults.injected)
    finally:
        server.faults.clear()
    figures["fault_rate"] = 0.2
    figures["faults_injected"] = dict(injected)
    figures["every_compound_exactly_once"] = rows == clean_rows and figures["row_counts"] == clean_counts
    return figures


def _fault_name(fault: Any) -> str:
    if fault.kind == "status":
        return f"{fault.status}{'-html' if fault.html else ''}"
    return str(fault.kind)


if __name__ == "__main__":
    main()
