"""The engine's toxicity report on a real project: measured calls, AOP pathways with a computed
cytotoxicity flag from a Tox21 per-assay file, and model predictions only for untested tasks."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cryodesk.domain import JobState
from cryodesk.engine.service import Workbench
from cryodesk.engine.tox21_import import Tox21ImportJob, Tox21ImportParams
from cryodesk.engine.toxicity import CSV_COLUMNS
from cryodesk.engine.training import train_and_register
from cryodesk.toxicity.pathways import FLAG_CONFOUNDED, FLAG_NO_POTENCY
from tests.conftest import DATA
from tests.engine.test_training import import_dataset, tiny_request, write_rows

HEADER = ["PROTOCOL_NAME", "SAMPLE_ID", "SAMPLE_NAME", "SAMPLE_DATA_TYPE", "SMILES", "ASSAY_OUTCOME",
          "CHANNEL_OUTCOME", "CURVE_RANK", "REPRODUCIBILITY", "AC50", "EFFICACY"]  # fmt: skip
P = "tox21-mitotox-p1"  # the protocol behind the 12-task SR-MMP column
PHENOL = "Oc1ccccc1"


@pytest.fixture(scope="module")
def wb(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("toxreport")
    bench = Workbench.open(tmp / "tox.cryodesk")
    import_dataset(bench, "tox21", write_rows(tmp / "tox.csv", DATA / "tox21" / "tox21.csv", 0, 300))
    row = train_and_register(bench.project, tiny_request("tox21:SR-MMP", promote=True))
    assert row.status == "promoted"
    yield bench
    bench.close()


def _key_with(wb: Workbench, tested: bool) -> str:
    rows = wb.project.db.query(
        "SELECT c.inchikey FROM compounds c WHERE (SELECT count(*) FROM assay_results r JOIN assays a"
        " ON a.id = r.assay_id WHERE r.compound_id = c.id AND a.key = 'tox21:SR-MMP') "
        + ("> 0" if tested else "= 0")
        + " AND EXISTS (SELECT 1 FROM assay_results r WHERE r.compound_id = c.id) ORDER BY c.id LIMIT 1"
    )
    assert rows, "the first 300 Tox21 rows have compounds with and without SR-MMP"
    return rows[0][0]


def test_untested_task_gets_a_prediction_with_uncertainty_tested_one_does_not(wb: Workbench) -> None:
    untested = wb.toxicity_report(_key_with(wb, tested=False))
    preds = {p.assay_key: p for p in untested.predicted}
    assert "tox21:SR-MMP" in preds and "tox21:SR-MMP" not in {c.assay_key for c in untested.profile.calls}
    mmp = preds["tox21:SR-MMP"]
    assert 0.0 <= mmp.probability <= 1.0 and mmp.uncertainty is not None and mmp.model == "tox21:SR-MMP v1"
    assert "tox21:NR-AR" in untested.untested_without_model or "tox21:NR-AR" in {
        c.assay_key for c in untested.profile.calls
    }
    tested = wb.toxicity_report(_key_with(wb, tested=True))
    assert "tox21:SR-MMP" not in {p.assay_key for p in tested.predicted}
    rows = wb.toxicity_csv_rows([untested.inchikey, tested.inchikey])
    kinds = {(r["inchikey"], r["assay_key"]): r["kind"] for r in rows}
    assert kinds[(untested.inchikey, "tox21:SR-MMP")] == "predicted"
    assert kinds[(tested.inchikey, "tox21:SR-MMP")] == "measured"
    assert all(set(r) == set(CSV_COLUMNS) for r in rows)


def test_per_assay_ac50_and_viability_make_the_cytotoxicity_flag_computable(
    wb: Workbench, tmp_path: Path
) -> None:
    rows = [
        [P, "NCGC-T1", "Phenol", "ratio", PHENOL, "active antagonist", "", "-9", "reproducible", "40", "-80"],
        [P, "NCGC-T1", "Phenol", "viability", PHENOL, "", "active", "-9", "", "35", "-90"],
    ]
    path = tmp_path / f"{P}.aggregrated.txt"
    with path.open("w", newline="") as f:
        csv.writer(f, delimiter="\t").writerows([HEADER, *rows])
    outcome = wb.import_source(Tox21ImportJob(Tox21ImportParams(str(path))))
    assert outcome.state is JobState.DONE, outcome.error
    key = wb.project.db.query("SELECT inchikey FROM compounds WHERE smiles = 'Oc1ccccc1'")[0][0]
    report = wb.toxicity_report(key)
    mito = next(p for p in report.pathways.pathways if p.pathway_id == "mitochondrial_dysfunction")
    ac50_hits = [h for h in mito.supporting + mito.confounded if h.ac50_um is not None]
    assert ac50_hits and all(h.flag == FLAG_CONFOUNDED for h in ac50_hits)  # 40 µM vs burst 35 µM
    assert report.pathways.burst.median_ac50_um == pytest.approx(35.0)
    # the seeded 12-task calls of the same compound carry no AC50: their flag stays unavailable
    others = [p for p in report.pathways.pathways if p.pathway_id != "mitochondrial_dysfunction"]
    assert all(h.flag == FLAG_NO_POTENCY for p in others for h in p.supporting)
