"""Wrap a PyInstaller one-folder bundle in a Debian package (stdlib only; ``dpkg-deb`` does the archive).

Layout of the package:

    /opt/cryodesk/                      the bundle as PyInstaller made it, plus the cryodesk-open launcher
    /usr/bin/cryodesk                   symlink to /opt/cryodesk/cryodesk (the CLI and the GUI)
    /usr/share/applications/cryodesk.desktop
    /usr/share/mime/packages/cryodesk.xml        application/x-cryodesk for *.cryodesk
    /usr/share/icons/hicolor/{scalable,256x256}/apps/cryodesk.{svg,png} (+ the MIME type's icon)
    /usr/share/doc/cryodesk/copyright

Nothing is installed into or read from a home folder; settings and projects therefore survive any
upgrade and removal. ``dpkg-deb --build --root-owner-group`` makes every file root-owned without
fakeroot.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "templates"
PACKAGE = "cryodesk"
INSTALL_DIR = Path("opt") / PACKAGE

# What the bundle takes from the system, measured with ldd over every library in the bundle (Debian 12
# build): the C library, the OpenGL/EGL driver stack (PyInstaller never bundles it: it must match the
# machine's driver), libxcb itself, the Wayland client libraries, and two xcb helpers that Qt's xcb platform
# plugin links and the PySide6 wheel does not carry. Everything else (fontconfig, freetype, xkbcommon,
# glib, dbus, libX11, xcb-cursor, OpenMP, ICU) ships inside the bundle. glibc 2.36: the newest symbol
# version used by the bundled libraries (objdump -T).
DEPENDS = (
    "libc6 (>= 2.36)",
    "libgl1",
    "libegl1",
    "libdrm2",
    "libxcb1",
    "libxcb-icccm4",
    "libxcb-keysyms1",
    "libwayland-client0",
    "libwayland-cursor0",
    "libwayland-egl1",
)

COPYRIGHT = """\
CryoDesk {version}
Copyright: the CryoDesk authors. Licence: proprietary (see pyproject.toml).

This package bundles a Python runtime and third-party libraries (Qt/PySide6 under the LGPL-3.0,
RDKit, NumPy, SciPy, scikit-learn, LightGBM, apsw, requests and others under their own licences):
their licence files are in /opt/cryodesk/_internal/*.dist-info and beside the libraries.
The embedded data sets keep their licences and citations in /opt/cryodesk/_internal/resources.
"""


def deb_architecture() -> str:
    """Debian's name for this machine's architecture (amd64, arm64, ...)."""
    if shutil.which("dpkg"):
        out = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def _copy_tree(src: Path, dst: Path) -> None:
    # Hard links when possible: the bundle is hundreds of MB and the staging tree is thrown away.
    def link_or_copy(a: str, b: str) -> None:
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    shutil.copytree(src, dst, symlinks=True, copy_function=link_or_copy)


def _installed_size_kib(root: Path) -> int:
    total = 0
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and "DEBIAN" not in path.relative_to(root).parts[:1]:
            total += path.stat().st_size
    return max(1, total // 1024)


def _install(src: Path, dst: Path, mode: int = 0o644) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    dst.chmod(mode)


def stage(bundle: Path, staging: Path, version: str, arch: str | None = None) -> Path:
    """Lay out the package tree of ``bundle`` (a PyInstaller one-folder output) in ``staging``."""
    if not (bundle / PACKAGE).is_file():
        raise FileNotFoundError(f"{bundle} is not a bundle: no {PACKAGE} executable in it")
    if staging.exists():
        shutil.rmtree(staging)
    opt = staging / INSTALL_DIR
    _copy_tree(bundle, opt)
    _install(TEMPLATES / "cryodesk-open", opt / "cryodesk-open", 0o755)

    usr_bin = staging / "usr" / "bin"
    usr_bin.mkdir(parents=True)
    (usr_bin / PACKAGE).symlink_to(Path("/") / INSTALL_DIR / PACKAGE)

    share = staging / "usr" / "share"
    _install(TEMPLATES / "cryodesk.desktop", share / "applications" / "cryodesk.desktop")
    _install(TEMPLATES / "cryodesk-mime.xml", share / "mime" / "packages" / "cryodesk.xml")
    icons = share / "icons" / "hicolor"
    _install(TEMPLATES / "cryodesk.svg", icons / "scalable" / "apps" / "cryodesk.svg")
    _install(TEMPLATES / "cryodesk.png", icons / "256x256" / "apps" / "cryodesk.png")
    _install(TEMPLATES / "cryodesk.svg", icons / "scalable" / "mimetypes" / "application-x-cryodesk.svg")
    doc = share / "doc" / PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(COPYRIGHT.format(version=version), encoding="utf-8")

    debian = staging / "DEBIAN"
    debian.mkdir()
    control = (TEMPLATES / "control.in").read_text(encoding="utf-8")
    control = (control.replace("@VERSION@", version)
               .replace("@ARCH@", arch or deb_architecture())
               .replace("@INSTALLED_SIZE@", str(_installed_size_kib(staging)))
               .replace("@DEPENDS@", ", ".join(DEPENDS)))
    (debian / "control").write_text(control, encoding="utf-8")
    for script in ("postinst", "postrm"):
        _install(TEMPLATES / script, debian / script, 0o755)
    # dpkg-deb refuses group/world-writable control folders, which a umask of 002 would give.
    for path in [staging, *staging.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    return staging


def build(staging: Path, out_file: Path) -> Path:
    """Archive a staged tree with dpkg-deb (gzip: every dpkg reads it, and it is quick on 2 cores)."""
    out_file.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", "-Zgzip", "-z6", str(staging), str(out_file)],
                   check=True, stdout=subprocess.DEVNULL)
    return out_file


def deb_file_name(version: str, arch: str | None = None) -> str:
    return f"{PACKAGE}_{version}_{arch or deb_architecture()}.deb"
