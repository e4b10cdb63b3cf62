"""Mining hand-written sentences with known answers, and the evidence records."""

from __future__ import annotations

import pytest

from cryodesk.literature import LiteratureMiner, MatchKind, MinedDocument
from cryodesk.sources.pubmed import parse_articles, parse_xml
from tests.replay.recorded import fixture_bytes

STORE_NAMES = [
    ("Dimethyl sulfoxide", "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"),
    ("Me2SO", "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"),
    ("Trehalose", "HDTRYLNUVZCQOY-LIZSDCNHSA-N"),
    ("sphingosine-1-phosphate", "DUYSYHSSBDVJSM-KRWOKUGFSA-N"),
    ("S1P", "DUYSYHSSBDVJSM-KRWOKUGFSA-N"),
]


@pytest.fixture(scope="module")
def miner() -> LiteratureMiner:
    return LiteratureMiner.from_names(STORE_NAMES)


def _concentrations(doc: MinedDocument) -> list[tuple[str, float, str, str]]:
    return [(doc.mentions[c.mention_index].canonical, c.quantity.value, c.unit, c.link) for c in doc.concentrations]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cells were frozen in 10% (v/v) DMSO.", [("Dimethyl sulfoxide", 10.0, "% v/v", "adjacent_after")]),
        ("Embryos were vitrified in 1.5 M ethylene glycol.", [("Ethylene glycol", 1.5, "M", "adjacent_after")]),
        ("0.25 M trehalose was added before freezing.", [("Trehalose", 0.25, "M", "adjacent_after")]),
        ("The freezing medium held 300 mM ethylene glycol.", [("Ethylene glycol", 300.0, "mM", "adjacent_after")]),
        ("PVP was used at 5 mg/mL for freezing.", [("Polyvinylpyrrolidone", 5.0, "mg/mL", "adjacent_before")]),
        ("Me2SO (5%, v/v) was used for freezing.", [("Dimethyl sulfoxide", 5.0, "% v/v", "adjacent_before")]),
        (
            "Cells were frozen in DMSO at a final concentration of 7.5%.",
            [("Dimethyl sulfoxide", 7.5, "% v/v", "adjacent_before")],
        ),
        (
            "Oocytes were vitrified in 15% EG and 15% DMSO with 0.5 M sucrose.",
            [("Ethylene glycol", 15.0, "% v/v", "adjacent_after"), ("Dimethyl sulfoxide", 15.0, "% v/v", "adjacent_after"),
             ("Sucrose", 0.5, "M", "adjacent_after")],
        ),
        (
            "Glycerol concentrations of 5, 10 and 15% were compared for freezing red blood cells.",
            [("Glycerol", 5.0, "% v/v", "adjacent_before"), ("Glycerol", 10.0, "% v/v", "adjacent_before"),
             ("Glycerol", 15.0, "% v/v", "adjacent_before")],
        ),
        (
            "After freezing, the cryoprotectant mixture (trehalose and a 2 M solution) was removed.",
            [("Trehalose", 2.0, "M", "nearest")],
        ),
        ("10 µM S1P with 1.5 M EG was used to vitrify ovarian tissue.",
         [("sphingosine-1-phosphate", 10.0, "uM", "adjacent_after"), ("Ethylene glycol", 1.5, "M", "adjacent_after")]),
    ],
)
def test_concentrations(miner: LiteratureMiner, text: str, expected: list[tuple[str, float, str, str]]) -> None:
    doc = miner.mine(text)
    assert _concentrations(doc) == expected


def test_outcomes_are_not_concentrations(miner: LiteratureMiner) -> None:
    doc = miner.mine(
        "Post-thaw viability of MSCs frozen in 10% DMSO was 92 ± 3%, recovery 75% and attachment 60% at 24 h."
    )
    assert _concentrations(doc) == [("Dimethyl sulfoxide", 10.0, "% v/v", "adjacent_after")]
    assert [(o.metric, o.value, o.sd, o.post_thaw) for o in doc.outcomes] == [
        ("viability", 92.0, 3.0, True),
        ("recovery", 75.0, None, True),
        ("attachment", 60.0, None, True),
    ]
    assert doc.outcomes[0].keyword_start == doc.text.index("viability")


def test_statistics_percentages_are_left_alone(miner: LiteratureMiner) -> None:
    doc = miner.mine("In 30% of the patients given DMSO, nausea occurred.")
    assert doc.concentrations == () and doc.outcomes == ()


def test_survival_list(miner: LiteratureMiner) -> None:
    doc = miner.mine("After warming, survival rates were 80, 85 and 90% for 1, 2 and 3 M PG after vitrification.")
    assert [o.value for o in doc.outcomes] == [80.0, 85.0, 90.0]
    assert [(c.quantity.value, c.quantity.unit_source) for c in doc.concentrations] == [(1.0, "list"), (2.0, "list"), (3.0, "parsed")]


def test_polymer_grades(miner: LiteratureMiner) -> None:
    doc = miner.mine("Cells were frozen with PEG 400 at 10%, PEG-8000, PEG20K, PVP K30 (5% w/v), dextran 40 and 10% PEG.")
    grades = [(m.canonical, m.grade) for m in doc.mentions]
    assert grades == [
        ("Polyethylene glycol", "400"),
        ("Polyethylene glycol", "8000"),
        ("Polyethylene glycol", "20K"),
        ("Polyvinylpyrrolidone", "K30"),
        ("Dextran", "40"),
        ("Polyethylene glycol", None),
    ]
    assert ("Polyethylene glycol", 10.0, "% w/v", "adjacent_before") in _concentrations(doc)
    assert ("Polyvinylpyrrolidone", 5.0, "% w/v", "adjacent_before") in _concentrations(doc)


