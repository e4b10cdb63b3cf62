"""The embedded default library: what a new user gets on first start, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryodesk.domain import JobState
from cryodesk.engine.seed import REFERENCE_LIST, SEED_VERSION, load_manifest
from cryodesk.engine.service import Workbench


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory):
    wb = Workbench.open(tmp_path_factory.mktemp("seed") / "default.cryodesk")
    outcome = wb.seed_default_library()
    assert outcome.state is JobState.DONE, outcome.error
    yield wb, outcome
    wb.close()


def test_every_shipped_data_set_is_registered_with_licence_and_citation(seeded) -> None:
    wb, _ = seeded
    sources = {s.key: s for s in wb.data_sources()}
    assert set(sources) == {e["key"] for e in load_manifest().entries}
    for source in sources.values():
        assert source.licence and source.citation, source.key


def test_reference_cpas_are_named_searchable_and_listed(seeded) -> None:
    wb, _ = seeded
    dmso = wb.resolve("Me2SO")
    assert dmso == ["IAZDPXIOMUYVGZ-UHFFFAOYSA-N"]
    assert wb.resolve("57-55-6") == ["DNIAPMSPPWPWGF-UHFFFAOYSA-N"]  # 1,2-propanediol by CAS
    members = wb.project.row_lists.members(REFERENCE_LIST)
    assert len(members) >= 45
    detail = wb.compound_detail(dmso[0])
    role = [v for v in detail.properties if v.property == "cpa_role"]
    assert role and role[0].value_text == "penetrating" and role[0].provenance.source == "reference_cpas"


def test_tox21_outcomes_are_assay_results_with_provenance(seeded) -> None:
    wb, outcome = seeded
    assays = {a.key: a for a in wb.project.assays.list_assays()}
    assert len(assays) == 12 and assays["tox21:SR-p53"].category == "stress response"
    tox = outcome.result["tox21"]
    assert tox["rows_read"] == 7831 and tox["rows_rejected"] < 20
    glycerol = wb.compound_detail("PEDCQBHIVMGVHV-UHFFFAOYSA-N")
    results = [r for r in glycerol.assay_results if r.assay_key == "tox21:NR-AR"]
    assert results and results[0].provenance.source == "tox21" and results[0].provenance.source_record_id


def test_koop_tg_keeps_conflicting_values_drops_exact_duplicates_and_flags_salts(seeded) -> None:
    wb, outcome = seeded
    glycerol = wb.compound_detail("PEDCQBHIVMGVHV-UHFFFAOYSA-N")
    tg = sorted(v.value for v in glycerol.properties if v.property == "tg" and v.provenance.source == "koop_tg")
    assert len(tg) >= 4 and min(tg) == 185.0 and max(tg) >= 193.0  # side by side, not averaged
    assert outcome.result["koop_tg"]["duplicates"] > 0
    salts = wb.project.db.query(
        "SELECT count(DISTINCT compound_id) FROM property_values WHERE source = 'koop_tg' AND flags LIKE '%inorganic%'"
    )[0][0]
    assert salts == 2  # NH4HSO4 and NaNO3


def test_melting_points_and_solubility_keep_their_units(seeded) -> None:
    wb, _ = seeded
    detail = wb.compound_detail("PEDCQBHIVMGVHV-UHFFFAOYSA-N")
    by_source = {(v.provenance.source, v.property): v for v in detail.properties}
    assert by_source[("bradley_mp", "melting_point")].unit == "degC"
    assert by_source[("esol", "log_solubility")].unit == "log10(M)"


def test_reference_mixtures_as_published(seeded) -> None:
    wb, _ = seeded
    vs55 = wb.mixture("VS55")
    assert vs55 is not None and vs55.carrier == "Euro-Collins"
    amounts = {c.name: (c.amount, c.unit) for c in vs55.components if c.inchikey}
    assert amounts == {"DMSO": (3.1, "M"), "formamide": (3.1, "M"), "1,2-propanediol": (2.2, "M")}
    assert len(wb.mixture_names()) >= 20


def test_seeding_again_changes_nothing(seeded) -> None:
    wb, _ = seeded
    assert wb.is_seeded() and wb.project.meta.get("seeded_with") == SEED_VERSION
    before = {k: v for k, v in wb.project.table_counts().items() if k not in ("jobs", "job_row_errors")}
    again = wb.seed_default_library()
    assert again.state is JobState.DONE
    after = {k: v for k, v in wb.project.table_counts().items() if k not in ("jobs", "job_row_errors")}
    assert after == before


def test_manifest_files_exist() -> None:
    manifest = load_manifest()
    for entry in manifest.entries:
        assert manifest.file(entry["key"]).is_file(), entry["key"]
    assert isinstance(manifest.base, Path)
