"""The molecules table on a 100,000-compound project: only visible rows (plus a buffer) are read."""

from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer

from cryodesk.engine.service import Workbench
from cryodesk.gui.main_window import MainWindow
from cryodesk.gui.molecule_table import SMILES_ROLE, Column
from cryodesk.store import CompoundRow

from .helpers import BIG_PROJECT_ROWS, SCREENSHOT_DIR, has_depiction


class CountingWorkbench(Workbench):
    """Counts the rows the GUI asks the engine for."""

    def __init__(self, project) -> None:
        super().__init__(project)
        self.rows_requested = 0
        self.calls: list[int] = []

    def compound_rows(self, ids: list[int]) -> list[CompoundRow]:
        self.rows_requested += len(ids)
        self.calls.append(len(ids))
        return super().compound_rows(ids)


class FirstPaintProbe(QObject):
    """Records when the table viewport has finished its first paint that shows rows."""

    def __init__(self, window: MainWindow, start: float) -> None:
        super().__init__(window)
        self.window = window
        self.start = start
        self.painted_at: float | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (self.painted_at is None and event.type() == QEvent.Type.Paint
                and self.window.model.rowCount() > 0):
            # A zero-delay timer fires after this paint event has been fully handled.
            QTimer.singleShot(0, self, self._mark)
        return False

    def _mark(self) -> None:
        if self.painted_at is None:
            self.painted_at = time.perf_counter() - self.start


def _structures_drawn(window: MainWindow, rows: range) -> bool:
    table, model = window.table, window.model
    width = table.columnWidth(Column.STRUCTURE) - 6
    height = table.rowHeight(0) - 6
    dpr = table.viewport().devicePixelRatioF()
    return all(
        window.depictions.lookup(model.index(r, 0).data(SMILES_ROLE), width, height, dpr) is not None for r in rows
    )


def test_100k_rows_fetch_only_what_is_visible(qtbot, big_project: Path) -> None:
    start = time.perf_counter()
    wb = CountingWorkbench.open(big_project)
    window = MainWindow(wb)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    probe = FirstPaintProbe(window, start)
    window.table.viewport().installEventFilter(probe)
    window.show()
    shown_at = time.perf_counter() - start
    qtbot.waitUntil(lambda: probe.painted_at is not None, timeout=30_000)
    first_paint = probe.painted_at
    assert first_paint is not None

    model, table = window.model, window.table
    assert model.rowCount() == BIG_PROJECT_ROWS
    assert window.count_label.text() == f"{BIG_PROJECT_ROWS:,} of {BIG_PROJECT_ROWS:,} shown"
    visible = table.visible_rows()
    assert 5 <= len(visible) <= 20, visible
    # Visible rows plus a buffer of at most one block on each side; never the table.
    buffer = 2 * model.block_size
    assert len(visible) <= wb.rows_requested <= len(visible) + buffer, (wb.rows_requested, wb.calls)
    at_open, calls_at_open = wb.rows_requested, len(wb.calls)
    structures_at = None
    if has_depiction():  # structures are drawn off the GUI thread after the first paint
        qtbot.waitUntil(lambda: _structures_drawn(window, table.visible_rows()), timeout=30_000)
        structures_at = time.perf_counter() - start

    # Jump to the middle and to the end: each jump reads about one block, not the rows in between.
    jumps = [50_000, 99_990, 12_345, 77_777]
    for target in jumps:
        before = wb.rows_requested
        table.scrollTo(model.index(target, 1))
        table.viewport().repaint()
        assert target in table.visible_rows()
        assert wb.rows_requested - before <= buffer
        assert model.compound_row(target).name == f"Compound {target:06d}"
    assert wb.rows_requested <= at_open + len(jumps) * buffer
    assert len(model.cached_blocks()) <= model.max_blocks

    # A full scroll through 3,000 rows keeps the memory bounded by the LRU of blocks.
    for row in range(20_000, 23_000, 10):
        table.scrollTo(model.index(row, 1))
        table.viewport().repaint()
    assert len(model.cached_blocks()) <= model.max_blocks

    table.scrollTo(model.index(50_000, 1))
    table.selectRow(50_000)
    if has_depiction():
        qtbot.waitUntil(lambda: _structures_drawn(window, table.visible_rows()), timeout=30_000)
        qtbot.waitUntil(lambda: window.detail.detail is not None and window.detail.structure.is_drawn(),
                        timeout=10_000)
        SCREENSHOT_DIR.mkdir(exist_ok=True)
        window.grab().save(str(SCREENSHOT_DIR / "main_window_100k.png"))

    figures = {
        "compounds": BIG_PROJECT_ROWS,
        "window_shown_s": round(shown_at, 3),
        "first_paint_with_rows_s": round(first_paint, 3),
        "visible_rows": len(visible),
        "rows_fetched_at_first_paint": at_open,
        "fetch_calls_at_first_paint": calls_at_open,
        "rows_fetched_total_after_jumps_and_scroll": wb.rows_requested,
        "block_size": model.block_size,
        "visible_structures_drawn_s": None if structures_at is None else round(structures_at, 3),
    }
    print("\n100k table figures:", json.dumps(figures))
