"""The molecules table: a lazy model over the project's compounds and a delegate that draws structures.

The model holds only the ids of the current query (100,000 ints is under 1 MB) and fetches row
data in blocks through ``Workbench.compound_rows`` when the view asks for a row, keeping the
most recently used blocks. The view asks only for rows on screen, because row heights are fixed
and nothing sizes columns to their contents; so opening a 100,000-row project reads one or two
blocks, never the table.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from enum import IntEnum

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetrics, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from cryodesk.gui.depiction import DepictionCache
from cryodesk.store import CompoundRow

log = logging.getLogger(__name__)

FetchRows = Callable[[list[int]], list[CompoundRow]]
ModelIndex = QModelIndex | QPersistentModelIndex

BLOCK_SIZE = 200
MAX_BLOCKS = 25  # 5,000 rows of plain data at most; a block is re-read in a few ms if it was dropped
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

DEFAULT_WIDTHS: dict[Column, int] = {  # Name takes whatever width is left (it stretches)
    Column.STRUCTURE: STRUCTURE_WIDTH,
    Column.FORMULA: 96,
    Column.MW: 64,
    Column.VALUES: 64,
}

SMILES_ROLE = Qt.ItemDataRole.UserRole + 1
COMPOUND_ID_ROLE = Qt.ItemDataRole.UserRole + 2
INCHIKEY_ROLE = Qt.ItemDataRole.UserRole + 3


class MoleculeTableModel(QAbstractTableModel):
    """Compounds of the current query, read from the project a block at a time.

    Args:
        fetch_rows: ``Workbench.compound_rows``: rows for a list of ids, in the order given.
        block_size: rows read per fetch.
        max_blocks: blocks kept (least recently used are dropped).
    """

    def __init__(self, fetch_rows: FetchRows, block_size: int = BLOCK_SIZE, max_blocks: int = MAX_BLOCKS,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fetch_rows = fetch_rows
        self.block_size = block_size
        self.max_blocks = max_blocks
        self._ids: list[int] = []
        self._blocks: OrderedDict[int, dict[int, CompoundRow]] = OrderedDict()
        self.total = 0  # compounds in the project (the "M" of "N of M shown")
        self.rows_requested = 0  # ids passed to fetch_rows since the last reset (what tests assert on)
        self.fetches = 0
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

    # -- the query --------------------------------------------------------------------------------
    def set_ids(self, ids: Sequence[int], total: int | None = None) -> None:
        """Show ``ids`` (a query result, in display order); ``total`` is the project's compound count."""
        self.beginResetModel()
        self._ids = list(ids)
        self._blocks.clear()
        self.rows_requested = 0
        self.fetches = 0
        if total is not None:
            self.total = total
        self.endResetModel()

    def invalidate(self) -> None:
        """Forget cached rows (their data changed) and let the views re-read what they show."""
        self._blocks.clear()
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(Column) - 1))

    def ids(self) -> list[int]:
        return list(self._ids)

    def id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, compound_id: int) -> int | None:
        try:
            return self._ids.index(compound_id)
        except ValueError:
            return None

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
        ids = self._ids[block_no * self.block_size:(block_no + 1) * self.block_size]
        self.rows_requested += len(ids)
        self.fetches += 1
        try:
            rows = self._fetch_rows(ids)
        except Exception:  # a closed or locked project must leave blank rows, not a broken view
            log.exception("could not read rows %d..%d", block_no * self.block_size, block_no * self.block_size + len(ids))
            rows = []
        block = {r.id: r for r in rows}
        self._blocks[block_no] = block
        while len(self._blocks) > self.max_blocks:
            self._blocks.popitem(last=False)
        return block

    # -- QAbstractTableModel ---------------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(Column):
            title, tip = HEADERS[Column(section)]
            if role == Qt.ItemDataRole.DisplayRole:
                return title
            if role == Qt.ItemDataRole.ToolTipRole:
                return tip
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

    def _draw_smiles(self, painter: QPainter, option: QStyleOptionViewItem, rect: QRect, smiles: str,
                     pending: bool) -> None:
        painter.save()
        font = QFont(option.font)  # type: ignore[attr-defined]
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        palette: QPalette = option.palette  # type: ignore[attr-defined]
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText if pending else QPalette.ColorRole.Text))
        text = painter.fontMetrics().elidedText(smiles, Qt.TextElideMode.ElideMiddle, rect.width())
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        return QSize(STRUCTURE_WIDTH, ROW_HEIGHT)


def draw_fitted(painter: QPainter, rect: QRect, pixmap: QPixmap) -> None:
    """Draw ``pixmap`` centred in ``rect``, scaled down (never up) to fit with its aspect ratio."""
    dpr = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
    size = QSize(pixmap.width(), pixmap.height()) / dpr
    size = size.scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio) if (
        size.width() > rect.width() or size.height() > rect.height()) else size
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
        self.delegate = StructureDelegate(depictions, self)
        self.setItemDelegateForColumn(Column.STRUCTURE, self.delegate)
        depictions.ready.connect(self._on_depiction_ready)

    def apply_default_widths(self) -> None:
        """Size the columns (call after ``setModel``: per-column settings need the columns to exist)."""
        # Names are the longest text; give them the spare width rather than padding a number column.
        self.horizontalHeader().setSectionResizeMode(Column.NAME, QHeaderView.ResizeMode.Stretch)
        for column, width in DEFAULT_WIDTHS.items():
            self.setColumnWidth(column, width)
        # An InChIKey is always 27 characters: size its column to the font rather than guess.
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.setColumnWidth(Column.INCHIKEY, QFontMetrics(mono).horizontalAdvance("M" * 27) + 14)

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
