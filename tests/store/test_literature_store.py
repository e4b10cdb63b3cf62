"""The literature repository: records by PMID, evidence rows, literature values and summaries."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import apsw

from cryodesk.domain import (
    ComponentRole,
    Identifier,
    IdentifierKind,
    Method,
    Mixture,
    MixtureComponent,
    PropertyValue,
    Provenance,
)
from cryodesk.store import SCHEMA_VERSION, Project
from cryodesk.store.literature import EvidenceRow, LiteratureRecord, pubmed_url
from tests.store.test_project import DMSO, GLYCEROL

ABSTRACT = "Cells were frozen in 10% DMSO. Post-thaw viability was 80% with 10% DMSO."


def record(pmid: str, abstract: str = ABSTRACT, **changes: object) -> LiteratureRecord:
    base = LiteratureRecord(pmid, f"Title {pmid}", abstract, f"10.1/{pmid}", "Cryobiology", 2020, ("Cryopreservation",),
                            f"Doe J. Cryobiology. 2020. doi:10.1/{pmid}", "pubmed", "2026-01-01T00:00:00Z")
    return replace(base, **changes)  # type: ignore[arg-type]


def value(pmid: str, number: float, unit: str = "% v/v", inchikey: str = DMSO.inchikey) -> PropertyValue:
    provenance = Provenance("pubmed", Method.LITERATURE, f"PMID {pmid}", "2026-01-01T00:00:00Z", None, "Doe J.")
    return PropertyValue(inchikey, "reported_concentration", number, unit, provenance, f"{number:g}%",
                         "outcome: viability 80 %", ("confidence=0.81",))


def mention(pmid: str, start: int = 24, confidence: float = 0.8, inchikey: str | None = DMSO.inchikey,
            mixture: str | None = None, sentence_start: int = 0) -> EvidenceRow:
    return EvidenceRow(pmid, "mention", "DMSO", start, start + 4, inchikey=inchikey, mixture=mixture,
                       confidence=confidence, mention="DMSO", canonical="Dimethyl sulfoxide", match_kind="exact",
                       sentence="Cells were frozen in 10% DMSO.", sentence_start=sentence_start, sentence_end=30,
                       confidence_basis=("dictionary:exact",))


def concentration(pmid: str, number: float = 10.0, start: int = 21, literature_value: PropertyValue | None = None,
                  confidence: float = 0.8) -> EvidenceRow:
    return EvidenceRow(pmid, "concentration", f"{number:g}%", start, start + 3, inchikey=DMSO.inchikey, value=number,
                       unit="% v/v", confidence=confidence, sentence="Cells were frozen in 10% DMSO.",
                       sentence_start=0, sentence_end=30, details={"link": "adjacent_after"},
                       literature_value=literature_value)


def outcome(pmid: str, number: float = 80.0, start: int = 55) -> EvidenceRow:
    return EvidenceRow(pmid, "outcome", f"{number:g}%", start, start + 3, inchikey=DMSO.inchikey, value=number,
                       unit="%", outcome_metric="viability", confidence=0.7, sentence="Post-thaw viability was 80%.",
                       sentence_start=31, sentence_end=75)


def stored(project: Project) -> list[tuple]:
    return project.db.query("SELECT * FROM evidence ORDER BY id") + project.db.query(
        "SELECT * FROM literature_records ORDER BY id")


def _with_compounds(project: Project) -> Project:
    project.compounds.upsert_many([DMSO, GLYCEROL])
    return project


# -- records -----------------------------------------------------------------------------------------------
def test_records_are_upserted_by_pmid_and_unchanged_ones_left_alone(project: Project) -> None:
    first = project.literature.upsert_records([record("1"), record("2"), record("1")])
    assert (first.new, first.updated, len(first.ids)) == (2, 0, 2)
    before = stored(project)
    again = project.literature.upsert_records([record("1", retrieved_at="2026-02-02T00:00:00Z"), record("2")])
    assert (again.new, again.updated, again.changed_text) == (0, 0, ())
    assert again.ids == first.ids
    assert stored(project) == before  # the first retrieval time stays: nothing changed
    got = project.literature.record("1")
    assert got == record("1") and got.url == pubmed_url("1") == "https://pubmed.ncbi.nlm.nih.gov/1/"
    assert project.literature.record("404") is None


def test_a_revised_record_is_rewritten_and_a_changed_text_drops_its_old_evidence(project: Project) -> None:
    _with_compounds(project)
    project.literature.upsert_records([record("1"), record("2")])
    measured = PropertyValue(DMSO.inchikey, "tg", 150.0, "K", Provenance("koop", Method.MEASURED, "r1"))
    project.properties.upsert_many([measured, value("1", 10.0), value("2", 10.0)])
    project.literature.upsert_evidence([mention("1"), concentration("1", literature_value=value("1", 10.0)),
                                        mention("2"), concentration("2", literature_value=value("2", 10.0))])

    mesh = project.literature.upsert_records([record("1", mesh_terms=("Cryopreservation", "Dimethyl Sulfoxide"))])
    assert (mesh.updated, mesh.changed_text) == (1, ())
    assert len(project.literature.evidence_for_record("1")) == 2  # offsets still point into the same text

    revised = project.literature.upsert_records([record("1", abstract=ABSTRACT + " Erratum.")], job_id=None)
    assert (revised.updated, revised.changed_text) == (1, ("1",))
    assert project.literature.evidence_for_record("1") == []
    assert len(project.literature.evidence_for_record("2")) == 2
    values = project.properties.for_compound(DMSO.inchikey)
    assert sorted((v.property, v.provenance.source_record_id) for v in values) == [
        ("reported_concentration", "PMID 2"), ("tg", "r1")]


# -- evidence ----------------------------------------------------------------------------------------------
def test_evidence_is_idempotent_and_linked_to_its_literature_value(project: Project) -> None:
    _with_compounds(project)
    project.literature.upsert_records([record("1")])
    v = value("1", 10.0)
    rows = [mention("1"), concentration("1", literature_value=v), outcome("1")]
    with project.db.transaction():
        assert project.properties.upsert_many([v]) == 1
        first = project.literature.upsert_evidence(rows)
    assert (first.new, first.unlinked) == (3, 0)
    before = stored(project)
    with project.db.transaction():
        assert project.properties.upsert_many([v]) == 0
        assert project.literature.upsert_evidence(rows).new == 0
    assert stored(project) == before

    items = {i.kind: i for i in project.literature.evidence_for_compound(DMSO.inchikey)}
    value_id = project.db.scalar("SELECT id FROM property_values WHERE property = 'reported_concentration'")
    assert items["concentration"].value_id == value_id and items["mention"].value_id is None
    assert items["concentration"].details == {"link": "adjacent_after"}
    assert items["mention"].confidence_basis == ("dictionary:exact",)
    assert items["outcome"].outcome_metric == "viability"
    assert project.literature.evidence_for_compound(DMSO.inchikey, kinds=("outcome",))[0].value == 80.0


def test_evidence_about_a_mixture_is_unique_too(project: Project) -> None:
    # v2's UNIQUE(..., compound_id) never fires when compound_id is NULL: version 3's index covers it.
    _with_compounds(project)
    project.mixtures.upsert_many([Mixture("VS55", (MixtureComponent("DMSO", 24.2, "% w/v", ComponentRole.PENETRATING,
                                                                    DMSO.inchikey),), "reference")], "test")
    project.literature.upsert_records([record("1")])
    row = mention("1", inchikey=None, mixture="VS55")
    assert project.literature.upsert_evidence([row]).new == 1
    assert project.literature.upsert_evidence([row, row]).new == 0
    [item] = project.literature.evidence_for_mixture("VS55")
    assert item.pmid == "1" and project.literature.mixture_summary("VS55").n_papers == 1


def test_rows_about_unknown_records_compounds_or_mixtures_are_skipped(project: Project) -> None:
    _with_compounds(project)
    project.literature.upsert_records([record("1")])
    rows = [mention("1", inchikey="XXXXXXXXXXXXXX-XXXXXXXXXX-X"), mention("1", inchikey=None, mixture="nope"),
            mention("2"), mention("1", inchikey=None)]
    result = project.literature.upsert_evidence(rows)
    assert (result.new, result.unlinked) == (0, 4)
    assert project.literature.evidence_count() == 0


# -- names for the dictionary -----------------------------------------------------------------------------
def test_dictionary_names_put_the_compound_name_first_and_skip_other_identifiers(project: Project) -> None:
    _with_compounds(project)
    project.identifiers.upsert_many([
        Identifier(DMSO.inchikey, IdentifierKind.SYNONYM, "Me2SO", "test", 0.9),
        Identifier(DMSO.inchikey, IdentifierKind.NAME, "dimethyl sulfoxide", "test"),
        Identifier(DMSO.inchikey, IdentifierKind.CAS, "67-68-5", "test"),
        Identifier(GLYCEROL.inchikey, IdentifierKind.NAME, "glycerol", "test"),
        Identifier(GLYCEROL.inchikey, IdentifierKind.NAME, "glycerol", "other"),
    ])
    names = project.literature.dictionary_names()
    assert names[0] == ("DMSO", DMSO.inchikey)  # the compound's own name: the dictionary's display name
    assert set(names) == {("DMSO", DMSO.inchikey), ("dimethyl sulfoxide", DMSO.inchikey), ("Me2SO", DMSO.inchikey),
                          ("glycerol", GLYCEROL.inchikey)}
    project.mixtures.upsert_many([Mixture("VS55", (), "reference", aliases=("VS41A",))], "test")
    assert project.literature.mixture_names() == [("VS55", "VS55"), ("VS41A", "VS55")]


# -- summaries -------------------------------------------------------------------------------------------
def test_compound_summary_counts_papers_values_and_ranks_sentences(project: Project) -> None:
    _with_compounds(project)
    project.literature.upsert_records([record("1", year=2001), record("2", year=2010), record("3", year=2020)])
    rows = [
        mention("1", confidence=0.9), concentration("1", 10.0), outcome("1", 80.0),
        mention("2", confidence=0.6), concentration("2", 5.0), concentration("2", 1.5, start=40), outcome("2", 60.0),
        replace(concentration("2", 20.0, start=45), unit="M"),
        mention("3", confidence=0.9), mention("3", start=60, confidence=0.95, sentence_start=31),
    ]
    project.literature.upsert_evidence(rows)
    summary = project.literature.compound_summary(DMSO.inchikey, top=2)
    assert (summary.subject, summary.name) == (DMSO.inchikey, "DMSO")
    assert (summary.n_papers, summary.n_mentions, summary.first_year, summary.last_year) == (3, 4, 2001, 2020)
    [percent, molar] = summary.concentrations
    assert (percent.unit, percent.n, percent.n_papers, percent.minimum, percent.median, percent.maximum) == (
        "% v/v", 3, 2, 1.5, 5.0, 10.0)
    assert (molar.unit, molar.n) == ("M", 1)
    [viability] = summary.outcomes
    assert (viability.label, viability.unit, viability.median, viability.pmids) == ("viability", "%", 70.0, ("2", "1"))  # newest first
    # One sentence per paper, best first; paper 3's better sentence wins over its first one.
    assert [(t.pmid, t.confidence) for t in summary.top_sentences] == [("3", 0.95), ("1", 0.9)]
    assert summary.top_sentences[1].concentrations == ("10 % v/v",)
    assert summary.top_sentences[0].url == "https://pubmed.ncbi.nlm.nih.gov/3/"
    assert project.literature.compounds_with_evidence() == [(DMSO.inchikey, 3)]

    empty = project.literature.compound_summary(GLYCEROL.inchikey)
    assert empty.is_empty and empty.concentrations == () and empty.top_sentences == ()


# -- schema --------------------------------------------------------------------------------------------
def test_upgrade_of_a_version_2_file_keeps_its_literature(tmp_path: Path) -> None:
    from cryodesk.store.schema import APPLICATION_ID, MIGRATIONS

    path = tmp_path / "v2.cryodesk"
    conn = apsw.Connection(str(path))
    conn.execute("PRAGMA journal_mode = wal")
    with conn:
        conn.execute(MIGRATIONS[0])
        conn.execute(MIGRATIONS[1])
        conn.execute(f"PRAGMA user_version = 2; PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("INSERT INTO literature_records (pmid, title, source) VALUES ('7', 'Old', 'pubmed')")
        conn.execute("INSERT INTO evidence (literature_id, kind, span_text, span_start, span_end)"
                     " VALUES (1, 'mention', 'DMSO', 0, 4)")
    conn.close()
    with Project.open(path) as project:
        assert project.db.schema_version() == SCHEMA_VERSION >= 3
        assert project.literature.record("7").title == "Old"
        [item] = project.literature.evidence_for_record("7")
        assert (item.span_text, item.confidence_basis, item.details, item.value_id) == ("DMSO", (), {}, None)
        assert project.integrity_check() == "ok"
        assert json.loads(project.db.scalar("SELECT mesh_terms FROM literature_records")) == []
