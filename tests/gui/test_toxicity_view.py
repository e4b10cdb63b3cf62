"""The toxicity view driven like a user: open it from the detail panel and the View menu, read the
heat-strip, score, caveat and pathways, compare two compounds, export PNG and CSV, and save the
1400x900 screenshot of DMSO beside a Tox21-active compound."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from cryodesk.engine.service import Workbench
from cryodesk.engine.training import train_and_register
from cryodesk.gui.toxicity_view import ToxicityView

from .helpers import SCREENSHOT_DIR

DMSO = "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"


def _active_compound(wb: Workbench) -> str:
    """A Tox21 compound with the most 12-task actives among those missing one task (so a model predicts it)."""
    rows = wb.project.db.query(
        "SELECT c.inchikey, sum(r.outcome = 'active') AS act, count(*) AS n FROM compounds c"
        " JOIN assay_results r ON r.compound_id = c.id JOIN assays a ON a.id = r.assay_id"
        " WHERE a.key LIKE 'tox21:%' AND c.name IS NOT NULL GROUP BY c.id HAVING n = 11"
        " AND sum(a.key = 'tox21:SR-MMP') = 0 ORDER BY act DESC, c.id LIMIT 1"
    )
    assert rows and rows[0][1] >= 3
    return rows[0][0]


@pytest.fixture()
def wb(seeded_project: Path):
    bench = Workbench.open(seeded_project)
    yield bench
    bench.close()


def _open(qtbot, wb: Workbench, keys: list[str]) -> ToxicityView:
    view = ToxicityView(lambda: wb)
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        view.show_compounds(keys)
    return view


def test_profile_of_dmso_shows_score_basis_caveat_and_process_groups(qtbot, wb: Workbench) -> None:
    view = _open(qtbot, wb, [DMSO])
    title = view.title_label.text()
    assert not view.compare_mode and ("DMSO" in title or "sulfoxide" in title.lower())
    score = view.score_label.text()
    assert "rests on <b>12</b> assays" in score and "unweighted" in score
    assert "micromolar" in view.caveat_label.text() and "not a verdict" in view.caveat_label.text()
    processes = [p for p, _ in view.columns]
    assert processes == sorted(
        processes,
        key=[
            "nuclear receptor",
            "stress response",
            "mitochondrial",
            "DNA damage",
            "cytotoxicity",
            "other",
        ].index,
    )
    assert {"nuclear receptor", "stress response", "mitochondrial", "DNA damage"} <= set(processes)
    activity, predicted = view.cell_values()
    assert activity.shape == (1, 12) and not predicted.any()
    # Tox21 (row 3688 of the 12-task table) calls DMSO active in SR-ARE only: one cell, one weak pathway
    keys = [k for _, k in view.columns]
    assert np.nansum(activity) == 1 and activity[0, keys.index("tox21:SR-ARE")] == 1
    row = [view.pathway_table.item(0, c).text() for c in range(8)]
    assert row[1].startswith("Nrf2/ARE") and row[2] == "AOP 40" and row[3] == "low (1 assay)"
    assert row[5] == "flag unavailable (no potency data)"
    assert view.pathway_table.rowCount() == 2  # the other mapped pathways: one "no hit" summary row
    assert view.pathway_table.item(1, 1).text().startswith("no hit in ")


def test_compare_mode_pathways_predictions_and_exports(qtbot, wb: Workbench, tmp_path: Path) -> None:
    from tests.engine.test_training import tiny_request

    active = _active_compound(wb)
    train_and_register(wb.project, tiny_request("tox21:SR-MMP", promote=True))
    view = _open(qtbot, wb, [DMSO, active])
    assert view.compare_mode and view.title_label.text().startswith("Compare: ")
    activity, predicted = view.cell_values()
    assert activity.shape[0] == 2
    mmp = [k for _, k in view.columns].index("tox21:SR-MMP")
    assert predicted[1, mmp] and not predicted[0, mmp]  # the active compound was not tested in SR-MMP
    assert 0.0 <= activity[1, mmp] <= 1.0
    pred_rows = [
        [view.predicted_table.item(r, c).text() for c in range(6)]
        for r in range(view.predicted_table.rowCount())
    ]
    assert any(r[1] == "SR-MMP" and r[3] and r[5].startswith("tox21:SR-MMP v") for r in pred_rows), pred_rows
    pathway_rows = [
        [view.pathway_table.item(r, c).text() for c in range(8)] for r in range(view.pathway_table.rowCount())
    ]
    active_name = view.reports[1].name or active
    active_rows = [r for r in pathway_rows if r[0] == active_name]
    assert any(r[2].startswith("AOP ") and r[3] and int(r[4]) >= 1 for r in active_rows)
    assert all(
        r[5] in ("flag unavailable (no potency data)", "") for r in pathway_rows
    )  # 12-task table: no AC50
    assert (
        "<b>Dimethyl sulfoxide</b>: toxicity score <b>0.083</b>, rests on <b>12</b>"
        in view.score_label.text()
    )

    png = view.export_png(tmp_path / "tox.png")
    assert png.stat().st_size > 10_000
    rows = list(csv.DictReader(view.export_csv(tmp_path / "tox.csv").open(encoding="utf-8")))
    assert {r["kind"] for r in rows} == {"measured", "predicted"}
    assert sum(1 for r in rows if r["inchikey"] == DMSO) == 12
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    view.export_png(SCREENSHOT_DIR / "toxicity_compare_dmso_active.png")


def test_opened_from_the_detail_panel_and_the_view_menu(qtbot, open_window, wb: Workbench) -> None:
    window = open_window(wb)
    detail = window.detail
    detail.show_detail(wb.compound_detail(DMSO))
    qtbot.mouseClick(detail.toxicity_button, Qt.MouseButton.LeftButton)
    view = detail.toxicity_window
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: bool(view.reports), timeout=60_000)
    assert view.reports[0].inchikey == DMSO
    assert window.open_toxicity_view([DMSO, _active_compound(wb)]) is window.toxicity_window
    other = window.toxicity_window
    qtbot.addWidget(other)
    qtbot.waitUntil(lambda: len(other.reports) == 2, timeout=60_000)
    assert window.toxicity_action.text().startswith("&Toxicity")
