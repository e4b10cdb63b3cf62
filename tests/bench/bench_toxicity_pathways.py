"""Figures for the AOP mapping: the table's size and sources, and how many Tox21 compounds of the seeded
default library get at least one pathway with two or more agreeing independent assays.

Run: ``nice -n 5 .venv/bin/python tests/bench/bench_toxicity_pathways.py [PROJECT]`` (without PROJECT a
fresh default library is seeded in a temporary folder). Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path


def main(argv: list[str]) -> dict[str, object]:
    from cryodesk.engine.service import Workbench
    from cryodesk.engine.toxicity import aop_table, observations_for
    from cryodesk.toxicity.pathways import pathway_report

    start = time.perf_counter()
    tmp = None
    if argv:
        path = Path(argv[0])
    else:
        tmp = tempfile.TemporaryDirectory()
        path = Path(tmp.name) / "default.cryodesk"
    wb = Workbench.open(path)
    seeded_s = None
    if not wb.project.assays.count_results():
        t = time.perf_counter()
        outcome = wb.seed_default_library()
        seeded_s = round(time.perf_counter() - t, 1)
        if outcome.error:
            raise SystemExit(outcome.error)
    table = aop_table()
    keys = [
        r[0]
        for r in wb.project.db.query(
            "SELECT DISTINCT c.inchikey FROM compounds c JOIN assay_results r ON r.compound_id = c.id"
            " JOIN assays a ON a.id = r.assay_id WHERE a.key LIKE 'tox21:%' ORDER BY c.inchikey"
        )
    ]
    t = time.perf_counter()
    strongest: Counter[int] = Counter()
    by_pathway: Counter[str] = Counter()
    with_any_hit = 0
    flag_states: Counter[str] = Counter()
    for key in keys:
        report = pathway_report(key, observations_for(wb.project, key), table)
        strongest[min(report.strongest(), 3)] += 1
        with_any_hit += any(p.supporting or p.confounded for p in report.pathways)
        for p in report.pathways:
            if p.agreeing_assays >= 2:
                by_pathway[p.pathway_id] += 1
            if p.supporting or p.confounded:
                flag_states[p.flag_state] += 1
    mapping_s = time.perf_counter() - t
    wb.close()
    if tmp is not None:
        tmp.cleanup()
    summary = table.summary()
    return {
        "aop_table": {
            **summary,
            "file": "resources/aop/assay_aop_map.csv",
            "sources": "resources/aop/README.md (AOP-Wiki ids; see id_status)",
        },
        "tox21_compounds": len(keys),
        "with_any_pathway_hit": with_any_hit,
        "with_pathway_ge2_agreeing_assays": sum(v for k, v in strongest.items() if k >= 2),
        "strongest_pathway_histogram": {str(k) if k < 3 else ">=3": v for k, v in sorted(strongest.items())},
        "pathways_with_ge2_agreeing": dict(by_pathway.most_common()),
        "cytotoxicity_flag_states": dict(flag_states.most_common()),
        "seed_seconds": seeded_s,
        "mapping_seconds": round(mapping_s, 2),
        "ms_per_compound": round(1000 * mapping_s / max(1, len(keys)), 3),
        "total_seconds": round(time.perf_counter() - start, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


if __name__ == "__main__":  # process pools (seeding) need the guard
    print(json.dumps(main(sys.argv[1:]), indent=2))
