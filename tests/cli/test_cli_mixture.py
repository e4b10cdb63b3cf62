"""``cryodesk mixture create|show|predict|tg-curve|train`` as a script sees them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from cryodesk.cli import exit_codes
from cryodesk.cli.main import main
from tests.engine.test_mixture_engine import FORMULATIONS_CSV, cpa_viscosity_subset, cpa_workbench


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    tmp = tmp_path_factory.mktemp("cli_mixture")
    wb = cpa_workbench(tmp / "cli.cryodesk")
    wb.close()
    subset = tmp / "visc.csv"
    cpa_viscosity_subset(subset)
    return str(tmp / "cli.cryodesk"), subset


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_create_show_and_tg_curve(capsys, project: tuple[str, Path], tmp_path: Path) -> None:
    path, _ = project
    code, out, err = run(
        capsys,
        "-p",
        path,
        "mixture",
        "create",
        "GLY20",
        "--component",
        "glycerol:20:%w/v:penetrating",
        "--component",
        "water",
    )
    assert code == exit_codes.OK, err
    assert "GLY20: stored with 2 components" in out and "PEDCQBHIVMGVHV-UHFFFAOYSA-N" in out
    code, out, err = run(capsys, "-p", path, "mixture", "show", "GLY20")
    assert code == exit_codes.OK, err
    # every unit is shown; 20 % w/v of glycerol is 200 g/L / 92.09 g/mol = 2.172 M
    for label in ("M", "% w/v", "% w/w", "% v/v", "mol/kg", "x"):
        assert label in out
    assert "2.172" in out and "solution Tg (not Tg′)" in out and "± " in out and "95 %" in out
    code, out, _ = run(capsys, "-p", path, "--json", "mixture", "show", "GLY20")
    shown = json.loads(out)
    gly = next(r for r in shown["composition"] if r["name"] == "glycerol")
    assert abs(gly["mol_per_L"] - 200 / 92.09) < 0.01 and shown["tg_K"]["sigma"] > 0
    csv_path = tmp_path / "curve.csv"
    code, out, err = run(
        capsys, "-p", path, "mixture", "tg-curve", "GLY20", "--out", str(csv_path), "--points", "5"
    )
    assert code == exit_codes.OK, err
    rows = [
        r for r in csv.reader(line for line in csv_path.read_text().splitlines() if not line.startswith("#"))
    ]
    assert rows[0][0] == "w_solutes" and "tg_K" in rows[0] and len(rows) == 6
    assert float(rows[1][0]) == 0.0 and float(rows[-1][0]) == 1.0


def test_bad_input_gives_clear_errors(capsys, project: tuple[str, Path]) -> None:
    path, _ = project
    code, _, err = run(capsys, "-p", path, "mixture", "create", "BAD", "--component", "glycerol:20:parsecs")
    assert code == exit_codes.INPUT_ERROR and "component 1" in err and "field 'unit'" in err
    code, _, err = run(capsys, "-p", path, "mixture", "show", "does-not-exist")
    assert code == exit_codes.PROJECT_ERROR and "does-not-exist" in err
    code, _, err = run(capsys, "-p", path, "mixture", "train")
    assert code == exit_codes.INPUT_ERROR and "--viscosity" in err


def test_train_then_predict(capsys, project: tuple[str, Path]) -> None:
    path, subset = project
    run(
        capsys,
        "-p",
        path,
        "mixture",
        "create",
        "DMSO10",
        "--component",
        "dimethyl sulfoxide:10:%v/v:penetrating",
        "--component",
        "water",
    )
    code, out, err = run(capsys, "-p", path, "mixture", "predict", "DMSO10")
    assert code == exit_codes.OK and "viscosity    -" in out and "mixture train" in out
    code, out, err = run(
        capsys,
        "-p",
        path,
        "mixture",
        "train",
        "--viscosity",
        str(subset),
        "--formulations",
        str(FORMULATIONS_CSV),
    )
    assert code == exit_codes.OK, err
    assert "mixture_viscosity v1" in out and "mixture_viability v1" in out
    code, out, err = run(
        capsys, "-p", path, "--json", "mixture", "predict", "DMSO10", "--temperature", "293.15"
    )
    assert code == exit_codes.OK, err
    pred = json.loads(out)
    v = pred["log10_viscosity_cP"]
    assert (
        v["lower"] <= v["value"] <= v["upper"] and -0.2 < v["value"] < 0.5 and pred["temperature_K"] == 293.15
    )
    assert 0 <= pred["viability_percent"]["value"] <= 100 and pred["tg_K"]["unit"] == "K"
