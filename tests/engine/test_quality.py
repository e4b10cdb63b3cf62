"""Data quality on a small library built from real rows of the shipped data sets: coverage before and
after imports, per-import quality metrics, validation against the reference compounds, per-source reports."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from cryodesk.domain import JobState
from cryodesk.engine.file_import import FileImportParams
from cryodesk.engine.quality import (
    DISAGREES_FLAG,
    QualitySettings,
    check_reference,
    coverage,
    coverage_change,
    import_quality,
    on_import_start,
    property_family,
    quality_report,
    reason_pattern,
    save_settings,
    source_report,
)
from cryodesk.engine.seed import (
    column_map,
    data_source_records,
    load_manifest,
    register_assays,
    seed_reference_cpas,
)
from cryodesk.engine.service import Workbench

GLYCEROL = "PEDCQBHIVMGVHV-UHFFFAOYSA-N"
DMSO = "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"
ETHYLENE_GLYCOL = "LYCAIKOWRPUZTN-UHFFFAOYSA-N"
METHANOL = "OKKJLVBELUTLKV-UHFFFAOYSA-N"

KOOP_SMILES = {"OCC(O)CO", "C(C(CO)O)O", "OCCO", "CO"}
BRADLEY_NAMES = {"Glycerol", "Methanol", "Dimethyl sulfoxide", "Urea"}
SMALL_SMILES = {"OCC(O)CO", "CS(C)=O", "OCCO", "CO", "NC(N)=O", "CC(O)CO"}

# A lab's own file: glycerol's Tg 60 K too high, DMSO's melting point in K 8.5 K too high, ethylene
# glycol's Tg and glycerol's melting point (in K) in line with the references; one broken row, one bad unit.
LAB_CSV = """name,smiles,Tg (K),mp (K)
glycerol,OCC(O)CO,250,291.2
ethylene glycol,OCCO,151,
DMSO,CS(C)=O,,300
broken,C1CC(,150,
"2-methyl-1,3-propanediol",CC(CO)CO,167,5 mg
"""


def real_subset(key: str, keep: Callable[[dict[str, str]], bool], out: Path) -> Path:
    """Rows of a shipped data set (header kept) for which ``keep`` is true."""
    source = load_manifest().file(key)
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [r for r in reader if keep(r)]
        fields = reader.fieldnames
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return out


def import_real(wb: Workbench, key: str, path: Path):
    """Import a subset of a shipped data set the way seeding does (its source key and column map)."""
    entry = load_manifest().entry(key)
    if column_map(entry).get("assays"):
        register_assays(wb.project, entry)
    params = FileImportParams(str(path), source=key, method=entry.get("method", "measured"),
                              column_map=column_map(entry), citation=entry.get("citation"), workers=1)
    outcome = wb.import_file(params)
    assert outcome.state is JobState.DONE, outcome.error
    return outcome


def build_small_library(folder: Path) -> Workbench:
    wb = Workbench.open(folder / "small.cryodesk")
    manifest = load_manifest()
    wb.project.sources.upsert_many(data_source_records(manifest))
    seed_reference_cpas(wb.project, manifest)
    import_real(wb, "koop_tg", real_subset("koop_tg", lambda r: r["SMILES"] in KOOP_SMILES, folder / "koop.csv"))
    import_real(wb, "bradley_mp", real_subset("bradley_mp", lambda r: r["name"] in BRADLEY_NAMES,
                                              folder / "bradley.csv"))
    import_real(wb, "esol", real_subset("esol", lambda r: r["smiles"] in SMALL_SMILES, folder / "esol.csv"))
    import_real(wb, "tox21", real_subset("tox21", lambda r: r["smiles"] in SMALL_SMILES, folder / "tox21.csv"))
    return wb


@pytest.fixture
def library(tmp_path: Path):
    wb = build_small_library(tmp_path)
    yield wb
    wb.close()


def import_lab_file(wb: Workbench, folder: Path):
    path = folder / "lab.csv"
    path.write_text(LAB_CSV)
    outcome = wb.import_file(FileImportParams(str(path), workers=1))
    assert outcome.state is JobState.DONE, outcome.error
    return outcome


# --------------------------------------------------------------------------------------- coverage
def test_coverage_counts_structures_identifiers_families_and_toxicity(library: Workbench) -> None:
    cov = coverage(library.project)
    assert cov.compounds == library.compound_count() == cov.with_structure
    # Every reference CPA has a CAS number: identifiers beyond names.
    assert cov.with_strong_identifiers >= 54 and cov.identifier_kinds["cas"] == 54
    assert cov.properties["tg"]["compounds"] == 3  # glycerol, ethylene glycol, methanol (Koop)
    assert cov.properties["tg"]["values"] >= 9  # replicates kept side by side
    assert cov.properties["melting_point"]["compounds"] == 5  # Koop's Tm and Bradley's mp
    assert cov.families["thermal"] == 5 and cov.families["solubility"] == 2
    assert cov.families["annotation"] == 54  # cpa_role / cpa_category
    assert cov.toxicity["tox21:SR-ARE"] == {"tested": 6, "active": 1}  # DMSO is active in SR-ARE
    assert cov.with_toxicity == 6
    assert property_family("melting_point") == "thermal" and property_family("made_up") == "other"


def test_every_import_records_coverage_before_after_and_what_changed(library: Workbench, tmp_path: Path) -> None:
    before = coverage(library.project).as_dict()
    outcome = import_lab_file(library, tmp_path)
    metrics = library.job(outcome.job_id).metrics
    assert metrics["coverage_before"]["compounds"] == before["compounds"]
    assert metrics["coverage_after"]["compounds"] == before["compounds"] + 1  # 2-methyl-1,3-propanediol is new
    change = metrics["coverage_change"]
    assert change["compounds"] == 1
    assert change["properties"]["tg"] == 1  # the new diol's Tg; the others already had a Tg
    assert "melting_point" not in change["properties"]  # the diol's was rejected (bad unit)
    assert "quality_error" not in metrics
    # The seeding-style imports of the fixture carry them too: tox21 added toxicity coverage.
    tox_job = next(j for j in library.jobs() if j.params.get("source") == "tox21")
    assert tox_job.metrics["coverage_change"]["toxicity"]["tox21:NR-AR"] == 6


def test_coverage_before_is_kept_from_the_first_run_of_a_resumed_job(library: Workbench, tmp_path: Path) -> None:
    job = next(j for j in library.jobs() if j.params.get("source") == "esol")
    first = job.metrics["coverage_before"]
    import_lab_file(library, tmp_path)  # the library grows; a resumed run starting now must not overwrite
    on_import_start(library.project, job.id)
    assert library.job(job.id).metrics["coverage_before"] == first
    assert coverage(library.project).compounds > first["compounds"]


def test_coverage_change_lists_only_what_changed() -> None:
    before = {"compounds": 10, "properties": {"tg": {"compounds": 2}}, "toxicity": {}, "families": {"thermal": 2}}
    after = {"compounds": 12, "properties": {"tg": {"compounds": 2}, "mp": {"compounds": 3}}, "toxicity": {},
             "families": {"thermal": 4}}
    assert coverage_change(before, after) == {"compounds": 2, "properties": {"mp": 3}, "families": {"thermal": 2}}


# ------------------------------------------------------------------------------- import quality
def test_import_quality_metrics_completeness_rejections_conflicts_and_reference(library: Workbench,
                                                                                tmp_path: Path) -> None:
    outcome = import_lab_file(library, tmp_path)
    quality = library.job(outcome.job_id).metrics["quality"]

    completeness = quality["completeness"]
    assert (completeness["rows_read"], completeness["rows_stored"], completeness["rows_rejected"]) == (5, 4, 1)
    assert completeness["stored_fraction"] == 0.8
    assert completeness["values_per_row"] == {"tg": 0.75, "melting_point": 0.5}

    rejected = quality["rejected"]
    assert rejected["rows_with_errors"] == 2
    assert rejected["by_field"] == {"smiles": 1, "mp (K)": 1}
    assert "unit '…' is not known; the column unit is '…'" in rejected["by_reason"]

    conflicts = quality["conflicts"]
    # glycerol Tg (250 K vs Koop 185-194 K) and DMSO mp (300 K vs Bradley 18.4 degC): across sources.
    assert conflicts["conflicts"] == 2 and conflicts["across_sources"] == 2
    assert {e["compound"] for e in conflicts["examples"]} == {"Glycerol", "Dimethyl sulfoxide"}

    reference = quality["reference"]
    assert reference["checked"] == 4  # glycerol Tg + mp, ethylene glycol Tg, DMSO mp
    assert reference["disagreements"] == 2
    by_compound = {(e["compound"], e["property"]): e for e in reference["examples"]}
    dmso = by_compound[("Dimethyl sulfoxide", "melting_point")]
    assert dmso["unit"] == "degC" and dmso["value"] == pytest.approx(26.85) and dmso["reference"] == 18.4
    assert dmso["reference_sources"] == ["bradley_mp"] and dmso["tolerance"] == 5.0
    glycerol = by_compound[("Glycerol", "tg")]
    # Koop's six replicates 185-194 K: median 191 K.
    assert glycerol["reference"] == pytest.approx(191.0) and glycerol["difference"] == pytest.approx(59.0)


def test_disagreeing_values_are_flagged_never_changed(library: Workbench, tmp_path: Path) -> None:
    outcome = import_lab_file(library, tmp_path)
    lab = {(v.inchikey, v.property): v for key in (GLYCEROL, DMSO, ETHYLENE_GLYCOL)
           for v in library.compound_detail(key).properties if v.provenance.job_id == outcome.job_id}
    assert DISAGREES_FLAG in lab[(GLYCEROL, "tg")].flags and lab[(GLYCEROL, "tg")].value == 250.0
    assert DISAGREES_FLAG in lab[(DMSO, "melting_point")].flags
    assert lab[(DMSO, "melting_point")].value == 300.0 and lab[(DMSO, "melting_point")].unit == "K"
    # Within tolerance after K -> degC: 291.2 K = 18.05 degC vs 17.8 degC (Bradley) and 18.1 degC (Koop).
    assert DISAGREES_FLAG not in lab[(GLYCEROL, "melting_point")].flags
    assert DISAGREES_FLAG not in lab[(ETHYLENE_GLYCOL, "tg")].flags
    # The trusted values are untouched.
    koop = [v for v in library.compound_detail(GLYCEROL).properties if v.provenance.source == "koop_tg"]
    assert koop and all(DISAGREES_FLAG not in v.flags for v in koop)


def test_reference_values_come_from_trusted_sources_only(library: Workbench, tmp_path: Path) -> None:
    import_lab_file(library, tmp_path)
    # Nobody vouches for Koop any more: the lab's Tg values have nothing to be checked against.
    save_settings(library.project, QualitySettings(trusted_sources=("bradley_mp",)))
    checks = check_reference(library.project, source="file:lab.csv")
    assert {(c.compound, c.property) for c in checks} == {("Glycerol", "melting_point"),
                                                         ("Dimethyl sulfoxide", "melting_point")}
    # Koop's own melting points are checked against Bradley's (the other trusted-at-start source).
    koop = check_reference(library.project, source="koop_tg")
    assert koop and all(c.reference_sources == ("bradley_mp",) for c in koop) and all(c.agrees for c in koop)


def test_import_quality_can_be_recomputed_without_flagging(library: Workbench, tmp_path: Path) -> None:
    outcome = import_lab_file(library, tmp_path)
    again = import_quality(library.project, outcome.job_id, flag=False)
    assert again["reference"]["disagreements"] == 2
    assert again == library.job(outcome.job_id).metrics["quality"]


def test_reason_patterns_group_equal_problems() -> None:
    assert reason_pattern("duplicate of row 12: values not stored again") == "duplicate of row N"
    assert reason_pattern("unit 'mg' is not known; the column unit is 'K'") == (
        "unit '…' is not known; the column unit is '…'")
    assert reason_pattern("SMILES valence error: Explicit valence for atom # 8 Al, 6") == "SMILES valence error"
    assert reason_pattern("empty structure") == "empty structure"


# ------------------------------------------------------------------------------ per-source report
def test_quality_report_per_source(library: Workbench, tmp_path: Path) -> None:
    # Koop's six replicates of glycerol's Tg spread over 9 K: a conflict inside the source.
    koop_alone = source_report(library.project, "koop_tg")
    assert koop_alone.conflicts["within_source"] == 1 and koop_alone.conflicts["across_sources"] == 0
    assert koop_alone.conflicts["examples"][0]["compound"] == "Glycerol"
    outcome = import_lab_file(library, tmp_path)
    report = source_report(library.project, "file:lab.csv")
    assert report.jobs[0]["id"] == outcome.job_id and report.jobs[0]["rows_rejected"] == 1
    assert report.rejected["rows_rejected"] == 1 and report.rejected["errors"] == 2
    assert {p["property"] for p in report.properties} == {"tg", "melting_point"}
    assert report.conflicts["conflicts"] == 2
    assert (report.reference["checked"], report.reference["disagreements"]) == (4, 2)
    assert report.flags[DISAGREES_FLAG] == 2

    tox = source_report(library.project, "tox21")
    assert tox.assay_results == {"results": 72, "compounds": 6, "active": 1}
    assert tox.conflicts["groups_checked"] == 0

    full = quality_report(library.project)
    assert {"koop_tg", "bradley_mp", "esol", "tox21", "reference_cpas", "file:lab.csv"} <= {
        s["source"] for s in full["sources"]}
    assert full["coverage"]["compounds"] == library.compound_count()
    koop = next(s for s in full["sources"] if s["source"] == "koop_tg")
    # The lab's 250 K joined glycerol's Tg group: now a conflict across sources.
    assert (koop["conflicts"]["within_source"], koop["conflicts"]["across_sources"]) == (0, 1)
