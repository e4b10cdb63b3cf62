"""The prediction service: memory -> store -> computed, per-version caches, features computed only for
what is missing, chunked cancellable batches, explanations, monitoring, and refusal of a tampered artefact."""

from __future__ import annotations

from concurrent.futures import CancelledError
from pathlib import Path

import pytest

from cryodesk.domain import JobState
from cryodesk.engine.features import FeatureService
from cryodesk.engine.jobs import run_job
from cryodesk.engine.prediction import (
    ModelIntegrityError,
    ModelMonitor,
    PredictionService,
    PredictionWarmupJob,
)
from cryodesk.engine.service import Workbench
from cryodesk.engine.training import artefact_path, train_and_register
from tests.conftest import DATA
from tests.engine.test_training import esol_workbench, import_dataset, tiny_request, write_rows


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("serve")
    wb = esol_workbench(tmp, n=250)
    row = train_and_register(wb.project, tiny_request())
    yield wb, row, tmp
    wb.close()


def _keys(wb: Workbench) -> list[str]:
    return [r.inchikey for r in wb.compound_rows(wb.compound_ids())]


def test_cold_then_memory_then_store(served) -> None:
    wb, row, _ = served
    keys = _keys(wb)
    service = PredictionService(wb.project, chunk_size=64)
    cold = service.predict("log_solubility", keys)
    assert cold.computed == len(keys) and cold.memory_hits == cold.store_hits == 0 and cold.failed == 0
    assert [r.key for r in cold.rows] == keys
    first = cold.rows[0]
    assert first.uncertainty is not None and first.uncertainty > 0 and first.in_domain is not None
    warm = service.predict("log_solubility", keys)
    assert warm.memory_hits == len(keys) and warm.computed == 0
    assert [(r.value, r.uncertainty, r.in_domain) for r in warm.rows] == [
        (r.value, r.uncertainty, r.in_domain) for r in cold.rows
    ]
    fresh = PredictionService(wb.project)  # another session: the store answers
    again = fresh.predict_one("log_solubility", keys[0])
    assert again.source == "store" and again.value == pytest.approx(first.value)
    assert service.counters() == {"hits": len(keys), "misses": len(keys)}
    expired = PredictionService(wb.project, ttl_s=0.0)
    expired.predict("log_solubility", keys[:5])
    assert expired.predict("log_solubility", keys[:5]).store_hits == 5  # TTL 0: memory never answers


def test_unknown_keys_and_structures_outside_the_project(served) -> None:
    wb, _, _ = served
    service = PredictionService(wb.project)
    batch = service.predict("log_solubility", ["XXXXXXXXXXXXXX-UHFFFAOYSA-N"])
    assert batch.rows[0].source == "failed" and "not a compound" in (batch.rows[0].error or "")
    rows = service.predict_structures("log_solubility", ["OCC(O)CO", "c1ccccc1O", "C1CC"])
    assert rows[0].value is not None and rows[1].value is not None
    assert rows[2].source == "failed" and rows[2].error
    # Glycerol is very soluble, phenol less so: the tiny model gets the order right.
    assert rows[0].value > rows[1].value


def test_features_are_computed_only_for_new_compounds(served) -> None:
    wb, _, tmp = served
    n_before = len(wb.compound_ids())
    import_dataset(wb, "esol", write_rows(tmp / "more.csv", DATA / "esol" / "delaney.csv", 250, 290))
    new = len(wb.compound_ids()) - n_before
    assert new > 0
    cached_before = len(wb.project.features.cached_ids("default", _version("default")))
    batch = wb.predictions.predict_all("log_solubility")
    assert batch.computed >= new and batch.failed == 0
    cached_after = len(wb.project.features.cached_ids("default", _version("default")))
    assert cached_after - cached_before == new
    again = FeatureService(wb.project).matrix("default")
    assert again.n_computed == 0


def _version(name: str) -> str:
    from cryodesk.chem.features import get_feature_set

    return get_feature_set(name).version


