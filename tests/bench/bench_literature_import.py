"""Benchmark: the whole ``import_pubmed`` job (ESearch, EFetch, mining, storing) at NCBI's rate limit.

The replay server serves the 500 BC5CDR development abstracts (query ``all``) and enforces NCBI's
limit in a sliding 1 s window: 3 requests/s without an API key, 10/s with one. The client runs
at its policy rate (0.9 x the limit). One run = 1 ESearch page + ceil(500 / batch) EFetches, each
batch mined and written in one transaction with evidence, literature values and the checkpoint.
Prints JSON with, per scenario:

* ``records_per_s`` (wall clock, search included) against ``ceiling_records_per_s``: what the
  rate limiter alone allows (the first request goes at once, each further one waits 1/rate);
* ``violations``: requests the server counted over the limit (goal 0);
* ``rate_wait_seconds``: time spent waiting for rate-limit tokens (the rest is HTTP, mining and
  storing, overlapped by the prefetching of the next batch);
* ``warm_cache``: the same import from a warm HTTP cache into a fresh project (no requests): the
  speed of parsing, mining and storing alone.

Run: ``python tests/bench/bench_literature_import.py`` (about 15 s).
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryodesk.domain import JobState  # noqa: E402
from cryodesk.engine.jobs import run_job  # noqa: E402
from cryodesk.engine.literature_import import PubMedImportJob, PubMedImportParams  # noqa: E402
from cryodesk.sources.http import ResponseCache, ServiceRegistry  # noqa: E402
from cryodesk.sources.pubmed import PubMedClient, ncbi_config  # noqa: E402
from cryodesk.store import Project  # noqa: E402
from tests.engine.test_literature_import import literature_rows, seed_compounds  # noqa: E402
from tests.replay import ReplayServer  # noqa: E402
from tests.replay.ncbi_routes import corpus, generated_article  # noqa: E402

QUERY = "all"  # the replay server's word for "every abstract of the corpus"
N_RECORDS = 500


def run_import(server: ReplayServer, workdir: Path, label: str, *, api_key: str | None, batch: int,
               cache_dir: Path | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """One full job into a fresh project; returns (figures, rows for comparison)."""
    config = ncbi_config(api_key, base_url=server.ncbi_base)
    cache = ResponseCache("ncbi", cache_dir) if cache_dir is not None else False
    client = PubMedClient(config=config, cache=cache, registry=ServiceRegistry(), email="bench@example.org",
                          batch_size=batch)
    seen_before, violations_before = len(server.requests), server.violations
    with Project.open(workdir / f"{label}.cryodesk") as project:
        seed_compounds(project, mixtures=True)
        started = time.monotonic()
        outcome = run_job(project, PubMedImportJob(PubMedImportParams(QUERY, N_RECORDS, batch), client))
        seconds = time.monotonic() - started
        assert outcome.state is JobState.DONE, outcome.error
        metrics = project.jobs.get(outcome.job_id).metrics
        rows = literature_rows(project)
        counts = {t: int(project.db.scalar(f"SELECT count(*) FROM {t}"))
                  for t in ("literature_records", "evidence", "property_values")}
    client.close()
    if isinstance(cache, ResponseCache):
        cache.close()
    requests = 1 + math.ceil(N_RECORDS / batch)
    ceiling_seconds = (requests - 1) / config.rate
    stored = metrics["records_stored"]
    figures = {
        "api_key": api_key is not None,
        "client_rate": round(config.rate, 2),
        "batch_size": batch,
        "records": stored,
        "seconds": round(seconds, 2),
        "records_per_s": round(stored / seconds, 1),
        "ceiling_records_per_s": round(stored / ceiling_seconds, 1),
        "requests_sent": metrics["requests_sent"],
        "requests_seen_by_server": len(server.requests) - seen_before,
        "violations": server.violations - violations_before,
        "retries": metrics["retries"],
        "cache_hits": metrics["cache_hits"],
        "rate_wait_seconds": metrics["rate_wait_seconds"],
        "evidence_new": metrics["evidence_new"],
        "values_new": metrics["values_new"],
        "row_counts": counts,
    }
    return figures, rows


def main() -> None:
    for pmid in corpus():  # build the replies once, so the runs time the job, not the server
        generated_article(pmid)
    report: dict[str, Any] = {"benchmark": "literature_import", "query": QUERY, "records": N_RECORDS,
                              "corpus": "BC5CDR development set (500 PubMed abstracts)"}
    with tempfile.TemporaryDirectory() as tmp, ReplayServer(rate_limit=3.0) as server:
        work, cache_dir = Path(tmp), Path(tmp) / "http-cache"
        report["no_key_batch200"], clean_rows = run_import(server, work, "nokey200", api_key=None, batch=200,
                                                           cache_dir=cache_dir)
        time.sleep(1.1)  # let the server's 1 s window empty between runs
        report["no_key_batch50"], rows50 = run_import(server, work, "nokey50", api_key=None, batch=50)
        report["no_key_batch50"]["same_rows_as_batch200"] = rows50 == clean_rows
        time.sleep(1.1)
        server.set_rate_limit(10.0)
        report["with_key_batch50"], _ = run_import(server, work, "key50", api_key="bench-key", batch=50)
        time.sleep(1.1)
        warm, warm_rows = run_import(server, work, "warm", api_key=None, batch=200, cache_dir=cache_dir)
        report["warm_cache"] = {k: warm[k] for k in ("requests_sent", "requests_seen_by_server", "cache_hits", "seconds",
                                                     "records_per_s")}
        report["warm_cache"]["same_rows_as_clean"] = warm_rows == clean_rows
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
