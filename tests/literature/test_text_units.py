"""Sentence splitting, tokens and the dictionary, quantities, samples and protocols."""

from __future__ import annotations

import pytest

from cryodesk.literature import (
    CompoundDictionary,
    EntryKind,
    MatchKind,
    caller_entry,
    find_protocols,
    find_quantities,
    find_samples,
    reference_cpa_names,
    split_sentences,
)
from tests.replay.paths import repo_root

REFERENCE_CSV = repo_root() / "resources" / "reference_cpas" / "reference_cpas.csv"


# -- sentences ------------------------------------------------------------------------------------
def test_sentences_keep_offsets_and_skip_abbreviations() -> None:
    text = (
        "Oocytes were vitrified (e.g. in 15% EG). Survival was 85%. J. Smith et al. reported 1.5 M PG "
        "vs. 1.0 M in Fig. 2. RESULTS: ok\nCONCLUSIONS: Fine! Done?"
    )
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Oocytes were vitrified (e.g. in 15% EG).",
        "Survival was 85%.",
        "J. Smith et al. reported 1.5 M PG vs. 1.0 M in Fig. 2.",
        "RESULTS: ok",
        "CONCLUSIONS: Fine!",
        "Done?",
    ]
    assert all(text[s.start : s.end] == s.text for s in sentences)
    assert [s.index for s in sentences] == list(range(6))


def test_decimal_and_lower_case_continuations_do_not_split() -> None:
    (only,) = split_sentences("Cells (approx. 1.5 x 10^6) were kept at 4 °C. and then frozen.")
    assert only.text.endswith("frozen.")


# -- dictionary -----------------------------------------------------------------------------------
def test_caller_names_with_reference_list() -> None:
    names = reference_cpa_names(REFERENCE_CSV)
    assert ("Dimethyl sulfoxide", "IAZDPXIOMUYVGZ-UHFFFAOYSA-N") in names and ("Me2SO", "IAZDPXIOMUYVGZ-UHFFFAOYSA-N") in names
    dictionary = CompoundDictionary.build(names)
    text = "Cells in 1,3-propanediol, hexylene glycol, TMAO and 1,2 butanediol; GLYCEROL; glycerine."
    hits = {text[m.start : m.end]: (m.entry.canonical, m.match) for m in dictionary.find(text)}
    assert hits["1,3-propanediol"] == ("1,3-Propanediol", MatchKind.EXACT)
    assert hits["hexylene glycol"][0] == "2-Methyl-2,4-pentanediol"
    assert hits["TMAO"][0] == "Trimethylamine N-oxide"
    assert hits["1,2 butanediol"] == ("1,2-Butanediol", MatchKind.FUZZY)
    assert hits["GLYCEROL"] == ("Glycerol", MatchKind.CASE_VARIANT)
    assert hits["glycerine"][0] == "Glycerol"


def test_longest_match_and_word_boundaries() -> None:
    dictionary = CompoundDictionary.build([("ethylene glycol", "K1"), ("glycol", "K2"), ("lithium carbonate", "K3")])
    text = "Polyethylene glycol, ethylene glycol dimer, lithium carbonates, lithium carbonate."
    hits = [(text[m.start : m.end], m.entry.canonical) for m in dictionary.find(text)]
    assert ("ethylene glycol", "Ethylene glycol") in hits
    assert ("Polyethylene glycol", "Polyethylene glycol") in hits
    assert ("lithium carbonate", "lithium carbonate") in hits and len([h for h in hits if "lithium" in h[0]]) == 1


def test_unsafe_caller_names_are_filtered() -> None:
    assert caller_entry("NO", "K") is None  # two characters
    assert caller_entry("Ala", "K") is None  # residue code / ordinary capitalised word
    assert caller_entry("lead", "K") is None  # common English word
    assert caller_entry("67-68-5", "K") is None  # a CAS number
    edta = caller_entry("EDTA", "K")
    assert edta is not None and edta.case == "exact" and edta.rule is None
    dmg = caller_entry("DMG", "K")
    assert dmg is not None and dmg.rule == "ABBREVIATION"
    long_name = caller_entry("sodium  chloride", "K")
    assert long_name is not None and long_name.surface == "sodium chloride" and long_name.case == "any"


def test_first_name_of_an_inchikey_is_its_display_name() -> None:
    dictionary = CompoundDictionary.build([("Lithium carbonate", "K9"), ("dilithium carbonate", "K9")], lexicon=[])
    (hit,) = dictionary.find("dilithium carbonate was given")
    assert hit.entry.canonical == "Lithium carbonate" and hit.entry.inchikey == "K9"