def test_evidence_record(miner: LiteratureMiner) -> None:
    text = (
        "Cryopreservation of human MSCs. Cells were cooled at 1 °C/min in 5% DMSO. "
        "Post-thaw viability was 88%."
    )
    doc = miner.mine(text, pmid="123")
    (ev,) = doc.evidence
    assert ev.pmid == "123" and ev.compound == "Dimethyl sulfoxide" and ev.inchikey == "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"
    assert ev.sentence.text == "Cells were cooled at 1 °C/min in 5% DMSO."
    assert text[ev.sentence.start : ev.sentence.end] == ev.sentence.text
    assert text[ev.mention.start : ev.mention.end] == "DMSO"
    assert [c.unit for c in ev.concentrations] == ["% v/v"]
    assert ev.outcome_scope == "same_document" and [o.value for o in ev.outcomes] == [88.0]
    assert [p.rate for p in ev.protocols] == [1.0]
    assert [s.label for s in ev.samples] == ["mesenchymal stem cell"]  # from the document
    assert ev.confidence.basis == (
        "dictionary:exact", "source:lexicon", "link:adjacent_after", "unit:parsed", "percent_basis:guessed",
        "metric:same_document",
    )
    assert ev.confidence.score == pytest.approx(0.95 * 0.95 * 0.85, abs=1e-3)


def test_confidence_orders_evidence(miner: LiteratureMiner) -> None:
    strong = miner.mine("Viability after thawing in 10% (v/v) DMSO was 90%.").evidence[0].confidence
    weak = miner.mine("During vitrification, ethylene-glycol was used.").evidence[0].confidence
    assert strong.score > weak.score
    assert "dictionary:fuzzy" in weak.basis and "concentration:none" in weak.basis and "metric:none" in weak.basis


def test_match_kinds(miner: LiteratureMiner) -> None:
    doc = miner.mine("Freezing with dmso, ethylene-glycol and Trehalose.")
    assert [(m.text, m.match) for m in doc.mentions] == [
        ("dmso", MatchKind.CASE_VARIANT),
        ("ethylene-glycol", MatchKind.FUZZY),
        ("Trehalose", MatchKind.EXACT),
    ]


def test_offsets_hold_everywhere(miner: LiteratureMiner) -> None:
    text = (
        "Vitrification of bovine oocytes.\nMETHODS: Oocytes were exposed to 7.5% EG + 7.5% DMSO, then 15% EG, "
        "15% DMSO and 0.5 M sucrose, cooled in liquid nitrogen and warmed at 20,000 °C/min.\nRESULTS: Survival was "
        "85% and cleavage 60%."
    )
    doc = miner.mine(text, pmid="1")
    records = [*doc.mentions, *doc.quantities, *doc.outcomes, *doc.samples, *doc.protocols]
    assert records and all(text[r.start : r.end] == r.text for r in records)
    assert all(doc.sentences[m.sentence_index].start <= m.start < doc.sentences[m.sentence_index].end for m in doc.mentions)
    assert [o.metric for o in doc.outcomes] == ["survival", "cleavage"]
    assert len(doc.evidence) == len(doc.mentions) == 5


def test_mine_article_on_the_recorded_structured_abstract(miner: LiteratureMiner) -> None:
    (article,) = parse_articles(parse_xml(fixture_bytes("ncbi_eutils", "pubmed4_structured_abstract.xml")))
    doc = miner.mine_article(article)
    assert doc.pmid == "27797938" and doc.text.startswith(article.title)
    assert doc.mentions == () and doc.concentrations == () and not doc.cryo_context
    assert [s.text.split(":")[0] for s in doc.sentences if s.text.isupper() is False][1] == "OBJECTIVE"


def test_caller_can_assert_the_cryo_context(miner: LiteratureMiner) -> None:
    text = "5% DMSO + 20% FBS + 2.5% PEG in DMEM"  # a composition column: no cryo word in it
    assert {m.text for m in miner.mine(text).mentions} == {"DMSO"}
    doc = miner.mine(text, cryo_context=True)
    assert doc.cryo_context and _concentrations(doc) == [
        ("Dimethyl sulfoxide", 5.0, "% v/v", "adjacent_after"),
        ("Fetal bovine serum", 20.0, "% v/v", "adjacent_after"),
        ("Polyethylene glycol", 2.5, "% w/v", "adjacent_after"),
    ]


def test_numbers_inside_names_are_not_quantities(miner: LiteratureMiner) -> None:
    doc = miner.mine("Vitrification in 40% EG, 18% Ficoll 70, 0.3 M sucrose.")
    assert _concentrations(doc) == [
        ("Ethylene glycol", 40.0, "% v/v", "adjacent_after"),
        ("Ficoll", 18.0, "% w/v", "adjacent_after"),
        ("Sucrose", 0.3, "M", "adjacent_after"),
    ]


def test_definitions_are_reported(miner: LiteratureMiner) -> None:
    doc = miner.mine("Ethylene glycol (EG) and dimethyl sulfoxide (DMSO) were used for vitrification.")
    assert doc.abbreviations == {"EG": "Ethylene glycol", "DMSO": "dimethyl sulfoxide"}
