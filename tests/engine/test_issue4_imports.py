"""DrugBank, ToxCast and COD import jobs: stored rows, errors users see, idempotence and resume."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from cryodesk.chem import compound_from_text
from cryodesk.domain import Identifier, IdentifierKind, JobState
from cryodesk.engine.cod_import import CodImportJob, CodImportParams
from cryodesk.engine.drugbank_import import (
    DrugBankVocabularyImportJob,
    DrugBankVocabularyParams,
    DrugBankXmlImportJob,
    DrugBankXmlParams,
)
from cryodesk.engine.jobs import run_job
from cryodesk.engine.toxcast_import import ToxcastImportJob, ToxcastImportParams
from tests.conftest import DATA, FIXTURES
from tests.replay.plugin import replay_server
from tests.sources.test_drugbank import XML

__all__ = ["replay_server"]

TOXCAST = DATA / "toxcast" / "toxcast.csv.gz"


def _rows(project, sql: str) -> set:
    return set(project.db.query(sql))


def test_vocabulary_adds_identifiers_to_known_compounds(project) -> None:
    goserelin = "BLCLNMBMMGCOAS-URPVMXJPSA-N"
    # Goserelin's structure is not in the vocabulary; give the project a compound with that key.
    compound = compound_from_text("CCO").compound
    project.compounds.upsert_many([compound.__class__(goserelin, "CCO", "InChI=1S/x", "C2H6O", "1")])
    path = FIXTURES / "drugbank" / "drugbank_vocabulary.ITU-semicolon-reexport.HEAD14.csv"
    outcome = run_job(project, DrugBankVocabularyImportJob(DrugBankVocabularyParams(str(path))))
    summary = outcome.result
    assert outcome.state is JobState.DONE and summary.matched == 1 and summary.not_in_project == 13
    kinds = {(i.kind, i.value) for i in project.identifiers.for_compound(goserelin)}
    assert (IdentifierKind.DRUGBANK_ID, "DB00014") in kinds and (IdentifierKind.CAS, "65807-02-5") in kinds
    again = run_job(project, DrugBankVocabularyImportJob(DrugBankVocabularyParams(str(path))), resume=False)
    assert again.result.identifiers == summary.identifiers  # upserts: nothing duplicated
    assert len(project.identifiers.for_compound(goserelin)) == len(kinds)


def test_drugbank_xml_stores_pharmacology_with_provenance(project, tmp_path: Path) -> None:
    path = tmp_path / "full database.xml"
    path.write_text(XML, encoding="utf-8")
    outcome = run_job(project, DrugBankXmlImportJob(DrugBankXmlParams(str(path), batch_size=1)))
    summary = outcome.result
    assert summary.matched == 1 and summary.rejected == 1  # the biotech drug has no structure
    assert "DB00001 (biotech) has no structure" in summary.errors_sample[0]
    ethanol = "LFQSCWFLJHTTHZ-UHFFFAOYSA-N"
    values = {(v.property, v.value_text, v.provenance.source, v.provenance.source_record_id)
              for v in project.properties.for_compound(ethanol)}
    assert ("drugbank_group", "approved", "drugbank", "DB00898") in values
    assert ("atc_code", "V03AB16", "drugbank", "DB00898") in values
    assert ("drugbank_half_life", "4-5 hours", "drugbank", "DB00898") in values
    assert any(p == "drugbank_target" and "agonist" in t for p, t, _, _ in values)
    ids = {(i.kind, i.value) for i in project.identifiers.for_compound(ethanol)}
    assert {(IdentifierKind.DRUGBANK_ID, "DB00898"), (IdentifierKind.CHEMBL_ID, "CHEMBL545"),
            (IdentifierKind.PUBCHEM_CID, "702")} <= ids


def test_drugbank_xml_with_external_entity_fails_the_job_clearly(project, tmp_path: Path) -> None:
    path = tmp_path / "evil.xml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                    '<drugbank xmlns="http://www.drugbank.ca"><drug><name>&x;</name></drug></drugbank>')
    outcome = run_job(project, DrugBankXmlImportJob(DrugBankXmlParams(str(path))))
    assert outcome.state is JobState.FAILED and "refused unsafe XML" in outcome.error


def _toxcast_snapshot(project) -> set:
    return _rows(project, "SELECT c.inchikey, a.key, r.outcome, r.source_record_id FROM assay_results r"
                          " JOIN compounds c ON c.id = r.compound_id JOIN assays a ON a.id = r.assay_id")


def test_toxcast_resume_equals_uninterrupted(project, tmp_path: Path) -> None:
    from cryodesk.store import Project

    params = ToxcastImportParams(str(TOXCAST), batch_size=10, limit=60, workers=1)
    full = run_job(project, ToxcastImportJob(params))
    assert full.state is JobState.DONE and full.result.rows_read == 60 and full.result.results_new > 1000
    reference = _toxcast_snapshot(project)
    assert all(key.startswith("toxcast:") for _, key, _, _ in reference)

    with Project.open(tmp_path / "resumed.cryodesk") as other:
        cancel = threading.Event()

        def stop_after_two(done: int, total: int | None, message: str) -> None:
            if done >= 21:
                cancel.set()

        first = run_job(other, ToxcastImportJob(params), on_progress=stop_after_two, cancel_event=cancel)
        assert first.state is JobState.CANCELLED
        assert 0 < len(_toxcast_snapshot(other)) < len(reference)
        other.jobs.set_state(first.job_id, JobState.PAUSED)  # a cancelled job resumes only when asked
        second = run_job(other, ToxcastImportJob(params), resume_job_id=first.job_id)
        assert second.state is JobState.DONE and second.resumed
        assert _toxcast_snapshot(other) == reference


def test_toxcast_bad_layout_fails_before_a_job(tmp_path: Path) -> None:
    from cryodesk.domain import InputError

    bad = tmp_path / "m.csv"
    bad.write_text("name,x\nfoo,1\n")
    with pytest.raises(InputError, match="unexpected first column"):
        ToxcastImportJob(ToxcastImportParams(str(bad)))


def test_cod_cif_file_attached_by_compound_and_by_formula(project) -> None:
    cif = FIXTURES / "cod" / "2000056.cif"
    # No compound given and none with the CIF formula: a clear row error, nothing stored.
    outcome = run_job(project, CodImportJob(CodImportParams(cif_paths=(str(cif),))))
    assert "no compound with formula C2H24N2Na2O14P2" in outcome.result.errors_sample[0]
    compound = compound_from_text("NCCN").compound  # the cation of the entry, named by the user
    project.compounds.upsert_many([compound])
    project.identifiers.upsert_many([Identifier(compound.inchikey, IdentifierKind.NAME, "ethylenediamine", "t")])
    outcome = run_job(project, CodImportJob(CodImportParams(cif_paths=(str(cif),), compound="ethylenediamine")))
    assert outcome.result.stored == 1
    values = {v.property: v for v in project.properties.for_compound(compound.inchikey)}
    assert values["crystal_density"].value == 1.727 and values["crystal_density"].unit == "g/cm³"
    assert values["crystal_space_group"].value_text == "P 1 21/c 1"
    assert values["crystal_cell_a"].provenance.source_record_id == "2000056"


def test_cod_online_with_replay(project, replay_server) -> None:
    from cryodesk.sources.cod import CodClient, cod_config
    from cryodesk.sources.http import ServiceRegistry

    compound = compound_from_text("NCCN").compound
    project.compounds.upsert_many([compound])
    client = CodClient(config=cod_config(base_url=f"{replay_server.url}/cod"), cache=False, registry=ServiceRegistry())
    params = CodImportParams(cod_ids=("2000056", "9999999"), compound=compound.inchikey)
    outcome = run_job(project, CodImportJob(params, client))
    assert outcome.result.stored == 1 and "COD has no entry 9999999" in outcome.result.errors_sample[0]
    assert any(i.kind is IdentifierKind.COD_ID for i in project.identifiers.for_compound(compound.inchikey))
