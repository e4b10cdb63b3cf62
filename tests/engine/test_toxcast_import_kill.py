"""SIGKILL during ``cryodesk import toxcast`` a few times, resuming each time; the final assay results
must equal an uninterrupted run's, in one job, and the file must pass SQLite's integrity check."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cryodesk.store import Project
from tests.conftest import DATA
from tests.engine.kill_support import jobs_done as _done

KILLS = 4
LIMIT = 240


def _cli(project: Path) -> list[str]:
    return [sys.executable, "-m", "cryodesk.cli.main", "-p", str(project), "import", "toxcast",
            str(DATA / "toxcast" / "toxcast.csv.gz"), "--limit", str(LIMIT), "--batch-size", "12", "--workers", "1"]


def _snapshot(path: Path) -> dict[str, set]:
    with Project.open(path, read_only=True) as p:
        q = p.db.query
        return {
            "results": set(q("SELECT c.inchikey, a.key, r.outcome, r.source_record_id FROM assay_results r"
                             " JOIN compounds c ON c.id = r.compound_id JOIN assays a ON a.id = r.assay_id")),
            "compounds": set(q("SELECT inchikey FROM compounds")),
            "row_errors": set(q("SELECT row, field, reason FROM job_row_errors")),
            "jobs": set(q("SELECT state, done FROM jobs")),
            "integrity": {p.integrity_check()},
        }


@pytest.mark.slow
def test_kill_9_then_resume_equals_uninterrupted(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    reference = tmp_path / "reference.cryodesk"
    subprocess.run(_cli(reference), check=True, env=env, capture_output=True)
    target = tmp_path / "killed.cryodesk"
    rng = random.Random(4)
    kills = 0
    for threshold in sorted(rng.sample(range(20, LIMIT - 20), KILLS)):
        child = subprocess.Popen(_cli(target), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while child.poll() is None and _done(target) < threshold:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.03))
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            kills += 1
    final = subprocess.run(_cli(target), env=env, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    assert "(resumed)" in final.stdout and kills >= 2
    got, want = _snapshot(target), _snapshot(reference)
    assert got == want
