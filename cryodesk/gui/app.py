"""Start the desktop application: ``cryodesk gui`` and ``make run`` end up in :func:`run_gui`."""

from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)


def run_gui(project_path: str | None = None) -> int:
    """Open the main window on ``project_path`` (the user's default project when None).

    The window appears at once; if the project lacks the default library, loading it starts in the
    background and the table fills as rows land. Returns the exit code of the event loop.
    """
    from cryodesk.gui.logging_setup import configure_logging

    log_path = configure_logging()
    log.info("starting the GUI (project: %s, log: %s)", project_path or "default", log_path)
    from PySide6.QtWidgets import QApplication, QMessageBox

    from cryodesk import APP_NAME, __version__
    from cryodesk.domain import CryoDeskError
    from cryodesk.engine.service import Workbench
    from cryodesk.gui.gui_settings import ORGANIZATION, ORGANIZATION_DOMAIN
    from cryodesk.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANIZATION)
    app.setOrganizationDomain(ORGANIZATION_DOMAIN)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setApplicationDisplayName(APP_NAME)

    try:
        workbench = Workbench.open(project_path)
    except CryoDeskError as exc:
        log.error("cannot open project %s: %s", project_path or "default", exc)
        QMessageBox.critical(None, APP_NAME, f"Cannot open the project:\n{exc}")
        return 2
    for notice in workbench.notices:
        log.warning("%s", notice)

    window = MainWindow(workbench)
    window.show()
    # Everything alive now (modules, Qt wrappers, RDKit, numpy) lives as long as the app: frozen out of
    # the collector, a full garbage collection stays a few ms instead of stalling the window ~70 ms.
    import gc

    gc.freeze()
    window.seed_default_library_if_needed()
    code = app.exec()
    window.shutdown()  # normally done by closeEvent; this covers app.quit() from elsewhere
    log.info("GUI closed with exit code %s", code)
    return int(code)
