"""Read-only result tables shared by the detail panel, the evidence tab and the toxicity view."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QWidget


def read_only_table(
    headers: Sequence[str],
    parent: QWidget,
    *,
    row_padding: int | None = None,
    dense_values: bool = False,
) -> QTableWidget:
    """A row-selecting, non-editable table whose last column takes the spare width.

    ``row_padding`` fixes the row height to one text line plus that many pixels (rows stay compact
    when cells hold single values); ``dense_values`` adds alternating row colours, no word wrap and
    pixel scrolling, for long lists of values read across.
    """
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    if row_padding is not None:
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + row_padding)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
    if dense_values:
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    return table
