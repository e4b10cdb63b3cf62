"""Records produced by literature mining: mentions, quantities, outcomes and evidence.

Every record keeps character offsets into the document text it was mined from (``start``
inclusive, ``end`` exclusive, so ``text[start:end]`` is the matched string) and the index of its
sentence. Records are frozen and hold only plain values, so they cross threads and processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class MatchKind(StrEnum):
    """How a compound mention matched the dictionary."""

    EXACT = "exact"  # the surface as listed (first letter's case may differ at a sentence start)
    CASE_VARIANT = "case_variant"  # same letters, other case (``GLYCEROL``, ``dmso``)
    FUZZY = "fuzzy"  # spelling variant: hyphens/spaces (``ethylene-glycol``, ``1,2 propanediol``)


class EntryKind(StrEnum):
    """What a dictionary entry names."""

    COMPOUND = "compound"  # a defined small molecule (has or can have an InChIKey)
    POLYMER = "polymer"  # PEG, PVP, HES, dextran, Ficoll ...: no single structure
    PROTEIN = "protein"  # albumin, sericin, antifreeze proteins
    SERUM = "serum"  # FBS, human serum
    MIXTURE = "mixture"  # named CPA solutions: VS55, M22, CryoStor CS10


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence and where it is in the document."""

    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class CompoundMention:
    """A dictionary hit accepted as naming a compound (or polymer, serum, mixture).

    Attributes:
        start: offset of the first character.
        end: offset after the last character.
        text: the text as written.
        canonical: the entry's display name (``"Ethylene glycol"``).
        inchikey: the compound's standard InChIKey when known (None for polymers, sera, or names
            whose identity the caller did not give).
        kind: what the entry names.
        match: exact, case variant or fuzzy.
        source: ``"lexicon"`` (curated) or ``"caller"`` (names passed in, e.g. the store's).
        sentence_index: index of the sentence holding the mention.
        ambiguous: the surface has other common meanings (``FA``, ``PG``, ``EG`` ...).
        resolution: why an ambiguous mention was accepted (``"defined_in_text"``,
            ``"concentration+cryo_context"``, ``"cryo_context"``), None for unambiguous ones.
        grade: polymer grade written with the name (``"400"`` of ``PEG 400``, ``"K30"``).
        alternatives: other InChIKeys the same surface maps to (a synonym shared by several
            compounds); the engine's resolver decides.
    """

    start: int
    end: int
    text: str
    canonical: str
    inchikey: str | None
    kind: EntryKind
    match: MatchKind
    source: str
    sentence_index: int
    ambiguous: bool = False
    resolution: str | None = None
    grade: str | None = None
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RejectedMention:
    """A dictionary hit turned down by a context rule, kept to explain (and test) the decision."""

    start: int
    end: int
    text: str
    canonical: str
    reason: str
    sentence_index: int


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with a unit as written (a concentration candidate, a percentage outcome ...).

    Attributes:
        value: the number (the lower bound of a range; the mean of ``mean ± sd``).
        value_max: upper bound of a range, else None.
        unit: canonical unit: ``"%"``, ``"% v/v"``, ``"% w/v"``, ``"% w/w"``, ``"M"``, ``"mM"``,
            ``"uM"``, ``"nM"``, ``"pM"``, ``"mol/kg"``, ``"mg/mL"``, ``"ug/mL"``, ``"ng/mL"``,
            ``"g/L"``, ``"mg/L"``, ``"mg/kg"``.
        unit_source: ``"parsed"`` (written right after the number) or ``"list"`` (taken from the
            last number of a list such as ``5, 10 and 15% DMSO``).
        sd: the ``± sd`` part, if any.
    """

    start: int
    end: int
    text: str
    value: float
    unit: str
    unit_source: str
    sentence_index: int
    value_max: float | None = None
    sd: float | None = None


@dataclass(frozen=True, slots=True)
class Concentration:
    """A quantity linked to a compound mention of the same sentence.

    Attributes:
        quantity: the number and unit.
        mention_index: index into :attr:`MinedDocument.mentions`.
        link: ``"adjacent_after"`` (``10% DMSO``), ``"adjacent_before"`` (``DMSO (10%)``,
            ``DMSO at 10%``) or ``"nearest"`` (closest mention of the sentence, a guess).
        basis: ``"v/v"``, ``"w/v"``, ``"w/w"`` for percentages, None otherwise.
        basis_source: ``"parsed"`` when written, ``"guessed"`` when inferred from the compound
            (liquids are usually v/v, solids w/v), None for non-percent units.
    """

    quantity: Quantity
    mention_index: int
    link: str
    basis: str | None = None
    basis_source: str | None = None

    @property
    def unit(self) -> str:
        """The unit with the (parsed or guessed) percent basis: ``"% v/v"``, ``"M"`` ..."""
        if self.quantity.unit == "%" and self.basis:
            return f"% {self.basis}"
        return self.quantity.unit


@dataclass(frozen=True, slots=True)
class Outcome:
    """An outcome metric with its value: ``post-thaw viability 85%``.

    Attributes:
        metric: ``viability``, ``recovery``, ``survival``, ``attachment``, ``motility``,
            ``cleavage``, ``blastocyst``, ``hatching``, ``fertilization`` or ``integrity``.
        keyword_start / keyword_end: offsets of the metric word.
        post_thaw: the sentence says the value was measured after thawing/warming.
    """

    start: int
    end: int
    text: str
    metric: str
    value: float
    unit: str
    sentence_index: int
    keyword_start: int
    keyword_end: int
    value_max: float | None = None
    sd: float | None = None
    post_thaw: bool = False


@dataclass(frozen=True, slots=True)
class SampleType:
    """A cell, tissue, gamete, embryo or organism named in the text.

    Attributes:
        label: normalised name (``"oocyte"``, ``"mesenchymal stem cell"``).
        category: ``cell``, ``gamete``, ``embryo``, ``tissue``, ``organ``, ``cell_line``,
            ``organism``, ``plant``.
        species: species word written before it (``"bovine"``, ``"human"``), if any.
    """

    start: int
    end: int
    text: str
    label: str
    category: str
    sentence_index: int
    species: str | None = None


@dataclass(frozen=True, slots=True)
class CoolingProtocol:
    """A cooling/warming method or rate: ``vitrification``, ``slow freezing``, ``1 °C/min``.

    Attributes:
        method: ``slow_freezing``, ``vitrification``, ``rapid_cooling``, ``directional_freezing``,
            ``isochoric``, ``passive_container``, ``liquid_nitrogen``, ``minus_80``, or ``rate``.
        rate: rate in °C/min (absolute value) for ``method == "rate"``.
        rate_max: upper bound of a range of rates.
        direction: ``cooling`` or ``warming`` when the text says which, else None.
    """

    start: int
    end: int
    text: str
    method: str
    sentence_index: int
    rate: float | None = None
    rate_max: float | None = None
    direction: str | None = None


@dataclass(frozen=True, slots=True)
class Confidence:
    """A score in [0, 1] and the facts it rests on (``"dictionary:exact"``, ``"unit:parsed"`` ...)."""

    score: float
    basis: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one sentence says about one compound mention: the record the engine stores.

    Attributes:
        pmid: the document's PMID (or another document id the caller passed).
        mention: the compound mention (offsets into the document text).
        sentence: the sentence text and offsets.
        concentrations: quantities linked to this mention.
        outcomes: outcome metrics of the same sentence, or, when it has none, of the document
            (``outcome_scope`` says which).
        samples: cell/tissue types of the sentence, else of the document.
        protocols: cooling protocols of the sentence, else of the document.
        outcome_scope: ``"same_sentence"``, ``"same_document"`` or ``"none"``.
        confidence: score and basis.
    """

    pmid: str | None
    mention: CompoundMention
    sentence: Sentence
    concentrations: tuple[Concentration, ...]
    outcomes: tuple[Outcome, ...]
    samples: tuple[SampleType, ...]
    protocols: tuple[CoolingProtocol, ...]
    outcome_scope: str
    confidence: Confidence

    @property
    def compound(self) -> str:
        return self.mention.canonical

    @property
    def inchikey(self) -> str | None:
        return self.mention.inchikey


