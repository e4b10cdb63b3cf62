"""``cryodesk --self-test``: headless checks that an installed (frozen) or source CryoDesk really works.

Each check exercises one thing a bundle can silently lose: RDKit's data folder, the OpenMP runtime of
LightGBM, scikit-learn's compiled parts, the store and its migrations, the HTTP stack (requests,
certifi, diskcache), ``spawn`` worker processes (``freeze_support``), Qt's platform plugins and the
main window. Nothing here touches the user's projects or settings: projects, caches and Qt settings
live in a temporary folder; only the report is written to the user's log folder.

Heavy imports stay inside the checks, so a broken dependency fails its own check, not the whole run.
Exit code 0 only if every check passed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

REPORT_FILE_NAME = "self-test.log"
BUILD_RECORD = "cryodesk_build.json"  # written by cryodesk.spec; see build/bundle_config.py
GLYCEROL_KEY = "PEDCQBHIVMGVHV-UHFFFAOYSA-N"
ACETIC_ACID_KEY = "QTBSBXVTEAMEQO-UHFFFAOYSA-N"
# The dependencies the source tree's pyproject declares, when no build record (source mode) says more.
DEFAULT_IMPORTS = ("rdkit", "PySide6", "apsw", "sklearn", "lightgbm", "networkx", "pyqtgraph", "requests",
                   "diskcache", "platformdirs", "defusedxml", "numpy", "scipy")


@dataclass(slots=True)
class CheckResult:
    name: str
    ok: bool
    seconds: float
    detail: str


@dataclass(slots=True)
class Context:
    """What the checks share: a scratch folder, the build record, figures for the report."""

    workdir: Path
    record: dict[str, Any] | None
    figures: dict[str, float] = field(default_factory=dict)


# -- helpers -------------------------------------------------------------------------------------------
def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def build_record() -> dict[str, Any] | None:
    """The record the spec wrote at build time (frozen only): versions and the descriptor count."""
    base = getattr(sys, "_MEIPASS", None)
    if not base:
        return None
    path = Path(base) / BUILD_RECORD
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # frozen without a record: the RDKit check then fails with a clear message


def process_age() -> float | None:
    """Seconds since this process started (Linux: from /proc), or None where that is not known."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        stat = Path("/proc/self/stat").read_text()
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, counted after the command name
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - start_ticks / ticks)
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _needs_offscreen() -> bool:
    if os.environ.get("QT_QPA_PLATFORM"):
        return False
    if sys.platform.startswith("linux"):
        return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return False


def _worker_probe(chunk: Sequence[int]) -> dict[str, Any]:
    """Runs in a spawned worker: who am I, and does RDKit have its data here too?"""
    from rdkit.Chem import Descriptors

    return {"pid": os.getpid(), "frozen": is_frozen(), "descriptors": len(Descriptors._descList),
            "sum": sum(chunk)}


# -- checks --------------------------------------------------------------------------------------------
def check_imports(ctx: Context) -> str:
    """Every runtime dependency (and every optional one the build bundled) imports."""
    names = list(DEFAULT_IMPORTS)
    if ctx.record:
        names += [n for n in ctx.record.get("runtime_imports", []) if n not in names]
        names += list(ctx.record.get("optional_bundled", []))
    failed = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # any import failure is the finding, whatever its type
            failed.append(f"{name} ({type(exc).__name__}: {exc})")
    if failed:
        raise AssertionError("cannot import " + "; ".join(failed))
    return f"{len(names)} modules import: {', '.join(names)}"


