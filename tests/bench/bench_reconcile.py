"""Reconciliation on real conflicting values, and lineage, on the default library (issue 9). Prints JSON.

- the reconcile run over every numeric property of the seeded library: groups, conflicts beyond the
  property's tolerance, which rule decided, and the time it took;
- the melting-point example: compounds with a value from both Bradley (degC) and Koop (K), compared
  after unit conversion: the largest disagreements, some agreements, and the rule that chose each value;
- reading "the value" through reconciliation: a whole column, and one compound (p50/p99 latency);
- the quality report of the two sources (conflicts, reference check against the reference CPAs);
- the lineage of one stored value, and of one prediction (a small Tg model is trained for it unless
  ``--no-model``; the model layer belongs to the prediction-service work, so a failure there is reported,
  not raised).

Run: .venv/bin/python tests/bench/bench_reconcile.py [--project seeded.cryodesk] [--no-model]
(``--project`` is copied first: the bench never changes it.)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from cryodesk.domain import JobState  # noqa: E402
from cryodesk.engine.reconcile import explain_decision, reconciled_values, the_value  # noqa: E402
from cryodesk.engine.service import Workbench  # noqa: E402
from cryodesk.store import quality_queries as qq  # noqa: E402

GLYCEROL = "PEDCQBHIVMGVHV-UHFFFAOYSA-N"
AGREEING = ("PEDCQBHIVMGVHV-UHFFFAOYSA-N", "OKKJLVBELUTLKV-UHFFFAOYSA-N", "YPFDHNVEDLHUCE-UHFFFAOYSA-N")


def open_project(args: argparse.Namespace, tmp: Path) -> tuple[Workbench, float | None]:
    target = tmp / "bench.cryodesk"
    if args.project:
        shutil.copy(args.project, target)
        return Workbench.open(target), None
    wb = Workbench.open(target)
    start = time.perf_counter()
    outcome = wb.seed_default_library()
    if outcome.state is not JobState.DONE:
        raise SystemExit(f"seeding failed: {outcome.error}")
    return wb, round(time.perf_counter() - start, 1)


def two_source_melting_points(wb: Workbench) -> dict[str, object]:
    """Melting points of compounds that both Bradley (degC) and Koop (K) report."""
    decisions = reconciled_values(wb.project, "melting_point")
    both = [d for d in decisions.values() if {c.source for c in d.candidates} >= {"bradley_mp", "koop_tg"}]
    names = qq.compound_keys(wb.project.db, [d.compound_id for d in both])
    conflicts = sorted((d for d in both if d.conflict), key=lambda d: -d.spread)
    agreeing = [d for d in both if names[d.compound_id][0] in AGREEING]
    differences = [abs(_mean(d, "bradley_mp") - _mean(d, "koop_tg")) for d in both]
    return {
        "compounds_with_both_sources": len(both),
        "conflicting_beyond_5_degC": len(conflicts),
        "median_abs_difference_degC": round(statistics.median(differences), 3),
        "chosen_by": dict(Counter(d.rule for d in both).most_common()),
        "largest_conflicts": [explain_decision(d, names[d.compound_id]) for d in conflicts[:5]],
        "agreements": [explain_decision(d, names[d.compound_id]) for d in agreeing],
    }


def _mean(decision, source: str) -> float:
    return statistics.fmean(c.value for c in decision.candidates if c.source == source)


def read_latency(wb: Workbench, repeats: int = 200) -> dict[str, float]:
    compound_id = wb.project.compounds.ids_for([GLYCEROL])[GLYCEROL]
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        the_value(wb.project, compound_id, "melting_point")
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    start = time.perf_counter()
    column = reconciled_values(wb.project, "melting_point")
    column_ms = (time.perf_counter() - start) * 1000
    return {"one_value_p50_ms": round(samples[len(samples) // 2], 3),
            "one_value_p99_ms": round(samples[int(len(samples) * 0.99) - 1], 3),
            "melting_point_column_ms": round(column_ms, 1), "melting_point_column_compounds": len(column)}


def source_quality(wb: Workbench) -> dict[str, object]:
    report = wb.quality_report()
    keep = ("conflicts", "reference", "rejected", "reconciled")
    return {s["source"]: {k: s[k] for k in keep} for s in report["sources"] if s["source"] in ("bradley_mp", "koop_tg")}


def prediction_lineage(wb: Workbench, skip: bool) -> dict[str, object]:
    if skip:
        return {"skipped": "--no-model"}
    try:
        from cryodesk.engine.training import TrainRequest

        request = TrainRequest(target="tg", name="Tg-bench", members=("rf",), n_folds=3, promote=True,
                               params={"rf": {"n_estimators": 50}})
        outcome = wb.train_model(request)
        if outcome.state is not JobState.DONE:
            return {"skipped": f"training failed: {outcome.error}"}
        wb.predict("Tg-bench", [GLYCEROL])
        lineage = wb.prediction_lineage("Tg-bench", GLYCEROL)
        return {"lines": lineage.lines(), "chain": lineage.as_dict()}
    except Exception as exc:  # the model layer is another work package: report, do not hide the rest
        return {"skipped": f"{type(exc).__name__}: {exc}"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", help="a seeded project to copy (default: seed a fresh one)")
    parser.add_argument("--no-model", action="store_true", help="skip training the model for the prediction lineage")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wb, seed_s = open_project(args, Path(tmp))
        try:
            n_values = wb.project.properties.count()
            start = time.perf_counter()
            outcome = wb.reconcile()
            reconcile_s = time.perf_counter() - start
            summary = outcome.result
            value_lineage = wb.property_lineage(GLYCEROL, "melting_point")
            figures = {
                "seed_s": seed_s,
                "reconcile": {
                    "job_id": outcome.job_id, "seconds": round(reconcile_s, 2),
                    "values_before": n_values, "values_after": wb.project.properties.count(),
                    "properties": {p.property: {"unit": p.unit, "multi_valued_compounds": p.groups,
                                                "conflicts": p.conflicts, "by_rule": p.by_rule,
                                                "flags_written": p.flags_changed}
                                   for p in summary.properties},
                },
                "melting_points_bradley_vs_koop": two_source_melting_points(wb),
                "read_through": read_latency(wb),
                "quality": source_quality(wb),
                "value_lineage": {"lines": value_lineage[0].lines(), "chain": value_lineage[0].as_dict()},
                "prediction_lineage": prediction_lineage(wb, args.no_model),
            }
        finally:
            wb.close()
    json.dump(figures, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
