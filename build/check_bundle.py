"""Prove the built bundle works where users get it, and measure it. Run after build/build.py.

    python3.11 build/check_bundle.py

1. Unpack the .tar.gz into a temporary folder and run ``cryodesk --self-test`` there with a clean HOME,
   no PYTHONPATH, no source tree on any path and no display (the self-test goes offscreen).
2. Time the start-up to an interactive main window (``--self-test --only gui``, three runs).
3. First start: ``cryodesk init`` seeds the default library from the bundled resources (timed, counted).
4. A project written by schema version 1 is migrated when the frozen app opens it (``cryodesk info``).
5. The .deb, installed with ``dpkg --root`` into a scratch root over an older package: the user's
   settings and projects are byte-for-byte untouched by install, upgrade and purge, and purge leaves no
   package file behind.

Prints a readable report and writes build/out/check-figures.json; exits non-zero on any failure.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

import package_deb  # noqa: E402

import build as build_script  # noqa: E402 - build/build.py, beside this file

failures: list[str] = []
figures: dict[str, object] = {}


def log(message: str) -> None:
    print(f"[check] {message}", flush=True)


def fail(message: str) -> None:
    failures.append(message)
    log(f"FAIL: {message}")


def clean_env(home: Path) -> dict[str, str]:
    """What a fresh user session has: a HOME, a PATH, a locale; nothing of ours or of Python's."""
    env = {"HOME": str(home), "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": os.environ.get("LANG", "C.UTF-8")}
    return env


def run(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float = 1800) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    return done, time.perf_counter() - started


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (relative path -> digest): proof that nothing changed."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def unpack(archive: Path, into: Path) -> Path:
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="tar")
    (top,) = [p for p in into.iterdir() if p.is_dir()]
    return top


# A project exactly as schema version 1 wrote it (as in tests/store/test_project.py), with DMSO in it. Run by
# the build environment's Python (it has apsw); the frozen app only opens the file. argv[1] is the path.
V1_PROJECT_SCRIPT = """
import sys
import apsw
from cryodesk.store.schema import APPLICATION_ID, MIGRATIONS
conn = apsw.Connection(sys.argv[1])
conn.execute("PRAGMA journal_mode = wal")
with conn:
    conn.execute(MIGRATIONS[0])
    conn.execute("PRAGMA user_version = 1; PRAGMA application_id = %d" % APPLICATION_ID)
    conn.execute("INSERT INTO compounds (inchikey, smiles, inchi, formula, std_version, name, created_at,"
                 " updated_at) VALUES (?,?,?,?,?,?,?,?)", ("IAZDPXIOMUYVGZ-UHFFFAOYSA-N", "CS(C)=O",
                 "InChI=1S/C2H6OS/c1-4(2)3/h1-2H3", "C2H6OS", "v1", "DMSO", "t", "t"))
conn.close()
"""


def make_v1_project(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(build_script.venv_python()), "-c", V1_PROJECT_SCRIPT, str(path)], check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})


def user_dirs(home: Path) -> dict[str, Path]:
    # platformdirs on Linux with no XDG_* variables set (clean_env sets none).
    return {"data": home / ".local/share/CryoDesk", "config": home / ".config/CryoDesk",
            "logs": home / ".local/state/CryoDesk/log", "cache": home / ".cache/CryoDesk"}


def check_self_test(app: Path, scratch: Path) -> None:
    home = scratch / "home-selftest"
    home.mkdir()
    report = scratch / "selftest.json"
    done, seconds = run([str(app), "--self-test", "--json", str(report)], clean_env(home), scratch)
    figures["self_test_seconds"] = round(seconds, 1)
    print(done.stdout)
    if done.returncode != 0:
        fail(f"frozen self-test exited {done.returncode}\n{done.stderr[-3000:]}")
        return
    result = json.loads(report.read_text())
    figures["self_test"] = {c["name"]: c["ok"] for c in result["checks"]}
    figures["self_test_figures"] = result["figures"]
    (OUT / "self-test-report.txt").write_text(done.stdout, encoding="utf-8")
    if not (user_dirs(home)["logs"] / "self-test.log").is_file():
        fail("the self-test wrote no report to the user log folder")