def check_rdkit(ctx: Context) -> str:
    """RDKit's data folder is there: full descriptor list, SaltRemover, one standardisation."""
    import rdkit
    from rdkit import Chem
    from rdkit.Chem import Descriptors
    from rdkit.Chem.SaltRemover import SaltRemover

    from cryodesk.chem import compound_from_text
    from cryodesk.chem.features.descriptors import RDKIT2D_FULL_COUNT, check_rdkit2d_full

    count = len(Descriptors._descList)
    if ctx.record is not None:  # frozen: compare with the environment the bundle was built from
        expected = ctx.record.get("rdkit_descriptor_count")
        if expected is None:
            raise AssertionError(f"the bundle has no build record ({BUILD_RECORD}); {count} descriptors here")
        origin = "recorded at build time"
    else:
        expected, origin = RDKIT2D_FULL_COUNT, "expected by rdkit2d_full v1"
    if count != expected:
        raise AssertionError(f"RDKit provides {count} descriptors, {expected} {origin}: its data folder is missing")
    check_rdkit2d_full()
    stripped = SaltRemover().StripMol(Chem.MolFromSmiles("CN.Cl"))
    if Chem.MolToSmiles(stripped) != "CN":
        raise AssertionError(f"SaltRemover left {Chem.MolToSmiles(stripped)!r} of 'CN.Cl'")
    result = compound_from_text("CC(=O)[O-].[Na+]", kind="smiles", name="sodium acetate")
    if result.compound is None or result.compound.inchikey != ACETIC_ACID_KEY:
        raise AssertionError(f"sodium acetate standardised to {result.compound}, error {result.error}")
    return (f"RDKit {rdkit.__version__}: {count} descriptors ({origin}: {expected}); SaltRemover ok; "
            f"sodium acetate -> parent {result.compound.smiles} {result.compound.inchikey}")


def check_ml(ctx: Context) -> str:
    """A LightGBM (OpenMP runtime) and a random forest (scikit-learn's compiled trees) fit and predict."""
    import lightgbm
    import numpy as np
    import sklearn
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(11)
    x = rng.normal(size=(120, 4))
    y = 2.0 * x[:, 0] - x[:, 1] + 0.1 * rng.normal(size=120)
    lgb = lightgbm.LGBMRegressor(n_estimators=30, num_leaves=7, min_child_samples=5, n_jobs=2, verbose=-1)
    lgb.fit(x, y)
    forest = RandomForestRegressor(n_estimators=20, random_state=0, n_jobs=1).fit(x, y)
    scores = {}
    for label, model in (("LightGBM", lgb), ("random forest", forest)):
        pred = model.predict(x)
        if not np.all(np.isfinite(pred)):
            raise AssertionError(f"{label} predicted non-finite values")
        scores[label] = float(1 - np.sum((pred - y) ** 2) / np.sum((y - y.mean()) ** 2))
        if scores[label] < 0.5:
            raise AssertionError(f"{label} fitted badly (R2 {scores[label]:.2f} on its training data)")
    return (f"LightGBM {lightgbm.__version__} R2 {scores['LightGBM']:.2f}, scikit-learn {sklearn.__version__} "
            f"random forest R2 {scores['random forest']:.2f} (training data, 120 rows)")


def check_project(ctx: Context) -> str:
    """A project is created, written and queried; a schema-1 project is migrated with its data."""
    import apsw

    from cryodesk.chem import compound_from_text
    from cryodesk.domain import Identifier, IdentifierKind
    from cryodesk.store import SCHEMA_VERSION, Project
    from cryodesk.store.schema import APPLICATION_ID, MIGRATIONS

    new_path = ctx.workdir / "new.cryodesk"
    glycerol = compound_from_text("OCC(O)CO", kind="smiles", name="glycerol").compound
    assert glycerol is not None
    with Project.open(new_path) as project:
        project.compounds.upsert_many([glycerol])
        project.identifiers.upsert_many([Identifier(glycerol.inchikey, IdentifierKind.CAS, "56-81-5", "selftest")])
        hits = project.compounds.search_ids("56-81-5")
        if len(hits) != 1 or project.compounds.get(GLYCEROL_KEY) is None:
            raise AssertionError(f"query by CAS found {hits}")
        created = project.db.schema_version()

    # A file exactly as schema version 1 wrote it (as in tests/store), then opened by this version.
    old_path = ctx.workdir / "old-v1.cryodesk"
    conn = apsw.Connection(str(old_path))
    conn.execute("PRAGMA journal_mode = wal")
    with conn:
        conn.execute(MIGRATIONS[0])
        conn.execute(f"PRAGMA user_version = 1; PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(
            "INSERT INTO compounds (inchikey, smiles, inchi, formula, std_version, name, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (glycerol.inchikey, glycerol.smiles, glycerol.inchi, glycerol.formula, "v1", "glycerol", "t", "t"),
        )
    conn.close()
    with Project.open(old_path) as project:
        version = project.db.schema_version()
        kept = project.compounds.get(GLYCEROL_KEY)
        project.view_state.set("selftest", {"ok": True})  # a table schema 1 did not have
        integrity = project.integrity_check()
    if version != SCHEMA_VERSION or kept is None or kept.name != "glycerol" or integrity != "ok":
        raise AssertionError(f"migration of a schema-1 file: version {version}, row {kept}, integrity {integrity}")
    return f"created (schema {created}), written, queried by CAS; schema-1 file migrated to {version}, data kept"


