"""CTX (EPA CompTox) import against the replay server's recorded replies, and the CSD adapter without CCDC."""

from __future__ import annotations

import importlib.util

import pytest

from cryodesk.domain import IdentifierKind, InputError, JobState
from cryodesk.engine.ctx_import import CtxImportJob, CtxImportParams
from cryodesk.engine.jobs import run_job
from cryodesk.sources.comptox import CompToxClient, comptox_config
from cryodesk.sources.csd import CsdClient, csd_status
from cryodesk.sources.http import ServiceRegistry
from tests.replay.ctx_routes import REPLAY_KEY
from tests.replay.plugin import replay_server
from tests.replay.server import ReplayServer

__all__ = ["replay_server"]

BPA_KEY = "IISBACLAFKSPIT-UHFFFAOYSA-N"


def _client(server: ReplayServer, key: str | None) -> CompToxClient:
    return CompToxClient(
        config=comptox_config(key, base_url=f"{server.url}/ctx"), cache=False, registry=ServiceRegistry()
    )


def test_missing_key_fails_before_a_job(replay_server: ReplayServer, project) -> None:
    with pytest.raises(InputError, match="no CompTox API key: .* needs a free API key"):
        CtxImportJob(CtxImportParams(("DTXSID7020182",)), _client(replay_server, None))
    assert replay_server.count() == 0 and project.jobs.list() == []


def test_refused_key_fails_the_job_with_what_to_do(replay_server: ReplayServer, project) -> None:
    outcome = run_job(
        project, CtxImportJob(CtxImportParams(("DTXSID7020182",)), _client(replay_server, "wrong"))
    )
    assert outcome.state is JobState.FAILED
    assert "API key refused" in outcome.error and "API Key Not Found" in outcome.error
    assert "wrong" not in str(project.jobs.get(outcome.job_id).params)  # the key never reaches the project


def test_chemicals_land_empty_bioactivity_is_no_data(replay_server: ReplayServer, project) -> None:
    params = CtxImportParams(
        ("DTXSID7020182", "Bisphenol A", "DTXSID0000001", "no such chemical"), batch_size=3
    )
    outcome = run_job(project, CtxImportJob(params, _client(replay_server, REPLAY_KEY)))
    summary = outcome.result
    assert outcome.state is JobState.DONE
    assert summary.chemicals_stored == 2 and summary.no_data == 2 and summary.not_found == 2
    assert summary.results_new == 0
    errors = " | ".join(summary.errors_sample)
    assert "row 3, field 'query': CompTox has no chemical DTXSID0000001" in errors
    assert "CompTox knows no chemical named 'no such chemical'" in errors
    ids = {(i.kind, i.value) for i in project.identifiers.for_compound(BPA_KEY)}
    assert {(IdentifierKind.DTXSID, "DTXSID7020182"), (IdentifierKind.CAS, "80-05-7")} <= ids
    assert REPLAY_KEY not in str(project.jobs.get(outcome.job_id).params)


def test_csd_absent_says_what_it_needs() -> None:
    status = csd_status("ccdc_not_installed_here")
    assert not status.available and "licensed CSD installation" in status.message
    assert "cryodesk import cod FILE.cif" in status.message
    if importlib.util.find_spec("ccdc") is None:
        assert not csd_status().available
        with pytest.raises(InputError, match="CCDC CSD Python API is not available"):
            CsdClient()


def test_cli_import_tox21_then_toxicity_and_csd(tmp_path, capsys) -> None:
    import json

    from cryodesk.cli.main import main
    from tests.engine.test_issue4_toxicity_glass import HEADER, ROWS, P, _write

    project = str(tmp_path / "p.cryodesk")
    path = _write(tmp_path / f"{P}.aggregrated.txt", HEADER, ROWS)
    assert main(["-p", project, "import", "tox21", str(path)]) == 0
    out = capsys.readouterr().out
    assert (
        "results stored 3" in out
        and "not imported: row 6, field 'ASSAY_OUTCOME'" in out
        and "micromolar" in out
    )
    assert (
        main(["-p", project, "import", "tox21", str(path), "--strict", "--no-resume"]) == 1
    )  # rejected rows
    capsys.readouterr()
    assert main(["-p", project, "--json", "toxicity", "glycerol"]) == 0
    profile = json.loads(capsys.readouterr().out)
    assert profile["assays"] == 2 and profile["weighting"] == "weighted"  # both rows carry CURVE_RANK
    assert main(["-p", project, "toxicity", "no such compound"]) == 5
    capsys.readouterr()
    if importlib.util.find_spec("ccdc") is None:
        assert main(["-p", project, "csd", "ABCDEF"]) == 3
        assert "licensed CSD installation" in capsys.readouterr().out
