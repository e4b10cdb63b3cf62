"""The detail panel's Evidence tab: what imported PubMed abstracts say about the compound.

Shows the evidence summary (papers, years, reported concentrations and outcomes), the evidence
feature values a model can use, the agreement of literature values with each model that predicts
their property (inside / outside the prediction interval), conflicts in red, and every sentence
with the compound's mention highlighted, its confidence and the basis of that confidence. PMIDs
are links: a click opens the paper's PubMed page in the user's browser (QDesktopServices).

Everything is read by one engine call (:meth:`Workbench.evidence_view`) on the thread pool.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from cryodesk.gui.tables import read_only_table
from cryodesk.gui.worker import TaskSlot

if TYPE_CHECKING:
    from cryodesk.engine.evidence_agreement import Agreement
    from cryodesk.engine.evidence_views import EvidenceView
    from cryodesk.engine.service import Workbench
    from cryodesk.store.literature import EvidenceItem

PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
REPORTED_HEADERS = ("Reported", "Unit", "Median", "Range", "Values", "Papers")
AGREEMENT_HEADERS = ("Model", "PMID", "Literature", "In model unit", "Predicted (interval)", "Verdict")
#: Highlight colours of the spans in a sentence (dark text on them, so both themes read well).
SPAN_STYLE = {
    "mention": "background-color:#ffe066;color:#000;font-weight:bold",
    "concentration": "background-color:#b3d9ff;color:#000",
    "outcome": "background-color:#b8e6b8;color:#000",
}
OUTSIDE_COLOUR = QColor("#c62828")
INSIDE_COLOUR = QColor("#2e7d32")
PMID_ROLE = Qt.ItemDataRole.UserRole + 2

WorkbenchProvider = Callable[[], "Workbench | None"]


def pubmed_url(pmid: str) -> QUrl:
    return QUrl(PUBMED_URL.format(pmid=pmid))


class EvidencePanel(QWidget):
    """The Evidence tab. :meth:`load` a compound; :attr:`loaded` fires when its data is drawn."""

    loaded = Signal(str)  # InChIKey
    link_opened = Signal(str)  # the URL handed to the desktop

    def __init__(self, workbench: WorkbenchProvider, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("EvidencePanel")
        self._workbench = workbench
        self.inchikey: str | None = None
        self.view: EvidenceView | None = None
        self.slot = TaskSlot("evidence", parent=self)
        self.slot.finished.connect(self._show)
        self.slot.failed.connect(lambda e: self._message(f"Could not read the evidence: {e}"))

        self.summary_label = _label(self, "EvidenceSummary")
        self.conflicts_label = _label(self, "EvidenceConflicts")
        self.conflicts_label.setStyleSheet("color:#c62828")
        self.reported_table = read_only_table(REPORTED_HEADERS, self, row_padding=6)
        self.agreement_label = _label(self, "AgreementLabel")
        self.agreement_table = read_only_table(AGREEMENT_HEADERS, self, row_padding=6)
        self.agreement_table.cellDoubleClicked.connect(self._open_row_pmid)
        self.sentences = QTextBrowser(self)
        self.sentences.setObjectName("EvidenceSentences")
        self.sentences.setOpenLinks(False)  # we open PubMed ourselves (and tests can watch it)
        self.sentences.anchorClicked.connect(self.open_link)

        # Summary, conflicts and tables scroll together above the sentences; the user drags the split.
        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.setSpacing(4)
        for widget in (
            self.summary_label,
            self.conflicts_label,
            self.reported_table,
            self.agreement_label,
            self.agreement_table,
        ):
            top_layout.addWidget(widget)
        top_layout.addStretch(1)
        self.top_area = QScrollArea(self)
        self.top_area.setWidgetResizable(True)
        self.top_area.setFrameShape(QFrame.Shape.NoFrame)
        self.top_area.setWidget(top)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.top_area)
        splitter.addWidget(self.sentences)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 4, 2, 2)
        layout.addWidget(splitter, 1)
        self._message("Select a compound to see what the imported literature says about it.")

    # -- loading ---------------------------------------------------------------------------------
    def load(self, inchikey: str) -> None:
        """Read the evidence of ``inchikey`` in the background (a new load supersedes the running one)."""
        wb = self._workbench()
        if wb is None:
            self._message("No project is open.")
            return
        self.inchikey = inchikey
        self._message("Reading the literature evidence…")
        self.slot.start(lambda _p, _c: wb.evidence_view(inchikey), f"evidence {inchikey}")

    def clear(self) -> None:
        self.slot.discard()
        self.inchikey = None
        self.view = None
        self._message("")

    def _message(self, text: str) -> None:
        self.summary_label.setText(text)
        for widget in (self.conflicts_label, self.reported_table, self.agreement_label, self.agreement_table):
            widget.hide()
        self.sentences.clear()

    # -- drawing ---------------------------------------------------------------------------------
    def _show(self, view: EvidenceView | None) -> None:
        if view is None:
            self._message("This compound is no longer in the project.")
            return
        self.view = view
        summary = view.summary
        if summary is None or summary.is_empty:
            self._message(
                f"No literature evidence for {html.escape(view.name or view.inchikey)}. "
                "Import abstracts with File → Import from PubMed or <code>cryodesk import pubmed --query …</code>."
            )
            self.loaded.emit(view.inchikey)
            return
        years = f", {summary.first_year}–{summary.last_year}" if summary.first_year else ""
        self.summary_label.setText(
            f"<b>{summary.n_papers} papers</b>, {summary.n_mentions} mentions{years}<br>"
            f"<span style='color:gray'>Model features: {html.escape(_features_text(view.features))}</span>"
        )
        self._fill_reported(summary)
        self._fill_agreement(view.agreements)
        problems = [*view.conflicts, *view.errors]
        self.conflicts_label.setVisible(bool(problems))
        self.conflicts_label.setText("<br>".join(f"⚠ {html.escape(p)}" for p in problems))
        self.sentences.setHtml(sentences_html(view.items))
        # The wrapped labels changed height: lay the scrolled part out now, not on a later event.
        self.top_area.widget().layout().activate()
        self.top_area.widget().adjustSize()
        self.loaded.emit(view.inchikey)

    def _fill_reported(self, summary: object) -> None:
        stats = [*getattr(summary, "concentrations", ()), *getattr(summary, "outcomes", ())]
        rows = []
        for s in stats:
            spread = f"{s.minimum:g}–{s.maximum:g}" if s.minimum != s.maximum else f"{s.minimum:g}"
            label = "concentration" if s.label == "concentration" else s.label
            rows.append([label, s.unit or "", f"{s.median:g}", spread, str(s.n), str(s.n_papers)])
        _fill(self.reported_table, rows)
        self.reported_table.setVisible(bool(rows))
        _fit_height(self.reported_table, 5)

    def _fill_agreement(self, agreements: Sequence[Agreement]) -> None:
        rows, colours, pmids = [], [], []
        notes = []
        for a in agreements:
            notes.append(_agreement_headline(a))
            for r in a.rows:
                compared = "—" if r.compared is None else f"{r.compared:.4g} {a.unit or ''}".strip()
                predicted = "—" if a.predicted is None else f"{a.predicted:.4g}"
                if a.lower is not None and a.upper is not None:
                    predicted += f" [{a.lower:.4g}, {a.upper:.4g}]"
                verdict = {True: "inside", False: "OUTSIDE", None: r.note or "no interval"}[r.inside]
                rows.append(
                    [
                        a.model,
                        r.pmid or "",
                        f"{r.reported:g} {r.reported_unit or ''}".strip(),
                        compared,
                        predicted,
                        verdict,
                    ]
                )
                colours.append({True: INSIDE_COLOUR, False: OUTSIDE_COLOUR, None: None}[r.inside])
                pmids.append(r.pmid)
        _fill(self.agreement_table, rows)
        for row, (colour, pmid) in enumerate(zip(colours, pmids, strict=True)):
            self.agreement_table.item(row, 1).setData(PMID_ROLE, pmid)
            if colour is not None:
                self.agreement_table.item(row, 5).setForeground(colour)
        shown = bool(agreements)
        self.agreement_label.setVisible(shown)
        self.agreement_table.setVisible(bool(rows))
        self.agreement_label.setText(
            "<b>Agreement with predictions</b><br>" + "<br>".join(notes) if shown else ""
        )
        _fit_height(self.agreement_table, 5)

    # -- links -----------------------------------------------------------------------------------
    def open_link(self, url: QUrl) -> None:
        """Open a PubMed page in the user's browser."""
        QDesktopServices.openUrl(url)
        self.link_opened.emit(url.toString())

    def open_pmid(self, pmid: str) -> None:
        self.open_link(pubmed_url(pmid))

    def _open_row_pmid(self, row: int, _column: int) -> None:
        pmid = self.agreement_table.item(row, 1).data(PMID_ROLE)
        if pmid:
            self.open_pmid(str(pmid))