def check_http(ctx: Context) -> str:
    """One request through the HTTP client to a local server this check starts; the second from cache."""
    import http.server
    import threading

    from cryodesk.sources.http import HttpClient, ServiceConfig, ServiceRegistry

    body = json.dumps({"PropertyTable": {"Properties": [{"CID": 753, "MolecularFormula": "C3H8O3"}]}}).encode()
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("selftest http: " + format, *args)  # windowed builds have no stderr to print to

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="selftest-http", daemon=True)
    thread.start()
    try:
        config = ServiceConfig("selftest", f"http://127.0.0.1:{server.server_address[1]}/rest", rate=50.0,
                               connect_timeout=5.0, read_timeout=10.0)
        with HttpClient(config, cache_dir=ctx.workdir / "http-cache", registry=ServiceRegistry()) as client:
            first = client.get_json("compound/cid/753/property/MolecularFormula/JSON")
            second = client.get("compound/cid/753/property/MolecularFormula/JSON")
            metrics = client.metrics()
    finally:
        server.shutdown()
        server.server_close()
    formula = first["PropertyTable"]["Properties"][0]["MolecularFormula"]
    if formula != "C3H8O3" or len(hits) != 1 or not second.from_cache:
        raise AssertionError(f"formula {formula}, server saw {len(hits)} requests, second from cache: "
                             f"{second.from_cache}")
    return f"GET via requests -> {formula}; repeat served from the disk/memory cache ({metrics.cache_hits} hit)"


def check_worker(ctx: Context) -> str:
    """A feature computation in a spawned worker process (the frozen app re-enters via freeze_support)."""
    import numpy as np

    from cryodesk.chem.features.batch import featurize
    from cryodesk.engine.executor import ProcessPoolExecutor

    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=1) as executor:
        probe = executor.map_chunks(_worker_probe, [[1, 2, 3]])[0]
        matrix = featurize(["OCC(O)CO", "CS(C)=O"], "rdkit2d_full", executor=executor)
    ctx.figures["worker_seconds"] = time.perf_counter() - started
    if probe["pid"] == os.getpid():
        raise AssertionError("the chunk ran in this process, not in a worker")
    if probe["frozen"] != is_frozen():
        raise AssertionError(f"worker frozen={probe['frozen']}, parent frozen={is_frozen()}")
    from rdkit.Chem import Descriptors

    if probe["descriptors"] != len(Descriptors._descList):
        raise AssertionError(f"the worker has {probe['descriptors']} RDKit descriptors, this process "
                             f"{len(Descriptors._descList)}")
    if matrix.values.shape != (2, len(matrix.columns)) or not np.isfinite(matrix.values).any() or matrix.failures:
        raise AssertionError(f"featurisation in the worker: shape {matrix.values.shape}, failures {matrix.failures}")
    return (f"worker pid {probe['pid']} (parent {os.getpid()}) computed {matrix.values.shape[1]} rdkit2d_full "
            f"descriptors for 2 molecules in {ctx.figures['worker_seconds']:.1f} s including start-up")


def check_gui(ctx: Context) -> str:
    """A QApplication with the main window shown (offscreen when there is no display) and responsive."""
    if _needs_offscreen():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    # Qt stays inside cryodesk.gui (import contract); imported here so a broken Qt fails only this check.
    from cryodesk.gui.selftest_window import show_main_window

    return show_main_window(ctx.workdir, ctx.figures, process_age)


CHECKS: dict[str, Callable[[Context], str]] = {
    "imports": check_imports,
    "rdkit": check_rdkit,
    "ml": check_ml,
    "project": check_project,
    "http": check_http,
    "worker": check_worker,
    "gui": check_gui,  # last: a QApplication outlives its check
}


