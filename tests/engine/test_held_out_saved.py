"""Training saves each version's held-out predictions (JSON beside the artefact, SHA-256 in the registry),
so the models view reads them instead of re-deriving the rows (assembly + split + features + predict) in the
window's process. Versions without the saved file still get re-derived rows, with a warning that says so."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cryodesk.domain import InputError
from cryodesk.engine.model_views import HeldOutPredictions, ModelViews
from cryodesk.engine.prediction import ModelIntegrityError
from cryodesk.engine.service import Workbench
from cryodesk.engine.training import HELD_OUT_KEY, assemble_dataset, train_and_register
from cryodesk.store.models import ModelRow
from tests.conftest import DATA
from tests.engine.test_training import esol_workbench, import_dataset, tiny_request, write_rows


def _forget_saved_file(wb: Workbench, row: ModelRow) -> None:
    """Make the version look like one trained before held-out predictions were saved."""
    with wb.project.db.transaction() as conn:
        conn.execute(
            "UPDATE models SET params = json_remove(params, ?) WHERE id = ?", (f"$.{HELD_OUT_KEY}", row.id)
        )


def _assert_same_rows(saved: HeldOutPredictions, derived: HeldOutPredictions) -> None:
    assert saved.keys == derived.keys and len(saved.keys) > 0
    np.testing.assert_array_equal(saved.compound_ids, derived.compound_ids)
    np.testing.assert_allclose(saved.measured, derived.measured, rtol=0, atol=1e-12)
    np.testing.assert_allclose(saved.predicted, derived.predicted, rtol=1e-9, atol=1e-12)
    assert (saved.uncertainty is None) == (derived.uncertainty is None)  # a classifier has none
    if saved.uncertainty is not None and derived.uncertainty is not None:
        np.testing.assert_allclose(saved.uncertainty, derived.uncertainty, rtol=1e-9, atol=1e-12)
    assert saved.in_domain is not None and derived.in_domain is not None
    np.testing.assert_array_equal(saved.in_domain, derived.in_domain)
    assert saved.metrics == pytest.approx(derived.metrics, rel=1e-9, nan_ok=True)
    assert (saved.score is None) == (derived.score is None)
    if saved.score is not None and derived.score is not None:
        np.testing.assert_allclose(saved.score, derived.score, rtol=1e-9, atol=1e-12)


@pytest.fixture(scope="module")
def esol(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("heldout")
    wb = esol_workbench(tmp, n=200)
    row = train_and_register(wb.project, tiny_request())
    yield wb, row
    wb.close()


def test_saved_rows_equal_the_rederived_ones_and_importance_is_unchanged(esol) -> None:
    wb, row = esol
    entry = row.params_dict[HELD_OUT_KEY]
    folder = wb.project.path.parent
    assert entry["path"].endswith(".json") and (folder / entry["path"]).is_file()
    assert len(entry["sha256"]) == 64 and len(entry["inputs"]["sha256"]) == 64
    assert entry["inputs"]["path"].endswith(".npy") and b"pickle" not in (folder / entry["path"]).read_bytes()
    saved_views = ModelViews(wb)
    saved = saved_views.held_out(row.id)
    assert saved.warning is None and saved.task == "regression" and entry["rows"] == len(saved.keys)
    assert saved.uncertainty is not None and np.all(saved.uncertainty > 0) and saved.score is None
    recorded = row.metrics_dict["held_out"]["mean"]["ensemble"]
    assert saved.metrics["rmse"] == pytest.approx(recorded["rmse"], rel=1e-6)
    saved_rank = saved_views.importance(row.id)

    with wb.project.db.transaction() as conn:  # saved rows without saved inputs: features from the cache
        conn.execute(
            "UPDATE models SET params = json_remove(params, ?) WHERE id = ?",
            (f"$.{HELD_OUT_KEY}.inputs", row.id),
        )
    cache_rank = ModelViews(wb).importance(row.id)

    _forget_saved_file(wb, row)  # the same version, now read the way an older one is
    legacy_views = ModelViews(wb)
    derived = legacy_views.held_out(row.id)
    assert derived.warning is not None and "re-derived" in derived.warning
    _assert_same_rows(saved, derived)
    # Importance on the saved inputs, or on cached features by saved ids, matches the re-derived rows.
    derived_rank = legacy_views.importance(row.id)
    for rank in (saved_rank, cache_rank):
        assert [r.feature for r in rank] == [r.feature for r in derived_rank]
        assert [r.mean for r in rank] == pytest.approx([r.mean for r in derived_rank], rel=1e-6, abs=1e-12)


def test_the_read_needs_no_labels_structures_or_features(tmp_path: Path) -> None:
    wb = esol_workbench(tmp_path, n=150)
    try:
        row = train_and_register(wb.project, tiny_request())
        before = ModelViews(wb).held_out(row.id)
        rank_before = ModelViews(wb).importance(row.id)
        with wb.project.db.transaction() as conn:  # labels and the feature cache gone
            conn.execute("DELETE FROM property_values WHERE property = 'log_solubility'")
            conn.execute("DELETE FROM feature_cache")
        with pytest.raises(InputError, match="no assay or property"):
            assemble_dataset(wb.project, "log_solubility")  # what the old read had to do
        after = ModelViews(wb).held_out(row.id)
        _assert_same_rows(after, before)
        assert after.warning is None
        rank_after = ModelViews(wb).importance(row.id)  # on the saved inputs
        assert [(r.feature, r.mean) for r in rank_after] == [(r.feature, r.mean) for r in rank_before]
        # Nothing was featurised: the cache would hold the rows again.
        assert wb.project.db.scalar("SELECT count(*) FROM feature_cache") == 0
    finally:
        wb.close()


def test_a_tampered_or_missing_file_is_refused(tmp_path: Path) -> None:
    wb2 = Workbench.open(tmp_path / "t.cryodesk")
    try:
        import_dataset(wb2, "esol", write_rows(tmp_path / "e.csv", DATA / "esol" / "delaney.csv", 0, 120))
        trained = train_and_register(wb2.project, tiny_request())
        entry = trained.params_dict[HELD_OUT_KEY]
        x_path = wb2.project.path.parent / entry["inputs"]["path"]
        x_path.write_bytes(x_path.read_bytes()[:-4] + b"\0\0\0\0")  # one input value changed
        with pytest.raises(ModelIntegrityError, match="inputs .* modified, refusing"):
            ModelViews(wb2).importance(trained.id)
        path = wb2.project.path.parent / entry["path"]
        data = json.loads(path.read_bytes())
        data["predicted"][0] = data["measured"][0]  # a flattering edit
        path.write_text(json.dumps(data))
        with pytest.raises(ModelIntegrityError, match="modified, refusing"):
            ModelViews(wb2).held_out(trained.id)
        path.unlink()
        with pytest.raises(ModelIntegrityError, match="cannot be read"):
            ModelViews(wb2).held_out(trained.id)
    finally:
        wb2.close()


def test_a_classifier_keeps_what_its_roc_needs(tmp_path: Path) -> None:
    wb = Workbench.open(tmp_path / "tox.cryodesk")
    try:
        import_dataset(wb, "tox21", write_rows(tmp_path / "tox.csv", DATA / "tox21" / "tox21.csv", 0, 300))
        row = train_and_register(wb.project, tiny_request("tox21:SR-MMP"))
        saved = ModelViews(wb).held_out(row.id)
        assert saved.task == "classification" and saved.roc is not None and saved.warning is None
        assert set(np.unique(saved.measured)) == {0.0, 1.0}
        assert saved.roc.auc == pytest.approx(
            row.metrics_dict["held_out"]["mean"]["ensemble"]["roc_auc"], rel=1e-6
        )
        _forget_saved_file(wb, row)
        derived = ModelViews(wb).held_out(row.id)
        _assert_same_rows(saved, derived)
        assert derived.roc is not None
        np.testing.assert_allclose(saved.roc.fpr, derived.roc.fpr)
        np.testing.assert_allclose(saved.roc.tpr, derived.roc.tpr)
    finally:
        wb.close()


def test_new_labels_leave_the_saved_rows_alone_and_the_fallback_warns(tmp_path: Path) -> None:
    wb = esol_workbench(tmp_path, n=120)
    try:
        row = train_and_register(wb.project, tiny_request())
        before = ModelViews(wb).held_out(row.id)
        more = write_rows(tmp_path / "more.csv", DATA / "esol" / "delaney.csv", 120, 170)
        import_dataset(wb, "esol", more)
        after = ModelViews(wb).held_out(row.id)  # still exactly the rows training held out
        _assert_same_rows(after, before)
        assert after.warning is None
        _forget_saved_file(wb, row)
        derived = ModelViews(wb).held_out(row.id)
        assert derived.warning is not None and "re-derived" in derived.warning
        assert "may include rows the model was trained on" in derived.warning
    finally:
        wb.close()
