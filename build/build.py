"""Build the CryoDesk installers: clean build environment -> PyInstaller bundle -> .tar.gz, .deb, SHA256SUMS.

    python3.11 build/build.py             # everything (what `make bundle` runs before build/check_bundle.py)
    python3.11 build/build.py --reuse-venv  # keep build/out/venv if its inputs did not change

Runs with the standard library only, under the Python the bundle is for (3.11). Output in build/out/:
``dist/cryodesk/`` (the one-folder bundle), ``cryodesk-<version>-linux-x86_64.tar.gz``,
``cryodesk_<version>_<arch>.deb``, ``SHA256SUMS`` and ``build-figures.json`` (sizes and times).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
VENV = OUT / "venv"
DIST = OUT / "dist"
WORK = OUT / "work"
APP = "cryodesk"

# Never in the bundle's environment: test and lint tools (and a second Qt binding, which aborts the build).
FORBIDDEN_IN_VENV = ("pytest", "hypothesis", "ruff", "import-linter", "pytest-qt", "PyQt5", "PyQt6", "PySide2")


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def app_version() -> str:
    text = (ROOT / "cryodesk" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if not match:
        raise SystemExit("cannot read __version__ from cryodesk/__init__.py")
    return match.group(1)


def runtime_requirements() -> list[str]:
    """The [project] dependencies of pyproject.toml: what the app needs at run time, nothing of [dev]."""
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return list(tomllib.load(handle)["project"]["dependencies"])


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def venv_inputs_digest() -> str:
    digest = hashlib.sha256()
    for path in (ROOT / "requirements.lock", HERE / "requirements-build.txt"):
        digest.update(path.read_bytes())
    digest.update("\n".join(runtime_requirements()).encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def make_venv(reuse: bool) -> None:
    """A fresh venv with the runtime dependencies at the lock's versions, then the pinned build tools."""
    stamp = VENV / ".cryodesk-build-stamp"
    wanted = venv_inputs_digest()
    if reuse and stamp.exists() and stamp.read_text() == wanted:
        log(f"reusing {VENV} (inputs unchanged)")
        return
    if VENV.exists():
        shutil.rmtree(VENV)
    log(f"creating {VENV} with {sys.executable}")
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(venv_python()), "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    # -c requirements.lock: the exact versions `make test` tests; only the runtime dependencies are asked for,
    # so pytest, ruff and friends (also in the lock) never enter the bundle.
    subprocess.run([*pip, "--only-binary=:all:", "-c", str(ROOT / "requirements.lock"), *runtime_requirements()],
                   check=True)
    subprocess.run([*pip, "-r", str(HERE / "requirements-build.txt")], check=True)
    subprocess.run([str(venv_python()), "-m", "pip", "check"], check=True)
    listed = subprocess.run([str(venv_python()), "-m", "pip", "list", "--format=json"], check=True,
                            capture_output=True, text=True).stdout
    installed = {item["name"].lower() for item in json.loads(listed)}
    leaked = [name for name in FORBIDDEN_IN_VENV if name.lower() in installed]
    if leaked:
        raise SystemExit(f"build venv must not contain {leaked}")
    stamp.write_text(wanted)


def freeze() -> float:
    """Run PyInstaller on cryodesk.spec; return the seconds it took."""
    for path in (DIST, WORK):
        if path.exists():
            shutil.rmtree(path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    started = time.perf_counter()
    subprocess.run([str(venv_python()), "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level=WARN",
                    "--distpath", str(DIST), "--workpath", str(WORK), str(ROOT / "cryodesk.spec")],
                   check=True, cwd=ROOT, env=env)
    return time.perf_counter() - started


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def platform_tag() -> str:
    return f"{sys.platform.replace('win32', 'windows')}-{platform.machine().lower()}"


def make_tarball(bundle: Path, version: str) -> Path:
    """cryodesk-<version>-<os>-<arch>.tar.gz with one top folder, files owned by root like the .deb's."""
    name = f"{APP}-{version}-{platform_tag()}"
    target = OUT / f"{name}.tar.gz"

    def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    with tarfile.open(target, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=name, filter=normalise)
    return target


def make_zip(bundle: Path, version: str) -> Path:
    """Windows users expect a .zip (Explorer opens it); same single top folder as the .tar.gz."""
    name = f"{APP}-{version}-{platform_tag()}"
    return Path(shutil.make_archive(str(OUT / name), "zip", root_dir=bundle.parent, base_dir=bundle.name))


def write_checksums(files: list[Path]) -> Path:
    """SHA256SUMS in the format `sha256sum -c` reads."""
    lines = []
    for path in files:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        lines.append(f"{digest.hexdigest()}  {path.name}\n")
    target = OUT / "SHA256SUMS"
    target.write_text("".join(lines), encoding="ascii")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse-venv", action="store_true", help="keep build/out/venv if its inputs are unchanged")
    parser.add_argument("--skip-freeze", action="store_true", help="package the existing build/out/dist")
    parser.add_argument("--no-deb", action="store_true", help="no Debian package (e.g. no dpkg-deb here)")
    args = parser.parse_args(argv)
    if sys.version_info[:2] != (3, 11):
        raise SystemExit(f"build with Python 3.11 (the version the app pins), not {platform.python_version()}")
    OUT.mkdir(parents=True, exist_ok=True)
    version = app_version()
    figures: dict[str, object] = {"version": version}
    started = time.perf_counter()
    if not args.skip_freeze:
        make_venv(args.reuse_venv)
        figures["venv_seconds"] = round(time.perf_counter() - started, 1)
        log("running PyInstaller")
        figures["pyinstaller_seconds"] = round(freeze(), 1)
    bundle = DIST / APP
    if not (bundle / APP).exists() and not (bundle / f"{APP}.exe").exists():
        raise SystemExit(f"no bundle in {bundle}")
    figures["bundle_bytes"] = dir_size(bundle)
    log(f"bundle {bundle}: {figures['bundle_bytes'] / 1e6:.0f} MB")

    artefacts = [make_zip(bundle, version) if sys.platform == "win32" else make_tarball(bundle, version)]
    log(f"archive {artefacts[-1].name}: {artefacts[-1].stat().st_size / 1e6:.0f} MB")
    if not args.no_deb and sys.platform.startswith("linux"):
        sys.path.insert(0, str(HERE))
        import package_deb

        staging = package_deb.stage(bundle, OUT / "deb-root", version)
        artefacts.append(package_deb.build(staging, OUT / package_deb.deb_file_name(version)))
        shutil.rmtree(staging)
        log(f"package {artefacts[-1].name}: {artefacts[-1].stat().st_size / 1e6:.0f} MB")
    sums = write_checksums(artefacts)
    figures.update({f"{p.name}_bytes": p.stat().st_size for p in artefacts})
    figures["total_seconds"] = round(time.perf_counter() - started, 1)
    (OUT / "build-figures.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    log(f"done in {figures['total_seconds']} s: {', '.join(p.name for p in artefacts)}, {sums.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
