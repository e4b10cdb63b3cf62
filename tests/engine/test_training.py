"""Training from the project: label assembly (unit conversion, de-duplication, assay outcomes), the train
job registering a hash-checked artefact beside the project, evaluation, and the default-models job."""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import numpy as np
import pytest

from cryodesk.domain import JobState, Method, PropertyValue, Provenance
from cryodesk.engine.file_import import FileImportParams
from cryodesk.engine.seed import column_map, load_manifest, register_assays
from cryodesk.engine.service import Workbench
from cryodesk.engine.training import (
    DefaultModelsRequest,
    TrainRequest,
    artefact_path,
    assemble_dataset,
    evaluate_registered,
    models_dir,
    regression_labels,
    train_and_register,
)
from cryodesk.ml import file_sha256
from tests.conftest import DATA

# Tiny but real ensembles: each training run takes a few seconds on 300 compounds.
TINY = {"rf": {"n_estimators": 25}, "lgbm": {"n_estimators": 40}}


def tiny_request(target: str = "log_solubility", **kw: object) -> TrainRequest:
    base: dict[str, object] = {"members": ("rf", "lgbm"), "n_folds": 3, "params": TINY, "split": "random"}
    base.update(kw)
    return TrainRequest(target, **base)  # type: ignore[arg-type]


def write_rows(path: Path, source: Path, start: int, stop: int) -> Path:
    rows = list(csv.DictReader(source.open()))[start:stop]
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def import_dataset(wb: Workbench, key: str, path: Path) -> None:
    entry = load_manifest().entry(key)
    if key == "tox21":
        register_assays(wb.project, entry)
    outcome = wb.import_file(FileImportParams(str(path), source=key, column_map=column_map(entry), workers=1))
    assert outcome.state is JobState.DONE, outcome.error


def esol_workbench(tmp: Path, n: int = 300) -> Workbench:
    """A project with ``n`` real ESOL rows (log solubility in log10(mol/L))."""
    wb = Workbench.open(tmp / "esol.cryodesk")
    import_dataset(wb, "esol", write_rows(tmp / "esol.csv", DATA / "esol" / "delaney.csv", 0, n))
    return wb


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("train")
    wb = esol_workbench(tmp)
    row = train_and_register(wb.project, tiny_request())
    yield wb, row
    wb.close()


def test_regression_labels_are_converted_to_the_default_unit_and_deduplicated(project) -> None:
    from cryodesk.chem import compound_from_text

    compounds = [compound_from_text(s).compound for s in ("OCC(O)CO", "CS(C)=O", "OCCO", "CCO", "CCCO", "CCCCO")]
    project.compounds.upsert_many(compounds)
    glycerol, dmso = compounds[0].inchikey, compounds[1].inchikey

    def mp(key: str, value: float, unit: str, rec: str) -> PropertyValue:
        return PropertyValue(key, "melting_point", value, unit, Provenance("s", Method.MEASURED, rec))

    values = [mp(glycerol, 18.0, "degC", "1"), mp(glycerol, 292.15, "K", "2"),  # 18 and 19 degC: kept, median
              mp(dmso, 19.0, "degC", "3"), mp(dmso, 350.0, "K", "4"),  # 19 vs 76.85 degC: spread > 20, dropped
              mp(compounds[2].inchikey, 5.0, "furlong", "5")]  # unconvertible unit: skipped and counted
    values += [mp(c.inchikey, -100.0 + 10 * i, "degC", f"x{i}") for i, c in enumerate(compounds[2:])]
    project.properties.upsert_many(values)
    labels, report = regression_labels(project, "melting_point")
    assert report["unit"] == "degC" and report["converted"] == 2
    assert report["skipped"] == {"unit 'furlong' not convertible to degC": 1}
    assert sorted(round(v, 2) for _, k, v in labels if k == glycerol) == [18.0, 19.0]
    data = assemble_dataset(project, "melting_point", feature_sets=("default",), fingerprint_set=None)
    ds = data.dataset
    assert glycerol in ds.keys.tolist() and dmso not in ds.keys.tolist()
    assert ds.y[ds.keys.tolist().index(glycerol)] == pytest.approx(18.5)
    assert data.report["dedup"]["dropped_keys"] == 1 and "median" in data.report["dedup"]["rule"]
    assert len(data.scaffolds) == len(ds) and ds.X.shape[1] == len(ds.feature_names)


