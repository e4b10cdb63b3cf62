"""Benchmark: target activity models from stored Tox21/ToxCast results grouped by target (issue 13).

Builds a fresh project from the real data shipped with the repository and the shared data folder:
the default library (its Tox21 challenge file: 12 tasks) and the MoleculeNet ToxCast hit-call matrix
(``/work/shared/data/toxcast/toxcast.csv.gz``). ``engine.targets.build_target_assays`` groups the
mapped assays (``resources/targets/assay_targets.csv``) into ``target:<GENE> <mode>`` assays; a target
has "enough data" with at least ``--min-labelled`` compounds labelled by majority vote and
``--min-actives`` actives. Each such target is trained through ``Workbench.train_model`` (the model
layer) and scored once on the deterministic scaffold split's test rows.

Small budget (a shared 2-core machine): random forest only, ``--trees`` trees, 3 inner folds, the
``default`` descriptor set. Prints one JSON document (and writes it to ``--out``).

Run: ``nice -n 5 .venv/bin/python tests/bench/bench_target_models.py --out /tmp/bench_targets.json``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("CRYODESK_SHARED", REPO.parent / "shared"))
TOXCAST = SHARED / "data" / "toxcast" / "toxcast.csv.gz"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--min-labelled", type=int, default=500)
    parser.add_argument("--min-actives", type=int, default=40)
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument(
        "--targets", help="comma-separated target labels to train (default: all with enough data)"
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("CRYODESK_HOME", tempfile.mkdtemp(prefix="bench_targets_home_"))

    from cryodesk.engine.service import Workbench
    from cryodesk.engine.targets import build_target_assays, target_label_counts
    from cryodesk.engine.toxcast_import import ToxcastImportParams
    from cryodesk.engine.training import TrainRequest

    doc: dict[str, Any] = {"load_avg_start": os.getloadavg(), "toxcast_file": str(TOXCAST)}
    workdir = Path(tempfile.mkdtemp(prefix="bench_targets_"))
    wb = Workbench.open(workdir / "targets.cryodesk")
    try:
        t0 = time.perf_counter()
        seeded = wb.seed_default_library()
        doc["seed_s"] = round(time.perf_counter() - t0, 1)
        doc["seed_state"] = str(seeded.state)
        t0 = time.perf_counter()
        tox = wb.import_toxcast(ToxcastImportParams(str(TOXCAST), workers=2))
        doc["toxcast_import_s"] = round(time.perf_counter() - t0, 1)
        doc["toxcast_state"] = str(tox.state)
        groups = build_target_assays(wb.project)
        chosen = set(args.targets.split(",")) if args.targets else None
        doc["targets"] = []
        for group in groups:
            labelled, actives, ties = target_label_counts(wb.project, group.assay_key)
            label = group.assay_key.removeprefix("target:")
            entry: dict[str, Any] = {
                "target": label,
                "gene": group.target_gene,
                "mode": group.mode,
                "training_source": sorted({k.split(":", 1)[0] for k in group.source_assays}),
                "source_assays": list(group.source_assays),
                "labelled_compounds": labelled,
                "actives": actives,
                "tied_unlabelled": ties,
                "enough_data": labelled >= args.min_labelled and actives >= args.min_actives,
            }
            doc["targets"].append(entry)
            if not entry["enough_data"] or (chosen is not None and label not in chosen):
                continue
            request = TrainRequest(
                target=group.assay_key,
                name=f"target {label}",
                members=("rf",),
                split="scaffold",
                n_folds=3,
                feature_sets=("default",),
                params={"rf": {"n_estimators": args.trees}},
            )
            t0 = time.perf_counter()
            outcome = wb.train_model(request)
            entry["train_s"] = round(time.perf_counter() - t0, 1)
            if outcome.error:
                entry["error"] = outcome.error
                continue
            row = wb.model(f"target {label}")
            held = row.metrics_dict.get("held_out", {})
            entry["split"] = held.get("split")
            entry["held_out"] = held.get("mean", {}).get("ensemble", held.get("mean"))
            print(
                json.dumps(
                    {k: entry[k] for k in ("target", "labelled_compounds", "actives", "held_out")},
                    default=str,
                ),
                file=sys.stderr,
            )
            if args.out:
                args.out.write_text(json.dumps(doc, indent=2, default=str))
        doc["trained"] = [t["target"] for t in doc["targets"] if "held_out" in t]
        doc["load_avg_end"] = os.getloadavg()
    finally:
        wb.close()
    text = json.dumps(doc, indent=2, default=str)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