def test_lexicon_entry_takes_the_callers_key_when_it_has_none() -> None:
    dictionary = CompoundDictionary.build([("ethanol", "LFQSCWFLJHTTHZ-UHFFFAOYSA-N")])
    (hit,) = dictionary.find("in 5% EtOH")
    assert hit.entry.canonical == "Ethanol" and hit.entry.inchikey == "LFQSCWFLJHTTHZ-UHFFFAOYSA-N"


def test_conflicting_keys_are_alternatives() -> None:
    dictionary = CompoundDictionary.build([("glycerol", "SOME-OTHER-KEY")])
    (hit,) = dictionary.find("glycerol")
    assert hit.entry.inchikey == "PEDCQBHIVMGVHV-UHFFFAOYSA-N" and hit.alternatives == ("SOME-OTHER-KEY",)


def test_polymers_have_no_inchikey() -> None:
    dictionary = CompoundDictionary.build()
    kinds = {dictionary.find(t)[0].entry.kind for t in ("PVP", "hydroxyethyl starch", "Ficoll")}
    assert kinds == {EntryKind.POLYMER}
    assert dictionary.find("fetal bovine serum")[0].entry.kind is EntryKind.SERUM


# -- quantities -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10% (v/v) DMSO", [(10.0, None, "% v/v", "parsed")]),
        ("1.5 M ethylene glycol", [(1.5, None, "M", "parsed")]),
        ("0.25 M trehalose", [(0.25, None, "M", "parsed")]),
        ("300 mM", [(300.0, None, "mM", "parsed")]),
        ("5 mg/mL", [(5.0, None, "mg/mL", "parsed")]),
        ("5 mg ml-1", [(5.0, None, "mg/mL", "parsed")]),
        ("2 mol/L", [(2.0, None, "M", "parsed")]),
        ("10 μM", [(10.0, None, "uM", "parsed")]),
        ("0.5M sucrose", [(0.5, None, "M", "parsed")]),
        ("5 w/v% HES", [(5.0, None, "% w/v", "parsed")]),
        ("10 wt% PEG", [(10.0, None, "% w/w", "parsed")]),
        ("10-20% FBS", [(10.0, 20.0, "%", "parsed")]),
        ("5 to 10 %", [(5.0, 10.0, "%", "parsed")]),
        ("5, 10 and 15% DMSO", [(5.0, None, "%", "list"), (10.0, None, "%", "list"), (15.0, None, "%", "parsed")]),
        ("1.5 and 3 M PG", [(1.5, None, "M", "list"), (3.0, None, "M", "parsed")]),
        ("1,2-propanediol", []),
        ("at 37 °C for 10 min", []),
        ("CS10 and M22", []),
    ],
)
def test_quantities(text: str, expected: list[tuple[float, float | None, str, str]]) -> None:
    found = [(q.value, q.value_max, q.unit, q.unit_source) for q in find_quantities(text)]
    assert found == expected
    assert all(text[q.start : q.end] == q.text for q in find_quantities(text))


def test_mean_and_sd() -> None:
    (q,) = find_quantities("viability 85.5 ± 3.2%")
    assert (q.value, q.sd, q.unit) == (85.5, 3.2, "%")


# -- samples and protocols ------------------------------------------------------------------------
def test_samples() -> None:
    text = "Bovine oocytes, human MSCs, hESCs, umbilical cord blood, T cells, red blood cells and ovarian tissue."
    found = [(s.label, s.category, s.species) for s in find_samples(text)]
    assert found == [
        ("oocyte", "gamete", "bovine"),
        ("mesenchymal stem cell", "cell", "human"),
        ("embryonic stem cell", "cell", None),
        ("cord blood", "cell", None),
        ("T cell", "cell", None),
        ("red blood cell", "cell", None),
        ("ovarian tissue", "tissue", None),
    ]


def test_protocols_and_rates() -> None:
    text = (
        "Cells were cooled at -1 °C/min in a controlled-rate freezer, stored in liquid nitrogen and warmed at "
        "20,000 °C/min; others were vitrified on a Cryotop, or cooled at 0.3-0.5 K min-1 or 10 °C per second."
    )
    found = [(p.method, p.rate, p.rate_max, p.direction) for p in find_protocols(text)]
    assert ("rate", 1.0, None, "cooling") in found
    assert ("slow_freezing", None, None, None) in found
    assert ("liquid_nitrogen", None, None, None) in found
    assert ("rate", 20000.0, None, "warming") in found
    assert ("vitrification", None, None, None) in found
    assert ("rate", 0.3, 0.5, "cooling") in found
    assert ("rate", 600.0, None, "cooling") in found
