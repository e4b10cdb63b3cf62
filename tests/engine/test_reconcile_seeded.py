"""Quality, reconciliation, lineage and scoring on the real default library (seeded once for the module)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryodesk.domain import JobState
from cryodesk.engine.reconcile import RECONCILED_FLAG, reconciled_values, the_value
from cryodesk.engine.service import Workbench

GLYCEROL = "PEDCQBHIVMGVHV-UHFFFAOYSA-N"
NAPHTHYLAMINE = "RUFPHBVGCFYCNW-UHFFFAOYSA-N"  # 1-naphthylamine: Koop's Tm 500 K, Bradley's mp 49 degC


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory):
    wb = Workbench.open(tmp_path_factory.mktemp("seeded") / "default.cryodesk")
    outcome = wb.seed_default_library()
    assert outcome.state is JobState.DONE, outcome.error
    yield wb
    wb.close()


def import_job(wb: Workbench, source: str):
    return next(j for j in wb.jobs() if j.kind == "import_file" and j.params.get("source") == source)


def test_each_seeding_import_recorded_coverage_and_quality(seeded: Workbench) -> None:
    bradley = import_job(seeded, "bradley_mp").metrics
    assert "quality_error" not in bradley
    after, before = bradley["coverage_after"], bradley["coverage_before"]
    assert after["properties"]["melting_point"]["compounds"] > before["properties"]["melting_point"]["compounds"]
    assert bradley["coverage_change"]["properties"]["melting_point"] > 2800
    quality = bradley["quality"]
    # Koop's melting points were in before Bradley's: the real cross-source conflicts show up here.
    assert quality["conflicts"]["across_sources"] >= 15
    assert quality["conflicts"]["examples"][0]["compound"] == "1-Naphthylamine"
    assert quality["rejected"]["by_reason"]["SMILES aromaticity error"] == quality["completeness"]["rows_rejected"]
    assert quality["reference"]["checked"] >= 3 and quality["reference"]["disagreements"] == 0
    tox = import_job(seeded, "tox21").metrics
    assert tox["coverage_change"]["with_toxicity"] > 7000
    assert set(tox["quality"]["completeness"]["results_per_row"]) == {a for a in tox["coverage_after"]["toxicity"]}


def test_quality_report_of_the_default_library(seeded: Workbench) -> None:
    report = seeded.quality_report()
    coverage = report["coverage"]
    assert coverage["compounds"] == seeded.compound_count() > 9000
    assert coverage["families"]["thermal"] > 3000 and coverage["with_toxicity"] > 7000
    sources = {s["source"]: s for s in report["sources"]}
    assert sources["koop_tg"]["reference"]["checked"] >= 5
    assert sources["koop_tg"]["reference"]["disagreements"] == 0  # Koop's Tm of the CPAs match Bradley's mp
    assert sources["koop_tg"]["conflicts"]["within_source"] > 10  # replicate Tg/Tm spreads inside Koop
    assert sources["tox21"]["rejected"]["by_reason"] == {"SMILES valence error": 8}
    assert sources["esol"]["conflicts"]["conflicts"] == 1  # mannitol: 0.06 and 1.09 log units


def test_reconciling_real_melting_points_from_two_sources(seeded: Workbench) -> None:
    n_values = seeded.project.properties.count()
    outcome = seeded.reconcile(["melting_point"])
    assert outcome.state is JobState.DONE, outcome.error
    [summary] = outcome.result.properties
    assert summary.unit == "degC" and summary.groups > 100
    assert summary.by_rule["source_priority"] > 90  # compounds with both a Koop Tm and a Bradley mp
    assert seeded.project.properties.count() == n_values

    naphthylamine = seeded.the_value(NAPHTHYLAMINE, "melting_point")
    assert naphthylamine.recorded and naphthylamine.conflict
    assert (naphthylamine.value, naphthylamine.rule) == (49.0, "source_priority")
    assert {c.source for c in naphthylamine.candidates} == {"koop_tg", "bradley_mp"}
    assert max(c.value for c in naphthylamine.candidates) == pytest.approx(226.85)  # 500 K, kept
    glycerol = seeded.the_value(GLYCEROL, "melting_point")
    assert glycerol.value == pytest.approx(17.8) and not glycerol.conflict and len(glycerol.candidates) == 4
    # Reading through reconciliation for the whole column: one value per compound, in one unit.
    column = reconciled_values(seeded.project, "melting_point")
    assert len(column) == seeded.quality_report()["coverage"]["properties"]["melting_point"]["compounds"]
    flagged = [v for v in seeded.compound_detail(GLYCEROL).properties
               if any(f.startswith(RECONCILED_FLAG) for f in v.flags)]
    assert [(v.provenance.source, v.value) for v in flagged] == [("bradley_mp", 17.8)]


def test_lineage_of_a_seeded_value_names_the_seeding_job(seeded: Workbench) -> None:
    koop = [lin for lin in seeded.property_lineage(GLYCEROL, "tg")]
    assert len(koop) == 6
    job = koop[0].step("import_job").details
    assert job["kind"] == "import_file" and job["params"]["source"] == "koop_tg"
    assert job["started_by"].endswith("(seed_default_library)")
    assert koop[0].step("source_record").details["source_title"].startswith("Koop compilation")
    assert koop[0].step("standardisation").details["std_version"]


def test_cpa_candidate_ranking_on_the_real_library(seeded: Workbench) -> None:
    ranked = seeded.rank_compounds("CPA candidate")
    by_key = {s.key: s for s in ranked}
    glycerol = by_key[GLYCEROL]
    # Glycerol: no active Tox21 assay, Tg ~191 K, miscible with water: near the top.
    assert glycerol.rank <= 10 and glycerol.score > 0.85 and glycerol.sd > 0
    assert glycerol.inputs["tg"].origin.startswith("reconciled:")
    assert glycerol.inputs["tox21_active_fraction"].value == 0.0
    ranks = [s.rank for s in ranked]
    assert ranks == sorted(ranks) and len(ranks) > 7000
    # A compound active in most Tox21 assays scores 0 whatever else it has.
    toxic = [s for s in ranked if s.inputs.get("tox21_active_fraction") and
             s.inputs["tox21_active_fraction"].value >= 0.5]
    assert toxic and all(s.score == 0.0 for s in toxic)


def test_a_value_imported_after_reconciling_is_decided_live(seeded: Workbench, tmp_path: Path) -> None:
    from cryodesk.engine.file_import import FileImportParams

    path = tmp_path / "lab.csv"
    path.write_text("name,smiles,mp (K)\nglycerol,OCC(O)CO,330\n")
    outcome = seeded.import_file(FileImportParams(str(path), workers=1))
    assert outcome.state is JobState.DONE
    quality = seeded.job(outcome.job_id).metrics["quality"]
    assert quality["reference"]["disagreements"] == 1  # 56.85 degC vs ~18 degC from Bradley and Koop
    compound_id = seeded.project.compounds.ids_for([GLYCEROL])[GLYCEROL]
    live = the_value(seeded.project, compound_id, "melting_point")
    assert not live.recorded and live.value == pytest.approx(17.8) and len(live.candidates) == 5
