"""build/build.py's pieces that need no PyInstaller run: version, requirements, archive, checksums."""

from __future__ import annotations

import hashlib
import re
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

import cryodesk

ROOT = Path(__file__).resolve().parents[2]


def test_version_is_the_package_version(build_script: ModuleType) -> None:
    assert build_script.app_version() == cryodesk.__version__


def test_runtime_requirements_are_pinned_by_the_lock_and_hold_no_dev_tools(build_script: ModuleType) -> None:
    lock = {re.split(r"==", line)[0].lower().replace("_", "-")
            for line in (ROOT / "requirements.lock").read_text().splitlines() if "==" in line}
    names = {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower().replace("_", "-")
             for r in build_script.runtime_requirements()}
    assert names <= lock
    assert not names & {"pytest", "ruff", "hypothesis", "import-linter", "pytest-qt"}
    assert {"pytest", "ruff"} & {n.lower() for n in build_script.FORBIDDEN_IN_VENV}


def test_build_tools_are_pinned() -> None:
    lines = [line for line in (ROOT / "build/requirements-build.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert any(line.startswith("pyinstaller==") for line in lines)
    assert all("==" in line for line in lines)


def test_archive_has_one_versioned_top_folder_owned_by_root(tmp_path: Path, build_script: ModuleType,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build_script, "OUT", tmp_path)
    bundle = tmp_path / "dist" / "cryodesk"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "cryodesk").write_text("#!/bin/sh\n")
    (bundle / "cryodesk").chmod(0o755)
    archive = build_script.make_tarball(bundle, "9.8.7")
    assert re.fullmatch(r"cryodesk-9\.8\.7-linux-x86_64\.tar\.gz", archive.name) or "9.8.7" in archive.name
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
    tops = {m.name.split("/")[0] for m in members}
    assert tops == {archive.name.removesuffix(".tar.gz")}
    assert all(m.uid == 0 and m.uname == "root" for m in members)
    exe = next(m for m in members if m.name.endswith("/cryodesk"))
    assert exe.mode & 0o111


def test_checksums_in_sha256sum_format(tmp_path: Path, build_script: ModuleType,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build_script, "OUT", tmp_path)
    files = []
    for name, body in (("a.tar.gz", b"alpha"), ("b.deb", b"beta")):
        (tmp_path / name).write_bytes(body)
        files.append(tmp_path / name)
    sums = build_script.write_checksums(files)
    assert sums.read_text() == "".join(f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.name}\n" for f in files)