# -- pure helpers (tested without a window) ------------------------------------------------------------
def _features_text(features: dict[str, float]) -> str:
    if not features:
        return "none"
    parts = [
        f"{int(features.get('evidence_n_papers', 0))} papers",
        f"{int(features.get('evidence_n_records', 0))} records",
    ]
    labels = {  # key -> (name, format of its value); a missing value reads "name: none"
        "evidence_max_conc_mol_l": ("max concentration", "{:.3g} mol/L"),
        "evidence_median_conc_mol_l": ("median", "{:.3g} mol/L"),
        "evidence_best_viability": ("best viability", "{:.3g} %"),
        "evidence_mean_confidence": ("mean confidence", "{:.2f}"),
    }
    for key, (name, fmt) in labels.items():
        value = features.get(key)
        shown = fmt.format(value) if value is not None and math.isfinite(value) else "none"
        parts.append(f"{name} {shown}")
    return ", ".join(parts)


def _agreement_headline(a: Agreement) -> str:
    if a.predicted is None:
        return html.escape(f"{a.model}: no prediction")
    interval = ""
    if a.lower is not None and a.upper is not None:
        level = f"{a.level:.0%} " if a.level else ""
        interval = f", {level}interval {a.lower:.4g} .. {a.upper:.4g}"
    verdict = {"agrees": INSIDE_COLOUR.name(), "disagrees": OUTSIDE_COLOUR.name()}.get(a.verdict, "#b26a00")
    text = html.escape(f"{a.model} predicts {a.target} = {a.predicted:.4g} {a.unit or ''}{interval}: ")
    counts = html.escape(
        f" ({a.n_inside} inside, {a.n_outside} outside, {a.n_not_comparable} not comparable)"
    )
    notes = "".join(f"<br><span style='color:gray'>{html.escape(n)}</span>" for n in a.notes)
    return f"{text}<b style='color:{verdict}'>{html.escape(a.verdict)}</b>{counts}{notes}"


