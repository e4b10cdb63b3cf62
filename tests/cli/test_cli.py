"""The command line as a script sees it: exit codes, messages, and the work done."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from cryodesk.cli import exit_codes
from cryodesk.cli.main import main


@pytest.fixture
def project(tmp_path: Path) -> str:
    return str(tmp_path / "cli.cryodesk")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_csv(path: Path) -> Path:
    path.write_text("name,smiles,Tg (K),CAS\nglycerol,OCC(O)CO,190,56-81-5\nDMSO,CS(C)=O,,67-68-5\nbad,C1CC(,1,\n")
    return path


def test_import_list_show_export_info(capsys, tmp_path: Path, project: str) -> None:
    data = write_csv(tmp_path / "cpas.csv")
    code, out, _ = run(capsys, "-p", project, "import", "file", str(data))
    assert code == exit_codes.OK
    assert "stored 2, rejected 1" in out and "row 4, field 'smiles'" in out

    code, out, _ = run(capsys, "-p", project, "import", "file", str(data), "--strict")
    assert code == exit_codes.ROWS_REJECTED

    code, out, err = run(capsys, "-p", project, "list")
    assert code == exit_codes.OK and "PEDCQBHIVMGVHV-UHFFFAOYSA-N" in out and "2 of 2 shown" in err

    code, out, _ = run(capsys, "-p", project, "--json", "show", "67-68-5")
    shown = json.loads(out)
    assert shown[0]["compound"]["inchikey"] == "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"

    code, out, _ = run(capsys, "-p", project, "show", "OCC(CO)O")  # another spelling of glycerol's SMILES
    assert code == exit_codes.OK and "tg" in out and "190 K" in out and "file:cpas.csv row 2" in out

    code, _, err = run(capsys, "-p", project, "show", "unobtainium")
    assert code == exit_codes.NOT_FOUND and "nothing matches" in err

    exported = tmp_path / "out.csv"
    code, out, _ = run(capsys, "-p", project, "export", str(exported), "--query", "glycerol")
    assert code == exit_codes.OK
    rows = list(csv.DictReader(exported.open()))
    assert [r["inchikey"] for r in rows] == ["PEDCQBHIVMGVHV-UHFFFAOYSA-N"] and rows[0]["tg (K)"] == "190"

    sdf = tmp_path / "out.sdf"
    code, _, _ = run(capsys, "-p", project, "export", str(sdf))
    assert code == exit_codes.OK and sdf.read_text().count("$$$$") == 2

    code, out, _ = run(capsys, "-p", project, "--json", "info")
    info = json.loads(out)
    assert info["tables"]["compounds"] == 2 and info["tables"]["property_values"] == 1
    assert {"table": "property_values", "source": "file:cpas.csv", "rows": 1} in info["by_source"]


def test_jobs_show_lists_row_errors_and_cancel_is_recorded(capsys, tmp_path: Path, project: str) -> None:
    data = write_csv(tmp_path / "cpas.csv")
    run(capsys, "-p", project, "import", "file", str(data))
    code, out, _ = run(capsys, "-p", project, "jobs")
    assert code == exit_codes.OK and "import_file" in out and "done" in out
    code, out, _ = run(capsys, "-p", project, "jobs", "show", "1")
    assert "row errors: 1" in out and "row 4, field 'smiles'" in out
    code, out, _ = run(capsys, "-p", project, "jobs", "cancel", "1")
    assert code == exit_codes.OK and "cancel requested" in out
    code, _, err = run(capsys, "-p", project, "jobs", "show")
    assert code == exit_codes.USAGE and "needs a job id" in err


def test_errors_have_exit_codes_a_script_can_rely_on(capsys, tmp_path: Path, project: str) -> None:
    code, _, err = run(capsys, "-p", project, "import", "file", str(tmp_path / "missing.csv"))
    assert code == exit_codes.INPUT_ERROR and "no such file" in err
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("a,b\n1,2\n")
    code, _, err = run(capsys, "-p", project, "import", "file", str(numbers))
    assert code == exit_codes.INPUT_ERROR and "no structure column" in err
    not_a_project = tmp_path / "x.cryodesk"
    not_a_project.write_text("this is not sqlite")
    code, _, err = run(capsys, "-p", str(not_a_project), "info")
    assert code == exit_codes.PROJECT_ERROR and "cannot open project" in err
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == exit_codes.USAGE


def test_read_only_project_refuses_an_import(capsys, tmp_path: Path, project: str) -> None:
    run(capsys, "-p", project, "info")
    data = write_csv(tmp_path / "cpas.csv")
    code, _, err = run(capsys, "-p", project, "--read-only", "import", "file", str(data))
    assert code == exit_codes.PROJECT_ERROR and "read-only" in err
