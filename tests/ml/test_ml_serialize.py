"""Artefacts load only when their SHA-256 matches; registry records fit the store's models table."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from cryodesk.ml import (
    ArtefactIntegrityError,
    ModelRecord,
    compare_records,
    file_sha256,
    load_artefact,
    load_model,
    record_for,
    register_artefact,
    save_model,
    train_model,
    train_multitask,
)
from tests.ml.helpers import fast_config, make_classification, make_regression


@pytest.fixture(scope="module")
def model():
    return train_model(make_regression(200), fast_config(members=("lgbm",)))


def test_round_trip_predicts_the_same(model, tmp_path: Path) -> None:
    path, sha = save_model(model, tmp_path, "Tg model")
    assert path.name.startswith("Tg_model-") and sha == file_sha256(path)
    loaded = load_model(path, sha)
    X = make_regression(20, seed=9).X
    assert np.array_equal(loaded.predict(X).value, model.predict(X).value)


def test_tampered_artefact_is_refused_before_unpickling(model, tmp_path: Path, monkeypatch) -> None:
    path, sha = save_model(model, tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("pickle.loads must not run on an unverified file")

    monkeypatch.setattr(pickle, "loads", boom)
    with pytest.raises(ArtefactIntegrityError, match="refusing"):
        load_model(path, sha)


def test_substituted_missing_or_malformed_hash_is_refused(model, tmp_path: Path) -> None:
    path, sha = save_model(model, tmp_path)
    evil = tmp_path / "evil.cdmodel"
    evil.write_bytes(pickle.dumps({"not": "the model"}))
    with pytest.raises(ArtefactIntegrityError):
        load_model(evil, sha)
    with pytest.raises(ArtefactIntegrityError):
        load_model(tmp_path / "missing.cdmodel", sha)
    with pytest.raises(ArtefactIntegrityError, match="64 hex"):
        load_model(path, "abc")


def test_record_fits_the_store_models_table(model, tmp_path: Path, project) -> None:
    record = register_artefact(model, tmp_path, "tg", 1)
    row = record.to_row()
    with project.db.transaction() as conn:
        conn.execute(
            "INSERT INTO models (name, version, task, kind, feature_set, feature_version, params, metrics,"
            " artefact_path, artefact_sha256, status, created_at)"
            " VALUES (:name, :version, :task, :kind, :feature_set, :feature_version, :params, :metrics,"
            " :artefact_path, :artefact_sha256, :status, :created_at)",
            row,
        )
    cols = (
        "name",
        "version",
        "task",
        "kind",
        "feature_set",
        "feature_version",
        "params",
        "metrics",
        "artefact_path",
        "artefact_sha256",
        "status",
        "created_at",
    )
    stored = dict(zip(cols, project.db.query(f"SELECT {', '.join(cols)} FROM models")[0], strict=True))
    back = ModelRecord.from_row(stored)
    assert back.training_data_hash == model.data_hash and back.target == "y"
    assert json.loads(stored["params"])["config"]["members"] == ["lgbm"]
    assert "cv" in back.cv_metrics and back.cv_metrics["cv"]["ensemble"]["rmse"] > 0
    loaded = load_artefact(back)
    assert loaded.data_hash == model.data_hash


def test_compare_records_and_multitask_record(model, tmp_path: Path) -> None:
    a = record_for(model, "tg", 1, "a", "0" * 64)
    other = train_model(make_regression(200, seed=3), fast_config(members=("lgbm",)))
    b = record_for(other, "tg", 2, "b", "1" * 64)
    diff = compare_records(a, b)
    assert diff["same_training_data"] is False and diff["same_features"] is True
    assert diff["metrics"]["cv.ensemble.rmse"]["better"] in (True, False)
    multi = train_multitask(make_classification(300, n_tasks=2), fast_config(members=("lgbm",)))
    rec = record_for(multi, "tox", 1, "m", "2" * 64)
    assert rec.target == "task0,task1" and set(rec.cv_metrics["per_task"]) == {"task0", "task1"}
