"""The detail panel's Evidence and Lineage tabs, driven like a user on real imported evidence.

The project holds the BC5CDR abstracts (real PubMed text) that match ``kg``, imported through the
replay server by the real job, and a small model of the reported doses trained with evidence
features (see :mod:`tests.engine.evidence_project`). PubMed pages are "opened" through Qt's own
URL-handler hook (QDesktopServices.setUrlHandler), so no browser starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from cryodesk.engine.service import Workbench
from cryodesk.gui.evidence_panel import OUTSIDE_COLOUR, sentences_html
from cryodesk.gui.lineage_panel import CONFLICT_COLOUR
from cryodesk.gui.main_window import MainWindow
from tests.engine import evidence_project
from tests.engine.evidence_project import MODEL, copy_project

from .helpers import save_screenshot

TIMEOUT = 60_000
EVIDENCE_TAB, LINEAGE_TAB = 3, 4


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("gui_evidence") / "evidence.cryodesk"
    return path, evidence_project.build(path, train=True)


class UrlRecorder(QObject):
    """Receives what QDesktopServices.openUrl would hand to the browser."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def record(self, url: QUrl) -> None:
        self.urls.append(url.toString())


@pytest.fixture
def opened_urls() -> Iterator[UrlRecorder]:
    recorder = UrlRecorder()
    QDesktopServices.setUrlHandler("https", recorder, "record")
    yield recorder
    QDesktopServices.unsetUrlHandler("https")


@pytest.fixture
def window(qtbot, open_window, built: tuple[Path, dict[str, str]], tmp_path: Path) -> MainWindow:
    return open_window(Workbench.open(copy_project(built[0], tmp_path)))


def _show(qtbot, window: MainWindow, name: str) -> None:
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT):
        window.search_box.setText(name)
    names = [window.model.index(r, 1).data() for r in range(window.model.rowCount())]
    row = [n.casefold() if n else "" for n in names].index(name)
    with qtbot.waitSignal(window.detail.shown, timeout=TIMEOUT):
        window.table.selectRow(row)


def _open_tab(qtbot, window: MainWindow, index: int, signal) -> None:
    tabs = window.detail.tabs
    with qtbot.waitSignal(signal, timeout=TIMEOUT):
        qtbot.mouseClick(tabs.tabBar(), Qt.MouseButton.LeftButton, pos=tabs.tabBar().tabRect(index).center())
    assert tabs.currentIndex() == index