def test_a_new_version_uses_only_its_own_rows(served) -> None:
    wb, v1, _ = served
    keys = _keys(wb)[:30]
    wb.predict("log_solubility", keys)
    outcome = wb.train_model(tiny_request(members=("lgbm",), seed=3, promote=True))
    assert outcome.state is JobState.DONE, outcome.error
    v2 = wb.model("log_solubility")
    assert v2.version == 2 and v2.id != v1.id
    batch = wb.predict("log_solubility", keys)
    assert batch.model.id == v2.id and batch.computed == len(keys)
    assert wb.project.models.count_predictions(v1.id) >= len(keys)  # v1's cache is kept for a rollback
    assert wb.predictions.invalidate(v2.id) >= len(keys)
    assert wb.project.models.count_predictions(v1.id) >= len(keys)
    wb.rollback_model("log_solubility")
    back = wb.predict("log_solubility", keys)
    assert back.model.id == v1.id and back.computed == 0


def test_batches_are_cancellable_between_chunks(served) -> None:
    wb, row, _ = served
    service = PredictionService(wb.project, chunk_size=10)
    service.invalidate(row.id)
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    with pytest.raises(CancelledError):
        service.predict(row, _keys(wb), cancel=cancel)
    kept = wb.project.models.count_predictions(row.id)
    assert 0 < kept < len(_keys(wb))  # finished chunks stay cached


def test_warmup_job_fills_the_cache_with_progress(served) -> None:
    wb, row, _ = served
    wb.predictions.invalidate(row.id)
    seen = []
    outcome = run_job(
        wb.project, PredictionWarmupJob("log_solubility", row.version), lambda d, t, m: seen.append(d)
    )
    assert outcome.state is JobState.DONE, outcome.error
    assert wb.project.models.count_predictions(row.id) == len(wb.compound_ids())
    assert seen


def test_explanation_names_features(served) -> None:
    wb, row, _ = served
    out = wb.predictions.explain(row, _keys(wb)[0], top=5)
    assert len(out["top"]) == 5 and all(isinstance(name, str) for name, _ in out["top"])
    assert out["raw_output"] == pytest.approx(out["bias"] + sum(v for _, v in out["top"]), abs=10)


def test_monitoring_counts_latency_hit_rate_and_drift_and_persists(served) -> None:
    wb, row, _ = served
    service = PredictionService(wb.project)
    service.invalidate(row.id)
    keys = _keys(wb)
    service.predict(row, keys)
    for key in keys[:20]:
        service.predict_one(row, key)
    report = service.monitor(row)
    assert report["computed"] >= len(keys) and report["memory_hits"] >= 20
    assert report["calls"] >= 21 and sum(report["latency_ms"]["counts"]) == report["calls"]
    assert 0 < report["cache_hit_rate"] < 1
    assert report["drift"] is not None and report["drift"] < 0.5  # the training library itself
    assert report["out_of_domain_share"] < 0.3 and not report["retrain_suggested"]
    service.flush()
    other = PredictionService(wb.project).monitor(row)
    assert other["calls"] == report["calls"] and other["computed"] == report["computed"]


def test_drift_is_flagged_for_a_shifted_library(served) -> None:
    wb, row, _ = served
    import numpy as np

    loaded = PredictionService(wb.project).load(row)
    monitor = ModelMonitor(row.id)  # fresh counters: only the shifted library

    shifted = np.tile(loaded.train_mean + 3 * loaded.train_std, (60, 1))
    monitor.record_computed(shifted, np.zeros(60, bool))
    monitor.computed += 60
    snap = monitor.snapshot(loaded.train_mean, loaded.train_std)
    assert snap["retrain_suggested"] and len(snap["reasons"]) == 2


def test_a_tampered_artefact_is_refused_through_the_service(served, tmp_path: Path) -> None:
    wb, _, _ = served
    outcome = wb.train_model(tiny_request(name="tampered", members=("lgbm",)))
    assert outcome.state is JobState.DONE, outcome.error
    row = wb.model("tampered")
    path = artefact_path(wb.project, row)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    key = _keys(wb)[0]
    with pytest.raises(ModelIntegrityError, match="refusing"):
        wb.predict("tampered", [key])
    with pytest.raises(ModelIntegrityError):
        PredictionService(wb.project).explain("tampered", key)
    assert wb.project.models.count_predictions(row.id) == 0