# -- running and reporting -----------------------------------------------------------------------------
def run_checks(names: Sequence[str] | None = None, workdir: Path | None = None) -> tuple[list[CheckResult], Context]:
    """Run the named checks (all by default) in order; a failure never stops the others."""
    selected = list(names) if names else list(CHECKS)
    unknown = [n for n in selected if n not in CHECKS]
    if unknown:
        raise ValueError(f"unknown checks: {', '.join(unknown)} (known: {', '.join(CHECKS)})")
    with tempfile.TemporaryDirectory(prefix="cryodesk-selftest-") as scratch:
        ctx = Context(Path(workdir or scratch), build_record() if is_frozen() else None)
        ctx.workdir.mkdir(parents=True, exist_ok=True)
        results = []
        for name in (n for n in CHECKS if n in selected):  # always in the safe order
            started = time.perf_counter()
            try:
                detail, ok = CHECKS[name](ctx), True
            except Exception as exc:  # report every failure and go on with the next check
                log.exception("self-test check %s failed", name)
                detail, ok = f"{type(exc).__name__}: {exc}", False
                if not isinstance(exc, AssertionError):
                    detail += "\n" + "".join(traceback.format_exception(exc)[-3:]).rstrip()
            results.append(CheckResult(name, ok, time.perf_counter() - started, detail))
        return results, ctx


def format_report(results: Sequence[CheckResult], ctx: Context, total: float) -> str:
    from cryodesk import __version__

    mode = "frozen bundle" if is_frozen() else "source"
    lines = [
        f"CryoDesk {__version__} self-test ({mode}) on {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}",
        f"executable: {sys.executable}",
    ]
    if ctx.record:
        lines.append(f"built {ctx.record.get('built_at')} with PyInstaller {ctx.record.get('pyinstaller')}, "
                     f"RDKit {ctx.record.get('rdkit')}")
    lines.append("")
    for r in results:
        first, *rest = r.detail.splitlines() or [""]
        lines.append(f"[{'PASS' if r.ok else 'FAIL'}] {r.name:<8} {r.seconds:6.1f} s  {first}")
        lines += [f"{'':>20}{line}" for line in rest]
    passed = sum(r.ok for r in results)
    lines += ["", f"{passed} passed, {len(results) - passed} failed in {total:.1f} s"]
    return "\n".join(lines)


def report_path() -> Path:
    from cryodesk.config import app_paths

    return app_paths().log_dir / REPORT_FILE_NAME


def write_report(text: str) -> Path | None:
    """Keep the report in the user's log folder: a windowed app has no stdout to show it."""
    try:
        path = report_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
        return path
    except OSError:
        log.exception("cannot write the self-test report")
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cryodesk --self-test [--only a,b] [--json FILE]``; 0 only if all checks passed."""
    parser = argparse.ArgumentParser(prog="cryodesk --self-test", description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"comma-separated checks to run (default all: {','.join(CHECKS)})")
    parser.add_argument("--json", dest="json_path", help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    if not logging.getLogger().handlers:  # library logs (and tracebacks of failed checks) go to a file
        from cryodesk.config import app_paths

        log_dir = app_paths().log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        logging.basicConfig(filename=log_dir / "self-test-debug.log", filemode="w", level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s")
    started = time.perf_counter()
    names = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else None
    try:
        results, ctx = run_checks(names)
    except ValueError as exc:
        parser.error(str(exc))
    text = format_report(results, ctx, time.perf_counter() - started)
    path = write_report(text)
    if path is not None:
        text += f"\nreport: {path}"
    if sys.stdout is not None:
        print(text, flush=True)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps({
            "ok": all(r.ok for r in results),
            "frozen": is_frozen(),
            "checks": [{"name": r.name, "ok": r.ok, "seconds": round(r.seconds, 3), "detail": r.detail}
                       for r in results],
            "figures": {k: round(v, 3) for k, v in ctx.figures.items()},
            "build_record": ctx.record,
        }, indent=2), encoding="utf-8")
    return 0 if results and all(r.ok for r in results) else 1
