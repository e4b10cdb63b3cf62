"""The bundle's contents lists (build/bundle_config.py) against the code and pyproject.toml, no build needed."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "cryodesk.spec"


def _dist_name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0]


def _pyproject() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def test_every_runtime_dependency_is_known_to_the_bundle(bundle_config: ModuleType) -> None:
    # A dependency added to pyproject.toml must be added to RUNTIME_IMPORTS too, so the self-test imports it.
    deps = {_dist_name(r) for r in _pyproject()["project"]["dependencies"]}
    assert deps == set(bundle_config.RUNTIME_IMPORTS)


def test_runtime_modules_and_hidden_imports_exist_here(bundle_config: ModuleType) -> None:
    missing = [m for m in (*bundle_config.RUNTIME_IMPORTS.values(), *bundle_config.HIDDEN_IMPORTS)
               if importlib.util.find_spec(m) is None]
    assert missing == []


def test_no_second_qt_binding_and_no_dev_tools_in_the_bundle(bundle_config: ModuleType) -> None:
    excludes = set(bundle_config.EXCLUDES)
    assert {"PyQt5", "PyQt6", "PySide2"} <= excludes
    assert not any(e == "PySide6" or e.startswith("PySide6.") for e in excludes)
    assert {"pytest", "hypothesis", "ruff"} <= excludes
    dev = {_dist_name(r).lower() for r in _pyproject()["project"]["optional-dependencies"]["dev"]}
    assert not dev & {d.lower() for d in bundle_config.RUNTIME_IMPORTS}


def test_the_package_never_imports_an_excluded_module(bundle_config: ModuleType) -> None:
    excluded = tuple(bundle_config.EXCLUDES)
    offenders = []
    for path in (ROOT / "cryodesk").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            offenders += [f"{path.name}: {n}" for n in names if n in excluded or n.startswith(tuple(e + "." for e in excluded))]
    assert offenders == []


def _string_imports(path: Path) -> list[tuple[int, str | None]]:
    """(line, target) of importlib.import_module(...) / __import__(...) calls; target None if not a literal."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in ("import_module", "__import__") and node.args:
            arg = node.args[0]
            found.append((node.lineno, arg.value if isinstance(arg, ast.Constant) else None))
    return found


def test_imports_by_string_are_declared(bundle_config: ModuleType) -> None:
    # PyInstaller cannot see them. cryodesk.* is collected whole; anything else must be a hidden import.
    undeclared = []
    for path in (ROOT / "cryodesk").rglob("*.py"):
        if path.name == "selftest.py":
            continue  # imports the modules the build record lists, which the spec bundles by construction
        if path.name == "csd.py":
            continue  # CCDC's licensed Python API: installed by a licensed user, never bundled
        if path.relative_to(ROOT).as_posix() == "cryodesk/engine/executor.py":
            continue  # imports its callers' preload lists: test_worker_preloads_are_bundled checks them
        for line, target in _string_imports(path):
            if target is None or not (target.startswith("cryodesk.") or target in bundle_config.HIDDEN_IMPORTS):
                undeclared.append(f"{path.relative_to(ROOT)}:{line} imports {target or 'a computed name'}")
    assert undeclared == []


def test_spawned_worker_functions_live_in_bundled_modules(bundle_config: ModuleType) -> None:
    from cryodesk.chem.features.batch import _run_chunk
    from cryodesk.engine.records import standardise_records

    for fn in (_run_chunk, standardise_records):
        assert fn.__module__ in bundle_config.HIDDEN_IMPORTS


def test_spec_is_valid_python_and_uses_the_shared_lists() -> None:
    text = SPEC.read_text(encoding="utf-8")
    tree = ast.parse(text)
    assert tree.body
    for name in ("HIDDEN_IMPORTS", "EXCLUDES", "RDKIT_DATA_EXCLUDES", "OPTIONAL_IMPORTS", "REQUIRED_QT_PLUGINS",
                 "BUILD_RECORD"):
        assert f"cfg.{name}" in text
    assert "console=False" in text  # windowed
    assert 'collect_data_files("rdkit"' in text and 'collect_submodules(\n    "rdkit.Chem"' in text
    assert 'collect_submodules("cryodesk"' in text


def test_build_record_name_matches_the_self_test(bundle_config: ModuleType) -> None:
    from cryodesk import selftest

    assert selftest.BUILD_RECORD == bundle_config.BUILD_RECORD


@pytest.mark.parametrize("platform", ["linux", "win32", "darwin"])
def test_required_qt_plugins_include_offscreen_and_svg(bundle_config: ModuleType, platform: str) -> None:
    plugins = bundle_config.REQUIRED_QT_PLUGINS[platform]
    assert any("offscreen" in p for p in plugins)
    assert any(p.startswith("imageformats/") and "svg" in p for p in plugins)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux plugin file names")
def test_linux_qt_plugins_exist_in_this_pyside6(bundle_config: ModuleType) -> None:
    import PySide6

    plugins = Path(PySide6.__file__).parent / "Qt" / "plugins"
    assert [p for p in bundle_config.REQUIRED_QT_PLUGINS["linux"] if not (plugins / p).is_file()] == []


def _literal_imports() -> set[str]:
    """Every module named in an import statement anywhere in cryodesk (what PyInstaller follows)."""
    names: set[str] = set()
    for path in (ROOT / "cryodesk").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_worker_preloads_are_bundled(bundle_config: ModuleType) -> None:
    # A pool worker imports its preload list by name; in the frozen app each name must be a module the
    # bundle has: one that some cryodesk code imports literally, a declared hidden import, or cryodesk.*.
    from cryodesk.engine.features import FEATURE_PRELOAD

    literal = _literal_imports()
    missing = [
        name for name in FEATURE_PRELOAD
        if not (name.startswith("cryodesk.") or name in literal or name in bundle_config.HIDDEN_IMPORTS)
    ]
    assert FEATURE_PRELOAD and missing == []