def test_store_read_is_exact_over_many_chunks_duplicates_and_missing_keys(served) -> None:
    wb, row, _ = served
    n = 57_000  # many 900-key statements
    keys = [f"KEY{i:08d}-UHFFFAOYSA-N" for i in range(n)]
    values = {
        k: (i * 0.5, None if i % 3 else 0.25, None if i % 5 == 0 else bool(i % 4)) for i, k in enumerate(keys)
    }
    stored = keys[::2]
    wb.project.models.put_predictions(row.id, ((k, *values[k]) for k in stored))
    asked = [*keys, *keys[:100], "NOT-STORED"]  # every key, some twice, one never stored
    got = wb.project.models.read_predictions(row.id, asked)
    assert set(got) == set(stored)
    assert all(tuple(got[k]) == values[k] for k in stored)
    assert (
        got[stored[0]].in_domain is None
        and got[stored[1]].in_domain is True
        and got[stored[2]].in_domain is False
    )
    service = PredictionService(wb.project)
    batch = service.predict(row, stored[:20_000])
    assert batch.store_hits == 20_000 and batch.computed == 0 and batch.failed == 0
    assert [r.key for r in batch.rows] == stored[:20_000]
    assert batch.rows[3].as_dict() == {
        "key": stored[3],
        "value": values[stored[3]][0],
        "uncertainty": values[stored[3]][1],
        "in_domain": values[stored[3]][2],
        "source": "store",
        "error": None,
    }
    wb.project.models.invalidate_predictions(row.id)


def test_roc_curve_agrees_with_sklearn_including_ties() -> None:
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from cryodesk.engine.model_views import roc_curve

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400).astype(float)
    score = np.round(rng.random(400) * 0.6 + y * 0.3, 2)  # rounded: many tied scores
    curve = roc_curve(y, score)
    assert curve.auc == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert curve.fpr[0] == curve.tpr[0] == 0 and curve.fpr[-1] == curve.tpr[-1] == 1
    with pytest.raises(Exception, match="both active and inactive"):
        roc_curve(np.ones(5), np.arange(5.0))


def test_model_views_reproduce_the_recorded_held_out_score_and_explain(tmp_path: Path) -> None:
    from cryodesk.engine.model_views import ModelViews, model_list

    wb = esol_workbench(tmp_path, n=200)  # its own project: the module's one gains rows in other tests
    row = train_and_register(wb.project, tiny_request())
    views = ModelViews(wb)
    held = views.held_out(row.id)
    recorded = row.metrics_dict["held_out"]["mean"]["ensemble"]
    assert held.task == "regression" and held.warning is None
    assert held.metrics["rmse"] == pytest.approx(recorded["rmse"], rel=1e-6)
    assert len(held.keys) == len(held.measured) == len(held.compound_ids) < 100
    entry = next(e for e in model_list(wb) if e.id == row.id)
    assert entry.task == "regression" and entry.target == "log_solubility"
    assert entry.primary_metric == ("rmse", pytest.approx(recorded["rmse"]))
    ranked = views.importance(row.id)
    loaded = wb.predictions.load(row)
    assert 1 <= len(ranked) <= 15 and {r.feature for r in ranked} <= set(
        loaded.model.input_names or loaded.model.feature_names
    )
    assert ranked[0].mean >= ranked[-1].mean and ranked[0].mean > 0  # shuffling the best feature hurts
    ex = views.explain(row.id, int(held.compound_ids[0]))
    assert ex.inchikey == held.keys[0] and ex.value == pytest.approx(held.predicted[0], rel=1e-5)
    assert len(ex.top) == 10 and ex.bias is not None

    # New labels since training do not change what the view shows: the held-out rows were saved with
    # the version (tests/engine/test_held_out_saved.py covers the re-derived fallback's warning).
    import_dataset(wb, "esol", write_rows(tmp_path / "more.csv", DATA / "esol" / "delaney.csv", 200, 260))
    later = ModelViews(wb).held_out(row.id)
    assert later.warning is None and later.keys == held.keys
    wb.close()


def test_one_exploding_descriptor_cannot_decide_the_drift_alone(served) -> None:
    import numpy as np

    from cryodesk.engine.prediction import DRIFT_THRESHOLD, DRIFT_Z_CAP

    wb, row, _ = served
    loaded = PredictionService(wb.project).load(row)
    mean, std = loaded.train_mean, loaded.train_std
    usable = int(np.count_nonzero(std > 0))
    monitor = ModelMonitor(row.id)
    seen = np.tile(mean, (60, 1))  # exactly the training means ...
    column = int(np.flatnonzero(std > 0)[0])
    seen[:, column] = 1e30  # ... except one descriptor that explodes (as Ipc does on big molecules)
    monitor.record_computed(seen, np.ones(60, bool))
    drift = monitor.drift(mean, std)
    assert drift == pytest.approx(DRIFT_Z_CAP / usable)
    assert drift < DRIFT_THRESHOLD
