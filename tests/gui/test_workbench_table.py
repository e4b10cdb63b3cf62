"""The molecules table on the real default library: property columns with units and conflicts, engine
sorting by a header click, range and value filters with the live count, and the saved view state."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from cryodesk.engine import views
from cryodesk.engine.service import Workbench
from cryodesk.gui.filter_panel import RangeFilterRow, TextFilterRow
from cryodesk.gui.main_window import MainWindow
from cryodesk.gui.molecule_table import Column
from cryodesk.gui.theme import plot_colours

from .helpers import save_screenshot

SEARCH_TIMEOUT = 30_000


def _names(window: MainWindow) -> list[str]:
    return [window.model.index(r, Column.NAME).data() for r in range(window.model.rowCount())]


def _cell(window: MainWindow, row: int, key: str, role: int = Qt.ItemDataRole.DisplayRole) -> object:
    section = window.model.section_of(key)
    assert section is not None, key
    return window.model.index(row, section).data(role)


def _search(qtbot, window: MainWindow, text: str) -> None:
    with qtbot.waitSignal(window.search_done, timeout=SEARCH_TIMEOUT):
        window.search_box.setText(text)


def _click_header(qtbot, window: MainWindow, key: str) -> None:
    section = window.model.section_of(key)
    header = window.table.horizontalHeader()
    window.table.scrollTo(window.model.index(0, section))
    x = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
    with qtbot.waitSignal(window.search_done, timeout=SEARCH_TIMEOUT):
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def test_property_columns_show_values_with_units_and_conflicts(
    qtbot, open_window, seeded_project: Path
) -> None:
    window = open_window(Workbench.open(seeded_project))
    model = window.model
    assert [c.key for c in model.property_columns()] == ["tg", "melting_point", "log_solubility", "cpa_role"]
    headers = [
        model.headerData(s, Qt.Orientation.Horizontal) for s in range(len(Column), model.columnCount())
    ]
    assert headers == ["tg (K)", "melting_point (°C)", "log_solubility (log10(M))", "cpa_role"]
    # Melting points are stored in K (Koop) and °C (Bradley): the column converts, and says so.
    tip = model.headerData(
        model.section_of("melting_point"), Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
    )
    assert "values in K converted to °C" in tip

    _search(qtbot, window, "glycerol")
    row = _names(window).index("Glycerol")
    # Six Koop Tg values, 185–194 K: the median is shown with their number, all are in the tooltip.
    assert _cell(window, row, "tg") == "191 K (6)"
    tg_tip = _cell(window, row, "tg", Qt.ItemDataRole.ToolTipRole)
    assert "median of 6 differing values, 185–194 K" in tg_tip and tg_tip.count("koop_tg") == 6
    assert _cell(window, row, "tg", Qt.ItemDataRole.ForegroundRole).name() == plot_colours().conflict
    assert _cell(window, row, "melting_point") == "17.98 °C (4)"
    assert "(stored as 291.4 K)" in _cell(window, row, "melting_point", Qt.ItemDataRole.ToolTipRole)
    assert _cell(window, row, "log_solubility") == "1.12 log10(M)"
    assert _cell(window, row, "cpa_role") == "penetrating"
    assert _cell(window, row, "cpa_role", Qt.ItemDataRole.ForegroundRole) is None  # one value, no conflict


def test_header_click_sorts_by_the_engine_without_reading_every_row(
    qtbot, open_window, seeded_project: Path
) -> None:
    window = open_window(Workbench.open(seeded_project))
    model = window.model
    total = model.rowCount()
    assert total > 9000

    _click_header(qtbot, window, "tg")
    assert window.table.horizontalHeader().sortIndicatorSection() == model.section_of("tg")
    assert model.rowCount() == total  # sorting keeps every row
    values = [_cell(window, r, "tg", Qt.ItemDataRole.UserRole) for r in range(40)]
    assert all(v is not None for v in values) and values == sorted(values)
    assert _cell(window, total - 1, "tg") is None  # compounds without a Tg go last
    assert model.rows_requested <= 4 * model.block_size  # the order came from the engine, not from the rows

    _click_header(qtbot, window, "tg")  # second click: descending
    values = [_cell(window, r, "tg", Qt.ItemDataRole.UserRole) for r in range(40)]
    assert values == sorted(values, reverse=True)

    _click_header(qtbot, window, "tg")  # third click: back to the default order (by name)
    assert window.table.horizontalHeader().sortIndicatorSection() == -1
    with _open(seeded_project) as wb:
        assert model.ids()[:50] == wb.compound_ids("")[:50]

    _click_header(qtbot, window, "mol_weight")
    weights = [window.model.compound_row(r).mol_weight for r in range(30)]
    assert weights == sorted(weights)


class _open:
    """A second, read-only look at the project (the window keeps its own connection)."""

    def __init__(self, path: Path) -> None:
        self.wb = Workbench.open(path)

    def __enter__(self) -> Workbench:
        return self.wb

    def __exit__(self, *exc: object) -> None:
        self.wb.close()


def test_range_and_value_filters_update_the_live_count(qtbot, open_window, seeded_project: Path) -> None:
    window = open_window(Workbench.open(seeded_project))
    total = window.model.total
    row = window.add_filter("tg")
    assert isinstance(row, RangeFilterRow) and window.filter_dock.isVisible()
    qtbot.waitUntil(lambda: row.summary is not None, timeout=SEARCH_TIMEOUT)
    assert row.summary.n > 250 and row.summary.minimum < 150 < row.summary.maximum
    assert "compounds with a value" in row.info.text()

    with qtbot.waitSignal(window.search_done, timeout=SEARCH_TIMEOUT) as blocker:
        row.set_bounds(180, 200)
    shown = blocker.args[0]
    with _open(seeded_project) as wb:
        expected = views.select_ids(wb, views.TableQuery(ranges=(views.RangeFilter("tg", 180, 200),)))
    assert shown == len(expected) and 0 < shown < 100
    assert window.count_label.text() == f"{shown:,} of {total:,} shown"
    assert window.filter_panel.count_label.text() == f"{shown:,} of {total:,} shown"
    for r in range(window.model.rowCount()):
        assert 180 <= _cell(window, r, "tg", Qt.ItemDataRole.UserRole) <= 200
    chips = [c.label.text() for c in window.filter_bar.chips()]
    assert chips == ["Filters: tg 180…200 K"]

    text_row = window.add_filter("cpa_role")
    assert isinstance(text_row, TextFilterRow)
    qtbot.waitUntil(lambda: text_row.values.count() > 0, timeout=SEARCH_TIMEOUT)
    with qtbot.waitSignal(window.search_done, timeout=SEARCH_TIMEOUT) as blocker:
        text_row.set_checked(["penetrating"])
    both = blocker.args[0]
    assert 0 < both < shown
    assert all(_cell(window, r, "cpa_role") == "penetrating" for r in range(window.model.rowCount()))
    assert "Glycerol" in _names(window)

    window.filter_dock.raise_()
    window.table.selectRow(_names(window).index("Glycerol"))
    qtbot.waitUntil(
        lambda: not window.scatter.pending and window.depictions.pending_count() == 0, timeout=SEARCH_TIMEOUT
    )
    assert window.scatter.data is not None and set(window.scatter.data.ids.tolist()) <= set(
        window.model.ids()
    )
    save_screenshot(window, qtbot, "workbench_filters.png")

    # The chip's ✕ clears the dock's filters: every compound again.
    with qtbot.waitSignal(window.search_done, timeout=SEARCH_TIMEOUT) as blocker:
        window.filter_bar.remove("filters")
    assert blocker.args[0] == total
    assert not window.filter_bar.chips()


def test_columns_and_sort_are_kept_in_the_project(qtbot, open_window, seeded_project: Path) -> None:
    window = open_window(Workbench.open(seeded_project))
    window.set_property_columns(["log_solubility", "tg"])
    with qtbot.waitSignal(window.search_done, timeout=SEARCH_TIMEOUT):
        window.sort_by("tg", descending=True)
    qtbot.waitUntil(lambda: not window.state_slot.running, timeout=10_000)
    top = window.model.compound_row(0).name
    window.close()

    again = open_window(Workbench.open(seeded_project))
    assert [c.key for c in again.model.property_columns()] == ["log_solubility", "tg"]
    assert again.table.horizontalHeader().sortIndicatorSection() == again.model.section_of("tg")
    assert again.table.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    assert again.model.compound_row(0).name == top


def test_cpa_profile_colours_tg_on_the_default_library_and_paste_finds_known_names(
    qtbot, open_window, seeded_project: Path
) -> None:
    from cryodesk.gui.molecule_table import LEVEL_COLOURS

    window = open_window(Workbench.open(seeded_project))
    window.set_property_columns(["tg"])
    window.molecule_extras.set_profile("CPA candidate")  # what the toolbar's "Colour by" box does
    with qtbot.waitSignal(window.search_done, timeout=SEARCH_TIMEOUT):
        window.sort_by("tg", descending=True)  # compounds with a Tg first
    expected = {
        s.compound_id: s.desirability["tg"] for s in window.wb.rank_compounds("CPA candidate", method="delta")
    }
    coloured = 0
    for row in range(20):
        cid = window.model.id_at(row)
        level = views.desirability_level(expected.get(cid))
        colour = _cell(window, row, "tg", Qt.ItemDataRole.BackgroundRole)
        assert (colour is None) if level is None else colour.getRgb() == LEVEL_COLOURS[level], (row, cid)
        coloured += level is not None
    assert coloured >= 10  # the reference CPAs have measured Tg values
    # Pasting names the library knows: resolved offline from the store, nothing added, all selected.
    extras = window.molecule_extras
    extras.paste_online = False
    before = window.wb.compound_count()
    with qtbot.waitSignal(extras.pasted, timeout=60_000) as signal:
        extras.paste_text("glycerol\ndimethyl sulfoxide\n")
    result = signal.args[0]
    assert [p.status for p in result.lines] == ["present", "present"], result.lines
    assert window.wb.compound_count() == before
    assert sorted(window.selected_ids()) == sorted(result.compound_ids)
