"""User settings with a schema version and forward migrations; API keys kept apart.

Settings live in a JSON file in the user's config directory, never in the project file, so a
project can be shared without leaking anything personal. API keys come from the environment
(``CRYODESK_<SERVICE>_API_KEY``) or from a key file that must be readable by the owner only.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from cryodesk.config.paths import AppPaths, app_paths

SETTINGS_SCHEMA_VERSION = 2


@dataclass(slots=True)
class Settings:
    schema_version: int = SETTINGS_SCHEMA_VERSION
    recent_projects: list[str] = field(default_factory=list)
    last_project: str | None = None
    import_workers: int = 0  # 0 = one per core
    contact_email: str = ""  # NCBI asks for tool + email on E-utilities calls
    http_cache_dir: str | None = None
    service_base_urls: dict[str, str] = field(default_factory=dict)
    service_rate_limits: dict[str, float] = field(default_factory=dict)
    theme: str = "light"

    def remember_project(self, path: str, keep: int = 10) -> None:
        self.recent_projects = [path, *[p for p in self.recent_projects if p != path]][:keep]
        self.last_project = path


def _v1_to_v2(raw: dict[str, Any]) -> dict[str, Any]:
    # v1 stored a single "base_urls" mapping and "dark_mode" flag.
    raw["service_base_urls"] = raw.pop("base_urls", {}) or {}
    raw["theme"] = "dark" if raw.pop("dark_mode", False) else "light"
    return raw


_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def migrate_settings(raw: dict[str, Any]) -> dict[str, Any]:
    """Upgrade a settings mapping of any older schema to the current one."""
    version = int(raw.get("schema_version", 1))
    while version < SETTINGS_SCHEMA_VERSION:
        raw = _MIGRATIONS[version](dict(raw))
        version += 1
        raw["schema_version"] = version
    return raw


def load_settings(paths: AppPaths | None = None) -> Settings:
    """Read settings; a missing or unreadable file gives defaults (the bad file is kept aside)."""
    path = (paths or app_paths()).settings_file
    if not path.exists():
        return Settings()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        path.replace(path.with_suffix(".corrupt.json"))
        return Settings()
    raw = migrate_settings(raw)
    known = {f.name for f in fields(Settings)}
    return Settings(**{k: v for k, v in raw.items() if k in known})


def save_settings(settings: Settings, paths: AppPaths | None = None) -> Path:
    path = (paths or app_paths()).settings_file
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(settings), indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
    return path


def api_key(service: str, paths: AppPaths | None = None) -> str | None:
    """Return the API key for ``service`` from the environment or the owner-only key file.

    The key file is ignored (with no key returned) if group or others can read it, the same
    rule ssh applies to private keys.
    """
    env_value = os.environ.get(f"CRYODESK_{service.upper()}_API_KEY")
    if env_value:
        return env_value
    key_file = (paths or app_paths()).keys_file
    if not key_file.exists():
        return None
    if os.name == "posix" and key_file.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        return None
    try:
        keys = json.loads(key_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = keys.get(service)
    return str(value) if value else None


def store_api_key(service: str, key: str, paths: AppPaths | None = None) -> Path:
    """Save a key in the owner-only key file (mode 0600)."""
    key_file = (paths or app_paths()).keys_file
    key_file.parent.mkdir(parents=True, exist_ok=True)
    keys: dict[str, str] = {}
    if key_file.exists():
        try:
            keys = json.loads(key_file.read_text(encoding="utf-8"))
        except ValueError:
            keys = {}
    keys[service] = key
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(keys, handle)
    os.chmod(key_file, 0o600)
    return key_file
