"""Confidence of an evidence record: a product of factors, each named in the basis.

The score answers "how sure are we that this sentence reports this compound (at this
concentration, with this outcome)?". Every factor is a documented constant, so a score can be
explained from its basis and changed in one place:

* dictionary hit: exact 0.95, case variant 0.85, fuzzy (spelling variant) 0.70;
* ambiguous abbreviation: defined in the text x0.95, concentration in cryo context x0.90, cryo
  context only x0.70 (unambiguous names x1);
* concentration: unit parsed and written next to the name x1.0, unit taken from a list x0.90,
  percent basis (v/v, w/v) guessed x0.95, linked only as the nearest mention x0.75, no
  concentration x0.80;
* outcome metric: in the same sentence x1.0, elsewhere in the document x0.85, none x0.70.
"""

from __future__ import annotations

from cryodesk.literature.records import CompoundMention, Concentration, Confidence, MatchKind

DICTIONARY_FACTORS: dict[MatchKind, float] = {
    MatchKind.EXACT: 0.95,
    MatchKind.CASE_VARIANT: 0.85,
    MatchKind.FUZZY: 0.70,
}
RESOLUTION_FACTORS: dict[str, float] = {
    "defined_in_text": 0.95,
    "concentration+cryo_context": 0.90,
    "cryo_context": 0.70,
}
LINK_FACTORS: dict[str, float] = {"adjacent_after": 1.0, "adjacent_before": 1.0, "nearest": 0.75}
LIST_UNIT_FACTOR = 0.90
GUESSED_BASIS_FACTOR = 0.95
NO_CONCENTRATION_FACTOR = 0.80
METRIC_FACTORS: dict[str, float] = {"same_sentence": 1.0, "same_document": 0.85, "none": 0.70}


def concentration_factor(concentration: Concentration) -> tuple[float, list[str]]:
    """Factor and basis entries of one linked concentration."""
    factor = LINK_FACTORS.get(concentration.link, 0.75)
    basis = [f"link:{concentration.link}", f"unit:{concentration.quantity.unit_source}"]
    if concentration.quantity.unit_source == "list":
        factor *= LIST_UNIT_FACTOR
    if concentration.basis_source == "guessed":
        factor *= GUESSED_BASIS_FACTOR
        basis.append("percent_basis:guessed")
    elif concentration.basis_source == "parsed":
        basis.append("percent_basis:parsed")
    return factor, basis


def score_evidence(
    mention: CompoundMention, concentrations: tuple[Concentration, ...], outcome_scope: str
) -> Confidence:
    """The confidence of one evidence record and its basis."""
    score = DICTIONARY_FACTORS[mention.match]
    basis = [f"dictionary:{mention.match.value}", f"source:{mention.source}"]
    if mention.ambiguous:
        score *= RESOLUTION_FACTORS.get(mention.resolution or "", 0.7)
        basis.append(f"ambiguous:{mention.resolution}")
    if concentrations:
        factor, extra = max((concentration_factor(c) for c in concentrations), key=lambda item: item[0])
        score *= factor
        basis.extend(extra)
    else:
        score *= NO_CONCENTRATION_FACTOR
        basis.append("concentration:none")
    score *= METRIC_FACTORS[outcome_scope]
    basis.append(f"metric:{outcome_scope}")
    return Confidence(round(score, 3), tuple(basis))
