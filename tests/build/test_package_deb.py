"""The Debian package from a fake bundle: layout, metadata, maintainer scripts, and a real
install -> upgrade -> purge cycle with dpkg into a scratch root (no full build needed)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest
from defusedxml import ElementTree

from cryodesk import __version__
from cryodesk.store.schema import APPLICATION_ID

TEMPLATES = Path(__file__).resolve().parents[2] / "build" / "templates"
needs_dpkg_deb = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb not installed")
needs_dpkg = pytest.mark.skipif(shutil.which("dpkg") is None or shutil.which("dpkg-deb") is None,
                                reason="dpkg not installed")


def fake_bundle(folder: Path, version: str, extra: str | None = None) -> Path:
    """What PyInstaller leaves in dist/cryodesk, reduced to an executable that prints its arguments."""
    (folder / "_internal" / "resources").mkdir(parents=True)
    exe = folder / "cryodesk"
    exe.write_text(f'#!/bin/sh\nprintf "%s\\n" "cryodesk {version}" "$@"\n', encoding="utf-8")
    exe.chmod(0o755)
    (folder / "_internal" / "resources" / "data_sources.json").write_text("{}", encoding="utf-8")
    if extra:
        (folder / "_internal" / extra).write_text("only in this version\n", encoding="utf-8")
    return folder


@pytest.fixture()
def staged(tmp_path: Path, package_deb: ModuleType) -> Path:
    return package_deb.stage(fake_bundle(tmp_path / "bundle", __version__), tmp_path / "stage", __version__, "amd64")


def test_layout_of_the_package(staged: Path) -> None:
    files = {str(p.relative_to(staged)) for p in staged.rglob("*") if not p.is_dir() or p.is_symlink()}
    assert {
        "opt/cryodesk/cryodesk",
        "opt/cryodesk/cryodesk-open",
        "opt/cryodesk/_internal/resources/data_sources.json",
        "usr/bin/cryodesk",
        "usr/share/applications/cryodesk.desktop",
        "usr/share/mime/packages/cryodesk.xml",
        "usr/share/icons/hicolor/scalable/apps/cryodesk.svg",
        "usr/share/icons/hicolor/256x256/apps/cryodesk.png",
        "usr/share/icons/hicolor/scalable/mimetypes/application-x-cryodesk.svg",
        "usr/share/doc/cryodesk/copyright",
        "DEBIAN/control",
        "DEBIAN/postinst",
        "DEBIAN/postrm",
    } <= files
    # Only system locations: nothing for /home, /root, /etc/skel or the like.
    assert {f.split("/")[0] for f in files} == {"opt", "usr", "DEBIAN"}
    link = staged / "usr/bin/cryodesk"
    assert link.is_symlink() and os.readlink(link) == "/opt/cryodesk/cryodesk"
    for script in ("opt/cryodesk/cryodesk", "opt/cryodesk/cryodesk-open", "DEBIAN/postinst", "DEBIAN/postrm"):
        assert os.access(staged / script, os.X_OK), script


def test_control_file(staged: Path, package_deb: ModuleType) -> None:
    fields = dict(line.split(": ", 1) for line in (staged / "DEBIAN/control").read_text().splitlines()
                  if ": " in line and not line.startswith(" "))
    assert fields["Package"] == "cryodesk"
    assert fields["Version"] == __version__
    assert fields["Architecture"] == "amd64"
    assert int(fields["Installed-Size"]) >= 1
    assert "libgl1" in fields["Depends"] and "libxcb-icccm4" in fields["Depends"]
    assert "@" not in fields["Depends"] and "@VERSION@" not in (staged / "DEBIAN/control").read_text()


def test_desktop_entry_opens_cryodesk_projects() -> None:
    entry = dict(line.split("=", 1) for line in (TEMPLATES / "cryodesk.desktop").read_text().splitlines() if "=" in line)
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "/opt/cryodesk/cryodesk-open %f"
    assert entry["Icon"] == "cryodesk"
    assert "application/x-cryodesk" in entry["MimeType"].split(";")
    assert entry["Terminal"] == "false"


def test_mime_type_matches_the_project_files() -> None:
    ns = "{http://www.freedesktop.org/standards/shared-mime-info}"
    root = ElementTree.parse(TEMPLATES / "cryodesk-mime.xml").getroot()
    mime = root.find(f"{ns}mime-type")
    assert mime is not None and mime.get("type") == "application/x-cryodesk"
    assert mime.find(f"{ns}glob").get("pattern") == "*.cryodesk"
    inner = mime.find(f"{ns}magic/{ns}match/{ns}match")
    assert int(inner.get("value"), 16) == APPLICATION_ID and inner.get("offset") == "68"


def test_maintainer_scripts_are_valid_sh_and_leave_homes_alone() -> None:
    for name in ("postinst", "postrm", "cryodesk-open"):
        text = (TEMPLATES / name).read_text()
        subprocess.run(["sh", "-n", str(TEMPLATES / name)], check=True)
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        for forbidden in ("$HOME", "/home", "/root", "~", ".config", ".local", "XDG_"):
            assert forbidden not in code, f"{name} mentions {forbidden}"


def test_launcher_passes_the_project_or_opens_the_default(staged: Path) -> None:
    launcher = staged / "opt/cryodesk/cryodesk-open"
    with_file = subprocess.run([str(launcher), "/data/my lab.cryodesk"], capture_output=True, text=True, check=True)
    assert with_file.stdout.splitlines() == [f"cryodesk {__version__}", "--project", "/data/my lab.cryodesk", "gui"]
    plain = subprocess.run([str(launcher)], capture_output=True, text=True, check=True)
    assert plain.stdout.splitlines() == [f"cryodesk {__version__}", "gui"]


@needs_dpkg_deb
def test_deb_archive_contents(tmp_path: Path, staged: Path, package_deb: ModuleType) -> None:
    deb = package_deb.build(staged, tmp_path / package_deb.deb_file_name(__version__, "amd64"))
    info = subprocess.run(["dpkg-deb", "-f", str(deb), "Package", "Version"], capture_output=True, text=True,
                          check=True).stdout
    assert f"Package: cryodesk\nVersion: {__version__}" in info
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    assert all(" root/root " in line for line in listing.splitlines())  # --root-owner-group, no fakeroot
    paths = [line.split()[5] for line in listing.splitlines()]
    assert "./opt/cryodesk/cryodesk" in paths and "./usr/bin/cryodesk" in paths


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _dpkg(root: Path, *args: str) -> None:
    subprocess.run(["dpkg", f"--root={root}", "--force-script-chrootless", "--force-depends", "--force-not-root",
                    *args], check=True, capture_output=True)


@needs_dpkg
def test_upgrade_over_an_older_package_and_purge_keep_user_data(tmp_path: Path, package_deb: ModuleType) -> None:
    root = tmp_path / "root"
    for sub in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/log"):
        (root / sub).mkdir(parents=True)
    for name in ("status", "available"):
        (root / "var/lib/dpkg" / name).touch()
    home = tmp_path / "home"  # a user of the older version: settings and a project
    (home / ".config/CryoDesk").mkdir(parents=True)
    (home / ".config/CryoDesk/settings.json").write_text('{"schema_version": 1}')
    (home / ".local/share/CryoDesk").mkdir(parents=True)
    (home / ".local/share/CryoDesk/default.cryodesk").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    before = _digest(home)

    old = package_deb.build(package_deb.stage(fake_bundle(tmp_path / "old", "0.0.1", "old-only.txt"),
                                              tmp_path / "old-stage", "0.0.1", "amd64"), tmp_path / "old.deb")
    new = package_deb.build(package_deb.stage(fake_bundle(tmp_path / "new", __version__), tmp_path / "new-stage",
                                              __version__, "amd64"), tmp_path / "new.deb")
    _dpkg(root, "-i", str(old))
    assert (root / "opt/cryodesk/_internal/old-only.txt").exists()
    _dpkg(root, "-i", str(new))
    out = subprocess.run([str(root / "opt/cryodesk/cryodesk")], capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"cryodesk {__version__}"
    assert not (root / "opt/cryodesk/_internal/old-only.txt").exists()  # files of the old version are gone
    assert _digest(home) == before

    _dpkg(root, "--purge", "cryodesk")
    assert not (root / "opt/cryodesk").exists()
    assert not (root / "usr/bin/cryodesk").exists() and not (root / "usr/bin/cryodesk").is_symlink()
    assert not (root / "usr/share/applications/cryodesk.desktop").exists()
    assert not (root / "usr/share/mime/packages/cryodesk.xml").exists()
    assert _digest(home) == before


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_entry_is_valid() -> None:
    done = subprocess.run(["desktop-file-validate", str(TEMPLATES / "cryodesk.desktop")], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout


@pytest.mark.skipif(shutil.which("update-mime-database") is None, reason="shared-mime-info not installed")
def test_mime_database_accepts_the_type(tmp_path: Path) -> None:
    (tmp_path / "packages").mkdir()
    shutil.copy(TEMPLATES / "cryodesk-mime.xml", tmp_path / "packages" / "cryodesk.xml")
    subprocess.run(["update-mime-database", str(tmp_path)], check=True, capture_output=True)
    assert "application/x-cryodesk:*.cryodesk" in (tmp_path / "globs2").read_text()
    assert b"CRYD" in (tmp_path / "magic").read_bytes()  # application_id, big-endian, at offset 68
