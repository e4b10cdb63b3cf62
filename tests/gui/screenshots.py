"""Screenshots of every view of the main window at 1400x900, offscreen, on a seeded project, each checked.

Run it on its own::

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/gui/screenshots.py [--project P.cryodesk] [--out DIR]

Without ``--project`` it seeds the default library into a temporary project first (about a minute). For
every view it drives the window as a user would (raise a dock, run a query, pick a mixture ...), waits for
the background work to land, saves ``<out>/<name>.png`` and checks that the picture is not blank (grey-level
standard deviation and number of distinct colours) and that the view's widgets are filled (row counts > 0,
a plotted curve, a drawn graph ...). It prints one line per picture with its checks and exits 1 when any
check failed. Views that are not in this build (a dialog another issue has not added yet) are listed as
``absent`` and do not fail the run. ``tests/gui/test_screenshots.py`` runs the same shots under pytest.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

WIDTH, HEIGHT = 1400, 900
TIMEOUT_S = 60.0
SLOW_S = 300.0  # clustering/scaffolds of ~10,000 compounds on a loaded 2-core machine
MIN_GREY_STD = 8.0  # a blank or single-colour grab has ~0
MIN_COLOURS = 16
DEFAULT_OUT = Path(__file__).parent / "screenshots" / "all_views"


@dataclass
class Shot:
    """One picture and what was checked on it."""

    name: str
    path: Path | None = None
    checks: list[tuple[str, bool]] = field(default_factory=list)
    absent: str = ""  # why the view was not shot (not in this build)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and all(ok for _c, ok in self.checks)

    def check(self, what: str, ok: bool) -> bool:
        self.checks.append((what, bool(ok)))
        return bool(ok)


class Timeout(AssertionError):
    pass


def wait_until(condition: Callable[[], Any], timeout_s: float = TIMEOUT_S, what: str = "condition") -> None:
    """Run the event loop until ``condition()`` is true (the GUI stays live while background work lands)."""
    from PySide6.QtTest import QTest

    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise Timeout(f"timed out after {timeout_s:.0f} s waiting for {what}")
        QTest.qWait(20)


def image_stats(path: Path) -> tuple[float, int]:
    """Grey-level standard deviation and the number of distinct colours of a saved picture."""
    import numpy as np
    from PySide6.QtGui import QImage

    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB32)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    pixels = data.reshape(height, image.bytesPerLine() // 4, 4)[:, :width, :3].astype(np.float64)
    grey = pixels @ np.array([0.114, 0.587, 0.299])  # BGRA byte order
    packed = (pixels[..., 0] * 65536 + pixels[..., 1] * 256 + pixels[..., 2]).astype(np.int64)
    return float(grey.std()), int(np.unique(packed).size)


def settle(window: Any) -> None:
    """Wait until the window's background reads and structure drawings have landed (as save_screenshot)."""
    busy = getattr(window, "busy_label", None)
    if busy is not None:
        wait_until(lambda: not busy.text(), what="the views' background reads")
    depictions = getattr(window, "depictions", None)
    window.grab()  # offscreen nothing is painted (so no drawing requested) until grabbed
    if depictions is not None:
        wait_until(lambda: depictions.pending_count() == 0, what="structure drawings")
        window.grab()
        wait_until(lambda: depictions.pending_count() == 0, what="structure drawings")
    detail = getattr(window, "detail", None)
    if detail is not None and getattr(detail, "detail", None) is not None:
        wait_until(detail.structure.is_drawn, what="the detail structure")
    if busy is not None:
        wait_until(lambda: not busy.text(), what="the views' background reads")


