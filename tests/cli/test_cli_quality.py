"""``cryodesk quality``, ``reconcile``, ``lineage`` and ``profile`` as a script sees them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from cryodesk.cli import exit_codes
from cryodesk.cli.main import main
from cryodesk.engine.seed import data_source_records, load_manifest, seed_reference_cpas
from cryodesk.engine.service import Workbench

LAB_CSV = "name,smiles,Tg (K),mp (K)\nglycerol,OCC(O)CO,250,291.2\nDMSO,CS(C)=O,,300\nbroken,C1CC(,1,\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def real_rows(key: str, columns: list[str], keep, out: Path) -> Path:
    """A few real rows (and only ``columns``) of a shipped data set."""
    with load_manifest().file(key).open(encoding="utf-8", newline="") as handle:
        rows = [{c: r[c] for c in columns} for r in csv.DictReader(handle) if keep(r)]
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return out


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Reference CPAs, real Koop and Bradley rows for glycerol and DMSO, and a lab file."""
    path = tmp_path / "q.cryodesk"
    wb = Workbench.open(path)
    wb.project.sources.upsert_many(data_source_records(load_manifest()))
    seed_reference_cpas(wb.project, load_manifest())
    wb.close()
    koop = real_rows("koop_tg", ["Species", "SMILES", "Tg (K)", "Tm_exp (K)"],
                     lambda r: r["SMILES"] in ("OCC(O)CO", "C(C(CO)O)O"), tmp_path / "koop.csv")
    bradley = real_rows("bradley_mp", ["name", "smiles", "mpC"], lambda r: r["name"] in ("Glycerol", "Dimethyl sulfoxide"),
                        tmp_path / "bradley.csv")
    for file, source in ((koop, "koop_tg"), (bradley, "bradley_mp")):
        code, _, err = run(capsys, "-p", str(path), "import", "file", str(file), "--source", source, "--workers", "1")
        assert code == exit_codes.OK, err
    lab = tmp_path / "lab.csv"
    lab.write_text(LAB_CSV)
    code, _, err = run(capsys, "-p", str(path), "import", "file", str(lab), "--workers", "1")
    assert code == exit_codes.OK, err
    return str(path)


def test_quality_report_overall_and_per_source(capsys, project: str) -> None:
    code, out, _ = run(capsys, "-p", project, "quality")
    assert code == exit_codes.OK
    assert "coverage of 54 compounds" in out and "property families:" in out
    assert "reference compounds: source reference_cpas" in out
    lab_line = next(line for line in out.splitlines() if line.startswith("file:lab.csv"))
    assert "rejected rows 1" in lab_line and "reference 2/3 disagree" in lab_line

    code, out, _ = run(capsys, "-p", project, "quality", "--source", "file:lab.csv")
    assert code == exit_codes.OK
    assert "conflicts: 2 of 3 multi-valued" in out  # glycerol's melting points agree
    assert "Dimethyl sulfoxide melting_point 300 K: 26.85 vs reference 18.4 degC (bradley_mp; tolerance 5)" in out

    code, out, _ = run(capsys, "-p", project, "--json", "quality", "--source", "koop_tg")
    report = json.loads(out)
    assert [s["source"] for s in report["sources"]] == ["koop_tg"]
    conflicts = report["sources"][0]["conflicts"]
    assert (conflicts["conflicts"], conflicts["across_sources"]) == (1, 1)  # glycerol's Tg: Koop 185-194 K, lab 250 K

    code, _, err = run(capsys, "-p", project, "quality", "--source", "nowhere")
    assert code == exit_codes.NOT_FOUND and "no source" in err


def test_reconcile_show_run_explain_and_rules_file(capsys, project: str, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "-p", project, "reconcile", "--show")
    assert code == exit_codes.OK
    assert "order: measured_over_predicted > source_priority > recency > median_of_replicates" in out
    assert "melting_point 5 degC" in out

    code, out, _ = run(capsys, "-p", project, "reconcile")
    assert code == exit_codes.OK
    assert "losing values are kept" in out
    assert "melting_point    2 multi-valued compounds, 1 conflicts" in out

    code, out, _ = run(capsys, "-p", project, "reconcile", "--compound", "glycerol", "--property", "melting_point")
    assert code == exit_codes.OK
    lines = out.splitlines()
    assert lines[0] == "Glycerol melting_point: 17.8 degC by source_priority (recorded)"
    assert any(line.startswith("  * 17.8 degC") and "bradley_mp" in line for line in lines)
    assert sum(line.startswith("  * ") for line in lines) == 1 and len(lines) == 6  # 5 values, one chosen

    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"per_property": {"melting_point": {"source_priority": ["file:*", "bradley_mp"]}}}))
    code, out, _ = run(capsys, "-p", project, "--json", "reconcile", "--rules", str(rules), "--property",
                       "melting_point")
    assert code == exit_codes.OK
    summary = json.loads(out)
    assert summary["rules"]["per_property"]["melting_point"]["source_priority"] == ["file:*", "bradley_mp"]
    code, out, _ = run(capsys, "-p", project, "--json", "reconcile", "--compound", "DMSO", "--property",
                       "melting_point")
    [decision] = json.loads(out)
    assert (decision["value"], decision["rule"]) == (pytest.approx(26.85), "source_priority")

    rules.write_text(json.dumps({"order": ["toss_a_coin"]}))
    code, _, err = run(capsys, "-p", project, "reconcile", "--rules", str(rules))
    assert code == exit_codes.INPUT_ERROR and "unknown reconciliation rule" in err
    code, _, err = run(capsys, "-p", project, "reconcile", "--compound", "glycerol")
    assert code == exit_codes.USAGE