def test_evidence_tab_shows_papers_sentences_agreement_and_opens_pubmed(
    qtbot, window: MainWindow, built: tuple[Path, dict[str, str]], opened_urls: UrlRecorder
) -> None:
    keys = built[1]
    _show(qtbot, window, "lidocaine")
    panel = window.detail.evidence_panel
    _open_tab(qtbot, window, EVIDENCE_TAB, panel.loaded)
    view = panel.view
    assert view is not None and view.inchikey == keys["lidocaine"]

    summary = window.wb.evidence_summary(keys["lidocaine"])
    assert f"{summary.n_papers} papers" in panel.summary_label.text()
    assert "Model features:" in panel.summary_label.text() and "mol/L" in panel.summary_label.text()
    reported = [panel.reported_table.item(r, 1).text() for r in range(panel.reported_table.rowCount())]
    assert sorted(reported) == sorted(s.unit for s in (*summary.concentrations, *summary.outcomes))

    # Sentences: one link per paper, the mention highlighted, confidence and basis under each.
    text = panel.sentences.toPlainText()
    papers = {i.pmid for i in view.items}
    assert all(f"PMID {p}" in text for p in papers)
    assert "confidence " in text and "basis:" in text
    page = panel.sentences.toHtml()
    assert "background-color:#ffe066" in page.replace(" ", "")
    mention = next(i for i in view.items if i.kind == "mention")
    assert mention.span_text in text

    # Agreement: the literature doses against the dose model's interval; % w/v is not comparable.
    [agreement] = view.agreements
    assert agreement.model.startswith(MODEL)
    table = panel.agreement_table
    assert table.rowCount() == len(agreement.rows) and panel.agreement_label.isVisible()
    for row, result in enumerate(agreement.rows):
        verdict = table.item(row, 5).text()
        assert verdict == {True: "inside", False: "OUTSIDE"}.get(result.inside, result.note or "no interval")
        if result.inside is False:
            assert table.item(row, 5).foreground().color() == OUTSIDE_COLOUR
    outside = sum(1 for r in agreement.rows if r.inside is False)
    assert panel.conflicts_label.isVisible() == bool(outside or view.conflicts)
    assert panel.conflicts_label.text().count("⚠") == len(view.conflicts)

    # A click on a PMID link opens its PubMed page.
    pmid = sorted(papers)[0]
    cursor = panel.sentences.document().find(f"PMID {pmid}")
    assert not cursor.isNull()
    rect = panel.sentences.cursorRect(cursor)  # the caret after the found text: click just before it
    pos = rect.center()
    pos.setX(rect.left() - 3)
    with qtbot.waitSignal(panel.link_opened, timeout=TIMEOUT):
        qtbot.mouseClick(panel.sentences.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert opened_urls.urls == [f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"]

    label = panel.conflicts_label
    qtbot.waitUntil(lambda: label.height() >= label.heightForWidth(label.width()), timeout=TIMEOUT)
    save_screenshot(window, qtbot, "detail_evidence_tab.png")


def test_lineage_tab_traces_a_literature_value_and_a_prediction(
    qtbot, window: MainWindow, built: tuple[Path, dict[str, str]]
) -> None:
    _show(qtbot, window, "haloperidol")
    panel = window.detail.lineage_panel
    _open_tab(qtbot, window, LINEAGE_TAB, panel.choices_loaded)
    kinds = [c.kind for c in panel.choices]
    assert "value" in kinds and "prediction" in kinds
    assert panel.list.count() == len(panel.choices)
    for row, choice in enumerate(panel.choices):  # conflicts are red in the list
        colour = panel.list.item(row).foreground().color()
        assert (colour == CONFLICT_COLOUR) is choice.conflict

    # A literature value: PubMed record -> import job -> standardisation -> reconciliation.
    with qtbot.waitSignal(panel.lineage_shown, timeout=TIMEOUT):
        row = panel.select(lambda c: c.kind == "value" and "literature" in c.label)
    assert row >= 0
    lineage = panel.lineage
    assert [s.stage for s in lineage.steps] == [
        "source_record",
        "import_job",
        "standardisation",
        "reconciliation",
    ]
    assert lineage.steps[0].title.startswith("pubmed PMID ")
    assert lineage.steps[1].details["kind"] == "import_pubmed"
    tree = panel.tree
    assert tree.topLevelItemCount() == 4 and tree.topLevelItem(0).text(0).startswith(
        "1. source record: pubmed PMID "
    )
    assert tree.topLevelItem(0).isFirstColumnSpanned() and tree.topLevelItem(0).childCount() > 3
    assert "source record → import job → standardisation → reconciliation" in panel.chain_label.text()
    conflict = bool(lineage.steps[3].details.get("conflict"))
    assert ("CONFLICT" in tree.topLevelItem(3).text(0)) is conflict
    if conflict:
        assert tree.topLevelItem(3).foreground(0).color() == CONFLICT_COLOUR

    # The model's prediction: ... -> feature set (with the evidence block) -> model version -> prediction.
    with qtbot.waitSignal(panel.lineage_shown, timeout=TIMEOUT):
        panel.select(lambda c: c.kind == "prediction" and c.label.startswith(f"prediction: {MODEL} "))
    stages = [s.stage for s in panel.lineage.steps]
    assert stages[-3:] == ["feature_set", "model", "prediction"] and "standardisation" in stages
    feature = panel.lineage.step("feature_set")
    assert feature is not None and feature.details["feature_set"] == "cryo+evidence"
    assert "feature set → model version → prediction" in panel.chain_label.text()
    save_screenshot(window, qtbot, "detail_lineage_tab.png")


def test_a_compound_without_evidence_says_so(qtbot, window: MainWindow) -> None:
    _show(qtbot, window, "glycerol")
    panel = window.detail.evidence_panel
    _open_tab(qtbot, window, EVIDENCE_TAB, panel.loaded)
    assert "No literature evidence for glycerol" in panel.summary_label.text()
    assert not panel.agreement_table.isVisible() and not panel.reported_table.isVisible()


def test_sentence_highlighting_escapes_text_and_marks_each_span() -> None:
    from cryodesk.store.literature import EvidenceItem

    def item(kind: str, start: int, end: int, text: str) -> EvidenceItem:
        sentence = "Cells in 10% <v/v> DMSO had 85% viability."
        return EvidenceItem(
            "1",
            "T",
            2020,
            None,
            None,
            None,
            kind,
            text,
            start + 100,
            end + 100,
            None,
            None,
            None,
            None,
            0.8,
            ("exact",),
            "DMSO",
            "dimethyl sulfoxide",
            "exact",
            sentence,
            100,
            100 + len(sentence),
            {},
            None,
        )

    page = sentences_html(
        [
            item("mention", 19, 23, "DMSO"),
            item("concentration", 9, 18, "10% <v/v>"),
            item("outcome", 28, 41, "85% viability"),
        ]
    )
    assert "&lt;v/v&gt;" in page and "<v/v>" not in page
    assert page.count("<span style='background-color") == 3
    assert "https://pubmed.ncbi.nlm.nih.gov/1/" in page and "basis: exact" in page
