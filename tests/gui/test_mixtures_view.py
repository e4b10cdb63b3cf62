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
    assert "Solution density" in view.density_label.text() and "ideal volume additivity" in view.density_label.text()
    assert view.problems_label.isHidden()

    # Gordon–Taylor with stored pure Tg (DMSO has none: its melting point's 2/3 rule, stated).
    tg = report.tg
    assert tg is not None and 140 < tg.tg_K < 175 and 1 < tg.sigma_K < 20
    assert tg.lower95_K < tg.tg_K < tg.upper95_K
    assert "Estimated solution Tg" in view.tg_label.text() and f"{tg.tg_K:.1f} ± {tg.sigma_K:.1f} K" in view.tg_label.text()
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
