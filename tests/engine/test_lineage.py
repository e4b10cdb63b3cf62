"""Lineage: source record -> import job -> standardisation -> (reconciliation | feature set -> model -> prediction)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cryodesk.domain import JobState
from cryodesk.engine.file_import import FileImportParams
from cryodesk.engine.lineage import feature_parts, prediction_lineage, resolve_model, value_lineage
from cryodesk.engine.reconcile import ReconcileRules
from cryodesk.engine.service import Workbench

GLYCEROL = "PEDCQBHIVMGVHV-UHFFFAOYSA-N"
CSV = """name,smiles,Tg (K),CAS
glycerol,OCC(O)CO,190,56-81-4
ethylene glycol,OCCO,151,107-21-1
"""
CSV_2 = """name,smiles,Tg (K)
glycerol,OCC(O)CO,250
"""


@pytest.fixture
def workbench(tmp_path: Path):
    wb = Workbench.open(tmp_path / "lineage.cryodesk")
    yield wb
    wb.close()


def import_csv(wb: Workbench, path: Path, text: str) -> int:
    path.write_text(text)
    outcome = wb.import_file(FileImportParams(str(path), workers=1))
    assert outcome.state is JobState.DONE, outcome.error
    return outcome.job_id


def value_id(wb: Workbench, job_id: int, prop: str = "tg") -> int:
    return int(wb.project.db.scalar(
        "SELECT p.id FROM property_values p JOIN compounds c ON c.id = p.compound_id"
        " WHERE c.inchikey = ? AND p.property = ? AND p.job_id = ?", (GLYCEROL, prop, job_id)))


def test_value_lineage_from_source_record_to_standardisation(workbench: Workbench, tmp_path: Path) -> None:
    job_id = import_csv(workbench, tmp_path / "lab.csv", CSV)
    lineage = workbench.value_lineage(value_id(workbench, job_id))
    assert [s.stage for s in lineage.steps] == ["source_record", "import_job", "standardisation", "reconciliation"]
    record = lineage.step("source_record").details
    assert (record["source"], record["record"], record["method"], record["stored_value"], record["unit"]) == (
        "file:lab.csv", "row 2", "measured", 190.0, "K")
    # The same input row lost its CAS number (bad check digit): the lineage says so.
    assert any("CAS" in issue for issue in record["same_row_issues"])
    job = lineage.step("import_job").details
    assert (job["job_id"], job["kind"], job["state"]) == (job_id, "import_file", "done")
    assert job["params"]["path"] == str((tmp_path / "lab.csv").resolve()) and len(job["params"]["sha256"]) == 64
    std = lineage.step("standardisation").details
    assert std["inchikey"] == GLYCEROL
    assert std["std_version"] == workbench.project.compounds.get(GLYCEROL).std_version
    assert lineage.step("reconciliation").details["rule"] == "only_value"
    text = "\n".join(lineage.lines())
    assert "file:lab.csv row 2" in text and f"job {job_id} import_file" in text and GLYCEROL in text
    assert json.loads(json.dumps(lineage.as_dict()))["kind"] == "value"


def test_lineage_says_whether_a_value_is_the_chosen_one(workbench: Workbench, tmp_path: Path) -> None:
    first = import_csv(workbench, tmp_path / "lab.csv", CSV)
    second = import_csv(workbench, tmp_path / "later.csv", CSV_2)
    workbench.set_reconcile_rules(ReconcileRules(source_priority=("file:later.csv", "file:*")))
    outcome = workbench.reconcile(["tg"])
    assert outcome.state is JobState.DONE
    chosen = workbench.value_lineage(value_id(workbench, second)).step("reconciliation")
    lost = workbench.value_lineage(value_id(workbench, first)).step("reconciliation")
    assert chosen.title == "chosen by source_priority" and chosen.details["flag"] == "reconciled=source_priority"
    assert lost.title.startswith("not chosen: the value is 250")
    assert lost.details["chosen_value_ids"] == [value_id(workbench, second)]
    assert [lin.step("source_record").details["record"] for lin in workbench.property_lineage(GLYCEROL, "tg")] == [
        "row 2", "row 2"]


def test_unknown_ids_give_no_lineage(workbench: Workbench) -> None:
    assert value_lineage(workbench.project, 12345) is None
    assert prediction_lineage(workbench.project, "no-such-model", GLYCEROL) is None


def register_model(wb: Workbench, train_job: int) -> int:
    with wb.project.db.transaction() as conn:
        conn.execute(
            "INSERT INTO models (name, version, task, kind, feature_set, feature_version, params, metrics,"
            " artefact_path, artefact_sha256, status, created_at, job_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            ("Tg", 2, "tg", "regression", "default", "3", json.dumps({"training_data_hash": "abc123"}), "{}",
             "/models/tg-v2.pkl", "f" * 64, "promoted", "2025-01-02T00:00:00+00:00", train_job),
        )
        return conn.last_insert_rowid()


def test_prediction_lineage_runs_from_sources_to_the_model_version(workbench: Workbench, tmp_path: Path) -> None:
    import_job = import_csv(workbench, tmp_path / "lab.csv", CSV)
    train_job = workbench.project.jobs.create("train_model", {"target": "tg", "feature_set": "default"})
    model_id = register_model(workbench, train_job)
    compound_id = workbench.project.compounds.ids_for([GLYCEROL])[GLYCEROL]
    workbench.project.features.put_many("default", "3", [(compound_id, b"\x00" * 8)])
    with workbench.project.db.transaction() as conn:
        conn.execute("INSERT INTO predictions (model_id, subject_key, value, uncertainty, in_domain, created_at)"
                     " VALUES (?,?,?,?,?,?)", (model_id, GLYCEROL, 188.5, 6.0, 1, "2025-01-03T00:00:00+00:00"))

    lineage = workbench.prediction_lineage("Tg", GLYCEROL)
    assert [s.stage for s in lineage.steps] == [
        "source_record", "import_job", "standardisation", "feature_set", "model", "prediction"]
    assert lineage.step("source_record").details["identifiers_by_source"] == {"file:lab.csv": 1}
    assert lineage.step("import_job").details["job_id"] == import_job
    assert lineage.step("feature_set").details == {"feature_set": "default", "feature_version": "3",
                                                   "cached_sets": ["default v3"], "cached_for_subject": True}
    model = lineage.step("model").details
    assert (model["model_id"], model["version"], model["status"], model["training_data_hash"]) == (
        model_id, 2, "promoted", "abc123")
    assert model["training_job"]["job_id"] == train_job and model["training_job"]["kind"] == "train_model"
    prediction = lineage.step("prediction").details
    assert (prediction["value"], prediction["uncertainty"], prediction["in_domain"]) == (188.5, 6.0, True)
    assert "Tg v2" in lineage.subject and "(glycerol)" in lineage.subject
    # The same model by id and by name:version.
    assert resolve_model(workbench.project, str(model_id))["id"] == model_id
    assert resolve_model(workbench.project, "Tg:2")["id"] == model_id
    assert resolve_model(workbench.project, "Tg:7") is None


def test_prediction_lineage_before_the_cache_is_warm_and_for_a_mixture_key(workbench: Workbench,
                                                                         tmp_path: Path) -> None:
    import_csv(workbench, tmp_path / "lab.csv", CSV)
    register_model(workbench, workbench.project.jobs.create("train_model", {}))
    cold = workbench.prediction_lineage("Tg", GLYCEROL)
    assert cold.step("prediction").title.startswith("no stored prediction yet")
    assert cold.step("feature_set").details["cached_for_subject"] is False
    mixture = workbench.prediction_lineage("Tg", "mixture:9f2c")
    assert mixture.steps[0].title.startswith("mixture:9f2c is not a compound")
    assert [s.stage for s in mixture.steps][-3:] == ["feature_set", "model", "prediction"]


def test_a_concatenated_feature_set_is_looked_up_part_by_part() -> None:
    # How ml.datasets.assemble_features names the default+cryo concatenation a model is trained on.
    assert feature_parts("default+cryo", "default=1+rdkit2026.09.1;cryo=1+rdkit2026.09.1") == [
        ("default", "1+rdkit2026.09.1"), ("cryo", "1+rdkit2026.09.1")]
    assert feature_parts("morgan2", "2") == [("morgan2", "2")]
