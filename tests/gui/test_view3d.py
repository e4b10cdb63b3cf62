"""The software-rendered 3D view (issue 13), driven like a user under the offscreen platform.

Nothing is skipped here: the renderer is QPainter only, so it runs wherever Qt's offscreen platform does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from cryodesk.engine.service import Workbench
from cryodesk.gui.view3d import Structure3DWindow

from ..conftest import FIXTURES
from .helpers import SCREENSHOT_DIR

COD_CIF = FIXTURES / "cod" / "2000056.cif"


def _mouse(widget, kind, pos: QPointF, buttons) -> None:
    button = Qt.MouseButton.LeftButton if kind != QMouseEvent.Type.MouseMove else Qt.MouseButton.NoButton
    event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def _drag(widget, start: QPointF, end: QPointF) -> None:
    left = Qt.MouseButton.LeftButton
    _mouse(widget, QMouseEvent.Type.MouseButtonPress, start, left)
    steps = 5
    for k in range(1, steps + 1):
        point = start + (end - start) * (k / steps)
        _mouse(widget, QMouseEvent.Type.MouseMove, point, left)
    _mouse(widget, QMouseEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)


def _wheel(widget, clicks: int) -> None:
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(
        pos,
        widget.mapToGlobal(pos),
        QPoint(),
        QPoint(0, 120 * clicks),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def _open(qtbot, window: Structure3DWindow) -> Structure3DWindow:
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitUntil(lambda: window.view.scene is not None, timeout=30_000)
    return window


def _screenshot(window: Structure3DWindow, name: str) -> Path:
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    target = SCREENSHOT_DIR / name
    assert window.grab().save(str(target)), target
    return target


def test_crystal_window_counts_rotation_zoom_and_screenshot(qtbot, project) -> None:
    from cryodesk.gui.view3d import open_crystal_3d

    window = _open(qtbot, open_crystal_3d(None, Workbench(project), path=str(COD_CIF)))
    view = window.view
    assert len(view.scene.atoms) == 92 and len(view.scene.cell_edges) == 12
    assert "92 atoms" in window.status.text() and "12 edges" in window.status.text()
    before = view.projected_atoms()
    centre = QPointF(view.width() / 2, view.height() / 2)
    _drag(view, centre, centre + QPointF(120, 40))
    rotated = view.projected_atoms()
    assert np.abs(rotated - before).max() > 20  # the drag turned the structure
    spread = np.ptp(rotated, axis=0).max()
    _wheel(view, 3)
    assert view.zoom == pytest.approx(1.15**3)
    assert np.ptp(view.projected_atoms(), axis=0).max() == pytest.approx(spread * 1.15**3, rel=1e-6)
    window.reset_button.click()
    assert np.allclose(view.projected_atoms(), before)
    window.labels_box.setChecked(True)
    path = _screenshot(window, "view3d_crystal.png")
    assert path.stat().st_size > 10_000
    # Neighbouring cells: the engine builds the 3x3x3 block on the pool; the 12 cell edges stay.
    window.neighbours_box.setChecked(True)
    qtbot.waitUntil(lambda: len(view.scene.atoms) == 27 * 92, timeout=30_000)
    assert len(view.scene.cell_edges) == 12
    window.labels_box.setChecked(False)
    _screenshot(window, "view3d_crystal_packing.png")


def test_detail_panel_button_opens_the_conformer(qtbot, open_window, reference_project: Path) -> None:
    main = open_window(Workbench.open(reference_project))
    with qtbot.waitSignal(main.search_done, timeout=20_000):
        main.search_box.setText("Trehalose")
    assert main.model.rowCount() == 1
    with qtbot.waitSignal(main.detail.shown, timeout=20_000):
        main.table.selectRow(0)
    qtbot.mouseClick(main.detail.view3d_button, Qt.MouseButton.LeftButton)
    window = _open(qtbot, main.detail.view3d_window)
    scene = window.view.scene
    assert scene.kind == "molecule" and scene.title == "Trehalose"
    assert len(scene.atoms) == 45 and len(scene.bonds) == 46  # C12H22O11 with its H, two rings
    assert not scene.cell_edges
    before = window.view.projected_atoms()
    window.hydrogens_box.setChecked(False)
    window.labels_box.setChecked(True)
    _drag(window.view, QPointF(700, 400), QPointF(640, 470))
    assert np.abs(window.view.projected_atoms() - before).max() > 10
    _screenshot(window, "view3d_molecule.png")
    # View > Crystal structure in 3D, given a CIF file (the dialogs are skipped by passing the path).
    crystal = _open(qtbot, main.open_crystal_3d(path=str(COD_CIF)))
    assert len(crystal.view.scene.atoms) == 92 and len(crystal.view.scene.cell_edges) == 12
    assert main.crystal_3d_action.text().startswith("Crystal structure in")


def test_empty_view_paints_a_message(qtbot) -> None:
    window = Structure3DWindow("empty", [])
    qtbot.addWidget(window)
    window.resize(400, 300)
    window.show()
    image = window.view.grab().toImage()
    assert image.width() > 0 and window.view.projected_atoms().shape == (0, 2)


def test_compound_with_a_cod_entry_offers_its_crystal(
    qtbot, open_window, reference_project: Path, monkeypatch
) -> None:
    """``import cod`` of the CIF for ethylenediamine (its parent: the CIF is an ethylenediammonium salt)
    stores the COD id; the compound's 3D window then offers that crystal, fetched from (replayed) COD."""
    from cryodesk.chem import compound_from_text
    from cryodesk.engine.cod_import import CodImportJob, CodImportParams
    from cryodesk.engine.jobs import run_job
    from tests.replay import ReplayServer

    wb = Workbench.open(reference_project)
    amine = compound_from_text("NCCN", name="Ethylenediamine").compound
    wb.project.compounds.upsert_many([amine])
    run_job(wb.project, CodImportJob(CodImportParams(cif_paths=(str(COD_CIF),), compound=amine.inchikey)))
    with ReplayServer() as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        main = open_window(wb)
        with qtbot.waitSignal(main.search_done, timeout=20_000):
            main.search_box.setText("Ethylenediamine")
        with qtbot.waitSignal(main.detail.shown, timeout=20_000):
            main.table.selectRow(0)
        qtbot.mouseClick(main.detail.view3d_button, Qt.MouseButton.LeftButton)
        window = _open(qtbot, main.detail.view3d_window)
        assert len(window.view.scene.atoms) == 12  # C2H8N2 conformer
        box = window.structure_box
        assert [box.itemText(i) for i in range(box.count())][-1] == "Crystal COD 2000056"
        assert not window.neighbours_box.isVisibleTo(window)
        box.setCurrentIndex(box.count() - 1)
        qtbot.waitUntil(lambda: window.view.scene.kind == "crystal", timeout=30_000)
        assert len(window.view.scene.atoms) == 92 and len(window.view.scene.cell_edges) == 12
        assert window.neighbours_box.isVisibleTo(window)
