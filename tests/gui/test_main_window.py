"""The first window driven as a user would: search, select, import, cancel, About; with screenshots."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from cryodesk.domain import JobState
from cryodesk.engine.service import Workbench
from cryodesk.gui.dialogs import SOURCES_TAB, AboutDialog, ImportSummaryDialog
from cryodesk.gui.main_window import ImportResult, JobReport, MainWindow
from cryodesk.gui.molecule_table import Column

from .helpers import REFERENCE_COMPOUNDS, SCREENSHOT_DIR, has_chemistry, has_depiction

N_REF = len(REFERENCE_COMPOUNDS)
needs_chemistry = pytest.mark.skipif(not has_chemistry(), reason="cryodesk.chem (parsing) not available yet")
needs_depiction = pytest.mark.skipif(not has_depiction(), reason="cryodesk.chem.depict_png not available yet")


def _names(window: MainWindow) -> list[str]:
    model = window.model
    return [model.index(r, Column.NAME).data() for r in range(model.rowCount())]


def _table_texts(table, column: int) -> list[str]:
    return [table.item(r, column).text() for r in range(table.rowCount())]


def _select(qtbot, window: MainWindow, name: str) -> None:
    row = _names(window).index(name)
    with qtbot.waitSignal(window.detail.shown, timeout=10_000):
        window.table.selectRow(row)


def test_window_opens_with_all_compounds_counted(open_window, reference_project: Path) -> None:
    window = open_window(Workbench.open(reference_project))
    assert window.model.rowCount() == N_REF
    assert window.count_label.text() == f"{N_REF} of {N_REF} shown"
    assert "reference.cryodesk" in window.windowTitle()
    assert not window.activity.isVisible()  # a seeded project starts no job
    assert _names(window)[:3] == ["1,2-Propanediol", "Betaine", "Dimethyl sulfoxide"]


def test_search_filters_rows_and_updates_the_count(qtbot, open_window, reference_project: Path) -> None:
    window = open_window(Workbench.open(reference_project))
    searches: list[tuple[int, int]] = []
    window.search_done.connect(lambda shown, total: searches.append((shown, total)))

    with qtbot.waitSignal(window.search_done, timeout=10_000):
        qtbot.keyClicks(window.search_box, "glycerol")
    assert searches == [(1, N_REF)]  # debounced: eight keystrokes, one search
    assert _names(window) == ["Glycerol"]
    assert window.count_label.text() == f"1 of {N_REF} shown"

    for query, expected in (("67-68-5", "Dimethyl sulfoxide"),  # CAS number
                            ("dmso", "Dimethyl sulfoxide"),  # synonym
                            ("LYCAIKOWRPUZTN-UHFFFAOYSA-N", "Ethylene glycol"),  # InChIKey
                            ("CC(O)CO", "1,2-Propanediol")):  # SMILES as stored
        window.search_box.setText(query)
        with qtbot.waitSignal(window.search_done, timeout=10_000):
            qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
        assert _names(window)[0] == expected, query

    with qtbot.waitSignal(window.search_done, timeout=10_000):
        window.search_box.clear()
    assert window.model.rowCount() == N_REF
    assert window.count_label.text() == f"{N_REF} of {N_REF} shown"

    with qtbot.waitSignal(window.search_done, timeout=10_000):
        window.search_box.setText("no such compound anywhere")
    assert window.model.rowCount() == 0
    assert window.count_label.text() == f"0 of {N_REF} shown"


def test_selecting_a_row_shows_values_with_their_sources(qtbot, open_window, reference_project: Path) -> None:
    window = open_window(Workbench.open(reference_project))
    _select(qtbot, window, "Dimethyl sulfoxide")
    panel = window.detail
    assert panel.name_label.text() == "Dimethyl sulfoxide"
    assert panel.inchikey_label.text() == "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"

    props = panel.properties_table
    assert props.rowCount() == 3
    rows = [[props.item(r, c).text() for c in range(props.columnCount())] for r in range(props.rowCount())]
    by_record = {row[6]: row for row in rows}
    # Two Tg values of the same source are kept side by side, each with its record and citation.
    assert by_record["row 12"][:7] == ["Tg", "137", "K", "pure", "measured", "koop_tg", "row 12"]
    assert by_record["row 13"][1] == "150"
    assert "Koop" in by_record["row 12"][7] and by_record["row 12"][8] == "salt_free"
    assert by_record["MP-3311"][:2] == ["melting_point", "18.5"] and by_record["MP-3311"][5] == "bradley_mp"
    assert "Citation: Koop" in props.item(0, 0).toolTip() or "Citation: Koop" in props.item(1, 0).toolTip()
    assert panel.tabs.tabText(0) == "Properties (3)"
    # The full record of the value in focus, readable however narrow the panel is.
    row_12 = next(r for r in range(props.rowCount()) if props.item(r, 6).text() == "row 12")
    props.setCurrentCell(row_12, 1)
    record = panel.provenance_label.text()
    assert record.startswith("Tg = 137 K (pure)")
    assert "Source: koop_tg, record row 12" in record and "Citation: Koop" in record and "salt_free" in record

    ids = panel.identifiers_table
    assert {"DMSO", "67-68-5", "Dimethyl sulfoxide"} <= set(_table_texts(ids, 1))
    assert set(_table_texts(ids, 2)) == {"reference"}
    assays = panel.assays_table
    assert _table_texts(assays, 0) == ["tox21_SR-ARE"]
    assert _table_texts(assays, 1) == ["inactive"]
    assert _table_texts(assays, 5) == ["tox21"]

    # Another row replaces the panel's content; a search that drops the row clears it.
    _select(qtbot, window, "Glycerol")
    assert {r[0] for r in [[props.item(r, 0).text()] for r in range(props.rowCount())]} == {
        "Tg", "melting_point", "log_solubility"}
    with qtbot.waitSignal(window.search_done, timeout=10_000):
        window.search_box.setText("proline")
    qtbot.waitUntil(lambda: panel.detail is None, timeout=5000)


def _write_csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "smiles", "Tg (K)"])
        writer.writerows(rows)
    return path


@needs_chemistry
def test_import_runs_in_the_background_and_refreshes_the_table(qtbot, open_window, reference_project: Path,
                                                               tmp_path: Path) -> None:
    window = open_window(Workbench.open(reference_project))
    window.import_workers = 1  # in-process: a process pool's start-up would dominate a tiny file
    source = _write_csv(tmp_path / "small.csv", [
        ("Methanol", "CO", "103"),
        ("Acetamide", "CC(N)=O", "200"),
        ("Dimethylacetamide", "CN(C)C(C)=O", ""),
        ("2-Methoxyethanol", "COCCO", "130"),
        ("broken", "C1CC(", "150"),  # unclosed ring: rejected with its row number
        ("Glycerol", "OCC(O)CO", "191"),  # already in the project: a new value, no new compound
    ])
    progress: list[tuple[int, int, str]] = []
    window.job_slot.progress.connect(lambda d, t, m: progress.append((d, t, m)))
    with qtbot.waitSignal(window.job_finished, timeout=120_000) as blocker:
        assert window.start_import(source)
        assert window.activity.isVisible() and window.activity.cancel_button.isEnabled()
        assert not window.import_action.isEnabled()  # one job at a time
    report: JobReport = blocker.args[0]
    assert report.kind == "import" and report.error is None
    result: ImportResult = report.result
    assert result.outcome.state == JobState.DONE
    assert result.summary.rows_stored == 5
    assert result.summary.rows_rejected == 1
    assert [e.row for e in result.row_errors] and "C1CC(" in (result.row_errors[0].value or "")
    assert progress, "no progress reported"
    assert not window.activity.isVisible()
    assert window.import_action.isEnabled()

    dialog = window.last_dialog
    assert isinstance(dialog, ImportSummaryDialog) and dialog.isVisible()
    assert dialog.figures["rows_stored"] == 5 and dialog.figures["rows_rejected"] == 1
    assert dialog.errors_table.rowCount() == 1
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    dialog.grab().save(str(SCREENSHOT_DIR / "import_summary.png"))
    dialog.close()

    qtbot.waitUntil(lambda: window.model.rowCount() == N_REF + 4, timeout=10_000)
    assert {"Methanol", "Acetamide", "2-Methoxyethanol"} <= set(_names(window))
    assert window.count_label.text() == f"{N_REF + 4} of {N_REF + 4} shown"


@needs_chemistry
def test_cancel_stops_a_running_import(qtbot, open_window, reference_project: Path, tmp_path: Path) -> None:
    window = open_window(Workbench.open(reference_project))
    window.import_workers = 1
    rows = [(f"ether {a}-{b}", "C" * a + "O" + "C" * b, str(100 + a + b)) for a in range(1, 80) for b in range(1, 80)]
    source = _write_csv(tmp_path / "big.csv", rows)  # 6,241 rows: many chunks, time to cancel
    # Press Cancel the moment the first chunk reports, as a user watching the bar would.
    window.job_slot.progress.connect(lambda *_: window.activity.cancel_button.isEnabled()
                                     and window.activity.cancel_button.click())
    with qtbot.waitSignal(window.job_finished, timeout=120_000) as blocker:
        assert window.start_import(source)
    result: ImportResult = blocker.args[0].result
    assert result.outcome.state == JobState.CANCELLED
    stored = getattr(result.summary, "rows_stored", None)
    assert stored is None or stored < len(rows)
    dialog = window.last_dialog
    assert isinstance(dialog, ImportSummaryDialog) and "cancelled" in dialog.headline.text()
    dialog.close()
    assert not window.activity.isVisible()
    assert window.import_action.isEnabled()
    qtbot.waitUntil(lambda: not window.search_slot.running, timeout=10_000)
    assert window.model.rowCount() < N_REF + len(rows)


def test_about_lists_the_data_sources_with_licence_and_citation(qtbot, open_window,
                                                                reference_project: Path) -> None:
    window = open_window(Workbench.open(reference_project))
    dialog = window.show_about(SOURCES_TAB)
    assert isinstance(dialog, AboutDialog) and dialog.tabs.currentIndex() == SOURCES_TAB
    text = dialog.sources.toPlainText()
    for expected in ("Koop compilation", "CC BY 3.0", "Phys. Chem. Chem. Phys.", "Open Melting Point",
                     "CC0", "Tox21 Data Challenge", "https://tripod.nih.gov/tox21/challenge/"):
        assert expected in text
    assert dialog.tabs.tabText(SOURCES_TAB) == "Data sources (3)"
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    qtbot.waitExposed(dialog)
    dialog.grab().save(str(SCREENSHOT_DIR / "about_data_sources.png"))
    dialog.tabs.setCurrentIndex(0)
    dialog.grab().save(str(SCREENSHOT_DIR / "about.png"))
    dialog.close()


def test_layout_is_saved_and_restored(qtbot, open_window, reference_project: Path) -> None:
    window = open_window(Workbench.open(reference_project))
    window.detail_dock.hide()
    window.table.setColumnWidth(Column.FORMULA, 151)
    window.resize(1200, 800)
    window.close()
    again = open_window(Workbench.open(reference_project))
    assert not again.detail_dock.isVisible()
    assert again.table.columnWidth(Column.FORMULA) == 151


def _dark_pixels(image: QImage, x0: int, y0: int, x1: int, y1: int) -> int:
    count = 0
    for y in range(y0, y1, 2):
        for x in range(x0, x1, 2):
            if QColor(image.pixel(x, y)).lightness() < 100:
                count += 1
    return count


@needs_depiction
def test_screenshot_of_the_main_window_with_data(qtbot, open_window, reference_project: Path) -> None:
    window = open_window(Workbench.open(reference_project))
    _select(qtbot, window, "Dimethyl sulfoxide")
    table = window.table
    rows = table.visible_rows()
    qtbot.waitUntil(lambda: window.depictions.pending_count() == 0 and window.detail.structure.is_drawn()
                    and window.depictions.renders >= len(rows), timeout=30_000)
    image = window.grab().toImage()
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    image.save(str(SCREENSHOT_DIR / "main_window.png"))

    # Every fully visible structure cell has ink (bonds and atom labels), not just a background
    # (a row cut by the viewport's edge may show only a coloured atom label).
    origin = table.viewport().mapTo(window, table.viewport().rect().topLeft())
    x = origin.x() + table.columnViewportPosition(Column.STRUCTURE)
    bottom = table.viewport().height()
    full_rows = [r for r in rows if table.rowViewportPosition(r) + table.rowHeight(r) <= bottom]
    assert len(full_rows) >= 3
    for row in full_rows:
        y = origin.y() + table.rowViewportPosition(row)
        ink = _dark_pixels(image, x + 4, y + 4, x + table.columnWidth(Column.STRUCTURE) - 4,
                           y + table.rowHeight(row) - 4)
        assert ink > 5, f"structure of row {row} looks blank"


def test_export_selection_writes_the_selected_rows_in_the_background(qtbot, open_window, reference_project: Path,
                                                                    tmp_path: Path) -> None:
    window = open_window(Workbench.open(reference_project))
    names = _names(window)
    selection = window.table.selectionModel()
    from PySide6.QtCore import QItemSelectionModel

    for name in ("Glycerol", "Dimethyl sulfoxide"):
        selection.select(window.model.index(names.index(name), 0),
                         QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    ids = window.selected_ids()
    assert len(ids) == 2
    target = tmp_path / "selection.csv"
    with qtbot.waitSignal(window.job_finished, timeout=30_000) as blocker:
        assert window.start_export(ids, target)
    report: JobReport = blocker.args[0]
    assert report.kind == "export" and report.error is None
    assert report.result == (2, target)
    with target.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["name"] for r in rows) == ["Dimethyl sulfoxide", "Glycerol"]
    assert "Exported 2 compounds" in window.statusBar().currentMessage()


def test_open_project_switches_the_table_to_the_other_project(qtbot, open_window, reference_project: Path,
                                                             tmp_path: Path) -> None:
    window = open_window(Workbench.open(reference_project))
    other = tmp_path / "other.cryodesk"
    Workbench.open(other).close()
    with qtbot.waitSignal(window.search_done, timeout=10_000):
        assert window.open_project(other)
    assert window.model.rowCount() == 0
    assert window.count_label.text() == "0 of 0 shown"
    assert "other.cryodesk" in window.windowTitle()
    assert window.detail.detail is None


def test_refresh_keeps_the_selection_and_the_scroll_position(qtbot, open_window, reference_project: Path) -> None:
    window = open_window(Workbench.open(reference_project))
    window.resize(1400, 420)  # a few rows visible: the table scrolls
    _select(qtbot, window, "1,2-Propanediol")
    bar = window.table.verticalScrollBar()
    bar.setValue(bar.maximum())
    position = bar.value()
    assert position > 0
    with qtbot.waitSignal(window.search_done, timeout=10_000):
        window.refresh()  # what a live refresh during an import does
    assert bar.value() == position
    assert window.selected_ids() == [window.model.ids()[0]]