@dataclass(frozen=True, slots=True)
class MinedDocument:
    """Everything mined from one document.

    Attributes:
        pmid: document id given by the caller.
        text: the document text all offsets refer to.
        sentences: sentence split with offsets.
        mentions: accepted compound mentions, in text order.
        rejected: dictionary hits turned down by context rules, with reasons.
        quantities: every number-with-unit found (linked or not).
        concentrations: quantities linked to mentions.
        outcomes: outcome metrics.
        samples: cell/tissue types.
        protocols: cooling protocols and rates.
        abbreviations: abbreviations defined in the text (``{"EG": "ethylene glycol"}``).
        cryo_context: the document is about cryopreservation (freezing, vitrification ...).
        evidence: one record per accepted mention.
    """

    pmid: str | None
    text: str
    sentences: tuple[Sentence, ...]
    mentions: tuple[CompoundMention, ...]
    rejected: tuple[RejectedMention, ...]
    quantities: tuple[Quantity, ...]
    concentrations: tuple[Concentration, ...]
    outcomes: tuple[Outcome, ...]
    samples: tuple[SampleType, ...]
    protocols: tuple[CoolingProtocol, ...]
    abbreviations: dict[str, str] = field(default_factory=dict)
    cryo_context: bool = False
    evidence: tuple[Evidence, ...] = ()
