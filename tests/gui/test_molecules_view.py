"""The Molecules view as a user drives it: paste structures, colour by a scoring profile, sort by a
prediction column.

The project holds 250 real ESOL rows (measured log solubility) and a tiny promoted log-solubility
model, trained once per module; each test works on a private copy. Expected values come from the
engine's own calls on the same project (the cached predictions, the profile's desirabilities).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QApplication

from cryodesk.engine import views
from cryodesk.engine.paste import PASTE_SOURCE
from cryodesk.engine.service import Workbench
from cryodesk.engine.training import train_and_register
from cryodesk.gui.molecule_table import LEVEL_COLOURS
from cryodesk.ml.scoring import Profile, Term, desirability
from tests.engine.test_training import esol_workbench, tiny_request

from .helpers import has_chemistry, save_screenshot

pytestmark = pytest.mark.skipif(not has_chemistry(), reason="cryodesk.chem not available")
TIMEOUT = 60_000
WARM_TIMEOUT = 240_000
PROFILE = "Solubility first"
PRED_KEY = views.PREDICTION_PREFIX + "log_solubility"


@pytest.fixture(scope="module")
def esol_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("molecules_view")
    wb = esol_workbench(tmp, n=250)
    try:
        train_and_register(wb.project, tiny_request())  # log_solubility v1, promoted (the first version)
        wb.save_scoring_profile(Profile(PROFILE, (Term("log_solubility", "up", -4.0, 0.0, unit="log10(M)"),)))
    finally:
        wb.close()
    return tmp


@pytest.fixture()
def esol_project(esol_source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "proj"
    shutil.copytree(esol_source, target)
    return target / "esol.cryodesk"


def _show_right_end(window) -> None:
    """Narrow the name column and widen the value columns (as a user drags them), then scroll the
    table to its last columns (the property, prediction and score columns)."""
    from cryodesk.gui.molecule_table import Column

    window.table.setColumnWidth(Column.NAME, 90)
    for c in window.model.property_columns():
        window.table.setColumnWidth(window.model.section_of(c.key), 175)
    bar = window.table.horizontalScrollBar()
    bar.setValue(bar.maximum())


def _colour(level: str) -> QColor:
    return QColor(*LEVEL_COLOURS[level])


def test_paste_adds_resolved_lines_reports_failures_and_selects_the_rows(
    qtbot, open_window, esol_project: Path
) -> None:
    window = open_window(Workbench.open(esol_project))
    extras = window.molecule_extras
    extras.paste_online = False  # the offline strategies only: no network in the tests
    before = window.wb.compound_count()
    present_smiles = window.wb.compound_rows(window.model.ids()[:1])[0].smiles
    # A column copied from a spreadsheet: header, a new SMILES, one already in the project, junk.
    QApplication.clipboard().setText(f"SMILES\nOCC(O)CO\n{present_smiles}\nC1CC(\n")
    window.table.setFocus()
    with qtbot.waitSignal(extras.pasted, timeout=TIMEOUT) as signal:
        qtbot.keyClick(window.table, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    result = signal.args[0]
    assert [p.status for p in result.lines] == ["added", "present", "failed"]
    assert result.skipped_header == "SMILES"
    assert result.failed[0].line == 4 and result.failed[0].reason  # the reason is shown to the user
    assert window.wb.compound_count() == before + 1
    # The new compound carries its provenance, and both named compounds are the selection.
    added = result.added[0]
    sources = {i.source for i in window.wb.project.identifiers.for_compound(added.inchikey)}
    assert PASTE_SOURCE in sources
    assert sorted(window.selected_ids()) == sorted(result.compound_ids)
    assert window.model.row_of(added.compound_id) is not None
    assert extras.report_box.isVisible() and "C1CC(" in extras.report_box.detailedText()
    extras.report_box.close()


def test_profile_colours_cells_by_the_engines_desirability(qtbot, open_window, esol_project: Path) -> None:
    window = open_window(Workbench.open(esol_project))
    window.set_property_columns(["log_solubility"])
    box = window.molecule_extras.profile_box
    qtbot.waitUntil(lambda: box.findText(PROFILE) > 0, timeout=TIMEOUT)
    # The user picks the profile in the toolbar's "Colour by" box.
    box.setCurrentIndex(box.findText(PROFILE))
    box.activated.emit(box.currentIndex())
    score_key = views.SCORE_PREFIX + PROFILE
    assert window.model.section_of(score_key) is not None
    wb = window.wb
    expected = {
        s.compound_id: s.desirability["log_solubility"] for s in wb.rank_compounds(PROFILE, method="delta")
    }
    section = window.model.section_of("log_solubility")
    levels = set()
    for row in range(40):
        cid = window.model.id_at(row)
        colour = window.model.data(window.model.index(row, section), Qt.ItemDataRole.BackgroundRole)
        level = views.desirability_level(expected.get(cid))
        if level is None:
            assert colour is None
        else:
            assert colour == _colour(level), (row, cid, expected[cid])
            levels.add(level)
    assert len(levels) >= 2  # real data spans the ramp: the colours differ between rows
    score = window.model.data(window.model.index(0, window.model.section_of(score_key)))
    assert score and float(score.split()[0]) >= 0.0
    # Screenshot where the traffic light changes: rows of different levels on one screen.
    first = window.model.data(window.model.index(0, section), Qt.ItemDataRole.BackgroundRole)
    change = next(
        r
        for r in range(window.model.rowCount())
        if window.model.data(window.model.index(r, section), Qt.ItemDataRole.BackgroundRole) != first
    )
    _show_right_end(window)
    window.table.scrollTo(
        window.model.index(max(0, change - 2), section), QAbstractItemView.ScrollHint.PositionAtTop
    )
    save_screenshot(window, qtbot, "molecules_profile_colours.png")
    # Sorting by the score column puts the most desirable compound first.
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT):
        window.sort_by(score_key, descending=True)
    top = window.model.cell(0, score_key)
    assert top is not None and top.value == pytest.approx(
        max(s.score for s in wb.rank_compounds(PROFILE, method="delta") if s.coverage > 0)
    )


def test_prediction_column_is_warmed_in_the_background_then_sorted_and_filtered(
    qtbot, open_window, esol_project: Path
) -> None:
    window = open_window(Workbench.open(esol_project))
    extras = window.molecule_extras
    assert PRED_KEY in {c.key for c in window.available_columns()}
    with qtbot.waitSignal(extras.warmed, timeout=WARM_TIMEOUT):
        window.set_property_columns(["log_solubility", PRED_KEY])  # cells show "…" until the warm-up ends
        assert window.model.cell(0, PRED_KEY) is None or window.model.cell(0, PRED_KEY).pending
    section = window.model.section_of(PRED_KEY)
    assert window.model.headerData(section, Qt.Orientation.Horizontal) == "log_solubility (log10(M)) pred"
    qtbot.waitUntil(
        lambda: window.model.cell(0, PRED_KEY) is not None and not window.model.cell(0, PRED_KEY).pending,
        timeout=TIMEOUT,
    )
    assert "±" in window.model.cell(0, PRED_KEY).text
    # Click the header: the engine sorts ascending by prediction.
    header = window.table.horizontalHeader()
    x = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT):
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    ids = window.model.ids()
    batch = window.wb.predict("log_solubility", [r.inchikey for r in window.wb.compound_rows(ids)])
    values = [r.value for r in batch.rows]
    assert values == sorted(values)
    assert window.model.cell(0, PRED_KEY).value == pytest.approx(values[0])
    # Value ± half-width as the engine predicts it; out-of-domain predictions are marked.
    for r, pred in enumerate(batch.rows[:40]):
        cell = window.model.cell(r, PRED_KEY)
        assert cell.value == pytest.approx(pred.value)
        assert f"± {pred.uncertainty:.2g}" in cell.text
        assert cell.out_of_domain == (pred.in_domain is False)
        assert cell.text.startswith("⚠") == (pred.in_domain is False)
    # A range filter on the prediction column, from the Filters dock.
    median = sorted(values)[len(values) // 2]
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT):
        window.add_filter(PRED_KEY).set_bounds(None, median)
    kept = window.model.ids()
    assert 0 < len(kept) < len(ids)
    kept_values = [
        r.value
        for r in window.wb.predict("log_solubility", [r.inchikey for r in window.wb.compound_rows(kept)]).rows
    ]
    assert all(v <= median for v in kept_values)
    assert len(kept) == sum(1 for v in values if v <= median)
    # With the profile chosen, the prediction column is coloured too (screenshot of the whole view).
    box = extras.profile_box
    qtbot.waitUntil(lambda: box.findText(PROFILE) > 0, timeout=TIMEOUT)
    box.setCurrentIndex(box.findText(PROFILE))
    box.activated.emit(box.currentIndex())
    # Each prediction cell is coloured by the desirability of its predicted value.
    term = window.wb.scoring_profiles()[PROFILE].terms[0]
    pred_section = window.model.section_of(PRED_KEY)
    levels = set()
    for r in range(min(30, len(kept))):
        cell = window.model.cell(r, PRED_KEY)
        level = views.desirability_level(float(desirability(term, cell.value)))
        colour = window.model.data(window.model.index(r, pred_section), Qt.ItemDataRole.BackgroundRole)
        assert colour == _colour(level), (r, cell.value)
        levels.add(level)
    assert levels
    _show_right_end(window)
    save_screenshot(window, qtbot, "molecules_predictions.png")


def test_score_columns_list_every_builtin_profile_without_importing_the_ml_stack() -> None:
    from cryodesk.ml.scoring import BUILTIN_PROFILES

    # views lists score columns from names it keeps itself (importing cryodesk.ml costs seconds).
    assert set(views.BUILTIN_PROFILE_NAMES) == set(BUILTIN_PROFILES)
