"""Load the build scripts (build/*.py, not a package: `build` is also PyPA's tool's name) as modules."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BUILD_DIR = Path(__file__).resolve().parents[2] / "build"


def load(name: str) -> ModuleType:
    """Import build/<name>.py under a private module name (cached in sys.modules)."""
    key = f"_cryodesk_build_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, BUILD_DIR / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


@pytest.fixture(scope="session")
def bundle_config() -> ModuleType:
    return load("bundle_config")


@pytest.fixture(scope="session")
def package_deb() -> ModuleType:
    return load("package_deb")


@pytest.fixture(scope="session")
def build_script() -> ModuleType:
    return load("build")
