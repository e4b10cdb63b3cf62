"""The mixtures view: stored CPA mixtures as published, their per-litre composition and a Tg estimate.

For the mixture chosen on the left the engine (``views.mixture_report``, in the background) returns
the recipe as published (amount, unit, role per component), its status (confirmed against the
source, or recalled from the literature and not checked), the per-litre breakdown computed from
molar masses and densities with their bases, the constants that are missing (never guessed), and a
Gordon–Taylor solution-Tg estimate with its uncertainty from the pure-component Tg values stored in
the project, with the Tg-versus-concentration curve at the mixture's solute proportions.

Beside the recipe page, the *Designer* tab (:mod:`cryodesk.gui.mixture_designer`) edits a draft mixture
with live predictions, and the *Compare* tab puts several mixtures (the draft included) side by side.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cryodesk.engine.mixture_design import Comparison, compare_mixtures
from cryodesk.engine.service import Workbench
from cryodesk.engine.views import (
    MixtureReport,
    format_number,
    mixture_report,
    mixture_status_kind,
    mixture_statuses,
)
from cryodesk.gui.dose_response_view import TAB_TITLE as DOSE_RESPONSE_TITLE
from cryodesk.gui.dose_response_view import ConcentrationResponseView, LazyConcentrationResponsePage
from cryodesk.gui.mixture_designer import MixtureDesigner, plot_tg_curve
from cryodesk.gui.theme import gridded_plot, style_plot
from cryodesk.gui.worker import ProgressFn, TaskSlot

WorkbenchRef = Callable[[], Workbench]
NAME_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_STYLE = {
    "confirmed": ("#2b8a3e", "Confirmed against the published source"),
    "recalled": (
        "#c92a2a",
        "Recalled from the literature — not checked against the source; verify before use",
    ),
    "partial": ("#e67700", "Partly checked against the source"),
    "other": ("#868e96", "Status not stated"),
}
COMPONENT_HEADERS = (
    "Component",
    "Amount",
    "Unit",
    "Role",
    "Molar mass",
    "Density (neat)",
    "Pure Tg used",
    "Note",
)
BREAKDOWN_HEADERS = ("Component", "g/L", "mol/L", "% w/v", "% w/w", "% v/v", "mol/kg water", "mole fraction")
PLOT_HEIGHT = 300
RECIPE_TAB, DESIGNER_TAB, COMPARE_TAB, DOSE_RESPONSE_TAB = 0, 1, 2, 3


def _table(headers: Sequence[str], parent: QWidget) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return table


def _fit_height(table: QTableWidget) -> None:
    # The page scrolls, not each table: show every row, plus room for a horizontal scroll bar (whether
    # one is needed is only known once the page is laid out; a spare strip is better than a hidden row).
    table.resizeRowsToContents()
    height = table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth()
    height += sum(table.rowHeight(r) for r in range(table.rowCount()))
    table.setFixedHeight(height + table.horizontalScrollBar().sizeHint().height())


def _with_basis(value: str, basis: str) -> str:
    """``"78.13 g/mol · store"``: the number and the kind of its basis (the tooltip has the whole basis)."""
    if not value:
        return ""
    kind = basis.split(":", 1)[0].strip() if basis else ""
    return f"{value} · {kind}" if kind else value


def _section(text: str, parent: QWidget) -> QLabel:
    label = QLabel(f"<b>{html.escape(text)}</b>", parent)
    label.setContentsMargins(0, 8, 0, 0)
    return label


def _note(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _fmt(value: float | None) -> str:
    return "—" if value is None else format_number(value)


class MixturesView(QWidget):
    """List of stored mixtures and, for the chosen one, everything computed about it."""

    report_shown = Signal(object)  # MixtureReport
    names_loaded = Signal(list)
    comparison_shown = Signal(object)  # Comparison

    def __init__(
        self, workbench: WorkbenchRef, parent: QWidget | None = None, undo_stack: QUndoStack | None = None
    ) -> None:
        super().__init__(parent)

        self.setObjectName("MixturesView")
        self._workbench = workbench
        self.report: MixtureReport | None = None
        self.comparison: Comparison | None = None
        self._select_after_refresh: str | None = None  # a mixture just saved from the designer
        self.list = QListWidget(self)
        self.list.setObjectName("MixtureList")
        self.list.currentItemChanged.connect(
            lambda item, _prev: self.show_mixture(item.data(NAME_ROLE)) if item is not None else None
        )
        self.list_caption = QLabel(self)
        self.list_caption.setWordWrap(True)
        self.design_button = QPushButton("Open in designer", self)
        self.design_button.setObjectName("OpenInDesigner")
        self.design_button.setToolTip(
            "Edit a copy of this mixture in the designer (the stored recipe is kept)"
        )
        self.design_button.clicked.connect(lambda: self.open_in_designer(self.current_name()))
        self.new_design_button = QPushButton("New design", self)
        self.new_design_button.clicked.connect(lambda: self.open_in_designer(None))
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("<b>Stored mixtures</b>", left))
        left_layout.addWidget(self.list, 1)
        design_row = QHBoxLayout()
        design_row.addWidget(self.design_button)
        design_row.addWidget(self.new_design_button)
        left_layout.addLayout(design_row)
        left_layout.addWidget(self.list_caption)

        page = QWidget(self)
        self.title = QLabel(page)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.status_label = QLabel(page)
        self.status_label.setObjectName("MixtureStatus")
        self.status_label.setWordWrap(True)
        self.meta_label = _note(page)
        self.components = _table(COMPONENT_HEADERS, page)
        self.components.setObjectName("MixtureComponents")
        self.breakdown = _table(BREAKDOWN_HEADERS, page)
        self.breakdown.setObjectName("MixtureBreakdown")
        self.density_label = _note(page)
        self.problems_label = _note(page)
        self.problems_label.setObjectName("CompositionProblems")
        self.tg_label = QLabel(page)
        self.tg_label.setObjectName("TgEstimate")
        self.tg_label.setWordWrap(True)
        self.tg_label.setTextFormat(Qt.TextFormat.RichText)
        tg_font = self.tg_label.font()
        tg_font.setPointSizeF(tg_font.pointSizeF() * 1.15)
        self.tg_label.setFont(tg_font)
        self.tg_notes = _note(page)
        self.plot = gridded_plot(page, "TgCurvePlot", "total solute mass fraction", "solution Tg (K)")
        self.plot.setMinimumHeight(PLOT_HEIGHT)
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.assumptions_label = _note(page)

        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(8, 4, 8, 8)
        page_layout.addWidget(self.title)
        page_layout.addWidget(self.status_label)
        page_layout.addWidget(self.meta_label)
        page_layout.addWidget(_section("Components as published", page))
        page_layout.addWidget(self.components)
        page_layout.addWidget(_section("Composition per litre of solution", page))
        page_layout.addWidget(self.breakdown)
        page_layout.addWidget(self.density_label)
        page_layout.addWidget(self.problems_label)
        page_layout.addWidget(_section("Glass transition (Gordon–Taylor estimate)", page))
        page_layout.addWidget(self.tg_label)
        page_layout.addWidget(self.plot)
        page_layout.addWidget(self.tg_notes)
        page_layout.addWidget(_section("Assumptions and bases", page))
        page_layout.addWidget(self.assumptions_label)
        page_layout.addStretch(1)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(page)
        self.placeholder = QLabel("Choose a mixture on the left.", self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

        recipe = QWidget(self)
        right_layout = QVBoxLayout(recipe)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.placeholder)
        right_layout.addWidget(self.scroll)
        self.scroll.hide()
        self.designer = MixtureDesigner(workbench, self, undo_stack)
        self.designer.saved.connect(self._on_design_saved)
        self.names_loaded.connect(self.designer.set_reference_names)
        self.pages = QTabWidget(self)
        self.pages.setObjectName("MixturePages")
        self.pages.setDocumentMode(True)
        self.pages.addTab(recipe, "Recipe")
        self.pages.addTab(self.designer, "Designer")
        self.pages.addTab(self._build_compare_page(), "Compare")
        # Built (and its fits read) only when the user first opens the tab: see dose_response_view.
        self.dose_response_page = LazyConcentrationResponsePage(workbench, self)
        self.pages.addTab(self.dose_response_page, DOSE_RESPONSE_TITLE)
        self.pages.currentChanged.connect(self._on_page_changed)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([250, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self.apply_theme()

        self.names_slot = TaskSlot("mixture names", parent=self)
        self.names_slot.finished.connect(self._on_names)
        self.names_slot.failed.connect(
            lambda e: self.list_caption.setText(f"Could not list the mixtures: {e}")
        )
        self.report_slot = TaskSlot("mixture", parent=self)
        self.report_slot.finished.connect(self._on_report)
        self.report_slot.failed.connect(lambda e: self._show_error(e))
        self.compare_slot = TaskSlot("mixture comparison", parent=self)
        self.compare_slot.finished.connect(self._on_comparison)
        self.compare_slot.failed.connect(lambda e: self.compare_caption.setText(f"Could not compare: {e}"))

    def _build_compare_page(self) -> QWidget:
        page = QWidget(self)
        self.compare_list = QListWidget(page)
        self.compare_list.setObjectName("CompareChoices")
        self.compare_list.setMaximumWidth(260)
        self.compare_draft = QCheckBox("Include the designer's draft", page)
        self.compare_draft.setChecked(True)
        self.compare_button = QPushButton("Compare", page)
        self.compare_button.setObjectName("CompareButton")
        self.compare_button.clicked.connect(lambda: self.compare())
        self.compare_table = QTableWidget(0, 0, page)
        self.compare_table.setObjectName("ComparisonTable")
        self.compare_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.compare_table.setAlternatingRowColors(True)
        self.compare_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.compare_caption = QLabel("Tick the mixtures to compare, then press Compare.", page)
        self.compare_caption.setWordWrap(True)
        choices = QVBoxLayout()
        choices.addWidget(QLabel("<b>Mixtures to compare</b>", page))
        choices.addWidget(self.compare_list, 1)
        choices.addWidget(self.compare_draft)
        choices.addWidget(self.compare_button)
        results = QVBoxLayout()
        results.addWidget(self.compare_table, 1)
        results.addWidget(self.compare_caption)
        layout = QHBoxLayout(page)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(choices)
        layout.addLayout(results, 1)
        return page

    def apply_theme(self) -> None:
        style_plot(self.plot)
        if self.report is not None:
            self._plot(self.report)
        self.designer.apply_theme()
        self.dose_response_page.apply_theme()

    @property
    def dose_response(self) -> ConcentrationResponseView | None:
        """The concentration–response view, or None while its tab has never been opened."""
        return self.dose_response_page.view

    def dose_response_slots(self) -> list[TaskSlot]:
        return self.dose_response_page.slots()

    def _on_page_changed(self, index: int) -> None:
        if index == DOSE_RESPONSE_TAB:
            self.dose_response_page.build()

    # -- designer and comparison ------------------------------------------------------------------------
    def current_name(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else item.data(NAME_ROLE)

    def open_in_designer(self, name: str | None) -> None:
        """Start the designer from a stored mixture (or empty) and show it."""
        self.pages.setCurrentIndex(DESIGNER_TAB)
        self.designer.start_from(name)

    def _on_design_saved(self, name: str) -> None:
        self._select_after_refresh = name
        self.refresh()

    def compare(self, names: Sequence[str] | None = None, include_draft: bool | None = None) -> None:
        """Compare the ticked (or the given) stored mixtures, and the draft when asked, in the background."""
        if names is None:
            names = [
                self.compare_list.item(i).data(NAME_ROLE)
                for i in range(self.compare_list.count())
                if self.compare_list.item(i).checkState() == Qt.CheckState.Checked
            ]
        include = self.compare_draft.isChecked() if include_draft is None else include_draft
        chosen: list = list(names)
        if include and self.designer.draft.components:
            chosen.append(self.designer.draft)
        if not chosen:
            self.compare_caption.setText("Tick at least one mixture (or include a draft with components).")
            return
        self.pages.setCurrentIndex(COMPARE_TAB)
        workbench = self._workbench
        self.compare_caption.setText(f"Comparing {len(chosen)} mixtures…")
        self.compare_slot.start(lambda _p, _c: compare_mixtures(workbench(), chosen), "compare mixtures")

    def _on_comparison(self, comparison: Comparison) -> None:
        self.comparison = comparison
        table = self.compare_table
        table.clear()
        table.setColumnCount(len(comparison.columns))
        table.setRowCount(len(comparison.rows))
        table.setHorizontalHeaderLabels(list(comparison.columns))
        table.setVerticalHeaderLabels([label for label, _cells in comparison.rows])
        for r, (_label, cells) in enumerate(comparison.rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                table.setItem(r, c, item)
        table.resizeColumnsToContents()
        for c in range(table.columnCount()):
            table.setColumnWidth(c, min(max(table.columnWidth(c), 120), 260))
        self.compare_caption.setText(
            f"{len(comparison.columns)} mixtures: amounts as given (with % w/w where the full composition is "
            "known), totals, Gordon–Taylor Tg ± 1σ and learned predictions where a model exists."
        )
        self.comparison_shown.emit(comparison)

    # -- loading ------------------------------------------------------------------------------------
    def refresh(self) -> None:
        workbench = self._workbench
        self.names_slot.start(lambda _p, _c: mixture_statuses(workbench()), "mixture names")
        self.dose_response_page.refresh()  # only once its tab has been opened

    def reset(self) -> None:
        self.names_slot.discard()
        self.report_slot.discard()
        self.compare_slot.discard()
        self.designer.reset()
        self.dose_response_page.reset()
        self.list.clear()
        self.compare_list.clear()
        self.report = None
        self.scroll.hide()
        self.placeholder.show()

    def _on_names(self, items: list) -> None:
        current = self.list.currentItem().data(NAME_ROLE) if self.list.currentItem() else None
        self.list.blockSignals(True)
        self.list.clear()
        for name, status in items:
            kind = mixture_status_kind(status)
            colour, meaning = STATUS_STYLE[kind]
            marker = {"confirmed": "✔", "recalled": "⚠", "partial": "◐"}.get(kind, "•")
            item = QListWidgetItem(f"{marker}  {name}")
            item.setData(NAME_ROLE, name)
            item.setToolTip(f"{name}\nStatus: {status or '?'} — {meaning}")
            if kind in ("recalled", "partial"):
                item.setForeground(QColor(colour))
            self.list.addItem(item)
            if name == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self._fill_compare_choices([n for n, _s in items])
        wanted, self._select_after_refresh = self._select_after_refresh, None
        if wanted:
            self.select(wanted)
        self.list_caption.setText(
            f"{len(items)} mixtures. ✔ confirmed, ◐ partly checked, ⚠ recalled (not checked)."
        )
        self.names_loaded.emit([n for n, _m in items])

    def _fill_compare_choices(self, names: list[str]) -> None:
        ticked = {
            self.compare_list.item(i).data(NAME_ROLE)
            for i in range(self.compare_list.count())
            if self.compare_list.item(i).checkState() == Qt.CheckState.Checked
        }
        self.compare_list.clear()
        for name in names:
            item = QListWidgetItem(name)
            item.setData(NAME_ROLE, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in ticked else Qt.CheckState.Unchecked)
            self.compare_list.addItem(item)

    def show_mixture(self, name: str | None) -> None:
        if not name:
            return
        workbench = self._workbench

        def work(_p: ProgressFn, _c: threading.Event) -> MixtureReport | None:
            return mixture_report(workbench(), name)

        self.report_slot.start(work, f"mixture {name!r}")

    def select(self, name: str) -> bool:
        for i in range(self.list.count()):
            if self.list.item(i).data(NAME_ROLE) == name:
                self.list.setCurrentRow(i)
                return True
        return False

    def _show_error(self, error: str) -> None:
        self.placeholder.setText(f"Could not compute this mixture: {error}")
        self.scroll.hide()
        self.placeholder.show()

    # -- showing ------------------------------------------------------------------------------------
    def _on_report(self, report: MixtureReport | None) -> None:
        if report is None:
            self._show_error("it is no longer in the project")
            return
        self.report = report
        m = report.mixture
        self.title.setText(m.name + (f"  ({', '.join(m.aliases)})" if m.aliases else ""))
        colour, meaning = STATUS_STYLE[report.status_kind]
        self.status_label.setText(f"Status: {m.status} — {meaning}")
        self.status_label.setStyleSheet(
            f"QLabel {{ color: white; background: {colour}; border-radius: 4px;"
            " padding: 3px 8px; font-weight: bold; }"
        )
        meta = []
        for label, value in (
            ("Citation", m.citation),
            ("Carrier", m.carrier),
            ("Group", m.category),
            ("Notes", m.notes),
        ):
            if value:
                meta.append(f"<b>{label}:</b> {html.escape(value)}")
        self.meta_label.setText("<br>".join(meta))
        self._fill_components(report)
        self._fill_breakdown(report)
        self._fill_tg(report)
        self.placeholder.hide()
        self.scroll.show()
        self.report_shown.emit(report)

    def _fill_components(self, report: MixtureReport) -> None:
        table = self.components
        table.setRowCount(len(report.components))
        for r, c in enumerate(report.components):
            amount = "" if c.amount is None else format_number(c.amount)
            cells = [
                c.name,
                amount,
                c.unit or "",
                c.role.value.replace("_", "-"),
                _with_basis(c.molar_mass, c.molar_mass_basis),
                _with_basis(c.density, c.density_basis),
                c.tg,
                c.note or "",
            ]
            tips = {4: c.molar_mass_basis, 5: c.density_basis}
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                tip = tips.get(col) or (text if len(text) > 30 else "")
                item.setToolTip(f"{text}\nBasis: {tip}" if col in tips and tip else tip)
                if col == 6 and text.startswith("no "):
                    item.setForeground(Qt.GlobalColor.gray)
                table.setItem(r, col, item)
            if c.compound_id is None and c.inchikey:
                table.item(r, 0).setToolTip(f"{c.inchikey} (not in this project)")
        table.resizeColumnsToContents()
        for col, cap in ((0, 220), (6, 300)):
            table.setColumnWidth(col, min(table.columnWidth(col), cap))
        _fit_height(table)

    def _fill_breakdown(self, report: MixtureReport) -> None:
        table = self.breakdown
        b = report.breakdown
        rows = b.rows if b is not None else ()
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            values = [
                row.mass_g,
                row.molarity,
                row.percent_wv,
                row.percent_ww,
                row.percent_vv,
                row.molality,
                row.mole_fraction,
            ]
            name = QTableWidgetItem(row.name + (" (remainder)" if r == len(rows) - 1 else ""))
            table.setItem(r, 0, name)
            for col, value in enumerate(values, start=1):
                item = QTableWidgetItem(_fmt(value))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if value is None and row.missing:
                    item.setToolTip("Not computed: " + "; ".join(row.missing))
                table.setItem(r, col, item)
        table.resizeColumnsToContents()
        table.setColumnWidth(0, max(table.columnWidth(0), 160))
        _fit_height(table)
        texts = []
        if b is not None and b.density_g_per_mL is not None:
            texts.append(
                f"Solution density {b.density_g_per_mL:.4f} g/mL ({html.escape(b.density_basis)}); "
                f"total solutes {b.total_solute_percent_wv():.1f} % w/v"
                + (f", {b.total_solute_molarity():.2f} mol/L" if b.total_solute_molarity() else "")
                + "."
            )
        elif b is None:
            texts.append("No breakdown could be computed.")
        self.density_label.setText(" ".join(texts))
        if report.composition_problems:
            items = "".join(f"<li>{html.escape(p)}</li>" for p in report.composition_problems)
            self.problems_label.setText(
                f"<span style='color:#c92a2a'><b>Not computed:</b></span><ul "
                f"style='margin-top:2px'>{items}</ul>"
            )
            self.problems_label.show()
        else:
            self.problems_label.hide()
        notes = list(b.assumptions) + list(b.bases) if b is not None else []
        self.assumptions_label.setText(
            "<ul style='margin-top:2px'>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>"
            if notes
            else ""
        )

    def _fill_tg(self, report: MixtureReport) -> None:
        tg = report.tg
        if tg is None:
            self.tg_label.setText("<span style='color:#c92a2a'>No Tg estimate.</span>")
        else:
            self.tg_label.setText(
                f"Estimated solution Tg: <b>{tg.tg_K:.1f} ± {tg.sigma_K:.1f} K</b> "
                f"({tg.tg_K - 273.15:.1f} °C; 95 % interval {tg.lower95_K:.1f}–{tg.upper95_K:.1f} K), "
                f"{tg.model.value.replace('_', '–').title()} at a total solute mass fraction of "
                f"{report.solute_fraction:.3f}."
            )
        notes = [f"<li style='color:#c92a2a'>{html.escape(p)}</li>" for p in report.tg_problems]
        if tg is not None:
            notes += [f"<li>{html.escape(a)}</li>" for a in tg.assumptions]
            notes += [
                f"<li>{html.escape(n)}: Tg {p.value_K:.1f} ± {p.sigma_K:.1f} K ({html.escape(p.basis.value)}; "
                f"{html.escape(p.source)})</li>"
                for n, p in tg.tg_used.items()
            ]
            notes += [
                f"<li>{html.escape(n)}: k = {k.k:.3g} ± {k.sigma:.2g} ({html.escape(k.basis.value)})</li>"
                for n, k in tg.k_used.items()
            ]
        self.tg_notes.setText("<ul style='margin-top:2px'>" + "".join(notes) + "</ul>" if notes else "")
        self._plot(report)

    def _plot(self, report: MixtureReport) -> None:
        self.plot.setVisible(report.curve is not None)
        plot_tg_curve(self.plot, report)
