"""The Concentration–response tab of the mixtures view, driven like a user: built only when opened, fitting the
shipped formulation table (r0 fixed) fills the table with the stored fits and draws the selected series on a
log10-concentration axis, and a bad table is refused in words without touching the stored fits."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from cryodesk.engine.mixtures import (
    fit_concentration_responses,
    shipped_formulations_csv,
    stored_concentration_responses,
)
from cryodesk.engine.service import Workbench
from cryodesk.gui.dose_response_view import (
    ConcentrationResponseView,
    describe_plot,
    plotted_points,
)
from cryodesk.gui.main_window import MIXTURES_TAB, MainWindow
from cryodesk.gui.mixtures_view import DOSE_RESPONSE_TAB

from .helpers import save_screenshot

TIMEOUT = 30_000


def _mixtures_page(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.mixtures.list.count() > 0, timeout=TIMEOUT)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # View ▸ Mixtures
    assert window.tabs.currentIndex() == MIXTURES_TAB


def _open_tab(qtbot, window: MainWindow) -> ConcentrationResponseView:
    """Click the tab, as a user would, and wait for the stored fits to be read."""
    bar = window.mixtures.pages.tabBar()
    assert bar.tabText(DOSE_RESPONSE_TAB) == "Concentration–response"
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(DOSE_RESPONSE_TAB).center())
    page = window.mixtures.dose_response
    assert page is not None
    qtbot.waitUntil(lambda: not page.load_slot.running, timeout=TIMEOUT)
    return page


def _click_row(qtbot, page: ConcentrationResponseView, row: int) -> None:
    table = page.table
    table.scrollToItem(table.item(row, 0))
    rect = table.visualRect(table.model().index(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert table.currentRow() == row


def _fit_shipped(qtbot, page: ConcentrationResponseView) -> list[dict]:
    if not page.fix_r0.isChecked():
        qtbot.mouseClick(page.fix_r0, Qt.MouseButton.LeftButton)
    assert page.fix_r0.isChecked()
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT) as loaded:
        qtbot.mouseClick(page.shipped_button, Qt.MouseButton.LeftButton)
    return loaded.args[0]


def _cells(page: ConcentrationResponseView) -> list[list[str]]:
    table = page.table
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_the_tab_is_built_and_read_only_when_opened(qtbot, open_window, seeded_project: Path) -> None:
    window = open_window(Workbench.open(seeded_project))
    _mixtures_page(qtbot, window)
    view = window.mixtures
    view.refresh()  # a refresh (a new project, an import) must not build it either
    qtbot.waitUntil(lambda: not view.names_slot.running, timeout=TIMEOUT)
    assert view.dose_response is None
    assert window.findChildren(ConcentrationResponseView) == []
    assert not [
        p for p in window.findChildren(pg.PlotWidget) if p.objectName() == "ConcentrationResponsePlot"
    ]
    assert view.dose_response_slots() == []

    page = _open_tab(qtbot, window)
    assert window.findChildren(ConcentrationResponseView) == [page]
    assert page.isVisible() and page.plot.isVisible()
    assert set(page.slots()) <= set(window._all_slots())  # shutdown waits for its tasks
    assert page.table.rowCount() == 0 and stored_concentration_responses(window.wb.project) == {}
    assert "No concentration–response fits yet" in page.caption.text()
    # opening it again reuses the same view
    view.pages.setCurrentIndex(0)
    view.pages.setCurrentIndex(DOSE_RESPONSE_TAB)
    assert window.findChildren(ConcentrationResponseView) == [page]


def test_fitting_the_shipped_table_fills_the_table_and_draws_the_selected_series(
    qtbot, open_window, seeded_project: Path
) -> None:
    window = open_window(Workbench.open(seeded_project))
    _mixtures_page(qtbot, window)
    page = _open_tab(qtbot, window)
    entries = _fit_shipped(qtbot, page)

    stored = stored_concentration_responses(window.wb.project)
    assert stored and len(entries) == len(stored) == page.table.rowCount()
    assert "fitted and stored" in page.caption.text()
    for row, cells in enumerate(_cells(page)):
        entry = stored[entries[row]["key"]]
        fit = entry["fit"]
        assert fit["fixed"] == {"r0": 0.0}
        ingredient, points, ec50, _hill, _ends, r2, source, status = cells
        assert ingredient == entry["ingredient"] and points == str(len(entry["points"]))
        assert ec50.startswith(f"{fit['ec50']:.3g} {fit['concentration_unit']} (")
        assert r2 == f"{fit['r_squared']:.3f}" and entry["doi"] in source
        assert status.startswith("fitted (r0 fixed at 0)")

    for row in reversed(range(page.table.rowCount())):
        _click_row(qtbot, page, row)
        entry = stored[entries[row]["key"]]
        positive = [c for c, _y, _n in entry["points"] if c > 0]
        x, y = page.points_item().getData()
        assert len(x) == len(positive)
        assert np.allclose(x, np.log10(positive)) and np.allclose(
            y, [p[1] for p in entry["points"] if p[0] > 0]
        )
        curve_x, curve_y = page.plot.getPlotItem().listDataItems()[0].getData()
        fit = entry["fit"]
        halfway = (fit["r0"] + fit["r_inf"]) / 2
        if curve_x.min() <= math.log10(fit["ec50"]) <= curve_x.max():
            assert np.interp(math.log10(fit["ec50"]), curve_x, curve_y) == pytest.approx(halfway, abs=0.5)
        assert page.plot.getPlotItem().getAxis("bottom").labelText == f"log10({entry['ingredient']} / mol/L)"
        assert entry["ingredient"] in page.plot_note.text()
    assert not page.plot.getPlotItem().getAxis("bottom").logMode  # a plain linear axis of log10 values
    _click_row(qtbot, page, [e["ingredient"] for e in entries].index("sucrose"))  # a well-pinned fit
    save_screenshot(window, qtbot, "concentration_response.png")


def test_bad_tables_are_refused_in_words_and_the_stored_fits_stay(
    qtbot, open_window, seeded_project: Path, tmp_path: Path, monkeypatch
) -> None:
    window = open_window(Workbench.open(seeded_project))
    _mixtures_page(qtbot, window)
    page = _open_tab(qtbot, window)
    _fit_shipped(qtbot, page)
    before, shown = stored_concentration_responses(window.wb.project), _cells(page)
    assert before

    chosen: list[Path] = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(chosen[-1]), ""))

    def choose(path: Path) -> None:
        chosen.append(path)
        qtbot.mouseClick(page.fit_button, Qt.MouseButton.LeftButton)

    binary = tmp_path / "scan.csv"
    binary.write_bytes(b"\xff\xfe\x00\x01 not a table \x80")
    with qtbot.waitSignal(page.fit_failed, timeout=TIMEOUT):
        choose(binary)
    assert "Could not fit: scan.csv is not UTF-8 text (byte 0xff at position 0)" in page.caption.text()
    assert "unchanged" in page.caption.text()

    with qtbot.waitSignal(page.fit_failed, timeout=TIMEOUT):
        choose(tmp_path / "gone.csv")
    assert "gone.csv does not exist" in page.caption.text()

    wrong = tmp_path / "wrong_columns.csv"
    wrong.write_text("name,amount\nDMSO,10\n", encoding="utf-8")
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT):
        choose(wrong)
    caption = page.caption.text()
    assert "No concentration series found, nothing stored" in caption
    assert "row 1, field 'viability_percent'" in caption

    assert stored_concentration_responses(window.wb.project) == before
    assert _cells(page) == shown
    assert page.fit_button.isEnabled() and page.shipped_button.isEnabled()


def test_a_zero_concentration_control_is_named_not_drawn(tmp_path: Path) -> None:
    wb = Workbench.open(tmp_path / "fits.cryodesk")
    try:
        entry = fit_concentration_responses(wb, shipped_formulations_csv(), r0=0.0).entries[0]
    finally:
        wb.close()
    with_control = dict(entry, points=[[0.0, 97.0, 3], *entry["points"]])
    x, _y = plotted_points(with_control)
    assert len(x) == len(entry["points"])
    note = describe_plot(with_control)
    assert "control at 0 mol/L not drawn on the log axis: viability 97 %" in note
    assert "r0 = 0 % (fixed)" in note
