"""Fixtures for the GUI tests: headless Qt, isolated settings, small and 100,000-compound projects."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cryodesk.engine.service import Workbench

from .helpers import build_big_project, build_reference_project, build_seeded_project


@pytest.fixture(scope="package", autouse=True)  # undone when the GUI tests end, not at session end
def isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep app paths (logs, default project) and QSettings of the tests out of the user's folders."""
    from PySide6.QtCore import QSettings

    home = tmp_path_factory.mktemp("cryodesk_home")
    old = os.environ.get("CRYODESK_HOME")
    os.environ["CRYODESK_HOME"] = str(home)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(home / "qsettings"))
    yield home
    if old is None:
        os.environ.pop("CRYODESK_HOME", None)
    else:
        os.environ["CRYODESK_HOME"] = old


@pytest.fixture(autouse=True)
def fresh_gui_settings() -> Iterator[None]:
    """Each test starts from the default window layout, whatever the previous one saved."""
    from cryodesk.gui import theme
    from cryodesk.gui.gui_settings import gui_settings

    gui_settings().clear()
    yield
    gui_settings().clear()
    theme.apply_theme(theme.LIGHT)  # the palette is application-wide: a dark test must not leak


@pytest.fixture()
def reference_project(tmp_path: Path) -> Path:
    return build_reference_project(tmp_path / "reference.cryodesk")


@pytest.fixture(scope="session")
def big_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_big_project(tmp_path_factory.mktemp("big") / "big.cryodesk")


@pytest.fixture(scope="session")
def seeded_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real default library (reference CPAs and mixtures, Tox21, Koop Tg, Bradley melting points,
    ESOL), seeded once per session with its fingerprints and substructure index precomputed."""
    return build_seeded_project(tmp_path_factory.mktemp("seeded") / "seeded.cryodesk")


@pytest.fixture()
def seeded_project(seeded_source: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded project (tests may write row lists, view state, jobs)."""
    target = tmp_path / "library.cryodesk"
    shutil.copyfile(seeded_source, target)
    for suffix in ("-wal", "-shm"):  # normally gone after the seeding's clean close; copied if not
        side = seeded_source.with_name(seeded_source.name + suffix)
        if side.exists():
            shutil.copyfile(side, target.with_name(target.name + suffix))
    index = seeded_source.with_name(seeded_source.name + ".substructure")
    if index.exists():
        shutil.copyfile(index, target.with_name(target.name + ".substructure"))
    return target


@pytest.fixture()
def open_window(qtbot) -> Callable[..., object]:
    """Open a MainWindow on a Workbench, shown at 1400x900, with its first query loaded."""
    from cryodesk.gui.main_window import MainWindow

    def opener(workbench: Workbench, *, wait: bool = True) -> MainWindow:
        window = MainWindow(workbench)
        qtbot.addWidget(window)
        window.resize(1400, 900)
        if wait:
            with qtbot.waitSignal(window.search_done, timeout=20_000):
                window.show()
        else:
            window.show()
        return window

    return opener
