"""SIGKILL during a file import, at random points, at least 10 times; each run resumes the last.

The final project must hold exactly the rows of an uninterrupted import and pass SQLite's
integrity check. Kills are aimed at random checkpoint counts plus a random delay, so they land
inside write transactions, between them, and inside the parsing of a chunk.
"""

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
from tests.engine.kill_support import jobs_done

KILLS = 10
ROWS = 1500


def _cli(project: Path, data: Path) -> list[str]:
    return [sys.executable, "-m", "cryodesk.cli.main", "-p", str(project), "import", "file", str(data),
            "--workers", "1", "--batch-size", "40"]



def _snapshot(path: Path) -> dict[str, set]:
    with Project.open(path, read_only=True) as p:
        q = p.db.query
        return {
            "compounds": set(q("SELECT inchikey, smiles, name FROM compounds")),
            "identifiers": set(q("SELECT c.inchikey, i.kind, i.value FROM identifiers i JOIN compounds c ON c.id = i.compound_id")),
            "values": set(q("SELECT c.inchikey, p.property, p.value, p.unit, p.source_record_id, p.flags"
                            " FROM property_values p JOIN compounds c ON c.id = p.compound_id")),
            "row_errors": set(q("SELECT row, field, reason FROM job_row_errors")),
            "integrity": {p.integrity_check()},
            "jobs": set(q("SELECT state, done FROM jobs")),
        }


@pytest.fixture(scope="module")
def input_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = DATA / "melting_point" / "BradleyDoublePlusGoodMeltingPointDataset.csv"
    lines = source.read_text(encoding="utf-8").splitlines()[: ROWS + 1]
    path = tmp_path_factory.mktemp("kill") / "bradley_part.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_kill_9_at_random_points_then_resume_gives_the_uninterrupted_result(tmp_path: Path, input_file: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    reference = tmp_path / "reference.cryodesk"
    subprocess.run(_cli(reference, input_file), check=True, env=env, capture_output=True)

    target = tmp_path / "killed.cryodesk"
    rng = random.Random(20261127)
    thresholds = sorted(rng.sample(range(1, ROWS - 60), KILLS))
    kills = 0
    for threshold in thresholds:
        child = subprocess.Popen(_cli(target, input_file), env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        while child.poll() is None and jobs_done(target) < threshold:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.04))
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            kills += 1
            assert Project.open(target, read_only=True).integrity_check() == "ok"
    final = subprocess.run(_cli(target, input_file), env=env, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    assert "(resumed)" in final.stdout
    assert kills >= KILLS

    got, want = _snapshot(target), _snapshot(reference)
    assert got["integrity"] == {"ok"}
    for table in ("compounds", "identifiers", "values", "row_errors"):
        assert got[table] == want[table], table
    assert got["jobs"] == want["jobs"]  # one job, resumed each time, never a second one