def test_classification_labels_come_from_assay_outcomes(tmp_path: Path) -> None:
    wb = Workbench.open(tmp_path / "tox.cryodesk")
    try:
        import_dataset(wb, "tox21", write_rows(tmp_path / "tox.csv", DATA / "tox21" / "tox21.csv", 0, 120))
        data = assemble_dataset(wb.project, "tox21:SR-MMP", fingerprint_set="morgan2")
        ds = data.dataset
        assert ds.task_type == "classification" and set(np.unique(ds.y)) <= {0.0, 1.0}
        assert ds.fingerprints is not None and ds.fingerprints.dtype == np.uint8
        raw = list(csv.DictReader((tmp_path / "tox.csv").open()))
        assert len(ds) <= sum(1 for r in raw if r["SR-MMP"] != "")
        assert "majority vote" in data.report["dedup"]["rule"]
    finally:
        wb.close()


def test_training_registers_a_hash_checked_artefact_beside_the_project(trained) -> None:
    wb, row = trained
    assert row.name == "log_solubility" and row.version == 1 and row.status == "promoted"
    path = artefact_path(wb.project, row)
    assert path.parent == models_dir(wb.project) and path.parent.name == "esol.cryodesk.models"
    assert not Path(row.artefact_path).is_absolute()  # moves with the project folder
    assert file_sha256(path) == row.artefact_sha256
    metrics, params = row.metrics_dict, row.params_dict
    assert metrics["held_out"]["split"]["split"] == "random"
    assert metrics["held_out"]["mean"]["ensemble"]["rmse"] < 1.5  # real signal on ESOL, even tiny
    assert set(metrics["cv"]["members"]) == {"rf", "lgbm"}
    assert params["feature_sets"] == ["default", "cryo"] and params["fingerprint_set"] == "morgan2"
    assert params["assembly"]["unit"] == "log10(M)" and len(params["feature_stats"]["mean"]) > 10
    assert params["training_data_hash"]


def test_a_second_version_is_a_candidate_until_promoted(trained) -> None:
    wb, _ = trained
    outcome = wb.train_model(tiny_request(members=("lgbm",), seed=1))
    assert outcome.state is JobState.DONE, outcome.error
    assert outcome.result["version"] == 2 and outcome.result["status"] == "candidate"
    assert wb.model("log_solubility").version == 1
    comparison = wb.compare_models("log_solubility", 1, 2)
    assert "held_out.mean.ensemble.rmse" in comparison["metrics"]
    wb.promote_model("log_solubility", 2)
    assert wb.model("log_solubility").version == 2
    assert wb.rollback_model("log_solubility").version == 1


def test_training_is_cancellable_and_reports_untrainable_targets(trained) -> None:
    wb, _ = trained
    cancel = threading.Event()
    cancel.set()
    outcome = wb.train_model(tiny_request(name="cancelled"), cancel_event=cancel)
    assert outcome.state is JobState.CANCELLED
    assert wb.models("cancelled") == []
    outcome = wb.train_model(tiny_request("no_such_property"))
    assert outcome.state is JobState.FAILED and "no assay or property" in (outcome.error or "")


def test_evaluate_retrains_on_another_split_and_records_the_scores(trained) -> None:
    wb, row = trained
    report = evaluate_registered(wb.project, row, "scaffold")
    assert report["split"]["split"] == "scaffold" and report["split"]["sizes"]["test"] > 0
    assert "rmse" in report["mean"]["ensemble"]
    assert "scaffold-seed0" in wb.project.models.by_id(row.id).metrics_dict["evaluations"]


def test_default_models_job_trains_assays_and_properties_with_progress(tmp_path: Path) -> None:
    wb = esol_workbench(tmp_path, n=150)
    try:
        import_dataset(wb, "tox21", write_rows(tmp_path / "tox.csv", DATA / "tox21" / "tox21.csv", 0, 200))
        seen: list[tuple[int, int | None]] = []
        request = DefaultModelsRequest(targets=("tox21:SR-MMP", "log_solubility", "tox21:NR-AR"),
                                       members=("rf", "lgbm"), n_folds=3, params=TINY, split="random")
        outcome = wb.train_default_models(request, lambda d, t, m: seen.append((d, t)))
        assert outcome.state is JobState.DONE, outcome.error
        assert outcome.result["tox21:SR-MMP"]["status"] == "promoted"
        assert outcome.result["log_solubility"]["kind"] == "regression"
        assert "skipped" in outcome.result["tox21:NR-AR"] or outcome.result["tox21:NR-AR"]["status"] == "promoted"
        assert seen and seen[-1][0] == seen[-1][1]
        again = wb.train_default_models(request)  # resumable: trained targets are skipped
        assert again.result["tox21:SR-MMP"] == "already trained"
        row = wb.model("tox21:SR-MMP")
        pred = wb.predict("tox21:SR-MMP", [r.inchikey for r in wb.compound_rows(wb.compound_ids()[:20])])
        values = [r.value for r in pred.rows if r.value is not None]
        assert row.kind == "classification" and values and all(0.0 <= v <= 1.0 for v in values)
    finally:
        wb.close()
