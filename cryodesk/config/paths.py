"""Where CryoDesk keeps the default project, caches, logs and settings.

``CRYODESK_HOME`` overrides the base of all of them (tests, portable installs); otherwise the
platform's user directories are used (XDG on Linux, AppData on Windows, Library on macOS).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_DIR_NAME = "CryoDesk"
DEFAULT_PROJECT_NAME = "default.cryodesk"


@dataclass(frozen=True, slots=True)
class AppPaths:
    data_dir: Path
    cache_dir: Path
    log_dir: Path
    config_dir: Path

    @property
    def default_project(self) -> Path:
        return self.data_dir / DEFAULT_PROJECT_NAME

    @property
    def http_cache_dir(self) -> Path:
        return self.cache_dir / "http"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def keys_file(self) -> Path:
        return self.config_dir / "api_keys.json"

    def ensure(self) -> AppPaths:
        for directory in (self.data_dir, self.cache_dir, self.log_dir, self.config_dir):
            directory.mkdir(parents=True, exist_ok=True)
        return self


def app_paths() -> AppPaths:
    """Resolve the application directories (not created; call ``ensure()``)."""
    home = os.environ.get("CRYODESK_HOME")
    if home:
        base = Path(home).expanduser()
        return AppPaths(base / "data", base / "cache", base / "logs", base / "config")
    return AppPaths(
        Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False)),
        Path(platformdirs.user_cache_dir(APP_DIR_NAME, appauthor=False)),
        Path(platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False)),
        Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False)),
    )


def resources_dir() -> Path:
    """The ``resources/`` folder: beside the package in a checkout, inside the bundle when frozen."""
    import sys

    frozen_base = getattr(sys, "_MEIPASS", None)
    if frozen_base:
        return Path(frozen_base) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"
