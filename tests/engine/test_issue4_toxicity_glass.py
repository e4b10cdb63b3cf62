"""Toxicity profile, Tox21 per-assay files and the glass-forming indicator on the real default library."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryodesk.domain import InputError, JobState
from cryodesk.engine.glass_forming import PROPERTY, GlassFormingJob
from cryodesk.engine.service import Workbench
from cryodesk.engine.tox21_import import Tox21ImportJob, Tox21ImportParams

GLYCEROL = "PEDCQBHIVMGVHV-UHFFFAOYSA-N"
DMSO = "IAYPIBMASNFSPL-UHFFFAOYSA-N"
# Known glass formers and ready crystallisers, chosen from the literature before looking at ratios:
# glycerol, sorbitol and trehalose vitrify on ordinary cooling; n-alkanes, tert-butanol and
# ethylene glycol crystallise readily from their melts.
GLASS_FORMERS = {
    "glycerol": GLYCEROL,
    "sorbitol": "FBPFZTCFMRRESA-UHFFFAOYSA-N",
    "trehalose": "HDTRYLNUVZCQOY-UHFFFAOYSA-N",
}
CRYSTALLISERS = {
    "pentane": "OFBQJSOFQDEBGM-UHFFFAOYSA-N",
    "hexane": "VLKZOEOYAKHREP-UHFFFAOYSA-N",
    "heptane": "IMNFDUFMRHMDMM-UHFFFAOYSA-N",
    "octane": "TVMXDCGIABBOFY-UHFFFAOYSA-N",
    "nonane": "BKIMMITUMNQMOS-UHFFFAOYSA-N",
    "decane": "DIOQZVSQGTUSAI-UHFFFAOYSA-N",
    "tert-butanol": "DKGAVHZHDRPRBM-UHFFFAOYSA-N",
    "ethylene glycol": "LYCAIKOWRPUZTN-UHFFFAOYSA-N",
}

HEADER = [
    "PROTOCOL_NAME",
    "SAMPLE_ID",
    "SAMPLE_NAME",
    "SAMPLE_DATA_TYPE",
    "CAS",
    "PUBCHEM_CID",
    "SMILES",
    "ASSAY_OUTCOME",
    "CHANNEL_OUTCOME",
    "CURVE_RANK",
    "REPRODUCIBILITY",
    "AC50",
    "EFFICACY",
]
P = "tox21-ar-bla-agonist-p1"  # the protocol behind the 12-task table's NR-AR-LBD column
# Samples, CAS, CIDs and SMILES are the real rows of tox21_10k_library_info (fixture); calls are test input.
ROWS = [
    [
        P,
        "NCGC00259626-01",
        "Glycerol",
        "ratio",
        "56-81-5",
        "753",
        "OCC(O)CO",
        "active agonist",
        "",
        "-2",
        "inconsistent",
        "42.1",
        "35",
    ],
    [P, "NCGC00259626-01", "Glycerol", "ch1", "56-81-5", "753", "OCC(O)CO", "inactive", "", "0", "", "", ""],
    [
        P,
        "NCGC00259626-01",
        "Glycerol",
        "viability",
        "56-81-5",
        "753",
        "OCC(O)CO",
        "",
        "inactive",
        "0",
        "",
        "",
        "",
    ],
    [
        P,
        "NCGC00254859-01",
        "Dimethyl sulfoxide",
        "ratio",
        "67-68-5",
        "679",
        "CS(C)=O",
        "inactive",
        "",
        "0",
        "reproducible",
        "",
        "",
    ],
    [
        P,
        "NCGC00259587-01",
        "Ethylene glycol",
        "ratio",
        "107-21-1",
        "174",
        "OCCO",
        "maybe",
        "",
        "0",
        "",
        "",
        "",
    ],
    [P, "NCGC99999999-01", "Broken", "ratio", "", "", "C1CC", "inactive", "", "0", "", "", ""],
]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory):
    wb = Workbench.open(tmp_path_factory.mktemp("seeded") / "default.cryodesk")
    outcome = wb.seed_default_library()
    assert outcome.state is JobState.DONE, outcome.error
    yield wb
    wb.close()


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def test_glass_formers_rank_above_ready_crystallisers(seeded: Workbench) -> None:
    outcome = seeded.import_source(GlassFormingJob(), resume=False)
    assert outcome.state is JobState.DONE and outcome.result.compounds > 200
    trg = {}
    for key in {**GLASS_FORMERS, **CRYSTALLISERS}.values():
        values = [v for v in seeded.compound_detail(key).properties if v.property == PROPERTY]
        assert len(values) == 1, key  # both Tg and Tm are in the library for every one of them
        assert values[0].provenance.method == "computed" and "Tg/Tm" in values[0].value_text
        trg[key] = values[0].value
    worst_glass = min(trg[k] for k in GLASS_FORMERS.values())
    best_crystalliser = max(trg[k] for k in CRYSTALLISERS.values())
    assert worst_glass > best_crystalliser, (worst_glass, best_crystalliser)
    again = seeded.import_source(GlassFormingJob(), resume=False)
    assert again.result.values_new == 0  # recomputing on unchanged data adds nothing


def test_seeded_profile_is_unweighted_and_carries_the_note(seeded: Workbench) -> None:
    profile = seeded.toxicity_profile(GLYCEROL)
    assert profile.assays == 12 and profile.by_source == {"tox21": 12}
    assert profile.weighting == "unweighted" and profile.score == 0.0
    assert "micromolar" in profile.note
    assert seeded.toxicity_profile("AAAAAAAAAAAAAA-UHFFFAOYSA-N") is None


def test_tox21_aggregated_file_joins_the_12_task_representation(seeded: Workbench, tmp_path: Path) -> None:
    path = _write(tmp_path / f"{P}.aggregrated.txt", HEADER, ROWS)
    before = seeded.toxicity_profile(GLYCEROL)
    outcome = seeded.import_source(Tox21ImportJob(Tox21ImportParams(str(path), batch_size=2)))
    summary = outcome.result
    assert outcome.state is JobState.DONE and summary.assay_key == "tox21:NR-AR-LBD"
    assert summary.results_stored == 3 and summary.channel_rows_skipped == 1 and summary.rows_rejected == 2
    errors = " | ".join(summary.errors_sample)
    assert "row 6, field 'ASSAY_OUTCOME'" in errors and "'maybe'" in errors
    assert "row 7, field 'SMILES'" in errors

    results = seeded.compound_detail(GLYCEROL).assay_results
    lbd = [r for r in results if r.assay_key == "tox21:NR-AR-LBD"]
    assert {r.provenance.source for r in lbd} == {"tox21", "tox21_aggregated"}  # one assay, two sources
    agg = next(r for r in lbd if r.provenance.source == "tox21_aggregated")
    assert agg.value == 42.1 and agg.unit == "µM"
    # quality fields live in their own column (schema v4), not in the record id
    assert "?" not in (agg.provenance.source_record_id or "")
    stored = seeded.project.assays.results_with_quality(GLYCEROL)
    assert next(q for r, q in stored if r == agg) == {"curve_rank": "-2", "reproducibility": "inconsistent"}
    assert any(r.assay_key == f"tox21:{P}:viability" for r in results)

    after = seeded.toxicity_profile(GLYCEROL)
    assert after.assays == before.assays + 1  # the viability counter-screen is a new assay
    assert after.weighting.startswith("partly weighted") and after.score > before.score
    call = next(c for c in after.calls if c.assay_key == "tox21:NR-AR-LBD")
    assert call.weighted and "curve rank -2" in call.basis and 0 < call.activity < 1

    again = seeded.import_source(Tox21ImportJob(Tox21ImportParams(str(path))), resume=False)
    assert again.result.results_new == 0


def test_unexpected_layout_is_refused_with_the_columns(tmp_path: Path) -> None:
    bad = _write(tmp_path / f"{P}.aggregrated.txt", ["ID", "NAME", "OUTCOME"], [["1", "x", "active"]])
    with pytest.raises(
        InputError, match=r"missing SAMPLE_ID, ASSAY_OUTCOME; found columns: ID, NAME, OUTCOME"
    ):
        Tox21ImportJob(Tox21ImportParams(str(bad)))
    no_protocol = _write(tmp_path / "assay.txt", HEADER[1:], [r[1:] for r in ROWS[:1]])
    with pytest.raises(InputError, match="cannot tell the Tox21 assay"):
        Tox21ImportJob(Tox21ImportParams(str(no_protocol)))