def check_startup(app: Path, scratch: Path, runs: int = 3) -> None:
    ages, walls = [], []
    for i in range(runs):
        home = scratch / f"home-start{i}"
        home.mkdir()
        report = scratch / f"start{i}.json"
        done, wall = run([str(app), "--self-test", "--only", "gui", "--json", str(report)], clean_env(home), scratch)
        if done.returncode != 0:
            fail(f"GUI start-up run {i} failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
            return
        got = json.loads(report.read_text())["figures"]
        ages.append(got.get("interactive_since_process_start", got["gui_seconds"]))
        walls.append(wall)
    figures["startup_to_interactive_window_s"] = {"runs": [round(a, 2) for a in ages],
                                                  "median": round(statistics.median(ages), 2)}
    figures["startup_process_wall_s"] = [round(w, 2) for w in walls]
    log(f"start-up to an interactive window (offscreen): {[round(a, 2) for a in ages]} s")


def check_first_start(app: Path, scratch: Path) -> None:
    home = scratch / "home-first"
    home.mkdir()
    env = clean_env(home)
    done, seconds = run([str(app), "init"], env, scratch)
    figures["first_start_seed_seconds"] = round(seconds, 1)
    if done.returncode != 0:
        fail(f"cryodesk init exited {done.returncode}: {done.stderr[-3000:]}")
        return
    info, _ = run([str(app), "--json", "info"], env, scratch)
    if info.returncode != 0:
        fail(f"cryodesk info after init exited {info.returncode}: {info.stderr[-2000:]}")
        return
    tables = json.loads(info.stdout)["tables"]
    figures["first_start_counts"] = tables
    log(f"first start seeded the default library in {seconds:.1f} s: {tables}")
    if tables.get("compounds", 0) < 1000:
        fail(f"the seeded default library has only {tables.get('compounds')} compounds")
    if not (user_dirs(home)["data"] / "default.cryodesk").is_file():
        fail("no default project in the user's data folder after the first start")


def check_migration(app: Path, scratch: Path) -> None:
    home = scratch / "home-migrate"
    project = user_dirs(home)["data"] / "default.cryodesk"
    make_v1_project(project)
    env = clean_env(home)
    info, _ = run([str(app), "--json", "info"], env, scratch)
    show, _ = run([str(app), "--json", "show", "DMSO"], env, scratch)
    if info.returncode != 0 or show.returncode != 0:
        fail(f"frozen app on a schema-1 project: info {info.returncode}, show {show.returncode}: "
             f"{info.stderr[-1500:]} {show.stderr[-1500:]}")
        return
    version = json.loads(info.stdout)["schema_version"]
    figures["migrated_schema_version"] = version
    if version < 2 or "IAZDPXIOMUYVGZ-UHFFFAOYSA-N" not in show.stdout:
        fail(f"schema-1 project after opening: schema {version}, DMSO kept: {'IAZDPXIOMUYVGZ' in show.stdout}")
    else:
        log(f"schema-1 project migrated to schema {version} by the frozen app, its data kept")


def dpkg(root: Path, *args: str) -> None:
    # --force-depends: the scratch root's package database is empty, so every Depends is "missing" there.
    done = subprocess.run(["dpkg", f"--root={root}", "--force-script-chrootless", "--force-depends",
                           "--force-not-root", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"dpkg {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def check_deb(deb: Path, scratch: Path) -> None:
    if not shutil.which("dpkg"):
        log("no dpkg here: package install test skipped")
        return
    root = scratch / "root"
    for sub in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/log"):
        (root / sub).mkdir(parents=True)
    for name in ("status", "available"):
        (root / "var/lib/dpkg" / name).touch()
    # A user who ran an older CryoDesk: settings, GUI settings and a schema-1 project in their home.
    home = scratch / "home-deb"
    dirs = user_dirs(home)
    dirs["config"].mkdir(parents=True)
    (dirs["config"] / "settings.json").write_text('{"schema_version": 1, "dark_mode": true}', encoding="utf-8")
    (home / ".config/CryoDesk/CryoDesk.conf").write_text("[General]\nschema=1\n", encoding="utf-8")
    make_v1_project(dirs["data"] / "default.cryodesk")
    before = tree_digest(home)

    old_bundle = scratch / "old-bundle"
    (old_bundle / "_internal").mkdir(parents=True)
    (old_bundle / "cryodesk").write_text("#!/bin/sh\necho cryodesk 0.0.1\n", encoding="utf-8")
    (old_bundle / "cryodesk").chmod(0o755)
    (old_bundle / "_internal" / "only-in-0.0.1.txt").write_text("gone after the upgrade\n", encoding="utf-8")
    old_deb = package_deb.build(package_deb.stage(old_bundle, scratch / "old-stage", "0.0.1"), scratch / "old.deb")

    started = time.perf_counter()
    dpkg(root, "-i", str(old_deb))
    dpkg(root, "-i", str(deb))  # the upgrade
    figures["deb_upgrade_install_seconds"] = round(time.perf_counter() - started, 1)
    installed = root / "opt/cryodesk"
    if (installed / "_internal/only-in-0.0.1.txt").exists():
        fail("a file of the older package survived the upgrade")
    if tree_digest(home) != before:
        fail("installing/upgrading the package changed files in the user's home")
    done, _ = run([str(installed / "cryodesk"), "--json", "info"], clean_env(home), scratch)
    if done.returncode != 0 or json.loads(done.stdout)["schema_version"] < 2:
        fail(f"the installed app did not open/migrate the user's schema-1 project: {done.stderr[-1500:]}")
    config_before = {k: v for k, v in tree_digest(home).items() if k.startswith(".config")}
    dpkg(root, "--purge", "cryodesk")
    if installed.exists() or (root / "usr/bin/cryodesk").exists() or (root / "usr/share/applications/cryodesk.desktop").exists():
        fail("purge left package files behind")
    if {k: v for k, v in tree_digest(home).items() if k.startswith(".config")} != config_before:
        fail("purging the package changed the user's settings")
    if not (dirs["data"] / "default.cryodesk").exists():
        fail("purging the package removed the user's project")
    log("deb: older package upgraded, user settings and projects untouched, migrated on open, purge clean")


def main() -> int:
    version = build_script.app_version()
    archive = OUT / f"cryodesk-{version}-{build_script.platform_tag()}.tar.gz"
    deb = OUT / package_deb.deb_file_name(version)
    if not archive.exists():
        raise SystemExit(f"{archive} missing: run build/build.py first")
    with tempfile.TemporaryDirectory(prefix="cryodesk-check-") as tmp:
        scratch = Path(tmp)
        top = unpack(archive, scratch / "unpacked")
        app = top / "cryodesk"
        log(f"unpacked {archive.name} into {top}")
        check_self_test(app, scratch)
        check_startup(app, scratch)
        check_first_start(app, scratch)
        check_migration(app, scratch)
        if deb.exists():
            check_deb(deb, scratch)
        else:
            log(f"{deb.name} not built: package install test skipped")
    build_figures = OUT / "build-figures.json"
    if build_figures.exists():
        figures["build"] = json.loads(build_figures.read_text())
    (OUT / "check-figures.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2))
    if failures:
        log(f"{len(failures)} check(s) failed")
        return 1
    log("all bundle checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
