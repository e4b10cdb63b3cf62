"""``run_gui`` end to end in a child process: the window opens, logs to a file, and quits cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from .helpers import build_reference_project

SCRIPT = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    def check_and_quit():
        windows = [w for w in app.topLevelWidgets() if w.objectName() == "MainWindow" and w.isVisible()]
        print("windows", len(windows), windows[0].count_label.text() if windows else "-", flush=True)
        app.quit()
    # Quit once the first search has shown the rows (or after 20 s, whatever happens).
    QTimer.singleShot(20_000, check_and_quit)
    def hook():
        for w in app.topLevelWidgets():
            if w.objectName() == "MainWindow":
                w.search_done.connect(lambda *_: QTimer.singleShot(0, check_and_quit))
                return
        QTimer.singleShot(10, hook)
    QTimer.singleShot(0, hook)
    from cryodesk.gui.app import run_gui
    sys.exit(run_gui(sys.argv[1]))
""")


def test_run_gui_opens_the_project_logs_and_exits_cleanly(tmp_path: Path) -> None:
    project = build_reference_project(tmp_path / "app.cryodesk")
    home = tmp_path / "home"
    env = {**os.environ, "CRYODESK_HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
           "XDG_CONFIG_HOME": str(home / "xdg")}  # QSettings of the child stay in the temporary folder
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(project)], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "windows 1 9 of 9 shown" in done.stdout
    log = (home / "logs" / "cryodesk-gui.log").read_text(encoding="utf-8")
    assert "starting the GUI" in log and "GUI closed with exit code 0" in log
