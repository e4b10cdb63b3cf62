"""Where the GUI keeps its own settings (window layout, last folders): QSettings under fixed names.

Project data never goes here; it lives in the project file. Tests redirect QSettings to a temporary
folder with ``QSettings.setPath``.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

from cryodesk import APP_NAME

ORGANIZATION = "CryoDesk"
ORGANIZATION_DOMAIN = "cryodesk.org"
SETTINGS_SCHEMA = 1  # bump with a migration in gui_settings() when a key changes meaning


def gui_settings() -> QSettings:
    """The user's GUI settings (the default format, so tests can redirect them)."""
    settings = QSettings(QSettings.defaultFormat(), QSettings.Scope.UserScope, ORGANIZATION, APP_NAME)
    if settings.value("schema", None) is None:
        settings.setValue("schema", SETTINGS_SCHEMA)
    return settings