def test_lineage_of_values_and_predictions(capsys, project: str) -> None:
    code, out, _ = run(capsys, "-p", project, "lineage", "--compound", "glycerol", "--property", "tg")
    assert code == exit_codes.OK
    assert out.count("1. source_record:") == 7  # six Koop replicates and the lab value
    assert "file:lab.csv row 2" in out and "import_job: job" in out and "standardisation:" in out

    code, out, _ = run(capsys, "-p", project, "--json", "lineage", "--compound", "DMSO", "--property",
                       "melting_point")
    chains = json.loads(out)
    value_id = next(c for c in chains if c["steps"][0]["details"]["source"] == "file:lab.csv")["subject"]
    assert "disagrees_with_reference" in chains[-1]["steps"][0]["details"]["flags"]
    value_id = int(value_id.split(":")[0].split()[1])
    code, out, _ = run(capsys, "-p", project, "lineage", "--value", str(value_id))
    assert code == exit_codes.OK and out.startswith(f"value {value_id}: melting_point = 300 K of")

    code, _, err = run(capsys, "-p", project, "lineage", "--prediction", "Tg", "glycerol")
    assert code == exit_codes.NOT_FOUND and "nothing found" in err
    code, _, _ = run(capsys, "-p", project, "lineage", "--value", "999999")
    assert code == exit_codes.NOT_FOUND
    code, _, _ = run(capsys, "-p", project, "lineage", "--compound", "glycerol")
    assert code == exit_codes.USAGE


def test_profiles_list_create_show_rank_delete(capsys, project: str, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "-p", project, "profile", "list")
    assert code == exit_codes.OK and out.startswith("CPA candidate")

    code, out, _ = run(capsys, "-p", project, "--json", "profile", "show", "CPA candidate")
    shown = json.loads(out)
    assert [t["key"] for t in shown["terms"]] == ["tox21_active_fraction", "tg", "log_solubility"]

    code, out, _ = run(capsys, "-p", project, "profile", "create", "glassy", "--term", "tg:up:150:200:2",
                       "--term", "melting_point:down:0:60", "--description", "vitrifies easily")
    assert code == exit_codes.OK and "saved profile 'glassy' (2 terms)" in out
    code, _, err = run(capsys, "-p", project, "profile", "create", "glassy", "--term", "tg:up:150:200")
    assert code == exit_codes.INPUT_ERROR and "exists" in err
    code, _, _ = run(capsys, "-p", project, "profile", "create", "glassy", "--term", "tg:up:150:200", "--replace",
                     "--term", "melting_point:down:0:60")
    assert code == exit_codes.OK
    code, _, err = run(capsys, "-p", project, "profile", "create", "bad", "--term", "tg:sideways:1:2")
    assert code == exit_codes.INPUT_ERROR and "trend" in err
    code, _, err = run(capsys, "-p", project, "profile", "create", "CPA candidate", "--term", "tg:up:1:2")
    assert code == exit_codes.INPUT_ERROR and "built-in" in err

    profile_file = tmp_path / "p.json"
    profile_file.write_text(json.dumps(shown))
    code, _, _ = run(capsys, "-p", project, "profile", "create", "copy", "--file", str(profile_file))
    assert code == exit_codes.OK
    code, out, _ = run(capsys, "-p", project, "profile", "show", "glassy")
    assert "tg                       up     150 .. 200 K" in out and "melting_point" in out

    code, out, _ = run(capsys, "-p", project, "--json", "profile", "rank", "glassy", "--top", "3")
    assert code == exit_codes.OK
    ranked = json.loads(out)
    assert ranked[0]["name"] == "Glycerol" and ranked[0]["rank"] == 1  # the only one with a Tg
    assert 0 < ranked[0]["sd"] < 1

    code, out, _ = run(capsys, "-p", project, "profile", "delete", "copy")
    assert code == exit_codes.OK
    code, out, _ = run(capsys, "-p", project, "profile", "list")
    assert "glassy" in out and "copy" not in out
    code, _, _ = run(capsys, "-p", project, "profile", "show", "copy")
    assert code == exit_codes.NOT_FOUND
