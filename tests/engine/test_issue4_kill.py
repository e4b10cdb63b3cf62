"""SIGKILL during ``cryodesk import drugbank|cod|ctx`` a few times, resuming each time.

Each import runs as the real CLI in a subprocess (COD and CTX against the replay server's recorded
replies); kills are aimed at random checkpoint counts plus a random delay, so they land inside and
between write transactions. After the last, uninterrupted run the project must hold exactly the
rows of one uninterrupted import (compounds, identifiers, values, assay results, row errors), in
one job, and SQLite's integrity check must pass.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from cryodesk.config import AppPaths, Settings, save_settings
from cryodesk.store import Project
from tests.bench.bench_drugbank import write_drugbank_xml
from tests.engine.kill_support import kill_at_thresholds
from tests.engine.test_online_import import project_rows
from tests.replay.ctx_routes import REPLAY_KEY
from tests.replay.server import ReplayServer

REPO = Path(__file__).resolve().parents[2]
ETHYLENEDIAMINE = "PIICEJLVQHRZGT-UHFFFAOYSA-N"


def _env(base: Path, server: ReplayServer | None = None) -> dict[str, str]:
    home = base / "home"
    paths = AppPaths(home / "data", home / "cache", home / "logs", home / "config")
    save_settings(Settings(service_rate_limits={"cod": 200.0, "comptox": 200.0}), paths)
    extra = {**server.env(), "CRYODESK_COMPTOX_API_KEY": REPLAY_KEY} if server else {}
    return {**os.environ, "PYTHONPATH": str(REPO), "CRYODESK_HOME": str(home), **extra}


def _cli(project: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "cryodesk.cli.main", "-p", str(project), *args]


def _snapshot(path: Path) -> dict[str, object]:
    with Project.open(path, read_only=True) as project:
        q = project.db.query
        return {
            **project_rows(project),
            "results": set(
                q(
                    "SELECT c.inchikey, a.key, r.outcome, r.value, r.source, r.source_record_id"
                    " FROM assay_results r JOIN compounds c ON c.id = r.compound_id"
                    " JOIN assays a ON a.id = r.assay_id"
                )
            ),
            "jobs": sorted((j.kind, str(j.state), j.done) for j in project.jobs.list()),
            "integrity": project.integrity_check(),
        }


def _kill_resume(
    command: list[str], env: dict[str, str], target: Path, thresholds: list[int], seed: int
) -> str:
    rng = random.Random(seed)
    kills = kill_at_thresholds(command, env, target, thresholds, rng, max_delay=0.03)
    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stdout + final.stderr
    assert kills >= 2, f"only {kills} kills landed"
    return final.stdout


def _compare(
    tmp_path: Path, command_for, env: dict[str, str], thresholds: list[int], seed: int, setup=None
) -> None:
    reference, target = tmp_path / "reference.cryodesk", tmp_path / "killed.cryodesk"
    for project in (reference, target):
        if setup:
            setup(project, env)
    done = subprocess.run(command_for(reference), env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    out = _kill_resume(command_for(target), env, target, thresholds, seed)
    assert "(resumed)" in out
    got, want = _snapshot(target), _snapshot(reference)
    assert got == want


@pytest.mark.slow
def test_drugbank_xml_kill_9_and_resume(tmp_path: Path) -> None:
    xml = write_drugbank_xml(tmp_path / "full database.xml", drugs=300, interactions=5)
    env = _env(tmp_path)
    rng = random.Random(41)
    _compare(
        tmp_path,
        lambda p: _cli(p, "import", "drugbank", str(xml), "--batch-size", "10"),
        env,
        sorted(rng.sample(range(15, 220), 4)),
        41,
    )


def _add_ethylenediamine(project: Path, env: dict[str, str]) -> None:
    csv = project.parent / "ethylenediamine.csv"  # one file for both projects: same provenance
    csv.write_text("smiles,name\nNCCN,ethylenediamine\n", encoding="utf-8")
    subprocess.run(
        _cli(project, "import", "file", str(csv), "--workers", "1"),
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.mark.slow
def test_cod_kill_9_and_resume(tmp_path: Path) -> None:
    refs = ["2000056" if i % 3 else "9999999" for i in range(60)]  # recorded entry + an unknown id
    with ReplayServer() as server:
        env = _env(tmp_path, server)
        rng = random.Random(42)
        _compare(
            tmp_path,
            lambda p: _cli(p, "import", "cod", *refs, "--compound", ETHYLENEDIAMINE),
            env,
            sorted(rng.sample(range(5, 40), 4)),
            42,
            setup=_add_ethylenediamine,
        )


@pytest.mark.slow
def test_ctx_kill_9_and_resume(tmp_path: Path) -> None:
    # Bisphenol A (recorded detail, empty bioactivity = "no data") among unknown DTXSIDs (404 -> row errors)
    queries = ["DTXSID7020182" if i % 10 == 0 else f"DTXSID00{i:05d}" for i in range(120)]
    with ReplayServer() as server:
        env = _env(tmp_path, server)
        rng = random.Random(43)
        _compare(
            tmp_path,
            lambda p: _cli(p, "import", "ctx", *queries, "--batch-size", "4"),
            env,
            sorted(rng.sample(range(8, 90), 4)),
            43,
        )
