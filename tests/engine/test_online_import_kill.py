"""SIGKILL during a PubChem import, at random points, at least 10 times; each run resumes the last.

The import runs as the real CLI in a subprocess, talking to a replay server started by this test
(``CRYODESK_PUBCHEM_BASE``); a settings file in the subprocess's ``CRYODESK_HOME`` raises the
rate limit so the whole test stays well under a minute. Kills are aimed at random checkpoint counts
plus a random delay, so they land inside write transactions, between them, while a batch is being
standardised and while the next one is being fetched. The final project must hold exactly the rows
of an uninterrupted import, the committed work counters of the job metrics must match too, and
SQLite's integrity check must pass after every kill.
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
from tests.engine.kill_support import kill_at_thresholds
from tests.engine.test_online_import import project_rows
from tests.replay import ReplayServer

KILLS = 10
CIDS = [*range(1, 361), 900_000_011, 900_000_012]  # two unknown CIDs: row errors must survive too
BATCH = 20
WORK_COUNTERS = ("compounds_stored", "compounds_new", "values_new", "identifiers", "missing", "rejected", "batches")
REPO = Path(__file__).resolve().parents[2]


def _home(base: Path) -> Path:
    """A CRYODESK_HOME whose settings let PubChem requests go fast (the replay server has no limit)."""
    paths = AppPaths(base / "data", base / "cache", base / "logs", base / "config")
    save_settings(Settings(service_rate_limits={"pubchem": 200.0}), paths)
    return base


def _cli(project: Path) -> list[str]:
    return [sys.executable, "-m", "cryodesk.cli.main", "-p", str(project), "import", "pubchem",
            "--cids", ",".join(map(str, CIDS)), "--batch-size", str(BATCH)]


def _env(server: ReplayServer, home: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "CRYODESK_HOME": str(home), **server.env()}



def _snapshot(path: Path) -> dict[str, object]:
    with Project.open(path, read_only=True) as project:
        jobs = project.jobs.list()
        return {
            **project_rows(project),
            "integrity": project.integrity_check(),
            "jobs": [(j.kind, j.state, j.done, j.total) for j in jobs],
            "work": [{k: j.metrics.get(k) for k in WORK_COUNTERS} for j in jobs],
        }


@pytest.mark.slow
def test_kill_9_at_random_points_then_resume_gives_the_uninterrupted_result(tmp_path: Path) -> None:
    with ReplayServer() as server:
        reference = tmp_path / "reference.cryodesk"
        done = subprocess.run(_cli(reference), env=_env(server, _home(tmp_path / "home-ref")), capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr

        target = tmp_path / "killed.cryodesk"
        env = _env(server, _home(tmp_path / "home-kill"))  # a cold cache of its own
        rng = random.Random(20261127)
        thresholds = sorted(rng.sample(range(1, len(CIDS) - 2 * BATCH), KILLS))
        kills = kill_at_thresholds(_cli(target), env, target, thresholds, rng)
        final = subprocess.run(_cli(target), env=env, capture_output=True, text=True, timeout=60)
        assert final.returncode == 0, final.stderr
        assert "(resumed)" in final.stdout
        assert kills >= KILLS

    got, want = _snapshot(target), _snapshot(reference)
    assert got["integrity"] == "ok"
    for table in ("compounds", "identifiers", "values", "row_errors"):
        assert got[table] == want[table], table
    assert got["jobs"] == want["jobs"]  # one job, resumed each time, never a second one
    assert got["work"] == want["work"]  # work counters are committed with their batch: exact after kills
