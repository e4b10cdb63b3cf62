"""``cryodesk resolve`` and ``cryodesk import drugbank|toxcast|cod`` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cryodesk.cli import exit_codes
from cryodesk.cli.main import main
from tests.conftest import FIXTURES


def test_resolve_table_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = str(tmp_path / "p.cryodesk")
    assert main(["-p", project, "init"]) == 0
    capsys.readouterr()
    code = main(["-p", project, "resolve", "--offline", "57-55-6", "OCC(O)CO", "57-55-5"])
    out = capsys.readouterr().out
    assert code == exit_codes.INPUT_ERROR
    assert "DNIAPMSPPWPWGF-UHFFFAOYSA-N" in out and "PEDCQBHIVMGVHV-UHFFFAOYSA-N" in out
    assert "CAS 57-55-5 has a wrong check digit: 5 given, 6 expected" in out
    assert main(["-p", project, "--json", "resolve", "--offline", "CHEMBL286398"]) == exit_codes.NOT_FOUND
    (answer,) = json.loads(capsys.readouterr().out)
    assert answer["kind"] == "chembl_id" and answer["inchikey"] is None


def test_import_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = str(tmp_path / "p.cryodesk")
    vocab = FIXTURES / "drugbank" / "drugbank_vocabulary.ITU-semicolon-reexport.HEAD14.csv"
    assert main(["-p", project, "import", "drugbank", str(vocab)]) == 0
    assert "not in project 14" in capsys.readouterr().out
    cif = FIXTURES / "cod" / "2000056.cif"
    assert main(["-p", project, "import", "cod", str(cif)]) == 0
    assert "no compound with formula" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("name,x\nfoo,1\n")
    assert main(["-p", project, "import", "toxcast", str(bad)]) == exit_codes.INPUT_ERROR
