"""The mixture designer: build a CPA mixture from a reference recipe or from scratch and see, live, its
predicted Tg (and learned viscosity/viability when the engine has models) with uncertainty, its
Tg-versus-concentration curve and the interaction graph of its components.

Every edit is a command on the undo stack (:mod:`cryodesk.gui.undo`). Components typed by name, CAS or
SMILES are resolved by the engine's resolver in the background; the report is recomputed off the GUI
thread, at most once per burst of edits (debounced), and a newer edit supersedes a running computation.
All numbers come from :mod:`cryodesk.engine.mixture_design`; nothing is computed here.
"""

from __future__ import annotations

import html
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cryodesk.domain import ComponentRole, Mixture, MixtureComponent
from cryodesk.engine.mixture_design import (
    ROLE_CHOICES,
    UNIT_CHOICES,
    DesignReport,
    MixtureGraph,
    ResolvedComponent,
    design_report,
    draft_from,
    empty_draft,
    resolve_component,
)
from cryodesk.engine.service import Workbench
from cryodesk.engine.views import MixtureReport
from cryodesk.gui.theme import gridded_plot, plot_colours, style_plot
from cryodesk.gui.undo import (
    AddComponentCommand,
    DraftHolder,
    EditComponentCommand,
    RemoveComponentCommand,
    ReplaceDraftCommand,
)
from cryodesk.gui.worker import ProgressFn, TaskSlot

WorkbenchRef = Callable[[], Workbench]
DEBOUNCE_MS = 250  # a burst of spin-box steps or typing gives one recomputation
EMPTY_START = "(empty)"
COMPUTING = "Computing…"
COMPONENT_HEADERS = ("Component", "Amount", "Unit", "Role", "Identity")
AMOUNT_MAX = 100_000.0
POSITIVE_EDGE, NEGATIVE_EDGE, NO_EVIDENCE_EDGE = "#c92a2a", "#1c5fb8", "#9aa0a6"


def _heading(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)  # a heading must not set the page's minimum width
    return label


def role_label(role: ComponentRole) -> str:
    return role.value.replace("_", "-")


# -- drawing helpers shared with the mixtures view ------------------------------------------------------


def plot_tg_curve(plot: Any, report: MixtureReport, label: str | None = None) -> None:
    """Draw the Gordon–Taylor Tg curve of ``report`` with its 95 % band and the mixture's own point."""
    import pyqtgraph as pg

    plot.clear()
    curve = report.curve
    if curve is None or report.tg is None:
        return
    colours = plot_colours()
    x = np.asarray(curve.w_solutes, float)
    lower = pg.PlotDataItem(x, curve.lower95_K, pen=pg.mkPen(None))
    upper = pg.PlotDataItem(x, curve.upper95_K, pen=pg.mkPen(None))
    plot.addItem(lower)
    plot.addItem(upper)
    plot.addItem(pg.FillBetweenItem(lower, upper, brush=pg.mkBrush(*colours.band)))
    plot.plot(x, curve.tg_K, pen=pg.mkPen(colours.accent, width=2), name="Gordon–Taylor")
    point = float(report.solute_fraction or 0.0)
    marker = pg.ScatterPlotItem(
        [point],
        [report.tg.tg_K],
        size=12,
        brush=pg.mkBrush(colours.highlight),
        pen=pg.mkPen(colours.foreground),
    )
    marker.setZValue(10)
    plot.addItem(marker)
    plot.addItem(
        pg.ErrorBarItem(
            x=np.array([point]),
            y=np.array([report.tg.tg_K]),
            height=np.array([report.tg.upper95_K - report.tg.lower95_K]),
            pen=pg.mkPen(colours.highlight, width=2),
        )
    )
    text = pg.TextItem(
        f"{label or report.mixture.name}: {report.tg.tg_K:.0f} K", color=colours.foreground, anchor=(0, 1)
    )
    text.setPos(point + 0.02, report.tg.tg_K + 4)
    plot.addItem(text)
    plot.setXRange(0, 1, padding=0.02)
    plot.setYRange(float(np.min(curve.lower95_K)) - 5, float(np.max(curve.upper95_K)) + 5, padding=0)


