"""Mining one document: mentions, concentrations, outcomes, samples, protocols and evidence.

Pure text in, records out::

    miner = LiteratureMiner.from_names(store_names)      # [(name, inchikey), ...]
    doc = miner.mine(article.text, pmid=article.pmid)
    for ev in doc.evidence:
        ev.compound, ev.inchikey, ev.concentrations, ev.outcomes, ev.confidence

The steps: split sentences (offsets kept); find dictionary hits (plus polymer grades such as
``PEG 400``); find numbers with units; accept or reject ambiguous abbreviations by their context
(:mod:`.context`); link each quantity to a mention of its sentence (written next to it, else a
percentage near a metric word becomes an outcome, else a molar or v/v-style quantity goes to the
nearest mention); find cell types and cooling protocols; build one evidence record per mention.
A :class:`LiteratureMiner` is read-only after construction, so threads may share it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

from cryodesk.literature.context import CPA_UNITS, decide, find_definitions, has_cryo_context
from cryodesk.literature.dictionary import CompoundDictionary, DictionaryMatch, tokenize
from cryodesk.literature.lexicon import LexiconEntry
from cryodesk.literature.outcomes import (
    OUTCOME_UNITS,
    find_metric_words,
    is_post_thaw,
    make_outcome,
    nearest_metric,
)
from cryodesk.literature.protocols import find_protocols
from cryodesk.literature.quantities import QUANTITY_RE, find_quantities
from cryodesk.literature.records import (
    CompoundMention,
    Concentration,
    CoolingProtocol,
    EntryKind,
    Evidence,
    MatchKind,
    MinedDocument,
    Outcome,
    Quantity,
    RejectedMention,
    SampleType,
    Sentence,
)
from cryodesk.literature.samples import find_samples
from cryodesk.literature.scoring import score_evidence
from cryodesk.literature.sentences import split_sentences

#: Quantity then name: ``10% DMSO``, ``10% (v/v) DMSO``, ``1.5 M of EG``.
_AFTER_GAP_RE = re.compile(r"\s*(?:\(\s*[wv]/[wv]\s*\)\s*)?(?:(?:of|solution\s+of)\s+)?(?:the\s+)?", re.IGNORECASE)
#: Name then quantity: ``DMSO (10%)``, ``DMSO at 10%``, ``PVP was used at 5 mg/mL``,
#: ``DMSO at a final concentration of 10%``. A bare "was"/"were" is not allowed: ``DMSO was 92%``
#: reports a result, not a dose.
_BEFORE_GAP_RE = re.compile(
    r"\s*\)?\s*(?:[(\[,:=]\s*)?"
    r"(?:(?:(?:was|were|is|are)\s+)?(?:used|added|applied|present|included|supplemented)\s+)?"
    r"(?:(?:at|of|in|with|to)\s+)?(?:(?:a|the)\s+)?(?:(?:final|total|working)\s+)?"
    r"(?:concentrations?\s+(?:of\s+|was\s+|were\s+)?)?(?:at\s+)?(?:of\s+)?",
    re.IGNORECASE,
)
_PREFERS_BEFORE = re.compile(r"\s*(?:\(|\[|at\b|concentration|:|=)", re.IGNORECASE)
_GRADE_RE = re.compile(
    r"\b(?P<name>PEG|PVP|PVA|HES|[Dd]extran|Ficoll)(?:[-\s]?(?P<grade>K-?\d{2}\b|\d+(?:\.\d+)?\s?[kK](?:Da)?\b|"
    r"\d{2,6}(?:/0\.\d+)?\b))"
)
#: Liquids are dosed by volume (v/v), solids by weight (w/v): used to guess a bare "%" basis.
LIQUIDS = frozenset(
    {
        "Dimethyl sulfoxide", "Glycerol", "Ethylene glycol", "1,2-Propanediol", "Formamide", "Methanol", "Ethanol",
        "N,N-Dimethylformamide", "N,N-Dimethylacetamide", "Diethylene glycol", "Triethylene glycol",
        "2-Methyl-2,4-pentanediol", "Fetal bovine serum", "Human serum",
    }
)


class ArticleLike(Protocol):
    """What :meth:`LiteratureMiner.mine_article` needs (e.g. a ``PubMedArticle``)."""

    pmid: str
    title: str
    abstract: str


@dataclass(slots=True)
class _Candidate:
    match: DictionaryMatch
    sentence: int
    grade: str | None = None


class LiteratureMiner:
    """Mines texts with one dictionary.

    Args:
        dictionary: the compound dictionary (default: the curated lexicon only).
    """

    def __init__(self, dictionary: CompoundDictionary | None = None) -> None:
        self.dictionary = dictionary or CompoundDictionary.build()
        self._polymers: dict[str, LexiconEntry] = {
            e.surface.casefold(): e for e in self.dictionary.entries if e.kind is EntryKind.POLYMER and e.source == "lexicon"
        }

    @classmethod
    def from_names(cls, names: Iterable[tuple[str, str | None]]) -> LiteratureMiner:
        """A miner whose dictionary holds ``names`` (``(name, inchikey)`` pairs) plus the lexicon."""
        return cls(CompoundDictionary.build(names))

    # -- entry points -------------------------------------------------------------------------------
    def mine_article(self, article: ArticleLike) -> MinedDocument:
        """Mine ``title + " " + abstract`` (offsets refer to that text, the PubTator convention)."""
        text = f"{article.title} {article.abstract}" if article.abstract else article.title
        return self.mine(text, pmid=article.pmid)

    def mine_many(self, documents: Iterable[tuple[str | None, str]]) -> Iterator[MinedDocument]:
        """Mine ``(pmid, text)`` pairs one by one."""
        for pmid, text in documents:
            yield self.mine(text, pmid=pmid)

    def mine(self, text: str, pmid: str | None = None, *, cryo_context: bool | None = None) -> MinedDocument:
        """Everything this module finds in ``text``.

        Args:
            text: the document (offsets in the records refer to it).
            pmid: document id copied into the evidence records.
            cryo_context: ``True`` when the caller knows the text is about cryopreservation (a
                composition column of a CPA formulation table, an abstract from a cryobiology
                search); ``None`` (default) detects it from the text.
        """
        sentences = split_sentences(text)
        starts = [s.start for s in sentences]

        def sentence_of(offset: int) -> int:
            return max(0, bisect_right(starts, offset) - 1)

        candidates = self._candidates(text, sentence_of)
        # A number inside a name ("Ficoll 70", "PEG 400") is part of the name, not a quantity.
        spans = [(c.match.start, c.match.end) for c in candidates]
        quantities = [
            _with_sentence(q, sentence_of(q.start)) for q in find_quantities(text) if not _overlaps(q.start, q.end, spans)
        ]
        document_cryo = has_cryo_context(text) if cryo_context is None else cryo_context
        mentions, rejected = self._resolve(text, sentences, candidates, quantities, document_cryo)
        concentrations, outcomes = _link(text, sentences, mentions, quantities, rejected)
        samples = [_with_sentence(s, sentence_of(s.start)) for s in find_samples(text)]
        protocols = [_with_sentence(p, sentence_of(p.start)) for p in find_protocols(text)]
        evidence = _evidence(pmid, sentences, mentions, concentrations, outcomes, samples, protocols)
        return MinedDocument(
            pmid=pmid,
            text=text,
            sentences=tuple(sentences),
            mentions=tuple(mentions),
            rejected=tuple(rejected),
            quantities=tuple(quantities),
            concentrations=tuple(concentrations),
            outcomes=tuple(outcomes),
            samples=tuple(samples),
            protocols=tuple(protocols),
            abbreviations={k: v for k, (v, _) in find_definitions(text).items()},
            cryo_context=document_cryo,
            evidence=tuple(evidence),
        )

    # -- mentions ----------------------------------------------------------------------------------
    def _candidates(self, text: str, sentence_of: Callable[[int], int]) -> list[_Candidate]:
        """Dictionary hits and polymer grades, non-overlapping, in text order."""
        graded = self._polymer_grades(text)
        taken = [(c.match.start, c.match.end) for c in graded]
        plain = [m for m in self.dictionary.find(text, tokenize(text)) if not _overlaps(m.start, m.end, taken)]
        found = [*graded, *(_Candidate(m, 0) for m in plain)]
        for c in found:
            c.sentence = sentence_of(c.match.start)
        found.sort(key=lambda c: c.match.start)
        return found

    def _polymer_grades(self, text: str) -> list[_Candidate]:
        out: list[_Candidate] = []
        for match in _GRADE_RE.finditer(text):
            entry = self._polymers.get(match.group("name").casefold())
            grade = match.group("grade")
            if entry is None or QUANTITY_RE.match(text, match.start("grade")):
                continue  # "PEG 10%": a concentration, not a grade
            if entry.surface == "PEG" and grade.replace(".", "").isdigit() and float(grade) < 200:
                continue
            hit = DictionaryMatch(match.start(), match.end(), entry, MatchKind.EXACT)
            out.append(_Candidate(hit, 0, grade.replace(" ", "")))
        return out

    def _resolve(
        self,
        text: str,
        sentences: list[Sentence],
        candidates: list[_Candidate],
        quantities: list[Quantity],
        document_cryo: bool,
    ) -> tuple[list[CompoundMention], list[RejectedMention]]:
        """Accept unambiguous hits, then decide ambiguous ones by context."""
        definitions = find_definitions(text) if any(c.match.entry.rule for c in candidates) else {}
        by_mention = _definitions_by_mention(text, candidates)
        accepted: dict[int, CompoundMention] = {}
        rejected: list[RejectedMention] = []
        for index, cand in enumerate(candidates):
            if cand.match.entry.rule is None or cand.grade is not None:
                accepted[index] = _mention(text, cand, ambiguous=False, resolution=None)
        supported = {accepted[i].sentence_index for i in accepted}
        for index, cand in enumerate(candidates):
            if index in accepted:
                continue
            match, entry = cand.match, cand.match.entry
            sentence = sentences[cand.sentence] if sentences else Sentence(0, 0, len(text), text)
            written = text[match.start : match.end]
            definition = definitions.get(written)
            defined_by_mention = written in by_mention
            if defined_by_mention:
                definition = (by_mention[written], match.start)
            decision = decide(
                surface=written,
                rule_name=entry.rule or "ABBREVIATION",
                text=text,
                mention_end=match.end,
                sentence=(sentence.start, sentence.end),
                definition=definition[0] if definition else None,
                defined_as_cpa_elsewhere=defined_by_mention,
                attached_unit=_attached_unit(text, match, quantities, sentence),
                document_cryo=document_cryo,
                sentence_support=cand.sentence in supported or has_cryo_context(text, sentence.start, sentence.end),
            )
            if decision.accepted:
                accepted[index] = _mention(text, cand, ambiguous=True, resolution=decision.reason)
            else:
                rejected.append(RejectedMention(match.start, match.end, written, entry.canonical, decision.reason, cand.sentence))
        return [accepted[i] for i in sorted(accepted)], rejected


_Located = TypeVar("_Located", Quantity, SampleType, CoolingProtocol, Outcome)


def _with_sentence(item: _Located, index: int) -> _Located:
    """A copy of a frozen record with its sentence index set."""
    return item if item.sentence_index == index else replace(item, sentence_index=index)


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in spans)


def _mention(text: str, cand: _Candidate, *, ambiguous: bool, resolution: str | None) -> CompoundMention:
    match, entry = cand.match, cand.match.entry
    return CompoundMention(
        start=match.start,
        end=match.end,
        text=text[match.start : match.end],
        canonical=entry.canonical,
        inchikey=entry.inchikey,
        kind=entry.kind,
        match=match.match,
        source=entry.source,
        sentence_index=cand.sentence,
        ambiguous=ambiguous,
        resolution=resolution,
        grade=cand.grade,
        alternatives=match.alternatives,
    )


def _definitions_by_mention(text: str, candidates: list[_Candidate]) -> dict[str, str]:
    """Abbreviations defined by a name of the same compound: ``1,2-propanediol (PG)`` -> ``{"PG": ...}``.

    Schwartz–Hearst matching misses these (no "g" in "propanediol"), yet the dictionary knows
    both names mean one compound.
    """
    found: dict[str, str] = {}
    for previous, cand in zip(candidates, candidates[1:], strict=False):
        if cand.match.entry.rule is None or previous.match.entry.canonical != cand.match.entry.canonical:
            continue
        opening = text[previous.match.end : cand.match.start]
        if opening.strip() == "(" and text[cand.match.end : cand.match.end + 1] in {")", ",", ";"}:
            found.setdefault(text[cand.match.start : cand.match.end], text[previous.match.start : previous.match.end])
    return found


def _attached_unit(text: str, match: DictionaryMatch, quantities: list[Quantity], sentence: Sentence) -> str | None:
    """Unit of a quantity written right next to the hit (``10% EG``, ``PG (1.5 M)``), if any."""
    for q in quantities:
        if q.end <= match.start and q.start >= sentence.start and _gap_after(text, q.end, match.start):
            return q.unit
        if q.start >= match.end and q.end <= sentence.end and _gap_before(text, match.end, q.start):
            return q.unit
    return None


def _gap_after(text: str, q_end: int, m_start: int) -> bool:
    return m_start - q_end <= 20 and _AFTER_GAP_RE.fullmatch(text, q_end, m_start) is not None


def _gap_before(text: str, m_end: int, q_start: int) -> bool:
    return q_start - m_end <= 45 and _BEFORE_GAP_RE.fullmatch(text, m_end, q_start) is not None


# -- linking quantities ----------------------------------------------------------------------------
def _link(
    text: str,
    sentences: list[Sentence],
    mentions: list[CompoundMention],
    quantities: list[Quantity],
    rejected: list[RejectedMention],
) -> tuple[list[Concentration], list[Outcome]]:
    """Concentrations (quantity -> mention) and outcomes (percentage -> metric word).

    A quantity written next to a rejected hit (``5 mg/kg PG`` meaning prostaglandin) belongs to
    that other sense, so it is not handed to the nearest accepted mention either.
    """
    by_sentence: dict[int, list[int]] = {}
    for index, mention in enumerate(mentions):
        by_sentence.setdefault(mention.sentence_index, []).append(index)
    metric_cache: dict[int, list[tuple[str, int, int]]] = {}
    concentrations: list[Concentration] = []
    outcomes: list[Outcome] = []
    pending: list[Quantity] = []  # list members waiting for their head ("5, 10 and" of "15% DMSO")
    for q in quantities:
        if q.unit_source == "list":
            pending.append(q)
            continue
        group, pending = [*pending, q], []
        candidates = by_sentence.get(q.sentence_index, [])
        link = _adjacent(text, mentions, candidates, q, group[0].start)
        if link is None and q.unit in OUTCOME_UNITS:
            sentence = sentences[q.sentence_index]
            words = metric_cache.setdefault(q.sentence_index, find_metric_words(text, sentence.start, sentence.end))
            word = nearest_metric(q, words, text=text)
            if word is not None:
                post_thaw = is_post_thaw(text, sentence.start, sentence.end)
                outcomes.extend(make_outcome(member, word, post_thaw) for member in group)
                continue
        if link is None and q.unit in CPA_UNITS and q.unit != "%" and not _next_to_rejected(text, rejected, group[0].start, q):
            link = _nearest(mentions, candidates, q)
        if link is not None:
            index, how = link
            concentrations.extend(_concentration(member, mentions[index], index, how) for member in group)
    return concentrations, outcomes


def _adjacent(
    text: str, mentions: list[CompoundMention], candidates: list[int], q: Quantity, first_start: int
) -> tuple[int, str] | None:
    """The mention written next to ``q`` (``first_start``: where its list begins, for "5, 10 and 15%")."""
    after = next((i for i in candidates if mentions[i].start >= q.end and _gap_after(text, q.end, mentions[i].start)), None)
    before = next(
        (
            i
            for i in reversed(candidates)
            if mentions[i].end <= first_start and _gap_before(text, mentions[i].end, first_start)
        ),
        None,
    )
    if after is not None and before is not None:
        return (before, "adjacent_before") if _PREFERS_BEFORE.match(text, mentions[before].end) else (after, "adjacent_after")
    if after is not None:
        return after, "adjacent_after"
    if before is not None:
        return before, "adjacent_before"
    return None


def _next_to_rejected(text: str, rejected: list[RejectedMention], first_start: int, q: Quantity) -> bool:
    for r in rejected:
        if r.start >= q.end and _gap_after(text, q.end, r.start):
            return True
        if r.end <= first_start and _gap_before(text, r.end, first_start):
            return True
    return False


def _nearest(mentions: list[CompoundMention], candidates: list[int], q: Quantity) -> tuple[int, str] | None:
    if not candidates:
        return None

    def distance(i: int) -> int:
        m = mentions[i]
        return q.start - m.end if m.end <= q.start else m.start - q.end

    return min(candidates, key=distance), "nearest"


def _concentration(q: Quantity, mention: CompoundMention, index: int, link: str) -> Concentration:
    if q.unit.startswith("% "):
        return Concentration(q, index, link, q.unit[2:], "parsed")
    if q.unit == "%":
        if mention.canonical in LIQUIDS:
            return Concentration(q, index, link, "v/v", "guessed")
        if mention.kind in {EntryKind.POLYMER, EntryKind.PROTEIN} or mention.inchikey:
            return Concentration(q, index, link, "w/v", "guessed")
        return Concentration(q, index, link)
    return Concentration(q, index, link)


# -- evidence ------------------------------------------------------------------------------------
def _evidence(
    pmid: str | None,
    sentences: list[Sentence],
    mentions: list[CompoundMention],
    concentrations: list[Concentration],
    outcomes: list[Outcome],
    samples: list[SampleType],
    protocols: list[CoolingProtocol],
) -> list[Evidence]:
    by_mention: dict[int, list[Concentration]] = {}
    for c in concentrations:
        by_mention.setdefault(c.mention_index, []).append(c)
    out_by_sentence = _group(outcomes)
    samples_by_sentence = _group(samples)
    protocols_by_sentence = _group(protocols)
    records: list[Evidence] = []
    for index, mention in enumerate(mentions):
        s = mention.sentence_index
        linked = tuple(by_mention.get(index, ()))
        if s in out_by_sentence:
            found, scope = tuple(out_by_sentence[s]), "same_sentence"
        elif outcomes:
            found, scope = tuple(outcomes), "same_document"
        else:
            found, scope = (), "none"
        records.append(
            Evidence(
                pmid=pmid,
                mention=mention,
                sentence=sentences[s],
                concentrations=linked,
                outcomes=found,
                samples=tuple(samples_by_sentence.get(s, samples)),
                protocols=tuple(protocols_by_sentence.get(s, protocols)),
                outcome_scope=scope,
                confidence=score_evidence(mention, linked, scope),
            )
        )
    return records


def _group(items: list[_Located]) -> dict[int, list[_Located]]:
    grouped: dict[int, list[_Located]] = {}
    for item in items:
        grouped.setdefault(item.sentence_index, []).append(item)
    return grouped
