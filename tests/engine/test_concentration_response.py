"""Concentration-response fits on the real formulation table: series found, Hill curves fitted or refused with
the reason, stored in the project with provenance, and the CLI on top."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from cryodesk.cli.main import main as cli_main
from cryodesk.engine.mixtures import fit_concentration_responses, stored_concentration_responses
from cryodesk.engine.service import Workbench
from cryodesk.mixtures.dose_response import log_logistic
from tests.conftest import DATA

FORMULATIONS_CSV = DATA / "cpa_formulations" / "parsed_formulations.csv"


@pytest.fixture()
def workbench(tmp_path: Path):
    wb = Workbench.open(tmp_path / "dose.cryodesk")
    yield wb
    wb.close()


def test_every_series_is_fitted_or_refused_with_its_reason_and_stored(workbench: Workbench) -> None:
    run = fit_concentration_responses(workbench, FORMULATIONS_CSV)
    assert run.entries, "the real table has concentration series"
    for entry in run.entries:
        concentrations = [p[0] for p in entry["points"]]
        assert len(concentrations) >= 4 and concentrations == sorted(set(concentrations))
        assert entry["doi"].startswith("10.") and entry["source_file"] == FORMULATIONS_CSV.name
        if len(concentrations) < 5:  # four free parameters need five points
            assert "fit" not in entry and "need at least 5 points" in entry["error"]
        else:
            fit = entry["fit"]
            assert fit["n"] == len(concentrations) and fit["concentration_unit"] in ("mol/L", "%")
            assert entry["doi"] in fit["source"]
    assert run.fitted == sum(len(e["points"]) >= 5 for e in run.entries)
    stored = stored_concentration_responses(workbench.project)
    assert stored == json.loads(json.dumps({e["key"]: e for e in run.entries}))


def test_fixing_r0_fits_four_point_series_whose_curve_passes_near_the_data(workbench: Workbench) -> None:
    run = fit_concentration_responses(workbench, FORMULATIONS_CSV, r0=0.0)
    four_point = [e for e in run.entries if len(e["points"]) == 4]
    assert four_point and all("fit" in e for e in four_point)
    for entry in four_point:
        fit = entry["fit"]
        assert fit["fixed"] == {"r0": 0.0} and fit["dof"] == 1
        predicted = [
            log_logistic(c, fit["r0"], fit["r_inf"], fit["ec50"], fit["hill"])
            for c, _y, _n in entry["points"]
        ]
        residuals = [abs(p - y) for p, (_c, y, _n) in zip(predicted, entry["points"], strict=True)]
        assert math.sqrt(sum(r * r for r in residuals) / 4) == pytest.approx(fit["rmse"], rel=1e-6)
    # a later run of the same series replaces its stored entry, and keeps the others
    again = fit_concentration_responses(workbench, FORMULATIONS_CSV, r0=0.0, min_points=5)
    stored = stored_concentration_responses(workbench.project)
    assert len(stored) == len(run.entries) and {e["key"] for e in again.entries} <= set(stored)


def test_bad_rows_are_reported_and_the_good_series_still_fit(workbench: Workbench, tmp_path: Path) -> None:
    rows = list(csv.DictReader(FORMULATIONS_CSV.open(encoding="utf-8-sig")))
    broken = dict(rows[0], viability_percent="n/a")
    path = tmp_path / "with_bad_row.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([broken, *rows])
    run = fit_concentration_responses(workbench, path)
    assert any("row 1" in p and "viability_percent" in p for p in run.problems)
    reference = fit_concentration_responses(workbench, FORMULATIONS_CSV)
    assert [e["key"] for e in run.entries] == [e["key"] for e in reference.entries]


def test_cli_dose_response_prints_the_fits_and_refuses_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = str(tmp_path / "cli.cryodesk")
    assert (
        cli_main(["-p", project, "--json", "mixture", "dose-response", str(FORMULATIONS_CSV), "--r0", "0"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["entries"] and all("fit" in e for e in data["entries"])
    assert cli_main(["-p", project, "mixture", "dose-response", str(tmp_path / "missing.csv")]) != 0
    assert "no such file" in capsys.readouterr().err
    # without a table: the one CryoDesk ships, the same data as the shared copy
    assert cli_main(["-p", project, "--json", "mixture", "dose-response", "--r0", "0"]) == 0
    shipped = json.loads(capsys.readouterr().out)
    assert [e["key"] for e in shipped["entries"]] == [e["key"] for e in data["entries"]]
    assert all(e["source_file"] == "parsed_formulations.csv" for e in shipped["entries"])
