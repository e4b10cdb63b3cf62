"""Settings and application paths."""

from __future__ import annotations

from cryodesk.config.paths import AppPaths, app_paths, resources_dir
from cryodesk.config.settings import SETTINGS_SCHEMA_VERSION, Settings, api_key, load_settings, save_settings

__all__ = [
    "SETTINGS_SCHEMA_VERSION",
    "AppPaths",
    "Settings",
    "api_key",
    "app_paths",
    "resources_dir",
    "load_settings",
    "save_settings",
]
