"""The Predictions and models page, driven like a user on a project with small real models.

The project holds 250 real ESOL compounds (log solubility) and 600 real Tox21 compounds (assays), with
two tiny log-solubility versions and one SR-MMP classifier trained from them. The tests open the window,
go to the Models page through its menu action, click models, points and buttons, and check what is
shown against the engine's own records (the held-out metrics the registry stored at training time).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QItemSelectionModel, QPointF, Qt
from PySide6.QtWidgets import QDialogButtonBox

from cryodesk.domain import JobState
from cryodesk.engine.service import Workbench
from cryodesk.engine.training import train_and_register
from tests.conftest import DATA
from tests.engine.test_training import esol_workbench, import_dataset, tiny_request, write_rows

from .helpers import SCREENSHOT_DIR, has_chemistry

pytestmark = pytest.mark.skipif(not has_chemistry(), reason="cryodesk.chem not available")
TIMEOUT = 60_000
TRAIN_TIMEOUT = 300_000


@pytest.fixture(scope="module")
def model_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("models_view")
    wb = esol_workbench(tmp, n=250)
    try:
        import_dataset(wb, "tox21", write_rows(tmp / "tox.csv", DATA / "tox21" / "tox21.csv", 0, 600))
        train_and_register(wb.project, tiny_request())  # log_solubility v1, promoted (the first)
        train_and_register(wb.project, tiny_request(seed=1))  # v2, a candidate
        train_and_register(wb.project, tiny_request("tox21:SR-MMP"))
    finally:
        wb.close()
    return tmp


@pytest.fixture()
def model_project(model_source: Path, tmp_path: Path) -> Path:
    """A private copy (project file and its models folder): tests promote and train."""
    target = tmp_path / "proj"
    shutil.copytree(model_source, target)
    return target / "esol.cryodesk"


def _open_models_page(qtbot, open_window, path: Path):
    window = open_window(Workbench.open(path))
    window.models_action.trigger()
    assert window.tabs.currentWidget() is window.models
    view = window.models
    qtbot.waitUntil(lambda: len(view.entries) == 3, timeout=TIMEOUT)
    return window, view


def _click_model(qtbot, view, label: str) -> None:
    row = next(i for i, e in enumerate(view.entries) if e.label == label)
    rect = view.table.visualRect(view.table.model().index(row, 0))
    with qtbot.waitSignal(view.held_out_loaded, timeout=TIMEOUT):
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert view.selected_entry is not None and view.selected_entry.label == label


def _click_point(qtbot, plot, x: float, y: float) -> None:
    vb = plot.getPlotItem().getViewBox()
    pos = plot.mapFromScene(vb.mapViewToScene(QPointF(x, y)))
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def _save(window, qtbot, name: str) -> Path:
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    target = SCREENSHOT_DIR / name
    window.grab()
    qtbot.wait(50)
    assert window.grab().save(str(target)), target
    return target


def test_regression_model_scatter_importance_explanation_and_monitor(
    qtbot, open_window, model_project: Path
) -> None:
    window, view = _open_models_page(qtbot, open_window, model_project)
    wb = window.wb
    labels = [e.label for e in view.entries]
    assert labels == ["log_solubility v1", "log_solubility v2", "tox21:SR-MMP v1"]
    assert view.table.item(0, 2).text() == "promoted" and view.table.item(0, 2).font().bold()
    assert view.table.item(1, 2).text() == "candidate"
    record = wb.model("log_solubility", 1).metrics_dict["held_out"]["mean"]["ensemble"]
    assert view.table.item(0, 5).text() == f"RMSE {record['rmse']:.3f}"

    _click_model(qtbot, view, "log_solubility v1")
    held = view.held
    # The held-out rows were re-derived from the recorded split: the registered artefact scores
    # exactly what training recorded on them.
    assert held.task == "regression" and held.warning is None
    assert held.metrics["rmse"] == pytest.approx(record["rmse"], rel=1e-6)
    assert held.metrics["r2"] == pytest.approx(record["r2"], rel=1e-6)
    assert len(view.points.data) == len(held.measured)
    assert 15 <= len(held.measured) < 100  # the held-out tenth of 250, not the whole set
    assert held.split == "random"
    assert "RMSE" in view.metrics_label.text()

    if not view.importance:
        qtbot.waitSignal(view.importance_loaded, timeout=TIMEOUT).wait()
    assert 1 <= len(view.importance) <= 15
    assert view.importance_chart.names == [r.feature for r in view.importance]
    assert view.importance[0].mean >= view.importance[-1].mean

    # Plot -> table: clicking a point selects that compound's row, and explains it.
    i = int(np.argmax(held.measured))  # a point at the edge of the cloud: nothing else under it
    with qtbot.waitSignal(view.explanation_loaded, timeout=TIMEOUT):
        _click_point(qtbot, view.perf_plot, float(held.measured[i]), float(held.predicted[i]))
    compound_id = int(held.compound_ids[i])
    assert window.hub.selected == {compound_id}
    assert window.selected_ids() == [compound_id]
    ex = view.explanation
    assert ex.inchikey == held.keys[i]
    # The prediction service (the cell call) and the held-out evaluation agree on this compound.
    assert ex.value == pytest.approx(held.predicted[i], rel=1e-5)
    assert ex.uncertainty is not None and ex.uncertainty > 0
    assert 1 <= len(ex.top) <= 10 and view.explain_chart.names == [f for f, _ in ex.top]
    assert len(view.highlight.data) == 1

    # Table -> plot: rows selected in the molecules table ring their held-out points.
    others = [int(c) for c in held.compound_ids[:3] if int(c) != compound_id][:2]
    ids = window.model.ids()
    selection = window.table.selectionModel()
    selection.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for cid in others:
        selection.select(window.model.index(ids.index(cid), 1), flags)
    assert window.hub.selected == set(others)
    assert len(view.highlight.data) == 2
    qtbot.waitUntil(
        lambda: view.explanation is not None and view.explanation.inchikey != held.keys[i], timeout=TIMEOUT
    )

    # Monitoring shows the predictions the explanations made through the service.
    view.refresh_monitor()
    qtbot.waitUntil(
        lambda: view.monitor.snapshot is not None and view.monitor.snapshot["predictions"] >= 2,
        timeout=TIMEOUT,
    )
    snap = view.monitor.snapshot
    assert view.monitor.values["predictions"].text() == f"{snap['predictions']:,}"
    assert sum(snap["latency_ms"]["counts"]) == snap["calls"]
    assert view.monitor.bars.opts["height"] == snap["latency_ms"]["counts"]
    _save(window, qtbot, "models_regression.png")


def test_classifier_roc_promote_and_roll_back(qtbot, open_window, model_project: Path) -> None:
    window, view = _open_models_page(qtbot, open_window, model_project)
    wb = window.wb
    _click_model(qtbot, view, "tox21:SR-MMP v1")
    held = view.held
    record = wb.model("tox21:SR-MMP").metrics_dict["held_out"]["mean"]["ensemble"]
    assert held.task == "classification" and held.roc is not None
    assert held.roc.auc == pytest.approx(record["roc_auc"], rel=1e-6)
    assert (
        held.roc.fpr[0] == 0
        and held.roc.tpr[-1] == pytest.approx(1.0)
        and held.roc.fpr[-1] == pytest.approx(1.0)
    )
    assert np.all(np.diff(held.roc.fpr) >= 0) and np.all(np.diff(held.roc.tpr) >= 0)
    assert view.strip_plot.isVisible() and len(view.strip_points.data) == len(held.measured)
    assert "ROC-AUC" in view.metrics_label.text()
    if not view.importance:
        qtbot.waitSignal(view.importance_loaded, timeout=TIMEOUT).wait()
    _save(window, qtbot, "models_classification.png")

    # Promote the candidate, then roll back to the version promoted before it.
    _click_model(qtbot, view, "log_solubility v2")
    assert view.promote_button.isEnabled() and not view.rollback_button.isEnabled()
    with qtbot.waitSignal(view.models_loaded, timeout=TIMEOUT):
        qtbot.mouseClick(view.promote_button, Qt.MouseButton.LeftButton)
    assert wb.model("log_solubility").version == 2
    assert {e.label: e.status for e in view.entries}["log_solubility v1"] == "candidate"
    assert view.selected_entry.label == "log_solubility v2" and view.rollback_button.isEnabled()
    assert view.status.text() == "Promoted log_solubility v2"
    # After a promotion: predict the whole library into the project's cache, in a child process.
    with qtbot.waitSignal(view.warmup_finished, timeout=TRAIN_TIMEOUT) as blocker:
        qtbot.mouseClick(view.warm_button, Qt.MouseButton.LeftButton)
    warmed = blocker.args[0]
    n_compounds = wb.compound_count()
    assert warmed["state"] == JobState.DONE, warmed
    assert warmed["cached_rows"] == n_compounds == wb.project.models.count_predictions(view.selected_entry.id)
    assert view.status.text() == f"log_solubility v2: {n_compounds:,} predictions cached in the project"
    qtbot.waitUntil(lambda: view.monitor.values["cached_rows"].text() == f"{n_compounds:,}", timeout=TIMEOUT)
    with qtbot.waitSignal(view.models_loaded, timeout=TIMEOUT):
        qtbot.mouseClick(view.rollback_button, Qt.MouseButton.LeftButton)
    assert wb.model("log_solubility").version == 1
    assert view.status.text() == "Rolled back: log_solubility v1 is promoted"
    assert {e.label: e.status for e in view.entries} == {
        "log_solubility v1": "promoted",
        "log_solubility v2": "candidate",
        "tox21:SR-MMP v1": "promoted",
    }


def test_train_dialog_trains_a_new_version_in_a_child_process(
    qtbot, open_window, model_project: Path
) -> None:
    window, view = _open_models_page(qtbot, open_window, model_project)
    qtbot.mouseClick(view.train_button, Qt.MouseButton.LeftButton)  # the page's "Train model…" button
    dialog = view.last_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=TIMEOUT)
    assert dialog.name_edit.text() == "" and dialog.members() == ("rf", "lgbm")  # the defaults, no preset
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    targets = [dialog.target_box.itemData(i) for i in range(dialog.target_box.count())]
    assert "log_solubility" in targets and "tox21:SR-MMP" in targets
    # Nothing to train with: the dialog says why and will not start.
    for box in dialog.member_boxes.values():
        box.setChecked(False)
    assert not ok.isEnabled() and dialog.reason.text() == "Choose at least one model."
    dialog.member_boxes["lgbm"].setChecked(True)
    assert ok.isEnabled() and dialog.reason.text() == ""
    dialog.target_box.setCurrentIndex(targets.index("log_solubility"))
    dialog.split_box.setCurrentIndex(dialog.split_box.findData("random"))
    dialog.folds.setValue(3)
    dialog.resize(640, dialog.sizeHint().height())
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    assert dialog.grab().save(str(SCREENSHOT_DIR / "train_dialog.png"))

    running: list[bool] = []
    view.train_slot.running_changed.connect(running.append)
    with qtbot.waitSignal(view.training_finished, timeout=TRAIN_TIMEOUT) as blocker:
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: view.progress.isVisible(), timeout=TIMEOUT)
        assert view.cancel_button.isVisible() and not view.train_button.isEnabled()
    result = blocker.args[0]
    assert isinstance(result, dict) and result["state"] == JobState.DONE, result
    assert result["model"]["name"] == "log_solubility" and result["model"]["version"] == 3
    assert running == [True, False] and not view.progress.isVisible()
    qtbot.waitUntil(lambda: len(view.entries) == 4, timeout=TIMEOUT)
    qtbot.waitUntil(
        lambda: view.selected_entry is not None and view.selected_entry.label == "log_solubility v3",
        timeout=TIMEOUT,
    )
    assert view.status.text().startswith("Trained log_solubility v3 (held-out RMSE ")
    row = window.wb.model("log_solubility", 3)
    assert row.status == "candidate" and row.params_dict["request"]["members"] == ["lgbm"]
    assert row.params_dict["request"]["n_folds"] == 3 and row.params_dict["request"]["split"] == "random"
    qtbot.waitUntil(lambda: view.held is not None and view.held.model_id == row.id, timeout=TIMEOUT)


def test_monitor_flags_drift_and_offers_a_retrain(qtbot, open_window, model_project: Path) -> None:
    """An ESOL solubility model asked about Tox21's drug-like and industrial compounds: the service
    measures how far their features lie from the training set, and the panel shows its verdict."""
    window, view = _open_models_page(qtbot, open_window, model_project)
    wb = window.wb
    _click_model(qtbot, view, "log_solubility v1")
    model_id = view.selected_entry.id
    esol_keys = {r.inchikey for r in wb.project.models.property_labels("log_solubility")}
    tox_keys = [r.inchikey for r in wb.compound_rows(wb.compound_ids()) if r.inchikey not in esol_keys]
    wb.predictions.predict(model_id, tox_keys)  # what the prediction columns would ask for
    expected = wb.model_monitor(model_id)
    view.refresh_monitor()
    qtbot.waitUntil(
        lambda: (
            view.monitor.snapshot is not None and view.monitor.snapshot["computed"] == expected["computed"]
        ),
        timeout=TIMEOUT,
    )
    snap = view.monitor.snapshot
    assert snap["drift"] == pytest.approx(expected["drift"])
    assert view.monitor.drift_label.text().startswith(f"Drift {snap['drift']:.2f} sd (threshold 0.50)")
    assert view.monitor.values["ood"].text() == f"{snap['out_of_domain_share']:.1%}"
    assert snap["retrain_suggested"], snap  # see the docstring: these compounds are far from ESOL's
    assert view.monitor.drift_label.text().endswith("retrain suggested")
    assert view.monitor.retrain_button.isVisible()
    assert view.monitor.suggestion.text().startswith("Retraining is suggested: ")
    _save(window, qtbot, "models_monitor_drift.png")
    qtbot.mouseClick(view.monitor.retrain_button, Qt.MouseButton.LeftButton)
    dialog = view.last_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=TIMEOUT)
    assert dialog.target_box.currentData() == "log_solubility"  # the version's recorded settings
    assert dialog.members() == ("rf", "lgbm") and dialog.folds.value() == 3
    dialog.reject()
