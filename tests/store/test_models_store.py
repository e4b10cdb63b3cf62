"""The model registry and prediction cache tables: versions, promotion history, rollback, retirement,
bulk upserts and reads of predictions isolated per model version, training-label reads."""

from __future__ import annotations

import json

import pytest

from cryodesk.domain import (
    Assay,
    AssayOutcome,
    AssayResult,
    Compound,
    Method,
    ProjectError,
    PropertyValue,
    Provenance,
)
from cryodesk.store import Project


def _row(name: str = "tg", version: int = 0, **extra: object) -> dict[str, object]:
    return {"name": name, "version": version, "task": name, "kind": "regression", "feature_set": "default",
            "feature_version": "1", "params": json.dumps({"a": 1}), "metrics": "{}",
            "artefact_path": f"{name}.cdmodel", "artefact_sha256": "0" * 64, **extra}


def test_versions_are_assigned_and_unique(project: Project) -> None:
    repo = project.models
    assert [repo.register(_row()).version for _ in range(3)] == [1, 2, 3]
    assert repo.register(_row("mp")).version == 1
    with pytest.raises(ProjectError):
        repo.register(_row(version=2))
    assert [r.label for r in repo.list("tg")] == ["tg v1", "tg v2", "tg v3"]
    assert repo.names() == ["mp", "tg"]
    assert repo.get("tg").version == 3  # nothing promoted: the newest usable version
    assert repo.get("tg", 1).params_dict == {"a": 1}


def test_promote_rollback_follow_the_promotion_history(project: Project) -> None:
    repo = project.models
    for _ in range(3):
        repo.register(_row())
    repo.promote("tg", 3)
    repo.promote("tg", 1)
    assert repo.promoted("tg").version == 1
    assert [r.status for r in repo.list("tg")] == ["promoted", "candidate", "candidate"]
    assert repo.rollback("tg").version == 3  # back to what was promoted before, not to v0/v2
    assert repo.get("tg").version == 3
    # No history left: fall back to the highest usable version below the current one.
    assert repo.rollback("tg").version == 2
    repo.retire("tg", 1)
    with pytest.raises(ProjectError):
        repo.rollback("tg")
    with pytest.raises(ProjectError):
        repo.promote("tg", 1)


def test_predictions_are_upserted_read_and_invalidated_per_model_version(project: Project) -> None:
    repo = project.models
    v1, v2 = repo.register(_row()), repo.register(_row())
    keys = [f"KEY{i:05d}" for i in range(2500)]  # more than one IN chunk
    assert repo.put_predictions(v1.id, ((k, i * 0.5, 0.1, i % 2 == 0) for i, k in enumerate(keys))) == 2500
    repo.put_predictions(v2.id, [(keys[0], 9.0, None, None), (keys[1], float("nan"), None, True)])
    got = repo.read_predictions(v1.id, [*keys[:1000], "MISSING"])
    assert len(got) == 1000 and got[keys[3]].value == 1.5 and got[keys[3]].in_domain is False
    assert repo.read_predictions(v2.id, keys[:2])[keys[1]].value is None  # NaN is stored as NULL
    repo.put_predictions(v1.id, [(keys[0], -1.0, 0.2, True)])  # upsert replaces
    assert repo.read_predictions(v1.id, [keys[0]])[keys[0]].value == -1.0
    assert repo.invalidate_predictions(v2.id) == 2
    assert repo.count_predictions(v1.id) == 2500 and repo.count_predictions(v2.id) == 0
    repo.retire("tg", 1)
    assert repo.count_predictions(v1.id) == 0


def test_monitor_snapshots_and_metric_updates_persist(project: Project) -> None:
    repo = project.models
    row = repo.register(_row())
    assert repo.load_monitor(row.id) is None
    repo.save_monitor(row.id, {"calls": 3})
    assert repo.load_monitor(row.id) == {"calls": 3}
    repo.update_metrics(row.id, {"evaluations": {"random": {"rmse": 1.0}}})
    assert repo.by_id(row.id).metrics_dict["evaluations"]["random"]["rmse"] == 1.0


def test_training_labels_exclude_predicted_values(project: Project) -> None:
    c = Compound("AAAAAAAAAAAAAA-UHFFFAOYSA-N", "CCO", "InChI=1S/C2H6O", "C2H6O", "test")
    project.compounds.upsert_many([c])
    project.properties.upsert_many([
        PropertyValue(c.inchikey, "tg", 100.0, "K", Provenance("a", Method.MEASURED, "1")),
        PropertyValue(c.inchikey, "tg", 110.0, "K", Provenance("b", Method.PREDICTED, "1")),
    ])
    labels = project.models.property_labels("tg")
    assert [(r.inchikey, r.value, r.unit) for r in labels] == [(c.inchikey, 100.0, "K")]
    project.assays.upsert_assays([Assay("tox21:X", "X", "tox21")])
    project.assays.upsert_results([AssayResult(c.inchikey, "tox21:X", AssayOutcome.ACTIVE,
                                               Provenance("tox21", Method.MEASURED, "r1"))])
    assert project.models.assay_labels("tox21:X") == [(labels[0].compound_id, c.inchikey, "active")]
    assert project.models.assay_keys() == ["tox21:X"]
