"""PUG-View literature and bioactivity sections: parsed from the recorded records, fetched from the
replay server, and stored with provenance by the PubChem import job."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from cryodesk.domain import JobState, Method
from cryodesk.engine.jobs import run_job
from cryodesk.engine.online_import import PubChemImportJob, PubChemImportParams, literature_values
from cryodesk.engine.online_records import Stamp
from cryodesk.sources.http import RetryPolicy, ServiceRegistry
from cryodesk.sources.pubchem import PubChemClient, pubchem_config
from cryodesk.sources.pubchem_view import (
    EXTERNAL_TABLE,
    LINK,
    LITERATURE_REQUEST_HEADINGS,
    PANEL,
    TEXT,
    LiteratureAnnotation,
    find_dois,
    find_pmids,
    parse_literature_annotations,
)
from cryodesk.store import Project
from tests.engine.test_online_import import project_rows, pubchem_client
from tests.replay import ReplayServer
from tests.replay.recorded import fixture_json

ACETIC_ACID = ("pubchem", "pugview_data_compound_176_acetic-acid_full.json")
ETHYLENE_GLYCOL = ("pubchem", "pugview_data_compound_174_ethylene-glycol_Record-only.json")
EG_KEY = "LYCAIKOWRPUZTN-UHFFFAOYSA-N"


@pytest.fixture(scope="module")
def acetic_acid() -> list[LiteratureAnnotation]:
    return parse_literature_annotations(fixture_json(*ACETIC_ACID))


@pytest.fixture(scope="module")
def ethylene_glycol() -> list[LiteratureAnnotation]:
    return parse_literature_annotations({"Record": fixture_json(*ETHYLENE_GLYCOL)})


def _by_heading(annotations: list[LiteratureAnnotation], heading: str) -> list[LiteratureAnnotation]:
    return [a for a in annotations if a.heading == heading]


# -- parsing the recorded records ------------------------------------------------------------------
def test_every_wanted_section_of_the_recorded_record_is_read(acetic_acid: list[LiteratureAnnotation]) -> None:
    sections = Counter(a.section for a in acetic_acid)
    assert set(sections) == {
        "Literature",
        "Biological Test Results",
        "Toxicity",
        "Associated Disorders and Diseases",
    }
    # Counted in the recorded file: 5+5+5+5+3+2 items under the six toxicity headings read.
    assert sections["Toxicity"] == 25
    assert len(_by_heading(acetic_acid, "Disease and References")) == 25
    assert all(a.cid == 176 for a in acetic_acid)
    # "Toxicity Data" is an experimental property, read by the experimental parser, not here.
    assert not _by_heading(acetic_acid, "Toxicity Data")


def test_toxicity_excerpt_keeps_its_text_citations_and_pmid(acetic_acid: list[LiteratureAnnotation]) -> None:
    excerpts = _by_heading(acetic_acid, "Human Toxicity Excerpts")
    first = excerpts[0]
    assert first.kind == TEXT and first.section == "Toxicity"
    assert first.value_text.startswith("/HUMAN EXPOSURE STUDIES/ Six patients with frequent episodes")
    assert first.citations == ("PMID:6299252", "Hampl H et al; Artif Organs 6 (4): 410-6 (1982)")
    assert first.pmids == ("6299252",)
    assert first.description == "PEER REVIEWED"
    assert first.reference_number == 41 and first.source_name  # the annotation's source (HSDB)
    assert "Hampl H et al" in first.citation and first.citation.count("PMID:6299252") == 1


def test_toxicity_values_are_read_into_numbers_with_the_original_string(
    acetic_acid: list[LiteratureAnnotation],
) -> None:
    values = [v for a in _by_heading(acetic_acid, "Non-Human Toxicity Values") for v in a.values]
    readings = {(v.measure, v.value, v.unit, v.conditions) for v in values}
    assert ("LD50", 3.53, "g/kg", "Rat oral") in readings
    assert ("LD50", 525.0, "mg/kg", "Mouse iv") in readings
    rat = next(v for v in values if v.value == 3.53)
    assert rat.value_text == "LD50 Rat oral 3.53 g/kg" and rat.property == "Non-Human Toxicity Values"
    # Ecotoxicity values are prose with several numbers: kept as text, no number guessed.
    eco = _by_heading(acetic_acid, "Ecotoxicity Values")
    assert eco and all(not a.values for a in eco)
    assert eco[0].value_text.startswith("EC50; Species: Chlorococcales")


def test_literature_references_pointers_and_panels(acetic_acid: list[LiteratureAnnotation]) -> None:
    general = _by_heading(acetic_acid, "General References")
    assert [a.dois for a in general] == [(), ("10.1038/nchembio.198",), ("10.1038/nchem.2624",)]
    assert general[1].url == "http://dx.doi.org/10.1038/nchembio.198"
    assert general[1].value_text.startswith("Horie et al. Discovery of proteinaceous N-modification")
    (depositor,) = _by_heading(acetic_acid, "Depositor Provided PubMed Citations")
    assert (depositor.kind, depositor.value_text, depositor.external_rows) == (
        EXTERNAL_TABLE,
        "collection=pubmed&pmidsrcs=xref",
        39758,
    )
    (nlm,) = _by_heading(acetic_acid, "NLM Curated PubMed Citations")
    assert nlm.kind == LINK and "pccompound_pubmed_mesh" in nlm.value_text
    (bioassay,) = _by_heading(acetic_acid, "BioAssay Results")
    assert (bioassay.section, bioassay.kind, bioassay.value_text) == (
        "Biological Test Results",
        EXTERNAL_TABLE,
        "bioactivity",
    )
    panels = [a for a in acetic_acid if a.kind == PANEL]
    assert {a.heading for a in panels} == {
        "Chemical Co-Occurrences in Literature",
        "Chemical-Gene Co-Occurrences in Literature",
        "Chemical-Disease Co-Occurrences in Literature",
    }


def test_disease_references_list_their_pubmed_ids(acetic_acid: list[LiteratureAnnotation]) -> None:
    pregnancy = next(a for a in acetic_acid if a.name == "Pregnancy")
    assert len(pregnancy.pmids) == 15 and pregnancy.pmids[:2] == ("3252730", "663967")
    assert "The Merck Manual" in pregnancy.value_text  # both strings of the item are kept


def test_the_2025_record_parses_too(ethylene_glycol: list[LiteratureAnnotation]) -> None:
    headings = {a.heading for a in ethylene_glycol}
    assert {"Nature Journal References", "Human Toxicity Values", "BioAssay Results"} <= headings
    ld50 = {
        (v.value, v.unit) for a in _by_heading(ethylene_glycol, "Non-Human Toxicity Values") for v in a.values
    }
    assert (4700.0, "mg/kg") in ld50
    nature = _by_heading(ethylene_glycol, "Nature Journal References")
    assert all(a.dois and a.dois[0].startswith("10.1038/s41557") for a in nature)


def test_pmid_and_doi_finders() -> None:
    assert find_pmids(
        ["PMID:123", "Smith J; J Tox 1 (1990)"],
        ["PubMed: 5, 6"],
        [
            "https://pubmed.ncbi.nlm.nih.gov/?term=7,8",
            "https://pubchem.ncbi.nlm.nih.gov/compound/176",
        ],
    ) == ("123", "5", "6", "7", "8")
    assert find_pmids(["PMID: not a number"], ["no ids here"], []) == ()
    assert find_dois(["see doi: 10.1038/nchem.2624, published", "http://dx.doi.org/10.1000/xyz."]) == (
        "10.1038/nchem.2624",
        "10.1000/xyz",
    )


def test_an_empty_or_foreign_record_gives_nothing() -> None:
    assert parse_literature_annotations({"Record": {"RecordNumber": 1, "Section": []}}) == []
    record: dict[str, Any] = {
        "RecordNumber": 2,
        "Section": [
            {
                "TOCHeading": "Literature",
                "Section": [
                    {
                        "TOCHeading": "X",
                        "Information": [{"ReferenceNumber": 1, "Value": {"Boolean": [True]}}],
                    },
                ],
            }
        ],
    }
    assert parse_literature_annotations(record) == []  # a bare flag cites nothing


# -- the client against the replay server ----------------------------------------------------------
@pytest.fixture
def pubchem(replay_server: ReplayServer, registry: ServiceRegistry) -> Iterator[PubChemClient]:
    config = pubchem_config(
        base_url=replay_server.pubchem_base, rate=100.0, retry=RetryPolicy(max_attempts=3, base_delay=0.01)
    )
    client = PubChemClient(config=config, cache=False, registry=registry)
    yield client
    client.close()


def test_client_reads_the_sections_one_heading_at_a_time(
    pubchem: PubChemClient, replay_server: ReplayServer, acetic_acid: list[LiteratureAnnotation]
) -> None:
    annotations = pubchem.literature_annotations(176)
    view_requests = [r for r in replay_server.requests if "/pug_view/" in r.path]
    assert [r.query["heading"][0] for r in view_requests] == list(LITERATURE_REQUEST_HEADINGS)
    # The pruned replies give the same annotations as the full recorded record.
    assert Counter((a.heading, a.value_text) for a in annotations) == Counter(
        (a.heading, a.value_text) for a in acetic_acid
    )
    assert pubchem.literature_annotations(999) == []  # no record: PUG-View's 404 is "nothing"


# -- the import job stores them with provenance ----------------------------------------------------
def test_import_job_stores_literature_with_provenance(
    project: Project, replay_server: ReplayServer, registry: ServiceRegistry
) -> None:
    client = pubchem_client(replay_server, registry)
    params = PubChemImportParams(names=("ethylene glycol",), literature=True)
    outcome = run_job(project, PubChemImportJob(params, client))
    assert outcome.state is JobState.DONE, outcome.error
    values = project.properties.for_compound(EG_KEY)
    literature = [v for v in values if v.provenance.method is Method.LITERATURE]
    keys = Counter(v.property for v in literature)
    assert keys["toxicity_human_toxicity_excerpts"] == 5
    assert keys["biological_test_results_bioassay_results"] == 1
    assert all(v.value is None and v.value_text for v in literature)
    assert all(v.provenance.source_record_id.startswith("CID 174 ref ") for v in literature)
    assert all(v.provenance.job_id == outcome.job_id and v.provenance.retrieved_at for v in literature)
    bioassay = next(v for v in literature if v.property == "biological_test_results_bioassay_results")
    assert (bioassay.value_text, bioassay.flags) == ("bioactivity", ("external_table",))
    # The LD50s under "Non-Human Toxicity Values" became measured numbers, with their string.
    ld50 = [v for v in values if v.property == "ld50" and v.provenance.method is Method.MEASURED]
    assert any(v.value == 4700.0 and v.unit == "mg/kg" and "Rat" in (v.conditions or "") for v in ld50)
    assert all(v.value_text for v in ld50)
    # Panels (column headers only) are not stored.
    assert not any("co_occurrences" in v.property for v in literature)
    client.close()


def test_literature_import_is_idempotent_and_old_jobs_keep_their_identity(
    project: Project, replay_server: ReplayServer, registry: ServiceRegistry
) -> None:
    client = pubchem_client(replay_server, registry)
    params = PubChemImportParams(names=("ethylene glycol",), literature=True)
    assert run_job(project, PubChemImportJob(params, client)).state is JobState.DONE
    first = project_rows(project)
    outcome = run_job(project, PubChemImportJob(params, client), resume=False)
    assert outcome.state is JobState.DONE
    assert project_rows(project)["values"] == first["values"]
    # Without the option, the stored parameters are what they were before it existed.
    plain = PubChemImportJob(PubChemImportParams(names=("ethylene glycol",)))
    assert "literature" not in plain.params()
    assert plain.fingerprint() != PubChemImportJob(params).fingerprint()
    client.close()


def test_literature_values_without_text_sections() -> None:
    annotation = LiteratureAnnotation(
        cid=5,
        section="Literature",
        heading="Synthesis References",
        kind=TEXT,
        value_text="Law, D. Process ... (2007)",
        reference_number=42,
    )
    (value,) = literature_values(
        "K" * 14 + "-" + "A" * 10 + "-N", [annotation], Stamp("2026-01-01T00:00:00Z", 7)
    )
    assert value.property == "literature_synthesis_references"
    assert (value.value, value.value_text, value.provenance.source_record_id) == (
        None,
        "Law, D. Process ... (2007)",
        "CID 5 ref 42",
    )
    assert value.provenance.method is Method.LITERATURE and value.provenance.job_id == 7
