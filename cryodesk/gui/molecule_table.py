"""The molecules table: a lazy model over the project's compounds and a delegate that draws structures.

The model holds only the ids of the current query (100,000 ints is under 1 MB) and fetches row
data in blocks through ``Workbench.compound_rows`` when the view asks for a row, keeping the
most recently used blocks. The view asks only for rows on screen, because row heights are fixed
and nothing sizes columns to their contents; so opening a 100,000-row project reads one or two
blocks, never the table.

After the fixed compound columns come the property columns the user chose (``tg``,
``melting_point`` ...): their cells are read with the same block, through the engine's
``views.property_cells``, already formatted with units and the number of conflicting values.
Sorting is not done here: a header click asks the engine for the ids in the new order.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QKeySequence,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHeaderView,
    QMessageBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from cryodesk.domain import CryoDeskError
from cryodesk.engine.model_views import warm_in_child
from cryodesk.engine.paste import PasteResult
from cryodesk.engine.views import (
    PREDICTION,
    SCORE,
    SCORE_PREFIX,
    CellValue,
    TableColumn,
    prepare_scoring,
    promoted_model,
    unit_label,
)
from cryodesk.gui.depiction import DepictionCache
from cryodesk.gui.job_process import run_in_process
from cryodesk.gui.theme import plot_colours
from cryodesk.gui.worker import ProgressFn, TaskSlot
from cryodesk.store import CompoundRow

log = logging.getLogger(__name__)

FetchRows = Callable[[list[int]], list[CompoundRow]]
FetchCells = Callable[[list[int], list[TableColumn]], dict[int, dict[str, CellValue]]]
ModelIndex = QModelIndex | QPersistentModelIndex

BLOCK_SIZE = 100  # a screenful is 6-12 rows; a block of rows and their cells is read in ~15 ms
MAX_BLOCKS = 50  # 5,000 rows of plain data at most; a block is re-read in a few ms if it was dropped
ROW_HEIGHT = 84
STRUCTURE_WIDTH = 136


class Column(IntEnum):
    STRUCTURE = 0
    NAME = 1
    INCHIKEY = 2
    FORMULA = 3
    MW = 4
    VALUES = 5


HEADERS: dict[Column, tuple[str, str]] = {
    Column.STRUCTURE: ("Structure", "Standardised parent structure"),
    Column.NAME: ("Name", "Preferred name"),
    Column.INCHIKEY: ("InChIKey", "Standard InChIKey of the standardised parent: the compound's identity"),
    Column.FORMULA: ("Formula", "Molecular formula"),
    Column.MW: ("MW", "Molecular weight (g/mol)"),
    Column.VALUES: ("# values", "Property values stored for this compound, from every source"),
}

#: Sort/filter key of each compound column (the engine's ``views`` column keys).
COLUMN_KEYS: dict[Column, str] = {
    Column.NAME: "name",
    Column.INCHIKEY: "inchikey",
    Column.FORMULA: "formula",
    Column.MW: "mol_weight",
    Column.VALUES: "n_values",
}
PROPERTY_COLUMN_WIDTH = 112

DEFAULT_WIDTHS: dict[Column, int] = {
    Column.STRUCTURE: STRUCTURE_WIDTH,
    Column.NAME: 230,
    Column.FORMULA: 96,
    Column.MW: 64,
    Column.VALUES: 64,
}

NO_PROFILE = "(no colouring)"

SMILES_ROLE = Qt.ItemDataRole.UserRole + 1
COMPOUND_ID_ROLE = Qt.ItemDataRole.UserRole + 2
INCHIKEY_ROLE = Qt.ItemDataRole.UserRole + 3


#: Traffic-light cell backgrounds (translucent: the text stays readable on light and dark themes).
LEVEL_COLOURS = {"good": (46, 160, 67, 110), "fair": (230, 160, 0, 120), "poor": (215, 58, 73, 110)}


class MoleculeTableModel(QAbstractTableModel):
    """Compounds of the current query, read from the project a block at a time.

    Prediction cells come from the project's prediction cache only; a block with predictions not
    computed yet emits ``predictions_missing`` (column keys) so a background warm-up can fill them.

    Args:
        fetch_rows: ``Workbench.compound_rows``: rows for a list of ids, in the order given.
        block_size: rows read per fetch.
        max_blocks: blocks kept (least recently used are dropped).
    """

    predictions_missing = Signal(list)

    def __init__(
        self,
        fetch_rows: FetchRows,
        block_size: int = BLOCK_SIZE,
        max_blocks: int = MAX_BLOCKS,
        parent: QWidget | None = None,
        fetch_cells: FetchCells | None = None,
    ) -> None:
        super().__init__(parent)
        self._fetch_rows = fetch_rows
        self.predictions_missing_keys: set[str] = set()  # prediction columns with cells not computed yet
        self._fetch_cells = fetch_cells
        self.block_size = block_size
        self.max_blocks = max_blocks
        self._ids: list[int] = []
        self._row_index: dict[int, int] | None = None  # id -> row, built on first use
        self._columns: list[TableColumn] = []
        self._blocks: OrderedDict[int, dict[int, CompoundRow]] = OrderedDict()
        self._cells: dict[int, dict[int, dict[str, CellValue]]] = {}  # block -> id -> property key -> cell
        self.total = 0  # compounds in the project (the "M" of "N of M shown")
        self.rows_requested = 0  # ids passed to fetch_rows since the last reset (what tests assert on)
        self.fetches = 0
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

    # -- the query --------------------------------------------------------------------------------
    def set_ids(
        self, ids: Sequence[int], total: int | None = None, columns: Sequence[TableColumn] | None = None
    ) -> None:
        """Show ``ids`` (a query result, in display order); ``total`` is the project's compound count.

        ``columns`` replaces the property columns in the same reset (None keeps them).
        """
        self.beginResetModel()
        self._ids = list(ids)
        self._row_index = None
        self._blocks.clear()
        self._cells.clear()
        self.rows_requested = 0
        self.fetches = 0
        if total is not None:
            self.total = total
        if columns is not None:
            self._columns = list(columns)
        self.endResetModel()

    def set_property_columns(self, columns: Sequence[TableColumn]) -> None:
        """Show these property columns after the compound columns (the rows stay)."""
        self.set_ids(self._ids, None, columns)

    def property_columns(self) -> list[TableColumn]:
        return list(self._columns)

    def column_key(self, section: int) -> str | None:
        """The engine's sort/filter key of a column (None for the structure column)."""
        if 0 <= section < len(Column):
            return COLUMN_KEYS.get(Column(section))
        index = section - len(Column)
        return self._columns[index].key if 0 <= index < len(self._columns) else None

    def section_of(self, key: str) -> int | None:
        for column, name in COLUMN_KEYS.items():
            if name == key:
                return int(column)
        for i, c in enumerate(self._columns):
            if c.key == key:
                return len(Column) + i
        return None

    def invalidate(self) -> None:
        """Forget cached rows (their data changed) and let the views re-read what they show."""
        self._blocks.clear()
        self._cells.clear()
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, self.columnCount() - 1))

    def ids(self) -> list[int]:
        return list(self._ids)

    def id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, compound_id: int) -> int | None:
        if self._row_index is None:
            self._row_index = {cid: row for row, cid in enumerate(self._ids)}
        return self._row_index.get(compound_id)

    def cell(self, row: int, key: str) -> CellValue | None:
        """The property cell of table row ``row`` (None when the compound has no value)."""
        if self.compound_row(row) is None:
            return None
        block = self._cells.get(row // self.block_size, {})
        return block.get(self._ids[row], {}).get(key)

    def compound_row(self, row: int) -> CompoundRow | None:
        """The data of table row ``row``, fetching its block if needed."""
        if not 0 <= row < len(self._ids):
            return None
        block_no = row // self.block_size
        block = self._blocks.get(block_no)
        if block is None:
            block = self._fetch_block(block_no)
        else:
            self._blocks.move_to_end(block_no)
        return block.get(self._ids[row])

    def cached_blocks(self) -> list[int]:
        return list(self._blocks)

    def _fetch_block(self, block_no: int) -> dict[int, CompoundRow]:
        ids = self._ids[block_no * self.block_size : (block_no + 1) * self.block_size]
        self.rows_requested += len(ids)
        self.fetches += 1
        cells: dict[int, dict[str, CellValue]] = {}
        try:
            rows = self._fetch_rows(ids)
            if self._columns and self._fetch_cells is not None:
                cells = self._fetch_cells(ids, self._columns)
        except Exception:  # a closed or locked project must leave blank rows, not a broken view
            log.exception(
                "could not read rows %d..%d",
                block_no * self.block_size,
                block_no * self.block_size + len(ids),
            )
            rows = []
        block = {r.id: r for r in rows}
        missing = {key for per_id in cells.values() for key, cell in per_id.items() if cell.pending}
        if missing - self.predictions_missing_keys:
            self.predictions_missing_keys |= missing
            self.predictions_missing.emit(sorted(missing))
        self._blocks[block_no] = block
        self._cells[block_no] = cells
        while len(self._blocks) > self.max_blocks:
            dropped, _ = self._blocks.popitem(last=False)
            self._cells.pop(dropped, None)
        return block

    # -- QAbstractTableModel ---------------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(Column) + len(self._columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(Column):
            title, tip = HEADERS[Column(section)]
            if role == Qt.ItemDataRole.DisplayRole:
                return title
            if role == Qt.ItemDataRole.ToolTipRole:
                return tip + ("" if section == Column.STRUCTURE else "\nClick to sort (by the engine).")
        elif orientation == Qt.Orientation.Horizontal and 0 <= section - len(Column) < len(self._columns):
            column = self._columns[section - len(Column)]
            if role == Qt.ItemDataRole.DisplayRole:
                return column.header
            if role == Qt.ItemDataRole.ToolTipRole:
                return column.describe() + "\nClick to sort (by the engine)."
        elif orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1  # no fetch: the row number is all the header shows
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        if role == COMPOUND_ID_ROLE:
            return self.id_at(index.row())
        row = self.compound_row(index.row())
        if row is None:
            return None
        if index.column() >= len(Column):
            return self._property_data(index, role)
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(row, column)
        if role == SMILES_ROLE:
            return row.smiles
        if role == INCHIKEY_ROLE:
            return row.inchikey
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == Column.STRUCTURE:
                return row.smiles
            if column == Column.NAME:
                return row.name
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column in (Column.MW, Column.VALUES):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and column == Column.INCHIKEY:
            return self._mono
        if role == Qt.ItemDataRole.ForegroundRole and column == Column.NAME and not row.name:
            return QColor(Qt.GlobalColor.gray)
        return None

    def _property_data(self, index: ModelIndex, role: int) -> object:
        column = self._columns[index.column() - len(Column)]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if column.numeric else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        cell = self.cell(index.row(), column.key)
        if cell is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return cell.text
        if role == Qt.ItemDataRole.ToolTipRole:
            return cell.tooltip
        if role == Qt.ItemDataRole.BackgroundRole and cell.level in LEVEL_COLOURS:
            return QColor(*LEVEL_COLOURS[cell.level])  # desirability under the chosen profile
        if role == Qt.ItemDataRole.ForegroundRole and cell.conflict:
            return QColor(plot_colours().conflict)  # stored values disagree: look at the tooltip
        if role == Qt.ItemDataRole.ForegroundRole and (cell.pending or cell.out_of_domain):
            return QColor(Qt.GlobalColor.gray)  # not computed yet, or an extrapolation
        if role == Qt.ItemDataRole.FontRole and cell.out_of_domain:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.UserRole:
            return cell.value
        return None


def column_menu_text(column: TableColumn) -> str:
    """A Columns-menu entry: the header and what the column holds (computed columns store no values)."""
    if column.kind == PREDICTION:
        cached = f", {column.n_values:,} predictions cached" if column.n_values else ""
        return f"{column.header}   — model {column.source}{cached}"
    if column.kind == SCORE:
        return f"{column.header}   — desirability 0–1"
    return f"{column.header}   — {column.n_values:,} value{'' if column.n_values == 1 else 's'}"


def _display(row: CompoundRow, column: Column) -> str | None:
    if column == Column.STRUCTURE:
        return None  # drawn by StructureDelegate
    if column == Column.NAME:
        return row.name or "(no name)"
    if column == Column.INCHIKEY:
        return row.inchikey
    if column == Column.FORMULA:
        return row.formula or ""
    if column == Column.MW:
        return "" if row.mol_weight is None else f"{row.mol_weight:.2f}"
    if column == Column.VALUES:
        return str(row.n_values)
    return None


class StructureDelegate(QStyledItemDelegate):
    """Draws a compound's depiction in its cell; SMILES text until (or if never) it can be drawn."""

    PADDING = 3

    def __init__(self, depictions: DepictionCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.depictions = depictions

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        # Background, selection and focus as the style draws them, then the structure on top.
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = option.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        smiles = index.data(SMILES_ROLE)
        if not smiles:
            return
        rect: QRect = option.rect.adjusted(self.PADDING, self.PADDING, -self.PADDING, -self.PADDING)  # type: ignore[attr-defined]
        if rect.width() < 8 or rect.height() < 8:
            return
        dpr = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        pixmap = self.depictions.lookup(smiles, rect.width(), rect.height(), dpr)
        if pixmap is None or pixmap is DepictionCache.FAILED:
            self._draw_smiles(painter, option, rect, smiles, pending=pixmap is None)
            return
        assert isinstance(pixmap, QPixmap)
        draw_fitted(painter, rect, pixmap)

    def _draw_smiles(
        self, painter: QPainter, option: QStyleOptionViewItem, rect: QRect, smiles: str, pending: bool
    ) -> None:
        painter.save()
        font = QFont(option.font)  # type: ignore[attr-defined]
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        palette: QPalette = option.palette  # type: ignore[attr-defined]
        painter.setPen(
            palette.color(QPalette.ColorRole.PlaceholderText if pending else QPalette.ColorRole.Text)
        )
        text = painter.fontMetrics().elidedText(smiles, Qt.TextElideMode.ElideMiddle, rect.width())
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        return QSize(STRUCTURE_WIDTH, ROW_HEIGHT)


def draw_fitted(painter: QPainter, rect: QRect, pixmap: QPixmap) -> None:
    """Draw ``pixmap`` centred in ``rect``, scaled down (never up) to fit with its aspect ratio."""
    dpr = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
    size = QSize(pixmap.width(), pixmap.height()) / dpr
    size = (
        size.scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
        if (size.width() > rect.width() or size.height() > rect.height())
        else size
    )
    target = QRect(0, 0, size.width(), size.height())
    target.moveCenter(rect.center())
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    painter.drawPixmap(target, pixmap)
    painter.restore()


class MoleculeTableView(QTableView):
    """The table view configured so it asks the lazy model for visible rows only."""

    def __init__(self, depictions: DepictionCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # Fixed row heights: with ResizeToContents Qt would ask every row for its size hint,
        # which on a lazy model means reading the whole table.
        vheader = self.verticalHeader()
        vheader.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vheader.setDefaultSectionSize(ROW_HEIGHT)
        vheader.setDefaultAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(48)
        header.setStretchLastSection(False)
        header.setHighlightSections(False)
        # A click shows the sort indicator and emits sortIndicatorChanged; the window asks the engine
        # for the new order (the model never sorts: it holds ids, not values). Third click: unsorted.
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicatorClearable(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.delegate = StructureDelegate(depictions, self)
        self.setItemDelegateForColumn(Column.STRUCTURE, self.delegate)
        depictions.ready.connect(self._on_depiction_ready)

    def apply_default_widths(self) -> None:
        """Size the columns (call after ``setModel``: per-column settings need the columns to exist)."""
        # The last column takes the spare width: with property columns added a stretching Name column
        # would be squeezed to nothing, so names get a fixed, user-adjustable width instead.
        self.horizontalHeader().setStretchLastSection(True)
        for column, width in self.default_widths().items():
            self.setColumnWidth(column, width)

    def property_width(self, column: TableColumn | None) -> int:
        """Default width of a property column: a prediction's "⚠ value ± half-width unit" must not be elided."""
        if column is None or column.kind != PREDICTION:
            return PROPERTY_COLUMN_WIDTH
        sample = f"⚠ -8.888 ± 8.8 {unit_label(column.unit)}".rstrip()
        return max(PROPERTY_COLUMN_WIDTH, self.fontMetrics().horizontalAdvance(sample) + 20)

    @staticmethod
    def default_widths() -> dict[Column, int]:
        widths = dict(DEFAULT_WIDTHS)
        # An InChIKey is always 27 characters: size its column to the font rather than guess.
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        widths[Column.INCHIKEY] = QFontMetrics(mono).horizontalAdvance("M" * 27) + 14
        return widths

    def visible_rows(self) -> range:
        """Rows at least partly inside the viewport."""
        model = self.model()
        if model is None or model.rowCount() == 0:
            return range(0)
        first = self.rowAt(0)
        last = self.rowAt(self.viewport().height() - 1)
        if first < 0:
            return range(0)
        if last < 0:
            last = model.rowCount() - 1
        return range(first, last + 1)

    def _on_depiction_ready(self, _smiles: str) -> None:
        # Repainting the structure column's strip is cheaper than searching which rows hold the SMILES.
        x = self.columnViewportPosition(Column.STRUCTURE)
        if x >= -self.columnWidth(Column.STRUCTURE):
            self.viewport().update(QRect(x, 0, self.columnWidth(Column.STRUCTURE), self.viewport().height()))


class MoleculesExtras(QObject):
    """Paste of structures, profile colouring and the prediction warm-up of the Molecules view.

    Attached to the main window (``window``: its ``wb``, ``model``, ``hub``, ``refresh``,
    ``set_property_columns``, ``available_columns`` and ``search_done``); all engine work runs on
    task slots, never on the GUI thread.
    """

    pasted = Signal(object)  # the engine's PasteResult, once its rows are selected
    warmed = Signal(str)  # a prediction column whose cache was filled
    paste_online = True  # ask online services for lines the offline strategies cannot resolve

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.paste_slot = TaskSlot("paste", parent=self)
        # A warm-up runs for minutes in a child process: a pool of its own keeps the view threads free.
        self.warm_pool = QThreadPool(self)
        self.warm_pool.setMaxThreadCount(1)
        self.warm_slot = TaskSlot("prediction warm-up", pool=self.warm_pool, parent=self)
        self.score_slot = TaskSlot("load scoring", parent=self)
        self.score_slot.finished.connect(lambda _r: window.model.invalidate())
        self.last_paste: PasteResult | None = None
        self._select_after_search: list[int] | None = None
        self._warm_queue: list[str] = []
        self._warming: str | None = None
        self.paste_action = QAction("&Paste structures", window)
        self.paste_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Paste))
        self.paste_action.setStatusTip(
            "Add SMILES or names from the clipboard (one per line, or a copied column)"
        )
        self.paste_action.triggered.connect(self.paste_from_clipboard)
        self.profile_box = QComboBox(window)
        self.profile_box.setObjectName("ProfileBox")
        self.profile_box.setToolTip(
            "Colour the profile's property cells green/amber/red by desirability and show its score column"
        )
        self.profile_box.addItem(NO_PROFILE)
        self.profile_box.activated.connect(lambda _i: self.set_profile(self._chosen_profile()))
        self.paste_slot.finished.connect(self._on_pasted)
        self.paste_slot.failed.connect(lambda e: self._status(f"Paste failed: {e}", 15_000))
        self.warm_slot.finished.connect(self._on_warmed)
        self.warm_slot.failed.connect(self._on_warm_failed)
        window.model.predictions_missing.connect(self.warm)
        window.search_done.connect(self._on_search_done)

    # -- scoring profile ----------------------------------------------------------------------------
    def profiles(self) -> list[str]:
        return [c.source for c in self.window.available_columns() if c.kind == SCORE]

    def _chosen_profile(self) -> str | None:
        text = self.profile_box.currentText()
        return None if text == NO_PROFILE else text

    def set_profile(self, name: str | None) -> None:
        """Colour by ``name`` (None: no colouring): its score column replaces any other score column."""
        keys = [c.key for c in self.window.model.property_columns() if c.kind != SCORE]
        if name is not None:
            keys.append(SCORE_PREFIX + name)
        self.window.set_property_columns(keys)
        self._sync_profile_box()

    def _sync_profile_box(self) -> None:
        shown = next((c.source for c in self.window.model.property_columns() if c.kind == SCORE), None)
        names = self.profiles()
        self.profile_box.blockSignals(True)
        if [self.profile_box.itemText(i) for i in range(1, self.profile_box.count())] != names:
            self.profile_box.clear()
            self.profile_box.addItem(NO_PROFILE)
            self.profile_box.addItems(names)
        self.profile_box.setCurrentText(shown or NO_PROFILE)
        self.profile_box.blockSignals(False)

    # -- predictions ---------------------------------------------------------------------------------
    def warm(self, keys: list[str]) -> None:
        """Fill the prediction cache of these prediction columns, one model at a time, in a child process
        (score columns: load the scoring code in the background)."""
        if any(k.startswith(SCORE_PREFIX) for k in keys) and not self.score_slot.running:
            self.score_slot.start(lambda _p, _c: prepare_scoring(), "load scoring")
        keys = [k for k in keys if not k.startswith(SCORE_PREFIX)]
        for key in keys:
            if key != self._warming and key not in self._warm_queue:
                self._warm_queue.append(key)
        if not self.warm_slot.running:
            self._next_warm()

    def _next_warm(self) -> None:
        if not self._warm_queue or self.window.wb.project.read_only:
            self._warming = None
            return
        key = self._warming = self._warm_queue.pop(0)
        column = next((c for c in self.window.available_columns() if c.key == key), None)
        if column is None:
            self._next_warm()
            return
        wb = self.window.wb
        path = str(wb.project.path)

        def work(progress: ProgressFn, cancel: threading.Event) -> Any:
            row = promoted_model(wb, column.source)
            if row is None:
                raise CryoDeskError(f"{column.source} has no promoted version any more")
            model_id = row.id
            return key, run_in_process(
                warm_in_child, (path, model_id), progress, cancel, name="cryodesk-warmup"
            )

        self._status(f"Computing {column.header} for the library in the background…")
        self.warm_slot.start(work)

    def _on_warmed(self, result: tuple[str, dict[str, Any]]) -> None:
        key, outcome = result
        self._status(
            f"{outcome.get('label', key)}: {outcome.get('cached_rows', 0):,} predictions cached", 8_000
        )
        self.window.model.invalidate()
        self.warmed.emit(key)
        self._next_warm()

    def _on_warm_failed(self, error: str) -> None:
        self._status(f"Prediction warm-up failed: {error}", 15_000)
        self._next_warm()

    # -- paste ---------------------------------------------------------------------------------------
    def paste_from_clipboard(self) -> bool:
        text = QApplication.clipboard().text()
        if not text.strip():
            self._status("The clipboard holds no text to paste", 8_000)
            return False
        return self.paste_text(text)

    def paste_text(self, text: str) -> bool:
        """Resolve and add pasted lines in the background; the rows are selected when they show."""
        wb = self.window.wb
        if wb.project.read_only:
            self._status("The project is open read-only: pasted compounds cannot be added", 15_000)
            return False
        online = self.paste_online

        def work(_progress: ProgressFn, _cancel: threading.Event) -> PasteResult:
            return wb.add_structures(text, online=online)

        self._status("Resolving the pasted lines…")
        self.paste_slot.start(work)
        return True

    def _on_pasted(self, result: PasteResult) -> None:
        self.last_paste = result
        self._select_after_search = result.compound_ids
        if result.added:  # new compounds have no predictions yet: let their cells ask for a warm-up again
            self.window.model.predictions_missing_keys.clear()
        message = f"Pasted: {result.summary()}"
        self._status(message, 15_000)
        if result.failed:
            reasons = "\n".join(f"line {p.line} ({p.text}): {p.reason}" for p in result.failed[:50])
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                "Paste structures",
                message,
                QMessageBox.StandardButton.Ok,
                self.window,
            )
            box.setObjectName("PasteReport")
            box.setInformativeText("Lines that could not be added, and why:")
            box.setDetailedText(reasons + ("\n" + "\n".join(result.notes) if result.notes else ""))
            box.setModal(False)
            box.show()  # not exec(): the window stays usable while the report is read
            self.report_box = box
        self.window.refresh()

    def _on_search_done(self, _shown: int, _total: int) -> None:
        self._sync_profile_box()
        ids, self._select_after_search = self._select_after_search, None
        if ids is None:
            return
        self.window.hub.set_selection(ids, self)  # the table selects (and scrolls to) the pasted rows
        if self.last_paste is not None:
            self.pasted.emit(self.last_paste)

    def _status(self, text: str, timeout: int = 0) -> None:
        self.window.statusBar().showMessage(text, timeout)

    def shutdown(self) -> None:
        self.paste_slot.cancel()
        self.score_slot.cancel()
        self.warm_slot.cancel()
        self.warm_pool.waitForDone(30_000)