class InteractionGraphView(QWidget):
    """The mixture's components as nodes on a circle (area ~ mass fraction) and their pair interactions
    as edges: red raises the property, blue lowers it, width = strength; dashed grey = no evidence."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg

        self.plot = pg.PlotWidget(self)
        self.plot.setObjectName("InteractionGraphPlot")
        self.plot.setMenuEnabled(False)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setAspectLocked(True)
        self.plot.setMouseEnabled(False, False)
        self.caption = QLabel(self)
        self.caption.setObjectName("InteractionGraphCaption")
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.caption)
        self.graph: MixtureGraph | None = None
        self.edge_items: list[Any] = []
        self.node_item: Any = None
        style_plot(self.plot)

    def show_graph(self, graph: MixtureGraph) -> None:
        import pyqtgraph as pg

        self.graph = graph
        self.plot.clear()
        self.edge_items = []
        style_plot(self.plot)
        colours = plot_colours()
        n = len(graph.nodes)
        angles = [math.pi / 2 - 2 * math.pi * i / max(n, 1) for i in range(n)]
        pos = np.array([[math.cos(a), math.sin(a)] for a in angles]) if n > 1 else np.zeros((n, 2))
        strongest = max((e.strength for e in graph.edges if e.evidence), default=0.0) or 1.0
        for edge in graph.edges:
            if edge.evidence:
                colour = (
                    POSITIVE_EDGE if edge.sign > 0 else NEGATIVE_EDGE if edge.sign < 0 else NO_EVIDENCE_EDGE
                )
                pen = pg.mkPen(colour, width=1.5 + 6.5 * edge.strength / strongest)
            else:
                pen = pg.mkPen(NO_EVIDENCE_EDGE, width=1.2, style=Qt.PenStyle.DashLine)
            item = pg.PlotCurveItem(pos[[edge.a, edge.b], 0], pos[[edge.a, edge.b], 1], pen=pen)
            item.setToolTip(f"{graph.nodes[edge.a].name} – {graph.nodes[edge.b].name}: {edge.label}")
            self.plot.addItem(item)
            self.edge_items.append(item)
        if n:
            sizes = [14 + 46 * math.sqrt(max(node.mass_fraction or 0.0, 0.0)) for node in graph.nodes]
            self.node_item = pg.ScatterPlotItem(
                pos[:, 0],
                pos[:, 1],
                size=sizes,
                brush=pg.mkBrush(colours.accent),
                pen=pg.mkPen(colours.foreground, width=1.5),
            )
            self.node_item.setZValue(5)
            self.plot.addItem(self.node_item)
            for (x, y), node in zip(pos, graph.nodes, strict=True):
                share = "" if node.mass_fraction is None else f"\nw = {node.mass_fraction:.3f}"
                # Outside the circle, on the far side of the node from the edges that meet there.
                ax = 0.5 if abs(x) < 0.3 else (0.0 if x > 0 else 1.0)
                ay = 0.5 if abs(y) < 0.3 else (1.0 if y > 0 else 0.0)
                text = pg.TextItem(f"{node.name}{share}", color=colours.foreground, anchor=(ax, ay))
                text.setPos(float(x) * 1.14, float(y) * 1.14)
                text.setZValue(6)
                self.plot.addItem(text)
        self.plot.setXRange(-1.9, 1.9, padding=0)
        self.plot.setYRange(-1.65, 1.65, padding=0)
        legend = (
            f"<span style='color:{POSITIVE_EDGE}'>━ above additive</span>  "
            f"<span style='color:{NEGATIVE_EDGE}'>━ below additive</span>  "
            f"<span style='color:{NO_EVIDENCE_EDGE}'>┅ no evidence</span>"
        )
        self.caption.setText(f"{legend}<br>{html.escape(graph.note)}")


# -- the designer --------------------------------------------------------------------------------------


class MixtureDesigner(QWidget):
    """Edit a draft mixture; see its predictions live. ``report_shown`` carries each new DesignReport."""

    report_shown = Signal(object)  # DesignReport
    resolved = Signal(object)  # ResolvedComponent
    saved = Signal(str)
    save_failed = Signal(str)

    def __init__(
        self, workbench: WorkbenchRef, parent: QWidget | None = None, undo_stack: QUndoStack | None = None
    ) -> None:
        super().__init__(parent)

        self.setObjectName("MixtureDesigner")
        self._workbench = workbench
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self.holder = DraftHolder(empty_draft(), self)
        self.holder.changed.connect(self._on_draft_changed)
        self.report: DesignReport | None = None
        self.recomputations = 0  # how many reports were started (the debouncing keeps this low)
        self.read_only = False

        # Start from / name / save
        self.start_combo = QComboBox(self)
        self.start_combo.setObjectName("DesignerStartFrom")
        self.start_combo.addItem(EMPTY_START)
        self.start_combo.setMinimumContentsLength(10)
        self.start_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.start_button = QPushButton("Start", self)
        self.start_button.setToolTip("Replace the draft by a copy of this reference mixture (undoable)")
        self.start_button.clicked.connect(lambda: self.start_from(self.start_combo.currentText()))
        self.name_edit = QLineEdit(self.holder.draft.name, self)
        self.name_edit.setObjectName("DesignerName")
        self.name_edit.editingFinished.connect(self._rename_from_edit)
        self.save_button = QPushButton("Save to project", self)
        self.save_button.setObjectName("DesignerSave")
        self.save_button.clicked.connect(lambda: self.save())
        # Fixed captions (the command's text goes in the tooltip): a button that grows with "Undo Set
        # amount of ..." would widen the whole window.
        self.undo_button = self._stack_button(
            "Undo",
            self.undo_stack.undo,
            self.undo_stack.canUndoChanged,
            self.undo_stack.undoTextChanged,
            self.undo_stack.canUndo(),
        )
        self.redo_button = self._stack_button(
            "Redo",
            self.undo_stack.redo,
            self.undo_stack.canRedoChanged,
            self.undo_stack.redoTextChanged,
            self.undo_stack.canRedo(),
        )
        top = QHBoxLayout()
        top.addWidget(QLabel("Start from:", self))
        top.addWidget(self.start_combo, 1)
        top.addWidget(self.start_button)
        top.addSpacing(12)
        top.addWidget(self.undo_button)
        top.addWidget(self.redo_button)
        name_row = QHBoxLayout()
        name_row.addWidget(QLabel("Name:", self))
        name_row.addWidget(self.name_edit, 1)
        name_row.addWidget(self.save_button)

        # Add a component
        self.component_edit = QLineEdit(self)
        self.component_edit.setObjectName("DesignerComponentInput")
        self.component_edit.setPlaceholderText("name, CAS or SMILES (e.g. glycerol, 67-68-5, OCCO)")
        self.component_edit.returnPressed.connect(self.add_from_inputs)
        self.amount_spin = QDoubleSpinBox(self)
        self.amount_spin.setObjectName("DesignerAmount")
        self._setup_amount(self.amount_spin)
        self.amount_spin.setValue(10.0)
        self.unit_combo = self._unit_combo()
        self.unit_combo.setObjectName("DesignerUnit")
        self.role_combo = self._role_combo()
        self.role_combo.setObjectName("DesignerRole")
        self.add_button = QPushButton("Add", self)
        self.add_button.setObjectName("DesignerAdd")
        self.add_button.clicked.connect(self.add_from_inputs)
        add_row = QHBoxLayout()
        add_row.addWidget(self.component_edit, 1)
        add_row.addWidget(self.add_button)
        amount_row = QHBoxLayout()
        amount_row.addWidget(QLabel("Amount:", self))
        amount_row.addWidget(self.amount_spin)
        amount_row.addWidget(self.unit_combo)
        amount_row.addWidget(QLabel("Role:", self))
        amount_row.addWidget(self.role_combo)
        amount_row.addStretch(1)
        self.resolve_label = QLabel(self)
        self.resolve_label.setObjectName("DesignerResolveMessage")
        self.resolve_label.setWordWrap(True)

        self.table = QTableWidget(0, len(COMPONENT_HEADERS), self)
        self.table.setObjectName("DesignerComponents")
        self.table.setHorizontalHeaderLabels(list(COMPONENT_HEADERS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((170, 100, 110, 130)):
            self.table.setColumnWidth(col, width)
        self.remove_button = QPushButton("Remove component", self)
        self.remove_button.setObjectName("DesignerRemove")
        self.remove_button.clicked.connect(self.remove_selected)

        # Predictions
        self.tg_label = QLabel(self)
        self.tg_label.setObjectName("DesignerTg")
        self.tg_label.setTextFormat(Qt.TextFormat.RichText)
        self.tg_label.setWordWrap(True)
        font = self.tg_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.tg_label.setFont(font)
        self.tg_prime_label = QLabel(self)
        self.tg_prime_label.setObjectName("DesignerTgPrime")
        self.tg_prime_label.setWordWrap(True)
        self.viscosity_label = QLabel(self)
        self.viscosity_label.setObjectName("DesignerViscosity")
        self.viability_label = QLabel(self)
        self.viability_label.setObjectName("DesignerViability")
        self.composition_label = QLabel(self)
        self.composition_label.setObjectName("DesignerComposition")
        self.composition_label.setWordWrap(True)
        self.notes_label = QLabel(self)
        self.notes_label.setObjectName("DesignerNotes")
        self.notes_label.setWordWrap(True)
        self.notes_label.setTextFormat(Qt.TextFormat.RichText)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("DesignerStatus")
        self.status_label.setWordWrap(True)
        predictions = QFrame(self)
        predictions.setFrameShape(QFrame.Shape.StyledPanel)
        form = QFormLayout(predictions)
        form.addRow("Tg (Gordon–Taylor):", self.tg_label)
        form.addRow("Tg′ (freeze-concentrated):", self.tg_prime_label)
        form.addRow("Viscosity:", self.viscosity_label)
        form.addRow("Viability:", self.viability_label)
        form.addRow("Composition:", self.composition_label)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 4, 0)
        left_layout.addLayout(top)
        left_layout.addLayout(name_row)
        left_layout.addWidget(_heading("<b>Add a component</b> (resolved in the background)", left))
        left_layout.addLayout(add_row)
        left_layout.addLayout(amount_row)
        left_layout.addWidget(self.resolve_label)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignLeft)
        left_layout.addWidget(_heading("<b>Predicted</b> (recomputed as you edit)", left))
        left_layout.addWidget(predictions)
        left_layout.addWidget(self.notes_label)
        left_layout.addWidget(self.status_label)

        self.plot = gridded_plot(self, "DesignerTgPlot", "total solute mass fraction", "solution Tg (K)")
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.graph_view = InteractionGraphView(self)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(4, 0, 0, 0)
        right_layout.addWidget(
            _heading("<b>Tg versus concentration</b> (at the draft's solute proportions)", right)
        )
        right_layout.addWidget(self.plot, 1)
        right_layout.addWidget(_heading("<b>Interaction graph</b>", right))
        right_layout.addWidget(self.graph_view, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([600, 500])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        style_plot(self.plot)

        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self._recompute)
        self.report_slot = TaskSlot("mixture design", parent=self)
        self.report_slot.finished.connect(self._on_report)
        self.report_slot.failed.connect(
            lambda e: self.status_label.setText(f"Could not compute the draft: {e}")
        )
        self.resolve_slot = TaskSlot("resolve component", parent=self)
        self.resolve_slot.finished.connect(self._on_resolved)
        self.resolve_slot.failed.connect(lambda e: self.resolve_label.setText(f"Could not resolve: {e}"))
        self.start_slot = TaskSlot("start mixture", parent=self)
        self.start_slot.finished.connect(self._on_start)
        self.start_slot.failed.connect(lambda e: self.status_label.setText(f"Could not start from it: {e}"))
        self.save_slot = TaskSlot("save mixture", parent=self)
        self.save_slot.finished.connect(self._on_saved)
        self.save_slot.failed.connect(self._on_save_failed)
        self._pending_role: ComponentRole = ComponentRole.PENETRATING
        self._pending_amount: float | None = None
        self._pending_unit = UNIT_CHOICES[0][1]
        self._on_draft_changed(self.holder.draft)

    # -- widgets -----------------------------------------------------------------------------------------
    def _stack_button(
        self, text: str, slot: Callable[[], None], enabled: Any, described: Any, now: bool
    ) -> QToolButton:
        # Driven by the stack's signals' own values: querying the stack from a slot can reach it while
        # it is being destroyed (its destructor clears it, which emits).
        button = QToolButton(self)
        button.setText(text)
        button.setEnabled(now)
        button.clicked.connect(slot)
        enabled.connect(button.setEnabled)
        described.connect(
            lambda what, b=button, t=text: b.setToolTip(f"{t} {what}" if what else f"Nothing to {t}")
        )
        return button

    def _setup_amount(self, spin: QDoubleSpinBox) -> None:
        spin.setRange(0.0, AMOUNT_MAX)
        spin.setDecimals(3)
        spin.setSpecialValueText("remainder")  # 0 = the component fills what the others leave (a carrier)
        spin.setKeyboardTracking(False)  # typing "12.5" is one change, not three
        spin.setMinimumWidth(90)

    def _unit_combo(self) -> QComboBox:
        combo = QComboBox(self)
        for label, stored in UNIT_CHOICES:
            combo.addItem(label, stored)
        return combo

    def _role_combo(self) -> QComboBox:
        combo = QComboBox(self)
        for role in ROLE_CHOICES:
            combo.addItem(role_label(role), role.value)
        return combo

    @property
    def draft(self) -> Mixture:
        return self.holder.draft

    def set_reference_names(self, names: Sequence[str]) -> None:
        current = self.start_combo.currentText()
        self.start_combo.blockSignals(True)
        self.start_combo.clear()
        self.start_combo.addItem(EMPTY_START)
        self.start_combo.addItems(list(names))
        index = self.start_combo.findText(current)
        self.start_combo.setCurrentIndex(max(index, 0))
        self.start_combo.blockSignals(False)

    def reset(self) -> None:
        for slot in (self.report_slot, self.resolve_slot, self.start_slot, self.save_slot):
            slot.discard()
        self.debounce.stop()
        self.holder.set_draft(empty_draft())
        self.report = None

    # -- user edits (each one a command) -------------------------------------------------------------------
    def start_from(self, reference: str | None) -> None:
        """Replace the draft by a copy of a stored mixture, or by an empty one (undoable)."""
        if not reference or reference == EMPTY_START:
            self.undo_stack.push(ReplaceDraftCommand(self.holder, empty_draft(), "Start an empty mixture"))
            return
        workbench = self._workbench

        def work(_p: ProgressFn, _c: threading.Event) -> Mixture:
            return draft_from(workbench(), reference)

        self.status_label.setText(f"Reading {reference}…")
        self.start_slot.start(work, f"start from {reference!r}")

    def _on_start(self, draft: Mixture) -> None:
        based_on = draft.status.rsplit("based on ", 1)[-1]
        index = self.start_combo.findText(based_on)
        if index >= 0:
            self.start_combo.setCurrentIndex(index)
        self.undo_stack.push(ReplaceDraftCommand(self.holder, draft, f"Start from {based_on}"))
        self.status_label.setText(f"Started from {based_on}.")

    def add_from_inputs(self) -> None:
        """Resolve the typed component in the background; it is added (a command) once resolved."""
        text = self.component_edit.text().strip()
        if not text:
            self.resolve_label.setText("Type a name, CAS number or SMILES first.")
            return
        amount = self.amount_spin.value()
        self._pending_amount = None if amount == self.amount_spin.minimum() else amount
        self._pending_unit = self.unit_combo.currentData()
        self._pending_role = ComponentRole(self.role_combo.currentData())
        if self._pending_role in (ComponentRole.CARRIER, ComponentRole.WATER):
            # Carriers (Euro-Collins, culture medium) are undefined materials: kept by name, no structure.
            self._add(
                MixtureComponent(
                    text,
                    self._pending_amount,
                    self._pending_unit if self._pending_amount is not None else None,
                    self._pending_role,
                )
            )
            self.resolve_label.setText(
                f"Added “{text}” as {role_label(self._pending_role)} (no structure needed)."
            )
            self.component_edit.clear()
            return
        workbench = self._workbench

        def work(_p: ProgressFn, _c: threading.Event) -> ResolvedComponent:
            return resolve_component(workbench(), text)

        self.resolve_label.setText(f"Resolving “{text}”…")
        self.resolve_slot.start(work, f"resolve {text!r}")

    def _on_resolved(self, result: ResolvedComponent) -> None:
        colour = "" if result.resolved else "color:#c92a2a"
        self.resolve_label.setText(f"<span style='{colour}'>{html.escape(result.message)}</span>")
        self.resolved.emit(result)
        if not result.resolved:
            return
        if any(c.inchikey == result.inchikey for c in self.draft.components):
            self.resolve_label.setText(
                f"{html.escape(result.name)} is in the mixture already; change its amount."
            )
            return
        unit = self._pending_unit if self._pending_amount is not None else None
        self._add(
            MixtureComponent(
                result.name,
                self._pending_amount,
                unit,
                self._pending_role,
                result.inchikey,
                None if result.in_project else "not in this project: no stored constants",
            )
        )
        self.component_edit.clear()

    def _add(self, component: MixtureComponent) -> None:
        self.undo_stack.push(AddComponentCommand(self.holder, component))

    def remove_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        row = rows[0].row() if rows else self.table.currentRow()
        if 0 <= row < len(self.draft.components):
            self.undo_stack.push(RemoveComponentCommand(self.holder, row))

    def edit_component(self, index: int, field: str, value: Any) -> None:
        """Change one field (amount, unit or role) of component ``index`` (what the table's editors call)."""
        current = getattr(self.draft.components[index], field)
        if field == "role":
            value = ComponentRole(value)
        if value == current:
            return
        self.undo_stack.push(EditComponentCommand(self.holder, index, field, value))

    def _rename_from_edit(self) -> None:
        name = self.name_edit.text().strip()
        if name and name != self.draft.name:
            self.undo_stack.push(
                ReplaceDraftCommand(self.holder, replace(self.draft, name=name), f"Rename to {name}")
            )

    def save(self, name: str | None = None) -> None:
        """Store the draft in the project (under ``name`` or the name field)."""
        name = (name or self.name_edit.text()).strip()
        draft = replace(self.draft, name=name)
        workbench = self._workbench
        self.status_label.setText(f"Saving “{name}”…")
        self.save_slot.start(lambda _p, _c: workbench().save_mixture(draft), f"save mixture {name!r}")

    def _on_saved(self, stored: Mixture) -> None:
        self.status_label.setText(
            f"Saved “{stored.name}” to the project ({len(stored.components)} components)."
        )
        self.saved.emit(stored.name)

    def _on_save_failed(self, error: str) -> None:
        reason = error.split(": ", 1)[-1] if error.startswith("MixtureDesignError") else error
        self.status_label.setText(f"<span style='color:#c92a2a'>{html.escape(reason)}</span>")
        self.save_failed.emit(reason)

    # -- showing the draft ---------------------------------------------------------------------------------
    def _on_draft_changed(self, draft: Mixture) -> None:
        if self.name_edit.text() != draft.name:
            self.name_edit.setText(draft.name)
        self._sync_table(draft)
        self.debounce.start()  # restart: one recomputation after the last edit of a burst

    def _sync_table(self, draft: Mixture) -> None:
        same_rows = self.table.rowCount() == len(draft.components) and all(
            self.table.item(r, 0) is not None and self.table.item(r, 0).text() == c.name
            for r, c in enumerate(draft.components)
        )
        if not same_rows:
            self.table.setRowCount(0)
            self.table.setRowCount(len(draft.components))
        for r, c in enumerate(draft.components):
            if not same_rows:
                self._make_row(r, c)
            self._fill_row(r, c)

    def _make_row(self, row: int, component: MixtureComponent) -> None:
        self.table.setItem(row, 0, QTableWidgetItem(component.name))
        spin = QDoubleSpinBox(self.table)
        self._setup_amount(spin)
        spin.valueChanged.connect(lambda v, s=spin: self._amount_edited(s, v))
        self.table.setCellWidget(row, 1, spin)
        unit = self._unit_combo()
        unit.currentIndexChanged.connect(lambda _i, w=unit: self._combo_edited(w, 2, "unit"))
        self.table.setCellWidget(row, 2, unit)
        role = self._role_combo()
        role.currentIndexChanged.connect(lambda _i, w=role: self._combo_edited(w, 3, "role"))
        self.table.setCellWidget(row, 3, role)
        self.table.setItem(row, 4, QTableWidgetItem())

    def _row_of(self, widget: QWidget, column: int) -> int:
        for r in range(self.table.rowCount()):
            if self.table.cellWidget(r, column) is widget:
                return r
        return -1

    def _amount_edited(self, spin: QDoubleSpinBox, value: float) -> None:
        row = self._row_of(spin, 1)
        if row >= 0:
            self.edit_component(row, "amount", None if value == spin.minimum() else value)

    def _combo_edited(self, combo: QComboBox, column: int, field: str) -> None:
        row = self._row_of(combo, column)
        if row >= 0:
            self.edit_component(row, field, combo.currentData())

    def _fill_row(self, row: int, c: MixtureComponent) -> None:
        spin = self.table.cellWidget(row, 1)
        unit = self.table.cellWidget(row, 2)
        role = self.table.cellWidget(row, 3)
        for widget in (spin, unit, role):
            widget.blockSignals(True)
        spin.setValue(spin.minimum() if c.amount is None else c.amount)
        index = unit.findData(c.unit)
        if index < 0 and c.unit:  # a published unit outside the selector (mM, mg/mL): shown as it is
            unit.addItem(c.unit, c.unit)
            index = unit.count() - 1
        unit.setCurrentIndex(max(index, 0))
        unit.setEnabled(c.amount is not None)
        role.setCurrentIndex(max(role.findData(c.role.value), 0))
        for widget in (spin, unit, role):
            widget.blockSignals(False)
        if c.inchikey is None:
            shown, tip = (
                "no structure",
                "An undefined material (carrier, medium, polymer blend): kept by name.",
            )
        elif c.note:
            shown, tip = "⚠ not in project", f"{c.inchikey}: {c.note}"
        else:
            shown, tip = "✔ in project", f"{c.inchikey}: molar mass, density and Tg from the project's values"
        item = self.table.item(row, 4)
        item.setText(shown)
        item.setToolTip(tip)

    def _recompute(self) -> None:
        draft, workbench = self.draft, self._workbench
        self.recomputations += 1

        def work(_p: ProgressFn, _c: threading.Event) -> DesignReport:
            return design_report(workbench(), draft)

        if not self.status_label.text():  # a save or start message stays until it is replaced
            self.status_label.setText(COMPUTING)
        self.report_slot.start(work, f"design {draft.name!r}")

    def _on_report(self, report: DesignReport) -> None:
        if report.mixture != self.draft:  # an edit landed meanwhile; its own computation follows
            return
        self.report = report
        r = report.report
        tg = r.tg
        if tg is not None:
            self.tg_label.setText(
                f"<b>{tg.tg_K:.1f} ± {tg.sigma_K:.1f} K</b> ({tg.tg_K - 273.15:.1f} °C; 95 % "
                f"{tg.lower95_K:.1f}–{tg.upper95_K:.1f} K) at solute mass fraction {r.solute_fraction:.3f}"
            )
        elif not report.mixture.components:
            self.tg_label.setText("add components")
        else:
            self.tg_label.setText("<span style='color:#c92a2a'>no estimate</span> (see the notes below)")
        shown = ((self.tg_prime_label, "tg_prime"), (self.viscosity_label, "viscosity"), (self.viability_label, "viability"))
        for label, quantity in shown:
            p = report.prediction(quantity)
            label.setText(p.text if p is not None else "no model yet")
            label.setToolTip(p.note if p is not None else "")
        b = r.breakdown
        if b is None:
            self.composition_label.setText("—")
        else:
            molarity = b.total_solute_molarity()
            self.composition_label.setText(
                f"total solutes {b.total_solute_percent_wv():.1f} % w/v"
                + (f", {molarity:.2f} mol/L" if molarity else "")
                + (f"; solution density {b.density_g_per_mL:.3f} g/mL" if b.density_g_per_mL else "")
                + (" (partial: see notes)" if b.partial else "")
            )
        notes = [*r.composition_problems, *r.tg_problems]
        if report.prediction_note:
            notes.append(report.prediction_note)
        self.notes_label.setText(
            "<ul style='margin:0'>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>"
            if notes
            else ""
        )
        plot_tg_curve(self.plot, r, report.mixture.name)
        self.graph_view.show_graph(report.graph)
        if self.status_label.text() == COMPUTING:
            self.status_label.setText("")
        self.report_shown.emit(report)

    def apply_theme(self) -> None:
        style_plot(self.plot)
        if self.report is not None:
            plot_tg_curve(self.plot, self.report.report, self.report.mixture.name)
            self.graph_view.show_graph(self.report.graph)
