"""Project handling (new, open, recent; a switch reloads every view), the light/dark theme, shortcuts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication

from cryodesk.engine.service import Workbench
from cryodesk.engine.views import IdSubset
from cryodesk.gui import theme
from cryodesk.gui.gui_settings import gui_settings
from cryodesk.gui.main_window import MainWindow
from cryodesk.gui.molecule_table import Column

from .helpers import REFERENCE_COMPOUNDS, has_depiction, save_screenshot

TIMEOUT = 30_000
N_REF = len(REFERENCE_COMPOUNDS)


def test_new_open_and_recent_projects_reload_every_view(qtbot, open_window, reference_project: Path,
                                                        tmp_path: Path) -> None:
    window = open_window(Workbench.open(reference_project))
    window.remember_recent(reference_project)
    # Give the views something project-specific to forget.
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT):
        window.filter_bar.set_subset(IdSubset("row_list", "two", tuple(window.model.ids()[:2])))
    window.table.selectRow(0)
    assert window.hub.selected and window.filter_bar.chips()
    assert [c.key for c in window.model.property_columns()] == ["melting_point", "log_solubility"]

    with qtbot.waitSignal(window.project_opened, timeout=TIMEOUT), \
            qtbot.waitSignal(window.search_done, timeout=TIMEOUT):
        assert window.new_project(tmp_path / "fresh", seed=False)
    assert "fresh.cryodesk" in window.windowTitle() and (tmp_path / "fresh.cryodesk").exists()
    assert window.count_label.text() == "0 of 0 shown"
    assert window.model.property_columns() == [] and window.model.columnCount() == len(Column)
    assert not window.filter_bar.chips() and not window.hub.selected
    assert window.filter_panel.rows == [] and window.detail.detail is None
    qtbot.waitUntil(lambda: window.mixtures.list.count() == 0 and window.jobs.jobs == [], timeout=TIMEOUT)
    recent = window.recent_projects()
    assert recent[:2] == [str((tmp_path / "fresh.cryodesk").resolve()), str(reference_project.resolve())]

    # File ▸ Open recent: the current project is greyed out, the other one opens.
    window.recent_menu.aboutToShow.emit()
    actions = [a for a in window.recent_menu.actions() if a.toolTip()]
    assert [a.isEnabled() for a in actions[:2]] == [False, True]
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT):
        actions[1].trigger()
    assert "reference.cryodesk" in window.windowTitle()
    assert window.model.rowCount() == N_REF
    assert [c.key for c in window.model.property_columns()] == ["melting_point", "log_solubility"]
    assert window.recent_projects()[0] == str(reference_project.resolve())


def test_dark_theme_is_applied_everywhere_and_kept(qtbot, open_window, reference_project: Path) -> None:
    window = open_window(Workbench.open(reference_project))
    try:
        window.theme_actions[theme.DARK].trigger()
        app = QApplication.instance()
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 80
        assert gui_settings().value(theme.SETTINGS_KEY) == theme.DARK
        assert window.scatter.plot.backgroundBrush().color() == QColor(theme.plot_colours().background)
        names = [window.model.index(r, Column.NAME).data() for r in range(window.model.rowCount())]
        with qtbot.waitSignal(window.detail.shown, timeout=TIMEOUT):
            window.table.selectRow(names.index("Glycerol"))
        target = save_screenshot(window, qtbot, "main_window_dark.png")
        if has_depiction():
            # Structures are drawn light on the dark cells: no structure cell is a white box.
            image = window.grab().toImage()
            table = window.table
            origin = table.viewport().mapTo(window, table.viewport().rect().topLeft())
            x0 = origin.x() + table.columnViewportPosition(Column.STRUCTURE)
            selected = names.index("Glycerol")
            rows = [r for r in table.visible_rows() if r != selected and table.rowViewportPosition(r) >= 0
                    and table.rowViewportPosition(r) + table.rowHeight(r) <= table.viewport().height()]
            assert rows
            for r in rows:
                y0 = origin.y() + table.rowViewportPosition(r)
                light = sum(QColor(image.pixel(x, y)).lightness() > 200
                            for x in range(x0 + 6, x0 + table.columnWidth(Column.STRUCTURE) - 6, 3)
                            for y in range(y0 + 6, y0 + table.rowHeight(r) - 6, 3))
                total = len(range(x0 + 6, x0 + table.columnWidth(Column.STRUCTURE) - 6, 3)) * len(
                    range(y0 + 6, y0 + table.rowHeight(r) - 6, 3))
                assert light < 0.2 * total, (r, light, total, target)
        window.close()

        again = open_window(Workbench.open(reference_project))
        assert again.theme == theme.DARK and again.theme_actions[theme.DARK].isChecked()
        again.set_theme(theme.LIGHT)
        assert app.palette().color(QPalette.ColorRole.Window).lightness() > 200
    finally:
        theme.apply_theme(theme.LIGHT)


def test_shortcuts_reach_the_views(qtbot, open_window, reference_project: Path) -> None:
    window: MainWindow = open_window(Workbench.open(reference_project))
    expected = {
        window.new_action: QKeySequence.StandardKey.New, window.open_action: QKeySequence.StandardKey.Open,
        window.save_list_action: "Ctrl+Shift+S", window.import_action: "Ctrl+I", window.export_action: "Ctrl+E",
        window.structure_action: "Ctrl+Shift+F", window.clear_filters_action: "Ctrl+Shift+X",
        window.mixtures_action: "Ctrl+2", window.molecules_action: "Ctrl+1",
    }
    for action, key in expected.items():
        assert action.shortcut() == QKeySequence(key), action.text()
    assert window.scatter_dock.toggleViewAction().shortcut() == QKeySequence("Ctrl+Shift+P")

    window.filter_dock.raise_()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: not window.query_dock.visibleRegion().isEmpty(), timeout=TIMEOUT)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 1 and not window.scatter_dock.isVisible()  # mixtures get the window
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 0 and window.scatter_dock.isVisible()  # the layout comes back