def save(shot: Shot, widget: Any, out: Path) -> None:
    """Grab ``widget``, save it and check the picture is not blank."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{shot.name}.png"
    image = widget.grab()
    shot.check(f"saved {image.width()}x{image.height()}", image.save(str(target)))
    shot.path = target
    std, colours = image_stats(target)
    shot.check(
        f"non-blank (grey std {std:.1f} >= {MIN_GREY_STD}, {colours} colours >= {MIN_COLOURS})",
        std >= MIN_GREY_STD and colours >= MIN_COLOURS,
    )


# -- the shots -----------------------------------------------------------------------------------------


def _molecules(window: Any, shot: Shot) -> Any:
    from cryodesk.gui.main_window import MOLECULES_TAB

    window.tabs.setCurrentIndex(MOLECULES_TAB)
    wait_until(lambda: window.model.rowCount() > 0, what="table rows")
    shot.check(f"table rows {window.model.rowCount():,} > 0", window.model.rowCount() > 0)
    shot.check(f"status count '{window.count_label.text()}' says N of M", " of " in window.count_label.text())
    shot.check("window is 1400x900", (window.width(), window.height()) == (WIDTH, HEIGHT))
    return window


def _select_compound(window: Any, name: str) -> None:
    from cryodesk.gui.molecule_table import Column

    names = [window.model.index(r, Column.NAME).data() for r in range(window.model.rowCount())]
    if name not in names:
        window.search_box.setText(name)
        wait_until(
            lambda: any(
                window.model.index(r, Column.NAME).data() == name for r in range(window.model.rowCount())
            ),
            what=f"{name} in the table",
        )
        names = [window.model.index(r, Column.NAME).data() for r in range(window.model.rowCount())]
    window.table.selectRow(names.index(name))
    wait_until(
        lambda: window.detail.detail is not None and window.detail.detail.compound.name == name,
        what=f"the detail of {name}",
    )


def _detail(window: Any, shot: Shot) -> Any:
    window.detail_dock.raise_()
    _select_compound(window, "Glycerol")
    detail = window.detail
    detail.tabs.setCurrentIndex(0)
    shot.check(
        f"detail shows Glycerol with {detail.properties_table.rowCount()} property rows > 0",
        detail.properties_table.rowCount() > 0,
    )
    window.grab()  # offscreen the drawing is requested by the first paint
    wait_until(detail.structure.is_drawn, what="the structure drawing")
    shot.check("structure drawn", detail.structure.is_drawn())
    return window


def _manual_value(window: Any, shot: Shot) -> Any:
    """A value typed in the Add value dialog, stored as "manual" and shown in the panel (undone afterwards)."""
    editor = getattr(window, "manual_values", None)
    if editor is None:
        shot.absent = "no manual-value editing in this build"
        return None
    from PySide6.QtWidgets import QDialogButtonBox

    window.detail_dock.raise_()
    detail = window.detail
    if detail.detail is None or detail.detail.compound.name != "Glycerol":
        _select_compound(window, "Glycerol")
    detail.tabs.setCurrentIndex(0)
    detail.add_value_button.click()
    dialog = editor.dialog
    dialog.property_box.setCurrentText("Glass transition Tg")
    dialog.value_edit.setText("-93.5")
    dialog.unit_box.setCurrentText("°C")
    dialog.note_edit.setText("DSC at 10 K/min, lab book 7 p. 12 (screenshot example)")
    changed: list[str] = []
    editor.changed.connect(changed.append)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    wait_until(lambda: bool(changed), what="the manual value to be stored")
    value = detail.current_value()
    shot.check(
        f"detail panel focuses the new value ({value.property if value else None} from "
        f"{value.provenance.source if value else None})",
        value is not None and value.provenance.source == "manual",
    )
    shot.check(f"Edit menu offers '{window.undo_action.text()}'", window.undo_action.isEnabled())

    def undo() -> None:  # leave the project as it was (the script may run on a user's project)
        window.undo_action.trigger()
        wait_until(lambda: not editor.writer.busy, what="the undo of the manual value")

    shot.cleanup = undo  # type: ignore[attr-defined]
    return window


def _detail_tab(attribute: str, signal: str) -> Callable[[Any, Shot], Any]:
    def shoot(window: Any, shot: Shot) -> Any:
        detail = window.detail
        panel = getattr(detail, attribute, None)
        if panel is None:
            shot.absent = f"the detail panel has no {attribute}"
            return None
        window.detail_dock.raise_()
        if detail.detail is None or detail.detail.compound.name != "Glycerol":
            _select_compound(window, "Glycerol")
        got: list[Any] = []
        getattr(panel, signal).connect(lambda *args: got.append(args))
        detail.tabs.setCurrentWidget(panel)
        wait_until(
            lambda: got or not any(getattr(s, "running", False) for s in vars(panel).values()),
            what=f"the {attribute} to load",
        )
        shot.check(
            f"{attribute} tab open and loaded ({signal} emitted: {bool(got)})",
            detail.tabs.currentWidget() is panel,
        )
        texts = [w.text() for w in panel.findChildren(_qlabel()) if w.isVisible() and w.text()]
        shot.check(f"{attribute} shows text ({len(texts)} labels)", bool(texts))
        return window

    return shoot


def _qlabel() -> type:
    from PySide6.QtWidgets import QLabel

    return QLabel


def _scatter(window: Any, shot: Shot) -> Any:
    scatter = window.scatter
    window.detail.tabs.setCurrentIndex(0)  # back to the compound's properties for the shots that follow
    window.scatter_dock.raise_()
    scatter.set_axes("mol_weight", "tg")
    wait_until(lambda: not scatter.pending and scatter.data is not None, what="the scatter plot")
    shot.check(f"scatter points {len(scatter.data.ids):,} > 0 (mol_weight vs tg)", len(scatter.data.ids) > 0)
    return window


def _computed_view(attribute: str, dock: str) -> Callable[[Any, Shot], Any]:
    def shoot(window: Any, shot: Shot) -> Any:
        view = getattr(window, attribute)
        getattr(window, dock).raise_()
        if not view.result:  # None (clusters) or [] (scaffolds) until computed
            view.run_button.click()
            wait_until(lambda: bool(view.result), SLOW_S, f"the {attribute} to compute")
        rows = view.model.rowCount()
        shot.check(f"{attribute} rows {rows:,} > 0", rows > 0)
        return window

    return shoot


def _structure_query(window: Any, shot: Shot) -> Any:
    panel = window.structure_query
    window.query_dock.raise_()
    panel.query_edit.setText("OCC(O)CO")
    wait_until(lambda: panel.search_button.isEnabled(), what="the query preview")
    done: list[int] = []
    window.search_done.connect(lambda *args: done.append(args))
    panel.search_button.click()
    wait_until(lambda: bool(done), what="the substructure search")
    pixmap = panel.drawing.pixmap()
    shot.check("query drawn", pixmap is not None and not pixmap.isNull())
    shot.check(f"substructure hits {window.model.rowCount():,} > 0", window.model.rowCount() > 0)
    return window


def _clear_filters(window: Any) -> None:
    done: list[int] = []
    window.search_done.connect(lambda *args: done.append(args))
    window.clear_filters()
    wait_until(lambda: bool(done), what="the table to show every compound")


def _row_lists(window: Any, shot: Shot) -> Any:
    _clear_filters(window)
    panel = window.row_lists
    window.row_lists_dock.raise_()
    wait_until(lambda: panel.lists.count() > 0, what="row lists")
    panel.lists.setCurrentRow(0)
    shot.check(f"row lists {panel.lists.count()} > 0 ({', '.join(panel.names())})", panel.lists.count() > 0)
    shot.check(
        "edit buttons enabled for the chosen list (rename, add/remove selected)",
        panel.rename_button.isEnabled() and panel.add_button.isEnabled(),
    )
    return window


def _jobs(window: Any, shot: Shot) -> Any:
    panel = window.jobs
    window.jobs_dock.raise_()
    wait_until(lambda: len(panel.jobs) > 0, what="jobs")
    shot.check(f"jobs listed {len(panel.jobs)} > 0", len(panel.jobs) > 0)
    return window


def _mixture_recipe(window: Any, shot: Shot) -> Any:
    from cryodesk.gui.main_window import MIXTURES_TAB
    from cryodesk.gui.mixtures_view import RECIPE_TAB

    window.tabs.setCurrentIndex(MIXTURES_TAB)
    view = window.mixtures
    view.pages.setCurrentIndex(RECIPE_TAB)
    wait_until(lambda: view.list.count() > 0, what="the mixture list")
    view.select("VS55")
    wait_until(lambda: view.report is not None and view.report.mixture.name == "VS55", what="VS55")
    shot.check(f"mixtures listed {view.list.count()} > 0", view.list.count() > 0)
    shot.check(
        f"VS55 components {view.components.rowCount()} > 0, breakdown {view.breakdown.rowCount()} rows",
        view.components.rowCount() > 0 and view.breakdown.rowCount() > 0,
    )
    shot.check(
        "Tg estimate shown and curve plotted",
        "Estimated solution Tg" in view.tg_label.text() and view.report.curve is not None,
    )
    return window


def _designer(window: Any, shot: Shot) -> Any:
    from cryodesk.gui.main_window import MIXTURES_TAB

    window.tabs.setCurrentIndex(MIXTURES_TAB)
    view = window.mixtures
    designer = view.designer
    view.open_in_designer("VS55")
    wait_until(
        lambda: (
            designer.report is not None
            and designer.report.mixture == designer.draft
            and designer.draft.components
        ),
        what="the designer's report",
    )
    designer.component_edit.setText("glycerol")
    designer.amount_spin.setValue(8.0)
    designer.unit_combo.setCurrentIndex(designer.unit_combo.findText("% w/v"))
    designer.add_button.click()
    wait_until(lambda: len(designer.draft.components) == 5, what="glycerol to be resolved and added")
    wait_until(
        lambda: (
            designer.report.mixture == designer.draft
            and not designer.debounce.isActive()
            and not designer.report_slot.running
        ),
        what="the designer's report",
    )
    report = designer.report
    shot.check(f"designer components {designer.table.rowCount()} = 5", designer.table.rowCount() == 5)
    shot.check(
        f"Tg shown ({designer.tg_label.text()[:40]}…)",
        report.report.tg is not None and " K" in designer.tg_label.text(),
    )
    shot.check(
        f"viscosity '{designer.viscosity_label.text()}', viability '{designer.viability_label.text()}'",
        bool(designer.viscosity_label.text()) and bool(designer.viability_label.text()),
    )
    shot.check(
        "Tg curve plotted", report.report.curve is not None and len(designer.plot.getPlotItem().items) > 0
    )
    graph = designer.graph_view
    shot.check(
        f"interaction graph: {len(report.graph.nodes)} nodes, {len(graph.edge_items)} edges drawn",
        len(report.graph.nodes) == 4 and len(graph.edge_items) == 6,
    )
    return window


def _compare(window: Any, shot: Shot) -> Any:
    view = window.mixtures
    got: list[Any] = []
    view.comparison_shown.connect(lambda *args: got.append(args))
    view.compare(["VS55", "M22", "DP6"], include_draft=True)
    wait_until(lambda: bool(got), what="the comparison")
    table = view.compare_table
    shot.check(
        f"comparison {table.columnCount()} mixtures x {table.rowCount()} rows",
        table.columnCount() == 4 and table.rowCount() > 5,
    )
    return window


def _models(window: Any, shot: Shot) -> Any:
    models = getattr(window, "models", None)
    if models is None:
        shot.absent = "no models view in this build"
        return None
    window.tabs.setCurrentWidget(models)
    wait_until(lambda: not models.list_slot.running, what="the model list")
    shot.check(
        f"models view open ({len(models.entries)} models registered in this project)",
        window.tabs.currentWidget() is models,
    )
    return window


def _dialog(
    open_dialog: Callable[[Any], Any], describe: Callable[[Any], tuple[str, bool]]
) -> Callable[[Any, Shot], Any]:
    def shoot(window: Any, shot: Shot) -> Any:
        dialog = open_dialog(window)
        if dialog is None:
            shot.absent = "not in this build"
            return None
        wait_until(dialog.isVisible, what="the dialog")
        shot.check(*describe(dialog))
        shot.dialog = dialog  # type: ignore[attr-defined]
        return dialog

    return shoot


def _import_dialog(kind: str) -> Callable[[Any], Any]:
    def open_it(window: Any) -> Any:
        try:
            from cryodesk.gui.import_dialogs import open_import_dialog
        except ImportError:
            return None
        return open_import_dialog(window, kind)

    return open_it


def _form_filled(dialog: Any) -> tuple[str, bool]:
    address = getattr(dialog, "address", None)
    if address is not None:  # the service's address is read from the settings in the background
        try:
            wait_until(lambda: "reading" not in address.text(), 15.0, "the service address")
        except Timeout:
            pass  # shown as it is; the check below still needs the form
    rows = dialog.form.rowCount() if hasattr(dialog, "form") else 0
    return (
        f"{type(dialog).__name__}: {rows} form rows > 0, service line '{dialog.address.text()[:50]}'",
        rows > 0,
    )


def _train_dialog(window: Any) -> Any:
    models = getattr(window, "models", None)
    return None if models is None or not hasattr(models, "open_train_dialog") else models.open_train_dialog()


def _widget_count(dialog: Any) -> tuple[str, bool]:
    from PySide6.QtWidgets import QComboBox, QLineEdit, QSpinBox

    inputs = [w for t in (QComboBox, QLineEdit, QSpinBox) for w in dialog.findChildren(t)]
    return f"{type(dialog).__name__}: {len(inputs)} input widgets > 0", bool(inputs)


def _screening_dialog(window: Any) -> Any:
    opener = getattr(window, "open_screening_dialog", None)
    return opener() if callable(opener) else None


def shots() -> list[tuple[str, Callable[[Any, Shot], Any]]]:
    """Every view, in an order where each step leaves the window as the next expects it."""
    out: list[tuple[str, Callable[[Any, Shot], Any]]] = [
        ("01_molecules_table", _molecules),
        ("02_detail_panel", _detail),
        ("02b_manual_value", _manual_value),
        ("03_evidence_tab", _detail_tab("evidence_panel", "loaded")),
        ("04_lineage_tab", _detail_tab("lineage_panel", "choices_loaded")),
        ("05_scatter", _scatter),
        ("06_clusters", _computed_view("clusters", "clusters_dock")),
        ("07_scaffolds", _computed_view("scaffolds", "scaffolds_dock")),
        ("08_structure_query", _structure_query),
        ("09_row_lists", _row_lists),
        ("10_jobs_panel", _jobs),
        ("11_mixtures_recipe", _mixture_recipe),
        ("12_mixture_designer", _designer),
        ("13_mixture_compare", _compare),
        ("14_models_view", _models),
        ("15_train_dialog", _dialog(_train_dialog, _widget_count)),
        ("16_screening_dialog", _dialog(_screening_dialog, _widget_count)),
    ]
    try:
        from cryodesk.gui.import_dialogs import DIALOGS
    except ImportError:
        DIALOGS = {}
    for i, kind in enumerate(DIALOGS, start=17):
        out.append((f"{i}_import_{kind}", _dialog(_import_dialog(kind), _form_filled)))
    return out


def run_shots(window: Any, out: Path, only: set[str] | None = None) -> list[Shot]:
    """Take every shot on an open, shown window; never raises (a failure is recorded on its shot)."""
    results = []
    for name, shoot in shots():
        if only and name not in only:
            continue
        shot = Shot(name)
        try:
            target = shoot(window, shot)
            if target is not None:
                if target is window or target.window() is window:
                    settle(window)
                save(shot, target, out)
        except Exception as exc:  # a broken view must not hide the pictures of the others
            shot.error = f"{type(exc).__name__}: {exc}"
        finally:
            dialog = getattr(shot, "dialog", None)
            if dialog is not None:
                dialog.reject()
            cleanup = getattr(shot, "cleanup", None)
            if cleanup is not None:
                try:
                    cleanup()
                except Exception as exc:  # recorded like a failed shot; the run goes on
                    shot.error = shot.error or f"cleanup: {type(exc).__name__}: {exc}"
        results.append(shot)
    return results


def report(results: list[Shot]) -> str:
    lines = []
    for shot in results:
        if shot.absent:
            lines.append(f"ABSENT {shot.name}: {shot.absent}")
            continue
        status = "OK    " if shot.ok else "FAILED"
        lines.append(f"{status} {shot.name}: {shot.path if shot.path else '(no picture)'}")
        lines.extend(f"         [{'x' if ok else ' '}] {what}" for what, ok in shot.checks)
        if shot.error:
            lines.append(f"         error: {shot.error}")
    taken = [s for s in results if not s.absent]
    lines.append(
        f"{sum(s.ok for s in taken)} of {len(taken)} pictures passed; "
        f"{len(results) - len(taken)} views absent from this build"
    )
    return "\n".join(lines)


def open_window(project: Path) -> Any:
    from cryodesk.engine.service import Workbench
    from cryodesk.gui.main_window import MainWindow

    window = MainWindow(Workbench.open(project))
    window.resize(WIDTH, HEIGHT)
    done: list[int] = []
    window.search_done.connect(lambda *args: done.append(args))
    window.show()
    wait_until(lambda: bool(done), what="the first table query")
    return window


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, help="a seeded project (default: seed one in a temp dir)")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"where to save (default {DEFAULT_OUT})"
    )
    parser.add_argument("--only", action="append", help="take only this shot (repeatable)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="cryodesk-shots-") as tmp:
        # Keep the user's settings, logs and default project out of it.
        os.environ["CRYODESK_HOME"] = str(Path(tmp) / "home")
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication

        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(Path(tmp) / "qsettings"))
        app = QApplication.instance() or QApplication(sys.argv[:1])
        project = args.project
        if project is None:
            sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
            from tests.gui.helpers import build_seeded_project

            print("seeding the default library into a temporary project…", flush=True)
            project = build_seeded_project(Path(tmp) / "library.cryodesk")
        window = open_window(project)
        try:
            results = run_shots(window, args.out, set(args.only) if args.only else None)
        finally:
            window.close()
            app.processEvents()
        print(report(results))
        return 0 if all(s.ok for s in results if not s.absent) else 1


if __name__ == "__main__":
    sys.exit(main())
