"""``cryodesk import pubmed`` and ``cryodesk evidence`` against the replay server.

The CLI finds the server through ``CRYODESK_NCBI_BASE`` as a user's shell would set it; the NCBI
rate comes from the settings file in the test's own ``CRYODESK_HOME``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cryodesk.cli import exit_codes
from cryodesk.cli.main import main
from cryodesk.config import Settings, app_paths, save_settings
from cryodesk.store import Project
from tests.engine.test_literature_import import literature_rows, seed_compounds
from tests.replay import ReplayServer
from tests.replay.ncbi_routes import search_corpus


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        for name, value in replay.env().items():
            monkeypatch.setenv(name, value)
        save_settings(
            Settings(service_rate_limits={"ncbi": 200.0}, contact_email="lab@example.org"), app_paths()
        )
        yield replay


@pytest.fixture
def project(tmp_path: Path) -> str:
    path = tmp_path / "literature.cryodesk"
    with Project.open(path) as p:
        seed_compounds(p)
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_pubmed_then_show_the_evidence(capsys, server: ReplayServer, project: str) -> None:
    hits = len(search_corpus("induced"))
    code, out, _ = run(
        capsys, "-p", project, "import", "pubmed", "--query", "induced", "--max", "60", "--batch-size", "20"
    )
    assert code == exit_codes.OK, out
    assert f"pubmed: {hits} hits for 'induced', 60 of 60 PMIDs done" in out
    assert "stored 60 records (60 new, 0 revised)" in out
    assert server.requests[0].query["email"] == ["lab@example.org"] and server.requests[0].query["tool"] == [
        "CryoDesk"
    ]

    code, out, _ = run(capsys, "-p", project, "evidence", "lidocaine")
    assert code == exit_codes.OK
    assert out.startswith("lidocaine (NNJVILVZKWQKPM-UHFFFAOYSA-N): ")
    assert "reported concentration: median" in out and "PMID " in out
    assert "https://pubmed.ncbi.nlm.nih.gov/" in out

    code, out, _ = run(
        capsys, "-p", project, "--json", "evidence", "NNJVILVZKWQKPM-UHFFFAOYSA-N", "--top", "2"
    )
    [summary] = json.loads(out)
    assert summary["name"] == "lidocaine" and summary["n_papers"] >= 1 and len(summary["top_sentences"]) <= 2
    assert all(t["url"] == f"https://pubmed.ncbi.nlm.nih.gov/{t['pmid']}/" for t in summary["top_sentences"])

    code, out, _ = run(capsys, "-p", project, "evidence", "glycerin")  # a synonym; no paper names it
    assert code == exit_codes.OK and "glycerol (PEDCQBHIVMGVHV-UHFFFAOYSA-N): no literature evidence" in out
    code, _, err = run(capsys, "-p", project, "evidence", "no such thing")
    assert code == exit_codes.NOT_FOUND and "nothing matches" in err

    code, out, _ = run(capsys, "-p", project, "jobs", "show", "1")
    assert f"checkpoint 60 of 60 PMIDs written (PubMed reported {hits} hits)" in out
    assert "records_stored: 60" in out


def test_import_pubmed_again_changes_nothing(capsys, server: ReplayServer, project: str) -> None:
    args = ("-p", project, "import", "pubmed", "--query", "lithium", "--max", "20")
    assert run(capsys, *args)[0] == exit_codes.OK
    with Project.open(project, read_only=True) as p:
        before = literature_rows(p)
    code, out, _ = run(capsys, *args)
    assert code == exit_codes.OK and "(0 new, 0 revised), 0 new evidence rows, 0 new literature values" in out
    with Project.open(project, read_only=True) as p:
        assert literature_rows(p) == before


def test_missing_pmids_are_reported_and_strict_fails(capsys, server: ReplayServer, project: str) -> None:
    code, out, _ = run(
        capsys, "-p", project, "import", "pubmed", "--query", "biopython", "--max", "20", "--strict"
    )
    assert code == exit_codes.ROWS_REJECTED
    assert "not imported: row 1, field 'pmid': PubMed returned no record" in out
    assert "cryodesk jobs show 1" in out


def test_bad_arguments_are_input_errors(capsys, server: ReplayServer, project: str) -> None:
    code, _, err = run(capsys, "-p", project, "import", "pubmed", "--query", "lithium", "--max", "0")
    assert code == exit_codes.INPUT_ERROR and "--max must be 1..10000" in err
    code, _, err = run(capsys, "-p", project, "import", "pubmed", "--query", "  ")
    assert code == exit_codes.INPUT_ERROR and "empty PubMed query" in err


def test_evidence_for_a_mixture_name(capsys, project: str) -> None:
    with Project.open(project) as p:
        seed_compounds(p, mixtures=True)
    code, out, _ = run(capsys, "-p", project, "evidence", "VS55")
    assert code == exit_codes.OK and out.startswith("VS55: no literature evidence")


# -- evidence features and agreement ----------------------------------------------------------------
@pytest.fixture(scope="module")
def evidence_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.engine import evidence_project

    path = tmp_path_factory.mktemp("cli_evidence") / "evidence.cryodesk"
    evidence_project.build(path, train=False)
    return path


def test_train_with_evidence_then_compare_literature_with_predictions(
    capsys, evidence_built: Path, tmp_path: Path
) -> None:
    from tests.engine.evidence_project import copy_project

    project = str(copy_project(evidence_built, tmp_path))
    code, out, err = run(
        capsys,
        "-p",
        project,
        "--json",
        "train",
        "reported_concentration",
        "--name",
        "dose",
        "--models",
        "rf",
        "--folds",
        "3",
        "--split",
        "random",
        "--features",
        "cryo",
        "--with-evidence",
    )
    assert code == exit_codes.OK, err
    assert json.loads(out)["feature_set"] == "cryo+evidence"

    code, out, _ = run(capsys, "-p", project, "evidence", "haloperidol", "--compare", "dose")
    assert code == exit_codes.OK
    assert out.startswith("haloperidol vs dose v1 (reported_concentration): predicted ")
    assert "90% interval" in out and "PMID " in out and "mg/kg" in out

    code, out, _ = run(capsys, "-p", project, "--json", "evidence", "lidocaine", "--compare", "dose")
    assert code == exit_codes.OK
    [data] = json.loads(out)
    assert data["n_inside"] + data["n_outside"] + data["n_not_comparable"] == len(data["rows"]) > 0
    for row in data["rows"]:
        if row["compared"] is not None:
            assert row["inside"] is (data["lower"] <= row["compared"] <= data["upper"])
        else:
            assert row["note"] and row["inside"] is None

    code, _, err = run(capsys, "-p", project, "evidence", "no-such-compound-xyz", "--compare", "dose")
    assert code == exit_codes.NOT_FOUND and "no compound matches" in err
