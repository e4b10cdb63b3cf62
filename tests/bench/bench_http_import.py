"""Benchmark: importing PubChem properties for 2,000 CIDs from the local replay server.

Prints JSON with four runs against a server that enforces 5 requests/s (sliding 1 s window,
over-limit requests answered 503 + Retry-After like PubChem):

* ``clean``: client rate 0.95 x the limit, batches of 100 CIDs; compounds/s against the ceiling
  (limit x batch size) and the server's count of rate-limit violations;
* ``policy_rate``: the same at CryoDesk's default PubChem rate (4/s) for reference;
* ``faults_20pct``: 20 % of requests fail with mixed faults (503 + Retry-After, 500, HTML 502,
  stalls past the read timeout, truncated bodies, truncated JSON, connection resets); every CID
  must come back exactly once; retries counted;
* ``warm_cache``: the clean run repeated on its warm cache: requests sent and time.

Run: ``python tests/bench/bench_http_import.py`` (about 30 s).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryodesk.sources.http import ResponseCache, RetryPolicy, ServiceRegistry  # noqa: E402
from cryodesk.sources.pubchem import PubChemClient, pubchem_config  # noqa: E402
from tests.replay import ReplayServer  # noqa: E402
from tests.replay.faults import default_mix  # noqa: E402
from tests.replay.generate import property_row  # noqa: E402

N_CIDS = 2000
BATCH = 100
SERVER_LIMIT = 5.0
WORKERS = 4
READ_TIMEOUT = 2.0
PROPERTIES = ["MolecularFormula", "MolecularWeight", "SMILES", "ConnectivitySMILES", "InChIKey", "XLogP", "TPSA"]


def import_properties(
    server: ReplayServer, cids: list[int], *, rate: float, cache_dir: Path | None, batch: int = BATCH
) -> dict[str, Any]:
    """Fetch all CIDs in batches from WORKERS threads sharing one client; return the figures."""
    config = pubchem_config(
        base_url=server.pubchem_base,
        rate=rate,
        read_timeout=READ_TIMEOUT,
        retry=RetryPolicy(max_attempts=8, base_delay=0.25, max_delay=2.0),
        breaker_threshold=8,
        breaker_recovery=2.0,
    )
    cache = ResponseCache("pubchem", cache_dir) if cache_dir is not None else False
    client = PubChemClient(config=config, cache=cache, registry=ServiceRegistry(), chunk_size=batch)
    chunks = [cids[i : i + batch] for i in range(0, len(cids), batch)]
    before = len(server.requests)
    violations_before = server.violations
    started = time.monotonic()
    with ThreadPoolExecutor(WORKERS) as pool:
        batches = list(pool.map(lambda chunk: client.property_batch(chunk, PROPERTIES), chunks))
    seconds = time.monotonic() - started
    metrics = client.metrics()
    client.close()
    if isinstance(cache, ResponseCache):
        cache.close()
    returned = Counter(record.cid for batch in batches for record in batch.records)
    compounds = sum(returned.values())
    ceiling = SERVER_LIMIT * batch
    return {
        "client_rate": rate,
        "batch_size": batch,
        "requests_sent": metrics.requests_sent,
        "requests_seen_by_server": len(server.requests) - before,
        "retries": metrics.retries,
        "seconds": round(seconds, 2),
        "compounds": compounds,
        "compounds_per_s": round(compounds / seconds, 1),
        "ceiling_compounds_per_s": ceiling,
        "pct_of_ceiling": round(100 * compounds / seconds / ceiling, 1),
        "violations": server.violations - violations_before,
        "every_cid_once": set(returned) == set(cids) and max(returned.values()) == 1,
        "duplicates": sum(n - 1 for n in returned.values() if n > 1),
        "missing": len(set(cids) - set(returned)),
        "cache_hits": metrics.cache_hits,
        "throttle_events": dict(metrics.throttle_events),
        "breaker_openings": metrics.breaker_openings,
    }


def main() -> None:
    cids = list(range(1, N_CIDS + 1))
    for cid in cids:  # generate the replies once, so the runs time HTTP, not RDKit
        property_row(cid, PROPERTIES)
    report: dict[str, Any] = {"benchmark": "http_import", "cids": N_CIDS, "batch_size": BATCH}
    report["server_rate_limit"] = SERVER_LIMIT
    report["workers"] = WORKERS
    with tempfile.TemporaryDirectory() as tmp, ReplayServer(rate_limit=SERVER_LIMIT) as server:
        cache_dir = Path(tmp)
        report["clean"] = import_properties(server, cids, rate=0.95 * SERVER_LIMIT, cache_dir=cache_dir)
        time.sleep(1.1)  # let the server's 1 s window empty between runs
        report["policy_rate"] = import_properties(server, cids, rate=4.0, cache_dir=None)
        time.sleep(1.1)
        report["faults_20pct"] = faulty_import(server, cids, BATCH)
        time.sleep(1.1)
        # More, smaller requests: the same 20 % rate exercises every kind of fault.
        report["faults_20pct_batch25"] = faulty_import(server, cids, 25)
        time.sleep(1.1)
        warm = import_properties(server, cids, rate=0.95 * SERVER_LIMIT, cache_dir=cache_dir)
        report["warm_cache"] = {
            k: warm[k] for k in ("requests_sent", "requests_seen_by_server", "cache_hits", "seconds", "every_cid_once")
        }
    print(json.dumps(report, indent=2))


def faulty_import(server: ReplayServer, cids: list[int], batch: int) -> dict[str, Any]:
    mix = default_mix(stall_seconds=READ_TIMEOUT + 0.5)
    server.faults.random(rate=0.2, seed=2026 + batch, mix=mix, cycle=True)
    try:
        figures = import_properties(server, cids, rate=0.95 * SERVER_LIMIT, cache_dir=None, batch=batch)
        injected = list(server.faults.injected)
    finally:
        server.faults.clear()
    figures["fault_rate"] = 0.2
    figures["faults_injected"] = dict(Counter(_fault_name(f) for f in injected))
    return figures


def _fault_name(fault: Any) -> str:
    if fault.kind == "status":
        return f"{fault.status}{'-html' if fault.html else ''}"
    return str(fault.kind)


if __name__ == "__main__":
    main()
