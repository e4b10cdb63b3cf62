"""Analysis views on the real default library: the scatter plot linked to the table selection both ways,
Butina clusters and Murcko scaffolds that filter the table, and the structure query box."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QPointF, Qt

from cryodesk.engine import views
from cryodesk.engine.service import Workbench
from cryodesk.gui.main_window import MainWindow
from cryodesk.gui.molecule_table import Column

from .helpers import save_screenshot

TIMEOUT = 30_000
SLOW = 180_000  # clustering or scaffolds of ~10,000 compounds on a small CI machine


def _names(window: MainWindow) -> list[str]:
    return [window.model.index(r, Column.NAME).data() for r in range(window.model.rowCount())]


def _save(window: MainWindow, qtbot, name: str) -> None:
    save_screenshot(window, qtbot, name)


def _plot_loaded(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.scatter.pending and window.scatter.data is not None, timeout=TIMEOUT)


def test_scatter_plot_and_table_share_one_selection(qtbot, open_window, seeded_project: Path) -> None:
    window = open_window(Workbench.open(seeded_project))
    scatter = window.scatter
    window.scatter_dock.raise_()
    scatter.set_axes("mol_weight", "tg")
    _plot_loaded(qtbot, window)
    data = scatter.data
    assert data.x_column.key == "mol_weight" and data.y_column.key == "tg"
    assert 250 < len(data.ids) < 400  # the compounds with a Tg (and a weight)
    assert f"{len(data.ids):,} of {window.model.rowCount():,} shown compounds have both values" == scatter.info.text()

    # Plot -> table: a rectangle over small glass formers selects their rows.
    inside = (data.x >= 60) & (data.x <= 100) & (data.y >= 150) & (data.y <= 200)
    expected = sorted(data.ids[inside].tolist())
    assert 3 <= len(expected) < 40
    with qtbot.waitSignal(window.hub.changed, timeout=TIMEOUT):
        scatter.select_region(60, 100, 150, 200)
    assert sorted(window.selected_ids()) == expected
    assert window.selected_label.text() == f"{len(expected)} selected"
    assert scatter.highlighted_ids() == expected
    qtbot.waitUntil(lambda: window.detail.detail is not None, timeout=TIMEOUT)  # the first one is shown
    assert window.model.ids()[window.table.currentIndex().row()] in expected

    # Plot -> table with the mouse: clicking a point selects that compound's row only.
    glycerol = window.model.ids()[_names(window).index("Glycerol")]
    i = int((data.ids == glycerol).nonzero()[0][0])
    vb = scatter.plot.getPlotItem().getViewBox()
    scene = vb.mapViewToScene(QPointF(float(data.x[i]), float(data.y[i])))
    pos = scatter.plot.mapFromScene(scene)
    with qtbot.waitSignal(window.hub.changed, timeout=TIMEOUT):
        qtbot.mouseClick(scatter.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert window.selected_ids() == [glycerol]
    qtbot.waitUntil(lambda: window.detail.detail is not None and window.detail.detail.compound.name == "Glycerol",
                    timeout=TIMEOUT)
    _save(window, qtbot, "scatter_linked_selection.png")

    # Table -> plot: selecting rows highlights their points (rows without a Tg have no point).
    names = _names(window)
    wanted = ["Ethylene glycol", "1,2-Propanediol", "Dimethyl sulfoxide"]
    selection = window.table.selectionModel()
    selection.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for name in wanted:
        selection.select(window.model.index(names.index(name), 1), flags)
    ids = {window.model.ids()[names.index(n)] for n in wanted}
    assert window.hub.selected == ids
    with_point = sorted(i for i in ids if i in set(data.ids.tolist()))
    assert scatter.highlighted_ids() == with_point and len(with_point) == 2  # DMSO has no Tg stored
    assert len(scatter.highlight.data) == 2


def test_clusters_filter_the_table(qtbot, open_window, seeded_project: Path) -> None:
    window = open_window(Workbench.open(seeded_project))
    view = window.clusters
    window.clusters_dock.raise_()
    with qtbot.waitSignal(view.computed, timeout=SLOW):
        view.run_button.click()
    result = view.result
    assert result is not None and result.cutoff == 0.35
    sizes = [c.size for c in result.clusters]
    assert sizes[0] >= sizes[-1] and sizes[0] > 20
    assert sum(sizes) == result.n_compounds > 9000
    assert view.model.rowCount() == min(len(result.clusters), 2000)
    assert "clusters of" in view.caption.text() and "singletons" in view.caption.text()

    first = result.clusters[0]
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT) as blocker:
        view.click_row(0)
    assert blocker.args[0] == first.size
    assert set(window.model.ids()) == set(first.member_ids)
    assert [c.label.text() for c in window.filter_bar.chips()][0].startswith(f"Cluster: {first.number} (")
    _save(window, qtbot, "clusters.png")

    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT) as blocker:
        window.filter_bar.remove("cluster")
    assert blocker.args[0] == window.model.total


def test_scaffolds_filter_the_table(qtbot, open_window, seeded_project: Path) -> None:
    window = open_window(Workbench.open(seeded_project))
    view = window.scaffolds
    window.scaffolds_dock.raise_()
    with qtbot.waitSignal(view.computed, timeout=SLOW):
        view.run_button.click()
    groups = view.result
    assert groups[0].scaffold == "" and groups[1].scaffold == "c1ccccc1"  # acyclic CPAs, then benzene
    assert view.model.item(1, 2).text() == "c1ccccc1"
    assert view.model.item(1, 1).data(Qt.ItemDataRole.DisplayRole) == groups[1].count
    _save(window, qtbot, "scaffolds.png")

    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT) as blocker:
        view.click_row(1)
    assert blocker.args[0] == groups[1].count
    # A text search combines with the scaffold: benzene-ring compounds whose name has "phenol".
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT) as blocker:
        window.search_box.setText("phenol")
    assert 0 < blocker.args[0] < groups[1].count
    assert all(i in set(groups[1].ids) for i in window.model.ids())


def test_structure_query_explains_draws_and_filters(qtbot, open_window, seeded_project: Path) -> None:
    window = open_window(Workbench.open(seeded_project))
    panel = window.structure_query
    window.query_dock.raise_()
    panel.query_edit.setFocus()

    with qtbot.waitSignal(panel.preview_shown, timeout=TIMEOUT) as blocker:
        qtbot.keyClicks(panel.query_edit, "C1CC(")
    preview = blocker.args[0]
    assert not preview.valid
    assert "SMILES parse error" in panel.message.text() and "position 5" in panel.message.text()
    assert not panel.search_button.isEnabled()
    _save(window, qtbot, "structure_query_invalid.png")

    panel.query_edit.clear()
    with qtbot.waitSignal(panel.preview_shown, timeout=TIMEOUT) as blocker:
        qtbot.keyClicks(panel.query_edit, "OCC(O)CO")
    assert blocker.args[0].valid and blocker.args[0].mode == "smiles"
    assert panel.drawing.pixmap() is not None and not panel.drawing.pixmap().isNull()
    assert panel.search_button.isEnabled()
    with _open(seeded_project) as wb:
        expected = views.substructure_ids(wb, "OCC(O)CO")
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT) as blocker:
        qtbot.keyClick(panel.query_edit, Qt.Key.Key_Return)
    assert blocker.args[0] == len(expected) > 100
    assert set(window.model.ids()) == set(expected)
    assert window.filter_bar.chips()[0].label.text() == f"Structure: contains OCC(O)CO ({len(expected):,})"
    _save(window, qtbot, "structure_query_substructure.png")

    # Similarity: nearest first; moving the threshold re-runs the search and the table follows.
    panel.similarity_radio.setChecked(True)
    panel.threshold.setValue(50)
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT) as blocker:
        panel.search_button.click()
    strict = blocker.args[0]
    assert strict >= 1 and _names(window)[0] == "Glycerol"
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT) as blocker:
        panel.threshold.setValue(30)
    assert blocker.args[0] > strict
    assert "similar to OCC(O)CO ≥ 0.30, best 1.00" in window.filter_bar.chips()[0].label.text()

    # A SMARTS pattern searches substructures but cannot be a similarity query.
    panel.query_edit.clear()
    with qtbot.waitSignal(panel.preview_shown, timeout=TIMEOUT) as blocker:
        qtbot.keyClicks(panel.query_edit, "[OX2H][CX4]")
    assert blocker.args[0].mode == "smarts"
    assert "needs a molecule" in panel.message.text() and not panel.search_button.isEnabled()
    panel.substructure_radio.setChecked(True)
    assert panel.search_button.isEnabled()

    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT) as blocker:
        panel.clear_button.click()
    assert blocker.args[0] == window.model.total
    assert not window.filter_bar.chips()


class _open:
    def __init__(self, path: Path) -> None:
        self.wb = Workbench.open(path)

    def __enter__(self) -> Workbench:
        return self.wb

    def __exit__(self, *exc: object) -> None:
        self.wb.close()


def test_showing_clusters_starts_the_feature_workers_and_closing_the_window_stops_them(
    qtbot, open_window, seeded_project: Path
) -> None:
    """The clusters view fingerprints the whole library on the shared pool: its workers start when the
    view is first shown (not at launch), and the window's shutdown stops them."""
    import os

    from cryodesk.engine.executor import available_cpus
    from cryodesk.engine.features import close_feature_pools, feature_pool

    if available_cpus() <= 1:
        return  # one core: featurisation runs in-process and there is no pool to start
    close_feature_pools()
    window = open_window(Workbench.open(seeded_project))
    pool = feature_pool()
    assert not pool.started, "the feature workers must not start with the window"
    window.clusters_dock.raise_()
    qtbot.waitUntil(lambda: pool.started, timeout=TIMEOUT)
    assert pool.warm(wait=True, timeout=120), "the workers started but never became ready"
    pids = sorted(pool._pool._processes)  # the live worker processes
    assert len(pids) == available_cpus()

    window.close()
    assert not pool.started
    for pid in pids:  # joined: no worker outlives the window
        qtbot.waitUntil(lambda pid=pid: not os.path.exists(f"/proc/{pid}") or _zombie(pid), timeout=TIMEOUT)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
