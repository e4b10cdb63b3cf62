"""SIGKILL during a PubMed import, at random points, at least 10 times; each run resumes the last.

The import runs as the real CLI (``cryodesk import pubmed``) in a subprocess against a replay
server started here (``CRYODESK_NCBI_BASE``); the settings in the subprocess's ``CRYODESK_HOME``
raise the NCBI rate so the test stays well under a minute. Kills are aimed at random checkpoint
counts plus a random delay, so they land inside write transactions, between them, while a batch is
mined and while the next one is fetched. The final project must hold exactly the rows of an
uninterrupted import (records, evidence, literature values, row errors), the job's committed work
counters must match, and SQLite's integrity check must pass after every kill.
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
from tests.engine.test_literature_import import literature_rows, seed_compounds
from tests.replay import ReplayServer

KILLS = 10
QUERY = "induced"
MAX = 240
BATCH = 10
WORK_COUNTERS = ("records_stored", "records_new", "missing", "mentions", "mentions_unlinked", "evidence_new",
                 "values_new", "batches", "pmids_found")
REPO = Path(__file__).resolve().parents[2]


def _home(base: Path) -> Path:
    paths = AppPaths(base / "data", base / "cache", base / "logs", base / "config")
    save_settings(Settings(service_rate_limits={"ncbi": 200.0}, contact_email="lab@example.org"), paths)
    return base


def _project(path: Path) -> Path:
    with Project.open(path) as project:
        seed_compounds(project, mixtures=True)
    return path


def _cli(project: Path) -> list[str]:
    return [sys.executable, "-m", "cryodesk.cli.main", "-p", str(project), "import", "pubmed", "--query", QUERY,
            "--max", str(MAX), "--batch-size", str(BATCH)]


def _env(server: ReplayServer, home: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "CRYODESK_HOME": str(home), **server.env()}



def _snapshot(path: Path) -> dict[str, object]:
    with Project.open(path, read_only=True) as project:
        jobs = project.jobs.list()
        return {
            **literature_rows(project),
            "integrity": project.integrity_check(),
            "jobs": [(j.kind, j.state, j.done, j.total) for j in jobs],
            "work": [{k: j.metrics.get(k) for k in WORK_COUNTERS} for j in jobs],
            "checkpoints": [j.checkpoint for j in jobs],
        }


@pytest.mark.slow
def test_kill_9_at_random_points_then_resume_gives_the_uninterrupted_result(tmp_path: Path) -> None:
    with ReplayServer() as server:
        reference = _project(tmp_path / "reference.cryodesk")
        done = subprocess.run(_cli(reference), env=_env(server, _home(tmp_path / "home-ref")), capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr

        target = _project(tmp_path / "killed.cryodesk")
        env = _env(server, _home(tmp_path / "home-kill"))  # a cold HTTP cache of its own
        rng = random.Random(20260301)
        # From 1 (the search is committed by then) to well before the end: a batch is mined in a
        # few milliseconds, so a kill aimed at the last batches could come after the job finished.
        thresholds = sorted(rng.sample(range(1, MAX - 8 * BATCH), KILLS))
        kills = kill_at_thresholds(_cli(target), env, target, thresholds, rng)
        final = subprocess.run(_cli(target), env=env, capture_output=True, text=True, timeout=60)
        assert final.returncode == 0, final.stderr
        assert "(resumed)" in final.stdout
        assert kills >= KILLS, f"only {kills} kills landed before the job finished"
        searches = [r for r in server.requests if "esearch" in r.path]
        assert len(searches) == 2  # one per project: resumed runs never search again

    got, want = _snapshot(target), _snapshot(reference)
    assert got["integrity"] == "ok"
    for table in ("records", "evidence", "values", "row_errors"):
        assert got[table] == want[table], table
    assert len(got["records"]) == MAX and got["evidence"] and got["values"]
    assert got["jobs"] == want["jobs"]  # one job, resumed each time, never a second one
    assert got["work"] == want["work"]  # work counters are committed with their batch: exact after kills
    assert got["checkpoints"] == want["checkpoints"]
