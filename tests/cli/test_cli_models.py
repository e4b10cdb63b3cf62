"""``cryodesk train / models / evaluate / predict`` as a script sees them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from cryodesk.cli import exit_codes
from cryodesk.cli.main import main
from tests.engine.test_training import esol_workbench


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("cli_models")
    wb = esol_workbench(tmp, n=200)
    path = str(wb.project.path)
    wb.close()
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_list_show_promote_rollback_compare(capsys, project: str) -> None:
    args = ("-p", project, "train", "log_solubility", "--models", "lgbm", "--folds", "3", "--split", "random")
    code, out, err = run(capsys, *args)
    assert code == exit_codes.OK, err
    assert "log_solubility v1 [promoted] held-out" in out and "rmse=" in out
    code, out, err = run(capsys, *args, "--seed", "1")
    assert code == exit_codes.OK, err
    assert "v2 [candidate]" in out
    code, out, _ = run(capsys, "-p", project, "models")
    assert "log_solubility" in out and "promoted" in out and "candidate" in out
    code, out, _ = run(capsys, "-p", project, "models", "show", "log_solubility", "2")
    shown = json.loads(out)
    assert shown["version"] == 2 and "feature_stats" not in shown["params"] and len(shown["artefact_sha256"]) == 64
    code, out, _ = run(capsys, "-p", project, "models", "promote", "log_solubility", "2", "--warm")
    assert code == exit_codes.OK and "log_solubility v2: promoted" in out and "cache warmed" in out
    code, out, _ = run(capsys, "-p", project, "models", "rollback", "log_solubility")
    assert "log_solubility v1: promoted" in out
    code, out, _ = run(capsys, "-p", project, "models", "compare", "log_solubility", "1", "2")
    assert "held_out.mean.ensemble.rmse" in json.loads(out)["metrics"]
    code, _, err = run(capsys, "-p", project, "models", "show", "nope")
    assert code == exit_codes.PROJECT_ERROR and "nope" in err


def test_predict_input_all_monitor_and_evaluate(capsys, project: str, tmp_path: Path) -> None:
    if run(capsys, "-p", project, "models", "show", "log_solubility")[0] != exit_codes.OK:
        run(capsys, "-p", project, "train", "log_solubility", "--models", "lgbm", "--folds", "3")
    source = tmp_path / "in.csv"
    source.write_text("name,smiles\nglycerol,OCC(O)CO\nbenzene,c1ccccc1\nbad,C1CC(\n")
    out_path = tmp_path / "out.csv"
    code, _, err = run(capsys, "-p", project, "predict", "log_solubility", "--input", str(source),
                       "--output", str(out_path))
    assert code == exit_codes.OK, err
    rows = list(csv.DictReader(out_path.open()))
    assert [r["input"] for r in rows] == ["OCC(O)CO", "c1ccccc1", "C1CC("]
    assert rows[0]["prediction"] and rows[0]["uncertainty"] and rows[0]["in_domain"] in ("0", "1")
    assert rows[2]["source"] == "failed" and rows[2]["error"]
    assert "2 predicted, 1 failed" in err
    code, out, _ = run(capsys, "-p", project, "predict", "log_solubility", "--all")
    assert code == exit_codes.OK and len(out.strip().splitlines()) > 150
    code, out, _ = run(capsys, "-p", project, "models", "monitor", "log_solubility")
    assert "cache hit rate" in out and "feature drift" in out and "latency" in out
    code, out, _ = run(capsys, "-p", project, "--json", "models", "monitor", "log_solubility")
    assert json.loads(out)["predictions"] > 0
    code, out, err = run(capsys, "-p", project, "evaluate", "log_solubility", "--split", "scaffold")
    assert code == exit_codes.OK, err
    assert "scaffold split" in out and "ensemble" in out
