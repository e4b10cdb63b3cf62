"""The mixtures view on the default library's reference mixtures: recipe as published, status, per-litre
breakdown, missing constants named (never guessed), and the Gordon–Taylor Tg estimate with its curve."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from cryodesk.engine.service import Workbench
from cryodesk.engine.views import MixtureReport
from cryodesk.gui.main_window import MIXTURES_TAB, MainWindow

from .helpers import save_screenshot

TIMEOUT = 30_000


def _show(qtbot, window: MainWindow, name: str) -> MixtureReport:
    view = window.mixtures
    with qtbot.waitSignal(view.report_shown, timeout=TIMEOUT) as blocker:
        assert view.select(name), name
    report = blocker.args[0]
    assert report.mixture.name == name
    return report


def _texts(table, column: int) -> list[str]:
    return [table.item(r, column).text() for r in range(table.rowCount())]


def test_vs55_breakdown_and_tg_estimate(qtbot, open_window, seeded_project: Path) -> None:
    window = open_window(Workbench.open(seeded_project))
    view = window.mixtures
    qtbot.waitUntil(lambda: view.list.count() > 20, timeout=TIMEOUT)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # View ▸ Mixtures
    assert window.tabs.currentIndex() == MIXTURES_TAB
    assert "⚠" in view.list_caption.text()

    report = _show(qtbot, window, "VS55")
    # As published: 3.1 M DMSO, 3.1 M formamide, 2.2 M 1,2-propanediol in Euro-Collins.
    assert _texts(view.components, 0) == ["DMSO", "formamide", "1,2-propanediol", "Euro-Collins"]
    assert _texts(view.components, 1)[:3] == ["3.1", "3.1", "2.2"]
    assert _texts(view.components, 2)[:3] == ["M", "M", "M"]
    assert _texts(view.components, 3) == ["penetrating", "penetrating", "penetrating", "carrier"]
    assert view.components.item(0, 4).text() == "78.14 g/mol · store"
    assert "store: molecular weight" in view.components.item(0, 4).toolTip()
    assert view.status_label.text().startswith("Status: partly checked")

    # Per litre: 3.1 mol/L x 78.13 g/mol of DMSO = 242 g/L; water is the remainder.
    b = report.breakdown
    assert b is not None and not b.partial
    assert abs(b.row("DMSO").mass_g - 3.1 * 78.13) < 0.5
    assert _texts(view.breakdown, 0)[-1] == "water (remainder)"
    assert view.breakdown.item(0, 2).text() == "3.1"  # mol/L, as published
    assert (
        "Solution density" in view.density_label.text()
        and "ideal volume additivity" in view.density_label.text()
    )
    assert view.problems_label.isHidden()

    # Gordon–Taylor with stored pure Tg (DMSO has none: its melting point's 2/3 rule, stated).
    tg = report.tg
    assert tg is not None and 140 < tg.tg_K < 175 and 1 < tg.sigma_K < 20
    assert tg.lower95_K < tg.tg_K < tg.upper95_K
    assert (
        "Estimated solution Tg" in view.tg_label.text()
        and f"{tg.tg_K:.1f} ± {tg.sigma_K:.1f} K" in view.tg_label.text()
    )
    assert "estimated_from_tm" in view.tg_notes.text() and "Simha" in view.tg_notes.text()
    assert "estimated_from_tm" in view.components.item(0, 6).text()
    assert report.curve is not None and view.plot.isVisible()
    assert len(report.curve.tg_K) > 10
    save_screenshot(window, qtbot, "mixtures_vs55.png")


def test_missing_densities_are_named_not_guessed(qtbot, open_window, seeded_project: Path) -> None:
    window = open_window(Workbench.open(seeded_project))
    window.tabs.setCurrentIndex(MIXTURES_TAB)
    view = window.mixtures
    qtbot.waitUntil(lambda: view.list.count() > 20, timeout=TIMEOUT)
    report = _show(qtbot, window, "M22")
    assert view.status_label.text().startswith("Status: literature (recalled)")
    assert "not checked" in view.status_label.text()
    b = report.breakdown
    assert b is not None and b.partial  # the % w/v solutes still have g/L, the water remainder does not
    assert view.breakdown.item(0, 1).text() == "223.1"  # 22.305 % w/v DMSO = 223.05 g/L
    assert view.breakdown.item(0, 4).text() == "—" and "Not computed" in view.breakdown.item(0, 4).toolTip()
    problems = view.problems_label.text()
    assert not view.problems_label.isHidden()
    for name in ("PVP K12", "3-methoxy-1,2-propanediol"):
        assert f"density of the neat component (g/mL) of &#x27;{name}&#x27;" in problems or name in problems
    assert "does not guess" in problems
    assert report.tg is None and "No Tg estimate" in view.tg_label.text()
    assert not view.plot.isVisible()
    save_screenshot(window, qtbot, "mixtures_m22_missing.png")

    report = _show(qtbot, window, "Cryotop VS (Kuwayama)")
    assert view.status_label.text().startswith("Status: confirmed")
    assert report.tg is not None


# -- the designer ----------------------------------------------------------------------------------------

GLYCEROL = "PEDCQBHIVMGVHV-UHFFFAOYSA-N"


def _designer_report(qtbot, designer, action) -> object:
    with qtbot.waitSignal(designer.report_shown, timeout=TIMEOUT) as blocker:
        action()
    return blocker.args[0]


def _add(qtbot, designer, text: str, amount: float, unit: str, role: str = "penetrating"):
    designer.component_edit.setText(text)
    designer.amount_spin.setValue(amount)
    designer.unit_combo.setCurrentIndex(designer.unit_combo.findText(unit))
    designer.role_combo.setCurrentIndex(designer.role_combo.findText(role))
    with qtbot.waitSignal(designer.resolved, timeout=TIMEOUT) as resolved:
        qtbot.mouseClick(designer.add_button, Qt.MouseButton.LeftButton)
    return resolved.args[0]


def _settled(qtbot, designer):
    """The report of the draft as it is now (every edit computed)."""
    qtbot.waitUntil(
        lambda: (
            designer.report is not None
            and designer.report.mixture == designer.draft
            and not designer.debounce.isActive()
            and not designer.report_slot.running
        ),
        timeout=TIMEOUT,
    )
    return designer.report


def _components(designer) -> list[tuple[str, float | None, str | None, str]]:
    return [(c.name, c.amount, c.unit, c.role.value) for c in designer.draft.components]


def test_designer_starts_from_vs55_adds_edits_and_undoes(qtbot, open_window, seeded_project: Path) -> None:
    from cryodesk.gui.mixtures_view import DESIGNER_TAB

    window = open_window(Workbench.open(seeded_project))
    window.tabs.setCurrentIndex(MIXTURES_TAB)
    view = window.mixtures
    designer = view.designer
    qtbot.waitUntil(lambda: view.list.count() > 20, timeout=TIMEOUT)
    _show(qtbot, window, "VS55")
    start = _designer_report(
        qtbot, designer, lambda: qtbot.mouseClick(view.design_button, Qt.MouseButton.LeftButton)
    )
    assert view.pages.currentIndex() == DESIGNER_TAB
    assert [c[0] for c in _components(designer)] == ["DMSO", "formamide", "1,2-propanediol", "Euro-Collins"]
    assert designer.name_edit.text() == "VS55 (modified)" and "based on VS55" in designer.draft.status
    assert designer.table.rowCount() == 4 and designer.table.cellWidget(0, 2).currentText() == "mol/L"
    tg0 = start.report.tg
    assert tg0 is not None and 140 < tg0.tg_K < 175  # the same Gordon–Taylor numbers as the recipe page
    assert f"{tg0.tg_K:.1f} ± {tg0.sigma_K:.1f} K" in designer.tg_label.text()
    # Interaction graph: the three solutes (the carrier is not a node); no pair data is invented.
    assert [n.name for n in start.graph.nodes] == ["DMSO", "formamide", "1,2-propanediol"]
    assert len(start.graph.edges) == 3 and len(designer.graph_view.edge_items) == 3
    if not any(e.evidence for e in start.graph.edges):
        assert "unexplored" in designer.graph_view.caption.text()
    if not hasattr(Workbench, "predict_mixture"):
        assert designer.viscosity_label.text() == "no model yet" == designer.viability_label.text()

    # Add glycerol by name (resolved in the background): 10 % w/v, penetrating. A good glass former raises Tg.
    found = _add(qtbot, designer, "glycerol", 10.0, "% w/v")
    assert found.inchikey == GLYCEROL and found.in_project
    added = _settled(qtbot, designer)
    assert _components(designer)[-1] == ("Glycerol", 10.0, "% w/v", "penetrating")
    assert designer.draft.components[-1].inchikey == GLYCEROL
    assert added.report.tg.tg_K > tg0.tg_K and len(added.graph.edges) == 6

    # Change the amount in the table (a burst of edits = one recomputation) and the role.
    before = designer.recomputations
    spin = designer.table.cellWidget(4, 1)
    with qtbot.waitSignal(designer.report_shown, timeout=TIMEOUT) as blocker:
        for value in (11.0, 12.0, 13.0, 14.0, 15.0):
            spin.setValue(value)
    assert designer.recomputations == before + 1
    assert designer.draft.components[-1].amount == 15.0
    assert blocker.args[0].report.tg.tg_K > added.report.tg.tg_K
    assert (
        window.undo_action.text() == "&Undo Set amount of Glycerol to 15.0"
    )  # the burst merged into one step
    role = designer.table.cellWidget(4, 3)
    role.setCurrentIndex(role.findText("non-penetrating"))
    assert designer.draft.components[-1].role.value == "non_penetrating"

    # Undo three times (role, amount burst, add), through the Edit menu's actions; then redo.
    window.undo_action.trigger()
    assert _components(designer)[-1] == ("Glycerol", 15.0, "% w/v", "penetrating")
    assert designer.table.cellWidget(4, 3).currentText() == "penetrating"
    window.undo_action.trigger()
    assert _components(designer)[-1] == ("Glycerol", 10.0, "% w/v", "penetrating")
    assert designer.table.cellWidget(4, 1).value() == 10.0
    back = _designer_report(qtbot, designer, window.undo_action.trigger)
    assert [c[0] for c in _components(designer)] == ["DMSO", "formamide", "1,2-propanediol", "Euro-Collins"]
    assert designer.table.rowCount() == 4 and abs(back.report.tg.tg_K - tg0.tg_K) < 1e-9
    window.redo_action.trigger()
    window.redo_action.trigger()
    assert _components(designer)[-1] == ("Glycerol", 15.0, "% w/v", "penetrating")

    # Change the unit of DMSO from mol/L to % w/w: the selector stores the unit code the maths reads.
    unit = designer.table.cellWidget(0, 2)
    report = _designer_report(qtbot, designer, lambda: unit.setCurrentIndex(unit.findText("% w/w")))
    assert designer.draft.components[0].unit == "% w/w" and designer.draft.components[0].amount == 3.1
    assert report.report.tg is not None
    assert window.width() == 1400  # no designer widget (e.g. an undo caption) widens the window
    save_screenshot(view, qtbot, "mixture_designer_vs55.png")


def test_designer_from_scratch_rejects_bad_input_saves_and_compares(
    qtbot, open_window, seeded_project: Path
) -> None:
    window = open_window(Workbench.open(seeded_project))
    window.tabs.setCurrentIndex(MIXTURES_TAB)
    view = window.mixtures
    designer = view.designer
    qtbot.waitUntil(lambda: view.list.count() > 20, timeout=TIMEOUT)
    view.open_in_designer(None)
    assert designer.draft.components == ()

    # By CAS and by SMILES.
    assert _add(qtbot, designer, "67-68-5", 10.0, "% w/w").inchikey == "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"
    assert _add(qtbot, designer, "OCCO", 20.0, "% w/w").inchikey == "LYCAIKOWRPUZTN-UHFFFAOYSA-N"
    report = _settled(qtbot, designer)
    assert [c[0] for c in _components(designer)] == ["Dimethyl sulfoxide", "Ethylene glycol"]
    assert report.report.tg is not None and abs(report.report.solute_fraction - 0.30) < 1e-9
    assert len(report.graph.nodes) == 2 and len(report.graph.edges) == 1

    # Bad input: an unknown name is reported and nothing is added; a duplicate is refused.
    bad = _add(qtbot, designer, "no-such-cryoprotectant-xyz", 5.0, "% w/w")
    assert not bad.resolved and "not resolved" in designer.resolve_label.text()
    _add(qtbot, designer, "CS(C)=O", 5.0, "% w/w")
    assert "in the mixture already" in designer.resolve_label.text()
    assert len(designer.draft.components) == 2

    # Save under a new name: stored with the amounts, units and roles as designed.
    designer.name_edit.setText("DMSO/EG 10/20 w/w")
    designer.name_edit.editingFinished.emit()
    with qtbot.waitSignal(designer.saved, timeout=TIMEOUT):
        qtbot.mouseClick(designer.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.current_name() == "DMSO/EG 10/20 w/w", timeout=TIMEOUT)
    check = Workbench.open(seeded_project)
    try:
        stored = check.mixture("DMSO/EG 10/20 w/w")
        assert stored is not None and stored.status.startswith("user design")
        assert [(c.name, c.amount, c.unit, c.role.value, c.inchikey) for c in stored.components] == [
            ("Dimethyl sulfoxide", 10.0, "% w/w", "penetrating", "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"),
            ("Ethylene glycol", 20.0, "% w/w", "penetrating", "LYCAIKOWRPUZTN-UHFFFAOYSA-N"),
        ]
    finally:
        check.close()
    # The same name again, or a reference recipe's name, is refused with the reason.
    with qtbot.waitSignal(designer.save_failed, timeout=TIMEOUT) as blocker:
        designer.save("VS55")
    assert "already in the project" in blocker.args[0] and "VS55" in designer.status_label.text()

    # Side by side: VS55, M22 and the draft.
    for i in range(view.compare_list.count()):
        if view.compare_list.item(i).text() in ("VS55", "M22"):
            view.compare_list.item(i).setCheckState(Qt.CheckState.Checked)
    with qtbot.waitSignal(view.comparison_shown, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(view.compare_button, Qt.MouseButton.LeftButton)
    comparison = blocker.args[0]
    assert comparison.columns == ("M22", "VS55", "DMSO/EG 10/20 w/w")
    rows = dict(comparison.rows)
    assert rows["Tg (K), Gordon–Taylor ± 1σ"][0] == "—"  # M22 lacks densities: no estimate, not a guess
    assert "±" in rows["Tg (K), Gordon–Taylor ± 1σ"][1] and "±" in rows["Tg (K), Gordon–Taylor ± 1σ"][2]
    assert view.compare_table.columnCount() == 3 and view.compare_table.rowCount() == len(comparison.rows)
    save_screenshot(view, qtbot, "mixture_compare.png")

