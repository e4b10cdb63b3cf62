"""``cryodesk import pubchem|chembl`` and ``cryodesk jobs show|pause|resume`` against the replay server.

The CLI finds the server through ``CRYODESK_PUBCHEM_BASE`` / ``CRYODESK_CHEMBL_BASE`` exactly as
a user's shell would set them; rate limits come from the settings file in the test's own
``CRYODESK_HOME``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import apsw
import pytest

from cryodesk.cli import exit_codes
from cryodesk.cli.commands import split_list, split_names
from cryodesk.cli.main import main
from cryodesk.config import Settings, app_paths, save_settings
from cryodesk.store import Project
from tests.engine.test_online_import import project_rows
from tests.replay import ReplayServer

REPO = Path(__file__).resolve().parents[2]


def _set_rates(pubchem: float, chembl: float = 100.0) -> None:
    save_settings(Settings(service_rate_limits={"pubchem": pubchem, "chembl": chembl}), app_paths())


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        for name, value in replay.env().items():
            monkeypatch.setenv(name, value)
        _set_rates(100.0)
        yield replay


@pytest.fixture
def project(tmp_path: Path) -> str:
    return str(tmp_path / "online.cryodesk")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_names_are_split_on_commas_except_between_digits() -> None:
    assert split_names(["glycerol,1,2-propanediol, DMSO", "ethylene glycol"]) == [
        "glycerol", "1,2-propanediol", "DMSO", "ethylene glycol"]
    assert split_list(["753, 679", "2244"]) == ["753", "679", "2244"]


def test_import_pubchem_names_then_show_and_jobs_show(capsys, server: ReplayServer, project: str) -> None:
    code, out, _ = run(capsys, "-p", project, "import", "pubchem", "--names", "glycerol,DMSO,unobtainium")
    assert code == exit_codes.OK, out
    assert "job 1: done" in out and "2 of 3 queries matched" in out and "stored 2 compounds (2 new)" in out
    assert "not imported: row 3, field 'name': not found in pubchem (value 'unobtainium')" in out

    code, out, _ = run(capsys, "-p", project, "show", "DMSO")
    assert code == exit_codes.OK
    assert "pubchem_cid  679  [pubchem, confidence 1.00]" in out and "CID 679, computed" in out
    assert "id  cas" in out

    code, out, _ = run(capsys, "-p", project, "jobs", "show", "1")
    assert code == exit_codes.OK
    assert "job 1 import_pubchem done  2/2" in out
    assert "checkpoint 2 of 2 ids written, 3 queries resolved" in out
    for label in ("service", "stored", "throughput", "requests", "throttling", "circuit breaker", "cache"):
        assert f"    {label:<16} " in out, label
    assert "5 sent, 0 retries" in out and "Yellow 0, Red 0, Black 0" in out
    assert "row errors: 1" in out

    code, out, _ = run(capsys, "-p", project, "--json", "jobs", "show", "1")
    shown = json.loads(out)
    assert shown["metrics"]["requests_sent"] == 5 and shown["metrics"]["service"] == "pubchem"

    # The same import again is a new job answered by the HTTP cache; --strict reports the unknown name.
    sent = server.count()
    code, out, _ = run(capsys, "-p", project, "import", "pubchem", "--names", "glycerol,DMSO,unobtainium", "--strict")
    assert code == exit_codes.ROWS_REJECTED and "job 2: done" in out
    assert "requests 0 sent, 5 answered from the cache" in out and server.count() == sent


def test_import_pubchem_cids_and_similarity_with_json(capsys, server: ReplayServer, project: str) -> None:
    code, out, _ = run(capsys, "-p", project, "--json", "import", "pubchem", "--cids", "753,679", "--cids", "2244")
    result = json.loads(out)
    assert code == exit_codes.OK and result["state"] == "done"
    assert result["summary"]["compounds_stored"] == 3 and result["summary"]["total"] == 3
    code, out, _ = run(capsys, "-p", project, "import", "pubchem", "--similar-to", "OCC(O)CO", "--threshold", "95",
                       "--max-records", "4", "--batch-size", "2")
    assert code == exit_codes.OK and "4 of 4 ids done" in out
    code, _, err = run(capsys, "-p", project, "import", "pubchem", "--cids", "12,abc")
    assert code == exit_codes.INPUT_ERROR and "not a PubChem CID" in err


def test_import_chembl_ids_and_smiles(capsys, server: ReplayServer, project: str) -> None:
    code, out, _ = run(capsys, "-p", project, "import", "chembl", "--ids", "CHEMBL25,CHEMBL1082", "--activities")
    assert code == exit_codes.OK and "stored 2 compounds (2 new)" in out
    code, out, _ = run(capsys, "-p", project, "import", "chembl", "--smiles", "CC(=O)Oc1ccccc1C(=O)O")
    assert code == exit_codes.OK and "stored 1 compounds (0 new)" in out
    code, out, _ = run(capsys, "-p", project, "show", "CHEMBL25")
    assert "chembl_id    CHEMBL25  [chembl, confidence 1.00]" in out and "[chembl CHEMBL25, computed]" in out


def _job_state(path: Path) -> tuple[str, int] | None:
    try:
        conn = apsw.Connection(f"file:{path}?mode=ro", flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI)
        conn.set_busy_timeout(2000)
        row = conn.execute("SELECT state, done FROM jobs ORDER BY id LIMIT 1").fetchone()
        conn.close()
        return None if row is None else (row[0], int(row[1]))
    except apsw.Error:
        return None


@pytest.mark.slow
def test_pause_from_another_process_then_resume(capsys, server: ReplayServer, tmp_path: Path, project: str) -> None:
    """``jobs pause`` in one process stops the import running in another at a batch boundary."""
    cids = ",".join(str(c) for c in range(1, 201))
    _set_rates(10.0)  # slow enough that the pause arrives mid-import
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cli = [sys.executable, "-m", "cryodesk.cli.main", "-p", project]
    importer = subprocess.Popen([*cli, "import", "pubchem", "--cids", cids, "--batch-size", "10"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while (state := _job_state(Path(project))) is None or state[1] < 20:
        assert importer.poll() is None and time.monotonic() < deadline, importer.communicate()
        time.sleep(0.02)
    pause = subprocess.run([*cli, "jobs", "pause", "1"], env=env, capture_output=True, text=True, timeout=30)
    assert pause.returncode == 0 and "pause requested" in pause.stdout
    out, err = importer.communicate(timeout=30)
    assert importer.returncode == exit_codes.JOB_STOPPED, err
    assert "job 1: paused" in out and "cryodesk jobs resume 1" in out
    state, done = _job_state(Path(project))
    assert state == "paused" and 20 <= done < 200

    _set_rates(100.0)
    code, out, _ = run(capsys, "-p", project, "jobs", "resume", "1")
    assert code == exit_codes.OK and "job 1: done" in out
    code, out, _ = run(capsys, "-p", project, "jobs", "show", "1")
    assert "service          pubchem (2 runs)" in out and "200 compounds" in out

    reference = str(tmp_path / "reference.cryodesk")
    code, _, _ = run(capsys, "-p", reference, "import", "pubchem", "--cids", cids, "--batch-size", "10")
    assert code == exit_codes.OK
    with Project.open(project, read_only=True) as paused, Project.open(reference, read_only=True) as uninterrupted:
        assert project_rows(paused) == project_rows(uninterrupted)


def test_import_pubchem_with_literature_stores_the_pug_view_sections(
    capsys, server: ReplayServer, project: str
) -> None:
    code, out, _ = run(capsys, "-p", project, "import", "pubchem", "--names", "ethylene glycol", "--literature")
    assert code == exit_codes.OK, out
    with Project.open(project) as stored:
        key = stored.identifiers.lookup("ethylene glycol")[0][0]
        values = stored.properties.for_compound(key)
    literature = [v for v in values if str(v.provenance.method) == "literature"]
    assert literature and all(v.value_text for v in literature)
    assert any(v.property == "toxicity_human_toxicity_excerpts" for v in literature)
