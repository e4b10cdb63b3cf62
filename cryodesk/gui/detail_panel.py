"""The detail panel: one compound with every value and where it came from.

Shows a large depiction, the identity (name, InChIKey, formula, SMILES), and three tables:
property values with their full provenance (source, method, record id, citation, flags),
identifiers with their source and confidence, and assay results. Conflicting values are listed
side by side, as the store keeps them; nothing is reconciled away here.

Two more tabs read from the engine on the thread pool when they are opened: **Evidence** (what
imported PubMed abstracts say, agreement with predictions; :mod:`cryodesk.gui.evidence_panel`)
and **Lineage** (the chain behind a value or a prediction; :mod:`cryodesk.gui.lineage_panel`).
They find the workbench through :meth:`CompoundDetailPanel.set_workbench`, else through the
window that holds the panel (its ``wb``).

Under the Properties tab, **Add value… / Edit… / Delete** ask for values entered by hand; the panel only
emits requests, :class:`cryodesk.gui.manual_value_dialog.ManualValueEditor` writes them (undoably).
Edit and Delete are enabled only on a value with "manual" provenance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QPainter, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cryodesk.domain import AssayResult, Identifier, PropertyValue, Provenance
from cryodesk.engine.manual_values import MANUAL_SOURCE
from cryodesk.engine.service import CompoundDetail
from cryodesk.engine.views import unit_label
from cryodesk.gui.depiction import DepictionCache
from cryodesk.gui.evidence_panel import EvidencePanel
from cryodesk.gui.lineage_panel import LineagePanel
from cryodesk.gui.molecule_table import draw_fitted
from cryodesk.gui.tables import read_only_table

if TYPE_CHECKING:
    from cryodesk.engine.service import Workbench

PROPERTY_HEADERS = (
    "Property",
    "Value",
    "Unit",
    "Conditions",
    "Method",
    "Source",
    "Record",
    "Citation",
    "Flags",
)
IDENTIFIER_HEADERS = ("Kind", "Value", "Source", "Confidence")
ASSAY_HEADERS = ("Assay", "Outcome", "Value", "Unit", "Method", "Source", "Record", "Citation")
CITATION_WIDTH = 260
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1  # the full record text of a row, on its first cell
VALUE_ROLE = Qt.ItemDataRole.UserRole + 2  # the PropertyValue of a properties row, on its first cell


class StructureView(QWidget):
    """A depiction drawn to fit the widget, from the shared cache."""

    def __init__(self, depictions: DepictionCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._depictions = depictions
        self._smiles: str | None = None
        self.setMinimumSize(240, 180)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        depictions.ready.connect(self._on_ready)

    def sizeHint(self) -> QSize:
        return QSize(320, 220)

    def set_smiles(self, smiles: str | None) -> None:
        self._smiles = smiles
        self.update()

    def is_drawn(self) -> bool:
        """True when the structure (or its "cannot draw" text) is on screen, not a pending placeholder."""
        if not self._smiles:
            return True
        found = self._depictions.lookup(
            self._smiles, self.width() - 8, self.height() - 8, self.devicePixelRatioF()
        )
        return found is not None

    def _on_ready(self, smiles: str) -> None:
        if smiles == self._smiles:
            self.update()

    def paintEvent(self, event: object) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Base))
        rect = self.rect().adjusted(4, 4, -4, -4)
        if self._smiles:
            found = self._depictions.lookup(
                self._smiles, rect.width(), rect.height(), self.devicePixelRatioF()
            )
            if found is None or found is DepictionCache.FAILED:
                painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
                text = "drawing…" if found is None else self._smiles
                painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), text)
            else:
                draw_fitted(painter, rect, found)  # type: ignore[arg-type]
        painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
        painter.drawRect(QRect(0, 0, self.width() - 1, self.height() - 1))
        painter.end()


class CompoundDetailPanel(QWidget):
    """Everything stored about the selected compound. Fill it with :meth:`show_detail`."""

    shown = Signal(str)  # InChIKey of the compound now displayed
    add_value_requested = Signal(str, str)  # InChIKey, compound name: enter a value by hand
    edit_value_requested = Signal(object, str)  # the manual PropertyValue, compound name
    delete_value_requested = Signal(object)  # the manual PropertyValue

    def __init__(self, depictions: DepictionCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CompoundDetailPanel")
        self.detail: CompoundDetail | None = None
        self._workbench_provider: Callable[[], Workbench | None] | None = None
        self._loaded_tabs: dict[QWidget, str] = {}  # lazy tabs -> the InChIKey they show
        self._stack = QStackedWidget(self)
        self._placeholder = QLabel("Select a compound to see its values and where each one came from.")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setWordWrap(True)
        self._placeholder.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._stack.addWidget(self._placeholder)
        self._stack.addWidget(self._build_content(depictions))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self._stack)

    def _build_content(self, depictions: DepictionCache) -> QWidget:
        content = QWidget(self)
        self.structure = StructureView(depictions, content)
        self.name_label = QLabel(content)
        title_font = QFont(self.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.35)
        title_font.setBold(True)
        self.name_label.setFont(title_font)
        self.name_label.setWordWrap(True)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.inchikey_label = _selectable(QLabel(content))
        self.inchikey_label.setFont(mono)
        self.inchikey_label.setWordWrap(True)  # may break at its hyphens in a narrow dock
        self.formula_label = _selectable(QLabel(content))
        self.formula_label.setWordWrap(True)  # else its one long line sets the dock's minimum width
        self.smiles_label = _selectable(QLabel(content))
        self.smiles_label.setFont(mono)
        self.smiles_label.setWordWrap(True)

        identity = QVBoxLayout()
        identity.setSpacing(4)
        for widget in (self.name_label, self.inchikey_label, self.formula_label, self.smiles_label):
            identity.addWidget(widget)
        self.view3d_button = QPushButton("3D view", content)  # issue 13: ETKDG conformer window
        self.view3d_button.setToolTip("Rotatable 3D structure: ETKDG conformer, and COD crystals if stored")
        self.view3d_button.clicked.connect(self._open_3d)
        identity.addWidget(self.view3d_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.toxicity_button = QPushButton("Toxicity profile", content)  # issue 13: assays, AOPs, predictions
        self.toxicity_button.clicked.connect(self._open_toxicity)
        identity.addWidget(self.toxicity_button, 0, Qt.AlignmentFlag.AlignLeft)
        identity.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.structure, 0)
        top.addLayout(identity, 1)

        self.properties_table = read_only_table(PROPERTY_HEADERS, content, row_padding=8, dense_values=True)
        self.identifiers_table = read_only_table(
            IDENTIFIER_HEADERS, content, row_padding=8, dense_values=True
        )
        self.assays_table = read_only_table(ASSAY_HEADERS, content, row_padding=8, dense_values=True)
        self.tabs = QTabWidget(content)
        # Five tabs in a narrow dock: shorten their titles rather than hide some behind scroll arrows.
        self.tabs.setUsesScrollButtons(False)
        self.tabs.setElideMode(Qt.TextElideMode.ElideRight)
        self.tabs.addTab(self.properties_table, "Properties")
        self.tabs.addTab(self.identifiers_table, "Identifiers")
        self.tabs.addTab(self.assays_table, "Assays")
        self.evidence_panel = EvidencePanel(self._workbench, content)
        self.lineage_panel = LineagePanel(self._workbench, content)
        self.tabs.addTab(self.evidence_panel, "Evidence")
        self.tabs.addTab(self.lineage_panel, "Lineage")
        self.tabs.currentChanged.connect(lambda _i: self._load_lazy_tab())
        for index, tip in enumerate(
            (
                "Property values and their provenance",
                "Identifiers",
                "Assay results",
                "What imported PubMed abstracts say; agreement with predictions",
                "Where a value or a prediction came from",
            )
        ):
            self.tabs.setTabToolTip(index, tip)
        # The tables are wide; the full record of the row in focus is always readable here.
        self.provenance_label = _selectable(QLabel(content))
        self.provenance_label.setObjectName("ProvenanceLabel")
        self.provenance_label.setWordWrap(True)
        self.provenance_label.setTextFormat(Qt.TextFormat.PlainText)
        self.provenance_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.provenance_label.setFrameShape(QFrame.Shape.StyledPanel)
        self.provenance_label.setMinimumHeight(self.fontMetrics().lineSpacing() * 5 + 12)
        self.provenance_label.setMargin(6)
        for table in (self.properties_table, self.identifiers_table, self.assays_table):
            table.currentCellChanged.connect(
                lambda row, _c, _pr, _pc, table=table: self._show_record(table, row)
            )
        self.tabs.currentChanged.connect(lambda _i: self._show_record(self.tabs.currentWidget(), None))
        self.value_buttons = self._build_value_buttons(content)
        self.properties_table.currentCellChanged.connect(lambda *_: self._update_value_buttons())
        self.properties_table.itemDoubleClicked.connect(lambda _item: self._request_edit())
        self.tabs.currentChanged.connect(lambda _i: self._update_value_buttons())

        line = QFrame(content)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(line)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.value_buttons)
        layout.addWidget(self.provenance_label)
        return content

    # -- manual values --------------------------------------------------------------------------------
    def _build_value_buttons(self, parent: QWidget) -> QWidget:
        bar = QWidget(parent)
        self.add_value_button = QPushButton("Add value…", bar)
        self.add_value_button.setObjectName("AddValueButton")
        self.add_value_button.setToolTip("Enter a measured or literature value by hand (stored as “manual”)")
        self.edit_value_button = QPushButton("Edit…", bar)
        self.edit_value_button.setObjectName("EditValueButton")
        self.edit_value_button.setToolTip("Correct the selected value entered by hand")
        self.delete_value_button = QPushButton("Delete", bar)
        self.delete_value_button.setObjectName("DeleteValueButton")
        self.delete_value_button.setToolTip(
            "Delete the selected value entered by hand (Edit ▸ Undo brings it back)"
        )
        self.value_status = QLabel(bar)
        self.value_status.setObjectName("ManualValueStatus")
        self.value_status.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.value_status.setWordWrap(True)  # its own line under the buttons: a narrow dock shows it whole
        self.value_status.hide()
        self.add_value_button.clicked.connect(self._request_add)
        self.edit_value_button.clicked.connect(self._request_edit)
        self.delete_value_button.clicked.connect(self._request_delete)
        row = QHBoxLayout()
        for button in (self.add_value_button, self.edit_value_button, self.delete_value_button):
            row.addWidget(button)
        row.addStretch(1)
        column = QVBoxLayout(bar)
        column.setContentsMargins(0, 2, 0, 2)
        column.setSpacing(2)
        column.addLayout(row)
        column.addWidget(self.value_status)
        return bar

    def _writable(self) -> bool:
        wb = self._workbench()
        return wb is not None and not wb.project.read_only

    def current_value(self) -> PropertyValue | None:
        """The property value of the focused row of the Properties table."""
        item = self.properties_table.item(self.properties_table.currentRow(), 0)
        value = item.data(VALUE_ROLE) if item is not None else None
        return value if isinstance(value, PropertyValue) else None

    def _update_value_buttons(self) -> None:
        on_properties = self.tabs.currentWidget() is self.properties_table
        self.value_buttons.setVisible(on_properties)
        writable = self.detail is not None and self._writable()
        value = self.current_value()
        manual = value is not None and value.provenance.source == MANUAL_SOURCE
        self.add_value_button.setEnabled(writable)
        self.edit_value_button.setEnabled(writable and manual)
        self.delete_value_button.setEnabled(writable and manual)
        if value is not None and not manual:
            tip = "Imported values cannot be changed here; add a manual value beside it"
        else:
            tip = "Correct the selected value entered by hand"
        self.edit_value_button.setToolTip(tip)

    def _compound_title(self) -> str:
        c = self.detail.compound if self.detail is not None else None
        return "" if c is None else (c.name or c.inchikey)

    def _request_add(self) -> None:
        if self.detail is not None and self._writable():
            self.add_value_requested.emit(self.detail.compound.inchikey, self._compound_title())

    def _request_edit(self) -> None:
        value = self.current_value()
        if value is not None and self.edit_value_button.isEnabled():
            self.edit_value_requested.emit(value, self._compound_title())

    def _request_delete(self) -> None:
        value = self.current_value()
        if value is not None and self.delete_value_button.isEnabled():
            self.delete_value_requested.emit(value)

    def show_status(self, text: str) -> None:
        """A one-line report of the last manual-value write (hidden when there is none)."""
        self.value_status.setText(text)
        self.value_status.setVisible(bool(text))

    def select_value(self, value: PropertyValue | None) -> None:
        """Focus the row of ``value`` (after it was added or changed), if it is shown."""
        if value is None:
            return
        for row in range(self.properties_table.rowCount()):
            item = self.properties_table.item(row, 0)
            if item is not None and item.data(VALUE_ROLE) == value:
                self.properties_table.setCurrentCell(row, 0)
                self.properties_table.scrollToItem(item)
                return

    # -- the lazy tabs ------------------------------------------------------------------------------
    def set_workbench(self, provider: Callable[[], Workbench | None]) -> None:
        """Where the Evidence and Lineage tabs read from (called with no arguments on each load)."""
        self._workbench_provider = provider

    def _workbench(self) -> Workbench | None:
        if self._workbench_provider is not None:
            return self._workbench_provider()
        widget = self.parentWidget()
        while widget is not None:  # the main window (through the dock) holds the open workbench
            found = getattr(widget, "wb", None)
            if found is not None:
                return found
            widget = widget.parentWidget()
        return None

    def _open_3d(self) -> None:
        from cryodesk.gui.view3d import crystal_ids, open_compound_3d

        wb = self._workbench()
        if self.detail is not None and wb is not None:
            c = self.detail.compound
            cod = crystal_ids(self.detail)
            self.view3d_window = open_compound_3d(self, wb, c.inchikey, c.name or c.inchikey, cod)

    def _open_toxicity(self) -> None:
        from cryodesk.gui.toxicity_view import open_toxicity_view

        wb = self._workbench()
        if self.detail is not None and wb is not None:
            self.toxicity_window = open_toxicity_view(self, wb, [self.detail.compound.inchikey])

    def _load_lazy_tab(self) -> None:
        """Read the open Evidence / Lineage tab for the shown compound, once per compound."""
        current = self.tabs.currentWidget()
        self.provenance_label.setVisible(isinstance(current, QTableWidget))
        if self.detail is None or current not in (self.evidence_panel, self.lineage_panel):
            return
        inchikey = self.detail.compound.inchikey
        if self._loaded_tabs.get(current) != inchikey:
            self._loaded_tabs[current] = inchikey
            current.load(inchikey)  # type: ignore[attr-defined]

    def _show_record(self, table: QWidget, row: int | None) -> None:
        if not isinstance(table, QTableWidget) or table is not self.tabs.currentWidget():
            return
        if row is None or row < 0:
            row = table.currentRow()
        if table.rowCount() == 0:
            what = {
                self.properties_table: "property values",
                self.identifiers_table: "identifiers",
                self.assays_table: "assay results",
            }.get(table, "records")
            self.provenance_label.setText(f"No {what} are stored for this compound.")
            return
        item = table.item(row, 0) if row is not None and row >= 0 else None
        text = item.data(RECORD_ROLE) if item is not None else None
        self.provenance_label.setText(text or "Select a row to see where its value came from.")

    # -- filling -----------------------------------------------------------------------------------
    def clear(self) -> None:
        self.detail = None
        self._loaded_tabs.clear()
        self.evidence_panel.clear()
        self.lineage_panel.clear()
        self.structure.set_smiles(None)
        self.show_status("")
        self._stack.setCurrentIndex(0)

    def show_message(self, text: str) -> None:
        self.clear()
        self._placeholder.setText(text)

    def show_detail(self, detail: CompoundDetail | None) -> None:
        """Show ``detail`` (None: the compound is gone, e.g. another project was opened)."""
        if detail is None:
            self.show_message("This compound is no longer in the project.")
            return
        same = self.detail is not None and self.detail.compound.inchikey == detail.compound.inchikey
        focused = self.current_value() if same else None  # a re-read keeps the row the user is on
        if not same:
            self.show_status("")  # the last write's report belongs to the compound it was about
        self.detail = detail
        c = detail.compound
        self.structure.set_smiles(c.smiles)
        self.name_label.setText(c.name or "(no name)")
        self.inchikey_label.setText(c.inchikey)
        mw = "" if c.mol_weight is None else f"   MW {c.mol_weight:.2f} g/mol"
        self.formula_label.setText(f"{c.formula}{mw}   (standardisation {c.std_version})")
        self.smiles_label.setText(c.smiles)
        self._fill_properties(detail.properties)
        self.select_value(focused)
        self._fill_identifiers(detail.identifiers)
        self._fill_assays(detail.assay_results)
        self.tabs.setTabText(0, f"Properties ({len(detail.properties)})")
        self.tabs.setTabText(1, f"Identifiers ({len(detail.identifiers)})")
        self.tabs.setTabText(2, f"Assays ({len(detail.assay_results)})")
        literature = sum(1 for v in detail.properties if str(v.provenance.method) == "literature")
        self.tabs.setTabText(3, f"Evidence ({literature})" if literature else "Evidence")
        self._stack.setCurrentIndex(1)
        self._load_lazy_tab()
        self._update_value_buttons()
        self.shown.emit(c.inchikey)

    def _fill_properties(self, values: Sequence[PropertyValue]) -> None:
        rows = []
        for v in values:
            p = v.provenance
            value = _value_text(v.value, v.value_text)
            headline = f"{v.property} = {value} {unit_label(v.unit)}".rstrip() + (
                f" ({v.conditions})" if v.conditions else ""
            )
            rows.append(
                (
                    [
                        v.property,
                        value,
                        unit_label(v.unit),  # °C for degC; units as imported are shown as stored
                        v.conditions or "",
                        str(p.method),
                        p.source,
                        p.source_record_id or "",
                        p.citation or "",
                        ", ".join(v.flags),
                    ],
                    _record_text(headline, p, v.value_text, v.flags),
                )
            )
        _fill(self.properties_table, rows, numeric_columns=(1,), payloads=values)
        _focus_first_row(self.properties_table)
        self._show_record(self.properties_table, None)

    def _fill_identifiers(self, identifiers: Sequence[Identifier]) -> None:
        rows = [
            (
                [str(i.kind), i.value, i.source, f"{i.confidence:.2f}"],
                f"{i.kind}: {i.value}\nSource: {i.source}\nConfidence: {i.confidence:.2f}",
            )
            for i in identifiers
        ]
        _fill(self.identifiers_table, rows, numeric_columns=(3,))
        _focus_first_row(self.identifiers_table)
        self._show_record(self.identifiers_table, None)

    def _fill_assays(self, results: Sequence[AssayResult]) -> None:
        rows = []
        for r in results:
            p = r.provenance
            value = _value_text(r.value, None)
            measured = f"{value} {r.unit or ''}".strip()
            headline = f"{r.assay_key}: {r.outcome}" + (f" ({measured})" if measured else "")
            rows.append(
                (
                    [
                        r.assay_key,
                        str(r.outcome),
                        value,
                        r.unit or "",
                        str(p.method),
                        p.source,
                        p.source_record_id or "",
                        p.citation or "",
                    ],
                    _record_text(headline, p, None, ()),
                )
            )
        _fill(self.assays_table, rows, numeric_columns=(2,))
        _focus_first_row(self.assays_table)
        self._show_record(self.assays_table, None)


def _selectable(label: QLabel) -> QLabel:
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _fill(
    table: QTableWidget,
    rows: Sequence[tuple[Sequence[str], str | None]],
    numeric_columns: Sequence[int] = (),
    payloads: Sequence[object] | None = None,
) -> None:
    table.setSortingEnabled(False)  # filling a sorted table re-sorts on every item
    table.clearContents()
    table.setRowCount(len(rows))
    for r, (cells, tip) in enumerate(rows):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if c == 0:
                item.setData(RECORD_ROLE, tip)
                if payloads is not None:
                    item.setData(VALUE_ROLE, payloads[r])  # rows move when sorted: the value goes with them
            if c in numeric_columns:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            tooltip = tip or ""
            if len(text) > 40:  # long cells (citations) are elided: the tooltip carries the whole text
                tooltip = f"{text}\n\n{tip}" if tip else text
            item.setToolTip(tooltip)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()  # a compound has tens of values, not thousands
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    if "Citation" in headers:
        column = headers.index("Citation")
        table.setColumnWidth(column, min(table.columnWidth(column), CITATION_WIDTH))
    table.setSortingEnabled(True)


def _focus_first_row(table: QTableWidget) -> None:
    # The record box then shows the first value's provenance without a click.
    if table.rowCount():
        table.setCurrentCell(0, 0)
        table.scrollToTop()


def _value_text(value: float | None, text: str | None) -> str:
    if value is None:
        return text or ""
    return f"{value:.6g}"


def _record_text(headline: str, p: Provenance, original: str | None, flags: Sequence[str]) -> str:
    """The full record of one value: what, where from, how, and anything flagged."""
    manual = p.source == MANUAL_SOURCE
    parts = [
        headline,
        f"Source: {p.source}"
        + (" (entered by hand)" if manual else "")
        + (f", record {p.source_record_id}" if p.source_record_id else ""),
        f"Method: {p.method}",
    ]
    if p.citation:
        parts.append(f"{'Note / reference' if manual else 'Citation'}: {p.citation}")
    if p.retrieved_at:
        parts.append(f"{'Entered' if manual else 'Retrieved'}: {p.retrieved_at}")
    if p.job_id is not None:
        parts.append(f"Written by job {p.job_id}")
    if original:
        parts.append(f"As read: {original}")
    if flags:
        parts.append(f"Flags: {', '.join(flags)}")
    return "\n".join(parts)