def sentences_html(items: Sequence[EvidenceItem]) -> str:
    """Every sentence of the evidence, grouped by paper, with the mention and quantities highlighted."""
    papers: dict[str, list[EvidenceItem]] = {}
    for item in items:
        papers.setdefault(item.pmid, []).append(item)
    parts = []
    for pmid, rows in papers.items():
        first = rows[0]
        year = f" ({first.year})" if first.year else ""
        link = f"<a href='{PUBMED_URL.format(pmid=pmid)}'>PMID {html.escape(pmid)}</a>"
        parts.append(f"<p style='margin-top:8px'>{link}{year} <i>{html.escape(first.title or '')}</i></p>")
        sentences: dict[tuple[int, int], list[EvidenceItem]] = {}
        for r in rows:
            if r.sentence and r.sentence_start is not None and r.sentence_end is not None:
                sentences.setdefault((r.sentence_start, r.sentence_end), []).append(r)
        for (start, _end), in_sentence in sorted(sentences.items()):
            parts.append(_sentence_html(start, in_sentence))
    return "".join(parts) or "<p>No sentences.</p>"


def _sentence_html(start: int, items: Sequence[EvidenceItem]) -> str:
    sentence = items[0].sentence or ""
    spans = sorted(
        {
            (i.span_start - start, i.span_end - start, i.kind)
            for i in items
            if i.span_start is not None
            and i.span_end is not None
            and 0 <= i.span_start - start < len(sentence)
        },
        key=lambda s: (s[0], -s[1]),
    )
    out, cursor = [], 0
    for lo, hi, kind in spans:
        if lo < cursor:  # overlapping spans (one compound named twice by two rows): keep the first
            continue
        out.append(html.escape(sentence[cursor:lo]))
        out.append(f"<span style='{SPAN_STYLE.get(kind, '')}'>{html.escape(sentence[lo:hi])}</span>")
        cursor = hi
    out.append(html.escape(sentence[cursor:]))
    mentions = [i for i in items if i.kind == "mention"] or list(items)
    best = max(mentions, key=lambda i: i.confidence or 0.0)
    confidence = f"confidence {best.confidence:.2f}" if best.confidence is not None else "no confidence"
    basis = ", ".join(best.confidence_basis)
    how = (
        f" · {html.escape(best.match_kind)} match of “{html.escape(best.mention or '')}”"
        if best.match_kind
        else ""
    )
    return (
        f"<p style='margin-left:10px'>{''.join(out)}<br>"
        f"<span style='color:gray;font-size:small'>{confidence}{how} · basis: {html.escape(basis)}</span></p>"
    )


def _label(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label




def _fill(table: QTableWidget, rows: Sequence[Sequence[str]]) -> None:
    table.clearContents()
    table.setRowCount(len(rows))
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()


def _fit_height(table: QTableWidget, max_rows: int) -> None:
    # Short tables take only the room of their rows, so the sentences keep most of the tab.
    rows = min(table.rowCount(), max_rows)
    scrollbar = table.style().pixelMetric(table.style().PixelMetric.PM_ScrollBarExtent)
    header = table.horizontalHeader().sizeHint().height()
    table.setFixedHeight(header + rows * table.verticalHeader().defaultSectionSize() + scrollbar + 6)
